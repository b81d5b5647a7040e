/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * The scene and the pixman renderer.  Each frame walks the scene (mapped
 * toplevels bottom to top with their subsurface trees, then popups),
 * turns every change of where a surface is shown, and every piece of
 * committed content damage, into output damage, and re-composites only
 * that region.
 */

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <wayland-server-core.h>
#include <wayland-server-protocol.h>

#include "internal.h"

typedef void (*surface_iter_func_t)(struct comp_surface *surface, int32_t x,
				    int32_t y, void *data);

uint32_t
comp_now_msec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)((uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

uint64_t
comp_region_area(pixman_region32_t *region)
{
	pixman_box32_t *rects;
	uint64_t area = 0;
	int i, n;

	rects = pixman_region32_rectangles(region, &n);
	for (i = 0; i < n; i++)
		area += (uint64_t)(rects[i].x2 - rects[i].x1) *
			(uint64_t)(rects[i].y2 - rects[i].y1);
	return area;
}

int32_t
comp_clamp_coord(int32_t value)
{
	const int32_t limit = 1 << 24;

	if (value < -limit)
		return -limit;
	if (value > limit)
		return limit;
	return value;
}

static void
for_each_in_tree(struct comp_surface *surface, int32_t x, int32_t y,
		 surface_iter_func_t func, void *data)
{
	struct comp_subsurface *sub;

	/* A surface without content hides its subsurfaces too. */
	if (!surface->image)
		return;
	wl_list_for_each (sub, &surface->subsurfaces_below, link)
		for_each_in_tree(sub->surface, x + sub->x, y + sub->y, func,
				 data);
	func(surface, x, y, data);
	wl_list_for_each (sub, &surface->subsurfaces_above, link)
		for_each_in_tree(sub->surface, x + sub->x, y + sub->y, func,
				 data);
}

static void
for_each_shown(struct comp_server *server, surface_iter_func_t func, void *data)
{
	struct wl_list *stacks[] = { &server->toplevels, &server->popups };
	struct comp_xdg_surface *xdg;
	int32_t x, y;
	size_t i;

	for (i = 0; i < 2; i++) {
		wl_list_for_each (xdg, stacks[i], stack_link) {
			if (comp_xdg_surface_get_origin(xdg, &x, &y))
				for_each_in_tree(xdg->surface, x, y, func,
						 data);
		}
	}
}

static void
damage_box(struct comp_server *server, const pixman_box32_t *box)
{
	pixman_region32_union_rect(&server->damage, &server->damage, box->x1,
				   box->y1, box->x2 - box->x1,
				   box->y2 - box->y1);
}

void
comp_surface_damage_shown(struct comp_surface *surface)
{
	if (!surface->shown)
		return;
	damage_box(surface->server, &surface->shown_box);
	surface->shown = false;
}

static void
update_shown(struct comp_surface *surface, int32_t x, int32_t y, void *data)
{
	struct comp_server *server = surface->server;
	pixman_box32_t box = { x, y, x + surface->width, y + surface->height };

	if (!surface->shown || box.x1 != surface->shown_box.x1 ||
	    box.y1 != surface->shown_box.y1 ||
	    box.x2 != surface->shown_box.x2 ||
	    box.y2 != surface->shown_box.y2) {
		comp_surface_damage_shown(surface);
		damage_box(server, &box);
	}
	surface->shown = true;
	surface->shown_box = box;
	surface->seen_seq = server->frame_seq;
	if (!surface->on_output)
		comp_output_surface_enter(surface, true);
	/* Pixels of a large buffer that were off the output may show now. */
	comp_surface_copy_shown(surface, x, y);

	pixman_region32_translate(&surface->content_damage, x, y);
	pixman_region32_intersect_rect(&surface->content_damage,
				       &surface->content_damage, x, y,
				       surface->width, surface->height);
	pixman_region32_union(&server->damage, &server->damage,
			      &surface->content_damage);
}

static void
draw_surface(struct comp_surface *surface, int32_t x, int32_t y, void *data)
{
	pixman_image_t *output = data;
	pixman_image_t *image = surface->image;
	pixman_transform_t transform;
	pixman_op_t op;

	op = PIXMAN_FORMAT_A(pixman_image_get_format(image)) ? PIXMAN_OP_OVER
							     : PIXMAN_OP_SRC;
	if (surface->scale != 1) {
		pixman_transform_init_scale(
			&transform, pixman_int_to_fixed(surface->scale),
			pixman_int_to_fixed(surface->scale));
		pixman_image_set_transform(image, &transform);
		pixman_image_set_filter(image, PIXMAN_FILTER_NEAREST, NULL, 0);
	}
	pixman_image_composite32(op, image, NULL, output, 0, 0, 0, 0, x, y,
				 surface->width, surface->height);
	if (surface->scale != 1)
		pixman_image_set_transform(image, NULL);
}

struct surface_at {
	double x, y;
	struct comp_surface *found;
	int32_t origin_x, origin_y;
};

static void
check_surface_at(struct comp_surface *surface, int32_t x, int32_t y, void *data)
{
	struct surface_at *at = data;

	/* Later surfaces are higher: the last hit wins. */
	if (at->x >= x && at->y >= y && at->x < x + surface->width &&
	    at->y < y + surface->height &&
	    (surface->input_infinite ||
	     pixman_region32_contains_point(&surface->input, (int)(at->x - x),
					    (int)(at->y - y), NULL))) {
		at->found = surface;
		at->origin_x = x;
		at->origin_y = y;
	}
}

struct comp_surface *
comp_server_surface_at(struct comp_server *server, double x, double y,
		       int32_t *origin_x, int32_t *origin_y)
{
	struct surface_at at = { .x = x, .y = y };

	for_each_shown(server, check_surface_at, &at);
	*origin_x = at.origin_x;
	*origin_y = at.origin_y;
	return at.found;
}

void
comp_server_schedule_frame(struct comp_server *server)
{
	server->repaint_needed = true;
	if (!server->frame_pending && server->backend)
		server->backend->impl->schedule(server->backend);
}

void
comp_server_repaint(struct comp_server *server)
{
	struct comp_surface *surface;
	pixman_region32_t damage;

	if (!server->repaint_needed || server->frame_pending)
		return;
	server->repaint_needed = false;
	server->frame_seq++;

	for_each_shown(server, update_shown, NULL);
	wl_list_for_each (surface, &server->surfaces, link) {
		if (surface->shown && surface->seen_seq != server->frame_seq)
			comp_surface_damage_shown(surface);
		if (surface->on_output &&
		    surface->seen_seq != server->frame_seq)
			comp_output_surface_enter(surface, false);
		pixman_region32_clear(&surface->content_damage);
		wl_list_insert_list(server->presented_callbacks.prev,
				    &surface->frame_callbacks);
		wl_list_init(&surface->frame_callbacks);
	}

	comp_seat_refocus(server);

	pixman_region32_init(&damage);
	pixman_region32_intersect_rect(&damage, &server->damage, 0, 0,
				       server->options.width,
				       server->options.height);
	pixman_region32_clear(&server->damage);
	if (pixman_region32_not_empty(&damage)) {
		pixman_image_set_clip_region32(server->output, &damage);
		pixman_image_composite32(PIXMAN_OP_SRC, server->background,
					 NULL, server->output, 0, 0, 0, 0, 0, 0,
					 server->options.width,
					 server->options.height);
		for_each_shown(server, draw_surface, server->output);
		pixman_image_set_clip_region32(server->output, NULL);
		server->stats.frames++;
		server->stats.damage_pixels += comp_region_area(&damage);
	}

	server->frame_pending = true;
	server->backend->impl->present(server->backend, &damage);
	pixman_region32_fini(&damage);
}

void
comp_server_frame_done(struct comp_server *server)
{
	uint32_t now = comp_now_msec();
	struct wl_resource *callback, *tmp;

	server->frame_pending = false;
	wl_resource_for_each_safe (callback, tmp,
				   &server->presented_callbacks) {
		wl_callback_send_done(callback, now);
		wl_resource_destroy(callback);
	}
	if (server->repaint_needed)
		server->backend->impl->schedule(server->backend);
}

/* A quiet vertical gradient with a 64-pixel grid: stable, so reference
 * images stay exact, and visibly not a client. */
static pixman_image_t *
make_background(int32_t width, int32_t height)
{
	pixman_image_t *image;
	uint32_t *row;
	int32_t x, y, stride;

	image = pixman_image_create_bits(PIXMAN_x8r8g8b8, width, height, NULL,
					 0);
	if (!image)
		return NULL;
	stride = pixman_image_get_stride(image) / 4;
	for (y = 0; y < height; y++) {
		uint32_t shade = 0x30 - (uint32_t)(y * 0x20 / height);
		uint32_t base =
			(shade / 2) << 16 | (shade * 3 / 4) << 8 | shade;

		row = pixman_image_get_data(image) + (size_t)y * stride;
		for (x = 0; x < width; x++) {
			row[x] = 0xff000000 | base;
			if (x % 64 == 0 || y % 64 == 0)
				row[x] += 0x0a0a0a;
		}
	}
	return image;
}

int
comp_render_init(struct comp_server *server)
{
	int32_t width = server->options.width, height = server->options.height;

	pixman_region32_init(&server->damage);
	server->background = make_background(width, height);
	server->output = pixman_image_create_bits(PIXMAN_x8r8g8b8, width,
						  height, NULL, 0);
	if (!server->background || !server->output)
		return -1;
	pixman_image_composite32(PIXMAN_OP_SRC, server->background, NULL,
				 server->output, 0, 0, 0, 0, 0, 0, width,
				 height);
	return 0;
}

void
comp_render_fini(struct comp_server *server)
{
	struct wl_resource *callback, *tmp;

	wl_resource_for_each_safe (callback, tmp, &server->presented_callbacks)
		wl_resource_destroy(callback);
	if (server->output)
		pixman_image_unref(server->output);
	if (server->background)
		pixman_image_unref(server->background);
	pixman_region32_fini(&server->damage);
}
