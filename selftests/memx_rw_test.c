// SPDX-License-Identifier: GPL-2.0
/*
 * memx read, write, lseek and the positioned-transfer ioctls, row by row of
 * docs/spec.md, each checked against a source outside memx.
 */
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "memx_test.h"

#define TAINT_USER	64UL	/* bit 6 of /proc/sys/kernel/tainted */
#define NONCANONICAL	0x8000000000000000ULL

FIXTURE(nodes) {
	int mem, kmem, allkmem;
	char version[512];
	size_t version_len;
};

FIXTURE_SETUP(nodes)
{
	self->mem = open("/dev/memx", O_RDONLY);
	self->kmem = open("/dev/kmemx", O_RDONLY);
	self->allkmem = open("/dev/allkmemx", O_RDONLY);
	if (self->mem < 0 || self->kmem < 0 || self->allkmem < 0)
		SKIP(return, "memx nodes not available: %s", strerror(errno));
	ASSERT_LT(0, read_file("/proc/version", self->version,
			       sizeof(self->version)));
	self->version_len = strlen(self->version);
}

FIXTURE_TEARDOWN(nodes)
{
	if (self->mem >= 0)
		close(self->mem);
	if (self->kmem >= 0)
		close(self->kmem);
	if (self->allkmem >= 0)
		close(self->allkmem);
}

/* linux_banner through kmemx and allkmemx equals /proc/version. */
TEST_F(nodes, banner_through_kmemx_and_allkmemx)
{
	uint64_t banner = kbanner();
	char buf[512];

	ASSERT_NE(0, banner);
	ASSERT_EQ(self->version_len,
		  read_at(self->kmem, banner, buf, self->version_len));
	EXPECT_EQ(0, memcmp(buf, self->version, self->version_len));
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(self->version_len,
		  read_at(self->allkmem, banner, buf, self->version_len));
	EXPECT_EQ(0, memcmp(buf, self->version, self->version_len));
	/* read() advanced the position by what it returned. */
	EXPECT_EQ((off_t)(banner + self->version_len),
		  lseek(self->allkmem, 0, SEEK_CUR));
}

/* The same bytes at the physical address /proc/kcore gives for it. */
TEST_F(nodes, banner_through_memx_at_kcore_physical_address)
{
	uint64_t pa, banner = kbanner();
	char buf[512];

	ASSERT_EQ(0, virt_to_phys_kcore(banner, &pa));
	ASSERT_EQ(self->version_len,
		  pread(self->mem, buf, self->version_len, pa));
	EXPECT_EQ(0, memcmp(buf, self->version, self->version_len));
}

/* MEMX_IOC_READ reads at an explicit address and leaves f_pos alone. */
TEST_F(nodes, ioctl_read_leaves_position)
{
	uint64_t banner = kbanner();
	char buf[512];

	ASSERT_EQ(4096, lseek(self->kmem, 4096, SEEK_SET));
	ASSERT_EQ(self->version_len,
		  ioc_xfer(self->kmem, MEMX_IOC_READ, banner, buf,
			   self->version_len));
	EXPECT_EQ(0, memcmp(buf, self->version, self->version_len));
	EXPECT_EQ(4096, lseek(self->kmem, 0, SEEK_CUR));
	/* Errors are read()'s: the guard hole is EFAULT. */
	EXPECT_EQ(-1, ioc_xfer(self->kmem, MEMX_IOC_READ, NONCANONICAL, buf, 8));
	EXPECT_EQ(EFAULT, errno);
	/* Writing needs a descriptor open for writing. */
	EXPECT_EQ(-1, ioc_xfer(self->kmem, MEMX_IOC_WRITE, banner, buf, 8));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, ioctl(self->kmem, _IO('x', 0x7f)));
	EXPECT_EQ(ENOTTY, errno);
}

/* pread cannot carry offsets of 2^63 and above: the VFS says EINVAL. */
TEST_F(nodes, pread_of_kernel_address_is_einval)
{
	char c;

	EXPECT_EQ(-1, pread(self->kmem, &c, 1, (off_t)kbanner()));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(nodes, lseek_any_position_but_the_last_4095)
{
	int *fd, fds[] = { self->mem, self->kmem, self->allkmem };

	for (fd = fds; fd < fds + 3; fd++) {
		EXPECT_EQ((off_t)0xfffffffffffff000ULL,
			  lseek(*fd, (off_t)0xfffffffffffff000ULL, SEEK_SET));
		EXPECT_EQ(-1, lseek(*fd, (off_t)-1, SEEK_SET));
		EXPECT_EQ(EOVERFLOW, errno);
		EXPECT_EQ(-1, lseek(*fd, (off_t)-4095, SEEK_SET));
		EXPECT_EQ(EOVERFLOW, errno);
		/* SEEK_CUR from a kernel address, and across 2^63. */
		EXPECT_EQ((off_t)0xfffffffffffff000ULL,
			  lseek(*fd, 0, SEEK_CUR));
		EXPECT_EQ((off_t)0xffffffff81000000ULL,
			  lseek(*fd, (off_t)(0xffffffff81000000ULL -
					     0xfffffffffffff000ULL), SEEK_CUR));
		EXPECT_EQ(0x7ffffffffffff000LL,
			  lseek(*fd, 0x7ffffffffffff000LL, SEEK_SET));
		EXPECT_EQ((off_t)0x8000000000001000ULL,
			  lseek(*fd, 0x2000, SEEK_CUR));
		/* SEEK_CUR into the last 4095 too; the position stays. */
		EXPECT_EQ((off_t)0xfffffffffffff000ULL,
			  lseek(*fd, (off_t)0xfffffffffffff000ULL, SEEK_SET));
		EXPECT_EQ(-1, lseek(*fd, 1, SEEK_CUR));
		EXPECT_EQ(EOVERFLOW, errno);
		EXPECT_EQ(-1, lseek(*fd, 0xfff, SEEK_CUR));
		EXPECT_EQ(EOVERFLOW, errno);
		EXPECT_EQ((off_t)0xfffffffffffff000ULL,
			  lseek(*fd, 0, SEEK_CUR));
	}
	EXPECT_EQ(-1, lseek(self->kmem, 0, SEEK_END));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, lseek(self->allkmem, 0, SEEK_DATA));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, lseek(self->kmem, 0, SEEK_HOLE));
	EXPECT_EQ(EINVAL, errno);
}

