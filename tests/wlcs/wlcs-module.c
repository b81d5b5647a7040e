/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * wlcs integration module: runs the sealshm-compositor core in-process for
 * the Wayland Conformance Suite.  The core's event loop runs on a thread of
 * its own; every call from wlcs is carried over to that thread and waited
 * for, so the core never sees two threads.  Pointers, touchscreens and
 * keyboards (WlcsDisplayServer version 4, see wlcs-keyboard.h) inject
 * their events through the core's seat.
 */

#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <wayland-client.h>
#include <wayland-server-core.h>

#include <wlcs/display_server.h>
#include <wlcs/pointer.h>
#include <wlcs/touch.h>

#include "comp.h"
#include "export.h"
#include "wlcs-keyboard.h"

struct module_server;

/* A function to run on the compositor's thread; results go in data. */
struct loop_call {
	void (*func)(struct module_server *server, void *data);
	void *data;
};

/* One wl_client made by create_client_socket, found again from wlcs's
 * client-side wl_display by the fd number it connected with. */
struct module_client {
	struct wl_list link;
	int client_fd;
	struct wl_client *client;
	struct wl_listener destroy;
};

struct module_server {
	/* version 4: with create_keyboard (wlcs-keyboard.h) */
	struct wlcs_compat_server_v4 base;
	WlcsIntegrationDescriptor descriptor;
	WlcsExtensionDescriptor *extensions;
	/* names of the extensions, owned */
	char **names;

	struct comp_server *comp;
	struct wl_display *display;
	struct wl_event_loop *loop;

	pthread_t thread;
	bool running;

	/* run_on_loop(): an eventfd wakes the loop thread, which runs
	 * *call and sets call_done; lock and cond guard both. */
	int call_fd;
	struct wl_event_source *call_source;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	const struct loop_call *call;
	bool call_done;

	struct wl_list clients;
	int32_t next_touch_id;
};

struct module_pointer {
	WlcsPointer base;
	struct module_server *server;
	double x, y;
};

/* A keyboard; the keys it holds are released when it goes. */
struct module_keyboard {
	WlcsKeyboard base;
	struct module_server *server;
	struct wl_array keys;
};

struct module_touch {
	WlcsTouch base;
	struct module_server *server;
	int32_t id;
	bool down;
};

static uint32_t
now_msec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static int
handle_call(int fd, uint32_t mask, void *data)
{
	struct module_server *server = data;
	const struct loop_call *call;
	uint64_t count;

	if (read(fd, &count, sizeof count) != sizeof count)
		return 0;

	pthread_mutex_lock(&server->lock);
	call = server->call;
	pthread_mutex_unlock(&server->lock);
	if (!call)
		return 0;

	call->func(server, call->data);
	/* wlcs reads the events a call produced right after it returns. */
	wl_display_flush_clients(server->display);

	pthread_mutex_lock(&server->lock);
	server->call_done = true;
	pthread_cond_broadcast(&server->cond);
	pthread_mutex_unlock(&server->lock);
	return 0;
}

/*
 * Run @p func on the compositor's thread and wait for it.  Before start
 * and after stop nobody else touches the core, so the call is direct.
 */
static void
run_on_loop(struct module_server *server,
	    void (*func)(struct module_server *server, void *data), void *data)
{
	const struct loop_call call = { func, data };
	const uint64_t one = 1;

	if (!server->running) {
		func(server, data);
		return;
	}

	pthread_mutex_lock(&server->lock);
	while (server->call)
		pthread_cond_wait(&server->cond, &server->lock);
	server->call = &call;
	server->call_done = false;
	if (write(server->call_fd, &one, sizeof one) != sizeof one)
		abort();
	while (!server->call_done)
		pthread_cond_wait(&server->cond, &server->lock);
	server->call = NULL;
	pthread_cond_broadcast(&server->cond);
	pthread_mutex_unlock(&server->lock);
}

static void *
loop_thread(void *data)
{
	struct module_server *server = data;

	comp_server_run(server->comp);
	return NULL;
}

