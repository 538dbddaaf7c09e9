// SPDX-License-Identifier: GPL-2.0
/*
 * The memx command in the VM, each subcommand against a source outside
 * memx: /proc/iomem, /proc/version, /proc/kcore, the edu device's
 * documented registers and the helper module's buffer.  MEMX_TOOL names
 * the binary (default /tests/memx).
 */
#include <ctype.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/param.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "memx_test.h"

static char out[1 << 16];

static int memx_to(const char *args, const char *redir)
{
	return memx_run(args, redir, out, sizeof(out));
}

/* Run "memx ARGS", its stdout and stderr into out; returns its exit code. */
static int memx(const char *args)
{
	return memx_to(args, "2>&1");
}

/* The bytes of an xxd-style dump in out: "addr: 4c69 6e75 ...  ascii". */
static size_t hexdump_bytes(uint8_t *buf, size_t max)
{
	char *line = out, *p;
	unsigned int b;
	size_t n = 0;
	int k;

	for (; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		p = strchr(line, ':');
		if (!p)
			break;
		p++;
		for (k = 0; k < 16 && n < max; k++) {
			if (!(k % 2) && *p++ != ' ')
				break;
			if (!isxdigit(p[0]) || !isxdigit(p[1]) ||
			    sscanf(p, "%2x", &b) != 1)
				break;
			buf[n++] = b;
			p += 2;
		}
	}
	return n;
}

TEST(map_equals_proc_iomem)
{
	struct ram_range r[64];
	unsigned long long s, e;
	int i = 0, n = iomem_ram(r, 64);
	char *line;

	ASSERT_EQ(0, memx("map"));
	for (line = out; line && *line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (sscanf(line, "%llx-%llx", &s, &e) != 2)
			continue;
		ASSERT_GT(n, i);
		EXPECT_EQ(r[i].start, s);
		EXPECT_EQ(r[i].end - 1, e);
		i++;
	}
	EXPECT_EQ(n, i);
	EXPECT_NE(NULL, strstr(out, "total "));
}

/*
 * linux_banner + @plus as the memx command takes it: by name where
 * /proc/kallsyms lists it, else (no data symbols: arm64's 6.1) as _stext
 * plus an offset.
 */
static const char *banner_sym(char *buf, size_t size, uint64_t plus)
{
	if (ksym("linux_banner"))
		snprintf(buf, size, "linux_banner+%llu",
			 (unsigned long long)plus);
	else
		snprintf(buf, size, "_stext+%#llx",
			 (unsigned long long)(kbanner() - ksym("_stext") + plus));
	return buf;
}

TEST(read_banner_by_symbol_equals_proc_version)
{
	char version[512], args[128], sym[64];
	uint8_t buf[512];
	uint64_t pa;
	size_t len;

	ASSERT_LT(0, read_file("/proc/version", version, sizeof(version)));
	len = strlen(version);
	snprintf(args, sizeof(args), "read %s %zu",
		 banner_sym(sym, sizeof(sym), 0), len);
	ASSERT_EQ(0, memx(args));
	ASSERT_EQ(len, hexdump_bytes(buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, version, len));
	/* +offset, and the physical node at the kcore physical address. */
	snprintf(args, sizeof(args), "read %s 7",
		 banner_sym(sym, sizeof(sym), 6));
	ASSERT_EQ(0, memx(args));
	ASSERT_EQ(7, hexdump_bytes(buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "version", 7));
	ASSERT_EQ(0, virt_to_phys_kcore(kbanner(), &pa));
	snprintf(args, sizeof(args), "read --node memx %#llx 5",
		 (unsigned long long)pa);
	ASSERT_EQ(0, memx(args));
	ASSERT_EQ(5, hexdump_bytes(buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "Linux", 5));
}

TEST(errors_name_errno_address_and_node)
{
	EXPECT_EQ(1, memx("read 0x8000000000000000 8"));
	EXPECT_NE(NULL, strstr(out, "Bad address"));
	EXPECT_NE(NULL, strstr(out, "0x8000000000000000"));
	EXPECT_NE(NULL, strstr(out, "/dev/kmemx"));
	EXPECT_EQ(2, memx("read no_such_symbol_here"));
	EXPECT_NE(NULL, strstr(out, "no such symbol"));
	EXPECT_EQ(2, memx("peek -w 4 _stext+1"));
	EXPECT_NE(NULL, strstr(out, "not aligned"));
	EXPECT_EQ(0, memx("help dump"));
	EXPECT_NE(NULL, strstr(out, "usage: memx dump"));
}

