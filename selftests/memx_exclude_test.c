// SPDX-License-Identifier: GPL-2.0
/*
 * memx dump --format kdump --exclude: pages of a known kind, made here
 * and found through /proc/self/pagemap, are absent from the kdump's second
 * bitmap when their class is left out and held when another is; the free
 * pages left out agree with the kernel's own count (MemFree).  Runs on
 * every kernel line: the struct page layout it reads changes with them.
 */
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "memx_test.h"

#define DIR		"/tmp/excl"
#define HUGE		(2UL << 20)
#define NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"

static char out[1 << 14];

/*
 * "memx dump --format kdump --exclude WHAT" of [@pa, @pa + @len) into
 * DIR/k; the exit code, memx's messages in out.
 */
static int kdump_of(const char *what, uint64_t pa, size_t len)
{
	char args[256];

	snprintf(args, sizeof(args),
		 "dump -o " DIR "/k --format kdump --exclude %s --range %#llx-%#llx",
		 what, (unsigned long long)pa, (unsigned long long)(pa + len));
	return memx_run(args, "2>&1", out, sizeof(out));
}

/* N of "left out ... N NAME" in out, or -1. */
static long left_out(const char *name)
{
	char *p = strstr(out, "left out "), word[32];
	int len;
	long n;

	while (p && sscanf(p, "%*[^0-9]%ld %31[a-z-]%n", &n, word, &len) == 2) {
		if (!strcmp(word, name))
			return n;
		p += len;
	}
	return -1;
}

/*
 * The first page of a tmpfs file of @fill, mapped shared: page cache.  A
 * new page reaches its LRU list through a per-CPU batch: on one CPU, 64
 * pages fill the batch that holds the first.
 */
static void *cache_page(int fill)
{
	int fd = open(DIR "/f", O_RDWR | O_CREAT | O_TRUNC, 0600), i;
	cpu_set_t cpu0;
	char page[PAGE];
	void *p;

	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	memset(page, fill, PAGE);
	if (fd < 0 || sched_setaffinity(0, sizeof(cpu0), &cpu0))
		return MAP_FAILED;
	for (i = 0; i < 64; i++)
		if (write(fd, page, PAGE) != PAGE)
			return MAP_FAILED;
	/* Mapped in at once: pagemap has it. */
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
	close(fd);
	return p;
}

static uint64_t meminfo_pages(const char *key)
{
	char buf[4096], *p;

	if (read_file("/proc/meminfo", buf, sizeof(buf)) <= 0)
		return 0;
	p = strstr(buf, key);
	return p ? strtoull(p + strlen(key), NULL, 10) * 1024 / PAGE : 0;
}

FIXTURE(excl) {
	int unused;
};

FIXTURE_SETUP(excl)
{
	mkdir(DIR, 0700);
}

FIXTURE_TEARDOWN(excl)
{
	if (system("rm -rf " DIR))
		TH_LOG("cannot remove " DIR);
}

/*
 * The page of ours at @p is of @kind: absent and counted when that is left
 * out, held when the @others are.
 */
static void only_kind(struct __test_metadata *_metadata, const void *p,
		      const char *kind, const char *others)
{
	uint64_t pa = user_phys(p);

	ASSERT_NE(0, pa);
	ASSERT_EQ(0, kdump_of(kind, pa, PAGE)) TH_LOG("%s", out);
	EXPECT_EQ(0, kdump_holds(DIR "/k", pa / PAGE));
	EXPECT_EQ(1, left_out(kind)) TH_LOG("%s", out);
	ASSERT_EQ(0, kdump_of(others, pa, PAGE)) TH_LOG("%s", out);
	EXPECT_EQ(1, kdump_holds(DIR "/k", pa / PAGE));
}

TEST_F_TIMEOUT(excl, anonymous_page_is_user, 600)
{
	char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0x5a, PAGE);
	only_kind(_metadata, p, "user", "cache,free,zero");
	munmap(p, PAGE);
}

TEST_F_TIMEOUT(excl, tmpfs_page_is_cache, 600)
{
	char *p = cache_page(0xa5);

	ASSERT_NE(MAP_FAILED, p);
	only_kind(_metadata, p, "cache", "user,free,zero");
	munmap(p, PAGE);
}