/* SEEK_END, SEEK_DATA and SEEK_HOLE walk /proc/iomem's System RAM. */
TEST_F(nodes, memx_seek_follows_system_ram)
{
	struct ram_range r[64];
	uint64_t pos = 0;
	int i, n = iomem_ram(r, 64);
	char c;

	ASSERT_LT(0, n);
	EXPECT_EQ((off_t)r[n - 1].end, lseek(self->mem, 0, SEEK_END));
	EXPECT_EQ((off_t)r[n - 1].end - 4096, lseek(self->mem, -4096, SEEK_END));
	for (i = 0; i < n; i++) {
		EXPECT_EQ((off_t)r[i].start, lseek(self->mem, pos, SEEK_DATA));
		EXPECT_EQ((off_t)r[i].end, lseek(self->mem, r[i].start, SEEK_HOLE));
		/* From inside the range too. */
		EXPECT_EQ((off_t)r[i].end,
			  lseek(self->mem, r[i].end - 1, SEEK_HOLE));
		EXPECT_EQ((off_t)(r[i].end - 1),
			  lseek(self->mem, r[i].end - 1, SEEK_DATA));
		pos = r[i].end;
	}
	EXPECT_EQ(-1, lseek(self->mem, pos, SEEK_DATA));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(-1, lseek(self->mem, pos + 4096, SEEK_HOLE));
	EXPECT_EQ(ENXIO, errno);
	/*
	 * Reads at or past the end are end of file; the last byte is data,
	 * unless a KFENCE guard page took it.
	 */
	EXPECT_EQ(0, pread(self->mem, &c, 1, pos));
	EXPECT_EQ(0, pread(self->mem, &c, 1, pos + (1ULL << 40)));
	if (!kfence_holds(pos - 1))
		EXPECT_EQ(1, pread(self->mem, &c, 1, pos - 1));
	/* The test VM has 5 GiB: there is System RAM above 4 GiB. */
	EXPECT_LT(1ULL << 32, r[n - 1].end);
}

/* A physical read returns the page's own contents, above 4 GiB too. */
TEST_F(nodes, memx_reads_our_own_pages_above_and_below_4g)
{
	const size_t npages = 256;
	char *buf, page[PAGE];
	int above = 0, below = 0;
	size_t i;

	buf = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_LOCKED,
		   -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	for (i = 0; i < npages * PAGE; i++)
		buf[i] = (char)(i * 13 + i / PAGE);
	for (i = 0; i < npages; i++) {
		uint64_t pa = user_phys(buf + i * PAGE);

		ASSERT_NE(0, pa);
		ASSERT_EQ(PAGE, pread(self->mem, page, PAGE, pa));
		ASSERT_EQ(0, memcmp(page, buf + i * PAGE, PAGE))
			TH_LOG("page at %#llx differs", (unsigned long long)pa);
		if (pa >= 1ULL << 32)
			above++;
		else
			below++;
	}
	TH_LOG("%d pages above 4 GiB, %d below", above, below);
	EXPECT_LT(0, above);
	munmap(buf, npages * PAGE);
}

/* The same page through kmemx at its direct-map address, unaligned too. */
TEST_F(nodes, kmemx_reads_the_direct_map)
{
	char *buf, out[PAGE];
	uint64_t pa, va;

	buf = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_LOCKED,
		   -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	memset(buf, 0x5a, 2 * PAGE);
	strcpy(buf + 100, "memx direct map probe");
	pa = user_phys(buf);
	ASSERT_NE(0, pa);
	ASSERT_EQ(0, phys_to_direct_map(pa, &va));
	ASSERT_EQ(PAGE - 100, read_at(self->kmem, va + 100, out, PAGE - 100));
	EXPECT_EQ(0, memcmp(out, buf + 100, PAGE - 100));
	munmap(buf, 2 * PAGE);
}

/*
 * A read whose buffer runs into a page not yet faulted in halfway: the
 * straight copy stops there, the bounce page faults it in, and the count is
 * whole; then the same with the `bounce` parameter set, which must give the
 * same bytes.  The page read is our own, filled with a known pattern.
 */
TEST_F(nodes, read_into_a_buffer_that_faults_in_halfway)
{
	const char *bounce = "/sys/module/memx/parameters/bounce";
	char *src, *dst;
	uint64_t pa;
	int b, i;

	src = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_LOCKED,
		   -1, 0);
	ASSERT_NE(MAP_FAILED, src);
	for (i = 0; i < PAGE; i++)
		src[i] = (char)(i * 7 + 3);
	pa = user_phys(src);
	ASSERT_NE(0, pa);
	for (b = 0; b < 2; b++) {
		ASSERT_EQ(0, write_str(bounce, b ? "Y" : "N"));
		dst = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, dst);
		dst[0] = 1;	/* the first page in, the second not */
		EXPECT_EQ(PAGE, pread(self->mem, dst + PAGE / 2, PAGE, pa))
			TH_LOG("bounce=%d: %s", b, strerror(errno));
		EXPECT_EQ(0, memcmp(dst + PAGE / 2, src, PAGE))
			TH_LOG("bounce=%d: the bytes differ", b);
		munmap(dst, 2 * PAGE);
	}
	write_str(bounce, "N");
	munmap(src, PAGE);
}

