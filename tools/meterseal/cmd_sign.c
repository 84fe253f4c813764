/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_sign.c - `meterseal sign`: build a signed (and optionally encrypted)
 * MCUboot image from a raw firmware binary, with imgtool 2.x's option
 * names so the two tools can be swapped in a build script.
 *
 * The image is built by the library's streaming signer (ms_image_signer_*,
 * meterseal/image.h): this file maps the input, turns options into
 * ms_image_sign_opts_t, and writes header, payload, TLVs and slot padding
 * in file order while the payload is hashed (a writer thread writes plain
 * payloads straight from the input mapping, encrypted ones from 256 KiB
 * buffers). The vendor signs first and then encrypts (M7): the signature
 * covers the plaintext. The security counter TLV (M6) comes from
 * --security-counter.
 *
 * Invariants: the input is mapped, not copied; nothing appears under
 * OUTFILE unless the whole image was written (temporary file + rename);
 * the signing key and the encryption buffers are wiped after use.
 */
#include "cli.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char sign_help[] =
    "usage: meterseal sign -k KEY -v VERSION [options] INFILE OUTFILE\n"
    "\n"
    "Sign a firmware binary into an MCUboot image (ECDSA-P256, SHA-256).\n"
    "Option names are imgtool 2.x's.\n"
    "\n"
    "  -k, --key KEY                 signing key (P-256 private, PEM or DER)\n"
    "  -v, --version M.m.r+b         image version (required)\n"
    "  -H, --header-size N           header size in bytes (default 0x20)\n"
    "      --pad-header              prepend the header; otherwise INFILE starts\n"
    "                                with --header-size zero bytes\n"
    "      --align 1|2|4|8|16|32     flash write alignment (default 1)\n"
    "      --max-align 8|16|32       trailer alignment (default 8)\n"
    "  -S, --slot-size N             slot size: the image (and trailer) must fit\n"
    "      --pad                     pad to --slot-size and write the trailer magic\n"
    "      --confirm                 as --pad, and mark the image confirmed (image_ok)\n"
    "  -M, --max-sectors N           swap status sectors for the trailer (default 128)\n"
    "      --overwrite-only          trailer for overwrite-only upgrades\n"
    "  -s, --security-counter N|auto security counter TLV (auto: from the version)\n"
    "  -E, --encrypt KEY             encrypt for this P-256 key (public or private file)\n"
    "      --encrypt-keylen 128|256  AES key size for --encrypt (default 128)\n"
    "  -L, --load-addr N             RAM load address (sets the RAM_LOAD flag)\n"
    "      --public-key-format hash|full\n"
    "                                KEYHASH TLV (default) or the whole PUBKEY\n"
    "  -d, --dependencies \"(ID,VER), ...\"\n"
    "                                dependency TLVs on other images\n"
    "  -R, --erased-val 0|0xff       value of erased flash (default 0xff)\n"
    "      --non-bootable            set the NON_BOOTABLE flag\n"
    "  -h, --help                    this text\n"
    "\n"
    "INFILE and OUTFILE are raw binaries; numbers take 0x prefixes.\n";

enum {
    OPT_PAD_HEADER = 256,
    OPT_ALIGN,
    OPT_MAX_ALIGN,
    OPT_PAD,
    OPT_CONFIRM,
    OPT_OVERWRITE_ONLY,
    OPT_ENCRYPT_KEYLEN,
    OPT_PUBKEY_FORMAT,
    OPT_NON_BOOTABLE,
};

static bool is_one_of(uint32_t v, const uint32_t *set, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (v == set[i]) {
            return true;
        }
    }
    return false;
}

/* What the command line asked for, before keys are loaded. */
typedef struct sign_args {
    const char *key_path;
    const char *enc_path;
    const char *version;
    const char *sec_cnt;
    const char *in_path;
    const char *out_path;
    uint32_t enc_keylen_bits;
    uint32_t load_addr;
    bool has_load_addr;
} sign_args_t;

static int parse_num(const char *verb, const char *opt, const char *s, uint32_t *out)
{
    if (!ms_cli_parse_u32(s, out)) {
        return ms_cli_fail(verb, MS_CLI_USAGE, "bad value '%s' for %s (a number)", s, opt);
    }
    return MS_CLI_OK;
}

