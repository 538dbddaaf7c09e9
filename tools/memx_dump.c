// SPDX-License-Identifier: GPL-2.0
/*
 * memx dump: System RAM into a file or standard output, in 1 MiB reads of
 * /dev/memx.
 *
 *   raw   offsets are physical addresses: a sparse file, or on a stream
 *         (standard output, a pipe, a device) holes written as zeros
 *   lime  LiME's format: per range a 32-byte header, then the bytes
 *   elf   a kdump-style ELF64 core: the CPUs' and VMCOREINFO's notes
 *         (memx_cpus.c), one PT_LOAD for the kernel image first (as
 *         /proc/vmcore has it), then one per RAM range (p_paddr physical,
 *         p_vaddr the direct map)
 *   kdump makedumpfile's kdump-compressed format (memx_kdump.c)
 *
 * A page that cannot be read (secretmem, hwpoison) is written as zeros
 * (kdump: left out, absent) and counted; the dump goes on.  Anything else
 * that fails, a write (ENOSPC, a closed pipe), SIGINT or SIGTERM, ends the
 * dump with a message and exit 1, and a dump to a file is written under a
 * temporary name, synced and renamed only when complete: a failed dump
 * leaves no file that looks finished.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../include/uapi/memx.h"
#include "memx_dump.h"
#include "memx_lib.h"
#include "memx_tool.h"

#define DIRECT_MAP	0xffff888000000000ULL	/* without KASLR, 4-level */

static int stop_signal;	/* set by the handler, read atomically */

static void on_stop(int sig)
{
	__atomic_store_n(&stop_signal, sig, __ATOMIC_RELAXED);
}

/* SIGINT, SIGTERM: stop between two writes; SIGPIPE: EPIPE instead. */
static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int stopped(void)
{
	int sig = __atomic_load_n(&stop_signal, __ATOMIC_RELAXED);

	if (!sig)
		return 0;
	fprintf(stderr, "\nmemx: dump interrupted by %s\n", strsignal(sig));
	return 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int dump_write_at(struct dump *d, const void *p, size_t len, int64_t off)
{
	ssize_t n;

	while (len) {
		if (stopped())
			return -1;
		n = off < 0 ? write(d->out, p, len) : pwrite(d->out, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "\nmemx: cannot write %s: %s\n",
				d->path, n ? strerror(errno) : "no progress");
			return -1;
		}
		p = (const char *)p + n;
		len -= n;
		if (off < 0)
			d->pos += n;
		else
			off += n;
	}
	return 0;
}

int dump_write(struct dump *d, const void *p, size_t len)
{
	return dump_write_at(d, p, len, -1);
}

static int add_seg(struct dump *d, struct memx_seg s)
{
	struct memx_seg *seg;

	if (d->nseg == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 64;
		seg = realloc(d->seg, d->cap * sizeof(*seg));
		if (!seg) {
			fprintf(stderr, "memx: out of memory for %u ranges\n",
				d->cap);
			return -1;
		}
		d->seg = seg;
	}
	d->seg[d->nseg++] = s;
	return 0;
}

/*
 * The RAM ranges inside --range, from SEEK_DATA/SEEK_HOLE, after @reserve
 * empty slots; returns 0 or -1.
 */
static int ram_ranges(struct dump *d, unsigned int reserve)
{
	off_t data = 0, hole = d->first;
	struct memx_seg s;
	uint64_t e;

	while (reserve--)
		if (add_seg(d, (struct memx_seg){ 0 }))
			return -1;
	while ((uint64_t)hole < d->last &&
	       (data = lseek(d->mem, hole, SEEK_DATA)) >= 0) {
		hole = lseek(d->mem, data, SEEK_HOLE);
		if (hole < 0)
			break;
		e = (uint64_t)hole < d->last ? (uint64_t)hole : d->last;
		if ((uint64_t)data >= e)
			break;
		s = (struct memx_seg){ .paddr = data, .size = e - data };
		if (add_seg(d, s))
			return -1;
		d->total += s.size;
		d->nram++;
	}
	if (data < 0 && errno != ENXIO) {
		memx_warn_at("cannot find RAM (SEEK_DATA)", "memx", hole, errno);
		return -1;
	}
	if (!d->nram)
		fprintf(stderr, "memx: no System RAM in the range\n");
	return d->nram ? 0 : -1;
}

