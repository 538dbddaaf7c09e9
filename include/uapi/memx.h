/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * memx: user-space interface of /dev/memx, /dev/kmemx and /dev/allkmemx.
 *
 * Plain C with fixed-width types, so it serves C programs and Python's
 * fcntl/ctypes alike.
 */
#ifndef _UAPI_MEMX_H
#define _UAPI_MEMX_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* Positioned transfer: read(2)/write(2) at @addr, file position untouched. */
struct memx_xfer {
	__u64 addr;	/* in: physical or kernel virtual address, by node */
	__u64 buf;	/* in: user buffer address */
	__u64 len;	/* in: bytes asked for; out: bytes transferred */
};

/* Kernel virtual to physical address, on kmemx and allkmemx. */
struct memx_vtop {
	__u64 vaddr;	/* in: kernel virtual address */
	__u64 paddr;	/* out: physical address of vaddr (page offset kept) */
	__u32 flags;	/* out: MEMX_VTOP_* */
	__u32 shift;	/* out: log2 of the mapping's page size */
};

/*
 * The registers of an online CPU as an interrupt found them there, on
 * kmemx and allkmemx; the caller's own CPU gives the caller's state inside
 * the ioctl.
 */
struct memx_cpu_regs {
	__u32 cpu;	/* in: the CPU number */
	__u32 flags;	/* out: MEMX_CPU_* */
	__s32 pid;	/* out: the thread running there, 0 for idle */
	__u32 pad;
	__u64 regs[34];	/* out: in elf_gregset_t order, see below */
};

#define MEMX_CPU_USER		0x1	/* it was running in user mode */

/*
 * regs[] is an ELF core's elf_gregset_t: on x86-64 struct user_regs_struct
 * (27 used, the rest 0), on arm64 x0-x30, sp, pc, pstate.
 */

#define MEMX_VTOP_RAM		0x1	/* the frame is System RAM, else I/O */
#define MEMX_VTOP_WRITABLE	0x2	/* the kernel mapping allows writes */

#define MEMX_IOC_VTOP		_IOWR('x', 0x01, struct memx_vtop)
#define MEMX_IOC_READ		_IOWR('x', 0x02, struct memx_xfer)
#define MEMX_IOC_WRITE		_IOWR('x', 0x03, struct memx_xfer)
#define MEMX_IOC_CPU_REGS	_IOWR('x', 0x04, struct memx_cpu_regs)

#endif /* _UAPI_MEMX_H */