/* AIX: user-half offsets are the caller's own memory. */
TEST_F(nodes, kmemx_user_half_is_our_own_memory)
{
	static const char msg[] = "the caller's own memory";
	char out[sizeof(msg)];

	EXPECT_EQ(sizeof(msg), pread(self->kmem, out, sizeof(msg),
				     (off_t)(uintptr_t)msg));
	EXPECT_EQ(0, memcmp(out, msg, sizeof(msg)));
	EXPECT_EQ(sizeof(msg), pread(self->allkmem, out, sizeof(msg),
				     (off_t)(uintptr_t)msg));
	EXPECT_EQ(-1, pread(self->kmem, out, 1, 0));
	EXPECT_EQ(EFAULT, errno);
}

/* Holes, reserved ranges, ROM and MMIO are not memory: EFAULT. */
TEST_F(nodes, memx_non_ram_is_efault)
{
	struct ram_range r[64];
	uint64_t edu_bar;
	char c, line[256];
	int n = iomem_ram(r, 64);
	FILE *f;

	ASSERT_LT(0, n);
	/* Below the first range: x86-64's page 0, the virt machine's flash. */
	ASSERT_LT(0, r[0].start);
	EXPECT_EQ(-1, pread(self->mem, &c, 1, 0));
	EXPECT_EQ(EFAULT, errno);
	/* The gap after it, where there is one (x86-64's VGA hole). */
	if (n > 1) {
		EXPECT_EQ(-1, pread(self->mem, &c, 1, r[0].end));
		EXPECT_EQ(EFAULT, errno);
	}
	/* Byte-exact: a read running out of RAM mid-page is short. */
	if (!kfence_holds(r[0].end - 16))
		EXPECT_EQ(16, pread(self->mem, line, 32, r[0].end - 16));
	/* The edu device's BAR, from sysfs. */
	f = popen(EDU_RESOURCE, "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(line, sizeof(line), f));
	pclose(f);
	edu_bar = strtoull(line, NULL, 0);
	ASSERT_NE(0, edu_bar);
	EXPECT_EQ(-1, pread(self->mem, &c, 1, edu_bar));
	EXPECT_EQ(EFAULT, errno);
}

/* Short count at the end of a mapping, then the error at that offset. */
TEST_F(nodes, kmemx_short_count_then_efault_at_guard_page)
{
	uint64_t vbuf = read_num(HELPER "vbuf_addr", 0);
	char out[200], blob[4 * PAGE];
	uint64_t end;
	int fd;

	if (!vbuf)
		SKIP(return, "memx_helper not loaded");
	end = vbuf + 4 * PAGE;		/* a vmalloc guard page follows */
	fd = open(HELPER "vbuf", O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(sizeof(blob), read(fd, blob, sizeof(blob)));
	close(fd);

	EXPECT_EQ(100, read_at(self->kmem, end - 100, out, sizeof(out)));
	EXPECT_EQ(0, memcmp(out, blob + sizeof(blob) - 100, 100));
	EXPECT_EQ((off_t)end, lseek(self->kmem, 0, SEEK_CUR));
	EXPECT_EQ(-1, read(self->kmem, out, sizeof(out)));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(100, ioc_xfer(self->allkmem, MEMX_IOC_READ, end - 100, out,
				sizeof(out)));
	EXPECT_EQ(-1, ioc_xfer(self->allkmem, MEMX_IOC_READ, end, out, 1));
	EXPECT_EQ(EFAULT, errno);
}

/* Every page of a virtually contiguous buffer, across page ends. */
TEST_F(nodes, kmemx_reads_vmalloc_across_pages)
{
	uint64_t vbuf = read_num(HELPER "vbuf_addr", 0);
	char all[4 * PAGE], blob[4 * PAGE];
	int fd;

	if (!vbuf)
		SKIP(return, "memx_helper not loaded");
	fd = open(HELPER "vbuf", O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(sizeof(blob), read(fd, blob, sizeof(blob)));
	close(fd);
	ASSERT_EQ(sizeof(all) - 10,
		  read_at(self->kmem, vbuf + 10, all, sizeof(all) - 10));
	EXPECT_EQ(0, memcmp(all, blob + 10, sizeof(all) - 10));
}

/* Non-canonical and unmapped kernel addresses: EFAULT, no oops. */
TEST_F(nodes, kmemx_unmapped_and_noncanonical_are_efault)
{
	static const uint64_t bad[] = {
		/*
		 * 0xff00... is the hypervisor's guard hole with 5-level
		 * paging and non-canonical with 4-level; above it KASAN
		 * kernels map shadow memory everywhere.
		 */
		NONCANONICAL, 0xff00000000000000ULL, 0xff00000000001000ULL,
		0x0000800000000000ULL,
	};
	unsigned int i;
	char c;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-1, read_at(self->kmem, bad[i], &c, 1))
			TH_LOG("%#llx", (unsigned long long)bad[i]);
		EXPECT_EQ(EFAULT, errno);
		EXPECT_EQ(-1, read_at(self->allkmem, bad[i], &c, 1));
		EXPECT_EQ(EFAULT, errno);
	}
}

/* memfd_secret pages are gone from the direct map: EFAULT, not an oops. */
TEST_F(nodes, secretmem_page_is_efault)
{
	uint64_t pa, va;
	char *p, c;
	int fd;

	fd = syscall(SYS_memfd_secret, 0);
	if (fd < 0)
		SKIP(return, "memfd_secret: %s (secretmem.enable=1?)",
		     strerror(errno));
	ASSERT_EQ(0, ftruncate(fd, PAGE));
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0x77, PAGE);
	pa = user_phys(p);
	if (!pa)
		SKIP(return, "pagemap shows no frame for secretmem");
	ASSERT_EQ(0, phys_to_direct_map(pa, &va));
	EXPECT_EQ(-1, pread(self->mem, &c, 1, pa));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, read_at(self->kmem, va, &c, 1));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, read_at(self->allkmem, va, &c, 1));
	EXPECT_EQ(EFAULT, errno);
	munmap(p, PAGE);
	close(fd);
}

