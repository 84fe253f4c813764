/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_index.c - the RAM index of the record store (uid -> newest record)
 * and the state MAC over the live set it describes (M9 anti-rollback).
 *
 * Invariants:
 *   - The index (a caller-provided array) is kept sorted by uid; tombstones
 *     keep their slot until GC drops them.
 *   - The state MAC covers the anchor's own header and every live object's
 *     uid, seq, flags, capacity and length in uid order, so a splice of
 *     records of different ages, or an edited header, changes it.
 */
#include <string.h>

#include "meterseal/crypto.h"
#include "store_priv.h"

/* ---- index ---------------------------------------------------------------- */

/* Index kept sorted by uid: position of uid, or where it would go. */
static size_t index_find(const ms_tee_store_t *st, uint64_t uid, bool *found)
{
    size_t lo = 0, hi = st->n_entries;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (st->cfg.index[mid].uid < uid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    *found = lo < st->n_entries && st->cfg.index[lo].uid == uid;
    return lo;
}

ms_tee_store_entry_t *ms_tee_store_index_get(ms_tee_store_t *st, uint64_t uid)
{
    bool found;
    size_t i = index_find(st, uid, &found);
    return found ? &st->cfg.index[i] : NULL;
}

ms_tee_store_entry_t *ms_tee_store_index_insert(ms_tee_store_t *st, uint64_t uid)
{
    bool found;
    size_t i = index_find(st, uid, &found);
    if (found) {
        return &st->cfg.index[i];
    }
    if (st->n_entries >= st->cfg.index_cap) {
        return NULL;
    }
    memmove(&st->cfg.index[i + 1], &st->cfg.index[i],
            (st->n_entries - i) * sizeof st->cfg.index[0]);
    st->n_entries++;
    memset(&st->cfg.index[i], 0, sizeof st->cfg.index[i]);
    st->cfg.index[i].uid = uid;
    return &st->cfg.index[i];
}

void ms_tee_store_index_drop(ms_tee_store_t *st, ms_tee_store_entry_t *e)
{
    size_t i = (size_t)(e - st->cfg.index);
    memmove(&st->cfg.index[i], &st->cfg.index[i + 1],
            (st->n_entries - i - 1) * sizeof st->cfg.index[0]);
    st->n_entries--;
}

size_t ms_tee_store_live_objects(const ms_tee_store_t *st)
{
    size_t n = 0;
    for (size_t i = 0; i < st->n_entries; i++) {
        n += st->cfg.index[i].deleted ? 0u : 1u;
    }
    return n;
}

/* Fill e from the header of the record at (sector, offset). */
void ms_tee_store_entry_set(ms_tee_store_entry_t *e, const ms_tee_record_hdr_t *h,
                            uint32_t sector, uint32_t offset, bool damaged)
{
    e->seq = h->seq;
    e->sector = (uint16_t)sector;
    e->offset = offset;
    e->data_len = h->data_len;
    e->capacity = h->capacity;
    e->flags = h->flags;
    e->deleted = h->type == MS_TEE_REC_DEL;
    e->damaged = damaged;
}

#define ENTRY_MAC_LEN 28u

/* A live object as the state MAC sees it: every field mount takes from its
 * record header (uid, seq, flags, capacity, length). */
static void entry_mac_bytes(uint64_t uid, uint64_t seq, uint32_t flags, uint32_t capacity,
                            uint32_t data_len, uint8_t out[ENTRY_MAC_LEN])
{
    put_u64(out, uid);
    put_u64(out + 8, seq);
    put_u32(out + 16, flags);
    put_u32(out + 20, capacity);
    put_u32(out + 24, data_len);
}

ms_err_t ms_tee_store_state_mac(const ms_tee_store_t *st, const ms_tee_record_hdr_t *anchor,
                                const ms_tee_record_hdr_t *sub,
                                uint8_t out[MS_TEE_STORE_MAC_LEN])
{
    ms_hmac_ctx ctx;
    uint8_t buf[MS_TEE_STORE_HDR_LEN];
    uint8_t full[MS_HMAC_SHA256_LEN];
    bool sub_done = (sub == NULL);

    ms_err_t err = ms_hmac_sha256_init(&ctx, st->mac_key, sizeof st->mac_key);
    if (err) {
        return err;
    }
    /* M9: the anchor's own header (all but its state MAC and CRC) ... */
    err = ms_hmac_sha256_update(&ctx, (const uint8_t *)"MSstate2", 8);
    ms_tee_store_encode_header(anchor, buf);
    if (!err) {
        err = ms_hmac_sha256_update(&ctx, buf, MS_TEE_STORE_HDR_MAC_OFF);
    }
    /* ... then every live object in uid order, sub applied */
    for (size_t i = 0; i <= st->n_entries && !err; i++) {
        const ms_tee_store_entry_t *e = i < st->n_entries ? &st->cfg.index[i] : NULL;
        if (!sub_done && (e == NULL || e->uid >= sub->uid)) {
            sub_done = true;
            if (sub->type == MS_TEE_REC_SET) {
                entry_mac_bytes(sub->uid, sub->seq, sub->flags, sub->capacity, sub->data_len,
                                buf);
                err = ms_hmac_sha256_update(&ctx, buf, ENTRY_MAC_LEN);
            }
            if (e != NULL && e->uid == sub->uid) {
                continue;
            }
        }
        if (e == NULL || e->deleted || err) {
            continue;
        }
        entry_mac_bytes(e->uid, e->seq, e->flags, e->capacity, e->data_len, buf);
        err = ms_hmac_sha256_update(&ctx, buf, ENTRY_MAC_LEN);
    }
    if (err) {
        ms_hmac_sha256_free(&ctx);
        return err;
    }
    err = ms_hmac_sha256_finish(&ctx, full);
    memcpy(out, full, MS_TEE_STORE_MAC_LEN);
    ms_secure_zero(full, sizeof full);
    return err;
}
