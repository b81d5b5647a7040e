/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * shm-probe: what a client sees of a compositor's wl_shm, for the
 * examples suite.  Prints the number of wl_shm globals and each format
 * the first one advertises ("format 0x%08x", in order), then maps a
 * 64x64 toplevel from a sealed memfd and checks the release protocol:
 * buffer A shown, then B attached over it: A must be released; then a
 * NULL attach: B must be released.  Prints "released A" and "released
 * B" as they come; exits 0 when both came, 1 on a protocol error or a
 * lost connection (the test's timeout catches a compositor that never
 * releases).
 */

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <wayland-client.h>

#include "xdg-shell-client-protocol.h"

#define SIZE 64
#define STRIDE (SIZE * 4)
#define BUFFER_BYTES (STRIDE * SIZE)

struct probe {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	unsigned shm_globals;
	bool configured;
	bool frame_done;
	bool released[2];
};

static void
handle_format(void *data, struct wl_shm *shm, uint32_t format)
{
	printf("format 0x%08x\n", format);
}

static const struct wl_shm_listener shm_listener = {
	.format = handle_format,
};

static void
handle_ping(void *data, struct xdg_wm_base *wm_base, uint32_t serial)
{
	xdg_wm_base_pong(wm_base, serial);
}

static const struct xdg_wm_base_listener wm_base_listener = {
	.ping = handle_ping,
};

static void
handle_global(void *data, struct wl_registry *registry, uint32_t name,
	      const char *interface, uint32_t version)
{
	struct probe *p = data;

	if (strcmp(interface, wl_shm_interface.name) == 0) {
		if (p->shm_globals++ == 0) {
			p->shm = wl_registry_bind(registry, name,
						  &wl_shm_interface, 1);
			wl_shm_add_listener(p->shm, &shm_listener, p);
		}
	} else if (strcmp(interface, wl_compositor_interface.name) == 0) {
		p->compositor = wl_registry_bind(registry, name,
						 &wl_compositor_interface, 4);
	} else if (strcmp(interface, xdg_wm_base_interface.name) == 0) {
		p->wm_base = wl_registry_bind(registry, name,
					      &xdg_wm_base_interface, 1);
		xdg_wm_base_add_listener(p->wm_base, &wm_base_listener, p);
	}
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
handle_surface_configure(void *data, struct xdg_surface *surface,
			 uint32_t serial)
{
	struct probe *p = data;

	xdg_surface_ack_configure(surface, serial);
	p->configured = true;
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = handle_surface_configure,
};

static void
handle_release(void *data, struct wl_buffer *buffer)
{
	bool *released = data;

	*released = true;
}

static const struct wl_buffer_listener buffer_listener = {
	.release = handle_release,
};

static void
handle_frame_done(void *data, struct wl_callback *callback, uint32_t time)
{
	struct probe *p = data;

	p->frame_done = true;
	wl_callback_destroy(callback);
}

static const struct wl_callback_listener frame_listener = {
	.done = handle_frame_done,
};

static bool
dispatch_until(struct probe *p, const bool *flag)
{
	while (!*flag)
		if (wl_display_dispatch(p->display) < 0)
			return false;
	return true;
}

/* Attach, commit and wait until the compositor has drawn it. */
static bool
show(struct probe *p, struct wl_surface *surface, struct wl_buffer *buffer)
{
	wl_surface_attach(surface, buffer, 0, 0);
	if (buffer) {
		wl_surface_damage_buffer(surface, 0, 0, SIZE, SIZE);
		p->frame_done = false;
		wl_callback_add_listener(wl_surface_frame(surface),
					 &frame_listener, p);
	}
	wl_surface_commit(surface);
	return !buffer || dispatch_until(p, &p->frame_done);
}

int
main(void)
{
	struct probe p = { 0 };
	struct wl_buffer *buffers[2];
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	struct wl_surface *surface;
	struct wl_shm_pool *pool;
	uint32_t *pixels;
	int fd;

	p.display = wl_display_connect(NULL);
	if (!p.display) {
		fprintf(stderr, "shm-probe: cannot connect\n");
		return 1;
	}
	p.registry = wl_display_get_registry(p.display);
	wl_registry_add_listener(p.registry, &registry_listener, &p);
	/* Globals, then the format events of the bind. */
	wl_display_roundtrip(p.display);
	wl_display_roundtrip(p.display);
	printf("wl_shm globals %u\n", p.shm_globals);
	fflush(stdout);
	if (!p.shm || !p.compositor || !p.wm_base) {
		fprintf(stderr, "shm-probe: missing globals\n");
		return 1;
	}

	fd = memfd_create("shm-probe", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, 2 * BUFFER_BYTES) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) < 0) {
		perror("shm-probe: memfd");
		return 1;
	}
	pixels = mmap(NULL, 2 * BUFFER_BYTES, PROT_READ | PROT_WRITE,
		      MAP_SHARED, fd, 0);
	if (pixels == MAP_FAILED) {
		perror("shm-probe: mmap");
		return 1;
	}
	for (int i = 0; i < SIZE * SIZE; i++) {
		pixels[i] = 0xffff0000;		      /* A: red */
		pixels[SIZE * SIZE + i] = 0xff00ff00; /* B: green */
	}
	pool = wl_shm_create_pool(p.shm, fd, 2 * BUFFER_BYTES);
	for (int i = 0; i < 2; i++) {
		buffers[i] = wl_shm_pool_create_buffer(pool, i * BUFFER_BYTES,
						       SIZE, SIZE, STRIDE,
						       WL_SHM_FORMAT_XRGB8888);
		wl_buffer_add_listener(buffers[i], &buffer_listener,
				       &p.released[i]);
	}
	wl_shm_pool_destroy(pool);
	close(fd);

	surface = wl_compositor_create_surface(p.compositor);
	xdg_surface = xdg_wm_base_get_xdg_surface(p.wm_base, surface);
	xdg_surface_add_listener(xdg_surface, &xdg_surface_listener, &p);
	toplevel = xdg_surface_get_toplevel(xdg_surface);
	xdg_toplevel_set_app_id(toplevel, "shm-probe");
	wl_surface_commit(surface);
	if (!dispatch_until(&p, &p.configured) ||
	    !show(&p, surface, buffers[0]) || !show(&p, surface, buffers[1]) ||
	    !dispatch_until(&p, &p.released[0]))
		goto lost;
	printf("released A\n");
	fflush(stdout);
	if (!show(&p, surface, NULL) || !dispatch_until(&p, &p.released[1]))
		goto lost;
	printf("released B\n");
	fflush(stdout);

	xdg_toplevel_destroy(toplevel);
	xdg_surface_destroy(xdg_surface);
	wl_surface_destroy(surface);
	for (int i = 0; i < 2; i++)
		wl_buffer_destroy(buffers[i]);
	munmap(pixels, 2 * BUFFER_BYTES);
	xdg_wm_base_destroy(p.wm_base);
	wl_compositor_destroy(p.compositor);
	wl_shm_destroy(p.shm);
	wl_registry_destroy(p.registry);
	wl_display_roundtrip(p.display);
	wl_display_disconnect(p.display);
	return 0;

lost:
	fprintf(stderr, "shm-probe: connection lost (error %d)\n",
		wl_display_get_error(p.display));
	return 1;
}
