/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_link_policy.c - what the Secure kernel lets the link partition ask
 * (firmware/secure/link_client.c, tee_link_serve), with the partition
 * assumed taken over: compiled for the host with the kernel's messaging
 * stubbed. A stubbed call "runs the partition" by making the requests a
 * test case gives it, while the call is in flight, as on the meter.
 *
 * Checked: the factory's PS records are read-only, the ticket is refused
 * both ways, writes carry no flags and are bounded per kind of call; the
 * meter's ADD moves the energy only as the Non-secure ADD gives it and the
 * balance down by at most the dearest tariff's charge for it, the balance
 * up only in a COMMAND (two) or once for a pending top-up (spent only when
 * applied, given again by a COMMAND); nothing outside a call, nor in a call
 * made while a partition runs; the link's own key only; the answer's shape.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "meterseal/link_limits.h"
#include "part_keystore.h"
#include "part_link.h"

/* ---- the kernel's pieces link_client.c calls, stubbed ---------------------------- */

static void (*g_partition)(void);   /* what the partition does during a call */
static uint32_t g_stored;           /* requests that reached storage */
static ms_tee_partition_t g_key_as;
static ms_tee_key_id_t g_key_id;
static uint32_t g_answer_len[MS_TEE_MAX_IOVEC];   /* the partition's answer: lengths */
static uint32_t g_answer_extra;                    /* bytes more than the shape */
static int32_t g_meter_err;                        /* storage's answer to a meter ADD */
static bool g_busy;                                /* a partition runs */

bool spm_busy(void)
{
    return g_busy;
}

psa_status_t spm_callv(uint32_t pid, int32_t type, const spm_iov_t *in, size_t n_in,
                       const spm_ovec_t *out, size_t n_out, size_t *out_len)
{
    (void)in;
    (void)n_in;
    assert_int_equal(pid, SPM_PART_LINK);
    assert_int_equal(type, LINK_MSG_CALL);
    if (g_partition != NULL) {
        g_partition();
    }
    uint32_t ans[1 + MS_TEE_MAX_IOVEC] = { PSA_SUCCESS };
    memcpy(ans + 1, g_answer_len, sizeof g_answer_len);
    memcpy(out[0].base, ans, sizeof ans);
    size_t n = sizeof ans;
    for (size_t i = 1; i < n_out; i++) {
        memset(out[i].base, 0xA5, out[i].len);
        n += out[i].len;
    }
    *out_len = n + g_answer_extra;
    return PSA_SUCCESS;
}

psa_status_t tee_storage_serve_link(int32_t type, const uint8_t *in, size_t len, uint8_t *out,
                                    size_t cap, size_t *out_len)
{
    (void)in;
    (void)len;
    *out_len = 0;
    g_stored++;
    if (type == STORAGE_MSG_METER_ADD && cap >= STORAGE_METER_LEN) {
        memset(out, 0, STORAGE_METER_LEN);
        memcpy(out, &g_meter_err, sizeof g_meter_err);
        *out_len = STORAGE_METER_LEN;
    }
    return PSA_SUCCESS;
}

psa_status_t tee_keystore_serve_key(ms_tee_partition_t as, ms_tee_key_id_t key, int32_t type,
                                    const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                                    size_t *out_len)
{
    (void)type;
    (void)in;
    (void)len;
    (void)out;
    (void)cap;
    *out_len = 0;
    g_key_as = as;
    g_key_id = key;
    return PSA_SUCCESS;
}

/* ---- requests as the partition makes them --------------------------------------- */

static psa_status_t ps(int32_t op, uint64_t uid, uint32_t flags)
{
    uint8_t b[STORAGE_HDR_LEN + 4];
    uint8_t out[16];
    size_t n = 0;
    uint32_t len = 4;
    memset(b, 0, sizeof b);
    memcpy(b, &uid, 8);
    memcpy(b + 8, &flags, 4);
    memcpy(b + 12, &len, 4);
    size_t in_len = op == STORAGE_MSG_INFO || op == STORAGE_MSG_REMOVE ? 8u : sizeof b;
    return tee_link_serve(STORAGE_PS | op, b, in_len, out, sizeof out, &n);
}

static psa_status_t add(uint64_t energy, int64_t delta)
{
    uint8_t b[16], out[32];
    size_t n = 0;
    memcpy(b, &energy, 8);
    memcpy(b + 8, &delta, 8);
    return tee_link_serve(STORAGE_MSG_METER_ADD, b, sizeof b, out, sizeof out, &n);
}

