// SPDX-License-Identifier: GPL-2.0
/*
 * memx open policy: CAP_SYS_RAWIO, `writable` given at load time, and the
 * two lockdown levels raised at run time (one way: run this last in a boot).
 */
#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "memx_test.h"

#define LOCKDOWN	"/sys/kernel/security/lockdown"

static const char * const nodes[] = {
	"/dev/memx", "/dev/kmemx", "/dev/allkmemx",
};

/* errno of open(@path, @flags), 0 when it opened. */
static int open_errno(const char *path, int flags)
{
	int fd = open(path, flags);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int drop_cap(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[cap / 32].effective &= ~(1U << (cap % 32));
	data[cap / 32].permitted &= ~(1U << (cap % 32));
	return syscall(SYS_capset, &hdr, data);
}

/* Without CAP_SYS_RAWIO (root otherwise): EPERM on every node. */
TEST(no_cap_sys_rawio_is_eperm)
{
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (!pid) {
		unsigned int i, bad = 0;

		if (drop_cap(CAP_SYS_RAWIO))
			_exit(100);
		for (i = 0; i < 3; i++)
			bad += open_errno(nodes[i], O_RDONLY) != EPERM;
		_exit(bad);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* And with it, the same opens work. */
	EXPECT_EQ(0, open_errno(nodes[0], O_RDONLY));
}

/* writable=1 given to insmod: write opens work from the start. */
TEST(writable_at_load_allows_write_opens)
{
	char v[8];
	unsigned int i;

	ASSERT_LT(0, read_file("/sys/module/memx/parameters/writable", v,
			       sizeof(v)));
	if (v[0] != 'Y')
		SKIP(return, "memx loaded without writable=1");
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, open_errno(nodes[i], O_RDWR));
}

/*
 * integrity: memx and kmemx read as /proc/kcore can, no writes, and no
 * allkmemx at all (device registers); confidentiality: nothing.  `writable`
 * is on first, so each EPERM is lockdown's.
 */
TEST(lockdown_levels)
{
	unsigned int i;

	if (access(LOCKDOWN, W_OK))
		SKIP(return, "no lockdown LSM in securityfs");
	ASSERT_EQ(0, write_str(WRITABLE, "Y"));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, open_errno(nodes[i], O_RDWR));
	ASSERT_EQ(0, write_str(LOCKDOWN, "integrity"));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(i == 2 ? EPERM : 0, open_errno(nodes[i], O_RDONLY))
			TH_LOG("%s", nodes[i]);
		EXPECT_EQ(EPERM, open_errno(nodes[i], O_RDWR));
		EXPECT_EQ(EPERM, open_errno(nodes[i], O_WRONLY));
	}
	ASSERT_EQ(0, write_str(LOCKDOWN, "confidentiality"));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(EPERM, open_errno(nodes[i], O_RDONLY));
	EXPECT_EQ(EPERM, open_errno("/proc/kcore", O_RDONLY));
}

TEST_HARNESS_MAIN
