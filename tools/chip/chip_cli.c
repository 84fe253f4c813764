/*
 * chip_cli.c - the chip vendor's and the factory's command-line verbs:
 *   keygen  -o FILE                          a 16-byte key as 32 hex digits
 *   loader  --mk-des F --mk-aes F [--code F] -o FILE   a Loader OS image
 *   pack    --cos F --image-key F --rule R [--seg-size N|--seg-count N]
 *           [--stride N] -o PKG              encrypt a COS into a package
 *   licence --pkg PKG --image-key F --master-key F --method kdf3|emv
 *           (--uid HEX -o LIC | --uids FILE --out-dir DIR)
 *           [--budget N --counter FILE]      per-chip licences, bounded
 *           or [--hsm-reader NAME]           ... issued by the licence HSM card
 *   hsm-init --flash F --pkg PKG --image-key F --master-key F --budget N
 *           [--method kdf3|emv]              make the licence HSM's flash file
 *   write   --pkg PKG (--licence LIC | --licence-dir DIR) [--reader NAME]
 *           [--chunk N] [--count N] [--retries N] [--no-resume] [--no-progress]
 *   reload  --loader F --master-key F [--scp 03|02] [--reader NAME]   84 DE
 *   info    [--reader NAME]                  serial, mode, progress
 * Keys are read from files and never printed (only key check values).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "chip_cli.h"
#include "chip_factory.h"
#include "chip_geometry.h"
#include "chip_pcsc.h"
#include "flash_sim.h"
#include "meterseal/chip.h"
#include "meterseal/chip_hsm.h"

enum { EX_OK = 0, EX_FAIL = 1, EX_USAGE = 2, EX_IO = 3 };

static int failf(const char *verb, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int failf(const char *verb, int code, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "meterseal: chip %s: ", verb);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

static int read_file(const char *path, uint8_t **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return -1;
    }
    size_t cap = 65536, n = 0;
    uint8_t *b = malloc(cap);
    for (;;) {
        if (b == NULL) {
            fclose(f);
            return -1;
        }
        size_t r = fread(b + n, 1, cap - n, f);
        n += r;
        if (n < cap) {
            break;
        }
        cap *= 2;
        uint8_t *nb = realloc(b, cap);
        if (nb == NULL) {
            free(b);
            b = NULL;
            continue;
        }
        b = nb;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(b);
        return -1;
    }
    *buf = b;
    *len = n;
    return 0;
}

static int write_file(const char *path, const void *buf, size_t len, int secret)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        return -1;
    }
    if (secret) {
        chmod(path, 0600);
    }
    int ok = fwrite(buf, 1, len, f) == len;
    ok = (fclose(f) == 0) && ok;
    return ok ? 0 : -1;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Parse hex (whitespace and ':' ignored) into exactly n bytes. */