/* And on x86-64, phys_base + (vaddr - __START_KERNEL_map). */
TEST(vtop_equals_kcore_and_phys_base_computation)
{
	uint64_t banner = kbanner(), kcore_pa, phys_base = 0;
	unsigned long long va, pa;
	char args[128], sym[64];
	int n;

	snprintf(args, sizeof(args), "vtop %s",
		 banner_sym(sym, sizeof(sym), 0));
	ASSERT_EQ(0, memx(args));
	n = sscanf(out, "%llx -> %llx", &va, &pa);
	ASSERT_EQ(2, n);
	EXPECT_EQ(banner, va);
	ASSERT_EQ(0, virt_to_phys_kcore(banner, &kcore_pa));
	EXPECT_EQ(kcore_pa, pa);
#ifdef __x86_64__
	ASSERT_EQ(0, kcore_read(ksym("phys_base"), &phys_base, 8));
	EXPECT_EQ(banner - 0xffffffff80000000ULL + phys_base, pa);
#else
	(void)phys_base;
#endif
	EXPECT_NE(NULL, strstr(out, "RAM"));
	EXPECT_NE(NULL, strstr(out, "read-only"));
}

TEST(peek_poke_edu_registers)
{
	char args[128], was[4] = "N";
	uint64_t edu;

	if (!edu_present())
		SKIP(return, "no edu device (QEMU -device edu)");
	edu = edu_mmio();
	ASSERT_NE(0, edu) TH_LOG("memx_helper did not map the edu BAR");
	snprintf(args, sizeof(args), "peek -w 4 %#llx", (unsigned long long)edu);
	ASSERT_EQ(0, memx(args));
	EXPECT_NE(NULL, strstr(out, ": 0x10000ed"));

	read_file(WRITABLE, was, sizeof(was));
	ASSERT_EQ(0, write_str(WRITABLE, "N"));
	snprintf(args, sizeof(args), "poke -w 4 %#llx 0x12345678",
		 (unsigned long long)edu + 4);
	EXPECT_EQ(1, memx(args));
	EXPECT_NE(NULL, strstr(out, "writable"));
	ASSERT_EQ(0, write_str(WRITABLE, "Y"));
	EXPECT_EQ(0, memx(args));
	write_str(WRITABLE, was);
	/* The liveness register reads back inverted. */
	EXPECT_NE(NULL, strstr(out, "wrote 0x12345678, read back 0xedcba987"));
}

