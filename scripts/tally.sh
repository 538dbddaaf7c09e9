# SPDX-License-Identifier: GPL-2.0
#
# tally.sh: TAP lines into a run's tally, in one place; sourced by check.sh
# (scripts/tally_test.sh is its own test).  The tally, $MEMX_TALLY, holds
# one "pass fail skip" line per result; closing_line sums it.

# tally_fail PREFIX WHY: a failure that is not a TAP line of its own.
tally_fail() {
	echo "$1 not ok $2"
	echo "0 1 0" >> "$MEMX_TALLY"
}

# tally_tap PREFIX: TAP lines (and "#" lines) from standard input, printed
# behind PREFIX; each result counted.
tally_tap() {
	local line

	while IFS= read -r line; do
		echo "$1 $line"
		case "$line" in
		"ok "*"# SKIP"*) echo "0 0 1" >> "$MEMX_TALLY" ;;
		"ok "*) echo "1 0 0" >> "$MEMX_TALLY" ;;
		"not ok "*) echo "0 1 0" >> "$MEMX_TALLY" ;;
		esac
	done
}

# tally_log PREFIX WHAT LOG RC [PLAN]: the results of program WHAT, whose
# output is LOG and exit status RC, judged as a whole: it must have run
# PLAN results (its own "1..N" line without one), and a non-zero exit
# needs a "not ok" to explain it.  Otherwise the end of LOG is shown and
# the run counts one more failure.  Safe under set -e and pipefail.
tally_log() {
	local prefix=$1 what=$2 log=$3 rc=$4 plan=${5:-} ran

	{ grep -E '^(not )?ok |^#' "$log" || true; } | tally_tap "$prefix"
	[ -n "$plan" ] ||
		plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$log" | head -n 1)
	ran=$(grep -cE '^(not )?ok ' "$log" || true)
	if [ "$ran" != "${plan:-none}" ] ||
	   { [ "$rc" != 0 ] && ! grep -q '^not ok ' "$log"; }; then
		{ grep -vE '^(not )?ok |^#' "$log" || true; } | tail -n 20 |
			sed "s/^/$prefix   /"
		tally_fail "$prefix" "$what exited with $rc after $ran of ${plan:-no} results"
	fi
}

# closing_line: "N passed, N failed, N skipped" from the tally; non-zero
# when anything failed.
closing_line() {
	local pass fail skip

	read -r pass fail skip < <(awk '{p += $1; f += $2; s += $3}
		END {print p + 0, f + 0, s + 0}' "$MEMX_TALLY")
	echo "$pass passed, $fail failed, $skip skipped"
	[ "$fail" -eq 0 ]
}
