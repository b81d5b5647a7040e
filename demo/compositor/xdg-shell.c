/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * xdg_wm_base, xdg_positioner, xdg_surface, xdg_toplevel and xdg_popup:
 * configure and ack, window geometry, toplevels placed where they
 * overlap no other (cascaded when nothing is free), popups placed by their
 * positioner without constraint adjustment (the output has no edges that
 * a demo popup could cross in practice).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <wayland-server-core.h>

#include "xdg-shell-server-protocol.h"

#include "internal.h"

#define XDG_WM_BASE_VERSION 3
#define PING_INTERVAL_MS 5000
#define CASCADE_STEP 40
#define CASCADE_SLOTS 8
/* Free-space placement: distance from the output's edges, grid step and
 * the gap kept between windows.  The margin equals the first cascade
 * step, so a lone window sits where the cascade would put it. */
#define PLACE_MARGIN CASCADE_STEP
#define PLACE_GRID 20
#define PLACE_GAP 20
/* Beyond this many mapped toplevels the search (quadratic in them) is
 * skipped: a client mapping thousands must not stall the server. */
#define PLACE_MAX_TOPLEVELS 32

struct xdg_positioner {
	struct comp_server *server;
	int32_t width, height;
	struct comp_xdg_box anchor_rect;
	bool has_anchor_rect;
	uint32_t anchor, gravity;
	int32_t offset_x, offset_y;
};

static const struct comp_surface_role xdg_surface_role;

static void
resource_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

/* Positioner */

static void
positioner_set_size(struct wl_client *client, struct wl_resource *resource,
		    int32_t width, int32_t height)
{
	struct xdg_positioner *p = wl_resource_get_user_data(resource);

	if (width <= 0 || height <= 0) {
		comp_post_error(p->server, resource,
				XDG_POSITIONER_ERROR_INVALID_INPUT,
				"xdg_positioner.set_size %dx%d: both must be "
				"positive",
				width, height);
		return;
	}
	p->width = comp_clamp_coord(width);
	p->height = comp_clamp_coord(height);
}

static void
positioner_set_anchor_rect(struct wl_client *client,
			   struct wl_resource *resource, int32_t x, int32_t y,
			   int32_t width, int32_t height)
{
	struct xdg_positioner *p = wl_resource_get_user_data(resource);

	if (width < 0 || height < 0) {
		comp_post_error(p->server, resource,
				XDG_POSITIONER_ERROR_INVALID_INPUT,
				"xdg_positioner.set_anchor_rect %dx%d: the "
				"size must not be negative",
				width, height);
		return;
	}
	p->anchor_rect = (struct comp_xdg_box){
		comp_clamp_coord(x),
		comp_clamp_coord(y),
		comp_clamp_coord(width),
		comp_clamp_coord(height),
	};
	p->has_anchor_rect = true;
}

static void
positioner_set_anchor(struct wl_client *client, struct wl_resource *resource,
		      uint32_t anchor)
{
	struct xdg_positioner *p = wl_resource_get_user_data(resource);

	if (anchor > XDG_POSITIONER_ANCHOR_BOTTOM_RIGHT) {
		comp_post_error(p->server, resource,
				XDG_POSITIONER_ERROR_INVALID_INPUT,
				"xdg_positioner.set_anchor %u is not an "
				"xdg_positioner.anchor value",
				anchor);
		return;
	}
	p->anchor = anchor;
}

static void
positioner_set_gravity(struct wl_client *client, struct wl_resource *resource,
		       uint32_t gravity)
{
	struct xdg_positioner *p = wl_resource_get_user_data(resource);

	if (gravity > XDG_POSITIONER_GRAVITY_BOTTOM_RIGHT) {
		comp_post_error(p->server, resource,
				XDG_POSITIONER_ERROR_INVALID_INPUT,
				"xdg_positioner.set_gravity %u is not an "
				"xdg_positioner.gravity value",
				gravity);
		return;
	}
	p->gravity = gravity;
}

static void
positioner_set_constraint_adjustment(struct wl_client *client,
				     struct wl_resource *resource,
				     uint32_t adjustment)
{
	/* No constraints are applied; see the top of the file. */
}

static void
positioner_set_offset(struct wl_client *client, struct wl_resource *resource,
		      int32_t x, int32_t y)
{
	struct xdg_positioner *p = wl_resource_get_user_data(resource);

	p->offset_x = comp_clamp_coord(x);
	p->offset_y = comp_clamp_coord(y);
}

static void
positioner_set_reactive(struct wl_client *client, struct wl_resource *resource)
{
	/* Parents never move on their own here, so nothing to react to. */
}

static void
positioner_set_parent_size(struct wl_client *client,
			   struct wl_resource *resource, int32_t width,
			   int32_t height)
{
	/* Only needed with reactive positioners. */
}

static void
positioner_set_parent_configure(struct wl_client *client,
				struct wl_resource *resource, uint32_t serial)
{
	/* Only needed with reactive positioners. */
}

static const struct xdg_positioner_interface positioner_impl = {
	.destroy = resource_destroy,
	.set_size = positioner_set_size,
	.set_anchor_rect = positioner_set_anchor_rect,
	.set_anchor = positioner_set_anchor,
	.set_gravity = positioner_set_gravity,
	.set_constraint_adjustment = positioner_set_constraint_adjustment,
	.set_offset = positioner_set_offset,
	.set_reactive = positioner_set_reactive,
	.set_parent_size = positioner_set_parent_size,
	.set_parent_configure = positioner_set_parent_configure,
};

static void
handle_positioner_destroy(struct wl_resource *resource)
{
	free(wl_resource_get_user_data(resource));
}

