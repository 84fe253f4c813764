/* SPDX-License-Identifier: Apache-2.0 */
/*
 * validate.c - image verification: hash, trusted key, ECDSA-P256 signature
 * (M4 step S14, M5 root of trust, M6/M7 verify before install).
 *
 * Fault-injection hardening (MCUboot's FIH idea, kept small):
 *   - the hash and signature outcomes are kept as two 32-bit magic values
 *     (not booleans), each set only on the success path of its check;
 *   - a step counter is advanced by a distinct odd constant after each check
 *     and must equal the exact sum at the end, so a skipped check (a glitched
 *     branch) leaves it wrong;
 *   - before MS_OK is returned the hash is compared a second time, the two
 *     magics and the counter are re-read (volatile, so the compiler cannot
 *     fold the checks), and any mismatch returns MS_ERR_INTERNAL.
 * A single skipped instruction can therefore not turn a failed check into
 * MS_OK; an attacker has to hit several, far-apart points.
 * The signature outcome is taken from ms_p256_verify()'s return value with
 * no branch in between (fih_sig = magic ^ err), so skipping the refusal
 * branch that follows leaves fih_sig wrong.
 * Invariant: MS_OK is returned from one place only, after all of the above.
 *
 * Test builds (MS_IMAGE_FIH_TEST, tests/image/test_image_fih.c) can make one
 * refusal branch, chosen by number, not taken: a simulated glitch.
 */
#include <string.h>

#include "image_priv.h"

#define FIH_HASH_OK   0x5a3c96e1u
#define FIH_SIG_OK    0x3ca5e16bu
#define FIH_STEP_HASH 0x00000301u
#define FIH_STEP_KEY  0x00050003u
#define FIH_STEP_SIG  0x07000005u
#define FIH_STEPS_ALL (FIH_STEP_HASH + FIH_STEP_KEY + FIH_STEP_SIG)

/* Refusal branches of ms_image_verify(), by number, for glitch simulation. */
#define FIH_BR_HASH   1u
#define FIH_BR_NO_SIG 2u
#define FIH_BR_KEY    3u
#define FIH_BR_SIG    4u
#define FIH_BR_COUNT  4u

#ifdef MS_IMAGE_FIH_TEST
/* Set by the test: the number of the branch a simulated glitch skips (0: none). */
extern unsigned ms_image_fih_skip;
#define FIH_REFUSE(br, cond) ((cond) && ms_image_fih_skip != (br))
#else
#define FIH_REFUSE(br, cond) (cond)
#endif

/* Find the anchor whose key hash equals kh; MS_ERR_IMG_KEY_UNKNOWN if none.
 * Every anchor is compared (constant time, no early exit). */
static ms_err_t find_anchor(const ms_image_key_anchor_t *anchors, size_t n,
                            const uint8_t kh[MS_SHA256_LEN], size_t *idx)
{
    size_t found = n;
    for (size_t i = 0; i < n; i++) {
        if (ms_ct_equal(anchors[i].key_hash, kh, MS_SHA256_LEN) && found == n) {
            found = i;
        }
    }
    if (found == n) {
        return MS_ERR_IMG_KEY_UNKNOWN;
    }
    *idx = found;
    return MS_OK;
}

/* Which key signs this image: the anchor named by KEYHASH (its pub is
 * used) or by PUBKEY (the TLV's key is used once its hash matches). */
static ms_err_t select_key(const ms_image_info_t *info, const ms_image_key_anchor_t *anchors,
                           size_t n_anchors, const ms_p256_pub_t **pub, size_t *idx)
{
    ms_err_t err;
    if (info->has_pubkey) {
        uint8_t kh[MS_SHA256_LEN];
        err = ms_image_key_hash(&info->pubkey, kh);
        if (err) {
            return err;
        }
        /* A KEYHASH next to a PUBKEY must name the same key. */
        if (info->has_keyhash && !ms_ct_equal(kh, info->keyhash, MS_SHA256_LEN)) {
            return MS_ERR_IMG_KEY_UNKNOWN;
        }
        err = find_anchor(anchors, n_anchors, kh, idx);
        if (err) {
            return err;
        }
        *pub = &info->pubkey;
        return MS_OK;
    }
    if (info->has_keyhash) {
        err = find_anchor(anchors, n_anchors, info->keyhash, idx);
        if (err) {
            return err;
        }
        if (anchors[*idx].pub == NULL) {
            return MS_ERR_IMG_KEY_UNKNOWN; /* hash-only anchor needs a PUBKEY TLV */
        }
        *pub = anchors[*idx].pub;
        return MS_OK;
    }
    return MS_ERR_IMG_KEY_UNKNOWN;
}

