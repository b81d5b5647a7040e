#!/bin/sh
# SPDX-License-Identifier: MIT
#
# ensure-deps.sh [build|test|demo]...: install the Debian packages sealshm
# needs that are missing, with apt-get (through sudo when not root).
# Without apt-get, list the packages and exit 1.  Sourced or run by
# test.sh, demo.sh and .ci/run.

set -eu

build_pkgs="meson ninja-build pkg-config gcc g++ python3 libwayland-dev
	wayland-protocols libpixman-1-dev libpng-dev libxkbcommon-dev"
# Real third-party clients and tools the test suites drive; tests that miss
# one skip with a reason, but the set-up installs them all.
# libgl1-mesa-dri: Mesa's software driver for weston-simple-egl, which
# weston only recommends (and recommends are not installed).
test_pkgs="valgrind weston gtk-3-examples wlcs clang libclang-rt-14-dev
	scdoc libgl1-mesa-dri sway grim wayland-utils wl-clipboard wev foot"
test_pkgs="$test_pkgs strace"	# bench-quick counts server syscalls with it
test_pkgs="$test_pkgs libwlroots-dev"	# examples/wlroots-compositor
demo_pkgs="weston"

want=""
for set in "${@:-build}"; do
	case $set in
	build) want="$want $build_pkgs" ;;
	test) want="$want $build_pkgs $test_pkgs" ;;
	demo) want="$want $build_pkgs $demo_pkgs" ;;
	*) echo "ensure-deps.sh: unknown package set '$set'" >&2; exit 2 ;;
	esac
done

missing=""
for pkg in $want; do
	case " $missing " in *" $pkg "*) continue ;; esac
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	case $status in
	*"ok installed"*) ;;
	*) missing="$missing $pkg" ;;
	esac
done

if [ -z "$missing" ]; then
	exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
	echo "sealshm needs these Debian 12 packages, and apt-get is not" >&2
	echo "available to install them:" >&2
	echo "  $missing" >&2
	echo "Install them (or your distribution's equivalents) and re-run." >&2
	exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1; then
	sudo="sudo"
else
	echo "Missing packages:$missing" >&2
	echo "Not root and no sudo: install them as root and re-run." >&2
	exit 1
fi

echo "Installing missing packages:$missing"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing
