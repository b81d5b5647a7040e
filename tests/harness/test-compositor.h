/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * A minimal wl_compositor (version 4) on any wl_display: surfaces keep the
 * attached buffer and the damage, and wl_surface.commit hands both to a
 * callback, then releases the buffer (unless the callback keeps it) and
 * sends the frame callbacks done.  Regions are accepted and ignored.
 *
 * It needs nothing of the test runner, so that the bench serves its
 * clients with the same compositor as the tests.
 */

#ifndef SEALSHM_TESTS_TEST_COMPOSITOR_H
#define SEALSHM_TESTS_TEST_COMPOSITOR_H

#include <stdbool.h>
#include <stdint.h>

#include <pixman.h>
#include <wayland-server-core.h>

/* One wl_surface.commit, as the commit callback sees it. */
struct test_commit {
	struct wl_resource *surface;
	/* the attached buffer, NULL when none is pending */
	struct wl_resource *buffer;
	/*
	 * wl_surface.damage and damage_buffer since the last commit, both
	 * taken as buffer coordinates (nothing here scales or transforms).
	 */
	const pixman_region32_t *damage;
	/*
	 * In: true.  Set false to keep the buffer and send wl_buffer.release
	 * yourself, as a compositor that holds buffers does.
	 */
	bool release;
	/* In: 0.  The time wl_callback.done carries, in milliseconds. */
	uint32_t frame_time;
};

struct test_compositor;

/**
 * Add a wl_compositor global to @p display whose surfaces call
 * @p commit with the commit and @p data on every wl_surface.commit.
 * @return NULL with errno set when the global cannot be made.
 */
struct test_compositor *
test_compositor_create(struct wl_display *display,
		       void (*commit)(struct test_commit *commit, void *data),
		       void *data);

/** The wl_compositor global. */
struct wl_global *
test_compositor_get_global(struct test_compositor *c);

/**
 * Remove the global and free @p c.  Call it once the clients are gone
 * (their surfaces point at @p c) and before wl_display_destroy(), which
 * frees the globals itself.  NULL is a no-op.
 */
void
test_compositor_destroy(struct test_compositor *c);

#endif /* SEALSHM_TESTS_TEST_COMPOSITOR_H */
