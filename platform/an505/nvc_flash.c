/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvc_flash.c - the replay-protected counter device (nvc_flash.h).
 *
 * Record (32 bytes, little-endian): magic(4) id(4) value(8) mac(16), where
 * mac = HMAC-SHA256(key, magic || id || value || sector-generation)[0..16).
 * Header records use magic HDR_MAGIC, id 0 and value = the generation.
 * Binding a record to its sector's generation keeps a record from being
 * moved into a sector of another generation.
 *
 * Invariants: a sector is erased only after the active sector holds a copy
 * of every non-zero counter; mount never lowers a value it has seen.
 */
#include "nvc_flash.h"

#include <string.h>

#include "meterseal/crypto.h"

#define REC_MAGIC 0x434E534Du   /* "MSNC" */
#define HDR_MAGIC 0x484E534Du   /* "MSNH" */
#define MAC_LEN 16u

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static ms_err_t rec_mac(const ms_nvc_flash_t *d, const uint8_t rec[MS_NVC_REC_LEN],
                        uint32_t gen, uint8_t mac[MS_HMAC_SHA256_LEN])
{
    uint8_t msg[20];
    memcpy(msg, rec, 16);
    put32(msg + 16, gen);
    return ms_hmac_sha256(d->key, sizeof d->key, msg, sizeof msg, mac);
}

static ms_err_t rec_make(const ms_nvc_flash_t *d, uint8_t rec[MS_NVC_REC_LEN], uint32_t magic,
                         uint32_t id, uint64_t value, uint32_t gen)
{
    uint8_t mac[MS_HMAC_SHA256_LEN];
    put32(rec, magic);
    put32(rec + 4, id);
    put64(rec + 8, value);
    ms_err_t err = rec_mac(d, rec, gen, mac);
    memcpy(rec + 16, mac, MAC_LEN);
    return err;
}

/* 1 if rec is an authentic record of `magic` in a sector of generation gen. */
static int rec_ok(const ms_nvc_flash_t *d, const uint8_t rec[MS_NVC_REC_LEN], uint32_t magic,
                  uint32_t gen)
{
    uint8_t mac[MS_HMAC_SHA256_LEN];
    if (get32(rec) != magic || rec_mac(d, rec, gen, mac) != MS_OK) {
        return 0;
    }
    return ms_ct_equal(mac, rec + 16, MAC_LEN);
}

static int rec_blank(const uint8_t rec[MS_NVC_REC_LEN])
{
    for (size_t i = 0; i < MS_NVC_REC_LEN; i++) {
        if (rec[i] != 0xFFu) {
            return 0;
        }
    }
    return 1;
}

static uint32_t sector_size(const ms_nvc_flash_t *d)
{
    return d->area->flash->sector_size;
}

/* Header of sector s: its generation, or 0 if it has no authentic header. */
static uint32_t sector_gen(const ms_nvc_flash_t *d, uint32_t s)
{
    uint8_t rec[MS_NVC_REC_LEN];
    if (ms_flash_area_read(d->area, s * sector_size(d), rec, sizeof rec) != MS_OK) {
        return 0;
    }
    uint32_t gen = (uint32_t)get64(rec + 8);
    return gen != 0 && get32(rec + 4) == 0 && rec_ok(d, rec, HDR_MAGIC, gen) ? gen : 0;
}

/* Scan sector s (generation gen): raise values, per-id maxima of this
 * sector in seen[], and the first blank offset in *end. */
static ms_err_t sector_scan(ms_nvc_flash_t *d, uint32_t s, uint32_t gen, uint64_t seen[],
                            uint32_t *end)
{
    uint8_t rec[MS_NVC_REC_LEN];
    uint32_t base = s * sector_size(d), off = MS_NVC_REC_LEN;
    for (; off + MS_NVC_REC_LEN <= sector_size(d); off += MS_NVC_REC_LEN) {
        ms_err_t err = ms_flash_area_read(d->area, base + off, rec, sizeof rec);
        if (err) {
            return err;
        }
        if (rec_blank(rec)) {
            break;
        }
        uint32_t id = get32(rec + 4);
        if (id < MS_NVC_IDS && rec_ok(d, rec, REC_MAGIC, gen)) {
            uint64_t v = get64(rec + 8);
            if (v > d->value[id]) {
                d->value[id] = v;
            }
            if (seen != NULL && v > seen[id]) {
                seen[id] = v;
            }
        }
    }
    *end = off;
    return MS_OK;
}

