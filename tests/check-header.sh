#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check-header.sh CC CXX HEADER CFLAGS...: compile a translation unit that
# includes only HEADER, as strict C11 and as C++, with warnings as errors.
set -eu
cc=$1 cxx=$2 header=$3
shift 3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '#include "%s"\n' "$header" > "$tmp/t.c"
cp "$tmp/t.c" "$tmp/t.cpp"
"$cc" -std=c11 -pedantic -Werror -Wall -Wextra "$@" -c "$tmp/t.c" -o "$tmp/t.o"
"$cxx" -std=c++11 -pedantic -Werror -Wall -Wextra "$@" -c "$tmp/t.cpp" -o "$tmp/t2.o"
echo "$header: compiles alone as C11 and C++11"
