/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_inspect.c - `meterseal inspect`: show what an image holds without
 * judging it: header, protected and unprotected TLVs with their names, and
 * the MCUboot trailer when the file is a padded slot (magic, image_ok,
 * copy_done, swap_info, swap_size).
 *
 * --json prints the shape of imgtool's `dumpinfo -f json` (same keys, same
 * value types) so the two outputs can be compared field by field.
 *
 * The offsets come from the library (ms_image_parse, ms_tlv_iter_*,
 * ms_trailer_layout); this file only formats. Invariant: every byte read
 * is inside the mapped file (TLV data is bounds-checked again here).
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char inspect_help[] =
    "usage: meterseal inspect [--json] IMAGE\n"
    "\n"
    "Print an image's header, TLV areas and (for a padded slot) trailer.\n"
    "\n"
    "      --json   machine-readable, in the shape of imgtool dumpinfo -f json\n"
    "  -h, --help   this text\n";

/* imgtool's TLV names (TLV_VALUES in imgtool/image.py). */
static const char *tlv_name(uint16_t type)
{
    switch (type) {
    case 0x01: return "KEYHASH";
    case 0x02: return "PUBKEY";
    case 0x10: return "SHA256";
    case 0x11: return "SHA384";
    case 0x12: return "SHA512";
    case 0x20: return "RSA2048";
    case 0x22: return "ECDSASIG";
    case 0x23: return "RSA3072";
    case 0x24: return "ED25519";
    case 0x25: return "SIG_PURE";
    case 0x30: return "ENCRSA2048";
    case 0x31: return "ENCKW";
    case 0x32: return "ENCEC256";
    case 0x33: return "ENCX25519";
    case 0x40: return "DEPENDENCY";
    case 0x50: return "SEC_CNT";
    case 0x60: return "BOOT_RECORD";
    case 0x70: return "DECOMP_SIZE";
    case 0x71: return "DECOMP_SHA";
    case 0x72: return "DECOMP_SIGNATURE";
    default: return "UNKNOWN";
    }
}

static const struct {
    uint32_t bit;
    const char *name;
} header_flags[] = {
    { MS_IMAGE_F_PIC, "PIC" },
    { MS_IMAGE_F_ENCRYPTED_AES128, "ENCRYPTED_AES128" },
    { MS_IMAGE_F_ENCRYPTED_AES256, "ENCRYPTED_AES256" },
    { MS_IMAGE_F_NON_BOOTABLE, "NON_BOOTABLE" },
    { MS_IMAGE_F_RAM_LOAD, "RAM_LOAD" },
};

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

/* Print len bytes of hex, no separators. */
static void put_hex(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        printf("%02x", p[i]);
    }
}

/* The trailer as found at the end of a padded slot. */
typedef struct trailer_view {
    bool present;        /* the file extends past the TLVs */
    bool magic_ok;       /* the last 16 bytes are a trailer magic imgtool writes */
    uint32_t max_align;  /* the one that magic stands for (8, 16 or 32) */
    const uint8_t *magic;
    ms_trailer_layout_t lay;
    bool has_fields;
    uint8_t image_ok, copy_done, swap_info;
    uint32_t swap_size;
    uint32_t key_field_len;  /* imgtool's estimate, 0 when not encrypted */
} trailer_view_t;

