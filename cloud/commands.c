/* SPDX-License-Identifier: Apache-2.0 */
/*
 * commands.c - commands to meters (see commands.h).
 *
 * Invariants: a command is stored (with its cmd_seq) before it is signed
 * and published, so a cmd_seq is never used for two different commands;
 * the meter applies only a cmd_seq above the last it applied (§5.5), so a
 * command published twice takes effect once.
 */
#include "commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cose_msg.h"
#include "registry.h"

ms_err_t ms_commands_send(ms_cloud_t *c, ms_jp_command_t *cmd, const char *by,
                          uint64_t *cmd_seq)
{
    ms_meter_rec_t *m = malloc(sizeof *m);
    if (m == NULL) {
        return MS_ERR_INTERNAL;
    }
    ms_err_t err = c->db.ops->meter_get(c->db.s, cmd->meter_id, m);
    if (err == MS_OK && ms_registry_revoked(c, m)) {
        err = MS_ERR_X509_REVOKED;   /* no signed command for a revoked meter */
    }
    free(m);
    if (err != MS_OK) {
        return err;
    }
    ms_command_rec_t rec;
    memset(&rec, 0, sizeof rec);
    memcpy(rec.meter_id, cmd->meter_id, sizeof rec.meter_id);
    rec.type = cmd->type;
    snprintf(rec.created_by, sizeof rec.created_by, "%s", by);
    rec.created_at = c->now();
    err = ms_jp_command_args_json(cmd, rec.args_json, sizeof rec.args_json);
    if (err == MS_OK) {
        err = c->db.ops->command_add(c->db.s, &rec);
    }
    if (err != MS_OK) {
        return err;
    }
    cmd->cmd_seq = rec.cmd_seq;
    uint8_t payload[MS_COSE_MSG_MAX], msg[MS_COSE_MSG_MAX];
    size_t plen = 0, mlen = 0;
    char topic[64];
    err = ms_msg_command_encode(cmd, payload, sizeof payload, &plen);
    if (err == MS_OK) {
        err = ms_cose_sign(&c->cmd_key, &c->cmd_pub, payload, plen, msg, sizeof msg, &mlen);
    }
    if (err == MS_OK) {
        snprintf(topic, sizeof topic, "ms/v1/%s/down/cmd", cmd->meter_id);
        err = c->publish(c->publish_ctx, topic, msg, mlen);
    }
    *cmd_seq = rec.cmd_seq;
    return err;
}
