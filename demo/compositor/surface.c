/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 */

#include <assert.h>
#include <stdlib.h>

#include <wayland-server-core.h>
#include <wayland-server-protocol.h>

#include <sealshm/server.h>

#include "internal.h"

#define COMPOSITOR_VERSION 5

/*
 * Pixels derived from an immutable buffer, kept as long as the wl_buffer
 * exists: attaching the same buffer again (to this or another surface)
 * reuses the conversion.  Found through the buffer resource's destroy
 * listener, so no lookup table is needed.
 */
struct immutable_cache {
	struct wl_listener buffer_destroy;
	pixman_image_t *image;
};

static void
handle_cache_buffer_destroy(struct wl_listener *listener, void *data)
{
	struct immutable_cache *cache =
		wl_container_of(listener, cache, buffer_destroy);

	wl_list_remove(&cache->buffer_destroy.link);
	pixman_image_unref(cache->image);
	free(cache);
}

/*
 * Damage and region coordinates come from clients and may be anything:
 * keep them (and their products with the scale) far from int32 overflow.
 * No surface is anywhere near this large.
 */
#define DAMAGE_LIMIT (1 << 24)

static int32_t
clamp_damage(int64_t v)
{
	if (v < -DAMAGE_LIMIT)
		return -DAMAGE_LIMIT;
	if (v > DAMAGE_LIMIT)
		return DAMAGE_LIMIT;
	return (int32_t)v;
}

static void
add_damage(pixman_region32_t *region, int64_t x1, int64_t y1, int64_t x2,
	   int64_t y2)
{
	int32_t cx1 = clamp_damage(x1), cy1 = clamp_damage(y1);
	int32_t cx2 = clamp_damage(x2), cy2 = clamp_damage(y2);

	if (cx2 <= cx1 || cy2 <= cy1)
		return;
	pixman_region32_union_rect(region, region, cx1, cy1,
				   (unsigned int)(cx2 - cx1),
				   (unsigned int)(cy2 - cy1));
}

static void
handle_state_buffer_destroy(struct wl_listener *listener, void *data)
{
	struct comp_surface_state *state =
		wl_container_of(listener, state, buffer_destroy);

	/* A buffer destroyed before commit reads as a NULL attach. */
	wl_list_remove(&state->buffer_destroy.link);
	wl_list_init(&state->buffer_destroy.link);
	state->buffer = NULL;
}

static void
state_init(struct comp_surface_state *state)
{
	state->buffer_attached = false;
	state->buffer = NULL;
	state->buffer_destroy.notify = handle_state_buffer_destroy;
	wl_list_init(&state->buffer_destroy.link);
	state->scale_set = false;
	state->scale = 1;
	pixman_region32_init(&state->surface_damage);
	pixman_region32_init(&state->buffer_damage);
	wl_list_init(&state->frame_callbacks);
	state->input_set = false;
	state->input_infinite = true;
	pixman_region32_init(&state->input);
}

static void
state_set_buffer(struct comp_surface_state *state, struct wl_resource *buffer)
{
	wl_list_remove(&state->buffer_destroy.link);
	wl_list_init(&state->buffer_destroy.link);
	state->buffer_attached = true;
	state->buffer = buffer;
	if (buffer)
		wl_resource_add_destroy_listener(buffer,
						 &state->buffer_destroy);
}

/* Forget what was consumed; frame callbacks were moved out already. */
static void
state_reset(struct comp_surface_state *state)
{
	wl_list_remove(&state->buffer_destroy.link);
	wl_list_init(&state->buffer_destroy.link);
	state->buffer_attached = false;
	state->buffer = NULL;
	state->scale_set = false;
	pixman_region32_clear(&state->surface_damage);
	pixman_region32_clear(&state->buffer_damage);
	state->input_set = false;
}

static void
destroy_callbacks(struct wl_list *callbacks)
{
	struct wl_resource *resource, *tmp;

	wl_resource_for_each_safe (resource, tmp, callbacks)
		wl_resource_destroy(resource);
}

