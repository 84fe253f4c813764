/* SPDX-License-Identifier: Apache-2.0 */
/*
 * part_link.h - the cloud link partition's messages (part_link.c) and the
 * kernel's side of them (link_client.c).
 *
 * The partition runs the link service (src/tee/link: the TLS session to the
 * broker, the signed readings, events and commands, the update offers)
 * behind the secure API's share of it (ms_tee_link_handle in
 * meterseal/tee_dispatch.h): the dispatcher checks and copies a Non-secure
 * call as for every service, then the kernel carries the call, as copied,
 * here. Everything the link does with outside data - TLS records, the
 * cloud's signed messages, X.509 - happens unprivileged, in this
 * partition's memory, with Mbed TLS's PSA core state (its key slots) in it
 * too.
 *
 * Message (little-endian words):
 *   LINK_MSG_CALL  in:  sid(4) caller(4) type(4) n_in(4) n_out(4)
 *                       in_len(4 x 4) out_cap(4 x 4), then the n_in inputs
 *                       back to back (in_len[i] bytes each)
 *                  out: status(4) out_len(4 x 4), then the answers at the
 *                       places out_cap gives (answer i at the sum of the
 *                       caps before it), LINK_ANSWER_HDR + the caps' sum in all
 * Counts above n_in / n_out carry length 0. The inputs add up to at most
 * MS_TEE_IO_BUF_LEN bytes, and so do the caps (the dispatcher's bounds), so
 * both directions fit the mailbox.
 *
 * Requests the partition makes of the kernel (spm_request; the link's
 * clients send them as they would send the message from the kernel, and
 * the kernel serves them as the link's, tee_link_serve):
 *   - PS operations (GET and INFO; SET of the records it keeps:
 *     part_storage.h) on the link's own uids, MS_TEE_UID_LINK_FIRST..LAST,
 *     and nothing of ITS;
 *   - the metering registers' READ and ADD (part_storage.h);
 *   - the identity key's SIGN and EXPORT (part_keystore.h), as
 *     MS_TEE_PART_LINK whatever the request's header says.
 * Kernel services (SVC #3): entropy for its DRBG, the clock. What the kernel
 * allows of these per call is link_client.c's policy.
 */
#ifndef MS_SECURE_PART_LINK_H
#define MS_SECURE_PART_LINK_H

#include <stdint.h>

#include "meterseal/tee_dispatch.h"
#include "meterseal/tee_link.h"
#include "part_storage.h"
#include "spm.h"

#define LINK_MSG_CALL 1

#define LINK_CALL_HDR   (20u + 8u * MS_TEE_MAX_IOVEC)
#define LINK_ANSWER_HDR (4u + 4u * MS_TEE_MAX_IOVEC)

_Static_assert(LINK_CALL_HDR + MS_TEE_IO_BUF_LEN <= SPM_MSG_DATA, "a call fits the mailbox");
_Static_assert(LINK_ANSWER_HDR + MS_TEE_IO_BUF_LEN <= SPM_MSG_DATA, "an answer fits the mailbox");
_Static_assert(STORAGE_HDR_LEN + MS_TEE_PS_MAX_DATA <= SPM_REQ_DATA_MAX &&
                   MS_TEE_LINK_CERT_MAX <= MS_TEE_PS_MAX_DATA,
               "a request carries any of the link's PS records whole");

/* A CALL as the partition reads it: m's in[] point into the message's own
 * data; its out[] are still to be placed (part_link.c). */
typedef struct link_call {
    uint32_t sid;
    ms_tee_msg_t m;
} link_call_t;

/* The decoder (part_link_msg.c; outside data: fuzz_tee_partitions). MS_OK
 * only for a CALL of exactly its layout: a known sid, a caller the TEE
 * has, at most MS_TEE_MAX_IOVEC vectors each way with no length beyond
 * their count, inputs that add up to the rest of the message, caps that
 * add up to at most MS_TEE_IO_BUF_LEN. MS_ERR_ARG / MS_ERR_FORMAT
 * otherwise, *call then zeroed. */
ms_err_t link_call_decode(const spm_msg_t *msg, link_call_t *call);

/* The kernel's side (link_client.c): the dispatcher's link handler. */
psa_status_t tee_link_forward(uint32_t sid, ms_tee_msg_t *m);

#endif /* MS_SECURE_PART_LINK_H */
