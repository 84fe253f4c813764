/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chip_cli_nopcsc.c - `meterseal chip` when the build found no libpcsclite:
 * the verb exists but says why it cannot run (scripts/deps installs it).
 */
#include <stdio.h>

#include "chip_cli.h"

int ms_chip_cli_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "meterseal: chip: built without libpcsclite (install libpcsclite-dev, "
                    "see scripts/deps)\n");
    return 2;
}
