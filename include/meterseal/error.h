/* SPDX-License-Identifier: Apache-2.0 */
/*
 * error.h - the one error type of MeterSeal.
 *
 * Every library function that can fail returns ms_err_t. MS_OK is zero so
 * that `if (err)` reads naturally. Libraries never print: they return a code
 * and the tool that called them turns it into a one-line message with
 * ms_strerror().
 *
 * The list is an X-macro so that the enum, the names and the messages can
 * never drift apart. Add new codes at the end of their group; codes are not
 * part of any wire format, names are what logs and tests use.
 */
#ifndef MS_ERROR_H
#define MS_ERROR_H

#define MS_ERROR_LIST(X)                                                        \
    X(MS_OK,                   "success")                                       \
    /* generic */                                                               \
    X(MS_ERR_ARG,              "invalid argument")                              \
    X(MS_ERR_BUFFER_TOO_SMALL, "output buffer too small")                       \
    X(MS_ERR_UNSUPPORTED,      "unsupported feature or parameter")              \
    X(MS_ERR_STATE,            "operation not allowed in this state")           \
    X(MS_ERR_NOT_FOUND,        "not found")                                     \
    X(MS_ERR_IO,               "input/output error")                            \
    X(MS_ERR_INTERNAL,         "internal error")                                \
    /* parsing outside data */                                                  \
    X(MS_ERR_TRUNCATED,        "data truncated")                                \
    X(MS_ERR_FORMAT,           "malformed data")                                \
    X(MS_ERR_BAD_MAGIC,        "bad magic number")                              \
    /* crypto */                                                                \
    X(MS_ERR_CRYPTO,           "crypto backend failure")                        \
    X(MS_ERR_RNG,              "random number generator failure")               \
    X(MS_ERR_KEY_FORMAT,       "malformed or unsupported key")                  \
    X(MS_ERR_KEY_MISMATCH,     "key does not match")                            \
    X(MS_ERR_SIGNATURE,        "signature verification failed")                 \
    X(MS_ERR_AUTH,             "authentication tag mismatch")                   \
    /* flash */                                                                 \
    X(MS_ERR_FLASH_NOT_ERASED, "flash write to bytes that are not erased")      \
    X(MS_ERR_FLASH_WRITE,      "flash write failed")                            \
    X(MS_ERR_FLASH_ERASE,      "flash erase failed")                            \
    X(MS_ERR_POWER_LOST,       "power lost during a flash operation")           \
    /* images (MCUboot format) */                                               \
    X(MS_ERR_IMG_HEADER,       "bad image header")                              \
    X(MS_ERR_IMG_TLV_INFO,     "bad TLV area header")                           \
    X(MS_ERR_IMG_TLV_BOUNDS,   "TLV extends past the end of its area")          \
    X(MS_ERR_IMG_TLV_DUP,      "duplicate TLV")                                 \
    X(MS_ERR_IMG_NO_HASH,      "image has no SHA256 TLV")                       \
    X(MS_ERR_IMG_NO_SIG,       "image has no signature TLV")                    \
    X(MS_ERR_IMG_HASH,         "image hash mismatch")                           \
    X(MS_ERR_IMG_KEY_UNKNOWN,  "image signed by an untrusted key")              \
    X(MS_ERR_IMG_ENC_KEY,      "image encryption key TLV does not authenticate")\
    X(MS_ERR_IMG_NOT_ENCRYPTED, "image is not encrypted")                       \
    X(MS_ERR_IMG_TOO_LARGE,    "image does not fit in the slot")                \
    /* boot (S11-S14, updates, anti-rollback) */                               \
    X(MS_ERR_BOOT_SECURITY_CONFIG, "security configuration check failed")       \
    X(MS_ERR_BOOT_PERIPHERALS, "peripheral initialisation failed")              \
    X(MS_ERR_BOOT_NO_IMAGE,    "no verified image to boot")                     \
    X(MS_ERR_BOOT_ROLLBACK,    "image security counter below the device's")     \
    X(MS_ERR_BOOT_SECCNT,      "security counter storage failed")               \
    X(MS_ERR_BOOT_LAYOUT,      "slot layout cannot hold the image or trailer")  \
    X(MS_ERR_BOOT_NO_ENC_KEY,  "no key to decrypt an encrypted update")         \
    X(MS_ERR_BOOT_FAULT,       "fault detected in the boot decision")           \
    X(MS_ERR_BOOT_NON_BOOTABLE, "image is marked not bootable (NON_BOOTABLE)")  \
    X(MS_ERR_BOOT_DEPENDENCY,  "image dependency on another image not met")    \
    X(MS_ERR_BOOT_DOWNGRADE,   "image version older than the running one")      \
    /* tee (secure storage, key store, RNG, dispatcher) */                      \
    X(MS_ERR_TEE_NO_SPACE,     "secure storage is full")                        \
    X(MS_ERR_TEE_WRITE_ONCE,   "object is write-once")                          \
    X(MS_ERR_TEE_CORRUPT,      "stored object is corrupted")                    \
    X(MS_ERR_TEE_ROLLBACK,     "secure storage was rolled back")                \
    X(MS_ERR_TEE_DENIED,       "caller not allowed to do this")                 \
    X(MS_ERR_TEE_BAD_POINTER,  "argument outside the caller's memory")          \
    X(MS_ERR_TEE_RNG_HEALTH,   "entropy source failed its health test")         \
    X(MS_ERR_TEE_EXISTS,       "object already exists")                         \
    X(MS_ERR_TEE_SERVICE_FAILED, "secure service failed and was restarted")     \
    /* image signer (streaming ms_image_signer_*) */                            \
    X(MS_ERR_IMG_SIGN_OVERRUN, "more payload given than the signer was told")   \
    X(MS_ERR_IMG_SIGN_SHORT,   "signer finished before all payload was given")  \
    /* x509 and cloud service (meterseal ca, meterseal-cloud) */                \
    X(MS_ERR_X509_CHAIN,       "certificate does not chain to the trusted CA")  \
    X(MS_ERR_X509_NAME,        "certificate subject is not the one required")   \
    X(MS_ERR_X509_PROFILE,     "certificate extensions are not the ones required") \
    X(MS_ERR_X509_REVOKED,     "certificate is revoked")                        \
    X(MS_ERR_CLOUD_NONCE,      "nonce unknown, expired or already used")        \
    X(MS_ERR_CLOUD_DB,         "database error")                                \
    /* meter side of the cloud channel (TLS, MQTT, signed messages) */          \
    X(MS_ERR_TLS_HANDSHAKE,    "TLS handshake failed")                          \
    X(MS_ERR_TLS_PEER_CERT,    "TLS peer certificate not trusted")              \
    X(MS_ERR_TLS_CLOSED,       "TLS connection closed")                         \
    X(MS_ERR_LINK_WRONG_METER, "message addressed to another meter")            \
    X(MS_ERR_LINK_NOT_PROVISIONED, "meter not provisioned for the cloud")       \
    X(MS_ERR_MQTT_REFUSED,     "MQTT broker refused the connection")            \
    X(MS_ERR_LINK_STALE,       "update offer older than one already taken")     \
    X(MS_ERR_LAST_,            "(end of list)")

#define MS_ERROR_ENUM_(name, text) name,
typedef enum ms_err { MS_ERROR_LIST(MS_ERROR_ENUM_) } ms_err_t;
#undef MS_ERROR_ENUM_

/* A readable sentence for an error code ("image hash mismatch"). Never NULL. */
const char *ms_strerror(ms_err_t err);

/* The enum name of an error code ("MS_ERR_IMG_HASH"), for logs and JSON. */
const char *ms_errname(ms_err_t err);

#endif /* MS_ERROR_H */
