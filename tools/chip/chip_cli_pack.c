/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chip_cli_pack.c - the chip vendor's packaging verbs: keygen (a 16-byte
 * key file), loader (a Loader OS image with its master keys) and pack (a COS
 * encrypted into a package under an image key and a rule).
 * Keys are read from files and never printed; key buffers are wiped.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chip_cli_common.h"

/* ---- keygen ---------------------------------------------------------------- */

int ms_chip_cli_keygen(int argc, char **argv)
{
    static const char help[] = "usage: meterseal chip keygen -o FILE\n"
                               "Write a random 16-byte key (3DES or AES) as 32 hex digits.";
    static const struct option opts[] = {
        {"out", 1, NULL, 'o'}, {"help", 0, NULL, 'h'}, {0, 0, 0, 0}};
    const char *out = NULL;
    MS_CHIP_CLI_OPT_BEGIN("keygen")
    case 'o': out = optarg; break;
    MS_CHIP_CLI_OPT_END
    if (out == NULL) {
        return ms_chip_cli_fail("keygen", MS_CHIP_CLI_USAGE, "-o FILE is required");
    }
    uint8_t k[16];
    char txt[34];
    if (ms_random(k, sizeof k) != MS_OK) {
        return ms_chip_cli_fail("keygen", MS_CHIP_CLI_FAIL, "no randomness");
    }
    ms_chip_cli_hex(k, 16, txt);
    txt[32] = '\n';
    ms_secure_zero(k, sizeof k);
    int rc = ms_chip_cli_write_file(out, txt, 33, 1);
    ms_secure_zero(txt, sizeof txt);
    return rc == 0 ? MS_CHIP_CLI_OK
                   : ms_chip_cli_fail("keygen", MS_CHIP_CLI_IO, "cannot write %s", out);
}

/* ---- loader ------------------------------------------------------------------ */

int ms_chip_cli_loader(int argc, char **argv)
{
    static const char help[] =
        "usage: meterseal chip loader --mk-des FILE --mk-aes FILE [--code FILE] -o FILE\n"
        "Build a Loader OS image: the loader's master keys (3DES for EMV CPS,\n"
        "AES for kdf3 diversification) and its code.";
    static const struct option opts[] = {{"mk-des", 1, NULL, 'd'}, {"mk-aes", 1, NULL, 'a'},
                                         {"code", 1, NULL, 'c'},   {"out", 1, NULL, 'o'},
                                         {"help", 0, NULL, 'h'},   {0, 0, 0, 0}};
    const char *des = NULL, *aes = NULL, *code = NULL, *out = NULL;
    MS_CHIP_CLI_OPT_BEGIN("loader")
    case 'd': des = optarg; break;
    case 'a': aes = optarg; break;
    case 'c': code = optarg; break;
    case 'o': out = optarg; break;
    MS_CHIP_CLI_OPT_END
    if (out == NULL) {
        return ms_chip_cli_fail("loader", MS_CHIP_CLI_USAGE, "-o FILE is required");
    }
    uint8_t kd[16], ka[16];
    int rc = ms_chip_cli_load_key("loader", des, kd);
    if (rc == MS_CHIP_CLI_OK) {
        rc = ms_chip_cli_load_key("loader", aes, ka);
    }
    if (rc != MS_CHIP_CLI_OK) {
        return rc;
    }
    uint8_t *c = NULL;
    size_t cl = 0;
    static const uint8_t stub[] = "MeterSeal Loader OS";
    if (code != NULL && ms_chip_cli_read_file(code, &c, &cl) != 0) {
        return ms_chip_cli_fail("loader", MS_CHIP_CLI_IO, "cannot read %s", code);
    }
    uint8_t img[16384];
    size_t n = 0;
    ms_err_t err = ms_chip_loader_build(kd, ka, c ? c : stub, c ? (uint32_t)cl : sizeof stub,
                                        img, sizeof img, &n);
    ms_secure_zero(kd, 16);
    ms_secure_zero(ka, 16);
    free(c);
    if (err != MS_OK) {
        return ms_chip_cli_fail("loader", MS_CHIP_CLI_FAIL, "%s", ms_strerror(err));
    }
    rc = ms_chip_cli_write_file(out, img, n, 1);
    ms_secure_zero(img, sizeof img);
    if (rc != 0) {
        return ms_chip_cli_fail("loader", MS_CHIP_CLI_IO, "cannot write %s", out);
    }
    printf("loader image: %zu bytes\n", n);
    return MS_CHIP_CLI_OK;
}

/* ---- pack -------------------------------------------------------------------- */

