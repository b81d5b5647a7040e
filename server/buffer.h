/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * wl_buffer made from a pool: geometry checks and the compositor's view
 * (struct sealshm_buffer).  Private.
 */

#ifndef SEALSHM_SERVER_BUFFER_H
#define SEALSHM_SERVER_BUFFER_H

#include <stdint.h>

#include <wayland-server-core.h>

struct pool;

/* wl_shm_pool.create_buffer; errors are posted on @p pool_resource. */
void
buffer_create(struct pool *pool, struct wl_resource *pool_resource,
	      uint32_t id, int32_t offset, int32_t width, int32_t height,
	      int32_t stride, uint32_t format);

/* A wl_buffer that is not a sealshm buffer, for an inert pool. */
void
buffer_create_inert(struct wl_resource *pool_resource, uint32_t id);

#endif /* SEALSHM_SERVER_BUFFER_H */
