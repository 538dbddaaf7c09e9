// SPDX-License-Identifier: GPL-2.0
/*
 * memx module: it loads, registers its three misc nodes, and holds itself
 * while a node is open.  Needs MEMX_KO (the module file) and MEMX_PARAMS
 * (its load parameters) to load it back after unloading it.
 */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "kselftest_harness.h"
#include "memx_test.h"

#define MISC_MAJOR	10

static const char * const nodes[] = { "memx", "kmemx", "allkmemx" };

static int module_loaded(void)
{
	return access("/sys/module/memx", F_OK) == 0;
}

TEST(memx_is_loaded)
{
	char ver[64];

	ASSERT_TRUE(module_loaded());
	ASSERT_GT(read_file("/sys/module/memx/version", ver, sizeof(ver)), 0);
	ASSERT_EQ(0, strncmp(ver, "0.", 2));
}

/* Loaded without parameters, the nodes are read-only: writable is N. */
TEST(writable_defaults_to_n)
{
	const char *params = getenv("MEMX_PARAMS");
	char v[8];

	if (params && *params)
		SKIP(return, "memx loaded with %s", params);
	ASSERT_LT(0, read_file(WRITABLE, v, sizeof(v)));
	EXPECT_EQ('N', v[0]);
	EXPECT_EQ(-1, open("/dev/kmemx", O_RDWR));
	EXPECT_EQ(EPERM, errno);
}

TEST(nodes_are_misc_char_devices_0600)
{
	char path[64];
	struct stat st;
	unsigned int i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "/dev/%s", nodes[i]);
		ASSERT_EQ(0, stat(path, &st)) TH_LOG("%s missing", path);
		EXPECT_TRUE(S_ISCHR(st.st_mode));
		EXPECT_EQ(MISC_MAJOR, major(st.st_rdev));
		EXPECT_EQ(0600, st.st_mode & 07777);
		EXPECT_EQ(0, st.st_uid);
	}
}

/* crash finds its minor under the exact name "memx" in /proc/misc. */
TEST(proc_misc_lists_nodes_with_their_minors)
{
	char line[128], name[64], path[64];
	unsigned int i, found = 0, minor;
	struct stat st;
	FILE *f = fopen("/proc/misc", "r");

	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%u %63s", &minor, name) != 2)
			continue;
		for (i = 0; i < 3; i++) {
			if (strcmp(name, nodes[i]))
				continue;
			snprintf(path, sizeof(path), "/dev/%s", nodes[i]);
			ASSERT_EQ(0, stat(path, &st));
			EXPECT_EQ(minor, minor(st.st_rdev));
			found |= 1 << i;
		}
	}
	fclose(f);
	EXPECT_EQ(7, found);
}

TEST(rmmod_fails_while_open_then_succeeds)
{
	unsigned int i;
	int fd;

	for (i = 0; i < 3; i++) {
		char path[64];

		snprintf(path, sizeof(path), "/dev/%s", nodes[i]);
		fd = open(path, O_RDONLY);
		ASSERT_LE(0, fd);
		EXPECT_EQ(-1, syscall(SYS_delete_module, "memx", O_NONBLOCK));
		EXPECT_EQ(EWOULDBLOCK, errno);
		EXPECT_TRUE(module_loaded());
		close(fd);
	}
	ASSERT_EQ(0, syscall(SYS_delete_module, "memx", O_NONBLOCK));
	EXPECT_FALSE(module_loaded());
	EXPECT_NE(0, access("/dev/memx", F_OK));
	ASSERT_EQ(0, load_memx());
	EXPECT_TRUE(module_loaded());
}

TEST_HARNESS_MAIN
