/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store.c - chooses a storage backend from a database spec and opens it
 * migrated to the latest schema. The only place that names the backends.
 */
#include "store.h"

#include <string.h>

ms_err_t ms_db_connect(const char *spec, ms_db_t *db)
{
    if (spec == NULL || db == NULL) {
        return MS_ERR_ARG;
    }
    db->s = NULL;
    const char *conninfo = spec;
    if (strncmp(spec, "postgres:", 9) == 0) {
        db->ops = &ms_store_pg;
        conninfo = spec + 9;
    } else {
        db->ops = &ms_store_sqlite;
        if (strncmp(spec, "sqlite:", 7) == 0) {
            conninfo = spec + 7;
        }
    }
    return db->ops->open(conninfo, &db->s);
}

ms_err_t ms_db_open(const char *spec, ms_db_t *db)
{
    ms_err_t err = ms_db_connect(spec, db);
    int version = 0;
    if (err == MS_OK) {
        err = db->ops->migrate(db->s, 0, &version);
    }
    if (err != MS_OK) {
        ms_db_close(db);
    }
    return err;
}

void ms_db_close(ms_db_t *db)
{
    if (db != NULL && db->s != NULL) {
        db->ops->close(db->s);
        db->s = NULL;
    }
}
