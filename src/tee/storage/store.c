/*
 * store.c - log-structured, encrypted, rollback-protected object store over
 * a NOR flash area (M9). Backs PSA ITS and PS; the format is documented in
 * docs/secure-storage.md.
 *
 * Invariants:
 *   - A record counts only once its commit word, written in a separate
 *     flash write after the whole body, reads back exactly. A power cut at
 *     any write leaves the record uncommitted (ignored) or committed.
 *   - seq grows by one per set/remove; the newest committed record (the
 *     "anchor") carries HMAC(mac_key, seq || sorted live (uid, seq) pairs).
 *     At mount the anchor seq must equal the NV counter (or be one ahead,
 *     when a cut fell between the commit and the counter increment: then
 *     the counter is rolled forward), and the scanned live set must match
 *     the anchor's MAC. GC never changes (uid, seq) pairs and never drops
 *     the anchor, so both checks survive compaction.
 *   - Ring of sectors: the sector after the active one is kept erased. To
 *     open it, its header is written, then the sector after it (the oldest)
 *     has its live records copied in and is erased. If the sector after the
 *     active one is found holding a valid header at mount, that GC was
 *     interrupted and is finished first.
 *   - Every record header is stored twice, each copy with a CRC: one bad
 *     copy still frames the record (so the records after it stay readable)
 *     and marks it damaged, which get reports as corruption.
 *   - Nothing here allocates; the index and work buffer belong to the caller.
 */
#include "meterseal/tee_store.h"

#include <string.h>

#include "meterseal/crypto.h"
#include "meterseal/tee.h"

#define SECTOR_MAGIC 0x3153534du  /* "MSS1" */
#define RECORD_MAGIC 0x3152534du  /* "MSR1" */
#define COMMIT_MAGIC 0x4d4d4f43u  /* "COMM" */
#define FORMAT_VERSION 1u

#define HDR_CRC_OFF 60u           /* crc32 of bytes [0, 60) of a copy */
#define MOUNT_ATTEMPTS 4
#define MAX_SECTORS 32u           /* bounds mount's stack use */

/* ---- little helpers ------------------------------------------------------- */

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static uint64_t get_u64(const uint8_t *p)
{
    return (uint64_t)get_u32(p) | ((uint64_t)get_u32(p + 4) << 32);
}

/* CRC-32 (IEEE 802.3, reflected): framing check only, not security. */
static uint32_t crc32(const uint8_t *p, size_t len)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) {
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
        }
    }
    return ~c;
}

static uint32_t align_up(uint32_t v, uint32_t a)
{
    return (v + a - 1u) / a * a;
}

static uint32_t write_align(const ms_tee_store_t *st)
{
    return st->cfg.area->flash->write_align;
}

/* Bytes of a record body (both headers, ciphertext, tag), padded. */
static uint32_t body_len(const ms_tee_store_t *st, uint32_t data_len)
{
    return align_up(MS_TEE_STORE_HDRS_LEN + data_len + MS_TEE_STORE_TAG_LEN, write_align(st));
}

static uint32_t record_len(const ms_tee_store_t *st, uint32_t data_len)
{
    return body_len(st, data_len) + st->commit_len;
}

static uint32_t sector_off(const ms_tee_store_t *st, uint32_t sector)
{
    return sector * st->sector_size;
}

static ms_err_t area_read(const ms_tee_store_t *st, uint32_t sector, uint32_t off,
                          void *buf, size_t len)
{
    return ms_flash_area_read(st->cfg.area, sector_off(st, sector) + off, buf, len);
}

static ms_err_t area_write(const ms_tee_store_t *st, uint32_t sector, uint32_t off,
                           const void *buf, size_t len)
{
    return ms_flash_area_write(st->cfg.area, sector_off(st, sector) + off, buf, len);
}

static ms_err_t sector_erase(const ms_tee_store_t *st, uint32_t sector)
{
    return ms_flash_area_erase(st->cfg.area, sector_off(st, sector), st->sector_size);
}

