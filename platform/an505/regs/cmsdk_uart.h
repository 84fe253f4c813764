/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmsdk_uart.h - the Arm CMSDK APB UART (five of them on the AN505, behind
 * APB PPC EXP1). Secure aliases at 0x5020n000, Non-secure at 0x4020n000.
 */
#ifndef MS_AN505_REGS_CMSDK_UART_H
#define MS_AN505_REGS_CMSDK_UART_H

#define UART0_S_BASE      0x50200000u
#define UART1_S_BASE      0x50201000u
#define UART2_NS_BASE     0x40202000u

#define UART_DATA         0x000u
#define UART_STATE        0x004u  /* bit 0 TX full, bit 1 RX full */
#define UART_CTRL         0x008u  /* bit 0 TX enable, bit 1 RX enable */
#define UART_INTSTATUS    0x00Cu
#define UART_BAUDDIV      0x010u

#define UART_STATE_TXFULL (1u << 0)
#define UART_STATE_RXFULL (1u << 1)
#define UART_CTRL_TXEN    (1u << 0)
#define UART_CTRL_RXEN    (1u << 1)

#endif /* MS_AN505_REGS_CMSDK_UART_H */
