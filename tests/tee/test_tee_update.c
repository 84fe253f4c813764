/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_tee_update.c - the TEE's update service (tee_update.h) on the boot
 * tests' simulated meter: chunked download with resume, verify before
 * pending (tampered, wrongly encrypted, other key, downgrade by counter or
 * by version: each refused with its error and nothing marked pending), an
 * ABORT that takes an install back, the installed test image
 * reverting without a confirm and staying with one, the request decoder's
 * refusals, and the dispatcher route.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "boot_fixture.h"
#include "meterseal/tee_dispatch.h"
#include "meterseal/tee_update.h"

#define CHUNK 1024u

static fx_image_t mk(uint8_t seed, uint32_t cnt, uint32_t len, bool enc)
{
    fx_img_opts_t o = {.payload_len = len, .seed = seed, .major = seed, .has_sec_cnt = true,
                       .sec_cnt = cnt, .encrypt = enc};
    return fx_make_image(&o);
}

/* A meter running A (counter 1) with the update service bound to it. */
static fx_t *meter(fx_image_t *a, ms_tee_update_t *u)
{
    fx_t *fx = fx_new(1, &ms_boot_strategy_swap_move);
    *a = mk(1, 1, 20000, false);
    fx_write_slot(fx, 0, 0, a->data, a->len);
    assert_int_equal(fx_boot(fx), MS_OK);
    ms_tee_update_init(u, &fx->cfg);
    return fx;
}

static void id_of(const uint8_t *data, size_t len, uint8_t id[32])
{
    assert_int_equal(ms_sha256(data, len, id), MS_OK);
}

/* Download bytes [from, to) in CHUNK pieces. */
static void download(ms_tee_update_t *u, const uint8_t *data, uint32_t from, uint32_t to)
{
    for (uint32_t off = from; off < to; off += CHUNK) {
        uint32_t n = to - off < CHUNK ? to - off : CHUNK;
        assert_int_equal(ms_tee_update_write(u, off, data + off, n), MS_OK);
    }
}

#define BOOTED(f, want) assert_memory_equal((f)->res.img[0].m.hash, (want).hash, MS_SHA256_LEN)

/* The whole download of img into image 0, verified and installed. */
static void stage_and_install(ms_tee_update_t *u, const fx_image_t *img, bool permanent)
{
    uint8_t id[32];
    id_of(img->data, img->len, id);
    assert_int_equal(ms_tee_update_begin(u, 0, (uint32_t)img->len, id), MS_OK);
    download(u, img->data, 0, (uint32_t)img->len);
    assert_int_equal(ms_tee_update_verify(u), MS_OK);
    assert_int_equal(ms_tee_update_install(u, permanent), MS_OK);
}

