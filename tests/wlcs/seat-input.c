/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * The keyboard as wlcs drives it, through the integration module's
 * create_keyboard (WlcsDisplayServer version 4, which Debian's wlcs 1.5.0
 * does not call yet): keys reach the window with the focus, with the
 * modifiers they change; a click moves the focus, and the new window's
 * enter lists the keys still held; a grabbed popup takes the keys and
 * gives the focus back when a press outside closes it; a keyboard that
 * goes releases what it held.  And an interactive resize asks for the
 * size the pointer drags out, saying it is resizing until the button is
 * released.  SEALSHM_WLCS_MODULE names the module.
 */

#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/input-event-codes.h>
#include <wayland-client.h>

#include <wlcs/display_server.h>
#include <wlcs/pointer.h>

#include "demo-client.h"
#include "test-client.h"
#include "test-runner.h"
#include "wlcs-keyboard.h"
#include "xdg-shell-client-protocol.h"

#define SIZE 100

struct window {
	/* the last xdg_toplevel.configure */
	int32_t width, height;
	bool resizing;
	/* xdg_popup.popup_done came */
	bool done;
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	struct xdg_popup *popup;
	struct wl_buffer *buffer;
	uint32_t configure_serial;
	bool configured;
};

struct client {
	struct demo_globals g;
	struct wl_keyboard *keyboard;
	struct wl_pointer *pointer;
	bool keymap;
	/* the keyboard focus, and the keys its enter listed */
	struct wl_surface *focus;
	uint32_t enter_keys[8];
	size_t enter_keys_len;
	/* the last key event, and the surface that had the focus then */
	uint32_t key, key_state;
	struct wl_surface *key_surface;
	unsigned int keys_seen;
	uint32_t mods_depressed;
	uint32_t button_serial;
};

static void
handle_keymap(void *data, struct wl_keyboard *keyboard, uint32_t format,
	      int32_t fd, uint32_t size)
{
	struct client *c = data;

	c->keymap = format == WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1 && size > 0;
	close(fd);
}

static void
handle_enter(void *data, struct wl_keyboard *keyboard, uint32_t serial,
	     struct wl_surface *surface, struct wl_array *keys)
{
	struct client *c = data;
	uint32_t *key;

	check_msg(!c->focus, "wl_keyboard.enter without a leave first");
	c->focus = surface;
	c->enter_keys_len = 0;
	wl_array_for_each (key, keys) {
		check(c->enter_keys_len < 8);
		c->enter_keys[c->enter_keys_len++] = *key;
	}
}

static void
handle_leave(void *data, struct wl_keyboard *keyboard, uint32_t serial,
	     struct wl_surface *surface)
{
	struct client *c = data;

	/* NULL: the client destroyed the surface while the leave was on
	 * its way. */
	check_msg(!surface || c->focus == surface,
		  "wl_keyboard.leave of another surface");
	c->focus = NULL;
}

static void
handle_key(void *data, struct wl_keyboard *keyboard, uint32_t serial,
	   uint32_t time, uint32_t key, uint32_t state)
{
	struct client *c = data;

	c->key = key;
	c->key_state = state;
	c->key_surface = c->focus;
	c->keys_seen++;
}

static void
handle_modifiers(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		 uint32_t depressed, uint32_t latched, uint32_t locked,
		 uint32_t group)
{
	struct client *c = data;

	c->mods_depressed = depressed;
}

static void
handle_repeat_info(void *data, struct wl_keyboard *keyboard, int32_t rate,
		   int32_t delay)
{
}

static const struct wl_keyboard_listener keyboard_listener = {
	.keymap = handle_keymap,
	.enter = handle_enter,
	.leave = handle_leave,
	.key = handle_key,
	.modifiers = handle_modifiers,
	.repeat_info = handle_repeat_info,
};

static void
handle_pointer_enter(void *data, struct wl_pointer *pointer, uint32_t serial,
		     struct wl_surface *surface, wl_fixed_t x, wl_fixed_t y)
{
}

static void
handle_pointer_leave(void *data, struct wl_pointer *pointer, uint32_t serial,
		     struct wl_surface *surface)
{
}

static void
handle_motion(void *data, struct wl_pointer *pointer, uint32_t time,
	      wl_fixed_t x, wl_fixed_t y)
{
}

static void
handle_button(void *data, struct wl_pointer *pointer, uint32_t serial,
	      uint32_t time, uint32_t button, uint32_t state)
{
	struct client *c = data;

	if (state == WL_POINTER_BUTTON_STATE_PRESSED)
		c->button_serial = serial;
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
	.enter = handle_pointer_enter,
	.leave = handle_pointer_leave,
	.motion = handle_motion,
	.button = handle_button,
	.axis = handle_axis,
	.frame = handle_frame,
	.axis_source = handle_axis_source,
	.axis_stop = handle_axis_stop,
	.axis_discrete = handle_axis_discrete,
};

