/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_link_update.c - the firmware update messages (link_update.h):
 * encodings pinned byte for byte (docs/ota.md section 3 shows the same
 * bytes), round trips at the bounds, refusals of malformed and
 * non-deterministic payloads, the state names and the LwM2M result mapping.
 * With an argument it also writes the fuzz seeds into that directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "meterseal/link_update.h"

static const char *g_seed_dir;

static void seed(const char *name, uint8_t kind, const uint8_t *p, size_t n)
{
    if (g_seed_dir == NULL) {
        return;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/%s", g_seed_dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputc(kind, f);
    fwrite(p, 1, n, f);
    fclose(f);
}

static void status_pinned_and_round_trip(void **state)
{
    (void)state;
    ms_link_upd_status_t s = {.meter_id = "m-1", .campaign_id = 7, .state = MS_LINK_UPD_FAILED,
                              .progress = 300, .result = MS_LINK_UPD_R_INTEGRITY,
                              .reason = "MS_ERR_IMG_HASH"};
    uint8_t buf[256];
    size_t n = 0;
    assert_int_equal(ms_link_upd_status_encode(&s, buf, sizeof buf, &n), MS_OK);
    static const uint8_t want[] = {
        0xa6, 0x01, 0x63, 'm', '-', '1', 0x02, 0x07, 0x03, 0x06, 0x04, 0x19, 0x01, 0x2c,
        0x05, 0x05, 0x06, 0x6f, 'M', 'S', '_', 'E', 'R', 'R', '_', 'I', 'M', 'G', '_', 'H',
        'A', 'S', 'H'};
    assert_int_equal(n, sizeof want);
    assert_memory_equal(buf, want, sizeof want);
    seed("status-failed", 3, buf, n);
    ms_link_upd_status_t back;
    assert_int_equal(ms_link_upd_status_decode(buf, n, &back), MS_OK);
    assert_string_equal(back.meter_id, "m-1");
    assert_int_equal(back.state, MS_LINK_UPD_FAILED);
    assert_int_equal(back.progress, 300);
    assert_string_equal(back.reason, "MS_ERR_IMG_HASH");
    /* every truncation is refused */
    for (size_t i = 0; i < n; i++) {
        assert_int_not_equal(ms_link_upd_status_decode(buf, i, &back), MS_OK);
    }
    /* a non-shortest integer (progress 300 as a 4-byte head) is refused */
    uint8_t wide[64];
    memcpy(wide, buf, 11);
    wide[11] = 0x1a;
    wide[12] = 0;
    wide[13] = 0;
    wide[14] = 0x01;
    wide[15] = 0x2c;
    memcpy(wide + 16, buf + 14, n - 14);
    assert_int_equal(ms_link_upd_status_decode(wide, n + 2, &back), MS_ERR_FORMAT);
    /* an unknown state, a result past the table, a control byte in the reason */
    s.state = MS_LINK_UPD_STATE_COUNT_;
    assert_int_equal(ms_link_upd_status_encode(&s, buf, sizeof buf, &n), MS_ERR_ARG);
    uint8_t bad[sizeof want];
    memcpy(bad, want, sizeof want);
    bad[9] = 0x08;
    assert_int_equal(ms_link_upd_status_decode(bad, sizeof bad, &back), MS_ERR_FORMAT);
    memcpy(bad, want, sizeof want);
    bad[15] = 0x0b;
    assert_int_equal(ms_link_upd_status_decode(bad, sizeof bad, &back), MS_ERR_FORMAT);
    memcpy(bad, want, sizeof want);
    bad[20] = 0x07;
    assert_int_equal(ms_link_upd_status_decode(bad, sizeof bad, &back), MS_ERR_FORMAT);
    /* trailing bytes */
    memcpy(wide, want, sizeof want);
    wide[sizeof want] = 0;
    assert_int_equal(ms_link_upd_status_decode(wide, sizeof want + 1, &back), MS_ERR_FORMAT);
    /* each state round-trips */
    for (uint32_t st = 0; st < MS_LINK_UPD_STATE_COUNT_; st++) {
        ms_link_upd_status_t x = {.meter_id = "m-2", .campaign_id = 1, .state = st};
        assert_int_equal(ms_link_upd_status_encode(&x, buf, sizeof buf, &n), MS_OK);
        assert_int_equal(ms_link_upd_status_decode(buf, n, &back), MS_OK);
        assert_int_equal(back.state, st);
        uint32_t parsed = 99;
        assert_int_equal(ms_link_upd_state_parse(ms_link_upd_state_name(st), &parsed), MS_OK);
        assert_int_equal(parsed, st);
    }
    seed("status-queued", 3, buf, n);
}

/* Key 7, the TEE's report number: present when not 0, 1..INT64_MAX. */
static void status_number_pinned_and_bounded(void **state)
{
    (void)state;
    ms_link_upd_status_t s = {.meter_id = "m-1", .campaign_id = 7, .state = MS_LINK_UPD_FAILED,
                              .progress = 300, .result = MS_LINK_UPD_R_INTEGRITY,
                              .reason = "MS_ERR_IMG_HASH", .seq = 1000};
    uint8_t buf[256];
    size_t n = 0;
    assert_int_equal(ms_link_upd_status_encode(&s, buf, sizeof buf, &n), MS_OK);
    static const uint8_t want[] = {
        0xa7, 0x01, 0x63, 'm', '-', '1', 0x02, 0x07, 0x03, 0x06, 0x04, 0x19, 0x01, 0x2c,
        0x05, 0x05, 0x06, 0x6f, 'M', 'S', '_', 'E', 'R', 'R', '_', 'I', 'M', 'G', '_', 'H',
        'A', 'S', 'H', 0x07, 0x19, 0x03, 0xe8};
    assert_int_equal(n, sizeof want);
    assert_memory_equal(buf, want, sizeof want);
    seed("status-numbered", 3, buf, n);
    ms_link_upd_status_t back;
    assert_int_equal(ms_link_upd_status_decode(buf, n, &back), MS_OK);
    assert_int_equal(back.seq, 1000);
    for (size_t i = 0; i < n; i++) {
        assert_int_not_equal(ms_link_upd_status_decode(buf, i, &back), MS_OK);
    }
    /* 7: 0 is not the encoding of "no number", so it is refused */
    uint8_t zero[sizeof want];
    memcpy(zero, want, sizeof want - 3);
    zero[sizeof want - 3] = 0x00;
    assert_int_equal(ms_link_upd_status_decode(zero, sizeof want - 2, &back), MS_ERR_FORMAT);
    /* map(7) without key 7 (a key 8, or 7 keys and a missing one) */
    uint8_t other[sizeof want];
    memcpy(other, want, sizeof want);
    other[sizeof want - 4] = 0x08;
    assert_int_equal(ms_link_upd_status_decode(other, sizeof other, &back), MS_ERR_FORMAT);
    memcpy(other, want, sizeof want);
    other[0] = 0xa8;
    assert_int_equal(ms_link_upd_status_decode(other, sizeof other, &back), MS_ERR_FORMAT);
    other[0] = 0xa5;
    assert_int_equal(ms_link_upd_status_decode(other, sizeof other, &back), MS_ERR_FORMAT);
    /* past INT64_MAX */
    s.seq = (uint64_t)INT64_MAX;
    assert_int_equal(ms_link_upd_status_encode(&s, buf, sizeof buf, &n), MS_OK);
    assert_int_equal(ms_link_upd_status_decode(buf, n, &back), MS_OK);
    assert_true(n <= MS_LINK_UPD_STATUS_MAX);
    buf[n - 8] = 0x80;   /* the number's top byte: 2^63 and up */
    assert_int_equal(ms_link_upd_status_decode(buf, n, &back), MS_ERR_FORMAT);
    s.seq = (uint64_t)INT64_MAX + 1u;
    assert_int_equal(ms_link_upd_status_encode(&s, buf, sizeof buf, &n), MS_ERR_ARG);
}

static void offer_pinned_and_round_trip(void **state)
{
    (void)state;
    ms_link_offer_t o = {.meter_id = "m-1", .campaign_id = 1, .size = 262144, .major = 1,
                         .minor = 2, .revision = 3, .build = 0, .sec_cnt = 5,
                         .chunk_size = 1024, .image = 1};
    memset(o.sha256, 0xab, sizeof o.sha256);
    uint8_t buf[256];
    size_t n = 0;
    assert_int_equal(ms_link_offer_encode(&o, buf, sizeof buf, &n), MS_OK);
    /* a8 01 63 "m-1" 02 01 03 58 20 <32> 04 1a 00 04 00 00 05 84 01 02 03 00 06 05 07 19 04 00 08 01 */
    assert_int_equal(n, 1 + 5 + 2 + 3 + 32 + 6 + 6 + 2 + 4 + 2);
    assert_int_equal(buf[0], 0xa8);
    assert_int_equal(buf[8], 0x03);
    assert_int_equal(buf[9], 0x58);
    assert_int_equal(buf[10], 0x20);
    static const uint8_t tail[] = {0x04, 0x1a, 0x00, 0x04, 0x00, 0x00, 0x05, 0x84, 0x01,
                                   0x02, 0x03, 0x00, 0x06, 0x05, 0x07, 0x19, 0x04, 0x00,
                                   0x08, 0x01};
    assert_memory_equal(buf + 43, tail, sizeof tail);
    seed("offer", 0, buf, n);
    ms_link_offer_t back;
    assert_int_equal(ms_link_offer_decode(buf, n, &back), MS_OK);
    assert_memory_equal(&back.sha256, o.sha256, 32);
    assert_int_equal(back.size, 262144);
    assert_int_equal(back.revision, 3);
    assert_int_equal(back.chunk_size, 1024);
    assert_int_equal(back.image, 1);
    for (size_t i = 0; i < n; i++) {
        assert_int_not_equal(ms_link_offer_decode(buf, i, &back), MS_OK);
    }
    o.chunk_size = MS_LINK_CHUNK_MAX + 1;
    assert_int_equal(ms_link_offer_encode(&o, buf, sizeof buf, &n), MS_ERR_ARG);
    o.chunk_size = 1;
    o.image = 2;
    assert_int_equal(ms_link_offer_encode(&o, buf, sizeof buf, &n), MS_ERR_ARG);
    o.image = 0;
    assert_int_equal(ms_link_offer_encode(&o, buf, 20, &n), MS_ERR_BUFFER_TOO_SMALL);
}

static void chunk_and_request(void **state)
{
    (void)state;
    static uint8_t data[MS_LINK_CHUNK_MAX + 1];
    for (size_t i = 0; i < sizeof data; i++) {
        data[i] = (uint8_t)i;
    }
    ms_link_chunk_t c = {.campaign_id = 3, .offset = 4096, .data = data, .len = MS_LINK_CHUNK_MAX};
    uint8_t buf[MS_LINK_CHUNK_MSG_MAX];
    size_t n = 0;
    assert_int_equal(ms_link_chunk_encode(&c, buf, sizeof buf, &n), MS_OK);
    seed("chunk-max", 2, buf, n);
    ms_link_chunk_t back;
    assert_int_equal(ms_link_chunk_decode(buf, n, &back), MS_OK);
    assert_int_equal(back.len, MS_LINK_CHUNK_MAX);
    assert_int_equal(back.offset, 4096);
    assert_memory_equal(back.data, data, MS_LINK_CHUNK_MAX);
    assert_true(back.data > buf && back.data + back.len == buf + n);
    c.len = MS_LINK_CHUNK_MAX + 1;
    assert_int_equal(ms_link_chunk_encode(&c, buf, sizeof buf, &n), MS_ERR_ARG);
    c.len = 0;
    assert_int_equal(ms_link_chunk_encode(&c, buf, sizeof buf, &n), MS_ERR_ARG);
    /* an empty data string on the wire */
    static const uint8_t empty[] = {0xa3, 0x01, 0x03, 0x02, 0x00, 0x03, 0x40};
    assert_int_equal(ms_link_chunk_decode(empty, sizeof empty, &back), MS_ERR_FORMAT);
    c.len = 5;
    assert_int_equal(ms_link_chunk_encode(&c, buf, sizeof buf, &n), MS_OK);
    seed("chunk-small", 2, buf, n);

    ms_link_chunk_req_t r = {.meter_id = "meter-0001", .campaign_id = 3, .offset = 8192,
                             .length = 1024};
    assert_int_equal(ms_link_chunk_req_encode(&r, buf, sizeof buf, &n), MS_OK);
    static const uint8_t want[] = {0xa4, 0x01, 0x6a, 'm', 'e', 't', 'e', 'r', '-', '0', '0', '0',
                                   '1', 0x02, 0x03, 0x03, 0x19, 0x20, 0x00, 0x04, 0x19, 0x04,
                                   0x00};
    assert_int_equal(n, sizeof want);
    assert_memory_equal(buf, want, n);
    seed("request", 1, buf, n);
    ms_link_chunk_req_t rb;
    assert_int_equal(ms_link_chunk_req_decode(buf, n, &rb), MS_OK);
    assert_string_equal(rb.meter_id, "meter-0001");
    assert_int_equal(rb.offset, 8192);
    buf[2] = 0x6a;
    buf[3] = '_';   /* not a meter id character */
    assert_int_equal(ms_link_chunk_req_decode(buf, n, &rb), MS_ERR_FORMAT);
    r.length = 0;
    assert_int_equal(ms_link_chunk_req_encode(&r, buf, sizeof buf, &n), MS_ERR_ARG);
}

static void result_mapping(void **state)
{
    (void)state;
    assert_int_equal(ms_link_upd_result_for(MS_OK), MS_LINK_UPD_R_SUCCESS);
    assert_int_equal(ms_link_upd_result_for(MS_ERR_IMG_HASH), MS_LINK_UPD_R_INTEGRITY);
    assert_int_equal(ms_link_upd_result_for(MS_ERR_IMG_ENC_KEY), MS_LINK_UPD_R_INTEGRITY);
    assert_int_equal(ms_link_upd_result_for(MS_ERR_BOOT_ROLLBACK), MS_LINK_UPD_R_INTEGRITY);
    assert_int_equal(ms_link_upd_result_for(MS_ERR_BOOT_DOWNGRADE), MS_LINK_UPD_R_INTEGRITY);
    assert_int_equal(ms_link_upd_result_for(MS_ERR_IMG_TOO_LARGE), MS_LINK_UPD_R_NO_SPACE);
    assert_int_equal(ms_link_upd_result_for(MS_ERR_IO), MS_LINK_UPD_R_FAILED);
    assert_null(ms_link_upd_state_name(MS_LINK_UPD_STATE_COUNT_));
    uint32_t st = 0;
    assert_int_equal(ms_link_upd_state_parse("bogus", &st), MS_ERR_NOT_FOUND);
}

int main(int argc, char **argv)
{
    g_seed_dir = argc > 1 ? argv[1] : NULL;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(status_pinned_and_round_trip),
        cmocka_unit_test(status_number_pinned_and_bounded),
        cmocka_unit_test(offer_pinned_and_round_trip),
        cmocka_unit_test(chunk_and_request),
        cmocka_unit_test(result_mapping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
