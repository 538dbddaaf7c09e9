// SPDX-License-Identifier: GPL-2.0
/*
 * memx dump's input: System RAM as /dev/memx's SEEK_DATA and SEEK_HOLE
 * find it, read with pread().  A page that cannot be read (secretmem,
 * hwpoison) is a page of zeros, counted by the format; anything else that
 * fails ends the dump.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../memx_tool.h"
#include "dump.h"

static int add_seg(struct dump *d, struct memx_seg s)
{
	struct memx_seg *seg;

	if (d->nseg == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 64;
		seg = realloc(d->seg, d->cap * sizeof(*seg));
		if (!seg) {
			fprintf(stderr, "memx: out of memory for %u ranges\n",
				d->cap);
			return -1;
		}
		d->seg = seg;
	}
	d->seg[d->nseg++] = s;
	return 0;
}

int dump_ranges(struct dump *d)
{
	off_t data = 0, hole = d->first;
	struct memx_seg s;
	uint64_t e;

	for (d->ram = 0; d->ram < d->fmt->reserve; d->ram++)
		if (add_seg(d, (struct memx_seg){ 0 }))
			return -1;
	while ((uint64_t)hole < d->last &&
	       (data = lseek(d->mem, hole, SEEK_DATA)) >= 0) {
		hole = lseek(d->mem, data, SEEK_HOLE);
		if (hole < 0)
			break;
		e = (uint64_t)hole < d->last ? (uint64_t)hole : d->last;
		if ((uint64_t)data >= e)
			break;
		s = (struct memx_seg){ .paddr = data, .size = e - data };
		if (add_seg(d, s))
			return -1;
		d->total += s.size;
		d->nram++;
	}
	if (data < 0 && errno != ENXIO) {
		memx_warn_at("cannot find RAM (SEEK_DATA)", "memx", hole, errno);
		return -1;
	}
	if (!d->nram)
		fprintf(stderr, "memx: no System RAM in the range\n");
	return d->nram ? 0 : -1;
}

ssize_t dump_read(struct dump *d, void *buf, uint64_t addr, size_t len,
		  int *bad)
{
	ssize_t n;

	*bad = 0;
	do
		n = pread(d->mem, buf, len, addr);
	while (n < 0 && errno == EINTR && !dump_stopped());
	if (n > 0)
		return n;
	if (n < 0 && errno != EFAULT && errno != EIO) {
		memx_warn_at("cannot read", "memx", addr, errno);
		return -1;
	}
	if (!n) {
		fprintf(stderr, "memx: RAM at %#llx ended during the dump\n",
			(unsigned long long)addr);
		return -1;
	}
	n = d->page - addr % d->page;
	if ((size_t)n > len)
		n = len;
	memset(buf, 0, n);
	*bad = 1;
	return n;
}