static void
server_start(WlcsDisplayServer *base)
{
	struct module_server *server =
		wl_container_of(base, server, base.server);
	int ret;

	ret = pthread_create(&server->thread, NULL, loop_thread, server);
	if (ret != 0) {
		fprintf(stderr, "wlcs module: pthread_create: %s\n",
			strerror(ret));
		abort();
	}
	server->running = true;
}

static void
server_stop(WlcsDisplayServer *base)
{
	struct module_server *server =
		wl_container_of(base, server, base.server);

	if (!server->running)
		return;
	comp_server_terminate(server->comp);
	pthread_join(server->thread, NULL);
	server->running = false;
}

static void
handle_client_destroy(struct wl_listener *listener, void *data)
{
	struct module_client *mc = wl_container_of(listener, mc, destroy);

	wl_list_remove(&mc->link);
	wl_list_remove(&mc->destroy.link);
	free(mc);
}

struct socket_call {
	int fd;
};

static void
do_create_client_socket(struct module_server *server, void *data)
{
	struct socket_call *sc = data;
	struct module_client *mc;
	int fds[2];

	sc->fd = -1;
	mc = calloc(1, sizeof *mc);
	if (!mc)
		return;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
		goto err_free;
	mc->client = wl_client_create(server->display, fds[0]);
	if (!mc->client)
		goto err_close;
	mc->client_fd = fds[1];
	mc->destroy.notify = handle_client_destroy;
	wl_client_add_destroy_listener(mc->client, &mc->destroy);
	/* Newest first: a reused fd number finds the live client. */
	wl_list_insert(&server->clients, &mc->link);
	sc->fd = fds[1];
	return;

err_close:
	close(fds[0]);
	close(fds[1]);
err_free:
	free(mc);
}

static int
server_create_client_socket(WlcsDisplayServer *base)
{
	struct module_server *server =
		wl_container_of(base, server, base.server);
	struct socket_call sc;

	run_on_loop(server, do_create_client_socket, &sc);
	return sc.fd;
}

struct position_call {
	int client_fd;
	uint32_t surface_id;
	int x, y;
};

static void
do_position_window(struct module_server *server, void *data)
{
	struct position_call *pc = data;
	struct module_client *mc;
	struct wl_resource *surface = NULL;

	wl_list_for_each (mc, &server->clients, link) {
		if (mc->client_fd == pc->client_fd) {
			surface = wl_client_get_object(mc->client,
						       pc->surface_id);
			break;
		}
	}
	if (!surface || strcmp(wl_resource_get_class(surface), "wl_surface")) {
		fprintf(stderr,
			"wlcs module: position_window_absolute: "
			"no wl_surface %u on client fd %d\n",
			pc->surface_id, pc->client_fd);
		return;
	}
	if (!comp_server_position_surface(server->comp, surface, pc->x, pc->y))
		fprintf(stderr,
			"wlcs module: position_window_absolute: "
			"surface %u is not a toplevel\n",
			pc->surface_id);
}

static void
server_position_window_absolute(WlcsDisplayServer *base,
				struct wl_display *client,
				struct wl_surface *surface, int x, int y)
{
	struct module_server *server =
		wl_container_of(base, server, base.server);
	struct position_call pc = {
		/* wlcs connected with the fd create_client_socket returned */
		.client_fd = wl_display_get_fd(client),
		.surface_id = wl_proxy_get_id((struct wl_proxy *)surface),
		.x = x,
		.y = y,
	};

	run_on_loop(server, do_position_window, &pc);
}

struct pointer_call {
	struct module_pointer *pointer;
	int button;
	bool pressed;
};

static void
do_pointer_motion(struct module_server *server, void *data)
{
	struct pointer_call *pc = data;

	comp_server_pointer_motion(server->comp, now_msec(), pc->pointer->x,
				   pc->pointer->y);
}

static void
do_pointer_button(struct module_server *server, void *data)
{
	struct pointer_call *pc = data;

	comp_server_pointer_button(server->comp, now_msec(),
				   (uint32_t)pc->button, pc->pressed);
}

