/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * sealshm-compositor's seat and what it reads of buffers, through real
 * connections: the keymap file every client gets (sealed, read-only, a
 * whole XKB keymap), the clipboard (a paste from a source that does not
 * answer stalls nobody; drags cancelled, a source used twice refused),
 * and a buffer far larger than the output, which must not
 * be read whole: the compositor copies only what is on the output and
 * answers another client at once.  Each test starts its own
 * sealshm-compositor (SEALSHM_COMPOSITOR) on a private runtime directory.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <wayland-client.h>

#include <sealshm/server.h>

#include "compositor-process.h"
#include "demo-client.h"

#include "test-runner.h"

#ifndef F_SEAL_SEAL
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#endif

#define OUTPUT_WIDTH 640
#define OUTPUT_HEIGHT 480

/*
 * The largest ARGB8888 buffer the shm module's default limits allow,
 * with a side limit (1 GiB), or without one a 1 x 536870911 buffer
 * (2 GiB, its stride times height just under INT32_MAX).
 */
#ifdef SEALSHM_DEFAULT_MAX_BUFFER_SIDE
#define HUGE_WIDTH SEALSHM_DEFAULT_MAX_BUFFER_SIDE
#define HUGE_HEIGHT SEALSHM_DEFAULT_MAX_BUFFER_SIDE
#else
#define HUGE_WIDTH 1
#define HUGE_HEIGHT 536870911
#endif

/* Every test's compositor: headless, 640x480. */
static const char *const size_args[] = { "--size", "640x480", NULL };

