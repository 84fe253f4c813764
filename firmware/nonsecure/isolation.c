/* SPDX-License-Identifier: Apache-2.0 */
/*
 * isolation.c - the application's scenarios about the TEE's isolation
 * (isolation.h): the Secure partitions as the self-test leaves them, the
 * storage and key store partitions stopped in the middle of a call, and an
 * unprivileged
 * Non-secure task calling the TEE. Console lines are what
 * tests/an505/test_tee.py reads.
 */
#include "isolation.h"

#include <string.h>

#include "an505.h"
#include "an505_map.h"
#include "app.h"
#include "meterseal/psa/initial_attestation.h"
#include "meterseal/psa/internal_trusted_storage.h"
#include "meterseal/tee_dispatch.h"
#include "regs/armv8m.h"
#include "rtos.h"
#include "tee_client.h"
#include "update.h"

#define REG(a) MS_REG32(a)

/* The storage and key store partitions' numbers in the self-test's report
 * (spm.h). */
#define STORAGE_PART  2u
#define KEYSTORE_PART 3u
#define ATTEST_PART   4u
#define UPDATE_PART   5u
#define LINK_PART     6u

void isolation_put_partition(const char *prefix, const ms_tee_ns_selftest_t *t, uint32_t i)
{
    ms_an505_puts(prefix);
    ms_an505_puts(" part=");
    ms_an505_put_dec(i);
    ms_an505_puts(" calls=");
    ms_an505_put_dec(t->calls[i]);
    ms_an505_puts(" faults=");
    ms_an505_put_dec(t->faults[i]);
    ms_an505_puts(" restarts=");
    ms_an505_put_dec(t->restarts[i]);
    ms_an505_puts(" stack=");
    ms_an505_put_dec(t->stack_used[i]);
    ms_an505_puts(" pool=");
    ms_an505_put_dec(t->pool_used[i]);
    ms_an505_puts("\r\n");
}

int isolation_partitions(void)
{
    ms_tee_ns_selftest_t t;
    int32_t st = ms_tee_ns_selftest(&t);
    app_put_status("partitions: self-test", st);
    if (st != PSA_SUCCESS) {
        return EXIT_FAILED;
    }
    app_put_status("partitions: isolation", t.result);
    for (uint32_t i = 0; i < MS_TEE_NS_PARTS; i++) {
        isolation_put_partition("partitions:", &t, i);
    }
    /* The health-test partition keeps serving the RNG. */
    uint8_t rnd[32];
    st = tee_rng(rnd, sizeof rnd);
    app_put_status("partitions: rng after the fault", st);
    return t.result == 0 && st == PSA_SUCCESS ? EXIT_DONE : EXIT_FAILED;
}

/* After a partition was stopped: its counts, and the fault log's. */
static void put_restarted(const char *prefix, uint32_t part)
{
    ms_tee_ns_selftest_t t;
    if (ms_tee_ns_selftest(&t) == PSA_SUCCESS) {
        isolation_put_partition(prefix, &t, part);
    }
    ms_tee_ns_fault_status_t fs;
    if (ms_tee_ns_fault_status(&fs) == PSA_SUCCESS) {
        ms_an505_puts(prefix);
        ms_an505_puts(" fault log faults=");
        ms_an505_put_dec(fs.faults);
        ms_an505_puts(" last-exception=");
        ms_an505_put_dec(fs.last_exception);
        ms_an505_puts("\r\n");
    }
}

/* The storage partition stopped in the middle of a call: the test (under
 * gdb) makes its handler read the kernel's memory when the info call on
 * STORAGE_RESTART_UID arrives. That call fails; the next finds storage
 * started again, with everything it held. Without gdb the call just finds
 * no such object. */
#define STORAGE_RESTART_UID 0x5151u

int isolation_storage_restart(void)
{
    static const char kept[] = "kept across the storage partition's restart";
    int32_t st = psa_its_set(9, sizeof kept, kept, 0);
    app_put_status("storage-restart: its set", st);
    struct psa_storage_info_t info;
    app_put_status("storage-restart: the call that faulted",
                   psa_its_get_info(STORAGE_RESTART_UID, &info));
    char back[sizeof kept];
    size_t got = 0;
    int32_t again = psa_its_get(9, 0, sizeof back, back, &got);
    app_put_status("storage-restart: its get after", again);
    bool same = again == PSA_SUCCESS && got == sizeof kept && memcmp(back, kept, got) == 0;
    app_put_status("storage-restart: object intact", same ? 0 : -1);
    tee_meter_t reg;
    int32_t meter = tee_meter_read(&reg);
    app_put_status("storage-restart: meter read after", meter);
    put_restarted("storage-restart:", STORAGE_PART);
    return st == PSA_SUCCESS && same && meter == PSA_SUCCESS ? EXIT_DONE : EXIT_FAILED;
}

