// SPDX-License-Identifier: GPL-2.0
/*
 * memx verify of a kdump-compressed file (memx dump --format kdump): its
 * header and sub-header, the MEMX note among the notes the sub-header
 * places, the second bitmap (the frames the dump holds), and for each
 * held frame of a recorded range its descriptor and its page, which must
 * decompress to exactly one page.  A page is the header's block size, a
 * power of two from 4 KiB to 64 KiB.  The records go up in address, so
 * one pass over the bitmap counts the descriptors before each.
 */
#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "memx_kdump.h"
#include "memx_verify.h"

#define MIN_BLOCK	4096
#define MAX_BLOCK	65536

struct kd {
	struct dfile *f;
	uint64_t bs;		/* the block and page size */
	uint8_t *map;		/* the dump bitmap */
	uint64_t frames;	/* its bits */
	uint64_t desc_off;	/* the first page descriptor */
	uint64_t pfn, index;	/* a frame, and its descriptor's index */
	uint8_t *page, *cbuf;
};

static int held(const struct kd *k, uint64_t pfn)
{
	return k->map[pfn / 8] >> (pfn % 8) & 1;
}

/* The header's layout; the sub-header into @sh. */
static int kd_header(struct kd *k, struct kdump_sub_header *sh)
{
	struct dfile *f = k->f;
	struct kdump_header h;
	uint64_t sub_end, map_bytes;

	if (dfile_read(f, &h, sizeof(h), 0, "the kdump header"))
		return -1;
	if (h.header_version < 4)
		return dfile_fail(f, "kdump header version %d: notes came with version 4",
				  h.header_version);
	k->bs = h.block_size;
	if (h.block_size < MIN_BLOCK || h.block_size > MAX_BLOCK ||
	    (h.block_size & (h.block_size - 1)))
		return dfile_fail(f, "kdump block size %d: not a page size of 4 KiB to 64 KiB",
				  h.block_size);
	if (h.sub_hdr_size < 1)
		return dfile_fail(f, "kdump sub-header of %d blocks", h.sub_hdr_size);
	sub_end = (1 + (uint64_t)h.sub_hdr_size) * k->bs;
	if (dfile_holds(f, sub_end - k->bs, k->bs, "the kdump sub-header") ||
	    dfile_read(f, sh, sizeof(*sh), k->bs, "the kdump sub-header"))
		return -1;
	if (!h.bitmap_blocks || h.bitmap_blocks % 2)
		return dfile_fail(f, "kdump bitmaps of %u blocks: not two bitmaps",
				  h.bitmap_blocks);
	map_bytes = h.bitmap_blocks / 2 * k->bs;
	k->map = dfile_load(f, map_bytes, sub_end + map_bytes,
			    "the kdump dump bitmap");
	if (!k->map)
		return -1;
	k->frames = map_bytes * 8;
	k->desc_off = sub_end + 2 * map_bytes;
	return 0;
}

