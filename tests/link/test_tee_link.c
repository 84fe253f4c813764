/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_tee_link.c - the TEE's cloud-link partition (tee_link.h) over the
 * real storage, key store and attestation partitions on simulated flash:
 *   - provisioning: the CSR verifies with another implementation (OpenSSL)
 *     and carries the identity key, the token binds that key to the nonce,
 *     only BOOT may provision, write-once fields stay;
 *   - readings: the TEE's own values, sequence numbers that survive a
 *     restart and never repeat, the queue and its acknowledgements (only
 *     the cloud's key removes anything);
 *   - commands: a forged, replayed, misaddressed or malformed top-up
 *     changes nothing; a genuine one applies exactly once, even with power
 *     cut at every flash operation; sequence numbers survive restart;
 *   - the NSPE cannot move the balance: not through METER ADD, not through
 *     PS, not by signing a reading or command itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "meterseal/link_client.h"
#include "meterseal/link_update.h"
#include "meterseal/tee_attest.h"
#include "meterseal/tee_dispatch.h"
#include "meterseal/tee_keystore.h"
#include "meterseal/tee_link.h"
#include "meterseal/tee_storage.h"
#include "pki.h"
#include "tee_hooks_host.h"
#include "tee_test_util.h"

#define METER "m-000001"

static tt_flash_t g_its, g_ps;
static pki_ca_t *g_mfr, *g_cloud;
static ms_p256_priv_t g_cmd_priv, g_rogue_priv;
static ms_p256_pub_t g_cmd_pub, g_rogue_pub, g_identity, g_iak;
static uint8_t g_cert[1024], g_ca[1024], g_csr[512], g_token[MS_TEE_ATTEST_TOKEN_MAX];
static size_t g_cert_len, g_ca_len, g_csr_len, g_token_len;
static const uint8_t g_nonce[32] = "nonce from the cloud, 32 bytes.";

static ms_err_t soft_sign(void *ctx, const uint8_t hash[MS_SHA256_LEN], uint8_t *der, size_t cap,
                          size_t *len)
{
    return ms_p256_sign(ctx, hash, der, cap, len);
}

static void set_boot_record(void)
{
    static const char *const types[1] = { "SPE" };
    ms_image_measurement_t meas[1];
    uint8_t impl[32];
    memset(meas, 0, sizeof meas);
    memset(meas[0].hash, 0x5e, 32);
    memset(impl, 0x1d, sizeof impl);
    assert_int_equal(ms_tee_attest_set_boot_record(MS_TEE_PART_BOOT, meas, types, 1, impl,
                                                   MS_TEE_ATTEST_LIFECYCLE_SECURED), MS_OK);
}

static ms_tee_link_creds_t creds(void)
{
    ms_tee_link_creds_t c = { METER, g_cert, g_cert_len, g_ca, g_ca_len, "localhost:8883",
                              &g_cmd_pub };
    return c;
}

static void restart(void)
{
    /* a power cycle: RAM state gone, storage mounted again from flash */
    ms_tee_link_stop();
    assert_int_equal(ms_tee_storage_init(&g_its.area, &g_ps.area), MS_OK);
    assert_int_equal(ms_tee_link_start(), MS_OK);
}

static int setup(void **state)
{
    (void)state;
    if (tt_services_open(&g_its, &g_ps, 12, 0x77) != MS_OK) {
        return -1;
    }
    set_boot_record();
    if (ms_tee_link_provision_request(MS_TEE_PART_BOOT, METER, g_nonce, g_csr, sizeof g_csr,
                                      &g_csr_len, g_token, sizeof g_token, &g_token_len,
                                      &g_iak) != MS_OK) {
        return -1;
    }
    g_mfr = pki_ca_new("Test Manufacturer CA");
    g_cloud = pki_ca_new("Test Cloud CA");
    g_cert_len = pki_issue_csr(g_mfr, g_csr, g_csr_len, PKI_CLIENT, -1, 365, g_cert,
                               sizeof g_cert);
    g_ca_len = pki_ca_cert_der(g_cloud, g_ca, sizeof g_ca);
    if (g_cert_len == 0 || g_ca_len == 0 || ms_p256_keygen(&g_cmd_priv, &g_cmd_pub) != MS_OK ||
        ms_p256_keygen(&g_rogue_priv, &g_rogue_pub) != MS_OK ||
        ms_tls_cert_check(g_cert, g_cert_len, NULL, 0, NULL, &g_identity) != MS_OK) {
        return -1;
    }
    ms_tee_link_creds_t c = creds();
    return ms_tee_link_provision_install(MS_TEE_PART_BOOT, &c) == MS_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ms_tee_link_stop();
    pki_ca_free(g_mfr);
    pki_ca_free(g_cloud);
    tt_services_close(&g_its, &g_ps);
    return 0;
}

/* ---- message helpers ------------------------------------------------------------- */

typedef struct signer {
    ms_p256_priv_t *priv;       /* signs */
    ms_p256_pub_t *kid_of;      /* whose kid the message claims */
} signer_t;

static size_t seal(const uint8_t *payload, size_t n, signer_t s, uint8_t *out, size_t cap)
{
    uint8_t kid[MS_COSE_KID_LEN];
    size_t len = 0;
    assert_int_equal(ms_cose_kid(s.kid_of, kid), MS_OK);
    assert_int_equal(ms_cose_sign1(payload, n, kid, sizeof kid, soft_sign, s.priv, out, cap,
                                   &len), MS_OK);
    return len;
}

static const signer_t CLOUD = { &g_cmd_priv, &g_cmd_pub };
static const signer_t ROGUE = { &g_rogue_priv, &g_rogue_pub };
static const signer_t FORGED = { &g_rogue_priv, &g_cmd_pub };   /* the cloud's kid, another key */

static size_t command(const char *meter, uint64_t seq, uint32_t type, uint64_t arg, uint64_t arg2,
                      signer_t s, uint8_t *out)
{
    ms_link_command_t c = { .cmd_seq = seq, .type = type };
    strcpy(c.meter_id, meter);
    c.amount_milli = arg;
    c.connect = arg != 0;
    c.tariff_id = arg;
    c.price_milli_per_kwh = arg2;
    uint8_t p[MS_LINK_PAYLOAD_MAX];
    size_t n = 0;
    assert_int_equal(ms_link_command_encode(&c, p, sizeof p, &n), MS_OK);
    return seal(p, n, s, out, MS_LINK_MSG_MAX);
}

static size_t topup(uint64_t seq, uint64_t amount, signer_t s, uint8_t *out)
{
    return command(METER, seq, MS_LINK_CMD_TOPUP, amount, 0, s, out);
}

static size_t ack(const char *meter, const uint64_t *seqs, size_t n, signer_t s, uint8_t *out)
{
    ms_link_ack_t a = { .n = n };
    strcpy(a.meter_id, meter);
    memcpy(a.seq, seqs, n * sizeof seqs[0]);
    uint8_t p[MS_LINK_PAYLOAD_MAX];
    size_t len = 0;
    assert_int_equal(ms_link_ack_encode(&a, p, sizeof p, &len), MS_OK);
    return seal(p, len, s, out, MS_LINK_MSG_MAX);
}

static int64_t balance(void)
{
    ms_tee_meter_reg_t r;
    assert_int_equal(ms_tee_meter_read(&r), MS_OK);
    return r.balance_milli;
}

/* Apply a command; check the signed result; return its status. */
static uint32_t run_command(const uint8_t *msg, size_t len)
{
    uint8_t res[MS_LINK_MSG_MAX];
    size_t n = 0;
    uint32_t status = 99;
    ms_cose_sign1_t m;
    ms_link_result_t r;
    assert_int_equal(ms_tee_link_command(msg, len, res, sizeof res, &n, &status), MS_OK);
    assert_int_equal(ms_link_msg_open(res, n, &g_identity, &m), MS_OK);
    assert_int_equal(ms_link_result_decode(m.payload, m.payload_len, &r), MS_OK);
    assert_int_equal(r.status, status);
    assert_true(r.balance_milli == balance());
    return status;
}

static ms_link_reading_t open_reading(const uint8_t *msg, size_t n)
{
    ms_cose_sign1_t m;
    ms_link_reading_t r;
    assert_int_equal(ms_link_msg_open(msg, n, &g_identity, &m), MS_OK);
    assert_int_equal(ms_link_reading_decode(m.payload, m.payload_len, &r), MS_OK);
    return r;
}

/* ---- provisioning ------------------------------------------------------------------ */

static void test_csr_and_token_bind_the_identity_key_to_the_device(void **state)
{
    (void)state;
    /* OpenSSL verified the CSR's signature when it issued g_cert from it, and
     * the certificate carries the key the TEE signs with */
    ms_p256_pub_t key;
    assert_int_equal(ms_tee_key_export_public(MS_TEE_PART_LINK, MS_TEE_KEY_IDENTITY, &key),
                     MS_OK);
    assert_memory_equal(key.q, g_identity.q, sizeof key.q);
    /* the token's challenge is SHA-256(nonce || identity key) */
    uint8_t challenge[32], buf[32 + 65];
    memcpy(buf, g_nonce, 32);
    memcpy(buf + 32, g_identity.q, 65);
    assert_int_equal(ms_sha256(buf, sizeof buf, challenge), MS_OK);
    ms_tee_attest_claims_t c;
    assert_int_equal(ms_tee_attest_verify(g_token, g_token_len, &g_iak, challenge, 32, &c), MS_OK);
    /* a challenge from another nonce does not verify */
    challenge[0] ^= 1;
    assert_int_equal(ms_tee_attest_verify(g_token, g_token_len, &g_iak, challenge, 32, &c),
                     MS_ERR_AUTH);
}

static void test_only_the_factory_provisions(void **state)
{
    (void)state;
    uint8_t csr[512], tok[MS_TEE_ATTEST_TOKEN_MAX];
    size_t a, b;
    ms_tee_link_creds_t c = creds();
    for (int p = MS_TEE_PART_NSPE; p < MS_TEE_PART_COUNT_; p++) {
        if (p == MS_TEE_PART_BOOT) {
            continue;
        }
        assert_int_equal(ms_tee_link_provision_request((ms_tee_partition_t)p, METER, g_nonce,
                                                       csr, sizeof csr, &a, tok, sizeof tok, &b,
                                                       NULL), MS_ERR_TEE_DENIED);
        assert_int_equal(ms_tee_link_provision_install((ms_tee_partition_t)p, &c),
                         MS_ERR_TEE_DENIED);
    }
}

static void test_install_refuses_what_does_not_fit(void **state)
{
    (void)state;
    ms_tee_link_creds_t c = creds();
    /* a certificate for another key */
    uint8_t other[1024];
    size_t n = pki_issue_key(g_mfr, METER, &g_rogue_pub, PKI_CLIENT, -1, 365, other, sizeof other);
    c.cert_der = other;
    c.cert_len = n;
    assert_int_equal(ms_tee_link_provision_install(MS_TEE_PART_BOOT, &c), MS_ERR_KEY_MISMATCH);
    /* write-once: another meter id or command key */
    c = creds();
    c.meter_id = "m-000002";
    assert_int_equal(ms_tee_link_provision_install(MS_TEE_PART_BOOT, &c), MS_ERR_TEE_WRITE_ONCE);
    c = creds();
    c.command_key = &g_rogue_pub;
    assert_int_equal(ms_tee_link_provision_install(MS_TEE_PART_BOOT, &c), MS_ERR_TEE_WRITE_ONCE);
    /* malformed broker addresses */
    const char *bad[] = { "localhost", ":8883", "host:", "host:0", "host:65536", "a:b:1",
                          "ho st:1" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c = creds();
        c.broker = bad[i];
        assert_int_equal(ms_tee_link_provision_install(MS_TEE_PART_BOOT, &c), MS_ERR_ARG);
    }
    /* the same values again: fine (renewal path) */
    c = creds();
    assert_int_equal(ms_tee_link_provision_install(MS_TEE_PART_BOOT, &c), MS_OK);
    char id[MS_LINK_METER_ID_MAX + 1];
    assert_int_equal(ms_tee_link_meter_id(id), MS_OK);
    assert_string_equal(id, METER);
}

/* ---- readings and acknowledgements -------------------------------------------------- */

static void test_reading_carries_the_tee_registers(void **state)
{
    (void)state;
    ms_tee_meter_reg_t r;
    assert_int_equal(ms_tee_link_consume(1234, &r), MS_OK);
    uint8_t msg[MS_LINK_MSG_MAX];
    size_t n = 0;
    uint64_t seq = 0;
    assert_int_equal(ms_tee_link_reading(1700000000, msg, sizeof msg, &n, &seq), MS_OK);
    assert_true(n <= MS_LINK_MSG_MAX);
    ms_link_reading_t rd = open_reading(msg, n);
    assert_string_equal(rd.meter_id, METER);
    assert_int_equal(rd.seq, 1);
    assert_int_equal(seq, 1);
    assert_int_equal(rd.energy_wh, 1234);
    assert_true(rd.balance_milli == 0);
    assert_int_equal(rd.time, 1700000000);
    /* the meter clock may not go back */
    assert_int_equal(ms_tee_link_reading(1699999999, msg, sizeof msg, &n, &seq), MS_ERR_ARG);
    assert_int_equal(ms_tee_link_reading(1700000000, msg, sizeof msg, &n, &seq), MS_OK);
    assert_int_equal(seq, 2);
}

static void test_sequence_numbers_survive_restart_and_never_repeat(void **state)
{
    (void)state;
    uint8_t msg[MS_LINK_MSG_MAX];
    size_t n;
    uint64_t seq = 0;
    for (uint64_t i = 1; i <= 3; i++) {
        assert_int_equal(ms_tee_link_reading(100 + i, msg, sizeof msg, &n, &seq), MS_OK);
        assert_int_equal(seq, i);
    }
    restart();
    assert_int_equal(ms_tee_link_reading(200, msg, sizeof msg, &n, &seq), MS_OK);
    assert_int_equal(seq, 4);
    assert_int_equal(open_reading(msg, n).seq, 4);
    /* power cut at every flash operation of taking a reading: after the
     * restart the next number is above any number a message may carry */
    uint64_t last_out = 4;
    for (uint64_t k = 1; k < 40; k++) {
        ms_flash_sim_cut_after(&g_ps.sim, k, (uint32_t)k);
        ms_err_t err = ms_tee_link_reading(300 + k, msg, sizeof msg, &n, &seq);
        bool cut = g_ps.sim.powered == 0;
        ms_flash_sim_cut_after(&g_ps.sim, 0, 0);
        ms_flash_sim_power_on(&g_ps.sim);
        if (err == MS_OK) {
            last_out = seq;   /* this message exists: its number is taken */
        }
        restart();
        assert_int_equal(ms_tee_link_reading(1000 + k, msg, sizeof msg, &n, &seq), MS_OK);
        assert_true(seq > last_out);
        last_out = seq;
        if (!cut) {
            break;
        }
    }
}

static void test_only_the_clouds_acknowledgement_empties_the_queue(void **state)
{
    (void)state;
    uint8_t msg[MS_LINK_MSG_MAX], a[MS_LINK_MSG_MAX];
    size_t n, removed = 99;
    uint64_t seq;
    ms_tee_link_status_t st;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ms_tee_link_reading(10 + (uint64_t)i, msg, sizeof msg, &n, &seq), MS_OK);
    }
    uint64_t one_two[2] = { 1, 2 };
    /* signed by another key: under its own kid, and under the cloud's kid */
    n = ack(METER, one_two, 2, ROGUE, a);
    assert_int_not_equal(ms_tee_link_ack(a, n, &removed), MS_OK);
    n = ack(METER, one_two, 2, FORGED, a);
    assert_int_equal(ms_tee_link_ack(a, n, &removed), MS_ERR_SIGNATURE);
    /* the cloud's acknowledgement for another meter */
    n = ack("m-000002", one_two, 2, CLOUD, a);
    assert_int_equal(ms_tee_link_ack(a, n, &removed), MS_ERR_LINK_WRONG_METER);
    assert_int_equal(ms_tee_link_status(&st), MS_OK);
    assert_int_equal(st.queued, 3);
    /* the real one */
    n = ack(METER, one_two, 2, CLOUD, a);
    assert_int_equal(ms_tee_link_ack(a, n, &removed), MS_OK);
    assert_int_equal(removed, 2);
    assert_int_equal(ms_tee_link_ack(a, n, &removed), MS_OK);   /* repeated: nothing */
    assert_int_equal(removed, 0);
    assert_int_equal(ms_tee_link_status(&st), MS_OK);
    assert_int_equal(st.queued, 1);
    /* the one left is reading 3, signed again with the same payload */
    uint8_t again[MS_LINK_MSG_MAX];
    size_t m = 0;
    assert_int_equal(ms_tee_link_pending(0, again, sizeof again, &m, &seq), MS_OK);
    assert_int_equal(seq, 3);
    assert_int_equal(ms_tee_link_pending(1, again, sizeof again, &m, &seq), MS_ERR_NOT_FOUND);
    restart();
    assert_int_equal(ms_tee_link_status(&st), MS_OK);
    assert_int_equal(st.queued, 1);
}

