/* SPDX-License-Identifier: Apache-2.0 */
/*
 * link_client.c - the Secure kernel's side of the link partition
 * (part_link.h): the dispatcher's link handler, which carries a checked
 * call to the partition and its answer back, and the kernel's side of the
 * partition's requests (tee_link_serve).
 *
 * Provisioning (ms_tee_link_provision_*, called by the factory session
 * before the Non-secure world runs) and the meter id the boot prints stay
 * kernel calls into src/tee/link: they keep no state of the link's but
 * their PS records, and run before the partition serves anything.
 *
 * Invariants:
 *   - An answer is taken only in its exact shape: status, then each
 *     answer's length within its cap, then exactly the caps' bytes (the
 *     status alone for a failed call); anything else is
 *     PSA_ERROR_SERVICE_FAILURE and nothing reaches the caller's buffers
 *     but zeros (the dispatcher copies out only on success).
 *   - The partition's requests are served as MS_TEE_PART_LINK only, and
 *     only what part_link.h lists, within what the call in flight allows
 *     (allow, below); the caller word of a request's header is not trusted.
 *     The partition is assumed taken over (it parses TLS and the cloud's
 *     messages), so what it may write is what a clean one needs:
 *       - PS: reads of its records, but not the session ticket; writes (no
 *         flags) of the four records it keeps (REPORT, CONTROL, UPDATE,
 *         UPD_SEQ)
 *         only, as many per call as a clean link makes in that kind of
 *         call (writes_for). The factory's records (meter id, command key,
 *         certificate, CA, broker) are read-only: a partition taken over
 *         cannot pin another CA or broker for the clean one after its
 *         restart. The ticket is kept in the partition's RAM only: a
 *         ticket is Mbed TLS's trusted internal state (ssl.h: tampered, it
 *         may mean code execution, and it carries the resumption key and
 *         the certificate check's result), so one written by a partition
 *         taken over must not reach the clean one after a reset.
 *       - the meter's ADD: the energy only as the Non-secure world's own
 *         ADD gives it, with the balance moving down by at most what the
 *         dearest tariff charges for it; the balance up (a top-up, energy
 *         0) only while a COMMAND is served (two: one a power cut left
 *         pending, the new one), and, for the top-up a power cut left
 *         pending, once in any call after it (given again by each COMMAND).
 *         The top-up's signature and sequence number are the partition's to
 *         check: a partition taken over holds that authority (any amount,
 *         in any COMMAND call the Non-secure world makes), and can
 *         overcharge up to the dearest tariff; it cannot move the energy
 *         register.
 *   - The request types the partition may use are distinct numbers (the
 *     key store's, storage's PS and meter types), so none is served as
 *     another service's.
 */
#include <string.h>

#include "meterseal/link_limits.h"
#include "part_keystore.h"
#include "part_link.h"

_Static_assert(KS_MSG_SIGN != KS_MSG_EXPORT && KS_MSG_SIGN < STORAGE_PS &&
                   KS_MSG_EXPORT < STORAGE_PS && KS_MSG_SIGN != STORAGE_MSG_METER_READ &&
                   KS_MSG_SIGN != STORAGE_MSG_METER_ADD && KS_MSG_EXPORT != STORAGE_MSG_METER_READ &&
                   KS_MSG_EXPORT != STORAGE_MSG_METER_ADD && STORAGE_MSG_METER_ADD < STORAGE_PS,
               "the link's request types are distinct");

/* The most a charge may take per Wh: the dearest tariff the link accepts
 * (MS_LINK_PRICE_MAX milli per kWh), plus one for the rounding between two
 * readings of the register. */
#define CHARGE_MAX_PER_WH (MS_LINK_PRICE_MAX / 1000u)

/* What the call in flight allows the partition to ask (tee_link_serve). */
static struct {
    uint32_t writes;           /* PS writes and meter ADDs */
    uint32_t charges;          /* ADDs of the caller's energy, the balance down */
    uint64_t charge_energy;
    uint64_t charge_max;       /* the most such an ADD may take, milli */
    uint32_t credits;          /* ADDs of no energy, the balance up, a command's */
    bool recovery;             /* one more credit: a pending top-up's recovery */
} allow;

/* The top-up a power cut left pending (control.c, recover()) is applied by
 * whichever call comes first after it: one credit outside a command, used
 * up once it succeeds, and given again by each COMMAND call (which may
 * itself leave one pending). */
static bool recovery_credit = true;

