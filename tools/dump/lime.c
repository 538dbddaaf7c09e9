// SPDX-License-Identifier: GPL-2.0
/*
 * memx dump --format lime: LiME's format, per range a 32-byte header,
 * then the range's bytes.
 */
#include "dump.h"

static int lime_range(struct dump *d, const struct memx_seg *s)
{
	uint8_t hdr[MEMX_LIME_HDR_SIZE];

	memx_lime_header(hdr, s->paddr, s->paddr + s->size - 1);
	return dump_write(d, hdr, sizeof(hdr));
}

const struct dump_format dump_lime = {
	.name = "lime",
	.bad = "written as zeros",
	.range = lime_range,
	.chunk = dump_bytes,
};
