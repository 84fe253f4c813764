/* SPDX-License-Identifier: Apache-2.0 */
/*
 * meterseal-sim - the meter simulator: a simulated meter whose flash,
 * security counters, key store, security registers and boot log are files
 * in a device directory, so it can be "rebooted" by running it again.
 *
 *   meterseal-sim [--dir DIR] [--strategy swap|overwrite] COMMAND ...
 *
 * Flash (1 MiB, 4 KiB sectors, 8-byte writes): Secure primary 0x00000,
 * Secure secondary 0x40000, Non-secure primary 0x80000, Non-secure
 * secondary 0xC0000, each slot 256 KiB (imgtool's --slot-size 0x40000).
 * The boot loader trusts the key programmed once with provision-rot (the
 * simulated OTP), or else the compiled-in development key of sim_rot.c
 * (M5). The device directory is platform/host/sim_device.h.
 *
 * Exit codes: 0 success, 1 usage, 2 the boot loader refused to boot,
 * 3 any other failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "meterseal/boot.h"
#include "sim_device.h"

static ms_sim_device_t S;
static ms_boot_t boot_state;

static const char *path_in(const char *name)
{
    return ms_sim_device_path(&S, name);
}

static int fail(const char *what, ms_err_t err)
{
    fprintf(stderr, "meterseal-sim: %s: %s (%s)\n", what, ms_strerror(err), ms_errname(err));
    return 3;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        return NULL;
    }
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
    *len = b ? fread(b, 1, (size_t)n, fp) : 0;
    fclose(fp);
    return b;
}

static int write_file(const char *path, const void *data, size_t len)
{
    FILE *fp = fopen(path, "wb");
    if (fp == NULL) {
        return -1;
    }
    size_t n = fwrite(data, 1, len, fp);
    return fclose(fp) == 0 && n == len ? 0 : -1;
}

/* Open the device directory; the strategy is fixed when it is created. */
static int sim_open(const char *dir, const char *strategy)
{
    const char *what = "";
    ms_err_t err = ms_sim_device_open(&S, dir, strategy, &what);
    return err == MS_OK ? 0 : err == MS_ERR_ARG ? (fprintf(stderr, "meterseal-sim: %s\n", what), 1)
                                                : fail(what, err);
}

static void sim_close(void)
{
    ms_sim_device_close(&S);
}

static int image_index(const char *name)
{
    if (strcmp(name, "s") == 0 || strcmp(name, "secure") == 0) {
        return 0;
    }
    if (strcmp(name, "ns") == 0 || strcmp(name, "nonsecure") == 0) {
        return 1;
    }
    fprintf(stderr, "meterseal-sim: image must be s or ns, not '%s'\n", name);
    return -1;
}

static const char *image_name(size_t i)
{
    return i == 0 ? "S " : "NS";
}

static const char *swap_name(int t)
{
    switch (t) {
    case MS_BOOT_SWAP_TEST: return "test";
    case MS_BOOT_SWAP_PERM: return "permanent";
    case MS_BOOT_SWAP_REVERT: return "revert";
    case MS_BOOT_SWAP_FAIL: return "rejected";
    default: return "none";
    }
}

/* Write a file into a slot (erasing it first). */
static int put_slot(const ms_flash_area_t *fa, const char *file)
{
    size_t len;
    uint8_t *data = read_file(file, &len);
    if (data == NULL) {
        fprintf(stderr, "meterseal-sim: cannot read %s: %s\n", file, strerror(errno));
        return 3;
    }
    if (len > fa->size) {
        free(data);
        return fail(file, MS_ERR_IMG_TOO_LARGE);
    }
    size_t padded = (len + 7u) / 8u * 8u;
    uint8_t *tmp = realloc(data, padded ? padded : 1);
    if (tmp == NULL) {
        free(data);
        return 3;
    }
    memset(tmp + len, 0xff, padded - len);
    ms_err_t err = ms_flash_area_erase_all(fa);
    if (err == MS_OK) {
        err = ms_flash_area_write(fa, 0, tmp, padded);
    }
    free(tmp);
    return err == MS_OK ? 0 : fail("write slot", err);
}

