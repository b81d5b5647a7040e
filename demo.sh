#!/bin/sh
# SPDX-License-Identifier: MIT
#
# ./demo.sh: install what is missing, build, then run the demo.
set -eu
cd "$(dirname "$0")"

./tools/ensure-deps.sh demo

build=${BUILD_DIR:-build}
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build"
fi
ninja -C "$build"

# The demo run itself comes with the demo programs.
echo "Built sealshm in $build/."
