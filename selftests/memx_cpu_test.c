// SPDX-License-Identifier: GPL-2.0
/*
 * MEMX_IOC_CPU_REGS: the registers another CPU runs with, checked against
 * what the test put there.  A child pinned to CPU 1 spins in user space
 * with marker values in r12 and r13 in spin_user()'s few bytes, or in the
 * helper module's helper_spin() with interrupts off (kallsyms names the
 * function), or holds its CPU inside an NMI handler (EBUSY); an idle CPU
 * runs pid 0.  The test itself runs on CPU 0.
 */
#include <sched.h>
#include <signal.h>
#include <sys/klog.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "memx_test.h"

#define R12_MARK	0x6d656d7872313221ULL
#define R13_MARK	0x6d656d7872313321ULL
/* Indexes in regs[]: struct user_regs_struct's order. */
#define GR_R12		3
#define GR_R13		2
#define GR_IP		16
#define GR_CS		17
#define GR_FLAGS	18
#define GR_SP		19
#define X86_IF		0x200
#define KERNEL_CS	0x10
#define USER_CS		0x33
#define SPIN_BYTES	64	/* spin_user() is shorter */
#define TRIES		2000	/* answers looked at before giving up */

/* r12 and r13 hold the markers for as long as the loop runs. */
static void spin_user(void)
{
	asm volatile("movabs %0, %%r12\n\t"
		     "movabs %1, %%r13\n"
		     "1:\tpause\n\t"
		     "jmp 1b"
		     : : "i" (R12_MARK), "i" (R13_MARK) : "r12", "r13");
	__builtin_unreachable();
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static int cpu_regs(int fd, unsigned int cpu, struct memx_cpu_regs *r)
{
	memset(r, 0, sizeof(*r));
	r->cpu = cpu;
	return ioctl(fd, MEMX_IOC_CPU_REGS, r);
}

/* The kallsyms symbol @ip falls in (the last one at or below it). */
static int ksym_at(uint64_t ip, char *name, size_t size, char *type)
{
	char line[512], sym[256], t;
	unsigned long long addr, best = 0;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &t, sym) == 3 &&
		    addr <= ip && addr > best) {
			best = addr;
			snprintf(name, size, "%s", sym);
			*type = t;
		}
	}
	fclose(f);
	return best ? 0 : -1;
}

static int is_text(char type)
{
	return type == 't' || type == 'T';
}

/*
 * A child on CPU 1 running @fn; 0 when it could not be started.  @fn is
 * hidden from the optimiser (OPTIMIZER_HIDE_VAR): it runs out of line,
 * where its address says.
 */
static pid_t child_on_cpu1(void (*fn)(void))
{
	pid_t pid = fork();

	asm volatile("" : "+r" (fn));
	if (pid == 0) {
		if (pin(1))
			_exit(2);
		fn();
		_exit(0);
	}
	return pid < 0 ? 0 : pid;
}

