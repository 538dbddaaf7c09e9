// SPDX-License-Identifier: GPL-2.0
/*
 * memx: the kernel-virtual backend of /dev/kmemx and /dev/allkmemx.
 *
 * An address is looked up in the kernel page tables (mm_frame.c and the
 * architecture's mm_arch.c) before anything touches it, but for a read or
 * write of the direct map's RAM: unmapped, not-present, non-canonical and
 * guard addresses are EFAULT; a frame that is not System RAM is I/O
 * memory, refused (kmemx) or accessed (allkmemx) with the exact-width,
 * fault-safe accessors of mm_access.c, so a mapping that goes away under
 * us, or a direct-map page missing or read-only, costs an EFAULT, not an
 * oops.
 */

#include <linux/mm.h>
#include <linux/uaccess.h>

#include "memx.h"

/*
 * Check @addr for an access.  Returns 1 for RAM, 0 for I/O memory the node
 * may touch, or a negative errno; @map, when asked for, gets the lookup.
 */
static int memx_kvirt_check(u64 addr, bool write, bool io,
			    struct memx_kmap *map, struct memx_range *ram)
{
	int kind = map ? memx_kaddr_kind(addr, write, map, ram) :
			 memx_kaddr_access(addr, write, ram);

	return kind || io ? kind : -EIO;
}

/* The caller's own memory (the AIX user half) comes through it too. */
static ssize_t memx_kvirt_read(u64 addr, void *buf, size_t len, bool io,
			       struct memx_range *ram)
{
	int kind;

	if (memx_arch_is_user(addr))
		return memx_from_user(buf, u64_to_user_ptr(addr), len);
	kind = memx_kvirt_check(addr, false, io, NULL, ram);
	if (kind < 0)
		return kind;
	if (kind)
		return memx_peek_ram(buf, addr, len);
	return memx_peek(buf, addr, len);
}

static ssize_t memx_kvirt_write(u64 addr, const void *buf, size_t len,
				bool io, struct memx_range *ram)
{
	int err;

	if (memx_arch_is_user(addr))
		return memx_to_user(u64_to_user_ptr(addr), buf, len);
	err = memx_kvirt_check(addr, true, io, NULL, ram);
	if (err < 0)
		return err;
	return memx_poke(addr, buf, len);
}

static unsigned long memx_kvirt_ram(u64 addr, size_t *len, bool write,
				    struct memx_range *ram)
{
	if (memx_arch_is_user(addr) ||
	    memx_kaddr_access(addr, write, ram) != 1)
		return 0;
	return addr;
}

/* The frame behind a kernel page; the user half is not mappable. */
static int memx_kvirt_frame(u64 addr, bool io, struct memx_frame *frame,
			    struct memx_range *ram)
{
	struct memx_kmap map;
	int ret;

	if (memx_arch_is_user(addr))
		return -ENXIO;
	ret = memx_kvirt_check(addr, false, io, &map, ram);
	if (ret < 0)
		return ret;
	*frame = (struct memx_frame){
		.pfn = map.pfn,
		.kaddr = addr,
		.cache = map.cache,
		.io = !ret,
		.writable = map.writable,
	};
	return 0;
}

static int memx_kvirt_vtop(struct memx_vtop *vtop)
{
	struct memx_range ram = MEMX_RANGE_NONE;
	struct memx_kmap map;
	int err;

	if (memx_arch_is_user(vtop->vaddr))
		return -EFAULT;
	err = memx_kmap_lookup(vtop->vaddr, &map);
	if (err)
		return err;
	vtop->paddr = PFN_PHYS(map.pfn) + offset_in_page(vtop->vaddr);
	vtop->shift = map.shift;
	vtop->flags = 0;
	if (memx_pfn_is_ram(map.pfn, &ram))
		vtop->flags |= MEMX_VTOP_RAM;
	if (map.writable)
		vtop->flags |= MEMX_VTOP_WRITABLE;
	return 0;
}

const struct memx_ops memx_kvirt_ops = {
	.read		= memx_kvirt_read,
	.write		= memx_kvirt_write,
	.ram		= memx_kvirt_ram,
	.frame		= memx_kvirt_frame,
	.vtop		= memx_kvirt_vtop,
	.cpu_regs	= MEMX_CPU_REGS,
	.is_user	= memx_arch_is_user,
	.aliases	= true,
};
