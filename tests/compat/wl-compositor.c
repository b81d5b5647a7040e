/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * compat-compositor: a small compositor written only against
 * libwayland-server's public API, its wl_shm buffer API included, the way
 * compositors that never heard of sealshm are.  Built twice: against
 * libwayland-server alone, and with libsealshm-wl-shm linked first so that
 * its wl_shm functions are the ones called.
 *
 *   compat-compositor [--socket NAME] [--exit-after SECONDS]
 *                     [--report FILE] [--hash-frames N] [-- CLIENT ARGS...]
 *
 * wl_compositor 4, xdg_wm_base 1 (toplevels only) and wl_output; wl_shm
 * with RGB565 added after wl_display_init_shm, as wlroots does.  Every
 * commit reads every byte of its shm buffer between begin and end access
 * and hashes the visible pixels.  Like wlroots 0.15, it takes a pool
 * reference and the data pointer at the commit, and one frame later (at
 * the next 16 ms tick) reads through that pointer again, without
 * begin_access when the wl_buffer is gone by then, and drops the reference;
 * the tick then releases the buffer and sends the frame callbacks.  Their
 * time counts the surface's frames, 16 ms each, so that clients animating
 * by time draw the same frames on every run.
 *
 * With a CLIENT it exits when the client does, once the client's
 * connections are gone: status 0 when the client exited 0 (or was stopped
 * by --exit-after), 1 otherwise.  On exit it prints whether a SIGBUS
 * handler is installed in this process and the fd counts, and the report
 * (JSON) says what it saw.
 */

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <wayland-server.h>

#include "xdg-shell-server-protocol.h"

#define TICK_MS 16
#define MAX_FORMATS 64
#define MAX_ERRORS 32
#define FNV_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME UINT64_C(0x100000001b3)

struct surface_stats {
	uint64_t commits, frames, hash, hashed, last_checksum;
	int32_t width, height;
};

struct error_record {
	char interface[48];
	uint32_t code;
	char message[160];
};

struct server {
	struct wl_display *display;
	struct wl_event_loop *loop;
	struct wl_event_source *tick, *end_timer;
	bool tick_armed, ending, stopped;
	struct wl_list surfaces; /* struct surface.link */
	struct wl_list held;	 /* struct held.link */
	struct wl_listener client_created;
	int clients, clients_total;
	uint64_t hash_frames; /* 0: all */

	/* what the report says */
	struct surface_stats *stats;
	size_t stats_len, stats_cap;
	uint64_t commits, buffer_commits, callbacks, releases, rereads;
	uint64_t reread_mismatches;
	struct wl_client *format_client; /* whose wl_shm formats we list */
	bool formats_done;
	uint32_t formats[MAX_FORMATS];
	int formats_len;
	struct error_record errors[MAX_ERRORS];
	uint64_t errors_len;

	pid_t child; /* running: > 0 */
	bool spawned;
	int child_status;
};

struct client_watch {
	struct wl_listener destroy;
	struct server *server;
};

struct surface {
	struct server *server;
	struct wl_resource *resource, *xdg_surface, *toplevel;
	struct wl_list link;
	size_t stats; /* index into server.stats */
	struct wl_resource *pending;
	struct wl_listener pending_destroy;
	bool attached, configure_sent, acked;
	struct wl_list pending_frames, frames; /* wl_resource links */
	struct wl_resource *current;	       /* presented, not yet released */
	struct wl_listener current_destroy;
};

/* A pool reference kept from a commit until the next tick. */
struct held {
	struct wl_list link;
	struct wl_shm_pool *pool;
	const unsigned char *data;
	int32_t width, height, stride;
	uint32_t format;
	uint64_t checksum;
	struct wl_resource *buffer; /* NULL once destroyed */
	struct wl_listener buffer_destroy;
};

static int
bytes_per_pixel(uint32_t format)
{
	switch (format) {
	case WL_SHM_FORMAT_ARGB8888:
	case WL_SHM_FORMAT_XRGB8888:
		return 4;
	case WL_SHM_FORMAT_RGB565:
		return 2;
	default:
		return 0; /* unknown: hash whole rows */
	}
}

/* Read every byte of stride * height at @p data; hash the visible ones. */
static uint64_t
read_pixels(const unsigned char *data, int32_t width, int32_t height,
	    int32_t stride, uint32_t format)
{
	int64_t visible = (int64_t)width * bytes_per_pixel(format);
	volatile unsigned char padding = 0;
	uint64_t hash = FNV_OFFSET;
	int32_t x, y;

	if (visible <= 0 || visible > stride)
		visible = stride;
	for (y = 0; y < height; y++) {
		const unsigned char *row = data + (size_t)y * (size_t)stride;

		for (x = 0; x < stride; x++) {
			if (x < visible)
				hash = (hash ^ row[x]) * FNV_PRIME;
			else
				padding ^= row[x];
		}
	}
	return hash;
}

