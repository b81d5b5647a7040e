/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * sealshm buffers as wlr_buffers.  One struct sealshm_wlr_buffer exists
 * per wl_buffer resource, made the first time wlroots asks for it
 * (wlr_buffer_from_resource(), at wl_surface.commit) and found again from
 * the resource's destroy listener after that.  It holds a sealshm_buffer
 * reference for its whole life, so the pixels wlroots reads (the pixman
 * renderer keeps the data pointer in its texture) stay valid after the
 * client destroyed the wl_buffer, its pool or its connection.
 *
 * wlroots' buffer life cycle, as for its own wl_shm buffers: the client's
 * wl_buffer is the producer, so its destruction drops the wlr_buffer; the
 * surface, the texture and the renderer are consumers that lock it.  When
 * the last lock goes, wlroots emits the buffer's release signal, and the
 * client gets wl_buffer.release.
 */

#include <errno.h>
#include <stdlib.h>

#include <drm_fourcc.h>
#include <wayland-server-core.h>
#include <wayland-server-protocol.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/types/wlr_buffer.h>
#include <wlr/types/wlr_drm.h>
#include <wlr/types/wlr_linux_dmabuf_v1.h>
#include <wlr/util/log.h>

#include "sealshm-wlr.h"

struct sealshm_wlr_buffer {
	struct wlr_buffer base;
	/* A reference, dropped in buffer_destroy(). */
	struct sealshm_buffer *buffer;
	/* The client's wl_buffer; NULL once it is destroyed. */
	struct wl_resource *resource;
	uint32_t drm_format;
	/* The current data pointer access may write. */
	bool writing;
	struct wl_listener resource_destroy;
	struct wl_listener release;
};

/*
 * wl_shm codes are DRM fourccs, except the two formats wl_shm had first.
 */
static uint32_t
drm_format_from_shm(uint32_t shm_format)
{
	switch (shm_format) {
	case WL_SHM_FORMAT_ARGB8888:
		return DRM_FORMAT_ARGB8888;
	case WL_SHM_FORMAT_XRGB8888:
		return DRM_FORMAT_XRGB8888;
	default:
		return shm_format;
	}
}

static uint32_t
shm_format_from_drm(uint32_t drm_format)
{
	switch (drm_format) {
	case DRM_FORMAT_ARGB8888:
		return WL_SHM_FORMAT_ARGB8888;
	case DRM_FORMAT_XRGB8888:
		return WL_SHM_FORMAT_XRGB8888;
	default:
		return drm_format;
	}
}

/*
 * Formats whose pixel size sealshm knows, so that it checks stride and
 * size the way the renderer reads them (see sealshm_set_formats(): a code
 * it does not know would only get libwayland's stride >= width check).
 * wlroots 0.15's pixman renderer takes only formats of this list; its
 * GLES2 renderer also takes RGBX4444, RGBA5551, RGBX5551 and
 * XBGR16161616F, which are left out.
 */
static const uint32_t bounded_formats[] = {
	DRM_FORMAT_ARGB8888,	DRM_FORMAT_XRGB8888,
	DRM_FORMAT_ABGR8888,	DRM_FORMAT_XBGR8888,
	DRM_FORMAT_RGBA8888,	DRM_FORMAT_RGBX8888,
	DRM_FORMAT_BGRA8888,	DRM_FORMAT_BGRX8888,
	DRM_FORMAT_ARGB2101010, DRM_FORMAT_XRGB2101010,
	DRM_FORMAT_ABGR2101010, DRM_FORMAT_XBGR2101010,
	DRM_FORMAT_RGB888,	DRM_FORMAT_BGR888,
	DRM_FORMAT_RGB565,	DRM_FORMAT_BGR565,
	DRM_FORMAT_ARGB1555,	DRM_FORMAT_XRGB1555,
	DRM_FORMAT_ABGR1555,	DRM_FORMAT_XBGR1555,
	DRM_FORMAT_ARGB4444,	DRM_FORMAT_XRGB4444,
	DRM_FORMAT_ABGR4444,	DRM_FORMAT_XBGR4444,
	DRM_FORMAT_RGB332,	DRM_FORMAT_BGR233,
	DRM_FORMAT_RGBA4444,	DRM_FORMAT_ABGR16161616F,
};