/* Read, mmap and VTOP of a kernel page that is not present: all refused. */
static void not_present_page_refused(struct __test_metadata *_metadata,
				     int kmem, int allkmem, uint64_t va)
{
	struct memx_vtop v = { .vaddr = va };
	char c;

	EXPECT_EQ(-1, read_at(kmem, va, &c, 1));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, read_at(allkmem, va, &c, 1));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PAGE, PROT_READ, MAP_SHARED,
				   allkmem, (off_t)va));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PAGE, PROT_READ, MAP_SHARED,
				   kmem, (off_t)va));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(-1, ioctl(kmem, MEMX_IOC_VTOP, &v));
	EXPECT_EQ(EFAULT, errno);
}

/* A KFENCE guard page is an unmapped kernel page: refused, and no report. */
TEST_F(nodes, kfence_guard_page_is_efault)
{
	uint64_t sym = ksym("__kfence_pool"), pool = 0, pa;
	char c;

	if (!sym)
		SKIP(return, "kernel built without CONFIG_KFENCE");
	ASSERT_EQ(0, kcore_read(sym, &pool, 8));
	if (!pool)
		SKIP(return, "no KFENCE pool (kfence.sample_interval=0)");
	/* The first two pages of the pool are guard pages. */
	not_present_page_refused(_metadata, self->kmem, self->allkmem,
				 pool);
	not_present_page_refused(_metadata, self->kmem, self->allkmem,
				 pool + PAGE);
	ASSERT_EQ(0, virt_to_phys_kcore(pool, &pa));
	EXPECT_EQ(-1, pread(self->mem, &c, 1, pa));
	EXPECT_EQ(EFAULT, errno);
}

/*
 * An entry with _PAGE_PRESENT clear but _PAGE_PROTNONE set, as old KFENCE
 * guard pages were: pte_present() says yes, the frame is inverted garbage.
 */
TEST_F(nodes, protnone_entry_is_not_present)
{
	uint64_t va = read_num(HELPER "protnone", 0);

	if (access(HELPER "protnone", R_OK))
		SKIP(return, "no protnone: the helper makes it with x86-64's _PAGE_PROTNONE");
	ASSERT_NE(0, va);
	not_present_page_refused(_metadata, self->kmem, self->allkmem,
				 va);
}

/*
 * A page poisoned by a child: newer kernels kill the caller of MADV_HWPOISON
 * with SIGBUS, so the child reports the frame first; SIGBUS or a clean exit
 * both mean the page is poisoned.
 */
TEST_F(nodes, hwpoisoned_page_is_eio)
{
	uint64_t pa = 0, va;
	int pfd[2], status;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		poison_own_page(pfd[1]);
	close(pfd[1]);
	ASSERT_EQ(sizeof(pa), read(pfd[0], &pa, sizeof(pa)));
	close(pfd[0]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_NE(0, pa);
	if (WIFEXITED(status) && WEXITSTATUS(status))
		SKIP(return, "MADV_HWPOISON failed (CONFIG_MEMORY_FAILURE?)");
	if (WIFSIGNALED(status))
		ASSERT_EQ(SIGBUS, WTERMSIG(status));
	EXPECT_EQ(-1, pread(self->mem, &c, 1, pa));
	EXPECT_EQ(EIO, errno);
	ASSERT_EQ(0, phys_to_direct_map(pa, &va));
	EXPECT_EQ(-1, read_at(self->kmem, va, &c, 1));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(-1, read_at(self->allkmem, va, &c, 1));
	EXPECT_EQ(EIO, errno);
	unpoison_pa(pa);
}

/* An offlined memory block (movablecore=1G makes some): EFAULT. */
TEST_F(nodes, offline_memory_block_is_efault)
{
	uint64_t bsz = memory_block_size(), pa, va;
	char path[128], c;
	int blk, err;
	ssize_t n;

	ASSERT_NE(0, bsz);
	for (blk = 1024; blk > 0; blk--) {
		memory_block_state(path, sizeof(path), blk);
		if (!access(path, F_OK) && !write_str(path, "offline"))
			break;
	}
	if (!blk)
		SKIP(return, "no memory block could be offlined");
	pa = (uint64_t)blk * bsz;
	ASSERT_EQ(0, phys_to_direct_map(pa, &va));
	EXPECT_EQ(-1, pread(self->mem, &c, 1, pa + 4 * PAGE));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, read_at(self->kmem, va + 4 * PAGE, &c, 1));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, write_str(path, "online"));
	/* Online again it reads; under debug_pagealloc a free page is EFAULT. */
	n = pread(self->mem, &c, 1, pa + 4 * PAGE);
	err = errno;
	if (n != 1)
		EXPECT_TRUE(pagealloc_debugged() && err == EFAULT);
}

