/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mpc.h - the memory protection controllers (CoreLink SIE-200 TZ MPC) in
 * front of the AN505's SSRAMs: one security bit per block, 1 = Non-secure.
 */
#ifndef MS_AN505_REGS_MPC_H
#define MS_AN505_REGS_MPC_H

#define MPC_SSRAM1_BASE   0x58007000u
#define MPC_SSRAM2_BASE   0x58008000u
#define MPC_SSRAM3_BASE   0x58009000u

#define MPC_CTRL          0x000u  /* bit 4 SEC_RESP: blocked access = bus error */
#define MPC_BLK_MAX       0x010u  /* index of the last LUT word */
#define MPC_BLK_CFG       0x014u  /* block size = 1 << (BLK_CFG + 5) bytes */
#define MPC_BLK_IDX       0x018u  /* LUT word to access */
#define MPC_BLK_LUT       0x01Cu  /* 32 blocks per word */
#define MPC_INT_STAT      0x020u
#define MPC_INT_CLEAR     0x024u
#define MPC_INT_EN        0x028u

#define MPC_CTRL_SEC_RESP (1u << 4)
#define MPC_CTRL_AUTOINC  (1u << 8)

#endif /* MS_AN505_REGS_MPC_H */
