/* SPDX-License-Identifier: GPL-2.0 */
/* What the formats of `memx dump` share: the dump's state and its I/O. */
#ifndef MEMX_DUMP_H
#define MEMX_DUMP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "memx_lib.h"

#define CHUNK		(1024UL * 1024)
#define PAGE		4096UL
#define MAX_JOBS	64

struct dump {
	int mem, kmem, out;
	const char *path;	/* as given; "-" is standard output */
	char *tmp;		/* the temporary name a file is written to */
	int stream;		/* output cannot seek: raw pads holes */
	uint64_t first, last;	/* --range, end exclusive */
	const char *compress;	/* kdump: --compress */
	unsigned int jobs;	/* kdump: -j, threads compressing */
	struct memx_seg *seg;	/* (elf: the kernel image,) then RAM */
	unsigned int nseg, nram, cap;
	uint64_t total, done, bad_pages, pos;
	double start, shown;
	int progress;
	uint8_t *buf;
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
 * returned alone and counted in d->bad_pages.
 */
ssize_t dump_read(struct dump *d, void *buf, uint64_t addr, size_t len);

/* The progress line on a terminal; @last ends it. */
void dump_progress(struct dump *d, int last);

/* The VMCOREINFO note, read through memx, in *@note; its length or 0. */
size_t dump_note(struct dump *d, uint8_t **note);

/* --format kdump; --compress NAME is known to it. */
int dump_kdump(struct dump *d);
int dump_codec_known(const char *name);

#endif /* MEMX_DUMP_H */
