/* SPDX-License-Identifier: Apache-2.0 */
/*
 * part_storage.c - the secure storage partition's handler: runs
 * unprivileged in its own block (spm.c), and serves the messages of
 * part_storage.h with the portable storage service (src/tee/storage).
 *
 * What the partition reaches: its block (mailbox, stack, crypto pool, the
 * service's state with the stores' keys), the ITS and PS flash areas and
 * nothing else of the flash, the Secure image's code and constants; its
 * keys (the kernel derives them from the HUK, which never enters here),
 * its two anti-rollback counters and entropy only by asking the kernel
 * (tee_hal.h). The stores' keys never leave.
 *
 * Invariants: every message's length is checked against what its type
 * carries before a field is read; an answer never exceeds the mailbox;
 * the first message after a restart is START (the client sends it), and
 * until then the stores read as not mounted (their state is all zero).
 */
#include <string.h>

#include "an505_map.h"
#include "flash_nor.h"
#include "meterseal/tee.h"
#include "meterseal/tee_storage.h"
#include "part_storage.h"

static const ms_flash_area_t its_area = {
    .flash = &ms_an505_nor, .off = AN505_TEE_ITS_OFF, .size = AN505_TEE_ITS_SIZE,
};
static const ms_flash_area_t ps_area = {
    .flash = &ms_an505_nor, .off = AN505_TEE_PS_OFF, .size = AN505_TEE_PS_SIZE,
};

static uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static void put_meter(spm_msg_t *msg, ms_err_t err, const ms_tee_meter_reg_t *r)
{
    int32_t e = (int32_t)err;
    uint64_t balance = (uint64_t)r->balance_milli;
    memcpy(msg->data, &e, 4);
    memcpy(msg->data + 4, &r->energy_wh, 8);
    memcpy(msg->data + 12, &balance, 8);
    memcpy(msg->data + 20, &r->updates, 8);
    msg->out_len = STORAGE_METER_LEN;
}

static int32_t meter(spm_msg_t *msg, int32_t op)
{
    ms_tee_meter_reg_t r;
    memset(&r, 0, sizeof r);
    ms_err_t err;
    if (op == STORAGE_MSG_METER_READ) {
        err = ms_tee_storage_meter_read(&r);
    } else if (msg->len == 16u) {
        err = ms_tee_storage_meter_add(rd64(msg->data), (int64_t)rd64(msg->data + 8), &r);
    } else {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    put_meter(msg, err, &r);
    return PSA_SUCCESS;
}

static int32_t get(spm_msg_t *msg, bool ps)
{
    if (msg->len != 16u) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    uint64_t uid = rd64(msg->data);
    uint32_t off = spm_word(msg->data + 8);
    uint32_t len = spm_word(msg->data + 12);
    if (len > SPM_MSG_DATA) {
        len = SPM_MSG_DATA;   /* no object is larger: the same answer */
    }
    size_t got = 0;
    psa_status_t st = ps ? ms_tee_ps_get(uid, off, len, msg->data, &got)
                         : ms_tee_its_get(uid, off, len, msg->data, &got);
    msg->out_len = st == PSA_SUCCESS && got <= len ? (uint32_t)got : 0u;
    return st;
}

static int32_t info(spm_msg_t *msg, bool ps)
{
    if (msg->len != 8u) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    struct psa_storage_info_t i;
    memset(&i, 0, sizeof i);
    uint64_t uid = rd64(msg->data);
    psa_status_t st = ps ? ms_tee_ps_get_info(uid, &i) : ms_tee_its_get_info(uid, &i);
    if (st == PSA_SUCCESS) {
        uint32_t v[3] = { (uint32_t)i.capacity, (uint32_t)i.size, i.flags };
        memcpy(msg->data, v, sizeof v);
        msg->out_len = sizeof v;
    }
    return st;
}

int32_t spm_storage_main(spm_msg_t *msg, void *state)
{
    (void)state;
    bool ps = (msg->type & STORAGE_PS) != 0;
    int32_t op = msg->type & ~STORAGE_PS;
    uint32_t len = msg->len;
    if (len > SPM_MSG_DATA) {
        return PSA_ERROR_PROGRAMMER_ERROR;
    }
    switch (op) {
    case STORAGE_MSG_START: {
        int32_t err = (int32_t)ms_tee_storage_init(&its_area, &ps_area);
        memcpy(msg->data, &err, 4);
        msg->out_len = 4;
        return PSA_SUCCESS;
    }
    case STORAGE_MSG_SET:
    case STORAGE_MSG_SET_EXT: {
        if (len < STORAGE_HDR_LEN || (op == STORAGE_MSG_SET_EXT && !ps)) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        uint64_t uid = rd64(msg->data);
        uint32_t word = spm_word(msg->data + 8);
        uint32_t n = spm_word(msg->data + 12);
        const uint8_t *data = msg->data + STORAGE_HDR_LEN;
        /* the data whole, or none for a length no object may have (the
         * service refuses that by its size, before reading any) */
        if (n > STORAGE_DATA_MAX ? len != STORAGE_HDR_LEN : len != STORAGE_HDR_LEN + n) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        if (op == STORAGE_MSG_SET_EXT) {
            return ms_tee_ps_set_extended(uid, word, n, data);
        }
        return ps ? ms_tee_ps_set(uid, n, data, word) : ms_tee_its_set(uid, n, data, word);
    }
    case STORAGE_MSG_GET:
        return get(msg, ps);
    case STORAGE_MSG_INFO:
        return info(msg, ps);
    case STORAGE_MSG_REMOVE:
        if (len != 8u) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        return ps ? ms_tee_ps_remove(rd64(msg->data)) : ms_tee_its_remove(rd64(msg->data));
    case STORAGE_MSG_CREATE:
        if (len != 16u || !ps) {
            return PSA_ERROR_PROGRAMMER_ERROR;
        }
        return ms_tee_ps_create(rd64(msg->data), spm_word(msg->data + 8), spm_word(msg->data + 12));
    case STORAGE_MSG_METER_READ:
    case STORAGE_MSG_METER_ADD:
        return meter(msg, op);
    default:
        return PSA_ERROR_NOT_SUPPORTED;
    }
}
