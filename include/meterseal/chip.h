/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chip.h - the chip: flash map, mode flags, boot flow, Loader OS and COS,
 * reached through one ISO 7816-4 APDU entry point (C1..C8).
 *
 * The chip owns one flash device (through hal.h) split into areas:
 *   OsStart (boot code + chip identity, never erased by the chip),
 *   Loader OS (loader image: master keys + code),
 *   COS (the downloaded chip OS), download journal, COS data (file system),
 *   and the mode flags in the last sector.
 * Areas may be contiguous or separated by erased gaps.
 *
 * Invariants the chip keeps whatever power cut happens:
 *   - the COS runs only if a valid flag record says COS mode, and that record
 *     is written only after the COS in flash passed CRC32, XOR and the
 *     package MAC (C4);
 *   - in COS mode the loader's commands do not exist; the loader comes back
 *     only through an authenticated 84 DE session (C5).
 *
 * No heap, no stdio: ms_chip_t is caller-allocated (about 960 bytes on a
 * 64-bit host, 260 of them the response held for GET RESPONSE).
 */
#ifndef MS_CHIP_H
#define MS_CHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/chip_formats.h"
#include "meterseal/error.h"
#include "meterseal/hal.h"

/* ---- status words (ISO 7816-4) ------------------------------------------- */
#define MS_SW_OK                0x9000u
#define MS_SW_BYTES_LEFT        0x6100u  /* 61xx: xx bytes (00: 256) wait for GET RESPONSE */
#define MS_SW_VERIFY_FAILED     0x6300u
#define MS_SW_MEMORY_FAILURE    0x6581u
#define MS_SW_WRONG_LENGTH      0x6700u
#define MS_SW_SECURITY          0x6982u
#define MS_SW_CONDITIONS        0x6985u
#define MS_SW_WRONG_DATA        0x6A80u
#define MS_SW_FILE_NOT_FOUND    0x6A82u
#define MS_SW_NO_SPACE          0x6A84u
#define MS_SW_WRONG_P1P2        0x6A86u
#define MS_SW_DATA_NOT_FOUND    0x6A88u
#define MS_SW_WRONG_LE          0x6C00u  /* 6Cxx: Le too short; xx bytes available */
#define MS_SW_INS_UNKNOWN       0x6D00u
#define MS_SW_CLA_UNKNOWN       0x6E00u

/* ---- instructions -------------------------------------------------------- */
#define MS_CHIP_CLA_PROP        0x80u
#define MS_CHIP_CLA_SECURE      0x84u
#define MS_CHIP_INS_ERASE       0x0Eu   /* loader: C3 ERASE */
#define MS_CHIP_INS_DIVERSIFY   0xD0u   /* loader: C3 KEY DIVERSIFY (licence) */
#define MS_CHIP_INS_DECRYPT     0xD2u   /* loader: C3 DECRYPT (P1 0 header, 1 data) */
#define MS_CHIP_INS_VERIFY      0xD4u   /* loader: C3 VERIFY */
#define MS_CHIP_INS_GET_DATA    0xCAu   /* both */
#define MS_CHIP_INS_GET_RESPONSE 0xC0u  /* both: 00 C0 00 00 Le (ISO 7816-4) */
#define MS_CHIP_INS_SELECT      0xA4u   /* COS */
#define MS_CHIP_INS_STORE_DATA  0xE2u   /* COS: C7 personalisation */
#define MS_CHIP_INS_INIT_UPDATE 0x50u   /* COS: opens the 84 DE session */
#define MS_CHIP_INS_DOWNLOAD    0xDEu   /* COS: C5 84 DE 00 00 Lc data */

/* GET DATA tags (P1P2) answered in both modes. */
#define MS_CHIP_TAG_UID         0x0001u
#define MS_CHIP_TAG_MODE        0x0002u  /* flag1 flag2 mode cos_len(4) cos_crc(4) */
#define MS_CHIP_TAG_PROGRESS    0x0003u  /* loader mode only */

/* ---- parsed command APDU ------------------------------------------------- */