static int cmd_flash(int argc, char **argv)
{
    int i;
    if (argc != 2 || (i = image_index(argv[0])) < 0) {
        fprintf(stderr, "usage: meterseal-sim flash s|ns IMAGE\n");
        return 1;
    }
    int rc = put_slot(&S.images[i].primary, argv[1]);
    if (rc == 0) {
        printf("flashed %s primary slot with %s\n", image_name((size_t)i), argv[1]);
    }
    return rc;
}

static int cmd_stage(int argc, char **argv)
{
    int i;
    bool perm = argc == 3 && strcmp(argv[2], "--permanent") == 0;
    if ((argc != 2 && !perm) || (i = image_index(argv[0])) < 0) {
        fprintf(stderr, "usage: meterseal-sim stage s|ns IMAGE [--permanent]\n");
        return 1;
    }
    int rc = put_slot(&S.images[i].secondary, argv[1]);
    if (rc != 0) {
        return rc;
    }
    ms_err_t err = ms_boot_set_pending(&S.cfg, (size_t)i, perm);
    if (err != MS_OK) {
        return fail("set pending", err);
    }
    printf("staged %s update %s (%s); it is verified at the next reboot\n",
           image_name((size_t)i), argv[1], perm ? "permanent" : "test");
    return 0;
}

static void print_hash(const uint8_t *h)
{
    for (int k = 0; k < 8; k++) {
        printf("%02x", h[k]);
    }
}

static int cmd_reboot(void)
{
    ms_boot_result_t res;
    ms_err_t err = ms_boot_go(&boot_state, &S.cfg, &res);
    for (size_t i = 0; i < res.n_images; i++) {
        const ms_boot_image_record_t *r = &res.img[i];
        if (r->action != MS_BOOT_SWAP_NONE) {
            printf("%s update: %s%s%s\n", image_name(i), swap_name(r->action),
                   r->update_err ? " " : "", r->update_err ? ms_errname(r->update_err) : "");
        }
        if (r->verify_err != MS_OK) {
            printf("%s image: not verified: %s\n", image_name(i), ms_errname(r->verify_err));
        }
    }
    if (err != MS_OK) {
        printf("boot refused: %s (%s)\n", ms_errname(err), ms_strerror(err));
        return 2;
    }
    for (size_t i = 0; i < res.n_images; i++) {
        const ms_boot_image_record_t *r = &res.img[i];
        printf("%s v%u.%u.%u+%lu sec_cnt=%lu %s jump=0x%08lx sha256=", image_name(i),
               r->m.version.major, r->m.version.minor, r->m.version.revision,
               (unsigned long)r->m.version.build,
               (unsigned long)(r->m.has_sec_cnt ? r->m.sec_cnt : 0),
               r->confirmed ? "confirmed" : "UNCONFIRMED(test)", (unsigned long)r->jump_addr);
        print_hash(r->m.hash);
        printf("...\n");
    }
    printf("boot: handover to the Secure image at 0x%08lx\n", (unsigned long)res.img[0].jump_addr);
    return 0;
}

static int cmd_confirm(int argc, char **argv)
{
    int i;
    if (argc != 1 || (i = image_index(argv[0])) < 0) {
        fprintf(stderr, "usage: meterseal-sim confirm s|ns\n");
        return 1;
    }
    ms_err_t err = ms_boot_confirm(&S.cfg, (size_t)i);
    if (err != MS_OK) {
        return fail("confirm", err);
    }
    printf("%s image confirmed\n", image_name((size_t)i));
    return 0;
}

static const char *magic_name(ms_boot_magic_state_t m)
{
    return m == MS_BOOT_MAGIC_GOOD ? "good" : m == MS_BOOT_MAGIC_UNSET ? "unset" : "bad";
}

