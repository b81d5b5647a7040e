/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * Private types of the compositor core, shared by its files.
 */

#ifndef SEALSHM_DEMO_COMPOSITOR_INTERNAL_H
#define SEALSHM_DEMO_COMPOSITOR_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <pixman.h>
#include <wayland-server-core.h>

#include "comp.h"

struct comp_surface;
struct comp_backend;
struct comp_xdg_surface;
struct comp_data_source;
struct sealshm_buffer;
struct xkb_context;
struct xkb_keymap;
struct xkb_state;

/* Counters of the compositor itself; the shm module keeps its own. */
struct comp_stats {
	uint64_t commits;
	uint64_t frames;
	/* output pixels re-composited, summed over frames */
	uint64_t damage_pixels;
	/* client buffer pixels copied at commit */
	uint64_t pixels_copied;
	/* immutable buffers converted, and re-attachments served from
	 * the cache instead */
	uint64_t immutable_conversions;
	uint64_t immutable_cache_hits;
	/* errors posted by the compositor core (the shm module counts its
	 * own as clients_disconnected) */
	uint64_t protocol_errors;
	uint64_t clients;
};

struct comp_backend_impl {
	/* present the renderer's output; call comp_server_frame_done()
	 * when the frame was shown */
	void (*present)(struct comp_backend *backend,
			pixman_region32_t *damage);
	/* arrange for comp_server_repaint() to be called soon */
	void (*schedule)(struct comp_backend *backend);
	void (*destroy)(struct comp_backend *backend);
};

struct comp_backend {
	const struct comp_backend_impl *impl;
	struct comp_server *server;
};

#define COMP_MAX_TOUCH_POINTS 16

struct comp_touch_point {
	int32_t id;
	struct comp_surface *surface;
	struct wl_listener surface_destroy;
	/* the surface's output position when the point went down */
	int32_t origin_x, origin_y;
	/* where it is now, in surface coordinates */
	double x, y;
};

/* keyboard.c: one XKB keymap and state for every client. */
struct comp_keyboard {
	struct xkb_context *context;
	struct xkb_keymap *keymap;
	struct xkb_state *state;
	/* the keymap text in a sealed memfd, opened read-only */
	int keymap_fd;
	uint32_t keymap_size;
	/* wl_keyboard resources */
	struct wl_list resources;
	struct comp_surface *focus;
	struct wl_listener focus_destroy;
	/* evdev key codes held now, uint32_t each */
	struct wl_array keys;
	uint32_t mods_depressed, mods_latched, mods_locked, group;
};

/* data-device.c: the clipboard. */
struct comp_data_device {
	/* wl_data_device resources */
	struct wl_list devices;
	struct comp_data_source *selection;
	uint32_t selection_serial;
	/* the client with the keyboard focus: it sees the selection */
	struct wl_client *focus_client;
};

/* move-resize.c: the interactive move or resize under way, if any. */
struct comp_move_resize {
	/* NULL when none is under way */
	struct comp_xdg_surface *window;
	bool resize;
	uint32_t edges;
	/* the pointer, and the window geometry's box, when it began */
	double start_x, start_y;
	int32_t x, y, width, height;
};

/*
 * The one seat: a keyboard always (keys come from the nested backend's
 * parent or from in-process drivers), a pointer and touch when a driver
 * gives them.
 */
struct comp_seat {
	uint32_t capabilities;
	/* wl_resource links of wl_seat, wl_pointer and wl_touch objects */
	struct wl_list seats;
	struct wl_list pointers;
	struct wl_list touches;
	/* where the pointer is, once a driver moved it */
	bool pointer_valid;
	double pointer_x, pointer_y;
	/* buttons held now: the focus stays while any is */
	uint32_t buttons_down;
	/* the serial of the last button press, for move and resize */
	uint32_t button_serial;
	struct comp_surface *pointer_focus;
	struct wl_listener pointer_focus_destroy;
	int32_t focus_x, focus_y;
	struct comp_touch_point touch[COMP_MAX_TOUCH_POINTS];
	struct comp_keyboard keyboard;
	struct comp_data_device data;
	struct comp_move_resize grab;
};

struct comp_server {
	struct comp_options options;
	struct wl_display *display;
	struct wl_event_loop *loop;
	const char *socket;
	struct sealshm *shm;

