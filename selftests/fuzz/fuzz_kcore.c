// SPDX-License-Identifier: GPL-2.0
/* Fuzz target: /proc/kcore's ELF and program headers (memx dump's layout). */
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "memx_lib.h"

#define STEXT	0xffffffff81000000ULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	uint64_t text = 0, end = 0, base = 0;

	if (fd < 0)
		fd = memfd_create("memx-fuzz", 0);
	if (fd < 0 || ftruncate(fd, 0) ||
	    pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	memx_kcore_layout(fd, STEXT, &text, &end, &base);
	return 0;
}
