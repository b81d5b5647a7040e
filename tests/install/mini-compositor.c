/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * A minimal compositor built outside the source tree against the installed
 * sealshm-server pkg-config file only, as a compositor project would.
 *
 *   mini-compositor FRAMES CLIENT [ARGS...]
 *
 * Starts CLIENT on a socketpair (WAYLAND_SOCKET), offers wl_compositor and
 * the sealshm wl_shm, checks every pixel of each committed buffer against
 * pattern.h through the sealshm buffer API and pixman, and exits 0 when
 * exactly FRAMES frames were verified, the client exited 0, nothing was
 * rejected and the library left SIGBUS alone.
 */

#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pixman.h>
#include <wayland-server.h>

#include <sealshm/server.h>

#include "pattern.h"

struct mini {
	struct wl_display *display;
	struct sealshm *shm;
	int commits;
	int verified;
	int failures;
	struct wl_listener client_destroy;
};

struct surface {
	struct mini *mini;
	struct wl_resource *pending;
	struct wl_listener pending_destroy;
	struct wl_list frame_callbacks;
};

static void fail(struct mini *mini, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
fail(struct mini *mini, const char *fmt, ...)
{
	va_list args;

	fprintf(stderr, "mini-compositor: frame %d: ", mini->commits);
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fputc('\n', stderr);
	mini->failures++;
}

static bool
check_pixman_image(struct mini *mini, struct sealshm_buffer *buffer, void *data,
		   int frame)
{
	int32_t width = sealshm_buffer_get_width(buffer);
	int32_t height = sealshm_buffer_get_height(buffer);
	pixman_image_t *src = sealshm_buffer_get_pixman_image(buffer);
	pixman_image_t *dst;
	uint32_t *row, got;
	bool ok = true;

	if (!src) {
		fail(mini, "no pixman image for an XRGB8888 buffer");
		return false;
	}
	if (pixman_image_get_data(src) != data ||
	    pixman_image_get_width(src) != width ||
	    pixman_image_get_height(src) != height ||
	    pixman_image_get_stride(src) != sealshm_buffer_get_stride(buffer)) {
		fail(mini, "the pixman image does not describe the buffer");
		return false;
	}

	/* Composite as a renderer would, then look at the far corner: the
	 * last byte of the buffer, the one a shrunk file would lose first. */
	dst = pixman_image_create_bits(PIXMAN_x8r8g8b8, width, height, NULL, 0);
	if (!dst) {
		fail(mini, "out of memory");
		return false;
	}
	pixman_image_composite32(PIXMAN_OP_SRC, src, NULL, dst, 0, 0, 0, 0, 0,
				 0, width, height);
	row = pixman_image_get_data(dst) +
	      (height - 1) * (pixman_image_get_stride(dst) / 4);
	got = row[width - 1];
	if ((got & 0xffffff) !=
	    (pattern_pixel(frame, width - 1, height - 1) & 0xffffff)) {
		fail(mini, "composited corner pixel is %06x, expected %06x",
		     got & 0xffffff,
		     pattern_pixel(frame, width - 1, height - 1) & 0xffffff);
		ok = false;
	}
	pixman_image_unref(dst);
	return ok;
}

static void
verify_buffer(struct mini *mini, struct wl_resource *resource)
{
	struct sealshm_buffer *buffer = sealshm_buffer_from_resource(resource);
	int frame = mini->commits;
	int32_t width, height, stride, x, y;
	uint8_t *data;
	int wrong = 0;

	if (!buffer) {
		fail(mini, "the committed wl_buffer is not a sealshm buffer");
		return;
	}
	width = sealshm_buffer_get_width(buffer);
	height = sealshm_buffer_get_height(buffer);
	stride = sealshm_buffer_get_stride(buffer);
	if (width != pattern_width(frame) || height != pattern_height(frame) ||
	    sealshm_buffer_get_format(buffer) != WL_SHM_FORMAT_XRGB8888 ||
	    stride < width * 4) {
		fail(mini,
		     "buffer is %dx%d stride %d format %#x, expected "
		     "%dx%d XRGB8888",
		     width, height, stride, sealshm_buffer_get_format(buffer),
		     pattern_width(frame), pattern_height(frame));
		return;
	}
	/* The client helper seals only against shrinking, so the pool is
	 * mapped writable and its pixels can change. */
	if (sealshm_buffer_is_read_only(buffer) ||
	    sealshm_buffer_is_immutable(buffer)) {
		fail(mini, "a buffer of the client helper is read-only");
		return;
	}

	data = sealshm_buffer_begin_access(buffer);
	if (!data) {
		fail(mini, "begin_access returned NULL");
		return;
	}
	for (y = 0; y < height; y++) {
		const uint32_t *row = (const uint32_t *)(data + y * stride);

		for (x = 0; x < width; x++) {
			uint32_t want = pattern_pixel(frame, x, y);

			if ((row[x] & 0xffffff) == (want & 0xffffff))
				continue;
			if (wrong++ == 0)
				fail(mini, "pixel (%d, %d) is %06x, not %06x",
				     x, y, row[x] & 0xffffff, want & 0xffffff);
		}
	}
	if (wrong == 0 && check_pixman_image(mini, buffer, data, frame))
		mini->verified++;
	sealshm_buffer_end_access(buffer, false);
}

static void
handle_pending_destroy(struct wl_listener *listener, void *data)
{
	struct surface *surface =
		wl_container_of(listener, surface, pending_destroy);

	surface->pending = NULL;
	wl_list_remove(&surface->pending_destroy.link);
	wl_list_init(&surface->pending_destroy.link);
}

static void
set_pending(struct surface *surface, struct wl_resource *buffer)
{
	wl_list_remove(&surface->pending_destroy.link);
	wl_list_init(&surface->pending_destroy.link);
	surface->pending = buffer;
	if (buffer)
		wl_resource_add_destroy_listener(buffer,
						 &surface->pending_destroy);
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
	set_pending(wl_resource_get_user_data(resource), buffer);
}

static void
surface_damage(struct wl_client *client, struct wl_resource *resource,
	       int32_t x, int32_t y, int32_t width, int32_t height)
{
}

static void
callback_resource_destroy(struct wl_resource *resource)
{
	wl_list_remove(wl_resource_get_link(resource));
}

static void
surface_frame(struct wl_client *client, struct wl_resource *resource,
	      uint32_t id)
{
	struct surface *surface = wl_resource_get_user_data(resource);
	struct wl_resource *callback;

	callback = wl_resource_create(client, &wl_callback_interface, 1, id);
	if (!callback) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(callback, NULL, NULL,
				       callback_resource_destroy);
	wl_list_insert(surface->frame_callbacks.prev,
		       wl_resource_get_link(callback));
}

static void
surface_set_region(struct wl_client *client, struct wl_resource *resource,
		   struct wl_resource *region)
{
}

static void
surface_commit(struct wl_client *client, struct wl_resource *resource)
{
	struct surface *surface = wl_resource_get_user_data(resource);
	struct wl_resource *callback, *tmp;

	if (surface->pending) {
		verify_buffer(surface->mini, surface->pending);
		surface->mini->commits++;
		wl_buffer_send_release(surface->pending);
		set_pending(surface, NULL);
	}
	wl_resource_for_each_safe (callback, tmp, &surface->frame_callbacks) {
		wl_callback_send_done(callback,
				      (uint32_t)surface->mini->commits);
		wl_resource_destroy(callback);
	}
}

static void
surface_set_int(struct wl_client *client, struct wl_resource *resource,
		int32_t value)
{
}

static void
surface_offset(struct wl_client *client, struct wl_resource *resource,
	       int32_t x, int32_t y)
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
	.set_buffer_transform = surface_set_int,
	.set_buffer_scale = surface_set_int,
	.damage_buffer = surface_damage,
	.offset = surface_offset,
};

