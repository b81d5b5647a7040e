/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * The bench's clients.  The same client code runs against both servers, so
 * a difference in the numbers is a difference of the servers.  The frame
 * loop and the pool churn also run against a real compositor, on a mapped
 * xdg_toplevel (bench_client_run_external).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <wayland-client.h>

#include <sealshm/client.h>

#include "bench.h"
#include "xdg-shell-client-protocol.h"
#include "format.h"
#include "shm-file.h"

#define BPP 4

struct conn {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct wl_surface *surface;
	/* only on a real compositor */
	struct xdg_wm_base *wm_base;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	bool configured;
};

struct buffer {
	struct wl_buffer *wl_buffer;
	void *data;
	bool busy;
};

static void
fail(const char *what)
{
	fprintf(stderr, "client: %s failed: %s\n", what, strerror(errno));
	exit(EXIT_FAILURE);
}

static void
dispatch(struct conn *conn)
{
	if (wl_display_dispatch(conn->display) < 0)
		fail("wl_display_dispatch (the server sent an error or "
		     "disconnected)");
}

static void
roundtrip(struct conn *conn)
{
	if (wl_display_roundtrip(conn->display) < 0)
		fail("wl_display_roundtrip (the server sent an error or "
		     "disconnected)");
}

static void
handle_global(void *data, struct wl_registry *registry, uint32_t name,
	      const char *interface, uint32_t version)
{
	struct conn *conn = data;

	if (strcmp(interface, wl_compositor_interface.name) == 0)
		conn->compositor = wl_registry_bind(
			registry, name, &wl_compositor_interface, 4);
	else if (strcmp(interface, wl_shm_interface.name) == 0)
		conn->shm =
			wl_registry_bind(registry, name, &wl_shm_interface, 1);
	else if (strcmp(interface, xdg_wm_base_interface.name) == 0)
		conn->wm_base = wl_registry_bind(registry, name,
						 &xdg_wm_base_interface, 1);
}

static void
handle_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = handle_global,
	.global_remove = handle_global_remove,
};

