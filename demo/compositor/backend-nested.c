/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * The nested backend: the output is an xdg_toplevel in a parent Wayland
 * compositor, drawn into buffers from libsealshm-client's swapchain.
 * Frames are paced by the parent's frame callbacks, so our clients'
 * frame callbacks fire only once the parent has composited their
 * content.  Buffer age limits each copy to what changed since the
 * buffer last held the output.  The parent's keyboard and pointer drive
 * the seat: keys reach the client with the focus (through our own
 * keymap: both sides use evdev key codes), and the pointer moves over
 * the output at the window's own coordinates.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	/* the parent's input devices, and the keys and buttons they hold
	 * down on our seat (released when the parent's focus leaves) */
	struct wl_keyboard *keyboard;
	struct wl_pointer *pointer;
	struct wl_array keys;
	struct wl_array buttons;
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

/* Add or remove @p code in @p held; false when nothing changed. */
static bool
track(struct wl_array *held, uint32_t code, bool down)
{
	uint32_t *c, *last;

	wl_array_for_each (c, held) {
		if (*c != code)
			continue;
		if (down)
			return false;
		last = (uint32_t *)((char *)held->data + held->size) - 1;
		*c = *last;
		held->size -= sizeof(*c);
		return true;
	}
	if (!down)
		return false;
	c = wl_array_add(held, sizeof(*c));
	if (c)
		*c = code;
	return c != NULL;
}

static void
handle_keymap(void *data, struct wl_keyboard *keyboard, uint32_t format,
	      int32_t fd, uint32_t size)
{
	/* Our own keymap interprets the codes. */
	close(fd);
}

static void
handle_keyboard_enter(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		      struct wl_surface *surface, struct wl_array *keys)
{
	/* Keys already held belong to whatever had the focus before. */
}

static void
handle_keyboard_leave(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		      struct wl_surface *surface)
{
	struct nested *n = data;
	uint32_t *key;

	wl_array_for_each (key, &n->keys)
		comp_server_keyboard_key(n->base.server, comp_now_msec(), *key,
					 false);
	n->keys.size = 0;
}

static void
handle_key(void *data, struct wl_keyboard *keyboard, uint32_t serial,
	   uint32_t time, uint32_t key, uint32_t state)
{
	struct nested *n = data;
	bool down = state == WL_KEYBOARD_KEY_STATE_PRESSED;

	if (track(&n->keys, key, down))
		comp_server_keyboard_key(n->base.server, time, key, down);
}

static void
handle_modifiers(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		 uint32_t depressed, uint32_t latched, uint32_t locked,
		 uint32_t group)
{
	/* Our keymap's state follows the keys themselves. */
}

static void
handle_repeat_info(void *data, struct wl_keyboard *keyboard, int32_t rate,
		   int32_t delay)
{
}

static const struct wl_keyboard_listener keyboard_listener = {
	.keymap = handle_keymap,
	.enter = handle_keyboard_enter,
	.leave = handle_keyboard_leave,
	.key = handle_key,
	.modifiers = handle_modifiers,
	.repeat_info = handle_repeat_info,
};

static void
handle_pointer_enter(void *data, struct wl_pointer *pointer, uint32_t serial,
		     struct wl_surface *surface, wl_fixed_t x, wl_fixed_t y)
{
	struct nested *n = data;

	comp_server_pointer_motion(n->base.server, comp_now_msec(),
				   wl_fixed_to_double(x),
				   wl_fixed_to_double(y));
}

static void
handle_pointer_leave(void *data, struct wl_pointer *pointer, uint32_t serial,
		     struct wl_surface *surface)
{
	struct nested *n = data;
	uint32_t *button;

	wl_array_for_each (button, &n->buttons)
		comp_server_pointer_button(n->base.server, comp_now_msec(),
					   *button, false);
	n->buttons.size = 0;
}

static void
handle_pointer_motion(void *data, struct wl_pointer *pointer, uint32_t time,
		      wl_fixed_t x, wl_fixed_t y)
{
	struct nested *n = data;

	comp_server_pointer_motion(n->base.server, time, wl_fixed_to_double(x),
				   wl_fixed_to_double(y));
}

static void
handle_pointer_button(void *data, struct wl_pointer *pointer, uint32_t serial,
		      uint32_t time, uint32_t button, uint32_t state)
{
	struct nested *n = data;
	bool down = state == WL_POINTER_BUTTON_STATE_PRESSED;

	if (track(&n->buttons, button, down))
		comp_server_pointer_button(n->base.server, time, button, down);
}

static void
handle_pointer_axis(void *data, struct wl_pointer *pointer, uint32_t time,
		    uint32_t axis, wl_fixed_t value)
{
	/* Scrolling is not forwarded. */
}

static const struct wl_pointer_listener pointer_listener = {
	.enter = handle_pointer_enter,
	.leave = handle_pointer_leave,
	.motion = handle_pointer_motion,
	.button = handle_pointer_button,
	.axis = handle_pointer_axis,
};

static void
handle_seat_capabilities(void *data, struct wl_seat *seat, uint32_t caps)
{
	struct nested *n = data;

	if ((caps & WL_SEAT_CAPABILITY_KEYBOARD) && !n->keyboard) {
		n->keyboard = wl_seat_get_keyboard(seat);
		wl_keyboard_add_listener(n->keyboard, &keyboard_listener, n);
	}
	if ((caps & WL_SEAT_CAPABILITY_POINTER) && !n->pointer) {
		n->pointer = wl_seat_get_pointer(seat);
		wl_pointer_add_listener(n->pointer, &pointer_listener, n);
		comp_server_set_seat_capabilities(n->base.server,
						  WL_SEAT_CAPABILITY_POINTER);
	}
}

static void
handle_seat_name(void *data, struct wl_seat *seat, const char *name)
{
}

static const struct wl_seat_listener seat_listener = {
	.capabilities = handle_seat_capabilities,
	.name = handle_seat_name,
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
	if (n->keyboard)
		wl_keyboard_destroy(n->keyboard);
	if (n->pointer)
		wl_pointer_destroy(n->pointer);
	wl_array_release(&n->keys);
	wl_array_release(&n->buttons);
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
	wl_array_init(&n->keys);
	wl_array_init(&n->buttons);

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
	if (n->parent.seat)
		wl_seat_add_listener(n->parent.seat, &seat_listener, n);

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
