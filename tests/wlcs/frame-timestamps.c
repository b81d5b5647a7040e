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
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <wayland-client.h>
#include <wayland-server-core.h>

#include "comp.h"
#include "demo-client.h"
#include "test-client.h"
#include "test-runner.h"

#define WIDTH 64
#define HEIGHT 48
#define FRAMES 4

struct client {
	struct demo_globals g;
	struct demo_toplevel window;
	bool frame_done;
	uint32_t frame_time;
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
	struct wl_surface *surface;
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

	demo_globals_start_display(&c.g, wl_display_connect_to_fd(fds[1]), 4);
	check(c.g.display);
	check(wl_display_roundtrip(c.g.display) >= 0);
	check(c.g.compositor && c.g.shm && c.g.wm_base);

	demo_toplevel_init(&c.window, &c.g, "frame-timestamps", NULL, NULL,
			   NULL);
	surface = c.window.surface;
	wl_surface_commit(surface);
	while (!c.window.configured)
		check(wl_display_dispatch(c.g.display) >= 0);

	fd = test_client_make_memfd(WIDTH * HEIGHT * 4,
				    F_SEAL_SHRINK | F_SEAL_SEAL);
	pool = wl_shm_create_pool(c.g.shm, fd, WIDTH * HEIGHT * 4);
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
			check(wl_display_dispatch(c.g.display) >= 0);
		times[i] = c.frame_time;
		if (i > 0)
			check_msg(times[i] > times[i - 1],
				  "frame %d done at %u ms, frame %d at %u ms",
				  i - 1, times[i - 1], i, times[i]);
	}

	wl_buffer_destroy(buffer);
	demo_toplevel_finish(&c.window);
	wl_display_roundtrip(c.g.display);
	demo_globals_finish(&c.g);

	comp_server_terminate(server);
	check(pthread_join(thread, NULL) == 0);
	comp_server_destroy(server);
}
