/* SPDX-License-Identifier: Apache-2.0 */
/*
 * door_veneers.S - where each entry of the door (firmware/include/tee_ns.h)
 * has its SG veneer, as released: the Secure image links with
 * --in-implib=<this, assembled>, so the linker keeps every veneer listed
 * here at its address and puts only a new entry anywhere else.
 *
 * A Non-secure image calls the veneers at the addresses it was linked
 * with; a TEE that moved one would have an older image's call land on
 * another entry, with that entry's arguments. So an entry keeps its slot
 * for good: a new one takes the next free slot (8 bytes on), a removed
 * one leaves its slot unused. tests/an505/check-door-veneers compares the
 * built import library with this table.
 */
    .syntax unified

    .macro entry name, addr
    .global \name
    .type \name, %function
    .set \name, \addr + 1      /* Thumb */
    .size \name, 8
    .endm

    entry ms_tee_ns_reboot,        0x10020800
    entry ms_tee_ns_ping,          0x10020808
    entry ms_tee_ns_modem_write,   0x10020810
    entry ms_tee_ns_modem_read,    0x10020818
    entry ms_tee_ns_register,      0x10020820
    entry ms_tee_ns_part_ping,     0x10020828
    entry ms_tee_ns_fault_status,  0x10020830
    entry ms_tee_ns_call,          0x10020838
    entry ms_tee_ns_selftest,      0x10020840
    entry ms_tee_ns_running_image, 0x10020848
    entry ms_tee_ns_hello,         0x10020850   /* interface version 2 */