TEST(write_bytes_seen_by_kernel)
{
	uint64_t vbuf = read_num(HELPER "vbuf_addr", 0);
	char args[128], was[4] = "N", blob[64];
	int fd;

	if (!vbuf)
		SKIP(return, "memx_helper not loaded");
	read_file(WRITABLE, was, sizeof(was));
	ASSERT_EQ(0, write_str(WRITABLE, "Y"));
	snprintf(args, sizeof(args), "write %#llx 'de ad be ef'",
		 (unsigned long long)vbuf + 40);
	EXPECT_EQ(0, memx(args));
	write_str(WRITABLE, was);
	fd = open(HELPER "vbuf", O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(sizeof(blob), read(fd, blob, sizeof(blob)));
	close(fd);
	EXPECT_EQ(0, memcmp(blob + 40, "\xde\xad\xbe\xef", 4));
}

/* --help is asked for: stdout, 0.  A usage error: stderr, 2. */
TEST(usage_help_and_exit_codes)
{
	EXPECT_EQ(0, memx_to("--help", "2>/dev/null"));
	EXPECT_NE(NULL, strstr(out, "usage: memx dump"));
	EXPECT_EQ(0, memx_to("-h", "2>/dev/null"));
	EXPECT_NE(NULL, strstr(out, "Exit: 0 success"));
	EXPECT_EQ(0, memx_to("dump --help", "2>/dev/null"));
	EXPECT_NE(NULL, strstr(out, "usage: memx dump"));
	EXPECT_EQ(2, memx_to("dump -o /tmp/x --compress zstd", "2>/dev/null"));
	EXPECT_EQ(2, memx_to("dump -o /tmp/x --format kdump --compress gz",
			     "2>/dev/null"));
	EXPECT_EQ(2, memx_to("dump -o /tmp/x --format kdump -j 0", "2>/dev/null"));
	EXPECT_EQ(2, memx_to("dump -o /tmp/x --format kdump -j 65", "2>/dev/null"));
	EXPECT_EQ(2, memx_to("dump -o /tmp/x --compress none", "2>/dev/null"));
	EXPECT_EQ(2, memx_to("dump -o /tmp/x --exclude user", "2>/dev/null"));
	EXPECT_EQ(2, memx_to("dump -o /tmp/x --format kdump --exclude user,bogus",
			     "2>/dev/null"));
	EXPECT_EQ(2, memx_to("dump -o /tmp/x --format kdump --exclude 32",
			     "2>/dev/null"));
	EXPECT_EQ(2, memx_to("dump -o /tmp/x --format kdump --exclude ,",
			     "2>/dev/null"));
	EXPECT_EQ(2, memx_to("dump -o - --hash sha256", "2>/dev/null"));
	EXPECT_EQ(2, memx_to("dump -o /tmp/x --hash md5", "2>/dev/null"));
	EXPECT_EQ(2, memx_to("verify", "2>/dev/null"));
	EXPECT_EQ(0, memx_to("help peek", "2>/dev/null"));
	EXPECT_NE(NULL, strstr(out, "usage: memx peek"));
	EXPECT_EQ(2, memx_to("", "2>/dev/null"));
	EXPECT_STREQ("", out);
	EXPECT_EQ(2, memx_to("", "2>&1 >/dev/null"));
	EXPECT_NE(NULL, strstr(out, "usage:"));
	EXPECT_EQ(2, memx_to("help nosuch", "2>&1 >/dev/null"));
	EXPECT_NE(NULL, strstr(out, "nosuch"));
	EXPECT_EQ(2, memx_to("nosuch", "2>&1 >/dev/null"));
	EXPECT_EQ(2, memx("read --node mem _stext"));
	EXPECT_NE(NULL, strstr(out, "not memx, kmemx or allkmemx"));
}

/* Every number whole, in range and of the type it is used as. */
TEST(bad_numbers_are_refused_before_any_access)
{
	char args[128], was[4] = "N";
	uint64_t edu;

	EXPECT_EQ(2, memx("peek -w 0x100000004 _stext"));
	EXPECT_NE(NULL, strstr(out, "width")) TH_LOG("%s", out);
	EXPECT_EQ(2, memx("read ' -1' 8"));
	EXPECT_EQ(2, memx("read 4096junk 8"));
	EXPECT_EQ(2, memx("read 0x10000000000000000 8"));
	EXPECT_EQ(2, memx("read _stext+0xffffffffffffffff 8"));
	EXPECT_NE(NULL, strstr(out, "past the end")) TH_LOG("%s", out);
	EXPECT_EQ(2, memx("read _stext 8x"));
	EXPECT_EQ(2, memx("read _stext ' -1'"));
	if (!edu_present())
		SKIP(return, "no edu device (QEMU -device edu)");
	edu = edu_mmio();
	ASSERT_NE(0, edu) TH_LOG("memx_helper did not map the edu BAR");
	read_file(WRITABLE, was, sizeof(was));
	ASSERT_EQ(0, write_str(WRITABLE, "Y"));
	snprintf(args, sizeof(args), "poke -w 4 %#llx 0x11",
		 (unsigned long long)edu + 4);
	EXPECT_EQ(0, memx(args));
	/* 0x1234 does not fit a byte: refused, the register unchanged. */
	snprintf(args, sizeof(args), "poke -w 1 %#llx 0x1234",
		 (unsigned long long)edu + 4);
	EXPECT_EQ(2, memx(args));
	EXPECT_NE(NULL, strstr(out, "does not fit")) TH_LOG("%s", out);
	write_str(WRITABLE, was);
	snprintf(args, sizeof(args), "peek -w 4 %#llx",
		 (unsigned long long)edu + 4);
	EXPECT_EQ(0, memx(args));
	EXPECT_NE(NULL, strstr(out, ": 0xffffffee")) TH_LOG("%s", out);
}

#define DUMPS	"/tmp/dumps"

/*
 * The dumps cover the kernel image only (tens of MiB, not all RAM): what
 * they prove is the format and the bytes, checked against /proc/version at
 * addresses /proc/kcore gives.
 */
FIXTURE(dumps) {
	uint64_t first, last, pa;	/* --range, the banner's address */
	char range[64], version[512];
	size_t len;
};

FIXTURE_SETUP(dumps)
{
	uint64_t text, end, image = 0, image_end = 0;

	ASSERT_EQ(0, kcore_image(&image, &image_end));
	ASSERT_EQ(0, virt_to_phys_kcore(image, &text));
	ASSERT_EQ(0, virt_to_phys_kcore(image_end - 1, &end));
	ASSERT_EQ(0, virt_to_phys_kcore(kbanner(), &self->pa));
	self->first = text & ~0xfffffULL;
	self->last = (end | 0xfffff) + 1;
	snprintf(self->range, sizeof(self->range), "%#llx-%#llx",
		 (unsigned long long)self->first,
		 (unsigned long long)self->last);
	ASSERT_LT(0, read_file("/proc/version", self->version,
			       sizeof(self->version)));
	self->len = strlen(self->version);
	mkdir(DUMPS, 0700);
}

FIXTURE_TEARDOWN(dumps)
{
	umount(DUMPS "/full");
	if (system("rm -rf " DUMPS))
		TH_LOG("cannot remove " DUMPS);
}

/* @len bytes at @off of @path equal @want. */
static int file_has(const char *path, uint64_t off, const char *want,
		    size_t len)
{
	char buf[512];
	int fd = open(path, O_RDONLY), ok;

	if (fd < 0)
		return 0;
	ok = pread(fd, buf, len, off) == (ssize_t)len && !memcmp(buf, want, len);
	close(fd);
	return ok;
}

/* The file offset of address @a in the ELF core's PT_LOADs, header order. */
static uint64_t elf_offset(const char *path, uint64_t a, int virt,
			   Elf64_Phdr *first)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	uint64_t off = 0;
	int fd = open(path, O_RDONLY), i, nload = 0;

	if (fd < 0 || pread(fd, &eh, sizeof(eh), 0) != sizeof(eh))
		goto out;
	for (i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)) !=
		    sizeof(ph))
			break;
		if (ph.p_type != PT_LOAD)
			continue;
		if (!nload++)
			*first = ph;
		if (a >= (virt ? ph.p_vaddr : ph.p_paddr) &&
		    a - (virt ? ph.p_vaddr : ph.p_paddr) < ph.p_filesz) {
			off = ph.p_offset + a - (virt ? ph.p_vaddr : ph.p_paddr);
			break;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	return off;
}