	struct wl_global *compositor_global;
	struct wl_global *subcompositor_global;
	struct wl_global *xdg_wm_base_global;
	struct wl_global *output_global;
	struct wl_global *seat_global;
	struct wl_global *data_device_manager_global;
	/* bound wl_output objects: wl_resource links */
	struct wl_list outputs;
	struct wl_listener client_created;

	/* every wl_surface: comp_surface.link */
	struct wl_list surfaces;
	/* mapped toplevels, bottom first: comp_xdg_surface.stack_link */
	struct wl_list toplevels;
	/* mapped popups, bottom first: comp_xdg_surface.stack_link */
	struct wl_list popups;
	/* bound xdg_wm_base objects: comp_xdg_wm_base.link */
	struct wl_list wm_bases;
	struct wl_event_source *ping_timer;
	/* the toplevel shown as activated: the last mapped or clicked */
	struct comp_xdg_surface *active;
	struct comp_seat seat;
	unsigned int cascade;

	/* renderer */
	pixman_image_t *output;
	pixman_image_t *background;
	pixman_region32_t damage;
	uint32_t frame_seq;
	bool repaint_needed;
	/* a presented frame is not on screen yet */
	bool frame_pending;
	/* frame callbacks of the frame being presented */
	struct wl_list presented_callbacks;

	struct comp_backend *backend;
	/* "headless" or "nested", the output's model name */
	const char *backend_name;

	struct wl_event_source *screenshot_timer;
	unsigned int screenshot_seq;

	struct comp_stats stats;
};

/* A surface's state between commits (pending) or held for a synchronized
 * subsurface until its parent commits (cached). */
struct comp_surface_state {
	bool buffer_attached;
	struct wl_resource *buffer;
	struct wl_listener buffer_destroy;
	bool scale_set;
	int32_t scale;
	pixman_region32_t surface_damage;
	pixman_region32_t buffer_damage;
	struct wl_list frame_callbacks;
	/* wl_surface.set_input_region, NULL meaning infinite */
	bool input_set;
	bool input_infinite;
	pixman_region32_t input;
};

struct comp_surface_role {
	const char *name;
	/* return false after posting an error to refuse the request */
	bool (*attach)(struct comp_surface *surface,
		       struct wl_resource *buffer);
	bool (*precommit)(struct comp_surface *surface,
			  struct comp_surface_state *state);
	void (*commit)(struct comp_surface *surface);
};

struct comp_subsurface {
	struct wl_resource *resource;
	struct comp_surface *surface;
	struct comp_surface *parent;
	/* in parent->subsurfaces_below or _above, bottom first */
	struct wl_list link;
	struct wl_listener surface_destroy;
	struct wl_listener parent_destroy;
	int32_t x, y;
	int32_t pending_x, pending_y;
	bool synchronized;
};

struct comp_surface {
	struct comp_server *server;
	struct wl_resource *resource;
	struct wl_list link;

	struct comp_surface_state pending;
	struct comp_surface_state cached;
	bool has_cached;

	/* the committed content: a copy of the client's pixels, or the
	 * cached conversion of an immutable buffer */
	pixman_image_t *image;
	/* the image belongs to the immutable-buffer cache: never write */
	bool image_shared;
	int32_t buffer_width, buffer_height;
	int32_t scale;
	/* size in surface coordinates; 0x0 without content */
	int32_t width, height;
	/* damage in surface coordinates not yet composited */
	pixman_region32_t content_damage;
	/* buffer-copy.c: the buffer whose pixels in stale (buffer
	 * coordinates, outside the output when it came) are not copied
	 * yet: referenced and not released until they are */
	struct sealshm_buffer *held;
	struct wl_resource *held_resource;
	struct wl_listener held_destroy;
	pixman_region32_t stale;
	/* committed frame callbacks waiting for the next frame */
	struct wl_list frame_callbacks;
	/* where input lands, in surface coordinates, clipped to the size */
	bool input_infinite;
	pixman_region32_t input;

	const struct comp_surface_role *role;
	void *role_data;
	struct wl_list subsurfaces_below;
	struct wl_list subsurfaces_above;