static void stop_child(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void kernel_spin(void)
{
	write_str(HELPER "spin", "1");
}

static void nmi_hold(void)
{
	write_str(HELPER "nmi_hold", "1");
}

/* Asks CPU 1 until @pid runs there in the mode @user; 0 when found. */
static int wait_for(int fd, pid_t pid, int user, struct memx_cpu_regs *r)
{
	int i;

	for (i = 0; i < TRIES; i++) {
		if (cpu_regs(fd, 1, r))
			return -1;
		if (r->pid == pid && !!(r->flags & MEMX_CPU_USER) == user)
			return 0;
		usleep(1000);
	}
	return -1;
}

/* Asks CPU 1 until @pid runs there in kernel function @fn; 0 when found. */
static int wait_in(int fd, pid_t pid, const char *fn, struct memx_cpu_regs *r)
{
	char name[256], type;
	int i;

	for (i = 0; i < TRIES; i++) {
		if (cpu_regs(fd, 1, r))
			return -1;
		if (r->pid == pid && !(r->flags & MEMX_CPU_USER) &&
		    !ksym_at(r->regs[GR_IP], name, sizeof(name), &type) &&
		    !strcmp(name, fn))
			return 0;
		usleep(1000);
	}
	return -1;
}

/* Until the helper says a thread spins with interrupts off; 0 then. */
static int wait_spinning(void)
{
	char on[8] = "";
	int i;

	for (i = 0; i < TRIES && on[0] != 'Y'; i++) {
		usleep(1000);
		read_file(HELPER "spinning", on, sizeof(on));
	}
	return on[0] == 'Y' ? 0 : -1;
}

FIXTURE(cpu) {
	int fd;
};

FIXTURE_SETUP(cpu)
{
	ASSERT_EQ(0, pin(0));
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "one CPU: boot with -smp 2 or more");
	self->fd = open("/dev/kmemx", O_RDONLY);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(cpu)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST(memx_node_is_enotty)
{
	struct memx_cpu_regs r;
	int fd = open("/dev/memx", O_RDONLY);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, cpu_regs(fd, 0, &r));
	EXPECT_EQ(ENOTTY, errno);
	close(fd);
}

TEST_F(cpu, cpu_beyond_the_possible_ones_is_einval)
{
	struct memx_cpu_regs r;
	unsigned int bad[] = { sysconf(_SC_NPROCESSORS_CONF) + 4096,
			       0x80000000u, 0xffffffffu };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-1, cpu_regs(self->fd, bad[i], &r));
		EXPECT_EQ(EINVAL, errno);
	}
}

/* Registers are read: a write-only descriptor (writable=1) is EBADF. */
TEST(write_only_descriptor_is_ebadf)
{
	struct memx_cpu_regs r;
	int fd = open("/dev/kmemx", O_WRONLY);

	if (!read_num(WRITABLE, 0) && fd < 0 && errno == EPERM)
		return;	/* writable=0 refuses the open itself */
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, cpu_regs(fd, 0, &r));
	EXPECT_EQ(EBADF, errno);
	close(fd);
}

