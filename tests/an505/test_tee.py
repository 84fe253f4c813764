#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The TEE and the Non-secure world on the emulated Cortex-M33 (QEMU
mps2-an505): the boot loader, the TEE (firmware/secure/tee_*.c) and the
Non-secure RTOS with the metering application (firmware/nonsecure/app.c).

    test_tee.py HOST_BUILD FIRMWARE_BUILD CASE

Every case starts from a blank meter (a random HUK in OTP, signed TEE and
application images). The application's scenario is its semihosting command
line; it ends the run with 10 (done), 11 (failed) or 12 (it saw a reset the
fault policy ordered).
"""
import os
import re
import subprocess
import sys

from meter import SLOT_OFF, Cases, expect

DONE, FAILED, POLICY = 10, 11, 12
SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
STORAGE_OFF, STORAGE_LEN = 0x100000, 0x20000

case = Cases()


def energy(run, what):
    m = re.search(r"^%s energy=(\d+)" % re.escape(what), run.ns_console, re.M)
    return int(m.group(1)) if m else None


def scenario(m, name, rc=DONE):
    r = m.run(args=["meter", name], timeout=60)
    expect(r.rc == rc, "scenario %s: exit %d, expected %d" % (name, r.rc, rc), r)
    expect("tee: starting the non-secure world" in r.console, "the TEE did not start", r)
    return r


@case
def normal_run_stores_readings_that_persist(m):
    r1 = scenario(m, "normal")
    expect("normal: attestation token status=0" in r1.ns_console, "no attestation token", r1)
    tok = re.search(r"^normal: attestation token bytes=(\d+)", r1.ns_console, re.M)
    size = re.search(r"^normal: psa token size bytes=(\d+)", r1.ns_console, re.M)
    expect(tok and size and tok.group(1) == size.group(1) and int(tok.group(1)) > 0,
           "psa_initial_attest_get_token_size did not announce the token's size", r1)
    expect("normal: psa token with a 33-byte challenge status=-135" in r1.ns_console,
           "a challenge size the PSA API does not allow was not an invalid argument", r1)
    expect("normal: psa token with no challenge buffer status=-135" in r1.ns_console,
           "a missing challenge buffer was not an invalid argument", r1)
    expect("normal: rng status=0" in r1.ns_console, "no random bytes", r1)
    expect("normal: ps set_extended with a length past the address space status=-135" in r1.ns_console
           and "tee: violation" not in r1.console,
           "an impossible length is not PSA_ERROR_INVALID_ARGUMENT", r1)
    e1 = energy(r1, "normal: end")
    expect(e1 is not None and e1 >= 20, "the metering tasks did not count", r1)
    expect(re.search(r"^display: energy=\d+", r1.ns_console, re.M), "the display task printed nothing", r1)
    # The TEE called the registered "request finished" callback (BLXNS).
    done = re.search(r"^control: done-callbacks=(\d+)", r1.ns_console, re.M)
    expect(done and int(done.group(1)) > 0, "the request-finished callback never ran", r1)
    # A new QEMU run: the register goes on from what storage holds.
    r2 = scenario(m, "normal")
    start = energy(r2, "control: start")
    expect(start is not None and start >= e1, "the reading did not survive a new run", r2)
    expect(energy(r2, "normal: end") >= start + 20, "the second run did not count on", r2)


@case
def tasks_calling_the_tee_back_to_back_share_the_meter(m):
    # Two tasks of one priority (one unprivileged) call the TEE back to back
    # without the client's semaphore for 300 ms while the pulses come. No
    # task switch may happen inside the TEE (no call finds the door taken,
    # none fails), the switches put off meanwhile happen as each call
    # comes out (the control task wakes on time, metering keeps up), and
    # round-robin goes on between the two.
    r = scenario(m, "contention")
    got = re.search(r"^contention: pulses=(\d+) energy=(\d+) hammer0 ok=(\d+) busy=(\d+) "
                    r"failed=(\d+) hammer1 ok=(\d+) busy=(\d+) failed=(\d+)", r.ns_console, re.M)
    expect(got, "no contention figures", r)
    pulses, energy, ok0, busy0, failed0, ok1, busy1, failed1 = (int(g) for g in got.groups())
    expect(busy0 == busy1 == failed0 == failed1 == 0,
           "a call found the door taken or failed: a task was switched inside the TEE", r)
    expect(pulses <= 310, "the control task woke %d ms late: a put-off switch was lost"
           % (pulses - 300), r)
    expect(energy * 10 + 20 >= pulses, "metering fell behind: %d Wh for %d pulses"
           % (energy, pulses), r)
    expect(ok0 >= 50 and ok1 >= 50, "no round-robin: %d and %d calls" % (ok0, ok1), r)
    expect("tee: violation" not in r.console and "fault" not in r.ns_console,
           "a violation or a fault", r)

@case
def storage_area_holds_no_plaintext(m):
    scenario(m, "normal")
    area = m.read(STORAGE_OFF, STORAGE_LEN)
    expect(b"PLAINTEXT-CANARY" not in area and b"reading=12345" not in area,
           "a stored reading is in the flash file in plaintext")
    # ... while the object itself reads back through the TEE (the scenario
    # checked it) and the area is in use.
    expect(area.count(b"\xff") < len(area), "nothing was written to the storage area")


@case
def nonsecure_reads_secure_ram(m):
    r = scenario(m, "read-secure-ram")
    expect(re.search(r"^tee: non-secure fault: exception 7 .*addr=0x38010000", r.console, re.M),
           "the SecureFault was not logged with its address", r)
    expect("attack: stopped" in r.ns_console and "LEAK" not in r.ns_console,
           "the task was not ended / the secret leaked", r)
    expect("faults: faults=1 " in r.ns_console, "the fault was not counted", r)
    expect("check: meter add after the attack status=0" in r.ns_console,
           "the meter stopped serving", r)
    # The count is in secure storage: the next power-on still knows it.
    r2 = m.run(args=["meter", "normal"], timeout=60)
    expect("tee: fault log faults=1 " in r2.console, "the fault count did not persist", r2)


@case
def nonsecure_writes_secure_peripheral(m):
    r = scenario(m, "write-secure-peripheral")
    # Twice: the TEE re-arms the PPC's interrupt after each violation.
    expect(len(re.findall(r"^tee: non-secure fault: exception 26 .*ppc=0x00000020", r.console, re.M)) == 2,
           "the PPC violations were not both logged", r)
    expect("faults: faults=2 " in r.ns_console, "the violations were not counted", r)
    expect("PPC reporting off" not in r.console, "the PPC interrupt was not re-armed", r)
    expect("attack: stopped" in r.ns_console, "the task was not ended", r)
    expect("check: meter add after the attack status=0" in r.ns_console,
           "the meter stopped serving", r)


def refused_call(m, name, what):
    r = scenario(m, name)
    expect(re.search(r"^tee: violation: %s" % re.escape(what), r.console, re.M),
           "the violation was not logged", r)
    expect("attack: stopped" in r.ns_console, "the call was not refused", r)
    expect("violations=1 " in r.ns_console, "the violation was not counted", r)
    expect("check: meter add after the attack status=0" in r.ns_console,
           "the meter stopped serving", r)


@case
def veneer_with_a_secure_pointer(m):
    refused_call(m, "veneer-secure-pointer", "out vector not NS read-write addr=0x38010000")


@case
def veneer_with_a_peripheral_pointer(m):
    # An out vector at a peripheral's Non-secure alias (TIMER1, which the PPC
    # keeps Secure): the door takes Non-secure RAM and the Non-secure image
    # only, so the TEE never touches a peripheral for the caller.
    refused_call(m, "veneer-peripheral", "out vector not NS read-write addr=0x40001000")


@case
def veneer_with_a_straddling_buffer(m):
    refused_call(m, "veneer-straddle", "in vector not NS readable addr=0x283ffff8")


@case
def callback_into_secure_code(m):
    refused_call(m, "callback-secure", "callback is not Non-secure code addr=0x10020401")


@case
def unprivileged_caller_cannot_stage_or_confirm_updates(m):
    # Firmware updates decide what the meter runs: an unprivileged task may
    # ask how one stands, not stage, install, cancel or confirm one; nor may
    # it use the modem line.
    r = scenario(m, "unprivileged-update")
    expect("unprivileged: update status status=0" in r.ns_console,
           "an unprivileged task could not read the update status", r)
    expect("unprivileged: update confirm status=-133" in r.ns_console and
           "tee: violation: update request from unprivileged code" in r.console,
           "an unprivileged task confirmed an image", r)
    # The modem line is the comms task's: no sandboxed task writes into it.
    expect("unprivileged: modem write status=-133" in r.ns_console,
           "an unprivileged task wrote to the modem line", r)


@case
def tasks_sharing_the_console_write_whole_lines(m):
    # Two tasks of one priority each print half a line, spin until the tick
    # ends their time slice (the other runs), then print the rest: on the
    # shared UART each line must still come out whole.
    r = scenario(m, "console-lines")
    lines = [l.strip("\r") for l in r.ns_console.splitlines() if "console-lines:" in l]
    whole = [l for l in lines if re.fullmatch(r"console-lines: writer=[ab] line=\d+ second half", l)]
    expect(len(lines) == 40 and whole == lines,
           "lines split between tasks: %r" % [l for l in lines if l not in whole][:4], r)
    for w in "ab":
        got = [int(l.split("line=")[1].split()[0]) for l in whole if "writer=%s " % w in l]
        expect(got == list(range(20)), "writer %s's lines out of order: %r" % (w, got), r)


@case
def nonsecure_image_of_another_interface_is_refused_every_call(m):
    # The two images are updated one at a time: a Non-secure image built
    # against another layout of the door's structs must get no answer from
    # the TEE (which would read and write them as its own), only a refusal.
    r = scenario(m, "interface-version")
    # An unprivileged task may not shut the door for every task.
    expect("interface-version: named by an unprivileged task status=-133" in r.ns_console and
           "tee: violation: interface version named by unprivileged code" in r.console,
           "an unprivileged task named the interface version", r)
    expect("interface-version: a call after it status=0" in r.ns_console,
           "the refused version shut the door", r)
    expect("interface-version: another version status=-134" in r.ns_console,
           "the TEE accepted another interface version", r)
    abi = int(re.search(r"#define MS_TEE_NS_ABI (\d+)u",
                        open(os.path.join(SRC, "firmware", "include", "tee_ns.h")).read()).group(1))
    expect("tee: the Non-secure image speaks interface version %d, this TEE %d: "
           "the door stays shut" % (abi + 1, abi) in r.console, "the mismatch was not logged", r)
    for call in ("fault status", "rng"):
        expect("interface-version: %s while shut status=-134" % call in r.ns_console,
               "a call went through a shut door: %s" % call, r)
    expect("interface-version: ping while shut status=0" in r.ns_console,
           "the shortest way in stopped working", r)
    expect("interface-version: this image's version status=0" in r.ns_console and
           "interface-version: rng after status=0" in r.ns_console,
           "naming the right version did not open the door again", r)
    # The privileged mismatch is not an attack: only the unprivileged task's
    # attempt counts as a violation.
    expect("faults: faults=0 violations=1 policy-resets=0" in r.ns_console,
           "the refused calls were counted as violations", r)


@case
def unprivileged_caller_cannot_pass_privileged_memory(m):
    # The NS MPU makes one buffer privileged-only; an unprivileged NS task
    # may have the TEE write into its own memory, not into that buffer; a
    # privileged task may (cmse_check_address_range with the caller's privilege).
    r = scenario(m, "unprivileged")
    expect("unprivileged: rng into its own memory status=0" in r.ns_console,
           "the unprivileged task could not use its own memory", r)
    expect("unprivileged: rng into privileged-only memory status=-129" in r.ns_console,
           "the TEE wrote privileged-only memory for an unprivileged caller", r)
    expect("privileged: rng into privileged-only memory status=0" in r.ns_console,
           "the privileged caller was refused its own memory", r)
    expect(r.console.count("tee: violation: out vector not NS read-write") == 1,
           "the refusal was not logged once", r)
    # The callbacks run in whichever task calls next, privileged ones too:
    # an unprivileged task may not choose them.
    expect("unprivileged: register a callback status=-133" in r.ns_console,
           "an unprivileged task registered a callback", r)
    expect("tee: violation: callback registered by unprivileged code" in r.console,
           "the refused registration was not logged", r)


@case
def callback_cannot_call_the_tee_again(m):
    # A callback runs on top of its veneer's frame on the Secure stack: a
    # call from inside it would nest frames without bound (into .bss).
    r = scenario(m, "callback-reenters")
    expect("attack: call from inside a callback status=-131" in r.ns_console,
           "a call from inside a callback was let in", r)
    expect("attack: stopped" in r.ns_console, "the scenario did not complete", r)
    expect("check: meter add after the attack status=0" in r.ns_console,
           "the meter stopped serving", r)


@case
def fault_with_a_secure_stack_pointer_is_not_trusted(m):
    # The Non-secure stack pointer aimed at Secure RAM, then a fault: the
    # TEE must not read a "frame" (and log a Secure word as the pc) or
    # write its redirection there; it resets the meter instead.
    r = scenario(m, "fault-with-secure-stack", rc=POLICY)
    expect("tee: non-secure fault with its stack outside Non-secure memory sp=0x3801" in
           r.console, "the fault handler took Secure RAM for the frame", r)
    expect("tee: non-secure fault: exception" not in r.console,
           "the fault was logged from a frame in Secure RAM", r)


@case
def handler_fault_during_a_call_is_logged_after_the_reset(m):
    # The pulse interrupt reads Secure RAM while the control task's call is
    # preempted: the policy resets the meter at once, without writing the
    # log (the call may have been half-way through a storage write); the
    # log it kept in Secure RAM reaches storage at the next start.
    r = scenario(m, "handler-fault-in-call", rc=POLICY)
    expect("tee: non-secure fault: exception" in r.console and
           r.console.count("tee: fault policy: reset") == 1,
           "the handler's fault did not reset, or the log lost it and the attack ran again", r)
    got = re.search(r"^faults: faults=(\d+) violations=\d+ policy-resets=(\d+)",
                    r.ns_console, re.M)
    expect(got and int(got.group(1)) == 1 and int(got.group(2)) == 1,
           "the fault and the reset are not in the log after the reset", r)

@case
def nonsecure_return_into_the_tee_resets_the_meter(m):
    # The TEE starts the Non-secure world with a Non-secure call, so a BX to
    # FNC_RETURN returns into it: a violation that resets the meter (and is
    # counted), never the end of the meter's run.
    r = scenario(m, "return-to-tee", rc=POLICY)
    expect("tee: violation: the non-secure world returned into the TEE" in r.console,
           "the return was not seen as a violation", r)
    got = re.search(r"^faults: faults=\d+ violations=(\d+) policy-resets=(\d+)", r.ns_console, re.M)
    expect(got and int(got.group(1)) == 1 and int(got.group(2)) == 1,
           "the violation and the reset are not in the log", r)

@case
def partition_reading_another_is_restarted_others_serve(m):
    r = scenario(m, "partitions")
    faults = re.findall(r"^tee: partition isolation-probe fault: exception 4 cfsr=(\S+) addr=(\S+): restarted",
                        r.console, re.M)
    # at boot and on request: the other partition's state, storage's
    # memory, the key store's, attestation's, the update partition's, the
    # link's, the kernel's, storage's flash, the image slots
    expect(len(faults) == 18, "the probe's reads did not fault on the MPU", r)
    expect(all(int(c, 16) & 0x82 == 0x82 for c, _ in faults),
           "not a data access violation with its address (MemManage DACCVIOL, MMARVALID)", r)
    storage_flash = 0x80000000 + STORAGE_OFF
    expect(sum(int(a, 16) == storage_flash for _, a in faults) == 2,
           "the probe's read of storage's flash was not the one stopped", r)
    expect(sum(int(a, 16) == 0x80000000 for _, a in faults) == 2,
           "the probe's read of the image slots was not the one stopped", r)
    # and its stack overrun, stopped by the stack limit (UsageFault STKOF)
    stkof = re.findall(r"^tee: partition isolation-probe fault: exception 6 cfsr=(\S+)", r.console, re.M)
    expect(len(stkof) == 2 and all(int(c, 16) & (1 << 20) for c in stkof),
           "the stack overrun was not stopped by PSPLIM", r)
    expect("tee: isolation self-test passed" in r.console, "the boot self-test failed", r)
    expect("partitions: isolation status=0" in r.ns_console, "isolation did not hold", r)
    probe = re.search(r"^partitions: part=1 calls=(\d+) faults=(\d+) restarts=(\d+)", r.ns_console, re.M)
    health = re.search(r"^partitions: part=0 calls=(\d+) faults=(\d+) restarts=(\d+)", r.ns_console, re.M)
    storage = re.search(r"^partitions: part=2 calls=(\d+) faults=(\d+) restarts=(\d+) stack=(\d+)",
                        r.ns_console, re.M)
    keystore = re.search(r"^partitions: part=3 calls=(\d+) faults=(\d+) restarts=(\d+) stack=(\d+)",
                         r.ns_console, re.M)
    attest = re.search(r"^partitions: part=4 calls=(\d+) faults=(\d+) restarts=(\d+) stack=(\d+)",
                       r.ns_console, re.M)
    update = re.search(r"^partitions: part=5 calls=(\d+) faults=(\d+) restarts=(\d+)",
                       r.ns_console, re.M)
    expect(update and int(update.group(2)) == 0 and int(update.group(1)) >= 1,
           "the update partition was hit or never started", r)
    link = re.search(r"^partitions: part=6 calls=\d+ faults=(\d+) restarts=(\d+)", r.ns_console, re.M)
    expect(link and int(link.group(1)) == 0 and int(link.group(2)) == 0,
           "the link partition was hit", r)
    expect(probe and int(probe.group(2)) == 20 and int(probe.group(3)) == 20,
           "the probe was not stopped and restarted each time", r)
    expect(health and int(health.group(2)) == 0 and int(health.group(1)) > 2,
           "the health partition was hit or did not serve", r)
    expect(storage and int(storage.group(2)) == 0 and int(storage.group(1)) > 10
           and int(storage.group(4)) > 0,
           "the storage partition was hit, did not serve, or its stack is not measured", r)
    expect(keystore and int(keystore.group(2)) == 0 and int(keystore.group(1)) >= 1
           and int(keystore.group(4)) > 0,
           "the key store partition was hit, did not serve, or its stack is not measured", r)
    expect(attest and int(attest.group(2)) == 0 and int(attest.group(1)) >= 1
           and int(attest.group(4)) > 0,
           "the attestation partition was hit, did not serve, or its stack is not measured", r)
    expect("partitions: rng after the fault status=0" in r.ns_console,
           "the RNG (through the health partition) stopped serving", r)


def insn_addr(m, image, pattern):
    """The address of the first instruction of image ("secure" or
    "nonsecure") whose objdump line matches pattern (after the address)."""
    elf = os.path.join(m.fw, {"secure": "firmware/secure/secure_tee.elf",
                              "nonsecure": "firmware/nonsecure/nonsecure_app.elf"}[image])
    dis = subprocess.run(["arm-none-eabi-objdump", "-d", elf], capture_output=True, text=True,
                         check=True).stdout
    return int(re.search(r"^\s*([0-9a-f]+):\s+" + pattern, dis, re.M).group(1), 16)


def expect_mpu_stop(r, part, target, what):
    """Partition part's read at target (within 12 bytes) was stopped by the
    MPU: MemManage, DACCVIOL with its address, and the partition restarted."""
    fault = re.search(r"^tee: partition %s fault: exception 4 cfsr=(\S+) addr=(\S+): restarted" % part,
                      r.console, re.M)
    expect(fault and int(fault.group(1), 16) & 0x82 == 0x82
           and target <= int(fault.group(2), 16) < target + 12,
           "%s was not stopped by the MPU" % what, r)


def partition_stopped(m, mailbox, handler, cond, scenario_name, action, more=()):
    """Run a scenario with gdb doing `action` (gdb commands) in a partition's
    handler when one chosen message (cond, on its mailbox) arrives. gdb
    reads memory with the CPU's own view, so the message is told in the
    kernel (privileged: spm_prepare), and the handler (unprivileged) only
    gets its registers changed. spm_msg_t: type(4) len(4) out_len(4) data.
    more: gdb commands defining further breakpoints (3, ...), before the
    run starts (a breakpoint's commands cannot define another)."""
    prepare = m.tee_symbol("spm_prepare")
    cond = cond % {"type": mailbox, "data": mailbox + 12}
    cmds = ["break *0x%x if %s" % (prepare, cond), "commands 1", "silent", "enable 2", "continue",
            "end", "break *0x%x" % handler, "disable 2", "commands 2", "silent"] + action + [
            "disable 2", "continue", "end"] + list(more) + ["continue"]
    # -icount: the clock stands still while gdb tests its condition at every
    # partition call; in real time the pulses would outrun it
    r, out = m.run_gdb(cmds, args=["meter", scenario_name], timeout=240, icount=True)
    expect(r.rc == DONE, "the scenario did not end well (exit %d): %s" % (r.rc, out[-400:]), r)
    return r


def expect_one_restart(r, prefix, part, who):
    """The scenario's call that faulted failed with PSA_ERROR_SERVICE_FAILURE
    and the kernel and the fault log counted one fault and one restart."""
    expect("%s: the call that faulted status=-144" % prefix in r.ns_console,
           "the call that faulted did not fail with PSA_ERROR_SERVICE_FAILURE", r)
    expect(re.search(r"^%s: part=%d calls=\d+ faults=1 restarts=1 " % (prefix, part),
                     r.ns_console, re.M),
           "the kernel did not count one fault and one restart of %s" % who, r)
    expect(re.search(r"^%s: fault log faults=1 " % prefix, r.ns_console, re.M),
           "the fault log did not count the partition's fault", r)


def storage_partition_stopped(m, action):
    """The storage-restart scenario, the storage partition stopped by
    `action` when one chosen call (an ITS info on uid 0x5151) arrives: that
    call must fail, the partition be restarted, and the next call find
    storage mounted again with what it held; the meter goes on, one fault
    and one restart counted."""
    # an ITS INFO is type 4, its uid the first 8 bytes
    r = partition_stopped(m, m.tee_symbol("storage_mem"), m.tee_symbol("spm_storage_main"),
                          "*(int *)0x%(type)x == 4 && *(unsigned int *)0x%(data)x == 0x5151",
                          "storage-restart", action)
    expect_one_restart(r, "storage-restart", 2, "storage")
    expect("storage-restart: object intact status=0" in r.ns_console,
           "storage did not come back with its object", r)
    expect("storage-restart: meter read after status=0" in r.ns_console,
           "the meter register did not read after the restart", r)
    return r


def keystore_partition_stopped(m, action, more=()):
    """The keystore-restart scenario, the key store partition stopped by
    `action` when the NSPE's request for key 0x5151's public key arrives:
    that call fails with PSA_ERROR_SERVICE_FAILURE, the partition is
    restarted, and attestation tokens (signed in it) are made before and
    after; one fault and one restart counted."""
    # KS_MSG_EXPORT is type 4; the header is caller(4) id(4)
    r = partition_stopped(m, m.tee_symbol("keystore_mem"), m.tee_symbol("spm_keystore_main"),
                          "*(int *)0x%(type)x == 4 && *(unsigned int *)(0x%(data)x + 4) == 0x5151",
                          "keystore-restart", action, more)
    expect("keystore-restart: token before status=0" in r.ns_console,
           "no token before the fault", r)
    expect_one_restart(r, "keystore-restart", 3, "the key store")
    expect("keystore-restart: token after status=0" in r.ns_console,
           "the key store did not sign again after its restart", r)
    return r


@case
def storage_partition_fault_is_restarted_and_keeps_its_data(m):
    """The storage partition's handler reads the kernel's memory: the MPU
    stops it (MemManage, DACCVIOL at that address)."""
    kernel = m.tee_symbol("spm_saved_msp")
    r = storage_partition_stopped(m, ["set $r0 = 0x%x" % kernel])
    expect_mpu_stop(r, "storage", kernel, "the storage handler's read of the kernel's memory")


@case
def storage_partition_svc_with_a_stack_outside_its_block(m):
    """The storage partition points its stack at the kernel's data and asks
    for a kernel service (SVC #3): the exception's frame cannot be pushed
    there (MemManage, stacking), the partition is stopped, and the SVC left
    pending is its own: cleared, never taken in the kernel's context (where
    it would read as the kernel's own SVC #1 into a partition)."""
    kernel = m.tee_symbol("spm_saved_msp") & ~7
    svc3 = insn_addr(m, "secure", r"df03\s+svc\s+3")
    r = storage_partition_stopped(m, ["set $sp = 0x%x" % (kernel + 64), "set $pc = 0x%x" % svc3])
    fault = re.search(r"^tee: partition storage fault: exception 4 cfsr=(\S+)", r.console, re.M)
    expect(fault and int(fault.group(1), 16) & 0x10,
           "the partition's frame push was not stopped by the MPU (MemManage MSTKERR)", r)
    expect(r.console.count("tee: partition storage fault") == 1,
           "more than the one fault of the partition", r)


@case
def storage_partition_forbidden_svc_is_a_counted_fault(m):
    """The storage partition makes the kernel's own SVC #1 (enter a
    partition): not its to make, so it is stopped, and counted in the fault
    log like any fault of a service's partition."""
    svc1 = insn_addr(m, "secure", r"df01\s+svc\s+1")
    r = storage_partition_stopped(m, ["set $pc = 0x%x" % svc1])
    expect("tee: partition storage fault: exception 11 " in r.console,
           "the partition's SVC #1 was not stopped as its fault", r)


@case
def storage_partition_that_hangs_is_stopped_on_time(m):
    """The storage partition's handler spins (gdb sends it to the exit
    stub's endless loop): the Secure tick stops it once the call is over its
    time budget."""
    spin = m.tee_symbol("spm_exit_stub") + 2   # svc #2, then b .
    r = storage_partition_stopped(m, ["set $pc = 0x%x" % spin])
    expect("tee: partition storage over its time: restarted" in r.console,
           "the hung partition was not stopped by its time budget", r)


@case
def keystore_partition_fault_is_restarted_and_signs_again(m):
    """The key store partition's handler reads the storage partition's
    memory (where the stores' keys are): the MPU stops it (MemManage,
    DACCVIOL at that address); it starts again and signs the next token."""
    storage = m.tee_symbol("storage_mem")
    r = keystore_partition_stopped(m, ["set $r0 = 0x%x" % storage])
    expect_mpu_stop(r, "keystore", storage, "the key store's read of storage's memory")


@case
def keystore_partition_that_asks_without_end_is_stopped(m):
    """The key store makes request after request (SVC #4) within one message
    (gdb sends it back to the SVC each time it is resumed): the kernel
    serves SPM_MAX_REQUESTS (32) and refuses the next as a fault of the
    partition (exception 11, counted), so a partition cannot hold the door
    by asking forever."""
    svc4 = insn_addr(m, "secure", r"df04\s+svc\s+4")
    bad = m.tee_symbol("spm_bad_svc")
    # breakpoint 3: back to the SVC after each answer; 4: the refusal ends
    # it (and 2 too: breakpoint 1 enabled it again at each storage call the
    # requests made, the trigger message still in the key store's mailbox)
    r = keystore_partition_stopped(
        m, ["enable 3", "enable 4", "set $pc = 0x%x" % svc4],
        more=["break *0x%x" % (svc4 + 2), "disable 3", "commands 3", "silent",
              "set $pc = 0x%x" % svc4, "continue", "end",
              "break *0x%x" % bad, "disable 4", "commands 4", "silent", "disable 2", "disable 3",
              "disable 4", "continue", "end"])
    expect("tee: partition keystore fault: exception 11 " in r.console,
           "the request past the limit was not refused as the partition's fault", r)
    expect(r.console.count("tee: partition keystore fault") == 1,
           "more than the one fault of the key store", r)


@case
def keystore_partition_leaving_for_nonsecure_code_resets_the_meter(m):
    """The key store's handler jumps to Non-secure code (BXNS needs no
    privilege) - to an endless loop there - while its message is still
    being served: the call is stranded and the door taken, so the Secure
    tick that finds Non-secure thread code running resets the meter
    (counted as a violation) instead of letting it hang. After the reset
    the scenario runs again, untouched (gdb lets go), and ends well."""
    bxns = insn_addr(m, "secure", r"4774\s+bxns\s+lr")
    spin = insn_addr(m, "nonsecure", r"e7fe\s+b\.n\s+\1 ")
    r = partition_stopped(m, m.tee_symbol("keystore_mem"), m.tee_symbol("spm_keystore_main"),
                          "*(int *)0x%(type)x == 4 && *(unsigned int *)(0x%(data)x + 4) == 0x5151",
                          "keystore-restart",
                          ["disable 1", "set $lr = 0x%x" % spin, "set $pc = 0x%x" % bxns])
    expect("tee: non-secure code ran while a partition served a call" in r.console,
           "the partition's escape to Non-secure code was not caught", r)
    expect(r.console.count("tee: fault policy: reset") == 1, "no single policy reset", r)
    expect("keystore-restart: token after status=0" in r.ns_console,
           "the meter did not serve again after the reset", r)


@case
def attest_partition_fault_is_restarted_with_its_boot_record(m):
    """The attestation partition's handler reads the key store's memory when
    a token-size query (a challenge size the test chose) arrives: the MPU
    stops it (MemManage, DACCVIOL at that address), the call fails with
    PSA_ERROR_SERVICE_FAILURE, and the restarted partition - its memory
    wiped - is given the boot record again: the next token is signed and
    carries the same boot seed as the one before."""
    keystore = m.tee_symbol("keystore_mem")
    r = partition_stopped(m, m.tee_symbol("attest_mem"), m.tee_symbol("spm_attest_main"),
                          "*(int *)0x%(type)x == 3 && *(unsigned int *)(0x%(data)x + 4) == 0x5151",
                          "attest-restart", ["set $r0 = 0x%x" % keystore])
    expect_mpu_stop(r, "attest", keystore, "attestation's read of the key store's memory")
    expect("attest-restart: token before status=0" in r.ns_console, "no token before the fault", r)
    expect_one_restart(r, "attest-restart", 4, "attestation")
    expect("attest-restart: token after status=0" in r.ns_console,
           "attestation did not serve again after its restart", r)
    seeds = re.findall(r"^attest-restart: boot seed (?:before|after) ([0-9a-f]{64})", r.ns_console, re.M)
    expect(len(seeds) == 2 and seeds[0] == seeds[1],
           "the boot seed changed across the restart (the boot record was not given again)", r)


@case
def update_partition_fault_is_restarted_and_stages_again(m):
    """The update partition's handler reads the key store's memory when the
    VERIFY of a staged download arrives: the MPU stops it (MemManage,
    DACCVIOL at that address), the VERIFY fails with
    PSA_ERROR_SERVICE_FAILURE, and the restarted partition - its memory
    wiped, the download in progress with it - is given the boot
    configuration's trust again: the same download staged from the start
    verifies and is installed."""
    enc = m.keygen(m.path("meter-enc.pem"))
    m.tool(m.flashtool, "otp", m.flash, "--enc-key", enc)
    m.download("ns", m.sign("ns", "1.1.0", 2, extra=("--encrypt", enc)))
    keystore = m.tee_symbol("keystore_mem")
    # UPD_MSG_REQUEST (2) whose update request type is VERIFY (4), the first
    # one only (the second staging's VERIFY goes through)
    r = partition_stopped(m, m.tee_symbol("update_mem"), m.tee_symbol("spm_update_main"),
                          "*(int *)0x%(type)x == 2 && *(int *)0x%(data)x == 4",
                          "update-restart", ["set $r0 = 0x%x" % keystore, "disable 1"])
    expect_mpu_stop(r, "update", keystore, "the update partition's read of the key store's memory")
    expect("update: verify status=-144" in r.ns_console,
           "the VERIFY that faulted did not fail with PSA_ERROR_SERVICE_FAILURE", r)
    expect(re.search(r"^update-restart: part=5 calls=\d+ faults=1 restarts=1 ", r.ns_console, re.M),
           "the kernel did not count one fault and one restart of the update partition", r)
    expect(re.search(r"^update-restart: fault log faults=1 ", r.ns_console, re.M),
           "the fault log did not count the partition's fault", r)
    expect("update-restart: staging again status=0" in r.ns_console and
           "update: verified version=1.1.0 sec-cnt=2" in r.ns_console,
           "the restarted partition did not stage and verify the download again", r)


@case
def link_partition_fault_is_restarted_and_others_serve(m):
    """The link partition's handler reads the key store's memory when a
    meter ADD of 0x5151 Wh arrives (the meter's ADD is the link's: the
    balance moves by its tariff): the MPU stops it (MemManage, DACCVIOL at
    that address), the call fails with PSA_ERROR_SERVICE_FAILURE and adds
    nothing, and the restarted partition serves the next ADD; attestation,
    the key store and storage serve on."""
    keystore = m.tee_symbol("keystore_mem")
    # LINK_MSG_CALL (1) with sid MS_TEE_SID_METER (6); the ADD's energy is
    # the call's first input, after the 52-byte header
    r = partition_stopped(m, m.tee_symbol("link_mem"), m.tee_symbol("spm_link_main"),
                          "*(int *)0x%(type)x == 1 && *(int *)0x%(data)x == 6 && "
                          "*(unsigned int *)(0x%(data)x + 52) == 0x5151",
                          "link-restart", ["set $r0 = 0x%x" % keystore])
    expect_mpu_stop(r, "link", keystore, "the link partition's read of the key store's memory")
    expect("link-restart: add before status=0" in r.ns_console, "no ADD before the fault", r)
    expect_one_restart(r, "link-restart", 6, "the link partition")
    expect("link-restart: add after status=0" in r.ns_console,
           "the link partition did not serve again after its restart", r)
    expect("link-restart: the faulted add added nothing status=0" in r.ns_console,
           "the ADD that faulted moved the register", r)
    expect("link-restart: token after status=0" in r.ns_console and
           "link-restart: meter read after status=0" in r.ns_console,
           "the other partitions did not serve on", r)


@case
def update_partition_cannot_write_the_running_images(m):
    """The update partition's code writes into the running Non-secure image's
    slot (gdb has its handler call memset on the primary slot when the
    VERIFY arrives): its window over the primaries is read-only, so the MPU
    stops it (MemManage, DACCVIOL at that address) and the image is intact.
    It stages into the secondaries only; CONFIRM's flag is the kernel's."""
    enc = m.keygen(m.path("meter-enc.pem"))
    m.tool(m.flashtool, "otp", m.flash, "--enc-key", enc)
    m.download("ns", m.sign("ns", "1.1.0", 2, extra=("--encrypt", enc)))
    at = SLOT_OFF["ns-primary"] + 0x400
    before = m.read(at, 16)
    target = 0x80000000 + at
    r = partition_stopped(m, m.tee_symbol("update_mem"), m.tee_symbol("spm_update_main"),
                          "*(int *)0x%(type)x == 2 && *(int *)0x%(data)x == 4",
                          "update-restart",
                          ["set $r0 = 0x%x" % target, "set $r1 = 0", "set $r2 = 16",
                           "set $pc = 0x%x" % m.tee_symbol("memset"), "disable 1"])
    expect_mpu_stop(r, "update", target, "the update partition's write to the running image")
    expect(m.read(at, 16) == before, "the running image was changed", r)
    expect("update-restart: staging again status=0" in r.ns_console,
           "the restarted partition did not stage the download again", r)


@case
def fault_storm_resets_the_meter(m):
    scenario(m, "normal")
    r = scenario(m, "storm", rc=POLICY)
    expect(r.console.count("tee: fault policy: reset") == 1, "no single policy reset", r)
    expect("policy-resets=1" in r.ns_console, "the reset was not counted", r)
    # The guest reset kept the readings (storage in flash).
    e = energy(r, "storm: after the reset")
    expect(e is not None and e >= 20, "the reading did not survive the guest reset", r)


if __name__ == "__main__":
    sys.exit(case.main(setup=lambda m: m.factory(huk=True), images="tee"))
