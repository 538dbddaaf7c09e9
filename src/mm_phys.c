// SPDX-License-Identifier: GPL-2.0
/*
 * memx: the physical backend of /dev/memx.
 *
 * A physical page is memory only when pfn_valid() and it lies in a System
 * RAM resource of the iomem tree; it must also be online, not given back to
 * a hypervisor, not poisoned, and present in the direct map.  Everything else
 * is EFAULT (EIO for poison), and the end of the highest System RAM range is
 * the end of the "file".
 */

#include <linux/ioport.h>
#include <linux/memory_hotplug.h>
#include <linux/mm.h>
#include <linux/page-flags.h>

#include "memx.h"
#include "memx_compat.h"

static int memx_range_first(struct resource *res, void *arg)
{
	struct memx_range *r = arg;

	r->start = res->start;
	r->end = res->end;
	return 1;
}

static int memx_range_last(struct resource *res, void *arg)
{
	struct memx_range *r = arg;

	*r = (struct memx_range){ .start = res->start, .end = res->end };
	return 0;
}

/* First System RAM at or above @addr (clipped to start there); false if none. */
static bool memx_ram_next(u64 addr, struct memx_range *r)
{
	return walk_iomem_res_desc(IORES_DESC_NONE,
				   IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY,
				   addr, U64_MAX, r, memx_range_first) == 1;
}

/*
 * The System RAM at or above @addr into @ram, unless @ram already holds
 * @addr: the iomem tree is walked once a range, not once a page.
 */
static bool memx_ram_find(u64 addr, struct memx_range *ram)
{
	if (addr >= ram->start && addr <= ram->end)
		return true;
	return memx_ram_next(addr, ram);
}

/* One past the last byte of System RAM: the size of the physical "file". */
static u64 memx_ram_end(void)
{
	struct memx_range r = { .end = U64_MAX };

	walk_iomem_res_desc(IORES_DESC_NONE,
			    IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY,
			    0, U64_MAX, &r, memx_range_last);
	return r.end + 1;
}

/* The whole page is System RAM with a struct page. */
bool memx_pfn_is_ram(unsigned long pfn, struct memx_range *ram)
{
	u64 pa = PFN_PHYS(pfn);

	return pfn_valid(pfn) && memx_ram_find(pa, ram) && ram->start <= pa &&
	       ram->end >= pa + PAGE_SIZE - 1;
}

/*
 * Unaccepted memory (TDX, SEV-SNP guests) is fatal to touch before the guest
 * accepts it; /proc/kcore skips it through range_contains_unaccepted_memory(),
 * which modules cannot call.  The first page of its block says it instead.
 */
static bool memx_pfn_unaccepted(unsigned long pfn)
{
	struct page *head = pfn_to_online_page(ALIGN_DOWN(pfn,
							  MAX_ORDER_NR_PAGES));

	return head && memx_page_unaccepted(head);
}

/* An online, present, healthy, accepted RAM page: 0, -EFAULT or -EIO. */
int memx_ram_page_check(unsigned long pfn)
{
	struct page *page = pfn_to_online_page(pfn);

	if (!page || PageOffline(page) || memx_pfn_unaccepted(pfn))
		return -EFAULT;
	if (is_page_hwpoison(page))
		return -EIO;
	return 0;
}

/*
 * Check the page holding @addr for an access of *@len bytes, clipping *@len
 * to the System RAM range; @map gets its direct-map entry.  Returns the
 * direct-map address, NULL past the end of RAM, or an ERR_PTR.
 */
static void *memx_phys_check(u64 addr, size_t *len, bool write,
			     struct memx_kmap *map, struct memx_range *ram)
{
	unsigned long pfn = PHYS_PFN(addr);
	unsigned long va;
	int err;

	if (!memx_ram_find(addr, ram))
		return NULL;
	if (ram->start > addr || !pfn_valid(pfn))
		return ERR_PTR(-EFAULT);
	err = memx_ram_page_check(pfn);
	if (err)
		return ERR_PTR(err);

	va = (unsigned long)__va(addr);
	err = memx_kmap_lookup(va, map);
	if (err)
		return ERR_PTR(err);
	if (write && !map->writable)
		return ERR_PTR(-EFAULT);
	*len = min_t(u64, *len, ram->end - addr + 1);
	return (void *)va;
}

static ssize_t memx_phys_read(u64 addr, char __user *buf, size_t len,
			      bool io)
{
	struct memx_range ram = MEMX_RANGE_NONE;
	struct memx_kmap map;
	void *va = memx_phys_check(addr, &len, false, &map, &ram);

	if (IS_ERR_OR_NULL(va))
		return PTR_ERR(va);
	return memx_read_kernel(buf, (unsigned long)va, len);
}

/* Past the end of RAM a read is end of file, a write EFAULT. */
static ssize_t memx_phys_write(u64 addr, const char __user *buf, size_t len,
			       bool io)
{
	struct memx_range ram = MEMX_RANGE_NONE;
	struct memx_kmap map;
	void *va = memx_phys_check(addr, &len, true, &map, &ram);

	if (!va)
		return -EFAULT;
	if (IS_ERR(va))
		return PTR_ERR(va);
	return memx_write_kernel((unsigned long)va, buf, len);
}

/* mmap needs the whole page in System RAM; past the end is ENXIO too. */
static int memx_phys_frame(u64 addr, bool io, struct memx_frame *frame,
			   struct memx_range *ram)
{
	size_t len = PAGE_SIZE;
	struct memx_kmap map;
	void *va = memx_phys_check(addr, &len, false, &map, ram);

	if (IS_ERR(va))
		return PTR_ERR(va);
	if (!va || len < PAGE_SIZE)
		return -ENXIO;
	*frame = (struct memx_frame){
		.pfn = PHYS_PFN(addr),
		.kaddr = (unsigned long)va,
		.cache = map.cache,
		.writable = map.writable,
	};
	return 0;
}

/* Offsets are physical addresses. */
static pgoff_t memx_phys_pgoff(unsigned long pfn)
{
	return pfn;
}

/* Where the hole at or after @pos begins: adjacent RAM ranges merge. */
static u64 memx_hole_from(u64 pos)
{
	struct memx_range r;

	while (memx_ram_next(pos, &r) && r.start == pos)
		pos = r.end + 1;
	return pos;
}

static int memx_phys_seek(u64 *pos, int whence)
{
	u64 end = memx_ram_end();
	struct memx_range r;

	switch (whence) {
	case SEEK_END:
		*pos += end;
		return 0;
	case SEEK_DATA:
		if (*pos >= end || !memx_ram_next(*pos, &r))
			return -ENXIO;
		*pos = r.start;
		return 0;
	case SEEK_HOLE:
		if (*pos >= end)
			return -ENXIO;
		*pos = memx_hole_from(*pos);
		return 0;
	}
	return -EINVAL;
}

const struct memx_ops memx_phys_ops = {
	.read	= memx_phys_read,
	.write	= memx_phys_write,
	.seek	= memx_phys_seek,
	.frame	= memx_phys_frame,
	.pgoff	= memx_phys_pgoff,
};
