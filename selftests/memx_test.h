/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by memx's selftests.  Every "truth" here comes from outside
 * memx: /proc/kallsyms, /proc/kcore's program headers, /proc/iomem,
 * /proc/self/pagemap and the test helper module's debugfs files.
 */
#ifndef MEMX_TEST_H
#define MEMX_TEST_H

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "uapi/memx.h"

/* The kernel's page size (4K on x86-64, 4K or 16K on arm64) and a bound. */
#define PAGE		((unsigned long)getpagesize())
#define PAGE_MAX	65536UL
#define KIMAGE_MAX	(512ULL << 20)	/* a kernel image is smaller */
#define HELPER		"/sys/kernel/debug/memx_helper/"
#define WRITABLE	"/sys/module/memx/parameters/writable"

/* Address of a symbol in /proc/kallsyms, 0 when absent. */
static inline uint64_t ksym(const char *name)
{
	char line[512], sym[256];
	unsigned long long addr;
	uint64_t found = 0;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %*s %255s", &addr, sym) == 2 &&
		    !strcmp(sym, name)) {
			found = addr;
			break;
		}
	}
	fclose(f);
	return found;
}

/* A number from a file (any base strtoull reads), or @dflt. */
static inline uint64_t read_num(const char *path, uint64_t dflt)
{
	char buf[64] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return dflt;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return buf[0] ? strtoull(buf, NULL, 0) : dflt;
}

static inline int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* A whole small file into @buf, NUL-terminated; returns its length or -1. */
static inline ssize_t read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n, len = 0;

	if (fd < 0)
		return -1;
	while (len < (ssize_t)size - 1 &&
	       (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = 0;
	return len;
}

/*
 * The first of /proc/kcore's PT_LOAD program headers that holds kernel
 * address @va into @ph, with a physical address when @with_paddr (the
 * direct map and the kernel image have one); 0 when found.
 */
static inline int kcore_segment(uint64_t va, int with_paddr, Elf64_Phdr *ph)
{
	Elf64_Ehdr eh;
	int fd, i, ret = -1;

	fd = open("/proc/kcore", O_RDONLY);
	if (fd < 0)
		return -1;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh))
		eh.e_phnum = 0;
	for (i = 0; i < eh.e_phnum && ret; i++) {
		if (pread(fd, ph, sizeof(*ph), eh.e_phoff + i * sizeof(*ph)) !=
		    sizeof(*ph))
			break;
		if (ph->p_type == PT_LOAD && va - ph->p_vaddr < ph->p_memsz &&
		    (!with_paddr || ph->p_paddr != ~(Elf64_Addr)0))
			ret = 0;
	}
	close(fd);
	return ret;
}

/*
 * /proc/kcore's program headers map kernel virtual to physical addresses:
 * p_paddr is set for the direct map and for the kernel image.
 * to_phys: @in virtual, else @in physical (direct-map alias wanted).
 */
static inline int kcore_xlate(uint64_t in, uint64_t *out, int to_phys)
{
	uint64_t text = ksym("_stext");
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd, i, ret = -1;

	if (to_phys) {
		if (kcore_segment(in, 1, &ph))
			return -1;
		*out = in - ph.p_vaddr + ph.p_paddr;
		return 0;
	}
	fd = open("/proc/kcore", O_RDONLY);
	if (fd < 0)
		return -1;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh))
		goto out;
	for (i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)) !=
		    sizeof(ph))
			goto out;
		if (ph.p_type != PT_LOAD || ph.p_paddr == ~(Elf64_Addr)0)
			continue;
		/* The kernel image also has p_paddr: skip it for aliases. */
		if (in >= ph.p_paddr && in - ph.p_paddr < ph.p_memsz &&
		    !(text >= ph.p_vaddr && text - ph.p_vaddr < ph.p_memsz)) {
			*out = in - ph.p_paddr + ph.p_vaddr;
			ret = 0;
			break;
		}
	}
out:
	close(fd);
	return ret;
}

/*
 * The kernel image, _text to _end, as /proc/kcore's program header for it
 * gives it (the one with a physical address holding _stext): arm64's 6.1
 * lists neither symbol in /proc/kallsyms.
 */
static inline int kcore_image(uint64_t *start, uint64_t *end)
{
	Elf64_Phdr ph;

	if (kcore_segment(ksym("_stext"), 1, &ph))
		return -1;
	*start = ph.p_vaddr;
	*end = ph.p_vaddr + ph.p_memsz;
	return 0;
}

/* Where kernel address @va lies in /proc/kcore's file, or 0. */
static inline uint64_t kcore_file_offset(uint64_t va)
{
	Elf64_Phdr ph;

	return kcore_segment(va, 0, &ph) ? 0 : ph.p_offset + va - ph.p_vaddr;
}

/* A value read straight from /proc/kcore at kernel address @va. */
static inline int kcore_read(uint64_t va, void *buf, size_t len)
{
	uint64_t off = kcore_file_offset(va);
	int fd, ret = -1;

	fd = open("/proc/kcore", O_RDONLY);
	if (fd < 0)
		return -1;
	if (off && pread(fd, buf, len, off) == (ssize_t)len)
		ret = 0;
	close(fd);
	return ret;
}

