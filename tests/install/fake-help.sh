#!/bin/sh
# SPDX-License-Identifier: MIT
#
# A --help for sealshm-demo-client(1), to show that check-help.py accepts
# agreement and catches disagreement.  FAKE_HELP says which: "agree" matches
# the man page, "extra-option" names an option the man page does not
# document, "no-argument" drops the argument of --frames.
case ${FAKE_HELP:-} in
agree) ;;
extra-option) extra="  --bogus        an option the man page does not know" ;;
no-argument) frames="--frames  " ;;
*) echo "fake-help.sh: set FAKE_HELP" >&2; exit 2 ;;
esac
cat <<HELP
Usage: sealshm-demo-client [OPTION...]
  ${frames:---frames N}     stop after N frames
  --stats FILE   write statistics as JSON at exit
${extra:-}
  --help         show this help
HELP
