/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_priv.h - what the files of the record store share and nobody else
 * sees (meterseal/tee_store.h is the public side, docs/secure-storage.md the
 * byte format):
 *   store_codec.c  on-flash formats: record header, sector header, commit word
 *   store_ring.c   reading and appending records, the sector ring, GC, space
 *   store_index.c  the RAM index and the live-set (state) MAC over it
 *   store_mount.c  mount: scan, anti-rollback checks, recovery
 *   store.c        object operations (set, get, info, remove, stats)
 *
 * Invariant: every function here works on one ms_tee_store_t, reaches flash
 * only through the store's area, allocates nothing and returns ms_err_t.
 */
#ifndef MS_TEE_STORE_PRIV_H
#define MS_TEE_STORE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/tee_store.h"

#define MS_TEE_STORE_SECTOR_MAGIC 0x3153534du  /* "MSS1" */
#define MS_TEE_STORE_RECORD_MAGIC 0x3152534du  /* "MSR1" */
#define MS_TEE_STORE_COMMIT_MAGIC 0x4d4d4f43u  /* "COMM" */
#define MS_TEE_STORE_FORMAT_VERSION 2u

#define MS_TEE_STORE_FLAG_WRITE_ONCE 1u   /* PSA_STORAGE_FLAG_WRITE_ONCE */

#define MS_TEE_STORE_HDR_MAC_OFF 44u   /* state MAC of a header copy */
#define MS_TEE_STORE_HDR_CRC_OFF 60u   /* crc32 of bytes [0, 60) of a copy */
#define MS_TEE_STORE_MAX_SECTORS 32u   /* bounds mount's stack use */

/* ---- little-endian fields ------------------------------------------------- */

static inline void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static inline void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static inline uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static inline uint64_t get_u64(const uint8_t *p)
{
    return (uint64_t)get_u32(p) | ((uint64_t)get_u32(p + 4) << 32);
}

/* ---- geometry and flash access ---------------------------------------------- */

static inline uint32_t align_up(uint32_t v, uint32_t a)
{
    return (v + a - 1u) / a * a;
}

static inline uint32_t write_align(const ms_tee_store_t *st)
{
    return st->cfg.area->flash->write_align;
}

/* Bytes of a record body (both headers, ciphertext, tag), padded. */
static inline uint32_t body_len(const ms_tee_store_t *st, uint32_t data_len)
{
    return align_up(MS_TEE_STORE_HDRS_LEN + data_len + MS_TEE_STORE_TAG_LEN, write_align(st));
}

static inline uint32_t record_len(const ms_tee_store_t *st, uint32_t data_len)
{
    return body_len(st, data_len) + st->commit_len;
}

static inline uint32_t sector_off(const ms_tee_store_t *st, uint32_t sector)
{
    return sector * st->sector_size;
}

static inline ms_err_t area_read(const ms_tee_store_t *st, uint32_t sector, uint32_t off,
                                 void *buf, size_t len)
{
    return ms_flash_area_read(st->cfg.area, sector_off(st, sector) + off, buf, len);
}

static inline ms_err_t area_write(const ms_tee_store_t *st, uint32_t sector, uint32_t off,
                                  const void *buf, size_t len)
{
    return ms_flash_area_write(st->cfg.area, sector_off(st, sector) + off, buf, len);
}

static inline ms_err_t sector_erase(const ms_tee_store_t *st, uint32_t sector)
{
    return ms_flash_area_erase(st->cfg.area, sector_off(st, sector), st->sector_size);
}

static inline ms_err_t sector_is_erased(const ms_tee_store_t *st, uint32_t sector, int *erased)
{
    return ms_flash_area_is_erased(st->cfg.area, sector_off(st, sector), st->sector_size,
                                   erased);
}

/*
 * The work buffer (MS_TEE_STORE_WORK_LEN(max_data) bytes or more):
 *   [0, body_len(max_data))      a record body being written, read or
 *                                copied by GC;
 *   [work_len - max_data, end)   the staging area: an object's plaintext
 *                                (get, set_extended). It lies past any body,
 *                                so it survives the GC an append may run.
 */
static inline uint8_t *staging(const ms_tee_store_t *st)
{
    return st->cfg.work + st->cfg.work_len - st->cfg.max_data;
}

/* ---- on-flash formats (store_codec.c) --------------------------------------- */

/* The commit word of this store's geometry (st->commit_len bytes). */
void ms_tee_store_commit_word(const ms_tee_store_t *st, uint8_t *buf);

