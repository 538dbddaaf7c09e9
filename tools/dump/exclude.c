// SPDX-License-Identifier: GPL-2.0
/*
 * memx dump --exclude: the pages a kdump leaves out, decided the way
 * makedumpfile decides from a vmcore: from the kernel's own struct pages,
 * read through /dev/kmemx and laid out as VMCOREINFO describes them.
 *
 *   free           a free buddy block: its first page has the buddy page
 *                  type and the block's order in page.private
 *   cache          page cache: on an LRU list or in the swap cache, the
 *                  mapping not anonymous, PG_private clear
 *   cache-private  the same with PG_private set (buffer heads)
 *   user           anonymous memory (the mapping's low bit) and hugetlbfs
 *                  (6.1: the destructor byte of the head's first tail page,
 *                  only when the next page is a tail: a slab page's list
 *                  poison has the same byte there)
 *   zero           pages of zeros among the rest (the kdump writer's test;
 *                  stored once, they read as zeros, as makedumpfile has it)
 *
 * Slab pages are never cache or user.  A tail page of a compound page goes
 * with its head, the last page before it that is not a tail.  The page
 * type lives in _mapcount: the whole word before 6.12 (the buddy value is
 * -129 on 6.1), only its top byte since (0xf0000000 with the low 24 bits
 * free for the type's own use).  struct page is found through mem_section
 * (SPARSEMEM_EXTREME), as VMCOREINFO gives it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../memx_tool.h"
#include "dump.h"
#include "exclude.h"

#define SECTION_HAS_MEM_MAP	2ULL
#define SECTION_MAP_MASK	(~0xffULL)
#define NO_VALUE		INT64_MIN
#define PAGE_STRUCT_MAX		1024	/* bytes: 64 in every kernel we know */

struct excl {
	int kmem;
	uint64_t kpage;			/* the kernel's page size */
	uint64_t roots, nroots, per_root, sec_size, sec_map, sec_shift;
	uint64_t page_size, flags, mapping, mapcount, private, head;
	int64_t dtor;			/* 6.1: the hugetlb destructor's offset */
	uint64_t lru, priv, swapcache, swapbacked, slab_flag;
	int64_t buddy, slab_type, hugetlb_type, hugetlb_dtor;
	uint64_t map_nr, map;		/* the last section looked up */
	uint64_t free_left;		/* pages left of a free block */
	uint8_t head_class;		/* the last head page's class */
	uint8_t *buf;			/* struct pages, one chunk's worth */
};

/* @key's value, or NO_VALUE; *missing names the first key absent. */
static int64_t want(const char *info, size_t len, const char *key,
		    const char **missing)
{
	int64_t v;

	if (!vmcoreinfo_value(info, len, key, &v))
		return v;
	if (!*missing)
		*missing = key;
	return NO_VALUE;
}

static int64_t maybe(const char *info, size_t len, const char *key)
{
	int64_t v;

	return vmcoreinfo_value(info, len, key, &v) ? NO_VALUE : v;
}

/* Is @v in [@lo, @hi]?  Else a message naming VMCOREINFO's @key. */
static int in_range(uint64_t v, uint64_t lo, uint64_t hi, const char *key)
{
	if (v >= lo && v <= hi)
		return 0;
	fprintf(stderr,
		"memx: VMCOREINFO's %s is %lld, not %llu to %llu: --exclude cannot tell pages apart\n",
		key, (long long)v, (unsigned long long)lo,
		(unsigned long long)hi);
	return -1;
}

/* A page flag's bit number into its mask; 0 or -1. */
static int flag_mask(uint64_t *flag, const char *key)
{
	if (in_range(*flag, 0, 63, key))
		return -1;
	*flag = 1ULL << *flag;
	return 0;
}

/*
 * The layout VMCOREINFO gave, within what a struct page and a mem_section
 * can be: every field read inside the struct, every shift in 64 bits.
 */