static void download_resume_verify_install_confirm(void **state)
{
    (void)state;
    ms_tee_update_t u;
    fx_image_t a, b = mk(2, 2, 30001, true);
    fx_t *fx = meter(&a, &u);
    uint8_t id[32];
    id_of(b.data, b.len, id);
    uint32_t size = (uint32_t)b.len;

    assert_int_equal(ms_tee_update_begin(&u, 0, size, id), MS_OK);
    download(&u, b.data, 0, 10 * CHUNK);
    /* the link drops; a chunk that comes again or out of order is refused */
    assert_int_equal(ms_tee_update_write(&u, 5 * CHUNK, b.data + 5 * CHUNK, CHUNK), MS_ERR_STATE);
    assert_int_equal(ms_tee_update_write(&u, 11 * CHUNK, b.data + 11 * CHUNK, CHUNK),
                     MS_ERR_STATE);
    /* not a multiple of the write unit before the last chunk */
    assert_int_equal(ms_tee_update_write(&u, 10 * CHUNK, b.data + 10 * CHUNK, 7), MS_ERR_ARG);
    /* past the end */
    assert_int_equal(ms_tee_update_write(&u, 10 * CHUNK, b.data, size), MS_ERR_ARG);
    /* resume: BEGIN again with the same offer keeps the last good offset */
    assert_int_equal(ms_tee_update_begin(&u, 0, size, id), MS_OK);
    ms_tee_update_status_t st;
    ms_tee_update_status(&u, &st);
    assert_int_equal(st.state, MS_TEE_UPD_DOWNLOADING);
    assert_int_equal(st.offset, 10 * CHUNK);
    assert_int_equal(ms_tee_update_verify(&u), MS_ERR_STATE);   /* incomplete */
    assert_int_equal(ms_tee_update_install(&u, false), MS_ERR_STATE);
    download(&u, b.data, st.offset, size);
    ms_tee_update_status(&u, &st);
    assert_int_equal(st.state, MS_TEE_UPD_DOWNLOADED);
    assert_int_equal(ms_tee_update_verify(&u), MS_OK);
    ms_tee_update_status(&u, &st);
    assert_int_equal(st.state, MS_TEE_UPD_VERIFIED);
    assert_int_equal(st.version.major, 2);
    assert_int_equal(st.sec_cnt, 2);
    /* nothing may change the verified bytes */
    assert_int_equal(ms_tee_update_write(&u, 0, b.data, CHUNK), MS_ERR_STATE);
    assert_int_equal(ms_tee_update_begin(&u, 0, size, id), MS_ERR_STATE);
    assert_int_equal(ms_tee_update_install(&u, false), MS_OK);
    assert_int_equal(fx_trailer(fx, 0, 1).magic, MS_BOOT_MAGIC_GOOD);

    /* reboot: B runs as a test image; confirmed after the reconnect it stays */
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, b);
    assert_false(fx->res.img[0].confirmed);
    assert_int_equal(ms_tee_update_confirm(&u, 0), MS_OK);
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, b);
    assert_true(fx->res.img[0].confirmed);
    assert_int_equal(fx_counter(fx, 0), 2);
    fx_image_free(&a);
    fx_image_free(&b);
    fx_free(fx);
}

static void unconfirmed_update_reverts(void **state)
{
    (void)state;
    ms_tee_update_t u;
    fx_image_t a, b = mk(2, 2, 12345, true);
    fx_t *fx = meter(&a, &u);
    uint8_t id[32];
    id_of(b.data, b.len, id);
    stage_and_install(&u, &b, false);
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, b);
    /* while B runs unconfirmed, the secondary holds A for the revert: a new
     * download (a compromised Non-secure world, or a lost agent state) must
     * not erase it */
    ms_tee_update_abort(&u);   /* the TEE after the reboot: nothing in RAM */
    ms_tee_update_init(&u, &fx->cfg);
    assert_int_equal(ms_tee_update_begin(&u, 0, (uint32_t)b.len, id), MS_ERR_STATE);
    /* no reconnect, no confirm: the next boot puts A back */
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, a);
    assert_int_equal(fx->res.img[0].action, MS_BOOT_SWAP_REVERT);
    /* back on A: a new download may start (the cloud's retry) */
    ms_tee_update_abort(&u);
    ms_tee_update_init(&u, &fx->cfg);
    assert_int_equal(ms_tee_update_begin(&u, 0, (uint32_t)b.len, id), MS_OK);
    ms_tee_update_abort(&u);
    fx_image_free(&a);
    fx_image_free(&b);
    fx_free(fx);
}

/* Stage `img` (offered with `id`) and expect VERIFY to refuse it with want;
 * nothing is pending afterwards and A still boots. */
