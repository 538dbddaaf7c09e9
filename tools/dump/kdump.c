// SPDX-License-Identifier: GPL-2.0
/*
 * memx dump --format kdump: makedumpfile's kdump-compressed ("diskdump")
 * format, which crash, drgn (through libkdumpfile) and makedumpfile read.
 *
 *   block 0      struct kdump_header
 *   block 1...   struct kdump_sub_header, then the ELF notes: the CPUs'
 *                NT_PRSTATUS and VMCOREINFO's (offset_vmcoreinfo points
 *                into them: makedumpfile moves them together when it
 *                filters the dump again)
 *   bitmaps      the frames of RAM, then the frames the dump holds (a page
 *                memx cannot read, secretmem or hwpoison, is absent, and
 *                so is each page --exclude leaves out: exclude.c)
 *   descriptors  one struct kdump_page_desc a page held, in frame order
 *   data         each page compressed (--compress), or as it is when that
 *                does not make it smaller; the zero pages share one copy
 *
 * A page's size is known once it is compressed and the descriptors come
 * before the data: the data is written first, the rest last, in place, so
 * the output must be a file.  The reading threads (ring.c) classify each
 * chunk (--exclude, in frame order) and compress its pages into a slot's
 * own buffer; the writer hands out the descriptors.  Layout and flags:
 * makedumpfile's diskdump_mod.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../memx_kdump.h"
#include "codec.h"
#include "dump.h"
#include "exclude.h"
#include "hash.h"

/*
 * A slot's pages once packed: those compression made smaller in @out at
 * their offset in the chunk, each one's size and flags, and which are all
 * zeros; pages left out or unreadable are left to the writer.
 */
struct packed {
	uint8_t *out;
	uint8_t zero[CHUNK_PAGES];
	uint32_t size[CHUNK_PAGES], flags[CHUNK_PAGES];
};

struct kdump {
	const struct codec *codec;
	struct packer *pk[MAX_JOBS];	/* a reading thread's */
	struct packed *packed;		/* a ring slot's */
	uint64_t page;			/* the kernel's: the block size */
	uint8_t *ram_map, *dump_map;
	uint64_t map_bytes, max_mapnr, next_pfn, pages;
	struct kdump_page_desc *desc, zero;	/* zero.offset: written */
	uint8_t *zero_data;		/* the zero page, packed at the start */
	uint64_t ndesc, map_off, desc_off;
	struct excl *excl;
	uint64_t left_out[EXCL_CLASSES];
	uint8_t *note, *memx_note;
	size_t note_len, info, memx_len;
	uint32_t sub_blocks;
};

static void set_bit(uint8_t *map, uint64_t pfn)
{
	map[pfn / 8] |= 1 << (pfn % 8);
}

static int zero_page(const uint8_t *page, size_t size)
{
	const uint64_t *w = (const uint64_t *)page;
	unsigned int i;

	for (i = 0; i < size / 8; i++)
		if (w[i])
			return 0;
	return 1;
}

/* Every page of the chunk read, not left out and not all zeros, packed. */
static void kdump_pack(struct dump *d, unsigned int job, struct chunk *c)
{
	struct kdump *k = d->fmt_data;
	struct packed *pc = &k->packed[c->slot];
	size_t off;
	unsigned int i;

	for (i = 0; i < chunk_pages(c, k->page); i++) {
		if (c->skip[i] || c->cls[i])
			continue;
		off = i * k->page;
		pc->zero[i] = zero_page(c->in + off, k->page);
		if (!pc->zero[i])
			pc->size[i] = pack_page(k->pk[job], c->in + off,
						pc->out + off, &pc->flags[i]);
	}
}

/* Does dump level @level leave out a page of class @cls? */
static int left_out(unsigned int level, uint8_t cls)
{
	return cls && ((level >> (cls - 1) & 1) ||
		       (cls == EXCL_CACHE && (level & 4)));
}

/* The chunk's pages --exclude leaves out: their class in c->cls. */
static void kdump_classify(struct dump *d, struct chunk *c)
{
	struct kdump *k = d->fmt_data;
	unsigned int i;

	if (!k->excl)
		return;
	excl_classify(k->excl, c->pos / k->page, chunk_pages(c, k->page),
		      c->cls);
	for (i = 0; i < chunk_pages(c, k->page); i++)
		if (!left_out(d->level, c->cls[i]))
			c->cls[i] = EXCL_KEEP;
}

/* @len bytes at @p to the data; *@pd gets their offset, size and flags. */
static int put(struct dump *d, const void *p, uint32_t len, uint32_t flags,
	       struct kdump_page_desc *pd)
{
	*pd = (struct kdump_page_desc){ .size = len, .flags = flags };
	return dump_put(d, p, len, &pd->offset);
}

/* A zero page's descriptor: the one copy, written the first time. */
static int write_zero(struct dump *d, struct kdump_page_desc *pd)
{
	struct kdump *k = d->fmt_data;

	if (!k->zero.offset &&
	    put(d, k->zero_data, k->zero.size, k->zero.flags, &k->zero))
		return -1;
	*pd = k->zero;
	return 0;
}