TEST_F_TIMEOUT(dumps, each_format_holds_the_kernel_image, 600)
{
	uint64_t start, endi, off, image = 0, image_end = 0;
	uint8_t hdr[32];
	Elf64_Phdr first;
	char args[256];
	int fd;

	snprintf(args, sizeof(args), "dump -o %s/r --range %s", DUMPS,
		 self->range);
	ASSERT_EQ(0, memx(args)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "dumped")) TH_LOG("%s", out);
	EXPECT_TRUE(file_has(DUMPS "/r", self->pa, self->version, self->len));

	snprintf(args, sizeof(args), "dump -o %s/l --format lime --range %s",
		 DUMPS, self->range);
	ASSERT_EQ(0, memx(args)) TH_LOG("%s", out);
	fd = open(DUMPS "/l", O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(32, pread(fd, hdr, 32, 0));
	close(fd);
	memcpy(&start, hdr + 8, 8);
	memcpy(&endi, hdr + 16, 8);
	EXPECT_EQ(0x4C694D45, *(uint32_t *)hdr);
	EXPECT_EQ(self->first, start);
	EXPECT_EQ(self->last - 1, endi);
	EXPECT_TRUE(file_has(DUMPS "/l", 32 + self->pa - self->first,
			     self->version, self->len));

	snprintf(args, sizeof(args), "dump -o %s/e --format elf --range %s",
		 DUMPS, self->range);
	ASSERT_EQ(0, memx(args)) TH_LOG("%s", out);
	/* By the kernel image's virtual address, and by the physical one. */
	off = elf_offset(DUMPS "/e", kbanner(), 1, &first);
	EXPECT_TRUE(file_has(DUMPS "/e", off, self->version, self->len));
	ASSERT_EQ(0, kcore_image(&image, &image_end));
	EXPECT_EQ(image, first.p_vaddr);
	EXPECT_EQ(0, first.p_align);
	off = elf_offset(DUMPS "/e", self->pa, 0, &first);
	EXPECT_TRUE(file_has(DUMPS "/e", off, self->version, self->len));
}

/*
 * Every format reads with -j threads, each a 1 MiB chunk ahead of the
 * writer: 64 KiB of read-only data from the banner's page on, at its
 * physical address in each format, as /proc/kcore reads it; -j 1 and 4.
 */
TEST_F_TIMEOUT(dumps, threads_keep_every_format_in_order, 900)
{
	static const char *const fmt[] = { "raw", "lime", "elf" };
	uint64_t va = kbanner() & ~0xfffULL, pa, off;
	static uint8_t want[65536], got[65536];
	char args[256], path[64];
	Elf64_Phdr first;
	unsigned int i, j;
	int fd;

	ASSERT_EQ(0, kcore_read(va, want, sizeof(want)));
	ASSERT_EQ(0, virt_to_phys_kcore(va, &pa));
	for (i = 0; i < ARRAY_SIZE(fmt); i++) {
		for (j = 1; j <= 4; j += 3) {
			snprintf(path, sizeof(path), DUMPS "/j%u.%s", j, fmt[i]);
			snprintf(args, sizeof(args), "dump -o %s --format %s -j %u --range %s",
				 path, fmt[i], j, self->range);
			ASSERT_EQ(0, memx(args)) TH_LOG("%s", out);
			off = i == 0 ? pa : i == 1 ? 32 + pa - self->first :
			      elf_offset(path, pa, 0, &first);
			ASSERT_NE(0, off);
			fd = open(path, O_RDONLY);
			ASSERT_LE(0, fd);
			EXPECT_EQ(sizeof(got), pread(fd, got, sizeof(got), off));
			close(fd);
			EXPECT_EQ(0, memcmp(want, got, sizeof(got)))
				TH_LOG("%s -j %u differs from /proc/kcore", fmt[i], j);
			unlink(path);
		}
	}
}