/* The key store partition stopped in the middle of a call: the test (under
 * gdb) makes its handler read the kernel's memory when a request for key
 * KEYSTORE_RESTART_KEY arrives (the public key: the NSPE may ask, and
 * without gdb there is no such key for it). That call fails; attestation
 * tokens, which the key store signs, are made before and after. */
#define KEYSTORE_RESTART_KEY 0x5151u

static uint8_t tok[600];
static size_t tok_len;

static psa_status_t token(void)
{
    uint8_t challenge[32];
    memset(challenge, 0x5a, sizeof challenge);
    return tee_attest_token(challenge, sizeof challenge, tok, sizeof tok, &tok_len);
}

int isolation_keystore_restart(void)
{
    psa_status_t before = token();
    app_put_status("keystore-restart: token before", before);
    uint32_t id = KEYSTORE_RESTART_KEY;
    uint8_t pub[65];
    ms_tee_invec_t in[1] = { { &id, sizeof id } };
    ms_tee_outvec_t out[1] = { { pub, sizeof pub } };
    app_put_status("keystore-restart: the call that faulted",
                   tee_client_call(MS_TEE_SID_CRYPTO, MS_TEE_CRYPTO_EXPORT, in, 1, out, 1));
    psa_status_t after = token();
    app_put_status("keystore-restart: token after", after);
    put_restarted("keystore-restart:", KEYSTORE_PART);
    return before == PSA_SUCCESS && after == PSA_SUCCESS ? EXIT_DONE : EXIT_FAILED;
}

/* The attestation partition stopped in the middle of a call: the test
 * (under gdb) makes its handler read the kernel's memory when a token-size
 * query for a challenge of ATTEST_RESTART_LEN bytes arrives (a size the API
 * refuses: without gdb an invalid argument). That call fails; the tokens
 * before and after carry the same boot seed (the kernel gives the
 * restarted partition the boot record again, seed and all), which the
 * scenario prints: the bytes after the claim's key (2397) and bstr(32). */
#define ATTEST_RESTART_LEN 0x5151u

static void put_boot_seed(const char *what)
{
    static const uint8_t key[] = { 0x19, 0x09, 0x5d, 0x58, 0x20 };
    ms_an505_puts(what);
    for (size_t i = 0; i + sizeof key + 32u <= tok_len; i++) {
        if (memcmp(tok + i, key, sizeof key) == 0) {
            for (size_t k = 0; k < 32u; k++) {
                static const char hex[] = "0123456789abcdef";
                uint8_t b = tok[i + sizeof key + k];
                ms_an505_putc(hex[b >> 4]);
                ms_an505_putc(hex[b & 15u]);
            }
            break;
        }
    }
    ms_an505_puts("\r\n");
}

int isolation_attest_restart(void)
{
    psa_status_t before = token();
    app_put_status("attest-restart: token before", before);
    put_boot_seed("attest-restart: boot seed before ");
    size_t size = 0;
    app_put_status("attest-restart: the call that faulted",
                   psa_initial_attest_get_token_size(ATTEST_RESTART_LEN, &size));
    psa_status_t after = token();
    app_put_status("attest-restart: token after", after);
    put_boot_seed("attest-restart: boot seed after ");
    put_restarted("attest-restart:", ATTEST_PART);
    return before == PSA_SUCCESS && after == PSA_SUCCESS ? EXIT_DONE : EXIT_FAILED;
}

/* The update partition stopped in the middle of a staging: the test
 * (under gdb) makes its handler read another partition's memory when the
 * VERIFY arrives. That call fails and the download in progress is lost
 * with the partition's memory; the client gives the restarted partition
 * the boot configuration's trust again, and the same download staged from
 * the start verifies. (Without gdb the second staging finds the first one
 * pending and is refused.) */
int isolation_update_restart(void)
{
    int first = update_stage(false);
    app_put_status("update-restart: first staging", first == EXIT_DONE ? 0 : -1);
    int again = update_stage(false);
    app_put_status("update-restart: staging again", again == EXIT_DONE ? 0 : -1);
    put_restarted("update-restart:", UPDATE_PART);
    return first != EXIT_DONE && again == EXIT_DONE ? EXIT_DONE : EXIT_FAILED;
}

