// SPDX-License-Identifier: GPL-2.0
/*
 * memx verify of an ELF core (memx dump --format elf): a little-endian
 * ELF64 core, its program headers (PN_XNUM's count in section header 0),
 * the MEMX note in its first PT_NOTE, and each record's range in the
 * PT_LOAD with that physical start and size, read in full.  The PT_LOADs
 * are sorted once, so that a record is found in log time.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>

#include "memx_verify.h"

/* The ELF header, and the number of program headers. */
static int elf_header(struct dfile *f, Elf64_Ehdr *eh, uint64_t *phnum)
{
	Elf64_Shdr sh;

	if (dfile_read(f, eh, sizeof(*eh), 0, "the ELF header"))
		return -1;
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return dfile_fail(f, "ELF class %u, not ELFCLASS64",
				  eh->e_ident[EI_CLASS]);
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return dfile_fail(f, "ELF byte order %u, not little-endian",
				  eh->e_ident[EI_DATA]);
	if (eh->e_type != ET_CORE)
		return dfile_fail(f, "ELF type %u, not a core file", eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return dfile_fail(f, "program headers of %u bytes, not %zu",
				  eh->e_phentsize, sizeof(Elf64_Phdr));
	*phnum = eh->e_phnum;
	if (eh->e_phnum != PN_XNUM)
		return 0;
	if (eh->e_shentsize != sizeof(sh) || !eh->e_shnum)
		return dfile_fail(f,
				  "e_phnum is PN_XNUM but there is no section header 0 of %zu bytes",
				  sizeof(sh));
	if (dfile_read(f, &sh, sizeof(sh), eh->e_shoff,
		       "section header 0 (the program header count)"))
		return -1;
	*phnum = sh.sh_info;
	return 0;
}

static int by_start(const void *a, const void *b)
{
	const Elf64_Phdr *x = a, *y = b;

	if (x->p_paddr != y->p_paddr)
		return x->p_paddr < y->p_paddr ? -1 : 1;
	if (x->p_filesz != y->p_filesz)
		return x->p_filesz < y->p_filesz ? -1 : 1;
	return 0;
}

/* The PT_LOADs of @ph, moved to its start and sorted; their count. */
static uint64_t sort_loads(Elf64_Phdr *ph, uint64_t phnum)
{
	uint64_t i, n = 0;

	for (i = 0; i < phnum; i++)
		if (ph[i].p_type == PT_LOAD)
			ph[n++] = ph[i];
	qsort(ph, n, sizeof(*ph), by_start);
	return n;
}

/* Record @i's digest from its PT_LOAD among the @n in @load. */
static int load_digest(struct dfile *f, const Elf64_Phdr *load, uint64_t n,
		       struct records *r, uint64_t i)
{
	const struct range_digest *d = &r->rec[i];
	Elf64_Phdr key = { .p_paddr = d->paddr, .p_filesz = d->size };
	const Elf64_Phdr *ph = bsearch(&key, load, n, sizeof(*load), by_start);
	char what[80];

	if (!ph)
		return dfile_fail(f, "range %#llx-%#llx: no PT_LOAD holds it",
				  (unsigned long long)d->paddr,
				  (unsigned long long)(d->paddr + d->size));
	snprintf(what, sizeof(what), "range %#llx-%#llx's PT_LOAD",
		 (unsigned long long)d->paddr,
		 (unsigned long long)(d->paddr + d->size));
	if (dfile_holds(f, d->size, ph->p_offset, what))
		return -1;
	if (hash_span(f->fd, ph->p_offset, d->size, r->got[i]))
		return dfile_fail(f, "%s: cannot read its %llu bytes at offset %llu",
				  what, (unsigned long long)d->size,
				  (unsigned long long)ph->p_offset);
	return 0;
}

int elf_ranges(struct dfile *f, struct records *r)
{
	uint8_t *notes = NULL;
	Elf64_Phdr *ph = NULL;
	uint64_t phnum, i, n;
	Elf64_Ehdr eh;
	int ret = -1;

	if (elf_header(f, &eh, &phnum))
		return -1;
	if (phnum > f->size / sizeof(*ph))
		return dfile_fail(f, "%llu program headers: more than the file holds",
				  (unsigned long long)phnum);
	ph = dfile_load(f, phnum * sizeof(*ph), eh.e_phoff,
			"the program headers");
	if (!ph)
		return -1;
	for (i = 0; i < phnum && ph[i].p_type != PT_NOTE; i++)
		;
	if (i < phnum) {
		notes = dfile_load(f, ph[i].p_filesz, ph[i].p_offset, "PT_NOTE");
		if (!notes || memx_records(f, notes, ph[i].p_filesz, r))
			goto out;
	}
	n = sort_loads(ph, phnum);
	for (i = 0; i < r->n; i++)
		if (load_digest(f, ph, n, r, i))
			goto out;
	ret = 0;
out:
	free(notes);
	free(ph);
	return ret;
}
