/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chip_cli.h - the `meterseal chip ...` verbs (vendor and factory tools),
 * usable from the meterseal CLI and from the standalone meterseal-chip.
 */
#ifndef MS_CHIP_CLI_H
#define MS_CHIP_CLI_H

/* argv[0] is the sub-verb: keygen | loader | pack | licence | write | reload | info |
 * hsm-init.
 * Exit status: 0 ok, 1 rejected / failed, 2 usage, 3 file error. */
int ms_chip_cli_main(int argc, char **argv);

#endif /* MS_CHIP_CLI_H */