static bool
format_is_bounded(uint32_t drm_format)
{
	for (size_t i = 0; i < sizeof(bounded_formats) / sizeof(uint32_t); i++)
		if (bounded_formats[i] == drm_format)
			return true;
	return false;
}

static const struct wlr_buffer_impl buffer_impl;

static struct sealshm_wlr_buffer *
buffer_from_wlr(struct wlr_buffer *wlr_buffer)
{
	struct sealshm_wlr_buffer *buffer;

	if (wlr_buffer->impl != &buffer_impl)
		abort();
	buffer = wl_container_of(wlr_buffer, buffer, base);
	return buffer;
}

static void
buffer_destroy(struct wlr_buffer *wlr_buffer)
{
	struct sealshm_wlr_buffer *buffer = buffer_from_wlr(wlr_buffer);

	wl_list_remove(&buffer->resource_destroy.link);
	wl_list_remove(&buffer->release.link);
	sealshm_buffer_unref(buffer->buffer);
	free(buffer);
}

/*
 * The pointer is the same for the buffer's whole life (the pixman renderer
 * relies on that between accesses).  For copy-policy buffers the outermost
 * begin access preads the client's pixels, so every frame wlroots renders
 * shows what the file holds then.
 */
static bool
buffer_begin_data_ptr_access(struct wlr_buffer *wlr_buffer, uint32_t flags,
			     void **data, uint32_t *format, size_t *stride)
{
	struct sealshm_wlr_buffer *buffer = buffer_from_wlr(wlr_buffer);
	bool write = flags & WLR_BUFFER_DATA_PTR_ACCESS_WRITE;

	if (write && sealshm_buffer_is_read_only(buffer->buffer))
		return false;
	*data = sealshm_buffer_begin_access(buffer->buffer);
	*format = buffer->drm_format;
	*stride = (size_t)sealshm_buffer_get_stride(buffer->buffer);
	buffer->writing = write;
	return true;
}

static void
buffer_end_data_ptr_access(struct wlr_buffer *wlr_buffer)
{
	struct sealshm_wlr_buffer *buffer = buffer_from_wlr(wlr_buffer);

	sealshm_buffer_end_access(buffer->buffer, buffer->writing);
	buffer->writing = false;
}

static const struct wlr_buffer_impl buffer_impl = {
	.destroy = buffer_destroy,
	.begin_data_ptr_access = buffer_begin_data_ptr_access,
	.end_data_ptr_access = buffer_end_data_ptr_access,
};

/* The client destroyed its wl_buffer: the producer is done with it. */
static void
handle_resource_destroy(struct wl_listener *listener, void *data)
{
	struct sealshm_wlr_buffer *buffer =
		wl_container_of(listener, buffer, resource_destroy);

	buffer->resource = NULL;
	wl_list_remove(&buffer->resource_destroy.link);
	wl_list_init(&buffer->resource_destroy.link);
	/* Frees the buffer unless a consumer still holds a lock. */
	wlr_buffer_drop(&buffer->base);
}

/* The last consumer unlocked the buffer. */
static void
handle_release(struct wl_listener *listener, void *data)
{
	struct sealshm_wlr_buffer *buffer =
		wl_container_of(listener, buffer, release);

	if (buffer->resource)
		wl_buffer_send_release(buffer->resource);
}

static bool
resource_is_sealshm_buffer(struct wl_resource *resource)
{
	return sealshm_buffer_from_resource(resource) != NULL;
}

