/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_update_agent.c - the Non-secure update agent (link_update_agent.h)
 * against the real TEE update service through the dispatcher, on the boot
 * fixture's flash, with the cloud played by the test: the requests it
 * sends, chunks that are not the one asked for (ignored), a chunk the TEE
 * cannot take (asked again), an offer while testing (refused), a report
 * that could not go out (sent again at link up), a refused image (failed
 * with the TEE's reason, no reboot), a boot-loader refusal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "boot_fixture.h"
#include "meterseal/link_update_agent.h"
#include "meterseal/tee_update.h"

static uint8_t g_shared[MS_UPD_AGENT_SHARED];

typedef struct cloud {
    bool online;
    ms_link_chunk_req_t req;      /* the last request */
    size_t requests;
    ms_link_upd_status_t st[32];  /* reports received */
    size_t n_st;
} cloud_t;

static psa_status_t ns_call(void *ctx, uint32_t sid, int32_t type, const ms_tee_invec_t *in,
                            size_t n_in, ms_tee_outvec_t *out, size_t n_out)
{
    (void)ctx;
    ms_tee_caller_t caller = {.id = MS_TEE_PART_NSPE, .mem_base = (uintptr_t)g_shared,
                              .mem_len = sizeof g_shared};
    return ms_tee_call(&caller, sid, type, in, n_in, out, n_out);
}

static ms_err_t send(void *ctx, ms_upd_send_kind_t kind, const uint8_t *p, size_t n)
{
    cloud_t *c = ctx;
    if (!c->online) {
        return MS_ERR_IO;
    }
    if (kind == MS_UPD_SEND_REQUEST) {
        c->requests++;
        return ms_link_chunk_req_decode(p, n, &c->req);
    }
    assert_true(c->n_st < 32);
    return ms_link_upd_status_decode(p, n, &c->st[c->n_st++]);
}

/* The chunk the cloud would send for the last request. */
static size_t chunk(const fx_image_t *img, uint32_t off, uint32_t len, uint8_t *buf, size_t cap)
{
    ms_link_chunk_t ch = {.campaign_id = 9, .offset = off, .data = img->data + off, .len = len};
    size_t n = 0;
    assert_int_equal(ms_link_chunk_encode(&ch, buf, cap, &n), MS_OK);
    return n;
}

typedef struct env {
    fx_t *fx;
    fx_image_t base, img;
    cloud_t cloud;
    ms_upd_agent_t a;
    ms_link_offer_t offer;
} env_t;

static env_t *env_new(const fx_image_t *img)
{
    env_t *e = calloc(1, sizeof *e);
    fx_img_opts_t o = {.payload_len = 3000, .seed = 1, .major = 1, .has_sec_cnt = true,
                       .sec_cnt = 1};
    e->base = fx_make_image(&o);
    e->img = *img;
    e->fx = fx_new(1, &ms_boot_strategy_swap_move);
    fx_write_slot(e->fx, 0, 0, e->base.data, e->base.len);
    assert_int_equal(fx_boot(e->fx), MS_OK);
    ms_tee_update_service_bind(&e->fx->cfg);
    e->cloud.online = true;
    ms_upd_agent_io_t io = {.call = ns_call, .shared = g_shared, .send = send,
                            .send_ctx = &e->cloud};
    ms_upd_agent_init(&e->a, &io, "m-1");
    ms_link_offer_t *of = &e->offer;
    snprintf(of->meter_id, sizeof of->meter_id, "m-1");
    of->campaign_id = 9;
    assert_int_equal(ms_sha256(img->data, img->len, of->sha256), MS_OK);
    of->size = (uint32_t)img->len;
    of->major = 2;
    of->chunk_size = 1024;
    return e;
}

static void env_free(env_t *e)
{
    ms_tee_update_service_bind(NULL);
    fx_image_free(&e->base);
    fx_free(e->fx);
    free(e);
}

/* Serve requests until the agent stops asking. */
static void serve(env_t *e)
{
    uint8_t buf[MS_LINK_CHUNK_MSG_MAX];
    size_t guard = 0;
    while (e->a.state == MS_UPD_AGENT_DOWNLOADING && guard++ < 1000) {
        size_t before = e->cloud.requests;
        size_t n = chunk(&e->img, e->cloud.req.offset, e->cloud.req.length, buf, sizeof buf);
        assert_int_equal(ms_upd_agent_chunk(&e->a, buf, n), MS_OK);
        if (e->a.state == MS_UPD_AGENT_DOWNLOADING) {
            assert_int_equal(e->cloud.requests, before + 1);
        }
    }
}

static const char *last_state(const env_t *e)
{
    return ms_link_upd_state_name(e->cloud.st[e->cloud.n_st - 1].state);
}

static void full_update_with_odd_chunks(void **state)
{
    (void)state;
    fx_img_opts_t o = {.payload_len = 5000, .seed = 2, .major = 2, .has_sec_cnt = true,
                       .sec_cnt = 2, .encrypt = true};
    fx_image_t img = fx_make_image(&o);
    env_t *e = env_new(&img);
    assert_int_equal(ms_upd_agent_offer(&e->a, &e->offer), MS_OK);
    assert_int_equal(e->a.state, MS_UPD_AGENT_DOWNLOADING);
    assert_string_equal(last_state(e), "downloading");
    assert_int_equal(e->cloud.req.offset, 0);
    assert_int_equal(e->cloud.req.length, 1024);
    uint8_t buf[MS_LINK_CHUNK_MSG_MAX];
    /* a chunk at another offset, of another campaign, or garbage: ignored */
    size_t n = chunk(&img, 1024, 1024, buf, sizeof buf);
    assert_int_equal(ms_upd_agent_chunk(&e->a, buf, n), MS_ERR_STATE);
    ms_link_chunk_t other = {.campaign_id = 8, .offset = 0, .data = img.data, .len = 1024};
    assert_int_equal(ms_link_chunk_encode(&other, buf, sizeof buf, &n), MS_OK);
    assert_int_equal(ms_upd_agent_chunk(&e->a, buf, n), MS_ERR_STATE);
    assert_int_not_equal(ms_upd_agent_chunk(&e->a, (const uint8_t *)"\xa3\x01", 2), MS_OK);
    /* a 1001-byte chunk (not a multiple of the write unit): the TEE refuses
     * it, the agent asks again at the TEE's offset */
    size_t req_before = e->cloud.requests;
    n = chunk(&img, 0, 1001, buf, sizeof buf);
    assert_int_equal(ms_upd_agent_chunk(&e->a, buf, n), MS_OK);
    assert_int_equal(e->cloud.requests, req_before + 1);
    assert_int_equal(e->cloud.req.offset, 0);
    /* an offer while downloading the same campaign resumes */
    assert_int_equal(ms_upd_agent_offer(&e->a, &e->offer), MS_OK);
    assert_int_equal(e->cloud.req.offset, 0);
    serve(e);
    assert_int_equal(e->a.state, MS_UPD_AGENT_REBOOT);
    assert_string_equal(last_state(e), "installing");
    assert_int_equal(ms_upd_agent_offer(&e->a, &e->offer), MS_ERR_STATE);
    /* reboot; the report of the confirm waits for the link */
    assert_int_equal(fx_boot(e->fx), MS_OK);
    assert_int_equal(ms_upd_agent_booted(&e->a, &e->fx->res.img[0].m.version), MS_OK);
    assert_int_equal(e->a.state, MS_UPD_AGENT_TESTING);
    assert_int_equal(ms_upd_agent_offer(&e->a, &e->offer), MS_ERR_STATE);
    e->cloud.online = false;
    size_t reports = e->cloud.n_st;
    assert_int_equal(ms_upd_agent_link_up(&e->a), MS_OK);   /* confirmed; report not out */
    assert_int_equal(e->a.state, MS_UPD_AGENT_DONE);
    assert_true(e->a.status_unsent);
    assert_int_equal(e->cloud.n_st, reports);
    e->cloud.online = true;
    assert_int_equal(ms_upd_agent_link_up(&e->a), MS_OK);
    assert_string_equal(last_state(e), "success");
    assert_int_equal(e->cloud.st[e->cloud.n_st - 1].result, MS_LINK_UPD_R_SUCCESS);
    assert_int_equal(fx_boot(e->fx), MS_OK);
    assert_int_equal(e->fx->res.img[0].m.version.major, 2);
    assert_true(e->fx->res.img[0].confirmed);
    fx_image_free(&img);
    env_free(e);
}

static void refused_image_reports_reason_without_reboot(void **state)
{
    (void)state;
    fx_img_opts_t o = {.payload_len = 2500, .seed = 3, .major = 2, .has_sec_cnt = true,
                       .sec_cnt = 2, .key = &fx_other_priv};
    fx_image_t img = fx_make_image(&o);
    env_t *e = env_new(&img);
    assert_int_equal(ms_upd_agent_offer(&e->a, &e->offer), MS_OK);
    serve(e);
    assert_int_equal(e->a.state, MS_UPD_AGENT_DONE);
    assert_int_equal(e->a.refused, MS_ERR_IMG_KEY_UNKNOWN);
    assert_string_equal(last_state(e), "failed");
    assert_string_equal(e->cloud.st[e->cloud.n_st - 1].reason, "MS_ERR_IMG_KEY_UNKNOWN");
    assert_int_equal(e->cloud.st[e->cloud.n_st - 1].result, MS_LINK_UPD_R_INTEGRITY);
    assert_int_not_equal(fx_trailer(e->fx, 0, 1).magic, MS_BOOT_MAGIC_GOOD);
    fx_image_free(&img);
    env_free(e);
}

static void old_version_after_reboot_is_a_revert_or_refusal(void **state)
{
    (void)state;
    fx_img_opts_t o = {.payload_len = 2500, .seed = 4, .major = 2, .has_sec_cnt = true,
                       .sec_cnt = 2};
    fx_image_t img = fx_make_image(&o);
    env_t *e = env_new(&img);
    assert_int_equal(ms_upd_agent_offer(&e->a, &e->offer), MS_OK);
    serve(e);
    assert_int_equal(e->a.state, MS_UPD_AGENT_REBOOT);
    /* the secondary is damaged before the reboot: the boot loader refuses it */
    fx_flip(e->fx, 0, 1, 0x300);
    assert_int_equal(fx_boot(e->fx), MS_OK);
    assert_int_equal(e->fx->res.img[0].m.version.major, 1);
    assert_int_equal(ms_upd_agent_booted(&e->a, &e->fx->res.img[0].m.version), MS_OK);
    assert_string_equal(last_state(e), "failed");
    assert_string_equal(e->cloud.st[e->cloud.n_st - 1].reason, "refused by the boot loader");
    fx_image_free(&img);
    env_free(e);
}

/* The power goes after INSTALL, before the agent's own state said REBOOT:
 * after the restart the agent (state as saved: DOWNLOADING) learns from the
 * boot that the new image runs as a test image, and confirms it at the next
 * link up instead of downloading over the copy a revert needs. A replay of
 * the finished campaign's offer is refused. */
static void install_the_agent_did_not_record_is_picked_up_at_boot(void **state)
{
    (void)state;
    fx_img_opts_t o = {.payload_len = 2500, .seed = 5, .major = 2, .has_sec_cnt = true,
                       .sec_cnt = 2};
    fx_image_t img = fx_make_image(&o);
    env_t *e = env_new(&img);
    assert_int_equal(ms_upd_agent_offer(&e->a, &e->offer), MS_OK);
    ms_upd_agent_t saved = e->a;   /* what the Non-secure storage held at the cut */
    serve(e);
    assert_int_equal(e->a.state, MS_UPD_AGENT_REBOOT);
    e->a = saved;
    assert_int_equal(fx_boot(e->fx), MS_OK);
    ms_tee_update_service_bind(&e->fx->cfg);   /* the TEE starts afresh */
    assert_int_equal(e->fx->res.img[0].m.version.major, 2);
    assert_false(e->fx->res.img[0].confirmed);
    assert_int_equal(ms_upd_agent_booted(&e->a, &e->fx->res.img[0].m.version), MS_OK);
    assert_int_equal(e->a.state, MS_UPD_AGENT_TESTING);
    assert_int_equal(ms_upd_agent_link_up(&e->a), MS_OK);
    assert_string_equal(last_state(e), "success");
    assert_int_equal(fx_boot(e->fx), MS_OK);
    assert_true(e->fx->res.img[0].confirmed);
    assert_int_equal(ms_upd_agent_offer(&e->a, &e->offer), MS_ERR_STATE);
    fx_image_free(&img);
    env_free(e);
}

int main(void)
{
    fx_keys_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_update_with_odd_chunks),
        cmocka_unit_test(refused_image_reports_reason_without_reboot),
        cmocka_unit_test(old_version_after_reboot_is_a_revert_or_refusal),
        cmocka_unit_test(install_the_agent_did_not_record_is_picked_up_at_boot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
