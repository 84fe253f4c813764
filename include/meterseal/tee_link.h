/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tee_link.h - the TEE's cloud-link partition (MS_TEE_PART_LINK; M9 meter
 * half, M12, M13; docs/cloud.md): everything the meter does with the cloud
 * that needs a secret or must not be left to the Non-secure world.
 *
 *   provisioning  the identity key, a PKCS#10 CSR signed inside, an
 *                 attestation token bound to that key, then the
 *                 credentials written into PS (factory only: BOOT);
 *   channel       the one TLS session to the broker (tee_tls.h): the NSPE
 *                 pumps records and plaintext through it, never sees a key;
 *   report        signed readings (the TEE's own registers, a sequence
 *                 number kept in PS), signed events, the queue of
 *                 unacknowledged readings (at-least-once delivery), and
 *                 acknowledgements checked with the cloud's command key;
 *   control       signed commands checked with the cloud's command key and
 *                 a sequence number kept in PS (top-up, relay, tariff),
 *                 signed results, and the consumption charge: the only
 *                 ways the balance changes.
 *
 * The NSPE reaches all of it through the dispatcher (MS_TEE_SID_LINK,
 * tee_dispatch.h); these functions are the partition's own entry points.
 * Every signature is made with the identity key through the key store as
 * MS_TEE_PART_LINK (the NSPE may not use that key). State lives in PS under
 * reserved uids (refused to the NSPE by the dispatcher), so it is
 * encrypted, authenticated and rollback-protected (M9).
 */
#ifndef MS_TEE_LINK_H
#define MS_TEE_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/crypto.h"
#include "meterseal/error.h"
#include "meterseal/link_msg.h"
#include "meterseal/tee.h"
#include "meterseal/tee_storage.h"
#include "meterseal/tee_tls.h"

/* PS objects of the partition (top byte 0xFF: secure partitions only). */
#define MS_TEE_UID_LINK_METER_ID  0xff00000000000010ull  /* write-once: meter id */
#define MS_TEE_UID_LINK_CMD_KEY   0xff00000000000011ull  /* write-once: cloud command key (65) */
#define MS_TEE_UID_LINK_CERT      0xff00000000000012ull  /* meter certificate (DER) */
#define MS_TEE_UID_LINK_CA        0xff00000000000013ull  /* pinned cloud CA certificate (DER) */
#define MS_TEE_UID_LINK_BROKER    0xff00000000000014ull  /* broker "host:port" */
#define MS_TEE_UID_LINK_TICKET    0xff00000000000015ull  /* TLS session ticket */
#define MS_TEE_UID_LINK_REPORT    0xff00000000000016ull  /* reading/event sequence, queue */
#define MS_TEE_UID_LINK_CONTROL   0xff00000000000017ull  /* command sequence, relay, tariff */
#define MS_TEE_UID_LINK_UPDATE    0xff00000000000018ull  /* newest update campaign taken (8) */
#define MS_TEE_UID_LINK_UPD_SEQ   0xff00000000000019ull  /* next status report number (8);
                                                           * its own record, so a TEE from
                                                           * before numbering still reads
                                                           * UPDATE as it was */
/* The link's uids, first and last: nothing else is its (the AN505's link
 * partition reaches PS through the kernel, which checks this range). */
#define MS_TEE_UID_LINK_FIRST     MS_TEE_UID_LINK_METER_ID
#define MS_TEE_UID_LINK_LAST      MS_TEE_UID_LINK_UPD_SEQ

#define MS_TEE_LINK_NONCE_LEN     32u     /* the cloud's provisioning nonce */
#define MS_TEE_LINK_CERT_MAX      1024u   /* a PS object */
#define MS_TEE_LINK_BROKER_MAX    (MS_TLS_SERVER_NAME_MAX + 6u)  /* "host:port" */
#define MS_TEE_LINK_QUEUE_MAX     24u     /* unacknowledged readings kept */

/* ---- provisioning (factory; caller MS_TEE_PART_BOOT only) ----------------------- */

