// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's BTF as an ISF's types (Volatility's schema 6): base_types
 * from BTF's integers and floats, user_types from its complete structs and
 * unions, enums, and the types of the symbols BTF records.
 *
 * Typedefs and qualifiers are looked through, as dwarf2json does: a field
 * is typed by what it is.  A bitfield's offset is its base type's storage
 * unit (read at that offset, its bits start at bit_position from the low
 * end).  Anonymous types are named "unnamed_" and the first 8 bytes of
 * the SHA-256 of their definition's JSON, anonymous members
 * "unnamed_field_<offset in hex>": the same names on every boot of one
 * build.  Where two types share a name, the first in BTF's order is kept.
 *
 * BTF comes from a file as well as from the kernel (memx isf --btf), so a
 * type is read as hostile: a loop of types or a member past its struct is
 * an error, never a hang.
 */
#include <bpf/btf.h>
#include <json-c/json.h>
#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>

#include "memx_isf.h"
#include "memx_lib.h"

#define DEPTH_MAX	64	/* types in a chain: pointers, arrays, nesting */
#define JSON_FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

struct base {
	const char *name;
	unsigned int size;
	int sign;
};

struct isf_types {
	struct btf *btf;
	unsigned int n;			/* type IDs are below n */
	char **anon;			/* unnamed_ names by ID, made on demand */
	struct json_object *syms;	/* symbol name -> type, from BTF */
	struct base *bases;		/* sorted by name */
	unsigned int nbases;
	const char *why;
};

/*
 * The symbols Volatility's plugins start from, whose type BTF does not
 * record (it types per-CPU variables and functions only), as the kernel
 * declares them; each is checked against the DWARF of Debian's -dbg
 * vmlinux by the tests.  A type BTF lacks leaves its symbol untyped.
 */
static const struct root {
	const char *sym;
	const char *kind;	/* "struct", "union" or "base" */
	const char *type;
	unsigned int ptrs;	/* pointers to it */
	unsigned int count;	/* an array of that many, or 0 */
} roots[] = {
	{ "init_task", "struct", "task_struct", 0, 0 },
	{ "init_files", "struct", "files_struct", 0, 0 },
	{ "init_fs", "struct", "fs_struct", 0, 0 },
	{ "init_mm", "struct", "mm_struct", 0, 0 },
	{ "init_cred", "struct", "cred", 0, 0 },
	{ "init_nsproxy", "struct", "nsproxy", 0, 0 },
	{ "init_net", "struct", "net", 0, 0 },
	{ "init_pid_ns", "struct", "pid_namespace", 0, 0 },
	{ "init_uts_ns", "struct", "uts_namespace", 0, 0 },
	{ "modules", "struct", "list_head", 0, 0 },
	{ "mod_tree", "struct", "mod_tree_root", 0, 0 },
	{ "module_kset", "struct", "kset", 1, 0 },
	{ "tty_drivers", "struct", "list_head", 0, 0 },
	{ "net_namespace_list", "struct", "list_head", 0, 0 },
	{ "super_blocks", "struct", "list_head", 0, 0 },
	{ "vmap_area_list", "struct", "list_head", 0, 0 },
	{ "prb", "struct", "printk_ringbuffer", 1, 0 },
	{ "log_buf", "base", "char", 1, 0 },
	{ "prog_idr", "struct", "idr", 0, 0 },
	{ "keyboard_notifier_list", "struct", "atomic_notifier_head", 0, 0 },
	{ "iomem_resource", "struct", "resource", 0, 0 },
	{ "mem_section", "struct", "mem_section", 2, 0 },
	{ "idt_table", "struct", "gate_struct", 0, 256 },
	{ "page_offset_base", "base", "long unsigned int", 0, 0 },
	{ "vmemmap_base", "base", "long unsigned int", 0, 0 },
	{ "jiffies_64", "base", "long long unsigned int", 0, 0 },
};

static struct json_object *need(struct json_object *o)
{
	if (!o) {
		fprintf(stderr, "memx: isf: out of memory\n");
		exit(1);
	}
	return o;
}

