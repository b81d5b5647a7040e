/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * What wlcs 1.5.0's SubsurfaceTest.place_above_simple and
 * place_below_simple meant to check, which they cannot (each asserts the
 * pointer is on neither of two subsurfaces that both cover it): after
 * wl_subsurface.place_above/place_below and the parent's commit, pointer
 * input goes to the subsurface now on top, and not before that commit.
 *
 * The test drives the integration module the way wlcs does (dlopen,
 * wlcs_server_integration, start, create_client_socket,
 * position_window_absolute, create_pointer), so it also checks the module
 * itself.  SEALSHM_WLCS_MODULE names the module.
 */

#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <wayland-client.h>

#include <wlcs/display_server.h>
#include <wlcs/pointer.h>

#include "test-client.h"
#include "test-runner.h"
#include "xdg-shell-client-protocol.h"

#define SIZE 100
#define SUB_SIZE 50
#define WINDOW_X 200
#define WINDOW_Y 150

struct client {
	struct wl_display *display;
	struct wl_compositor *compositor;
	struct wl_subcompositor *subcompositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	struct wl_seat *seat;
	struct wl_pointer *pointer;
	uint32_t configure_serial;
	bool configured;
	/* the surface the pointer is on, NULL when none */
	struct wl_surface *focus;
	wl_fixed_t x, y;
};

