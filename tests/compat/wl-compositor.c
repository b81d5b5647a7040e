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
 *                     [--exit-after-frames N] [--hash-frames N]
 *                     [--report FILE] [-- CLIENT ARGS...]
 *
 * wl_compositor 4, xdg_wm_base 1 (toplevels only) and wl_output; wl_shm
 * with RGB565 added after wl_display_init_shm, as wlroots does.  Every
 * commit reads every byte of its shm buffer between begin and end access
 * and hashes the visible pixels.  Like wlroots 0.15, it takes a pool
 * reference and the data pointer at the commit, reads through that pointer
 * again one frame later (at the next 16 ms tick; without begin_access when
 * the wl_buffer is gone by then) and drops the reference.  The tick then
 * releases the buffer and sends the frame callbacks, whose time counts the
 * surface's frames, 16 ms each: clients animating by time draw the same
 * frames on every run.
 *
 * With a CLIENT it exits when the client has exited and its connections
 * are gone: status 0 when the client exited 0 or was stopped by
 * --exit-after or --exit-after-frames, 1 otherwise.  At exit it prints whether
 * this process has a SIGBUS handler and its fd counts; the report (JSON) says
 * what it saw.
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
#define END_WAIT_MS 5000
#define MAX_FORMATS 64
#define MAX_ERRORS 32
#define FNV_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME UINT64_C(0x100000001b3)

struct error_record {
	char interface[48];
	uint32_t code;
	char message[160];
};

struct server {
	struct wl_display *display;
	struct wl_event_source *tick, *end_timer;
	struct wl_event_source *sources[8]; /* every one, removed at exit */
	int sources_len;
	bool tick_armed, ending, stopped;
	struct wl_list surfaces; /* live ones: struct surface.link */
	struct wl_list gone;	 /* destroyed, kept for the report */
	struct wl_list held;	 /* struct held.link */
	struct wl_listener client_created;
	struct wl_protocol_logger *logger;
	int clients, clients_total;
	uint64_t hash_frames; /* 0: every frame */
	uint64_t exit_frames; /* stop once a surface showed so many */
	pid_t child;	      /* > 0 while it runs */
	int child_status;

	/* for the report */
	uint64_t commits, buffer_commits, callbacks, releases, rereads;
	uint64_t reread_mismatches, errors_len;
	struct wl_client *format_client; /* whose wl_shm formats we list */
	bool formats_done;
	uint32_t formats[MAX_FORMATS];
	int formats_len;
	struct error_record errors[MAX_ERRORS];
};

