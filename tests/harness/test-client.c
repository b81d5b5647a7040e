/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shm-file.h"
#include "test-client.h"
#include "test-runner.h"

static void
handle_format(void *data, struct wl_shm *shm, uint32_t format)
{
	struct test_client *c = data;

	if (c->formats_len < (int)(sizeof(c->formats) / sizeof(c->formats[0])))
		c->formats[c->formats_len++] = format;
}

static const struct wl_shm_listener shm_listener = {
	.format = handle_format,
};

static void
handle_global(void *data, struct wl_registry *registry, uint32_t name,
	      const char *interface, uint32_t version)
{
	struct test_client *c = data;

	if (strcmp(interface, wl_shm_interface.name) == 0) {
		c->shm_version = version;
		c->shm = wl_registry_bind(registry, name, &wl_shm_interface, 1);
		wl_shm_add_listener(c->shm, &shm_listener, c);
	} else if (strcmp(interface, wl_compositor_interface.name) == 0) {
		c->compositor = wl_registry_bind(registry, name,
						 &wl_compositor_interface, 4);
	}
}

static void
handle_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = handle_global,
	.global_remove = handle_global_remove,
};

struct test_client *
test_client_connect(void)
{
	struct test_client *c = calloc(1, sizeof(*c));

	check(c);
	c->display = wl_display_connect(NULL);
	check_msg(c->display, "wl_display_connect: %s", strerror(errno));
	c->registry = wl_display_get_registry(c->display);
	wl_registry_add_listener(c->registry, &registry_listener, c);
	check(wl_display_roundtrip(c->display) >= 0);
	check(c->shm);
	/* A second roundtrip collects the format events. */
	check(wl_display_roundtrip(c->display) >= 0);
	return c;
}

void
test_client_destroy(struct test_client *c)
{
	if (c->shm)
		wl_shm_destroy(c->shm);
	if (c->compositor)
		wl_compositor_destroy(c->compositor);
	wl_registry_destroy(c->registry);
	wl_display_disconnect(c->display);
	free(c);
}

bool
test_client_has_format(struct test_client *c, uint32_t format)
{
	for (int i = 0; i < c->formats_len; i++) {
		if (c->formats[i] == format)
			return true;
	}
	return false;
}

int
test_client_roundtrip_error(struct test_client *c,
			    const struct wl_interface **interface)
{
	uint32_t id;
	int err;

	if (wl_display_roundtrip(c->display) >= 0)
		return 0;
	err = wl_display_get_error(c->display);
	check_msg(err == EPROTO, "connection failed with %s, not a protocol "
		  "error", strerror(err));
	return (int)wl_display_get_protocol_error(c->display, interface, &id);
}

int
test_client_make_memfd(uint64_t size, int seals)
{
	int fd = memfd_create("sealshm-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	check(fd >= 0);
	check(ftruncate(fd, (off_t)size) == 0);
	if (seals)
		check(fcntl(fd, F_ADD_SEALS, seals) == 0);
	return fd;
}
