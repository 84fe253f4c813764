/* SPDX-License-Identifier: Apache-2.0 */
/*
 * meterseal-an505 - prepares and inspects the flash file of a meter that
 * runs on QEMU mps2-an505, the way a factory programmer or a service tool
 * works on a real part's flash: the same layout (platform/an505/an505_map.h),
 * the same NOR rules (platform/host/flash_sim.c) and the same OTP records
 * (platform/an505/otp.c) as the firmware.
 *
 *   meterseal-an505 init FLASH [--force]
 *   meterseal-an505 otp FLASH [--rot-key KEY]... [--enc-key KEY] [--huk-random]
 *                             [--update swap|overwrite] [--lock]
 *   meterseal-an505 write FLASH --slot SLOT IMAGE     SLOT: s-primary, s-secondary,
 *                                                     ns-primary, ns-secondary
 *   meterseal-an505 pending FLASH --image s|ns [--permanent]
 *   meterseal-an505 confirm FLASH --image s|ns
 *   meterseal-an505 show FLASH
 *
 * Exit status: 0 done, 1 refused (the flash or OTP says no), 2 usage,
 * 3 a file could not be read or written. Failures print one line on stderr.
 * Private keys are never printed.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "an505_map.h"
#include "flash_sim.h"
#include "meterseal/boot.h"
#include "meterseal/crypto.h"
#include "meterseal/image.h"
#include "otp.h"

typedef struct meter_flash {
    ms_flash_sim_t sim;
    ms_flash_area_t otp;
    ms_boot_image_cfg_t images[MS_BOOT_MAX_IMAGES];
    ms_boot_config_t cfg;
    ms_image_key_anchor_t anchor;   /* unused by the control verbs, required by cfg */
    ms_boot_hooks_t hooks;
    uint8_t buf[1024];
} meter_flash_t;

static const char *verb = "meterseal-an505";

static int usage(void)
{
    fprintf(stderr,
            "usage: meterseal-an505 init FLASH [--force]\n"
            "       meterseal-an505 otp FLASH [--rot-key KEY]... [--enc-key KEY] [--huk-random]\n"
            "                                 [--update swap|overwrite] [--lock]\n"
            "       meterseal-an505 write FLASH --slot s-primary|s-secondary|ns-primary|ns-secondary IMAGE\n"
            "       meterseal-an505 pending FLASH --image s|ns [--permanent]\n"
            "       meterseal-an505 confirm FLASH --image s|ns\n"
            "       meterseal-an505 show FLASH\n");
    return 2;
}

static int fail(const char *what, ms_err_t err)
{
    fprintf(stderr, "meterseal-an505: %s: %s: %s\n", verb, what, ms_strerror(err));
    return err == MS_ERR_IO ? 3 : 1;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        return NULL;
    }
    uint8_t *b = NULL;
    if (fseek(fp, 0, SEEK_END) == 0) {
        long n = ftell(fp);
        if (n >= 0 && fseek(fp, 0, SEEK_SET) == 0 && (b = malloc((size_t)n + 1)) != NULL) {
            *len = fread(b, 1, (size_t)n, fp);
            if (*len != (size_t)n) {
                free(b);
                b = NULL;
            }
        }
    }
    fclose(fp);
    return b;
}

static ms_err_t no_seccfg(void *ctx)
{
    (void)ctx;
    return MS_OK;
}

static ms_err_t no_counter(void *ctx, uint8_t id, uint32_t *v)
{
    (void)ctx;
    (void)id;
    *v = 0;
    return MS_OK;
}

static ms_err_t no_update(void *ctx, uint8_t id, uint32_t v)
{
    (void)ctx;
    (void)id;
    (void)v;
    return MS_OK;
}

static const ms_boot_seccnt_ops_t no_seccnt = {NULL, no_counter, no_update};

