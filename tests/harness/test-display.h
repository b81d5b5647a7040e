/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * A real wl_display on a private XDG_RUNTIME_DIR, with clients run in
 * forked processes that connect over the socket.  The display side runs in
 * the test process; a client's failed check (abort) or non-zero exit is
 * reported by test_display_run().
 *
 * A minimal wl_compositor (version 4, test-compositor.h) can be added:
 * wl_surface.attach and commit hand the committed wl_buffer resource to a
 * callback, which is where a test reads pixels through the sealshm API.
 * After the callback the buffer is released (unless hold_buffers is set)
 * and frame callbacks are done.
 */

#ifndef SEALSHM_TESTS_TEST_DISPLAY_H
#define SEALSHM_TESTS_TEST_DISPLAY_H

#include <stdbool.h>
#include <sys/types.h>

#include <wayland-server-core.h>

struct test_display {
	struct wl_display *display;
	struct wl_event_loop *loop;
	char runtime_dir[64];
	const char *socket;
	int clients_running;
	int clients_failed;
	/* set by test_display_add_compositor() */
	void (*commit)(struct wl_resource *surface, struct wl_resource *buffer,
		       void *data);
	void *commit_data;
	int commits;
	/*
	 * When true, committed buffers are not released after the commit
	 * callback: the test holds them like a real compositor and sends
	 * wl_buffer.release itself.  Default false.
	 */
	bool hold_buffers;
	struct wl_event_source *sigchld;
	struct wl_global *compositor_global;
	struct test_compositor *compositor;
};

/**
 * Make a display listening on a fresh socket in a fresh XDG_RUNTIME_DIR
 * (also set in the environment, with WAYLAND_DISPLAY, for the clients).
 */
struct test_display *
test_display_create(void);

/** Destroy the display and remove the runtime directory. */
void
test_display_destroy(struct test_display *d);

/**
 * Add a wl_compositor global whose surfaces call @p commit with the
 * attached buffer (NULL when none) on every wl_surface.commit.
 */
void
test_display_add_compositor(struct test_display *d,
			    void (*commit)(struct wl_resource *surface,
					   struct wl_resource *buffer,
					   void *data),
			    void *data);

/**
 * Fork a client running @p client_main(@p data); the child exits 0 when it
 * returns.  Returns the child's pid.
 */
pid_t
test_display_spawn(struct test_display *d, void (*client_main)(void *data),
		   void *data);

/**
 * Run the display's event loop until every spawned client has exited.
 * @return the number of clients that failed (non-zero exit or signal).
 */
int
test_display_run(struct test_display *d);

/** Dispatch pending events once, waiting at most @p timeout_ms. */
void
test_display_dispatch(struct test_display *d, int timeout_ms);

#endif /* SEALSHM_TESTS_TEST_DISPLAY_H */
