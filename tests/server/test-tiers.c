/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * The policy tiers with real fds of every kind doc/clients.md lists:
 * what strict, seal and copy accept (and through which path), the seal
 * the server adds, and truncation attacks on copied pools, which must
 * read as zeros and cost the client its connection, never a fault.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "server-test.h"
#include "shm-file.h"
#include "test-client.h"
#include "test-runner.h"

#define KiB 1024
#define POOL (64 * KiB)
#define OFFSET (32 * KiB)
#define W 64
#define H 64
#define STRIDE (W * 4)
#define BYTES (STRIDE * H)

static struct fixture *fx;

/* Client side: fds of every kind, POOL bytes, filled with the pattern. */

enum fd_kind {
	FD_SEALED_MEMFD,      /* A: most toolkits */
	FD_UNSEALED_MEMFD,    /* B: Mesa software paths, Firefox */
	FD_UNSEALED_MEMFD_RO, /* B, but the fd is read-only */
	FD_UNSEALABLE_MEMFD,  /* C: GTK 3, Qt 5 (no MFD_ALLOW_SEALING) */
	FD_SEAL_SEALED_MEMFD, /* C: F_SEAL_SEAL without F_SEAL_SHRINK */
	FD_SHM_OPEN,	      /* C: sway tools, Chromium (/dev/shm) */
	FD_DISK_FILE,	      /* C: EFL, Chromium (/tmp), mkstemp */
	FD_PIPE,	      /* never */
	FD_SOCKET,
	FD_DEV_ZERO,
	FD_DIRECTORY,
	FD_EVENTFD,
	FD_HUGETLB,
};

static int
open_reopen(int fd, int flags)
{
	char path[64];
	int copy;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	copy = open(path, flags | O_CLOEXEC);
	check(copy >= 0);
	close(fd);
	return copy;
}

/* A file on a disk filesystem (not tmpfs) under @p dir, or -1. */
static int
make_disk_file(const char *dir)
{
	char path[256];
	struct statfs sfs;
	int fd;

	snprintf(path, sizeof(path), "%s/sealshm-tier-XXXXXX", dir);
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -1;
	unlink(path);
	check(fstatfs(fd, &sfs) == 0);
	if ((uint32_t)sfs.f_type == (uint32_t)TMPFS_MAGIC) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
make_fd(enum fd_kind kind)
{
	int fd = -1, p[2];
	char name[64];

	switch (kind) {
	case FD_SEALED_MEMFD:
	case FD_UNSEALED_MEMFD:
	case FD_UNSEALED_MEMFD_RO:
	case FD_SEAL_SEALED_MEMFD:
		fd = test_client_make_memfd(POOL, 0);
		break;
	case FD_UNSEALABLE_MEMFD:
		fd = memfd_create("sealshm-tier", MFD_CLOEXEC);
		check(fd >= 0 && ftruncate(fd, POOL) == 0);
		break;
	case FD_SHM_OPEN:
		snprintf(name, sizeof(name), "/sealshm-tier-%d", (int)getpid());
		fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
			      0600);
		if (fd < 0)
			test_skip("shm_open failed: no /dev/shm");
		shm_unlink(name);
		check(ftruncate(fd, POOL) == 0);
		break;
	case FD_DISK_FILE:
		fd = make_disk_file(".");
		if (fd < 0)
			fd = make_disk_file("/var/tmp");
		if (fd < 0)
			test_skip("no disk filesystem for a file");
		check(ftruncate(fd, POOL) == 0);
		break;
	case FD_PIPE:
		check(pipe2(p, O_CLOEXEC) == 0);
		close(p[1]);
		return p[0];
	case FD_SOCKET:
		check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) ==
		      0);
		close(p[1]);
		return p[0];
	case FD_DEV_ZERO:
		fd = open("/dev/zero", O_RDWR | O_CLOEXEC);
		check(fd >= 0);
		return fd;
	case FD_DIRECTORY:
		fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		check(fd >= 0);
		return fd;
	case FD_EVENTFD:
		fd = eventfd(0, EFD_CLOEXEC);
		check(fd >= 0);
		return fd;
	case FD_HUGETLB:
		fd = memfd_create("sealshm-tier", MFD_CLOEXEC | MFD_HUGETLB);
		if (fd < 0 || ftruncate(fd, 2 * 1024 * KiB) < 0)
			test_skip("no MFD_HUGETLB memfds");
		return fd;
	}
	fill_pattern(fd, 0, POOL, 20);
	if (kind == FD_SEALED_MEMFD)
		check(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0);
	if (kind == FD_SEAL_SEALED_MEMFD)
		check(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL) == 0);
	if (kind == FD_UNSEALED_MEMFD_RO)
		fd = open_reopen(fd, O_RDONLY);
	return fd;
}

