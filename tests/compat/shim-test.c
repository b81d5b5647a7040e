/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * libsealshm-wl-shm through libwayland's own wl_shm API, the way weston
 * and wlroots call it: this program is linked with the shim before
 * libwayland-server, so every wl_shm call below lands in the shim.  Real
 * clients connect over a socket (tests/harness).
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <wayland-server.h>

#include "server-test.h"
#include "test-client.h"
#include "test-runner.h"

/* libwayland 1.24 adds these; 1.21's header lacks them. */
struct wl_shm_buffer *wl_shm_buffer_ref(struct wl_shm_buffer *buffer);
void wl_shm_buffer_unref(struct wl_shm_buffer *buffer);

#define NV12 0x3231564eu   /* 'NV12' */
#define YUV420 0x32315559u /* 'YU12' */
#define ABGR8888 0x34324241u
#define OPAQUE 0x21436587u /* a code sealshm does not know */

/* What the commit callback of a test saw and did. */
struct seen {
	int commits;
	struct wl_shm_buffer *first;
	struct wl_shm_pool *pool_ref;
	void *data;
	int32_t width, height, stride;
	uint32_t format;
	int destroy_listener_ran;
	struct wl_listener resource_destroy;
	/* set by the test: what to do with each buffer */
	void (*act)(struct seen *seen, struct wl_shm_buffer *buffer);
};

static struct test_display *
start(const char *policy,
      void (*commit)(struct wl_resource *, struct wl_resource *, void *),
      struct seen *seen)
{
	struct test_display *d;

	if (policy)
		setenv("SEALSHM_POLICY", policy, 1);
	else
		unsetenv("SEALSHM_POLICY");
	setenv("SEALSHM_LOG", "error", 1);
	d = test_display_create();
	test_display_add_compositor(d, commit, seen);
	check(wl_display_init_shm(d->display) == 0);
	return d;
}

static void
handle_commit(struct wl_resource *surface, struct wl_resource *resource,
	      void *data)
{
	struct seen *seen = data;
	struct wl_shm_buffer *buffer = wl_shm_buffer_get(resource);

	if (!buffer)
		return;
	seen->commits++;
	check(wl_shm_buffer_get(resource) == buffer);
	if (!seen->first) {
		seen->first = buffer;
		seen->width = wl_shm_buffer_get_width(buffer);
		seen->height = wl_shm_buffer_get_height(buffer);
		seen->stride = wl_shm_buffer_get_stride(buffer);
		seen->format = wl_shm_buffer_get_format(buffer);
	}
	if (seen->act)
		seen->act(seen, buffer);
}

static void
finish(struct test_display *d)
{
	check(test_display_run(d) == 0);
	test_display_dispatch(d, 50);
}

/* A client: one pool of @p size on @p fd, one buffer, committed. */
struct client_args {
	int seals;
	int32_t file_size, pool_size, width, height, stride;
	uint32_t format;
	int expect_error; /* -1: none */
	const struct wl_interface *error_iface;
};

static void
simple_client(void *data)
{
	const struct client_args *a = data;
	int fd = test_client_make_memfd((uint64_t)a->file_size, a->seals);
	struct test_client *c = test_client_connect();
	struct wl_surface *surface =
		wl_compositor_create_surface(c->compositor);
	struct wl_shm_pool *pool;
	struct wl_buffer *buffer;

	fill_pattern(fd, 0, (uint64_t)a->file_size, 1);
	pool = wl_shm_create_pool(c->shm, fd, a->pool_size);
	close(fd);
	buffer = wl_shm_pool_create_buffer(pool, 0, a->width, a->height,
					   a->stride, a->format);
	wl_surface_attach(surface, buffer, 0, 0);
	wl_surface_commit(surface);
	if (a->expect_error >= 0) {
		client_expect_error(c, a->error_iface, a->expect_error);
		/* The connection is dead: free the proxies only. */
		wl_proxy_destroy((struct wl_proxy *)buffer);
		wl_proxy_destroy((struct wl_proxy *)pool);
		wl_proxy_destroy((struct wl_proxy *)surface);
		test_client_destroy(c);
		return;
	}
	client_expect_error(c, NULL, 0);
	wl_buffer_destroy(buffer);
	wl_shm_pool_destroy(pool);
	wl_surface_destroy(surface);
	test_client_destroy(c);
}

