/* SPDX-License-Identifier: Apache-2.0 */
/*
 * otp.h - what the meter keeps in one-time-programmable memory, and how:
 * the root-of-trust key hashes (M5), the life-cycle state, the update
 * strategy, the hardware unique key, the image decryption key (M7), and
 * the monotonic NV counters (M6 anti-rollback).
 *
 * The OTP device (flash_nor.h) can only program bits from 1 to 0 and has no
 * erase. The records are chosen so that the same holds for anyone who can
 * program its bits (a fuse programmer): such edits can only
 *   - invalidate a record (fail closed), never turn it into another valid one:
 *     key hashes and keys are stored with their bitwise complement, and no
 *     bit can go back from 0 to 1 to keep the two in step;
 *   - raise a counter, never lower it: a counter value is stored inverted
 *     (~v), so programming bits makes it larger, and the counter is the
 *     largest value in its own region (a torn write leaves a value between
 *     the old and the new one);
 *   - not add anything after the life-cycle lock: locking first burns every
 *     record still erased (unused key slots, an unset update word, absent
 *     keys) to zeros, which no valid record can be programmed over, and a
 *     SECURED meter with a record still erased refuses to boot.
 * Someone who can rewrite any byte (erase included) defeats all of this;
 * on a real part that is what eFuses rule out, on QEMU the PSRAM file does
 * not (docs/an505.md, "What real parts provide").
 *
 * Layout (offsets in the OTP device, little-endian words, 8-byte aligned):
 *   0x0000  ROT[4]   { key_hash[32], ~key_hash[32], 'ROTK', ~'ROTK' }  72 B each
 *   0x0200  LCS      { 'SECD', ~'SECD' }                    erased = OPEN
 *   0x0210  UPDATE   { 'UPDT', strategy, ~strategy, 0 }     erased = swap-using-move (OPEN only)
 *   0x0300  HUK      { key[32], ~key[32], 'KEY!', ~'KEY!' }
 *   0x0380  ENC      { key[32], ~key[32], 'KEY!', ~'KEY!' } image decryption key (P-256 scalar)
 *   0x1000  counter regions of 1 KiB, one per id (up to 60): cells of 8 bytes
 *           { ~value, 0 }, appended in order; erased cell = 0.
 * This file is plain C over a flash area, shared by the firmware and the
 * host tool that programs a meter's flash file.
 */
#ifndef MS_AN505_OTP_H
#define MS_AN505_OTP_H

#include <stdbool.h>
#include <stdint.h>

#include "meterseal/boot.h"
#include "meterseal/crypto.h"
#include "meterseal/hal.h"

#define MS_OTP_ROT_SLOTS   4u
#define MS_OTP_ROT_OFF     0x0000u
#define MS_OTP_ROT_LEN     72u
#define MS_OTP_LCS_OFF     0x0200u
#define MS_OTP_UPDATE_OFF  0x0210u
#define MS_OTP_HUK_OFF     0x0300u
#define MS_OTP_ENC_OFF     0x0380u
#define MS_OTP_KEY_LEN     32u
#define MS_OTP_KEY_REC_LEN 72u
#define MS_OTP_CNT_OFF     0x1000u
#define MS_OTP_CNT_REGION  0x0400u
#define MS_OTP_CNT_CELL    8u
#define MS_OTP_CNT_IDS     60u

/* Counter ids: 0..MS_BOOT_MAX_IMAGES-1 are the images' security counters. */
#define MS_OTP_CNT_TEE_STORAGE 0x10u

typedef enum ms_otp_update {
    MS_OTP_UPDATE_SWAP_MOVE = 0,   /* swap with revert (erased OTP) */
    MS_OTP_UPDATE_OVERWRITE = 1,   /* overwrite-only */
} ms_otp_update_t;

/* The secret keys kept in OTP. */
typedef enum ms_otp_key {
    MS_OTP_KEY_HUK = MS_OTP_HUK_OFF,       /* hardware unique key (TEE storage) */
    MS_OTP_KEY_IMAGE_ENC = MS_OTP_ENC_OFF, /* image decryption key (M7) */
} ms_otp_key_t;

typedef enum ms_otp_lcs {
    MS_OTP_LCS_OPEN = 1,     /* development: debug open, keys may still be added */
    MS_OTP_LCS_SECURED = 2,  /* deployed: secure debug closed, configuration final */
} ms_otp_lcs_t;

/* ---- root of trust -------------------------------------------------------- */

/*
 * Read the programmed key hashes (at most `max`). *n = how many. A slot
 * whose hash and complement disagree is not a key. On a SECURED meter a
 * slot still erased means the lock did not complete: MS_ERR_STATE (refuse
 * to boot rather than leave a slot anyone could program).
 */
ms_err_t ms_otp_rot_read(const ms_flash_area_t *otp, uint8_t hashes[][MS_SHA256_LEN],
                         uint32_t max, uint32_t *n);
/* Program one more key hash. MS_ERR_TEE_NO_SPACE when all slots are used,
 * MS_ERR_STATE once the life-cycle is SECURED. */
ms_err_t ms_otp_rot_program(const ms_flash_area_t *otp, const uint8_t hash[MS_SHA256_LEN]);

/* ---- life-cycle ---------------------------------------------------------- */

ms_err_t ms_otp_lcs_get(const ms_flash_area_t *otp, ms_otp_lcs_t *lcs);
/* OPEN -> SECURED, once: first burns every record still erased (unused
 * key-hash slots, the update word - then swap-using-move - and absent
 * keys), then programs the life-cycle word. SECURED already: MS_OK. */
ms_err_t ms_otp_lcs_secure(const ms_flash_area_t *otp);

/* The update strategy the factory chose (erased: swap-using-move). A word
 * that is neither erased nor a valid record: MS_ERR_FORMAT. */
ms_err_t ms_otp_update_get(const ms_flash_area_t *otp, ms_otp_update_t *strategy);
/* Program it, once; MS_ERR_STATE if another value is already there. */
ms_err_t ms_otp_update_program(const ms_flash_area_t *otp, ms_otp_update_t strategy);

/* ---- secret keys ------------------------------------------------------------- */

/* MS_ERR_NOT_FOUND while unprogrammed (or burnt at the lock);
 * MS_ERR_TEE_CORRUPT if the key and its complement disagree. */
ms_err_t ms_otp_key_read(const ms_flash_area_t *otp, ms_otp_key_t which,
                         uint8_t key[MS_OTP_KEY_LEN]);
/* Program once; MS_ERR_STATE if that record is not erased. */
ms_err_t ms_otp_key_program(const ms_flash_area_t *otp, ms_otp_key_t which,
                            const uint8_t key[MS_OTP_KEY_LEN]);

/* ---- monotonic counters ------------------------------------------------------ */

/* The counter's value: 0 when it was never raised. MS_ERR_ARG for an id
 * without a region. */
ms_err_t ms_otp_counter_get(const ms_flash_area_t *otp, uint32_t id, uint32_t *value);
/* Raise to `value`; a value not above the current one changes nothing.
 * MS_ERR_TEE_NO_SPACE when the counter's region is full (128 raises). */
ms_err_t ms_otp_counter_raise(const ms_flash_area_t *otp, uint32_t id, uint32_t value);

/* The boot core's security-counter hooks over these (ctx: the OTP area). */
extern const ms_boot_seccnt_ops_t ms_otp_seccnt_ops;

#endif /* MS_AN505_OTP_H */
