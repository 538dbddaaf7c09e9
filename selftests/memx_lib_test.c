// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the memx command's pure parts (tools/memx_lib.c), run on
 * the host: WHERE parsing against a made-up kallsyms, the width rules, and
 * the LiME and ELF headers against hand-computed bytes.
 */
#include <elf.h>
#include <string.h>

#include "kselftest_harness.h"
#include "../tools/dump/layout.h"
#include "../tools/memx_lib.h"

static FILE *fake_kallsyms(void)
{
	FILE *f = tmpfile();

	fputs("ffffffff81000000 T _text\n"
	      "ffffffff82a00100 D init_uts_ns\n"
	      "ffffffffc0001000 t helper_fn\t[memx_helper]\n"
	      "0000000000000000 D fixed_percpu_data\n", f);
	rewind(f);
	return f;
}

TEST(where_numbers_symbols_and_offsets)
{
	FILE *ks = fake_kallsyms();
	const char *err = NULL;
	uint64_t a;

	ASSERT_EQ(0, memx_parse_where("0x1000", ks, &a, &err));
	EXPECT_EQ(0x1000, a);
	ASSERT_EQ(0, memx_parse_where("4096", ks, &a, &err));
	EXPECT_EQ(4096, a);
	ASSERT_EQ(0, memx_parse_where("init_uts_ns", ks, &a, &err));
	EXPECT_EQ(0xffffffff82a00100ULL, a);
	ASSERT_EQ(0, memx_parse_where("init_uts_ns+65", ks, &a, &err));
	EXPECT_EQ(0xffffffff82a00141ULL, a);
	ASSERT_EQ(0, memx_parse_where("_text+0x10", ks, &a, &err));
	EXPECT_EQ(0xffffffff81000010ULL, a);
	ASSERT_EQ(0, memx_parse_where("helper_fn", ks, &a, &err));
	EXPECT_EQ(0xffffffffc0001000ULL, a);
	EXPECT_EQ(-1, memx_parse_where("no_such_symbol", ks, &a, &err));
	EXPECT_STREQ("no such symbol in /proc/kallsyms", err);
	EXPECT_EQ(-1, memx_parse_where("_text+x", ks, &a, &err));
	EXPECT_EQ(-1, memx_parse_where("", ks, &a, &err));
	EXPECT_EQ(-1, memx_parse_where("+5", ks, &a, &err));
	fclose(ks);
}

/* Numbers: the whole string, no sign, no blank, no junk, no overflow. */
TEST(numbers_are_whole_and_in_range)
{
	FILE *ks = fake_kallsyms();
	const char *err = NULL;
	uint64_t a;

	EXPECT_EQ(0, memx_parse_num("0xffffffffffffffff", &a));
	EXPECT_EQ(~0ULL, a);
	EXPECT_EQ(-1, memx_parse_num("0x10000000000000000", &a));
	EXPECT_EQ(-1, memx_parse_num(" -1", &a));
	EXPECT_EQ(-1, memx_parse_num("-1", &a));
	EXPECT_EQ(-1, memx_parse_num("+1", &a));
	EXPECT_EQ(-1, memx_parse_num(" 1", &a));
	EXPECT_EQ(-1, memx_parse_num("1x", &a));
	EXPECT_EQ(-1, memx_parse_num("12 ", &a));
	EXPECT_EQ(-1, memx_parse_num("", &a));
	EXPECT_EQ(-1, memx_parse_where("0x10000000000000000", ks, &a, &err));
	EXPECT_EQ(-1, memx_parse_where("4096junk", ks, &a, &err));
	EXPECT_EQ(-1, memx_parse_where(" -1", ks, &a, &err));
	/* symbol+offset past 2^64. */
	EXPECT_EQ(-1, memx_parse_where("_text+0xffffffffffffffff", ks, &a,
				       &err));
	EXPECT_EQ(0, memx_parse_where("_text+0x7effffff", ks, &a, &err));
	EXPECT_EQ(0xffffffffffffffffULL, a);
	EXPECT_EQ(-1, memx_parse_where("_text+-1", ks, &a, &err));
	fclose(ks);
}

/* Symbols at 0: per-CPU offsets, or every address hidden by kptr_restrict. */
TEST(zero_symbols_get_their_own_message)
{
	FILE *ks = fake_kallsyms(), *hidden = tmpfile();
	const char *err = NULL;
	uint64_t a;

	EXPECT_EQ(-1, memx_parse_where("fixed_percpu_data", ks, &a, &err));
	EXPECT_NE(NULL, strstr(err, "per-CPU")) TH_LOG("%s", err);
	fputs("0000000000000000 T _text\n0000000000000000 D init_uts_ns\n",
	      hidden);
	EXPECT_EQ(-1, memx_parse_where("init_uts_ns", hidden, &a, &err));
	EXPECT_NE(NULL, strstr(err, "kptr_restrict")) TH_LOG("%s", err);
	fclose(ks);
	fclose(hidden);
}

