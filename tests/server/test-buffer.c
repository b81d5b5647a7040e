/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * Buffers: create_buffer geometry for every advertised format, pixels of
 * every format through pixman, pointers that never move, references that
 * outlive the client, SIGBUS dispositions nobody touched, and what
 * sealshm_destroy() leaves for clients that are still connected.
 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <pixman.h>

#include "format.h"
#include "server-test.h"
#include "shm-file.h"
#include "test-client.h"
#include "test-runner.h"

#define KiB 1024

static struct fixture *fx;

/* create_buffer geometry, every advertised format, 64-bit arithmetic. */

#define GEO_POOL (64 * KiB)

static void
expect_buffer_error(const char *what, uint32_t format, int32_t offset,
		    int32_t width, int32_t height, int32_t stride, int code)
{
	struct test_client *c = test_client_connect();
	int fd = make_sealed_memfd(GEO_POOL);
	struct wl_shm_pool *pool = wl_shm_create_pool(c->shm, fd, GEO_POOL);
	const struct wl_interface *iface = NULL;
	int err;

	struct wl_buffer *buffer;

	close(fd);
	buffer = wl_shm_pool_create_buffer(pool, offset, width, height, stride,
					   format);
	err = test_client_roundtrip_error(c, &iface);
	check_msg(err == code && iface == &wl_shm_pool_interface,
		  "format 0x%08x, %s: error %d on %s, expected %d", format,
		  what, err, iface ? iface->name : "nothing", code);
	wl_proxy_destroy((struct wl_proxy *)buffer);
	wl_proxy_destroy((struct wl_proxy *)pool);
	test_client_destroy(c);
}

static void
expect_buffer_ok(uint32_t format, int32_t offset, int32_t width, int32_t height,
		 int32_t stride)
{
	struct test_client *c = test_client_connect();
	int fd = make_sealed_memfd(GEO_POOL);
	struct wl_shm_pool *pool = wl_shm_create_pool(c->shm, fd, GEO_POOL);
	struct wl_buffer *buffer;

	close(fd);
	buffer = wl_shm_pool_create_buffer(pool, offset, width, height, stride,
					   format);
	check_msg(test_client_roundtrip_error(c, NULL) == 0,
		  "format 0x%08x: %d,%dx%d,%d refused", format, offset, width,
		  height, stride);
	wl_buffer_destroy(buffer);
	wl_shm_pool_destroy(pool);
	test_client_destroy(c);
}

static void
client_geometry(void *data)
{
	struct test_client *c = test_client_connect();
	const int stride_err = WL_SHM_ERROR_INVALID_STRIDE;

	check(c->formats_len > 2);
	check(test_client_has_format(c, WL_SHM_FORMAT_ARGB8888));
	check(test_client_has_format(c, WL_SHM_FORMAT_XRGB8888));

	for (int i = 0; i < c->formats_len; i++) {
		uint32_t format = c->formats[i];
		const struct format_info *info = format_lookup(format);
		int32_t bpp, w = 4, h = 4, stride;

		check(info);
		bpp = (int32_t)info->bytes_per_pixel;
		/* The tightest stride both rules allow. */
		stride = w * bpp;
		while (stride % 4)
			stride += bpp;

		expect_buffer_ok(format, GEO_POOL - stride * h, w, h, stride);
		expect_buffer_ok(format, 0, w, h, stride);

		expect_buffer_error("width 0", format, 0, 0, h, stride,
				    stride_err);
		expect_buffer_error("height -1", format, 0, w, -1, stride,
				    stride_err);
		expect_buffer_error("offset -4", format, -4, w, h, stride,
				    stride_err);
		expect_buffer_error("stride < row", format, 0, w, h,
				    w * bpp - bpp, stride_err);
		expect_buffer_error("stride 0", format, 0, w, h, 0, stride_err);
		expect_buffer_error("one byte past the pool", format,
				    GEO_POOL - stride * h + 1, w, h, stride,
				    stride_err);
		/* 262144 * 16384 wraps to 0 in 32 bits. */
		expect_buffer_error("stride * height wraps in 32 bits", format,
				    0, 1, 16384, 262144, stride_err);
		expect_buffer_error("offset + size wraps", format, INT32_MAX, w,
				    h, stride, stride_err);
		if (bpp > 1)
			expect_buffer_error("stride not a multiple of bpp",
					    format, 0, w, h, stride + 1,
					    stride_err);
		if (bpp < 4) {
			/* A multiple of bpp that is not one of 4. */
			int32_t odd = stride + bpp;

			while (odd % 4 == 0)
				odd += bpp;
			expect_buffer_error("stride not a multiple of 4",
					    format, 0, w, h, odd, stride_err);
		}
	}
	expect_buffer_error("unknown format", 0xdeadbeef, 0, 4, 4, 16,
			    WL_SHM_ERROR_INVALID_FORMAT);
	/* Known to sealshm but not advertised without extra_formats. */
	expect_buffer_error("unadvertised R8", SHM_FOURCC('R', '8', ' ', ' '),
			    0, 4, 4, 4, WL_SHM_ERROR_INVALID_FORMAT);
	test_client_destroy(c);
}

