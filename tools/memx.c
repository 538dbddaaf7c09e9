// SPDX-License-Identifier: GPL-2.0
/*
 * memx: inspect, poke and dump live memory through /dev/memx, /dev/kmemx
 * and /dev/allkmemx.  Subcommands: map, read, write, peek, poke, vtop, dump, verify;
 * `memx help CMD` (or `memx CMD --help`) explains each.  Exit status: 0
 * success, 1 failure, 2 usage error (as grep).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../include/uapi/memx.h"
#include "memx_lib.h"
#include "memx_tool.h"

#define MAX_READ	(1024UL * 1024 * 1024)

static int print_usage(const char *cmd, int rc);

/* The three nodes --node accepts. */
static int valid_node(const char *node)
{
	return !strcmp(node, "memx") || !strcmp(node, "kmemx") ||
	       !strcmp(node, "allkmemx");
}

static uint64_t where_or_die(const char *where)
{
	FILE *ks = fopen("/proc/kallsyms", "r");
	const char *err = NULL;
	uint64_t addr;

	if (memx_parse_where(where, ks, &addr, &err)) {
		fprintf(stderr, "memx: %s: %s\n", where, err);
		exit(2);
	}
	if (ks)
		fclose(ks);
	return addr;
}

static int cmd_map(int argc, char **argv)
{
	off_t data, hole = 0;
	uint64_t total = 0;
	char size[32];
	int fd;

	if (argc != 1 || !argv[0])
		return print_usage("map", 2);
	fd = memx_open_node("memx", O_RDONLY);
	while ((data = lseek(fd, hole, SEEK_DATA)) >= 0) {
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0)
			break;
		memx_human(hole - data, size, sizeof(size));
		printf("%#014llx-%#014llx  %10s\n", (unsigned long long)data,
		       (unsigned long long)hole - 1, size);
		total += hole - data;
	}
	memx_human(total, size, sizeof(size));
	printf("total %s (%llu bytes)\n", size, (unsigned long long)total);
	close(fd);
	return 0;
}

static void hexdump(uint64_t addr, const uint8_t *p, size_t len)
{
	size_t i, j;

	for (i = 0; i < len; i += 16) {
		printf("%016llx:", (unsigned long long)(addr + i));
		for (j = 0; j < 16; j++) {
			if (!(j & 1))
				putchar(' ');
			if (i + j < len)
				printf("%02x", p[i + j]);
			else
				printf("  ");
		}
		printf("  ");
		for (j = 0; j < 16 && i + j < len; j++)
			putchar(p[i + j] >= 0x20 && p[i + j] < 0x7f ?
				p[i + j] : '.');
		putchar('\n');
	}
}

static int cmd_read(int argc, char **argv)
{
	const char *node = "kmemx";
	uint64_t addr, len = 64;
	uint8_t *buf;
	ssize_t n;
	int fd;

	if (argc > 2 && !strcmp(argv[1], "--node")) {
		node = argv[2];
		argc -= 2;
		argv += 2;
		if (!valid_node(node)) {
			fprintf(stderr, "memx: read: --node %s: not memx, kmemx or allkmemx\n",
				node);
			return 2;
		}
	}
	if (argc < 2 || argc > 3)
		return print_usage("read", 2);
	if (argc == 3 && (memx_parse_num(argv[2], &len) || len > MAX_READ)) {
		fprintf(stderr, "memx: read: %s: not a length up to %lu\n",
			argv[2], MAX_READ);
		return 2;
	}
	addr = where_or_die(argv[1]);
	buf = malloc(len ? len : 1);
	if (!buf)
		return 1;
	fd = memx_open_node(node, O_RDONLY);
	n = memx_xfer(fd, 0, addr, buf, len);
	if (n < 0) {
		memx_warn_at("cannot read", node, addr, errno);
		return 1;
	}
	hexdump(addr, buf, n);
	if ((uint64_t)n < len)
		fprintf(stderr, "memx: short read: %zd of %llu bytes\n", n,
			(unsigned long long)len);
	free(buf);
	close(fd);
	return (uint64_t)n < len;
}

static int cmd_write(int argc, char **argv)
{
	uint8_t bytes[4096];
	uint64_t addr;
	ssize_t len, n;
	int fd;

	if (argc != 3)
		return print_usage("write", 2);
	addr = where_or_die(argv[1]);
	len = memx_parse_bytes(argv[2], bytes, sizeof(bytes));
	if (len < 0) {
		fprintf(stderr, "memx: %s: not hex bytes\n", argv[2]);
		return 2;
	}
	fd = memx_open_node("allkmemx", O_RDWR);
	n = memx_xfer(fd, 1, addr, bytes, len);
	if (n < 0) {
		memx_warn_at("cannot write", "allkmemx", addr, errno);
		return 1;
	}
	printf("wrote %zd of %zd bytes at %#llx\n", n, len,
	       (unsigned long long)addr);
	close(fd);
	return n < len;
}

