#!/bin/sh
# SPDX-License-Identifier: MIT
#
# wlcs-table.sh RUNNER MODULE OUTDIR [COMPOSITOR OPTIONS...]
#
# Run the whole wlcs suite against the integration MODULE and print a
# Markdown table of passed, failed and skipped tests per group (gtest test
# suite; skipped: wlcs found the extension it needs missing from the
# module's descriptor, disabled: wlcs's own DISABLED_ tests).  Not a test: it writes the README table.  The XML report and the
# log stay in OUTDIR.  Example, from the top of the tree:
#   tests/wlcs/wlcs-table.sh /usr/lib/x86_64-linux-gnu/wlcs/wlcs \
#       build/tests/wlcs/sealshm-wlcs.so build/wlcs-full --policy copy
set -u

runner=$1
module=$2
outdir=$3
shift 3

mkdir -p "$outdir"
XDG_RUNTIME_DIR=$(mktemp -d /tmp/sealshm-wlcs-XXXXXX)
export XDG_RUNTIME_DIR
trap 'rm -rf "$XDG_RUNTIME_DIR"' EXIT
unset WAYLAND_DISPLAY

"$runner" "$module" --gtest_output="xml:$outdir/wlcs-full.xml" "$@" \
	>"$outdir/wlcs-full.log" 2>&1
echo "wlcs exit status: $?" >&2

awk '
function flush() {
	if (tc == "")
		return
	if (state == "notrun")
		disabled[suite]++
	else if (state == "skipped")
		skipped[suite]++
	else if (failed)
		fail[suite]++
	else
		pass[suite]++
	tc = ""
}
/<testsuite / {
	match($0, /name="[^"]*"/)
	suite = substr($0, RSTART + 6, RLENGTH - 7)
	order[++n] = suite
}
/<testcase / {
	flush()
	tc = "x"
	failed = 0
	state = "run"
	if ($0 ~ /status="notrun"/)
		state = "notrun"
	else if ($0 ~ /result="skipped"/)
		state = "skipped"
}
/<failure/ { failed = 1 }
# wlcs reports a test that needs an extension the compositor does not offer
# as a failure carrying this property, and prints it as SKIP.
/name="wlcs-skip-test"/ { state = "skipped" }
/<\/testsuite>/ { flush() }
END {
	print "| group | passed | failed | skipped | disabled |"
	print "|---|---:|---:|---:|---:|"
	for (i = 1; i <= n; i++) {
		s = order[i]
		printf "| %s | %d | %d | %d | %d |\n", s, pass[s], fail[s],
			skipped[s], disabled[s]
		tp += pass[s]; tf += fail[s]; ts += skipped[s]
		td += disabled[s]
	}
	printf "| **total** | %d | %d | %d | %d |\n", tp, tf, ts, td
}' "$outdir/wlcs-full.xml"
