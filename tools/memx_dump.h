/* SPDX-License-Identifier: GPL-2.0 */
/* What the formats of `memx dump` share: the dump's state and its I/O. */
#ifndef MEMX_DUMP_H
#define MEMX_DUMP_H

#include <nettle/sha2.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "memx_lib.h"

#define CHUNK		(1024UL * 1024)
#define PAGE		4096UL		/* the smallest page size */
#define MAX_JOBS	64

struct dump {
	int mem, kmem, out;
	const char *path;	/* as given; "-" is standard output */
	char *tmp;		/* the temporary name a file is written to */
	int stream;		/* output cannot seek: raw pads holes */
	uint64_t first, last;	/* --range, end exclusive */
	uint64_t page;		/* the kernel's page size (a kdump's block) */
	const char *compress;	/* kdump: --compress */
	unsigned int jobs;	/* kdump: -j, threads reading and compressing */
	unsigned int level;	/* kdump: --exclude, makedumpfile's -d */
	uint8_t (*digest)[SHA256_DIGEST_SIZE];	/* --hash: a segment's */
	struct memx_seg *seg;	/* (elf: the kernel image,) then RAM */
	unsigned int nseg, nram, cap;
	uint64_t total, done, bad_pages, pos;
	double start, shown;
	int progress;
	uint8_t *buf;
	const char *isf;	/* --isf: the kernel's ISF, first */
};

/*
 * All of @len bytes to the output at offset @off, or at its position for
 * -1 (dump_write); else a message naming the file and the errno.
 */
int dump_write_at(struct dump *d, const void *p, size_t len, int64_t off);
int dump_write(struct dump *d, const void *p, size_t len);

/*
 * Up to @len bytes of RAM at @addr into @buf: the count read, or -1 after a
 * message.  An unreadable page (secretmem, hwpoison) is a page of zeros,
 * returned alone with *@bad set.  Safe in several threads at once.
 */
ssize_t dump_read(struct dump *d, void *buf, uint64_t addr, size_t len,
		  int *bad);

/* The progress line on a terminal; @last ends it. */
void dump_progress(struct dump *d, int last);

/*
 * The notes an ELF or kdump dump starts with (memx_cpus.c): each online
 * CPU's NT_PRSTATUS, then VMCOREINFO's, in *@notes (to free); their length,
 * or 0 after a message.  *@info: VMCOREINFO's note's offset in them.
 */
size_t dump_notes(struct dump *d, uint8_t **notes, size_t *info);

/* --format kdump; --compress NAME is known to it. */
int dump_kdump(struct dump *d);
int dump_codec_known(const char *name);

/*
 * A page's class for --exclude; level bit 1 << (class - 1) leaves it out,
 * but for zero pages, which it counts (a kdump stores them as one).
 */
enum {
	EXCL_KEEP,
	EXCL_ZERO,		/* 1 */
	EXCL_CACHE,		/* 2, and 4 */
	EXCL_CACHE_PRIVATE,	/* 4 */
	EXCL_USER,		/* 8 */
	EXCL_FREE,		/* 16 */
	EXCL_CLASSES
};

#define VMCOREINFO_MAX	(1024 * 1024)	/* the kernel's is 4 KiB */

/*
 * The value of VMCOREINFO's "@key=" line (hex for SYMBOL()s and
 * KERNELOFFSET, as the kernel prints them): 0, or -1 when it has none.
 */
int vmcoreinfo_value(const char *info, size_t len, const char *key,
		     int64_t *value);

/*
 * The page classifier (memx_exclude.c), from VMCOREINFO's text; NULL
 * after a message.  excl_classify: the classes of frames [pfn, pfn + n),
 * called in frame order (a free block or a compound page runs on).
 */
struct excl *excl_new(struct dump *d, const char *info, size_t len);
void excl_classify(struct excl *e, uint64_t pfn, unsigned int n, uint8_t *cls);
void excl_free(struct excl *e);

/*
 * The MEMX note (memx_hash.c): "MEMX", type 1, a version and a count (two
 * u32), then a record per RAM range: its start, its size and its digest.
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
 * --hash: the MEMX note's size for @nram ranges; the note of segments
 * @first on into @out; FILE.sha256 of the finished file (0 or -1).
 */
size_t hash_note_size(unsigned int nram);
void hash_note(const struct dump *d, unsigned int first, uint8_t *out);
int hash_file(const struct dump *d);

/*
 * The SHA-256 of @size bytes at @off of @fd, or of all of it; 0, or -1
 * when they cannot all be read.  hash_hex: @len bytes as lower-case hex.
 */
int hash_span(int fd, uint64_t off, uint64_t size,
	      uint8_t out[SHA256_DIGEST_SIZE]);
int hash_fd(int fd, uint8_t out[SHA256_DIGEST_SIZE]);
void hash_hex(const uint8_t *p, size_t len, char *out);

#endif /* MEMX_DUMP_H */
