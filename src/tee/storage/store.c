/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store.c - log-structured, encrypted, rollback-protected object store over
 * a NOR flash area (M9): the object operations. Backs PSA ITS and PS; the
 * format is documented in docs/secure-storage.md, the split of the store
 * into files in store_priv.h.
 *
 * Invariants:
 *   - seq grows by one per record; each record carries the state MAC over
 *     its own header and the live set after its change (store_index.c).
 *   - M9 anti-rollback: the NV counter is 2 x seq when idle; a write takes
 *     the intent step (2 seq + 1) before its record and the completion step
 *     after its commit word, and reports success only then. A seq whose
 *     intent was taken is never given to another object's record: a write
 *     that stopped after its intent is sealed first (ms_tee_store_settle).
 *   - Space: objects are charged by capacity and one largest record is kept
 *     in reserve, so a write that does not grow its object's charge fits.
 *   - Data is AES-256-GCM encrypted with the header as AAD; a read checks
 *     the header copies and the tag, and reports any damage as corruption.
 *   - Nothing here allocates; the index and work buffer belong to the caller.
 */
#include "meterseal/tee_store.h"

#include <string.h>

#include "meterseal/crypto.h"
#include "meterseal/tee.h"
#include "store_priv.h"

/* A header for a new version of uid, seq and nonce still to be given. */
static ms_tee_record_hdr_t record(uint8_t type, uint64_t uid, uint32_t flags,
                                  uint32_t capacity, uint32_t data_len)
{
    ms_tee_record_hdr_t h;
    memset(&h, 0, sizeof h);
    h.type = type;
    h.uid = uid;
    h.flags = flags;
    h.capacity = capacity;
    h.data_len = data_len;
    return h;
}

/*
 * M9 anti-rollback, the writer's half of the counter rule (store_mount.c,
 * docs/secure-storage.md section 3): one step of the NV counter. On a
 * failure the counter's value is read back, since a failed step may or may
 * not have happened; if even that fails the store must be mounted again.
 */
static ms_err_t counter_step(ms_tee_store_t *st)
{
    ms_err_t err = ms_tee_hal_nvc_increment(st->cfg.nvc_id);
    if (!err) {
        st->nv++;
        return MS_OK;
    }
    if (ms_tee_hal_nvc_read(st->cfg.nvc_id, &st->nv) != MS_OK) {
        st->mounted = false;
    }
    return err;
}

/* Write `tmpl` as record seq+1 under the intent already taken (counter at
 * 2 seq + 1), then take the completion step (2 seq + 2). */
static ms_err_t write_record(ms_tee_store_t *st, const ms_tee_record_hdr_t *tmpl,
                             const uint8_t *data)
{
    uint32_t len = tmpl->data_len;
    ms_tee_record_hdr_t h = *tmpl;
    h.seq = st->seq + 1u;
    ms_err_t err = ms_random(h.nonce, sizeof h.nonce);
    if (!err) {
        /* a seal changes no object: its MAC covers the live set as it is */
        err = ms_tee_store_state_mac(st, &h, h.type == MS_TEE_REC_SEAL ? NULL : &h,
                                     h.state_mac);
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
    /* M9: AES-256-GCM, the header (uid, seq, flags, capacity, length) as AAD */
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
        /* the intent stays taken: the next write or mount seals seq+1 */
        st->mounted = st->mounted && err != MS_ERR_POWER_LOST;
        return err;
    }
    if (h.type != MS_TEE_REC_SEAL) {
        ms_tee_store_entry_t *e = ms_tee_store_index_insert(st, h.uid);
        if (e == NULL) {
            return MS_ERR_INTERNAL;   /* ms_tee_store_make_room guaranteed a slot */
        }
        ms_tee_store_entry_set(e, &h, st->active, at, false);
    }
    st->seq = h.seq;
    st->anchor_sector = st->active;
    st->anchor_offset = at;
    return counter_step(st);   /* completion: the write is acknowledged */
}

/* Make room for tmpl's record; a failed GC leaves RAM behind flash. */
static ms_err_t room_for(ms_tee_store_t *st, const ms_tee_record_hdr_t *tmpl)
{
    ms_err_t err = ms_tee_store_make_room(st, tmpl->uid, tmpl->data_len);
    if (err) {
        st->mounted = st->mounted && err == MS_ERR_TEE_NO_SPACE;
    }
    return err;
}

