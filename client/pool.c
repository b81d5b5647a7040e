/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 */

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <wayland-client-protocol.h>

#include "client-private.h"
#include "export.h"
#include "format.h"
#include "shm-file.h"

#define SEALS_WANTED (F_SEAL_SHRINK | F_SEAL_SEAL)

/*
 * A freed slot of a swapchain pool whose pages are still backed, kept for
 * the next buffer: during an interactive resize every frame drops a
 * buffer and makes a slightly different one at the same offset, and
 * punching the old slot only to allocate the same pages again would zero
 * and fault every page twice per frame.
 */
struct idle_range {
	/* sealshm_client_pool.idle, sorted by offset */
	struct wl_list link;
	size_t offset;
	size_t len;
	/* Swapchain tick at which the range was freed. */
	uint64_t since;
};

size_t
client_page_size(void)
{
	/* Not cached: sysconf reads the auxiliary vector, and a static
	 * cache would race between threads using different pools. */
	long page = sysconf(_SC_PAGESIZE);

	return page > 0 ? (size_t)page : 4096;
}

/* The largest pool: INT32_MAX rounded down to whole pages. */
static size_t
max_pool_size(void)
{
	return (size_t)INT32_MAX & ~(client_page_size() - 1);
}

/* Round up to whole pages; false when that would pass @p limit. */
static bool
page_round(size_t size, size_t limit, size_t *out)
{
	size_t page = client_page_size();

	if (size > SIZE_MAX - (page - 1))
		return false;
	*out = (size + page - 1) & ~(page - 1);
	return *out <= limit;
}

