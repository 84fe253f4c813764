/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chip_cli_licence.c - the vendor's licence verbs: licence (per-chip
 * licences, bounded by a counter file's budget or issued by the licence HSM
 * card over PC/SC) and hsm-init (the licence HSM's flash file).
 * Invariant: the counter file moves before a licence is written, and never
 * past the budget; keys are never printed.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chip_cli_common.h"
#include "chip_geometry.h"
#include "flash_sim.h"
#include "meterseal/chip_hsm.h"

static int hsm_issue(ms_chip_pcsc_t *pc, const char *uid_hex, const uint8_t id[16],
                     const char *out)
{
    /* ISSUE LICENCE: serial || package id, Le = the licence (68). */
    uint8_t cmd[5 + 26 + 1] = {0x80, MS_CHIP_INS_ISSUE, 0x00, 0x00, 26}, rsp[80];
    size_t rl = 0;
    if (ms_chip_cli_parse_hex(uid_hex, strlen(uid_hex), cmd + 5, MS_CHIP_UID_LEN) != 0) {
        return ms_chip_cli_fail("licence", MS_CHIP_CLI_USAGE, "bad serial '%s' (20 hex digits)",
                                uid_hex);
    }
    memcpy(cmd + 15, id, 16);
    cmd[31] = MS_CHIP_LIC_LEN;
    ms_err_t err = ms_chip_pcsc_transmit(pc, cmd, sizeof cmd, rsp, sizeof rsp, &rl);
    if (err != MS_OK) {
        return ms_chip_cli_fail("licence", MS_CHIP_CLI_IO, "HSM: %s", pc->last_error);
    }
    uint16_t sw = (uint16_t)(rsp[rl - 2] << 8 | rsp[rl - 1]);
    if (sw != MS_SW_OK || rl != MS_CHIP_LIC_LEN + 2) {
        return ms_chip_cli_fail("licence", MS_CHIP_CLI_FAIL, "HSM refused chip %s: %s%s", uid_hex,
                     ms_chip_sw_text(sw), sw == MS_SW_CONDITIONS ? " (budget used up)" : "");
    }
    if (ms_chip_cli_write_file(out, rsp, MS_CHIP_LIC_LEN, 0) != 0) {
        return ms_chip_cli_fail("licence", MS_CHIP_CLI_IO, "cannot write %s", out);
    }
    printf("licence %s for chip %s (from the HSM)\n", out, uid_hex);
    return MS_CHIP_CLI_OK;
}

/* Run one(ctx, serial, path) for each serial of the file uids (one a line,
 * '#' starts a comment), path being DIR/<serial>.lic; stops at the first
 * failure and returns its exit status. */
static int for_each_serial(const char *uids, const char *dir,
                           int (*one)(void *ctx, const char *serial, const char *path), void *ctx)
{
    FILE *f = fopen(uids, "r");
    char line[128], path[4096];
    if (f == NULL) {
        return ms_chip_cli_fail("licence", MS_CHIP_CLI_IO, "cannot read %s", uids);
    }
    int rc = MS_CHIP_CLI_OK;
    while (rc == MS_CHIP_CLI_OK && fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, " \t\r\n#")] = '\0';
        if (line[0] == '\0') {
            continue;
        }
        snprintf(path, sizeof path, "%s/%s.lic", dir, line);
        rc = one(ctx, line, path);
    }
    fclose(f);
    return rc;
}

typedef struct hsm_job {
    ms_chip_pcsc_t *pc;
    const uint8_t *id;
} hsm_job_t;

static int hsm_one(void *ctx, const char *serial, const char *path)
{
    hsm_job_t *j = ctx;
    return hsm_issue(j->pc, serial, j->id, path);
}

static int licence_from_hsm(const char *reader, const char *pkgf, const char *uid,
                            const char *out, const char *uids, const char *dir)
{
    uint8_t id[16];
    if ((uid == NULL || out == NULL) && (uids == NULL || dir == NULL)) {
        return ms_chip_cli_fail("licence", MS_CHIP_CLI_USAGE,
                                "--uid with -o, or --uids with --out-dir");
    }
    int rc = ms_chip_cli_pkg_id("licence", pkgf, id);
    if (rc != MS_CHIP_CLI_OK) {
        return rc;
    }
    ms_chip_pcsc_t pc;
    ms_err_t err = ms_chip_pcsc_open(&pc, reader);
    if (err == MS_OK) {
        err = ms_chip_pcsc_connect(&pc, 10000);
    }
    if (err != MS_OK) {
        ms_chip_pcsc_close(&pc);
        return ms_chip_cli_fail("licence", MS_CHIP_CLI_IO, "HSM: %s", pc.last_error);
    }
    hsm_job_t job = {&pc, id};
    rc = uid != NULL ? hsm_one(&job, uid, out) : for_each_serial(uids, dir, hsm_one, &job);
    uint8_t get[5] = {0x80, MS_CHIP_INS_GET_DATA, 0x00, MS_CHIP_TAG_BUDGET, 0x00}, rsp[64];
    size_t rl = 0;
    if (ms_chip_pcsc_transmit(&pc, get, 5, rsp, sizeof rsp, &rl) == MS_OK && rl >= 14) {
        printf("HSM budget: %u issued of %u, %u left\n",
               (unsigned)(rsp[4] << 24 | rsp[5] << 16 | rsp[6] << 8 | rsp[7]),
               (unsigned)(rsp[0] << 24 | rsp[1] << 16 | rsp[2] << 8 | rsp[3]),
               (unsigned)(rsp[8] << 24 | rsp[9] << 16 | rsp[10] << 8 | rsp[11]));
    }
    ms_chip_pcsc_close(&pc);
    return rc;
}

