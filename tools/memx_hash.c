// SPDX-License-Identifier: GPL-2.0
/*
 * memx dump --hash sha256, and memx verify.
 *
 *   FILE.sha256  the finished file's SHA-256 in sha256sum's format, with
 *                the file's own name (sha256sum -c in its folder), read
 *                back once the file is complete (the ELF and kdump writers
 *                patch their headers in place last)
 *   MEMX note    ELF and kdump: a record per RAM range, its physical start
 *                and size and the SHA-256 of what the dump holds of it:
 *                elf    the range's bytes, as its PT_LOAD holds them
 *                kdump  the pages the range added to the dump, whole and
 *                       uncompressed, in frame order (an absent page adds
 *                       nothing; a first page the range before it already
 *                       holds is that range's)
 *
 * memx verify FILE recomputes both and names the first range that differs.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memx_dump.h"
#include "memx_tool.h"

#define NOTE_NAME	"MEMX"
#define NOTE_TYPE	1
#define NOTE_HDR	(12 + 8)	/* Elf64_Nhdr, "MEMX\0" padded */
#define NOTE_DESC_HDR	8		/* version, count */

size_t hash_note_size(unsigned int nram)
{
	return NOTE_HDR + NOTE_DESC_HDR + nram * sizeof(struct range_digest);
}

void hash_note(const struct dump *d, unsigned int first, uint8_t *out)
{
	uint32_t nhdr[3] = { sizeof(NOTE_NAME), 0, NOTE_TYPE }, desc[2] = { 1, 0 };
	struct range_digest r;
	unsigned int i;

	desc[1] = d->nseg - first;
	nhdr[1] = NOTE_DESC_HDR + desc[1] * sizeof(r);
	memset(out, 0, hash_note_size(desc[1]));
	memcpy(out, nhdr, sizeof(nhdr));
	memcpy(out + 12, NOTE_NAME, sizeof(NOTE_NAME));
	memcpy(out + NOTE_HDR, desc, sizeof(desc));
	for (i = first; i < d->nseg; i++) {
		r.paddr = d->seg[i].paddr;
		r.size = d->seg[i].size;
		memcpy(r.sha256, d->digest[i], sizeof(r.sha256));
		memcpy(out + NOTE_HDR + NOTE_DESC_HDR + (i - first) * sizeof(r),
		       &r, sizeof(r));
	}
}

/* The SHA-256 of @size bytes at @off of @fd. */
static int span_digest(int fd, uint64_t off, uint64_t size,
		       uint8_t out[SHA256_DIGEST_SIZE])
{
	struct sha256_ctx ctx;
	uint8_t *buf = malloc(CHUNK);
	ssize_t n = 0;

	if (!buf)
		return -1;
	sha256_init(&ctx);
	for (; size; size -= n, off += n) {
		n = pread(fd, buf, size < CHUNK ? size : CHUNK, off);
		if (n <= 0)
			break;
		sha256_update(&ctx, n, buf);
	}
	free(buf);
	sha256_digest(&ctx, SHA256_DIGEST_SIZE, out);
	return size ? -1 : 0;
}

/* The SHA-256 of all of @fd; 0 or -1. */
static int file_digest(int fd, uint8_t out[SHA256_DIGEST_SIZE])
{
	struct stat st;

	return fstat(fd, &st) ? -1 : span_digest(fd, 0, st.st_size, out);
}

static void hex(const uint8_t *p, size_t len, char *out)
{
	while (len--)
		out += sprintf(out, "%02x", *p++);
}

int hash_file(const struct dump *d)
{
	char sum[2 * SHA256_DIGEST_SIZE + 1], *name = NULL;
	const char *base;
	uint8_t digest[SHA256_DIGEST_SIZE];
	int fd = open(d->path, O_RDONLY), ret = -1;
	FILE *f = NULL;

	if (fd < 0 || file_digest(fd, digest) ||
	    asprintf(&name, "%s.sha256", d->path) < 0)
		goto out;
	hex(digest, sizeof(digest), sum);
	f = fopen(name, "w");
	base = strrchr(d->path, '/');
	if (f && fprintf(f, "%s  %s\n", sum, base ? base + 1 : d->path) > 0 &&
	    !fclose(f))
		ret = 0;
	else if (f)
		fclose(f);
out:
	if (ret)
		fprintf(stderr, "memx: cannot write the SHA-256 of %s: %s\n",
			d->path, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(name);
	return ret;
}

/* FILE.sha256 against the file: 1 it matches, 0 it differs, -1 none. */
static int check_sum(const char *path, int fd)
{
	char want[2 * SHA256_DIGEST_SIZE + 1], got[sizeof(want)], *name;
	uint8_t digest[SHA256_DIGEST_SIZE];
	FILE *f;
	int ok;

	if (asprintf(&name, "%s.sha256", path) < 0)
		return -1;
	f = fopen(name, "r");
	free(name);
	if (!f)
		return -1;
	ok = fscanf(f, "%64s", want) == 1;
	fclose(f);
	if (!ok || file_digest(fd, digest))
		return 0;
	hex(digest, sizeof(digest), got);
	return !strcmp(want, got);
}

/* The MEMX note in the notes at [@notes, @notes + @len): its records. */
static const struct range_digest *find_records(const uint8_t *notes,
					       size_t len, uint32_t *count)
{
	uint32_t nhdr[3], desc[2];
	size_t off = 0, next;

	while (off + 12 <= len) {
		memcpy(nhdr, notes + off, sizeof(nhdr));
		next = off + 12 + (nhdr[0] + 3) / 4 * 4 + (nhdr[1] + 3) / 4 * 4;
		if (next > len)
			break;
		if (nhdr[0] == sizeof(NOTE_NAME) && nhdr[2] == NOTE_TYPE &&
		    !memcmp(notes + off + 12, NOTE_NAME, sizeof(NOTE_NAME)) &&
		    nhdr[1] >= NOTE_DESC_HDR) {
			memcpy(desc, notes + off + NOTE_HDR, sizeof(desc));
			if (desc[0] == 1 && (nhdr[1] - NOTE_DESC_HDR) /
			    sizeof(struct range_digest) >= desc[1]) {
				*count = desc[1];
				return (const void *)(notes + off + NOTE_HDR +
						      NOTE_DESC_HDR);
			}
		}
		off = next;
	}
	return NULL;
}

/* An ELF core's notes into *@notes, and its program headers into *@ph. */
static int elf_parts(int fd, uint8_t **notes, size_t *len, Elf64_Phdr **ph,
		     unsigned int *phnum)
{
	Elf64_Ehdr eh;
	Elf64_Shdr sh;
	unsigned int i;

	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh))
		return -1;
	*phnum = eh.e_phnum;
	if (eh.e_phnum == PN_XNUM &&
	    pread(fd, &sh, sizeof(sh), eh.e_shoff) == sizeof(sh))
		*phnum = sh.sh_info;
	*ph = calloc(*phnum, sizeof(**ph));
	if (!*ph || pread(fd, *ph, *phnum * sizeof(**ph), eh.e_phoff) !=
	    (ssize_t)(*phnum * sizeof(**ph)))
		return -1;
	for (i = 0; i < *phnum; i++) {
		if ((*ph)[i].p_type != PT_NOTE)
			continue;
		*len = (*ph)[i].p_filesz;
		*notes = malloc(*len);
		return *notes && pread(fd, *notes, *len, (*ph)[i].p_offset) ==
				 (ssize_t)*len ? 0 : -1;
	}
	return -1;
}

