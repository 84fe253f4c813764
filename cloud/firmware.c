/* SPDX-License-Identifier: Apache-2.0 */
/*
 * firmware.c - the firmware repository's gate (M14; see ota.h): an uploaded
 * image is outside data, parsed with the image module's bounded parser,
 * and accepted only when a vendor key signed it and it is no downgrade
 * below the fleet's security counter (the highest of a released image, or
 * the configured floor: an image stored but never offered raises no
 * meter's counter). Stored once, keyed by the SHA-256 of its bytes.
 *
 * Invariants:
 *   - Crypto only through the image and crypto modules; the digest that is
 *     signed is compared in constant time when it is recomputed.
 *   - The device decryption key, when configured, is used only to unwrap
 *     the payload key for the full check, and the payload key is wiped.
 *   - No image byte is stored before every check passed.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "meterseal/image.h"
#include "ota.h"

static void hex(const uint8_t *p, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[p[i] >> 4];
        out[2 * i + 1] = d[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static ms_err_t refuse(char reason[MS_OTA_REASON_MAX], ms_err_t err, const char *why)
{
    snprintf(reason, MS_OTA_REASON_MAX, "%s (%s)", why, ms_errname(err));
    return err;
}

ms_err_t ms_fw_check(const ms_ota_t *o, const uint8_t *img, size_t len, uint32_t fleet_sec_cnt,
                     ms_fw_rec_t *out, char reason[MS_OTA_REASON_MAX])
{
    memset(out, 0, sizeof *out);
    snprintf(reason, MS_OTA_REASON_MAX, "ok");
    if (o->n_vendor == 0) {
        return refuse(reason, MS_ERR_IMG_KEY_UNKNOWN, "no vendor key configured (--vendor-key)");
    }
    if (img == NULL || len == 0 || len > MS_OTA_IMAGE_MAX) {
        return refuse(reason, MS_ERR_ARG, "empty or larger than 2 MiB");
    }
    ms_image_reader_t r;
    ms_image_mem_t mem;
    ms_image_info_t info;
    ms_image_reader_mem(&r, &mem, img, len);
    ms_err_t err = ms_image_parse(&r, &info);
    if (err != MS_OK) {
        return refuse(reason, err, "not an MCUboot image");
    }
    if (info.end != len) {
        return refuse(reason, MS_ERR_FORMAT, "bytes after the image's TLVs");
    }
    if (!info.has_sha256) {
        return refuse(reason, MS_ERR_IMG_NO_HASH, "no SHA256 TLV");
    }
    if (info.sig_len == 0) {
        return refuse(reason, MS_ERR_IMG_NO_SIG, "unsigned image");
    }
    /* which vendor key does the image name? */
    size_t k = o->n_vendor;
    for (size_t i = 0; i < o->n_vendor && k == o->n_vendor; i++) {
        uint8_t kh[MS_SHA256_LEN];
        if (info.has_keyhash && ms_image_key_hash(&o->vendor[i], kh) == MS_OK &&
            ms_ct_equal(kh, info.keyhash, sizeof kh)) {
            k = i;
        }
        if (info.has_pubkey && ms_ct_equal(info.pubkey.q, o->vendor[i].q, sizeof info.pubkey.q)) {
            k = i;
        }
    }
    if (k == o->n_vendor) {
        return refuse(reason, MS_ERR_IMG_KEY_UNKNOWN, "not signed by a vendor key");
    }
    size_t key_len = 0;
    if ((err = ms_image_enc_key_len(&info.hdr, &key_len)) != MS_OK) {
        return refuse(reason, err, "contradictory encryption flags");
    }
    if (key_len == 0 || o->has_enc_priv) {
        /* the whole image: decrypt (with the device key) and hash */
        uint8_t key[MS_IMAGE_ENC_KEY_MAX];
        size_t klen = 0;
        if (key_len != 0 && (err = ms_image_unwrap_key(&info, &o->enc_priv, key, &klen)) != MS_OK) {
            return refuse(reason, err, "not encrypted for the fleet's device key");
        }
        ms_image_key_anchor_t anchor;
        anchor.pub = &o->vendor[k];
        ms_image_key_hash(&o->vendor[k], anchor.key_hash);
        uint8_t buf[1024];
        err = ms_image_verify(&r, &info, &anchor, 1, klen ? key : NULL, klen, buf, sizeof buf,
                              NULL);
        ms_secure_zero(key, sizeof key);
        if (err != MS_OK) {
            return refuse(reason, err, "signature or hash check failed");
        }
    } else {
        /* encrypted and no device key here: the vendor's signature over the
         * digest the SHA256 TLV carries (the meter's TEE checks the rest) */
        if ((err = ms_p256_verify(&o->vendor[k], info.sha256, info.sig, info.sig_len)) != MS_OK) {
            return refuse(reason, err, "bad signature");
        }
    }
    uint32_t cnt = info.has_sec_cnt ? info.sec_cnt : 0;
    uint32_t fleet = fleet_sec_cnt > o->sec_floor ? fleet_sec_cnt : o->sec_floor;
    if (cnt < fleet) {
        ms_fw_downgrade_reason(cnt, fleet, reason);
        return MS_ERR_BOOT_ROLLBACK;
    }
    uint8_t digest[MS_SHA256_LEN];
    if ((err = ms_sha256(img, len, digest)) != MS_OK) {
        return refuse(reason, err, "hash");
    }
    hex(digest, sizeof digest, out->sha256);
    const ms_image_version_t *v = &info.hdr.version;
    if (v->build != 0) {
        snprintf(out->version, sizeof out->version, "%u.%u.%u+%u", v->major, v->minor,
                 v->revision, v->build);
    } else {
        snprintf(out->version, sizeof out->version, "%u.%u.%u", v->major, v->minor, v->revision);
    }
    out->sec_cnt = cnt;
    out->size = (uint32_t)len;
    return MS_OK;
}

