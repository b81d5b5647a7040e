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

#include "demo-client.h"

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
	struct demo_globals globals;
	struct demo_toplevel window;
	struct sealshm_swapchain *swapchain;
	struct wl_callback *frame_callback;

	struct wl_surface *badge_surface;
	struct wl_subsurface *badge_subsurface;
	struct wl_buffer *badge;

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
	wl_surface_attach(c->window.surface,
			  sealshm_client_buffer_get_wl_buffer(buffer), 0, 0);
	wl_surface_damage_buffer(c->window.surface, 0, 0, width, height);
	c->frame_callback = wl_surface_frame(c->window.surface);
	wl_callback_add_listener(c->frame_callback, &frame_listener, c);
	wl_surface_commit(c->window.surface);
	c->frames++;
}

/* The first frame waits for the first configure, as xdg-shell asks. */
static void
handle_configured(void *data)
{
	draw_frame(data);
}

static const struct demo_toplevel_listener window_listener = {
	.configured = handle_configured,
};

static int
setup(struct client *c)
{
	struct demo_globals *g = &c->globals;

	if (demo_globals_connect(g, 4) < 0) {
		if (g->display)
			return -1;
		fprintf(stderr,
			"sealshm-demo-client: cannot connect to a "
			"Wayland compositor (WAYLAND_DISPLAY=%s): %s\n",
			getenv("WAYLAND_DISPLAY") ? getenv("WAYLAND_DISPLAY")
						  : "unset",
			strerror(errno));
		return -1;
	}
	if (!g->compositor || !g->shm || !g->wm_base) {
		fprintf(stderr,
			"sealshm-demo-client: the compositor lacks "
			"wl_compositor (version 4), wl_shm or xdg_wm_base\n");
		return -1;
	}
	/* The wl_shm formats, so that a format the compositor lacks is
	 * refused here rather than by a protocol error. */
	if (wl_display_roundtrip(g->display) < 0) {
		fprintf(stderr, "sealshm-demo-client: lost the compositor: %s\n",
			strerror(errno));
		return -1;
	}
	c->swapchain = sealshm_swapchain_create(g->shm);
	if (!c->swapchain ||
	    sealshm_swapchain_set_formats(c->swapchain, g->shm_formats,
					  g->shm_formats_len) < 0) {
		fprintf(stderr, "sealshm-demo-client: no swapchain: %s\n",
			strerror(errno));
		return -1;
	}

	demo_toplevel_init(&c->window, g, "sealshm demo", "sealshm-demo-client",
			   &window_listener, c);

	if (g->subcompositor) {
		c->badge = sealshm_immutable_buffer_create_drawn(
			g->shm, BADGE_WIDTH, BADGE_HEIGHT,
			WL_SHM_FORMAT_ARGB8888, draw_badge, NULL);
		if (!c->badge)
			fprintf(stderr,
				"sealshm-demo-client: no immutable "
				"badge (%s); going on without it\n",
				strerror(errno));
	}
	if (c->badge) {
		c->badge_surface = wl_compositor_create_surface(g->compositor);
		c->badge_subsurface = wl_subcompositor_get_subsurface(
			g->subcompositor, c->badge_surface, c->window.surface);
		wl_subsurface_set_desync(c->badge_subsurface);
	}
	wl_surface_commit(c->window.surface);
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
	demo_toplevel_finish(&c->window);
	sealshm_swapchain_destroy(c->swapchain);
	demo_globals_finish(&c->globals);
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
	struct wl_display *display = c->globals.display;
	bool done_waiting;

	for (;;) {
		done_waiting = c->max_frames && c->frames >= c->max_frames &&
			       !c->frame_callback;
		if (c->window.closed || c->failed || done_waiting)
			return c->failed ? -1 : 0;
		switch (demo_dispatch_once(display, signal_fd)) {
		case DEMO_DISPATCH_AGAIN:
			break;
		case DEMO_DISPATCH_FD_READY:
			return 0;
		case DEMO_DISPATCH_POLL_FAILED:
			return -1;
		case DEMO_DISPATCH_LOST:
			if (wl_display_get_error(display) == EPROTO) {
				fprintf(stderr,
					"sealshm-demo-client: the compositor "
					"sent a protocol error\n");
				return -1;
			}
			/* The compositor went away: the end of the
			 * session, not a bug. */
			return 0;
		}
	}
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
