/* SPDX-License-Identifier: GPL-2.0 */
/* memx dump --compress: a kdump's page compressors (codec.c). */
#ifndef MEMX_CODEC_H
#define MEMX_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* The codec named @name (none, zlib, lzo, snappy, zstd), or NULL. */
const struct codec *codec_find(const char *name);

/* Its flag in a kdump's header and page descriptors (0: none). */
uint32_t codec_flag(const struct codec *codec);

/*
 * A compressor for one thread, of pages of @page bytes; NULL when out of
 * memory.  pack_page: @in compressed into @to, or (*@flags 0) not when
 * that does not make it smaller; its size in the dump.
 */
struct packer *packer_new(const struct codec *codec, size_t page);
uint32_t pack_page(struct packer *p, const uint8_t *in, uint8_t *to,
		   uint32_t *flags);
void packer_free(struct packer *p);

#endif /* MEMX_CODEC_H */
