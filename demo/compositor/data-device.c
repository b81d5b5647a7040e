/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * wl_data_device_manager version 3: the clipboard.  A client sets the
 * selection with a wl_data_source; the client with the keyboard focus is
 * offered it (again each time the focus moves to another client), and a
 * paste passes the pipe it sent with wl_data_offer.receive on to the
 * source's client.  The compositor never reads or writes that pipe, so
 * a stalled client cannot block it.  A source replaced by a newer
 * selection is cancelled.  Drag and drop is refused: the source of a
 * start_drag is cancelled at once.
 */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <wayland-server-core.h>
#include <wayland-server-protocol.h>

#include "internal.h"

#define DATA_DEVICE_MANAGER_VERSION 3
#define ALL_DND_ACTIONS                                                        \
	(WL_DATA_DEVICE_MANAGER_DND_ACTION_COPY |                              \
	 WL_DATA_DEVICE_MANAGER_DND_ACTION_MOVE |                              \
	 WL_DATA_DEVICE_MANAGER_DND_ACTION_ASK)

struct comp_data_source {
	struct comp_server *server;
	struct wl_resource *resource;
	/* char *, owned */
	struct wl_array mime_types;
	/* set as a selection or given to start_drag once already */
	bool used;
};

struct data_offer {
	struct wl_resource *resource;
	/* NULL once the source is gone */
	struct comp_data_source *source;
	struct wl_listener source_destroy;
};

static struct comp_data_device *
data_of(struct comp_server *server)
{
	return &server->seat.data;
}

static void
resource_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

/* wl_data_offer */

static void
offer_accept(struct wl_client *client, struct wl_resource *resource,
	     uint32_t serial, const char *mime_type)
{
	/* Only drag and drop asks the target which type it takes. */
}

static void
offer_receive(struct wl_client *client, struct wl_resource *resource,
	      const char *mime_type, int32_t fd)
{
	struct data_offer *offer = wl_resource_get_user_data(resource);
	struct comp_data_source *source = offer->source;

	/* An offer of a selection since replaced gets nothing: closing the
	 * pipe tells the reader at once. */
	if (source && data_of(source->server)->selection == source)
		wl_data_source_send_send(source->resource, mime_type, fd);
	close(fd);
}

static void
offer_finish(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_post_error(resource, WL_DATA_OFFER_ERROR_INVALID_FINISH,
			       "wl_data_offer.finish on a selection offer: "
			       "only drag-and-drop offers are finished");
}

static void
offer_set_actions(struct wl_client *client, struct wl_resource *resource,
		  uint32_t actions, uint32_t preferred)
{
	wl_resource_post_error(resource, WL_DATA_OFFER_ERROR_INVALID_OFFER,
			       "wl_data_offer.set_actions on a selection "
			       "offer: only drag-and-drop offers have actions");
}

static const struct wl_data_offer_interface offer_impl = {
	.accept = offer_accept,
	.receive = offer_receive,
	.destroy = resource_destroy,
	.finish = offer_finish,
	.set_actions = offer_set_actions,
};

static void
offer_detach(struct data_offer *offer)
{
	wl_list_remove(&offer->source_destroy.link);
	wl_list_init(&offer->source_destroy.link);
	offer->source = NULL;
}

static void
handle_offer_source_destroy(struct wl_listener *listener, void *data)
{
	struct data_offer *offer =
		wl_container_of(listener, offer, source_destroy);

	offer_detach(offer);
}

static void
handle_offer_destroy(struct wl_resource *resource)
{
	struct data_offer *offer = wl_resource_get_user_data(resource);

	offer_detach(offer);
	free(offer);
}

