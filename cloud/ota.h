/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ota.h - firmware updates on the cloud side (docs/ota.md): the firmware
 * repository (firmware.c), campaigns with staged waves (campaign.c), and
 * the update traffic with meters (offers, chunks, status reports).
 *
 * Invariants:
 *   - An image enters the repository only if it carries an ECDSA signature
 *     by a configured vendor key over its SHA256 TLV (with the device
 *     decryption key configured: the whole image is decrypted and verified)
 *     and its security counter is not below the fleet's (the highest of
 *     the repository and the configured floor). Stored once, by hash.
 *   - A campaign's meters are fixed when it is created, split into waves
 *     by cumulative percent. Only the current wave's meters are offered
 *     the image; a wave starts only when the previous one reached its
 *     success threshold; past the failure threshold the campaign halts and
 *     no further meter is offered anything. Chunks are served only to
 *     offered meters of a running or paused campaign.
 *   - Every operator action is audited (who, when, what); the service's own
 *     decisions (halt, finish) are audited as "system".
 *   - Offers are COSE_Sign1 by the cloud command key; a meter checks them
 *     like commands. Chunks need no signature: the TEE checks the download
 *     against the offer's hash and the image's own signature.
 *   - Nothing from a meter or an operator is trusted: status reports come
 *     only from meters of the campaign, and are recorded, never crash it.
 */
#ifndef MS_CLOUD_OTA_H
#define MS_CLOUD_OTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/link_update.h"
#include "ota_store.h"
#include "service.h"

#define MS_OTA_VENDOR_KEYS_MAX 4u
#define MS_OTA_IMAGE_MAX       (2u * 1024u * 1024u)   /* largest upload */
#define MS_OTA_REASON_MAX      128u
#define MS_OTA_TARGET_IDS_MAX  1000u
#define MS_OTA_CACHE_IMAGES    4u     /* campaigns with different images served at once */

typedef struct ms_ota_stats {
    uint64_t offers;
    uint64_t chunks;
    uint64_t chunk_bytes;     /* image bytes sent */
    uint64_t wire_bytes;      /* message bytes published (offers + chunks) */
    uint64_t reports;
    uint64_t image_loads;     /* images read from the database for chunks */
} ms_ota_stats_t;

typedef struct ms_ota {
    ms_cloud_t *c;
    ms_p256_pub_t vendor[MS_OTA_VENDOR_KEYS_MAX];
    size_t n_vendor;
    bool has_enc_priv;               /* the device image key: full verification on upload */
    ms_p256_priv_t enc_priv;         /* never logged; wiped by ms_ota_fini */
    uint32_t sec_floor;              /* the fleet's security counter floor */
    uint32_t chunk_size;             /* offered to meters (<= MS_LINK_CHUNK_MAX) */
    uint8_t image;                   /* which of the meter's images campaigns update (its
                                      * index in the meter's boot configuration) */
    /* images kept in memory for chunks, one per running campaign's image up
     * to MS_OTA_CACHE_IMAGES: the least recently used one makes room */
    struct {
        char sha[MS_OTA_HEX_LEN + 1];
        uint8_t *image;
        size_t len;
        uint64_t used;
    } cache[MS_OTA_CACHE_IMAGES];
    uint64_t cache_tick;
    ms_ota_stats_t stats;
} ms_ota_t;

void ms_ota_init(ms_ota_t *o, ms_cloud_t *c);
void ms_ota_fini(ms_ota_t *o);
/* Add a vendor (image signing) public key. */
ms_err_t ms_ota_add_vendor_key(ms_ota_t *o, const ms_p256_pub_t *pub);

/* ---- firmware repository (firmware.c) ---------------------------------------- */

/*
 * Check an uploaded image (outside data) and store it. *stored false: the
 * same bytes were already there (not an error). Refusals (reason says why,
 * a short text for the API): MS_ERR_IMG_NO_SIG (unsigned),
 * MS_ERR_IMG_KEY_UNKNOWN (not a vendor key), MS_ERR_SIGNATURE,
 * MS_ERR_BOOT_ROLLBACK (security counter below the fleet's), parse errors.
 */
ms_err_t ms_fw_upload(ms_ota_t *o, const uint8_t *img, size_t len, const char *who,
                      ms_fw_rec_t *out, bool *stored, char reason[MS_OTA_REASON_MAX]);
/* The fleet's security counter: the highest of a released image (one a
 * campaign was started with; ms_ota_fw_max_sec_cnt) and the configured
 * floor. Uploads, campaigns and starts below it are downgrades. */
ms_err_t ms_fw_fleet_sec_cnt(ms_ota_t *o, uint32_t *fleet);
/* A downgrade's reason, the same text wherever it is refused. */
void ms_fw_downgrade_reason(uint32_t sec_cnt, uint32_t fleet, char reason[MS_OTA_REASON_MAX]);
/* May the stored image sha256 go to more meters (a campaign's creation,
 * start, resume into a new wave, next wave)? MS_ERR_BOOT_ROLLBACK below the
 * fleet's counter, MS_ERR_NOT_FOUND for no such image; reason says why. */