static void
state_fini(struct comp_surface_state *state)
{
	state_reset(state);
	destroy_callbacks(&state->frame_callbacks);
	pixman_region32_fini(&state->surface_damage);
	pixman_region32_fini(&state->buffer_damage);
	pixman_region32_fini(&state->input);
}

/* Fold a newer state into an older one that was not applied yet. */
static void
state_merge(struct comp_surface_state *into, struct comp_surface_state *from)
{
	if (from->buffer_attached)
		state_set_buffer(into, from->buffer);
	if (from->scale_set) {
		into->scale_set = true;
		into->scale = from->scale;
	}
	if (from->input_set) {
		into->input_set = true;
		into->input_infinite = from->input_infinite;
		pixman_region32_copy(&into->input, &from->input);
	}
	pixman_region32_union(&into->surface_damage, &into->surface_damage,
			      &from->surface_damage);
	pixman_region32_union(&into->buffer_damage, &into->buffer_damage,
			      &from->buffer_damage);
	wl_list_insert_list(into->frame_callbacks.prev, &from->frame_callbacks);
	wl_list_init(&from->frame_callbacks);
	state_reset(from);
}

static pixman_format_code_t
image_format_for(pixman_image_t *src)
{
	return PIXMAN_FORMAT_A(pixman_image_get_format(src)) ? PIXMAN_a8r8g8b8
							     : PIXMAN_x8r8g8b8;
}

void
comp_surface_set_image(struct comp_surface *surface, pixman_image_t *image,
		       bool shared)
{
	if (surface->image)
		pixman_image_unref(surface->image);
	surface->image = image;
	surface->image_shared = shared;
}

static pixman_image_t *
convert_immutable(struct comp_surface *surface, struct wl_resource *resource,
		  struct sealshm_buffer *buffer, pixman_image_t *src)
{
	struct immutable_cache *cache;
	struct wl_listener *listener;
	int32_t width = sealshm_buffer_get_width(buffer);
	int32_t height = sealshm_buffer_get_height(buffer);
	pixman_image_t *image;

	listener = wl_resource_get_destroy_listener(
		resource, handle_cache_buffer_destroy);
	if (listener) {
		cache = wl_container_of(listener, cache, buffer_destroy);
		surface->server->stats.immutable_cache_hits++;
		return pixman_image_ref(cache->image);
	}

	cache = calloc(1, sizeof(*cache));
	if (!cache)
		return NULL;
	image = pixman_image_create_bits(image_format_for(src), width, height,
					 NULL, 0);
	if (!image) {
		free(cache);
		return NULL;
	}
	sealshm_buffer_begin_access(buffer);
	pixman_image_composite32(PIXMAN_OP_SRC, src, NULL, image, 0, 0, 0, 0, 0,
				 0, width, height);
	sealshm_buffer_end_access(buffer, false);
	surface->server->stats.immutable_conversions++;
	surface->server->stats.pixels_copied += (uint64_t)width * height;

	cache->image = image;
	cache->buffer_destroy.notify = handle_cache_buffer_destroy;
	wl_resource_add_destroy_listener(resource, &cache->buffer_destroy);
	return pixman_image_ref(image);
}

/*
 * An immutable buffer is converted whole, once, and cached; one larger
 * than the output would cost more than it saves, and is read like any
 * other buffer: only where it is on the output.
 */
static bool
cache_immutable(struct comp_surface *surface, struct sealshm_buffer *buffer)
{
	struct comp_server *server = surface->server;

	return sealshm_buffer_is_immutable(buffer) &&
	       (int64_t)sealshm_buffer_get_width(buffer) *
			       sealshm_buffer_get_height(buffer) <=
		       (int64_t)server->options.width * server->options.height;
}

/*
 * The pixman renderer copies what it needs at commit and releases the
 * buffer right away, so a client never waits for a frame to get its
 * buffer back and can even single-buffer.  Only a buffer reaching past
 * the output is held until the rest shows or the next one comes
 * (buffer-copy.c).
 */
