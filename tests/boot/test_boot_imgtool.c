/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_boot_imgtool.c - byte compatibility with MCUboot's imgtool: images
 * it signed (and padded, confirmed, encrypted) boot here, and its trailer
 * (--pad --confirm) reads as confirmed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "boot_fixture.h"

#define SLOT 0x40000u

static ms_p256_pub_t vendor_pub;

static uint8_t *vec(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/imgtool/%s", MS_VECTORS_DIR, name);
    uint8_t *b = fx_read_file(path, len);
    assert_non_null(b);
    return b;
}

static fx_t *imgtool_meter(const ms_boot_strategy_t *st)
{
    size_t len;
    uint8_t *pem = vec("k.pem", &len);
    ms_p256_priv_t priv;
    bool has_priv;
    assert_int_equal(ms_p256_key_parse(pem, len, &priv, &vendor_pub, &has_priv), MS_OK);
    free(pem);
    fx_t *fx = fx_new_sized(1, st, SLOT);
    assert_int_equal(ms_image_key_hash(&vendor_pub, fx->anchor.key_hash), MS_OK);
    fx->anchor.pub = &vendor_pub;
    return fx;
}

static void put(fx_t *fx, int slot, const char *name)
{
    size_t len;
    uint8_t *b = vec(name, &len);
    fx_write_slot(fx, 0, slot, b, len);
    free(b);
}

static void imgtool_confirmed_image_in_primary_boots_as_confirmed(void **state)
{
    (void)state;
    fx_t *fx = imgtool_meter(&ms_boot_strategy_swap_move);
    put(fx, 0, "confirm.bin");
    ms_boot_trailer_state_t st = fx_trailer(fx, 0, 0);
    assert_int_equal(st.magic, MS_BOOT_MAGIC_GOOD);
    assert_int_equal(st.image_ok, MS_BOOT_FLAG_SET);
    assert_int_equal(st.copy_done, MS_BOOT_FLAG_UNSET);
    assert_int_equal(fx_boot(fx), MS_OK);
    assert_int_equal(fx->res.img[0].action, MS_BOOT_SWAP_NONE);
    assert_true(fx->res.img[0].confirmed);
    assert_int_equal(fx->res.img[0].m.version.major, 1);
    assert_int_equal(fx->res.img[0].m.version.minor, 2);
    assert_int_equal(fx->res.img[0].m.version.revision, 3);
    assert_int_equal(fx->res.img[0].m.version.build, 4);
    assert_int_equal(fx->res.img[0].jump_addr, 0x10000000u + 0x200u);
    /* boots again, never reverts */
    assert_int_equal(fx_boot(fx), MS_OK);
    assert_int_equal(fx->res.img[0].action, MS_BOOT_SWAP_NONE);
    fx_free(fx);
}

static void imgtool_confirmed_image_as_update_installs_permanently(void **state)
{
    (void)state;
    fx_t *fx = imgtool_meter(&ms_boot_strategy_swap_move);
    put(fx, 0, "plain.bin");
    put(fx, 1, "confirm.bin");
    assert_int_equal(fx_trailer(fx, 0, 1).image_ok, MS_BOOT_FLAG_SET);
    assert_int_equal(fx_boot(fx), MS_OK);
    assert_int_equal(fx->res.img[0].action, MS_BOOT_SWAP_PERM);
    assert_true(fx->res.img[0].confirmed);
    assert_int_equal(fx_boot(fx), MS_OK);
    assert_int_equal(fx->res.img[0].action, MS_BOOT_SWAP_NONE);
    fx_free(fx);
}

