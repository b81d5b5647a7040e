/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * The client side every demo program and client-playing test needs: one
 * connection with its globals, an xdg toplevel, one round of dispatch.
 * Internal to the demos and tests; not installed.
 */

#ifndef SEALSHM_DEMO_COMMON_DEMO_CLIENT_H
#define SEALSHM_DEMO_COMMON_DEMO_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include <wayland-client.h>

#include "xdg-shell-client-protocol.h"

/** A connection and the globals the demos use; absent ones stay NULL. */
struct demo_globals {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct wl_subcompositor *subcompositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base; /* answers pings by itself */
	struct wl_seat *seat;	     /* the first seat, version <= 5 */
	uint32_t compositor_version; /* wl_compositor's, when bound */
	/* wl_shm.format events, after the roundtrip that follows binding */
	uint32_t shm_formats[64];
	size_t shm_formats_len;
};

/**
 * Connect to $WAYLAND_DISPLAY and ask for the globals, which are bound
 * as the registry's events are dispatched: wl_compositor at
 * @p compositor_version, and only when the compositor offers that
 * version.  -1 with errno when connecting failed.  For a caller that
 * roundtrips its own way; the others use demo_globals_connect().
 */
int
demo_globals_start(struct demo_globals *g, uint32_t compositor_version);

/**
 * As demo_globals_start(), on a connection the caller made (for example
 * wl_display_connect_to_fd() on a socketpair); demo_globals_finish()
 * disconnects it.
 */
void
demo_globals_start_display(struct demo_globals *g, struct wl_display *display,
			   uint32_t compositor_version);

/**
 * demo_globals_start() and a roundtrip (the wl_shm formats arrive in the
 * next one).  -1 with errno when connecting
 * (then g->display is NULL) or the roundtrip failed; the caller checks for
 * the globals it needs and calls demo_globals_finish() in every case.
 */
int
demo_globals_connect(struct demo_globals *g, uint32_t compositor_version);

/** Destroy what demo_globals_connect() made and disconnect. */
void
demo_globals_finish(struct demo_globals *g);

struct demo_toplevel_listener {
	/* the first configure, after it was acked */
	void (*configured)(void *data);
	/* xdg_toplevel.close */
	void (*close)(void *data);
};

/** A surface with an xdg toplevel role that keeps its own size. */
struct demo_toplevel {
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	bool configured;
	bool closed;
	const struct demo_toplevel_listener *listener;
	void *data;
};

/**
 * Make @p t a toplevel titled @p title (and @p app_id unless NULL).  Not
 * committed: the caller sets any more initial state and commits.
 * @p listener may be NULL.
 */
void
demo_toplevel_init(struct demo_toplevel *t, struct demo_globals *g,
		   const char *title, const char *app_id,
		   const struct demo_toplevel_listener *listener, void *data);

/** Destroy what demo_toplevel_init() made; a zeroed @p t is fine. */
void
demo_toplevel_finish(struct demo_toplevel *t);

enum demo_dispatch_result {
	DEMO_DISPATCH_AGAIN,	   /* events dispatched, or a signal came */
	DEMO_DISPATCH_FD_READY,	   /* the extra fd is readable */
	DEMO_DISPATCH_LOST,	   /* the connection failed */
	DEMO_DISPATCH_POLL_FAILED, /* poll() failed; errno says why */
};

/**
 * Flush, wait until @p display or @p fd (unless negative) is readable,
 * and dispatch what came.  Unlike wl_display_dispatch(), a signal that
 * interrupts the wait returns control to the caller.
 */
enum demo_dispatch_result
demo_dispatch_once(struct wl_display *display, int fd);

#endif
