// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: VMCOREINFO as the kernel hands it to memx dump, its note
 * (memx_note_length) and its text (--exclude's layout, and every value
 * the kdump writer looks up).
 */
#include <errno.h>
#include <stdlib.h>

#include "fuzz.h"
#include "dump/exclude.h"
#include "memx_lib.h"

/* --exclude reads struct pages through kmemx: not here. */
ssize_t memx_xfer(int fd, int write, uint64_t addr, void *buf, size_t len)
{
	(void)fd, (void)write, (void)addr, (void)buf, (void)len;
	errno = EIO;
	return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t v;

	memx_note_length(data, size);
	vmcoreinfo_value((const char *)data, size, "NUMBER(phys_base)", &v);
	vmcoreinfo_value((const char *)data, size, "SYMBOL(mem_section)", &v);
	excl_free(excl_new(-1, 4096, (const char *)data, size));
	return 0;
}