static int parse_sign_args(int argc, char **argv, sign_args_t *a, ms_image_sign_opts_t *o)
{
    static const struct option opts[] = {
        { "key", required_argument, NULL, 'k' },
        { "version", required_argument, NULL, 'v' },
        { "header-size", required_argument, NULL, 'H' },
        { "pad-header", no_argument, NULL, OPT_PAD_HEADER },
        { "align", required_argument, NULL, OPT_ALIGN },
        { "max-align", required_argument, NULL, OPT_MAX_ALIGN },
        { "slot-size", required_argument, NULL, 'S' },
        { "pad", no_argument, NULL, OPT_PAD },
        { "confirm", no_argument, NULL, OPT_CONFIRM },
        { "max-sectors", required_argument, NULL, 'M' },
        { "overwrite-only", no_argument, NULL, OPT_OVERWRITE_ONLY },
        { "security-counter", required_argument, NULL, 's' },
        { "encrypt", required_argument, NULL, 'E' },
        { "encrypt-keylen", required_argument, NULL, OPT_ENCRYPT_KEYLEN },
        { "load-addr", required_argument, NULL, 'L' },
        { "public-key-format", required_argument, NULL, OPT_PUBKEY_FORMAT },
        { "dependencies", required_argument, NULL, 'd' },
        { "erased-val", required_argument, NULL, 'R' },
        { "non-bootable", no_argument, NULL, OPT_NON_BOOTABLE },
        { NULL, 0, NULL, 0 },
    };
    static const uint32_t aligns[] = { 1, 2, 4, 8, 16, 32 };
    static const uint32_t max_aligns[] = { 8, 16, 32 };
    const char *verb = "sign";
    uint32_t v;
    int c, rc;

    ms_cli_getopt_reset();
    while ((c = ms_cli_getopt(verb, argc, argv, "k:v:H:S:M:s:E:L:d:R:", opts)) != -1) {
        rc = MS_CLI_OK;
        switch (c) {
        case 'k':
            a->key_path = optarg;
            break;
        case 'v':
            a->version = optarg;
            break;
        case 'H':
            if ((rc = parse_num(verb, "--header-size", optarg, &v)) != MS_CLI_OK) {
                return rc;
            }
            if (v < MS_IMAGE_HEADER_SIZE || v > UINT16_MAX) {
                return ms_cli_fail(verb, MS_CLI_USAGE,
                                   "--header-size %s: must be 32..65535", optarg);
            }
            o->hdr_size = (uint16_t)v;
            break;
        case OPT_PAD_HEADER:
            o->pad_header = true;
            break;
        case OPT_ALIGN:
            if ((rc = parse_num(verb, "--align", optarg, &v)) != MS_CLI_OK) {
                return rc;
            }
            if (!is_one_of(v, aligns, MS_CLI_ARRAY_LEN(aligns))) {
                return ms_cli_fail(verb, MS_CLI_USAGE,
                                   "--align %s: must be 1, 2, 4, 8, 16 or 32", optarg);
            }
            o->align = v;
            break;
        case OPT_MAX_ALIGN:
            if ((rc = parse_num(verb, "--max-align", optarg, &v)) != MS_CLI_OK) {
                return rc;
            }
            if (!is_one_of(v, max_aligns, MS_CLI_ARRAY_LEN(max_aligns))) {
                return ms_cli_fail(verb, MS_CLI_USAGE,
                                   "--max-align %s: must be 8, 16 or 32", optarg);
            }
            o->max_align = v;
            break;
        case 'S':
            if ((rc = parse_num(verb, "--slot-size", optarg, &o->slot_size)) != MS_CLI_OK) {
                return rc;
            }
            break;
        case OPT_PAD:
            o->pad = true;
            break;
        case OPT_CONFIRM:
            o->confirm = true;
            o->pad = true; /* as imgtool: a confirmed image needs its trailer */
            break;
        case 'M':
            if ((rc = parse_num(verb, "--max-sectors", optarg, &o->max_sectors)) != MS_CLI_OK) {
                return rc;
            }
            break;
        case OPT_OVERWRITE_ONLY:
            o->overwrite_only = true;
            break;
        case 's':
            a->sec_cnt = optarg;
            break;
        case 'E':
            a->enc_path = optarg;
            break;
        case OPT_ENCRYPT_KEYLEN:
            if (strcmp(optarg, "128") != 0 && strcmp(optarg, "256") != 0) {
                return ms_cli_fail(verb, MS_CLI_USAGE,
                                   "--encrypt-keylen %s: must be 128 or 256", optarg);
            }
            a->enc_keylen_bits = (uint32_t)(optarg[0] == '1' ? 128 : 256);
            break;
        case 'L':
            if ((rc = parse_num(verb, "--load-addr", optarg, &a->load_addr)) != MS_CLI_OK) {
                return rc;
            }
            a->has_load_addr = true;
            break;
        case OPT_PUBKEY_FORMAT:
            if (strcmp(optarg, "hash") == 0) {
                o->full_pubkey = false;
            } else if (strcmp(optarg, "full") == 0) {
                o->full_pubkey = true;
            } else {
                return ms_cli_fail(verb, MS_CLI_USAGE,
                                   "--public-key-format %s: must be hash or full", optarg);
            }
            break;
        case 'd':
            if (!ms_cli_parse_deps(optarg, o->deps, &o->n_deps)) {
                return ms_cli_fail(verb, MS_CLI_USAGE,
                                   "bad --dependencies '%s' (want \"(ID,M.m.r+b), ...\", "
                                   "at most %u)", optarg, (unsigned)MS_IMAGE_MAX_DEPS);
            }
            break;
        case 'R':
            if (strcmp(optarg, "0") == 0) {
                o->erased_val = 0;
            } else if (strcmp(optarg, "0xff") == 0 || strcmp(optarg, "0xFF") == 0) {
                o->erased_val = 0xff;
            } else {
                return ms_cli_fail(verb, MS_CLI_USAGE, "--erased-val %s: must be 0 or 0xff",
                                   optarg);
            }
            break;
        case OPT_NON_BOOTABLE:
            o->flags |= MS_IMAGE_F_NON_BOOTABLE;
            break;
        default:
            return MS_CLI_USAGE;
        }
    }
    if (argc - optind != 2) {
        return ms_cli_fail(verb, MS_CLI_USAGE, "expected INFILE and OUTFILE (see --help)");
    }
    a->in_path = argv[optind];
    a->out_path = argv[optind + 1];
    if (a->key_path == NULL) {
        return ms_cli_fail(verb, MS_CLI_USAGE, "missing --key KEY");
    }
    if (a->version == NULL) {
        return ms_cli_fail(verb, MS_CLI_USAGE, "missing --version M.m.r+b");
    }
    if (!ms_cli_parse_version(a->version, &o->version)) {
        return ms_cli_fail(verb, MS_CLI_USAGE,
                           "bad --version '%s' (want MAJOR.MINOR.REVISION+BUILD, "
                           "e.g. 1.2.3+4)", a->version);
    }
    if (a->sec_cnt != NULL) {
        o->has_sec_cnt = true;
        if (strcmp(a->sec_cnt, "auto") == 0) {
            /* imgtool's rule: the counter follows the version (M6). */
            o->sec_cnt = ((uint32_t)o->version.major << 24) |
                         ((uint32_t)o->version.minor << 16) | o->version.revision;
        } else if (!ms_cli_parse_u32(a->sec_cnt, &o->sec_cnt)) {
            return ms_cli_fail(verb, MS_CLI_USAGE,
                               "bad --security-counter '%s' (a number or auto)", a->sec_cnt);
        }
    }
    if (a->has_load_addr) {
        o->load_addr = a->load_addr;
        if (a->load_addr != 0) {
            o->flags |= MS_IMAGE_F_RAM_LOAD;
        }
    }
    if (o->pad && o->slot_size == 0) {
        return ms_cli_fail(verb, MS_CLI_USAGE, "--pad and --confirm need --slot-size");
    }
    if (a->enc_keylen_bits != 0 && a->enc_path == NULL) {
        return ms_cli_fail(verb, MS_CLI_USAGE, "--encrypt-keylen needs --encrypt KEY");
    }
    return MS_CLI_OK;
}