/* The popup's box relative to the parent's window geometry. */
static struct comp_xdg_box
positioner_place(const struct xdg_positioner *p)
{
	const struct comp_xdg_box *r = &p->anchor_rect;
	struct comp_xdg_box box = { 0, 0, p->width, p->height };
	int32_t ax = r->x + r->width / 2, ay = r->y + r->height / 2;

	switch (p->anchor) {
	case XDG_POSITIONER_ANCHOR_LEFT:
	case XDG_POSITIONER_ANCHOR_TOP_LEFT:
	case XDG_POSITIONER_ANCHOR_BOTTOM_LEFT:
		ax = r->x;
		break;
	case XDG_POSITIONER_ANCHOR_RIGHT:
	case XDG_POSITIONER_ANCHOR_TOP_RIGHT:
	case XDG_POSITIONER_ANCHOR_BOTTOM_RIGHT:
		ax = r->x + r->width;
		break;
	}
	switch (p->anchor) {
	case XDG_POSITIONER_ANCHOR_TOP:
	case XDG_POSITIONER_ANCHOR_TOP_LEFT:
	case XDG_POSITIONER_ANCHOR_TOP_RIGHT:
		ay = r->y;
		break;
	case XDG_POSITIONER_ANCHOR_BOTTOM:
	case XDG_POSITIONER_ANCHOR_BOTTOM_LEFT:
	case XDG_POSITIONER_ANCHOR_BOTTOM_RIGHT:
		ay = r->y + r->height;
		break;
	}

	box.x = ax - p->width / 2;
	box.y = ay - p->height / 2;
	switch (p->gravity) {
	case XDG_POSITIONER_GRAVITY_LEFT:
	case XDG_POSITIONER_GRAVITY_TOP_LEFT:
	case XDG_POSITIONER_GRAVITY_BOTTOM_LEFT:
		box.x = ax - p->width;
		break;
	case XDG_POSITIONER_GRAVITY_RIGHT:
	case XDG_POSITIONER_GRAVITY_TOP_RIGHT:
	case XDG_POSITIONER_GRAVITY_BOTTOM_RIGHT:
		box.x = ax;
		break;
	}
	switch (p->gravity) {
	case XDG_POSITIONER_GRAVITY_TOP:
	case XDG_POSITIONER_GRAVITY_TOP_LEFT:
	case XDG_POSITIONER_GRAVITY_TOP_RIGHT:
		box.y = ay - p->height;
		break;
	case XDG_POSITIONER_GRAVITY_BOTTOM:
	case XDG_POSITIONER_GRAVITY_BOTTOM_LEFT:
	case XDG_POSITIONER_GRAVITY_BOTTOM_RIGHT:
		box.y = ay;
		break;
	}
	box.x += p->offset_x;
	box.y += p->offset_y;
	return box;
}

static struct xdg_positioner *
positioner_from_resource(struct comp_xdg_wm_base *base,
			 struct wl_resource *resource,
			 struct wl_resource *error_resource)
{
	struct xdg_positioner *p = wl_resource_get_user_data(resource);

	if (p->width <= 0 || !p->has_anchor_rect) {
		comp_post_error(base->server, error_resource,
				XDG_WM_BASE_ERROR_INVALID_POSITIONER,
				"xdg_positioner@%u is incomplete: set_size "
				"and set_anchor_rect are required",
				wl_resource_get_id(resource));
		return NULL;
	}
	return p;
}

/* xdg_surface */

static struct comp_xdg_box window_geometry(struct comp_xdg_surface *xdg);

static void
send_configure(struct comp_xdg_surface *xdg)
{
	struct comp_server *server = xdg->server;
	uint32_t serial = wl_display_next_serial(server->display);
	struct wl_array states;
	int32_t width = 0, height = 0;
	uint32_t *state;

	if (xdg->role == COMP_XDG_TOPLEVEL) {
		wl_array_init(&states);
		if (xdg->maximized || xdg->fullscreen) {
			width = server->options.width;
			height = server->options.height;
		} else {
			width = xdg->configure_width;
			height = xdg->configure_height;
		}
		if (server->active == xdg) {
			state = wl_array_add(&states, sizeof(*state));
			if (state)
				*state = XDG_TOPLEVEL_STATE_ACTIVATED;
		}
		if (xdg->resizing) {
			state = wl_array_add(&states, sizeof(*state));
			if (state)
				*state = XDG_TOPLEVEL_STATE_RESIZING;
		}
		if (xdg->maximized || xdg->fullscreen) {
			state = wl_array_add(&states, sizeof(*state));
			if (state)
				*state = xdg->fullscreen
						 ? XDG_TOPLEVEL_STATE_FULLSCREEN
						 : XDG_TOPLEVEL_STATE_MAXIMIZED;
		}
		xdg_toplevel_send_configure(xdg->role_resource, width, height,
					    &states);
		wl_array_release(&states);
	} else if (xdg->role == COMP_XDG_POPUP) {
		xdg_popup_send_configure(xdg->role_resource, xdg->popup_box.x,
					 xdg->popup_box.y, xdg->popup_box.width,
					 xdg->popup_box.height);
	}

	/* A client that never acks is buggy; remember the newest ones. */
	if (xdg->serials_len ==
	    (int)(sizeof(xdg->serials) / sizeof(xdg->serials[0]))) {
		memmove(xdg->serials, xdg->serials + 1,
			sizeof(xdg->serials) - sizeof(xdg->serials[0]));
		xdg->serials_len--;
	}
	xdg->serials[xdg->serials_len++] = serial;
	xdg_surface_send_configure(xdg->resource, serial);
}

void
comp_xdg_get_window_box(struct comp_xdg_surface *xdg, int32_t *x, int32_t *y,
			int32_t *width, int32_t *height)
{
	struct comp_xdg_box geometry = window_geometry(xdg);

	*x = xdg->x;
	*y = xdg->y;
	*width = geometry.width;
	*height = geometry.height;
}