/* PS writes and meter ADDs a clean link makes in one call of each kind
 * (src/tee/link): a command saves its control record three times and
 * credits twice; a reading, an event, an acknowledgement, an offer write
 * their record; an ADD charges once. The recovery of a pending top-up adds
 * a credit and a save to any call. None for the rest. */
static uint32_t writes_for(uint32_t sid, int32_t type)
{
    if (sid == MS_TEE_SID_METER) {
        return 1;
    }
    switch (type) {
    case MS_TEE_LINK_COMMAND:
        return 5;
    case MS_TEE_LINK_READING:
        return 2;
    case MS_TEE_LINK_EVENT:
    case MS_TEE_LINK_ACK:
    case MS_TEE_LINK_OFFER:
    case MS_TEE_LINK_UPD_STATUS:   /* the next status number */
        return 1;
    default:
        return 0;
    }
}

static void allow_for(uint32_t sid, const ms_tee_msg_t *m)
{
    memset(&allow, 0, sizeof allow);
    allow.writes = writes_for(sid, m->type) + (recovery_credit ? 2u : 0u);
    allow.recovery = recovery_credit;
    if (sid == MS_TEE_SID_METER && m->type == MS_TEE_METER_ADD && m->n_in == 1 &&
        m->in_len[0] == 8) {
        uint64_t e;
        memcpy(&e, m->in[0], sizeof e);
        allow.charges = 1;
        allow.charge_energy = e;
        allow.charge_max = e == 0                                    ? 0
                           : e > (INT64_MAX - 1) / CHARGE_MAX_PER_WH ? INT64_MAX
                                                                     : e * CHARGE_MAX_PER_WH + 1;
    } else if (sid == MS_TEE_SID_LINK && m->type == MS_TEE_LINK_COMMAND) {
        allow.credits = 2;
    }
}

psa_status_t tee_link_forward(uint32_t sid, ms_tee_msg_t *m)
{
    uint8_t hdr[LINK_CALL_HDR];
    uint32_t words[5] = { sid, (uint32_t)m->caller, (uint32_t)m->type, (uint32_t)m->n_in,
                          (uint32_t)m->n_out };
    uint32_t ans[1 + MS_TEE_MAX_IOVEC];
    spm_iov_t in[1 + MS_TEE_MAX_IOVEC];
    spm_ovec_t out[1 + MS_TEE_MAX_IOVEC];
    size_t caps = 0;

    if (m->n_in > MS_TEE_MAX_IOVEC || m->n_out > MS_TEE_MAX_IOVEC) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    memset(hdr, 0, sizeof hdr);
    memcpy(hdr, words, sizeof words);
    in[0] = (spm_iov_t){ hdr, sizeof hdr };
    for (size_t i = 0; i < m->n_in; i++) {
        uint32_t n = (uint32_t)m->in_len[i];
        memcpy(hdr + 20 + 4 * i, &n, 4);
        in[1 + i] = (spm_iov_t){ m->in[i], m->in_len[i] };
    }
    memset(ans, 0, sizeof ans);
    out[0] = (spm_ovec_t){ ans, sizeof ans };
    for (size_t i = 0; i < m->n_out; i++) {
        uint32_t n = (uint32_t)m->out_cap[i];
        memcpy(hdr + 20 + 4 * MS_TEE_MAX_IOVEC + 4 * i, &n, 4);
        out[1 + i] = (spm_ovec_t){ m->out[i], m->out_cap[i] };
        caps += m->out_cap[i];
        m->out_len[i] = 0;
    }
    size_t got = 0;
    if (spm_busy()) {
        return PSA_ERROR_BAD_STATE;   /* a partition runs: this call's allowance would be its */
    }
    allow_for(sid, m);
    psa_status_t st = spm_callv(SPM_PART_LINK, LINK_MSG_CALL, in, 1 + m->n_in, out, 1 + m->n_out,
                                &got);
    memset(&allow, 0, sizeof allow);
    if (sid == MS_TEE_SID_LINK && m->type == MS_TEE_LINK_COMMAND) {
        recovery_credit = true;   /* a top-up it left pending is applied by the next call */
    }
    if (st == PSA_ERROR_BAD_STATE) {
        return PSA_ERROR_BAD_STATE;   /* not sent: a handler, or a partition runs */
    }
    if (st != PSA_SUCCESS || got < sizeof ans) {
        return PSA_ERROR_SERVICE_FAILURE;   /* it faulted (restarted), or a wrong answer */
    }
    psa_status_t status = (psa_status_t)ans[0];
    bool ok = got == sizeof ans + (status == PSA_SUCCESS ? caps : 0u);
    for (size_t i = 0; ok && i < MS_TEE_MAX_IOVEC; i++) {
        ok = i < m->n_out && status == PSA_SUCCESS ? ans[1 + i] <= m->out_cap[i] : ans[1 + i] == 0;
    }
    if (!ok) {
        for (size_t i = 0; i < m->n_out; i++) {
            memset(m->out[i], 0, m->out_cap[i]);
        }
        return PSA_ERROR_SERVICE_FAILURE;
    }
    for (size_t i = 0; i < m->n_out; i++) {
        m->out_len[i] = ans[1 + i];
    }
    return status;
}