static void
handle_configure(void *data, struct xdg_surface *surface, uint32_t serial)
{
	struct window *w = data;

	w->configure_serial = serial;
	w->configured = true;
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = handle_configure,
};

static void
handle_toplevel_configure(void *data, struct xdg_toplevel *toplevel,
			  int32_t width, int32_t height,
			  struct wl_array *states)
{
	struct window *w = data;
	uint32_t *state;

	w->width = width;
	w->height = height;
	w->resizing = false;
	wl_array_for_each (state, states) {
		if (*state == XDG_TOPLEVEL_STATE_RESIZING)
			w->resizing = true;
	}
}

static void
handle_toplevel_close(void *data, struct xdg_toplevel *toplevel)
{
}

static const struct xdg_toplevel_listener toplevel_listener = {
	.configure = handle_toplevel_configure,
	.close = handle_toplevel_close,
};

static void
handle_popup_configure(void *data, struct xdg_popup *popup, int32_t x,
		       int32_t y, int32_t width, int32_t height)
{
}

static void
handle_popup_done(void *data, struct xdg_popup *popup)
{
	struct window *w = data;

	w->done = true;
}

static void
handle_repositioned(void *data, struct xdg_popup *popup, uint32_t token)
{
}

static const struct xdg_popup_listener popup_listener = {
	.configure = handle_popup_configure,
	.popup_done = handle_popup_done,
	.repositioned = handle_repositioned,
};

static struct wl_buffer *
make_buffer(struct client *c)
{
	int32_t size = SIZE * SIZE * 4;
	struct wl_shm_pool *pool;
	struct wl_buffer *buffer;
	int fd;

	fd = test_client_make_memfd((uint64_t)size,
				    F_SEAL_SHRINK | F_SEAL_SEAL);
	pool = wl_shm_create_pool(c->g.shm, fd, size);
	buffer = wl_shm_pool_create_buffer(pool, 0, SIZE, SIZE, SIZE * 4,
					   WL_SHM_FORMAT_XRGB8888);
	wl_shm_pool_destroy(pool);
	close(fd);
	return buffer;
}

/* Configure, ack and commit a buffer: the window maps. */
static void
map_window(struct client *c, struct window *w)
{
	wl_surface_commit(w->surface);
	while (!w->configured)
		check(wl_display_dispatch(c->g.display) >= 0);
	xdg_surface_ack_configure(w->xdg_surface, w->configure_serial);
	w->buffer = make_buffer(c);
	wl_surface_attach(w->surface, w->buffer, 0, 0);
	wl_surface_commit(w->surface);
	check(wl_display_roundtrip(c->g.display) >= 0);
}

static void
make_toplevel(struct client *c, struct window *w)
{
	memset(w, 0, sizeof(*w));
	w->surface = wl_compositor_create_surface(c->g.compositor);
	w->xdg_surface = xdg_wm_base_get_xdg_surface(c->g.wm_base, w->surface);
	xdg_surface_add_listener(w->xdg_surface, &xdg_surface_listener, w);
	w->toplevel = xdg_surface_get_toplevel(w->xdg_surface);
	xdg_toplevel_add_listener(w->toplevel, &toplevel_listener, w);
	map_window(c, w);
}

static void
destroy_window(struct window *w)
{
	if (w->popup)
		xdg_popup_destroy(w->popup);
	if (w->toplevel)
		xdg_toplevel_destroy(w->toplevel);
	xdg_surface_destroy(w->xdg_surface);
	wl_surface_destroy(w->surface);
	if (w->buffer)
		wl_buffer_destroy(w->buffer);
	w->popup = NULL;
	w->toplevel = NULL;
}

struct fixture {
	void *module;
	const WlcsServerIntegration *integration;
	WlcsDisplayServer *server;
	struct client c;
};

static void
start(struct fixture *f)
{
	const char *module_path = getenv("SEALSHM_WLCS_MODULE");
	const char *argv[] = { "seat-input", "--policy", "strict" };
	struct client *c = &f->c;

	memset(f, 0, sizeof(*f));
	if (!module_path)
		test_skip("SEALSHM_WLCS_MODULE is not set");
	f->module = dlopen(module_path, RTLD_NOW | RTLD_LOCAL);
	check_msg(f->module, "dlopen: %s", dlerror());
	f->integration = dlsym(f->module, "wlcs_server_integration");
	check(f->integration);
	f->server = f->integration->create_server(3, argv);
	check(f->server);
	check_msg(f->server->version >= 4, "the module's server is version %u",
		  f->server->version);
	f->server->start(f->server);

	demo_globals_start_display(
		&c->g,
		wl_display_connect_to_fd(
			f->server->create_client_socket(f->server)),
		4);
	check(c->g.display);
	check(wl_display_roundtrip(c->g.display) >= 0);
	check(c->g.compositor && c->g.shm && c->g.wm_base && c->g.seat);
	c->keyboard = wl_seat_get_keyboard(c->g.seat);
	wl_keyboard_add_listener(c->keyboard, &keyboard_listener, c);
	c->pointer = wl_seat_get_pointer(c->g.seat);
	wl_pointer_add_listener(c->pointer, &pointer_listener, c);
	check(wl_display_roundtrip(c->g.display) >= 0);
	check_msg(c->keymap, "no XKB keymap");
}

