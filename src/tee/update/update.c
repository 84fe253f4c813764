/* SPDX-License-Identifier: Apache-2.0 */
/*
 * update.c - the TEE's firmware update service (M7 delivery half;
 * meterseal/tee_update.h, docs/ota.md section 2): chunked, resumable writes of a download into the
 * secondary slot, then decrypt-and-verify as the boot loader will, then
 * pending (test or permanent), and the confirm after the reconnect.
 *
 * Invariants:
 *   - Portable: no heap, no stdio, no POSIX; flash only through
 *     ms_flash_area_*; the instance and every buffer are the caller's.
 *   - Only sequential writes at the last good offset, only while
 *     DOWNLOADING; sectors are erased just before their first write.
 *   - The running SHA-256 of the download is compared in constant time
 *     with the BEGIN id before the image is looked at.
 *   - INSTALL only from VERIFIED: nothing can write the slot in between.
 *   - Every vector length is checked before it is read (the request
 *     decoder is outside-data code and is fuzzed).
 */
#include "meterseal/tee_update.h"

#include <string.h>

/* ---- helpers -------------------------------------------------------------- */

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static const ms_flash_area_t *slot_of(const ms_tee_update_t *u)
{
    return &u->cfg->images[u->st.image].secondary;
}

static void reset(ms_tee_update_t *u)
{
    if (u->sha_live) {
        ms_sha256_free(&u->sha);
        u->sha_live = false;
    }
    memset(&u->st, 0, sizeof u->st);
    u->st.state = MS_TEE_UPD_IDLE;
    memset(u->id, 0, sizeof u->id);
    u->erased_to = 0;
}

static ms_err_t fail(ms_tee_update_t *u, ms_err_t err)
{
    if (u->sha_live) {
        ms_sha256_free(&u->sha);
        u->sha_live = false;
    }
    u->st.state = MS_TEE_UPD_FAILED;
    u->st.last_err = err;
    return err;
}

/* Erase whole sectors of the slot up to (at least) `end`. */
static ms_err_t erase_to(ms_tee_update_t *u, uint32_t end)
{
    const ms_flash_area_t *fa = slot_of(u);
    uint32_t sector = fa->flash->sector_size;
    while (u->erased_to < end) {
        ms_err_t err = ms_flash_area_erase(fa, u->erased_to, sector);
        if (err != MS_OK) {
            return err;
        }
        u->erased_to += sector;
    }
    return MS_OK;
}

/* ---- operations ------------------------------------------------------------- */

void ms_tee_update_init(ms_tee_update_t *u, const ms_boot_config_t *cfg)
{
    memset(u, 0, sizeof *u);
    u->cfg = cfg;
    u->st.state = MS_TEE_UPD_IDLE;
}

ms_err_t ms_tee_update_begin(ms_tee_update_t *u, uint8_t image, uint32_t size,
                             const uint8_t id[MS_TEE_UPDATE_ID_LEN])
{
    if (u == NULL || u->cfg == NULL) {
        return MS_ERR_STATE;
    }
    if (id == NULL || image >= u->cfg->n_images || size == 0) {
        return MS_ERR_ARG;
    }
    /* Resume: the same download again keeps its last good offset. */
    if ((u->st.state == MS_TEE_UPD_DOWNLOADING || u->st.state == MS_TEE_UPD_DOWNLOADED) &&
        u->st.image == image && u->st.size == size && ms_ct_equal(u->id, id, sizeof u->id)) {
        return MS_OK;
    }
    if (u->st.state == MS_TEE_UPD_VERIFIED || u->st.state == MS_TEE_UPD_PENDING) {
        return MS_ERR_STATE;   /* ABORT first: a verified image is not dropped silently */
    }
    /* While the running image is a test image (swapped in, not confirmed),
     * the secondary slot holds the image a revert puts back: a download
     * would erase it and leave the test image with nothing to revert to. */
    bool test = false;
    ms_err_t err = ms_boot_primary_is_test(u->cfg, image, &test);
    if (err != MS_OK || test) {
        return err != MS_OK ? err : MS_ERR_STATE;
    }
    reset(u);
    u->st.image = image;
    uint32_t capacity = 0;
    err = ms_boot_secondary_prepare(u->cfg, image, &capacity);
    if (err != MS_OK) {
        return fail(u, err);
    }
    if (size > capacity) {
        return fail(u, MS_ERR_IMG_TOO_LARGE);
    }
    if ((err = ms_sha256_init(&u->sha)) != MS_OK) {
        return fail(u, err);
    }
    u->sha_live = true;
    memcpy(u->id, id, sizeof u->id);
    u->st.size = size;
    u->st.state = MS_TEE_UPD_DOWNLOADING;
    return MS_OK;
}

