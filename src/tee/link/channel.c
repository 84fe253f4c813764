/* SPDX-License-Identifier: Apache-2.0 */
/*
 * channel.c - the TEE's one TLS session to the broker (meterseal/tee_link.h,
 * tee_tls.h; docs/cloud.md section 3; M12, M13).
 *
 * The Non-secure application opens the channel, then pumps: it hands in
 * the bytes its UART received and the MQTT bytes it wants sent, and gets
 * back the bytes for the UART and the MQTT bytes that arrived. Only TLS
 * records ever reach the UART.
 *
 * Invariants:
 *   - The session is set up from PS only: the meter's certificate, the
 *     pinned cloud CA, the broker's host name (the name the server's
 *     certificate must carry). The NSPE cannot name another CA or server.
 *   - Signatures of the handshake are the key store's (identity key, as
 *     MS_TEE_PART_LINK); the private key is never in this partition.
 *   - A ticket is kept in RAM and in PS (so a meter that loses power still
 *     resumes): the first one the server sends in each connection is
 *     written (one PS record per connection). A platform may refuse the
 *     record (the AN505's kernel does: a ticket written by a partition
 *     taken over must not reach the clean one); the ticket then lives in
 *     RAM only and a reset costs one full handshake.
 */
#include <string.h>

#include "link_internal.h"

static struct {
    bool ready;               /* tls set up for the stored credentials */
    unsigned versions;
    uint32_t tickets_saved;   /* tickets of this connection written to PS */
    ms_tls_t tls;
} g_ch MS_TEE_PART_DATA(link);

void ms_link_channel_reset(void)
{
    if (g_ch.ready) {
        ms_tls_free(&g_ch.tls);
    }
    memset(&g_ch, 0, sizeof g_ch);
}

void ms_tee_link_stop(void)
{
    ms_link_channel_reset();
    ms_link_keys_forget();
}

ms_err_t ms_tee_link_broker(char out[MS_TEE_LINK_BROKER_MAX + 1])
{
    size_t n = 0;
    ms_err_t err = ms_link_ps_get(MS_TEE_UID_LINK_BROKER, out, MS_TEE_LINK_BROKER_MAX, &n);
    if (err == MS_ERR_NOT_FOUND || err == MS_ERR_BUFFER_TOO_SMALL) {
        err = err == MS_ERR_NOT_FOUND ? MS_ERR_LINK_NOT_PROVISIONED : MS_ERR_TEE_CORRUPT;
    }
    out[err ? 0 : n] = '\0';
    return err;
}

/* Set the session up from PS (certificate, CA, broker name, ticket). */
static ms_err_t setup(unsigned versions)
{
    static uint8_t cert[MS_TEE_LINK_CERT_MAX] MS_TEE_PART_DATA(link);
    static uint8_t ca[MS_TEE_LINK_CERT_MAX] MS_TEE_PART_DATA(link);
    uint8_t ticket[MS_TEE_LINK_CERT_MAX];
    char broker[MS_TEE_LINK_BROKER_MAX + 1];
    size_t cert_len = 0, ca_len = 0, ticket_len = 0;
    ms_err_t err = ms_tee_link_broker(broker);
    if (!err) {
        err = ms_link_ps_get(MS_TEE_UID_LINK_CERT, cert, sizeof cert, &cert_len);
    }
    if (!err) {
        err = ms_link_ps_get(MS_TEE_UID_LINK_CA, ca, sizeof ca, &ca_len);
    }
    if (err == MS_ERR_NOT_FOUND) {
        err = MS_ERR_LINK_NOT_PROVISIONED;
    }
    if (err) {
        return err;
    }
    char *colon = strrchr(broker, ':');
    if (colon == NULL) {
        return MS_ERR_TEE_CORRUPT;   /* provisioning checked the form: not this record */
    }
    *colon = '\0';   /* the host */
    ms_tls_config_t cfg = {
        .ca_der = ca, .ca_len = ca_len, .cert_der = cert, .cert_len = cert_len,
        .sign = ms_link_identity_sign, .sign_ctx = NULL, .server_name = broker,
        .versions = versions,
    };
    ms_link_channel_reset();
    err = ms_tls_init(&g_ch.tls, &cfg);
    if (err) {
        return err;
    }
    g_ch.ready = true;
    g_ch.versions = versions;
    if (ms_link_ps_get(MS_TEE_UID_LINK_TICKET, ticket, sizeof ticket, &ticket_len) == MS_OK &&
        ms_tls_ticket_load(&g_ch.tls, ticket, ticket_len) != MS_OK) {
        (void)ms_link_ps_remove(MS_TEE_UID_LINK_TICKET);   /* unusable: full handshake */
    }
    ms_secure_zero(ticket, sizeof ticket);
    return MS_OK;
}

ms_err_t ms_tee_link_channel_open(unsigned versions)
{
    if (versions > MS_TLS_VERSIONS_1_3) {
        return MS_ERR_ARG;
    }
    if (!g_ch.ready || g_ch.versions != versions) {
        ms_err_t err = setup(versions);
        if (err) {
            return err;
        }
    }
    g_ch.tickets_saved = 0;
    return ms_tls_connect(&g_ch.tls);
}

/* Keep this connection's first ticket across a power cut. */
static void save_ticket(const ms_tls_info_t *info)
{
    uint8_t ticket[MS_TEE_LINK_CERT_MAX];
    size_t n = 0;
    if (g_ch.tickets_saved != 0 || info->tickets == 0) {
        return;   /* one PS write per connection: the first ticket will do */
    }
    if (ms_tls_ticket_save(&g_ch.tls, ticket, sizeof ticket, &n) == MS_OK) {
        (void)ms_link_ps_set(MS_TEE_UID_LINK_TICKET, ticket, n, 0);
    }
    ms_secure_zero(ticket, sizeof ticket);
    g_ch.tickets_saved = info->tickets;
}

ms_err_t ms_tee_link_channel_pump(ms_tee_link_pump_t *p)
{
    if (!g_ch.ready) {
        if (p != NULL) {
            memset(&p->info, 0, sizeof p->info);
        }
        return MS_ERR_STATE;
    }
    ms_err_t err = ms_tls_pump(&g_ch.tls, p);
    if (err != MS_ERR_ARG) {
        save_ticket(&p->info);
    }
    return err;
}

ms_err_t ms_tee_link_channel_close(void)
{
    if (!g_ch.ready) {
        return MS_ERR_STATE;
    }
    return ms_tls_close(&g_ch.tls);
}
