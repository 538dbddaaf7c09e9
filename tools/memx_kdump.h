/* SPDX-License-Identifier: GPL-2.0 */
/*
 * makedumpfile's kdump-compressed ("diskdump") format on disk, as
 * diskdump_mod.h lays it out: what the kdump writer (dump/kdump.c) and
 * memx verify's reader (memx_verify_kdump.c) share.
 */
#ifndef MEMX_KDUMP_H
#define MEMX_KDUMP_H

#include <stdint.h>

#define KDUMP_SIGNATURE	"KDUMP   "
#define KDUMP_VERSION	6
#define KDUMP_ZLIB	0x01
#define KDUMP_LZO	0x02
#define KDUMP_SNAPPY	0x04
#define KDUMP_ZSTD	0x20
#define UTS_LEN		65

struct kdump_header {
	char signature[8];		/* "KDUMP   " */
	int32_t header_version;
	char utsname[6][UTS_LEN];	/* struct new_utsname */
	int64_t tv_sec, tv_usec;	/* 8-aligned: at 408 */
	uint32_t status;		/* the compression flag */
	int32_t block_size;
	int32_t sub_hdr_size;		/* in blocks */
	uint32_t bitmap_blocks;		/* both bitmaps */
	uint32_t max_mapnr;		/* 32-bit; the sub-header has it whole */
	uint32_t total_ram_blocks, device_blocks, written_blocks;
	uint32_t current_cpu;
	int32_t nr_cpus;
};

struct kdump_sub_header {
	uint64_t phys_base;
	int32_t dump_level, split;
	uint64_t start_pfn, end_pfn;
	uint64_t offset_vmcoreinfo, size_vmcoreinfo;
	uint64_t offset_note, size_note;
	uint64_t offset_eraseinfo, size_eraseinfo;
	uint64_t start_pfn_64, end_pfn_64, max_mapnr_64;
};

struct kdump_page_desc {
	uint64_t offset;
	uint32_t size, flags;
	uint64_t page_flags;
};

_Static_assert(sizeof(struct kdump_header) == 464, "disk_dump_header");
_Static_assert(sizeof(struct kdump_sub_header) == 104, "kdump_sub_header");
_Static_assert(sizeof(struct kdump_page_desc) == 24, "page_desc");

#endif /* MEMX_KDUMP_H */
