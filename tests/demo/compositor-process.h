/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * The demo tests' sealshm-compositor: a headless process of its own with
 * a runtime directory of its own, its statistics read at the end.
 */

#ifndef SEALSHM_TESTS_DEMO_COMPOSITOR_PROCESS_H
#define SEALSHM_TESTS_DEMO_COMPOSITOR_PROCESS_H

#include <stddef.h>
#include <sys/types.h>

struct compositor_process {
	char dir[64];
	char stats[128];
	pid_t pid;
};

/*
 * Start $SEALSHM_COMPOSITOR --headless --socket @p socket --stats FILE,
 * then the NULL-terminated @p extra arguments (may be NULL), in a new
 * XDG_RUNTIME_DIR; return once it printed the socket's name, with
 * WAYLAND_DISPLAY set to it.  Checks on failure.
 */
void
compositor_process_start(struct compositor_process *c, const char *socket,
			 const char *const *extra);

/*
 * SIGTERM, check for a clean exit, read the statistics JSON into @p text
 * (@p size bytes at most) and remove the runtime directory.
 */
void
compositor_process_stop(struct compositor_process *c, char *text,
			size_t size);

/* The number after "@p key": in the statistics JSON @p text. */
unsigned long long
compositor_stat(const char *text, const char *key);

#endif
