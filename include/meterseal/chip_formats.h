/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chip_formats.h - what the chip vendor, the factory and the chip share:
 * key diversification (GlobalPlatform EMV CPS and SCP03 "kdf3"), the COS
 * package (header + segment-rule encrypted body), the per-chip licence, the
 * loader image, the CRC32/XOR check values and the 84 DE secure-channel
 * helpers. Byte layouts are documented in docs/chip.md.
 *
 * Everything here is portable C11 over caller buffers (no heap). The same
 * code runs in the chip (loader / COS) and in the vendor's host tools, so the
 * two sides can never disagree about a format.
 */
#ifndef MS_CHIP_FORMATS_H
#define MS_CHIP_FORMATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/crypto.h"
#include "meterseal/error.h"

#define MS_CHIP_UID_LEN   10u   /* chip serial = GP key diversification data (KDD) */
#define MS_CHIP_KEY_LEN   16u   /* 2-key 3DES and AES-128 keys alike */
#define MS_CHIP_KCV_LEN   3u

/* ---- check values (C3, C4 step 207) -------------------------------------- */

/* CRC-32 (IEEE 802.3, reflected, init/xorout 0xFFFFFFFF). Start with crc = 0. */
uint32_t ms_chip_crc32_update(uint32_t crc, const uint8_t *buf, size_t len);

/* XOR check: the XOR of the data taken as big-endian 32-bit words, a short
 * last word padded with zero bytes. `pos` is the byte offset of buf in the
 * whole image (so the check can be computed in chunks). Start with x = 0. */
uint32_t ms_chip_xor32_update(uint32_t x, uint64_t pos, const uint8_t *buf, size_t len);

/* ---- key diversification (C3 KEY DIVERSIFY) ------------------------------ */

typedef enum ms_chip_div_method {
    MS_CHIP_DIV_EMV = 1,   /* EMV CPS: 3DES-ECB(MK, KDD[4..9] F0 t KDD[4..9] 0F t) */
    MS_CHIP_DIV_KDF3 = 2,  /* SCP03 KDF: AES-CMAC(MK, 01 00 00 00 t 00 KDD) */
} ms_chip_div_method_t;

typedef enum ms_chip_key_purpose {
    MS_CHIP_KEY_ENC = 1,
    MS_CHIP_KEY_MAC = 2,
    MS_CHIP_KEY_DEK = 3,
} ms_chip_key_purpose_t;

/* Diversify a 16-byte master key for one purpose with the 10-byte KDD. */
ms_err_t ms_chip_diversify(ms_chip_div_method_t method, const uint8_t mk[MS_CHIP_KEY_LEN],
                           const uint8_t kdd[MS_CHIP_UID_LEN], ms_chip_key_purpose_t purpose,
                           uint8_t out[MS_CHIP_KEY_LEN]);

/* Key check value: first 3 bytes of 3DES(K, 8 x 00) (EMV) or AES(K, 16 x 01) (KDF3). */
ms_err_t ms_chip_kcv(ms_chip_div_method_t method, const uint8_t key[MS_CHIP_KEY_LEN],
                     uint8_t kcv[MS_CHIP_KCV_LEN]);

/* The SCP03 KDF (GP 2.2 Amd D 6.2.2.2) in counter mode with AES-CMAC:
 * label = 11 x 00 || constant, separator 00, L (bits, 2 bytes), i, context.
 * out_len 8, 16 or 32. */
ms_err_t ms_chip_scp03_kdf(const uint8_t key[MS_CHIP_KEY_LEN], uint8_t constant,
                           const uint8_t *context, size_t context_len,
                           uint8_t *out, size_t out_len);

/* ---- segment encryption rules (C6) --------------------------------------- */

typedef enum ms_chip_rule_kind {
    MS_CHIP_RULE_NONE = 0,        /* plaintext (for comparison only) */
    MS_CHIP_RULE_WHOLE = 1,       /* every byte */
    MS_CHIP_RULE_FIRST16 = 2,     /* first 16 bytes of every segment */
    MS_CHIP_RULE_PROGRESSIVE = 3, /* 16-byte window moving by `stride` per segment */
} ms_chip_rule_kind_t;

typedef struct ms_chip_rule {
    uint8_t kind;          /* ms_chip_rule_kind_t */
    uint8_t by_count;      /* 0: seg_param is the segment size; 1: the segment count */
    uint32_t seg_param;
    uint32_t stride;       /* progressive only (the source's 21) */
} ms_chip_rule_t;

/* Segment size the rule gives for an image of image_len bytes; 0 if the
 * rule is invalid for it (segment under 16 bytes, count 0, ...). */
