// SPDX-License-Identifier: GPL-2.0
/*
 * memx ioctls from a 32-bit process (built with -m32): the structs have one
 * layout, so .compat_ioctl passes them through unchanged.  Checked against
 * /proc/kallsyms, /proc/version and /proc/kcore.
 */
#include <sched.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "memx_test.h"

FIXTURE(compat) {
	int mem, kmem;
	char version[512];
	size_t len;
	uint64_t banner;
};

FIXTURE_SETUP(compat)
{
	self->mem = open("/dev/memx", O_RDONLY);
	self->kmem = open("/dev/kmemx", O_RDONLY);
	if (self->mem < 0 || self->kmem < 0)
		SKIP(return, "memx nodes not available: %s", strerror(errno));
	ASSERT_LT(0, read_file("/proc/version", self->version,
			       sizeof(self->version)));
	self->len = strlen(self->version);
	self->banner = kbanner();
	ASSERT_NE(0, self->banner);
}

FIXTURE_TEARDOWN(compat)
{
	if (self->mem >= 0)
		close(self->mem);
	if (self->kmem >= 0)
		close(self->kmem);
}

TEST_F(compat, a_32_bit_process)
{
	ASSERT_EQ(4, sizeof(void *));
}

/* MEMX_IOC_READ of a kernel address above 4 GiB, from 32 bits. */
TEST_F(compat, ioctl_read_of_linux_banner)
{
	char buf[512];

	ASSERT_EQ((ssize_t)self->len, ioc_xfer(self->kmem, MEMX_IOC_READ,
					       self->banner, buf, self->len));
	EXPECT_EQ(0, memcmp(buf, self->version, self->len));
	EXPECT_EQ(-1, ioc_xfer(self->kmem, MEMX_IOC_WRITE, self->banner, buf,
			       1));
	EXPECT_EQ(EBADF, errno);
}

/* MEMX_IOC_CPU_REGS of its own CPU, from 32 bits: the caller, in the kernel. */
TEST_F(compat, ioctl_cpu_regs_of_own_cpu)
{
	struct memx_cpu_regs r = { .cpu = 0 };
	cpu_set_t cpu0;

	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpu0), &cpu0));
	ASSERT_EQ(0, ioctl(self->kmem, MEMX_IOC_CPU_REGS, &r));
	EXPECT_EQ(syscall(SYS_gettid), r.pid);
	EXPECT_EQ(0, r.flags);
	EXPECT_EQ(0x10, r.regs[17]);	/* cs: __KERNEL_CS */
}

/* MEMX_IOC_VTOP gives kcore's physical address; memx reads the banner there. */
TEST_F(compat, ioctl_vtop_then_physical_read)
{
	struct memx_vtop v = { .vaddr = self->banner };
	uint64_t pa;
	char buf[512];

	ASSERT_EQ(0, ioctl(self->kmem, MEMX_IOC_VTOP, &v));
	ASSERT_EQ(0, virt_to_phys_kcore(self->banner, &pa));
	EXPECT_EQ(pa, v.paddr);
	EXPECT_NE(0, v.flags & MEMX_VTOP_RAM);
	ASSERT_EQ((ssize_t)self->len, ioc_xfer(self->mem, MEMX_IOC_READ,
					       v.paddr, buf, self->len));
	EXPECT_EQ(0, memcmp(buf, self->version, self->len));
}

TEST_HARNESS_MAIN
