/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_cloud_json.c - fuzz target for the HTTP API's parameter handling
 * (json_params.c): every body parser and the query value parser get the
 * input; the first byte picks nothing, so each run exercises all of them.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_params.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ms_jp_register_t reg;
    ms_jp_login_t login;
    ms_jp_command_t cmd;
    char reason[MS_JP_REASON_MAX];
    const char *body = (const char *)data;
    (void)ms_jp_login(body, size, &login, reason);
    (void)ms_jp_register(body, size, &reg, reason);
    if (ms_jp_command(body, size, &cmd, reason) == MS_OK) {
        char args[MS_STORE_ARGS_MAX];
        (void)ms_jp_command_args_json(&cmd, args, sizeof args);
    }
    char *q = malloc(size + 1);
    if (q != NULL) {
        memcpy(q, data, size);
        q[size] = '\0';
        uint64_t v = 0;
        (void)ms_jp_query_u64(q, UINT64_MAX, 0, &v);
        free(q);
    }
    return 0;
}
