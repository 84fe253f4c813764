/* SPDX-License-Identifier: Apache-2.0 */
/*
 * an505_map.h - the meter's memory map on QEMU mps2-an505 (Cortex-M33 with
 * TrustZone): where each image executes, where each world keeps its data,
 * and how the persistent flash is laid out. Plain constants only: the
 * firmware's C code, its linker scripts (run through the C preprocessor) and
 * the host tools that prepare a meter's flash file all include this file,
 * so they can never disagree. docs/an505.md draws the same map.
 *
 * Memory of the AN505 (QEMU 7.2):
 *   SSRAM1 4 MiB  NS alias 0x00000000, S alias 0x10000000, MPC0 at 0x58007000
 *   SSRAM2 2 MiB  NS alias 0x28000000, S alias 0x38000000, MPC1 at 0x58008000
 *   SSRAM3 2 MiB  NS alias 0x28200000, S alias 0x38200000, MPC2 at 0x58009000
 *   PSRAM 16 MiB  0x80000000 (no MPC; the IDAU calls it NS, the SAU makes it
 *                 Secure by leaving it out of every NS region)
 *
 * Roles:
 *   - The boot loader is loaded by QEMU at the Secure alias of SSRAM1 on
 *     every reset, like a ROM: it cannot be changed by anything that runs.
 *   - PSRAM is the meter's persistent flash: a host file mapped by QEMU
 *     (memory-backend-file), so it survives guest resets and new QEMU runs.
 *     Only Secure code reaches it, through the NOR flash driver.
 *   - Images execute from SSRAM1: the boot loader copies each verified image
 *     from its primary slot into its execution region and verifies the copy
 *     (RAM load), so what runs is exactly what was verified.
 */
#ifndef MS_AN505_MAP_H
#define MS_AN505_MAP_H

/* ---- execution regions in SSRAM1 ---------------------------------------- */
#define AN505_SSRAM1_S_BASE        0x10000000
#define AN505_SSRAM1_NS_BASE       0x00000000
#define AN505_SSRAM1_SIZE          0x00400000

#define AN505_BL_CODE_BASE         0x10000000  /* boot loader ("ROM") */
#define AN505_BL_CODE_SIZE         0x00020000  /* 128 KiB */

#define AN505_S_EXEC_BASE          0x10020000  /* Secure image: header + code */
#define AN505_S_EXEC_SIZE          0x00040000  /* 256 KiB = one slot */
/* The Secure image's veneers (non-secure callable): a 1 KiB window right
 * after its vector table (1 KiB reserved for it), so the image stays
 * compact (a window at the end of the region would make every image as
 * large as its slot). Nothing but the linker's SG veneers goes there. */
#define AN505_S_VECTORS_SIZE       0x00000400
#define AN505_S_NSC_SIZE           0x00000400
#define AN505_S_NSC_BASE           (AN505_S_EXEC_BASE + AN505_IMAGE_HDR_SIZE + AN505_S_VECTORS_SIZE)

#define AN505_NS_EXEC_BASE         0x00060000  /* Non-secure image, NS alias */
#define AN505_NS_EXEC_SIZE         0x00040000  /* 256 KiB = one slot */

/* Image header size: the vector table sits right after it (imgtool --header-size). */
#define AN505_IMAGE_HDR_SIZE       0x400

/* ---- data ---------------------------------------------------------------- */
#define AN505_SSRAM2_S_BASE        0x38000000  /* Secure data (MPC1: all Secure) */
#define AN505_SSRAM2_SIZE          0x00200000
#define AN505_BL_RAM_BASE          0x38000000  /* boot loader data and stack */
#define AN505_BL_RAM_SIZE          0x00010000
#define AN505_S_RAM_BASE           0x38010000  /* Secure image data and stacks */
#define AN505_S_RAM_SIZE           0x001EE000
/* The TEE's record kept across a reset (the fault log a policy reset could
 * not write): a fixed place no image links anything into, so a new TEE
 * image finds it where the old one left it. */
#define AN505_TEE_KEEP_BASE        0x381FE000
#define AN505_TEE_KEEP_SIZE        0x00001000
/* The measured boot record the boot loader leaves for the Secure image. */
#define AN505_BOOT_RECORD_BASE     0x381FF000
#define AN505_BOOT_RECORD_SIZE     0x00001000

#define AN505_SSRAM3_NS_BASE       0x28200000  /* Non-secure data (MPC2: all NS) */
#define AN505_SSRAM3_SIZE          0x00200000
#define AN505_NS_RAM_BASE          0x28200000
#define AN505_NS_RAM_SIZE          0x00200000

/* ---- persistent flash (PSRAM, file-backed) --------------------------------- */
#define AN505_FLASH_BASE           0x80000000
#define AN505_FLASH_FILE_SIZE      0x01000000  /* the whole 16 MiB PSRAM = the file */
#define AN505_FLASH_SECTOR         0x1000      /* erase unit */
#define AN505_FLASH_WRITE_ALIGN    8           /* program unit (imgtool --align 8) */

/* NOR flash: slots and storage. Offsets from AN505_FLASH_BASE. */
#define AN505_NOR_SIZE             0x00FF0000
#define AN505_SLOT_SIZE            0x00040000  /* 256 KiB (imgtool --slot-size 0x40000) */
#define AN505_SLOT_S_PRIMARY       0x00000000
#define AN505_SLOT_S_SECONDARY     0x00040000
#define AN505_SLOT_NS_PRIMARY      0x00080000
#define AN505_SLOT_NS_SECONDARY    0x000C0000
#define AN505_TEE_STORAGE_OFF      0x00100000  /* secure storage (ITS/PS) */
#define AN505_TEE_STORAGE_SIZE     0x00020000
/* Inside it: the ITS and PS stores (their own sector rings) and the
 * replay-protected counter device the stores' anti-rollback counters live in
 * (nvc_flash.h; docs/secure-storage.md). */
#define AN505_TEE_ITS_OFF          (AN505_TEE_STORAGE_OFF + 0x00000)
#define AN505_TEE_ITS_SIZE         0x00008000  /* 8 sectors */
#define AN505_TEE_PS_OFF           (AN505_TEE_STORAGE_OFF + 0x08000)
#define AN505_TEE_PS_SIZE          0x00010000  /* 16 sectors */
#define AN505_TEE_NVC_OFF          (AN505_TEE_STORAGE_OFF + 0x18000)
#define AN505_TEE_NVC_SIZE         0x00004000  /* 4 sectors */

/* One-time-programmable area: program-only, never erased (the driver has
 * no erase). Root-of-trust key hashes, life-cycle state, NV counters. */
#define AN505_OTP_OFF              0x00FF0000
#define AN505_OTP_SIZE             0x00010000

/* ---- interrupts (QEMU's numbering) ------------------------------------------- */
#define AN505_IRQ_TIMER0           3           /* the Non-secure pulse input */

#endif /* MS_AN505_MAP_H */