void
comp_xdg_toplevel_configure(struct comp_xdg_surface *xdg)
{
	if (xdg->role == COMP_XDG_TOPLEVEL && xdg->initial_configure_sent)
		send_configure(xdg);
}

/*
 * The first configure goes out as soon as the role object exists, and
 * again at the first commit after an unmap: a client that waits for it
 * after its initial commit gets it, and so does one (like wlcs) that
 * expects it before committing at all.
 */
static void
send_initial_configure(struct comp_xdg_surface *xdg)
{
	if (xdg->initial_configure_sent)
		return;
	xdg->initial_configure_sent = true;
	send_configure(xdg);
}

static void
stack_remove(struct comp_xdg_surface *xdg)
{
	wl_list_remove(&xdg->stack_link);
	wl_list_init(&xdg->stack_link);
}

static void dismiss_popups(struct comp_xdg_surface *xdg);

/* Hide a popup and its children; the client learns it with popup_done. */
static void
dismiss_popup(struct comp_xdg_surface *popup)
{
	dismiss_popups(popup);
	if (popup->mapped)
		xdg_popup_send_popup_done(popup->role_resource);
	popup->mapped = false;
	stack_remove(popup);
	wl_list_remove(&popup->popup_link);
	wl_list_init(&popup->popup_link);
	popup->parent = NULL;
	popup->grabbed = false;
	comp_server_schedule_frame(popup->server);
	/* A grabbed popup gives the keyboard back. */
	comp_keyboard_refocus(popup->server);
}

static void
dismiss_popups(struct comp_xdg_surface *xdg)
{
	struct comp_xdg_surface *popup, *tmp;

	wl_list_for_each_safe (popup, tmp, &xdg->popups, popup_link)
		dismiss_popup(popup);
}

static struct comp_xdg_surface *
toplevel_of(struct comp_xdg_surface *xdg)
{
	while (xdg && xdg->role == COMP_XDG_POPUP)
		xdg = xdg->parent;
	return xdg && xdg->role == COMP_XDG_TOPLEVEL ? xdg : NULL;
}

/*
 * Move the activated state to @p xdg (NULL: to nobody), telling both
 * windows.  Grabbed popups of other windows close, as menus do when
 * another window takes over.
 */
/* Close the grabbed popups of every window but @p keep (may be NULL). */
static void
dismiss_grabs(struct comp_server *server, struct comp_xdg_surface *keep)
{
	struct comp_xdg_surface *popup;

	/* Dismissing a popup unlinks its child popups too: start over. */
restart:
	wl_list_for_each (popup, &server->popups, stack_link) {
		if (popup->grabbed && (!keep || toplevel_of(popup) != keep)) {
			dismiss_popup(popup);
			goto restart;
		}
	}
}

void
comp_xdg_dismiss_grabbed_popups(struct comp_server *server)
{
	dismiss_grabs(server, NULL);
}

static void
activate(struct comp_server *server, struct comp_xdg_surface *xdg)
{
	struct comp_xdg_surface *old = server->active;

	if (old == xdg)
		return;
	server->active = xdg;
	dismiss_grabs(server, xdg);
	if (old && old->initial_configure_sent)
		send_configure(old);
	if (xdg && xdg->initial_configure_sent)
		send_configure(xdg);
	comp_keyboard_refocus(server);
}

struct comp_surface *
comp_xdg_keyboard_target(struct comp_server *server)
{
	struct comp_xdg_surface *popup;

	if (!server->active || !server->active->surface)
		return NULL;
	/* Popups stack in the order they mapped: the last grabbed one of
	 * the active window is the innermost open menu. */
	wl_list_for_each_reverse (popup, &server->popups, stack_link) {
		if (popup->grabbed && popup->mapped && popup->surface &&
		    toplevel_of(popup) == server->active)
			return popup->surface;
	}
	return server->active->surface;
}

void
comp_xdg_activate_surface(struct comp_surface *surface)
{
	struct comp_surface *root = comp_subsurface_get_root(surface);
	struct comp_xdg_surface *xdg = comp_xdg_surface_from_surface(root);

	xdg = toplevel_of(xdg);
	if (xdg && xdg->mapped)
		activate(surface->server, xdg);
}

/* Back to the state before the initial commit. */
static void
xdg_unmap(struct comp_xdg_surface *xdg)
{
	struct comp_server *server = xdg->server;

	dismiss_popups(xdg);
	comp_move_resize_cancel(xdg);
	xdg->mapped = false;
	xdg->initial_configure_sent = false;
	xdg->serials_len = 0;
	stack_remove(xdg);
	comp_server_schedule_frame(server);
	/* The window on top takes over, as on any desktop. */
	if (server->active == xdg) {
		server->active = NULL;
		if (!wl_list_empty(&server->toplevels))
			activate(server, wl_container_of(server->toplevels.prev,
							 xdg, stack_link));
	}
	comp_keyboard_refocus(server);
}

/* The box of the window geometry in surface coordinates. */
static struct comp_xdg_box
window_geometry(struct comp_xdg_surface *xdg)
{
	struct comp_xdg_box box = { 0, 0, 0, 0 };

	if (xdg->has_geometry)
		return xdg->geometry;
	if (xdg->surface) {
		box.width = xdg->surface->width;
		box.height = xdg->surface->height;
	}
	return box;
}

/*
 * A toplevel keeps the largest size it had since it mapped, so that one
 * that shrinks and grows back (as the demo client does) is not covered
 * by windows placed in the meantime.  Maximized and fullscreen sizes are
 * the output's, not the window's: they do not count, nor do sizes
 * committed before the client acked every configure (after unmaximize,
 * it may still commit a maximized buffer or two).
 */
