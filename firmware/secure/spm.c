/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spm.c - the Secure kernel's partitions (spm.h): memory, entry and exit,
 * requests, faults and time. The assembly of the SVC handler and the way
 * back to the kernel are in spm_entry.c; the two built-in partitions and
 * the isolation self-test in spm_builtin.c.
 *
 * Memory: each partition owns one block of memory (32-byte aligned and
 * sized, the Secure MPU's granule): its mailbox, its stack, its state and,
 * for storage, its crypto pool and the service's own static state (the
 * linker gathers MS_TEE_PART_DATA(storage) objects into one section). MPU
 * region 0 is the Secure image's execution region, read-only and executable
 * for both privilege levels; region 1 is the running partition's block,
 * read-write, never executable; regions 2 to 5 its device windows, if it
 * has any (storage: the ITS and PS flash areas, read-write; updates: the
 * secondary slots read-write, the primaries read-only). Regions 1 to 5 are
 * enabled only while that partition runs. PRIVDEFENA gives the kernel the default map,
 * so every other address - the kernel's data, the other partitions' blocks,
 * the peripherals, the rest of the flash - faults for a partition.
 *
 * Requests (SVC #4, spm_request): a partition that asks the kernel for
 * something while it serves a message stops where it is - its r4-r11
 * stored under its exception frame, on its own stack - and the kernel's
 * spm_callv() gets control back as if it had returned; it serves the
 * request (the partition's spm_serve_t, which may call another partition)
 * and enters the partition again at that saved context, the answer in its
 * frame's r0 and its request block.
 *
 * Invariants: at most one partition runs at a time (spm_call refuses to
 * nest; a partition waiting on its request is not running, and takes no
 * other message until it is done); the caller's r4-r11 and LR are kept on
 * the Main stack across the partition's run and restored on every way back
 * (return, request or fault); a partition starts each message with r4-r11
 * zero (no kernel value leaks into it); the
 * partition's block is the only memory the partition's code gets an
 * address of; the partitions' table is const, so the partitions' own code
 * reads it (the crypto pool lookup) and none can change it; a kernel
 * service writes only into the asking partition's block.
 */
#include "spm.h"
#include "spm_internal.h"

#include <string.h>

#include "an505.h"
#include "an505_map.h"
#include "boot_cfg.h"
#include "flash_nor.h"
#include "meterseal/crypto.h"
#include "meterseal/tee.h"
#include "regs/armv8m.h"
#include "tee.h"
#include "tee_hal.h"

#define STACK_WORDS  SPM_BUILTIN_STACK_WORDS
#define STATE_LEN    SPM_BUILTIN_STATE_LEN
#define STACK_PAINT  0x5EC0DE5Au

/* Storage: a record write runs HMAC and AES-GCM with their contexts on the
 * stack and in the pool (bench/an505/tee prints the high-water marks). */
#define STORAGE_STACK_WORDS 1024u
#define STORAGE_POOL_LEN    3072u

/* The key store: an ECDSA signature (p256-m) or AES-GCM, with the storage
 * client's request on top (bench/an505/tee prints the high-water marks). */
#define KEYSTORE_STACK_WORDS 1536u
#define KEYSTORE_POOL_LEN    4096u

/* Attestation: a token's claims and COSE envelope (the token-size query
 * builds one on its stack), SHA-256 (no allocation, no random bytes: no
 * crypto pool, no kernel service); the signature is the key store's. */
#define ATTEST_STACK_WORDS 1024u

/* Stacks 8-byte aligned: the exception frame and AAPCS need it (and
 * PSPLIM ignores the low three bits). */
typedef struct __attribute__((aligned(32))) spm_mem {
    spm_msg_t msg;
    uint8_t state[STATE_LEN];
    uint32_t stack[STACK_WORDS] __attribute__((aligned(8)));
} spm_mem_t;

typedef struct __attribute__((aligned(32))) storage_mem {
    spm_msg_t msg;
    uint32_t stack[STORAGE_STACK_WORDS] __attribute__((aligned(8)));
    unsigned char pool[STORAGE_POOL_LEN];
} storage_mem_t;

typedef struct __attribute__((aligned(32))) keystore_mem {
    spm_msg_t msg;
    spm_req_t req;
    uint8_t req_data[SPM_REQ_DATA];
    uint32_t stack[KEYSTORE_STACK_WORDS] __attribute__((aligned(8)));
    unsigned char pool[KEYSTORE_POOL_LEN];
} keystore_mem_t;

/* Firmware updates: the boot core's decrypt and verify of a staged image
 * (ECIES unwrap, AES-CTR, SHA-256, two ECDSA-P256 verifies), its contexts
 * on the stack and in the pool; its state (the boot configuration, the
 * download in progress) is part_update.c's, in the same section. */
#define UPDATE_STACK_WORDS 1536u
#define UPDATE_POOL_LEN    1024u

typedef struct __attribute__((aligned(32))) update_mem {
    spm_msg_t msg;
    spm_req_t req;
    uint8_t req_data[SPM_REQ_DATA];
    uint32_t stack[UPDATE_STACK_WORDS] __attribute__((aligned(8)));
    unsigned char pool[UPDATE_POOL_LEN];
} update_mem_t;

/* The cloud link: a TLS 1.3 handshake (X.509, ECDHE, ECDSA verifies) on
 * the stack and in the pool, which holds the session (its record buffers,
 * its PSA keys) for as long as the channel is open (bench/an505/tee
 * prints the high-water marks). */
#define LINK_STACK_WORDS 1536u
#define LINK_POOL_LEN    (32u * 1024u)

typedef struct __attribute__((aligned(32))) link_mem {
    spm_msg_t msg;
    spm_req_t req;
    uint8_t req_data[SPM_REQ_DATA_MAX];
    uint32_t stack[LINK_STACK_WORDS] __attribute__((aligned(8)));
    unsigned char pool[LINK_POOL_LEN] __attribute__((aligned(8)));
} link_mem_t;

typedef struct __attribute__((aligned(32))) attest_mem {
    spm_msg_t msg;
    spm_req_t req;
    uint8_t req_data[SPM_REQ_DATA];
    uint32_t stack[ATTEST_STACK_WORDS] __attribute__((aligned(8)));
} attest_mem_t;


static spm_mem_t part_mem[2];
static storage_mem_t storage_mem MS_TEE_PART_DATA(storage);
/* The storage partition's section (image.ld.S): storage_mem and the
 * storage service's state. */
extern uint8_t __ms_part_storage_start[];
extern uint8_t __ms_part_storage_end[];

/* The key store's block is this one object: the service keeps no static
 * state (its keys are ITS records, read per operation and wiped). */
static keystore_mem_t keystore_mem;
/* Attestation's block is its section: attest_mem and the service's state
 * (the boot record, the token being built). */
static attest_mem_t attest_mem MS_TEE_PART_DATA(attest);
extern uint8_t __ms_part_attest_start[];
extern uint8_t __ms_part_attest_end[];
/* The update partition's block is its section: update_mem and the
 * service's state (part_update.c). */
static update_mem_t update_mem MS_TEE_PART_DATA(update);
extern uint8_t __ms_part_update_start[];
extern uint8_t __ms_part_update_end[];

/* The link partition's block is its section: link_mem, the service's
 * state (src/tee/link, part_link.c) and Mbed TLS's PSA core state. */
static link_mem_t link_mem MS_TEE_PART_DATA(link);
extern uint8_t __ms_part_link_start[];
extern uint8_t __ms_part_link_end[];

static const ms_crypto_pool_t storage_pool = { storage_mem.pool, sizeof storage_mem.pool };
static const ms_crypto_pool_t keystore_pool = { keystore_mem.pool, sizeof keystore_mem.pool };
static const ms_crypto_pool_t update_pool = { update_mem.pool, sizeof update_mem.pool };
static const ms_crypto_pool_t link_pool = { link_mem.pool, sizeof link_mem.pool };
static const ms_crypto_pool_t no_pool = { NULL, 0 };

#define KS_BIT(s) (1u << (s))

/* A device window of a partition: [base, end), read-write or read-only. */
#define SPM_WINDOWS 4u
typedef struct spm_window {
    uint32_t base;
    uint32_t end;
    bool rw;
} spm_window_t;

typedef struct spm_desc {
    const char *name;
    spm_handler_t handler;
    spm_msg_t *msg;
    void *state;              /* handed to the handler (may be NULL) */
    uint32_t *stack;
    uint32_t stack_words;
    uint8_t *mem;             /* [mem, mem_end): region 1, the whole block */
    uint8_t *mem_end;
    spm_window_t win[SPM_WINDOWS];   /* its device windows: regions 2.., end 0 = none */
    const ms_crypto_pool_t *pool;
    uint32_t services;        /* KS_BIT(MS_AN505_KS_*) it may ask for */
    bool counted;             /* its faults count in the fault log and policy */
    uint32_t budget_ms;       /* its time for one message (0: SPM_CALL_BUDGET_MS) */
    spm_req_t *req;           /* its requests (SVC #4), NULL = it makes none */
    uint8_t *req_data;        /* their data, req_cap bytes each way */
    uint32_t req_cap;
    spm_serve_t serve;        /* the kernel's side of them */
} spm_desc_t;

static const spm_desc_t descs[SPM_N_PARTS] = {
    [SPM_PART_HEALTH] = {
        .name = "rng-health", .handler = spm_health_main, .msg = &part_mem[0].msg,
        .state = part_mem[0].state, .stack = part_mem[0].stack, .stack_words = STACK_WORDS,
        .mem = (uint8_t *)&part_mem[0], .mem_end = (uint8_t *)&part_mem[1], .pool = &no_pool,
        .counted = true,
    },
    [SPM_PART_PROBE] = {
        .name = "isolation-probe", .handler = spm_probe_main, .msg = &part_mem[1].msg,
        .state = part_mem[1].state, .stack = part_mem[1].stack, .stack_words = STACK_WORDS,
        .mem = (uint8_t *)&part_mem[1], .mem_end = (uint8_t *)&part_mem[2], .pool = &no_pool,
        .counted = false,   /* the self-test's deliberate faults */
    },
    [SPM_PART_STORAGE] = {
        .name = "storage", .handler = spm_storage_main, .msg = &storage_mem.msg,
        .stack = storage_mem.stack, .stack_words = STORAGE_STACK_WORDS,
        .mem = __ms_part_storage_start, .mem_end = __ms_part_storage_end,
        .win = { { AN505_FLASH_BASE + AN505_TEE_ITS_OFF,
                   AN505_FLASH_BASE + AN505_TEE_PS_OFF + AN505_TEE_PS_SIZE, true } },
        .pool = &storage_pool,
        .services = KS_BIT(MS_AN505_KS_STORAGE_KEY) | KS_BIT(MS_AN505_KS_NVC_READ) |
                    KS_BIT(MS_AN505_KS_NVC_INCREMENT) | KS_BIT(MS_AN505_KS_ENTROPY),
        .counted = true,
    },
    [SPM_PART_KEYSTORE] = {
        .name = "keystore", .handler = spm_keystore_main, .msg = &keystore_mem.msg,
        .stack = keystore_mem.stack, .stack_words = KEYSTORE_STACK_WORDS,
        .mem = (uint8_t *)&keystore_mem, .mem_end = (uint8_t *)(&keystore_mem + 1),
        .pool = &keystore_pool,
        .services = KS_BIT(MS_AN505_KS_ENTROPY),
        .counted = true,
        .req = &keystore_mem.req, .req_data = keystore_mem.req_data,
        .req_cap = sizeof keystore_mem.req_data, .serve = tee_keystore_serve,
    },
    [SPM_PART_ATTEST] = {
        .name = "attest", .handler = spm_attest_main, .msg = &attest_mem.msg,
        .stack = attest_mem.stack, .stack_words = ATTEST_STACK_WORDS,
        .mem = __ms_part_attest_start, .mem_end = __ms_part_attest_end,
        .pool = &no_pool,
        .counted = true,
        .req = &attest_mem.req, .req_data = attest_mem.req_data,
        .req_cap = sizeof attest_mem.req_data, .serve = tee_attest_serve,
    },
    [SPM_PART_UPDATE] = {
        .name = "update", .handler = spm_update_main, .msg = &update_mem.msg,
        .stack = update_mem.stack, .stack_words = UPDATE_STACK_WORDS,
        .mem = __ms_part_update_start, .mem_end = __ms_part_update_end,
        /* it stages into the secondaries; the primaries it only reads (the
         * running images, their trailers): CONFIRM's flag is the kernel's
         * to write (update_client.c) */
        .win = { { AN505_FLASH_BASE + AN505_SLOT_S_PRIMARY,
                   AN505_FLASH_BASE + AN505_SLOT_S_PRIMARY + AN505_SLOT_SIZE, false },
                 { AN505_FLASH_BASE + AN505_SLOT_S_SECONDARY,
                   AN505_FLASH_BASE + AN505_SLOT_S_SECONDARY + AN505_SLOT_SIZE, true },
                 { AN505_FLASH_BASE + AN505_SLOT_NS_PRIMARY,
                   AN505_FLASH_BASE + AN505_SLOT_NS_PRIMARY + AN505_SLOT_SIZE, false },
                 { AN505_FLASH_BASE + AN505_SLOT_NS_SECONDARY,
                   AN505_FLASH_BASE + AN505_SLOT_NS_SECONDARY + AN505_SLOT_SIZE, true } },
        .pool = &update_pool,
        .services = KS_BIT(MS_AN505_KS_SECCNT_READ),
        .counted = true, .budget_ms = SPM_UPDATE_BUDGET_MS,
        .req = &update_mem.req, .req_data = update_mem.req_data,
        .req_cap = sizeof update_mem.req_data, .serve = tee_update_serve,
    },
    [SPM_PART_LINK] = {
        .name = "link", .handler = spm_link_main, .msg = &link_mem.msg,
        .stack = link_mem.stack, .stack_words = LINK_STACK_WORDS,
        .mem = __ms_part_link_start, .mem_end = __ms_part_link_end,
        .pool = &link_pool,
        .services = KS_BIT(MS_AN505_KS_ENTROPY) | KS_BIT(MS_AN505_KS_CLOCK),
        .counted = true, .budget_ms = SPM_LINK_BUDGET_MS,
        .req = &link_mem.req, .req_data = link_mem.req_data,
        .req_cap = sizeof link_mem.req_data, .serve = tee_link_serve,
    },
};

_Static_assert(AN505_TEE_PS_OFF == AN505_TEE_ITS_OFF + AN505_TEE_ITS_SIZE,
               "storage's device window is ITS then PS, nothing between");
_Static_assert(AN505_TEE_NVC_OFF >= AN505_TEE_PS_OFF + AN505_TEE_PS_SIZE,
               "the counters are outside storage's window");
_Static_assert(AN505_SLOT_S_SECONDARY == AN505_SLOT_S_PRIMARY + AN505_SLOT_SIZE &&
                   AN505_SLOT_NS_PRIMARY == AN505_SLOT_S_SECONDARY + AN505_SLOT_SIZE &&
                   AN505_SLOT_NS_SECONDARY == AN505_SLOT_NS_PRIMARY + AN505_SLOT_SIZE &&
                   AN505_SLOT_NS_SECONDARY + AN505_SLOT_SIZE <= AN505_TEE_STORAGE_OFF,
               "the update partition's window is the four slots, nothing else");

/* volatile: the fault and SVC handlers change it behind the caller's back
 * (the compiler sees no call from spm_call() to them). */
static volatile spm_stats_t stats[SPM_N_PARTS];
static volatile int32_t current = -1;
/* Per partition, for the message it serves: Secure ticks that preempted it
 * directly (time in Non-secure handlers does not count), the requests it
 * made, whether it is mid-message (running or waiting on a request), and
 * where its context waits (its r4-r11, then its exception frame). */
static volatile uint32_t part_ticks[SPM_N_PARTS];
static uint32_t part_requests[SPM_N_PARTS];
/* Secure ticks, of any context, since the outermost message began. */
static volatile uint32_t held_ticks;
static bool busy[SPM_N_PARTS];
static uint32_t *waiting_sp[SPM_N_PARTS];
/* Set by spm_yield: the partition that stopped on a request (pid + 1). */
static volatile uint32_t yielded;
/* Set by spm_callv with entering: enter at the saved context; read by the
 * SVC handler after spm_prepare (restore r4-r11 from it, or zero them). */
static volatile uint32_t resuming;
__attribute__((used)) volatile uint32_t spm_entry_resume;
/* Set by spm_call2 right before its SVC #1, taken by spm_prepare: an SVC #1
 * nobody asked for (one left pending by a partition's failed exception
 * entry, then taken in the kernel's context) enters nothing. */
static volatile uint32_t entering;
static uint32_t *caller_frame;
__attribute__((used)) uint32_t spm_saved_msp;

/* ---- the kernel ------------------------------------------------------------------------ */

static void mpu_region(uint32_t n, uint32_t base, uint32_t limit, uint32_t rbar_flags)
{
    MS_REG32(MPU_RNR) = n;
    MS_REG32(MPU_RBAR) = (base & ~(MPU_GRANULE - 1u)) | rbar_flags;
    MS_REG32(MPU_RLAR) = (limit & ~(MPU_GRANULE - 1u)) | MPU_RLAR_EN;   /* AttrIndx 0 */
}

static void mpu_off(uint32_t n)
{
    MS_REG32(MPU_RNR) = n;
    MS_REG32(MPU_RLAR) = 0;
}

static uint32_t stack_used(const spm_desc_t *d)
{
    uint32_t i = 0;
    while (i < d->stack_words && d->stack[i] == STACK_PAINT) {
        i++;
    }
    return (d->stack_words - i) * 4u;
}

/* Wipe a partition's block and paint its stack: it starts again. */
static void restart(uint32_t pid)
{
    const spm_desc_t *d = &descs[pid];
    memset(d->mem, 0, (size_t)(d->mem_end - d->mem));
    for (uint32_t i = 0; i < d->stack_words; i++) {
        d->stack[i] = STACK_PAINT;
    }
}

/* Keep the high-water mark of a stack about to be wiped. */
static void keep_high_water(uint32_t pid)
{
    uint32_t used = stack_used(&descs[pid]);
    if (used > stats[pid].stack_used) {
        stats[pid].stack_used = used;
    }
}

ms_err_t spm_init(void)
{
    /* regions 0, 1 and the windows: a core with fewer would not confine */
    if (((MS_REG32(MPU_TYPE) >> 8) & 0xFFu) < 2u + SPM_WINDOWS) {
        return MS_ERR_UNSUPPORTED;
    }
    MS_REG32(MPU_CTRL) = 0;
    MS_REG32(MPU_MAIR0) = 0xFFu;   /* attribute 0: normal memory, write-back */
    mpu_region(0, AN505_S_EXEC_BASE, AN505_S_EXEC_BASE + AN505_S_EXEC_SIZE - 1u, MPU_RBAR_AP_RO_ANY);
    for (uint32_t n = 1; n < 2u + SPM_WINDOWS; n++) {
        mpu_off(n);
    }
    MS_REG32(MPU_CTRL) = MPU_CTRL_ENABLE | MPU_CTRL_PRIVDEFENA;
    __asm volatile("dsb\n\tisb" ::: "memory");
    for (uint32_t i = 0; i < SPM_N_PARTS; i++) {
        restart(i);
    }
    return MS_OK;
}

/* [p, p + len) inside partition pid's block. */
static bool in_block(uint32_t pid, uint32_t p, uint32_t len)
{
    uint32_t lo = (uint32_t)(uintptr_t)descs[pid].mem;
    uint32_t hi = (uint32_t)(uintptr_t)descs[pid].mem_end;
    /* an address (len 0) at hi is the next block's */
    return p >= lo && p <= hi && len <= hi - p && (len != 0 || p < hi);
}

/* The partition whose code runs now (found from its stack pointer, which
 * only its block holds), NULL in the kernel. Runs in partitions too: it
 * reads only the const table. */
static const spm_desc_t *running_desc(void)
{
    if (!ms_an505_unprivileged()) {
        return NULL;
    }
    uint32_t sp;
    __asm volatile("mov %0, sp" : "=r"(sp));
    for (uint32_t i = 0; i < SPM_N_PARTS; i++) {
        if (in_block(i, sp, 0)) {
            return &descs[i];
        }
    }
    return NULL;
}

/* The crypto pool of the code running now: a partition's own, else the
 * kernel's. */
const ms_crypto_pool_t *ms_crypto_pool_current(void)
{
    if (!ms_an505_unprivileged()) {
        return &ms_crypto_heap_pool;
    }
    const spm_desc_t *d = running_desc();
    return d != NULL ? d->pool : &no_pool;
}

/* A storage key for the label in buf (NUL-terminated within it), written
 * over it. The label is copied out first: the HUK's derivation reads only
 * the kernel's copy. */
static ms_err_t storage_key(uint8_t buf[MS_AN505_KS_KEY_LEN])
{
    char label[MS_AN505_KS_KEY_LEN];
    uint8_t key[MS_AN505_KS_KEY_LEN];
    memcpy(label, buf, sizeof label);
    if (memchr(label, 0, sizeof label) == NULL) {
        return MS_ERR_ARG;
    }
    ms_err_t err = ms_tee_hal_storage_key(label, key);
    if (!err) {
        memcpy(buf, key, sizeof key);
    }
    ms_secure_zero(key, sizeof key);
    return err;
}

/* SVC #3 from a partition (its process stack): one kernel service. Its
 * frame lies in its own block (the exception entry pushed it there with the
 * partition's MPU view). r0: the service, then its arguments; answers in
 * r0 (ms_err_t) and r1:r2. */
__attribute__((used)) void spm_kernel_service(uint32_t *frame)
{
    int32_t pid = current;
    uint32_t service = frame[0];
    ms_err_t err = MS_ERR_TEE_DENIED;
    if (pid < 0 || service >= 32u || (descs[pid].services & KS_BIT(service)) == 0) {
        frame[0] = (uint32_t)err;
        return;
    }
    uint32_t a = frame[1], b = frame[2];
    uint64_t value = 0;
    switch (service) {
    case MS_AN505_KS_STORAGE_KEY:
        err = b == MS_AN505_KS_KEY_LEN && in_block((uint32_t)pid, a, b)
                  ? storage_key((uint8_t *)(uintptr_t)a) : MS_ERR_TEE_BAD_POINTER;
        break;
    case MS_AN505_KS_NVC_READ:
    case MS_AN505_KS_NVC_INCREMENT:
        /* storage's two anti-rollback counters, none of the platform's */
        if (a != MS_TEE_NVC_ITS && a != MS_TEE_NVC_PS) {
            break;
        }
        err = service == MS_AN505_KS_NVC_READ ? ms_tee_hal_nvc_read(a, &value)
                                              : ms_tee_hal_nvc_increment(a);
        break;
    case MS_AN505_KS_ENTROPY:
        /* the partition's DRBG is seeded from the kernel's */
        err = b <= MS_AN505_KS_ENTROPY_MAX && in_block((uint32_t)pid, a, b)
                  ? ms_random((uint8_t *)(uintptr_t)a, b) : MS_ERR_TEE_BAD_POINTER;
        break;
    case MS_AN505_KS_CLOCK:
        value = ms_hal_clock_ms();
        err = MS_OK;
        break;
    case MS_AN505_KS_SECCNT_READ: {
        uint32_t v = 0;
        err = a <= 0xFFu ? ms_otp_seccnt_ops.get((void *)&ms_an505_otp_area, (uint8_t)a, &v)
                         : MS_ERR_ARG;
        value = v;
        break;
    }
    default:
        break;
    }
    frame[0] = (uint32_t)err;
    frame[1] = (uint32_t)value;
    frame[2] = (uint32_t)(value >> 32);
}

ms_err_t ms_an505_kernel_service(uint32_t service, uint32_t a, uint32_t b, uint64_t *value)
{
    register uint32_t r0 __asm("r0") = service;
    register uint32_t r1 __asm("r1") = a;
    register uint32_t r2 __asm("r2") = b;
    __asm volatile("svc #3" : "+r"(r0), "+r"(r1), "+r"(r2) : : "memory");
    if (value != NULL) {
        *value = (uint64_t)r1 | (uint64_t)r2 << 32;
    }
    return (ms_err_t)r0;
}

/* SVC #1 from the kernel (Main stack): enter the partition of the request,
 * at its handler with a fresh frame, or (resuming) where its request
 * stopped it: the stack pointer returned then points at its saved r4-r11,
 * which the SVC handler restores (spm_entry_resume). */
__attribute__((used)) uint32_t *spm_prepare(uint32_t *frame)
{
    uint32_t pid = frame[1];
    uint32_t asked = entering;
    uint32_t resume = resuming;
    entering = 0;
    resuming = 0;
    spm_entry_resume = 0;
    if (asked != pid + 1u || pid >= SPM_N_PARTS || current >= 0 ||
        (resume && waiting_sp[pid] == NULL)) {
        return NULL;   /* back to the kernel code, nothing entered */
    }
    const spm_desc_t *d = &descs[pid];
    caller_frame = frame;
    current = (int32_t)pid;
    mpu_region(1, (uint32_t)(uintptr_t)d->mem, (uint32_t)(uintptr_t)d->mem_end - 1u,
               MPU_RBAR_AP_RW_ANY | MPU_RBAR_XN);
    for (uint32_t i = 0; i < SPM_WINDOWS; i++) {
        const spm_window_t *w = &d->win[i];
        if (w->end != 0) {
            mpu_region(2u + i, w->base, w->end - 1u,
                       (w->rw ? MPU_RBAR_AP_RW_ANY : MPU_RBAR_AP_RO_ANY) | MPU_RBAR_XN);
        } else {
            mpu_off(2u + i);
        }
    }
    __asm volatile("dsb\n\tisb" ::: "memory");
    uint32_t *sp;
    if (resume) {
        sp = waiting_sp[pid];
        waiting_sp[pid] = NULL;
        spm_entry_resume = 1;
    } else {
        stats[pid].calls++;
        sp = d->stack + d->stack_words - 8u;
        sp[0] = (uint32_t)(uintptr_t)d->msg;
        sp[1] = (uint32_t)(uintptr_t)d->state;
        sp[2] = sp[3] = sp[4] = 0;
        sp[5] = (uint32_t)(uintptr_t)spm_exit_stub | 1u;
        sp[6] = (uint32_t)(uintptr_t)d->handler & ~1u;
        sp[7] = 1u << 24;
    }
    __asm volatile("msr psplim, %0" : : "r"((uint32_t)(uintptr_t)d->stack));
    uint32_t control;
    __asm volatile("mrs %0, control" : "=r"(control));
    __asm volatile("msr control, %0" : : "r"(control | 1u) : "memory");   /* nPRIV */
    return sp;
}

static void leave(void)
{
    uint32_t control;
    __asm volatile("mrs %0, control" : "=r"(control));
    __asm volatile("msr control, %0" : : "r"(control & ~1u) : "memory");
    for (uint32_t n = 1; n < 2u + SPM_WINDOWS; n++) {
        mpu_off(n);
    }
    __asm volatile("msr psplim, %0" : : "r"(0u));
    current = -1;
}

/* SVC #2 from the partition (its process stack): its handler returned. */
__attribute__((used)) uint32_t spm_finish(uint32_t *part_frame)
{
    if (current < 0) {
        return 0;   /* no partition's thread: nothing to hand back to */
    }
    caller_frame[0] = part_frame[0];
    leave();
    return 1;
}

/* SVC #4 from the partition (its process stack, psp: its exception frame,
 * pushed there with its own MPU view, so in its block): a request. Where
 * its r4-r11 go (under the frame), or 0 when it may not ask now (no
 * request block, too many requests for one message, no room on its stack
 * for them): then the SVC is a fault of the partition. */
__attribute__((used)) uint32_t spm_yield(uint32_t psp)
{
    int32_t pid = current;
    if (pid < 0) {
        return 0;
    }
    const spm_desc_t *d = &descs[pid];
    uint32_t lo = (uint32_t)(uintptr_t)d->stack;
    uint32_t hi = lo + d->stack_words * 4u;
    if (d->req == NULL || part_requests[pid] >= SPM_MAX_REQUESTS || (psp & 7u) != 0 ||
        psp < lo + 32u || psp > hi - 32u) {
        return 0;
    }
    part_requests[pid]++;
    waiting_sp[pid] = (uint32_t *)(uintptr_t)(psp - 32u);
    yielded = (uint32_t)pid + 1u;
    leave();
    return psp - 32u;
}

/* Stop the running partition pid: its call fails, its block is wiped. An
 * exception its failed entry left pending (an SVC or a fault whose frame
 * could not be pushed: the MPU, PSPLIM) is the partition's too: cleared,
 * so it is not taken later in the kernel's context. */
static void stop(int32_t pid)
{
    MS_REG32(SCB_SHCSR) &= ~(SHCSR_SVCALLPENDED | SHCSR_MEMFAULTPENDED | SHCSR_BUSFAULTPENDED |
                             SHCSR_USGFAULTPENDED | SHCSR_SECUREFAULTPENDED);
    stats[pid].faults++;
    stats[pid].restarts++;
    caller_frame[0] = (uint32_t)PSA_ERROR_SERVICE_FAILURE;
    leave();
    keep_high_water((uint32_t)pid);
    restart((uint32_t)pid);
}

__attribute__((used)) int spm_fault(uint32_t exception, uint32_t cfsr, uint32_t addr)
{
    int32_t pid = current;
    if (pid < 0) {
        return SPM_FAULT_NONE;
    }
    ms_an505_puts("tee: partition ");
    ms_an505_puts(descs[pid].name);
    ms_an505_puts(" fault: exception ");
    ms_an505_put_dec(exception);
    ms_an505_puts(" cfsr=");
    ms_an505_put_hex(cfsr);
    ms_an505_puts(" addr=");
    ms_an505_put_hex(addr);
    ms_an505_puts(": restarted\r\n");
    stop(pid);
    return descs[pid].counted ? SPM_FAULT_COUNTED : SPM_FAULT_STOPPED;
}

/* An SVC from a partition other than its exit and kernel services: a fault
 * of that partition, counted like any other. */
__attribute__((used)) uint32_t spm_bad_svc(void)
{
    int stopped = spm_fault(11u, 0, 0);
    if (stopped == SPM_FAULT_COUNTED) {
        tee_fault_partition_counted(11u, 0, 0, 0);
    }
    return stopped != SPM_FAULT_NONE;
}

/* A partition mid-message: running, or waiting on its request. */
static bool any_busy(void)
{
    for (uint32_t i = 0; i < SPM_N_PARTS; i++) {
        if (busy[i]) {
            return true;
        }
    }
    return false;
}

bool spm_busy(void)
{
    return any_busy();
}

void spm_watchdog(uint32_t exc_return)
{
    if (any_busy()) {
        /* Non-secure thread code never runs while a partition serves a
         * message (the calling task waits in the door, callbacks are made
         * by the kernel between messages): if it does, the partition left
         * the Secure state (BXNS needs no privilege) or a Non-secure handler
         * returned into its thread with a forged exception return. Either
         * way the call is stranded, with the door taken: the policy resets.
         * So does a message that holds the TEE too long in all, wherever
         * the time went (a Non-secure handler the escaped code parked in). */
        if ((exc_return & (EXC_RETURN_S | EXC_RETURN_MODE)) == EXC_RETURN_MODE) {
            tee_fault_partition_escaped("tee: non-secure code ran while a partition served a call");
        }
        if (++held_ticks > SPM_HOLD_MAX_MS) {
            tee_fault_partition_escaped("tee: a partition's message held the TEE too long");
        }
    }
    int32_t pid = current;
    if (pid < 0 || (exc_return & (EXC_RETURN_S | EXC_RETURN_MODE | EXC_RETURN_SPSEL)) !=
                       (EXC_RETURN_S | EXC_RETURN_MODE | EXC_RETURN_SPSEL)) {
        return;   /* none running, or this tick did not preempt it directly */
    }
    uint32_t budget = descs[pid].budget_ms != 0 ? descs[pid].budget_ms : SPM_CALL_BUDGET_MS;
    if (++part_ticks[pid] <= budget) {
        return;
    }
    ms_an505_puts("tee: partition ");
    ms_an505_puts(descs[pid].name);
    ms_an505_puts(" over its time: restarted\r\n");
    stop(pid);
    if (descs[pid].counted) {
        tee_fault_partition_counted(15u, 0, 0, 0);   /* the Secure tick stopped it */
    }
    spm_resume_kernel();
}

/* The pieces in[] one after the other into dst (cap bytes), or nothing
 * written when they do not all fit. Runs in partitions too. */
static bool gather(uint8_t *dst, size_t cap, const spm_iov_t *in, size_t n_in, size_t *total)
{
    size_t n = 0;
    for (size_t i = 0; i < n_in; i++) {
        if (in[i].len > cap - n) {
            return false;
        }
        n += in[i].len;
    }
    n = 0;
    for (size_t i = 0; i < n_in; i++) {
        if (in[i].len != 0) {
            memcpy(dst + n, in[i].base, in[i].len);
        }
        n += in[i].len;
    }
    *total = n;
    return true;
}

/* An answer of `len` bytes at src over out[], each piece bounded by its
 * size: the bytes copied. Runs in partitions too. */
static size_t scatter(const uint8_t *src, size_t len, const spm_ovec_t *out, size_t n_out)
{
    size_t done = 0;
    for (size_t i = 0; i < n_out && done < len; i++) {
        size_t k = out[i].len < len - done ? out[i].len : len - done;
        if (k != 0) {
            memcpy(out[i].base, src + done, k);
        }
        done += k;
    }
    return done;
}

/* SVC #1 into partition pid, fresh or at its waiting context: the status it
 * ends with (or stops on a request with: see yielded). */
static psa_status_t enter(uint32_t pid, bool resume)
{
    resuming = resume ? 1u : 0u;
    entering = pid + 1u;
    /* r0 comes back as the status; it goes in as BAD_STATE, so an entry
     * spm_prepare refuses answers that, whatever the partition */
    register uint32_t r0 __asm("r0") = (uint32_t)PSA_ERROR_BAD_STATE;
    register uint32_t r1 __asm("r1") = pid;
    __asm volatile("svc #1" : "+r"(r0) : "r"(r1) : "memory");
    return (psa_status_t)r0;
}

/* The request partition pid stopped on: copied out of its block, served,
 * the answer copied back; the status goes into its waiting frame's r0. */
static void serve_request(uint32_t pid)
{
    const spm_desc_t *d = &descs[pid];
    spm_req_t *r = d->req;
    uint8_t in[SPM_REQ_DATA_MAX];
    uint8_t out[SPM_REQ_DATA_MAX];
    size_t n = 0;
    int32_t type = r->type;
    uint32_t len = r->len;
    size_t cap = d->req_cap <= sizeof out ? d->req_cap : sizeof out;
    psa_status_t st = PSA_ERROR_PROGRAMMER_ERROR;
    if (len <= cap) {
        memcpy(in, d->req_data, len);
        st = d->serve(type, in, len, out, cap, &n);
    }
    if (n > cap) {
        n = 0;
    }
    memcpy(d->req_data, out, n);
    r->out_len = (uint32_t)n;
    waiting_sp[pid][8] = (uint32_t)st;   /* the frame's r0, above r4-r11 */
    ms_secure_zero(in, sizeof in);
    ms_secure_zero(out, sizeof out);
}

psa_status_t spm_callv(uint32_t pid, int32_t type, const spm_iov_t *in, size_t n_in,
                       const spm_ovec_t *out, size_t n_out, size_t *out_len)
{
    uint32_t ipsr;
    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    if (out_len != NULL) {
        *out_len = 0;
    }
    size_t total = 0;
    if (pid >= SPM_N_PARTS || (ipsr & 0x1FFu) != 0 || current >= 0 || busy[pid] ||
        !gather(descs[pid].msg->data, SPM_MSG_DATA, in, n_in, &total)) {
        return PSA_ERROR_BAD_STATE;
    }
    spm_msg_t *m = descs[pid].msg;
    m->type = type;
    m->out_len = 0;
    m->len = (uint32_t)total;
    if (!any_busy()) {
        held_ticks = 0;
    }
    part_ticks[pid] = 0;
    part_requests[pid] = 0;
    busy[pid] = true;
    psa_status_t st = enter(pid, false);
    while (yielded == pid + 1u) {
        yielded = 0;
        serve_request(pid);
        st = enter(pid, true);
    }
    busy[pid] = false;
    waiting_sp[pid] = NULL;
    /* the answer's length is the partition's word: bounded here */
    uint32_t said = m->out_len;
    size_t done = scatter(m->data, st == PSA_SUCCESS && said <= SPM_MSG_DATA ? said : 0, out, n_out);
    if (out_len != NULL) {
        *out_len = done;
    }
    /* the mailbox keeps nothing of the call (objects, key records) */
    size_t used = total > said ? total : said;
    ms_secure_zero(m->data, used < SPM_MSG_DATA ? used : SPM_MSG_DATA);
    return st;
}

/* From a partition's code: see spm.h. */
psa_status_t spm_requestv(int32_t type, const spm_iov_t *in, size_t n_in, const spm_ovec_t *out,
                          size_t n_out, size_t *out_len)
{
    const spm_desc_t *d = running_desc();
    if (out_len != NULL) {
        *out_len = 0;
    }
    if (d == NULL || d->req == NULL) {
        return PSA_ERROR_BAD_STATE;
    }
    spm_req_t *r = d->req;
    size_t total = 0;
    if (!gather(d->req_data, d->req_cap, in, n_in, &total)) {
        return PSA_ERROR_BAD_STATE;
    }
    r->type = type;
    r->len = (uint32_t)total;
    r->out_len = 0;
    register uint32_t r0 __asm("r0") = (uint32_t)PSA_ERROR_BAD_STATE;
    __asm volatile("svc #4" : "+r"(r0) : : "memory");
    psa_status_t st = (psa_status_t)r0;
    uint32_t said = r->out_len;
    size_t done = scatter(d->req_data, st == PSA_SUCCESS && said <= d->req_cap ? said : 0, out,
                          n_out);
    if (out_len != NULL) {
        *out_len = done;
    }
    ms_secure_zero(d->req_data, d->req_cap);   /* random bytes, key records */
    return st;
}

/* ---- for the built-in partitions and the self-test (spm_internal.h) ------------------- */

void spm_block(uint32_t pid, uintptr_t *lo, uintptr_t *hi)
{
    *lo = (uintptr_t)descs[pid].mem;
    *hi = (uintptr_t)descs[pid].mem_end;
}

void *spm_state(uint32_t pid)
{
    return descs[pid].state;
}

const spm_msg_t *spm_mailbox(uint32_t pid)
{
    return descs[pid].msg;
}

uint32_t spm_device(uint32_t pid)
{
    return descs[pid].win[0].base;
}

void spm_stats(uint32_t pid, spm_stats_t *out)
{
    out->calls = stats[pid].calls;
    out->faults = stats[pid].faults;
    out->restarts = stats[pid].restarts;
    out->stack_used = stats[pid].stack_used;
    size_t pool_high = 0;
    ms_crypto_pool_stats(descs[pid].pool, NULL, &pool_high);
    out->pool_used = (uint32_t)pool_high;
    uint32_t used = stack_used(&descs[pid]);
    if (used > out->stack_used) {
        out->stack_used = used;
    }
}

uint32_t spm_restarts(uint32_t pid)
{
    return pid < SPM_N_PARTS ? stats[pid].restarts : 0u;
}

const char *spm_name(uint32_t pid)
{
    return pid < SPM_N_PARTS ? descs[pid].name : "?";
}