/* HPET registers: kmemx refuses I/O memory, allkmemx reads GCAP_ID. */
TEST_F(nodes, hpet_registers_eio_on_kmemx_read_on_allkmemx)
{
	uint64_t sym = ksym("hpet_virt_address"), hpet = 0;
	uint32_t lo = 0, hi = 0;

#ifndef __x86_64__
	SKIP(return, "the HPET is x86-64's (edu_registers_exact_widths reads I/O here)");
#endif
	if (!sym)
		SKIP(return, "no hpet_virt_address in kallsyms");
	ASSERT_EQ(8, read_at(self->kmem, sym, &hpet, 8));
	if (!hpet)
		SKIP(return, "HPET not mapped by the kernel");
	EXPECT_EQ(-1, read_at(self->kmem, hpet, &lo, 4));
	EXPECT_EQ(EIO, errno);
	ASSERT_EQ(4, read_at(self->allkmem, hpet, &lo, 4));
	ASSERT_EQ(4, read_at(self->allkmem, hpet + 4, &hi, 4));
	/* GCAP_ID: vendor in 31:16, period in fs in 63:32 (QEMU: 10 ns). */
	EXPECT_EQ(0x8086, lo >> 16);
	EXPECT_EQ(10000000, hi);
}

/* edu's registers, with exact access widths (edu answers only 4 and 8). */
TEST_F(nodes, edu_registers_exact_widths)
{
	uint64_t edu, q = 0;
	uint32_t l = 0;
	uint16_t w = 0;

	if (!edu_present())
		SKIP(return, "no edu device (QEMU -device edu)");
	edu = edu_mmio();
	ASSERT_NE(0, edu) TH_LOG("memx_helper did not map the edu BAR");
	EXPECT_EQ(-1, read_at(self->kmem, edu, &l, 4));
	EXPECT_EQ(EIO, errno);
	ASSERT_EQ(4, read_at(self->allkmem, edu, &l, 4));
	EXPECT_EQ(0x010000ed, l);
	/* One 8-byte load below 0x80: edu answers all ones, not two IDs. */
	ASSERT_EQ(8, read_at(self->allkmem, edu, &q, 8));
	EXPECT_EQ(~0ULL, q);
#ifdef __x86_64__
	/*
	 * A 2-byte load is not widened into the 4-byte ID register.  edu
	 * decodes only 4 and 8 bytes: x86-64 reads all ones for the rest,
	 * arm64 takes a synchronous external abort, which its kernel
	 * cannot recover from (docs/design.md, arm64).
	 */
	ASSERT_EQ(2, read_at(self->allkmem, edu, &w, 2));
	EXPECT_NE(0x00ed, w);
#else
	(void)w;
#endif
	EXPECT_EQ(4, ioc_xfer(self->allkmem, MEMX_IOC_READ, edu, &l, 4));
	EXPECT_EQ(0x010000ed, l);
}

/*
 * A buffer of @pages pages whose last page is missing under userfaultfd: a
 * copy into it stops there, inside memx, until the test releases it.
 */
struct stall {
	int uffd;
	char *buf;
	size_t len;
};

static int stall_setup(struct stall *st, size_t pages)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };

	st->len = pages * PAGE;
	st->buf = mmap(NULL, st->len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (st->buf == MAP_FAILED)
		return -1;
	memset(st->buf, 0, st->len - PAGE);
	st->uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (st->uffd < 0 || ioctl(st->uffd, UFFDIO_API, &api))
		return -1;
	reg.range.start = (uintptr_t)st->buf + st->len - PAGE;
	reg.range.len = PAGE;
	return ioctl(st->uffd, UFFDIO_REGISTER, &reg);
}

/* Block until the copy has reached the missing page. */
static int stall_wait(struct stall *st)
{
	struct uffd_msg msg;

	return read(st->uffd, &msg, sizeof(msg)) == sizeof(msg) ? 0 : -1;
}

/* Let the copy go on: the missing page becomes a zero page. */
static int stall_release(struct stall *st)
{
	struct uffdio_zeropage z = {
		.range = { (uintptr_t)st->buf + st->len - PAGE, PAGE },
	};

	return ioctl(st->uffd, UFFDIO_ZEROPAGE, &z);
}

struct reader {
	int fd;
	uint64_t addr;
	struct stall *st;
	int done;	/* set by the reader thread, atomically */
	ssize_t ret;
};

