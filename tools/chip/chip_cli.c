/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chip_cli.c - the chip vendor's and the factory's command-line verbs:
 *   keygen  -o FILE                          a 16-byte key as 32 hex digits
 *   loader  --mk-des F --mk-aes F [--code F] -o FILE   a Loader OS image
 *   pack    --cos F --image-key F --rule R [--seg-size N|--seg-count N]
 *           [--stride N] -o PKG              encrypt a COS into a package
 *   licence --pkg PKG --image-key F --master-key F --method kdf3|emv
 *           (--uid HEX -o LIC | --uids FILE --out-dir DIR)
 *           [--budget N --counter FILE]      per-chip licences, bounded
 *           or [--hsm-reader NAME]           ... issued by the licence HSM card
 *   hsm-init --flash F --pkg PKG --image-key F --master-key F --budget N
 *           [--method kdf3|emv]              make the licence HSM's flash file
 *   write   --pkg PKG (--licence LIC | --licence-dir DIR) [--reader NAME]
 *           [--chunk N] [--count N] [--retries N] [--no-resume] [--no-progress]
 *   reload  --loader F --master-key F [--scp 03|02] [--reader NAME]   84 DE
 *   info    [--reader NAME]                  serial, mode, progress
 * Keys are read from files and never printed (only key check values).
 */
#include <stdio.h>
#include <string.h>

#include "chip_cli.h"
#include "chip_cli_common.h"

int ms_chip_cli_main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } verbs[] = {{"keygen", ms_chip_cli_keygen}, {"loader", ms_chip_cli_loader},
                 {"pack", ms_chip_cli_pack},     {"licence", ms_chip_cli_licence},
                 {"write", ms_chip_cli_write},   {"reload", ms_chip_cli_reload},
                 {"info", ms_chip_cli_info},     {"hsm-init", ms_chip_cli_hsm_init}};
    if (argc < 1 || argv[0] == NULL || strcmp(argv[0], "--help") == 0 ||
        strcmp(argv[0], "-h") == 0) {
        fprintf(
            argc < 1 ? stderr : stdout,
            "usage: meterseal chip <keygen|loader|pack|licence|write|reload|info|hsm-init> [opts]\n"
            "The chip vendor's and the factory's tools (see docs/chip.md);\n"
            "`meterseal chip <verb> --help` for each verb's options.\n");
        return argc < 1 ? MS_CHIP_CLI_USAGE : MS_CHIP_CLI_OK;
    }
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        if (strcmp(argv[0], verbs[i].name) == 0) {
            return verbs[i].run(argc, argv);
        }
    }
    return ms_chip_cli_fail(argv[0], MS_CHIP_CLI_USAGE,
                            "unknown chip verb (see meterseal chip --help)");
}
