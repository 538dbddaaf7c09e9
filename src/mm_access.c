// SPDX-License-Identifier: GPL-2.0
/*
 * memx: the fault-safe copies between a kernel buffer and memory.
 *
 * Every access is one naturally aligned load or store of 8, 4, 2 or 1 bytes,
 * the largest that fits at the current address: exact widths for I/O
 * registers, and 8-byte moves for RAM.  The other side is a bounce buffer
 * (mm_main.c's page, or ptrace's), or on x86-64 for RAM the caller's
 * buffer with page faults disabled there too: a user access can fault and
 * block for ever (userfaultfd, FUSE), and what was checked must not wait
 * on it, so a user fault hands the rest to the bounce page.  Kernel memory
 * is never handed to copy_to_user() (whose hardened-usercopy checks would
 * BUG on slab objects and kernel text).  Loads go through the
 * architecture's memx_arch_load(), which survives a page fault (and on
 * x86-64 a recoverable machine check, the copy_mc_*() guarantee kept at
 * exact widths), stores through __put_kernel_nofault(), both with page
 * faults disabled: a fault is an error, never a sleep.  Each function
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

/*
 * memx_copy_loop() for RAM, where any width will do: whole 64-byte lines of eight
 * 8-byte moves (cache lines: a line a page fault or a machine check
 * stops at is the line that failed, so the count stays exact), and single
 * steps up to the first line and after the last.
 */
#define memx_copy_lines(move, move_line, dst, src, kaddr, len, err, label) \
	while (len) {							\
		size_t __n;						\
									\
		while (len >= 64 && !((kaddr) & 63)) {			\
			move_line(dst, src, err, label);		\
			dst += 64;					\
			src += 64;					\
			len -= 64;					\
		}							\
		if (!len)						\
			break;						\
		__n = memx_step(move, dst, src, kaddr, len, err, label); \
		dst += __n;						\
		src += __n;						\
		len -= __n;						\
	}

/* A line into the bounce buffer, 8 bytes a move. */
#define memx_line_to_buf(dst, src, err, label)				\
	do {								\
		memx_kernel_to_buf(u64, dst, src, err, label);		\
		memx_kernel_to_buf(u64, dst + 8, src + 8, err, label);	\
		memx_kernel_to_buf(u64, dst + 16, src + 16, err, label); \
		memx_kernel_to_buf(u64, dst + 24, src + 24, err, label); \
		memx_kernel_to_buf(u64, dst + 32, src + 32, err, label); \
		memx_kernel_to_buf(u64, dst + 40, src + 40, err, label); \
		memx_kernel_to_buf(u64, dst + 48, src + 48, err, label); \
		memx_kernel_to_buf(u64, dst + 56, src + 56, err, label); \
	} while (0)

/* What the copy of @len bytes with @left not moved returns. */
static ssize_t memx_moved(size_t len, size_t left, int err)
{
	return left == len ? err : len - left;
}

/*
 * The bounce buffer to the caller (plain memory on both sides): a fault
 * there may wait (userfaultfd), with nothing checked held.  The
 * architecture's own copy goes first where it is fast (memx_arch_to_user()),
 * then 8 bytes a store whatever the alignment, which also makes the count
 * exact after a fault.
 */
ssize_t memx_to_user(void __user *dst, const void *src, size_t len)
{
	size_t done = memx_arch_to_user(dst, src, len), left = len - done;
	u64 v;

	dst += done;
	src += done;
	if (!user_access_begin(dst, left))
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
	size_t done = memx_arch_from_user(dst, src, len), left = len - done;
	u64 v;

	dst += done;
	src += done;
	if (!user_access_begin(src, left))
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

/* memx_peek() of RAM, a line at a time. */
ssize_t memx_peek_ram(void *dst, unsigned long src, size_t len)
{
	size_t left = len;
	int err = -EFAULT;

	pagefault_disable();
	memx_copy_lines(memx_kernel_to_buf, memx_line_to_buf, dst, src, src,
			left, err, fault);
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

#if MEMX_STRAIGHT
/*
 * The straight copies, for RAM only (any width will do): between kernel
 * memory and the caller's buffer in one pass, with page faults disabled on
 * both sides.  A user access that faults leaves through the caller's
 * user_fault label: that buffer may have to wait (userfaultfd, FUSE), and
 * it does so through the bounce page, after a new check.
 */
#define memx_kernel_to_user(type, dst, src, err, label)			\
	do {								\
		type __v;						\
		memx_arch_load(type, __v, src, err, label);		\
		unsafe_put_user(__v, (type __user *)(dst), user_fault);	\
	} while (0)

/* One 8-byte store of a line's word @i to the caller. */
#define memx_put_word(l, dst, i)					\
	unsafe_put_user(l[i], (u64 __user *)(dst) + (i), user_fault)

/* A line of the above, its eight user stores after its eight loads. */
#define memx_line_to_user(dst, src, err, label)				\
	do {								\
		u64 __l[8];						\
									\
		memx_arch_load_line(__l, src, err, label);		\
		memx_put_word(__l, dst, 0);				\
		memx_put_word(__l, dst, 1);				\
		memx_put_word(__l, dst, 2);				\
		memx_put_word(__l, dst, 3);				\
		memx_put_word(__l, dst, 4);				\
		memx_put_word(__l, dst, 5);				\
		memx_put_word(__l, dst, 6);				\
		memx_put_word(__l, dst, 7);				\
	} while (0)

#define memx_user_to_kernel(type, dst, src, err, label)			\
	do {								\
		type __v;						\
		unsafe_get_user(__v, (const type __user *)(src), user_fault); \
		__put_kernel_nofault((void *)(dst), &__v, type, label);	\
	} while (0)

#define memx_line_to_kernel(dst, src, err, label)			\
	do {								\
		memx_user_to_kernel(u64, dst, src, err, label);		\
		memx_user_to_kernel(u64, dst + 8, src + 8, err, label);	\
		memx_user_to_kernel(u64, dst + 16, src + 16, err, label); \
		memx_user_to_kernel(u64, dst + 24, src + 24, err, label); \
		memx_user_to_kernel(u64, dst + 32, src + 32, err, label); \
		memx_user_to_kernel(u64, dst + 40, src + 40, err, label); \
		memx_user_to_kernel(u64, dst + 48, src + 48, err, label); \
		memx_user_to_kernel(u64, dst + 56, src + 56, err, label); \
	} while (0)

/*
 * Both return the bytes moved up to the first fault; when the first access
 * faulted, the error of a kernel-side fault, or 0 for a user-side one (the
 * bounce page takes the rest).
 */
ssize_t memx_peek_user(void __user *dst, unsigned long src, size_t len)
{
	size_t left = len;
	int err = -EFAULT;

	pagefault_disable();
	if (!user_access_begin(dst, len)) {
		err = 0;
		goto out;
	}
	memx_copy_lines(memx_kernel_to_user, memx_line_to_user, dst, src, src,
			left, err, fault);
user_fault:
	err = 0;
fault:
	user_access_end();
out:
	pagefault_enable();
	return memx_moved(len, left, err);
}

ssize_t memx_poke_user(unsigned long dst, const void __user *src, size_t len)
{
	size_t left = len;
	int err = -EFAULT;

	pagefault_disable();
	if (!user_access_begin(src, len)) {
		err = 0;
		goto out;
	}
	memx_copy_lines(memx_user_to_kernel, memx_line_to_kernel, dst, src, dst,
			left, err, fault);
user_fault:
	err = 0;
fault:
	user_access_end();
out:
	pagefault_enable();
	return memx_moved(len, left, err);
}
#endif /* MEMX_STRAIGHT */
