/* SPDX-License-Identifier: Apache-2.0 */
/*
 * control.c - commands from the cloud and the consumption charge: the only
 * ways the prepaid balance, the relay and the tariff change
 * (meterseal/tee_link.h; docs/cloud.md 5.5).
 *
 * State (PS MS_TEE_UID_LINK_CONTROL, 72 bytes, little-endian):
 *   0 version (1), 1 relay connected, 2 pending top-up, 3..7 zero,
 *   8 tariff id, 16 last applied cmd_seq, 24 next result seq,
 *   32 price (thousandths per kWh), 40 energy register when the tariff was
 *   set, 48 pending cmd_seq, 56 pending amount, 64 the METER update count
 *   before the pending top-up.
 *
 * Invariants:
 *   - A command takes effect only if it verifies with the provisioned
 *     command key, names this meter and carries a cmd_seq above the last
 *     applied one. That cmd_seq is in PS before the effect: a replay after
 *     any crash is refused.
 *   - Relay and tariff changes are written with the new cmd_seq in the same
 *     PS record (atomic). A top-up touches the METER object as well: the
 *     record first marks it pending with the METER update count, and the
 *     next start finishes it if the count shows it was not applied (a power
 *     cut between the two writes applies it exactly once).
 *   - The NSPE changes the balance only by consuming energy at the tariff in
 *     force; charges are floor((E - E0) * price / 1000) differences, so no
 *     fraction of a thousandth is lost or made up between calls.
 *   - Every result carries a result number that is in PS before it leaves.
 */
#include <string.h>

#include "link_internal.h"
#include "meterseal/link_limits.h"

#define CONTROL_VERSION 1u
#define STATE_LEN 72u
#define PRICE_MAX MS_LINK_PRICE_MAX

typedef struct control_state {
    bool relay_connected;
    bool pending;
    uint64_t tariff_id;
    uint64_t last_cmd_seq;
    uint64_t next_result_seq;
    uint64_t price;
    uint64_t tariff_energy0;
    uint64_t pending_seq;
    uint64_t pending_amount;
    uint64_t pending_updates;
} control_state_t;

static ms_err_t load(control_state_t *st)
{
    uint8_t b[STATE_LEN];
    size_t len = 0;
    memset(st, 0, sizeof *st);
    ms_err_t err = ms_link_ps_get(MS_TEE_UID_LINK_CONTROL, b, sizeof b, &len);
    if (err == MS_ERR_NOT_FOUND) {
        st->relay_connected = true;
        st->next_result_seq = 1;
        return MS_OK;
    }
    if (err) {
        return err;
    }
    if (len != STATE_LEN || b[0] != CONTROL_VERSION || b[1] > 1 || b[2] > 1) {
        return MS_ERR_TEE_CORRUPT;
    }
    st->relay_connected = b[1] != 0;
    st->pending = b[2] != 0;
    st->tariff_id = ms_link_get64(b + 8);
    st->last_cmd_seq = ms_link_get64(b + 16);
    st->next_result_seq = ms_link_get64(b + 24);
    st->price = ms_link_get64(b + 32);
    st->tariff_energy0 = ms_link_get64(b + 40);
    st->pending_seq = ms_link_get64(b + 48);
    st->pending_amount = ms_link_get64(b + 56);
    st->pending_updates = ms_link_get64(b + 64);
    return MS_OK;
}

static ms_err_t save(const control_state_t *st)
{
    uint8_t b[STATE_LEN];
    memset(b, 0, sizeof b);
    b[0] = CONTROL_VERSION;
    b[1] = st->relay_connected ? 1 : 0;
    b[2] = st->pending ? 1 : 0;
    ms_link_put64(b + 8, st->tariff_id);
    ms_link_put64(b + 16, st->last_cmd_seq);
    ms_link_put64(b + 24, st->next_result_seq);
    ms_link_put64(b + 32, st->price);
    ms_link_put64(b + 40, st->tariff_energy0);
    ms_link_put64(b + 48, st->pending_seq);
    ms_link_put64(b + 56, st->pending_amount);
    ms_link_put64(b + 64, st->pending_updates);
    return ms_link_ps_set(MS_TEE_UID_LINK_CONTROL, b, sizeof b, 0);
}

