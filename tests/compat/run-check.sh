#!/bin/sh
# SPDX-License-Identifier: MIT
#
# run-check.sh CASE SEALSHM_RUN PROBE_DIR INSTALLED_LIBRARY VERSION OTHER_LIB
#
# One check of sealshm-run: its command line, the library it preloads and
# the environment it passes on, and its warning about compositors it cannot
# protect.  PROBE_DIR holds the run-probe-* programs (run-probe.c);
# INSTALLED_LIBRARY is the compiled-in fallback path; OTHER_LIB is any
# shared library that can be preloaded harmlessly.
set -eu
case=$1 run=$2 probes=$3 installed=$4 version=$5 other_lib=$6

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The library next to sealshm-run, in the build tree: what LD_PRELOAD must
# end with, as an absolute path.
lib="$(cd "$(dirname "$run")" && pwd -P)/libsealshm-wl-shm.so.0"
unset LD_PRELOAD SEALSHM_POLICY SEALSHM_LOG

fail() {
	echo "run-check $case: $*" >&2
	echo "--- exit status $status; stdout:" >&2
	cat "$tmp/out" >&2
	echo "--- stderr:" >&2
	cat "$tmp/err" >&2
	exit 1
}

# try COMMAND...: runs it, keeping its status, stdout and stderr.
try() {
	status=0
	"$@" >"$tmp/out" 2>"$tmp/err" || status=$?
}

status_is() {
	[ "$status" -eq "$1" ] || fail "exit status $status, expected $1"
}

# out_has, err_has, err_lacks STRING: fixed strings, not patterns.
out_has() {
	grep -q -F -e "$1" "$tmp/out" || fail "stdout lacks '$1'"
}
err_has() {
	grep -q -F -e "$1" "$tmp/err" || fail "stderr lacks '$1'"
}
err_lacks() {
	! grep -q -F -e "$1" "$tmp/err" || fail "stderr has '$1'"
}

# The library must be there: the tests that preload it use the real one.
need_library() {
	status=0
	: >"$tmp/out"
	: >"$tmp/err"
	[ -e "$lib" ] || fail "$lib is not built"
}

unprotected="does not use libwayland's wl_shm"
unchecked="could not check whether"

case $case in
bad-policy)
	try "$run" --policy bogus -- true
	status_is 2
	err_has "--policy 'bogus' is not valid; use strict, seal or copy"
	[ ! -s "$tmp/out" ] || fail "stdout is not empty"
	;;
bad-log)
	try "$run" --log loud true
	status_is 2
	err_has "--log 'loud' is not valid; use error, info or debug"
	;;
bad-option)
	try "$run" --polcy strict -- true
	status_is 2
	err_has "unknown option '--polcy'"
	try "$run" --policy
	status_is 2
	err_has "option '--policy' needs a value"
	;;
no-command)
	try "$run" --policy strict --
	status_is 2
	err_has "no compositor to run"
	try "$run"
	status_is 2
	err_has "no compositor to run"
	;;
help)
	try "$run" --help
	status_is 0
	out_has "Usage: sealshm-run"
	out_has "--policy strict|seal|copy"
	out_has "--log error|info|debug"
	;;
version)
	try "$run" --version
	status_is 0
	[ "$(cat "$tmp/out")" = "sealshm-run $version" ] ||
		fail "not 'sealshm-run $version'"
	;;
environment)
	# The options become SEALSHM_*, the library is LD_PRELOAD (env
	# itself is not a compositor: it gets the warning, and still runs).
	need_library
	try "$run" --policy strict --log debug -- env
	status_is 0
	grep -q -x -F "LD_PRELOAD=$lib" "$tmp/out" || fail "LD_PRELOAD is not $lib"
	grep -q -x "SEALSHM_POLICY=strict" "$tmp/out" || fail "no SEALSHM_POLICY"
	grep -q -x "SEALSHM_LOG=debug" "$tmp/out" || fail "no SEALSHM_LOG"
	err_has "sealshm-run: warning: $(command -v env) $unprotected"
	# Without the options the user's values pass, and unset stays unset.
	try env SEALSHM_POLICY=seal "$run" env
	grep -q -x "SEALSHM_POLICY=seal" "$tmp/out" || fail "SEALSHM_POLICY lost"
	! grep -q "^SEALSHM_LOG=" "$tmp/out" || fail "SEALSHM_LOG was set"
	;;
preload-append)
	need_library
	try env LD_PRELOAD="$other_lib" "$run" -- "$probes/run-probe-hook"
	status_is 0
	out_has "LD_PRELOAD=$other_lib:$lib"
	;;
exit-status)
	need_library
	try "$run" -- "$probes/run-probe-hook" 42
	status_is 42
	try "$run" false
	status_is 1
	;;
protected)
	# Imports wl_display_init_shm itself: no warning; at debug level
	# sealshm-run says who imports it.
	need_library
	try "$run" --log debug -- "$probes/run-probe-hook" 3
	status_is 3
	out_has "LD_PRELOAD=$lib"
	err_lacks "warning"
	err_has "$probes/run-probe-hook imports wl_display_init_shm: preloading $lib"
	;;
