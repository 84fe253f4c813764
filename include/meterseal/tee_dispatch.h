/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tee_dispatch.h - the secure API (M11): the only way from the Non-secure
 * world into the TEE's services, shaped like PSA Firmware Framework's
 * psa_call(service, type, in_vec, out_vec).
 *
 * Every call is checked before any service runs:
 *   - at most MS_TEE_MAX_IOVEC in and out vectors, each at most
 *     MS_TEE_MAX_IOVEC_LEN bytes, totals at most MS_TEE_IO_BUF_LEN;
 *   - every vector lies wholly in memory the caller may access: on the
 *     host, the caller's registered region; on the MCU the firmware installs
 *     a check built on cmse_check_address_range() (ms_tee_dispatch_set_check);
 *   - the in_vec/out_vec arrays are read once, into secure copies, before
 *     any check, so a racing Non-secure write cannot change a vector between
 *     its check and its use; only out_vec[i].len is written back (on the MCU
 *     the veneer checks that the arrays themselves are Non-secure memory);
 *   - inputs are copied into secure buffers first and outputs copied back
 *     only on success, so services never touch caller memory (no
 *     time-of-check/time-of-use window) and never see its pointers;
 *   - uids reserved for secure partitions are refused to the NSPE, and the
 *     key store's ITS records (uids from MS_TEE_UID_KEY_BASE) to every
 *     caller: keys are used by id through CRYPTO, never read raw (M8);
 *   - CRYPTO SIGN signs with keys the caller's policy allows (the NSPE: the
 *     identity key); the IAK, which signs attestation tokens, signs for the
 *     ATTEST partition only, so the NSPE gets PSA_ERROR_NOT_PERMITTED for it
 *     and cannot have a token of its own making signed (M8);
 *   - unknown services are refused (PSA_ERROR_CONNECTION_REFUSED), unknown
 *     functions of a known service get PSA_ERROR_NOT_SUPPORTED, malformed
 *     vectors PSA_ERROR_PROGRAMMER_ERROR.
 * Each service's state lives in its own file (partition) and is reached
 * only through its public functions from its own handler here.
 *
 * Per-function vectors (integers little-endian):
 *   ITS/PS   SET      in: uid(8) flags(4), data          out: -
 *            GET      in: uid(8) offset(4)               out: data
 *            GET_INFO in: uid(8)                         out: capacity(4) size(4) flags(4)
 *            REMOVE   in: uid(8)                         out: -
 *   PS only  CREATE   in: uid(8) capacity(4) flags(4)    out: -
 *            SET_EXTENDED in: uid(8) offset(4), data     out: -
 *            GET_SUPPORT  in: -                          out: support flags(4)
 *   CRYPTO   SIGN     in: key(4), hash(32)               out: DER signature
 *            EXPORT   in: key(4)                         out: public key(65)
 *            ECDH     in: key(4), peer(65)               out: shared(32)
 *            AEAD_ENC in: key(4) nonce(12), aad, plain   out: cipher, tag(16)
 *            AEAD_DEC in: key(4) nonce(12), aad, cipher, tag(16)  out: plain
 *            MAC      in: key(4), data                   out: mac(32)
 *   RNG      GENERATE                                    out: bytes
 *   ATTEST   TOKEN    in: nonce (32, 48 or 64 bytes)     out: token
 *            SIZE     in: nonce size(4)                  out: token size(4)
 *   METER    READ                                        out: energy(8) balance(8) updates(8)
 *            ADD      in: energy(8)                      out: as READ
 *                     (the balance is charged by the tariff in force: the
 *                     NSPE no longer passes a balance change; tee_link.h)
 *   LINK     CH_OPEN  in: versions(4)                    out: -
 *            CH_PUMP  in: net bytes in, plaintext out    out: status(24), net bytes out,
 *                                                             plaintext in
 *                     status: state(1) version(1) resumed(1) have_ticket(1)
 *                     error(4) net_in_taken(4) plain_out_taken(4)
 *                     signatures(4) peer_verifies(4)
 *            CH_CLOSE                                    out: -
 *            BROKER                                      out: "host:port"
 *            METER_ID                                    out: the meter id
 *            READING  in: time(8)                        out: seq(8), message
 *            PENDING  in: index(4)                       out: seq(8), message
 *            ACK      in: message                        out: removed(4)
 *            EVENT    in: time(8), kind, detail          out: seq(8), message
 *            COMMAND  in: message                        out: status(4), result
 *            OFFER    in: message (down/upd-offer)      out: the offer's payload
 *            UPD_STATUS in: status payload               out: message (up/upd-status)
 *            STATUS                                      out: status(64)
 *                     queued(4) dropped(4) next_reading(8) next_event(8)
 *                     last_cmd(8) next_result(8) relay(1) 0(7) tariff(8)
 *                     price(8)
 *   UPDATE   BEGIN, WRITE, STATUS, VERIFY, INSTALL, CONFIRM, ABORT: the
 *            vectors are in meterseal/tee_update.h (docs/ota.md)
 *   Provisioning is not offered at this boundary (factory only).
 */
