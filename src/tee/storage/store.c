/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store.c - log-structured, encrypted, rollback-protected object store over
 * a NOR flash area (M9): the object operations. Backs PSA ITS and PS; the
 * format is documented in docs/secure-storage.md, the split of the store
 * into files in store_priv.h.
 *
 * Invariants:
 *   - seq grows by one per set/remove; each new record carries
 *     HMAC(mac_key, seq || sorted live (uid, seq) pairs) after its change,
 *     and the NV counter follows the commit.
 *   - Data is AES-256-GCM encrypted with the header as AAD; a read checks
 *     the header copies and the tag, and reports any damage as corruption.
 *   - Nothing here allocates; the index and work buffer belong to the caller.
 */
#include "meterseal/tee_store.h"

#include <string.h>

#include "meterseal/crypto.h"
#include "meterseal/tee.h"
#include "store_priv.h"

/* Append a SET or DEL record for uid as commit seq+1 and bump the counter. */
static ms_err_t append(ms_tee_store_t *st, uint8_t type, uint64_t uid, const uint8_t *data,
                       uint32_t len, uint32_t flags)
{
    ms_err_t err = ms_tee_store_make_room(st, uid, len);
    if (err) {
        /* a failed GC leaves RAM state behind flash: mount again first */
        st->mounted = (err == MS_ERR_TEE_NO_SPACE);
        return err;
    }
    ms_tee_record_hdr_t h;
    memset(&h, 0, sizeof h);
    h.type = type;
    h.flags = flags;
    h.data_len = len;
    h.uid = uid;
    h.seq = st->seq + 1u;
    err = ms_random(h.nonce, sizeof h.nonce);
    if (!err) {
        err = ms_tee_store_state_mac(st, &h, &h, h.state_mac);
    }
    if (err) {
        return err;
    }
    uint8_t *w = st->cfg.work;
    uint32_t blen = body_len(st, len);
    ms_tee_store_encode_header(&h, w);
    memcpy(w + MS_TEE_STORE_HDR_LEN, w, MS_TEE_STORE_HDR_LEN);
    memset(w + MS_TEE_STORE_HDRS_LEN + len + MS_TEE_STORE_TAG_LEN,
           st->cfg.area->flash->erased_val,
           blen - (MS_TEE_STORE_HDRS_LEN + len + MS_TEE_STORE_TAG_LEN));
    /* M9: AES-256-GCM, the header (uid, seq, flags, length) as AAD */
    err = ms_aes_gcm_encrypt(st->enc_key, sizeof st->enc_key, h.nonce, sizeof h.nonce,
                             w, MS_TEE_STORE_HDR_CRC_OFF, len ? data : w + MS_TEE_STORE_HDRS_LEN,
                             w + MS_TEE_STORE_HDRS_LEN, len,
                             w + MS_TEE_STORE_HDRS_LEN + len, MS_TEE_STORE_TAG_LEN);
    if (err) {
        return err;
    }
    uint32_t at = st->wpos;
    err = ms_tee_store_write_body(st, blen);
    if (err) {
        st->mounted = (err != MS_ERR_POWER_LOST);
        return err;
    }
    ms_tee_store_entry_t *e = ms_tee_store_index_insert(st, uid);
    if (e == NULL) {
        return MS_ERR_INTERNAL;   /* ms_tee_store_make_room guaranteed a slot */
    }
    ms_tee_store_entry_set(e, &h, st->active, at, false);
    st->seq = h.seq;
    /* anti-rollback: the counter follows the commit (mount rolls it forward
     * if power is lost in between) */
    return ms_tee_hal_nvc_increment(st->cfg.nvc_id);
}

/* ---- object operations ----------------------------------------------------- */

ms_err_t ms_tee_store_set(ms_tee_store_t *st, uint64_t uid, const void *data,
                          size_t len, uint32_t flags)
{
    if (st == NULL || !st->mounted) {
        return MS_ERR_STATE;
    }
    if (uid == 0 || (data == NULL && len != 0)) {
        return MS_ERR_ARG;
    }
    if (len > st->cfg.max_data) {
        return MS_ERR_TEE_NO_SPACE;
    }
    const ms_tee_store_entry_t *e = ms_tee_store_index_get(st, uid);
    bool exists = e != NULL && !e->deleted;
    if (exists && (e->flags & 1u)) {   /* PSA_STORAGE_FLAG_WRITE_ONCE */
        return MS_ERR_TEE_WRITE_ONCE;
    }
    if (!exists && ms_tee_store_live_objects(st) >= st->cfg.max_objects) {
        return MS_ERR_TEE_NO_SPACE;
    }
    /* the old version stays in flash until GC: count both */
    size_t need = ms_tee_store_live_bytes(st) + record_len(st, (uint32_t)len);
    if (need > ms_tee_store_capacity_bytes(st)) {
        return MS_ERR_TEE_NO_SPACE;
    }
    return append(st, MS_TEE_REC_SET, uid, data, (uint32_t)len, flags);
}

