// SPDX-License-Identifier: GPL-2.0
/*
 * memx_helper: x86-64's own test objects, under the same debugfs folder:
 *   protnone    kernel virtual address of a vmalloc page whose PTE has
 *               _PAGE_PRESENT clear and _PAGE_PROTNONE set, with its frame
 *               bits not inverted: a KFENCE guard page as kernels before
 *               "x86/kfence: avoid writing L1TF-vulnerable PTEs" made them
 *   wc_phys     physical address of 4 contiguous pages, the second of which
 *               the kernel maps write-combining (set_memory_wc())
 *   upte        write a user address of the writing process; read back the
 *               cache type of its page-table entry there: wb, wc or
 *               "other <bits>" ("none" when not mapped)
 *   nmi_hold    write 1: the writing thread's CPU sends itself an NMI and
 *               spins in the handler until 0 is written (at most
 *               HOLD_MAX_NS), taking no other NMI meanwhile; reads 1 while
 *               it spins there
 *   nmi_send    write a CPU number: send that CPU an NMI that no handler
 *               claims (the kernel reports it as of unknown reason)
 */

#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/apic.h>
#include <asm/nmi.h>
#include <asm/set_memory.h>

#include "helper.h"

static void *pnbuf;
static pte_t *pn_pte, pn_orig;
static u64 pn_addr;
static struct page *wc_pages;
static u64 wc_phys;
static char upte_result[32] = "none\n";
static bool hold_on, held;
static int hold_cpu = -1;

/* Clear _PAGE_PRESENT, set _PAGE_PROTNONE, keep the frame: old KFENCE. */
static int protnone_setup(void)
{
	unsigned int level;

	pnbuf = vmalloc(PAGE_SIZE);
	if (!pnbuf)
		return -ENOMEM;
	memset(pnbuf, 0x5a, PAGE_SIZE);
	pn_pte = lookup_address((unsigned long)pnbuf, &level);
	if (!pn_pte || level != PG_LEVEL_4K) {
		vfree(pnbuf);
		return -EINVAL;
	}
	pn_orig = *pn_pte;
	set_pte(pn_pte, __pte((pte_val(pn_orig) & ~_PAGE_PRESENT) |
			      _PAGE_PROTNONE));
	pn_addr = (unsigned long)pnbuf;
	return 0;
}

/* A present entry again before vfree() tears the mapping down. */
static void protnone_teardown(void)
{
	set_pte(pn_pte, pn_orig);
	vfree(pnbuf);
}

static int wc_setup(void)
{
	int i;

	wc_pages = alloc_pages(GFP_KERNEL, 2);
	if (!wc_pages)
		return -ENOMEM;
	for (i = 0; i < 4 * PAGE_SIZE; i++)
		((u8 *)page_address(wc_pages))[i] = (u8)(i * 5 + i / PAGE_SIZE);
	wc_phys = page_to_phys(wc_pages);
	return set_memory_wc((unsigned long)page_address(wc_pages + 1), 1);
}

static void wc_teardown(void)
{
	set_memory_wb((unsigned long)page_address(wc_pages + 1), 1);
	__free_pages(wc_pages, 2);
}

/* The cache type of the caller's own page-table entry at @addr. */
static void upte_lookup(unsigned long addr)
{
	struct mm_struct *mm = current->mm;
	unsigned long cache;
	pgd_t *pgd;
	p4d_t *p4d;
	pud_t *pud;
	pmd_t *pmd;
	pte_t *pte;

	strscpy(upte_result, "none\n", sizeof(upte_result));
	mmap_read_lock(mm);
	pgd = pgd_offset(mm, addr);
	if (pgd_none(*pgd))
		goto out;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(*p4d))
		goto out;
	pud = pud_offset(p4d, addr);
	if (pud_none(*pud) || pud_leaf(*pud))
		goto out;
	pmd = pmd_offset(pud, addr);
	if (pmd_none(*pmd) || pmd_leaf(*pmd))
		goto out;
	pte = pte_offset_kernel(pmd, addr);
	if (!pte_present(*pte))
		goto out;
	cache = pte_flags(*pte) & _PAGE_CACHE_MASK;
	if (cache == cachemode2protval(_PAGE_CACHE_MODE_WB))
		strscpy(upte_result, "wb\n", sizeof(upte_result));
	else if (cache == cachemode2protval(_PAGE_CACHE_MODE_WC))
		strscpy(upte_result, "wc\n", sizeof(upte_result));
	else
		snprintf(upte_result, sizeof(upte_result), "other %#lx\n",
			 cache);