static void refused(const fx_image_t *img, const uint8_t *id, ms_err_t want)
{
    ms_tee_update_t u;
    fx_image_t a;
    fx_t *fx = meter(&a, &u);
    uint8_t own[32];
    if (id == NULL) {
        id_of(img->data, img->len, own);
        id = own;
    }
    assert_int_equal(ms_tee_update_begin(&u, 0, (uint32_t)img->len, id), MS_OK);
    download(&u, img->data, 0, (uint32_t)img->len);
    assert_int_equal(ms_tee_update_verify(&u), want);
    ms_tee_update_status_t st;
    ms_tee_update_status(&u, &st);
    assert_int_equal(st.state, MS_TEE_UPD_FAILED);
    assert_int_equal(st.last_err, want);
    assert_int_equal(ms_tee_update_install(&u, false), MS_ERR_STATE);
    assert_int_not_equal(fx_trailer(fx, 0, 1).magic, MS_BOOT_MAGIC_GOOD);
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, a);
    assert_int_equal(fx->res.img[0].action, MS_BOOT_SWAP_NONE);
    /* a new download may start after a refusal */
    assert_int_equal(ms_tee_update_begin(&u, 0, (uint32_t)img->len, id), MS_OK);
    ms_tee_update_abort(&u);
    fx_image_free(&a);
    fx_free(fx);
}

static void tampered_and_foreign_images_refused_before_pending(void **state)
{
    (void)state;
    fx_keys_init();
    fx_image_t b = mk(2, 2, 20000, true);
    /* bytes changed on the way: not the offered download */
    uint8_t id[32];
    id_of(b.data, b.len, id);
    b.data[0x300] ^= 0x01;
    refused(&b, id, MS_ERR_IMG_HASH);
    /* changed before the offer (the cloud's hash matches): the image's own hash fails */
    refused(&b, NULL, MS_ERR_IMG_HASH);
    fx_image_free(&b);

    /* encrypted for another device key */
    fx_img_opts_t o = {.payload_len = 9000, .seed = 3, .major = 3, .has_sec_cnt = true,
                       .sec_cnt = 2, .encrypt = true, .enc_pub = &fx_other_pub};
    fx_image_t w = fx_make_image(&o);
    refused(&w, NULL, MS_ERR_IMG_ENC_KEY);
    fx_image_free(&w);
    /* signed by another key */
    fx_img_opts_t k = {.payload_len = 9000, .seed = 4, .major = 4, .has_sec_cnt = true,
                       .sec_cnt = 2, .key = &fx_other_priv};
    fx_image_t x = fx_make_image(&k);
    refused(&x, NULL, MS_ERR_IMG_KEY_UNKNOWN);
    fx_image_free(&x);
}

static void downgrade_refused(void **state)
{
    (void)state;
    fx_image_t b = mk(2, 0, 5000, false);
    ms_tee_update_t u;
    fx_image_t a;
    fx_t *fx = meter(&a, &u);
    fx_set_counter(fx, 0, 1);
    uint8_t id[32];
    id_of(b.data, b.len, id);
    assert_int_equal(ms_tee_update_begin(&u, 0, (uint32_t)b.len, id), MS_OK);
    download(&u, b.data, 0, (uint32_t)b.len);
    assert_int_equal(ms_tee_update_verify(&u), MS_ERR_BOOT_ROLLBACK);
    fx_image_free(&a);
    fx_image_free(&b);
    fx_free(fx);
}

/* A vendor-signed older release whose counter is still the device's: the
 * counter allows it, the running version does not (a downgrade to a known
 * vulnerable build within one counter value). */
static void older_version_refused_with_the_same_counter(void **state)
{
    (void)state;
    fx_img_opts_t o = {.payload_len = 6000, .seed = 7, .major = 0, .minor = 9, .has_sec_cnt = true,
                       .sec_cnt = 1};
    fx_image_t x = fx_make_image(&o);
    refused(&x, NULL, MS_ERR_BOOT_DOWNGRADE);
    fx_image_free(&x);
}

/* ABORT after INSTALL takes the pending mark back: the next boot installs
 * nothing, and another download may start. */
