// SPDX-License-Identifier: GPL-2.0
/*
 * memx verify FILE: FILE's SHA-256 against FILE.sha256, and each range the
 * MEMX note records against the digest its data gives now (the ELF and
 * kdump readers: memx_verify_elf.c, memx_verify_kdump.c).
 *
 * Exit 0 only when something is recorded and all of it matches: the
 * .sha256, or every range found and read in full.  A damaged file, a
 * range that differs or is not all there, or nothing recorded is exit 1
 * with a message naming the file and what is wrong.
 */
#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memx_kdump.h"
#include "memx_tool.h"
#include "memx_verify.h"

#define NOTE_MAX_SHOWN	16	/* the bytes of a note's name in a message */

int dfile_fail(struct dfile *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->why, sizeof(f->why), fmt, ap);
	va_end(ap);
	return -1;
}

int dfile_holds(struct dfile *f, uint64_t len, uint64_t off, const char *what)
{
	if (off <= f->size && len <= f->size - off)
		return 0;
	return dfile_fail(f, "%s: %llu bytes at offset %llu, past the end of the file (%llu bytes)",
			  what, (unsigned long long)len,
			  (unsigned long long)off, (unsigned long long)f->size);
}

int dfile_read(struct dfile *f, void *buf, uint64_t len, uint64_t off,
	       const char *what)
{
	ssize_t n;

	if (dfile_holds(f, len, off, what))
		return -1;
	for (; len; len -= n, off += n, buf = (uint8_t *)buf + n) {
		n = pread(f->fd, buf, len, off);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0)
			return dfile_fail(f, "%s: cannot read at offset %llu: %s",
					  what, (unsigned long long)off,
					  n ? strerror(errno) : "the file ends early");
	}
	return 0;
}

void *dfile_load(struct dfile *f, uint64_t len, uint64_t off,
		 const char *what)
{
	void *buf;

	if (dfile_holds(f, len, off, what))
		return NULL;
	buf = malloc(len ? len : 1);
	if (!buf) {
		dfile_fail(f, "%s: out of memory for %llu bytes", what,
			   (unsigned long long)len);
		return NULL;
	}
	if (!dfile_read(f, buf, len, off, what))
		return buf;
	free(buf);
	return NULL;
}

/* A note's name for a message: its printable start. */
static void note_name(const uint8_t *p, uint32_t namesz, uint64_t room,
		      char out[NOTE_MAX_SHOWN + 1])
{
	uint32_t i;

	for (i = 0; i < namesz && i < room && i < NOTE_MAX_SHOWN && p[i]; i++)
		out[i] = isprint(p[i]) ? p[i] : '?';
	out[i] = 0;
}

static uint64_t align4(uint64_t n)
{
	return (n + 3) & ~3ULL;
}

/* The records in @desc (@descsz bytes) of the MEMX note, copied out. */
static int memx_note(struct dfile *f, const uint8_t *desc, uint32_t descsz,
		     struct records *r)
{
	uint32_t hdr[2];
	uint64_t i;

	if (descsz < MEMX_NOTE_DESC_HDR)
		return dfile_fail(f, "note MEMX: %u bytes, less than its %d-byte header",
				  descsz, MEMX_NOTE_DESC_HDR);
	memcpy(hdr, desc, sizeof(hdr));
	if (hdr[0] != MEMX_NOTE_VERSION)
		return dfile_fail(f, "note MEMX: version %u, not %d", hdr[0],
				  MEMX_NOTE_VERSION);
	if (hdr[1] > (descsz - MEMX_NOTE_DESC_HDR) / sizeof(*r->rec))
		return dfile_fail(f, "note MEMX: %u records do not fit in its %u bytes",
				  hdr[1], descsz);
	r->found = 1;
	r->n = hdr[1];
	r->rec = calloc(r->n ? r->n : 1, sizeof(*r->rec));
	r->got = calloc(r->n ? r->n : 1, sizeof(*r->got));
	if (!r->rec || !r->got)
		return dfile_fail(f, "note MEMX: out of memory for %llu records",
				  (unsigned long long)r->n);
	memcpy(r->rec, desc + MEMX_NOTE_DESC_HDR, r->n * sizeof(*r->rec));
	for (i = 0; i < r->n; i++) {
		const struct range_digest *d = &r->rec[i];

		if (!d->size || d->paddr + d->size < d->paddr)
			return dfile_fail(f,
					  "note MEMX: record %llu: start %#llx and size %#llx are not a range",
					  (unsigned long long)i,
					  (unsigned long long)d->paddr,
					  (unsigned long long)d->size);
		if (i && d->paddr < d[-1].paddr + d[-1].size)
			return dfile_fail(f,
					  "note MEMX: record %llu: range %#llx-%#llx starts before the one before it ends",
					  (unsigned long long)i,
					  (unsigned long long)d->paddr,
					  (unsigned long long)(d->paddr + d->size));
	}
	return 0;
}

int memx_records(struct dfile *f, const uint8_t *notes, uint64_t len,
		 struct records *r)
{
	char name[NOTE_MAX_SHOWN + 1];
	uint64_t off = 0, size, i;
	uint32_t nhdr[3];