static void
handle_global(void *data, struct wl_registry *registry, uint32_t name,
	      const char *interface, uint32_t version)
{
	struct client *c = data;

	if (strcmp(interface, wl_compositor_interface.name) == 0)
		c->compositor = wl_registry_bind(registry, name,
						 &wl_compositor_interface, 4);
	else if (strcmp(interface, wl_subcompositor_interface.name) == 0)
		c->subcompositor = wl_registry_bind(
			registry, name, &wl_subcompositor_interface, 1);
	else if (strcmp(interface, wl_shm_interface.name) == 0)
		c->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	else if (strcmp(interface, xdg_wm_base_interface.name) == 0)
		c->wm_base = wl_registry_bind(registry, name,
					      &xdg_wm_base_interface, 1);
	else if (strcmp(interface, wl_seat_interface.name) == 0)
		c->seat =
			wl_registry_bind(registry, name, &wl_seat_interface, 5);
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
handle_configure(void *data, struct xdg_surface *surface, uint32_t serial)
{
	struct client *c = data;

	c->configure_serial = serial;
	c->configured = true;
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = handle_configure,
};

static void
handle_enter(void *data, struct wl_pointer *pointer, uint32_t serial,
	     struct wl_surface *surface, wl_fixed_t x, wl_fixed_t y)
{
	struct client *c = data;

	check_msg(!c->focus, "wl_pointer.enter without a leave first");
	c->focus = surface;
	c->x = x;
	c->y = y;
}

static void
handle_leave(void *data, struct wl_pointer *pointer, uint32_t serial,
	     struct wl_surface *surface)
{
	struct client *c = data;

	check_msg(c->focus == surface, "wl_pointer.leave of another surface");
	c->focus = NULL;
}

static void
handle_motion(void *data, struct wl_pointer *pointer, uint32_t time,
	      wl_fixed_t x, wl_fixed_t y)
{
	struct client *c = data;

	c->x = x;
	c->y = y;
}

static void
handle_button(void *data, struct wl_pointer *pointer, uint32_t serial,
	      uint32_t time, uint32_t button, uint32_t state)
{
}

static void
handle_axis(void *data, struct wl_pointer *pointer, uint32_t time,
	    uint32_t axis, wl_fixed_t value)
{
}

static void
handle_frame(void *data, struct wl_pointer *pointer)
{
}

static void
handle_axis_source(void *data, struct wl_pointer *pointer, uint32_t source)
{
}

static void
handle_axis_stop(void *data, struct wl_pointer *pointer, uint32_t time,
		 uint32_t axis)
{
}

static void
handle_axis_discrete(void *data, struct wl_pointer *pointer, uint32_t axis,
		     int32_t discrete)
{
}

static const struct wl_pointer_listener pointer_listener = {
	.enter = handle_enter,
	.leave = handle_leave,
	.motion = handle_motion,
	.button = handle_button,
	.axis = handle_axis,
	.frame = handle_frame,
	.axis_source = handle_axis_source,
	.axis_stop = handle_axis_stop,
	.axis_discrete = handle_axis_discrete,
};

static struct wl_buffer *
make_buffer(struct client *c, int32_t width, int32_t height)
{
	int32_t size = width * height * 4;
	struct wl_shm_pool *pool;
	struct wl_buffer *buffer;
	int fd;

	fd = test_client_make_memfd((uint64_t)size,
				    F_SEAL_SHRINK | F_SEAL_SEAL);
	pool = wl_shm_create_pool(c->shm, fd, size);
	buffer = wl_shm_pool_create_buffer(pool, 0, width, height, width * 4,
					   WL_SHM_FORMAT_XRGB8888);
	wl_shm_pool_destroy(pool);
	close(fd);
	return buffer;
}

struct sub {
	struct wl_surface *surface;
	struct wl_subsurface *subsurface;
	struct wl_buffer *buffer;
};

static void
make_sub(struct client *c, struct sub *sub, struct wl_surface *parent)
{
	sub->surface = wl_compositor_create_surface(c->compositor);
	sub->subsurface = wl_subcompositor_get_subsurface(c->subcompositor,
							  sub->surface, parent);
	wl_subsurface_set_position(sub->subsurface, 0, 0);
	sub->buffer = make_buffer(c, SUB_SIZE, SUB_SIZE);
	wl_surface_attach(sub->surface, sub->buffer, 0, 0);
	wl_surface_commit(sub->surface);
}

static void
destroy_sub(struct sub *sub)
{
	wl_subsurface_destroy(sub->subsurface);
	wl_surface_destroy(sub->surface);
	wl_buffer_destroy(sub->buffer);
}

TEST(input_follows_subsurface_order_after_parent_commit)
{
	const WlcsServerIntegration *integration;
	const char *module_path = getenv("SEALSHM_WLCS_MODULE");
	const char *argv[] = { "subsurface-order", "--policy", "strict" };
	WlcsDisplayServer *server;
	WlcsPointer *pointer;
	struct client c = { 0 };
	struct wl_registry *registry;
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	struct wl_buffer *buffer;
	struct sub a, b;
	void *module;

	if (!module_path)
		test_skip("SEALSHM_WLCS_MODULE is not set");
	module = dlopen(module_path, RTLD_NOW | RTLD_LOCAL);
	check_msg(module, "dlopen: %s", dlerror());
	integration = dlsym(module, "wlcs_server_integration");
	check(integration);
	server = integration->create_server(3, argv);
	check(server);
	server->start(server);

	c.display =
		wl_display_connect_to_fd(server->create_client_socket(server));
	check(c.display);
	registry = wl_display_get_registry(c.display);
	wl_registry_add_listener(registry, &registry_listener, &c);
	check(wl_display_roundtrip(c.display) >= 0);
	check(c.compositor && c.subcompositor && c.shm && c.wm_base && c.seat);
	c.pointer = wl_seat_get_pointer(c.seat);
	wl_pointer_add_listener(c.pointer, &pointer_listener, &c);

	surface = wl_compositor_create_surface(c.compositor);
	xdg_surface = xdg_wm_base_get_xdg_surface(c.wm_base, surface);
	xdg_surface_add_listener(xdg_surface, &xdg_surface_listener, &c);
	toplevel = xdg_surface_get_toplevel(xdg_surface);
	wl_surface_commit(surface);
	while (!c.configured)
		check(wl_display_dispatch(c.display) >= 0);
	xdg_surface_ack_configure(xdg_surface, c.configure_serial);
	buffer = make_buffer(&c, SIZE, SIZE);
	wl_surface_attach(surface, buffer, 0, 0);
	wl_surface_commit(surface);
	check(wl_display_roundtrip(c.display) >= 0);
	server->position_window_absolute(server, c.display, surface, WINDOW_X,
					 WINDOW_Y);

	/* Two subsurfaces covering the same corner; b, added last, on top. */
	make_sub(&c, &a, surface);
	make_sub(&c, &b, surface);
	wl_surface_commit(surface);
	check(wl_display_roundtrip(c.display) >= 0);

	pointer = server->create_pointer(server);
	check(pointer);
	pointer->move_absolute(pointer, wl_fixed_from_int(WINDOW_X + 5),
			       wl_fixed_from_int(WINDOW_Y + 7));
	check(wl_display_roundtrip(c.display) >= 0);
	check_msg(c.focus == b.surface, "the newest subsurface is not on top");
	check(c.x == wl_fixed_from_int(5) && c.y == wl_fixed_from_int(7));

	/* The new order is parent state: nothing changes before the parent
	 * commits, even though both subsurfaces committed. */
	wl_subsurface_place_above(a.subsurface, b.surface);
	wl_surface_commit(a.surface);
	wl_surface_commit(b.surface);
	check(wl_display_roundtrip(c.display) >= 0);
	check_msg(c.focus == b.surface,
		  "place_above took effect before the parent's commit");
	wl_surface_commit(surface);
	check(wl_display_roundtrip(c.display) >= 0);
	/* The pointer did not move: the compositor re-picks on its own. */
	check_msg(c.focus == a.surface, "place_above(b) did not raise a");

	wl_subsurface_place_below(a.subsurface, b.surface);
	wl_surface_commit(surface);
	check(wl_display_roundtrip(c.display) >= 0);
	check_msg(c.focus == b.surface, "place_below(b) did not lower a");

	/* Below the parent too: the parent covers the corner then. */
	wl_subsurface_place_below(a.subsurface, surface);
	wl_subsurface_place_below(b.subsurface, surface);
	wl_surface_commit(surface);
	check(wl_display_roundtrip(c.display) >= 0);
	check_msg(c.focus == surface,
		  "subsurfaces placed below their parent still get input");

	pointer->destroy(pointer);
	destroy_sub(&a);
	destroy_sub(&b);
	wl_buffer_destroy(buffer);
	xdg_toplevel_destroy(toplevel);
	xdg_surface_destroy(xdg_surface);
	wl_surface_destroy(surface);
	wl_pointer_release(c.pointer);
	wl_seat_release(c.seat);
	xdg_wm_base_destroy(c.wm_base);
	wl_shm_destroy(c.shm);
	wl_subcompositor_destroy(c.subcompositor);
	wl_compositor_destroy(c.compositor);
	wl_registry_destroy(registry);
	check(wl_display_roundtrip(c.display) >= 0);
	wl_display_disconnect(c.display);

	server->stop(server);
	integration->destroy_server(server);
	dlclose(module);
}