/*
 * The chunk's pages to the data, in order, and their descriptors; the
 * zero pages share one copy (makedumpfile's level 1 does the same: they
 * read as zeros, not absent), and a page another range already wrote (two
 * ranges sharing one) is not written again.
 */
static int kdump_chunk(struct dump *d, const struct chunk *c)
{
	struct kdump *k = d->fmt_data;
	const struct packed *pc = &k->packed[c->slot];
	struct kdump_page_desc *pd;
	uint64_t a, pfn, pg = k->page;
	unsigned int i;

	for (a = c->pos; a < c->hi; a += pg) {
		i = (a - c->pos) / pg;
		pfn = a / pg;
		set_bit(k->ram_map, pfn);
		if (pfn < k->next_pfn)
			continue;
		k->next_pfn = pfn + 1;
		if (c->skip[i]) {
			d->bad_pages++;
			continue;
		}
		if (c->cls[i]) {
			k->left_out[c->cls[i]]++;
			continue;
		}
		set_bit(k->dump_map, pfn);
		if (d->digest)
			sha256_update(&d->sha, pg, c->in + i * pg);
		pd = &k->desc[k->ndesc++];
		if (pc->zero[i]) {
			if (d->level & 1)
				k->left_out[EXCL_ZERO]++;
			if (write_zero(d, pd))
				return -1;
			continue;
		}
		if (put(d, (pc->flags[i] ? pc->out : c->in) + i * pg,
			pc->size[i], pc->flags[i], pd))
			return -1;
	}
	return 0;
}

/* The VMCOREINFO text's offset in its ELF note, and its length. */
static size_t note_text(const uint8_t *note, uint64_t *len)
{
	uint32_t namesz, descsz;

	memcpy(&namesz, note, 4);
	memcpy(&descsz, note + 4, 4);
	*len = descsz;
	return 12 + (namesz + 3) / 4 * 4;
}

/*
 * Block 0, then the sub-header and the notes in block 1 on: the CPUs' and
 * VMCOREINFO's, then with --hash the MEMX note.
 */
static int kdump_headers(struct dump *d)
{
	struct kdump *k = d->fmt_data;
	struct kdump_header h = { .signature = "KDUMP   ",
				  .header_version = KDUMP_VERSION };
	struct kdump_sub_header sh = { .dump_level = d->level };
	uint64_t off = k->page + sizeof(sh);
	size_t text = k->info + note_text(k->note + k->info,
					  &sh.size_vmcoreinfo);
	int64_t phys_base = 0;
	struct utsname u;
	struct timeval tv;

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
	h.status = codec_flag(k->codec);
	h.block_size = k->page;
	h.sub_hdr_size = k->sub_blocks;
	h.bitmap_blocks = 2 * k->map_bytes / k->page;
	h.max_mapnr = k->max_mapnr > UINT32_MAX ? UINT32_MAX : k->max_mapnr;
	h.nr_cpus = sysconf(_SC_NPROCESSORS_ONLN);

	sh.offset_note = off;
	sh.size_note = k->note_len + k->memx_len;
	sh.offset_vmcoreinfo = off + text;
	vmcoreinfo_value((const char *)k->note + text, sh.size_vmcoreinfo,
			 "NUMBER(phys_base)", &phys_base);
	sh.phys_base = phys_base;
	sh.end_pfn = h.max_mapnr;
	sh.end_pfn_64 = k->max_mapnr;
	sh.max_mapnr_64 = k->max_mapnr;

	if (k->memx_len)
		hash_note(d->seg, d->digest[0], d->nram, k->memx_note);
	return dump_write_at(d, &h, sizeof(h), 0) ||
	       dump_write_at(d, &sh, sizeof(sh), k->page) ||
	       dump_write_at(d, k->note, k->note_len, off) ||
	       dump_write_at(d, k->memx_note, k->memx_len, off + k->note_len);
}

/* The packed pages' buffers, one a ring slot. */
static int packed_setup(struct dump *d, struct kdump *k)
{
	unsigned int i;

	k->packed = calloc(d->slots, sizeof(*k->packed));
	if (!k->packed)
		return -1;
	for (i = 0; i < d->slots; i++) {
		k->packed[i].out = malloc(CHUNK);
		if (!k->packed[i].out)
			return -1;
	}
	return 0;
}

/* The zero pages' one copy, compressed before the dump starts. */
static int pack_zero(struct kdump *k)
{
	k->zero_data = calloc(1, k->page);
	if (!k->zero_data)
		return -1;
	k->zero.size = pack_page(k->pk[0], k->zero_data, k->zero_data,
				 &k->zero.flags);
	return 0;
}

