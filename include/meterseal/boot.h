/* SPDX-License-Identifier: Apache-2.0 */
/*
 * boot.h - the secure boot core: the boot loader's decision (S11-S14),
 * power-fail-safe updates (overwrite-only or swap-using-move with
 * test/permanent/revert), anti-rollback and the measured boot record.
 *
 * SPEC: M4 (fixed boot order S11-S14, both images verified on every boot),
 * M5 (trusted key anchored in the boot loader), M6 (verify before install,
 * power-cut safe install, old image kept on rejection, downgrade refused),
 * M7 boot half (encrypted images are decrypted while installing).
 *
 * Invariants the core keeps:
 *   - flash is reached only through ms_flash_area_* (hal.h);
 *   - no heap, no stdio; the only big buffers are the caller's (ms_boot_t
 *     and its chunk buffer), so the stack stays small;
 *   - an image is handed over only after its hash and signature were
 *     checked on this very boot, with the decision double-checked against
 *     fault injection;
 *   - the trailer layout is MCUboot's (magic, swap_info, copy_done,
 *     image_ok at the end of each slot), computed by ms_trailer_layout().
 * See docs/boot.md for the flash layout, the state machine and each error.
 */
#ifndef MS_BOOT_H
#define MS_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/crypto.h"
#include "meterseal/error.h"
#include "meterseal/hal.h"
#include "meterseal/image.h"

#define MS_BOOT_MAX_IMAGES 2u

/* Image numbers of the meter (M4: a Secure and a Non-secure image). */
#define MS_BOOT_IMAGE_SECURE    0u
#define MS_BOOT_IMAGE_NONSECURE 1u

/* ---- trailer state (MCUboot semantics) ------------------------------------ */

/* Swap types, with MCUboot's numbering (swap_info low nibble). */
typedef enum ms_boot_swap_type {
    MS_BOOT_SWAP_NONE = 1,   /* boot the primary slot as it is */
    MS_BOOT_SWAP_TEST = 2,   /* install the secondary; revert unless confirmed */
    MS_BOOT_SWAP_PERM = 3,   /* install the secondary for good */
    MS_BOOT_SWAP_REVERT = 4, /* put the previous image back */
    MS_BOOT_SWAP_FAIL = 5,   /* a pending image was rejected */
} ms_boot_swap_type_t;

/* Decoded trailer fields. */
typedef enum ms_boot_magic_state {
    MS_BOOT_MAGIC_GOOD = 1,
    MS_BOOT_MAGIC_UNSET = 2, /* erased */
    MS_BOOT_MAGIC_BAD = 3,   /* anything else (torn write, garbage) */
} ms_boot_magic_state_t;

typedef enum ms_boot_flag_state {
    MS_BOOT_FLAG_SET = 1,    /* 0x01 */
    MS_BOOT_FLAG_UNSET = 2,  /* erased */
    MS_BOOT_FLAG_BAD = 3,
} ms_boot_flag_state_t;

typedef struct ms_boot_trailer_state {
    ms_boot_magic_state_t magic;
    ms_boot_flag_state_t copy_done;
    ms_boot_flag_state_t image_ok;
    uint8_t swap_type;       /* ms_boot_swap_type_t; NONE when erased or invalid */
    uint8_t image_num;
    uint32_t swap_size;      /* bytes; 0 when erased */
} ms_boot_trailer_state_t;

/* ---- platform hooks ----------------------------------------------------- */

/*
 * The NV security counter (like MCUboot's security_cnt.h): one monotonic
 * counter per image. update() never lowers a counter: a lower value is
 * ignored and MS_OK returned.
 */
typedef struct ms_boot_seccnt_ops {
    ms_err_t (*init)(void *ctx);
    ms_err_t (*get)(void *ctx, uint8_t image_id, uint32_t *value);
    ms_err_t (*update)(void *ctx, uint8_t image_id, uint32_t value);
} ms_boot_seccnt_ops_t;

