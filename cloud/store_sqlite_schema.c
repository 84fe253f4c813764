/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_sqlite_schema.c - the SQLite backend's schema as numbered migrations
 * (store_sqlite.c applies them in order, each in its own transaction with
 * its number in schema_migrations). A migration, once released, is never
 * changed: a change of the schema is a new one at the end.
 */
#include "store_sqlite_sql.h"

const char *const ms_sq_migrations[] = {
    /* 1: meters, readings, events, nonces, operators, sessions */
    "CREATE TABLE meters (id TEXT PRIMARY KEY, pub BLOB NOT NULL, kid BLOB NOT NULL,"
    "  iak_pub BLOB NOT NULL, cert_pem TEXT NOT NULL, registered_at INTEGER NOT NULL);"
    "CREATE TABLE readings (meter_id TEXT NOT NULL, seq INTEGER NOT NULL, time INTEGER NOT NULL,"
    "  energy_wh INTEGER NOT NULL, balance_milli INTEGER NOT NULL, tariff_id INTEGER NOT NULL,"
    "  payload BLOB NOT NULL, msg BLOB NOT NULL, received_at INTEGER NOT NULL,"
    "  PRIMARY KEY (meter_id, seq)) WITHOUT ROWID;"
    "CREATE TABLE events (id INTEGER PRIMARY KEY, meter_id TEXT NOT NULL,"
    "  from_meter INTEGER NOT NULL, seq INTEGER, time INTEGER NOT NULL, kind TEXT NOT NULL,"
    "  detail TEXT NOT NULL, received_at INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX events_meter_seq ON events (meter_id, seq) WHERE from_meter = 1;"
    "CREATE INDEX events_meter ON events (meter_id, id);"
    "CREATE TABLE nonces (nonce BLOB PRIMARY KEY, expires_at INTEGER NOT NULL,"
    "  used INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE operators (name TEXT PRIMARY KEY, pwhash TEXT NOT NULL, role INTEGER NOT NULL);"
    "CREATE TABLE sessions (token_hash BLOB PRIMARY KEY, operator TEXT NOT NULL,"
    "  role INTEGER NOT NULL, csrf BLOB NOT NULL, expires_at INTEGER NOT NULL);",
    /* 2: commands, and readings by time */
    "CREATE TABLE commands (meter_id TEXT NOT NULL REFERENCES meters (id),"
    "  cmd_seq INTEGER NOT NULL, type INTEGER NOT NULL, args TEXT NOT NULL,"
    "  created_by TEXT NOT NULL, created_at INTEGER NOT NULL, result_status INTEGER,"
    "  result_balance INTEGER, PRIMARY KEY (meter_id, cmd_seq));"
    "CREATE INDEX readings_time ON readings (meter_id, time);",
    /* 3: firmware repository, campaigns, per-meter update state and history,
     *    operator audit, meter group and version (docs/ota.md) */
    "CREATE TABLE firmware (sha256 TEXT PRIMARY KEY, version TEXT NOT NULL,"
    "  sec_cnt INTEGER NOT NULL, size INTEGER NOT NULL, image BLOB NOT NULL,"
    "  uploaded_by TEXT NOT NULL, uploaded_at INTEGER NOT NULL);"
    "CREATE TABLE campaigns (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
    "  firmware_sha256 TEXT NOT NULL REFERENCES firmware (sha256), state TEXT NOT NULL,"
    "  target TEXT NOT NULL, waves TEXT NOT NULL, success_pm INTEGER NOT NULL,"
    "  failure_pm INTEGER NOT NULL, max_retries INTEGER NOT NULL, wave INTEGER NOT NULL,"
    "  wave_state TEXT NOT NULL, created_by TEXT NOT NULL, created_at INTEGER NOT NULL);"
    "CREATE TABLE campaign_meters (campaign_id INTEGER NOT NULL, meter_id TEXT NOT NULL,"
    "  wave INTEGER NOT NULL, state TEXT NOT NULL, offered INTEGER NOT NULL,"
    "  progress INTEGER NOT NULL, result INTEGER NOT NULL, reason TEXT NOT NULL,"
    "  retries INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
    "  PRIMARY KEY (campaign_id, meter_id));"
    "CREATE INDEX campaign_meters_meter ON campaign_meters (meter_id);"
    "CREATE TABLE update_history (meter_id TEXT NOT NULL, campaign_id INTEGER NOT NULL,"
    "  state TEXT NOT NULL, result INTEGER NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL,"
    "  n INTEGER NOT NULL);"
    "CREATE INDEX update_history_meter ON update_history (meter_id, n);"
    "CREATE TABLE audit (n INTEGER NOT NULL, at INTEGER NOT NULL, who TEXT NOT NULL,"
    "  action TEXT NOT NULL, detail TEXT NOT NULL);"
    "CREATE INDEX audit_n ON audit (n);"
    "CREATE TABLE meter_info (meter_id TEXT PRIMARY KEY, grp TEXT NOT NULL,"
    "  version TEXT NOT NULL, last_seen INTEGER NOT NULL);",
    /* 4: a cloud event (a replay seen, a command's verdict) is one fact, kept
     *    once: a meter sending the same old message again adds no row */
    "DELETE FROM events WHERE from_meter = 0 AND id NOT IN (SELECT min(id) FROM events"
    "  WHERE from_meter = 0 GROUP BY meter_id, kind, detail);"
    "CREATE UNIQUE INDEX events_cloud_fact ON events (meter_id, kind, detail)"
    "  WHERE from_meter = 0;",
    /* 5: a campaign's meters counted per (wave, state, offered), kept by
     *    triggers in the statement that changes a campaign meter, whoever
     *    runs it: evaluating a status report reads a few rows, not the wave */
    "CREATE TABLE campaign_counts (campaign_id INTEGER NOT NULL, wave INTEGER NOT NULL,"
    "  state TEXT NOT NULL, offered INTEGER NOT NULL, n INTEGER NOT NULL,"
    "  PRIMARY KEY (campaign_id, wave, state, offered));"
    "INSERT INTO campaign_counts SELECT campaign_id, wave, state, offered, count(*)"
    "  FROM campaign_meters GROUP BY campaign_id, wave, state, offered;"
    "CREATE TRIGGER campaign_counts_add AFTER INSERT ON campaign_meters BEGIN"
    "  INSERT INTO campaign_counts VALUES (NEW.campaign_id, NEW.wave, NEW.state, NEW.offered, 1)"
    "    ON CONFLICT (campaign_id, wave, state, offered) DO UPDATE SET n = n + 1;"
    " END;"
    "CREATE TRIGGER campaign_counts_move AFTER UPDATE OF campaign_id, wave, state, offered"
    "  ON campaign_meters WHEN OLD.campaign_id IS NOT NEW.campaign_id OR OLD.wave IS NOT NEW.wave"
    "  OR OLD.state IS NOT NEW.state OR OLD.offered IS NOT NEW.offered BEGIN"
    "  UPDATE campaign_counts SET n = n - 1 WHERE campaign_id = OLD.campaign_id"
    "    AND wave = OLD.wave AND state = OLD.state AND offered = OLD.offered;"
    "  INSERT INTO campaign_counts VALUES (NEW.campaign_id, NEW.wave, NEW.state, NEW.offered, 1)"
    "    ON CONFLICT (campaign_id, wave, state, offered) DO UPDATE SET n = n + 1;"
    " END;"
    "CREATE TRIGGER campaign_counts_remove AFTER DELETE ON campaign_meters BEGIN"
    "  UPDATE campaign_counts SET n = n - 1 WHERE campaign_id = OLD.campaign_id"
    "    AND wave = OLD.wave AND state = OLD.state AND offered = OLD.offered;"
    " END;",
    /* 6: the number of the last status report written on a campaign meter
     *    (the TEE numbers its reports): an old report sent again is refused */
    "ALTER TABLE campaign_meters ADD COLUMN status_seq INTEGER NOT NULL DEFAULT 0;",
    /* 7: offers sent again to a meter that did not answer (counted, so one
     *    that never answers ends failed), found by the offer's time among
     *    the rows offered and still queued */
    "ALTER TABLE campaign_meters ADD COLUMN reoffers INTEGER NOT NULL DEFAULT 0;"
    "CREATE INDEX campaign_meters_unanswered ON campaign_meters (updated_at)"
    "  WHERE offered = 1 AND state = 'queued';",
};
const int ms_sq_n_migrations = (int)(sizeof ms_sq_migrations / sizeof ms_sq_migrations[0]);