static void test_resent_reading_has_the_same_payload(void **state)
{
    (void)state;
    uint8_t first[MS_LINK_MSG_MAX], again[MS_LINK_MSG_MAX];
    size_t n1, n2;
    uint64_t seq;
    ms_cose_sign1_t m1, m2;
    assert_int_equal(ms_tee_link_consume(77, NULL), MS_OK);
    assert_int_equal(ms_tee_link_reading(5, first, sizeof first, &n1, &seq), MS_OK);
    assert_int_equal(ms_tee_link_consume(1000, NULL), MS_OK);   /* registers move on */
    restart();
    assert_int_equal(ms_tee_link_pending(0, again, sizeof again, &n2, &seq), MS_OK);
    assert_int_equal(ms_link_msg_open(first, n1, &g_identity, &m1), MS_OK);
    assert_int_equal(ms_link_msg_open(again, n2, &g_identity, &m2), MS_OK);
    assert_int_equal(m1.payload_len, m2.payload_len);
    assert_memory_equal(m1.payload, m2.payload, m1.payload_len);
}

static void test_full_queue_drops_the_oldest(void **state)
{
    (void)state;
    uint8_t msg[MS_LINK_MSG_MAX];
    size_t n;
    uint64_t seq;
    ms_tee_link_status_t st;
    for (uint64_t i = 0; i < MS_TEE_LINK_QUEUE_MAX + 3; i++) {
        assert_int_equal(ms_tee_link_reading(i, msg, sizeof msg, &n, &seq), MS_OK);
    }
    assert_int_equal(ms_tee_link_status(&st), MS_OK);
    assert_int_equal(st.queued, MS_TEE_LINK_QUEUE_MAX);
    assert_int_equal(st.dropped, 3);
    assert_int_equal(ms_tee_link_pending(0, msg, sizeof msg, &n, &seq), MS_OK);
    assert_int_equal(seq, 4);
}