/*
 * A page of zeros of a kind not left out: counted as zero and held (stored
 * once, it reads as zeros, as in makedumpfile's level 1); a page of ones
 * is not counted.
 */
TEST_F_TIMEOUT(excl, page_of_zeros_is_zero, 600)
{
	char *p = cache_page(0);
	uint64_t pa;

	ASSERT_NE(MAP_FAILED, p);
	pa = user_phys(p);
	ASSERT_NE(0, pa);
	ASSERT_EQ(0, kdump_of("zero", pa, PAGE)) TH_LOG("%s", out);
	EXPECT_EQ(1, kdump_holds(DIR "/k", pa / PAGE));
	EXPECT_EQ(1, left_out("zero")) TH_LOG("%s", out);
	munmap(p, PAGE);
	p = cache_page(1);
	ASSERT_NE(MAP_FAILED, p);
	pa = user_phys(p);
	ASSERT_NE(0, pa);
	ASSERT_EQ(0, kdump_of("zero", pa, PAGE)) TH_LOG("%s", out);
	EXPECT_EQ(0, left_out("zero")) TH_LOG("%s", out);
	munmap(p, PAGE);
}

/*
 * A shared hugetlbfs page: no anonymous mapping and on no LRU, user only
 * as hugetlb (6.1: the destructor in the second struct page; since 6.12:
 * the page type); its tail pages go with it.
 */
TEST_F_TIMEOUT(excl, shared_hugetlb_page_is_user, 600)
{
	char was[32] = "0\n";
	uint64_t pa;
	char *p;

	read_file(NR_HUGEPAGES, was, sizeof(was));
	if (write_str(NR_HUGEPAGES, "1"))
		SKIP(return, "cannot reserve a huge page: %s", strerror(errno));
	p = mmap(NULL, HUGE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (p == MAP_FAILED) {
		write_str(NR_HUGEPAGES, was);
		SKIP(return, "no 2 MiB hugetlb page: %s", strerror(errno));
	}
	memset(p, 0x3c, HUGE);
	pa = user_phys(p);
	ASSERT_NE(0, pa);
	ASSERT_EQ(0, pa % HUGE);
	ASSERT_EQ(0, kdump_of("user", pa, HUGE)) TH_LOG("%s", out);
	EXPECT_EQ(0, kdump_holds(DIR "/k", pa / PAGE));
	EXPECT_EQ(0, kdump_holds(DIR "/k", pa / PAGE + 1));
	EXPECT_EQ(0, kdump_holds(DIR "/k", (pa + HUGE) / PAGE - 1));
	EXPECT_EQ(HUGE / PAGE, left_out("user")) TH_LOG("%s", out);
	ASSERT_EQ(0, kdump_of("cache,free,zero", pa, HUGE)) TH_LOG("%s", out);
	EXPECT_EQ(1, kdump_holds(DIR "/k", pa / PAGE + 1));
	munmap(p, HUGE);
	write_str(NR_HUGEPAGES, was);
}

/*
 * All RAM at dump level 31: as many free pages as the kernel counts
 * (MemFree, the buddy allocator's pages), within 5% of its count before
 * or after the dump (the kdump itself goes to tmpfs: level 31 keeps it
 * small).
 */
TEST_F_TIMEOUT(excl, free_pages_agree_with_memfree, 1200)
{
	uint64_t before = meminfo_pages("MemFree:"), after;
	char args[128];
	long n;

	ASSERT_NE(0, before);
	snprintf(args, sizeof(args),
		 "dump -o " DIR "/k --format kdump --exclude 31");
	ASSERT_EQ(0, memx_run(args, "2>&1", out, sizeof(out))) TH_LOG("%s", out);
	after = meminfo_pages("MemFree:");
	n = left_out("free");
	TH_LOG("free pages: memx %ld, MemFree %llu before, %llu after", n,
	       (unsigned long long)before, (unsigned long long)after);
	EXPECT_LE((before < after ? before : after) * 95 / 100, n);
	EXPECT_GE((before > after ? before : after) * 105 / 100, n);
}

TEST_HARNESS_MAIN
