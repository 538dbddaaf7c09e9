// SPDX-License-Identifier: GPL-2.0
/*
 * memx_bench: throughput of memx against the kernel's own paths, in the VM.
 *
 * Reads the same SIZE bytes of System RAM (the start of the highest RAM
 * range) through memx read() with 1 MiB and 4 KiB buffers, memx mmap plus a
 * checksum pass, kmemx read() of the direct map, and /proc/kcore with the
 * same buffer sizes; and times a user-space memcpy of that size, the
 * ceiling.  Each is run RUNS times; the median is reported, in MB/s and as
 * ratios to /proc/kcore and memcpy.  Not a test: no timing is asserted.
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

/* Median MB/s of RUNS runs, or 0 if the method failed. */
static double measure(int (*fn)(void))
{
	double mbs[RUNS], t;
	int i;

	for (i = 0; i < RUNS; i++) {
		t = now();
		if (fn())
			return 0;
		mbs[i] = SIZE / 1e6 / (now() - t);
	}
	qsort(mbs, RUNS, sizeof(mbs[0]), cmp_double);
	return mbs[RUNS / 2];
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
	} methods[] = {
		{ "memx read() 1 MiB", memx_1m },
		{ "memx read() 4 KiB", memx_4k },
		{ "memx mmap + checksum", memx_mmap },
		{ "memx mmap set-up alone", memx_mmap_setup },
		{ "kmemx read() 1 MiB (direct map)", kmemx_1m },
		{ "kmemx mmap + checksum (direct map)", kmemx_mmap },
		{ "/proc/kcore read() 1 MiB", kcore_1m },
		{ "/proc/kcore read() 4 KiB", kcore_4k },
		{ "user memcpy", user_memcpy },
	};
	double mbs[ARRAY_SIZE(methods)], kcore, copy;
	struct ram_range r[64];
	unsigned int i;
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

	for (i = 0; i < ARRAY_SIZE(methods); i++)
		mbs[i] = measure(methods[i].fn);
	kcore = mbs[6];
	copy = mbs[8];

	printf("memx benchmark: %lu MiB of System RAM at %#llx, median of %d\n",
	       SIZE >> 20, (unsigned long long)base, RUNS);
	printf("%-34s %10s %10s %10s\n", "method", "MB/s", "x kcore", "x memcpy");
	for (i = 0; i < ARRAY_SIZE(methods); i++)
		printf("%-34s %10.0f %10.2f %10.2f\n", methods[i].name, mbs[i],
		       kcore ? mbs[i] / kcore : 0, copy ? mbs[i] / copy : 0);
	printf("(checksum %#llx)\n", (unsigned long long)sink);
	return 0;
}
