/* SPDX-License-Identifier: Apache-2.0 */
/*
 * campaign.c - campaigns (M14; see ota.h, docs/ota.md section 4 for the
 * state machine): creation, operator actions, evaluation, and the meters'
 * update messages (the offers and chunks sent to them: offer.c).
 *
 *   campaign: created -start-> running -pause-> paused -resume-> running
 *             running -(failure rate of the current wave > threshold)-> halted
 *             halted -resume-> running (the halted wave is accepted as it is,
 *                                       the next one starts)
 *             running -(last wave, every meter final)-> finished
 *             created|running|paused|halted -cancel-> cancelled
 *   wave:     pending -> running -> done | halted
 *   meter:    queued (offered or not) -> downloading -> downloaded ->
 *             verifying -> installing -> success | failed | reverted;
 *             failed/reverted with retries left go back to queued and are
 *             offered again while the campaign runs.
 *
 * Invariants:
 *   - Offers go only to meters of the current wave of a running campaign.
 *   - The thresholds are evaluated on final states only (a meter waiting
 *     for a retry is not a failure yet).
 *   - Every operator action is audited before the call returns.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cose_msg.h"
#include "log.h"
#include "registry.h"
#include "offer.h"
#include "ota.h"
#include "x509.h"

void ms_ota_init(ms_ota_t *o, ms_cloud_t *c)
{
    memset(o, 0, sizeof *o);
    o->c = c;
    o->chunk_size = MS_LINK_CHUNK_MAX;
}

void ms_ota_fini(ms_ota_t *o)
{
    for (size_t i = 0; i < MS_OTA_CACHE_IMAGES; i++) {
        free(o->cache[i].image);
    }
    ms_secure_zero(&o->enc_priv, sizeof o->enc_priv);
    memset(o, 0, sizeof *o);
}

ms_err_t ms_ota_add_vendor_key(ms_ota_t *o, const ms_p256_pub_t *pub)
{
    if (o->n_vendor == MS_OTA_VENDOR_KEYS_MAX) {
        return MS_ERR_BUFFER_TOO_SMALL;
    }
    o->vendor[o->n_vendor++] = *pub;
    return MS_OK;
}

static bool is(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

static bool final_state(const char *s)
{
    return is(s, "success") || is(s, "failed") || is(s, "reverted");
}

/* ---- creating --------------------------------------------------------------------- */

typedef struct ids {
    char (*id)[MS_LINK_METER_ID_MAX + 1];
    size_t n, cap;
} ids_t;

