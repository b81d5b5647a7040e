/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * The swapchain of libsealshm-client against the sealshm server and a
 * test compositor that holds buffers the way real ones do.  The server
 * side checks what the client cannot prove about itself: every pool fd
 * it receives is sealed, every committed buffer carries the pixels the
 * client wrote, and no buffer it still holds is ever handed out (or
 * overwritten, or punched) again.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <wayland-server-protocol.h>

#include "client-util.h"
#include "sealshm/client.h"
#include "test-runner.h"

#define ARGB WL_SHM_FORMAT_ARGB8888

enum hold_policy {
	/* Release right after the commit (the harness default). */
	HOLD_NONE,
	/* Hold the front buffer until the next commit, like a compositor
	 * showing it. */
	HOLD_PREVIOUS,
	/* Hold up to MAX_HELD buffers, releasing at random. */
	HOLD_RANDOM,
	/* Hold wide buffers until commit RELEASE_BIG_AT, others as
	 * HOLD_PREVIOUS. */
	HOLD_BIG,
};

#define MAX_HELD 6
#define RELEASE_BIG_AT 30
#define BIG_WIDTH 512

struct held {
	struct sealshm_buffer *buffer;
	uint32_t tag;
	int commit;
};

struct compositor {
	enum hold_policy policy;
	/* The client tagged every pixel, not just a sample. */
	bool full;
	struct held held[64];
	int held_len;
	int commits;
	int max_held_seen;
	uint32_t rng;
	struct sealshm *shm;
	struct sealshm_stats last_stats;
};

/* Every pixel, or the sample client_tag_pixels() writes, equals @p tag. */
static bool
pixels_are(struct sealshm_buffer *b, uint32_t tag, bool full)
{
	int32_t w = sealshm_buffer_get_width(b);
	int32_t h = sealshm_buffer_get_height(b);
	int32_t stride = sealshm_buffer_get_stride(b);
	uint8_t *p = sealshm_buffer_begin_access(b);
	bool ok = true;

	for (int32_t y = 0; y < h && ok; y++) {
		uint32_t *row = (uint32_t *)(p + (size_t)y * stride);

		if (!full && y != 0 && y != h - 1)
			continue;
		for (int32_t x = 0; x < w && ok; x++)
			ok = row[x] == tag;
	}
	sealshm_buffer_end_access(b, false);
	return ok;
}

static void
release(struct compositor *comp, int i)
{
	struct wl_resource *res =
		sealshm_buffer_get_resource(comp->held[i].buffer);

	if (res)
		wl_buffer_send_release(res);
	sealshm_buffer_unref(comp->held[i].buffer);
	comp->held[i] = comp->held[--comp->held_len];
}

static uint32_t
next_random(struct compositor *comp)
{
	comp->rng = comp->rng * 1103515245u + 12345u;
	return comp->rng >> 16;
}

static bool
must_release(struct compositor *comp, int i)
{
	struct held *h = &comp->held[i];

	/* The buffer just committed stays on screen. */
	if (h->commit == comp->commits)
		return false;
	switch (comp->policy) {
	case HOLD_PREVIOUS:
		return true;
	case HOLD_BIG:
		return sealshm_buffer_get_width(h->buffer) < BIG_WIDTH ||
		       comp->commits >= RELEASE_BIG_AT;
	case HOLD_RANDOM:
		return comp->held_len > MAX_HELD || next_random(comp) % 3 == 0;
	case HOLD_NONE:
		break;
	}
	return true;
}

