// SPDX-License-Identifier: GPL-2.0
/*
 * memx dump's reading threads.  The RAM ranges are cut into 1 MiB chunks,
 * each starting on a page boundary; d->jobs threads each take the next
 * chunk, have the format classify it (--exclude, in frame order, under
 * the lock), read it and have the format pack it, into a ring of two
 * slots a thread.  This thread hands the chunks to the format in dump
 * order as they become ready, takes the range digests (--hash) and shows
 * the progress, while the threads read ahead.  The threads are started
 * once, before the first chunk is classified, so that no task comes or
 * goes during the dump (a dump whose running task was born after its
 * stack's pages were classified free would hold that task without its
 * stack: crash stops there).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"

enum { CHUNK_EMPTY, CHUNK_READY, CHUNK_FAILED };

struct ring;

struct job {
	struct ring *r;
	unsigned int n;
	pthread_t thread;
};

struct ring {
	struct dump *d;
	struct chunk *slot;
	struct job job[MAX_JOBS];
	unsigned int started;
	pthread_mutex_t lock;		/* from here on, and the slots' state */
	pthread_cond_t ready, freed;	/* a slot read; a slot written */
	unsigned int seg;		/* the next chunk to take: its range */
	uint64_t pos;			/* and its start */
	uint64_t chunks, taken, written;
	int quit;
};

/*
 * The next chunk in dump order, in its slot once the writer is done with
 * the slot's last one, and classified here (frame order); NULL when none
 * is left or the dump stops.
 */
static struct chunk *take_chunk(struct ring *r)
{
	struct dump *d = r->d;
	const struct memx_seg *s;
	struct chunk *c = NULL;

	pthread_mutex_lock(&r->lock);
	while (!r->quit && r->taken < r->chunks &&
	       r->taken - r->written >= d->slots)
		pthread_cond_wait(&r->freed, &r->lock);
	if (r->quit || r->taken == r->chunks)
		goto out;
	c = &r->slot[r->taken++ % d->slots];
	s = &d->seg[r->seg];
	c->seg = s;
	c->pos = r->pos;
	c->hi = r->pos + CHUNK < s->paddr + s->size ? r->pos + CHUNK :
						       s->paddr + s->size;
	r->pos += CHUNK;
	if (r->pos >= s->paddr + s->size && ++r->seg < d->nseg)
		r->pos = d->seg[r->seg].paddr & ~(d->page - 1);
	memset(c->cls, 0, sizeof(c->cls));
	if (d->fmt->classify)
		d->fmt->classify(d, c);
out:
	pthread_mutex_unlock(&r->lock);
	return c;
}

/* Bytes [a, hi) of the chunk into c->in; an unreadable page is skipped. */
static int read_run(struct dump *d, struct chunk *c, uint64_t a, uint64_t hi)
{
	ssize_t n;
	int bad;

	for (; a < hi; a += n) {
		n = dump_read(d, c->in + (a - c->pos), a, hi - a, &bad);
		if (n < 0)
			return -1;
		c->skip[(a - c->pos) / d->page] |= bad;
	}
	return 0;
}

/*
 * The chunk's part of its range into c->in, but for the pages the format
 * left out, in reads of up to 1 MiB; the parts of its first and last
 * pages outside the range are zeros.
 */
static int read_chunk(struct dump *d, struct chunk *c)
{
	uint64_t a, run, pg = d->page, start = chunk_start(c);

	memset(c->in, 0, start - c->pos);
	memset(c->in + (c->hi - c->pos), 0, (pg - c->hi % pg) % pg);
	memset(c->skip, 0, sizeof(c->skip));
	for (a = start; a < c->hi; a = run) {
		for (run = a; run < c->hi && !c->cls[(run - c->pos) / pg];)
			run = (run / pg + 1) * pg;
		if (run > c->hi)
			run = c->hi;
		if (read_run(d, c, a, run))
			return -1;
		while (run < c->hi && c->cls[(run - c->pos) / pg])
			run = (run / pg + 1) * pg;
	}
	return 0;
}

static void set_state(struct ring *r, struct chunk *c, int state)
{
	pthread_mutex_lock(&r->lock);
	c->state = state;
	pthread_cond_signal(&r->ready);
	pthread_mutex_unlock(&r->lock);
}

/* A reading thread: chunks read and packed, until none is left. */
static void *read_thread(void *arg)
{
	struct job *j = arg;
	struct ring *r = j->r;
	struct dump *d = r->d;
	struct chunk *c;

	while ((c = take_chunk(r))) {
		if (read_chunk(d, c)) {
			set_state(r, c, CHUNK_FAILED);
			break;
		}
		if (d->fmt->pack)
			d->fmt->pack(d, j->n, c);
		set_state(r, c, CHUNK_READY);
	}
	return NULL;
}

