/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memx: x86-64's inline answer to "load from kernel memory, surviving both a
 * page fault and a machine check".
 */
#ifndef _MEMX_X86_H
#define _MEMX_X86_H

#include <asm/asm.h>
#include <asm/trapnr.h>

#include "memx_compat.h"

/*
 * One load of @type from kernel address @src into @val, in one instruction
 * of that width.  A page fault, or a machine check the CPU can recover from,
 * resumes after the load with @trap (zero before) set to the trap number:
 * the exception-table entry is of the kind copy_mc_fragile()'s loads carry,
 * which mce_severity() counts as "in kernel, recoverable" (it then queues
 * memory_failure() for the page) instead of panicking.
 */
#define memx_load_mc(type, val, src, trap)				\
	({								\
		asm volatile("1:	mov %[s], %[v]\n"		\
			     "2:\n"					\
			     MEMX_EXTABLE_MC(1b, 2b)			\
			     : [v] "=r" (val), "+a" (trap)		\
			     : [s] "m" (*(const type *)(src)));		\
	})

/* The errno for a trap met by memx_load_mc(). */
static inline int memx_trap_errno(unsigned long trap)
{
	return trap == X86_TRAP_MC ? -EIO : -EFAULT;
}

#endif /* _MEMX_X86_H */
