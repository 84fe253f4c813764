/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_verify.c - `meterseal verify` and `meterseal decrypt`.
 *
 * verify checks an image the way the boot loader does (M4 S14): hash over
 * header + plaintext payload + protected TLVs, compared in constant time
 * with the SHA256 TLV, and the ECDSA-P256 signature by a trusted key. For
 * an encrypted image (M7) the payload key is unwrapped with --enc-key and
 * the payload decrypted on the fly while hashing, so the plaintext hash is
 * what gets checked; without --enc-key the tool says the key is needed
 * instead of reporting a bad hash. decrypt writes the plain signed image.
 *
 * All checks are the library's (ms_image_parse, ms_image_unwrap_key,
 * ms_image_verify, ms_image_decrypt). Invariants: the image is mapped, not
 * copied (verify) and read through a large chunk buffer; private keys and
 * the payload key are wiped on every path.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Chunk buffer for hashing: large, so big images go at memory speed. */
#define VERIFY_CHUNK (1u << 20)
#define VERIFY_MAX_KEYS 8u

static const char verify_help[] =
    "usage: meterseal verify -k KEY [-k KEY...] [--enc-key PRIV] IMAGE\n"
    "\n"
    "Check an image's hash and signature as the boot loader does.\n"
    "\n"
    "  -k, --key KEY       trusted signing key, public or private (PEM or DER);\n"
    "                      repeat for several trusted keys\n"
    "      --enc-key PRIV  encryption private key: unwrap the payload key of an\n"
    "                      encrypted image, decrypt while hashing, check the\n"
    "                      plaintext hash and the signature\n"
    "  -h, --help          this text\n"
    "\n"
    "Prints version, hash, key hash, security counter and encryption, then OK.\n"
    "Exit status 1 when the image is rejected.\n";

/*
 * An image is encrypted when it carries its wrapped payload key (ENC_EC256
 * TLV). The header's ENCRYPTED flag alone does not say so: the flags are
 * covered by the signed hash, so a decrypted image keeps them.
 */
static bool image_is_encrypted(const ms_image_info_t *info)
{
    return info->enc_tlv_len != 0;
}

static bool header_says_encrypted(const ms_image_info_t *info)
{
    size_t key_len = 0;
    return ms_image_enc_key_len(&info->hdr, &key_len) != MS_OK || key_len != 0;
}