uint32_t ms_chip_rule_seg_size(const ms_chip_rule_t *rule, uint32_t image_len);

/* MS_OK if the rule is well-formed for image_len. */
ms_err_t ms_chip_rule_check(const ms_chip_rule_t *rule, uint32_t image_len);

/*
 * Encrypt or decrypt (the same operation: an XOR key stream) the bytes
 * [off, off+len) of an image of image_len bytes in place. Keystream:
 *   whole:   AES-CTR, counter block = nonce[0..8) || BE64(off / 16);
 *   windows: the window at absolute offset o gets AES(K, nonce[0..8) ||
 *            BE64(2^63 | o)), so equal plaintext windows never give equal
 *            ciphertext.
 * Any chunking gives the same result. *blocks counts AES block operations
 * (may be NULL), for the benchmark.
 */
ms_err_t ms_chip_rule_apply(const ms_chip_rule_t *rule, const uint8_t key[MS_CHIP_KEY_LEN],
                            const uint8_t nonce[8], uint32_t image_len,
                            uint32_t off, uint8_t *buf, size_t len, uint32_t *blocks);

/* ---- COS package (C1, C6) ----------------------------------------------- */

#define MS_CHIP_PKG_MAGIC        0x4D534350u  /* "MSCP" */
#define MS_CHIP_PKG_VERSION      1u
#define MS_CHIP_PKG_HDR_LEN      80u
#define MS_CHIP_PKG_ID_LEN       16u
#define MS_CHIP_PKG_MAC_OFF      48u
#define MS_CHIP_PKG_DEFAULT_STRIDE 21u

typedef struct ms_chip_pkg_header {
    ms_chip_rule_t rule;
    uint32_t cos_len;
    uint32_t crc32;
    uint32_t xor32;
    uint8_t nonce[16];
    uint8_t mac[MS_HMAC_SHA256_LEN];   /* HMAC-SHA256(K_mac, hdr[0..48) || plaintext) */
} ms_chip_pkg_header_t;

/* Parse the 80-byte header (buf may be longer: only the first 80 are read). */
ms_err_t ms_chip_pkg_parse(const uint8_t *buf, size_t len, ms_chip_pkg_header_t *hdr);

/* Serialise a header into out (cap >= 80). */
ms_err_t ms_chip_pkg_write(const ms_chip_pkg_header_t *hdr, uint8_t *out, size_t cap);

/* Package id: first 16 bytes of SHA-256 over the 80 header bytes. */
ms_err_t ms_chip_pkg_id(const uint8_t hdr_bytes[MS_CHIP_PKG_HDR_LEN],
                        uint8_t id[MS_CHIP_PKG_ID_LEN]);

/* K_enc (16) and K_mac (32) from the 16-byte image key (HKDF-SHA256). */
ms_err_t ms_chip_pkg_keys(const uint8_t image_key[MS_CHIP_KEY_LEN],
                          uint8_t k_enc[MS_CHIP_KEY_LEN], uint8_t k_mac[MS_HMAC_SHA256_LEN]);

/*
 * Vendor side: build a package of a COS. out gets header (80) || body
 * (cos_len); cap >= 80 + cos_len. nonce: 16 random bytes chosen by caller.
 */
ms_err_t ms_chip_pkg_build(const ms_chip_rule_t *rule, const uint8_t image_key[MS_CHIP_KEY_LEN],
                           const uint8_t nonce[16], const uint8_t *cos, uint32_t cos_len,
                           uint8_t *out, size_t cap, size_t *out_len);

/* ---- per-chip licence (image key wrapped under the chip's diversified keys) */

#define MS_CHIP_LIC_MAGIC  0x4D534C43u  /* "MSLC" */
#define MS_CHIP_LIC_LEN    68u

typedef struct ms_chip_licence {
    uint8_t method;                       /* ms_chip_div_method_t */
    uint8_t uid[MS_CHIP_UID_LEN];
    uint8_t pkg_id[MS_CHIP_PKG_ID_LEN];
    uint8_t wrapped[MS_CHIP_KEY_LEN];
    uint8_t mac[16];
} ms_chip_licence_t;

/* Parse the 68 licence bytes (format only; nothing is authenticated yet). */
ms_err_t ms_chip_licence_parse(const uint8_t *buf, size_t len, ms_chip_licence_t *lic);