static void
schedule_tick(struct server *server)
{
	if (server->tick_armed)
		return;
	server->tick_armed = true;
	wl_event_source_timer_update(server->tick, TICK_MS);
}

static void
handle_held_buffer_destroy(struct wl_listener *listener, void *data)
{
	struct held *h = wl_container_of(listener, h, buffer_destroy);

	h->buffer = NULL;
	wl_list_remove(&h->buffer_destroy.link);
	wl_list_init(&h->buffer_destroy.link);
}

/* One frame later: read through the saved pointer, drop the reference. */
static void
held_finish(struct server *server, struct held *h)
{
	struct wl_shm_buffer *shm =
		h->buffer ? wl_shm_buffer_get(h->buffer) : NULL;
	uint64_t checksum;

	if (shm)
		wl_shm_buffer_begin_access(shm);
	checksum =
		read_pixels(h->data, h->width, h->height, h->stride, h->format);
	if (shm)
		wl_shm_buffer_end_access(shm);
	server->rereads++;
	if (checksum != h->checksum)
		server->reread_mismatches++;
	wl_shm_pool_unref(h->pool);
	wl_list_remove(&h->buffer_destroy.link);
	wl_list_remove(&h->link);
	free(h);
}

static void
release_current(struct surface *s)
{
	if (!s->current)
		return;
	wl_buffer_send_release(s->current);
	s->server->releases++;
	s->current = NULL;
	wl_list_remove(&s->current_destroy.link);
	wl_list_init(&s->current_destroy.link);
}

static int
handle_tick(void *data)
{
	struct server *server = data;
	struct surface *s;
	struct held *h, *tmp;
	struct wl_resource *cb, *next;

	server->tick_armed = false;
	wl_list_for_each_safe (h, tmp, &server->held, link)
		held_finish(server, h);
	wl_list_for_each (s, &server->surfaces, link) {
		struct surface_stats *st = &server->stats[s->stats];

		release_current(s);
		wl_resource_for_each_safe (cb, next, &s->frames) {
			wl_callback_send_done(cb,
					      (uint32_t)(st->frames * TICK_MS));
			wl_resource_destroy(cb);
			server->callbacks++;
		}
	}
	return 0;
}

/* ---- wl_surface ---- */

static void
handle_pending_destroy(struct wl_listener *listener, void *data)
{
	struct surface *s = wl_container_of(listener, s, pending_destroy);

	s->pending = NULL;
	wl_list_remove(&s->pending_destroy.link);
	wl_list_init(&s->pending_destroy.link);
}

static void
handle_current_destroy(struct wl_listener *listener, void *data)
{
	struct surface *s = wl_container_of(listener, s, current_destroy);

	s->current = NULL;
	wl_list_remove(&s->current_destroy.link);
	wl_list_init(&s->current_destroy.link);
}

static void
surface_attach(struct wl_client *client, struct wl_resource *resource,
	       struct wl_resource *buffer, int32_t x, int32_t y)
{
	struct surface *s = wl_resource_get_user_data(resource);

	wl_list_remove(&s->pending_destroy.link);
	wl_list_init(&s->pending_destroy.link);
	s->pending = buffer;
	s->attached = true;
	if (buffer)
		wl_resource_add_destroy_listener(buffer, &s->pending_destroy);
}

static void
surface_damage(struct wl_client *client, struct wl_resource *resource,
	       int32_t x, int32_t y, int32_t width, int32_t height)
{
	/* Every commit reads the whole buffer: damage changes nothing. */
}

static void
unlink_resource(struct wl_resource *resource)
{
	wl_list_remove(wl_resource_get_link(resource));
}

static void
surface_frame(struct wl_client *client, struct wl_resource *resource,
	      uint32_t id)
{
	struct surface *s = wl_resource_get_user_data(resource);
	struct wl_resource *cb =
		wl_resource_create(client, &wl_callback_interface, 1, id);

	if (!cb) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(cb, NULL, NULL, unlink_resource);
	wl_list_insert(s->pending_frames.prev, wl_resource_get_link(cb));
}

static void
surface_set_region(struct wl_client *client, struct wl_resource *resource,
		   struct wl_resource *region)
{
}