/* Offer the selection to one wl_data_device, or tell it there is none. */
static void
send_selection(struct comp_server *server, struct wl_resource *device)
{
	struct comp_data_source *source = data_of(server)->selection;
	struct data_offer *offer;
	char **mime_type;

	if (!source) {
		wl_data_device_send_selection(device, NULL);
		return;
	}
	offer = calloc(1, sizeof(*offer));
	if (!offer) {
		wl_resource_post_no_memory(device);
		return;
	}
	offer->resource = wl_resource_create(
		wl_resource_get_client(device), &wl_data_offer_interface,
		wl_resource_get_version(device), 0);
	if (!offer->resource) {
		free(offer);
		wl_resource_post_no_memory(device);
		return;
	}
	wl_resource_set_implementation(offer->resource, &offer_impl, offer,
				       handle_offer_destroy);
	offer->source = source;
	offer->source_destroy.notify = handle_offer_source_destroy;
	wl_resource_add_destroy_listener(source->resource,
					 &offer->source_destroy);
	wl_data_device_send_data_offer(device, offer->resource);
	wl_array_for_each (mime_type, &source->mime_types)
		wl_data_offer_send_offer(offer->resource, *mime_type);
	wl_data_device_send_selection(device, offer->resource);
}

static void
send_selection_to_focus(struct comp_server *server)
{
	struct comp_data_device *data = data_of(server);
	struct wl_resource *device;

	if (!data->focus_client)
		return;
	wl_resource_for_each (device, &data->devices) {
		if (wl_resource_get_client(device) == data->focus_client)
			send_selection(server, device);
	}
}

void
comp_data_device_set_focus(struct comp_server *server, struct wl_client *client)
{
	struct comp_data_device *data = data_of(server);

	if (data->focus_client == client)
		return;
	data->focus_client = client;
	send_selection_to_focus(server);
}

static void
set_selection(struct comp_server *server, struct comp_data_source *source,
	      uint32_t serial)
{
	struct comp_data_device *data = data_of(server);
	struct comp_data_source *old = data->selection;

	data->selection = source;
	data->selection_serial = serial;
	if (old && old != source)
		wl_data_source_send_cancelled(old->resource);
	send_selection_to_focus(server);
}

/* wl_data_source */

static void
source_offer(struct wl_client *client, struct wl_resource *resource,
	     const char *mime_type)
{
	struct comp_data_source *source = wl_resource_get_user_data(resource);
	char **slot, *copy = strdup(mime_type);

	slot = copy ? wl_array_add(&source->mime_types, sizeof(*slot)) : NULL;
	if (!slot) {
		free(copy);
		wl_resource_post_no_memory(resource);
		return;
	}
	*slot = copy;
}

static void
source_set_actions(struct wl_client *client, struct wl_resource *resource,
		   uint32_t actions)
{
	struct comp_data_source *source = wl_resource_get_user_data(resource);

	if (actions & ~ALL_DND_ACTIONS) {
		wl_resource_post_error(resource,
				       WL_DATA_SOURCE_ERROR_INVALID_ACTION_MASK,
				       "wl_data_source.set_actions 0x%x has "
				       "bits beyond copy, move and ask (0x7)",
				       actions);
		return;
	}
	if (source->used)
		wl_resource_post_error(resource,
				       WL_DATA_SOURCE_ERROR_INVALID_SOURCE,
				       "wl_data_source.set_actions after the "
				       "source was used: set them before "
				       "set_selection or start_drag");
	/* Drags are refused, so the actions are never needed. */
}

static const struct wl_data_source_interface source_impl = {
	.offer = source_offer,
	.destroy = resource_destroy,
	.set_actions = source_set_actions,
};

static void
handle_source_destroy(struct wl_resource *resource)
{
	struct comp_data_source *source = wl_resource_get_user_data(resource);
	struct comp_data_device *data = data_of(source->server);
	char **mime_type;

	/* The offers' listeners ran already: they are inert now. */
	if (data->selection == source) {
		data->selection = NULL;
		send_selection_to_focus(source->server);
	}
	wl_array_for_each (mime_type, &source->mime_types)
		free(*mime_type);
	wl_array_release(&source->mime_types);
	free(source);
}

/* false, after an error, for a source used before */
static bool
use_source(struct comp_data_source *source)
{
	if (source->used) {
		wl_resource_post_error(source->resource,
				       WL_DATA_SOURCE_ERROR_INVALID_SOURCE,
				       "wl_data_source@%u was used for a "
				       "selection or drag already: create a "
				       "new one",
				       wl_resource_get_id(source->resource));
		return false;
	}
	source->used = true;
	return true;
}

