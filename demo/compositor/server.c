/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <wayland-server-core.h>

#include "internal.h"

#define DEFAULT_WIDTH 1280
#define DEFAULT_HEIGHT 720

void
comp_post_error(struct comp_server *server, struct wl_resource *resource,
		uint32_t code, const char *fmt, ...)
{
	char message[512];
	va_list args;

	va_start(args, fmt);
	vsnprintf(message, sizeof(message), fmt, args);
	va_end(args);
	server->stats.protocol_errors++;
	if (server->options.verbose)
		fprintf(stderr, "sealshm-compositor: client bug: %s\n",
			message);
	wl_resource_post_error(resource, code, "%s", message);
}

static void __attribute__((format(printf, 2, 0)))
handle_shm_log(enum sealshm_log_level level, const char *fmt, va_list args,
	       void *user_data)
{
	struct comp_server *server = user_data;

	if (level > SEALSHM_LOG_ERROR && !server->options.verbose)
		return;
	fputs("sealshm-compositor: ", stderr);
	vfprintf(stderr, fmt, args);
	fputc('\n', stderr);
}

static void
handle_client_created(struct wl_listener *listener, void *data)
{
	struct comp_server *server =
		wl_container_of(listener, server, client_created);

	server->stats.clients++;
}

static int
handle_screenshot_timer(void *data)
{
	struct comp_server *server = data;
	char path[4096];

	snprintf(path, sizeof(path), "%s/frame-%04u.png",
		 server->options.screenshot_dir, ++server->screenshot_seq);
	comp_server_write_screenshot(server, path);
	wl_event_source_timer_update(
		server->screenshot_timer,
		(int)(server->options.screenshot_interval * 1000));
	return 0;
}

static int
create_backend(struct comp_server *server)
{
	enum comp_backend_kind kind = server->options.backend;

	if (kind == COMP_BACKEND_AUTO)
		kind = getenv("WAYLAND_DISPLAY") ? COMP_BACKEND_NESTED
						 : COMP_BACKEND_HEADLESS;
	if (kind == COMP_BACKEND_NESTED) {
		server->backend_name = "nested";
		server->backend = comp_backend_nested_create(server);
	} else {
		server->backend_name = "headless";
		server->backend = comp_backend_headless_create(server);
	}
	return server->backend ? 0 : -1;
}

static int
create_shm(struct comp_server *server)
{
	struct sealshm_options shm_options = {
		.size = sizeof(shm_options),
		.policy = server->options.policy,
		.log_handler = handle_shm_log,
		.log_user_data = server,
	};

	server->shm = sealshm_create(server->display, &shm_options);
	if (server->shm)
		return 0;
	if (errno == EINVAL || errno == ENOTSUP) {
		fprintf(stderr,
			"sealshm-compositor: the policy '%s' is not "
			"implemented by this libsealshm-server; use "
			"--policy strict\n",
			sealshm_policy_name(server->options.policy));
		errno = ENOTSUP;
	} else {
		fprintf(stderr,
			"sealshm-compositor: cannot create the "
			"wl_shm global: %s\n",
			strerror(errno));
	}
	return -1;
}

struct comp_server *
comp_server_create(const struct comp_options *options)
{
	struct comp_server *server = calloc(1, sizeof(*server));
	int saved_errno;

	if (!server)
		return NULL;
	server->options = *options;
	if (server->options.width <= 0 || server->options.height <= 0) {
		server->options.width = DEFAULT_WIDTH;
		server->options.height = DEFAULT_HEIGHT;
	}
	wl_list_init(&server->surfaces);
	wl_list_init(&server->toplevels);
	wl_list_init(&server->popups);
	wl_list_init(&server->wm_bases);
	wl_list_init(&server->presented_callbacks);

	server->display = wl_display_create();
	if (!server->display)
		goto err;
	server->loop = wl_display_get_event_loop(server->display);
	server->client_created.notify = handle_client_created;
	wl_display_add_client_created_listener(server->display,
					       &server->client_created);

	if (comp_render_init(server) < 0 || create_shm(server) < 0 ||
	    create_backend(server) < 0)
		goto err;
	if (comp_surface_init_globals(server) < 0 ||
	    comp_subsurface_init_global(server) < 0 ||
	    comp_xdg_shell_init(server) < 0 || comp_output_init(server) < 0 ||
	    comp_seat_init(server) < 0) {
		fprintf(stderr,
			"sealshm-compositor: cannot create the "
			"globals: %s\n",
			strerror(errno));
		goto err;
	}

	if (server->options.screenshot_dir) {
		if (mkdir(server->options.screenshot_dir, 0755) < 0 &&
		    errno != EEXIST) {
			fprintf(stderr,
				"sealshm-compositor: cannot create "
				"%s: %s\n",
				server->options.screenshot_dir,
				strerror(errno));
			goto err;
		}
		if (server->options.screenshot_interval <= 0)
			server->options.screenshot_interval = 1;
		server->screenshot_timer = wl_event_loop_add_timer(
			server->loop, handle_screenshot_timer, server);
		if (!server->screenshot_timer)
			goto err;
		wl_event_source_timer_update(
			server->screenshot_timer,
			(int)(server->options.screenshot_interval * 1000));
	}

	if (server->options.no_socket)
		return server;
	if (server->options.socket) {
		if (wl_display_add_socket(server->display,
					  server->options.socket) < 0) {
			fprintf(stderr,
				"sealshm-compositor: cannot listen on "
				"$XDG_RUNTIME_DIR/%s (is XDG_RUNTIME_DIR set, "
				"and the name free?)\n",
				server->options.socket);
			goto err;
		}
		server->socket = server->options.socket;
	} else {
		server->socket = wl_display_add_socket_auto(server->display);
		if (!server->socket) {
			fprintf(stderr,
				"sealshm-compositor: cannot listen on "
				"a wayland-N socket in $XDG_RUNTIME_DIR (is "
				"it set?)\n");
			goto err;
		}
	}
	return server;
err:
	saved_errno = errno;
	comp_server_destroy(server);
	errno = saved_errno;
	return NULL;
}