ms_err_t ms_tee_store_get(ms_tee_store_t *st, uint64_t uid, size_t offset,
                          void *buf, size_t cap, size_t *out_len)
{
    if (st == NULL || !st->mounted) {
        return MS_ERR_STATE;
    }
    if (uid == 0 || out_len == NULL || (buf == NULL && cap != 0)) {
        return MS_ERR_ARG;
    }
    *out_len = 0;
    const ms_tee_store_entry_t *e = ms_tee_store_index_get(st, uid);
    if (e == NULL || e->deleted) {
        return MS_ERR_NOT_FOUND;
    }
    if (offset > e->data_len) {
        return MS_ERR_ARG;
    }
    if (e->damaged) {
        return MS_ERR_TEE_CORRUPT;
    }
    uint8_t *w = st->cfg.work;
    uint32_t len = e->data_len;
    uint32_t blen = body_len(st, len);
    ms_err_t err = area_read(st, e->sector, e->offset, w, blen);
    if (err) {
        return err;
    }
    ms_tee_record_hdr_t h;
    bool damaged;
    if (ms_tee_store_parse_header(w, blen, &h, &damaged) != MS_OK || damaged ||
        h.uid != uid || h.seq != e->seq || h.data_len != len || h.type != MS_TEE_REC_SET) {
        return MS_ERR_TEE_CORRUPT;
    }
    uint8_t *plain = w + blen;
    err = ms_aes_gcm_decrypt(st->enc_key, sizeof st->enc_key, h.nonce, sizeof h.nonce,
                             w, MS_TEE_STORE_HDR_CRC_OFF, w + MS_TEE_STORE_HDRS_LEN, plain, len,
                             w + MS_TEE_STORE_HDRS_LEN + len, MS_TEE_STORE_TAG_LEN);
    if (err == MS_ERR_AUTH) {
        return MS_ERR_TEE_CORRUPT;
    }
    if (err) {
        return err;
    }
    size_t n = len - offset;
    if (n > cap) {
        n = cap;
    }
    if (n > 0) {
        memcpy(buf, plain + offset, n);
    }
    *out_len = n;
    ms_secure_zero(plain, len);
    return MS_OK;
}

ms_err_t ms_tee_store_info(ms_tee_store_t *st, uint64_t uid, size_t *size, uint32_t *flags)
{
    if (st == NULL || !st->mounted) {
        return MS_ERR_STATE;
    }
    if (uid == 0 || size == NULL || flags == NULL) {
        return MS_ERR_ARG;
    }
    const ms_tee_store_entry_t *e = ms_tee_store_index_get(st, uid);
    if (e == NULL || e->deleted) {
        return MS_ERR_NOT_FOUND;
    }
    *size = e->data_len;
    *flags = e->flags;
    return MS_OK;
}

ms_err_t ms_tee_store_remove(ms_tee_store_t *st, uint64_t uid)
{
    if (st == NULL || !st->mounted) {
        return MS_ERR_STATE;
    }
    if (uid == 0) {
        return MS_ERR_ARG;
    }
    const ms_tee_store_entry_t *e = ms_tee_store_index_get(st, uid);
    if (e == NULL || e->deleted) {
        return MS_ERR_NOT_FOUND;
    }
    if (e->flags & 1u) {   /* PSA_STORAGE_FLAG_WRITE_ONCE */
        return MS_ERR_TEE_WRITE_ONCE;
    }
    return append(st, MS_TEE_REC_DEL, uid, NULL, 0, 0);
}

ms_err_t ms_tee_store_stats(const ms_tee_store_t *st, ms_tee_store_stats_t *out)
{
    if (st == NULL || out == NULL || !st->mounted) {
        return MS_ERR_ARG;
    }
    out->objects = ms_tee_store_live_objects(st);
    out->live_bytes = ms_tee_store_live_bytes(st);
    out->capacity_bytes = ms_tee_store_capacity_bytes(st);
    out->seq = st->seq;
    out->generation = st->generation;
    return MS_OK;
}