#ifndef MS_TEE_DISPATCH_H
#define MS_TEE_DISPATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "meterseal/error.h"
#include "meterseal/psa/error.h"
#include "meterseal/tee.h"

#define MS_TEE_MAX_IOVEC     4u
#define MS_TEE_MAX_IOVEC_LEN 2048u
#define MS_TEE_IO_BUF_LEN    2304u

/* Service ids. */
#define MS_TEE_SID_ITS    0x0001u
#define MS_TEE_SID_PS     0x0002u
#define MS_TEE_SID_CRYPTO 0x0003u
#define MS_TEE_SID_RNG    0x0004u
#define MS_TEE_SID_ATTEST 0x0005u
#define MS_TEE_SID_METER  0x0006u
#define MS_TEE_SID_LINK   0x0007u
#define MS_TEE_SID_UPDATE 0x0008u   /* firmware updates: tee_update.h */

/* Function types. */
#define MS_TEE_STORAGE_SET      1
#define MS_TEE_STORAGE_GET      2
#define MS_TEE_STORAGE_GET_INFO 3
#define MS_TEE_STORAGE_REMOVE   4
#define MS_TEE_STORAGE_CREATE   5   /* PS only */
#define MS_TEE_STORAGE_SET_EXTENDED 6   /* PS only */
#define MS_TEE_STORAGE_GET_SUPPORT  7   /* PS only */
#define MS_TEE_CRYPTO_SIGN      1
#define MS_TEE_CRYPTO_EXPORT    2
#define MS_TEE_CRYPTO_ECDH      3
#define MS_TEE_CRYPTO_AEAD_ENC  4
#define MS_TEE_CRYPTO_AEAD_DEC  5
#define MS_TEE_CRYPTO_MAC       6
#define MS_TEE_RNG_GENERATE     1
#define MS_TEE_ATTEST_TOKEN     1
#define MS_TEE_ATTEST_SIZE      2
#define MS_TEE_METER_READ       1
#define MS_TEE_METER_ADD        2
#define MS_TEE_LINK_CH_OPEN     1
#define MS_TEE_LINK_CH_PUMP     2
#define MS_TEE_LINK_CH_CLOSE    3
#define MS_TEE_LINK_BROKER      4
#define MS_TEE_LINK_READING     5
#define MS_TEE_LINK_PENDING     6
#define MS_TEE_LINK_ACK         7
#define MS_TEE_LINK_EVENT       8
#define MS_TEE_LINK_COMMAND     9
#define MS_TEE_LINK_STATUS      10
#define MS_TEE_LINK_METER_ID    11
#define MS_TEE_LINK_OFFER       12
#define MS_TEE_LINK_UPD_STATUS  13
#define MS_TEE_LINK_PUMP_STATUS_LEN 24u
#define MS_TEE_LINK_STATUS_LEN      64u

typedef struct ms_tee_invec {
    const void *base;
    size_t len;
} ms_tee_invec_t;

typedef struct ms_tee_outvec {
    void *base;
    size_t len;        /* capacity in; bytes written out (on success) */
} ms_tee_outvec_t;