static uint32_t
gcd(uint32_t a, uint32_t b)
{
	while (b) {
		uint32_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

int
client_buffer_layout(int32_t width, int32_t height, uint32_t format,
		     int32_t *stride, size_t *slot_size)
{
	const struct format_info *info = format_lookup(format);
	uint64_t row, align, bytes;
	size_t slot;

	if (!info || width <= 0 || height <= 0) {
		errno = EINVAL;
		return -1;
	}
	/* Rows a multiple of 4 bytes let pixman (and so most compositors)
	 * wrap the pixels without a copy; a multiple of the pixel size is
	 * what wl_shm requires. */
	align = (uint64_t)info->bytes_per_pixel * 4 /
		gcd(info->bytes_per_pixel, 4);
	row = (uint64_t)width * info->bytes_per_pixel;
	row = (row + align - 1) / align * align;
	bytes = format_buffer_size(info, (int64_t)row, height);
	if (row > INT32_MAX || bytes > INT32_MAX ||
	    !page_round((size_t)bytes, max_pool_size(), &slot)) {
		errno = EOVERFLOW;
		return -1;
	}
	*stride = (int32_t)row;
	*slot_size = slot;
	return 0;
}

/*
 * Reserve address space for the pool's whole possible life, so that
 * growing maps the new part of the file right behind the old one and no
 * pointer into the pool ever moves.  PROT_NONE with MAP_NORESERVE costs
 * neither memory nor commit charge; where address space is tight (32-bit)
 * the reservation shrinks and the pool simply cannot grow as far.
 */
static void *
reserve(size_t min, size_t *reserved)
{
	size_t page = client_page_size();
	size_t want = max_pool_size();
	void *p;

	for (;;) {
		p = mmap(NULL, want, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p != MAP_FAILED) {
			*reserved = want;
			return p;
		}
		if (errno != ENOMEM || want / 2 < min)
			return NULL;
		want = (want / 2) & ~(page - 1);
	}
}

/* Allocate the pages of [offset, offset + len) now, so that a shortage
 * shows as an error here and not as a fault while the caller draws. */
static int
back_range(struct sealshm_client_pool *pool, size_t offset, size_t len)
{
	int err;

	do {
		err = posix_fallocate(pool->fd, (off_t)offset, (off_t)len);
	} while (err == EINTR);
	/* Filesystems without fallocate still work, as every other client's
	 * pools do: the pages come when first written. */
	if (err == EOPNOTSUPP || err == EINVAL)
		return 0;
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

static void
punch(struct sealshm_client_pool *pool, size_t offset, size_t len)
{
	/* A kernel without punch-hole keeps the pages; nothing is wrong,
	 * only less memory comes back. */
	if (fallocate(pool->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)offset, (off_t)len) == 0)
		pool->stats.bytes_punched += len;
}

/* The pages of [offset, offset + len) now belong to a buffer (or were
 * punched): forget the idle ranges there. */
static void
take_idle(struct sealshm_client_pool *pool, size_t offset, size_t len)
{
	struct idle_range *range, *tmp;
	size_t end = offset + len;

	wl_list_for_each_safe (range, tmp, &pool->idle, link) {
		if (range->offset >= end)
			break;
		if (range->offset + range->len <= offset)
			continue;
		/* Idle ranges lie in free space, and a slot starts where its
		 * free gap starts, so none begins before the slot. */
		assert(range->offset >= offset);
		if (range->offset + range->len <= end) {
			wl_list_remove(&range->link);
			free(range);
		} else {
			range->len -= end - range->offset;
			range->offset = end;
		}
	}
}

/*
 * Back a new buffer's slot.  Idle ranges in it still have their pages, so
 * only the gaps between them are allocated: posix_fallocate would walk
 * every page of a 4K buffer again just to find it present.
 */
static int
back_slot(struct sealshm_client_pool *pool, size_t offset, size_t len)
{
	struct idle_range *range;
	size_t at = offset, end = offset + len;
	int err;

	wl_list_for_each (range, &pool->idle, link) {
		if (range->offset >= end)
			break;
		if (range->offset + range->len <= at)
			continue;
		if (range->offset > at &&
		    back_range(pool, at, range->offset - at) < 0)
			goto err_punch;
		at = range->offset + range->len;
	}
	if (at < end && back_range(pool, at, end - at) < 0)
		goto err_punch;
	take_idle(pool, offset, len);
	return 0;

err_punch:
	/* Gaps allocated before the failure would stay backed unseen. */
	err = errno;
	punch(pool, offset, len);
	take_idle(pool, offset, len);
	errno = err;
	return -1;
}

/* Make the file, the client's mapping and the server's pool @p size
 * bytes long.  The file only ever grows (the seal forbids shrinking). */
static int
grow(struct sealshm_client_pool *pool, size_t size)
{
	struct stat st;
	void *p;

	if (fstat(pool->fd, &st) < 0)
		return -1;
	if ((uint64_t)st.st_size < size && ftruncate(pool->fd, (off_t)size) < 0)
		return -1;
	p = mmap(pool->base + pool->size, size - pool->size,
		 PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, pool->fd,
		 (off_t)pool->size);
	if (p == MAP_FAILED)
		return -1;
	if (pool->size)
		wl_shm_pool_resize(pool->wl_pool, (int32_t)size);
	pool->size = size;
	return 0;
}

SEALSHM_EXPORT struct sealshm_client_pool *
sealshm_client_pool_create(struct wl_shm *shm, size_t size)
{
	struct sealshm_client_pool *pool;
	size_t rounded;
	int seals;

	assert(shm);
	if (size == 0 || !page_round(size, max_pool_size(), &rounded)) {
		errno = EINVAL;
		return NULL;
	}

	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return NULL;
	wl_list_init(&pool->buffers);
	wl_list_init(&pool->idle);
	wl_list_init(&pool->swapchain_link);

	pool->fd = shm_file_create_sealable("sealshm-client");
	if (pool->fd < 0) {
		/* No memfd, or memfd without sealing: no silent fallback. */
		if (errno == ENOSYS || errno == EINVAL)
			errno = ENOSYS;
		goto err_free;
	}
	pool->base = reserve(rounded, &pool->reserved);
	if (!pool->base)
		goto err_fd;
	if (grow(pool, rounded) < 0)
		goto err_unmap;

	if (fcntl(pool->fd, F_ADD_SEALS, SEALS_WANTED) < 0) {
		if (errno == EINVAL)
			errno = ENOSYS;
		goto err_unmap;
	}
	/* Check what the server will check, not what was asked for: another
	 * seal (GROW, WRITE) would break the pool later, far from here. */
	seals = shm_file_get_seals(pool->fd);
	if (seals < 0)
		goto err_unmap;
	if ((seals & ~F_SEAL_EXEC) != SEALS_WANTED) {
		errno = ENOTRECOVERABLE;
		goto err_unmap;
	}

	pool->wl_pool = wl_shm_create_pool(shm, pool->fd, (int32_t)pool->size);
	if (!pool->wl_pool)
		goto err_unmap;
	pool->stats.pools_created = 1;
	return pool;

err_unmap:
	munmap(pool->base, pool->reserved);
err_fd:
	close(pool->fd);
err_free:
	free(pool);
	return NULL;
}

SEALSHM_EXPORT void
sealshm_client_pool_destroy(struct sealshm_client_pool *pool)
{
	if (!pool)
		return;
	assert(wl_list_empty(&pool->buffers));
	/* The file goes with the fd: punching idle ranges first would be
	 * wasted work. */
	take_idle(pool, 0, pool->size);
	wl_list_remove(&pool->swapchain_link);
	wl_shm_pool_destroy(pool->wl_pool);
	munmap(pool->base, pool->reserved);
	close(pool->fd);
	client_formats_finish(&pool->formats);
	free(pool);
}

SEALSHM_EXPORT int
sealshm_client_pool_set_formats(struct sealshm_client_pool *pool,
				const uint32_t *formats, size_t count)
{
	assert(pool);
	return client_formats_set(&pool->formats, formats, count);
}

/*
 * First fit over the gaps between buffers (kept sorted by offset): freed
 * neighbours merge by construction.  Returns the buffer to insert before
 * (the list head for the end) and the offset, or false when only the
 * pool's tail (from *offset) could fit it after growing.
 */
static bool
find_gap(struct sealshm_client_pool *pool, size_t len, size_t *offset,
	 struct wl_list **before)
{
	struct sealshm_client_buffer *b;
	size_t end = 0;

	wl_list_for_each (b, &pool->buffers, link) {
		if (b->offset - end >= len) {
			*offset = end;
			*before = &b->link;
			return true;
		}
		end = b->offset + b->slot_size;
	}
	*offset = end;
	*before = &pool->buffers;
	return pool->size - end >= len;
}

static int
grow_to_fit(struct sealshm_client_pool *pool, size_t end)
{
	size_t limit = pool->reserved;
	size_t size;

	/* The reservation never exceeds max_pool_size(). */
	if (end > limit) {
		errno = EOVERFLOW;
		return -1;
	}
	/* Doubling keeps a resize trace at O(log) grows. */
	size = pool->size <= limit / 2 ? pool->size * 2 : limit;
	if (size < end)
		size = end;
	if (grow(pool, size) < 0)
		return -1;
	pool->stats.pool_grows++;
	return 0;
}

SEALSHM_EXPORT struct sealshm_client_buffer *
sealshm_client_pool_create_buffer(struct sealshm_client_pool *pool,
				  int32_t width, int32_t height,
				  uint32_t format)
{
	struct sealshm_client_buffer *buffer;
	struct wl_list *before;
	size_t offset, slot;
	int32_t stride;

	assert(pool);
	assert(!pool->retiring);
	if (client_formats_check(&pool->formats, format) < 0 ||
	    client_buffer_layout(width, height, format, &stride, &slot) < 0)
		return NULL;

	buffer = calloc(1, sizeof(*buffer));
	if (!buffer)
		return NULL;
	wl_list_init(&buffer->swapchain_link);

	if (!find_gap(pool, slot, &offset, &before)) {
		if (offset > SIZE_MAX - slot) {
			errno = EOVERFLOW;
			goto err_free;
		}
		if (grow_to_fit(pool, offset + slot) < 0)
			goto err_free;
	}
	if (back_slot(pool, offset, slot) < 0)
		goto err_free;

	buffer->wl_buffer = wl_shm_pool_create_buffer(
		pool->wl_pool, (int32_t)offset, width, height, stride, format);
	if (!buffer->wl_buffer)
		goto err_punch;
	buffer->pool = pool;
	buffer->offset = offset;
	buffer->slot_size = slot;
	buffer->width = width;
	buffer->height = height;
	buffer->stride = stride;
	buffer->format = format;
	wl_list_insert(before->prev, &buffer->link);
	pool->used += slot;
	pool->stats.buffers_allocated++;
	return buffer;

err_punch:
	punch(pool, offset, slot);
err_free:
	free(buffer);
	return NULL;
}

void
client_buffer_free(struct sealshm_client_buffer *buffer, bool punch_pages)
{
	struct sealshm_client_pool *pool = buffer->pool;

	wl_buffer_destroy(buffer->wl_buffer);
	wl_list_remove(&buffer->link);
	wl_list_remove(&buffer->swapchain_link);
	pool->used -= buffer->slot_size;
	if (punch_pages)
		punch(pool, buffer->offset, buffer->slot_size);
	free(buffer);
}

void
client_buffer_free_idle(struct sealshm_client_buffer *buffer, uint64_t now)
{
	struct sealshm_client_pool *pool = buffer->pool;
	struct idle_range *range, *next;

	range = calloc(1, sizeof(*range));
	if (!range) {
		/* Unrecorded pages could never be punched later. */
		client_buffer_free(buffer, true);
		return;
	}
	range->offset = buffer->offset;
	range->len = buffer->slot_size;
	range->since = now;
	wl_list_for_each (next, &pool->idle, link) {
		if (next->offset > range->offset)
			break;
	}
	/* At the end of the list, next->link is the list head itself. */
	wl_list_insert(next->link.prev, &range->link);
	client_buffer_free(buffer, false);
}

void
client_pool_punch_idle(struct sealshm_client_pool *pool, uint64_t until)
{
	struct idle_range *range, *tmp;

	wl_list_for_each_safe (range, tmp, &pool->idle, link) {
		if (range->since > until)
			continue;
		punch(pool, range->offset, range->len);
		wl_list_remove(&range->link);
		free(range);
	}
}

SEALSHM_EXPORT void
sealshm_client_buffer_destroy(struct sealshm_client_buffer *buffer)
{
	if (!buffer)
		return;
	assert(!buffer->pool->swapchain);
	client_buffer_free(buffer, true);
}

SEALSHM_EXPORT size_t
sealshm_client_pool_get_size(struct sealshm_client_pool *pool)
{
	assert(pool);
	return pool->size;
}

SEALSHM_EXPORT int
sealshm_client_pool_get_fd(struct sealshm_client_pool *pool)
{
	assert(pool);
	return pool->fd;
}

void
client_pool_read_stats(struct sealshm_client_pool *pool,
		       struct sealshm_client_stats *stats)
{
	struct stat st;

	*stats = pool->stats;
	stats->bytes_now = pool->size;
	stats->bytes_peak = pool->size;
	stats->pools_now = 1;
	stats->bytes_backed =
		fstat(pool->fd, &st) == 0 ? (uint64_t)st.st_blocks * 512 : 0;
}

SEALSHM_EXPORT void
sealshm_client_pool_get_stats(struct sealshm_client_pool *pool,
			      struct sealshm_client_stats *stats)
{
	assert(pool && stats);
	client_pool_read_stats(pool, stats);
}

SEALSHM_EXPORT struct wl_buffer *
sealshm_client_buffer_get_wl_buffer(struct sealshm_client_buffer *buffer)
{
	assert(buffer);
	return buffer->wl_buffer;
}

SEALSHM_EXPORT void *
sealshm_client_buffer_get_data(struct sealshm_client_buffer *buffer)
{
	assert(buffer);
	return buffer->pool->base + buffer->offset;
}

SEALSHM_EXPORT int32_t
sealshm_client_buffer_get_width(struct sealshm_client_buffer *buffer)
{
	assert(buffer);
	return buffer->width;
}

SEALSHM_EXPORT int32_t
sealshm_client_buffer_get_height(struct sealshm_client_buffer *buffer)
{
	assert(buffer);
	return buffer->height;
}

SEALSHM_EXPORT int32_t
sealshm_client_buffer_get_stride(struct sealshm_client_buffer *buffer)
{
	assert(buffer);
	return buffer->stride;
}

SEALSHM_EXPORT uint32_t
sealshm_client_buffer_get_format(struct sealshm_client_buffer *buffer)
{
	assert(buffer);
	return buffer->format;
}

SEALSHM_EXPORT size_t
sealshm_client_buffer_get_offset(struct sealshm_client_buffer *buffer)
{
	assert(buffer);
	return buffer->offset;
}

SEALSHM_EXPORT bool
sealshm_client_buffer_is_busy(struct sealshm_client_buffer *buffer)
{
	assert(buffer);
	return buffer->busy;
}

SEALSHM_EXPORT int
sealshm_client_buffer_get_age(struct sealshm_client_buffer *buffer)
{
	assert(buffer);
	return buffer->age;
}
