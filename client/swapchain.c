/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 */

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include <wayland-client-protocol.h>

#include "client-private.h"
#include "export.h"

/* Below this a pool is too cheap to be worth replacing. */
#define SHRINK_MIN_POOL (1024 * 1024)

struct sealshm_swapchain {
	struct wl_shm *shm;
	/* sealshm_client_pool.swapchain_link, newest first: the first pool
	 * takes new buffers unless it is retiring. */
	struct wl_list pools;
	/* sealshm_client_buffer.swapchain_link */
	struct wl_list buffers;
	int32_t width, height;
	uint32_t format;
	/* Frame numbers for buffer age; a cancel takes one back. */
	uint64_t frame;
	/* Acquisitions so far, for trimming; never taken back. */
	uint64_t ticks;
	/* The last size change made buffers smaller. */
	bool shrank;
	size_t slot;
	unsigned int empty_frames;
	/* Counters of pools already destroyed. */
	struct sealshm_client_stats retired;
	uint64_t bytes_peak;
	struct client_formats formats;
};

static void
destroy_pool(struct sealshm_swapchain *sc, struct sealshm_client_pool *pool)
{
	sc->retired.pools_created += pool->stats.pools_created;
	sc->retired.pool_grows += pool->stats.pool_grows;
	sc->retired.buffers_allocated += pool->stats.buffers_allocated;
	sc->retired.bytes_punched += pool->stats.bytes_punched;
	sealshm_client_pool_destroy(pool);
}

/*
 * @p surplus: the buffer went unused for SEALSHM_SWAPCHAIN_TRIM_FRAMES
 * acquisitions, so its slot is not wanted back soon.  Otherwise it was
 * dropped for its size, and the next buffer most likely takes the same
 * offset: the pages stay backed for SEALSHM_SWAPCHAIN_PUNCH_FRAMES
 * acquisitions rather than being punched and allocated again at once.
 */
static void
destroy_buffer(struct sealshm_swapchain *sc,
	       struct sealshm_client_buffer *buffer, bool surplus)
{
	struct sealshm_client_pool *pool = buffer->pool;
	bool last = pool->used == buffer->slot_size;

	if (pool->retiring) {
		/* Nothing reuses a retiring pool's slots, and punching a
		 * pool about to be destroyed is wasted work. */
		client_buffer_free(buffer, !last);
		if (last)
			destroy_pool(sc, pool);
	} else if (surplus) {
		client_buffer_free(buffer, true);
	} else {
		client_buffer_free_idle(buffer, sc->ticks);
	}
}

/* The compositor may still read a busy buffer: its slot must be neither
 * reused nor punched before wl_buffer.release. */
static void
drop_buffer(struct sealshm_swapchain *sc, struct sealshm_client_buffer *buffer)
{
	if (buffer->busy)
		buffer->doomed = true;
	else
		destroy_buffer(sc, buffer, false);
}

static void
handle_release(void *data, struct wl_buffer *wl_buffer)
{
	struct sealshm_client_buffer *buffer = data;

	buffer->busy = false;
	if (buffer->doomed)
		destroy_buffer(buffer->pool->swapchain, buffer, false);
}

static const struct wl_buffer_listener buffer_listener = {
	.release = handle_release,
};

SEALSHM_EXPORT struct sealshm_swapchain *
sealshm_swapchain_create(struct wl_shm *shm)
{
	struct sealshm_swapchain *sc;

	assert(shm);
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return NULL;
	sc->shm = shm;
	wl_list_init(&sc->pools);
	wl_list_init(&sc->buffers);
	return sc;
}

SEALSHM_EXPORT void
sealshm_swapchain_destroy(struct sealshm_swapchain *sc)
{
	struct sealshm_client_buffer *buffer, *btmp;
	struct sealshm_client_pool *pool, *ptmp;

	if (!sc)
		return;
	/* wl_surface.attach allows destroying a buffer the compositor holds
	 * as long as its storage does not change: no punching, no reuse. */
	wl_list_for_each_safe (buffer, btmp, &sc->buffers, swapchain_link)
		client_buffer_free(buffer, false);
	wl_list_for_each_safe (pool, ptmp, &sc->pools, swapchain_link)
		sealshm_client_pool_destroy(pool);
	client_formats_finish(&sc->formats);
	free(sc);
}

SEALSHM_EXPORT int
sealshm_swapchain_set_formats(struct sealshm_swapchain *sc,
			      const uint32_t *formats, size_t count)
{
	assert(sc);
	return client_formats_set(&sc->formats, formats, count);
}

