/* SPDX-License-Identifier: Apache-2.0 */
/*
 * meterseal_chip_main.c - `meterseal-chip`, the chip verbs as a program of
 * their own (the same verbs as `meterseal chip ...`).
 */
#include "chip_cli.h"

int main(int argc, char **argv)
{
    return ms_chip_cli_main(argc - 1, argv + 1);
}
