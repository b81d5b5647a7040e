#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check-wl-shm-exports.sh SHIM LIBWAYLAND_SERVER: the shim defines every
# wl_shm function the installed libwayland-server exports (one left out
# would resolve to libwayland and receive a sealshm pointer), no data
# object of libwayland's (wl_shm_interface, ...), and nothing else but
# sealshm_* and the functions newer libwaylands add.  A libwayland that
# grows a wl_shm function fails here until the shim has it.
set -eu
shim=$1 libwayland=$2
# Added after the installed libwayland (1.24: mutter 48 uses them).
newer="wl_shm_buffer_ref wl_shm_buffer_unref"

defined() {
	nm -D --defined-only "$1" | awk '$2 != "A" { print $2, $3 }' |
		sed 's/@.*//'
}
wanted=$(defined "$libwayland" | awk '$1 == "T" { print $2 }' |
	grep -E '^wl_shm_|^wl_display_.*shm' | sort)
[ -n "$wanted" ] || { echo "$libwayland exports no wl_shm function" >&2; exit 1; }

status=0
for f in $wanted; do
	if ! defined "$shim" | grep -qx "T $f"; then
		echo "missing: $f (libwayland-server exports it)" >&2
		status=1
	fi
done
defined "$shim" | while read -r type name; do
	case " $(echo $wanted) $newer " in
	*" $name "*) ;;
	*) case $name in sealshm_*) continue ;; esac
	   echo "exported but not libwayland's wl_shm API: $name" >&2
	   exit 1 ;;
	esac
	if [ "$type" != T ]; then
		echo "$name is not a function ($type): data objects stay libwayland's" >&2
		exit 1
	fi
done || status=1
[ $status -eq 0 ] && echo "$shim: $(echo $wanted | wc -w) wl_shm functions of libwayland, plus: $newer"
exit $status