/* peek/poke: a 64-bit width is parsed as 64 bits, values fit the width. */
TEST(width_and_value_parsing)
{
	const char *err = NULL;
	unsigned int w = 0;
	uint64_t v;

	EXPECT_EQ(0, memx_parse_width("4", &w, &err));
	EXPECT_EQ(4, w);
	EXPECT_EQ(0, memx_parse_width("0x8", &w, &err));
	EXPECT_EQ(8, w);
	EXPECT_EQ(-1, memx_parse_width("0x100000004", &w, &err));
	EXPECT_EQ(-1, memx_parse_width("3", &w, &err));
	EXPECT_EQ(-1, memx_parse_width("16", &w, &err));
	EXPECT_EQ(-1, memx_parse_width(" 4", &w, &err));
	EXPECT_EQ(0, memx_parse_value("0xff", 1, &v, &err));
	EXPECT_EQ(-1, memx_parse_value("0x1234", 1, &v, &err));
	EXPECT_STREQ("the value does not fit in the width", err);
	EXPECT_EQ(0, memx_parse_value("0xffff", 2, &v, &err));
	EXPECT_EQ(-1, memx_parse_value("0x10000", 2, &v, &err));
	EXPECT_EQ(0, memx_parse_value("0xffffffff", 4, &v, &err));
	EXPECT_EQ(-1, memx_parse_value("0x100000000", 4, &v, &err));
	EXPECT_EQ(0, memx_parse_value("0xffffffffffffffff", 8, &v, &err));
	EXPECT_EQ(-1, memx_parse_value("-1", 8, &v, &err));
}

TEST(width_rules)
{
	const char *err;

	/* The module's rule: largest aligned width that fits. */
	EXPECT_EQ(8, memx_access_width(0x1000, 64));
	EXPECT_EQ(4, memx_access_width(0x1004, 64));
	EXPECT_EQ(2, memx_access_width(0x1002, 64));
	EXPECT_EQ(1, memx_access_width(0x1001, 64));
	EXPECT_EQ(4, memx_access_width(0x1000, 7));
	EXPECT_EQ(2, memx_access_width(0x1000, 3));
	EXPECT_EQ(1, memx_access_width(0x1000, 1));
	/* peek/poke: aligned to the width. */
	EXPECT_EQ(0, memx_check_aligned(0x1004, 4, &err));
	EXPECT_EQ(-1, memx_check_aligned(0x1002, 4, &err));
	EXPECT_EQ(0, memx_check_aligned(0x1001, 1, &err));
	EXPECT_EQ(-1, memx_check_aligned(0x1004, 8, &err));
}

TEST(hex_bytes)
{
	uint8_t b[8];

	EXPECT_EQ(4, memx_parse_bytes("de ad be ef", b, sizeof(b)));
	EXPECT_EQ(0, memcmp(b, "\xde\xad\xbe\xef", 4));
	EXPECT_EQ(2, memx_parse_bytes("0x1234", b, sizeof(b)));
	EXPECT_EQ(0, memcmp(b, "\x12\x34", 2));
	EXPECT_EQ(-1, memx_parse_bytes("123", b, sizeof(b)));
	EXPECT_EQ(-1, memx_parse_bytes("zz", b, sizeof(b)));
	EXPECT_EQ(-1, memx_parse_bytes("0011223344556677889", b, sizeof(b)));
}

/* LiME: magic 0x4C694D45, version 1, start, inclusive end, 8 reserved. */
TEST(lime_header_bytes)
{
	static const uint8_t want[32] = {
		0x45, 0x4d, 0x69, 0x4c, 0x01, 0x00, 0x00, 0x00,
		0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0xff, 0xfb, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00,
		0, 0, 0, 0, 0, 0, 0, 0,
	};
	uint8_t hdr[MEMX_LIME_HDR_SIZE];

	memx_lime_header(hdr, 0x1000, 0x9fbff);
	EXPECT_EQ(0, memcmp(hdr, want, sizeof(want)));
}