/*
 * A memfd_secret page is unreadable: counted, the dump goes on; raw writes
 * it as zeros, a kdump leaves it out (absent) and holds its neighbours.
 */
TEST_F_TIMEOUT(dumps, secretmem_page_is_zeros_or_absent, 600)
{
	char args[256], *p;
	int sfd = syscall(SYS_memfd_secret, 0);
	unsigned long long pa;

	if (sfd < 0)
		SKIP(return, "memfd_secret: %s", strerror(errno));
	ASSERT_EQ(0, ftruncate(sfd, PAGE));
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 1, PAGE);
	pa = user_phys(p);
	ASSERT_NE(0, pa);
	snprintf(args, sizeof(args), "dump -o %s/s --range %#llx-%#llx",
		 DUMPS, pa - PAGE, pa + 2 * PAGE);
	ASSERT_EQ(0, memx(args)) TH_LOG("%s", out);
	/* Pages are the kernel's, 16 KiB ones too (docs/design.md). */
	EXPECT_NE(NULL, strstr(out, " 1 unreadable pages written as zeros"))
		TH_LOG("%s", out);
	snprintf(args, sizeof(args),
		 "dump -o %s/k --format kdump --range %#llx-%#llx", DUMPS,
		 pa - PAGE, pa + 2 * PAGE);
	ASSERT_EQ(0, memx(args)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, " 1 unreadable pages left out"))
		TH_LOG("%s", out);
	EXPECT_EQ(0, kdump_holds(DUMPS "/k", pa / PAGE));
	EXPECT_EQ(1, kdump_holds(DUMPS "/k", pa / PAGE - 1));
	EXPECT_EQ(1, kdump_holds(DUMPS "/k", pa / PAGE + 1));
	munmap(p, PAGE);
	close(sfd);
}

/* Flip byte @off of @path (from its end when negative). */
static int flip_byte(const char *path, off_t off)
{
	int fd = open(path, O_RDWR), ok;
	struct stat st;
	uint8_t b;

	if (fd < 0 || fstat(fd, &st))
		return -1;
	if (off < 0)
		off += st.st_size;
	ok = pread(fd, &b, 1, off) == 1 && (b ^= 0xff, 1) &&
	     pwrite(fd, &b, 1, off) == 1;
	close(fd);
	return ok ? 0 : -1;
}

/*
 * --hash sha256: FILE.sha256 passes sha256sum -c, and memx verify passes;
 * a byte flipped in the data (ELF: the banner; kdump: the last byte, in a
 * page's zstd data) fails both, and verify names the range (kdump: as
 * differing, or as holding a page that no longer decompresses).
 */
static void hash_verify(struct __test_metadata *_metadata, const char *fmt,
			const char *whole, uint64_t lo, uint64_t hi, uint64_t pa)
{
	char args[256], path[64], range[64];
	Elf64_Phdr first;
	off_t where = -1;

	snprintf(path, sizeof(path), DUMPS "/h.%s", fmt);
	snprintf(args, sizeof(args), "dump -o %s --format %s --hash sha256 --range %s",
		 path, fmt, whole);
	ASSERT_EQ(0, memx(args)) TH_LOG("%s", out);
	snprintf(args, sizeof(args), "cd " DUMPS " && sha256sum -c h.%s.sha256 >/dev/null 2>&1",
		 fmt);
	EXPECT_EQ(0, system(args));
	snprintf(args, sizeof(args), "verify %s", path);
	EXPECT_EQ(0, memx(args)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "SHA-256 matches, 1 range digests match"))
		TH_LOG("%s", out);
	if (!strcmp(fmt, "elf"))
		where = elf_offset(path, pa, 0, &first);
	ASSERT_EQ(0, flip_byte(path, where));
	snprintf(args, sizeof(args), "cd " DUMPS " && sha256sum -c h.%s.sha256 >/dev/null 2>&1",
		 fmt);
	EXPECT_NE(0, system(args));
	snprintf(args, sizeof(args), "verify %s", path);
	EXPECT_EQ(1, memx(args)) TH_LOG("%s", out);
	/* kdump: the page may no longer decompress; either way, the range. */
	snprintf(range, sizeof(range), "range %#llx-%#llx%s",
		 (unsigned long long)lo, (unsigned long long)hi,
		 strcmp(fmt, "elf") ? "" : " differs");
	EXPECT_NE(NULL, strstr(out, range)) TH_LOG("%s", out);
}

TEST_F_TIMEOUT(dumps, elf_hash_names_a_changed_range, 600)
{
	hash_verify(_metadata, "elf", self->range, self->first, self->last,
		    self->pa);
}