/* What each policy makes of each kind of fd. */

enum outcome {
	REJECT,
	MAPPED,	       /* tier 0: sealed by the client */
	SERVER_SEALED, /* tier 1 */
	COPIED,	       /* tier 2 */
};

struct tier_case {
	enum sealshm_policy policy;
	enum fd_kind kind;
	enum outcome outcome;
	enum sealshm_reject_reason reason; /* for REJECT */
	bool read_only;
	/* server side */
	int commits;
};

static void
client_tier(void *data)
{
	const struct tier_case *tc = data;
	struct client_pool cp;
	struct wl_buffer *buffer;

	client_pool_init(&cp, make_fd(tc->kind), POOL);
	if (tc->outcome == REJECT) {
		client_expect_error(cp.c, &wl_shm_interface,
				    WL_SHM_ERROR_INVALID_FD);
		wl_proxy_destroy((struct wl_proxy *)cp.pool);
		cp.pool = NULL;
		client_pool_finish(&cp, NULL);
		return;
	}
	buffer = wl_shm_pool_create_buffer(cp.pool, OFFSET, W, H, STRIDE,
					   WL_SHM_FORMAT_ARGB8888);
	client_commit(cp.c, cp.surface, buffer);
	client_commit(cp.c, cp.surface, buffer);

	if (tc->outcome == SERVER_SEALED) {
		/* SHRINK was added, GROW never: the pool can still grow. */
		check(fcntl(cp.fd, F_GET_SEALS) == F_SEAL_SHRINK);
		check(ftruncate(cp.fd, POOL / 2) < 0 && errno == EPERM);
		check(ftruncate(cp.fd, 2 * POOL) == 0);
		wl_shm_pool_resize(cp.pool, 2 * POOL);
		check(test_client_roundtrip_error(cp.c, NULL) == 0);
	}
	client_pool_finish(&cp, buffer);
}

static void
check_tier_commit(struct wl_resource *surface, struct wl_resource *resource,
		  void *data)
{
	struct sealshm_buffer *buffer = sealshm_buffer_from_resource(resource);
	struct tier_case *tc = data;
	static void *first;
	void *pixels;

	check(buffer);
	check(sealshm_buffer_is_copied(buffer) == (tc->outcome == COPIED));
	check(sealshm_buffer_is_read_only(buffer) == tc->read_only);
	check(!sealshm_buffer_is_immutable(buffer));
	pixels = sealshm_buffer_begin_access(buffer);
	check_pattern(pixels, OFFSET, BYTES, 20);
	sealshm_buffer_end_access(buffer, false);
	/* Copied or not, the pointer never moves. */
	if (tc->commits == 0)
		first = pixels;
	check(pixels == first);
	tc->commits++;
}

static void
run_tier(struct tier_case *tc)
{
	struct sealshm_options opts = { .policy = tc->policy };
	struct sealshm_stats stats;

	/* Skips are decided here, not in the client. */
	close(make_fd(tc->kind));
	fx = fixture_create(&opts, check_tier_commit, tc);
	test_display_spawn(fx->d, client_tier, tc);
	fixture_run(fx);
	sealshm_get_stats(fx->shm, &stats, sizeof(stats));
	if (tc->outcome == REJECT) {
		check(tc->commits == 0);
		check(stats.pools_accepted == 0);
		check_msg(stats.pools_rejected_by_reason[tc->reason] == 1,
			  "not rejected as %s",
			  sealshm_reject_reason_name(tc->reason));
	} else {
		check(tc->commits == 2);
		check(stats.pools_accepted == 1);
		check(stats.pools_accepted_by_tier[tc->outcome - MAPPED] == 1);
		check(stats.clients_disconnected == 0);
		check(stats.copy_short_reads == 0);
		/* Only mapped tiers map anything. */
		check((stats.map_calls == 0) == (tc->outcome == COPIED));
		check(stats.resizes_accepted ==
		      (tc->outcome == SERVER_SEALED ? 1u : 0u));
	}
	check(stats.bytes_mapped == 0);
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}