ms_err_t ms_tee_update_write(ms_tee_update_t *u, uint32_t offset, const uint8_t *data,
                             size_t len)
{
    if (u == NULL || u->cfg == NULL || u->st.state != MS_TEE_UPD_DOWNLOADING ||
        offset != u->st.offset) {
        return MS_ERR_STATE;
    }
    if (data == NULL || len == 0 || len > u->st.size - offset) {
        return MS_ERR_ARG;
    }
    const ms_flash_area_t *fa = slot_of(u);
    uint32_t align = fa->flash->write_align;
    bool last = offset + len == u->st.size;
    if (align == 0 || align > 32u || (!last && len % align != 0)) {
        return MS_ERR_ARG;
    }
    uint32_t end = offset + (uint32_t)len;
    uint32_t padded_end = (end + align - 1) / align * align;
    ms_err_t err = erase_to(u, padded_end);
    if (err != MS_OK) {
        return fail(u, err);
    }
    size_t body = len / align * align;
    if (body != 0 && (err = ms_flash_area_write(fa, offset, data, body)) != MS_OK) {
        return fail(u, err);
    }
    if (body != len) {
        uint8_t tail[32];   /* write_align <= 32 (hal.h) */
        memset(tail, fa->flash->erased_val, sizeof tail);
        memcpy(tail, data + body, len - body);
        if ((err = ms_flash_area_write(fa, offset + (uint32_t)body, tail, align)) != MS_OK) {
            return fail(u, err);
        }
    }
    if ((err = ms_sha256_update(&u->sha, data, len)) != MS_OK) {
        return fail(u, err);
    }
    u->st.offset = end;
    if (last) {
        u->st.state = MS_TEE_UPD_DOWNLOADED;
    }
    return MS_OK;
}

/* The run-time rule the boot loader does not have (it must be able to put
 * back what a test replaced): an update is never older than the image
 * running now, even when its security counter still allows it. */
static ms_err_t not_older_than_running(const ms_tee_update_t *u, const ms_image_version_t *v)
{
    uint8_t raw[MS_IMAGE_HEADER_SIZE];
    ms_image_header_t running;
    ms_err_t err = ms_flash_area_read(&u->cfg->images[u->st.image].primary, 0, raw, sizeof raw);
    if (err == MS_OK) {
        err = ms_image_header_parse(raw, sizeof raw, &running);
    }
    if (err != MS_OK) {
        return err;
    }
    return ms_image_version_cmp(v, &running.version) < 0 ? MS_ERR_BOOT_DOWNGRADE : MS_OK;
}

ms_err_t ms_tee_update_verify(ms_tee_update_t *u)
{
    if (u == NULL || u->cfg == NULL || u->st.state != MS_TEE_UPD_DOWNLOADED) {
        return MS_ERR_STATE;
    }
    uint8_t digest[MS_SHA256_LEN];
    ms_err_t err = ms_sha256_finish(&u->sha, digest);
    ms_sha256_free(&u->sha);
    u->sha_live = false;
    if (err != MS_OK) {
        return fail(u, err);
    }
    if (!ms_ct_equal(digest, u->id, sizeof digest)) {
        return fail(u, MS_ERR_IMG_HASH);   /* not the download the cloud offered */
    }
    /* M7: decrypt and verify before anything is marked pending, with the
     * boot loader's own check (M6 anti-rollback and dependencies included) */
    ms_image_measurement_t m;
    err = ms_boot_check_update(&u->scratch, u->cfg, u->st.image, false, &m);
    if (err == MS_OK) {
        err = not_older_than_running(u, &m.version);
    }
    if (err != MS_OK) {
        return fail(u, err);
    }
    u->st.version = m.version;
    u->st.sec_cnt = m.has_sec_cnt ? m.sec_cnt : 0;
    u->st.last_err = MS_OK;
    u->st.state = MS_TEE_UPD_VERIFIED;
    return MS_OK;
}

ms_err_t ms_tee_update_install(ms_tee_update_t *u, bool permanent)
{
    if (u == NULL || u->cfg == NULL || u->st.state != MS_TEE_UPD_VERIFIED) {
        return MS_ERR_STATE;
    }
    /* A permanent install has stricter dependency rules: check them too. */
    ms_err_t err = MS_OK;
    if (permanent) {
        err = ms_boot_check_update(&u->scratch, u->cfg, u->st.image, true, NULL);
    }
    if (err == MS_OK) {
        err = ms_boot_set_pending(u->cfg, u->st.image, permanent);
    }
    if (err != MS_OK) {
        return fail(u, err);
    }
    u->st.state = MS_TEE_UPD_PENDING;
    return MS_OK;
}

ms_err_t ms_tee_update_confirm(ms_tee_update_t *u, uint8_t image)
{
    if (u == NULL || u->cfg == NULL) {
        return MS_ERR_STATE;
    }
    if (image >= u->cfg->n_images) {
        return MS_ERR_ARG;
    }
    return ms_boot_confirm(u->cfg, image);
}

