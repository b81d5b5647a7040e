/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * adversarial-canary: a well-behaved client that maps one toplevel and
 * redraws the canary pattern into it every frame, for as long as it runs.
 * It prints "ready" once its first frame was composited, "frames N" after
 * the next frame when it gets SIGUSR1, and "frames N" when it ends.  SIGTERM
 * ends it with status 0; losing the compositor ends it with status 1.  Buffers
 * are plain sealed memfds, independent of the client helper, so that the canary
 * stays correct whatever the helper does.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <wayland-client.h>

#include "canary-pattern.h"
#include "xdg-shell-client-protocol.h"

#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#endif
#ifndef F_SEAL_SEAL
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#endif

#define SLOTS 2

struct slot {
	struct wl_buffer *buffer;
	uint32_t *pixels;
	bool busy;
};

struct canary {
	struct wl_display *display;
	struct wl_compositor *compositor;
	struct wl_shm *shm;
	struct xdg_wm_base *wm_base;
	struct wl_surface *surface;
	struct wl_callback *frame;
	void *data;
	size_t data_size;
	bool configured;
	bool frame_done;
	struct slot slots[SLOTS];
	unsigned long frames;
};

static volatile sig_atomic_t terminated, report;

static void
handle_signal(int sig)
{
	if (sig == SIGTERM)
		terminated = 1;
	else
		report = 1;
}

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
	struct canary *c = data;

	if (strcmp(interface, "wl_compositor") == 0)
		c->compositor = wl_registry_bind(registry, name,
						 &wl_compositor_interface, 1);
	else if (strcmp(interface, "wl_shm") == 0)
		c->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
	else if (strcmp(interface, "xdg_wm_base") == 0) {
		c->wm_base = wl_registry_bind(registry, name,
					      &xdg_wm_base_interface, 1);
		xdg_wm_base_add_listener(c->wm_base, &wm_base_listener, c);
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
handle_xdg_configure(void *data, struct xdg_surface *xdg_surface,
		     uint32_t serial)
{
	struct canary *c = data;

	xdg_surface_ack_configure(xdg_surface, serial);
	c->configured = true;
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = handle_xdg_configure,
};

static void
handle_toplevel_configure(void *data, struct xdg_toplevel *toplevel,
			  int32_t width, int32_t height,
			  struct wl_array *states)
{
	/* The canary keeps its size whatever is suggested: the test looks
	 * for exactly CANARY_WIDTH x CANARY_HEIGHT pixels. */
}

static void
handle_toplevel_close(void *data, struct xdg_toplevel *toplevel)
{
}

static const struct xdg_toplevel_listener toplevel_listener = {
	.configure = handle_toplevel_configure,
	.close = handle_toplevel_close,
};

static void
handle_release(void *data, struct wl_buffer *buffer)
{
	struct slot *slot = data;

	slot->busy = false;
}

static const struct wl_buffer_listener buffer_listener = {
	.release = handle_release,
};

static void
handle_frame(void *data, struct wl_callback *callback, uint32_t time)
{
	struct canary *c = data;

	c->frame_done = true;
	c->frame = NULL;
	wl_callback_destroy(callback);
}

static const struct wl_callback_listener frame_listener = {
	.done = handle_frame,
};

/* Dispatch until *@p flag or an error; false on error or SIGTERM. */
static bool
wait_for(struct canary *c, bool *flag)
{
	struct pollfd pfd = { wl_display_get_fd(c->display), POLLIN, 0 };

	while (!*flag && !terminated) {
		while (wl_display_prepare_read(c->display) != 0) {
			if (wl_display_dispatch_pending(c->display) < 0)
				return false;
		}
		if (wl_display_flush(c->display) < 0 && errno != EAGAIN) {
			wl_display_cancel_read(c->display);
			return false;
		}
		if (poll(&pfd, 1, -1) < 0) {
			wl_display_cancel_read(c->display);
			if (errno == EINTR)
				continue;
			return false;
		}
		if (wl_display_read_events(c->display) < 0 ||
		    wl_display_dispatch_pending(c->display) < 0)
			return false;
	}
	return !terminated;
}

static bool
make_buffers(struct canary *c)
{
	size_t slot_size = (size_t)CANARY_WIDTH * CANARY_HEIGHT * 4;
	size_t size = slot_size * SLOTS;
	struct wl_shm_pool *pool;
	unsigned char *data;
	int fd, i;

	fd = memfd_create("adversarial-canary",
			  MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL) < 0) {
		perror("adversarial-canary: sealed memfd");
		return false;
	}
	data = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (data == MAP_FAILED) {
		perror("adversarial-canary: mmap");
		close(fd);
		return false;
	}
	c->data = data;
	c->data_size = size;
	pool = wl_shm_create_pool(c->shm, fd, (int32_t)size);
	close(fd);
	for (i = 0; i < SLOTS; i++) {
		c->slots[i].pixels = (uint32_t *)(data + slot_size * i);
		c->slots[i].buffer = wl_shm_pool_create_buffer(
			pool, (int32_t)(slot_size * i), CANARY_WIDTH,
			CANARY_HEIGHT, CANARY_WIDTH * 4,
			WL_SHM_FORMAT_XRGB8888);
		wl_buffer_add_listener(c->slots[i].buffer, &buffer_listener,
				       &c->slots[i]);
	}
	wl_shm_pool_destroy(pool);
	return true;
}