int ms_chip_cli_hsm_init(int argc, char **argv)
{
    static const char help[] =
        "usage: meterseal chip hsm-init --flash FILE --pkg PKG --image-key FILE\n"
        "         --master-key FILE --budget N [--method kdf3|emv]\n"
        "Make the flash file of a licence HSM card (serve it with\n"
        "meterseal-chip-emu --hsm): it issues at most N licences for PKG.";
    static const struct option opts[] = {
        {"flash", 1, NULL, 'f'},      {"pkg", 1, NULL, 'p'},    {"image-key", 1, NULL, 'k'},
        {"master-key", 1, NULL, 'm'}, {"budget", 1, NULL, 'b'}, {"method", 1, NULL, 'M'},
        {"help", 0, NULL, 'h'},       {0, 0, 0, 0}};
    const char *flash = NULL, *pkgf = NULL, *ikf = NULL, *mkf = NULL, *method = "kdf3";
    unsigned long budget = 0;
    MS_CHIP_CLI_OPT_BEGIN("hsm-init")
    case 'f': flash = optarg; break;
    case 'p': pkgf = optarg; break;
    case 'k': ikf = optarg; break;
    case 'm': mkf = optarg; break;
    case 'b': budget = strtoul(optarg, NULL, 0); break;
    case 'M': method = optarg; break;
    MS_CHIP_CLI_OPT_END
    ms_chip_div_method_t m = strcmp(method, "emv") == 0 ? MS_CHIP_DIV_EMV : MS_CHIP_DIV_KDF3;
    if (flash == NULL || budget == 0 ||
        (strcmp(method, "emv") != 0 && strcmp(method, "kdf3") != 0)) {
        return ms_chip_cli_fail("hsm-init", MS_CHIP_CLI_USAGE,
                                "--flash, --budget N and --method kdf3|emv");
    }
    uint8_t id[16], ik[16], mk[16];
    int rc = ms_chip_cli_pkg_id("hsm-init", pkgf, id);
    if (rc == MS_CHIP_CLI_OK) {
        rc = ms_chip_cli_load_key("hsm-init", ikf, ik);
    }
    if (rc == MS_CHIP_CLI_OK) {
        rc = ms_chip_cli_load_key("hsm-init", mkf, mk);
    }
    if (rc != MS_CHIP_CLI_OK) {
        return rc;
    }
    ms_flash_sim_t sim;
    ms_err_t err = ms_flash_sim_open(&sim, flash, MS_EMU_HSM_FLASH_SIZE, MS_EMU_SECTOR,
                                     MS_EMU_ALIGN, 0xFF);
    if (err == MS_OK) {
        err = ms_chip_hsm_provision(&sim.flash, m, mk, ik, id, (uint32_t)budget);
        ms_flash_sim_close(&sim);
    }
    ms_secure_zero(ik, 16);
    ms_secure_zero(mk, 16);
    if (err != MS_OK) {
        return ms_chip_cli_fail("hsm-init", MS_CHIP_CLI_FAIL, "%s", ms_strerror(err));
    }
    printf("licence HSM %s: budget %lu licences\n", flash, budget);
    return MS_CHIP_CLI_OK;
}

/* ---- licence ------------------------------------------------------------------- */

/* Over-production control on the vendor side: a counter file that never
 * goes past the budget (refuses, and never issues, beyond it). */
static int budget_take(const char *path, unsigned long budget)
{
    unsigned long used = 0;
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        if (fscanf(f, "%lu", &used) != 1) {
            used = 0;
        }
        fclose(f);
    }
    if (used >= budget) {
        return -1;
    }
    f = fopen(path, "w");
    if (f == NULL) {
        return -2;
    }
    fprintf(f, "%lu\n", used + 1);
    return fclose(f) == 0 ? 0 : -2;
}

