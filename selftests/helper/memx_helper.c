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
 */

#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/vmalloc.h>

#define VBUF_PAGES	4

static struct dentry *helper_dir;
static void __iomem *edu_mmio;
static u64 edu_addr;
static u64 vbuf_addr;
static void *vbuf;
static struct debugfs_blob_wrapper vbuf_blob;

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

	err = pci_register_driver(&edu_driver);
	if (err)
		goto err_remove_dir;
	return 0;

err_remove_dir:
	debugfs_remove_recursive(helper_dir);
	vfree(vbuf);
	return err;
}

static void __exit helper_exit(void)
{
	pci_unregister_driver(&edu_driver);
	debugfs_remove_recursive(helper_dir);
	vfree(vbuf);
}

module_init(helper_init);
module_exit(helper_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("memx selftest helper: edu BAR and a vmalloc buffer");
