/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * A deterministic client for the demo tests.  It draws fixed content,
 * waits until the compositor reports the frame done (so the compositor
 * has composited it), and then, with --signal-pid, sends SIGTERM to that
 * process (the compositor) while still connected, so that the
 * compositor's exit screenshot and statistics show exactly this state.
 *
 *   ref-client [--signal-pid PID] scene
 *       a 160x120 toplevel with a pattern, an opaque subsurface below it
 *       at (-12, -12) and a translucent one above it at (112, 84)
 *   ref-client [--signal-pid PID] damage N
 *       a 160x120 toplevel, then N commits that each change and damage
 *       one 10x10 square
 *   ref-client [--signal-pid PID] immutable N
 *       a toplevel showing an immutable buffer, attached N more times,
 *       and a subsurface showing the same buffer
 *   ref-client [--signal-pid PID] popup
 *       the 160x120 toplevel and a 40x30 popup of colour 0xd04080 whose
 *       positioner puts it at (122, 103) from the window's origin:
 *       anchor rect (100, 80, 20, 20), anchor and gravity bottom-right,
 *       offset (2, 3)
 *   ref-client [--signal-pid PID] place
 *       three toplevels, each one colour, left to the compositor to
 *       place: A 200x150 (0xe04040), B 160x120 (0x40e040), then A
 *       shrinks to 100x80, C 240x180 (0x4040e0) maps, and A grows to
 *       300x200
 *   ref-client [--signal-pid PID] unmaximize
 *       A (0xe04040) maps at 160x120, is maximized and commits 640x480,
 *       is unmaximized and commits 640x480 once more before it acks,
 *       then 160x120; then B (0x40e040, 160x120) maps
 */

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wayland-client.h>

#include <sealshm/client.h>

#include "demo-client.h"

#define WIDTH 160
#define HEIGHT 120

struct ref {
	struct demo_globals g;
	struct demo_toplevel window;
	struct sealshm_client_pool *pool;
	bool popup_configured;
	bool frame_done;
};

static void __attribute__((noreturn)) fail(const char *what)
{
	fprintf(stderr, "ref-client: %s: %s\n", what, strerror(errno));
	exit(EXIT_FAILURE);
}

static void
handle_frame_done(void *data, struct wl_callback *callback, uint32_t time)
{
	struct ref *r = data;

	wl_callback_destroy(callback);
	r->frame_done = true;
}

static const struct wl_callback_listener frame_listener = {
	.done = handle_frame_done,
};

/* Commit @p surface and wait until the compositor has composited it. */
static void
commit_and_wait(struct ref *r, struct wl_surface *surface)
{
	struct wl_callback *callback = wl_surface_frame(surface);

	r->frame_done = false;
	wl_callback_add_listener(callback, &frame_listener, r);
	wl_surface_commit(surface);
	while (!r->frame_done) {
		if (wl_display_dispatch(r->g.display) < 0)
			fail("waiting for a frame");
	}
}

static void
setup(struct ref *r)
{
	if (demo_globals_connect(&r->g, 4) < 0)
		fail(r->g.display ? "roundtrip" : "connect");
	if (!r->g.compositor || !r->g.subcompositor || !r->g.shm ||
	    !r->g.wm_base) {
		errno = ENOENT;
		fail("a global is missing");
	}
	r->pool = sealshm_client_pool_create(r->g.shm, 1 << 20);
	if (!r->pool)
		fail("pool");
	demo_toplevel_init(&r->window, &r->g, "ref-client", NULL, NULL, NULL);
	wl_surface_commit(r->window.surface);
	while (!r->window.configured) {
		if (wl_display_dispatch(r->g.display) < 0)
			fail("waiting for configure");
	}
}

static struct sealshm_client_buffer *
make_buffer(struct ref *r, int32_t width, int32_t height, uint32_t format)
{
	struct sealshm_client_buffer *buffer;

	buffer = sealshm_client_pool_create_buffer(r->pool, width, height,
						   format);
	if (!buffer)
		fail("buffer");
	return buffer;
}

static uint32_t *
pixels_of(struct sealshm_client_buffer *buffer, int32_t *stride)
{
	*stride = sealshm_client_buffer_get_stride(buffer) / 4;
	return sealshm_client_buffer_get_data(buffer);
}

