/* SPDX-License-Identifier: Apache-2.0 */
/*
 * isolation.h - the scenarios about the TEE's isolation (isolation.c). Each
 * returns the run's exit code (app.h).
 */
#ifndef MS_NS_ISOLATION_H
#define MS_NS_ISOLATION_H

#include <stdint.h>

#include "tee_ns.h"

/* "partitions": the isolation self-test again, each partition's counts. */
int isolation_partitions(void);
/* "storage-restart": a call the test makes the storage partition fault in
 * (under gdb), then storage serves again with what it held. */
int isolation_storage_restart(void);
/* "keystore-restart": a call the test makes the key store partition fault
 * in (under gdb); attestation tokens, signed in it, before and after. */
int isolation_keystore_restart(void);
/* "attest-restart": a call the test makes the attestation partition fault
 * in (under gdb); tokens before and after, with their boot seeds. */
int isolation_attest_restart(void);
int isolation_update_restart(void);
/* "link-restart": a meter ADD the test makes the link partition fault in
 * (under gdb); the ADDs before and after, and the other partitions, serve. */
int isolation_link_restart(void);
/* "unprivileged": an unprivileged task may have the TEE write its own
 * memory only, and may not register callbacks. */
int isolation_unprivileged(void);
/* "unprivileged-update": an unprivileged task may read the update status,
 * not confirm an image nor write the modem line. */
int isolation_unprivileged_update(void);
/* The door's interface version (ms_tee_ns_hello): another version shuts
 * it, the right one opens it again; an unprivileged task may not name one. */
int isolation_interface_version(void);

/* One console line: "<prefix> part=i calls= faults= restarts= stack= pool=". */
void isolation_put_partition(const char *prefix, const ms_tee_ns_selftest_t *t, uint32_t i);

#endif /* MS_NS_ISOLATION_H */
