// SPDX-License-Identifier: GPL-2.0
/*
 * memx dump: System RAM into a file or standard output, in the format
 * asked for (raw.c, lime.c, elf.c, kdump.c), read by -j threads (ring.c).
 *
 * A page that cannot be read (secretmem, hwpoison) is written as zeros
 * (kdump: left out, absent) and counted; the dump goes on.  Anything else
 * that fails, a write (ENOSPC, a closed pipe), SIGINT or SIGTERM, ends the
 * dump with a message and exit 1, and a dump to a file leaves no file
 * that looks finished (output.c).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../memx_tool.h"
#include "codec.h"
#include "dump.h"
#include "hash.h"

static const struct dump_format *const formats[] = {
	&dump_raw, &dump_lime, &dump_elf, &dump_kdump,
};

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

/* The format named @name, or NULL. */
static const struct dump_format *format_find(const char *name)
{
	unsigned int f;

	for (f = 0; f < ARRAY_SIZE(formats); f++)
		if (!strcmp(name, formats[f]->name))
			return formats[f];
	return NULL;
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

/* The options together, the format in d->fmt; 0, or 2 after the usage. */
static int dump_options(struct dump *d, int argc, char **argv,
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
	d->fmt = format_find(format);
	if (!d->path)
		return dump_usage("-o", NULL, "no output given");
	if (!d->fmt)
		return dump_usage("--format", format,
				  "not raw, lime, elf or kdump");
	if ((d->compress || d->level) && !(d->fmt->flags & FMT_PAGES))
		return dump_usage("--compress and --exclude", NULL,
				  "only for --format kdump");
	if (d->compress && !codec_find(d->compress))
		return dump_usage("--compress", d->compress,
				  "not zstd, zlib, lzo, snappy or none");
	if (*hash && strcmp(*hash, "sha256"))
		return dump_usage("--hash", *hash, "only sha256 is known");
	if (*hash && !strcmp(d->path, "-"))
		return dump_usage("--hash", *hash,
				  "reads the dump back: give -o a file");
	return 0;
}

/* Is the output fit for --hash and for the format?  0 or -1. */
static int dump_fits(struct dump *d, const char *hash)
{
	if (hash && d->stream) {
		fprintf(stderr, "memx: --hash reads the dump back: give -o a file\n");
		return -1;
	}
	if ((d->fmt->flags & FMT_SEEKS) &&
	    (!strcmp(d->path, "-") || lseek(d->out, 0, SEEK_SET) < 0)) {
		fprintf(stderr, "memx: %s seeks back to its page table: give -o a file\n",
			d->fmt->name);
		return -1;
	}
	return 0;
}

/* The format's hooks around the ring: the dump itself; 0 or -1. */
static int dump_run(struct dump *d)
{
	int ret;

	d->progress = isatty(STDERR_FILENO);
	d->start = dump_now();
	ret = (d->fmt->begin ? d->fmt->begin(d) : 0) || dump_ring(d) ? -1 : 0;
	if (d->fmt->release)
		d->fmt->release(d);
	return ret;
}

static void dump_summary(struct dump *d)
{
	double secs = dump_now() - d->start;
	char size[32];

	dump_progress(d, 1);
	memx_human(d->done, size, sizeof(size));
	fprintf(stderr, "memx: dumped %s of System RAM in %u ranges to %s (%s)\n",
		size, d->nram, d->path, d->fmt->name);
	fprintf(stderr, "memx: %.1f s, %.0f MB/s, %llu unreadable pages %s\n",
		secs, d->done / 1e6 / secs, (unsigned long long)d->bad_pages,
		d->fmt->bad);
}

int memx_cmd_dump(int argc, char **argv)
{
	struct dump d = { .path = NULL, .out = -1, .last = UINT64_MAX,
			  .page = sysconf(_SC_PAGESIZE) };
	const char *hash = NULL;
	int ret = 1;

	if (dump_options(&d, argc, argv, &hash))
		return 2;
	if (!d.compress)
		d.compress = "zstd";
	if (!d.jobs)
		d.jobs = online_cpus();
	d.slots = 2 * d.jobs;

	d.mem = memx_open_node("memx", O_RDONLY);
	d.kmem = memx_open_node("kmemx", O_RDONLY);
	if ((d.isf && memx_isf_live(d.isf)) || dump_ranges(&d))
		goto out;
	d.digest = hash && (d.fmt->flags & FMT_DIGESTS) ?
		   calloc(d.nseg, sizeof(*d.digest)) : NULL;
	if (hash && (d.fmt->flags & FMT_DIGESTS) && !d.digest)
		goto out;
	dump_catch_signals();
	if (dump_open(&d))
		goto out;
	if (dump_fits(&d, hash) || dump_run(&d) || dump_finish(&d)) {
		dump_abandon(&d);
		goto out;
	}
	if (hash && hash_file(d.path))
		goto out;
	dump_summary(&d);
	ret = 0;
out:
	free(d.seg);
	free(d.tmp);
	free(d.wbuf);
	free(d.digest);
	return ret;
}