static void test_events_are_signed_and_tee_kinds_reserved(void **state)
{
    (void)state;
    uint8_t msg[MS_LINK_MSG_MAX];
    size_t n;
    uint64_t seq;
    ms_cose_sign1_t m;
    ms_link_event_t ev;
    assert_int_equal(ms_tee_link_event(9, "cover", 5, "opened", 6, msg, sizeof msg, &n, &seq),
                     MS_OK);
    assert_int_equal(ms_link_msg_open(msg, n, &g_identity, &m), MS_OK);
    assert_int_equal(ms_link_event_decode(m.payload, m.payload_len, &ev), MS_OK);
    assert_string_equal(ev.kind, "cover");
    assert_int_equal(ev.seq, 1);
    assert_int_equal(ms_tee_link_event(9, "tee.boot", 8, "", 0, msg, sizeof msg, &n, &seq),
                     MS_ERR_TEE_DENIED);
    assert_int_equal(ms_tee_link_event(9, "bad\nkind", 8, "", 0, msg, sizeof msg, &n, &seq),
                     MS_ERR_ARG);
}

/* ---- commands ---------------------------------------------------------------------------- */

static void test_genuine_topup_applies_once(void **state)
{
    (void)state;
    uint8_t c[MS_LINK_MSG_MAX];
    size_t n = topup(1, 5000, CLOUD, c);
    assert_int_equal(run_command(c, n), MS_LINK_ST_APPLIED);
    assert_true(balance() == 5000);
    /* the same message again: a replay */
    assert_int_equal(run_command(c, n), MS_LINK_ST_REPLAY);
    assert_true(balance() == 5000);
    /* after a restart too */
    restart();
    assert_int_equal(run_command(c, n), MS_LINK_ST_REPLAY);
    assert_true(balance() == 5000);
    ms_tee_link_status_t st;
    assert_int_equal(ms_tee_link_status(&st), MS_OK);
    assert_int_equal(st.last_cmd_seq, 1);
    /* a later number applies; an older or equal one never */
    n = topup(5, 100, CLOUD, c);
    assert_int_equal(run_command(c, n), MS_LINK_ST_APPLIED);
    n = topup(4, 100, CLOUD, c);
    assert_int_equal(run_command(c, n), MS_LINK_ST_REPLAY);
    assert_true(balance() == 5100);
}