#define TIER_TEST(name, pol, k, out, why, ro)                                  \
	TEST(name)                                                             \
	{                                                                      \
		struct tier_case tc = {                                        \
			.policy = SEALSHM_POLICY_##pol,                        \
			.kind = k,                                             \
			.outcome = out,                                        \
			.reason = why,                                         \
			.read_only = ro,                                       \
		};                                                             \
		run_tier(&tc);                                                 \
	}

#define R(x) SEALSHM_REJECT_##x

TIER_TEST(strict_sealed_memfd, STRICT, FD_SEALED_MEMFD, MAPPED, 0, false)
TIER_TEST(strict_unsealed_memfd, STRICT, FD_UNSEALED_MEMFD, REJECT, R(UNSEALED),
	  false)
TIER_TEST(strict_unsealable_memfd, STRICT, FD_UNSEALABLE_MEMFD, REJECT,
	  R(UNSEALED), false)
TIER_TEST(strict_shm_open, STRICT, FD_SHM_OPEN, REJECT, R(UNSEALED), false)
TIER_TEST(strict_disk_file, STRICT, FD_DISK_FILE, REJECT, R(NOT_SHMEM), false)

TIER_TEST(seal_sealed_memfd, SEAL, FD_SEALED_MEMFD, MAPPED, 0, false)
TIER_TEST(seal_unsealed_memfd, SEAL, FD_UNSEALED_MEMFD, SERVER_SEALED, 0, false)
TIER_TEST(seal_unsealed_read_only_memfd, SEAL, FD_UNSEALED_MEMFD_RO, REJECT,
	  R(UNSEALED), false)
TIER_TEST(seal_seal_sealed_memfd, SEAL, FD_SEAL_SEALED_MEMFD, REJECT,
	  R(UNSEALED), false)
TIER_TEST(seal_unsealable_memfd, SEAL, FD_UNSEALABLE_MEMFD, REJECT, R(UNSEALED),
	  false)
TIER_TEST(seal_shm_open, SEAL, FD_SHM_OPEN, REJECT, R(UNSEALED), false)
TIER_TEST(seal_disk_file, SEAL, FD_DISK_FILE, REJECT, R(NOT_SHMEM), false)
TIER_TEST(seal_pipe, SEAL, FD_PIPE, REJECT, R(NOT_REGULAR), false)

TIER_TEST(copy_sealed_memfd, COPY, FD_SEALED_MEMFD, MAPPED, 0, false)
TIER_TEST(copy_unsealed_memfd_gets_sealed, COPY, FD_UNSEALED_MEMFD,
	  SERVER_SEALED, 0, false)
TIER_TEST(copy_unsealed_read_only_memfd, COPY, FD_UNSEALED_MEMFD_RO, COPIED, 0,
	  true)
TIER_TEST(copy_seal_sealed_memfd, COPY, FD_SEAL_SEALED_MEMFD, COPIED, 0, false)
TIER_TEST(copy_unsealable_memfd, COPY, FD_UNSEALABLE_MEMFD, COPIED, 0, false)
TIER_TEST(copy_shm_open, COPY, FD_SHM_OPEN, COPIED, 0, false)
TIER_TEST(copy_disk_file, COPY, FD_DISK_FILE, COPIED, 0, false)
TIER_TEST(copy_pipe, COPY, FD_PIPE, REJECT, R(NOT_REGULAR), false)
TIER_TEST(copy_socket, COPY, FD_SOCKET, REJECT, R(NOT_REGULAR), false)
TIER_TEST(copy_dev_zero, COPY, FD_DEV_ZERO, REJECT, R(NOT_REGULAR), false)
TIER_TEST(copy_directory, COPY, FD_DIRECTORY, REJECT, R(NOT_REGULAR), false)
TIER_TEST(copy_eventfd, COPY, FD_EVENTFD, REJECT, R(NOT_REGULAR), false)
TIER_TEST(copy_hugetlb, COPY, FD_HUGETLB, REJECT, R(NOT_SHMEM), false)

/*
 * Truncation attacks under the copy tier: the client shrinks its file
 * between two commits.  The second access reads what is left, zeros the
 * rest, keeps the pointer, and the client gets invalid_fd.
 */

struct truncate_case {
	enum fd_kind kind;
	off_t truncate_to;
	/* server side */
	int commits;
	void *first;
};