/* What happened, for the boot log. The core never prints. */
typedef enum ms_boot_event_kind {
    MS_BOOT_EV_ENTER,            /* S11 */
    MS_BOOT_EV_SECCFG_OK,        /* S12 */
    MS_BOOT_EV_SECCFG_FAIL,      /* S12: err says why; no boot */
    MS_BOOT_EV_PERIPH_FAIL,      /* S12 */
    MS_BOOT_EV_PENDING,          /* S13: value = swap type found */
    MS_BOOT_EV_RESUME,           /* S13: interrupted install resumed; value = swap type */
    MS_BOOT_EV_UPDATE_REJECTED,  /* S13: err says why; secondary marked */
    MS_BOOT_EV_INSTALLED,        /* S13: value = swap type done */
    MS_BOOT_EV_INSTALL_FAIL,     /* S13: err */
    MS_BOOT_EV_VERIFIED,         /* S14: value = security counter */
    MS_BOOT_EV_VERIFY_FAIL,      /* S14: err; no boot */
    MS_BOOT_EV_SECCNT_RAISED,    /* S14: value = new counter */
    MS_BOOT_EV_HANDOVER,         /* S14: value = jump address of image 0 */
} ms_boot_event_kind_t;

typedef struct ms_boot_event {
    ms_boot_event_kind_t kind;
    uint8_t image_id;
    ms_err_t err;
    uint32_t value;
} ms_boot_event_t;

/* "enter", "verified", ... for logs. Never NULL. */
const char *ms_boot_event_name(ms_boot_event_kind_t kind);

typedef struct ms_boot_hooks {
    /* S12: check SAU/IDAU, MPC/PPC, debug lock, secure VTOR. MS_OK or
     * MS_ERR_BOOT_SECURITY_CONFIG. Required. */
    ms_err_t (*check_security_config)(void *ctx);
    /* S12: initialise peripherals once the configuration is right. May be NULL. */
    ms_err_t (*init_peripherals)(void *ctx);
    /* The image-decryption private key from the TEE key store (M7). May be
     * NULL: encrypted updates are then rejected. */
    ms_err_t (*get_enc_key)(void *ctx, uint8_t image_id, ms_p256_priv_t *priv);
    /* Or the whole unwrap where the private key is (ms_image_unwrap_key's
     * contract): when set, used instead of get_enc_key, so the key never
     * reaches the boot core's caller (the TEE's update partition asks its
     * kernel). May be NULL. */
    ms_err_t (*unwrap_key)(void *ctx, uint8_t image_id, const ms_image_info_t *info,
                           uint8_t key[MS_IMAGE_ENC_KEY_MAX], size_t *key_len);
    /* Boot log sink. May be NULL. */
    void (*log)(void *ctx, const ms_boot_event_t *ev);
    void *ctx;
    const ms_boot_seccnt_ops_t *seccnt;  /* required */
    void *seccnt_ctx;
} ms_boot_hooks_t;

/* ---- configuration ------------------------------------------------------ */

struct ms_boot;

/* An upgrade strategy: one per file (overwrite.c, swap_move.c). */
typedef struct ms_boot_strategy {
    const char *name;
    bool overwrite_only;     /* trailer layout without swap status */
    /* Sectors the primary slot keeps free below its trailer (swap-move: 1). */
    uint32_t spare_sectors;
    /* What S13 will do for one image, without writing: TEST or PERM (an
     * install, pending or interrupted), REVERT, or NONE. */
    ms_err_t (*peek)(struct ms_boot *b, size_t image, ms_boot_swap_type_t *intent);
    /* S13 for one image: resume an interrupted install, or act on what
     * the trailers ask for. hold_revert: another image is installing a test
     * update, so a revert waits for the next boot (the images change
     * together). Sets *done to the swap type carried out, *rejected to why
     * a pending image was refused. */
    ms_err_t (*run)(struct ms_boot *b, size_t image, bool hold_revert,
                    ms_boot_swap_type_t *done, ms_err_t *rejected);
} ms_boot_strategy_t;