static void read_trailer(const ms_cli_file_t *f, const ms_image_info_t *info, trailer_view_t *t)
{
    memset(t, 0, sizeof(*t));
    if (f->len <= info->end || f->len < 16u || f->len > UINT32_MAX) {
        return;
    }
    t->present = true;
    t->magic = f->data + f->len - 16u;
    /* The standard magic means max_align 8 (as imgtool dumpinfo assumes);
     * imgtool writes an alternative magic, which names the alignment, for
     * --max-align 16 and 32. */
    static const uint32_t max_aligns[] = { 8, 16, 32 };
    for (size_t i = 0; i < MS_CLI_ARRAY_LEN(max_aligns) && !t->magic_ok; i++) {
        uint8_t m[16];
        if (ms_trailer_magic_for(max_aligns[i], m) == MS_OK && memcmp(t->magic, m, 16) == 0) {
            t->magic_ok = true;
            t->max_align = max_aligns[i];
        }
    }
    if (!t->magic_ok) {
        return;
    }
    size_t enc_len = 0;
    bool encrypted = ms_image_enc_key_len(&info->hdr, &enc_len) == MS_OK && enc_len != 0;
    /* imgtool estimates the key field as two 16-byte keys aligned up. The
     * fields read below sit at fixed distances from the slot's end, so the
     * write alignment (unknown here) does not move them. */
    t->key_field_len = encrypted ? 32u : 0u;
    if (ms_trailer_layout((uint32_t)f->len, 8, t->max_align, 128, false, t->key_field_len,
                          &t->lay) != MS_OK) {
        return;
    }
    if (t->lay.swap_size_off + 4u > f->len || t->lay.image_ok_off >= f->len ||
        t->lay.copy_done_off >= f->len || t->lay.swap_info_off >= f->len) {
        return;
    }
    t->has_fields = true;
    t->image_ok = f->data[t->lay.image_ok_off];
    t->copy_done = f->data[t->lay.copy_done_off];
    t->swap_info = f->data[t->lay.swap_info_off];
    t->swap_size = le32(f->data + t->lay.swap_size_off);
}

/* ---- JSON (imgtool dumpinfo shape) ------------------------------------------ */

static ms_err_t json_tlvs(const ms_cli_file_t *f, const ms_image_reader_t *r,
                          const ms_image_info_t *info, bool prot)
{
    ms_tlv_iter_t it;
    uint16_t type, len;
    uint32_t off;
    bool first = true;
    ms_err_t err = ms_tlv_iter_begin(&it, r, info, prot);
    printf("[");
    while (err == MS_OK && (err = ms_tlv_iter_next(&it, &type, &off, &len)) == MS_OK) {
        if ((size_t)off + len > f->len) {
            return MS_ERR_IMG_TLV_BOUNDS;
        }
        printf("%s\n      {\n        \"type\": %u,\n        \"type_name\": \"%s\",\n"
               "        \"len\": %u,\n        \"data\": \"",
               first ? "" : ",", (unsigned)type, tlv_name(type), (unsigned)len);
        put_hex(f->data + off, len);
        printf("\"\n      }");
        first = false;
    }
    printf(first ? "]" : "\n    ]");
    return err == MS_ERR_NOT_FOUND ? MS_OK : err;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s != NULL ? s + 1 : path;
}

static ms_err_t print_json(const char *path, const ms_cli_file_t *f,
                           const ms_image_reader_t *r, const ms_image_info_t *info)
{
    const ms_image_header_t *h = &info->hdr;
    char ver[32];
    ms_err_t err;
    ms_cli_format_version(&h->version, ver, sizeof(ver));

    printf("{\n  \"filename\": \"");
    for (const char *p = base_name(path); *p != '\0'; p++) {
        if (*p == '"' || *p == '\\') {
            printf("\\%c", *p);
        } else if ((unsigned char)*p < 0x20) {
            printf("\\u%04x", (unsigned)(unsigned char)*p);
        } else {
            putchar(*p);
        }
    }
    printf("\",\n");
    printf("  \"header\": {\n    \"magic\": %lu,\n    \"load_addr\": %lu,\n"
           "    \"hdr_size\": %u,\n    \"protected_tlv_size\": %u,\n"
           "    \"img_size\": %lu,\n    \"flags\": %lu,\n    \"version\": \"%s\"\n  },\n",
           (unsigned long)h->magic, (unsigned long)h->load_addr, (unsigned)h->hdr_size,
           (unsigned)h->protect_tlv_size, (unsigned long)h->img_size,
           (unsigned long)h->flags, ver);
    printf("  \"tlv_area\": {\n    \"tlv_hdr_prot\": {");
    if (h->protect_tlv_size != 0) {
        const uint8_t *p = f->data + info->prot_tlv_off;
        printf("\n      \"magic\": %u,\n      \"tlv_tot\": %u\n    },\n",
               (unsigned)le16(p), (unsigned)le16(p + 2));
        printf("    \"tlvs_prot\": ");
        if ((err = json_tlvs(f, r, info, true)) != MS_OK) {
            return err;
        }
        printf(",\n");
    } else {
        printf("},\n    \"tlvs_prot\": [],\n");
    }
    const uint8_t *p = f->data + info->tlv_off;
    printf("    \"tlv_hdr\": {\n      \"magic\": %u,\n      \"tlv_tot\": %u\n    },\n",
           (unsigned)le16(p), (unsigned)le16(p + 2));
    printf("    \"tlvs\": ");
    if ((err = json_tlvs(f, r, info, false)) != MS_OK) {
        return err;
    }
    printf("\n  },\n  \"trailer\": {");

    trailer_view_t t;
    read_trailer(f, info, &t);
    if (t.present) {
        printf("\n    \"magic\": \"");
        put_hex(t.magic, 16);
        printf("\"");
        if (t.has_fields) {
            printf(",\n    \"image_ok\": %u,\n    \"copy_done\": %u,\n    \"swap_info\": %u,\n"
                   "    \"swap_size\": %lu", (unsigned)t.image_ok, (unsigned)t.copy_done,
                   (unsigned)t.swap_info, (unsigned long)t.swap_size);
            if (t.key_field_len != 0) {
                printf(",\n    \"key_field_len\": %lu", (unsigned long)t.key_field_len);
            }
        }
        printf("\n  ");
    }
    printf("}\n}\n");
    return MS_OK;
}

