// SPDX-License-Identifier: GPL-2.0
/*
 * memx: mmap of the three nodes.
 */

#include <linux/mm.h>

#include "memx.h"

int memx_mmap(struct file *file, struct vm_area_struct *vma)
{
	return -ENODEV;
}