/* Read the buffer like a renderer, keep the pool like wlroots. */
static void
present(struct surface *s, struct wl_resource *buffer)
{
	struct server *server = s->server;
	struct surface_stats *st = &server->stats[s->stats];
	struct wl_shm_buffer *shm = wl_shm_buffer_get(buffer);
	const unsigned char *saved, *data;
	struct held *h;

	if (!shm)
		return;
	h = calloc(1, sizeof(*h));
	if (!h) {
		wl_client_post_no_memory(wl_resource_get_client(buffer));
		return;
	}
	h->width = wl_shm_buffer_get_width(shm);
	h->height = wl_shm_buffer_get_height(shm);
	h->stride = wl_shm_buffer_get_stride(shm);
	h->format = wl_shm_buffer_get_format(shm);
	saved = wl_shm_buffer_get_data(shm);
	h->pool = wl_shm_buffer_ref_pool(shm);

	wl_shm_buffer_begin_access(shm);
	data = wl_shm_buffer_get_data(shm);
	h->checksum =
		read_pixels(data, h->width, h->height, h->stride, h->format);
	wl_shm_buffer_end_access(shm);

	h->data = saved;
	h->buffer = buffer;
	h->buffer_destroy.notify = handle_held_buffer_destroy;
	wl_resource_add_destroy_listener(buffer, &h->buffer_destroy);
	wl_list_insert(server->held.prev, &h->link);

	server->buffer_commits++;
	st->frames++;
	st->last_checksum = h->checksum;
	st->width = h->width;
	st->height = h->height;
	if (!server->hash_frames || st->hashed < server->hash_frames) {
		st->hash = (st->hash ^ h->checksum) * FNV_PRIME;
		st->hashed++;
	}
}

static void
surface_commit(struct wl_client *client, struct wl_resource *resource)
{
	struct surface *s = wl_resource_get_user_data(resource);
	struct server *server = s->server;
	struct wl_resource *buffer = s->pending;

	server->commits++;
	server->stats[s->stats].commits++;
	if (s->toplevel && !s->configure_sent) {
		struct wl_array states;

		wl_array_init(&states);
		xdg_toplevel_send_configure(s->toplevel, 0, 0, &states);
		xdg_surface_send_configure(
			s->xdg_surface,
			wl_display_next_serial(server->display));
		s->configure_sent = true;
	}
	if (s->attached && buffer && s->xdg_surface && !s->acked) {
		wl_resource_post_error(s->xdg_surface,
				       XDG_SURFACE_ERROR_UNCONFIGURED_BUFFER,
				       "buffer committed before the first "
				       "configure was acked");
		return;
	}
	if (s->attached) {
		if (s->current != buffer)
			release_current(s);
		if (buffer) {
			present(s, buffer);
			if (!s->current) {
				s->current = buffer;
				wl_resource_add_destroy_listener(
					buffer, &s->current_destroy);
			}
		}
		handle_pending_destroy(&s->pending_destroy, NULL);
		s->attached = false;
	}
	wl_list_insert_list(s->frames.prev, &s->pending_frames);
	wl_list_init(&s->pending_frames);
	schedule_tick(server);
}

static void
surface_set_int(struct wl_client *client, struct wl_resource *resource,
		int32_t value)
{
	/* buffer transform and scale: nothing here transforms */
}