static void abort_cancels_a_pending_install(void **state)
{
    (void)state;
    ms_tee_update_t u;
    fx_image_t a, b = mk(2, 2, 9000, true);
    fx_t *fx = meter(&a, &u);
    stage_and_install(&u, &b, false);
    assert_int_equal(fx_trailer(fx, 0, 1).magic, MS_BOOT_MAGIC_GOOD);
    assert_int_equal(ms_tee_update_cancel(&u), MS_OK);
    ms_tee_update_status_t st;
    ms_tee_update_status(&u, &st);
    assert_int_equal(st.state, MS_TEE_UPD_IDLE);
    assert_int_not_equal(fx_trailer(fx, 0, 1).magic, MS_BOOT_MAGIC_GOOD);
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, a);
    assert_int_equal(fx->res.img[0].action, MS_BOOT_SWAP_NONE);
    /* through the request decoder too */
    uint8_t out[MS_TEE_UPDATE_STATUS_LEN];
    size_t out_len = 0;
    stage_and_install(&u, &b, true);
    assert_int_equal(ms_tee_update_request(&u, MS_TEE_UPDATE_ABORT, 0, NULL, 0, NULL, 0, out,
                                           sizeof out, &out_len), MS_OK);
    assert_int_equal(out[0], MS_TEE_UPD_IDLE);
    assert_int_not_equal(fx_trailer(fx, 0, 1).magic, MS_BOOT_MAGIC_GOOD);
    assert_int_equal(fx_boot(fx), MS_OK);
    BOOTED(fx, a);
    fx_image_free(&a);
    fx_image_free(&b);
    fx_free(fx);
}

static void begin_refusals(void **state)
{
    (void)state;
    ms_tee_update_t u;
    fx_image_t a;
    fx_t *fx = meter(&a, &u);
    uint8_t id[32] = {1};
    assert_int_equal(ms_tee_update_begin(&u, 1, 100, id), MS_ERR_ARG);      /* no image 1 */
    assert_int_equal(ms_tee_update_begin(&u, 0, 0, id), MS_ERR_ARG);
    assert_int_equal(ms_tee_update_begin(&u, 0, FX_SLOT_SIZE, id), MS_ERR_IMG_TOO_LARGE);
    ms_tee_update_t unbound;
    memset(&unbound, 0, sizeof unbound);
    assert_int_equal(ms_tee_update_begin(&unbound, 0, 100, id), MS_ERR_STATE);
    fx_image_free(&a);
    fx_free(fx);
}

