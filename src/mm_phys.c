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

#include <linux/mm.h>

#include "memx.h"

/*
 * Check the page holding @addr, clipping *@len to the System RAM range.
 * Returns the direct-map address, NULL past the end of RAM, or an ERR_PTR.
 * The direct map is not walked: a page missing from it (secretmem, a
 * KFENCE guard page) or read-only there faults in the fault-safe access,
 * EFAULT all the same.
 */
static void *memx_phys_check(u64 addr, size_t *len, struct memx_range *ram)
{
	unsigned long pfn = PHYS_PFN(addr);
	int err;

	if (!memx_ram_find(addr, ram))
		return NULL;
	if (ram->start > addr || !pfn_valid(pfn))
		return ERR_PTR(-EFAULT);
	err = memx_ram_page_check(pfn);
	if (err)
		return ERR_PTR(err);
	*len = min_t(u64, *len, ram->end - addr + 1);
	return __va(addr);
}

static ssize_t memx_phys_read(u64 addr, void *buf, size_t len, bool io,
			      struct memx_range *ram)
{
	void *va = memx_phys_check(addr, &len, ram);

	if (IS_ERR_OR_NULL(va))
		return PTR_ERR(va);
	return memx_peek_ram(buf, (unsigned long)va, len);
}

static unsigned long memx_phys_ram(u64 addr, size_t *len, bool write,
				   struct memx_range *ram)
{
	void *va = memx_phys_check(addr, len, ram);

	return IS_ERR_OR_NULL(va) ? 0 : (unsigned long)va;
}

/* Past the end of RAM a read is end of file, a write EFAULT. */
static ssize_t memx_phys_write(u64 addr, const void *buf, size_t len,
			       bool io, struct memx_range *ram)
{
	void *va = memx_phys_check(addr, &len, ram);

	if (!va)
		return -EFAULT;
	if (IS_ERR(va))
		return PTR_ERR(va);
	return memx_poke((unsigned long)va, buf, len);
}

/*
 * mmap needs the whole page in System RAM, past the end is ENXIO too, and
 * the direct map's entry: its memory type, its write permission.
 */
static int memx_phys_frame(u64 addr, bool io, struct memx_frame *frame,
			   struct memx_range *ram)
{
	size_t len = PAGE_SIZE;
	void *va = memx_phys_check(addr, &len, ram);
	struct memx_kmap map;
	int err;

	if (IS_ERR(va))
		return PTR_ERR(va);
	if (!va || len < PAGE_SIZE)
		return -ENXIO;
	err = memx_kmap_lookup((unsigned long)va, &map);
	if (err)
		return err;
	*frame = (struct memx_frame){
		.pfn = PHYS_PFN(addr),
		.kaddr = (unsigned long)va,
		.cache = map.cache,
		.writable = map.writable,
	};
	return 0;
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
	.ram	= memx_phys_ram,
	.seek	= memx_phys_seek,
	.frame	= memx_phys_frame,
};