TEST_F(cpu, bad_buffer_is_efault)
{
	EXPECT_EQ(-1, ioctl(self->fd, MEMX_IOC_CPU_REGS, (void *)8));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(cpu, offline_cpu_is_enxio_and_online_again_answers)
{
	const char *online = "/sys/devices/system/cpu/cpu1/online";
	struct memx_cpu_regs r;

	if (write_str(online, "0"))
		SKIP(return, "cpu1 cannot go offline (%s)", strerror(errno));
	EXPECT_EQ(-1, cpu_regs(self->fd, 1, &r));
	EXPECT_EQ(ENXIO, errno);
	ASSERT_EQ(0, write_str(online, "1"));
	EXPECT_EQ(0, cpu_regs(self->fd, 1, &r));
}

/* Its own CPU: the NMI arrives inside the ioctl, in kernel text. */
TEST_F(cpu, own_cpu_gives_the_callers_kernel_state)
{
	struct memx_cpu_regs r;
	char name[256], type;

	ASSERT_EQ(0, cpu_regs(self->fd, 0, &r));
	EXPECT_EQ(syscall(SYS_gettid), r.pid);
	EXPECT_EQ(0, r.flags);
	EXPECT_EQ(KERNEL_CS, r.regs[GR_CS]);
	ASSERT_EQ(0, ksym_at(r.regs[GR_IP], name, sizeof(name), &type));
	EXPECT_TRUE(is_text(type))
		TH_LOG("ip %#llx in %s (%c)",
		       (unsigned long long)r.regs[GR_IP], name, type);
	EXPECT_EQ(0, r.pad);
}

TEST_F(cpu, user_loop_on_cpu1_is_found_with_its_registers)
{
	struct memx_cpu_regs r;
	pid_t pid = child_on_cpu1(spin_user);
	uint64_t here = (uintptr_t)&r;
	int found, tries = 0;

	ASSERT_NE(0, pid);
	/*
	 * In user mode is not yet in the loop: a slow kernel (the debug
	 * boot) shows the child returning from fork() or its pinning first.
	 */
	do
		found = wait_for(self->fd, pid, 1, &r);
	while (!found && r.regs[GR_IP] - (uintptr_t)spin_user >= SPIN_BYTES &&
	       ++tries < TRIES);
	stop_child(pid);
	ASSERT_EQ(0, found) TH_LOG("pid %d never seen in user mode on cpu 1",
				   pid);
	EXPECT_LE((uintptr_t)spin_user, r.regs[GR_IP]);
	EXPECT_GT((uintptr_t)spin_user + SPIN_BYTES, r.regs[GR_IP]);
	EXPECT_EQ(R12_MARK, r.regs[GR_R12]);
	EXPECT_EQ(R13_MARK, r.regs[GR_R13]);
	EXPECT_EQ(USER_CS, r.regs[GR_CS]);
	EXPECT_TRUE(r.regs[GR_FLAGS] & X86_IF);
	/* The child's stack is the parent's, copied at fork. */
	EXPECT_GT(1 << 20, r.regs[GR_SP] > here ? r.regs[GR_SP] - here :
		  here - r.regs[GR_SP]);
}

TEST_F(cpu, kernel_loop_with_interrupts_off_answers_in_helper_spin)
{
	struct memx_cpu_regs r;
	pid_t pid;
	int found;

	if (access(HELPER "spin", W_OK))
		SKIP(return, "memx_helper is not loaded");
	pid = child_on_cpu1(kernel_spin);
	ASSERT_NE(0, pid);
	/*
	 * helper_spin()'s first instructions, before its cli, run with
	 * interrupts on: TCG can stop there. Ask once it holds the CPU.
	 */
	found = wait_spinning();
	if (!found)
		found = wait_in(self->fd, pid, "helper_spin", &r);
	write_str(HELPER "spin", "0");
	waitpid(pid, NULL, 0);
	ASSERT_EQ(0, found) TH_LOG("pid %d never seen in helper_spin on cpu 1",
				   pid);
	EXPECT_EQ(0, r.flags);
	EXPECT_EQ(KERNEL_CS, r.regs[GR_CS]);
	EXPECT_FALSE(r.regs[GR_FLAGS] & X86_IF);
}

TEST_F(cpu, idle_cpu1_runs_pid_0_in_kernel_text)
{
	struct memx_cpu_regs r;
	char name[256], type;

	ASSERT_EQ(0, wait_for(self->fd, 0, 0, &r));
	EXPECT_EQ(KERNEL_CS, r.regs[GR_CS]);
	ASSERT_EQ(0, ksym_at(r.regs[GR_IP], name, sizeof(name), &type));
	EXPECT_TRUE(is_text(type))
		TH_LOG("ip %#llx in %s (%c)",
		       (unsigned long long)r.regs[GR_IP], name, type);
}

#define UNKNOWN_NMI	"NMI received for unknown reason"

/* A child on CPU 1 held inside the helper's NMI handler; 0 on failure. */
static pid_t hold_cpu1(void)
{
	char held[8] = "";
	pid_t pid = child_on_cpu1(nmi_hold);
	int i;

	for (i = 0; pid && i < TRIES && held[0] != '1'; i++) {
		usleep(1000);
		read_file(HELPER "nmi_hold", held, sizeof(held));
	}
	if (held[0] == '1')
		return pid;
	if (pid)
		stop_child(pid);
	return 0;
}

static void release_cpu1(pid_t pid)
{
	write_str(HELPER "nmi_hold", "0");
	waitpid(pid, NULL, 0);
}

/* Waits (up to TRIES * 10 ms) for the count of unknown NMIs to pass @n. */
static int unknown_nmis_after(int n)
{
	int i, now = dmesg_count(UNKNOWN_NMI);

	for (i = 0; i < TRIES && now <= n; i++) {
		usleep(10000);
		now = dmesg_count(UNKNOWN_NMI);
	}
	return now;
}

/*
 * A CPU held inside another NMI handler cannot take memx's: EBUSY, no
 * hang.  Released, the CPU takes memx's late NMI (memx claims it: no
 * "unknown reason" report) and answers again.
 */
TEST_F(cpu, cpu_held_in_an_nmi_is_ebusy_then_answers_again)
{
	struct memx_cpu_regs r;
	pid_t pid;
	int ret, err;

	if (access(HELPER "nmi_hold", W_OK))
		SKIP(return, "memx_helper is not loaded");
	pid = hold_cpu1();
	ASSERT_NE(0, pid);
	ret = cpu_regs(self->fd, 1, &r);
	err = errno;
	release_cpu1(pid);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EBUSY, err);
	EXPECT_EQ(0, cpu_regs(self->fd, 1, &r));
	EXPECT_FALSE(dmesg_has(UNKNOWN_NMI));
}

