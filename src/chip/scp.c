/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scp.c - the session-key channel of the COS's 84 DE command (C5).
 *
 * Two flavours, both GlobalPlatform-style:
 *   SCP03-style (default): static AES keys K-ENC/K-MAC (kdf3-diversified);
 *     S-ENC = KDF(K-ENC, 04, host || card challenge), S-MAC = KDF(K-MAC, 06, ..),
 *     card cryptogram = KDF(S-MAC, 00, .., 64 bits); C-MAC = AES-CMAC(S-MAC,
 *     chain || header) with a 16-byte chaining value; payload AES-CBC under
 *     S-ENC with IV = AES(S-ENC, BE128(command counter)).
 *   SCP02-style: static 3DES keys (EMV-diversified); S-ENC =
 *     3DES-CBC(K-ENC, 0, 01 82 || seq || 00..), S-MAC with 01 01; card
 *     cryptogram = 3DES-CBC-MAC(S-ENC, host || seq || card challenge);
 *     C-MAC = 3DES-CBC-MAC(S-MAC, pad80(chain || header)) with an 8-byte
 *     chaining value; payload 3DES-CBC with ICV = 3DES(S-ENC, BE64(counter)).
 * The MAC covers chain || CLA INS P1 P2 || BE16(Lc) || flags || offset ||
 * ciphertext, so a replayed, reordered or edited command fails.
 * Invariant: a command is decrypted only after its MAC verified.
 */
#include <string.h>

#include "internal.h"

#define DL_MAX_PLAIN 224u
#define MAC_BUF_LEN (16u + 6u + 5u + DL_MAX_PLAIN + 8u)

static size_t block_len(uint8_t scp)
{
    return scp == MS_CHIP_SCP02 ? 8u : 16u;
}

/* 3DES CBC-MAC with ISO 9797-1 padding method 2 over buf[0..len), in place;
 * buf must have room for the padding (up to 8 bytes). */
static ms_err_t des3_mac(const uint8_t key[16], uint8_t *buf, size_t len, uint8_t out[8])
{
    static const uint8_t iv[8] = {0};
    buf[len++] = 0x80;
    while (len % 8 != 0) {
        buf[len++] = 0x00;
    }
    ms_err_t err = ms_des3_cbc(key, 16, true, iv, buf, buf, len);
    if (err == MS_OK) {
        memcpy(out, buf + len - 8, 8);
    }
    return err;
}

static ms_err_t scp02_derive(const uint8_t key[16], uint8_t c0, uint8_t c1, uint16_t seq,
                             uint8_t out[16])
{
    static const uint8_t iv[8] = {0};
    uint8_t d[16] = {0};
    d[0] = c0;
    d[1] = c1;
    ms_chip_put_be16(d + 2, seq);
    return ms_des3_cbc(key, 16, true, iv, d, out, 16);
}

ms_err_t ms_chip_session_open(ms_chip_session_t *s, ms_chip_scp_t scp,
                              const uint8_t k_enc[MS_CHIP_KEY_LEN],
                              const uint8_t k_mac[MS_CHIP_KEY_LEN],
                              const uint8_t host_chal[8], const uint8_t *card_chal,
                              size_t card_chal_len, uint16_t seq, uint8_t card_cryptogram[8])
{
    ms_err_t err;
    uint8_t ctx[24];
    if (s == NULL || k_enc == NULL || k_mac == NULL || host_chal == NULL || card_chal == NULL) {
        return MS_ERR_ARG;
    }
    memset(s, 0, sizeof *s);
    if (scp == MS_CHIP_SCP03) {
        if (card_chal_len != 8) {
            return MS_ERR_ARG;
        }
        memcpy(ctx, host_chal, 8);
        memcpy(ctx + 8, card_chal, 8);
        err = ms_chip_scp03_kdf(k_enc, 0x04, ctx, 16, s->s_enc, 16);
        if (err == MS_OK) {
            err = ms_chip_scp03_kdf(k_mac, 0x06, ctx, 16, s->s_mac, 16);
        }
        if (err == MS_OK && card_cryptogram != NULL) {
            err = ms_chip_scp03_kdf(s->s_mac, 0x00, ctx, 16, card_cryptogram, 8);
        }
    } else if (scp == MS_CHIP_SCP02) {
        if (card_chal_len != 6) {
            return MS_ERR_ARG;
        }
        err = scp02_derive(k_enc, 0x01, 0x82, seq, s->s_enc);
        if (err == MS_OK) {
            err = scp02_derive(k_mac, 0x01, 0x01, seq, s->s_mac);
        }
        if (err == MS_OK && card_cryptogram != NULL) {
            memcpy(ctx, host_chal, 8);
            ms_chip_put_be16(ctx + 8, seq);
            memcpy(ctx + 10, card_chal, 6);
            err = des3_mac(s->s_enc, ctx, 16, card_cryptogram);
        }
    } else {
        return MS_ERR_UNSUPPORTED;
    }
    if (err != MS_OK) {
        ms_chip_session_close(s);
        return err;
    }
    s->scp = (uint8_t)scp;
    s->counter = 1;
    return MS_OK;
}

void ms_chip_session_close(ms_chip_session_t *s)
{
    if (s != NULL) {
        ms_secure_zero(s, sizeof *s);
    }
}

/* The cipher's IV for the current command counter. */
static ms_err_t dl_iv(const ms_chip_session_t *s, uint8_t iv[16])
{
    uint8_t c[16] = {0};
    if (s->scp == MS_CHIP_SCP03) {
        ms_chip_put_be32(c + 12, s->counter);
        return ms_aes_ecb_encrypt_block(s->s_enc, 16, c, iv);
    }
    ms_chip_put_be32(c + 4, s->counter);
    return ms_des3_ecb(s->s_enc, 16, true, c, iv, 8);
}

