// SPDX-License-Identifier: GPL-2.0
/*
 * memx: Solaris-style /dev/mem, /dev/kmem and /dev/allkmem for Linux, as the
 * misc devices memx (physical), kmemx (kernel virtual, I/O refused) and
 * allkmemx (kernel virtual, I/O accessed with exact widths).
 *
 * This file holds the nodes, the open policy, lseek, the ioctls and the
 * page-by-page transfer loop that read(), write() and the positioned
 * transfer ioctls share.  The backends only ever see one page at a time.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fsnotify.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/sched/xacct.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "memx.h"
#include "memx_compat.h"

#define MEMX_VERSION "0.1.0"

static bool writable;
module_param(writable, bool, 0644);
MODULE_PARM_DESC(writable, "Allow opening the nodes for writing (default: N)");

static bool bounce;
module_param(bounce, bool, 0644);
MODULE_PARM_DESC(bounce, "Copy RAM through the bounce page too, the older, slower path (default: N)");

static int memx_open(struct inode *inode, struct file *file)
{
	struct miscdevice *misc = file->private_data;
	struct memx_node *node = container_of(misc, struct memx_node, misc);
	int err;

	if (!capable(CAP_SYS_RAWIO))
		return -EPERM;
	if (file->f_mode & FMODE_READ) {
		err = security_locked_down(LOCKDOWN_KCORE);
		if (err)
			return err;
	}
	if (file->f_mode & FMODE_WRITE && !READ_ONCE(writable))
		return -EPERM;
	/*
	 * Writing changes the kernel; allkmemx reads device registers, whose
	 * reads can have side effects: both are refused under integrity
	 * lockdown, as /dev/mem, /dev/port and sysfs BARs are.
	 */
	if (file->f_mode & FMODE_WRITE || node->io) {
		err = security_locked_down(LOCKDOWN_DEV_MEM);
		if (err)
			return err;
	}

	file->private_data = node;
	/* All files of a node share one mapping, which mm_revoke.c zaps. */
	file->f_mapping = node->mapping;
	memx_set_unsigned_offset(file);
	return 0;
}

/* Any position but the last 4095 values, which read as errors. */
static loff_t memx_llseek(struct file *file, loff_t off, int whence)
{
	const struct memx_node *node = file->private_data;
	u64 pos = off;
	int err;

	switch (whence) {
	case SEEK_SET:
		break;
	case SEEK_CUR:
		pos += file->f_pos;
		break;
	default:
		if (!node->ops->seek)
			return -EINVAL;
		err = node->ops->seek(&pos, whence);
		if (err)
			return err;
	}
	if (IS_ERR_VALUE((unsigned long)pos))
		return -EOVERFLOW;
	file->f_pos = pos;
	return pos;
}

/* A write to kernel or physical memory: one rate-limited line, and taint. */
void memx_log_write(const struct memx_node *node, const char *what, u64 addr,
		    u64 len)
{
	pr_notice_ratelimited("%s: %s %llu bytes at %#llx, pid %d (%s)\n",
			      node->misc.name, what, len, addr,
			      task_pid_nr(current), current->comm);
	if (!test_taint(TAINT_USER))
		add_taint(TAINT_USER, LOCKDEP_STILL_OK);
}

/* The caller's own memory (the AIX user half): no log, no taint. */
static bool memx_is_user(const struct memx_node *node, u64 addr)
{
	return node->ops->is_user && node->ops->is_user(addr);
}

/*
 * The bounce pages.  Only mm_access.c's own copies touch them, never
 * copy_to_user() or copy_from_user(), so no usercopy window is needed.
 * The cache has a constructor, so that init_on_alloc (Debian's default)
 * does not clear a page for every call: each byte a transfer takes from it
 * was put there by that transfer.
 */
static struct kmem_cache *memx_bounce_cache;

static void memx_bounce_ctor(void *page)
{
}

/*
 * RAM straight between memory and the caller's buffer, right after the
 * backend's checks, with page faults disabled: the bytes moved, or the
 * error of a fault on the kernel side.  0 leaves the page to the bounce
 * path: not RAM, the `bounce` parameter, or a caller's buffer that has to
 * fault in first.
 */
#if MEMX_STRAIGHT
static ssize_t memx_direct(const struct memx_node *node, u64 addr,
			   char __user *ubuf, size_t len, bool write,
			   struct memx_range *ram)
{
	unsigned long kaddr;

	if (READ_ONCE(bounce))
		return 0;
	kaddr = node->ops->ram(addr, &len, write, ram);
	if (!kaddr)
		return 0;
	if (write)
		return memx_poke_user(kaddr, ubuf, len);
	return memx_peek_user(ubuf, kaddr, len);
}
#else
static ssize_t memx_direct(const struct memx_node *node, u64 addr,
			   char __user *ubuf, size_t len, bool write,
			   struct memx_range *ram)
{
	return 0;
}
#endif

