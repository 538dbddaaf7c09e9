// SPDX-License-Identifier: GPL-2.0
/*
 * memx isf: the running kernel's symbol table for Volatility 3 (an ISF,
 * schema 6) from what the kernel carries: its types in BTF
 * (/sys/kernel/btf/vmlinux), its symbols in /proc/kallsyms, and
 * linux_banner, read through /dev/kmemx, which Volatility finds the table
 * by.  Symbols go at their link-time addresses (KASLR's offset, from
 * VMCOREINFO, taken off), so that one file serves every boot of the build.
 *
 * With --btf, --kallsyms and --banner, the same table from copies saved at
 * acquisition time (/sys/kernel/btf/vmlinux, /proc/kallsyms, /proc/version);
 * --kaslr-offset gives VMCOREINFO's KERNELOFFSET (without it, the symbols
 * stay where that boot had them: the file serves that boot's dumps).
 *
 * A name ending in .xz is written through xz.  Exit 1 when linux_banner or
 * init_task cannot be placed, or an input cannot be read; other missing
 * symbols are named with what will not work without them.
 */
#include <bpf/btf.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <nettle/base64.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memx_isf.h"
#include "memx_lib.h"
#include "memx_tool.h"

#define ISF_FORMAT	"6.2.0"
#define BANNER_MAX	4096
#define XZ_PRESET	3	/* JSON shrinks 20-fold already */
#define JSON_FLAGS	(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

struct isf_in {
	const char *btf, *kallsyms, *banner;	/* NULL: the running kernel */
	const char *out;
	uint64_t offset;			/* KASLR's */
	uint8_t text[BANNER_MAX];		/* linux_banner, its NUL too */
	size_t text_len;
	uint64_t banner_at, init_task_at;	/* runtime; 0 if not listed */
	unsigned int listed;			/* wanted[] in kallsyms, a bit each */
};

/* The symbols Volatility's plugins need, and what goes without each. */
static const struct {
	const char *sym, *what;
} wanted[] = {
	{ "init_files", "Volatility's KASLR search" },
	{ "modules", "linux.lsmod" },
	{ "prb", "linux.kmsg" },
	{ "tty_drivers", "linux.tty_check" },
	{ "sys_call_table", "linux.check_syscall" },
	{ "net_namespace_list", "linux.sockstat" },
};

static void xz_flush(struct isf_out *o, lzma_action action)
{
	lzma_ret r;

	do {
		o->strm.next_out = o->buf;
		o->strm.avail_out = sizeof(o->buf);
		r = lzma_code(&o->strm, action);
		if (r != LZMA_OK && r != LZMA_STREAM_END)
			o->err = 1;
		if (fwrite(o->buf, 1, sizeof(o->buf) - o->strm.avail_out,
			   o->f) != sizeof(o->buf) - o->strm.avail_out)
			o->err = 1;
	} while (!o->err && (o->strm.avail_in ||
			     (action == LZMA_FINISH && r != LZMA_STREAM_END)));
}

void isf_put(struct isf_out *o, const char *s, size_t len)
{
	if (o->err)
		return;
	if (!o->xz) {
		if (fwrite(s, 1, len, o->f) != len)
			o->err = 1;
		return;
	}
	o->strm.next_in = (const uint8_t *)s;
	o->strm.avail_in = len;
	xz_flush(o, LZMA_RUN);
}

static void put_str(struct isf_out *o, const char *s)
{
	isf_put(o, s, strlen(s));
}

/* @key as a JSON string, escaped by json-c. */
static void put_key(struct isf_out *o, const char *key)
{
	struct json_object *k = json_object_new_string(key);

	if (!k) {
		o->err = 1;
		return;
	}
	put_str(o, json_object_to_json_string_ext(k, JSON_FLAGS));
	put_str(o, ":");
	json_object_put(k);
}

void isf_section(struct isf_out *o, const char *name)
{
	if (!o->first)
		put_str(o, ",");
	put_key(o, name);
	put_str(o, "{");
	o->first = 1;
}

void isf_section_end(struct isf_out *o)
{
	put_str(o, "}");
	o->first = 0;
}