/* wl_data_device */

static void
device_start_drag(struct wl_client *client, struct wl_resource *resource,
		  struct wl_resource *source_resource,
		  struct wl_resource *origin, struct wl_resource *icon,
		  uint32_t serial)
{
	struct comp_data_source *source;

	/* Drag and drop is not implemented: the client learns at once
	 * that the drag ended, and can drop its state. */
	if (!source_resource)
		return;
	source = wl_resource_get_user_data(source_resource);
	if (use_source(source))
		wl_data_source_send_cancelled(source_resource);
}

static void
device_set_selection(struct wl_client *client, struct wl_resource *resource,
		     struct wl_resource *source_resource, uint32_t serial)
{
	struct comp_server *server = wl_resource_get_user_data(resource);
	struct comp_data_device *data = data_of(server);
	struct comp_data_source *source = NULL;

	if (source_resource) {
		source = wl_resource_get_user_data(source_resource);
		if (!use_source(source))
			return;
	}
	/*
	 * A serial older than the current selection's loses to it; one
	 * the compositor never sent is refused.  Both are ignored, as the
	 * protocol allows, and the source is told it lost.
	 */
	if ((int32_t)(serial - data->selection_serial) < 0 ||
	    (int32_t)(serial - wl_display_get_serial(server->display)) > 0) {
		if (source)
			wl_data_source_send_cancelled(source_resource);
		return;
	}
	set_selection(server, source, serial);
}

static const struct wl_data_device_interface device_impl = {
	.start_drag = device_start_drag,
	.set_selection = device_set_selection,
	.release = resource_destroy,
};

static void
unlink_resource(struct wl_resource *resource)
{
	wl_list_remove(wl_resource_get_link(resource));
}

/* wl_data_device_manager */

static void
manager_create_data_source(struct wl_client *client,
			   struct wl_resource *resource, uint32_t id)
{
	struct comp_server *server = wl_resource_get_user_data(resource);
	struct comp_data_source *source = calloc(1, sizeof(*source));

	if (!source)
		goto err;
	source->resource =
		wl_resource_create(client, &wl_data_source_interface,
				   wl_resource_get_version(resource), id);
	if (!source->resource) {
		free(source);
		goto err;
	}
	source->server = server;
	wl_array_init(&source->mime_types);
	wl_resource_set_implementation(source->resource, &source_impl, source,
				       handle_source_destroy);
	return;
err:
	wl_resource_post_no_memory(resource);
}

static void
manager_get_data_device(struct wl_client *client, struct wl_resource *resource,
			uint32_t id, struct wl_resource *seat)
{
	struct comp_server *server = wl_resource_get_user_data(resource);
	struct comp_data_device *data = data_of(server);
	struct wl_resource *device;

	device = wl_resource_create(client, &wl_data_device_interface,
				    wl_resource_get_version(resource), id);
	if (!device) {
		wl_resource_post_no_memory(resource);
		return;
	}
	wl_resource_set_implementation(device, &device_impl, server,
				       unlink_resource);
	wl_list_insert(&data->devices, wl_resource_get_link(device));
	/* A device made while its client has the focus sees the
	 * selection at once. */
	if (client == data->focus_client)
		send_selection(server, device);
}

static const struct wl_data_device_manager_interface manager_impl = {
	.create_data_source = manager_create_data_source,
	.get_data_device = manager_get_data_device,
};

static void
bind_manager(struct wl_client *client, void *data, uint32_t version,
	     uint32_t id)
{
	struct wl_resource *resource;

	resource = wl_resource_create(client, &wl_data_device_manager_interface,
				      version, id);
	if (!resource) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &manager_impl, data, NULL);
}

int
comp_data_device_init(struct comp_server *server)
{
	wl_list_init(&data_of(server)->devices);
	server->data_device_manager_global = wl_global_create(
		server->display, &wl_data_device_manager_interface,
		DATA_DEVICE_MANAGER_VERSION, server, bind_manager);
	return server->data_device_manager_global ? 0 : -1;
}
