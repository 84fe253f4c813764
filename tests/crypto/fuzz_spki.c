/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_spki.c - libFuzzer target for ms_p256_pub_from_spki(), the parser of
 * the PUBKEY TLV in MCUboot images (outside data on the meter).
 *
 * A successful parse must give a point on the curve that re-encodes to the
 * very same 91 bytes (exactly one accepted encoding).
 */
#include <stdlib.h>
#include <string.h>

#include "meterseal/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ms_p256_pub_t pub;
    if (ms_p256_pub_from_spki(data, size, &pub) != MS_OK) {
        return 0;
    }
    uint8_t again[MS_P256_SPKI_LEN];
    if (size != MS_P256_SPKI_LEN || ms_p256_pub_check(&pub) != MS_OK ||
        ms_p256_pub_to_spki(&pub, again) != MS_OK || memcmp(again, data, size) != 0) {
        abort();
    }
    return 0;
}
