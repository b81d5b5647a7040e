#!/bin/sh
# SPDX-License-Identifier: MIT
#
# ./test.sh [MESON TEST ARGS...]: install what is missing, configure, build
# and run every test suite (or what the arguments select, for example
# --suite server, or a test name).  BUILD_DIR (default: build) and
# MESON_SETUP_ARGS choose the build.  Exits non-zero on any failure.
set -eu
cd "$(dirname "$0")"

./tools/ensure-deps.sh test

build=${BUILD_DIR:-build}
if [ -f "$build/build.ninja" ]; then
	# shellcheck disable=SC2086
	meson configure "$build" ${MESON_SETUP_ARGS:-} >/dev/null
else
	# shellcheck disable=SC2086
	meson setup "$build" ${MESON_SETUP_ARGS:-}
fi
ninja -C "$build"
meson test -C "$build" --print-errorlogs --num-processes 2 "$@"
