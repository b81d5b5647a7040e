/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * Everything is built with -fvisibility=hidden; the public API is marked
 * with SEALSHM_EXPORT at its definitions.  The version scripts in server/
 * and client/ list the same names, so a symbol must be added in both
 * places to become ABI.
 */

#ifndef SEALSHM_COMMON_EXPORT_H
#define SEALSHM_COMMON_EXPORT_H

#define SEALSHM_EXPORT __attribute__((visibility("default")))

#endif /* SEALSHM_COMMON_EXPORT_H */