static void
handle_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial)
{
	xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = {
	.ping = handle_ping,
};

static void
handle_xdg_configure(void *data, struct xdg_surface *xdg_surface,
		     uint32_t serial)
{
	struct conn *conn = data;

	xdg_surface_ack_configure(xdg_surface, serial);
	conn->configured = true;
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = handle_xdg_configure,
};

/* The size asked for is ignored: the bench commits its own size. */
static void
handle_toplevel_configure(void *data, struct xdg_toplevel *toplevel,
			  int32_t width, int32_t height,
			  struct wl_array *states)
{
}

static void
handle_toplevel_close(void *data, struct xdg_toplevel *toplevel)
{
	errno = ECONNRESET;
	fail("staying mapped (the compositor closed the toplevel)");
}

static const struct xdg_toplevel_listener toplevel_listener = {
	.configure = handle_toplevel_configure,
	.close = handle_toplevel_close,
};

/* Connected: bind the globals and create the surface. */
static void
conn_setup(struct conn *conn)
{
	conn->registry = wl_display_get_registry(conn->display);
	wl_registry_add_listener(conn->registry, &registry_listener, conn);
	roundtrip(conn);
	if (!conn->compositor || !conn->shm) {
		errno = ENOENT;
		fail("finding wl_compositor and wl_shm");
	}
	conn->surface = wl_compositor_create_surface(conn->compositor);
}

static void
conn_open(struct conn *conn, int fd)
{
	memset(conn, 0, sizeof(*conn));
	conn->display = wl_display_connect_to_fd(fd);
	if (!conn->display)
		fail("wl_display_connect_to_fd");
	conn_setup(conn);
}

/*
 * Connect to $WAYLAND_DISPLAY and make the surface an xdg_toplevel: real
 * compositors send frame callbacks only for mapped surfaces.  No state is
 * asked for: a fullscreen surface could be scanned out without being
 * composited (sway does that), and composited is what is measured.  The
 * first configure is acked before this returns; the first commit with a
 * buffer maps the surface.
 */
static void
conn_open_external(struct conn *conn)
{
	memset(conn, 0, sizeof(*conn));
	conn->display = wl_display_connect(NULL);
	if (!conn->display)
		fail("wl_display_connect (is WAYLAND_DISPLAY set?)");
	conn_setup(conn);
	if (!conn->wm_base) {
		errno = ENOENT;
		fail("finding xdg_wm_base");
	}
	xdg_wm_base_add_listener(conn->wm_base, &wm_base_listener, conn);
	conn->xdg_surface =
		xdg_wm_base_get_xdg_surface(conn->wm_base, conn->surface);
	xdg_surface_add_listener(conn->xdg_surface, &xdg_surface_listener,
				 conn);
	conn->toplevel = xdg_surface_get_toplevel(conn->xdg_surface);
	xdg_toplevel_add_listener(conn->toplevel, &toplevel_listener, conn);
	xdg_toplevel_set_title(conn->toplevel, "sealshm-bench");
	xdg_toplevel_set_app_id(conn->toplevel, "sealshm-bench");
	wl_surface_commit(conn->surface);
	while (!conn->configured)
		dispatch(conn);
}

static void
conn_close(struct conn *conn)
{
	if (conn->toplevel)
		xdg_toplevel_destroy(conn->toplevel);
	if (conn->xdg_surface)
		xdg_surface_destroy(conn->xdg_surface);
	wl_surface_destroy(conn->surface);
	if (conn->wm_base)
		xdg_wm_base_destroy(conn->wm_base);
	wl_shm_destroy(conn->shm);
	wl_compositor_destroy(conn->compositor);
	wl_registry_destroy(conn->registry);
	wl_display_disconnect(conn->display);
}

static void
handle_release(void *data, struct wl_buffer *wl_buffer)
{
	struct buffer *buffer = data;

	buffer->busy = false;
}

static const struct wl_buffer_listener buffer_listener = {
	.release = handle_release,
};

static void
handle_frame_done(void *data, struct wl_callback *callback, uint32_t msec)
{
	bool *done = data;

	*done = true;
	wl_callback_destroy(callback);
}

static const struct wl_callback_listener frame_listener = {
	.done = handle_frame_done,
};

/*
 * Attach, damage rows [y, y + rows), ask for a frame callback, commit, and
 * wait for the frame to be done (and, when @p buffer is ours to track, for
 * its release too).
 */
static void
present(struct conn *conn, struct wl_buffer *wl_buffer, struct buffer *buffer,
	int32_t width, int32_t y, int32_t rows)
{
	struct wl_callback *callback;
	bool done = false;

	if (buffer)
		buffer->busy = true;
	wl_surface_attach(conn->surface, wl_buffer, 0, 0);
	wl_surface_damage_buffer(conn->surface, 0, y, width, rows);
	callback = wl_surface_frame(conn->surface);
	wl_callback_add_listener(callback, &frame_listener, &done);
	wl_surface_commit(conn->surface);
	while (!done || (buffer && buffer->busy))
		dispatch(conn);
}

/* Every pixel of the frame is written, as a client that repaints all. */
static void
draw(void *data, int32_t stride, int32_t height, uint64_t frame)
{
	memset(data, (int)(frame & 0xff), (size_t)stride * height);
}

static int
create_memfd(enum client_alloc alloc, size_t size)
{
	int fd, seals = F_SEAL_SHRINK | F_SEAL_SEAL;

	if (alloc == ALLOC_UNSEALED)
		fd = memfd_create("sealshm-bench", MFD_CLOEXEC);
	else
		fd = shm_file_create_sealable("sealshm-bench");
	if (fd < 0)
		fail("memfd_create");
	if (ftruncate(fd, size) < 0)
		fail("ftruncate");
	/* foot seals GROW too: it never grows a buffer's file. */
	if (alloc == ALLOC_MEMFD_PER_SIZE)
		seals |= F_SEAL_GROW;
	if (alloc != ALLOC_UNSEALED && fcntl(fd, F_ADD_SEALS, seals) < 0)
		fail("F_ADD_SEALS");
	return fd;
}

static void *
map_fd(int fd, size_t size)
{
	void *data =
		mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (data == MAP_FAILED)
		fail("mmap");
	return data;
}

static struct wl_buffer *
create_buffer(struct wl_shm_pool *pool, size_t offset, int32_t width,
	      int32_t height)
{
	return wl_shm_pool_create_buffer(pool, (int32_t)offset, width, height,
					 width * BPP, WL_SHM_FORMAT_XRGB8888);
}

static bool
loop_done(const struct trial *trial, uint64_t frames, uint64_t start)
{
	if (trial->frames > 0)
		return frames >= (uint64_t)trial->frames;
	return frames > 0 && now_ns() - start >= trial->duration * 1e9;
}

static void
run_frame_loop(const struct trial *trial, struct conn *conn,
	       struct client_result *result)
{
	size_t size = (size_t)trial->width * BPP * trial->height;
	int32_t stride = trial->width * BPP, y = 0, rows = trial->height;
	struct buffer buffers[2] = { 0 };
	struct wl_shm_pool *pool;
	struct buffer *buffer;
	uint64_t frame, start = 0, cpu_start = 0;
	unsigned char *data;
	int fd, i;

	fd = create_memfd(trial->alloc, 2 * size);
	data = map_fd(fd, 2 * size);
	pool = wl_shm_create_pool(conn->shm, fd, (int32_t)(2 * size));
	for (i = 0; i < 2; i++) {
		buffers[i].data = data + i * size;
		buffers[i].wl_buffer = create_buffer(
			pool, i * size, trial->width, trial->height);
		wl_buffer_add_listener(buffers[i].wl_buffer, &buffer_listener,
				       &buffers[i]);
	}
	wl_shm_pool_destroy(pool);
	close(fd);

	for (frame = 0;; frame++) {
		if (frame == BENCH_WARMUP_FRAMES) {
			start = now_ns();
			cpu_start = cpu_ns();
		}
		if (frame >= BENCH_WARMUP_FRAMES &&
		    loop_done(trial, frame - BENCH_WARMUP_FRAMES, start))
			break;
		buffer = &buffers[frame % 2];
		while (buffer->busy)
			dispatch(conn);
		if (trial->damage_rows > 0) {
			y = (int32_t)(frame %
				      (trial->height / trial->damage_rows)) *
			    trial->damage_rows;
			rows = trial->damage_rows;
		}
		draw((unsigned char *)buffer->data + (size_t)y * stride, stride,
		     rows, frame);
		if (trial->external) {
			/* released when the next commit replaces it */
			buffer->busy = true;
			present(conn, buffer->wl_buffer, NULL, trial->width, y,
				rows);
		} else {
			present(conn, buffer->wl_buffer, buffer, trial->width,
				y, rows);
		}
	}
	result->elapsed_ns = now_ns() - start;
	result->cpu_ns = cpu_ns() - cpu_start;
	result->frames = frame - BENCH_WARMUP_FRAMES;

	for (i = 0; i < 2; i++)
		wl_buffer_destroy(buffers[i].wl_buffer);
	munmap(data, 2 * size);
}

/*
 * A new pool and buffer for each frame.  ALLOC_SEALED sends the same memfd
 * every time, ALLOC_MEMFD_PER_POOL a new one (its making is client work,
 * the same for both servers).  With trial->keep_previous the previous
 * buffer is destroyed only after the next pool was made.
 */
static void
run_churn(const struct trial *trial, struct conn *conn,
	  struct client_result *result)
{
	size_t size = (size_t)trial->width * BPP * trial->height;
	bool per_pool = trial->alloc == ALLOC_MEMFD_PER_POOL;
	struct wl_buffer *previous = NULL;
	struct buffer buffer = { 0 };
	struct wl_shm_pool *pool;
	uint64_t frame, start = 0, cpu_start = 0;
	int fd = -1;

	if (!per_pool) {
		fd = create_memfd(ALLOC_SEALED, size);
		buffer.data = map_fd(fd, size);
	}
	for (frame = 0;; frame++) {
		if (frame == BENCH_WARMUP_FRAMES) {
			start = now_ns();
			cpu_start = cpu_ns();
		}
		if (frame >= BENCH_WARMUP_FRAMES &&
		    loop_done(trial, frame - BENCH_WARMUP_FRAMES, start))
			break;
		if (per_pool) {
			fd = create_memfd(ALLOC_SEALED, size);
			buffer.data = map_fd(fd, size);
		}
		pool = wl_shm_create_pool(conn->shm, fd, (int32_t)size);
		/* the request holds a duplicate of the fd */
		if (per_pool)
			close(fd);
		buffer.wl_buffer =
			create_buffer(pool, 0, trial->width, trial->height);
		wl_buffer_add_listener(buffer.wl_buffer, &buffer_listener,
				       &buffer);
		wl_shm_pool_destroy(pool);
		if (previous)
			wl_buffer_destroy(previous);
		previous = NULL;
		draw(buffer.data, trial->width * BPP, trial->height, frame);
		present(conn, buffer.wl_buffer, &buffer, trial->width, 0,
			trial->height);
		if (per_pool)
			munmap(buffer.data, size);
		if (trial->keep_previous)
			previous = buffer.wl_buffer;
		else
			wl_buffer_destroy(buffer.wl_buffer);
	}
	result->elapsed_ns = now_ns() - start;
	result->cpu_ns = cpu_ns() - cpu_start;
	result->frames = frame - BENCH_WARMUP_FRAMES;
	if (previous)
		wl_buffer_destroy(previous);
	if (!per_pool) {
		munmap(buffer.data, size);
		close(fd);
	}
}

/*
 * Pool churn without frames: each pool is created (its fd sent), gets a
 * buffer, and both are destroyed at once; a roundtrip every
 * BENCH_CHURN_BATCH pools makes sure the server handled them.  Nothing is
 * committed, so the rate is not paced by the compositor's repaints.  The
 * memfd is reused, as in run_churn.
 */
static void
run_pool_churn(const struct trial *trial, struct conn *conn,
	       struct client_result *result)
{
	size_t size = (size_t)trial->width * BPP * trial->height;
	uint64_t pools, start = 0, cpu_start = 0;
	struct wl_shm_pool *pool;
	struct wl_buffer *wl_buffer;
	int fd;

	fd = create_memfd(ALLOC_SEALED, size);
	for (pools = 0;; pools++) {
		if (pools % BENCH_CHURN_BATCH == 0) {
			roundtrip(conn);
			if (pools == BENCH_CHURN_BATCH) {
				start = now_ns();
				cpu_start = cpu_ns();
			}
			if (pools > BENCH_CHURN_BATCH &&
			    loop_done(trial, pools - BENCH_CHURN_BATCH, start))
				break;
		}
		pool = wl_shm_create_pool(conn->shm, fd, (int32_t)size);
		wl_buffer = create_buffer(pool, 0, trial->width, trial->height);
		wl_buffer_destroy(wl_buffer);
		wl_shm_pool_destroy(pool);
	}
	result->elapsed_ns = now_ns() - start;
	result->cpu_ns = cpu_ns() - cpu_start;
	result->frames = pools - BENCH_CHURN_BATCH;
	close(fd);
}

/* Step @p i of the resize: up from the smallest to the largest size in the
 * first half of the steps, back down in the second. */
static void
resize_size(const struct trial *trial, int i, int32_t *width, int32_t *height)
{
	int half = trial->steps / 2;
	int pos = i < half ? i : trial->steps - 1 - i;
	double t = half > 1 ? (double)pos / (half - 1) : 1.0;

	if (t > 1.0)
		t = 1.0;
	*width = trial->min_width +
		 (int32_t)(t * (trial->width - trial->min_width) + 0.5);
	*height = trial->min_height +
		  (int32_t)(t * (trial->height - trial->min_height) + 0.5);
}

static void
resize_with_helper(const struct trial *trial, struct conn *conn)
{
	struct sealshm_client_buffer *buffer;
	struct sealshm_swapchain *swapchain;
	int32_t width, height;
	int i;

	swapchain = sealshm_swapchain_create(conn->shm);
	if (!swapchain)
		fail("sealshm_swapchain_create");
	for (i = 0; i < trial->steps; i++) {
		resize_size(trial, i, &width, &height);
		buffer = sealshm_swapchain_acquire(swapchain, width, height,
						   WL_SHM_FORMAT_XRGB8888);
		if (!buffer)
			fail("sealshm_swapchain_acquire");
		draw(sealshm_client_buffer_get_data(buffer),
		     sealshm_client_buffer_get_stride(buffer), height, i);
		/* The swapchain tracks the release itself. */
		present(conn, sealshm_client_buffer_get_wl_buffer(buffer), NULL,
			width, 0, height);
	}
	sealshm_swapchain_destroy(swapchain);
	roundtrip(conn);
}

static void
resize_pool_per_buffer(const struct trial *trial, struct conn *conn)
{
	struct buffer buffer = { 0 };
	size_t capacity = 0, size;
	struct wl_shm_pool *pool;
	int32_t width, height;
	int i, fd = -1;

	for (i = 0; i < trial->steps; i++) {
		resize_size(trial, i, &width, &height);
		size = (size_t)width * BPP * height;
		if (fd < 0) {
			fd = create_memfd(ALLOC_SEALED, size);
			capacity = size;
			buffer.data = map_fd(fd, capacity);
		} else if (size > capacity) {
			if (ftruncate(fd, size) < 0)
				fail("ftruncate");
			munmap(buffer.data, capacity);
			capacity = size;
			buffer.data = map_fd(fd, capacity);
		}
		pool = wl_shm_create_pool(conn->shm, fd, (int32_t)size);
		buffer.wl_buffer = create_buffer(pool, 0, width, height);
		wl_buffer_add_listener(buffer.wl_buffer, &buffer_listener,
				       &buffer);
		wl_shm_pool_destroy(pool);
		draw(buffer.data, width * BPP, height, i);
		present(conn, buffer.wl_buffer, &buffer, width, 0, height);
		wl_buffer_destroy(buffer.wl_buffer);
	}
	if (fd >= 0) {
		munmap(buffer.data, capacity);
		close(fd);
	}
}

static void
resize_memfd_per_size(const struct trial *trial, struct conn *conn)
{
	struct buffer buffer = { 0 };
	struct wl_shm_pool *pool;
	int32_t width, height;
	size_t size;
	int i, fd;

	for (i = 0; i < trial->steps; i++) {
		resize_size(trial, i, &width, &height);
		size = (size_t)width * BPP * height;
		fd = create_memfd(ALLOC_MEMFD_PER_SIZE, size);
		buffer.data = map_fd(fd, size);
		pool = wl_shm_create_pool(conn->shm, fd, (int32_t)size);
		close(fd);
		buffer.wl_buffer = create_buffer(pool, 0, width, height);
		wl_buffer_add_listener(buffer.wl_buffer, &buffer_listener,
				       &buffer);
		draw(buffer.data, width * BPP, height, i);
		present(conn, buffer.wl_buffer, &buffer, width, 0, height);
		wl_buffer_destroy(buffer.wl_buffer);
		wl_shm_pool_destroy(pool);
		munmap(buffer.data, size);
	}
}

static void
run_resize(const struct trial *trial, struct conn *conn,
	   struct client_result *result)
{
	uint64_t start = now_ns(), cpu_start = cpu_ns();

	switch (trial->alloc) {
	case ALLOC_HELPER:
		resize_with_helper(trial, conn);
		break;
	case ALLOC_POOL_PER_BUFFER:
		resize_pool_per_buffer(trial, conn);
		break;
	case ALLOC_MEMFD_PER_SIZE:
		resize_memfd_per_size(trial, conn);
		break;
	default:
		errno = EINVAL;
		fail("choosing the resize allocator");
	}
	result->elapsed_ns = now_ns() - start;
	result->cpu_ns = cpu_ns() - cpu_start;
	result->frames = trial->steps;
}

/*
 * Many clients, each with a few buffers in a pool of their own (as GTK and
 * Qt allocate), all attached once so the server has seen every pool.
 */
static void
run_scale(const struct trial *trial, const int *fds, int nfds,
	  struct client_result *result)
{
	size_t size = (size_t)trial->width * BPP * trial->height;
	int per = trial->buffers_per_client;
	struct wl_buffer **wl_buffers;
	struct wl_shm_pool *pool;
	struct conn *conns;
	uint64_t start = now_ns(), cpu_start = cpu_ns();
	void *data;
	int c, b, fd;

	conns = calloc(nfds, sizeof(*conns));
	wl_buffers = calloc((size_t)nfds * per, sizeof(*wl_buffers));
	if (!conns || !wl_buffers)
		fail("calloc");
	for (c = 0; c < nfds; c++) {
		conn_open(&conns[c], fds[c]);
		for (b = 0; b < per; b++) {
			fd = create_memfd(ALLOC_SEALED, size);
			data = map_fd(fd, size);
			draw(data, trial->width * BPP, trial->height, b);
			munmap(data, size);
			pool = wl_shm_create_pool(conns[c].shm, fd,
						  (int32_t)size);
			close(fd);
			wl_buffers[c * per + b] = create_buffer(
				pool, 0, trial->width, trial->height);
			wl_shm_pool_destroy(pool);
			wl_surface_attach(conns[c].surface,
					  wl_buffers[c * per + b], 0, 0);
			wl_surface_commit(conns[c].surface);
		}
		if (wl_display_flush(conns[c].display) < 0)
			fail("wl_display_flush");
	}
	/* After these the server has handled every commit, and so has taken
	 * its measurement. */
	for (c = 0; c < nfds; c++)
		roundtrip(&conns[c]);
	result->elapsed_ns = now_ns() - start;
	result->cpu_ns = cpu_ns() - cpu_start;
	result->frames = (uint64_t)nfds * per;

	for (c = 0; c < nfds; c++) {
		for (b = 0; b < per; b++)
			wl_buffer_destroy(wl_buffers[c * per + b]);
		conn_close(&conns[c]);
	}
	free(wl_buffers);
	free(conns);
}

void
bench_client_run(const struct trial *trial, const int *fds, int nfds,
		 struct client_result *result)
{
	struct conn conn;

	memset(result, 0, sizeof(*result));
	if (trial->kind == CLIENT_SCALE) {
		run_scale(trial, fds, nfds, result);
		return;
	}
	conn_open(&conn, fds[0]);
	if (trial->kind == CLIENT_FRAME_LOOP)
		run_frame_loop(trial, &conn, result);
	else if (trial->kind == CLIENT_CHURN)
		run_churn(trial, &conn, result);
	else if (trial->kind == CLIENT_POOL_CHURN)
		run_pool_churn(trial, &conn, result);
	else
		run_resize(trial, &conn, result);
	conn_close(&conn);
}

void
bench_client_run_external(const struct trial *trial,
			  struct client_result *result)
{
	struct conn conn;

	memset(result, 0, sizeof(*result));
	conn_open_external(&conn);
	if (trial->kind == CLIENT_FRAME_LOOP)
		run_frame_loop(trial, &conn, result);
	else if (trial->kind == CLIENT_POOL_CHURN)
		run_pool_churn(trial, &conn, result);
	else {
		errno = EINVAL;
		fail("choosing the external workload");
	}
	conn_close(&conn);
}