static void
client_truncate(void *data)
{
	const struct truncate_case *tc = data;
	struct client_pool cp;
	struct wl_buffer *buffer;

	buffer = client_pool_init_buffer(&cp, make_fd(tc->kind),
					 POOL, OFFSET, W, H, STRIDE);
	client_commit(cp.c, cp.surface, buffer);
	check(ftruncate(cp.fd, tc->truncate_to) == 0);
	client_pool_fail_invalid_fd(&cp, buffer);
}

/* @p pixels hold pattern 20 from @p pos for @p left bytes, zeros after. */
static void
check_pattern_then_zeros(const uint8_t *pixels, uint64_t pos, uint64_t left)
{
	check_pattern(pixels, pos, left, 20);
	for (uint64_t i = left; i < BYTES; i++)
		check_msg(pixels[i] == 0, "byte %ju not zero", (uintmax_t)i);
}

static void
check_truncate_commit(struct wl_resource *surface, struct wl_resource *resource,
		      void *data)
{
	struct sealshm_buffer *buffer = sealshm_buffer_from_resource(resource);
	struct truncate_case *tc = data;
	uint64_t left = 0;
	uint8_t *pixels;

	check(buffer);
	check(sealshm_buffer_is_copied(buffer));
	pixels = sealshm_buffer_begin_access(buffer);
	if (tc->commits == 0) {
		tc->first = pixels;
		check_pattern(pixels, OFFSET, BYTES, 20);
	} else {
		check(pixels == tc->first);
		if (tc->truncate_to > OFFSET)
			left = (uint64_t)(tc->truncate_to - OFFSET);
		check_pattern_then_zeros(pixels, OFFSET, left);
	}
	sealshm_buffer_end_access(buffer, false);
	tc->commits++;
}

static void
run_truncate(struct truncate_case *tc)
{
	struct sealshm_options opts = { .policy = SEALSHM_POLICY_COPY };

	close(make_fd(tc->kind));
	fx = fixture_create(&opts, check_truncate_commit, tc);
	test_display_spawn(fx->d, client_truncate, tc);
	fixture_run(fx);
	check(tc->commits == 2);
	fixture_check_short_read(fx);
	check(fixture_log_has(fx, SEALSHM_LOG_DEBUG, "F_SEAL_SHRINK"));
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}

TEST(copy_truncated_into_the_buffer_reads_zeros)
{
	struct truncate_case tc = { .kind = FD_UNSEALABLE_MEMFD,
				    .truncate_to = OFFSET + 8 * KiB };

	run_truncate(&tc);
}

TEST(copy_truncated_to_zero_reads_zeros)
{
	struct truncate_case tc = { .kind = FD_SHM_OPEN, .truncate_to = 0 };

	run_truncate(&tc);
}

TEST(copy_truncated_disk_file_reads_zeros)
{
	struct truncate_case tc = { .kind = FD_DISK_FILE,
				    .truncate_to = OFFSET + 1 };

	run_truncate(&tc);
}

/*
 * Copy-tier pools larger than their file: accepted at create and resize
 * (an unsealed file can shrink after any check, so the server checks at
 * access instead); a buffer beyond the file's end reads as zeros and
 * costs the client invalid_fd on the wl_buffer.  The file is POOL bytes.
 */

struct beyond_case {
	int32_t pool_size;
	int32_t resize_to; /* 0: no resize */
	int32_t offset;	   /* of the buffer that reaches past the file */
	off_t truncate_to; /* >= 0: destroy the pool and truncate before
			      anything reaches the server (wlcs) */
	/* server side */
	int commits;
};

static void
client_beyond(void *data)
{
	const struct beyond_case *bc = data;
	struct client_pool cp;
	struct wl_buffer *inside, *beyond;

	client_pool_init(&cp, make_fd(FD_UNSEALABLE_MEMFD), bc->pool_size);
	if (bc->resize_to)
		wl_shm_pool_resize(cp.pool, bc->resize_to);
	inside = wl_shm_pool_create_buffer(cp.pool, OFFSET, W, H, STRIDE,
					   WL_SHM_FORMAT_ARGB8888);
	beyond = wl_shm_pool_create_buffer(cp.pool, bc->offset, W, H, STRIDE,
					   WL_SHM_FORMAT_ARGB8888);
	if (bc->truncate_to >= 0) {
		wl_shm_pool_destroy(cp.pool);
		cp.pool = NULL;
		check(ftruncate(cp.fd, bc->truncate_to) == 0);
	} else {
		client_commit(cp.c, cp.surface, inside);
	}
	/* Only a proxy to free: no request reaches the server. */
	wl_proxy_destroy((struct wl_proxy *)inside);
	client_pool_fail_invalid_fd(&cp, beyond);
}

