// SPDX-License-Identifier: GPL-2.0
/*
 * memx: mmap of the three nodes.
 *
 * The offset is a physical (memx) or kernel virtual (kmemx, allkmemx)
 * address.  Every page of the range goes through the checks read() makes
 * before anything is mapped; then each page maps its own frame, so a
 * virtually contiguous range need not be physically contiguous.  RAM is
 * mapped cached, I/O memory (allkmemx only) uncached.
 */

#include <linux/mm.h>

#include "memx.h"
#include "memx_compat.h"

/*
 * The frame for the page at @addr, with read()'s errors made mmap's: not
 * mapped or not RAM is ENXIO, a read-only page mapped for writing EACCES.
 */
static int memx_mmap_frame(const struct memx_node *node, u64 addr, bool write,
			   struct memx_frame *frame)
{
	int err = node->ops->frame(addr, node->io, frame);

	if (err)
		return err == -EFAULT ? -ENXIO : err;
	return write && !frame->writable ? -EACCES : 0;
}

/* Map @len bytes at @off in @vma to frames from @pfn on, of one kind. */
static int memx_mmap_run(struct vm_area_struct *vma, unsigned long off,
			 unsigned long pfn, unsigned long len, bool io)
{
	pgprot_t prot = io ? pgprot_noncached(vma->vm_page_prot) :
			     vma->vm_page_prot;

	return remap_pfn_range(vma, vma->vm_start + off, pfn, len, prot);
}

/*
 * Map each page of @vma to its frame, all of them checked already, one
 * remap_pfn_range() per run of contiguous frames of one kind: a physically
 * contiguous range costs one call and one PAT lookup, not one a page.
 */
static int memx_mmap_range(const struct memx_node *node,
			   struct vm_area_struct *vma, u64 base, bool write)
{
	unsigned long off, start = 0, size = vma->vm_end - vma->vm_start;
	struct memx_frame frame, run = { 0 };
	int err;

	for (off = 0; off < size; off += PAGE_SIZE) {
		err = memx_mmap_frame(node, base + off, write, &frame);
		if (err)
			return err;
		if (off && (frame.io != run.io ||
			    frame.pfn != run.pfn + PHYS_PFN(off - start))) {
			err = memx_mmap_run(vma, start, run.pfn, off - start,
					    run.io);
			if (err)
				return err;
			start = off;
		}
		if (off == start)
			run = frame;
		cond_resched();
	}
	return memx_mmap_run(vma, start, run.pfn, size - start, run.io);
}

int memx_mmap(struct file *file, struct vm_area_struct *vma)
{
	const struct memx_node *node = file->private_data;
	unsigned long off, size = vma->vm_end - vma->vm_start;
	u64 base = (u64)vma->vm_pgoff << PAGE_SHIFT;
	bool write = vma->vm_flags & VM_WRITE;
	struct memx_frame frame;
	int err;

	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (base + size - 1 < base)
		return -EOVERFLOW;

	/* Check every page first: a bad one fails the call, nothing mapped. */
	for (off = 0; off < size; off += PAGE_SIZE) {
		err = memx_mmap_frame(node, base + off, write, &frame);
		if (err)
			return err;
		cond_resched();
	}

	/* Read-only kernel pages must not become writable by mprotect(). */
	if (!write)
		vm_flags_clear(vma, VM_MAYWRITE);
	return memx_mmap_range(node, vma, base, write);
}
