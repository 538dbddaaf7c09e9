// SPDX-License-Identifier: GPL-2.0
/*
 * memx: the fault-safe copies between a buffer and memory.
 *
 * Every access is one naturally aligned load or store of 8, 4, 2 or 1 bytes,
 * the largest that fits at the current address: exact widths for I/O
 * registers, and 8-byte moves for RAM.  Data goes straight between the two
 * sides, without a bounce buffer, so kernel memory is never handed to
 * copy_to_user() (whose hardened-usercopy checks would BUG on slab objects
 * and kernel text).  Kernel loads go through the architecture's
 * memx_arch_load(), which survives a page fault (and on x86-64 a recoverable
 * machine check, the copy_mc_*() guarantee kept at exact widths); kernel
 * stores through __put_kernel_nofault(), user
 * accesses through unsafe_get_user()/unsafe_put_user().  Each function
 * returns the bytes moved, or the error of the first access.
 */

#include <linux/string.h>
#include <linux/uaccess.h>

#include "memx.h"
#include "memx_arch.h"
#include "memx_compat.h"

/* The largest of 8, 4, 2, 1 that is aligned at @addr and fits in @len. */
static __always_inline size_t memx_width(unsigned long addr, size_t len)
{
	if (len >= 8 && !(addr & 7))
		return 8;
	if (len >= 4 && !(addr & 3))
		return 4;
	if (len >= 2 && !(addr & 1))
		return 2;
	return 1;
}

#define memx_kernel_to_user(type, dst, src, err, label)			\
	do {								\
		type __v;						\
		memx_arch_load(type, __v, src, err, label);			\
		unsafe_put_user(__v, (type __user *)(dst), label);	\
	} while (0)

#define memx_kernel_to_buf(type, dst, src, err, label)			\
	do {								\
		type __v;						\
		memx_arch_load(type, __v, src, err, label);			\
		memcpy((void *)(dst), &__v, sizeof(type));		\
	} while (0)

#define memx_user_to_kernel(type, dst, src, err, label)			\
	do {								\
		type __v;						\
		unsafe_get_user(__v, (type __user *)(src), label);	\
		__put_kernel_nofault((void *)(dst), &__v, type, label);	\
	} while (0)

#define memx_buf_to_kernel(type, dst, src, err, label)			\
	do {								\
		type __v;						\
		memcpy(&__v, (const void *)(src), sizeof(type));	\
		__put_kernel_nofault((void *)(dst), &__v, type, label);	\
	} while (0)

#define memx_user_to_user(type, dst, src, err, label)			\
	do {								\
		type __v;						\
		unsafe_get_user(__v, (type __user *)(src), label);	\
		unsafe_put_user(__v, (type __user *)(dst), label);	\
	} while (0)

/* One step of @move at the width the kernel-side address @kaddr allows. */
#define memx_step(move, dst, src, kaddr, len, err, label)		\
	({								\
		size_t __w = memx_width(kaddr, len);			\
									\
		switch (__w) {						\
		case 8:							\
			move(u64, dst, src, err, label);		\
			break;						\
		case 4:							\
			move(u32, dst, src, err, label);		\
			break;						\
		case 2:							\
			move(u16, dst, src, err, label);		\
			break;						\
		default:						\
			move(u8, dst, src, err, label);			\
			break;						\
		}							\
		__w;							\
	})

/*
 * Move @len bytes, each step as wide as the kernel-side address allows;
 * @len ends as the bytes not moved.
 */
#define memx_copy_loop(move, dst, src, kaddr, len, err, label)		\
	while (len) {							\
		size_t __n = memx_step(move, dst, src, kaddr, len, err,	\
				       label);				\
									\
		dst += __n;						\
		src += __n;						\
		len -= __n;						\
	}

/* What the copy of @len bytes with @left not moved returns. */
static ssize_t memx_moved(size_t len, size_t left, int err)
{
	return left == len ? err : len - left;
}

ssize_t memx_read_kernel(void __user *dst, unsigned long src, size_t len)
{
	size_t left = len;
	int err = -EFAULT;

	if (!user_access_begin(dst, len))
		return -EFAULT;
	memx_copy_loop(memx_kernel_to_user, dst, src, src, left, err, fault);
fault:
	user_access_end();
	return memx_moved(len, left, err);
}

ssize_t memx_write_kernel(unsigned long dst, const void __user *src,
			  size_t len)
{
	size_t left = len;
	int err = -EFAULT;

	if (!user_access_begin(src, len))
		return -EFAULT;
	memx_copy_loop(memx_user_to_kernel, dst, src, dst, left, err, fault);
fault:
	user_access_end();
	return memx_moved(len, left, err);
}

/* The AIX user half: the caller's own memory, to or from its buffer. */
ssize_t memx_copy_user(void __user *dst, const void __user *src, size_t len)
{
	size_t left = len;
	int err = -EFAULT;

	if (!access_ok(src, len) || !user_access_begin(dst, len))
		return -EFAULT;
	memx_copy_loop(memx_user_to_user, dst, src, (unsigned long)src, left,
		       err, fault);
fault:
	user_access_end();
	return memx_moved(len, left, err);
}

/* Kernel memory to a kernel buffer, for ptrace access to a mapping. */
ssize_t memx_peek(void *dst, unsigned long src, size_t len)
{
	size_t left = len;
	int err = -EFAULT;

	memx_copy_loop(memx_kernel_to_buf, dst, src, src, left, err, fault);
fault:
	return memx_moved(len, left, err);
}

ssize_t memx_poke(unsigned long dst, const void *src, size_t len)
{
	size_t left = len;
	int err = -EFAULT;

	memx_copy_loop(memx_buf_to_kernel, dst, src, dst, left, err, fault);
fault:
	return memx_moved(len, left, err);
}