static void
connect_client(struct demo_globals *g)
{
	check(demo_globals_connect(g, 4) == 0);
	check(g->compositor && g->shm && g->wm_base && g->seat);
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Keymap */

struct keymap_seen {
	int fd;
	uint32_t format, size;
	int32_t rate, delay;
	bool repeat_info;
};

static void
handle_keymap(void *data, struct wl_keyboard *keyboard, uint32_t format,
	      int32_t fd, uint32_t size)
{
	struct keymap_seen *seen = data;

	seen->fd = fd;
	seen->format = format;
	seen->size = size;
}

static void
handle_enter(void *data, struct wl_keyboard *keyboard, uint32_t serial,
	     struct wl_surface *surface, struct wl_array *keys)
{
}

static void
handle_leave(void *data, struct wl_keyboard *keyboard, uint32_t serial,
	     struct wl_surface *surface)
{
}

static void
handle_key(void *data, struct wl_keyboard *keyboard, uint32_t serial,
	   uint32_t time, uint32_t key, uint32_t state)
{
}

static void
handle_modifiers(void *data, struct wl_keyboard *keyboard, uint32_t serial,
		 uint32_t depressed, uint32_t latched, uint32_t locked,
		 uint32_t group)
{
}

static void
handle_repeat_info(void *data, struct wl_keyboard *keyboard, int32_t rate,
		   int32_t delay)
{
	struct keymap_seen *seen = data;

	seen->repeat_info = true;
	seen->rate = rate;
	seen->delay = delay;
}

static const struct wl_keyboard_listener keyboard_listener = {
	.keymap = handle_keymap,
	.enter = handle_enter,
	.leave = handle_leave,
	.key = handle_key,
	.modifiers = handle_modifiers,
	.repeat_info = handle_repeat_info,
};

TEST(keymap_is_a_sealed_read_only_xkb_file)
{
	const int seals =
		F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;
	struct keymap_seen seen = { .fd = -1 };
	struct compositor_process comp;
	struct demo_globals g;
	struct wl_keyboard *keyboard;
	struct stat st;
	char text[4096];
	char *map;

	compositor_process_start(&comp, "seat", size_args);
	connect_client(&g);
	keyboard = wl_seat_get_keyboard(g.seat);
	wl_keyboard_add_listener(keyboard, &keyboard_listener, &seen);
	check(wl_display_roundtrip(g.display) >= 0);

	check_msg(seen.fd >= 0, "no keymap event");
	check(seen.format == WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1);
	check_msg(seen.repeat_info && seen.rate > 0 && seen.delay > 0,
		  "repeat info %d/s after %d ms", seen.rate, seen.delay);
	/* Nobody can change it: read-only here, sealed everywhere. */
	check((fcntl(seen.fd, F_GETFL) & O_ACCMODE) == O_RDONLY);
	check_msg((fcntl(seen.fd, F_GET_SEALS) & seals) == seals, "seals 0x%x",
		  fcntl(seen.fd, F_GET_SEALS));
	check(ftruncate(seen.fd, 0) < 0);
	check(fstat(seen.fd, &st) == 0);
	check((uint64_t)st.st_size == seen.size);
	/* Version 7 clients must map it privately; it is a whole keymap
	 * with its terminating NUL. */
	map = mmap(NULL, seen.size, PROT_READ, MAP_PRIVATE, seen.fd, 0);
	check(map != MAP_FAILED);
	check(strncmp(map, "xkb_keymap {", strlen("xkb_keymap {")) == 0);
	check(map[seen.size - 1] == '\0');
	check(strstr(map, "xkb_symbols"));
	check(mmap(NULL, seen.size, PROT_READ | PROT_WRITE, MAP_SHARED, seen.fd,
		   0) == MAP_FAILED);
	check(munmap(map, seen.size) == 0);
	close(seen.fd);

	wl_keyboard_release(keyboard);
	demo_globals_finish(&g);
	compositor_process_stop(&comp, text, sizeof(text));
	check(compositor_stat(text, "protocol_errors") == 0);
}

/* Clipboard refusals */

struct source_seen {
	bool cancelled;
	/* what a send writes before closing the pipe */
	const char *text;
	unsigned int sends;
};

static void
handle_source_target(void *data, struct wl_data_source *source,
		     const char *mime_type)
{
}

static void
handle_source_send(void *data, struct wl_data_source *source,
		   const char *mime_type, int32_t fd)
{
	struct source_seen *seen = data;

	seen->sends++;
	if (seen->text)
		check(write(fd, seen->text, strlen(seen->text)) ==
		      (ssize_t)strlen(seen->text));
	close(fd);
}

static void
handle_source_cancelled(void *data, struct wl_data_source *source)
{
	struct source_seen *seen = data;

	seen->cancelled = true;
}

static void
handle_source_dnd(void *data, struct wl_data_source *source)
{
}

static void
handle_source_action(void *data, struct wl_data_source *source, uint32_t action)
{
}

static const struct wl_data_source_listener source_listener = {
	.target = handle_source_target,
	.send = handle_source_send,
	.cancelled = handle_source_cancelled,
	.dnd_drop_performed = handle_source_dnd,
	.dnd_finished = handle_source_dnd,
	.action = handle_source_action,
};

struct manager_find {
	struct wl_data_device_manager *manager;
};

static void
handle_global(void *data, struct wl_registry *registry, uint32_t name,
	      const char *interface, uint32_t version)
{
	struct manager_find *find = data;

	if (strcmp(interface, wl_data_device_manager_interface.name) == 0)
		find->manager = wl_registry_bind(
			registry, name, &wl_data_device_manager_interface, 3);
}

static void
handle_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = handle_global,
	.global_remove = handle_global_remove,
};

static struct wl_data_device_manager *
bind_manager(struct demo_globals *g, struct wl_registry **registry)
{
	struct manager_find find = { NULL };

	*registry = wl_display_get_registry(g->display);
	wl_registry_add_listener(*registry, &registry_listener, &find);
	check(wl_display_roundtrip(g->display) >= 0);
	check_msg(find.manager, "no wl_data_device_manager version 3");
	return find.manager;
}

