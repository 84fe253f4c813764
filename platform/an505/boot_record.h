/* SPDX-License-Identifier: Apache-2.0 */
/*
 * boot_record.h - the measured boot record the boot loader leaves for the
 * Secure image at AN505_BOOT_RECORD_BASE (Secure RAM, out of reach of the
 * Non-secure world): what was verified on this boot, for attestation and
 * for the TEE's update service. Written once per boot, before the
 * hand-over; nothing but Secure code has run since the reset.
 */
#ifndef MS_AN505_BOOT_RECORD_H
#define MS_AN505_BOOT_RECORD_H

#include <stdint.h>

#include "meterseal/boot.h"

#define MS_AN505_BOOT_RECORD_MAGIC 0x4D534252u   /* "MSBR" */
#define MS_AN505_BOOT_RECORD_VERSION 1u

typedef struct ms_an505_boot_image {
    uint8_t image_id;
    uint8_t confirmed;           /* not a test image waiting for confirmation */
    uint8_t action;              /* ms_boot_swap_type_t S13 carried out */
    uint8_t update_err;          /* ms_err_t: why a pending update was refused */
    uint8_t hash[MS_SHA256_LEN]; /* SHA-256 of header + payload + protected TLVs */
    uint8_t version_major;
    uint8_t version_minor;
    uint16_t version_revision;
    uint32_t version_build;
    uint32_t sec_cnt;            /* the image's security counter (0 if none) */
    uint32_t signer_index;       /* which root-of-trust key verified it */
} ms_an505_boot_image_t;

typedef struct ms_an505_boot_record {
    uint32_t magic;
    uint32_t version;
    uint32_t n_images;
    uint32_t lcs;                /* ms_otp_lcs_t at boot */
    ms_an505_boot_image_t img[MS_BOOT_MAX_IMAGES];
} ms_an505_boot_record_t;

#endif /* MS_AN505_BOOT_RECORD_H */
