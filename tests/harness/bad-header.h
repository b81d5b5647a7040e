/* SPDX-License-Identifier: MIT */
/* A header that must fail check-header.sh: not valid C11. */
static int broken(void) { return 0 }
