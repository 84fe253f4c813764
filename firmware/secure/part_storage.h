/* SPDX-License-Identifier: Apache-2.0 */
/*
 * part_storage.h - the messages between the Secure kernel's storage client
 * (storage_client.c) and the storage partition (part_storage.c).
 *
 * A message is a type and up to SPM_MSG_DATA bytes in the partition's
 * mailbox; numbers are the CPU's own (little-endian) words. The type is
 * one operation, with STORAGE_PS added for Protected Storage (without it:
 * Internal Trusted Storage). What each carries:
 *
 *   type                   in                              out
 *   STORAGE_MSG_START      -                               err(4)
 *   STORAGE_MSG_SET        uid(8) flags(4) length(4) data  -
 *   STORAGE_MSG_GET        uid(8) offset(4) length(4)      the data
 *   STORAGE_MSG_INFO       uid(8)                          capacity(4) size(4) flags(4)
 *   STORAGE_MSG_REMOVE     uid(8)                          -
 *   STORAGE_MSG_CREATE     uid(8) capacity(4) flags(4)     -            (PS)
 *   STORAGE_MSG_SET_EXT    uid(8) offset(4) length(4) data -            (PS)
 *   STORAGE_MSG_METER_READ -                               err(4) energy(8) balance(8) updates(8)
 *   STORAGE_MSG_METER_ADD  energy(8) delta(8)              err(4) energy(8) balance(8) updates(8)
 *
 * SET and SET_EXT carry the data whole when length <= STORAGE_DATA_MAX;
 * a longer length (larger than any object may be) comes without data, and
 * the service refuses it by its size before it would read any, so the
 * answer is the service's own for the same call.
 *
 * The partition's answer is the PSA status of the operation; START and the
 * meter messages answer PSA_SUCCESS and carry the service's ms_err_t.
 */
#ifndef MS_SECURE_PART_STORAGE_H
#define MS_SECURE_PART_STORAGE_H

#include "meterseal/tee_storage.h"
#include "spm.h"

#define STORAGE_PS              0x100
#define STORAGE_MSG_START       1
#define STORAGE_MSG_SET         2
#define STORAGE_MSG_GET         3
#define STORAGE_MSG_INFO        4
#define STORAGE_MSG_REMOVE      5
#define STORAGE_MSG_CREATE      6
#define STORAGE_MSG_SET_EXT     7
#define STORAGE_MSG_METER_READ  9
#define STORAGE_MSG_METER_ADD   10

#define STORAGE_HDR_LEN   16u                            /* uid(8), flags or offset(4), length(4) */
#define STORAGE_DATA_MAX  (SPM_MSG_DATA - STORAGE_HDR_LEN) /* bytes of object data a message carries */
#define STORAGE_METER_LEN 28u                            /* err(4) + three registers */

_Static_assert(STORAGE_DATA_MAX >= MS_TEE_PS_MAX_DATA && STORAGE_DATA_MAX >= MS_TEE_ITS_MAX_DATA,
               "a message carries any object whole");

#endif /* MS_SECURE_PART_STORAGE_H */