/*
 * Each record's digest from the ELF core, over the PT_LOAD with its start
 * and size (zeros when there is none).
 */
static void elf_digests(int fd, const Elf64_Phdr *ph, unsigned int phnum,
			const struct range_digest *rec, uint32_t n,
			uint8_t (*got)[SHA256_DIGEST_SIZE])
{
	unsigned int i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < phnum; j++)
			if (ph[j].p_type == PT_LOAD &&
			    ph[j].p_paddr == rec[i].paddr &&
			    ph[j].p_filesz == rec[i].size)
				break;
		if (j == phnum ||
		    span_digest(fd, ph[j].p_offset, rec[i].size, got[i]))
			memset(got[i], 0, SHA256_DIGEST_SIZE);
	}
}

/*
 * The records of @fd's MEMX note, their digests recomputed into *@got;
 * the count, or -1 when the file has no such note.
 */
static int range_digests(int fd, const struct range_digest **rec,
			 uint8_t (**got)[SHA256_DIGEST_SIZE], uint8_t **notes)
{
	Elf64_Phdr *ph = NULL;
	unsigned int phnum = 0;
	char magic[8] = "";
	uint32_t n = 0;
	size_t len = 0;
	int elf;

	if (pread(fd, magic, sizeof(magic), 0) != sizeof(magic))
		return -1;
	elf = !memcmp(magic, ELFMAG, SELFMAG);
	if (elf ? elf_parts(fd, notes, &len, &ph, &phnum) :
	    memcmp(magic, "KDUMP   ", 8) || kdump_notes(fd, notes, &len))
		goto none;
	*rec = find_records(*notes, len, &n);
	*got = calloc(n ? n : 1, SHA256_DIGEST_SIZE);
	if (!*rec || !*got)
		goto none;
	if (elf)
		elf_digests(fd, ph, phnum, *rec, n, *got);
	else if (kdump_digests(fd, *rec, n, **got))
		goto none;
	free(ph);
	return n;
none:
	free(ph);
	return -1;
}

static int verify_usage(void)
{
	fprintf(stderr, "usage: memx verify FILE\n");
	return 2;
}

int memx_cmd_verify(int argc, char **argv)
{
	uint8_t (*got)[SHA256_DIGEST_SIZE] = NULL, *notes = NULL;
	const struct range_digest *rec = NULL;
	int fd, sum, n, i, ret = 1;

	if (argc != 2)
		return verify_usage();
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "memx: cannot open %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	sum = check_sum(argv[1], fd);
	if (sum == 0)
		fprintf(stderr, "memx: %s: its SHA-256 differs from %s.sha256\n",
			argv[1], argv[1]);
	n = range_digests(fd, &rec, &got, &notes);
	for (i = 0; i < n; i++) {
		if (!memcmp(rec[i].sha256, got[i], SHA256_DIGEST_SIZE))
			continue;
		fprintf(stderr, "memx: %s: range %#llx-%#llx differs from its digest\n",
			argv[1], (unsigned long long)rec[i].paddr,
			(unsigned long long)(rec[i].paddr + rec[i].size));
		goto out;
	}
	if (sum < 0 && n < 0)
		fprintf(stderr, "memx: %s has no %s.sha256 and no range digests\n",
			argv[1], argv[1]);
	else if (sum)
		ret = 0;
	if (!ret)
		printf("memx: %s: SHA-256 %s, %d range digests match\n", argv[1],
		       sum > 0 ? "matches" : "not recorded", n < 0 ? 0 : n);
out:
	free(got);
	free(notes);
	close(fd);
	return ret;
}
