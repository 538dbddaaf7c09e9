// SPDX-License-Identifier: GPL-2.0
/*
 * The headers of memx dump's formats as bytes, pure (unit-tested on the
 * host): LiME's range header and a kdump-style ELF64 core header.
 */
#include <elf.h>
#include <string.h>

#include "layout.h"

static void put_le(uint8_t *p, uint64_t v, unsigned int bytes)
{
	unsigned int i;

	for (i = 0; i < bytes; i++)
		p[i] = v >> (8 * i);
}

void memx_lime_header(uint8_t out[MEMX_LIME_HDR_SIZE], uint64_t start,
		      uint64_t end_inclusive)
{
	memset(out, 0, MEMX_LIME_HDR_SIZE);
	put_le(out, MEMX_LIME_MAGIC, 4);
	put_le(out + 4, 1, 4);		/* version */
	put_le(out + 8, start, 8);
	put_le(out + 16, end_inclusive, 8);
}

/* The machine the dump's memory belongs to: the one memx runs on. */
#ifdef __aarch64__
#define MEMX_EM		EM_AARCH64
#else
#define MEMX_EM		EM_X86_64
#endif

/*
 * With PN_XNUM program headers or more, e_phnum is PN_XNUM and the count is
 * in section header 0's sh_info (the ELF extended numbering); that header
 * follows the program headers.
 */
size_t memx_elf_header(uint8_t *out, size_t size, const struct memx_seg *seg,
		       unsigned int nseg, const uint8_t *note,
		       size_t note_len)
{
	size_t phnum = (size_t)nseg + 1, phoff = sizeof(Elf64_Ehdr);
	size_t shoff = phoff + phnum * sizeof(Elf64_Phdr);
	int xnum = phnum >= PN_XNUM;
	size_t note_off = shoff + (xnum ? sizeof(Elf64_Shdr) : 0);
	size_t total = note_off + note_len;
	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64,
			     ELFDATA2LSB, EV_CURRENT, ELFOSABI_NONE },
		.e_type = ET_CORE,
		.e_machine = MEMX_EM,
		.e_version = EV_CURRENT,
		.e_phoff = phoff,
		.e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr),
		.e_phnum = xnum ? PN_XNUM : phnum,
		.e_shoff = xnum ? shoff : 0,
		.e_shentsize = xnum ? sizeof(Elf64_Shdr) : 0,
		.e_shnum = xnum,
	};
	Elf64_Shdr sh = { .sh_info = phnum };
	Elf64_Phdr ph = {
		.p_type = PT_NOTE,
		.p_offset = note_off,
		.p_filesz = note_len,
		.p_memsz = note_len,
		.p_align = 4,
	};
	unsigned int i;

	if (!out || size < total)
		return total;
	memcpy(out, &eh, sizeof(eh));
	memcpy(out + phoff, &ph, sizeof(ph));
	/* p_align 0, as /proc/vmcore's: crash then takes it for a kdump. */
	for (i = 0; i < nseg; i++) {
		ph = (Elf64_Phdr){
			.p_type = PT_LOAD,
			.p_flags = PF_R | PF_W | PF_X,
			.p_offset = seg[i].offset,
			.p_vaddr = seg[i].vaddr,
			.p_paddr = seg[i].paddr,
			.p_filesz = seg[i].size,
			.p_memsz = seg[i].size,
		};
		memcpy(out + phoff + (i + 1) * sizeof(ph), &ph, sizeof(ph));
	}
	if (xnum)
		memcpy(out + shoff, &sh, sizeof(sh));
	memcpy(out + note_off, note, note_len);
	return total;
}
