// SPDX-License-Identifier: GPL-2.0
/*
 * memx dump --format elf: a kdump-style ELF64 core.  The CPUs' and
 * VMCOREINFO's notes (notes.c), one PT_LOAD for the kernel image first (as
 * /proc/vmcore has it), then one per RAM range (p_paddr physical, p_vaddr
 * the direct map).  With --hash, the MEMX note ends the notes, its digests
 * written in place once the ranges are.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../../include/uapi/memx.h"
#include "../memx_tool.h"
#include "dump.h"
#include "hash.h"

#define DIRECT_MAP	0xffff888000000000ULL	/* without KASLR, 4-level */

struct elf {
	uint8_t *note, *hdr;
	size_t hdr_len, memx_off;	/* the MEMX note's offset in hdr */
};

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
	for (i = d->ram; i < d->nseg; i++) {
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
 * MEMX note at e->memx_off; their length, or 0.
 */
static size_t elf_notes(struct dump *d, struct elf *e)
{
	size_t info, len = dump_notes(d, &e->note, &info), memx_len;
	uint8_t *more;

	if (!len)
		return 0;
	e->memx_off = len;
	if (!d->digest)
		return len;
	memx_len = hash_note_size(d->nram);
	more = realloc(e->note, len + memx_len);
	if (!more)
		return 0;
	e->note = more;
	hash_note(d->seg + d->ram, d->digest[d->ram], d->nram, more + len);
	return len + memx_len;
}

/* The header, the notes in it, and the ranges' places after it. */
static int elf_begin(struct dump *d)
{
	uint64_t base = kernel_u64(d, ksym("page_offset_base")), text, end;
	struct elf *e = calloc(1, sizeof(*e));
	size_t note_len;
	unsigned int i;
	uint64_t off;

	d->fmt_data = e;
	note_len = e ? elf_notes(d, e) : 0;
	if (!note_len)
		return -1;
	if (!base)
		kcore_layout(&text, &end, &base);
	if (!base)
		base = DIRECT_MAP;
	/* Sizes first: the header's length places the data. */
	off = memx_elf_header(NULL, 0, d->seg, d->nseg, e->note, note_len);
	e->memx_off += off - note_len;	/* the notes end the header */
	off = (off + PAGE - 1) / PAGE * PAGE;
	for (i = d->ram; i < d->nseg; i++) {
		d->seg[i].vaddr = base + d->seg[i].paddr;
		d->seg[i].offset = off;
		off += d->seg[i].size;
	}
	if (image_segment(d)) {
		fprintf(stderr, "memx: the kernel image (_text) is not in the dumped RAM\n");
		return -1;
	}
	e->hdr_len = d->seg[d->ram].offset;
	e->hdr = calloc(1, e->hdr_len);
	if (!e->hdr)
		return -1;
	memx_elf_header(e->hdr, e->hdr_len, d->seg, d->nseg, e->note, note_len);
	return dump_write(d, e->hdr, e->hdr_len);
}

/* --hash: the digests are known now: the MEMX note again, in place. */
static int elf_end(struct dump *d)
{
	struct elf *e = d->fmt_data;

	if (!d->digest)
		return 0;
	hash_note(d->seg + d->ram, d->digest[d->ram], d->nram,
		  e->hdr + e->memx_off);
	return dump_write_at(d, e->hdr + e->memx_off, e->hdr_len - e->memx_off,
			     e->memx_off);
}

static void elf_release(struct dump *d)
{
	struct elf *e = d->fmt_data;

	if (!e)
		return;
	free(e->hdr);
	free(e->note);
	free(e);
}

const struct dump_format dump_elf = {
	.name = "elf",
	.reserve = 1,
	.flags = FMT_DIGESTS,
	.bad = "written as zeros",
	.begin = elf_begin,
	.chunk = dump_bytes,
	.end = elf_end,
	.release = elf_release,
};
