/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_keystore.c - key store and crypto service (M8, M10): keys made and
 * kept inside, used by handle under a per-key policy, only public halves
 * exported, persistence through the encrypted ITS.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "meterseal/crypto.h"
#include "meterseal/tee_keystore.h"
#include "meterseal/tee_rng.h"
#include "meterseal/tee_storage.h"
#include "tee_hooks_host.h"
#include "tee_test_util.h"

static tt_flash_t g_its, g_ps;

static int setup(void **state)
{
    (void)state;
    return tt_services_open(&g_its, &g_ps, 2, 0x5c) == MS_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    tt_services_close(&g_its, &g_ps);
    return 0;
}

static const ms_tee_key_policy_t nspe_sign = {
    MS_TEE_USE_SIGN, MS_TEE_PART_BIT(MS_TEE_PART_NSPE)
};

static void test_identity_key_signs_and_verifies_with_exported_public(void **state)
{
    (void)state;
    ms_p256_pub_t pub, pub2;
    uint8_t hash[32], sig[MS_P256_SIG_DER_MAX];
    size_t sig_len = 0;
    assert_int_equal(ms_tee_keystore_provision_identity(&pub), MS_OK);
    assert_int_equal(ms_p256_pub_check(&pub), MS_OK);
    memset(hash, 0x42, sizeof hash);
    assert_int_equal(ms_tee_key_sign_hash(MS_TEE_PART_LINK, MS_TEE_KEY_IDENTITY, hash, sig,
                                          sizeof sig, &sig_len), MS_OK);
    assert_int_equal(ms_p256_verify(&pub, hash, sig, sig_len), MS_OK);
    hash[0] ^= 1;
    assert_int_equal(ms_p256_verify(&pub, hash, sig, sig_len), MS_ERR_SIGNATURE);
    /* provisioning again keeps the same key; so does a restart */
    assert_int_equal(ms_tee_keystore_provision_identity(&pub2), MS_OK);
    assert_memory_equal(pub.q, pub2.q, sizeof pub.q);
    assert_int_equal(ms_tee_storage_init(&g_its.area, &g_ps.area), MS_OK);
    assert_int_equal(ms_tee_key_export_public(MS_TEE_PART_LINK, MS_TEE_KEY_IDENTITY, &pub2),
                     MS_OK);
    assert_memory_equal(pub.q, pub2.q, sizeof pub.q);
}

static void test_identity_key_cannot_be_destroyed_or_replaced(void **state)
{
    (void)state;
    assert_int_equal(ms_tee_keystore_provision_identity(NULL), MS_OK);
    assert_int_equal(ms_tee_key_destroy(MS_TEE_PART_CRYPTO, MS_TEE_KEY_IDENTITY),
                     MS_ERR_TEE_DENIED);
    assert_int_equal(ms_tee_key_export_public(MS_TEE_PART_CRYPTO, MS_TEE_KEY_IDENTITY,
                                              &(ms_p256_pub_t){ { 0 } }), MS_OK);
    uint8_t d[32];
    memset(d, 1, sizeof d);
    ms_tee_key_policy_t p = { MS_TEE_USE_SIGN, MS_TEE_PART_BIT(MS_TEE_PART_CRYPTO) };
    assert_int_equal(ms_tee_key_import(MS_TEE_PART_CRYPTO, MS_TEE_KEY_IDENTITY,
                                       MS_TEE_KEY_P256, d, 32, &p), MS_ERR_STATE);
}

/* The identity key is for the meter's own signatures, made in the TEE:
 * LINK (TLS, readings, results) and CRYPTO may sign with it; the NSPE may
 * not (it could sign readings of its own making), nor the attestation
 * partition (tokens are the IAK's), BOOT or STORAGE. */
static void test_identity_key_policy_is_link_and_crypto_sign(void **state)
{
    (void)state;
    uint8_t hash[32], sig[MS_P256_SIG_DER_MAX];
    size_t n;
    memset(hash, 0x24, sizeof hash);
    assert_int_equal(ms_tee_keystore_provision(NULL, NULL), MS_OK);
    assert_int_equal(ms_tee_key_sign_hash(MS_TEE_PART_LINK, MS_TEE_KEY_IDENTITY, hash, sig,
                                          sizeof sig, &n), MS_OK);
    assert_int_equal(ms_tee_key_sign_hash(MS_TEE_PART_NSPE, MS_TEE_KEY_IDENTITY, hash, sig,
                                          sizeof sig, &n), MS_ERR_TEE_DENIED);
    assert_int_equal(ms_tee_key_sign_hash(MS_TEE_PART_CRYPTO, MS_TEE_KEY_IDENTITY, hash, sig,
                                          sizeof sig, &n), MS_OK);
    assert_int_equal(ms_tee_key_sign_hash(MS_TEE_PART_ATTEST, MS_TEE_KEY_IDENTITY, hash, sig,
                                          sizeof sig, &n), MS_ERR_TEE_DENIED);
    assert_int_equal(ms_tee_key_sign_hash(MS_TEE_PART_BOOT, MS_TEE_KEY_IDENTITY, hash, sig,
                                          sizeof sig, &n), MS_ERR_TEE_DENIED);
    assert_int_equal(ms_tee_key_sign_hash(MS_TEE_PART_STORAGE, MS_TEE_KEY_IDENTITY, hash, sig,
                                          sizeof sig, &n), MS_ERR_TEE_DENIED);
}