static struct sealshm_client_pool *
current_pool(struct sealshm_swapchain *sc)
{
	struct sealshm_client_pool *pool;

	if (wl_list_empty(&sc->pools))
		return NULL;
	pool = wl_container_of(sc->pools.next, pool, swapchain_link);
	return pool->retiring ? NULL : pool;
}

static void
retire_pool(struct sealshm_swapchain *sc, struct sealshm_client_pool *pool)
{
	struct sealshm_client_buffer *buffer;
	struct wl_list *link, *next;
	bool last;

	pool->retiring = true;
	if (wl_list_empty(&pool->buffers)) {
		destroy_pool(sc, pool);
		return;
	}
	/* The compositor may keep the pool alive for long through a buffer
	 * it holds, and no new buffer will take these pages. */
	client_pool_punch_idle(pool, UINT64_MAX);
	/* Destroying the pool's last buffer destroys the pool with its
	 * list head, so the end is found before that happens. */
	link = pool->buffers.next;
	do {
		buffer = wl_container_of(link, buffer, link);
		next = link->next;
		last = next == &pool->buffers;
		drop_buffer(sc, buffer);
		link = next;
	} while (!last);
}

static void
update_peak(struct sealshm_swapchain *sc)
{
	struct sealshm_client_pool *pool;
	uint64_t bytes = 0;

	wl_list_for_each (pool, &sc->pools, swapchain_link)
		bytes += pool->size;
	if (bytes > sc->bytes_peak)
		sc->bytes_peak = bytes;
}

static void
drop_other_sizes(struct sealshm_swapchain *sc, int32_t width, int32_t height,
		 uint32_t format, size_t slot)
{
	struct sealshm_client_buffer *buffer, *tmp;

	/* A growing window is not about to leave its pool empty. */
	sc->shrank = slot < sc->slot;
	if (!sc->shrank)
		sc->empty_frames = 0;
	sc->slot = slot;

	wl_list_for_each_safe (buffer, tmp, &sc->buffers, swapchain_link) {
		if (buffer->width != width || buffer->height != height ||
		    buffer->format != format)
			drop_buffer(sc, buffer);
	}
	sc->width = width;
	sc->height = height;
	sc->format = format;
}

static void
trim(struct sealshm_swapchain *sc)
{
	struct sealshm_client_buffer *buffer, *tmp;

	wl_list_for_each_safe (buffer, tmp, &sc->buffers, swapchain_link) {
		if (!buffer->busy && sc->ticks - buffer->last_used >
					     SEALSHM_SWAPCHAIN_TRIM_FRAMES)
			destroy_buffer(sc, buffer, true);
	}
}

static void
punch_idle(struct sealshm_swapchain *sc)
{
	struct sealshm_client_pool *pool;
	uint64_t until;

	if (sc->ticks < SEALSHM_SWAPCHAIN_PUNCH_FRAMES)
		return;
	until = sc->ticks - SEALSHM_SWAPCHAIN_PUNCH_FRAMES;
	wl_list_for_each (pool, &sc->pools, swapchain_link)
		client_pool_punch_idle(pool, until);
}

static struct sealshm_client_buffer *
find_free(struct sealshm_swapchain *sc)
{
	struct sealshm_client_buffer *buffer, *best = NULL;

	/* Buffers of other sizes are gone or doomed (and so busy). */
	wl_list_for_each (buffer, &sc->buffers, swapchain_link) {
		if (!buffer->busy && (!best || buffer->frame > best->frame))
			best = buffer;
	}
	return best;
}

/*
 * A pool cannot shrink, so a window that became small keeps paying for
 * the big pool's address space, fd and server-side mapping (its unused
 * pages are punched within SEALSHM_SWAPCHAIN_PUNCH_FRAMES acquisitions).
 * Once the pool has stayed less than a quarter used for a while, start a
 * new one sized for the present need; the wait keeps an interactive
 * resize from bouncing between pools.
 */
static void
maybe_retire(struct sealshm_swapchain *sc, size_t slot)
{
	struct sealshm_client_pool *pool = current_pool(sc);
	struct sealshm_client_buffer *buffer;
	uint64_t need = 0;
	bool have_free = false;

	if (!pool || !sc->shrank)
		return;
	wl_list_for_each (buffer, &pool->buffers, link) {
		if (buffer->doomed)
			continue;
		need += buffer->slot_size;
		have_free = have_free || !buffer->busy;
	}
	if (!have_free)
		need += slot;
	if (pool->size <= SHRINK_MIN_POOL || need * 4 >= pool->size) {
		sc->empty_frames = 0;
		return;
	}
	if (++sc->empty_frames < SEALSHM_SWAPCHAIN_SHRINK_FRAMES)
		return;
	sc->empty_frames = 0;
	retire_pool(sc, pool);
}