void isf_entry(struct isf_out *o, const char *key, struct json_object *val)
{
	if (!o->first)
		put_str(o, ",");
	o->first = 0;
	put_key(o, key);
	put_str(o, json_object_to_json_string_ext(val, JSON_FLAGS));
	json_object_put(val);
}

static int isf_usage(const char *opt, const char *arg, const char *why)
{
	if (why)
		fprintf(stderr, "memx: isf: %s%s%s: %s\n", opt, arg ? " " : "",
			arg ? arg : "", why);
	fprintf(stderr, "usage: memx isf [-o FILE|-]\n"
		"       memx isf --btf FILE --kallsyms FILE --banner FILE [--kaslr-offset N] [-o FILE|-]\n");
	return 2;
}

/* KASLR's offset: VMCOREINFO's KERNELOFFSET, read through /dev/memx. */
static int kernel_offset(uint64_t *offset)
{
	unsigned long long paddr;
	unsigned int size;
	FILE *f = fopen("/sys/kernel/vmcoreinfo", "r");
	int ok = f && fscanf(f, "%llx %x", &paddr, &size) == 2;
	int64_t v = 0;
	char *info;
	int fd;

	if (f)
		fclose(f);
	if (!ok || !size || size > VMCOREINFO_MAX) {
		fprintf(stderr, "memx: isf: cannot read %s: KASLR's offset is unknown\n",
			"/sys/kernel/vmcoreinfo");
		return -1;
	}
	info = malloc(size);
	fd = memx_open_node("memx", O_RDONLY);
	ok = info && pread(fd, info, size, paddr) == (ssize_t)size;
	close(fd);
	if (ok)
		vmcoreinfo_value(info, size, "KERNELOFFSET", &v);
	else
		fprintf(stderr, "memx: isf: cannot read VMCOREINFO through /dev/memx\n");
	free(info);
	*offset = v;
	return ok ? 0 : -1;
}

/* linux_banner through /dev/kmemx, up to and with its NUL. */
static int live_banner(struct isf_in *in)
{
	int fd = memx_open_node("kmemx", O_RDONLY);
	uint8_t *nul = NULL;
	ssize_t n = 0;

	if (in->banner_at)
		n = memx_xfer(fd, 0, in->banner_at, in->text, sizeof(in->text));
	close(fd);
	if (n > 0)
		nul = memchr(in->text, 0, n);
	if (!nul) {
		fprintf(stderr, "memx: isf: cannot read linux_banner%s\n",
			in->banner_at ? " through /dev/kmemx" :
			": /proc/kallsyms does not list it");
		return -1;
	}
	in->text_len = nul - in->text + 1;
	return 0;
}