/*
 * The reading threads, started once, with every signal blocked (SIGINT
 * and SIGTERM stop the writer, between two writes), and the lock held
 * until the last one is born (none takes a chunk before); 0 or -1 after a
 * message.
 */
static int start_threads(struct ring *r)
{
	unsigned int jobs = r->d->jobs;
	sigset_t all, old;
	int err = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_mutex_lock(&r->lock);
	while (r->started < jobs) {
		r->job[r->started] = (struct job){ .r = r, .n = r->started };
		err = pthread_create(&r->job[r->started].thread, NULL,
				     read_thread, &r->job[r->started]);
		if (err)
			break;
		r->started++;
	}
	pthread_mutex_unlock(&r->lock);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		fprintf(stderr, "memx: cannot start %u threads: %s\n", jobs,
			strerror(err));
	return err ? -1 : 0;
}

static void stop_threads(struct ring *r)
{
	unsigned int t;

	pthread_mutex_lock(&r->lock);
	r->quit = 1;
	pthread_cond_broadcast(&r->freed);
	pthread_mutex_unlock(&r->lock);
	for (t = 0; t < r->started; t++)
		pthread_join(r->job[t].thread, NULL);
}

/* The writer's next chunk, once read; NULL when its read failed. */
static struct chunk *next_ready(struct ring *r)
{
	struct chunk *c = &r->slot[r->written % r->d->slots];

	pthread_mutex_lock(&r->lock);
	while (c->state == CHUNK_EMPTY)
		pthread_cond_wait(&r->ready, &r->lock);
	pthread_mutex_unlock(&r->lock);
	return c->state == CHUNK_READY ? c : NULL;
}

static void release(struct ring *r, struct chunk *c)
{
	pthread_mutex_lock(&r->lock);
	c->state = CHUNK_EMPTY;
	r->written++;
	pthread_cond_broadcast(&r->freed);
	pthread_mutex_unlock(&r->lock);
}

/* Range @s is written: its digest (--hash) done. */
static void range_done(struct dump *d, const struct memx_seg *s)
{
	if (s && d->digest)
		sha256_digest(&d->sha, SHA256_DIGEST_SIZE, d->digest[s - d->seg]);
}

/* Every chunk to the format in order as the threads make it ready. */
static int write_chunks(struct ring *r)
{
	const struct memx_seg *seg = NULL;
	struct dump *d = r->d;
	struct chunk *c;

	while (r->written < r->chunks) {
		c = next_ready(r);
		if (!c)
			return -1;
		if (c->seg != seg) {
			range_done(d, seg);
			seg = c->seg;
			sha256_init(&d->sha);
			if (d->fmt->range && d->fmt->range(d, seg))
				return -1;
		}
		if (d->fmt->chunk(d, c))
			return -1;
		d->done += c->hi - chunk_start(c);
		release(r, c);
		dump_progress(d, 0);
	}
	range_done(d, seg);
	return 0;
}

/* The slots, with a chunk's buffer each; the chunks, counted. */
static int ring_setup(struct ring *r)
{
	struct dump *d = r->d;
	const struct memx_seg *s;
	unsigned int i;

	r->slot = calloc(d->slots, sizeof(*r->slot));
	if (!r->slot)
		return -1;
	for (i = 0; i < d->slots; i++) {
		r->slot[i].slot = i;
		r->slot[i].in = malloc(CHUNK);
		if (!r->slot[i].in)
			return -1;
	}
	for (s = d->seg + d->ram; s < d->seg + d->nseg; s++)
		r->chunks += (s->paddr + s->size - (s->paddr & ~(d->page - 1)) +
			      CHUNK - 1) / CHUNK;
	r->seg = d->ram;
	r->pos = d->seg[d->ram].paddr & ~(d->page - 1);
	return 0;
}

static void ring_free(struct ring *r)
{
	unsigned int i;

	for (i = 0; r->slot && i < r->d->slots; i++)
		free(r->slot[i].in);
	free(r->slot);
}

int dump_ring(struct dump *d)
{
	struct ring r = { .d = d, .lock = PTHREAD_MUTEX_INITIALIZER,
			  .ready = PTHREAD_COND_INITIALIZER,
			  .freed = PTHREAD_COND_INITIALIZER };
	int ret = -1;

	if (ring_setup(&r)) {
		fprintf(stderr, "memx: out of memory for %u chunks of 1 MiB\n",
			d->slots);
		goto out;
	}
	ret = start_threads(&r);
	if (!ret)
		ret = write_chunks(&r);
	stop_threads(&r);
	/* With the chunks still held: memx's memory at its largest. */
	if (!ret && d->fmt->end)
		ret = d->fmt->end(d);
out:
	ring_free(&r);
	return ret;
}
