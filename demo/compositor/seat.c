/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * wl_seat, its pointer and its touchscreen.  The keyboard (keyboard.c)
 * is always there; an in-process driver (the wlcs module) can add pointer
 * and touch capabilities and inject events, which go to the surface under
 * the point.  Objects asked for without the capability are created inert,
 * as the protocol asks.  A press activates the window under the pointer
 * (click-to-focus); an interactive move or resize (move-resize.c) takes
 * the pointer until the buttons are released.
 */

#include <wayland-server-core.h>
#include <wayland-server-protocol.h>

#include "internal.h"

#define SEAT_VERSION 7

static void
resource_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void
unlink_resource(struct wl_resource *resource)
{
	wl_list_remove(wl_resource_get_link(resource));
}

static void
pointer_set_cursor(struct wl_client *client, struct wl_resource *resource,
		   uint32_t serial, struct wl_resource *surface,
		   int32_t hotspot_x, int32_t hotspot_y)
{
	/* Nothing draws a cursor: the output has no visible pointer. */
}

static const struct wl_pointer_interface pointer_impl = {
	.set_cursor = pointer_set_cursor,
	.release = resource_destroy,
};

static const struct wl_touch_interface touch_impl = {
	.release = resource_destroy,
};

static struct wl_resource *
create_device(struct wl_client *client, struct wl_resource *seat,
	      const struct wl_interface *interface, const void *impl,
	      struct wl_list *list, uint32_t id)
{
	struct wl_resource *resource;

	resource = wl_resource_create(client, interface,
				      wl_resource_get_version(seat), id);
	if (!resource) {
		wl_resource_post_no_memory(seat);
		return NULL;
	}
	if (list) {
		wl_resource_set_implementation(resource, impl, NULL,
					       unlink_resource);
		wl_list_insert(list, wl_resource_get_link(resource));
	} else {
		wl_resource_set_implementation(resource, impl, NULL, NULL);
	}
	return resource;
}

static void
send_frame(struct wl_resource *resource)
{
	if (wl_resource_get_version(resource) >= WL_POINTER_FRAME_SINCE_VERSION)
		wl_pointer_send_frame(resource);
}

static void
seat_get_pointer(struct wl_client *client, struct wl_resource *resource,
		 uint32_t id)
{
	struct comp_server *server = wl_resource_get_user_data(resource);
	struct comp_seat *seat = &server->seat;
	struct comp_surface *focus = seat->pointer_focus;
	struct wl_resource *pointer;

	pointer = create_device(client, resource, &wl_pointer_interface,
				&pointer_impl, &seat->pointers, id);
	/* A pointer made while one of the client's surfaces has the focus
	 * starts out entered, or the client would not know until the next
	 * crossing. */
	if (!pointer || !focus ||
	    wl_resource_get_client(focus->resource) != client)
		return;
	wl_pointer_send_enter(
		pointer, wl_display_next_serial(server->display),
		focus->resource,
		wl_fixed_from_double(seat->pointer_x - seat->focus_x),
		wl_fixed_from_double(seat->pointer_y - seat->focus_y));
	send_frame(pointer);
}

static void
seat_get_keyboard(struct wl_client *client, struct wl_resource *resource,
		  uint32_t id)
{
	comp_keyboard_create(client, resource, id);
}

static void
seat_get_touch(struct wl_client *client, struct wl_resource *resource,
	       uint32_t id)
{
	struct comp_server *server = wl_resource_get_user_data(resource);
	struct comp_seat *seat = &server->seat;
	struct comp_touch_point *point;
	struct wl_resource *touch;
	bool sent = false;
	size_t i;

	touch = create_device(client, resource, &wl_touch_interface,
			      &touch_impl, &seat->touches, id);
	/* As for pointers: points already down on the client's surfaces
	 * are announced to the new object. */
	for (i = 0; touch && i < COMP_MAX_TOUCH_POINTS; i++) {
		point = &seat->touch[i];
		if (!point->surface ||
		    wl_resource_get_client(point->surface->resource) != client)
			continue;
		wl_touch_send_down(touch,
				   wl_display_next_serial(server->display),
				   comp_now_msec(), point->surface->resource,
				   point->id, wl_fixed_from_double(point->x),
				   wl_fixed_from_double(point->y));
		sent = true;
	}
	if (sent)
		wl_touch_send_frame(touch);
}

