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
 *                so is each page --exclude leaves out: memx_exclude.c)
 *   descriptors  one struct kdump_page_desc a page held, in frame order
 *   data         each page compressed (--compress), or as it is when that
 *                does not make it smaller; the zero pages share one copy
 *
 * A page's size is known once it is compressed and the descriptors come
 * before the data: the data is written first, the rest last, in place, so
 * the output must be a file.  -j N: N threads each take the next 1 MiB
 * chunk, classify it (--exclude, in frame order), read it and compress it
 * into a ring of 2N slots; this thread writes the chunks in order as they
 * become ready and takes the range digests (--hash), while the threads
 * read ahead.  The threads are started once, before the first chunk is
 * classified, so that no task comes or goes during the dump (a dump whose
 * running task was born after its stack's pages were classified free
 * would hold that task without its stack: crash stops there).  Layout and
 * flags: makedumpfile's diskdump_mod.h.
 */
#include <errno.h>
#include <lzo/lzo1x.h>
#include <pthread.h>
#include <signal.h>
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
#include "memx_kdump.h"

#define CHUNK_PAGES	(CHUNK / PAGE)	/* at most, at the smallest page size */

/* One reading thread's compressor: the codec's state, one page's output. */
struct packer {
	const struct codec *codec;
	uint8_t *cbuf;
	ZSTD_CCtx *zstd;
	z_stream zlib;
	void *lzo_work;
	size_t page, cbuf_size;	/* the page's size, twice that */
	struct kdump *k;
	pthread_t thread;
};

enum { CHUNK_EMPTY, CHUNK_READY, CHUNK_FAILED };

/*
 * A slot of the ring: a chunk of RAM range @seg, its pages in @in, those
 * compression made smaller in @out at the same offset, each one's size and
 * flags; zero pages and unreadable ones are left to the writer.
 */
struct chunk {
	const struct memx_seg *seg;
	uint64_t pos, hi;
	uint8_t *in, *out;
	uint8_t skip[CHUNK_PAGES], zero[CHUNK_PAGES], cls[CHUNK_PAGES];
	uint32_t size[CHUNK_PAGES], flags[CHUNK_PAGES];
	int state;
};

struct kdump {
	struct dump *d;
	struct packer *pk;
	struct chunk *ring;
	unsigned int jobs, slots, started;
	uint64_t page;			/* the kernel's: the block size */
	uint8_t *ram_map, *dump_map;
	uint64_t map_bytes, max_mapnr, next_pfn, pages;
	struct kdump_page_desc *desc, zero;	/* zero.offset: written */
	uint8_t *zero_data;		/* the zero page, packed at the start */
	uint8_t *wbuf;			/* the data not written yet */
	size_t wlen;
	uint64_t ndesc, desc_off;
	struct excl *excl;
	uint64_t left_out[EXCL_CLASSES];
	struct sha256_ctx sha;		/* --hash: the range being written */
	uint8_t *memx_note;
	pthread_mutex_t lock;		/* from here on, and the slots' state */
	pthread_cond_t ready, freed;	/* a slot read; a slot written */
	unsigned int seg;		/* the next chunk to take: its range */
	uint64_t pos;			/* and its start */
	uint64_t chunks, taken, written;
	int quit;
};

/* pack: one page into p->cbuf, its size or 0 to keep it as it is. */
struct codec {
	const char *name;
	uint32_t flag;
	size_t (*pack)(struct packer *p, const uint8_t *page);
};

/* One deflate stream reset a page: no allocation a page, a 4 KiB window. */
static size_t pack_zlib(struct packer *p, const uint8_t *page)
{
	z_stream *z = &p->zlib;

	deflateReset(z);
	z->next_in = (Bytef *)page;
	z->avail_in = p->page;
	z->next_out = p->cbuf;
	z->avail_out = p->cbuf_size;
	if (deflate(z, Z_FINISH) != Z_STREAM_END)
		return 0;
	return p->cbuf_size - z->avail_out;
}

