/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * One fd per file per client and the reuse of its mapping (and where
 * neither may happen), the budgets of a client and of the whole
 * compositor, copies that read holes with pread, and the options'
 * edges: size, EEXIST.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "server-test.h"
#include "shm-file.h"
#include "test-client.h"
#include "test-runner.h"

#define KiB 1024

static struct fixture *fx;

/* One client, n pools on one memfd (sent again each time), each with a
 * buffer, all alive at the check; pool_sizes[i] bytes each. */
struct same_file {
	int n;
	int32_t sizes[4];
	bool read_only_second; /* the 2nd pool gets a read-only fd */
};

static void
client_same_file(void *data)
{
	struct same_file *sf = data;
	int fd = make_sealed_memfd(64 * KiB);
	struct test_client *c = test_client_connect();
	struct wl_shm_pool *pools[4];
	struct wl_buffer *buffers[4];
	char path[64];

	fill_pattern(fd, 0, 64 * KiB, 3);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	for (int i = 0; i < sf->n; i++) {
		int send = fd;

		if (i == 1 && sf->read_only_second)
			send = open(path, O_RDONLY | O_CLOEXEC);
		check(send >= 0);
		pools[i] = wl_shm_create_pool(c->shm, send, sf->sizes[i]);
		if (send != fd)
			close(send);
		buffers[i] = wl_shm_pool_create_buffer(pools[i], 0, 16, 16, 64,
						       WL_SHM_FORMAT_ARGB8888);
	}
	client_expect_error(c, NULL, 0);
	for (int i = 0; i < sf->n; i++) {
		wl_buffer_destroy(buffers[i]);
		wl_shm_pool_destroy(pools[i]);
	}
	close(fd);
	test_client_destroy(c);
}

static void
run_same_file(struct same_file *sf, struct sealshm_stats *stats)
{
	fx = fixture_create(NULL, NULL, NULL);
	test_display_spawn(fx->d, client_same_file, sf);
	fixture_run(fx);
	sealshm_get_stats(fx->shm, stats, sizeof(*stats));
	check(stats->pools_accepted == (uint64_t)sf->n);
	/* Everything is gone with the client. */
	check(stats->fds == 0 && stats->mappings == 0 && stats->buffers == 0);
	check(stats->bytes_mapped == 0);
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}

TEST(same_file_shares_fd_and_mapping)
{
	struct same_file sf = { 4,
				{ 64 * KiB, 4 * KiB, 64 * KiB, 32 * KiB },
				false };
	struct sealshm_stats stats;

	run_same_file(&sf, &stats);
	/* One mmap for four pools: the first covers the others. */
	check_msg(stats.map_calls == 1, "%ju map calls",
		  (uintmax_t)stats.map_calls);
	check(stats.mappings_reused == 3);
}

TEST(file_grown_past_the_mapping_gets_a_new_one)
{
	struct same_file sf = { 2, { 4 * KiB, 64 * KiB }, false };
	struct sealshm_stats stats;

	run_same_file(&sf, &stats);
	check(stats.map_calls == 2);
	check(stats.mappings_reused == 0);
}

TEST(other_access_mode_is_another_file)
{
	struct same_file sf = { 2, { 64 * KiB, 64 * KiB }, true };
	struct sealshm_stats stats;

	run_same_file(&sf, &stats);
	check(stats.mappings_reused == 0);
	check(stats.map_calls == 2);
}

/*
 * A pool per buffer, each destroyed before the next is made, all in one
 * burst: the mapping is parked between them and reused; the idle after
 * the burst releases it, so the commit after a roundtrip maps anew.
 */
static void
client_churn_one_file(void *data)
{
	int fd = make_sealed_memfd(64 * KiB);
	struct test_client *c = test_client_connect();
	struct wl_surface *surface =
		wl_compositor_create_surface(c->compositor);

	for (int i = 0; i < 4; i++) {
		struct wl_shm_pool *pool =
			wl_shm_create_pool(c->shm, fd, 64 * KiB);

		wl_buffer_destroy(wl_shm_pool_create_buffer(
			pool, 0, 16, 16, 64, WL_SHM_FORMAT_ARGB8888));
		wl_shm_pool_destroy(pool);
	}
	client_expect_error(c, NULL, 0);
	client_commit_fd(c, surface, dup(fd), 64 * KiB, 0, 16, 16, 64,
			 WL_SHM_FORMAT_ARGB8888);
	close(fd);
	wl_surface_destroy(surface);
	test_client_destroy(c);
}