static const struct wl_seat_interface seat_impl = {
	.get_pointer = seat_get_pointer,
	.get_keyboard = seat_get_keyboard,
	.get_touch = seat_get_touch,
	.release = resource_destroy,
};

static void
bind_seat(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct comp_server *server = data;
	struct wl_resource *resource;

	resource = wl_resource_create(client, &wl_seat_interface, version, id);
	if (!resource) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &seat_impl, server,
				       unlink_resource);
	wl_list_insert(&server->seat.seats, wl_resource_get_link(resource));
	wl_seat_send_capabilities(resource, server->seat.capabilities);
	if (version >= WL_SEAT_NAME_SINCE_VERSION)
		wl_seat_send_name(resource, "seat0");
}

void
comp_server_set_seat_capabilities(struct comp_server *server,
				  uint32_t capabilities)
{
	struct wl_resource *resource;

	capabilities |= WL_SEAT_CAPABILITY_KEYBOARD;
	if (server->seat.capabilities == capabilities)
		return;
	server->seat.capabilities = capabilities;
	wl_resource_for_each (resource, &server->seat.seats)
		wl_seat_send_capabilities(resource, capabilities);
}

static void
set_pointer_focus(struct comp_server *server, struct comp_surface *surface,
		  int32_t origin_x, int32_t origin_y, double x, double y)
{
	struct comp_seat *seat = &server->seat;
	struct wl_resource *resource;
	struct wl_client *client;
	uint32_t serial;

	if (seat->pointer_focus) {
		client = wl_resource_get_client(seat->pointer_focus->resource);
		serial = wl_display_next_serial(server->display);
		wl_resource_for_each (resource, &seat->pointers) {
			if (wl_resource_get_client(resource) != client)
				continue;
			wl_pointer_send_leave(resource, serial,
					      seat->pointer_focus->resource);
			send_frame(resource);
		}
		wl_list_remove(&seat->pointer_focus_destroy.link);
		wl_list_init(&seat->pointer_focus_destroy.link);
	}
	seat->pointer_focus = surface;
	if (!surface)
		return;
	seat->focus_x = origin_x;
	seat->focus_y = origin_y;
	wl_signal_add(&surface->destroy_signal, &seat->pointer_focus_destroy);
	client = wl_resource_get_client(surface->resource);
	serial = wl_display_next_serial(server->display);
	wl_resource_for_each (resource, &seat->pointers) {
		if (wl_resource_get_client(resource) != client)
			continue;
		wl_pointer_send_enter(resource, serial, surface->resource,
				      wl_fixed_from_double(x - origin_x),
				      wl_fixed_from_double(y - origin_y));
		send_frame(resource);
	}
}

/*
 * The surface is going away, but its resource still exists while its
 * destroy signal runs: tell the client the pointer left it, so that it
 * does not wait for a leave that can never come.
 */
static void
handle_pointer_focus_destroy(struct wl_listener *listener, void *data)
{
	struct comp_seat *seat =
		wl_container_of(listener, seat, pointer_focus_destroy);
	struct comp_server *server = wl_container_of(seat, server, seat);

	set_pointer_focus(server, NULL, 0, 0, 0, 0);
}