/* The link partition stopped in the middle of a call: the test (under gdb)
 * makes its handler read another partition's memory when a meter ADD of
 * LINK_RESTART_WH arrives (the meter's ADD is the link's: the balance moves
 * by its tariff). That call fails and adds nothing; the ADDs before and
 * after are served, and so are the other partitions (a token: attestation
 * and the key store; a meter read: storage). Without gdb the call adds. */
#define LINK_RESTART_WH 0x5151u

int isolation_link_restart(void)
{
    tee_meter_t before, after, read;
    psa_status_t st = tee_meter_add(1, &before);
    app_put_status("link-restart: add before", st);
    app_put_status("link-restart: the call that faulted", tee_meter_add(LINK_RESTART_WH, &after));
    psa_status_t again = tee_meter_add(1, &after);
    app_put_status("link-restart: add after", again);
    psa_status_t others = token();
    app_put_status("link-restart: token after", others);
    psa_status_t stored = tee_meter_read(&read);
    app_put_status("link-restart: meter read after", stored);
    /* the faulted ADD added nothing: whatever the pulses added meanwhile,
     * the register stays far below LINK_RESTART_WH past the first */
    bool nothing = again == PSA_SUCCESS && after.energy_wh - before.energy_wh < LINK_RESTART_WH;
    app_put_status("link-restart: the faulted add added nothing", nothing ? 0 : -1);
    put_restarted("link-restart:", LINK_PART);
    return st == PSA_SUCCESS && nothing && others == PSA_SUCCESS && stored == PSA_SUCCESS
               ? EXIT_DONE
               : EXIT_FAILED;
}

/* ---- an unprivileged caller ------------------------------------------------------------ */

/* Memory only privileged Non-secure code may use (its own MPU region). */
static uint8_t priv_buf[64] __attribute__((aligned(32)));
static uint32_t st_unpriv[128];
static volatile int32_t unpriv_own = 1, unpriv_priv = 1, unpriv_reg = 1, unpriv_upd_status = 1,
                        unpriv_upd_confirm = 1, unpriv_modem = 1,
                        unpriv_hello = 1;
static volatile bool unpriv_done;
static void (*unpriv_fn)(void);

static void ns_mpu_region(uint32_t n, uint32_t base, uint32_t limit, uint32_t flags)
{
    REG(MPU_RNR) = n;
    REG(MPU_RBAR) = (base & ~(MPU_GRANULE - 1u)) | flags;
    REG(MPU_RLAR) = (limit & ~(MPU_GRANULE - 1u)) | MPU_RLAR_EN;
}

/* The Non-secure MPU: code for all, RAM for all but priv_buf, which is
 * privileged only. ARMv8-M MPU regions must not overlap (an address in two
 * regions faults), so the RAM is two regions around it. */
static void ns_mpu_init(void)
{
    uint32_t pb = (uint32_t)(uintptr_t)priv_buf, pe = pb + sizeof priv_buf;
    REG(MPU_CTRL) = 0;
    REG(MPU_MAIR0) = 0xFFu;
    ns_mpu_region(0, AN505_NS_EXEC_BASE, AN505_NS_EXEC_BASE + AN505_NS_EXEC_SIZE - 1u,
                  MPU_RBAR_AP_RO_ANY);
    ns_mpu_region(1, AN505_NS_RAM_BASE, pb - 1u, MPU_RBAR_AP_RW_ANY | MPU_RBAR_XN);
    ns_mpu_region(2, pb, pe - 1u, MPU_RBAR_AP_RW_PRIV | MPU_RBAR_XN);
    ns_mpu_region(3, pe, AN505_NS_RAM_BASE + AN505_NS_RAM_SIZE - 1u,
                  MPU_RBAR_AP_RW_ANY | MPU_RBAR_XN);
    REG(MPU_CTRL) = MPU_CTRL_ENABLE | MPU_CTRL_PRIVDEFENA;
    __asm volatile("dsb\n\tisb" ::: "memory");
}

/* Run fn in an unprivileged task (under the Non-secure MPU above) and wait
 * until it is done; the task then sleeps for good. */
static void unpriv_body(void *arg)
{
    (void)arg;
    unpriv_fn();
    unpriv_done = true;
    for (;;) {
        __asm volatile("wfi");
    }
}

static void run_unprivileged(void (*fn)(void))
{
    ns_mpu_init();
    unpriv_fn = fn;
    rtos_task_create_ex("unprivileged", unpriv_body, NULL, 1, st_unpriv, sizeof st_unpriv / 4u,
                        true);
    while (!unpriv_done) {
        rtos_delay(2);
    }
}

