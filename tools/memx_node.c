// SPDX-License-Identifier: GPL-2.0
/* The memx command's access to the nodes: opening them, and the ioctls. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "../include/uapi/memx.h"
#include "memx_tool.h"

int memx_open_node(const char *node, int flags)
{
	char path[64];
	int fd, err;

	snprintf(path, sizeof(path), "/dev/%s", node);
	fd = open(path, flags);
	if (fd >= 0)
		return fd;
	err = errno;
	fprintf(stderr, "memx: cannot open %s%s: %s\n", path,
		flags == O_RDONLY ? "" : " for writing", strerror(err));
	if (err == EPERM && flags != O_RDONLY)
		fprintf(stderr, "memx: writing needs writable=Y in %s\n",
			"/sys/module/memx/parameters/writable");
	else if (err == ENOENT)
		fprintf(stderr, "memx: is the memx module loaded?\n");
	exit(1);
}

ssize_t memx_xfer(int fd, int write, uint64_t addr, void *buf, size_t len)
{
	struct memx_xfer x = {
		.addr = addr, .buf = (uintptr_t)buf, .len = len,
	};

	if (ioctl(fd, write ? MEMX_IOC_WRITE : MEMX_IOC_READ, &x))
		return -1;
	return x.len;
}

void memx_warn_at(const char *what, const char *node, uint64_t addr, int err)
{
	fprintf(stderr, "memx: %s at %#llx on /dev/%s: %s\n", what,
		(unsigned long long)addr, node, strerror(err));
}
