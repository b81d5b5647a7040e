/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * The compositor core of sealshm-compositor as a small internal library:
 * the sealshm-compositor program is a thin command line around it, and an
 * in-process user (the wlcs integration module) can create, run and
 * destroy servers the same way.  There is no global or static state: two
 * servers can live in one process.  Everything runs on the server's
 * wl_event_loop; comp_server_run() may be called from any one thread, and
 * comp_server_terminate() from any thread.
 */

#ifndef SEALSHM_DEMO_COMPOSITOR_COMP_H
#define SEALSHM_DEMO_COMPOSITOR_COMP_H

#include <stdbool.h>
#include <stdint.h>

#include <sealshm/server.h>

struct wl_display;
struct wl_resource;
struct wl_event_loop;
struct comp_server;

enum comp_backend_kind {
	/* nested when WAYLAND_DISPLAY is set, headless otherwise */
	COMP_BACKEND_AUTO = 0,
	COMP_BACKEND_HEADLESS,
	COMP_BACKEND_NESTED,
};

/** Zero-initialise, then set what you need; zero means the default. */
struct comp_options {
	/** socket name under $XDG_RUNTIME_DIR; NULL: first free wayland-N */
	const char *socket;
	/** true: add no listening socket (in-process users add clients) */
	bool no_socket;
	enum sealshm_policy policy;
	/** output size; default 1280x720 */
	int32_t width, height;
	enum comp_backend_kind backend;
	/** write DIR/frame-NNNN.png every screenshot_interval seconds */
	const char *screenshot_dir;
	double screenshot_interval;
	/** log every client bug reported by the shm module to stderr */
	bool verbose;
};

/**
 * Create a server: display, globals, the sealshm wl_shm with the given
 * policy, renderer and backend.  @return NULL with errno set and a message
 * on stderr; errno is ENOTSUP when the shm module does not implement the
 * policy.
 */
struct comp_server *
comp_server_create(const struct comp_options *options);

/** Destroy the server and every client.  NULL is a no-op. */
void
comp_server_destroy(struct comp_server *server);

struct wl_display *
comp_server_get_display(struct comp_server *server);

struct wl_event_loop *
comp_server_get_event_loop(struct comp_server *server);

/** The listening socket's name, or NULL with no_socket. */
const char *
comp_server_get_socket(struct comp_server *server);

/** Run the event loop until comp_server_terminate(). */
void
comp_server_run(struct comp_server *server);

/** Make comp_server_run() return; safe from any thread. */
void
comp_server_terminate(struct comp_server *server);

/**
 * Write the last composited frame as PNG.  @return 0, or -1 with a
 * message on stderr.
 */
int
comp_server_write_screenshot(struct comp_server *server, const char *path);

/** Write the counters as JSON.  @return 0, or -1 with a message. */
int
comp_server_write_stats(struct comp_server *server, const char *path);

/*
 * In-process control, for drivers such as the wlcs integration module.
 * Call on the event loop's thread (or while the loop is not running).
 */

/**
 * Place the toplevel whose wl_surface is @p surface so that its window
 * geometry starts at (@p x, @p y) on the output, now and when it maps.
 * @return false when the surface has no xdg_toplevel.
 */
bool
comp_server_position_surface(struct comp_server *server,
			     struct wl_resource *surface, int32_t x,
			     int32_t y);

/**
 * Advertise wl_seat capabilities (WL_SEAT_CAPABILITY_POINTER, ...).  The
 * keyboard is always there: WL_SEAT_CAPABILITY_KEYBOARD is added.
 */
void
comp_server_set_seat_capabilities(struct comp_server *server,
				  uint32_t capabilities);

/** Move the pointer to output position (@p x, @p y); focus follows. */
void
comp_server_pointer_motion(struct comp_server *server, uint32_t time_msec,
			   double x, double y);

/** Press or release a button (a Linux input event code, BTN_LEFT...). */
void
comp_server_pointer_button(struct comp_server *server, uint32_t time_msec,
			   uint32_t button, bool pressed);

/** Touch point @p id goes down at output position (@p x, @p y). */
void
comp_server_touch_down(struct comp_server *server, uint32_t time_msec,
		       int32_t id, double x, double y);

void
comp_server_touch_motion(struct comp_server *server, uint32_t time_msec,
			 int32_t id, double x, double y);

void
comp_server_touch_up(struct comp_server *server, uint32_t time_msec,
		     int32_t id);

/**
 * Press or release a key (a Linux input event code, KEY_A...): the
 * client with the keyboard focus gets it, with the modifiers it changes.
 */
void
comp_server_keyboard_key(struct comp_server *server, uint32_t time_msec,
			 uint32_t key, bool pressed);

/**
 * The key code that types the ASCII character @p c without modifiers in
 * the compositor's keymap (lowercase letters, digits, space, Return for
 * '\n', ...), or 0 when no key does.
 */
uint32_t
comp_server_keyboard_code_for_char(struct comp_server *server, char c);

/** Whether a client's surface has the keyboard focus. */
bool
comp_server_keyboard_has_focus(struct comp_server *server);

#endif /* SEALSHM_DEMO_COMPOSITOR_COMP_H */
