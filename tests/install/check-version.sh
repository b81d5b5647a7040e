#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check-version.sh PROJECT_VERSION LIBVERSION SOVERSION NEWS: the release
# bookkeeping agrees: the libraries' version starts with the soversion (the
# soname policy in the README), and NEWS has a section for the project
# version.
set -eu
project=$1 libversion=$2 soversion=$3 news=$4

case $libversion in
"$soversion".*) ;;
*)
	echo "library version $libversion does not start with soversion" \
		"$soversion: bump them together (see the soname policy)" >&2
	exit 1
	;;
esac
if ! grep -q "^## $project\\b" "$news"; then
	echo "$news has no '## $project' section for the version in" \
		"meson.build" >&2
	exit 1
fi
echo "version $project, library $libversion, soversion $soversion, in NEWS"
