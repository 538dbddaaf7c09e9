// SPDX-License-Identifier: GPL-2.0
/*
 * memx dump: the notes an ELF or kdump dump starts with, as /proc/vmcore
 * orders them: an NT_PRSTATUS note for each online CPU, in CPU order, laid
 * out as the kernel's crash_save_cpu() lays out its own, with the registers
 * an NMI found there (MEMX_IOC_CPU_REGS) in pr_reg, then VMCOREINFO's note,
 * read through /dev/memx.  pr_pid is the CPU number + 1, as in the dumps of
 * a running kernel that QEMU's dump-guest-memory writes: a dump whose
 * VMCOREINFO has no CRASHTIME is one of those to drgn, which finds CPU N's
 * note by that pid (crash takes the notes in order, one an online CPU).
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/procfs.h>
#include <unistd.h>

#include "../../include/uapi/memx.h"
#include "dump.h"

#define CORE_NAME	"CORE"
#define NAME_SIZE	8	/* "CORE" and its NUL, padded to 4 bytes */
#define PRSTATUS_NOTE	(sizeof(Elf64_Nhdr) + NAME_SIZE + \
			 (sizeof(struct elf_prstatus) + 3) / 4 * 4)

_Static_assert(sizeof(elf_gregset_t) <=
	       sizeof(((struct memx_cpu_regs *)0)->regs),
	       "memx_cpu_regs holds an elf_gregset_t");

/* A CPU's note at @out: @r's registers, and @pid. */
static void prstatus_note(const struct memx_cpu_regs *r, int pid, uint8_t *out)
{
	Elf64_Nhdr nh = { .n_namesz = sizeof(CORE_NAME),
			  .n_descsz = sizeof(struct elf_prstatus),
			  .n_type = NT_PRSTATUS };
	struct elf_prstatus ps;

	memset(&ps, 0, sizeof(ps));
	ps.pr_pid = pid;
	memcpy(&ps.pr_reg, r->regs, sizeof(ps.pr_reg));
	memset(out, 0, PRSTATUS_NOTE);
	memcpy(out, &nh, sizeof(nh));
	memcpy(out + sizeof(nh), CORE_NAME, sizeof(CORE_NAME));
	memcpy(out + sizeof(nh) + NAME_SIZE, &ps, sizeof(ps));
}

/*
 * Appends the notes of CPUs 0 on to *@notes (*@len bytes so far) until
 * the first CPU number beyond the possible ones; 0 or -1.  An offline
 * CPU has no note, as in /proc/vmcore.  A CPU that does not answer gets
 * a note of zeros with pid 0, which drgn finds for no CPU, so the notes
 * still follow the online CPUs' order.
 */
static int cpu_notes(struct dump *d, uint8_t **notes, size_t *len)
{
	struct memx_cpu_regs r;
	uint8_t *more;
	int pid, err;

	for (r.cpu = 0;; r.cpu++) {
		pid = r.cpu + 1;
		if (ioctl(d->kmem, MEMX_IOC_CPU_REGS, &r)) {
			err = errno;
			if (err == ENXIO)
				continue;
			/* Past the last CPU, or no CPU registers (arm64). */
			if (err == EINVAL || err == ENOTTY)
				return 0;
			fprintf(stderr, "memx: cannot read CPU %u's registers: %s%s\n",
				r.cpu, strerror(err),
				err == EBUSY ? " (its note is empty)" : "");
			if (err != EBUSY)
				return -1;
			memset(&r.flags, 0, sizeof(r) - sizeof(r.cpu));
			pid = 0;
		}
		more = realloc(*notes, *len + PRSTATUS_NOTE);
		if (!more)
			return -1;
		*notes = more;
		prstatus_note(&r, pid, more + *len);
		*len += PRSTATUS_NOTE;
	}
}

/* VMCOREINFO's note, appended; its length, or 0. */
static size_t info_note(struct dump *d, uint8_t **notes, size_t len)
{
	unsigned long long paddr;
	unsigned int size;
	FILE *f = fopen("/sys/kernel/vmcoreinfo", "r");
	int ok = f && fscanf(f, "%llx %x", &paddr, &size) == 2;
	uint8_t *more;

	if (f)
		fclose(f);
	if (!ok || !size || size > VMCOREINFO_MAX)
		return 0;
	more = realloc(*notes, len + size);
	if (!more)
		return 0;
	*notes = more;
	if (pread(d->mem, more + len, size, paddr) != (ssize_t)size)
		return 0;
	return memx_note_length(more + len, size);
}

size_t dump_notes(struct dump *d, uint8_t **notes, size_t *info)
{
	size_t len = 0, info_len;

	*notes = NULL;
	if (cpu_notes(d, notes, &len))
		return 0;
	*info = len;
	info_len = info_note(d, notes, len);
	if (!info_len) {
		fprintf(stderr, "memx: cannot read VMCOREINFO through /dev/memx\n");
		return 0;
	}
	return len + info_len;
}
