/*
 * sign.c - build a signed (and optionally encrypted) image, laid out byte
 * for byte as imgtool's `sign` does (docs/image-format.md):
 *
 *   header (32) | header padding to hdr_size | payload (zero-padded to a
 *   multiple of 16 when encrypted) | protected TLVs (SEC_CNT, DEPENDENCY...)
 *   | TLVs: SHA256, KEYHASH or PUBKEY, ECDSA_SIG, ENC_EC256 | [slot padding
 *   and trailer: magic, image_ok when confirmed]
 *
 * Order of work, as imgtool: header, protected TLVs, hash over header +
 * plaintext payload + protected TLVs, sign the hash, then (M7: sign first,
 * then encrypt) wrap a fresh payload key and AES-CTR-encrypt the payload.
 * Invariants: the output buffer is never written past the size checked up
 * front; the payload key and ECIES secrets are wiped on every path; the
 * slot check is imgtool's (image end + trailer size <= slot size).
 */
#include <string.h>

#include "image_priv.h"

#define DEFAULT_MAX_ALIGN 8u

/* imgtool's magic for max_align != 8: the alignment (u16 LE) then 14 bytes. */
static const uint8_t magic_tail_aligned[14] = {
    0x2d, 0xe1, 0x5d, 0x29, 0x41, 0x0b, 0x8d, 0x77, 0x67, 0x9c, 0x11, 0x0f, 0x1f, 0x8a,
};

/* imgtool's defaults. */
void ms_image_sign_opts_init(ms_image_sign_opts_t *opts)
{
    if (opts == NULL) {
        return;
    }
    memset(opts, 0, sizeof(*opts));
    opts->hdr_size = MS_IMAGE_HEADER_SIZE;
    opts->align = 1;
    opts->max_align = DEFAULT_MAX_ALIGN;
    opts->max_sectors = 128;
    opts->erased_val = 0xff;
}

static uint8_t *put_tlv_hdr(uint8_t *p, uint8_t type, uint16_t len)
{
    p[0] = type;
    p[1] = 0;
    ms_image_put_le16(p + 2, len);
    return p + MS_IMAGE_TLV_HDR_SIZE;
}

static ms_err_t check_opts(const ms_image_sign_opts_t *o)
{
    if (o->hdr_size < MS_IMAGE_HEADER_SIZE || o->n_deps > MS_IMAGE_MAX_DEPS) {
        return MS_ERR_ARG;
    }
    if (o->enc_pub != NULL && o->enc_key_len != 16 && o->enc_key_len != 32) {
        return MS_ERR_ARG;
    }
    if ((o->pad || o->confirm) && o->slot_size == 0) {
        return MS_ERR_ARG; /* imgtool: --pad needs --slot-size */
    }
    if (o->flags & (MS_IMAGE_F_ENCRYPTED_AES128 | MS_IMAGE_F_ENCRYPTED_AES256)) {
        return MS_ERR_ARG; /* encryption is chosen with enc_pub, not flags */
    }
    return MS_OK;
}

/* Effective trailer alignment: imgtool uses max(8, align) unless told. */
static uint32_t eff_max_align(const ms_image_sign_opts_t *o)
{
    uint32_t m = o->max_align ? o->max_align : DEFAULT_MAX_ALIGN;
    uint32_t a = o->align ? o->align : 1u;
    return m < a ? a : m;
}

static ms_err_t trailer_for(const ms_image_sign_opts_t *o, ms_trailer_layout_t *t)
{
    /* imgtool reserves align_up(16, max_align) per key slot whatever the AES
     * key size (its _trailer_size ignores encrypt_keylen). */
    return ms_trailer_layout(o->slot_size, o->align ? o->align : 1u, eff_max_align(o),
                             o->max_sectors ? o->max_sectors : 128u, o->overwrite_only,
                             o->enc_pub != NULL ? 16u : 0u, t);
}

/* Pad [len, slot_size) with the erased value and write the trailer. */
static void write_trailer(uint8_t *out, size_t len, const ms_image_sign_opts_t *o,
                          const ms_trailer_layout_t *t)
{
    memset(out + len, o->erased_val, o->slot_size - len);
    uint32_t ma = t->max_align;
    uint8_t *m = out + t->magic_off;
    if (ma == DEFAULT_MAX_ALIGN) {
        memcpy(m, ms_trailer_magic, sizeof(ms_trailer_magic));
    } else {
        m[0] = (uint8_t)ma;
        m[1] = (uint8_t)(ma >> 8);
        memcpy(m + 2, magic_tail_aligned, sizeof(magic_tail_aligned));
    }
    if (o->confirm && !o->overwrite_only) {
        out[t->image_ok_off] = 0x01;
    }
}