static void
claim_size(struct comp_xdg_surface *xdg)
{
	struct comp_xdg_box geometry = window_geometry(xdg);

	if (xdg->maximized || xdg->fullscreen || xdg->serials_len > 0)
		return;
	if (geometry.width > xdg->claim_width)
		xdg->claim_width = geometry.width;
	if (geometry.height > xdg->claim_height)
		xdg->claim_height = geometry.height;
}

/* The output area a mapped toplevel covers or has covered. */
static struct comp_xdg_box
claimed_box(struct comp_xdg_surface *xdg)
{
	struct comp_xdg_box geometry = window_geometry(xdg);
	struct comp_xdg_box box = { xdg->x, xdg->y, geometry.width,
				    geometry.height };

	if (box.width < xdg->claim_width)
		box.width = xdg->claim_width;
	if (box.height < xdg->claim_height)
		box.height = xdg->claim_height;
	return box;
}

/* Whether a mapped toplevel's claim comes within PLACE_GAP of @p box;
 * the first such claim goes to @p claim. */
static bool
find_claim(struct comp_server *server, const struct comp_xdg_box *box,
	   struct comp_xdg_box *claim)
{
	struct comp_xdg_surface *other;
	struct comp_xdg_box c;

	wl_list_for_each (other, &server->toplevels, stack_link) {
		c = claimed_box(other);
		if (box->x < c.x + c.width + PLACE_GAP &&
		    c.x < box->x + box->width + PLACE_GAP &&
		    box->y < c.y + c.height + PLACE_GAP &&
		    c.y < box->y + box->height + PLACE_GAP) {
			*claim = c;
			return true;
		}
	}
	return false;
}

/*
 * The first grid position, rows top to bottom and each row left to
 * right, where a window of @p width x @p height stays PLACE_MARGIN inside
 * the output and PLACE_GAP away from every mapped toplevel.
 */
static bool
find_free_spot(struct comp_server *server, int32_t width, int32_t height,
	       int32_t *x, int32_t *y)
{
	int32_t right = server->options.width - PLACE_MARGIN;
	int32_t bottom = server->options.height - PLACE_MARGIN;
	struct comp_xdg_box box = { 0, 0, width, height }, claim;
	int32_t edge;

	if (wl_list_length(&server->toplevels) >= PLACE_MAX_TOPLEVELS)
		return false;
	for (box.y = PLACE_MARGIN; box.y + height <= bottom;
	     box.y += PLACE_GRID) {
		box.x = PLACE_MARGIN;
		while (box.x + width <= right) {
			if (!find_claim(server, &box, &claim)) {
				*x = box.x;
				*y = box.y;
				return true;
			}
			/* Every grid position left of the claim's far side
			 * overlaps it too: go past it at once. */
			edge = claim.x + claim.width + PLACE_GAP - PLACE_MARGIN;
			box.x = PLACE_MARGIN + (edge + PLACE_GRID - 1) /
						       PLACE_GRID * PLACE_GRID;
		}
	}
	return false;
}

static void
map_toplevel(struct comp_xdg_surface *xdg)
{
	struct comp_server *server = xdg->server;
	struct comp_xdg_box geometry = window_geometry(xdg);
	unsigned int slot;

	if (xdg->maximized || xdg->fullscreen) {
		xdg->x = 0;
		xdg->y = 0;
	} else if (!xdg->positioned &&
		   !find_free_spot(server, geometry.width, geometry.height,
				   &xdg->x, &xdg->y)) {
		slot = server->cascade++ % CASCADE_SLOTS;
		xdg->x = CASCADE_STEP * (int32_t)(slot + 1);
		xdg->y = CASCADE_STEP * (int32_t)(slot + 1);
	}
	xdg->claim_width = 0;
	xdg->claim_height = 0;
	claim_size(xdg);
	wl_list_insert(server->toplevels.prev, &xdg->stack_link);
}

static bool
xdg_attach(struct comp_surface *surface, struct wl_resource *buffer)
{
	struct comp_xdg_surface *xdg = surface->role_data;

	if (buffer && xdg->role == COMP_XDG_NONE) {
		comp_post_error(xdg->server, xdg->resource,
				XDG_SURFACE_ERROR_UNCONFIGURED_BUFFER,
				"buffer attached to an xdg_surface without a "
				"role: call get_toplevel or get_popup, commit "
				"without a buffer and wait for "
				"xdg_surface.configure");
		return false;
	}
	return true;
}

static bool
xdg_precommit(struct comp_surface *surface, struct comp_surface_state *state)
{
	struct comp_xdg_surface *xdg = surface->role_data;

	if (xdg->role == COMP_XDG_NONE) {
		comp_post_error(xdg->server, xdg->resource,
				XDG_SURFACE_ERROR_NOT_CONSTRUCTED,
				"wl_surface.commit on an xdg_surface without "
				"a role: call get_toplevel or get_popup "
				"first");
		return false;
	}
	return true;
}

/*
 * A client should commit once without a buffer, wait for the configure
 * and ack it before its first buffer.  Like Mir (and so as wlcs expects),
 * a role object that commits a buffer early is not killed for it: it gets
 * its configure now and is mapped; the configure can only tell it what it
 * would have been told anyway.
 */