struct surface {
	struct server *server;
	struct wl_resource *resource, *xdg_surface, *toplevel;
	struct wl_list link;
	struct wl_resource *pending; /* attached, not committed */
	struct wl_listener pending_destroy;
	bool attached, configure_sent, acked;
	struct wl_list pending_frames, frames; /* wl_resource links */
	struct wl_resource *current;	       /* presented, not yet released */
	struct wl_listener current_destroy;
	/* for the report */
	uint64_t commits, frames_presented, hash, hashed, last_checksum;
	int32_t width, height;
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

struct client_watch {
	struct wl_listener destroy;
	struct server *server;
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

/* Forget the resource @p listener watches (unless it already has). */
static void
unwatch(struct wl_listener *listener, struct wl_resource **watched)
{
	*watched = NULL;
	wl_list_remove(&listener->link);
	wl_list_init(&listener->link);
}

static void
watch(struct wl_listener *listener, struct wl_resource **watched,
      struct wl_resource *resource)
{
	unwatch(listener, watched);
	*watched = resource;
	if (resource)
		wl_resource_add_destroy_listener(resource, listener);
}

static void
handle_held_buffer_destroy(struct wl_listener *listener, void *data)
{
	struct held *h = wl_container_of(listener, h, buffer_destroy);

	unwatch(listener, &h->buffer);
}

static void
handle_pending_destroy(struct wl_listener *listener, void *data)
{
	struct surface *s = wl_container_of(listener, s, pending_destroy);

	unwatch(listener, &s->pending);
}

static void
handle_current_destroy(struct wl_listener *listener, void *data)
{
	struct surface *s = wl_container_of(listener, s, current_destroy);

	unwatch(listener, &s->current);
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
	unwatch(&h->buffer_destroy, &h->buffer);
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
	unwatch(&s->current_destroy, &s->current);
}

static int
handle_tick(void *data)
{
	struct server *server = data;
	struct wl_resource *cb, *next;
	struct held *h, *tmp;
	struct surface *s;

	server->tick_armed = false;
	wl_list_for_each_safe (h, tmp, &server->held, link)
		held_finish(server, h);
	wl_list_for_each (s, &server->surfaces, link) {
		release_current(s);
		wl_resource_for_each_safe (cb, next, &s->frames) {
			wl_callback_send_done(
				cb, (uint32_t)(s->frames_presented * TICK_MS));
			wl_resource_destroy(cb);
			server->callbacks++;
		}
	}
	return 0;
}

static void
schedule_tick(struct server *server)
{
	if (server->tick_armed)
		return;
	server->tick_armed = true;
	wl_event_source_timer_update(server->tick, TICK_MS);
}

/* ---- resources ---- */

static struct wl_resource *
create_resource(struct wl_client *client, const struct wl_interface *interface,
		int version, uint32_t id, const void *impl, void *data,
		wl_resource_destroy_func_t destroy)
{
	struct wl_resource *resource =
		wl_resource_create(client, interface, version, id);

	if (!resource) {
		wl_client_post_no_memory(client);
		return NULL;
	}
	wl_resource_set_implementation(resource, impl, data, destroy);
	return resource;
}

static void
destroy_resource(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

/* wl_region, xdg_toplevel and wl_output requests change nothing here:
 * one dispatcher accepts them all and destroys on destroy or release. */
static int
dispatch_ignore(const void *impl, void *target, uint32_t opcode,
		const struct wl_message *message, union wl_argument *args)
{
	if (strcmp(message->name, "destroy") == 0 ||
	    strcmp(message->name, "release") == 0)
		wl_resource_destroy(target);
	return 0;
}

static struct wl_resource *
create_ignoring(struct wl_client *client, const struct wl_interface *interface,
		int version, uint32_t id, void *data,
		wl_resource_destroy_func_t destroy)
{
	struct wl_resource *resource =
		wl_resource_create(client, interface, version, id);

	if (!resource) {
		wl_client_post_no_memory(client);
		return NULL;
	}
	wl_resource_set_dispatcher(resource, dispatch_ignore, NULL, data,
				   destroy);
	return resource;
}

static void
unlink_resource(struct wl_resource *resource)
{
	wl_list_remove(wl_resource_get_link(resource));
}

/* ---- wl_surface ---- */

static void
surface_attach(struct wl_client *client, struct wl_resource *resource,
	       struct wl_resource *buffer, int32_t x, int32_t y)
{
	struct surface *s = wl_resource_get_user_data(resource);

	watch(&s->pending_destroy, &s->pending, buffer);
	s->attached = true;
}

static void
surface_damage(struct wl_client *client, struct wl_resource *resource,
	       int32_t x, int32_t y, int32_t width, int32_t height)
{
	/* Every commit reads the whole buffer: damage changes nothing. */
}

static void
surface_frame(struct wl_client *client, struct wl_resource *resource,
	      uint32_t id)
{
	struct surface *s = wl_resource_get_user_data(resource);
	struct wl_resource *cb =
		create_resource(client, &wl_callback_interface, 1, id, NULL,
				NULL, unlink_resource);

	if (cb)
		wl_list_insert(s->pending_frames.prev,
			       wl_resource_get_link(cb));
}

static void
surface_set_region(struct wl_client *client, struct wl_resource *resource,
		   struct wl_resource *region)
{
}

static void
surface_set_int(struct wl_client *client, struct wl_resource *resource,
		int32_t value)
{
	/* buffer transform and scale: nothing here transforms */
}

static void stop(struct server *server);

/* Read the buffer like a renderer, keep the pool like wlroots. */
static void
present(struct surface *s, struct wl_resource *buffer)
{
	struct server *server = s->server;
	struct wl_shm_buffer *shm = wl_shm_buffer_get(buffer);
	const unsigned char *data;
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
	h->data = wl_shm_buffer_get_data(shm);
	h->pool = wl_shm_buffer_ref_pool(shm);
	h->buffer_destroy.notify = handle_held_buffer_destroy;
	wl_list_init(&h->buffer_destroy.link);
	watch(&h->buffer_destroy, &h->buffer, buffer);
	wl_list_insert(server->held.prev, &h->link);

	wl_shm_buffer_begin_access(shm);
	data = wl_shm_buffer_get_data(shm);
	h->checksum =
		read_pixels(data, h->width, h->height, h->stride, h->format);
	wl_shm_buffer_end_access(shm);

	server->buffer_commits++;
	s->frames_presented++;
	s->last_checksum = h->checksum;
	s->width = h->width;
	s->height = h->height;
	if (!server->hash_frames || s->hashed < server->hash_frames) {
		s->hash = (s->hash ^ h->checksum) * FNV_PRIME;
		s->hashed++;
	}
	if (s->frames_presented == server->exit_frames && !server->stopped)
		stop(server);
}

static void
surface_commit(struct wl_client *client, struct wl_resource *resource)
{
	struct surface *s = wl_resource_get_user_data(resource);
	struct server *server = s->server;
	struct wl_resource *buffer = s->pending;
	struct wl_array states;

	server->commits++;
	s->commits++;
	if (s->toplevel && !s->configure_sent) {
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
			watch(&s->current_destroy, &s->current, buffer);
		}
		unwatch(&s->pending_destroy, &s->pending);
		s->attached = false;
	}
	wl_list_insert_list(s->frames.prev, &s->pending_frames);
	wl_list_init(&s->pending_frames);
	schedule_tick(server);
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
surface_handle_destroy(struct wl_resource *resource)
{
	struct surface *s = wl_resource_get_user_data(resource);
	struct wl_resource *cb, *next;

	if (s->xdg_surface)
		wl_resource_set_user_data(s->xdg_surface, NULL);
	if (s->toplevel)
		wl_resource_set_user_data(s->toplevel, NULL);
	wl_resource_for_each_safe (cb, next, &s->pending_frames)
		wl_resource_destroy(cb);
	wl_resource_for_each_safe (cb, next, &s->frames)
		wl_resource_destroy(cb);
	unwatch(&s->pending_destroy, &s->pending);
	unwatch(&s->current_destroy, &s->current);
	s->resource = NULL;
	wl_list_remove(&s->link);
	wl_list_insert(s->server->gone.prev, &s->link);
}

static void
compositor_create_surface(struct wl_client *client,
			  struct wl_resource *resource, uint32_t id)
{
	struct server *server = wl_resource_get_user_data(resource);
	struct surface *s = calloc(1, sizeof(*s));

	if (!s) {
		wl_client_post_no_memory(client);
		return;
	}
	s->resource = create_resource(client, &wl_surface_interface,
				      wl_resource_get_version(resource), id,
				      &surface_impl, s, surface_handle_destroy);
	if (!s->resource) {
		free(s);
		return;
	}
	s->server = server;
	s->hash = FNV_OFFSET;
	s->pending_destroy.notify = handle_pending_destroy;
	s->current_destroy.notify = handle_current_destroy;
	wl_list_init(&s->pending_destroy.link);
	wl_list_init(&s->current_destroy.link);
	wl_list_init(&s->pending_frames);
	wl_list_init(&s->frames);
	wl_list_insert(server->surfaces.prev, &s->link);
}

static void
compositor_create_region(struct wl_client *client, struct wl_resource *resource,
			 uint32_t id)
{
	create_ignoring(client, &wl_region_interface, 1, id, NULL, NULL);
}

static const struct wl_compositor_interface compositor_impl = {
	.create_surface = compositor_create_surface,
	.create_region = compositor_create_region,
};

static void
bind_compositor(struct wl_client *client, void *data, uint32_t version,
		uint32_t id)
{
	create_resource(client, &wl_compositor_interface, (int)version, id,
			&compositor_impl, data, NULL);
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
xdg_surface_get_toplevel(struct wl_client *client, struct wl_resource *resource,
			 uint32_t id)
{
	struct surface *s = wl_resource_get_user_data(resource);

	if (!s || s->toplevel) {
		wl_resource_post_error(resource,
				       XDG_SURFACE_ERROR_ALREADY_CONSTRUCTED,
				       "the surface is gone or has a role");
		return;
	}
	/* Windows stay where and as they are: every request is accepted. */
	s->toplevel = create_ignoring(client, &xdg_toplevel_interface,
				      wl_resource_get_version(resource), id, s,
				      toplevel_handle_destroy);
}

static void
xdg_surface_get_popup(struct wl_client *client, struct wl_resource *resource,
		      uint32_t id, struct wl_resource *parent,
		      struct wl_resource *positioner)
{
	/* Unreachable: there are no positioners to pass. */
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
	s->xdg_surface = create_resource(client, &xdg_surface_interface,
					 wl_resource_get_version(resource), id,
					 &xdg_surface_impl, s,
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
	create_resource(client, &xdg_wm_base_interface, (int)version, id,
			&wm_base_impl, data, NULL);
}

/* One 1920x1080 screen. */
static void
bind_output(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct wl_resource *output = create_ignoring(
		client, &wl_output_interface, (int)version, id, NULL, NULL);

	if (!output)
		return;
	wl_output_send_geometry(
		output, 0, 0, 520, 290, WL_OUTPUT_SUBPIXEL_UNKNOWN, "sealshm",
		"compat-compositor", WL_OUTPUT_TRANSFORM_NORMAL);
	wl_output_send_mode(output,
			    WL_OUTPUT_MODE_CURRENT | WL_OUTPUT_MODE_PREFERRED,
			    1920, 1080, 60000);
	if (version >= WL_OUTPUT_SCALE_SINCE_VERSION)
		wl_output_send_scale(output, 1);
	if (version >= WL_OUTPUT_DONE_SINCE_VERSION)
		wl_output_send_done(output);
}

/* ---- what was sent, clients, the end ---- */

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

/* The formats the first client was offered and every protocol error, as
 * they are sent: whoever implements wl_shm sends through libwayland. */
static void
protocol_log(void *data, enum wl_protocol_logger_type type,
	     const struct wl_protocol_logger_message *m)
{
	struct server *server = data;
	const char *interface = wl_resource_get_class(m->resource);
	struct wl_client *client = wl_resource_get_client(m->resource);
	struct error_record *e;
	struct wl_resource *object;

	if (type != WL_PROTOCOL_LOGGER_EVENT)
		return;
	if (strcmp(interface, "wl_shm") == 0 &&
	    strcmp(m->message->name, "format") == 0) {
		if (!server->format_client)
			server->format_client = client;
		if (!server->formats_done && server->format_client == client &&
		    server->formats_len < MAX_FORMATS)
			server->formats[server->formats_len++] =
				m->arguments[0].u;
	} else if (strcmp(interface, "wl_display") == 0 &&
		   strcmp(m->message->name, "error") == 0) {
		if (server->errors_len++ >= MAX_ERRORS)
			return;
		e = &server->errors[server->errors_len - 1];
		/* libwayland passes the failing resource as the object */
		object = (struct wl_resource *)m->arguments[0].o;
		snprintf(e->interface, sizeof(e->interface), "%s",
			 object ? wl_resource_get_class(object) : "?");
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

static int
handle_end_timer(void *data)
{
	struct server *server = data;

	fprintf(stderr,
		"compat-compositor: %d clients still connected %d ms after "
		"the end; disconnecting them\n",
		server->clients, END_WAIT_MS);
	wl_display_terminate(server->display);
	return 0;
}

/* --exit-after(-frames), SIGTERM, SIGINT: stop the client; its end ends
 * us. */
static void
stop(struct server *server)
{
	server->stopped = true;
	if (server->child <= 0) {
		wl_display_terminate(server->display);
		return;
	}
	kill(server->child, SIGTERM);
	wl_event_source_timer_update(server->end_timer, END_WAIT_MS);
}

static int
handle_exit_after(void *data)
{
	stop(data);
	return 0;
}

static int
handle_stop_signal(int signal, void *data)
{
	stop(data);
	return 0;
}

/* The client exited: end once its connections are gone. */
static int
handle_sigchld(int signal, void *data)
{
	struct server *server = data;

	if (server->child <= 0 || waitpid(server->child, &server->child_status,
					  WNOHANG) != server->child)
		return 0;
	server->child = -1;
	server->ending = true;
	if (server->clients == 0)
		wl_display_terminate(server->display);
	else
		wl_event_source_timer_update(server->end_timer, END_WAIT_MS);
	return 0;
}

static pid_t
spawn(const char *socket, char **argv)
{
	sigset_t none;
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	/* The event loop blocked the signals it watches. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	setenv("WAYLAND_DISPLAY", socket, 1);
	unsetenv("WAYLAND_SOCKET");
	execvp(argv[0], argv);
	fprintf(stderr, "compat-compositor: cannot run %s: %s\n", argv[0],
		strerror(errno));
	_exit(127);
}

/* ---- the report ---- */

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

static const char *
format_name(uint32_t format, char *buf, size_t len)
{
	switch (format) {
	case WL_SHM_FORMAT_ARGB8888:
		return "ARGB8888";
	case WL_SHM_FORMAT_XRGB8888:
		return "XRGB8888";
	case WL_SHM_FORMAT_RGB565:
		return "RGB565";
	default:
		snprintf(buf, len, "0x%08" PRIx32, format);
		return buf;
	}
}

static int
write_report(struct server *server, const char *path, int fds_baseline,
	     int fds_at_exit, bool sigbus)
{
	FILE *f = fopen(path, "w");
	Dl_info info = { 0 };
	const char *sep = "";
	struct surface *s;
	char name[16];
	uint64_t i;

	if (!f) {
		fprintf(stderr, "compat-compositor: %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	/* whose wl_display_init_shm this program calls */
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
		json_string(
			f, format_name(server->formats[i], name, sizeof(name)));
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
	/* surfaces that showed a frame, in the order they went away */
	fprintf(f, "],\n  \"surfaces\": [");
	wl_list_for_each (s, &server->gone, link) {
		if (!s->frames_presented)
			continue;
		fprintf(f,
			"%s\n    {\"commits\": %" PRIu64
			", \"frames\": %" PRIu64 ", \"hash\": \"%016" PRIx64
			"\", \"hashed_frames\": %" PRIu64
			", \"last_checksum\": \"%016" PRIx64
			"\", \"width\": %d, \"height\": %d}",
			sep, s->commits, s->frames_presented, s->hash,
			s->hashed, s->last_checksum, s->width, s->height);
		sep = ",";
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
		"  --exit-after SECS    stop after SECS seconds (and stop the "
		"client)\n"
		"  --exit-after-frames N\n"
		"                       stop once a surface showed N frames\n"
		"  --report FILE        write what it saw as JSON at exit\n"
		"  --hash-frames N      hash only the first N frames of each "
		"surface\n"
		"  --help               this text\n\n"
		"With a CLIENT, it exits when the client does: status 0 when "
		"the client\nexited 0 or was stopped by this compositor.\n");
}

static bool
parse_number(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 10);
	return !errno && end != s && !*end && *s != '-';
}

static struct wl_event_source *
keep_source(struct server *server, struct wl_event_source *source)
{
	if (source)
		server->sources[server->sources_len++] = source;
	return source;
}

static int
run(struct server *server, const char *socket, const char *report,
    uint64_t exit_after, char **client)
{
	struct wl_event_loop *loop = wl_display_get_event_loop(server->display);
	int fds_baseline, fds_at_exit, status = EXIT_SUCCESS;
	struct surface *s, *tmp_s;
	struct held *h, *tmp;
	bool sigbus;

	if (socket ? wl_display_add_socket(server->display, socket) < 0
		   : !(socket = wl_display_add_socket_auto(server->display))) {
		fprintf(stderr, "compat-compositor: cannot listen on %s: %s\n",
			socket ? socket : "wayland-N", strerror(errno));
		return EXIT_FAILURE;
	}
	server->client_created.notify = handle_client_created;
	wl_display_add_client_created_listener(server->display,
					       &server->client_created);
	server->logger = wl_display_add_protocol_logger(server->display,
							protocol_log, server);
	server->tick = keep_source(
		server, wl_event_loop_add_timer(loop, handle_tick, server));
	server->end_timer = keep_source(
		server,
		wl_event_loop_add_timer(loop, handle_end_timer, server));
	keep_source(server, wl_event_loop_add_signal(loop, SIGCHLD,
						     handle_sigchld, server));
	keep_source(server, wl_event_loop_add_signal(
				    loop, SIGTERM, handle_stop_signal, server));
	keep_source(server, wl_event_loop_add_signal(
				    loop, SIGINT, handle_stop_signal, server));
	if (exit_after)
		wl_event_source_timer_update(
			keep_source(server,
				    wl_event_loop_add_timer(
					    loop, handle_exit_after, server)),
			(int)(exit_after * 1000));
	fds_baseline = count_fds();
	printf("compat-compositor: listening on %s\n", socket);
	fflush(stdout);
	if (client && (server->child = spawn(socket, client)) < 0) {
		fprintf(stderr, "compat-compositor: fork: %s\n",
			strerror(errno));
		return EXIT_FAILURE;
	}

	wl_display_run(server->display);

	/* Stop the client if it still runs, then let every reference go. */
	if (server->child > 0) {
		kill(server->child, SIGKILL);
		waitpid(server->child, &server->child_status, 0);
	}
	wl_display_destroy_clients(server->display);
	wl_list_for_each_safe (h, tmp, &server->held, link)
		held_finish(server, h);
	fds_at_exit = count_fds();
	sigbus = sigbus_handler_installed();
	printf("compat-compositor: SIGBUS handler installed in this process: "
	       "%s\ncompat-compositor: fds at start %d, at exit %d\n",
	       sigbus ? "yes" : "no", fds_baseline, fds_at_exit);

	if (client && !server->stopped &&
	    (!WIFEXITED(server->child_status) ||
	     WEXITSTATUS(server->child_status) != 0)) {
		fprintf(stderr, "compat-compositor: the client %s %d\n",
			WIFEXITED(server->child_status)
				? "exited with status"
				: "was killed by signal",
			WIFEXITED(server->child_status)
				? WEXITSTATUS(server->child_status)
				: WTERMSIG(server->child_status));
		status = EXIT_FAILURE;
	}
	if (report &&
	    write_report(server, report, fds_baseline, fds_at_exit, sigbus) < 0)
		status = EXIT_FAILURE;
	wl_list_for_each_safe (s, tmp_s, &server->gone, link)
		free(s);
	if (server->logger)
		wl_protocol_logger_destroy(server->logger);
	while (server->sources_len)
		wl_event_source_remove(server->sources[--server->sources_len]);
	return status;
}

int
main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "exit-after", required_argument, NULL, 'e' },
		{ "exit-after-frames", required_argument, NULL, 'n' },
		{ "report", required_argument, NULL, 'r' },
		{ "hash-frames", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct server server = { .child = -1 };
	const char *socket = NULL, *report = NULL;
	uint64_t exit_after = 0;
	int opt, status;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			socket = optarg;
			break;
		case 'r':
			report = optarg;
			break;
		case 'e':
			if (!parse_number(optarg, &exit_after) ||
			    exit_after > 86400)
				goto usage_error;
			break;
		case 'f':
			if (!parse_number(optarg, &server.hash_frames))
				goto usage_error;
			break;
		case 'n':
			if (!parse_number(optarg, &server.exit_frames) ||
			    !server.exit_frames)
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
	wl_list_init(&server.gone);
	wl_list_init(&server.held);
	server.display = wl_display_create();
	if (!server.display)
		return EXIT_FAILURE;
	/* wlroots' order: the core formats, then the added one */
	if (wl_display_init_shm(server.display) < 0 ||
	    !wl_display_add_shm_format(server.display, WL_SHM_FORMAT_RGB565) ||
	    !wl_global_create(server.display, &wl_compositor_interface, 4,
			      &server, bind_compositor) ||
	    !wl_global_create(server.display, &xdg_wm_base_interface, 1,
			      &server, bind_wm_base) ||
	    !wl_global_create(server.display, &wl_output_interface, 3, &server,
			      bind_output)) {
		fprintf(stderr, "compat-compositor: cannot make the globals\n");
		wl_display_destroy(server.display);
		return EXIT_FAILURE;
	}
	status = run(&server, socket, report, exit_after,
		     optind < argc ? argv + optind : NULL);
	wl_display_destroy(server.display);
	return status;

usage_error:
	fprintf(stderr, "compat-compositor: bad option or value; try "
			"'compat-compositor --help'.\n");
	return 2;
}