static void
pointer_move_absolute(WlcsPointer *base, wl_fixed_t x, wl_fixed_t y)
{
	struct module_pointer *pointer = wl_container_of(base, pointer, base);
	struct pointer_call pc = { .pointer = pointer };

	pointer->x = wl_fixed_to_double(x);
	pointer->y = wl_fixed_to_double(y);
	run_on_loop(pointer->server, do_pointer_motion, &pc);
}

static void
pointer_move_relative(WlcsPointer *base, wl_fixed_t dx, wl_fixed_t dy)
{
	struct module_pointer *pointer = wl_container_of(base, pointer, base);
	struct pointer_call pc = { .pointer = pointer };

	pointer->x += wl_fixed_to_double(dx);
	pointer->y += wl_fixed_to_double(dy);
	run_on_loop(pointer->server, do_pointer_motion, &pc);
}

static void
pointer_button_down(WlcsPointer *base, int button)
{
	struct module_pointer *pointer = wl_container_of(base, pointer, base);
	struct pointer_call pc = {
		.pointer = pointer,
		.button = button,
		.pressed = true,
	};

	run_on_loop(pointer->server, do_pointer_button, &pc);
}

static void
pointer_button_up(WlcsPointer *base, int button)
{
	struct module_pointer *pointer = wl_container_of(base, pointer, base);
	struct pointer_call pc = {
		.pointer = pointer,
		.button = button,
		.pressed = false,
	};

	run_on_loop(pointer->server, do_pointer_button, &pc);
}

static void
pointer_destroy(WlcsPointer *base)
{
	struct module_pointer *pointer = wl_container_of(base, pointer, base);

	free(pointer);
}

static WlcsPointer *
server_create_pointer(WlcsDisplayServer *base)
{
	struct module_server *server =
		wl_container_of(base, server, base.server);
	struct module_pointer *pointer;

	pointer = calloc(1, sizeof *pointer);
	if (!pointer)
		return NULL;
	pointer->base = (WlcsPointer){
		.version = WLCS_POINTER_VERSION,
		.move_absolute = pointer_move_absolute,
		.move_relative = pointer_move_relative,
		.button_up = pointer_button_up,
		.button_down = pointer_button_down,
		.destroy = pointer_destroy,
	};
	pointer->server = server;
	return &pointer->base;
}

enum touch_action {
	TOUCH_DOWN,
	TOUCH_MOTION,
	TOUCH_UP,
};

struct touch_call {
	struct module_touch *touch;
	enum touch_action action;
	double x, y;
};

static void
do_touch_add(struct module_server *server, void *data)
{
	struct module_touch *touch = data;

	touch->id = server->next_touch_id++;
}

static void
do_touch_remove(struct module_server *server, void *data)
{
	struct module_touch *touch = data;

	if (touch->down)
		comp_server_touch_up(server->comp, now_msec(), touch->id);
}

static void
do_touch(struct module_server *server, void *data)
{
	struct touch_call *tc = data;
	struct module_touch *touch = tc->touch;

	switch (tc->action) {
	case TOUCH_DOWN:
		comp_server_touch_down(server->comp, now_msec(), touch->id,
				       tc->x, tc->y);
		touch->down = true;
		break;
	case TOUCH_MOTION:
		comp_server_touch_motion(server->comp, now_msec(), touch->id,
					 tc->x, tc->y);
		break;
	case TOUCH_UP:
		comp_server_touch_up(server->comp, now_msec(), touch->id);
		touch->down = false;
		break;
	}
}

/*
 * The header types touch coordinates as wl_fixed_t, but wlcs passes whole
 * compositor pixels in them (Touch::down_at(int x, int y) forwards the ints
 * as they are, unlike the pointer's wl_fixed_from_int), and the reference
 * integration, Mir's, reads them as ints: so do we.
 */
static double
touch_coordinate(wl_fixed_t value)
{
	return (double)value;
}

