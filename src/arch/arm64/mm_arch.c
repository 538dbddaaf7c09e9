// SPDX-License-Identifier: GPL-2.0
/*
 * memx: what arm64 answers for the backends, "which half is this address
 * in" and "what frame, size, protection and memory type back this kernel
 * address".
 *
 * arm64 has no lookup_address(), and neither init_mm nor swapper_pg_dir is
 * exported, so the walk starts where the MMU starts: the table TTBR1_EL1
 * points at, with the level count, index widths and kernel-half size read
 * from TCR_EL1 (T1SZ) and PAGE_SHIFT, as the hardware reads them.  That
 * holds whatever the kernel folded at build or at boot: a 52-bit kernel on
 * a CPU without LPA2 runs 48-bit with one level less, and its pgd/p4d
 * helpers index a folded level by the table's own address, which a
 * snapshot of an entry does not have.
 *
 * arm64 frees a kernel page table after a broadcast TLBI, not an IPI, so
 * disabling interrupts would not keep a table alive during the walk: each
 * descriptor is read with get_kernel_nofault() from a table that is RAM,
 * and a table freed under the walk costs a wrong answer for an address
 * being unmapped anyway, whose access then faults safely, never an oops.
 */

#include <linux/bitfield.h>
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <asm/pgtable.h>
#include <asm/sysreg.h>

#include "memx.h"

#define MEMX_TCR_T1SZ		GENMASK_ULL(21, 16)
#define MEMX_DESC_VALID		BIT_ULL(0)
#define MEMX_DESC_TABLE		BIT_ULL(1)	/* a page at the last level */
#define MEMX_DESC_RDONLY	BIT_ULL(7)	/* AP[2] */
#define MEMX_TABLE_RDONLY	BIT_ULL(62)	/* APTable[1] */
#define MEMX_LEVEL_BITS		(PAGE_SHIFT - 3)

/* The top bit selects TTBR1, the kernel half; the caller's memory is below. */
bool memx_arch_is_user(u64 addr)
{
	return !(addr >> 63);
}

/* The kernel half's width in use, 64 - TCR_EL1.T1SZ. */
static unsigned int memx_va_bits(void)
{
	return 64 - FIELD_GET(MEMX_TCR_T1SZ, read_sysreg(tcr_el1));
}

/*
 * The physical address of the table TTBR1_EL1 points at: BADDR without the
 * CnP bit and the ASID; with 52-bit physical addresses, bits 51..48 of the
 * address are held in bits 5..2 (phys_to_ttbr()).
 */
static phys_addr_t memx_ttbr1_table(void)
{
	u64 ttbr = read_sysreg(ttbr1_el1);
	phys_addr_t pa = ttbr & GENMASK_ULL(47, 6);

	if (IS_ENABLED(CONFIG_ARM64_PA_BITS_52))
		pa |= (ttbr & GENMASK_ULL(5, 2)) << 46;
	return pa;
}

/* Descriptor @idx of the table at @pa, through the direct map. */
static int memx_desc(phys_addr_t pa, unsigned long idx, u64 *desc)
{
	const u64 *table = __va(pa);

	if (!pfn_valid(PHYS_PFN(pa)))
		return -EFAULT;
	return get_kernel_nofault(*desc, table + idx) ? -EFAULT : 0;
}

/*
 * Walk from the top level to the leaf: a table descriptor leads on, a
 * block ends the walk above the last level, a page at it.  A mapping is
 * writable when the leaf's AP[2] and every table's APTable[1] allow it.
 */
static int memx_walk(unsigned long addr, unsigned int va_bits,
		     struct memx_kmap *map)
{
	unsigned int levels = DIV_ROUND_UP(va_bits - PAGE_SHIFT,
					   MEMX_LEVEL_BITS);
	phys_addr_t table = memx_ttbr1_table();
	bool rdonly = false;
	unsigned int shift;
	unsigned long idx;
	u64 desc;
	int level;

	for (level = levels - 1; level >= 0; level--) {
		shift = PAGE_SHIFT + level * MEMX_LEVEL_BITS;
		idx = (addr >> shift) &
		      GENMASK(min_t(unsigned int, MEMX_LEVEL_BITS,
				    va_bits - shift) - 1, 0);
		if (memx_desc(table, idx, &desc))
			return -EFAULT;
		if (!(desc & MEMX_DESC_VALID))
			return -EFAULT;
		if (!level || !(desc & MEMX_DESC_TABLE))
			break;
		rdonly |= desc & MEMX_TABLE_RDONLY;
		table = __pte_to_phys(__pte(desc));
	}
	/* At the last level, a valid entry without bit 1 is reserved. */
	if (!level && !(desc & MEMX_DESC_TABLE))
		return -EFAULT;
	map->pfn = PHYS_PFN((__pte_to_phys(__pte(desc)) & ~((1ULL << shift) - 1)) +
			    (addr & ((1UL << shift) - 1)));
	map->shift = shift;
	map->writable = !rdonly && !(desc & MEMX_DESC_RDONLY);
	map->cache = desc & PTE_ATTRINDX_MASK;
	return 0;
}

/*
 * The kernel mapping of @addr.  The kernel half is the addresses whose bits
 * from the kernel half's width up are all ones; any other address of the
 * top half faults in the MMU and is EFAULT here.  No frame beyond the
 * kernel's physical address width is returned.
 */
int memx_kmap_lookup(unsigned long addr, struct memx_kmap *map)
{
	unsigned int va_bits = memx_va_bits();
	int err;

	if ((addr >> va_bits) != (~0UL >> va_bits))
		return -EFAULT;
	err = memx_walk(addr, va_bits, map);
	if (err)
		return err;
	if (map->pfn >> (PHYS_MASK_SHIFT - PAGE_SHIFT))
		return -EFAULT;
	return 0;
}
