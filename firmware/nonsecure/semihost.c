/* SPDX-License-Identifier: Apache-2.0 */
/*
 * semihost.c - ARM semihosting calls (semihost.h): operation in r0, a
 * parameter block in r1, the answer in r0.
 */
#include "semihost.h"

#include <string.h>

#define SYS_OPEN        0x01u
#define SYS_CLOSE       0x02u
#define SYS_READ        0x06u
#define SYS_FLEN        0x0Cu
#define SYS_TIME        0x11u
#define SYS_GET_CMDLINE 0x15u
#define MODE_RB         1u     /* fopen "rb" */

static uint32_t call(uint32_t op, volatile uint32_t *block)
{
    register uint32_t r0 __asm("r0") = op;
    register volatile uint32_t *r1 __asm("r1") = block;
    __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void semihost_cmdline(char *buf, size_t cap)
{
    volatile uint32_t block[2] = { (uint32_t)(uintptr_t)buf, (uint32_t)cap };
    buf[0] = '\0';
    if (call(SYS_GET_CMDLINE, block) != 0) {
        buf[0] = '\0';
    }
    buf[cap - 1u] = '\0';
}

int32_t semihost_open(const char *name)
{
    volatile uint32_t block[3] = { (uint32_t)(uintptr_t)name, MODE_RB, (uint32_t)strlen(name) };
    return (int32_t)call(SYS_OPEN, block);
}

int32_t semihost_flen(int32_t fd)
{
    volatile uint32_t block[1] = { (uint32_t)fd };
    return (int32_t)call(SYS_FLEN, block);
}

int32_t semihost_read(int32_t fd, void *buf, size_t len)
{
    volatile uint32_t block[3] = { (uint32_t)fd, (uint32_t)(uintptr_t)buf, (uint32_t)len };
    /* SYS_READ answers the number of bytes NOT read. */
    return call(SYS_READ, block) == 0 ? 0 : -1;
}

void semihost_close(int32_t fd)
{
    volatile uint32_t block[1] = { (uint32_t)fd };
    (void)call(SYS_CLOSE, block);
}

uint32_t semihost_time(void)
{
    return call(SYS_TIME, NULL);
}
