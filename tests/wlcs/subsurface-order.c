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
#include <sys/mman.h>
#include <unistd.h>

#include <wayland-client.h>

#include <wlcs/display_server.h>
#include <wlcs/pointer.h>

#include "demo-client.h"
#include "test-client.h"
#include "test-runner.h"

#define SIZE 100
#define SUB_SIZE 50
#define WINDOW_X 200
#define WINDOW_Y 150

struct client {
	struct demo_globals g;
	struct demo_toplevel window;
	struct wl_pointer *pointer;
	/* the surface the pointer is on, NULL when none */
	struct wl_surface *focus;
	wl_fixed_t x, y;
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
	pool = wl_shm_create_pool(c->g.shm, fd, size);
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
	sub->surface = wl_compositor_create_surface(c->g.compositor);
	sub->subsurface = wl_subcompositor_get_subsurface(c->g.subcompositor,
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
	struct wl_surface *surface;
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

	demo_globals_start_display(
		&c.g,
		wl_display_connect_to_fd(server->create_client_socket(server)),
		4);
	check(c.g.display);
	check(wl_display_roundtrip(c.g.display) >= 0);
	check(c.g.compositor && c.g.subcompositor && c.g.shm && c.g.wm_base &&
	      c.g.seat);
	c.pointer = wl_seat_get_pointer(c.g.seat);
	wl_pointer_add_listener(c.pointer, &pointer_listener, &c);

	demo_toplevel_init(&c.window, &c.g, "subsurface-order", NULL, NULL,
			   NULL);
	surface = c.window.surface;
	wl_surface_commit(surface);
	while (!c.window.configured)
		check(wl_display_dispatch(c.g.display) >= 0);
	buffer = make_buffer(&c, SIZE, SIZE);
	wl_surface_attach(surface, buffer, 0, 0);
	wl_surface_commit(surface);
	check(wl_display_roundtrip(c.g.display) >= 0);
	server->position_window_absolute(server, c.g.display, surface, WINDOW_X,
					 WINDOW_Y);

	/* Two subsurfaces covering the same corner; b, added last, on top. */
	make_sub(&c, &a, surface);
	make_sub(&c, &b, surface);
	wl_surface_commit(surface);
	check(wl_display_roundtrip(c.g.display) >= 0);

	pointer = server->create_pointer(server);
	check(pointer);
	pointer->move_absolute(pointer, wl_fixed_from_int(WINDOW_X + 5),
			       wl_fixed_from_int(WINDOW_Y + 7));
	check(wl_display_roundtrip(c.g.display) >= 0);
	check_msg(c.focus == b.surface, "the newest subsurface is not on top");
	check(c.x == wl_fixed_from_int(5) && c.y == wl_fixed_from_int(7));

	/* The new order is parent state: nothing changes before the parent
	 * commits, even though both subsurfaces committed. */
	wl_subsurface_place_above(a.subsurface, b.surface);
	wl_surface_commit(a.surface);
	wl_surface_commit(b.surface);
	check(wl_display_roundtrip(c.g.display) >= 0);
	check_msg(c.focus == b.surface,
		  "place_above took effect before the parent's commit");
	wl_surface_commit(surface);
	check(wl_display_roundtrip(c.g.display) >= 0);
	/* The pointer did not move: the compositor re-picks on its own. */
	check_msg(c.focus == a.surface, "place_above(b) did not raise a");

	wl_subsurface_place_below(a.subsurface, b.surface);
	wl_surface_commit(surface);
	check(wl_display_roundtrip(c.g.display) >= 0);
	check_msg(c.focus == b.surface, "place_below(b) did not lower a");

	/* Below the parent too: the parent covers the corner then. */
	wl_subsurface_place_below(a.subsurface, surface);
	wl_subsurface_place_below(b.subsurface, surface);
	wl_surface_commit(surface);
	check(wl_display_roundtrip(c.g.display) >= 0);
	check_msg(c.focus == surface,
		  "subsurfaces placed below their parent still get input");

	pointer->destroy(pointer);
	destroy_sub(&a);
	destroy_sub(&b);
	wl_buffer_destroy(buffer);
	demo_toplevel_finish(&c.window);
	wl_pointer_release(c.pointer);
	check(wl_display_roundtrip(c.g.display) >= 0);
	demo_globals_finish(&c.g);

	server->stop(server);
	integration->destroy_server(server);
	dlclose(module);
}