static void
record_stats(struct wl_resource *surface, struct wl_resource *buffer,
	     void *data)
{
	sealshm_get_stats(fx->shm, data, sizeof(struct sealshm_stats));
}

TEST(released_mapping_is_reused_until_idle)
{
	struct sealshm_stats at_commit = { 0 }, stats;

	fx = fixture_create(NULL, record_stats, &at_commit);
	test_display_spawn(fx->d, client_churn_one_file, NULL);
	fixture_run(fx);
	/* One mmap for the burst, a second after the idle released it. */
	check_msg(at_commit.map_calls == 2, "%ju map calls",
		  (uintmax_t)at_commit.map_calls);
	check(at_commit.mappings_reused == 3);
	check(at_commit.mappings == 1 && at_commit.fds == 1);
	sealshm_get_stats(fx->shm, &stats, sizeof(stats));
	check(stats.fds == 0 && stats.mappings == 0 && stats.bytes_mapped == 0);
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}

/*
 * A parked mapping only waits for its own file: a pool of another file,
 * in the same burst, releases it before anything is mapped.
 */
static void
client_switches_files(void *data)
{
	int x = make_sealed_memfd(64 * KiB), y = make_sealed_memfd(64 * KiB);
	struct test_client *c = test_client_connect();
	struct wl_surface *surface =
		wl_compositor_create_surface(c->compositor);
	struct wl_shm_pool *pool = wl_shm_create_pool(c->shm, x, 64 * KiB);

	wl_buffer_destroy(wl_shm_pool_create_buffer(pool, 0, 16, 16, 64,
						    WL_SHM_FORMAT_ARGB8888));
	wl_shm_pool_destroy(pool);
	client_commit_fd(c, surface, y, 64 * KiB, 0, 16, 16, 64,
			 WL_SHM_FORMAT_ARGB8888);
	close(x);
	wl_surface_destroy(surface);
	test_client_destroy(c);
}

TEST(pool_of_another_file_releases_the_parked_mapping)
{
	struct sealshm_stats at_commit = { 0 };

	fx = fixture_create(NULL, record_stats, &at_commit);
	test_display_spawn(fx->d, client_switches_files, NULL);
	fixture_run(fx);
	check(at_commit.map_calls == 2);
	check_msg(at_commit.mappings == 1 && at_commit.fds == 1,
		  "%ju mappings, %ju fds", (uintmax_t)at_commit.mappings,
		  (uintmax_t)at_commit.fds);
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}

/*
 * A parked mapping never costs a refusal: at the client's limit of 96 KiB,
 * a live 32 KiB pool grows to 64 KiB in the same burst that parked a
 * 64 KiB mapping of another file, and gets the parked one's room.
 */
static void
client_grows_beside_parked(void *data)
{
	int x = make_sealed_memfd(64 * KiB), y = make_sealed_memfd(64 * KiB);
	struct test_client *c = test_client_connect();
	struct wl_shm_pool *live = wl_shm_create_pool(c->shm, y, 32 * KiB);
	struct wl_buffer *buffer = wl_shm_pool_create_buffer(
		live, 0, 16, 16, 64, WL_SHM_FORMAT_ARGB8888);
	struct wl_shm_pool *pool = wl_shm_create_pool(c->shm, x, 64 * KiB);

	wl_buffer_destroy(wl_shm_pool_create_buffer(pool, 0, 16, 16, 64,
						    WL_SHM_FORMAT_ARGB8888));
	wl_shm_pool_destroy(pool);
	wl_shm_pool_resize(live, 64 * KiB);
	client_expect_error(c, NULL, 0);
	wl_buffer_destroy(buffer);
	wl_shm_pool_destroy(live);
	close(x);
	close(y);
	test_client_destroy(c);
}

TEST(parked_mapping_yields_to_the_byte_budget)
{
	struct sealshm_options opts = { .max_bytes_per_client = 96 * KiB };
	struct sealshm_stats stats;

	fx = fixture_create(&opts, NULL, NULL);
	test_display_spawn(fx->d, client_grows_beside_parked, NULL);
	fixture_run(fx);
	sealshm_get_stats(fx->shm, &stats, sizeof(stats));
	check(stats.pools_accepted == 2 && stats.pools_rejected == 0);
	check(stats.resizes_accepted == 1 && stats.resizes_rejected == 0);
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}