	/* where the last frame showed it, for damage when that changes */
	bool shown;
	pixman_box32_t shown_box;
	uint32_t seen_seq;
	/* wl_surface.enter was sent for the output */
	bool on_output;

	struct wl_signal destroy_signal;
};

struct comp_xdg_wm_base {
	struct comp_server *server;
	struct wl_resource *resource;
	struct wl_list link;
	/* comp_xdg_surface.wm_base_link */
	struct wl_list surfaces;
	uint32_t ping_serial;
	bool ping_pending;
};

enum comp_xdg_role {
	COMP_XDG_NONE = 0,
	COMP_XDG_TOPLEVEL,
	COMP_XDG_POPUP,
};

struct comp_xdg_box {
	int32_t x, y, width, height;
};

struct comp_xdg_surface {
	struct comp_server *server;
	struct comp_xdg_wm_base *wm_base;
	struct wl_list wm_base_link;
	struct wl_resource *resource;
	struct comp_surface *surface;
	struct wl_listener surface_destroy;

	enum comp_xdg_role role;
	struct wl_resource *role_resource;

	/* configure serials sent and not yet acknowledged, oldest first */
	uint32_t serials[16];
	int serials_len;
	bool initial_configure_sent;
	bool mapped;

	bool has_geometry, pending_has_geometry;
	struct comp_xdg_box geometry, pending_geometry;

	/* toplevel or popup position of the window geometry's origin:
	 * output coordinates for toplevels, relative to the parent's
	 * window geometry for popups */
	int32_t x, y;
	struct wl_list stack_link;

	/* toplevel */
	bool maximized, fullscreen;
	/* an interactive resize is under way: configures say so */
	bool resizing;
	/* the size the last interactive resize asked for; 0: the client's
	 * choice */
	int32_t configure_width, configure_height;
	/* placed by comp_server_position_surface(), not by the shell */
	bool positioned;
	/* the largest window geometry size since the toplevel mapped,
	 * kept clear when placing new toplevels */
	int32_t claim_width, claim_height;

	/* popup */
	bool grabbed;
	struct comp_xdg_surface *parent;
	struct wl_list popups;
	struct wl_list popup_link;
	struct comp_xdg_box popup_box;
};

