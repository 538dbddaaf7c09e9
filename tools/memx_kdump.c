// SPDX-License-Identifier: GPL-2.0
/*
 * memx dump --format kdump: makedumpfile's kdump-compressed ("diskdump")
 * format, which crash, drgn (through libkdumpfile) and makedumpfile read.
 *
 *   block 0      struct kdump_header
 *   block 1...   struct kdump_sub_header, then the VMCOREINFO ELF note
 *                (offset_vmcoreinfo points into it: makedumpfile moves the
 *                two together when it filters the dump again)
 *   bitmaps      the frames of RAM, then the frames the dump holds (a page
 *                memx cannot read, secretmem or hwpoison, is absent)
 *   descriptors  one struct kdump_page_desc a page held, in frame order
 *   data         each page compressed (--compress), or as it is when that
 *                does not make it smaller; the zero pages share one copy
 *
 * A page's size is known once it is compressed and the descriptors come
 * before the data: the data is written first, the rest last, in place, so
 * the output must be a file.  Layout and flags: makedumpfile's diskdump_mod.h.
 */
#include <errno.h>
#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "memx_dump.h"

#define KDUMP_VERSION	6
#define KDUMP_ZLIB	0x01
#define KDUMP_LZO	0x02
#define KDUMP_SNAPPY	0x04
#define KDUMP_ZSTD	0x20
#define UTS_LEN		65

struct kdump_header {
	char signature[8];		/* "KDUMP   " */
	int32_t header_version;
	char utsname[6][UTS_LEN];	/* struct new_utsname */
	int64_t tv_sec, tv_usec;	/* 8-aligned: at 408 */
	uint32_t status;		/* the compression flag */
	int32_t block_size;
	int32_t sub_hdr_size;		/* in blocks */
	uint32_t bitmap_blocks;		/* both bitmaps */
	uint32_t max_mapnr;		/* 32-bit; the sub-header has it whole */
	uint32_t total_ram_blocks, device_blocks, written_blocks;
	uint32_t current_cpu;
	int32_t nr_cpus;
};

struct kdump_sub_header {
	uint64_t phys_base;
	int32_t dump_level, split;
	uint64_t start_pfn, end_pfn;
	uint64_t offset_vmcoreinfo, size_vmcoreinfo;
	uint64_t offset_note, size_note;
	uint64_t offset_eraseinfo, size_eraseinfo;
	uint64_t start_pfn_64, end_pfn_64, max_mapnr_64;
};

struct kdump_page_desc {
	uint64_t offset;
	uint32_t size, flags;
	uint64_t page_flags;
};

_Static_assert(sizeof(struct kdump_header) == 464, "disk_dump_header");
_Static_assert(sizeof(struct kdump_sub_header) == 104, "kdump_sub_header");
_Static_assert(sizeof(struct kdump_page_desc) == 24, "page_desc");

struct kdump {
	struct dump *d;
	const struct codec *codec;
	uint8_t *cbuf;
	ZSTD_CCtx *zstd;
	z_stream zlib;
	void *lzo_work;
	uint8_t *ram_map, *dump_map;
	uint64_t map_bytes, max_mapnr, next_pfn, pages;
	struct kdump_page_desc *desc, zero;	/* zero.size: written */
	uint64_t ndesc, desc_off;
};

#define CBUF_SIZE	(2 * PAGE)

/* pack: one page into k->cbuf, its size or 0 to keep it as it is. */
struct codec {
	const char *name;
	uint32_t flag;
	size_t (*pack)(struct kdump *k, const uint8_t *page);
};

/* One deflate stream reset a page: no allocation a page, a 4 KiB window. */
static size_t pack_zlib(struct kdump *k, const uint8_t *page)
{
	z_stream *z = &k->zlib;

	deflateReset(z);
	z->next_in = (Bytef *)page;
	z->avail_in = PAGE;
	z->next_out = k->cbuf;
	z->avail_out = CBUF_SIZE;
	if (deflate(z, Z_FINISH) != Z_STREAM_END)
		return 0;
	return CBUF_SIZE - z->avail_out;
}

static size_t pack_lzo(struct kdump *k, const uint8_t *page)
{
	lzo_uint len = CBUF_SIZE;

	if (lzo1x_1_compress(page, PAGE, k->cbuf, &len, k->lzo_work) != LZO_E_OK)
		return 0;
	return len;
}

static size_t pack_snappy(struct kdump *k, const uint8_t *page)
{
	size_t len = CBUF_SIZE;

	if (snappy_compress((const char *)page, PAGE, (char *)k->cbuf,
			    &len) != SNAPPY_OK)
		return 0;
	return len;
}

static size_t pack_zstd(struct kdump *k, const uint8_t *page)
{
	size_t len = ZSTD_compressCCtx(k->zstd, k->cbuf, CBUF_SIZE, page, PAGE, 1);

	return ZSTD_isError(len) ? 0 : len;
}