static int parse_hex(const char *s, size_t slen, uint8_t *out, size_t n)
{
    size_t got = 0;
    int hi = -1;
    for (size_t i = 0; i < slen; i++) {
        int c = (unsigned char)s[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == ':') {
            continue;
        }
        int v = hexval(c);
        if (v < 0 || got >= n) {
            return -1;
        }
        if (hi < 0) {
            hi = v;
        } else {
            out[got++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return got == n && hi < 0 ? 0 : -1;
}

static int load_key(const char *verb, const char *path, uint8_t key[16])
{
    uint8_t *b = NULL;
    size_t n = 0;
    if (path == NULL) {
        return failf(verb, EX_USAGE, "a key file is required");
    }
    if (read_file(path, &b, &n) != 0) {
        return failf(verb, EX_IO, "cannot read key file %s", path);
    }
    int bad = parse_hex((const char *)b, n, key, 16);
    ms_secure_zero(b, n);
    free(b);
    if (bad) {
        return failf(verb, EX_FAIL, "%s: expected 32 hex digits (a 16-byte key)", path);
    }
    return EX_OK;
}

static void hex(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        sprintf(out + 2 * i, "%02X", b[i]);
    }
}

#define OPT_BEGIN(verb)                                                                   \
    optind = 0;                                                                           \
    opterr = 0;                                                                           \
    int c_;                                                                               \
    while ((c_ = getopt_long(argc, argv, "+o:h", opts, NULL)) != -1) {                     \
        if (c_ == '?' || c_ == ':') {                                                     \
            return failf(verb, EX_USAGE, "bad option '%s' (see --help)", argv[optind - 1]); \
        }                                                                                 \
        if (c_ == 'h') {                                                                  \
            puts(help);                                                                   \
            return EX_OK;                                                                 \
        }                                                                                 \
        switch (c_) {
#define OPT_END \
    default: break; \
    }           \
    }

/* ---- keygen ---------------------------------------------------------------- */

static int cmd_keygen(int argc, char **argv)
{
    static const char help[] = "usage: meterseal chip keygen -o FILE\n"
                               "Write a random 16-byte key (3DES or AES) as 32 hex digits.";
    static const struct option opts[] = {{"out", 1, NULL, 'o'}, {"help", 0, NULL, 'h'}, {0, 0, 0, 0}};
    const char *out = NULL;
    OPT_BEGIN("keygen")
    case 'o': out = optarg; break;
    OPT_END
    if (out == NULL) {
        return failf("keygen", EX_USAGE, "-o FILE is required");
    }
    uint8_t k[16];
    char txt[34];
    if (ms_random(k, sizeof k) != MS_OK) {
        return failf("keygen", EX_FAIL, "no randomness");
    }
    hex(k, 16, txt);
    txt[32] = '\n';
    ms_secure_zero(k, sizeof k);
    int rc = write_file(out, txt, 33, 1);
    ms_secure_zero(txt, sizeof txt);
    return rc == 0 ? EX_OK : failf("keygen", EX_IO, "cannot write %s", out);
}

/* ---- loader ------------------------------------------------------------------ */

static int cmd_loader(int argc, char **argv)
{
    static const char help[] =
        "usage: meterseal chip loader --mk-des FILE --mk-aes FILE [--code FILE] -o FILE\n"
        "Build a Loader OS image: the loader's master keys (3DES for EMV CPS,\n"
        "AES for kdf3 diversification) and its code.";
    static const struct option opts[] = {{"mk-des", 1, NULL, 'd'}, {"mk-aes", 1, NULL, 'a'},
                                         {"code", 1, NULL, 'c'},   {"out", 1, NULL, 'o'},
                                         {"help", 0, NULL, 'h'},   {0, 0, 0, 0}};
    const char *des = NULL, *aes = NULL, *code = NULL, *out = NULL;
    OPT_BEGIN("loader")
    case 'd': des = optarg; break;
    case 'a': aes = optarg; break;
    case 'c': code = optarg; break;
    case 'o': out = optarg; break;
    OPT_END
    if (out == NULL) {
        return failf("loader", EX_USAGE, "-o FILE is required");
    }
    uint8_t kd[16], ka[16];
    int rc = load_key("loader", des, kd);
    if (rc == EX_OK) {
        rc = load_key("loader", aes, ka);
    }
    if (rc != EX_OK) {
        return rc;
    }
    uint8_t *c = NULL;
    size_t cl = 0;
    static const uint8_t stub[] = "MeterSeal Loader OS";
    if (code != NULL && read_file(code, &c, &cl) != 0) {
        return failf("loader", EX_IO, "cannot read %s", code);
    }
    uint8_t img[16384];
    size_t n = 0;
    ms_err_t err = ms_chip_loader_build(kd, ka, c ? c : stub, c ? (uint32_t)cl : sizeof stub,
                                        img, sizeof img, &n);
    ms_secure_zero(kd, 16);
    ms_secure_zero(ka, 16);
    free(c);
    if (err != MS_OK) {
        return failf("loader", EX_FAIL, "%s", ms_strerror(err));
    }
    rc = write_file(out, img, n, 1);
    ms_secure_zero(img, sizeof img);
    if (rc != 0) {
        return failf("loader", EX_IO, "cannot write %s", out);
    }
    printf("loader image: %zu bytes\n", n);
    return EX_OK;
}

/* ---- pack -------------------------------------------------------------------- */

static int cmd_pack(int argc, char **argv)
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
    OPT_BEGIN("pack")
    case 'c': cos = optarg; break;
    case 'k': keyf = optarg; break;
    case 'r': rule = optarg; break;
    case 's': seg_size = strtoul(optarg, NULL, 0); break;
    case 'n': seg_count = strtoul(optarg, NULL, 0); break;
    case 't': stride = strtoul(optarg, NULL, 0); break;
    case 'o': out = optarg; break;
    OPT_END
    if (cos == NULL || rule == NULL || out == NULL) {
        return failf("pack", EX_USAGE, "--cos, --rule and -o are required");
    }
    ms_chip_rule_t r = {0, 0, 0, 0};
    if (strcmp(rule, "whole") == 0) {
        r.kind = MS_CHIP_RULE_WHOLE;
    } else if (strcmp(rule, "none") == 0) {
        r.kind = MS_CHIP_RULE_NONE;
    } else if (strcmp(rule, "first16") == 0 || strcmp(rule, "progressive") == 0) {
        r.kind = rule[0] == 'f' ? MS_CHIP_RULE_FIRST16 : MS_CHIP_RULE_PROGRESSIVE;
        if ((seg_size != 0) == (seg_count != 0)) {
            return failf("pack", EX_USAGE, "give one of --seg-size or --seg-count");
        }
        r.by_count = seg_count != 0;
        r.seg_param = (uint32_t)(seg_count ? seg_count : seg_size);
        r.stride = r.kind == MS_CHIP_RULE_PROGRESSIVE ? (uint32_t)stride : 0;
    } else {
        return failf("pack", EX_USAGE, "unknown rule '%s'", rule);
    }
    uint8_t key[16], nonce[16];
    int rc = load_key("pack", keyf, key);
    if (rc != EX_OK) {
        return rc;
    }
    uint8_t *img = NULL;
    size_t len = 0;
    if (read_file(cos, &img, &len) != 0) {
        ms_secure_zero(key, 16);
        return failf("pack", EX_IO, "cannot read %s", cos);
    }
    if (len == 0 || len > 0x7FFFFFFF || ms_chip_rule_check(&r, (uint32_t)len) != MS_OK) {
        ms_secure_zero(key, 16);
        free(img);
        return failf("pack", EX_USAGE, "the rule does not fit a %zu-byte COS", len);
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
        return failf("pack", EX_FAIL, "%s", ms_strerror(err));
    }
    rc = write_file(out, pkg, plen, 0);
    uint8_t id[16];
    char idh[33];
    ms_chip_pkg_id(pkg, id);
    hex(id, 16, idh);
    ms_chip_pkg_header_t h;
    ms_chip_pkg_parse(pkg, plen, &h);
    free(pkg);
    if (rc != 0) {
        return failf("pack", EX_IO, "cannot write %s", out);
    }
    printf("package %s: COS %u bytes, rule %s, segment %u bytes, CRC32 %08X, XOR %08X, id %s\n",
           out, h.cos_len, rule, ms_chip_rule_seg_size(&h.rule, h.cos_len), h.crc32, h.xor32, idh);
    return EX_OK;
}

/* ---- the licence HSM card ------------------------------------------------------ */

static int read_pkg_id(const char *verb, const char *pkgf, uint8_t id[16])
{
    uint8_t *pkg = NULL;
    size_t plen = 0;
    ms_chip_pkg_header_t h;
    if (pkgf == NULL) {
        return failf(verb, EX_USAGE, "--pkg is required");
    }
    if (read_file(pkgf, &pkg, &plen) != 0) {
        return failf(verb, EX_IO, "cannot read %s", pkgf);
    }
    ms_err_t err = ms_chip_pkg_parse(pkg, plen, &h);
    if (err == MS_OK) {
        err = ms_chip_pkg_id(pkg, id);
    }
    free(pkg);
    return err == MS_OK ? EX_OK : failf(verb, EX_FAIL, "%s: %s", pkgf, ms_strerror(err));
}

static int hsm_issue(ms_chip_pcsc_t *pc, const char *uid_hex, const uint8_t id[16],
                     const char *out)
{
    uint8_t cmd[5 + 26] = {0x80, MS_CHIP_INS_ISSUE, 0x00, 0x00, 26}, rsp[80];
    size_t rl = 0;
    if (parse_hex(uid_hex, strlen(uid_hex), cmd + 5, MS_CHIP_UID_LEN) != 0) {
        return failf("licence", EX_USAGE, "bad serial '%s' (20 hex digits)", uid_hex);
    }
    memcpy(cmd + 15, id, 16);
    ms_err_t err = ms_chip_pcsc_transmit(pc, cmd, sizeof cmd, rsp, sizeof rsp, &rl);
    if (err != MS_OK) {
        return failf("licence", EX_IO, "HSM: %s", pc->last_error);
    }
    uint16_t sw = (uint16_t)(rsp[rl - 2] << 8 | rsp[rl - 1]);
    if (sw != MS_SW_OK || rl != MS_CHIP_LIC_LEN + 2) {
        return failf("licence", EX_FAIL, "HSM refused chip %s: %s%s", uid_hex,
                     ms_chip_sw_text(sw), sw == MS_SW_CONDITIONS ? " (budget used up)" : "");
    }
    if (write_file(out, rsp, MS_CHIP_LIC_LEN, 0) != 0) {
        return failf("licence", EX_IO, "cannot write %s", out);
    }
    printf("licence %s for chip %s (from the HSM)\n", out, uid_hex);
    return EX_OK;
}

static int licence_from_hsm(const char *reader, const char *pkgf, const char *uid,
                            const char *out, const char *uids, const char *dir)
{
    uint8_t id[16];
    if ((uid == NULL || out == NULL) && (uids == NULL || dir == NULL)) {
        return failf("licence", EX_USAGE, "--uid with -o, or --uids with --out-dir");
    }
    int rc = read_pkg_id("licence", pkgf, id);
    if (rc != EX_OK) {
        return rc;
    }
    ms_chip_pcsc_t pc;
    ms_err_t err = ms_chip_pcsc_open(&pc, reader);
    if (err == MS_OK) {
        err = ms_chip_pcsc_connect(&pc, 10000);
    }
    if (err != MS_OK) {
        ms_chip_pcsc_close(&pc);
        return failf("licence", EX_IO, "HSM: %s", pc.last_error);
    }
    if (uid != NULL) {
        rc = hsm_issue(&pc, uid, id, out);
    } else {
        FILE *f = fopen(uids, "r");
        char line[128];
        rc = f == NULL ? failf("licence", EX_IO, "cannot read %s", uids) : EX_OK;
        while (rc == EX_OK && f != NULL && fgets(line, sizeof line, f) != NULL) {
            line[strcspn(line, " \t\r\n#")] = '\0';
            if (line[0] == '\0') {
                continue;
            }
            char path[4096];
            snprintf(path, sizeof path, "%s/%s.lic", dir, line);
            rc = hsm_issue(&pc, line, id, path);
        }
        if (f != NULL) {
            fclose(f);
        }
    }
    uint8_t get[5] = {0x80, MS_CHIP_INS_GET_DATA, 0x00, MS_CHIP_TAG_BUDGET, 0x00}, rsp[64];
    size_t rl = 0;
    if (ms_chip_pcsc_transmit(&pc, get, 5, rsp, sizeof rsp, &rl) == MS_OK && rl >= 14) {
        printf("HSM budget: %u issued of %u, %u left\n",
               (unsigned)(rsp[4] << 24 | rsp[5] << 16 | rsp[6] << 8 | rsp[7]),
               (unsigned)(rsp[0] << 24 | rsp[1] << 16 | rsp[2] << 8 | rsp[3]),
               (unsigned)(rsp[8] << 24 | rsp[9] << 16 | rsp[10] << 8 | rsp[11]));
    }
    ms_chip_pcsc_close(&pc);
    return rc;
}

static int cmd_hsm_init(int argc, char **argv)
{
    static const char help[] =
        "usage: meterseal chip hsm-init --flash FILE --pkg PKG --image-key FILE\n"
        "         --master-key FILE --budget N [--method kdf3|emv]\n"
        "Make the flash file of a licence HSM card (serve it with\n"
        "meterseal-chip-emu --hsm): it issues at most N licences for PKG.";
    static const struct option opts[] = {
        {"flash", 1, NULL, 'f'},      {"pkg", 1, NULL, 'p'},    {"image-key", 1, NULL, 'k'},
        {"master-key", 1, NULL, 'm'}, {"budget", 1, NULL, 'b'}, {"method", 1, NULL, 'M'},
        {"help", 0, NULL, 'h'},       {0, 0, 0, 0}};
    const char *flash = NULL, *pkgf = NULL, *ikf = NULL, *mkf = NULL, *method = "kdf3";
    unsigned long budget = 0;
    OPT_BEGIN("hsm-init")
    case 'f': flash = optarg; break;
    case 'p': pkgf = optarg; break;
    case 'k': ikf = optarg; break;
    case 'm': mkf = optarg; break;
    case 'b': budget = strtoul(optarg, NULL, 0); break;
    case 'M': method = optarg; break;
    OPT_END
    ms_chip_div_method_t m = strcmp(method, "emv") == 0 ? MS_CHIP_DIV_EMV : MS_CHIP_DIV_KDF3;
    if (flash == NULL || budget == 0 || (strcmp(method, "emv") != 0 && strcmp(method, "kdf3") != 0)) {
        return failf("hsm-init", EX_USAGE, "--flash, --budget N and --method kdf3|emv");
    }
    uint8_t id[16], ik[16], mk[16];
    int rc = read_pkg_id("hsm-init", pkgf, id);
    if (rc == EX_OK) {
        rc = load_key("hsm-init", ikf, ik);
    }
    if (rc == EX_OK) {
        rc = load_key("hsm-init", mkf, mk);
    }
    if (rc != EX_OK) {
        return rc;
    }
    ms_flash_sim_t sim;
    ms_err_t err = ms_flash_sim_open(&sim, flash, MS_EMU_HSM_FLASH_SIZE, MS_EMU_SECTOR,
                                     MS_EMU_ALIGN, 0xFF);
    if (err == MS_OK) {
        err = ms_chip_hsm_provision(&sim.flash, m, mk, ik, id, (uint32_t)budget);
        ms_flash_sim_close(&sim);
    }
    ms_secure_zero(ik, 16);
    ms_secure_zero(mk, 16);
    if (err != MS_OK) {
        return failf("hsm-init", EX_FAIL, "%s", ms_strerror(err));
    }
    printf("licence HSM %s: budget %lu licences\n", flash, budget);
    return EX_OK;
}

/* ---- licence ------------------------------------------------------------------- */

/* Over-production control on the vendor side: a counter file that never
 * goes past the budget (refuses, and never issues, beyond it). */
static int budget_take(const char *path, unsigned long budget)
{
    unsigned long used = 0;
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        if (fscanf(f, "%lu", &used) != 1) {
            used = 0;
        }
        fclose(f);
    }
    if (used >= budget) {
        return -1;
    }
    f = fopen(path, "w");
    if (f == NULL) {
        return -2;
    }
    fprintf(f, "%lu\n", used + 1);
    return fclose(f) == 0 ? 0 : -2;
}

