/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * A minimal client built outside the source tree against the installed
 * sealshm-client pkg-config file only, as an application would.
 *
 *   mini-client FRAMES
 *
 * Draws the frames of pattern.h through a sealshm swapchain, attaching and
 * committing each and waiting for its frame callback, then disconnects.
 * Exits 0 when every step worked.
 */

#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wayland-client.h>

#include <sealshm/client.h>

#include "pattern.h"

struct mini {
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	bool frame_done;
};

static void
handle_global(void *data, struct wl_registry *registry, uint32_t name,
	      const char *interface, uint32_t version)
{
	struct mini *mini = data;

	if (strcmp(interface, wl_compositor_interface.name) == 0 &&
	    version >= 4)
		mini->compositor = wl_registry_bind(
			registry, name, &wl_compositor_interface, 4);
	else if (strcmp(interface, wl_shm_interface.name) == 0)
		mini->shm =
			wl_registry_bind(registry, name, &wl_shm_interface, 1);
}

static void
handle_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = handle_global,
	.global_remove = handle_global_remove,
};

static void
handle_frame_done(void *data, struct wl_callback *callback, uint32_t time)
{
	struct mini *mini = data;

	mini->frame_done = true;
	wl_callback_destroy(callback);
}

static const struct wl_callback_listener frame_listener = {
	.done = handle_frame_done,
};

static void
draw(struct sealshm_client_buffer *buffer, int frame)
{
	uint8_t *data = sealshm_client_buffer_get_data(buffer);
	int32_t stride = sealshm_client_buffer_get_stride(buffer);
	int32_t x, y;

	for (y = 0; y < pattern_height(frame); y++) {
		uint32_t *row = (uint32_t *)(data + y * stride);

		for (x = 0; x < pattern_width(frame); x++)
			row[x] = pattern_pixel(frame, x, y);
	}
}

static bool
present(struct wl_display *display, struct mini *mini,
	struct wl_surface *surface, struct sealshm_swapchain *swapchain,
	int frame)
{
	struct sealshm_client_buffer *buffer;
	struct wl_callback *callback;
	int32_t width = pattern_width(frame), height = pattern_height(frame);

	buffer = sealshm_swapchain_acquire(swapchain, width, height,
					   WL_SHM_FORMAT_XRGB8888);
	if (!buffer) {
		fprintf(stderr, "mini-client: frame %d: acquire: %s\n", frame,
			strerror(errno));
		return false;
	}
	if (sealshm_client_buffer_get_width(buffer) != width ||
	    sealshm_client_buffer_get_height(buffer) != height ||
	    sealshm_client_buffer_get_stride(buffer) < width * 4) {
		fprintf(stderr,
			"mini-client: frame %d: the swapchain gave a "
			"buffer of the wrong geometry\n",
			frame);
		return false;
	}
	draw(buffer, frame);

	mini->frame_done = false;
	callback = wl_surface_frame(surface);
	wl_callback_add_listener(callback, &frame_listener, mini);
	wl_surface_attach(surface, sealshm_client_buffer_get_wl_buffer(buffer),
			  0, 0);
	wl_surface_damage_buffer(surface, 0, 0, width, height);
	wl_surface_commit(surface);
	while (!mini->frame_done) {
		if (wl_display_dispatch(display) < 0) {
			fprintf(stderr, "mini-client: frame %d: %s\n", frame,
				strerror(errno));
			return false;
		}
	}
	return true;
}

int
main(int argc, char *argv[])
{
	struct mini mini = { 0 };
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_surface *surface = NULL;
	struct sealshm_swapchain *swapchain = NULL;
	struct sealshm_client_stats stats;
	uint64_t largest;
	int frames, frame, ret = EXIT_FAILURE;

	if (argc != 2 || (frames = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: mini-client FRAMES\n");
		return EXIT_FAILURE;
	}

	display = wl_display_connect(NULL);
	if (!display) {
		fprintf(stderr, "mini-client: cannot connect: %s\n",
			strerror(errno));
		return EXIT_FAILURE;
	}
	registry = wl_display_get_registry(display);
	wl_registry_add_listener(registry, &registry_listener, &mini);
	if (wl_display_roundtrip(display) < 0 || !mini.compositor ||
	    !mini.shm) {
		fprintf(stderr, "mini-client: no wl_compositor v4 or wl_shm\n");
		goto out;
	}

	surface = wl_compositor_create_surface(mini.compositor);
	swapchain = sealshm_swapchain_create(mini.shm);
	if (!swapchain) {
		fprintf(stderr, "mini-client: sealshm_swapchain_create: %s\n",
			strerror(errno));
		goto out;
	}
	for (frame = 0; frame < frames; frame++) {
		if (!present(display, &mini, surface, swapchain, frame))
			goto out;
	}
	/* Collect the last wl_buffer.release before reading the counters. */
	if (wl_display_roundtrip(display) < 0)
		goto out;

	sealshm_swapchain_get_stats(swapchain, &stats);
	printf("mini-client: %d frames; pools %llu, grows %llu, buffers "
	       "%llu, peak %llu bytes\n",
	       frames, (unsigned long long)stats.pools_created,
	       (unsigned long long)stats.pool_grows,
	       (unsigned long long)stats.buffers_allocated,
	       (unsigned long long)stats.bytes_peak);
	largest = (uint64_t)pattern_width(frames - 1) *
		  (uint64_t)pattern_height(frames - 1) * 4;
	if (stats.pools_created < 1 || stats.buffers_allocated < 1 ||
	    stats.bytes_peak < largest) {
		fprintf(stderr, "mini-client: the statistics cannot be right "
				"for what was drawn\n");
		goto out;
	}
	ret = EXIT_SUCCESS;

out:
	sealshm_swapchain_destroy(swapchain);
	if (surface)
		wl_surface_destroy(surface);
	if (mini.shm)
		wl_shm_destroy(mini.shm);
	if (mini.compositor)
		wl_compositor_destroy(mini.compositor);
	wl_registry_destroy(registry);
	if (wl_display_roundtrip(display) < 0 && ret == EXIT_SUCCESS) {
		fprintf(stderr, "mini-client: protocol error at the end\n");
		ret = EXIT_FAILURE;
	}
	wl_display_disconnect(display);
	return ret;
}
