/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chip_fixture.c - see chip_fixture.h. Test master keys are the documented
 * GlobalPlatform default 40 41 .. 4F (3DES) and its reverse (AES); the image
 * key and package nonce come from the DRBG at each run.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "chip_fixture.h"

size_t fx_hex(const char *hex, uint8_t *buf, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (const char *p = hex; *p; p++) {
        int v;
        if (*p >= '0' && *p <= '9') {
            v = *p - '0';
        } else if (*p >= 'a' && *p <= 'f') {
            v = *p - 'a' + 10;
        } else if (*p >= 'A' && *p <= 'F') {
            v = *p - 'A' + 10;
        } else {
            continue;
        }
        if (hi < 0) {
            hi = v;
        } else {
            assert_true(n < cap);
            buf[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    return n;
}

static ms_err_t fx_licence(void *ctx, const uint8_t uid[MS_CHIP_UID_LEN],
                           uint8_t lic[MS_CHIP_LIC_LEN])
{
    chip_fx_t *fx = ctx;
    (void)uid;
    memcpy(lic, fx->lic, MS_CHIP_LIC_LEN);
    return MS_OK;
}

ms_err_t fx_transmit(void *ctx, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t cap,
                     size_t *rlen)
{
    chip_fx_t *fx = ctx;
    if (!fx->sim.powered) {
        return MS_ERR_POWER_LOST;
    }
    ms_chip_apdu(&fx->chip, cmd, n, rsp, cap, rlen);
    if (!fx->sim.powered) {
        return MS_ERR_POWER_LOST; /* the card died mid-command: no answer */
    }
    return MS_OK;
}

void fx_init(chip_fx_t *fx, bool gaps, uint32_t cos_len, const ms_chip_rule_t *rule, int method)
{
    memset(fx, 0, sizeof *fx);
    assert_int_equal(ms_flash_sim_open(&fx->sim, NULL, FX_FLASH_SIZE, FX_SECTOR, FX_ALIGN, 0xFF),
                     MS_OK);
    assert_int_equal(ms_chip_layout_default(&fx->sim.flash, gaps, &fx->map), MS_OK);
    for (int i = 0; i < 16; i++) {
        fx->mk_des[i] = (uint8_t)(0x40 + i);
        fx->mk_aes[i] = (uint8_t)(0x4F - i);
    }
    for (int i = 0; i < 10; i++) {
        fx->uid[i] = (uint8_t)(0x10 + i);
    }
    uint8_t code[900];
    for (size_t i = 0; i < sizeof code; i++) {
        code[i] = (uint8_t)(i * 7 + 3);
    }
    assert_int_equal(ms_chip_loader_build(fx->mk_des, fx->mk_aes, code, sizeof code, fx->loader,
                                          sizeof fx->loader, &fx->loader_len),
                     MS_OK);
    assert_int_equal(ms_chip_provision(&fx->sim.flash, &fx->map, fx->uid, fx->loader,
                                       fx->loader_len),
                     MS_OK);
    assert_int_equal(ms_chip_boot(&fx->chip, &fx->sim.flash, &fx->map), MS_OK);
    assert_int_equal(fx->chip.mode, MS_CHIP_RUN_LOADER);

    /* A COS with repeated 16-byte patterns (so equal windows exist). */
    fx->cos_len = cos_len;
    fx->cos = malloc(cos_len);
    assert_non_null(fx->cos);
    for (uint32_t i = 0; i < cos_len; i++) {
        fx->cos[i] = (uint8_t)((i % 64) < 32 ? 0xA5 : (i * 31 + (i >> 8)));
    }
    fx->rule = *rule;
    fx->method = method;
    uint8_t nonce[16], id[MS_CHIP_PKG_ID_LEN];
    assert_int_equal(ms_random(fx->image_key, 16), MS_OK);
    assert_int_equal(ms_random(nonce, 16), MS_OK);
    fx->pkg = malloc(MS_CHIP_PKG_HDR_LEN + cos_len);
    assert_non_null(fx->pkg);
    assert_int_equal(ms_chip_pkg_build(rule, fx->image_key, nonce, fx->cos, cos_len, fx->pkg,
                                       MS_CHIP_PKG_HDR_LEN + cos_len, &fx->pkg_len),
                     MS_OK);
    assert_int_equal(ms_chip_pkg_id(fx->pkg, id), MS_OK);
    const uint8_t *mk = method == MS_CHIP_DIV_EMV ? fx->mk_des : fx->mk_aes;
    assert_int_equal(ms_chip_licence_issue((ms_chip_div_method_t)method, mk, fx->uid, id,
                                           fx->image_key, fx->lic),
                     MS_OK);
    fx->writer.transmit = fx_transmit;
    fx->writer.transmit_ctx = fx;
    fx->writer.licence = fx_licence;
    fx->writer.licence_ctx = fx;
    fx->writer.chunk = 224;
}

void fx_free(chip_fx_t *fx)
{
    free(fx->cos);
    free(fx->pkg);
    ms_flash_sim_close(&fx->sim);
}

ms_err_t fx_reboot(chip_fx_t *fx)
{
    ms_flash_sim_power_on(&fx->sim);
    return ms_chip_boot(&fx->chip, &fx->sim.flash, &fx->map);
}

uint16_t fx_apdu(chip_fx_t *fx, const uint8_t *cmd, size_t len)
{
    size_t rl = 0;
    uint16_t sw = ms_chip_apdu(&fx->chip, cmd, len, fx->rsp, sizeof fx->rsp, &rl);
    assert_true(rl >= 2);
    assert_int_equal(((fx->rsp[rl - 2] << 8) | fx->rsp[rl - 1]), sw);
    fx->rlen = rl - 2;
    return sw;
}

uint16_t fx_apdu_hex(chip_fx_t *fx, const char *hex)
{
    uint8_t buf[300];
    size_t n = fx_hex(hex, buf, sizeof buf);
    return fx_apdu(fx, buf, n);
}

ms_err_t fx_write(chip_fx_t *fx, ms_chip_report_t *rep)
{
    return ms_chip_factory_write(&fx->writer, fx->pkg, fx->pkg_len, rep);
}

bool fx_cos_in_flash(chip_fx_t *fx)
{
    uint8_t buf[512];
    ms_flash_area_t fa = {&fx->sim.flash, fx->map.cos_off, fx->map.cos_size};
    for (uint32_t pos = 0; pos < fx->cos_len; pos += sizeof buf) {
        uint32_t n = fx->cos_len - pos < sizeof buf ? fx->cos_len - pos : sizeof buf;
        if (ms_flash_area_read(&fa, pos, buf, n) != MS_OK || memcmp(buf, fx->cos + pos, n) != 0) {
            return false;
        }
    }
    return true;
}

void fx_cos_keys(chip_fx_t *fx, ms_chip_scp_t scp, uint8_t enc[16], uint8_t mac[16])
{
    ms_chip_div_method_t m = scp == MS_CHIP_SCP03 ? MS_CHIP_DIV_KDF3 : MS_CHIP_DIV_EMV;
    const uint8_t *mk = scp == MS_CHIP_SCP03 ? fx->mk_aes : fx->mk_des;
    assert_int_equal(ms_chip_diversify(m, mk, fx->uid, MS_CHIP_KEY_ENC, enc), MS_OK);
    assert_int_equal(ms_chip_diversify(m, mk, fx->uid, MS_CHIP_KEY_MAC, mac), MS_OK);
}