static void imgtool_security_counter_image_raises_counter(void **state)
{
    (void)state;
    fx_t *fx = imgtool_meter(&ms_boot_strategy_swap_move);
    put(fx, 0, "plain.bin");
    put(fx, 1, "seccnt.bin");
    assert_int_equal(ms_boot_set_pending(&fx->cfg, 0, false), MS_OK);
    assert_int_equal(fx_boot(fx), MS_OK);
    assert_int_equal(fx->res.img[0].action, MS_BOOT_SWAP_TEST);
    assert_int_equal(fx->res.img[0].m.sec_cnt, 7);
    assert_int_equal(fx_counter(fx, 0), 0);
    assert_int_equal(ms_boot_confirm(&fx->cfg, 0), MS_OK);
    assert_int_equal(fx_boot(fx), MS_OK);
    assert_int_equal(fx_counter(fx, 0), 7);
    /* plain.bin (no counter = 0) is now a downgrade */
    put(fx, 1, "plain.bin");
    assert_int_equal(ms_boot_set_pending(&fx->cfg, 0, true), MS_OK);
    assert_int_equal(fx_boot(fx), MS_OK);
    assert_int_equal(fx->res.img[0].update_err, MS_ERR_BOOT_ROLLBACK);
    assert_int_equal(fx->res.img[0].m.sec_cnt, 7);
    fx_free(fx);
}

/* Install an imgtool-encrypted update; all.bin comes padded and confirmed
 * (a permanent update with security counter 7), any other is marked
 * pending-permanent here. The primary must hold in.bin in clear. */
static void encrypted_vector(const ms_boot_strategy_t *st, const char *name)
{
    bool is_all = strcmp(name, "all.bin") == 0;
    fx_t *fx = imgtool_meter(st);
    size_t len;
    uint8_t *pem = vec("enc.pem", &len);
    ms_p256_priv_t enc;
    ms_p256_pub_t pub;
    bool has_priv;
    assert_int_equal(ms_p256_key_parse(pem, len, &enc, &pub, &has_priv), MS_OK);
    free(pem);
    assert_int_equal(ms_host_keystore_provision(fx->plat.keystore.path, &enc), MS_OK);
    put(fx, 0, "plain.bin");
    put(fx, 1, name);
    if (!is_all) {
        assert_int_equal(ms_boot_set_pending(&fx->cfg, 0, true), MS_OK);
    }
    assert_int_equal(fx_boot(fx), MS_OK);
    assert_int_equal(fx->res.img[0].update_err, MS_OK);
    assert_int_equal(fx->res.img[0].action, MS_BOOT_SWAP_PERM);
    assert_int_equal(fx->res.img[0].m.sec_cnt, is_all ? 7 : 0);
    assert_int_equal(fx_counter(fx, 0), is_all ? 7 : 0);
    /* the primary now holds in.bin in clear */
    uint8_t *in = vec("in.bin", &len);
    uint8_t got[256];
    assert_int_equal(ms_flash_area_read(&fx->slot[0][0], 0x200, got, sizeof(got)), MS_OK);
    assert_memory_equal(got, in, sizeof(got));
    assert_int_equal(ms_flash_area_read(&fx->slot[0][0], 0x200 + 65536 - 256, got, sizeof(got)), MS_OK);
    assert_memory_equal(got, in + 65536 - 256, sizeof(got));
    free(in);
    fx_free(fx);
}

static void imgtool_encrypted_image_installs_by_overwrite(void **state)
{
    (void)state;
    encrypted_vector(&ms_boot_strategy_overwrite, "all.bin");
}

static void imgtool_encrypted_image_installs_by_swap(void **state)
{
    (void)state;
    encrypted_vector(&ms_boot_strategy_swap_move, "all.bin");
}

static void imgtool_aes256_image_installs_by_overwrite(void **state)
{
    (void)state;
    encrypted_vector(&ms_boot_strategy_overwrite, "enc256.bin");
}

static void imgtool_aes256_image_installs_by_swap(void **state)
{
    (void)state;
    encrypted_vector(&ms_boot_strategy_swap_move, "enc256.bin");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(imgtool_confirmed_image_in_primary_boots_as_confirmed),
        cmocka_unit_test(imgtool_confirmed_image_as_update_installs_permanently),
        cmocka_unit_test(imgtool_security_counter_image_raises_counter),
        cmocka_unit_test(imgtool_encrypted_image_installs_by_overwrite),
        cmocka_unit_test(imgtool_encrypted_image_installs_by_swap),
        cmocka_unit_test(imgtool_aes256_image_installs_by_overwrite),
        cmocka_unit_test(imgtool_aes256_image_installs_by_swap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
