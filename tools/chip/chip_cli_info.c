/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chip_cli_info.c - the inspect verb: info shows the serial, the mode and
 * the download progress of the chip in a PC/SC reader (GET DATA only: it
 * changes nothing on the chip).
 */
#include <stdio.h>
#include <string.h>

#include "chip_cli_common.h"

/* ---- info ------------------------------------------------------------------------------ */

int ms_chip_cli_info(int argc, char **argv)
{
    static const char help[] = "usage: meterseal chip info [--reader NAME]\n"
                               "Show the chip's serial, mode and download progress.";
    static const struct option opts[] = {{"reader", 1, NULL, 'r'}, {"help", 0, NULL, 'h'},
                                         {0, 0, 0, 0}};
    const char *reader = NULL;
    MS_CHIP_CLI_OPT_BEGIN("info")
    case 'r': reader = optarg; break;
    MS_CHIP_CLI_OPT_END
    ms_chip_pcsc_t pc;
    uint8_t uid[MS_CHIP_UID_LEN];
    ms_err_t err = ms_chip_pcsc_open(&pc, reader);
    if (err == MS_OK) {
        err = ms_chip_cli_connect_serial(&pc, uid);
    }
    if (err != MS_OK) {
        ms_chip_pcsc_close(&pc);
        return ms_chip_cli_fail("info", MS_CHIP_CLI_IO, "PC/SC: %s",
                                pc.last_error[0] ? pc.last_error : ms_strerror(err));
    }
    uint8_t rsp[64], cmd[5] = {0x80, 0xCA, 0x00, 0x01, 0x00};
    size_t rl = 0;
    char h[80];
    printf("reader: %s\n", pc.reader);
    for (uint8_t tag = 1; tag <= 3; tag++) {
        cmd[3] = tag;
        if (ms_chip_pcsc_transmit(&pc, cmd, 5, rsp, sizeof rsp, &rl) != MS_OK || rl < 2) {
            break;
        }
        uint16_t sw = (uint16_t)(rsp[rl - 2] << 8 | rsp[rl - 1]);
        rl -= 2;
        if (sw != MS_SW_OK) {
            continue;
        }
        if (tag == 1 && rl == 10) {
            ms_chip_cli_hex(rsp, 10, h);
            printf("serial: %s\n", h);
        } else if (tag == 2 && rl >= 11) {
            printf("mode: %s / %s (running: %s)\n",
                   rsp[0] == MS_CHIP_MODE_COS ? "COS" : "LOADER",
                   rsp[1] == MS_CHIP_STATE_USER ? "USER" : "INITIAL",
                   rsp[2] == MS_CHIP_RUN_LOADER ? "loader"
                   : rsp[2] == MS_CHIP_RUN_COS  ? "COS"
                                                : "none (restart needed)");
        } else if (tag == 3 && rl >= 17) {
            printf("progress: %u of %u bytes, %u sectors journalled\n",
                   (unsigned)(rsp[0] << 24 | rsp[1] << 16 | rsp[2] << 8 | rsp[3]),
                   (unsigned)(rsp[4] << 24 | rsp[5] << 16 | rsp[6] << 8 | rsp[7]),
                   (unsigned)(rsp[8] << 24 | rsp[9] << 16 | rsp[10] << 8 | rsp[11]));
        }
    }
    ms_chip_pcsc_close(&pc);
    return MS_CHIP_CLI_OK;
}
