/* SPDX-License-Identifier: Apache-2.0 */
/*
 * link_update.h - the firmware update messages between a meter and the
 * cloud (docs/ota.md section 3). Each is a deterministic CBOR map with
 * small unsigned keys, like the other channel messages (link_msg.h):
 *
 *   offer   cloud -> meter, inside a COSE_Sign1 by the cloud's command key
 *           {1: meter_id, 2: campaign_id, 3: sha256 (bstr 32), 4: size,
 *            5: [major, minor, revision, build], 6: sec_cnt, 7: chunk_size,
 *            8: image}
 *   request meter -> cloud: the next chunk wanted (the TEE's last good offset)
 *           {1: meter_id, 2: campaign_id, 3: offset, 4: length}
 *   chunk   cloud -> meter, not signed (the image is: the TEE checks the
 *           download's hash against the offer and the image's signature)
 *           {1: campaign_id, 2: offset, 3: data (bstr 1..MS_LINK_CHUNK_MAX)}
 *   status  meter -> cloud, inside a COSE_Sign1 by the meter's identity key
 *           {1: meter_id, 2: campaign_id, 3: state, 4: progress (bytes),
 *            5: result, 6: reason (tstr 0..64, printable)}
 *
 * States and results follow LwM2M object 5 (Firmware Update): the state
 * there is idle/downloading/downloaded/updating, split here into the steps
 * a campaign shows; results keep LwM2M's numbers, with 10 (reverted) added.
 *
 * Decoders are bounded parsers of outside data (fuzzed: fuzz_link_update)
 * and accept only the deterministic encoding of what they decode.
 * Portable core: no heap, no I/O.
 */
#ifndef MS_LINK_UPDATE_H
#define MS_LINK_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/crypto.h"
#include "meterseal/error.h"

/* As link_msg.h (not included: the cloud has a COSE header of its own). */
#define MS_LINK_METER_ID_MAX 32u

#define MS_LINK_CHUNK_MAX      1024u   /* bytes of image data in one chunk */
#define MS_LINK_UPD_REASON_MAX 64u
/* Largest chunk message: map, campaign id, offset, bstr head + data. */
#define MS_LINK_CHUNK_MSG_MAX  (MS_LINK_CHUNK_MAX + 32u)
/* Largest status payload: map(7), a 32-character id, a 64-bit campaign,
 * three 32-bit numbers, a 64-character reason, a 64-bit number (141), with
 * margin. */
#define MS_LINK_UPD_STATUS_MAX 160u
/* Largest offer payload: map(8), id, campaign, hash, size, version, counter,
 * chunk size, image (114), with margin. */
#define MS_LINK_OFFER_MAX      160u

/* Update states (LwM2M object 5, resource 3, refined). */
typedef enum ms_link_upd_state {
    MS_LINK_UPD_QUEUED = 0,
    MS_LINK_UPD_DOWNLOADING = 1,
    MS_LINK_UPD_DOWNLOADED = 2,
    MS_LINK_UPD_VERIFYING = 3,
    MS_LINK_UPD_INSTALLING = 4,
    MS_LINK_UPD_SUCCESS = 5,
    MS_LINK_UPD_FAILED = 6,
    MS_LINK_UPD_REVERTED = 7,
    MS_LINK_UPD_STATE_COUNT_
} ms_link_upd_state_t;

/* Results (LwM2M object 5, resource 5). */
#define MS_LINK_UPD_R_INITIAL     0u
#define MS_LINK_UPD_R_SUCCESS     1u
#define MS_LINK_UPD_R_NO_SPACE    2u
#define MS_LINK_UPD_R_CONN_LOST   4u
#define MS_LINK_UPD_R_INTEGRITY   5u   /* hash, signature, encryption, downgrade */
#define MS_LINK_UPD_R_UNSUPPORTED 6u
#define MS_LINK_UPD_R_FAILED      8u
#define MS_LINK_UPD_R_REVERTED    10u  /* MeterSeal: booted, not confirmed, reverted */
#define MS_LINK_UPD_R_MAX         10u

