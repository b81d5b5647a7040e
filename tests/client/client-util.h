/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * Helpers of the client tests: a display with the sealshm server and the
 * test compositor, memory shared between the test and its forked client,
 * and the client's commit step.
 */

#ifndef SEALSHM_TESTS_CLIENT_CLIENT_UTIL_H
#define SEALSHM_TESTS_CLIENT_CLIENT_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <wayland-client.h>

#include "sealshm/server.h"
#include "test-client.h"
#include "test-display.h"

/** What the server saw in every wl_shm.create_pool, read on its fd. */
struct pool_log {
	int pools;
	int sealed_shrink;
	int on_shmem;
	int seals[64];
	/* When set, called with the received fd of each create_pool. */
	void (*inspect)(int fd, int32_t size, void *data);
	void *inspect_data;
	struct wl_protocol_logger *logger;
};

/**
 * A display with sealshm (strict policy) and the test compositor calling
 * @p commit; create_pool requests are logged into @p log (may be NULL).
 */
struct test_display *
server_start(struct sealshm **shm, struct pool_log *log,
	     void (*commit)(struct wl_resource *surface,
			    struct wl_resource *buffer, void *data),
	     void *commit_data);

/** Remove the logger of @p log (may be NULL) and destroy the display. */
void
server_stop(struct test_display *d, struct pool_log *log);

/** Memory that a forked client and the test both see; zeroed. */
void *
shared_alloc(size_t size);

void
shared_free(void *p, size_t size);

/** Attach, damage all, commit and roundtrip; checks the connection. */
void
client_commit(struct test_client *c, struct wl_surface *surface,
	      struct wl_buffer *buffer, int32_t width, int32_t height);

/**
 * Write @p tag into every 32-bit word of the first and last row and into
 * the first word of every page of the buffer (so every page is proven
 * writable), or into every word when @p full.
 */
void
client_tag_pixels(void *data, int32_t width, int32_t height, int32_t stride,
		  uint32_t tag, bool full);

#endif /* SEALSHM_TESTS_CLIENT_CLIENT_UTIL_H */
