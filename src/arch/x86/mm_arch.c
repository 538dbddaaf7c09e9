// SPDX-License-Identifier: GPL-2.0
/*
 * memx: what x86-64 answers for the backends, "which half is this address
 * in" and "what frame, size, protection and cache type back this kernel
 * address".
 *
 * The kernel page tables are walked by hand rather than through
 * lookup_address(), which reads each entry several times without
 * READ_ONCE() and trusts pte_present(): that also accepts an entry whose
 * _PAGE_PRESENT is clear but _PAGE_PROTNONE (the global bit) set, the way
 * KFENCE left its guard pages before "x86/kfence: avoid writing
 * L1TF-vulnerable PTEs", and the frame of such an entry is inverted, far above
 * any real memory.  Here each level is read once into a snapshot, every
 * value comes from the snapshots, an entry counts only with _PAGE_PRESENT
 * itself set, and no frame beyond the CPU's physical address width is ever
 * returned (the bound /dev/mem's valid_mmap_phys_addr_range() keeps).
 */

#include <linux/irqflags.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <asm/pgtable.h>
#include <asm/processor.h>

#include "memx.h"

/* The top bit selects the kernel half; the caller's own memory is below. */
bool memx_arch_is_user(u64 addr)
{
	return !(addr >> 63);
}

/*
 * Canonical for the paging mode in use (bits 63..47, or 63..56 with 5-level
 * paging, all equal), not for what the CPU could do.
 */
static bool memx_is_canonical(u64 addr)
{
	unsigned int shift = 63 - __VIRTUAL_MASK_SHIFT;

	return (u64)((s64)(addr << shift) >> shift) == addr;
}

/*
 * One snapshot a level.  p4d_offset() and friends only read the entry they
 * are given, here the snapshot, to find the next table; with 4-level paging
 * p4d_offset() folds the p4d into the pgd snapshot.  A mapping is writable
 * when every level allows it.  The walk starts at the page table in use:
 * init_mm is not exported, and x86-64 shares the kernel half of init_mm's
 * top level with every page table (its upper levels are preallocated).
 */
static int memx_walk(unsigned long addr, struct memx_kmap *map)
{
	unsigned long pfn, leaf, rw;
	unsigned int shift;
	pgd_t pgd;
	p4d_t p4d;
	pud_t pud;
	pmd_t pmd;
	pte_t pte;

	pgd = READ_ONCE(*pgd_offset(current->active_mm, addr));
	if (!(pgd_flags(pgd) & _PAGE_PRESENT))
		return -EFAULT;
	p4d = READ_ONCE(*p4d_offset(&pgd, addr));
	if (!(p4d_flags(p4d) & _PAGE_PRESENT))
		return -EFAULT;
	rw = pgd_flags(pgd) & p4d_flags(p4d);

	pud = READ_ONCE(*pud_offset(&p4d, addr));
	if (!(pud_flags(pud) & _PAGE_PRESENT))
		return -EFAULT;
	if (pud_flags(pud) & _PAGE_PSE) {
		pfn = pud_pfn(pud);
		shift = PUD_SHIFT;
		leaf = protval_large_2_4k(pud_flags(pud));
		goto found;
	}
	rw &= pud_flags(pud);

	pmd = READ_ONCE(*pmd_offset(&pud, addr));
	if (!(pmd_flags(pmd) & _PAGE_PRESENT))
		return -EFAULT;
	if (pmd_flags(pmd) & _PAGE_PSE) {
		pfn = pmd_pfn(pmd);
		shift = PMD_SHIFT;
		leaf = protval_large_2_4k(pmd_flags(pmd));
		goto found;
	}
	rw &= pmd_flags(pmd);

	pte = READ_ONCE(*pte_offset_kernel(&pmd, addr));
	if (!(pte_flags(pte) & _PAGE_PRESENT))
		return -EFAULT;
	pfn = pte_pfn(pte);
	shift = PAGE_SHIFT;
	leaf = pte_flags(pte);
found:
	map->pfn = pfn + ((addr & ((1UL << shift) - 1)) >> PAGE_SHIFT);
	map->shift = shift;
	map->writable = rw & leaf & _PAGE_RW;
	map->cache = leaf & _PAGE_CACHE_MASK;
	return 0;
}

/*
 * The kernel mapping of @addr.  Interrupts are off during the walk, as
 * perf_get_page_size() does it: the kernel frees a kernel page table (a
 * direct-map collapse, a huge vmap teardown, memory hot-remove) only after a
 * TLB-flush IPI to every CPU, which waits until the walk is done.
 */
int memx_kmap_lookup(unsigned long addr, struct memx_kmap *map)
{
	unsigned long flags;
	int err;

	if (!memx_is_canonical(addr))
		return -EFAULT;
	local_irq_save(flags);
	err = memx_walk(addr, map);
	local_irq_restore(flags);
	if (err)
		return err;
	if (map->pfn >> (boot_cpu_data.x86_phys_bits - PAGE_SHIFT))
		return -EFAULT;
	return 0;
}
