/* SPDX-License-Identifier: Apache-2.0 */
/*
 * armv8m.h - the Cortex-M33 system registers the meter's firmware touches
 * (ARMv8-M Architecture Reference Manual, System Control Space). Addresses
 * are those seen from the Secure state; the _NS aliases reach the
 * Non-secure banked copies.
 */
#ifndef MS_AN505_REGS_ARMV8M_H
#define MS_AN505_REGS_ARMV8M_H

#include <stdint.h>

#define MS_REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* System control block */
#define SCB_ICSR          0xE000ED04u
#define ICSR_PENDSVSET    (1u << 28)
#define SCB_SHPR2         0xE000ED1Cu   /* SVCall [31:24] */
#define SCB_SHPR3         0xE000ED20u   /* PendSV [23:16], SysTick [31:24] */
#define SCB_VTOR          0xE000ED08u   /* VTOR_S from the Secure state */
#define SCB_AIRCR         0xE000ED0Cu
#define SCB_SCR           0xE000ED10u
#define SCB_CCR           0xE000ED14u
#define SCB_SHCSR         0xE000ED24u
#define SCB_CFSR          0xE000ED28u
#define SCB_HFSR          0xE000ED2Cu
#define SCB_MMFAR         0xE000ED34u
#define SCB_BFAR          0xE000ED38u
#define SCB_VTOR_NS       0xE002ED08u

#define AIRCR_VECTKEY     (0x05FAu << 16)
#define AIRCR_SYSRESETREQ (1u << 2)
#define AIRCR_SYSRESETREQS (1u << 3)    /* only the Secure state may reset */
#define AIRCR_BFHFNMINS   (1u << 13)    /* BusFault/HardFault/NMI target NS */
#define AIRCR_PRIS        (1u << 14)    /* NS exceptions deprioritised */

#define SHCSR_MEMFAULTENA    (1u << 16)
#define SHCSR_BUSFAULTENA    (1u << 17)
#define SHCSR_USGFAULTENA    (1u << 18)
#define SHCSR_SECUREFAULTENA (1u << 19)
#define SHCSR_USGFAULTPENDED    (1u << 12)
#define SHCSR_MEMFAULTPENDED    (1u << 13)
#define SHCSR_BUSFAULTPENDED    (1u << 14)
#define SHCSR_SVCALLPENDED      (1u << 15)
#define SHCSR_SECUREFAULTPENDED (1u << 20)

/* EXC_RETURN (the LR an exception handler starts with). */
#define EXC_RETURN_S     (1u << 6)   /* frame on the Secure stack */
#define EXC_RETURN_DCRS  (1u << 5)   /* default callee-register stacking */
#define EXC_RETURN_MODE  (1u << 3)   /* returns to thread mode */
#define EXC_RETURN_SPSEL (1u << 2)   /* frame on the process stack */

/* Security attribution unit */
#define SAU_CTRL          0xE000EDD0u
#define SAU_TYPE          0xE000EDD4u
#define SAU_RNR           0xE000EDD8u
#define SAU_RBAR          0xE000EDDCu
#define SAU_RLAR          0xE000EDE0u
#define SAU_SFSR          0xE000EDE4u
#define SAU_SFAR          0xE000EDE8u

#define SAU_CTRL_ENABLE   (1u << 0)
#define SAU_CTRL_ALLNS    (1u << 1)
#define SAU_RLAR_ENABLE   (1u << 0)
#define SAU_RLAR_NSC      (1u << 1)
#define SAU_REGION_ALIGN  32u

/* Debug: authentication control (secure debug enable) */
#define DCB_DAUTHCTRL     0xE000EE04u
#define DAUTHCTRL_SPIDENSEL  (1u << 0)  /* use INTSPIDEN instead of the pin */
#define DAUTHCTRL_INTSPIDEN  (1u << 1)  /* secure invasive debug allowed */
#define DAUTHCTRL_SPNIDENSEL (1u << 2)
#define DAUTHCTRL_INTSPNIDEN (1u << 3)  /* secure non-invasive debug allowed */

/* SysTick (banked) */
#define SYST_CSR          0xE000E010u
#define SYST_RVR          0xE000E014u
#define SYST_CVR          0xE000E018u

/* NVIC */
#define NVIC_ISER0        0xE000E100u
#define NVIC_ICER0        0xE000E180u
#define NVIC_ICPR0        0xE000E280u
#define NVIC_ITNS0        0xE000E380u   /* interrupt target: 1 = Non-secure */

/* MPU (the Secure one from the Secure state, the Non-secure one from the
 * Non-secure state: same addresses, banked). */
#define MPU_TYPE          0xE000ED90u   /* DREGION: bits 15:8 */
#define MPU_CTRL          0xE000ED94u
#define MPU_RNR           0xE000ED98u
#define MPU_RBAR          0xE000ED9Cu
#define MPU_RLAR          0xE000EDA0u
#define MPU_MAIR0         0xE000EDC0u
#define MPU_CTRL_ENABLE     (1u << 0)
#define MPU_CTRL_PRIVDEFENA (1u << 2)   /* privileged code uses the default map */
#define MPU_RBAR_XN         (1u << 0)
#define MPU_RBAR_AP_RW_PRIV (0u << 1)
#define MPU_RBAR_AP_RW_ANY  (1u << 1)
#define MPU_RBAR_AP_RO_ANY  (3u << 1)
#define MPU_RLAR_EN         (1u << 0)
#define MPU_GRANULE         32u

#endif /* MS_AN505_REGS_ARMV8M_H */