static int issue_one(const char *verb, ms_chip_div_method_t m, const uint8_t mk[16],
                     const char *uid_hex, const uint8_t id[16], const uint8_t ikey[16],
                     const char *out, const char *counter, unsigned long budget)
{
    uint8_t uid[MS_CHIP_UID_LEN], lic[MS_CHIP_LIC_LEN];
    if (parse_hex(uid_hex, strlen(uid_hex), uid, sizeof uid) != 0) {
        return failf(verb, EX_USAGE, "bad serial '%s' (20 hex digits)", uid_hex);
    }
    if (counter != NULL) {
        int b = budget_take(counter, budget);
        if (b == -1) {
            return failf(verb, EX_FAIL, "licence budget of %lu exhausted; chip %s refused",
                         budget, uid_hex);
        }
        if (b != 0) {
            return failf(verb, EX_IO, "cannot update counter %s", counter);
        }
    }
    ms_err_t err = ms_chip_licence_issue(m, mk, uid, id, ikey, lic);
    if (err != MS_OK) {
        return failf(verb, EX_FAIL, "%s", ms_strerror(err));
    }
    if (write_file(out, lic, sizeof lic, 0) != 0) {
        return failf(verb, EX_IO, "cannot write %s", out);
    }
    printf("licence %s for chip %s\n", out, uid_hex);
    return EX_OK;
}