static void
draw(struct slot *slot)
{
	int32_t x, y;

	for (y = 0; y < CANARY_HEIGHT; y++) {
		for (x = 0; x < CANARY_WIDTH; x++)
			slot->pixels[y * CANARY_WIDTH + x] = canary_pixel(x, y);
	}
}

static struct slot *
free_slot(struct canary *c)
{
	int i;

	for (i = 0; i < SLOTS; i++) {
		if (!c->slots[i].busy)
			return &c->slots[i];
	}
	return NULL;
}

int
main(void)
{
	struct sigaction sa = { .sa_handler = handle_signal };
	struct canary c = { 0 };
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	struct wl_registry *registry;
	struct slot *slot;
	bool ok;
	int i;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	c.display = wl_display_connect(NULL);
	if (!c.display) {
		perror("adversarial-canary: connect");
		return 1;
	}
	registry = wl_display_get_registry(c.display);
	wl_registry_add_listener(registry, &registry_listener, &c);
	wl_display_roundtrip(c.display);
	if (!c.compositor || !c.shm || !c.wm_base) {
		fprintf(stderr, "adversarial-canary: missing globals\n");
		return 1;
	}
	c.surface = wl_compositor_create_surface(c.compositor);
	xdg_surface = xdg_wm_base_get_xdg_surface(c.wm_base, c.surface);
	xdg_surface_add_listener(xdg_surface, &xdg_surface_listener, &c);
	toplevel = xdg_surface_get_toplevel(xdg_surface);
	xdg_toplevel_add_listener(toplevel, &toplevel_listener, &c);
	xdg_toplevel_set_title(toplevel, "adversarial-canary");
	wl_surface_commit(c.surface);
	if (!wait_for(&c, &c.configured) || !make_buffers(&c))
		goto out;

	while (!terminated) {
		while (!(slot = free_slot(&c))) {
			/* Both held: any event may be the release. */
			if (wl_display_dispatch(c.display) < 0)
				goto out;
		}
		draw(slot);
		wl_surface_attach(c.surface, slot->buffer, 0, 0);
		wl_surface_damage(c.surface, 0, 0, CANARY_WIDTH, CANARY_HEIGHT);
		c.frame = wl_surface_frame(c.surface);
		wl_callback_add_listener(c.frame, &frame_listener, &c);
		c.frame_done = false;
		slot->busy = true;
		wl_surface_commit(c.surface);
		if (!wait_for(&c, &c.frame_done))
			break;
		if (c.frames++ == 0) {
			printf("ready\n");
			fflush(stdout);
		}
		if (report) {
			report = 0;
			printf("frames %lu\n", c.frames);
			fflush(stdout);
		}
	}

out:
	ok = terminated;
	printf("frames %lu\n", c.frames);
	fflush(stdout);
	if (c.frame)
		wl_callback_destroy(c.frame);
	for (i = 0; i < SLOTS; i++) {
		if (c.slots[i].buffer)
			wl_buffer_destroy(c.slots[i].buffer);
	}
	if (c.data)
		munmap(c.data, c.data_size);
	xdg_toplevel_destroy(toplevel);
	xdg_surface_destroy(xdg_surface);
	wl_surface_destroy(c.surface);
	xdg_wm_base_destroy(c.wm_base);
	wl_shm_destroy(c.shm);
	wl_compositor_destroy(c.compositor);
	wl_registry_destroy(registry);
	wl_display_disconnect(c.display);
	return ok ? 0 : 1;
}
