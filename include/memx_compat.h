/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences, one shim each.  The rest of memx calls only the
 * newest interface; feature tests come before version tests.
 */
#ifndef _MEMX_COMPAT_H
#define _MEMX_COMPAT_H

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/poison.h>
#include <linux/uaccess.h>

/*
 * Linux 6.12 ("fs: add FOP_UNSIGNED_OFFSET to fop_flags", commit 641bb4394f40)
 * moved the unsigned-offset promise from f_mode, set at open, to the
 * file_operations flags.
 */
#ifdef FOP_UNSIGNED_OFFSET
#define MEMX_FOP_FLAGS		.fop_flags = FOP_UNSIGNED_OFFSET,
static inline void memx_set_unsigned_offset(struct file *file) { }
#else
#define MEMX_FOP_FLAGS
static inline void memx_set_unsigned_offset(struct file *file)
{
	file->f_mode |= FMODE_UNSIGNED_OFFSET;
}
#endif

/*
 * Linux 6.3 ("mm: introduce vma->vm_flags wrapper functions", commit
 * bc292ab00f6c) made vm_flags read-only outside these helpers.  They are
 * inline functions: Kbuild probes the headers for them (HAVE_VM_FLAGS_CLEAR).
 */
#ifndef HAVE_VM_FLAGS_CLEAR
static inline void vm_flags_clear(struct vm_area_struct *vma,
				  vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}

static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}
#endif

/*
 * Linux 6.5 ("mm: Add support for unaccepted memory", commit dcdfdd40fa82)
 * brought lazily accepted memory (TDX, SEV-SNP guests): until the guest
 * accepts it, it waits on its zone's list in blocks of MAX_ORDER_NR_PAGES.
 * From 6.12 the first page of such a block has the Unaccepted page type.
 * From 6.5 to 6.11 no page says so: while the zones still count unaccepted
 * pages (NR_UNACCEPTED), no RAM page can be told safe, and every one is
 * refused.  Both the type and the count go before the block is accepted,
 * which takes milliseconds with the zone unlocked; in that time the block
 * has left the list (list_del() poisons its lru) and is neither free
 * (PageBuddy) nor allocated (a reference) until accept_memory() returns and
 * frees it.  Before 6.5 every page of RAM is accepted.
 */
#if defined(CONFIG_UNACCEPTED_MEMORY) && \
	(defined(HAVE_PAGE_UNACCEPTED) || defined(HAVE_NR_UNACCEPTED))
#ifdef HAVE_PAGE_UNACCEPTED
#define memx_page_waits(page)	PageUnaccepted(page)
#else
#define memx_page_waits(page)	(global_zone_page_state(NR_UNACCEPTED) != 0)
#endif

static inline bool memx_page_accepting(struct page *head)
{
	return !page_ref_count(head) && !PageBuddy(head) &&
	       READ_ONCE(head->lru.next) == LIST_POISON1;
}

static inline bool memx_page_unaccepted(struct page *head)
{
	return memx_page_waits(head) || memx_page_accepting(head);
}
#else
#define memx_page_unaccepted(page)	false
#endif

/*
 * is_page_hwpoison() also sees the poison of a hugetlb page on its head
 * page; kernels without it mark only the subpage.
 */
#ifndef HAVE_IS_PAGE_HWPOISON
#define is_page_hwpoison(page)	PageHWPoison(page)
#endif

/*
 * Linux 5.16 ("x86/sev: Replace occurrences of sev_active() with
 * cc_platform_has()", commit 4d96f9109109) moved the confidential-guest test
 * to cc_platform_has(); before it, an SEV guest is sev_active().
 */
#ifdef HAVE_CC_PLATFORM
#include <linux/cc_platform.h>
#else
#include <linux/mem_encrypt.h>
#define CC_ATTR_GUEST_MEM_ENCRYPT	0
#define cc_platform_has(attr)		sev_active()
#endif

/*
 * Linux 5.11 ("arm64: uaccess: remove set_fs()") gave arm64
 * __get_kernel_nofault() and __put_kernel_nofault(); until 5.18 an
 * architecture with them said so with HAVE_GET_KERNEL_NOFAULT, and one
 * without them still had set_fs() (CONFIG_SET_FS).  There, a kernel access
 * that may fault is a user access under KERNEL_DS with page faults
 * disabled, as copy_from_kernel_nofault() makes it: one load or store of
 * the type's width, which memx always aligns.
 */
#if defined(CONFIG_SET_FS) && !defined(HAVE_GET_KERNEL_NOFAULT)
#define memx_kernel_nofault(access, label)				\
	do {								\
		mm_segment_t __fs = get_fs();				\
		int __e;						\
									\
		set_fs(KERNEL_DS);					\
		pagefault_disable();					\
		__e = access;						\
		pagefault_enable();					\
		set_fs(__fs);						\
		if (__e)						\
			goto label;					\
	} while (0)
#define __get_kernel_nofault(dst, src, type, label)			\
	memx_kernel_nofault(__get_user(*(type *)(dst),			\
			    (__force const type __user *)(src)), label)
#define __put_kernel_nofault(dst, src, type, label)			\
	memx_kernel_nofault(__put_user(*(const type *)(src),		\
			    (__force type __user *)(dst)), label)
#endif

/*
 * Linux 5.10 builds unmap_mapping_pages() but does not export it, and its
 * exported wrapper, unmap_mapping_range(), takes a signed byte offset,
 * which cannot name kmemx's offsets (kernel addresses).  Zap the range in
 * each mapping of @mapping as unmap_mapping_pages() does, under the same
 * lock.  memx maps only shared VM_PFNMAP ranges, so there are no COW pages
 * to spare.  Kbuild finds the export in Module.symvers
 * (HAVE_UNMAP_MAPPING_PAGES).
 */
#ifndef HAVE_UNMAP_MAPPING_PAGES
static inline void memx_unmap_mapping_pages(struct address_space *mapping,
					    pgoff_t start, pgoff_t nr,
					    bool even_cows)
{
	pgoff_t first, end, last = start + nr - 1;
	struct vm_area_struct *vma;
	struct rb_node *rb;

	i_mmap_lock_read(mapping);
	for (rb = rb_first_cached(&mapping->i_mmap); rb; rb = rb_next(rb)) {
		vma = rb_entry(rb, struct vm_area_struct, shared.rb);
		first = max(start, vma->vm_pgoff);
		end = min(last, vma->vm_pgoff + vma_pages(vma) - 1);
		if (first <= end)
			zap_vma_ptes(vma, vma->vm_start +
				     ((first - vma->vm_pgoff) << PAGE_SHIFT),
				     (end - first + 1) << PAGE_SHIFT);
	}
	i_mmap_unlock_read(mapping);
}

#define unmap_mapping_pages	memx_unmap_mapping_pages
#endif

#endif /* _MEMX_COMPAT_H */
