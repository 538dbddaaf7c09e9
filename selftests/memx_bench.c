// SPDX-License-Identifier: GPL-2.0
/*
 * memx_bench: throughput of memx against the kernel's own paths, in the VM.
 *
 * Reads the same SIZE bytes of System RAM (the start of the highest RAM
 * range) through memx read() with 1 MiB and 4 KiB buffers, memx mmap plus a
 * checksum pass, kmemx read() of the direct map, and /proc/kcore with the
 * same buffer sizes; writes SIZE bytes, 1 MiB at a time, into a huge page
 * of its own through memx; and times a user-space memcpy of that size, the
 * ceiling.  The reads and writes run twice, straight (the default) and
 * with the module's `bounce` parameter set (every byte through the bounce
 * page, the path of earlier versions).  Every method runs once a round,
 * RUNS rounds, so a busy host slows all of them alike; the medians are
 * reported, in MB/s and as the median of each round's ratio to /proc/kcore
 * and to memcpy.  Not a test: no timing is asserted.
 *
 * "memx_bench kcore DEST" instead copies every System RAM range out of
 * /proc/kcore to DEST, as a dump tool would: the kernel's own path, for
 * `make bench` to time against `memx dump` and LiME.
 */
#include <sys/mman.h>
#include <time.h>

#include "memx_test.h"

#define SIZE	(512UL << 20)
#define RUNS	5
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static uint64_t base;		/* physical start of the measured range */
static uint64_t kcore_off;	/* its offset in /proc/kcore */
static uint64_t direct_map;	/* its direct-map address */
static char *buf;		/* read buffer, SIZE bytes */
static uint64_t sink;		/* printed, so no pass is optimised away */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* SIZE bytes from @fd at @off (through lseek) in @chunk-sized reads. */
static int read_loop(const char *path, uint64_t off, size_t chunk)
{
	int fd = open(path, O_RDONLY);
	size_t done = 0;
	ssize_t n;

	if (fd < 0 || lseek(fd, (off_t)off, SEEK_SET) == (off_t)-1)
		return -1;
	while (done < SIZE) {
		n = read(fd, buf + done % (1UL << 20), chunk);
		if (n <= 0) {
			close(fd);
			return -1;
		}
		done += n;
	}
	close(fd);
	return 0;
}

static int memx_1m(void)
{
	return read_loop("/dev/memx", base, 1UL << 20);
}

static int memx_4k(void)
{
	return read_loop("/dev/memx", base, 4096);
}

static int kmemx_1m(void)
{
	return read_loop("/dev/kmemx", direct_map, 1UL << 20);
}

static int kcore_1m(void)
{
	return read_loop("/proc/kcore", kcore_off, 1UL << 20);
}

static int kcore_4k(void)
{
	return read_loop("/proc/kcore", kcore_off, 4096);
}

/*
 * mmap of the range at @off of @node plus, with @sum, one pass summing every
 * 8 bytes; without, the set-up alone.
 */
static int map_sum(const char *node, uint64_t off, int sum_words)
{
	int fd = open(node, O_RDONLY);
	const uint64_t *p;
	uint64_t sum = 0;
	size_t i;

	if (fd < 0)
		return -1;
	p = mmap(NULL, SIZE, PROT_READ, MAP_SHARED, fd, (off_t)off);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	for (i = 0; sum_words && i < SIZE / 8; i++)
		sum += p[i];
	sink += sum;
	munmap((void *)p, SIZE);
	return 0;
}

static int memx_mmap(void)
{
	return map_sum("/dev/memx", base, 1);
}

static int memx_mmap_setup(void)
{
	return map_sum("/dev/memx", base, 0);
}

static int kmemx_mmap(void)
{
	return map_sum("/dev/kmemx", direct_map, 1);
}

static char *src;
static uint64_t huge_pa;	/* our huge page's physical address */
static uint64_t huge_va;	/* and its direct-map address */

/*
 * SIZE bytes into the first 1 MiB of our huge page, 1 MiB a write (lseek:
 * pwrite() refuses a kernel address, a negative offset).
 */
static int write_loop(const char *path, uint64_t off)
{
	int fd = open(path, O_WRONLY);
	size_t done;

	if (fd < 0)
		return -1;
	for (done = 0; done < SIZE; done += 1UL << 20) {
		if (lseek(fd, (off_t)off, SEEK_SET) == (off_t)-1 ||
		    write(fd, src, 1UL << 20) != 1UL << 20) {
			close(fd);
			return -1;
		}
	}
	close(fd);
	return 0;
}

static int memx_write_1m(void)
{
	return huge_pa ? write_loop("/dev/memx", huge_pa) : -1;
}

static int kmemx_write_1m(void)
{
	return huge_va ? write_loop("/dev/kmemx", huge_va) : -1;
}

static int user_memcpy(void)
{
	memcpy(buf, src, SIZE);
	sink += buf[SIZE - 1];
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v)
{
	double s[RUNS];

	memcpy(s, v, sizeof(s));
	qsort(s, RUNS, sizeof(s[0]), cmp_double);
	return s[RUNS / 2];
}

