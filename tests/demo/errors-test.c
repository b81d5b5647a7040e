/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * Client mistakes against the compositor core (xdg-shell, subsurfaces,
 * wl_surface state): each one gets the protocol error the protocol names,
 * on the object it names, counted in the statistics, and the compositor
 * carries on serving the next client.  Each test starts its own
 * sealshm-compositor (SEALSHM_COMPOSITOR) on a private runtime directory.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <wayland-client.h>

#include <sealshm/client.h>

#include "compositor-process.h"
#include "demo-client.h"

#include "test-runner.h"

struct conn {
	struct demo_globals g;
	/* what a test made, freed client-side at the end */
	void *objects[16];
	int objects_len;
};

/* SIGTERM, a clean exit, and the number of protocol errors it counted. */
static unsigned long long
stop_compositor(struct compositor_process *c)
{
	char text[4096];

	compositor_process_stop(c, text, sizeof(text));
	return compositor_stat(text, "protocol_errors");
}

static void
connect_client(struct conn *c)
{
	memset(c, 0, sizeof(*c));
	check(demo_globals_connect(&c->g, 5) == 0);
	check(c->g.compositor && c->g.subcompositor && c->g.shm &&
	      c->g.wm_base);
}

/* Client-side only: destructor requests (xdg_wm_base.destroy with
 * surfaces left) would add protocol errors to the count a test checks. */
static void
disconnect_client(struct conn *c)
{
	void *globals[] = {
		c->g.compositor, c->g.subcompositor, c->g.shm,
		c->g.wm_base,	 c->g.seat,	     c->g.registry,
	};
	size_t i;

	for (i = 0; i < (size_t)c->objects_len; i++)
		wl_proxy_destroy(c->objects[i]);
	for (i = 0; i < sizeof(globals) / sizeof(globals[0]); i++) {
		if (globals[i])
			wl_proxy_destroy(globals[i]);
	}
	wl_display_disconnect(c->g.display);
}

static void *
keep(struct conn *c, void *proxy)
{
	check(c->objects_len <
	      (int)(sizeof(c->objects) / sizeof(c->objects[0])));
	c->objects[c->objects_len++] = proxy;
	return proxy;
}

static struct wl_surface *
new_surface(struct conn *c)
{
	return keep(c, wl_compositor_create_surface(c->g.compositor));
}

static struct xdg_surface *
new_xdg_surface(struct conn *c, struct wl_surface *surface)
{
	return keep(c, xdg_wm_base_get_xdg_surface(c->g.wm_base, surface));
}

/*
 * Roundtrip and check that the connection died of @p code on an object of
 * @p interface (NULL when the client destroyed that object itself, so
 * libwayland-client no longer knows its interface).
 */
static void
expect_error(struct conn *c, const struct wl_interface *interface,
	     uint32_t code)
{
	const struct wl_interface *got = NULL;
	uint32_t got_code;

	check_msg(wl_display_roundtrip(c->g.display) < 0,
		  "the compositor accepted the mistake");
	check(wl_display_get_error(c->g.display) == EPROTO);
	got_code = wl_display_get_protocol_error(c->g.display, &got, NULL);
	if (interface)
		check_msg(got && strcmp(got->name, interface->name) == 0,
			  "error on %s, expected on %s",
			  got ? got->name : "an unknown object",
			  interface->name);
	check_msg(got_code == code, "error code %u, expected %u", got_code,
		  code);
}

/* A client that behaves: the compositor still serves after a mistake. */
static void
check_still_serving(void)
{
	struct conn c;

	connect_client(&c);
	check(wl_display_roundtrip(c.g.display) >= 0);
	disconnect_client(&c);
}

struct case_ctx {
	struct compositor_process comp;
	struct conn conn;
};

static void
begin(struct case_ctx *t)
{
	compositor_process_start(&t->comp, "errors", NULL);
	connect_client(&t->conn);
}

/* After the error, the client's objects are only freed client-side. */
static void
finish(struct case_ctx *t)
{
	disconnect_client(&t->conn);
	check_still_serving();
	check(stop_compositor(&t->comp) == 1);
}

static void
end(struct case_ctx *t, const struct wl_interface *interface, uint32_t code)
{
	expect_error(&t->conn, interface, code);
	finish(t);
}

TEST(commit_without_role_is_not_constructed)
{
	struct case_ctx t;
	struct wl_surface *s;

	begin(&t);
	s = new_surface(&t.conn);
	new_xdg_surface(&t.conn, s);
	wl_surface_commit(s);
	end(&t, &xdg_surface_interface, XDG_SURFACE_ERROR_NOT_CONSTRUCTED);
}

TEST(buffer_on_roleless_xdg_surface_is_unconfigured_buffer)
{
	struct sealshm_client_buffer *buffer;
	struct sealshm_client_pool *pool;
	struct case_ctx t;
	struct wl_surface *s;

	begin(&t);
	pool = sealshm_client_pool_create(t.conn.g.shm, 4096);
	check(pool);
	buffer = sealshm_client_pool_create_buffer(pool, 16, 16,
						   WL_SHM_FORMAT_XRGB8888);
	check(buffer);
	s = new_surface(&t.conn);
	new_xdg_surface(&t.conn, s);
	wl_surface_attach(s, sealshm_client_buffer_get_wl_buffer(buffer), 0, 0);
	expect_error(&t.conn, &xdg_surface_interface,
		     XDG_SURFACE_ERROR_UNCONFIGURED_BUFFER);
	/* The pool's memfd and mapping are the test's own to free. */
	sealshm_client_buffer_destroy(buffer);
	sealshm_client_pool_destroy(pool);
	finish(&t);
}