static void
surface_resource_destroy(struct wl_resource *resource)
{
	struct surface *surface = wl_resource_get_user_data(resource);
	struct wl_resource *callback, *tmp;

	wl_resource_for_each_safe (callback, tmp, &surface->frame_callbacks)
		wl_resource_destroy(callback);
	wl_list_remove(&surface->pending_destroy.link);
	free(surface);
}

static void
region_rect(struct wl_client *client, struct wl_resource *resource, int32_t x,
	    int32_t y, int32_t width, int32_t height)
{
}

static const struct wl_region_interface region_impl = {
	.destroy = resource_destroy,
	.add = region_rect,
	.subtract = region_rect,
};

static void
compositor_create_surface(struct wl_client *client,
			  struct wl_resource *resource, uint32_t id)
{
	struct surface *surface = calloc(1, sizeof(*surface));
	struct wl_resource *surface_resource;

	if (!surface) {
		wl_client_post_no_memory(client);
		return;
	}
	surface_resource =
		wl_resource_create(client, &wl_surface_interface,
				   wl_resource_get_version(resource), id);
	if (!surface_resource) {
		free(surface);
		wl_client_post_no_memory(client);
		return;
	}
	surface->mini = wl_resource_get_user_data(resource);
	wl_list_init(&surface->frame_callbacks);
	surface->pending_destroy.notify = handle_pending_destroy;
	wl_list_init(&surface->pending_destroy.link);
	wl_resource_set_implementation(surface_resource, &surface_impl, surface,
				       surface_resource_destroy);
}