/* The bitmaps, the descriptors and the compressors. */
static int kdump_setup(struct dump *d, struct kdump *k)
{
	const struct memx_seg *s = d->seg, *last = &s[d->nseg - 1];
	unsigned int i;

	k->codec = codec_find(d->compress);
	k->page = d->page;
	for (i = 0; i < d->nseg; i++)
		k->pages += (s[i].paddr + s[i].size + k->page - 1) / k->page -
			    s[i].paddr / k->page;
	k->max_mapnr = (last->paddr + last->size + k->page - 1) / k->page;
	k->map_bytes = ((k->max_mapnr + 7) / 8 + k->page - 1) / k->page *
		       k->page;
	k->ram_map = calloc(1, k->map_bytes);
	k->dump_map = calloc(1, k->map_bytes);
	k->desc = calloc(k->pages, sizeof(*k->desc));
	if (!k->ram_map || !k->dump_map || !k->desc)
		goto fail;
	for (i = 0; i < d->jobs; i++) {
		k->pk[i] = packer_new(k->codec, k->page);
		if (!k->pk[i])
			goto fail;
	}
	if (packed_setup(d, k) || pack_zero(k))
		goto fail;
	return 0;
fail:
	fprintf(stderr, "memx: out of memory for a kdump of %llu pages, %u jobs\n",
		(unsigned long long)k->pages, d->jobs);
	return -1;
}

/* --exclude: the classifier, from VMCOREINFO's text among the notes. */
static int exclude_setup(struct dump *d, struct kdump *k)
{
	uint64_t len;
	size_t text = k->info + note_text(k->note + k->info, &len);

	k->excl = excl_new(d->kmem, d->page, (const char *)k->note + text, len);
	return k->excl ? 0 : -1;
}

/*
 * The notes read, the structures set up, and the output at the data's
 * start, after the headers, the bitmaps and the descriptors.
 */
static int kdump_begin(struct dump *d)
{
	struct kdump *k = calloc(1, sizeof(*k));

	d->fmt_data = k;
	if (!k)
		return -1;
	k->note_len = dump_notes(d, &k->note, &k->info);
	if (!k->note_len || kdump_setup(d, k) ||
	    (d->level && exclude_setup(d, k)))
		return -1;
	k->memx_len = d->digest ? hash_note_size(d->nram) : 0;
	k->memx_note = malloc(k->memx_len + 1);
	if (!k->memx_note)
		return -1;
	k->sub_blocks = (sizeof(struct kdump_sub_header) + k->note_len +
			 k->memx_len + k->page - 1) / k->page;
	k->map_off = (1 + k->sub_blocks) * k->page;
	k->desc_off = k->map_off + 2 * k->map_bytes;
	d->pos = k->desc_off + k->pages * sizeof(*k->desc);
	if (lseek(d->out, d->pos, SEEK_SET) < 0) {
		fprintf(stderr, "memx: cannot seek in %s: %s\n", d->path,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* memx's own anonymous memory (its buffers) in pages, from RssAnon. */
static unsigned long own_anon_pages(uint64_t page)
{
	FILE *f = fopen("/proc/self/status", "r");
	unsigned long kb = 0;
	char line[128];

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "RssAnon: %lu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb * 1024 / page;
}

/*
 * What --exclude left out, by class; the user pages include memx's own
 * buffers, whose size is given.
 */
static void print_left_out(const struct dump *d, const struct kdump *k)
{
	fprintf(stderr, "memx: dump level %u left out %llu cache, %llu cache-private, ",
		d->level, (unsigned long long)k->left_out[EXCL_CACHE],
		(unsigned long long)k->left_out[EXCL_CACHE_PRIVATE]);
	fprintf(stderr, "%llu user and %llu free pages, and stored %llu zero pages as one\n",
		(unsigned long long)k->left_out[EXCL_USER],
		(unsigned long long)k->left_out[EXCL_FREE],
		(unsigned long long)k->left_out[EXCL_ZERO]);
	fprintf(stderr, "memx: memx's own anonymous memory: %lu pages\n",
		own_anon_pages(k->page));
}

/* The data is written: the headers, the bitmaps and the descriptors. */
static int kdump_end(struct dump *d)
{
	struct kdump *k = d->fmt_data;

	if (dump_flush(d) || kdump_headers(d) ||
	    dump_write_at(d, k->ram_map, k->map_bytes, k->map_off) ||
	    dump_write_at(d, k->dump_map, k->map_bytes,
			  k->map_off + k->map_bytes) ||
	    dump_write_at(d, k->desc, k->ndesc * sizeof(*k->desc),
			  k->desc_off))
		return -1;
	if (d->level)
		print_left_out(d, k);
	return 0;
}

static void kdump_release(struct dump *d)
{
	struct kdump *k = d->fmt_data;
	unsigned int i;

	if (!k)
		return;
	for (i = 0; i < d->jobs; i++)
		packer_free(k->pk[i]);
	for (i = 0; k->packed && i < d->slots; i++)
		free(k->packed[i].out);
	excl_free(k->excl);
	free(k->packed);
	free(k->note);
	free(k->memx_note);
	free(k->zero_data);
	free(k->ram_map);
	free(k->dump_map);
	free(k->desc);
	free(k);
}

const struct dump_format dump_kdump = {
	.name = "kdump",
	.flags = FMT_DIGESTS | FMT_SEEKS | FMT_PAGES,
	.bad = "left out",
	.begin = kdump_begin,
	.classify = kdump_classify,
	.pack = kdump_pack,
	.chunk = kdump_chunk,
	.end = kdump_end,
	.release = kdump_release,
};
