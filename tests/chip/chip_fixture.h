/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chip_fixture.h - a chip on the simulated NOR flash, provisioned with the
 * GlobalPlatform test master key (40 41 .. 4F), a generated COS, its
 * package and this chip's licence; plus the factory writer wired to it.
 */
#ifndef MS_CHIP_FIXTURE_H
#define MS_CHIP_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chip_factory.h"
#include "flash_sim.h"
#include "meterseal/chip.h"

#define FX_FLASH_SIZE (128u * 1024u)
#define FX_SECTOR 1024u
#define FX_ALIGN 16u

typedef struct chip_fx {
    ms_flash_sim_t sim;
    ms_chip_layout_t map;
    ms_chip_t chip;
    uint8_t uid[MS_CHIP_UID_LEN];
    uint8_t mk_des[16], mk_aes[16];
    uint8_t image_key[16];
    ms_chip_rule_t rule;
    int method;                 /* ms_chip_div_method_t of the licence */
    uint8_t *cos;
    uint32_t cos_len;
    uint8_t *pkg;
    size_t pkg_len;
    uint8_t lic[MS_CHIP_LIC_LEN];
    uint8_t loader[1024]; /* loader image (948 bytes of code + header) */
    size_t loader_len;
    ms_chip_writer_t writer;
    uint8_t rsp[300];
    size_t rlen;
} chip_fx_t;

/* Set up a provisioned, booted chip (loader mode) and a package + licence. */
void fx_init(chip_fx_t *fx, bool gaps, uint32_t cos_len, const ms_chip_rule_t *rule, int method);
void fx_free(chip_fx_t *fx);
/* Power on again (after a cut) and boot; returns ms_chip_boot's result. */
ms_err_t fx_reboot(chip_fx_t *fx);
/* Send raw APDU bytes; returns the SW (data in fx->rsp, fx->rlen w/o SW). */
uint16_t fx_apdu(chip_fx_t *fx, const uint8_t *cmd, size_t len);
/* Send an APDU given as hex ("80CA000100"). */
uint16_t fx_apdu_hex(chip_fx_t *fx, const char *hex);
/* Run the factory writer; returns its result. */
ms_err_t fx_write(chip_fx_t *fx, ms_chip_report_t *rep);
/* True if the COS area holds exactly the plaintext COS. */
bool fx_cos_in_flash(chip_fx_t *fx);
/* Transport callback over fx (for ms_chip_factory_*). */
ms_err_t fx_transmit(void *ctx, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t cap,
                     size_t *rlen);
/* This chip's diversified 84 DE static keys. */
void fx_cos_keys(chip_fx_t *fx, ms_chip_scp_t scp, uint8_t enc[16], uint8_t mac[16]);
/* Parse hex into buf; returns the byte count. */
size_t fx_hex(const char *hex, uint8_t *buf, size_t cap);

#endif /* MS_CHIP_FIXTURE_H */
