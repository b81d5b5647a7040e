/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * Client side of the harness: connect to $WAYLAND_DISPLAY, bind wl_shm and
 * (when advertised) wl_compositor, collect the advertised formats, and
 * find out which protocol error, if any, the server posted.
 */

#ifndef SEALSHM_TESTS_TEST_CLIENT_H
#define SEALSHM_TESTS_TEST_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include <wayland-client.h>

struct test_client {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_shm *shm;
	uint32_t shm_version;
	struct wl_compositor *compositor;
	uint32_t formats[128];
	int formats_len;
};

/** Connect and bind; checks (aborts the client) on failure. */
struct test_client *
test_client_connect(void);

/** Disconnect and free. */
void
test_client_destroy(struct test_client *c);

/** True when the server advertised @p format. */
bool
test_client_has_format(struct test_client *c, uint32_t format);

/**
 * Roundtrip; return 0 when the connection is fine, or the protocol error
 * code the server posted, with the interface it was posted on in
 * @p interface (when not NULL).  Any other connection failure fails the
 * check.
 */
int
test_client_roundtrip_error(struct test_client *c,
			    const struct wl_interface **interface);

/**
 * A memfd of @p size bytes created with MFD_ALLOW_SEALING and sealed with
 * @p seals (0 for none).  Checks on failure.
 */
int
test_client_make_memfd(uint64_t size, int seals);

#endif /* SEALSHM_TESTS_TEST_CLIENT_H */
