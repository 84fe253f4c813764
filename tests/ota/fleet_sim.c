/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fleet_sim.c - the simulated fleet (fleet_sim.h): cloud side, broker
 * queue, meter registry. Aborts on set-up failures (test code).
 */
#define _POSIX_C_SOURCE 200809L   /* clock_gettime */
#include "fleet_sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int64_t g_now = 1800000000;

static int64_t sim_now(void)
{
    return g_now++;
}

void fs_clock_advance(int64_t seconds)
{
    g_now += seconds;
}

static void die(const char *what, ms_err_t err)
{
    fprintf(stderr, "fleet: %s: %s\n", what, ms_errname(err));
    abort();
}

/* The cloud publishes: into the queue. */
static ms_err_t cloud_publish(void *ctx, const char *topic, const uint8_t *p, size_t n)
{
    fs_fleet_t *f = ctx;
    if (f->nq == f->capq) {
        size_t cap = f->capq ? 2 * f->capq : 256;
        fs_msg_t *q = realloc(f->q, cap * sizeof *q);
        if (q == NULL) {
            return MS_ERR_INTERNAL;
        }
        f->q = q;
        f->capq = cap;
    }
    fs_msg_t *m = &f->q[f->nq];
    snprintf(m->topic, sizeof m->topic, "%s", topic);
    m->payload = malloc(n ? n : 1);
    if (m->payload == NULL) {
        return MS_ERR_INTERNAL;
    }
    memcpy(m->payload, p, n);
    m->len = n;
    f->nq++;
    f->cloud_bytes += n;
    return MS_OK;
}

/* A meter sends: straight to the cloud's handler, as from the broker. */
static ms_err_t meter_send(void *ctx, const fm_meter_t *m, const char *kind, const uint8_t *p,
                           size_t n)
{
    fs_fleet_t *f = ctx;
    char topic[96];
    int tl = snprintf(topic, sizeof topic, "ms/v1/%s/%s", m->id, kind);
    bool handled = false;
    f->meter_bytes += n;
    double t0 = cpu_s();
    ms_err_t err = ms_ota_on_message(&f->ota, topic, (size_t)tl, p, n, &handled);
    f->cloud_cpu_s += cpu_s() - t0;
    return handled ? err : MS_ERR_NOT_FOUND;
}

/* The reply the cloud published last on the meter's topic. */
static ms_err_t meter_take(void *ctx, const fm_meter_t *m, const char *kind, uint8_t *buf,
                           size_t cap, size_t *n)
{
    fs_fleet_t *f = ctx;
    char topic[96];
    snprintf(topic, sizeof topic, "ms/v1/%s/%s", m->id, kind);
    if (f->nq == f->head || strcmp(f->q[f->nq - 1].topic, topic) != 0) {
        return MS_ERR_NOT_FOUND;
    }
    fs_msg_t *msg = &f->q[--f->nq];
    if (msg->len > cap) {
        free(msg->payload);
        return MS_ERR_BUFFER_TOO_SMALL;
    }
    memcpy(buf, msg->payload, msg->len);
    *n = msg->len;
    free(msg->payload);
    return MS_OK;
}

fx_image_t fs_image(uint8_t major, uint32_t sec_cnt, uint32_t len, bool encrypt,
                    const ms_p256_pub_t *enc_pub, const ms_p256_priv_t *key)
{
    fx_img_opts_t o = {.payload_len = len, .seed = major, .major = major, .has_sec_cnt = true,
                       .sec_cnt = sec_cnt, .encrypt = encrypt, .enc_pub = enc_pub, .key = key};
    return fx_make_image(&o);
}

fs_fleet_t *fs_new(const char *db_spec, size_t n, uint32_t slot_size, uint32_t base_len)
{
    fx_keys_init();
    fs_fleet_t *f = calloc(1, sizeof *f);
    f->m = calloc(n ? n : 1, sizeof *f->m);
    if (f == NULL || f->m == NULL) {
        die("alloc", MS_ERR_INTERNAL);
    }
    f->n = n;
    f->slot_size = slot_size;
    f->base = fs_image(1, 1, base_len, false, NULL, NULL);
    ms_cloud_t *c = &f->cloud;
    c->now = sim_now;
    c->publish = cloud_publish;
    c->publish_ctx = f;
    ms_err_t err = ms_p256_keygen(&c->cmd_key, &c->cmd_pub);
    if (err == MS_OK && strncmp(db_spec, "sqlite:", 7) == 0) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -f '%s' '%s-wal' '%s-shm'", db_spec + 7, db_spec + 7,
                 db_spec + 7);
        if (system(cmd) != 0) {
            die("rm", MS_ERR_IO);
        }
    }
    if (err == MS_OK) {
        err = ms_db_open(db_spec, &c->db);
    }
    /* start empty on either backend */
    static const char *const tables[] = {"update_history", "audit", "campaign_meters",
                                         "campaign_counts", "campaigns", "firmware",
                                         "meter_info", "commands", "readings", "events",
                                         "meters"};
    for (size_t i = 0; err == MS_OK && i < sizeof tables / sizeof tables[0]; i++) {
        char sql[64];
        snprintf(sql, sizeof sql, "DELETE FROM %s", tables[i]);
        err = c->db.ops->sql(c->db.s, sql, NULL, 0, NULL, NULL, NULL);
    }
    if (err != MS_OK) {
        die("db", err);
    }
    ms_ota_init(&f->ota, c);
    c->ota = &f->ota;
    ms_ota_add_vendor_key(&f->ota, &fx_sign_pub);
    ms_meter_rec_t *rec = calloc(1, sizeof *rec);
    for (size_t i = 0; i < n; i++) {
        char id[MS_LINK_METER_ID_MAX + 1];
        snprintf(id, sizeof id, "m-%04u", (unsigned)(i % 10000u));
        fm_init(&f->m[i], id);
        memset(rec, 0, sizeof *rec);
        snprintf(rec->id, sizeof rec->id, "%s", id);
        rec->pub = f->m[i].pub;
        memcpy(rec->kid, f->m[i].kid, sizeof rec->kid);
        rec->iak_pub = f->m[i].pub;
        snprintf(rec->cert_pem, sizeof rec->cert_pem, "(simulated)");
        rec->registered_at = c->now();
        if ((err = c->db.ops->meter_add(c->db.s, rec)) != MS_OK ||
            (err = ms_ota_meter_set_version(&c->db, id, "1.0.0")) != MS_OK) {
            die("meter", err);
        }
    }
    free(rec);
    return f;
}

