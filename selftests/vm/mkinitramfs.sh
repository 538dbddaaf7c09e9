#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh OUT MEMX_KO HELPER_KO TESTS_DIR
# Packs busybox-static, the modules, the static selftests and /init.
set -euo pipefail

out=$1 memx_ko=$2 helper_ko=$3 tests=$4
here=$(cd "$(dirname "$0")" && pwd)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,dev,proc,sys,tmp,tests}
cp /bin/busybox "$root/bin/busybox"
cp "$here/init" "$root/init"
cp "$here/demo.sh" "$root/demo.sh"
cp "$here/badness" "$root/badness"
cp "$memx_ko" "$root/memx.ko"
cp "$helper_ko" "$root/memx_helper.ko"
cp "$tests"/* "$root/tests/"
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