static const char *flag_name(ms_boot_flag_state_t f)
{
    return f == MS_BOOT_FLAG_SET ? "set" : f == MS_BOOT_FLAG_UNSET ? "unset" : "bad";
}

static int cmd_status(void)
{
    printf("strategy: %s; security configuration: %s\n", S.cfg.strategy->name,
           ms_host_seccfg_check(&S.plat.seccfg, NULL) == MS_OK ? "ok" : "WRONG");
    for (size_t i = 0; i < 2; i++) {
        uint32_t cnt = 0;
        ms_host_seccnt_ops.get(&S.plat.seccnt, (uint8_t)i, &cnt);
        printf("%s security counter %lu\n", image_name(i), (unsigned long)cnt);
        for (int s = 0; s < 2; s++) {
            const ms_flash_area_t *fa = s ? &S.images[i].secondary : &S.images[i].primary;
            ms_boot_trailer_state_t st;
            ms_image_reader_t r;
            ms_image_info_t info;
            ms_image_reader_flash(&r, fa);
            printf("   %s: ", s ? "secondary" : "primary  ");
            if (ms_image_parse(&r, &info) == MS_OK) {
                printf("v%u.%u.%u+%lu %lu bytes", info.hdr.version.major, info.hdr.version.minor,
                       info.hdr.version.revision, (unsigned long)info.hdr.version.build,
                       (unsigned long)info.end);
            } else {
                printf("no image");
            }
            if (ms_boot_read_trailer(&S.cfg, fa, &st) == MS_OK) {
                printf("; trailer magic=%s image_ok=%s copy_done=%s\n", magic_name(st.magic),
                       flag_name(st.image_ok), flag_name(st.copy_done));
            } else {
                printf("\n");
            }
        }
    }
    return 0;
}

static int cmd_log(void)
{
    size_t len;
    uint8_t *b = read_file(path_in("boot.log"), &len);
    if (b != NULL) {
        fwrite(b, 1, len, stdout);
        free(b);
    }
    return 0;
}

static int cmd_seccfg(int argc, char **argv)
{
    if (argc != 1) {
        fprintf(stderr, "usage: meterseal-sim seccfg NAME=VALUE | reset\n");
        return 1;
    }
    if (strcmp(argv[0], "reset") == 0) {
        remove(path_in("seccfg"));
        printf("security configuration reset\n");
        return 0;
    }
    FILE *fp = fopen(path_in("seccfg"), "a");
    if (fp == NULL) {
        return 3;
    }
    fprintf(fp, "%s\n", argv[0]);
    fclose(fp);
    ms_host_seccfg_t regs;
    ms_host_seccfg_default(&regs);
    if (ms_host_seccfg_load(&regs, path_in("seccfg")) != MS_OK) {
        fprintf(stderr, "meterseal-sim: unknown register in '%s'\n", argv[0]);
        return 1;
    }
    printf("security register set: %s\n", argv[0]);
    return 0;
}

static int load_key(const char *file, ms_p256_priv_t *priv, ms_p256_pub_t *pub, bool need_priv)
{
    size_t len;
    bool has_priv = false;
    uint8_t *b = read_file(file, &len);
    if (b == NULL) {
        fprintf(stderr, "meterseal-sim: cannot read %s\n", file);
        return 3;
    }
    ms_err_t err = ms_p256_key_parse(b, len, priv, pub, &has_priv);
    ms_secure_zero(b, len);
    free(b);
    if (err == MS_OK && need_priv && !has_priv) {
        err = MS_ERR_KEY_FORMAT;
    }
    return err == MS_OK ? 0 : fail(file, err);
}

static int cmd_provision_key(int argc, char **argv)
{
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    if (argc != 1) {
        fprintf(stderr, "usage: meterseal-sim provision-key ENC-PRIVATE.pem\n");
        return 1;
    }
    int rc = load_key(argv[0], &priv, &pub, true);
    if (rc == 0) {
        ms_err_t err = ms_host_keystore_provision(path_in("enckey"), &priv);
        rc = err == MS_OK ? 0 : fail("key store", err);
    }
    ms_secure_zero(&priv, sizeof(priv));
    if (rc == 0) {
        printf("image-decryption key stored in the key store\n");
    }
    return rc;
}