/* server.c */
void
comp_post_error(struct comp_server *server, struct wl_resource *resource,
		uint32_t code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

uint32_t
comp_now_msec(void);

/* surface.c */
int
comp_surface_init_globals(struct comp_server *server);

struct comp_surface *
comp_surface_from_resource(struct wl_resource *resource);

/* NULL when @p resource is not one of this server's wl_surfaces */
struct comp_surface *
comp_surface_try_from_resource(struct wl_resource *resource);

/* false, after posting an error on @p error_resource, when the surface
 * already has another role */
bool
comp_surface_set_role(struct comp_surface *surface,
		      const struct comp_surface_role *role, void *data,
		      struct wl_resource *error_resource, uint32_t code);

void
comp_surface_set_image(struct comp_surface *surface, pixman_image_t *image,
		       bool shared);

/* buffer-copy.c */
/* copy the damaged part of a committed buffer that is on the output;
 * release the buffer, or hold it while pixels are left to read */
void
comp_surface_copy_buffer(struct comp_surface *surface,
			 struct wl_resource *resource,
			 struct sealshm_buffer *buffer,
			 pixman_region32_t *damage);

/* the repaint shows the surface at (x, y): read what shows now */
void
comp_surface_copy_shown(struct comp_surface *surface, int32_t x, int32_t y);

/* release and forget the held buffer, if any */
void
comp_surface_release_held(struct comp_surface *surface);

void
comp_surface_handle_held_destroy(struct wl_listener *listener, void *data);

/* wl_subcompositor in subsurface.c */
int
comp_subsurface_init_global(struct comp_server *server);

void
comp_subsurface_parent_applied(struct comp_surface *parent);

/* true for a subsurface that is synchronized or has a synchronized
 * ancestor: its commits wait for the parent's */
bool
comp_subsurface_is_synchronized(struct comp_surface *surface);

/* the surface at the top of @p surface's subsurface tree */
struct comp_surface *
comp_subsurface_get_root(struct comp_surface *surface);

void
comp_surface_apply_cached(struct comp_surface *surface);

/* xdg-shell.c */
int
comp_xdg_shell_init(struct comp_server *server);

void
comp_xdg_shell_fini(struct comp_server *server);

/* the surface's position on the output, or false when not shown */
bool
comp_xdg_surface_get_origin(struct comp_xdg_surface *xdg,
			    int32_t *x, int32_t *y);

/* output.c, seat.c */
int
comp_output_init(struct comp_server *server);

int
comp_seat_init(struct comp_server *server);

/* after the scene changed: the pointer may be over another surface now */
void
comp_seat_refocus(struct comp_server *server);

/* send wl_surface.enter (or leave) for the output */
void
comp_output_surface_enter(struct comp_surface *surface, bool enter);

/* activate the toplevel that @p surface (or its popup or subsurface
 * tree) belongs to, as a click does */
void
comp_xdg_activate_surface(struct comp_surface *surface);

/* a press outside every window closes the open menus */
void
comp_xdg_dismiss_grabbed_popups(struct comp_server *server);

/* the xdg_surface of a wl_surface, or NULL */
struct comp_xdg_surface *
comp_xdg_surface_from_surface(struct comp_surface *surface);

/* the surface that should have the keyboard focus: the activated
 * toplevel's, or its topmost grabbed popup's */
struct comp_surface *
comp_xdg_keyboard_target(struct comp_server *server);

/* where a mapped toplevel's window geometry is on the output */
void
comp_xdg_get_window_box(struct comp_xdg_surface *xdg, int32_t *x, int32_t *y,
			int32_t *width, int32_t *height);

/* send a toplevel its configure (size, states) again */
void
comp_xdg_toplevel_configure(struct comp_xdg_surface *xdg);

/* keyboard.c */
int
comp_keyboard_init(struct comp_server *server);

void
comp_keyboard_fini(struct comp_server *server);

void
comp_keyboard_create(struct wl_client *client, struct wl_resource *seat,
		     uint32_t id);

/* after activation or popups changed: move the focus where it belongs */
void
comp_keyboard_refocus(struct comp_server *server);

/* data-device.c */
int
comp_data_device_init(struct comp_server *server);

/* the keyboard focus moved to @p client (NULL: to nobody) */
void
comp_data_device_set_focus(struct comp_server *server,
			   struct wl_client *client);

/* move-resize.c */
void
comp_move_resize_begin(struct comp_xdg_surface *xdg, struct wl_resource *seat,
		       uint32_t serial, bool resize, uint32_t edges);

/* the pointer moved while a move or resize is under way */
void
comp_move_resize_motion(struct comp_server *server);

/* a button went down or up: false when no move or resize is under way
 * (the button is then the client's) */
bool
comp_move_resize_button(struct comp_server *server, bool pressed);

/* the window unmaps: stop moving or resizing it */
void
comp_move_resize_cancel(struct comp_xdg_surface *xdg);

/* render.c */
uint64_t
comp_region_area(pixman_region32_t *region);

/*
 * Clients send any int32 as a position or size; the scene adds them up.
 * Clamped to +-2^24, sums stay far from overflow, and nothing that large
 * could be on the output anyway.
 */
int32_t
comp_clamp_coord(int32_t value);

int
comp_render_init(struct comp_server *server);

void
comp_render_fini(struct comp_server *server);

/* note that something changed; a frame follows */
void
comp_server_schedule_frame(struct comp_server *server);

/* called by the backend when it may show a new frame */
void
comp_server_repaint(struct comp_server *server);

/* called by the backend when the frame it presented is on screen */
void
comp_server_frame_done(struct comp_server *server);

void
comp_surface_damage_shown(struct comp_surface *surface);

/* the topmost shown surface at output position (x, y), and its output
 * position, or NULL */
struct comp_surface *
comp_server_surface_at(struct comp_server *server, double x, double y,
		       int32_t *origin_x, int32_t *origin_y);

/* backends */
struct comp_backend *
comp_backend_headless_create(struct comp_server *server);

struct comp_backend *
comp_backend_nested_create(struct comp_server *server);

/* png.c */
int
comp_png_write(pixman_image_t *image, const char *path);

#endif /* SEALSHM_DEMO_COMPOSITOR_INTERNAL_H */
