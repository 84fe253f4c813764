/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tee_update.h - the TEE's firmware update service (M7 delivery half,
 * docs/ota.md section 2): the Non-secure application downloads an update
 * in chunks over the cloud channel and hands each chunk to this service,
 * which alone writes the secondary slot. Before anything is marked pending
 * the service decrypts and verifies the staged image exactly as the boot
 * loader will (ms_boot_check_update: signature against the vendor key,
 * security counter not below the device's, dependencies), so a tampered or
 * wrongly encrypted image is refused before the meter reboots.
 *
 * State machine (one download at a time per service instance):
 *
 *   IDLE --BEGIN--> DOWNLOADING --WRITE...--> DOWNLOADED --VERIFY--> VERIFIED
 *                      ^   |  (resume: BEGIN with the same id and size        |
 *                      |   |   keeps the offset; STATUS reports it)          INSTALL
 *                      |   v                                                  v
 *                    FAILED (VERIFY refused: last_err says why)            PENDING
 *
 *   BEGIN with another id restarts from offset 0; ABORT returns to IDLE
 *   (from PENDING it first takes the pending mark back).
 *   A WRITE in any state but DOWNLOADING is refused, so nothing can change
 *   the slot between VERIFY and INSTALL (no time-of-check/time-of-use gap).
 *
 * Invariants:
 *   - Portable core: no heap, no stdio, no POSIX; flash only through
 *     ms_flash_area_* (the boot configuration's secondary slot); the caller
 *     owns every buffer (the service instance included).
 *   - Writes are strictly sequential: offset must equal the last good
 *     offset, so a lost chunk is simply asked for again (resume); every
 *     chunk but the last is a multiple of the flash write unit; the slot's
 *     sectors are erased just before the first write into them.
 *   - The download's SHA-256 (of exactly `size` bytes) must equal the id
 *     given to BEGIN (the cloud's firmware hash) before verification runs;
 *     compared in constant time.
 *   - INSTALL only after a successful VERIFY of the bytes now in the slot.
 *   - VERIFY refuses an image older (major.minor.revision) than the one
 *     running, even when its security counter allows it
 *     (MS_ERR_BOOT_DOWNGRADE): the boot loader keeps that freedom for a
 *     revert, the run-time path does not get it.
 *   - No BEGIN while the running image is a test image not yet confirmed
 *     (MS_ERR_STATE): the secondary slot holds what a revert puts back.
 *   - The download state is RAM only: after a reset the download restarts
 *     from offset 0 (the bytes in flash are not trusted across a reset).
 *
 * Dispatcher vectors (MS_TEE_SID_UPDATE; integers little-endian):
 *   BEGIN    in: image(1) 0(3) size(4) id(32)      out: status(28)
 *   WRITE    in: offset(4), data                   out: status(28)
 *   STATUS                                         out: status(28)
 *   VERIFY                                         out: status(28)
 *   INSTALL  in: permanent(1)                      out: status(28)
 *   CONFIRM  in: image(1)                          out: -
 *   ABORT (cancels a pending install)              out: status(28)
 * status: state(1) image(1) 0(2) size(4) offset(4) last_err(4)
 *         version major(1) minor(1) revision(2) build(4) sec_cnt(4)
 *         (28 bytes; last_err is the ms_err_t of the last refusal, 0 for
 *         none). The dispatcher copies out only on success: after a
 *         refusal the caller asks STATUS for the reason.
 * The decoding of these vectors (ms_tee_update_request) is fuzzed
 * (fuzz_tee_update).
 */
#ifndef MS_TEE_UPDATE_H
#define MS_TEE_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/boot.h"
#include "meterseal/crypto.h"
#include "meterseal/error.h"

#define MS_TEE_UPDATE_BEGIN   1
#define MS_TEE_UPDATE_WRITE   2
#define MS_TEE_UPDATE_STATUS  3
#define MS_TEE_UPDATE_VERIFY  4
#define MS_TEE_UPDATE_INSTALL 5
#define MS_TEE_UPDATE_CONFIRM 6
#define MS_TEE_UPDATE_ABORT   7

#define MS_TEE_UPDATE_STATUS_LEN 28u
#define MS_TEE_UPDATE_BEGIN_LEN  40u
#define MS_TEE_UPDATE_ID_LEN     MS_SHA256_LEN

typedef enum ms_tee_update_state {
    MS_TEE_UPD_IDLE = 0,
    MS_TEE_UPD_DOWNLOADING = 1,
    MS_TEE_UPD_DOWNLOADED = 2,
    MS_TEE_UPD_VERIFIED = 3,
    MS_TEE_UPD_FAILED = 4,
    MS_TEE_UPD_PENDING = 5,
} ms_tee_update_state_t;

typedef struct ms_tee_update_status {
    ms_tee_update_state_t state;
    uint8_t image;              /* index into the boot configuration's images */
    uint32_t size;              /* bytes of the whole download */
    uint32_t offset;            /* last good offset: bytes written so far */
    ms_err_t last_err;          /* why the last VERIFY / INSTALL was refused */
    ms_image_version_t version; /* after VERIFY: the staged image's version */
    uint32_t sec_cnt;           /* after VERIFY: its security counter */
} ms_tee_update_status_t;

/* One service instance: caller-provided (static in the Secure image). */
typedef struct ms_tee_update {
    const ms_boot_config_t *cfg;   /* slots, anchors, key and counter hooks, chunk buffer */
    ms_tee_update_status_t st;
    uint8_t id[MS_TEE_UPDATE_ID_LEN];
    ms_sha256_ctx sha;
    bool sha_live;
    uint32_t erased_to;            /* slot bytes [0, erased_to) are erased for this download */
    ms_boot_t scratch;             /* for ms_boot_check_update */
} ms_tee_update_t;

/* Bind an instance to the meter's boot configuration (cfg outlives it).
 * An instance with a download in progress is dropped with
 * ms_tee_update_abort (which frees the running hash) before it is reused. */
void ms_tee_update_init(ms_tee_update_t *u, const ms_boot_config_t *cfg);

/* The operations; each leaves the status readable with ms_tee_update_status.
 * BEGIN: MS_ERR_ARG (image unknown, size 0), MS_ERR_IMG_TOO_LARGE (does not
 * fit below the slot's trailer), MS_ERR_STATE (a VERIFIED or PENDING
 * download is not restarted without ABORT). WRITE: MS_ERR_STATE (not
 * downloading, or offset is not the last good offset), MS_ERR_ARG (empty,
 * past size, not a multiple of the write unit before the last chunk).
 * VERIFY: MS_ERR_STATE (download incomplete), MS_ERR_IMG_HASH (the bytes
 * are not the offered download), the boot loader's refusal, or
 * MS_ERR_BOOT_DOWNGRADE. */
ms_err_t ms_tee_update_begin(ms_tee_update_t *u, uint8_t image, uint32_t size,
                             const uint8_t id[MS_TEE_UPDATE_ID_LEN]);
ms_err_t ms_tee_update_write(ms_tee_update_t *u, uint32_t offset, const uint8_t *data,
                             size_t len);
ms_err_t ms_tee_update_verify(ms_tee_update_t *u);
ms_err_t ms_tee_update_install(ms_tee_update_t *u, bool permanent);
ms_err_t ms_tee_update_confirm(ms_tee_update_t *u, uint8_t image);
/* ABORT: drop the download; a PENDING install is taken back first (the
 * secondary's trailer erased). A flash error leaves it PENDING. */
ms_err_t ms_tee_update_cancel(ms_tee_update_t *u);
/* Forget the RAM state only (free the running hash): rebinding, or the
 * TEE's restart. Touches no flash. */
void ms_tee_update_abort(ms_tee_update_t *u);
void ms_tee_update_status(const ms_tee_update_t *u, ms_tee_update_status_t *st);

/* The wire form of a status (see above). */
void ms_tee_update_status_encode(const ms_tee_update_status_t *st,
                                 uint8_t out[MS_TEE_UPDATE_STATUS_LEN]);

/*
 * Decode one dispatcher request (outside data: the Non-secure world's
 * vectors, already copied into secure memory) and run it. in/in_len: the
 * first in vector (fixed arguments), data/data_len: the second (WRITE's
 * chunk; NULL/0 otherwise), out: the one out vector. MS_ERR_FORMAT for a
 * malformed request (wrong vector count or length), MS_ERR_UNSUPPORTED for
 * an unknown type, MS_ERR_BUFFER_TOO_SMALL for a short out vector.
 */
ms_err_t ms_tee_update_request(ms_tee_update_t *u, int32_t type, size_t n_in,
                               const uint8_t *in, size_t in_len, const uint8_t *data,
                               size_t data_len, uint8_t *out, size_t out_cap, size_t *out_len);

/* The dispatcher's instance (MS_TEE_SID_UPDATE): the platform binds it to
 * the meter's boot configuration once at start-up. Until then the service
 * answers MS_ERR_STATE. */
ms_tee_update_t *ms_tee_update_service(void);
void ms_tee_update_service_bind(const ms_boot_config_t *cfg);

#endif /* MS_TEE_UPDATE_H */
