/* SPDX-License-Identifier: Apache-2.0 */
/*
 * boot_host.h - the boot half of the host platform: what a real meter keeps
 * in hardware, simulated with files so that state survives a "reboot" of the
 * meter simulator process:
 *   - the NV security counters (monotonic, one per image; M6 anti-rollback),
 *   - the boot log (one line per boot event),
 *   - the security-configuration registers S12 checks (SAU, MPC, secure
 *     VTOR, debug lock; M4),
 *   - the TEE key store's image-decryption key (M7), file-backed for now.
 * Each provides the hook functions include/meterseal/boot.h asks for.
 */
#ifndef MS_BOOT_HOST_H
#define MS_BOOT_HOST_H

#include <stdint.h>
#include <stdio.h>

#include "meterseal/boot.h"

/* ---- file-backed security counters --------------------------------------- */

typedef struct ms_host_seccnt {
    char path[512];
    uint32_t value[MS_BOOT_MAX_IMAGES];
} ms_host_seccnt_t;

/* Bind to a counter file (created with zero counters on first update). */
ms_err_t ms_host_seccnt_open(ms_host_seccnt_t *sc, const char *path);
/* The hook table; ctx is the ms_host_seccnt_t. */
extern const ms_boot_seccnt_ops_t ms_host_seccnt_ops;

/* ---- boot log -------------------------------------------------------------- */

typedef struct ms_host_boot_log {
    FILE *fp;                 /* appended to; NULL: events are dropped */
    unsigned events;
} ms_host_boot_log_t;

ms_err_t ms_host_boot_log_open(ms_host_boot_log_t *log, const char *path);
void ms_host_boot_log_close(ms_host_boot_log_t *log);
/* Write one event as a line "boot <n> image=<id> <event> err=<NAME> value=<v>". */
void ms_host_boot_log_event(ms_host_boot_log_t *log, const ms_boot_event_t *ev);

/* ---- simulated security configuration ---------------------------------------- */

/* The registers S12 reads on the AN505 (see docs/boot.md for each value). */
typedef struct ms_host_seccfg {
    uint32_t sau_ctrl;        /* SAU_CTRL: ENABLE (bit 0) must be set */
    uint32_t sau_regions;     /* SAU regions configured */
    uint32_t mpc_ctrl;        /* MPC CTRL: bit 4, blocked access = bus error */
    uint32_t vtor_s;          /* secure vector table */
    uint32_t dauthctrl;       /* debug authentication: 0 = secure debug locked */
    uint32_t nsccfg;          /* NSCCFG.CODENSC */
} ms_host_seccfg_t;

/* The configuration a correctly set-up meter has. */
void ms_host_seccfg_default(ms_host_seccfg_t *regs);
/* Read overrides "name=value" lines from a file (missing file: no change). */
ms_err_t ms_host_seccfg_load(ms_host_seccfg_t *regs, const char *path);
/* MS_OK or MS_ERR_BOOT_SECURITY_CONFIG; `which` (may be NULL) names the bad register. */
ms_err_t ms_host_seccfg_check(const ms_host_seccfg_t *regs, const char **which);

/* ---- file-backed key store ---------------------------------------------------- */

typedef struct ms_host_keystore {
    char path[512];           /* the 32-byte P-256 private scalar */
} ms_host_keystore_t;

ms_err_t ms_host_keystore_open(ms_host_keystore_t *ks, const char *path);
/* The image-decryption private key (same key for every image). */
ms_err_t ms_host_keystore_get(const ms_host_keystore_t *ks, uint8_t image_id,
                              ms_p256_priv_t *priv);
/* Write a key store file holding priv (provisioning, tests). */
ms_err_t ms_host_keystore_provision(const char *path, const ms_p256_priv_t *priv);

/* ---- all of it as boot hooks ---------------------------------------------------- */

typedef struct ms_host_boot_platform {
    ms_host_seccnt_t seccnt;
    ms_host_boot_log_t log;
    ms_host_seccfg_t seccfg;
    ms_host_keystore_t keystore;   /* path[0] == 0: no key store */
    ms_boot_hooks_t hooks;         /* filled by ms_host_boot_platform_hooks */
} ms_host_boot_platform_t;

/* Point p->hooks at the host implementations of everything above. */
void ms_host_boot_platform_hooks(ms_host_boot_platform_t *p);

#endif /* MS_BOOT_HOST_H */