static int cmd_verify(int argc, char **argv)
{
    static const struct option opts[] = {
        { "key", required_argument, NULL, 'k' },
        { "enc-key", required_argument, NULL, 'e' },
        { NULL, 0, NULL, 0 },
    };
    const char *verb = "verify";
    const char *key_paths[VERIFY_MAX_KEYS];
    size_t n_keys = 0;
    const char *enc_path = NULL;
    int c, rc;

    if (ms_cli_wants_help(argc, argv)) {
        fputs(verify_help, stdout);
        return MS_CLI_OK;
    }
    ms_cli_getopt_reset();
    while ((c = ms_cli_getopt(verb, argc, argv, "k:", opts)) != -1) {
        switch (c) {
        case 'k':
            if (n_keys == VERIFY_MAX_KEYS) {
                return ms_cli_fail(verb, MS_CLI_USAGE, "at most %u keys",
                                   (unsigned)VERIFY_MAX_KEYS);
            }
            key_paths[n_keys++] = optarg;
            break;
        case 'e':
            enc_path = optarg;
            break;
        default:
            return MS_CLI_USAGE;
        }
    }
    if (argc - optind != 1) {
        return ms_cli_fail(verb, MS_CLI_USAGE, "expected one IMAGE (see --help)");
    }
    if (n_keys == 0) {
        return ms_cli_fail(verb, MS_CLI_USAGE, "missing -k KEY");
    }
    const char *path = argv[optind];

    /* Trust anchors: each key and its hash (M5). */
    ms_p256_pub_t pubs[VERIFY_MAX_KEYS];
    ms_image_key_anchor_t anchors[VERIFY_MAX_KEYS];
    for (size_t i = 0; i < n_keys; i++) {
        if ((rc = ms_cli_load_key(verb, key_paths[i], false, NULL, &pubs[i])) != MS_CLI_OK) {
            return rc;
        }
        ms_err_t kerr = ms_image_key_hash(&pubs[i], anchors[i].key_hash);
        if (kerr != MS_OK) {
            return ms_cli_fail_err(verb, kerr, "key %s", key_paths[i]);
        }
        anchors[i].pub = &pubs[i];
    }
    ms_p256_priv_t enc_priv;
    ms_p256_pub_t enc_pub;
    if (enc_path != NULL &&
        (rc = ms_cli_load_key(verb, enc_path, true, &enc_priv, &enc_pub)) != MS_CLI_OK) {
        return rc;
    }

    ms_cli_file_t f;
    if ((rc = ms_cli_file_open(verb, path, &f)) != MS_CLI_OK) {
        if (enc_path != NULL) {
            ms_secure_zero(&enc_priv, sizeof(enc_priv));
        }
        return rc;
    }
    ms_image_reader_t r;
    ms_image_mem_t mem;
    ms_image_info_t info;
    uint8_t aes_key[MS_IMAGE_ENC_KEY_MAX];
    size_t aes_key_len = 0;
    uint8_t *buf = NULL;
    ms_image_measurement_t m;
    bool encrypted = false;
    ms_err_t err;

    if (f.len > UINT32_MAX) {
        rc = ms_cli_fail(verb, MS_CLI_FAIL, "%s: larger than 4 GiB, not an image", path);
        goto out;
    }
    ms_image_reader_mem(&r, &mem, f.data, f.len);
    err = ms_image_parse(&r, &info);
    if (err != MS_OK) {
        rc = ms_cli_fail_err(verb, err, err == MS_ERR_BAD_MAGIC ? "%s: not an MCUboot image"
                                                                : "%s", path);
        goto out;
    }
    encrypted = image_is_encrypted(&info);
    if (encrypted && enc_path == NULL) {
        rc = ms_cli_fail(verb, MS_CLI_FAIL,
                         "%s: image is encrypted: give --enc-key PRIV to decrypt and check it",
                         path);
        goto out;
    }
    if (encrypted) {
        err = ms_image_unwrap_key(&info, &enc_priv, aes_key, &aes_key_len);
        if (err != MS_OK) {
            rc = ms_cli_fail_err(verb, err, "%s: cannot unwrap the payload key with %s",
                                 path, enc_path);
            goto out;
        }
    }
    buf = malloc(VERIFY_CHUNK);
    if (buf == NULL) {
        rc = ms_cli_fail(verb, MS_CLI_IO, "out of memory");
        goto out;
    }
    err = ms_image_verify(&r, &info, anchors, n_keys, encrypted ? aes_key : NULL,
                          aes_key_len, buf, VERIFY_CHUNK, &m);
    if (err != MS_OK) {
        rc = ms_cli_fail_err(verb, err, "%s", path);
        goto out;
    }

    {
        char ver[32], hex[2 * MS_SHA256_LEN + 1];
        ms_cli_format_version(&m.version, ver, sizeof(ver));
        printf("image:            %s\n", path);
        printf("version:          %s\n", ver);
        printf("payload:          %lu bytes (header %u bytes)\n",
               (unsigned long)info.hdr.img_size, (unsigned)info.hdr.hdr_size);
        ms_cli_hex(m.hash, sizeof(m.hash), hex);
        printf("hash:             %s\n", hex);
        ms_cli_hex(anchors[m.anchor_index].key_hash, MS_SHA256_LEN, hex);
        printf("key hash:         %s (%s)\n", hex, key_paths[m.anchor_index]);
        if (m.has_sec_cnt) {
            printf("security counter: %lu (0x%08lx)\n", (unsigned long)m.sec_cnt,
                   (unsigned long)m.sec_cnt);
        } else {
            printf("security counter: none\n");
        }
        printf("encrypted:        %s\n",
               encrypted ? (aes_key_len == 32 ? "yes (AES-256-CTR, checked after decryption)"
                                              : "yes (AES-128-CTR, checked after decryption)")
                         : (header_says_encrypted(&info)
                                ? "no (decrypted image; the signed header keeps its flag)"
                                : "no"));
        printf("OK\n");
    }
    rc = MS_CLI_OK;
out:
    free(buf);
    ms_secure_zero(aes_key, sizeof(aes_key));
    if (enc_path != NULL) {
        ms_secure_zero(&enc_priv, sizeof(enc_priv));
    }
    ms_cli_file_close(&f, false);
    return rc;
}

