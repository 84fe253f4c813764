/* SPDX-License-Identifier: Apache-2.0 */
/*
 * part_update.h - the firmware update partition's messages (part_update.c)
 * and the kernel's side of them (update_client.c).
 *
 * The partition runs the update service (meterseal/tee_update.h) but
 * CONFIRM (the one write to a running image's slot, which the kernel does
 * itself: the partition reads the primary slots only) on its own
 * copy of the meter's boot configuration, built from the trust the kernel
 * reads from OTP (UPD_MSG_START); its device windows are the four image
 * slots (the primaries read-only) and nothing else of the flash. It reads
 * the security counters by kernel service and has an encrypted image's
 * payload key unwrapped by request (UPD_REQ_UNWRAP): the device's image
 * decryption key, like the rest of OTP, never comes to it.
 *
 * Messages (little-endian words):
 *   UPD_MSG_START    in:  overwrite(4) n(4) hashes(n x 32)    out: err(4)
 *   UPD_MSG_REQUEST  in:  type(4) n_in(4) in_len(4) data_len(4) out_cap(4)
 *                         in(in_len) data(data_len)
 *                    out: err(4) out_len(4) out(out_len)
 * A request carries the Non-secure caller's vectors as the dispatcher copied
 * them (at most MS_TEE_IO_BUF_LEN bytes in all: they fit the mailbox); the
 * service's answer is its status, at most UPD_OUT_MAX bytes.
 */
#ifndef MS_SECURE_PART_UPDATE_H
#define MS_SECURE_PART_UPDATE_H

#include <stdint.h>

#include "boot_cfg.h"
#include "meterseal/tee_dispatch.h"
#include "meterseal/tee_update.h"
#include "spm.h"

#define UPD_MSG_START   1
#define UPD_MSG_REQUEST 2

/* The partition's one request of the kernel (spm_request): the ECIES
 * unwrap of an encrypted image's payload key, done where the device's
 * image decryption key is (OTP, read by the kernel only).
 *   in:  header flags(4) tlv_len(4) ENC_EC256 TLV(tlv_len)
 *   out: err(4) payload key(16 or 32, on MS_OK)
 * At most UPD_UNWRAPS_MAX per VERIFY or permanent INSTALL message (each
 * checks the image once), none for any other. */
#define UPD_REQ_UNWRAP   0x2000
#define UPD_UNWRAPS_MAX  1u

#define UPD_REQ_HDR  20u
#define UPD_OUT_MAX  64u

_Static_assert(UPD_REQ_HDR + MS_TEE_IO_BUF_LEN <= SPM_MSG_DATA, "a request fits the mailbox");
_Static_assert(MS_TEE_UPDATE_STATUS_LEN <= UPD_OUT_MAX, "the service's answer fits");

/* A REQUEST as the partition reads it: in and data point into the
 * message's own data. */
typedef struct upd_request {
    int32_t type;
    uint32_t n_in;
    uint32_t in_len;
    uint32_t data_len;
    uint32_t out_cap;
    const uint8_t *in;
    const uint8_t *data;
} upd_request_t;

/* The decoders (part_update_msg.c; outside data: fuzz_tee_partitions).
 * MS_OK only for a message of exactly its layout: START with 1..MS_OTP_ROT_SLOTS
 * hashes, a REQUEST whose header's lengths (each at most MS_TEE_IO_BUF_LEN)
 * add up to the message; MS_ERR_ARG / MS_ERR_FORMAT otherwise, *out then
 * zeroed. */
ms_err_t upd_start_decode(const spm_msg_t *msg, ms_an505_boot_trust_t *trust);
ms_err_t upd_request_decode(const spm_msg_t *msg, upd_request_t *req);

/* The kernel's side (update_client.c): send the trust (once, and again
 * after the partition restarts), and the dispatcher's update handler. */
ms_err_t tee_update_start(const ms_an505_boot_trust_t *trust);

#endif /* MS_SECURE_PART_UPDATE_H */
