/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_mount.c - mounting the record store (M9): scan every sector into
 * the index, check the anti-rollback counter and the live-set MAC, finish
 * an interrupted GC or cleanup, then settle a write a cut interrupted.
 *
 * Invariants:
 *   - The anchor (the committed record with the highest seq, a) must match
 *     the NV counter: 2a, or 2a-1 (a completion step was lost: rolled
 *     forward) or 2a+1 (a write stopped after its intent: sealed, so that
 *     seq a+1 can never be given to another record).
 *   - The scanned live set must match the anchor's state MAC.
 *   - Repairs run only after both checks, in at most MOUNT_ATTEMPTS
 *     passes, and are themselves power-fail safe.
 *   - Stack use is bounded by MS_TEE_STORE_MAX_SECTORS.
 */
#include <string.h>

#include "meterseal/crypto.h"
#include "meterseal/tee.h"
#include "store_priv.h"

#define MOUNT_ATTEMPTS 4

/* ---- mount ---------------------------------------------------------------- */

/*
 * A record whose commit word is one or two bits away from the real one:
 * either torn during its commit write, or committed and then damaged. It is
 * left out of the index; only if the live-set check fails without it and
 * passes with it is it taken back in, marked damaged (section "Limits" of
 * docs/secure-storage.md).
 */
#define MAX_CANDIDATES 4

/* A record and where it lies. */
typedef struct placed {
    ms_tee_record_hdr_t hdr;
    uint32_t sector;
    uint32_t offset;
} placed_t;

typedef struct scan_state {
    placed_t anc;              /* the anchor: committed record with the highest seq */
    placed_t cand[MAX_CANDIDATES];
    unsigned n_cand;
} scan_state_t;

/* Scan one sector into the index. *closed when a record could not be framed. */
static ms_err_t scan_sector(ms_tee_store_t *st, uint32_t sector, scan_state_t *ss,
                            uint32_t *end, bool *closed)
{
    uint32_t off = st->data_start;
    *closed = false;
    for (;;) {
        ms_tee_scan_result_t res;
        ms_tee_scanned_t rec;
        ms_err_t err = ms_tee_store_scan_record(st, sector, off, &res, &rec);
        if (err) {
            return err;
        }
        if (res == MS_TEE_SCAN_END) {
            break;
        }
        if (res == MS_TEE_SCAN_BAD) {
            *closed = true;
            break;
        }
        placed_t here = { rec.hdr, sector, off };
        if (rec.committed) {
            if (rec.hdr.type != MS_TEE_REC_SEAL) {   /* a seal changes no object */
                ms_tee_store_entry_t *e = ms_tee_store_index_insert(st, rec.hdr.uid);
                if (e == NULL) {
                    return MS_ERR_TEE_NO_SPACE;
                }
                if (e->seq <= rec.hdr.seq) {
                    ms_tee_store_entry_set(e, &rec.hdr, sector, off, rec.damaged);
                }
            }
            if (rec.damaged) {
                st->damaged_seen++;
            }
            if (rec.hdr.seq >= ss->anc.hdr.seq) {
                ss->anc = here;
            }
        } else if (rec.near_commit && ss->n_cand < MAX_CANDIDATES) {
            ss->cand[ss->n_cand++] = here;
        }
        off += rec.len;
    }
    *end = off;
    return MS_OK;
}

static ms_err_t check_config(const ms_tee_store_config_t *cfg)
{
    if (cfg == NULL || cfg->area == NULL || cfg->area->flash == NULL || cfg->index == NULL ||
        cfg->work == NULL || cfg->max_objects == 0 || cfg->index_cap <= cfg->max_objects ||
        cfg->max_data == 0 || cfg->max_data > 0x100000u ||
        cfg->work_len < MS_TEE_STORE_WORK_LEN(cfg->max_data)) {
        return MS_ERR_ARG;
    }
    const ms_flash_t *f = cfg->area->flash;
    if (f->sector_size == 0 || f->write_align == 0 || f->write_align > 32 ||
        cfg->area->size % f->sector_size != 0 || cfg->area->off % f->sector_size != 0 ||
        cfg->area->size / f->sector_size < 2 || cfg->area->size / f->sector_size > 0xffffu) {
        return MS_ERR_ARG;
    }
    return MS_OK;
}