static void add(struct json_object *o, const char *key, struct json_object *v)
{
	if (json_object_object_add(o, key, need(v))) {
		fprintf(stderr, "memx: isf: out of memory\n");
		exit(1);
	}
}

static struct json_object *kind_only(const char *kind)
{
	struct json_object *o = need(json_object_new_object());

	add(o, "kind", json_object_new_string(kind));
	return o;
}

static struct json_object *kind_named(const char *kind, const char *name)
{
	struct json_object *o = kind_only(kind);

	add(o, "name", json_object_new_string(name));
	return o;
}

static void *fail(struct isf_types *x, const char *why)
{
	if (!x->why)
		x->why = why;
	return NULL;
}

/* The string at @off, "" where BTF has none (a hostile file's offset). */
static const char *str_at(struct isf_types *x, __u32 off)
{
	const char *s = btf__name_by_offset(x->btf, off);

	return s ? s : "";
}

static const char *name_of(struct isf_types *x, const struct btf_type *t)
{
	return str_at(x, t->name_off);
}

/* @id past typedefs and qualifiers: 0 for void, -1 for a loop or bad ID. */
static long strip(struct isf_types *x, __u32 id)
{
	const struct btf_type *t;
	int i;

	for (i = 0; i < DEPTH_MAX; i++) {
		if (!id)
			return 0;
		t = id < x->n ? btf__type_by_id(x->btf, id) : NULL;
		if (!t)
			return -1;
		switch (btf_kind(t)) {
		case BTF_KIND_TYPEDEF:
		case BTF_KIND_CONST:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_TYPE_TAG:
			id = t->type;
			break;
		default:
			return id;
		}
	}
	return -1;
}

static const char *type_name(struct isf_types *x, __u32 id, int depth);

static struct json_object *desc(struct isf_types *x, __u32 id, int depth)
{
	long s = strip(x, id);
	const struct btf_type *t;
	struct json_object *o, *sub;
	const char *name;

	if (s < 0 || depth > DEPTH_MAX)
		return fail(x, "a type refers to itself, or to no type");
	if (!s)
		return kind_named("base", "void");
	t = btf__type_by_id(x->btf, s);
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
	case BTF_KIND_FLOAT:
		return kind_named("base", name_of(x, t));
	case BTF_KIND_PTR:
	case BTF_KIND_ARRAY:
		sub = desc(x, btf_is_ptr(t) ? t->type : btf_array(t)->type,
			   depth + 1);
		if (!sub)
			return NULL;
		o = kind_only(btf_is_ptr(t) ? "pointer" : "array");
		if (btf_is_array(t))
			add(o, "count", json_object_new_int64(btf_array(t)->nelems));
		add(o, "subtype", sub);
		return o;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		name = type_name(x, s, depth + 1);
		if (!name)
			return NULL;
		return kind_named(btf_is_union(t) ? "union" :
				  btf_is_composite(t) ? "struct" : "enum", name);
	case BTF_KIND_FWD:
		return kind_named(btf_kflag(t) ? "union" : "struct",
				  name_of(x, t));
	case BTF_KIND_FUNC_PROTO:
	case BTF_KIND_FUNC:
		return kind_only("function");
	}
	return fail(x, "a member or pointer names a type that is not a C type");
}

/* "unnamed_field_<offset>", or with _N after it for a second one. */
static void anon_member(struct json_object *fields, uint64_t off,
			char *key, size_t size)
{
	unsigned int n = 0;

	snprintf(key, size, "unnamed_field_%llx", (unsigned long long)off);
	while (json_object_object_get_ex(fields, key, NULL))
		snprintf(key, size, "unnamed_field_%llx_%u",
			 (unsigned long long)off, ++n);
}