/*
 * One page's worth of a transfer the bounce way, through *@kbuf (allocated
 * at the first need).  A read: the backend checks the memory and copies it
 * into the bounce page at once, then it goes to the caller, whose buffer
 * may fault and block (userfaultfd, FUSE) without holding up anything
 * checked.  A write: the caller's bytes come in first, then are checked and
 * stored at once.
 */
static ssize_t memx_bounce(const struct memx_node *node, u64 addr,
			   char __user *ubuf, void **kbuf, size_t len,
			   bool write, struct memx_range *ram)
{
	ssize_t ret;

	if (!*kbuf)
		*kbuf = kmem_cache_alloc(memx_bounce_cache, GFP_KERNEL);
	if (!*kbuf)
		return -ENOMEM;
	if (write) {
		ret = memx_from_user(*kbuf, ubuf, len);
		return ret > 0 ?
		       node->ops->write(addr, *kbuf, ret, node->io, ram) : ret;
	}
	ret = node->ops->read(addr, *kbuf, len, node->io, ram);
	return ret > 0 ? memx_to_user(ubuf, *kbuf, ret) : ret;
}

/*
 * The transfer shared by read(), write() and the ioctls: page by page,
 * straight for RAM and through a bounce page otherwise, rescheduling
 * between pages and stopping on a signal.  Returns the bytes moved, or the
 * error of the first page when nothing moved.  A signal before anything
 * moved is -ERESTARTSYS: the call is restarted when the handler has
 * SA_RESTART (and after task work or a freezer wake-up, which are no reason
 * to fail), EINTR otherwise.
 */
static ssize_t memx_xfer(const struct memx_node *node, u64 addr,
			 char __user *ubuf, size_t count, bool write)
{
	struct memx_range ram = MEMX_RANGE_NONE;
	ssize_t done = 0, ret = 0;
	void *kbuf = NULL;

	while (count) {
		size_t len = min_t(size_t, count,
				   PAGE_SIZE - offset_in_page(addr));

		if (signal_pending(current)) {
			ret = -ERESTARTSYS;
			break;
		}
		ret = memx_direct(node, addr, ubuf, len, write, &ram);
		if (!ret)
			ret = memx_bounce(node, addr, ubuf, &kbuf, len, write,
					  &ram);
		if (ret <= 0)
			break;
		done += ret;
		addr += ret;
		ubuf += ret;
		count -= ret;
		cond_resched();
	}
	if (kbuf)
		kmem_cache_free(memx_bounce_cache, kbuf);

	if (write && done && !memx_is_user(node, addr - done))
		memx_log_write(node, "wrote", addr - done, done);
	return done ? done : ret;
}

static ssize_t memx_read(struct file *file, char __user *buf, size_t count,
			 loff_t *ppos)
{
	ssize_t ret = memx_xfer(file->private_data, *ppos, buf, count, false);

	if (ret > 0)
		*ppos += ret;
	return ret;
}

static ssize_t memx_write(struct file *file, const char __user *buf,
			  size_t count, loff_t *ppos)
{
	ssize_t ret = memx_xfer(file->private_data, *ppos, (char __user *)buf,
				count, true);

	if (ret > 0)
		*ppos += ret;
	return ret;
}

/*
 * What read() and write() do after a transfer, for the ioctls: the
 * fsnotify event (inotify's IN_ACCESS, IN_MODIFY, fanotify's) and the
 * task's I/O accounting (/proc/PID/io).  The LSM hook read() passes,
 * security_file_permission(), is not exported to modules; the ioctl
 * syscall has passed security_file_ioctl() before memx sees the call.
 */
static void memx_ioctl_account(struct file *file, ssize_t ret, bool write)
{
	if (write) {
		if (ret > 0) {
			fsnotify_modify(file);
			add_wchar(current, ret);
		}
		inc_syscw(current);
	} else {
		if (ret > 0) {
			fsnotify_access(file);
			add_rchar(current, ret);
		}
		inc_syscr(current);
	}
}