/* Copy tier: never mapped, so nothing to reuse; the fd is shared. */
static void
client_copy_twice(void *data)
{
	int fd = memfd_create("unsealable", MFD_CLOEXEC);
	struct test_client *c = test_client_connect();
	struct wl_shm_pool *a, *b;

	check(fd >= 0 && ftruncate(fd, 64 * KiB) == 0);
	a = wl_shm_create_pool(c->shm, fd, 64 * KiB);
	b = wl_shm_create_pool(c->shm, fd, 4 * KiB);
	client_expect_error(c, NULL, 0);
	wl_shm_pool_destroy(a);
	wl_shm_pool_destroy(b);
	close(fd);
	test_client_destroy(c);
}

static void
count_fds_while(struct fixture *f, uint64_t *most_fds)
{
	struct sealshm_stats stats;

	while (f->d->clients_running > 0) {
		sealshm_get_stats(f->shm, &stats, sizeof(stats));
		if (stats.fds > *most_fds)
			*most_fds = stats.fds;
		test_display_dispatch(f->d, 10);
	}
}

TEST(copy_tier_shares_the_fd_and_maps_nothing)
{
	struct sealshm_options opts = { .policy = SEALSHM_POLICY_COPY };
	struct sealshm_stats stats;
	uint64_t most_fds = 0;

	fx = fixture_create(&opts, NULL, NULL);
	test_display_spawn(fx->d, client_copy_twice, NULL);
	count_fds_while(fx, &most_fds);
	fixture_run(fx);
	sealshm_get_stats(fx->shm, &stats, sizeof(stats));
	check(stats.pools_accepted_by_tier[2] == 2);
	check(stats.map_calls == 0 && stats.mappings_reused == 0);
	check(most_fds == 1);
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}

/* Two clients, one memfd: never shared between clients. */
static void
client_sends(void *data)
{
	int fd = *(int *)data;
	struct test_client *c = test_client_connect();
	struct wl_shm_pool *pool = wl_shm_create_pool(c->shm, fd, 64 * KiB);

	client_expect_error(c, NULL, 0);
	wl_shm_pool_destroy(pool);
	test_client_destroy(c);
}

TEST(other_client_gets_its_own_mapping)
{
	int fd = make_sealed_memfd(64 * KiB);
	struct sealshm_stats stats;

	fx = fixture_create(NULL, NULL, NULL);
	test_display_spawn(fx->d, client_sends, &fd);
	test_display_spawn(fx->d, client_sends, &fd);
	fixture_run(fx);
	sealshm_get_stats(fx->shm, &stats, sizeof(stats));
	check(stats.pools_accepted == 2);
	check(stats.mappings_reused == 0);
	check(stats.map_calls == 2);
	fixture_check_baseline(fx);
	fixture_destroy(fx);
	close(fd);
}

/* The fd flood: the same memfd as many pools holds one server fd. */
static void
client_flood_one_file(void *data)
{
	int fd = make_sealed_memfd(4 * KiB);
	struct test_client *c = test_client_connect();
	int n = *(int *)data;
	struct wl_shm_pool **pools = calloc((size_t)n, sizeof(*pools));

	check(pools);
	for (int i = 0; i < n; i++)
		pools[i] = wl_shm_create_pool(c->shm, fd, 4 * KiB);
	close(fd);
	client_expect_error(c, NULL, 0);
	for (int i = 0; i < n; i++)
		wl_shm_pool_destroy(pools[i]);
	free(pools);
	test_client_destroy(c);
}

TEST(same_file_as_many_pools_holds_one_fd)
{
	uint64_t most_fds = 0;
	int n = 500, before, most = 0;
	struct sealshm_stats stats;

	fx = fixture_create(NULL, NULL, NULL);
	before = test_count_fds();
	test_display_spawn(fx->d, client_flood_one_file, &n);
	/* Dispatch until the client's pools all exist, counting fds. */
	while (fx->d->clients_running > 0) {
		int fds = test_count_fds();

		if (fds > most)
			most = fds;
		sealshm_get_stats(fx->shm, &stats, sizeof(stats));
		if (stats.fds > most_fds)
			most_fds = stats.fds;
		test_display_dispatch(fx->d, 10);
	}
	fixture_run(fx);
	sealshm_get_stats(fx->shm, &stats, sizeof(stats));
	check(stats.pools_accepted == (uint64_t)n);
	/* One pool fd, and a few for the connection and the child. */
	check(most_fds == 1);
	check_msg(most <= before + 4, "%d fds, %d before", most, before);
	check(stats.map_calls == 1);
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}

