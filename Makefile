# SPDX-License-Identifier: GPL-2.0
#
# memx: `make` builds memx.ko here for the running kernel, or for
# KVER=<version> / KDIR=<kernel build tree>.  `make check` is the test command.

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build

all: modules

modules:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	rm -rf src/*.o src/.*.cmd selftests/out
	cd selftests/helper && rm -rf *.o *.ko *.mod *.mod.c .*.cmd modules.order Module.symvers
	rm -rf *.o *.ko *.mod *.mod.c .*.cmd modules.order Module.symvers

.PHONY: all modules clean

# The test command: deps, build, and every boot of the VM matrix.
check:
	scripts/check.sh check

# A booted VM showing each node at work.
demo:
	scripts/check.sh demo

# An interactive shell in the test VM with memx loaded (Ctrl-A X quits).
vm:
	scripts/check.sh vm

.PHONY: check demo vm
