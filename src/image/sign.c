/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sign.c - build a signed (and optionally encrypted) image, laid out byte
 * for byte as imgtool's `sign` does (docs/image-format.md):
 *
 *   header (32) | header padding to hdr_size | payload (zero-padded to a
 *   multiple of 16 when encrypted) | protected TLVs (SEC_CNT, DEPENDENCY...)
 *   | TLVs: SHA256, KEYHASH or PUBKEY, ECDSA_SIG, ENC_EC256 | [slot padding
 *   and trailer: magic, image_ok when confirmed]
 *
 * The work is done by a streaming signer (ms_image_signer_*): init fixes the
 * layout and hashes the header area, update hashes payload chunks and
 * produces their output bytes, finish hashes the padding and protected TLVs,
 * signs and writes the TLVs. ms_image_sign() is that signer run over one
 * buffer, so there is one copy of the layout logic.
 *
 * M7 (sign first, then encrypt): the hash and so the signature cover the
 * plaintext; each chunk is hashed before it is encrypted, and the payload
 * key is wrapped for the device (ENC_EC256) at init. Encryption is done by
 * update (joint mode) or, when the first update has no output buffer, by
 * ms_image_signer_encrypt (split mode), which touches only the AES context
 * and its own counter so a second thread can run it while update hashes.
 * Invariants: no output byte is produced before the slot check has passed;
 * no write goes past the capacity the caller gave; the payload key lives
 * only inside the AES context and is wiped with the signer on every path;
 * the slot check is imgtool's (image end + trailer size <= slot size).
 */
#include <string.h>

#include "image_priv.h"

#define DEFAULT_MAX_ALIGN 8u

/* Signer states; 0 is what a zeroed context holds. */
enum { ST_NONE = 0, ST_STREAM = 0x5a, ST_DONE = 0xa5, ST_DEAD = 0x3c };

/* How an encrypted payload is produced (fixed by the first update). */
enum { MODE_NONE = 0, MODE_JOINT = 1, MODE_SPLIT = 2 };

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

/* The trailer magic for a max_align (standard for 8, imgtool's alternative
 * form otherwise). */
