/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tee_hal.h - the TEE's drivers on the AN505 (M10): what the portable
 * TEE reaches through hal.h and tee.h, for the Secure image only.
 *
 *   HUK       the OTP's hardware unique key record (meterseal-an505 otp
 *             --huk-random); never leaves the Secure image;
 *   counters  ms_tee_hal_nvc_* over the replay-protected counter device in
 *             flash (nvc_flash.h), keyed with a key derived from the HUK;
 *   TRNG      a driver interface (ms_an505_trng_ops_t). QEMU's AN505 has no
 *             TRNG: the driver installed by default is a LABELLED STAND-IN
 *             (SHA-256 over a HUK-derived seed, a boot counter from the
 *             counter device and a running index), deterministic per boot.
 *             A real part (STM32U5 RNG, LPC55S69 PRNG) swaps only the ops;
 *             the TEE's SP 800-90B health tests run on whatever it returns;
 *   accel     the crypto-accelerator interface (ms_an505_accel_ops_t): no
 *             accelerator on QEMU, so every operation falls back to the
 *             crypto module's software (Mbed TLS);
 *   clock     milliseconds from the Secure SysTick (the secure kernel tick);
 *   UART      the modem on UART1, Secure, polled.
 * Invariant: nothing here returns key material to a caller outside the TEE.
 *
 * Called from an unprivileged Secure partition (spm.c), the hooks for the
 * storage keys, the counters and entropy touch no driver state: they ask
 * the Secure kernel (ms_an505_kernel_service), which serves only what that
 * partition is allowed (storage: its keys, derived from the HUK in the
 * kernel, its two counters, entropy; the key store: entropy) into its own
 * memory. No partition gets the HUK itself.
 */
#ifndef MS_AN505_TEE_HAL_H
#define MS_AN505_TEE_HAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/error.h"
#include "meterseal/hal.h"
#include "nvc_flash.h"

/* TRNG driver: fill buf with raw (unconditioned) samples. */
typedef struct ms_an505_trng_ops {
    const char *name;
    bool is_stand_in;          /* true: not an entropy source (QEMU) */
    ms_err_t (*init)(void);
    ms_err_t (*read)(uint8_t *buf, size_t len);
} ms_an505_trng_ops_t;

/* Crypto accelerator driver: each op may be NULL (software fallback). */
typedef struct ms_an505_accel_ops {
    const char *name;
    ms_err_t (*sha256)(const void *data, size_t len, uint8_t out[32]);
    ms_err_t (*aes_gcm_encrypt)(const uint8_t *key, size_t key_len, const uint8_t *nonce,
                                const uint8_t *aad, size_t aad_len, const uint8_t *in,
                                size_t len, uint8_t *out, uint8_t tag[16]);
} ms_an505_accel_ops_t;

/* Kernel services a partition may ask for (SVC #3). */
#define MS_AN505_KS_STORAGE_KEY   0u   /* a = buffer: the label (NUL-padded) in, the key out; b = 32 */
#define MS_AN505_KS_NVC_READ      1u   /* a = counter id; *value = the counter */
#define MS_AN505_KS_NVC_INCREMENT 2u   /* a = counter id */
#define MS_AN505_KS_ENTROPY       3u   /* a = out, b = length (<= MS_AN505_KS_ENTROPY_MAX) */
#define MS_AN505_KS_ENTROPY_MAX   256u
#define MS_AN505_KS_KEY_LEN       32u
#define MS_AN505_KS_SECCNT_READ   5u   /* a = image id; *value = its security counter (OTP) */
#define MS_AN505_KS_CLOCK         6u   /* *value = ms_hal_clock_ms() */

/* From a partition: one kernel service (defined by the Secure kernel,
 * firmware/secure/spm.c). MS_ERR_TEE_DENIED for a service the partition
 * may not ask for, MS_ERR_TEE_BAD_POINTER for memory not its own. */
ms_err_t ms_an505_kernel_service(uint32_t service, uint32_t a, uint32_t b, uint64_t *value);

extern const ms_an505_trng_ops_t ms_an505_trng_stand_in;
extern const ms_an505_accel_ops_t ms_an505_accel_none;

/* Bring the drivers up: HUK check, counter device mount, TRNG init.
 * MS_ERR_STATE when the OTP holds no HUK. */
ms_err_t ms_an505_tee_hal_init(const ms_an505_trng_ops_t *trng);

/* The counter device (statistics, tests). */
const ms_nvc_flash_t *ms_an505_tee_nvc(void);

/* The TRNG driver in use. */
const ms_an505_trng_ops_t *ms_an505_tee_trng(void);

/* One Secure SysTick (1 ms): called from the Secure SysTick handler. */
void ms_an505_tee_tick(void);

/* Counter ids of the device (ITS and PS are tee.h's). */
#define MS_AN505_NVC_BOOT 2u     /* boots, for the TRNG stand-in's seed */

#endif /* MS_AN505_TEE_HAL_H */