ms_err_t ms_tee_store_settle(ms_tee_store_t *st)
{
    if (st->nv == 2u * st->seq) {
        return MS_OK;
    }
    if (st->nv + 1u == 2u * st->seq) {
        return counter_step(st);   /* the completion step was lost: roll forward */
    }
    if (st->nv != 2u * st->seq + 1u) {
        return MS_ERR_TEE_ROLLBACK;
    }
    /* a write of seq+1 stopped after its intent; some image may hold it
     * (committed, or completed by whoever has the flash): give seq+1 to a
     * seal, never to another object's record */
    ms_tee_record_hdr_t h = record(MS_TEE_REC_SEAL, 0, 0, 0, 0);
    ms_err_t err = room_for(st, &h);
    return err ? err : write_record(st, &h, NULL);
}

/* Write `tmpl` with its data as commit seq+1: intent step, record, commit
 * word, completion step (docs/secure-storage.md, section 3). */
static ms_err_t append(ms_tee_store_t *st, const ms_tee_record_hdr_t *tmpl, const uint8_t *data)
{
    ms_err_t err = ms_tee_store_settle(st);
    if (!err) {
        err = room_for(st, tmpl);
    }
    if (!err) {
        err = counter_step(st);   /* intent: seq+1 is spent from here on */
    }
    return err ? err : write_record(st, tmpl, data);
}

/*
 * Space rule (docs/secure-storage.md, section 4): objects are charged as if
 * filled to their capacity, and after a write the charges plus one largest
 * record (the reserve: room for the new version of any object while its old
 * one waits for GC) must fit. So a write that does not grow the charge of
 * its object - a rewrite within capacity, set_extended, remove - always
 * fits. old: uid's index entry (live or tombstone) or NULL.
 */
static bool fits(const ms_tee_store_t *st, const ms_tee_store_entry_t *old, uint32_t capacity)
{
    size_t charged = ms_tee_store_live_bytes(st) + record_len(st, capacity);
    if (old != NULL) {
        charged -= record_len(st, old->capacity);
    }
    return charged + record_len(st, (uint32_t)st->cfg.max_data) <=
           ms_tee_store_capacity_bytes(st);
}

/* The live entry of uid: MS_OK, MS_ERR_STATE, MS_ERR_ARG or MS_ERR_NOT_FOUND. */
static ms_err_t live_entry(ms_tee_store_t *st, uint64_t uid, ms_tee_store_entry_t **out)
{
    if (st == NULL || !st->mounted) {
        return MS_ERR_STATE;
    }
    if (uid == 0) {
        return MS_ERR_ARG;
    }
    *out = ms_tee_store_index_get(st, uid);
    return *out == NULL || (*out)->deleted ? MS_ERR_NOT_FOUND : MS_OK;
}

/* A new object uid (its index slot may hold a tombstone) may be added. */
static ms_err_t check_new_object(ms_tee_store_t *st, const ms_tee_store_entry_t *old,
                                 uint32_t capacity)
{
    bool exists = old != NULL && !old->deleted;
    if (!exists && ms_tee_store_live_objects(st) >= st->cfg.max_objects) {
        return MS_ERR_TEE_NO_SPACE;
    }
    return fits(st, old, capacity) ? MS_OK : MS_ERR_TEE_NO_SPACE;
}

/*
 * Read and authenticate the newest record of e; its data_len bytes of
 * plaintext are left in the staging area (the caller wipes them).
 */
static ms_err_t read_object(ms_tee_store_t *st, const ms_tee_store_entry_t *e)
{
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
        h.uid != e->uid || h.seq != e->seq || h.data_len != len ||
        h.capacity != e->capacity || h.flags != e->flags || h.type != MS_TEE_REC_SET) {
        return MS_ERR_TEE_CORRUPT;
    }
    err = ms_aes_gcm_decrypt(st->enc_key, sizeof st->enc_key, h.nonce, sizeof h.nonce,
                             w, MS_TEE_STORE_HDR_CRC_OFF, w + MS_TEE_STORE_HDRS_LEN,
                             staging(st), len, w + MS_TEE_STORE_HDRS_LEN + len,
                             MS_TEE_STORE_TAG_LEN);
    return err == MS_ERR_AUTH ? MS_ERR_TEE_CORRUPT : err;
}

/* ---- object operations ----------------------------------------------------- */

ms_err_t ms_tee_store_set(ms_tee_store_t *st, uint64_t uid, const void *data,
                          size_t len, uint32_t flags)
{
    if (st == NULL || !st->mounted) {
        return MS_ERR_STATE;
    }
    if (uid == 0 || (data == NULL && len != 0) || flags > 0xffffu) {
        return MS_ERR_ARG;
    }
    if (len > st->cfg.max_data) {
        return MS_ERR_TEE_NO_SPACE;
    }
    const ms_tee_store_entry_t *e = ms_tee_store_index_get(st, uid);
    if (e != NULL && !e->deleted && (e->flags & MS_TEE_STORE_FLAG_WRITE_ONCE)) {
        return MS_ERR_TEE_WRITE_ONCE;
    }
    ms_err_t err = check_new_object(st, e, (uint32_t)len);
    if (err) {
        return err;
    }
    ms_tee_record_hdr_t h = record(MS_TEE_REC_SET, uid, flags, (uint32_t)len, (uint32_t)len);
    return append(st, &h, data);
}

