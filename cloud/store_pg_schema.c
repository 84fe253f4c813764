/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_pg_schema.c - the PostgreSQL backend's schema as numbered migrations
 * (store_pg.c applies them in order, each in its own transaction with
 * its number in schema_migrations). A migration, once released, is never
 * changed: a change of the schema is a new one at the end.
 */
#include "store_pg_sql.h"

const char *const ms_pg_migrations[] = {
    /* 1: meters, readings, events, nonces, operators, sessions */
    "CREATE TABLE meters (id text COLLATE \"C\" PRIMARY KEY, pub bytea NOT NULL,"
    "  kid bytea NOT NULL, iak_pub bytea NOT NULL, cert_pem text NOT NULL,"
    "  registered_at bigint NOT NULL);"
    "CREATE TABLE readings (meter_id text COLLATE \"C\" NOT NULL, seq bigint NOT NULL,"
    "  time bigint NOT NULL, energy_wh bigint NOT NULL, balance_milli bigint NOT NULL,"
    "  tariff_id bigint NOT NULL, payload bytea NOT NULL, msg bytea NOT NULL,"
    "  received_at bigint NOT NULL, PRIMARY KEY (meter_id, seq));"
    "CREATE TABLE events (id bigserial PRIMARY KEY, meter_id text COLLATE \"C\" NOT NULL,"
    "  from_meter boolean NOT NULL, seq bigint, time bigint NOT NULL, kind text NOT NULL,"
    "  detail text NOT NULL, received_at bigint NOT NULL);"
    "CREATE UNIQUE INDEX events_meter_seq ON events (meter_id, seq) WHERE from_meter;"
    "CREATE INDEX events_meter ON events (meter_id, id);"
    "CREATE TABLE nonces (nonce bytea PRIMARY KEY, expires_at bigint NOT NULL,"
    "  used boolean NOT NULL DEFAULT false);"
    "CREATE TABLE operators (name text PRIMARY KEY, pwhash text NOT NULL, role int NOT NULL);"
    "CREATE TABLE sessions (token_hash bytea PRIMARY KEY, operator text NOT NULL,"
    "  role int NOT NULL, csrf bytea NOT NULL, expires_at bigint NOT NULL);",
    /* 2: commands, and readings by time */
    "CREATE TABLE commands (meter_id text COLLATE \"C\" NOT NULL REFERENCES meters (id),"
    "  cmd_seq bigint NOT NULL, type int NOT NULL, args text NOT NULL,"
    "  created_by text NOT NULL, created_at bigint NOT NULL, result_status bigint,"
    "  result_balance bigint, PRIMARY KEY (meter_id, cmd_seq));"
    "CREATE INDEX readings_time ON readings (meter_id, time);",
    /* 3: firmware repository, campaigns, per-meter update state and history,
     *    operator audit, meter group and version (docs/ota.md) */
    "CREATE TABLE firmware (sha256 text PRIMARY KEY, version text NOT NULL,"
    "  sec_cnt bigint NOT NULL, size bigint NOT NULL, image bytea NOT NULL,"
    "  uploaded_by text NOT NULL, uploaded_at bigint NOT NULL);"
    "CREATE TABLE campaigns (id bigint PRIMARY KEY, name text NOT NULL,"
    "  firmware_sha256 text NOT NULL REFERENCES firmware (sha256), state text NOT NULL,"
    "  target text NOT NULL, waves text NOT NULL, success_pm bigint NOT NULL,"
    "  failure_pm bigint NOT NULL, max_retries bigint NOT NULL, wave bigint NOT NULL,"
    "  wave_state text NOT NULL, created_by text NOT NULL, created_at bigint NOT NULL);"
    "CREATE TABLE campaign_meters (campaign_id bigint NOT NULL, meter_id text COLLATE \"C\" NOT NULL,"
    "  wave bigint NOT NULL, state text NOT NULL, offered bigint NOT NULL,"
    "  progress bigint NOT NULL, result bigint NOT NULL, reason text NOT NULL,"
    "  retries bigint NOT NULL, updated_at bigint NOT NULL,"
    "  PRIMARY KEY (campaign_id, meter_id));"
    "CREATE INDEX campaign_meters_meter ON campaign_meters (meter_id);"
    "CREATE TABLE update_history (meter_id text COLLATE \"C\" NOT NULL, campaign_id bigint NOT NULL,"
    "  state text NOT NULL, result bigint NOT NULL, reason text NOT NULL, at bigint NOT NULL,"
    "  n bigint NOT NULL);"
    "CREATE INDEX update_history_meter ON update_history (meter_id, n);"
    "CREATE TABLE audit (n bigint NOT NULL, at bigint NOT NULL, who text NOT NULL,"
    "  action text NOT NULL, detail text NOT NULL);"
    "CREATE INDEX audit_n ON audit (n);"
    "CREATE TABLE meter_info (meter_id text COLLATE \"C\" PRIMARY KEY, grp text NOT NULL,"
    "  version text NOT NULL, last_seen bigint NOT NULL);",
    /* 4: a cloud event (a replay seen, a command's verdict) is one fact, kept
     *    once: a meter sending the same old message again adds no row */
    "DELETE FROM events WHERE NOT from_meter AND id NOT IN (SELECT min(id) FROM events"
    "  WHERE NOT from_meter GROUP BY meter_id, kind, detail);"
    "CREATE UNIQUE INDEX events_cloud_fact ON events (meter_id, kind, detail)"
    "  WHERE NOT from_meter;",
    /* 5: a campaign's meters counted per (wave, state, offered), kept by a
     *    trigger in the statement that changes a campaign meter, whoever runs
     *    it: evaluating a status report reads a few rows, not the wave. A
     *    move changes its two count rows in key order, so two transactions
     *    moving meters between the same keys in opposite directions wait,
     *    never deadlock. */
    "CREATE TABLE campaign_counts (campaign_id bigint NOT NULL, wave bigint NOT NULL,"
    "  state text NOT NULL, offered bigint NOT NULL, n bigint NOT NULL,"
    "  PRIMARY KEY (campaign_id, wave, state, offered));"
    "INSERT INTO campaign_counts SELECT campaign_id, wave, state, offered, count(*)"
    "  FROM campaign_meters GROUP BY campaign_id, wave, state, offered;"
    "CREATE FUNCTION campaign_counts_add(c bigint, w bigint, s text, o bigint)"
    "  RETURNS void LANGUAGE sql AS $$"
    "  INSERT INTO campaign_counts VALUES (c, w, s, o, 1)"
    "    ON CONFLICT (campaign_id, wave, state, offered)"
    "    DO UPDATE SET n = campaign_counts.n + 1 $$;"
    "CREATE FUNCTION campaign_counts_sub(c bigint, w bigint, s text, o bigint)"
    "  RETURNS void LANGUAGE sql AS $$"
    "  UPDATE campaign_counts SET n = n - 1"
    "    WHERE campaign_id = c AND wave = w AND state = s AND offered = o $$;"
    "CREATE FUNCTION campaign_counts_keep() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN"
    "  IF TG_OP = 'INSERT' THEN"
    "    PERFORM campaign_counts_add(NEW.campaign_id, NEW.wave, NEW.state, NEW.offered);"
    "  ELSIF TG_OP = 'DELETE' THEN"
    "    PERFORM campaign_counts_sub(OLD.campaign_id, OLD.wave, OLD.state, OLD.offered);"
    "  ELSIF (OLD.campaign_id, OLD.wave, OLD.state COLLATE \"C\", OLD.offered)"
    "        < (NEW.campaign_id, NEW.wave, NEW.state COLLATE \"C\", NEW.offered) THEN"
    "    PERFORM campaign_counts_sub(OLD.campaign_id, OLD.wave, OLD.state, OLD.offered);"
    "    PERFORM campaign_counts_add(NEW.campaign_id, NEW.wave, NEW.state, NEW.offered);"
    "  ELSIF (OLD.campaign_id, OLD.wave, OLD.state COLLATE \"C\", OLD.offered)"
    "        > (NEW.campaign_id, NEW.wave, NEW.state COLLATE \"C\", NEW.offered) THEN"
    "    PERFORM campaign_counts_add(NEW.campaign_id, NEW.wave, NEW.state, NEW.offered);"
    "    PERFORM campaign_counts_sub(OLD.campaign_id, OLD.wave, OLD.state, OLD.offered);"
    "  END IF;"
    "  RETURN NULL;"
    " END $$;"
    "CREATE TRIGGER campaign_counts_keep AFTER INSERT OR UPDATE OR DELETE ON campaign_meters"
    "  FOR EACH ROW EXECUTE FUNCTION campaign_counts_keep();",
    /* 6: the number of the last status report written on a campaign meter
     *    (the TEE numbers its reports): an old report sent again is refused */
    "ALTER TABLE campaign_meters ADD COLUMN status_seq BIGINT NOT NULL DEFAULT 0;",
    /* 7: offers sent again to a meter that did not answer (counted, so one
     *    that never answers ends failed), found by the offer's time among
     *    the rows offered and still queued */
    "ALTER TABLE campaign_meters ADD COLUMN reoffers BIGINT NOT NULL DEFAULT 0;"
    "CREATE INDEX campaign_meters_unanswered ON campaign_meters (updated_at)"
    "  WHERE offered = 1 AND state = 'queued';",
};
const int ms_pg_n_migrations = (int)(sizeof ms_pg_migrations / sizeof ms_pg_migrations[0]);