/* A saved /proc/version: the banner's text, with the NUL it ends with. */
static int file_banner(struct isf_in *in)
{
	FILE *f = fopen(in->banner, "r");
	size_t n = f ? fread(in->text, 1, sizeof(in->text), f) : 0;

	if (!f || ferror(f) || !n || n == sizeof(in->text) ||
	    memchr(in->text, 0, n) || in->text[n - 1] != '\n' ||
	    memchr(in->text, '\n', n - 1)) {
		fprintf(stderr, "memx: isf: %s: %s\n", in->banner,
			!f ? strerror(errno) :
			"not a banner (/proc/version's one line of text)");
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	in->text[n] = 0;
	in->text_len = n + 1;
	return 0;
}

/*
 * One kallsyms line: ADDRESS TYPE NAME, and [MODULE] for a module's; 1 for
 * a symbol of the kernel, 0 for a module's, -1 for anything else.
 */
static int ksym_line(char *line, uint64_t *addr, char *type, char **name)
{
	char *end, *sp;

	line[strcspn(line, "\n")] = 0;
	*addr = strtoull(line, &end, 16);
	if (end == line || end[0] != ' ' || !end[1] || end[2] != ' ' ||
	    !end[3])
		return -1;
	*type = end[1];
	*name = end + 3;
	sp = strpbrk(*name, " \t");
	if (sp && sp[strspn(sp, " \t")] == '[')
		return 0;
	return sp ? -1 : 1;
}

/*
 * Where linux_banner and init_task are at run time, and which wanted[]
 * symbols kallsyms lists; -1 after a message.
 */
static int find_roots(struct isf_in *in, FILE *ks)
{
	char *line = NULL, *name, type;
	size_t cap = 0, i;
	unsigned long n = 0, zero = 0;
	uint64_t addr;
	int r;

	while (getline(&line, &cap, ks) > 0) {
		r = ksym_line(line, &addr, &type, &name);
		n++;
		if (r < 0) {
			fprintf(stderr, "memx: isf: %s, line %lu: not ADDRESS TYPE NAME\n",
				in->kallsyms ? in->kallsyms : "/proc/kallsyms", n);
			free(line);
			return -1;
		}
		zero += !addr;
		if (r && !in->banner_at && !strcmp(name, "linux_banner"))
			in->banner_at = addr;
		if (r && !in->init_task_at && !strcmp(name, "init_task"))
			in->init_task_at = addr;
		for (i = 0; r && i < ARRAY_SIZE(wanted); i++)
			if (!strcmp(name, wanted[i].sym))
				in->listed |= 1u << i;
	}
	free(line);
	if (ferror(ks) || !n || zero == n) {
		fprintf(stderr, "memx: isf: %s: %s\n",
			in->kallsyms ? in->kallsyms : "/proc/kallsyms",
			!n || ferror(ks) ? "no symbols" :
			"every address is 0: read it as root, with kernel.kptr_restrict below 2");
		return -1;
	}
	return 0;
}

/* {"metadata": the format, memx as producer, kallsyms as the symbols' source */
static int put_metadata(struct isf_out *o)
{
	struct json_object *m = json_object_new_object();
	struct json_object *p = json_object_new_object();
	struct json_object *src = json_object_new_object();
	struct json_object *list = json_object_new_array();
	struct json_object *os = json_object_new_object();

	if (!m || !p || !src || !list || !os) {
		json_object_put(m);
		json_object_put(p);
		json_object_put(src);
		json_object_put(list);
		json_object_put(os);
		return -1;
	}
	json_object_object_add(p, "name", json_object_new_string("memx"));
	json_object_object_add(p, "version", json_object_new_string(MEMX_VERSION));
	json_object_object_add(src, "kind", json_object_new_string("system-map"));
	json_object_object_add(src, "name", json_object_new_string("kallsyms"));
	json_object_array_add(list, src);
	json_object_object_add(os, "symbols", list);
	json_object_object_add(m, "format", json_object_new_string(ISF_FORMAT));
	json_object_object_add(m, "producer", p);
	json_object_object_add(m, "linux", os);
	put_str(o, "{");
	o->first = 1;
	isf_entry(o, "metadata", m);
	return 0;
}

static struct json_object *banner_data(const struct isf_in *in)
{
	char *b64 = malloc(BASE64_ENCODE_RAW_LENGTH(in->text_len) + 1);
	struct json_object *s;

	if (!b64)
		return NULL;
	base64_encode_raw(b64, in->text_len, in->text);
	b64[BASE64_ENCODE_RAW_LENGTH(in->text_len)] = 0;
	s = json_object_new_string(b64);
	free(b64);
	return s;
}

/*
 * One symbol: its link-time address (absolute symbols, per-CPU offsets,
 * stay as they are), its type where known, and linux_banner's bytes.
 */
static struct json_object *symbol(struct isf_types *x,
				  const struct isf_in *in, uint64_t addr,
				  char type, const char *name)
{
	struct json_object *o = json_object_new_object(), *t;
	int absolute = type == 'A' || type == 'a';

	if (!o)
		return NULL;
	json_object_object_add(o, "address",
			       json_object_new_uint64(absolute ? addr :
						      addr - in->offset));
	t = isf_symbol_type(x, name, in->text_len);
	if (t)
		json_object_object_add(o, "type", t);
	if (!strcmp(name, "linux_banner"))
		json_object_object_add(o, "constant_data", banner_data(in));
	return o;
}

/* The symbols section: each of the kernel's, once a name, in order. */
static int put_symbols(struct isf_out *o, struct isf_types *x,
		       const struct isf_in *in, FILE *ks)
{
	struct json_object *seen = json_object_new_object(), *s;
	char *line = NULL, *name, type;
	size_t cap = 0;
	uint64_t addr;
	int ret = -1;

	rewind(ks);
	isf_section(o, "symbols");
	while (seen && getline(&line, &cap, ks) > 0) {
		if (ksym_line(line, &addr, &type, &name) != 1 ||
		    json_object_object_get_ex(seen, name, NULL))
			continue;
		s = symbol(x, in, addr, type, name);
		if (!s || json_object_object_add(seen, name, NULL))
			goto out;
		isf_entry(o, name, s);
	}
	isf_section_end(o);
	ret = seen ? 0 : -1;
out:
	free(line);
	json_object_put(seen);
	return ret;
}

/* A file under a temporary name next to @path, or standard output. */
static int open_out(struct isf_out *o, const char *path, char **tmp)
{
	size_t len = strlen(path);
	int fd;

	*tmp = NULL;
	o->xz = len > 3 && !strcmp(path + len - 3, ".xz");
	if (o->xz && lzma_easy_encoder(&o->strm, XZ_PRESET, LZMA_CHECK_CRC64)) {
		fprintf(stderr, "memx: isf: cannot start xz\n");
		return -1;
	}
	if (!strcmp(path, "-")) {
		o->f = stdout;
		return 0;
	}
	*tmp = malloc(len + 16);
	if (*tmp) {
		snprintf(*tmp, len + 16, "%s.partXXXXXX", path);
		fd = mkstemp(*tmp);
		o->f = fd < 0 ? NULL : fdopen(fd, "w");
		if (o->f)
			fchmod(fd, 0644);
	}
	/* Large writes: a file over 9p or NFS takes each as a round trip. */
	if (o->f)
		setvbuf(o->f, NULL, _IOFBF, 1 << 20);
	if (!o->f) {
		fprintf(stderr, "memx: isf: cannot create %s: %s\n", path,
			strerror(errno));
		if (*tmp)
			unlink(*tmp);
		return -1;
	}
	return 0;
}

/* Flush, close and rename; 0, or -1 with the file removed. */
static int close_out(struct isf_out *o, const char *path, char *tmp, int ok)
{
	if (o->xz) {
		if (ok)
			xz_flush(o, LZMA_FINISH);
		lzma_end(&o->strm);
	}
	ok = ok && !o->err;
	if (o->f != stdout) {
		ok = !fflush(o->f) && !fsync(fileno(o->f)) && ok;
		ok = !fclose(o->f) && ok;
		if (ok && rename(tmp, path))
			ok = 0;
		if (!ok)
			unlink(tmp);
	} else {
		ok = !fflush(stdout) && ok;
	}
	if (!ok)
		fprintf(stderr, "memx: isf: cannot write %s%s%s\n", path,
			errno ? ": " : "", errno ? strerror(errno) : "");
	free(tmp);
	return ok ? 0 : -1;
}

/* Each wanted symbol kallsyms lacks, named with what it takes away. */
static void warn_missing(const struct isf_in *in)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(wanted); i++)
		if (!(in->listed & 1u << i))
			fprintf(stderr, "memx: isf: kallsyms lists no %s %s: %s will not work\n",
				wanted[i].sym, "(CONFIG_KALLSYMS_ALL?)",
				wanted[i].what);
}

