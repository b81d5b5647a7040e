/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * sealshm_buffer_copy_to(): the damaged pixels land in the compositor's
 * memory, and nothing else does, from mapped pools (memcpy) and from
 * copy-policy pools (pread straight into the destination), with the
 * destination's stride equal to the buffer's or not.  A copy-policy file
 * that ends early reads as zeros and costs the client invalid_fd on its
 * wl_buffer, but only when the damage reaches the missing bytes.
 */

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "server-test.h"
#include "shm-file.h"
#include "test-client.h"
#include "test-runner.h"

#define W 64
#define H 64
/* Rows carry padding, so that a copy of whole rows shows. */
#define STRIDE (W * 4 + 32)
#define ROW_BYTES (W * 4)
#define OFFSET 4096
#define POOL (OFFSET + STRIDE * H)
#define SEED 33
/* What the compositor's memory holds before the copy. */
#define UNTOUCHED 0xa5

static struct fixture *fx;

/*
 * The client's file: an unsealable memfd (copy policy, never mapped) or
 * a sealed one (mapped), POOL bytes of the pattern.
 */
static int
make_file(bool copied)
{
	int fd;

	if (copied) {
		fd = memfd_create("sealshm-copy-to", MFD_CLOEXEC);
		check(fd >= 0);
		check(ftruncate(fd, POOL) == 0);
	} else {
		fd = make_sealed_memfd(POOL);
	}
	fill_pattern(fd, 0, POOL, SEED);
	return fd;
}

struct copy_case {
	bool copied;
	int32_t dst_stride;
	/* NULL: the whole buffer */
	const pixman_box32_t *damage;
	int n_damage;
	/* server side */
	bool done;
};

static void
client_copy(void *data)
{
	const struct copy_case *cc = data;
	struct test_client *c = test_client_connect();
	struct wl_surface *surface =
		wl_compositor_create_surface(c->compositor);

	client_commit_fd(c, surface, make_file(cc->copied), POOL, OFFSET, W, H,
			 STRIDE, WL_SHM_FORMAT_ARGB8888);
	wl_surface_destroy(surface);
	test_client_destroy(c);
}

/*
 * Whether the copy may write the padding after row @p y: only when the
 * strides agree and the damage covers this row and the next one whole
 * (a run of whole rows is one piece, padding included).
 */
static bool
padding_written(const struct copy_case *cc, const pixman_region32_t *damage,
		int32_t y)
{
	pixman_box32_t rows = { 0, y, W, y + 2 };

	return cc->dst_stride == STRIDE && y + 1 < H &&
	       pixman_region32_contains_rectangle(damage, &rows) ==
		       PIXMAN_REGION_IN;
}

static void
check_dst(const struct copy_case *cc, const pixman_region32_t *damage,
	  const uint8_t *dst)
{
	for (int32_t y = 0; y < H; y++) {
		const uint8_t *row = dst + (size_t)y * (size_t)cc->dst_stride;
		uint64_t src = OFFSET + (uint64_t)y * STRIDE;

		for (int32_t x = 0; x < W; x++) {
			bool in = pixman_region32_contains_point(damage, x, y,
								 NULL);

			for (int i = 0; i < 4; i++) {
				uint8_t want =
					in ? pattern_byte(SEED, src + 4 * x + i)
					   : UNTOUCHED;

				check_msg(row[4 * x + i] == want,
					  "pixel %d,%d byte %d: 0x%02x, "
					  "expected 0x%02x (%s)",
					  x, y, i, row[4 * x + i], want,
					  in ? "damaged" : "not damaged");
			}
		}
		if (padding_written(cc, damage, y))
			continue;
		for (int32_t i = ROW_BYTES; i < cc->dst_stride; i++)
			check_msg(row[i] == UNTOUCHED,
				  "padding byte %d of row %d written", i, y);
	}
}

/* Mapped buffers may be copied from any thread. */
struct thread_copy {
	struct sealshm_buffer *buffer;
	const pixman_region32_t *damage;
	uint8_t *dst;
	int32_t dst_stride;
	int ret;
};

static void *
thread_copy(void *data)
{
	struct thread_copy *tc = data;

	tc->ret = sealshm_buffer_copy_to(tc->buffer, tc->damage, tc->dst,
					 tc->dst_stride);
	return NULL;
}