TEST_F_TIMEOUT(dumps, kdump_hash_names_a_changed_range, 600)
{
	hash_verify(_metadata, "kdump", self->range, self->first, self->last,
		    self->pa);
}

/* A kdump needs a file to seek back in: a pipe is refused, exit 1. */
/* A kdump seeks: standard output and a pipe are refused, /dev/null is not. */
TEST_F_TIMEOUT(dumps, kdump_to_a_pipe_is_refused, 600)
{
	char args[256];

	snprintf(args, sizeof(args), "dump -o - --format kdump --range %s",
		 self->range);
	EXPECT_EQ(1, memx(args));
	EXPECT_NE(NULL, strstr(out, "give -o a file")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "dumped")) TH_LOG("%s", out);
	unlink(DUMPS "/fifo");
	ASSERT_EQ(0, mkfifo(DUMPS "/fifo", 0600));
	snprintf(args, sizeof(args),
		 "dump -o %s/fifo --format kdump --range %s 2>&1 <> %s/fifo",
		 DUMPS, self->range, DUMPS);
	EXPECT_EQ(1, memx(args));
	EXPECT_NE(NULL, strstr(out, "give -o a file")) TH_LOG("%s", out);
	unlink(DUMPS "/fifo");
	snprintf(args, sizeof(args), "dump -o /dev/null --format kdump --range %s",
		 self->range);
	EXPECT_EQ(0, memx(args)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "dumped")) TH_LOG("%s", out);
}

/*
 * A full disk: exit 1, the errno and the file named, no file left.  The
 * kdump's writer fails while its reading threads run on: they stop too.
 */
TEST_F_TIMEOUT(dumps, full_disk_fails_and_leaves_nothing, 600)
{
	static const char *const fmt[] = { "lime", "kdump --compress none -j 2" };
	char args[256];
	struct stat st;
	unsigned int i;

	mkdir(DUMPS "/full", 0700);
	ASSERT_EQ(0, mount("tmpfs", DUMPS "/full", "tmpfs", 0, "size=1m"));
	for (i = 0; i < ARRAY_SIZE(fmt); i++) {
		snprintf(args, sizeof(args), "dump -o %s/full/x --format %s --range %s",
			 DUMPS, fmt[i], self->range);
		EXPECT_EQ(1, memx(args)) TH_LOG("%s", fmt[i]);
		EXPECT_NE(NULL, strstr(out, "No space left on device")) TH_LOG("%s", out);
		EXPECT_NE(NULL, strstr(out, DUMPS "/full/x")) TH_LOG("%s", out);
		EXPECT_EQ(NULL, strstr(out, "dumped")) TH_LOG("%s", out);
		EXPECT_NE(0, stat(DUMPS "/full/x", &st));
		EXPECT_EQ(0, system("[ -z \"$(ls -A " DUMPS "/full)\" ]"));
	}
	umount(DUMPS "/full");
}

/*
 * Start "memx dump ARGS" with standard output and error to pipes; returns
 * its pid, the read ends in @data and @err.
 */