/* An opaque XRGB8888 buffer of one colour. */
static struct sealshm_client_buffer *
solid_buffer(struct ref *r, int32_t width, int32_t height, uint32_t colour)
{
	struct sealshm_client_buffer *buffer;
	int32_t stride, x, y;
	uint32_t *p;

	buffer = make_buffer(r, width, height, WL_SHM_FORMAT_XRGB8888);
	p = pixels_of(buffer, &stride);
	for (y = 0; y < height; y++)
		for (x = 0; x < width; x++)
			p[y * stride + x] = colour;
	return buffer;
}

static void
fill_pattern(struct sealshm_client_buffer *buffer)
{
	int32_t stride, x, y;
	uint32_t *p = pixels_of(buffer, &stride);

	for (y = 0; y < HEIGHT; y++) {
		for (x = 0; x < WIDTH; x++) {
			uint32_t r = (uint32_t)(x * 255 / (WIDTH - 1));
			uint32_t g = (uint32_t)(y * 255 / (HEIGHT - 1));
			uint32_t b = (x / 20 + y / 20) % 2 ? 0xc0 : 0x40;

			p[y * stride + x] = 0xff000000 | r << 16 | g << 8 | b;
		}
	}
}

static void
show(struct wl_surface *surface, struct sealshm_client_buffer *buffer)
{
	wl_surface_attach(surface, sealshm_client_buffer_get_wl_buffer(buffer),
			  0, 0);
	wl_surface_damage_buffer(surface, 0, 0, INT32_MAX, INT32_MAX);
}

static void
run_scene(struct ref *r)
{
	struct sealshm_client_buffer *main_buffer, *below_buffer, *above_buffer;
	struct wl_surface *below, *above;
	struct wl_subsurface *sub;
	int32_t stride, x, y;
	uint32_t *p;

	main_buffer = make_buffer(r, WIDTH, HEIGHT, WL_SHM_FORMAT_XRGB8888);
	fill_pattern(main_buffer);

	below = wl_compositor_create_surface(r->g.compositor);
	sub = wl_subcompositor_get_subsurface(r->g.subcompositor, below,
					      r->window.surface);
	wl_subsurface_set_position(sub, -12, -12);
	wl_subsurface_place_below(sub, r->window.surface);
	below_buffer = solid_buffer(r, 40, 40, 0xff20c040);
	show(below, below_buffer);
	wl_surface_commit(below);

	above = wl_compositor_create_surface(r->g.compositor);
	sub = wl_subcompositor_get_subsurface(r->g.subcompositor, above,
					      r->window.surface);
	wl_subsurface_set_position(sub, 112, 84);
	above_buffer = make_buffer(r, 64, 48, WL_SHM_FORMAT_ARGB8888);
	p = pixels_of(above_buffer, &stride);
	for (y = 0; y < 48; y++) {
		for (x = 0; x < 64; x++) {
			/* premultiplied: half-transparent red, and an
			 * opaque white band */
			p[y * stride + x] =
				y >= 20 && y < 28 ? 0xffffffff : 0x80800000;
		}
	}
	show(above, above_buffer);
	wl_surface_commit(above);

	show(r->window.surface, main_buffer);
	commit_and_wait(r, r->window.surface);
}

static void
run_damage(struct ref *r, int count)
{
	struct sealshm_client_buffer *buffer;
	int32_t stride, x, y, i, sx, sy;
	uint32_t *p;

	buffer = make_buffer(r, WIDTH, HEIGHT, WL_SHM_FORMAT_XRGB8888);
	fill_pattern(buffer);
	show(r->window.surface, buffer);
	commit_and_wait(r, r->window.surface);

	p = pixels_of(buffer, &stride);
	for (i = 0; i < count; i++) {
		/* Squares that never overlap, so the damage adds up. */
		sx = i * 10 % WIDTH;
		sy = i * 10 / WIDTH * 10 % HEIGHT;
		for (y = sy; y < sy + 10; y++)
			for (x = sx; x < sx + 10; x++)
				p[y * stride + x] = 0xffffffff;
		wl_surface_attach(r->window.surface,
				  sealshm_client_buffer_get_wl_buffer(buffer),
				  0, 0);
		wl_surface_damage_buffer(r->window.surface, sx, sy, 10, 10);
		commit_and_wait(r, r->window.surface);
	}
}

