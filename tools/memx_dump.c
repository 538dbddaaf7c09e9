// SPDX-License-Identifier: GPL-2.0
/*
 * memx dump: all System RAM into a file, in 1 MiB reads of /dev/memx.
 *
 *   raw   a sparse file whose offsets are physical addresses
 *   lime  LiME's format: per range a 32-byte header, then the bytes
 *   elf   a kdump-style ELF64 core: a VMCOREINFO note read through memx, a
 *         PT_LOAD per RAM range (p_paddr physical, p_vaddr the direct map)
 *         and one for the kernel image mapping over the same file bytes
 *
 * A page that cannot be read (secretmem, hwpoison) is written as zeros and
 * counted; the dump goes on.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "../include/uapi/memx.h"
#include "memx_lib.h"
#include "memx_tool.h"

#define CHUNK		(1024UL * 1024)
#define PAGE		4096UL
#define MAX_RANGES	256
#define DIRECT_MAP	0xffff888000000000ULL	/* without KASLR, 4-level */

struct dump {
	int mem, kmem, out;
	const char *path;
	struct memx_seg seg[MAX_RANGES + 1];	/* + the kernel image */
	unsigned int nseg;
	uint64_t total, done, bad_pages;
	double start, shown;
	int progress;
	uint8_t *buf;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int write_all(int fd, const void *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p = (const char *)p + n;
		len -= n;
	}
	return 0;
}

/* The RAM ranges, from SEEK_DATA/SEEK_HOLE; returns their number. */
static unsigned int ram_ranges(struct dump *d)
{
	off_t data, hole = 0;

	d->nseg = 0;
	while (d->nseg < MAX_RANGES &&
	       (data = lseek(d->mem, hole, SEEK_DATA)) >= 0) {
		hole = lseek(d->mem, data, SEEK_HOLE);
		if (hole < 0)
			break;
		d->seg[d->nseg++] = (struct memx_seg){
			.paddr = data, .size = hole - data,
		};
		d->total += hole - data;
	}
	return d->nseg;
}

static void progress(struct dump *d, int last)
{
	double t = now(), rate;
	char done[32], total[32];

	if (!d->progress || (!last && t - d->shown < 0.25))
		return;
	d->shown = t;
	rate = t > d->start ? d->done / (t - d->start) : 0;
	memx_human(d->done, done, sizeof(done));
	memx_human(d->total, total, sizeof(total));
	fprintf(stderr, "\r%10s / %-10s %6.0f MB/s  %4.0f s left ", done, total,
		rate / 1e6, rate > 0 ? (d->total - d->done) / rate : 0);
	if (last)
		fputc('\n', stderr);
}

/* Copy one range to the output's current position. */
static int copy_range(struct dump *d, const struct memx_seg *s)
{
	uint64_t addr = s->paddr, end = s->paddr + s->size;
	size_t len;
	ssize_t n;

	while (addr < end) {
		len = end - addr < CHUNK ? end - addr : CHUNK;
		n = pread(d->mem, d->buf, len, addr);
		if (n <= 0) {
			if (n < 0 && errno != EFAULT && errno != EIO) {
				memx_warn_at("cannot read", "memx", addr, errno);
				return -1;
			}
			/* Unreadable page: zeros, counted. */
			n = PAGE - addr % PAGE;
			if ((uint64_t)n > end - addr)
				n = end - addr;
			memset(d->buf, 0, n);
			d->bad_pages++;
		}
		if (write_all(d->out, d->buf, n)) {
			fprintf(stderr, "memx: cannot write %s: %s\n", d->path,
				strerror(errno));
			return -1;
		}
		addr += n;
		d->done += n;
		progress(d, 0);
	}
	return 0;
}

static int dump_raw(struct dump *d)
{
	unsigned int i;

	for (i = 0; i < d->nseg; i++) {
		if (lseek(d->out, d->seg[i].paddr, SEEK_SET) < 0 ||
		    copy_range(d, &d->seg[i]))
			return -1;
	}
	return 0;
}

static int dump_lime(struct dump *d)
{
	uint8_t hdr[MEMX_LIME_HDR_SIZE];
	unsigned int i;

	for (i = 0; i < d->nseg; i++) {
		memx_lime_header(hdr, d->seg[i].paddr,
				 d->seg[i].paddr + d->seg[i].size - 1);
		if (write_all(d->out, hdr, sizeof(hdr)) ||
		    copy_range(d, &d->seg[i]))
			return -1;
	}
	return 0;
}

/* A kernel symbol's value (8 bytes at it), read through kmemx; 0 if none. */
static uint64_t kernel_u64(struct dump *d, uint64_t sym)
{
	uint64_t v = 0;

	if (!sym || memx_xfer(d->kmem, 0, sym, &v, 8) != 8)
		return 0;
	return v;
}

static uint64_t ksym(const char *name)
{
	const char *err;
	uint64_t addr;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return 0;
	if (memx_parse_where(name, f, &addr, &err))
		addr = 0;
	fclose(f);
	return addr;
}