/* ---- human table -------------------------------------------------------------- */

static ms_err_t human_tlvs(const ms_cli_file_t *f, const ms_image_reader_t *r,
                           const ms_image_info_t *info, bool prot)
{
    ms_tlv_iter_t it;
    uint16_t type, len;
    uint32_t off;
    ms_err_t err = ms_tlv_iter_begin(&it, r, info, prot);
    while (err == MS_OK && (err = ms_tlv_iter_next(&it, &type, &off, &len)) == MS_OK) {
        if ((size_t)off + len > f->len) {
            return MS_ERR_IMG_TLV_BOUNDS;
        }
        printf("  %-12s 0x%02x  len %-4u ", tlv_name(type), (unsigned)type, (unsigned)len);
        for (uint16_t i = 0; i < len; i += 32) {
            if (i != 0) {
                printf("\n%30s", "");
            }
            put_hex(f->data + off + i, (size_t)(len - i) < 32u ? (size_t)(len - i) : 32u);
        }
        printf("\n");
    }
    return err == MS_ERR_NOT_FOUND ? MS_OK : err;
}

static const char *status_name(uint8_t v)
{
    switch (v) {
    case 0x01: return "SET";
    case 0x02: return "BAD";
    case 0x03: return "UNSET";
    case 0x04: return "ANY";
    case 0xff: return "erased";
    default: return "invalid";
    }
}