static void
touch_down(WlcsTouch *base, wl_fixed_t x, wl_fixed_t y)
{
	struct module_touch *touch = wl_container_of(base, touch, base);
	struct touch_call tc = {
		.touch = touch,
		.action = TOUCH_DOWN,
		.x = touch_coordinate(x),
		.y = touch_coordinate(y),
	};

	run_on_loop(touch->server, do_touch, &tc);
}

static void
touch_move(WlcsTouch *base, wl_fixed_t x, wl_fixed_t y)
{
	struct module_touch *touch = wl_container_of(base, touch, base);
	struct touch_call tc = {
		.touch = touch,
		.action = TOUCH_MOTION,
		.x = touch_coordinate(x),
		.y = touch_coordinate(y),
	};

	run_on_loop(touch->server, do_touch, &tc);
}

static void
touch_up(WlcsTouch *base)
{
	struct module_touch *touch = wl_container_of(base, touch, base);
	struct touch_call tc = { .touch = touch, .action = TOUCH_UP };

	run_on_loop(touch->server, do_touch, &tc);
}

static void
touch_destroy(WlcsTouch *base)
{
	struct module_touch *touch = wl_container_of(base, touch, base);

	run_on_loop(touch->server, do_touch_remove, touch);
	free(touch);
}

static WlcsTouch *
server_create_touch(WlcsDisplayServer *base)
{
	struct module_server *server =
		wl_container_of(base, server, base.server);
	struct module_touch *touch;

	touch = calloc(1, sizeof *touch);
	if (!touch)
		return NULL;
	touch->base = (WlcsTouch){
		.version = WLCS_TOUCH_VERSION,
		.touch_down = touch_down,
		.touch_move = touch_move,
		.touch_up = touch_up,
		.destroy = touch_destroy,
	};
	touch->server = server;
	run_on_loop(server, do_touch_add, touch);
	return &touch->base;
}

struct key_call {
	struct module_keyboard *keyboard;
	uint32_t key;
	bool pressed;
};

static void
do_key(struct module_server *server, void *data)
{
	struct key_call *kc = data;
	struct module_keyboard *keyboard = kc->keyboard;
	uint32_t *key;

	wl_array_for_each (key, &keyboard->keys) {
		if (*key == kc->key) {
			/* A second press of a held key means nothing. */
			if (kc->pressed)
				return;
			*key = ((uint32_t *)keyboard->keys.data)
				[keyboard->keys.size / sizeof(*key) - 1];
			keyboard->keys.size -= sizeof(*key);
			goto send;
		}
	}
	if (!kc->pressed)
		return;
	key = wl_array_add(&keyboard->keys, sizeof(*key));
	if (!key)
		return;
	*key = kc->key;
send:
	comp_server_keyboard_key(server->comp, now_msec(), kc->key,
				 kc->pressed);
}

static void
keyboard_key_down(WlcsKeyboard *base, int scancode)
{
	struct module_keyboard *keyboard =
		wl_container_of(base, keyboard, base);
	struct key_call kc = { keyboard, (uint32_t)scancode, true };

	run_on_loop(keyboard->server, do_key, &kc);
}

static void
keyboard_key_up(WlcsKeyboard *base, int scancode)
{
	struct module_keyboard *keyboard =
		wl_container_of(base, keyboard, base);
	struct key_call kc = { keyboard, (uint32_t)scancode, false };

	run_on_loop(keyboard->server, do_key, &kc);
}

static void
do_keyboard_release_all(struct module_server *server, void *data)
{
	struct module_keyboard *keyboard = data;
	uint32_t *key;

	wl_array_for_each (key, &keyboard->keys)
		comp_server_keyboard_key(server->comp, now_msec(), *key, false);
	keyboard->keys.size = 0;
}

static void
keyboard_destroy(WlcsKeyboard *base)
{
	struct module_keyboard *keyboard =
		wl_container_of(base, keyboard, base);

	run_on_loop(keyboard->server, do_keyboard_release_all, keyboard);
	wl_array_release(&keyboard->keys);
	free(keyboard);
}