static void
run_client(const char *policy, struct client_args *args, struct seen *seen)
{
	struct test_display *d = start(policy, handle_commit, seen);

	test_display_spawn(d, simple_client, args);
	finish(d);
	test_display_destroy(d);
}

/* The shim, not libwayland, answers: a sealed-resize attack is refused. */
TEST(every_call_lands_in_the_shim)
{
	struct sigaction sa;
	struct client_args args = {
		F_SEAL_SHRINK,		4096, 4096, 16, 16, 64,
		WL_SHM_FORMAT_ARGB8888, -1,   NULL
	};
	struct seen seen = { 0 };
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	/* Sanitizers install their own handler: start from the default. */
	sigemptyset(&dfl.sa_mask);
	check(sigaction(SIGBUS, &dfl, NULL) == 0);
	run_client("strict", &args, &seen);
	check(seen.commits == 1);
	/* libwayland's begin_access would have installed its handler. */
	check(sigaction(SIGBUS, NULL, &sa) == 0);
	check(sa.sa_handler == SIG_DFL);
}

static void
handle_commit_foreign(struct wl_resource *surface, struct wl_resource *resource,
		      void *data)
{
	struct wl_resource *other;

	check(wl_shm_buffer_get(NULL) == NULL);
	/* A wl_buffer of another implementation (dmabuf, wl_drm, ...). */
	other = wl_resource_create(wl_resource_get_client(surface),
				   &wl_buffer_interface, 1, 0);
	check(other);
	check(wl_shm_buffer_get(other) == NULL);
	wl_resource_destroy(other);
	handle_commit(surface, resource, data);
}

TEST(get_null_and_foreign_buffers)
{
	struct client_args args = {
		F_SEAL_SHRINK,		4096, 4096, 16, 16, 64,
		WL_SHM_FORMAT_ARGB8888, -1,   NULL
	};
	struct seen seen = { 0 };
	struct test_display *d = start("strict", handle_commit_foreign, &seen);

	test_display_spawn(d, simple_client, &args);
	finish(d);
	check(seen.commits == 1);
	test_display_destroy(d);
}

static void
handle_resource_destroy(struct wl_listener *listener, void *data)
{
	struct seen *seen = wl_container_of(listener, seen, resource_destroy);
	struct wl_shm_buffer *buffer = wl_shm_buffer_get(data);

	/* Destroy listeners run before the resource's destroy function. */
	check(buffer == seen->first);
	check(wl_shm_buffer_get_width(buffer) == 16);
	seen->destroy_listener_ran++;
	wl_list_remove(&listener->link);
}

static void
handle_commit_listen(struct wl_resource *surface, struct wl_resource *resource,
		     void *data)
{
	struct seen *seen = data;

	handle_commit(surface, resource, data);
	if (seen->commits == 1) {
		seen->resource_destroy.notify = handle_resource_destroy;
		wl_resource_add_destroy_listener(resource,
						 &seen->resource_destroy);
	}
}

TEST(same_pointer_also_in_destroy_listeners)
{
	struct client_args args = {
		F_SEAL_SHRINK,		4096, 4096, 16, 16, 64,
		WL_SHM_FORMAT_ARGB8888, -1,   NULL
	};
	struct seen seen = { 0 };
	struct test_display *d = start("strict", handle_commit_listen, &seen);

	test_display_spawn(d, simple_client, &args);
	finish(d);
	check(seen.commits == 1);
	check(seen.destroy_listener_ran == 1);
	test_display_destroy(d);
}

/* Formats: exactly ARGB8888, XRGB8888 and the compositor's, in order. */
static void
formats_client(void *data)
{
	struct test_client *c = test_client_connect();

	check_msg(c->formats_len == 5, "%d formats advertised", c->formats_len);
	check(c->formats[0] == WL_SHM_FORMAT_ARGB8888);
	check(c->formats[1] == WL_SHM_FORMAT_XRGB8888);
	check(c->formats[2] == WL_SHM_FORMAT_RGB565);
	check(c->formats[3] == NV12);
	check(c->formats[4] == OPAQUE);
	test_client_destroy(c);
}