/*
 * Two requests to a CPU held in another NMI handler send it two NMIs,
 * which x86 delivers as one when it is released; memx must not stay owed
 * the other and swallow the next NMI there that nobody sent: the
 * helper's unclaimed NMI still reads as of unknown reason.
 */
TEST_F(cpu, merged_late_nmis_leave_an_unknown_nmi_unknown)
{
	struct memx_cpu_regs r;
	int before, err1, err2;
	pid_t pid;

	if (access(HELPER "nmi_send", W_OK))
		SKIP(return, "memx_helper is not loaded");
	pid = hold_cpu1();
	ASSERT_NE(0, pid);
	err1 = cpu_regs(self->fd, 1, &r) ? errno : 0;
	err2 = cpu_regs(self->fd, 1, &r) ? errno : 0;
	release_cpu1(pid);
	EXPECT_EQ(EBUSY, err1);
	EXPECT_EQ(EBUSY, err2);
	ASSERT_EQ(0, cpu_regs(self->fd, 1, &r));
	before = dmesg_count(UNKNOWN_NMI);
	ASSERT_EQ(0, write_str(HELPER "nmi_send", "1"));
	EXPECT_EQ(before + 1, unknown_nmis_after(before));
}

/*
 * rmmod after a request gave up on a CPU held in another NMI handler:
 * the module waits for the late NMI before its handler goes, so that it
 * never reads as unknown; then memx loads again for the tests after.
 */
TEST_F(cpu, rmmod_waits_for_a_late_nmi)
{
	struct memx_cpu_regs r;
	int before, status = -1, err;
	pid_t pid, rm;

	if (access(HELPER "nmi_hold", W_OK) || !getenv("MEMX_KO"))
		SKIP(return, "memx_helper is not loaded, or no MEMX_KO");
	before = dmesg_count(UNKNOWN_NMI);
	/* The holding child must not inherit a node: rmmod would be EAGAIN. */
	close(self->fd);
	pid = hold_cpu1();
	ASSERT_NE(0, pid);
	self->fd = open("/dev/kmemx", O_RDONLY);
	err = cpu_regs(self->fd, 1, &r) ? errno : 0;
	close(self->fd);
	self->fd = -1;
	rm = fork();
	if (rm == 0)
		_exit(syscall(SYS_delete_module, "memx", O_NONBLOCK) ? errno : 0);
	/* rmmod under way (or done, without the wait), then the release. */
	sleep(1);
	release_cpu1(pid);
	waitpid(rm, &status, 0);
	EXPECT_EQ(EBUSY, err);
	EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
		TH_LOG("rmmod: status %#x", status);
	ASSERT_EQ(0, load_memx());
	self->fd = open("/dev/kmemx", O_RDONLY);
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(0, cpu_regs(self->fd, 1, &r));
	EXPECT_EQ(before, dmesg_count(UNKNOWN_NMI));
}

TEST_HARNESS_MAIN
