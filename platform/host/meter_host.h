/* SPDX-License-Identifier: Apache-2.0 */
/*
 * meter_host.h - a host meter's TEE in a device directory, for the meter
 * simulator (meterseal-meter) and the factory verbs (meterseal provision):
 *
 *   DIR/tee-flash.bin  the TEE's flash: ITS (4 x 4 KiB) then PS (16 x 4 KiB),
 *                      NOR rules, survives the process (flash_sim.h)
 *   DIR/huk            the hardware unique key (32 random bytes, made once)
 *   DIR/nvc            the monotonic NV counters (anti-rollback)
 *   DIR/firmware.bin   what the boot measurement covers, when present
 *                      (else the running program): the host stand-in for
 *                      the boot loader's hand-over to the attestation
 *                      partition (SPE measurement, implementation id)
 *
 * It also plays the Non-secure world's side of the secure API on the host:
 * the NSPE caller record with its memory region, and ms_tee_call() as the
 * world switch (ms_link_tee_t).
 */
#ifndef MS_METER_HOST_H
#define MS_METER_HOST_H

#include "flash_sim.h"
#include "meterseal/link_client.h"

#define MS_METER_ITS_SECTORS 4u
#define MS_METER_PS_SECTORS  16u
#define MS_METER_SECTOR      4096u

typedef struct ms_meter_host {
    ms_flash_sim_t flash;
    ms_flash_area_t its, ps;
    ms_tee_caller_t nspe;           /* the Non-secure world's record at the boundary */
    ms_link_tee_t link;             /* the LINK service through ms_tee_call() */
    uint8_t shared[MS_LINK_TEE_SHARED + 512];   /* Non-secure memory the vectors point at */
} ms_meter_host_t;

/* Open (create) the device and start the TEE: RNG, storage, boot record,
 * link partition. err_what gets a short name of what failed. */
ms_err_t ms_meter_host_open(ms_meter_host_t *m, const char *dir, const char **err_what);

void ms_meter_host_close(ms_meter_host_t *m);

/* A call through the secure API as the NSPE (tee_dispatch.h). */
psa_status_t ms_meter_host_call(ms_meter_host_t *m, uint32_t sid, int32_t type,
                                const ms_tee_invec_t *in, size_t n_in, ms_tee_outvec_t *out,
                                size_t n_out);

/* ---- the UART as a TCP stream (the bridge, or a broker directly) ------------ */

/* Dial "host:port"; a non-blocking socket, or -1. */
int ms_host_dial(const char *hostport);

/* A non-blocking socket as the client's transport; ctx points at the int fd.
 * Reads: *got 0 when nothing is there, MS_ERR_IO when the peer closed. */
extern const ms_link_transport_t ms_host_fd_transport;

#endif /* MS_METER_HOST_H */