/* ---- streaming output ----------------------------------------------------- */

/*
 * A writer thread, so the payload is written while it is hashed: sign's
 * time becomes about max(hash, write) instead of their sum. Jobs are
 * written in order; the ring has N_JOBS entries, so for encrypted images
 * job i's buffer is free again once job i + N_JOBS may be queued. An
 * encrypted job also carries its plaintext: the writer encrypts it with
 * ms_image_signer_encrypt() (the signer's split mode) while the main
 * thread hashes the next chunk, so hashing, AES and writing use both CPUs.
 * After an error the writer keeps draining without writing.
 */
#define N_JOBS 8u
#define ENC_CHUNK (256u << 10)   /* encrypted payload: buffers of 256 KiB */
#define PLAIN_CHUNK (8u << 20)   /* plain payload: written from the input */
#define PAD_CHUNK (64u << 10)    /* slot padding */

typedef struct writer {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ms_cli_stream_t *out;
    ms_image_signer_t *signer;
    const uint8_t *plain[N_JOBS];   /* to encrypt into ptr first, or NULL */
    uint8_t *cipher[N_JOBS];
    const uint8_t *ptr[N_JOBS];
    size_t len[N_JOBS];
    unsigned head;               /* jobs queued */
    unsigned tail;               /* jobs written */
    bool closing;
    int err;                     /* first errno from write */
    ms_err_t enc_err;            /* first error from encrypt */
} writer_t;

