/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * The programs the sealshm-run tests start: run-probe-hook imports
 * wl_display_init_shm, run-probe-plain links libwayland-server without
 * importing it, run-probe-static is linked statically.  Each prints
 * LD_PRELOAD and exits with the status given as its argument.
 *
 * Run with LD_TRACE_LOADED_OBJECTS set, a dynamic program stops in the
 * loader before main; a static one does not, and then this creates the
 * file named by RUN_PROBE_TRACED, to show that sealshm-run traced a
 * program it must only read.
 */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#if defined(PROBE_HOOK) || defined(PROBE_PLAIN)
#include <wayland-server-core.h>
#endif

int
main(int argc, char *argv[])
{
	const char *preload = getenv("LD_PRELOAD");
	const char *traced = getenv("RUN_PROBE_TRACED");

#ifdef PROBE_HOOK
	/* Taking its address imports it; it is never called. */
	int (*volatile hook)(struct wl_display *) = wl_display_init_shm;
	(void)hook;
#elif defined(PROBE_PLAIN)
	void (*volatile other)(struct wl_display *) = wl_display_destroy;
	(void)other;
#endif
	if (getenv("LD_TRACE_LOADED_OBJECTS") && traced) {
		int fd = open(traced, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0)
			close(fd);
	}
	printf("LD_PRELOAD=%s\n", preload ? preload : "(unset)");
	return argc > 1 ? atoi(argv[1]) : 0;
}