static pid_t dump_child(const char *args, int *data, int *err)
{
	int d[2], e[2];
	char cmd[512];
	pid_t pid;

	if (pipe(d) || pipe(e))
		return -1;
	snprintf(cmd, sizeof(cmd), "exec %s dump %s",
		 getenv("MEMX_TOOL") ? : "/tests/memx", args);
	pid = fork();
	if (!pid) {
		dup2(d[1], 1);
		dup2(e[1], 2);
		close(d[0]);
		close(e[0]);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(d[1]);
	close(e[1]);
	*data = d[0];
	*err = e[0];
	return pid;
}

/* Exit status of @pid, its standard error into out. */
static int dump_wait(pid_t pid, int err)
{
	size_t len = 0;
	ssize_t n;
	int st;

	while ((n = read(err, out + len, sizeof(out) - 1 - len)) > 0)
		len += n;
	out[len] = 0;
	close(err);
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static uint64_t count_zeros(const char *buf, uint64_t len)
{
	uint64_t i, zeros = 0;

	for (i = 0; i < len; i++)
		zeros += !buf[i];
	return zeros;
}

#define STREAM_LEN	(64 << 10)

/*
 * -o -: the data on standard output, raw with its holes as zeros so that
 * offsets stay physical addresses; the status on standard error only.
 * A stream pays for every byte of the holes below its range, and the
 * kernel image can sit gigabytes up (KASLR): the range is the first 64 KiB
 * of the lowest RAM instead, which the kernel leaves alone once booted
 * (x86-64's reserved low memory, arm64's device tree), /proc/kcore's bytes
 * read just before.  The zeros are compared a read at a time, and counted
 * a byte at a time only where a read holds something else.
 */
TEST_F_TIMEOUT(dumps, stdout_stream_holds_only_data, 600)
{
	static const char zero[1 << 20];
	static char buf[1 << 20], want[STREAM_LEN], got[STREAM_LEN];
	uint64_t pos = 0, zeros = 0, lo, hi, va, end;
	struct ram_range ram;
	char args[256];
	int data, err;
	ssize_t n;
	pid_t pid;

	ASSERT_EQ(1, iomem_ram(&ram, 1));
	end = MIN(ram.end, ram.start + STREAM_LEN);
	ASSERT_EQ(0, phys_to_direct_map(ram.start, &va));
	ASSERT_EQ(0, kcore_read(va, want, end - ram.start));
	snprintf(args, sizeof(args), "-o - --range %#llx-%#llx",
		 (unsigned long long)ram.start, (unsigned long long)end);
	pid = dump_child(args, &data, &err);
	ASSERT_LT(0, pid);
	while ((n = read(data, buf, sizeof(buf))) > 0) {
		hi = ram.start > pos ? MIN(ram.start - pos, (uint64_t)n) : 0;
		zeros += memcmp(buf, zero, hi) ? count_zeros(buf, hi) : hi;
		lo = MAX(pos, ram.start);
		hi = MIN(pos + n, end);
		if (lo < hi)
			memcpy(got + lo - ram.start, buf + lo - pos, hi - lo);
		pos += n;
	}
	close(data);
	EXPECT_EQ(0, dump_wait(pid, err));
	EXPECT_NE(NULL, strstr(out, "dumped")) TH_LOG("%s", out);
	EXPECT_EQ(end, pos);
	EXPECT_EQ(ram.start, zeros);
	EXPECT_EQ(0, memcmp(got, want, end - ram.start))
		TH_LOG("%s differs from /proc/kcore", args);
}

/*
 * A LiME dump of @range to a pipe, stopped once it is writing: by closing
 * the pipe (@sig 0) or by signal @sig.  It must exit 1, say @why, and print
 * no summary.
 */
static void stop_dump(struct __test_metadata *_metadata, const char *range,
		      int sig, const char *why)
{
	char args[256], buf[64];
	int data, err;
	pid_t pid;

	snprintf(args, sizeof(args), "-o - --format lime --range %s", range);
	pid = dump_child(args, &data, &err);
	ASSERT_LT(0, pid);
	/* The header and the start of a 1 MiB write: it is now blocked. */
	ASSERT_EQ(32, read(data, buf, 32));
	ASSERT_EQ(sizeof(buf), read(data, buf, sizeof(buf)));
	EXPECT_EQ(0, sig ? kill(pid, sig) : close(data));
	EXPECT_EQ(1, dump_wait(pid, err));
	EXPECT_NE(NULL, strstr(out, why)) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "dumped")) TH_LOG("%s", out);
	if (sig)
		close(data);
}

TEST_F_TIMEOUT(dumps, closed_pipe_fails_loudly, 600)
{
	stop_dump(_metadata, self->range, 0, "Broken pipe");
}

TEST_F_TIMEOUT(dumps, sigterm_stops_the_dump, 600)
{
	stop_dump(_metadata, self->range, SIGTERM, "interrupted by Terminated");
}

#define ISF	"/tmp/isf.json"

/* The number after @key in the ISF's text, or UINT64_MAX. */
static uint64_t isf_num(const char *isf, const char *key)
{
	const char *p = strstr(isf, key);

	return p ? strtoull(p + strlen(key), NULL, 10) : UINT64_MAX;
}

static uint64_t isf_addr(const char *isf, const char *sym)
{
	char key[128];

	snprintf(key, sizeof(key), "\"%s\":{\"address\":", sym);
	return isf_num(isf, key);
}

static uint64_t isf_size(const char *isf, const char *type)
{
	char key[128];

	snprintf(key, sizeof(key), "\"%s\":{\"kind\":\"struct\",\"size\":", type);
	return isf_num(isf, key);
}

/* VMCOREINFO's KERNELOFFSET, read through /dev/memx; 0 if it has none. */
static uint64_t kernel_offset(void)
{
	unsigned long long pa;
	unsigned int size;
	char info[8192] = "", *p;
	FILE *f = fopen("/sys/kernel/vmcoreinfo", "r");
	int fd = open("/dev/memx", O_RDONLY);

	if (f && fscanf(f, "%llx %x", &pa, &size) == 2 && fd >= 0)
		pread(fd, info, size < sizeof(info) ? size : sizeof(info) - 1,
		      pa);
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	p = memmem(info, sizeof(info), "KERNELOFFSET=", 13);
	return p ? strtoull(p + 13, NULL, 16) : 0;
}