static void
copy_commit(struct wl_resource *surface, struct wl_resource *resource,
	    void *data)
{
	struct sealshm_buffer *buffer = sealshm_buffer_from_resource(resource);
	struct copy_case *cc = data;
	size_t dst_len = (size_t)cc->dst_stride * H;
	pixman_region32_t damage, clipped, nothing;
	uint8_t *dst, *pixels;

	check(buffer);
	check(sealshm_buffer_is_copied(buffer) == cc->copied);
	if (cc->damage)
		pixman_region32_init_rects(&damage, cc->damage, cc->n_damage);
	else
		pixman_region32_init_rect(&damage, 0, 0, W, H);
	pixman_region32_init(&clipped);
	pixman_region32_intersect_rect(&clipped, &damage, 0, 0, W, H);

	/* A guard byte past the end catches writes beyond the image. */
	dst = malloc(dst_len + 1);
	check(dst);
	memset(dst, UNTOUCHED, dst_len + 1);
	check(sealshm_buffer_copy_to(buffer, cc->damage ? &damage : NULL, dst,
				     cc->dst_stride) == 0);
	check_dst(cc, &clipped, dst);
	check(dst[dst_len] == UNTOUCHED);

	if (!cc->copied) {
		struct thread_copy tc = {
			.buffer = buffer,
			.damage = cc->damage ? &damage : NULL,
			.dst = malloc(dst_len),
			.dst_stride = cc->dst_stride,
			.ret = -1,
		};
		pthread_t thread;

		check(tc.dst);
		memset(tc.dst, UNTOUCHED, dst_len);
		check(pthread_create(&thread, NULL, thread_copy, &tc) == 0);
		check(pthread_join(thread, NULL) == 0);
		check(tc.ret == 0);
		check(memcmp(tc.dst, dst, dst_len) == 0);
		free(tc.dst);
	} else {
		/* The module's own copy was neither used nor filled. */
		pixman_region32_init(&nothing);
		pixels = sealshm_buffer_begin_access_region(buffer, &nothing);
		for (size_t i = 0; i < (size_t)STRIDE * H; i++)
			check_msg(pixels[i] == 0, "module copy byte %zu set",
				  i);
		sealshm_buffer_end_access(buffer, false);
		pixman_region32_fini(&nothing);
	}

	free(dst);
	pixman_region32_fini(&clipped);
	pixman_region32_fini(&damage);
	cc->done = true;
}

static void
run_copy(struct copy_case *cc)
{
	struct sealshm_options opts = { .policy = SEALSHM_POLICY_COPY };
	struct sealshm_stats stats;

	fx = fixture_create(&opts, copy_commit, cc);
	test_display_spawn(fx->d, client_copy, cc);
	fixture_run(fx);
	check(cc->done);
	sealshm_get_stats(fx->shm, &stats, sizeof(stats));
	check(stats.pools_accepted_by_tier[cc->copied ? 2 : 0] == 1);
	check(stats.copy_short_reads == 0);
	check(stats.clients_disconnected == 0);
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}

/*
 * A partial rectangle, whole rows, a band wider than the buffer, a
 * rectangle hanging over the corner and one entirely outside.
 */
static const pixman_box32_t partial[] = {
	{ 5, 10, 20, 14 },    { 0, 30, W, 34 },	  { -10, 50, W + 10, 52 },
	{ 60, 60, 100, 100 }, { 100, 0, 110, 5 }, { 3, 20, 4, 21 },
};
#define N_PARTIAL ((int)(sizeof(partial) / sizeof(partial[0])))

TEST(mapped_full_damage_same_stride)
{
	struct copy_case cc = { .copied = false, .dst_stride = STRIDE };

	run_copy(&cc);
}

TEST(mapped_full_damage_other_stride)
{
	struct copy_case cc = { .copied = false, .dst_stride = ROW_BYTES };

	run_copy(&cc);
}

TEST(mapped_partial_damage_same_stride)
{
	struct copy_case cc = { .copied = false,
				.dst_stride = STRIDE,
				.damage = partial,
				.n_damage = N_PARTIAL };

	run_copy(&cc);
}

TEST(mapped_partial_damage_other_stride)
{
	struct copy_case cc = { .copied = false,
				.dst_stride = STRIDE + 64,
				.damage = partial,
				.n_damage = N_PARTIAL };

	run_copy(&cc);
}

TEST(copied_full_damage_same_stride)
{
	struct copy_case cc = { .copied = true, .dst_stride = STRIDE };

	run_copy(&cc);
}

TEST(copied_full_damage_other_stride)
{
	struct copy_case cc = { .copied = true, .dst_stride = ROW_BYTES };

	run_copy(&cc);
}

TEST(copied_partial_damage_same_stride)
{
	struct copy_case cc = { .copied = true,
				.dst_stride = STRIDE,
				.damage = partial,
				.n_damage = N_PARTIAL };

	run_copy(&cc);
}

TEST(copied_partial_damage_other_stride)
{
	struct copy_case cc = { .copied = true,
				.dst_stride = STRIDE + 64,
				.damage = partial,
				.n_damage = N_PARTIAL };

	run_copy(&cc);
}

/*
 * Copy policy, a file cut inside row CUT_ROW after the first commit: a
 * copy of rows above it is fine and sends nothing; a copy that reaches
 * the cut gives zeros from there and invalid_fd on the wl_buffer.
 */

#define CUT_ROW 20
#define CUT_AT (OFFSET + CUT_ROW * STRIDE + 100)

