/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image.h - MCUboot-compatible firmware images: parse, hash, verify, decrypt,
 * build. Byte-compatible with MCUboot's imgtool 2.x (docs/image-format.md).
 *
 * Layout of an image in a slot (all integers little-endian):
 *
 *   [ header (32 bytes) | padding to hdr_size ]
 *   [ payload, img_size bytes (AES-CTR ciphertext if encrypted) ]
 *   [ protected TLV area: info 0x6908 + TLVs ]   (protect_tlv_size bytes, may be 0)
 *   [ TLV area: info 0x6907 + TLVs ]              (SHA256, KEYHASH/PUBKEY, ECDSA_SIG, ENC_EC256)
 *   ... erased ...
 *   [ trailer at the slot's end ]                 (see "trailer" below)
 *
 * The SHA256 TLV covers header(hdr_size bytes) + plaintext payload +
 * protected TLV area. ECDSA_SIG is ECDSA-P256 over that digest.
 *
 * Everything reads through an ms_image_reader_t in chunks into a caller
 * buffer, so the boot loader can verify straight from flash without holding
 * the image in RAM. No function allocates; no function prints.
 */
#ifndef MS_IMAGE_H
#define MS_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/crypto.h"
#include "meterseal/error.h"
#include "meterseal/hal.h"

#define MS_IMAGE_MAGIC              0x96f3b83du
#define MS_IMAGE_HEADER_SIZE        32u
#define MS_IMAGE_TLV_INFO_MAGIC     0x6907u
#define MS_IMAGE_TLV_PROT_INFO_MAGIC 0x6908u
#define MS_IMAGE_TLV_INFO_SIZE      4u
#define MS_IMAGE_TLV_HDR_SIZE       4u

/* Header flags. */
#define MS_IMAGE_F_PIC              0x00000001u
#define MS_IMAGE_F_ENCRYPTED_AES128 0x00000004u
#define MS_IMAGE_F_ENCRYPTED_AES256 0x00000008u
#define MS_IMAGE_F_NON_BOOTABLE     0x00000010u
#define MS_IMAGE_F_RAM_LOAD         0x00000020u

/* TLV types. */
#define MS_TLV_KEYHASH              0x01u
#define MS_TLV_PUBKEY               0x02u
#define MS_TLV_SHA256               0x10u
#define MS_TLV_ECDSA_SIG            0x22u
#define MS_TLV_ENC_EC256            0x32u
#define MS_TLV_DEPENDENCY           0x40u
#define MS_TLV_SEC_CNT              0x50u

#define MS_IMAGE_ENC_EC256_LEN_128  113u  /* 65 point + 32 HMAC + 16 key */
#define MS_IMAGE_ENC_EC256_LEN_256  129u  /* 65 point + 32 HMAC + 32 key */
#define MS_IMAGE_ENC_KEY_MAX        32u
#define MS_IMAGE_MAX_DEPS           4u

typedef struct ms_image_version {
    uint8_t major;
    uint8_t minor;
    uint16_t revision;
    uint32_t build;
} ms_image_version_t;

/* Order of two versions by major, minor, revision (the build number is not
 * part of the order, as in MCUboot): <0, 0 or >0. */
int ms_image_version_cmp(const ms_image_version_t *a, const ms_image_version_t *b);

typedef struct ms_image_header {
    uint32_t magic;
    uint32_t load_addr;
    uint16_t hdr_size;          /* bytes before the payload, >= 32 */
    uint16_t protect_tlv_size;  /* whole protected area incl. its info, or 0 */
    uint32_t img_size;          /* payload bytes */
    uint32_t flags;
    ms_image_version_t version;
} ms_image_header_t;

/* Dependency TLV (0x40): parsed, not acted upon here. */
typedef struct ms_image_dependency {
    uint8_t image_id;
    ms_image_version_t min_version;
} ms_image_dependency_t;

/* ---- where an image is read from ----------------------------------------- */

/*
 * A random-access byte source of `size` bytes: a flash area (boot loader) or
 * a memory buffer (tools, tests). read() is only ever called inside [0, size).
 */
typedef struct ms_image_reader {
    ms_err_t (*read)(void *ctx, uint32_t off, void *buf, size_t len);
    void *ctx;
    uint32_t size;
} ms_image_reader_t;

/* A memory-backed reader; mem must outlive the reader. */
typedef struct ms_image_mem {
    const uint8_t *data;
    size_t len;
} ms_image_mem_t;

void ms_image_reader_mem(ms_image_reader_t *r, ms_image_mem_t *mem,
                         const uint8_t *data, size_t len);
/* A reader over a whole flash area. */
void ms_image_reader_flash(ms_image_reader_t *r, const ms_flash_area_t *fa);

/* ---- parsing --------------------------------------------------------------- */

/* Decode and check the 32-byte header: magic and hdr_size >= 32. Bounds
 * against the slot are ms_image_parse()'s job. */
ms_err_t ms_image_header_parse(const uint8_t *buf, size_t len, ms_image_header_t *hdr);
void ms_image_header_encode(const ms_image_header_t *hdr, uint8_t out[MS_IMAGE_HEADER_SIZE]);

/* What ms_image_parse() learnt about an image: offsets and the TLVs it knows. */
typedef struct ms_image_info {
    ms_image_header_t hdr;
    uint32_t payload_off;       /* = hdr_size */
    uint32_t prot_tlv_off;      /* = hdr_size + img_size */
    uint32_t tlv_off;           /* unprotected TLV info */
    uint32_t tlv_size;          /* unprotected area incl. its info */
    uint32_t end;               /* one past the last TLV byte: the image's length */

    bool has_sha256;
    uint8_t sha256[MS_SHA256_LEN];
    bool has_keyhash;
    uint8_t keyhash[MS_SHA256_LEN];
    bool has_pubkey;
    ms_p256_pub_t pubkey;
    uint16_t sig_len;           /* 0 = no ECDSA_SIG TLV */
    uint8_t sig[MS_P256_SIG_DER_MAX];
    bool has_sec_cnt;
    uint32_t sec_cnt;
    uint16_t enc_tlv_len;       /* 0 = no ENC_EC256 TLV */
    uint8_t enc_tlv[MS_IMAGE_ENC_EC256_LEN_256];
    uint8_t n_deps;
    ms_image_dependency_t deps[MS_IMAGE_MAX_DEPS];
} ms_image_info_t;

/*
 * Parse header and both TLV areas, bounds-checking everything against
 * r->size. Known TLVs are recorded; unknown ones are skipped. Errors:
 * MS_ERR_TRUNCATED, MS_ERR_BAD_MAGIC, MS_ERR_IMG_HEADER, MS_ERR_IMG_TLV_INFO,
 * MS_ERR_IMG_TLV_BOUNDS, MS_ERR_IMG_TLV_DUP, MS_ERR_FORMAT (a known TLV
 * with the wrong length, or a TLV in the area it must not be in).
 */
ms_err_t ms_image_parse(const ms_image_reader_t *r, ms_image_info_t *info);

/* Generic TLV walk over one area (for inspect): call next until
 * MS_ERR_NOT_FOUND. data_off is the offset in the reader. */
typedef struct ms_tlv_iter {
    const ms_image_reader_t *r;
    uint32_t off;
    uint32_t end;
} ms_tlv_iter_t;

ms_err_t ms_tlv_iter_begin(ms_tlv_iter_t *it, const ms_image_reader_t *r,
                           const ms_image_info_t *info, bool protected_area);
ms_err_t ms_tlv_iter_next(ms_tlv_iter_t *it, uint16_t *type, uint32_t *data_off,
                          uint16_t *len);

/* ---- hashing, keys, verification ------------------------------------------- */

/*
 * SHA-256 over header + payload + protected TLVs, reading in chunks of
 * buf_len bytes through buf. If aes_key is not NULL the payload is taken as
 * AES-CTR ciphertext (counter 0) and decrypted before hashing, so the
 * stored hash of an encrypted image can be checked.
 */
ms_err_t ms_image_hash(const ms_image_reader_t *r, const ms_image_info_t *info,
                       const uint8_t *aes_key, size_t aes_key_len,
                       uint8_t *buf, size_t buf_len, uint8_t out[MS_SHA256_LEN]);

/*
 * A trusted signing key. key_hash (SHA-256 of the SPKI DER) is the anchor
 * kept in immutable storage (M5). pub may be NULL for a hash-only anchor:
 * then only images carrying their PUBKEY TLV can verify against it.
 */
typedef struct ms_image_key_anchor {
    uint8_t key_hash[MS_SHA256_LEN];
    const ms_p256_pub_t *pub;
} ms_image_key_anchor_t;

/* SHA-256 of a key's SPKI DER, as in KEYHASH TLVs and anchors. */
ms_err_t ms_image_key_hash(const ms_p256_pub_t *pub, uint8_t out[MS_SHA256_LEN]);

/* What a successful verification measured: the boot record. */
typedef struct ms_image_measurement {
    uint8_t hash[MS_SHA256_LEN];
    ms_image_version_t version;
    bool has_sec_cnt;
    uint32_t sec_cnt;
    size_t anchor_index;        /* which anchor verified it */
    bool has_signer_id;
    uint8_t signer_id[MS_SHA256_LEN];   /* that anchor's key hash (the PSA signer ID) */
} ms_image_measurement_t;

/*
 * Verify an image: recompute the hash (decrypting first if aes_key is
 * given) and compare it in constant time with the SHA256 TLV, pick the
 * anchor named by KEYHASH or PUBKEY, and check ECDSA_SIG. Returns MS_OK only
 * when every check passed; otherwise MS_ERR_IMG_NO_HASH, MS_ERR_IMG_HASH,
 * MS_ERR_IMG_NO_SIG, MS_ERR_IMG_KEY_UNKNOWN, MS_ERR_SIGNATURE, or a read
 * error. An encrypted image verified without its key fails with
 * MS_ERR_IMG_HASH. `out` may be NULL.
 */
ms_err_t ms_image_verify(const ms_image_reader_t *r, const ms_image_info_t *info,
                         const ms_image_key_anchor_t *anchors, size_t n_anchors,
                         const uint8_t *aes_key, size_t aes_key_len,
                         uint8_t *buf, size_t buf_len,
                         ms_image_measurement_t *out);

/* ---- encryption (ENC_EC256: ECIES-P256, HKDF-SHA256, AES-CTR, HMAC) ---------- */

/* Length of the payload key the header flags ask for: 16, 32, or 0 if the
 * image is not encrypted (or flags are contradictory: then MS_ERR_IMG_HEADER). */
ms_err_t ms_image_enc_key_len(const ms_image_header_t *hdr, size_t *key_len);

/*
 * Recover the payload key from the ENC_EC256 TLV with the device's
 * encryption private key: ECDH with the ephemeral point, HKDF-SHA256 (no
 * salt, info "MCUBoot_ECIES_v1"), check the HMAC-SHA256 tag in constant time,
 * AES-CTR-decrypt the wrapped key. MS_ERR_IMG_NOT_ENCRYPTED,
 * MS_ERR_IMG_ENC_KEY (tag mismatch: wrong key or tampered TLV).
 */
ms_err_t ms_image_unwrap_key(const ms_image_info_t *info, const ms_p256_priv_t *enc_priv,
                             uint8_t key[MS_IMAGE_ENC_KEY_MAX], size_t *key_len);

/* The inverse, for signing tools: wrap `key` for enc_pub with a fresh
 * ephemeral key. tlv gets 113 (16-byte key) or 129 (32-byte key) bytes. */
ms_err_t ms_image_wrap_key(const ms_p256_pub_t *enc_pub, const uint8_t *key, size_t key_len,
                           uint8_t *tlv, size_t tlv_cap, size_t *tlv_len);

/* ---- trailer (MCUboot's, at the end of a slot) ----------------------------- */

/* The trailer magic imgtool writes for the default max_align of 8. */
extern const uint8_t ms_trailer_magic[16];

/* The trailer magic for a max_align: the one above for 8; for any other
 * power of two up to 0x8000 imgtool's alternative form (max_align as u16
 * LE, then 14 fixed bytes), which MCUboot built with BOOT_MAX_ALIGN > 8
 * expects. MS_ERR_ARG for other values. */
ms_err_t ms_trailer_magic_for(uint32_t max_align, uint8_t out[16]);

/* Byte offsets, from the slot start, of the trailer fields for a slot. */
typedef struct ms_trailer_layout {
    uint32_t slot_size;
    uint32_t max_align;
    uint32_t trailer_off;       /* first trailer byte (start of swap status) */
    uint32_t enc_key0_off;      /* only meaningful when enc_key_field_len > 0 */
    uint32_t enc_key1_off;
    uint32_t swap_size_off;
    uint32_t swap_info_off;
    uint32_t copy_done_off;
    uint32_t image_ok_off;
    uint32_t magic_off;
} ms_trailer_layout_t;

/* Compute the layout as imgtool and MCUboot do. write_align is the device
 * alignment for the status area; enc_key_field_len 0 when not encrypted. */
ms_err_t ms_trailer_layout(uint32_t slot_size, uint32_t write_align, uint32_t max_align,
                           uint32_t max_sectors, bool overwrite_only,
                           uint32_t enc_key_field_len, ms_trailer_layout_t *out);

/* ---- building images (host tools; also usable on the device) --------------- */

typedef struct ms_image_sign_opts {
    ms_image_version_t version;
    uint32_t load_addr;
    uint16_t hdr_size;          /* >= 32 */
    bool pad_header;            /* prepend hdr_size bytes; else input starts with them (zeroed) */
    uint32_t flags;             /* extra header flags, e.g. MS_IMAGE_F_NON_BOOTABLE */
    bool has_sec_cnt;
    uint32_t sec_cnt;
    bool full_pubkey;           /* PUBKEY TLV instead of KEYHASH */
    const ms_p256_pub_t *enc_pub; /* NULL: not encrypted */
    size_t enc_key_len;         /* 16 or 32 when enc_pub != NULL */
    uint8_t n_deps;
    ms_image_dependency_t deps[MS_IMAGE_MAX_DEPS];
    /* slot and trailer (pad/confirm), as imgtool's --slot-size --align --pad --confirm */
    uint32_t slot_size;         /* 0: no slot given */
    uint32_t align;             /* flash write alignment: 1,2,4,8,16,32 */
    uint32_t max_align;         /* trailer field alignment (imgtool default 8) */
    uint32_t max_sectors;       /* swap status sectors (imgtool default 128) */
    bool overwrite_only;
    bool pad;                   /* pad the output to slot_size and write the trailer magic */
    bool confirm;               /* as pad, and image_ok = 1 */
    uint8_t erased_val;         /* 0xff normally */
} ms_image_sign_opts_t;

/* imgtool's defaults: hdr_size 32, align 1, max_align 8, max_sectors 128,
 * erased 0xff, version 0.0.0+0. */
void ms_image_sign_opts_init(ms_image_sign_opts_t *opts);

/*
 * Build a signed (and, with enc_pub, encrypted) image from `in`. Output
 * layout and TLV order are imgtool's. MS_ERR_IMG_TOO_LARGE when the image
 * plus trailer does not fit slot_size; MS_ERR_BUFFER_TOO_SMALL with
 * *out_len set to what is needed.
 */
ms_err_t ms_image_sign(const uint8_t *in, size_t in_len, const ms_p256_priv_t *key,
                       const ms_image_sign_opts_t *opts,
                       uint8_t *out, size_t out_cap, size_t *out_len);

/*
 * Where the payload starts in a signing tool's input: 0 with pad_header,
 * else hdr_size, after checking that the input begins with hdr_size zero
 * bytes as imgtool requires (MS_ERR_ARG if not, or if it is shorter).
 */
ms_err_t ms_image_sign_payload_off(const ms_image_sign_opts_t *opts, const uint8_t *in,
                                   size_t in_len, size_t *payload_off);

/*
 * Streaming signer: the same image as ms_image_sign(), built piecewise so a
 * tool can write (or a device can flash) the payload while it is hashed,
 * without holding the image in RAM. The output is, in this order:
 *
 *   ms_image_signer_header()  hdr_size bytes: header + header padding
 *   ms_image_signer_update()  the payload_len payload bytes, in any chunks
 *   ms_image_signer_finish()  the tail: encryption padding (ciphertext of up
 *                             to 15 zero bytes), protected TLVs, TLVs
 *   ms_image_signer_trailer() with pad/confirm: what the rest of the slot
 *                             holds (ms_image_trailer_fill() writes it)
 *
 * The context lives in caller memory (no heap); `key` must stay valid
 * until finish. The slot-size check is made by init, before any output
 * exists (and again by finish with the real signature length, as imgtool).
 * When encrypting, each chunk is hashed as plaintext and only then
 * encrypted (by update, or in split mode by ms_image_signer_encrypt on
 * another thread); the signature (made in finish) covers the plaintext (M7).
 * After an error from update or finish the signer is dead (MS_ERR_STATE);
 * ms_image_signer_abort() wipes it at any point and is harmless twice.
 */
typedef struct ms_image_signer {
    /* private: use the functions below */
    ms_sha256_ctx sha;
    ms_aes_ctr_ctx ctr;
    const ms_p256_priv_t *key;
    ms_image_sign_opts_t opts;          /* copy; enc_pub is not kept */
    ms_trailer_layout_t trailer;
    uint8_t hdr[MS_IMAGE_HEADER_SIZE];
    uint8_t enc_tlv[MS_IMAGE_ENC_EC256_LEN_256];
    uint8_t digest[MS_SHA256_LEN];
    uint64_t payload_len;
    uint64_t fed;                       /* payload bytes hashed */
    uint64_t enc_fed;                   /* payload bytes encrypted */
    uint32_t img_size;                  /* payload + encryption padding */
    uint32_t prot_size;
    uint32_t tail_max;
    uint32_t image_len;                 /* known after finish */
    uint8_t state;
    uint8_t mode;                       /* encrypted: joint or split */
    uint8_t enc_failed;
} ms_image_signer_t;

/* Largest tail finish() can write, for any options. */
#define MS_IMAGE_SIGNER_TAIL_MAX 512u

/* Start an image of payload_len payload bytes. Errors as ms_image_sign():
 * MS_ERR_ARG, MS_ERR_IMG_TOO_LARGE (does not fit the slot), crypto errors. */
ms_err_t ms_image_signer_init(ms_image_signer_t *s, const ms_p256_priv_t *key,
                              const ms_image_sign_opts_t *opts, size_t payload_len);

/* The header area (opts->hdr_size bytes) into out. Any time after init. */
ms_err_t ms_image_signer_header(const ms_image_signer_t *s, uint8_t *out, size_t cap);

/* Upper bound of the whole output: header + payload + tail, or the slot
 * size when padding. 0 before init. */
size_t ms_image_signer_out_max(const ms_image_signer_t *s);

/*
 * Hash len payload bytes and write the image's bytes for them to out:
 * AES-CTR ciphertext when encrypting, else a copy; in and out may overlap.
 * out may be NULL: for a plain image the caller then writes `in` itself;
 * for an encrypted one the signer is in split mode (fixed by the first
 * update; mixing is MS_ERR_STATE) and the caller must pass the same bytes
 * to ms_image_signer_encrypt() as well. MS_ERR_IMG_SIGN_OVERRUN (nothing
 * consumed) when this would pass payload_len; MS_ERR_STATE before init or
 * after finish.
 */
ms_err_t ms_image_signer_update(ms_image_signer_t *s, const uint8_t *in, uint8_t *out,
                                size_t len);

/*
 * Split mode only: AES-CTR-encrypt the next len payload bytes (in: the
 * plaintext given to update, out: the image's bytes; may alias). It touches
 * nothing update touches, so a second thread can encrypt chunk i while
 * update hashes chunk i+1 (hand chunks over with a lock). finish requires
 * all payload_len bytes hashed and encrypted (else MS_ERR_IMG_SIGN_SHORT);
 * the signature covers what update hashed (M7). MS_ERR_IMG_SIGN_OVERRUN,
 * MS_ERR_STATE (not split mode, or an earlier encrypt failed).
 */
ms_err_t ms_image_signer_encrypt(ms_image_signer_t *s, const uint8_t *in, uint8_t *out,
                                 size_t len);

/*
 * Write the tail (at most MS_IMAGE_SIGNER_TAIL_MAX bytes) and sign.
 * MS_ERR_IMG_SIGN_SHORT when fewer than payload_len bytes were given and
 * MS_ERR_BUFFER_TOO_SMALL (*tail_len = what is needed): the signer is left
 * as it was. MS_ERR_IMG_TOO_LARGE when the finished image overruns the
 * slot's trailer.
 */
ms_err_t ms_image_signer_finish(ms_image_signer_t *s, uint8_t *tail, size_t cap,
                                size_t *tail_len);

/* The image's SHA256 TLV value, after a successful finish. */
ms_err_t ms_image_signer_hash(const ms_image_signer_t *s, uint8_t out[MS_SHA256_LEN]);

/* Wipe the signer (payload key, hash state). */
void ms_image_signer_abort(ms_image_signer_t *s);

/* What follows the image in a padded slot (--pad / --confirm). */
typedef struct ms_image_sign_trailer {
    bool pad;                   /* false: the output ends with the TLVs */
    bool image_ok;              /* image_ok_off holds 0x01 (--confirm) */
    uint8_t erased_val;         /* every other byte of [pad_off, slot_size) */
    uint32_t pad_off;           /* = the image's length */
    uint32_t slot_size;
    uint32_t magic_off;         /* 16 bytes of magic */
    uint32_t image_ok_off;
    uint8_t magic[16];
} ms_image_sign_trailer_t;

/* Describe the slot padding and trailer; after a successful finish. */
ms_err_t ms_image_signer_trailer(const ms_image_signer_t *s, ms_image_sign_trailer_t *t);

/* Write the slot bytes [off, off + len) of the padding and trailer t
 * describes, so a tool can write a large slot in small pieces. The range
 * must lie in [t->pad_off, t->slot_size) (MS_ERR_ARG otherwise). */
ms_err_t ms_image_trailer_fill(const ms_image_sign_trailer_t *t, uint32_t off, uint8_t *buf,
                               size_t len);

/*
 * Decrypt an encrypted image in place (payload to plaintext, ENC_EC256 TLV
 * cut out of the TLV area) so it becomes the image that was signed. The
 * encryption flag stays set: imgtool hashes the header with it, so clearing
 * it would break the SHA256 TLV; verify the result with aes_key NULL.
 * *out_len is the new image length (unchanged for an image padded to its
 * slot, whose trailer stays in place; the freed TLV bytes become 0xff).
 */
ms_err_t ms_image_decrypt(uint8_t *img, size_t img_len, const ms_p256_priv_t *enc_priv,
                          size_t *out_len);

#endif /* MS_IMAGE_H */