/* Provisioning makes the IAK too: a second P-256 key, distinct from the
 * identity key, stable across provisioning again and restarts, whose
 * public half the attestation partition can export. */
static void test_provisioning_creates_an_iak_distinct_from_the_identity_key(void **state)
{
    (void)state;
    ms_p256_pub_t id, iak, id2, iak2, exported;
    uint8_t hash[32], sig[MS_P256_SIG_DER_MAX];
    size_t n = 0;
    assert_int_equal(ms_tee_keystore_provision(&id, &iak), MS_OK);
    assert_int_equal(ms_p256_pub_check(&iak), MS_OK);
    assert_memory_not_equal(id.q, iak.q, sizeof id.q);
    assert_int_equal(ms_tee_keystore_provision(&id2, &iak2), MS_OK);
    assert_memory_equal(id.q, id2.q, sizeof id.q);
    assert_memory_equal(iak.q, iak2.q, sizeof iak.q);
    assert_int_equal(ms_tee_storage_init(&g_its.area, &g_ps.area), MS_OK);
    assert_int_equal(ms_tee_key_export_public(MS_TEE_PART_ATTEST, MS_TEE_KEY_IAK, &exported),
                     MS_OK);
    assert_memory_equal(exported.q, iak.q, sizeof iak.q);
    memset(hash, 0x42, sizeof hash);
    assert_int_equal(ms_tee_key_sign_hash(MS_TEE_PART_ATTEST, MS_TEE_KEY_IAK, hash, sig,
                                          sizeof sig, &n), MS_OK);
    assert_int_equal(ms_p256_verify(&iak, hash, sig, n), MS_OK);
    assert_int_equal(ms_p256_verify(&id, hash, sig, n), MS_ERR_SIGNATURE);
}

/* M8: only the attestation partition may sign with the IAK; to everyone
 * else, the NSPE first, it looks like a key that does not exist. */
static void test_iak_signs_for_the_attestation_partition_only(void **state)
{
    (void)state;
    uint8_t hash[32], sig[MS_P256_SIG_DER_MAX];
    size_t n;
    ms_p256_pub_t pub;
    memset(hash, 0x17, sizeof hash);
    assert_int_equal(ms_tee_keystore_provision(NULL, NULL), MS_OK);
    for (int p = MS_TEE_PART_NSPE; p < MS_TEE_PART_COUNT_; p++) {
        if (p == MS_TEE_PART_ATTEST) {
            continue;
        }
        assert_int_equal(ms_tee_key_sign_hash((ms_tee_partition_t)p, MS_TEE_KEY_IAK, hash, sig,
                                              sizeof sig, &n), MS_ERR_TEE_DENIED);
        assert_int_equal(ms_tee_key_export_public((ms_tee_partition_t)p, MS_TEE_KEY_IAK, &pub),
                         MS_ERR_TEE_DENIED);
        assert_int_equal(ms_tee_key_destroy((ms_tee_partition_t)p, MS_TEE_KEY_IAK),
                         MS_ERR_TEE_DENIED);
    }
    assert_int_equal(ms_tee_key_sign_hash(MS_TEE_PART_ATTEST, MS_TEE_KEY_IAK, hash, sig,
                                          sizeof sig, &n), MS_OK);
}

/* The IAK is write-once and generated inside: not destroyed, not replaced,
 * not imported, and its id takes no other policy or type, even before
 * provisioning made it. */