/*
 * Step 1 of docs/cloud.md section 2: create the identity key and the IAK if
 * absent (ms_tee_keystore_provision), write a PKCS#10 CSR for meter_id
 * (subject CN=<id>, serialNumber=<id>, O=MeterSeal meter; signed inside with
 * the identity key) and an attestation token whose challenge is
 * SHA-256(nonce || identity public key), so the token binds the key to this
 * device and its boot measurements. iak_pub (may be NULL) gets the IAK's
 * public key for registration. MS_ERR_TEE_DENIED, MS_ERR_ARG,
 * MS_ERR_BUFFER_TOO_SMALL, MS_ERR_STATE (no boot record for the token).
 */
ms_err_t ms_tee_link_provision_request(ms_tee_partition_t caller, const char *meter_id,
                                       const uint8_t nonce[MS_TEE_LINK_NONCE_LEN],
                                       uint8_t *csr, size_t csr_cap, size_t *csr_len,
                                       uint8_t *token, size_t token_cap, size_t *token_len,
                                       ms_p256_pub_t *iak_pub);

/* What the factory writes at step 5. */
typedef struct ms_tee_link_creds {
    const char *meter_id;            /* must be the id the CSR was made for */
    const uint8_t *cert_der;         /* issued by the manufacturer CA for the identity key */
    size_t cert_len;
    const uint8_t *ca_der;           /* the cloud CA, pinned */
    size_t ca_len;
    const char *broker;              /* "host:port" */
    const ms_p256_pub_t *command_key;
} ms_tee_link_creds_t;

/*
 * Step 5: check and store. The certificate must parse and carry the
 * identity key (MS_ERR_KEY_MISMATCH otherwise: a certificate for another
 * key would make every handshake fail); the CA must parse; the broker must
 * be host:port. Meter id and command key are write-once: writing other
 * values later is MS_ERR_TEE_WRITE_ONCE, the same values again is MS_OK.
 * Certificate, CA and broker may be replaced (renewal); a stored ticket is
 * forgotten then.
 */
ms_err_t ms_tee_link_provision_install(ms_tee_partition_t caller, const ms_tee_link_creds_t *c);

/* The meter id (MS_ERR_LINK_NOT_PROVISIONED before step 5). */
ms_err_t ms_tee_link_meter_id(char out[MS_LINK_METER_ID_MAX + 1]);

/* ---- start-up ------------------------------------------------------------------------ */

/* After ms_tee_storage_init(): finish a command that a power cut
 * interrupted (control). Safe to call again; every entry point of the
 * partition calls it first. */
ms_err_t ms_tee_link_start(void);

/* Forget RAM state (the TLS session included); for a simulated power cut. */
void ms_tee_link_stop(void);

/* ---- channel ------------------------------------------------------------------------- */

/* Open a TLS connection to the provisioned broker (versions:
 * MS_TLS_VERSIONS_*, 0 in production). MS_ERR_LINK_NOT_PROVISIONED. */
ms_err_t ms_tee_link_channel_open(unsigned versions);

/* One pump step (ms_tls_pump() on the channel's session). */
typedef ms_tls_pump_t ms_tee_link_pump_t;

ms_err_t ms_tee_link_channel_pump(ms_tee_link_pump_t *p);

/* Queue close_notify; drain it with a pump (nothing else in). */
ms_err_t ms_tee_link_channel_close(void);

/* The provisioned broker address ("host:port", for the modem). */
ms_err_t ms_tee_link_broker(char out[MS_TEE_LINK_BROKER_MAX + 1]);

/* ---- report -------------------------------------------------------------------------- */

/*
 * A signed reading of the TEE's own registers (energy and balance from the
 * METER object, the tariff in force) at `time` (the meter clock, from the
 * NSPE: it may not go back). Its sequence number is taken and the reading
 * queued in PS before the message is returned, so a number never repeats.
 * A full queue drops its oldest reading (counted in the status).
 */
ms_err_t ms_tee_link_reading(uint64_t time, uint8_t *msg, size_t cap, size_t *len,
                             uint64_t *seq);

/* The index-th oldest unacknowledged reading, signed again (its payload is
 * byte for byte the first one's). MS_ERR_NOT_FOUND past the end. */
ms_err_t ms_tee_link_pending(size_t index, uint8_t *msg, size_t cap, size_t *len,
                             uint64_t *seq);

