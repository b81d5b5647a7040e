/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 */

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <wayland-server-core.h>

#include "buffer.h"
#include "export.h"
#include "pool.h"
#include "sealshm-shm-server-protocol.h"
#include "shm.h"

/* From libwayland-server; wayland-server-protocol.h would clash with ours. */
extern const struct wl_interface wl_buffer_interface;

struct wl_buffer_requests {
	void (*destroy)(struct wl_client *client, struct wl_resource *resource);
};

struct sealshm_buffer {
	int refcount;
	struct wl_resource *resource; /* NULL once destroyed */
	struct pool *pool;
	struct pool_mapping *mapping; /* NULL in the copy tier */
	int64_t offset;
	int32_t width, height, stride;
	uint32_t format;
	uint32_t bytes_per_pixel;
	/* every plane's bytes from offset; planar YUV has more than rows */
	size_t size;
	bool planar;
	/*
	 * Into the mapping, or the copy tier's own memory: allocated once,
	 * so the pointer never changes.
	 */
	void *data;
	/*
	 * Copy tier: the rows the last outermost access read, as boxes
	 * (0, y1) - (1, y2), and the bytes from the buffer's start the file
	 * covered then.  A write-back stays within both: other rows hold
	 * older pixels, and writing past the file's end would grow it.
	 */
	pixman_region32_t rows_read;
	size_t copied;
	/* Copy tier: whether an access wrote since the outermost begin. */
	bool dirty;
	/* Copy tier: bytes charged to the client for data. */
	size_t charged;
	pixman_image_t *image;
	/* Balances begin/end access, possibly from several threads. */
	atomic_int accesses;
	struct wl_signal destroy_signal;
};

static void
buffer_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct wl_buffer_requests wl_buffer_impl = {
	.destroy = buffer_destroy,
};

static void
buffer_resource_destroy(struct wl_resource *resource)
{
	struct sealshm_buffer *buffer = wl_resource_get_user_data(resource);

	if (!buffer)
		return;
	buffer->resource = NULL;
	sealshm_buffer_unref(buffer);
}

void
buffer_create_inert(struct wl_resource *pool_resource, uint32_t id)
{
	struct wl_client *client = wl_resource_get_client(pool_resource);
	struct wl_resource *resource;

	resource = wl_resource_create(client, &wl_buffer_interface, 1, id);
	if (!resource) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &wl_buffer_impl, NULL,
				       buffer_resource_destroy);
}