static void
destroy_resource(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct wl_surface_interface surface_impl = {
	.destroy = destroy_resource,
	.attach = surface_attach,
	.damage = surface_damage,
	.frame = surface_frame,
	.set_opaque_region = surface_set_region,
	.set_input_region = surface_set_region,
	.commit = surface_commit,
	.set_buffer_transform = surface_set_int,
	.set_buffer_scale = surface_set_int,
	.damage_buffer = surface_damage,
};

static void
destroy_callbacks(struct wl_list *list)
{
	struct wl_resource *cb, *next;

	wl_resource_for_each_safe (cb, next, list)
		wl_resource_destroy(cb);
}

static void
surface_handle_destroy(struct wl_resource *resource)
{
	struct surface *s = wl_resource_get_user_data(resource);

	if (s->xdg_surface)
		wl_resource_set_user_data(s->xdg_surface, NULL);
	if (s->toplevel)
		wl_resource_set_user_data(s->toplevel, NULL);
	destroy_callbacks(&s->pending_frames);
	destroy_callbacks(&s->frames);
	wl_list_remove(&s->pending_destroy.link);
	wl_list_remove(&s->current_destroy.link);
	wl_list_remove(&s->link);
	free(s);
}

static void
region_add(struct wl_client *client, struct wl_resource *resource, int32_t x,
	   int32_t y, int32_t width, int32_t height)
{
}

static const struct wl_region_interface region_impl = {
	.destroy = destroy_resource,
	.add = region_add,
	.subtract = region_add,
};

static void
compositor_create_surface(struct wl_client *client,
			  struct wl_resource *resource, uint32_t id)
{
	struct server *server = wl_resource_get_user_data(resource);
	struct surface *s = calloc(1, sizeof(*s));

	if (server->stats_len == server->stats_cap) {
		size_t cap = server->stats_cap ? 2 * server->stats_cap : 16;
		void *grown =
			realloc(server->stats, cap * sizeof(*server->stats));

		if (grown) {
			server->stats = grown;
			server->stats_cap = cap;
		}
	}
	if (s && server->stats_len < server->stats_cap)
		s->resource = wl_resource_create(
			client, &wl_surface_interface,
			wl_resource_get_version(resource), id);
	if (!s || !s->resource) {
		free(s);
		wl_client_post_no_memory(client);
		return;
	}
	s->server = server;
	s->stats = server->stats_len++;
	memset(&server->stats[s->stats], 0, sizeof(server->stats[0]));
	server->stats[s->stats].hash = FNV_OFFSET;
	s->pending_destroy.notify = handle_pending_destroy;
	s->current_destroy.notify = handle_current_destroy;
	wl_list_init(&s->pending_destroy.link);
	wl_list_init(&s->current_destroy.link);
	wl_list_init(&s->pending_frames);
	wl_list_init(&s->frames);
	wl_list_insert(server->surfaces.prev, &s->link);
	wl_resource_set_implementation(s->resource, &surface_impl, s,
				       surface_handle_destroy);
}

static void
compositor_create_region(struct wl_client *client, struct wl_resource *resource,
			 uint32_t id)
{
	struct wl_resource *region =
		wl_resource_create(client, &wl_region_interface, 1, id);

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
	struct wl_resource *resource = wl_resource_create(
		client, &wl_compositor_interface, (int)version, id);

	if (!resource) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &compositor_impl, data, NULL);
}

/* ---- xdg_wm_base, xdg_surface, xdg_toplevel ---- */

static void
toplevel_handle_destroy(struct wl_resource *resource)
{
	struct surface *s = wl_resource_get_user_data(resource);

	if (s)
		s->toplevel = NULL;
}

static void
toplevel_set_string(struct wl_client *client, struct wl_resource *resource,
		    const char *value)
{
}

static void
toplevel_set_parent(struct wl_client *client, struct wl_resource *resource,
		    struct wl_resource *parent)
{
}

static void
toplevel_menu(struct wl_client *client, struct wl_resource *resource,
	      struct wl_resource *seat, uint32_t serial, int32_t x, int32_t y)
{
}

static void
toplevel_move(struct wl_client *client, struct wl_resource *resource,
	      struct wl_resource *seat, uint32_t serial)
{
}

static void
toplevel_resize(struct wl_client *client, struct wl_resource *resource,
		struct wl_resource *seat, uint32_t serial, uint32_t edges)
{
}

static void
toplevel_set_size(struct wl_client *client, struct wl_resource *resource,
		  int32_t width, int32_t height)
{
}

static void
toplevel_state(struct wl_client *client, struct wl_resource *resource)
{
}

static void
toplevel_fullscreen(struct wl_client *client, struct wl_resource *resource,
		    struct wl_resource *output)
{
}

/* Windows stay where and how they are: every request is accepted. */
static const struct xdg_toplevel_interface toplevel_impl = {
	.destroy = destroy_resource,
	.set_parent = toplevel_set_parent,
	.set_title = toplevel_set_string,
	.set_app_id = toplevel_set_string,
	.show_window_menu = toplevel_menu,
	.move = toplevel_move,
	.resize = toplevel_resize,
	.set_max_size = toplevel_set_size,
	.set_min_size = toplevel_set_size,
	.set_maximized = toplevel_state,
	.unset_maximized = toplevel_state,
	.set_fullscreen = toplevel_fullscreen,
	.unset_fullscreen = toplevel_state,
	.set_minimized = toplevel_state,
};

