/* SPDX-License-Identifier: Apache-2.0 */
/*
 * update.h - the application's firmware update steps on the emulated meter
 * (M7 verify-before-reboot, issue scenario "OTA staging from the
 * Non-secure side"): a download goes into a secondary slot through the
 * TEE's update service, which decrypts and verifies it before it marks it
 * pending; after the reboot the boot loader installs it and the
 * application confirms it through the TEE.
 *
 * Until the comms task carries the cloud's download (docs/an505.md), the
 * download is two files the test bench leaves in QEMU's working directory,
 * read through semihosting: offer.bin (image index(1), SHA-256 of the
 * download(32): what a cloud offer names) and download.bin (the image as
 * the cloud serves it, encrypted or not).
 */
#ifndef MS_NS_UPDATE_H
#define MS_NS_UPDATE_H

#include <stdbool.h>

/* Stage the download: EXIT_DONE once pending (a test image, or permanent),
 * EXIT_REFUSED when the TEE refused it (the reason is on the console),
 * EXIT_FAILED when the download could not be read or handed over. */
int update_stage(bool permanent);

/* After the reboot into a test image of the image offer.bin names: a new
 * download of that image is refused while it runs unconfirmed, then both
 * images are confirmed (the Non-secure one first: the Secure image may
 * depend on it). EXIT_DONE or EXIT_FAILED. */
int update_confirm(void);

#endif /* MS_NS_UPDATE_H */