	for (i = 0; off < len; i++, off += size) {
		if (len - off < sizeof(nhdr))
			return dfile_fail(f, "note %llu: its header runs past the end of the notes",
					  (unsigned long long)i);
		memcpy(nhdr, notes + off, sizeof(nhdr));
		note_name(notes + off + sizeof(nhdr), nhdr[0],
			  len - off - sizeof(nhdr), name);
		size = sizeof(nhdr) + align4(nhdr[0]);
		if (size > len - off)
			return dfile_fail(f, "note %llu: name size %u past the end of the notes",
					  (unsigned long long)i, nhdr[0]);
		size += align4(nhdr[1]);
		if (size > len - off)
			return dfile_fail(f, "note %s: size %u past the end of the notes",
					  *name ? name : "without a name", nhdr[1]);
		if (nhdr[0] == sizeof(MEMX_NOTE_NAME) &&
		    nhdr[2] == MEMX_NOTE_TYPE && !strcmp(name, MEMX_NOTE_NAME))
			return memx_note(f, notes + off + sizeof(nhdr) +
					 align4(nhdr[0]), nhdr[1], r);
	}
	return 0;
}

void records_free(struct records *r)
{
	free(r->rec);
	free(r->got);
	*r = (struct records){ 0 };
}

int verify_ranges(struct dfile *f, struct records *r)
{
	char magic[8] = "";
	uint64_t i;

	if (f->size >= sizeof(magic) &&
	    dfile_read(f, magic, sizeof(magic), 0, "the file's magic"))
		return -1;
	if (!memcmp(magic, ELFMAG, SELFMAG)) {
		if (elf_ranges(f, r))
			return -1;
	} else if (!memcmp(magic, KDUMP_SIGNATURE, sizeof(magic))) {
		if (kdump_ranges(f, r))
			return -1;
	}
	for (i = 0; i < r->n; i++) {
		if (!memcmp(r->rec[i].sha256, r->got[i], SHA256_DIGEST_SIZE))
			continue;
		dfile_fail(f, "range %#llx-%#llx differs from its digest",
			   (unsigned long long)r->rec[i].paddr,
			   (unsigned long long)(r->rec[i].paddr + r->rec[i].size));
		return 1;
	}
	return 0;
}

/*
 * FILE.sha256 against the file: 1 it matches, 0 it differs, -1 there is
 * none, -2 it is not sha256sum's format or the file cannot be read (a
 * message said which).  sha256sum -c takes either case of hex.
 */
static int check_sum(const char *path, int fd)
{
	char want[2 * SHA256_DIGEST_SIZE + 2], got[sizeof(want)], *name;
	uint8_t digest[SHA256_DIGEST_SIZE];
	unsigned int i;
	FILE *f;
	int ok;

	if (asprintf(&name, "%s.sha256", path) < 0)
		return -2;
	f = fopen(name, "r");
	if (!f) {
		free(name);
		return -1;
	}
	ok = fscanf(f, "%65s", want) == 1 && strlen(want) == 64;
	for (i = 0; ok && i < 64; i++) {
		ok = isxdigit((unsigned char)want[i]);
		want[i] = tolower((unsigned char)want[i]);
	}
	fclose(f);
	if (!ok)
		fprintf(stderr, "memx: %s: not a SHA-256 in sha256sum's format\n",
			name);
	free(name);
	if (!ok)
		return -2;
	if (hash_fd(fd, digest)) {
		fprintf(stderr, "memx: %s: cannot read it all: %s\n", path,
			strerror(errno));
		return -2;
	}
	hash_hex(digest, sizeof(digest), got);
	if (!strcmp(want, got))
		return 1;
	fprintf(stderr, "memx: %s: its SHA-256 differs from %s.sha256\n", path,
		path);
	return 0;
}

/*
 * A dump to read: a regular file or a block device, opened without
 * blocking (a FIFO is refused, not waited on); -1 after a message.
 */
static int open_dump(const char *path, struct dfile *f)
{
	struct stat st;
	off_t end;

	f->fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
	if (f->fd < 0 || fstat(f->fd, &st)) {
		fprintf(stderr, "memx: cannot open %s: %s\n", path,
			strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode) || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) {
		fprintf(stderr, "memx: %s: %s\n", path, S_ISDIR(st.st_mode) ?
			strerror(EISDIR) : "not a regular file or a block device");
		goto fail;
	}
	end = lseek(f->fd, 0, SEEK_END);
	if (end < 0) {
		fprintf(stderr, "memx: %s: cannot find its size: %s\n", path,
			strerror(errno));
		goto fail;
	}
	f->size = end;
	return 0;
fail:
	if (f->fd >= 0)
		close(f->fd);
	return -1;
}

static int verify_usage(void)
{
	fprintf(stderr, "usage: memx verify FILE\n");
	return 2;
}

int memx_cmd_verify(int argc, char **argv)
{
	struct dfile f = { .fd = -1 };
	struct records r = { 0 };
	int sum, rc;

	if (argc != 2)
		return verify_usage();
	if (open_dump(argv[1], &f))
		return 1;
	rc = verify_ranges(&f, &r);
	if (rc)
		fprintf(stderr, "memx: %s: %s\n", argv[1], f.why);
	sum = rc ? -1 : check_sum(argv[1], f.fd);
	close(f.fd);
	if (!rc && sum < 0 && !r.n) {
		fprintf(stderr, "memx: %s: nothing recorded to check: no %s.sha256 and %s\n",
			argv[1], argv[1], r.found ? "its MEMX note holds no range" :
			"no MEMX note");
		rc = 1;
	}
	if (!rc && sum != 0 && sum != -2)
		printf("memx: %s: SHA-256 %s, %llu range digests match\n",
		       argv[1], sum > 0 ? "matches" : "not recorded",
		       (unsigned long long)r.n);
	records_free(&r);
	return rc || sum == 0 || sum == -2;
}
