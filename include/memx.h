/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memx: what the node code (mm_main.c) and the backends share.
 *
 * Layers call downward only: the node code calls the backends (mm_phys.c,
 * mm_kvirt.c), the backends call what classifies frames and kernel
 * addresses (mm_frame.c) and the copies (mm_access.c), mm_frame.c calls the
 * architecture's page-table answers (arch/<arch>/mm_arch.c).
 */
#ifndef _MEMX_H
#define _MEMX_H

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/types.h>

#include <uapi/memx.h>

/* A kernel mapping as the page tables give it. */
struct memx_kmap {
	unsigned long pfn;	/* frame of the page holding the address */
	unsigned int shift;	/* log2 of the mapping's page size */
	bool writable;		/* writable at every level */
	unsigned long cache;	/* memory-type bits, in the 4K-page entry's form */
};

/* The page behind an offset, as mmap and ptrace see it. */
struct memx_frame {
	unsigned long pfn;
	unsigned long kaddr;	/* where the kernel itself reaches it */
	unsigned long cache;	/* the kernel mapping's cache-type bits */
	bool io;
	bool writable;		/* the kernel's own mapping allows writes */
};

/* The System RAM range last seen, end inclusive: a per-call cache. */
struct memx_range {
	u64 start;
	u64 end;
	bool driver_managed;	/* IORESOURCE_SYSRAM_DRIVER_MANAGED */
};

#define MEMX_RANGE_NONE { .start = 1, .end = 0 }

/*
 * A backend moves bytes between a kernel bounce buffer and the memory at
 * @addr, never across a page boundary, right after its checks and with no
 * user access in between.  It returns the bytes moved (short when a fault
 * stopped it), 0 at the end of memory, or a negative errno with nothing
 * moved.  @ram caches the System RAM range across the pages of one call.
 */
struct memx_ops {
	ssize_t (*read)(u64 addr, void *buf, size_t len, bool io,
			struct memx_range *ram);
	ssize_t (*write)(u64 addr, const void *buf, size_t len, bool io,
			 struct memx_range *ram);
	/*
	 * After the same checks, the kernel address of the RAM at @addr,
	 * *@len clipped to it; 0 for anything else (an error, the end of
	 * memory, I/O memory, the caller's own), which read and write answer.
	 */
	unsigned long (*ram)(u64 addr, size_t *len, bool write,
			     struct memx_range *ram);
	/* SEEK_END, SEEK_DATA, SEEK_HOLE: *pos from offset to position */
	int (*seek)(u64 *pos, int whence);
	/*
	 * The frame mmap maps at @addr, after read()'s checks; @ram caches
	 * the System RAM range across the pages of one call.
	 */
	int (*frame)(u64 addr, bool io, struct memx_frame *frame,
		     struct memx_range *ram);
	/* MEMX_IOC_VTOP; NULL: ENOTTY */
	int (*vtop)(struct memx_vtop *vtop);
	/* MEMX_IOC_CPU_REGS of an existing CPU; NULL: ENOTTY */
	int (*cpu_regs)(struct memx_cpu_regs *r);
	/* The caller's own memory, which writes neither log nor taint. */
	bool (*is_user)(u64 addr);
	/*
	 * mm_revoke.c: any offset can map any frame (kernel virtual addresses),
	 * so a revocation zaps every mapping; otherwise a frame's offset is its
	 * number
	 */
	bool aliases;
};

struct memx_node {
	struct miscdevice misc;
	const struct memx_ops *ops;
	bool io;		/* I/O memory is accessed, not refused */
	struct address_space *mapping;	/* shared by the node's files */
};

/* mm_main.c */
void memx_log_write(const struct memx_node *node, const char *what,
		    u64 addr, u64 len);

/* mm_phys.c */
extern const struct memx_ops memx_phys_ops;

/* mm_kvirt.c */
extern const struct memx_ops memx_kvirt_ops;

/* mm_frame.c: System RAM, and what a frame and a kernel address are */
bool memx_ram_next(u64 addr, struct memx_range *r);
bool memx_ram_find(u64 addr, struct memx_range *ram);
u64 memx_ram_end(void);
bool memx_pfn_is_ram(unsigned long pfn, struct memx_range *ram);
int memx_ram_page_check(unsigned long pfn);
int memx_kaddr_kind(unsigned long addr, bool write, struct memx_kmap *map,
		    struct memx_range *ram);
int memx_kaddr_access(unsigned long addr, bool write, struct memx_range *ram);

/* arch/<arch>/mm_arch.c: the architecture's answers */
bool memx_arch_is_user(u64 addr);
int memx_kmap_lookup(unsigned long addr, struct memx_kmap *map);

/* arch/x86/mm_cpu.c: MEMX_IOC_CPU_REGS, through an NMI handler */
#ifdef CONFIG_X86
int memx_cpu_regs(struct memx_cpu_regs *r);
int memx_cpu_init(void);
void memx_cpu_exit(void);
#define MEMX_CPU_REGS	memx_cpu_regs
#else
#define MEMX_CPU_REGS	NULL
static inline int memx_cpu_init(void) { return 0; }
static inline void memx_cpu_exit(void) { }
#endif

/*
 * mm_access.c: each returns the bytes moved, or a negative errno when the
 * first access failed (-EFAULT, or -EIO for a machine check).
 */
ssize_t memx_to_user(void __user *dst, const void *src, size_t len);
ssize_t memx_from_user(void *dst, const void __user *src, size_t len);
ssize_t memx_peek(void *dst, unsigned long src, size_t len);
ssize_t memx_peek_ram(void *dst, unsigned long src, size_t len);
ssize_t memx_poke(unsigned long dst, const void *src, size_t len);
/*
 * The straight copies of RAM between memory and the caller's buffer:
 * x86-64's.  On arm64 every unsafe_put_user() is a whole __put_user(),
 * pointer checks included, and the straight copy measured slower than the
 * bounce page (docs/performance.md), so arm64 keeps the bounce page.
 */
#define MEMX_STRAIGHT	IS_ENABLED(CONFIG_X86_64)
#if MEMX_STRAIGHT
ssize_t memx_peek_user(void __user *dst, unsigned long src, size_t len);
ssize_t memx_poke_user(unsigned long dst, const void __user *src, size_t len);
#endif

/* mm_mmap.c */
int memx_mmap(struct file *file, struct vm_area_struct *vma);

/* mm_revoke.c: one address_space a backend, zapped when RAM goes offline */
int memx_revoke_init(struct memx_node *nodes, int n);
void memx_revoke_exit(void);
void memx_revoke_lock(void);
void memx_revoke_unlock(void);

#endif /* _MEMX_H */
