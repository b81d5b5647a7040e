#!/bin/sh
# SPDX-License-Identifier: MIT
#
# clipboard-round-trip.sh: run inside sealshm-compositor (WAYLAND_DISPLAY
# set).  wl-copy --foreground hello owns the selection; wl-paste, in the
# same compositor, must print hello.  A second wl-copy --foreground then
# replaces the selection: the first one's source is cancelled, so it
# exits, and wl-paste prints the new text.  Each step is retried for a
# few seconds (wl-copy sets the selection once its window has the
# keyboard focus); the limits are for liveness, not speed.  Prints
# "paste1=..." "first-copy-exited=yes|no" "paste2=..." for the caller.
set -u

# alive PID: the process runs (an exited child not yet waited for is a
# zombie, which kill -0 would still find).
alive() {
	state=$(sed -n 's/^[0-9]* (.*) \([A-Z]\).*/\1/p' "/proc/$1/stat" \
		2>/dev/null)
	[ -n "$state" ] && [ "$state" != Z ]
}

# paste EXPECTED: wl-paste until it prints EXPECTED, up to 10 s.
paste() {
	i=0
	out=
	while [ "$i" -lt 50 ]; do
		out=$(wl-paste --no-newline 2>/dev/null) && [ "$out" = "$1" ] &&
			break
		i=$((i + 1))
		sleep 0.2
	done
	printf '%s' "$out"
}

wl-copy --foreground hello &
first=$!
echo "paste1=$(paste hello)"

wl-copy --foreground bye &
second=$!
echo "paste2=$(paste bye)"

# The cancelled first wl-copy exits by itself; give it up to 10 s.
exited=no
i=0
while [ "$i" -lt 50 ]; do
	if ! alive "$first"; then
		exited=yes
		break
	fi
	i=$((i + 1))
	sleep 0.2
done
echo "first-copy-exited=$exited"
kill "$first" "$second" 2>/dev/null
wait
