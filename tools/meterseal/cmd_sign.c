/*
 * cmd_sign.c - `meterseal sign`: build a signed (and optionally encrypted)
 * MCUboot image from a raw firmware binary, with imgtool 2.x's option
 * names so the two tools can be swapped in a build script.
 *
 * The image itself is built by ms_image_sign() (meterseal/image.h): this
 * file only maps the input, turns options into ms_image_sign_opts_t, and
 * writes the result. The vendor signs first and then encrypts (M7); the
 * security counter TLV (M6) comes from --security-counter.
 *
 * Invariants: the input is mapped, not copied; the output is built in one
 * heap buffer and written once; the signing key is wiped after use.
 */
#include "cli.h"

#include <stdio.h>
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

/* Room for the TLV areas of any image this tool builds. */
#define SIGN_TLV_ROOM 2048u

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

    size_t cap = in.len + (o.pad_header ? o.hdr_size : 0u) + SIGN_TLV_ROOM;
    if (o.pad && o.slot_size > cap) {
        cap = o.slot_size;
    }
    ms_cli_out_t out;
    size_t out_len = 0;
    ms_err_t err = MS_OK;
    rc = ms_cli_out_begin(verb, a.out_path, cap, &out);
    if (rc == MS_CLI_OK) {
        err = ms_image_sign(in.data, in.len, &key, &o, out.data, cap, &out_len);
        if (err == MS_ERR_BUFFER_TOO_SMALL && out_len > cap) {
            cap = out_len;
            ms_cli_out_abort(&out);
            rc = ms_cli_out_begin(verb, a.out_path, cap, &out);
            if (rc == MS_CLI_OK) {
                err = ms_image_sign(in.data, in.len, &key, &o, out.data, cap, &out_len);
            }
        }
    }
    ms_secure_zero(&key, sizeof(key));
    ms_cli_file_close(&in, false);
    if (rc != MS_CLI_OK) {
        return rc;
    }
    if (err != MS_OK) {
        ms_cli_out_abort(&out);
        if (err == MS_ERR_IMG_TOO_LARGE) {
            return ms_cli_fail_err(verb, err, "%s does not fit a slot of %lu bytes",
                                   a.in_path, (unsigned long)o.slot_size);
        }
        if (err == MS_ERR_ARG && !o.pad_header) {
            return ms_cli_fail_err(verb, err, "%s must begin with --header-size zero bytes "
                                   "(or use --pad-header)", a.in_path);
        }
        return ms_cli_fail_err(verb, err, "%s", a.in_path);
    }

    /* A one-line summary from what the library reads back. */
    char summary[256];
    summary[0] = '\0';
    {
        ms_image_reader_t r;
        ms_image_mem_t mem;
        ms_image_info_t info;
        ms_image_reader_mem(&r, &mem, out.data, out_len);
        if (ms_image_parse(&r, &info) == MS_OK) {
            char ver[32], hash[2 * MS_SHA256_LEN + 1];
            ms_cli_format_version(&info.hdr.version, ver, sizeof(ver));
            ms_cli_hex(info.sha256, sizeof(info.sha256), hash);
            snprintf(summary, sizeof(summary), "version %s, %zu bytes%s%s, sha256 %s", ver,
                     out_len,
                     o.enc_pub != NULL ? (o.enc_key_len == 32 ? ", AES-256 encrypted"
                                                              : ", AES-128 encrypted")
                                       : "",
                     o.confirm ? ", confirmed" : (o.pad ? ", padded" : ""), hash);
        }
    }
    rc = ms_cli_out_commit(verb, &out, out_len);
    if (rc == MS_CLI_OK && strcmp(a.out_path, "-") != 0) {
        printf("signed %s -> %s: %s\n", a.in_path, a.out_path, summary);
    }
    return rc;
}

static const ms_cli_verb_t verbs[] = {
    { "sign", "sign (and encrypt) a firmware binary into an MCUboot image", cmd_sign },
};

const ms_cli_group_t ms_cli_group_sign = { "sign", verbs, MS_CLI_ARRAY_LEN(verbs) };