static void
xdg_surface_get_toplevel(struct wl_client *client, struct wl_resource *resource,
			 uint32_t id)
{
	struct surface *s = wl_resource_get_user_data(resource);

	if (!s || s->toplevel) {
		wl_resource_post_error(resource,
				       XDG_SURFACE_ERROR_ALREADY_CONSTRUCTED,
				       "the surface is gone or has a toplevel");
		return;
	}
	s->toplevel = wl_resource_create(client, &xdg_toplevel_interface,
					 wl_resource_get_version(resource), id);
	if (!s->toplevel) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(s->toplevel, &toplevel_impl, s,
				       toplevel_handle_destroy);
}

static void
xdg_surface_get_popup(struct wl_client *client, struct wl_resource *resource,
		      uint32_t id, struct wl_resource *parent,
		      struct wl_resource *positioner)
{
	/* No positioners are ever made, so this cannot be reached. */
}

static void
xdg_surface_set_geometry(struct wl_client *client, struct wl_resource *resource,
			 int32_t x, int32_t y, int32_t width, int32_t height)
{
}

static void
xdg_surface_ack(struct wl_client *client, struct wl_resource *resource,
		uint32_t serial)
{
	struct surface *s = wl_resource_get_user_data(resource);

	if (s && s->configure_sent)
		s->acked = true;
}

static const struct xdg_surface_interface xdg_surface_impl = {
	.destroy = destroy_resource,
	.get_toplevel = xdg_surface_get_toplevel,
	.get_popup = xdg_surface_get_popup,
	.set_window_geometry = xdg_surface_set_geometry,
	.ack_configure = xdg_surface_ack,
};

static void
xdg_surface_handle_destroy(struct wl_resource *resource)
{
	struct surface *s = wl_resource_get_user_data(resource);

	if (s)
		s->xdg_surface = NULL;
}

static void
wm_base_create_positioner(struct wl_client *client,
			  struct wl_resource *resource, uint32_t id)
{
	wl_resource_post_error(resource, XDG_WM_BASE_ERROR_INVALID_POSITIONER,
			       "this compositor has no popups");
}

static void
wm_base_get_xdg_surface(struct wl_client *client, struct wl_resource *resource,
			uint32_t id, struct wl_resource *surface)
{
	struct surface *s = wl_resource_get_user_data(surface);

	if (s->xdg_surface) {
		wl_resource_post_error(resource, XDG_WM_BASE_ERROR_ROLE,
				       "the surface has an xdg_surface");
		return;
	}
	s->xdg_surface =
		wl_resource_create(client, &xdg_surface_interface,
				   wl_resource_get_version(resource), id);
	if (!s->xdg_surface) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(s->xdg_surface, &xdg_surface_impl, s,
				       xdg_surface_handle_destroy);
}

static void
wm_base_pong(struct wl_client *client, struct wl_resource *resource,
	     uint32_t serial)
{
}

static const struct xdg_wm_base_interface wm_base_impl = {
	.destroy = destroy_resource,
	.create_positioner = wm_base_create_positioner,
	.get_xdg_surface = wm_base_get_xdg_surface,
	.pong = wm_base_pong,
};

static void
bind_wm_base(struct wl_client *client, void *data, uint32_t version,
	     uint32_t id)
{
	struct wl_resource *resource = wl_resource_create(
		client, &xdg_wm_base_interface, (int)version, id);

	if (!resource) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &wm_base_impl, data, NULL);
}

/* ---- wl_output: one 1920x1080 screen ---- */

static const struct wl_output_interface output_impl = {
	.release = destroy_resource,
};

static void
bind_output(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct wl_resource *resource = wl_resource_create(
		client, &wl_output_interface, (int)version, id);

	if (!resource) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &output_impl, data, NULL);
	wl_output_send_geometry(
		resource, 0, 0, 520, 290, WL_OUTPUT_SUBPIXEL_UNKNOWN, "sealshm",
		"compat-compositor", WL_OUTPUT_TRANSFORM_NORMAL);
	wl_output_send_mode(resource,
			    WL_OUTPUT_MODE_CURRENT | WL_OUTPUT_MODE_PREFERRED,
			    1920, 1080, 60000);
	if (version >= WL_OUTPUT_SCALE_SINCE_VERSION)
		wl_output_send_scale(resource, 1);
	if (version >= WL_OUTPUT_DONE_SINCE_VERSION)
		wl_output_send_done(resource);
}

/* ---- clients, the protocol log and the end ---- */

static void handle_wayland_log(const char *fmt, va_list args)
	__attribute__((format(printf, 1, 0)));

/* libwayland's own messages ("error in client communication" for every
 * client an attack disconnects): the first few only. */
static void
handle_wayland_log(const char *fmt, va_list args)
{
	static unsigned count;

	if (count < 5)
		vfprintf(stderr, fmt, args);
	else if (count == 5)
		fprintf(stderr, "compat-compositor: further libwayland "
				"messages are not shown\n");
	count++;
}

