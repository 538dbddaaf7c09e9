/* SPDX-License-Identifier: GPL-2.0 */
/* What libFuzzer calls in each target: one input, never kept. */
#ifndef MEMX_FUZZ_H
#define MEMX_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* MEMX_FUZZ_H */