void fs_free(fs_fleet_t *f)
{
    for (size_t i = f->head; i < f->nq; i++) {
        free(f->q[i].payload);
    }
    free(f->q);
    ms_db_close(&f->cloud.db);
    ms_ota_fini(&f->ota);
    fx_image_free(&f->base);
    free(f->m);
    free(f);
}

ms_err_t fs_upload(fs_fleet_t *f, const fx_image_t *img, ms_fw_rec_t *rec,
                   char reason[MS_OTA_REASON_MAX])
{
    bool stored = false;
    return ms_fw_upload(&f->ota, img->data, img->len, "op", rec, &stored, reason);
}

int64_t fs_campaign(fs_fleet_t *f, const char *sha, const uint32_t *waves, uint32_t n_waves,
                    double success, double failure, uint32_t retries)
{
    ms_campaign_spec_t s;
    memset(&s, 0, sizeof s);
    snprintf(s.name, sizeof s.name, "test");
    snprintf(s.firmware_sha256, sizeof s.firmware_sha256, "%s", sha);
    s.kind = MS_TARGET_ALL;
    s.n_waves = n_waves;
    memcpy(s.waves, waves, n_waves * sizeof waves[0]);
    s.success_pm = (uint32_t)(success * 1000 + 0.5);
    s.failure_pm = (uint32_t)(failure * 1000 + 0.5);
    s.max_retries = retries;
    snprintf(s.target_json, sizeof s.target_json, "{\"all\":true}");
    int64_t id = 0;
    char reason[MS_OTA_REASON_MAX], state[MS_OTA_STATE_MAX + 1];
    double t0 = cpu_s();
    ms_err_t err = ms_campaign_create(&f->ota, &s, "op", &id, reason);
    if (err == MS_OK) {
        err = ms_campaign_action(&f->ota, id, "start", "op", state);
    }
    f->cloud_cpu_s += cpu_s() - t0;
    if (err != MS_OK) {
        fprintf(stderr, "fleet: campaign: %s\n", reason);
        die("campaign", err);
    }
    return id;
}

size_t fs_run(fs_fleet_t *f)
{
    size_t offers = 0;
    fm_net_t net = {.send = meter_send, .take = meter_take, .ctx = f,
                    .cloud_pub = &f->cloud.cmd_pub, .base = &f->base,
                    .slot_size = f->slot_size};
    while (f->head < f->nq) {
        fs_msg_t msg = f->q[f->head++];
        unsigned idx = 0;
        char kind[32] = "";
        if (sscanf(msg.topic, "ms/v1/m-%4u/%31s", &idx, kind) == 2 && idx < f->n &&
            strcmp(kind, "down/upd-offer") == 0) {
            offers++;
            ms_err_t err = fm_run(&f->m[idx], &net, msg.payload, msg.len);
            if (err != MS_OK) {
                fprintf(stderr, "fleet: meter %u: %s\n", idx, ms_errname(err));
            }
        }
        free(msg.payload);
        if (f->head == f->nq) {
            f->head = f->nq = 0;
        }
    }
    return offers;
}

size_t fs_drop_offers(fs_fleet_t *f, size_t i)
{
    char topic[80];
    size_t n = 0;
    snprintf(topic, sizeof topic, "ms/v1/%s/down/upd-offer", f->m[i].id);
    for (size_t k = f->head; k < f->nq; k++) {
        if (strcmp(f->q[k].topic, topic) == 0) {
            f->q[k].topic[0] = '\0';   /* fs_run passes it over */
            n++;
        }
    }
    return n;
}

ms_cm_rec_t fs_cm(fs_fleet_t *f, int64_t campaign, size_t i)
{
    ms_cm_rec_t m;
    memset(&m, 0, sizeof m);
    ms_err_t err = ms_ota_cm_get(&f->cloud.db, campaign, f->m[i].id, &m);
    if (err != MS_OK) {
        die("cm_get", err);
    }
    return m;
}

const char *fs_state(fs_fleet_t *f, int64_t campaign)
{
    static ms_campaign_rec_t c;
    ms_err_t err = ms_ota_campaign_get(&f->cloud.db, campaign, &c);
    if (err != MS_OK) {
        die("campaign_get", err);
    }
    return c.state;
}
