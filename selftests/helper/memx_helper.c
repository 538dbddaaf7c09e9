// SPDX-License-Identifier: GPL-2.0
/*
 * memx_helper: test-only module for memx's selftests.
 *
 * Gives the tests kernel objects whose addresses and contents come from
 * outside memx, under /sys/kernel/debug/memx_helper/:
 *   edu_mmio    kernel virtual address of the QEMU edu device's BAR 0
 *   vbuf_addr   kernel virtual address of a vmalloc buffer of VBUF_PAGES
 *   vbuf_phys   physical address of each page of it, one per line
 *   vbuf        the buffer itself (read and write)
 *   protnone    kernel virtual address of a vmalloc page whose PTE has
 *               _PAGE_PRESENT clear and _PAGE_PROTNONE set, with its frame
 *               bits not inverted: a KFENCE guard page as kernels before
 *               "x86/kfence: avoid writing L1TF-vulnerable PTEs" made them
 *   wc_phys     physical address of 4 contiguous pages, the second of which
 *               the kernel maps write-combining (set_memory_wc())
 *   upte        write a user address of the writing process; read back the
 *               cache type of its page-table entry there: wb, wc or
 *               "other <bits>" ("none" when not mapped)
 *   churn       write 1 to start a thread that vmallocs and vfrees buffers
 *               in a loop, 0 to stop it; churn_addr is the last buffer's
 *               address, usually freed by the time anyone reads it
 *   spin        write 1: the writing thread spins in helper_spin() with
 *               interrupts off until 0 is written (at most HOLD_MAX_NS)
 *   loop        write 1: the writing thread loops in helper_loop(), in the
 *               kernel with interrupts on, until 0 is written or a signal
 *               comes; reads how many threads loop there
 *   nmi_hold    write 1: the writing thread's CPU sends itself an NMI and
 *               spins in the handler until 0 is written (at most
 *               HOLD_MAX_NS), taking no other NMI meanwhile; reads 1 while
 *               it spins there
 */

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/pci.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/vmalloc.h>
#include <linux/timekeeping.h>
#include <asm/apic.h>
#include <asm/nmi.h>
#include <asm/set_memory.h>

#define VBUF_PAGES	4
#define HOLD_MAX_NS	(10 * NSEC_PER_SEC)

static struct dentry *helper_dir;
static void __iomem *edu_mmio;
static u64 edu_addr;
static u64 vbuf_addr;
static void *vbuf;
static struct debugfs_blob_wrapper vbuf_blob;
static void *pnbuf;
static pte_t *pn_pte, pn_orig;
static u64 pn_addr;
static struct page *wc_pages;
static u64 wc_phys;
static char upte_result[32] = "none\n";
static struct task_struct *churn_task;
static u64 churn_addr;
static DEFINE_MUTEX(churn_lock);
static bool spin_on, loop_on, hold_on;
static int hold_cpu = -1;
static atomic_t loopers = ATOMIC_INIT(0);
static bool held;

