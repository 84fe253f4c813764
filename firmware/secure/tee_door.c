/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tee_door.c - the secure API's door (firmware/include/tee_ns.h): the
 * non-secure callable entry functions and the dispatcher's range check.
 *
 * Invariants:
 *   - nothing is read through a Non-secure pointer before
 *     cmse_check_address_range() accepted it with the caller's privilege;
 *     the request and vector arrays are copied once, the dispatcher copies
 *     the data (tee_dispatch.h);
 *   - one call at a time: a second entry while a call or its callback runs
 *     is refused (PSA_ERROR_CONNECTION_BUSY), the TEE's services are not
 *     re-entrant; the claim is taken and given back with Non-secure
 *     interrupts masked (BASEPRI_S, AIRCR.PRIS), but the service itself runs
 *     with them enabled, so a long call (a VERIFY, a token) does not stop
 *     the Non-secure tick and pulse interrupts; the Non-secure kernel
 *     switches no task while a call is preempted (rtos.c);
 *   - every entry but ms_tee_ns_ping leaves through door_return: the
 *     Secure stack unwound, the registers the body used cleared, it
 *     returns to the Non-secure kernel's return trampoline when one is
 *     registered (r0 the result, r1 the caller's return address), so a task
 *     switch put off while the task was inside the TEE happens as it comes
 *     out, whatever the calling code does next;
 *   - the caller's privilege is recorded by the entry that claimed the
 *     door, and only by it;
 *   - unprivileged Non-secure code may read the update service's status but
 *     not stage, install, cancel or confirm an update, reboot, register a
 *     callback or use the modem line;
 *   - a callback is called only if it was Non-secure code when registered,
 *     through a cmse_nsfptr_create() pointer (BLXNS clears the Secure
 *     registers), with Non-secure interrupts masked (it must be short).
 */
#include <arm_cmse.h>
#include <stddef.h>
#include <string.h>

#include "an505.h"
#include "an505_map.h"
#include "boot_record.h"
#include "meterseal/hal.h"
#include "meterseal/tee_update.h"
#include "regs/armv8m.h"
#include "spm.h"
#include "tee.h"

typedef void __attribute__((cmse_nonsecure_call)) (*ns_done_t)(uint32_t sid, int32_t status);

volatile bool g_tee_in_call;
volatile bool g_tee_in_callback;
static bool caller_unpriv;
static uint32_t cb_done, cb_fault;

/* NS exceptions sit in priorities 0x80..0xFF from the Secure view. */
#define MASK_NS_PRIO 0x80u

static uint32_t mask_ns(void)
{
    uint32_t old;
    __asm volatile("mrs %0, basepri" : "=r"(old));
    __asm volatile("msr basepri_max, %0" : : "r"(MASK_NS_PRIO) : "memory");
    return old;
}

static void unmask(uint32_t old)
{
    __asm volatile("msr basepri, %0" : : "r"(old) : "memory");
}

/* The caller ran unprivileged: Non-secure thread mode with CONTROL_NS.nPRIV. */
static bool ns_caller_unprivileged(void)
{
    uint32_t ipsr, control_ns;
    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    __asm volatile("mrs %0, control_ns" : "=r"(control_ns));
    return (ipsr & 0x1FFu) == 0 && (control_ns & 1u) != 0;
}

/* [p, p + len) inside [base, base + size). */
static bool within(uintptr_t p, size_t len, uintptr_t base, size_t size)
{
    return p >= base && len <= size && p - base <= size - len;
}

/* Only an entry that holds the door (door_enter) may use it: it reads the
 * privilege that entry recorded. Besides what the SAU and the Non-secure
 * MPU say, a buffer must be Non-secure RAM or the Non-secure image: never a
 * peripheral, which the TEE would otherwise touch on the caller's behalf
 * (one the PPCs keep Secure answers with a bus error in Secure code). */
static bool ns_range(const void *p, size_t len, bool write)
{
    if (len == 0) {
        return true;
    }
    uintptr_t a = (uintptr_t)p;
    if (!within(a, len, AN505_NS_RAM_BASE, AN505_NS_RAM_SIZE) &&
        !within(a, len, AN505_NS_EXEC_BASE, AN505_NS_EXEC_SIZE)) {
        return false;
    }
    int flags = CMSE_NONSECURE | (write ? CMSE_MPU_READWRITE : CMSE_MPU_READ) |
                (caller_unpriv ? CMSE_MPU_UNPRIV : 0);
    return cmse_check_address_range((void *)(uintptr_t)p, len, flags) != NULL;
}

static bool range_check(const ms_tee_caller_t *caller, uintptr_t addr, size_t len, bool write)
{
    (void)caller;
    bool ok = ns_range((const void *)addr, len, write);
    if (!ok) {
        tee_fault_violation(write ? "out vector not NS read-write" : "in vector not NS readable",
                            (uint32_t)addr);
    }
    return ok;
}

bool tee_ns_code(uint32_t addr)
{
    addr &= ~1u;
    if (addr < AN505_NS_EXEC_BASE + AN505_IMAGE_HDR_SIZE ||
        addr >= AN505_NS_EXEC_BASE + AN505_NS_EXEC_SIZE) {
        return false;
    }
    cmse_address_info_t tt = cmse_TT((void *)(uintptr_t)addr);
    return !tt.flags.secure;
}

uint32_t tee_door_fault_trap(void)
{
    return cb_fault;
}

void tee_door_init(void)
{
    ms_tee_dispatch_set_check(range_check);
}

/* The interface as MS_TEE_NS_ABI 4 lays it out: a change that trips these
 * is a change of the interface (tee_ns.h). Every field's offset, not only
 * the sizes, so a reordering trips them too; the limits and codes the two
 * sides must agree on. (The entries' addresses are door_veneers.S's.) */
#define ABI_AT(type, field, at) _Static_assert(offsetof(type, field) == (at), "MS_TEE_NS_ABI")
_Static_assert(MS_TEE_NS_ABI == 4u, "check the layout below for the new version");
_Static_assert(sizeof(ms_tee_ns_req_t) == 24u, "MS_TEE_NS_ABI");
ABI_AT(ms_tee_ns_req_t, sid, 0);
ABI_AT(ms_tee_ns_req_t, type, 4);
ABI_AT(ms_tee_ns_req_t, in_vec, 8);
ABI_AT(ms_tee_ns_req_t, in_len, 12);
ABI_AT(ms_tee_ns_req_t, out_vec, 16);
ABI_AT(ms_tee_ns_req_t, out_len, 20);
_Static_assert(sizeof(ms_tee_invec_t) == 8u && sizeof(ms_tee_outvec_t) == 8u, "MS_TEE_NS_ABI");
ABI_AT(ms_tee_invec_t, len, 4);
ABI_AT(ms_tee_outvec_t, len, 4);
_Static_assert(sizeof(ms_tee_ns_fault_status_t) == 32u, "MS_TEE_NS_ABI");
ABI_AT(ms_tee_ns_fault_status_t, faults, 0);
ABI_AT(ms_tee_ns_fault_status_t, violations, 4);
ABI_AT(ms_tee_ns_fault_status_t, policy_resets, 8);
ABI_AT(ms_tee_ns_fault_status_t, last_exception, 12);
ABI_AT(ms_tee_ns_fault_status_t, last_sfsr, 16);
ABI_AT(ms_tee_ns_fault_status_t, last_cfsr, 20);
ABI_AT(ms_tee_ns_fault_status_t, last_addr, 24);
ABI_AT(ms_tee_ns_fault_status_t, last_pc, 28);
_Static_assert(MS_TEE_NS_PARTS == 7u && sizeof(ms_tee_ns_selftest_t) == 144u, "MS_TEE_NS_ABI");
ABI_AT(ms_tee_ns_selftest_t, calls, 4);
ABI_AT(ms_tee_ns_selftest_t, faults, 32);
ABI_AT(ms_tee_ns_selftest_t, restarts, 60);
ABI_AT(ms_tee_ns_selftest_t, stack_used, 88);
ABI_AT(ms_tee_ns_selftest_t, pool_used, 116);
_Static_assert(sizeof(ms_tee_ns_image_t) == 12u, "MS_TEE_NS_ABI");
ABI_AT(ms_tee_ns_image_t, major, 0);
ABI_AT(ms_tee_ns_image_t, minor, 1);
ABI_AT(ms_tee_ns_image_t, revision, 2);
ABI_AT(ms_tee_ns_image_t, build, 4);
ABI_AT(ms_tee_ns_image_t, confirmed, 8);
_Static_assert(MS_TEE_NS_CB_DONE == 1u && MS_TEE_NS_CB_FAULT == 2u && MS_TEE_NS_CB_RETURN == 3u,
               "MS_TEE_NS_ABI");
_Static_assert(MS_TEE_NS_FAULT_SECURE == 1u && MS_TEE_NS_FAULT_BUS == 2u &&
                   MS_TEE_NS_FAULT_OTHER == 3u, "MS_TEE_NS_ABI");
_Static_assert(MS_TEE_NS_MODEM_MAX == 512u && MS_TEE_MAX_IOVEC == 4u, "MS_TEE_NS_ABI");

/* The Non-secure image named this TEE's MS_TEE_NS_ABI (ms_tee_ns_hello). */
static bool door_open;

/* Claim the door (one call at a time) and record the caller's privilege for
 * the range checks, with Non-secure interrupts masked for these few
 * instructions only. PSA_ERROR_CONNECTION_BUSY (nothing changed) when a
 * call or its callback is already running - e.g. a Non-secure interrupt
 * handler calling while a task's call is preempted; PSA_ERROR_NOT_SUPPORTED
 * when `need_open` and the Non-secure image has not named this TEE's
 * interface version. */
static int32_t door_claim(bool need_open)
{
    uint32_t old = mask_ns();
    /* A callback runs on top of its veneer's frame: a call from it would
     * nest veneer frames on the Secure stack without bound. */
    int32_t st = PSA_ERROR_CONNECTION_BUSY;
    if (!g_tee_in_call && !g_tee_in_callback) {
        st = PSA_ERROR_NOT_SUPPORTED;
        if (door_open || !need_open) {
            g_tee_in_call = true;
            caller_unpriv = ns_caller_unprivileged();
            st = PSA_SUCCESS;
        }
    }
    unmask(old);
    return st;
}

/* Enter the TEE from a veneer of the interface (see door_claim). */
static int32_t door_enter(void)
{
    return door_claim(true);
}

/* The end of a call, masked: the door is given back, the call's log entries
 * go to storage (only here and outside calls: storage is not re-entrant).
 * Returns the mask to restore - the caller may first run the callback. */
static uint32_t door_close(void)
{
    uint32_t old = mask_ns();
    g_tee_in_call = false;
    tee_fault_flush();
    return old;
}

static void door_leave(void)
{
    unmask(door_close());
}

/* ---- the entries ------------------------------------------------------------------ */

/* The Non-secure kernel's return trampoline (0: none), Non-secure code. */
static __attribute__((used)) uint32_t g_door_return;

/*
 * An entry of the door: the linker builds the SG veneer of every `name`
 * that has an `__acle_se_name` at the same address (--cmse-implib), as it
 * does for cmse_nonsecure_entry functions. The body is a plain Secure
 * function; door_return clears what it leaves in the caller-saved
 * registers and the flags (as the compiler does for an entry function)
 * and leaves through the trampoline, or straight back without one or for
 * a call made inside a callback.
 */
#define DOOR_ENTRY(name, body)                                         \
    __asm__("    .section .text." #name ",\"ax\",%progbits\n"          \
            "    .global " #name "\n"                                  \
            "    .global __acle_se_" #name "\n"                        \
            "    .type " #name ", %function\n"                         \
            "    .type __acle_se_" #name ", %function\n"               \
            "    .thumb\n"                                             \
            "    .thumb_func\n"                                        \
            #name ":\n"                                                \
            "    .thumb_func\n"                                        \
            "__acle_se_" #name ":\n"                                   \
            "    push {r4, lr}\n"                                      \
            "    bl " #body "\n"                                       \
            "    b door_return\n"                                      \
            "    .size " #name ", . - " #name "\n"                     \
            "    .size __acle_se_" #name ", . - __acle_se_" #name "\n" \
            "    .text\n");

__asm__("    .section .text.door_return,\"ax\",%progbits\n"
        "    .thumb\n"
        "    .thumb_func\n"
        "    .type door_return, %function\n"
        "door_return:\n"
        "    pop {r4, lr}\n"                      /* lr: the caller's return, bit 0 clear */
        "    movw r1, #:lower16:g_door_return\n"
        "    movt r1, #:upper16:g_door_return\n"
        "    ldr r2, [r1]\n"
        /* A call from inside a callback (refused) goes straight back: its
         * caller runs with Non-secure interrupts masked. */
        "    movw r1, #:lower16:g_tee_in_callback\n"
        "    movt r1, #:upper16:g_tee_in_callback\n"
        "    ldrb r3, [r1]\n"
        "    cbz r3, 2f\n"
        "    movs r2, #0\n"
        "2:  mov r1, lr\n"
        "    mov r3, lr\n"
        "    mov ip, lr\n"
        "    msr APSR_nzcvqg, lr\n"
        "    cbz r2, 1f\n"
        "    bic r2, r2, #1\n"
        "    bxns r2\n"                           /* r0 the result, r1 the caller's return */
        "1:  mov r2, lr\n"
        "    bxns lr\n"
        "    .size door_return, . - door_return\n"
        "    .text\n");

DOOR_ENTRY(ms_tee_ns_hello, door_hello)
static __attribute__((used)) int32_t door_hello(uint32_t abi)
{
    int32_t in = door_claim(false);
    if (in != PSA_SUCCESS) {
        return in;
    }
    int32_t st = PSA_SUCCESS;
    if (caller_unpriv) {
        /* Shutting the door would stop every task: privileged code's say. */
        tee_fault_violation("interface version named by unprivileged code", abi);
        st = PSA_ERROR_NOT_PERMITTED;
    } else {
        door_open = abi == MS_TEE_NS_ABI;
        if (!door_open) {
            ms_an505_puts("tee: the Non-secure image speaks interface version ");
            ms_an505_put_dec(abi);
            ms_an505_puts(", this TEE ");
            ms_an505_put_dec(MS_TEE_NS_ABI);
            ms_an505_puts(": the door stays shut\r\n");
            st = PSA_ERROR_NOT_SUPPORTED;
        }
    }
    door_leave();
    return st;
}

DOOR_ENTRY(ms_tee_ns_call, door_call)
static __attribute__((used)) int32_t door_call(const ms_tee_ns_req_t *req)
{
    int32_t in = door_enter();
    if (in != PSA_SUCCESS) {
        return in;
    }
    psa_status_t st = PSA_ERROR_PROGRAMMER_ERROR;
    ms_tee_ns_req_t r = {0};
    if (!ns_range(req, sizeof *req, false)) {
        tee_fault_violation("request not NS readable", (uint32_t)(uintptr_t)req);
        goto out;
    }
    memcpy(&r, (const void *)req, sizeof r);
    if (r.in_len > MS_TEE_MAX_IOVEC || r.out_len > MS_TEE_MAX_IOVEC) {
        goto out;
    }
    if (!ns_range(r.in_vec, r.in_len * sizeof(ms_tee_invec_t), false) ||
        !ns_range(r.out_vec, r.out_len * sizeof(ms_tee_outvec_t), true)) {
        tee_fault_violation("vector array not NS memory",
                            (uint32_t)(uintptr_t)(r.in_len ? (const void *)r.in_vec
                                                           : (const void *)r.out_vec));
        goto out;
    }
    if (caller_unpriv && r.sid == MS_TEE_SID_UPDATE && r.type != MS_TEE_UPDATE_STATUS) {
        /* What the meter runs is decided by privileged code only. */
        tee_fault_violation("update request from unprivileged code", (uint32_t)r.type);
        st = PSA_ERROR_NOT_PERMITTED;
        goto out;
    }
    static const ms_tee_caller_t nspe = { MS_TEE_PART_NSPE, 0, 0 };
    st = ms_tee_call(&nspe, r.sid, r.type, r.in_vec, r.in_len, r.out_vec, r.out_len);
out:;
    uint32_t old = door_close();
    /* The callback runs with Non-secure interrupts masked: it is Non-secure
     * thread code, so the Non-secure kernel could switch tasks in it while
     * this veneer's frame is live on the Secure stack (another task's call
     * would be stacked below it and be cut off when this one returns). */
    uint32_t done = cb_done;
    if (done != 0) {
        ns_done_t fn = (ns_done_t)cmse_nsfptr_create(done);
        g_tee_in_callback = true;
        fn(r.sid, st);
        g_tee_in_callback = false;
    }
    unmask(old);
    return st;
}

DOOR_ENTRY(ms_tee_ns_register, door_register)
static __attribute__((used)) int32_t door_register(uint32_t which, uint32_t fn)
{
    int32_t in = door_enter();
    if (in != PSA_SUCCESS) {
        return in;
    }
    int32_t st = PSA_SUCCESS;
    if (caller_unpriv) {
        /* The callbacks run in whatever task calls next, privileged ones
         * included: only privileged Non-secure code may choose them. */
        tee_fault_violation("callback registered by unprivileged code", fn);
        st = PSA_ERROR_NOT_PERMITTED;
    } else if (fn != 0 && !tee_ns_code(fn)) {
        tee_fault_violation("callback is not Non-secure code", fn);
        st = PSA_ERROR_INVALID_ARGUMENT;
    } else if (which == MS_TEE_NS_CB_DONE) {
        cb_done = fn;
    } else if (which == MS_TEE_NS_CB_FAULT) {
        cb_fault = fn;
    } else if (which == MS_TEE_NS_CB_RETURN) {
        g_door_return = fn;
    } else {
        st = PSA_ERROR_NOT_SUPPORTED;
    }
    door_leave();
    return st;
}

DOOR_ENTRY(ms_tee_ns_fault_status, door_fault_status)
static __attribute__((used)) int32_t door_fault_status(ms_tee_ns_fault_status_t *out)
{
    int32_t in = door_enter();
    if (in != PSA_SUCCESS) {
        return in;
    }
    int32_t st = PSA_SUCCESS;
    if (!ns_range(out, sizeof *out, true)) {
        tee_fault_violation("status buffer not NS read-write", (uint32_t)(uintptr_t)out);
        st = PSA_ERROR_PROGRAMMER_ERROR;
    } else {
        ms_tee_ns_fault_status_t s;
        tee_fault_status(&s);
        memcpy(out, &s, sizeof s);
    }
    door_leave();
    return st;
}

DOOR_ENTRY(ms_tee_ns_selftest, door_selftest)
static __attribute__((used)) int32_t door_selftest(ms_tee_ns_selftest_t *out)
{
    int32_t in = door_enter();
    if (in != PSA_SUCCESS) {
        return in;
    }
    int32_t st = PSA_SUCCESS;
    if (!ns_range(out, sizeof *out, true)) {
        tee_fault_violation("self-test buffer not NS read-write", (uint32_t)(uintptr_t)out);
        st = PSA_ERROR_PROGRAMMER_ERROR;
    } else {
        ms_tee_ns_selftest_t r;
        memset(&r, 0, sizeof r);
        r.result = spm_selftest() == MS_OK ? 0 : PSA_ERROR_GENERIC_ERROR;
        for (uint32_t i = 0; i < MS_TEE_NS_PARTS && i < SPM_N_PARTS; i++) {
            spm_stats_t ps;
            spm_stats(i, &ps);
            r.calls[i] = ps.calls;
            r.faults[i] = ps.faults;
            r.restarts[i] = ps.restarts;
            r.stack_used[i] = ps.stack_used;
            r.pool_used[i] = ps.pool_used;
        }
        memcpy(out, &r, sizeof r);
    }
    door_leave();
    return st;
}

/* ---- the modem line ------------------------------------------------------------ */

static uint8_t modem_buf[MS_TEE_NS_MODEM_MAX];

DOOR_ENTRY(ms_tee_ns_modem_write, door_modem_write)
static __attribute__((used)) int32_t door_modem_write(const void *buf, uint32_t len)
{
    int32_t in = door_enter();
    if (in != PSA_SUCCESS) {
        return in;
    }
    int32_t st = (int32_t)len;
    if (caller_unpriv) {
        /* the comms task's line: a sandboxed task may not write into it */
        tee_fault_violation("modem write from unprivileged code", 0);
        st = PSA_ERROR_NOT_PERMITTED;
    } else if (len > MS_TEE_NS_MODEM_MAX) {
        st = PSA_ERROR_INVALID_ARGUMENT;
    } else if (!ns_range(buf, len, false)) {
        tee_fault_violation("modem buffer not NS readable", (uint32_t)(uintptr_t)buf);
        st = PSA_ERROR_PROGRAMMER_ERROR;
    } else {
        memcpy(modem_buf, buf, len);
        if (ms_hal_uart_write(modem_buf, len) != MS_OK) {
            st = PSA_ERROR_COMMUNICATION_FAILURE;
        }
    }
    door_leave();
    return st;
}

DOOR_ENTRY(ms_tee_ns_modem_read, door_modem_read)
static __attribute__((used)) int32_t door_modem_read(void *buf, uint32_t cap)
{
    int32_t in = door_enter();
    if (in != PSA_SUCCESS) {
        return in;
    }
    int32_t st;
    if (cap > MS_TEE_NS_MODEM_MAX) {
        cap = MS_TEE_NS_MODEM_MAX;
    }
    if (caller_unpriv) {
        tee_fault_violation("modem read from unprivileged code", 0);
        st = PSA_ERROR_NOT_PERMITTED;
    } else if (!ns_range(buf, cap, true)) {
        tee_fault_violation("modem buffer not NS read-write", (uint32_t)(uintptr_t)buf);
        st = PSA_ERROR_PROGRAMMER_ERROR;
    } else {
        /* What is there now, then whatever follows within a tick: the
         * UART holds one byte, the line delivers bursts. */
        size_t have = 0, got = 0;
        (void)ms_hal_uart_read(modem_buf, cap, &have, 0);
        while (have != 0 && have < cap &&
               ms_hal_uart_read(modem_buf + have, cap - have, &got, 1) == MS_OK && got != 0) {
            have += got;
        }
        memcpy(buf, modem_buf, have);
        st = (int32_t)have;
    }
    door_leave();
    return st;
}

/* ---- boot state ------------------------------------------------------------------- */

DOOR_ENTRY(ms_tee_ns_running_image, door_running_image)
static __attribute__((used)) int32_t door_running_image(uint32_t image,
                                                        ms_tee_ns_image_t *out)
{
    int32_t in = door_enter();
    if (in != PSA_SUCCESS) {
        return in;
    }
    int32_t st = PSA_SUCCESS;
    /* Read once by tee_main.c (magic and count checked); only the boot
     * loader ever writes it. */
    const ms_an505_boot_record_t *rec = (const ms_an505_boot_record_t *)AN505_BOOT_RECORD_BASE;
    if (image >= rec->n_images || image >= 2u) {
        st = PSA_ERROR_INVALID_ARGUMENT;
    } else if (!ns_range(out, sizeof *out, true)) {
        tee_fault_violation("image buffer not NS read-write", (uint32_t)(uintptr_t)out);
        st = PSA_ERROR_PROGRAMMER_ERROR;
    } else {
        const ms_an505_boot_image_t *img = &rec->img[image];
        ms_tee_ns_image_t r = { img->version_major, img->version_minor, img->version_revision,
                                img->version_build, img->confirmed ? 1u : 0u };
        memcpy(out, &r, sizeof r);
    }
    door_leave();
    return st;
}

DOOR_ENTRY(ms_tee_ns_reboot, door_reboot)
static __attribute__((used)) int32_t door_reboot(void)
{
    int32_t in = door_enter();
    if (in != PSA_SUCCESS) {
        return in;
    }
    if (caller_unpriv) {
        tee_fault_violation("reboot asked by unprivileged code", 0);
        door_leave();
        return PSA_ERROR_NOT_PERMITTED;
    }
    ms_an505_puts("tee: reboot asked by the Non-secure world\r\n");
    (void)door_close();   /* the log reaches storage; interrupts stay masked */
    __asm volatile("dsb");
    MS_REG32(SCB_AIRCR) = AIRCR_VECTKEY | AIRCR_SYSRESETREQ;
    __asm volatile("dsb");
    for (;;) {
    }
}

DOOR_ENTRY(ms_tee_ns_part_ping, door_part_ping)
static __attribute__((used)) int32_t door_part_ping(void)
{
    int32_t in = door_enter();
    if (in != PSA_SUCCESS) {
        return in;
    }
    int32_t st = spm_ping();
    door_leave();
    return st;
}

__attribute__((cmse_nonsecure_entry)) uint32_t ms_tee_ns_ping(uint32_t x)
{
    return x + 1u;
}