/* provision-rot: program the vendor's public key into the OTP, once (M5). */
static int cmd_provision_rot(int argc, char **argv)
{
    ms_p256_priv_t priv;
    ms_p256_pub_t pub;
    struct stat st;
    if (argc != 1) {
        fprintf(stderr, "usage: meterseal-sim provision-rot VENDOR-PUB.pem\n");
        return 1;
    }
    if (stat(path_in("otp-rot"), &st) == 0) {
        return fail("provision-rot: the OTP is already programmed", MS_ERR_STATE);
    }
    int rc = load_key(argv[0], &priv, &pub, false);
    ms_secure_zero(&priv, sizeof(priv));
    if (rc != 0) {
        return rc;
    }
    if (write_file(path_in("otp-rot"), pub.q, sizeof(pub.q)) != 0) {
        return 3;
    }
    chmod(path_in("otp-rot"), 0400);
    uint8_t h[MS_SHA256_LEN];
    ms_image_key_hash(&pub, h);
    printf("root of trust programmed (write-once); key hash ");
    for (size_t k = 0; k < sizeof(h); k++) {
        printf("%02x", h[k]);
    }
    printf("\n");
    return 0;
}

/* mkimage: build a signed (optionally encrypted) test firmware image. */
static int cmd_mkimage(int argc, char **argv)
{
    const char *key = NULL, *enc = NULL, *out = NULL, *in = NULL;
    ms_image_sign_opts_t o;
    unsigned long size = 16384, seed = 1;
    ms_image_sign_opts_init(&o);
    o.hdr_size = 0x200;
    o.pad_header = true;
    o.align = 8;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        unsigned ma = 0, mi = 0, rev = 0;
        unsigned long bld = 0;
        if (strcmp(a, "--key") == 0 && v) {
            key = v, i++;
        } else if (strcmp(a, "--encrypt") == 0 && v) {
            enc = v, i++;
        } else if (strcmp(a, "--in") == 0 && v) {
            in = v, i++;
        } else if (strcmp(a, "--size") == 0 && v) {
            size = strtoul(v, NULL, 0), i++;
        } else if (strcmp(a, "--seed") == 0 && v) {
            seed = strtoul(v, NULL, 0), i++;
        } else if (strcmp(a, "--sec-cnt") == 0 && v) {
            o.has_sec_cnt = true, o.sec_cnt = (uint32_t)strtoul(v, NULL, 0), i++;
        } else if (strcmp(a, "--version") == 0 && v &&
                   sscanf(v, "%u.%u.%u+%lu", &ma, &mi, &rev, &bld) >= 2) {
            o.version = (ms_image_version_t){(uint8_t)ma, (uint8_t)mi, (uint16_t)rev, (uint32_t)bld};
            i++;
        } else if (a[0] != '-' && out == NULL) {
            out = a;
        } else {
            out = NULL;
            key = NULL;
            break;
        }
    }
    if (key == NULL || out == NULL || size > 0x3c000) {
        fprintf(stderr, "usage: meterseal-sim mkimage --key SIGN.pem [--version X.Y.Z+B] "
                        "[--sec-cnt N] [--encrypt ENC-PUB.pem] [--size BYTES | --in FILE] "
                        "[--seed N] OUT\n");
        return 1;
    }
    ms_p256_priv_t priv;
    ms_p256_pub_t pub, enc_pub;
    int rc = load_key(key, &priv, &pub, true);
    if (rc == 0 && enc != NULL) {
        ms_p256_priv_t unused;
        rc = load_key(enc, &unused, &enc_pub, false);
        o.enc_pub = &enc_pub;
        o.enc_key_len = 16;
    }
    uint8_t *payload = NULL;
    size_t plen = size;
    if (rc == 0 && in != NULL) {
        payload = read_file(in, &plen);
        rc = payload ? 0 : 3;
    } else if (rc == 0) {
        payload = malloc(plen ? plen : 1);
        uint32_t x = (uint32_t)seed * 2654435761u + 1u;
        for (size_t k = 0; k < plen; k++) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            payload[k] = (uint8_t)x;
        }
    }
    size_t cap = plen + 0x200 + 1024, olen = 0;
    uint8_t *img = rc == 0 ? malloc(cap) : NULL;
    if (rc == 0) {
        ms_err_t err = ms_image_sign(payload, plen, &priv, &o, img, cap, &olen);
        rc = err == MS_OK ? 0 : fail("sign", err);
    }
    if (rc == 0 && write_file(out, img, olen) != 0) {
        rc = 3;
    }
    if (rc == 0) {
        printf("wrote %s: %zu bytes, v%u.%u.%u+%lu%s\n", out, olen, o.version.major,
               o.version.minor, o.version.revision, (unsigned long)o.version.build,
               enc ? ", encrypted" : "");
    }
    ms_secure_zero(&priv, sizeof(priv));
    free(payload);
    free(img);
    return rc;
}

