// SPDX-License-Identifier: GPL-2.0
/*
 * memx: MEMX_IOC_CPU_REGS on x86-64, the registers a CPU was running with,
 * as an NMI finds them there.
 *
 * An NMI rather than the call-function IPI: that IPI's handler is given no
 * interrupted-context registers (x86 does not set_irq_regs() for it), and a
 * CPU spinning with interrupts off would never take it.  One request runs
 * at a time: the caller names the CPU, sends it an NMI and waits a bounded
 * time for the handler there to fill in the answer.  The caller's own CPU
 * is asked the same way (the NMI backtrace sends its own CPU one too): its
 * NMI arrives inside the ioctl.
 *
 * The request word holds the CPU asked with the phase, so that an NMI
 * that comes late, on the CPU of a request that gave up, can never answer
 * the next request, which may be for another CPU.  Each CPU memx sent an
 * NMI has a flag, which its handler there clears and claims the NMI by:
 * one that arrives after its caller gave up is memx's too, and never reads
 * as an unknown NMI.  A flag, not a count: x86 keeps one NMI pending, so
 * two sent to a CPU that is inside another NMI handler arrive as one, and
 * a count left at one would swallow the next unknown NMI there.  The
 * module waits for its late NMIs before it unregisters the handler.
 */

#include <linux/cpu.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <asm/apic.h>
#include <asm/fsgsbase.h>
#include <asm/nmi.h>

#include "memx.h"
#include "memx_arch.h"

/* How long a CPU may take to answer: a TCG vCPU on a loaded host is slow. */
#define MEMX_CPU_WAIT	(2 * HZ)
/* How long rmmod waits for NMIs that came late: far above MEMX_CPU_WAIT. */
#define MEMX_EXIT_WAIT	(30 * HZ)

/* The request word: the CPU asked, and the phase of its request. */
enum { MEMX_REQ_IDLE, MEMX_REQ_PENDING, MEMX_REQ_TAKING, MEMX_REQ_DONE };
#define MEMX_REQ(cpu, phase)	((cpu) << 2 | (phase))

static DEFINE_MUTEX(memx_cpu_lock);	/* one request at a time */
static atomic_t memx_req = ATOMIC_INIT(MEMX_REQ_IDLE);
static struct memx_cpu_regs memx_answer;
static DEFINE_PER_CPU(atomic_t, memx_nmi_sent);

/* @regs in the order of struct user_regs_struct, as ELF_CORE_COPY_REGS. */
static void memx_copy_regs(struct memx_cpu_regs *r, struct pt_regs *regs)
{
	u64 *g = r->regs;
	u64 v;

	g[0] = regs->r15;
	g[1] = regs->r14;
	g[2] = regs->r13;
	g[3] = regs->r12;
	g[4] = regs->bp;
	g[5] = regs->bx;
	g[6] = regs->r11;
	g[7] = regs->r10;
	g[8] = regs->r9;
	g[9] = regs->r8;
	g[10] = regs->ax;
	g[11] = regs->cx;
	g[12] = regs->dx;
	g[13] = regs->si;
	g[14] = regs->di;
	g[15] = regs->orig_ax;
	g[16] = regs->ip;
	g[17] = regs->cs;
	g[18] = regs->flags;
	g[19] = regs->sp;
	g[20] = regs->ss;
	g[21] = x86_fsbase_read_cpu();
	/* The user's GS base, which the kernel swapped out on entry. */
	rdmsrq(MSR_KERNEL_GS_BASE, v);
	g[22] = v;
	savesegment(ds, g[23]);
	savesegment(es, g[24]);
	savesegment(fs, g[25]);
	savesegment(gs, g[26]);
	r->pid = current->pid;
	r->flags = user_mode(regs) ? MEMX_CPU_USER : 0;
}

static int memx_nmi(unsigned int type, struct pt_regs *regs)
{
	int cpu = smp_processor_id();

	if (!atomic_xchg(this_cpu_ptr(&memx_nmi_sent), 0))
		return NMI_DONE;
	if (atomic_cmpxchg(&memx_req, MEMX_REQ(cpu, MEMX_REQ_PENDING),
			   MEMX_REQ(cpu, MEMX_REQ_TAKING)) ==
	    MEMX_REQ(cpu, MEMX_REQ_PENDING)) {
		memx_copy_regs(&memx_answer, regs);
		atomic_set_release(&memx_req, MEMX_REQ(cpu, MEMX_REQ_DONE));
	}
	return NMI_HANDLED;
}

/*
 * Wait for CPU @cpu's answer.  A handler that has begun (TAKING) finishes
 * in a few instructions; one that has not is cancelled, EBUSY.
 */
static int memx_cpu_wait(unsigned int cpu)
{
	unsigned long deadline = jiffies + MEMX_CPU_WAIT;

	while (atomic_read_acquire(&memx_req) !=
	       MEMX_REQ(cpu, MEMX_REQ_DONE)) {
		if (time_after(jiffies, deadline) &&
		    atomic_cmpxchg(&memx_req, MEMX_REQ(cpu, MEMX_REQ_PENDING),
				   MEMX_REQ_IDLE) ==
		    MEMX_REQ(cpu, MEMX_REQ_PENDING))
			return -EBUSY;
		usleep_range(50, 200);
	}
	return 0;
}

static int memx_cpu_ask(unsigned int cpu, struct memx_cpu_regs *r)
{
	int err;

	if (mutex_lock_killable(&memx_cpu_lock))
		return -EINTR;
	atomic_set_release(&memx_req, MEMX_REQ(cpu, MEMX_REQ_PENDING));
	atomic_set(per_cpu_ptr(&memx_nmi_sent, cpu), 1);
	apic->send_IPI_mask(cpumask_of(cpu), NMI_VECTOR);
	err = memx_cpu_wait(cpu);
	if (!err) {
		memcpy(r->regs, memx_answer.regs, sizeof(r->regs));
		r->pid = memx_answer.pid;
		r->flags = memx_answer.flags;
	}
	atomic_set(&memx_req, MEMX_REQ_IDLE);
	mutex_unlock(&memx_cpu_lock);
	return err;
}

int memx_cpu_regs(struct memx_cpu_regs *r)
{
	int err;

	cpus_read_lock();
	if (cpu_online(r->cpu))
		err = memx_cpu_ask(r->cpu, r);
	else
		err = -ENXIO;
	cpus_read_unlock();
	return err;
}

int memx_cpu_init(void)
{
	return register_nmi_handler(NMI_LOCAL, memx_nmi, 0, "memx");
}

/* Has every NMI memx sent arrived? */
static bool memx_nmis_arrived(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		if (atomic_read(per_cpu_ptr(&memx_nmi_sent, cpu)))
			return false;
	return true;
}

/*
 * A CPU held in another NMI handler takes memx's when it leaves it: wait
 * for that (bounded, for a CPU that never returns) before the handler
 * goes, or the late NMI would read as an unknown one.
 */
void memx_cpu_exit(void)
{
	unsigned long deadline = jiffies + MEMX_EXIT_WAIT;

	while (!memx_nmis_arrived() && time_before(jiffies, deadline))
		msleep(20);
	unregister_nmi_handler(NMI_LOCAL, "memx");
}