/* The request decoder: vector counts and lengths. */
static void request_decoder(void **state)
{
    (void)state;
    ms_tee_update_t u;
    fx_image_t a, b = mk(2, 2, 3000, false);
    fx_t *fx = meter(&a, &u);
    uint8_t out[MS_TEE_UPDATE_STATUS_LEN];
    size_t n = 0;
    uint8_t begin[MS_TEE_UPDATE_BEGIN_LEN] = {0};
    uint32_t size = (uint32_t)b.len;
    for (int i = 0; i < 4; i++) {
        begin[4 + i] = (uint8_t)(size >> (8 * i));
    }
    id_of(b.data, b.len, begin + 8);
    assert_int_equal(ms_tee_update_request(&u, MS_TEE_UPDATE_BEGIN, 1, begin, 39, NULL, 0, out,
                                           sizeof out, &n), MS_ERR_FORMAT);
    begin[2] = 1;
    assert_int_equal(ms_tee_update_request(&u, MS_TEE_UPDATE_BEGIN, 1, begin, sizeof begin, NULL,
                                           0, out, sizeof out, &n), MS_ERR_FORMAT);
    begin[2] = 0;
    assert_int_equal(ms_tee_update_request(&u, MS_TEE_UPDATE_BEGIN, 1, begin, sizeof begin, NULL,
                                           0, out, 10, &n), MS_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(ms_tee_update_request(&u, 99, 0, NULL, 0, NULL, 0, out, sizeof out, &n),
                     MS_ERR_UNSUPPORTED);
    assert_int_equal(ms_tee_update_request(&u, MS_TEE_UPDATE_BEGIN, 1, begin, sizeof begin, NULL,
                                           0, out, sizeof out, &n), MS_OK);
    assert_int_equal(n, MS_TEE_UPDATE_STATUS_LEN);
    assert_int_equal(out[0], MS_TEE_UPD_DOWNLOADING);
    uint8_t off[4] = {0};
    assert_int_equal(ms_tee_update_request(&u, MS_TEE_UPDATE_WRITE, 1, off, 4, NULL, 0, out,
                                           sizeof out, &n), MS_ERR_FORMAT);
    assert_int_equal(ms_tee_update_request(&u, MS_TEE_UPDATE_WRITE, 2, off, 4, b.data, b.len, out,
                                           sizeof out, &n), MS_OK);
    assert_int_equal(out[0], MS_TEE_UPD_DOWNLOADED);
    assert_int_equal(out[8] | (out[9] << 8) | (out[10] << 16), (int)b.len);
    uint8_t perm = 2;
    assert_int_equal(ms_tee_update_request(&u, MS_TEE_UPDATE_INSTALL, 1, &perm, 1, NULL, 0, out,
                                           sizeof out, &n), MS_ERR_FORMAT);
    assert_int_equal(ms_tee_update_request(&u, MS_TEE_UPDATE_VERIFY, 0, NULL, 0, NULL, 0, out,
                                           sizeof out, &n), MS_OK);
    assert_int_equal(out[0], MS_TEE_UPD_VERIFIED);
    assert_int_equal(out[24], 2);   /* security counter */
    fx_image_free(&a);
    fx_image_free(&b);
    fx_free(fx);
}

/* Through the dispatcher: the Non-secure caller's vectors reach the service. */
static void dispatcher_route(void **state)
{
    (void)state;
    ms_tee_update_t u;
    fx_image_t a;
    fx_t *fx = meter(&a, &u);
    ms_tee_update_service_bind(&fx->cfg);
    static uint8_t mem[256];
    ms_tee_caller_t caller = {.id = MS_TEE_PART_NSPE, .mem_base = (uintptr_t)mem,
                              .mem_len = sizeof mem};
    ms_tee_outvec_t ov = {.base = mem, .len = MS_TEE_UPDATE_STATUS_LEN};
    assert_int_equal(ms_tee_call(&caller, MS_TEE_SID_UPDATE, MS_TEE_UPDATE_STATUS, NULL, 0, &ov,
                                 1), PSA_SUCCESS);
    assert_int_equal(ov.len, MS_TEE_UPDATE_STATUS_LEN);
    assert_int_equal(mem[0], MS_TEE_UPD_IDLE);
    ov.len = MS_TEE_UPDATE_STATUS_LEN;
    assert_int_equal(ms_tee_call(&caller, MS_TEE_SID_UPDATE, 42, NULL, 0, &ov, 1),
                     PSA_ERROR_NOT_SUPPORTED);
    ms_tee_invec_t iv = {.base = mem + 100, .len = 3};
    ov.len = MS_TEE_UPDATE_STATUS_LEN;
    assert_int_equal(ms_tee_call(&caller, MS_TEE_SID_UPDATE, MS_TEE_UPDATE_BEGIN, &iv, 1, &ov, 1),
                     PSA_ERROR_PROGRAMMER_ERROR);
    /* a verify with nothing downloaded is refused, the status says so */
    ov.len = MS_TEE_UPDATE_STATUS_LEN;
    assert_int_not_equal(ms_tee_call(&caller, MS_TEE_SID_UPDATE, MS_TEE_UPDATE_VERIFY, NULL, 0,
                                     &ov, 1), PSA_SUCCESS);
    ms_tee_update_service_bind(NULL);
    fx_image_free(&a);
    fx_free(fx);
}

int main(void)
{
    fx_keys_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(download_resume_verify_install_confirm),
        cmocka_unit_test(unconfirmed_update_reverts),
        cmocka_unit_test(tampered_and_foreign_images_refused_before_pending),
        cmocka_unit_test(downgrade_refused),
        cmocka_unit_test(older_version_refused_with_the_same_counter),
        cmocka_unit_test(abort_cancels_a_pending_install),
        cmocka_unit_test(begin_refusals),
        cmocka_unit_test(request_decoder),
        cmocka_unit_test(dispatcher_route),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