static void
draw_checker(void *data, int32_t width, int32_t height, int32_t stride,
	     uint32_t format, void *user_data)
{
	uint32_t *p = data;
	int32_t x, y;

	for (y = 0; y < height; y++)
		for (x = 0; x < width; x++)
			p[y * (stride / 4) + x] =
				(x / 8 + y / 8) % 2 ? 0xff3060c0 : 0xffe0e0e0;
}

static void
run_immutable(struct ref *r, int count)
{
	struct wl_surface *other;
	struct wl_subsurface *sub;
	struct wl_buffer *buffer;
	int i;

	buffer = sealshm_immutable_buffer_create_drawn(
		r->g.shm, 96, 64, WL_SHM_FORMAT_XRGB8888, draw_checker, NULL);
	if (!buffer)
		fail("immutable buffer");

	other = wl_compositor_create_surface(r->g.compositor);
	sub = wl_subcompositor_get_subsurface(r->g.subcompositor, other,
					      r->window.surface);
	wl_subsurface_set_position(sub, 100, 0);
	wl_surface_attach(other, buffer, 0, 0);
	wl_surface_damage_buffer(other, 0, 0, 96, 64);
	wl_surface_commit(other);
	for (i = 0; i <= count; i++) {
		wl_surface_attach(r->window.surface, buffer, 0, 0);
		wl_surface_damage_buffer(r->window.surface, 0, 0, 96, 64);
		commit_and_wait(r, r->window.surface);
	}
}

static void
handle_popup_xdg_configure(void *data, struct xdg_surface *xdg_surface,
			   uint32_t serial)
{
	struct ref *r = data;

	xdg_surface_ack_configure(xdg_surface, serial);
	r->popup_configured = true;
}

static const struct xdg_surface_listener popup_xdg_surface_listener = {
	.configure = handle_popup_xdg_configure,
};

static void
handle_popup_configure(void *data, struct xdg_popup *popup, int32_t x,
		       int32_t y, int32_t width, int32_t height)
{
	if (x != 122 || y != 103 || width != 40 || height != 30) {
		fprintf(stderr, "ref-client: popup configured at %d,%d %dx%d\n",
			x, y, width, height);
		exit(EXIT_FAILURE);
	}
}

static void
handle_popup_done(void *data, struct xdg_popup *popup)
{
}

static const struct xdg_popup_listener popup_listener = {
	.configure = handle_popup_configure,
	.popup_done = handle_popup_done,
};

static void
run_popup(struct ref *r)
{
	struct sealshm_client_buffer *main_buffer, *popup_buffer;
	struct xdg_surface *parent, *xdg_popup_surface;
	struct xdg_positioner *positioner;
	struct wl_surface *popup_surface;
	struct xdg_popup *popup;

	main_buffer = make_buffer(r, WIDTH, HEIGHT, WL_SHM_FORMAT_XRGB8888);
	fill_pattern(main_buffer);
	show(r->window.surface, main_buffer);
	commit_and_wait(r, r->window.surface);

	parent = r->window.xdg_surface;
	positioner = xdg_wm_base_create_positioner(r->g.wm_base);
	xdg_positioner_set_size(positioner, 40, 30);
	xdg_positioner_set_anchor_rect(positioner, 100, 80, 20, 20);
	xdg_positioner_set_anchor(positioner,
				  XDG_POSITIONER_ANCHOR_BOTTOM_RIGHT);
	xdg_positioner_set_gravity(positioner,
				   XDG_POSITIONER_GRAVITY_BOTTOM_RIGHT);
	xdg_positioner_set_offset(positioner, 2, 3);

	popup_surface = wl_compositor_create_surface(r->g.compositor);
	xdg_popup_surface =
		xdg_wm_base_get_xdg_surface(r->g.wm_base, popup_surface);
	xdg_surface_add_listener(xdg_popup_surface, &popup_xdg_surface_listener,
				 r);
	popup = xdg_surface_get_popup(xdg_popup_surface, parent, positioner);
	xdg_popup_add_listener(popup, &popup_listener, r);
	wl_surface_commit(popup_surface);
	while (!r->popup_configured) {
		if (wl_display_dispatch(r->g.display) < 0)
			fail("waiting for the popup's configure");
	}

	popup_buffer = solid_buffer(r, 40, 30, 0xffd04080);
	show(popup_surface, popup_buffer);
	commit_and_wait(r, popup_surface);
}