static int cmd_licence(int argc, char **argv)
{
    static const char help[] =
        "usage: meterseal chip licence --pkg PKG --image-key FILE --master-key FILE\n"
        "         [--method kdf3|emv] (--uid HEX20 -o LIC | --uids FILE --out-dir DIR)\n"
        "         [--budget N --counter FILE | --hsm-reader NAME]\n"
        "Wrap the package's image key under each chip's diversified keys. With\n"
        "--budget, a counter file refuses licences past N (over-production control);\n"
        "with --hsm-reader the licence HSM card issues them under its own budget.";
    static const struct option opts[] = {
        {"pkg", 1, NULL, 'p'},     {"image-key", 1, NULL, 'k'}, {"master-key", 1, NULL, 'm'},
        {"method", 1, NULL, 'M'},  {"uid", 1, NULL, 'u'},       {"uids", 1, NULL, 'U'},
        {"out-dir", 1, NULL, 'D'}, {"out", 1, NULL, 'o'},       {"budget", 1, NULL, 'b'},
        {"counter", 1, NULL, 'C'}, {"hsm-reader", 1, NULL, 'H'}, {"help", 0, NULL, 'h'},
        {0, 0, 0, 0}};
    const char *hsm_reader = NULL;
    const char *pkgf = NULL, *ikf = NULL, *mkf = NULL, *method = "kdf3", *uid = NULL;
    const char *uids = NULL, *dir = NULL, *out = NULL, *counter = NULL;
    unsigned long budget = 0;
    OPT_BEGIN("licence")
    case 'p': pkgf = optarg; break;
    case 'k': ikf = optarg; break;
    case 'm': mkf = optarg; break;
    case 'M': method = optarg; break;
    case 'u': uid = optarg; break;
    case 'U': uids = optarg; break;
    case 'D': dir = optarg; break;
    case 'o': out = optarg; break;
    case 'b': budget = strtoul(optarg, NULL, 0); break;
    case 'C': counter = optarg; break;
    case 'H': hsm_reader = optarg; break;
    OPT_END
    if (hsm_reader != NULL) {
        return licence_from_hsm(hsm_reader, pkgf, uid, out, uids, dir);
    }
    ms_chip_div_method_t m;
    if (strcmp(method, "kdf3") == 0) {
        m = MS_CHIP_DIV_KDF3;
    } else if (strcmp(method, "emv") == 0) {
        m = MS_CHIP_DIV_EMV;
    } else {
        return failf("licence", EX_USAGE, "unknown method '%s'", method);
    }
    if (pkgf == NULL || ((uid == NULL || out == NULL) && (uids == NULL || dir == NULL))) {
        return failf("licence", EX_USAGE, "--pkg and (--uid with -o, or --uids with --out-dir)");
    }
    if ((counter != NULL) != (budget != 0)) {
        return failf("licence", EX_USAGE, "--budget and --counter go together");
    }
    uint8_t *pkg = NULL, id[16], ikey[16], mk[16];
    size_t plen = 0;
    if (read_file(pkgf, &pkg, &plen) != 0) {
        return failf("licence", EX_IO, "cannot read %s", pkgf);
    }
    ms_chip_pkg_header_t h;
    ms_err_t err = ms_chip_pkg_parse(pkg, plen, &h);
    if (err == MS_OK) {
        err = ms_chip_pkg_id(pkg, id);
    }
    free(pkg);
    if (err != MS_OK) {
        return failf("licence", EX_FAIL, "%s: %s", pkgf, ms_strerror(err));
    }
    int rc = load_key("licence", ikf, ikey);
    if (rc == EX_OK) {
        rc = load_key("licence", mkf, mk);
    }
    if (rc == EX_OK && uid != NULL) {
        rc = issue_one("licence", m, mk, uid, id, ikey, out, counter, budget);
    } else if (rc == EX_OK) {
        FILE *f = fopen(uids, "r");
        char line[128];
        if (f == NULL) {
            rc = failf("licence", EX_IO, "cannot read %s", uids);
        }
        while (rc == EX_OK && f != NULL && fgets(line, sizeof line, f) != NULL) {
            line[strcspn(line, " \t\r\n#")] = '\0';
            if (line[0] == '\0') {
                continue;
            }
            char path[4096];
            snprintf(path, sizeof path, "%s/%s.lic", dir, line);
            rc = issue_one("licence", m, mk, line, id, ikey, path, counter, budget);
        }
        if (f != NULL) {
            fclose(f);
        }
    }
    ms_secure_zero(ikey, 16);
    ms_secure_zero(mk, 16);
    return rc;
}

