/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmsdk_timer.h - the CMSDK APB timer of the AN505 (TIMER0 is the
 * Non-secure pulse input; its PPC bit and interrupt target are set at S12).
 */
#ifndef MS_AN505_REGS_CMSDK_TIMER_H
#define MS_AN505_REGS_CMSDK_TIMER_H

#define TIMER0_NS_BASE     0x40000000u
#define TIMER_CTRL         0x000u   /* bit 0 enable, bit 3 interrupt enable */
#define TIMER_VALUE        0x004u
#define TIMER_RELOAD       0x008u
#define TIMER_INTCLEAR     0x00Cu
#define TIMER_CTRL_EN      (1u << 0)
#define TIMER_CTRL_IRQEN   (1u << 3)

#endif /* MS_AN505_REGS_CMSDK_TIMER_H */
