// SPDX-License-Identifier: GPL-2.0
/*
 * memx: the fault-safe copies between the caller's buffer and memory.
 *
 * Every access is one naturally aligned load or store of 8, 4, 2 or 1 bytes,
 * the largest that fits at the current address: exact widths for I/O
 * registers, and 8-byte moves for RAM.  Data goes straight between the two
 * sides, without a bounce buffer, so kernel memory is never handed to
 * copy_to_user() (whose hardened-usercopy checks would BUG on slab objects
 * and kernel text).  Kernel-side faults are fixed up by
 * __get_kernel_nofault()/__put_kernel_nofault(), user-side ones by
 * unsafe_get_user()/unsafe_put_user(); each function returns the bytes it
 * could not move, as copy_to_user() does.
 */

#include <linux/uaccess.h>

#include "memx.h"

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

#define memx_kernel_to_user(type, dst, src, label)			\
	do {								\
		type __v;						\
		__get_kernel_nofault(&__v, (void *)(src), type, label);	\
		unsafe_put_user(__v, (type __user *)(dst), label);	\
	} while (0)

#define memx_user_to_kernel(type, dst, src, label)			\
	do {								\
		type __v;						\
		unsafe_get_user(__v, (type __user *)(src), label);	\
		__put_kernel_nofault((void *)(dst), &__v, type, label);	\
	} while (0)

#define memx_user_to_user(type, dst, src, label)			\
	do {								\
		type __v;						\
		unsafe_get_user(__v, (type __user *)(src), label);	\
		unsafe_put_user(__v, (type __user *)(dst), label);	\
	} while (0)

/* One step of @move at the width the kernel-side address @kaddr allows. */
#define memx_step(move, dst, src, kaddr, len, label)			\
	({								\
		size_t __w = memx_width(kaddr, len);			\
									\
		switch (__w) {						\
		case 8:							\
			move(u64, dst, src, label);			\
			break;						\
		case 4:							\
			move(u32, dst, src, label);			\
			break;						\
		case 2:							\
			move(u16, dst, src, label);			\
			break;						\
		default:						\
			move(u8, dst, src, label);			\
			break;						\
		}							\
		__w;							\
	})

/* Move @len bytes, each step as wide as the kernel-side address allows. */
#define memx_copy_loop(move, dst, src, kaddr, len, label)		\
	while (len) {							\
		size_t __n = memx_step(move, dst, src, kaddr, len, label); \
									\
		dst += __n;						\
		src += __n;						\
		len -= __n;						\
	}

size_t memx_read_kernel(void __user *dst, unsigned long src, size_t len)
{
	if (!user_access_begin(dst, len))
		return len;
	memx_copy_loop(memx_kernel_to_user, dst, src, src, len, fault);
fault:
	user_access_end();
	return len;
}

size_t memx_write_kernel(unsigned long dst, const void __user *src, size_t len)
{
	if (!user_access_begin(src, len))
		return len;
	memx_copy_loop(memx_user_to_kernel, dst, src, dst, len, fault);
fault:
	user_access_end();
	return len;
}

/* The AIX user half: the caller's own memory, to or from its buffer. */
size_t memx_copy_user(void __user *dst, const void __user *src, size_t len)
{
	if (!access_ok(src, len) || !user_access_begin(dst, len))
		return len;
	memx_copy_loop(memx_user_to_user, dst, src, (unsigned long)src, len,
		       fault);
fault:
	user_access_end();
	return len;
}