static ms_err_t sector_is_erased(const ms_tee_store_t *st, uint32_t sector, int *erased)
{
    return ms_flash_area_is_erased(st->cfg.area, sector_off(st, sector), st->sector_size,
                                   erased);
}

static bool all_val(const uint8_t *p, size_t len, uint8_t v)
{
    for (size_t i = 0; i < len; i++) {
        if (p[i] != v) {
            return false;
        }
    }
    return true;
}

static void commit_word(const ms_tee_store_t *st, uint8_t *buf)
{
    memset(buf, 0, st->commit_len);
    put_u32(buf, COMMIT_MAGIC);
    put_u32(buf + 4, ~COMMIT_MAGIC);
}

/* ---- record header codec ------------------------------------------------- */

static void encode_header(const ms_tee_record_hdr_t *h, uint8_t out[MS_TEE_STORE_HDR_LEN])
{
    memset(out, 0, MS_TEE_STORE_HDR_LEN);
    put_u32(out, RECORD_MAGIC);
    out[4] = h->type;
    out[5] = FORMAT_VERSION;
    put_u16(out + 6, 0);
    put_u32(out + 8, h->flags);
    put_u32(out + 12, h->data_len);
    put_u64(out + 16, h->uid);
    put_u64(out + 24, h->seq);
    memcpy(out + 32, h->nonce, MS_TEE_STORE_NONCE_LEN);
    memcpy(out + 44, h->state_mac, MS_TEE_STORE_MAC_LEN);
    put_u32(out + HDR_CRC_OFF, crc32(out, HDR_CRC_OFF));
}

static bool decode_header(const uint8_t *in, ms_tee_record_hdr_t *h)
{
    if (get_u32(in) != RECORD_MAGIC || in[5] != FORMAT_VERSION || get_u16(in + 6) != 0 ||
        get_u32(in + HDR_CRC_OFF) != crc32(in, HDR_CRC_OFF)) {
        return false;
    }
    h->type = in[4];
    h->flags = get_u32(in + 8);
    h->data_len = get_u32(in + 12);
    h->uid = get_u64(in + 16);
    h->seq = get_u64(in + 24);
    memcpy(h->nonce, in + 32, MS_TEE_STORE_NONCE_LEN);
    memcpy(h->state_mac, in + 44, MS_TEE_STORE_MAC_LEN);
    if (h->type != MS_TEE_REC_SET && h->type != MS_TEE_REC_DEL) {
        return false;
    }
    if (h->uid == 0 || h->seq == 0 || (h->type == MS_TEE_REC_DEL && h->data_len != 0)) {
        return false;
    }
    return true;
}

ms_err_t ms_tee_store_parse_header(const uint8_t *buf, size_t len,
                                   ms_tee_record_hdr_t *hdr, bool *damaged)
{
    ms_tee_record_hdr_t b;
    if (buf == NULL || hdr == NULL || damaged == NULL) {
        return MS_ERR_ARG;
    }
    if (len < MS_TEE_STORE_HDRS_LEN) {
        return MS_ERR_TRUNCATED;
    }
    bool ok_a = decode_header(buf, hdr);
    bool ok_b = decode_header(buf + MS_TEE_STORE_HDR_LEN, &b);
    if (ok_a && ok_b) {
        if (memcmp(buf, buf + MS_TEE_STORE_HDR_LEN, MS_TEE_STORE_HDR_LEN) != 0) {
            return MS_ERR_FORMAT;   /* two valid but different copies */
        }
        *damaged = false;
        return MS_OK;
    }
    if (ok_b) {
        *hdr = b;
    }
    if (!ok_a && !ok_b) {
        return MS_ERR_FORMAT;
    }
    *damaged = true;
    return MS_OK;
}

/* ---- sector header -------------------------------------------------------- */

