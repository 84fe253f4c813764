/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_image_parse.c - libFuzzer target: arbitrary bytes as an image slot.
 *
 * Runs the parser, both TLV walks, the trailer layout and the streaming hash
 * (with a small odd-sized chunk buffer, with and without decryption) over
 * the input. Anything the parser accepts must be walkable and hashable
 * without reading outside the input (ASan checks that).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "meterseal/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(const ms_image_reader_t *r, const ms_image_info_t *info, bool prot)
{
    ms_tlv_iter_t it;
    uint16_t type, len;
    uint32_t off;
    if (ms_tlv_iter_begin(&it, r, info, prot) != MS_OK) {
        return;
    }
    while (ms_tlv_iter_next(&it, &type, &off, &len) == MS_OK) {
        if ((uint64_t)off + len > r->size) {
            __builtin_trap(); /* the iterator must never hand out such a TLV */
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ms_image_mem_t mem;
    ms_image_reader_t r;
    ms_image_info_t info;
    ms_image_header_t hdr;

    (void)ms_image_header_parse(data, size, &hdr);
    ms_image_reader_mem(&r, &mem, data, size);
    if (ms_image_parse(&r, &info) != MS_OK) {
        return 0;
    }
    if (info.end > size || info.prot_tlv_off < info.payload_off) {
        __builtin_trap();
    }
    walk(&r, &info, true);
    walk(&r, &info, false);

    uint8_t buf[61];
    uint8_t digest[MS_SHA256_LEN];
    (void)ms_image_hash(&r, &info, NULL, 0, buf, sizeof(buf), digest);
    static const uint8_t key[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
    (void)ms_image_hash(&r, &info, key, sizeof(key), buf, sizeof(buf), digest);

    size_t key_len = 0;
    (void)ms_image_enc_key_len(&info.hdr, &key_len);
    ms_trailer_layout_t t;
    (void)ms_trailer_layout((uint32_t)size, info.hdr.flags & 0x3fu, 8, info.hdr.version.major,
                            (info.hdr.flags & 0x40u) != 0, (uint32_t)key_len, &t);
    return 0;
}
