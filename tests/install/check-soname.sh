#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check-soname.sh LIBRARY SONAME NODE_PREFIX FIRST_NODE: fail unless
# LIBRARY's SONAME is SONAME, it defines the version node FIRST_NODE, and
# every symbol it exports is bound to a node named NODE_PREFIX<version>
# (so that later releases can add symbols in new nodes compatibly).
set -eu
lib=$1 want_soname=$2 prefix=$3 first=$4

soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]$/\1/p')
if [ "$soname" != "$want_soname" ]; then
	echo "$lib: SONAME is '$soname', expected '$want_soname'" >&2
	exit 1
fi

if ! readelf -V "$lib" | grep -q "Name: $first\$"; then
	echo "$lib: no version definition $first (is the version script" \
		"passed to the linker?)" >&2
	exit 1
fi

# Defined, non-local, non-absolute dynamic symbols; ABS entries are the
# version nodes themselves.
exports=$(readelf --dyn-syms -W "$lib" |
	awk '$1 ~ /^[0-9]+:$/ && $5 != "LOCAL" && $7 != "UND" && $7 != "ABS" && $8 != "" { print $8 }')
if [ -z "$exports" ]; then
	echo "$lib exports no symbols at all" >&2
	exit 1
fi
bad=$(echo "$exports" | grep -v "@@\\?${prefix}[0-9][0-9.]*\$" || true)
if [ -n "$bad" ]; then
	echo "$lib: exported symbols without a $prefix* version node:" >&2
	echo "$bad" | sed 's/^/  /' >&2
	exit 1
fi
echo "$lib: SONAME $soname, $(echo "$exports" | wc -l) symbols," \
	"all in $prefix* nodes"