static void *writer_main(void *arg)
{
    writer_t *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->head == w->tail && !w->closing) {
            pthread_cond_wait(&w->cv, &w->mu);
        }
        if (w->head == w->tail) {
            break;
        }
        unsigned i = w->tail % N_JOBS;
        bool failed = w->err != 0 || w->enc_err != MS_OK;
        pthread_mutex_unlock(&w->mu);
        ms_err_t ee = MS_OK;
        int e = 0;
        if (!failed && w->plain[i] != NULL) {
            ee = ms_image_signer_encrypt(w->signer, w->plain[i], w->cipher[i], w->len[i]);
        }
        if (!failed && ee == MS_OK) {
            e = ms_cli_stream_write(w->out, w->ptr[i], w->len[i]);
        }
        pthread_mutex_lock(&w->mu);
        if (e != 0 && w->err == 0) {
            w->err = e;
        }
        if (ee != MS_OK && w->enc_err == MS_OK) {
            w->enc_err = ee;
        }
        w->tail++;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static int writer_start(writer_t *w, ms_cli_stream_t *out, ms_image_signer_t *signer)
{
    memset(w, 0, sizeof(*w));
    w->out = out;
    w->signer = signer;
    if (pthread_mutex_init(&w->mu, NULL) != 0) {
        return EAGAIN;
    }
    if (pthread_cond_init(&w->cv, NULL) != 0) {
        pthread_mutex_destroy(&w->mu);
        return EAGAIN;
    }
    int e = pthread_create(&w->thread, NULL, writer_main, w);
    if (e != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
    }
    return e;
}

/* Index of the ring entry the next job will use, once it is free. */
static unsigned writer_wait_slot(writer_t *w)
{
    pthread_mutex_lock(&w->mu);
    while (w->head - w->tail >= N_JOBS) {
        pthread_cond_wait(&w->cv, &w->mu);
    }
    unsigned i = w->head % N_JOBS;
    pthread_mutex_unlock(&w->mu);
    return i;
}

/* Queue len bytes at p for writing; with plain != NULL, encrypt plain into
 * p (a buffer of the writer's) first. */