static void *stalled_reader(void *arg)
{
	struct reader *r = arg;

	r->ret = ioc_xfer(r->fd, MEMX_IOC_READ, r->addr, r->st->buf,
			  r->st->len);
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * No global lock: with one read stopped inside memx (its buffer's last page
 * is missing under userfaultfd), other reads of the same descriptor finish.
 */
TEST_F(nodes, concurrent_readers_run_in_parallel)
{
	struct ram_range r[64];
	struct reader big;
	struct stall st;
	char page[PAGE];
	pthread_t t;
	int i, n = iomem_ram(r, 64);

	ASSERT_LT(0, n);
	if (stall_setup(&st, 16))
		SKIP(return, "userfaultfd: %s", strerror(errno));
	big = (struct reader){ .fd = self->mem, .addr = r[n - 1].start,
			       .st = &st };
	ASSERT_EQ(0, pthread_create(&t, NULL, stalled_reader, &big));
	ASSERT_EQ(0, stall_wait(&st));
	for (i = 0; i < 100; i++)
		ASSERT_EQ(PAGE, ioc_xfer(self->mem, MEMX_IOC_READ,
					 r[n - 1].start, page, PAGE));
	EXPECT_EQ(0, __atomic_load_n(&big.done, __ATOMIC_ACQUIRE));
	ASSERT_EQ(0, stall_release(&st));
	pthread_join(t, NULL);
	EXPECT_EQ((ssize_t)st.len, big.ret);
	EXPECT_EQ(0, memcmp(page, st.buf, PAGE));
	munmap(st.buf, st.len);
	close(st.uffd);
}

/*
 * A read copies each page right after checking it, before the caller's
 * buffer is touched: with the buffer's page missing under userfaultfd, the
 * page read is rewritten while the read waits, and the read returns what
 * the page held before, through memx and kmemx alike.  (A page could go
 * offline, or a kernel address be unmapped and reused for I/O, in that
 * time.)
 */
TEST_F(nodes, read_copies_a_page_before_touching_the_buffer)
{
	int fds[2] = { self->mem, self->kmem }, i;
	uint64_t pa, va;
	struct reader rd;
	struct stall st;
	char *own, *want;
	pthread_t t;

	own = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_LOCKED,
		   -1, 0);
	want = malloc(PAGE);
	ASSERT_NE(MAP_FAILED, own);
	ASSERT_NE(NULL, want);
	pa = user_phys(own);
	ASSERT_NE(0, pa);
	ASSERT_EQ(0, phys_to_direct_map(pa, &va));
	for (i = 0; i < 2; i++) {
		memset(own, 'A' + i, PAGE);
		memcpy(want, own, PAGE);
		if (stall_setup(&st, 1))
			SKIP(return, "userfaultfd: %s", strerror(errno));
		rd = (struct reader){ .fd = fds[i], .addr = i ? va : pa,
				      .st = &st };
		ASSERT_EQ(0, pthread_create(&t, NULL, stalled_reader, &rd));
		ASSERT_EQ(0, stall_wait(&st));
		memset(own, 'x', PAGE);
		ASSERT_EQ(0, stall_release(&st));
		pthread_join(t, NULL);
		EXPECT_EQ(PAGE, rd.ret);
		EXPECT_EQ(0, memcmp(st.buf, want, PAGE))
			TH_LOG("%s: %.16s... read after the page changed",
			       i ? "kmemx" : "memx", st.buf);
		munmap(st.buf, st.len);
		close(st.uffd);
	}
	free(want);
	munmap(own, PAGE);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * A huge read stops on a signal with a short count of whole pages.  The
 * timer ticks every 10 ms, so a signal lands during the read however slow
 * or fast the machine is.
 */
TEST_F(nodes, huge_read_interrupted_by_signal)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct itimerval it = {
		.it_value = { .tv_usec = 10000 },
		.it_interval = { .tv_usec = 10000 },
	};
	struct itimerval off = { 0 };
	size_t len = 1UL << 30;
	ssize_t n;
	char *buf;

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	do
		n = pread(self->mem, buf, len, 1ULL << 32);
	while (n < 0 && errno == EINTR);
	setitimer(ITIMER_REAL, &off, NULL);
	signal(SIGALRM, SIG_DFL);
	TH_LOG("read %zd of %zu bytes", n, len);
	EXPECT_LT(0, n);
	EXPECT_GT((ssize_t)len, n);
	EXPECT_EQ(0, n % PAGE);
	munmap(buf, len);
}

/* Writes: `writable` at run time, kernel memory seen by the kernel side. */
TEST_F(nodes, writable_parameter_gates_write_opens)
{
	char was[4] = "N";
	int fd;

	read_file(WRITABLE, was, sizeof(was));
	ASSERT_EQ(0, write_str(WRITABLE, "N"));
	EXPECT_EQ(-1, open("/dev/kmemx", O_RDWR));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, open("/dev/memx", O_WRONLY));
	EXPECT_EQ(EPERM, errno);
	fd = open_rw("/dev/allkmemx");
	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(-1, open("/dev/allkmemx", O_RDWR));
	EXPECT_EQ(EPERM, errno);
	write_str(WRITABLE, was);
}

TEST_F(nodes, write_kernel_buffer_seen_by_kernel_and_tainted)
{
	uint64_t vbuf = read_num(HELPER "vbuf_addr", 0), pa;
	char blob[4 * PAGE], msg[] = "written through memx";
	char phys_msg[] = "and through the physical node";
	int fd, pfd, bfd;
	FILE *f;

	if (!vbuf)
		SKIP(return, "memx_helper not loaded");
	f = fopen(HELPER "vbuf_phys", "r");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(1, fscanf(f, "%llx", (unsigned long long *)&pa));
	fclose(f);

	fd = open_rw("/dev/kmemx");
	pfd = open_rw("/dev/memx");
	ASSERT_LE(0, fd);
	ASSERT_LE(0, pfd);
	/* Across the first page boundary, then the physical page 0. */
	EXPECT_EQ(sizeof(msg), write_at(fd, vbuf + PAGE - 5, msg, sizeof(msg)));
	EXPECT_EQ(sizeof(phys_msg), pwrite(pfd, phys_msg, sizeof(phys_msg),
					   pa + 8));
	bfd = open(HELPER "vbuf", O_RDONLY);
	ASSERT_LE(0, bfd);
	ASSERT_EQ(sizeof(blob), read(bfd, blob, sizeof(blob)));
	close(bfd);
	EXPECT_EQ(0, memcmp(blob + PAGE - 5, msg, sizeof(msg)));
	EXPECT_EQ(0, memcmp(blob + 8, phys_msg, sizeof(phys_msg)));
	/* Short count at the guard page, then EFAULT. */
	EXPECT_EQ(3, write_at(fd, vbuf + 4 * PAGE - 3, msg, sizeof(msg)));
	EXPECT_EQ(-1, write(fd, msg, 1));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(5, ioc_xfer(fd, MEMX_IOC_WRITE, vbuf + 4 * PAGE - 5, msg,
			      sizeof(msg)));
	EXPECT_NE(0, read_num("/proc/sys/kernel/tainted", 0) & TAINT_USER);
	close(fd);
	close(pfd);
}