/* Budgets: each refused with a message naming it; others carry on. */
struct budget_case {
	struct sealshm_options options;
	int pools, buffers;
	int32_t pool_size; /* 0: 64 KiB */
	int32_t width;
	int code;
	const char *text;
	enum sealshm_reject_reason reason; /* for pools; -1: a buffer */
};

static void
client_budget(void *data)
{
	const struct budget_case *bc = data;
	struct test_client *c = test_client_connect();
	const struct wl_interface *iface = NULL;
	int32_t size = bc->pool_size ? bc->pool_size : 64 * KiB;
	struct wl_proxy *proxies[64];
	int err, n = 0;

	check(bc->pools * (1 + bc->buffers) <= 64);
	for (int i = 0; i < bc->pools; i++) {
		int fd = make_sealed_memfd((uint64_t)size);
		struct wl_shm_pool *pool = wl_shm_create_pool(c->shm, fd, size);

		close(fd);
		proxies[n++] = (struct wl_proxy *)pool;
		for (int j = 0; j < bc->buffers; j++)
			proxies[n++] =
				(struct wl_proxy *)wl_shm_pool_create_buffer(
					pool, 0, bc->width, 1, bc->width * 4,
					WL_SHM_FORMAT_ARGB8888);
	}
	err = test_client_roundtrip_error(c, &iface);
	check_msg(err == bc->code, "error %d, expected %d", err, bc->code);
	/* The connection is dead: free the proxies only. */
	while (n > 0)
		wl_proxy_destroy(proxies[--n]);
	test_client_destroy(c);
}

/* The well-behaved client, after the greedy one hit its budget. */
static void
client_modest(void *data)
{
	struct test_client *c = test_client_connect();
	struct wl_surface *surface =
		wl_compositor_create_surface(c->compositor);

	client_commit_fd(c, surface, make_sealed_memfd(4 * KiB), 4 * KiB, 0, 16,
			 16, 64, WL_SHM_FORMAT_ARGB8888);
	wl_surface_destroy(surface);
	test_client_destroy(c);
}

static void
commit_nothing(struct wl_resource *surface, struct wl_resource *buffer,
	       void *data)
{
	(*(int *)data)++;
}

static void
check_budget(const struct budget_case *bc, bool others_carry_on)
{
	struct sealshm_stats stats;
	int commits = 0;

	fx = fixture_create(&bc->options, commit_nothing, &commits);
	test_display_spawn(fx->d, client_budget, (void *)bc);
	check(test_display_run(fx->d) == 0);
	if (others_carry_on) {
		test_display_spawn(fx->d, client_modest, NULL);
		fixture_run(fx);
		check(commits == 1);
	} else {
		fixture_run(fx);
	}
	check_msg(fixture_log_has(fx, SEALSHM_LOG_DEBUG, bc->text),
		  "\"%s\" not in: %s", bc->text, fx->log ? fx->log : "");
	sealshm_get_stats(fx->shm, &stats, sizeof(stats));
	if ((int)bc->reason >= 0)
		check(stats.pools_rejected_by_reason[bc->reason] == 1);
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}

TEST(buffers_per_client_budget)
{
	struct budget_case bc = {
		.options = { .max_buffers_per_client = 4 },
		.pools = 1,
		.buffers = 5,
		.width = 16,
		.code = WL_SHM_ERROR_INVALID_STRIDE,
		.text = "client holds 4 buffers, the limit",
		.reason = (enum sealshm_reject_reason) - 1,
	};

	check_budget(&bc, true);
}

TEST(buffer_width_budget)
{
	struct budget_case bc = {
		.options = { .max_buffer_width = 100 },
		.pools = 1,
		.buffers = 1,
		.width = 101,
		.code = WL_SHM_ERROR_INVALID_STRIDE,
		.text = "exceeds the compositor's limit of 100x16384",
		.reason = (enum sealshm_reject_reason) - 1,
	};

	check_budget(&bc, true);
}

TEST(mappings_per_client_budget)
{
	struct budget_case bc = {
		.options = { .max_mappings_per_client = 2 },
		.pools = 3,
		.buffers = 0,
		.width = 16,
		.code = WL_SHM_ERROR_INVALID_FD,
		.text = "client holds 2 mappings, the limit",
		.reason = SEALSHM_REJECT_CLIENT_MAPPINGS,
	};

	check_budget(&bc, true);
}