void ms_fw_downgrade_reason(uint32_t sec_cnt, uint32_t fleet, char reason[MS_OTA_REASON_MAX])
{
    snprintf(reason, MS_OTA_REASON_MAX,
             "downgrade: security counter %u below the fleet's %u (MS_ERR_BOOT_ROLLBACK)",
             sec_cnt, fleet);
}

ms_err_t ms_fw_fleet_sec_cnt(ms_ota_t *o, uint32_t *fleet)
{
    ms_err_t err = ms_ota_fw_max_sec_cnt(&o->c->db, fleet);
    if (err == MS_OK && *fleet < o->sec_floor) {
        *fleet = o->sec_floor;
    }
    return err;
}

ms_err_t ms_fw_release_check(ms_ota_t *o, const char *sha256, char reason[MS_OTA_REASON_MAX])
{
    ms_fw_rec_t fw;
    uint32_t fleet = 0;
    ms_err_t err = ms_ota_fw_get(&o->c->db, sha256, &fw);
    if (err == MS_ERR_NOT_FOUND) {
        snprintf(reason, MS_OTA_REASON_MAX, "no such firmware");
        return err;
    }
    if (err == MS_OK) {
        err = ms_fw_fleet_sec_cnt(o, &fleet);
    }
    if (err != MS_OK) {
        snprintf(reason, MS_OTA_REASON_MAX, "database error");
        return err;
    }
    if (fw.sec_cnt < fleet) {
        ms_fw_downgrade_reason(fw.sec_cnt, fleet, reason);
        return MS_ERR_BOOT_ROLLBACK;
    }
    return MS_OK;
}

ms_err_t ms_fw_upload(ms_ota_t *o, const uint8_t *img, size_t len, const char *who,
                      ms_fw_rec_t *out, bool *stored, char reason[MS_OTA_REASON_MAX])
{
    uint32_t fleet = 0;
    *stored = false;
    ms_err_t err = ms_fw_fleet_sec_cnt(o, &fleet);
    if (err != MS_OK) {
        snprintf(reason, MS_OTA_REASON_MAX, "database error");
        return err;
    }
    err = ms_fw_check(o, img, len, fleet, out, reason);
    if (err != MS_OK) {
        ms_log(MS_LOG_WARN, "firmware.refused", "by=%s size=%zu err=%s", who, len,
               ms_errname(err));
        return err;
    }
    snprintf(out->uploaded_by, sizeof out->uploaded_by, "%s", who);
    out->uploaded_at = o->c->now();
    err = ms_ota_fw_put(&o->c->db, out, img, stored);
    if (err == MS_OK && !*stored) {
        err = ms_ota_fw_get(&o->c->db, out->sha256, out);   /* the first upload's record */
    }
    if (err != MS_OK) {
        snprintf(reason, MS_OTA_REASON_MAX, "database error");
        return err;
    }
    char detail[MS_OTA_AUDIT_MAX];
    snprintf(detail, sizeof detail, "sha256=%s version=%s sec_cnt=%u size=%u%s", out->sha256,
             out->version, out->sec_cnt, out->size, *stored ? "" : " (already stored)");
    ms_log(MS_LOG_INFO, "firmware.uploaded", "by=%s %s", who, detail);
    return ms_ota_audit(&o->c->db, o->c->now(), who, "firmware.upload", detail);
}