static void
check_beyond_commit(struct wl_resource *surface, struct wl_resource *resource,
		    void *data)
{
	struct sealshm_buffer *buffer = sealshm_buffer_from_resource(resource);
	struct beyond_case *bc = data;
	off_t file = bc->truncate_to >= 0 ? bc->truncate_to : POOL;
	uint64_t left = 0;
	uint8_t *pixels;

	check(buffer);
	check(sealshm_buffer_is_copied(buffer));
	pixels = sealshm_buffer_begin_access(buffer);
	if (bc->commits == 0 && bc->truncate_to < 0) {
		check_pattern(pixels, OFFSET, BYTES, 20);
	} else {
		if (file > bc->offset)
			left = (uint64_t)(file - bc->offset);
		if (left > BYTES)
			left = BYTES;
		check_pattern_then_zeros(pixels, (uint64_t)bc->offset, left);
	}
	sealshm_buffer_end_access(buffer, false);
	bc->commits++;
}

static void
run_beyond(struct beyond_case *bc)
{
	struct sealshm_options opts = { .policy = SEALSHM_POLICY_COPY };
	struct sealshm_stats stats;

	close(make_fd(FD_UNSEALABLE_MEMFD));
	fx = fixture_create(&opts, check_beyond_commit, bc);
	test_display_spawn(fx->d, client_beyond, bc);
	fixture_run(fx);
	check(bc->commits == (bc->truncate_to >= 0 ? 1 : 2));
	sealshm_get_stats(fx->shm, &stats, sizeof(stats));
	check(stats.pools_accepted_by_tier[2] == 1);
	check(stats.pools_rejected == 0);
	check(stats.resizes_accepted == (bc->resize_to ? 1 : 0));
	check(stats.resizes_rejected == 0);
	check(stats.buffers_created == 2);
	fixture_check_short_read(fx);
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}

TEST(copy_pool_beyond_file_at_create_is_checked_at_access)
{
	/* The second buffer straddles the file's end. */
	struct beyond_case bc = { .pool_size = 2 * POOL,
				  .offset = POOL - BYTES / 2,
				  .truncate_to = -1 };

	run_beyond(&bc);
}

TEST(copy_resize_beyond_file_is_checked_at_access)
{
	struct beyond_case bc = { .pool_size = POOL,
				  .resize_to = 4 * POOL,
				  .offset = 3 * POOL,
				  .truncate_to = -1 };

	run_beyond(&bc);
}

/* wlcs BadBufferTest.test_truncated_shm_file, under the copy policy. */
TEST(copy_truncated_before_create_pool_errors_on_the_buffer)
{
	struct beyond_case bc = { .pool_size = POOL,
				  .offset = OFFSET,
				  .truncate_to = 12 };

	run_beyond(&bc);
}

/* The copy policy still checks sizes exactly for pools it maps. */

static void
client_sealed_beyond(void *data)
{
	const bool *at_resize = data;
	struct test_client *c = test_client_connect();
	int fd = make_fd(FD_SEALED_MEMFD);
	struct wl_shm_pool *pool;

	if (*at_resize) {
		pool = wl_shm_create_pool(c->shm, fd, POOL);
		wl_shm_pool_resize(pool, POOL + 4 * KiB);
		client_expect_error(c, &wl_shm_pool_interface,
				    WL_SHM_ERROR_INVALID_FD);
	} else {
		pool = wl_shm_create_pool(c->shm, fd, POOL + 1);
		client_expect_error(c, &wl_shm_interface,
				    WL_SHM_ERROR_INVALID_FD);
	}
	wl_proxy_destroy((struct wl_proxy *)pool);
	close(fd);
	test_client_destroy(c);
}

static void
run_sealed_beyond(bool at_resize)
{
	struct sealshm_options opts = { .policy = SEALSHM_POLICY_COPY };
	struct sealshm_stats stats;

	close(make_fd(FD_SEALED_MEMFD));
	fx = fixture_create(&opts, NULL, NULL);
	test_display_spawn(fx->d, client_sealed_beyond, &at_resize);
	fixture_run(fx);
	sealshm_get_stats(fx->shm, &stats, sizeof(stats));
	if (at_resize) {
		check(stats.pools_accepted_by_tier[0] == 1);
		check(stats.resizes_rejected == 1);
		check(fixture_log_has(fx, SEALSHM_LOG_DEBUG,
				      "resize to 69632 > file size 65536"));
	} else {
		check(stats.pools_accepted == 0);
		check(stats.pools_rejected_by_reason
			      [SEALSHM_REJECT_FILE_TOO_SMALL] == 1);
		check(fixture_log_has(fx, SEALSHM_LOG_DEBUG,
				      "pool size 65537 > file size 65536"));
	}
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}