static int write_isf(struct isf_in *in, struct btf *btf, FILE *ks)
{
	struct isf_out *o = calloc(1, sizeof(*o));
	struct isf_types *x;
	const char *why = NULL;
	char *tmp;
	int ok;

	x = isf_types_new(btf, &why);
	if (!x || !o) {
		fprintf(stderr, "memx: isf: %s: %s\n",
			in->btf ? in->btf : "/sys/kernel/btf/vmlinux", why);
		free(o);
		isf_types_free(x);
		return -1;
	}
	if (open_out(o, in->out, &tmp)) {
		free(o);
		isf_types_free(x);
		return -1;
	}
	ok = !put_metadata(o) && !isf_types_write(x, o, &why);
	if (!ok)
		fprintf(stderr, "memx: isf: %s: %s\n",
			in->btf ? in->btf : "/sys/kernel/btf/vmlinux", why);
	ok = ok && !put_symbols(o, x, in, ks);
	put_str(o, "}\n");
	errno = 0;
	ok = !close_out(o, in->out, tmp, ok);
	if (ok)
		warn_missing(in);
	free(o);
	isf_types_free(x);
	return ok ? 0 : -1;
}

static int make_isf(struct isf_in *in)
{
	const char *bpath = in->btf ? in->btf : "/sys/kernel/btf/vmlinux";
	const char *kpath = in->kallsyms ? in->kallsyms : "/proc/kallsyms";
	struct btf *btf = NULL;
	FILE *ks = fopen(kpath, "r");
	int ret = -1;

	if (!ks) {
		fprintf(stderr, "memx: isf: cannot read %s: %s\n", kpath,
			strerror(errno));
		return -1;
	}
	if (find_roots(in, ks))
		goto out;
	if (!in->init_task_at) {
		fprintf(stderr, "memx: isf: %s lists no init_task: %s\n", kpath,
			"Volatility cannot place the kernel");
		goto out;
	}
	if (in->banner ? file_banner(in) :
	    kernel_offset(&in->offset) || live_banner(in))
		goto out;
	if (in->banner && !in->banner_at) {
		fprintf(stderr, "memx: isf: %s lists no linux_banner: %s\n", kpath,
			"Volatility cannot find the table");
		goto out;
	}
	btf = btf__parse_raw(bpath);
	if (!btf) {
		fprintf(stderr, "memx: isf: cannot read BTF from %s: %s\n",
			bpath, strerror(errno));
		goto out;
	}
	ret = write_isf(in, btf, ks);
out:
	btf__free(btf);
	fclose(ks);
	return ret;
}

