/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 */

#include <errno.h>
#include <stdlib.h>

#include <pixman.h>
#include <wayland-server-core.h>
#include <wayland-server-protocol.h>

#include "test-compositor.h"

struct test_compositor {
	struct wl_global *global;
	void (*commit)(struct test_commit *commit, void *data);
	void *data;
};

struct test_surface {
	struct test_compositor *c;
	struct wl_resource *resource;
	struct wl_resource *pending_buffer;
	struct wl_listener pending_buffer_destroy;
	pixman_region32_t damage;
	struct wl_list frames;		/* wl_resource link of wl_callback */
};

static void
resource_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void
surface_clear_pending(struct test_surface *s)
{
	if (s->pending_buffer)
		wl_list_remove(&s->pending_buffer_destroy.link);
	s->pending_buffer = NULL;
}

static void
handle_pending_buffer_destroy(struct wl_listener *listener, void *data)
{
	struct test_surface *s =
		wl_container_of(listener, s, pending_buffer_destroy);

	surface_clear_pending(s);
}

static void
surface_attach(struct wl_client *client, struct wl_resource *resource,
	       struct wl_resource *buffer, int32_t x, int32_t y)
{
	struct test_surface *s = wl_resource_get_user_data(resource);

	surface_clear_pending(s);
	s->pending_buffer = buffer;
	if (buffer) {
		s->pending_buffer_destroy.notify =
			handle_pending_buffer_destroy;
		wl_resource_add_destroy_listener(buffer,
						 &s->pending_buffer_destroy);
	}
}

static void
surface_damage(struct wl_client *client, struct wl_resource *resource,
	       int32_t x, int32_t y, int32_t width, int32_t height)
{
	struct test_surface *s = wl_resource_get_user_data(resource);

	pixman_region32_union_rect(&s->damage, &s->damage, x, y, width,
				   height);
}

static void
callback_unlink(struct wl_resource *resource)
{
	wl_list_remove(wl_resource_get_link(resource));
}

static void
surface_frame(struct wl_client *client, struct wl_resource *resource,
	      uint32_t id)
{
	struct test_surface *s = wl_resource_get_user_data(resource);
	struct wl_resource *cb;

	cb = wl_resource_create(client, &wl_callback_interface, 1, id);
	if (!cb) {
		wl_resource_post_no_memory(resource);
		return;
	}
	wl_resource_set_implementation(cb, NULL, NULL, callback_unlink);
	wl_list_insert(s->frames.prev, wl_resource_get_link(cb));
}

static void
surface_set_region(struct wl_client *client, struct wl_resource *resource,
		   struct wl_resource *region)
{
}

static void
surface_commit(struct wl_client *client, struct wl_resource *resource)
{
	struct test_surface *s = wl_resource_get_user_data(resource);
	struct test_commit commit = {
		.surface = resource,
		.buffer = s->pending_buffer,
		.damage = &s->damage,
		.release = true,
	};
	struct wl_resource *cb, *tmp;

	if (s->c->commit)
		s->c->commit(&commit, s->c->data);
	/* The callback may have destroyed the client (protocol error). */
	if (s->pending_buffer == commit.buffer && commit.buffer) {
		surface_clear_pending(s);
		if (commit.release)
			wl_buffer_send_release(commit.buffer);
	}
	pixman_region32_clear(&s->damage);
	wl_resource_for_each_safe(cb, tmp, &s->frames) {
		wl_callback_send_done(cb, commit.frame_time);
		wl_resource_destroy(cb);
	}
}

static void
surface_set_buffer_transform(struct wl_client *client,
			     struct wl_resource *resource, int32_t transform)
{
}

static void
surface_set_buffer_scale(struct wl_client *client,
			 struct wl_resource *resource, int32_t scale)
{
}

static const struct wl_surface_interface surface_impl = {
	.destroy = resource_destroy,
	.attach = surface_attach,
	.damage = surface_damage,
	.frame = surface_frame,
	.set_opaque_region = surface_set_region,
	.set_input_region = surface_set_region,
	.commit = surface_commit,
	.set_buffer_transform = surface_set_buffer_transform,
	.set_buffer_scale = surface_set_buffer_scale,
	.damage_buffer = surface_damage,
};

static void
surface_resource_destroy(struct wl_resource *resource)
{
	struct test_surface *s = wl_resource_get_user_data(resource);
	struct wl_resource *cb, *tmp;

	surface_clear_pending(s);
	wl_resource_for_each_safe(cb, tmp, &s->frames)
		wl_resource_destroy(cb);
	pixman_region32_fini(&s->damage);
	free(s);
}

static void
compositor_create_surface(struct wl_client *client,
			  struct wl_resource *resource, uint32_t id)
{
	struct test_surface *s = calloc(1, sizeof(*s));

	if (!s) {
		wl_resource_post_no_memory(resource);
		return;
	}
	s->c = wl_resource_get_user_data(resource);
	wl_list_init(&s->frames);
	pixman_region32_init(&s->damage);
	s->resource = wl_resource_create(client, &wl_surface_interface,
					 wl_resource_get_version(resource), id);
	if (!s->resource) {
		pixman_region32_fini(&s->damage);
		free(s);
		wl_resource_post_no_memory(resource);
		return;
	}
	wl_resource_set_implementation(s->resource, &surface_impl, s,
				       surface_resource_destroy);
}

static void
region_add(struct wl_client *client, struct wl_resource *resource,
	   int32_t x, int32_t y, int32_t w, int32_t h)
{
}

static const struct wl_region_interface region_impl = {
	.destroy = resource_destroy,
	.add = region_add,
	.subtract = region_add,
};

static void
compositor_create_region(struct wl_client *client,
			 struct wl_resource *resource, uint32_t id)
{
	struct wl_resource *region;

	region = wl_resource_create(client, &wl_region_interface, 1, id);
	if (!region) {
		wl_resource_post_no_memory(resource);
		return;
	}
	wl_resource_set_implementation(region, &region_impl, NULL, NULL);
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

	resource = wl_resource_create(client, &wl_compositor_interface,
				      version, id);
	if (!resource) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &compositor_impl, data, NULL);
}

struct test_compositor *
test_compositor_create(struct wl_display *display,
		       void (*commit)(struct test_commit *commit, void *data),
		       void *data)
{
	struct test_compositor *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->commit = commit;
	c->data = data;
	c->global = wl_global_create(display, &wl_compositor_interface, 4, c,
				     bind_compositor);
	if (!c->global) {
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	return c;
}

struct wl_global *
test_compositor_get_global(struct test_compositor *c)
{
	return c->global;
}

void
test_compositor_destroy(struct test_compositor *c)
{
	if (!c)
		return;
	wl_global_destroy(c->global);
	free(c);
}
