/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pool.c - the first-fit allocator of pool.h: Mbed TLS's allocations and the
 * DRBG of the MCU backend, in a region each partition owns, with every byte
 * of the allocator's state inside that region (layout and invariants:
 * pool.h).
 *
 * Invariants (beyond pool.h's):
 *   - No global and no static: a partition confined by the MPU to its own
 *     memory can run this code on its own region.
 *   - Headers are read and written with memcpy, so nothing here depends on
 *     the region's declared type; blocks start on 8-byte boundaries of the
 *     region, so the payloads callers get are 8-byte aligned.
 *   - Every walk goes from the first block and trusts a header only after
 *     block_at() validated it; offsets strictly increase by at least 16, so
 *     no loop runs more than span / 16 times. No recursion.
 */
#include <stdint.h>
#include <string.h>

#include "pool.h"

#define POOL_MAGIC 0x4c50534du   /* "MSPL" */
#define TAG_USED   0x55534544u
#define TAG_FREE   0x46524545u
#define MIN_BLOCK  (MS_POOL_BLOCK_HEAD_LEN + MS_POOL_ALIGN)

/* Byte offsets of the pool header's words (pool.h). */
#define H_MAGIC    0u
#define H_SPAN     4u
#define H_IN_USE   8u
#define H_HIGH     12u
#define H_ROOT     16u
#define H_RESERVED 20u

_Static_assert(MS_POOL_HEAD_LEN % MS_POOL_ALIGN == 0, "blocks start aligned");
_Static_assert(MS_POOL_BLOCK_HEAD_LEN % MS_POOL_ALIGN == 0, "payloads start aligned");
_Static_assert(MS_POOL_MAX_SPAN % MS_POOL_ALIGN == 0, "span stays aligned");

static uint32_t get32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static void put32(unsigned char *p, uint32_t v)
{
    memcpy(p, &v, sizeof(v));
}

/* Wipe n bytes at p (both multiples of 8 from an aligned base: whole words);
 * volatile, so the stores are never dropped as dead. */
static void wipe(unsigned char *p, uint32_t n)
{
    volatile uint32_t *w = (volatile uint32_t *)(void *)p;
    for (uint32_t i = 0; i < n / 4u; i++) {
        w[i] = 0;
    }
}

/* The tag a block at `off` of `size` bytes carries: its state mixed with its
 * place, so a header copied elsewhere or a size overwritten no longer
 * matches. Not a secret: it catches mistakes and overruns, not an
 * adversary who can write the pool. */
static uint32_t block_tag(uint32_t off, uint32_t size, bool used)
{
    return (used ? TAG_USED : TAG_FREE) ^ (off * 0x9e3779b1u) ^ ((size << 13) | (size >> 19));
}

static void set_block(unsigned char *base, uint32_t off, uint32_t size, bool used)
{
    put32(base + off, size);
    put32(base + off + 4u, block_tag(off, size, used));
}

/* The valid block header at `off`: its size and state; false when none is
 * there (outside the chain's range, bad size, tag matching neither state). */
static bool block_at(const unsigned char *base, uint32_t span, uint32_t off,
                     uint32_t *size, bool *used)
{
    if (off < MS_POOL_HEAD_LEN || off > span - MIN_BLOCK || off % MS_POOL_ALIGN != 0) {
        return false;
    }
    uint32_t sz = get32(base + off);
    uint32_t tag = get32(base + off + 4u);
    if (sz < MIN_BLOCK || sz % MS_POOL_ALIGN != 0 || sz > span - off) {
        return false;
    }
    if (tag == block_tag(off, sz, true)) {
        *used = true;
    } else if (tag == block_tag(off, sz, false)) {
        *used = false;
    } else {
        return false;
    }
    *size = sz;
    return true;
}

/* Where the pool header of a region goes (*skip bytes in, the first 8-byte
 * boundary) and the span it manages; 0 when the region cannot hold a header
 * and one minimal block. */
static uint32_t geometry(const unsigned char *region, size_t len, size_t *skip)
{
    if (region == NULL) {
        return 0;
    }
    size_t s = (size_t)(-(uintptr_t)region & (MS_POOL_ALIGN - 1u));
    if (len < s || len - s < (size_t)MS_POOL_HEAD_LEN + MIN_BLOCK) {
        return 0;
    }
    size_t span = (len - s) & ~(size_t)(MS_POOL_ALIGN - 1u);
    if (span > MS_POOL_MAX_SPAN) {
        span = MS_POOL_MAX_SPAN;
    }
    *skip = s;
    return (uint32_t)span;
}

/* The initialised pool of a region (read only), or NULL. */
static const unsigned char *pool_peek(const unsigned char *region, size_t len, uint32_t *span)
{
    size_t skip = 0;
    uint32_t sp = geometry(region, len, &skip);
    if (sp == 0) {
        return NULL;
    }
    const unsigned char *base = region + skip;
    if (get32(base + H_MAGIC) != POOL_MAGIC || get32(base + H_SPAN) != sp) {
        return NULL;
    }
    *span = sp;
    return base;
}

/* The pool of a region, initialised first when `init` and the magic is
 * absent (the region is zeroed: one free block with a zero payload). NULL
 * when the region is too small or its header does not match it. */
static unsigned char *pool_open(unsigned char *region, size_t len, bool init, uint32_t *span)
{
    size_t skip = 0;
    uint32_t sp = geometry(region, len, &skip);
    if (sp == 0) {
        return NULL;
    }
    unsigned char *base = region + skip;
    if (get32(base + H_MAGIC) != POOL_MAGIC) {
        if (!init) {
            return NULL;
        }
        memset(base, 0, sp);
        put32(base + H_SPAN, sp);
        set_block(base, MS_POOL_HEAD_LEN, sp - MS_POOL_HEAD_LEN, false);
        put32(base + H_MAGIC, POOL_MAGIC);
    } else if (get32(base + H_SPAN) != sp) {
        return NULL;
    }
    *span = sp;
    return base;
}

void *ms_pool_calloc(unsigned char *region, size_t len, size_t n, size_t size)
{
    if (n == 0 || size == 0 || n > SIZE_MAX / size) {
        return NULL;
    }
    size_t bytes = n * size;
    uint32_t span = 0;
    unsigned char *base = pool_open(region, len, true, &span);
    if (base == NULL || bytes > span) {
        return NULL;
    }
    /* bytes <= span < 2^31: the rounding and the header cannot wrap */
    uint32_t need = (uint32_t)((bytes + MS_POOL_ALIGN - 1u) & ~(size_t)(MS_POOL_ALIGN - 1u)) +
                    MS_POOL_BLOCK_HEAD_LEN;
    uint32_t bsize = 0;
    for (uint32_t off = MS_POOL_HEAD_LEN; off < span; off += bsize) {
        bool used = false;
        if (!block_at(base, span, off, &bsize, &used)) {
            return NULL;   /* broken chain: nothing beyond it is handed out */
        }
        if (used || bsize < need) {
            continue;
        }
        if (bsize - need >= MIN_BLOCK) {
            /* split: the rest stays free (its payload is already zero) */
            set_block(base, off + need, bsize - need, false);
            bsize = need;
        }
        set_block(base, off, bsize, true);
        memset(base + off + MS_POOL_BLOCK_HEAD_LEN, 0, bsize - MS_POOL_BLOCK_HEAD_LEN);
        uint32_t in_use = get32(base + H_IN_USE) + bsize;
        put32(base + H_IN_USE, in_use);
        if (in_use > get32(base + H_HIGH)) {
            put32(base + H_HIGH, in_use);
        }
        return base + off + MS_POOL_BLOCK_HEAD_LEN;
    }
    return NULL;
}

void ms_pool_free(unsigned char *region, size_t len, void *p)
{
    if (p == NULL) {
        return;
    }
    uint32_t span = 0;
    unsigned char *base = pool_open(region, len, false, &span);
    if (base == NULL) {
        return;
    }
    uintptr_t a = (uintptr_t)p;
    uintptr_t b = (uintptr_t)base;
    if (a < b + MS_POOL_HEAD_LEN + MS_POOL_BLOCK_HEAD_LEN || a - b >= span ||
        (a - b) % MS_POOL_ALIGN != 0) {
        return;   /* not in this pool */
    }
    uint32_t target = (uint32_t)(a - b) - MS_POOL_BLOCK_HEAD_LEN;

    /* Walk to the block that starts at target, remembering its predecessor. */
    uint32_t off = MS_POOL_HEAD_LEN, bsize = 0, prev_off = 0, prev_size = 0;
    bool used = false, prev_free = false;
    for (;;) {
        if (!block_at(base, span, off, &bsize, &used)) {
            return;   /* broken chain before target */
        }
        if (off >= target) {
            break;
        }
        prev_off = off;
        prev_size = bsize;
        prev_free = !used;
        off += bsize;
    }
    if (off != target || !used || get32(base + H_ROOT) == target + MS_POOL_BLOCK_HEAD_LEN) {
        return;   /* inside a block, already free, or the root */
    }

    wipe(base + off + MS_POOL_BLOCK_HEAD_LEN, bsize - MS_POOL_BLOCK_HEAD_LEN);
    uint32_t in_use = get32(base + H_IN_USE);
    put32(base + H_IN_USE, in_use >= bsize ? in_use - bsize : 0);

    uint32_t start = off, total = bsize;
    uint32_t next = off + bsize, next_size = 0;
    bool next_used = true;
    if (next < span && block_at(base, span, next, &next_size, &next_used) && !next_used) {
        wipe(base + next, MS_POOL_BLOCK_HEAD_LEN);
        total += next_size;
    }
    if (prev_free) {
        wipe(base + off, MS_POOL_BLOCK_HEAD_LEN);
        start = prev_off;
        total += prev_size;
    }
    set_block(base, start, total, false);
}

void ms_pool_stats(const unsigned char *region, size_t len, size_t *in_use, size_t *high_water)
{
    uint32_t span = 0;
    const unsigned char *base = pool_peek(region, len, &span);
    if (in_use != NULL) {
        *in_use = base != NULL ? get32(base + H_IN_USE) : 0;
    }
    if (high_water != NULL) {
        *high_water = base != NULL ? get32(base + H_HIGH) : 0;
    }
}

void *ms_pool_root(unsigned char *region, size_t len, size_t size)
{
    uint32_t span = 0;
    unsigned char *base = pool_open(region, len, true, &span);
    if (base == NULL) {
        return NULL;
    }
    uint32_t root = get32(base + H_ROOT);
    if (root == 0) {
        unsigned char *p = ms_pool_calloc(region, len, 1, size);
        if (p != NULL) {
            put32(base + H_ROOT, (uint32_t)(p - base));
        }
        return p;
    }
    uint32_t bsize = 0;
    for (uint32_t off = MS_POOL_HEAD_LEN; off < span; off += bsize) {
        bool used = false;
        if (!block_at(base, span, off, &bsize, &used) || off + MS_POOL_BLOCK_HEAD_LEN > root) {
            return NULL;
        }
        if (off + MS_POOL_BLOCK_HEAD_LEN == root) {
            return used && bsize - MS_POOL_BLOCK_HEAD_LEN >= size ? base + root : NULL;
        }
    }
    return NULL;
}

bool ms_pool_check(const unsigned char *region, size_t len)
{
    uint32_t span = 0;
    const unsigned char *base = pool_peek(region, len, &span);
    if (base == NULL || get32(base + H_RESERVED) != 0) {
        return false;
    }
    uint32_t root = get32(base + H_ROOT);
    uint32_t sum = 0, off = MS_POOL_HEAD_LEN, bsize = 0;
    bool prev_free = false, root_seen = root == 0;
    while (off < span) {
        bool used = false;
        if (!block_at(base, span, off, &bsize, &used)) {
            return false;
        }
        if (used) {
            sum += bsize;
            root_seen = root_seen || off + MS_POOL_BLOCK_HEAD_LEN == root;
        } else {
            if (prev_free) {
                return false;
            }
            for (uint32_t i = MS_POOL_BLOCK_HEAD_LEN; i < bsize; i++) {
                if (base[off + i] != 0) {
                    return false;
                }
            }
        }
        prev_free = !used;
        off += bsize;
    }
    return off == span && root_seen && sum == get32(base + H_IN_USE) &&
           get32(base + H_HIGH) >= sum;
}