static void
protocol_log(void *data, enum wl_protocol_logger_type type,
	     const struct wl_protocol_logger_message *m)
{
	struct server *server = data;
	const char *interface = wl_resource_get_class(m->resource);
	struct error_record *e;

	if (type != WL_PROTOCOL_LOGGER_EVENT)
		return;
	if (strcmp(interface, "wl_shm") == 0 &&
	    strcmp(m->message->name, "format") == 0) {
		if (!server->format_client)
			server->format_client =
				wl_resource_get_client(m->resource);
		if (!server->formats_done &&
		    server->format_client ==
			    wl_resource_get_client(m->resource) &&
		    server->formats_len < MAX_FORMATS)
			server->formats[server->formats_len++] =
				m->arguments[0].u;
	} else if (strcmp(interface, "wl_display") == 0 &&
		   strcmp(m->message->name, "error") == 0) {
		if (server->errors_len++ >= MAX_ERRORS)
			return;
		e = &server->errors[server->errors_len - 1];
		/* libwayland passes the failing resource as the object */
		snprintf(e->interface, sizeof(e->interface), "%s",
			 m->arguments[0].o
				 ? wl_resource_get_class(
					   (struct wl_resource *)m->arguments[0]
						   .o)
				 : "?");
		e->code = m->arguments[1].u;
		snprintf(e->message, sizeof(e->message), "%s",
			 m->arguments[2].s ? m->arguments[2].s : "");
	}
}

static void
handle_client_destroy(struct wl_listener *listener, void *data)
{
	struct client_watch *w = wl_container_of(listener, w, destroy);
	struct server *server = w->server;

	wl_list_remove(&w->destroy.link);
	free(w);
	if (server->format_client == data)
		server->formats_done = true;
	if (--server->clients == 0 && server->ending)
		wl_display_terminate(server->display);
}

static void
handle_client_created(struct wl_listener *listener, void *data)
{
	struct server *server =
		wl_container_of(listener, server, client_created);
	struct client_watch *w = calloc(1, sizeof(*w));

	if (!w) {
		wl_client_post_no_memory(data);
		return;
	}
	w->server = server;
	w->destroy.notify = handle_client_destroy;
	wl_client_add_destroy_listener(data, &w->destroy);
	server->clients++;
	server->clients_total++;
}

/* Stop once the clients are gone (the spawned client's last connection
 * closes after it exited), or after 5 s. */
static void
begin_end(struct server *server)
{
	if (server->ending)
		return;
	server->ending = true;
	if (server->clients == 0)
		wl_display_terminate(server->display);
	else
		wl_event_source_timer_update(server->end_timer, 5000);
}

static int
handle_end_timer(void *data)
{
	struct server *server = data;

	fprintf(stderr,
		"compat-compositor: %d clients still connected 5 s "
		"after the end; disconnecting them\n",
		server->clients);
	wl_display_terminate(server->display);
	return 0;
}

static int
handle_exit_after(void *data)
{
	struct server *server = data;

	server->stopped = true;
	if (server->child > 0) {
		/* the end comes with SIGCHLD, or 5 s later */
		kill(server->child, SIGTERM);
		wl_event_source_timer_update(server->end_timer, 5000);
	} else {
		wl_display_terminate(server->display);
	}
	return 0;
}

static int
handle_sigchld(int signal, void *data)
{
	struct server *server = data;
	int status;

	if (server->child > 0 &&
	    waitpid(server->child, &status, WNOHANG) == server->child) {
		server->child = -1;
		server->child_status = status;
		begin_end(server);
	}
	return 0;
}

static int
handle_sigterm(int signal, void *data)
{
	struct server *server = data;

	server->stopped = true;
	if (server->child > 0) {
		/* the end comes with SIGCHLD, or 5 s later */
		kill(server->child, SIGTERM);
		wl_event_source_timer_update(server->end_timer, 5000);
	} else {
		wl_display_terminate(server->display);
	}
	return 0;
}

static pid_t
spawn(const char *socket, char **argv)
{
	sigset_t all;
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	/* The event loop blocked the signals it watches; exec unblocked. */
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	setenv("WAYLAND_DISPLAY", socket, 1);
	unsetenv("WAYLAND_SOCKET");
	execvp(argv[0], argv);
	fprintf(stderr, "compat-compositor: cannot run %s: %s\n", argv[0],
		strerror(errno));
	_exit(127);
}