ms_err_t ms_fw_release_check(ms_ota_t *o, const char *sha256, char reason[MS_OTA_REASON_MAX]);
/* The check alone (no store access but the fleet counter given). */
ms_err_t ms_fw_check(const ms_ota_t *o, const uint8_t *img, size_t len, uint32_t fleet_sec_cnt,
                     ms_fw_rec_t *out, char reason[MS_OTA_REASON_MAX]);

/* ---- campaigns (campaign.c) --------------------------------------------------- */

typedef enum ms_target_kind {
    MS_TARGET_ALL = 0,
    MS_TARGET_LIST = 1,
    MS_TARGET_GROUP = 2,
    MS_TARGET_VERSION = 3,
} ms_target_kind_t;

typedef struct ms_campaign_spec {
    char name[MS_OTA_NAME_MAX + 1];
    char firmware_sha256[MS_OTA_HEX_LEN + 1];
    ms_target_kind_t kind;
    char value[MS_OTA_VERSION_MAX + MS_OTA_GROUP_MAX + 1];   /* group or version */
    const char (*ids)[MS_LINK_METER_ID_MAX + 1];             /* list */
    size_t n_ids;
    uint32_t n_waves;
    uint32_t waves[MS_OTA_WAVES_MAX];   /* cumulative percent, ascending, last = 100 */
    uint32_t success_pm;
    uint32_t failure_pm;
    uint32_t max_retries;
    char target_json[MS_OTA_TARGET_MAX];
} ms_campaign_spec_t;

/* Create (state "created"). MS_ERR_ARG with a reason for a bad spec,
 * MS_ERR_NOT_FOUND for unknown firmware, MS_ERR_BOOT_ROLLBACK for an image
 * below the fleet's security counter (stored before a newer one was
 * released). */
ms_err_t ms_campaign_create(ms_ota_t *o, const ms_campaign_spec_t *spec, const char *who,
                            int64_t *id, char reason[MS_OTA_REASON_MAX]);
/* "start", "pause", "resume", "cancel": MS_ERR_STATE for an illegal
 * transition, MS_ERR_NOT_FOUND, MS_ERR_ARG for another word,
 * MS_ERR_BOOT_ROLLBACK for a start of an image below the fleet's security
 * counter (ms_fw_fleet_sec_cnt). state gets the campaign's state
 * afterwards. */
ms_err_t ms_campaign_action(ms_ota_t *o, int64_t id, const char *action, const char *who,
                            char state[MS_OTA_STATE_MAX + 1]);

/* Move a running campaign on as far as its current wave allows (after
 * rows changed other than by a report, which evaluates by itself). */
ms_err_t ms_campaign_evaluate(ms_ota_t *o, int64_t id);

/* A meter's status report (decoded, from the meter's channel). */
ms_err_t ms_ota_on_status(ms_ota_t *o, const ms_link_upd_status_t *s);
/* Offers sent late or again (docs/ota.md section 4). First the offers of a
 * running campaign's current wave never sent (an instance stopped between
 * the wave's release and its offers), by ms_ota_offer_wave's rules. Then a
 * meter of a running campaign that was offered the image at least `quiet`
 * seconds ago, has not reported on it since, and was seen since (a status
 * report or a reading arrived: it is online, so an offer the broker kept
 * for it would have reached it) gets the same offer again, its offer time
 * set to now. A meter with the download under way resumes it; one that
 * refuses offers gets one per quiet period while the campaign runs. At
 * most `limit` rows sent again per call; *sent counts the offers
 * published. */
ms_err_t ms_ota_reoffer(ms_ota_t *o, int64_t quiet, uint32_t limit, size_t *sent);
#define MS_OTA_REOFFERS_MAX 6u   /* then the meter is failed: "no answer to the offer" */
/* A meter asks for a chunk: published to it when allowed. */
ms_err_t ms_ota_on_chunk_request(ms_ota_t *o, const ms_link_chunk_req_t *r);
/*
 * A message from the broker on a meter's update topics: ms/v1/<id>/up/upd-req
 * (a chunk request, CBOR) or ms/v1/<id>/up/upd-status (a status report in a
 * COSE_Sign1 by the meter's identity key, checked against the registered
 * key and kid). *handled false for any other topic (left to ingest).
 * Refusals are logged and returned; nothing from the meter is trusted.
 */
ms_err_t ms_ota_on_message(ms_ota_t *o, const char *topic, size_t topic_len,
                           const uint8_t *payload, size_t len, bool *handled);

/* Topics of a meter's update messages. */
#define MS_OTA_TOPIC_OFFER  "down/upd-offer"
#define MS_OTA_TOPIC_CHUNK  "down/upd-chunk"
#define MS_OTA_TOPIC_REQ    "up/upd-req"
#define MS_OTA_TOPIC_STATUS "up/upd-status"

#endif /* MS_CLOUD_OTA_H */
