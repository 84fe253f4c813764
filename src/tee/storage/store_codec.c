/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_codec.c - the record store's on-flash formats (M9): the doubled
 * record header, the doubled sector header and the commit word
 * (docs/secure-storage.md, section 2).
 *
 * Invariants:
 *   - ms_tee_store_parse_header is the parser of outside data (flash
 *     contents): it reads exactly MS_TEE_STORE_HDRS_LEN bytes and accepts a
 *     copy only with a good magic, version and CRC and sane fields.
 *   - CRCs frame copies; they are not security: what mount trusts is
 *     authenticated by the state MAC (store_index.c).
 */
#include <string.h>

#include "store_priv.h"

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

void ms_tee_store_commit_word(const ms_tee_store_t *st, uint8_t *buf)
{
    memset(buf, 0, st->commit_len);
    put_u32(buf, MS_TEE_STORE_COMMIT_MAGIC);
    put_u32(buf + 4, ~MS_TEE_STORE_COMMIT_MAGIC);
}

/* ---- record header codec ------------------------------------------------- */

void ms_tee_store_encode_header(const ms_tee_record_hdr_t *h,
                                uint8_t out[MS_TEE_STORE_HDR_LEN])
{
    put_u32(out, MS_TEE_STORE_RECORD_MAGIC);
    out[4] = h->type;
    out[5] = MS_TEE_STORE_FORMAT_VERSION;
    put_u16(out + 6, (uint16_t)h->flags);
    put_u32(out + 8, h->capacity);
    put_u32(out + 12, h->data_len);
    put_u64(out + 16, h->uid);
    put_u64(out + 24, h->seq);
    memcpy(out + 32, h->nonce, MS_TEE_STORE_NONCE_LEN);
    memcpy(out + MS_TEE_STORE_HDR_MAC_OFF, h->state_mac, MS_TEE_STORE_MAC_LEN);
    put_u32(out + MS_TEE_STORE_HDR_CRC_OFF, crc32(out, MS_TEE_STORE_HDR_CRC_OFF));
}

static bool decode_header(const uint8_t *in, ms_tee_record_hdr_t *h)
{
    if (get_u32(in) != MS_TEE_STORE_RECORD_MAGIC || in[5] != MS_TEE_STORE_FORMAT_VERSION ||
        get_u32(in + MS_TEE_STORE_HDR_CRC_OFF) != crc32(in, MS_TEE_STORE_HDR_CRC_OFF)) {
        return false;
    }
    h->type = in[4];
    h->flags = get_u16(in + 6);
    h->capacity = get_u32(in + 8);
    h->data_len = get_u32(in + 12);
    h->uid = get_u64(in + 16);
    h->seq = get_u64(in + 24);
    memcpy(h->nonce, in + 32, MS_TEE_STORE_NONCE_LEN);
    memcpy(h->state_mac, in + MS_TEE_STORE_HDR_MAC_OFF, MS_TEE_STORE_MAC_LEN);
    if (h->seq == 0 || (h->uid == 0) != (h->type == MS_TEE_REC_SEAL)) {
        return false;
    }
    switch (h->type) {
    case MS_TEE_REC_SET:
        return h->data_len <= h->capacity;
    case MS_TEE_REC_DEL:
        return h->data_len == 0 && h->capacity == 0;
    case MS_TEE_REC_SEAL:
        return h->data_len == 0 && h->capacity == 0 && h->flags == 0;
    default:
        return false;
    }
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
    put_u32(out, MS_TEE_STORE_SECTOR_MAGIC);
    put_u16(out + 4, MS_TEE_STORE_FORMAT_VERSION);
    put_u16(out + 6, 0);
    put_u32(out + 8, generation);
    put_u32(out + 12, crc32(out, 12));
}

static bool decode_sector_copy(const uint8_t *in, uint32_t *generation)
{
    if (get_u32(in) != MS_TEE_STORE_SECTOR_MAGIC ||
        get_u16(in + 4) != MS_TEE_STORE_FORMAT_VERSION || get_u32(in + 12) != crc32(in, 12) ||
        get_u32(in + 8) == 0) {
        return false;
    }
    *generation = get_u32(in + 8);
    return true;
}

ms_err_t ms_tee_store_read_sector_header(const ms_tee_store_t *st, uint32_t sector,
                                         bool *valid, uint32_t *generation)
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

ms_err_t ms_tee_store_write_sector_header(const ms_tee_store_t *st, uint32_t sector,
                                          uint32_t generation)
{
    uint8_t buf[64];
    uint32_t len = align_up(2 * MS_TEE_STORE_SECTOR_HDR_LEN, write_align(st));
    memset(buf, st->cfg.area->flash->erased_val, sizeof buf);
    encode_sector_header(generation, buf);
    encode_sector_header(generation, buf + MS_TEE_STORE_SECTOR_HDR_LEN);
    return area_write(st, sector, 0, buf, len);
}
