/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_key_parse.c - libFuzzer target for ms_p256_key_parse() (key files are
 * outside data: whatever a user points the tools at).
 *
 * Beyond "no crash, no read past len", it checks what a successful parse
 * promises: the public point is on the curve and, for a private key, is the
 * point derived from the scalar.
 */
#include <stdlib.h>
#include <string.h>

#include "meterseal/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ms_p256_priv_t priv;
    ms_p256_pub_t pub, derived;
    bool has_priv = false;
    if (ms_p256_key_parse(data, size, &priv, &pub, &has_priv) != MS_OK) {
        return 0;
    }
    if (ms_p256_pub_check(&pub) != MS_OK) {
        abort();
    }
    if (has_priv && (ms_p256_pub_from_priv(&priv, &derived) != MS_OK ||
                     memcmp(derived.q, pub.q, MS_P256_PUB_LEN) != 0)) {
        abort();
    }
    ms_secure_zero(&priv, sizeof(priv));
    return 0;
}
