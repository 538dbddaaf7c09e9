#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tally_test.sh: scripts/tally.sh against logs whose verdict is known (a
# clean run, a failure, a skip, a program that died half way, one that
# failed without saying which test, one whose "#" lines look like
# results).  TAP on standard output; non-zero when a case disagrees.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/tally.sh
. "$here/tally.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 bad=0

# expect NAME "PASS FAIL SKIP" RC [PLAN] < LOG: tally_log on LOG (exit
# status RC) gives those sums, and closing_line agrees with them.
expect() {
	local name=$1 want=$2 rc=$3 plan=${4:-} got line
	local -a sums

	cat > "$tmp/log"
	MEMX_TALLY="$tmp/tally"
	: > "$MEMX_TALLY"
	# As check.sh calls it: under set -e and pipefail.
	(set -e; tally_log "[t]" prog "$tmp/log" "$rc" "$plan") > "$tmp/out"
	got=$(awk '{p += $1; f += $2; s += $3} END {print p + 0, f + 0, s + 0}' \
		"$MEMX_TALLY")
	read -ra sums <<< "$want"
	line=$(closing_line)
	n=$((n + 1))
	if [ "$got" = "$want" ] &&
	   [ "$line" = "${sums[0]} passed, ${sums[1]} failed, ${sums[2]} skipped" ]; then
		echo "ok $n $name"
	else
		bad=1
		echo "not ok $n $name: tally $got, wanted $want; \"$line\""
		sed 's/^/#   /' "$tmp/out"
	fi
}

expect "a clean run" "2 0 0" 0 <<'EOF'
1..2
ok 1 one
ok 2 two
EOF
expect "a failure, and the exit status it explains" "1 1 0" 1 <<'EOF'
1..2
ok 1 one
not ok 2 two
EOF
expect "a skip with its reason" "1 0 1" 0 <<'EOF'
1..2
ok 1 one
ok 2 two # SKIP no such device
EOF
expect "a program that died half way" "1 1 0" 139 <<'EOF'
1..3
ok 1 one
Segmentation fault
EOF
expect "a non-zero exit no result explains" "2 1 0" 1 <<'EOF'
1..2
ok 1 one
ok 2 two
EOF
expect "a plan given by the caller, no 1..N line" "1 1 0" 0 3 <<'EOF'
ok 1 one
EOF
expect "no plan at all" "1 1 0" 0 <<'EOF'
ok 1 one
EOF
expect "# lines are shown, not counted" "1 0 0" 0 <<'EOF'
1..1
#   ok 7 inside a diagnostic
ok 1 one
EOF
expect "an empty log: a program that printed nothing" "0 1 0" 1 < /dev/null
expect "only text, no result" "0 1 0" 0 <<'EOF'
Traceback (most recent call last):
EOF
echo "1..$n"
exit $bad