TEST(create_buffer_geometry_for_every_format)
{
	struct sealshm_stats stats;
	uint64_t advertised = 0, rejections = 2;

	/* What client_geometry() sends: 8 errors per format, and one per
	 * rule that only applies to some pixel sizes. */
	for (size_t i = 0; i < format_table_len; i++) {
		uint32_t bpp = format_table[i].bytes_per_pixel;

		if (format_table[i].pixman_format == 0)
			continue;
		advertised++;
		rejections += 8 + (bpp > 1) + (bpp < 4);
	}

	fx = fixture_create(NULL, NULL, NULL);
	test_display_spawn(fx->d, client_geometry, NULL);
	fixture_run(fx);
	sealshm_get_stats(fx->shm, &stats, sizeof(stats));
	check(stats.buffers_created == advertised * 2);
	check_msg(stats.buffers_rejected == rejections,
		  "%ju rejected, %ju expected",
		  (uintmax_t)stats.buffers_rejected, (uintmax_t)rejections);
	check(stats.clients_disconnected == rejections);
	check(fixture_log_has(fx, SEALSHM_LOG_DEBUG,
			      "format 0xdeadbeef is not advertised"));
	check(fixture_log_has(fx, SEALSHM_LOG_DEBUG,
			      "stride 262144 * height 16384 > pool size 65536"));
	check(fixture_log_has(fx, SEALSHM_LOG_DEBUG,
			      "which pixman needs for RGB565 rows"));
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}

/* Every advertised format composites through pixman with the right pixels. */

#define PIX_W 3
#define PIX_H 2
#define PIX_OFFSET 64

/* Red, green, blue; white, black, green: each channel full or empty. */
static const uint8_t pix_rgb[PIX_H][PIX_W][3] = {
	{ { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } },
	{ { 1, 1, 1 }, { 0, 0, 0 }, { 0, 1, 0 } },
};

static uint32_t
channel_mask(int bits)
{
	return bits ? (uint32_t)((1ull << bits) - 1) : 0;
}

/*
 * Encode from the bit layout pixman's format code describes, independently
 * of pixman's own conversion code; alpha (when present) is opaque.
 */
static uint32_t
encode_pixel(pixman_format_code_t format, const uint8_t rgb[3])
{
	int bpp = PIXMAN_FORMAT_BPP(format), a = PIXMAN_FORMAT_A(format);
	int r = PIXMAN_FORMAT_R(format), g = PIXMAN_FORMAT_G(format);
	int b = PIXMAN_FORMAT_B(format);
	int rs, gs, bs, as;

	switch (PIXMAN_FORMAT_TYPE(format)) {
	case PIXMAN_TYPE_ARGB:
		bs = 0, gs = b, rs = b + g, as = bpp - a;
		break;
	case PIXMAN_TYPE_ABGR:
		rs = 0, gs = r, bs = r + g, as = bpp - a;
		break;
	case PIXMAN_TYPE_RGBA:
		as = 0, bs = bpp - r - g - b, gs = bs + b, rs = gs + g;
		break;
	case PIXMAN_TYPE_BGRA:
		as = 0, rs = bpp - r - g - b, gs = rs + r, bs = gs + g;
		break;
	default:
		check_msg(false, "unexpected pixman type of 0x%08x", format);
		return 0;
	}
	return (rgb[0] ? channel_mask(r) << rs : 0) |
	       (rgb[1] ? channel_mask(g) << gs : 0) |
	       (rgb[2] ? channel_mask(b) << bs : 0) |
	       (a ? channel_mask(a) << as : 0);
}

