/* SPDX-License-Identifier: GPL-2.0 */
/* The headers of memx dump's formats as bytes (layout.c). */
#ifndef MEMX_LAYOUT_H
#define MEMX_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#define MEMX_LIME_MAGIC		0x4C694D45
#define MEMX_LIME_HDR_SIZE	32

/* LiME's range header: [start, end] with end inclusive, little endian. */
void memx_lime_header(uint8_t out[MEMX_LIME_HDR_SIZE], uint64_t start,
		      uint64_t end_inclusive);

/* A RAM range of the dump, and where its bytes sit in the file. */
struct memx_seg {
	uint64_t paddr;
	uint64_t vaddr;
	uint64_t size;
	uint64_t offset;
};

/*
 * A kdump-style ELF64 core header: the ELF header, one PT_NOTE (@note of
 * @note_len bytes, placed right after the program headers), and a PT_LOAD
 * per segment.  Returns the header's size (the note included), which is
 * where the first segment's data may start; writes nothing if @out is
 * NULL or smaller.
 */
size_t memx_elf_header(uint8_t *out, size_t size, const struct memx_seg *seg,
		       unsigned int nseg, const uint8_t *note,
		       size_t note_len);

#endif /* MEMX_LAYOUT_H */
