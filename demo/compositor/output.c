/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 */

#include <wayland-server-core.h>
#include <wayland-server-protocol.h>

#include "internal.h"

#define OUTPUT_VERSION 4
#define REFRESH_MHZ 60000

static void
output_release(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct wl_output_interface output_impl = {
	.release = output_release,
};

static void
unlink_output(struct wl_resource *resource)
{
	wl_list_remove(wl_resource_get_link(resource));
}

void
comp_output_surface_enter(struct comp_surface *surface, bool enter)
{
	struct wl_client *client = wl_resource_get_client(surface->resource);
	struct wl_resource *output;

	surface->on_output = enter;
	wl_resource_for_each (output, &surface->server->outputs) {
		if (wl_resource_get_client(output) != client)
			continue;
		if (enter)
			wl_surface_send_enter(surface->resource, output);
		else
			wl_surface_send_leave(surface->resource, output);
	}
}

static void
bind_output(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct comp_server *server = data;
	struct comp_surface *surface;
	struct wl_resource *resource;
	int32_t width = server->options.width, height = server->options.height;

	resource =
		wl_resource_create(client, &wl_output_interface, version, id);
	if (!resource) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &output_impl, server,
				       unlink_output);
	wl_list_insert(&server->outputs, wl_resource_get_link(resource));

	/* A made-up 96 dpi panel: clients that compute dpi get a sane one. */
	wl_output_send_geometry(resource, 0, 0, width * 254 / 960,
				height * 254 / 960, WL_OUTPUT_SUBPIXEL_UNKNOWN,
				"sealshm", server->backend_name,
				WL_OUTPUT_TRANSFORM_NORMAL);
	wl_output_send_mode(resource,
			    WL_OUTPUT_MODE_CURRENT | WL_OUTPUT_MODE_PREFERRED,
			    width, height, REFRESH_MHZ);
	if (version >= WL_OUTPUT_SCALE_SINCE_VERSION)
		wl_output_send_scale(resource, 1);
	if (version >= WL_OUTPUT_NAME_SINCE_VERSION)
		wl_output_send_name(resource, "SEALSHM-1");
	if (version >= WL_OUTPUT_DESCRIPTION_SINCE_VERSION)
		wl_output_send_description(resource,
					   "sealshm-compositor output");
	if (version >= WL_OUTPUT_DONE_SINCE_VERSION)
		wl_output_send_done(resource);

	/* Surfaces already shown learn about the new wl_output too. */
	wl_list_for_each (surface, &server->surfaces, link) {
		if (surface->on_output &&
		    wl_resource_get_client(surface->resource) == client)
			wl_surface_send_enter(surface->resource, resource);
	}
}

int
comp_output_init(struct comp_server *server)
{
	wl_list_init(&server->outputs);
	server->output_global =
		wl_global_create(server->display, &wl_output_interface,
				 OUTPUT_VERSION, server, bind_output);
	return server->output_global ? 0 : -1;
}
