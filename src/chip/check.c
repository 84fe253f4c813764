/* SPDX-License-Identifier: Apache-2.0 */
/*
 * check.c - the check values of C3/C4 (step 207): CRC-32 and XOR.
 *
 * Neither is a security check (anyone can forge them); they catch transfer
 * and flash-write faults. Security comes from the package MAC (package.c).
 * Both can be computed in chunks of any size.
 */
#include "meterseal/chip_formats.h"

/* Nibble-wise CRC-32 table (reflected polynomial 0xEDB88320): 64 bytes of
 * constant data instead of the usual 1 KiB, plenty fast for a loader. */
static const uint32_t crc_nib[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu,
    0x76DC4190u, 0x6B6B51F4u, 0x4DB26158u, 0x5005713Cu,
    0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
    0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

uint32_t ms_chip_crc32_update(uint32_t crc, const uint8_t *buf, size_t len)
{
    crc = ~crc;
    for (size_t i = 0; i < len; i++) {
        crc ^= buf[i];
        crc = crc_nib[crc & 0x0Fu] ^ (crc >> 4);
        crc = crc_nib[crc & 0x0Fu] ^ (crc >> 4);
    }
    return ~crc;
}

uint32_t ms_chip_xor32_update(uint32_t x, uint64_t pos, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned shift = (unsigned)(3u - (unsigned)((pos + i) & 3u)) * 8u;
        x ^= (uint32_t)buf[i] << shift;
    }
    return x;
}