static void
apply_buffer(struct comp_surface *surface, struct comp_surface_state *state,
	     pixman_region32_t *buffer_damage)
{
	struct wl_resource *resource = state->buffer;
	struct sealshm_buffer *buffer;
	pixman_image_t *src, *image;

	if (!resource) {
		comp_surface_release_held(surface);
		comp_surface_set_image(surface, NULL, false);
		return;
	}
	buffer = sealshm_buffer_from_resource(resource);
	src = buffer ? sealshm_buffer_get_pixman_image(buffer) : NULL;
	if (!src) {
		comp_surface_release_held(surface);
		comp_surface_set_image(surface, NULL, false);
		wl_buffer_send_release(resource);
		return;
	}

	if (cache_immutable(surface, buffer)) {
		comp_surface_release_held(surface);
		image = convert_immutable(surface, resource, buffer, src);
		if (!image)
			wl_resource_post_no_memory(surface->resource);
		comp_surface_set_image(surface, image, true);
		wl_buffer_send_release(resource);
	} else {
		comp_surface_copy_buffer(surface, resource, buffer,
					 buffer_damage);
	}
}

static void
apply_state(struct comp_surface *surface, struct comp_surface_state *state)
{
	pixman_region32_t buffer_damage, surface_damage;
	pixman_box32_t *rects;
	int32_t scale, i, n;

	if (state->scale_set)
		surface->scale = state->scale;
	scale = surface->scale;
	if (state->input_set) {
		surface->input_infinite = state->input_infinite;
		pixman_region32_copy(&surface->input, &state->input);
	}

	/* Damage in both coordinate spaces: buffer space to copy, surface
	 * space to re-composite. */
	pixman_region32_init(&buffer_damage);
	pixman_region32_init(&surface_damage);
	pixman_region32_copy(&surface_damage, &state->surface_damage);
	pixman_region32_copy(&buffer_damage, &state->buffer_damage);
	rects = pixman_region32_rectangles(&state->surface_damage, &n);
	for (i = 0; i < n; i++) {
		add_damage(&buffer_damage, (int64_t)rects[i].x1 * scale,
			   (int64_t)rects[i].y1 * scale,
			   (int64_t)rects[i].x2 * scale,
			   (int64_t)rects[i].y2 * scale);
	}
	rects = pixman_region32_rectangles(&state->buffer_damage, &n);
	for (i = 0; i < n; i++) {
		add_damage(&surface_damage, rects[i].x1 / scale,
			   rects[i].y1 / scale,
			   ((int64_t)rects[i].x2 + scale - 1) / scale,
			   ((int64_t)rects[i].y2 + scale - 1) / scale);
	}

	if (state->buffer_attached) {
		apply_buffer(surface, state, &buffer_damage);
		if (surface->image) {
			surface->buffer_width =
				pixman_image_get_width(surface->image);
			surface->buffer_height =
				pixman_image_get_height(surface->image);
		} else {
			surface->buffer_width = 0;
			surface->buffer_height = 0;
		}
	}
	surface->width = surface->buffer_width / scale;
	surface->height = surface->buffer_height / scale;
	pixman_region32_union(&surface->content_damage,
			      &surface->content_damage, &surface_damage);
	pixman_region32_fini(&buffer_damage);
	pixman_region32_fini(&surface_damage);

	wl_list_insert_list(surface->frame_callbacks.prev,
			    &state->frame_callbacks);
	wl_list_init(&state->frame_callbacks);
	state_reset(state);

	comp_subsurface_parent_applied(surface);
	if (surface->role && surface->role->commit && surface->role_data)
		surface->role->commit(surface);
	comp_server_schedule_frame(surface->server);
}

void
comp_surface_apply_cached(struct comp_surface *surface)
{
	if (!surface->has_cached)
		return;
	surface->has_cached = false;
	apply_state(surface, &surface->cached);
}