/* Build a signed (and, with enc_pub, encrypted) image into out. */
ms_err_t ms_image_sign(const uint8_t *in, size_t in_len, const ms_p256_priv_t *key,
                       const ms_image_sign_opts_t *opts,
                       uint8_t *out, size_t out_cap, size_t *out_len)
{
    if ((in == NULL && in_len != 0) || key == NULL || opts == NULL || out_len == NULL ||
        (out == NULL && out_cap != 0)) {
        return MS_ERR_ARG;
    }
    ms_err_t err = check_opts(opts);
    if (err) {
        return err;
    }
    const ms_image_sign_opts_t *o = opts;
    const bool enc = o->enc_pub != NULL;

    /* Header area and payload. Without pad_header the input already holds
     * hdr_size zero bytes (imgtool refuses anything else). */
    size_t payload_len;
    const uint8_t *payload;
    if (o->pad_header) {
        payload = in;
        payload_len = in_len;
    } else {
        if (in_len < o->hdr_size) {
            return MS_ERR_ARG;
        }
        for (size_t i = 0; i < o->hdr_size; i++) {
            if (in[i] != 0) {
                return MS_ERR_ARG;
            }
        }
        payload = in + o->hdr_size;
        payload_len = in_len - o->hdr_size;
    }
    uint64_t body = (uint64_t)o->hdr_size + payload_len;
    if (enc && body % 16u != 0) {
        body += 16u - body % 16u; /* imgtool zero-pads encrypted images */
    }
    uint64_t img_size = body - o->hdr_size;
    if (img_size > UINT32_MAX) {
        return MS_ERR_IMG_TOO_LARGE;
    }

    uint32_t prot = 0;
    if (o->has_sec_cnt) {
        prot += MS_IMAGE_TLV_HDR_SIZE + MS_IMAGE_SEC_CNT_LEN;
    }
    prot += (uint32_t)o->n_deps * (MS_IMAGE_TLV_HDR_SIZE + MS_IMAGE_DEP_LEN);
    if (prot != 0) {
        prot += MS_IMAGE_TLV_INFO_SIZE;
    }
    size_t enc_tlv_len = enc ? MS_IMAGE_ENC_KEY_OFF + o->enc_key_len : 0;
    uint32_t unprot_fixed = MS_IMAGE_TLV_INFO_SIZE + MS_IMAGE_TLV_HDR_SIZE + MS_SHA256_LEN +
                            MS_IMAGE_TLV_HDR_SIZE +
                            (o->full_pubkey ? MS_P256_SPKI_LEN : MS_SHA256_LEN) +
                            MS_IMAGE_TLV_HDR_SIZE +
                            (enc ? MS_IMAGE_TLV_HDR_SIZE + (uint32_t)enc_tlv_len : 0);
    uint64_t total_max = body + prot + unprot_fixed + MS_P256_SIG_DER_MAX;
    uint64_t total_min = body + prot + unprot_fixed + MS_IMAGE_SIG_MIN_LEN;
    if (total_max > UINT32_MAX) {
        return MS_ERR_IMG_TOO_LARGE;
    }

    ms_trailer_layout_t t;
    memset(&t, 0, sizeof(t));
    if (o->slot_size != 0) {
        err = trailer_for(o, &t);
        if (err) {
            return err;
        }
        if (total_min > t.trailer_off) {
            return MS_ERR_IMG_TOO_LARGE;
        }
    }
    bool pad = o->pad || o->confirm;
    uint64_t need = total_max;
    if (pad && o->slot_size > need) {
        need = o->slot_size;
    }
    if (out_cap < need) {
        *out_len = (size_t)need;
        return MS_ERR_BUFFER_TOO_SMALL;
    }

    /* Header area, payload, zero padding. */
    memset(out, o->pad_header ? o->erased_val : 0, o->hdr_size);
    if (payload_len != 0) {
        memmove(out + o->hdr_size, payload, payload_len);
    }
    memset(out + o->hdr_size + payload_len, 0, (size_t)(body - o->hdr_size - payload_len));
    ms_image_header_t h;
    memset(&h, 0, sizeof(h));
    h.magic = MS_IMAGE_MAGIC;
    h.load_addr = o->load_addr;
    h.hdr_size = o->hdr_size;
    h.protect_tlv_size = (uint16_t)prot;
    h.img_size = (uint32_t)img_size;
    h.flags = o->flags;
    if (enc) {
        h.flags |= o->enc_key_len == 32 ? MS_IMAGE_F_ENCRYPTED_AES256
                                        : MS_IMAGE_F_ENCRYPTED_AES128;
    }
    if (o->load_addr != 0) {
        h.flags |= MS_IMAGE_F_RAM_LOAD; /* imgtool: a load address means RAM load */
    }
    h.version = o->version;
    ms_image_header_encode(&h, out);

    /* Protected TLVs: SEC_CNT, then DEPENDENCY (imgtool's order). */
    uint8_t *p = out + body;
    if (prot != 0) {
        ms_image_put_le16(p, MS_IMAGE_TLV_PROT_INFO_MAGIC);
        ms_image_put_le16(p + 2, (uint16_t)prot);
        p += MS_IMAGE_TLV_INFO_SIZE;
        if (o->has_sec_cnt) {
            p = put_tlv_hdr(p, MS_TLV_SEC_CNT, MS_IMAGE_SEC_CNT_LEN);
            ms_image_put_le32(p, o->sec_cnt);
            p += MS_IMAGE_SEC_CNT_LEN;
        }
        for (unsigned i = 0; i < o->n_deps; i++) {
            const ms_image_dependency_t *d = &o->deps[i];
            p = put_tlv_hdr(p, MS_TLV_DEPENDENCY, MS_IMAGE_DEP_LEN);
            p[0] = d->image_id;
            p[1] = p[2] = p[3] = 0;
            p[4] = d->min_version.major;
            p[5] = d->min_version.minor;
            ms_image_put_le16(p + 6, d->min_version.revision);
            ms_image_put_le32(p + 8, d->min_version.build);
            p += MS_IMAGE_DEP_LEN;
        }
    }

    /* Hash over header + plaintext payload + protected TLVs; sign it. */
    uint8_t digest[MS_SHA256_LEN];
    err = ms_sha256(out, (size_t)(body + prot), digest);
    if (err) {
        return err;
    }
    ms_p256_pub_t pub;
    err = ms_p256_pub_from_priv(key, &pub);
    if (err) {
        return err;
    }
    uint8_t sig[MS_P256_SIG_DER_MAX];
    size_t sig_len = 0;
    err = ms_p256_sign(key, digest, sig, sizeof(sig), &sig_len);
    if (err) {
        return err;
    }
    if (sig_len < MS_IMAGE_SIG_MIN_LEN || sig_len > MS_P256_SIG_DER_MAX) {
        return MS_ERR_CRYPTO;
    }

    /* Unprotected TLVs: SHA256, KEYHASH | PUBKEY, ECDSA_SIG, [ENC_EC256]. */
    uint8_t *info = p;
    p += MS_IMAGE_TLV_INFO_SIZE;
    p = put_tlv_hdr(p, MS_TLV_SHA256, MS_SHA256_LEN);
    memcpy(p, digest, MS_SHA256_LEN);
    p += MS_SHA256_LEN;
    if (o->full_pubkey) {
        p = put_tlv_hdr(p, MS_TLV_PUBKEY, MS_P256_SPKI_LEN);
        err = ms_p256_pub_to_spki(&pub, p);
        p += MS_P256_SPKI_LEN;
    } else {
        p = put_tlv_hdr(p, MS_TLV_KEYHASH, MS_SHA256_LEN);
        err = ms_image_key_hash(&pub, p);
        p += MS_SHA256_LEN;
    }
    if (err) {
        return err;
    }
    p = put_tlv_hdr(p, MS_TLV_ECDSA_SIG, (uint16_t)sig_len);
    memcpy(p, sig, sig_len);
    p += sig_len;

    if (enc) {
        /* M7: the payload is encrypted only now, after hashing and signing. */
        uint8_t aes_key[MS_IMAGE_ENC_KEY_MAX];
        static const uint8_t counter0[MS_AES_BLOCK_LEN] = { 0 };
        size_t tl = 0;
        err = ms_random(aes_key, o->enc_key_len);
        if (!err) {
            p = put_tlv_hdr(p, MS_TLV_ENC_EC256, (uint16_t)enc_tlv_len);
            err = ms_image_wrap_key(o->enc_pub, aes_key, o->enc_key_len, p, enc_tlv_len, &tl);
            p += enc_tlv_len;
        }
        if (!err) {
            err = ms_aes_ctr(aes_key, o->enc_key_len, counter0, out + o->hdr_size,
                             out + o->hdr_size, (size_t)img_size);
        }
        ms_secure_zero(aes_key, sizeof(aes_key));
        if (err) {
            ms_secure_zero(out, (size_t)need);
            return err;
        }
    }
    size_t total = (size_t)(p - out);
    ms_image_put_le16(info, MS_IMAGE_TLV_INFO_MAGIC);
    ms_image_put_le16(info + 2, (uint16_t)(total - (size_t)(info - out)));

    if (o->slot_size != 0 && total > t.trailer_off) {
        return MS_ERR_IMG_TOO_LARGE; /* imgtool: "exceeds requested size" */
    }
    if (pad) {
        write_trailer(out, total, o, &t);
        total = o->slot_size;
    }
    *out_len = total;
    return MS_OK;
}
