/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_cloud_json.c - the HTTP API's parameter parsers (json_params.c):
 * what they accept, and that each refusal carries a reason naming the
 * member at fault.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "json_params.h"

#define REFUSED(call, text)                                                  \
    do {                                                                     \
        char reason_[MS_JP_REASON_MAX] = "";                                 \
        assert_int_equal(call, MS_ERR_FORMAT);                               \
        if (strstr(reason_, text) == NULL) {                                 \
            fail_msg("reason '%s' does not say '%s'", reason_, text);        \
        }                                                                    \
    } while (0)

static ms_err_t login(const char *body, char *reason)
{
    ms_jp_login_t l;
    return ms_jp_login(body, strlen(body), &l, reason);
}

static ms_err_t command(const char *body, ms_jp_command_t *c, char *reason)
{
    return ms_jp_command(body, strlen(body), c, reason);
}

static void login_members(void **state)
{
    (void)state;
    char reason[MS_JP_REASON_MAX];
    ms_jp_login_t l;
    const char *ok = "{\"name\":\"alice\",\"password\":\"p\"}";
    assert_int_equal(ms_jp_login(ok, strlen(ok), &l, reason), MS_OK);
    assert_string_equal(l.name, "alice");
    REFUSED(login("", reason_), "empty body");
    REFUSED(login("{\"name\":\"alice\"}", reason_), "missing member 'password'");
    REFUSED(login("{\"name\":\"\",\"password\":\"p\"}", reason_), "'name' has a bad length");
    REFUSED(login("{\"name\":\"a\",\"password\":\"p\",\"x\":1}", reason_), "unknown member 'x'");
    REFUSED(login("{\"name\":\"a\\u0000b\",\"password\":\"p\"}", reason_), "malformed JSON");
    REFUSED(login("{\"name\":\"a\",\"password\":\"p\"} trailing", reason_), "malformed JSON");
    char big[MS_JP_BODY_MAX + 8];
    memset(big, ' ', sizeof big);
    big[sizeof big - 1] = '\0';
    REFUSED(login(big, reason_), "too large");
    /* a member name cut inside a UTF-8 character: the reason stays ASCII */
    const char *cut = "{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9\":1}";
    assert_int_equal(ms_jp_login(cut, strlen(cut), &l, reason), MS_ERR_FORMAT);
    assert_string_equal(reason, "unknown member 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa?'");
    json_t *j = json_pack("{s:s}", "reason", reason);
    assert_non_null(j);   /* fits a JSON string */
    json_decref(j);
}

static void commands(void **state)
{
    (void)state;
    char reason[MS_JP_REASON_MAX];
    ms_jp_command_t c;
    assert_int_equal(command("{\"type\":\"relay\",\"connect\":false}", &c, reason), MS_OK);
    assert_int_equal(c.type, MS_CMD_RELAY);
    assert_false(c.connect);
    assert_int_equal(command("{\"type\":\"tariff\",\"tariff_id\":2,\"price_milli_per_kwh\":310}",
                             &c, reason), MS_OK);
    assert_int_equal(c.price_milli_per_kwh, 310);
    char args[MS_STORE_ARGS_MAX];
    assert_int_equal(ms_jp_command_args_json(&c, args, sizeof args), MS_OK);
    assert_string_equal(args, "{\"tariff_id\":2,\"price_milli_per_kwh\":310}");
    REFUSED(command("{\"type\":\"relay\",\"connect\":1}", &c, reason_), "true or false");
    REFUSED(command("{\"type\":\"topup\",\"amount_milli\":1.5}", &c, reason_), "amount_milli");
    REFUSED(command("{\"type\":\"topup\",\"amount_milli\":99999999999999999999}", &c, reason_),
            "malformed JSON");
    REFUSED(command("{\"type\":\"topup\",\"amount_milli\":5,\"connect\":true}", &c, reason_),
            "unknown member 'connect'");
    REFUSED(command("{\"type\":\"reboot\"}", &c, reason_), "type must be");
    /* The meter's TEE refuses a price above MS_LINK_PRICE_MAX: the cloud must
     * not sign a command that can only fail on the meter. */
    assert_int_equal(command("{\"type\":\"tariff\",\"tariff_id\":1,"
                             "\"price_milli_per_kwh\":1000000000}", &c, reason), MS_OK);
    REFUSED(command("{\"type\":\"tariff\",\"tariff_id\":1,"
                    "\"price_milli_per_kwh\":1000000001}", &c, reason_), "in range");
}

static void registration(void **state)
{
    (void)state;
    static ms_jp_register_t r;
    char body[1024], pub[2 * MS_P256_PUB_LEN + 1], nonce[65];
    ms_p256_priv_t k;
    ms_p256_pub_t p;
    assert_int_equal(ms_p256_keygen(&k, &p), MS_OK);
    ms_jp_hex(p.q, sizeof p.q, pub);
    memset(nonce, 'a', 64);
    nonce[64] = '\0';
    snprintf(body, sizeof body,
             "{\"meter_id\":\"m-1\",\"cert_pem\":\"PEM\",\"iak_pub_hex\":\"%s\","
             "\"token_hex\":\"d28443a10126\",\"nonce_hex\":\"%s\"}", pub, nonce);
    char reason[MS_JP_REASON_MAX];
    assert_int_equal(ms_jp_register(body, strlen(body), &r, reason), MS_OK);
    assert_int_equal(r.token_len, 6);
    assert_int_equal(r.nonce[0], 0xaa);
    char bad[1024];
    snprintf(bad, sizeof bad, "%s", body);
    memcpy(strstr(bad, "m-1"), "m_1", 3);
    REFUSED(ms_jp_register(bad, strlen(bad), &r, reason_), "meter_id");
    snprintf(bad, sizeof bad, "%s", body);
    strstr(bad, pub)[2] ^= 1;   /* no longer a point on the curve (or not hex) */
    REFUSED(ms_jp_register(bad, strlen(bad), &r, reason_), "iak_pub_hex");
    snprintf(bad, sizeof bad, "%s", body);
    strstr(bad, "d28443a10126")[11] = 'x';
    REFUSED(ms_jp_register(bad, strlen(bad), &r, reason_), "token_hex");
    snprintf(bad, sizeof bad, "%s", body);
    strstr(bad, nonce)[63] = '\0';   /* cuts the JSON: malformed */
    REFUSED(ms_jp_register(bad, strlen(bad), &r, reason_), "malformed JSON");
}

static void query_values(void **state)
{
    (void)state;
    uint64_t v = 0;
    assert_int_equal(ms_jp_query_u64(NULL, 10, 7, &v), MS_OK);
    assert_int_equal(v, 7);
    assert_int_equal(ms_jp_query_u64("10", 10, 0, &v), MS_OK);
    assert_int_equal(ms_jp_query_u64("11", 10, 0, &v), MS_ERR_FORMAT);
    assert_int_equal(ms_jp_query_u64("-1", 10, 0, &v), MS_ERR_FORMAT);
    assert_int_equal(ms_jp_query_u64("", 10, 0, &v), MS_ERR_FORMAT);
    assert_int_equal(ms_jp_query_u64("99999999999999999999", UINT64_MAX, 0, &v), MS_ERR_FORMAT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(login_members),
        cmocka_unit_test(commands),
        cmocka_unit_test(registration),
        cmocka_unit_test(query_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
