# SPDX-License-Identifier: MIT
#
# Shared by install-test.sh and library-only-test.sh (sourced, after
# `set -eu` and with $cc, $here and $src set): a temporary directory,
# failure counting, building and installing the project, and building and
# running the two mini programs.

# tmp_dir NAME: make $tmp, removed on exit unless KEEP_INSTALL_TEST=1.
tmp_dir() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
	if [ -z "${KEEP_INSTALL_TEST:-}" ]; then
		trap 'rm -rf "$tmp"' EXIT
	else
		echo "keeping $tmp"
	fi
}

failures=0

fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

step() {
	echo "--- $*"
}

# install_build WHAT MESON_OPTION...: configure $src in $tmp/build for
# --prefix=$prefix with these options, build and install it, or exit
# with the log and "FAIL: ... WHAT".  The sanitizer and coverage settings
# of the build under test would only get in the way of the plain $cc
# commands later, so it is a build of its own.
install_build() {
	what=$1
	shift
	if ! env CC="$cc" meson setup "$tmp/build" "$src" --prefix="$prefix" \
		"$@" >"$tmp/setup.log" 2>&1; then
		cat "$tmp/setup.log" >&2
		echo "FAIL: meson setup of $what" >&2
		exit 1
	fi
	if ! meson compile -C "$tmp/build" -j 2 >"$tmp/compile.log" 2>&1; then
		tail -n 40 "$tmp/compile.log" >&2
		echo "FAIL: build of $what" >&2
		exit 1
	fi
	meson install -C "$tmp/build" --no-rebuild --quiet
}

# build_minis: mini-compositor and mini-client in $tmp, each with nothing
# but `pkg-config --cflags --libs` of its library, as pkg-config sees it
# now.  Returns 1 when one does not build.
build_minis() {
	cflags="-std=c11 -Wall -Wextra -Wno-unused-parameter -Werror"
	for pair in compositor:server client:client; do
		prog=mini-${pair%%:*}
		pc=sealshm-${pair#*:}
		# shellcheck disable=SC2046,SC2086
		if ! $cc $cflags -o "$tmp/$prog" "$here/$prog.c" \
			$(pkg-config --cflags --libs "$pc"); then
			fail "$prog does not build with pkg-config $pc"
			return 1
		fi
	done
}

# run_minis FRAMES: mini-client against mini-compositor, in a runtime
# directory of their own.
run_minis() {
	export XDG_RUNTIME_DIR="$tmp/run"
	mkdir -m 700 "$XDG_RUNTIME_DIR"
	unset WAYLAND_DISPLAY WAYLAND_SOCKET
	if ! "$tmp/mini-compositor" "$1" "$tmp/mini-client" "$1"; then
		fail "mini-client against mini-compositor"
	fi
}