TEST(compositor_mapping_budget)
{
	struct budget_case bc = {
		.options = { .max_mappings = 2 },
		.pools = 17, /* past the floor of 16 */
		.buffers = 0,
		.width = 16,
		.code = WL_SHM_ERROR_INVALID_FD,
		.text = "the compositor holds its limit of 2 mappings",
		.reason = SEALSHM_REJECT_COMPOSITOR_BUDGET,
	};

	check_budget(&bc, true);
}

TEST(compositor_fd_budget)
{
	struct budget_case bc = {
		.options = { .max_fds = 2 },
		.pools = 17, /* past the floor of 16 */
		.buffers = 0,
		.width = 16,
		.code = WL_SHM_ERROR_INVALID_FD,
		.text = "the compositor holds its limit of 2 client fds",
		.reason = SEALSHM_REJECT_COMPOSITOR_BUDGET,
	};

	check_budget(&bc, true);
}

TEST(compositor_bytes_budget)
{
	struct budget_case bc = {
		.options = { .max_bytes = 128 * KiB },
		.pools = 3, /* 192 MiB: past the floor of 128 MiB */
		.pool_size = 64 << 20,
		.buffers = 0,
		.width = 16,
		.code = WL_SHM_ERROR_INVALID_FD,
		.text = "the compositor holds its limit of 131072 bytes",
		.reason = SEALSHM_REJECT_COMPOSITOR_BUDGET,
	};

	check_budget(&bc, true);
}

/*
 * A greedy client fills the compositor-wide budgets while staying within
 * the per-client floor; a new, modest client still gets its pool while
 * the greedy one holds everything, and the greedy one is refused past the
 * floor.
 */
struct floor_state {
	int go[2];   /* greedy -> modest: the budgets are full */
	int done[2]; /* modest -> greedy: served */
};

static void
client_greedy(void *data)
{
	struct floor_state *st = data;
	struct test_client *c = test_client_connect();
	struct wl_shm_pool *pools[17];
	char byte = 0;
	int fd;

	for (int i = 0; i < 16; i++) {
		fd = make_sealed_memfd(64 * KiB);
		pools[i] = wl_shm_create_pool(c->shm, fd, 64 * KiB);
		close(fd);
	}
	client_expect_error(c, NULL, 0);
	check(write(st->go[1], &byte, 1) == 1);
	check(read(st->done[0], &byte, 1) == 1);
	fd = make_sealed_memfd(64 * KiB);
	pools[16] = wl_shm_create_pool(c->shm, fd, 64 * KiB);
	close(fd);
	client_expect_error(c, &wl_shm_interface, WL_SHM_ERROR_INVALID_FD);
	for (int i = 0; i < 17; i++)
		wl_proxy_destroy((struct wl_proxy *)pools[i]);
	test_client_destroy(c);
}

static void
client_modest_after(void *data)
{
	struct floor_state *st = data;
	char byte = 0;

	check(read(st->go[0], &byte, 1) == 1);
	client_modest(NULL);
	check(write(st->done[1], &byte, 1) == 1);
}

TEST(compositor_budgets_leave_every_client_a_floor)
{
	struct sealshm_options opts = { .max_fds = 4, .max_mappings = 4 };
	struct floor_state st;
	int commits = 0;

	check(pipe(st.go) == 0 && pipe(st.done) == 0);
	fx = fixture_create(&opts, commit_nothing, &commits);
	test_display_spawn(fx->d, client_greedy, &st);
	test_display_spawn(fx->d, client_modest_after, &st);
	fixture_run(fx);
	check(commits == 1);
	check(fixture_log_has(fx, SEALSHM_LOG_DEBUG,
			      "the compositor holds its limit of 4"));
	fixture_check_baseline(fx);
	fixture_destroy(fx);
	for (int i = 0; i < 2; i++) {
		close(st.go[i]);
		close(st.done[i]);
	}
}

/*
 * copy_to of a mapped buffer with holes: pread, nothing faulted in.  The
 * buffer is 64 pixels (256 bytes) wide; the client writes the first
 * @p written bytes of it and leaves the rest a hole.  copy_to checks the
 * page cache 128 KiB at a time, so it reads with pread only once it
 * reaches a window with a hole.
 */