/* Open an existing flash file (never creates one: that is `init`). */
static int dev_open(meter_flash_t *d, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || st.st_size != AN505_FLASH_FILE_SIZE) {
        fprintf(stderr, "meterseal-an505: %s: %s is not a meter flash file (run init)\n",
                verb, path);
        return 3;
    }
    ms_err_t err = ms_flash_sim_open(&d->sim, path, AN505_FLASH_FILE_SIZE, AN505_FLASH_SECTOR,
                                     AN505_FLASH_WRITE_ALIGN, 0xFF);
    if (err != MS_OK) {
        return fail(path, MS_ERR_IO);
    }
    d->otp = (ms_flash_area_t){.flash = &d->sim.flash, .off = AN505_OTP_OFF,
                               .size = AN505_OTP_SIZE};
    static const uint32_t slots[2][2] = {
        {AN505_SLOT_S_PRIMARY, AN505_SLOT_S_SECONDARY},
        {AN505_SLOT_NS_PRIMARY, AN505_SLOT_NS_SECONDARY},
    };
    for (size_t i = 0; i < MS_BOOT_MAX_IMAGES; i++) {
        d->images[i] = (ms_boot_image_cfg_t){
            .image_id = (uint8_t)i,
            .primary = {.flash = &d->sim.flash, .off = slots[i][0], .size = AN505_SLOT_SIZE},
            .secondary = {.flash = &d->sim.flash, .off = slots[i][1], .size = AN505_SLOT_SIZE},
        };
    }
    ms_otp_update_t update = MS_OTP_UPDATE_SWAP_MOVE;
    if ((err = ms_otp_update_get(&d->otp, &update)) != MS_OK) {
        return fail("OTP update word", err);
    }
    d->hooks = (ms_boot_hooks_t){.check_security_config = no_seccfg, .seccnt = &no_seccnt};
    d->cfg = (ms_boot_config_t){
        .images = d->images,
        .n_images = MS_BOOT_MAX_IMAGES,
        .strategy = update == MS_OTP_UPDATE_OVERWRITE ? &ms_boot_strategy_overwrite
                                                       : &ms_boot_strategy_swap_move,
        .anchors = &d->anchor,
        .n_anchors = 1,
        .hooks = &d->hooks,
        .max_align = 8,
        .max_sectors = 128,
        .buf = d->buf,
        .buf_len = sizeof(d->buf),
    };
    return 0;
}

static int image_index(const char *name, size_t *i)
{
    if (name != NULL && strcmp(name, "s") == 0) {
        *i = MS_BOOT_IMAGE_SECURE;
        return 0;
    }
    if (name != NULL && strcmp(name, "ns") == 0) {
        *i = MS_BOOT_IMAGE_NONSECURE;
        return 0;
    }
    fprintf(stderr, "meterseal-an505: %s: --image must be s or ns\n", verb);
    return 2;
}

/* ---- verbs ------------------------------------------------------------------ */

static int cmd_init(const char *path, int force)
{
    struct stat st;
    if (!force && stat(path, &st) == 0) {
        fprintf(stderr, "meterseal-an505: init: %s exists (use --force to replace it)\n", path);
        return 1;
    }
    remove(path);
    ms_flash_sim_t sim;
    if (ms_flash_sim_open(&sim, path, AN505_FLASH_FILE_SIZE, AN505_FLASH_SECTOR,
                          AN505_FLASH_WRITE_ALIGN, 0xFF) != MS_OK) {
        return fail(path, MS_ERR_IO);
    }
    ms_flash_sim_close(&sim);
    printf("erased meter flash file %s (%u bytes)\n", path, (unsigned)AN505_FLASH_FILE_SIZE);
    return 0;
}