static int32_t
pix_stride(const struct format_info *info)
{
	/* Padding past the row, so a wrong stride shows. */
	int32_t stride = PIX_W * (int32_t)info->bytes_per_pixel + 8;

	while (stride % 4 || stride % (int32_t)info->bytes_per_pixel)
		stride++;
	return stride;
}

static void
client_every_format(void *data)
{
	struct test_client *c = test_client_connect();
	struct wl_surface *surface =
		wl_compositor_create_surface(c->compositor);

	for (int i = 0; i < c->formats_len; i++) {
		const struct format_info *info = format_lookup(c->formats[i]);
		int32_t stride = pix_stride(info), size = 4096;
		uint32_t bpp = info->bytes_per_pixel;
		int fd = make_sealed_memfd((uint64_t)size);
		uint8_t *map;

		check(info && info->pixman_format);
		map = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
			   MAP_SHARED, fd, 0);
		check(map != MAP_FAILED);
		/* Garbage around the pixels: padding must not be read. */
		memset(map, 0x5a, (size_t)size);
		for (int y = 0; y < PIX_H; y++) {
			for (int x = 0; x < PIX_W; x++) {
				uint32_t v = encode_pixel(info->pixman_format,
							  pix_rgb[y][x]);
				uint8_t *p = map + PIX_OFFSET + y * stride +
					     x * (int)bpp;

				for (uint32_t k = 0; k < bpp; k++)
					p[k] = (uint8_t)(v >> (8 * k));
			}
		}
		munmap(map, (size_t)size);

		client_commit_fd(c, surface, fd, size, PIX_OFFSET, PIX_W, PIX_H,
				 stride, c->formats[i]);
	}
	wl_surface_destroy(surface);
	test_client_destroy(c);
}

static void
check_format_commit(struct wl_resource *surface, struct wl_resource *resource,
		    void *data)
{
	struct sealshm_buffer *buffer = sealshm_buffer_from_resource(resource);
	uint32_t *seen = data, out[PIX_W * PIX_H] = { 0 };
	const struct format_info *info;
	pixman_image_t *dst;

	check(buffer);
	check(!sealshm_buffer_from_resource(surface));
	info = format_lookup(sealshm_buffer_get_format(buffer));
	check(info);
	check(sealshm_buffer_get_stride(buffer) == pix_stride(info));
	dst = pixman_image_create_bits(PIXMAN_a8r8g8b8, PIX_W, PIX_H, out,
				       PIX_W * 4);
	check(dst);
	check(sealshm_buffer_get_pixman_image(buffer));
	sealshm_buffer_begin_access(buffer);
	pixman_image_composite32(PIXMAN_OP_SRC,
				 sealshm_buffer_get_pixman_image(buffer), NULL,
				 dst, 0, 0, 0, 0, 0, 0, PIX_W, PIX_H);
	sealshm_buffer_end_access(buffer, false);
	pixman_image_unref(dst);

	for (int y = 0; y < PIX_H; y++) {
		for (int x = 0; x < PIX_W; x++) {
			const uint8_t *rgb = pix_rgb[y][x];
			uint32_t want = 0xff000000u | (rgb[0] ? 0xff0000u : 0) |
					(rgb[1] ? 0xff00u : 0) |
					(rgb[2] ? 0xffu : 0);

			check_msg(out[y * PIX_W + x] == want,
				  "%s pixel %d,%d: 0x%08x, expected 0x%08x",
				  info->name, x, y, out[y * PIX_W + x], want);
		}
	}
	(*seen)++;
}

TEST(every_advertised_format_composites)
{
	uint32_t seen = 0, advertised = 0;

	for (size_t i = 0; i < format_table_len; i++)
		advertised += format_table[i].pixman_format != 0;
	fx = fixture_create(NULL, check_format_commit, &seen);
	test_display_spawn(fx->d, client_every_format, NULL);
	fixture_run(fx);
	check_msg(seen == advertised, "%u of %u formats seen", seen,
		  advertised);
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}

