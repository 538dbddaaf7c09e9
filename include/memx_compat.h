/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences, one shim each.  The rest of memx calls only the
 * newest interface; feature tests come before version tests.
 */
#ifndef _MEMX_COMPAT_H
#define _MEMX_COMPAT_H

#include <linux/fs.h>

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

#endif /* _MEMX_COMPAT_H */
