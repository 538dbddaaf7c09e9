// SPDX-License-Identifier: GPL-2.0
/*
 * The memx command in the VM, each subcommand against a source outside
 * memx: /proc/iomem, /proc/version, /proc/kcore, the edu device's
 * documented registers and the helper module's buffer.  MEMX_TOOL names
 * the binary (default /tests/memx).
 */
#include <ctype.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "memx_test.h"

static char out[1 << 16];

/* Run "memx ARGS", its stdout and stderr into out; returns its exit code. */
static int memx(const char *args)
{
	const char *tool = getenv("MEMX_TOOL") ? : "/tests/memx";
	char cmd[512];
	size_t n;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", tool, args);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
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

TEST(read_banner_by_symbol_equals_proc_version)
{
	char version[512], args[128];
	uint8_t buf[512];
	uint64_t pa;
	size_t len;

	ASSERT_LT(0, read_file("/proc/version", version, sizeof(version)));
	len = strlen(version);
	snprintf(args, sizeof(args), "read linux_banner %zu", len);
	ASSERT_EQ(0, memx(args));
	ASSERT_EQ(len, hexdump_bytes(buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, version, len));
	/* +offset, and the physical node at the kcore physical address. */
	ASSERT_EQ(0, memx("read linux_banner+6 7"));
	ASSERT_EQ(7, hexdump_bytes(buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "version", 7));
	ASSERT_EQ(0, virt_to_phys_kcore(ksym("linux_banner"), &pa));
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
	EXPECT_EQ(2, memx("peek -w 4 linux_banner+1"));
	EXPECT_NE(NULL, strstr(out, "not aligned"));
	EXPECT_EQ(0, memx("help dump"));
	EXPECT_NE(NULL, strstr(out, "usage: memx dump"));
}

TEST(vtop_equals_phys_base_computation)
{
	uint64_t banner = ksym("linux_banner"), phys_base = 0;
	unsigned long long va, pa;
	int n;

	ASSERT_EQ(0, kcore_read(ksym("phys_base"), &phys_base, 8));
	ASSERT_EQ(0, memx("vtop linux_banner"));
	n = sscanf(out, "%llx -> %llx", &va, &pa);
	ASSERT_EQ(2, n);
	EXPECT_EQ(banner, va);
	EXPECT_EQ(banner - 0xffffffff80000000ULL + phys_base, pa);
	EXPECT_NE(NULL, strstr(out, "RAM"));
	EXPECT_NE(NULL, strstr(out, "read-only"));
}

TEST(peek_poke_edu_registers)
{
	uint64_t edu = edu_mmio();
	char args[128], was[4] = "N";

	if (!edu)
		SKIP(return, "edu device or memx_helper missing");
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

/*
 * Every format to /dev/null: all RAM ranges, and a memfd_secret page (gone
 * from the direct map) written as zeros and counted, not fatal.
 */
TEST(dump_each_format_to_dev_null)
{
	static const char * const fmt[] = { "raw", "lime", "elf" };
	struct ram_range r[64];
	char args[64], want[64], *p = NULL, *bad;
	int i, n = iomem_ram(r, 64);
	int sfd = syscall(SYS_memfd_secret, 0);

	if (sfd >= 0 && !ftruncate(sfd, PAGE)) {
		p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
		if (p != MAP_FAILED)
			memset(p, 1, PAGE);
	}
	for (i = 0; i < 3; i++) {
		snprintf(args, sizeof(args), "dump -o /dev/null --format %s",
			 fmt[i]);
		ASSERT_EQ(0, memx(args)) TH_LOG("%s", out);
		snprintf(want, sizeof(want), "in %d ranges", n);
		EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
		bad = strstr(out, "MB/s, ");
		if (p && p != MAP_FAILED)
			EXPECT_TRUE(bad && atoi(bad + 6) >= 1) TH_LOG("%s", out);
		TH_LOG("%s", out);
	}
	if (sfd >= 0)
		close(sfd);
}

TEST_HARNESS_MAIN
