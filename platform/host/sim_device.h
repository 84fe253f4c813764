/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sim_device.h - a simulated meter's boot side, kept in a device directory
 * so that it survives the process like a real meter's flash and fuses:
 *
 *   DIR/flash.bin  1 MiB, 4 KiB sectors, 8-byte writes: Secure primary
 *                  0x00000, Secure secondary 0x40000, Non-secure primary
 *                  0x80000, Non-secure secondary 0xC0000 (256 KiB each,
 *                  imgtool's --slot-size 0x40000)
 *   DIR/strategy   "swap" or "overwrite", fixed when the device is made
 *   DIR/seccnt     the NV security counters; DIR/boot.log the boot events;
 *   DIR/enckey     the image-decryption key; DIR/seccfg register overrides;
 *   DIR/otp-rot    the vendor key programmed once (else the compiled-in
 *                  development key of sim_rot.c: M5)
 *
 * The meter simulator (meterseal-sim) stages and boots it; the host meter
 * (meterseal-meter) boots it, binds the TEE's update service to it and
 * boots it again after an update (boot_host.h has the hooks).
 */
#ifndef MS_SIM_DEVICE_H
#define MS_SIM_DEVICE_H

#include "boot_host.h"
#include "flash_sim.h"
#include "meterseal/boot.h"

#define MS_SIM_SECTOR 4096u
#define MS_SIM_SLOT   0x40000u
#define MS_SIM_FLASH  (4u * MS_SIM_SLOT)

typedef struct ms_sim_device {
    char dir[400];
    ms_flash_sim_t flash;
    ms_boot_image_cfg_t images[2];
    ms_host_boot_platform_t plat;
    ms_boot_config_t cfg;
    ms_p256_pub_t otp_pub;
    ms_image_key_anchor_t otp_anchor;
    uint8_t buf[1024];
} ms_sim_device_t;

/*
 * Open (create) the device in dir. strategy: "swap" or "overwrite" for a
 * new device, NULL to take the saved one; a device made with another
 * strategy is MS_ERR_ARG. On error *what names the part that failed.
 */
ms_err_t ms_sim_device_open(ms_sim_device_t *d, const char *dir, const char *strategy,
                            const char **what);

void ms_sim_device_close(ms_sim_device_t *d);

/* "DIR/name" (a static buffer: use it before the next call). */
const char *ms_sim_device_path(const ms_sim_device_t *d, const char *name);

#endif /* MS_SIM_DEVICE_H */