static void encode_sector_header(uint32_t generation, uint8_t out[MS_TEE_STORE_SECTOR_HDR_LEN])
{
    put_u32(out, SECTOR_MAGIC);
    put_u16(out + 4, FORMAT_VERSION);
    put_u16(out + 6, 0);
    put_u32(out + 8, generation);
    put_u32(out + 12, crc32(out, 12));
}

static bool decode_sector_copy(const uint8_t *in, uint32_t *generation)
{
    if (get_u32(in) != SECTOR_MAGIC || get_u16(in + 4) != FORMAT_VERSION ||
        get_u32(in + 12) != crc32(in, 12) || get_u32(in + 8) == 0) {
        return false;
    }
    *generation = get_u32(in + 8);
    return true;
}

/* Valid header of `sector`: MS_OK with *valid set; flash errors pass up. */
static ms_err_t read_sector_header(const ms_tee_store_t *st, uint32_t sector, bool *valid,
                                   uint32_t *generation)
{
    uint8_t buf[2 * MS_TEE_STORE_SECTOR_HDR_LEN];
    ms_err_t err = area_read(st, sector, 0, buf, sizeof buf);
    if (err) {
        return err;
    }
    uint32_t ga = 0, gb = 0;
    bool a = decode_sector_copy(buf, &ga);
    bool b = decode_sector_copy(buf + MS_TEE_STORE_SECTOR_HDR_LEN, &gb);
    *valid = a || b;
    *generation = a ? ga : gb;
    if (a && b && ga != gb) {
        *generation = ga > gb ? ga : gb;
    }
    return MS_OK;
}

static ms_err_t write_sector_header(const ms_tee_store_t *st, uint32_t sector, uint32_t generation)
{
    uint8_t buf[64];
    uint32_t len = align_up(2 * MS_TEE_STORE_SECTOR_HDR_LEN, write_align(st));
    memset(buf, st->cfg.area->flash->erased_val, sizeof buf);
    encode_sector_header(generation, buf);
    encode_sector_header(generation, buf + MS_TEE_STORE_SECTOR_HDR_LEN);
    return area_write(st, sector, 0, buf, len);
}

/* ---- reading records from flash ------------------------------------------ */

typedef enum scan_result {
    SCAN_END,       /* erased: no more records in this sector */
    SCAN_RECORD,    /* framed record (committed or not) */
    SCAN_BAD,       /* cannot frame: the sector is closed from here */
} scan_result_t;

typedef struct scanned {
    ms_tee_record_hdr_t hdr;
    bool damaged;
    bool committed;
    bool near_commit;   /* commit word off by 1..2 bits: damaged, not torn? */
    uint32_t len;       /* whole record incl. commit word */
} scanned_t;

static ms_err_t scan_record(const ms_tee_store_t *st, uint32_t sector, uint32_t off,
                            scan_result_t *res, scanned_t *rec)
{
    uint8_t hb[MS_TEE_STORE_HDRS_LEN];
    if (off > st->sector_size || st->sector_size - off < MS_TEE_STORE_HDRS_LEN + st->commit_len) {
        *res = SCAN_END;
        return MS_OK;
    }
    ms_err_t err = area_read(st, sector, off, hb, sizeof hb);
    if (err) {
        return err;
    }
    if (all_val(hb, sizeof hb, st->cfg.area->flash->erased_val)) {
        *res = SCAN_END;
        return MS_OK;
    }
    if (ms_tee_store_parse_header(hb, sizeof hb, &rec->hdr, &rec->damaged) != MS_OK ||
        rec->hdr.data_len > st->cfg.max_data) {
        *res = SCAN_BAD;
        return MS_OK;
    }
    uint32_t blen = body_len(st, rec->hdr.data_len);
    rec->len = blen + st->commit_len;
    if (rec->len > st->sector_size - off) {
        *res = SCAN_BAD;
        return MS_OK;
    }
    uint8_t cw[32], expect[32];
    err = area_read(st, sector, off + blen, cw, st->commit_len);
    if (err) {
        return err;
    }
    commit_word(st, expect);
    rec->committed = memcmp(cw, expect, st->commit_len) == 0;
    unsigned dist = 0;
    for (uint32_t i = 0; i < st->commit_len; i++) {
        for (uint8_t x = (uint8_t)(cw[i] ^ expect[i]); x != 0; x &= (uint8_t)(x - 1u)) {
            dist++;
        }
    }
    rec->near_commit = dist >= 1 && dist <= 2;
    *res = SCAN_RECORD;
    return MS_OK;
}

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