/* Who is calling and which memory it may hand over (host: one region). */
typedef struct ms_tee_caller {
    ms_tee_partition_t id;
    uintptr_t mem_base;
    size_t mem_len;
} ms_tee_caller_t;

/* Range check: true if [addr, addr+len) is the caller's to read (write). */
typedef bool (*ms_tee_range_check_fn)(const ms_tee_caller_t *caller, uintptr_t addr,
                                      size_t len, bool write);

/* Install a platform range check (NULL: the registered-region check). */
void ms_tee_dispatch_set_check(ms_tee_range_check_fn fn);

/* The firmware update service's requests (MS_TEE_SID_UPDATE), with
 * ms_tee_update_request()'s arguments but the instance: by default that
 * function on ms_tee_update_service(); a platform that runs the service
 * apart (the AN505's update partition) installs its client (NULL: the
 * default again). */
typedef ms_err_t (*ms_tee_update_handler_fn)(int32_t type, size_t n_in, const uint8_t *in,
                                             size_t in_len, const uint8_t *data,
                                             size_t data_len, uint8_t *out, size_t out_cap,
                                             size_t *out_len);
void ms_tee_dispatch_set_update(ms_tee_update_handler_fn fn);

/*
 * A call as the services see it, after the checks: the caller, the
 * function, and the vectors as secure copies - the in data, and room for
 * each answer (out_cap bytes; the service sets out_len).
 */
typedef struct ms_tee_msg {
    ms_tee_partition_t caller;
    int32_t type;
    size_t n_in;
    size_t n_out;
    const uint8_t *in[MS_TEE_MAX_IOVEC];
    size_t in_len[MS_TEE_MAX_IOVEC];
    uint8_t *out[MS_TEE_MAX_IOVEC];
    size_t out_cap[MS_TEE_MAX_IOVEC];
    size_t out_len[MS_TEE_MAX_IOVEC];
} ms_tee_msg_t;

/* True when m has exactly n_in in vectors of these lengths (-1: any) and
 * n_out out vectors of at least these capacities. */
bool ms_tee_msg_shape(const ms_tee_msg_t *m, size_t n_in, const long *in_lens, size_t n_out,
                      const size_t *out_min);

/*
 * The link service's share of the secure API (src/tee/link/service.c):
 * every MS_TEE_SID_LINK function, and the meter's ADD (the balance moves by
 * the link's tariff in force). By default the dispatcher calls
 * ms_tee_link_handle() itself; a platform that runs the link apart (the
 * AN505's link partition) installs its client, which carries m there and
 * its answer back (NULL: the default again). Where partitions are confined
 * (MS_TEE_PARTITION_SECTIONS) there is no default: without a client the
 * call is PSA_ERROR_NOT_SUPPORTED. The same holds for the update handler.
 */
typedef psa_status_t (*ms_tee_link_handler_fn)(uint32_t sid, ms_tee_msg_t *m);
psa_status_t ms_tee_link_handle(uint32_t sid, ms_tee_msg_t *m);
void ms_tee_dispatch_set_link(ms_tee_link_handler_fn fn);

/* The checked entry point (see above). */
psa_status_t ms_tee_call(const ms_tee_caller_t *caller, uint32_t sid, int32_t type,
                         const ms_tee_invec_t *in_vec, size_t in_len,
                         ms_tee_outvec_t *out_vec, size_t out_len);

/*
 * A call as a message in the caller's shared memory (the host's mailbox
 * form; parser of outside data):
 *   sid(4) type(4, signed) n_in(1) n_out(1) 0(2) then n_in + n_out pairs
 *   of offset(4) length(4), offsets relative to caller->mem_base.
 * Decoded into vectors pointing into caller memory, then passed to
 * ms_tee_call(). out_lens (MS_TEE_MAX_IOVEC entries, may be NULL) gets
 * the bytes written to each out vector. Malformed message:
 * PSA_ERROR_PROGRAMMER_ERROR.
 */
psa_status_t ms_tee_dispatch_message(const ms_tee_caller_t *caller, const uint8_t *msg,
                                     size_t len, size_t out_lens[MS_TEE_MAX_IOVEC]);

#endif /* MS_TEE_DISPATCH_H */
