/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * Shared pieces of the server tests: a test display with a sealshm global
 * and a log capture, and client-side helpers that make pools and buffers
 * from real fds.
 */

#ifndef SEALSHM_TESTS_SERVER_SERVER_TEST_H
#define SEALSHM_TESTS_SERVER_SERVER_TEST_H

#include <stdbool.h>
#include <stdint.h>

#include <sealshm/server.h>

#include "test-display.h"

struct test_client;
struct wl_buffer;
struct wl_surface;

struct fixture {
	struct test_display *d;
	struct sealshm *shm;
	/* Every message the log handler received, "L<level> <text>\n". */
	char *log;
	size_t log_len;
	int fds_baseline;
	int maps_baseline;
};

/*
 * A display with a sealshm global made with @p options (NULL: defaults;
 * the log handler is always the capture) and the test wl_compositor.
 */
struct fixture *
fixture_create(const struct sealshm_options *options,
	       void (*commit)(struct wl_resource *surface,
			      struct wl_resource *buffer, void *data),
	       void *data);

/* Destroy sealshm (unless already gone), the display and the log. */
void
fixture_destroy(struct fixture *f);

/*
 * Run until every spawned client exited, then dispatch until the server
 * has seen every connection close.  Checks that no client failed.
 */
void
fixture_run(struct fixture *f);

/* True when a logged message at @p level contains @p text. */
bool
fixture_log_has(struct fixture *f, enum sealshm_log_level level,
		const char *text);

/* The server holds no more fds or shm mappings than after creation. */
void
fixture_check_baseline(struct fixture *f);

/*
 * After a copy-tier client whose file got too short for a committed buffer:
 * one short read, which disconnected the client, logged as such.
 */
void
fixture_check_short_read(struct fixture *f);

/* Client side. */

/* Attach @p buffer to @p surface, commit, roundtrip: no error allowed. */
void
client_commit(struct test_client *c, struct wl_surface *surface,
	      struct wl_buffer *buffer);

/*
 * Make a pool of @p size bytes from @p fd (closed here) and one buffer in
 * it, client_commit() that buffer, then destroy buffer and pool.
 */
void
client_commit_fd(struct test_client *c, struct wl_surface *surface, int fd,
		 int32_t size, int32_t offset, int32_t width, int32_t height,
		 int32_t stride, uint32_t format);

/*
 * A connected client with one surface and a pool made from an fd that the
 * test keeps open, to go on writing to or truncating it.
 */
struct client_pool {
	struct test_client *c;
	struct wl_surface *surface;
	int fd;
	/* NULL once the test destroyed the pool itself. */
	struct wl_shm_pool *pool;
};

/* Connect, make the surface and a pool of @p size bytes from @p fd. */
void
client_pool_init(struct client_pool *cp, int fd, int32_t size);

/*
 * client_pool_init(), then a buffer of the pool in WL_SHM_FORMAT_ARGB8888,
 * returned.
 */
struct wl_buffer *
client_pool_init_buffer(struct client_pool *cp, int fd, int32_t size,
			int32_t offset, int32_t width, int32_t height,
			int32_t stride);

/*
 * Close the fd and destroy @p buffer (may be NULL), the pool, the surface
 * and the connection: the end of a client that saw no protocol error.
 */
void
client_pool_finish(struct client_pool *cp, struct wl_buffer *buffer);

/*
 * Attach and commit @p buffer, expect invalid_fd on the wl_buffer (where
 * libwayland reports its access errors), then close the fd and free the
 * proxies of @p buffer, the pool, the surface and the dead connection.
 */
void
client_pool_fail_invalid_fd(struct client_pool *cp, struct wl_buffer *buffer);

/* Expect protocol error @p code on an object of @p iface. */
void
client_expect_error(struct test_client *c, const void *iface, int code);

/* A SHRINK-sealed memfd of @p size bytes. */
int
make_sealed_memfd(uint64_t size);

/*
 * The mapping of this process that holds @p addr, from /proc/self/maps:
 * its range and its permissions ("rw-s", "rw-p", ...).  Fails the test
 * when there is none.
 */
struct mapping_extent {
	uintptr_t start, end;
	char perms[5];
};

struct mapping_extent
mapping_of(const void *addr);

/*
 * Fill @p len bytes at @p offset of @p fd with the pattern of @p seed
 * (see pattern_byte()).
 */
void
fill_pattern(int fd, uint64_t offset, uint64_t len, uint32_t seed);

/* The byte the pattern of @p seed has at @p pos. */
static inline uint8_t
pattern_byte(uint32_t seed, uint64_t pos)
{
	return (uint8_t)((pos * 7u + seed * 31u + (pos >> 8)) & 0xff);
}

/* Check @p len bytes at @p data against the pattern from @p pos on. */
void
check_pattern(const void *data, uint64_t pos, uint64_t len, uint32_t seed);

#endif /* SEALSHM_TESTS_SERVER_SERVER_TEST_H */