static WlcsKeyboard *
server_create_keyboard(WlcsDisplayServer *base)
{
	struct module_server *server =
		wl_container_of(base, server, base.server);
	struct module_keyboard *keyboard;

	keyboard = calloc(1, sizeof *keyboard);
	if (!keyboard)
		return NULL;
	keyboard->base = (WlcsKeyboard){
		.version = WLCS_KEYBOARD_VERSION,
		.key_down = keyboard_key_down,
		.key_up = keyboard_key_up,
		.destroy = keyboard_destroy,
	};
	keyboard->server = server;
	wl_array_init(&keyboard->keys);
	return &keyboard->base;
}

static const WlcsIntegrationDescriptor *
server_get_descriptor(const WlcsDisplayServer *base)
{
	const struct module_server *server =
		wl_container_of(base, server, base.server);

	return &server->descriptor;
}

struct registry_scan {
	struct module_server *server;
	bool done;
	bool failed;
};

static void
handle_global(void *data, struct wl_registry *registry, uint32_t name,
	      const char *interface, uint32_t version)
{
	struct registry_scan *scan = data;
	struct module_server *server = scan->server;
	size_t n = server->descriptor.num_extensions;
	WlcsExtensionDescriptor *extensions;
	char **names;

	names = realloc(server->names, (n + 1) * sizeof *names);
	if (!names)
		goto fail;
	server->names = names;
	extensions = realloc(server->extensions, (n + 1) * sizeof *extensions);
	if (!extensions)
		goto fail;
	server->extensions = extensions;
	names[n] = strdup(interface);
	if (!names[n])
		goto fail;
	extensions[n].name = names[n];
	extensions[n].version = version;
	server->descriptor.num_extensions = n + 1;
	server->descriptor.supported_extensions = extensions;
	return;

fail:
	scan->failed = true;
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
handle_sync_done(void *data, struct wl_callback *callback, uint32_t time)
{
	struct registry_scan *scan = data;

	scan->done = true;
	wl_callback_destroy(callback);
}

static const struct wl_callback_listener sync_listener = {
	.done = handle_sync_done,
};

/*
 * The descriptor lists what the core really advertises: read the
 * registry through a connection of our own before the loop thread runs,
 * driving both ends from here.
 */
static int
scan_globals(struct module_server *server)
{
	struct registry_scan scan = { .server = server };
	struct wl_display *remote;
	struct wl_registry *registry;
	struct wl_callback *callback;
	struct wl_client *client;
	struct pollfd pfd;
	int fds[2];
	int tries;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
		return -1;
	client = wl_client_create(server->display, fds[0]);
	if (!client) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	remote = wl_display_connect_to_fd(fds[1]);
	if (!remote) {
		close(fds[1]);
		wl_client_destroy(client);
		return -1;
	}
	registry = wl_display_get_registry(remote);
	wl_registry_add_listener(registry, &registry_listener, &scan);
	callback = wl_display_sync(remote);
	wl_callback_add_listener(callback, &sync_listener, &scan);

	pfd.fd = fds[1];
	pfd.events = POLLIN;
	for (tries = 0; !scan.done && tries < 100; tries++) {
		if (wl_display_flush(remote) < 0)
			break;
		wl_event_loop_dispatch(server->loop, 0);
		wl_display_flush_clients(server->display);
		while (wl_display_prepare_read(remote) != 0)
			wl_display_dispatch_pending(remote);
		if (poll(&pfd, 1, 100) > 0)
			wl_display_read_events(remote);
		else
			wl_display_cancel_read(remote);
		wl_display_dispatch_pending(remote);
	}

	if (!scan.done)
		wl_callback_destroy(callback);
	wl_registry_destroy(registry);
	wl_display_disconnect(remote);
	wl_client_destroy(client);
	return scan.done && !scan.failed ? 0 : -1;
}

static void
usage_error(const char *arg)
{
	fprintf(stderr,
		"wlcs module: unknown option '%s'; the module takes "
		"--policy strict|seal|copy\n",
		arg);
}

static WlcsDisplayServer *
create_server(int argc, const char **argv)
{
	struct comp_options options = {
		.no_socket = true,
		.backend = COMP_BACKEND_HEADLESS,
	};
	struct module_server *server;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--policy") == 0 && i + 1 < argc) {
			if (!sealshm_policy_from_name(argv[++i],
						      &options.policy)) {
				fprintf(stderr,
					"wlcs module: unknown policy "
					"'%s'\n",
					argv[i]);
				return NULL;
			}
		} else {
			usage_error(argv[i]);
			return NULL;
		}
	}

	server = calloc(1, sizeof *server);
	if (!server)
		return NULL;
	server->base.server = (WlcsDisplayServer){
		/* 4: create_keyboard; start_on_this_thread (3) stays NULL,
		 * as start is given */
		.version = 4,
		.start = server_start,
		.stop = server_stop,
		.create_client_socket = server_create_client_socket,
		.position_window_absolute = server_position_window_absolute,
		.create_pointer = server_create_pointer,
		.create_touch = server_create_touch,
		.get_descriptor = server_get_descriptor,
	};
	WLCS_COMPAT_CREATE_KEYBOARD(&server->base) = server_create_keyboard;
	server->descriptor.version = 1;
	wl_list_init(&server->clients);
	pthread_mutex_init(&server->lock, NULL);
	pthread_cond_init(&server->cond, NULL);

	server->comp = comp_server_create(&options);
	if (!server->comp)
		goto err_free;
	server->display = comp_server_get_display(server->comp);
	server->loop = comp_server_get_event_loop(server->comp);
	/* The seat has its pointer and touchscreen from the start, so that
	 * every wlcs client binds wl_pointer and wl_touch when it connects,
	 * as on a desktop: a capability that appears only when a test calls
	 * create_pointer() reaches a client after the events the test
	 * waits for (wlcs roundtrips once, and the client's get_pointer
	 * answering the new capability follows its wl_display.sync). */
	comp_server_set_seat_capabilities(server->comp,
					  WL_SEAT_CAPABILITY_KEYBOARD |
						  WL_SEAT_CAPABILITY_POINTER |
						  WL_SEAT_CAPABILITY_TOUCH);

	server->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (server->call_fd < 0)
		goto err_comp;
	server->call_source =
		wl_event_loop_add_fd(server->loop, server->call_fd,
				     WL_EVENT_READABLE, handle_call, server);
	if (!server->call_source)
		goto err_fd;
	if (scan_globals(server) < 0) {
		fprintf(stderr, "wlcs module: could not list the globals\n");
		goto err_source;
	}
	return &server->base.server;

