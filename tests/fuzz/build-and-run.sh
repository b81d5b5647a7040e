#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Build the libFuzzer harness of the server module with clang
# (-fsanitize=fuzzer,address,undefined) and run it for SECONDS on a copy of
# the seed corpus.  Outside the main build on purpose: it needs clang and
# compiles the server sources itself, with the generated wl_shm v2 symbols
# renamed so they cannot meet libwayland's own wl_shm_interface.
#
#   tests/fuzz/build-and-run.sh SECONDS [BUILD_DIR]
#
# BUILD_DIR defaults to build-fuzz at the top of the source tree.  New
# inputs found go to BUILD_DIR/corpus; crashes to BUILD_DIR/crash-*.  Extra
# libFuzzer flags can be passed in FUZZ_FLAGS (for example -jobs=2).
# Exits non-zero when the fuzzer found a crash, a leak or a timeout.
set -eu

usage() {
	echo "usage: $0 SECONDS [BUILD_DIR]" >&2
	exit 2
}

[ $# -ge 1 ] && [ $# -le 2 ] || usage
seconds=$1
case $seconds in
''|*[!0-9]*) echo "$0: SECONDS must be a whole number, not '$seconds'" >&2
	     exit 2 ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${2:-$top/build-fuzz}
cc=${CC_FUZZ:-clang-14}

if ! command -v "$cc" >/dev/null 2>&1; then
	if command -v clang >/dev/null 2>&1; then
		cc=clang
	else
		echo "$0: clang not found (install clang-14 and" \
		     "libclang-rt-14-dev); skipping" >&2
		exit 77
	fi
fi

mkdir -p "$build/gen" "$build/corpus"
scanner=$(pkg-config --variable=wayland_scanner wayland-scanner)
"$scanner" private-code "$top/protocol/sealshm-shm.xml" \
	"$build/gen/sealshm-shm-protocol.c"
"$scanner" --include-core-only server-header "$top/protocol/sealshm-shm.xml" \
	"$build/gen/sealshm-shm-server-protocol.h"

rename="-Dwl_shm_interface=sealshm_fuzz_wl_shm_interface
	-Dwl_shm_pool_interface=sealshm_fuzz_wl_shm_pool_interface"
# shellcheck disable=SC2046,SC2086
"$cc" -std=c11 -g -O1 -D_GNU_SOURCE \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer \
	-Wall -Wextra -Wno-unused-parameter -Werror \
	-I"$top/include" -I"$top/common" -I"$top/server" -I"$build/gen" \
	$(pkg-config --cflags wayland-server wayland-client pixman-1) \
	$rename \
	"$top"/server/*.c "$top"/common/*.c "$build/gen/sealshm-shm-protocol.c" \
	"$here/fuzz-server.c" \
	$(pkg-config --libs wayland-server wayland-client pixman-1) -lrt \
	-o "$build/fuzz-server"

# Run on a copy: the checked-in corpus stays the small, readable seed set.
cp "$here"/corpus/* "$build/corpus/"
cd "$build"
# -print_funcs=0: symbolizing a newly covered function starts
# llvm-symbolizer on pipes that stay open, which the harness's fd-leak
# check would take for a leak.
# shellcheck disable=SC2086
exec ./fuzz-server -print_funcs=0 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
	-max_len=512 -print_final_stats=1 -error_exitcode=1 -timeout_exitcode=1 ${FUZZ_FLAGS:-} corpus
