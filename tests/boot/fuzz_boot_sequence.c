/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_boot_sequence.c - property fuzzer for the boot core's anti-rollback
 * and hand-over decision over a sequence of boots (M4, M6).
 *
 * The attacker controls only what anyone staging an update controls: the
 * secondary slot of each image and its trailer. Between boots the input
 * stages pre-signed images (security counters 0 to 3, one encrypted, one
 * NON_BOOTABLE, one signed with an untrusted key) as test or permanent
 * updates, patches raw bytes anywhere in a secondary slot or in its
 * trailer, forges its swap_info, erases its sectors; it boots, optionally
 * with a power cut at a chosen flash operation, and says when the running
 * ("good") firmware confirms itself. The primary slots, the counters and
 * the key store are written by the boot core only.
 *
 * Properties, after every boot:
 *   - a boot that returns MS_OK hands over, for every image, one of the
 *     pre-signed images that is signed with the trusted key and bootable,
 *     with its jump address, and whose security counter is not below the
 *     device's stored counter nor below the counter of any image the
 *     firmware confirmed (the predecessor of a confirmed image never comes
 *     back);
 *   - the stored counters never decrease (the counter store here keeps
 *     whatever it is given, so this is a property of the core);
 *   - the core never programs flash that is not erased, whatever the
 *     attacker left in a secondary trailer (MS_ERR_FLASH_NOT_ERASED from
 *     the simulator, as a boot result or a refused update's reason);
 *   - a boot fails (other than by a power cut) only if the attacker wrote
 *     to a secondary slot after a cut boot and before the boot that
 *     completed it (a swap or overwrite half done needs the bytes it left).
 *
 * Both strategies, one or two images, chosen by the first input byte.
 * Images are signed once; slots are 8 sectors of 1 KiB so that an input runs
 * in about a millisecond.
 *
 * Input: a config byte (bit 0 overwrite instead of swap-using-move, bit 1
 * two images, bit 2 factory image with counter 2 instead of 1, bit 3 counter
 * store provisioned with 0), then operations until the input ends (at most
 * MAX_OPS), each an opcode byte % 8 and its arguments (missing bytes read
 * as 0). `sel` picks the image: (sel >> 4) % images.
 *   0 stage      sel, mode, which     pre-signed image which % N_IMG into the
 *                                     secondary; mode % 3: leave it unmarked,
 *                                     mark test, mark permanent
 *   1 patch      sel, off lo, off hi, n, n bytes   raw bytes at off % slot
 *   2 tail patch sel, back, n, n bytes   raw bytes at slot - 64 + back % 64
 *                                     (magic, flags, swap_info, swap_size)
 *   3 erase      sel, sector
 *   4 boot       flags [, at, seed]   bit 0: cut power during flash
 *                                     operation at % 96 + 1; bit 1: the
 *                                     firmware confirms itself afterwards
 *   5 swap_info  sel, value           program the secondary's swap_info byte
 *   6 confirm  the running firmware confirms itself (if a boot handed over
 *              and no boot was tried since), e.g. after the attacker staged
 *   7 boot.
 * (n is taken % 16 + 1.)
 * A final boot (no cut) closes every input.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flash_sim.h"
#include "meterseal/boot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SECTOR   1024u
#define SLOT     (8u * SECTOR)
#define MAX_IMGS 2u
#define MAX_OPS  48u
#define N_IMG    7u

/* ---- the pre-signed images ---------------------------------------------- */

typedef struct signed_img {
    uint8_t data[5 * SECTOR];
    size_t len;
    uint8_t hash[MS_SHA256_LEN];
    uint32_t cnt;                 /* SEC_CNT, 0 when absent */
    bool may_boot;                /* trusted key and bootable */
} signed_img_t;

static signed_img_t imgs[N_IMG];
static ms_p256_priv_t sign_priv, other_priv, enc_priv;
static ms_p256_pub_t sign_pub, other_pub, enc_pub;
static ms_image_key_anchor_t anchor;
static bool ready;

static void sign_one(signed_img_t *im, uint32_t payload_len, uint8_t seed, bool has_cnt,
                     uint32_t cnt, bool encrypt, uint32_t flags, const ms_p256_priv_t *key)
{
    uint8_t payload[4 * SECTOR];
    for (uint32_t i = 0; i < payload_len; i++) {
        payload[i] = (uint8_t)(i * 31u + seed * 97u + (i >> 7));
    }
    ms_image_sign_opts_t o;
    ms_image_sign_opts_init(&o);
    o.hdr_size = 0x100;
    o.pad_header = true;
    o.align = 8;
    o.version.major = seed;
    o.has_sec_cnt = has_cnt;
    o.sec_cnt = cnt;
    o.flags = flags;
    if (encrypt) {
        o.enc_pub = &enc_pub;
        o.enc_key_len = 16;
    }
    ms_image_mem_t mem;
    ms_image_reader_t r;
    ms_image_info_t info;
    if (ms_image_sign(payload, payload_len, key, &o, im->data, sizeof(im->data), &im->len) !=
            MS_OK) {
        abort();
    }
    ms_image_reader_mem(&r, &mem, im->data, im->len);
    if (ms_image_parse(&r, &info) != MS_OK || !info.has_sha256) {
        abort();
    }
    memcpy(im->hash, info.sha256, sizeof(im->hash));
    im->cnt = has_cnt ? cnt : 0;
    im->may_boot = key == &sign_priv && !(flags & MS_IMAGE_F_NON_BOOTABLE);
}

static void init_once(void)
{
    if (ready) {
        return;
    }
    if (ms_p256_keygen(&sign_priv, &sign_pub) != MS_OK ||
        ms_p256_keygen(&other_priv, &other_pub) != MS_OK ||
        ms_p256_keygen(&enc_priv, &enc_pub) != MS_OK ||
        ms_image_key_hash(&sign_pub, anchor.key_hash) != MS_OK) {
        abort();
    }
    anchor.pub = &sign_pub;
    /* Sizes from one to four sectors, so swaps of different extents meet. */
    sign_one(&imgs[0], 700, 1, false, 0, false, 0, &sign_priv);
    sign_one(&imgs[1], 1500, 2, true, 1, false, 0, &sign_priv);
    sign_one(&imgs[2], 2600, 3, true, 2, false, 0, &sign_priv);
    sign_one(&imgs[3], 1900, 4, true, 2, true, 0, &sign_priv);
    sign_one(&imgs[4], 3500, 5, true, 3, false, 0, &sign_priv);
    sign_one(&imgs[5], 1200, 6, true, 3, false, MS_IMAGE_F_NON_BOOTABLE, &sign_priv);
    sign_one(&imgs[6], 900, 7, true, 3, false, 0, &other_priv);
    ready = true;
}

/* ---- the device ------------------------------------------------------------ */

static uint32_t counters[MAX_IMGS];

static ms_err_t cfg_ok(void *ctx)
{
    (void)ctx;
    return MS_OK;
}

static ms_err_t cnt_get(void *ctx, uint8_t id, uint32_t *v)
{
    (void)ctx;
    if (id >= MAX_IMGS) {
        return MS_ERR_ARG;
    }
    *v = counters[id];
    return MS_OK;
}

/* A dumb NV store: it keeps what it is given, lower or not, so "the counter
 * never decreases" is checked on the core, not enforced here. */
static ms_err_t cnt_update(void *ctx, uint8_t id, uint32_t v)
{
    (void)ctx;
    if (id >= MAX_IMGS) {
        return MS_ERR_ARG;
    }
    counters[id] = v;
    return MS_OK;
}

static ms_err_t get_enc_key(void *ctx, uint8_t image_id, ms_p256_priv_t *priv)
{
    (void)ctx;
    (void)image_id;
    *priv = enc_priv;
    return MS_OK;
}

static const ms_boot_seccnt_ops_t cnt_ops = {.get = cnt_get, .update = cnt_update};
static const ms_boot_hooks_t hooks = {
    .check_security_config = cfg_ok, .get_enc_key = get_enc_key, .seccnt = &cnt_ops,
};

typedef struct dev {
    ms_flash_sim_t sim;
    ms_boot_image_cfg_t img[MAX_IMGS];
    ms_boot_config_t cfg;
    uint32_t floor[MAX_IMGS];     /* no image below this may ever run again */
    bool running;                 /* the last boot handed over: the firmware runs */
    bool cut_pending;             /* the last boot was cut and not yet completed */
    bool tampered;                /* the attacker wrote while cut_pending */
} dev_t;

static dev_t dev;
static ms_boot_t boot;
static ms_boot_result_t res;
static uint8_t chunk[512];

typedef struct cursor {
    const uint8_t *p;
    size_t n;
} cursor_t;

static uint8_t next(cursor_t *c)
{
    if (c->n == 0) {
        return 0;
    }
    c->n--;
    return *c->p++;
}

static uint8_t *secondary(size_t image)
{
    return dev.sim.mem + dev.img[image].secondary.off;
}

static void attacker_writes(void)
{
    ms_flash_sim_power_on(&dev.sim);
    if (dev.cut_pending) {
        dev.tampered = true;
    }
}

static void device_reset(uint8_t config)
{
    size_t n = (config & 2u) ? 2 : 1;
    if (dev.sim.mem == NULL &&
        ms_flash_sim_open(&dev.sim, NULL, 2u * MAX_IMGS * SLOT, SECTOR, 8, 0xff) != MS_OK) {
        abort();
    }
    memset(dev.sim.mem, 0xff, dev.sim.flash.size);
    ms_flash_sim_power_on(&dev.sim);
    ms_flash_sim_cut_after(&dev.sim, 0, 0);
    for (size_t i = 0; i < MAX_IMGS; i++) {
        dev.img[i] = (ms_boot_image_cfg_t){
            .image_id = (uint8_t)i,
            .primary = {.flash = &dev.sim.flash, .off = (uint32_t)(2 * i * SLOT), .size = SLOT},
            .secondary = {.flash = &dev.sim.flash, .off = (uint32_t)((2 * i + 1) * SLOT),
                          .size = SLOT},
            .exec_base = (uint32_t)(0x10000000u + i * 0x100000u),
        };
        /* The factory image: counter 1 or 2, provisioned with it or with 0. */
        const signed_img_t *f = &imgs[(config & 4u) ? 2 : 1];
        memcpy(dev.sim.mem + dev.img[i].primary.off, f->data, f->len);
        counters[i] = (config & 8u) ? 0 : f->cnt;
        dev.floor[i] = counters[i];
    }
    dev.cfg = (ms_boot_config_t){
        .images = dev.img, .n_images = n,
        .strategy = (config & 1u) ? &ms_boot_strategy_overwrite : &ms_boot_strategy_swap_move,
        .anchors = &anchor, .n_anchors = 1, .hooks = &hooks, .max_align = 8,
        .max_sectors = 8, .buf = chunk, .buf_len = sizeof(chunk),
    };
    dev.running = false;
    dev.cut_pending = false;
    dev.tampered = false;
}

static const signed_img_t *handed_over(const ms_boot_image_record_t *rec)
{
    for (size_t k = 0; k < N_IMG; k++) {
        if (memcmp(rec->m.hash, imgs[k].hash, MS_SHA256_LEN) == 0) {
            return &imgs[k];
        }
    }
    return NULL;
}

/* The running firmware confirms itself; from then on nothing below its
 * security counter may run. */
static void confirm_running(void)
{
    if (!dev.running) {
        return;
    }
    for (size_t i = 0; i < dev.cfg.n_images; i++) {
        ms_err_t err = ms_boot_confirm(&dev.cfg, i);
        if (err != MS_OK && err != MS_ERR_STATE) {
            abort();
        }
        const signed_img_t *im = handed_over(&res.img[i]);
        if (err == MS_OK && im->cnt > dev.floor[i]) {
            dev.floor[i] = im->cnt;
        }
    }
}

/* One boot (with a power cut during flash operation n % 96 + 1 when `cut`),
 * then the properties; then, if it handed over and `confirm`, the running
 * firmware confirms itself. True when the boot handed over. */
static bool do_boot(cursor_t *c, bool cut, bool confirm)
{
    uint32_t before[MAX_IMGS];
    dev.running = false;
    memcpy(before, counters, sizeof(before));
    ms_flash_sim_power_on(&dev.sim);
    if (cut) {
        uint8_t at = next(c);
        uint8_t seed = next(c);
        ms_flash_sim_cut_after(&dev.sim, (uint64_t)(at % 96u) + 1u, seed * 2654435761u);
    }
    ms_err_t err = ms_boot_go(&boot, &dev.cfg, &res);
    ms_flash_sim_cut_after(&dev.sim, 0, 0);
    for (size_t i = 0; i < MAX_IMGS; i++) {
        if (counters[i] < before[i]) {
            abort();   /* a stored counter went down */
        }
        if (res.img[i].update_err == MS_ERR_FLASH_NOT_ERASED) {
            abort();   /* wrote over bytes it had not erased */
        }
    }
    if (err == MS_ERR_FLASH_NOT_ERASED) {
        abort();
    }
    if (err == MS_ERR_POWER_LOST) {
        dev.cut_pending = true;
        return false;
    }
    if (err != MS_OK) {
        if (!dev.tampered) {
            abort();   /* only the attacker's bytes under a half-done install may stop a boot */
        }
        return false;
    }
    dev.cut_pending = false;
    dev.tampered = false;
    for (size_t i = 0; i < dev.cfg.n_images; i++) {
        const ms_boot_image_record_t *rec = &res.img[i];
        const signed_img_t *im = handed_over(rec);
        if (im == NULL || !im->may_boot || rec->verify_err != MS_OK ||
            rec->jump_addr != dev.img[i].exec_base + 0x100u ||
            im->cnt < counters[i] || im->cnt < dev.floor[i] ||
            (rec->m.has_sec_cnt ? rec->m.sec_cnt : 0) != im->cnt) {
            abort();   /* handed over an image it must not run */
        }
        if (counters[i] > dev.floor[i]) {
            dev.floor[i] = counters[i];
        }
    }
    dev.running = true;
    if (confirm) {
        confirm_running();
    }
    return true;
}

static void stage(cursor_t *c, size_t image)
{
    uint8_t mode = next(c) % 3u;
    const signed_img_t *im = &imgs[next(c) % N_IMG];
    attacker_writes();
    memset(secondary(image), 0xff, SLOT);
    memcpy(secondary(image), im->data, im->len);
    if (mode != 0 && ms_boot_set_pending(&dev.cfg, image, mode == 2) != MS_OK) {
        abort();
    }
}

static void poke(cursor_t *c, size_t image, uint32_t off)
{
    uint32_t n = next(c) % 16u + 1u;
    attacker_writes();
    for (uint32_t k = 0; k < n; k++) {
        secondary(image)[(off + k) % SLOT] = next(c);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    init_once();
    cursor_t c = {data, size};
    device_reset(next(&c));
    size_t n_img = dev.cfg.n_images;
    ms_trailer_layout_t lay;
    if (ms_trailer_layout(SLOT, 8, 8, 8, false, 0, &lay) != MS_OK) {
        abort();
    }
    for (unsigned op = 0; op < MAX_OPS && c.n > 0; op++) {
        uint8_t code = next(&c) % 8u;
        size_t image = 0;
        if (code <= 3u || code == 5u) {
            image = (next(&c) >> 4) % n_img;
        }
        switch (code) {
        case 0:
            stage(&c, image);
            break;
        case 1: {
            uint32_t off = next(&c);
            off |= (uint32_t)next(&c) << 8;
            poke(&c, image, off % SLOT);
            break;
        }
        case 2:
            poke(&c, image, SLOT - 64u + next(&c) % 64u);
            break;
        case 3: {
            uint32_t sector = next(&c) % (SLOT / SECTOR);
            attacker_writes();
            memset(secondary(image) + sector * SECTOR, 0xff, SECTOR);
            break;
        }
        case 4: {
            uint8_t flags = next(&c);
            do_boot(&c, flags & 1u, flags & 2u);
            break;
        }
        case 5: {
            uint8_t v = next(&c);
            attacker_writes();
            secondary(image)[lay.swap_info_off] &= v;
            break;
        }
        case 6:
            confirm_running();
            break;
        default:
            do_boot(&c, false, false);
            break;
        }
    }
    /* Settle: power cuts are over; the device must come up. */
    for (int i = 0; i < 8 && !do_boot(&c, false, false); i++) {
        if (!dev.cut_pending) {
            break;   /* a failed boot after tampering: checked in do_boot */
        }
    }
    return 0;
}
