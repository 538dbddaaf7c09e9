/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memx dump as a pipeline: the RAM ranges are cut into 1 MiB chunks that
 * reading threads fill (input.c, ring.c) and one writer hands, in order,
 * to the format (raw.c, lime.c, elf.c, kdump.c) through struct
 * dump_format; output.c owns the file.  dump.c puts them together.
 */
#ifndef MEMX_DUMP_H
#define MEMX_DUMP_H

#include <nettle/sha2.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../memx_lib.h"
#include "layout.h"

#define CHUNK		(1024UL * 1024)
#define PAGE		4096UL		/* the smallest page size */
#define CHUNK_PAGES	(CHUNK / PAGE)	/* at most, at the smallest page size */
#define MAX_JOBS	64

/*
 * A chunk of RAM range @seg: [pos, hi), pos on a page boundary, in @in at
 * offset 0 (the bytes before the range and after it to the page's end are
 * zeros).  skip: the page could not be read (its bytes are zeros); cls:
 * --exclude leaves the page out (its bytes are not read).  @slot: the
 * chunk's place in the ring, for a format's own per-chunk state.
 */
struct chunk {
	const struct memx_seg *seg;
	uint64_t pos, hi;
	unsigned int slot;
	uint8_t *in;
	uint8_t skip[CHUNK_PAGES], cls[CHUNK_PAGES];
	int state;
};

struct dump;

/*
 * A format: what it writes before the first range (begin), before each
 * range (range), for each chunk in dump order (chunk) and after the last
 * (end, with the ring's chunks still held).  classify runs under the
 * ring's lock, chunk by chunk in frame order, before a chunk is read; pack
 * in a reading thread (@job) after.
 * release frees the format's state (d->fmt_data), whether the dump
 * finished or not.  Any hook but chunk may be NULL.
 */
struct dump_format {
	const char *name;
	unsigned int reserve;	/* segment slots before the RAM ranges */
	unsigned int flags;
	const char *bad;	/* what an unreadable page becomes */
	int (*begin)(struct dump *d);
	int (*range)(struct dump *d, const struct memx_seg *s);
	void (*classify)(struct dump *d, struct chunk *c);
	void (*pack)(struct dump *d, unsigned int job, struct chunk *c);
	int (*chunk)(struct dump *d, const struct chunk *c);
	int (*end)(struct dump *d);
	void (*release)(struct dump *d);
};

#define FMT_DIGESTS	1	/* --hash: range digests in a MEMX note */
#define FMT_SEEKS	2	/* writes its headers last: needs a file */
#define FMT_PAGES	4	/* --compress and --exclude apply */

extern const struct dump_format dump_raw, dump_lime, dump_elf, dump_kdump;

struct dump {
	const struct dump_format *fmt;
	void *fmt_data;
	int mem, kmem, out;
	const char *path;	/* as given; "-" is standard output */
	char *tmp;		/* the temporary name a file is written to */
	int stream;		/* output cannot seek: raw pads holes */
	uint64_t first, last;	/* --range, end exclusive */
	uint64_t page;		/* the kernel's page size (a kdump's block) */
	const char *compress;	/* kdump: --compress */
	unsigned int jobs;	/* -j: threads reading (kdump: and packing) */
	unsigned int slots;	/* the ring's: two a thread */
	unsigned int level;	/* kdump: --exclude, makedumpfile's -d */
	uint8_t (*digest)[SHA256_DIGEST_SIZE];	/* --hash: a segment's */
	struct sha256_ctx sha;	/* --hash: the range being written */
	struct memx_seg *seg;	/* the format's reserved slots, then RAM */
	unsigned int nseg, nram, ram;	/* ram: the first RAM range's index */
	unsigned int cap;
	uint64_t total, done, bad_pages, pos;
	double start, shown;
	int progress;
	uint8_t *wbuf;		/* dump_put's data not written yet */
	size_t wlen;
	const char *isf;	/* --isf: the kernel's ISF, first */
};

/* output.c: the file, the signals that stop a dump, the progress line. */

/*
 * All of @len bytes to the output at offset @off, or at its position for
 * -1 (dump_write); else a message naming the file and the errno.
 */
int dump_write_at(struct dump *d, const void *p, size_t len, int64_t off);
int dump_write(struct dump *d, const void *p, size_t len);

/*
 * @len bytes through a 1 MiB buffer (a write a page would be a round trip
 * a page to a network file system); *@off: where they land.  dump_flush
 * writes what the buffer holds.
 */
int dump_put(struct dump *d, const void *p, size_t len, uint64_t *off);
int dump_flush(struct dump *d);

/* A chunk's bytes as they are (raw, LiME and ELF), hashed with --hash. */
int dump_bytes(struct dump *d, const struct chunk *c);

/*
 * The output: standard output for "-", a device or pipe as it is, a
 * regular file under a temporary name next to it.  dump_finish syncs and
 * renames a complete one; dump_abandon removes what a failed dump wrote.
 */
int dump_open(struct dump *d);
int dump_finish(struct dump *d);
void dump_abandon(struct dump *d);

/* SIGINT, SIGTERM: stop between two writes; SIGPIPE: EPIPE instead. */
void dump_catch_signals(void);
int dump_stopped(void);

/* The progress line on a terminal; @last ends it. */
double dump_now(void);
void dump_progress(struct dump *d, int last);

/* input.c: what there is to read, and reading it. */

/*
 * The RAM ranges inside --range, from SEEK_DATA/SEEK_HOLE, after the
 * format's reserved slots; 0, or -1 after a message.
 */
int dump_ranges(struct dump *d);

/*
 * Up to @len bytes of RAM at @addr into @buf: the count read, or -1 after a
 * message.  An unreadable page (secretmem, hwpoison) is a page of zeros,
 * returned alone with *@bad set.  Safe in several threads at once.
 */
ssize_t dump_read(struct dump *d, void *buf, uint64_t addr, size_t len,
		  int *bad);

/* Where chunk @c's part of its range starts. */
static inline uint64_t chunk_start(const struct chunk *c)
{
	return c->pos > c->seg->paddr ? c->pos : c->seg->paddr;
}

static inline unsigned int chunk_pages(const struct chunk *c, uint64_t page)
{
	return (c->hi - c->pos + page - 1) / page;
}

/*
 * ring.c: the RAM ranges through d->jobs reading threads and this one,
 * which hands the chunks to the format in dump order and keeps the range
 * digests and the progress, then the format's end; 0, or -1 after a
 * message.
 */
int dump_ring(struct dump *d);

/*
 * notes.c: the notes an ELF or kdump dump starts with: each online CPU's
 * NT_PRSTATUS, then VMCOREINFO's, in *@notes (to free); their length,
 * or 0 after a message.  *@info: VMCOREINFO's note's offset in them.
 */
size_t dump_notes(struct dump *d, uint8_t **notes, size_t *info);

#endif /* MEMX_DUMP_H */