static void usage(void)
{
    printf("usage: meterseal-sim [--dir DIR] [--strategy swap|overwrite] COMMAND ...\n"
           "A simulated smart meter: flash, security counters, key store and boot log are\n"
           "files in DIR (default ./meter). Commands:\n"
           "  flash s|ns IMAGE             factory: write an image into the primary slot\n"
           "  stage s|ns IMAGE [--permanent]  write an update to the secondary slot, mark it pending\n"
           "  reboot                       run the boot loader (S11-S14) and show the hand-over\n"
           "  confirm s|ns                 the running image confirms itself\n"
           "  status                       slots, trailers and security counters\n"
           "  log                          the boot log\n"
           "  seccfg NAME=VALUE | reset    change a simulated security register (S12)\n"
           "  provision-key ENC.pem        store the image-decryption key in the key store\n"
           "  provision-rot PUB.pem        program the trusted signing key into OTP (once;\n"
           "                               until then the compiled-in development key)\n"
           "  mkimage --key K.pem ... OUT  build a signed test image (see 'mkimage' alone)\n"
           "Exit codes: 0 ok, 1 usage, 2 boot refused, 3 other failure.\n");
}

int main(int argc, char **argv)
{
    const char *strategy = NULL, *dir = "meter";
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strcmp(argv[i], "--strategy") == 0 && i + 1 < argc) {
            strategy = argv[++i];
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage();
            return 0;
        } else {
            usage();
            return 1;
        }
    }
    if (i >= argc) {
        usage();
        return 1;
    }
    const char *cmd = argv[i++];
    int n = argc - i;
    char **rest = argv + i;
    if (strcmp(cmd, "mkimage") == 0) {
        return cmd_mkimage(n, rest);
    }
    int rc = sim_open(dir, strategy);
    if (rc != 0) {
        return rc;
    }
    if (strcmp(cmd, "flash") == 0) {
        rc = cmd_flash(n, rest);
    } else if (strcmp(cmd, "stage") == 0) {
        rc = cmd_stage(n, rest);
    } else if (strcmp(cmd, "reboot") == 0) {
        rc = cmd_reboot();
    } else if (strcmp(cmd, "confirm") == 0) {
        rc = cmd_confirm(n, rest);
    } else if (strcmp(cmd, "status") == 0) {
        rc = cmd_status();
    } else if (strcmp(cmd, "log") == 0) {
        rc = cmd_log();
    } else if (strcmp(cmd, "seccfg") == 0) {
        rc = cmd_seccfg(n, rest);
    } else if (strcmp(cmd, "provision-key") == 0) {
        rc = cmd_provision_key(n, rest);
    } else if (strcmp(cmd, "provision-rot") == 0) {
        rc = cmd_provision_rot(n, rest);
    } else {
        usage();
        rc = 1;
    }
    sim_close();
    return rc;
}
