/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * wl_subcompositor and wl_subsurface.  Positions take effect when the
 * parent's state is applied; z-order changes take effect at once, a
 * simplification that only shows for clients reordering and drawing in
 * the same frame.
 */

#include <stdlib.h>

#include <wayland-server-core.h>
#include <wayland-server-protocol.h>

#include "internal.h"

static const struct comp_surface_role subsurface_role = {
	.name = "wl_subsurface",
};

static struct comp_subsurface *
subsurface_of(struct comp_surface *surface)
{
	if (surface->role != &subsurface_role)
		return NULL;
	return surface->role_data;
}

bool
comp_subsurface_is_synchronized(struct comp_surface *surface)
{
	struct comp_subsurface *sub;

	while ((sub = subsurface_of(surface)) && sub->parent) {
		if (sub->synchronized)
			return true;
		surface = sub->parent;
	}
	return false;
}

struct comp_surface *
comp_subsurface_get_root(struct comp_surface *surface)
{
	struct comp_subsurface *sub;

	while ((sub = subsurface_of(surface)) && sub->parent)
		surface = sub->parent;
	return surface;
}

void
comp_subsurface_parent_applied(struct comp_surface *parent)
{
	struct comp_subsurface *sub, *tmp;
	struct wl_list *lists[] = {
		&parent->subsurfaces_below,
		&parent->subsurfaces_above,
	};
	size_t i;

	for (i = 0; i < 2; i++) {
		wl_list_for_each_safe (sub, tmp, lists[i], link) {
			if (sub->x != sub->pending_x ||
			    sub->y != sub->pending_y) {
				sub->x = sub->pending_x;
				sub->y = sub->pending_y;
				comp_server_schedule_frame(parent->server);
			}
			if (comp_subsurface_is_synchronized(sub->surface))
				comp_surface_apply_cached(sub->surface);
		}
	}
}

/* Take the subsurface out of the scene; it stays inert. */
static void
subsurface_unlink(struct comp_subsurface *sub)
{
	if (sub->parent) {
		wl_list_remove(&sub->link);
		wl_list_init(&sub->link);
		wl_list_remove(&sub->parent_destroy.link);
		wl_list_init(&sub->parent_destroy.link);
		sub->parent = NULL;
	}
	if (sub->surface) {
		comp_surface_damage_shown(sub->surface);
		comp_server_schedule_frame(sub->surface->server);
	}
}

static void
subsurface_detach_surface(struct comp_subsurface *sub)
{
	if (!sub->surface)
		return;
	sub->surface->role_data = NULL;
	wl_list_remove(&sub->surface_destroy.link);
	wl_list_init(&sub->surface_destroy.link);
	sub->surface = NULL;
}

static void
handle_surface_destroy(struct wl_listener *listener, void *data)
{
	struct comp_subsurface *sub =
		wl_container_of(listener, sub, surface_destroy);

	subsurface_unlink(sub);
	subsurface_detach_surface(sub);
}

static void
handle_parent_destroy(struct wl_listener *listener, void *data)
{
	struct comp_subsurface *sub =
		wl_container_of(listener, sub, parent_destroy);

	subsurface_unlink(sub);
}

static void
handle_subsurface_destroy(struct wl_resource *resource)
{
	struct comp_subsurface *sub = wl_resource_get_user_data(resource);
	struct comp_surface *surface = sub->surface;

	subsurface_unlink(sub);
	subsurface_detach_surface(sub);
	/* A desynchronised commit still waiting in the cache would be lost
	 * otherwise. */
	if (surface)
		comp_surface_apply_cached(surface);
	free(sub);
}

static void
resource_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void
subsurface_set_position(struct wl_client *client, struct wl_resource *resource,
			int32_t x, int32_t y)
{
	struct comp_subsurface *sub = wl_resource_get_user_data(resource);

	sub->pending_x = comp_clamp_coord(x);
	sub->pending_y = comp_clamp_coord(y);
}

static struct comp_subsurface *
find_sibling(struct comp_subsurface *sub, struct comp_surface *sibling)
{
	struct comp_subsurface *other = subsurface_of(sibling);

	if (other && other != sub && other->parent == sub->parent)
		return other;
	return NULL;
}

static void
subsurface_place(struct wl_resource *resource,
		 struct wl_resource *sibling_resource, bool above)
{
	struct comp_subsurface *sub = wl_resource_get_user_data(resource);
	struct comp_surface *sibling =
		comp_surface_from_resource(sibling_resource);
	struct comp_subsurface *other;

