// SPDX-License-Identifier: GPL-2.0
/*
 * memx: the kernel-virtual backend of /dev/kmemx and /dev/allkmemx.
 *
 * An address is looked up in the kernel page tables before anything touches
 * it: unmapped, non-canonical and guard addresses are EFAULT; a frame that is
 * not System RAM is I/O memory, refused (kmemx) or accessed (allkmemx) with
 * the exact-width, fault-safe accessors of mm_access.c, so a mapping that
 * goes away under us costs an EFAULT, not an oops.
 */

#include <linux/mm.h>
#include <linux/uaccess.h>
#include <asm/pgtable.h>

#include "memx.h"

/* The top bit selects the kernel half; the caller's own memory is below. */
static bool memx_is_user_half(u64 addr)
{
	return !(addr >> 63);
}

/*
 * Canonical for the paging mode in use (bits 63..47, or 63..56 with 5-level
 * paging, all equal), not for what the CPU could do.
 */
static bool memx_is_canonical(u64 addr)
{
	unsigned int shift = 63 - __VIRTUAL_MASK_SHIFT;

	return (u64)((s64)(addr << shift) >> shift) == addr;
}

int memx_kmap_lookup(unsigned long addr, struct memx_kmap *map)
{
	unsigned int level;
	pte_t *pte;

	if (!memx_is_canonical(addr))
		return -EFAULT;
	pte = lookup_address(addr, &level);
	if (!pte || !pte_present(*pte))
		return -EFAULT;

	switch (level) {
	case PG_LEVEL_4K:
		map->pfn = pte_pfn(*pte);
		map->shift = PAGE_SHIFT;
		break;
	case PG_LEVEL_2M:
		map->pfn = pmd_pfn(*(pmd_t *)pte);
		map->shift = PMD_SHIFT;
		break;
	case PG_LEVEL_1G:
		map->pfn = pud_pfn(*(pud_t *)pte);
		map->shift = PUD_SHIFT;
		break;
	default:
		return -EFAULT;
	}
	map->pfn += (addr & ((1UL << map->shift) - 1)) >> PAGE_SHIFT;
	map->writable = pte_write(*pte);
	return 0;
}

/*
 * Check @addr for an access.  Returns 1 for RAM, 0 for I/O memory the node
 * may touch, or a negative errno; @map holds the lookup.
 */
static int memx_kvirt_check(u64 addr, bool write, bool io,
			    struct memx_kmap *map)
{
	int err;

	err = memx_kmap_lookup(addr, map);
	if (err)
		return err;
	if (write && !map->writable)
		return -EFAULT;
	if (!memx_pfn_is_ram(map->pfn))
		return io ? 0 : -EIO;
	err = memx_ram_page_check(map->pfn);
	return err ? err : 1;
}

static ssize_t memx_kvirt_read(u64 addr, char __user *buf, size_t len,
			       bool io)
{
	struct memx_kmap map;
	int err;

	if (memx_is_user_half(addr))
		return memx_moved(len, memx_copy_user(buf,
				  (const void __user *)addr, len));
	err = memx_kvirt_check(addr, false, io, &map);
	if (err < 0)
		return err;
	return memx_moved(len, memx_read_kernel(buf, addr, len));
}

static ssize_t memx_kvirt_write(u64 addr, const char __user *buf, size_t len,
				bool io)
{
	struct memx_kmap map;
	int err;

	if (memx_is_user_half(addr))
		return memx_moved(len, memx_copy_user((void __user *)addr,
				  buf, len));
	err = memx_kvirt_check(addr, true, io, &map);
	if (err < 0)
		return err;
	return memx_moved(len, memx_write_kernel(addr, buf, len));
}

/* The frame behind a kernel page; the user half is not mappable. */
static int memx_kvirt_frame(u64 addr, bool io, struct memx_frame *frame)
{
	struct memx_kmap map;
	int ret;

	if (memx_is_user_half(addr))
		return -ENXIO;
	ret = memx_kvirt_check(addr, false, io, &map);
	if (ret < 0)
		return ret;
	frame->pfn = map.pfn;
	frame->io = !ret;
	frame->writable = map.writable;
	return 0;
}

static int memx_kvirt_vtop(struct memx_vtop *vtop)
{
	struct memx_kmap map;
	int err;

	if (memx_is_user_half(vtop->vaddr))
		return -EFAULT;
	err = memx_kmap_lookup(vtop->vaddr, &map);
	if (err)
		return err;
	vtop->paddr = PFN_PHYS(map.pfn) + offset_in_page(vtop->vaddr);
	vtop->shift = map.shift;
	vtop->flags = 0;
	if (memx_pfn_is_ram(map.pfn))
		vtop->flags |= MEMX_VTOP_RAM;
	if (map.writable)
		vtop->flags |= MEMX_VTOP_WRITABLE;
	return 0;
}

const struct memx_ops memx_kvirt_ops = {
	.read	= memx_kvirt_read,
	.write	= memx_kvirt_write,
	.frame	= memx_kvirt_frame,
	.vtop	= memx_kvirt_vtop,
};
