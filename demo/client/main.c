/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * sealshm-demo-client: an animated xdg toplevel drawn through
 * libsealshm-client's swapchain, changing its size every few frames from
 * small to large and back so that its pool grows in place, with a badge
 * drawn once into an immutable (write-sealed) buffer on a subsurface.
 */

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <wayland-client.h>

#include <sealshm/client.h>

#include "xdg-shell-client-protocol.h"

#define EXIT_USAGE 2
#define FRAMES_PER_SIZE 8
#define BADGE_WIDTH 72
#define BADGE_HEIGHT 24
#define BADGE_MARGIN 8

/* Window sizes, walked forwards then backwards: small to large and back. */
static const struct {
	int32_t width, height;
} sizes[] = {
	{ 200, 150 }, { 280, 210 }, { 360, 270 }, { 440, 330 },
	{ 520, 390 }, { 600, 450 }, { 680, 510 },
};
#define SIZES_LEN ((int)(sizeof(sizes) / sizeof(sizes[0])))

struct client {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct wl_subcompositor *subcompositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	struct sealshm_swapchain *swapchain;
	struct wl_callback *frame_callback;

	struct wl_surface *badge_surface;
	struct wl_subsurface *badge_subsurface;
	struct wl_buffer *badge;

	bool configured;
	bool closed;
	bool failed;
	uint64_t frames;
	uint64_t max_frames;
	int32_t width, height;
};

static const char usage[] =
	"Usage: sealshm-demo-client [OPTION...]\n"
	"\n"
	"An animated window drawn through libsealshm-client, resizing every\n"
	"few frames from small to large and back, with a badge in an\n"
	"immutable buffer.\n"
	"\n"
	"Options:\n"
	"  --frames N     stop after drawing N frames (default: run until\n"
	"                 the window is closed or the connection ends)\n"
	"  --stats FILE   write the client library's counters as JSON at\n"
	"                 exit\n"
	"  --help         show this help and exit\n";

static void __attribute__((format(printf, 1, 2), noreturn))
die_usage(const char *fmt, ...)
{
	va_list args;

	fprintf(stderr, "sealshm-demo-client: ");
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fprintf(stderr, "\nTry 'sealshm-demo-client --help'.\n");
	exit(EXIT_USAGE);
}

static void
size_for_frame(uint64_t frame, int32_t *width, int32_t *height)
{
	uint64_t step = frame / FRAMES_PER_SIZE;
	uint64_t period = 2 * (SIZES_LEN - 1);
	uint64_t i = step % period;

	if (i >= (uint64_t)SIZES_LEN)
		i = period - i;
	*width = sizes[i].width;
	*height = sizes[i].height;
}

/* Moving diagonal bands under a bouncing square: every pixel changes
 * every frame, which is what an animation costs. */
static void
draw(uint32_t *pixels, int32_t width, int32_t height, int32_t stride,
     uint64_t frame)
{
	int32_t box = height / 4;
	int32_t span_x = width - box, span_y = height - box;
	int32_t bx = (int32_t)(frame * 7 % (uint64_t)(2 * span_x));
	int32_t by = (int32_t)(frame * 5 % (uint64_t)(2 * span_y));
	int32_t x, y;

	if (bx > span_x)
		bx = 2 * span_x - bx;
	if (by > span_y)
		by = 2 * span_y - by;
	for (y = 0; y < height; y++) {
		uint32_t *row = pixels + (size_t)y * (stride / 4);

		for (x = 0; x < width; x++) {
			uint32_t band =
				(uint32_t)(x + y + (int32_t)frame * 3) / 16 % 4;
			uint32_t c = 0xff203040 + band * 0x00141008;

			if (x >= bx && x < bx + box && y >= by && y < by + box)
				c = 0xffe8a33c;
			if (x < 2 || y < 2 || x >= width - 2 || y >= height - 2)
				c = 0xffd0d8e0;
			row[x] = c;
		}
	}
}