/* ---- write ---------------------------------------------------------------------- */

typedef struct lic_src {
    const char *file;
    const char *dir;
} lic_src_t;

static ms_err_t find_licence(void *ctx, const uint8_t uid[MS_CHIP_UID_LEN],
                             uint8_t lic[MS_CHIP_LIC_LEN])
{
    lic_src_t *s = ctx;
    char path[4096], uh[21];
    hex(uid, MS_CHIP_UID_LEN, uh);
    if (s->file != NULL) {
        snprintf(path, sizeof path, "%s", s->file);
    } else {
        snprintf(path, sizeof path, "%s/%s.lic", s->dir, uh);
    }
    uint8_t *b = NULL;
    size_t n = 0;
    if (read_file(path, &b, &n) != 0) {
        return MS_ERR_NOT_FOUND;
    }
    ms_err_t err = n == MS_CHIP_LIC_LEN ? MS_OK : MS_ERR_FORMAT;
    if (err == MS_OK) {
        memcpy(lic, b, n);
    }
    free(b);
    return err;
}

typedef struct bar {
    int enabled;
    int last;
} bar_t;

static void show_progress(void *ctx, uint32_t done, uint32_t total)
{
    bar_t *b = ctx;
    if (!b->enabled || total == 0) {
        return;
    }
    int pct = (int)((uint64_t)done * 100 / total);
    if (pct == b->last && done != total) {
        return;
    }
    b->last = pct;
    char bar[41];
    int fill = pct * 40 / 100;
    for (int i = 0; i < 40; i++) {
        bar[i] = i < fill ? '#' : '.';
    }
    bar[40] = '\0';
    fprintf(stderr, "\r  [%s] %3d%% %u/%u bytes", bar, pct, done, total);
    if (done == total) {
        fputc('\n', stderr);
    }
    fflush(stderr);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmd_write(int argc, char **argv)
{
    static const char help[] =
        "usage: meterseal chip write --pkg PKG (--licence LIC | --licence-dir DIR)\n"
        "         [--reader NAME] [--chunk N] [--count N] [--retries N]\n"
        "         [--no-resume] [--no-progress] [--timeout-ms N]\n"
        "Factory writer: ERASE, KEY DIVERSIFY (licence), DECRYPT, VERIFY over PC/SC.\n"
        "A download cut by a power loss resumes (up to --retries times, default 3).\n"
        "--licence-dir holds <SERIAL>.lic files; --count writes N chips in turn.";
    static const struct option opts[] = {
        {"pkg", 1, NULL, 'p'},     {"licence", 1, NULL, 'l'},  {"licence-dir", 1, NULL, 'L'},
        {"reader", 1, NULL, 'r'},  {"chunk", 1, NULL, 'c'},    {"count", 1, NULL, 'n'},
        {"retries", 1, NULL, 'R'}, {"no-resume", 0, NULL, 'N'}, {"no-progress", 0, NULL, 'P'},
        {"timeout-ms", 1, NULL, 't'}, {"help", 0, NULL, 'h'},  {0, 0, 0, 0}};
    const char *pkgf = NULL, *reader = NULL;
    lic_src_t src = {NULL, NULL};
    unsigned long chunk = 224, count = 1, retries = 3, timeout = 10000;
    int no_resume = 0;
    bar_t bar = {1, -1};
    OPT_BEGIN("write")
    case 'p': pkgf = optarg; break;
    case 'l': src.file = optarg; break;
    case 'L': src.dir = optarg; break;
    case 'r': reader = optarg; break;
    case 'c': chunk = strtoul(optarg, NULL, 0); break;
    case 'n': count = strtoul(optarg, NULL, 0); break;
    case 'R': retries = strtoul(optarg, NULL, 0); break;
    case 'N': no_resume = 1; break;
    case 'P': bar.enabled = 0; break;
    case 't': timeout = strtoul(optarg, NULL, 0); break;
    OPT_END
    if (pkgf == NULL || (src.file == NULL) == (src.dir == NULL)) {
        return failf("write", EX_USAGE, "--pkg and one of --licence / --licence-dir are required");
    }
    if (chunk == 0 || chunk % 32 != 0 || chunk > 512) {
        return failf("write", EX_USAGE, "--chunk must be a multiple of 32, at most 512");
    }
    uint8_t *pkg = NULL;
    size_t plen = 0;
    if (read_file(pkgf, &pkg, &plen) != 0) {
        return failf("write", EX_IO, "cannot read %s", pkgf);
    }
    ms_chip_pcsc_t pc;
    ms_err_t err = ms_chip_pcsc_open(&pc, reader);
    if (err != MS_OK) {
        free(pkg);
        return failf("write", EX_IO, "PC/SC: %s", pc.last_error);
    }
    ms_chip_writer_t w = {ms_chip_pcsc_transmit, &pc, find_licence, &src, show_progress, &bar,
                          chunk, no_resume};
    int rc = EX_OK;
    printf("reader: %s\n", pc.reader);
    for (unsigned long chip = 0; chip < count; chip++) {
        if (chip > 0) {
            fprintf(stderr, "  waiting for the next chip...\n");
            ms_chip_pcsc_wait_removed(&pc, (unsigned)timeout);
        }
        ms_chip_report_t rep;
        double t0 = now_s();
        unsigned attempt = 0;
        for (;;) {
            err = ms_chip_pcsc_connect(&pc, (unsigned)timeout);
            if (err == MS_OK) {
                bar.last = -1;
                err = ms_chip_factory_write(&w, pkg, plen, &rep);
            } else {
                memset(&rep, 0, sizeof rep);
                rep.step = "connect";
            }
            if (err != MS_ERR_POWER_LOST || attempt >= retries) {
                break;
            }
            attempt++;
            if (bar.enabled) {
                fputc('\n', stderr);
            }
            fprintf(stderr, "  card lost at %s (%s); waiting to resume (attempt %u of %lu)\n",
                    rep.step, pc.last_error, attempt, retries);
            /* Let the reader notice the card went away before reconnecting. */
            ms_chip_pcsc_wait_removed(&pc, 3000);
            struct timespec pause = {0, 200 * 1000000L};
            nanosleep(&pause, NULL);
        }
        double dt = now_s() - t0;
        char uh[21] = "unknown";
        if (rep.have_uid) {
            hex(rep.uid, MS_CHIP_UID_LEN, uh);
        }
        if (err == MS_OK) {
            /* Restart the chip so its COS starts (and erases the loader). */
            ms_chip_pcsc_reset(&pc);
            char kcv[19];
            hex(rep.kcv, 9, kcv);
            char resumed[64] = "";
            if (attempt > 0) {
                snprintf(resumed, sizeof resumed, ", resumed %u time(s), last from byte %u",
                         attempt, rep.resumed_from);
            }
            if (strcmp(rep.step, "already installed") == 0) {
                printf("chip %s: OK - this COS is already installed and verified\n", uh);
                fflush(stdout);
                continue;
            }
            printf("chip %s: OK - COS %u bytes written and verified in %.2f s, %u APDUs, "
                   "%llu bytes sent%s, KCV %s; chip restarted into its COS\n",
                   uh, rep.cos_len, dt, rep.apdus, (unsigned long long)rep.bytes_sent, resumed,
                   kcv);
        } else {
            printf("chip %s: FAILED at %s: %s%s%s\n", uh, rep.step ? rep.step : "?",
                   rep.sw && rep.sw != MS_SW_OK ? ms_chip_sw_text(rep.sw) : ms_strerror(err),
                   pc.last_error[0] ? " - " : "", pc.last_error);
            rc = EX_FAIL;
        }
        fflush(stdout);
    }
    ms_chip_pcsc_close(&pc);
    free(pkg);
    return rc;
}

/* Connect and read the serial; a card that was just swapped in may fail
 * its first command (the reader still held the old one): try once more. */
static ms_err_t connect_serial(ms_chip_pcsc_t *pc, uint8_t uid[MS_CHIP_UID_LEN])
{
    uint8_t get[5] = {0x80, 0xCA, 0x00, 0x01, 0x00}, rsp[64];
    size_t rl = 0;
    ms_err_t err = MS_ERR_IO;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (attempt > 0) {
            ms_chip_pcsc_wait_removed(pc, 1000);
        }
        err = ms_chip_pcsc_connect(pc, 10000);
        if (err == MS_OK) {
            err = ms_chip_pcsc_transmit(pc, get, 5, rsp, sizeof rsp, &rl);
        }
        if (err != MS_ERR_POWER_LOST) {
            break;
        }
    }
    if (err == MS_OK && (rl != MS_CHIP_UID_LEN + 2 || rsp[rl - 2] != 0x90)) {
        err = MS_ERR_FORMAT;
    }
    if (err == MS_OK) {
        memcpy(uid, rsp, MS_CHIP_UID_LEN);
    }
    return err;
}

