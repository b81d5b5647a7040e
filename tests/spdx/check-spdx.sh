#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check-spdx.sh ROOT: fail, listing them, when files of the source tree at
# ROOT lack an "SPDX-License-Identifier: MIT" line in their first 10 lines.
#
# The files are those git knows about (tracked, plus untracked ones that
# are not ignored, so a new file is caught before it is committed); without
# git, every file under ROOT except .git/, build*/ and other Meson build
# directories.
#
# Exempt, because they cannot carry a comment or are not code:
#   LICENSE               the license text itself
#   *.md                  prose (README, NEWS)
#   *.png                 images (reference screenshots)
#   *.json                data, JSON has no comments (fuzz seeds, expected
#                         statistics)
#   */corpus/*, */seeds/* fuzzer inputs, often binary
#   .gitignore, .editorconfig, .clang-format   tool configuration
#   tests/spdx/fixtures/* files that lack the line on purpose, to show that
#                         this check can fail
set -eu

root=${1:?usage: check-spdx.sh ROOT}
cd "$root"

list_files() {
	if command -v git >/dev/null 2>&1 &&
	   git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files --cached --others --exclude-standard
	else
		# Meson build directories, whatever their names, hold a
		# meson-private directory.
		find . -name .git -prune -o -type d -name 'build*' -prune -o \
			-type d -exec test -d '{}/meson-private' ';' -prune -o \
			-type f -print | sed 's|^\./||'
	fi
}

exempt() {
	case $1 in
	LICENSE | *.md | *.png | *.json) return 0 ;;
	*/corpus/* | */seeds/*) return 0 ;;
	.gitignore | */.gitignore | .editorconfig | .clang-format) return 0 ;;
	tests/spdx/fixtures/*) return 0 ;;
	esac
	return 1
}

checked=0
missing=""
while IFS= read -r file; do
	# git lists tracked files that were deleted in the work tree
	[ -f "$file" ] || continue
	exempt "$file" && continue
	checked=$((checked + 1))
	if ! head -n 10 "$file" | grep -q 'SPDX-License-Identifier: MIT'; then
		missing="$missing
  $file"
	fi
done <<LIST
$(list_files)
LIST

if [ "$checked" -eq 0 ]; then
	echo "check-spdx.sh: no files to check under $root" >&2
	exit 1
fi
if [ -n "$missing" ]; then
	echo "Files without 'SPDX-License-Identifier: MIT' in their first 10" \
		"lines (add it in a comment at the top):" >&2
	echo "$missing" | sed 1d >&2
	exit 1
fi
echo "$checked files, all with SPDX-License-Identifier: MIT"
