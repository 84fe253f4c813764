/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tee_store.h - the power-fail safe, encrypted, rollback-protected object
 * store behind PSA ITS and PS (M9). docs/secure-storage.md has the byte
 * format; in short:
 *   - a ring of >= 2 flash sectors, each with a doubled header (generation);
 *   - append-only records: doubled header (uid, seq, flags, capacity,
 *     length, nonce, state MAC), AES-256-GCM ciphertext + tag (header in
 *     the AAD), then a commit word written last in its own flash write;
 *   - seq is a store-wide commit number bound to a monotonic NV counter
 *     that takes two steps per write (an intent before the record,
 *     completion after its commit word; 2 x seq when idle), so no image
 *     without an acknowledged write is ever accepted again;
 *   - every record carries an HMAC over its own header and the whole live
 *     set (uid, seq, flags, capacity, length of each object), so an old
 *     flash image, a mix of old and new records, or an edited header is
 *     refused at mount;
 *   - a RAM index (caller-provided array) maps uid to its newest record;
 *   - garbage collection copies the oldest sector's live records into the
 *     sector being opened, then erases it (wear goes round the ring);
 *   - space is charged by capacity (reserved at create), and one largest
 *     record is always kept free, so rewriting an object within its
 *     capacity never fails for lack of space.
 *
 * No heap: the caller gives the index and a work buffer (see
 * MS_TEE_STORE_WORK_LEN). One store instance is not reentrant.
 */
#ifndef MS_TEE_STORE_H
#define MS_TEE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/error.h"
#include "meterseal/hal.h"

#define MS_TEE_STORE_KEY_LEN     32u
#define MS_TEE_STORE_NONCE_LEN   12u
#define MS_TEE_STORE_MAC_LEN     16u
#define MS_TEE_STORE_TAG_LEN     16u
#define MS_TEE_STORE_HDR_LEN     64u   /* one header copy */
#define MS_TEE_STORE_HDRS_LEN    128u  /* both copies */
#define MS_TEE_STORE_SECTOR_HDR_LEN 16u

/* Work buffer bytes a store with objects up to max_data bytes needs. */
#define MS_TEE_STORE_WORK_LEN(max_data) \
    (2u * (size_t)(max_data) + MS_TEE_STORE_HDRS_LEN + MS_TEE_STORE_TAG_LEN + 64u)

#define MS_TEE_REC_SET 1u
#define MS_TEE_REC_DEL 2u
#define MS_TEE_REC_SEAL 3u   /* no object (uid 0): closes an interrupted write's seq */

/* A decoded record header (either copy). */
typedef struct ms_tee_record_hdr {
    uint8_t type;                 /* MS_TEE_REC_SET, _DEL or _SEAL */
    uint32_t flags;               /* PSA create flags (16 bits on flash) */
    uint32_t capacity;            /* bytes reserved, >= data_len (0 for DEL) */
    uint32_t data_len;
    uint64_t uid;
    uint64_t seq;
    uint8_t nonce[MS_TEE_STORE_NONCE_LEN];
    uint8_t state_mac[MS_TEE_STORE_MAC_LEN];
} ms_tee_record_hdr_t;

/* One index slot: where the newest record of a uid lives. */
typedef struct ms_tee_store_entry {
    uint64_t uid;
    uint64_t seq;
    uint32_t offset;      /* record start inside its sector */
    uint32_t data_len;
    uint32_t capacity;    /* bytes reserved for the object (>= data_len) */
    uint32_t flags;
    uint16_t sector;
    uint8_t deleted;      /* newest record is a tombstone */
    uint8_t damaged;      /* header copies disagree: tampered */
} ms_tee_store_entry_t;

typedef struct ms_tee_store_config {
    const ms_flash_area_t *area;   /* 2..32 sectors, sector-aligned */
    uint32_t nvc_id;               /* NV counter bound to this store */
    ms_tee_store_entry_t *index;   /* RAM index */
    size_t index_cap;              /* > max_objects (tombstones use slots) */
    size_t max_objects;            /* live objects allowed */
    size_t max_data;               /* largest object, bytes */
    uint8_t *work;                 /* MS_TEE_STORE_WORK_LEN(max_data) bytes */
    size_t work_len;
} ms_tee_store_config_t;

