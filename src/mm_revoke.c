// SPDX-License-Identifier: GPL-2.0
/*
 * memx: mappings that cannot outlive their memory.
 *
 * remap_pfn_range() takes no reference on the frames it maps, so nothing
 * would stop user space from reaching RAM that went offline and was
 * hot-removed.  As drivers/char/mem.c does for /dev/mem (devmem_inode and
 * revoke_devmem()), every file of a node shares one address_space, that
 * of an inode of a private pseudo filesystem, so that all user mappings of
 * an offset range can be found and zapped at once.  A memory hotplug
 * notifier zaps the range of a block as it goes offline (and once more when
 * it is offline), in whole sections: with memmap_on_memory a hot-added
 * block holds its own struct pages in its first section, before the range
 * the notifier names, and they go with it.  A kernel-virtual node reaches a
 * frame through any address that maps it (the kernel image, vmap()), not
 * only its direct map, so all of its mappings go; each page is mapped again
 * at its next touch.  Pages are mapped only by mm_mmap.c's fault handler,
 * after mmap's checks, and only once the VMA is linked; a later touch maps
 * the page again (the offline failed: MEM_CANCEL_OFFLINE revokes nothing)
 * or is SIGBUS.  The handler holds memx_revoke_sem for reading from its
 * checks to its insert, so no mapping slips between the checks and a zap.
 */

#include <linux/fs.h>
#include <linux/memory.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/rwsem.h>

#include "memx.h"
#include "memx_compat.h"

#define MEMX_FS_MAGIC	0x6d656d78	/* "memx" */

static struct vfsmount *memx_mnt;
static struct memx_node *memx_revoke_nodes;
static int memx_revoke_count;
static DECLARE_RWSEM(memx_revoke_sem);

void memx_revoke_lock(void)
{
	down_read(&memx_revoke_sem);
}

void memx_revoke_unlock(void)
{
	up_read(&memx_revoke_sem);
}

/* Zap every user mapping of frames [@pfn, @pfn + @nr), on every node. */
static void memx_revoke(unsigned long pfn, unsigned long nr)
{
	unsigned long start = ALIGN_DOWN(pfn, PAGES_PER_SECTION);
	unsigned long end = ALIGN(pfn + nr, PAGES_PER_SECTION);
	int i;

	down_write(&memx_revoke_sem);
	for (i = 0; i < memx_revoke_count; i++) {
		const struct memx_node *node = &memx_revoke_nodes[i];

		if (node->ops->aliases)
			unmap_mapping_pages(node->mapping, 0, ULONG_MAX, true);
		else
			unmap_mapping_pages(node->mapping, start, end - start,
					    true);
	}
	up_write(&memx_revoke_sem);
}

static int memx_memory_notify(struct notifier_block *nb,
			      unsigned long action, void *arg)
{
	const struct memory_notify *mn = arg;

	if (action == MEM_GOING_OFFLINE || action == MEM_OFFLINE)
		memx_revoke(mn->start_pfn, mn->nr_pages);
	return NOTIFY_OK;
}

static struct notifier_block memx_memory_nb = {
	.notifier_call = memx_memory_notify,
};

static int memx_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, MEMX_FS_MAGIC) ? 0 : -ENOMEM;
}

/* No .owner: the mount would pin the module and rmmod would never work. */
static struct file_system_type memx_fs_type = {
	.name		= "memx",
	.init_fs_context = memx_fs_init_fs_context,
	.kill_sb	= kill_anon_super,
};

static void memx_revoke_put(struct memx_node *nodes, int n)
{
	while (n--) {
		iput(nodes[n].mapping->host);
		nodes[n].mapping = NULL;
	}
}

/* One inode a node, whose mapping the node's files all share. */
static int memx_revoke_inodes(struct memx_node *nodes, int n)
{
	struct inode *inode;
	int i;

	for (i = 0; i < n; i++) {
		inode = alloc_anon_inode(memx_mnt->mnt_sb);
		if (IS_ERR(inode)) {
			memx_revoke_put(nodes, i);
			return PTR_ERR(inode);
		}
		nodes[i].mapping = inode->i_mapping;
	}
	return 0;
}

int memx_revoke_init(struct memx_node *nodes, int n)
{
	int err;

	memx_mnt = kern_mount(&memx_fs_type);
	if (IS_ERR(memx_mnt))
		return PTR_ERR(memx_mnt);
	err = memx_revoke_inodes(nodes, n);
	if (err)
		goto err_unmount;
	memx_revoke_nodes = nodes;
	memx_revoke_count = n;
	err = register_memory_notifier(&memx_memory_nb);
	if (err)
		goto err_put_inodes;
	return 0;

err_put_inodes:
	memx_revoke_put(nodes, n);
err_unmount:
	kern_unmount(memx_mnt);
	return err;
}

void memx_revoke_exit(void)
{
	unregister_memory_notifier(&memx_memory_nb);
	memx_revoke_put(memx_revoke_nodes, memx_revoke_count);
	kern_unmount(memx_mnt);
}