out:
	mmap_read_unlock(mm);
}

static ssize_t upte_write(struct file *file, const char __user *ubuf,
			  size_t len, loff_t *ppos)
{
	unsigned long addr;
	int err = kstrtoul_from_user(ubuf, len, 0, &addr);

	if (err)
		return err;
	upte_lookup(addr);
	return len;
}

static ssize_t upte_read(struct file *file, char __user *ubuf, size_t len,
			 loff_t *ppos)
{
	return simple_read_from_buffer(ubuf, len, ppos, upte_result,
				       strlen(upte_result));
}

static const struct file_operations upte_fops = {
	.owner	= THIS_MODULE,
	.read	= upte_read,
	.write	= upte_write,
};

static int hold_nmi(unsigned int type, struct pt_regs *regs)
{
	if (READ_ONCE(hold_cpu) != smp_processor_id())
		return NMI_DONE;
	WRITE_ONCE(hold_cpu, -1);
	WRITE_ONCE(held, true);
	hold_while(&hold_on);
	WRITE_ONCE(held, false);
	return NMI_HANDLED;
}

static ssize_t hold_write(struct file *file, const char __user *ubuf,
			  size_t len, loff_t *ppos)
{
	bool on;
	int cpu, err = kstrtobool_from_user(ubuf, len, &on);

	if (err)
		return err;
	WRITE_ONCE(hold_on, on);
	if (on) {
		cpu = get_cpu();
		WRITE_ONCE(hold_cpu, cpu);
		apic->send_IPI_mask(cpumask_of(cpu), NMI_VECTOR);
		put_cpu();
	}
	return len;
}

static ssize_t hold_read(struct file *file, char __user *ubuf, size_t len,
			 loff_t *ppos)
{
	char buf[2] = { READ_ONCE(held) ? '1' : '0', '\n' };

	return simple_read_from_buffer(ubuf, len, ppos, buf, sizeof(buf));
}

static const struct file_operations hold_fops = {
	.owner	= THIS_MODULE,
	.read	= hold_read,
	.write	= hold_write,
};

static ssize_t send_write(struct file *file, const char __user *ubuf,
			  size_t len, loff_t *ppos)
{
	unsigned int cpu;
	int err = kstrtouint_from_user(ubuf, len, 0, &cpu);

	if (err)
		return err;
	if (cpu >= nr_cpu_ids || !cpu_online(cpu))
		return -ENXIO;
	apic->send_IPI_mask(cpumask_of(cpu), NMI_VECTOR);
	return len;
}

static const struct file_operations send_fops = {
	.owner	= THIS_MODULE,
	.write	= send_write,
};

int helper_arch_init(void)
{
	int err;

	err = protnone_setup();
	if (err)
		return err;
	err = wc_setup();
	if (err)
		goto err_protnone;
	err = register_nmi_handler(NMI_LOCAL, hold_nmi, 0, "memx_helper");
	if (err)
		goto err_wc;
	debugfs_create_x64("protnone", 0400, helper_dir, &pn_addr);
	debugfs_create_x64("wc_phys", 0400, helper_dir, &wc_phys);
	debugfs_create_file("upte", 0600, helper_dir, NULL, &upte_fops);
	debugfs_create_file("nmi_hold", 0600, helper_dir, NULL, &hold_fops);
	debugfs_create_file("nmi_send", 0200, helper_dir, NULL, &send_fops);
	return 0;

err_wc:
	wc_teardown();
err_protnone:
	protnone_teardown();
	return err;
}

void helper_arch_exit(void)
{
	unregister_nmi_handler(NMI_LOCAL, "memx_helper");
	wc_teardown();
	protnone_teardown();
}
