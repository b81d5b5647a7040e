#!/bin/sh
# SPDX-License-Identifier: MIT
#
# ./demo.sh: install what is missing, build, then run the demo: the
# compositor (headless, or nested when WAYLAND_DISPLAY is set) with the
# resizing demo client and the fuzz-truncate attack client side by side
# for about ten seconds (DEMO_SECONDS), a PNG screenshot in out/ about
# once a second, and a summary.  Exit status 0 when the compositor came
# through every attack with no SIGBUS handler installed.
set -eu
cd "$(dirname "$0")"

./tools/ensure-deps.sh demo

build=${BUILD_DIR:-build}
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build"
fi
ninja -C "$build"

seconds=${DEMO_SECONDS:-10}
out=out
comp=$build/demo/compositor/sealshm-compositor
client=$build/demo/client/sealshm-demo-client
fuzz=$build/demo/fuzz-truncate/sealshm-fuzz-truncate

mkdir -p "$out"
rm -f "$out"/frame-*.png "$out"/last.png "$out"/*.json "$out"/*.txt

# A private runtime directory when the session has none (headless
# machines, CI); the socket lives there.
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
	XDG_RUNTIME_DIR=$(mktemp -d /tmp/sealshm-demo-XXXXXX)
	export XDG_RUNTIME_DIR
	trap 'rmdir "$XDG_RUNTIME_DIR" 2>/dev/null || true' EXIT
fi

if [ -n "${WAYLAND_DISPLAY:-}" ]; then
	backend="nested in $WAYLAND_DISPLAY"
else
	backend=headless
fi
socket=sealshm-demo-$$
echo "Running sealshm-compositor ($backend) for $seconds s with" \
	"sealshm-demo-client and sealshm-fuzz-truncate..."

# The demo client runs as the compositor's program; the compositor ends
# it (SIGTERM, after which it writes its statistics) when it exits.
"$comp" --socket "$socket" --policy strict \
	--exit-after "$seconds" --screenshot-dir "$out" \
	--screenshot-interval 1 --screenshot "$out/last.png" \
	--stats "$out/compositor.json" \
	-- "$client" --stats "$out/client.json" >"$out/socket.txt" &
comp_pid=$!

tries=0
while [ ! -s "$out/socket.txt" ]; do
	tries=$((tries + 1))
	if [ $tries -gt 100 ] || ! kill -0 "$comp_pid" 2>/dev/null; then
		echo "demo: the compositor did not start" >&2
		wait "$comp_pid" || true
		exit 1
	fi
	sleep 0.1
done

# SigCgt lists the signals the process catches; bit 7 (counting from 1)
# is SIGBUS.  Read it while the compositor runs.
sigcgt=$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$comp_pid/status")
sigbus_caught=$(( (0x$sigcgt >> 6) & 1 ))

fuzz_status=skipped
if [ -x "$fuzz" ]; then
	fuzz_seconds=$((seconds > 4 ? seconds - 3 : 1))
	set +e
	WAYLAND_DISPLAY=$socket "$fuzz" --seed 1 --policy strict \
		--duration "$fuzz_seconds" >"$out/fuzz.txt" 2>&1
	fuzz_status=$?
	set -e
fi

set +e
wait "$comp_pid"
comp_status=$?
set -e

json() {
	sed -n "s/.*\"$2\": \([0-9][0-9]*\).*/\1/p" "$1" 2>/dev/null | head -n 1
}

rejected=$(sed -n 's/.*"pools_rejected": {\(.*\)},*$/\1/p' \
	"$out/compositor.json" 2>/dev/null | tr -d '"' |
	sed 's/, [a-z-]*: 0//g; s/^[a-z-]*: 0, //; s/^[a-z-]*: 0$//')
shots=$(ls "$out"/frame-*.png 2>/dev/null | wc -l)
fuzz_line=$(sed -n 's/^fuzz-truncate: total //p' "$out/fuzz.txt" \
	2>/dev/null || true)

echo
echo "sealshm demo summary ($backend, $seconds s, policy strict)"
echo "  frames composited:       $(json "$out/compositor.json" frames)" \
	"($(json "$out/compositor.json" commits) commits from" \
	"$(json "$out/compositor.json" clients) clients)"
echo "  demo client frames:      $(json "$out/client.json" frames)," \
	"pools created $(json "$out/client.json" pools_created)," \
	"pool grows $(json "$out/client.json" pool_grows)," \
	"peak $(json "$out/client.json" bytes_peak) bytes"
echo "  immutable badge:         converted" \
	"$(json "$out/compositor.json" immutable_conversions) time(s)," \
	"reused $(json "$out/compositor.json" immutable_cache_hits) times"
if [ "$fuzz_status" = skipped ]; then
	echo "  attacks:                 none ($fuzz not built)"
else
	echo "  attacks:                 ${fuzz_line:-no report} (fuzz-truncate" \
		"exit $fuzz_status)"
fi
echo "  pools refused:           $(json "$out/compositor.json" \
	pools_rejected_total) (${rejected:-none}); buffers refused" \
	"$(json "$out/compositor.json" buffers_rejected); protocol errors" \
	"sent $(json "$out/compositor.json" protocol_errors)"
echo "  compositor exit status:  $comp_status"
if [ "$sigbus_caught" -eq 0 ]; then
	echo "  SIGBUS handler:          none installed (SigCgt $sigcgt," \
		"bit 7 clear)"
else
	echo "  SIGBUS handler:          INSTALLED (SigCgt $sigcgt)"
fi
echo "  screenshots:             $shots in $out/ (frame-NNNN.png," \
	"last.png)"

status=0
[ "$comp_status" -eq 0 ] || status=1
[ "$sigbus_caught" -eq 0 ] || status=1
case $fuzz_status in
0|skipped) ;;
*) status=1 ;;
esac
exit $status