/* Verify hash, key and signature of a parsed image; MS_OK only if all pass. */
ms_err_t ms_image_verify(const ms_image_reader_t *r, const ms_image_info_t *info,
                         const ms_image_key_anchor_t *anchors, size_t n_anchors,
                         const uint8_t *aes_key, size_t aes_key_len,
                         uint8_t *buf, size_t buf_len,
                         ms_image_measurement_t *out)
{
    volatile uint32_t fih_hash = 0;
    volatile uint32_t fih_sig = 0;
    volatile uint32_t fih_steps = 0;
    uint8_t digest[MS_SHA256_LEN];
    const ms_p256_pub_t *pub = NULL;
    size_t idx = 0;
    ms_err_t err;

    if (r == NULL || info == NULL || buf == NULL || buf_len == 0 ||
        (anchors == NULL && n_anchors != 0)) {
        return MS_ERR_ARG;
    }
    if (!info->has_sha256) {
        return MS_ERR_IMG_NO_HASH;
    }

    /* Decrypt only what is flagged encrypted; the key must fit the flags. */
    size_t want_key_len;
    err = ms_image_enc_key_len(&info->hdr, &want_key_len);
    if (err) {
        return err;
    }
    const uint8_t *key = NULL;
    if (want_key_len != 0 && aes_key != NULL) {
        if (aes_key_len != want_key_len) {
            return MS_ERR_ARG;
        }
        key = aes_key;
    }

    err = ms_image_hash(r, info, key, want_key_len, buf, buf_len, digest);
    if (err) {
        return err;
    }
    if (FIH_REFUSE(FIH_BR_HASH, !ms_ct_equal(digest, info->sha256, MS_SHA256_LEN))) {
        return MS_ERR_IMG_HASH;
    }
    fih_hash = FIH_HASH_OK;
    fih_steps += FIH_STEP_HASH;

    if (FIH_REFUSE(FIH_BR_NO_SIG, info->sig_len == 0)) {
        return MS_ERR_IMG_NO_SIG;
    }
    err = select_key(info, anchors, n_anchors, &pub, &idx);
    if (FIH_REFUSE(FIH_BR_KEY, err != MS_OK)) {
        return err;
    }
    fih_steps += FIH_STEP_KEY;

    err = ms_p256_verify(pub, digest, info->sig, info->sig_len);
    /* No branch between the verdict and fih_sig: a skipped refusal below
     * leaves fih_sig != FIH_SIG_OK (MS_OK is 0). */
    fih_sig = FIH_SIG_OK ^ (uint32_t)err;
    if (FIH_REFUSE(FIH_BR_SIG, err != MS_OK)) {
        return err;
    }
    fih_steps += FIH_STEP_SIG;

    /* Second look at every decision before saying yes. */
    if (!ms_ct_equal(digest, info->sha256, MS_SHA256_LEN)) {
        return MS_ERR_INTERNAL;
    }
    if (fih_hash != FIH_HASH_OK || fih_sig != FIH_SIG_OK || fih_steps != FIH_STEPS_ALL) {
        return MS_ERR_INTERNAL;
    }

    if (out != NULL) {
        memcpy(out->hash, digest, MS_SHA256_LEN);
        out->version = info->hdr.version;
        out->has_sec_cnt = info->has_sec_cnt;
        out->sec_cnt = info->sec_cnt;
        out->anchor_index = idx;
        out->has_signer_id = true;
        memcpy(out->signer_id, anchors[idx].key_hash, MS_SHA256_LEN);
    }
    if (fih_hash == FIH_HASH_OK && fih_sig == FIH_SIG_OK && fih_steps == FIH_STEPS_ALL) {
        return MS_OK;
    }
    return MS_ERR_INTERNAL;
}
