#!/bin/sh
# SPDX-License-Identifier: MIT
#
# library-only-test.sh SOURCE_ROOT LIBVERSION CC...: the libraries alone
# (-Ddemo=false -Dtests=false -Dbench=false) configure, build and install
# with pkg-config seeing nothing but libwayland (and libffi, which its .pc
# files require) and pixman: no wayland-protocols, no libpng.  Then the
# installed files are exactly the libraries, their headers and .pc files
# and sealshm-run, and the two mini programs build and run against them
# with that same pkg-config view.
#
# KEEP_INSTALL_TEST=1 keeps the temporary directory for inspection.
set -eu

src=$(cd "$1" && pwd)
libversion=$2
shift 2
cc=$*
here=$(cd "$(dirname "$0")" && pwd)

. "$here/lib.sh"
tmp_dir sealshm-library-only
prefix=$tmp/prefix

step "a pkg-config view of libwayland and pixman only"
view=$tmp/pkgconfig
mkdir "$view"
for pc in wayland-server wayland-client wayland-scanner pixman-1 libffi; do
	dir=$(pkg-config --variable=pcfiledir "$pc") || {
		echo "FAIL: $pc.pc is not installed" >&2
		exit 1
	}
	cp "$dir/$pc.pc" "$view/"
done
export PKG_CONFIG_LIBDIR="$view"
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR || true
for hidden in wayland-protocols libpng; do
	if pkg-config --exists "$hidden"; then
		fail "the view still shows $hidden"
	fi
done

step "configure, build and install the libraries into $prefix"
install_build "the libraries alone" --libdir=lib -Ddemo=false \
	-Dtests=false -Dbench=false -Dman-pages=disabled

expected=$({
	for lib in server client wl-shm; do
		[ "$lib" = wl-shm ] || echo "include/sealshm/$lib.h"
		echo "lib/pkgconfig/sealshm-$lib.pc"
		for suffix in "" .0 ".$libversion"; do
			echo "lib/libsealshm-$lib.so$suffix"
		done
	done
	echo "bin/sealshm-run"
	} | LC_ALL=C sort)
installed=$(cd "$prefix" && find . ! -type d | sed 's|^\./||' | LC_ALL=C sort)
if [ "$installed" != "$expected" ]; then
	echo "expected:" >&2
	echo "$expected" | sed 's/^/  /' >&2
	echo "found:" >&2
	echo "$installed" | sed 's/^/  /' >&2
	fail "the library-only install is not exactly the libraries"
fi

step "build and run the mini programs against it"
export PKG_CONFIG_LIBDIR="$view:$prefix/lib/pkgconfig"
export LD_LIBRARY_PATH="$prefix/lib"
build_minis && run_minis 4

if [ "$failures" -ne 0 ]; then
	echo "$failures failures" >&2
	exit 1
fi
echo "the libraries build, install and run with only libwayland and pixman"