static size_t pack_lzo(struct packer *p, const uint8_t *page)
{
	lzo_uint len = p->cbuf_size;

	if (lzo1x_1_compress(page, p->page, p->cbuf, &len,
			     p->lzo_work) != LZO_E_OK)
		return 0;
	return len;
}

static size_t pack_snappy(struct packer *p, const uint8_t *page)
{
	size_t len = p->cbuf_size;

	if (snappy_compress((const char *)page, p->page, (char *)p->cbuf,
			    &len) != SNAPPY_OK)
		return 0;
	return len;
}

static size_t pack_zstd(struct packer *p, const uint8_t *page)
{
	size_t len = ZSTD_compressCCtx(p->zstd, p->cbuf, p->cbuf_size, page,
				       p->page, 1);

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

static int zero_page(const uint8_t *page, size_t size)
{
	const uint64_t *w = (const uint64_t *)page;
	unsigned int i;

	for (i = 0; i < size / 8; i++)
		if (w[i])
			return 0;
	return 1;
}

/*
 * @page compressed into @to, or (*@flags 0) not, when that does not make it
 * smaller; its size in the dump.
 */
static uint32_t pack_page(struct packer *p, const uint8_t *page, uint8_t *to,
			  uint32_t *flags)
{
	size_t len = p->codec->pack ? p->codec->pack(p, page) : 0;

	*flags = 0;
	if (!len || len >= p->page)
		return p->page;
	memcpy(to, p->cbuf, len);
	*flags = p->codec->flag;
	return len;
}

static unsigned int chunk_pages(const struct chunk *c, uint64_t page)
{
	return (c->hi - c->pos + page - 1) / page;
}

/* Where the chunk's part of its range starts. */
static uint64_t chunk_start(const struct chunk *c)
{
	return c->pos > c->seg->paddr ? c->pos : c->seg->paddr;
}

/* Every page of the chunk read, not left out and not all zeros. */
static void pack_chunk(struct packer *p, struct chunk *c)
{
	size_t off;
	unsigned int i;

	for (i = 0; i < chunk_pages(c, p->page); i++) {
		if (c->skip[i] || c->cls[i])
			continue;
		off = i * p->page;
		c->zero[i] = zero_page(c->in + off, p->page);
		if (!c->zero[i])
			c->size[i] = pack_page(p, c->in + off, c->out + off,
					       &c->flags[i]);
	}
}

/* Does dump level @level leave out a page of class @cls? */
static int left_out(unsigned int level, uint8_t cls)
{
	return cls && ((level >> (cls - 1) & 1) ||
		       (cls == EXCL_CACHE && (level & 4)));
}

/* The chunk's pages --exclude leaves out: their class in c->cls. */
static void classify(struct kdump *k, struct chunk *c)
{
	unsigned int i;

	memset(c->cls, 0, sizeof(c->cls));
	if (!k->excl)
		return;
	excl_classify(k->excl, c->pos / k->page, chunk_pages(c, k->page),
		      c->cls);
	for (i = 0; i < chunk_pages(c, k->page); i++)
		if (!left_out(k->d->level, c->cls[i]))
			c->cls[i] = EXCL_KEEP;
}

/* Bytes [a, hi) of the chunk into c->in; an unreadable page is skipped. */
static int read_run(struct kdump *k, struct chunk *c, uint64_t a, uint64_t hi)
{
	ssize_t n;
	int bad;

	for (; a < hi; a += n) {
		n = dump_read(k->d, c->in + (a - c->pos), a, hi - a, &bad);
		if (n < 0)
			return -1;
		c->skip[(a - c->pos) / k->page] |= bad;
	}
	return 0;
}

/*
 * The chunk's part of its range into c->in, but for the pages --exclude
 * leaves out, in reads of up to 1 MiB; the parts of its first and last
 * pages outside the range are zeros.
 */
static int read_chunk(struct kdump *k, struct chunk *c)
{
	uint64_t a, run, pg = k->page;

	memset(c->in, 0, CHUNK);
	memset(c->skip, 0, sizeof(c->skip));
	memset(c->zero, 0, sizeof(c->zero));
	for (a = chunk_start(c); a < c->hi; a = run) {
		for (run = a; run < c->hi && !c->cls[(run - c->pos) / pg];)
			run = (run / pg + 1) * pg;
		if (run > c->hi)
			run = c->hi;
		if (read_run(k, c, a, run))
			return -1;
		while (run < c->hi && c->cls[(run - c->pos) / pg])
			run = (run / pg + 1) * pg;
	}
	return 0;
}

/*
 * The page data goes out through a 1 MiB buffer: a write a page would be
 * a round trip a page to a network file system.
 */
static int flush(struct kdump *k)
{
	size_t len = k->wlen;

	k->wlen = 0;
	return dump_write(k->d, k->wbuf, len);
}

/* @len bytes at @p to the data; *@pd gets their offset, size and flags. */
static int put(struct kdump *k, const void *p, uint32_t len, uint32_t flags,
	       struct kdump_page_desc *pd)
{
	if (k->wlen + len > CHUNK && flush(k))
		return -1;
	*pd = (struct kdump_page_desc){ .offset = k->d->pos + k->wlen,
					.size = len, .flags = flags };
	memcpy(k->wbuf + k->wlen, p, len);
	k->wlen += len;
	return 0;
}

/* A zero page's descriptor: the one copy, written the first time. */
static int write_zero(struct kdump *k, struct kdump_page_desc *pd)
{
	if (!k->zero.offset &&
	    put(k, k->zero_data, k->zero.size, k->zero.flags, &k->zero))
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
static int write_chunk(struct kdump *k, const struct chunk *c)
{
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
			k->d->bad_pages++;
			continue;
		}
		if (c->cls[i]) {
			k->left_out[c->cls[i]]++;
			continue;
		}
		set_bit(k->dump_map, pfn);
		if (k->d->digest)
			sha256_update(&k->sha, pg, c->in + i * pg);
		pd = &k->desc[k->ndesc++];
		if (c->zero[i]) {
			if (k->d->level & 1)
				k->left_out[EXCL_ZERO]++;
			if (write_zero(k, pd))
				return -1;
			continue;
		}
		if (put(k, (c->flags[i] ? c->out : c->in) + i * pg,
			c->size[i], c->flags[i], pd))
			return -1;
	}
	k->d->done += c->hi - chunk_start(c);
	return 0;
}

