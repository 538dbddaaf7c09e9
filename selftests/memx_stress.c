// SPDX-License-Identifier: GPL-2.0
/*
 * memx under stress: MEMX_STRESS_OPS random operations (default 10^6) in
 * four threads, each on a random node at an offset drawn from sets that
 * matter (RAM and its edges, holes, the end of RAM, vmalloc buffers and
 * their guard pages, a not-present entry, KFENCE guard pages, the edu
 * device's registers, the user half, the last 4095 values, huge and
 * non-canonical values, buffers the helper is vfreeing), with a random
 * length, alignment and operation (read, ioctl read, lseek, mmap + touch +
 * munmap, VTOP; writes only into the helper's buffer and edu's liveness
 * register), while other threads race the kernel: the helper vmallocs and
 * vfrees buffers, a movable memory block goes offline and online, pages are
 * hwpoisoned (and unpoisoned where the injector is), processes map and
 * unmap.  Every outcome is counted per node, operation and errno, and each
 * must be one docs/spec.md allows for that kind of offset.  MEMX_STRESS_SEED
 * repeats a run (the seed is printed).
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "memx_test.h"

#define THREADS		4
#define NCASES		128

enum node { MEM, KMEM, ALLKMEM, NNODES };
enum memx_op { READ, IOCTL, SEEK, MMAP, VTOP, WRITE, NOPS };

/* What an offset is, which fixes what each operation may answer. */
enum kind {
	RAM,		/* data, or EFAULT/EIO when offline or poisoned */
	HOLE,		/* not System RAM (memx): EFAULT */
	END,		/* at or past the end of RAM (memx): EOF */
	UNMAPPED,	/* kernel virtual, nothing mapped: EFAULT */
	IO,		/* I/O memory: EIO on kmemx, data on allkmemx */
	USER,		/* the caller's own memory */
	BADUSER,	/* the user half, nothing there: EFAULT */
	LAST,		/* the last 4095 values: EOVERFLOW */
	FLUX,		/* mapped or not from one moment to the next (a
			 * buffer being vfreed, KFENCE's pool): data, EFAULT
			 * or EIO (the address reused for I/O)
			 */
	SCRATCH,	/* writable: the helper's buffer, edu's liveness reg */
};

static const char * const node_name[] = { "memx", "kmemx", "allkmemx" };
static const char * const op_name[] = {
	"read", "ioctl", "lseek", "mmap", "vtop", "write",
};

struct target {
	uint64_t addr;
	enum kind kind;
	unsigned int width;	/* SCRATCH: the only access width, 0 any */
};

static struct target cases[NNODES][NCASES];
static unsigned int ncases[NNODES];
static unsigned long census[NNODES][NOPS][134];	/* [errno], 0 success */
static unsigned long violations;
static pthread_mutex_t census_lock = PTHREAD_MUTEX_INITIALIZER;
static int stop_racers;
static char user_buf[2 * PAGE_MAX];

static __thread sigjmp_buf touch_env;
static __thread int touching;

