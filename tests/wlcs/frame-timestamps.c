/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * What wlcs 1.5.0's ClientSurfaceEventsTest.frame_timestamp_increases
 * meant to check, which that test cannot (it waits for one frame callback
 * to fire twice): successive frame callbacks of a surface carry strictly
 * increasing times.  The compositor core runs in-process on a thread, as
 * under wlcs, and the client talks to it over a socketpair.
 */

#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <wayland-client.h>
#include <wayland-server-core.h>

#include "comp.h"
#include "test-client.h"
#include "test-runner.h"
#include "xdg-shell-client-protocol.h"

#define WIDTH 64
#define HEIGHT 48
#define FRAMES 4

struct client {
	struct wl_display *display;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	uint32_t configure_serial;
	bool configured;
	bool frame_done;
	uint32_t frame_time;
};

static void
handle_global(void *data, struct wl_registry *registry, uint32_t name,
	      const char *interface, uint32_t version)
{
	struct client *c = data;

	if (strcmp(interface, wl_compositor_interface.name) == 0)
		c->compositor = wl_registry_bind(registry, name,
						 &wl_compositor_interface, 4);
	else if (strcmp(interface, wl_shm_interface.name) == 0)
		c->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	else if (strcmp(interface, xdg_wm_base_interface.name) == 0)
		c->wm_base = wl_registry_bind(registry, name,
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
handle_frame_done(void *data, struct wl_callback *callback, uint32_t time)
{
	struct client *c = data;

	c->frame_done = true;
	c->frame_time = time;
	wl_callback_destroy(callback);
}

static const struct wl_callback_listener frame_listener = {
	.done = handle_frame_done,
};

static void *
run_server(void *data)
{
	comp_server_run(data);
	return NULL;
}

TEST(frame_callback_times_strictly_increase)
{
	struct comp_options options = {
		.no_socket = true,
		.backend = COMP_BACKEND_HEADLESS,
	};
	struct client c = { 0 };
	struct comp_server *server;
	struct wl_registry *registry;
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	struct wl_shm_pool *pool;
	struct wl_buffer *buffer;
	uint32_t times[FRAMES];
	pthread_t thread;
	int fds[2], fd, i;

	server = comp_server_create(&options);
	check(server);
	check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
	check(wl_client_create(comp_server_get_display(server), fds[0]));
	/* From here on only the server thread touches the server. */
	check(pthread_create(&thread, NULL, run_server, server) == 0);

	c.display = wl_display_connect_to_fd(fds[1]);
	check(c.display);
	registry = wl_display_get_registry(c.display);
	wl_registry_add_listener(registry, &registry_listener, &c);
	check(wl_display_roundtrip(c.display) >= 0);
	check(c.compositor && c.shm && c.wm_base);

	surface = wl_compositor_create_surface(c.compositor);
	xdg_surface = xdg_wm_base_get_xdg_surface(c.wm_base, surface);
	xdg_surface_add_listener(xdg_surface, &xdg_surface_listener, &c);
	toplevel = xdg_surface_get_toplevel(xdg_surface);
	wl_surface_commit(surface);
	while (!c.configured)
		check(wl_display_dispatch(c.display) >= 0);
	xdg_surface_ack_configure(xdg_surface, c.configure_serial);

	fd = test_client_make_memfd(WIDTH * HEIGHT * 4,
				    F_SEAL_SHRINK | F_SEAL_SEAL);
	pool = wl_shm_create_pool(c.shm, fd, WIDTH * HEIGHT * 4);
	buffer = wl_shm_pool_create_buffer(pool, 0, WIDTH, HEIGHT, WIDTH * 4,
					   WL_SHM_FORMAT_XRGB8888);
	wl_shm_pool_destroy(pool);
	close(fd);

	/* Each frame waits for the previous one, as a client that paces
	 * itself with frame callbacks does. */
	for (i = 0; i < FRAMES; i++) {
		struct wl_callback *callback = wl_surface_frame(surface);

		wl_callback_add_listener(callback, &frame_listener, &c);
		wl_surface_attach(surface, buffer, 0, 0);
		wl_surface_damage(surface, 0, 0, WIDTH, HEIGHT);
		wl_surface_commit(surface);
		c.frame_done = false;
		while (!c.frame_done)
			check(wl_display_dispatch(c.display) >= 0);
		times[i] = c.frame_time;
		if (i > 0)
			check_msg(times[i] > times[i - 1],
				  "frame %d done at %u ms, frame %d at %u ms",
				  i - 1, times[i - 1], i, times[i]);
	}

	wl_buffer_destroy(buffer);
	xdg_toplevel_destroy(toplevel);
	xdg_surface_destroy(xdg_surface);
	wl_surface_destroy(surface);
	xdg_wm_base_destroy(c.wm_base);
	wl_shm_destroy(c.shm);
	wl_compositor_destroy(c.compositor);
	wl_registry_destroy(registry);
	wl_display_roundtrip(c.display);
	wl_display_disconnect(c.display);

	comp_server_terminate(server);
	check(pthread_join(thread, NULL) == 0);
	comp_server_destroy(server);
}