/* MEMX_IOC_READ and MEMX_IOC_WRITE: read()/write() at an explicit address. */
static long memx_ioctl_xfer(struct file *file, void __user *argp, bool write)
{
	fmode_t need = write ? FMODE_WRITE : FMODE_READ;
	struct memx_xfer x;
	ssize_t ret;

	if (!(file->f_mode & need))
		return -EBADF;
	if (copy_from_user(&x, argp, sizeof(x)))
		return -EFAULT;
	x.len = min_t(u64, x.len, MAX_RW_COUNT);
	if (x.len && x.addr + x.len - 1 < x.addr)
		return -EOVERFLOW;

	ret = memx_xfer(file->private_data, x.addr, u64_to_user_ptr(x.buf),
			x.len, write);
	memx_ioctl_account(file, ret, write);
	if (ret < 0)
		return ret;
	x.len = ret;
	if (copy_to_user(argp, &x, sizeof(x)))
		return -EFAULT;
	return 0;
}

static long memx_ioctl_vtop(struct file *file, void __user *argp)
{
	const struct memx_node *node = file->private_data;
	struct memx_vtop vtop;
	int err;

	if (!node->ops->vtop)
		return -ENOTTY;
	if (copy_from_user(&vtop, argp, sizeof(vtop)))
		return -EFAULT;
	err = node->ops->vtop(&vtop);
	if (err)
		return err;
	if (copy_to_user(argp, &vtop, sizeof(vtop)))
		return -EFAULT;
	return 0;
}

static long memx_ioctl_cpu_regs(struct file *file, void __user *argp)
{
	const struct memx_node *node = file->private_data;
	struct memx_cpu_regs r;
	int err;

	if (!node->ops->cpu_regs)
		return -ENOTTY;
	if (!(file->f_mode & FMODE_READ))
		return -EBADF;
	if (copy_from_user(&r, argp, sizeof(r)))
		return -EFAULT;
	if (r.cpu >= nr_cpu_ids)
		return -EINVAL;
	err = node->ops->cpu_regs(&r);
	if (err)
		return err;
	r.pad = 0;
	if (copy_to_user(argp, &r, sizeof(r)))
		return -EFAULT;
	return 0;
}

static long memx_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case MEMX_IOC_VTOP:
		return memx_ioctl_vtop(file, argp);
	case MEMX_IOC_READ:
		return memx_ioctl_xfer(file, argp, false);
	case MEMX_IOC_WRITE:
		return memx_ioctl_xfer(file, argp, true);
	case MEMX_IOC_CPU_REGS:
		return memx_ioctl_cpu_regs(file, argp);
	}
	return -ENOTTY;
}

static const struct file_operations memx_fops = {
	.owner		= THIS_MODULE,
	.open		= memx_open,
	.llseek		= memx_llseek,
	.read		= memx_read,
	.write		= memx_write,
	.unlocked_ioctl	= memx_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,	/* the structs have one layout */
	.mmap		= memx_mmap,
	MEMX_FOP_FLAGS
};

#define MEMX_NODE(_name, _ops, _io) {				\
	.misc = {						\
		.minor	= MISC_DYNAMIC_MINOR,			\
		.name	= _name,				\
		.fops	= &memx_fops,				\
		.mode	= 0600,					\
	},							\
	.ops	= _ops,						\
	.io	= _io,						\
}

static struct memx_node memx_nodes[] = {
	MEMX_NODE("memx", &memx_phys_ops, false),
	MEMX_NODE("kmemx", &memx_kvirt_ops, false),
	MEMX_NODE("allkmemx", &memx_kvirt_ops, true),
};

static int __init memx_init(void)
{
	int i, err;

	memx_bounce_cache = kmem_cache_create("memx_bounce", PAGE_SIZE,
					      PAGE_SIZE, 0, memx_bounce_ctor);
	if (!memx_bounce_cache)
		return -ENOMEM;
	err = memx_revoke_init(memx_nodes, ARRAY_SIZE(memx_nodes));
	if (err)
		goto err_cache;
	err = memx_cpu_init();
	if (err)
		goto err_revoke;
	for (i = 0; i < ARRAY_SIZE(memx_nodes); i++) {
		err = misc_register(&memx_nodes[i].misc);
		if (err) {
			pr_err("cannot register /dev/%s: %d\n",
			       memx_nodes[i].misc.name, err);
			goto err_deregister;
		}
	}
	return 0;

err_deregister:
	while (i--)
		misc_deregister(&memx_nodes[i].misc);
	memx_cpu_exit();
err_revoke:
	memx_revoke_exit();
err_cache:
	kmem_cache_destroy(memx_bounce_cache);
	return err;
}

static void __exit memx_exit(void)
{
	int i = ARRAY_SIZE(memx_nodes);

	while (i--)
		misc_deregister(&memx_nodes[i].misc);
	memx_cpu_exit();
	memx_revoke_exit();
	kmem_cache_destroy(memx_bounce_cache);
}

module_init(memx_init);
module_exit(memx_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Solaris-style /dev/mem, /dev/kmem and /dev/allkmem");
MODULE_VERSION(MEMX_VERSION);
