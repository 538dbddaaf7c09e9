// SPDX-License-Identifier: GPL-2.0
/*
 * memx dump --compress: the codecs of makedumpfile's kdump format, a page
 * at a time, each thread with its own state (no allocation a page).
 */
#include <lzo/lzo1x.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "../memx_kdump.h"
#include "../memx_lib.h"
#include "codec.h"

/* One thread's compressor: the codec's state, one page's output. */
struct packer {
	const struct codec *codec;
	uint8_t *cbuf;
	ZSTD_CCtx *zstd;
	z_stream zlib;
	int zlib_ready;
	void *lzo_work;
	size_t page, cbuf_size;	/* the page's size, twice that */
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

const struct codec *codec_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(codecs); i++)
		if (!strcmp(name, codecs[i].name))
			return &codecs[i];
	return NULL;
}

uint32_t codec_flag(const struct codec *codec)
{
	return codec->flag;
}

uint32_t pack_page(struct packer *p, const uint8_t *in, uint8_t *to,
		   uint32_t *flags)
{
	size_t len = p->codec->pack ? p->codec->pack(p, in) : 0;

	*flags = 0;
	if (!len || len >= p->page)
		return p->page;
	memcpy(to, p->cbuf, len);
	*flags = p->codec->flag;
	return len;
}

struct packer *packer_new(const struct codec *codec, size_t page)
{
	struct packer *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->codec = codec;
	p->page = page;
	p->cbuf_size = 2 * page;
	p->cbuf = malloc(p->cbuf_size);
	p->zstd = ZSTD_createCCtx();
	p->lzo_work = malloc(LZO1X_1_MEM_COMPRESS);
	p->zlib_ready = deflateInit2(&p->zlib, Z_BEST_SPEED, Z_DEFLATED, 12, 4,
				     Z_DEFAULT_STRATEGY) == Z_OK;
	if (p->cbuf && p->zstd && p->lzo_work && p->zlib_ready &&
	    lzo_init() == LZO_E_OK)
		return p;
	packer_free(p);
	return NULL;
}

void packer_free(struct packer *p)
{
	if (!p)
		return;
	free(p->cbuf);
	ZSTD_freeCCtx(p->zstd);
	if (p->zlib_ready)
		deflateEnd(&p->zlib);
	free(p->lzo_work);
	free(p);
}