static void unpriv_task(void)
{
    uint8_t own[16];
    unpriv_own = tee_rng_direct(own, sizeof own);
    unpriv_priv = tee_rng_direct(priv_buf, 16);
    unpriv_reg = ms_tee_ns_register(MS_TEE_NS_CB_DONE, (uint32_t)(uintptr_t)app_on_done);
}

/* Firmware updates from an unprivileged task: the status only. */
static void unpriv_update_task(void)
{
    uint8_t status[MS_TEE_UPDATE_STATUS_LEN], image[1] = { 1 };
    ms_tee_outvec_t sout[1] = { { status, sizeof status } };
    ms_tee_ns_req_t sreq = { MS_TEE_SID_UPDATE, MS_TEE_UPDATE_STATUS, NULL, 0, sout, 1 };
    unpriv_upd_status = ms_tee_ns_call(&sreq);
    ms_tee_invec_t cin[1] = { { image, sizeof image } };
    ms_tee_ns_req_t creq = { MS_TEE_SID_UPDATE, MS_TEE_UPDATE_CONFIRM, cin, 1, NULL, 0 };
    unpriv_upd_confirm = ms_tee_ns_call(&creq);
    unpriv_modem = ms_tee_ns_modem_write("x", 1);
}

int isolation_unprivileged_update(void)
{
    run_unprivileged(unpriv_update_task);
    app_put_status("unprivileged: update status", unpriv_upd_status);
    app_put_status("unprivileged: update confirm", unpriv_upd_confirm);
    app_put_status("unprivileged: modem write", unpriv_modem);
    app_put_faults();
    return unpriv_upd_status == PSA_SUCCESS && unpriv_upd_confirm == PSA_ERROR_NOT_PERMITTED &&
                   unpriv_modem == PSA_ERROR_NOT_PERMITTED
               ? EXIT_DONE
               : EXIT_FAILED;
}

/* An unprivileged task names another interface version: it would shut the
 * door for every task. */
static void unpriv_hello_task(void)
{
    unpriv_hello = ms_tee_ns_hello(MS_TEE_NS_ABI + 1u);
}

int isolation_interface_version(void)
{
    run_unprivileged(unpriv_hello_task);
    app_put_status("interface-version: named by an unprivileged task", unpriv_hello);
    /* The refused version changed nothing: the door is still open. */
    uint8_t rnd[16];
    int32_t after = tee_rng_direct(rnd, sizeof rnd);
    app_put_status("interface-version: a call after it", after);

    int32_t other = ms_tee_ns_hello(MS_TEE_NS_ABI + 1u);
    app_put_status("interface-version: another version", other);
    ms_tee_ns_fault_status_t fs;
    int32_t shut_status = ms_tee_ns_fault_status(&fs);
    app_put_status("interface-version: fault status while shut", shut_status);
    int32_t shut_rng = tee_rng_direct(rnd, sizeof rnd);
    app_put_status("interface-version: rng while shut", shut_rng);
    app_put_status("interface-version: ping while shut",
                   ms_tee_ns_ping(41) == 42u ? PSA_SUCCESS : PSA_ERROR_GENERIC_ERROR);
    int32_t again = ms_tee_ns_hello(MS_TEE_NS_ABI);
    app_put_status("interface-version: this image's version", again);
    int32_t open_rng = tee_rng_direct(rnd, sizeof rnd);
    app_put_status("interface-version: rng after", open_rng);
    app_put_faults();
    return unpriv_hello == PSA_ERROR_NOT_PERMITTED && after == PSA_SUCCESS &&
                   other == PSA_ERROR_NOT_SUPPORTED && shut_status == PSA_ERROR_NOT_SUPPORTED &&
                   shut_rng == PSA_ERROR_NOT_SUPPORTED && again == PSA_SUCCESS &&
                   open_rng == PSA_SUCCESS
               ? EXIT_DONE
               : EXIT_FAILED;
}

int isolation_unprivileged(void)
{
    run_unprivileged(unpriv_task);
    app_put_status("unprivileged: rng into its own memory", unpriv_own);
    app_put_status("unprivileged: rng into privileged-only memory", unpriv_priv);
    app_put_status("unprivileged: register a callback", unpriv_reg);
    int32_t st = tee_rng_direct(priv_buf, 16);
    app_put_status("privileged: rng into privileged-only memory", st);
    app_put_faults();
    return unpriv_own == PSA_SUCCESS && unpriv_priv == PSA_ERROR_PROGRAMMER_ERROR &&
           unpriv_reg == PSA_ERROR_NOT_PERMITTED &&
           st == PSA_SUCCESS ? EXIT_DONE : EXIT_FAILED;
}
