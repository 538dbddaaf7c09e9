// SPDX-License-Identifier: GPL-2.0
/*
 * memx_demo: what `make demo` shows from inside the VM, in a few lines:
 * the banner through kmemx and memx, the physical memory map through
 * SEEK_DATA/SEEK_HOLE, and a device register refused by kmemx (EIO) and
 * read by allkmemx.
 */
#include "memx_test.h"

static void banner(void)
{
	uint64_t va = kbanner(), pa;
	char buf[81] = "";
	int kmem = open("/dev/kmemx", O_RDONLY);
	int mem = open("/dev/memx", O_RDONLY);

	if (read_at(kmem, va, buf, 80) > 0)
		printf("kmemx @ %#llx (linux_banner):\n  %.72s\n",
		       (unsigned long long)va, buf);
	if (!virt_to_phys_kcore(va, &pa) && pread(mem, buf, 80, pa) > 0)
		printf("memx  @ %#llx (its physical address):\n  %.72s\n",
		       (unsigned long long)pa, buf);
	close(kmem);
	close(mem);
}

static void memory_map(void)
{
	int mem = open("/dev/memx", O_RDONLY);
	off_t end = lseek(mem, 0, SEEK_END), data, hole = 0;
	unsigned long long total = 0;

	printf("physical memory map (SEEK_DATA/SEEK_HOLE on /dev/memx):\n");
	while ((data = lseek(mem, hole, SEEK_DATA)) >= 0) {
		hole = lseek(mem, data, SEEK_HOLE);
		printf("  %#014llx-%#014llx  %8llu KiB\n",
		       (unsigned long long)data, (unsigned long long)hole - 1,
		       (unsigned long long)(hole - data) >> 10);
		total += hole - data;
	}
	printf("  System RAM: %llu MiB, end of memory (SEEK_END) %#llx\n",
	       total >> 20, (unsigned long long)end);
	close(mem);
}

static void device_register(void)
{
	int kmem = open("/dev/kmemx", O_RDONLY);
	int all = open("/dev/allkmemx", O_RDONLY);
	uint64_t edu = edu_mmio();
	uint32_t id = 0;

	if (!edu) {
		printf("no edu device: skipping the I/O register\n");
		return;
	}
	printf("edu ID register @ %#llx (QEMU documents 0x010000ed):\n",
	       (unsigned long long)edu);
	if (read_at(kmem, edu, &id, 4) < 0)
		printf("  kmemx:    %s\n", strerror(errno));
	if (read_at(all, edu, &id, 4) == 4)
		printf("  allkmemx: %#010x (one 32-bit load)\n", id);
	close(kmem);
	close(all);
}

int main(void)
{
	banner();
	memory_map();
	device_register();
	return 0;
}