/* Write @val to the module parameter @name; 0 or -1. */
static int set_param(const char *name, const char *val)
{
	char path[96];
	int fd, ok;

	snprintf(path, sizeof(path), "/sys/module/memx/parameters/%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

/*
 * A huge page of ours, locked, for the writes to land in: its physical and
 * direct-map addresses, or 0 when the kernel gives none (the writes are
 * then reported as 0).
 */
static void huge_page_setup(void)
{
	int fd = open("/proc/sys/vm/nr_hugepages", O_WRONLY);
	char *p;

	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			perror("bench: nr_hugepages");
		close(fd);
	}
	p = mmap(NULL, 2UL << 20, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_LOCKED |
		 MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED) {
		perror("bench: no huge page for the writes");
		return;
	}
	huge_pa = user_phys(p);
	if (huge_pa && phys_to_direct_map(huge_pa, &huge_va))
		huge_va = 0;
}

/* MB/s of one run of @fn, the bounce parameter at @bounce; 0 on failure. */
static double run(int (*fn)(void), int bounce)
{
	double t;

	if (set_param("bounce", bounce ? "Y" : "N"))
		return 0;
	t = now();
	if (fn())
		return 0;
	return SIZE / 1e6 / (now() - t);
}

/* Copy the System RAM ranges out of /proc/kcore to @dest, 1 MiB a read. */
static int kcore_dump(const char *dest)
{
	int kfd = open("/proc/kcore", O_RDONLY), out;
	struct ram_range r[64];
	int i, n = iomem_ram(r, 64);
	uint64_t va, off, len;
	ssize_t got;

	out = open(dest, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	buf = malloc(1UL << 20);
	if (kfd < 0 || out < 0 || n < 1 || !buf)
		return 1;
	for (i = 0; i < n; i++) {
		if (phys_to_direct_map(r[i].start, &va))
			return 1;
		off = kcore_file_offset(va);
		for (len = r[i].end - r[i].start; len; len -= got, off += got) {
			got = pread(kfd, buf, len < (1UL << 20) ? len : 1UL << 20,
				    off);
			if (got <= 0 || write(out, buf, got) != got)
				return 1;
		}
	}
	return close(out);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(void);
		int bounce;
	} methods[] = {
		{ "user memcpy", user_memcpy, 0 },
		{ "/proc/kcore read() 1 MiB", kcore_1m, 0 },
		{ "/proc/kcore read() 4 KiB", kcore_4k, 0 },
		{ "memx read() 1 MiB", memx_1m, 0 },
		{ "memx read() 1 MiB, bounce", memx_1m, 1 },
		{ "memx read() 4 KiB", memx_4k, 0 },
		{ "memx read() 4 KiB, bounce", memx_4k, 1 },
		{ "kmemx read() 1 MiB (direct map)", kmemx_1m, 0 },
		{ "kmemx read() 1 MiB, bounce", kmemx_1m, 1 },
		{ "memx write() 1 MiB", memx_write_1m, 0 },
		{ "memx write() 1 MiB, bounce", memx_write_1m, 1 },
		{ "kmemx write() 1 MiB", kmemx_write_1m, 0 },
		{ "kmemx write() 1 MiB, bounce", kmemx_write_1m, 1 },
		{ "memx mmap + checksum", memx_mmap, 0 },
		{ "memx mmap set-up alone", memx_mmap_setup, 0 },
		{ "kmemx mmap + checksum (direct map)", kmemx_mmap, 0 },
	};
	enum { COPY, KCORE };
	double mbs[ARRAY_SIZE(methods)][RUNS], xk[RUNS], xc[RUNS];
	struct ram_range r[64];
	unsigned int i, k;
	int n = iomem_ram(r, 64);

	if (argc == 3 && !strcmp(argv[1], "kcore"))
		return kcore_dump(argv[2]);
	if (n < 1 || r[n - 1].end - r[n - 1].start < SIZE) {
		fprintf(stderr, "bench: no System RAM range of %lu MiB\n",
			SIZE >> 20);
		return 1;
	}
	base = r[n - 1].start;
	if (phys_to_direct_map(base, &direct_map)) {
		fprintf(stderr, "bench: /proc/kcore has no direct map\n");
		return 1;
	}
	kcore_off = kcore_file_offset(direct_map);
	buf = malloc(SIZE);
	src = malloc(SIZE);
	if (!buf || !src || !kcore_off)
		return 1;
	memset(buf, 1, SIZE);
	memset(src, 2, SIZE);
	if (set_param("writable", "Y"))
		perror("bench: writable");
	huge_page_setup();

	for (k = 0; k < RUNS; k++)
		for (i = 0; i < ARRAY_SIZE(methods); i++)
			mbs[i][k] = run(methods[i].fn, methods[i].bounce);
	set_param("bounce", "N");

	printf("memx benchmark: %lu MiB of System RAM at %#llx, %d rounds\n",
	       SIZE >> 20, (unsigned long long)base, RUNS);
	printf("%-34s %10s %10s %10s\n", "method", "MB/s", "x kcore", "x memcpy");
	for (i = 0; i < ARRAY_SIZE(methods); i++) {
		for (k = 0; k < RUNS; k++) {
			xk[k] = mbs[i][k] / mbs[KCORE][k];
			xc[k] = mbs[i][k] / mbs[COPY][k];
		}
		printf("%-34s %10.0f %10.2f %10.2f\n", methods[i].name,
		       median(mbs[i]), median(xk), median(xc));
	}
	printf("(checksum %#llx)\n", (unsigned long long)sink);
	return 0;
}
