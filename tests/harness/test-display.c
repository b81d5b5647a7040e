/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <wayland-server-core.h>
#include <wayland-server-protocol.h>

#include "test-display.h"
#include "test-runner.h"

static int
handle_sigchld(int signo, void *data)
{
	struct test_display *d = data;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		d->clients_running--;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			continue;
		d->clients_failed++;
		if (WIFEXITED(status))
			fprintf(stderr, "client %d exited with status %d\n",
				(int)pid, WEXITSTATUS(status));
		else if (WIFSIGNALED(status))
			fprintf(stderr, "client %d killed by signal %d\n",
				(int)pid, WTERMSIG(status));
	}
	return 0;
}

struct test_display *
test_display_create(void)
{
	struct test_display *d = calloc(1, sizeof(*d));
	sigset_t mask;

	check(d);
	snprintf(d->runtime_dir, sizeof(d->runtime_dir),
		 "/tmp/sealshm-test-XXXXXX");
	check(mkdtemp(d->runtime_dir));
	check(setenv("XDG_RUNTIME_DIR", d->runtime_dir, 1) == 0);

	d->display = wl_display_create();
	check(d->display);
	d->loop = wl_display_get_event_loop(d->display);
	d->socket = wl_display_add_socket_auto(d->display);
	check(d->socket);
	check(setenv("WAYLAND_DISPLAY", d->socket, 1) == 0);

	/* The event loop's signalfd only sees SIGCHLD when it is blocked. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	check(sigprocmask(SIG_BLOCK, &mask, NULL) == 0);
	d->sigchld = wl_event_loop_add_signal(d->loop, SIGCHLD,
					      handle_sigchld, d);
	check(d->sigchld);
	return d;
}

void
test_display_destroy(struct test_display *d)
{
	char path[128];
	sigset_t mask;

	wl_event_source_remove(d->sigchld);
	wl_display_destroy_clients(d->display);
	wl_display_destroy(d->display);

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_UNBLOCK, &mask, NULL);

	/* The socket and its lock file are gone with the display. */
	snprintf(path, sizeof(path), "%s", d->runtime_dir);
	if (rmdir(path) < 0)
		fprintf(stderr, "rmdir %s: %s\n", path, strerror(errno));
	free(d);
}

pid_t
test_display_spawn(struct test_display *d, void (*client_main)(void *data),
		   void *data)
{
	sigset_t mask;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	check(pid >= 0);
	if (pid == 0) {
		sigemptyset(&mask);
		sigaddset(&mask, SIGCHLD);
		sigprocmask(SIG_UNBLOCK, &mask, NULL);
		client_main(data);
		exit(EXIT_SUCCESS);
	}
	d->clients_running++;
	return pid;
}

int
test_display_run(struct test_display *d)
{
	while (d->clients_running > 0) {
		wl_display_flush_clients(d->display);
		if (wl_event_loop_dispatch(d->loop, -1) < 0 && errno != EINTR)
			check(!"wl_event_loop_dispatch failed");
	}
	wl_display_flush_clients(d->display);
	return d->clients_failed;
}

void
test_display_dispatch(struct test_display *d, int timeout_ms)
{
	wl_display_flush_clients(d->display);
	wl_event_loop_dispatch(d->loop, timeout_ms);
	wl_display_flush_clients(d->display);
}

/* The minimal wl_compositor. */

struct test_surface {
	struct test_display *d;
	struct wl_resource *resource;
	struct wl_resource *pending_buffer;
	struct wl_listener pending_buffer_destroy;
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

	wl_list_remove(&s->pending_buffer_destroy.link);
	s->pending_buffer = NULL;
}

static void
surface_attach(struct wl_client *client, struct wl_resource *resource,
	       struct wl_resource *buffer, int32_t x, int32_t y)
{
	struct test_surface *s = wl_resource_get_user_data(resource);

	surface_clear_pending(s);
	s->pending_buffer = buffer;
	if (buffer) {
		s->pending_buffer_destroy.notify = handle_pending_buffer_destroy;
		wl_resource_add_destroy_listener(buffer,
						 &s->pending_buffer_destroy);
	}
}

static void
surface_damage(struct wl_client *client, struct wl_resource *resource,
	       int32_t x, int32_t y, int32_t width, int32_t height)
{
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
	struct wl_resource *buffer = s->pending_buffer;
	struct wl_resource *cb, *tmp;

	s->d->commits++;
	if (s->d->commit)
		s->d->commit(resource, buffer, s->d->commit_data);
	/* The callback may have destroyed the client (protocol error). */
	if (s->pending_buffer == buffer && buffer) {
		surface_clear_pending(s);
		if (!s->d->hold_buffers)
			wl_buffer_send_release(buffer);
	}
	wl_resource_for_each_safe(cb, tmp, &s->frames) {
		wl_callback_send_done(cb, 0);
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
	s->d = wl_resource_get_user_data(resource);
	wl_list_init(&s->frames);
	s->resource = wl_resource_create(client, &wl_surface_interface,
					 wl_resource_get_version(resource), id);
	if (!s->resource) {
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

void
test_display_add_compositor(struct test_display *d,
			    void (*commit)(struct wl_resource *surface,
					   struct wl_resource *buffer,
					   void *data),
			    void *data)
{
	d->commit = commit;
	d->commit_data = data;
	d->compositor_global = wl_global_create(d->display,
						&wl_compositor_interface, 4,
						d, bind_compositor);
	check(d->compositor_global);
}