/* ---- reload (84 DE) ------------------------------------------------------------------ */

static int cmd_reload(int argc, char **argv)
{
    static const char help[] =
        "usage: meterseal chip reload --loader FILE --master-key FILE [--scp 03|02]\n"
        "         [--reader NAME]\n"
        "Vendor: put the Loader OS back into a chip in COS mode with 84 DE under a\n"
        "session key (SCP03-style AES by default, SCP02-style 3DES with --scp 02;\n"
        "the master key is the AES or 3DES one accordingly).";
    static const struct option opts[] = {{"loader", 1, NULL, 'l'}, {"master-key", 1, NULL, 'm'},
                                         {"scp", 1, NULL, 's'},    {"reader", 1, NULL, 'r'},
                                         {"help", 0, NULL, 'h'},   {0, 0, 0, 0}};
    const char *ldr = NULL, *mkf = NULL, *reader = NULL, *scps = "03";
    OPT_BEGIN("reload")
    case 'l': ldr = optarg; break;
    case 'm': mkf = optarg; break;
    case 's': scps = optarg; break;
    case 'r': reader = optarg; break;
    OPT_END
    ms_chip_scp_t scp = strcmp(scps, "02") == 0 ? MS_CHIP_SCP02 : MS_CHIP_SCP03;
    if (ldr == NULL || (strcmp(scps, "02") != 0 && strcmp(scps, "03") != 0)) {
        return failf("reload", EX_USAGE, "--loader and --scp 02|03");
    }
    uint8_t mk[16], enc[16], mac[16];
    int rc = load_key("reload", mkf, mk);
    if (rc != EX_OK) {
        return rc;
    }
    uint8_t *img = NULL;
    size_t n = 0;
    if (read_file(ldr, &img, &n) != 0) {
        ms_secure_zero(mk, 16);
        return failf("reload", EX_IO, "cannot read %s", ldr);
    }
    ms_chip_pcsc_t pc;
    uint8_t uid[MS_CHIP_UID_LEN];
    uint16_t sw = 0;
    ms_err_t err = ms_chip_pcsc_open(&pc, reader);
    if (err == MS_OK) {
        err = connect_serial(&pc, uid);
    }
    if (err == MS_OK) {
        ms_chip_div_method_t m = scp == MS_CHIP_SCP03 ? MS_CHIP_DIV_KDF3 : MS_CHIP_DIV_EMV;
        err = ms_chip_diversify(m, mk, uid, MS_CHIP_KEY_ENC, enc);
        if (err == MS_OK) {
            err = ms_chip_diversify(m, mk, uid, MS_CHIP_KEY_MAC, mac);
        }
    }
    if (err == MS_OK) {
        err = ms_chip_factory_reload_loader(ms_chip_pcsc_transmit, &pc, scp, enc, mac, img, n, &sw);
    }
    if (err == MS_OK) {
        ms_chip_pcsc_reset(&pc); /* the loader runs from this restart */
    }
    ms_secure_zero(mk, 16);
    ms_secure_zero(enc, 16);
    ms_secure_zero(mac, 16);
    free(img);
    ms_chip_pcsc_close(&pc);
    if (err != MS_OK) {
        return failf("reload", EX_FAIL, "%s%s%s", sw ? ms_chip_sw_text(sw) : ms_strerror(err),
                     pc.last_error[0] ? " - " : "", pc.last_error);
    }
    printf("loader reloaded (%zu bytes, SCP%s); chip restarted in loader mode\n", n,
           scps);
    return EX_OK;
}