/* The VMCOREINFO note, read through memx; its length or 0. */
static size_t read_note(struct dump *d, uint8_t **note)
{
	unsigned long long paddr;
	unsigned int size;
	FILE *f = fopen("/sys/kernel/vmcoreinfo", "r");
	int ok = f && fscanf(f, "%llx %x", &paddr, &size) == 2;

	if (f)
		fclose(f);
	if (!ok)
		return 0;
	*note = malloc(size);
	if (!*note || pread(d->mem, *note, size, paddr) != (ssize_t)size)
		return 0;
	return memx_note_length(*note, size);
}

/* The kernel image mapping as one more segment over the RAM it lies in. */
static int image_segment(struct dump *d)
{
	uint64_t text = ksym("_text"), end = ksym("_end");
	struct memx_vtop v = { .vaddr = text };
	unsigned int i;

	if (!text || end <= text || ioctl(d->kmem, MEMX_IOC_VTOP, &v))
		return -1;
	for (i = 0; i < d->nseg; i++) {
		const struct memx_seg *s = &d->seg[i];

		if (v.paddr >= s->paddr && v.paddr + (end - text) <=
		    s->paddr + s->size) {
			d->seg[d->nseg++] = (struct memx_seg){
				.paddr = v.paddr, .vaddr = text,
				.size = end - text,
				.offset = s->offset + v.paddr - s->paddr,
			};
			return 0;
		}
	}
	return -1;
}

static int dump_elf(struct dump *d)
{
	uint64_t base = kernel_u64(d, ksym("page_offset_base"));
	unsigned int i, nram = d->nseg;
	uint8_t *note = NULL, *hdr;
	size_t note_len, hdr_len;
	uint64_t off;
	int ret = -1;

	note_len = read_note(d, &note);
	if (!note_len) {
		fprintf(stderr, "memx: cannot read VMCOREINFO through /dev/memx\n");
		goto out;
	}
	if (!base)
		base = DIRECT_MAP;
	/* Sizes first: the header's length places the data. */
	off = memx_elf_header(NULL, 0, d->seg, nram + 1, note, note_len);
	off = (off + PAGE - 1) / PAGE * PAGE;
	for (i = 0; i < nram; i++) {
		d->seg[i].vaddr = base + d->seg[i].paddr;
		d->seg[i].offset = off;
		off += d->seg[i].size;
	}
	if (image_segment(d)) {
		fprintf(stderr, "memx: cannot place the kernel image (_text)\n");
		goto out;
	}
	hdr_len = memx_elf_header(NULL, 0, d->seg, d->nseg, note, note_len);
	hdr = calloc(1, d->seg[0].offset);
	if (!hdr)
		goto out;
	memx_elf_header(hdr, hdr_len, d->seg, d->nseg, note, note_len);
	if (!write_all(d->out, hdr, d->seg[0].offset)) {
		ret = 0;
		for (i = 0; i < nram && !ret; i++)
			ret = copy_range(d, &d->seg[i]);
	}
	free(hdr);
out:
	free(note);
	return ret;
}

static const struct {
	const char *name;
	int (*fn)(struct dump *d);
} formats[] = {
	{ "raw", dump_raw },
	{ "lime", dump_lime },
	{ "elf", dump_elf },
};

int memx_cmd_dump(int argc, char **argv)
{
	struct dump d = { .path = NULL };
	const char *format = "raw";
	unsigned int i, f = 0;
	char size[32];
	double secs;
	int ret;

	for (i = 1; i + 1 < (unsigned int)argc; i += 2) {
		if (!strcmp(argv[i], "-o"))
			d.path = argv[i + 1];
		else if (!strcmp(argv[i], "--format"))
			format = argv[i + 1];
		else
			break;
	}
	for (f = 0; f < ARRAY_SIZE(formats); f++)
		if (!strcmp(format, formats[f].name))
			break;
	if (!d.path || i != (unsigned int)argc ||
	    f == ARRAY_SIZE(formats)) {
		fprintf(stderr, "usage: memx dump -o FILE [--format raw|lime|elf]\n");
		return 2;
	}

	d.mem = memx_open_node("memx", O_RDONLY);
	d.kmem = memx_open_node("kmemx", O_RDONLY);
	d.out = open(d.path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	d.buf = malloc(CHUNK);
	if (d.out < 0 || !d.buf) {
		fprintf(stderr, "memx: cannot open %s: %s\n", d.path,
			strerror(errno));
		return 1;
	}
	if (!ram_ranges(&d)) {
		fprintf(stderr, "memx: no System RAM through /dev/memx\n");
		return 1;
	}
	d.progress = isatty(STDERR_FILENO);
	d.start = now();
	ret = formats[f].fn(&d);
	progress(&d, 1);
	if (close(d.out) && !ret) {
		fprintf(stderr, "memx: cannot write %s: %s\n", d.path,
			strerror(errno));
		ret = -1;
	}
	secs = now() - d.start;
	memx_human(d.done, size, sizeof(size));
	printf("memx: dumped %s of System RAM in %u ranges to %s (%s)\n", size,
	       f == 2 ? d.nseg - 1 : d.nseg, d.path, format);
	printf("memx: %.1f s, %.0f MB/s, %llu unreadable pages written as zeros\n",
	       secs, d.done / 1e6 / secs, (unsigned long long)d.bad_pages);
	free(d.buf);
	return ret ? 1 : 0;
}