/* A padlock-ish mark on a dark plate, drawn once. */
static void
draw_badge(void *data, int32_t width, int32_t height, int32_t stride,
	   uint32_t format, void *user_data)
{
	uint32_t *pixels = data;
	int32_t x, y;

	for (y = 0; y < height; y++) {
		uint32_t *row = pixels + (size_t)y * (stride / 4);

		for (x = 0; x < width; x++) {
			bool body = x >= 6 && x < 20 && y >= 10 && y < 20;
			bool shackle = x >= 8 && x < 18 && y >= 4 && y < 10 &&
				       !(x >= 10 && x < 16 && y >= 6);
			bool bar =
				x >= 26 && x < width - 6 && y >= 10 && y < 14;

			row[x] = 0xe0102018;
			if (body || shackle)
				row[x] = 0xff40d080;
			else if (bar)
				row[x] = 0xff80a090;
		}
	}
}

static void
handle_wm_base_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial)
{
	xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = {
	.ping = handle_wm_base_ping,
};

static void
handle_global(void *data, struct wl_registry *registry, uint32_t name,
	      const char *interface, uint32_t version)
{
	struct client *c = data;

	if (strcmp(interface, wl_compositor_interface.name) == 0) {
		c->compositor = wl_registry_bind(registry, name,
						 &wl_compositor_interface, 4);
	} else if (strcmp(interface, wl_subcompositor_interface.name) == 0) {
		c->subcompositor = wl_registry_bind(
			registry, name, &wl_subcompositor_interface, 1);
	} else if (strcmp(interface, wl_shm_interface.name) == 0) {
		c->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	} else if (strcmp(interface, xdg_wm_base_interface.name) == 0) {
		c->wm_base = wl_registry_bind(registry, name,
					      &xdg_wm_base_interface, 1);
		xdg_wm_base_add_listener(c->wm_base, &wm_base_listener, c);
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

static void draw_frame(struct client *c);

static void
handle_frame_done(void *data, struct wl_callback *callback, uint32_t time)
{
	struct client *c = data;

	wl_callback_destroy(callback);
	c->frame_callback = NULL;
	if (!c->max_frames || c->frames < c->max_frames)
		draw_frame(c);
}

static const struct wl_callback_listener frame_listener = {
	.done = handle_frame_done,
};

/* The badge sits in the top-right corner; re-attaching the same
 * immutable buffer lets the compositor reuse what it derived from it. */
static void
place_badge(struct client *c)
{
	if (!c->badge)
		return;
	wl_subsurface_set_position(c->badge_subsurface,
				   c->width - BADGE_WIDTH - BADGE_MARGIN,
				   BADGE_MARGIN);
	wl_surface_attach(c->badge_surface, c->badge, 0, 0);
	wl_surface_damage_buffer(c->badge_surface, 0, 0, BADGE_WIDTH,
				 BADGE_HEIGHT);
	wl_surface_commit(c->badge_surface);
}

static void
draw_frame(struct client *c)
{
	struct sealshm_client_buffer *buffer;
	int32_t width, height;

	size_for_frame(c->frames, &width, &height);
	buffer = sealshm_swapchain_acquire(c->swapchain, width, height,
					   WL_SHM_FORMAT_XRGB8888);
	if (!buffer) {
		fprintf(stderr, "sealshm-demo-client: no %dx%d buffer: %s\n",
			width, height, strerror(errno));
		c->failed = true;
		return;
	}
	draw(sealshm_client_buffer_get_data(buffer), width, height,
	     sealshm_client_buffer_get_stride(buffer), c->frames);
	if (width != c->width || height != c->height) {
		c->width = width;
		c->height = height;
		place_badge(c);
	}
	wl_surface_attach(c->surface,
			  sealshm_client_buffer_get_wl_buffer(buffer), 0, 0);
	wl_surface_damage_buffer(c->surface, 0, 0, width, height);
	c->frame_callback = wl_surface_frame(c->surface);
	wl_callback_add_listener(c->frame_callback, &frame_listener, c);
	wl_surface_commit(c->surface);
	c->frames++;
}

static void
handle_xdg_surface_configure(void *data, struct xdg_surface *xdg_surface,
			     uint32_t serial)
{
	struct client *c = data;

	xdg_surface_ack_configure(xdg_surface, serial);
	if (c->configured)
		return;
	c->configured = true;
	draw_frame(c);
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = handle_xdg_surface_configure,
};

static void
handle_toplevel_configure(void *data, struct xdg_toplevel *toplevel,
			  int32_t width, int32_t height,
			  struct wl_array *states)
{
	/* The size follows the schedule, which is the point of the demo. */
}

static void
handle_toplevel_close(void *data, struct xdg_toplevel *toplevel)
{
	struct client *c = data;

	c->closed = true;
}

static const struct xdg_toplevel_listener toplevel_listener = {
	.configure = handle_toplevel_configure,
	.close = handle_toplevel_close,
};

static int
setup(struct client *c)
{
	c->display = wl_display_connect(NULL);
	if (!c->display) {
		fprintf(stderr,
			"sealshm-demo-client: cannot connect to a "
			"Wayland compositor (WAYLAND_DISPLAY=%s): %s\n",
			getenv("WAYLAND_DISPLAY") ? getenv("WAYLAND_DISPLAY")
						  : "unset",
			strerror(errno));
		return -1;
	}
	c->registry = wl_display_get_registry(c->display);
	wl_registry_add_listener(c->registry, &registry_listener, c);
	if (wl_display_roundtrip(c->display) < 0)
		return -1;
	if (!c->compositor || !c->shm || !c->wm_base) {
		fprintf(stderr,
			"sealshm-demo-client: the compositor lacks "
			"wl_compositor (version 4), wl_shm or xdg_wm_base\n");
		return -1;
	}
	c->swapchain = sealshm_swapchain_create(c->shm);
	if (!c->swapchain) {
		fprintf(stderr, "sealshm-demo-client: no swapchain: %s\n",
			strerror(errno));
		return -1;
	}

	c->surface = wl_compositor_create_surface(c->compositor);
	c->xdg_surface = xdg_wm_base_get_xdg_surface(c->wm_base, c->surface);
	xdg_surface_add_listener(c->xdg_surface, &xdg_surface_listener, c);
	c->toplevel = xdg_surface_get_toplevel(c->xdg_surface);
	xdg_toplevel_add_listener(c->toplevel, &toplevel_listener, c);
	xdg_toplevel_set_title(c->toplevel, "sealshm demo");
	xdg_toplevel_set_app_id(c->toplevel, "sealshm-demo-client");

	if (c->subcompositor) {
		c->badge = sealshm_immutable_buffer_create_drawn(
			c->shm, BADGE_WIDTH, BADGE_HEIGHT,
			WL_SHM_FORMAT_ARGB8888, draw_badge, NULL);
		if (!c->badge)
			fprintf(stderr,
				"sealshm-demo-client: no immutable "
				"badge (%s); going on without it\n",
				strerror(errno));
	}
	if (c->badge) {
		c->badge_surface = wl_compositor_create_surface(c->compositor);
		c->badge_subsurface = wl_subcompositor_get_subsurface(
			c->subcompositor, c->badge_surface, c->surface);
		wl_subsurface_set_desync(c->badge_subsurface);
	}
	wl_surface_commit(c->surface);
	return 0;
}

static void
teardown(struct client *c)
{
	if (c->frame_callback)
		wl_callback_destroy(c->frame_callback);
	if (c->badge_subsurface)
		wl_subsurface_destroy(c->badge_subsurface);
	if (c->badge_surface)
		wl_surface_destroy(c->badge_surface);
	if (c->badge)
		wl_buffer_destroy(c->badge);
	if (c->toplevel)
		xdg_toplevel_destroy(c->toplevel);
	if (c->xdg_surface)
		xdg_surface_destroy(c->xdg_surface);
	if (c->surface)
		wl_surface_destroy(c->surface);
	sealshm_swapchain_destroy(c->swapchain);
	if (c->wm_base)
		xdg_wm_base_destroy(c->wm_base);
	if (c->shm)
		wl_shm_destroy(c->shm);
	if (c->subcompositor)
		wl_subcompositor_destroy(c->subcompositor);
	if (c->compositor)
		wl_compositor_destroy(c->compositor);
	if (c->registry)
		wl_registry_destroy(c->registry);
	if (c->display)
		wl_display_disconnect(c->display);
}

static int
write_stats(struct client *c, const char *path)
{
	struct sealshm_client_stats stats = { 0 };
	FILE *f;

	if (c->swapchain)
		sealshm_swapchain_get_stats(c->swapchain, &stats);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "sealshm-demo-client: cannot write %s: %s\n",
			path, strerror(errno));
		return -1;
	}
	fprintf(f,
		"{\n"
		"  \"frames\": %llu,\n"
		"  \"pools_created\": %llu,\n"
		"  \"pool_grows\": %llu,\n"
		"  \"buffers_allocated\": %llu,\n"
		"  \"bytes_peak\": %llu,\n"
		"  \"bytes_now\": %llu,\n"
		"  \"bytes_punched\": %llu\n"
		"}\n",
		(unsigned long long)c->frames,
		(unsigned long long)stats.pools_created,
		(unsigned long long)stats.pool_grows,
		(unsigned long long)stats.buffers_allocated,
		(unsigned long long)stats.bytes_peak,
		(unsigned long long)stats.bytes_now,
		(unsigned long long)stats.bytes_punched);
	if (fclose(f) != 0) {
		fprintf(stderr, "sealshm-demo-client: cannot write %s: %s\n",
			path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Dispatch until done.  SIGINT and SIGTERM come through a signalfd so
 * that they end the loop (and the statistics get written) instead of
 * being retried away inside libwayland's poll.
 */
static int
run(struct client *c, int signal_fd)
{
	struct pollfd fds[2] = {
		{ .fd = wl_display_get_fd(c->display), .events = POLLIN },
		{ .fd = signal_fd, .events = POLLIN },
	};
	bool done_waiting;

	for (;;) {
		done_waiting = c->max_frames && c->frames >= c->max_frames &&
			       !c->frame_callback;
		if (c->closed || c->failed || done_waiting)
			return c->failed ? -1 : 0;
		while (wl_display_prepare_read(c->display) != 0) {
			if (wl_display_dispatch_pending(c->display) < 0)
				goto lost;
		}
		if (wl_display_flush(c->display) < 0 && errno != EAGAIN) {
			wl_display_cancel_read(c->display);
			goto lost;
		}
		if (poll(fds, 2, -1) < 0) {
			wl_display_cancel_read(c->display);
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (fds[1].revents) {
			wl_display_cancel_read(c->display);
			return 0;
		}
		if (wl_display_read_events(c->display) < 0 ||
		    wl_display_dispatch_pending(c->display) < 0)
			goto lost;
	}
lost:
	if (wl_display_get_error(c->display) == EPROTO) {
		fprintf(stderr, "sealshm-demo-client: the compositor sent a "
				"protocol error\n");
		return -1;
	}
	/* The compositor went away: the end of the session, not a bug. */
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option long_options[] = {
		{ "frames", required_argument, NULL, 'f' },
		{ "stats", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct client c = { 0 };
	const char *stats = NULL;
	int opt, status = EXIT_SUCCESS, signal_fd;
	sigset_t mask;
	char *end;

	while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		switch (opt) {
		case 'f':
			errno = 0;
			c.max_frames = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end ||
			    c.max_frames == 0 || optarg[0] == '-')
				die_usage("--frames '%s': give a positive "
					  "number of frames",
					  optarg);
			break;
		case 's':
			stats = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_SUCCESS;
		default:
			fprintf(stderr, "Try 'sealshm-demo-client --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (signal_fd < 0) {
		fprintf(stderr, "sealshm-demo-client: signalfd: %s\n",
			strerror(errno));
		return EXIT_FAILURE;
	}

	if (setup(&c) < 0 || run(&c, signal_fd) < 0)
		status = EXIT_FAILURE;
	if (stats && write_stats(&c, stats) < 0)
		status = EXIT_FAILURE;
	teardown(&c);
	close(signal_fd);
	return status;
}