static void
handle_commit(struct wl_resource *surface, struct wl_resource *resource,
	      void *data)
{
	struct compositor *comp = data;
	struct sealshm_buffer *b;

	if (!resource)
		return;
	b = sealshm_buffer_from_resource(resource);
	check_msg(b, "the committed buffer is not a sealshm buffer");
	comp->commits++;

	for (int i = 0; i < comp->held_len; i++) {
		struct held *h = &comp->held[i];

		check_msg(h->buffer != b,
			  "commit %d: the client handed out "
			  "a buffer the compositor holds since commit %d",
			  comp->commits, h->commit);
		/* A reused or punched slot would change these pixels. */
		check_msg(pixels_are(h->buffer, h->tag, comp->full),
			  "commit %d: a buffer held since commit %d changed",
			  comp->commits, h->commit);
	}
	check_msg(pixels_are(b, (uint32_t)comp->commits, comp->full),
		  "commit %d: the server does not see the client's pixels",
		  comp->commits);

	if (comp->policy == HOLD_NONE) {
		wl_buffer_send_release(resource);
	} else {
		check(comp->held_len < 64);
		comp->held[comp->held_len++] = (struct held){
			.buffer = sealshm_buffer_ref(b),
			.tag = (uint32_t)comp->commits,
			.commit = comp->commits,
		};
		for (int i = comp->held_len - 1; i >= 0; i--) {
			if (must_release(comp, i))
				release(comp, i);
		}
	}
	if (comp->held_len > comp->max_held_seen)
		comp->max_held_seen = comp->held_len;
	sealshm_get_stats(comp->shm, &comp->last_stats, sizeof(comp->last_stats));
}

static struct test_display *
start(struct compositor *comp, struct pool_log *log)
{
	struct test_display *d =
		server_start(&comp->shm, log, handle_commit, comp);

	d->hold_buffers = true;
	comp->rng = 42;
	return d;
}

/* After the clients are gone: held buffers are still intact (the client
 * never punched or reused them, even when it destroyed them), then go. */
static void
finish(struct test_display *d, struct compositor *comp, struct pool_log *log)
{
	check(test_display_run(d) == 0);
	for (int i = 0; i < comp->held_len; i++)
		check(pixels_are(comp->held[i].buffer, comp->held[i].tag,
				 comp->full));
	while (comp->held_len)
		release(comp, 0);
	check(comp->last_stats.pools_rejected == 0);
	check(comp->last_stats.clients_disconnected == 0);
	server_stop(d, log);
}

/* The client side. */

struct window {
	struct test_client *c;
	struct wl_surface *surface;
	struct sealshm_swapchain *sc;
	uint32_t commits;
	bool full;
};

static void
window_init(struct window *win, bool full)
{
	win->c = test_client_connect();
	check(win->c->compositor);
	win->surface = wl_compositor_create_surface(win->c->compositor);
	check(win->surface);
	win->sc = sealshm_swapchain_create(win->c->shm);
	check(win->sc);
	win->commits = 0;
	win->full = full;
}

static void
window_fini(struct window *win)
{
	sealshm_swapchain_destroy(win->sc);
	wl_surface_destroy(win->surface);
	check(test_client_roundtrip_error(win->c, NULL) == 0);
	test_client_destroy(win->c);
}

/* One frame: acquire, prove the buffer writable, tag it, commit. */
static struct sealshm_client_buffer *
window_frame(struct window *win, int32_t w, int32_t h)
{
	struct sealshm_client_buffer *b;

	b = sealshm_swapchain_acquire(win->sc, w, h, ARGB);
	check_msg(b, "acquire %dx%d: %s", w, h, strerror(errno));
	check(sealshm_client_buffer_is_busy(b));
	check(sealshm_client_buffer_get_width(b) == w);
	check(sealshm_client_buffer_get_height(b) == h);
	check(sealshm_client_buffer_get_format(b) == ARGB);
	check(sealshm_client_buffer_get_stride(b) == w * 4);
	client_tag_pixels(sealshm_client_buffer_get_data(b), w, h,
			  sealshm_client_buffer_get_stride(b), ++win->commits,
			  win->full);
	client_commit(win->c, win->surface,
		      sealshm_client_buffer_get_wl_buffer(b), w, h);
	return b;
}

static void
sealed_client(void *data)
{
	struct window win;
	struct sealshm_client_stats *report = data;
	static const int32_t sizes[][2] = {
		{ 100, 80 },
		{ 300, 200 },
		{ 640, 480 },
		{ 33, 7 },
	};

	window_init(&win, true);
	for (int i = 0; i < 40; i++)
		window_frame(&win, sizes[i / 10][0], sizes[i / 10][1]);
	sealshm_swapchain_get_stats(win.sc, report);
	window_fini(&win);
}