extern const ms_boot_strategy_t ms_boot_strategy_overwrite;
extern const ms_boot_strategy_t ms_boot_strategy_swap_move;

/*
 * One image: its slots and where it executes. Two ways to run an image:
 *   - in place (XIP): load.flash == NULL, exec_base is the address the
 *     primary slot is mapped at;
 *   - RAM load: load is an area over the execution RAM (ms_flash_ram_t) and
 *     exec_base its address. S14 copies the primary image there first and
 *     verifies the copy, so what runs is exactly what was verified.
 */
typedef struct ms_boot_image_cfg {
    uint8_t image_id;            /* MS_BOOT_IMAGE_SECURE, MS_BOOT_IMAGE_NONSECURE */
    ms_flash_area_t primary;
    ms_flash_area_t secondary;   /* same size as primary */
    uint32_t exec_base;          /* address the image's header sits at when it runs */
    ms_flash_area_t load;        /* RAM-load target, or .flash == NULL for XIP */
} ms_boot_image_cfg_t;

typedef struct ms_boot_config {
    const ms_boot_image_cfg_t *images;
    size_t n_images;             /* 1..MS_BOOT_MAX_IMAGES */
    const ms_boot_strategy_t *strategy;
    /* M5: the trusted signing keys, anchored by their hash in the boot
     * loader's immutable region. */
    const ms_image_key_anchor_t *anchors;
    size_t n_anchors;
    const ms_boot_hooks_t *hooks;
    uint32_t max_align;          /* trailer field alignment (imgtool: 8) */
    uint32_t max_sectors;        /* swap status entries (imgtool: 128) */
    uint8_t *buf;                /* chunk buffer for hashing and copying */
    size_t buf_len;              /* >= 64, a multiple of the write alignment */
    /* Fault-injection hardening: verify every image's key and signature a
     * second time, independently and after a varying delay, so that one
     * skipped instruction inside the signature check (a single comparison
     * deep in the P-256 code) cannot accept a forged signature. Costs one
     * more ECDSA verify per image and boot. */
    bool fih_double_sig;
} ms_boot_config_t;

/* ---- result: the hand-over and the measured boot record ------------------ */

typedef struct ms_boot_image_record {
    uint8_t image_id;
    uint32_t jump_addr;          /* exec_base + hdr_size: the vector table */
    uint32_t image_end;          /* bytes of the image in the slot */
    ms_image_measurement_t m;    /* hash, version, security counter */
    bool confirmed;              /* not a test image waiting for confirmation */
    ms_boot_swap_type_t action;  /* what S13 did on this boot */
    ms_err_t update_err;         /* MS_OK, or why a pending update was refused */
    ms_err_t verify_err;         /* MS_OK, or why the primary image did not verify */
} ms_boot_image_record_t;

/* The value of ms_boot_result_t.handover when the boot may hand over: a
 * pattern, not "non-zero", so no skipped instruction can produce it. */
#define MS_BOOT_HANDOVER_OK 0x3c5aa5c3u

typedef struct ms_boot_result {
    size_t n_images;
    ms_boot_image_record_t img[MS_BOOT_MAX_IMAGES];
    /* MS_BOOT_HANDOVER_OK only after every check of the final decision;
     * jump addresses are filled only then. On any error both are 0. */
    uint32_t handover;
} ms_boot_result_t;

/* The boot loader's state: caller-provided (static on the MCU). */
typedef struct ms_boot {
    const ms_boot_config_t *cfg;
    ms_image_info_t info;        /* scratch for the image being looked at */
    ms_image_info_t info2;
    uint8_t enc_key[MS_IMAGE_ENC_KEY_MAX];  /* wiped after every use */
    size_t enc_key_len;
    uint8_t old_key[MS_IMAGE_ENC_KEY_MAX];  /* swap: the outgoing image's key */
    size_t old_key_len;
    /* S13: the install each image has pending on this boot (a
     * ms_boot_swap_type_t), for the dependency rules (deps.c). */
    uint8_t install_type[MS_BOOT_MAX_IMAGES];
    volatile uint32_t fih_spin;  /* the varying delay's state (fault-injection hardening) */
} ms_boot_t;