/* Extra formats: advertised, no pixman image, no 4-byte stride rule. */

static void
client_extra_format(void *data)
{
	struct test_client *c = test_client_connect();
	struct wl_surface *surface =
		wl_compositor_create_surface(c->compositor);
	int fd = make_sealed_memfd(4096);

	check(test_client_has_format(c, SHM_FOURCC('R', '8', ' ', ' ')));
	check(!test_client_has_format(c, SHM_FOURCC('R', 'A', '1', '2')));
	fill_pattern(fd, 0, 4096, 11);
	client_commit_fd(c, surface, fd, 4096, 10, 5, 7, 5,
			 SHM_FOURCC('R', '8', ' ', ' '));
	wl_surface_destroy(surface);
	test_client_destroy(c);
}

static void
check_extra_commit(struct wl_resource *surface, struct wl_resource *resource,
		   void *data)
{
	struct sealshm_buffer *buffer = sealshm_buffer_from_resource(resource);

	check(buffer);
	check(!sealshm_buffer_get_pixman_image(buffer));
	check_pattern(sealshm_buffer_begin_access(buffer), 10, 35, 11);
	sealshm_buffer_end_access(buffer, false);
	(*(int *)data)++;
}

TEST(extra_format_is_advertised_without_pixman_image)
{
	const uint32_t extra[] = {
		SHM_FOURCC('R', '8', ' ', ' '),
		SHM_FORMAT_ARGB8888,
	};
	struct sealshm_options opts = {
		.extra_formats = extra,
		.extra_formats_len = 2,
	};
	int seen = 0;

	fx = fixture_create(&opts, check_extra_commit, &seen);
	test_display_spawn(fx->d, client_extra_format, NULL);
	fixture_run(fx);
	check(seen == 1);
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}

/*
 * Stable pointers: a buffer's pointer and pixman image from before several
 * pool resizes read the right pixels after them, also after the client
 * destroyed buffer, pool and connection; all freed at the last unref.
 * A guard page after the first mapping forces the "new mapping" path.
 */

#define ST_POOL (64 * KiB)
#define ST_W 64
#define ST_H 32
#define ST_BYTES (ST_W * 4 * ST_H)

struct stable_state {
	struct sealshm_buffer *first;
	void *first_data;
	pixman_image_t *first_image;
	void *guard;
	int commits;
};

static void
check_image_pattern(pixman_image_t *image, uint64_t pos)
{
	uint32_t *out = calloc(ST_W * ST_H, 4);
	pixman_image_t *dst;

	check(out);
	dst = pixman_image_create_bits(PIXMAN_a8r8g8b8, ST_W, ST_H, out,
				       ST_W * 4);
	pixman_image_composite32(PIXMAN_OP_SRC, image, NULL, dst, 0, 0, 0, 0, 0,
				 0, ST_W, ST_H);
	pixman_image_unref(dst);
	check_pattern(out, pos, ST_BYTES, 12);
	free(out);
}

static void
check_first(struct stable_state *st)
{
	void *data = sealshm_buffer_begin_access(st->first);

	check(data == st->first_data);
	check(sealshm_buffer_get_pixman_image(st->first) == st->first_image);
	check_pattern(data, 0, ST_BYTES, 12);
	check_image_pattern(st->first_image, 0);
	sealshm_buffer_end_access(st->first, false);
}