static void test_forged_misaddressed_and_malformed_commands_change_nothing(void **state)
{
    (void)state;
    uint8_t c[MS_LINK_MSG_MAX];
    size_t n;
    n = topup(1, 1000000, ROGUE, c);
    assert_int_equal(run_command(c, n), MS_LINK_ST_BAD_SIG);
    n = topup(1, 1000000, FORGED, c);
    assert_int_equal(run_command(c, n), MS_LINK_ST_BAD_SIG);
    n = command("m-000002", 1, MS_LINK_CMD_TOPUP, 1000000, 0, CLOUD, c);
    assert_int_equal(run_command(c, n), MS_LINK_ST_WRONG_METER);
    /* a genuine message with one payload byte changed */
    n = topup(1, 1000000, CLOUD, c);
    c[n - 70] ^= 0x01;
    assert_int_equal(run_command(c, n), MS_LINK_ST_BAD_SIG);
    /* garbage */
    memset(c, 0xd2, 40);
    assert_int_equal(run_command(c, 40), MS_LINK_ST_MALFORMED);
    /* a signed payload that is no command */
    uint8_t p[4] = { 0xa0 };
    n = seal(p, 1, CLOUD, c, sizeof c);
    assert_int_equal(run_command(c, n), MS_LINK_ST_MALFORMED);
    assert_true(balance() == 0);
    ms_tee_link_status_t st;
    assert_int_equal(ms_tee_link_status(&st), MS_OK);
    assert_int_equal(st.last_cmd_seq, 0);
    assert_int_equal(st.next_result_seq, 7);   /* each verdict got a result number */
}

