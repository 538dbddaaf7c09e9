// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: memx isf on saved copies (--btf, --kallsyms, --banner), the
 * way an analyst runs it on files from elsewhere.  The input: the BTF's
 * length (4 bytes, little endian), the BTF, then the kallsyms text, a NUL
 * and the banner.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "memx_tool.h"

/* The live paths are not reached with saved copies. */
int memx_open_node(const char *node, int flags)
{
	(void)node;
	(void)flags;
	abort();
}

ssize_t memx_xfer(int fd, int write, uint64_t addr, void *buf, size_t len)
{
	(void)fd;
	(void)write;
	(void)addr;
	(void)buf;
	(void)len;
	abort();
}

/* A memfd holding @len bytes of @p, by its /proc/self/fd path. */
static void saved(int *fd, char *path, const uint8_t *p, size_t len)
{
	if (*fd < 0)
		*fd = memfd_create("memx-fuzz", 0);
	if (*fd < 0 || ftruncate(*fd, 0) ||
	    pwrite(*fd, p, len, 0) != (ssize_t)len)
		abort();
	sprintf(path, "/proc/self/fd/%d", *fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fds[3] = { -1, -1, -1 };
	static char out[64];
	char dir[] = "/tmp/memx-fuzz-isfXXXXXX", paths[3][32];
	const uint8_t *rest, *nul;
	uint32_t len;

	if (!out[0]) {
		if (!mkdtemp(dir))
			abort();
		snprintf(out, sizeof(out), "%s/isf.json", dir);
	}
	if (size < 4)
		return 0;
	memcpy(&len, data, 4);
	if (len > size - 4)
		return 0;
	rest = data + 4 + len;
	nul = memchr(rest, 0, data + size - rest);
	if (!nul)
		return 0;
	saved(&fds[0], paths[0], data + 4, len);
	saved(&fds[1], paths[1], rest, nul - rest);
	saved(&fds[2], paths[2], nul + 1, data + size - nul - 1);
	memx_isf_saved(paths[0], paths[1], paths[2], 0x1000000, out);
	unlink(out);
	return 0;
}