static int excl_check(struct excl *e)
{
	uint64_t ps = e->page_size, page = e->kpage;
	unsigned int shift = __builtin_ctzll(page);

	if (in_range(ps, 16, PAGE_STRUCT_MAX, "SIZE(page)") ||
	    in_range(e->sec_size, 8, page, "SIZE(mem_section)") ||
	    in_range(e->sec_map, 0, e->sec_size - 8,
		     "OFFSET(mem_section.section_mem_map)") ||
	    in_range(e->sec_shift, shift, 63, "NUMBER(SECTION_SIZE_BITS)") ||
	    in_range(e->flags, 0, ps - 8, "OFFSET(page.flags)") ||
	    in_range(e->mapping, 0, ps - 8, "OFFSET(page.mapping)") ||
	    in_range(e->mapcount, 0, ps - 4, "OFFSET(page._mapcount)") ||
	    in_range(e->private, 0, ps - 8, "OFFSET(page.private)") ||
	    in_range(e->head, 0, ps - 8, "OFFSET(page.compound_head)") ||
	    (e->dtor != NO_VALUE &&
	     in_range(e->dtor, 0, ps - 1, "OFFSET(page.compound_dtor)")) ||
	    flag_mask(&e->lru, "NUMBER(PG_lru)") ||
	    flag_mask(&e->priv, "NUMBER(PG_private)") ||
	    flag_mask(&e->swapcache, "NUMBER(PG_swapcache)") ||
	    flag_mask(&e->swapbacked, "NUMBER(PG_swapbacked)"))
		return -1;
	if (e->slab_flag == (uint64_t)NO_VALUE)
		e->slab_flag = 0;
	else if (flag_mask(&e->slab_flag, "NUMBER(PG_slab)"))
		return -1;
	e->per_root = page / e->sec_size;	/* SECTIONS_PER_ROOT */
	e->sec_shift -= shift;			/* PFN_SECTION_SHIFT */
	return 0;
}

static int excl_layout(struct excl *e, const char *info, size_t len)
{
	const char *missing = NULL;

	e->roots = want(info, len, "SYMBOL(mem_section)", &missing);
	e->nroots = want(info, len, "LENGTH(mem_section)", &missing);
	e->sec_size = want(info, len, "SIZE(mem_section)", &missing);
	e->sec_map = want(info, len, "OFFSET(mem_section.section_mem_map)",
			  &missing);
	e->sec_shift = want(info, len, "NUMBER(SECTION_SIZE_BITS)", &missing);
	e->page_size = want(info, len, "SIZE(page)", &missing);
	e->flags = want(info, len, "OFFSET(page.flags)", &missing);
	e->mapping = want(info, len, "OFFSET(page.mapping)", &missing);
	e->mapcount = want(info, len, "OFFSET(page._mapcount)", &missing);
	e->private = want(info, len, "OFFSET(page.private)", &missing);
	e->head = maybe(info, len, "OFFSET(page.compound_info)");
	if (e->head == (uint64_t)NO_VALUE)
		e->head = want(info, len, "OFFSET(page.compound_head)",
			       &missing);
	e->lru = want(info, len, "NUMBER(PG_lru)", &missing);
	e->priv = want(info, len, "NUMBER(PG_private)", &missing);
	e->swapcache = want(info, len, "NUMBER(PG_swapcache)", &missing);
	e->swapbacked = want(info, len, "NUMBER(PG_swapbacked)", &missing);
	e->buddy = want(info, len, "NUMBER(PAGE_BUDDY_MAPCOUNT_VALUE)",
			&missing);
	e->slab_flag = maybe(info, len, "NUMBER(PG_slab)");
	e->slab_type = maybe(info, len, "NUMBER(PAGE_SLAB_MAPCOUNT_VALUE)");
	e->hugetlb_type = maybe(info, len,
				"NUMBER(PAGE_HUGETLB_MAPCOUNT_VALUE)");
	e->hugetlb_dtor = maybe(info, len, "NUMBER(HUGETLB_PAGE_DTOR)");
	e->dtor = maybe(info, len, "OFFSET(page.compound_dtor)");
	if (missing) {
		fprintf(stderr, "memx: VMCOREINFO has no %s: --exclude cannot tell pages apart\n",
			missing);
		return -1;
	}
	return excl_check(e);
}

struct excl *excl_new(int kmem, uint64_t page, const char *info, size_t len)
{
	struct excl *e = calloc(1, sizeof(*e));

	if (!e)
		goto fail;
	e->kmem = kmem;
	e->kpage = page;
	if (excl_layout(e, info, len))
		goto fail;
	e->map_nr = UINT64_MAX;
	e->buf = malloc(CHUNK_PAGES * e->page_size);
	if (e->buf)
		return e;
	fprintf(stderr, "memx: out of memory for --exclude\n");
fail:
	excl_free(e);
	return NULL;
}