static void test_tariff_charges_consumption_without_losing_fractions(void **state)
{
    (void)state;
    uint8_t c[MS_LINK_MSG_MAX];
    size_t n = command(METER, 1, MS_LINK_CMD_TARIFF, 3, 250, CLOUD, c);   /* 0.25 per kWh */
    assert_int_equal(run_command(c, n), MS_LINK_ST_APPLIED);
    ms_tee_meter_reg_t r;
    for (int i = 0; i < 4000; i++) {
        assert_int_equal(ms_tee_link_consume(1, &r), MS_OK);   /* 1 Wh at a time */
    }
    assert_true(r.balance_milli == -1000);   /* 4 kWh * 250 = 1000 thousandths */
    assert_int_equal(ms_tee_link_consume(3999, &r), MS_OK);
    assert_true(r.balance_milli == -1999);   /* floor(7999 * 0.25) */
    /* the reading names the tariff */
    uint8_t msg[MS_LINK_MSG_MAX];
    size_t m;
    uint64_t seq;
    assert_int_equal(ms_tee_link_reading(1, msg, sizeof msg, &m, &seq), MS_OK);
    assert_int_equal(open_reading(msg, m).tariff_id, 3);
    /* relay */
    n = command(METER, 2, MS_LINK_CMD_RELAY, 0, 0, CLOUD, c);
    assert_int_equal(run_command(c, n), MS_LINK_ST_APPLIED);
    ms_tee_link_status_t st;
    assert_int_equal(ms_tee_link_status(&st), MS_OK);
    assert_false(st.relay_connected);
    assert_int_equal(st.price_milli_per_kwh, 250);
    /* an absurd price is malformed, and consumes the number */
    n = command(METER, 3, MS_LINK_CMD_TARIFF, 4, 2000000000000ull, CLOUD, c);
    assert_int_equal(run_command(c, n), MS_LINK_ST_MALFORMED);
    assert_int_equal(ms_tee_link_status(&st), MS_OK);
    assert_int_equal(st.tariff_id, 3);
}

/* Power cut at every flash operation of a top-up: after the restart the
 * credit is there exactly once, or not at all and the command still applies
 * (once) when the cloud sends it again. */
static void test_topup_is_exactly_once_across_power_cuts(void **state)
{
    (void)state;
    uint8_t c[MS_LINK_MSG_MAX], res[MS_LINK_MSG_MAX];
    size_t n = topup(1, 700, CLOUD, c), rn;
    uint32_t status;
    size_t ps_size = g_ps.sim.flash.size, its_size = g_its.sim.flash.size;
    uint8_t *ps0 = malloc(ps_size), *its0 = malloc(its_size);
    uint64_t nvc_ps, nvc_its;
    assert_non_null(ps0);
    assert_non_null(its0);
    memcpy(ps0, g_ps.sim.mem, ps_size);
    memcpy(its0, g_its.sim.mem, its_size);
    assert_int_equal(ms_tee_hal_nvc_read(MS_TEE_NVC_PS, &nvc_ps), MS_OK);
    assert_int_equal(ms_tee_hal_nvc_read(MS_TEE_NVC_ITS, &nvc_its), MS_OK);
    int cuts = 0, before = 0, after = 0;
    for (uint64_t k = 1; k < 200; k++) {
        memcpy(g_ps.sim.mem, ps0, ps_size);
        memcpy(g_its.sim.mem, its0, its_size);
        ms_host_tee_nvc_set(MS_TEE_NVC_PS, nvc_ps);
        ms_host_tee_nvc_set(MS_TEE_NVC_ITS, nvc_its);
        restart();
        assert_true(balance() == 0);
        ms_flash_sim_cut_after(&g_ps.sim, k, (uint32_t)(k * 7919));
        (void)ms_tee_link_command(c, n, res, sizeof res, &rn, &status);
        bool cut = g_ps.sim.powered == 0;
        ms_flash_sim_cut_after(&g_ps.sim, 0, 0);
        ms_flash_sim_power_on(&g_ps.sim);
        restart();
        int64_t b = balance();
        assert_true(b == 0 || b == 700);
        if (b == 0) {
            before++;
        } else {
            after++;
        }
        /* the cloud sends it again (no acknowledgement seen) */
        (void)run_command(c, n);
        assert_true(balance() == 700);
        assert_int_equal(run_command(c, n), MS_LINK_ST_REPLAY);
        if (!cut) {
            break;
        }
        cuts++;
    }
    free(ps0);
    free(its0);
    assert_true(cuts > 3);
    assert_true(before > 0 && after > 0);   /* cuts landed on both sides */
}

/* ---- what the NSPE can do through the boundary ------------------------------------ */

static uint8_t g_ns[8192];
static const ms_tee_caller_t g_nspe = { MS_TEE_PART_NSPE, (uintptr_t)g_ns, sizeof g_ns };

static void test_nspe_cannot_change_the_balance(void **state)
{
    (void)state;
    uint8_t *in = g_ns, *out = g_ns + 4096;
    /* METER ADD with a balance delta (the old form): refused */
    memset(in, 0, 16);
    in[0] = 10;
    in[8] = 0x40;   /* +0x40 in the old balance-delta field */
    ms_tee_invec_t v[1] = { { in, 16 } };
    ms_tee_outvec_t o[1] = { { out, 24 } };
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_METER, MS_TEE_METER_ADD, v, 1, o, 1),
                     PSA_ERROR_PROGRAMMER_ERROR);
    /* writing the control or meter state as PS objects: reserved uids */
    uint8_t *hdr = g_ns + 64;
    memset(hdr, 0, 12);
    for (int i = 0; i < 8; i++) {
        hdr[i] = (uint8_t)(MS_TEE_UID_LINK_CONTROL >> (8 * i));
    }
    ms_tee_invec_t set[2] = { { hdr, 12 }, { g_ns + 128, 64 } };
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_PS, MS_TEE_STORAGE_SET, set, 2, NULL, 0),
                     PSA_ERROR_NOT_PERMITTED);
    /* signing a top-up of its own making with the identity key */
    uint8_t *key = g_ns + 256, *hash = g_ns + 260;
    key[0] = MS_TEE_KEY_IDENTITY;
    key[1] = key[2] = key[3] = 0;
    ms_tee_invec_t sv[2] = { { key, 4 }, { hash, 32 } };
    ms_tee_outvec_t so[1] = { { g_ns + 300, 80 } };
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_CRYPTO, MS_TEE_CRYPTO_SIGN, sv, 2, so, 1),
                     PSA_ERROR_NOT_PERMITTED);
    /* a forged command through the boundary: a result, no credit */
    size_t n = topup(1, 999999, FORGED, g_ns + 512);
    ms_tee_invec_t cv[1] = { { g_ns + 512, n } };
    ms_tee_outvec_t co[2] = { { out, 4 }, { out + 8, MS_LINK_MSG_MAX } };
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_LINK, MS_TEE_LINK_COMMAND, cv, 1, co, 2),
                     PSA_SUCCESS);
    assert_int_equal(out[0], MS_LINK_ST_BAD_SIG);
    assert_true(balance() == 0);
    /* the genuine one through the boundary */
    n = topup(1, 250, CLOUD, g_ns + 512);
    cv[0].len = n;
    co[0].len = 4;
    co[1].len = MS_LINK_MSG_MAX;
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_LINK, MS_TEE_LINK_COMMAND, cv, 1, co, 2),
                     PSA_SUCCESS);
    assert_int_equal(out[0], MS_LINK_ST_APPLIED);
    assert_true(balance() == 250);
    /* a reading through the boundary carries that balance */
    uint8_t *t = g_ns + 1024;
    memset(t, 0, 8);
    t[0] = 42;
    ms_tee_invec_t rv[1] = { { t, 8 } };
    ms_tee_outvec_t ro[2] = { { out, 8 }, { out + 8, MS_LINK_MSG_MAX } };
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_LINK, MS_TEE_LINK_READING, rv, 1, ro, 2),
                     PSA_SUCCESS);
    ms_link_reading_t rd = open_reading(out + 8, ro[1].len);
    assert_true(rd.balance_milli == 250);
    assert_int_equal(rd.time, 42);
}