/* One call from the Non-secure world: the dispatcher's checked copy. */
static psa_status_t call(uint32_t sid, int32_t type, const void *in, size_t in_len,
                         void (*partition)(void))
{
    uint8_t out_buf[64];
    ms_tee_msg_t m;
    memset(&m, 0, sizeof m);
    m.caller = MS_TEE_PART_NSPE;
    m.type = type;
    m.n_in = in != NULL ? 1 : 0;
    m.in[0] = in;
    m.in_len[0] = in_len;
    m.n_out = 1;
    m.out[0] = out_buf;
    m.out_cap[0] = sizeof out_buf;
    g_partition = partition;
    psa_status_t st = tee_link_forward(sid, &m);
    g_partition = NULL;
    return st;
}

static psa_status_t meter_add_call(uint64_t energy, void (*partition)(void))
{
    return call(MS_TEE_SID_METER, MS_TEE_METER_ADD, &energy, sizeof energy, partition);
}

/* ---- PS ------------------------------------------------------------------------- */

static void ps_in_a_call(void)
{
    /* reads of its records, the factory's among them; not the ticket */
    assert_int_equal(ps(STORAGE_MSG_GET, MS_TEE_UID_LINK_CA, 0), PSA_SUCCESS);
    assert_int_equal(ps(STORAGE_MSG_INFO, MS_TEE_UID_LINK_BROKER, 0), PSA_SUCCESS);
    assert_int_equal(ps(STORAGE_MSG_GET, MS_TEE_UID_LINK_TICKET, 0), PSA_ERROR_NOT_PERMITTED);
    /* the factory's records are read-only */
    assert_int_equal(ps(STORAGE_MSG_SET, MS_TEE_UID_LINK_CA, 0), PSA_ERROR_NOT_PERMITTED);
    assert_int_equal(ps(STORAGE_MSG_SET, MS_TEE_UID_LINK_BROKER, 0), PSA_ERROR_NOT_PERMITTED);
    assert_int_equal(ps(STORAGE_MSG_SET, MS_TEE_UID_LINK_CERT, 0), PSA_ERROR_NOT_PERMITTED);
    assert_int_equal(ps(STORAGE_MSG_REMOVE, MS_TEE_UID_LINK_CA, 0), PSA_ERROR_NOT_PERMITTED);
    assert_int_equal(ps(STORAGE_MSG_SET, MS_TEE_UID_LINK_TICKET, 0), PSA_ERROR_NOT_PERMITTED);
    /* its own records, without flags */
    assert_int_equal(ps(STORAGE_MSG_SET, MS_TEE_UID_LINK_REPORT, 0), PSA_SUCCESS);
    assert_int_equal(ps(STORAGE_MSG_SET, MS_TEE_UID_LINK_CONTROL,
                        PSA_STORAGE_FLAG_WRITE_ONCE), PSA_ERROR_NOT_PERMITTED);
    assert_int_equal(ps(STORAGE_MSG_SET, MS_TEE_UID_LINK_CONTROL,
                        PSA_STORAGE_FLAG_NO_REPLAY_PROTECTION), PSA_ERROR_NOT_PERMITTED);
    assert_int_equal(ps(STORAGE_MSG_REMOVE, MS_TEE_UID_LINK_REPORT, 0), PSA_ERROR_NOT_PERMITTED);
    /* nothing else: another uid, ITS, an extended write */
    assert_int_equal(ps(STORAGE_MSG_GET, MS_TEE_UID_LINK_LAST + 1, 0), PSA_ERROR_NOT_PERMITTED);
    assert_int_equal(ps(STORAGE_MSG_GET, 7, 0), PSA_ERROR_NOT_PERMITTED);
    assert_int_equal(ps(STORAGE_MSG_SET_EXT, MS_TEE_UID_LINK_REPORT, 0), PSA_ERROR_NOT_PERMITTED);
    uint8_t b[STORAGE_HDR_LEN] = { 0 }, out[8];
    size_t n = 0;
    uint64_t uid = MS_TEE_UID_LINK_REPORT;
    memcpy(b, &uid, 8);
    assert_int_equal(tee_link_serve(STORAGE_MSG_SET, b, sizeof b, out, sizeof out, &n),
                     PSA_ERROR_NOT_PERMITTED);
}

static void test_ps_factory_records_read_only_ticket_refused(void **state)
{
    (void)state;
    g_stored = 0;
    assert_int_equal(call(MS_TEE_SID_LINK, MS_TEE_LINK_STATUS, NULL, 0, ps_in_a_call),
                     PSA_SUCCESS);
    assert_int_equal(g_stored, 3);   /* the two reads and the one write allowed */
}

