/* SPDX-License-Identifier: Apache-2.0 */
/*
 * commands.h - commands to meters (docs/cloud.md §5.5): recorded, signed
 * with the cloud command key, published to ms/v1/<id>/down/cmd.
 */
#ifndef MS_CLOUD_COMMANDS_H
#define MS_CLOUD_COMMANDS_H

#include "json_params.h"
#include "service.h"

/* Record cmd (its meter_id must be a registered meter; MS_ERR_NOT_FOUND
 * otherwise, MS_ERR_X509_REVOKED if its certificate is revoked), give it
 * the meter's next cmd_seq, sign and publish it.
 * *cmd_seq gets the number. by: the operator's name. */
ms_err_t ms_commands_send(ms_cloud_t *c, ms_jp_command_t *cmd, const char *by,
                          uint64_t *cmd_seq);

#endif /* MS_CLOUD_COMMANDS_H */