/*
 * M9 anti-rollback, the counter rule (docs/secure-storage.md, section 3): a
 * write of seq s+1 moves the counter from 2s to 2s+1 before anything is
 * written (intent) and to 2s+2 after its commit word. So anchor a is
 * acceptable with the counter at 2a (idle), 2a-1 (the completion step was
 * lost: roll forward) or 2a+1 (write a+1 interrupted: old state, sealed).
 * Once a write is acknowledged (2a+2), no image without it is accepted.
 */
static bool counter_accepts(uint64_t anchor_seq, uint64_t nv)
{
    return nv + 1u >= 2u * anchor_seq && nv <= 2u * anchor_seq + 1u;
}

/* Counter and live-set check of an anchor, with candidate c (may be NULL)
 * counted as committed. */
static ms_err_t check_anchor(ms_tee_store_t *st, const ms_tee_record_hdr_t *anc,
                             const placed_t *c, uint64_t nv, bool *ok)
{
    uint8_t mac[MS_TEE_STORE_MAC_LEN];
    *ok = false;
    if (!counter_accepts(anc->seq, nv)) {
        return MS_OK;
    }
    if (anc->seq == 0 && c == NULL) {
        *ok = true;
        return MS_OK;
    }
    ms_err_t err = ms_tee_store_state_mac(st, anc, c == NULL ? NULL : &c->hdr, mac);
    if (!err) {
        *ok = ms_ct_equal(mac, anc->state_mac, sizeof mac);
    }
    return err;
}

/* M9 anti-rollback: the anchor matches the NV counter and the live set. */
static ms_err_t verify_state(ms_tee_store_t *st, scan_state_t *ss, uint64_t nv)
{
    bool ok;
    ms_err_t err = check_anchor(st, &ss->anc.hdr, NULL, nv, &ok);
    for (unsigned i = 0; !err && !ok && i < ss->n_cand; i++) {
        const placed_t *c = &ss->cand[i];
        bool seal = c->hdr.type == MS_TEE_REC_SEAL;
        const ms_tee_store_entry_t *e = seal ? NULL : ms_tee_store_index_get(st, c->hdr.uid);
        /* what is missing is newer than what is there: an object's record
         * than its index entry, a seal than the anchor */
        uint64_t have = seal ? ss->anc.hdr.seq : e != NULL ? e->seq : 0u;
        if (c->hdr.seq <= have) {
            continue;   /* superseded anyway */
        }
        const placed_t *a = c->hdr.seq > ss->anc.hdr.seq ? c : &ss->anc;
        err = check_anchor(st, &a->hdr, seal ? NULL : c, nv, &ok);
        if (!err && ok && !seal) {
            ms_tee_store_entry_t *ne = ms_tee_store_index_insert(st, c->hdr.uid);
            if (ne == NULL) {
                return MS_ERR_TEE_NO_SPACE;
            }
            /* its commit word was altered: damaged */
            ms_tee_store_entry_set(ne, &c->hdr, c->sector, c->offset, true);
            st->damaged_seen++;
        }
        if (!err && ok) {
            ss->anc = *a;
        }
    }
    if (err) {
        return err;
    }
    if (!ok) {
        return MS_ERR_TEE_ROLLBACK;
    }
    st->seq = ss->anc.hdr.seq;
    st->nv = nv;
    st->anchor_sector = ss->anc.sector;
    st->anchor_offset = ss->anc.offset;
    return MS_OK;
}