/* /proc/self/io's @key ("rchar", "wchar"), or -1. */
static long long own_io(const char *key)
{
	char text[512], *p;

	if (read_file("/proc/self/io", text, sizeof(text)) <= 0)
		return -1;
	p = strstr(text, key);
	return p ? strtoll(p + strlen(key) + 2, NULL, 10) : -1;
}

/* The inotify events waiting on @fd, or'ed together. */
static uint32_t inotify_mask(int fd)
{
	union {
		struct inotify_event first;
		char buf[4096];
	} u;
	const struct inotify_event *ev;
	uint32_t mask = 0;
	ssize_t n = read(fd, u.buf, sizeof(u.buf));

	for (ev = &u.first; n > 0 && (char *)ev < u.buf + n;
	     ev = (void *)((char *)ev + sizeof(*ev) + ev->len))
		mask |= ev->mask;
	return mask;
}

/*
 * MEMX_IOC_READ and MEMX_IOC_WRITE raise inotify's IN_ACCESS and IN_MODIFY
 * on the node, as read() and write() do.
 */
TEST_F(nodes, ioctl_transfers_raise_inotify_events)
{
	static char buf[4096], target[4096];
	int in, fd;

	if (access("/proc/sys/fs/inotify", F_OK))
		SKIP(return, "no inotify in this kernel (CONFIG_INOTIFY_USER)");
	in = inotify_init1(IN_NONBLOCK);
	ASSERT_LE(0, in);
	ASSERT_LE(0, inotify_add_watch(in, "/dev/kmemx", IN_ACCESS | IN_MODIFY));
	ASSERT_EQ(sizeof(buf), ioc_xfer(self->kmem, MEMX_IOC_READ,
					(uintptr_t)target, buf, sizeof(buf)));
	EXPECT_EQ(IN_ACCESS, inotify_mask(in) & (IN_ACCESS | IN_MODIFY));
	fd = open_rw("/dev/kmemx");
	ASSERT_LE(0, fd);
	EXPECT_EQ(sizeof(buf), ioc_xfer(fd, MEMX_IOC_WRITE, (uintptr_t)target,
					buf, sizeof(buf)));
	EXPECT_EQ(IN_MODIFY, inotify_mask(in) & (IN_ACCESS | IN_MODIFY));
	close(fd);
	close(in);
}

/*
 * Their bytes count in the task's rchar and wchar (/proc/self/io), as a
 * read() of as many bytes does.
 */
TEST_F(nodes, ioctl_transfers_count_in_proc_io)
{
	static char buf[65536], target[65536];
	long long before, after;
	int fd;

	before = own_io("rchar");
	ASSERT_EQ(sizeof(buf), pread(self->kmem, buf, sizeof(buf),
				     (uintptr_t)target));
	after = own_io("rchar");
	if (before < 0 || after < before + (long long)sizeof(buf))
		SKIP(return, "no task I/O accounting (CONFIG_TASK_XACCT)");
	ASSERT_EQ(sizeof(buf), ioc_xfer(self->kmem, MEMX_IOC_READ,
					(uintptr_t)target, buf, sizeof(buf)));
	EXPECT_LE(after + (long long)sizeof(buf), own_io("rchar"));
	fd = open_rw("/dev/kmemx");
	ASSERT_LE(0, fd);
	before = own_io("wchar");
	EXPECT_EQ(sizeof(buf), ioc_xfer(fd, MEMX_IOC_WRITE, (uintptr_t)target,
					buf, sizeof(buf)));
	EXPECT_LE(before + (long long)sizeof(buf), own_io("wchar"));
	close(fd);
}

/* AIX: writing a user-half offset writes the caller's own memory. */
TEST_F(nodes, write_user_half_is_our_own_memory_unlogged)
{
	char target[32] = "unchanged", msg[] = "written via kmemx";
	char pattern[64];
	int fd = open_rw("/dev/kmemx");

	ASSERT_LE(0, fd);
	EXPECT_EQ(sizeof(msg), pwrite(fd, msg, sizeof(msg),
				      (off_t)(uintptr_t)target));
	EXPECT_STREQ(msg, target);
	EXPECT_EQ(-1, pwrite(fd, msg, 1, 0));
	EXPECT_EQ(EFAULT, errno);
	close(fd);
	/* The caller's own memory is no kernel change: no log line. */
	snprintf(pattern, sizeof(pattern), "bytes at %#llx,",
		 (unsigned long long)(uintptr_t)target);
	EXPECT_EQ(0, dmesg_has(pattern)) TH_LOG("%s logged", pattern);
}

/* Past the end of RAM a read is end of file, a write EFAULT. */
TEST_F(nodes, write_past_end_of_ram_is_efault)
{
	off_t end = lseek(self->mem, 0, SEEK_END);
	char c = 0;
	int fd = open_rw("/dev/memx");

	ASSERT_LE(0, fd);
	ASSERT_LT(0, end);
	EXPECT_EQ(0, pread(self->mem, &c, 1, end));
	EXPECT_EQ(-1, pwrite(fd, &c, 1, end));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, pwrite(fd, &c, 1, end + (1LL << 40)));
	EXPECT_EQ(EFAULT, errno);
	close(fd);
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* The traced child: one page of RAM read with SIGUSR1 pending on entry. */
static int restart_child(int fd, uint64_t pa, int flags)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = flags };
	char page[PAGE];
	ssize_t n;

	if (sigaction(SIGUSR1, &sa, NULL) || ptrace(PTRACE_TRACEME, 0, 0, 0))
		return 3;
	raise(SIGSTOP);
	n = pread(fd, page, PAGE, pa);
	if (n == PAGE)
		return 0;
	return n < 0 && errno == EINTR ? 1 : 2;
}