void excl_free(struct excl *e)
{
	if (e)
		free(e->buf);
	free(e);
}

static int kread(struct excl *e, uint64_t addr, void *buf, size_t len)
{
	return memx_xfer(e->kmem, 0, addr, buf, len) == (ssize_t)len ? 0 : -1;
}

/* The struct page array's base for section @nr (map + pfn), or 0. */
static uint64_t section_map(struct excl *e, uint64_t nr)
{
	uint64_t root = 0, map = 0;

	if (nr == e->map_nr)
		return e->map;
	if (nr / e->per_root < e->nroots &&
	    !kread(e, e->roots + nr / e->per_root * 8, &root, 8) && root &&
	    !kread(e, root + nr % e->per_root * e->sec_size + e->sec_map,
		   &map, 8) && (map & SECTION_HAS_MEM_MAP))
		map &= SECTION_MAP_MASK;
	else
		map = 0;
	e->map_nr = nr;
	e->map = map;
	return map;
}

static uint64_t u64_at(const uint8_t *p, uint64_t off)
{
	uint64_t v;

	memcpy(&v, p + off, 8);
	return v;
}

/* Is the page type in _mapcount @type (a VMCOREINFO value)? */
static int has_type(int64_t type, uint32_t mapcount)
{
	if (type == NO_VALUE)
		return 0;
	if (type & 0xffffff)		/* before 6.12: the whole word */
		return mapcount == (uint32_t)type;
	return mapcount >> 24 == (uint32_t)type >> 24;
}

/* The class of a page that is neither a tail nor inside a free block. */
static uint8_t page_class(struct excl *e, const uint8_t *pg,
			  const uint8_t *next)
{
	uint64_t flags = u64_at(pg, e->flags), mapping = u64_at(pg, e->mapping);
	uint32_t mapcount;

	memcpy(&mapcount, pg + e->mapcount, 4);
	if (has_type(e->buddy, mapcount)) {
		e->free_left = u64_at(pg, e->private) < 20 ?
			       1ULL << u64_at(pg, e->private) : 1;
		return EXCL_FREE;
	}
	if ((flags & e->slab_flag) || has_type(e->slab_type, mapcount))
		return EXCL_KEEP;
	if (!(mapping & 1) && ((flags & e->lru) ||
			       ((flags & e->swapcache) && (flags & e->swapbacked))))
		return flags & e->priv ? EXCL_CACHE_PRIVATE : EXCL_CACHE;
	if ((mapping & 1) || has_type(e->hugetlb_type, mapcount) ||
	    (next && e->dtor != NO_VALUE && (u64_at(next, e->head) & 1) &&
	     next[e->dtor] == (uint8_t)e->hugetlb_dtor))
		return EXCL_USER;
	return EXCL_KEEP;
}

/* The classes of frames [pfn, pfn + n), all in one section. */
static void classify_run(struct excl *e, uint64_t pfn, unsigned int n,
			 uint8_t *cls)
{
	uint64_t map = section_map(e, pfn >> e->sec_shift);
	const uint8_t *pg;
	unsigned int i;

	if (!map || kread(e, map + pfn * e->page_size, e->buf,
			  n * e->page_size)) {
		memset(cls, EXCL_KEEP, n);	/* no struct page: keep */
		e->free_left = 0;
		return;
	}
	for (i = 0; i < n; i++) {
		pg = e->buf + i * e->page_size;
		if (e->free_left) {
			e->free_left--;
			cls[i] = EXCL_FREE;
			continue;
		}
		if (u64_at(pg, e->head) & 1) {
			cls[i] = e->head_class;
			continue;
		}
		cls[i] = page_class(e, pg, i + 1 < n ? pg + e->page_size : NULL);
		e->head_class = cls[i];
		if (e->free_left)
			e->free_left--;
	}
}

void excl_classify(struct excl *e, uint64_t pfn, unsigned int n, uint8_t *cls)
{
	uint64_t end = pfn + n, stop;

	while (pfn < end) {
		stop = ((pfn >> e->sec_shift) + 1) << e->sec_shift;
		if (stop > end)
			stop = end;
		classify_run(e, pfn, stop - pfn, cls);
		cls += stop - pfn;
		pfn = stop;
	}
}
