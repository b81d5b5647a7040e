/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * A buffer wider than the output: the compositor core copies only what
 * is on the output at commit and holds the buffer (no wl_buffer.release)
 * while pixels are left unread; when the window moves to show them, the
 * repaint reads them from the held buffer, the screenshot shows the
 * client's pixels there, and the buffer is released once nothing is
 * left.  The core runs in-process, driven from the test's one thread
 * together with its client over a socketpair, so the window can be moved
 * between frames (comp_server_position_surface).
 */

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <png.h>
#include <wayland-client.h>
#include <wayland-server-core.h>

#include "comp.h"
#include "demo-client.h"
#include "test-client.h"
#include "test-runner.h"

#define OUTPUT_WIDTH 320
#define OUTPUT_HEIGHT 240
#define WIDTH 800
#define HEIGHT 50

struct fixture {
	struct comp_server *server;
	struct wl_event_loop *loop;
	struct wl_client *server_client;
	struct demo_globals g;
	struct demo_toplevel window;
	bool released;
	bool frame_done;
};

/* Column x of the buffer: its own colour, so the screenshot tells
 * which column it shows. */
static uint32_t
column_colour(int32_t x)
{
	return 0xff800000u | (uint32_t)(x >> 8) << 8 | (uint32_t)(x & 0xff);
}

static void
handle_release(void *data, struct wl_buffer *buffer)
{
	struct fixture *f = data;

	f->released = true;
}

static const struct wl_buffer_listener buffer_listener = {
	.release = handle_release,
};

static void
handle_frame_done(void *data, struct wl_callback *callback, uint32_t time)
{
	struct fixture *f = data;

	f->frame_done = true;
	wl_callback_destroy(callback);
}

static const struct wl_callback_listener frame_listener = {
	.done = handle_frame_done,
};

/* Run both ends a little: the client's requests, the server's loop
 * (its frame timer too), the server's events. */
static void
pump(struct fixture *f)
{
	struct wl_display *display = f->g.display;
	struct pollfd pfd = { wl_display_get_fd(display), POLLIN, 0 };

	check(wl_display_flush(display) >= 0);
	check(wl_event_loop_dispatch(f->loop, 5) == 0);
	wl_display_flush_clients(comp_server_get_display(f->server));
	while (wl_display_prepare_read(display) != 0)
		check(wl_display_dispatch_pending(display) >= 0);
	if (poll(&pfd, 1, 5) > 0)
		check(wl_display_read_events(display) == 0);
	else
		wl_display_cancel_read(display);
	check(wl_display_dispatch_pending(display) >= 0);
}

/* Commit and wait for the frame that shows it (at most 5 s). */
static void
commit_frame(struct fixture *f, struct wl_surface *surface)
{
	struct wl_callback *callback = wl_surface_frame(surface);
	int i;

	wl_callback_add_listener(callback, &frame_listener, f);
	f->frame_done = false;
	wl_surface_commit(surface);
	for (i = 0; i < 1000 && !f->frame_done; i++)
		pump(f);
	check_msg(f->frame_done, "no frame");
}

static void
move_window(struct fixture *f, struct wl_surface *surface, int32_t x)
{
	struct wl_resource *resource = wl_client_get_object(
		f->server_client, wl_proxy_get_id((struct wl_proxy *)surface));

	check(resource);
	check(comp_server_position_surface(f->server, resource, x, 0));
}

/* The screenshot's pixel at (x, y) as 0xRRGGBB. */
static uint32_t
screenshot_pixel(struct fixture *f, int x, int y)
{
	char path[] = "/tmp/sealshm-offscreen-XXXXXX";
	png_image image;
	uint8_t *rgb;
	uint32_t pixel;
	int fd = mkstemp(path);

	check(fd >= 0);
	close(fd);
	check(comp_server_write_screenshot(f->server, path) == 0);
	memset(&image, 0, sizeof(image));
	image.version = PNG_IMAGE_VERSION;
	check(png_image_begin_read_from_file(&image, path));
	image.format = PNG_FORMAT_RGB;
	rgb = malloc(PNG_IMAGE_SIZE(image));
	check(rgb);
	check(png_image_finish_read(&image, NULL, rgb, 0, NULL));
	check(image.width == OUTPUT_WIDTH && image.height == OUTPUT_HEIGHT);
	pixel = (uint32_t)rgb[(y * OUTPUT_WIDTH + x) * 3] << 16 |
		(uint32_t)rgb[(y * OUTPUT_WIDTH + x) * 3 + 1] << 8 |
		rgb[(y * OUTPUT_WIDTH + x) * 3 + 2];
	free(rgb);
	unlink(path);
	return pixel;
}