/* Pick the surface under the pointer; tell clients what changed. */
static void
update_pointer(struct comp_server *server, uint32_t time_msec, bool moved)
{
	struct comp_seat *seat = &server->seat;
	double x = seat->pointer_x, y = seat->pointer_y;
	struct comp_surface *surface;
	struct wl_resource *resource;
	struct wl_client *client;
	int32_t ox, oy;

	/* An interactive move or resize has the pointer to itself. */
	if (seat->grab.window) {
		if (seat->pointer_focus)
			set_pointer_focus(server, NULL, 0, 0, 0, 0);
		if (moved)
			comp_move_resize_motion(server);
		return;
	}
	surface = comp_server_surface_at(server, x, y, &ox, &oy);
	/* While a button is held the surface that got the press keeps the
	 * pointer (an implicit grab), wherever it goes. */
	if (seat->buttons_down > 0 && seat->pointer_focus) {
		surface = seat->pointer_focus;
		ox = seat->focus_x;
		oy = seat->focus_y;
	}
	if (surface != seat->pointer_focus) {
		set_pointer_focus(server, surface, ox, oy, x, y);
		return;
	}
	if (!surface || (!moved && ox == seat->focus_x && oy == seat->focus_y))
		return;
	seat->focus_x = ox;
	seat->focus_y = oy;
	client = wl_resource_get_client(surface->resource);
	wl_resource_for_each (resource, &seat->pointers) {
		if (wl_resource_get_client(resource) != client)
			continue;
		wl_pointer_send_motion(resource, time_msec,
				       wl_fixed_from_double(x - ox),
				       wl_fixed_from_double(y - oy));
		send_frame(resource);
	}
}

void
comp_server_pointer_motion(struct comp_server *server, uint32_t time_msec,
			   double x, double y)
{
	server->seat.pointer_valid = true;
	server->seat.pointer_x = x;
	server->seat.pointer_y = y;
	update_pointer(server, time_msec, true);
}

void
comp_seat_refocus(struct comp_server *server)
{
	if (server->seat.pointer_valid)
		update_pointer(server, comp_now_msec(), false);
}

void
comp_server_pointer_button(struct comp_server *server, uint32_t time_msec,
			   uint32_t button, bool pressed)
{
	struct comp_seat *seat = &server->seat;
	struct wl_resource *resource;
	struct wl_client *client;
	uint32_t serial;

	if (pressed)
		seat->buttons_down++;
	else if (seat->buttons_down > 0)
		seat->buttons_down--;
	if (comp_move_resize_button(server, pressed)) {
		if (seat->buttons_down == 0)
			update_pointer(server, time_msec, false);
		return;
	}
	if (!seat->pointer_focus) {
		if (pressed)
			comp_xdg_dismiss_grabbed_popups(server);
		return;
	}
	if (pressed)
		comp_xdg_activate_surface(seat->pointer_focus);
	client = wl_resource_get_client(seat->pointer_focus->resource);
	serial = wl_display_next_serial(server->display);
	if (pressed)
		seat->button_serial = serial;
	wl_resource_for_each (resource, &seat->pointers) {
		if (wl_resource_get_client(resource) != client)
			continue;
		wl_pointer_send_button(
			resource, serial, time_msec, button,
			pressed ? WL_POINTER_BUTTON_STATE_PRESSED
				: WL_POINTER_BUTTON_STATE_RELEASED);
		send_frame(resource);
	}
	/* The grab ended: the pointer may be over another surface. */
	if (!pressed && seat->buttons_down == 0)
		update_pointer(server, time_msec, false);
}

static struct comp_touch_point *
find_touch(struct comp_seat *seat, int32_t id)
{
	size_t i;

	for (i = 0; i < COMP_MAX_TOUCH_POINTS; i++) {
		if (seat->touch[i].surface && seat->touch[i].id == id)
			return &seat->touch[i];
	}
	return NULL;
}

static void
touch_release(struct comp_touch_point *point)
{
	wl_list_remove(&point->surface_destroy.link);
	wl_list_init(&point->surface_destroy.link);
	point->surface = NULL;
}

static bool
is_point_client(struct wl_resource *resource, struct comp_touch_point *point)
{
	return wl_resource_get_client(resource) ==
	       wl_resource_get_client(point->surface->resource);
}

