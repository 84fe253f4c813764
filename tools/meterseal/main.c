/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - entry point of the `meterseal` tool: finds the verb in the table
 * of verb groups and runs it.
 *
 * Adding a verb group (e.g. the chip factory tools in cmd_chip.c, which
 * defines `const ms_cli_group_t ms_cli_group_chip`):
 *   1. one line X(chip) in MS_CLI_GROUPS below, and
 *   2. one line cmd_chip.c in MS_CLI_SOURCES in CMakeLists.txt.
 * Nothing else changes: `meterseal --help` lists the group's verbs.
 *
 * Invariant: the exit status is the verb's (ms_cli_exit_t); unknown verbs
 * and a missing verb are usage errors (2) with one line on stderr.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

/* The table of verb groups, in the order `--help` lists them. */
#define MS_CLI_GROUPS(X) \
    X(keys)              \
    X(sign)              \
    X(verify)            \
    X(inspect)           \
    X(chip)              \
    X(ca)                \
    X(provision)

#define MS_CLI_DECLARE_(g) extern const ms_cli_group_t ms_cli_group_##g;
MS_CLI_GROUPS(MS_CLI_DECLARE_)
#undef MS_CLI_DECLARE_

#define MS_CLI_ENTRY_(g) &ms_cli_group_##g,
static const ms_cli_group_t *const groups[] = { MS_CLI_GROUPS(MS_CLI_ENTRY_) };
#undef MS_CLI_ENTRY_

static void print_usage(FILE *out)
{
    fprintf(out,
            "usage: meterseal [--version] <verb> [options] [args]\n"
            "\n"
            "Keys, signing, encryption, inspection and verification of MCUboot-\n"
            "compatible firmware images (imgtool 2.x option names).\n"
            "\n"
            "verbs:\n");
    for (size_t g = 0; g < MS_CLI_ARRAY_LEN(groups); g++) {
        for (size_t v = 0; v < groups[g]->n_verbs; v++) {
            fprintf(out, "  %-10s %s\n", groups[g]->verbs[v].name, groups[g]->verbs[v].summary);
        }
    }
    fprintf(out,
            "\n"
            "`meterseal <verb> --help` describes a verb's options.\n"
            "exit status: 0 success, 1 rejected (bad image, signature or key),\n"
            "             2 usage error, 3 file error.\n");
}

static const ms_cli_verb_t *find_verb(const char *name)
{
    for (size_t g = 0; g < MS_CLI_ARRAY_LEN(groups); g++) {
        for (size_t v = 0; v < groups[g]->n_verbs; v++) {
            if (strcmp(groups[g]->verbs[v].name, name) == 0) {
                return &groups[g]->verbs[v];
            }
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return MS_CLI_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0 || strcmp(name, "help") == 0) {
        if (argc > 2 && strcmp(name, "help") == 0) {
            const ms_cli_verb_t *verb = find_verb(argv[2]);
            if (verb != NULL) {
                char help_arg[] = "--help";
                char *args[] = { argv[2], help_arg, NULL };
                return verb->run(2, args);
            }
        }
        print_usage(stdout);
        return MS_CLI_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("meterseal %s (crypto backend: %s)\n", MS_CLI_VERSION, ms_crypto_backend_name());
        return MS_CLI_OK;
    }
    const ms_cli_verb_t *verb = find_verb(name);
    if (verb == NULL) {
        if (name[0] == '-') {
            fprintf(stderr, "meterseal: unknown option '%s' (see meterseal --help)\n", name);
        } else {
            fprintf(stderr, "meterseal: unknown verb '%s' (see meterseal --help)\n", name);
        }
        return MS_CLI_USAGE;
    }
    return verb->run(argc - 1, argv + 1);
}