unprotected)
	# Linking libwayland-server is not enough: the import is what counts.
	need_library
	try "$run" -- "$probes/run-probe-plain" 4
	status_is 4
	out_has "LD_PRELOAD=$lib"
	err_has "sealshm-run: warning: $probes/run-probe-plain $unprotected"
	try "$run" true
	status_is 0
	err_has "/true $unprotected"
	;;
weston | sway)
	# Neither imports it itself: libweston and libwlroots do.
	need_library
	command -v "$case" >/dev/null ||
		fail "$case is not installed (tools/ensure-deps.sh test)"
	try "$run" --log debug -- "$case" --version
	status_is 0
	err_lacks "warning"
	if [ "$case" = weston ]; then
		out_has "weston "
		err_has "/libweston-"
	else
		out_has "sway version"
		err_has "/libwlroots.so"
	fi
	err_has "imports wl_display_init_shm: preloading $lib"
	;;
script)
	# Found through PATH like execvp; a script cannot be checked, but it
	# runs, with the library preloaded.
	need_library
	mkdir "$tmp/bin"
	printf '#!/bin/sh\necho "LD_PRELOAD=$LD_PRELOAD"\nexit 5\n' \
		>"$tmp/bin/compositor.sh"
	chmod +x "$tmp/bin/compositor.sh"
	try env PATH="$tmp/bin:$PATH" "$run" compositor.sh
	status_is 5
	err_has "sealshm-run: warning: $unchecked $tmp/bin/compositor.sh"
	err_has "not an ELF program"
	out_has "LD_PRELOAD=$lib"
	;;
static)
	# Never run with LD_TRACE_LOADED_OBJECTS: a static program would not
	# stop in the loader (run-probe-static then creates the file).
	need_library
	try env RUN_PROBE_TRACED="$tmp/traced" "$run" \
		"$probes/run-probe-static" 6
	status_is 6
	err_has "$unchecked $probes/run-probe-static"
	err_has "statically linked"
	[ ! -e "$tmp/traced" ] || fail "the static program was traced"
	;;
elf32 | elf64)
	# Hand-made programs (run-make-elf.py), whose interpreter does not
	# exist: the import is found in the file's own class; a defined
	# wl_display_init_shm is not an import, and then the loader cannot
	# list the libraries.
	need_library
	bits=${case#elf}
	python3 "$(dirname "$0")/run-make-elf.py" "$bits" import "$tmp/import"
	python3 "$(dirname "$0")/run-make-elf.py" "$bits" define "$tmp/define"
	chmod +x "$tmp/import" "$tmp/define"
	try "$run" --log debug -- "$tmp/import"
	[ "$status" -ne 0 ] || fail "a program without its interpreter ran"
	err_has "$tmp/import imports wl_display_init_shm: preloading $lib"
	err_lacks "warning"
	try "$run" --log debug -- "$tmp/define"
	err_has "$unchecked $tmp/define uses libwayland's wl_shm: the dynamic loader could not list its libraries"
	err_lacks "imports"
	;;
elf-broken)
	# Section headers past the end of the file, in both classes.
	need_library
	for bits in 32 64; do
		python3 "$(dirname "$0")/run-make-elf.py" "$bits" truncated \
			"$tmp/elf$bits"
		chmod +x "$tmp/elf$bits"
		try "$run" --log debug -- "$tmp/elf$bits"
		err_has "$unchecked $tmp/elf$bits uses libwayland's wl_shm: its ELF headers could not be read"
	done
	;;
cannot-run)
	need_library
	try "$run" -- "$tmp/missing"
	status_is 127
	err_has "sealshm-run: cannot run $tmp/missing: No such file or directory"
	err_lacks "warning"
	: >"$tmp/not-executable"
	try "$run" "$tmp/not-executable"
	status_is 126
	err_has "Permission denied"
	;;
library-lookup)
	# Without the library next to it, sealshm-run takes the installed
	# one if there is one, else fails.
	mkdir "$tmp/bin"
	cp "$run" "$tmp/bin/sealshm-run"
	try "$tmp/bin/sealshm-run" -- env
	if [ -e "$installed" ]; then
		status_is 0
		grep -q -x -F "LD_PRELOAD=$installed" "$tmp/out" ||
			fail "LD_PRELOAD is not $installed"
	else
		status_is 1
		err_has "libsealshm-wl-shm.so.0 is neither next to sealshm-run nor at $installed"
	fi
	# A library next to it wins, whatever it is.
	: >"$tmp/bin/libsealshm-wl-shm.so.0"
	try "$tmp/bin/sealshm-run" -- sh -c 'echo "LD_PRELOAD=$LD_PRELOAD"'
	out_has "LD_PRELOAD=$(cd "$tmp/bin" && pwd -P)/libsealshm-wl-shm.so.0"
	;;
*)
	echo "run-check.sh: unknown case '$case'" >&2
	exit 2
	;;
esac
echo "run-check $case: ok"