TEST(formats_are_libwaylands_and_the_compositors)
{
	struct test_display *d;
	uint32_t *added;

	setenv("SEALSHM_LOG", "error", 1);
	d = test_display_create();
	test_display_add_compositor(d, handle_commit, NULL);
	/* Before init, as some compositors do, and after, as wlroots does. */
	added = wl_display_add_shm_format(d->display, WL_SHM_FORMAT_RGB565);
	check(added && *added == WL_SHM_FORMAT_RGB565);
	check(wl_display_init_shm(d->display) == 0);
	check(wl_display_add_shm_format(d->display, NV12));
	check(wl_display_add_shm_format(d->display, OPAQUE));
	check(*wl_display_add_shm_format(d->display, NV12) == NV12);
	test_display_spawn(d, formats_client, NULL);
	finish(d);
	test_display_destroy(d);
}

static struct test_display *
start_with_formats(struct seen *seen)
{
	struct test_display *d = start("strict", handle_commit, seen);

	check(wl_display_add_shm_format(d->display, YUV420));
	check(wl_display_add_shm_format(d->display, OPAQUE));
	return d;
}

static void
run_format_client(struct client_args *args, struct seen *seen)
{
	struct test_display *d = start_with_formats(seen);

	test_display_spawn(d, simple_client, args);
	finish(d);
	test_display_destroy(d);
}

TEST(sealshm_extras_are_not_advertised)
{
	struct client_args args = { F_SEAL_SHRINK,
				    4096,
				    4096,
				    16,
				    16,
				    64,
				    ABGR8888,
				    WL_SHM_ERROR_INVALID_FORMAT,
				    &wl_shm_pool_interface };
	struct seen seen = { 0 };

	run_format_client(&args, &seen);
	check(seen.commits == 0);
}

TEST(unknown_format_gets_libwaylands_size_check)
{
	struct client_args ok = { F_SEAL_SHRINK, 4096, 4096, 64, 64, 64,
				  OPAQUE,	 -1,   NULL };
	struct client_args narrow = { F_SEAL_SHRINK,
				      4096,
				      4096,
				      64,
				      64,
				      63,
				      OPAQUE,
				      WL_SHM_ERROR_INVALID_STRIDE,
				      &wl_shm_pool_interface };
	struct seen seen = { 0 }, seen2 = { 0 };

	run_format_client(&ok, &seen);
	check(seen.commits == 1 && seen.format == OPAQUE);
	run_format_client(&narrow, &seen2);
	check(seen2.commits == 0);
}

TEST(planar_buffers_must_hold_every_plane)
{
	/* 64x64 YUV420: 4096 luma bytes, then 2 * 32 * 32 chroma bytes. */
	struct client_args luma_only = { F_SEAL_SHRINK,
					 4096,
					 4096,
					 64,
					 64,
					 64,
					 YUV420,
					 WL_SHM_ERROR_INVALID_STRIDE,
					 &wl_shm_pool_interface };
	struct client_args whole = { F_SEAL_SHRINK, 6144, 6144, 64, 64, 64,
				     YUV420,	    -1,	  NULL };
	struct seen seen = { 0 }, seen2 = { 0 };

	run_format_client(&luma_only, &seen);
	check(seen.commits == 0);
	run_format_client(&whole, &seen2);
	check(seen2.commits == 1);
}

/* get_data: no begin_access needed, valid from creation, never moves. */
static void
read_without_access(struct seen *seen, struct wl_shm_buffer *buffer)
{
	void *data = wl_shm_buffer_get_data(buffer);

	if (!seen->data)
		seen->data = data;
	check(data == seen->data);
	check_pattern(data, 0, 64 * 16, 1);
}

TEST(get_data_needs_no_access_on_mapped_pools)
{
	struct client_args args = {
		F_SEAL_SHRINK,		4096, 4096, 16, 16, 64,
		WL_SHM_FORMAT_ARGB8888, -1,   NULL
	};
	struct seen seen = { .act = read_without_access };

	run_client("seal", &args, &seen);
	check(seen.commits == 1);
}

/*
 * The first buffer stays committed (held by the compositor through a
 * pool reference) while the client grows the pool and makes and commits
 * a second buffer in the grown range: the first pointer never moves.
 */
static void
grow_client(void *data)
{
	int fd = test_client_make_memfd(1 << 20, F_SEAL_SHRINK);
	struct test_client *c = test_client_connect();
	struct wl_surface *surface =
		wl_compositor_create_surface(c->compositor);
	struct wl_shm_pool *pool;
	struct wl_buffer *a, *b;

	fill_pattern(fd, 0, 1 << 20, 1);
	pool = wl_shm_create_pool(c->shm, fd, 4096);
	close(fd);
	a = wl_shm_pool_create_buffer(pool, 0, 16, 16, 64,
				      WL_SHM_FORMAT_ARGB8888);
	client_commit(c, surface, a);
	wl_shm_pool_resize(pool, 1 << 20);
	b = wl_shm_pool_create_buffer(pool, 512 << 10, 16, 16, 64,
				      WL_SHM_FORMAT_ARGB8888);
	client_commit(c, surface, b);
	wl_buffer_destroy(a);
	wl_buffer_destroy(b);
	wl_shm_pool_destroy(pool);
	wl_surface_destroy(surface);
	test_client_destroy(c);
}

static void
keep_first(struct seen *seen, struct wl_shm_buffer *buffer)
{
	if (seen->commits == 1) {
		seen->pool_ref = wl_shm_buffer_ref_pool(buffer);
		seen->data = wl_shm_buffer_get_data(buffer);
	} else {
		check(wl_shm_buffer_get_data(seen->first) == seen->data);
		check_pattern(wl_shm_buffer_get_data(buffer), 512 << 10,
			      64 * 16, 1);
	}
}

TEST(pointers_never_move_across_resize)
{
	struct seen seen = { .act = keep_first };
	struct test_display *d = start("strict", handle_commit, &seen);

	test_display_spawn(d, grow_client, NULL);
	finish(d);
	check(seen.commits == 2);
	/* The client destroyed everything and disconnected. */
	check_pattern(seen.data, 0, 64 * 16, 1);
	wl_shm_pool_unref(seen.pool_ref);
	test_display_destroy(d);
}

/* wlroots 0.15: ref_pool at first sight, read after the client is gone. */
static void
ref_pool_and_keep(struct seen *seen, struct wl_shm_buffer *buffer)
{
	seen->pool_ref = wl_shm_buffer_ref_pool(buffer);
	seen->data = wl_shm_buffer_get_data(buffer);
	check(wl_shm_buffer_ref(buffer) == buffer);
	wl_shm_buffer_unref(buffer);
}

TEST(ref_pool_outlives_buffer_pool_and_client)
{
	struct client_args args = {
		F_SEAL_SHRINK,		4096, 4096, 16, 16, 64,
		WL_SHM_FORMAT_ARGB8888, -1,   NULL
	};
	struct seen seen = { .act = ref_pool_and_keep };

	run_client("strict", &args, &seen);
	check(seen.pool_ref && seen.data);
	check_pattern(seen.data, 0, 64 * 16, 1);
	wl_shm_pool_unref(seen.pool_ref);
}

/* Compositors write into client buffers (screencopy, screenshooter). */
static void
write_through_data(struct seen *seen, struct wl_shm_buffer *buffer)
{
	uint8_t *data = wl_shm_buffer_get_data(buffer);

	wl_shm_buffer_begin_access(buffer);
	memset(data, 0x5a, 64 * 16);
	check(data[100] == 0x5a);
	wl_shm_buffer_end_access(buffer);
}