/* As for the pointer: the point ends before its surface does. */
static void
handle_touch_surface_destroy(struct wl_listener *listener, void *data)
{
	struct comp_touch_point *point =
		wl_container_of(listener, point, surface_destroy);
	struct comp_server *server = point->surface->server;
	struct wl_resource *resource;
	uint32_t serial = wl_display_next_serial(server->display);

	wl_resource_for_each (resource, &server->seat.touches) {
		if (!is_point_client(resource, point))
			continue;
		wl_touch_send_up(resource, serial, comp_now_msec(), point->id);
		wl_touch_send_frame(resource);
	}
	touch_release(point);
}

void
comp_server_touch_down(struct comp_server *server, uint32_t time_msec,
		       int32_t id, double x, double y)
{
	struct comp_seat *seat = &server->seat;
	struct comp_touch_point *point = NULL;
	struct comp_surface *surface;
	struct wl_resource *resource;
	int32_t ox, oy;
	uint32_t serial;
	size_t i;

	surface = comp_server_surface_at(server, x, y, &ox, &oy);
	if (!surface || find_touch(seat, id))
		return;
	for (i = 0; i < COMP_MAX_TOUCH_POINTS && !point; i++) {
		if (!seat->touch[i].surface)
			point = &seat->touch[i];
	}
	if (!point)
		return;
	point->id = id;
	point->surface = surface;
	point->origin_x = ox;
	point->origin_y = oy;
	point->x = x - ox;
	point->y = y - oy;
	wl_signal_add(&surface->destroy_signal, &point->surface_destroy);
	serial = wl_display_next_serial(server->display);
	wl_resource_for_each (resource, &seat->touches) {
		if (!is_point_client(resource, point))
			continue;
		wl_touch_send_down(resource, serial, time_msec,
				   surface->resource, id,
				   wl_fixed_from_double(x - point->origin_x),
				   wl_fixed_from_double(y - point->origin_y));
		wl_touch_send_frame(resource);
	}
}

void
comp_server_touch_motion(struct comp_server *server, uint32_t time_msec,
			 int32_t id, double x, double y)
{
	struct comp_touch_point *point = find_touch(&server->seat, id);
	struct wl_resource *resource;

	if (!point)
		return;
	point->x = x - point->origin_x;
	point->y = y - point->origin_y;
	wl_resource_for_each (resource, &server->seat.touches) {
		if (!is_point_client(resource, point))
			continue;
		wl_touch_send_motion(resource, time_msec, id,
				     wl_fixed_from_double(x - point->origin_x),
				     wl_fixed_from_double(y - point->origin_y));
		wl_touch_send_frame(resource);
	}
}

void
comp_server_touch_up(struct comp_server *server, uint32_t time_msec, int32_t id)
{
	struct comp_touch_point *point = find_touch(&server->seat, id);
	struct wl_resource *resource;
	uint32_t serial;

	if (!point)
		return;
	serial = wl_display_next_serial(server->display);
	wl_resource_for_each (resource, &server->seat.touches) {
		if (!is_point_client(resource, point))
			continue;
		wl_touch_send_up(resource, serial, time_msec, id);
		wl_touch_send_frame(resource);
	}
	touch_release(point);
}

int
comp_seat_init(struct comp_server *server)
{
	struct comp_seat *seat = &server->seat;
	size_t i;

	wl_list_init(&seat->seats);
	wl_list_init(&seat->pointers);
	wl_list_init(&seat->touches);
	seat->pointer_focus_destroy.notify = handle_pointer_focus_destroy;
	wl_list_init(&seat->pointer_focus_destroy.link);
	for (i = 0; i < COMP_MAX_TOUCH_POINTS; i++) {
		seat->touch[i].surface_destroy.notify =
			handle_touch_surface_destroy;
		wl_list_init(&seat->touch[i].surface_destroy.link);
	}
	server->seat_global =
		wl_global_create(server->display, &wl_seat_interface,
				 SEAT_VERSION, server, bind_seat);
	seat->capabilities = WL_SEAT_CAPABILITY_KEYBOARD;
	if (!server->seat_global || comp_keyboard_init(server) < 0 ||
	    comp_data_device_init(server) < 0)
		return -1;
	return 0;
}