TEST(drag_is_refused_and_a_used_source_is_an_error)
{
	struct source_seen seen = { false };
	struct wl_data_device_manager *manager;
	struct wl_data_source *source;
	struct wl_data_device *device;
	struct wl_registry *registry;
	const struct wl_interface *interface = NULL;
	struct compositor_process comp;
	struct demo_globals g, other;
	struct wl_surface *origin;
	char text[4096];

	compositor_process_start(&comp, "seat", size_args);
	connect_client(&g);
	manager = bind_manager(&g, &registry);
	device = wl_data_device_manager_get_data_device(manager, g.seat);
	source = wl_data_device_manager_create_data_source(manager);
	wl_data_source_add_listener(source, &source_listener, &seen);
	wl_data_source_offer(source, "text/plain");
	origin = wl_compositor_create_surface(g.compositor);

	/* Drag and drop is refused: the source hears at once. */
	wl_data_device_start_drag(device, source, origin, NULL, 1);
	check(wl_display_roundtrip(g.display) >= 0);
	check_msg(seen.cancelled, "the refused drag's source was not "
				  "cancelled");

	/* Its source cannot be used again. */
	wl_data_device_set_selection(device, source, 1);
	check(wl_display_roundtrip(g.display) < 0);
	check(wl_display_get_protocol_error(g.display, &interface, NULL) ==
	      WL_DATA_SOURCE_ERROR_INVALID_SOURCE);
	check(interface == &wl_data_source_interface);

	/* Another client is served as before. */
	connect_client(&other);
	check(wl_display_roundtrip(other.display) >= 0);
	demo_globals_finish(&other);

	wl_surface_destroy(origin);
	wl_data_source_destroy(source);
	wl_data_device_destroy(device);
	wl_data_device_manager_destroy(manager);
	wl_registry_destroy(registry);
	demo_globals_finish(&g);
	compositor_process_stop(&comp, text, sizeof(text));
}

/* A huge buffer */

static void
handle_configure(void *data, struct xdg_surface *xdg_surface, uint32_t serial)
{
	xdg_surface_ack_configure(xdg_surface, serial);
}

static const struct xdg_surface_listener xdg_surface_listener = {
	.configure = handle_configure,
};

/* A sparse memfd of @p size bytes sealed F_SEAL_SHRINK: pages are only
 * made where someone reads or writes. */
