/* SPDX-License-Identifier: Apache-2.0 */
/*
 * otp.h - what the meter keeps in one-time-programmable memory, and how:
 * the root-of-trust key hashes (M5), the life-cycle state, the hardware
 * unique key, and the monotonic NV counters (M6 anti-rollback, secure
 * storage rollback).
 *
 * The OTP device (flash_nor.h) can only program erased bytes and has no
 * erase, so everything here is append-only by construction:
 *   - a key hash, once programmed, stays; a slot is never reused;
 *   - the life-cycle goes OPEN -> SECURED once;
 *   - a counter is the largest value among its records: programming a
 *     record can only raise it, nothing can lower it.
 * A torn write (power cut) leaves a record that fails its check and is
 * ignored, so a cut raise leaves the old value. Real parts give the same
 * guarantees with eFuses (key hash, life-cycle, HUK) and with OTP or
 * RPMB-style counters (docs/an505.md, "What real parts provide").
 *
 * Layout (offsets in the OTP device, all fields 8-byte aligned):
 *   0x0000  ROT[4]  { key_hash[32], tag u32 'ROTK', ~tag u32, pad[8] }
 *   0x0100  LCS     { tag u32 'SECD', ~tag u32 }     erased = OPEN
 *   0x0110  UPDATE  { tag u32 'UPDT', strategy u32 } erased = swap-using-move
 *   0x0200  HUK     { key[32], tag u32 'KEY!', ~tag u32 }
 *   0x0300  ENC     { key[32], tag u32 'KEY!', ~tag u32 }  image decryption
 *                   key (P-256 scalar), for installing encrypted updates (M7)
 *   0x1000  counter records to the end, 16 bytes each:
 *           { tag u32 'NVCT', id u32, value u32, ~value u32 }
 * All words little-endian. This file is plain C over a flash area, shared
 * by the firmware and the host tool that programs a meter's flash file.
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
#define MS_OTP_ROT_LEN     48u
#define MS_OTP_LCS_OFF     0x0100u
#define MS_OTP_UPDATE_OFF  0x0110u
#define MS_OTP_HUK_OFF     0x0200u
#define MS_OTP_ENC_OFF     0x0300u
#define MS_OTP_KEY_LEN     32u
#define MS_OTP_CNT_OFF     0x1000u
#define MS_OTP_CNT_REC     16u

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

/* Read the programmed key hashes (at most `max`). *n = how many. */
ms_err_t ms_otp_rot_read(const ms_flash_area_t *otp, uint8_t hashes[][MS_SHA256_LEN],
                         uint32_t max, uint32_t *n);
/* Program one more key hash. MS_ERR_TEE_NO_SPACE when all slots are used,
 * MS_ERR_STATE once the life-cycle is SECURED. */
ms_err_t ms_otp_rot_program(const ms_flash_area_t *otp, const uint8_t hash[MS_SHA256_LEN]);

/* ---- life-cycle ---------------------------------------------------------- */

ms_err_t ms_otp_lcs_get(const ms_flash_area_t *otp, ms_otp_lcs_t *lcs);
/* OPEN -> SECURED, once. SECURED already: MS_OK. */
ms_err_t ms_otp_lcs_secure(const ms_flash_area_t *otp);

/* The update strategy the factory chose (erased: swap-using-move). */
ms_err_t ms_otp_update_get(const ms_flash_area_t *otp, ms_otp_update_t *strategy);
/* Program it, once; MS_ERR_STATE if another value is already there. */
ms_err_t ms_otp_update_program(const ms_flash_area_t *otp, ms_otp_update_t strategy);

/* ---- secret keys ------------------------------------------------------------- */

/* MS_ERR_NOT_FOUND while unprogrammed. */
ms_err_t ms_otp_key_read(const ms_flash_area_t *otp, ms_otp_key_t which,
                         uint8_t key[MS_OTP_KEY_LEN]);
/* Program once; MS_ERR_STATE if that key is already there. */
ms_err_t ms_otp_key_program(const ms_flash_area_t *otp, ms_otp_key_t which,
                            const uint8_t key[MS_OTP_KEY_LEN]);

/* ---- monotonic counters ------------------------------------------------------ */

/* The counter's value: 0 when it was never raised. */
ms_err_t ms_otp_counter_get(const ms_flash_area_t *otp, uint32_t id, uint32_t *value);
/* Raise to `value`; a value not above the current one changes nothing.
 * MS_ERR_TEE_NO_SPACE when the record area is full. */
ms_err_t ms_otp_counter_raise(const ms_flash_area_t *otp, uint32_t id, uint32_t value);

/* The boot core's security-counter hooks over these (ctx: the OTP area). */
extern const ms_boot_seccnt_ops_t ms_otp_seccnt_ops;

#endif /* MS_AN505_OTP_H */