/* Base64 of @len bytes (the test's own encoder, not memx's). */
static void base64(const uint8_t *in, size_t len, char *out)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;
	uint32_t v;

	for (i = 0; i < len; i += 3, out += 4) {
		v = in[i] << 16 | (i + 1 < len ? in[i + 1] << 8 : 0) |
		    (i + 2 < len ? in[i + 2] : 0);
		out[0] = abc[v >> 18];
		out[1] = abc[v >> 12 & 63];
		out[2] = i + 1 < len ? abc[v >> 6 & 63] : '=';
		out[3] = i + 2 < len ? abc[v & 63] : '=';
	}
	*out = 0;
}

/*
 * A slab cache's object size (SLUB's /sys/kernel/slab/NAME/object_size,
 * the struct's size, where /proc/slabinfo has it aligned); 0 if the cache
 * is not there or is merged into another (a link: the other's size).
 */
static uint64_t slab_objsize(const char *cache)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/kernel/slab/%s", cache);
	if (lstat(path, &st) || !S_ISDIR(st.st_mode))
		return 0;
	strcat(path, "/object_size");
	return read_num(path, 0);
}

/* @sym in the ISF at its kallsyms address less KASLR's offset @off. */
static void isf_has_symbol(struct __test_metadata *_metadata,
			   const char *isf, const char *sym, uint64_t off)
{
	EXPECT_EQ(ksym(sym) - off, isf_addr(isf, sym))
		TH_LOG("symbol %s, KERNELOFFSET %#llx", sym,
		       (unsigned long long)off);
}

FIXTURE(isf) {
	char *text;
};

FIXTURE_SETUP(isf)
{
	self->text = NULL;
}

FIXTURE_TEARDOWN(isf)
{
	free(self->text);
	unlink(ISF);
}

/*
 * memx isf on the running kernel against what the kernel says without
 * BTF: kallsyms less VMCOREINFO's KERNELOFFSET for the symbols Volatility
 * starts from, /proc/version for the banner's bytes, and SLUB's object
 * sizes for the structs with a cache of their own (task_struct's only on
 * arm64: x86-64's holds the FPU state too).  Without data symbols
 * in kallsyms (arm64's 6.1), exit 1 naming init_task.
 */
TEST_F_TIMEOUT(isf, isf_agrees_with_kallsyms_version_and_slab_sizes, 600)
{
	static const char *const syms[] = {
		"_text", "init_task", "linux_banner", "init_files", "modules",
	};
	/* Caches with a constructor or a usercopy region are never merged. */
	static const char *const slabs[][2] = {
		{ "dentry", "dentry" }, { "inode", "inode_cache" },
		{ "sighand_struct", "sighand_cache" },
		{ "anon_vma", "anon_vma" }, { "xa_node", "radix_tree_node" },
		{ "socket_alloc", "sock_inode_cache" },
		{ "proc_inode", "proc_inode_cache" }, { "tcp_sock", "TCP" },
		{ "vm_area_struct", "vm_area_struct" }, { "file", "filp" },
		{ "cred", "cred_jar" }, { "files_struct", "files_cache" },
#ifdef __aarch64__
		{ "task_struct", "task_struct" },
#endif
	};
	char version[512], want[1024], *p;
	uint64_t off = kernel_offset(), size;
	unsigned int i, sizes = 0;
	struct stat st;
	int fd;

	if (!ksym("init_task")) {
		EXPECT_EQ(1, memx("isf -o " ISF));
		EXPECT_NE(NULL, strstr(out, "lists no init_task"));
		EXPECT_NE(0, access(ISF, F_OK));
		return;
	}
	ASSERT_EQ(0, memx("isf -o " ISF)) TH_LOG("%s", out);
	fd = open(ISF, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(fd, &st));
	self->text = calloc(1, st.st_size + 1);
	ASSERT_NE(NULL, self->text);
	ASSERT_EQ(st.st_size, read(fd, self->text, st.st_size));
	close(fd);
	for (i = 0; i < ARRAY_SIZE(syms); i++)
		isf_has_symbol(_metadata, self->text, syms[i], off);
	ASSERT_LT(0, read_file("/proc/version", version, sizeof(version)));
	strcpy(want, "\"constant_data\":\"");
	base64((uint8_t *)version, strlen(version) + 1, want + strlen(want));
	p = strstr(self->text, "\"linux_banner\":{");
	ASSERT_NE(NULL, p);
	EXPECT_NE(NULL, strstr(p, want)) TH_LOG("no %s", want);
	for (i = 0; i < ARRAY_SIZE(slabs); i++) {
		size = slab_objsize(slabs[i][1]);
		if (!size)
			continue;
		EXPECT_EQ(size, isf_size(self->text, slabs[i][0]))
			TH_LOG("struct %s, slab %s", slabs[i][0], slabs[i][1]);
		sizes++;
	}
	EXPECT_LE(3, sizes);
}

TEST_HARNESS_MAIN