static const struct codec codecs[] = {
	{ "none", 0, NULL },
	{ "zlib", KDUMP_ZLIB, pack_zlib },
	{ "lzo", KDUMP_LZO, pack_lzo },
	{ "snappy", KDUMP_SNAPPY, pack_snappy },
	{ "zstd", KDUMP_ZSTD, pack_zstd },
};

int dump_codec_known(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(codecs); i++)
		if (!strcmp(name, codecs[i].name))
			return 1;
	return 0;
}

static void set_bit(uint8_t *map, uint64_t pfn)
{
	map[pfn / 8] |= 1 << (pfn % 8);
}

static int zero_page(const uint8_t *page)
{
	const uint64_t *w = (const uint64_t *)page;
	unsigned int i;

	for (i = 0; i < PAGE / 8; i++)
		if (w[i])
			return 0;
	return 1;
}

/* One page of frame @pfn: compressed (or not) to the data, described. */
static int kdump_page(struct kdump *k, uint64_t pfn, const uint8_t *page)
{
	struct kdump_page_desc *pd = &k->desc[k->ndesc];
	int zero = zero_page(page);
	const void *data = k->cbuf;
	size_t len;

	set_bit(k->dump_map, pfn);
	k->ndesc++;
	if (zero && k->zero.size) {
		*pd = k->zero;
		return 0;
	}
	len = k->codec->pack ? k->codec->pack(k, page) : 0;
	*pd = (struct kdump_page_desc){ .offset = k->d->pos, .size = len,
					.flags = k->codec->flag };
	if (!len || len >= PAGE) {
		pd->size = PAGE;
		pd->flags = 0;
		data = page;
	}
	if (zero)
		k->zero = *pd;
	return dump_write(k->d, data, pd->size);
}

/*
 * The pages of one RAM range, in 1 MiB reads; the parts of its first and
 * last pages outside it are zeros, and a page another range already
 * wrote (two ranges sharing one) is not written again.
 */
static int kdump_range(struct kdump *k, const struct memx_seg *s)
{
	struct dump *d = k->d;
	uint64_t end = s->paddr + s->size, pos, lo, hi, a, bad, was;
	uint8_t skip[CHUNK / PAGE];
	ssize_t n;

	for (pos = s->paddr & ~(PAGE - 1); pos < end; pos += CHUNK) {
		lo = pos > s->paddr ? pos : s->paddr;
		hi = pos + CHUNK < end ? pos + CHUNK : end;
		memset(d->buf, 0, CHUNK);
		memset(skip, 0, sizeof(skip));
		for (a = lo; a < hi; a += n) {
			was = d->bad_pages;
			n = dump_read(d, d->buf + (a - pos), a, hi - a);
			if (n < 0)
				return -1;
			if (d->bad_pages != was)
				skip[(a - pos) / PAGE] = 1;
			d->done += n;
		}
		for (a = pos; a < hi; a += PAGE) {
			bad = skip[(a - pos) / PAGE];
			set_bit(k->ram_map, a / PAGE);
			if (a / PAGE < k->next_pfn || bad)
				continue;
			if (kdump_page(k, a / PAGE, d->buf + (a - pos)))
				return -1;
			k->next_pfn = a / PAGE + 1;
		}
		dump_progress(d, 0);
	}
	return 0;
}

/* NUMBER(phys_base) from VMCOREINFO's text; 0 when it has none. */
static uint64_t vmcoreinfo_phys_base(const char *info, size_t len)
{
	static const char key[] = "NUMBER(phys_base)=";
	const char *p = memmem(info, len, key, sizeof(key) - 1);

	return p ? strtoull(p + sizeof(key) - 1, NULL, 10) : 0;
}

