# SPDX-License-Identifier: GPL-2.0
#
# memx: `make` builds memx.ko here for the running kernel, or for
# KVER=<version> / KDIR=<kernel build tree>.  `make check` is the test command.

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
PREFIX ?= /usr/local
TOOL_CFLAGS ?= -O2 -Wall
TOOL_LDFLAGS ?= -static
# memx dump's pipeline is tools/dump/: dump.c drives it, input.c, ring.c
# and output.c carry the bytes, one file a format, and their parts.
DUMP_SRC := $(addprefix tools/dump/,dump.c input.c ring.c output.c raw.c \
	lime.c elf.c kdump.c codec.c exclude.c notes.c hash.c layout.c)
TOOL_SRC := tools/memx.c tools/memx_node.c tools/memx_lib.c $(DUMP_SRC) \
	tools/memx_verify.c tools/memx_verify_elf.c tools/memx_verify_kdump.c \
	tools/memx_isf.c tools/memx_isf_types.c
TOOL_HDR := $(wildcard tools/*.h tools/dump/*.h) include/uapi/memx.h
# kdump's page compressors, --hash's SHA-256 (nettle), and isf's BTF
# (libbpf, on libelf), JSON (json-c) and xz (liblzma); snappy is C++, which
# a static link names.
TOOL_LIBS := -lbpf -lelf -ljson-c -llzma -lzstd -llzo2 -lsnappy -lz -lnettle
ifneq ($(filter -static,$(TOOL_LDFLAGS)),)
TOOL_LIBS += -lstdc++ -lm
endif

all: modules tools/memx

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# The memx command, static by default so it also runs in a bare initramfs
# (the Debian package links it dynamically, with dpkg's hardening flags);
# TOOL names another output, for a cross build.
TOOL ?= tools/memx
$(TOOL): $(TOOL_SRC) $(TOOL_HDR)
	$(CC) $(CPPFLAGS) $(TOOL_CFLAGS) -D_GNU_SOURCE -DMEMX_VERSION='"$(DKMS_VER)"' -pthread $(TOOL_LDFLAGS) -o $@ $(TOOL_SRC) $(TOOL_LIBS)

# The module into /lib/modules/$(KVER)/updates (under INSTALL_MOD_PATH if
# set), then depmod; the memx command into $(DESTDIR)$(PREFIX)/sbin.
install: modules tools/memx
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates modules_install
	depmod -a $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KVER)
	install -D -m 0755 tools/memx $(DESTDIR)$(PREFIX)/sbin/memx

# DKMS from a checkout: the sources under /usr/src/memx-<version>.
DKMS_VER := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
DKMS_SRC := /usr/src/memx-$(DKMS_VER)

# What DKMS builds from, into $(DESTDIR)$(DKMS_SRC) (also for the package).
dkms-src:
	rm -rf $(DESTDIR)$(DKMS_SRC) && mkdir -p $(DESTDIR)$(DKMS_SRC)
	cp -r Kbuild Makefile dkms.conf src include $(DESTDIR)$(DKMS_SRC)/

dkms-install: dkms-src
	dkms add memx/$(DKMS_VER)
	dkms build memx/$(DKMS_VER) -k $(KVER)
	dkms install memx/$(DKMS_VER) -k $(KVER)

dkms-remove:
	dkms remove memx/$(DKMS_VER) --all
	rm -rf $(DKMS_SRC)

clean:
	rm -rf src/*.o src/.*.cmd src/arch/*/*.o src/arch/*/.*.cmd selftests/out selftests/fuzz/out tools/memx
	cd selftests/helper && rm -rf *.o *.ko *.mod *.mod.c .*.cmd modules.order Module.symvers
	rm -rf *.o *.ko *.mod *.mod.c .*.cmd modules.order Module.symvers

# The release tarball of the commit checked out: memx-<version>.tar.gz, the
# same bytes from the same commit (git archive's times are the commit's).
dist:
	@git diff --quiet HEAD || echo "dist: uncommitted changes are not in the tarball" >&2
	git archive --format=tar --prefix=memx-$(DKMS_VER)/ HEAD | \
		gzip -n -9 > memx-$(DKMS_VER).tar.gz

# memx-dkms_<version>_all.deb and memx_<version>_<arch>.deb, built from the
# release tarball (with their .dsc, .changes and .buildinfo) here.
deb:
	scripts/deb.sh $(CURDIR)

.PHONY: all modules install dkms-src dkms-install dkms-remove dist deb clean

# The test command: deps, build, and every boot of the VM matrix.
check:
	scripts/check.sh check

# A booted VM showing each node at work.
demo:
	scripts/check.sh demo

# Throughput against /proc/kcore and memcpy, in the VM (not a test).
bench:
	scripts/check.sh bench

# crash and drgn reading the live VM kernel through memx.
clients:
	scripts/check.sh clients

# The fuzz targets of the memx command's parsers, SECONDS (600) each.
fuzz:
	$(MAKE) -C selftests/fuzz fuzz

# The fast loop, no boot: the warning gate (W=1, sparse, checkpatch, the
# manual pages), and the memx command's unit, hostile-input and fuzz tests.
lint:
	scripts/check.sh lint

unit:
	scripts/check.sh unit

# An interactive shell in the test VM with memx loaded (Ctrl-A X quits).
vm:
	scripts/check.sh vm

.PHONY: check demo bench clients vm fuzz lint unit
