// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target: memx verify's readers of one format, FUZZ_MAGIC's (the ELF
 * core or the kdump-compressed reader: their headers, notes, the MEMX
 * note, program headers, bitmaps, page descriptors and decompression),
 * on an input that starts with the format's magic.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "memx_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char magic[] = FUZZ_MAGIC;
	static int fd = -1;
	struct dfile f = { .size = size };
	struct records r = { 0 };

	if (fd < 0)
		fd = memfd_create("memx-fuzz", 0);
	if (fd < 0 || ftruncate(fd, 0) ||
	    pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	if (size >= sizeof(magic) - 1)
		pwrite(fd, magic, sizeof(magic) - 1, 0);
	f.fd = fd;
	verify_ranges(&f, &r);
	records_free(&r);
	return 0;
}