TEST(pixels_off_the_output_are_read_when_they_show)
{
	struct comp_options options = {
		.no_socket = true,
		.backend = COMP_BACKEND_HEADLESS,
		.width = OUTPUT_WIDTH,
		.height = OUTPUT_HEIGHT,
	};
	struct fixture f = { 0 };
	struct wl_surface *surface;
	struct wl_shm_pool *pool;
	struct wl_buffer *buffer;
	uint32_t *pixels;
	int fds[2], fd, x, y;

	f.server = comp_server_create(&options);
	check(f.server);
	f.loop = comp_server_get_event_loop(f.server);
	check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
	f.server_client =
		wl_client_create(comp_server_get_display(f.server), fds[0]);
	check(f.server_client);
	demo_globals_start_display(&f.g, wl_display_connect_to_fd(fds[1]), 4);
	check(f.g.display);
	pump(&f);
	pump(&f);
	check(f.g.compositor && f.g.shm && f.g.wm_base);

	demo_toplevel_init(&f.window, &f.g, "offscreen", NULL, NULL, NULL);
	surface = f.window.surface;
	wl_surface_commit(surface);
	while (!f.window.configured)
		pump(&f);

	fd = test_client_make_memfd(WIDTH * HEIGHT * 4,
				    F_SEAL_SHRINK | F_SEAL_SEAL);
	pixels = mmap(NULL, WIDTH * HEIGHT * 4, PROT_READ | PROT_WRITE,
		      MAP_SHARED, fd, 0);
	check(pixels != MAP_FAILED);
	for (y = 0; y < HEIGHT; y++)
		for (x = 0; x < WIDTH; x++)
			pixels[y * WIDTH + x] = column_colour(x);
	pool = wl_shm_create_pool(f.g.shm, fd, WIDTH * HEIGHT * 4);
	buffer = wl_shm_pool_create_buffer(pool, 0, WIDTH, HEIGHT, WIDTH * 4,
					   WL_SHM_FORMAT_XRGB8888);
	wl_buffer_add_listener(buffer, &buffer_listener, &f);
	wl_shm_pool_destroy(pool);
	close(fd);

	wl_surface_attach(surface, buffer, 0, 0);
	wl_surface_damage_buffer(surface, 0, 0, WIDTH, HEIGHT);
	commit_frame(&f, surface);
	move_window(&f, surface, 0);
	commit_frame(&f, surface);
	check(screenshot_pixel(&f, 10, 10) == (column_colour(10) & 0xffffff));
	/* Columns 320 and on were never on the output: still unread. */
	check_msg(!f.released, "released with pixels left to read");

	/* Columns 500 to 799 show: read now, from the held buffer. */
	move_window(&f, surface, -500);
	commit_frame(&f, surface);
	check_msg(screenshot_pixel(&f, 10, 10) ==
			  (column_colour(510) & 0xffffff),
		  "column 510 shows 0x%06x", screenshot_pixel(&f, 10, 10));
	check(screenshot_pixel(&f, 299, 20) == (column_colour(799) & 0xffffff));
	check_msg(!f.released, "released with columns 320-499 unread");

	/* The last of them show: the buffer goes back to the client. */
	move_window(&f, surface, -300);
	commit_frame(&f, surface);
	check(screenshot_pixel(&f, 30, 10) == (column_colour(330) & 0xffffff));
	check_msg(f.released, "not released once every pixel was read");

	check(munmap(pixels, WIDTH * HEIGHT * 4) == 0);
	wl_buffer_destroy(buffer);
	demo_toplevel_finish(&f.window);
	pump(&f);
	demo_globals_finish(&f.g);
	comp_server_destroy(f.server);
}