/* A meter ADD the call in flight allows: energy(8) delta(8). *recovery:
 * it takes the recovery credit (spent once storage applied it). */
static bool meter_add_allowed(const uint8_t *in, size_t len, bool *recovery)
{
    uint64_t energy;
    int64_t delta;
    *recovery = false;
    if (len != 16u || allow.writes == 0) {
        return false;
    }
    memcpy(&energy, in, 8);
    memcpy(&delta, in + 8, 8);
    if (allow.charges != 0 && energy == allow.charge_energy && delta <= 0 &&
        0u - (uint64_t)delta <= allow.charge_max) {   /* |delta|, INT64_MIN's too */
        allow.charges--;
    } else if (energy == 0 && delta >= 0 && allow.credits != 0) {
        allow.credits--;
    } else if (energy == 0 && delta >= 0 && allow.recovery) {
        allow.recovery = false;
        *recovery = true;
    } else {
        return false;
    }
    allow.writes--;
    return true;
}

/* A PS request the link may make: reads of its records but the ticket,
 * writes without flags of the four it keeps. */
static bool ps_allowed(int32_t type, const uint8_t *in, size_t len)
{
    uint64_t uid;
    uint32_t flags = 0;
    if (len < sizeof uid) {
        return false;
    }
    memcpy(&uid, in, sizeof uid);
    if (uid < MS_TEE_UID_LINK_FIRST || uid > MS_TEE_UID_LINK_LAST ||
        uid == MS_TEE_UID_LINK_TICKET) {
        return false;
    }
    if (type == (STORAGE_PS | STORAGE_MSG_GET) || type == (STORAGE_PS | STORAGE_MSG_INFO)) {
        return true;
    }
    if (type == (STORAGE_PS | STORAGE_MSG_SET) && len >= STORAGE_HDR_LEN) {
        memcpy(&flags, in + 8, sizeof flags);   /* SET: uid(8) flags(4) length(4) data */
    } else {
        return false;
    }
    if (flags != 0 || allow.writes == 0 ||
        (uid != MS_TEE_UID_LINK_REPORT && uid != MS_TEE_UID_LINK_CONTROL &&
         uid != MS_TEE_UID_LINK_UPDATE && uid != MS_TEE_UID_LINK_UPD_SEQ)) {
        return false;
    }
    allow.writes--;
    return true;
}

psa_status_t tee_link_serve(int32_t type, const uint8_t *in, size_t len, uint8_t *out,
                            size_t cap, size_t *out_len)
{
    *out_len = 0;
    if (type == KS_MSG_SIGN || type == KS_MSG_EXPORT) {
        return tee_keystore_serve_key(MS_TEE_PART_LINK, MS_TEE_KEY_IDENTITY, type, in, len, out,
                                      cap, out_len);
    }
    if (type == STORAGE_MSG_METER_ADD) {
        bool recovery;
        if (!meter_add_allowed(in, len, &recovery)) {
            return PSA_ERROR_NOT_PERMITTED;
        }
        psa_status_t st = tee_storage_serve_link(type, in, len, out, cap, out_len);
        int32_t err = (int32_t)MS_ERR_INTERNAL;
        if (st == PSA_SUCCESS && *out_len >= sizeof err) {
            memcpy(&err, out, sizeof err);
        }
        if (recovery && err == (int32_t)MS_OK) {
            recovery_credit = false;   /* applied: the boot's one is spent */
        }
        return st;
    }
    if (type == STORAGE_MSG_METER_READ || ps_allowed(type, in, len)) {
        return tee_storage_serve_link(type, in, len, out, cap, out_len);
    }
    return PSA_ERROR_NOT_PERMITTED;
}