static int load_key(const char *path, ms_p256_priv_t *priv, ms_p256_pub_t *pub, int need_priv)
{
    size_t len = 0;
    uint8_t *buf = read_file(path, &len);
    if (buf == NULL) {
        fprintf(stderr, "meterseal-an505: %s: cannot read %s\n", verb, path);
        return 3;
    }
    bool has_priv = false;
    ms_err_t err = ms_p256_key_parse(buf, len, priv, pub, &has_priv);
    ms_secure_zero(buf, len);
    free(buf);
    if (err == MS_OK && need_priv && !has_priv) {
        err = MS_ERR_KEY_FORMAT;
    }
    return err == MS_OK ? 0 : fail(path, err);
}

static int cmd_otp(meter_flash_t *d, char **rot_keys, int n_rot, const char *enc_key, int huk_random,
                   const char *update, int lock)
{
    int rc;
    ms_err_t err;
    for (int i = 0; i < n_rot; i++) {
        ms_p256_priv_t priv;
        ms_p256_pub_t pub;
        uint8_t hash[MS_SHA256_LEN];
        if ((rc = load_key(rot_keys[i], &priv, &pub, 0)) != 0) {
            return rc;
        }
        ms_secure_zero(&priv, sizeof(priv));
        if ((err = ms_image_key_hash(&pub, hash)) != MS_OK ||
            (err = ms_otp_rot_program(&d->otp, hash)) != MS_OK) {
            return fail("program root-of-trust key hash", err);
        }
        printf("programmed root-of-trust key hash ");
        for (size_t j = 0; j < sizeof(hash); j++) {
            printf("%02x", hash[j]);
        }
        printf("\n");
    }
    if (enc_key != NULL) {
        ms_p256_priv_t priv;
        ms_p256_pub_t pub;
        if ((rc = load_key(enc_key, &priv, &pub, 1)) != 0) {
            return rc;
        }
        err = ms_otp_key_program(&d->otp, MS_OTP_KEY_IMAGE_ENC, priv.d);
        ms_secure_zero(&priv, sizeof(priv));
        if (err != MS_OK) {
            return fail("program image decryption key", err);
        }
        printf("programmed image decryption key\n");
    }
    if (huk_random) {
        uint8_t huk[MS_OTP_KEY_LEN];
        err = ms_random(huk, sizeof(huk));
        if (err == MS_OK) {
            err = ms_otp_key_program(&d->otp, MS_OTP_KEY_HUK, huk);
        }
        ms_secure_zero(huk, sizeof(huk));
        if (err != MS_OK) {
            return fail("program hardware unique key", err);
        }
        printf("programmed a random hardware unique key\n");
    }
    if (update != NULL) {
        ms_otp_update_t u;
        if (strcmp(update, "swap") == 0) {
            u = MS_OTP_UPDATE_SWAP_MOVE;
        } else if (strcmp(update, "overwrite") == 0) {
            u = MS_OTP_UPDATE_OVERWRITE;
        } else {
            fprintf(stderr, "meterseal-an505: otp: --update must be swap or overwrite\n");
            return 2;
        }
        if ((err = ms_otp_update_program(&d->otp, u)) != MS_OK) {
            return fail("program update strategy", err);
        }
        printf("update strategy: %s\n", update);
    }
    if (lock) {
        if ((err = ms_otp_lcs_secure(&d->otp)) != MS_OK) {
            return fail("secure the life-cycle", err);
        }
        printf("life-cycle: secured\n");
    }
    return 0;
}

static const struct {
    const char *name;
    uint32_t off;
} slot_names[] = {
    {"s-primary", AN505_SLOT_S_PRIMARY},
    {"s-secondary", AN505_SLOT_S_SECONDARY},
    {"ns-primary", AN505_SLOT_NS_PRIMARY},
    {"ns-secondary", AN505_SLOT_NS_SECONDARY},
};

