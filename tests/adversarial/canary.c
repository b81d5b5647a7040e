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
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <wayland-client.h>

#include "canary-pattern.h"
#include "demo-client.h"
#include "shm-file.h"

#define SLOTS 2

struct slot {
	struct wl_buffer *buffer;
	uint32_t *pixels;
	bool busy;
};

struct canary {
	struct demo_globals globals;
	struct demo_toplevel window;
	struct wl_callback *frame;
	void *data;
	size_t data_size;
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
	while (!*flag && !terminated) {
		if (demo_dispatch_once(c->globals.display, -1) !=
		    DEMO_DISPATCH_AGAIN)
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
	pool = wl_shm_create_pool(c->globals.shm, fd, (int32_t)size);
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
	struct wl_surface *surface;
	struct slot *slot;
	bool ok;
	int i;

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (demo_globals_connect(&c.globals, 1) < 0 && !c.globals.display) {
		perror("adversarial-canary: connect");
		return 1;
	}
	if (!c.globals.compositor || !c.globals.shm || !c.globals.wm_base) {
		fprintf(stderr, "adversarial-canary: missing globals\n");
		return 1;
	}
	/* The canary keeps its size whatever is suggested: the test looks
	 * for exactly CANARY_WIDTH x CANARY_HEIGHT pixels. */
	demo_toplevel_init(&c.window, &c.globals, "adversarial-canary", NULL,
			   NULL, NULL);
	surface = c.window.surface;
	wl_surface_commit(surface);
	if (!wait_for(&c, &c.window.configured) || !make_buffers(&c))
		goto out;

	while (!terminated) {
		while (!(slot = free_slot(&c))) {
			/* Both held: any event may be the release. */
			if (wl_display_dispatch(c.globals.display) < 0)
				goto out;
		}
		draw(slot);
		wl_surface_attach(surface, slot->buffer, 0, 0);
		wl_surface_damage(surface, 0, 0, CANARY_WIDTH, CANARY_HEIGHT);
		c.frame = wl_surface_frame(surface);
		wl_callback_add_listener(c.frame, &frame_listener, &c);
		c.frame_done = false;
		slot->busy = true;
		wl_surface_commit(surface);
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
	demo_toplevel_finish(&c.window);
	demo_globals_finish(&c.globals);
	return ok ? 0 : 1;
}
