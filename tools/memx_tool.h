/* SPDX-License-Identifier: GPL-2.0 */
/* What the memx command's files share: node access and error reporting. */
#ifndef MEMX_TOOL_H
#define MEMX_TOOL_H

#include <stdint.h>
#include <sys/types.h>

/* Open /dev/NODE, or print why not (the errno, the node, a hint) and exit. */
int memx_open_node(const char *node, int flags);

/* MEMX_IOC_READ / MEMX_IOC_WRITE: bytes moved, or -1 with errno. */
ssize_t memx_xfer(int fd, int write, uint64_t addr, void *buf, size_t len);

/* "memx: CONTEXT at 0x...: strerror" on stderr. */
void memx_warn_at(const char *what, const char *node, uint64_t addr, int err);

int memx_cmd_dump(int argc, char **argv);
int memx_cmd_verify(int argc, char **argv);
int memx_cmd_isf(int argc, char **argv);

/* memx dump --isf: the running kernel's ISF into @path; 0 or -1. */
int memx_isf_live(const char *path);

/* memx isf --btf --kallsyms --banner --kaslr-offset -o: 0 or -1. */
int memx_isf_saved(const char *btf, const char *kallsyms, const char *banner,
		   uint64_t offset, const char *path);

#endif /* MEMX_TOOL_H */
