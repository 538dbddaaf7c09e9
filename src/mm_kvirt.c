// SPDX-License-Identifier: GPL-2.0
/*
 * memx: the kernel-virtual backend of /dev/kmemx and /dev/allkmemx.
 *
 * An address is looked up in the kernel page tables before anything touches
 * it: unmapped, non-canonical and guard addresses are EFAULT; a frame that is
 * not System RAM is I/O memory, refused (kmemx) or accessed one naturally
 * aligned load or store at a time (allkmemx).  Every access is fault-safe, so
 * a mapping that goes away under us costs an EFAULT, not an oops.
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

/* The largest of 8, 4, 2, 1 that is aligned at @addr and fits in @len. */
static size_t memx_io_width(unsigned long addr, size_t len)
{
	size_t width = 8;

	while (width > len || (addr & (width - 1)))
		width >>= 1;
	return width;
}

/* One load of exactly @width bytes; false if it faulted. */
static bool memx_load(unsigned long addr, void *buf, size_t width)
{
	u64 q;
	u32 l;
	u16 w;
	u8 b;

	switch (width) {
	case 8:
		__get_kernel_nofault(&q, (void *)addr, u64, fault);
		memcpy(buf, &q, 8);
		break;
	case 4:
		__get_kernel_nofault(&l, (void *)addr, u32, fault);
		memcpy(buf, &l, 4);
		break;
	case 2:
		__get_kernel_nofault(&w, (void *)addr, u16, fault);
		memcpy(buf, &w, 2);
		break;
	default:
		__get_kernel_nofault(&b, (void *)addr, u8, fault);
		*(u8 *)buf = b;
		break;
	}
	return true;
fault:
	return false;
}

/* One store of exactly @width bytes; false if it faulted. */
static bool memx_store(unsigned long addr, const void *buf, size_t width)
{
	u64 q;
	u32 l;
	u16 w;

	switch (width) {
	case 8:
		memcpy(&q, buf, 8);
		__put_kernel_nofault((void *)addr, &q, u64, fault);
		break;
	case 4:
		memcpy(&l, buf, 4);
		__put_kernel_nofault((void *)addr, &l, u32, fault);
		break;
	case 2:
		memcpy(&w, buf, 2);
		__put_kernel_nofault((void *)addr, &w, u16, fault);
		break;
	default:
		__put_kernel_nofault((void *)addr, buf, u8, fault);
		break;
	}
	return true;
fault:
	return false;
}

/* Exact-width loads: I/O registers see the accesses the caller asked for. */
static int memx_io_load(unsigned long addr, void *buf, size_t len)
{
	int ret = 0;

	pagefault_disable();
	while (len) {
		size_t width = memx_io_width(addr, len);

		if (!memx_load(addr, buf, width)) {
			ret = -EFAULT;
			break;
		}
		addr += width;
		buf += width;
		len -= width;
	}
	pagefault_enable();
	return ret;
}

/*
 * Fault-safe store into the kernel mapping (copy_to_kernel_nofault is not
 * exported), with the same exact widths, so it serves RAM and I/O alike.
 */
int memx_kernel_store(unsigned long addr, const void *buf, size_t len)
{
	int ret = 0;

	pagefault_disable();
	while (len) {
		size_t width = memx_io_width(addr, len);

		if (!memx_store(addr, buf, width)) {
			ret = -EFAULT;
			break;
		}
		addr += width;
		buf += width;
		len -= width;
	}
	pagefault_enable();
	return ret;
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

static ssize_t memx_kvirt_read(u64 addr, void *buf, size_t len, bool io)
{
	struct memx_kmap map;
	int ret;

	if (memx_is_user_half(addr)) {
		if (copy_from_user(buf, (const void __user *)addr, len))
			return -EFAULT;
		return len;
	}

	ret = memx_kvirt_check(addr, false, io, &map);
	if (ret < 0)
		return ret;
	if (!ret)
		ret = memx_io_load(addr, buf, len);
	else if (copy_from_kernel_nofault(buf, (const void *)addr, len))
		ret = -EFAULT;
	else
		ret = 0;
	return ret ? ret : len;
}

static ssize_t memx_kvirt_write(u64 addr, const void *buf, size_t len, bool io)
{
	struct memx_kmap map;
	int ret;

	if (memx_is_user_half(addr)) {
		if (copy_to_user((void __user *)addr, buf, len))
			return -EFAULT;
		return len;
	}

	ret = memx_kvirt_check(addr, true, io, &map);
	if (ret < 0)
		return ret;
	ret = memx_kernel_store(addr, buf, len);
	return ret ? ret : len;
}

/* The frame behind a kernel page; the user half is not mappable. */
static int memx_kvirt_frame(u64 addr, bool write, bool io,
			    struct memx_frame *frame)
{
	struct memx_kmap map;
	int ret;

	if (memx_is_user_half(addr))
		return -ENXIO;
	ret = memx_kvirt_check(addr, write, io, &map);
	if (ret < 0)
		return ret;
	frame->pfn = map.pfn;
	frame->io = !ret;
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
