#!/bin/sh
# SPDX-License-Identifier: MIT
#
# install-test.sh SOURCE_ROOT BUILD_ROOT LIBVERSION CC...: configure the source tree
# with a temporary --prefix, build and install it there, check what was
# installed (and what BUILD_ROOT, the build under test, would install), then
# build mini-compositor.c and mini-client.c with nothing but
# `cc $(pkg-config --cflags --libs sealshm-server|sealshm-client)` against
# that prefix and run the client against the compositor.
#
# A separate configuration rather than `meson install --destdir` of the
# build under test: .pc files name their prefix, and pkg-config has no
# way to relocate one package without relocating its dependencies too
# (PKG_CONFIG_SYSROOT_DIR also moves -I/usr/include/pixman-1).
#
# KEEP_INSTALL_TEST=1 keeps the temporary directory for inspection.
set -eu

src=$(cd "$1" && pwd)
build_under_test=$2
libversion=$3
shift 3
# The C compiler command of the build under test (maybe "ccache cc").
cc=$*
here=$(cd "$(dirname "$0")" && pwd)
frames=6

. "$here/lib.sh"
tmp_dir sealshm-install-test
prefix=$tmp/prefix

step "configure, build and install into $prefix"
install_build "the project with --prefix" -Dtests=false -Dbench=false \
	-Ddemo=true

