/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keystore_file.c - the TEE key store's image-decryption key, file-backed
 * on the host for now (M7): the file holds the 32-byte big-endian P-256
 * private scalar, as the key store would keep it (no PEM parsing here, so
 * the platform does not depend on a crypto backend). The key is read on
 * every request and the caller wipes it after use; nothing here prints or
 * keeps it. Also: the boot hook table that ties the host pieces together.
 */
#include "boot_host.h"

#include <stdio.h>
#include <string.h>

ms_err_t ms_host_keystore_open(ms_host_keystore_t *ks, const char *path)
{
    if (ks == NULL || path == NULL || strlen(path) >= sizeof(ks->path)) {
        return MS_ERR_ARG;
    }
    strcpy(ks->path, path);
    return MS_OK;
}

static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n--) {
        *v++ = 0;
    }
}

ms_err_t ms_host_keystore_get(const ms_host_keystore_t *ks, uint8_t image_id,
                              ms_p256_priv_t *priv)
{
    uint8_t extra;
    (void)image_id;
    if (ks == NULL || priv == NULL || ks->path[0] == 0) {
        return MS_ERR_NOT_FOUND;
    }
    FILE *fp = fopen(ks->path, "rb");
    if (fp == NULL) {
        return MS_ERR_NOT_FOUND;
    }
    size_t n = fread(priv->d, 1, sizeof(priv->d), fp);
    size_t more = fread(&extra, 1, 1, fp);
    fclose(fp);
    if (n != sizeof(priv->d) || more != 0) {
        wipe(priv, sizeof(*priv));
        return MS_ERR_KEY_FORMAT;
    }
    return MS_OK;
}

/* Write the key store file (provisioning). */
ms_err_t ms_host_keystore_provision(const char *path, const ms_p256_priv_t *priv)
{
    FILE *fp = fopen(path, "wb");
    if (fp == NULL) {
        return MS_ERR_IO;
    }
    size_t n = fwrite(priv->d, 1, sizeof(priv->d), fp);
    int bad = fclose(fp) != 0;
    return n == sizeof(priv->d) && !bad ? MS_OK : MS_ERR_IO;
}

/* ---- the hooks ------------------------------------------------------------ */

static ms_err_t hook_seccfg(void *ctx)
{
    ms_host_boot_platform_t *p = ctx;
    return ms_host_seccfg_check(&p->seccfg, NULL);
}

static ms_err_t hook_enc_key(void *ctx, uint8_t image_id, ms_p256_priv_t *priv)
{
    ms_host_boot_platform_t *p = ctx;
    return ms_host_keystore_get(&p->keystore, image_id, priv);
}

static void hook_log(void *ctx, const ms_boot_event_t *ev)
{
    ms_host_boot_platform_t *p = ctx;
    ms_host_boot_log_event(&p->log, ev);
}

void ms_host_boot_platform_hooks(ms_host_boot_platform_t *p)
{
    memset(&p->hooks, 0, sizeof(p->hooks));
    p->hooks.check_security_config = hook_seccfg;
    p->hooks.init_peripherals = NULL;
    p->hooks.get_enc_key = hook_enc_key;
    p->hooks.log = hook_log;
    p->hooks.ctx = p;
    p->hooks.seccnt = &ms_host_seccnt_ops;
    p->hooks.seccnt_ctx = &p->seccnt;
}
