// SPDX-License-Identifier: GPL-2.0
/*
 * memx dump --format raw: offsets are physical addresses.  A sparse file,
 * or on a stream (standard output, a pipe, a device) the holes written as
 * zeros.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dump.h"

/* Zeros up to output position @to: the holes before a range on a stream. */
static int pad_to(struct dump *d, uint64_t to)
{
	static const uint8_t zeros[64 * 1024];
	size_t n;

	while (d->pos < to) {
		n = to - d->pos < sizeof(zeros) ? to - d->pos : sizeof(zeros);
		if (dump_write(d, zeros, n))
			return -1;
	}
	return 0;
}

static int raw_range(struct dump *d, const struct memx_seg *s)
{
	if (d->stream)
		return pad_to(d, s->paddr);
	if (lseek(d->out, s->paddr, SEEK_SET) < 0) {
		fprintf(stderr, "memx: cannot seek in %s: %s\n", d->path,
			strerror(errno));
		return -1;
	}
	return 0;
}

const struct dump_format dump_raw = {
	.name = "raw",
	.bad = "written as zeros",
	.range = raw_range,
	.chunk = dump_bytes,
};