static ms_err_t print_human(const char *path, const ms_cli_file_t *f,
                            const ms_image_reader_t *r, const ms_image_info_t *info)
{
    const ms_image_header_t *h = &info->hdr;
    char ver[32];
    ms_err_t err;
    ms_cli_format_version(&h->version, ver, sizeof(ver));

    printf("image %s: %zu bytes, image ends at 0x%lx\n\n", path, f->len,
           (unsigned long)info->end);
    printf("header (offset 0x0)\n");
    printf("  magic               0x%08lx\n", (unsigned long)h->magic);
    printf("  load_addr           0x%lx\n", (unsigned long)h->load_addr);
    printf("  hdr_size            0x%x\n", (unsigned)h->hdr_size);
    printf("  protected_tlv_size  0x%x\n", (unsigned)h->protect_tlv_size);
    printf("  img_size            0x%lx (%lu)\n", (unsigned long)h->img_size,
           (unsigned long)h->img_size);
    printf("  flags               0x%lx", (unsigned long)h->flags);
    for (size_t i = 0; i < MS_CLI_ARRAY_LEN(header_flags); i++) {
        if (h->flags & header_flags[i].bit) {
            printf(" %s", header_flags[i].name);
        }
    }
    printf("\n  version             %s\n\n", ver);
    printf("payload (offset 0x%lx, 0x%lx bytes)\n\n", (unsigned long)info->payload_off,
           (unsigned long)h->img_size);
    if (h->protect_tlv_size != 0) {
        const uint8_t *p = f->data + info->prot_tlv_off;
        printf("protected TLV area (offset 0x%lx, magic 0x%04x, size 0x%x)\n",
               (unsigned long)info->prot_tlv_off, (unsigned)le16(p), (unsigned)le16(p + 2));
        if ((err = human_tlvs(f, r, info, true)) != MS_OK) {
            return err;
        }
        printf("\n");
    }
    const uint8_t *p = f->data + info->tlv_off;
    printf("TLV area (offset 0x%lx, magic 0x%04x, size 0x%x)\n", (unsigned long)info->tlv_off,
           (unsigned)le16(p), (unsigned)le16(p + 2));
    if ((err = human_tlvs(f, r, info, false)) != MS_OK) {
        return err;
    }

    trailer_view_t t;
    read_trailer(f, info, &t);
    if (!t.present) {
        printf("\nno trailer (the file ends with the TLV area: not a padded slot)\n");
        return MS_OK;
    }
    printf("\ntrailer (slot of 0x%zx bytes, padding from 0x%lx)\n", f->len,
           (unsigned long)info->end);
    printf("  magic      ");
    put_hex(t.magic, 16);
    if (t.magic_ok) {
        printf(" (good, max_align %lu)\n", (unsigned long)t.max_align);
    } else {
        printf(" (not MCUboot's trailer magic: no trailer fields)\n");
    }
    if (t.has_fields) {
        printf("  image_ok   0x%02x (%s)  at 0x%lx\n", (unsigned)t.image_ok,
               status_name(t.image_ok), (unsigned long)t.lay.image_ok_off);
        printf("  copy_done  0x%02x (%s)  at 0x%lx\n", (unsigned)t.copy_done,
               status_name(t.copy_done), (unsigned long)t.lay.copy_done_off);
        printf("  swap_info  0x%02x  at 0x%lx\n", (unsigned)t.swap_info,
               (unsigned long)t.lay.swap_info_off);
        if (t.swap_size == 0xffffffffu) {
            printf("  swap_size  unknown (erased)  at 0x%lx\n", (unsigned long)t.lay.swap_size_off);
        } else {
            printf("  swap_size  0x%lx  at 0x%lx\n", (unsigned long)t.swap_size,
                   (unsigned long)t.lay.swap_size_off);
        }
        if (t.key_field_len != 0) {
            printf("  enc keys   %lu bytes (estimate, as imgtool)\n",
                   (unsigned long)t.key_field_len);
        }
    }
    return MS_OK;
}

static int cmd_inspect(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { NULL, 0, NULL, 0 },
    };
    const char *verb = "inspect";
    bool json = false;
    int c, rc;

    if (ms_cli_wants_help(argc, argv)) {
        fputs(inspect_help, stdout);
        return MS_CLI_OK;
    }
    ms_cli_getopt_reset();
    while ((c = ms_cli_getopt(verb, argc, argv, "", opts)) != -1) {
        switch (c) {
        case 'j':
            json = true;
            break;
        default:
            return MS_CLI_USAGE;
        }
    }
    if (argc - optind != 1) {
        return ms_cli_fail(verb, MS_CLI_USAGE, "expected one IMAGE (see --help)");
    }
    const char *path = argv[optind];
    ms_cli_file_t f;
    if ((rc = ms_cli_file_open(verb, path, &f)) != MS_CLI_OK) {
        return rc;
    }
    if (f.len > UINT32_MAX) {
        ms_cli_file_close(&f, false);
        return ms_cli_fail(verb, MS_CLI_FAIL, "%s: larger than 4 GiB, not an image", path);
    }
    ms_image_reader_t r;
    ms_image_mem_t mem;
    ms_image_info_t info;
    ms_image_reader_mem(&r, &mem, f.data, f.len);
    ms_err_t err = ms_image_parse(&r, &info);
    if (err == MS_OK) {
        err = json ? print_json(path, &f, &r, &info) : print_human(path, &f, &r, &info);
    }
    ms_cli_file_close(&f, false);
    if (err != MS_OK) {
        fflush(stdout);
        return ms_cli_fail_err(verb, err, err == MS_ERR_BAD_MAGIC ? "%s: not an MCUboot image"
                                                                  : "%s", path);
    }
    return MS_CLI_OK;
}

static const ms_cli_verb_t verbs[] = {
    { "inspect", "show an image's header, TLVs and trailer (--json: imgtool dumpinfo)",
      cmd_inspect },
};

const ms_cli_group_t ms_cli_group_inspect = { "inspect", verbs, MS_CLI_ARRAY_LEN(verbs) };