static ms_err_t collect(void *ctx, const char *meter_id)
{
    ids_t *l = ctx;
    void *p = ms_ota_room_for_one(l->id, &l->cap, l->n, sizeof l->id[0]);
    if (p == NULL) {
        return MS_ERR_INTERNAL;
    }
    l->id = p;
    snprintf(l->id[l->n++], sizeof l->id[0], "%s", meter_id);
    return MS_OK;
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

static ms_err_t bad(char reason[MS_OTA_REASON_MAX], const char *why)
{
    snprintf(reason, MS_OTA_REASON_MAX, "%s", why);
    return MS_ERR_ARG;
}

ms_err_t ms_campaign_create(ms_ota_t *o, const ms_campaign_spec_t *spec, const char *who,
                            int64_t *id, char reason[MS_OTA_REASON_MAX])
{
    ms_db_t *db = &o->c->db;
    snprintf(reason, MS_OTA_REASON_MAX, "ok");
    if (spec->name[0] == '\0') {
        return bad(reason, "name is empty");
    }
    if (spec->n_waves == 0 || spec->n_waves > MS_OTA_WAVES_MAX ||
        spec->waves[spec->n_waves - 1] != 100) {
        return bad(reason, "waves must be 1..8 cumulative percentages ending with 100");
    }
    for (uint32_t i = 0; i < spec->n_waves; i++) {
        if (spec->waves[i] == 0 || (i > 0 && spec->waves[i] <= spec->waves[i - 1])) {
            return bad(reason, "waves must ascend strictly from above 0 to 100");
        }
    }
    if (spec->success_pm > 1000 || spec->failure_pm > 1000) {
        return bad(reason, "thresholds must be between 0 and 1");
    }
    /* an image stored before a newer one was released is a downgrade now */
    ms_err_t err = ms_fw_release_check(o, spec->firmware_sha256, reason);
    if (err != MS_OK) {
        return err;
    }
    ids_t l = {0};
    switch (spec->kind) {
    case MS_TARGET_ALL: err = ms_ota_meters_all(db, collect, &l); break;
    case MS_TARGET_GROUP: err = ms_ota_meters_in_group(db, spec->value, collect, &l); break;
    case MS_TARGET_VERSION: err = ms_ota_meters_with_version(db, spec->value, collect, &l); break;
    case MS_TARGET_LIST:
        for (size_t i = 0; err == MS_OK && i < spec->n_ids; i++) {
            ms_meter_info_t info;
            /* only registered meters; each once */
            ms_meter_rec_t *m = malloc(sizeof *m);
            err = m != NULL ? db->ops->meter_get(db->s, spec->ids[i], m) : MS_ERR_INTERNAL;
            free(m);
            if (err == MS_ERR_NOT_FOUND) {
                free(l.id);
                snprintf(reason, MS_OTA_REASON_MAX, "unknown meter %s", spec->ids[i]);
                return MS_ERR_ARG;
            }
            (void)info;
            if (err == MS_OK) {
                err = collect(&l, spec->ids[i]);
            }
        }
        if (err == MS_OK && l.n > 1) {
            qsort(l.id, l.n, sizeof l.id[0], cmp_id);
            size_t w = 1;
            for (size_t i = 1; i < l.n; i++) {
                if (strcmp(l.id[i], l.id[w - 1]) != 0) {
                    memcpy(l.id[w++], l.id[i], sizeof l.id[0]);
                }
            }
            l.n = w;
        }
        break;
    default: err = MS_ERR_ARG; break;
    }
    if (err == MS_OK && l.n == 0) {
        free(l.id);
        return bad(reason, "the target has no meters");
    }
    ms_campaign_rec_t *c = calloc(1, sizeof *c);
    if (err != MS_OK || c == NULL) {
        free(l.id);
        free(c);
        return err != MS_OK ? err : MS_ERR_INTERNAL;
    }
    snprintf(c->name, sizeof c->name, "%s", spec->name);
    memcpy(c->firmware_sha256, spec->firmware_sha256, sizeof c->firmware_sha256);
    snprintf(c->state, sizeof c->state, "created");
    snprintf(c->target, sizeof c->target, "%s", spec->target_json);
    c->n_waves = spec->n_waves;
    memcpy(c->waves, spec->waves, sizeof c->waves);
    c->success_pm = spec->success_pm;
    c->failure_pm = spec->failure_pm;
    c->max_retries = spec->max_retries;
    c->wave = 0;
    snprintf(c->wave_state, sizeof c->wave_state, "pending");
    snprintf(c->created_by, sizeof c->created_by, "%s", who);
    c->created_at = o->c->now();
    /* one transaction: a campaign exists with all its meters and its audit
     * row or not at all, and a fleet's rows cost one commit, not one each */
    err = db->ops->tx(db->s, MS_SQL_BEGIN);
    if (err == MS_OK) {
        err = ms_ota_campaign_add(db, c);
    }
    /* meters into waves: wave w ends at ceil(total * waves[w] / 100) */
    size_t at = 0;
    for (uint32_t w = 0; err == MS_OK && w < c->n_waves; w++) {
        size_t end = (l.n * c->waves[w] + 99) / 100;
        for (; err == MS_OK && at < end && at < l.n; at++) {
            ms_cm_rec_t m;
            memset(&m, 0, sizeof m);
            m.campaign_id = c->id;
            memcpy(m.meter_id, l.id[at], sizeof m.meter_id);
            m.wave = w;
            snprintf(m.state, sizeof m.state, "queued");
            m.updated_at = c->created_at;
            err = ms_ota_cm_add(db, &m);
        }
    }
    char detail[MS_OTA_AUDIT_MAX];
    snprintf(detail, sizeof detail, "campaign=%lld name=%s firmware=%.16s meters=%zu",
             (long long)c->id, c->name, c->firmware_sha256, l.n);
    if (err == MS_OK) {
        err = ms_ota_audit_add(db, c->created_at, who, "campaign.create", detail);
    }
    if (err == MS_OK) {
        err = db->ops->tx(db->s, MS_SQL_COMMIT);
    }
    if (err != MS_OK) {
        db->ops->tx(db->s, MS_SQL_ROLLBACK);
    } else {
        *id = c->id;
        ms_log(MS_LOG_INFO, "campaign.created", "by=%s %s", who, detail);
    }
    free(l.id);
    free(c);
    return err;
}

/* ---- evaluation -------------------------------------------------------------------------- */

/* Move c on, as a compare and set on c as read. MS_ERR_STATE: another
 * instance or an operator changed the campaign since; c is then read
 * again, so the caller goes on from what they wrote (a pause or a cancel
 * is never undone by an evaluation that read the campaign before it).
 * release: the move offers c's image to more meters (a start, a resume
 * into a new wave, a next wave), and is refused with MS_ERR_BOOT_ROLLBACK,
 * nothing written, if the image is below the fleet's security counter,
 * which an image released since c's creation raised: checked and written
 * as one step, serialised with every other release (a newer image's start
 * on another instance is either seen or comes after). */
static ms_err_t move(ms_ota_t *o, ms_campaign_rec_t *c, bool release, const char *state,
                     uint32_t wave, const char *wave_state)
{
    char ws[MS_OTA_STATE_MAX + 1];   /* wave_state may be c->wave_state itself */
    snprintf(ws, sizeof ws, "%s", wave_state);
    uint32_t cnt = 0, fleet = 0;
    ms_err_t err = release ? ms_ota_campaign_release(&o->c->db, c, o->sec_floor, state, wave,
                                                     ws, &cnt, &fleet)
                           : ms_ota_campaign_set_state(&o->c->db, c, state, wave, ws);
    if (err == MS_OK) {
        snprintf(c->state, sizeof c->state, "%s", state);
        c->wave = wave;
        snprintf(c->wave_state, sizeof c->wave_state, "%s", ws);
    } else if (err == MS_ERR_STATE) {
        ms_log(MS_LOG_INFO, "campaign.raced", "campaign=%lld wanted=%s wave=%u", (long long)c->id,
               state, wave);
        ms_err_t rerr = ms_ota_campaign_get(&o->c->db, c->id, c);
        err = rerr != MS_OK ? rerr : MS_ERR_STATE;
    } else if (err == MS_ERR_BOOT_ROLLBACK) {
        char reason[MS_OTA_REASON_MAX];
        ms_fw_downgrade_reason(cnt, fleet, reason);
        ms_log(MS_LOG_WARN, "campaign.downgrade_refused", "campaign=%lld %s", (long long)c->id,
               reason);
    }
    return err;
}

static ms_err_t set_state(ms_ota_t *o, ms_campaign_rec_t *c, const char *state, uint32_t wave,
                          const char *wave_state)
{
    return move(o, c, false, state, wave, wave_state);
}

static ms_err_t release(ms_ota_t *o, ms_campaign_rec_t *c, const char *state, uint32_t wave,
                        const char *wave_state)
{
    return move(o, c, true, state, wave, wave_state);
}

/* Move a running campaign on as far as its current wave allows. */
static ms_err_t evaluate(ms_ota_t *o, ms_campaign_rec_t *c)
{
    ms_err_t err = MS_OK;
    while (err == MS_OK && is(c->state, "running")) {
        /* a lost compare and set (set_state) ends the loop with MS_ERR_STATE:
         * whoever changed the campaign evaluates it after their change */
        uint32_t n[MS_LINK_UPD_STATE_COUNT_], total = 0, offered = 0;
        err = ms_ota_cm_counts(&o->c->db, c->id, c->wave, n, &total, &offered);
        if (err != MS_OK) {
            break;
        }
        uint32_t fail = n[MS_LINK_UPD_FAILED] + n[MS_LINK_UPD_REVERTED];
        uint32_t ok = n[MS_LINK_UPD_SUCCESS];
        bool last = c->wave + 1 >= c->n_waves;
        if (total > 0 && (uint64_t)fail * 1000u > (uint64_t)c->failure_pm * total) {
            err = set_state(o, c, "halted", c->wave, "halted");
            char d[MS_OTA_AUDIT_MAX];
            snprintf(d, sizeof d, "campaign=%lld wave=%u failed=%u of %u (threshold %u/1000)",
                     (long long)c->id, c->wave, fail, total, c->failure_pm);
            ms_log(MS_LOG_WARN, "campaign.halted", "%s", d);
            if (err == MS_OK) {
                err = ms_ota_audit(&o->c->db, o->c->now(), "system", "campaign.halt", d);
            }
            break;
        }
        if (last) {
            if (ok + fail == total) {
                err = set_state(o, c, "finished", c->wave, "done");
                char d[MS_OTA_AUDIT_MAX];
                snprintf(d, sizeof d, "campaign=%lld", (long long)c->id);
                ms_log(MS_LOG_INFO, "campaign.finished", "%s", d);
                if (err == MS_OK) {
                    err = ms_ota_audit(&o->c->db, o->c->now(), "system", "campaign.finish", d);
                }
            }
            break;
        }
        if ((uint64_t)ok * 1000u < (uint64_t)c->success_pm * total) {
            break;   /* this wave has not reached its success threshold yet */
        }
        err = release(o, c, "running", c->wave + 1, "running");
        if (err == MS_ERR_BOOT_ROLLBACK) {
            /* a newer image was released since the start: the older one
             * goes to no further wave (resume is refused too) */
            err = set_state(o, c, "halted", c->wave, "halted");
            char d[MS_OTA_AUDIT_MAX];
            snprintf(d, sizeof d, "campaign=%lld wave=%u below the fleet's security counter",
                     (long long)c->id, c->wave);
            ms_log(MS_LOG_WARN, "campaign.halted", "%s", d);
            if (err == MS_OK) {
                err = ms_ota_audit(&o->c->db, o->c->now(), "system", "campaign.halt", d);
            }
            break;
        }
        if (err == MS_OK) {
            ms_log(MS_LOG_INFO, "campaign.wave", "campaign=%lld wave=%u", (long long)c->id,
                   c->wave);
            err = ms_ota_offer_wave(o, c);
        }
    }
    return err == MS_ERR_STATE ? MS_OK : err;
}

ms_err_t ms_campaign_evaluate(ms_ota_t *o, int64_t id)
{
    ms_campaign_rec_t *c = malloc(sizeof *c);
    ms_err_t err = c != NULL ? ms_ota_campaign_get(&o->c->db, id, c) : MS_ERR_INTERNAL;
    if (err == MS_OK) {
        err = evaluate(o, c);
    }
    free(c);
    return err;
}

ms_err_t ms_campaign_action(ms_ota_t *o, int64_t id, const char *action, const char *who,
                            char state[MS_OTA_STATE_MAX + 1])
{
    ms_campaign_rec_t *c = malloc(sizeof *c);
    if (c == NULL) {
        return MS_ERR_INTERNAL;
    }
    ms_err_t err = ms_ota_campaign_get(&o->c->db, id, c);
    if (err == MS_OK) {
        snprintf(state, MS_OTA_STATE_MAX + 1, "%s", c->state);
    }
    if (err == MS_OK) {
        if (is(action, "start")) {
            err = is(c->state, "created") ? release(o, c, "running", c->wave, "running")
                                          : MS_ERR_STATE;
            if (err == MS_OK) {
                err = ms_ota_offer_wave(o, c);
            }
        } else if (is(action, "pause")) {
            err = is(c->state, "running") ? set_state(o, c, "paused", c->wave, c->wave_state)
                                          : MS_ERR_STATE;
        } else if (is(action, "resume")) {
            /* halted: the operator accepts the halted wave as it is and goes
             * on to the next, which must be no downgrade (the same wave
             * again, a resume from a pause, is its retries only) */
            bool halted = is(c->state, "halted");
            uint32_t w = halted && c->wave + 1 < c->n_waves ? c->wave + 1 : c->wave;
            err = is(c->state, "paused") || halted ? MS_OK : MS_ERR_STATE;
            if (err == MS_OK) {
                err = w != c->wave ? release(o, c, "running", w, "running")
                                   : set_state(o, c, "running", w,
                                               halted ? "running" : c->wave_state);
            }
            if (err == MS_OK) {
                err = ms_ota_offer_wave(o, c);
            }
        } else if (is(action, "cancel")) {
            err = is(c->state, "finished") || is(c->state, "cancelled")
                      ? MS_ERR_STATE
                      : set_state(o, c, "cancelled", c->wave, c->wave_state);
        } else {
            err = MS_ERR_ARG;
        }
    }
    if (err == MS_OK) {
        char act[MS_OTA_NAME_MAX + 1], d[MS_OTA_AUDIT_MAX];
        snprintf(act, sizeof act, "campaign.%s", action);
        snprintf(d, sizeof d, "campaign=%lld state=%s", (long long)id, c->state);
        ms_log(MS_LOG_INFO, "campaign.action", "by=%s action=%s %s", who, action, d);
        err = ms_ota_audit(&o->c->db, o->c->now(), who, act, d);
        if (err == MS_OK) {
            err = evaluate(o, c);
        }
    }
    if (err == MS_OK || err == MS_ERR_STATE) {
        /* as written, or as another writer left it (a lost compare and set) */
        snprintf(state, MS_OTA_STATE_MAX + 1, "%s", c->state);
    }
    free(c);
    return err;
}

/* ---- traffic from meters --------------------------------------------------------------------- */

/* An old report sent again (its number not above the last one written), or
 * an unnumbered report where numbered ones were written (a TEE that
 * numbers its reports numbers every one): logged, refused. */
static bool replayed(const ms_link_upd_status_t *s, const ms_cm_rec_t *m)
{
    if (s->seq != 0 ? s->seq > m->status_seq : m->status_seq == 0) {
        return false;
    }
    ms_log(MS_LOG_WARN, "update.status_refused",
           "meter=%s campaign=%lld reason=replayed seq=%llu last=%llu", m->meter_id,
           (long long)m->campaign_id, (unsigned long long)s->seq,
           (unsigned long long)m->status_seq);
    return true;
}

/* Write the report on the meter's row (m: the row as written). It applies
 * to the attempt the row was read in, over any state of that attempt that
 * is not final (MS_CM_SAME_ATTEMPT): so it never waits behind another
 * instance's report of the same attempt, and a final state stays (*late,
 * nothing written), as does a later attempt's row. */
static ms_err_t store_status(ms_ota_t *o, const ms_link_upd_status_t *s, const char *name,
                             const ms_campaign_rec_t *c, ms_cm_rec_t *m, bool *late,
                             bool *retried)
{
    *late = false;
    *retried = false;
    ms_err_t err = ms_ota_cm_get(&o->c->db, (int64_t)s->campaign_id, s->meter_id, m);
    if (err == MS_ERR_NOT_FOUND) {
        ms_log(MS_LOG_WARN, "update.status_refused",
               "meter=%s campaign=%llu reason=not_in_campaign", s->meter_id,
               (unsigned long long)s->campaign_id);
        return err;
    }
    if (err != MS_OK) {
        return err;
    }
    if (!m->offered) {
        /* nothing to report on: not offered yet, or queued for a retry and
         * not offered again yet (an old attempt's report sent again) */
        ms_log(MS_LOG_WARN, "update.status_refused", "meter=%s campaign=%lld reason=not_offered",
               m->meter_id, (long long)m->campaign_id);
        return MS_ERR_STATE;
    }
    if (replayed(s, m)) {
        return MS_ERR_LINK_STALE;
    }
    const ms_cm_rec_t was = *m;
    if (!final_state(m->state)) {
        m->status_seq = s->seq;
        m->progress = s->progress;
        m->result = s->result;
        snprintf(m->reason, sizeof m->reason, "%s", s->reason);
        m->updated_at = o->c->now();
        snprintf(m->state, sizeof m->state, "%s", name);
        /* a failure with retries left is queued again in the same
         * transaction: no evaluation anywhere counts it as a failure */
        bool failed = s->state == MS_LINK_UPD_FAILED || s->state == MS_LINK_UPD_REVERTED;
        ms_cm_rec_t then = *m;
        *retried = failed && m->retries < c->max_retries && !is(c->state, "cancelled");
        if (*retried) {
            then.retries++;
            then.offered = false;
            snprintf(then.state, sizeof then.state, "queued");
        }
        err = ms_ota_cm_update(&o->c->db, &was, MS_CM_SAME_ATTEMPT, m, *retried ? &then : NULL);
        if (err != MS_ERR_STATE) {
            *m = err == MS_OK ? then : *m;
            *retried = *retried && err == MS_OK;
            return err;
        }
        *retried = false;
        /* another instance wrote a final state, or the next attempt, since
         * the read: what is there now is what the log says was there */
        *m = was;
        err = ms_ota_cm_get(&o->c->db, was.campaign_id, was.meter_id, m);
        if (err != MS_OK) {
            return err;
        }
        if (replayed(s, m)) {
            return MS_ERR_LINK_STALE;
        }
    }
    /* a final state stays; only the record of what was said is kept */
    ms_log(MS_LOG_INFO, "update.status_late",
           "meter=%s campaign=%lld state=%s was=%s attempt=%u now=%u", m->meter_id,
           (long long)m->campaign_id, name, m->state, was.retries, m->retries);
    *late = true;
    return MS_OK;
}

ms_err_t ms_ota_on_status(ms_ota_t *o, const ms_link_upd_status_t *s)
{
    const char *name = ms_link_upd_state_name(s->state);
    ms_cm_rec_t m;
    bool late = false, retried = false;
    o->stats.reports++;
    if (name == NULL) {
        return MS_ERR_FORMAT;
    }
    ms_campaign_rec_t *c = malloc(sizeof *c);
    if (c == NULL) {
        return MS_ERR_INTERNAL;
    }
    ms_err_t err = ms_ota_campaign_get(&o->c->db, (int64_t)s->campaign_id, c);
    if (err == MS_ERR_NOT_FOUND) {
        ms_log(MS_LOG_WARN, "update.status_refused",
               "meter=%s campaign=%llu reason=not_in_campaign", s->meter_id,
               (unsigned long long)s->campaign_id);
        err = MS_ERR_NOT_FOUND;
    }
    if (err == MS_OK) {
        err = store_status(o, s, name, c, &m, &late, &retried);
    }
    if (err != MS_OK || late) {
        free(c);
        return err;
    }
    ms_log(s->state == MS_LINK_UPD_FAILED || s->state == MS_LINK_UPD_REVERTED ? MS_LOG_WARN
                                                                              : MS_LOG_INFO,
           "update.status",
           "meter=%s campaign=%lld state=%s progress=%u result=%u reason=%s seq=%llu%s",
           m.meter_id, (long long)m.campaign_id, name, m.progress, m.result, m.reason,
           (unsigned long long)s->seq, retried ? " queued_for_retry=1" : "");
    if (retried) {
        /* the campaign as it is now: a pause or cancel since the first read
         * holds the retry's offer (the other reports need no second read:
         * an evaluation on a stale campaign loses its compare and set) */
        err = ms_ota_campaign_get(&o->c->db, m.campaign_id, c);
        if (err == MS_OK && is(c->state, "running") && m.wave == c->wave) {
            err = ms_ota_offer_wave(o, c);   /* offered again while the campaign runs */
        }
    }
    if (err == MS_OK && s->state == MS_LINK_UPD_SUCCESS) {
        ms_fw_rec_t fw;
        if (ms_ota_fw_get(&o->c->db, c->firmware_sha256, &fw) == MS_OK) {
            err = ms_ota_meter_set_version(&o->c->db, m.meter_id, fw.version);
        }
    }
    if (err == MS_OK) {
        err = ms_ota_meter_seen(&o->c->db, m.meter_id, o->c->now());
    }
    if (err == MS_OK && m.wave == c->wave) {
        err = evaluate(o, c);
    }
    free(c);
    return err;
}

/* ---- the broker's messages ---------------------------------------------------------------- */

static bool topic_is(const char *t, size_t n, const char *suffix, char id[MS_LINK_METER_ID_MAX + 1])
{
    static const char prefix[] = "ms/v1/";
    size_t pl = sizeof prefix - 1, sl = strlen(suffix);
    if (n <= pl + sl + 1 || memcmp(t, prefix, pl) != 0 || memcmp(t + n - sl, suffix, sl) != 0 ||
        t[n - sl - 1] != '/') {
        return false;
    }
    size_t idl = n - pl - sl - 1;
    if (idl == 0 || idl > MS_LINK_METER_ID_MAX || !ms_meter_id_valid(t + pl, idl)) {
        return false;
    }
    memcpy(id, t + pl, idl);
    id[idl] = '\0';
    return true;
}

ms_err_t ms_ota_on_message(ms_ota_t *o, const char *topic, size_t topic_len,
                           const uint8_t *payload, size_t len, bool *handled)
{
    char id[MS_LINK_METER_ID_MAX + 1];
    *handled = false;
    if (topic_is(topic, topic_len, MS_OTA_TOPIC_REQ, id)) {
        *handled = true;
        ms_link_chunk_req_t r;
        ms_err_t err = ms_link_chunk_req_decode(payload, len, &r);
        if (err == MS_OK && strcmp(r.meter_id, id) != 0) {
            err = MS_ERR_LINK_WRONG_METER;
        }
        if (err == MS_OK && ms_ota_meter_revoked(o, id)) {
            err = MS_ERR_X509_REVOKED;   /* no image for a revoked meter */
        }
        if (err != MS_OK) {
            ms_log(MS_LOG_WARN, "update.request_refused", "meter=%s err=%s", id, ms_errname(err));
            return err;
        }
        return ms_ota_on_chunk_request(o, &r);
    }
    if (!topic_is(topic, topic_len, MS_OTA_TOPIC_STATUS, id)) {
        return MS_OK;
    }
    *handled = true;
    ms_meter_rec_t *m = malloc(sizeof *m);
    ms_cose_sign1_t cose;
    ms_link_upd_status_t st;
    ms_err_t err = m != NULL ? o->c->db.ops->meter_get(o->c->db.s, id, m) : MS_ERR_INTERNAL;
    if (err == MS_OK && ms_registry_revoked(o->c, m)) {
        err = MS_ERR_X509_REVOKED;
    }
    if (err == MS_OK) {
        err = len <= MS_COSE_MSG_MAX ? ms_cose_parse(payload, len, &cose) : MS_ERR_FORMAT;
    }
    if (err == MS_OK && !ms_ct_equal(cose.kid, m->kid, sizeof m->kid)) {
        err = MS_ERR_KEY_MISMATCH;
    }
    if (err == MS_OK) {
        err = ms_cose_verify(&cose, &m->pub);
    }
    if (err == MS_OK) {
        err = ms_link_upd_status_decode(cose.payload, cose.payload_len, &st);
    }
    if (err == MS_OK && strcmp(st.meter_id, id) != 0) {
        err = MS_ERR_LINK_WRONG_METER;
    }
    free(m);
    if (err != MS_OK) {
        ms_log(MS_LOG_WARN, "update.status_refused", "meter=%s err=%s", id, ms_errname(err));
        return err;
    }
    return ms_ota_on_status(o, &st);
}