TEST(copy_policy_sealed_pool_beyond_file_is_refused)
{
	run_sealed_beyond(false);
}

TEST(copy_policy_sealed_resize_beyond_file_is_refused)
{
	run_sealed_beyond(true);
}

/*
 * sealshm_buffer_begin_access_region(): a copied buffer reads only the
 * rows its damage touches, writes back only those, and checks the file's
 * end only there.  The client rewrites its file between commits (pattern
 * 20, then 21) so each row shows which access last read it.
 */

#define ROW(y) ((uint64_t)OFFSET + (uint64_t)(y) * (uint64_t)STRIDE)

/* A byte the server writes: differs from what the file holds there. */
static uint8_t
flipped(uint64_t pos)
{
	return (uint8_t)(pattern_byte(21, pos) ^ 0xff);
}

static void
client_region(void *data)
{
	struct client_pool cp;
	struct wl_buffer *buffer;
	uint8_t byte;

	buffer = client_pool_init_buffer(&cp, make_fd(FD_UNSEALABLE_MEMFD),
					 POOL, OFFSET, W, H, STRIDE);
	client_commit(cp.c, cp.surface, buffer);
	fill_pattern(cp.fd, 0, POOL, 21);
	client_commit(cp.c, cp.surface, buffer);
	/* The server wrote into rows 50 (read) and 0 (not read). */
	client_commit(cp.c, cp.surface, buffer);
	check(pread(cp.fd, &byte, 1, (off_t)ROW(50)) == 1);
	check(byte == flipped(ROW(50)));
	check(pread(cp.fd, &byte, 1, (off_t)ROW(0)) == 1);
	check(byte == pattern_byte(21, ROW(0)));
	/* Rows from 20 on are gone; reading rows 0 and 1 is still fine. */
	check(ftruncate(cp.fd, (off_t)ROW(20)) == 0);
	client_commit(cp.c, cp.surface, buffer);
	client_pool_fail_invalid_fd(&cp, buffer);
}

struct region_state {
	int commits;
	void *first;
};

static void
check_rows(const uint8_t *pixels, int32_t y1, int32_t y2, uint32_t seed)
{
	for (int32_t y = y1; y < y2; y++)
		check_pattern(pixels + (size_t)y * STRIDE, ROW(y), STRIDE,
			      seed);
}

static void
check_region_commit(struct wl_resource *surface, struct wl_resource *resource,
		    void *data)
{
	struct sealshm_buffer *buffer = sealshm_buffer_from_resource(resource);
	struct region_state *rs = data;
	pixman_region32_t damage;
	uint8_t *pixels;

	check(buffer);
	pixman_region32_init(&damage);
	switch (rs->commits) {
	case 0:
		rs->first = sealshm_buffer_begin_access_region(buffer, NULL);
		check_rows(rs->first, 0, H, 20);
		sealshm_buffer_end_access(buffer, false);
		break;
	case 1:
		/* Rows 10-11 and 40, plus boxes outside the buffer. */
		pixman_region32_union_rect(&damage, &damage, 5, 10, 5, 2);
		pixman_region32_union_rect(&damage, &damage, 0, 40, W, 1);
		pixman_region32_union_rect(&damage, &damage, 0, 100, 10, 100);
		pixman_region32_union_rect(&damage, &damage, W, 20, 10, 10);
		pixman_region32_union_rect(&damage, &damage, -20, 30, 20, 5);
		pixels = sealshm_buffer_begin_access_region(buffer, &damage);
		check(pixels == rs->first);
		check_rows(pixels, 0, 10, 20);
		check_rows(pixels, 10, 12, 21);
		check_rows(pixels, 12, 40, 20);
		check_rows(pixels, 40, 41, 21);
		check_rows(pixels, 41, H, 20);
		sealshm_buffer_end_access(buffer, false);
		break;
	case 2:
		pixman_region32_union_rect(&damage, &damage, 0, 50, 1, 1);
		pixels = sealshm_buffer_begin_access_region(buffer, &damage);
		check_rows(pixels, 50, 51, 21);
		pixels[50 * STRIDE] = flipped(ROW(50));
		pixels[0] = flipped(ROW(0));
		sealshm_buffer_end_access(buffer, true);
		break;
	case 3:
		pixman_region32_union_rect(&damage, &damage, 0, 0, W, 2);
		pixels = sealshm_buffer_begin_access_region(buffer, &damage);
		check_rows(pixels, 0, 2, 21);
		sealshm_buffer_end_access(buffer, false);
		break;
	case 4:
		pixman_region32_union_rect(&damage, &damage, 0, 30, W, 1);
		pixels = sealshm_buffer_begin_access_region(buffer, &damage);
		for (size_t i = 0; i < STRIDE; i++)
			check(pixels[30 * STRIDE + i] == 0);
		/* Earlier accesses' rows keep what they read. */
		check_rows(pixels, 10, 12, 21);
		check_rows(pixels, 40, 41, 21);
		check_rows(pixels, 41, 50, 20);
		check_rows(pixels, 51, H, 20);
		sealshm_buffer_end_access(buffer, false);
		break;
	}
	pixman_region32_fini(&damage);
	rs->commits++;
}