/* A bitfield's type and offset: its base type's storage unit holds it. */
static struct json_object *bitfield(struct isf_types *x, __u32 type,
				    uint64_t bits, unsigned int len,
				    uint64_t *off, int depth)
{
	long s = strip(x, type);
	const struct btf_type *t = s > 0 ? btf__type_by_id(x->btf, s) : NULL;
	struct json_object *o, *base;
	uint64_t unit;

	if (!t || !(btf_is_int(t) || btf_is_any_enum(t)) || !t->size ||
	    t->size > 16)
		return fail(x, "a bit field whose type is no integer");
	unit = t->size * 8ull;
	*off = bits / unit * t->size;
	if (bits - *off * 8 + len > unit)
		*off = bits / 8;
	base = desc(x, s, depth + 1);
	if (!base)
		return NULL;
	o = kind_only("bitfield");
	add(o, "bit_position", json_object_new_int64(bits - *off * 8));
	add(o, "bit_length", json_object_new_int64(len));
	add(o, "type", base);
	return o;
}

static struct json_object *member(struct isf_types *x,
				  const struct btf_type *t, unsigned int i,
				  struct json_object *fields, int depth)
{
	const struct btf_member *m = btf_members(t) + i;
	uint64_t bits = btf_member_bit_offset(t, i), off = bits / 8;
	unsigned int len = btf_member_bitfield_size(t, i);
	const char *name = str_at(x, m->name_off);
	struct json_object *f, *type;
	char key[64];

	if (!len && bits % 8)
		return fail(x, "a field that does not start on a byte");
	type = len ? bitfield(x, m->type, bits, len, &off, depth) :
	       desc(x, m->type, depth + 1);
	if (!type)
		return NULL;
	if (off > t->size) {
		json_object_put(type);
		return fail(x, "a field past the end of its struct");
	}
	f = need(json_object_new_object());
	add(f, "type", type);
	add(f, "offset", json_object_new_int64(off));
	if (!*name) {
		anon_member(fields, off, key, sizeof(key));
		add(f, "anonymous", json_object_new_boolean(1));
		name = key;
	}
	add(fields, name, f);
	return f;
}

static struct json_object *struct_def(struct isf_types *x, __u32 id,
				      int depth)
{
	const struct btf_type *t = btf__type_by_id(x->btf, id);
	struct json_object *o = kind_only(btf_is_union(t) ? "union" : "struct");
	struct json_object *fields = need(json_object_new_object());
	unsigned int i;

	add(o, "size", json_object_new_int64(t->size));
	add(o, "fields", fields);
	for (i = 0; i < btf_vlen(t); i++) {
		if (!member(x, t, i, fields, depth)) {
			json_object_put(o);
			return NULL;
		}
	}
	return o;
}

/* The first base type, by name, of that size and sign; "void" if none. */
static const char *enum_base(struct isf_types *x, unsigned int size,
			     int sign)
{
	unsigned int i;

	for (i = 0; i < x->nbases; i++)
		if (x->bases[i].size == size && x->bases[i].sign == sign)
			return x->bases[i].name;
	return "void";
}

static struct json_object *enum_def(struct isf_types *x, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(x->btf, id);
	struct json_object *o = need(json_object_new_object());
	struct json_object *c = need(json_object_new_object());
	int sign = btf_kflag(t);
	unsigned int i;
	int64_t v;

	add(o, "size", json_object_new_int64(t->size));
	add(o, "base", json_object_new_string(enum_base(x, t->size, sign)));
	add(o, "constants", c);
	for (i = 0; i < btf_vlen(t); i++) {
		if (btf_is_enum64(t)) {
			v = btf_enum64_value(btf_enum64(t) + i);
			add(c, str_at(x, btf_enum64(t)[i].name_off),
			    sign ? json_object_new_int64(v) :
			    json_object_new_uint64(v));
		} else {
			v = sign ? (int64_t)btf_enum(t)[i].val :
			    (int64_t)(uint32_t)btf_enum(t)[i].val;
			add(c, str_at(x, btf_enum(t)[i].name_off),
			    json_object_new_int64(v));
		}
	}
	return o;
}

