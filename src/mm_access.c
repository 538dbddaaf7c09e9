// SPDX-License-Identifier: GPL-2.0
/*
 * memx: the fault-safe copies between a kernel buffer and memory.
 *
 * Every access is one naturally aligned load or store of 8, 4, 2 or 1 bytes,
 * the largest that fits at the current address: exact widths for I/O
 * registers, and 8-byte moves for RAM.  The other side is a bounce buffer
 * (mm_main.c's page, or ptrace's), never user memory: a user access can
 * fault and block for ever (userfaultfd, FUSE), and what was checked must
 * not wait on it.  Kernel memory is never handed to copy_to_user() either
 * (whose hardened-usercopy checks would BUG on slab objects and kernel
 * text).  Loads go through the architecture's memx_arch_load(), which
 * survives a page fault (and on x86-64 a recoverable machine check, the
 * copy_mc_*() guarantee kept at exact widths), stores through
 * __put_kernel_nofault(), both with page faults disabled: a fault is an
 * error, never a sleep.  Each function returns the bytes moved, or the
 * error of the first access.
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

#define memx_kernel_to_buf(type, dst, src, err, label)			\
	do {								\
		type __v;						\
		memx_arch_load(type, __v, src, err, label);			\
		memcpy((void *)(dst), &__v, sizeof(type));		\
	} while (0)

#define memx_buf_to_kernel(type, dst, src, err, label)			\
	do {								\
		type __v;						\
		memcpy(&__v, (const void *)(src), sizeof(type));	\
		__put_kernel_nofault((void *)(dst), &__v, type, label);	\
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
 * Move @len bytes, each step as wide as the kernel-side address allows
 * (a run of aligned 8-byte steps without choosing each time); @len ends as
 * the bytes not moved.
 */
#define memx_copy_loop(move, dst, src, kaddr, len, err, label)		\
	while (len) {							\
		size_t __n;						\
									\
		while (len >= 8 && !((kaddr) & 7)) {			\
			move(u64, dst, src, err, label);		\
			dst += 8;					\
			src += 8;					\
			len -= 8;					\
		}							\
		if (!len)						\
			break;						\
		__n = memx_step(move, dst, src, kaddr, len, err, label); \
		dst += __n;						\
		src += __n;						\
		len -= __n;						\
	}

/* What the copy of @len bytes with @left not moved returns. */
static ssize_t memx_moved(size_t len, size_t left, int err)
{
	return left == len ? err : len - left;
}

/*
 * The bounce buffer to the caller, 8 bytes a store whatever the alignment
 * (plain memory on both sides): a fault there may wait (userfaultfd), with
 * nothing checked held.  copy_to_user() would do as well on hardware; its
 * rep movsb is a byte at a time under QEMU's TCG, where the tests run.
 */
ssize_t memx_to_user(void __user *dst, const void *src, size_t len)
{
	size_t left = len;
	u64 v;

	if (!user_access_begin(dst, len))
		return -EFAULT;
	for (; left >= 8; left -= 8, dst += 8, src += 8) {
		memcpy(&v, src, 8);
		unsafe_put_user(v, (u64 __user *)dst, fault);
	}
	for (; left; left--, dst++, src++)
		unsafe_put_user(*(const u8 *)src, (u8 __user *)dst, fault);
fault:
	user_access_end();
	return memx_moved(len, left, -EFAULT);
}

/* The caller's bytes into the bounce buffer, the same way. */
ssize_t memx_from_user(void *dst, const void __user *src, size_t len)
{
	size_t left = len;
	u64 v;

	if (!user_access_begin(src, len))
		return -EFAULT;
	for (; left >= 8; left -= 8, dst += 8, src += 8) {
		unsafe_get_user(v, (const u64 __user *)src, fault);
		memcpy(dst, &v, 8);
	}
	for (; left; left--, dst++, src++)
		unsafe_get_user(*(u8 *)dst, (const u8 __user *)src, fault);
fault:
	user_access_end();
	return memx_moved(len, left, -EFAULT);
}

ssize_t memx_peek(void *dst, unsigned long src, size_t len)
{
	size_t left = len;
	int err = -EFAULT;

	pagefault_disable();
	memx_copy_loop(memx_kernel_to_buf, dst, src, src, left, err, fault);
fault:
	pagefault_enable();
	return memx_moved(len, left, err);
}

ssize_t memx_poke(unsigned long dst, const void *src, size_t len)
{
	size_t left = len;
	int err = -EFAULT;

	pagefault_disable();
	memx_copy_loop(memx_buf_to_kernel, dst, src, dst, left, err, fault);
fault:
	pagefault_enable();
	return memx_moved(len, left, err);
}