static void
check_stable_commit(struct wl_resource *surface, struct wl_resource *resource,
		    void *data)
{
	struct sealshm_buffer *buffer = sealshm_buffer_from_resource(resource);
	struct stable_state *st = data;
	struct sealshm_stats stats;
	uint64_t offset = (uint64_t)st->commits * ST_POOL;

	check(buffer);
	if (st->commits == 0) {
		st->first = sealshm_buffer_ref(buffer);
		st->first_data = sealshm_buffer_begin_access(buffer);
		st->first_image = sealshm_buffer_get_pixman_image(buffer);
		sealshm_buffer_end_access(buffer, false);
		/* The pool's mapping (with the room it reserved to grow
		 * in) ends here: the next resize cannot grow in place. */
		st->guard = mmap(
			(void *)mapping_of(st->first_data).end, 4096, PROT_NONE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1,
			0);
		if (st->guard == MAP_FAILED) {
			check(errno == EEXIST);
			st->guard = NULL;
		}
	} else {
		check_pattern(sealshm_buffer_begin_access(buffer), offset,
			      ST_BYTES, 12);
		check_image_pattern(sealshm_buffer_get_pixman_image(buffer),
				    offset);
		sealshm_buffer_end_access(buffer, false);
	}
	if (st->commits == 1) {
		/* Could not grow in place: the old mapping lives on. */
		sealshm_get_stats(fx->shm, &stats, sizeof(stats));
		check_msg(stats.bytes_mapped == ST_POOL + 8 * ST_POOL,
			  "%ju bytes mapped", (uintmax_t)stats.bytes_mapped);
	}
	check_first(st);
	st->commits++;
}

static void
client_stable(void *data)
{
	struct test_client *c = test_client_connect();
	struct wl_surface *surface =
		wl_compositor_create_surface(c->compositor);
	int fd = make_sealed_memfd(ST_POOL);
	struct wl_shm_pool *pool;
	struct wl_buffer *buffers[4];

	fill_pattern(fd, 0, ST_POOL, 12);
	pool = wl_shm_create_pool(c->shm, fd, ST_POOL);
	for (int i = 0; i < 4; i++) {
		/* Past the pool's reserved room at the first resize. */
		int32_t size = (i + 1) * 4 * ST_POOL;

		if (i > 0) {
			check(ftruncate(fd, size) == 0);
			fill_pattern(fd, (uint64_t)i * ST_POOL, ST_POOL, 12);
			wl_shm_pool_resize(pool, size);
		}
		buffers[i] = wl_shm_pool_create_buffer(pool, i * ST_POOL, ST_W,
						       ST_H, ST_W * 4,
						       WL_SHM_FORMAT_ARGB8888);
		client_commit(c, surface, buffers[i]);
	}
	for (int i = 0; i < 4; i++)
		wl_buffer_destroy(buffers[i]);
	wl_shm_pool_destroy(pool);
	close(fd);
	/* Leaves the surface to the disconnect: the server copes. */
	wl_proxy_destroy((struct wl_proxy *)surface);
	test_client_destroy(c);
}

TEST(pointers_and_images_survive_resizes_and_the_client)
{
	struct stable_state st = { 0 };
	struct sealshm_stats stats;

	fx = fixture_create(NULL, check_stable_commit, &st);
	test_display_spawn(fx->d, client_stable, NULL);
	fixture_run(fx);
	check(st.commits == 4);

	/* Buffer, pool and client are gone; the reference is not. */
	check(sealshm_buffer_get_resource(st.first) == NULL);
	check_first(&st);
	sealshm_get_stats(fx->shm, &stats, sizeof(stats));
	check_msg(stats.bytes_mapped == ST_POOL, "%ju bytes mapped",
		  (uintmax_t)stats.bytes_mapped);
	check(test_count_shm_mappings() > fx->maps_baseline);

	sealshm_buffer_unref(st.first);
	sealshm_get_stats(fx->shm, &stats, sizeof(stats));
	check(stats.bytes_mapped == 0);
	if (st.guard)
		munmap(st.guard, 4096);
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}

/* A reference also outlives sealshm_destroy(). */

static void
hold_first_commit(struct wl_resource *surface, struct wl_resource *resource,
		  void *data)
{
	struct sealshm_buffer **held = data;

	if (!*held)
		*held = sealshm_buffer_ref(
			sealshm_buffer_from_resource(resource));
}

static void
client_one_buffer(void *data)
{
	struct test_client *c = test_client_connect();
	struct wl_surface *surface =
		wl_compositor_create_surface(c->compositor);
	int fd = make_sealed_memfd(ST_POOL);

	fill_pattern(fd, 0, ST_POOL, 12);
	client_commit_fd(c, surface, fd, ST_POOL, 0, ST_W, ST_H, ST_W * 4,
			 WL_SHM_FORMAT_ARGB8888);
	wl_surface_destroy(surface);
	test_client_destroy(c);
}