typedef struct ms_link_offer {
    char meter_id[MS_LINK_METER_ID_MAX + 1];
    uint64_t campaign_id;
    uint8_t sha256[MS_SHA256_LEN];
    uint32_t size;
    uint8_t major, minor;
    uint16_t revision;
    uint32_t build;
    uint32_t sec_cnt;
    uint32_t chunk_size;        /* 1..MS_LINK_CHUNK_MAX */
    uint8_t image;              /* 0 Secure, 1 Non-secure */
} ms_link_offer_t;

typedef struct ms_link_chunk_req {
    char meter_id[MS_LINK_METER_ID_MAX + 1];
    uint64_t campaign_id;
    uint32_t offset;
    uint32_t length;            /* 1..MS_LINK_CHUNK_MAX */
} ms_link_chunk_req_t;

typedef struct ms_link_chunk {
    uint64_t campaign_id;
    uint32_t offset;
    const uint8_t *data;        /* decode: points into the message */
    size_t len;                 /* 1..MS_LINK_CHUNK_MAX */
} ms_link_chunk_t;

typedef struct ms_link_upd_status {
    char meter_id[MS_LINK_METER_ID_MAX + 1];
    uint64_t campaign_id;
    uint32_t state;             /* ms_link_upd_state_t */
    uint32_t progress;          /* bytes downloaded */
    uint32_t result;            /* MS_LINK_UPD_R_* */
    char reason[MS_LINK_UPD_REASON_MAX + 1];
    uint64_t seq;               /* the TEE's report number, 1..INT64_MAX, strictly
                                 * increasing per meter (key 7); 0: none (the
                                 * Non-secure world's payload, a meter from
                                 * before numbering): key 7 absent */
} ms_link_upd_status_t;

/* "queued", "downloading", ... (NULL for an unknown state). */
const char *ms_link_upd_state_name(uint32_t state);
/* The inverse; MS_ERR_NOT_FOUND for an unknown name. */
ms_err_t ms_link_upd_state_parse(const char *name, uint32_t *state);

/* The LwM2M result for why the TEE refused an update (MS_ERR_IMG_*,
 * MS_ERR_SIGNATURE, MS_ERR_BOOT_ROLLBACK...: INTEGRITY; MS_ERR_IMG_TOO_LARGE:
 * NO_SPACE; MS_ERR_BOOT_DEPENDENCY, MS_ERR_BOOT_NON_BOOTABLE: UNSUPPORTED;
 * anything else: FAILED). */
uint32_t ms_link_upd_result_for(ms_err_t err);

/* Encoders: MS_ERR_ARG (invalid field), MS_ERR_BUFFER_TOO_SMALL. */
ms_err_t ms_link_offer_encode(const ms_link_offer_t *o, uint8_t *out, size_t cap, size_t *len);
ms_err_t ms_link_chunk_req_encode(const ms_link_chunk_req_t *r, uint8_t *out, size_t cap,
                                  size_t *len);
ms_err_t ms_link_chunk_encode(const ms_link_chunk_t *c, uint8_t *out, size_t cap, size_t *len);
ms_err_t ms_link_upd_status_encode(const ms_link_upd_status_t *s, uint8_t *out, size_t cap,
                                   size_t *len);

/* Decoders (outside data): MS_ERR_FORMAT, MS_ERR_TRUNCATED; the output is
 * zeroed on failure. */
ms_err_t ms_link_offer_decode(const uint8_t *p, size_t len, ms_link_offer_t *o);
ms_err_t ms_link_chunk_req_decode(const uint8_t *p, size_t len, ms_link_chunk_req_t *r);
ms_err_t ms_link_chunk_decode(const uint8_t *p, size_t len, ms_link_chunk_t *c);
ms_err_t ms_link_upd_status_decode(const uint8_t *p, size_t len, ms_link_upd_status_t *s);

#endif /* MS_LINK_UPDATE_H */
