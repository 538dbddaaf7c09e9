// SPDX-License-Identifier: GPL-2.0
/*
 * memx dump --hash sha256 (memx verify reads them back: memx_verify.c).
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
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"

#define NOTE_HDR	(12 + 8)	/* Elf64_Nhdr, "MEMX\0" padded */
#define SPAN_BUF	(1024UL * 1024)

size_t hash_note_size(unsigned int n)
{
	return NOTE_HDR + MEMX_NOTE_DESC_HDR + n * sizeof(struct range_digest);
}

void hash_note(const struct memx_seg *seg, const uint8_t *digest,
	       unsigned int n, uint8_t *out)
{
	uint32_t nhdr[3] = { sizeof(MEMX_NOTE_NAME), 0, MEMX_NOTE_TYPE };
	uint32_t desc[2] = { MEMX_NOTE_VERSION, n };
	struct range_digest r;
	unsigned int i;

	nhdr[1] = MEMX_NOTE_DESC_HDR + n * sizeof(r);
	memset(out, 0, hash_note_size(n));
	memcpy(out, nhdr, sizeof(nhdr));
	memcpy(out + 12, MEMX_NOTE_NAME, sizeof(MEMX_NOTE_NAME));
	memcpy(out + NOTE_HDR, desc, sizeof(desc));
	for (i = 0; i < n; i++) {
		r.paddr = seg[i].paddr;
		r.size = seg[i].size;
		memcpy(r.sha256, digest + i * sizeof(r.sha256),
		       sizeof(r.sha256));
		memcpy(out + NOTE_HDR + MEMX_NOTE_DESC_HDR + i * sizeof(r), &r,
		       sizeof(r));
	}
}

int hash_span(int fd, uint64_t off, uint64_t size,
	      uint8_t out[SHA256_DIGEST_SIZE])
{
	size_t len = size < SPAN_BUF ? size + !size : SPAN_BUF;
	uint8_t *buf = malloc(len);
	struct sha256_ctx ctx;
	ssize_t n = 0;

	if (!buf)
		return -1;
	sha256_init(&ctx);
	for (; size; size -= n, off += n) {
		n = pread(fd, buf, size < len ? size : len, off);
		if (n <= 0)
			break;
		sha256_update(&ctx, n, buf);
	}
	free(buf);
	sha256_digest(&ctx, SHA256_DIGEST_SIZE, out);
	return size ? -1 : 0;
}

int hash_fd(int fd, uint8_t out[SHA256_DIGEST_SIZE])
{
	struct stat st;

	return fstat(fd, &st) ? -1 : hash_span(fd, 0, st.st_size, out);
}

void hash_hex(const uint8_t *p, size_t len, char *out)
{
	while (len--)
		out += sprintf(out, "%02x", *p++);
}

int hash_file(const char *path)
{
	char sum[2 * SHA256_DIGEST_SIZE + 1], *name = NULL;
	const char *base;
	uint8_t digest[SHA256_DIGEST_SIZE];
	int fd = open(path, O_RDONLY), ret = -1;
	FILE *f = NULL;

	if (fd < 0 || hash_fd(fd, digest) ||
	    asprintf(&name, "%s.sha256", path) < 0)
		goto out;
	hash_hex(digest, sizeof(digest), sum);
	f = fopen(name, "w");
	base = strrchr(path, '/');
	if (f && fprintf(f, "%s  %s\n", sum, base ? base + 1 : path) > 0 &&
	    !fclose(f))
		ret = 0;
	else if (f)
		fclose(f);
out:
	if (ret)
		fprintf(stderr, "memx: cannot write the SHA-256 of %s: %s\n",
			path, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(name);
	return ret;
}