TEST(reference_outlives_sealshm_destroy)
{
	struct sealshm_buffer *held = NULL;

	fx = fixture_create(NULL, hold_first_commit, &held);
	test_display_spawn(fx->d, client_one_buffer, NULL);
	fixture_run(fx);
	check(held);
	sealshm_destroy(fx->shm);
	fx->shm = NULL;

	check_pattern(sealshm_buffer_begin_access(held), 0, ST_BYTES, 12);
	sealshm_buffer_end_access(held, false);
	check(sealshm_buffer_get_width(held) == ST_W);
	sealshm_buffer_unref(held);
	sealshm_buffer_unref(NULL);
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}

/* No SIGBUS handler: neither installed nor disturbed. */

static void
read_commit(struct wl_resource *surface, struct wl_resource *resource,
	    void *data)
{
	struct sealshm_buffer *buffer = sealshm_buffer_from_resource(resource);

	check(buffer);
	check_pattern(sealshm_buffer_begin_access(buffer), 0, ST_BYTES, 12);
	sealshm_buffer_end_access(buffer, false);
	(*(int *)data)++;
}

TEST(sigbus_disposition_stays_default)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	int commits = 0;

	/* Sanitizers install their own handler: start from the default. */
	sigemptyset(&sa.sa_mask);
	check(sigaction(SIGBUS, &sa, NULL) == 0);
	fx = fixture_create(NULL, read_commit, &commits);
	test_display_spawn(fx->d, client_one_buffer, NULL);
	test_display_spawn(fx->d, client_one_buffer, NULL);
	fixture_run(fx);
	check(commits == 2);
	check(sigaction(SIGBUS, NULL, &sa) == 0);
	check(sa.sa_handler == SIG_DFL);
	check(!(sa.sa_flags & SA_SIGINFO));
	fixture_destroy(fx);
	check(sigaction(SIGBUS, NULL, &sa) == 0);
	check(sa.sa_handler == SIG_DFL);
}

static volatile sig_atomic_t foreign_calls;

static void
foreign_handler(int sig, siginfo_t *info, void *ctx)
{
	foreign_calls++;
}

TEST(foreign_sigbus_handler_is_untouched)
{
	struct sigaction mine = { 0 }, now;
	int commits = 0;

	mine.sa_sigaction = foreign_handler;
	mine.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
	sigemptyset(&mine.sa_mask);
	sigaddset(&mine.sa_mask, SIGUSR2);
	check(sigaction(SIGBUS, &mine, NULL) == 0);

	fx = fixture_create(NULL, read_commit, &commits);
	test_display_spawn(fx->d, client_one_buffer, NULL);
	fixture_run(fx);
	fixture_destroy(fx);
	check(commits == 1);

	check(sigaction(SIGBUS, NULL, &now) == 0);
	check(now.sa_sigaction == foreign_handler);
	check((now.sa_flags & (SA_SIGINFO | SA_NODEFER | SA_ONSTACK)) ==
	      (SA_SIGINFO | SA_NODEFER | SA_ONSTACK));
	check(sigismember(&now.sa_mask, SIGUSR2) == 1);
	check(foreign_calls == 0);
}

/*
 * sealshm_destroy() with a client connected: its wl_shm becomes inert
 * (new pools and buffers are not sealshm's), its old pool keeps working.
 */

struct inert_state {
	int commits;
	int foreign;
	struct sealshm_buffer *held;
};

static void
destroy_on_first_commit(struct wl_resource *surface,
			struct wl_resource *resource, void *data)
{
	struct sealshm_buffer *buffer = sealshm_buffer_from_resource(resource);
	struct inert_state *is = data;

	is->commits++;
	if (is->commits == 1) {
		check(buffer);
		is->held = sealshm_buffer_ref(buffer);
		sealshm_destroy(fx->shm);
		fx->shm = NULL;
	} else if (!buffer) {
		is->foreign++;
	} else {
		check_pattern(sealshm_buffer_begin_access(buffer), ST_BYTES,
			      ST_BYTES, 12);
		sealshm_buffer_end_access(buffer, false);
	}
}

