// SPDX-License-Identifier: GPL-2.0
/*
 * memx mmap and MEMX_IOC_VTOP, checked against /proc/kcore, /proc/version,
 * /proc/self/pagemap, sysfs and the helper module's debugfs files.
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "memx_test.h"

#define START_KERNEL_MAP	0xffffffff80000000ULL

FIXTURE(maps) {
	int mem, kmem, allkmem;
	uint64_t vbuf;
	char blob[4 * PAGE_MAX];
};

FIXTURE_SETUP(maps)
{
	int fd;

	self->mem = open("/dev/memx", O_RDONLY);
	self->kmem = open("/dev/kmemx", O_RDONLY);
	self->allkmem = open("/dev/allkmemx", O_RDONLY);
	if (self->mem < 0 || self->kmem < 0 || self->allkmem < 0)
		SKIP(return, "memx nodes not available: %s", strerror(errno));
	self->vbuf = read_num(HELPER "vbuf_addr", 0);
	fd = open(HELPER "vbuf", O_RDONLY);
	if (!self->vbuf || fd < 0)
		SKIP(return, "memx_helper not loaded");
	ASSERT_EQ(4 * PAGE, read(fd, self->blob, 4 * PAGE));
	close(fd);
}

FIXTURE_TEARDOWN(maps)
{
	if (self->mem >= 0)
		close(self->mem);
	if (self->kmem >= 0)
		close(self->kmem);
	if (self->allkmem >= 0)
		close(self->allkmem);
}

static void *map_at(int fd, uint64_t addr, size_t len, int prot)
{
	return mmap(NULL, len, prot, MAP_SHARED, fd, (off_t)addr);
}

/* A mapped RAM page holds the page's own bytes, and pread agrees. */
TEST_F(maps, memx_maps_our_own_page)
{
	char *buf, *map, page[PAGE];
	uint64_t pa;

	buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | MAP_LOCKED,
		   -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	memset(buf, 0x3c, PAGE);
	strcpy(buf + 64, "mapped through /dev/memx");
	pa = user_phys(buf);
	ASSERT_NE(0, pa);
	map = map_at(self->mem, pa, PAGE, PROT_READ);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(0, memcmp(map, buf, PAGE));
	ASSERT_EQ(PAGE, pread(self->mem, page, PAGE, pa));
	EXPECT_EQ(0, memcmp(map, page, PAGE));
	/* Seen live: the mapping is the frame, not a copy. */
	buf[0] = 0x11;
	EXPECT_EQ(0x11, map[0]);
	munmap(map, PAGE);
	munmap(buf, PAGE);
}

TEST_F(maps, kmemx_maps_linux_banner)
{
	uint64_t banner = kbanner();
	char version[512], *map;
	size_t len;

	ASSERT_LT(0, read_file("/proc/version", version, sizeof(version)));
	len = strlen(version);
	map = map_at(self->kmem, banner & ~(PAGE - 1), 2 * PAGE, PROT_READ);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(0, memcmp(map + banner % PAGE, version, len));
	munmap(map, 2 * PAGE);
}

/* Each page of a vmalloc buffer maps its own frame. */
TEST_F(maps, kmemx_maps_vmalloc_page_by_page)
{
	char *map = map_at(self->kmem, self->vbuf, 4 * PAGE, PROT_READ);

	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(0, memcmp(map, self->blob, 4 * PAGE));
	munmap(map, 4 * PAGE);
}

TEST_F(maps, a_page_not_ram_or_not_mapped_is_enxio)
{
	struct ram_range r[64];
	int n = iomem_ram(r, 64);

	ASSERT_LT(0, n);
	/* The last page of the first RAM range and the hole after it. */
	EXPECT_EQ(MAP_FAILED, map_at(self->mem, (r[0].end & ~(PAGE - 1)) -
				     PAGE, 2 * PAGE, PROT_READ));
	EXPECT_EQ(ENXIO, errno);
	/* Past the end of memory. */
	EXPECT_EQ(MAP_FAILED, map_at(self->mem, r[n - 1].end, PAGE, PROT_READ));
	EXPECT_EQ(ENXIO, errno);
	/* The vmalloc buffer and its guard page. */
	EXPECT_EQ(MAP_FAILED, map_at(self->kmem, self->vbuf, 5 * PAGE,
				     PROT_READ));
	EXPECT_EQ(ENXIO, errno);
	EXPECT_EQ(MAP_FAILED, map_at(self->allkmem, self->vbuf + 4 * PAGE,
				     PAGE, PROT_READ));
	EXPECT_EQ(ENXIO, errno);
}