static void
stop(struct fixture *f)
{
	struct client *c = &f->c;

	wl_pointer_release(c->pointer);
	wl_keyboard_release(c->keyboard);
	check(wl_display_roundtrip(c->g.display) >= 0);
	demo_globals_finish(&c->g);
	f->server->stop(f->server);
	f->integration->destroy_server(f->server);
	dlclose(f->module);
}

static void
click(struct fixture *f, WlcsPointer *pointer, int x, int y)
{
	pointer->move_absolute(pointer, wl_fixed_from_int(x),
			       wl_fixed_from_int(y));
	pointer->button_down(pointer, BTN_LEFT);
	pointer->button_up(pointer, BTN_LEFT);
	check(wl_display_roundtrip(f->c.g.display) >= 0);
}

static void
key(struct fixture *f, WlcsKeyboard *keyboard, int code, bool down)
{
	if (down)
		keyboard->key_down(keyboard, code);
	else
		keyboard->key_up(keyboard, code);
	check(wl_display_roundtrip(f->c.g.display) >= 0);
}

TEST(keys_follow_the_focus_and_a_click_moves_it)
{
	struct fixture f;
	struct client *c = &f.c;
	WlcsKeyboard *keyboard;
	WlcsPointer *pointer;
	struct window a, b;
	unsigned int seen;

	start(&f);
	make_toplevel(c, &a);
	make_toplevel(c, &b);
	f.server->position_window_absolute(f.server, c->g.display, a.surface, 50,
					   50);
	f.server->position_window_absolute(f.server, c->g.display, b.surface, 400,
					   50);
	check(wl_display_roundtrip(c->g.display) >= 0);
	/* The newest window is activated and has the focus. */
	check_msg(c->focus == b.surface, "the new window has no focus");

	keyboard = wlcs_compat_create_keyboard(f.server);
	check(keyboard);
	key(&f, keyboard, KEY_A, true);
	check(c->key == KEY_A && c->key_state == WL_KEYBOARD_KEY_STATE_PRESSED);
	check(c->key_surface == b.surface);
	key(&f, keyboard, KEY_LEFTSHIFT, true);
	check_msg(c->mods_depressed != 0, "Shift changed no modifier");

	/* Click-to-focus: the other window gets the focus, and its enter
	 * lists the keys still held. */
	pointer = f.server->create_pointer(f.server);
	check(pointer);
	click(&f, pointer, 60, 60);
	check_msg(c->focus == a.surface, "the click did not move the focus");
	check(c->enter_keys_len == 2);
	check((c->enter_keys[0] == KEY_A &&
	       c->enter_keys[1] == KEY_LEFTSHIFT) ||
	      (c->enter_keys[1] == KEY_A && c->enter_keys[0] == KEY_LEFTSHIFT));
	key(&f, keyboard, KEY_A, false);
	check(c->key == KEY_A &&
	      c->key_state == WL_KEYBOARD_KEY_STATE_RELEASED);
	check(c->key_surface == a.surface);

	/* A keyboard that goes releases what it held: Shift here. */
	seen = c->keys_seen;
	keyboard->destroy(keyboard);
	check(wl_display_roundtrip(c->g.display) >= 0);
	check(c->keys_seen == seen + 1);
	check(c->key == KEY_LEFTSHIFT &&
	      c->key_state == WL_KEYBOARD_KEY_STATE_RELEASED);
	check_msg(c->mods_depressed == 0, "Shift is still down");

	/* The focused window goes: the one left gets the focus. */
	destroy_window(&a);
	check(wl_display_roundtrip(c->g.display) >= 0);
	check_msg(c->focus == b.surface, "the focus did not move on");

	pointer->destroy(pointer);
	destroy_window(&b);
	stop(&f);
}