static void test_iak_cannot_be_destroyed_replaced_imported_or_widened(void **state)
{
    (void)state;
    uint8_t d[32];
    memset(d, 1, sizeof d);
    const ms_tee_key_policy_t iak = { MS_TEE_USE_SIGN, MS_TEE_PART_BIT(MS_TEE_PART_ATTEST) };
    const ms_tee_key_policy_t wide = {
        MS_TEE_USE_SIGN, MS_TEE_PART_BIT(MS_TEE_PART_ATTEST) | MS_TEE_PART_BIT(MS_TEE_PART_NSPE)
    };
    const ms_tee_key_policy_t ecdh = { MS_TEE_USE_SIGN | MS_TEE_USE_ECDH,
                                       MS_TEE_PART_BIT(MS_TEE_PART_ATTEST) };
    /* before provisioning: nobody may plant an IAK of their own */
    assert_int_equal(ms_tee_key_import(MS_TEE_PART_ATTEST, MS_TEE_KEY_IAK, MS_TEE_KEY_P256, d,
                                       32, &iak), MS_ERR_ARG);
    assert_int_equal(ms_tee_key_generate(MS_TEE_PART_NSPE, MS_TEE_KEY_IAK, MS_TEE_KEY_P256, 256,
                                         &wide), MS_ERR_ARG);
    assert_int_equal(ms_tee_key_generate(MS_TEE_PART_ATTEST, MS_TEE_KEY_IAK, MS_TEE_KEY_P256,
                                         256, &ecdh), MS_ERR_ARG);
    assert_int_equal(ms_tee_key_generate(MS_TEE_PART_ATTEST, MS_TEE_KEY_IAK, MS_TEE_KEY_HMAC,
                                         256, &iak), MS_ERR_ARG);
    /* after: write-once */
    ms_p256_pub_t before, after;
    assert_int_equal(ms_tee_keystore_provision(NULL, &before), MS_OK);
    assert_int_equal(ms_tee_key_destroy(MS_TEE_PART_ATTEST, MS_TEE_KEY_IAK), MS_ERR_TEE_DENIED);
    assert_int_equal(ms_tee_key_generate(MS_TEE_PART_ATTEST, MS_TEE_KEY_IAK, MS_TEE_KEY_P256,
                                         256, &iak), MS_ERR_STATE);
    assert_int_equal(ms_tee_keystore_provision(NULL, &after), MS_OK);
    assert_memory_equal(before.q, after.q, sizeof before.q);
}

static void test_partition_outside_policy_is_denied(void **state)
{
    (void)state;
    uint8_t hash[32] = { 0 }, sig[80];
    size_t n;
    ms_p256_pub_t pub;
    assert_int_equal(ms_tee_key_generate(MS_TEE_PART_NSPE, 10, MS_TEE_KEY_P256, 256,
                                         &nspe_sign), MS_OK);
    assert_int_equal(ms_tee_key_sign_hash(MS_TEE_PART_NSPE, 10, hash, sig, sizeof sig, &n),
                     MS_OK);
    assert_int_equal(ms_tee_key_sign_hash(MS_TEE_PART_BOOT, 10, hash, sig, sizeof sig, &n),
                     MS_ERR_TEE_DENIED);
    assert_int_equal(ms_tee_key_export_public(MS_TEE_PART_BOOT, 10, &pub), MS_ERR_TEE_DENIED);
    assert_int_equal(ms_tee_key_destroy(MS_TEE_PART_BOOT, 10), MS_ERR_TEE_DENIED);
}

static void test_usage_outside_policy_is_denied(void **state)
{
    (void)state;
    ms_p256_pub_t peer;
    ms_p256_priv_t peer_priv;
    uint8_t shared[32];
    assert_int_equal(ms_tee_key_generate(MS_TEE_PART_NSPE, 11, MS_TEE_KEY_P256, 256,
                                         &nspe_sign), MS_OK);
    assert_int_equal(ms_p256_keygen(&peer_priv, &peer), MS_OK);
    assert_int_equal(ms_tee_key_ecdh(MS_TEE_PART_NSPE, 11, &peer, shared), MS_ERR_TEE_DENIED);
}

static void test_missing_key_looks_like_denied(void **state)
{
    (void)state;
    uint8_t hash[32] = { 0 }, sig[80];
    size_t n;
    assert_int_equal(ms_tee_key_sign_hash(MS_TEE_PART_NSPE, 999, hash, sig, sizeof sig, &n),
                     MS_ERR_TEE_DENIED);
}