typedef struct ms_tee_store {
    ms_tee_store_config_t cfg;
    uint8_t enc_key[MS_TEE_STORE_KEY_LEN];   /* AES-256-GCM record key */
    uint8_t mac_key[MS_TEE_STORE_KEY_LEN];   /* HMAC key of the state MAC */
    uint32_t n_sectors;
    uint32_t sector_size;
    uint32_t data_start;     /* first record offset in a sector */
    uint32_t commit_len;     /* bytes of the commit word */
    uint32_t active;         /* sector being appended to */
    uint32_t wpos;           /* next record offset in the active sector */
    uint32_t generation;     /* generation of the active sector */
    bool has_active;
    bool mounted;
    uint64_t seq;            /* newest commit number */
    uint64_t nv;             /* the NV counter as last read or moved (2 x seq when idle) */
    uint32_t anchor_sector;  /* where the record with seq `seq` lies */
    uint32_t anchor_offset;
    size_t n_entries;        /* used index slots (live + tombstones) */
    uint32_t damaged_seen;   /* damaged headers found at mount */
} ms_tee_store_t;

typedef struct ms_tee_store_stats {
    size_t objects;          /* live objects */
    size_t live_bytes;       /* flash bytes charged to them (by capacity) */
    size_t capacity_bytes;   /* flash bytes usable for live records */
    uint64_t seq;
    uint32_t generation;
} ms_tee_store_stats_t;

/*
 * Mount a store: scan the area, check the anti-rollback counter and the
 * live-set MAC, finish an interrupted garbage collection, and settle a
 * write a power cut interrupted (roll its counter step forward, or seal
 * its seq). Keys are copied. Returns MS_OK, MS_ERR_TEE_ROLLBACK (old,
 * spliced or edited image), MS_ERR_ARG (bad config), or a flash error.
 */
ms_err_t ms_tee_store_mount(ms_tee_store_t *st, const ms_tee_store_config_t *cfg,
                            const uint8_t enc_key[MS_TEE_STORE_KEY_LEN],
                            const uint8_t mac_key[MS_TEE_STORE_KEY_LEN]);

/* Forget keys and index; the store must be mounted again before use. */
void ms_tee_store_unmount(ms_tee_store_t *st);

/* Write a new version of uid (power-fail atomic); its capacity becomes
 * len. MS_ERR_TEE_WRITE_ONCE, MS_ERR_TEE_NO_SPACE (len > max_data, or no
 * room), MS_ERR_ARG (uid 0, flags beyond 16 bits). */
ms_err_t ms_tee_store_set(ms_tee_store_t *st, uint64_t uid, const void *data,
                          size_t len, uint32_t flags);

/* Create uid empty (size 0) with `capacity` bytes reserved. MS_ERR_TEE_EXISTS
 * if uid is present, MS_ERR_TEE_NO_SPACE (capacity > max_data, or no room),
 * MS_ERR_ARG. */
ms_err_t ms_tee_store_create(ms_tee_store_t *st, uint64_t uid, size_t capacity,
                             uint32_t flags);

/* Overwrite [offset, offset + len) of uid, extending its size up to its
 * capacity, as one new version (power-fail atomic). offset must be <= size
 * (no gap) and offset + len <= capacity, else MS_ERR_ARG; len 0 changes
 * nothing. MS_ERR_NOT_FOUND, MS_ERR_TEE_WRITE_ONCE, MS_ERR_TEE_CORRUPT. */
ms_err_t ms_tee_store_set_extended(ms_tee_store_t *st, uint64_t uid, size_t offset,
                                   const void *data, size_t len);

/* Copy up to cap bytes of uid's data from offset into buf; *out_len says
 * how many. MS_ERR_NOT_FOUND, MS_ERR_TEE_CORRUPT (tag or header damaged),
 * MS_ERR_ARG (offset > size). */
ms_err_t ms_tee_store_get(ms_tee_store_t *st, uint64_t uid, size_t offset,
                          void *buf, size_t cap, size_t *out_len);

/* Size, capacity (may be NULL) and create flags of uid. MS_ERR_NOT_FOUND. */
ms_err_t ms_tee_store_info(ms_tee_store_t *st, uint64_t uid, size_t *size,
                           size_t *capacity, uint32_t *flags);

/* Remove uid (writes a tombstone). MS_ERR_NOT_FOUND, MS_ERR_TEE_WRITE_ONCE. */
ms_err_t ms_tee_store_remove(ms_tee_store_t *st, uint64_t uid);

ms_err_t ms_tee_store_stats(const ms_tee_store_t *st, ms_tee_store_stats_t *out);

/*
 * Decode the two header copies of a record from raw bytes (the parser of
 * outside data: flash contents). At least one copy must have a good magic
 * and CRC and sane fields. *damaged is set when the copies disagree.
 * MS_ERR_TRUNCATED, MS_ERR_FORMAT.
 */
ms_err_t ms_tee_store_parse_header(const uint8_t *buf, size_t len,
                                   ms_tee_record_hdr_t *hdr, bool *damaged);

#endif /* MS_TEE_STORE_H */