libdir=$(meson introspect "$tmp/build" --buildoptions |
	python3 -c 'import json, sys
print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "libdir"))')
case $libdir in
/*) ;;
*) libdir=$prefix/$libdir ;;
esac

step "installed files"
for lib in server client wl-shm; do
	so=$libdir/libsealshm-$lib.so
	[ -f "$so.$libversion" ] || fail "$so.$libversion is not installed"
	[ "$(readlink "$so.0")" = "libsealshm-$lib.so.$libversion" ] ||
		fail "$so.0 is not a link to libsealshm-$lib.so.$libversion"
	[ "$(readlink "$so")" = "libsealshm-$lib.so.0" ] ||
		fail "$so (for -l at link time) is not a link to the soname"
	[ -f "$libdir/pkgconfig/sealshm-$lib.pc" ] ||
		fail "$libdir/pkgconfig/sealshm-$lib.pc is not installed"
	# libwayland's wl_shm functions are unversioned; so are the shim's.
	[ "$lib" = wl-shm ] && continue
	[ -f "$prefix/include/sealshm/$lib.h" ] ||
		fail "include/sealshm/$lib.h is not installed"
	upper=$(echo "$lib" | tr '[:lower:]' '[:upper:]')
	if [ -f "$so.$libversion" ]; then
		"$here/check-soname.sh" "$so.$libversion" "libsealshm-$lib.so.0" \
			"SEALSHM_${upper}_" "SEALSHM_${upper}_0.1" ||
			fail "installed libsealshm-$lib's soname or versions"
	fi
done

# Every program the build defines must be installed, with its man page
# when scdoc is there.
programs=$(meson introspect "$tmp/build" --targets | python3 -c '
import json, sys
for t in json.load(sys.stdin):
    if t["type"] == "executable" and t["name"].startswith("sealshm-"):
        print(t["name"])')
for name in sealshm-compositor sealshm-demo-client sealshm-fuzz-truncate \
	sealshm-run; do
	if ! echo "$programs" | grep -q -x "$name"; then
		fail "$name is not built by the project"
		continue
	fi
	[ -x "$prefix/bin/$name" ] || fail "bin/$name is not installed"
	if command -v scdoc >/dev/null 2>&1; then
		[ -s "$prefix/share/man/man1/$name.1" ] ||
			fail "share/man/man1/$name.1 is not installed"
	fi
done

# And nothing else: no static helper library, private header or test
# program, neither here nor in the install plan of the build under test,
# which has the tests enabled.
rel_libdir=${libdir#"$prefix"/}
expected=$({
	for lib in server client wl-shm; do
		[ "$lib" = wl-shm ] || echo "include/sealshm/$lib.h"
		echo "$rel_libdir/pkgconfig/sealshm-$lib.pc"
		for suffix in "" .0 ".$libversion"; do
			echo "$rel_libdir/libsealshm-$lib.so$suffix"
		done
	done
	echo "bin/sealshm-run"
	if command -v scdoc >/dev/null 2>&1; then
		echo "share/man/man1/sealshm-run.1"
		echo "share/man/man3/sealshm-server.3"
		echo "share/man/man3/sealshm-client.3"
	fi
	for name in sealshm-compositor sealshm-demo-client \
		sealshm-fuzz-truncate; do
		echo "bin/$name"
		if command -v scdoc >/dev/null 2>&1; then
			echo "share/man/man1/$name.1"
		fi
	done
	} | LC_ALL=C sort)
installed=$(cd "$prefix" && find . ! -type d | sed 's|^\./||' | LC_ALL=C sort)
if [ "$installed" != "$expected" ]; then
	echo "expected in the prefix:" >&2
	echo "$expected" | sed 's/^/  /' >&2
	echo "found:" >&2
	echo "$installed" | sed 's/^/  /' >&2
	fail "the installed files are not exactly the expected ones"
fi
# The build under test may leave out the programs (-Ddemo=false) or the
# man pages (-Dman-pages=disabled); nothing may be there that is not here.
if ! echo "$expected" | python3 -c '
import json, os, sys
info = os.path.join(sys.argv[1], "meson-info")
with open(os.path.join(info, "intro-buildoptions.json")) as f:
    options = {o["name"]: o["value"] for o in json.load(f)}
with open(os.path.join(info, "intro-installed.json")) as f:
    planned = sorted(os.path.basename(p) for p in json.load(f).values())
expected = []
for path in sys.stdin.read().split():
    demo_only = not path.endswith("sealshm-run") and \
        not path.endswith("sealshm-run.1") and \
        not path.startswith("share/man/man3/")
    if path.startswith(("bin/", "share/man/")) and demo_only and \
            not options["demo"]:
        continue
    if path.startswith("share/man/") and options["man-pages"] == "disabled":
        continue
    expected.append(os.path.basename(path))
if planned != sorted(expected):
    print(sys.argv[1], "would install", planned, "expected", sorted(expected))
    sys.exit(1)' "$build_under_test"; then
	fail "the build under test installs other files than expected"
fi

step "build against the installed pkg-config files only"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR C_INCLUDE_PATH CPATH \
	LIBRARY_PATH || true
if ! build_minis; then
	echo "$failures failures" >&2
	exit 1
fi

step "run mini-client against mini-compositor"
export LD_LIBRARY_PATH="$libdir"
for pair in compositor:server client:client; do
	prog=mini-${pair%%:*}
	lib=libsealshm-${pair#*:}.so.0
	# The programs must run on the installed copies, not a build tree's.
	if ! ldd "$tmp/$prog" | grep -q -F "$lib => $libdir/$lib"; then
		ldd "$tmp/$prog" >&2
		fail "$prog does not load $lib from $libdir"
	fi
done
run_minis "$frames"

step "the installed sealshm-run preloads the installed shim"
# No LD_LIBRARY_PATH: the shim finds libsealshm-server by its RUNPATH.
preload=$(env -u LD_LIBRARY_PATH -u LD_PRELOAD "$prefix/bin/sealshm-run" \
	-- /usr/bin/env 2>/dev/null | sed -n 's/^LD_PRELOAD=//p')
[ "$preload" = "$libdir/libsealshm-wl-shm.so.0" ] ||
	fail "installed sealshm-run preloads '$preload'"
if ! env -u LD_LIBRARY_PATH ldd "$libdir/libsealshm-wl-shm.so.0" |
	grep -q -F "libsealshm-server.so.0 => $libdir/libsealshm-server.so.0"; then
	env -u LD_LIBRARY_PATH ldd "$libdir/libsealshm-wl-shm.so.0" >&2
	fail "the installed shim does not find the installed libsealshm-server"
fi

if [ -x "$prefix/bin/sealshm-compositor" ] &&
   [ -x "$prefix/bin/sealshm-demo-client" ]; then
	step "run the installed demo programs"
	if ! PATH="$prefix/bin:$PATH" sealshm-compositor --headless \
		--stats "$tmp/stats.json" -- sealshm-demo-client --frames 20 \
		>"$tmp/demo.log" 2>&1; then
		cat "$tmp/demo.log" >&2
		fail "installed sealshm-compositor with sealshm-demo-client"
	fi
fi

if [ "$failures" -ne 0 ]; then
	echo "$failures failures" >&2
	exit 1
fi
echo "installed, built against and ran from $prefix"