static void status_writes(void)
{
    /* a status writes nothing; the two a pending top-up's recovery may need */
    assert_int_equal(ps(STORAGE_MSG_SET, MS_TEE_UID_LINK_CONTROL, 0), PSA_SUCCESS);
    assert_int_equal(ps(STORAGE_MSG_SET, MS_TEE_UID_LINK_CONTROL, 0), PSA_SUCCESS);
    assert_int_equal(ps(STORAGE_MSG_SET, MS_TEE_UID_LINK_CONTROL, 0), PSA_ERROR_NOT_PERMITTED);
    assert_int_equal(ps(STORAGE_MSG_GET, MS_TEE_UID_LINK_CONTROL, 0), PSA_SUCCESS);
}

static void reading_writes(void)
{
    for (uint32_t i = 0; i < 4; i++) {   /* its two, and the recovery's two */
        assert_int_equal(ps(STORAGE_MSG_SET, MS_TEE_UID_LINK_REPORT, 0), PSA_SUCCESS);
    }
    assert_int_equal(ps(STORAGE_MSG_SET, MS_TEE_UID_LINK_REPORT, 0), PSA_ERROR_NOT_PERMITTED);
}

static void test_ps_writes_bounded_per_call(void **state)
{
    (void)state;
    assert_int_equal(call(MS_TEE_SID_LINK, MS_TEE_LINK_STATUS, NULL, 0, status_writes),
                     PSA_SUCCESS);
    assert_int_equal(call(MS_TEE_SID_LINK, MS_TEE_LINK_READING, NULL, 0, reading_writes),
                     PSA_SUCCESS);
    /* and the next call has its own */
    assert_int_equal(call(MS_TEE_SID_LINK, MS_TEE_LINK_READING, NULL, 0, reading_writes),
                     PSA_SUCCESS);
}

/* ---- the meter's ADD ---------------------------------------------------------- */

static void add_of_5(void)
{
    assert_int_equal(add(7, -1), PSA_ERROR_NOT_PERMITTED);    /* another energy */
    assert_int_equal(add(5, 3), PSA_ERROR_NOT_PERMITTED);     /* the balance up with it */
    /* more than the dearest tariff charges for 5 Wh */
    assert_int_equal(add(5, -(int64_t)(5 * (MS_LINK_PRICE_MAX / 1000u) + 2)),
                     PSA_ERROR_NOT_PERMITTED);
    assert_int_equal(add(5, INT64_MIN), PSA_ERROR_NOT_PERMITTED);
    assert_int_equal(add(5, -(int64_t)(5 * (MS_LINK_PRICE_MAX / 1000u) + 1)), PSA_SUCCESS);
    assert_int_equal(add(5, -3), PSA_ERROR_NOT_PERMITTED);    /* once */
    /* the recovery of a pending top-up: storage fails it, so it stays */
    g_meter_err = (int32_t)MS_ERR_STATE;
    assert_int_equal(add(0, 100), PSA_SUCCESS);
    g_meter_err = MS_OK;
    assert_int_equal(add(0, 100), PSA_ERROR_NOT_PERMITTED);   /* one per call */
}

static void add_of_5_recovers(void)
{
    assert_int_equal(add(0, 100), PSA_SUCCESS);               /* applied now: spent */
    assert_int_equal(add(5, 0), PSA_SUCCESS);
}

static void add_of_5_no_credit(void)
{
    assert_int_equal(add(0, 100), PSA_ERROR_NOT_PERMITTED);   /* the recovery is spent */
    assert_int_equal(add(5, -1), PSA_SUCCESS);
}

static void add_of_0(void)
{
    assert_int_equal(add(0, -1), PSA_ERROR_NOT_PERMITTED);    /* no energy, no charge */
    assert_int_equal(add(0, 0), PSA_SUCCESS);
}

static void command(void)
{
    assert_int_equal(add(5, -1), PSA_ERROR_NOT_PERMITTED);    /* no energy in a command */
    assert_int_equal(add(0, 100), PSA_SUCCESS);
    assert_int_equal(add(0, 50), PSA_SUCCESS);
    assert_int_equal(add(0, 1), PSA_ERROR_NOT_PERMITTED);
}

static void reading_after_a_command(void)
{
    /* the command gave the recovery again, once */
    assert_int_equal(add(0, 100), PSA_SUCCESS);
    assert_int_equal(add(0, 1), PSA_ERROR_NOT_PERMITTED);
    assert_int_equal(add(5, -1), PSA_ERROR_NOT_PERMITTED);
    assert_int_equal(tee_link_serve(STORAGE_MSG_METER_READ, NULL, 0, NULL, 0, &(size_t){ 0 }),
                     PSA_SUCCESS);
}

static void reading_spent(void)
{
    assert_int_equal(add(0, 100), PSA_ERROR_NOT_PERMITTED);
}

