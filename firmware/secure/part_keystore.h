/* SPDX-License-Identifier: Apache-2.0 */
/*
 * part_keystore.h - the messages between the Secure kernel's key store
 * client (keystore_client.c) and the key store partition
 * (part_keystore.c), which alone holds the device's keys in the clear.
 *
 * A request is a header, then the operation's bytes; numbers are the CPU's
 * own (little-endian) words. The header: caller(4) id(4) w0..w3(16), the
 * calling TEE partition (ms_tee_partition_t, for the key's policy), the key
 * id, and four words whose meaning is the operation's:
 *
 *   type              w0..w3                       after the header   answer after err(4)
 *   KS_MSG_GENERATE   type bits usage partitions   -                  -
 *   KS_MSG_IMPORT     type usage partitions len    material(len)      -
 *   KS_MSG_DESTROY    -                            -                  -
 *   KS_MSG_EXPORT     -                            -                  public key(65)
 *   KS_MSG_SIGN       cap                          hash(32)           DER signature
 *   KS_MSG_ECDH       -                            peer key(65)       shared secret(32)
 *   KS_MSG_AEAD_ENC   aad_len len                  nonce(12) aad in   out(len) tag(16)
 *   KS_MSG_AEAD_DEC   aad_len len                  nonce(12) tag(16)  out(len)
 *                                                  aad in
 *   KS_MSG_MAC        - len                        data(len)          mac(32)
 *   KS_MSG_MAC_VERIFY - len                        mac(32) data(len)  -
 *   KS_MSG_PROVISION  wanted                       -                  identity(65) iak(65)
 *
 * (PROVISION's wanted: bit 0 the identity key's public key, bit 1 the
 * IAK's; one not wanted comes back zero.)
 *
 * The partition answers PSA_SUCCESS with the service's ms_err_t first; the
 * rest of the answer only when that is MS_OK. A request whose length is not
 * exactly its operation's is answered MS_ERR_ARG. The partition's own
 * storage is the key store's ITS records, which it reads and writes by
 * request to the kernel (spm_request: the ITS messages of part_storage.h,
 * for key uids only); its key material comes from the TEE RNG by request
 * too (KS_REQ_RNG).
 */
#ifndef MS_SECURE_PART_KEYSTORE_H
#define MS_SECURE_PART_KEYSTORE_H

#include <stdint.h>

#include "meterseal/crypto.h"
#include "meterseal/tee_dispatch.h"
#include "spm.h"

#define KS_MSG_GENERATE   1
#define KS_MSG_IMPORT     2
#define KS_MSG_DESTROY    3
#define KS_MSG_EXPORT     4
#define KS_MSG_SIGN       5
#define KS_MSG_ECDH       6
#define KS_MSG_AEAD_ENC   7
#define KS_MSG_AEAD_DEC   8
#define KS_MSG_MAC        9
#define KS_MSG_MAC_VERIFY 10
#define KS_MSG_PROVISION  11

/* The key store's own request for random bytes (spm_request): in the
 * count(4), at most KS_RNG_MAX; out that many bytes of the TEE RNG
 * (ms_tee_rng_generate: health-tested). Its other requests are the ITS
 * messages of part_storage.h. */
#define KS_REQ_RNG 0x1000
#define KS_RNG_MAX 64u

typedef struct ks_hdr {
    int32_t caller;
    uint32_t id;
    uint32_t w[4];
} ks_hdr_t;

#define KS_NONCE_LEN 12u
#define KS_TAG_LEN   16u
/* The most data (aad and text, or MAC input) one request carries: what is
 * left after the header and the largest fixed part (a MAC: 32 bytes; a
 * nonce and a tag: 28). */
#define KS_DATA_MAX (SPM_MSG_DATA - sizeof(ks_hdr_t) - MS_HMAC_SHA256_LEN)

_Static_assert(KS_DATA_MAX >= MS_TEE_IO_BUF_LEN, "a request carries what the secure API does");

#endif /* MS_SECURE_PART_KEYSTORE_H */