static ms_err_t credit(uint64_t amount)
{
    if (amount > (uint64_t)INT64_MAX) {
        return MS_ERR_ARG;
    }
    return ms_tee_meter_add(0, (int64_t)amount, NULL);
}

/* Finish a top-up a power cut interrupted: applied exactly once. */
static ms_err_t recover(control_state_t *st)
{
    if (!st->pending) {
        return MS_OK;
    }
    ms_tee_meter_reg_t reg;
    ms_err_t err = ms_tee_meter_read(&reg);
    if (err) {
        return err;
    }
    if (reg.updates == st->pending_updates) {
        err = credit(st->pending_amount);   /* the cut came before the credit */
        if (err == MS_ERR_ARG) {
            err = MS_OK;                    /* would overflow: dropped, as when first tried */
        }
        if (err) {
            return err;
        }
    }
    st->pending = false;
    return save(st);
}

ms_err_t ms_tee_link_start(void)
{
    control_state_t st;
    ms_err_t err = load(&st);
    return err ? err : recover(&st);
}

ms_err_t ms_link_control_tariff(uint64_t *tariff_id)
{
    control_state_t st;
    ms_err_t err = load(&st);
    *tariff_id = err ? 0 : st.tariff_id;
    return err;
}

/* floor(x * price / 1000) without overflow; false if it does not fit. */
static bool charge_of(uint64_t x, uint64_t price, uint64_t *out)
{
    uint64_t q = x / 1000u, r = x % 1000u;
    if (q != 0 && price > UINT64_MAX / q) {
        return false;
    }
    uint64_t a = q * price, b = r * price / 1000u;   /* r * price < 1000 * PRICE_MAX */
    if (a > UINT64_MAX - b) {
        return false;
    }
    *out = a + b;
    return true;
}

ms_err_t ms_tee_link_consume(uint64_t energy_wh, ms_tee_meter_reg_t *out)
{
    control_state_t st;
    ms_tee_meter_reg_t reg;
    ms_err_t err = load(&st);
    if (!err) {
        err = recover(&st);
    }
    if (!err) {
        err = ms_tee_meter_read(&reg);
    }
    if (err) {
        return err;
    }
    if (energy_wh > UINT64_MAX - reg.energy_wh || reg.energy_wh < st.tariff_energy0) {
        return MS_ERR_ARG;
    }
    uint64_t before = 0, after = 0;
    if (!charge_of(reg.energy_wh - st.tariff_energy0, st.price, &before) ||
        !charge_of(reg.energy_wh + energy_wh - st.tariff_energy0, st.price, &after) ||
        after - before > (uint64_t)INT64_MAX) {
        return MS_ERR_ARG;
    }
    return ms_tee_meter_add(energy_wh, -(int64_t)(after - before), out);
}

/* Check a command; MS_LINK_ST_APPLIED means it may be applied. */
static uint32_t judge(const uint8_t *msg, size_t len, const char *id,
                      const control_state_t *st, ms_link_command_t *c)
{
    ms_p256_pub_t key;
    uint8_t kid[MS_COSE_KID_LEN];
    ms_cose_sign1_t m;
    if (ms_link_command_key(&key, kid) != MS_OK) {
        return MS_LINK_ST_BAD_SIG;
    }
    if (len > MS_LINK_MSG_MAX || ms_cose_sign1_parse(msg, len, &m) != MS_OK) {
        return MS_LINK_ST_MALFORMED;
    }
    /* M12: only the cloud's command key makes a command (kid and signature) */
    if (ms_link_msg_open_kid(msg, len, &key, kid, &m) != MS_OK) {
        return MS_LINK_ST_BAD_SIG;
    }
    if (ms_link_command_decode(m.payload, m.payload_len, c) != MS_OK) {
        return MS_LINK_ST_MALFORMED;
    }
    if (strcmp(c->meter_id, id) != 0) {
        return MS_LINK_ST_WRONG_METER;
    }
    if (c->cmd_seq <= st->last_cmd_seq) {
        return MS_LINK_ST_REPLAY;
    }
    if (c->type == MS_LINK_CMD_TOPUP && c->amount_milli > (uint64_t)INT64_MAX) {
        return MS_LINK_ST_MALFORMED;
    }
    if (c->type == MS_LINK_CMD_TARIFF && c->price_milli_per_kwh > PRICE_MAX) {
        return MS_LINK_ST_MALFORMED;
    }
    return MS_LINK_ST_APPLIED;
}

