// SPDX-License-Identifier: GPL-2.0
/* Fuzz target: the notes of a dump, and the MEMX note among them. */
#include "fuzz.h"
#include "memx_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dfile f = { .fd = -1 };
	struct records r = { 0 };

	memx_records(&f, data, size, &r);
	records_free(&r);
	return 0;
}
