/* SPDX-License-Identifier: GPL-2.0 */
/* memx_helper: what helper_core.c and an architecture's part share. */
#ifndef _HELPER_H
#define _HELPER_H

#include <linux/debugfs.h>
#include <linux/timekeeping.h>

#define HOLD_MAX_NS	(10 * NSEC_PER_SEC)

extern struct dentry *helper_dir;

/*
 * Until @on is cleared or HOLD_MAX_NS passed; NMI-safe, interrupts off.
 * The clock is read every 1024 turns: the loop runs in its caller's code.
 */
static __always_inline void hold_while(const bool *on)
{
	u64 end = ktime_get_mono_fast_ns() + HOLD_MAX_NS;
	unsigned int i = 0;

	while (READ_ONCE(*on) &&
	       (++i % 1024 || ktime_get_mono_fast_ns() < end))
		cpu_relax();
}

#ifdef CONFIG_X86
int helper_arch_init(void);
void helper_arch_exit(void);
#else
static inline int helper_arch_init(void) { return 0; }
static inline void helper_arch_exit(void) { }
#endif

#endif /* _HELPER_H */
