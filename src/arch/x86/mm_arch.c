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
 *
 * Interrupts off keep a table alive only while every CPU frees kernel page
 * tables after a TLB-flush IPI.  Memory hot-remove frees a removed range's
 * tables before it clears the entry pointing at them, and CPUs with INVLPGB
 * (6.15 on) flush without an IPI: so, as on arm64, each entry below the top
 * is read with get_kernel_nofault() from a table whose frame is
 * pfn_valid().  A table freed under the walk costs a wrong answer for an
 * address that is being unmapped anyway, whose access then faults safely,
 * never an oops.
 */

#include <linux/irqflags.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/uaccess.h>
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
 * The entry at @entry into @snap, one 8-byte load, from a table whose frame
 * @table_pfn is memory the direct map holds; -EFAULT otherwise.
 */
static int memx_entry(void *snap, const void *entry, unsigned long table_pfn)
{
	if (!pfn_valid(table_pfn))
		return -EFAULT;
	return copy_from_kernel_nofault(snap, entry, sizeof(u64)) ? -EFAULT : 0;
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
	if (!(pgd_flags(pgd) & _PAGE_PRESENT) ||
	    memx_entry(&p4d, p4d_offset(&pgd, addr), pgd_pfn(pgd)) ||
	    !(p4d_flags(p4d) & _PAGE_PRESENT))
		return -EFAULT;
	rw = pgd_flags(pgd) & p4d_flags(p4d);

	if (memx_entry(&pud, pud_offset(&p4d, addr), p4d_pfn(p4d)) ||
	    !(pud_flags(pud) & _PAGE_PRESENT))
		return -EFAULT;
	if (pud_flags(pud) & _PAGE_PSE) {
		pfn = pud_pfn(pud);
		shift = PUD_SHIFT;
		leaf = protval_large_2_4k(pud_flags(pud));
		goto found;
	}
	rw &= pud_flags(pud);

	if (memx_entry(&pmd, pmd_offset(&pud, addr), pud_pfn(pud)) ||
	    !(pmd_flags(pmd) & _PAGE_PRESENT))
		return -EFAULT;
	if (pmd_flags(pmd) & _PAGE_PSE) {
		pfn = pmd_pfn(pmd);
		shift = PMD_SHIFT;
		leaf = protval_large_2_4k(pmd_flags(pmd));
		goto found;
	}
	rw &= pmd_flags(pmd);

	if (memx_entry(&pte, pte_offset_kernel(&pmd, addr), pmd_pfn(pmd)) ||
	    !(pte_flags(pte) & _PAGE_PRESENT))
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
 * perf_get_page_size() does it: where the kernel frees a kernel page table
 * only after a TLB-flush IPI to every CPU (a direct-map collapse, a huge
 * vmap teardown), that IPI waits until the walk is done.
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