int memx_isf_live(const char *path)
{
	struct isf_in *in = calloc(1, sizeof(*in));
	int ret;

	if (!in)
		return -1;
	in->out = path;
	ret = make_isf(in);
	free(in);
	return ret;
}

int memx_isf_saved(const char *btf, const char *kallsyms, const char *banner,
		   uint64_t offset, const char *path)
{
	struct isf_in *in = calloc(1, sizeof(*in));
	int ret;

	if (!in)
		return -1;
	in->btf = btf;
	in->kallsyms = kallsyms;
	in->banner = banner;
	in->offset = offset;
	in->out = path;
	ret = make_isf(in);
	free(in);
	return ret;
}

int memx_cmd_isf(int argc, char **argv)
{
	struct isf_in *in = calloc(1, sizeof(*in));
	int i, ret = 2, offset = 0;

	if (!in)
		return 1;
	in->out = "-";
	for (i = 1; i < argc; i += 2) {
		if (i + 1 == argc) {
			isf_usage(argv[i], NULL, "needs a value");
			goto out;
		}
		if (!strcmp(argv[i], "-o")) {
			in->out = argv[i + 1];
		} else if (!strcmp(argv[i], "--btf")) {
			in->btf = argv[i + 1];
		} else if (!strcmp(argv[i], "--kallsyms")) {
			in->kallsyms = argv[i + 1];
		} else if (!strcmp(argv[i], "--banner")) {
			in->banner = argv[i + 1];
		} else if (!strcmp(argv[i], "--kaslr-offset")) {
			if (memx_parse_num(argv[i + 1], &in->offset)) {
				isf_usage(argv[i], argv[i + 1], "not a number");
				goto out;
			}
			offset = 1;
		} else {
			isf_usage(argv[i], NULL, "no such option");
			goto out;
		}
	}
	if ((in->btf || in->kallsyms || in->banner || offset) &&
	    !(in->btf && in->kallsyms && in->banner)) {
		isf_usage("--btf, --kallsyms and --banner", NULL,
			  "a saved table needs all three");
		goto out;
	}
	ret = make_isf(in) ? 1 : 0;
out:
	free(in);
	return ret;
}