/* Frame @pfn's page into k->page, from its descriptor; 0 or -1. */
static int kd_page(struct kd *k, uint64_t pfn)
{
	struct kdump_page_desc pd;
	struct dfile *f = k->f;
	uLongf zlen = k->bs;
	lzo_uint llen = k->bs;
	size_t slen = k->bs;
	char what[64];
	int ok = 0;

	snprintf(what, sizeof(what), "frame %#llx's descriptor",
		 (unsigned long long)pfn);
	/* k->desc_off is inside the file: the bitmap before it is. */
	if (k->index >= (f->size - k->desc_off) / sizeof(pd))
		return dfile_fail(f, "%s: number %llu, past the end of the file",
				  what, (unsigned long long)k->index);
	if (dfile_read(f, &pd, sizeof(pd), k->desc_off + k->index * sizeof(pd),
		       what))
		return -1;
	snprintf(what, sizeof(what), "frame %#llx's data",
		 (unsigned long long)pfn);
	if (!pd.size || pd.size > k->bs)
		return dfile_fail(f, "%s: %u bytes, not 1 to a page", what,
				  pd.size);
	if (dfile_read(f, k->cbuf, pd.size, pd.offset, what))
		return -1;
	switch (pd.flags) {
	case 0:
		ok = pd.size == k->bs;
		memcpy(k->page, k->cbuf, pd.size);
		break;
	case KDUMP_ZLIB:
		ok = uncompress(k->page, &zlen, k->cbuf, pd.size) == Z_OK &&
		     zlen == k->bs;
		break;
	case KDUMP_LZO:
		ok = lzo1x_decompress_safe(k->cbuf, pd.size, k->page, &llen,
					   NULL) == LZO_E_OK && llen == k->bs;
		break;
	case KDUMP_SNAPPY:
		ok = snappy_uncompress((const char *)k->cbuf, pd.size,
				       (char *)k->page, &slen) == SNAPPY_OK &&
		     slen == k->bs;
		break;
	case KDUMP_ZSTD:
		ok = ZSTD_decompress(k->page, k->bs, k->cbuf, pd.size) == k->bs;
		break;
	default:
		return dfile_fail(f, "%s: flags %#x name no codec", what,
				  pd.flags);
	}
	return ok ? 0 : dfile_fail(f, "%s: %u bytes with flags %#x do not make one page",
				   what, pd.size, pd.flags);
}

/* What kd_page found wrong, said of range @d. */
static int range_fail(struct dfile *f, const struct range_digest *d)
{
	char why[sizeof(f->why)];

	memcpy(why, f->why, sizeof(why));
	return dfile_fail(f, "range %#llx-%#llx: %s",
			  (unsigned long long)d->paddr,
			  (unsigned long long)(d->paddr + d->size), why);
}

/*
 * Record @i's digest: the held frames of its range, from k->pfn on (a
 * first frame the range before it holds is that range's).
 */
static int kd_digest(struct kd *k, struct records *r, uint64_t i)
{
	const struct range_digest *d = &r->rec[i];
	uint64_t first = d->paddr / k->bs;
	uint64_t last = (d->paddr + d->size - 1) / k->bs + 1;
	struct sha256_ctx ctx;

	if (last > k->frames)
		return dfile_fail(k->f, "range %#llx-%#llx: past the dump bitmap's %llu frames",
				  (unsigned long long)d->paddr,
				  (unsigned long long)(d->paddr + d->size),
				  (unsigned long long)k->frames);
	for (; k->pfn < first; k->pfn++)
		k->index += held(k, k->pfn);
	sha256_init(&ctx);
	for (; k->pfn < last; k->pfn++) {
		if (!held(k, k->pfn))
			continue;
		if (kd_page(k, k->pfn))
			return range_fail(k->f, d);
		sha256_update(&ctx, k->bs, k->page);
		k->index++;
	}
	sha256_digest(&ctx, SHA256_DIGEST_SIZE, r->got[i]);
	return 0;
}

int kdump_ranges(struct dfile *f, struct records *r)
{
	struct kdump_sub_header sh;
	struct kd k = { .f = f };
	uint8_t *notes = NULL;
	int ret = -1;
	uint64_t i;

	if (kd_header(&k, &sh))
		goto out;
	if (sh.size_note) {
		notes = dfile_load(f, sh.size_note, sh.offset_note,
				   "the kdump notes");
		if (!notes || memx_records(f, notes, sh.size_note, r))
			goto out;
	}
	k.page = malloc(k.bs);
	k.cbuf = malloc(k.bs);
	if (!k.page || !k.cbuf) {
		dfile_fail(f, "out of memory for a page of %llu bytes",
			   (unsigned long long)k.bs);
		goto out;
	}
	for (i = 0; i < r->n; i++)
		if (kd_digest(&k, r, i))
			goto out;
	ret = 0;
out:
	free(notes);
	free(k.map);
	free(k.page);
	free(k.cbuf);
	return ret;
}