ms_err_t ms_tee_update_cancel(ms_tee_update_t *u)
{
    if (u == NULL || u->cfg == NULL) {
        return MS_ERR_STATE;
    }
    ms_err_t err = MS_OK;
    if (u->st.state == MS_TEE_UPD_PENDING) {
        /* Take the pending mark back: erasing the secondary's trailer
         * leaves nothing for the next boot to install. */
        uint32_t capacity = 0;
        err = ms_boot_secondary_prepare(u->cfg, u->st.image, &capacity);
        if (err != MS_OK) {
            u->st.last_err = err;   /* still pending: ABORT may be asked again */
            return err;
        }
    }
    reset(u);
    return err;
}

void ms_tee_update_abort(ms_tee_update_t *u)
{
    if (u != NULL) {
        reset(u);
    }
}

void ms_tee_update_status(const ms_tee_update_t *u, ms_tee_update_status_t *st)
{
    *st = u->st;
}

void ms_tee_update_status_encode(const ms_tee_update_status_t *st,
                                 uint8_t out[MS_TEE_UPDATE_STATUS_LEN])
{
    memset(out, 0, MS_TEE_UPDATE_STATUS_LEN);
    out[0] = (uint8_t)st->state;
    out[1] = st->image;
    wr32(out + 4, st->size);
    wr32(out + 8, st->offset);
    wr32(out + 12, (uint32_t)st->last_err);
    out[16] = st->version.major;
    out[17] = st->version.minor;
    wr16(out + 18, st->version.revision);
    wr32(out + 20, st->version.build);
    wr32(out + 24, st->sec_cnt);
}

/* ---- the dispatcher's request decoder ----------------------------------------- */

ms_err_t ms_tee_update_request(ms_tee_update_t *u, int32_t type, size_t n_in,
                               const uint8_t *in, size_t in_len, const uint8_t *data,
                               size_t data_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
    ms_err_t err;
    *out_len = 0;
    if (u == NULL || u->cfg == NULL) {
        return MS_ERR_STATE;
    }
    if ((n_in >= 1 && in == NULL && in_len != 0) || (n_in >= 2 && data == NULL && data_len != 0)) {
        return MS_ERR_FORMAT;
    }
    bool want_status = type != MS_TEE_UPDATE_CONFIRM;
    if (want_status && (out == NULL || out_cap < MS_TEE_UPDATE_STATUS_LEN)) {
        return type >= MS_TEE_UPDATE_BEGIN && type <= MS_TEE_UPDATE_ABORT
                   ? MS_ERR_BUFFER_TOO_SMALL
                   : MS_ERR_UNSUPPORTED;
    }
    switch (type) {
    case MS_TEE_UPDATE_BEGIN:
        if (n_in != 1 || in_len != MS_TEE_UPDATE_BEGIN_LEN || in[1] != 0 || in[2] != 0 ||
            in[3] != 0) {
            return MS_ERR_FORMAT;
        }
        err = ms_tee_update_begin(u, in[0], rd32(in + 4), in + 8);
        break;
    case MS_TEE_UPDATE_WRITE:
        if (n_in != 2 || in_len != 4 || data_len == 0) {
            return MS_ERR_FORMAT;
        }
        err = ms_tee_update_write(u, rd32(in), data, data_len);
        break;
    case MS_TEE_UPDATE_STATUS:
    case MS_TEE_UPDATE_ABORT:
        if (n_in != 0) {
            return MS_ERR_FORMAT;
        }
        err = type == MS_TEE_UPDATE_ABORT ? ms_tee_update_cancel(u) : MS_OK;
        break;
    case MS_TEE_UPDATE_VERIFY:
        if (n_in != 0) {
            return MS_ERR_FORMAT;
        }
        err = ms_tee_update_verify(u);
        break;
    case MS_TEE_UPDATE_INSTALL:
        if (n_in != 1 || in_len != 1 || in[0] > 1) {
            return MS_ERR_FORMAT;
        }
        err = ms_tee_update_install(u, in[0] == 1);
        break;
    case MS_TEE_UPDATE_CONFIRM:
        if (n_in != 1 || in_len != 1) {
            return MS_ERR_FORMAT;
        }
        return ms_tee_update_confirm(u, in[0]);
    default:
        return MS_ERR_UNSUPPORTED;
    }
    /* The status goes back on success and on refusal alike: it says why. */
    ms_tee_update_status_encode(&u->st, out);
    *out_len = MS_TEE_UPDATE_STATUS_LEN;
    return err;
}

/* ---- the dispatcher's instance ------------------------------------------------- */

static ms_tee_update_t g_update;

ms_tee_update_t *ms_tee_update_service(void)
{
    return &g_update;
}

void ms_tee_update_service_bind(const ms_boot_config_t *cfg)
{
    ms_tee_update_abort(&g_update);   /* a download in progress is dropped, its hash freed */
    ms_tee_update_init(&g_update, cfg);
}
