/* SPDX-License-Identifier: GPL-2.0 */
/* memx dump --exclude: each page's class (exclude.c). */
#ifndef MEMX_EXCLUDE_H
#define MEMX_EXCLUDE_H

#include <stddef.h>
#include <stdint.h>

/*
 * A page's class for --exclude; level bit 1 << (class - 1) leaves it out,
 * but for zero pages, which it counts (a kdump stores them as one).
 */
enum {
	EXCL_KEEP,
	EXCL_ZERO,		/* 1 */
	EXCL_CACHE,		/* 2, and 4 */
	EXCL_CACHE_PRIVATE,	/* 4 */
	EXCL_USER,		/* 8 */
	EXCL_FREE,		/* 16 */
	EXCL_CLASSES
};

/*
 * The page classifier, from VMCOREINFO's text, reading struct pages
 * through @kmem (kmemx) for a kernel of @page bytes a page; NULL after a
 * message.  excl_classify: the classes of frames [pfn, pfn + n), n at
 * most a chunk's pages, called in frame order (a free block or a compound
 * page runs on).
 */
struct excl *excl_new(int kmem, uint64_t page, const char *info, size_t len);
void excl_classify(struct excl *e, uint64_t pfn, unsigned int n, uint8_t *cls);
void excl_free(struct excl *e);

#endif /* MEMX_EXCLUDE_H */