/* ---- decrypt ------------------------------------------------------------------ */

static const char decrypt_help[] =
    "usage: meterseal decrypt --enc-key PRIV INFILE OUTFILE\n"
    "\n"
    "Write the plain signed image inside an encrypted one: the payload key is\n"
    "unwrapped with PRIV, the payload decrypted, the encryption flag and key TLV\n"
    "removed. The result verifies with the signing key.\n"
    "\n"
    "      --enc-key PRIV  encryption private key (PEM or DER)\n"
    "  -h, --help          this text\n";

static int cmd_decrypt(int argc, char **argv)
{
    static const struct option opts[] = {
        { "enc-key", required_argument, NULL, 'e' },
        { NULL, 0, NULL, 0 },
    };
    const char *verb = "decrypt";
    const char *enc_path = NULL;
    int c, rc;

    if (ms_cli_wants_help(argc, argv)) {
        fputs(decrypt_help, stdout);
        return MS_CLI_OK;
    }
    ms_cli_getopt_reset();
    while ((c = ms_cli_getopt(verb, argc, argv, "", opts)) != -1) {
        switch (c) {
        case 'e':
            enc_path = optarg;
            break;
        default:
            return MS_CLI_USAGE;
        }
    }
    if (argc - optind != 2) {
        return ms_cli_fail(verb, MS_CLI_USAGE, "expected INFILE and OUTFILE (see --help)");
    }
    if (enc_path == NULL) {
        return ms_cli_fail(verb, MS_CLI_USAGE, "missing --enc-key PRIV");
    }
    const char *in_path = argv[optind], *out_path = argv[optind + 1];

    ms_p256_priv_t enc_priv;
    ms_p256_pub_t enc_pub;
    if ((rc = ms_cli_load_key(verb, enc_path, true, &enc_priv, &enc_pub)) != MS_CLI_OK) {
        return rc;
    }
    /* One copy: the mapped input into the output buffer, decrypted there. */
    ms_cli_file_t f;
    ms_cli_out_t out;
    if ((rc = ms_cli_file_open(verb, in_path, &f)) != MS_CLI_OK) {
        ms_secure_zero(&enc_priv, sizeof(enc_priv));
        return rc;
    }
    rc = ms_cli_out_begin(verb, out_path, f.len ? f.len : 1u, &out);
    if (rc != MS_CLI_OK) {
        ms_secure_zero(&enc_priv, sizeof(enc_priv));
        ms_cli_file_close(&f, false);
        return rc;
    }
    if (f.len != 0) {
        memcpy(out.data, f.data, f.len);
    }
    size_t in_len = f.len, out_len = 0;
    ms_cli_file_close(&f, false);
    ms_err_t err = ms_image_decrypt(out.data, in_len, &enc_priv, &out_len);
    ms_secure_zero(&enc_priv, sizeof(enc_priv));
    if (err != MS_OK) {
        ms_cli_out_abort(&out);
        return ms_cli_fail_err(verb, err, "%s", in_path);
    }
    if (out_len > in_len) {
        ms_cli_out_abort(&out);
        return ms_cli_fail(verb, MS_CLI_FAIL, "%s: library returned a bad length", in_path);
    }
    rc = ms_cli_out_commit(verb, &out, out_len);
    if (rc == MS_CLI_OK && strcmp(out_path, "-") != 0) {
        printf("decrypted %s -> %s (%zu bytes)\n", in_path, out_path, out_len);
    }
    return rc;
}

static const ms_cli_verb_t verbs[] = {
    { "verify", "check an image's hash and signature (decrypting with --enc-key)",
      cmd_verify },
    { "decrypt", "turn an encrypted image into the plain signed image", cmd_decrypt },
};

const ms_cli_group_t ms_cli_group_verify = { "verify", verbs, MS_CLI_ARRAY_LEN(verbs) };