static void test_image_key_ecdh_matches_peer_side(void **state)
{
    (void)state;
    ms_p256_priv_t dev_priv, eph_priv;
    ms_p256_pub_t dev_pub, eph_pub, exported;
    uint8_t a[32], b[32];
    ms_tee_key_policy_t p = { MS_TEE_USE_ECDH, MS_TEE_PART_BIT(MS_TEE_PART_BOOT) };
    assert_int_equal(ms_p256_keygen(&dev_priv, &dev_pub), MS_OK);
    assert_int_equal(ms_tee_key_import(MS_TEE_PART_BOOT, MS_TEE_KEY_IMAGE_DEC, MS_TEE_KEY_P256,
                                       dev_priv.d, 32, &p), MS_OK);
    assert_int_equal(ms_tee_key_export_public(MS_TEE_PART_BOOT, MS_TEE_KEY_IMAGE_DEC,
                                              &exported), MS_OK);
    assert_memory_equal(exported.q, dev_pub.q, sizeof dev_pub.q);
    assert_int_equal(ms_p256_keygen(&eph_priv, &eph_pub), MS_OK);
    assert_int_equal(ms_tee_key_ecdh(MS_TEE_PART_BOOT, MS_TEE_KEY_IMAGE_DEC, &eph_pub, a),
                     MS_OK);
    assert_int_equal(ms_p256_ecdh(&eph_priv, &dev_pub, b), MS_OK);
    assert_memory_equal(a, b, 32);
    assert_int_equal(ms_tee_key_ecdh(MS_TEE_PART_NSPE, MS_TEE_KEY_IMAGE_DEC, &eph_pub, a),
                     MS_ERR_TEE_DENIED);
}

static void test_invalid_peer_point_is_refused(void **state)
{
    (void)state;
    ms_tee_key_policy_t p = { MS_TEE_USE_ECDH, MS_TEE_PART_BIT(MS_TEE_PART_NSPE) };
    ms_p256_pub_t bad;
    uint8_t s[32];
    memset(bad.q, 0, sizeof bad.q);
    bad.q[0] = 4;
    bad.q[64] = 1;
    assert_int_equal(ms_tee_key_generate(MS_TEE_PART_NSPE, 12, MS_TEE_KEY_P256, 256, &p),
                     MS_OK);
    assert_int_equal(ms_tee_key_ecdh(MS_TEE_PART_NSPE, 12, &bad, s), MS_ERR_KEY_FORMAT);
}

static void test_aead_roundtrip_and_tamper(void **state)
{
    (void)state;
    ms_tee_key_policy_t p = { MS_TEE_USE_ENCRYPT | MS_TEE_USE_DECRYPT,
                              MS_TEE_PART_BIT(MS_TEE_PART_NSPE) };
    uint8_t nonce[12] = { 1 }, tag[16], ct[20], pt[20];
    const uint8_t msg[20] = "meter reading 42 Wh";
    assert_int_equal(ms_tee_key_generate(MS_TEE_PART_NSPE, 20, MS_TEE_KEY_AES, 256, &p), MS_OK);
    assert_int_equal(ms_tee_key_aead_encrypt(MS_TEE_PART_NSPE, 20, nonce, (const uint8_t *)"h",
                                             1, msg, ct, sizeof msg, tag), MS_OK);
    assert_memory_not_equal(ct, msg, sizeof msg);
    assert_int_equal(ms_tee_key_aead_decrypt(MS_TEE_PART_NSPE, 20, nonce, (const uint8_t *)"h",
                                             1, ct, pt, sizeof ct, tag), MS_OK);
    assert_memory_equal(pt, msg, sizeof msg);
    ct[3] ^= 1;
    assert_int_equal(ms_tee_key_aead_decrypt(MS_TEE_PART_NSPE, 20, nonce, (const uint8_t *)"h",
                                             1, ct, pt, sizeof ct, tag), MS_ERR_AUTH);
}

static void test_encrypt_only_key_cannot_decrypt(void **state)
{
    (void)state;
    ms_tee_key_policy_t p = { MS_TEE_USE_ENCRYPT, MS_TEE_PART_BIT(MS_TEE_PART_NSPE) };
    uint8_t nonce[12] = { 0 }, tag[16] = { 0 }, buf[4] = { 0 };
    assert_int_equal(ms_tee_key_generate(MS_TEE_PART_NSPE, 21, MS_TEE_KEY_AES, 128, &p), MS_OK);
    assert_int_equal(ms_tee_key_aead_decrypt(MS_TEE_PART_NSPE, 21, nonce, NULL, 0, buf, buf, 4,
                                             tag), MS_ERR_TEE_DENIED);
}

