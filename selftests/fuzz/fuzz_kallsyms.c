// SPDX-License-Identifier: GPL-2.0
/* Fuzz target: /proc/kallsyms lines, as WHERE arguments look them up. */
#include <stdio.h>

#include "fuzz.h"
#include "memx_lib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const where[] = {
		"_text", "init_task+0x10", "linux_banner+18446744073709551615",
	};
	FILE *f = size ? fmemopen((void *)data, size, "r") : NULL;
	const char *err;
	uint64_t addr;
	unsigned int i;

	if (!f)
		return 0;
	for (i = 0; i < ARRAY_SIZE(where); i++)
		memx_parse_where(where[i], f, &addr, &err);
	fclose(f);
	return 0;
}
