/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * Interactive move and resize (xdg_toplevel.move and .resize).  Granted
 * only for the press of a button still held on the window (its serial
 * must be the last press's), they take the pointer from the client (it
 * gets a leave) and follow it until every button is released.  A move
 * shifts the window by the pointer's travel; a resize moves the grabbed
 * edges with the pointer and asks the client for that size in configure
 * events with the resizing state, the opposite edges staying put.
 */

#include <wayland-server-core.h>

#include "xdg-shell-server-protocol.h"

#include "internal.h"

/* No window is made smaller than this by dragging an edge. */
#define MIN_SIZE 1

void
comp_move_resize_begin(struct comp_xdg_surface *xdg, struct wl_resource *seat,
		       uint32_t serial, bool resize, uint32_t edges)
{
	struct comp_server *server = xdg->server;
	struct comp_seat *s = &server->seat;
	struct comp_move_resize *grab = &s->grab;

	/*
	 * Anything else (a stale serial, a released button, a press on
	 * another client, a maximized window) is ignored, as the protocol
	 * allows for requests that do not follow a matching press.
	 */
	if (grab->window || !xdg->mapped || xdg->maximized || xdg->fullscreen ||
	    s->buttons_down == 0 || serial != s->button_serial ||
	    !s->pointer_focus ||
	    wl_resource_get_client(s->pointer_focus->resource) !=
		    wl_resource_get_client(xdg->resource))
		return;
	grab->window = xdg;
	grab->resize = resize;
	grab->edges = edges;
	grab->start_x = s->pointer_x;
	grab->start_y = s->pointer_y;
	comp_xdg_get_window_box(xdg, &grab->x, &grab->y, &grab->width,
				&grab->height);
	if (resize) {
		xdg->resizing = true;
		xdg->configure_width = grab->width;
		xdg->configure_height = grab->height;
		comp_xdg_toplevel_configure(xdg);
	}
	/* The pointer leaves the client for the length of the grab. */
	comp_seat_refocus(server);
}

static void
resize_axis(int32_t start, int32_t size, int32_t delta, bool low, bool high,
	    int32_t *pos, int32_t *new_size)
{
	*pos = start;
	*new_size = size;
	if (low) {
		*new_size = size - delta;
		if (*new_size < MIN_SIZE)
			*new_size = MIN_SIZE;
		*pos = start + size - *new_size;
	} else if (high) {
		*new_size = size + delta;
		if (*new_size < MIN_SIZE)
			*new_size = MIN_SIZE;
	}
}

void
comp_move_resize_motion(struct comp_server *server)
{
	struct comp_move_resize *grab = &server->seat.grab;
	struct comp_xdg_surface *xdg = grab->window;
	int32_t dx = comp_clamp_coord(
		(int32_t)(server->seat.pointer_x - grab->start_x));
	int32_t dy = comp_clamp_coord(
		(int32_t)(server->seat.pointer_y - grab->start_y));
	int32_t width, height;

	if (!xdg)
		return;
	if (!grab->resize) {
		xdg->x = grab->x + dx;
		xdg->y = grab->y + dy;
		comp_server_schedule_frame(server);
		return;
	}
	resize_axis(grab->x, grab->width, dx,
		    grab->edges & XDG_TOPLEVEL_RESIZE_EDGE_LEFT,
		    grab->edges & XDG_TOPLEVEL_RESIZE_EDGE_RIGHT, &xdg->x,
		    &width);
	resize_axis(grab->y, grab->height, dy,
		    grab->edges & XDG_TOPLEVEL_RESIZE_EDGE_TOP,
		    grab->edges & XDG_TOPLEVEL_RESIZE_EDGE_BOTTOM, &xdg->y,
		    &height);
	if (width != xdg->configure_width || height != xdg->configure_height) {
		xdg->configure_width = width;
		xdg->configure_height = height;
		comp_xdg_toplevel_configure(xdg);
	}
	comp_server_schedule_frame(server);
}

bool
comp_move_resize_button(struct comp_server *server, bool pressed)
{
	struct comp_move_resize *grab = &server->seat.grab;
	struct comp_xdg_surface *xdg = grab->window;

	if (!xdg)
		return false;
	if (pressed || server->seat.buttons_down > 0)
		return true;
	grab->window = NULL;
	if (xdg->resizing) {
		xdg->resizing = false;
		/* The last configure, without the resizing state. */
		comp_xdg_toplevel_configure(xdg);
	}
	return true;
}

void
comp_move_resize_cancel(struct comp_xdg_surface *xdg)
{
	struct comp_move_resize *grab = &xdg->server->seat.grab;

	xdg->resizing = false;
	if (grab->window == xdg)
		grab->window = NULL;
}