static void test_mac_matches_reference_hmac_of_imported_key(void **state)
{
    (void)state;
    ms_tee_key_policy_t p = { MS_TEE_USE_MAC, MS_TEE_PART_BIT(MS_TEE_PART_NSPE) };
    uint8_t key[32], mac[32], ref[32];
    memset(key, 0x0b, sizeof key);
    assert_int_equal(ms_tee_key_import(MS_TEE_PART_NSPE, 30, MS_TEE_KEY_HMAC, key, 32, &p),
                     MS_OK);
    assert_int_equal(ms_tee_key_mac(MS_TEE_PART_NSPE, 30, (const uint8_t *)"abc", 3, mac),
                     MS_OK);
    assert_int_equal(ms_hmac_sha256(key, 32, "abc", 3, ref), MS_OK);
    assert_memory_equal(mac, ref, 32);
    assert_int_equal(ms_tee_key_mac_verify(MS_TEE_PART_NSPE, 30, (const uint8_t *)"abc", 3,
                                           mac), MS_OK);
    mac[31] ^= 1;
    assert_int_equal(ms_tee_key_mac_verify(MS_TEE_PART_NSPE, 30, (const uint8_t *)"abc", 3,
                                           mac), MS_ERR_AUTH);
}

static void test_key_material_not_in_flash_in_clear(void **state)
{
    (void)state;
    ms_tee_key_policy_t p = { MS_TEE_USE_MAC, MS_TEE_PART_BIT(MS_TEE_PART_NSPE) };
    uint8_t key[32];
    for (size_t i = 0; i < sizeof key; i++) {
        key[i] = (uint8_t)(0xc0 + i);
    }
    assert_int_equal(ms_tee_key_import(MS_TEE_PART_NSPE, 31, MS_TEE_KEY_HMAC, key, 32, &p),
                     MS_OK);
    for (size_t i = 0; i + 8 <= g_its.area.size; i++) {
        assert_false(memcmp(g_its.sim.mem + i, key, 8) == 0);
    }
}

static void test_bad_arguments_and_policies_are_refused(void **state)
{
    (void)state;
    uint8_t k[16] = { 0 };
    ms_tee_key_policy_t none = { 0, MS_TEE_PART_BIT(MS_TEE_PART_NSPE) };
    ms_tee_key_policy_t other = { MS_TEE_USE_MAC, MS_TEE_PART_BIT(MS_TEE_PART_BOOT) };
    ms_tee_key_policy_t ok = { MS_TEE_USE_MAC, MS_TEE_PART_BIT(MS_TEE_PART_NSPE) };
    assert_int_equal(ms_tee_key_import(MS_TEE_PART_NSPE, 40, MS_TEE_KEY_HMAC, k, 16, &none),
                     MS_ERR_ARG);
    /* a caller cannot make keys only someone else may use */
    assert_int_equal(ms_tee_key_import(MS_TEE_PART_NSPE, 40, MS_TEE_KEY_HMAC, k, 16, &other),
                     MS_ERR_ARG);
    assert_int_equal(ms_tee_key_import(MS_TEE_PART_NSPE, 0, MS_TEE_KEY_HMAC, k, 16, &ok),
                     MS_ERR_ARG);
    assert_int_equal(ms_tee_key_import(MS_TEE_PART_NSPE, 40, MS_TEE_KEY_AES, k, 15, &ok),
                     MS_ERR_KEY_FORMAT);
    assert_int_equal(ms_tee_key_generate(MS_TEE_PART_NSPE, 40, MS_TEE_KEY_AES, 192, &ok),
                     MS_ERR_UNSUPPORTED);
    assert_int_equal(ms_tee_key_import(MS_TEE_PART_COUNT_, 40, MS_TEE_KEY_HMAC, k, 16, &ok),
                     MS_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T_(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T_(test_identity_key_signs_and_verifies_with_exported_public),
        T_(test_identity_key_cannot_be_destroyed_or_replaced),
        T_(test_identity_key_policy_is_link_and_crypto_sign),
        T_(test_provisioning_creates_an_iak_distinct_from_the_identity_key),
        T_(test_iak_signs_for_the_attestation_partition_only),
        T_(test_iak_cannot_be_destroyed_replaced_imported_or_widened),
        T_(test_partition_outside_policy_is_denied),
        T_(test_usage_outside_policy_is_denied),
        T_(test_missing_key_looks_like_denied),
        T_(test_image_key_ecdh_matches_peer_side),
        T_(test_invalid_peer_point_is_refused),
        T_(test_aead_roundtrip_and_tamper),
        T_(test_encrypt_only_key_cannot_decrypt),
        T_(test_mac_matches_reference_hmac_of_imported_key),
        T_(test_key_material_not_in_flash_in_clear),
        T_(test_bad_arguments_and_policies_are_refused),
#undef T_
    };
    return cmocka_run_group_tests_name("tee_keystore", tests, NULL, NULL);
}
