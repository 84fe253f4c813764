/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image.ld.S - linker script template for the meter's images, run through
 * the C preprocessor with the image's region (see an505_map.h and
 * firmware/CMakeLists.txt):
 *   MS_LD_CODE_BASE/SIZE  where the image executes (vector table first)
 *   MS_LD_RAM_BASE/SIZE   its data, bss and stack
 *   MS_LD_STACK_SIZE      main stack
 *   MS_LD_NSC_BASE/SIZE   (Secure image only) the veneers, non-secure callable,
 *                         a window between the vector table and the code
 *
 * A signed image is linked MS_IMAGE_HDR_SIZE bytes above its execution
 * region, where the MCUboot header goes (meterseal sign --pad-header).
 * .data is loaded behind the code and copied by the reset handler; .bss,
 * the partitions' sections and the stack are NOLOAD so that nothing of
 * them is in the image.
 */
#include "an505_map.h"

MEMORY
{
#ifdef MS_LD_NSC_BASE
    /* Vector table, then the veneer window, then the rest of the code. */
    VEC  (rx)  : ORIGIN = MS_LD_CODE_BASE, LENGTH = MS_LD_NSC_BASE - MS_LD_CODE_BASE
    NSC  (rx)  : ORIGIN = MS_LD_NSC_BASE,  LENGTH = MS_LD_NSC_SIZE
    CODE (rx)  : ORIGIN = MS_LD_NSC_BASE + MS_LD_NSC_SIZE,
                 LENGTH = MS_LD_CODE_SIZE - (MS_LD_NSC_BASE + MS_LD_NSC_SIZE - MS_LD_CODE_BASE)
#else
    CODE (rx)  : ORIGIN = MS_LD_CODE_BASE, LENGTH = MS_LD_CODE_SIZE
#endif
    RAM  (rwx) : ORIGIN = MS_LD_RAM_BASE,  LENGTH = MS_LD_RAM_SIZE
}

ENTRY(Reset_Handler)

SECTIONS
{
#ifdef MS_LD_NSC_BASE
    .vectors : { KEEP(*(.vectors)) } > VEC

    /* ld places the generated SG veneers after the statements of this
     * section, so its end is computed outside it (ADDR + SIZEOF). */
    .gnu.sgstubs : ALIGN(32)
    {
        *(.gnu.sgstubs*)
    } > NSC
    __sg_start = ADDR(.gnu.sgstubs);
    __sg_end = ADDR(.gnu.sgstubs) + SIZEOF(.gnu.sgstubs);
#endif

    .text :
    {
        KEEP(*(.vectors))
        *(.text .text.*)
        *(.rodata .rodata.*)
        . = ALIGN(8);
    } > CODE

    .ARM.exidx : { *(.ARM.exidx* .gnu.linkonce.armexidx.*) } > CODE

    .data : ALIGN(8)
    {
        __data_start = .;
        *(.data .data.*)
        . = ALIGN(8);
        __data_end = .;
    } > RAM AT > CODE
    __data_load = LOADADDR(.data);
    __image_end = LOADADDR(.data) + SIZEOF(.data);

    /* The Secure storage partition's memory (MS_TEE_PART_DATA(storage)):
     * one MPU region, so 32-byte aligned at both ends; the Secure kernel
     * zeroes it (firmware/secure/spm.c). Before .bss, which would take
     * these .bss.* sections otherwise. Empty in the other images. */
    .ms_part_storage (NOLOAD) : ALIGN(32)
    {
        __ms_part_storage_start = .;
        *(.bss.ms_part.storage)
        . = ALIGN(32);
        __ms_part_storage_end = .;
    } > RAM

    /* The attestation partition's (MS_TEE_PART_DATA(attest)), the same way. */
    .ms_part_attest (NOLOAD) : ALIGN(32)
    {
        __ms_part_attest_start = .;
        *(.bss.ms_part.attest)
        . = ALIGN(32);
        __ms_part_attest_end = .;
    } > RAM

    /* The update partition's (MS_TEE_PART_DATA(update)), the same way. */
    .ms_part_update (NOLOAD) : ALIGN(32)
    {
        __ms_part_update_start = .;
        *(.bss.ms_part.update)
        . = ALIGN(32);
        __ms_part_update_end = .;
    } > RAM

    /* The link partition's (MS_TEE_PART_DATA(link)), the same way, with
     * Mbed TLS's PSA core state: the key slots and the core's flags, both
     * files' `global_data` (GCC names a static's section after it; LTO
     * adds a suffix). The link's TLS session is the core's one user; in
     * the TEE image only (the kernel zeroes this section, a reset handler
     * zeroes only .bss). */
    .ms_part_link (NOLOAD) : ALIGN(32)
    {
        __ms_part_link_start = .;
        *(.bss.ms_part.link)
#ifdef MS_LD_NSC_BASE
        *(.bss.global_data .bss.global_data.*)
#endif
        . = ALIGN(32);
        __ms_part_link_end = .;
    } > RAM

    .bss (NOLOAD) : ALIGN(8)
    {
        __bss_start = .;
        *(.bss .bss.* COMMON)
        . = ALIGN(8);
        __bss_end = .;
    } > RAM

    .stack (NOLOAD) : ALIGN(8)
    {
        __stack_limit = .;
        . += MS_LD_STACK_SIZE;
        __stack_top = .;
    } > RAM

}