ms_err_t ms_trailer_magic_for(uint32_t max_align, uint8_t out[16])
{
    if (out == NULL || max_align == 0 || max_align > 0x8000u ||
        (max_align & (max_align - 1u)) != 0) {
        return MS_ERR_ARG;
    }
    if (max_align == DEFAULT_MAX_ALIGN) {
        memcpy(out, ms_trailer_magic, sizeof(ms_trailer_magic));
    } else {
        ms_image_put_le16(out, (uint16_t)max_align);
        memcpy(out + 2, magic_tail_aligned, sizeof(magic_tail_aligned));
    }
    return MS_OK;
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

/* Where the payload starts in the input (imgtool's zeroed-header rule). */
ms_err_t ms_image_sign_payload_off(const ms_image_sign_opts_t *opts, const uint8_t *in,
                                   size_t in_len, size_t *payload_off)
{
    if (opts == NULL || payload_off == NULL || (in == NULL && in_len != 0)) {
        return MS_ERR_ARG;
    }
    if (opts->pad_header) {
        *payload_off = 0;
        return MS_OK;
    }
    if (in_len < opts->hdr_size) {
        return MS_ERR_ARG;
    }
    for (size_t i = 0; i < opts->hdr_size; i++) {
        if (in[i] != 0) {
            return MS_ERR_ARG;
        }
    }
    *payload_off = opts->hdr_size;
    return MS_OK;
}

/* Size of the unprotected TLV area without its signature bytes. */
static uint32_t unprot_fixed_size(const ms_image_sign_opts_t *o)
{
    const bool enc = o->enc_pub != NULL;
    return MS_IMAGE_TLV_INFO_SIZE + MS_IMAGE_TLV_HDR_SIZE + MS_SHA256_LEN +
           MS_IMAGE_TLV_HDR_SIZE + (o->full_pubkey ? MS_P256_SPKI_LEN : MS_SHA256_LEN) +
           MS_IMAGE_TLV_HDR_SIZE +
           (enc ? MS_IMAGE_TLV_HDR_SIZE + MS_IMAGE_ENC_KEY_OFF + (uint32_t)o->enc_key_len : 0);
}

static void kill_signer(ms_image_signer_t *s, uint8_t state)
{
    ms_sha256_free(&s->sha);
    ms_aes_ctr_free(&s->ctr);
    ms_secure_zero(s->enc_tlv, sizeof(s->enc_tlv));
    s->key = NULL;
    s->state = state;
}

/* Hash the header area: the 32-byte header, then its fill bytes, without
 * a buffer of hdr_size bytes. */
static ms_err_t hash_header_area(ms_image_signer_t *s)
{
    uint8_t fill[64];
    uint8_t v = s->opts.pad_header ? s->opts.erased_val : 0;
    ms_err_t err = ms_sha256_update(&s->sha, s->hdr, sizeof(s->hdr));
    memset(fill, v, sizeof(fill));
    for (uint32_t left = s->opts.hdr_size - MS_IMAGE_HEADER_SIZE; !err && left != 0;) {
        size_t n = left < sizeof(fill) ? left : sizeof(fill);
        err = ms_sha256_update(&s->sha, fill, n);
        left -= (uint32_t)n;
    }
    return err;
}

/* Draw the payload key, wrap it for the device, set up AES-CTR. */
static ms_err_t start_encryption(ms_image_signer_t *s, const ms_p256_pub_t *enc_pub)
{
    static const uint8_t counter0[MS_AES_BLOCK_LEN] = { 0 };
    uint8_t aes_key[MS_IMAGE_ENC_KEY_MAX];
    size_t key_len = s->opts.enc_key_len, tl = 0;
    ms_err_t err = ms_random(aes_key, key_len);
    if (!err) {
        err = ms_image_wrap_key(enc_pub, aes_key, key_len, s->enc_tlv, sizeof(s->enc_tlv), &tl);
    }
    if (!err && tl != MS_IMAGE_ENC_KEY_OFF + key_len) {
        err = MS_ERR_INTERNAL;
    }
    if (!err) {
        err = ms_aes_ctr_init(&s->ctr, aes_key, key_len, counter0);
    }
    ms_secure_zero(aes_key, sizeof(aes_key));
    return err;
}

/* Fix the layout, check the slot, hash the header area. */
ms_err_t ms_image_signer_init(ms_image_signer_t *s, const ms_p256_priv_t *key,
                              const ms_image_sign_opts_t *opts, size_t payload_len)
{
    if (s == NULL) {
        return MS_ERR_ARG;
    }
    memset(s, 0, sizeof(*s));
    if (key == NULL || opts == NULL) {
        return MS_ERR_ARG;
    }
    ms_err_t err = check_opts(opts);
    if (err) {
        return err;
    }
    s->opts = *opts;
    s->opts.enc_pub = NULL; /* not kept: only used below */
    if (opts->enc_pub == NULL) {
        s->opts.enc_key_len = 0; /* from here on, enc_key_len != 0 means encrypting */
    }
    const ms_image_sign_opts_t *o = opts;
    const bool enc = o->enc_pub != NULL;

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
    uint32_t unprot_fixed = unprot_fixed_size(o);
    uint64_t total_max = body + prot + unprot_fixed + MS_P256_SIG_DER_MAX;
    uint64_t total_min = body + prot + unprot_fixed + MS_IMAGE_SIG_MIN_LEN;
    if (total_max > UINT32_MAX) {
        return MS_ERR_IMG_TOO_LARGE;
    }
    if (o->slot_size != 0) {
        err = trailer_for(o, &s->trailer);
        if (err) {
            return err;
        }
        if (total_min > s->trailer.trailer_off) {
            return MS_ERR_IMG_TOO_LARGE;
        }
    }
    s->payload_len = payload_len;
    s->img_size = (uint32_t)img_size;
    s->prot_size = prot;
    s->tail_max = (uint32_t)(img_size - payload_len) + prot + unprot_fixed + MS_P256_SIG_DER_MAX;

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
    ms_image_header_encode(&h, s->hdr);

    err = ms_sha256_init(&s->sha);
    if (!err) {
        err = hash_header_area(s);
    }
    if (!err && enc) {
        err = start_encryption(s, o->enc_pub);
    }
    if (err) {
        kill_signer(s, ST_NONE);
        return err;
    }
    s->key = key;
    s->state = ST_STREAM;
    return MS_OK;
}

/* The header area: encoded header, then erased (pad_header) or zero bytes. */
ms_err_t ms_image_signer_header(const ms_image_signer_t *s, uint8_t *out, size_t cap)
{
    if (s == NULL || out == NULL) {
        return MS_ERR_ARG;
    }
    if (s->state != ST_STREAM && s->state != ST_DONE) {
        return MS_ERR_STATE;
    }
    if (cap < s->opts.hdr_size) {
        return MS_ERR_BUFFER_TOO_SMALL;
    }
    memcpy(out, s->hdr, sizeof(s->hdr));
    memset(out + sizeof(s->hdr), s->opts.pad_header ? s->opts.erased_val : 0,
           s->opts.hdr_size - sizeof(s->hdr));
    return MS_OK;
}

/* Upper bound of the whole output. */
size_t ms_image_signer_out_max(const ms_image_signer_t *s)
{
    if (s == NULL || s->state == ST_NONE) {
        return 0;
    }
    uint64_t n = (uint64_t)s->opts.hdr_size + s->payload_len + s->tail_max;
    if ((s->opts.pad || s->opts.confirm) && s->opts.slot_size > n) {
        n = s->opts.slot_size;
    }
    return (size_t)n;
}

/* Hash a payload chunk, then output it (encrypted when asked). */
ms_err_t ms_image_signer_update(ms_image_signer_t *s, const uint8_t *in, uint8_t *out,
                                size_t len)
{
    if (s == NULL || (in == NULL && len != 0)) {
        return MS_ERR_ARG;
    }
    if (s->state != ST_STREAM) {
        return MS_ERR_STATE;
    }
    const bool enc = s->opts.enc_key_len != 0;
    if (len > s->payload_len - s->fed) {
        return MS_ERR_IMG_SIGN_OVERRUN;
    }
    if (len == 0) {
        return MS_OK;
    }
    if (enc) {
        /* The first chunk fixes the mode: ciphertext out of update, or
         * (out == NULL) hash here and ms_image_signer_encrypt() elsewhere. */
        uint8_t want = out != NULL ? MODE_JOINT : MODE_SPLIT;
        if (s->mode == MODE_NONE) {
            s->mode = want;
        } else if (s->mode != want) {
            return MS_ERR_STATE;
        }
    }
    /* Hash first: out may overlap in. */
    ms_err_t err = ms_sha256_update(&s->sha, in, len);
    if (!err && out != NULL && out != in) {
        memmove(out, in, len);
    }
    if (!err && enc && out != NULL) {
        err = ms_aes_ctr_update(&s->ctr, out, out, len); /* M7: after hashing */
        if (!err) {
            s->enc_fed += len;
        }
    }
    if (err) {
        if (s->mode == MODE_SPLIT) {
            /* The AES context may be in use by the encrypting thread:
             * leave it to abort. */
            ms_sha256_free(&s->sha);
            s->state = ST_DEAD;
        } else {
            kill_signer(s, ST_DEAD);
        }
        return err;
    }
    s->fed += len;
    return MS_OK;
}

/*
 * Split mode: encrypt the next len payload bytes. Touches only the AES
 * context, enc_fed and enc_failed, and reads only fields fixed before the
 * first update, so one thread may call it while another calls update.
 */
ms_err_t ms_image_signer_encrypt(ms_image_signer_t *s, const uint8_t *in, uint8_t *out,
                                 size_t len)
{
    if (s == NULL || ((in == NULL || out == NULL) && len != 0)) {
        return MS_ERR_ARG;
    }
    if (s->mode != MODE_SPLIT || s->enc_failed) {
        return MS_ERR_STATE;
    }
    if (len > s->payload_len - s->enc_fed) {
        return MS_ERR_IMG_SIGN_OVERRUN;
    }
    if (len == 0) {
        return MS_OK;
    }
    ms_err_t err = ms_aes_ctr_update(&s->ctr, in, out, len);
    if (err) {
        s->enc_failed = 1;
        return err;
    }
    s->enc_fed += len;
    return MS_OK;
}

/* Encryption padding, protected TLVs at p; returns the end. Hashes them. */
static ms_err_t tail_pad_and_prot(ms_image_signer_t *s, bool enc, uint8_t *p, uint8_t **end)
{
    const ms_image_sign_opts_t *o = &s->opts;
    size_t pad = (size_t)(s->img_size - s->payload_len);
    ms_err_t err = MS_OK;
    if (pad != 0) {
        memset(p, 0, pad);
        err = ms_sha256_update(&s->sha, p, pad);
        if (!err && enc) {
            err = ms_aes_ctr_update(&s->ctr, p, p, pad);
        }
        p += pad;
    }
    if (!err && s->prot_size != 0) {
        uint8_t *start = p;
        ms_image_put_le16(p, MS_IMAGE_TLV_PROT_INFO_MAGIC);
        ms_image_put_le16(p + 2, (uint16_t)s->prot_size);
        p += MS_IMAGE_TLV_INFO_SIZE;
        /* SEC_CNT (M6), then DEPENDENCY: imgtool's order. */
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
        err = ms_sha256_update(&s->sha, start, (size_t)(p - start));
    }
    *end = p;
    return err;
}

/* Unprotected TLVs at p: SHA256, KEYHASH | PUBKEY, ECDSA_SIG, [ENC_EC256]. */
static ms_err_t tail_tlvs(ms_image_signer_t *s, bool enc, uint8_t *p, uint8_t **end)
{
    ms_p256_pub_t pub;
    uint8_t sig[MS_P256_SIG_DER_MAX];
    size_t sig_len = 0;
    ms_err_t err = ms_p256_pub_from_priv(s->key, &pub);
    if (!err) {
        err = ms_p256_sign(s->key, s->digest, sig, sizeof(sig), &sig_len);
    }
    if (!err && (sig_len < MS_IMAGE_SIG_MIN_LEN || sig_len > MS_P256_SIG_DER_MAX)) {
        err = MS_ERR_CRYPTO;
    }
    if (err) {
        return err;
    }
    uint8_t *info = p;
    p += MS_IMAGE_TLV_INFO_SIZE;
    p = put_tlv_hdr(p, MS_TLV_SHA256, MS_SHA256_LEN);
    memcpy(p, s->digest, MS_SHA256_LEN);
    p += MS_SHA256_LEN;
    if (s->opts.full_pubkey) {
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
        size_t tl = MS_IMAGE_ENC_KEY_OFF + s->opts.enc_key_len;
        p = put_tlv_hdr(p, MS_TLV_ENC_EC256, (uint16_t)tl);
        memcpy(p, s->enc_tlv, tl);
        p += tl;
    }
    ms_image_put_le16(info, MS_IMAGE_TLV_INFO_MAGIC);
    ms_image_put_le16(info + 2, (uint16_t)(p - info));
    *end = p;
    return MS_OK;
}

/* Padding, protected TLVs, hash, signature, TLVs. */
ms_err_t ms_image_signer_finish(ms_image_signer_t *s, uint8_t *tail, size_t cap,
                                size_t *tail_len)
{
    if (s == NULL || tail_len == NULL || (tail == NULL && cap != 0)) {
        return MS_ERR_ARG;
    }
    if (s->state != ST_STREAM) {
        return MS_ERR_STATE;
    }
    if (s->enc_failed) {
        kill_signer(s, ST_DEAD);
        return MS_ERR_STATE;
    }
    if (s->fed != s->payload_len || (s->opts.enc_key_len != 0 && s->enc_fed != s->payload_len)) {
        return MS_ERR_IMG_SIGN_SHORT;
    }
    if (cap < s->tail_max) {
        *tail_len = s->tail_max;
        return MS_ERR_BUFFER_TOO_SMALL;
    }
    const bool enc = s->opts.enc_key_len != 0;
    uint8_t *p = tail;
    ms_err_t err = tail_pad_and_prot(s, enc, p, &p);
    if (!err) {
        err = ms_sha256_finish(&s->sha, s->digest);
    }
    if (!err) {
        err = tail_tlvs(s, enc, p, &p);
    }
    if (err) {
        ms_secure_zero(tail, cap);
        kill_signer(s, ST_DEAD);
        return err;
    }
    size_t n = (size_t)(p - tail);
    uint64_t image_len = (uint64_t)s->opts.hdr_size + s->payload_len + n;
    if (s->opts.slot_size != 0 && image_len > s->trailer.trailer_off) {
        kill_signer(s, ST_DEAD);
        return MS_ERR_IMG_TOO_LARGE; /* imgtool: "exceeds requested size" */
    }
    s->image_len = (uint32_t)image_len;
    kill_signer(s, ST_DONE);
    *tail_len = n;
    return MS_OK;
}

/* The SHA256 TLV value of the finished image. */
ms_err_t ms_image_signer_hash(const ms_image_signer_t *s, uint8_t out[MS_SHA256_LEN])
{
    if (s == NULL || out == NULL) {
        return MS_ERR_ARG;
    }
    if (s->state != ST_DONE) {
        return MS_ERR_STATE;
    }
    memcpy(out, s->digest, MS_SHA256_LEN);
    return MS_OK;
}

void ms_image_signer_abort(ms_image_signer_t *s)
{
    if (s == NULL) {
        return;
    }
    kill_signer(s, ST_NONE);
    ms_secure_zero(s, sizeof(*s));
}

/* Slot padding and trailer of the finished image. */
ms_err_t ms_image_signer_trailer(const ms_image_signer_t *s, ms_image_sign_trailer_t *t)
{
    if (s == NULL || t == NULL) {
        return MS_ERR_ARG;
    }
    if (s->state != ST_DONE) {
        return MS_ERR_STATE;
    }
    const ms_image_sign_opts_t *o = &s->opts;
    memset(t, 0, sizeof(*t));
    t->pad_off = s->image_len;
    t->slot_size = s->image_len;
    if (!(o->pad || o->confirm)) {
        return MS_OK;
    }
    t->pad = true;
    t->erased_val = o->erased_val;
    t->slot_size = o->slot_size;
    t->magic_off = s->trailer.magic_off;
    t->image_ok = o->confirm && !o->overwrite_only;
    t->image_ok_off = s->trailer.image_ok_off;
    return ms_trailer_magic_for(s->trailer.max_align, t->magic);
}

/* Bytes [off, off+len) of the slot's padding and trailer. */
ms_err_t ms_image_trailer_fill(const ms_image_sign_trailer_t *t, uint32_t off, uint8_t *buf,
                               size_t len)
{
    if (t == NULL || (buf == NULL && len != 0) || off < t->pad_off || off > t->slot_size ||
        len > (size_t)(t->slot_size - off)) {
        return MS_ERR_ARG;
    }
    if (len == 0) {
        return MS_OK;
    }
    memset(buf, t->erased_val, len);
    uint64_t end = (uint64_t)off + len;
    for (uint32_t i = 0; i < sizeof(t->magic); i++) {
        uint64_t at = (uint64_t)t->magic_off + i;
        if (at >= off && at < end) {
            buf[at - off] = t->magic[i];
        }
    }
    if (t->image_ok && t->image_ok_off >= off && t->image_ok_off < end) {
        buf[t->image_ok_off - off] = 0x01;
    }
    return MS_OK;
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
    size_t off = 0;
    if (!err) {
        err = ms_image_sign_payload_off(opts, in, in_len, &off);
    }
    if (err) {
        return err;
    }
    ms_image_signer_t s;
    err = ms_image_signer_init(&s, key, opts, in_len - off);
    if (err) {
        return err;
    }
    size_t need = ms_image_signer_out_max(&s);
    if (out_cap < need) {
        ms_image_signer_abort(&s);
        *out_len = need;
        return MS_ERR_BUFFER_TOO_SMALL;
    }
    /* Payload first: with out == in and pad_header it moves up by hdr_size,
     * and the header must not overwrite input not yet read. */
    const size_t hdr = opts->hdr_size;
    const size_t plen = in_len - off;
    size_t tail_len = 0;
    err = ms_image_signer_update(&s, in + off, out + hdr, plen);
    if (!err) {
        err = ms_image_signer_header(&s, out, hdr);
    }
    if (!err) {
        err = ms_image_signer_finish(&s, out + hdr + plen, out_cap - hdr - plen, &tail_len);
    }
    size_t total = hdr + plen + tail_len;
    ms_image_sign_trailer_t t;
    if (!err) {
        err = ms_image_signer_trailer(&s, &t);
    }
    if (!err && t.pad) {
        err = ms_image_trailer_fill(&t, (uint32_t)total, out + total, t.slot_size - total);
        total = t.slot_size;
    }
    ms_image_signer_abort(&s);
    if (err) {
        if (opts->enc_pub != NULL && err != MS_ERR_IMG_TOO_LARGE) {
            ms_secure_zero(out, need);
        }
        return err;
    }
    *out_len = total;
    return MS_OK;
}
