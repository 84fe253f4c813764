/* SPDX-License-Identifier: Apache-2.0 */
/*
 * chip_geometry.h - flash geometry of the emulated chip and of the emulated
 * licence HSM, shared by the emulator and the tools that provision them.
 */
#ifndef MS_CHIP_GEOMETRY_H
#define MS_CHIP_GEOMETRY_H

#define MS_EMU_CHIP_FLASH_SIZE (1024u * 1024u)
#define MS_EMU_HSM_FLASH_SIZE (64u * 1024u)
#define MS_EMU_SECTOR 4096u
#define MS_EMU_ALIGN 16u

#endif /* MS_CHIP_GEOMETRY_H */
