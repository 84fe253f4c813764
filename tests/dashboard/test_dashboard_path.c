/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_dashboard_path.c - the dashboard's static path check (dashboard.c):
 * the names it serves, their content types, and the traversal, hidden-file,
 * odd-byte and length refusals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dashboard.h"

static ms_err_t check(const char *url, char out[MS_DASH_PATH_MAX], const char **type)
{
    return ms_dashboard_path(url, strlen(url), out, type);
}

static void accepted(void **state)
{
    (void)state;
    char out[MS_DASH_PATH_MAX];
    const char *type = NULL;
    assert_int_equal(check("/", out, &type), MS_OK);
    assert_string_equal(out, "index.html");
    assert_string_equal(type, "text/html; charset=utf-8");
    assert_int_equal(check("/app.js", out, &type), MS_OK);
    assert_string_equal(out, "app.js");
    assert_string_equal(type, "text/javascript; charset=utf-8");
    assert_int_equal(check("/vendor/uPlot.min.css", out, &type), MS_OK);
    assert_string_equal(out, "vendor/uPlot.min.css");
    assert_string_equal(type, "text/css; charset=utf-8");
    assert_int_equal(check("/a-b_c/d.e.svg", out, &type), MS_OK);
    assert_string_equal(type, "image/svg+xml");
}

static void refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "index.html", "/..", "/../etc/passwd", "/a/../b.js", "/a/./b.js", "/./a.js",
        "/.git/config", "/.env.js", "//etc/passwd.js", "/a//b.js", "/a/", "/a.js/",
        "/a\\b.js", "/a%2e.js", "/a b.js", "/\xc3\xa9.js", "/a.js?x", "/a:b.js",
    };
    char out[MS_DASH_PATH_MAX];
    const char *type = NULL;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (check(bad[i], out, &type) != MS_ERR_FORMAT) {
            fail_msg("'%s' was not refused as malformed", bad[i]);
        }
    }
    /* a NUL inside the path */
    assert_int_equal(ms_dashboard_path("/a.js\0.html", 11, out, &type), MS_ERR_FORMAT);
    /* unknown or missing extensions: not served */
    assert_int_equal(check("/etc/passwd", out, &type), MS_ERR_UNSUPPORTED);
    assert_int_equal(check("/cloud.db", out, &type), MS_ERR_UNSUPPORTED);
    assert_int_equal(check("/a.JS", out, &type), MS_ERR_UNSUPPORTED);
    assert_int_equal(check("/a.html.", out, &type), MS_ERR_UNSUPPORTED);
}

static void lengths(void **state)
{
    (void)state;
    char url[MS_DASH_PATH_MAX + 8], out[MS_DASH_PATH_MAX];
    const char *type = NULL;
    /* "/" + name of MS_DASH_PATH_MAX - 1 bytes: the longest accepted */
    url[0] = '/';
    memset(url + 1, 'a', MS_DASH_PATH_MAX - 1 - 3);
    memcpy(url + MS_DASH_PATH_MAX - 3, ".js", 4);
    assert_int_equal(strlen(url), MS_DASH_PATH_MAX);
    assert_int_equal(check(url, out, &type), MS_OK);
    assert_int_equal(strlen(out), MS_DASH_PATH_MAX - 1);
    /* one more byte: refused */
    memset(url + 1, 'a', MS_DASH_PATH_MAX - 3);
    memcpy(url + MS_DASH_PATH_MAX - 2, ".js", 4);
    assert_int_equal(check(url, out, &type), MS_ERR_FORMAT);
    assert_int_equal(ms_dashboard_path(NULL, 0, out, &type), MS_ERR_FORMAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepted),
        cmocka_unit_test(refused),
        cmocka_unit_test(lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
