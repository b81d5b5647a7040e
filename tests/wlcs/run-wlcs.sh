#!/bin/sh
# SPDX-License-Identifier: MIT
#
# run-wlcs.sh [--expect-unsealed-refused] RUNNER MODULE XMLFILE FILTER
#             [COMPOSITOR OPTIONS...]
#
# Run the wlcs RUNNER on the integration MODULE with the gtest FILTER (a
# ':'-separated list of full test names or patterns) and the compositor
# options.  Passes only when every selected test ran and passed: a test
# that wlcs skipped (for example for a missing extension) or a filter that
# selects nothing is a failure, not a pass.  Exits 77 when wlcs is not
# installed (the module is then not built and RUNNER is "missing").
#
# --expect-unsealed-refused: for --policy strict.  wlcs makes every pool
# from memfd_create(name, MFD_CLOEXEC), which can never be sealed, so under
# strict each test must end at its first wl_shm.create_pool with the
# invalid_fd (2) error on wl_shm, and nothing else (no crash, no other
# error, no test passing because a pool was wrongly accepted).
set -u

expect=pass
if [ "$1" = --expect-unsealed-refused ]; then
	expect=refused
	shift
fi
runner=$1
module=$2
xml=$3
filter=$4
shift 4

if [ "$runner" = missing ] || [ ! -x "$runner" ]; then
	echo "wlcs is not installed (Debian package wlcs): skipping" >&2
	exit 77
fi

# A private runtime directory: wlcs clients only use the sockets the
# module hands out, but the core and Mesa-free clients may look at it.
XDG_RUNTIME_DIR=$(mktemp -d /tmp/sealshm-wlcs-XXXXXX)
export XDG_RUNTIME_DIR
trap 'rm -rf "$XDG_RUNTIME_DIR"' EXIT
unset WAYLAND_DISPLAY

rm -f "$xml"
"$runner" "$module" --gtest_filter="$filter" --gtest_output="xml:$xml" \
	"$@"
status=$?

if [ ! -f "$xml" ]; then
	echo "wlcs wrote no report (exit status $status)" >&2
	exit 1
fi
run=$(grep -c '<testcase .*status="run"' "$xml")
# wlcs marks a test that needs a missing extension with this property
# (and a failure); gtest's own skips have result="skipped".
skipped=$(grep -c '<testcase .*result="skipped"\|name="wlcs-skip-test"' "$xml")
failed=$(grep -c '<failure' "$xml")
echo "wlcs: $run run, $failed failures, $skipped skipped (exit status $status)"
if [ "$expect" = refused ]; then
	refused=$(grep -c '<failure message="[^"]*Wayland protocol error: 2 on interface wl_shm v' "$xml")
	echo "refused at create_pool with wl_shm.invalid_fd: $refused of $run"
	if [ "$status" -eq 0 ] || [ "$run" -eq 0 ] ||
	   [ "$refused" -ne "$run" ] || [ "$failed" -ne "$run" ] ||
	   [ "$skipped" -ne 0 ]; then
		exit 1
	fi
	exit 0
fi
if [ "$status" -ne 0 ] || [ "$run" -eq 0 ] || [ "$failed" -ne 0 ] ||
   [ "$skipped" -ne 0 ]; then
	exit 1
fi
exit 0