typedef struct ms_chip_apdu {
    uint8_t cla, ins, p1, p2;
    const uint8_t *data;  /* points into the caller's buffer */
    uint32_t lc;          /* 0..65535 */
    uint32_t le;          /* 0 = none; 256 or 65536 for "00" */
    bool has_le;
    bool extended;
} ms_chip_apdu_t;

/* Parse an ISO 7816-4 command APDU (cases 1, 2S/3S/4S, 2E/3E/4E).
 * MS_ERR_TRUNCATED / MS_ERR_FORMAT on inconsistent lengths. */
ms_err_t ms_chip_apdu_parse(const uint8_t *buf, size_t len, ms_chip_apdu_t *apdu);

/* Largest response data field of any command (Nx <= 256: short answers). */
#define MS_CHIP_RSP_MAX 256u

/*
 * Response data waiting for GET RESPONSE. ISO 7816-4: a command without Le
 * (case 1 or 3) gets no response data (Ne = 0); when it has data the card
 * answers 61xx and keeps the data for GET RESPONSE - which is also how T=0
 * (ISO 7816-3) carries a case 4 command, whose Le never reaches the card.
 * Any other command, and a restart, drops it.
 */
typedef struct ms_chip_held {
    uint8_t buf[MS_CHIP_RSP_MAX];
    uint16_t len;   /* bytes held */
    uint16_t off;   /* bytes already fetched */
} ms_chip_held_t;

/* ---- flash map (C2) ------------------------------------------------------ */

typedef struct ms_chip_layout {
    uint32_t osstart_off, osstart_size;
    uint32_t loader_off, loader_size;
    uint32_t cos_off, cos_size;
    uint32_t journal_off, journal_size;
    uint32_t data_off, data_size;
    uint32_t flags_off, flags_size;   /* the last sector of the device */
} ms_chip_layout_t;

/*
 * A default map for a device: OsStart 1 sector, loader 4 sectors, COS as
 * large as fits, journal, 4 data sectors, flags in the last sector. With
 * gaps = true one erased sector separates every pair of areas.
 */
ms_err_t ms_chip_layout_default(const ms_flash_t *flash, bool gaps, ms_chip_layout_t *map);

/* MS_OK if areas are sector-aligned, in order, inside the device and the
 * flags are the last sector. */
ms_err_t ms_chip_layout_check(const ms_flash_t *flash, const ms_chip_layout_t *map);

/* ---- mode flags (C2) ------------------------------------------------------ */

typedef enum ms_chip_flag1 { MS_CHIP_MODE_LOADER = 0xA5, MS_CHIP_MODE_COS = 0x5A } ms_chip_flag1_t;
typedef enum ms_chip_flag2 { MS_CHIP_STATE_INITIAL = 0xC3, MS_CHIP_STATE_USER = 0x3C } ms_chip_flag2_t;

typedef struct ms_chip_flags {
    uint8_t flag1;        /* ms_chip_flag1_t */
    uint8_t flag2;        /* ms_chip_flag2_t */
    uint32_t seq;         /* sequence of the record in force (0: none yet) */
    uint32_t cos_len;     /* COS mode: length and CRC of the verified COS */
    uint32_t cos_crc;
    uint32_t next_slot;   /* first free slot */
    uint32_t slots;       /* slots in the flag sector */
} ms_chip_flags_t;

/* Read the flag sector: the valid record with the highest sequence number
 * wins; no valid record = LOADER / INITIAL (a fresh chip). */
ms_err_t ms_chip_flags_read(const ms_flash_area_t *fa, ms_chip_flags_t *flags);

/* Append a record (never rewrites in place). On success *flags is updated. */
ms_err_t ms_chip_flags_write(const ms_flash_area_t *fa, ms_chip_flags_t *flags,
                             uint8_t flag1, uint8_t flag2, uint32_t cos_len, uint32_t cos_crc);

/* ---- the chip ------------------------------------------------------------ */

typedef enum ms_chip_mode {
    MS_CHIP_RUN_OFF = 0,
    MS_CHIP_RUN_LOADER = 1,  /* Loader OS serves the download */
    MS_CHIP_RUN_COS = 2,     /* COS serves its commands */
    MS_CHIP_RUN_MUTE = 3,    /* nothing runnable (no loader, bad COS): GET DATA only */
} ms_chip_mode_t;