ms_err_t ms_tee_store_create(ms_tee_store_t *st, uint64_t uid, size_t capacity,
                             uint32_t flags)
{
    if (st == NULL || !st->mounted) {
        return MS_ERR_STATE;
    }
    if (uid == 0 || flags > 0xffffu) {
        return MS_ERR_ARG;
    }
    if (capacity > st->cfg.max_data) {
        return MS_ERR_TEE_NO_SPACE;   /* more than any object can hold */
    }
    const ms_tee_store_entry_t *e = ms_tee_store_index_get(st, uid);
    if (e != NULL && !e->deleted) {
        return MS_ERR_TEE_EXISTS;     /* create never replaces nor resizes */
    }
    ms_err_t err = check_new_object(st, e, (uint32_t)capacity);
    if (err) {
        return err;
    }
    ms_tee_record_hdr_t h = record(MS_TEE_REC_SET, uid, flags, (uint32_t)capacity, 0);
    return append(st, &h, NULL);
}

ms_err_t ms_tee_store_set_extended(ms_tee_store_t *st, uint64_t uid, size_t offset,
                                   const void *data, size_t len)
{
    ms_tee_store_entry_t *e;
    ms_err_t err = live_entry(st, uid, &e);
    if (err) {
        return err;
    }
    if (data == NULL && len != 0) {
        return MS_ERR_ARG;
    }
    if (e->flags & MS_TEE_STORE_FLAG_WRITE_ONCE) {
        return MS_ERR_TEE_WRITE_ONCE;
    }
    /* no gap, nothing past the capacity (offset <= size <= capacity) */
    if (offset > e->data_len || len > e->capacity - offset) {
        return MS_ERR_ARG;
    }
    if (len == 0) {
        return MS_OK;
    }
    err = read_object(st, e);
    uint32_t size = e->data_len > offset + len ? e->data_len : (uint32_t)(offset + len);
    if (!err) {
        /* one new version of the whole object, charged as before, so it
         * fits (fits()); the staging area survives the GC append may run */
        memcpy(staging(st) + offset, data, len);
        ms_tee_record_hdr_t h = record(MS_TEE_REC_SET, uid, e->flags, e->capacity, size);
        err = append(st, &h, staging(st));
    }
    ms_secure_zero(staging(st), size);
    return err;
}

ms_err_t ms_tee_store_get(ms_tee_store_t *st, uint64_t uid, size_t offset,
                          void *buf, size_t cap, size_t *out_len)
{
    if (out_len == NULL || (buf == NULL && cap != 0)) {
        return st == NULL || !st->mounted ? MS_ERR_STATE : MS_ERR_ARG;
    }
    *out_len = 0;
    ms_tee_store_entry_t *e;
    ms_err_t err = live_entry(st, uid, &e);
    if (err) {
        return err;
    }
    if (offset > e->data_len) {
        return MS_ERR_ARG;
    }
    uint32_t len = e->data_len;
    err = read_object(st, e);
    if (!err) {
        size_t n = len - offset;
        if (n > cap) {
            n = cap;
        }
        if (n > 0) {
            memcpy(buf, staging(st) + offset, n);
        }
        *out_len = n;
    }
    ms_secure_zero(staging(st), len);
    return err;
}

ms_err_t ms_tee_store_info(ms_tee_store_t *st, uint64_t uid, size_t *size,
                           size_t *capacity, uint32_t *flags)
{
    if (size == NULL || flags == NULL) {
        return st == NULL || !st->mounted ? MS_ERR_STATE : MS_ERR_ARG;
    }
    ms_tee_store_entry_t *e;
    ms_err_t err = live_entry(st, uid, &e);
    if (err) {
        return err;
    }
    *size = e->data_len;
    if (capacity != NULL) {
        *capacity = e->capacity;
    }
    *flags = e->flags;
    return MS_OK;
}

ms_err_t ms_tee_store_remove(ms_tee_store_t *st, uint64_t uid)
{
    ms_tee_store_entry_t *e;
    ms_err_t err = live_entry(st, uid, &e);
    if (err) {
        return err;
    }
    if (e->flags & MS_TEE_STORE_FLAG_WRITE_ONCE) {
        return MS_ERR_TEE_WRITE_ONCE;
    }
    ms_tee_record_hdr_t h = record(MS_TEE_REC_DEL, uid, 0, 0, 0);
    return append(st, &h, NULL);
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
