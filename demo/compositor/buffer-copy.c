/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * What the compositor reads of a client's buffer: only the damaged part
 * that is on the output.  A client can commit a buffer far larger than
 * any output (16384 x 16384 within the shm module's limits is 1 GiB);
 * copying all of it at every commit would stall every other client.  The
 * surface keeps a copy of the buffer's size (memory that is only touched
 * where it is written), and the pixels outside the output wait, "stale":
 * the buffer is then held, not released, and they are read when the
 * surface moves to show them (at the next repaint) or dropped when a new
 * buffer arrives.  A buffer read completely is released at once, so a
 * window inside the output gets its buffer back at commit, as before.
 */

#include <stdint.h>
#include <sys/mman.h>

#include <wayland-server-core.h>
#include <wayland-server-protocol.h>

#include <sealshm/server.h>

#include "internal.h"

static pixman_format_code_t
image_format_for(pixman_image_t *src)
{
	return PIXMAN_FORMAT_A(pixman_image_get_format(src)) ? PIXMAN_a8r8g8b8
							     : PIXMAN_x8r8g8b8;
}

static void
unmap_bits(pixman_image_t *image, void *data)
{
	munmap(pixman_image_get_data(image),
	       (size_t)pixman_image_get_stride(image) *
		       (size_t)pixman_image_get_height(image));
}

/*
 * A surface image of the buffer's size in anonymous memory of its own:
 * pages come into being only where pixels are written, whatever the
 * size, and whatever malloc does (glibc's calloc writes every byte of a
 * block when MALLOC_PERTURB_ is set, as meson test sets it).
 */
static pixman_image_t *
create_image(pixman_format_code_t format, int32_t width, int32_t height)
{
	size_t stride = (size_t)width * 4, size = stride * (size_t)height;
	pixman_image_t *image;
	void *bits;

	if (stride > INT32_MAX)
		return NULL;
	bits = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (bits == MAP_FAILED)
		return NULL;
	image = pixman_image_create_bits(format, width, height, bits,
					 (int)stride);
	if (!image) {
		munmap(bits, size);
		return NULL;
	}
	pixman_image_set_destroy_function(image, unmap_bits, NULL);
	return image;
}

/*
 * The part of the surface's buffer, in buffer coordinates, that is on the
 * output with the surface's origin at (x, y).
 */
static void
on_output(struct comp_surface *surface, int32_t x, int32_t y,
	  pixman_region32_t *region)
{
	struct comp_server *server = surface->server;
	int64_t scale = surface->scale;
	int64_t x1 = x < 0 ? -(int64_t)x : 0, y1 = y < 0 ? -(int64_t)y : 0;
	int64_t x2 = (int64_t)server->options.width - x;
	int64_t y2 = (int64_t)server->options.height - y;

	pixman_region32_clear(region);
	x1 *= scale;
	y1 *= scale;
	x2 *= scale;
	y2 *= scale;
	if (x2 > surface->buffer_width)
		x2 = surface->buffer_width;
	if (y2 > surface->buffer_height)
		y2 = surface->buffer_height;
	if (x2 <= x1 || y2 <= y1)
		return;
	pixman_region32_union_rect(region, region, (int32_t)x1, (int32_t)y1,
				   (unsigned int)(x2 - x1),
				   (unsigned int)(y2 - y1));
}

/*
 * Where the surface will be: where the last frame showed it, or for a
 * surface not shown yet (a window about to map) the output's size from
 * its origin, which is where new windows go.  A guess that proves wrong
 * only leaves pixels stale until the repaint reads them.
 */
static void
likely_on_output(struct comp_surface *surface, pixman_region32_t *region)
{
	if (surface->shown)
		on_output(surface, surface->shown_box.x1, surface->shown_box.y1,
			  region);
	else
		on_output(surface, 0, 0, region);
}

/* Copy @p region (buffer coordinates) of @p buffer into the surface. */
static void
copy_region(struct comp_surface *surface, struct sealshm_buffer *buffer,
	    pixman_region32_t *region)
{
	pixman_image_t *src = sealshm_buffer_get_pixman_image(buffer);

	if (!pixman_region32_not_empty(region))
		return;
	if (pixman_image_get_format(src) ==
	    pixman_image_get_format(surface->image)) {
		/*
		 * The same layout needs no conversion, and copy-tier buffers
		 * are then read straight into the surface image: one copy,
		 * as for mapped buffers, instead of pread plus composite.
		 * The image has the buffer's width and format, so the stride
		 * fits and the call cannot fail.
		 */
		sealshm_buffer_copy_to(buffer, region,
				       pixman_image_get_data(surface->image),
				       pixman_image_get_stride(surface->image));
	} else {
		/* Copy-tier buffers then pread only the rows in the region;
		 * pixman reads only what the clip lets through. */
		sealshm_buffer_begin_access_region(buffer, region);
		pixman_image_set_clip_region32(surface->image, region);
		pixman_image_composite32(
			PIXMAN_OP_SRC, src, NULL, surface->image, 0, 0, 0, 0, 0,
			0, surface->buffer_width, surface->buffer_height);
		pixman_image_set_clip_region32(surface->image, NULL);
		sealshm_buffer_end_access(buffer, false);
	}
	surface->server->stats.pixels_copied += comp_region_area(region);
}