TEST(every_buffer_is_writable_and_sealed_for_the_server)
{
	struct compositor comp = { .policy = HOLD_PREVIOUS, .full = true };
	struct pool_log log = { 0 };
	struct sealshm_client_stats *report = shared_alloc(sizeof(*report));
	struct test_display *d = start(&comp, &log);

	test_display_spawn(d, sealed_client, report);
	check(test_display_run(d) == 0);
	check(comp.commits == 40);
	check(report->pools_created >= 1);
	check_msg(log.pools == (int)report->pools_created,
		  "server saw %d pools, client made %llu", log.pools,
		  (unsigned long long)report->pools_created);
	check_msg(log.sealed_shrink == log.pools && log.on_shmem == log.pools,
		  "%d of %d pool fds were sealed F_SEAL_SHRINK on shmem",
		  log.sealed_shrink, log.pools);
	for (int i = 0; i < log.pools && i < 64; i++)
		check(!(log.seals[i] & (F_SEAL_GROW | F_SEAL_WRITE)));
	check(comp.last_stats.pools_accepted_by_tier[0] == (uint64_t)log.pools);
	finish(d, &comp, &log);
	shared_free(report, sizeof(*report));
}

static void
held_client(void *data)
{
	struct window win;
	static const int32_t sizes[][2] = {
		{ 40, 30 }, { 64, 64 }, { 20, 90 }, { 64, 64 }, { 128, 16 },
	};

	window_init(&win, true);
	for (int i = 0; i < 300; i++)
		window_frame(&win, sizes[i / 60][0], sizes[i / 60][1]);
	window_fini(&win);
}

TEST(a_held_buffer_is_never_handed_out_again)
{
	struct compositor comp = { .policy = HOLD_RANDOM, .full = true };
	struct test_display *d = start(&comp, NULL);

	test_display_spawn(d, held_client, NULL);
	check(test_display_run(d) == 0);
	check(comp.commits == 300);
	/* The test must have made the client work around held buffers. */
	check(comp.max_held_seen >= 4);
	finish(d, &comp, NULL);
}

/* The interactive-resize trace: 64x64 up to 3840x2160 in 100 steps and
 * back, then a few frames at rest. */
#define TRACE_STEPS 100
#define REST_FRAMES (2 * SEALSHM_SWAPCHAIN_SHRINK_FRAMES + 4)

/* Bounds the trace test asserts (see resize_trace_bounds). */
#define TRACE_MAX_POOLS 8
#define TRACE_MAX_GROWS 16
#define REST_MAX_POOL_BYTES (4u << 20)
#define REST_MAX_BACKED_BYTES (256u << 10)

struct trace_report {
	struct sealshm_client_stats at_peak;
	struct sealshm_client_stats at_rest;
	/* The most memory the pools held after any frame. */
	uint64_t max_backed;
	int frames;
};

static void
trace_size(int step, int32_t *w, int32_t *h)
{
	*w = 64 + (3840 - 64) * step / (TRACE_STEPS - 1);
	*h = 64 + (2160 - 64) * step / (TRACE_STEPS - 1);
}

static void
trace_client(void *data)
{
	struct trace_report *report = data;
	struct sealshm_client_stats st;
	struct window win;
	int32_t w, h;

	window_init(&win, false);
	for (int i = 0; i < 2 * TRACE_STEPS; i++) {
		trace_size(i < TRACE_STEPS ? i : 2 * TRACE_STEPS - 1 - i, &w,
			   &h);
		window_frame(&win, w, h);
		sealshm_swapchain_get_stats(win.sc, &st);
		if (st.bytes_backed > report->max_backed)
			report->max_backed = st.bytes_backed;
		if (i == TRACE_STEPS - 1)
			sealshm_swapchain_get_stats(win.sc, &report->at_peak);
	}
	for (int i = 0; i < REST_FRAMES; i++)
		window_frame(&win, 64, 64);
	sealshm_swapchain_get_stats(win.sc, &report->at_rest);
	report->frames = (int)win.commits;
	window_fini(&win);
}

