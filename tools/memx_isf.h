/* SPDX-License-Identifier: GPL-2.0 */
/*
 * memx isf: a Volatility 3 symbol table (ISF) from the kernel's BTF and
 * kallsyms.  memx_isf.c reads the inputs and writes the file;
 * memx_isf_types.c turns BTF into the ISF's types.
 */
#ifndef MEMX_ISF_H
#define MEMX_ISF_H

#include <lzma.h>
#include <stdint.h>
#include <stdio.h>

struct btf;
struct json_object;
struct isf_types;

/* The JSON text on its way to a file, plain or through xz. */
struct isf_out {
	FILE *f;
	int xz;
	lzma_stream strm;
	int first;		/* no comma before the next entry */
	int err;		/* a write or compression failed */
	uint8_t buf[1 << 16];
};

/* Bytes of JSON text, as they are. */
void isf_put(struct isf_out *o, const char *s, size_t len);

/* ,"NAME":{ (or without the comma first): a section of named entries. */
void isf_section(struct isf_out *o, const char *name);
void isf_section_end(struct isf_out *o);

/* "KEY":VALUE in the open section; drops the reference to @val. */
void isf_entry(struct isf_out *o, const char *key, struct json_object *val);

/*
 * @btf's types, ready to write; NULL with *@why set when @btf holds a
 * type that cannot be described (a loop, a member past its struct).
 */
struct isf_types *isf_types_new(struct btf *btf, const char **why);
void isf_types_free(struct isf_types *x);

/* The base_types, user_types and enums sections; 0 or -1 with *@why. */
int isf_types_write(struct isf_types *x, struct isf_out *o,
		    const char **why);

/*
 * The type of the symbol @name, where BTF records it (a per-CPU variable,
 * a function) or memx knows which type the kernel gives it (init_task and
 * the other roots Volatility starts from); a new reference, or NULL.
 * @banner_len: linux_banner's length, its NUL included.
 */
struct json_object *isf_symbol_type(struct isf_types *x, const char *name,
				    size_t banner_len);

#endif /* MEMX_ISF_H */