static ms_tee_store_entry_t *index_get(ms_tee_store_t *st, uint64_t uid)
{
    bool found;
    size_t i = index_find(st, uid, &found);
    return found ? &st->cfg.index[i] : NULL;
}

static ms_tee_store_entry_t *index_insert(ms_tee_store_t *st, uint64_t uid)
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

static void index_drop(ms_tee_store_t *st, ms_tee_store_entry_t *e)
{
    size_t i = (size_t)(e - st->cfg.index);
    memmove(&st->cfg.index[i], &st->cfg.index[i + 1],
            (st->n_entries - i - 1) * sizeof st->cfg.index[0]);
    st->n_entries--;
}

static size_t live_objects(const ms_tee_store_t *st)
{
    size_t n = 0;
    for (size_t i = 0; i < st->n_entries; i++) {
        n += st->cfg.index[i].deleted ? 0u : 1u;
    }
    return n;
}

/*
 * State MAC over seq and the live set, with uid `sub` given seq `sub_seq`
 * (sub_del: removed) as a pending change. Entries are in uid order.
 */
static ms_err_t state_mac(const ms_tee_store_t *st, uint64_t seq, uint64_t sub,
                          uint64_t sub_seq, bool sub_del, uint8_t out[MS_TEE_STORE_MAC_LEN])
{
    ms_hmac_ctx ctx;
    uint8_t buf[16];
    uint8_t full[MS_HMAC_SHA256_LEN];
    bool sub_done = (sub == 0);

    ms_err_t err = ms_hmac_sha256_init(&ctx, st->mac_key, sizeof st->mac_key);
    if (err) {
        return err;
    }
    memcpy(buf, "MSstate1", 8);
    put_u64(buf + 8, seq);
    err = ms_hmac_sha256_update(&ctx, buf, 16);
    for (size_t i = 0; i <= st->n_entries && !err; i++) {
        const ms_tee_store_entry_t *e = i < st->n_entries ? &st->cfg.index[i] : NULL;
        if (!sub_done && (e == NULL || e->uid >= sub)) {
            sub_done = true;
            if (!sub_del) {
                put_u64(buf, sub);
                put_u64(buf + 8, sub_seq);
                err = ms_hmac_sha256_update(&ctx, buf, 16);
            }
            if (e != NULL && e->uid == sub) {
                continue;
            }
        }
        if (e == NULL || e->deleted || err) {
            continue;
        }
        put_u64(buf, e->uid);
        put_u64(buf + 8, e->seq);
        err = ms_hmac_sha256_update(&ctx, buf, 16);
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

/* ---- writing records -------------------------------------------------------- */

/* Write a body already laid out in the work buffer, then its commit word. */
static ms_err_t write_body_and_commit(ms_tee_store_t *st, uint32_t blen)
{
    uint8_t cw[32];
    ms_err_t err = area_write(st, st->active, st->wpos, st->cfg.work, blen);
    if (!err) {
        commit_word(st, cw);
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
    return write_body_and_commit(st, blen);
}

/* Copy the live records of `victim` into the active sector. */
static ms_err_t gc_copy(ms_tee_store_t *st, uint32_t victim)
{
    uint32_t off = st->data_start;
    for (;;) {
        scan_result_t res;
        scanned_t rec;
        ms_err_t err = scan_record(st, victim, off, &res, &rec);
        if (err) {
            return err;
        }
        if (res != SCAN_RECORD) {
            return MS_OK;
        }
        /* the index names the newest record of each uid by place, which also
         * covers a record taken in with a damaged commit word */
        ms_tee_store_entry_t *e = index_get(st, rec.hdr.uid);
        bool newest = e != NULL && e->seq == rec.hdr.seq && e->sector == victim &&
                      e->offset == off;
        if (newest && e->deleted && e->seq != st->seq) {
            index_drop(st, e);         /* tombstone with nothing older left */
        } else if (newest) {
            uint32_t at = st->wpos;
            err = copy_record(st, victim, off, rec.hdr.data_len);
            if (err) {
                return err;
            }
            e->sector = (uint16_t)st->active;
            e->offset = at;
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
        err = write_sector_header(st, next, st->generation + 1u);
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
    err = read_sector_header(st, victim, &valid, &gen);
    if (err) {
        return err;
    }
    if (valid) {
        err = gc_copy(st, victim);
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

static size_t live_bytes(const ms_tee_store_t *st)
{
    size_t n = 0;
    for (size_t i = 0; i < st->n_entries; i++) {
        n += record_len(st, st->cfg.index[i].data_len);
    }
    return n;
}

static size_t capacity_bytes(const ms_tee_store_t *st)
{
    size_t per = st->sector_size - st->data_start;
    size_t slack = record_len(st, (uint32_t)st->cfg.max_data);
    return (st->n_sectors - 1u) * (per - slack);
}

/* Make room for a record of data_len bytes (and an index slot for uid). */
static ms_err_t make_room(ms_tee_store_t *st, uint64_t uid, uint32_t data_len)
{
    uint32_t need = record_len(st, data_len);
    for (uint32_t round = 0; round <= st->n_sectors; round++) {
        bool slot = index_get(st, uid) != NULL || st->n_entries < st->cfg.index_cap;
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

/* Append a SET or DEL record for uid as commit seq+1 and bump the counter. */
static ms_err_t append(ms_tee_store_t *st, uint8_t type, uint64_t uid, const uint8_t *data,
                       uint32_t len, uint32_t flags)
{
    ms_err_t err = make_room(st, uid, len);
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
        err = state_mac(st, h.seq, uid, h.seq, type == MS_TEE_REC_DEL, h.state_mac);
    }
    if (err) {
        return err;
    }
    uint8_t *w = st->cfg.work;
    uint32_t blen = body_len(st, len);
    encode_header(&h, w);
    memcpy(w + MS_TEE_STORE_HDR_LEN, w, MS_TEE_STORE_HDR_LEN);
    memset(w + MS_TEE_STORE_HDRS_LEN + len + MS_TEE_STORE_TAG_LEN,
           st->cfg.area->flash->erased_val,
           blen - (MS_TEE_STORE_HDRS_LEN + len + MS_TEE_STORE_TAG_LEN));
    /* M9: AES-256-GCM, the header (uid, seq, flags, length) as AAD */
    err = ms_aes_gcm_encrypt(st->enc_key, sizeof st->enc_key, h.nonce, sizeof h.nonce,
                             w, HDR_CRC_OFF, len ? data : w + MS_TEE_STORE_HDRS_LEN,
                             w + MS_TEE_STORE_HDRS_LEN, len,
                             w + MS_TEE_STORE_HDRS_LEN + len, MS_TEE_STORE_TAG_LEN);
    if (err) {
        return err;
    }
    uint32_t at = st->wpos;
    err = write_body_and_commit(st, blen);
    if (err) {
        st->mounted = (err != MS_ERR_POWER_LOST);
        return err;
    }
    ms_tee_store_entry_t *e = index_insert(st, uid);
    if (e == NULL) {
        return MS_ERR_INTERNAL;   /* make_room guaranteed a slot */
    }
    e->seq = h.seq;
    e->sector = (uint16_t)st->active;
    e->offset = at;
    e->data_len = len;
    e->flags = flags;
    e->deleted = type == MS_TEE_REC_DEL;
    e->damaged = 0;
    st->seq = h.seq;
    /* anti-rollback: the counter follows the commit (mount rolls it forward
     * if power is lost in between) */
    return ms_tee_hal_nvc_increment(st->cfg.nvc_id);
}

/* ---- mount ---------------------------------------------------------------- */

typedef struct anchor {
    uint64_t seq;
    uint8_t mac[MS_TEE_STORE_MAC_LEN];
} anchor_t;

/*
 * A record whose commit word is one or two bits away from the real one:
 * either torn during its commit write, or committed and then damaged. It is
 * left out of the index; only if the live-set check fails without it and
 * passes with it is it taken back in, marked damaged (section "Limits" of
 * docs/secure-storage.md).
 */
#define MAX_CANDIDATES 4

typedef struct candidate {
    ms_tee_record_hdr_t hdr;
    uint32_t sector;
    uint32_t offset;
} candidate_t;

typedef struct scan_state {
    anchor_t anc;
    candidate_t cand[MAX_CANDIDATES];
    unsigned n_cand;
} scan_state_t;

/* Scan one sector into the index. *closed when a record could not be framed. */
static ms_err_t scan_sector(ms_tee_store_t *st, uint32_t sector, scan_state_t *ss,
                            uint32_t *end, bool *closed)
{
    uint32_t off = st->data_start;
    *closed = false;
    for (;;) {
        scan_result_t res;
        scanned_t rec;
        ms_err_t err = scan_record(st, sector, off, &res, &rec);
        if (err) {
            return err;
        }
        if (res == SCAN_END) {
            break;
        }
        if (res == SCAN_BAD) {
            *closed = true;
            break;
        }
        if (rec.committed) {
            ms_tee_store_entry_t *e = index_insert(st, rec.hdr.uid);
            if (e == NULL) {
                return MS_ERR_TEE_NO_SPACE;
            }
            if (e->seq <= rec.hdr.seq) {
                e->seq = rec.hdr.seq;
                e->sector = (uint16_t)sector;
                e->offset = off;
                e->data_len = rec.hdr.data_len;
                e->flags = rec.hdr.flags;
                e->deleted = rec.hdr.type == MS_TEE_REC_DEL;
                e->damaged = rec.damaged;
            }
            if (rec.damaged) {
                st->damaged_seen++;
            }
            if (rec.hdr.seq >= ss->anc.seq) {
                ss->anc.seq = rec.hdr.seq;
                memcpy(ss->anc.mac, rec.hdr.state_mac, sizeof ss->anc.mac);
            }
        } else if (rec.near_commit && ss->n_cand < MAX_CANDIDATES) {
            candidate_t *c = &ss->cand[ss->n_cand++];
            c->hdr = rec.hdr;
            c->sector = sector;
            c->offset = off;
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

/* Counter and live-set check of an anchor, with candidate c (may be NULL)
 * counted as committed. */
static ms_err_t check_anchor(ms_tee_store_t *st, const anchor_t *anc, const candidate_t *c,
                             uint64_t nv, bool *ok)
{
    uint8_t mac[MS_TEE_STORE_MAC_LEN];
    *ok = false;
    if (anc->seq < nv || anc->seq > nv + 1u) {
        return MS_OK;
    }
    if (anc->seq == 0 && c == NULL) {
        *ok = true;
        return MS_OK;
    }
    ms_err_t err = c == NULL ? state_mac(st, anc->seq, 0, 0, false, mac)
                             : state_mac(st, anc->seq, c->hdr.uid, c->hdr.seq,
                                         c->hdr.type == MS_TEE_REC_DEL, mac);
    if (!err) {
        *ok = ms_ct_equal(mac, anc->mac, sizeof mac);
    }
    return err;
}

/* M9 anti-rollback: the anchor matches the NV counter and the live set. */
static ms_err_t verify_state(ms_tee_store_t *st, scan_state_t *ss, uint64_t nv)
{
    bool ok;
    ms_err_t err = check_anchor(st, &ss->anc, NULL, nv, &ok);
    for (unsigned i = 0; !err && !ok && i < ss->n_cand; i++) {
        const candidate_t *c = &ss->cand[i];
        const ms_tee_store_entry_t *e = index_get(st, c->hdr.uid);
        if (e != NULL && e->seq >= c->hdr.seq) {
            continue;   /* superseded anyway: cannot be what is missing */
        }
        anchor_t a = ss->anc;
        if (c->hdr.seq > a.seq) {
            a.seq = c->hdr.seq;
            memcpy(a.mac, c->hdr.state_mac, sizeof a.mac);
        }
        err = check_anchor(st, &a, c, nv, &ok);
        if (!err && ok) {
            ms_tee_store_entry_t *ne = index_insert(st, c->hdr.uid);
            if (ne == NULL) {
                return MS_ERR_TEE_NO_SPACE;
            }
            ne->seq = c->hdr.seq;
            ne->sector = (uint16_t)c->sector;
            ne->offset = c->offset;
            ne->data_len = c->hdr.data_len;
            ne->flags = c->hdr.flags;
            ne->deleted = c->hdr.type == MS_TEE_REC_DEL;
            ne->damaged = 1;   /* its commit word was altered */
            st->damaged_seen++;
            ss->anc = a;
        }
    }
    if (err) {
        return err;
    }
    if (!ok) {
        return MS_ERR_TEE_ROLLBACK;
    }
    st->seq = ss->anc.seq;
    return MS_OK;
}

/* One pass: scan, then either finish a pending GC/cleanup (*again) or verify. */
static ms_err_t mount_pass(ms_tee_store_t *st, bool *again)
{
    uint32_t gens[MAX_SECTORS];
    bool valid[MAX_SECTORS];
    uint8_t order[MAX_SECTORS];
    uint32_t n = st->n_sectors;
    ms_err_t err;

    *again = false;
    st->n_entries = 0;
    st->has_active = false;
    st->generation = 0;
    st->damaged_seen = 0;
    for (uint32_t s = 0; s < n; s++) {
        err = read_sector_header(st, s, &valid[s], &gens[s]);
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
                err = gc_copy(st, next);
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
                err = write_sector_header(st, st->active, st->generation);
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
    if (ss.anc.seq == nv + 1u) {
        err = ms_tee_hal_nvc_increment(st->cfg.nvc_id);   /* roll forward */
    }
    return err;
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
    if (st->n_sectors > MAX_SECTORS) {
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
    const ms_tee_store_entry_t *e = index_get(st, uid);
    bool exists = e != NULL && !e->deleted;
    if (exists && (e->flags & 1u)) {   /* PSA_STORAGE_FLAG_WRITE_ONCE */
        return MS_ERR_TEE_WRITE_ONCE;
    }
    if (!exists && live_objects(st) >= st->cfg.max_objects) {
        return MS_ERR_TEE_NO_SPACE;
    }
    /* the old version stays in flash until GC: count both */
    size_t need = live_bytes(st) + record_len(st, (uint32_t)len);
    if (need > capacity_bytes(st)) {
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
    const ms_tee_store_entry_t *e = index_get(st, uid);
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
                             w, HDR_CRC_OFF, w + MS_TEE_STORE_HDRS_LEN, plain, len,
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
    const ms_tee_store_entry_t *e = index_get(st, uid);
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
    const ms_tee_store_entry_t *e = index_get(st, uid);
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
    out->objects = live_objects(st);
    out->live_bytes = live_bytes(st);
    out->capacity_bytes = capacity_bytes(st);
    out->seq = st->seq;
    out->generation = st->generation;
    return MS_OK;
}
