/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * sealshm_set_formats(): the exact advertised list, opaque codes with
 * libwayland's check, planar YUV sized for every plane (mapped and
 * copied); sealshm_buffer_get_data() and buffer destroy listeners.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "format.h"
#include "server-test.h"
#include "test-client.h"
#include "test-runner.h"

#define NV12 SHM_FOURCC('N', 'V', '1', '2')
#define OPAQUE 0x21436587u

static struct fixture *fx;

static const uint32_t list[] = {
	SHM_FORMAT_XRGB8888, NV12, SHM_FORMAT_ARGB8888, OPAQUE, NV12,
};

static void
client_sees_list(void *data)
{
	struct test_client *c = test_client_connect();

	check_msg(c->formats_len == 4, "%d formats", c->formats_len);
	check(c->formats[0] == SHM_FORMAT_XRGB8888 && c->formats[1] == NV12 &&
	      c->formats[2] == SHM_FORMAT_ARGB8888 && c->formats[3] == OPAQUE);
	test_client_destroy(c);
}

TEST(set_formats_gives_the_exact_list)
{
	const uint32_t no_argb[] = { SHM_FORMAT_XRGB8888, NV12 };

	fx = fixture_create(NULL, NULL, NULL);
	check(sealshm_set_formats(fx->shm, list, 5) == 0);
	errno = 0;
	check(sealshm_set_formats(fx->shm, no_argb, 2) == -1 &&
	      errno == EINVAL);
	check(fixture_log_has(fx, SEALSHM_LOG_ERROR, "must contain ARGB8888"));
	check(sealshm_set_formats(fx->shm, NULL, 0) == -1 && errno == EINVAL);
	test_display_spawn(fx->d, client_sees_list, NULL);
	fixture_run(fx);
	fixture_destroy(fx);
}

struct geometry {
	uint32_t format;
	int32_t pool, width, height, stride;
	int error; /* 0: accepted */
};

static void
client_geometry(void *data)
{
	const struct geometry *g = data;
	struct test_client *c = test_client_connect();
	int fd = make_sealed_memfd((uint64_t)g->pool);
	struct wl_shm_pool *pool = wl_shm_create_pool(c->shm, fd, g->pool);
	struct wl_buffer *buffer;

	close(fd);
	buffer = wl_shm_pool_create_buffer(pool, 0, g->width, g->height,
					   g->stride, g->format);
	if (g->error) {
		client_expect_error(c, &wl_shm_pool_interface, g->error);
		/* The connection is dead: free the proxies only. */
		wl_proxy_destroy((struct wl_proxy *)buffer);
		wl_proxy_destroy((struct wl_proxy *)pool);
		test_client_destroy(c);
		return;
	}
	client_expect_error(c, NULL, 0);
	wl_buffer_destroy(buffer);
	wl_shm_pool_destroy(pool);
	test_client_destroy(c);
}

static void
check_geometry(const struct geometry *g)
{
	fx = fixture_create(NULL, NULL, NULL);
	check(sealshm_set_formats(fx->shm, list, 4) == 0);
	test_display_spawn(fx->d, client_geometry, (void *)g);
	fixture_run(fx);
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}

TEST(bounded_formats_are_the_known_ones)
{
	check(sealshm_format_is_bounded(SHM_FORMAT_ARGB8888));
	check(sealshm_format_is_bounded(NV12));
	check(sealshm_format_is_bounded(SHM_FOURCC('R', 'X', '1', '2')));
	check(!sealshm_format_is_bounded(OPAQUE));
}

TEST(opaque_format_has_libwaylands_check)
{
	const int stride_err = WL_SHM_ERROR_INVALID_STRIDE;

	check_geometry(&(struct geometry){ OPAQUE, 4096, 63, 65, 63, 0 });
	check_geometry(
		&(struct geometry){ OPAQUE, 4096, 64, 64, 63, stride_err });
	check_geometry(
		&(struct geometry){ OPAQUE, 4096, 64, 65, 64, stride_err });
}