/*
 * S11-S14 (M4): check the security configuration, initialise peripherals,
 * install a pending update of each image if it verifies, verify every
 * primary image, raise the security counters of confirmed images, and fill
 * `res` with the hand-over record. MS_OK means "jump to res->img[0]".
 * Errors (no boot): MS_ERR_BOOT_SECURITY_CONFIG, MS_ERR_BOOT_PERIPHERALS,
 * MS_ERR_BOOT_NO_IMAGE (a primary image did not verify; the image's own
 * error is in the log), MS_ERR_BOOT_ROLLBACK, MS_ERR_BOOT_SECCNT,
 * MS_ERR_BOOT_FAULT, MS_ERR_BOOT_LAYOUT, or a flash error such as
 * MS_ERR_POWER_LOST (the next boot resumes).
 */
ms_err_t ms_boot_go(ms_boot_t *b, const ms_boot_config_t *cfg, ms_boot_result_t *res);

/* A short, varying busy wait, for the second look at a hardened decision
 * (fault-injection hardening): the boot loader uses it between its two
 * checks of ms_boot_go()'s verdict. */
void ms_boot_fih_delay(void);

/* ---- run-time control (the application / TEE side) ----------------------- */

/* Read and decode the trailer of a slot. */
ms_err_t ms_boot_read_trailer(const ms_boot_config_t *cfg, const ms_flash_area_t *fa,
                              ms_boot_trailer_state_t *st);

/* Is the running image of `image` a test image still waiting for its
 * confirm (primary trailer GOOD, image_ok not set, a torn confirm counted
 * as done)? Never with the overwrite strategy: every install is permanent.
 * While it is, the secondary slot holds what a revert puts back. */
ms_err_t ms_boot_primary_is_test(const ms_boot_config_t *cfg, size_t image, bool *test);

/* Mark the image in image `image`'s secondary slot as pending: a test
 * (reverts unless confirmed) or, with permanent, for good. */
ms_err_t ms_boot_set_pending(const ms_boot_config_t *cfg, size_t image, bool permanent);

/* Confirm the running image of `image` (writes image_ok in the primary).
 * MS_ERR_BOOT_DEPENDENCY while an image it depends on is itself a test
 * image waiting for its confirm: confirm that one first, so a confirmed
 * image never relies on one that can still revert. */
ms_err_t ms_boot_confirm(const ms_boot_config_t *cfg, size_t image);

/* Prepare image `image`'s secondary slot for a download: erase its trailer
 * sectors (no stale "pending" can survive into the new download) and give
 * in *capacity the bytes an image may occupy below the trailer. */
ms_err_t ms_boot_secondary_prepare(const ms_boot_config_t *cfg, size_t image,
                                   uint32_t *capacity);

/*
 * Check the image staged in image `image`'s secondary slot exactly as the
 * boot loader's S13 will before installing it (M6/M7): it fits the slot,
 * is not NON_BOOTABLE, decrypts with the key store's key, its hash and
 * signature verify against cfg's anchors, its security counter is not
 * below the device's, and the dependency rules hold for a `permanent` or
 * test install. Nothing is written; b is scratch (the payload key is wiped
 * before returning). `m` (may be NULL) gets the measurement. The TEE's
 * update service calls this before it marks an image pending.
 */
ms_err_t ms_boot_check_update(ms_boot_t *b, const ms_boot_config_t *cfg, size_t image,
                              bool permanent, ms_image_measurement_t *m);

/* The swap type the trailers ask for, from MCUboot's table. */
ms_boot_swap_type_t ms_boot_swap_type(const ms_boot_trailer_state_t *primary,
                                      const ms_boot_trailer_state_t *secondary);

#endif /* MS_BOOT_H */