/*
 * Stop the child at its pread()'s entry and queue SIGUSR1 there, so the
 * transfer starts with a signal pending and moves nothing: the child's exit
 * status tells how the call ended.
 */
static int restart_run(int fd, uint64_t pa, int flags)
{
	struct __ptrace_syscall_info info;
	int status, sig = 0, queued = 0;
	pid_t pid = fork();

	if (!pid)
		_exit(restart_child(fd, pa, flags));
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
		return -1;
	ptrace(PTRACE_SETOPTIONS, pid, 0,
	       PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL);
	for (;;) {
		if (ptrace(PTRACE_SYSCALL, pid, 0, sig) ||
		    waitpid(pid, &status, 0) != pid)
			return -1;
		sig = 0;
		if (WIFEXITED(status))
			return WEXITSTATUS(status);
		if (!WIFSTOPPED(status))
			return -1;
		if (WSTOPSIG(status) != (SIGTRAP | 0x80)) {
			sig = WSTOPSIG(status);	/* deliver it */
			continue;
		}
		if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof(info),
			   &info) <= 0)
			return -1;
		if (info.op == PTRACE_SYSCALL_INFO_ENTRY &&
		    info.entry.nr == SYS_pread64 && !queued++)
			kill(pid, SIGUSR1);
	}
}

/* SA_RESTART restarts a transfer a signal stopped before any byte moved. */
TEST_F(nodes, signal_before_any_byte_restarts_or_eintr)
{
	struct ram_range r[64];
	int n = iomem_ram(r, 64);

	ASSERT_LT(0, n);
	EXPECT_EQ(0, restart_run(self->mem, r[n - 1].start, SA_RESTART));
	EXPECT_EQ(1, restart_run(self->mem, r[n - 1].start, 0));
}

/* Kernel text and rodata stay as they are: EFAULT, banner unchanged. */
TEST_F(nodes, write_to_rodata_and_text_is_efault)
{
	uint64_t banner = kbanner(), text = ksym("_stext");
	char buf[512], junk[16] = "XXXXXXXXXXXXXXX";
	int fd, afd;

	fd = open_rw("/dev/kmemx");
	afd = open_rw("/dev/allkmemx");
	ASSERT_LE(0, fd);
	ASSERT_LE(0, afd);
	EXPECT_EQ(-1, write_at(fd, banner, junk, sizeof(junk)));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioc_xfer(afd, MEMX_IOC_WRITE, banner, junk,
			       sizeof(junk)));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, write_at(afd, text, junk, 1));
	EXPECT_EQ(EFAULT, errno);
	ASSERT_EQ(self->version_len,
		  read_at(self->kmem, banner, buf, self->version_len));
	EXPECT_EQ(0, memcmp(buf, self->version, self->version_len));
	close(fd);
	close(afd);
}

/* edu's liveness register returns the inverse of what was written. */
TEST_F(nodes, edu_write_and_read_back)
{
	uint64_t edu, q = 0x1122334455667788ULL, back = 0;
	uint32_t v = 0x12345678, r = 0;
	int fd;

	if (!edu_present())
		SKIP(return, "no edu device (QEMU -device edu)");
	edu = edu_mmio();
	ASSERT_NE(0, edu) TH_LOG("memx_helper did not map the edu BAR");
	fd = open_rw("/dev/allkmemx");
	ASSERT_LE(0, fd);
	ASSERT_EQ(4, write_at(fd, edu + 4, &v, 4));
	ASSERT_EQ(4, read_at(fd, edu + 4, &r, 4));
	EXPECT_EQ(~v, r);
	/* 0x80, DMA source address: 8-byte accesses allowed there. */
	ASSERT_EQ(8, ioc_xfer(fd, MEMX_IOC_WRITE, edu + 0x80, &q, 8));
	ASSERT_EQ(8, ioc_xfer(fd, MEMX_IOC_READ, edu + 0x80, &back, 8));
	EXPECT_EQ(q, back);
	/* kmemx refuses to write I/O memory as it refuses to read it. */
	close(fd);
	fd = open_rw("/dev/kmemx");
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, write_at(fd, edu + 4, &v, 4));
	EXPECT_EQ(EIO, errno);
	close(fd);
}

/*
 * The log line names node, length, address, pid and command.  The line is
 * rate limited (10 in 5 s): wait for a fresh window first.
 */
TEST_F(nodes, write_is_logged_with_pid_length_and_address)
{
	uint64_t vbuf = read_num(HELPER "vbuf_addr", 0);
	char line[256], msg[7] = "logged";
	int fd;

	if (!vbuf)
		SKIP(return, "memx_helper not loaded");
	fd = open_rw("/dev/kmemx");
	ASSERT_LE(0, fd);
	sleep(6);
	ASSERT_EQ(sizeof(msg), write_at(fd, vbuf + 123, msg, sizeof(msg)));
	close(fd);
	snprintf(line, sizeof(line),
		 "memx: kmemx: wrote 7 bytes at %#llx, pid %d (memx_rw_test)",
		 (unsigned long long)vbuf + 123, getpid());
	EXPECT_EQ(1, dmesg_has(line)) TH_LOG("no line \"%s\"", line);
	EXPECT_NE(0, read_num("/proc/sys/kernel/tainted", 0) & TAINT_USER);
}

TEST_HARNESS_MAIN
