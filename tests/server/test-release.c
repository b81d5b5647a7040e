/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * wl_shm version 2: the global is advertised at version 2 and the release
 * request destroys the wl_shm object while its pools and buffers live on.
 * The client side uses the project's generated version 2 code, so this
 * program includes only the core client header, not wayland-client.h.
 */

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <wayland-client-core.h>

/* From libwayland-client; wayland-client-protocol.h would clash. */
extern const struct wl_interface wl_buffer_interface;
extern const struct wl_interface wl_registry_interface;

#include "sealshm-shm-client-protocol.h"
#include "server-test.h"
#include "shm-file.h"
#include "test-runner.h"

#define POOL_SIZE 65536

/* Client to server: the released wl_shm's id; server to client: go on. */
static int to_server[2], to_client[2];

struct v2_client {
	struct wl_shm *shm;
	uint32_t version;
	int formats;
};

static void
handle_format(void *data, struct wl_shm *shm, uint32_t format)
{
	struct v2_client *c = data;

	c->formats++;
}

static const struct wl_shm_listener shm_listener = {
	.format = handle_format,
};

/* wl_registry by hand: its generated code lives in wayland-client.h. */
#define DISPLAY_GET_REGISTRY 1
#define REGISTRY_BIND 0

struct registry_listener {
	void (*global)(void *data, struct wl_proxy *registry, uint32_t name,
		       const char *interface, uint32_t version);
	void (*global_remove)(void *data, struct wl_proxy *registry,
			      uint32_t name);
};

static void
handle_global(void *data, struct wl_proxy *registry, uint32_t name,
	      const char *interface, uint32_t version)
{
	struct v2_client *c = data;

	if (strcmp(interface, wl_shm_interface.name) != 0)
		return;
	c->version = version;
	c->shm = (struct wl_shm *)wl_proxy_marshal_constructor_versioned(
		registry, REGISTRY_BIND, &wl_shm_interface, 2, name,
		wl_shm_interface.name, 2, NULL);
	wl_shm_add_listener(c->shm, &shm_listener, c);
}

static void
handle_global_remove(void *data, struct wl_proxy *registry, uint32_t name)
{
}

static const struct registry_listener registry_listener = {
	.global = handle_global,
	.global_remove = handle_global_remove,
};

static void
client_release(void *data)
{
	struct wl_display *display = wl_display_connect(NULL);
	struct v2_client c = { 0 };
	struct wl_proxy *registry;
	struct wl_shm_pool *pool;
	struct wl_buffer *buffer;
	uint32_t id;
	int fd;

	check(display);
	registry = wl_proxy_marshal_constructor((struct wl_proxy *)display,
						DISPLAY_GET_REGISTRY,
						&wl_registry_interface, NULL);
	check(registry);
	wl_proxy_add_listener(registry, (void (**)(void)) & registry_listener,
			      &c);
	check(wl_display_roundtrip(display) >= 0);
	check(c.shm);
	check(c.version == 2);
	check(wl_display_roundtrip(display) >= 0);
	check(c.formats > 2);

	fd = shm_file_create_sealable("sealshm-test");
	check(fd >= 0);
	check(ftruncate(fd, POOL_SIZE) == 0);
	check(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0);
	pool = wl_shm_create_pool(c.shm, fd, POOL_SIZE);
	close(fd);
	id = wl_proxy_get_id((struct wl_proxy *)c.shm);
	wl_shm_release(c.shm);
	check(wl_display_roundtrip(display) >= 0);
	check(write(to_server[1], &id, sizeof(id)) == sizeof(id));
	check(read(to_client[0], &id, sizeof(id)) == sizeof(id));

	/* The pool outlives the wl_shm it came from. */
	buffer = wl_shm_pool_create_buffer(pool, 0, 16, 16, 64, 0);
	wl_shm_pool_resize(pool, POOL_SIZE);
	check(wl_display_roundtrip(display) >= 0);
	/* wl_buffer.destroy is opcode 0. */
	wl_proxy_marshal((struct wl_proxy *)buffer, 0);
	wl_proxy_destroy((struct wl_proxy *)buffer);
	wl_shm_pool_destroy(pool);
	check(wl_display_roundtrip(display) >= 0);
	wl_proxy_destroy(registry);
	wl_display_disconnect(display);
}

TEST(release_request_of_version_2)
{
	struct fixture *f = fixture_create(NULL, NULL, NULL);
	struct sealshm_stats stats;
	struct wl_client *client;
	uint32_t id = 0;

	check(pipe2(to_server, O_CLOEXEC | O_NONBLOCK) == 0);
	check(pipe2(to_client, O_CLOEXEC) == 0);
	test_display_spawn(f->d, client_release, NULL);
	while (read(to_server[0], &id, sizeof(id)) != sizeof(id))
		test_display_dispatch(f->d, 10);

	/* The server destroyed its wl_shm resource on release. */
	client = wl_client_from_link(
		wl_display_get_client_list(f->d->display)->next);
	check(id != 0);
	check(wl_client_get_object(client, id) == NULL);
	check(write(to_client[1], &id, sizeof(id)) == sizeof(id));

	fixture_run(f);
	for (int i = 0; i < 2; i++) {
		close(to_server[i]);
		close(to_client[i]);
	}
	sealshm_get_stats(f->shm, &stats, sizeof(stats));
	check(stats.pools_accepted == 1);
	check(stats.buffers_created == 1);
	check(stats.resizes_accepted == 1);
	check(stats.clients_disconnected == 0);
	fixture_check_baseline(f);
	fixture_destroy(f);
}