static void
resource_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void
surface_attach(struct wl_client *client, struct wl_resource *resource,
	       struct wl_resource *buffer, int32_t x, int32_t y)
{
	struct comp_surface *surface = comp_surface_from_resource(resource);

	if (wl_resource_get_version(resource) >= 5 && (x != 0 || y != 0)) {
		comp_post_error(surface->server, resource,
				WL_SURFACE_ERROR_INVALID_OFFSET,
				"wl_surface.attach with a non-zero offset "
				"(%d, %d) on version 5: use wl_surface.offset",
				x, y);
		return;
	}
	if (surface->role && surface->role->attach && surface->role_data &&
	    !surface->role->attach(surface, buffer))
		return;
	/* The offset moves the window in compositors that place windows by
	 * their content; ours places by window geometry, so it is moot. */
	state_set_buffer(&surface->pending, buffer);
}

static void
surface_damage(struct wl_client *client, struct wl_resource *resource,
	       int32_t x, int32_t y, int32_t width, int32_t height)
{
	struct comp_surface *surface = comp_surface_from_resource(resource);

	if (width <= 0 || height <= 0)
		return;
	add_damage(&surface->pending.surface_damage, x, y, (int64_t)x + width,
		   (int64_t)y + height);
}

static void
handle_callback_destroy(struct wl_resource *resource)
{
	wl_list_remove(wl_resource_get_link(resource));
}

static void
surface_frame(struct wl_client *client, struct wl_resource *resource,
	      uint32_t id)
{
	struct comp_surface *surface = comp_surface_from_resource(resource);
	struct wl_resource *callback;

	callback = wl_resource_create(client, &wl_callback_interface, 1, id);
	if (!callback) {
		wl_resource_post_no_memory(resource);
		return;
	}
	wl_resource_set_implementation(callback, NULL, NULL,
				       handle_callback_destroy);
	wl_list_insert(surface->pending.frame_callbacks.prev,
		       wl_resource_get_link(callback));
}

static void
surface_set_opaque_region(struct wl_client *client,
			  struct wl_resource *resource,
			  struct wl_resource *region)
{
	/* Only a compositor that skips occluded pixels needs it; this one
	 * composites every damaged pixel. */
}

static const struct wl_region_interface region_impl;

static void
surface_set_input_region(struct wl_client *client, struct wl_resource *resource,
			 struct wl_resource *region)
{
	struct comp_surface *surface = comp_surface_from_resource(resource);
	struct comp_surface_state *pending = &surface->pending;

	pending->input_set = true;
	pending->input_infinite = region == NULL;
	if (region) {
		assert(wl_resource_instance_of(region, &wl_region_interface,
					       &region_impl));
		pixman_region32_copy(&pending->input,
				     wl_resource_get_user_data(region));
	}
}

static void
surface_commit(struct wl_client *client, struct wl_resource *resource)
{
	struct comp_surface *surface = comp_surface_from_resource(resource);
	const struct comp_surface_role *role = surface->role;
	bool ok;

	surface->server->stats.commits++;
	if (role && role->precommit && surface->role_data) {
		ok = role->precommit(surface, &surface->pending);
		if (!ok)
			return;
	}
	if (comp_subsurface_is_synchronized(surface)) {
		state_merge(&surface->cached, &surface->pending);
		surface->has_cached = true;
		return;
	}
	if (surface->has_cached) {
		state_merge(&surface->cached, &surface->pending);
		comp_surface_apply_cached(surface);
	} else {
		apply_state(surface, &surface->pending);
	}
	/* Input follows the scene at once: a client that commits and then
	 * roundtrips sees the focus the new scene gives. */
	comp_seat_refocus(surface->server);
}

static void
surface_set_buffer_transform(struct wl_client *client,
			     struct wl_resource *resource, int32_t transform)
{
	struct comp_surface *surface = comp_surface_from_resource(resource);