TEST(copy_region_reads_writes_and_checks_only_damaged_rows)
{
	struct sealshm_options opts = { .policy = SEALSHM_POLICY_COPY };
	struct region_state rs = { 0 };
	struct sealshm_stats stats;

	close(make_fd(FD_UNSEALABLE_MEMFD));
	fx = fixture_create(&opts, check_region_commit, &rs);
	test_display_spawn(fx->d, client_region, NULL);
	fixture_run(fx);
	check(rs.commits == 5);
	sealshm_get_stats(fx->shm, &stats, sizeof(stats));
	check(stats.copy_short_reads == 1);
	check(stats.clients_disconnected == 1);
	check(fixture_log_has(fx, SEALSHM_LOG_DEBUG,
			      "read 0 of 256 bytes of a buffer"));
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}

/* Mapped pools: the region changes nothing, every pixel is current. */

static void
client_region_mapped(void *data)
{
	struct client_pool cp;
	struct wl_buffer *buffer;

	buffer = client_pool_init_buffer(&cp, make_fd(FD_SEALED_MEMFD),
					 POOL, OFFSET, W, H, STRIDE);
	client_commit(cp.c, cp.surface, buffer);
	fill_pattern(cp.fd, 0, POOL, 21);
	client_commit(cp.c, cp.surface, buffer);
	client_pool_finish(&cp, buffer);
}

static void
check_region_mapped_commit(struct wl_resource *surface,
			   struct wl_resource *resource, void *data)
{
	struct sealshm_buffer *buffer = sealshm_buffer_from_resource(resource);
	int *commits = data;
	pixman_region32_t damage;
	uint8_t *pixels;

	check(buffer);
	check(!sealshm_buffer_is_copied(buffer));
	pixman_region32_init_rect(&damage, 0, 10, 1, 1);
	pixels = sealshm_buffer_begin_access(buffer);
	check(sealshm_buffer_begin_access_region(buffer, &damage) == pixels);
	check(sealshm_buffer_begin_access_region(buffer, NULL) == pixels);
	check_rows(pixels, 0, H, *commits == 0 ? 20 : 21);
	sealshm_buffer_end_access(buffer, false);
	sealshm_buffer_end_access(buffer, false);
	sealshm_buffer_end_access(buffer, false);
	/* Not nested this time. */
	check(sealshm_buffer_begin_access_region(buffer, &damage) == pixels);
	check_rows(pixels, 0, H, *commits == 0 ? 20 : 21);
	sealshm_buffer_end_access(buffer, false);
	pixman_region32_fini(&damage);
	(*commits)++;
}

TEST(mapped_region_access_is_plain_access)
{
	int commits = 0;

	close(make_fd(FD_SEALED_MEMFD));
	fx = fixture_create(NULL, check_region_mapped_commit, &commits);
	test_display_spawn(fx->d, client_region_mapped, NULL);
	fixture_run(fx);
	check(commits == 2);
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}

/* Copy tier: writes go back to the client's file; resize works. */

static int to_client[2];

