/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_ring.c - records in the ring of sectors (M9): framing records while
 * scanning, appending a body and its commit word, opening the next sector
 * and compacting the oldest one into it (GC), and the space accounting
 * that keeps GC possible.
 *
 * Invariants:
 *   - A record counts only once its commit word, written in a separate
 *     flash write after the whole body, reads back exactly.
 *   - The sector after the active one is kept erased. To open it, its
 *     header is written, then the sector after it (the oldest) has its live
 *     records copied in and is erased.
 *   - GC never changes a (uid, seq) pair and never drops the anchor (the
 *     record with the highest seq, a seal included), so mount's checks
 *     survive compaction.
 *   - Objects are charged by capacity, and a write is accepted only if the
 *     charges plus one largest record (the reserve) fit in (N-1) sectors
 *     less one largest record each: GC always has room, and a rewrite
 *     within an object's capacity always fits (store.c).
 */
#include <string.h>

#include "store_priv.h"

/* ---- reading records from flash ------------------------------------------ */

static bool all_val(const uint8_t *p, size_t len, uint8_t v)
{
    for (size_t i = 0; i < len; i++) {
        if (p[i] != v) {
            return false;
        }
    }
    return true;
}

ms_err_t ms_tee_store_scan_record(const ms_tee_store_t *st, uint32_t sector, uint32_t off,
                                  ms_tee_scan_result_t *res, ms_tee_scanned_t *rec)
{
    uint8_t hb[MS_TEE_STORE_HDRS_LEN];
    if (off > st->sector_size || st->sector_size - off < MS_TEE_STORE_HDRS_LEN + st->commit_len) {
        *res = MS_TEE_SCAN_END;
        return MS_OK;
    }
    ms_err_t err = area_read(st, sector, off, hb, sizeof hb);
    if (err) {
        return err;
    }
    if (all_val(hb, sizeof hb, st->cfg.area->flash->erased_val)) {
        *res = MS_TEE_SCAN_END;
        return MS_OK;
    }
    if (ms_tee_store_parse_header(hb, sizeof hb, &rec->hdr, &rec->damaged) != MS_OK ||
        rec->hdr.capacity > st->cfg.max_data) {
        *res = MS_TEE_SCAN_BAD;
        return MS_OK;
    }
    uint32_t blen = body_len(st, rec->hdr.data_len);
    rec->len = blen + st->commit_len;
    if (rec->len > st->sector_size - off) {
        *res = MS_TEE_SCAN_BAD;
        return MS_OK;
    }
    uint8_t cw[32], expect[32];
    err = area_read(st, sector, off + blen, cw, st->commit_len);
    if (err) {
        return err;
    }
    ms_tee_store_commit_word(st, expect);
    rec->committed = memcmp(cw, expect, st->commit_len) == 0;
    unsigned dist = 0;
    for (uint32_t i = 0; i < st->commit_len; i++) {
        for (uint8_t x = (uint8_t)(cw[i] ^ expect[i]); x != 0; x &= (uint8_t)(x - 1u)) {
            dist++;
        }
    }
    rec->near_commit = dist >= 1 && dist <= 2;
    *res = MS_TEE_SCAN_RECORD;
    return MS_OK;
}

/* ---- writing records -------------------------------------------------------- */

/* Write a body already laid out in the work buffer, then its commit word. */
ms_err_t ms_tee_store_write_body(ms_tee_store_t *st, uint32_t blen)
{
    uint8_t cw[32];
    ms_err_t err = area_write(st, st->active, st->wpos, st->cfg.work, blen);
    if (!err) {
        ms_tee_store_commit_word(st, cw);
        err = area_write(st, st->active, st->wpos + blen, cw, st->commit_len);
    }
    if (err) {
        /* a failed write may leave a torn record or an erased gap (a scan
         * stops at a gap): close this sector, the next record opens another */
        st->wpos = st->sector_size;
        return err;
    }
    st->wpos += blen + st->commit_len;
    return MS_OK;
}

/* ---- the ring and GC ------------------------------------------------------ */

/* Copy one committed record raw into the active sector (GC). */
static ms_err_t copy_record(ms_tee_store_t *st, uint32_t from_sector, uint32_t from_off,
                            uint32_t data_len)
{
    uint32_t blen = body_len(st, data_len);
    if (st->wpos > st->sector_size || st->sector_size - st->wpos < blen + st->commit_len) {
        return MS_ERR_TEE_NO_SPACE;
    }
    ms_err_t err = area_read(st, from_sector, from_off, st->cfg.work, blen);
    if (err) {
        return err;
    }
    return ms_tee_store_write_body(st, blen);
}

