/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_chip.c - the `chip` verb group: `meterseal chip <verb>` runs the chip
 * vendor's and the factory's tools (pack, licence, write, reload, keygen,
 * loader, info), which live in tools/chip (chip_cli*.c) and are also built
 * as the standalone meterseal-chip.
 */
#include "chip_cli.h"
#include "cli.h"

static int run_chip(int argc, char **argv)
{
    return ms_chip_cli_main(argc - 1, argv + 1);
}

static const ms_cli_verb_t verbs[] = {
    {"chip", "chip COS packages, licences and the PC/SC factory writer (chip --help)",
     run_chip},
};

const ms_cli_group_t ms_cli_group_chip = {"chip", verbs, MS_CLI_ARRAY_LEN(verbs)};