TEST_F(maps, map_private_is_einval)
{
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE,
				   self->kmem, (off_t)self->vbuf));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE,
				   self->mem, 1ULL << 32));
	EXPECT_EQ(EINVAL, errno);
}

/* PROT_WRITE needs a descriptor open for writing (the VFS: EACCES). */
TEST_F(maps, prot_write_needs_rdwr)
{
	EXPECT_EQ(MAP_FAILED, map_at(self->kmem, self->vbuf, PAGE,
				     PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
}

/* edu's BAR: EIO through kmemx, uncached through allkmemx, ENXIO on memx. */
TEST_F(maps, edu_bar_through_each_node)
{
	uint64_t edu, bar;
	uint32_t *regs;
	char line[128];
	FILE *f;

	if (!edu_present())
		SKIP(return, "no edu device (QEMU -device edu)");
	edu = edu_mmio();
	ASSERT_NE(0, edu) TH_LOG("memx_helper did not map the edu BAR");
	EXPECT_EQ(MAP_FAILED, map_at(self->kmem, edu, PAGE, PROT_READ));
	EXPECT_EQ(EIO, errno);
	regs = map_at(self->allkmem, edu, PAGE, PROT_READ);
	ASSERT_NE(MAP_FAILED, regs);
	/* One 32-bit load from the uncached mapping. */
	EXPECT_EQ(0x010000ed, __atomic_load_n(&regs[0], __ATOMIC_RELAXED));
	munmap((void *)regs, PAGE);

	f = popen(EDU_RESOURCE, "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(line, sizeof(line), f));
	pclose(f);
	bar = strtoull(line, NULL, 0);
	EXPECT_EQ(MAP_FAILED, map_at(self->mem, bar, PAGE, PROT_READ));
	EXPECT_EQ(ENXIO, errno);
}

/* A write through a shared writable mapping is seen by the kernel. */
TEST_F(maps, write_through_mapping_seen_by_kernel)
{
	static const char msg[] = "stored through a memx mapping";
	char blob[4 * PAGE], *map;
	int fd = open_rw("/dev/kmemx"), bfd;

	ASSERT_LE(0, fd);
	map = map_at(fd, self->vbuf, 4 * PAGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, map);
	memcpy(map + 2 * PAGE + 17, msg, sizeof(msg));
	munmap(map, 4 * PAGE);
	bfd = open(HELPER "vbuf", O_RDONLY);
	ASSERT_LE(0, bfd);
	ASSERT_EQ(sizeof(blob), read(bfd, blob, sizeof(blob)));
	close(bfd);
	EXPECT_EQ(0, memcmp(blob + 2 * PAGE + 17, msg, sizeof(msg)));

	/* Read-only kernel pages: no writable mapping, no mprotect to one. */
	map = map_at(fd, kbanner() & ~(PAGE - 1), PAGE,
		     PROT_READ | PROT_WRITE);
	EXPECT_EQ(MAP_FAILED, map);
	EXPECT_EQ(EACCES, errno);
	map = map_at(fd, kbanner() & ~(PAGE - 1), PAGE, PROT_READ);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(-1, mprotect(map, PAGE, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	munmap(map, PAGE);
	close(fd);
}

#ifdef __x86_64__
/* x86-64's own formula: phys_base + (vaddr - __START_KERNEL_map). */
static uint64_t image_pa_x86(uint64_t va)
{
	uint64_t phys_base = 0;

	kcore_read(ksym("phys_base"), &phys_base, 8);
	return va - START_KERNEL_MAP + phys_base;
}
#endif

/*
 * VTOP of linux_banner: where /proc/kcore (or /proc/iomem's "Kernel code")
 * puts it and, on x86-64, phys_base + (vaddr - __START_KERNEL_map).  The
 * mapping size is one of the page table's levels.
 */
TEST_F(maps, vtop_of_linux_banner)
{
	unsigned int ps = __builtin_ctzl(sysconf(_SC_PAGESIZE));
	struct memx_vtop v = { .vaddr = kbanner() };
	uint64_t kcore_pa;

	ASSERT_EQ(0, ioctl(self->kmem, MEMX_IOC_VTOP, &v));
	ASSERT_EQ(0, virt_to_phys_kcore(v.vaddr, &kcore_pa));
	EXPECT_EQ(kcore_pa, v.paddr);
#ifdef __x86_64__
	EXPECT_EQ(image_pa_x86(v.vaddr), v.paddr);
#endif
	EXPECT_EQ(MEMX_VTOP_RAM, v.flags);
	EXPECT_TRUE(v.shift == ps || v.shift == 2 * ps - 3 ||
		    v.shift == 3 * ps - 6) TH_LOG("shift %u", v.shift);
	v.paddr = 0;
	ASSERT_EQ(0, ioctl(self->allkmem, MEMX_IOC_VTOP, &v));
	EXPECT_EQ(kcore_pa, v.paddr);
}

/* VTOP of the vmalloc buffer gives the helper's per-page frames. */
TEST_F(maps, vtop_of_vmalloc)
{
	struct memx_vtop v = { 0 };
	unsigned long long pa;
	FILE *f = fopen(HELPER "vbuf_phys", "r");
	int i;

	ASSERT_NE(NULL, f);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(1, fscanf(f, "%llx", &pa));
		v.vaddr = self->vbuf + i * PAGE + 123;
		ASSERT_EQ(0, ioctl(self->kmem, MEMX_IOC_VTOP, &v));
		EXPECT_EQ(pa + 123, v.paddr);
		EXPECT_EQ(MEMX_VTOP_RAM | MEMX_VTOP_WRITABLE, v.flags);
		EXPECT_EQ(PAGE, 1UL << v.shift);
	}
	fclose(f);
}

/* VTOP of the edu BAR: I/O memory, the page offset kept. */
TEST_F(maps, vtop_of_io)
{
	struct memx_vtop v = { 0 };
	uint64_t edu;

	if (!edu_present())
		SKIP(return, "no edu device (QEMU -device edu)");
	edu = edu_mmio();
	ASSERT_NE(0, edu) TH_LOG("memx_helper did not map the edu BAR");
	v.vaddr = edu + 4;
	ASSERT_EQ(0, ioctl(self->kmem, MEMX_IOC_VTOP, &v));
	EXPECT_EQ(0, v.flags & MEMX_VTOP_RAM);
	EXPECT_EQ(4, v.paddr % PAGE);
}

TEST_F(maps, vtop_errors)
{
	struct memx_vtop v = { .vaddr = self->vbuf + 4 * PAGE };

	EXPECT_EQ(-1, ioctl(self->kmem, MEMX_IOC_VTOP, &v));
	EXPECT_EQ(EFAULT, errno);
	v.vaddr = (uintptr_t)&v;
	EXPECT_EQ(-1, ioctl(self->allkmem, MEMX_IOC_VTOP, &v));
	EXPECT_EQ(EFAULT, errno);
	v.vaddr = 0x8000000000000000ULL;
	EXPECT_EQ(-1, ioctl(self->kmem, MEMX_IOC_VTOP, &v));
	EXPECT_EQ(EFAULT, errno);
	v.vaddr = kbanner();
	EXPECT_EQ(-1, ioctl(self->mem, MEMX_IOC_VTOP, &v));
	EXPECT_EQ(ENOTTY, errno);
}

/* PROT_EXEC is EPERM, and mprotect() cannot add it later. */
TEST_F(maps, prot_exec_is_eperm)
{
	char *map;

	EXPECT_EQ(MAP_FAILED, map_at(self->kmem, self->vbuf, PAGE,
				     PROT_READ | PROT_EXEC));
	EXPECT_EQ(EPERM, errno);
	map = map_at(self->allkmem, self->vbuf, PAGE, PROT_READ);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(-1, mprotect(map, PAGE, PROT_READ | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
	munmap(map, PAGE);
}

/* A PROT_WRITE mapping is a write: logged (fresh rate-limit window). */
TEST_F(maps, writable_mapping_is_logged)
{
	int fd = open_rw("/dev/kmemx");
	char line[256], *map;

	ASSERT_LE(0, fd);
	sleep(6);
	map = map_at(fd, self->vbuf, 2 * PAGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, map);
	munmap(map, 2 * PAGE);
	close(fd);
	snprintf(line, sizeof(line),
		 "memx: kmemx: mapped writable %lu bytes at %#llx, pid %d (memx_mmap_test)",
		 2 * PAGE, (unsigned long long)self->vbuf, getpid());
	EXPECT_EQ(1, dmesg_has(line)) TH_LOG("no line \"%s\"", line);
	EXPECT_NE(0, read_num("/proc/sys/kernel/tainted", 0) & 64);
}

/* The cache type of the calling process's own page-table entry at @p. */
static const char *upte(const void *p, char *out, size_t size)
{
	char addr[32];

	snprintf(addr, sizeof(addr), "%#lx", (unsigned long)(uintptr_t)p);
	if (write_str(HELPER "upte", addr) ||
	    read_file(HELPER "upte", out, size) <= 0)
		return "unreadable";
	out[strcspn(out, "\n")] = 0;
	return out;
}

/*
 * Each page of @map (4 pages of the helper's buffer) holds its bytes and,
 * mapped by that first touch, has the kernel's type.
 */
static void expect_wc_second(struct __test_metadata *_metadata,
			     const unsigned char *map)
{
	char type[32];
	int i;

	for (i = 0; i < 4 * (int)PAGE; i++)
		if (map[i] != (unsigned char)(i * 5 + i / PAGE))
			break;
	EXPECT_EQ(4 * (int)PAGE, i);
	for (i = 0; i < 4; i++) {
		EXPECT_STREQ(i == 1 ? "wc" : "wb",
			     upte(map + i * PAGE, type, sizeof(type)))
			TH_LOG("page %d", i);
	}
}

/* A page the kernel made write-combining is mapped write-combining. */
TEST_F(maps, kernel_cache_type_kept_per_page)
{
	uint64_t pa = read_num(HELPER "wc_phys", 0), va;
	unsigned char *map;

	if (access(HELPER "wc_phys", R_OK))
		SKIP(return, "no wc_phys: the helper makes it with x86-64's set_memory_wc()");
	ASSERT_NE(0, pa);
	map = map_at(self->mem, pa, 4 * PAGE, PROT_READ);
	ASSERT_NE(MAP_FAILED, map);
	expect_wc_second(_metadata, map);
	munmap(map, 4 * PAGE);
	ASSERT_EQ(0, phys_to_direct_map(pa, &va));
	map = map_at(self->kmem, va, 4 * PAGE, PROT_READ);
	ASSERT_NE(MAP_FAILED, map);
	expect_wc_second(_metadata, map);
	munmap(map, 4 * PAGE);
}

/*
 * /proc/PID/mem (what ptrace and gdb use) reads and writes a mapping, on
 * kernels that hand such a mapping to its .access.
 */
TEST_F(maps, proc_pid_mem_reaches_a_mapping)
{
	static const char msg[] = "poked through /proc/self/mem";
	uint64_t banner = kbanner();
	char version[512], buf[512], blob[4 * PAGE], flag[4] = "", *map;
	int mem, fd, bfd, err;
	ssize_t got;
	size_t len;

	ASSERT_LT(0, read_file("/proc/version", version, sizeof(version)));
	len = strlen(version);
	mem = open("/proc/self/mem", O_RDWR);
	ASSERT_LE(0, mem);
	map = map_at(self->kmem, banner & ~(PAGE - 1), 2 * PAGE, PROT_READ);
	ASSERT_NE(MAP_FAILED, map);
	got = pread(mem, buf, len, (off_t)(uintptr_t)(map + banner % PAGE));
	err = got < 0 ? errno : 0;
	read_file(HELPER "pfnmap_access", flag, sizeof(flag));
	if (err == EIO && flag[0] == 'N')
		SKIP(return, "/proc/PID/mem calls no .access here (%s)",
		     "no CONFIG_HAVE_IOREMAP_PROT: arm64 before 5.19");
	ASSERT_EQ((ssize_t)len, got);
	EXPECT_EQ(0, memcmp(buf, version, len));
	/* Not through a read-only mapping. */
	EXPECT_EQ(-1, pwrite(mem, msg, sizeof(msg), (off_t)(uintptr_t)map));
	munmap(map, 2 * PAGE);

	fd = open_rw("/dev/kmemx");
	ASSERT_LE(0, fd);
	map = map_at(fd, self->vbuf, 4 * PAGE, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(sizeof(msg), pwrite(mem, msg, sizeof(msg),
				      (off_t)(uintptr_t)(map + 3 * PAGE + 9)));
	munmap(map, 4 * PAGE);
	close(fd);
	close(mem);
	bfd = open(HELPER "vbuf", O_RDONLY);
	ASSERT_LE(0, bfd);
	ASSERT_EQ(sizeof(blob), read(bfd, blob, sizeof(blob)));
	close(bfd);
	EXPECT_EQ(0, memcmp(blob + 3 * PAGE + 9, msg, sizeof(msg)));
}

/* 1 when a child touching @p dies of SIGBUS, 0 when it reads it. */
static int touch_sigbus(const char *p)
{
	int status;
	pid_t pid = fork();

	if (!pid)
		_exit(__atomic_load_n(p, __ATOMIC_RELAXED) & 0);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status))
		return WTERMSIG(status) == SIGBUS;
	return 0;
}

/* The minor page faults a load from @p takes: 0 when it is mapped. */
static long touch_faults(const char *p)
{
	struct rusage before, after;

	getrusage(RUSAGE_SELF, &before);
	(void)__atomic_load_n(p, __ATOMIC_RELAXED);
	getrusage(RUSAGE_SELF, &after);
	return after.ru_minflt - before.ru_minflt;
}

/*
 * touch_faults() once the caller's own pages have settled: an offline
 * migrates them, and the first touches after it fault on the test's code
 * and data.
 */
static long touch_faults_settled(const char *p)
{
	static char settle;
	int i;

	for (i = 0; i < 8 && touch_faults(&settle); i++)
		;
	return touch_faults(p);
}

/*
 * Mappings of a memory block that goes offline are revoked: a later touch is
 * SIGBUS, and a new mapping is refused (movablecore=1G makes such blocks).
 * The kernel image's page, mapped through both kinds of offset, stays
 * readable.  A kmemx mapping through an address outside the direct map (the
 * kernel image's own, here) could alias a frame of any block, so it goes
 * too and is mapped again at its next touch: a page fault.
 */
TEST_F(maps, offline_memory_revokes_mappings)
{
	uint64_t bsz = memory_block_size(), img = ksym("_stext"), pa, va, kpa,
		 kva;
	char path[128], *pmap, *vmap, *pkeep, *vkeep, *ikeep;
	int blk;

	ASSERT_NE(0, bsz);
	ASSERT_EQ(0, virt_to_phys_kcore(img, &kpa));
	ASSERT_EQ(0, phys_to_direct_map(kpa, &kva));
	ASSERT_NE(kva & ~(PAGE - 1), img & ~(PAGE - 1));
	pkeep = map_at(self->mem, kpa, PAGE, PROT_READ);
	ASSERT_NE(MAP_FAILED, pkeep);
	vkeep = map_at(self->kmem, kva, PAGE, PROT_READ);
	ASSERT_NE(MAP_FAILED, vkeep);
	ikeep = map_at(self->kmem, img & ~(PAGE - 1), PAGE, PROT_READ);
	ASSERT_NE(MAP_FAILED, ikeep);
	touch_faults(ikeep);
	ASSERT_EQ(0, touch_faults(ikeep));
	for (blk = 1024; blk > 0; blk--) {
		memory_block_state(path, sizeof(path), blk);
		if (access(path, F_OK))
			continue;
		pa = (uint64_t)blk * bsz + 8 * PAGE;
		ASSERT_EQ(0, phys_to_direct_map(pa, &va));
		pmap = map_at(self->mem, pa, PAGE, PROT_READ);
		vmap = map_at(self->kmem, va, PAGE, PROT_READ);
		if (pmap == MAP_FAILED || vmap == MAP_FAILED)
			continue;
		ASSERT_EQ(0, touch_sigbus(pmap));
		if (!write_str(path, "offline"))
			break;
		munmap(pmap, PAGE);
		munmap(vmap, PAGE);
	}
	if (!blk)
		SKIP(return, "no memory block could be offlined");
	EXPECT_EQ(1, touch_sigbus(pmap));
	EXPECT_EQ(1, touch_sigbus(vmap));
	EXPECT_EQ(1, touch_faults_settled(ikeep));
	EXPECT_EQ(0, touch_sigbus(pkeep));
	EXPECT_EQ(0, touch_sigbus(vkeep));
	EXPECT_EQ(0, memcmp(pkeep, vkeep, PAGE));
	EXPECT_EQ(0, memcmp(pkeep + img % PAGE, ikeep + img % PAGE, 64));
	EXPECT_EQ(MAP_FAILED, map_at(self->mem, pa, PAGE, PROT_READ));
	EXPECT_EQ(ENXIO, errno);
	munmap(pmap, PAGE);
	munmap(vmap, PAGE);
	munmap(pkeep, PAGE);
	munmap(vkeep, PAGE);
	munmap(ikeep, PAGE);
	/* Back where it was: online_movable keeps it offlinable. */
	EXPECT_EQ(0, write_str(path, "online_movable"));
}

/* Whether memory block @blk is online. */
static int block_online(int blk)
{
	char path[128], state[16] = "";

	memory_block_state(path, sizeof(path), blk);
	return read_file(path, state, sizeof(state)) > 0 &&
	       !strncmp(state, "online", 6);
}

/*
 * A failed offline revokes nothing: the helper fails an offline after
 * memx's notifier, before it in the chain, has zapped the block
 * (MEM_GOING_OFFLINE, then MEM_CANCEL_OFFLINE), and both mappings of a page
 * there read on, the same bytes, the block still online.  A block whose
 * offline fails before the notifiers run (pages that cannot move) is
 * passed over.
 */
TEST_F(maps, failed_offline_keeps_mappings)
{
	uint64_t bsz = memory_block_size(), pa, va, vetoed;
	char path[128], *pmap = MAP_FAILED, *vmap = MAP_FAILED;
	int blk;

	ASSERT_NE(0, bsz);
	if (access(HELPER "veto_offline", W_OK))
		SKIP(return, "memx_helper without veto_offline");
	ASSERT_EQ(0, write_str(HELPER "veto_offline", "Y"));
	for (blk = 1024; blk > 0; blk--) {
		memory_block_state(path, sizeof(path), blk);
		if (!block_online(blk))
			continue;
		pa = (uint64_t)blk * bsz + 8 * PAGE;
		ASSERT_EQ(0, phys_to_direct_map(pa, &va));
		pmap = map_at(self->mem, pa, PAGE, PROT_READ);
		vmap = map_at(self->kmem, va, PAGE, PROT_READ);
		vetoed = read_num(HELPER "vetoed", 0);
		if (pmap != MAP_FAILED && vmap != MAP_FAILED &&
		    write_str(path, "offline") &&
		    read_num(HELPER "vetoed", 0) == vetoed + 1)
			break;
		if (pmap != MAP_FAILED)
			munmap(pmap, PAGE);
		if (vmap != MAP_FAILED)
			munmap(vmap, PAGE);
	}
	ASSERT_EQ(0, write_str(HELPER "veto_offline", "N"));
	if (!blk)
		SKIP(return, "no block whose offline reaches the notifiers");
	EXPECT_EQ(1, block_online(blk));
	EXPECT_EQ(0, touch_sigbus(pmap));
	EXPECT_EQ(0, touch_sigbus(vmap));
	EXPECT_EQ(0, memcmp(pmap, vmap, PAGE));
	munmap(pmap, PAGE);
	munmap(vmap, PAGE);
}

#define DIMM "/sys/bus/acpi/devices/PNP0C80:00/"

/* The memory block an ACPI memory device (a pc-dimm) brought, or -1. */
static int dimm_block(void)
{
	char link[256];
	ssize_t n = readlink(DIMM "physical_node", link, sizeof(link) - 1);
	const char *num;

	if (n <= 0)
		return -1;
	link[n] = 0;
	num = strrchr(link, '/');
	if (!num || strncmp(num, "/memory", 7))
		return -1;
	return atoi(num + 7);
}

/*
 * A block hot-added with memmap_on_memory holds its own struct pages in its
 * first pages, which its offline leaves out of the range the memory
 * notifiers see; their mappings go with the block all the same.  The
 * hotplug boot cold-plugs a 128 MiB pc-dimm, which ACPI adds with
 * memory_hotplug.memmap_on_memory=1: its first page is mapped through memx
 * and kmemx, the block is offlined (SIGBUS, ENXIO), then ejected (a read is
 * past the end of RAM).
 */
TEST_F_TIMEOUT(maps, memmap_on_memory_block_revoked_whole, 120)
{
	uint64_t bsz = memory_block_size(), pa, va;
	char path[128], flag[4] = "", *pmap, *vmap, byte;
	int blk = dimm_block(), i;
	off_t end;

	if (blk < 0)
		SKIP(return, "no ACPI memory device (the hotplug boot has one)");
	ASSERT_LT(0, read_file("/sys/module/memory_hotplug/parameters/memmap_on_memory",
			       flag, sizeof(flag)));
	ASSERT_EQ('Y', flag[0]);
	memory_block_state(path, sizeof(path), blk);
	if (!block_online(blk))
		ASSERT_EQ(0, write_str(path, "online_movable"));
	pa = (uint64_t)blk * bsz;
	ASSERT_EQ(0, phys_to_direct_map(pa, &va));
	pmap = map_at(self->mem, pa, PAGE, PROT_READ);
	ASSERT_NE(MAP_FAILED, pmap);
	vmap = map_at(self->kmem, va, PAGE, PROT_READ);
	ASSERT_NE(MAP_FAILED, vmap);
	ASSERT_EQ(0, touch_sigbus(pmap));
	ASSERT_EQ(0, memcmp(pmap, vmap, PAGE));

	ASSERT_EQ(0, write_str(path, "offline"));
	EXPECT_EQ(1, touch_sigbus(pmap));
	EXPECT_EQ(1, touch_sigbus(vmap));
	EXPECT_EQ(MAP_FAILED, map_at(self->mem, pa, PAGE, PROT_READ));
	EXPECT_EQ(ENXIO, errno);

	ASSERT_EQ(0, write_str(DIMM "eject", "1"));
	for (i = 0; i < 300 && !access(path, F_OK); i++)
		usleep(100000);
	ASSERT_NE(0, access(path, F_OK)) TH_LOG("block %d not removed", blk);
	EXPECT_EQ(1, touch_sigbus(pmap));
	EXPECT_EQ(1, touch_sigbus(vmap));
	/* A hole below other hot-added RAM, or past the end of RAM. */
	end = lseek(self->mem, 0, SEEK_END);
	if (end > (off_t)pa) {
		EXPECT_EQ(-1, pread(self->mem, &byte, 1, pa));
		EXPECT_EQ(EFAULT, errno);
	} else {
		EXPECT_EQ(0, pread(self->mem, &byte, 1, pa));
	}
	munmap(pmap, PAGE);
	munmap(vmap, PAGE);
}

/* /proc/kpageflags' KPF_OFFLINE for frame @pfn: 1, 0, or -1. */
static int pfn_offline(uint64_t pfn)
{
	int fd = open("/proc/kpageflags", O_RDONLY);
	uint64_t flags;
	int ret = -1;

	if (fd >= 0 && pread(fd, &flags, 8, pfn * 8) == 8)
		ret = flags >> 23 & 1;
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * Each 2 MiB subblock of online "System RAM (virtio_mem)": how many read
 * (plugged) and how many are EFAULT, their pages PG_offline (unplugged
 * inside an online block), into @plugged and @unplugged; the first
 * plugged page into @pa.  A subblock that reads otherwise fails @t.
 */
static void virtio_mem_scan(struct __test_metadata *_metadata, int fd,
			    uint64_t *pa, int *plugged, int *unplugged)
{
	unsigned long long s, e, a;
	uint64_t bsz = memory_block_size();
	char line[256], buf[PAGE_MAX];
	FILE *f = fopen("/proc/iomem", "r");
	ssize_t n;

	*pa = 0;
	*plugged = *unplugged = 0;
	while (f && bsz && fgets(line, sizeof(line), f)) {
		if (!strstr(line, ": System RAM (virtio_mem)") ||
		    sscanf(line, " %llx-%llx", &s, &e) != 2)
			continue;
		for (a = s; a < e; a += 2 << 20) {
			if (!block_online(a / bsz))
				continue;
			n = read_at(fd, a, buf, PAGE);
			if (pfn_offline(a / PAGE) == 1) {
				EXPECT_EQ(-1, n);
				EXPECT_EQ(EFAULT, errno);
				(*unplugged)++;
				continue;
			}
			EXPECT_EQ((ssize_t)PAGE, n) TH_LOG("at %#llx", a);
			(*plugged)++;
			if (!*pa)
				*pa = a;
		}
	}
	if (f)
		fclose(f);
}

/*
 * RAM a driver manages (virtio-mem: "System RAM (virtio_mem)") is never
 * mapped, through any node: its driver unplugs parts of a block with no
 * notifier to revoke a mapping by (EPERM).  Its plugged pages read, its
 * unplugged ones in online blocks are EFAULT.  The hotplug boot plugs
 * 192 MiB, one memory block and half of the next.
 */
TEST_F_TIMEOUT(maps, driver_managed_ram_is_not_mapped, 120)
{
	int i, plugged = 0, unplugged = 0;
	uint64_t pa = 0, va;

	if (access("/sys/bus/virtio/drivers/virtio_mem", F_OK))
		SKIP(return, "no virtio-mem driver (the hotplug boot has one)");
	/* The driver plugs and onlines in the background. */
	for (i = 0; i < 300 && !(plugged && unplugged); i++, usleep(100000))
		virtio_mem_scan(_metadata, self->mem, &pa, &plugged,
				&unplugged);
	ASSERT_NE(0, plugged) TH_LOG("no online virtio-mem memory after 30 s");
	EXPECT_NE(0, unplugged) TH_LOG("%d subblocks plugged, none unplugged",
				       plugged);
	ASSERT_EQ(0, phys_to_direct_map(pa, &va));
	EXPECT_EQ(MAP_FAILED, map_at(self->mem, pa, PAGE, PROT_READ));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(MAP_FAILED, map_at(self->kmem, va, PAGE, PROT_READ));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(MAP_FAILED, map_at(self->allkmem, va, PAGE, PROT_READ));
	EXPECT_EQ(EPERM, errno);
}

static long mem_free_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/*
 * munmap and process exit leave nothing behind: 4 MiB of the kernel image
 * (where no test poisons a page) mapped 200 times would show any page kept.
 */
TEST_F(maps, many_mappings_leave_nothing_behind)
{
	const size_t len = 4 << 20;
	int i, status;
	long before, after;
	uint64_t pa;
	char *m;

	/* The kernel image: in use, so in the direct map under DEBUG_PAGEALLOC. */
	ASSERT_EQ(0, virt_to_phys_kcore(ksym("_stext"), &pa));
	before = mem_free_kb();
	for (i = 0; i < 100; i++) {
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (!pid) {
			/* Exit with the mappings still in place. */
			if (map_at(self->mem, pa, len, PROT_READ) == MAP_FAILED)
				_exit(errno);
			if (map_at(self->kmem, self->vbuf, 4 * PAGE,
				   PROT_READ) == MAP_FAILED)
				_exit(100 + errno);
			_exit(0);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_EQ(0, WEXITSTATUS(status));
		m = map_at(self->mem, pa, len, PROT_READ);
		ASSERT_NE(MAP_FAILED, m);
		ASSERT_EQ(0, munmap(m, len));
	}
	after = mem_free_kb();
	TH_LOG("MemFree %ld kB before, %ld kB after 200 mappings of 4 MiB",
	       before, after);
	/* A leak per mapping would be 800 MiB; allow the kernel's noise. */
	EXPECT_GT(32768, before - after);
}

TEST_HARNESS_MAIN