TEST(planar_buffer_needs_every_plane)
{
	const int stride_err = WL_SHM_ERROR_INVALID_STRIDE;

	/* 64 rows of 64 bytes of luma, 32 rows of 64 bytes of CbCr. */
	check_geometry(&(struct geometry){ NV12, 6144, 64, 64, 64, 0 });
	check_geometry(
		&(struct geometry){ NV12, 6143, 64, 64, 64, stride_err });
	/* Odd height: the chroma rows round up (63 -> 32). */
	check_geometry(&(struct geometry){ NV12, 6080, 64, 63, 64, 0 });
	check_geometry(
		&(struct geometry){ NV12, 6079, 64, 63, 64, stride_err });
	check(format_buffer_size(format_lookup(SHM_FOURCC('Y', 'U', '1', '2')),
				 64, 63) == 64 * 63 + 2 * 32 * 32);
	check(format_buffer_size(format_lookup(SHM_FOURCC('Y', 'U', '2', '4')),
				 64, 10) == 3 * 640);
	check(format_buffer_size(format_lookup(SHM_FOURCC('N', 'V', '1', '6')),
				 64, 10) == 2 * 640);
}

/* Copy tier: the chroma planes are read too, whatever the damage. */
static void
client_copied_nv12(void *data)
{
	struct test_client *c = test_client_connect();
	struct wl_surface *surface =
		wl_compositor_create_surface(c->compositor);
	int fd = memfd_create("unsealable", MFD_CLOEXEC);

	check(fd >= 0 && ftruncate(fd, 6144) == 0);
	fill_pattern(fd, 0, 6144, 5);
	client_commit_fd(c, surface, fd, 6144, 0, 64, 64, 64, NV12);
	wl_surface_destroy(surface);
	test_client_destroy(c);
}

struct access_state {
	int commits;
	int destroyed;
	struct sealshm_buffer *kept;
	void *data;
	struct wl_listener destroy;
};

static void
handle_destroy(struct wl_listener *listener, void *data)
{
	struct access_state *st = wl_container_of(listener, st, destroy);

	check(data == st->kept);
	/* Still valid while the listeners run. */
	check(sealshm_buffer_get_data(data) == st->data);
	check_pattern(st->data, 0, 6144, 5);
	st->destroyed++;
	wl_list_remove(&listener->link);
}

static void
commit_copied_nv12(struct wl_resource *surface, struct wl_resource *resource,
		   void *data)
{
	struct access_state *st = data;
	struct sealshm_buffer *buffer = sealshm_buffer_from_resource(resource);
	pixman_region32_t damage;
	void *pixels;

	check(sealshm_buffer_from_resource(NULL) == NULL);
	check(buffer && sealshm_buffer_is_copied(buffer));
	st->data = sealshm_buffer_get_data(buffer);
	/* Damage of one luma row: planar buffers are read whole. */
	pixman_region32_init_rect(&damage, 0, 0, 64, 1);
	pixels = sealshm_buffer_begin_access_region(buffer, &damage);
	pixman_region32_fini(&damage);
	check(pixels == st->data);
	check_pattern(pixels, 0, 6144, 5);
	sealshm_buffer_end_access(buffer, false);
	check(sealshm_buffer_copy_to(buffer, NULL, pixels, 64) == -1 &&
	      errno == EINVAL);
	st->kept = sealshm_buffer_ref(buffer);
	st->destroy.notify = handle_destroy;
	sealshm_buffer_add_destroy_listener(buffer, &st->destroy);
	check(sealshm_buffer_get_destroy_listener(buffer, handle_destroy) ==
	      &st->destroy);
	st->commits++;
}

TEST(copied_planar_buffer_and_destroy_listener)
{
	struct sealshm_options opts = { .policy = SEALSHM_POLICY_COPY };
	struct access_state st = { 0 };

	fx = fixture_create(&opts, commit_copied_nv12, &st);
	check(sealshm_set_formats(fx->shm, list, 4) == 0);
	test_display_spawn(fx->d, client_copied_nv12, NULL);
	fixture_run(fx);
	check(st.commits == 1 && st.destroyed == 0);
	/* The client is gone; the reference keeps the pixels. */
	check(sealshm_buffer_get_data(st.kept) == st.data);
	sealshm_buffer_unref(st.kept);
	check(st.destroyed == 1);
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}