static ms_err_t append(ms_nvc_flash_t *d, uint32_t id, uint64_t value)
{
    uint8_t rec[MS_NVC_REC_LEN];
    ms_err_t err = rec_make(d, rec, REC_MAGIC, id, value, d->generation);
    if (!err) {
        err = ms_flash_area_write(d->area, d->active * sector_size(d) + d->wpos, rec, sizeof rec);
    }
    if (!err) {
        d->wpos += MS_NVC_REC_LEN;
    }
    return err;
}

/* Open the next sector of the ring: erase, header, a copy of every counter. */
static ms_err_t next_sector(ms_nvc_flash_t *d)
{
    uint32_t s = (d->active + 1u) % d->n_sectors;
    uint8_t rec[MS_NVC_REC_LEN];
    ms_err_t err = ms_flash_area_erase(d->area, s * sector_size(d), sector_size(d));
    if (err) {
        return err;
    }
    d->erases++;
    uint32_t gen = d->generation + 1u;
    if ((err = rec_make(d, rec, HDR_MAGIC, 0, gen, gen)) != MS_OK ||
        (err = ms_flash_area_write(d->area, s * sector_size(d), rec, sizeof rec)) != MS_OK) {
        return err;
    }
    d->active = s;
    d->generation = gen;
    d->wpos = MS_NVC_REC_LEN;
    for (uint32_t id = 0; id < MS_NVC_IDS && !err; id++) {
        if (d->value[id] != 0) {
            err = append(d, id, d->value[id]);
        }
    }
    return err;
}

ms_err_t ms_nvc_flash_mount(ms_nvc_flash_t *d, const ms_flash_area_t *area,
                            const uint8_t key[MS_NVC_KEY_LEN])
{
    memset(d, 0, sizeof *d);
    d->area = area;
    memcpy(d->key, key, sizeof d->key);
    uint32_t ss = area->flash->sector_size;
    if (ss < 4u * MS_NVC_REC_LEN || area->size % ss != 0 || area->size / ss < 2u) {
        return MS_ERR_ARG;
    }
    d->n_sectors = area->size / ss;
    /* Every sector with an authentic header counts; the newest is active. */
    uint32_t best = 0, best_gen = 0, best_end = 0;
    uint64_t seen_active[MS_NVC_IDS] = {0};
    for (uint32_t s = 0; s < d->n_sectors; s++) {
        uint32_t gen = sector_gen(d, s), end = 0;
        uint64_t seen[MS_NVC_IDS] = {0};
        if (gen == 0) {
            continue;
        }
        ms_err_t err = sector_scan(d, s, gen, seen, &end);
        if (err) {
            return err;
        }
        if (gen > best_gen) {
            best = s;
            best_gen = gen;
            best_end = end;
            memcpy(seen_active, seen, sizeof seen);
        }
    }
    d->mounted = 1;
    if (best_gen == 0) {
        /* Blank (a new meter): open sector 0 as generation 1. */
        d->active = d->n_sectors - 1u;
        d->generation = 0;
        return next_sector(d);
    }
    d->active = best;
    d->generation = best_gen;
    d->wpos = best_end;
    /* A sector change a power cut interrupted: give the active sector its
     * missing copies (or move on if there is no room for them). */
    for (uint32_t id = 0; id < MS_NVC_IDS; id++) {
        if (seen_active[id] < d->value[id]) {
            ms_err_t err = d->wpos + MS_NVC_REC_LEN <= ss ? append(d, id, d->value[id])
                                                          : next_sector(d);
            if (err) {
                return err;
            }
        }
    }
    return MS_OK;
}

ms_err_t ms_nvc_flash_read(const ms_nvc_flash_t *d, uint32_t id, uint64_t *value)
{
    if (!d->mounted || id >= MS_NVC_IDS) {
        return d->mounted ? MS_ERR_ARG : MS_ERR_STATE;
    }
    *value = d->value[id];
    return MS_OK;
}

ms_err_t ms_nvc_flash_increment(ms_nvc_flash_t *d, uint32_t id)
{
    if (!d->mounted || id >= MS_NVC_IDS) {
        return d->mounted ? MS_ERR_ARG : MS_ERR_STATE;
    }
    if (d->value[id] == UINT64_MAX) {
        return MS_ERR_ARG;
    }
    ms_err_t err = MS_OK;
    if (d->wpos + MS_NVC_REC_LEN > sector_size(d)) {
        err = next_sector(d);
    }
    if (!err) {
        err = append(d, id, d->value[id] + 1u);
    }
    if (!err) {
        d->value[id]++;
    }
    return err;
}