static struct sealshm_client_buffer *
new_buffer(struct sealshm_swapchain *sc, size_t slot)
{
	struct sealshm_client_pool *pool = current_pool(sc);
	struct sealshm_client_buffer *buffer = NULL;
	size_t size;

	if (pool) {
		buffer = sealshm_client_pool_create_buffer(
			pool, sc->width, sc->height, sc->format);
		/* A full pool is retired and a fresh one takes over. */
		if (!buffer && errno == EOVERFLOW &&
		    !wl_list_empty(&pool->buffers))
			retire_pool(sc, pool);
		else if (!buffer)
			return NULL;
	}
	if (!buffer) {
		/* Room for double buffering from the start. */
		size = slot <= INT32_MAX / 2 ? slot * 2 : slot;
		pool = sealshm_client_pool_create(sc->shm, size);
		if (!pool)
			return NULL;
		pool->swapchain = sc;
		wl_list_insert(&sc->pools, &pool->swapchain_link);
		buffer = sealshm_client_pool_create_buffer(
			pool, sc->width, sc->height, sc->format);
		if (!buffer) {
			int err = errno;

			destroy_pool(sc, pool);
			errno = err;
			return NULL;
		}
	}
	wl_buffer_add_listener(buffer->wl_buffer, &buffer_listener, buffer);
	wl_list_insert(&sc->buffers, &buffer->swapchain_link);
	update_peak(sc);
	return buffer;
}

SEALSHM_EXPORT struct sealshm_client_buffer *
sealshm_swapchain_acquire(struct sealshm_swapchain *sc, int32_t width,
			  int32_t height, uint32_t format)
{
	struct sealshm_client_buffer *buffer;
	uint64_t frame;
	int32_t stride;
	size_t slot;

	assert(sc);
	if (client_formats_check(&sc->formats, format) < 0 ||
	    client_buffer_layout(width, height, format, &stride, &slot) < 0)
		return NULL;
	/* Slots freed here are stamped like those released since the last
	 * acquisition: this one is their first chance of reuse. */
	if (width != sc->width || height != sc->height || format != sc->format)
		drop_other_sizes(sc, width, height, format, slot);

	frame = sc->frame + 1;
	sc->ticks++;
	trim(sc);
	maybe_retire(sc, slot);

	buffer = find_free(sc);
	if (!buffer)
		buffer = new_buffer(sc, slot);
	if (!buffer)
		return NULL;
	/* After the new buffer took what it could of the idle ranges. */
	punch_idle(sc);

	if (buffer->frame == 0 || frame - buffer->frame > INT_MAX)
		buffer->age = buffer->frame ? INT_MAX : 0;
	else
		buffer->age = (int)(frame - buffer->frame);
	buffer->frame = frame;
	buffer->last_used = sc->ticks;
	buffer->busy = true;
	sc->frame = frame;
	return buffer;
}

SEALSHM_EXPORT void
sealshm_swapchain_cancel(struct sealshm_swapchain *sc,
			 struct sealshm_client_buffer *buffer)
{
	assert(sc && buffer && buffer->busy);
	assert(buffer->pool->swapchain == sc);
	/* Undoing the newest frame keeps the other buffers' ages exact;
	 * undoing an older one leaves them one too high, which only costs
	 * a larger repaint. */
	if (buffer->frame == sc->frame)
		sc->frame--;
	buffer->frame = 0;
	buffer->busy = false;
	if (buffer->doomed)
		destroy_buffer(sc, buffer, false);
}

SEALSHM_EXPORT void
sealshm_swapchain_get_stats(struct sealshm_swapchain *sc,
			    struct sealshm_client_stats *stats)
{
	struct sealshm_client_pool *pool;
	struct sealshm_client_stats ps;

	assert(sc && stats);
	*stats = sc->retired;
	wl_list_for_each (pool, &sc->pools, swapchain_link) {
		client_pool_read_stats(pool, &ps);
		stats->pools_created += ps.pools_created;
		stats->pool_grows += ps.pool_grows;
		stats->buffers_allocated += ps.buffers_allocated;
		stats->bytes_punched += ps.bytes_punched;
		stats->bytes_now += ps.bytes_now;
		stats->pools_now += ps.pools_now;
		stats->bytes_backed += ps.bytes_backed;
	}
	stats->bytes_peak = sc->bytes_peak;
}
