// SPDX-License-Identifier: GPL-2.0
/*
 * The pure parts of the memx command: parsing, width rules, and the LiME
 * and ELF header writers.  No I/O on the nodes here.
 */
#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "memx_lib.h"

/*
 * A whole string in C syntax (0x..., 0..., decimal), nothing before or after
 * it: strtoull() alone would take " -1" as 2^64 - 1 and stop at junk.
 */
int memx_parse_num(const char *s, uint64_t *out)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

int memx_parse_width(const char *s, unsigned int *width, const char **err)
{
	uint64_t w;

	if (memx_parse_num(s, &w) || (w != 1 && w != 2 && w != 4 && w != 8)) {
		*err = "the width must be 1, 2, 4 or 8";
		return -1;
	}
	*width = (unsigned int)w;
	return 0;
}

int memx_parse_value(const char *s, unsigned int width, uint64_t *value,
		     const char **err)
{
	if (memx_parse_num(s, value)) {
		*err = "the value is not a number";
		return -1;
	}
	if (width < 8 && *value >> (8 * width)) {
		*err = "the value does not fit in the width";
		return -1;
	}
	return 0;
}

/*
 * Where @name is in a /proc/kallsyms-format stream: 1 found (*addr), 0 not
 * there.
 */
static int memx_kallsyms(FILE *f, const char *name, uint64_t *addr)
{
	char line[512], sym[256];
	unsigned long long a;

	rewind(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %*s %255s", &a, sym) == 2 &&
		    !strcmp(sym, name)) {
			*addr = a;
			return 1;
		}
	return 0;
}

/* A symbol whose address reads 0: hidden, or a per-CPU offset. */
static const char *memx_zero_symbol(FILE *kallsyms)
{
	uint64_t text = 0;

	if (memx_kallsyms(kallsyms, "_text", &text) && !text)
		return "kptr_restrict hides the addresses: run as root, kptr_restrict 0 or 1";
	return "the symbol's address is 0: a per-CPU variable is an offset, not an address";
}

int memx_parse_where(const char *where, FILE *kallsyms, uint64_t *addr,
		     const char **err)
{
	char name[256];
	const char *plus = strchr(where, '+');
	size_t len = plus ? (size_t)(plus - where) : strlen(where);
	uint64_t off = 0, base = 0;

	if (!memx_parse_num(where, addr))
		return 0;
	/* A symbol never starts with a digit. */
	if (isdigit((unsigned char)*where)) {
		*err = "not a number (junk, or larger than 64 bits)";
		return -1;
	}
	if (!len || len >= sizeof(name)) {
		*err = "not a number or a symbol";
		return -1;
	}
	if (plus && memx_parse_num(plus + 1, &off)) {
		*err = "the offset after '+' is not a number";
		return -1;
	}
	memcpy(name, where, len);
	name[len] = 0;
	if (!kallsyms || !memx_kallsyms(kallsyms, name, &base)) {
		*err = "no such symbol in /proc/kallsyms";
		return -1;
	}
	if (!base) {
		*err = memx_zero_symbol(kallsyms);
		return -1;
	}
	if (base + off < base) {
		*err = "symbol+offset is past the end of the address space";
		return -1;
	}
	*addr = base + off;
	return 0;
}

unsigned int memx_access_width(uint64_t addr, size_t len)
{
	unsigned int width = 8;

	while (width > len || (addr & (width - 1)))
		width >>= 1;
	return width;
}

int memx_check_aligned(uint64_t addr, unsigned int width, const char **err)
{
	if (addr & (width - 1)) {
		*err = "the address is not aligned to the width";
		return -1;
	}
	return 0;
}

static int memx_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

ssize_t memx_parse_bytes(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	int hi, lo;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	while (*s) {
		if (*s == ' ' || *s == ':') {
			s++;
			continue;
		}
		hi = memx_hex_digit(s[0]);
		lo = hi < 0 ? -1 : memx_hex_digit(s[1]);
		if (lo < 0 || n == max)
			return -1;
		out[n++] = hi << 4 | lo;
		s += 2;
	}
	return n ? (ssize_t)n : -1;
}

int vmcoreinfo_value(const char *info, size_t len, const char *key,
		     int64_t *value)
{
	size_t klen = strlen(key), n;
	const char *p = info, *end = info + len;
	char num[24];

	while (p < end && (p = memmem(p, end - p, key, klen))) {
		if ((p == info || p[-1] == '\n') && p + klen < end &&
		    p[klen] == '=') {
			/* The value ends the line or the text: no NUL there. */
			p += klen + 1;
			for (n = 0; n < sizeof(num) - 1 && p + n < end &&
			     p[n] != '\n'; n++)
				num[n] = p[n];
			num[n] = 0;
			*value = strncmp(key, "SYMBOL(", 7) &&
				 strcmp(key, "KERNELOFFSET") ?
				 strtoll(num, NULL, 10) :
				 (int64_t)strtoull(num, NULL, 16);
			return 0;
		}
		p += klen;
	}
	return -1;
}

size_t memx_note_length(const uint8_t *note, size_t size)
{
	Elf64_Nhdr nh;
	size_t len;

	if (size < sizeof(nh))
		return 0;
	memcpy(&nh, note, sizeof(nh));
	len = sizeof(nh) + (nh.n_namesz + 3) / 4 * 4 +
	      (nh.n_descsz + 3) / 4 * 4;
	return len <= size ? len : 0;
}

void memx_human(uint64_t bytes, char *out, size_t size)
{
	static const char * const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = bytes;
	unsigned int i = 0;

	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	snprintf(out, size, i ? "%.1f %s" : "%.0f %s", v, unit[i]);
}

void memx_kcore_layout(int fd, uint64_t stext, uint64_t *text, uint64_t *end,
		       uint64_t *base)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	unsigned int i;

	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    eh.e_phentsize != sizeof(ph))
		return;
	for (i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)) !=
		    sizeof(ph))
			break;
		if (ph.p_type != PT_LOAD || ph.p_paddr == ~(Elf64_Addr)0 ||
		    ph.p_vaddr + ph.p_memsz < ph.p_vaddr)
			continue;
		if (stext - ph.p_vaddr < ph.p_memsz) {
			*text = ph.p_vaddr;
			*end = ph.p_vaddr + ph.p_memsz;
		} else if (base) {
			*base = ph.p_vaddr - ph.p_paddr;
		}
	}
}