TEST(grabbed_popup_takes_the_keys_and_gives_the_focus_back)
{
	struct fixture f;
	struct client *c = &f.c;
	struct xdg_positioner *positioner;
	WlcsKeyboard *keyboard;
	WlcsPointer *pointer;
	struct window parent, popup = { 0 };

	start(&f);
	make_toplevel(c, &parent);
	f.server->position_window_absolute(f.server, c->g.display, parent.surface,
					   50, 50);
	pointer = f.server->create_pointer(f.server);
	click(&f, pointer, 60, 60);
	check(c->focus == parent.surface);

	positioner = xdg_wm_base_create_positioner(c->g.wm_base);
	xdg_positioner_set_size(positioner, 30, 30);
	xdg_positioner_set_anchor_rect(positioner, 0, 0, 1, 1);
	popup.surface = wl_compositor_create_surface(c->g.compositor);
	popup.xdg_surface =
		xdg_wm_base_get_xdg_surface(c->g.wm_base, popup.surface);
	xdg_surface_add_listener(popup.xdg_surface, &xdg_surface_listener,
				 &popup);
	popup.popup = xdg_surface_get_popup(popup.xdg_surface,
					    parent.xdg_surface, positioner);
	xdg_popup_add_listener(popup.popup, &popup_listener, &popup);
	xdg_positioner_destroy(positioner);
	xdg_popup_grab(popup.popup, c->g.seat, c->button_serial);
	map_window(c, &popup);
	check_msg(c->focus == popup.surface,
		  "the grabbed popup did not get the focus");

	keyboard = wlcs_compat_create_keyboard(f.server);
	check(keyboard);
	key(&f, keyboard, KEY_B, true);
	check(c->key == KEY_B && c->key_surface == popup.surface);
	key(&f, keyboard, KEY_B, false);

	/* A press outside every window closes the menu, which gives the
	 * focus back to its window. */
	click(&f, pointer, 600, 600);
	check_msg(popup.done, "no popup_done for a press outside");
	check_msg(c->focus == parent.surface,
		  "the focus did not return to the parent");
	destroy_window(&popup);
	check(wl_display_roundtrip(c->g.display) >= 0);
	key(&f, keyboard, KEY_C, true);
	check(c->key == KEY_C && c->key_surface == parent.surface);

	keyboard->destroy(keyboard);
	pointer->destroy(pointer);
	destroy_window(&parent);
	stop(&f);
}

TEST(interactive_resize_configures_the_dragged_size)
{
	struct fixture f;
	struct client *c = &f.c;
	WlcsPointer *pointer;
	struct window w, other;

	start(&f);
	make_toplevel(c, &w);
	f.server->position_window_absolute(f.server, c->g.display, w.surface, 50,
					   50);
	pointer = f.server->create_pointer(f.server);
	pointer->move_absolute(pointer, wl_fixed_from_int(145),
			       wl_fixed_from_int(145));
	pointer->button_down(pointer, BTN_LEFT);
	check(wl_display_roundtrip(c->g.display) >= 0);

	/* A stale serial is ignored: nothing follows the pointer. */
	xdg_toplevel_resize(w.toplevel, c->g.seat, c->button_serial - 1,
			    XDG_TOPLEVEL_RESIZE_EDGE_BOTTOM_RIGHT);
	check(wl_display_roundtrip(c->g.display) >= 0);
	check(!w.resizing);

	xdg_toplevel_resize(w.toplevel, c->g.seat, c->button_serial,
			    XDG_TOPLEVEL_RESIZE_EDGE_BOTTOM_RIGHT);
	check(wl_display_roundtrip(c->g.display) >= 0);
	check_msg(w.resizing, "no configure with the resizing state");
	check(w.width == SIZE && w.height == SIZE);
	pointer->move_absolute(pointer, wl_fixed_from_int(175),
			       wl_fixed_from_int(165));
	check(wl_display_roundtrip(c->g.display) >= 0);
	check_msg(w.width == SIZE + 30 && w.height == SIZE + 20 && w.resizing,
		  "configure %dx%d%s during the resize", w.width, w.height,
		  w.resizing ? " resizing" : "");
	/* Smaller than nothing is one pixel. */
	pointer->move_absolute(pointer, wl_fixed_from_int(0),
			       wl_fixed_from_int(0));
	check(wl_display_roundtrip(c->g.display) >= 0);
	check(w.width == 1 && w.height == 1);
	pointer->move_absolute(pointer, wl_fixed_from_int(165),
			       wl_fixed_from_int(155));
	pointer->button_up(pointer, BTN_LEFT);
	check(wl_display_roundtrip(c->g.display) >= 0);
	check_msg(!w.resizing && w.width == SIZE + 20 && w.height == SIZE + 10,
		  "final configure %dx%d%s", w.width, w.height,
		  w.resizing ? " resizing" : "");

	/* The size sticks: the configure that tells it another window
	 * was activated keeps it. */
	w.width = 0;
	make_toplevel(c, &other);
	check(wl_display_roundtrip(c->g.display) >= 0);
	check(w.width == SIZE + 20 && w.height == SIZE + 10);

	pointer->destroy(pointer);
	destroy_window(&other);
	destroy_window(&w);
	stop(&f);
}
