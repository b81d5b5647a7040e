/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * The nested backend: the output is an xdg_toplevel in a parent Wayland
 * compositor, drawn into buffers from libsealshm-client's swapchain.
 * Frames are paced by the parent's frame callbacks, so our clients'
 * frame callbacks fire only once the parent has composited their
 * content.  Buffer age limits each copy to what changed since the
 * buffer last held the output.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wayland-client.h>
#include <wayland-server-core.h>

#include <sealshm/client.h>

#include "demo-client.h"

#include "internal.h"

/* Damage of the frames presented before the current one, newest first:
 * enough for the swapchain's usual two or three buffers. */
#define HISTORY 4

struct nested {
	struct comp_backend base;
	struct demo_globals parent;
	struct demo_toplevel window;
	struct sealshm_swapchain *swapchain;
	struct wl_callback *frame;
	struct wl_event_source *source;
	struct wl_event_source *idle;
	bool shown_once;
	pixman_region32_t history[HISTORY];
};

static void
handle_configured(void *data)
{
	struct nested *n = data;

	/* The first present must show the whole output. */
	comp_server_schedule_frame(n->base.server);
}

static void
handle_close(void *data)
{
	struct nested *n = data;

	comp_server_terminate(n->base.server);
}

/* The output keeps its --size; the parent gets that window. */
static const struct demo_toplevel_listener window_listener = {
	.configured = handle_configured,
	.close = handle_close,
};

static void
flush_parent(struct nested *n)
{
	uint32_t mask = WL_EVENT_READABLE;

	if (wl_display_flush(n->parent.display) < 0 && errno == EAGAIN)
		mask |= WL_EVENT_WRITABLE;
	wl_event_source_fd_update(n->source, mask);
}

static int
handle_parent_event(int fd, uint32_t mask, void *data)
{
	struct nested *n = data;

	if (mask & (WL_EVENT_HANGUP | WL_EVENT_ERROR)) {
		fprintf(stderr, "sealshm-compositor: the parent compositor "
				"closed the connection\n");
		comp_server_terminate(n->base.server);
		return 0;
	}
	if ((mask & WL_EVENT_READABLE) &&
	    wl_display_dispatch(n->parent.display) < 0) {
		fprintf(stderr,
			"sealshm-compositor: lost the parent "
			"compositor: %s\n",
			strerror(errno));
		wl_event_source_fd_update(n->source, 0);
		comp_server_terminate(n->base.server);
		return 0;
	}
	flush_parent(n);
	return 0;
}

static void
handle_frame_done(void *data, struct wl_callback *callback, uint32_t time)
{
	struct nested *n = data;

	wl_callback_destroy(callback);
	n->frame = NULL;
	comp_server_frame_done(n->base.server);
}

static const struct wl_callback_listener frame_listener = {
	.done = handle_frame_done,
};

/* Which part of @p buffer is stale given this frame's @p damage. */
static void
stale_region(struct nested *n, struct sealshm_client_buffer *buffer,
	     pixman_region32_t *damage, pixman_region32_t *stale)
{
	struct comp_server *server = n->base.server;
	int age = sealshm_client_buffer_get_age(buffer);
	int i;

	if (age <= 0 || age > HISTORY + 1) {
		pixman_region32_init_rect(stale, 0, 0, server->options.width,
					  server->options.height);
		return;
	}
	pixman_region32_init(stale);
	pixman_region32_copy(stale, damage);
	for (i = 0; i < age - 1; i++)
		pixman_region32_union(stale, stale, &n->history[i]);
}

static void
push_history(struct nested *n, pixman_region32_t *damage)
{
	int i;

	for (i = HISTORY - 1; i > 0; i--)
		pixman_region32_copy(&n->history[i], &n->history[i - 1]);
	pixman_region32_copy(&n->history[0], damage);
}