	if (!sub->parent)
		return;
	if (sibling == sub->parent) {
		wl_list_remove(&sub->link);
		if (above)
			wl_list_insert(&sub->parent->subsurfaces_above,
				       &sub->link);
		else
			wl_list_insert(sub->parent->subsurfaces_below.prev,
				       &sub->link);
		comp_server_schedule_frame(sub->parent->server);
		return;
	}
	other = find_sibling(sub, sibling);
	if (!other) {
		comp_post_error(sub->parent->server, resource,
				WL_SUBSURFACE_ERROR_BAD_SURFACE,
				"wl_surface@%u is neither the parent nor a "
				"sibling of this subsurface: place relative "
				"to a subsurface of the same parent",
				wl_resource_get_id(sibling_resource));
		return;
	}
	wl_list_remove(&sub->link);
	if (above)
		wl_list_insert(&other->link, &sub->link);
	else
		wl_list_insert(other->link.prev, &sub->link);
	comp_server_schedule_frame(sub->parent->server);
}

static void
subsurface_place_above(struct wl_client *client, struct wl_resource *resource,
		       struct wl_resource *sibling)
{
	subsurface_place(resource, sibling, true);
}

static void
subsurface_place_below(struct wl_client *client, struct wl_resource *resource,
		       struct wl_resource *sibling)
{
	subsurface_place(resource, sibling, false);
}

static void
subsurface_set_sync(struct wl_client *client, struct wl_resource *resource)
{
	struct comp_subsurface *sub = wl_resource_get_user_data(resource);

	sub->synchronized = true;
}

static void
subsurface_set_desync(struct wl_client *client, struct wl_resource *resource)
{
	struct comp_subsurface *sub = wl_resource_get_user_data(resource);

	sub->synchronized = false;
	if (sub->surface && !comp_subsurface_is_synchronized(sub->surface))
		comp_surface_apply_cached(sub->surface);
}

static const struct wl_subsurface_interface subsurface_impl = {
	.destroy = resource_destroy,
	.set_position = subsurface_set_position,
	.place_above = subsurface_place_above,
	.place_below = subsurface_place_below,
	.set_sync = subsurface_set_sync,
	.set_desync = subsurface_set_desync,
};

static bool
is_ancestor(struct comp_surface *ancestor, struct comp_surface *surface)
{
	struct comp_subsurface *sub;

	while ((sub = subsurface_of(surface)) && sub->parent) {
		if (sub->parent == ancestor)
			return true;
		surface = sub->parent;
	}
	return false;
}

static void
subcompositor_get_subsurface(struct wl_client *client,
			     struct wl_resource *resource, uint32_t id,
			     struct wl_resource *surface_resource,
			     struct wl_resource *parent_resource)
{
	struct comp_server *server = wl_resource_get_user_data(resource);
	struct comp_surface *surface =
		comp_surface_from_resource(surface_resource);
	struct comp_surface *parent =
		comp_surface_from_resource(parent_resource);
	struct comp_subsurface *sub;

	if (surface == parent || is_ancestor(surface, parent)) {
		comp_post_error(server, resource,
				WL_SUBCOMPOSITOR_ERROR_BAD_SURFACE,
				"wl_surface@%u cannot be a subsurface of "
				"wl_surface@%u: it is the same surface or an "
				"ancestor of it",
				wl_resource_get_id(surface_resource),
				wl_resource_get_id(parent_resource));
		return;
	}
	sub = calloc(1, sizeof(*sub));
	if (!sub)
		goto err;
	if (!comp_surface_set_role(surface, &subsurface_role, sub, resource,
				   WL_SUBCOMPOSITOR_ERROR_BAD_SURFACE)) {
		free(sub);
		return;
	}
	sub->resource =
		wl_resource_create(client, &wl_subsurface_interface, 1, id);
	if (!sub->resource) {
		surface->role_data = NULL;
		free(sub);
		goto err;
	}
	wl_resource_set_implementation(sub->resource, &subsurface_impl, sub,
				       handle_subsurface_destroy);
	sub->surface = surface;
	sub->parent = parent;
	sub->synchronized = true;
	sub->surface_destroy.notify = handle_surface_destroy;
	wl_signal_add(&surface->destroy_signal, &sub->surface_destroy);
	sub->parent_destroy.notify = handle_parent_destroy;
	wl_signal_add(&parent->destroy_signal, &sub->parent_destroy);
	wl_list_insert(parent->subsurfaces_above.prev, &sub->link);
	return;
err:
	wl_resource_post_no_memory(resource);
}

static const struct wl_subcompositor_interface subcompositor_impl = {
	.destroy = resource_destroy,
	.get_subsurface = subcompositor_get_subsurface,
};

static void
bind_subcompositor(struct wl_client *client, void *data, uint32_t version,
		   uint32_t id)
{
	struct wl_resource *resource;

	resource = wl_resource_create(client, &wl_subcompositor_interface,
				      version, id);
	if (!resource) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &subcompositor_impl, data,
				       NULL);
}

int
comp_subsurface_init_global(struct comp_server *server)
{
	server->subcompositor_global =
		wl_global_create(server->display, &wl_subcompositor_interface,
				 1, server, bind_subcompositor);
	return server->subcompositor_global ? 0 : -1;
}
