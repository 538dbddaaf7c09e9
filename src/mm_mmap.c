// SPDX-License-Identifier: GPL-2.0
/*
 * memx: mmap of the three nodes, and ptrace access to what it maps.
 *
 * The offset is a physical (memx) or kernel virtual (kmemx, allkmemx)
 * address.  mmap() puts every page through the checks read() makes, so that
 * a bad page fails the call, and maps none: each page is mapped when it is
 * first touched, by the fault handler, after the same checks, to its own
 * frame (a virtually contiguous range need not be physically contiguous)
 * and with the cache type of the kernel's own mapping of it (RAM is
 * normally write-back, a driver's set_memory_wc() page write-combining, an
 * ioremap() its type; x86's PAT code takes each page's own type).  No page
 * table entry exists before the mmap core has linked the VMA into the
 * node's address_space, and each is made under the revocation lock, so a
 * memory notifier's zap (mm_revoke.c) finds every one.
 */

#include <linux/cc_platform.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>

#include "memx.h"
#include "memx_arch.h"
#include "memx_compat.h"

/*
 * The frame for the page at @addr, with read()'s errors made mmap's: not
 * mapped or not RAM is ENXIO, a read-only page mapped for writing EACCES.
 * RAM a driver manages (virtio-mem) is EPERM: the driver unplugs parts of
 * a memory block with no memory notifier, so no mapping of it could be
 * revoked; read() checks each page as it goes.
 */
static int memx_mmap_frame(const struct memx_node *node, u64 addr, bool write,
			   struct memx_frame *frame, struct memx_range *ram)
{
	int err = node->ops->frame(addr, node->io, frame, ram);

	if (err)
		return err == -EFAULT ? -ENXIO : err;
	if (!frame->io && ram->driver_managed)
		return -EPERM;
	return write && !frame->writable ? -EACCES : 0;
}

/*
 * The protection @frame is mapped with in @vma: the kernel mapping's cache
 * type.  On a confidential guest a user alias of RAM would carry the wrong
 * encryption bit (and corrupt or convert the page): EPERM.  I/O is mapped
 * shared (decrypted), as ioremap() maps a device there: user mappings are
 * private (encrypted) by default, which the device would not understand.
 * Elsewhere pgprot_decrypted() changes nothing.
 */
static int memx_mmap_prot(struct vm_area_struct *vma,
			  const struct memx_frame *frame, pgprot_t *prot)
{
	*prot = __pgprot((pgprot_val(vma->vm_page_prot) & ~MEMX_CACHE_MASK) |
			 frame->cache);
	if (!frame->io && cc_platform_has(CC_ATTR_GUEST_MEM_ENCRYPT))
		return -EPERM;
	if (frame->io)
		*prot = pgprot_decrypted(*prot);
	return 0;
}

/*
 * Every page of the mapping through mmap's checks (and the protection it
 * would get); a fatal signal stops a large one.
 */
static int memx_mmap_check(const struct memx_node *node,
			   struct vm_area_struct *vma, u64 base, bool write)
{
	unsigned long off, size = vma->vm_end - vma->vm_start;
	struct memx_range ram = MEMX_RANGE_NONE;
	struct memx_frame frame;
	pgprot_t prot;
	int err;

	for (off = 0; off < size; off += PAGE_SIZE) {
		if (fatal_signal_pending(current))
			return -EINTR;
		err = memx_mmap_frame(node, base + off, write, &frame, &ram);
		if (!err)
			err = memx_mmap_prot(vma, &frame, &prot);
		if (err)
			return err;
		cond_resched();
	}
	return 0;
}

/*
 * ptrace, gdb and /proc/PID/mem reach a VM_PFNMAP mapping only through
 * .access: the same checks and copies as read() and write(), at the offset
 * the mapped address stands for, through the kernel's own mapping.
 */
static int memx_vma_access(struct vm_area_struct *vma, unsigned long addr,
			   void *buf, int len, int write)
{
	const struct memx_node *node = vma->vm_file->private_data;
	u64 at = ((u64)vma->vm_pgoff << PAGE_SHIFT) + (addr - vma->vm_start);
	struct memx_range ram = MEMX_RANGE_NONE;
	struct memx_frame frame;
	int done = 0, err = 0;
	ssize_t ret;

	if (write && !(vma->vm_flags & VM_WRITE))
		return -EACCES;
	while (done < len) {
		size_t n = min_t(size_t, len - done,
				 PAGE_SIZE - offset_in_page(at));

		err = node->ops->frame(at & PAGE_MASK, node->io, &frame, &ram);
		if (err)
			break;
		frame.kaddr += offset_in_page(at);
		ret = write ? memx_poke(frame.kaddr, buf + done, n) :
			      memx_peek(buf + done, frame.kaddr, n);
		if (ret <= 0) {
			err = ret;
			break;
		}
		done += ret;
		at += ret;
	}
	return done ? done : err;
}

/*
 * A page is mapped here when it is touched, after mmap's checks, again
 * after a memory notifier zapped it (the offline failed, MEM_CANCEL_OFFLINE,
 * or is still under way).  Offline memory, or anything else mmap would
 * refuse now, is SIGBUS.  The revocation lock orders the check and the
 * insert against a zap.
 */
static vm_fault_t memx_vma_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	const struct memx_node *node = vma->vm_file->private_data;
	struct memx_range ram = MEMX_RANGE_NONE;
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	struct memx_frame frame;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	pgprot_t prot;

	memx_revoke_lock();
	if (!memx_mmap_frame(node, (u64)vmf->pgoff << PAGE_SHIFT, write,
			     &frame, &ram) &&
	    !memx_mmap_prot(vma, &frame, &prot))
		ret = vmf_insert_pfn_prot(vma, vmf->address, frame.pfn, prot);
	memx_revoke_unlock();
	return ret;
}

static const struct vm_operations_struct memx_vm_ops = {
	.fault	= memx_vma_fault,
	.access	= memx_vma_access,
};

int memx_mmap(struct file *file, struct vm_area_struct *vma)
{
	const struct memx_node *node = file->private_data;
	unsigned long size = vma->vm_end - vma->vm_start;
	u64 base = (u64)vma->vm_pgoff << PAGE_SHIFT;
	bool write = vma->vm_flags & VM_WRITE;
	int err;

	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	if (base + size - 1 < base)
		return -EOVERFLOW;

	/* No mprotect() to PROT_EXEC, nor to writable over read-only pages. */
	vm_flags_clear(vma, VM_MAYEXEC | (write ? 0 : VM_MAYWRITE));
	/* What remap_pfn_range() would set: frames, not pages. */
	vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &memx_vm_ops;
	err = memx_mmap_check(node, vma, base, write);
	if (!err && write)
		memx_log_write(node, "mapped writable", base, size);
	return err;
}
