#!/bin/sh
# SPDX-License-Identifier: MIT
#
# run-real-client.sh COMPOSITOR PNG_DIFF OUTDIR NAME POLICY TIER
#                    MIN_PIXELS MIN_VIVID SECONDS PROGRAM [ARGS...]
#
# Run an unmodified third-party client (PROGRAM) inside sealshm-compositor
# (headless, --policy POLICY) for SECONDS, and pass when
#  - the compositor exits cleanly (status 0), reports no protocol error,
#    and accepted at least one pool through TIER (sealed: sealed by the
#    client; sealed_by_server: the seal tier sealed it; copied: the copy
#    tier), which shows the client needs what the policy adds, and
#  - its final screenshot differs from a screenshot of the bare background
#    in at least MIN_PIXELS pixels (the client's window was composited),
#    and at least one screenshot (the final one or one of those taken
#    every quarter second) has MIN_VIVID strongly coloured pixels that
#    differ (its content was: weston-simple-egl's triangle spins about the
#    vertical axis, so some frames catch it edge-on).
# Screenshots and stats stay in OUTDIR/NAME-*.  Exits 77 with the reason
# when PROGRAM is not installed, or when NEEDS_FILE is set in the
# environment and no file matches that glob (for example Mesa's software
# driver, which weston only recommends).
set -u

comp=$1
png_diff=$2
outdir=$3
name=$4
policy=$5
tier=$6
min_pixels=$7
min_vivid=$8
seconds=$9
shift 9
program=$1

if ! command -v "$program" >/dev/null 2>&1; then
	echo "$program is not installed: skipping" \
	     "(Debian: gtk-3-examples for gtk3-widget-factory, weston for" \
	     "weston-simple-*)" >&2
	exit 77
fi

if [ -n "${NEEDS_FILE:-}" ]; then
	# shellcheck disable=SC2086 # the glob is meant to expand
	if ! ls $NEEDS_FILE >/dev/null 2>&1; then
		echo "$NEEDS_FILE is missing (${NEEDS_PACKAGE:-a package}" \
		     "is not installed): skipping" >&2
		exit 77
	fi
fi

XDG_RUNTIME_DIR=$(mktemp -d /tmp/sealshm-real-XXXXXX)
export XDG_RUNTIME_DIR
trap 'rm -rf "$XDG_RUNTIME_DIR"' EXIT
unset WAYLAND_DISPLAY DISPLAY

bg=$outdir/$name-background.png
shot=$outdir/$name.png
stats=$outdir/$name-stats.json
frames=$outdir/$name-frames
rm -rf "$bg" "$shot" "$stats" "$frames"
mkdir -p "$frames"

# The background alone, same size and policy.
timeout 60 "$comp" --headless --policy "$policy" --socket bg \
	--exit-after 1 --screenshot "$bg" >/dev/null
status=$?
if [ "$status" -ne 0 ] || [ ! -f "$bg" ]; then
	echo "FAIL: the bare compositor exited with $status or wrote no" \
	     "screenshot" >&2
	exit 1
fi

timeout $((seconds + 60)) "$comp" --headless --policy "$policy" \
	--socket client --exit-after "$seconds" --screenshot "$shot" \
	--screenshot-dir "$frames" --screenshot-interval 0.25 \
	--stats "$stats" -- "$@" >/dev/null
status=$?
echo "compositor exit status: $status"
[ -f "$stats" ] && cat "$stats"

fail=0
if [ "$status" -ne 0 ]; then
	echo "FAIL: compositor exit status $status, expected 0" >&2
	fail=1
fi

# The first number after "KEY": in the stats JSON.
json_num() {
	tr -d '\n' <"$stats" |
		sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\([0-9][0-9]*\).*/\1/p"
}

if [ ! -f "$stats" ]; then
	echo "FAIL: no stats written" >&2
	fail=1
else
	accepted=$(json_num "$tier")
	errors=$(json_num protocol_errors)
	if [ -z "$accepted" ] || [ "$accepted" -eq 0 ]; then
		echo "FAIL: no wl_shm pool was accepted as '$tier' under" \
		     "--policy $policy" >&2
		fail=1
	fi
	if [ -z "$errors" ] || [ "$errors" -ne 0 ]; then
		echo "FAIL: protocol_errors is '${errors}', expected 0" >&2
		fail=1
	fi
fi

if [ ! -f "$shot" ]; then
	echo "FAIL: no screenshot written" >&2
	exit 1
fi
result=$("$png_diff" "$bg" "$shot") || exit 1
echo "screenshot against background: $result"
differing=$(echo "$result" | sed -n 's/^differing=\([0-9]*\) .*/\1/p')
vivid=$(echo "$result" | sed -n 's/.* vivid=\([0-9]*\) .*/\1/p')
for frame in "$frames"/*.png; do
	[ -f "$frame" ] || continue
	v=$("$png_diff" "$bg" "$frame" | sed -n 's/.* vivid=\([0-9]*\) .*/\1/p')
	if [ -n "$v" ] && [ "$v" -gt "$vivid" ]; then
		vivid=$v
	fi
done
echo "most vivid pixels in one screenshot: $vivid"
if [ "$differing" -lt "$min_pixels" ] || [ "$vivid" -lt "$min_vivid" ]; then
	echo "FAIL: $differing pixels ($vivid vivid) differ from the" \
	     "background, expected at least $min_pixels ($min_vivid vivid):" \
	     "$program did not render" >&2
	fail=1
fi
exit $fail
