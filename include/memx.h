/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memx: what the node code (mm_main.c) and the backends share.
 */
#ifndef _MEMX_H
#define _MEMX_H

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/types.h>

#include <uapi/memx.h>

/* A frame for mmap: RAM is mapped cached, I/O memory uncached. */
struct memx_frame {
	unsigned long pfn;
	bool io;
	bool writable;		/* the kernel's own mapping allows writes */
};

/*
 * A backend moves bytes between the caller's buffer and the memory at
 * @addr, never across a page boundary.  It returns the bytes moved (short
 * when a fault stopped it), 0 at the end of memory, or a negative errno with
 * nothing moved.
 */
struct memx_ops {
	ssize_t (*read)(u64 addr, char __user *buf, size_t len, bool io);
	ssize_t (*write)(u64 addr, const char __user *buf, size_t len,
			 bool io);
	/* SEEK_END, SEEK_DATA, SEEK_HOLE: *pos from offset to position */
	int (*seek)(u64 *pos, int whence);
	/* The frame mmap maps at @addr, after read()'s checks. */
	int (*frame)(u64 addr, bool io, struct memx_frame *frame);
	/* MEMX_IOC_VTOP; NULL: ENOTTY */
	int (*vtop)(struct memx_vtop *vtop);
};

struct memx_node {
	struct miscdevice misc;
	const struct memx_ops *ops;
	bool io;		/* I/O memory is accessed, not refused */
};

/* A kernel mapping as the page tables give it. */
struct memx_kmap {
	unsigned long pfn;	/* frame of the page holding the address */
	unsigned int shift;	/* log2 of the mapping's page size */
	bool writable;
};

/* mm_phys.c */
extern const struct memx_ops memx_phys_ops;
bool memx_pfn_is_ram(unsigned long pfn);
int memx_ram_page_check(unsigned long pfn);

/* mm_kvirt.c */
extern const struct memx_ops memx_kvirt_ops;
int memx_kmap_lookup(unsigned long addr, struct memx_kmap *map);

/* mm_access.c: each returns the bytes it could not move */
size_t memx_read_kernel(void __user *dst, unsigned long src, size_t len);
size_t memx_write_kernel(unsigned long dst, const void __user *src,
			 size_t len);
size_t memx_copy_user(void __user *dst, const void __user *src, size_t len);

/* A backend's result from @left of @len bytes not moved. */
static inline ssize_t memx_moved(size_t len, size_t left)
{
	return left == len ? -EFAULT : len - left;
}

/* mm_mmap.c */
int memx_mmap(struct file *file, struct vm_area_struct *vma);

#endif /* _MEMX_H */