/*
 * The next chunk in dump order, in its slot once the writer is done with
 * the slot's last one, and classified here (excl_classify goes in frame
 * order); NULL when none is left or the dump stops.
 */
static struct chunk *take_chunk(struct kdump *k)
{
	const struct memx_seg *s;
	struct chunk *c = NULL;

	pthread_mutex_lock(&k->lock);
	while (!k->quit && k->taken < k->chunks &&
	       k->taken - k->written >= k->slots)
		pthread_cond_wait(&k->freed, &k->lock);
	if (k->quit || k->taken == k->chunks)
		goto out;
	c = &k->ring[k->taken++ % k->slots];
	s = &k->d->seg[k->seg];
	c->seg = s;
	c->pos = k->pos;
	c->hi = k->pos + CHUNK < s->paddr + s->size ? k->pos + CHUNK :
						       s->paddr + s->size;
	k->pos += CHUNK;
	if (k->pos >= s->paddr + s->size && ++k->seg < k->d->nseg)
		k->pos = k->d->seg[k->seg].paddr & ~(k->page - 1);
	classify(k, c);
out:
	pthread_mutex_unlock(&k->lock);
	return c;
}

static void set_state(struct kdump *k, struct chunk *c, int state)
{
	pthread_mutex_lock(&k->lock);
	c->state = state;
	pthread_cond_signal(&k->ready);
	pthread_mutex_unlock(&k->lock);
}

/* A reading thread: chunks read and compressed, until none is left. */
static void *read_thread(void *arg)
{
	struct packer *p = arg;
	struct kdump *k = p->k;
	struct chunk *c;

	while ((c = take_chunk(k))) {
		if (read_chunk(k, c)) {
			set_state(k, c, CHUNK_FAILED);
			break;
		}
		pack_chunk(p, c);
		set_state(k, c, CHUNK_READY);
	}
	return NULL;
}

