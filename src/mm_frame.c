// SPDX-License-Identifier: GPL-2.0
/*
 * memx: what a frame and a kernel address are, for both backends.
 *
 * A frame is RAM only when pfn_valid() and its whole page lies in a System
 * RAM resource of the iomem tree; RAM is touched only when it is also
 * online, not given back to a hypervisor, accepted and not poisoned.  Every
 * other frame is I/O memory.  A kernel address is the frame the
 * architecture's page tables (mm_arch.c) map it to; for a read or a write
 * of the direct map, the frame it is the alias of.
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
	r->driver_managed = res->flags & IORESOURCE_SYSRAM_DRIVER_MANAGED;
	return 1;
}

static int memx_range_last(struct resource *res, void *arg)
{
	struct memx_range *r = arg;

	*r = (struct memx_range){ .start = res->start, .end = res->end };
	return 0;
}

/* First System RAM at or above @addr (clipped to start there); false if none. */
bool memx_ram_next(u64 addr, struct memx_range *r)
{
	return walk_iomem_res_desc(IORES_DESC_NONE,
				   IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY,
				   addr, U64_MAX, r, memx_range_first) == 1;
}

/*
 * The System RAM at or above @addr into @ram, unless @ram already holds
 * @addr: the iomem tree is walked once a range, not once a page.
 */
bool memx_ram_find(u64 addr, struct memx_range *ram)
{
	if (addr >= ram->start && addr <= ram->end)
		return true;
	return memx_ram_next(addr, ram);
}

/* One past the last byte of System RAM: the size of the physical "file". */
u64 memx_ram_end(void)
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
 * What the frame @pfn is: 1 for RAM memx may touch, 0 for I/O memory, or
 * -EFAULT (RAM offline, given back or not accepted) or -EIO (poisoned).
 */
static int memx_frame_kind(unsigned long pfn, struct memx_range *ram)
{
	int err;

	if (!memx_pfn_is_ram(pfn, ram))
		return 0;
	err = memx_ram_page_check(pfn);
	return err ? err : 1;
}

/*
 * The kernel mapping of @addr into @map, and memx_frame_kind() of its frame;
 * -EFAULT when it is not mapped, or not writable and @write.
 */
int memx_kaddr_kind(unsigned long addr, bool write, struct memx_kmap *map,
		    struct memx_range *ram)
{
	int err;

	err = memx_kmap_lookup(addr, map);
	if (err)
		return err;
	if (write && !map->writable)
		return -EFAULT;
	return memx_frame_kind(map->pfn, ram);
}

/* A direct-map address: the linear alias of its own frame. */
static bool memx_is_direct_map(unsigned long addr)
{
	return virt_addr_valid((void *)addr) &&
	       (unsigned long)__va(__pa(addr)) == addr;
}

/*
 * memx_kaddr_kind() for a read or a write, which need no mapping.  A
 * direct-map address of RAM is not looked up in the page tables: the
 * direct map holds all of RAM, and a page missing from it (secretmem, a
 * KFENCE guard page) or read-only there faults in the fault-safe access,
 * EFAULT all the same.  Any other address is looked up.
 */
int memx_kaddr_access(unsigned long addr, bool write, struct memx_range *ram)
{
	struct memx_kmap map;
	int kind;

	if (memx_is_direct_map(addr)) {
		kind = memx_frame_kind(PHYS_PFN(__pa(addr)), ram);
		if (kind)
			return kind;
	}
	return memx_kaddr_kind(addr, write, &map, ram);
}