/* Vendor / licence HSM: issue a licence for chip `uid` from the master key. */
ms_err_t ms_chip_licence_issue(ms_chip_div_method_t method, const uint8_t mk[MS_CHIP_KEY_LEN],
                               const uint8_t uid[MS_CHIP_UID_LEN],
                               const uint8_t pkg_id[MS_CHIP_PKG_ID_LEN],
                               const uint8_t image_key[MS_CHIP_KEY_LEN],
                               uint8_t out[MS_CHIP_LIC_LEN]);

/*
 * Chip: authenticate the licence with the keys diversified from mk with the
 * chip's own uid (never the uid the licence claims), then unwrap the image
 * key. MS_ERR_AUTH: not issued for this chip (or tampered);
 * MS_ERR_KEY_MISMATCH: authentic but for another package.
 */
ms_err_t ms_chip_licence_open(const uint8_t *buf, size_t len, const uint8_t mk[MS_CHIP_KEY_LEN],
                              const uint8_t uid[MS_CHIP_UID_LEN],
                              const uint8_t pkg_id[MS_CHIP_PKG_ID_LEN],
                              uint8_t image_key[MS_CHIP_KEY_LEN]);

/* ---- loader image (what the Loader OS area holds; reloaded by 84 DE) ------ */

#define MS_CHIP_LDR_MAGIC    0x4D534C44u  /* "MSLD" */
#define MS_CHIP_LDR_HDR_LEN  48u

/* Build a loader image: header (master keys, code length, CRC) || code,
 * zero-padded to a multiple of 16. */
ms_err_t ms_chip_loader_build(const uint8_t mk_des[MS_CHIP_KEY_LEN],
                              const uint8_t mk_aes[MS_CHIP_KEY_LEN],
                              const uint8_t *code, uint32_t code_len,
                              uint8_t *out, size_t cap, size_t *out_len);

/* ---- 84 DE secure channel (C5), both sides ------------------------------- */

typedef enum ms_chip_scp {
    MS_CHIP_SCP02 = 2,   /* 3DES, EMV-diversified keys, persistent sequence counter */
    MS_CHIP_SCP03 = 3,   /* AES-128, kdf3-diversified keys, host+card challenge (default) */
} ms_chip_scp_t;

#define MS_CHIP_DL_FIRST  0x01u   /* 84 DE flag: first block (erase the loader area) */
#define MS_CHIP_DL_LAST   0x80u   /* 84 DE flag: total length + SHA-256 of the loader */
#define MS_CHIP_DL_MAC_LEN 8u

typedef struct ms_chip_session {
    uint8_t scp;                 /* ms_chip_scp_t, 0 = closed */
    uint8_t s_enc[MS_CHIP_KEY_LEN];
    uint8_t s_mac[MS_CHIP_KEY_LEN];
    uint8_t chain[16];           /* MAC chaining value */
    uint32_t counter;            /* encryption counter (per 84 DE command) */
} ms_chip_session_t;

/*
 * Open a session from static keys (ENC, MAC) and the INITIALIZE UPDATE data:
 * SCP03: context = host_chal(8) || card_chal(8); SCP02: seq(2) is used.
 * card_cryptogram (8) is written if not NULL.
 */
ms_err_t ms_chip_session_open(ms_chip_session_t *s, ms_chip_scp_t scp,
                              const uint8_t k_enc[MS_CHIP_KEY_LEN],
                              const uint8_t k_mac[MS_CHIP_KEY_LEN],
                              const uint8_t host_chal[8], const uint8_t *card_chal,
                              size_t card_chal_len, uint16_t seq, uint8_t card_cryptogram[8]);

void ms_chip_session_close(ms_chip_session_t *s);

/*
 * Host (vendor) side: build one 84 DE command: 84 DE 00 00 Lc | flags |
 * BE32(off) | E(plain) | C-MAC(8). plain_len must be a multiple of the
 * block size (16 SCP03, 8 SCP02) and at most 224. Advances the session.
 */
ms_err_t ms_chip_session_wrap_dl(ms_chip_session_t *s, uint8_t flags, uint32_t off,
                                 const uint8_t *plain, size_t plain_len,
                                 uint8_t *apdu, size_t cap, size_t *apdu_len);

/*
 * Card side: check the C-MAC of an 84 DE command body (flags..MAC) with
 * header hdr[4] and decrypt the payload in place into out (cap >= body).
 * MS_ERR_AUTH on a bad MAC (the session is then closed by the caller).
 */
ms_err_t ms_chip_session_unwrap_dl(ms_chip_session_t *s, const uint8_t hdr[4],
                                   const uint8_t *body, size_t body_len,
                                   uint8_t *flags, uint32_t *off,
                                   uint8_t *out, size_t cap, size_t *out_len);

#endif /* MS_CHIP_FORMATS_H */