TEST(resize_trace_bounds)
{
	struct compositor comp = { .policy = HOLD_PREVIOUS };
	struct trace_report *r = shared_alloc(sizeof(*r));
	struct test_display *d = start(&comp, NULL);
	uint64_t biggest = 3840ull * 2160 * 4;

	test_display_spawn(d, trace_client, r);
	check(test_display_run(d) == 0);
	check(r->frames == 2 * TRACE_STEPS + REST_FRAMES);
	fprintf(stderr,
		"trace: %llu pools, %llu grows, peak %llu bytes, "
		"%llu buffers, %llu punched growing, at most %llu backed; "
		"at rest: %llu pools live, %llu bytes, %llu backed, %llu "
		"punched; server maps %llu bytes\n",
		(unsigned long long)r->at_rest.pools_created,
		(unsigned long long)r->at_rest.pool_grows,
		(unsigned long long)r->at_rest.bytes_peak,
		(unsigned long long)r->at_rest.buffers_allocated,
		(unsigned long long)r->at_peak.bytes_punched,
		(unsigned long long)r->max_backed,
		(unsigned long long)r->at_rest.pools_now,
		(unsigned long long)r->at_rest.bytes_now,
		(unsigned long long)r->at_rest.bytes_backed,
		(unsigned long long)r->at_rest.bytes_punched,
		(unsigned long long)comp.last_stats.bytes_mapped);

	/* A handful of pools: the first grows, a few smaller ones follow as
	 * the window shrinks (each at most a quarter of the one before), so
	 * never one per frame. */
	check_msg(r->at_rest.pools_created <= TRACE_MAX_POOLS, "%llu pools",
		  (unsigned long long)r->at_rest.pools_created);
	/* O(log) grows: doubling from the first 64x64 pool to the peak
	 * needs log2(peak / 32 KiB) ~ 12; 200 frames would be 200. */
	check_msg(r->at_rest.pool_grows <= TRACE_MAX_GROWS, "%llu grows",
		  (unsigned long long)r->at_rest.pool_grows);
	check(r->at_peak.pools_created == 1);
	check(r->at_peak.bytes_now >= biggest);
	check_msg(r->at_peak.bytes_peak <= 8 * biggest, "peak %llu",
		  (unsigned long long)r->at_peak.bytes_peak);
	/* Memory, as opposed to pool size: the buffer on screen, the one
	 * being drawn, and the slot of the one dropped before them, kept
	 * for a few frames because the next size will reuse it. */
	check_msg(r->max_backed <= 3 * biggest, "%llu bytes backed at most",
		  (unsigned long long)r->max_backed);

	/* Back at 64x64: one small pool, a few pages backed, and the
	 * server maps no more than that either. */
	check(r->at_rest.pools_now == 1);
	check_msg(r->at_rest.bytes_now <= REST_MAX_POOL_BYTES,
		  "%llu bytes of pools at rest",
		  (unsigned long long)r->at_rest.bytes_now);
	check_msg(r->at_rest.bytes_backed <= REST_MAX_BACKED_BYTES,
		  "%llu bytes backed at rest",
		  (unsigned long long)r->at_rest.bytes_backed);
	check_msg(comp.last_stats.bytes_mapped <= REST_MAX_POOL_BYTES,
		  "server still maps %llu bytes",
		  (unsigned long long)comp.last_stats.bytes_mapped);
	finish(d, &comp, NULL);
	shared_free(r, sizeof(*r));
}

/*
 * The same trace with every buffer released right after its commit: each
 * new size finds the previous buffer's slot free at the same offset.
 * Punching that slot only to allocate the same pages again would zero and
 * fault every page twice per frame: 2 GiB punched over this trace.
 */