/* One pass: scan, then either finish a pending GC/cleanup (*again) or verify. */
static ms_err_t mount_pass(ms_tee_store_t *st, bool *again)
{
    uint32_t gens[MS_TEE_STORE_MAX_SECTORS];
    bool valid[MS_TEE_STORE_MAX_SECTORS];
    uint8_t order[MS_TEE_STORE_MAX_SECTORS];
    uint32_t n = st->n_sectors;
    ms_err_t err;

    *again = false;
    st->n_entries = 0;
    st->has_active = false;
    st->generation = 0;
    st->damaged_seen = 0;
    for (uint32_t s = 0; s < n; s++) {
        err = ms_tee_store_read_sector_header(st, s, &valid[s], &gens[s]);
        if (err) {
            return err;
        }
        if (valid[s] && (!st->has_active || gens[s] > st->generation)) {
            st->has_active = true;
            st->active = s;
            st->generation = gens[s];
        }
    }
    /* scan in generation order, oldest first: equal seqs resolve to the copy */
    uint32_t m = 0;
    for (uint32_t s = 0; s < n; s++) {
        if (valid[s]) {
            uint32_t j = m++;
            while (j > 0 && gens[order[j - 1]] > gens[s]) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = (uint8_t)s;
        }
    }
    scan_state_t ss;
    memset(&ss, 0, sizeof ss);
    bool active_closed = false;
    for (uint32_t i = 0; i < m; i++) {
        uint32_t end;
        bool closed;
        err = scan_sector(st, order[i], &ss, &end, &closed);
        if (err) {
            return err;
        }
        if (st->has_active && order[i] == st->active) {
            st->wpos = closed ? st->sector_size : end;
            active_closed = closed;
        }
    }

    /* anti-rollback (M9): anchor vs NV counter, then the live-set MAC */
    uint64_t nv = 0;
    err = ms_tee_hal_nvc_read(st->cfg.nvc_id, &nv);
    if (err) {
        return err;
    }
    err = verify_state(st, &ss, nv);
    if (err) {
        return err;
    }

    /* recovery: the sector after the active one must be erased */
    if (st->has_active) {
        uint32_t next = (st->active + 1u) % n;
        int erased = 0;
        err = sector_is_erased(st, next, &erased);
        if (err) {
            return err;
        }
        if (!erased) {
            *again = true;
            if (!valid[next]) {
                return sector_erase(st, next);   /* torn header or half erase */
            }
            /* interrupted GC: active is the destination, next the victim */
            if (!active_closed) {
                err = ms_tee_store_gc_copy(st, next);
                if (err == MS_OK) {
                    return sector_erase(st, next);
                }
                if (err != MS_ERR_TEE_NO_SPACE) {
                    return err;
                }
            }
            /* destination unusable: start that GC again from scratch */
            err = sector_erase(st, st->active);
            if (!err) {
                err = ms_tee_store_write_sector_header(st, st->active, st->generation);
            }
            return err;
        }
    } else {
        /* no valid sector: only torn first headers can be here */
        for (uint32_t s = 0; s < n; s++) {
            int erased = 0;
            err = sector_is_erased(st, s, &erased);
            if (!err && !erased) {
                *again = true;
                err = sector_erase(st, s);
            }
            if (err) {
                return err;
            }
        }
        if (*again) {
            return MS_OK;
        }
    }
    /* the counter back to 2 x seq: roll a lost completion step forward, or
     * seal a write that stopped after its intent */
    return ms_tee_store_settle(st);
}

ms_err_t ms_tee_store_mount(ms_tee_store_t *st, const ms_tee_store_config_t *cfg,
                            const uint8_t enc_key[MS_TEE_STORE_KEY_LEN],
                            const uint8_t mac_key[MS_TEE_STORE_KEY_LEN])
{
    if (st == NULL || enc_key == NULL || mac_key == NULL) {
        return MS_ERR_ARG;
    }
    ms_err_t err = check_config(cfg);
    if (err) {
        return err;
    }
    memset(st, 0, sizeof *st);
    st->cfg = *cfg;
    memcpy(st->enc_key, enc_key, sizeof st->enc_key);
    memcpy(st->mac_key, mac_key, sizeof st->mac_key);
    st->sector_size = cfg->area->flash->sector_size;
    st->n_sectors = cfg->area->size / st->sector_size;
    if (st->n_sectors > MS_TEE_STORE_MAX_SECTORS) {
        ms_tee_store_unmount(st);
        return MS_ERR_ARG;
    }
    st->commit_len = align_up(8, write_align(st));
    st->data_start = align_up(2 * MS_TEE_STORE_SECTOR_HDR_LEN, write_align(st));
    if (st->sector_size < st->data_start + record_len(st, (uint32_t)cfg->max_data)) {
        ms_tee_store_unmount(st);
        return MS_ERR_ARG;
    }
    for (int attempt = 0; attempt < MOUNT_ATTEMPTS; attempt++) {
        bool again = false;
        err = mount_pass(st, &again);
        if (err || !again) {
            break;
        }
    }
    if (err == MS_OK) {
        st->mounted = true;
    } else {
        ms_tee_store_unmount(st);
    }
    return err;
}

void ms_tee_store_unmount(ms_tee_store_t *st)
{
    if (st != NULL) {
        ms_secure_zero(st->enc_key, sizeof st->enc_key);
        ms_secure_zero(st->mac_key, sizeof st->mac_key);
        st->mounted = false;
        st->n_entries = 0;
    }
}
