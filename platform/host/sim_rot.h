/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sim_rot.h - the compiled-in trust anchor of the simulated boot loader (M5).
 */
#ifndef MS_SIM_ROT_H
#define MS_SIM_ROT_H

#include "meterseal/image.h"

extern const ms_p256_pub_t ms_sim_rot_pub;
extern const ms_image_key_anchor_t ms_sim_rot_anchor;

#endif