/* ---- firmware update: offers checked, status reports signed ---------------------- */

static size_t offer_of(const char *meter, uint64_t campaign, signer_t s, uint8_t *out)
{
    ms_link_offer_t o = { .campaign_id = campaign, .size = 4096, .major = 1, .minor = 2,
                          .revision = 3, .sec_cnt = 2, .chunk_size = 1024, .image = 1 };
    strcpy(o.meter_id, meter);
    memset(o.sha256, 0xab, sizeof o.sha256);
    uint8_t p[MS_LINK_OFFER_MAX];
    size_t n = 0;
    assert_int_equal(ms_link_offer_encode(&o, p, sizeof p, &n), MS_OK);
    return seal(p, n, s, out, MS_LINK_MSG_MAX);
}

static size_t offer(const char *meter, signer_t s, uint8_t *out)
{
    return offer_of(meter, 7, s, out);
}

static size_t upd_status(const char *meter, uint32_t state, uint8_t *out, size_t cap)
{
    ms_link_upd_status_t st = { .campaign_id = 7, .state = state, .progress = 2048,
                                .result = MS_LINK_UPD_R_INITIAL };
    strcpy(st.meter_id, meter);
    size_t n = 0;
    assert_int_equal(ms_link_upd_status_encode(&st, out, cap, &n), MS_OK);
    return n;
}

static void test_only_the_clouds_offer_for_this_meter_passes(void **state)
{
    (void)state;
    uint8_t msg[MS_LINK_MSG_MAX], p[MS_LINK_OFFER_MAX];
    size_t n = 0;
    ms_link_offer_t o;
    size_t len = offer(METER, CLOUD, msg);
    assert_int_equal(ms_tee_link_offer(msg, len, p, sizeof p, &n), MS_OK);
    assert_int_equal(ms_link_offer_decode(p, n, &o), MS_OK);
    assert_int_equal(o.campaign_id, 7);
    assert_string_equal(o.meter_id, METER);
    /* another key, the cloud's kid on another key, another meter */
    len = offer(METER, ROGUE, msg);
    assert_int_not_equal(ms_tee_link_offer(msg, len, p, sizeof p, &n), MS_OK);
    len = offer(METER, FORGED, msg);
    assert_int_equal(ms_tee_link_offer(msg, len, p, sizeof p, &n), MS_ERR_SIGNATURE);
    assert_int_equal(n, 0);
    len = offer("m-000002", CLOUD, msg);
    assert_int_equal(ms_tee_link_offer(msg, len, p, sizeof p, &n), MS_ERR_LINK_WRONG_METER);
    /* a genuine command of the cloud's is not an offer */
    len = topup(1, 5, CLOUD, msg);
    assert_int_equal(ms_tee_link_offer(msg, len, p, sizeof p, &n), MS_ERR_FORMAT);
    /* one flipped byte anywhere in the message */
    len = offer(METER, CLOUD, msg);
    for (size_t i = 0; i < len; i++) {
        msg[i] ^= 0x01;
        assert_int_not_equal(ms_tee_link_offer(msg, len, p, sizeof p, &n), MS_OK);
        msg[i] ^= 0x01;
    }
    assert_int_equal(ms_tee_link_offer(msg, len, p, 8, &n), MS_ERR_BUFFER_TOO_SMALL);
}

/* A recorded offer of an older campaign cannot be replayed to bring its
 * image back; the same campaign again is a resume or a retry. */
static void test_offers_of_older_campaigns_are_refused_across_restarts(void **state)
{
    (void)state;
    uint8_t msg[MS_LINK_MSG_MAX], p[MS_LINK_OFFER_MAX];
    size_t n = 0, old = offer_of(METER, 7, CLOUD, msg);
    uint8_t old_msg[MS_LINK_MSG_MAX];
    memcpy(old_msg, msg, old);
    assert_int_equal(ms_tee_link_offer(old_msg, old, p, sizeof p, &n), MS_OK);
    assert_int_equal(ms_tee_link_offer(old_msg, old, p, sizeof p, &n), MS_OK);
    size_t len = offer_of(METER, 9, CLOUD, msg);
    assert_int_equal(ms_tee_link_offer(msg, len, p, sizeof p, &n), MS_OK);
    assert_int_equal(ms_tee_link_offer(old_msg, old, p, sizeof p, &n), MS_ERR_LINK_STALE);
    assert_int_equal(n, 0);
    restart();
    assert_int_equal(ms_tee_link_offer(old_msg, old, p, sizeof p, &n), MS_ERR_LINK_STALE);
    assert_int_equal(ms_tee_link_offer(msg, len, p, sizeof p, &n), MS_OK);
}

