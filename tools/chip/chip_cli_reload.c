/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chip_cli_reload.c - the vendor's reload verb: put the Loader OS back into
 * a chip in COS mode with 84 DE under an SCP03- or SCP02-style session
 * (chip_factory.c holds the host side of the session).
 * Keys are diversified for the serial the chip reports and wiped after use.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chip_cli_common.h"

/* ---- reload (84 DE) ------------------------------------------------------------------ */

int ms_chip_cli_reload(int argc, char **argv)
{
    static const char help[] =
        "usage: meterseal chip reload --loader FILE --master-key FILE [--scp 03|02]\n"
        "         [--reader NAME]\n"
        "Vendor: put the Loader OS back into a chip in COS mode with 84 DE under a\n"
        "session key (SCP03-style AES by default, SCP02-style 3DES with --scp 02;\n"
        "the master key is the AES or 3DES one accordingly).";
    static const struct option opts[] = {{"loader", 1, NULL, 'l'}, {"master-key", 1, NULL, 'm'},
                                         {"scp", 1, NULL, 's'},    {"reader", 1, NULL, 'r'},
                                         {"help", 0, NULL, 'h'},   {0, 0, 0, 0}};
    const char *ldr = NULL, *mkf = NULL, *reader = NULL, *scps = "03";
    MS_CHIP_CLI_OPT_BEGIN("reload")
    case 'l': ldr = optarg; break;
    case 'm': mkf = optarg; break;
    case 's': scps = optarg; break;
    case 'r': reader = optarg; break;
    MS_CHIP_CLI_OPT_END
    ms_chip_scp_t scp = strcmp(scps, "02") == 0 ? MS_CHIP_SCP02 : MS_CHIP_SCP03;
    if (ldr == NULL || (strcmp(scps, "02") != 0 && strcmp(scps, "03") != 0)) {
        return ms_chip_cli_fail("reload", MS_CHIP_CLI_USAGE, "--loader and --scp 02|03");
    }
    uint8_t mk[16], enc[16], mac[16];
    int rc = ms_chip_cli_load_key("reload", mkf, mk);
    if (rc != MS_CHIP_CLI_OK) {
        return rc;
    }
    uint8_t *img = NULL;
    size_t n = 0;
    if (ms_chip_cli_read_file(ldr, &img, &n) != 0) {
        ms_secure_zero(mk, 16);
        return ms_chip_cli_fail("reload", MS_CHIP_CLI_IO, "cannot read %s", ldr);
    }
    ms_chip_pcsc_t pc;
    uint8_t uid[MS_CHIP_UID_LEN];
    uint16_t sw = 0;
    ms_err_t err = ms_chip_pcsc_open(&pc, reader);
    if (err == MS_OK) {
        err = ms_chip_cli_connect_serial(&pc, uid);
    }
    if (err == MS_OK) {
        ms_chip_div_method_t m = scp == MS_CHIP_SCP03 ? MS_CHIP_DIV_KDF3 : MS_CHIP_DIV_EMV;
        err = ms_chip_diversify(m, mk, uid, MS_CHIP_KEY_ENC, enc);
        if (err == MS_OK) {
            err = ms_chip_diversify(m, mk, uid, MS_CHIP_KEY_MAC, mac);
        }
    }
    if (err == MS_OK) {
        err = ms_chip_factory_reload_loader(ms_chip_pcsc_transmit, &pc, scp, enc, mac, img, n, &sw);
    }
    if (err == MS_OK) {
        ms_chip_pcsc_reset(&pc); /* the loader runs from this restart */
    }
    ms_secure_zero(mk, 16);
    ms_secure_zero(enc, 16);
    ms_secure_zero(mac, 16);
    free(img);
    ms_chip_pcsc_close(&pc);
    if (err != MS_OK) {
        return ms_chip_cli_fail("reload", MS_CHIP_CLI_FAIL, "%s%s%s",
                                sw ? ms_chip_sw_text(sw) : ms_strerror(err),
                                pc.last_error[0] ? " - " : "", pc.last_error);
    }
    printf("loader reloaded (%zu bytes, SCP%s); chip restarted in loader mode\n", n,
           scps);
    return MS_CHIP_CLI_OK;
}
