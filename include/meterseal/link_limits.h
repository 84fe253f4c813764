/* SPDX-License-Identifier: Apache-2.0 */
/*
 * link_limits.h - bounds that both ends of the meter <-> cloud channel apply
 * to command values (docs/cloud.md, section 5.5). The meter's TEE refuses a
 * command beyond them; the cloud refuses to sign one, so no command is sent
 * that can only fail on the meter. Plain constants: the cloud includes this
 * without the meter's message types.
 */
#ifndef MS_LINK_LIMITS_H
#define MS_LINK_LIMITS_H

/* The largest tariff price (thousandths of a currency unit per kWh: a
 * million units). */
#define MS_LINK_PRICE_MAX 1000000000ull

#endif