TEST(resize_trace_reuses_slots_instead_of_punching_them)
{
	struct compositor comp = { .policy = HOLD_NONE };
	struct trace_report *r = shared_alloc(sizeof(*r));
	struct test_display *d = start(&comp, NULL);
	uint64_t biggest = 3840ull * 2160 * 4;

	test_display_spawn(d, trace_client, r);
	check(test_display_run(d) == 0);
	check(r->frames == 2 * TRACE_STEPS + REST_FRAMES);
	fprintf(stderr,
		"trace, released at once: %llu punched growing, %llu in "
		"all, at most %llu backed; at rest %llu backed, %llu "
		"pools\n",
		(unsigned long long)r->at_peak.bytes_punched,
		(unsigned long long)r->at_rest.bytes_punched,
		(unsigned long long)r->max_backed,
		(unsigned long long)r->at_rest.bytes_backed,
		(unsigned long long)r->at_rest.pools_created);
	/* Growing, every buffer takes all of the slot before it. */
	check_msg(r->at_peak.bytes_punched == 0,
		  "%llu bytes punched while growing",
		  (unsigned long long)r->at_peak.bytes_punched);
	/* Shrinking, only what the smaller buffers no longer need goes,
	 * and never comes back: each page of a pool is punched at most
	 * once, and a pool is at most twice the largest buffer. */
	check_msg(r->at_rest.bytes_punched <= 2 * biggest,
		  "%llu bytes punched over the trace",
		  (unsigned long long)r->at_rest.bytes_punched);
	/* One buffer at a time, each in the slot of the one before, and
	 * the largest fills whole pages: never more than it is backed. */
	check_msg(r->max_backed <= biggest, "%llu bytes backed at most",
		  (unsigned long long)r->max_backed);
	/* The memory still comes back. */
	check(r->at_rest.pools_now == 1);
	check_msg(r->at_rest.bytes_backed <= REST_MAX_BACKED_BYTES,
		  "%llu bytes backed at rest",
		  (unsigned long long)r->at_rest.bytes_backed);
	finish(d, &comp, NULL);
	shared_free(r, sizeof(*r));
}

#define IDLE_BIG 256
#define IDLE_SMALL 200

struct idle_report {
	struct sealshm_client_stats big, changed, later, settled;
	void *big_data, *small_data;
};

static void
idle_client(void *data)
{
	struct idle_report *r = data;
	struct sealshm_client_buffer *b;
	struct window win;

	window_init(&win, true);
	for (int i = 0; i < 3; i++)
		b = window_frame(&win, IDLE_BIG, IDLE_BIG);
	r->big_data = sealshm_client_buffer_get_data(b);
	sealshm_swapchain_get_stats(win.sc, &r->big);
	b = window_frame(&win, IDLE_SMALL, IDLE_SMALL);
	r->small_data = sealshm_client_buffer_get_data(b);
	sealshm_swapchain_get_stats(win.sc, &r->changed);
	/* The first of these is the size change's own acquisition. */
	for (int i = 1; i < SEALSHM_SWAPCHAIN_PUNCH_FRAMES - 1; i++)
		window_frame(&win, IDLE_SMALL, IDLE_SMALL);
	sealshm_swapchain_get_stats(win.sc, &r->later);
	window_frame(&win, IDLE_SMALL, IDLE_SMALL);
	sealshm_swapchain_get_stats(win.sc, &r->settled);
	window_fini(&win);
}