TEST(ack_of_unsent_serial_is_invalid_serial)
{
	struct case_ctx t;
	struct xdg_surface *xdg;

	begin(&t);
	xdg = new_xdg_surface(&t.conn, new_surface(&t.conn));
	xdg_surface_ack_configure(xdg, 0xdeadbeef);
	end(&t, &xdg_surface_interface, XDG_SURFACE_ERROR_INVALID_SERIAL);
}

TEST(xdg_surface_destroyed_before_toplevel_is_defunct_role_object)
{
	struct case_ctx t;
	struct xdg_surface *xdg;

	begin(&t);
	xdg = xdg_wm_base_get_xdg_surface(t.conn.g.wm_base,
					  new_surface(&t.conn));
	keep(&t.conn, xdg_surface_get_toplevel(xdg));
	xdg_surface_destroy(xdg);
	end(&t, NULL, XDG_SURFACE_ERROR_DEFUNCT_ROLE_OBJECT);
}

TEST(subsurface_cannot_become_xdg_surface)
{
	struct wl_surface *parent, *s;
	struct case_ctx t;

	begin(&t);
	parent = new_surface(&t.conn);
	s = new_surface(&t.conn);
	keep(&t.conn, wl_subcompositor_get_subsurface(t.conn.g.subcompositor, s,
						      parent));
	new_xdg_surface(&t.conn, s);
	end(&t, &xdg_wm_base_interface, XDG_WM_BASE_ERROR_ROLE);
}

TEST(wm_base_destroyed_with_surfaces_is_defunct_surfaces)
{
	struct case_ctx t;

	begin(&t);
	new_xdg_surface(&t.conn, new_surface(&t.conn));
	xdg_wm_base_destroy(t.conn.g.wm_base);
	t.conn.g.wm_base = NULL;
	end(&t, NULL, XDG_WM_BASE_ERROR_DEFUNCT_SURFACES);
}

TEST(zero_window_geometry_is_invalid_size)
{
	struct case_ctx t;
	struct xdg_surface *xdg;

	begin(&t);
	xdg = new_xdg_surface(&t.conn, new_surface(&t.conn));
	xdg_surface_set_window_geometry(xdg, 0, 0, 0, 10);
	end(&t, &xdg_surface_interface, XDG_SURFACE_ERROR_INVALID_SIZE);
}

TEST(empty_positioner_size_is_invalid_input)
{
	struct case_ctx t;

	begin(&t);
	xdg_positioner_set_size(
		keep(&t.conn, xdg_wm_base_create_positioner(t.conn.g.wm_base)),
		0, 5);
	end(&t, &xdg_positioner_interface, XDG_POSITIONER_ERROR_INVALID_INPUT);
}

TEST(popup_with_incomplete_positioner_is_invalid_positioner)
{
	struct xdg_positioner *positioner;
	struct xdg_surface *parent, *xdg;
	struct case_ctx t;

	begin(&t);
	parent = new_xdg_surface(&t.conn, new_surface(&t.conn));
	keep(&t.conn, xdg_surface_get_toplevel(parent));
	xdg = new_xdg_surface(&t.conn, new_surface(&t.conn));
	positioner =
		keep(&t.conn, xdg_wm_base_create_positioner(t.conn.g.wm_base));
	xdg_positioner_set_size(positioner, 10, 10);
	keep(&t.conn, xdg_surface_get_popup(xdg, parent, positioner));
	end(&t, &xdg_wm_base_interface, XDG_WM_BASE_ERROR_INVALID_POSITIONER);
}

TEST(surface_as_its_own_subsurface_is_bad_surface)
{
	struct case_ctx t;
	struct wl_surface *s;

	begin(&t);
	s = new_surface(&t.conn);
	keep(&t.conn,
	     wl_subcompositor_get_subsurface(t.conn.g.subcompositor, s, s));
	end(&t, &wl_subcompositor_interface,
	    WL_SUBCOMPOSITOR_ERROR_BAD_SURFACE);
}

TEST(place_above_a_stranger_is_bad_surface)
{
	struct wl_surface *parent, *s, *stranger;
	struct wl_subsurface *sub;
	struct case_ctx t;

	begin(&t);
	parent = new_surface(&t.conn);
	s = new_surface(&t.conn);
	stranger = new_surface(&t.conn);
	sub = keep(&t.conn, wl_subcompositor_get_subsurface(
				    t.conn.g.subcompositor, s, parent));
	wl_subsurface_place_above(sub, stranger);
	end(&t, &wl_subsurface_interface, WL_SUBSURFACE_ERROR_BAD_SURFACE);
}

TEST(zero_buffer_scale_is_invalid_scale)
{
	struct case_ctx t;

	begin(&t);
	wl_surface_set_buffer_scale(new_surface(&t.conn), 0);
	end(&t, &wl_surface_interface, WL_SURFACE_ERROR_INVALID_SCALE);
}

TEST(unknown_transform_is_invalid_transform)
{
	struct case_ctx t;

	begin(&t);
	wl_surface_set_buffer_transform(new_surface(&t.conn), 8);
	end(&t, &wl_surface_interface, WL_SURFACE_ERROR_INVALID_TRANSFORM);
}

TEST(attach_offset_on_version_5_is_invalid_offset)
{
	struct case_ctx t;

	begin(&t);
	wl_surface_attach(new_surface(&t.conn), NULL, 3, 4);
	end(&t, &wl_surface_interface, WL_SURFACE_ERROR_INVALID_OFFSET);
}