static void
client_after_destroy(void *data)
{
	struct test_client *c = test_client_connect();
	struct wl_surface *surface =
		wl_compositor_create_surface(c->compositor);
	int fd = make_sealed_memfd(ST_POOL);
	struct wl_shm_pool *pool, *late_pool;
	struct wl_buffer *buffer, *late, *again;

	fill_pattern(fd, 0, ST_POOL, 12);
	pool = wl_shm_create_pool(c->shm, fd, ST_POOL);
	buffer = wl_shm_pool_create_buffer(pool, 0, ST_W, ST_H, ST_W * 4,
					   WL_SHM_FORMAT_ARGB8888);
	client_commit(c, surface, buffer);

	/* The module is gone now. */
	late_pool = wl_shm_create_pool(c->shm, fd, ST_POOL);
	wl_shm_pool_resize(late_pool, ST_POOL);
	late = wl_shm_pool_create_buffer(late_pool, 0, ST_W, ST_H, ST_W * 4,
					 WL_SHM_FORMAT_ARGB8888);
	client_commit(c, surface, late);
	again = wl_shm_pool_create_buffer(pool, ST_BYTES, ST_W, ST_H, ST_W * 4,
					  WL_SHM_FORMAT_ARGB8888);
	client_commit(c, surface, again);
	close(fd);

	wl_buffer_destroy(again);
	wl_buffer_destroy(late);
	wl_buffer_destroy(buffer);
	wl_shm_pool_destroy(late_pool);
	wl_shm_pool_destroy(pool);
	wl_surface_destroy(surface);
	test_client_destroy(c);
}

TEST(destroy_leaves_bound_clients_inert_not_broken)
{
	struct inert_state is = { 0 };

	fx = fixture_create(NULL, destroy_on_first_commit, &is);
	test_display_spawn(fx->d, client_after_destroy, NULL);
	fixture_run(fx);
	check(is.commits == 3);
	check(is.foreign == 1);
	check_pattern(sealshm_buffer_begin_access(is.held), 0, ST_BYTES, 12);
	sealshm_buffer_end_access(is.held, false);
	sealshm_buffer_unref(is.held);
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}

/*
 * Reads from another thread: a worker keeps reading a referenced buffer
 * while the event loop grows its pool (new mappings, mremap in place) and
 * the client creates, commits and destroys buffers.
 */

struct reader {
	struct sealshm_buffer *buffer;
	atomic_bool stop;
	unsigned long rounds;
	bool failed;
};

static void *
read_until_stopped(void *data)
{
	struct reader *r = data;

	while (!atomic_load(&r->stop) || r->rounds == 0) {
		const uint8_t *p = sealshm_buffer_begin_access(r->buffer);

		for (uint64_t i = 0; i < ST_BYTES; i += 61) {
			if (p[i] != pattern_byte(12, i))
				r->failed = true;
		}
		sealshm_buffer_end_access(r->buffer, false);
		r->rounds++;
	}
	return NULL;
}

struct threaded_state {
	struct reader reader;
	pthread_t thread;
	int commits;
};

static void
start_reader_on_first_commit(struct wl_resource *surface,
			     struct wl_resource *resource, void *data)
{
	struct sealshm_buffer *buffer = sealshm_buffer_from_resource(resource);
	struct threaded_state *ts = data;

	check(buffer);
	if (ts->commits++ == 0) {
		ts->reader.buffer = sealshm_buffer_ref(buffer);
		check(pthread_create(&ts->thread, NULL, read_until_stopped,
				     &ts->reader) == 0);
	}
}

TEST(buffers_can_be_read_from_another_thread)
{
	struct threaded_state ts = { 0 };

	fx = fixture_create(NULL, start_reader_on_first_commit, &ts);
	test_display_spawn(fx->d, client_stable, NULL);
	test_display_spawn(fx->d, client_stable, NULL);
	fixture_run(fx);
	check(ts.commits == 8);
	atomic_store(&ts.reader.stop, true);
	check(pthread_join(ts.thread, NULL) == 0);
	check(ts.reader.rounds > 0);
	check(!ts.reader.failed);
	sealshm_buffer_unref(ts.reader.buffer);
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}
