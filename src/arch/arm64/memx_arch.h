/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memx on arm64: the fault-safe kernel load and the memory-type bits of a
 * page-table entry.
 */
#ifndef _MEMX_ARCH_H
#define _MEMX_ARCH_H

#include <linux/uaccess.h>
#include <asm/pgtable-hwdef.h>

/* The AttrIndx field: which MAIR_EL1 memory type the page has. */
#define MEMX_CACHE_MASK		PTE_ATTRINDX_MASK

/*
 * A kernel load of @type into @val, one LDR of that width: Device memory
 * faults on an unaligned access, and memx's accesses are all aligned.  A
 * fault leaves through @label with @err untouched (-EFAULT): arm64 has no
 * recoverable machine-check load for modules.
 */
#define memx_arch_load(type, val, src, err, label)			\
	__get_kernel_nofault(&(val), (const type *)(src), type, label)

#endif /* _MEMX_ARCH_H */