/* Copy the live records of `victim` into the active sector. */
ms_err_t ms_tee_store_gc_copy(ms_tee_store_t *st, uint32_t victim)
{
    uint32_t off = st->data_start;
    for (;;) {
        ms_tee_scan_result_t res;
        ms_tee_scanned_t rec;
        ms_err_t err = ms_tee_store_scan_record(st, victim, off, &res, &rec);
        if (err) {
            return err;
        }
        if (res != MS_TEE_SCAN_RECORD) {
            return MS_OK;
        }
        /* the index names the newest record of each uid by place, which also
         * covers a record taken in with a damaged commit word; the anchor
         * (which may be a seal, with no uid) is kept by its place too */
        ms_tee_store_entry_t *e = rec.hdr.type == MS_TEE_REC_SEAL
                                      ? NULL : ms_tee_store_index_get(st, rec.hdr.uid);
        bool newest = e != NULL && e->seq == rec.hdr.seq && e->sector == victim &&
                      e->offset == off;
        bool anchor = st->anchor_sector == victim && st->anchor_offset == off;
        if (newest && e->deleted && !anchor) {
            ms_tee_store_index_drop(st, e);   /* tombstone with nothing older left */
        } else if (newest || anchor) {
            uint32_t at = st->wpos;
            err = copy_record(st, victim, off, rec.hdr.data_len);
            if (err) {
                return err;
            }
            if (newest) {
                e->sector = (uint16_t)st->active;
                e->offset = at;
            }
            if (anchor) {
                st->anchor_sector = st->active;
                st->anchor_offset = at;
            }
        }
        off += rec.len;
    }
}

/* Open the next sector of the ring and compact the oldest one into it. */
static ms_err_t advance(ms_tee_store_t *st)
{
    uint32_t next = st->has_active ? (st->active + 1u) % st->n_sectors : 0u;
    int erased = 0;
    ms_err_t err = sector_is_erased(st, next, &erased);
    if (!err && !erased) {
        err = sector_erase(st, next);
    }
    if (!err) {
        err = ms_tee_store_write_sector_header(st, next, st->generation + 1u);
    }
    if (err) {
        return err;
    }
    st->generation++;
    st->active = next;
    st->has_active = true;
    st->wpos = st->data_start;

    uint32_t victim = (next + 1u) % st->n_sectors;
    bool valid;
    uint32_t gen;
    err = ms_tee_store_read_sector_header(st, victim, &valid, &gen);
    if (err) {
        return err;
    }
    if (valid) {
        err = ms_tee_store_gc_copy(st, victim);
        if (err) {
            return err;
        }
    }
    err = sector_is_erased(st, victim, &erased);
    if (!err && !erased) {
        err = sector_erase(st, victim);
    }
    return err;
}

/* ---- space ------------------------------------------------------------------- */

size_t ms_tee_store_live_bytes(const ms_tee_store_t *st)
{
    size_t n = 0;
    for (size_t i = 0; i < st->n_entries; i++) {
        n += record_len(st, st->cfg.index[i].capacity);   /* >= its data */
    }
    return n;
}

size_t ms_tee_store_capacity_bytes(const ms_tee_store_t *st)
{
    size_t per = st->sector_size - st->data_start;
    size_t slack = record_len(st, (uint32_t)st->cfg.max_data);
    return (st->n_sectors - 1u) * (per - slack);
}

/* Make room for a record of data_len bytes (and an index slot for uid;
 * uid 0, a seal, needs none). */
ms_err_t ms_tee_store_make_room(ms_tee_store_t *st, uint64_t uid, uint32_t data_len)
{
    uint32_t need = record_len(st, data_len);
    for (uint32_t round = 0; round <= st->n_sectors; round++) {
        bool slot = uid == 0 || ms_tee_store_index_get(st, uid) != NULL ||
                    st->n_entries < st->cfg.index_cap;
        bool fits = st->has_active && st->wpos <= st->sector_size &&
                    st->sector_size - st->wpos >= need;
        if (slot && fits) {
            return MS_OK;
        }
        ms_err_t err = advance(st);
        if (err) {
            return err;
        }
    }
    return MS_ERR_TEE_NO_SPACE;
}