static void on_sigbus(int sig)
{
	if (touching)
		siglongjmp(touch_env, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* xorshift64*: one state a thread, from the printed seed. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static void add(enum node n, uint64_t addr, enum kind kind, unsigned int w)
{
	if (ncases[n] < NCASES)
		cases[n][ncases[n]++] = (struct target){ addr, kind, w };
}

static void add_kvirt(uint64_t addr, enum kind kind, unsigned int w)
{
	add(KMEM, addr, kind, w);
	add(ALLKMEM, addr, kind, w);
}

/* The offsets of each node, from sources outside memx. */
static void build_cases(int kmem)
{
	uint64_t vbuf = read_num(HELPER "vbuf_addr", 0), pa, va, pool = 0;
	uint64_t hpet = 0, kfence = ksym("__kfence_pool");
	uint64_t tail[] = { ~0ULL, ~0ULL - 8, ~0ULL - 4094 };
	struct ram_range r[64];
	int i, n = iomem_ram(r, 64);
	unsigned int t;

	for (i = 0; i < n; i++) {
		add(MEM, r[i].start, RAM, 0);
		add(MEM, r[i].end - 8, RAM, 0);
		add(MEM, r[i].start + (r[i].end - r[i].start) / 2, RAM, 0);
		add(MEM, r[i].end, i + 1 < n ? HOLE : END, 0);
		if (!phys_to_direct_map(r[i].start + (r[i].end - r[i].start) / 3,
					&va))
			add_kvirt(va, RAM, 0);
	}
	add(MEM, r[n - 1].end + (1ULL << 40), END, 0);
	add(MEM, 0xa0000, HOLE, 0);
	add(MEM, 1ULL << 60, END, 0);
	add_kvirt(kbanner(), RAM, 0);
	add_kvirt(ksym("_stext"), RAM, 0);
	add_kvirt(vbuf, SCRATCH, 0);
	add_kvirt(vbuf + 4 * PAGE, UNMAPPED, 0);	/* its guard page */
	add_kvirt(read_num(HELPER "protnone", 0), UNMAPPED, 0);
	if (kfence && !kcore_read(kfence, &pool, 8) && pool) {
		add_kvirt(pool, UNMAPPED, 0);	/* the first two are guards */
		for (t = 2; t < 10; t++)
			add_kvirt(pool + t * PAGE, FLUX, 0);
	}
	if (read_at(kmem, ksym("hpet_virt_address"), &hpet, 8) == 8 && hpet)
		add_kvirt(hpet, IO, 0);
	if (edu_mmio()) {
		add_kvirt(edu_mmio(), IO, 0);
		add(ALLKMEM, edu_mmio() + 4, SCRATCH, 4);
	}
	add_kvirt(0x8000000000000000ULL, UNMAPPED, 0);
	add_kvirt(0xff00000000000000ULL, UNMAPPED, 0);	/* guard hole */
	add_kvirt((uintptr_t)user_buf, USER, 0);
	add_kvirt(0, BADUSER, 0);
	add_kvirt(0x7ffffffff000ULL, BADUSER, 0);
	for (t = 0; t < ARRAY_SIZE(tail); t++) {
		add(MEM, tail[t], LAST, 0);
		add_kvirt(tail[t], LAST, 0);
	}
	if (!virt_to_phys_kcore(vbuf, &pa))
		add(MEM, pa, SCRATCH, 0);
}

/* Whether @err (0: success) is what SPEC allows for @op at @t on @n. */
static int allowed(enum node n, enum memx_op op, const struct target *t, int err)
{
	if (op == SEEK)
		return !err || err == EINVAL || err == ENXIO || err == EOVERFLOW;
	if (op == VTOP)
		return n == MEM ? err == ENOTTY :
		       !err || err == EFAULT;
	/* lseek refuses them; an ioctl's addr + len wraps, or is EOF/EFAULT */
	if (t->kind == LAST)
		return !err || err == EOVERFLOW || err == EFAULT ||
		       (op == MMAP && err == ENXIO);
	if (op == MMAP && err == ENXIO)	/* read()'s EFAULT, mmap's way */
		return t->kind != IO || n == ALLKMEM;
	switch (t->kind) {
	case RAM:
	case SCRATCH:
	case FLUX:
		return !err || err == EFAULT || err == EIO;
	case HOLE:
		return err == EFAULT;
	case END:
		return !err;	/* EOF: 0 bytes */
	case UNMAPPED:
	case BADUSER:
		return err == EFAULT;
	case IO:
		return n == KMEM ? err == EIO : !err;
	case USER:
		return op == MMAP ? err == ENXIO : !err;
	case LAST:
		break;
	}
	return 0;
}

static void record(enum node n, enum memx_op op, const struct target *t, int err,
		   uint64_t addr)
{
	pthread_mutex_lock(&census_lock);
	census[n][op][err < 134 ? err : 133]++;
	if (!allowed(n, op, t, err) && violations++ < 20)
		fprintf(stderr, "# VIOLATION %s %s at %#llx (kind %d): %s\n",
			node_name[n], op_name[op], (unsigned long long)addr,
			t->kind, err ? strerror(err) : "success");
	pthread_mutex_unlock(&census_lock);
}

/* mmap, one touch (a revoked page is SIGBUS, caught), munmap. */
static int map_touch(int fd, uint64_t addr, size_t len, const struct target *t)
{
	char *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, (off_t)addr);
	int err = 0;

	if (p == MAP_FAILED)
		return errno;
	touching = 1;
	if (!sigsetjmp(touch_env, 1))
		__atomic_load_n(p, __ATOMIC_RELAXED);
	else if (t->kind != RAM && t->kind != FLUX)
		err = EFAULT;	/* SIGBUS is only for memory going away */
	touching = 0;
	munmap((void *)p, len);
	return err;
}

/* A worker's own descriptors: the file position is per descriptor. */
struct worker {
	uint64_t seed;
	unsigned long ops;
	int fd[NNODES], wfd[NNODES];
};

static int one_op(const struct worker *w, enum node n, enum memx_op op,
		  const struct target *t, uint64_t addr, size_t len, char *buf)
{
	static const int whence[] = {
		SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE,
	};
	struct memx_vtop v = { .vaddr = addr };
	ssize_t ret;

	switch (op) {
	case READ:
		ret = read_at(w->fd[n], addr, buf, len);
		break;
	case IOCTL:
		ret = ioc_xfer(w->fd[n], MEMX_IOC_READ, addr, buf, len);
		break;
	case SEEK:
		ret = lseek(w->fd[n], (off_t)addr, whence[len % 5]);
		break;
	case MMAP:
		return map_touch(w->fd[n], addr & ~(PAGE - 1),
				 (len % 4 + 1) * PAGE, t);
	case VTOP:
		ret = ioctl(w->fd[n], MEMX_IOC_VTOP, &v);
		break;
	default:	/* WRITE */
		ret = ioc_xfer(w->wfd[n], MEMX_IOC_WRITE, addr, buf, len);
		break;
	}
	return ret == -1 ? errno : 0;	/* lseek returns kernel addresses < 0 */
}

/* A length: mostly small, sometimes a page or more, rarely 1 MiB. */
static size_t pick_len(uint64_t *s)
{
	uint64_t r = rnd(s);

	if (r % 256 == 0)
		return 1 << 20;
	if (r % 16 < 2)
		return PAGE + (r >> 8) % PAGE;
	return 1 + (r >> 8) % 512;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	uint64_t s = w->seed, addr;
	char *buf = malloc(1 << 20);
	const struct target *t;
	struct target gone = { 0, FLUX, 0 };
	unsigned long i;
	enum node n;
	enum memx_op op;
	size_t len;

	for (i = 0; buf && i < w->ops; i++) {
		n = rnd(&s) % NNODES;
		op = rnd(&s) % 20 < 2 ? MMAP : rnd(&s) % NOPS;
		t = &cases[n][rnd(&s) % ncases[n]];
		if (n != MEM && rnd(&s) % 16 == 0) {
			gone.addr = read_num(HELPER "churn_addr", 0);
			t = &gone;
		}
		len = pick_len(&s);
		addr = t->addr + (t->kind == LAST ? 0 : rnd(&s) % 8);
		if (op == WRITE) {
			/* Writes: only scratch memory, at its own width. */
			if (t->kind != SCRATCH)
				op = READ;
			addr = t->addr + (t->width ? 0 : rnd(&s) % 64);
			len = t->width ? t->width : 1 + rnd(&s) % 256;
			memset(buf, 0x5a, len);
		}
		record(n, op, t, one_op(w, n, op, t, addr, len, buf), addr);
	}
	free(buf);
	return NULL;
}

/* Racer: a movable memory block offline and online, again and again. */
static void *offline_racer(void *arg)
{
	uint64_t bsz = memory_block_size();
	char path[128];
	int blk;

	(void)arg;
	while (bsz && !__atomic_load_n(&stop_racers, __ATOMIC_RELAXED)) {
		for (blk = 1024; blk > 0; blk--) {
			memory_block_state(path, sizeof(path), blk);
			if (!access(path, F_OK) && !write_str(path, "offline"))
				break;
		}
		usleep(20000);
		if (blk)
			write_str(path, "online");
		usleep(20000);
	}
	return NULL;
}

/* Racer: pages poisoned by children, unpoisoned where the injector is. */
static void *poison_racer(void *arg)
{
	int i, status, pfd[2];
	uint64_t pa;

	(void)arg;
	for (i = 0; i < 16 && !__atomic_load_n(&stop_racers, __ATOMIC_RELAXED);
	     i++) {
		pid_t pid;

		if (pipe(pfd))
			break;
		pid = fork();
		if (!pid)
			poison_own_page(pfd[1]);
		close(pfd[1]);
		if (pid > 0 && read(pfd[0], &pa, sizeof(pa)) == sizeof(pa)) {
			waitpid(pid, &status, 0);
			usleep(100000);
			unpoison_pa(pa);
		}
		close(pfd[0]);
		usleep(100000);
	}
	return NULL;
}

/* Racer: processes that map, touch and unmap memory. */
static void *map_racer(void *arg)
{
	int status;

	(void)arg;
	while (!__atomic_load_n(&stop_racers, __ATOMIC_RELAXED)) {
		pid_t pid = fork();

		if (!pid) {
			for (int i = 0; i < 50; i++) {
				char *p = mmap(NULL, 64 * PAGE,
					       PROT_READ | PROT_WRITE,
					       MAP_PRIVATE | MAP_ANONYMOUS,
					       -1, 0);

				if (p != MAP_FAILED) {
					memset(p, i, 64 * PAGE);
					munmap(p, 64 * PAGE);
				}
			}
			_exit(0);
		}
		if (pid > 0)
			waitpid(pid, &status, 0);
	}
	return NULL;
}

/* Each node read-only and read-write for @w; 0 or -1. */
static int open_nodes(struct worker *w)
{
	char path[32];
	int n;

	for (n = 0; n < NNODES; n++) {
		snprintf(path, sizeof(path), "/dev/%s", node_name[n]);
		w->fd[n] = open(path, O_RDONLY);
		w->wfd[n] = open_rw(path);
		if (w->fd[n] < 0 || w->wfd[n] < 0)
			return -1;
	}
	return 0;
}

static void close_nodes(struct worker *w)
{
	int n;

	for (n = 0; n < NNODES; n++) {
		close(w->fd[n]);
		close(w->wfd[n]);
	}
}

static void *(*const racers[])(void *) = {
	offline_racer, poison_racer, map_racer,
};

FIXTURE(stress) {
	struct worker w[THREADS];
};

FIXTURE_SETUP(stress)
{
	int i;

	memset(self->w, 0xff, sizeof(self->w));
	for (i = 0; i < THREADS; i++)
		if (open_nodes(&self->w[i]))
			SKIP(return, "memx nodes: %s", strerror(errno));
	if (!read_num(HELPER "vbuf_addr", 0))
		SKIP(return, "memx_helper not loaded");
}

FIXTURE_TEARDOWN(stress)
{
	int i;

	for (i = 0; i < THREADS; i++)
		close_nodes(&self->w[i]);
}

TEST_F_TIMEOUT(stress, random_operations_racing_the_kernel, 3000)
{
	const char *env = getenv("MEMX_STRESS_SEED");
	const char *nops = getenv("MEMX_STRESS_OPS");
	pthread_t wt[THREADS], rt[ARRAY_SIZE(racers)];
	struct sigaction sa = { .sa_handler = on_sigbus };
	uint64_t seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	unsigned long ops = nops ? strtoul(nops, NULL, 0) : 1000000, total = 0;
	struct worker *w = self->w;
	unsigned int i, n, op, e;

	TH_LOG("seed %#llx (MEMX_STRESS_SEED repeats the run), %lu operations",
	       (unsigned long long)seed, ops);
	build_cases(w[0].fd[KMEM]);
	for (n = 0; n < NNODES; n++)
		ASSERT_LT(8, ncases[n]);
	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));
	write_str(HELPER "churn", "1");
	for (i = 0; i < ARRAY_SIZE(racers); i++)
		ASSERT_EQ(0, pthread_create(&rt[i], NULL, racers[i], NULL));
	for (i = 0; i < THREADS; i++) {
		w[i].seed = seed * (i + 1) | 1;
		w[i].ops = ops / THREADS;
		ASSERT_EQ(0, pthread_create(&wt[i], NULL, work, &w[i]));
	}
	for (i = 0; i < THREADS; i++)
		pthread_join(wt[i], NULL);
	__atomic_store_n(&stop_racers, 1, __ATOMIC_RELAXED);
	for (i = 0; i < ARRAY_SIZE(racers); i++)
		pthread_join(rt[i], NULL);
	write_str(HELPER "churn", "0");

	/* The census: every outcome per node and operation. */
	for (n = 0; n < NNODES; n++) {
		for (op = 0; op < NOPS; op++) {
			char line[512];
			int len = snprintf(line, sizeof(line), "%-8s %-6s",
					   node_name[n], op_name[op]);

			for (e = 0; e < 134; e++) {
				if (!census[n][op][e])
					continue;
				total += census[n][op][e];
				len += snprintf(line + len, sizeof(line) - len,
						" %s %lu", e ? strerrorname_np(e) : "ok",
						census[n][op][e]);
			}
			TH_LOG("%s", line);
		}
	}
	EXPECT_EQ(ops / THREADS * THREADS, total);
	EXPECT_EQ(0, violations);
}

TEST_HARNESS_MAIN