	if (transform < WL_OUTPUT_TRANSFORM_NORMAL ||
	    transform > WL_OUTPUT_TRANSFORM_FLIPPED_270) {
		comp_post_error(surface->server, resource,
				WL_SURFACE_ERROR_INVALID_TRANSFORM,
				"buffer transform %d is not a "
				"wl_output.transform value (0 to 7)",
				transform);
	}
	/* Valid transforms are accepted and drawn untransformed: the
	 * demo's single output is never rotated. */
}

static void
surface_set_buffer_scale(struct wl_client *client, struct wl_resource *resource,
			 int32_t scale)
{
	struct comp_surface *surface = comp_surface_from_resource(resource);

	if (scale < 1) {
		comp_post_error(surface->server, resource,
				WL_SURFACE_ERROR_INVALID_SCALE,
				"buffer scale %d is not positive: use 1 or "
				"more",
				scale);
		return;
	}
	surface->pending.scale_set = true;
	surface->pending.scale = scale;
}

static void
surface_damage_buffer(struct wl_client *client, struct wl_resource *resource,
		      int32_t x, int32_t y, int32_t width, int32_t height)
{
	struct comp_surface *surface = comp_surface_from_resource(resource);

	if (width <= 0 || height <= 0)
		return;
	add_damage(&surface->pending.buffer_damage, x, y, (int64_t)x + width,
		   (int64_t)y + height);
}

static void
surface_offset(struct wl_client *client, struct wl_resource *resource,
	       int32_t x, int32_t y)
{
	/* See surface_attach: windows are placed by their geometry. */
}

static const struct wl_surface_interface surface_impl = {
	.destroy = resource_destroy,
	.attach = surface_attach,
	.damage = surface_damage,
	.frame = surface_frame,
	.set_opaque_region = surface_set_opaque_region,
	.set_input_region = surface_set_input_region,
	.commit = surface_commit,
	.set_buffer_transform = surface_set_buffer_transform,
	.set_buffer_scale = surface_set_buffer_scale,
	.damage_buffer = surface_damage_buffer,
	.offset = surface_offset,
};

struct comp_surface *
comp_surface_from_resource(struct wl_resource *resource)
{
	assert(wl_resource_instance_of(resource, &wl_surface_interface,
				       &surface_impl));
	return wl_resource_get_user_data(resource);
}

struct comp_surface *
comp_surface_try_from_resource(struct wl_resource *resource)
{
	if (!wl_resource_instance_of(resource, &wl_surface_interface,
				     &surface_impl))
		return NULL;
	return wl_resource_get_user_data(resource);
}

bool
comp_surface_set_role(struct comp_surface *surface,
		      const struct comp_surface_role *role, void *data,
		      struct wl_resource *error_resource, uint32_t code)
{
	if (surface->role && surface->role != role) {
		comp_post_error(surface->server, error_resource, code,
				"wl_surface@%u already has the role %s and "
				"cannot become a %s: use a new wl_surface",
				wl_resource_get_id(surface->resource),
				surface->role->name, role->name);
		return false;
	}
	if (surface->role_data) {
		comp_post_error(surface->server, error_resource, code,
				"wl_surface@%u already has a live %s object: "
				"destroy it first",
				wl_resource_get_id(surface->resource),
				role->name);
		return false;
	}
	surface->role = role;
	surface->role_data = data;
	return true;
}

static void
handle_surface_destroy(struct wl_resource *resource)
{
	struct comp_surface *surface = wl_resource_get_user_data(resource);

	wl_signal_emit(&surface->destroy_signal, surface);
	comp_surface_damage_shown(surface);
	comp_server_schedule_frame(surface->server);

	state_fini(&surface->pending);
	state_fini(&surface->cached);
	destroy_callbacks(&surface->frame_callbacks);
	comp_surface_release_held(surface);
	pixman_region32_fini(&surface->stale);
	pixman_region32_fini(&surface->content_damage);
	pixman_region32_fini(&surface->input);
	comp_surface_set_image(surface, NULL, false);
	wl_list_remove(&surface->link);
	free(surface);
}