/* Block 0, then the sub-header and the VMCOREINFO note in block 1 on. */
static int kdump_headers(struct kdump *k, const uint8_t *note,
			 size_t note_len, uint32_t sub_blocks)
{
	struct kdump_header h = { .signature = "KDUMP   ",
				  .header_version = KDUMP_VERSION };
	struct kdump_sub_header sh = { 0 };
	uint64_t off = PAGE + sizeof(sh);
	uint32_t namesz, descsz;
	struct utsname u;
	struct timeval tv;

	memcpy(&namesz, note, 4);
	memcpy(&descsz, note + 4, 4);
	uname(&u);
	gettimeofday(&tv, NULL);
	memcpy(h.utsname[0], u.sysname, UTS_LEN);
	memcpy(h.utsname[1], u.nodename, UTS_LEN);
	memcpy(h.utsname[2], u.release, UTS_LEN);
	memcpy(h.utsname[3], u.version, UTS_LEN);
	memcpy(h.utsname[4], u.machine, UTS_LEN);
	memcpy(h.utsname[5], u.domainname, UTS_LEN);
	h.tv_sec = tv.tv_sec;
	h.tv_usec = tv.tv_usec;
	h.status = k->codec->flag;
	h.block_size = PAGE;
	h.sub_hdr_size = sub_blocks;
	h.bitmap_blocks = 2 * k->map_bytes / PAGE;
	h.max_mapnr = k->max_mapnr > UINT32_MAX ? UINT32_MAX : k->max_mapnr;
	h.nr_cpus = sysconf(_SC_NPROCESSORS_ONLN);

	sh.offset_note = off;
	sh.size_note = note_len;
	sh.offset_vmcoreinfo = off + 12 + (namesz + 3) / 4 * 4;
	sh.size_vmcoreinfo = descsz;
	sh.phys_base = vmcoreinfo_phys_base((const char *)note +
					    sh.offset_vmcoreinfo - off, descsz);
	sh.end_pfn = h.max_mapnr;
	sh.end_pfn_64 = k->max_mapnr;
	sh.max_mapnr_64 = k->max_mapnr;

	return dump_write_at(k->d, &h, sizeof(h), 0) ||
	       dump_write_at(k->d, &sh, sizeof(sh), PAGE) ||
	       dump_write_at(k->d, note, note_len, off);
}

static int kdump_setup(struct kdump *k)
{
	const struct memx_seg *s = k->d->seg, *last = &s[k->d->nseg - 1];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(codecs); i++)
		if (!strcmp(k->d->compress, codecs[i].name))
			k->codec = &codecs[i];
	for (i = 0; i < k->d->nseg; i++)
		k->pages += (s[i].paddr + s[i].size + PAGE - 1) / PAGE -
			    s[i].paddr / PAGE;
	k->max_mapnr = (last->paddr + last->size + PAGE - 1) / PAGE;
	k->map_bytes = ((k->max_mapnr + 7) / 8 + PAGE - 1) / PAGE * PAGE;
	k->ram_map = calloc(1, k->map_bytes);
	k->dump_map = calloc(1, k->map_bytes);
	k->desc = calloc(k->pages, sizeof(*k->desc));
	k->cbuf = malloc(CBUF_SIZE);
	k->zstd = ZSTD_createCCtx();
	k->lzo_work = malloc(LZO1X_1_MEM_COMPRESS);
	if (!k->ram_map || !k->dump_map || !k->desc || !k->cbuf ||
	    !k->zstd || !k->lzo_work || lzo_init() != LZO_E_OK ||
	    deflateInit2(&k->zlib, Z_BEST_SPEED, Z_DEFLATED, 12, 4,
			 Z_DEFAULT_STRATEGY) != Z_OK) {
		fprintf(stderr, "memx: out of memory for a kdump of %llu pages\n",
			(unsigned long long)k->pages);
		return -1;
	}
	return 0;
}

static void kdump_free(struct kdump *k)
{
	free(k->ram_map);
	free(k->dump_map);
	free(k->desc);
	free(k->cbuf);
	ZSTD_freeCCtx(k->zstd);
	deflateEnd(&k->zlib);
	free(k->lzo_work);
}

int dump_kdump(struct dump *d)
{
	struct kdump k = { .d = d };
	uint8_t *note = NULL;
	uint32_t sub_blocks;
	size_t note_len;
	uint64_t map_off;
	unsigned int i;
	int ret = -1;

	if (d->stream) {
		fprintf(stderr, "memx: kdump seeks back to its page table: give -o a file\n");
		return -1;
	}
	note_len = dump_note(d, &note);
	if (!note_len) {
		fprintf(stderr, "memx: cannot read VMCOREINFO through /dev/memx\n");
		goto out;
	}
	if (kdump_setup(&k))
		goto out;
	sub_blocks = (sizeof(struct kdump_sub_header) + note_len + PAGE - 1) /
		     PAGE;
	map_off = (1 + sub_blocks) * PAGE;
	k.desc_off = map_off + 2 * k.map_bytes;
	d->pos = k.desc_off + k.pages * sizeof(*k.desc);
	if (lseek(d->out, d->pos, SEEK_SET) < 0) {
		fprintf(stderr, "memx: cannot seek in %s: %s\n", d->path,
			strerror(errno));
		goto out;
	}
	for (i = 0; i < d->nseg; i++)
		if (kdump_range(&k, &d->seg[i]))
			goto out;
	if (kdump_headers(&k, note, note_len, sub_blocks) ||
	    dump_write_at(d, k.ram_map, k.map_bytes, map_off) ||
	    dump_write_at(d, k.dump_map, k.map_bytes, map_off + k.map_bytes) ||
	    dump_write_at(d, k.desc, k.ndesc * sizeof(*k.desc), k.desc_off))
		goto out;
	ret = 0;
out:
	kdump_free(&k);
	free(note);
	return ret;
}