static inline int virt_to_phys_kcore(uint64_t va, uint64_t *pa)
{
	return kcore_xlate(va, pa, 1);
}

static inline int phys_to_direct_map(uint64_t pa, uint64_t *va)
{
	return kcore_xlate(pa, va, 0);
}

/*
 * Physical address @pa is in KFENCE's pool, whose guard pages are not
 * mapped (memblock puts it at the top of RAM on arm64).  The pool is
 * (CONFIG_KFENCE_NUM_OBJECTS + 1) * 2 pages; Debian builds 255 objects.
 */
static inline int kfence_holds(uint64_t pa)
{
	uint64_t sym = ksym("__kfence_pool"), pool = 0, pool_pa;

	if (!sym || kcore_read(sym, &pool, 8) || !pool ||
	    virt_to_phys_kcore(pool, &pool_pa))
		return 0;
	return pa - pool_pa < (255 + 1) * 2 * PAGE;
}

/*
 * The kernel address of linux_banner: from /proc/kallsyms, or, when the
 * kernel lists no data symbols there (arm64's 6.1 builds without
 * KALLSYMS_ALL), where /proc/kcore's kernel image segment holds the bytes
 * of /proc/version, which the kernel prints from the same strings.  The
 * search is kept in /tmp for the next test; 0 when neither finds it.
 */
static inline uint64_t kbanner(void)
{
	static const char cached[] = "/tmp/memx_test.banner";
	uint64_t text = ksym("_stext"), va = ksym("linux_banner");
	size_t chunk = 1 << 20, len;
	char version[512], *buf;
	Elf64_Phdr ph;
	uint64_t at;
	FILE *f;
	int fd;

	if (!va && text)
		va = read_num(cached, 0);
	if (va || !text)
		return va;
	len = read_file("/proc/version", version, sizeof(version));
	fd = open("/proc/kcore", O_RDONLY);
	buf = malloc(chunk + sizeof(version));
	if ((ssize_t)len <= 0 || fd < 0 || !buf || kcore_segment(text, 0, &ph))
		goto out;
	/* From _stext on, in chunks overlapping by the string. */
	for (at = text - ph.p_vaddr; at < ph.p_memsz && !va &&
	     at < text - ph.p_vaddr + KIMAGE_MAX; at += chunk) {
		ssize_t n = pread(fd, buf, chunk + len, ph.p_offset + at);
		char *hit = n > 0 ? memmem(buf, n, version, len) : NULL;

		if (hit)
			va = ph.p_vaddr + at + (hit - buf);
		if (n <= 0)
			break;
	}
	f = va ? fopen(cached, "w") : NULL;
	if (f) {
		fprintf(f, "%#llx\n", (unsigned long long)va);
		fclose(f);
	}
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return va;
}

/*
 * Run "memx ARGS REDIR" (MEMX_TOOL names the binary, default /tests/memx;
 * REDIR picks what reaches @out: "2>&1" both streams, "2>/dev/null"
 * standard output, "2>&1 >/dev/null" standard error); its exit code.
 */
static inline int memx_run(const char *args, const char *redir, char *out,
			   size_t size)
{
	char cmd[512];
	size_t n;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "%s %s %s",
		 getenv("MEMX_TOOL") ? : "/tests/memx", args, redir);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	n = fread(out, 1, size - 1, p);
	out[n] = 0;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The second bitmap's bit for frame @pfn in kdump file @path; -1 if none. */
static inline int kdump_holds(const char *path, uint64_t pfn)
{
	int32_t block, sub_blocks;
	uint32_t bitmap_blocks;
	uint8_t byte;
	int fd = open(path, O_RDONLY), ret = -1;

	if (fd < 0)
		return -1;
	if (pread(fd, &block, 4, 428) == 4 && pread(fd, &sub_blocks, 4, 432) == 4 &&
	    pread(fd, &bitmap_blocks, 4, 436) == 4 &&
	    pread(fd, &byte, 1, (1 + sub_blocks + bitmap_blocks / 2) *
		  (uint64_t)block + pfn / 8) == 1)
		ret = byte >> (pfn % 8) & 1;
	close(fd);
	return ret;
}

/* Physical address of a resident page of ours, from /proc/self/pagemap. */
static inline uint64_t user_phys(const void *p)
{
	uint64_t ent = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &ent, 8, (uintptr_t)p / PAGE * 8) != 8)
		ent = 0;
	close(fd);
	if (!(ent >> 63) || !(ent & ((1ULL << 55) - 1)))
		return 0;
	return (ent & ((1ULL << 55) - 1)) * PAGE + (uintptr_t)p % PAGE;
}

/* Open a node read-write with `writable` switched on for the open only. */
static inline int open_rw(const char *path)
{
	char was[4] = "N";
	int fd;

	read_file(WRITABLE, was, sizeof(was));
	if (write_str(WRITABLE, "Y"))
		return -1;
	fd = open(path, O_RDWR);
	write_str(WRITABLE, was);
	return fd;
}

