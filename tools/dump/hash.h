/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memx dump --hash sha256 and memx verify: the MEMX note's records, a
 * file's SHA-256 and FILE.sha256.
 */
#ifndef MEMX_HASH_H
#define MEMX_HASH_H

#include <nettle/sha2.h>
#include <stddef.h>
#include <stdint.h>

#include "layout.h"

/*
 * The MEMX note: "MEMX", type 1, a version and a count (two u32), then a
 * record per RAM range: its start, its size and its digest.
 */
#define MEMX_NOTE_NAME		"MEMX"
#define MEMX_NOTE_TYPE		1
#define MEMX_NOTE_VERSION	1
#define MEMX_NOTE_DESC_HDR	8

struct range_digest {
	uint64_t paddr, size;
	uint8_t sha256[SHA256_DIGEST_SIZE];
};

/*
 * The MEMX note's size for @n ranges; the note of @n ranges @seg, whose
 * digests follow each other at @digest, into @out.
 */
size_t hash_note_size(unsigned int n);
void hash_note(const struct memx_seg *seg, const uint8_t *digest,
	       unsigned int n, uint8_t *out);

/* PATH.sha256 of the finished file @path, in sha256sum's format; 0 or -1. */
int hash_file(const char *path);

/*
 * The SHA-256 of @size bytes at @off of @fd, or of all of it; 0, or -1
 * when they cannot all be read.  hash_hex: @len bytes as lower-case hex.
 */
int hash_span(int fd, uint64_t off, uint64_t size,
	      uint8_t out[SHA256_DIGEST_SIZE]);
int hash_fd(int fd, uint8_t out[SHA256_DIGEST_SIZE]);
void hash_hex(const uint8_t *p, size_t len, char *out);

#endif /* MEMX_HASH_H */