static void
client_short(void *data)
{
	struct client_pool cp;
	struct wl_buffer *buffer;

	buffer = client_pool_init_buffer(&cp, make_file(true),
					 POOL, OFFSET, W, H, STRIDE);
	check(ftruncate(cp.fd, CUT_AT) == 0);
	client_commit(cp.c, cp.surface, buffer);
	client_pool_fail_invalid_fd(&cp, buffer);
}

struct short_state {
	int32_t dst_stride;
	int commits;
};

/* Rows before @p rows: the file, zeros past its end; the rest untouched. */
static void
check_short_dst(const uint8_t *dst, int32_t dst_stride, int32_t rows)
{
	for (int32_t y = 0; y < H; y++) {
		const uint8_t *row = dst + (size_t)y * (size_t)dst_stride;
		uint64_t src = OFFSET + (uint64_t)y * STRIDE;

		for (uint64_t i = 0; i < ROW_BYTES; i++) {
			uint8_t want = y >= rows ? UNTOUCHED
				       : src + i < CUT_AT
					       ? pattern_byte(SEED, src + i)
					       : 0;

			check_msg(row[i] == want,
				  "row %d byte %ju: 0x%02x, expected 0x%02x", y,
				  (uintmax_t)i, row[i], want);
		}
	}
}

static void
short_commit(struct wl_resource *surface, struct wl_resource *resource,
	     void *data)
{
	struct sealshm_buffer *buffer = sealshm_buffer_from_resource(resource);
	struct short_state *ss = data;
	size_t dst_len = (size_t)ss->dst_stride * H;
	struct sealshm_stats stats;
	pixman_region32_t damage;
	uint8_t *dst;

	check(buffer);
	check(sealshm_buffer_is_copied(buffer));
	dst = malloc(dst_len);
	check(dst);
	memset(dst, UNTOUCHED, dst_len);
	if (ss->commits == 0) {
		pixman_region32_init_rect(&damage, 0, 0, W, CUT_ROW);
		check(sealshm_buffer_copy_to(buffer, &damage, dst,
					     ss->dst_stride) == 0);
		pixman_region32_fini(&damage);
		check_short_dst(dst, ss->dst_stride, CUT_ROW);
		sealshm_get_stats(fx->shm, &stats, sizeof(stats));
		check(stats.copy_short_reads == 0);
		check(stats.clients_disconnected == 0);
	} else {
		check(sealshm_buffer_copy_to(buffer, NULL, dst,
					     ss->dst_stride) == 0);
		check_short_dst(dst, ss->dst_stride, H);
	}
	free(dst);
	ss->commits++;
}

static void
run_short(int32_t dst_stride)
{
	struct sealshm_options opts = { .policy = SEALSHM_POLICY_COPY };
	struct short_state ss = { .dst_stride = dst_stride };

	fx = fixture_create(&opts, short_commit, &ss);
	test_display_spawn(fx->d, client_short, NULL);
	fixture_run(fx);
	check(ss.commits == 2);
	fixture_check_short_read(fx);
	check(fixture_log_has(fx, SEALSHM_LOG_DEBUG, "F_SEAL_SHRINK"));
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}

TEST(copied_short_file_reads_zeros_same_stride)
{
	run_short(STRIDE);
}

TEST(copied_short_file_reads_zeros_other_stride)
{
	run_short(ROW_BYTES);
}

/* A destination stride too small for a row: EINVAL, nothing written. */

static void
client_stride(void *data)
{
	const bool *copied = data;
	struct test_client *c = test_client_connect();
	struct wl_surface *surface =
		wl_compositor_create_surface(c->compositor);

	client_commit_fd(c, surface, make_file(*copied), POOL, OFFSET, W, H,
			 STRIDE, WL_SHM_FORMAT_ARGB8888);
	wl_surface_destroy(surface);
	test_client_destroy(c);
}

static void
stride_commit(struct wl_resource *surface, struct wl_resource *resource,
	      void *data)
{
	struct sealshm_buffer *buffer = sealshm_buffer_from_resource(resource);
	int32_t bad[] = { ROW_BYTES - 1, 0, -STRIDE };
	uint8_t dst[STRIDE * H];
	int *commits = data;

	check(buffer);
	memset(dst, UNTOUCHED, sizeof(dst));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		check(sealshm_buffer_copy_to(buffer, NULL, dst, bad[i]) == -1);
		check(errno == EINVAL);
	}
	for (size_t i = 0; i < sizeof(dst); i++)
		check(dst[i] == UNTOUCHED);
	(*commits)++;
}

static void
run_stride(bool copied)
{
	struct sealshm_options opts = { .policy = SEALSHM_POLICY_COPY };
	int commits = 0;

	fx = fixture_create(&opts, stride_commit, &commits);
	test_display_spawn(fx->d, client_stride, &copied);
	fixture_run(fx);
	check(commits == 1);
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}

TEST(mapped_small_dst_stride_is_einval)
{
	run_stride(false);
}

TEST(copied_small_dst_stride_is_einval)
{
	run_stride(true);
}