TEST(a_dropped_slot_is_punched_once_left_unused)
{
	struct compositor comp = { .policy = HOLD_NONE, .full = true };
	struct idle_report *r = shared_alloc(sizeof(*r));
	struct test_display *d = start(&comp, NULL);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uint64_t big = IDLE_BIG * IDLE_BIG * 4;
	uint64_t small = (IDLE_SMALL * IDLE_SMALL * 4 + page - 1) / page * page;

	test_display_spawn(d, idle_client, r);
	check(test_display_run(d) == 0);
	check(r->big.buffers_allocated == 1);
	check(r->big.bytes_backed == big);
	/* The smaller buffer took the dropped one's place and pages... */
	check(r->changed.buffers_allocated == 2);
	check(r->small_data == r->big_data);
	check_msg(r->changed.bytes_punched == 0 &&
			  r->changed.bytes_backed == big,
		  "%llu punched, %llu backed after the size change",
		  (unsigned long long)r->changed.bytes_punched,
		  (unsigned long long)r->changed.bytes_backed);
	/* ...and the rest stays backed for a few acquisitions, in case the
	 * window grows back... */
	check_msg(r->later.bytes_backed == big, "%llu backed",
		  (unsigned long long)r->later.bytes_backed);
	/* ...then goes back to the kernel. */
	check_msg(r->settled.bytes_punched == big - small &&
			  r->settled.bytes_backed == small,
		  "%llu punched, %llu backed once settled",
		  (unsigned long long)r->settled.bytes_punched,
		  (unsigned long long)r->settled.bytes_backed);
	check(r->settled.buffers_allocated == 2);
	finish(d, &comp, NULL);
	shared_free(r, sizeof(*r));
}

struct age_report {
	int ages[16];
	int n;
};

static void
age_client(void *data)
{
	struct age_report *r = data;
	struct sealshm_client_buffer *b, *b2;
	struct window win;

	window_init(&win, true);
	/* Released at once: the same buffer again and again. */
	for (int i = 0; i < 3; i++) {
		b = window_frame(&win, 32, 32);
		r->ages[r->n++] = sealshm_client_buffer_get_age(b);
	}
	/* A new size: new contents. */
	b = window_frame(&win, 16, 16);
	r->ages[r->n++] = sealshm_client_buffer_get_age(b);
	/* Acquired twice without a commit: the second is a new buffer. */
	b = sealshm_swapchain_acquire(win.sc, 16, 16, ARGB);
	b2 = sealshm_swapchain_acquire(win.sc, 16, 16, ARGB);
	check(b && b2 && b != b2);
	r->ages[r->n++] = sealshm_client_buffer_get_age(b);
	r->ages[r->n++] = sealshm_client_buffer_get_age(b2);
	sealshm_swapchain_cancel(win.sc, b2);
	check(!sealshm_client_buffer_is_busy(b2));
	sealshm_swapchain_cancel(win.sc, b);
	/* Both cancelled: contents undefined. */
	b = window_frame(&win, 16, 16);
	r->ages[r->n++] = sealshm_client_buffer_get_age(b);
	window_fini(&win);
}

TEST(swapchain_reports_buffer_age)
{
	struct compositor comp = { .policy = HOLD_NONE, .full = true };
	struct age_report *r = shared_alloc(sizeof(*r));
	struct test_display *d = start(&comp, NULL);
	static const int expect[] = { 0, 1, 1, 0, 1, 0, 0 };

	test_display_spawn(d, age_client, r);
	check(test_display_run(d) == 0);
	check(r->n == 7);
	for (int i = 0; i < r->n; i++)
		check_msg(r->ages[i] == expect[i], "frame %d: age %d, not %d",
			  i, r->ages[i], expect[i]);
	finish(d, &comp, NULL);
	shared_free(r, sizeof(*r));
}

static void
age_double_client(void *data)
{
	struct age_report *r = data;
	struct window win;

	window_init(&win, true);
	for (int i = 0; i < 6; i++)
		r->ages[r->n++] = sealshm_client_buffer_get_age(
			window_frame(&win, 32, 32));
	window_fini(&win);
}

TEST(swapchain_age_with_double_buffering)
{
	struct compositor comp = { .policy = HOLD_PREVIOUS, .full = true };
	struct age_report *r = shared_alloc(sizeof(*r));
	struct test_display *d = start(&comp, NULL);
	static const int expect[] = { 0, 0, 2, 2, 2, 2 };

	test_display_spawn(d, age_double_client, r);
	check(test_display_run(d) == 0);
	for (int i = 0; i < 6; i++)
		check_msg(r->ages[i] == expect[i], "frame %d: age %d, not %d",
			  i, r->ages[i], expect[i]);
	finish(d, &comp, NULL);
	shared_free(r, sizeof(*r));
}

struct trim_report {
	struct sealshm_client_stats before, after;
};