static void
read_only_client(void *data)
{
	int seals = *(int *)data;
	int fd = test_client_make_memfd(4096, F_SEAL_SHRINK);
	struct test_client *c = test_client_connect();
	struct wl_surface *surface =
		wl_compositor_create_surface(c->compositor);
	char path[64];
	uint8_t byte;
	int ro;

	fill_pattern(fd, 0, 4096, 1);
	if (seals)
		check(fcntl(fd, F_ADD_SEALS, seals) == 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	check(ro >= 0);
	client_commit_fd(c, surface, ro, 4096, 0, 16, 16, 64,
			 WL_SHM_FORMAT_ARGB8888);
	/* The compositor's writes stayed its own. */
	check(pread(fd, &byte, 1, 100) == 1);
	check(byte == pattern_byte(1, 100));
	close(fd);
	wl_surface_destroy(surface);
	test_client_destroy(c);
}

TEST(writes_to_read_only_and_write_sealed_pools_do_not_fault)
{
	int seals[] = { 0, F_SEAL_WRITE, F_SEAL_FUTURE_WRITE };

	for (size_t i = 0; i < sizeof(seals) / sizeof(seals[0]); i++) {
		struct seen seen = { .act = write_through_data };
		struct test_display *d = start("strict", handle_commit, &seen);

		test_display_spawn(d, read_only_client, &seals[i]);
		finish(d);
		check(seen.commits == 1);
		test_display_destroy(d);
	}
}

/*
 * Copy policy, an unsealable memfd: end_access has no "wrote" flag, so
 * the shim must find out itself.  Nested accesses, a write in the inner
 * one, reach the file; accesses that only read never write back (the
 * client changes its file after the server's first read and checks that
 * the server did not put the old pixels back).
 */
static void
copy_access(struct seen *seen, struct wl_shm_buffer *buffer)
{
	uint8_t *data;

	wl_shm_buffer_begin_access(buffer);
	wl_shm_buffer_begin_access(buffer);
	data = wl_shm_buffer_get_data(buffer);
	check(data[100] == (seen->commits == 1 ? pattern_byte(1, 100) : 0x11));
	if (seen->commits == 2)
		data[200] = 0x77;
	wl_shm_buffer_end_access(buffer);
	wl_shm_buffer_end_access(buffer);
}

static void
copy_client(void *data)
{
	int fd = memfd_create("unsealable", MFD_CLOEXEC);
	struct test_client *c = test_client_connect();
	struct wl_surface *surface =
		wl_compositor_create_surface(c->compositor);
	struct wl_shm_pool *pool;
	struct wl_buffer *buffer;
	uint8_t byte;

	check(fd >= 0 && ftruncate(fd, 4096) == 0);
	fill_pattern(fd, 0, 4096, 1);
	pool = wl_shm_create_pool(c->shm, fd, 4096);
	buffer = wl_shm_pool_create_buffer(pool, 0, 16, 16, 64,
					   WL_SHM_FORMAT_ARGB8888);
	/* 1st commit: the server only reads. */
	client_commit(c, surface, buffer);
	byte = 0x11;
	check(pwrite(fd, &byte, 1, 100) == 1);
	check(pwrite(fd, &byte, 1, 200) == 1);
	/* 2nd: reads 0x11 at 100, writes 0x77 at 200. */
	client_commit(c, surface, buffer);
	check(pread(fd, &byte, 1, 100) == 1 && byte == 0x11);
	check(pread(fd, &byte, 1, 200) == 1 && byte == 0x77);
	/* 3rd: reads again; nothing written back. */
	byte = 0x11;
	check(pwrite(fd, &byte, 1, 200) == 1);
	client_commit(c, surface, buffer);
	check(pread(fd, &byte, 1, 200) == 1 && byte == 0x11);
	close(fd);
	wl_buffer_destroy(buffer);
	wl_shm_pool_destroy(pool);
	wl_surface_destroy(surface);
	test_client_destroy(c);
}

static void
copy_access_third(struct seen *seen, struct wl_shm_buffer *buffer)
{
	if (seen->commits <= 2) {
		copy_access(seen, buffer);
		return;
	}
	wl_shm_buffer_begin_access(buffer);
	check(((uint8_t *)wl_shm_buffer_get_data(buffer))[200] == 0x11);
	wl_shm_buffer_end_access(buffer);
}

TEST(copy_policy_writes_back_only_what_the_compositor_changed)
{
	struct seen seen = { .act = copy_access_third };
	/* The default policy is copy. */
	struct test_display *d = start(NULL, handle_commit, &seen);

	test_display_spawn(d, copy_client, NULL);
	finish(d);
	check(seen.commits == 3);
	test_display_destroy(d);
}

/* Configuration: a bad value fails wl_display_init_shm, and says why. */
static void
check_refused(const char *name, const char *value, const char *message)
{
	struct test_display *d;
	char out[1024] = { 0 };
	int saved, fd;

	setenv(name, value, 1);
	d = test_display_create();
	fd = memfd_create("stderr", MFD_CLOEXEC);
	check(fd >= 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	check(wl_display_init_shm(d->display) == -1);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	check(pread(fd, out, sizeof(out) - 1, 0) > 0);
	close(fd);
	check_msg(strstr(out, message), "stderr: %s", out);
	unsetenv(name);
	test_display_destroy(d);
}

TEST(bad_configuration_fails_closed)
{
	unsetenv("SEALSHM_LOG");
	check_refused("SEALSHM_POLICY", "lenient",
		      "SEALSHM_POLICY=lenient is not valid; use strict, seal "
		      "or copy");
	check_refused("SEALSHM_LOG", "loud",
		      "SEALSHM_LOG=loud is not valid; use error, info or "
		      "debug");
	check_refused("SEALSHM_MAX_POOL_SIZE", "3G",
		      "SEALSHM_MAX_POOL_SIZE=3G is not valid");
	check_refused("SEALSHM_MAX_POOL_SIZE", "12x",
		      "SEALSHM_MAX_POOL_SIZE=12x is not valid");
	check_refused("SEALSHM_MAX_POOLS_PER_CLIENT", "4K",
		      "SEALSHM_MAX_POOLS_PER_CLIENT=4K is not valid");
	check_refused("SEALSHM_MAX_BYTES_PER_CLIENT", "0",
		      "SEALSHM_MAX_BYTES_PER_CLIENT=0 is not valid");
}

TEST(limits_come_from_the_environment)
{
	struct client_args args = { F_SEAL_SHRINK,
				    8192,
				    8192,
				    16,
				    16,
				    64,
				    WL_SHM_FORMAT_ARGB8888,
				    WL_SHM_ERROR_INVALID_FD,
				    &wl_shm_interface };
	struct seen seen = { 0 };

	setenv("SEALSHM_MAX_POOL_SIZE", "4K", 1);
	run_client("strict", &args, &seen);
	check(seen.commits == 0);
	unsetenv("SEALSHM_MAX_POOL_SIZE");
}

TEST(strict_policy_refuses_unsealed_memfds)
{
	struct client_args args = { 0,
				    4096,
				    4096,
				    16,
				    16,
				    64,
				    WL_SHM_FORMAT_ARGB8888,
				    WL_SHM_ERROR_INVALID_FD,
				    &wl_shm_interface };
	struct seen seen = { 0 };

	run_client("strict", &args, &seen);
	check(seen.commits == 0);
}

/* Children: no preload of the shim, the fd limit the compositor had. */
TEST(children_inherit_neither_preload_nor_fd_limit)
{
	struct test_display *d;
	struct rlimit before, after;
	int status;
	pid_t pid;

	setenv("LD_PRELOAD", "/x/libsealshm-wl-shm.so.0:/y/libother.so", 1);
	check(getrlimit(RLIMIT_NOFILE, &before) == 0);
	if (before.rlim_cur == before.rlim_max) {
		/* Make room for sealshm_create() to raise it. */
		before.rlim_cur = before.rlim_max / 2;
		check(setrlimit(RLIMIT_NOFILE, &before) == 0);
	}
	d = start("strict", handle_commit, NULL);
	check(getrlimit(RLIMIT_NOFILE, &after) == 0);
	check(after.rlim_cur == after.rlim_max);
	check(strcmp(getenv("LD_PRELOAD"), "/y/libother.so") == 0);
	pid = fork();
	check(pid >= 0);
	if (pid == 0) {
		struct rlimit child;
		int grandchild;

		if (getrlimit(RLIMIT_NOFILE, &child) < 0 ||
		    child.rlim_cur != before.rlim_cur)
			_exit(1);
		/* A limit the child set itself survives its own forks (sway
		 * lowers it, then forks again to exec). */
		child.rlim_cur = 100;
		if (setrlimit(RLIMIT_NOFILE, &child) < 0)
			_exit(2);
		pid = fork();
		if (pid == 0)
			_exit(getrlimit(RLIMIT_NOFILE, &child) == 0 &&
					      child.rlim_cur == 100
				      ? 0
				      : 3);
		if (pid < 0 || waitpid(pid, &grandchild, 0) != pid)
			_exit(4);
		_exit(WIFEXITED(grandchild) ? WEXITSTATUS(grandchild) : 5);
	}
	check(waitpid(pid, &status, 0) == pid);
	check_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "child status 0x%x", status);
	test_display_destroy(d);
}