static int issue_one(const char *verb, ms_chip_div_method_t m, const uint8_t mk[16],
                     const char *uid_hex, const uint8_t id[16], const uint8_t ikey[16],
                     const char *out, const char *counter, unsigned long budget)
{
    uint8_t uid[MS_CHIP_UID_LEN], lic[MS_CHIP_LIC_LEN];
    if (ms_chip_cli_parse_hex(uid_hex, strlen(uid_hex), uid, sizeof uid) != 0) {
        return ms_chip_cli_fail(verb, MS_CHIP_CLI_USAGE, "bad serial '%s' (20 hex digits)",
                                uid_hex);
    }
    if (counter != NULL) {
        int b = budget_take(counter, budget);
        if (b == -1) {
            return ms_chip_cli_fail(verb, MS_CHIP_CLI_FAIL,
                                    "licence budget of %lu exhausted; chip %s refused", budget,
                                    uid_hex);
        }
        if (b != 0) {
            return ms_chip_cli_fail(verb, MS_CHIP_CLI_IO, "cannot update counter %s", counter);
        }
    }
    ms_err_t err = ms_chip_licence_issue(m, mk, uid, id, ikey, lic);
    if (err != MS_OK) {
        return ms_chip_cli_fail(verb, MS_CHIP_CLI_FAIL, "%s", ms_strerror(err));
    }
    if (ms_chip_cli_write_file(out, lic, sizeof lic, 0) != 0) {
        return ms_chip_cli_fail(verb, MS_CHIP_CLI_IO, "cannot write %s", out);
    }
    printf("licence %s for chip %s\n", out, uid_hex);
    return MS_CHIP_CLI_OK;
}

typedef struct local_job {
    ms_chip_div_method_t m;
    const uint8_t *mk, *id, *ikey;
    const char *counter;
    unsigned long budget;
} local_job_t;

static int local_one(void *ctx, const char *serial, const char *path)
{
    local_job_t *j = ctx;
    return issue_one("licence", j->m, j->mk, serial, j->id, j->ikey, path, j->counter, j->budget);
}

int ms_chip_cli_licence(int argc, char **argv)
{
    static const char help[] =
        "usage: meterseal chip licence --pkg PKG --image-key FILE --master-key FILE\n"
        "         [--method kdf3|emv] (--uid HEX20 -o LIC | --uids FILE --out-dir DIR)\n"
        "         [--budget N --counter FILE | --hsm-reader NAME]\n"
        "Wrap the package's image key under each chip's diversified keys. With\n"
        "--budget, a counter file refuses licences past N (over-production control);\n"
        "with --hsm-reader the licence HSM card issues them under its own budget.";
    static const struct option opts[] = {
        {"pkg", 1, NULL, 'p'},     {"image-key", 1, NULL, 'k'}, {"master-key", 1, NULL, 'm'},
        {"method", 1, NULL, 'M'},  {"uid", 1, NULL, 'u'},       {"uids", 1, NULL, 'U'},
        {"out-dir", 1, NULL, 'D'}, {"out", 1, NULL, 'o'},       {"budget", 1, NULL, 'b'},
        {"counter", 1, NULL, 'C'}, {"hsm-reader", 1, NULL, 'H'}, {"help", 0, NULL, 'h'},
        {0, 0, 0, 0}};
    const char *hsm_reader = NULL;
    const char *pkgf = NULL, *ikf = NULL, *mkf = NULL, *method = "kdf3", *uid = NULL;
    const char *uids = NULL, *dir = NULL, *out = NULL, *counter = NULL;
    unsigned long budget = 0;
    MS_CHIP_CLI_OPT_BEGIN("licence")
    case 'p': pkgf = optarg; break;
    case 'k': ikf = optarg; break;
    case 'm': mkf = optarg; break;
    case 'M': method = optarg; break;
    case 'u': uid = optarg; break;
    case 'U': uids = optarg; break;
    case 'D': dir = optarg; break;
    case 'o': out = optarg; break;
    case 'b': budget = strtoul(optarg, NULL, 0); break;
    case 'C': counter = optarg; break;
    case 'H': hsm_reader = optarg; break;
    MS_CHIP_CLI_OPT_END
    if (hsm_reader != NULL) {
        return licence_from_hsm(hsm_reader, pkgf, uid, out, uids, dir);
    }
    ms_chip_div_method_t m;
    if (strcmp(method, "kdf3") == 0) {
        m = MS_CHIP_DIV_KDF3;
    } else if (strcmp(method, "emv") == 0) {
        m = MS_CHIP_DIV_EMV;
    } else {
        return ms_chip_cli_fail("licence", MS_CHIP_CLI_USAGE, "unknown method '%s'", method);
    }
    if (pkgf == NULL || ((uid == NULL || out == NULL) && (uids == NULL || dir == NULL))) {
        return ms_chip_cli_fail("licence", MS_CHIP_CLI_USAGE,
                                "--pkg and (--uid with -o, or --uids with --out-dir)");
    }
    if ((counter != NULL) != (budget != 0)) {
        return ms_chip_cli_fail("licence", MS_CHIP_CLI_USAGE, "--budget and --counter go together");
    }
    uint8_t id[16], ikey[16], mk[16];
    int rc = ms_chip_cli_pkg_id("licence", pkgf, id);
    if (rc != MS_CHIP_CLI_OK) {
        return rc;
    }
    rc = ms_chip_cli_load_key("licence", ikf, ikey);
    if (rc == MS_CHIP_CLI_OK) {
        rc = ms_chip_cli_load_key("licence", mkf, mk);
    }
    local_job_t job = {m, mk, id, ikey, counter, budget};
    if (rc == MS_CHIP_CLI_OK) {
        rc = uid != NULL ? local_one(&job, uid, out) : for_each_serial(uids, dir, local_one, &job);
    }
    ms_secure_zero(ikey, 16);
    ms_secure_zero(mk, 16);
    return rc;
}