/* A struct's, union's or enum's name, or its unnamed_ one; NULL on error. */
static const char *type_name(struct isf_types *x, __u32 id, int depth)
{
	const struct btf_type *t = btf__type_by_id(x->btf, id);
	const char *name = name_of(x, t);
	struct json_object *def;
	uint8_t digest[SHA256_DIGEST_SIZE];
	struct sha256_ctx ctx;
	const char *text;
	char out[32];
	unsigned int i;

	if (*name)
		return name;
	if (x->anon[id])
		return x->anon[id];
	if (depth > DEPTH_MAX)
		return fail(x, "anonymous types nested in a loop");
	def = btf_is_any_enum(t) ? enum_def(x, id) : struct_def(x, id, depth);
	if (!def)
		return NULL;
	text = json_object_to_json_string_ext(def, JSON_FLAGS);
	sha256_init(&ctx);
	sha256_update(&ctx, strlen(text), (const uint8_t *)text);
	sha256_digest(&ctx, sizeof(digest), digest);
	json_object_put(def);
	strcpy(out, "unnamed_");
	for (i = 0; i < 8; i++)
		snprintf(out + 8 + 2 * i, 3, "%02x", digest[i]);
	x->anon[id] = strdup(out);
	return x->anon[id] ? x->anon[id] : fail(x, "out of memory");
}

static int base_cmp(const void *a, const void *b)
{
	return strcmp(((const struct base *)a)->name,
		      ((const struct base *)b)->name);
}

/* BTF's integers and floats, one a name, sorted. */
static int collect_bases(struct isf_types *x)
{
	const struct btf_type *t;
	unsigned int id, i;

	x->bases = calloc(x->n, sizeof(*x->bases));
	if (!x->bases)
		return -1;
	for (id = 1; id < x->n; id++) {
		t = btf__type_by_id(x->btf, id);
		if (!btf_is_int(t) && !btf_is_float(t))
			continue;
		for (i = 0; i < x->nbases; i++)
			if (!strcmp(x->bases[i].name, name_of(x, t)))
				break;
		if (i < x->nbases || !*name_of(x, t))
			continue;
		x->bases[x->nbases].name = name_of(x, t);
		x->bases[x->nbases].size = t->size;
		x->bases[x->nbases++].sign = btf_is_float(t) ||
			(btf_int_encoding(t) & BTF_INT_SIGNED);
	}
	qsort(x->bases, x->nbases, sizeof(*x->bases), base_cmp);
	return 0;
}

/* Per-CPU variables and functions: the symbols BTF gives a type. */
static int collect_syms(struct isf_types *x)
{
	const struct btf_type *t;
	struct json_object *type;
	unsigned int id;

	x->syms = need(json_object_new_object());
	for (id = 1; id < x->n; id++) {
		t = btf__type_by_id(x->btf, id);
		if (!btf_is_var(t) && !btf_is_func(t))
			continue;
		if (json_object_object_get_ex(x->syms, name_of(x, t), NULL))
			continue;
		type = btf_is_func(t) ? kind_only("function") :
		       desc(x, t->type, 0);
		if (!type)
			return -1;
		add(x->syms, name_of(x, t), type);
	}
	return 0;
}

struct isf_types *isf_types_new(struct btf *btf, const char **why)
{
	struct isf_types *x = calloc(1, sizeof(*x));

	*why = "out of memory";
	if (!x)
		return NULL;
	x->btf = btf;
	x->n = btf__type_cnt(btf);
	x->anon = calloc(x->n, sizeof(*x->anon));
	if (x->anon && !collect_bases(x) && !collect_syms(x))
		return x;
	if (x->why)
		*why = x->why;
	isf_types_free(x);
	return NULL;
}

void isf_types_free(struct isf_types *x)
{
	unsigned int id;

	if (!x)
		return;
	for (id = 0; x->anon && id < x->n; id++)
		free(x->anon[id]);
	free(x->anon);
	free(x->bases);
	json_object_put(x->syms);
	free(x);
}

static struct json_object *base_def(unsigned int size, int sign,
				    const char *kind, const char *endian)
{
	struct json_object *o = need(json_object_new_object());

	add(o, "size", json_object_new_int64(size));
	add(o, "signed", json_object_new_boolean(sign));
	add(o, "kind", json_object_new_string(kind));
	add(o, "endian", json_object_new_string(endian));
	return o;
}