/* Map @p t, initialised by the caller, showing @p buffer. */
static void
map_window(struct ref *r, struct demo_toplevel *t,
	   struct sealshm_client_buffer *buffer)
{
	wl_surface_commit(t->surface);
	while (!t->configured) {
		if (wl_display_dispatch(r->g.display) < 0)
			fail("waiting for configure");
	}
	show(t->surface, buffer);
	commit_and_wait(r, t->surface);
}

static void
run_place(struct ref *r)
{
	struct demo_toplevel b = { 0 }, c = { 0 };
	struct wl_surface *a = r->window.surface;

	show(a, solid_buffer(r, 200, 150, 0xffe04040));
	commit_and_wait(r, a);

	demo_toplevel_init(&b, &r->g, "ref-client B", NULL, NULL, NULL);
	map_window(r, &b, solid_buffer(r, 160, 120, 0xff40e040));

	show(a, solid_buffer(r, 100, 80, 0xffe04040));
	commit_and_wait(r, a);

	demo_toplevel_init(&c, &r->g, "ref-client C", NULL, NULL, NULL);
	map_window(r, &c, solid_buffer(r, 240, 180, 0xff4040e0));

	show(a, solid_buffer(r, 300, 200, 0xffe04040));
	commit_and_wait(r, a);
}

static void
run_unmaximize(struct ref *r)
{
	struct sealshm_client_buffer *small, *large;
	struct demo_toplevel b = { 0 };
	struct wl_surface *a = r->window.surface;

	small = solid_buffer(r, 160, 120, 0xffe04040);
	large = solid_buffer(r, 640, 480, 0xffe04040);
	show(a, small);
	commit_and_wait(r, a);

	xdg_toplevel_set_maximized(r->window.toplevel);
	if (wl_display_roundtrip(r->g.display) < 0)
		fail("waiting for the maximized configure");
	show(a, large);
	commit_and_wait(r, a);

	/* The commit races the configure that unmaximizes, as it does
	 * in a client that draws continuously. */
	xdg_toplevel_unset_maximized(r->window.toplevel);
	show(a, large);
	commit_and_wait(r, a);
	show(a, small);
	commit_and_wait(r, a);

	demo_toplevel_init(&b, &r->g, "ref-client B", NULL, NULL, NULL);
	map_window(r, &b, solid_buffer(r, 160, 120, 0xff40e040));
}

int
main(int argc, char *argv[])
{
	struct ref r = { 0 };
	long signal_pid = 0;
	int arg = 1;

	if (argc > 2 && strcmp(argv[1], "--signal-pid") == 0) {
		signal_pid = strtol(argv[2], NULL, 10);
		arg = 3;
	}
	if (arg >= argc) {
		fprintf(stderr, "usage: ref-client [--signal-pid PID] "
				"scene|damage N|immutable N|popup|place|"
				"unmaximize\n");
		return 2;
	}
	setup(&r);
	if (strcmp(argv[arg], "scene") == 0)
		run_scene(&r);
	else if (strcmp(argv[arg], "damage") == 0 && arg + 1 < argc)
		run_damage(&r, atoi(argv[arg + 1]));
	else if (strcmp(argv[arg], "immutable") == 0 && arg + 1 < argc)
		run_immutable(&r, atoi(argv[arg + 1]));
	else if (strcmp(argv[arg], "popup") == 0)
		run_popup(&r);
	else if (strcmp(argv[arg], "place") == 0)
		run_place(&r);
	else if (strcmp(argv[arg], "unmaximize") == 0)
		run_unmaximize(&r);
	else
		return 2;

	if (signal_pid > 0) {
		if (kill((pid_t)signal_pid, SIGTERM) < 0)
			fail("kill");
		/* Stay connected until the compositor is gone. */
		while (wl_display_dispatch(r.g.display) >= 0)
			;
	}
	return 0;
}