static void test_identity_key_signs_only_this_meters_status_reports(void **state)
{
    (void)state;
    uint8_t payload[MS_LINK_UPD_STATUS_MAX], msg[MS_LINK_MSG_MAX], p[MS_LINK_OFFER_MAX];
    size_t n = upd_status(METER, MS_LINK_UPD_DOWNLOADING, payload, sizeof payload), len = 0;
    /* no offer taken yet: no report (none can be made ahead for later) */
    assert_int_equal(ms_tee_link_update_status(payload, n, msg, sizeof msg, &len), MS_ERR_STATE);
    size_t k = offer(METER, CLOUD, msg);
    assert_int_equal(ms_tee_link_offer(msg, k, p, sizeof p, &len), MS_OK);
    assert_int_equal(ms_tee_link_update_status(payload, n, msg, sizeof msg, &len), MS_OK);
    ms_cose_sign1_t m;
    ms_link_upd_status_t st;
    assert_int_equal(ms_link_msg_open(msg, len, &g_identity, &m), MS_OK);
    assert_int_equal(ms_link_upd_status_decode(m.payload, m.payload_len, &st), MS_OK);
    assert_int_equal(st.state, MS_LINK_UPD_DOWNLOADING);
    assert_int_equal(st.progress, 2048);
    /* a report of another campaign than the one in hand */
    ms_link_upd_status_t later = st;
    later.campaign_id = 8;
    later.state = MS_LINK_UPD_SUCCESS;
    later.result = MS_LINK_UPD_R_SUCCESS;
    assert_int_equal(ms_link_upd_status_encode(&later, payload, sizeof payload, &n), MS_OK);
    assert_int_equal(ms_tee_link_update_status(payload, n, msg, sizeof msg, &len), MS_ERR_STATE);
    /* another meter's report */
    n = upd_status("m-000002", MS_LINK_UPD_VERIFYING, payload, sizeof payload);
    assert_int_equal(ms_tee_link_update_status(payload, n, msg, sizeof msg, &len),
                     MS_ERR_LINK_WRONG_METER);
    assert_int_equal(len, 0);
    /* a reading, an acknowledgement and a command are not reports: a
     * compromised NSPE cannot have them signed this way */
    ms_link_reading_t r = { .seq = 1, .time = 2, .energy_wh = 1000000 };
    strcpy(r.meter_id, METER);
    assert_int_equal(ms_link_reading_encode(&r, payload, sizeof payload, &n), MS_OK);
    assert_int_equal(ms_tee_link_update_status(payload, n, msg, sizeof msg, &len), MS_ERR_FORMAT);
    uint64_t seq = 1;
    ms_link_ack_t a = { .n = 1 };
    strcpy(a.meter_id, METER);
    memcpy(a.seq, &seq, sizeof seq);
    assert_int_equal(ms_link_ack_encode(&a, payload, sizeof payload, &n), MS_OK);
    assert_int_equal(ms_tee_link_update_status(payload, n, msg, sizeof msg, &len), MS_ERR_FORMAT);
    /* a non-deterministic encoding of a genuine report: trailing byte */
    n = upd_status(METER, MS_LINK_UPD_DOWNLOADED, payload, sizeof payload);
    payload[n] = 0x00;
    assert_int_equal(ms_tee_link_update_status(payload, n + 1, msg, sizeof msg, &len),
                     MS_ERR_FORMAT);
}

/* The number of a signed status report (0: none). */
static uint64_t signed_seq(const uint8_t *msg, size_t len)
{
    ms_cose_sign1_t m;
    ms_link_upd_status_t st;
    assert_int_equal(ms_link_msg_open(msg, len, &g_identity, &m), MS_OK);
    assert_int_equal(ms_link_upd_status_decode(m.payload, m.payload_len, &st), MS_OK);
    return st.seq;
}

/* Every report the TEE signs carries a number none before it had: the
 * numbers rise, survive a restart, replace any the Non-secure world put
 * in, and go on across campaigns. The campaign record stays the 8 bytes a
 * TEE from before numbering reads (its Secure image may revert to one). */