static void
xdg_commit(struct comp_surface *surface)
{
	struct comp_xdg_surface *xdg = surface->role_data;

	if (xdg->pending_has_geometry) {
		xdg->has_geometry = true;
		xdg->geometry = xdg->pending_geometry;
	}
	send_initial_configure(xdg);
	if (!surface->image) {
		if (xdg->mapped)
			xdg_unmap(xdg);
		return;
	}
	if (xdg->mapped) {
		/* Resizing never moves a window: only the claim grows. */
		if (xdg->role == COMP_XDG_TOPLEVEL)
			claim_size(xdg);
		return;
	}
	if (xdg->role == COMP_XDG_TOPLEVEL) {
		map_toplevel(xdg);
		/* A new window is activated, as on a desktop; the
		 * configure that says so also tells wlcs it is mapped. */
		activate(xdg->server, xdg);
	} else {
		if (!xdg->parent)
			return;
		wl_list_insert(xdg->server->popups.prev, &xdg->stack_link);
	}
	xdg->mapped = true;
	comp_keyboard_refocus(xdg->server);
}

static const struct comp_surface_role xdg_surface_role = {
	.name = "xdg_surface",
	.attach = xdg_attach,
	.precommit = xdg_precommit,
	.commit = xdg_commit,
};

bool
comp_xdg_surface_get_origin(struct comp_xdg_surface *xdg, int32_t *x,
			    int32_t *y)
{
	struct comp_xdg_box geometry = window_geometry(xdg);
	struct comp_xdg_box parent_geometry;
	int32_t px, py;

	if (!xdg->mapped || !xdg->surface)
		return false;
	if (xdg->role == COMP_XDG_TOPLEVEL) {
		*x = xdg->x - geometry.x;
		*y = xdg->y - geometry.y;
		return true;
	}
	if (!xdg->parent || !comp_xdg_surface_get_origin(xdg->parent, &px, &py))
		return false;
	parent_geometry = window_geometry(xdg->parent);
	*x = px + parent_geometry.x + xdg->popup_box.x - geometry.x;
	*y = py + parent_geometry.y + xdg->popup_box.y - geometry.y;
	return true;
}

static void
xdg_surface_detach(struct comp_xdg_surface *xdg)
{
	if (xdg->mapped)
		xdg_unmap(xdg);
	if (xdg->surface) {
		xdg->surface->role_data = NULL;
		wl_list_remove(&xdg->surface_destroy.link);
		wl_list_init(&xdg->surface_destroy.link);
		xdg->surface = NULL;
	}
}

static void
handle_xdg_surface_surface_destroy(struct wl_listener *listener, void *data)
{
	struct comp_xdg_surface *xdg =
		wl_container_of(listener, xdg, surface_destroy);

	xdg_surface_detach(xdg);
}

static void
xdg_surface_destroy(struct wl_client *client, struct wl_resource *resource)
{
	struct comp_xdg_surface *xdg = wl_resource_get_user_data(resource);

	if (xdg->role_resource) {
		comp_post_error(xdg->server, resource,
				XDG_SURFACE_ERROR_DEFUNCT_ROLE_OBJECT,
				"xdg_surface destroyed before its %s: destroy "
				"the role object first",
				xdg->role == COMP_XDG_TOPLEVEL ? "xdg_toplevel"
							       : "xdg_popup");
		return;
	}
	wl_resource_destroy(resource);
}

static void
handle_xdg_surface_destroy(struct wl_resource *resource)
{
	struct comp_xdg_surface *xdg = wl_resource_get_user_data(resource);

	/* Only on disconnect can the role object outlive us. */
	if (xdg->role_resource)
		wl_resource_set_user_data(xdg->role_resource, NULL);
	xdg_surface_detach(xdg);
	dismiss_popups(xdg);
	wl_list_remove(&xdg->popup_link);
	wl_list_remove(&xdg->wm_base_link);
	free(xdg);
}

/* Toplevel */

static void
handle_role_destroy(struct wl_resource *resource)
{
	struct comp_xdg_surface *xdg = wl_resource_get_user_data(resource);

	if (!xdg)
		return;
	if (xdg->mapped)
		xdg_unmap(xdg);
	dismiss_popups(xdg);
	if (xdg->parent) {
		wl_list_remove(&xdg->popup_link);
		wl_list_init(&xdg->popup_link);
		xdg->parent = NULL;
	}
	xdg->role_resource = NULL;
	xdg->grabbed = false;
	xdg->initial_configure_sent = false;
	xdg->serials_len = 0;
}

static void
toplevel_set_parent(struct wl_client *client, struct wl_resource *resource,
		    struct wl_resource *parent_resource)
{
	struct comp_xdg_surface *xdg = wl_resource_get_user_data(resource);

	if (parent_resource == resource) {
		comp_post_error(xdg->server, resource,
				XDG_TOPLEVEL_ERROR_INVALID_PARENT,
				"xdg_toplevel.set_parent to itself: pass "
				"another toplevel or NULL");
	}
	/* Parents only matter to stacking policies this demo lacks. */
}

static void
toplevel_set_string(struct wl_client *client, struct wl_resource *resource,
		    const char *value)
{
	/* Title and app id: there are no decorations to show them in. */
}

static void
toplevel_show_window_menu(struct wl_client *client,
			  struct wl_resource *resource,
			  struct wl_resource *seat, uint32_t serial, int32_t x,
			  int32_t y)
{
	/* No input, so no serial can be valid: ignored as the protocol
	 * allows. */
}

static void
toplevel_move(struct wl_client *client, struct wl_resource *resource,
	      struct wl_resource *seat, uint32_t serial)
{
	struct comp_xdg_surface *xdg = wl_resource_get_user_data(resource);

	if (xdg)
		comp_move_resize_begin(xdg, seat, serial, false, 0);
}

static void
toplevel_resize(struct wl_client *client, struct wl_resource *resource,
		struct wl_resource *seat, uint32_t serial, uint32_t edges)
{
	struct comp_xdg_surface *xdg = wl_resource_get_user_data(resource);

