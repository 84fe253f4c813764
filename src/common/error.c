/* SPDX-License-Identifier: Apache-2.0 */
/*
 * error.c - names and messages for ms_err_t, generated from MS_ERROR_LIST.
 *
 * Each table is one packed string ("MS_OK\0MS_ERR_ARG\0..."), not an array
 * of pointers to literals: the two tables then live in two sections of
 * their own, and a firmware image that only prints names (the boot loader)
 * drops the messages at link time.
 */
#include "meterseal/error.h"

#define MS_ERROR_TEXT_(name, text) text "\0"
#define MS_ERROR_NAME_(name, text) #name "\0"
static const char error_text[] = MS_ERROR_LIST(MS_ERROR_TEXT_);
static const char error_name[] = MS_ERROR_LIST(MS_ERROR_NAME_);

/* The n-th string of a packed table of MS_ERR_LAST_ + 1 strings. */
static const char *nth(const char *table, unsigned n)
{
    while (n-- > 0) {
        while (*table != '\0') {
            table++;
        }
        table++;
    }
    return table;
}

const char *ms_strerror(ms_err_t err)
{
    if ((unsigned)err >= (unsigned)MS_ERR_LAST_) {
        return "unknown error";
    }
    return nth(error_text, (unsigned)err);
}

const char *ms_errname(ms_err_t err)
{
    if ((unsigned)err >= (unsigned)MS_ERR_LAST_) {
        return "MS_ERR_UNKNOWN";
    }
    return nth(error_name, (unsigned)err);
}