/* One header copy, CRC included. */
void ms_tee_store_encode_header(const ms_tee_record_hdr_t *h,
                                uint8_t out[MS_TEE_STORE_HDR_LEN]);

/* Valid header of `sector` (either copy): MS_OK with *valid set; flash
 * errors pass up. */
ms_err_t ms_tee_store_read_sector_header(const ms_tee_store_t *st, uint32_t sector,
                                         bool *valid, uint32_t *generation);

/* Both copies of a sector header, in one write at offset 0. */
ms_err_t ms_tee_store_write_sector_header(const ms_tee_store_t *st, uint32_t sector,
                                          uint32_t generation);

/* ---- records in the ring (store_ring.c) -------------------------------------- */

typedef enum ms_tee_scan_result {
    MS_TEE_SCAN_END,       /* erased: no more records in this sector */
    MS_TEE_SCAN_RECORD,    /* framed record (committed or not) */
    MS_TEE_SCAN_BAD,       /* cannot frame: the sector is closed from here */
} ms_tee_scan_result_t;

typedef struct ms_tee_scanned {
    ms_tee_record_hdr_t hdr;
    bool damaged;
    bool committed;
    bool near_commit;   /* commit word off by 1..2 bits: damaged, not torn? */
    uint32_t len;       /* whole record incl. commit word */
} ms_tee_scanned_t;

/* Frame the record at `off` of `sector`. */
ms_err_t ms_tee_store_scan_record(const ms_tee_store_t *st, uint32_t sector, uint32_t off,
                                  ms_tee_scan_result_t *res, ms_tee_scanned_t *rec);

/* Write a body of blen bytes laid out at the start of the work buffer at
 * the write position of the active sector, then its commit word. */
ms_err_t ms_tee_store_write_body(ms_tee_store_t *st, uint32_t blen);

/* Copy the live records of `victim` into the active sector (GC). */
ms_err_t ms_tee_store_gc_copy(ms_tee_store_t *st, uint32_t victim);

/* Make room in the active sector for a record of data_len bytes, and an
 * index slot for uid (opens sectors, runs GC). */
ms_err_t ms_tee_store_make_room(ms_tee_store_t *st, uint64_t uid, uint32_t data_len);

/* Flash bytes charged to the index's objects (each as if filled to its
 * capacity), and the most they may take. */
size_t ms_tee_store_live_bytes(const ms_tee_store_t *st);
size_t ms_tee_store_capacity_bytes(const ms_tee_store_t *st);

/* ---- writing (store.c) ---------------------------------------------------------- */

/*
 * Bring the NV counter to 2 x seq before a new write or at the end of a
 * mount: take a lost completion step, or seal a write that stopped after
 * its intent (docs/secure-storage.md, section 3). MS_ERR_TEE_ROLLBACK if
 * the counter is anything else.
 */
ms_err_t ms_tee_store_settle(ms_tee_store_t *st);

/* ---- index and state MAC (store_index.c) -------------------------------------- */

ms_tee_store_entry_t *ms_tee_store_index_get(ms_tee_store_t *st, uint64_t uid);

/* The entry of uid, added (zeroed but for uid) if missing; NULL when full. */
ms_tee_store_entry_t *ms_tee_store_index_insert(ms_tee_store_t *st, uint64_t uid);

void ms_tee_store_index_drop(ms_tee_store_t *st, ms_tee_store_entry_t *e);

/* Objects that are not tombstones. */
size_t ms_tee_store_live_objects(const ms_tee_store_t *st);

/* Fill e from the header of the record at (sector, offset). */
void ms_tee_store_entry_set(ms_tee_store_entry_t *e, const ms_tee_record_hdr_t *h,
                            uint32_t sector, uint32_t offset, bool damaged);

/*
 * M9: the state MAC an anchor record carries: HMAC over the anchor's header
 * (bytes [0, MS_TEE_STORE_HDR_MAC_OFF)) and every live object's uid, seq,
 * flags, capacity and length in uid order, with the record `sub` (may be NULL)
 * applied to the index first. So everything mount takes from a header
 * is authenticated before the store is used (docs/secure-storage.md, 3).
 */
ms_err_t ms_tee_store_state_mac(const ms_tee_store_t *st, const ms_tee_record_hdr_t *anchor,
                                const ms_tee_record_hdr_t *sub,
                                uint8_t out[MS_TEE_STORE_MAC_LEN]);

#endif /* MS_TEE_STORE_PRIV_H */