static void
compositor_create_region(struct wl_client *client, struct wl_resource *resource,
			 uint32_t id)
{
	struct wl_resource *region;

	region = wl_resource_create(client, &wl_region_interface, 1, id);
	if (!region) {
		wl_client_post_no_memory(client);
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
				      (int)version, id);
	if (!resource) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &compositor_impl, data, NULL);
}

static void
handle_client_destroy(struct wl_listener *listener, void *data)
{
	struct mini *mini = wl_container_of(listener, mini, client_destroy);

	wl_display_terminate(mini->display);
}

/* WAYLAND_SOCKET instead of a listening socket: no socket name to race
 * for, and the client's exit ends the event loop. */
static pid_t
spawn_client(struct mini *mini, char **argv)
{
	int sv[2];
	pid_t pid;
	struct wl_client *client;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		char fd_str[16];
		int fd = dup(sv[1]); /* without FD_CLOEXEC */

		if (fd < 0)
			_exit(126);
		snprintf(fd_str, sizeof(fd_str), "%d", fd);
		setenv("WAYLAND_SOCKET", fd_str, 1);
		execvp(argv[0], argv);
		fprintf(stderr, "mini-compositor: cannot run %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	close(sv[1]);
	client = wl_client_create(mini->display, sv[0]);
	if (!client) {
		close(sv[0]);
		return pid;
	}
	mini->client_destroy.notify = handle_client_destroy;
	wl_client_add_destroy_listener(client, &mini->client_destroy);
	return pid;
}

int
main(int argc, char *argv[])
{
	struct mini mini = { 0 };
	struct sealshm_stats stats;
	struct sigaction sigbus;
	int frames, status = 0, ret = EXIT_FAILURE;
	pid_t pid;

	if (argc < 3 || (frames = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: mini-compositor FRAMES CLIENT "
				"[ARGS...]\n");
		return EXIT_FAILURE;
	}

	mini.display = wl_display_create();
	if (!mini.display)
		return EXIT_FAILURE;
	mini.shm = sealshm_create(mini.display, NULL);
	if (!mini.shm) {
		fprintf(stderr, "mini-compositor: sealshm_create: %s\n",
			strerror(errno));
		goto out_display;
	}
	if (!wl_global_create(mini.display, &wl_compositor_interface, 4, &mini,
			      bind_compositor))
		goto out_shm;

	pid = spawn_client(&mini, argv + 2);
	if (pid < 0) {
		perror("mini-compositor: spawning the client");
		goto out_shm;
	}
	if (mini.client_destroy.notify)
		wl_display_run(mini.display);
	if (waitpid(pid, &status, 0) != pid) {
		perror("mini-compositor: waitpid");
		goto out_shm;
	}

	sealshm_get_stats(mini.shm, &stats, sizeof(stats));
	printf("mini-compositor: %d of %d frames verified; pools accepted "
	       "%llu, rejected %llu; buffers created %llu\n",
	       mini.verified, frames, (unsigned long long)stats.pools_accepted,
	       (unsigned long long)stats.pools_rejected,
	       (unsigned long long)stats.buffers_created);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "mini-compositor: client status %#x\n", status);
	else if (mini.failures > 0 || mini.verified != frames ||
		 mini.commits != frames)
		fprintf(stderr, "mini-compositor: %d commits, %d failures\n",
			mini.commits, mini.failures);
	else if (sigaction(SIGBUS, NULL, &sigbus) < 0 ||
		 (sigbus.sa_flags & SA_SIGINFO) || sigbus.sa_handler != SIG_DFL)
		fprintf(stderr, "mini-compositor: SIGBUS has a handler; "
				"sealshm must never need or install one\n");
	else if (stats.pools_accepted == 0 || stats.pools_rejected != 0 ||
		 stats.buffers_rejected != 0 || stats.buffers_created < 1 ||
		 stats.clients_disconnected != 0)
		fprintf(stderr, "mini-compositor: statistics do not match a "
				"well-behaved client\n");
	else
		ret = EXIT_SUCCESS;

out_shm:
	wl_display_destroy_clients(mini.display);
	sealshm_destroy(mini.shm);
out_display:
	wl_display_destroy(mini.display);
	return ret;
}
