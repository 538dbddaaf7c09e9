/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memx on x86-64: the fault-safe kernel load, the cache-type bits of a
 * page-table entry, and the shims for x86's own kernel API changes.
 */
#ifndef _MEMX_ARCH_H
#define _MEMX_ARCH_H

#include <asm/asm.h>
#include <asm/pgtable_types.h>
#include <asm/trapnr.h>

/*
 * Linux 5.16 ("x86/extable: Rework the exception table mechanics", commit
 * 46d28947d987) typed the exception-table entries; a load whose entry is
 * EX_TYPE_FAULT_MCE_SAFE survives a recoverable machine check.  Before it the
 * same meaning was the fault handler of _ASM_EXTABLE_FAULT.
 */
#ifdef EX_TYPE_FAULT_MCE_SAFE
#define MEMX_EXTABLE_MC(from, to) \
	_ASM_EXTABLE_TYPE(from, to, EX_TYPE_FAULT_MCE_SAFE)
#else
#define MEMX_EXTABLE_MC(from, to)	_ASM_EXTABLE_FAULT(from, to)
#endif

/*
 * Linux 6.16's x86/msr clean-up renamed the 64-bit MSR read rdmsrl() to
 * rdmsrq(); both are macros.
 */
#include <asm/msr.h>
#ifndef rdmsrq
#define rdmsrq(msr, val)	rdmsrl(msr, val)
#endif

/* The cache-type bits of a 4K page-table entry (PAT, PCD, PWT). */
#define MEMX_CACHE_MASK		_PAGE_CACHE_MASK

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

/*
 * A kernel load into @val; a page fault sets @err to -EFAULT, a machine
 * check to -EIO, and leaves through @label.
 */
#define memx_arch_load(type, val, src, err, label)			\
	do {								\
		unsigned long __trap = 0;				\
									\
		memx_load_mc(type, val, src, __trap);			\
		if (unlikely(__trap)) {					\
			err = __trap == X86_TRAP_MC ? -EIO : -EFAULT;	\
			goto label;					\
		}							\
	} while (0)

/*
 * A 64-byte line at @src into @v[0..7]: eight 8-byte loads of
 * memx_load_mc()'s kind sharing one trap word, tested once.
 */
#define memx_arch_load_line(v, src, err, label)				\
	do {								\
		unsigned long __trap = 0;				\
									\
		asm volatile("1:	mov 0(%[s]), %[v0]\n"		\
			     "2:	mov 8(%[s]), %[v1]\n"		\
			     "3:	mov 16(%[s]), %[v2]\n"		\
			     "4:	mov 24(%[s]), %[v3]\n"		\
			     "5:	mov 32(%[s]), %[v4]\n"		\
			     "6:	mov 40(%[s]), %[v5]\n"		\
			     "7:	mov 48(%[s]), %[v6]\n"		\
			     "8:	mov 56(%[s]), %[v7]\n"		\
			     "9:\n"					\
			     MEMX_EXTABLE_MC(1b, 9b)			\
			     MEMX_EXTABLE_MC(2b, 9b)			\
			     MEMX_EXTABLE_MC(3b, 9b)			\
			     MEMX_EXTABLE_MC(4b, 9b)			\
			     MEMX_EXTABLE_MC(5b, 9b)			\
			     MEMX_EXTABLE_MC(6b, 9b)			\
			     MEMX_EXTABLE_MC(7b, 9b)			\
			     MEMX_EXTABLE_MC(8b, 9b)			\
			     : [v0] "=&r" (v[0]), [v1] "=&r" (v[1]),	\
			       [v2] "=&r" (v[2]), [v3] "=&r" (v[3]),	\
			       [v4] "=&r" (v[4]), [v5] "=&r" (v[5]),	\
			       [v6] "=&r" (v[6]), [v7] "=&r" (v[7]),	\
			       "+a" (__trap)				\
			     : [s] "r" (src),				\
			       "m" (*(const u64 (*)[8])(src)));		\
		if (unlikely(__trap)) {					\
			err = __trap == X86_TRAP_MC ? -EIO : -EFAULT;	\
			goto label;					\
		}							\
	} while (0)

/*
 * The bytes of a bounce buffer the architecture's own user copy moves before
 * memx's 8-byte loop: none here.  copy_to_user() would do as well on
 * hardware, but its rep movsb is a byte at a time under QEMU's TCG, where
 * the tests run.
 */
#define memx_arch_to_user(dst, src, len)	0
#define memx_arch_from_user(dst, src, len)	0

#endif /* _MEMX_ARCH_H */
