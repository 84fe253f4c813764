/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_dashboard_path.c - fuzz target for the dashboard's static path check
 * (ms_dashboard_path): any bytes as a request path. Whatever is accepted
 * must be a relative name of allowed characters, with no empty, "." or ".."
 * segment, that fits its buffer, and with a content type.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dashboard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char out[MS_DASH_PATH_MAX];
    const char *type = NULL;
    if (ms_dashboard_path((const char *)data, size, out, &type) != MS_OK) {
        return 0;
    }
    const char *nul = memchr(out, '\0', sizeof out);
    size_t n = nul != NULL ? (size_t)(nul - out) : sizeof out;
    if (n == 0 || n == sizeof out || type == NULL || out[0] == '/' || out[0] == '.' ||
        strstr(out, "//") != NULL || strstr(out, "/.") != NULL) {
        abort();
    }
    for (size_t i = 0; i < n; i++) {
        char c = out[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '/')) {
            abort();
        }
    }
    return 0;
}