int ms_chip_cli_pack(int argc, char **argv)
{
    static const char help[] =
        "usage: meterseal chip pack --cos FILE --image-key FILE --rule RULE\n"
        "         [--seg-size N | --seg-count N] [--stride N] -o PKG\n"
        "RULE: whole | first16 | progressive | none. first16 and progressive cut\n"
        "the COS into segments (by size or count) and encrypt a 16-byte window in\n"
        "each; progressive moves the window by --stride (default 21) per segment.";
    static const struct option opts[] = {
        {"cos", 1, NULL, 'c'},       {"image-key", 1, NULL, 'k'}, {"rule", 1, NULL, 'r'},
        {"seg-size", 1, NULL, 's'},  {"seg-count", 1, NULL, 'n'}, {"stride", 1, NULL, 't'},
        {"out", 1, NULL, 'o'},       {"help", 0, NULL, 'h'},      {0, 0, 0, 0}};
    const char *cos = NULL, *keyf = NULL, *rule = NULL, *out = NULL;
    unsigned long seg_size = 0, seg_count = 0, stride = MS_CHIP_PKG_DEFAULT_STRIDE;
    MS_CHIP_CLI_OPT_BEGIN("pack")
    case 'c': cos = optarg; break;
    case 'k': keyf = optarg; break;
    case 'r': rule = optarg; break;
    case 's': seg_size = strtoul(optarg, NULL, 0); break;
    case 'n': seg_count = strtoul(optarg, NULL, 0); break;
    case 't': stride = strtoul(optarg, NULL, 0); break;
    case 'o': out = optarg; break;
    MS_CHIP_CLI_OPT_END
    if (cos == NULL || rule == NULL || out == NULL) {
        return ms_chip_cli_fail("pack", MS_CHIP_CLI_USAGE, "--cos, --rule and -o are required");
    }
    ms_chip_rule_t r = {0, 0, 0, 0};
    if (strcmp(rule, "whole") == 0) {
        r.kind = MS_CHIP_RULE_WHOLE;
    } else if (strcmp(rule, "none") == 0) {
        r.kind = MS_CHIP_RULE_NONE;
    } else if (strcmp(rule, "first16") == 0 || strcmp(rule, "progressive") == 0) {
        r.kind = rule[0] == 'f' ? MS_CHIP_RULE_FIRST16 : MS_CHIP_RULE_PROGRESSIVE;
        if ((seg_size != 0) == (seg_count != 0)) {
            return ms_chip_cli_fail("pack", MS_CHIP_CLI_USAGE,
                                    "give one of --seg-size or --seg-count");
        }
        r.by_count = seg_count != 0;
        r.seg_param = (uint32_t)(seg_count ? seg_count : seg_size);
        r.stride = r.kind == MS_CHIP_RULE_PROGRESSIVE ? (uint32_t)stride : 0;
    } else {
        return ms_chip_cli_fail("pack", MS_CHIP_CLI_USAGE, "unknown rule '%s'", rule);
    }
    uint8_t key[16], nonce[16];
    int rc = ms_chip_cli_load_key("pack", keyf, key);
    if (rc != MS_CHIP_CLI_OK) {
        return rc;
    }
    uint8_t *img = NULL;
    size_t len = 0;
    if (ms_chip_cli_read_file(cos, &img, &len) != 0) {
        ms_secure_zero(key, 16);
        return ms_chip_cli_fail("pack", MS_CHIP_CLI_IO, "cannot read %s", cos);
    }
    if (len == 0 || len > 0x7FFFFFFF || ms_chip_rule_check(&r, (uint32_t)len) != MS_OK) {
        ms_secure_zero(key, 16);
        free(img);
        return ms_chip_cli_fail("pack", MS_CHIP_CLI_USAGE, "the rule does not fit a %zu-byte COS",
                                len);
    }
    uint8_t *pkg = malloc(MS_CHIP_PKG_HDR_LEN + len);
    size_t plen = 0;
    ms_err_t err = pkg ? ms_random(nonce, sizeof nonce) : MS_ERR_ARG;
    if (err == MS_OK) {
        err = ms_chip_pkg_build(&r, key, nonce, img, (uint32_t)len, pkg, MS_CHIP_PKG_HDR_LEN + len,
                                &plen);
    }
    ms_secure_zero(key, 16);
    free(img);
    if (err != MS_OK) {
        free(pkg);
        return ms_chip_cli_fail("pack", MS_CHIP_CLI_FAIL, "%s", ms_strerror(err));
    }
    rc = ms_chip_cli_write_file(out, pkg, plen, 0);
    uint8_t id[16];
    char idh[33];
    ms_chip_pkg_id(pkg, id);
    ms_chip_cli_hex(id, 16, idh);
    ms_chip_pkg_header_t h;
    ms_chip_pkg_parse(pkg, plen, &h);
    free(pkg);
    if (rc != 0) {
        return ms_chip_cli_fail("pack", MS_CHIP_CLI_IO, "cannot write %s", out);
    }
    printf("package %s: COS %u bytes, rule %s, segment %u bytes, CRC32 %08X, XOR %08X, id %s\n",
           out, h.cos_len, rule, ms_chip_rule_seg_size(&h.rule, h.cos_len), h.crc32, h.xor32, idh);
    return MS_CHIP_CLI_OK;
}
