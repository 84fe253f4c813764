/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_cloud_campaign.c - fuzz target for the campaign body parser of the
 * update API (ms_campaign_api_parse, campaign_api.c) and the firmware
 * upload check (ms_fw_check: the bounded image parser on an uploaded
 * image). Checks the parser's promises: waves ascend to 100 or are empty
 * of meaning (refused), thresholds are in per mille, list targets are
 * meter ids.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "campaign_api.h"
#include "x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) { abort(); } } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ms_campaign_spec_t s;
    char (*ids)[MS_LINK_METER_ID_MAX + 1] = NULL;
    char reason[MS_OTA_REASON_MAX];
    if (ms_campaign_api_parse((const char *)data, size, &s, &ids, reason) == MS_OK) {
        CHECK(s.n_waves >= 1 && s.n_waves <= MS_OTA_WAVES_MAX);
        CHECK(s.success_pm <= 1000 && s.failure_pm <= 1000 && s.max_retries <= 100);
        CHECK(strlen(s.firmware_sha256) == MS_OTA_HEX_LEN && s.name[0] != '\0');
        for (size_t i = 0; i < s.n_ids; i++) {
            CHECK(ms_meter_id_valid(s.ids[i], strlen(s.ids[i])));
        }
        CHECK(s.kind != MS_TARGET_LIST || (ids != NULL && s.n_ids > 0));
    } else {
        CHECK(ids == NULL);
    }
    free(ids);
    /* the same bytes as an uploaded image */
    static ms_ota_t o;
    static bool ready;
    if (!ready) {
        ms_p256_priv_t k;
        ms_p256_pub_t pub;
        if (ms_p256_keygen(&k, &pub) != MS_OK || ms_ota_add_vendor_key(&o, &pub) != MS_OK) {
            abort();
        }
        ready = true;
    }
    ms_fw_rec_t rec;
    if (ms_fw_check(&o, data, size, 0, &rec, reason) == MS_OK) {
        CHECK(rec.size == size);
    }
    return 0;
}