static void
nested_present(struct comp_backend *backend, pixman_region32_t *damage)
{
	struct nested *n = wl_container_of(backend, n, base);
	struct comp_server *server = backend->server;
	int32_t width = server->options.width, height = server->options.height;
	struct sealshm_client_buffer *buffer;
	pixman_region32_t stale, shown;
	pixman_image_t *target;
	pixman_box32_t *rects;
	int i, count;

	pixman_region32_init(&shown);
	pixman_region32_copy(&shown, damage);
	if (!n->shown_once)
		pixman_region32_union_rect(&shown, &shown, 0, 0, width, height);
	if (!n->window.configured || !pixman_region32_not_empty(&shown)) {
		pixman_region32_fini(&shown);
		comp_server_frame_done(server);
		return;
	}

	buffer = sealshm_swapchain_acquire(n->swapchain, width, height,
					   WL_SHM_FORMAT_XRGB8888);
	target = buffer ? pixman_image_create_bits(
				  PIXMAN_x8r8g8b8, width, height,
				  sealshm_client_buffer_get_data(buffer),
				  sealshm_client_buffer_get_stride(buffer))
			: NULL;
	if (!target) {
		fprintf(stderr,
			"sealshm-compositor: no buffer for the "
			"parent compositor: %s\n",
			strerror(errno));
		if (buffer)
			sealshm_swapchain_cancel(n->swapchain, buffer);
		pixman_region32_fini(&shown);
		comp_server_frame_done(server);
		return;
	}

	stale_region(n, buffer, &shown, &stale);
	pixman_image_set_clip_region32(target, &stale);
	pixman_image_composite32(PIXMAN_OP_SRC, server->output, NULL, target, 0,
				 0, 0, 0, 0, 0, width, height);
	pixman_image_unref(target);
	pixman_region32_fini(&stale);
	push_history(n, &shown);

	wl_surface_attach(n->window.surface,
			  sealshm_client_buffer_get_wl_buffer(buffer), 0, 0);
	rects = pixman_region32_rectangles(&shown, &count);
	for (i = 0; i < count; i++)
		wl_surface_damage(n->window.surface, rects[i].x1, rects[i].y1,
				  rects[i].x2 - rects[i].x1,
				  rects[i].y2 - rects[i].y1);
	pixman_region32_fini(&shown);
	n->frame = wl_surface_frame(n->window.surface);
	wl_callback_add_listener(n->frame, &frame_listener, n);
	wl_surface_commit(n->window.surface);
	n->shown_once = true;
	flush_parent(n);
}

static void
handle_idle_repaint(void *data)
{
	struct nested *n = data;

	n->idle = NULL;
	comp_server_repaint(n->base.server);
}

static void
nested_schedule(struct comp_backend *backend)
{
	struct nested *n = wl_container_of(backend, n, base);

	if (n->idle || n->frame)
		return;
	n->idle = wl_event_loop_add_idle(backend->server->loop,
					 handle_idle_repaint, n);
}

static void
nested_destroy(struct comp_backend *backend)
{
	struct nested *n = wl_container_of(backend, n, base);
	int i;

	if (n->idle)
		wl_event_source_remove(n->idle);
	if (n->source)
		wl_event_source_remove(n->source);
	if (n->frame)
		wl_callback_destroy(n->frame);
	sealshm_swapchain_destroy(n->swapchain);
	demo_toplevel_finish(&n->window);
	demo_globals_finish(&n->parent);
	for (i = 0; i < HISTORY; i++)
		pixman_region32_fini(&n->history[i]);
	free(n);
}

static const struct comp_backend_impl nested_impl = {
	.present = nested_present,
	.schedule = nested_schedule,
	.destroy = nested_destroy,
};

struct comp_backend *
comp_backend_nested_create(struct comp_server *server)
{
	struct nested *n = calloc(1, sizeof(*n));
	int i;

	if (!n)
		return NULL;
	n->base.impl = &nested_impl;
	n->base.server = server;
	for (i = 0; i < HISTORY; i++)
		pixman_region32_init(&n->history[i]);

	if (demo_globals_connect(&n->parent, 1) < 0) {
		if (n->parent.display)
			goto err_parent;
		fprintf(stderr,
			"sealshm-compositor: cannot connect to the "
			"parent compositor '%s': %s (use --headless to run "
			"without one)\n",
			getenv("WAYLAND_DISPLAY"), strerror(errno));
		goto err;
	}
	if (!n->parent.compositor || !n->parent.shm || !n->parent.wm_base) {
		fprintf(stderr,
			"sealshm-compositor: the parent compositor "
			"lacks wl_compositor, wl_shm or xdg_wm_base; use "
			"--headless\n");
		goto err;
	}
	n->swapchain = sealshm_swapchain_create(n->parent.shm);
	if (!n->swapchain)
		goto err_parent;

	demo_toplevel_init(&n->window, &n->parent, "sealshm-compositor",
			   "sealshm-compositor", &window_listener, n);
	xdg_toplevel_set_min_size(n->window.toplevel, server->options.width,
				  server->options.height);
	xdg_toplevel_set_max_size(n->window.toplevel, server->options.width,
				  server->options.height);
	wl_surface_commit(n->window.surface);

	n->source = wl_event_loop_add_fd(
		server->loop, wl_display_get_fd(n->parent.display),
		WL_EVENT_READABLE, handle_parent_event, n);
	if (!n->source)
		goto err_parent;
	flush_parent(n);
	return &n->base;
err_parent:
	fprintf(stderr,
		"sealshm-compositor: talking to the parent "
		"compositor failed: %s\n",
		strerror(errno));
err:
	nested_destroy(&n->base);
	return NULL;
}
