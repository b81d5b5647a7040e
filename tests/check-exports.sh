#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check-exports.sh LIBRARY: fail when LIBRARY exports a defined symbol that
# does not start with sealshm_ (version nodes such as SEALSHM_SERVER_0.1
# are not symbols of the API and are ignored).
set -eu
lib=$1
nm -D --defined-only "$lib" >/dev/null
bad=$(nm -D --defined-only "$lib" | awk '$2 != "A" { print $3 }' |
	sed 's/@.*//' | grep -v '^sealshm_' || true)
if [ -n "$bad" ]; then
	echo "$lib exports symbols outside the sealshm_ namespace:" >&2
	echo "$bad" | sed 's/^/  /' >&2
	exit 1
fi
count=$(nm -D --defined-only "$lib" | awk '$2 != "A"' | wc -l)
if [ "$count" -eq 0 ]; then
	echo "$lib exports nothing at all" >&2
	exit 1
fi
echo "$lib: $count symbols, all sealshm_*"
