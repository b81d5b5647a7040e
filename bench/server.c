/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * The bench's compositor: the test harness's minimal wl_compositor, with
 * attach, damage, frame and commit.  On commit it reads the buffer through
 * one of two backends behind the same small interface, libsealshm-server or
 * libwayland's own wl_shm, so that both run exactly the same compositor
 * code.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pixman.h>
#include <wayland-server-core.h>
#include <wayland-server-protocol.h>

#include <sealshm/server.h>

#include "bench.h"
#include "format.h"
#include "test-compositor.h"

#define OUTPUT_WIDTH 1920
#define OUTPUT_HEIGHT 1080

struct access {
	void *data;
	int32_t width, height, stride;
	uint32_t format;
	/* owned by the backend's buffer (sealshm) or by us (libwayland) */
	pixman_image_t *image;
	void *handle;
};

struct server;

struct backend_impl {
	int (*init)(struct server *server);
	/* false when the buffer is not one of this backend's; @p damage is
	 * the buffer damage committed with it */
	bool (*begin)(struct server *server, struct wl_resource *resource,
		      const pixman_region32_t *damage, struct access *access);
	void (*end)(struct server *server, struct access *access);
	/* SERVER_KEEP: copy @p damage into @p dst without begin and end, or
	 * return false to have it copied from the pointer begin gives;
	 * NULL for the same */
	bool (*copy_to)(struct server *server, struct wl_resource *resource,
			const pixman_region32_t *damage, pixman_image_t *dst);
	void (*stats)(struct server *server, struct server_result *result);
	void (*finish)(struct server *server);
};

struct samples {
	double *v;
	int len, cap;
};

struct client_link {
	struct server *server;
	struct wl_listener destroy;
};

struct server {
	const struct trial *trial;
	const struct backend_impl *impl;
	struct wl_display *display;
	struct sealshm *shm;
	struct test_compositor *compositor;
	int clients_live;
	struct client_link *clients;
	uint64_t commits;
	/* CPU time at the first counted commit and at the latest one */
	uint64_t cpu_first, cpu_last;
	uint64_t scale_target;
	pixman_image_t *output;
	/* SERVER_KEEP: the compositor's copy of the surface */
	pixman_image_t *kept;
	struct samples access_ns, composite_gbps, memcpy_gbps;
	struct server_result *result;
	bool failed;
};

/* Keeps the pixel reads from being optimised away. */
static volatile uint64_t pixel_sink;