/*
 * The reading threads, started once, with every signal blocked (SIGINT
 * and SIGTERM stop the writer, between two writes), and the lock held
 * until the last one is born (none takes a chunk before); 0 or -1 after a
 * message.
 */
static int start_threads(struct kdump *k)
{
	sigset_t all, old;
	int err = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_mutex_lock(&k->lock);
	while (k->started < k->jobs) {
		err = pthread_create(&k->pk[k->started].thread, NULL,
				     read_thread, &k->pk[k->started]);
		if (err)
			break;
		k->started++;
	}
	pthread_mutex_unlock(&k->lock);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		fprintf(stderr, "memx: cannot start %u threads: %s\n", k->jobs,
			strerror(err));
	return err ? -1 : 0;
}

static void stop_threads(struct kdump *k)
{
	unsigned int t;

	pthread_mutex_lock(&k->lock);
	k->quit = 1;
	pthread_cond_broadcast(&k->freed);
	pthread_mutex_unlock(&k->lock);
	for (t = 0; t < k->started; t++)
		pthread_join(k->pk[t].thread, NULL);
}

/* The writer's next chunk, once read; NULL when its read failed. */
static struct chunk *next_ready(struct kdump *k)
{
	struct chunk *c = &k->ring[k->written % k->slots];

	pthread_mutex_lock(&k->lock);
	while (c->state == CHUNK_EMPTY)
		pthread_cond_wait(&k->ready, &k->lock);
	pthread_mutex_unlock(&k->lock);
	return c->state == CHUNK_READY ? c : NULL;
}

static void release(struct kdump *k, struct chunk *c)
{
	pthread_mutex_lock(&k->lock);
	c->state = CHUNK_EMPTY;
	k->written++;
	pthread_cond_broadcast(&k->freed);
	pthread_mutex_unlock(&k->lock);
}

/* --hash: range @s is written, its digest done. */
static void range_done(struct kdump *k, const struct memx_seg *s)
{
	if (s && k->d->digest)
		sha256_digest(&k->sha, SHA256_DIGEST_SIZE,
			      k->d->digest[s - k->d->seg]);
}

/* Every chunk written in order as the threads make it ready. */
static int write_chunks(struct kdump *k)
{
	const struct memx_seg *seg = NULL;
	struct chunk *c;

	while (k->written < k->chunks) {
		c = next_ready(k);
		if (!c)
			return -1;
		if (c->seg != seg) {
			range_done(k, seg);
			seg = c->seg;
			sha256_init(&k->sha);
		}
		if (write_chunk(k, c))
			return -1;
		release(k, c);
		dump_progress(k->d, 0);
	}
	range_done(k, seg);
	return flush(k);
}

static int kdump_ranges(struct kdump *k)
{
	int ret = start_threads(k);

	if (!ret)
		ret = write_chunks(k);
	stop_threads(k);
	return ret;
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
 * VMCOREINFO's (at @info), then with --hash the MEMX note (@memx_len
 * bytes).
 */
static int kdump_headers(struct kdump *k, const uint8_t *note,
			 size_t note_len, size_t info, size_t memx_len,
			 uint32_t sub_blocks)
{
	struct kdump_header h = { .signature = "KDUMP   ",
				  .header_version = KDUMP_VERSION };
	struct kdump_sub_header sh = { .dump_level = k->d->level };
	uint64_t off = k->page + sizeof(sh);
	size_t text = info + note_text(note + info, &sh.size_vmcoreinfo);
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
	h.status = k->pk[0].codec->flag;
	h.block_size = k->page;
	h.sub_hdr_size = sub_blocks;
	h.bitmap_blocks = 2 * k->map_bytes / k->page;
	h.max_mapnr = k->max_mapnr > UINT32_MAX ? UINT32_MAX : k->max_mapnr;
	h.nr_cpus = sysconf(_SC_NPROCESSORS_ONLN);

	sh.offset_note = off;
	sh.size_note = note_len + memx_len;
	sh.offset_vmcoreinfo = off + text;
	vmcoreinfo_value((const char *)note + text, sh.size_vmcoreinfo,
			 "NUMBER(phys_base)", &phys_base);
	sh.phys_base = phys_base;
	sh.end_pfn = h.max_mapnr;
	sh.end_pfn_64 = k->max_mapnr;
	sh.max_mapnr_64 = k->max_mapnr;

	if (memx_len)
		hash_note(k->d, 0, k->memx_note);
	return dump_write_at(k->d, &h, sizeof(h), 0) ||
	       dump_write_at(k->d, &sh, sizeof(sh), k->page) ||
	       dump_write_at(k->d, note, note_len, off) ||
	       dump_write_at(k->d, k->memx_note, memx_len, off + note_len);
}

