#!/bin/sh
# SPDX-License-Identifier: MIT
#
# A program whose --help names an option its man page does not document:
# check-help.py must reject it.
cat <<HELP
Usage: sealshm-demo-client [OPTIONS]
  --frames N     stop after N frames
  --stats FILE   write statistics as JSON at exit
  --bogus        an option the man page does not know
  --help         show this help
HELP