static int cmd_write(meter_flash_t *d, const char *slot, const char *image)
{
    const ms_flash_area_t *fa = NULL;
    ms_flash_area_t area;
    for (size_t i = 0; i < sizeof(slot_names) / sizeof(slot_names[0]); i++) {
        if (slot != NULL && strcmp(slot, slot_names[i].name) == 0) {
            area = (ms_flash_area_t){.flash = &d->sim.flash, .off = slot_names[i].off,
                                     .size = AN505_SLOT_SIZE};
            fa = &area;
        }
    }
    if (fa == NULL) {
        fprintf(stderr, "meterseal-an505: write: --slot must be s-primary, s-secondary, "
                        "ns-primary or ns-secondary\n");
        return 2;
    }
    size_t len = 0;
    uint8_t *buf = read_file(image, &len);
    if (buf == NULL) {
        fprintf(stderr, "meterseal-an505: write: cannot read %s\n", image);
        return 3;
    }
    size_t padded = (len + AN505_FLASH_WRITE_ALIGN - 1) / AN505_FLASH_WRITE_ALIGN *
                    AN505_FLASH_WRITE_ALIGN;
    ms_err_t err = MS_OK;
    if (padded > AN505_SLOT_SIZE) {
        err = MS_ERR_IMG_TOO_LARGE;
    } else {
        uint8_t *p = realloc(buf, padded ? padded : 1);
        if (p == NULL) {
            err = MS_ERR_IO;
        } else {
            buf = p;
            memset(buf + len, 0xFF, padded - len);
            err = ms_flash_area_erase_all(fa);
            if (err == MS_OK) {
                err = ms_flash_area_write(fa, 0, buf, padded);
            }
        }
    }
    free(buf);
    if (err != MS_OK) {
        return fail(image, err);
    }
    printf("wrote %s (%zu bytes) to %s\n", image, len, slot);
    return 0;
}

static void show_trailer(meter_flash_t *d, const char *name, const ms_flash_area_t *fa)
{
    ms_boot_trailer_state_t st;
    static const char *const magic[] = {"?", "good", "unset", "bad"};
    static const char *const flag[] = {"?", "set", "unset", "bad"};
    if (ms_boot_read_trailer(&d->cfg, fa, &st) != MS_OK) {
        printf("  %-13s trailer unreadable\n", name);
        return;
    }
    printf("  %-13s magic=%s swap_type=%u copy_done=%s image_ok=%s\n", name,
           magic[st.magic & 3], st.swap_type, flag[st.copy_done & 3], flag[st.image_ok & 3]);
}