static int packer_setup(struct packer *p, const struct codec *codec)
{
	p->codec = codec;
	p->page = p->k->page;
	p->cbuf_size = 2 * p->page;
	p->cbuf = malloc(p->cbuf_size);
	p->zstd = ZSTD_createCCtx();
	p->lzo_work = malloc(LZO1X_1_MEM_COMPRESS);
	return p->cbuf && p->zstd && p->lzo_work &&
	       deflateInit2(&p->zlib, Z_BEST_SPEED, Z_DEFLATED, 12, 4,
			    Z_DEFAULT_STRATEGY) == Z_OK ? 0 : -1;
}

static void packer_free(struct packer *p)
{
	free(p->cbuf);
	ZSTD_freeCCtx(p->zstd);
	deflateEnd(&p->zlib);
	free(p->lzo_work);
}

/*
 * The ring: two slots a thread, so that each can read its next chunk while
 * its last waits to be written; the chunks, counted.
 */
static int ring_setup(struct kdump *k)
{
	const struct memx_seg *s;
	unsigned int i;

	k->slots = 2 * k->jobs;
	k->ring = calloc(k->slots, sizeof(*k->ring));
	if (!k->ring)
		return -1;
	for (i = 0; i < k->slots; i++) {
		k->ring[i].in = malloc(CHUNK);
		k->ring[i].out = malloc(CHUNK);
		if (!k->ring[i].in || !k->ring[i].out)
			return -1;
	}
	for (s = k->d->seg; s < k->d->seg + k->d->nseg; s++)
		k->chunks += (s->paddr + s->size - (s->paddr & ~(k->page - 1)) +
			      CHUNK - 1) / CHUNK;
	k->pos = k->d->seg[0].paddr & ~(k->page - 1);
	return 0;
}

/* The zero pages' one copy, compressed before the dump starts. */
static int pack_zero(struct kdump *k)
{
	k->zero_data = calloc(1, k->page);
	if (!k->zero_data)
		return -1;
	k->zero.size = pack_page(&k->pk[0], k->zero_data, k->zero_data,
				 &k->zero.flags);
	return 0;
}

static int kdump_setup(struct kdump *k)
{
	const struct memx_seg *s = k->d->seg, *last = &s[k->d->nseg - 1];
	const struct codec *codec = NULL;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(codecs); i++)
		if (!strcmp(k->d->compress, codecs[i].name))
			codec = &codecs[i];
	k->page = k->d->page;
	for (i = 0; i < k->d->nseg; i++)
		k->pages += (s[i].paddr + s[i].size + k->page - 1) / k->page -
			    s[i].paddr / k->page;
	k->max_mapnr = (last->paddr + last->size + k->page - 1) / k->page;
	k->map_bytes = ((k->max_mapnr + 7) / 8 + k->page - 1) / k->page *
		       k->page;
	k->ram_map = calloc(1, k->map_bytes);
	k->dump_map = calloc(1, k->map_bytes);
	k->desc = calloc(k->pages, sizeof(*k->desc));
	k->jobs = k->d->jobs;
	k->pk = calloc(k->jobs, sizeof(*k->pk));
	if (!k->ram_map || !k->dump_map || !k->desc || !k->pk ||
	    lzo_init() != LZO_E_OK)
		goto fail;
	for (i = 0; i < k->jobs; i++) {
		k->pk[i].k = k;
		if (packer_setup(&k->pk[i], codec))
			goto fail;
	}
	k->wbuf = malloc(CHUNK);
	if (!k->wbuf || ring_setup(k) || pack_zero(k))
		goto fail;
	return 0;
