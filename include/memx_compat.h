/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences, one shim each.  The rest of memx calls only the
 * newest interface; feature tests come before version tests.
 */
#ifndef _MEMX_COMPAT_H
#define _MEMX_COMPAT_H

#include <linux/fs.h>
#include <linux/mm.h>

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
#endif

#endif /* _MEMX_COMPAT_H */
