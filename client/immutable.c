/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 */

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <wayland-client-protocol.h>

#include "client-private.h"
#include "export.h"
#include "format.h"
#include "shm-file.h"

#define IMMUTABLE_SEALS                                                        \
	(F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL)

struct fill {
	/* from pixels */
	const uint8_t *pixels;
	int32_t pixels_stride;
	/* or drawn */
	sealshm_draw_func_t draw;
	void *user_data;
};

static int
write_all(int fd, const uint8_t *data, size_t len, off_t offset)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, data, len, offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		data += n;
		len -= (size_t)n;
		offset += n;
	}
	return 0;
}

/* Pixels from the caller go in with pwrite: no writable mapping ever
 * exists, so there is none to forget before F_SEAL_WRITE. */
static int
fill_from_pixels(int fd, const struct fill *fill, int32_t height,
		 int32_t stride, size_t row)
{
	for (int32_t y = 0; y < height; y++) {
		if (write_all(fd,
			      fill->pixels +
				      (size_t)y * (size_t)fill->pixels_stride,
			      row, (off_t)y * stride) < 0)
			return -1;
	}
	return 0;
}

static int
fill_drawn(int fd, const struct fill *fill, size_t size, int32_t width,
	   int32_t height, int32_t stride, uint32_t format)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -1;
	fill->draw(p, width, height, stride, format, fill->user_data);
	/* F_SEAL_WRITE fails with EBUSY while a writable mapping exists. */
	return munmap(p, size);
}

static struct wl_buffer *
create_immutable(struct wl_shm *shm, int32_t width, int32_t height,
		 uint32_t format, const struct fill *fill)
{
	struct wl_shm_pool *wl_pool;
	struct wl_buffer *wl_buffer;
	size_t size, row;
	int32_t stride;
	int fd, err, ret;

	assert(shm);
	if (client_buffer_layout(width, height, format, &stride, &size) < 0)
		return NULL;
	row = (size_t)stride;
	if (fill->pixels) {
		/* The caller's rows need not be padded like ours. */
		row = (size_t)width * format_lookup(format)->bytes_per_pixel;
		if (fill->pixels_stride < 0 ||
		    (size_t)fill->pixels_stride < row) {
			errno = EINVAL;
			return NULL;
		}
	}

	fd = shm_file_create_sealable("sealshm-immutable");
	if (fd < 0) {
		if (errno == EINVAL)
			errno = ENOSYS;
		return NULL;
	}
	do {
		err = posix_fallocate(fd, 0, (off_t)size);
	} while (err == EINTR);
	if (err == EOPNOTSUPP || err == EINVAL)
		err = ftruncate(fd, (off_t)size) < 0 ? errno : 0;
	if (err) {
		errno = err;
		goto err_fd;
	}

	if (fill->pixels)
		ret = fill_from_pixels(fd, fill, height, stride, row);
	else
		ret = fill_drawn(fd, fill, size, width, height, stride, format);
	if (ret < 0)
		goto err_fd;

	if (fcntl(fd, F_ADD_SEALS, IMMUTABLE_SEALS) < 0) {
		if (errno == EINVAL)
			errno = ENOSYS;
		goto err_fd;
	}
	if ((shm_file_get_seals(fd) & IMMUTABLE_SEALS) != IMMUTABLE_SEALS) {
		errno = ENOTRECOVERABLE;
		goto err_fd;
	}

	wl_pool = wl_shm_create_pool(shm, fd, (int32_t)size);
	if (!wl_pool)
		goto err_fd;
	wl_buffer = wl_shm_pool_create_buffer(wl_pool, 0, width, height, stride,
					      format);
	/* The server's pool lives on as long as its buffer does. */
	wl_shm_pool_destroy(wl_pool);
	if (!wl_buffer)
		goto err_fd;
	close(fd);
	return wl_buffer;

err_fd:
	err = errno;
	close(fd);
	errno = err;
	return NULL;
}

SEALSHM_EXPORT struct wl_buffer *
sealshm_immutable_buffer_create(struct wl_shm *shm, int32_t width,
				int32_t height, uint32_t format,
				const void *pixels, int32_t pixels_stride)
{
	struct fill fill = {
		.pixels = pixels,
		.pixels_stride = pixels_stride,
	};

	if (!pixels) {
		errno = EINVAL;
		return NULL;
	}
	return create_immutable(shm, width, height, format, &fill);
}

SEALSHM_EXPORT struct wl_buffer *
sealshm_immutable_buffer_create_drawn(struct wl_shm *shm, int32_t width,
				      int32_t height, uint32_t format,
				      sealshm_draw_func_t draw, void *user_data)
{
	struct fill fill = {
		.draw = draw,
		.user_data = user_data,
	};

	if (!draw) {
		errno = EINVAL;
		return NULL;
	}
	return create_immutable(shm, width, height, format, &fill);
}