fail:
	fprintf(stderr, "memx: out of memory for a kdump of %llu pages, %u jobs\n",
		(unsigned long long)k->pages, k->jobs);
	return -1;
}

static void kdump_free(struct kdump *k)
{
	unsigned int i;

	for (i = 0; k->pk && i < k->jobs; i++)
		packer_free(&k->pk[i]);
	for (i = 0; k->ring && i < k->slots; i++) {
		free(k->ring[i].in);
		free(k->ring[i].out);
	}
	excl_free(k->excl);
	free(k->memx_note);
	free(k->zero_data);
	free(k->wbuf);
	free(k->ring);
	free(k->pk);
	free(k->ram_map);
	free(k->dump_map);
	free(k->desc);
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
static void print_left_out(const struct kdump *k)
{
	fprintf(stderr, "memx: dump level %u left out %llu cache, %llu cache-private, ",
		k->d->level, (unsigned long long)k->left_out[EXCL_CACHE],
		(unsigned long long)k->left_out[EXCL_CACHE_PRIVATE]);
	fprintf(stderr, "%llu user and %llu free pages, and stored %llu zero pages as one\n",
		(unsigned long long)k->left_out[EXCL_USER],
		(unsigned long long)k->left_out[EXCL_FREE],
		(unsigned long long)k->left_out[EXCL_ZERO]);
	fprintf(stderr, "memx: memx's own anonymous memory: %lu pages\n",
		own_anon_pages(k->page));
}

int dump_kdump(struct dump *d)
{
	struct kdump k = { .d = d, .lock = PTHREAD_MUTEX_INITIALIZER,
			   .ready = PTHREAD_COND_INITIALIZER,
			   .freed = PTHREAD_COND_INITIALIZER };
	uint8_t *note = NULL;
	uint32_t sub_blocks;
	size_t note_len, info;
	uint64_t map_off, text_len;
	size_t text, memx_len;
	int ret = -1;

	if (!strcmp(d->path, "-") || lseek(d->out, 0, SEEK_SET) < 0) {
		fprintf(stderr, "memx: kdump seeks back to its page table: give -o a file\n");
		return -1;
	}
	note_len = dump_notes(d, &note, &info);
	if (!note_len || kdump_setup(&k))
		goto out;
	if (d->level) {
		text = info + note_text(note + info, &text_len);
		k.excl = excl_new(d, (const char *)note + text, text_len);
		if (!k.excl)
			goto out;
	}
	memx_len = d->digest ? hash_note_size(d->nseg) : 0;
	k.memx_note = malloc(memx_len + 1);
	if (!k.memx_note)
		goto out;
	sub_blocks = (sizeof(struct kdump_sub_header) + note_len + memx_len +
		      k.page - 1) / k.page;
	map_off = (1 + sub_blocks) * k.page;
	k.desc_off = map_off + 2 * k.map_bytes;
	d->pos = k.desc_off + k.pages * sizeof(*k.desc);
	if (lseek(d->out, d->pos, SEEK_SET) < 0) {
		fprintf(stderr, "memx: cannot seek in %s: %s\n", d->path,
			strerror(errno));
		goto out;
	}
	if (kdump_ranges(&k))
		goto out;
	if (kdump_headers(&k, note, note_len, info, memx_len, sub_blocks) ||
	    dump_write_at(d, k.ram_map, k.map_bytes, map_off) ||
	    dump_write_at(d, k.dump_map, k.map_bytes, map_off + k.map_bytes) ||
	    dump_write_at(d, k.desc, k.ndesc * sizeof(*k.desc), k.desc_off))
		goto out;
	if (d->level)
		print_left_out(&k);
	ret = 0;
out:
	kdump_free(&k);
	free(note);
	return ret;
}