static int vbuf_phys_show(struct seq_file *m, void *unused)
{
	struct page *page;
	int i;

	for (i = 0; i < VBUF_PAGES; i++) {
		page = vmalloc_to_page(vbuf + i * PAGE_SIZE);
		seq_printf(m, "%#llx\n", (u64)page_to_phys(page));
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vbuf_phys);

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

/* vmalloc, publish, vfree, again: addresses that come and go. */
static int churn_fn(void *unused)
{
	void *p;

	while (!kthread_should_stop()) {
		p = vmalloc((get_random_u32() % 8 + 1) * PAGE_SIZE);
		if (p) {
			memset(p, 0xc5, PAGE_SIZE);
			WRITE_ONCE(churn_addr, (unsigned long)p);
			usleep_range(50, 200);
			vfree(p);
		}
		cond_resched();
	}
	return 0;
}

static void churn_stop(void)
{
	if (churn_task)
		kthread_stop(churn_task);
	churn_task = NULL;
}

static ssize_t churn_write(struct file *file, const char __user *ubuf,
			   size_t len, loff_t *ppos)
{
	bool on;
	int err = kstrtobool_from_user(ubuf, len, &on);

	if (err)
		return err;
	mutex_lock(&churn_lock);
	if (on && !churn_task) {
		churn_task = kthread_run(churn_fn, NULL, "memx_churn");
		if (IS_ERR(churn_task)) {
			err = PTR_ERR(churn_task);
			churn_task = NULL;
		}
	} else if (!on) {
		churn_stop();
	}
	mutex_unlock(&churn_lock);
	return err ? err : len;
}

static const struct file_operations churn_fops = {
	.owner	= THIS_MODULE,
	.write	= churn_write,
};

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

/* What memx's MEMX_IOC_CPU_REGS must find on a CPU with interrupts off. */
static noinline void helper_spin(void)
{
	unsigned long flags;

	local_irq_save(flags);
	hold_while(&spin_on);
	local_irq_restore(flags);
}

static ssize_t spin_write(struct file *file, const char __user *ubuf,
			  size_t len, loff_t *ppos)
{
	bool on;
	int err = kstrtobool_from_user(ubuf, len, &on);

	if (err)
		return err;
	WRITE_ONCE(spin_on, on);
	if (on)
		helper_spin();
	return len;
}

static const struct file_operations spin_fops = {
	.owner	= THIS_MODULE,
	.write	= spin_write,
};

/*
 * A task running in the kernel, for a dump's CPU notes to catch there: in
 * this function itself, but for one turn in 4096 (cond_resched()).
 */
static noinline int helper_loop(void)
{
	unsigned int i = 0;
	int err = 0;

	atomic_inc(&loopers);
	while (READ_ONCE(loop_on)) {
		if (signal_pending(current)) {
			err = -EINTR;
			break;
		}
		if (!(++i % 4096))
			cond_resched();
		cpu_relax();
	}
	atomic_dec(&loopers);
	return err;
}

static ssize_t loop_write(struct file *file, const char __user *ubuf,
			  size_t len, loff_t *ppos)
{
	bool on;
	int err = kstrtobool_from_user(ubuf, len, &on);

	if (err)
		return err;
	WRITE_ONCE(loop_on, on);
	if (on)
		err = helper_loop();
	return err ? err : len;
}

static ssize_t loop_read(struct file *file, char __user *ubuf, size_t len,
			 loff_t *ppos)
{
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%d\n", atomic_read(&loopers));

	return simple_read_from_buffer(ubuf, len, ppos, buf, n);
}

static const struct file_operations loop_fops = {
	.owner	= THIS_MODULE,
	.read	= loop_read,
	.write	= loop_write,
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

static int edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	int err;

	err = pcim_enable_device(pdev);
	if (err)
		return err;
	edu_mmio = pcim_iomap(pdev, 0, 0);
	if (!edu_mmio)
		return -ENOMEM;
	edu_addr = (unsigned long)edu_mmio;
	debugfs_create_x64("edu_mmio", 0400, helper_dir, &edu_addr);
	return 0;
}

static const struct pci_device_id edu_ids[] = {
	{ PCI_DEVICE(0x1234, 0x11e8) },
	{ }
};
MODULE_DEVICE_TABLE(pci, edu_ids);

static struct pci_driver edu_driver = {
	.name		= "memx_helper_edu",
	.id_table	= edu_ids,
	.probe		= edu_probe,
};

static int __init helper_init(void)
{
	int i, err;

	vbuf = vmalloc(VBUF_PAGES * PAGE_SIZE);
	if (!vbuf)
		return -ENOMEM;
	for (i = 0; i < VBUF_PAGES * PAGE_SIZE; i++)
		((u8 *)vbuf)[i] = (u8)(i * 7 + i / PAGE_SIZE);
	vbuf_addr = (unsigned long)vbuf;
	vbuf_blob.data = vbuf;
	vbuf_blob.size = VBUF_PAGES * PAGE_SIZE;

	helper_dir = debugfs_create_dir("memx_helper", NULL);
	debugfs_create_x64("vbuf_addr", 0400, helper_dir, &vbuf_addr);
	debugfs_create_file("vbuf_phys", 0400, helper_dir, NULL,
			    &vbuf_phys_fops);
	debugfs_create_blob("vbuf", 0400, helper_dir, &vbuf_blob);

	err = protnone_setup();
	if (err)
		goto err_remove_dir;
	err = wc_setup();
	if (err)
		goto err_protnone;
	debugfs_create_x64("protnone", 0400, helper_dir, &pn_addr);
	debugfs_create_x64("wc_phys", 0400, helper_dir, &wc_phys);
	debugfs_create_file("upte", 0600, helper_dir, NULL, &upte_fops);
	debugfs_create_file("churn", 0200, helper_dir, NULL, &churn_fops);
	debugfs_create_x64("churn_addr", 0400, helper_dir, &churn_addr);
	debugfs_create_file("spin", 0200, helper_dir, NULL, &spin_fops);
	debugfs_create_file("loop", 0600, helper_dir, NULL, &loop_fops);
	debugfs_create_file("nmi_hold", 0600, helper_dir, NULL, &hold_fops);

	err = register_nmi_handler(NMI_LOCAL, hold_nmi, 0, "memx_helper");
	if (err)
		goto err_wc;
	err = pci_register_driver(&edu_driver);
	if (err)
		goto err_nmi;
	return 0;

err_nmi:
	unregister_nmi_handler(NMI_LOCAL, "memx_helper");
err_wc:
	wc_teardown();
err_protnone:
	protnone_teardown();
err_remove_dir:
	debugfs_remove_recursive(helper_dir);
	vfree(vbuf);
	return err;
}

static void __exit helper_exit(void)
{
	pci_unregister_driver(&edu_driver);
	unregister_nmi_handler(NMI_LOCAL, "memx_helper");
	debugfs_remove_recursive(helper_dir);
	churn_stop();
	wc_teardown();
	protnone_teardown();
	vfree(vbuf);
}

module_init(helper_init);
module_exit(helper_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("memx selftest helper: edu BAR and a vmalloc buffer");