/* Full MAC over chain || hdr || BE16(lc) || body into mac (16 or 8 bytes). */
static ms_err_t dl_mac(const ms_chip_session_t *s, const uint8_t hdr[4], size_t lc,
                       const uint8_t *body, size_t body_len, uint8_t mac[16])
{
    uint8_t buf[MAC_BUF_LEN];
    size_t bl = block_len(s->scp), n = 0;
    if (body_len > 5u + DL_MAX_PLAIN) {
        return MS_ERR_ARG;
    }
    memcpy(buf, s->chain, bl);
    n += bl;
    memcpy(buf + n, hdr, 4);
    n += 4;
    ms_chip_put_be16(buf + n, (uint16_t)lc);
    n += 2;
    memcpy(buf + n, body, body_len);
    n += body_len;
    ms_err_t err;
    if (s->scp == MS_CHIP_SCP03) {
        err = ms_aes_cmac(s->s_mac, 16, buf, n, mac);
    } else {
        err = des3_mac(s->s_mac, buf, n, mac);
    }
    ms_secure_zero(buf, sizeof buf);
    return err;
}

ms_err_t ms_chip_session_wrap_dl(ms_chip_session_t *s, uint8_t flags, uint32_t off,
                                 const uint8_t *plain, size_t plain_len,
                                 uint8_t *apdu, size_t cap, size_t *apdu_len)
{
    uint8_t iv[16], mac[16];
    if (s == NULL || s->scp == 0 || (plain == NULL && plain_len != 0) || apdu == NULL ||
        apdu_len == NULL) {
        return MS_ERR_ARG;
    }
    size_t bl = block_len(s->scp);
    if (plain_len == 0 || plain_len % bl != 0 || plain_len > DL_MAX_PLAIN) {
        return MS_ERR_ARG;
    }
    size_t lc = 5 + plain_len + MS_CHIP_DL_MAC_LEN;
    if (cap < 5 + lc) {
        return MS_ERR_BUFFER_TOO_SMALL;
    }
    apdu[0] = MS_CHIP_CLA_SECURE;
    apdu[1] = MS_CHIP_INS_DOWNLOAD;
    apdu[2] = 0;
    apdu[3] = 0;
    apdu[4] = (uint8_t)lc;
    apdu[5] = flags;
    ms_chip_put_be32(apdu + 6, off);
    ms_err_t err = dl_iv(s, iv);
    if (err == MS_OK) {
        err = s->scp == MS_CHIP_SCP03
                  ? ms_aes_cbc(s->s_enc, 16, true, iv, plain, apdu + 10, plain_len)
                  : ms_des3_cbc(s->s_enc, 16, true, iv, plain, apdu + 10, plain_len);
    }
    if (err == MS_OK) {
        err = dl_mac(s, apdu, lc, apdu + 5, 5 + plain_len, mac);
    }
    if (err == MS_OK) {
        memcpy(s->chain, mac, bl);
        memcpy(apdu + 10 + plain_len, mac, MS_CHIP_DL_MAC_LEN);
        s->counter++;
        *apdu_len = 5 + lc;
    }
    ms_secure_zero(iv, sizeof iv);
    return err;
}

ms_err_t ms_chip_session_unwrap_dl(ms_chip_session_t *s, const uint8_t hdr[4],
                                   const uint8_t *body, size_t body_len,
                                   uint8_t *flags, uint32_t *off,
                                   uint8_t *out, size_t cap, size_t *out_len)
{
    uint8_t iv[16], mac[16];
    if (s == NULL || s->scp == 0 || hdr == NULL || body == NULL || flags == NULL ||
        off == NULL || out == NULL || out_len == NULL) {
        return MS_ERR_ARG;
    }
    size_t bl = block_len(s->scp);
    if (body_len < 5 + bl + MS_CHIP_DL_MAC_LEN) {
        return MS_ERR_TRUNCATED;
    }
    size_t n = body_len - 5 - MS_CHIP_DL_MAC_LEN;
    if (n % bl != 0 || n > DL_MAX_PLAIN) {
        return MS_ERR_FORMAT;
    }
    if (cap < n) {
        return MS_ERR_BUFFER_TOO_SMALL;
    }
    ms_err_t err = dl_mac(s, hdr, body_len, body, body_len - MS_CHIP_DL_MAC_LEN, mac);
    if (err != MS_OK) {
        return err;
    }
    volatile bool ok1 = ms_ct_equal(mac, body + body_len - MS_CHIP_DL_MAC_LEN, MS_CHIP_DL_MAC_LEN);
    volatile bool ok2 = ms_ct_equal(body + body_len - MS_CHIP_DL_MAC_LEN, mac, MS_CHIP_DL_MAC_LEN);
    if (!ok1 || !ok2) {
        return MS_ERR_AUTH;
    }
    err = dl_iv(s, iv);
    if (err == MS_OK) {
        err = s->scp == MS_CHIP_SCP03
                  ? ms_aes_cbc(s->s_enc, 16, false, iv, body + 5, out, n)
                  : ms_des3_cbc(s->s_enc, 16, false, iv, body + 5, out, n);
    }
    if (err == MS_OK) {
        memcpy(s->chain, mac, bl);
        s->counter++;
        *flags = body[0];
        *off = ms_chip_be32(body + 1);
        *out_len = n;
    }
    ms_secure_zero(iv, sizeof iv);
    return err;
}
