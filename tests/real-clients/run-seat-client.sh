#!/bin/sh
# SPDX-License-Identifier: MIT
#
# run-seat-client.sh COMPOSITOR OUTDIR clipboard|keyboard|keyboard-nested|foot
#
# Real clients of the seat inside sealshm-compositor --headless (policy
# copy), passing when the compositor exits cleanly with no protocol
# error and:
#  clipboard  wl-copy --foreground hello, then wl-paste in the same
#             compositor, prints hello; a second wl-copy replaces the
#             selection, the first one's source is cancelled (it exits)
#             and wl-paste prints the new text (clipboard-round-trip.sh);
#  keyboard   wev, typed "a" by --type, gets the keymap, the enter and
#             the key, and its libxkbcommon turns the key into the
#             keysym a with the text "a";
#  keyboard-nested  the same through a nested sealshm-compositor: the
#             outer one types into the nested one's window, whose
#             backend forwards the parent's keys to wev;
#  foot       foot runs a shell that reads one line; typed "hello" and
#             Return by --type, the line it read is hello (policy strict:
#             foot seals its own pools).
# The programs come with the test packages (tools/ensure-deps.sh test);
# a missing one is a failure, not a skip.
set -u

comp=$1
outdir=$2
name=$3
here=$(dirname "$0")

case $name in
clipboard) programs="wl-copy wl-paste" ;;
keyboard | keyboard-nested) programs="wev stdbuf" ;;
foot) programs="foot" ;;
*)
	echo "unknown test '$name'" >&2
	exit 2
	;;
esac
for program in $programs; do
	if ! command -v "$program" >/dev/null 2>&1; then
		echo "FAIL: $program is missing: run tools/ensure-deps.sh" \
		     "test (Debian: wl-clipboard, wev, foot)" >&2
		exit 1
	fi
done

XDG_RUNTIME_DIR=$(mktemp -d /tmp/sealshm-seat-XXXXXX)
export XDG_RUNTIME_DIR
trap 'rm -rf "$XDG_RUNTIME_DIR"' EXIT
unset WAYLAND_DISPLAY DISPLAY

out=$outdir/$name.out
stats=$outdir/$name-stats.json
rm -f "$out" "$stats"

if [ "$name" = clipboard ]; then
	# The script ends the compositor when it is done; --exit-after is
	# only a backstop.
	timeout 120 "$comp" --headless --policy copy --socket seat \
		--exit-after 60 --stats "$stats" -- \
		"$here/clipboard-round-trip.sh" >"$out"
elif [ "$name" = keyboard ]; then
	# wev runs until the compositor stops; line-buffered so that its
	# output survives the SIGTERM.
	timeout 60 "$comp" --headless --policy copy --socket seat \
		--exit-after 4 --type a --stats "$stats" -- \
		stdbuf -oL wev >"$out"
elif [ "$name" = foot ]; then
	line=$outdir/foot-line
	rm -f "$line"
	# foot exits with its shell, and the compositor with foot.
	timeout 120 "$comp" --headless --policy strict --socket seat \
		--exit-after 60 --type 'hello
' --stats "$stats" -- \
		foot sh -c 'read -r line; printf "line=%s\n" "$line" >"$1"' \
		sh "$line" >"$out"
	cat "$line" >>"$out" 2>/dev/null
else
	# The nested compositor finds the outer one through WAYLAND_DISPLAY,
	# which the outer one sets for the program it runs.
	timeout 60 "$comp" --headless --policy copy --socket seat \
		--exit-after 4 --type a --stats "$stats" -- \
		"$comp" --socket seat-nested --policy copy --size 640x480 -- \
		stdbuf -oL wev >"$out"
fi
status=$?
echo "compositor exit status: $status"
cat "$out"

fail=0
if [ "$status" -ne 0 ]; then
	echo "FAIL: compositor exit status $status, expected 0" >&2
	fail=1
fi
errors=$(tr -d '\n' <"$stats" 2>/dev/null |
	sed -n 's/.*"protocol_errors"[[:space:]]*:[[:space:]]*\([0-9]*\).*/\1/p')
if [ "${errors:-x}" != 0 ]; then
	echo "FAIL: protocol_errors is '${errors:-missing}', expected 0" >&2
	fail=1
fi

# expect PATTERN WHAT: a line of the output matches PATTERN.
expect() {
	if ! grep -q "$1" "$out"; then
		echo "FAIL: $2" >&2
		fail=1
	fi
}

if [ "$name" = clipboard ]; then
	expect '^paste1=hello$' "wl-paste did not print hello"
	expect '^paste2=bye$' "wl-paste did not print the new selection"
	expect '^first-copy-exited=yes$' \
		"the replaced wl-copy was not cancelled (it did not exit)"
elif [ "$name" = foot ]; then
	expect '^line=hello$' "foot's shell did not read the typed line"
else
	expect 'wl_keyboard\] keymap: format: 1 (xkb v1)' "no XKB keymap"
	expect 'wl_keyboard\] enter: ' "no keyboard enter"
	expect 'wl_keyboard\] key: .*state: 1 (pressed)' "no key press"
	expect "sym: a .*utf8: 'a'" "the key did not type 'a'"
fi
exit $fail