#define MS_CHIP_WORK_LEN 256u

typedef struct ms_chip {
    const ms_flash_t *flash;
    ms_chip_layout_t map;
    ms_flash_area_t fa_osstart, fa_loader, fa_cos, fa_journal, fa_data, fa_flags;
    uint8_t uid[MS_CHIP_UID_LEN];
    ms_chip_flags_t flags;
    uint8_t mode;                       /* ms_chip_mode_t */
    /* loader mode (RAM only: lost at a power cut) */
    uint8_t mk_des[MS_CHIP_KEY_LEN];
    uint8_t mk_aes[MS_CHIP_KEY_LEN];
    bool have_header, have_key;
    ms_chip_pkg_header_t hdr;
    uint8_t pkg_id[MS_CHIP_PKG_ID_LEN];
    uint8_t k_enc[MS_CHIP_KEY_LEN];
    uint8_t k_mac[MS_HMAC_SHA256_LEN];
    uint32_t cursor;                    /* next COS byte expected */
    uint32_t journal_done;              /* sectors recorded complete */
    uint32_t journal_next;              /* next free journal slot */
    bool journal_begun;
    /* COS mode */
    ms_chip_session_t session;
    uint32_t dl_cursor;                 /* next loader byte expected by 84 DE */
    uint32_t store_next;                /* next free offset in the data area */
    uint32_t decrypt_blocks;            /* AES blocks spent by DECRYPT (benchmark) */
    ms_chip_held_t held;                /* response data for GET RESPONSE */
    uint8_t work[MS_CHIP_WORK_LEN];
} ms_chip_t;

/*
 * Chip maker: make a blank chip: erase the device, write the identity record
 * (uid) into OsStart and the loader image into the Loader area. The flags
 * stay erased (= LOADER / INITIAL).
 */
ms_err_t ms_chip_provision(const ms_flash_t *flash, const ms_chip_layout_t *map,
                           const uint8_t uid[MS_CHIP_UID_LEN],
                           const uint8_t *loader_image, size_t loader_len);

/*
 * Power-on (C4 steps 201-203, 212-213): read identity and flags; LOADER mode
 * loads the loader's keys; COS / INITIAL first erases the loader area, the
 * journal, the gaps and the COS area past the image, then records COS / USER.
 * Returns MS_OK with chip->mode set (MUTE when nothing can run), or a flash
 * error (MS_ERR_POWER_LOST ...) if the boot itself was cut.
 */
ms_err_t ms_chip_boot(ms_chip_t *chip, const ms_flash_t *flash, const ms_chip_layout_t *map);

/*
 * Process one command APDU; writes the response (data || SW1 SW2) to rsp
 * (rsp_cap >= 2; 258 is enough for every response) and returns the SW.
 * Le is honoured (ISO 7816-4): no data without Le (61xx, then GET
 * RESPONSE), at most Ne bytes, 6Cxx with the available length when Le is
 * too short (a command that changes state checks this before it acts).
 * A flash failure mid-command answers 6581; the caller finds MS_ERR_POWER_LOST
 * situations through the flash device.
 */
uint16_t ms_chip_apdu(ms_chip_t *chip, const uint8_t *cmd, size_t cmd_len,
                      uint8_t *rsp, size_t rsp_cap, size_t *rsp_len);

/*
 * Check the loader image in an area (magic, version, length inside the area,
 * CRC); work is a scratch buffer (>= 48 bytes). On MS_OK the master keys are
 * copied out (either pointer may be NULL) and *total_len (may be NULL) is the
 * image length. Used at boot and after an 84 DE reload.
 */
ms_err_t ms_chip_loader_check(const ms_flash_area_t *fa, uint8_t *work, size_t work_len,
                              uint8_t mk_des[MS_CHIP_KEY_LEN], uint8_t mk_aes[MS_CHIP_KEY_LEN],
                              uint32_t *total_len);

#endif /* MS_CHIP_H */
