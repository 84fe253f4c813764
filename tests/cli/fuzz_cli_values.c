/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_cli_values.c - libFuzzer target for the value parsers of the
 * `meterseal` tool (cli_util.c): --version strings, --dependencies lists and
 * numbers, which come from the command line of build scripts.
 *
 * The input is split at the first NUL into a version/number string and a
 * dependency string. Properties checked beyond "no crash, no overread":
 *   - a version that parses formats back to a string that parses to the
 *     same fields (round trip);
 *   - a dependency list that parses has 1..MS_IMAGE_MAX_DEPS entries.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Copy [p, p+n) into a fresh NUL-terminated heap string (exact size, so
 * ASan sees any read past the end). */
static char *cstr(const uint8_t *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s != NULL) {
        if (n != 0) {
            memcpy(s, p, n);
        }
        s[n] = '\0';
    }
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t n1 = nul != NULL ? (size_t)(nul - data) : size;
    char *a = cstr(data, n1);
    char *b = nul != NULL ? cstr(nul + 1, size - n1 - 1) : cstr(data, 0);
    if (a == NULL || b == NULL) {
        free(a);
        free(b);
        return 0;
    }

    ms_image_version_t v, v2;
    if (ms_cli_parse_version(a, &v)) {
        char text[40];
        ms_cli_format_version(&v, text, sizeof(text));
        if (!ms_cli_parse_version(text, &v2) || v.major != v2.major || v.minor != v2.minor ||
            v.revision != v2.revision || v.build != v2.build) {
            abort();
        }
    }
    uint32_t u;
    (void)ms_cli_parse_u32(a, &u);

    ms_image_dependency_t deps[MS_IMAGE_MAX_DEPS];
    uint8_t n_deps = 0xff;
    if (ms_cli_parse_deps(b, deps, &n_deps) && (n_deps == 0 || n_deps > MS_IMAGE_MAX_DEPS)) {
        abort();
    }
    free(a);
    free(b);
    return 0;
}