err_source:
	wl_event_source_remove(server->call_source);
err_fd:
	close(server->call_fd);
err_comp:
	comp_server_destroy(server->comp);
err_free:
	for (size_t n = 0; n < server->descriptor.num_extensions; n++)
		free(server->names[n]);
	free(server->names);
	free(server->extensions);
	pthread_cond_destroy(&server->cond);
	pthread_mutex_destroy(&server->lock);
	free(server);
	return NULL;
}

static void
destroy_server(WlcsDisplayServer *base)
{
	struct module_server *server =
		wl_container_of(base, server, base.server);
	size_t n;

	server_stop(base);
	wl_event_source_remove(server->call_source);
	close(server->call_fd);
	/* Destroying the core destroys every client; their destroy
	 * listeners free the module_client entries. */
	comp_server_destroy(server->comp);
	assert(wl_list_empty(&server->clients));
	for (n = 0; n < server->descriptor.num_extensions; n++)
		free(server->names[n]);
	free(server->names);
	free(server->extensions);
	pthread_cond_destroy(&server->cond);
	pthread_mutex_destroy(&server->lock);
	free(server);
}

SEALSHM_EXPORT const WlcsServerIntegration wlcs_server_integration = {
	.version = 1,
	.create_server = create_server,
	.destroy_server = destroy_server,
};
