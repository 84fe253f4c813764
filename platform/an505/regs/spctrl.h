/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spctrl.h - the IoT Kit's Secure privilege control block (SPCTRL) on the
 * AN505: security response, NSC permission, and the non-secure bits of the
 * peripheral protection controllers (PPC) in front of the expansion buses.
 */
#ifndef MS_AN505_REGS_SPCTRL_H
#define MS_AN505_REGS_SPCTRL_H

#define SPCTRL_BASE          0x50080000u
#define SPCTRL_SECRESPCFG    (SPCTRL_BASE + 0x010u) /* bit 0: violations are bus errors */
#define SPCTRL_NSCCFG        (SPCTRL_BASE + 0x014u) /* bit 0: CODENSC */
#define SPCTRL_SECPPCINTSTAT (SPCTRL_BASE + 0x020u)
#define SPCTRL_SECPPCINTCLR  (SPCTRL_BASE + 0x024u)
#define SPCTRL_SECPPCINTEN   (SPCTRL_BASE + 0x028u)
#define SPCTRL_AHBNSPPC0     (SPCTRL_BASE + 0x050u)
#define SPCTRL_AHBNSPPCEXP0  (SPCTRL_BASE + 0x060u)
#define SPCTRL_AHBNSPPCEXP1  (SPCTRL_BASE + 0x064u) /* the PL081 DMA controllers */
#define SPCTRL_AHBNSPPCEXP2  (SPCTRL_BASE + 0x068u)
#define SPCTRL_AHBNSPPCEXP3  (SPCTRL_BASE + 0x06Cu)
#define SPCTRL_APBNSPPC0     (SPCTRL_BASE + 0x070u) /* IoT Kit timers */
#define SPCTRL_APBNSPPC1     (SPCTRL_BASE + 0x074u)
#define SPCTRL_APBNSPPCEXP0  (SPCTRL_BASE + 0x080u) /* MPC register blocks */
#define SPCTRL_APBNSPPCEXP1  (SPCTRL_BASE + 0x084u) /* SPI, UART, I2C */
#define SPCTRL_APBNSPPCEXP2  (SPCTRL_BASE + 0x088u) /* SCC, audio, FPGA IO */
#define SPCTRL_APBNSPPCEXP3  (SPCTRL_BASE + 0x08Cu)
#define SPCTRL_NSMSCEXP      (SPCTRL_BASE + 0x0D0u) /* DMA masters' security (MSCs) */

#define SECRESPCFG_BUSERR    (1u << 0)
#define NSCCFG_CODENSC       (1u << 0)

/* Ports of APB PPC EXP1 (one bit each in APBNSPPCEXP1). */
#define PPC0_TIMER0          (1u << 0)   /* APBNSPPC0: TIMER0 */
#define PPCEXP1_UART0        (1u << 5)
#define PPCEXP1_UART1        (1u << 6)
#define PPCEXP1_UART2        (1u << 7)

#endif /* MS_AN505_REGS_SPCTRL_H */
