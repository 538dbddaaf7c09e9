// SPDX-License-Identifier: GPL-2.0
/*
 * memx dump's output.  A dump to a file is written under a temporary name,
 * synced and renamed only when complete: a failed dump leaves no file that
 * looks finished.  A write that fails (ENOSPC, a closed pipe), SIGINT or
 * SIGTERM ends the dump with a message.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dump.h"

static int stop_signal;	/* set by the handler, read atomically */

static void on_stop(int sig)
{
	__atomic_store_n(&stop_signal, sig, __ATOMIC_RELAXED);
}

void dump_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int dump_stopped(void)
{
	int sig = __atomic_load_n(&stop_signal, __ATOMIC_RELAXED);

	if (!sig)
		return 0;
	fprintf(stderr, "\nmemx: dump interrupted by %s\n", strsignal(sig));
	return 1;
}

double dump_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void dump_progress(struct dump *d, int last)
{
	double t = dump_now(), rate;
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

int dump_write_at(struct dump *d, const void *p, size_t len, int64_t off)
{
	ssize_t n;

	while (len) {
		if (dump_stopped())
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

int dump_flush(struct dump *d)
{
	size_t len = d->wlen;

	d->wlen = 0;
	return dump_write(d, d->wbuf, len);
}

int dump_put(struct dump *d, const void *p, size_t len, uint64_t *off)
{
	if (!d->wbuf) {
		d->wbuf = malloc(CHUNK);
		if (!d->wbuf) {
			fprintf(stderr, "memx: out of memory for the output\n");
			return -1;
		}
	}
	if (d->wlen + len > CHUNK && dump_flush(d))
		return -1;
	*off = d->pos + d->wlen;
	memcpy(d->wbuf + d->wlen, p, len);
	d->wlen += len;
	return 0;
}

int dump_bytes(struct dump *d, const struct chunk *c)
{
	uint64_t start = chunk_start(c), a;
	const uint8_t *p = c->in + (start - c->pos);

	for (a = start - start % d->page; a < c->hi; a += d->page)
		d->bad_pages += c->skip[(a - c->pos) / d->page];
	if (d->digest)
		sha256_update(&d->sha, c->hi - start, p);
	return dump_write(d, p, c->hi - start);
}

/*
 * A pipe grows to a chunk where the system allows (pipe-max-size, the
 * user's pipe quota): 16 times fewer wake-ups of the reader than the
 * default 64 KiB (512 MiB through a pipe in a 6.1 guest under TCG: 15
 * MB/s at 64 KiB, 44 at 1 MiB).
 */
static void dump_stream(struct dump *d)
{
	struct stat st;

	d->stream = 1;
	if (!fstat(d->out, &st) && S_ISFIFO(st.st_mode))
		fcntl(d->out, F_SETPIPE_SZ, CHUNK);
}

int dump_open(struct dump *d)
{
	struct stat st;
	size_t len;

	if (!strcmp(d->path, "-")) {
		d->out = STDOUT_FILENO;
		dump_stream(d);
		return 0;
	}
	if (!stat(d->path, &st) && !S_ISREG(st.st_mode)) {
		d->out = open(d->path, O_WRONLY);
		if (d->out >= 0)
			dump_stream(d);
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
int dump_finish(struct dump *d)
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

void dump_abandon(struct dump *d)
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