static const char *base_kind(struct isf_types *x, const struct base *b)
{
	const struct btf_type *t;
	__s32 id = btf__find_by_name_kind(x->btf, b->name, BTF_KIND_INT);

	if (id <= 0)
		return "float";
	t = btf__type_by_id(x->btf, id);
	if (btf_int_encoding(t) & BTF_INT_BOOL)
		return "bool";
	return strstr(b->name, "char") ? "char" : "int";
}

static void write_bases(struct isf_types *x, struct isf_out *o)
{
	const char *endian = btf__endianness(x->btf) == BTF_BIG_ENDIAN ?
			     "big" : "little";
	size_t ptr = btf__pointer_size(x->btf);
	unsigned int i;

	isf_section(o, "base_types");
	isf_entry(o, "void", base_def(0, 0, "void", endian));
	isf_entry(o, "pointer", base_def(ptr ? ptr : 8, 0, "int", endian));
	for (i = 0; i < x->nbases; i++)
		isf_entry(o, x->bases[i].name,
			  base_def(x->bases[i].size, x->bases[i].sign,
				   base_kind(x, &x->bases[i]), endian));
	isf_section_end(o);
}

/* user_types (@enums 0) or enums: each complete type, once a name. */
static int write_defs(struct isf_types *x, struct isf_out *o, int enums)
{
	struct json_object *seen = need(json_object_new_object()), *def;
	const struct btf_type *t;
	const char *name;
	unsigned int id;
	int ret = -1;

	isf_section(o, enums ? "enums" : "user_types");
	for (id = 1; id < x->n; id++) {
		t = btf__type_by_id(x->btf, id);
		if (enums ? !btf_is_any_enum(t) : !btf_is_composite(t))
			continue;
		name = type_name(x, id, 0);
		if (!name)
			goto out;
		if (json_object_object_get_ex(seen, name, NULL))
			continue;
		add(seen, name, json_object_new_boolean(1));
		def = enums ? enum_def(x, id) : struct_def(x, id, 0);
		if (!def)
			goto out;
		isf_entry(o, name, def);
	}
	isf_section_end(o);
	ret = 0;
out:
	json_object_put(seen);
	return ret;
}

int isf_types_write(struct isf_types *x, struct isf_out *o, const char **why)
{
	write_bases(x, o);
	if (!write_defs(x, o, 0) && !write_defs(x, o, 1))
		return 0;
	*why = x->why ? x->why : "out of memory";
	return -1;
}

/* A root's type, if BTF has the type it names. */
static struct json_object *root_type(struct isf_types *x,
				     const struct root *r)
{
	struct json_object *o, *sub;
	unsigned int i;

	if (!strcmp(r->kind, "base")) {
		if (btf__find_by_name_kind(x->btf, r->type, BTF_KIND_INT) <= 0)
			return NULL;
	} else if (btf__find_by_name_kind(x->btf, r->type,
					  strcmp(r->kind, "union") ?
					  BTF_KIND_STRUCT :
					  BTF_KIND_UNION) <= 0) {
		return NULL;
	}
	o = kind_named(r->kind, r->type);
	for (i = 0; i < r->ptrs; i++) {
		sub = o;
		o = kind_only("pointer");
		add(o, "subtype", sub);
	}
	if (r->count) {
		sub = o;
		o = kind_only("array");
		add(o, "count", json_object_new_int64(r->count));
		add(o, "subtype", sub);
	}
	return o;
}

struct json_object *isf_symbol_type(struct isf_types *x, const char *name,
				    size_t banner_len)
{
	struct json_object *o;
	unsigned int i;

	if (json_object_object_get_ex(x->syms, name, &o))
		return json_object_get(o);
	if (!strcmp(name, "linux_banner") && banner_len) {
		o = kind_only("array");
		add(o, "count", json_object_new_int64(banner_len));
		add(o, "subtype", kind_named("base", "char"));
		return o;
	}
	for (i = 0; i < ARRAY_SIZE(roots); i++)
		if (!strcmp(name, roots[i].sym))
			return root_type(x, &roots[i]);
	return NULL;
}