	if (edges > XDG_TOPLEVEL_RESIZE_EDGE_BOTTOM_RIGHT || edges == 3 ||
	    edges == 7 || edges == 11 || edges == 12) {
		comp_post_error(xdg->server, resource,
				XDG_TOPLEVEL_ERROR_INVALID_RESIZE_EDGE,
				"xdg_toplevel.resize edge %u is not an "
				"xdg_toplevel.resize_edge value",
				edges);
		return;
	}
	if (xdg && edges != XDG_TOPLEVEL_RESIZE_EDGE_NONE)
		comp_move_resize_begin(xdg, seat, serial, true, edges);
}

static void
toplevel_set_size_limit(struct wl_client *client, struct wl_resource *resource,
			int32_t width, int32_t height)
{
	struct comp_xdg_surface *xdg = wl_resource_get_user_data(resource);

	if (width < 0 || height < 0) {
		comp_post_error(xdg->server, resource,
				XDG_TOPLEVEL_ERROR_INVALID_SIZE,
				"xdg_toplevel size limit %dx%d is negative: "
				"use 0 for no limit",
				width, height);
	}
}

static void
set_mode(struct wl_resource *resource, bool *mode, bool value)
{
	struct comp_xdg_surface *xdg = wl_resource_get_user_data(resource);

	*mode = value;
	if (xdg->initial_configure_sent)
		send_configure(xdg);
}

static void
toplevel_set_maximized(struct wl_client *client, struct wl_resource *resource)
{
	struct comp_xdg_surface *xdg = wl_resource_get_user_data(resource);

	set_mode(resource, &xdg->maximized, true);
}

static void
toplevel_unset_maximized(struct wl_client *client, struct wl_resource *resource)
{
	struct comp_xdg_surface *xdg = wl_resource_get_user_data(resource);

	set_mode(resource, &xdg->maximized, false);
}

static void
toplevel_set_fullscreen(struct wl_client *client, struct wl_resource *resource,
			struct wl_resource *output)
{
	struct comp_xdg_surface *xdg = wl_resource_get_user_data(resource);

	set_mode(resource, &xdg->fullscreen, true);
}

static void
toplevel_unset_fullscreen(struct wl_client *client,
			  struct wl_resource *resource)
{
	struct comp_xdg_surface *xdg = wl_resource_get_user_data(resource);

	set_mode(resource, &xdg->fullscreen, false);
}

static void
toplevel_set_minimized(struct wl_client *client, struct wl_resource *resource)
{
	/* Nowhere to minimize to; the protocol allows ignoring it. */
}

static const struct xdg_toplevel_interface toplevel_impl = {
	.destroy = resource_destroy,
	.set_parent = toplevel_set_parent,
	.set_title = toplevel_set_string,
	.set_app_id = toplevel_set_string,
	.show_window_menu = toplevel_show_window_menu,
	.move = toplevel_move,
	.resize = toplevel_resize,
	.set_max_size = toplevel_set_size_limit,
	.set_min_size = toplevel_set_size_limit,
	.set_maximized = toplevel_set_maximized,
	.unset_maximized = toplevel_unset_maximized,
	.set_fullscreen = toplevel_set_fullscreen,
	.unset_fullscreen = toplevel_unset_fullscreen,
	.set_minimized = toplevel_set_minimized,
};

static bool
check_can_take_role(struct comp_xdg_surface *xdg)
{
	if (xdg->role_resource) {
		comp_post_error(xdg->server, xdg->resource,
				XDG_SURFACE_ERROR_ALREADY_CONSTRUCTED,
				"xdg_surface already has a live role object: "
				"destroy it before creating another");
		return false;
	}
	if (!xdg->surface) {
		comp_post_error(xdg->server, xdg->resource,
				XDG_SURFACE_ERROR_DEFUNCT_ROLE_OBJECT,
				"the wl_surface of this xdg_surface was "
				"destroyed: create a new one");
		return false;
	}
	return true;
}

static void
xdg_surface_get_toplevel(struct wl_client *client, struct wl_resource *resource,
			 uint32_t id)
{
	struct comp_xdg_surface *xdg = wl_resource_get_user_data(resource);

	if (!check_can_take_role(xdg))
		return;
	xdg->role_resource =
		wl_resource_create(client, &xdg_toplevel_interface,
				   wl_resource_get_version(resource), id);
	if (!xdg->role_resource) {
		wl_resource_post_no_memory(resource);
		return;
	}
	wl_resource_set_implementation(xdg->role_resource, &toplevel_impl, xdg,
				       handle_role_destroy);
	xdg->role = COMP_XDG_TOPLEVEL;
	send_initial_configure(xdg);
}

/* Popup */

/*
 * A grabbed popup takes the keyboard focus while it is open and closes
 * when another window is activated.  The grab is granted only to popups
 * of the activated window (the one the user just clicked or typed in);
 * others are dismissed at once, as the protocol says a denied grab is.
 */
static void
popup_grab(struct wl_client *client, struct wl_resource *resource,
	   struct wl_resource *seat, uint32_t serial)
{
	struct comp_xdg_surface *xdg = wl_resource_get_user_data(resource);

	if (!xdg)
		return;
	if (xdg->mapped) {
		comp_post_error(xdg->server, resource,
				XDG_POPUP_ERROR_INVALID_GRAB,
				"xdg_popup.grab after the popup mapped: "
				"grab before its first commit with a buffer");
		return;
	}
	if (!xdg->parent || toplevel_of(xdg) != xdg->server->active) {
		xdg_popup_send_popup_done(resource);
		return;
	}
	xdg->grabbed = true;
}

static void
popup_reposition(struct wl_client *client, struct wl_resource *resource,
		 struct wl_resource *positioner_resource, uint32_t token)
{
	struct comp_xdg_surface *xdg = wl_resource_get_user_data(resource);
	struct xdg_positioner *p;