/* read(2) at any 64-bit offset, through lseek (pread refuses >= 2^63). */
static inline ssize_t read_at(int fd, uint64_t addr, void *buf, size_t len)
{
	if (lseek(fd, (off_t)addr, SEEK_SET) == (off_t)-1)
		return -1;
	return read(fd, buf, len);
}

static inline ssize_t write_at(int fd, uint64_t addr, const void *buf,
			       size_t len)
{
	if (lseek(fd, (off_t)addr, SEEK_SET) == (off_t)-1)
		return -1;
	return write(fd, buf, len);
}

/* MEMX_IOC_READ / MEMX_IOC_WRITE; returns bytes or -1 with errno. */
static inline ssize_t ioc_xfer(int fd, unsigned long cmd, uint64_t addr,
			       void *buf, size_t len)
{
	struct memx_xfer x = {
		.addr = addr, .buf = (uintptr_t)buf, .len = len,
	};

	if (ioctl(fd, cmd, &x))
		return -1;
	return x.len;
}

/* System RAM ranges from /proc/iomem (top level), end exclusive. */
struct ram_range {
	uint64_t start, end;
};

static inline int iomem_ram(struct ram_range *r, int max)
{
	char line[256];
	unsigned long long s, e;
	int n = 0;
	FILE *f = fopen("/proc/iomem", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f) && n < max) {
		if (line[0] == ' ' || !strstr(line, ": System RAM"))
			continue;
		if (sscanf(line, "%llx-%llx", &s, &e) != 2)
			continue;
		if (n && r[n - 1].end == s) {	/* adjacent: one range */
			r[n - 1].end = e + 1;
			continue;
		}
		r[n].start = s;
		r[n].end = e + 1;
		n++;
	}
	fclose(f);
	return n;
}

/* The lines of the kernel log that contain @needle, or -1. */
static inline int dmesg_count(const char *needle)
{
	char line[1024];
	int found = 0;
	FILE *f = popen("dmesg", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		found += !!strstr(line, needle);
	pclose(f);
	return found;
}

/* 1 when a line of the kernel log contains @needle, 0 when none does. */
static inline int dmesg_has(const char *needle)
{
	int n = dmesg_count(needle);

	return n < 0 ? n : n > 0;
}

/* memx loaded again from MEMX_KO with MEMX_PARAMS, as the VM's init did. */
static inline int load_memx(void)
{
	const char *ko = getenv("MEMX_KO");
	const char *params = getenv("MEMX_PARAMS");
	int fd, ret;

	if (!ko)
		return -1;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0);
	close(fd);
	return ret;
}

/* Prints the edu device's sysfs resource lines: BAR 0's physical start first. */
#define EDU_RESOURCE \
	"cat $(grep -l 0x11e8 /sys/bus/pci/devices/*/device | sed s/device$/resource/)"

/* The QEMU edu device's BAR 0 in the kernel, as the helper module mapped it. */
static inline uint64_t edu_mmio(void)
{
	return read_num(HELPER "edu_mmio", 0);
}

/*
 * The body of a child that poisons a page of its own: it writes the page's
 * physical address to @fd, then exits 0 when MADV_HWPOISON worked (or dies
 * of the SIGBUS newer kernels send the caller), 1 when it failed.
 */
static inline void poison_own_page(int fd)
{
	char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t pa;

	memset(p, 0x42, PAGE);
	pa = user_phys(p);
	if (write(fd, &pa, sizeof(pa)) != sizeof(pa))
		_exit(2);
	_exit(madvise(p, PAGE, MADV_HWPOISON) ? 1 : 0);
}

/*
 * Unpoison the frame of physical address @pa where the injector is there
 * (debugfs hwpoison/): a block holding a poisoned page cannot be onlined
 * again, which the offline tests would trip over.
 */
static inline void unpoison_pa(uint64_t pa)
{
	char pfn[32];

	snprintf(pfn, sizeof(pfn), "%#llx", (unsigned long long)(pa / PAGE));
	write_str("/sys/kernel/debug/hwpoison/unpoison-pfn", pfn);
}

/* Free pages are out of the direct map (debug_pagealloc=on): 1, else 0. */
static inline int pagealloc_debugged(void)
{
	char cmdline[4096];

	return read_file("/proc/cmdline", cmdline, sizeof(cmdline)) > 0 &&
	       strstr(cmdline, "debug_pagealloc=on");
}

/* Memory block size (hex without a prefix in sysfs), 0 if unknown. */
static inline uint64_t memory_block_size(void)
{
	char size[32];

	if (read_file("/sys/devices/system/memory/block_size_bytes", size,
		      sizeof(size)) <= 0)
		return 0;
	return strtoull(size, NULL, 16);
}

/* Memory block @blk's sysfs state file into @path. */
static inline void memory_block_state(char *path, size_t size, int blk)
{
	snprintf(path, size, "/sys/devices/system/memory/memory%d/state", blk);
}

/* Whether the machine has an edu device (QEMU's -device edu) at all. */
static inline int edu_present(void)
{
	return !system("grep -qx 0x11e8 /sys/bus/pci/devices/*/device");
}

#endif /* MEMX_TEST_H */