static struct wlr_buffer *
buffer_from_resource(struct wl_resource *resource)
{
	struct sealshm_buffer *shm_buffer =
		sealshm_buffer_from_resource(resource);
	struct sealshm_wlr_buffer *buffer;
	struct wl_listener *listener;

	if (!shm_buffer)
		return NULL;
	listener = wl_resource_get_destroy_listener(resource,
						    handle_resource_destroy);
	if (listener) {
		buffer = wl_container_of(listener, buffer, resource_destroy);
		return &buffer->base;
	}

	buffer = calloc(1, sizeof(*buffer));
	if (!buffer) {
		wlr_log(WLR_ERROR, "sealshm: out of memory for a wlr_buffer");
		return NULL;
	}
	wlr_buffer_init(&buffer->base, &buffer_impl,
			sealshm_buffer_get_width(shm_buffer),
			sealshm_buffer_get_height(shm_buffer));
	buffer->buffer = sealshm_buffer_ref(shm_buffer);
	buffer->resource = resource;
	buffer->drm_format =
		drm_format_from_shm(sealshm_buffer_get_format(shm_buffer));
	buffer->resource_destroy.notify = handle_resource_destroy;
	wl_resource_add_destroy_listener(resource, &buffer->resource_destroy);
	buffer->release.notify = handle_release;
	wl_signal_add(&buffer->base.events.release, &buffer->release);
	/* wlr_buffer_from_resource() takes the caller's lock. */
	return &buffer->base;
}

static const struct wlr_buffer_resource_interface resource_interface = {
	.name = "sealshm_buffer",
	.is_instance = resource_is_sealshm_buffer,
	.from_resource = buffer_from_resource,
};

/*
 * The renderer's shm texture formats, as wl_shm codes, minus those
 * sealshm cannot bound.  ARGB8888 and XRGB8888 come first, as every
 * wl_shm sends them.
 */
static int
set_renderer_formats(struct sealshm *shm, struct wlr_renderer *renderer)
{
	const uint32_t *drm_formats;
	uint32_t *formats;
	size_t len, count = 2;
	int ret;

	drm_formats = wlr_renderer_get_shm_texture_formats(renderer, &len);
	if (!drm_formats) {
		wlr_log(WLR_ERROR,
			"sealshm: the renderer lists no shm formats");
		return -1;
	}
	formats = calloc(len + 2, sizeof(*formats));
	if (!formats)
		return -1;
	formats[0] = WL_SHM_FORMAT_ARGB8888;
	formats[1] = WL_SHM_FORMAT_XRGB8888;
	for (size_t i = 0; i < len; i++) {
		if (drm_formats[i] == DRM_FORMAT_ARGB8888 ||
		    drm_formats[i] == DRM_FORMAT_XRGB8888)
			continue;
		if (!format_is_bounded(drm_formats[i])) {
			wlr_log(WLR_INFO,
				"sealshm: not advertising the renderer's "
				"format 0x%08x: sealshm does not know its "
				"pixel size",
				drm_formats[i]);
			continue;
		}
		formats[count++] = shm_format_from_drm(drm_formats[i]);
	}
	ret = sealshm_set_formats(shm, formats, count);
	if (ret < 0)
		wlr_log_errno(WLR_ERROR, "sealshm: sealshm_set_formats");
	else
		wlr_log(WLR_INFO, "sealshm: advertising %zu shm formats",
			count);
	free(formats);
	return ret;
}

/* The dmabuf half of wlr_renderer_init_wl_display(). */
static bool
init_dmabuf(struct wl_display *display, struct wlr_renderer *renderer)
{
	if (!wlr_renderer_get_dmabuf_texture_formats(renderer))
		return true;
	if (wlr_renderer_get_drm_fd(renderer) >= 0) {
		if (!wlr_drm_create(display, renderer))
			return false;
	}
	return wlr_linux_dmabuf_v1_create(display, renderer) != NULL;
}

struct sealshm *
sealshm_wlr_init(struct wl_display *display, struct wlr_renderer *renderer,
		 const struct sealshm_options *options)
{
	struct sealshm *shm = sealshm_create(display, options);

	if (!shm) {
		wlr_log_errno(WLR_ERROR, "sealshm: sealshm_create");
		return NULL;
	}
	if (set_renderer_formats(shm, renderer) < 0 ||
	    !init_dmabuf(display, renderer)) {
		sealshm_destroy(shm);
		return NULL;
	}
	/* Registering twice is harmless: wlroots keeps one entry. */
	wlr_buffer_register_resource_interface(&resource_interface);
	return shm;
}