static void test_meter_add_only_as_the_call_allows(void **state)
{
    (void)state;
    assert_int_equal(meter_add_call(5, add_of_5), PSA_SUCCESS);
    assert_int_equal(meter_add_call(5, add_of_5_recovers), PSA_SUCCESS);
    assert_int_equal(meter_add_call(5, add_of_5_no_credit), PSA_SUCCESS);
    assert_int_equal(meter_add_call(0, add_of_0), PSA_SUCCESS);
    assert_int_equal(call(MS_TEE_SID_LINK, MS_TEE_LINK_COMMAND, "c", 1, command), PSA_SUCCESS);
    assert_int_equal(call(MS_TEE_SID_LINK, MS_TEE_LINK_READING, NULL, 0, reading_after_a_command),
                     PSA_SUCCESS);
    assert_int_equal(call(MS_TEE_SID_LINK, MS_TEE_LINK_READING, NULL, 0, reading_spent),
                     PSA_SUCCESS);
    /* outside any call: nothing */
    assert_int_equal(add(0, 1), PSA_ERROR_NOT_PERMITTED);
    assert_int_equal(ps(STORAGE_MSG_SET, MS_TEE_UID_LINK_REPORT, 0), PSA_ERROR_NOT_PERMITTED);
}

/* A call made while a partition runs is not sent, and leaves the allowance
 * of the call in flight as it was. */
static void nested(void)
{
    g_busy = true;
    uint64_t e = 9;
    assert_int_equal(meter_add_call(e, NULL), PSA_ERROR_BAD_STATE);
    g_busy = false;
    assert_int_equal(add(9, -1), PSA_ERROR_NOT_PERMITTED);    /* not the nested call's */
    assert_int_equal(add(5, -1), PSA_SUCCESS);                /* the outer call's */
}

static void test_call_while_a_partition_runs_is_refused(void **state)
{
    (void)state;
    assert_int_equal(meter_add_call(5, nested), PSA_SUCCESS);
}

/* ---- keys and answers ------------------------------------------------------------ */

/* The kernel names the link and its identity key to the key store's serve
 * function, whatever the request's header says (tee_keystore_serve_key
 * then refuses a header naming another key). */
static void test_key_requests_are_the_links_identity_key(void **state)
{
    (void)state;
    ks_hdr_t h = { .caller = (int32_t)MS_TEE_PART_ATTEST, .id = MS_TEE_KEY_IAK };
    uint8_t out[80];
    size_t n = 0;
    assert_int_equal(tee_link_serve(KS_MSG_SIGN, (const uint8_t *)&h, sizeof h, out, sizeof out,
                                    &n), PSA_SUCCESS);
    assert_int_equal(g_key_as, MS_TEE_PART_LINK);
    assert_int_equal(g_key_id, MS_TEE_KEY_IDENTITY);
    assert_int_equal(tee_link_serve(KS_MSG_ECDH, (const uint8_t *)&h, sizeof h, out, sizeof out,
                                    &n), PSA_ERROR_NOT_PERMITTED);
}

static void test_answer_taken_in_its_exact_shape(void **state)
{
    (void)state;
    memset(g_answer_len, 0, sizeof g_answer_len);
    g_answer_extra = 0;
    g_answer_len[0] = 64;
    assert_int_equal(call(MS_TEE_SID_LINK, MS_TEE_LINK_STATUS, NULL, 0, NULL), PSA_SUCCESS);
    g_answer_len[0] = 65;   /* past the cap */
    assert_int_equal(call(MS_TEE_SID_LINK, MS_TEE_LINK_STATUS, NULL, 0, NULL),
                     PSA_ERROR_SERVICE_FAILURE);
    g_answer_len[0] = 0;
    g_answer_len[1] = 1;    /* a length for an answer the call has not */
    assert_int_equal(call(MS_TEE_SID_LINK, MS_TEE_LINK_STATUS, NULL, 0, NULL),
                     PSA_ERROR_SERVICE_FAILURE);
    g_answer_len[1] = 0;
    g_answer_extra = 1;     /* more bytes than the shape */
    assert_int_equal(call(MS_TEE_SID_LINK, MS_TEE_LINK_STATUS, NULL, 0, NULL),
                     PSA_ERROR_SERVICE_FAILURE);
    g_answer_extra = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ps_factory_records_read_only_ticket_refused),
        cmocka_unit_test(test_ps_writes_bounded_per_call),
        cmocka_unit_test(test_meter_add_only_as_the_call_allows),
        cmocka_unit_test(test_call_while_a_partition_runs_is_refused),
        cmocka_unit_test(test_key_requests_are_the_links_identity_key),
        cmocka_unit_test(test_answer_taken_in_its_exact_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
