/* SPDX-License-Identifier: Apache-2.0 */
/*
 * semihost.h - the test bench's side door into the emulated meter: ARM
 * semihosting calls (BKPT 0xAB), answered by QEMU on the host. The
 * application reads its scenario (the command line) and, for the update
 * scenarios, the files a test harness prepared in QEMU's working directory:
 * they stand in for the download the comms task will receive from the
 * cloud. A real meter has no semihosting; nothing of the TEE relies on it.
 */
#ifndef MS_NS_SEMIHOST_H
#define MS_NS_SEMIHOST_H

#include <stddef.h>
#include <stdint.h>

/* The command line, NUL-terminated (empty when there is none). */
void semihost_cmdline(char *buf, size_t cap);

/* A host file opened for reading (binary): a handle >= 0, or -1. */
int32_t semihost_open(const char *name);
/* Its length in bytes, or -1. */
int32_t semihost_flen(int32_t fd);
/* Read exactly len bytes from the file's current position: 0, or -1 when
 * fewer were there. */
int32_t semihost_read(int32_t fd, void *buf, size_t len);
void semihost_close(int32_t fd);
/* The host's time in seconds since 1970 (the emulated meter's clock). */
uint32_t semihost_time(void);

#endif /* MS_NS_SEMIHOST_H */