static void
client_write_back(void *data)
{
	struct client_pool cp;
	struct wl_buffer *buffer, *grown;
	uint8_t byte;

	buffer = client_pool_init_buffer(&cp, make_fd(FD_DISK_FILE),
					 POOL, OFFSET, W, H, STRIDE);
	client_commit(cp.c, cp.surface, buffer);
	check(read(to_client[0], &byte, 1) == 1);
	check(pread(cp.fd, &byte, 1, OFFSET) == 1);
	check(byte == 0xa5);
	check(pread(cp.fd, &byte, 1, OFFSET + 1) == 1);
	check(byte == pattern_byte(20, OFFSET + 1));

	check(ftruncate(cp.fd, 2 * POOL) == 0);
	fill_pattern(cp.fd, POOL, POOL, 20);
	wl_shm_pool_resize(cp.pool, 2 * POOL);
	grown = wl_shm_pool_create_buffer(cp.pool, 2 * POOL - BYTES, W, H,
					  STRIDE, WL_SHM_FORMAT_ARGB8888);
	client_commit(cp.c, cp.surface, grown);

	wl_buffer_destroy(grown);
	client_pool_finish(&cp, buffer);
}

static void
write_commit(struct wl_resource *surface, struct wl_resource *resource,
	     void *data)
{
	struct sealshm_buffer *buffer = sealshm_buffer_from_resource(resource);
	int *commits = data;
	uint8_t *pixels;

	check(buffer);
	check(!sealshm_buffer_is_read_only(buffer));
	pixels = sealshm_buffer_begin_access(buffer);
	if (*commits == 0) {
		/* Nested accesses: only the outermost end writes back. */
		check(sealshm_buffer_begin_access(buffer) == pixels);
		pixels[0] = 0xa5;
		sealshm_buffer_end_access(buffer, true);
		sealshm_buffer_end_access(buffer, false);
		check(write(to_client[1], pixels, 1) == 1);
	} else {
		check_pattern(pixels, 2 * POOL - BYTES, BYTES, 20);
		sealshm_buffer_end_access(buffer, false);
	}
	(*commits)++;
}

TEST(copy_writes_back_and_resizes)
{
	struct sealshm_options opts = { .policy = SEALSHM_POLICY_COPY };
	struct sealshm_stats stats;
	int commits = 0;

	close(make_fd(FD_DISK_FILE));
	check(pipe2(to_client, O_CLOEXEC) == 0);
	fx = fixture_create(&opts, write_commit, &commits);
	test_display_spawn(fx->d, client_write_back, NULL);
	fixture_run(fx);
	check(commits == 2);
	sealshm_get_stats(fx->shm, &stats, sizeof(stats));
	check(stats.resizes_accepted == 1);
	check(stats.pools_accepted_by_tier[2] == 1);
	check(stats.map_calls == 0);
	fixture_check_baseline(fx);
	fixture_destroy(fx);
	close(to_client[0]);
	close(to_client[1]);
}

/* Copied buffers cost server memory: they count against the client. */

static void
client_many_copied_buffers(void *data)
{
	struct test_client *c = test_client_connect();
	int fd = make_fd(FD_DISK_FILE);
	struct wl_shm_pool *pool = wl_shm_create_pool(c->shm, fd, POOL);
	struct wl_buffer *buffers[13];

	/* 64 KiB of pool + 12 buffers of 16 KiB = the 256 KiB limit. */
	for (int i = 0; i < 13; i++)
		buffers[i] = wl_shm_pool_create_buffer(
			pool, OFFSET, W, H, STRIDE, WL_SHM_FORMAT_ARGB8888);
	client_expect_error(c, &wl_shm_pool_interface,
			    WL_SHM_ERROR_INVALID_STRIDE);
	for (int i = 0; i < 13; i++)
		wl_proxy_destroy((struct wl_proxy *)buffers[i]);
	wl_proxy_destroy((struct wl_proxy *)pool);
	close(fd);
	test_client_destroy(c);
}

TEST(copy_buffers_count_against_client_bytes)
{
	struct sealshm_options opts = {
		.policy = SEALSHM_POLICY_COPY,
		.max_bytes_per_client = 4 * POOL,
	};
	struct sealshm_stats stats;

	close(make_fd(FD_DISK_FILE));
	fx = fixture_create(&opts, NULL, NULL);
	test_display_spawn(fx->d, client_many_copied_buffers, NULL);
	fixture_run(fx);
	sealshm_get_stats(fx->shm, &stats, sizeof(stats));
	check(stats.buffers_created == 12);
	check(stats.buffers_rejected == 1);
	check(fixture_log_has(fx, SEALSHM_LOG_DEBUG,
			      "copied buffers would exceed the limit of "
			      "262144 bytes per client"));
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}