void dump_progress(struct dump *d, int last)
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

ssize_t dump_read(struct dump *d, void *buf, uint64_t addr, size_t len,
		  int *bad)
{
	ssize_t n;

	*bad = 0;
	do
		n = pread(d->mem, buf, len, addr);
	while (n < 0 && errno == EINTR && !stopped());
	if (n > 0)
		return n;
	if (n < 0 && errno != EFAULT && errno != EIO) {
		memx_warn_at("cannot read", "memx", addr, errno);
		return -1;
	}
	if (!n) {
		fprintf(stderr, "memx: RAM at %#llx ended during the dump\n",
			(unsigned long long)addr);
		return -1;
	}
	n = d->page - addr % d->page;
	if ((size_t)n > len)
		n = len;
	memset(buf, 0, n);
	*bad = 1;
	return n;
}

/* Copy one range to the output's current position; --hash: its digest. */
static int copy_range(struct dump *d, const struct memx_seg *s)
{
	uint64_t addr = s->paddr, end = s->paddr + s->size;
	struct sha256_ctx ctx;
	ssize_t n;
	int bad;

	sha256_init(&ctx);
	while (addr < end) {
		n = dump_read(d, d->buf, addr, end - addr < CHUNK ? end - addr : CHUNK,
			      &bad);
		if (n < 0 || dump_write(d, d->buf, n))
			return -1;
		d->bad_pages += bad;
		if (d->digest)
			sha256_update(&ctx, n, d->buf);
		addr += n;
		d->done += n;
		dump_progress(d, 0);
	}
	if (d->digest)
		sha256_digest(&ctx, SHA256_DIGEST_SIZE, d->digest[s - d->seg]);
	return 0;
}

/* Zeros up to output position @to: holes of a raw dump on a stream. */
static int pad_to(struct dump *d, uint64_t to)
{
	size_t n;

	memset(d->buf, 0, CHUNK);
	while (d->pos < to) {
		n = to - d->pos < CHUNK ? to - d->pos : CHUNK;
		if (dump_write(d, d->buf, n))
			return -1;
	}
	return 0;
}