	p = positioner_from_resource(xdg->wm_base, positioner_resource,
				     xdg->wm_base->resource);
	if (!p)
		return;
	xdg->popup_box = positioner_place(p);
	xdg_popup_send_repositioned(resource, token);
	send_configure(xdg);
	comp_server_schedule_frame(xdg->server);
}

static const struct xdg_popup_interface popup_impl = {
	.destroy = resource_destroy,
	.grab = popup_grab,
	.reposition = popup_reposition,
};

static void
xdg_surface_get_popup(struct wl_client *client, struct wl_resource *resource,
		      uint32_t id, struct wl_resource *parent_resource,
		      struct wl_resource *positioner_resource)
{
	struct comp_xdg_surface *xdg = wl_resource_get_user_data(resource);
	struct comp_xdg_surface *parent = NULL;
	struct xdg_positioner *p;

	if (!check_can_take_role(xdg))
		return;
	p = positioner_from_resource(xdg->wm_base, positioner_resource,
				     xdg->wm_base->resource);
	if (!p)
		return;
	if (parent_resource)
		parent = wl_resource_get_user_data(parent_resource);
	if (parent == xdg) {
		comp_post_error(xdg->server, xdg->wm_base->resource,
				XDG_WM_BASE_ERROR_INVALID_POPUP_PARENT,
				"an xdg_popup cannot be its own parent");
		return;
	}
	xdg->role_resource =
		wl_resource_create(client, &xdg_popup_interface,
				   wl_resource_get_version(resource), id);
	if (!xdg->role_resource) {
		wl_resource_post_no_memory(resource);
		return;
	}
	wl_resource_set_implementation(xdg->role_resource, &popup_impl, xdg,
				       handle_role_destroy);
	xdg->role = COMP_XDG_POPUP;
	xdg->popup_box = positioner_place(p);
	xdg->parent = parent;
	if (parent)
		wl_list_insert(parent->popups.prev, &xdg->popup_link);
	send_initial_configure(xdg);
}

static void
xdg_surface_set_window_geometry(struct wl_client *client,
				struct wl_resource *resource, int32_t x,
				int32_t y, int32_t width, int32_t height)
{
	struct comp_xdg_surface *xdg = wl_resource_get_user_data(resource);

	if (width <= 0 || height <= 0) {
		comp_post_error(xdg->server, resource,
				XDG_SURFACE_ERROR_INVALID_SIZE,
				"window geometry %dx%d: both sizes must be "
				"positive",
				width, height);
		return;
	}
	xdg->pending_has_geometry = true;
	xdg->pending_geometry = (struct comp_xdg_box){
		comp_clamp_coord(x),
		comp_clamp_coord(y),
		comp_clamp_coord(width),
		comp_clamp_coord(height),
	};
}

static void
xdg_surface_ack_configure(struct wl_client *client,
			  struct wl_resource *resource, uint32_t serial)
{
	struct comp_xdg_surface *xdg = wl_resource_get_user_data(resource);
	int i;

	for (i = 0; i < xdg->serials_len; i++) {
		if (xdg->serials[i] == serial)
			break;
	}
	if (i == xdg->serials_len) {
		comp_post_error(xdg->server, resource,
				XDG_SURFACE_ERROR_INVALID_SERIAL,
				"ack_configure(%u): no configure with that "
				"serial is outstanding",
				serial);
		return;
	}
	/* Acking a serial also acks every older one. */
	xdg->serials_len -= i + 1;
	memmove(xdg->serials, xdg->serials + i + 1,
		(size_t)xdg->serials_len * sizeof(xdg->serials[0]));
}

static const struct xdg_surface_interface xdg_surface_impl = {
	.destroy = xdg_surface_destroy,
	.get_toplevel = xdg_surface_get_toplevel,
	.get_popup = xdg_surface_get_popup,
	.set_window_geometry = xdg_surface_set_window_geometry,
	.ack_configure = xdg_surface_ack_configure,
};

/* xdg_wm_base */

static void
wm_base_destroy(struct wl_client *client, struct wl_resource *resource)
{
	struct comp_xdg_wm_base *base = wl_resource_get_user_data(resource);

	if (!wl_list_empty(&base->surfaces)) {
		comp_post_error(base->server, resource,
				XDG_WM_BASE_ERROR_DEFUNCT_SURFACES,
				"xdg_wm_base destroyed while it still has "
				"xdg_surfaces: destroy them first");
		return;
	}
	wl_resource_destroy(resource);
}

static void
wm_base_create_positioner(struct wl_client *client,
			  struct wl_resource *resource, uint32_t id)
{
	struct comp_xdg_wm_base *base = wl_resource_get_user_data(resource);
	struct xdg_positioner *p = calloc(1, sizeof(*p));
	struct wl_resource *positioner;

	if (!p)
		goto err;
	positioner = wl_resource_create(client, &xdg_positioner_interface,
					wl_resource_get_version(resource), id);
	if (!positioner) {
		free(p);
		goto err;
	}
	p->server = base->server;
	wl_resource_set_implementation(positioner, &positioner_impl, p,
				       handle_positioner_destroy);
	return;
err:
	wl_resource_post_no_memory(resource);
}