static int cmd_show(meter_flash_t *d)
{
    uint8_t hashes[MS_OTP_ROT_SLOTS][MS_SHA256_LEN];
    uint32_t n = 0;
    ms_otp_lcs_t lcs;
    ms_otp_update_t update;
    uint8_t key[MS_OTP_KEY_LEN];
    ms_err_t err;
    if ((err = ms_otp_rot_read(&d->otp, hashes, MS_OTP_ROT_SLOTS, &n)) != MS_OK ||
        (err = ms_otp_lcs_get(&d->otp, &lcs)) != MS_OK ||
        (err = ms_otp_update_get(&d->otp, &update)) != MS_OK) {
        return fail("OTP", err);
    }
    printf("otp:\n  life-cycle: %s\n  update strategy: %s\n",
           lcs == MS_OTP_LCS_OPEN ? "open" : "secured",
           update == MS_OTP_UPDATE_OVERWRITE ? "overwrite" : "swap");
    for (uint32_t i = 0; i < n; i++) {
        printf("  root-of-trust key hash %u: ", (unsigned)i);
        for (size_t j = 0; j < MS_SHA256_LEN; j++) {
            printf("%02x", hashes[i][j]);
        }
        printf("\n");
    }
    err = ms_otp_key_read(&d->otp, MS_OTP_KEY_IMAGE_ENC, key);
    printf("  image decryption key: %s\n", err == MS_OK ? "programmed" : "absent");
    err = ms_otp_key_read(&d->otp, MS_OTP_KEY_HUK, key);
    printf("  hardware unique key: %s\n", err == MS_OK ? "programmed" : "absent");
    ms_secure_zero(key, sizeof(key));
    printf("security counters:\n");
    for (uint32_t id = 0; id < MS_BOOT_MAX_IMAGES; id++) {
        uint32_t v = 0;
        if ((err = ms_otp_counter_get(&d->otp, id, &v)) != MS_OK) {
            return fail("OTP counter", err);
        }
        printf("  image %u: %u\n", (unsigned)id, (unsigned)v);
    }
    printf("trailers:\n");
    show_trailer(d, "s-primary", &d->images[0].primary);
    show_trailer(d, "s-secondary", &d->images[0].secondary);
    show_trailer(d, "ns-primary", &d->images[1].primary);
    show_trailer(d, "ns-secondary", &d->images[1].secondary);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3 || strcmp(argv[1], "--help") == 0) {
        return usage();
    }
    verb = argv[1];
    const char *path = argv[2];
    enum { O_FORCE = 1, O_ROT, O_ENC, O_HUK, O_UPDATE, O_LOCK, O_SLOT, O_IMAGE, O_PERM };
    static const struct option opts[] = {
        {"force", no_argument, NULL, O_FORCE},
        {"rot-key", required_argument, NULL, O_ROT},
        {"enc-key", required_argument, NULL, O_ENC},
        {"huk-random", no_argument, NULL, O_HUK},
        {"update", required_argument, NULL, O_UPDATE},
        {"lock", no_argument, NULL, O_LOCK},
        {"slot", required_argument, NULL, O_SLOT},
        {"image", required_argument, NULL, O_IMAGE},
        {"permanent", no_argument, NULL, O_PERM},
        {NULL, 0, NULL, 0},
    };
    int force = 0, huk = 0, lock = 0, perm = 0, n_rot = 0;
    char *rot[MS_OTP_ROT_SLOTS];
    const char *enc = NULL, *update = NULL, *slot = NULL, *image = NULL;
    optind = 3;
    for (int c; (c = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
        switch (c) {
        case O_FORCE: force = 1; break;
        case O_ROT:
            if (n_rot == (int)MS_OTP_ROT_SLOTS) {
                fprintf(stderr, "meterseal-an505: otp: at most %u --rot-key\n",
                        (unsigned)MS_OTP_ROT_SLOTS);
                return 2;
            }
            rot[n_rot++] = optarg;
            break;
        case O_ENC: enc = optarg; break;
        case O_HUK: huk = 1; break;
        case O_UPDATE: update = optarg; break;
        case O_LOCK: lock = 1; break;
        case O_SLOT: slot = optarg; break;
        case O_IMAGE: image = optarg; break;
        case O_PERM: perm = 1; break;
        default: return usage();
        }
    }
    if (strcmp(verb, "init") == 0) {
        return optind == argc ? cmd_init(path, force) : usage();
    }
    static meter_flash_t d;
    int rc = dev_open(&d, path);
    if (rc != 0) {
        return rc;
    }
    size_t idx = 0;
    ms_err_t err = MS_OK;
    if (strcmp(verb, "otp") == 0 && optind == argc) {
        rc = cmd_otp(&d, rot, n_rot, enc, huk, update, lock);
    } else if (strcmp(verb, "write") == 0 && optind == argc - 1) {
        rc = cmd_write(&d, slot, argv[optind]);
    } else if (strcmp(verb, "pending") == 0 && optind == argc) {
        if ((rc = image_index(image, &idx)) == 0 &&
            (err = ms_boot_set_pending(&d.cfg, idx, perm)) != MS_OK) {
            rc = fail("set pending", err);
        }
    } else if (strcmp(verb, "confirm") == 0 && optind == argc) {
        if ((rc = image_index(image, &idx)) == 0 &&
            (err = ms_boot_confirm(&d.cfg, idx)) != MS_OK) {
            rc = fail("confirm", err);
        }
    } else if (strcmp(verb, "show") == 0 && optind == argc) {
        rc = cmd_show(&d);
    } else {
        rc = usage();
    }
    ms_flash_sim_close(&d.sim);
    return rc;
}
