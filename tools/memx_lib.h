/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pure parts of the memx command, unit-tested on the host: address
 * parsing, access-width rules, VMCOREINFO and /proc/kcore's headers.
 */
#ifndef MEMX_LIB_H
#define MEMX_LIB_H

#include <stddef.h>
#include <sys/types.h>
#include <stdint.h>
#include <stdio.h>

/*
 * WHERE: a number (0x..., decimal) or a /proc/kallsyms symbol with an
 * optional +offset ("init_uts_ns+65").  Returns 0, or -1 with *err set.
 */
int memx_parse_where(const char *where, FILE *kallsyms, uint64_t *addr,
		     const char **err);

/*
 * A number in C syntax, the whole string, no sign or blank, no overflow;
 * returns 0 or -1.
 */
int memx_parse_num(const char *s, uint64_t *out);

/* peek/poke: the width, 1, 2, 4 or 8; returns 0, or -1 with *err set. */
int memx_parse_width(const char *s, unsigned int *width, const char **err);

/* poke: a value that fits in @width bytes; returns 0, or -1 with *err. */
int memx_parse_value(const char *s, unsigned int width, uint64_t *value,
		     const char **err);

/* peek/poke: @addr naturally aligned for @width; returns 0 or -1. */
int memx_check_aligned(uint64_t addr, unsigned int width, const char **err);

/* The access width the module uses at @addr with @len bytes left. */
unsigned int memx_access_width(uint64_t addr, size_t len);

/* "de ad be ef", "deadbeef" or "0xdeadbeef" (bytes in that order). */
ssize_t memx_parse_bytes(const char *s, uint8_t *out, size_t max);

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#define VMCOREINFO_MAX	(1024 * 1024)	/* the kernel's is 4 KiB */

/*
 * The value of VMCOREINFO's "@key=" line (hex for SYMBOL()s and
 * KERNELOFFSET, as the kernel prints them): 0, or -1 when it has none.
 */
int vmcoreinfo_value(const char *info, size_t len, const char *key,
		     int64_t *value);

/* The VMCOREINFO note cut to the length its own header gives, or 0. */
size_t memx_note_length(const uint8_t *note, size_t size);

/*
 * /proc/kcore's program headers read from @fd, where /proc/kallsyms lists
 * no data symbols (arm64's 6.1): the kernel image is the PT_LOAD with a
 * physical address that holds @stext (*@text, *@end), the direct map any
 * other with one (*@base, the address of physical 0 there; NULL: not
 * wanted).  Each is left alone when not found; a header that wraps is
 * skipped.
 */
void memx_kcore_layout(int fd, uint64_t stext, uint64_t *text, uint64_t *end,
		       uint64_t *base);

/* "1.5 GiB" */
void memx_human(uint64_t bytes, char *out, size_t size);

#endif /* MEMX_LIB_H */