static void
compositor_create_surface(struct wl_client *client,
			  struct wl_resource *resource, uint32_t id)
{
	struct comp_server *server = wl_resource_get_user_data(resource);
	struct comp_surface *surface;

	surface = calloc(1, sizeof(*surface));
	if (!surface)
		goto err;
	surface->resource =
		wl_resource_create(client, &wl_surface_interface,
				   wl_resource_get_version(resource), id);
	if (!surface->resource) {
		free(surface);
		goto err;
	}
	surface->server = server;
	surface->scale = 1;
	state_init(&surface->pending);
	state_init(&surface->cached);
	pixman_region32_init(&surface->content_damage);
	pixman_region32_init(&surface->stale);
	surface->held_destroy.notify = comp_surface_handle_held_destroy;
	wl_list_init(&surface->held_destroy.link);
	surface->input_infinite = true;
	pixman_region32_init(&surface->input);
	wl_list_init(&surface->frame_callbacks);
	wl_list_init(&surface->subsurfaces_below);
	wl_list_init(&surface->subsurfaces_above);
	wl_signal_init(&surface->destroy_signal);
	wl_list_insert(server->surfaces.prev, &surface->link);
	wl_resource_set_implementation(surface->resource, &surface_impl,
				       surface, handle_surface_destroy);
	return;
err:
	wl_resource_post_no_memory(resource);
}

static void
region_add(struct wl_client *client, struct wl_resource *resource, int32_t x,
	   int32_t y, int32_t width, int32_t height)
{
	if (width <= 0 || height <= 0)
		return;
	add_damage(wl_resource_get_user_data(resource), x, y,
		   (int64_t)x + width, (int64_t)y + height);
}

static void
region_subtract(struct wl_client *client, struct wl_resource *resource,
		int32_t x, int32_t y, int32_t width, int32_t height)
{
	pixman_region32_t *region = wl_resource_get_user_data(resource);
	pixman_region32_t cut;

	if (width <= 0 || height <= 0)
		return;
	pixman_region32_init(&cut);
	add_damage(&cut, x, y, (int64_t)x + width, (int64_t)y + height);
	pixman_region32_subtract(region, region, &cut);
	pixman_region32_fini(&cut);
}

static const struct wl_region_interface region_impl = {
	.destroy = resource_destroy,
	.add = region_add,
	.subtract = region_subtract,
};

static void
handle_region_destroy(struct wl_resource *resource)
{
	pixman_region32_t *region = wl_resource_get_user_data(resource);

	pixman_region32_fini(region);
	free(region);
}

static void
compositor_create_region(struct wl_client *client, struct wl_resource *resource,
			 uint32_t id)
{
	pixman_region32_t *region = calloc(1, sizeof(*region));
	struct wl_resource *region_resource;

	if (!region)
		goto err;
	region_resource =
		wl_resource_create(client, &wl_region_interface, 1, id);
	if (!region_resource) {
		free(region);
		goto err;
	}
	pixman_region32_init(region);
	wl_resource_set_implementation(region_resource, &region_impl, region,
				       handle_region_destroy);
	return;
err:
	wl_resource_post_no_memory(resource);
}

static const struct wl_compositor_interface compositor_impl = {
	.create_surface = compositor_create_surface,
	.create_region = compositor_create_region,
};

static void
bind_compositor(struct wl_client *client, void *data, uint32_t version,
		uint32_t id)
{
	struct wl_resource *resource;

	resource = wl_resource_create(client, &wl_compositor_interface, version,
				      id);
	if (!resource) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &compositor_impl, data, NULL);
}

int
comp_surface_init_globals(struct comp_server *server)
{
	server->compositor_global =
		wl_global_create(server->display, &wl_compositor_interface,
				 COMPOSITOR_VERSION, server, bind_compositor);
	return server->compositor_global ? 0 : -1;
}
