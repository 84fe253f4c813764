/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pool.h - a first-fit allocator whose whole state lives in the byte region
 * it serves (pool.c): the Mbed TLS backend's allocations and its DRBG on the
 * MCU, one region per isolated partition (ms_crypto_pool_current(), crypto.h).
 * Internal to the crypto module; no Mbed TLS in it, so the host unit-tests it
 * (tests/crypto/test_crypto_pool.c).
 *
 * Every function takes the region (any address, any length) and finds all it
 * needs inside it: no global, no static. Layout, from the region's first
 * 8-byte boundary:
 *
 *   pool header, MS_POOL_HEAD_LEN (24) bytes, six 32-bit words:
 *     magic | span | in_use | high_water | root | reserved (0)
 *       span       bytes from the header's start to the end of the last
 *                  block (the region rounded inward to 8-byte boundaries,
 *                  at most MS_POOL_MAX_SPAN)
 *       in_use     bytes of used blocks, their headers included
 *       high_water the most in_use has ever been
 *       root       offset of the root block's payload (ms_pool_root), or 0
 *   then blocks, back to back up to span, each:
 *     block header, MS_POOL_BLOCK_HEAD_LEN (8) bytes: size | tag
 *       size  the block's bytes, header included: a multiple of 8, >= 16
 *       tag   "used" or "free" mixed with the block's offset and size: a
 *             header that does not carry one of the two values its place
 *             and size give is not a block
 *     payload, size - 8 bytes, 8-byte aligned (what calloc returns)
 *
 * Invariants:
 *   - A region whose first header word is not the magic (all zero: bss, or
 *     wiped) is initialised on first allocation: the region is zeroed and
 *     holds one free block. A header whose span disagrees with the region
 *     given is refused (nothing allocated, nothing freed).
 *   - The payload of every free block is all zero: free wipes the block (and
 *     the headers coalescing swallows), so freed memory holds no key bytes,
 *     and calloc's zeroing is a second line only.
 *   - No two free blocks are adjacent: free merges with both neighbours.
 *   - free accepts only the payload address of a used block found by walking
 *     the chain from the start; anything else (NULL aside: a no-op) - a
 *     pointer outside the region, inside a block, of a free block (double
 *     free), of the root block - is ignored and changes nothing.
 *   - Every walk validates each header before trusting it and stops at the
 *     first invalid one (a buffer overrun into a header): what lies beyond is
 *     neither allocated nor freed again. Loops are bounded by span / 16.
 *   - Not reentrant for one region (one partition runs one thing at a time).
 */
#ifndef MS_CRYPTO_POOL_H
#define MS_CRYPTO_POOL_H

#include <stdbool.h>
#include <stddef.h>

#define MS_POOL_ALIGN           8u
#define MS_POOL_HEAD_LEN        24u
#define MS_POOL_BLOCK_HEAD_LEN  8u
#define MS_POOL_MAX_SPAN        0x7ffffff8u   /* the rest of a larger region is unused */

/* Bytes a region needs so that one allocation of `bytes` fits, whatever the
 * region's alignment. */
#define MS_POOL_LEN_FOR(bytes) \
    ((MS_POOL_ALIGN - 1u) + MS_POOL_HEAD_LEN + MS_POOL_BLOCK_HEAD_LEN + \
     (((bytes) + MS_POOL_ALIGN - 1u) / MS_POOL_ALIGN) * MS_POOL_ALIGN)

/* n * size zeroed bytes, 8-byte aligned, or NULL (n or size 0, n * size
 * overflowing, no free block big enough, region refused). */
void *ms_pool_calloc(unsigned char *region, size_t len, size_t n, size_t size);

/* Wipe and release a block ms_pool_calloc returned; see the invariants for
 * what is ignored. */
void ms_pool_free(unsigned char *region, size_t len, void *p);

/* Bytes of used blocks (headers included) now and at most so far; 0, 0 for
 * a region not initialised. Either pointer may be NULL. */
void ms_pool_stats(const unsigned char *region, size_t len, size_t *in_use, size_t *high_water);

/*
 * The pool's root block: at least `size` zeroed bytes allocated by the first
 * call and returned by every later one, for state that belongs to the pool
 * for its whole life (the backend's DRBG). ms_pool_free ignores it; only
 * wiping the region releases it. NULL if it cannot be allocated or an
 * existing root is smaller than `size`.
 */
void *ms_pool_root(unsigned char *region, size_t len, size_t size);

/* True when the region is an initialised pool whose chain is intact: every
 * header valid, blocks ending exactly at span, in_use the sum of the used
 * blocks, no adjacent free blocks, every free payload zero. For tests and
 * diagnostics (it reads every byte of the free blocks). */
bool ms_pool_check(const unsigned char *region, size_t len);

#endif /* MS_CRYPTO_POOL_H */