static void writer_queue(writer_t *w, const uint8_t *plain, uint8_t *buf, const uint8_t *p,
                         size_t len)
{
    pthread_mutex_lock(&w->mu);
    while (w->head - w->tail >= N_JOBS) {
        pthread_cond_wait(&w->cv, &w->mu);
    }
    w->plain[w->head % N_JOBS] = plain;
    w->cipher[w->head % N_JOBS] = buf;
    w->ptr[w->head % N_JOBS] = p;
    w->len[w->head % N_JOBS] = len;
    w->head++;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

/* Wait for every queued job; returns the first write error (errno) or 0,
 * and the first encryption error in *enc_err. */
static int writer_stop(writer_t *w, ms_err_t *enc_err)
{
    pthread_mutex_lock(&w->mu);
    w->closing = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    *enc_err = w->enc_err;
    return w->err;
}

/*
 * Stream the payload through the signer and the writer. Plain: the output
 * bytes are the input bytes, so the writer writes straight from the input
 * mapping while this thread hashes. Encrypted: this thread hashes each
 * chunk (split mode) and queues it; the writer encrypts it into one of
 * N_JOBS buffers and writes it. Returns MS_OK or the signer's error;
 * *werr gets the writer's errno.
 */
static ms_err_t stream_payload(ms_image_signer_t *s, const ms_image_sign_opts_t *o,
                               const uint8_t *p, size_t len, ms_cli_stream_t *out,
                               uint8_t *bufs, int *werr)
{
    writer_t w;
    ms_err_t err = MS_OK, enc_err = MS_OK;
    *werr = writer_start(&w, out, s);
    if (*werr != 0) {
        return MS_OK;
    }
    for (size_t done = 0; done < len && err == MS_OK;) {
        if (o->enc_pub == NULL) {
            size_t n = len - done < PLAIN_CHUNK ? len - done : PLAIN_CHUNK;
            writer_queue(&w, NULL, NULL, p + done, n);
            err = ms_image_signer_update(s, p + done, NULL, n);
            done += n;
        } else {
            size_t n = len - done < ENC_CHUNK ? len - done : ENC_CHUNK;
            err = ms_image_signer_update(s, p + done, NULL, n); /* hash: M7 */
            if (err == MS_OK) {
                uint8_t *buf = bufs + (size_t)writer_wait_slot(&w) * ENC_CHUNK;
                writer_queue(&w, p + done, buf, buf, n);
            }
            done += n;
        }
    }
    *werr = writer_stop(&w, &enc_err);
    return err != MS_OK ? err : enc_err;
}

/* Map an error of the image library to sign's message. */
static int sign_fail(const char *verb, ms_err_t err, const sign_args_t *a,
                     const ms_image_sign_opts_t *o)
{
    if (err == MS_ERR_IMG_TOO_LARGE) {
        return ms_cli_fail_err(verb, err, "%s does not fit a slot of %lu bytes", a->in_path,
                               (unsigned long)o->slot_size);
    }
    if (err == MS_ERR_ARG && !o->pad_header) {
        return ms_cli_fail_err(verb, err, "%s must begin with --header-size zero bytes "
                               "(or use --pad-header)", a->in_path);
    }
    return ms_cli_fail_err(verb, err, "%s", a->in_path);
}

/* Everything after the payload: tail from finish, then slot padding. */
static int write_rest(const char *verb, const sign_args_t *a, const ms_image_sign_opts_t *o,
                      ms_image_signer_t *s, ms_cli_stream_t *out, size_t *total)
{
    uint8_t tail[MS_IMAGE_SIGNER_TAIL_MAX];
    size_t tail_len = 0;
    ms_image_sign_trailer_t t;
    ms_err_t err = ms_image_signer_finish(s, tail, sizeof(tail), &tail_len);
    if (err == MS_OK) {
        err = ms_image_signer_trailer(s, &t);
    }
    if (err != MS_OK) {
        return sign_fail(verb, err, a, o);
    }
    int e = ms_cli_stream_write(out, tail, tail_len);
    *total = t.pad_off;
    if (e == 0 && t.pad) {
        uint8_t *buf = malloc(PAD_CHUNK);
        if (buf == NULL) {
            return ms_cli_fail(verb, MS_CLI_IO, "out of memory");
        }
        for (uint32_t at = t.pad_off; e == 0 && at < t.slot_size;) {
            size_t n = t.slot_size - at < PAD_CHUNK ? t.slot_size - at : PAD_CHUNK;
            (void)ms_image_trailer_fill(&t, at, buf, n);
            e = ms_cli_stream_write(out, buf, n);
            at += (uint32_t)n;
        }
        free(buf);
        *total = t.slot_size;
    }
    if (e != 0) {
        return ms_cli_fail(verb, MS_CLI_IO, "cannot write %s: %s", out->path, strerror(e));
    }
    return MS_CLI_OK;
}

/*
 * Header, payload, tail and padding, in file order, to a temporary file
 * renamed over OUTFILE only when all of it was written.
 */
static int sign_to_file(const char *verb, const sign_args_t *a, const ms_image_sign_opts_t *o,
                        const ms_p256_priv_t *key, const ms_cli_file_t *in, char *summary,
                        size_t summary_cap)
{
    ms_image_signer_t s;
    ms_cli_stream_t out;
    size_t off = 0, total = 0;
    uint8_t *buf = NULL;
    int rc, werr = 0;
    ms_err_t err = ms_image_sign_payload_off(o, in->data, in->len, &off);
    if (err == MS_OK) {
        err = ms_image_signer_init(&s, key, o, in->len - off);
    }
    if (err != MS_OK) {
        return sign_fail(verb, err, a, o); /* nothing written yet */
    }
    /* The header area, then (encrypted) the chunk buffers, in one block. */
    size_t buf_len = o->hdr_size + (o->enc_pub != NULL ? (size_t)N_JOBS * ENC_CHUNK : 0u);
    buf = malloc(buf_len);
    if (buf == NULL) {
        ms_image_signer_abort(&s);
        return ms_cli_fail(verb, MS_CLI_IO, "out of memory");
    }
    if ((rc = ms_cli_stream_open(verb, a->out_path, &out)) != MS_CLI_OK) {
        ms_image_signer_abort(&s);
        free(buf);
        return rc;
    }
    (void)ms_image_signer_header(&s, buf, o->hdr_size);
    werr = ms_cli_stream_write(&out, buf, o->hdr_size);
    if (werr == 0) {
        err = stream_payload(&s, o, in->data + off, in->len - off, &out, buf + o->hdr_size,
                             &werr);
    }
    if (werr != 0) {
        rc = ms_cli_fail(verb, MS_CLI_IO, "cannot write %s: %s", a->out_path, strerror(werr));
    } else if (err != MS_OK) {
        rc = sign_fail(verb, err, a, o);
    } else {
        rc = write_rest(verb, a, o, &s, &out, &total);
    }
    if (o->enc_pub != NULL) {
        ms_secure_zero(buf, buf_len);
    }
    free(buf);
    if (rc != MS_CLI_OK) {
        ms_image_signer_abort(&s);
        ms_cli_stream_abort(&out);
        return rc;
    }
    uint8_t hash[MS_SHA256_LEN];
    char ver[32], hex[2 * MS_SHA256_LEN + 1];
    (void)ms_image_signer_hash(&s, hash);
    ms_image_signer_abort(&s);
    ms_cli_format_version(&o->version, ver, sizeof(ver));
    ms_cli_hex(hash, sizeof(hash), hex);
    snprintf(summary, summary_cap, "version %s, %zu bytes%s%s, sha256 %s", ver, total,
             o->enc_pub != NULL ? (o->enc_key_len == 32 ? ", AES-256 encrypted"
                                                        : ", AES-128 encrypted")
                                : "",
             o->confirm ? ", confirmed" : (o->pad ? ", padded" : ""), hex);
    return ms_cli_stream_commit(verb, &out);
}

static int cmd_sign(int argc, char **argv)
{
    const char *verb = "sign";
    sign_args_t a;
    ms_image_sign_opts_t o;
    ms_p256_priv_t key;
    ms_p256_pub_t key_pub, enc_pub;
    ms_cli_file_t in;
    int rc;

    if (ms_cli_wants_help(argc, argv)) {
        fputs(sign_help, stdout);
        return MS_CLI_OK;
    }
    memset(&a, 0, sizeof(a));
    ms_image_sign_opts_init(&o);
    if ((rc = parse_sign_args(argc, argv, &a, &o)) != MS_CLI_OK) {
        return rc;
    }
    if (a.enc_path != NULL) {
        /* imgtool accepts the encryption key pair's private file too. */
        if ((rc = ms_cli_load_key(verb, a.enc_path, false, NULL, &enc_pub)) != MS_CLI_OK) {
            return rc;
        }
        o.enc_pub = &enc_pub;
        o.enc_key_len = a.enc_keylen_bits == 256 ? 32u : 16u;
    }
    if ((rc = ms_cli_load_key(verb, a.key_path, true, &key, &key_pub)) != MS_CLI_OK) {
        return rc;
    }
    if ((rc = ms_cli_file_open(verb, a.in_path, &in)) != MS_CLI_OK) {
        ms_secure_zero(&key, sizeof(key));
        return rc;
    }
    char summary[256];
    summary[0] = '\0';
    rc = sign_to_file(verb, &a, &o, &key, &in, summary, sizeof(summary));
    ms_secure_zero(&key, sizeof(key));
    ms_cli_file_close(&in, false);
    if (rc == MS_CLI_OK && strcmp(a.out_path, "-") != 0) {
        printf("signed %s -> %s: %s\n", a.in_path, a.out_path, summary);
    }
    return rc;
}

static const ms_cli_verb_t verbs[] = {
    { "sign", "sign (and encrypt) a firmware binary into an MCUboot image", cmd_sign },
};

const ms_cli_group_t ms_cli_group_sign = { "sign", verbs, MS_CLI_ARRAY_LEN(verbs) };