/* peek and poke: -w WIDTH WHERE [VALUE] */
static int cmd_peek_poke(int argc, char **argv, int poke)
{
	const char *name = poke ? "poke" : "peek", *err = NULL;
	uint64_t addr, value = 0, back = 0;
	unsigned int width;
	int fd;

	if (argc != (poke ? 5 : 4) || strcmp(argv[1], "-w"))
		return print_usage(name, 2);
	if (memx_parse_width(argv[2], &width, &err) ||
	    (poke && memx_parse_value(argv[4], width, &value, &err))) {
		fprintf(stderr, "memx: %s: %s\n", name, err);
		return 2;
	}
	addr = where_or_die(argv[3]);
	if (memx_check_aligned(addr, width, &err)) {
		fprintf(stderr, "memx: %s: %#llx: %s\n", name,
			(unsigned long long)addr, err);
		return 2;
	}
	fd = memx_open_node("allkmemx", poke ? O_RDWR : O_RDONLY);
	/* One access of @width bytes of a u64: little endian, low bytes. */
	if (poke && memx_xfer(fd, 1, addr, &value, width) != (ssize_t)width) {
		memx_warn_at("cannot poke", "allkmemx", addr, errno);
		return 1;
	}
	if (memx_xfer(fd, 0, addr, &back, width) != (ssize_t)width) {
		memx_warn_at("cannot peek", "allkmemx", addr, errno);
		return 1;
	}
	if (poke)
		printf("%#llx: wrote %#llx, read back %#llx\n",
		       (unsigned long long)addr, (unsigned long long)value,
		       (unsigned long long)back);
	else
		printf("%#llx: %#llx\n", (unsigned long long)addr,
		       (unsigned long long)back);
	close(fd);
	return 0;
}

static int cmd_vtop(int argc, char **argv)
{
	struct memx_vtop v = { 0 };
	char size[32];
	int fd;

	if (argc != 2)
		return print_usage("vtop", 2);
	v.vaddr = where_or_die(argv[1]);
	fd = memx_open_node("kmemx", O_RDONLY);
	if (ioctl(fd, MEMX_IOC_VTOP, &v)) {
		memx_warn_at("cannot translate", "kmemx", v.vaddr, errno);
		return 1;
	}
	memx_human(1ULL << v.shift, size, sizeof(size));
	printf("%#llx -> %#llx  page %s  %s  %s\n",
	       (unsigned long long)v.vaddr, (unsigned long long)v.paddr, size,
	       v.flags & MEMX_VTOP_RAM ? "RAM" : "I/O",
	       v.flags & MEMX_VTOP_WRITABLE ? "writable" : "read-only");
	close(fd);
	return 0;
}

static int cmd_peek(int argc, char **argv)
{
	return cmd_peek_poke(argc, argv, 0);
}

static int cmd_poke(int argc, char **argv)
{
	return cmd_peek_poke(argc, argv, 1);
}