static void
wm_base_get_xdg_surface(struct wl_client *client, struct wl_resource *resource,
			uint32_t id, struct wl_resource *surface_resource)
{
	struct comp_xdg_wm_base *base = wl_resource_get_user_data(resource);
	struct comp_surface *surface =
		comp_surface_from_resource(surface_resource);
	struct comp_xdg_surface *xdg;

	if (surface->image || surface->pending.buffer) {
		comp_post_error(base->server, resource,
				XDG_WM_BASE_ERROR_INVALID_SURFACE_STATE,
				"wl_surface@%u already has a buffer: create "
				"the xdg_surface before attaching one",
				wl_resource_get_id(surface_resource));
		return;
	}
	xdg = calloc(1, sizeof(*xdg));
	if (!xdg)
		goto err;
	if (!comp_surface_set_role(surface, &xdg_surface_role, xdg, resource,
				   XDG_WM_BASE_ERROR_ROLE)) {
		free(xdg);
		return;
	}
	xdg->resource =
		wl_resource_create(client, &xdg_surface_interface,
				   wl_resource_get_version(resource), id);
	if (!xdg->resource) {
		surface->role_data = NULL;
		free(xdg);
		goto err;
	}
	wl_resource_set_implementation(xdg->resource, &xdg_surface_impl, xdg,
				       handle_xdg_surface_destroy);
	xdg->server = base->server;
	xdg->wm_base = base;
	xdg->surface = surface;
	xdg->surface_destroy.notify = handle_xdg_surface_surface_destroy;
	wl_signal_add(&surface->destroy_signal, &xdg->surface_destroy);
	wl_list_init(&xdg->stack_link);
	wl_list_init(&xdg->popups);
	wl_list_init(&xdg->popup_link);
	wl_list_insert(&base->surfaces, &xdg->wm_base_link);
	return;
err:
	wl_resource_post_no_memory(resource);
}

static void
wm_base_pong(struct wl_client *client, struct wl_resource *resource,
	     uint32_t serial)
{
	struct comp_xdg_wm_base *base = wl_resource_get_user_data(resource);

	if (serial == base->ping_serial)
		base->ping_pending = false;
}

static const struct xdg_wm_base_interface wm_base_impl = {
	.destroy = wm_base_destroy,
	.create_positioner = wm_base_create_positioner,
	.get_xdg_surface = wm_base_get_xdg_surface,
	.pong = wm_base_pong,
};

static void
handle_wm_base_destroy(struct wl_resource *resource)
{
	struct comp_xdg_wm_base *base = wl_resource_get_user_data(resource);
	struct comp_xdg_surface *xdg, *tmp;

	/* On disconnect the surfaces may outlive their wm_base briefly. */
	wl_list_for_each_safe (xdg, tmp, &base->surfaces, wm_base_link) {
		wl_list_remove(&xdg->wm_base_link);
		wl_list_init(&xdg->wm_base_link);
		xdg->wm_base = NULL;
	}
	wl_list_remove(&base->link);
	free(base);
}

static void
bind_wm_base(struct wl_client *client, void *data, uint32_t version,
	     uint32_t id)
{
	struct comp_server *server = data;
	struct comp_xdg_wm_base *base = calloc(1, sizeof(*base));

	if (!base)
		goto err;
	base->resource =
		wl_resource_create(client, &xdg_wm_base_interface, version, id);
	if (!base->resource) {
		free(base);
		goto err;
	}
	base->server = server;
	wl_list_init(&base->surfaces);
	wl_list_insert(&server->wm_bases, &base->link);
	wl_resource_set_implementation(base->resource, &wm_base_impl, base,
				       handle_wm_base_destroy);
	return;
err:
	wl_client_post_no_memory(client);
}

/*
 * Ping clients with surfaces now and then; one that did not answer the
 * previous ping is reported, not punished: a stalled client only hurts
 * its own windows here.
 */
static int
handle_ping_timer(void *data)
{
	struct comp_server *server = data;
	struct comp_xdg_wm_base *base;

	wl_list_for_each (base, &server->wm_bases, link) {
		if (wl_list_empty(&base->surfaces))
			continue;
		if (base->ping_pending && server->options.verbose) {
			pid_t pid;

			wl_client_get_credentials(
				wl_resource_get_client(base->resource), &pid,
				NULL, NULL);
			fprintf(stderr,
				"sealshm-compositor: client pid %d "
				"did not answer a ping in %d ms\n",
				(int)pid, PING_INTERVAL_MS);
		}
		base->ping_serial = wl_display_next_serial(server->display);
		base->ping_pending = true;
		xdg_wm_base_send_ping(base->resource, base->ping_serial);
	}
	wl_event_source_timer_update(server->ping_timer, PING_INTERVAL_MS);
	return 0;
}

struct comp_xdg_surface *
comp_xdg_surface_from_surface(struct comp_surface *surface)
{
	if (surface->role != &xdg_surface_role)
		return NULL;
	return surface->role_data;
}

bool
comp_server_position_surface(struct comp_server *server,
			     struct wl_resource *resource, int32_t x, int32_t y)
{
	struct comp_surface *surface = comp_surface_try_from_resource(resource);
	struct comp_xdg_surface *xdg;

	if (!surface)
		return false;
	xdg = comp_xdg_surface_from_surface(surface);
	if (!xdg || xdg->role != COMP_XDG_TOPLEVEL)
		return false;
	xdg->positioned = true;
	xdg->x = x;
	xdg->y = y;
	comp_server_schedule_frame(server);
	comp_seat_refocus(server);
	return true;
}

int
comp_xdg_shell_init(struct comp_server *server)
{
	server->xdg_wm_base_global =
		wl_global_create(server->display, &xdg_wm_base_interface,
				 XDG_WM_BASE_VERSION, server, bind_wm_base);
	if (!server->xdg_wm_base_global)
		return -1;
	server->ping_timer = wl_event_loop_add_timer(server->loop,
						     handle_ping_timer, server);
	if (!server->ping_timer)
		return -1;
	wl_event_source_timer_update(server->ping_timer, PING_INTERVAL_MS);
	return 0;
}

void
comp_xdg_shell_fini(struct comp_server *server)
{
	if (server->ping_timer)
		wl_event_source_remove(server->ping_timer);
	server->ping_timer = NULL;
}
