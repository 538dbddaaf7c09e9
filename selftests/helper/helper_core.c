// SPDX-License-Identifier: GPL-2.0
/*
 * memx_helper: test-only module for memx's selftests.
 *
 * Gives the tests kernel objects whose addresses and contents come from
 * outside memx, under /sys/kernel/debug/memx_helper/ (helper_x86.c adds
 * x86-64's own):
 *   edu_mmio    kernel virtual address of the QEMU edu device's BAR 0
 *   vbuf_addr   kernel virtual address of a vmalloc buffer of VBUF_PAGES
 *   vbuf_phys   physical address of each page of it, one per line
 *   vbuf        the buffer itself (read and write)
 *   churn       write 1 to start a thread that vmallocs and vfrees buffers
 *               in a loop, 0 to stop it; churn_addr is the last buffer's
 *               address, usually freed by the time anyone reads it
 *   spin        write 1: the writing thread spins in helper_spin() with
 *               interrupts off until 0 is written (at most HOLD_MAX_NS)
 *   spinning    Y while a thread is in that loop, interrupts already off
 *   loop        write 1: the writing thread loops in helper_loop(), in the
 *               kernel with interrupts on, until 0 is written or a signal
 *               comes; reads how many threads loop there
 *   veto_offline  Y: every memory offline fails (EBUSY) once the memory
 *               notifiers before this one (memx's) have seen it start
 *   vetoed      how many offlines it failed
 */

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/memory.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/pci.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/vmalloc.h>
#include <linux/timekeeping.h>

#include "helper.h"

#define VBUF_PAGES	4

struct dentry *helper_dir;
static void __iomem *edu_mmio;
static u64 edu_addr;
static u64 vbuf_addr;
static void *vbuf;
static struct debugfs_blob_wrapper vbuf_blob;
static struct task_struct *churn_task;
static u64 churn_addr;
static DEFINE_MUTEX(churn_lock);
static bool spin_on, spinning, loop_on;
/*
 * Whether access_remote_vm() (/proc/PID/mem, ptrace) may call a VM_PFNMAP
 * mapping's .access: only with CONFIG_HAVE_IOREMAP_PROT, which arm64 has
 * since 5.19.
 */
static bool pfnmap_access = IS_ENABLED(CONFIG_HAVE_IOREMAP_PROT);
static bool veto_offline;
static u32 vetoed;

/* Registered after memx's, so called after it at the same priority. */
static int veto_notify(struct notifier_block *nb, unsigned long action,
		       void *arg)
{
	if (action == MEM_GOING_OFFLINE && READ_ONCE(veto_offline)) {
		vetoed++;
		return notifier_from_errno(-EBUSY);
	}
	return NOTIFY_OK;
}

static struct notifier_block veto_nb = {
	.notifier_call = veto_notify,
};

static atomic_t loopers = ATOMIC_INIT(0);

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

/* What memx's MEMX_IOC_CPU_REGS must find on a CPU with interrupts off. */
static noinline void helper_spin(void)
{
	unsigned long flags;

	local_irq_save(flags);
	WRITE_ONCE(spinning, true);
	hold_while(&spin_on);
	WRITE_ONCE(spinning, false);
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

	debugfs_create_file("churn", 0200, helper_dir, NULL, &churn_fops);
	debugfs_create_x64("churn_addr", 0400, helper_dir, &churn_addr);
	debugfs_create_file("spin", 0200, helper_dir, NULL, &spin_fops);
	debugfs_create_bool("spinning", 0400, helper_dir, &spinning);
	debugfs_create_file("loop", 0600, helper_dir, NULL, &loop_fops);
	debugfs_create_bool("pfnmap_access", 0400, helper_dir,
			    &pfnmap_access);
	debugfs_create_bool("veto_offline", 0600, helper_dir, &veto_offline);
	debugfs_create_u32("vetoed", 0400, helper_dir, &vetoed);

	err = helper_arch_init();
	if (err)
		goto err_remove_dir;
	err = pci_register_driver(&edu_driver);
	if (err)
		goto err_arch;
	err = register_memory_notifier(&veto_nb);
	if (err)
		goto err_pci;
	return 0;

err_pci:
	pci_unregister_driver(&edu_driver);
err_arch:
	helper_arch_exit();
err_remove_dir:
	debugfs_remove_recursive(helper_dir);
	vfree(vbuf);
	return err;
}

static void __exit helper_exit(void)
{
	unregister_memory_notifier(&veto_nb);
	pci_unregister_driver(&edu_driver);
	helper_arch_exit();
	debugfs_remove_recursive(helper_dir);
	churn_stop();
	vfree(vbuf);
}

module_init(helper_init);
module_exit(helper_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("memx selftest helper: edu BAR and a vmalloc buffer");