struct holes_state {
	size_t size, written;
	int32_t damage_rows; /* 0: the whole buffer */
	int commits;
	bool resident_after;
};

static void
commit_copy_holes(struct wl_resource *surface, struct wl_resource *resource,
		  void *data)
{
	struct holes_state *st = data;
	struct sealshm_buffer *buffer = sealshm_buffer_from_resource(resource);
	int32_t rows =
		st->damage_rows ? st->damage_rows : (int32_t)(st->size / 256);
	size_t len = (size_t)rows * 256;
	uint8_t *dst = malloc(st->size);
	unsigned char vec[16];
	pixman_region32_t damage;
	uintptr_t page;

	check(buffer && dst);
	memset(dst, 0xee, st->size);
	pixman_region32_init_rect(&damage, 0, 0, 64, (unsigned)rows);
	check(sealshm_buffer_copy_to(buffer, &damage, dst, 256) == 0);
	pixman_region32_fini(&damage);
	/* What was written arrives, the hole reads as zeros. */
	check_pattern(dst, 0, len < st->written ? len : st->written, 9);
	for (size_t i = st->written; i < len; i++)
		check(dst[i] == 0);
	/* The hole's pages were not faulted in through our mapping. */
	page = (uintptr_t)sealshm_buffer_get_data(buffer) + st->size - 16 * KiB;
	check(mincore((void *)page, 16 * KiB, vec) == 0);
	st->resident_after = false;
	for (int i = 0; i < 4; i++)
		st->resident_after |= vec[i] & 1;
	free(dst);
	st->commits++;
}

static void
client_sparse(void *data)
{
	struct holes_state *st = data;
	struct test_client *c = test_client_connect();
	struct wl_surface *surface =
		wl_compositor_create_surface(c->compositor);
	int fd = make_sealed_memfd(st->size);

	fill_pattern(fd, 0, st->written, 9);
	/* Then a hole: never written, like a punched one. */
	check(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			(off_t)st->written,
			(off_t)(st->size - st->written)) == 0);
	client_commit_fd(c, surface, fd, (int32_t)st->size, 0, 64,
			 (int32_t)(st->size / 256), 256,
			 WL_SHM_FORMAT_ARGB8888);
	wl_surface_destroy(surface);
	test_client_destroy(c);
}

/* copy_to calls that switched to pread. */
static uint64_t
run_sparse(struct holes_state *st)
{
	struct sealshm_stats stats;

	fx = fixture_create(NULL, commit_copy_holes, st);
	test_display_spawn(fx->d, client_sparse, st);
	fixture_run(fx);
	check(st->commits == 1);
	check(!st->resident_after);
	sealshm_get_stats(fx->shm, &stats, sizeof(stats));
	fixture_check_baseline(fx);
	fixture_destroy(fx);
	return stats.copy_to_preads;
}

TEST(copy_to_reads_holes_with_pread)
{
	struct holes_state st = { .size = 64 * KiB, .written = 16 * KiB };

	check(run_sparse(&st) == 1);
}

/* Three whole windows are copied from the mapping, the fourth is read. */
TEST(copy_to_reads_with_pread_from_the_first_window_with_a_hole)
{
	struct holes_state st = { .size = 512 * KiB, .written = 384 * KiB };

	check(run_sparse(&st) == 1);
}

/* A hole outside the rows copied costs no pread. */
TEST(copy_to_of_rows_without_holes_reads_the_mapping)
{
	struct holes_state st = {
		.size = 512 * KiB,
		.written = 384 * KiB,
		.damage_rows = 512, /* the first 128 KiB */
	};

	check(run_sparse(&st) == 0);
}

/* Options: size is required; one sealshm per display. */
TEST(options_size_and_one_per_display)
{
	struct wl_display *display = wl_display_create();
	struct sealshm_options no_size = { .policy = SEALSHM_POLICY_COPY };
	struct sealshm_options ok = { .size = sizeof(ok) };
	struct sealshm *shm;

	check(display);
	errno = 0;
	check(!sealshm_create(display, &no_size) && errno == EINVAL);
	shm = sealshm_create(display, &ok);
	check(shm);
	errno = 0;
	check(!sealshm_create(display, NULL) && errno == EEXIST);
	sealshm_destroy(shm);
	/* After destroy, a new one is fine. */
	shm = sealshm_create(display, NULL);
	check(shm);
	wl_display_destroy(display);
}