static void test_status_reports_are_numbered_by_the_tee(void **state)
{
    (void)state;
    uint8_t payload[MS_LINK_UPD_STATUS_MAX], msg[MS_LINK_MSG_MAX], p[MS_LINK_OFFER_MAX];
    size_t n = upd_status(METER, MS_LINK_UPD_DOWNLOADING, payload, sizeof payload), len = 0;
    /* as a TEE from before numbering left it: the campaign only */
    uint8_t old[8] = {7};
    assert_int_equal(ms_tee_ps_set(MS_TEE_UID_LINK_UPDATE, sizeof old, old, 0), PSA_SUCCESS);
    (void)ms_tee_ps_remove(MS_TEE_UID_LINK_UPD_SEQ);
    restart();
    size_t k = offer(METER, CLOUD, msg);
    assert_int_equal(ms_tee_link_offer(msg, k, p, sizeof p, &len), MS_OK);
    assert_int_equal(ms_tee_link_update_status(payload, n, msg, sizeof msg, &len), MS_OK);
    assert_int_equal(signed_seq(msg, len), 1);
    assert_int_equal(ms_tee_link_update_status(payload, n, msg, sizeof msg, &len), MS_OK);
    assert_int_equal(signed_seq(msg, len), 2);
    restart();
    /* an offer of the same campaign again (a resume) keeps the numbers */
    assert_int_equal(ms_tee_link_offer(msg, offer(METER, CLOUD, msg), p, sizeof p, &len), MS_OK);
    ms_link_upd_status_t st = { .campaign_id = 7, .state = MS_LINK_UPD_VERIFYING, .seq = 1 };
    strcpy(st.meter_id, METER);
    assert_int_equal(ms_link_upd_status_encode(&st, payload, sizeof payload, &n), MS_OK);
    assert_int_equal(ms_tee_link_update_status(payload, n, msg, sizeof msg, &len), MS_OK);
    assert_int_equal(signed_seq(msg, len), 3);   /* the NS world's 1 replaced */
    /* a newer campaign goes on from there */
    k = offer_of(METER, 9, CLOUD, msg);
    assert_int_equal(ms_tee_link_offer(msg, k, p, sizeof p, &len), MS_OK);
    st.campaign_id = 9;
    assert_int_equal(ms_link_upd_status_encode(&st, payload, sizeof payload, &n), MS_OK);
    assert_int_equal(ms_tee_link_update_status(payload, n, msg, sizeof msg, &len), MS_OK);
    assert_int_equal(signed_seq(msg, len), 4);
    /* the campaign record is still 8 bytes: what an older TEE reads */
    struct psa_storage_info_t info;
    assert_int_equal(ms_tee_ps_get_info(MS_TEE_UID_LINK_UPDATE, &info), PSA_SUCCESS);
    assert_int_equal(info.size, 8);
    /* a refused report spends no number */
    n = upd_status("m-000002", MS_LINK_UPD_VERIFYING, payload, sizeof payload);
    assert_int_equal(ms_tee_link_update_status(payload, n, msg, sizeof msg, &len),
                     MS_ERR_LINK_WRONG_METER);
    assert_int_equal(ms_link_upd_status_encode(&st, payload, sizeof payload, &n), MS_OK);
    assert_int_equal(ms_tee_link_update_status(payload, n, msg, sizeof msg, &len), MS_OK);
    assert_int_equal(signed_seq(msg, len), 5);
    /* a number record of another size, or 0, is corrupt: nothing is signed */
    uint8_t odd[12] = {9}, zero[8] = {0};
    assert_int_equal(ms_tee_ps_set(MS_TEE_UID_LINK_UPD_SEQ, sizeof odd, odd, 0), PSA_SUCCESS);
    assert_int_equal(ms_tee_link_update_status(payload, n, msg, sizeof msg, &len),
                     MS_ERR_TEE_CORRUPT);
    assert_int_equal(ms_tee_ps_set(MS_TEE_UID_LINK_UPD_SEQ, sizeof zero, zero, 0), PSA_SUCCESS);
    assert_int_equal(ms_tee_link_update_status(payload, n, msg, sizeof msg, &len),
                     MS_ERR_TEE_CORRUPT);
}

static psa_status_t ns_call(void *ctx, uint32_t sid, int32_t type, const ms_tee_invec_t *in,
                            size_t n_in, ms_tee_outvec_t *out, size_t n_out)
{
    (void)ctx;
    return ms_tee_call(&g_nspe, sid, type, in, n_in, out, n_out);
}

static void test_offer_and_status_through_the_boundary(void **state)
{
    (void)state;
    ms_link_tee_t t = { .call = ns_call, .shared = g_ns, .shared_len = sizeof g_ns };
    uint8_t msg[MS_LINK_MSG_MAX], payload[MS_LINK_UPD_STATUS_MAX];
    ms_link_offer_t o;
    size_t len = offer(METER, CLOUD, msg);
    assert_int_equal(ms_link_tee_offer(&t, msg, len, &o), MS_OK);
    assert_int_equal(o.sec_cnt, 2);
    len = offer(METER, FORGED, msg);
    assert_int_equal(ms_link_tee_offer(&t, msg, len, &o), MS_ERR_SIGNATURE);
    assert_int_equal(o.campaign_id, 0);
    /* an over-long message is refused on the Non-secure side already */
    assert_int_equal(ms_link_tee_offer(&t, g_ns, MS_LINK_MSG_MAX + 1, &o), MS_ERR_FORMAT);
    len = offer(METER, CLOUD, msg);
    assert_int_equal(ms_link_tee_offer(&t, msg, len, &o), MS_OK);
    size_t n = upd_status(METER, MS_LINK_UPD_INSTALLING, payload, sizeof payload);
    assert_int_equal(ms_link_tee_update_status(&t, payload, n, msg, sizeof msg, &len), MS_OK);
    ms_cose_sign1_t m;
    assert_int_equal(ms_link_msg_open(msg, len, &g_identity, &m), MS_OK);
    /* the raw call: wrong vector shapes are the caller's error */
    ms_tee_invec_t v[2] = { { g_ns, 4 }, { g_ns, 4 } };
    ms_tee_outvec_t ov[1] = { { g_ns + 512, 64 } };
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_LINK, MS_TEE_LINK_OFFER, v, 2, ov, 1),
                     PSA_ERROR_PROGRAMMER_ERROR);
    assert_int_equal(ms_tee_call(&g_nspe, MS_TEE_SID_LINK, MS_TEE_LINK_UPD_STATUS, v, 1, NULL, 0),
                     PSA_ERROR_PROGRAMMER_ERROR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T_(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T_(test_csr_and_token_bind_the_identity_key_to_the_device),
        T_(test_only_the_factory_provisions),
        T_(test_install_refuses_what_does_not_fit),
        T_(test_reading_carries_the_tee_registers),
        T_(test_sequence_numbers_survive_restart_and_never_repeat),
        T_(test_only_the_clouds_acknowledgement_empties_the_queue),
        T_(test_resent_reading_has_the_same_payload),
        T_(test_full_queue_drops_the_oldest),
        T_(test_events_are_signed_and_tee_kinds_reserved),
        T_(test_genuine_topup_applies_once),
        T_(test_forged_misaddressed_and_malformed_commands_change_nothing),
        T_(test_tariff_charges_consumption_without_losing_fractions),
        T_(test_topup_is_exactly_once_across_power_cuts),
        T_(test_nspe_cannot_change_the_balance),
        T_(test_only_the_clouds_offer_for_this_meter_passes),
        T_(test_offers_of_older_campaigns_are_refused_across_restarts),
        T_(test_identity_key_signs_only_this_meters_status_reports),
        T_(test_status_reports_are_numbered_by_the_tee),
        T_(test_offer_and_status_through_the_boundary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