void
comp_server_destroy(struct comp_server *server)
{
	if (!server)
		return;
	if (server->display)
		wl_display_destroy_clients(server->display);
	if (server->screenshot_timer)
		wl_event_source_remove(server->screenshot_timer);
	comp_xdg_shell_fini(server);
	if (server->backend)
		server->backend->impl->destroy(server->backend);
	sealshm_destroy(server->shm);
	if (server->display) {
		wl_list_remove(&server->client_created.link);
		wl_display_destroy(server->display);
	}
	comp_keyboard_fini(server);
	comp_render_fini(server);
	free(server);
}

struct wl_display *
comp_server_get_display(struct comp_server *server)
{
	return server->display;
}

struct wl_event_loop *
comp_server_get_event_loop(struct comp_server *server)
{
	return server->loop;
}

const char *
comp_server_get_socket(struct comp_server *server)
{
	return server->socket;
}

void
comp_server_run(struct comp_server *server)
{
	wl_display_run(server->display);
}

void
comp_server_terminate(struct comp_server *server)
{
	wl_display_terminate(server->display);
}

int
comp_server_write_screenshot(struct comp_server *server, const char *path)
{
	return comp_png_write(server->output, path);
}

int
comp_server_write_stats(struct comp_server *server, const char *path)
{
	struct comp_stats *c = &server->stats;
	struct sealshm_stats shm;
	const char *sep = "";
	FILE *f;
	int i;

	sealshm_get_stats(server->shm, &shm, sizeof(shm));
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "sealshm-compositor: cannot write %s: %s\n",
			path, strerror(errno));
		return -1;
	}
	fprintf(f, "{\n");
	fprintf(f, "  \"policy\": \"%s\",\n",
		sealshm_policy_name(server->options.policy));
	fprintf(f, "  \"backend\": \"%s\",\n", server->backend_name);
	fprintf(f, "  \"pools_accepted\": %llu,\n",
		(unsigned long long)shm.pools_accepted);
	fprintf(f,
		"  \"pools_accepted_by_tier\": {\"sealed\": %llu, "
		"\"sealed_by_server\": %llu, \"copied\": %llu},\n",
		(unsigned long long)shm.pools_accepted_by_tier[0],
		(unsigned long long)shm.pools_accepted_by_tier[1],
		(unsigned long long)shm.pools_accepted_by_tier[2]);
	fprintf(f, "  \"pools_rejected\": {");
	for (i = 0; i < SEALSHM_REJECT_REASON_COUNT; i++) {
		fprintf(f, "%s\"%s\": %llu", sep, sealshm_reject_reason_name(i),
			(unsigned long long)shm.pools_rejected_by_reason[i]);
		sep = ", ";
	}
	fprintf(f, "},\n");
	fprintf(f, "  \"pools_rejected_total\": %llu,\n",
		(unsigned long long)shm.pools_rejected);
	fprintf(f, "  \"buffers_created\": %llu,\n",
		(unsigned long long)shm.buffers_created);
	fprintf(f, "  \"buffers_rejected\": %llu,\n",
		(unsigned long long)shm.buffers_rejected);
	fprintf(f, "  \"resizes_accepted\": %llu,\n",
		(unsigned long long)shm.resizes_accepted);
	fprintf(f, "  \"resizes_rejected\": %llu,\n",
		(unsigned long long)shm.resizes_rejected);
	fprintf(f, "  \"commits\": %llu,\n", (unsigned long long)c->commits);
	fprintf(f, "  \"frames\": %llu,\n", (unsigned long long)c->frames);
	fprintf(f, "  \"damage_pixels\": %llu,\n",
		(unsigned long long)c->damage_pixels);
	fprintf(f, "  \"pixels_copied\": %llu,\n",
		(unsigned long long)c->pixels_copied);
	fprintf(f, "  \"immutable_conversions\": %llu,\n",
		(unsigned long long)c->immutable_conversions);
	fprintf(f, "  \"immutable_cache_hits\": %llu,\n",
		(unsigned long long)c->immutable_cache_hits);
	fprintf(f, "  \"protocol_errors\": %llu,\n",
		(unsigned long long)(c->protocol_errors +
				     shm.clients_disconnected));
	fprintf(f, "  \"clients\": %llu\n", (unsigned long long)c->clients);
	fprintf(f, "}\n");
	if (fclose(f) != 0) {
		fprintf(stderr, "sealshm-compositor: cannot write %s: %s\n",
			path, strerror(errno));
		return -1;
	}
	return 0;
}