void
comp_surface_handle_held_destroy(struct wl_listener *listener, void *data)
{
	struct comp_surface *surface =
		wl_container_of(listener, surface, held_destroy);

	/* The pixels stay readable through our reference; only the
	 * release has nobody to go to. */
	wl_list_remove(&surface->held_destroy.link);
	wl_list_init(&surface->held_destroy.link);
	surface->held_resource = NULL;
}

void
comp_surface_release_held(struct comp_surface *surface)
{
	if (!surface->held)
		return;
	if (surface->held_resource)
		wl_buffer_send_release(surface->held_resource);
	wl_list_remove(&surface->held_destroy.link);
	wl_list_init(&surface->held_destroy.link);
	surface->held_resource = NULL;
	sealshm_buffer_unref(surface->held);
	surface->held = NULL;
	pixman_region32_clear(&surface->stale);
}

void
comp_surface_copy_buffer(struct comp_surface *surface,
			 struct wl_resource *resource,
			 struct sealshm_buffer *buffer,
			 pixman_region32_t *damage)
{
	pixman_image_t *src = sealshm_buffer_get_pixman_image(buffer);
	int32_t width = sealshm_buffer_get_width(buffer);
	int32_t height = sealshm_buffer_get_height(buffer);
	pixman_format_code_t format = image_format_for(src);
	pixman_region32_t region, visible;
	pixman_image_t *image;

	pixman_region32_init(&region);
	pixman_region32_init(&visible);
	/* What the previous buffer left stale, the new one has too. */
	pixman_region32_copy(&region, &surface->stale);
	comp_surface_release_held(surface);
	if (!surface->image || surface->image_shared ||
	    pixman_image_get_width(surface->image) != width ||
	    pixman_image_get_height(surface->image) != height ||
	    pixman_image_get_format(surface->image) != format) {
		image = create_image(format, width, height);
		if (!image) {
			wl_resource_post_no_memory(surface->resource);
			wl_buffer_send_release(resource);
			goto out;
		}
		comp_surface_set_image(surface, image, false);
		pixman_region32_union_rect(&region, &region, 0, 0,
					   (unsigned int)width,
					   (unsigned int)height);
	} else {
		pixman_region32_union(&region, &region, damage);
		pixman_region32_intersect_rect(&region, &region, 0, 0, width,
					       height);
	}
	surface->buffer_width = width;
	surface->buffer_height = height;

	likely_on_output(surface, &visible);
	pixman_region32_intersect(&visible, &visible, &region);
	copy_region(surface, buffer, &visible);
	pixman_region32_subtract(&surface->stale, &region, &visible);
	if (pixman_region32_not_empty(&surface->stale)) {
		surface->held = sealshm_buffer_ref(buffer);
		surface->held_resource = resource;
		wl_resource_add_destroy_listener(resource,
						 &surface->held_destroy);
	} else {
		wl_buffer_send_release(resource);
	}
out:
	pixman_region32_fini(&visible);
	pixman_region32_fini(&region);
}

void
comp_surface_copy_shown(struct comp_surface *surface, int32_t x, int32_t y)
{
	pixman_region32_t visible;
	pixman_box32_t *rects;
	int32_t scale = surface->scale;
	int i, n;

	if (!surface->held)
		return;
	pixman_region32_init(&visible);
	on_output(surface, x, y, &visible);
	pixman_region32_intersect(&visible, &visible, &surface->stale);
	copy_region(surface, surface->held, &visible);
	pixman_region32_subtract(&surface->stale, &surface->stale, &visible);
	/* What was just read is new on screen: surface coordinates. */
	rects = pixman_region32_rectangles(&visible, &n);
	for (i = 0; i < n; i++)
		pixman_region32_union_rect(
			&surface->content_damage, &surface->content_damage,
			rects[i].x1 / scale, rects[i].y1 / scale,
			(unsigned int)((rects[i].x2 + scale - 1) / scale -
				       rects[i].x1 / scale),
			(unsigned int)((rects[i].y2 + scale - 1) / scale -
				       rects[i].y1 / scale));
	pixman_region32_fini(&visible);
	if (!pixman_region32_not_empty(&surface->stale))
		comp_surface_release_held(surface);
}