static const struct memx_cmd {
	const char *name, *usage, *text;
	int (*fn)(int argc, char **argv);
} cmds[] = {
	{ "map", "memx map",
	  "Physical System RAM ranges, from SEEK_DATA/SEEK_HOLE on /dev/memx,\n"
	  "and their total.", cmd_map },
	{ "read", "memx read [--node memx|kmemx|allkmemx] WHERE [LEN]",
	  "xxd-style dump of LEN bytes (default 64) at WHERE, a number or a\n"
	  "/proc/kallsyms symbol with an optional +offset (init_uts_ns+65).\n"
	  "The node defaults to kmemx (kernel virtual addresses).", cmd_read },
	{ "write", "memx write WHERE BYTES",
	  "Write BYTES (hex: \"de ad be ef\" or deadbeef) at WHERE through\n"
	  "allkmemx; needs the module's writable=1.", cmd_write },
	{ "peek", "memx peek -w 1|2|4|8 WHERE",
	  "One read of exactly that width at WHERE (aligned) through\n"
	  "allkmemx: a devmem2 for any kernel mapping, I/O registers\n"
	  "included.", cmd_peek },
	{ "poke", "memx poke -w 1|2|4|8 WHERE VALUE",
	  "One write of exactly that width at WHERE through allkmemx, then\n"
	  "one read back; needs the module's writable=1.", cmd_poke },
	{ "vtop", "memx vtop WHERE",
	  "Physical address, page size, RAM or I/O and writability of the\n"
	  "kernel virtual address WHERE.", cmd_vtop },
	{ "dump", "memx dump -o FILE|- [--format F] [--compress C] [-j N] [--exclude E]\n"
	  "                [--hash sha256] [--range START-END] [--isf FILE]",
	  "All System RAM (or the RAM in [START, END)) into FILE, or standard\n"
	  "output for -, in format F: raw (the default; offsets are physical\n"
	  "addresses: a sparse file, holes as zeros on a stream), lime\n"
	  "(LiME's format), elf (a kdump-style core that crash and drgn open)\n"
	  "or kdump (makedumpfile's kdump-compressed format; FILE seeks), its\n"
	  "pages compressed with C: zstd (the default), zlib, lzo, snappy or\n"
	  "none, read and compressed by N threads (default: the online\n"
	  "CPUs) while one writes.  kdump --exclude leaves out the pages of\n"
	  "kinds E, a list of zero, cache, user and free, or a makedumpfile\n"
	  "dump level (0 to 31), told apart from the kernel's struct pages;\n"
	  "they read as absent.  Unreadable pages are written as zeros\n"
	  "(kdump: left out) and counted.  Status and progress go to standard\n"
	  "error.  A failure (a write error such as ENOSPC or EPIPE, SIGINT,\n"
	  "SIGTERM) exits 1 with the reason and no summary.  FILE is written\n"
	  "as FILE.partXXXXXX, synced and renamed when complete, and removed\n"
	  "on failure; a pipe or device is left where it failed.  --hash\n"
	  "sha256 (a file only) writes the file's SHA-256 to FILE.sha256\n"
	  "(sha256sum -c reads it) and, for elf and kdump, each RAM range's\n"
	  "SHA-256 in a MEMX note.  --isf writes the kernel's symbol table\n"
	  "for Volatility 3 to FILE first, as memx isf -o FILE does.",
	  memx_cmd_dump },
	{ "verify", "memx verify FILE",
	  "Check a dump: its SHA-256 against FILE.sha256 and each RAM range\n"
	  "against the digest in its MEMX note.  Exit 0 when something is\n"
	  "recorded and all of it matches; 1 naming the first range that\n"
	  "differs or is not all there, when nothing is recorded, or naming\n"
	  "what is damaged in FILE (read as hostile input).",
	  memx_cmd_verify },
	{ "isf", "memx isf [-o FILE|-]\n"
	  "       memx isf --btf FILE --kallsyms FILE --banner FILE\n"
	  "                [--kaslr-offset N] [-o FILE|-]",
	  "The running kernel's symbol table for Volatility 3 (an ISF) into\n"
	  "FILE (default: standard output; xz-compressed when FILE ends in\n"
	  ".xz): its types from BTF (/sys/kernel/btf/vmlinux), its symbols\n"
	  "from /proc/kallsyms at their link-time addresses (KASLR's offset\n"
	  "from VMCOREINFO taken off), and linux_banner, which Volatility\n"
	  "finds the table by, read through /dev/kmemx.  With --btf,\n"
	  "--kallsyms and --banner, the same from copies of\n"
	  "/sys/kernel/btf/vmlinux, /proc/kallsyms and /proc/version saved on\n"
	  "the machine, and --kaslr-offset its VMCOREINFO KERNELOFFSET (else\n"
	  "the symbols stay where that boot had them).  Exit 1 when\n"
	  "linux_banner or init_task cannot be placed; a missing symbol a\n"
	  "Volatility plugin needs is named with the plugin.",
	  memx_cmd_isf },
};

#define NCMDS ARRAY_SIZE(cmds)

/*
 * One command's usage and text, or every usage line; on standard output
 * when asked for (@rc 0), else on standard error.  Returns @rc.
 */
static int print_usage(const char *cmd, int rc)
{
	FILE *out = rc ? stderr : stdout;
	unsigned int i;

	for (i = 0; i < NCMDS; i++) {
		if (!cmd)
			fprintf(out, "usage: %s\n", cmds[i].usage);
		else if (!strcmp(cmd, cmds[i].name))
			fprintf(out, "usage: %s\n\n%s\n", cmds[i].usage,
				cmds[i].text);
	}
	if (!cmd)
		fputs("\nmemx help CMD explains CMD.\nExit: 0 success, 1 failure, 2 usage error.\n",
		      out);
	return rc;
}

static const struct memx_cmd *find_cmd(const char *name)
{
	unsigned int i;

	for (i = 0; i < NCMDS; i++)
		if (!strcmp(name, cmds[i].name))
			return &cmds[i];
	return NULL;
}

static int is_help(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

int main(int argc, char **argv)
{
	const struct memx_cmd *cmd;

	if (argc < 2)
		return print_usage(NULL, 2);
	if (is_help(argv[1]) || (!strcmp(argv[1], "help") && argc == 2))
		return print_usage(NULL, 0);
	if (!strcmp(argv[1], "help")) {
		cmd = find_cmd(argv[2]);
		if (!cmd || argc > 3) {
			fprintf(stderr, "memx: help: no command %s\n", argv[2]);
			return 2;
		}
		return print_usage(cmd->name, 0);
	}
	cmd = find_cmd(argv[1]);
	if (!cmd) {
		fprintf(stderr, "memx: no command %s (memx help lists them)\n",
			argv[1]);
		return 2;
	}
	if (argc > 2 && is_help(argv[2]))
		return print_usage(cmd->name, 0);
	return cmd->fn(argc - 1, argv + 1);
}
