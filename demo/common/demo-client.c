/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 */

#include <errno.h>
#include <poll.h>
#include <string.h>

#include "demo-client.h"

static void
handle_wm_base_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial)
{
	xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = {
	.ping = handle_wm_base_ping,
};

static void
handle_shm_format(void *data, struct wl_shm *shm, uint32_t format)
{
	struct demo_globals *g = data;
	size_t max = sizeof(g->shm_formats) / sizeof(g->shm_formats[0]);

	if (g->shm_formats_len < max)
		g->shm_formats[g->shm_formats_len++] = format;
}

static const struct wl_shm_listener shm_listener = {
	.format = handle_shm_format,
};

static void
handle_global(void *data, struct wl_registry *registry, uint32_t name,
	      const char *interface, uint32_t version)
{
	struct demo_globals *g = data;

	if (strcmp(interface, wl_compositor_interface.name) == 0) {
		if (version >= g->compositor_version)
			g->compositor = wl_registry_bind(
				registry, name, &wl_compositor_interface,
				g->compositor_version);
	} else if (strcmp(interface, wl_subcompositor_interface.name) == 0) {
		g->subcompositor = wl_registry_bind(
			registry, name, &wl_subcompositor_interface, 1);
	} else if (strcmp(interface, wl_shm_interface.name) == 0) {
		g->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
		wl_shm_add_listener(g->shm, &shm_listener, g);
	} else if (strcmp(interface, xdg_wm_base_interface.name) == 0) {
		g->wm_base = wl_registry_bind(registry, name,
					      &xdg_wm_base_interface, 1);
		xdg_wm_base_add_listener(g->wm_base, &wm_base_listener, NULL);
	} else if (strcmp(interface, wl_seat_interface.name) == 0 &&
		   !g->seat) {
		g->seat = wl_registry_bind(registry, name, &wl_seat_interface,
					   version < 5 ? version : 5);
	}
}

static void
handle_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = handle_global,
	.global_remove = handle_global_remove,
};

void
demo_globals_start_display(struct demo_globals *g, struct wl_display *display,
			   uint32_t compositor_version)
{
	memset(g, 0, sizeof(*g));
	g->compositor_version = compositor_version;
	g->display = display;
	g->registry = wl_display_get_registry(g->display);
	wl_registry_add_listener(g->registry, &registry_listener, g);
}

int
demo_globals_start(struct demo_globals *g, uint32_t compositor_version)
{
	struct wl_display *display = wl_display_connect(NULL);

	memset(g, 0, sizeof(*g));
	if (!display)
		return -1;
	demo_globals_start_display(g, display, compositor_version);
	return 0;
}

int
demo_globals_connect(struct demo_globals *g, uint32_t compositor_version)
{
	if (demo_globals_start(g, compositor_version) < 0)
		return -1;
	return wl_display_roundtrip(g->display) < 0 ? -1 : 0;
}

void
demo_globals_finish(struct demo_globals *g)
{
	if (g->seat)
		wl_seat_destroy(g->seat);
	if (g->wm_base)
		xdg_wm_base_destroy(g->wm_base);
	if (g->shm)
		wl_shm_destroy(g->shm);
	if (g->subcompositor)
		wl_subcompositor_destroy(g->subcompositor);
	if (g->compositor)
		wl_compositor_destroy(g->compositor);
	if (g->registry)
		wl_registry_destroy(g->registry);
	if (g->display)
		wl_display_disconnect(g->display);
	memset(g, 0, sizeof(*g));
}

static void
handle_xdg_surface_configure(void *data, struct xdg_surface *xdg_surface,
			     uint32_t serial)
{
	struct demo_toplevel *t = data;

	xdg_surface_ack_configure(xdg_surface, serial);
	if (t->configured)
		return;
	t->configured = true;
	if (t->listener && t->listener->configured)
		t->listener->configured(t->data);
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = handle_xdg_surface_configure,
};

static void
handle_toplevel_configure(void *data, struct xdg_toplevel *toplevel,
			  int32_t width, int32_t height,
			  struct wl_array *states)
{
	/* Every user draws at a size of its own: the demo client follows
	 * its schedule, the nested output its --size, the canary and the
	 * reference client fixed sizes the tests look for. */
}

static void
handle_toplevel_close(void *data, struct xdg_toplevel *toplevel)
{
	struct demo_toplevel *t = data;

	t->closed = true;
	if (t->listener && t->listener->close)
		t->listener->close(t->data);
}

static const struct xdg_toplevel_listener toplevel_listener = {
	.configure = handle_toplevel_configure,
	.close = handle_toplevel_close,
};

void
demo_toplevel_init(struct demo_toplevel *t, struct demo_globals *g,
		   const char *title, const char *app_id,
		   const struct demo_toplevel_listener *listener, void *data)
{
	memset(t, 0, sizeof(*t));
	t->listener = listener;
	t->data = data;
	t->surface = wl_compositor_create_surface(g->compositor);
	t->xdg_surface = xdg_wm_base_get_xdg_surface(g->wm_base, t->surface);
	xdg_surface_add_listener(t->xdg_surface, &xdg_surface_listener, t);
	t->toplevel = xdg_surface_get_toplevel(t->xdg_surface);
	xdg_toplevel_add_listener(t->toplevel, &toplevel_listener, t);
	xdg_toplevel_set_title(t->toplevel, title);
	if (app_id)
		xdg_toplevel_set_app_id(t->toplevel, app_id);
}

void
demo_toplevel_finish(struct demo_toplevel *t)
{
	if (t->toplevel)
		xdg_toplevel_destroy(t->toplevel);
	if (t->xdg_surface)
		xdg_surface_destroy(t->xdg_surface);
	if (t->surface)
		wl_surface_destroy(t->surface);
	memset(t, 0, sizeof(*t));
}

enum demo_dispatch_result
demo_dispatch_once(struct wl_display *display, int fd)
{
	struct pollfd fds[2] = {
		{ .fd = wl_display_get_fd(display), .events = POLLIN },
		{ .fd = fd, .events = POLLIN },
	};

	while (wl_display_prepare_read(display) != 0) {
		if (wl_display_dispatch_pending(display) < 0)
			return DEMO_DISPATCH_LOST;
	}
	if (wl_display_flush(display) < 0 && errno != EAGAIN) {
		wl_display_cancel_read(display);
		return DEMO_DISPATCH_LOST;
	}
	if (poll(fds, fd >= 0 ? 2 : 1, -1) < 0) {
		wl_display_cancel_read(display);
		return errno == EINTR ? DEMO_DISPATCH_AGAIN
				      : DEMO_DISPATCH_POLL_FAILED;
	}
	if (fd >= 0 && fds[1].revents) {
		wl_display_cancel_read(display);
		return DEMO_DISPATCH_FD_READY;
	}
	if (wl_display_read_events(display) < 0 ||
	    wl_display_dispatch_pending(display) < 0)
		return DEMO_DISPATCH_LOST;
	return DEMO_DISPATCH_AGAIN;
}
