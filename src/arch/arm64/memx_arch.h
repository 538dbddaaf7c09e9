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

/*
 * The bytes of a bounce buffer arm64's own user copies move (their LDP/STP
 * loops, as /proc/kcore's second pass), before memx's 8-byte loop makes
 * the count exact after a fault: the raw copies, which skip the hardened
 * usercopy check a slab bounce page would fail.
 */
#define memx_arch_to_user(dst, src, len)				\
	(access_ok(dst, len) ? (len) - raw_copy_to_user(dst, src, len) : 0)
#define memx_arch_from_user(dst, src, len)				\
	(access_ok(src, len) ? (len) - raw_copy_from_user(dst, src, len) : 0)

#endif /* _MEMX_ARCH_H */