static void
trim_client(void *data)
{
	struct trim_report *r = data;
	struct sealshm_client_buffer *b[3];
	struct window win;

	window_init(&win, true);
	for (int i = 0; i < 3; i++) {
		b[i] = sealshm_swapchain_acquire(win.sc, 256, 256, ARGB);
		check(b[i]);
	}
	for (int i = 2; i >= 0; i--)
		sealshm_swapchain_cancel(win.sc, b[i]);
	for (int i = 0; i < 5; i++)
		window_frame(&win, 256, 256);
	sealshm_swapchain_get_stats(win.sc, &r->before);
	for (int i = 0; i < SEALSHM_SWAPCHAIN_TRIM_FRAMES; i++)
		window_frame(&win, 256, 256);
	sealshm_swapchain_get_stats(win.sc, &r->after);
	window_fini(&win);
}

TEST(swapchain_trims_surplus_buffers)
{
	struct compositor comp = { .policy = HOLD_NONE, .full = true };
	struct trim_report *r = shared_alloc(sizeof(*r));
	struct test_display *d = start(&comp, NULL);
	const uint64_t slot = 256 * 256 * 4;

	test_display_spawn(d, trim_client, r);
	check(test_display_run(d) == 0);
	check(r->before.buffers_allocated == 3);
	check(r->after.buffers_allocated == 3);
	check_msg(r->before.bytes_backed == 3 * slot, "%llu backed",
		  (unsigned long long)r->before.bytes_backed);
	check_msg(r->after.bytes_backed == slot, "%llu backed after trim",
		  (unsigned long long)r->after.bytes_backed);
	check(r->after.bytes_punched == 2 * slot);
	finish(d, &comp, NULL);
	shared_free(r, sizeof(*r));
}

struct retire_report {
	struct sealshm_client_stats before_release, after_release;
};

static void
retire_client(void *data)
{
	struct retire_report *r = data;
	struct window win;

	window_init(&win, false);
	for (int i = 0; i < 3; i++)
		window_frame(&win, 1024, 768);
	/* Commits 4 .. RELEASE_BIG_AT - 1: the big ones stay held. */
	while (win.commits < RELEASE_BIG_AT - 1)
		window_frame(&win, 32, 32);
	sealshm_swapchain_get_stats(win.sc, &r->before_release);
	for (int i = 0; i < 5; i++)
		window_frame(&win, 32, 32);
	sealshm_swapchain_get_stats(win.sc, &r->after_release);
	window_fini(&win);
}

TEST(a_mostly_empty_pool_is_replaced_once_released)
{
	struct compositor comp = { .policy = HOLD_BIG };
	struct retire_report *r = shared_alloc(sizeof(*r));
	struct test_display *d = start(&comp, NULL);

	test_display_spawn(d, retire_client, r);
	check(test_display_run(d) == 0);
	/* Retired but alive: the compositor holds its three buffers, which
	 * stayed intact (checked at every commit). */
	check(r->before_release.pools_created == 2);
	check(r->before_release.pools_now == 2);
	/* Released: the big pool is gone; what is left is small. */
	check(r->after_release.pools_created == 2);
	check(r->after_release.pools_now == 1);
	check_msg(r->after_release.bytes_now <= 64 * 1024, "%llu bytes",
		  (unsigned long long)r->after_release.bytes_now);
	finish(d, &comp, NULL);
	shared_free(r, sizeof(*r));
}

static void
destroy_busy_client(void *data)
{
	struct window win;

	window_init(&win, true);
	for (int i = 0; i < 4; i++)
		window_frame(&win, BIG_WIDTH + i, 4);
	/* All four are held: destroyed at once, never punched. */
	window_fini(&win);
}

TEST(swapchain_destroy_with_held_buffers)
{
	struct compositor comp = { .policy = HOLD_BIG, .full = true };
	struct test_display *d = start(&comp, NULL);

	test_display_spawn(d, destroy_busy_client, NULL);
	check(test_display_run(d) == 0);
	finish(d, &comp, NULL);
}