/* Apply an accepted command; the new cmd_seq reaches PS first. */
static uint32_t apply(control_state_t *st, const ms_link_command_t *c)
{
    ms_tee_meter_reg_t reg;
    if (ms_tee_meter_read(&reg) != MS_OK) {
        return MS_LINK_ST_STORAGE;
    }
    control_state_t next = *st;
    next.last_cmd_seq = c->cmd_seq;
    switch (c->type) {
    case MS_LINK_CMD_RELAY:
        next.relay_connected = c->connect;
        break;
    case MS_LINK_CMD_TARIFF:
        next.tariff_id = c->tariff_id;
        next.price = c->price_milli_per_kwh;
        next.tariff_energy0 = reg.energy_wh;
        break;
    default:   /* top-up: marked pending with the update count */
        next.pending = true;
        next.pending_seq = c->cmd_seq;
        next.pending_amount = c->amount_milli;
        next.pending_updates = reg.updates;
        break;
    }
    if (save(&next) != MS_OK) {
        return MS_LINK_ST_STORAGE;   /* nothing changed */
    }
    *st = next;
    if (c->type == MS_LINK_CMD_TOPUP) {
        ms_err_t err = credit(c->amount_milli);
        st->pending = false;
        if (err == MS_ERR_ARG) {
            return MS_LINK_ST_MALFORMED;   /* the balance would overflow: dropped */
        }
        if (err) {
            st->pending = true;   /* left for recover() at the next start */
            return MS_LINK_ST_STORAGE;
        }
    }
    return MS_LINK_ST_APPLIED;
}

ms_err_t ms_tee_link_command(const uint8_t *msg, size_t len, uint8_t *result, size_t cap,
                             size_t *result_len, uint32_t *status)
{
    char id[MS_LINK_METER_ID_MAX + 1];
    control_state_t st;
    ms_link_command_t c;
    ms_link_result_t res;
    ms_tee_meter_reg_t reg;
    uint8_t payload[MS_LINK_PAYLOAD_MAX];
    size_t n = 0;
    if (msg == NULL || result == NULL || result_len == NULL || status == NULL) {
        return MS_ERR_ARG;
    }
    *result_len = 0;
    *status = MS_LINK_ST_MALFORMED;
    ms_err_t err = ms_tee_link_meter_id(id);
    if (!err) {
        err = load(&st);
    }
    if (!err) {
        err = recover(&st);
    }
    if (err) {
        return err;
    }
    memset(&c, 0, sizeof c);
    uint32_t verdict = judge(msg, len, id, &st, &c);
    if (verdict == MS_LINK_ST_APPLIED) {
        verdict = apply(&st, &c);
    }
    /* the result: its number is in PS before it leaves */
    memset(&res, 0, sizeof res);
    memcpy(res.meter_id, id, sizeof id);
    res.result_seq = st.next_result_seq;
    res.cmd_seq = c.cmd_seq;
    res.status = verdict;
    st.next_result_seq++;
    err = save(&st);
    if (!err) {
        err = ms_tee_meter_read(&reg);
    }
    if (err) {
        return err;
    }
    res.balance_milli = reg.balance_milli;
    *status = verdict;
    err = ms_link_result_encode(&res, payload, sizeof payload, &n);
    return err ? err : ms_link_seal(payload, n, result, cap, result_len);
}

ms_err_t ms_tee_link_status(ms_tee_link_status_t *out)
{
    control_state_t st;
    if (out == NULL) {
        return MS_ERR_ARG;
    }
    memset(out, 0, sizeof *out);
    ms_err_t err = load(&st);
    if (!err) {
        err = ms_link_report_status(out);
    }
    if (!err) {
        out->last_cmd_seq = st.last_cmd_seq;
        out->next_result_seq = st.next_result_seq;
        out->relay_connected = st.relay_connected;
        out->tariff_id = st.tariff_id;
        out->price_milli_per_kwh = st.price;
    }
    return err;
}