/* ELF: header, PT_NOTE right after the program headers, PT_LOADs. */
TEST(elf_header_bytes)
{
	static const uint8_t note[] = {
		11, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0,	/* namesz, descsz */
		'V', 'M', 'C', 'O', 'R', 'E', 'I', 'N', 'F', 'O', 0, 0,
		'a', '=', '1', '\n',
	};
	struct memx_seg seg[2] = {
		{ .paddr = 0x100000, .vaddr = 0xffff888000100000ULL,
		  .size = 0x200000, .offset = 0x1000 },
		{ .paddr = 0x180000, .vaddr = 0xffffffff81000000ULL,
		  .size = 0x10000, .offset = 0x81000 },
	};
	static const uint8_t elf64_le[] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
	uint8_t buf[4096];
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	size_t len;

	len = memx_elf_header(NULL, 0, seg, 2, note, sizeof(note));
	EXPECT_EQ(64 + 3 * 56 + sizeof(note), len);
	ASSERT_EQ(len, memx_elf_header(buf, sizeof(buf), seg, 2, note,
				       sizeof(note)));
	EXPECT_EQ(0, memcmp(buf, elf64_le, sizeof(elf64_le)));
	memcpy(&eh, buf, sizeof(eh));
	EXPECT_EQ(ET_CORE, eh.e_type);
	EXPECT_EQ(EM_X86_64, eh.e_machine);
	EXPECT_EQ(64, eh.e_phoff);
	EXPECT_EQ(3, eh.e_phnum);
	memcpy(&ph, buf + 64, sizeof(ph));
	EXPECT_EQ(PT_NOTE, ph.p_type);
	EXPECT_EQ(64 + 3 * 56, ph.p_offset);
	EXPECT_EQ(sizeof(note), ph.p_filesz);
	EXPECT_EQ(0, memcmp(buf + ph.p_offset, note, sizeof(note)));
	memcpy(&ph, buf + 64 + 2 * 56, sizeof(ph));
	EXPECT_EQ(PT_LOAD, ph.p_type);
	EXPECT_EQ(0x180000, ph.p_paddr);
	EXPECT_EQ(0xffffffff81000000ULL, ph.p_vaddr);
	EXPECT_EQ(0x81000, ph.p_offset);
	EXPECT_EQ(0x10000, ph.p_filesz);
	/* p_align 0, as the kernel's vmcore: crash applies KASLR by itself. */
	EXPECT_EQ(0, ph.p_align);
	EXPECT_EQ(0, eh.e_shnum);
	/* Too small a buffer: nothing written, the size told. */
	EXPECT_EQ(len, memx_elf_header(buf, len - 1, seg, 2, note,
				       sizeof(note)));
}

/* 70000 segments: e_phnum is PN_XNUM and section 0's sh_info the count. */
TEST(elf_extended_numbering)
{
	const unsigned int nseg = 70000;
	struct memx_seg *seg = calloc(nseg, sizeof(*seg));
	static const uint8_t note[4];
	uint8_t *buf;
	Elf64_Ehdr eh;
	Elf64_Shdr sh;
	Elf64_Phdr ph;
	size_t len;

	ASSERT_NE(NULL, seg);
	seg[nseg - 1].paddr = 0x1234000;
	len = memx_elf_header(NULL, 0, seg, nseg, note, sizeof(note));
	buf = malloc(len);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(len, memx_elf_header(buf, len, seg, nseg, note,
				       sizeof(note)));
	memcpy(&eh, buf, sizeof(eh));
	EXPECT_EQ(PN_XNUM, eh.e_phnum);
	EXPECT_EQ(1, eh.e_shnum);
	EXPECT_EQ(sizeof(Elf64_Shdr), eh.e_shentsize);
	ASSERT_GE(len, eh.e_shoff + sizeof(sh));
	memcpy(&sh, buf + eh.e_shoff, sizeof(sh));
	EXPECT_EQ(nseg + 1, sh.sh_info);
	memcpy(&ph, buf + 64 + (size_t)nseg * 56, sizeof(ph));
	EXPECT_EQ(PT_LOAD, ph.p_type);
	EXPECT_EQ(0x1234000, ph.p_paddr);
	free(buf);
	free(seg);
}

/* The VMCOREINFO buffer is zero-padded: the note ends where it says. */
TEST(note_length_from_its_header)
{
	uint8_t buf[4096] = {
		11, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0,
		'V', 'M', 'C', 'O', 'R', 'E', 'I', 'N', 'F', 'O', 0, 0,
		'a', '=', '1', '\n', '\n',
	};

	EXPECT_EQ(12 + 12 + 8, memx_note_length(buf, sizeof(buf)));
	EXPECT_EQ(0, memx_note_length(buf, 20));
}

TEST(human_sizes)
{
	char s[32];

	memx_human(512, s, sizeof(s));
	EXPECT_STREQ("512 B", s);
	memx_human(3ULL << 30, s, sizeof(s));
	EXPECT_STREQ("3.0 GiB", s);
	memx_human(1536ULL << 10, s, sizeof(s));
	EXPECT_STREQ("1.5 MiB", s);
}

TEST_HARNESS_MAIN
