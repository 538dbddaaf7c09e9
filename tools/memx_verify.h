/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memx verify: a dump someone else handed over, read as hostile input.
 * Every length, count and offset the file gives is checked in 64 bits
 * against the file's size before it is used, records are copied out of
 * it, and nothing is allocated larger than the file could hold; what is
 * wrong is said in the file's @why.
 */
#ifndef MEMX_VERIFY_H
#define MEMX_VERIFY_H

#include <stdint.h>

#include "dump/hash.h"

struct dfile {
	int fd;
	uint64_t size;
	char why[256];
};

/* f->why from the format; returns -1. */
int dfile_fail(struct dfile *f, const char *fmt, ...);

/* Does the file hold @len bytes at @off?  0, or -1 naming @what. */
int dfile_holds(struct dfile *f, uint64_t len, uint64_t off, const char *what);

/*
 * @len bytes at @off into @buf, or into a new buffer (dfile_load, NULL
 * on failure); fails naming @what when the file does not hold them all.
 */
int dfile_read(struct dfile *f, void *buf, uint64_t len, uint64_t off,
	       const char *what);
void *dfile_load(struct dfile *f, uint64_t len, uint64_t off,
		 const char *what);

/* The MEMX note's records, and the digests the file's data gives them. */
struct records {
	struct range_digest *rec;
	uint8_t (*got)[SHA256_DIGEST_SIZE];
	uint64_t n;
	int found;		/* the file has a MEMX note */
};

/*
 * The MEMX note among @len bytes of ELF notes into @r (r->found 0 when
 * there is none); 0, or -1 when a note is damaged.
 */
int memx_records(struct dfile *f, const uint8_t *notes, uint64_t len,
		 struct records *r);

/*
 * The formats' readers: the notes of an ELF core or a kdump-compressed
 * file, its MEMX records and each record's digest recomputed from the
 * data; 0, or -1 when the file is damaged or a range is not all there.
 */
int elf_ranges(struct dfile *f, struct records *r);
int kdump_ranges(struct dfile *f, struct records *r);

/*
 * Every recorded range of @f checked: 0 all match (r->n of them, none
 * when r->found is 0 or the format has no notes), 1 one differs, -1 the
 * file is damaged; f->why says which.  The fuzz targets' entry.
 */
int verify_ranges(struct dfile *f, struct records *r);
void records_free(struct records *r);

#endif /* MEMX_VERIFY_H */