static int dump_raw(struct dump *d)
{
	unsigned int i;

	for (i = 0; i < d->nseg; i++) {
		if (d->stream && pad_to(d, d->seg[i].paddr))
			return -1;
		if (!d->stream && lseek(d->out, d->seg[i].paddr, SEEK_SET) < 0) {
			fprintf(stderr, "memx: cannot seek in %s: %s\n",
				d->path, strerror(errno));
			return -1;
		}
		if (copy_range(d, &d->seg[i]))
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
		if (dump_write(d, hdr, sizeof(hdr)) ||
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

/*
 * What /proc/kcore's program headers say where /proc/kallsyms lists no
 * data symbols (arm64's 6.1): memx_kcore_layout.
 */
static void kcore_layout(uint64_t *text, uint64_t *end, uint64_t *base)
{
	int fd = open("/proc/kcore", O_RDONLY);

	if (fd < 0)
		return;
	memx_kcore_layout(fd, ksym("_stext"), text, end, base);
	close(fd);
}

/*
 * The kernel image mapping, in slot 0, over the RAM range it lies in.  It
 * is found through _stext: arm64 maps the image from there on, not the
 * header before it; the image is one physical run.
 */
static int image_segment(struct dump *d)
{
	uint64_t text = ksym("_text"), end = ksym("_end");
	struct memx_vtop v = { .vaddr = ksym("_stext") };
	unsigned int i;

	if (!text || !end)
		kcore_layout(&text, &end, NULL);
	if (!text || end <= text || v.vaddr < text ||
	    ioctl(d->kmem, MEMX_IOC_VTOP, &v) || v.paddr < v.vaddr - text)
		return -1;
	v.paddr -= v.vaddr - text;
	for (i = 1; i < d->nseg; i++) {
		const struct memx_seg *s = &d->seg[i];

		if (v.paddr >= s->paddr && end - text <= s->size &&
		    v.paddr - s->paddr <= s->size - (end - text)) {
			d->seg[0] = (struct memx_seg){
				.paddr = v.paddr, .vaddr = text,
				.size = end - text,
				.offset = s->offset + v.paddr - s->paddr,
			};
			return 0;
		}
	}
	return -1;
}

/*
 * The notes: the CPUs' and VMCOREINFO's, then with --hash room for the
 * MEMX note at *@memx_off; their length, or 0.
 */
static size_t elf_notes(struct dump *d, uint8_t **notes, size_t *memx_off)
{
	size_t info, len = dump_notes(d, notes, &info), memx_len;
	uint8_t *more;

	if (!len)
		return 0;
	*memx_off = len;
	if (!d->digest)
		return len;
	memx_len = hash_note_size(d->nseg - 1);
	more = realloc(*notes, len + memx_len);
	if (!more)
		return 0;
	*notes = more;
	hash_note(d, 1, more + len);
	return len + memx_len;
}

static int dump_elf(struct dump *d)
{
	uint64_t base = kernel_u64(d, ksym("page_offset_base")), text, end;
	uint8_t *note = NULL, *hdr = NULL;
	size_t note_len, hdr_len, memx_off;
	unsigned int i;
	uint64_t off;
	int ret = -1;

	note_len = elf_notes(d, &note, &memx_off);
	if (!note_len)
		goto out;
	if (!base)
		kcore_layout(&text, &end, &base);
	if (!base)
		base = DIRECT_MAP;
	/* Sizes first: the header's length places the data. */
	off = memx_elf_header(NULL, 0, d->seg, d->nseg, note, note_len);
	memx_off += off - note_len;	/* the notes end the header */
	off = (off + PAGE - 1) / PAGE * PAGE;
	for (i = 1; i < d->nseg; i++) {
		d->seg[i].vaddr = base + d->seg[i].paddr;
		d->seg[i].offset = off;
		off += d->seg[i].size;
	}
	if (image_segment(d)) {
		fprintf(stderr, "memx: the kernel image (_text) is not in the dumped RAM\n");
		goto out;
	}
	hdr_len = (d->seg[1].offset);
	hdr = calloc(1, hdr_len);
	if (!hdr)
		goto out;
	memx_elf_header(hdr, hdr_len, d->seg, d->nseg, note, note_len);
	if (dump_write(d, hdr, hdr_len))
		goto out;
	for (i = 1; i < d->nseg; i++)
		if (copy_range(d, &d->seg[i]))
			goto out;
	/* The digests are known now: the note again, in place. */
	if (d->digest) {
		hash_note(d, 1, hdr + memx_off);
		if (dump_write_at(d, hdr + memx_off, hdr_len - memx_off, memx_off))
			goto out;
	}
	ret = 0;
out:
	free(hdr);
	free(note);
	return ret;
}

static const struct {
	const char *name;
	int (*fn)(struct dump *d);
	unsigned int reserve;	/* segment slots before the RAM ranges */
	int notes;		/* --hash: range digests in a MEMX note */
} formats[] = {
	{ "raw", dump_raw, 0, 0 },
	{ "lime", dump_lime, 0, 0 },
	{ "elf", dump_elf, 1, 1 },
	{ "kdump", dump_kdump, 0, 1 },
};

/*
 * The output: standard output for "-", a device or pipe as it is, and a
 * regular file under a temporary name next to it, renamed when complete.
 */
static int open_output(struct dump *d)
{
	struct stat st;
	size_t len;

	if (!strcmp(d->path, "-")) {
		d->out = STDOUT_FILENO;
		d->stream = 1;
		return 0;
	}
	if (!stat(d->path, &st) && !S_ISREG(st.st_mode)) {
		d->out = open(d->path, O_WRONLY);
		d->stream = 1;
	} else {
		len = strlen(d->path) + 16;
		d->tmp = malloc(len);
		if (d->tmp) {
			snprintf(d->tmp, len, "%s.partXXXXXX", d->path);
			d->out = mkstemp(d->tmp);
		}
	}
	if (d->out < 0 || (!d->stream && !d->tmp)) {
		fprintf(stderr, "memx: cannot create %s: %s\n", d->path,
			strerror(errno));
		return -1;
	}
	return 0;
}

/* Sync, close and rename a complete file; the directory entry synced too. */
static int finish_output(struct dump *d)
{
	char *dir = strdup(d->path);
	int fd, ret = 0;

	if (d->tmp && fsync(d->out)) {
		fprintf(stderr, "memx: cannot sync %s: %s\n", d->tmp,
			strerror(errno));
		ret = -1;
	}
	if (d->out != STDOUT_FILENO && close(d->out) && !ret) {
		fprintf(stderr, "memx: cannot write %s: %s\n", d->path,
			strerror(errno));
		ret = -1;
	}
	d->out = -1;
	if (!ret && d->tmp && rename(d->tmp, d->path)) {
		fprintf(stderr, "memx: cannot rename %s to %s: %s\n", d->tmp,
			d->path, strerror(errno));
		ret = -1;
	}
	if (!ret && d->tmp && dir) {
		fd = open(dirname(dir), O_RDONLY | O_DIRECTORY);
		if (fd >= 0) {
			fsync(fd);
			close(fd);
		}
	}
	free(dir);
	return ret;
}

/* A failed dump: its temporary file removed, never renamed. */
static void abandon_output(struct dump *d)
{
	if (d->out >= 0 && d->out != STDOUT_FILENO)
		close(d->out);
	if (d->tmp) {
		unlink(d->tmp);
		fprintf(stderr, "memx: dump failed; %s not written\n", d->path);
	} else {
		fprintf(stderr, "memx: dump failed; %s is incomplete\n",
			d->path);
	}
}

/* "--range START-END", END exclusive; returns 0 or -1. */
static int parse_range(struct dump *d, const char *arg)
{
	char *dash = strchr(arg, '-'), *first;
	int bad;

	if (!dash)
		return -1;
	first = strndup(arg, dash - arg);
	bad = !first || memx_parse_num(first, &d->first) ||
	      memx_parse_num(dash + 1, &d->last) || d->first >= d->last;
	free(first);
	return bad ? -1 : 0;
}

/* "-j N", 1 to MAX_JOBS threads; returns 0 or -1. */
static int parse_jobs(struct dump *d, const char *arg)
{
	uint64_t n;

	if (memx_parse_num(arg, &n) || !n || n > MAX_JOBS)
		return -1;
	d->jobs = n;
	return 0;
}

/*
 * "--exclude zero,cache,user,free" or a makedumpfile dump level, 0 to 31;
 * returns 0 or -1.
 */
static int parse_exclude(struct dump *d, const char *arg)
{
	static const char *const names[] = { "zero", "cache", "user", "free" };
	static const unsigned int bits[] = { 1, 2 | 4, 8, 16 };
	char *list = strdup(arg), *save, *name;
	unsigned int i;
	uint64_t n;

	if (!memx_parse_num(arg, &n) && n < 32) {
		d->level = n;
		free(list);
		return 0;
	}
	for (name = strtok_r(list, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < ARRAY_SIZE(names); i++)
			if (!strcmp(name, names[i]))
				break;
		if (i == ARRAY_SIZE(names))
			break;
		d->level |= bits[i];
	}
	free(list);
	return name || !d->level ? -1 : 0;
}

/* The default -j: the online CPUs, at most MAX_JOBS. */
static unsigned int online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > MAX_JOBS ? MAX_JOBS : n;
}

static int dump_usage(const char *opt, const char *arg, const char *why)
{
	if (why)
		fprintf(stderr, "memx: dump: %s%s%s: %s\n", opt, arg ? " " : "",
			arg ? arg : "", why);
	fprintf(stderr, "usage: memx dump -o FILE|- [--format raw|lime|elf|kdump]\n"
		"       [--compress zstd|zlib|lzo|snappy|none] [-j N]\n"
		"       [--exclude zero,cache,user,free|LEVEL] [--hash sha256]\n"
		"       [--range START-END] [--isf FILE]\n");
	return 2;
}

/* The index of the format named @name, or -1. */
static int format_index(const char *name)
{
	unsigned int f;

	for (f = 0; f < ARRAY_SIZE(formats); f++)
		if (!strcmp(name, formats[f].name))
			return f;
	return -1;
}

/*
 * One option and its value into @d; NULL, or why they are refused.
 * @format: the format's name.
 */
static const char *dump_option(struct dump *d, const char *opt,
			       const char *arg, const char **format,
			       const char **hash)
{
	if (!strcmp(opt, "-o"))
		d->path = arg;
	else if (!strcmp(opt, "--format"))
		*format = arg;
	else if (!strcmp(opt, "--compress"))
		d->compress = arg;
	else if (!strcmp(opt, "--hash"))
		*hash = arg;
	else if (!strcmp(opt, "--isf"))
		d->isf = arg;
	else if (!strcmp(opt, "-j"))
		return parse_jobs(d, arg) ?
		       "not a number of threads from 1 to 64" : NULL;
	else if (!strcmp(opt, "--exclude"))
		return parse_exclude(d, arg) ?
		       "not a dump level from 0 to 31 nor a list of zero, cache, user and free" :
		       NULL;
	else if (!strcmp(opt, "--range"))
		return parse_range(d, arg) ?
		       "not START-END, two numbers with START below END" : NULL;
	else
		return "no such option";
	return NULL;
}

/* The options together; 0, or 2 after the usage. */
static int dump_options(struct dump *d, int argc, char **argv, int *f,
			const char **hash)
{
	const char *format = "raw", *why;
	int i;

	for (i = 1; i < argc; i += 2) {
		if (i + 1 == argc)
			return dump_usage(argv[i], NULL, "needs a value");
		why = dump_option(d, argv[i], argv[i + 1], &format, hash);
		if (why)
			return dump_usage(argv[i], strcmp(why, "no such option") ?
					  argv[i + 1] : NULL, why);
	}
	*f = format_index(format);
	if (!d->path)
		return dump_usage("-o", NULL, "no output given");
	if (*f < 0)
		return dump_usage("--format", format,
				  "not raw, lime, elf or kdump");
	if ((d->compress || d->jobs || d->level) &&
	    formats[*f].fn != dump_kdump)
		return dump_usage("--compress, -j and --exclude", NULL,
				  "only for --format kdump");
	if (d->compress && !dump_codec_known(d->compress))
		return dump_usage("--compress", d->compress,
				  "not zstd, zlib, lzo, snappy or none");
	if (*hash && strcmp(*hash, "sha256"))
		return dump_usage("--hash", *hash, "only sha256 is known");
	if (*hash && !strcmp(d->path, "-"))
		return dump_usage("--hash", *hash,
				  "reads the dump back: give -o a file");
	return 0;
}

int memx_cmd_dump(int argc, char **argv)
{
	struct dump d = { .path = NULL, .out = -1, .last = UINT64_MAX,
			  .page = sysconf(_SC_PAGESIZE) };
	const char *hash = NULL;
	char size[32];
	double secs;
	int f, ret = 1;

	if (dump_options(&d, argc, argv, &f, &hash))
		return 2;
	if (!d.compress)
		d.compress = "zstd";
	if (!d.jobs)
		d.jobs = online_cpus();

	d.mem = memx_open_node("memx", O_RDONLY);
	d.kmem = memx_open_node("kmemx", O_RDONLY);
	if (d.isf && memx_isf_live(d.isf))
		goto out;
	d.buf = malloc(CHUNK);
	if (!d.buf || ram_ranges(&d, formats[f].reserve))
		goto out;
	d.digest = hash && formats[f].notes ?
		   calloc(d.nseg, sizeof(*d.digest)) : NULL;
	if (hash && formats[f].notes && !d.digest)
		goto out;
	catch_signals();
	if (open_output(&d))
		goto out;
	if (hash && d.stream) {
		fprintf(stderr, "memx: --hash reads the dump back: give -o a file\n");
		goto out;
	}
	d.progress = isatty(STDERR_FILENO);
	d.start = now();
	if (formats[f].fn(&d) || finish_output(&d)) {
		abandon_output(&d);
		goto out;
	}
	if (hash && hash_file(&d))
		goto out;
	dump_progress(&d, 1);
	secs = now() - d.start;
	memx_human(d.done, size, sizeof(size));
	fprintf(stderr, "memx: dumped %s of System RAM in %u ranges to %s (%s)\n",
		size, d.nram, d.path, formats[f].name);
	fprintf(stderr, "memx: %.1f s, %.0f MB/s, %llu unreadable pages %s\n",
		secs, d.done / 1e6 / secs, (unsigned long long)d.bad_pages,
		formats[f].fn == dump_kdump ? "left out" : "written as zeros");
	ret = 0;
out:
	free(d.seg);
	free(d.tmp);
	free(d.buf);
	free(d.digest);
	return ret;
}