/* An acknowledgement from the cloud: checked with the command key, for this
 * meter; the readings it names leave the queue. *removed may be 0 (a
 * repeated acknowledgement). MS_ERR_SIGNATURE, MS_ERR_FORMAT,
 * MS_ERR_LINK_WRONG_METER. */
ms_err_t ms_tee_link_ack(const uint8_t *msg, size_t len, size_t *removed);

/* A signed event the NSPE reports (kind <= 32, detail <= 64 printable
 * characters). Kinds starting "tee." are the TEE's own: refused here. */
ms_err_t ms_tee_link_event(uint64_t time, const char *kind, size_t kind_len, const char *detail,
                           size_t detail_len, uint8_t *msg, size_t cap, size_t *len,
                           uint64_t *seq);

typedef struct ms_tee_link_status {
    uint32_t queued;             /* unacknowledged readings */
    uint32_t dropped;            /* readings dropped from a full queue, ever */
    uint64_t next_reading_seq;
    uint64_t next_event_seq;
    uint64_t last_cmd_seq;       /* newest applied command */
    uint64_t next_result_seq;
    bool relay_connected;
    uint64_t tariff_id;
    uint64_t price_milli_per_kwh;
} ms_tee_link_status_t;

ms_err_t ms_tee_link_status(ms_tee_link_status_t *out);

/* ---- control ------------------------------------------------------------------------- */

/*
 * A command from the cloud (docs/cloud.md 5.5). Applied only if it is
 * signed by the provisioned command key, names this meter, and its cmd_seq
 * is above the last applied one; the new sequence number is in PS before
 * the effect, and a power cut between the two is finished at the next
 * start (exactly once). Whatever the verdict, a signed result is written
 * to result (status in *status, MS_LINK_ST_*); a rejected command changes
 * nothing but the result sequence number.
 */
ms_err_t ms_tee_link_command(const uint8_t *msg, size_t len, uint8_t *result, size_t cap,
                             size_t *result_len, uint32_t *status);

/* ---- firmware update (docs/ota.md sections 3 and 6) ------------------------------------ */

/*
 * An offer from the cloud (down/upd-offer): applied nowhere, only checked -
 * signed by the provisioned command key, an offer in the exact encoding,
 * for this meter, of a campaign not older than the newest one taken (kept
 * in PS: a recorded offer of an older campaign cannot be replayed to
 * bring an older image back) - and its payload (ms_link_offer_decode)
 * copied to offer (MS_LINK_OFFER_MAX is enough). The same campaign again is
 * taken (a resume or a retry). The update service (tee_update.h) checks
 * the image itself. MS_ERR_SIGNATURE, MS_ERR_FORMAT, MS_ERR_LINK_WRONG_METER,
 * MS_ERR_LINK_STALE, MS_ERR_LINK_NOT_PROVISIONED.
 */
ms_err_t ms_tee_link_offer(const uint8_t *msg, size_t len, uint8_t *offer, size_t cap,
                           size_t *offer_len);

/*
 * The meter's status report of an update (up/upd-status), signed with the
 * identity key: payload must decode as a status (link_update.h) naming this
 * meter and the newest campaign an offer was taken for, and what is signed
 * is its deterministic re-encoding, so nothing but a status report of the
 * update in hand can be signed through here (no report for a campaign yet
 * to come). The report carries the TEE's next status number (key 7; any
 * number in payload is replaced), in PS before the report leaves, so the
 * cloud refuses an old report sent again. MS_ERR_FORMAT,
 * MS_ERR_LINK_WRONG_METER, MS_ERR_STATE, MS_ERR_BUFFER_TOO_SMALL.
 */
ms_err_t ms_tee_link_update_status(const uint8_t *payload, size_t len, uint8_t *msg, size_t cap,
                                   size_t *msg_len);

/*
 * Consumption (METER ADD): energy_wh more imported; the balance is charged
 * by the tariff in force, floor((E - E0) * price / 1000) so no fraction is
 * lost between calls (E0: the energy register when the tariff was set). The
 * NSPE gives energy only; it cannot change the balance. MS_ERR_ARG on
 * overflow (registers unchanged).
 */
ms_err_t ms_tee_link_consume(uint64_t energy_wh, ms_tee_meter_reg_t *out);

#endif /* MS_TEE_LINK_H */