static int
count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *entry;
	int n = 0;

	if (!dir)
		return -1;
	while ((entry = readdir(dir)))
		n += entry->d_name[0] != '.';
	closedir(dir);
	return n - 1; /* the directory's own fd */
}

static bool
sigbus_handler_installed(void)
{
	struct sigaction old;

	if (sigaction(SIGBUS, NULL, &old) < 0)
		return false;
	if (old.sa_flags & SA_SIGINFO)
		return true;
	return old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN;
}

static void
json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void
json_format(FILE *f, uint32_t format)
{
	if (format == WL_SHM_FORMAT_ARGB8888)
		fputs("\"ARGB8888\"", f);
	else if (format == WL_SHM_FORMAT_XRGB8888)
		fputs("\"XRGB8888\"", f);
	else if (format == WL_SHM_FORMAT_RGB565)
		fputs("\"RGB565\"", f);
	else
		fprintf(f, "\"0x%08" PRIx32 "\"", format);
}

static int
write_report(struct server *server, const char *path, int fds_baseline,
	     int fds_at_exit, bool sigbus)
{
	FILE *f = fopen(path, "w");
	Dl_info info = { 0 };
	uint64_t i;
	bool first = true;

	if (!f) {
		fprintf(stderr, "compat-compositor: %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	dladdr((void *)wl_display_init_shm, &info);
	fprintf(f, "{\n  \"wl_shm_library\": ");
	json_string(f, info.dli_fname ? info.dli_fname : "?");
	fprintf(f,
		",\n  \"clients\": %d,\n  \"commits\": %" PRIu64
		",\n  \"buffer_commits\": %" PRIu64
		",\n  \"frame_callbacks\": %" PRIu64
		",\n  \"releases\": %" PRIu64 ",\n  \"rereads\": %" PRIu64
		",\n  \"reread_mismatches\": %" PRIu64
		",\n  \"sigbus_handler\": %s,\n  \"fds_baseline\": %d"
		",\n  \"fds_at_exit\": %d,\n  \"formats\": [",
		server->clients_total, server->commits, server->buffer_commits,
		server->callbacks, server->releases, server->rereads,
		server->reread_mismatches, sigbus ? "true" : "false",
		fds_baseline, fds_at_exit);
	for (i = 0; i < (uint64_t)server->formats_len; i++) {
		fputs(i ? ", " : "", f);
		json_format(f, server->formats[i]);
	}
	fprintf(f, "],\n  \"protocol_errors\": %" PRIu64 ",\n  \"errors\": [",
		server->errors_len);
	for (i = 0; i < server->errors_len && i < MAX_ERRORS; i++) {
		fprintf(f, "%s\n    {\"interface\": ", i ? "," : "");
		json_string(f, server->errors[i].interface);
		fprintf(f, ", \"code\": %" PRIu32 ", \"message\": ",
			server->errors[i].code);
		json_string(f, server->errors[i].message);
		fputc('}', f);
	}
	fprintf(f, "],\n  \"surfaces\": [");
	for (i = 0; i < server->stats_len; i++) {
		const struct surface_stats *st = &server->stats[i];

		if (!st->frames)
			continue;
		fprintf(f,
			"%s\n    {\"commits\": %" PRIu64
			", \"frames\": %" PRIu64 ", \"hash\": \"%016" PRIx64
			"\", \"hashed_frames\": "
			"%" PRIu64 ", \"last_checksum\": \"%016" PRIx64
			"\", \"width\": %d, \"height\": %d}",
			first ? "" : ",", st->commits, st->frames, st->hash,
			st->hashed, st->last_checksum, st->width, st->height);
		first = false;
	}
	fprintf(f, "]\n}\n");
	return fclose(f);
}

static void
usage(FILE *out)
{
	fprintf(out,
		"Usage: compat-compositor [OPTION]... [-- CLIENT ARGS...]\n"
		"A compositor on libwayland-server's wl_shm API only.\n\n"
		"  --socket NAME        listen on NAME (default: the first "
		"free wayland-N)\n"
		"  --exit-after SECS    stop after SECS seconds (stopping the "
		"client too)\n"
		"  --report FILE        write what it saw as JSON at exit\n"
		"  --hash-frames N      hash only the first N frames of each "
		"surface\n"
		"  --help               this text\n\n"
		"With a CLIENT, it exits when the client does: status 0 when "
		"the client\nexited 0 or was stopped by --exit-after.\n");
}

int
main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "exit-after", required_argument, NULL, 'e' },
		{ "report", required_argument, NULL, 'r' },
		{ "hash-frames", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct server server = { .child = -1 };
	const char *socket = NULL, *report = NULL;
	unsigned long exit_after = 0;
	int opt, fds_baseline, fds_at_exit, status = EXIT_SUCCESS;
	struct held *h, *tmp;
	bool sigbus;
	char *end;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			socket = optarg;
			break;
		case 'r':
			report = optarg;
			break;
		case 'e':
		case 'f':
			errno = 0;
			if (opt == 'e')
				exit_after = strtoul(optarg, &end, 10);
			else
				server.hash_frames = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end || *optarg == '-')
				goto usage_error;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			goto usage_error;
		}
	}

	wl_log_set_handler_server(handle_wayland_log);
	wl_list_init(&server.surfaces);
	wl_list_init(&server.held);
	server.display = wl_display_create();
	if (!server.display)
		return EXIT_FAILURE;
	server.loop = wl_display_get_event_loop(server.display);
	if (wl_display_init_shm(server.display) < 0 ||
	    !wl_display_add_shm_format(server.display, WL_SHM_FORMAT_RGB565) ||
	    !wl_global_create(server.display, &wl_compositor_interface, 4,
			      &server, bind_compositor) ||
	    !wl_global_create(server.display, &xdg_wm_base_interface, 1,
			      &server, bind_wm_base) ||
	    !wl_global_create(server.display, &wl_output_interface, 3, &server,
			      bind_output)) {
		fprintf(stderr, "compat-compositor: cannot make the globals\n");
		return EXIT_FAILURE;
	}
	if (socket ? wl_display_add_socket(server.display, socket) < 0
		   : !(socket = wl_display_add_socket_auto(server.display))) {
		fprintf(stderr, "compat-compositor: cannot listen on %s: %s\n",
			socket ? socket : "wayland-N", strerror(errno));
		return EXIT_FAILURE;
	}
	server.client_created.notify = handle_client_created;
	wl_display_add_client_created_listener(server.display,
					       &server.client_created);
	wl_display_add_protocol_logger(server.display, protocol_log, &server);
	server.tick =
		wl_event_loop_add_timer(server.loop, handle_tick, &server);
	server.end_timer =
		wl_event_loop_add_timer(server.loop, handle_end_timer, &server);
	wl_event_loop_add_signal(server.loop, SIGCHLD, handle_sigchld, &server);
	wl_event_loop_add_signal(server.loop, SIGTERM, handle_sigterm, &server);
	wl_event_loop_add_signal(server.loop, SIGINT, handle_sigterm, &server);
	if (exit_after)
		wl_event_source_timer_update(
			wl_event_loop_add_timer(server.loop, handle_exit_after,
						&server),
			(int)(exit_after * 1000));
	fds_baseline = count_fds();
	printf("compat-compositor: listening on %s\n", socket);
	fflush(stdout);

	if (optind < argc) {
		server.child = spawn(socket, argv + optind);
		server.spawned = true;
		if (server.child < 0) {
			fprintf(stderr, "compat-compositor: fork: %s\n",
				strerror(errno));
			return EXIT_FAILURE;
		}
	}

	wl_display_run(server.display);

	/* Stop the client if it still runs, then let every reference go. */
	if (server.child > 0) {
		kill(server.child, SIGKILL);
		waitpid(server.child, &server.child_status, 0);
	}
	wl_display_destroy_clients(server.display);
	wl_list_for_each_safe (h, tmp, &server.held, link)
		held_finish(&server, h);
	fds_at_exit = count_fds();
	sigbus = sigbus_handler_installed();

	printf("compat-compositor: SIGBUS handler installed in this process: "
	       "%s\n",
	       sigbus ? "yes" : "no");
	printf("compat-compositor: fds at start %d, at exit %d\n", fds_baseline,
	       fds_at_exit);
	if (server.spawned && !server.stopped) {
		int s = server.child_status;

		if (!WIFEXITED(s) || WEXITSTATUS(s) != 0) {
			fprintf(stderr, "compat-compositor: the client %s %d\n",
				WIFEXITED(s) ? "exited with status"
					     : "was killed by signal",
				WIFEXITED(s) ? WEXITSTATUS(s) : WTERMSIG(s));
			status = EXIT_FAILURE;
		}
	}
	if (report && write_report(&server, report, fds_baseline, fds_at_exit,
				   sigbus) < 0)
		status = EXIT_FAILURE;
	wl_display_destroy(server.display);
	free(server.stats);
	return status;

usage_error:
	fprintf(stderr, "Try 'compat-compositor --help'.\n");
	return 2;
}