/* ---- info ------------------------------------------------------------------------------ */

static int cmd_info(int argc, char **argv)
{
    static const char help[] = "usage: meterseal chip info [--reader NAME]\n"
                               "Show the chip's serial, mode and download progress.";
    static const struct option opts[] = {{"reader", 1, NULL, 'r'}, {"help", 0, NULL, 'h'},
                                         {0, 0, 0, 0}};
    const char *reader = NULL;
    OPT_BEGIN("info")
    case 'r': reader = optarg; break;
    OPT_END
    ms_chip_pcsc_t pc;
    uint8_t uid[MS_CHIP_UID_LEN];
    ms_err_t err = ms_chip_pcsc_open(&pc, reader);
    if (err == MS_OK) {
        err = connect_serial(&pc, uid);
    }
    if (err != MS_OK) {
        ms_chip_pcsc_close(&pc);
        return failf("info", EX_IO, "PC/SC: %s", pc.last_error[0] ? pc.last_error
                                                                 : ms_strerror(err));
    }
    uint8_t rsp[64], cmd[5] = {0x80, 0xCA, 0x00, 0x01, 0x00};
    size_t rl = 0;
    char h[80];
    printf("reader: %s\n", pc.reader);
    for (uint8_t tag = 1; tag <= 3; tag++) {
        cmd[3] = tag;
        if (ms_chip_pcsc_transmit(&pc, cmd, 5, rsp, sizeof rsp, &rl) != MS_OK || rl < 2) {
            break;
        }
        uint16_t sw = (uint16_t)(rsp[rl - 2] << 8 | rsp[rl - 1]);
        rl -= 2;
        if (sw != MS_SW_OK) {
            continue;
        }
        if (tag == 1 && rl == 10) {
            hex(rsp, 10, h);
            printf("serial: %s\n", h);
        } else if (tag == 2 && rl >= 11) {
            printf("mode: %s / %s (running: %s)\n",
                   rsp[0] == MS_CHIP_MODE_COS ? "COS" : "LOADER",
                   rsp[1] == MS_CHIP_STATE_USER ? "USER" : "INITIAL",
                   rsp[2] == MS_CHIP_RUN_LOADER ? "loader"
                   : rsp[2] == MS_CHIP_RUN_COS  ? "COS"
                                                : "none (restart needed)");
        } else if (tag == 3 && rl >= 17) {
            printf("progress: %u of %u bytes, %u sectors journalled\n",
                   (unsigned)(rsp[0] << 24 | rsp[1] << 16 | rsp[2] << 8 | rsp[3]),
                   (unsigned)(rsp[4] << 24 | rsp[5] << 16 | rsp[6] << 8 | rsp[7]),
                   (unsigned)(rsp[8] << 24 | rsp[9] << 16 | rsp[10] << 8 | rsp[11]));
        }
    }
    ms_chip_pcsc_close(&pc);
    return EX_OK;
}

int ms_chip_cli_main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } verbs[] = {{"keygen", cmd_keygen}, {"loader", cmd_loader},   {"pack", cmd_pack},
                 {"licence", cmd_licence}, {"write", cmd_write},   {"reload", cmd_reload},
                 {"info", cmd_info},     {"hsm-init", cmd_hsm_init}};
    if (argc < 1 || argv[0] == NULL || strcmp(argv[0], "--help") == 0 ||
        strcmp(argv[0], "-h") == 0) {
        fprintf(argc < 1 ? stderr : stdout,
                "usage: meterseal chip <keygen|loader|pack|licence|write|reload|info|hsm-init> [opts]\n"
                "The chip vendor's and the factory's tools (see docs/chip.md);\n"
                "`meterseal chip <verb> --help` for each verb's options.\n");
        return argc < 1 ? EX_USAGE : EX_OK;
    }
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        if (strcmp(argv[0], verbs[i].name) == 0) {
            return verbs[i].run(argc, argv);
        }
    }
    return failf(argv[0], EX_USAGE, "unknown chip verb (see meterseal chip --help)");
}
