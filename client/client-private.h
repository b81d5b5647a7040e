/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * Internals of libsealshm-client shared between pool.c and swapchain.c.
 * Private: not installed.
 */

#ifndef SEALSHM_CLIENT_CLIENT_PRIVATE_H
#define SEALSHM_CLIENT_CLIENT_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wayland-client-core.h>

#include "sealshm/client.h"

/* The formats the compositor advertised, as the application passed them. */
struct client_formats {
	uint32_t *codes; /* NULL: not told; any format sealshm knows goes */
	size_t len;
};

struct sealshm_client_pool {
	struct wl_shm_pool *wl_pool;
	int fd;
	/* The whole reservation; the file is mapped over [base, base+size). */
	uint8_t *base;
	size_t reserved;
	size_t size;
	/* sealshm_client_buffer.link, sorted by offset: gaps are free */
	struct wl_list buffers;
	/* Free ranges whose pages are still backed (pool.c), by offset. */
	struct wl_list idle;
	size_t used;
	struct sealshm_client_stats stats;

	/* Set while a swapchain owns the pool. */
	struct sealshm_swapchain *swapchain;
	struct wl_list swapchain_link;
	/* No new buffers; destroyed when its last buffer goes. */
	bool retiring;
	struct client_formats formats;
};

struct sealshm_client_buffer {
	struct sealshm_client_pool *pool;
	struct wl_list link;
	struct wl_buffer *wl_buffer;
	size_t offset;
	size_t slot_size;
	int32_t width, height, stride;
	uint32_t format;

	/* Swapchain state; unused for buffers made directly on a pool. */
	struct wl_list swapchain_link;
	bool busy;
	/* Destroy on release: wrong size, surplus or its pool is retiring. */
	bool doomed;
	/* Number of the frame the contents belong to; 0: undefined. */
	uint64_t frame;
	/* Swapchain tick (acquisitions, never undone) of its last use. */
	uint64_t last_used;
	int age;
};

/** Write a message through the log handler (stderr by default). */
void
client_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/**
 * Replace the list with a copy of @p count @p codes; NULL or 0 forgets
 * it.  Returns 0, or -1 with errno ENOMEM (the old list is kept).
 */
int
client_formats_set(struct client_formats *formats, const uint32_t *codes,
		   size_t count);

void
client_formats_finish(struct client_formats *formats);

/**
 * 0 when @p format was advertised (or no list was given); else logs a
 * line naming it and the advertised ones, and returns -1 with errno
 * EINVAL.
 */
int
client_formats_check(const struct client_formats *formats, uint32_t format);

/** The page size. */
size_t
client_page_size(void);

/**
 * Stride and slot size of a buffer, overflow-checked.  Returns 0, or -1
 * with errno EINVAL (bad geometry or format) or EOVERFLOW.
 */
int
client_buffer_layout(int32_t width, int32_t height, uint32_t format,
		     int32_t *stride, size_t *slot_size);

/**
 * Free the buffer's slot and destroy its wl_buffer.  @p punch returns the
 * slot's pages to the kernel; callers pass false when the compositor may
 * still read the pages (the pool is torn down without reusing them).
 */
void
client_buffer_free(struct sealshm_client_buffer *buffer, bool punch);

/**
 * Free the buffer's slot and destroy its wl_buffer, keeping the slot's
 * pages backed for a buffer made soon after: a new buffer in the range
 * reuses them without allocating them again.  @p now is the swapchain's
 * tick, for client_pool_punch_idle().  The caller must be sure the
 * compositor no longer reads the buffer (the pages get reused).
 */
void
client_buffer_free_idle(struct sealshm_client_buffer *buffer, uint64_t now);

/**
 * Punch the pool's idle ranges freed at tick @p until or before; UINT64_MAX
 * punches them all.
 */
void
client_pool_punch_idle(struct sealshm_client_pool *pool, uint64_t until);

/** The pool's counters, with bytes_backed read from the file now. */
void
client_pool_read_stats(struct sealshm_client_pool *pool,
		       struct sealshm_client_stats *stats);

#endif /* SEALSHM_CLIENT_CLIENT_PRIVATE_H */