static void reject_buffer(struct pool *pool, struct wl_resource *resource,
			  uint32_t code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
reject_buffer(struct pool *pool, struct wl_resource *resource, uint32_t code,
	      const char *fmt, ...)
{
	va_list args;

	pool->owner->shm->stats.buffers_rejected++;
	va_start(args, fmt);
	shm_client_verror(pool->owner, resource, code, fmt, args);
	va_end(args);
}

/* All in 64 bits: no product or sum of two int32 can overflow there. */
static bool
check_geometry(struct pool *pool, struct wl_resource *resource,
	       const struct format_info *info, int64_t offset, int64_t width,
	       int64_t height, int64_t stride)
{

	struct sealshm *shm = pool->owner->shm;

	if (width <= 0 || height <= 0) {
		reject_buffer(pool, resource, WL_SHM_ERROR_INVALID_STRIDE,
			      "buffer size %" PRId64 "x%" PRId64 " is empty; "
			      "width and height must be > 0",
			      width, height);
		return false;
	}
	if (width > shm->max_buffer_width || height > shm->max_buffer_height) {
		reject_buffer(pool, resource, WL_SHM_ERROR_INVALID_STRIDE,
			      "buffer size %" PRId64 "x%" PRId64 " exceeds the "
			      "compositor's limit of %" PRId32 "x%" PRId32
			      "; draw smaller buffers",
			      width, height, shm->max_buffer_width,
			      shm->max_buffer_height);
		return false;
	}
	if (offset < 0) {
		reject_buffer(pool, resource, WL_SHM_ERROR_INVALID_STRIDE,
			      "offset %" PRId64 " is negative; pass the "
			      "buffer's byte offset in the pool",
			      offset);
		return false;
	}
	if (stride < width * info->bytes_per_pixel) {
		reject_buffer(pool, resource, WL_SHM_ERROR_INVALID_STRIDE,
			      "stride %" PRId64 " < width %" PRId64
			      " * %" PRIu32
			      " bytes per %s pixel; raise the stride",
			      stride, width, info->bytes_per_pixel, info->name);
		return false;
	}
	if (stride % info->bytes_per_pixel != 0) {
		reject_buffer(pool, resource, WL_SHM_ERROR_INVALID_STRIDE,
			      "stride %" PRId64
			      " is not a multiple of the %" PRIu32
			      "-byte %s pixel; round it up",
			      stride, info->bytes_per_pixel, info->name);
		return false;
	}
	/* pixman reads rows as 32-bit words. */
	if (info->pixman_format != 0 && stride % 4 != 0) {
		reject_buffer(pool, resource, WL_SHM_ERROR_INVALID_STRIDE,
			      "stride %" PRId64 " is not a multiple of 4, "
			      "which pixman needs for %s rows; round it up",
			      stride, info->name);
		return false;
	}
	if (info->chroma_planes == 0 && offset + stride * height > pool->size) {
		reject_buffer(pool, resource, WL_SHM_ERROR_INVALID_STRIDE,
			      "offset %" PRId64 " + stride %" PRId64
			      " * height %" PRId64 " > pool size %" PRId32
			      "; resize the pool "
			      "first",
			      offset, stride, height, pool->size);
		return false;
	}
	/* Renderers read the chroma planes right after the luma plane. */
	if (info->chroma_planes != 0 &&
	    offset + (int64_t)format_buffer_size(info, stride, height) >
		    pool->size) {
		reject_buffer(pool, resource, WL_SHM_ERROR_INVALID_STRIDE,
			      "offset %" PRId64 " + %" PRIu64 " bytes of %s "
			      "planes (stride %" PRId64 ") > pool size %" PRId32
			      "; resize the pool first",
			      offset, format_buffer_size(info, stride, height),
			      info->name, stride, pool->size);
		return false;
	}
	return true;
}

void
buffer_create(struct pool *pool, struct wl_resource *pool_resource, uint32_t id,
	      int32_t offset, int32_t width, int32_t height, int32_t stride,
	      uint32_t format)
{
	struct wl_client *client = wl_resource_get_client(pool_resource);
	const struct format_info *info;
	struct sealshm_buffer *buffer;
	size_t size;

	info = shm_get_format(pool->owner->shm, format);
	if (!info) {
		const struct format_info *known = format_lookup(format);
		char name[32] = "";

		if (known)
			snprintf(name, sizeof(name), "%s (", known->name);
		reject_buffer(pool, pool_resource, WL_SHM_ERROR_INVALID_FORMAT,
			      "format %s0x%08" PRIx32 "%s is not advertised; "
			      "use one from the wl_shm.format events",
			      name, format, known ? ")" : "");
		return;
	}
	if (pool->owner->buffers >= pool->owner->shm->max_buffers_per_client) {
		reject_buffer(pool, pool_resource, WL_SHM_ERROR_INVALID_STRIDE,
			      "client holds %" PRIu32 " buffers, the limit; "
			      "destroy unused buffers",
			      pool->owner->buffers);
		return;
	}
	if (!check_geometry(pool, pool_resource, info, offset, width, height,
			    stride))
		return;
	size = (size_t)format_buffer_size(info, stride, height);
	/* A copy-tier buffer costs its size in our memory. */
	if (!pool->mapping &&
	    (pool->owner->bytes + size >
		     pool->owner->shm->max_bytes_per_client ||
	     pool->owner->shm->bytes + size > pool->owner->shm->max_bytes)) {
		reject_buffer(
			pool, pool_resource, WL_SHM_ERROR_INVALID_STRIDE,
			"copied buffers would exceed the limit of %" PRIu64
			" bytes per client; destroy unused buffers",
			pool->owner->shm->max_bytes_per_client);
		return;
	}

	buffer = calloc(1, sizeof(*buffer));
	if (!buffer)
		goto err_no_memory;
	buffer->refcount = 1;
	pixman_region32_init(&buffer->rows_read);
	buffer->pool = pool_ref(pool);
	pool->owner->buffers++;
	pool->owner->shm->stats.buffers++;
	buffer->offset = offset;
	buffer->width = width;
	buffer->height = height;
	buffer->stride = stride;
	buffer->format = format;
	buffer->bytes_per_pixel = info->bytes_per_pixel;
	buffer->size = size;
	buffer->planar = info->chroma_planes != 0;
	wl_signal_init(&buffer->destroy_signal);

	if (pool->mapping) {
		buffer->mapping = pool_mapping_ref(pool->mapping);
		buffer->data = (char *)buffer->mapping->data + offset;
	} else {
		/* calloc of a large size maps lazily: unread buffers cost
		 * address space, not memory. */
		buffer->data = calloc(1, size);
		if (!buffer->data)
			goto err_buffer;
		buffer->charged = size;
		shm_client_charge(pool->owner, (int64_t)size);
	}

	if (info->pixman_format != 0) {
		buffer->image =
			pixman_image_create_bits(info->pixman_format, width,
						 height, buffer->data, stride);
		if (!buffer->image)
			goto err_buffer;
	}

	buffer->resource =
		wl_resource_create(client, &wl_buffer_interface, 1, id);
	if (!buffer->resource)
		goto err_buffer;
	wl_resource_set_implementation(buffer->resource, &wl_buffer_impl,
				       buffer, buffer_resource_destroy);
	pool->owner->shm->stats.buffers_created++;
	return;

err_buffer:
	sealshm_buffer_unref(buffer);
err_no_memory:
	wl_client_post_no_memory(client);
}

static void
buffer_free(struct sealshm_buffer *buffer)
{
	wl_signal_emit(&buffer->destroy_signal, buffer);
	if (buffer->image)
		pixman_image_unref(buffer->image);
	if (buffer->mapping)
		pool_mapping_unref(buffer->mapping);
	else
		free(buffer->data);
	shm_client_charge(buffer->pool->owner, -(int64_t)buffer->charged);
	buffer->pool->owner->buffers--;
	buffer->pool->owner->shm->stats.buffers--;
	pixman_region32_fini(&buffer->rows_read);
	pool_unref(buffer->pool);
	free(buffer);
}

SEALSHM_EXPORT struct sealshm_buffer *
sealshm_buffer_from_resource(struct wl_resource *resource)
{
	if (!resource)
		return NULL;
	if (!wl_resource_instance_of(resource, &wl_buffer_interface,
				     &wl_buffer_impl))
		return NULL;
	return wl_resource_get_user_data(resource);
}

SEALSHM_EXPORT struct sealshm_buffer *
sealshm_buffer_ref(struct sealshm_buffer *buffer)
{
	assert(buffer && buffer->refcount > 0);
	buffer->refcount++;
	return buffer;
}

SEALSHM_EXPORT void
sealshm_buffer_unref(struct sealshm_buffer *buffer)
{
	if (!buffer)
		return;
	assert(buffer->refcount > 0);
	if (--buffer->refcount > 0)
		return;
	assert(atomic_load(&buffer->accesses) == 0);
	buffer_free(buffer);
}

SEALSHM_EXPORT struct wl_resource *
sealshm_buffer_get_resource(struct sealshm_buffer *buffer)
{
	assert(buffer);
	return buffer->resource;
}

SEALSHM_EXPORT int32_t
sealshm_buffer_get_width(struct sealshm_buffer *buffer)
{
	assert(buffer);
	return buffer->width;
}

SEALSHM_EXPORT int32_t
sealshm_buffer_get_height(struct sealshm_buffer *buffer)
{
	assert(buffer);
	return buffer->height;
}

SEALSHM_EXPORT int32_t
sealshm_buffer_get_stride(struct sealshm_buffer *buffer)
{
	assert(buffer);
	return buffer->stride;
}

SEALSHM_EXPORT uint32_t
sealshm_buffer_get_format(struct sealshm_buffer *buffer)
{
	assert(buffer);
	return buffer->format;
}

SEALSHM_EXPORT bool
sealshm_buffer_is_read_only(struct sealshm_buffer *buffer)
{
	assert(buffer);
	return buffer->pool->read_only;
}

SEALSHM_EXPORT bool
sealshm_buffer_is_immutable(struct sealshm_buffer *buffer)
{
	assert(buffer);
	return buffer->pool->immutable;
}

SEALSHM_EXPORT bool
sealshm_buffer_is_copied(struct sealshm_buffer *buffer)
{
	assert(buffer);
	return buffer->mapping == NULL;
}

/* What one copy_in() or sealshm_buffer_copy_to() asked for and got. */
struct copy_pass {
	size_t wanted, done;
	int err;
	/* mapped pool: read with pread instead of from the mapping */
	bool pread;
	/* mapped pool: bytes found in the page cache by the last check */
	size_t checked_start, checked_end;
};

/*
 * The client may have truncated its unsealed file, or never made it as
 * large as the pool (the copy tier does not check at create or resize):
 * read what is there and zero the rest.  pread past the end returns
 * short, it cannot fault.  @p pos counts from the buffer's first byte.
 */
static size_t
read_file(struct sealshm_buffer *buffer, size_t pos, char *dst, size_t len,
	  struct copy_pass *pass)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = pread(buffer->pool->file->fd, dst + done, len - done,
			  (off_t)buffer->offset + (off_t)(pos + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			pass->err = errno;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	if (done < len)
		memset(dst + done, 0, len - done);
	pass->wanted += len;
	pass->done += done;
	return done;
}

static void
read_rows(struct sealshm_buffer *buffer, int32_t y1, int32_t y2,
	  struct copy_pass *pass)
{
	size_t start = (size_t)y1 * (size_t)buffer->stride;
	size_t len = (size_t)(y2 - y1) * (size_t)buffer->stride;
	size_t done;

	if (y1 >= y2)
		return;
	done = read_file(buffer, start, (char *)buffer->data + start, len,
			 pass);
	pixman_region32_union_rect(&buffer->rows_read, &buffer->rows_read, 0,
				   y1, 1, (unsigned)(y2 - y1));
	if (done < len && start + done < buffer->copied)
		buffer->copied = start + done;
}

static void
report_short_read(struct sealshm_buffer *buffer, const struct copy_pass *pass)
{
	struct pool *pool = buffer->pool;

	pool->owner->shm->stats.copy_short_reads++;
	/* On the wl_buffer, where libwayland posts its own access errors. */
	if (!pool->owner->errored && (buffer->resource || pool->resource))
		shm_client_error(
			pool->owner,
			buffer->resource ? buffer->resource : pool->resource,
			WL_SHM_ERROR_INVALID_FD,
			"read %zu of %zu bytes of a buffer (%s); keep the "
			"file >= the pool, seal it F_SEAL_SHRINK",
			pass->done, pass->wanted,
			pass->err ? strerror(pass->err) : "file too short");
}

/* Planar YUV: the planes after the luma rows, which copy_in read whole. */
static void
read_chroma(struct sealshm_buffer *buffer, struct copy_pass *pass)
{
	size_t start = (size_t)buffer->height * (size_t)buffer->stride;
	size_t done;

	done = read_file(buffer, start, (char *)buffer->data + start,
			 buffer->size - start, pass);
	if (done < buffer->size - start && start + done < buffer->copied)
		buffer->copied = start + done;
}

/*
 * One pread per run of rows the damage touches: whole rows keep each run
 * one contiguous read, and pixman's boxes come sorted by y1, so runs
 * merge in one pass.
 */
static void
copy_in(struct sealshm_buffer *buffer, const pixman_region32_t *damage)
{
	pixman_box32_t all = { 0, 0, buffer->width, buffer->height };
	struct copy_pass pass = { 0 };
	int32_t run_y1 = 0, run_y2 = 0, y1, y2;
	const pixman_box32_t *boxes = &all;
	int n_boxes = 1;

	pixman_region32_clear(&buffer->rows_read);
	buffer->copied = buffer->size;
	/* Chroma planes have rows of other sizes: all or nothing. */
	if (damage && !buffer->planar)
		boxes = pixman_region32_rectangles(damage, &n_boxes);
	for (int i = 0; i < n_boxes; i++) {
		if (boxes[i].x2 <= 0 || boxes[i].x1 >= buffer->width)
			continue;
		y1 = boxes[i].y1 > 0 ? boxes[i].y1 : 0;
		y2 = boxes[i].y2 < buffer->height ? boxes[i].y2
						  : buffer->height;
		if (y1 >= y2)
			continue;
		if (y1 <= run_y2 && run_y2 > run_y1) {
			if (y2 > run_y2)
				run_y2 = y2;
			continue;
		}
		read_rows(buffer, run_y1, run_y2, &pass);
		run_y1 = y1;
		run_y2 = y2;
	}
	read_rows(buffer, run_y1, run_y2, &pass);
	if (buffer->planar)
		read_chroma(buffer, &pass);
	if (pass.done < pass.wanted)
		report_short_read(buffer, &pass);
}

static void
copy_out(struct sealshm_buffer *buffer)
{
	const pixman_box32_t *rows;
	const char *src = buffer->data;
	size_t done, end;
	int n_rows;
	ssize_t n;

	rows = pixman_region32_rectangles(&buffer->rows_read, &n_rows);
	for (int i = 0; i < n_rows; i++) {
		done = (size_t)rows[i].y1 * (size_t)buffer->stride;
		end = (size_t)rows[i].y2 * (size_t)buffer->stride;
		/* planar: the chroma planes follow the last row */
		if (buffer->planar && rows[i].y2 == buffer->height)
			end = buffer->size;
		if (end > buffer->copied)
			end = buffer->copied;
		while (done < end) {
			n = pwrite(buffer->pool->file->fd, src + done,
				   end - done,
				   (off_t)buffer->offset + (off_t)done);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				shm_log(buffer->pool->owner->shm,
					SEALSHM_LOG_DEBUG,
					"writing a copied buffer back failed: "
					"%s",
					n < 0 ? strerror(errno)
					      : "no progress");
				return;
			}
			done += (size_t)n;
		}
	}
}

SEALSHM_EXPORT void *
sealshm_buffer_begin_access_region(struct sealshm_buffer *buffer,
				   const pixman_region32_t *damage)
{
	assert(buffer);
	if (atomic_fetch_add(&buffer->accesses, 1) == 0 && !buffer->mapping)
		copy_in(buffer, damage);
	return buffer->data;
}

SEALSHM_EXPORT void *
sealshm_buffer_begin_access(struct sealshm_buffer *buffer)
{
	return sealshm_buffer_begin_access_region(buffer, NULL);
}

SEALSHM_EXPORT void
sealshm_buffer_end_access(struct sealshm_buffer *buffer, bool wrote)
{
	int before;

	assert(buffer);
	assert(!wrote || !buffer->pool->read_only);
	if (wrote && !buffer->mapping)
		buffer->dirty = true;
	before = atomic_fetch_sub(&buffer->accesses, 1);
	assert(before > 0);
	if (before == 1 && buffer->dirty) {
		buffer->dirty = false;
		copy_out(buffer);
	}
}


/*
 * Whether a page of bytes [@p pos, @p pos + @p len) of the mapped buffer
 * is not in the file's page cache: a hole (punched, or never written) or
 * swapped out.  Reading it through the mapping would fault it in, charging
 * a zeroed page to the compositor for a hole, and a fault in a range the
 * client is punching waits for the punch; pread of a hole returns zeros
 * without allocating and does not wait.  mincore asks the page cache only,
 * with no side effect on the client's file (lseek(SEEK_HOLE) would move
 * its offset).
 */
static bool
has_missing_pages(struct sealshm_buffer *buffer, size_t pos, size_t len)
{
	const uintptr_t page = 4096;
	uintptr_t start = ((uintptr_t)buffer->data + pos) & ~(page - 1);
	uintptr_t end = (uintptr_t)buffer->data + pos + len;
	unsigned char vec[1024];

	while (start < end) {
		size_t chunk = end - start;
		size_t pages;

		if (chunk > sizeof(vec) * page)
			chunk = sizeof(vec) * page;
		pages = (chunk + page - 1) / page;
		if (mincore((void *)start, chunk, vec) < 0)
			return true;
		for (size_t i = 0; i < pages; i++) {
			if (!(vec[i] & 1))
				return true;
		}
		start += chunk;
	}
	return false;
}

/*
 * How much of a mapped buffer one mincore check covers.  A check cannot
 * stop a punch that starts right after it: the reads of that window fault
 * and each fault waits for the punch, so a window bounds that wait to 32
 * pages; the next window's check sees the holes and switches to pread.
 */
#define COPY_CHECK_WINDOW (128 * 1024)

/*
 * Check the window from @p pos on, and read with pread from now on if it
 * misses pages.
 */
static void
check_window(struct sealshm_buffer *buffer, size_t pos, struct copy_pass *pass)
{
	size_t end = buffer->size - pos > COPY_CHECK_WINDOW
			     ? pos + COPY_CHECK_WINDOW
			     : buffer->size;

	if (has_missing_pages(buffer, pos, end - pos)) {
		pass->pread = true;
		/* copy_to of mapped pools may run on any thread. */
		__atomic_fetch_add(
			&buffer->pool->owner->shm->stats.copy_to_preads, 1,
			__ATOMIC_RELAXED);
		return;
	}
	pass->checked_start = pos;
	pass->checked_end = end;
}

/*
 * @p pos counts from the buffer's first byte.  A mapped buffer is copied
 * from the mapping one checked window at a time, until a window misses
 * pages; the rest, and copied buffers, are read with pread.
 */
static void
copy_bytes(struct sealshm_buffer *buffer, size_t pos, char *dst, size_t len,
	   struct copy_pass *pass)
{
	size_t n;

	while (len > 0 && buffer->mapping && !pass->pread) {
		if (pos < pass->checked_start || pos >= pass->checked_end) {
			check_window(buffer, pos, pass);
			continue;
		}
		n = pass->checked_end - pos < len ? pass->checked_end - pos
						  : len;
		memcpy(dst, (const char *)buffer->data + pos, n);
		pos += n;
		dst += n;
		len -= n;
	}
	if (len > 0)
		read_file(buffer, pos, dst, len, pass);
}

/* @p box is clipped to the buffer and not empty. */
static void
copy_box(struct sealshm_buffer *buffer, const pixman_box32_t *box, char *dst,
	 size_t dst_stride, struct copy_pass *pass)
{
	size_t stride = (size_t)buffer->stride;
	size_t bpp = buffer->bytes_per_pixel;
	size_t pos = (size_t)box->y1 * stride + (size_t)box->x1 * bpp;
	size_t len = (size_t)(box->x2 - box->x1) * bpp;
	int32_t rows = box->y2 - box->y1;

	dst += (size_t)box->y1 * dst_stride + (size_t)box->x1 * bpp;
	/* The copy tier pays a system call per piece: make it one. */
	if (dst_stride == stride && box->x1 == 0 && box->x2 == buffer->width) {
		copy_bytes(buffer, pos, dst, (size_t)(rows - 1) * stride + len,
			   pass);
		return;
	}
	for (int32_t y = 0; y < rows; y++)
		copy_bytes(buffer, pos + (size_t)y * stride,
			   dst + (size_t)y * dst_stride, len, pass);
}

SEALSHM_EXPORT int
sealshm_buffer_copy_to(struct sealshm_buffer *buffer,
		       const pixman_region32_t *damage, void *dst,
		       int32_t dst_stride)
{
	const pixman_box32_t *boxes;
	struct copy_pass pass = { 0 };
	pixman_box32_t all, box;
	int n_boxes = 1;

	assert(buffer && dst);
	all = (pixman_box32_t){ 0, 0, buffer->width, buffer->height };
	boxes = &all;
	if (buffer->planar || dst_stride < 0 ||
	    (uint64_t)dst_stride <
		    (uint64_t)buffer->width * buffer->bytes_per_pixel) {
		errno = EINVAL;
		return -1;
	}
	if (damage)
		boxes = pixman_region32_rectangles(damage, &n_boxes);
	for (int i = 0; i < n_boxes; i++) {
		box.x1 = boxes[i].x1 > 0 ? boxes[i].x1 : 0;
		box.y1 = boxes[i].y1 > 0 ? boxes[i].y1 : 0;
		box.x2 = boxes[i].x2 < buffer->width ? boxes[i].x2
						     : buffer->width;
		box.y2 = boxes[i].y2 < buffer->height ? boxes[i].y2
						      : buffer->height;
		if (box.x1 < box.x2 && box.y1 < box.y2)
			copy_box(buffer, &box, dst, (size_t)dst_stride, &pass);
	}
	if (pass.done < pass.wanted)
		report_short_read(buffer, &pass);
	return 0;
}

SEALSHM_EXPORT void *
sealshm_buffer_get_data(struct sealshm_buffer *buffer)
{
	assert(buffer);
	return buffer->data;
}

SEALSHM_EXPORT void
sealshm_buffer_add_destroy_listener(struct sealshm_buffer *buffer,
				    struct wl_listener *listener)
{
	assert(buffer && listener);
	wl_signal_add(&buffer->destroy_signal, listener);
}

SEALSHM_EXPORT struct wl_listener *
sealshm_buffer_get_destroy_listener(struct sealshm_buffer *buffer,
				    wl_notify_func_t notify)
{
	assert(buffer);
	return wl_signal_get(&buffer->destroy_signal, notify);
}

SEALSHM_EXPORT pixman_image_t *
sealshm_buffer_get_pixman_image(struct sealshm_buffer *buffer)
{
	assert(buffer);
	return buffer->image;
}