static void
samples_add(struct server *server, struct samples *s, double value)
{
	double *v;
	int cap;

	if (s->len == s->cap) {
		cap = s->cap ? s->cap * 2 : 256;
		v = realloc(s->v, cap * sizeof(*v));
		if (!v) {
			server->failed = true;
			return;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->len++] = value;
}

/* The libsealshm-server backend. */

static int
sealshm_init(struct server *server)
{
	struct sealshm_options options = {
		.size = sizeof(options),
		.policy = server->trial->policy,
	};

	server->shm = sealshm_create(server->display, &options);
	if (!server->shm) {
		fprintf(stderr, "server: sealshm_create: %s\n",
			strerror(errno));
		return -1;
	}
	return 0;
}

static bool
sealshm_begin(struct server *server, struct wl_resource *resource,
	      const pixman_region32_t *damage, struct access *access)
{
	struct sealshm_buffer *buffer = sealshm_buffer_from_resource(resource);

	if (!buffer)
		return false;
	access->handle = buffer;
	/* Only the damage-band trials read a region; the others take the
	 * plain call a compositor without damage tracking would make. */
	if (server->trial->damage_rows > 0)
		access->data =
			sealshm_buffer_begin_access_region(buffer, damage);
	else
		access->data = sealshm_buffer_begin_access(buffer);
	access->width = sealshm_buffer_get_width(buffer);
	access->height = sealshm_buffer_get_height(buffer);
	access->stride = sealshm_buffer_get_stride(buffer);
	access->format = sealshm_buffer_get_format(buffer);
	access->image = sealshm_buffer_get_pixman_image(buffer);
	return true;
}

static void
sealshm_end(struct server *server, struct access *access)
{
	sealshm_buffer_end_access(access->handle, false);
}

/* Copy-tier buffers only: mapped ones take the memcpy path. */
static bool
sealshm_copy_to(struct server *server, struct wl_resource *resource,
		const pixman_region32_t *damage, pixman_image_t *dst)
{
	struct sealshm_buffer *buffer = sealshm_buffer_from_resource(resource);

	if (!buffer || !sealshm_buffer_is_copied(buffer))
		return false;
	if (sealshm_buffer_copy_to(buffer, damage, pixman_image_get_data(dst),
				   pixman_image_get_stride(dst)) < 0) {
		fprintf(stderr, "server: sealshm_buffer_copy_to: %s\n",
			strerror(errno));
		server->failed = true;
	}
	return true;
}

static void
sealshm_stats(struct server *server, struct server_result *result)
{
	struct sealshm_stats stats;

	sealshm_get_stats(server->shm, &stats, sizeof(stats));
	result->map_calls_stats = stats.map_calls;
	result->mappings_reused = stats.mappings_reused;
	memcpy(result->pools_by_tier, stats.pools_accepted_by_tier,
	       sizeof(result->pools_by_tier));
}

static void
sealshm_finish(struct server *server)
{
	sealshm_destroy(server->shm);
}

static const struct backend_impl sealshm_backend = {
	.init = sealshm_init,
	.begin = sealshm_begin,
	.end = sealshm_end,
	.copy_to = sealshm_copy_to,
	.stats = sealshm_stats,
	.finish = sealshm_finish,
};

/* libwayland's wl_shm. */

static int
libwayland_init(struct server *server)
{
	if (wl_display_init_shm(server->display) < 0) {
		fprintf(stderr, "server: wl_display_init_shm failed\n");
		return -1;
	}
	return 0;
}

static bool
libwayland_begin(struct server *server, struct wl_resource *resource,
		 const pixman_region32_t *damage, struct access *access)
{
	struct wl_shm_buffer *buffer = wl_shm_buffer_get(resource);
	const struct format_info *info;

	if (!buffer)
		return false;
	access->handle = buffer;
	wl_shm_buffer_begin_access(buffer);
	access->data = wl_shm_buffer_get_data(buffer);
	access->width = wl_shm_buffer_get_width(buffer);
	access->height = wl_shm_buffer_get_height(buffer);
	access->stride = wl_shm_buffer_get_stride(buffer);
	access->format = wl_shm_buffer_get_format(buffer);
	access->image = NULL;
	/* A compositor on libwayland wraps the pointer for each repaint,
	 * because the pointer may move when the pool is resized. */
	if (server->trial->mode == SERVER_COMPOSE) {
		info = format_lookup(access->format);
		if (info && info->pixman_format)
			access->image = pixman_image_create_bits(
				info->pixman_format, access->width,
				access->height, access->data, access->stride);
	}
	return true;
}

static void
libwayland_end(struct server *server, struct access *access)
{
	if (access->image)
		pixman_image_unref(access->image);
	wl_shm_buffer_end_access(access->handle);
}

static void
libwayland_stats(struct server *server, struct server_result *result)
{
}

static void
libwayland_finish(struct server *server)
{
}

static const struct backend_impl libwayland_backend = {
	.init = libwayland_init,
	.begin = libwayland_begin,
	.end = libwayland_end,
	.stats = libwayland_stats,
	.finish = libwayland_finish,
};

/* What the compositor does with a committed buffer. */

/* Every pixel of rows [y1, y2). */
static uint64_t
read_pixels(const struct access *access, int32_t y1, int32_t y2)
{
	const struct format_info *info = format_lookup(access->format);
	size_t row = (size_t)access->width * (info ? info->bytes_per_pixel : 4);
	const unsigned char *p = (const unsigned char *)access->data +
				 (size_t)y1 * access->stride;
	uint64_t sum = 0, word;
	size_t x;
	int32_t y;

	for (y = y1; y < y2; y++, p += access->stride) {
		for (x = 0; x + 8 <= row; x += 8) {
			memcpy(&word, p + x, sizeof(word));
			sum += word;
		}
		for (; x < row; x++)
			sum += p[x];
	}
	return sum;
}

static void
compose(struct server *server, const struct access *access)
{
	int32_t width =
		access->width < OUTPUT_WIDTH ? access->width : OUTPUT_WIDTH;
	int32_t height =
		access->height < OUTPUT_HEIGHT ? access->height : OUTPUT_HEIGHT;
	uint32_t *out = pixman_image_get_data(server->output);
	int out_stride = pixman_image_get_stride(server->output);
	double bytes = (double)width * height * 4;
	uint64_t t0, t1, t2, composite, copy;
	const unsigned char *src = access->data;
	unsigned char *dst = (unsigned char *)out;
	int32_t y;

	if (!access->image) {
		fprintf(stderr, "server: no pixman image for format %#x\n",
			access->format);
		server->failed = true;
		return;
	}

	/* Alternate the order so neither side always finds the source in
	 * the cache the other one just warmed. */
	if (server->commits % 2) {
		t0 = now_ns();
		for (y = 0; y < height; y++)
			memcpy(dst + (size_t)y * out_stride,
			       src + (size_t)y * access->stride,
			       (size_t)width * 4);
		t1 = now_ns();
		/* OVER, as a compositor paints a surface; pixman reduces it
		 * to SRC for an opaque XRGB source. */
		pixman_image_composite32(PIXMAN_OP_OVER, access->image, NULL,
					 server->output, 0, 0, 0, 0, 0, 0,
					 width, height);
		t2 = now_ns();
		copy = t1 - t0;
		composite = t2 - t1;
	} else {
		t0 = now_ns();
		pixman_image_composite32(PIXMAN_OP_OVER, access->image, NULL,
					 server->output, 0, 0, 0, 0, 0, 0,
					 width, height);
		t1 = now_ns();
		for (y = 0; y < height; y++)
			memcpy(dst + (size_t)y * out_stride,
			       src + (size_t)y * access->stride,
			       (size_t)width * 4);
		t2 = now_ns();
		composite = t1 - t0;
		copy = t2 - t1;
	}
	samples_add(server, &server->composite_gbps, bytes / composite);
	samples_add(server, &server->memcpy_gbps, bytes / copy);
}

/*
 * The damaged pixels, row by row, from the buffer into @p dst.  4 bytes a
 * pixel: the bench's buffers are XRGB8888, as the kept image.
 */
static void
copy_damage(const struct access *access, const pixman_region32_t *damage,
	    pixman_image_t *dst)
{
	unsigned char *out = (unsigned char *)pixman_image_get_data(dst);
	int out_stride = pixman_image_get_stride(dst);
	int32_t width = pixman_image_get_width(dst);
	int32_t height = pixman_image_get_height(dst);
	const unsigned char *src = access->data;
	const pixman_box32_t *boxes;
	int32_t x1, x2, y;
	int n;

	if (access->width < width)
		width = access->width;
	if (access->height < height)
		height = access->height;
	boxes = pixman_region32_rectangles(damage, &n);
	for (int i = 0; i < n; i++) {
		x1 = boxes[i].x1 > 0 ? boxes[i].x1 : 0;
		x2 = boxes[i].x2 < width ? boxes[i].x2 : width;
		for (y = boxes[i].y1 > 0 ? boxes[i].y1 : 0;
		     x1 < x2 && y < boxes[i].y2 && y < height; y++)
			memcpy(out + (size_t)y * out_stride + (size_t)x1 * 4,
			       src + (size_t)y * access->stride +
				       (size_t)x1 * 4,
			       (size_t)(x2 - x1) * 4);
	}
}

static void
measure_scale(struct server *server)
{
	struct server_result *r = server->result;

	r->rss_kib = proc_status_kib("VmRSS");
	r->rss_anon_kib = proc_status_kib("RssAnon");
	r->maps = proc_count_maps();
	r->fds = proc_count_fds();
}

static void
process_buffer(struct server *server, struct wl_resource *surface,
	       struct wl_resource *buffer, const pixman_region32_t *damage)
{
	const pixman_box32_t *box = pixman_region32_extents(damage);
	struct access access = { 0 };
	int32_t y1, y2;
	uint64_t t0;

	t0 = now_ns();
	if (server->trial->mode == SERVER_KEEP && server->impl->copy_to &&
	    server->impl->copy_to(server, buffer, damage, server->kept))
		goto done;
	if (!server->impl->begin(server, buffer, damage, &access)) {
		wl_client_post_implementation_error(
			wl_resource_get_client(surface),
			"the bench compositor reads only wl_shm buffers; "
			"attach buffers made with wl_shm");
		return;
	}
	if (server->trial->mode == SERVER_COMPOSE) {
		compose(server, &access);
	} else if (server->trial->mode == SERVER_KEEP) {
		copy_damage(&access, damage, server->kept);
	} else if (server->trial->damage_rows > 0) {
		y1 = box->y1 > 0 ? box->y1 : 0;
		y2 = box->y2 < access.height ? box->y2 : access.height;
		if (y1 < y2)
			pixel_sink += read_pixels(&access, y1, y2);
	} else {
		pixel_sink += read_pixels(&access, 0, access.height);
	}
	server->impl->end(server, &access);
done:
	samples_add(server, &server->access_ns, (double)(now_ns() - t0));
	wl_buffer_send_release(buffer);
}

/*
 * The harness's compositor calls this on every wl_surface.commit; the
 * buffer is released here, after the read, so the harness must not.
 */
static void
handle_commit(struct test_commit *commit, void *data)
{
	struct server *server = data;

	commit->frame_time = (uint32_t)(now_ns() / 1000000);
	commit->release = false;
	if (!commit->buffer)
		return;
	process_buffer(server, commit->surface, commit->buffer,
		       commit->damage);
	server->commits++;
	if (server->commits == server->scale_target)
		measure_scale(server);
	if (server->commits == BENCH_WARMUP_FRAMES)
		server->cpu_first = cpu_ns();
	else if (server->commits > BENCH_WARMUP_FRAMES)
		server->cpu_last = cpu_ns();
}

static void
handle_client_destroy(struct wl_listener *listener, void *data)
{
	struct client_link *link = wl_container_of(listener, link, destroy);
	struct server *server = link->server;

	if (--server->clients_live == 0)
		wl_display_terminate(server->display);
}

int
bench_server_run(const struct trial *trial, const int *fds, int nfds,
		 struct server_result *result)
{
	struct server server = {
		.trial = trial,
		.result = result,
		.impl = trial->backend == BACKEND_SEALSHM ? &sealshm_backend
							  : &libwayland_backend,
		.scale_target = trial->kind == CLIENT_SCALE
					? (uint64_t)trial->clients *
						  trial->buffers_per_client
					: 0,
	};
	struct wl_client *client;
	uint64_t cpu_start;
	int i, ret = -1;

	memset(result, 0, sizeof(*result));
	server.display = wl_display_create();
	if (!server.display) {
		fprintf(stderr, "server: wl_display_create failed\n");
		return -1;
	}
	if (server.impl->init(&server) < 0)
		goto out_display;
	server.compositor =
		test_compositor_create(server.display, handle_commit, &server);
	if (!server.compositor) {
		fprintf(stderr, "server: test_compositor_create: %s\n",
			strerror(errno));
		goto out_backend;
	}
	if (trial->mode == SERVER_COMPOSE) {
		server.output = pixman_image_create_bits(
			PIXMAN_x8r8g8b8, OUTPUT_WIDTH, OUTPUT_HEIGHT, NULL, 0);
		if (!server.output)
			goto out_compositor;
	}
	if (trial->mode == SERVER_KEEP) {
		server.kept = pixman_image_create_bits(
			PIXMAN_x8r8g8b8, trial->width, trial->height, NULL, 0);
		if (!server.kept)
			goto out_output;
	}
	server.clients = calloc(nfds, sizeof(*server.clients));
	if (!server.clients)
		goto out_output;

	result->rss_base_kib = proc_status_kib("VmRSS");
	result->rss_anon_base_kib = proc_status_kib("RssAnon");
	result->maps_base = proc_count_maps();
	result->fds_base = proc_count_fds();

	for (i = 0; i < nfds; i++) {
		client = wl_client_create(server.display, fds[i]);
		if (!client) {
			fprintf(stderr, "server: wl_client_create: %s\n",
				strerror(errno));
			goto out_clients;
		}
		server.clients[i].server = &server;
		server.clients[i].destroy.notify = handle_client_destroy;
		wl_client_add_destroy_listener(client,
					       &server.clients[i].destroy);
		server.clients_live++;
	}

	cpu_start = cpu_ns();
	wl_display_run(server.display);
	result->cpu_total_ns = cpu_ns() - cpu_start;

	result->commits = server.commits;
	result->map_calls_counted = map_count_get();
	result->vm_hwm_kib = proc_status_kib("VmHWM");
	result->access_ns = median(server.access_ns.v, server.access_ns.len);
	if (server.commits > BENCH_WARMUP_FRAMES)
		result->cpu_ns = (double)(server.cpu_last - server.cpu_first) /
				 (server.commits - BENCH_WARMUP_FRAMES);
	result->composite_gbps =
		median(server.composite_gbps.v, server.composite_gbps.len);
	result->memcpy_gbps =
		median(server.memcpy_gbps.v, server.memcpy_gbps.len);
	server.impl->stats(&server, result);
	ret = server.failed ? -1 : 0;

out_clients:
	wl_display_destroy_clients(server.display);
	free(server.clients);
out_output:
	if (server.kept)
		pixman_image_unref(server.kept);
	if (server.output)
		pixman_image_unref(server.output);
out_compositor:
	test_compositor_destroy(server.compositor);
out_backend:
	server.impl->finish(&server);
out_display:
	wl_display_destroy(server.display);
	free(server.access_ns.v);
	free(server.composite_gbps.v);
	free(server.memcpy_gbps.v);
	return ret;
}