static int
sealed_sparse_memfd(off_t size)
{
	int fd = memfd_create("huge", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	check(fd >= 0);
	check(ftruncate(fd, size) == 0);
	check(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0);
	return fd;
}

TEST(huge_buffer_is_read_only_where_it_shows)
{
	const int32_t stride = HUGE_WIDTH * 4;
	const off_t size = (off_t)stride * HUGE_HEIGHT;
	struct demo_globals big, other;
	struct compositor_process comp;
	struct wl_shm_pool *pool;
	struct wl_buffer *buffer;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	struct wl_surface *surface;
	unsigned long long copied;
	char text[4096];
	double start, took;
	int fd;

	compositor_process_start(&comp, "seat", size_args);
	connect_client(&big);
	surface = wl_compositor_create_surface(big.compositor);
	xdg_surface = xdg_wm_base_get_xdg_surface(big.wm_base, surface);
	xdg_surface_add_listener(xdg_surface, &xdg_surface_listener, NULL);
	toplevel = xdg_surface_get_toplevel(xdg_surface);
	wl_surface_commit(surface);
	check(wl_display_roundtrip(big.display) >= 0);

	fd = sealed_sparse_memfd(size);
	pool = wl_shm_create_pool(big.shm, fd, (int32_t)size);
	buffer = wl_shm_pool_create_buffer(pool, 0, HUGE_WIDTH, HUGE_HEIGHT,
					   stride, WL_SHM_FORMAT_ARGB8888);
	close(fd);
	wl_surface_attach(surface, buffer, 0, 0);
	wl_surface_damage_buffer(surface, 0, 0, HUGE_WIDTH, HUGE_HEIGHT);
	wl_surface_commit(surface);
	check(wl_display_flush(big.display) >= 0);

	/* Queued behind that commit, another client's roundtrip is
	 * answered promptly: the compositor did not read 1 GiB or more.
	 * The limit is for liveness; a whole-buffer copy takes about a
	 * second here, and stalls for good on smaller machines. */
	start = now_seconds();
	connect_client(&other);
	check(wl_display_roundtrip(other.display) >= 0);
	took = now_seconds() - start;
	check_msg(took < 10, "the second client waited %.1f s", took);
	check(wl_display_roundtrip(big.display) >= 0);
	demo_globals_finish(&other);

	wl_buffer_destroy(buffer);
	wl_shm_pool_destroy(pool);
	xdg_toplevel_destroy(toplevel);
	xdg_surface_destroy(xdg_surface);
	wl_surface_destroy(surface);
	demo_globals_finish(&big);
	compositor_process_stop(&comp, text, sizeof(text));
	check(compositor_stat(text, "protocol_errors") == 0);
	/* What it read is bounded by the output, not by the buffer. */
	copied = compositor_stat(text, "pixels_copied");
	check_msg(copied > 0 && copied <= (unsigned long long)OUTPUT_WIDTH *
						  OUTPUT_HEIGHT,
		  "%llu pixels copied of a %dx%d buffer, output %dx%d", copied,
		  HUGE_WIDTH, HUGE_HEIGHT, OUTPUT_WIDTH, OUTPUT_HEIGHT);
}

/* A paste */

struct sink {
	struct wl_data_offer *offer;
	bool text_plain;
	/* a selection event came, and the offer it named (NULL: none) */
	bool selection_seen;
	struct wl_data_offer *selection;
};

static void
handle_offer_offer(void *data, struct wl_data_offer *offer,
		   const char *mime_type)
{
	struct sink *sink = data;

	if (strcmp(mime_type, "text/plain") == 0)
		sink->text_plain = true;
}

static void
handle_offer_actions(void *data, struct wl_data_offer *offer, uint32_t actions)
{
}

static const struct wl_data_offer_listener offer_listener = {
	.offer = handle_offer_offer,
	.source_actions = handle_offer_actions,
	.action = handle_offer_actions,
};

static void
handle_data_offer(void *data, struct wl_data_device *device,
		  struct wl_data_offer *offer)
{
	struct sink *sink = data;

	if (sink->offer)
		wl_data_offer_destroy(sink->offer);
	sink->offer = offer;
	sink->text_plain = false;
	wl_data_offer_add_listener(offer, &offer_listener, sink);
}

static void
handle_device_enter(void *data, struct wl_data_device *device, uint32_t serial,
		    struct wl_surface *surface, wl_fixed_t x, wl_fixed_t y,
		    struct wl_data_offer *offer)
{
}

static void
handle_device_leave(void *data, struct wl_data_device *device)
{
}

static void
handle_device_motion(void *data, struct wl_data_device *device, uint32_t time,
		     wl_fixed_t x, wl_fixed_t y)
{
}

static void
handle_device_selection(void *data, struct wl_data_device *device,
			struct wl_data_offer *offer)
{
	struct sink *sink = data;

	sink->selection_seen = true;
	sink->selection = offer;
}

static const struct wl_data_device_listener device_listener = {
	.data_offer = handle_data_offer,
	.enter = handle_device_enter,
	.leave = handle_device_leave,
	.motion = handle_device_motion,
	.drop = handle_device_leave,
	.selection = handle_device_selection,
};

TEST(paste_from_a_stalled_source_blocks_nobody)
{
	struct source_seen seen = { .text = "hi" };
	struct wl_data_device_manager *source_manager, *sink_manager;
	struct wl_registry *source_registry, *sink_registry;
	struct wl_data_device *source_device, *sink_device;
	struct demo_globals source_g, sink_g, other;
	struct sink sink = { NULL };
	struct compositor_process comp;
	struct wl_data_source *source;
	struct wl_surface *surface;
	struct xdg_surface *xdg_surface;
	struct xdg_toplevel *toplevel;
	struct wl_shm_pool *pool;
	struct wl_buffer *buffer;
	struct pollfd pfd;
	char text[4096], got[8] = "";
	int fds[2], fd, i;
	double start, took;

	compositor_process_start(&comp, "seat", size_args);
	connect_client(&source_g);
	source_manager = bind_manager(&source_g, &source_registry);
	source_device = wl_data_device_manager_get_data_device(source_manager,
							       source_g.seat);
	source = wl_data_device_manager_create_data_source(source_manager);
	wl_data_source_add_listener(source, &source_listener, &seen);
	wl_data_source_offer(source, "text/plain");
	wl_data_device_set_selection(source_device, source, 0);
	check(wl_display_roundtrip(source_g.display) >= 0);
	check(!seen.cancelled);

	/* The sink's window maps, takes the focus and is offered the
	 * selection. */
	connect_client(&sink_g);
	sink_manager = bind_manager(&sink_g, &sink_registry);
	sink_device = wl_data_device_manager_get_data_device(sink_manager,
							     sink_g.seat);
	wl_data_device_add_listener(sink_device, &device_listener, &sink);
	surface = wl_compositor_create_surface(sink_g.compositor);
	xdg_surface = xdg_wm_base_get_xdg_surface(sink_g.wm_base, surface);
	xdg_surface_add_listener(xdg_surface, &xdg_surface_listener, NULL);
	toplevel = xdg_surface_get_toplevel(xdg_surface);
	wl_surface_commit(surface);
	check(wl_display_roundtrip(sink_g.display) >= 0);
	fd = sealed_sparse_memfd(64 * 64 * 4);
	pool = wl_shm_create_pool(sink_g.shm, fd, 64 * 64 * 4);
	buffer = wl_shm_pool_create_buffer(pool, 0, 64, 64, 64 * 4,
					   WL_SHM_FORMAT_XRGB8888);
	close(fd);
	wl_surface_attach(surface, buffer, 0, 0);
	wl_surface_commit(surface);
	check(wl_display_roundtrip(sink_g.display) >= 0);
	check_msg(sink.selection_seen && sink.selection &&
			  sink.selection == sink.offer && sink.text_plain,
		  "the focused client was not offered the selection");

	/* The source does not read its socket: the paste waits for it,
	 * and nobody else does. */
	check(pipe2(fds, O_CLOEXEC) == 0);
	wl_data_offer_receive(sink.selection, "text/plain", fds[1]);
	close(fds[1]);
	check(wl_display_roundtrip(sink_g.display) >= 0);
	start = now_seconds();
	connect_client(&other);
	check(wl_display_roundtrip(other.display) >= 0);
	took = now_seconds() - start;
	check_msg(took < 10, "another client waited %.1f s", took);
	demo_globals_finish(&other);
	pfd = (struct pollfd){ fds[0], POLLIN, 0 };
	check(poll(&pfd, 1, 0) == 0);

	/* Once it reads, the text goes through the pipe. */
	check(wl_display_roundtrip(source_g.display) >= 0);
	check(seen.sends == 1);
	for (i = 0; i < 2 && read(fds[0], got + i, 1) == 1; i++)
		;
	check_msg(strcmp(got, "hi") == 0, "pasted '%s'", got);
	close(fds[0]);

	/* The source goes: the focused client hears the selection is
	 * empty. */
	wl_data_source_destroy(source);
	check(wl_display_roundtrip(source_g.display) >= 0);
	sink.selection_seen = false;
	check(wl_display_roundtrip(sink_g.display) >= 0);
	check(sink.selection_seen && !sink.selection);

	wl_data_offer_destroy(sink.offer);
	wl_buffer_destroy(buffer);
	wl_shm_pool_destroy(pool);
	xdg_toplevel_destroy(toplevel);
	xdg_surface_destroy(xdg_surface);
	wl_surface_destroy(surface);
	wl_data_device_destroy(sink_device);
	wl_data_device_manager_destroy(sink_manager);
	wl_registry_destroy(sink_registry);
	demo_globals_finish(&sink_g);
	wl_data_device_destroy(source_device);
	wl_data_device_manager_destroy(source_manager);
	wl_registry_destroy(source_registry);
	demo_globals_finish(&source_g);
	compositor_process_stop(&comp, text, sizeof(text));
	check(compositor_stat(text, "protocol_errors") == 0);
}
