/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * wl_shm.create_pool and wl_shm_pool.resize under the strict policy, each
 * driven by a real client over a real socket: every kind of fd a client
 * can send, the acceptance order, the limits, the resize attack that kills
 * weston 10, and what each refusal leaves behind (nothing).
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "server-test.h"
#include "shm-file.h"
#include "test-client.h"
#include "test-runner.h"

#define KiB 1024
#define MiB (1024 * 1024)

/* Client side: fds of every kind. */

static int
make_pipe(void)
{
	int p[2];

	check(pipe2(p, O_CLOEXEC) == 0);
	close(p[1]);
	return p[0];
}

static int
make_socket(void)
{
	int s[2];

	check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s) == 0);
	close(s[1]);
	return s[0];
}

static int
make_dev_zero(void)
{
	int fd = open("/dev/zero", O_RDWR | O_CLOEXEC);

	check(fd >= 0);
	return fd;
}

static int
make_directory(void)
{
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	check(fd >= 0);
	return fd;
}

static int
make_path_directory(void)
{
	int fd = open("/", O_PATH | O_CLOEXEC);

	check(fd >= 0);
	return fd;
}

static int
reopen(int fd, int flags)
{
	char path[64];
	int copy;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	copy = open(path, flags | O_CLOEXEC);
	check_msg(copy >= 0, "reopen %s: %s", path, strerror(errno));
	close(fd);
	return copy;
}

static int
make_path_memfd(void)
{
	return reopen(make_sealed_memfd(64 * KiB), O_PATH);
}

static int
make_write_only_memfd(void)
{
	return reopen(make_sealed_memfd(64 * KiB), O_WRONLY);
}

static int
make_eventfd(void)
{
	int fd = eventfd(0, EFD_CLOEXEC);

	check(fd >= 0);
	return fd;
}

/* A file on a disk filesystem: the test's working directory or /var/tmp. */
static int
make_disk_file(void)
{
	const char *dirs[] = { ".", "/var/tmp", "/tmp" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		char path[256];
		struct statfs sfs;
		int fd;

		snprintf(path, sizeof(path), "%s/sealshm-disk-XXXXXX", dirs[i]);
		fd = mkostemp(path, O_CLOEXEC);
		if (fd < 0)
			continue;
		unlink(path);
		if (fstatfs(fd, &sfs) == 0 &&
		    (uint32_t)sfs.f_type != (uint32_t)TMPFS_MAGIC) {
			check(ftruncate(fd, 64 * KiB) == 0);
			return fd;
		}
		close(fd);
	}
	test_skip("no disk filesystem to make a file on");
}

static int
make_dev_shm_file(void)
{
	char path[] = "/dev/shm/sealshm-test-XXXXXX";
	int fd = mkostemp(path, O_CLOEXEC);

	if (fd < 0)
		test_skip("no /dev/shm");
	unlink(path);
	check(ftruncate(fd, 64 * KiB) == 0);
	return fd;
}

static int
make_unsealed_memfd(void)
{
	return test_client_make_memfd(64 * KiB, 0);
}

static int
make_unsealable_memfd(void)
{
	int fd = memfd_create("sealshm-test", MFD_CLOEXEC);

	check(fd >= 0);
	check(ftruncate(fd, 64 * KiB) == 0);
	return fd;
}

static int
make_hugetlb_memfd(void)
{
	int fd = memfd_create("sealshm-test",
			      MFD_CLOEXEC | MFD_HUGETLB | MFD_ALLOW_SEALING);

	if (fd < 0)
		test_skip("the kernel cannot make MFD_HUGETLB memfds");
	if (ftruncate(fd, 2 * MiB) < 0)
		test_skip("no huge pages available for a hugetlbfs memfd");
	check(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0);
	return fd;
}

static int
make_grow_sealed_memfd(void)
{
	return test_client_make_memfd(64 * KiB, F_SEAL_GROW | F_SEAL_SEAL);
}

static int
make_sealed_64k(void)
{
	return make_sealed_memfd(64 * KiB);
}

struct reject_case {
	int (*make_fd)(void);
	int32_t size;
	uint32_t error; /* wl_shm error code */
	enum sealshm_reject_reason reason;
	const char *log_text;	/* part of the message */
	uint64_t max_pool_size; /* option, 0 default */
};

static void
client_send_pool(void *data)
{
	const struct reject_case *rc = data;
	struct test_client *c = test_client_connect();
	const struct wl_interface *iface = NULL;
	int fd = rc->make_fd();
	struct wl_shm_pool *pool = wl_shm_create_pool(c->shm, fd, rc->size);

	close(fd);
	check(test_client_roundtrip_error(c, &iface) == (int)rc->error);
	check(iface == &wl_shm_interface);
	wl_proxy_destroy((struct wl_proxy *)pool);
	test_client_destroy(c);
}

/*
 * One rejection: the client sees the error on wl_shm, the server counts
 * the reason, logs the cause as a client bug at debug level, and holds no
 * fd and no mapping afterwards.
 */
static void
run_reject(const struct reject_case *rc)
{
	struct sealshm_options opts = { .max_pool_size = rc->max_pool_size };
	struct sealshm_stats stats;
	struct fixture *f;

	/* Skips (no huge pages, no disk) are decided here, not in the
	 * client, whose exit status would count as a failure. */
	close(rc->make_fd());
	f = fixture_create(&opts, NULL, NULL);
	test_display_spawn(f->d, client_send_pool, (void *)rc);
	fixture_run(f);

	sealshm_get_stats(f->shm, &stats, sizeof(stats));
	check(stats.pools_accepted == 0);
	check(stats.pools_rejected == 1);
	check_msg(stats.pools_rejected_by_reason[rc->reason] == 1,
		  "expected reason %s", sealshm_reject_reason_name(rc->reason));
	check(stats.clients_disconnected == 1);
	check(stats.bytes_mapped == 0);
	check(stats.map_calls == 0);
	check_msg(fixture_log_has(f, SEALSHM_LOG_DEBUG, "client bug: "),
		  "log: %s", f->log ? f->log : "(empty)");
	check_msg(fixture_log_has(f, SEALSHM_LOG_DEBUG, rc->log_text),
		  "\"%s\" not in the log: %s", rc->log_text,
		  f->log ? f->log : "(empty)");
	check(!fixture_log_has(f, SEALSHM_LOG_ERROR, ""));
	fixture_check_baseline(f);
	fixture_destroy(f);
}

#define REJECT_TEST_LIMIT(name, fd, sz, err, why, text, limit)                 \
	TEST(reject_##name)                                                    \
	{                                                                      \
		static const struct reject_case rc = {                         \
			.make_fd = fd,                                         \
			.size = sz,                                            \
			.error = err,                                          \
			.reason = why,                                         \
			.log_text = text,                                      \
			.max_pool_size = limit,                                \
		};                                                             \
		run_reject(&rc);                                               \
	}
#define REJECT_TEST(name, fd, sz, err, why, text)                              \
	REJECT_TEST_LIMIT(name, fd, sz, err, why, text, 0)

#define FIX_TEXT                                                               \
	"use memfd_create(MFD_ALLOW_SEALING) and F_ADD_SEALS F_SEAL_SHRINK"

REJECT_TEST(pipe, make_pipe, 4096, WL_SHM_ERROR_INVALID_FD,
	    SEALSHM_REJECT_NOT_REGULAR, "is a pipe, not a regular file")
REJECT_TEST(socket, make_socket, 4096, WL_SHM_ERROR_INVALID_FD,
	    SEALSHM_REJECT_NOT_REGULAR, "is a socket, not a regular file")
REJECT_TEST(dev_zero, make_dev_zero, 4096, WL_SHM_ERROR_INVALID_FD,
	    SEALSHM_REJECT_NOT_REGULAR, "character device")
REJECT_TEST(directory, make_directory, 4096, WL_SHM_ERROR_INVALID_FD,
	    SEALSHM_REJECT_NOT_REGULAR, "is a directory")
REJECT_TEST(o_path_directory, make_path_directory, 4096,
	    WL_SHM_ERROR_INVALID_FD, SEALSHM_REJECT_NOT_REGULAR,
	    "is a directory")
REJECT_TEST(o_path_memfd, make_path_memfd, 4096, WL_SHM_ERROR_INVALID_FD,
	    SEALSHM_REJECT_NOT_REGULAR, "opened O_PATH")
REJECT_TEST(write_only_memfd, make_write_only_memfd, 4096,
	    WL_SHM_ERROR_INVALID_FD, SEALSHM_REJECT_NOT_REGULAR, "write-only")
REJECT_TEST(eventfd, make_eventfd, 4096, WL_SHM_ERROR_INVALID_FD,
	    SEALSHM_REJECT_NOT_REGULAR, "not a regular file")
REJECT_TEST(disk_file, make_disk_file, 4096, WL_SHM_ERROR_INVALID_FD,
	    SEALSHM_REJECT_NOT_SHMEM, "disk file, which can shrink")
REJECT_TEST(dev_shm_file, make_dev_shm_file, 4096, WL_SHM_ERROR_INVALID_FD,
	    SEALSHM_REJECT_UNSEALED, FIX_TEXT)
REJECT_TEST(unsealed_memfd, make_unsealed_memfd, 4096, WL_SHM_ERROR_INVALID_FD,
	    SEALSHM_REJECT_UNSEALED, "memfd lacks F_SEAL_SHRINK")
REJECT_TEST(unsealed_memfd_fix, make_unsealed_memfd, 4096,
	    WL_SHM_ERROR_INVALID_FD, SEALSHM_REJECT_UNSEALED, FIX_TEXT)
REJECT_TEST(memfd_without_allow_sealing, make_unsealable_memfd, 4096,
	    WL_SHM_ERROR_INVALID_FD, SEALSHM_REJECT_UNSEALED,
	    "cannot be sealed any more")
REJECT_TEST(grow_sealed_memfd, make_grow_sealed_memfd, 4096,
	    WL_SHM_ERROR_INVALID_FD, SEALSHM_REJECT_UNSEALED,
	    "lacks F_SEAL_SHRINK")
REJECT_TEST(hugetlb_memfd, make_hugetlb_memfd, 4096, WL_SHM_ERROR_INVALID_FD,
	    SEALSHM_REJECT_NOT_SHMEM, "without MFD_HUGETLB")
REJECT_TEST(size_zero, make_sealed_64k, 0, WL_SHM_ERROR_INVALID_STRIDE,
	    SEALSHM_REJECT_BAD_SIZE, "size 0 is not positive")
REJECT_TEST(size_negative, make_sealed_64k, -4096, WL_SHM_ERROR_INVALID_STRIDE,
	    SEALSHM_REJECT_BAD_SIZE, "size -4096 is not positive")
REJECT_TEST(size_beyond_file, make_sealed_64k, 64 * KiB + 1,
	    WL_SHM_ERROR_INVALID_FD, SEALSHM_REJECT_FILE_TOO_SMALL,
	    "pool size 65537 > file size 65536; grow the file")
REJECT_TEST_LIMIT(size_over_pool_limit, make_sealed_64k, 64 * KiB,
		  WL_SHM_ERROR_INVALID_FD, SEALSHM_REJECT_POOL_TOO_LARGE,
		  "limit of 32768 bytes per pool", 32 * KiB)

/* The acceptance order: the earlier check wins when several fail. */
REJECT_TEST(order_regular_before_size, make_pipe, 0, WL_SHM_ERROR_INVALID_FD,
	    SEALSHM_REJECT_NOT_REGULAR, "pipe")
REJECT_TEST(order_seals_before_size, make_unsealed_memfd, 0,
	    WL_SHM_ERROR_INVALID_FD, SEALSHM_REJECT_UNSEALED,
	    "memfd lacks F_SEAL_SHRINK")
REJECT_TEST(order_hugetlb_before_seals_and_size, make_hugetlb_memfd, 64 * MiB,
	    WL_SHM_ERROR_INVALID_FD, SEALSHM_REJECT_NOT_SHMEM, "hugetlbfs")
REJECT_TEST_LIMIT(order_file_size_before_limits, make_sealed_64k, 128 * KiB,
		  WL_SHM_ERROR_INVALID_FD, SEALSHM_REJECT_FILE_TOO_SMALL,
		  "> file size 65536", 32 * KiB)

/* Accepted pools, read through a committed buffer on the server side. */

#define BUF_OFFSET (4 * KiB)
#define BUF_W 64
#define BUF_H 64
#define BUF_STRIDE (BUF_W * 4)
#define BUF_BYTES (BUF_STRIDE * BUF_H)

/* The fixture of the running test, for commit callbacks. */
static struct fixture *fx;

struct accept_case {
	uint64_t file_size;
	int32_t pool_size;
	int seals;
	bool reopen_read_only;
	bool read_only, immutable;
	uint32_t seed;
	/* server side */
	int seen;
};

static void
check_committed(struct wl_resource *surface, struct wl_resource *resource,
		void *data)
{
	struct accept_case *ac = data;
	struct sealshm_buffer *buffer = sealshm_buffer_from_resource(resource);
	struct sealshm_stats stats;
	void *pixels;

	check(buffer);
	check(sealshm_buffer_get_width(buffer) == BUF_W);
	check(sealshm_buffer_get_height(buffer) == BUF_H);
	check(sealshm_buffer_get_stride(buffer) == BUF_STRIDE);
	check(sealshm_buffer_get_format(buffer) == 0);
	check(sealshm_buffer_get_resource(buffer) == resource);
	check(sealshm_buffer_is_read_only(buffer) == ac->read_only);
	check(sealshm_buffer_is_immutable(buffer) == ac->immutable);
	check(!sealshm_buffer_is_copied(buffer));
	check(sealshm_buffer_get_pixman_image(buffer));
	pixels = sealshm_buffer_begin_access(buffer);
	check(pixels);
	check_pattern(pixels, BUF_OFFSET, BUF_BYTES, ac->seed);
	sealshm_buffer_end_access(buffer, false);

	sealshm_get_stats(fx->shm, &stats, sizeof(stats));
	check(stats.bytes_mapped == (uint64_t)ac->pool_size);
	ac->seen++;
}

static void
client_accept(void *data)
{
	struct accept_case *ac = data;
	struct test_client *c = test_client_connect();
	struct wl_surface *surface;
	int fd;

	fd = test_client_make_memfd(ac->file_size, 0);
	fill_pattern(fd, 0, ac->file_size, ac->seed);
	/* Write seals need the pattern written first. */
	if (ac->seals)
		check(fcntl(fd, F_ADD_SEALS, ac->seals) == 0);
	if (ac->reopen_read_only)
		fd = reopen(fd, O_RDONLY);

	check(c->compositor);
	surface = wl_compositor_create_surface(c->compositor);
	client_commit_fd(c, surface, fd, ac->pool_size, BUF_OFFSET, BUF_W,
			 BUF_H, BUF_STRIDE, WL_SHM_FORMAT_ARGB8888);
	wl_surface_destroy(surface);
	test_client_destroy(c);
}

static void
run_accept(struct accept_case *ac)
{
	struct sealshm_stats stats;

	fx = fixture_create(NULL, check_committed, ac);
	test_display_spawn(fx->d, client_accept, ac);
	fixture_run(fx);
	check(ac->seen == 1);

	sealshm_get_stats(fx->shm, &stats, sizeof(stats));
	check(stats.pools_accepted == 1);
	check(stats.pools_accepted_by_tier[0] == 1);
	check(stats.pools_rejected == 0);
	check(stats.buffers_created == 1);
	check(stats.clients_disconnected == 0);
	check(stats.bytes_mapped == 0);
	check(stats.map_calls == 1);
	check(!fx->log);
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}

TEST(accept_shrink_sealed)
{
	struct accept_case ac = {
		64 * KiB, 64 * KiB, F_SEAL_SHRINK, false, false, false, 1, 0,
	};
	run_accept(&ac);
}

TEST(accept_shrink_and_seal_sealed_larger_file)
{
	struct accept_case ac = {
		128 * KiB, 64 * KiB, F_SEAL_SHRINK | F_SEAL_SEAL,
		false,	   false,    false,
		2,	   0,
	};
	run_accept(&ac);
}

TEST(accept_foot_seals)
{
	struct accept_case ac = {
		64 * KiB, 64 * KiB, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL,
		false,	  false,    false,
		3,	  0,
	};
	run_accept(&ac);
}

TEST(accept_read_only_fd)
{
	struct accept_case ac = {
		64 * KiB, 64 * KiB, F_SEAL_SHRINK, true, true, false, 4, 0,
	};
	run_accept(&ac);
}

TEST(accept_write_sealed_is_immutable)
{
	struct accept_case ac = {
		64 * KiB, 64 * KiB, F_SEAL_SHRINK | F_SEAL_WRITE,
		false,	  true,	    true,
		5,	  0,
	};
	run_accept(&ac);
}

TEST(accept_future_write_sealed_is_read_only)
{
	struct accept_case ac = {
		64 * KiB, 64 * KiB, F_SEAL_SHRINK | F_SEAL_FUTURE_WRITE,
		false,	  true,	    false,
		6,	  0,
	};
	run_accept(&ac);
}

/* foot's scrollback pool: 512 MiB, sparse, accepted with the defaults. */

#define FOOT_POOL (512 * MiB)
#define FOOT_OFFSET (FOOT_POOL - 16 * KiB)

static void
check_foot_commit(struct wl_resource *surface, struct wl_resource *resource,
		  void *data)
{
	struct sealshm_buffer *buffer = sealshm_buffer_from_resource(resource);
	struct sealshm_stats stats;
	int *seen = data;

	check(buffer);
	check_pattern(sealshm_buffer_begin_access(buffer), FOOT_OFFSET,
		      16 * KiB, 7);
	sealshm_buffer_end_access(buffer, false);
	sealshm_get_stats(fx->shm, &stats, sizeof(stats));
	check(stats.bytes_mapped == FOOT_POOL);
	(*seen)++;
}

static void
client_foot(void *data)
{
	struct test_client *c = test_client_connect();
	struct wl_surface *surface =
		wl_compositor_create_surface(c->compositor);
	int fd = test_client_make_memfd(FOOT_POOL, F_SEAL_SHRINK | F_SEAL_GROW |
							   F_SEAL_SEAL);

	fill_pattern(fd, FOOT_OFFSET, 16 * KiB, 7);
	client_commit_fd(c, surface, fd, FOOT_POOL, FOOT_OFFSET, 64, 64, 256,
			 WL_SHM_FORMAT_XRGB8888);
	wl_surface_destroy(surface);
	test_client_destroy(c);
}

TEST(accept_foot_512mib_sparse_pool_with_defaults)
{
	int seen = 0;

	fx = fixture_create(NULL, check_foot_commit, &seen);
	test_display_spawn(fx->d, client_foot, NULL);
	fixture_run(fx);
	check(seen == 1);
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}

/* Resize. */

struct resize_case {
	int32_t new_size;
	uint32_t error;
	const char *log_text;
};

static void
client_resize(void *data)
{
	const struct resize_case *rc = data;
	struct test_client *c = test_client_connect();
	int fd = make_sealed_memfd(64 * KiB);
	struct wl_shm_pool *pool = wl_shm_create_pool(c->shm, fd, 32 * KiB);

	close(fd);
	check(test_client_roundtrip_error(c, NULL) == 0);
	wl_shm_pool_resize(pool, rc->new_size);
	client_expect_error(c, &wl_shm_pool_interface, (int)rc->error);
	wl_proxy_destroy((struct wl_proxy *)pool);
	test_client_destroy(c);
}

static void
run_resize_reject(const struct resize_case *rc)
{
	struct sealshm_stats stats;

	fx = fixture_create(NULL, NULL, NULL);
	test_display_spawn(fx->d, client_resize, (void *)rc);
	fixture_run(fx);
	sealshm_get_stats(fx->shm, &stats, sizeof(stats));
	check(stats.pools_accepted == 1);
	check(stats.resizes_rejected == 1);
	check(stats.resizes_accepted == 0);
	check(stats.clients_disconnected == 1);
	check(stats.bytes_mapped == 0);
	check_msg(fixture_log_has(fx, SEALSHM_LOG_DEBUG, rc->log_text),
		  "\"%s\" not in the log: %s", rc->log_text, fx->log);
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}

TEST(resize_smaller_is_refused)
{
	static const struct resize_case rc = {
		16 * KiB,
		WL_SHM_ERROR_INVALID_STRIDE,
		"resize to 16384 < pool size 32768: pools only grow",
	};
	run_resize_reject(&rc);
}

TEST(resize_zero_is_refused)
{
	static const struct resize_case rc = {
		0,
		WL_SHM_ERROR_INVALID_STRIDE,
		"resize to 0 < pool size 32768",
	};
	run_resize_reject(&rc);
}

TEST(resize_negative_is_refused)
{
	static const struct resize_case rc = {
		-1,
		WL_SHM_ERROR_INVALID_STRIDE,
		"resize to -1 < pool size 32768",
	};
	run_resize_reject(&rc);
}

TEST(resize_beyond_file_is_refused)
{
	static const struct resize_case rc = {
		64 * KiB + 4096,
		WL_SHM_ERROR_INVALID_FD,
		"resize to 69632 > file size 65536; grow the file",
	};
	run_resize_reject(&rc);
}

/* Growing: the file first, then the pool; buffers in the new range. */

struct grow_state {
	int seen;
};

static void
check_grow_commit(struct wl_resource *surface, struct wl_resource *resource,
		  void *data)
{
	struct sealshm_buffer *buffer = sealshm_buffer_from_resource(resource);
	struct grow_state *gs = data;
	uint64_t offset = (uint64_t)(gs->seen + 1) * 64 * KiB - BUF_BYTES;

	check(buffer);
	check_pattern(sealshm_buffer_begin_access(buffer), offset, BUF_BYTES,
		      8);
	sealshm_buffer_end_access(buffer, false);
	gs->seen++;
}

static void
client_grow(void *data)
{
	struct test_client *c = test_client_connect();
	struct wl_surface *surface =
		wl_compositor_create_surface(c->compositor);
	int fd = make_sealed_memfd(64 * KiB);
	struct wl_shm_pool *pool = wl_shm_create_pool(c->shm, fd, 64 * KiB);

	for (int i = 1; i <= 4; i++) {
		int32_t size = i * 64 * KiB;
		struct wl_buffer *buffer;

		if (i > 1) {
			check(ftruncate(fd, size) == 0);
			wl_shm_pool_resize(pool, size);
			/* The same size again is allowed and changes nothing.
			 */
			wl_shm_pool_resize(pool, size);
		}
		fill_pattern(fd, (uint64_t)size - BUF_BYTES, BUF_BYTES, 8);
		buffer = wl_shm_pool_create_buffer(pool, size - BUF_BYTES,
						   BUF_W, BUF_H, BUF_STRIDE,
						   WL_SHM_FORMAT_ARGB8888);
		client_commit(c, surface, buffer);
		wl_buffer_destroy(buffer);
	}
	close(fd);
	wl_shm_pool_destroy(pool);
	wl_surface_destroy(surface);
	test_client_destroy(c);
}

TEST(resize_grows_and_buffers_use_the_new_range)
{
	struct grow_state gs = { 0 };
	struct sealshm_stats stats;

	fx = fixture_create(NULL, check_grow_commit, &gs);
	test_display_spawn(fx->d, client_grow, NULL);
	fixture_run(fx);
	check(gs.seen == 4);
	sealshm_get_stats(fx->shm, &stats, sizeof(stats));
	check(stats.resizes_accepted == 6);
	check(stats.resizes_rejected == 0);
	check(stats.buffers_created == 4);
	check(stats.bytes_mapped == 0);
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}

/*
 * The attack that kills weston 10 with SIGBUS: a sealed 4 KiB memfd, a
 * pool of 4096, resized to 1 MiB without growing the file, a buffer at
 * 512 KiB attached and committed.  The resize must be refused; another
 * client, connected all along, carries on.
 */

struct attack_state {
	int bystander_commits;
};

static void
check_attack_commit(struct wl_resource *surface, struct wl_resource *resource,
		    void *data)
{
	struct sealshm_buffer *buffer = sealshm_buffer_from_resource(resource);
	struct attack_state *as = data;

	/* Only the bystander's buffer may ever get here. */
	check(buffer);
	check(sealshm_buffer_get_width(buffer) == BUF_W);
	check_pattern(sealshm_buffer_begin_access(buffer), BUF_OFFSET,
		      BUF_BYTES, 9);
	sealshm_buffer_end_access(buffer, false);
	as->bystander_commits++;
}

static void
client_attack(void *data)
{
	struct test_client *bystander = test_client_connect();
	struct test_client *attacker = test_client_connect();
	struct wl_surface *bs =
		wl_compositor_create_surface(bystander->compositor);
	struct wl_surface *as =
		wl_compositor_create_surface(attacker->compositor);
	int bfd = make_sealed_memfd(64 * KiB), afd = make_sealed_memfd(4096);
	struct wl_shm_pool *bpool, *apool;
	struct wl_buffer *bbuf, *abuf;

	fill_pattern(bfd, 0, 64 * KiB, 9);
	bpool = wl_shm_create_pool(bystander->shm, bfd, 64 * KiB);
	bbuf = wl_shm_pool_create_buffer(bpool, BUF_OFFSET, BUF_W, BUF_H,
					 BUF_STRIDE, WL_SHM_FORMAT_ARGB8888);
	client_commit(bystander, bs, bbuf);

	apool = wl_shm_create_pool(attacker->shm, afd, 4096);
	wl_shm_pool_resize(apool, 1 * MiB);
	abuf = wl_shm_pool_create_buffer(apool, 512 * KiB, BUF_W, BUF_H,
					 BUF_STRIDE, WL_SHM_FORMAT_ARGB8888);
	wl_surface_attach(as, abuf, 0, 0);
	wl_surface_damage_buffer(as, 0, 0, BUF_W, BUF_H);
	wl_surface_commit(as);
	client_expect_error(attacker, &wl_shm_pool_interface,
			    WL_SHM_ERROR_INVALID_FD);

	/* The server is alive and still serves the other client. */
	client_commit(bystander, bs, bbuf);
	wl_buffer_destroy(bbuf);
	wl_shm_pool_destroy(bpool);
	wl_surface_destroy(bs);
	close(bfd);
	close(afd);
	wl_proxy_destroy((struct wl_proxy *)abuf);
	wl_proxy_destroy((struct wl_proxy *)apool);
	wl_proxy_destroy((struct wl_proxy *)as);
	test_client_destroy(attacker);
	test_client_destroy(bystander);
}

TEST(weston10_resize_attack_is_refused)
{
	struct attack_state as = { 0 };
	struct sealshm_stats stats;

	fx = fixture_create(NULL, check_attack_commit, &as);
	test_display_spawn(fx->d, client_attack, NULL);
	fixture_run(fx);
	check(as.bystander_commits == 2);
	sealshm_get_stats(fx->shm, &stats, sizeof(stats));
	check(stats.pools_accepted == 2);
	check(stats.resizes_rejected == 1);
	check(stats.buffers_created == 1);
	check(stats.clients_disconnected == 1);
	check(fixture_log_has(fx, SEALSHM_LOG_DEBUG,
			      "resize to 1048576 > file size 4096"));
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}

/* Per-client limits, with a second client working all along. */

struct limit_case {
	struct sealshm_options options;
	int32_t pool_size;
	int pools_allowed;
	enum sealshm_reject_reason reason;
	const char *log_text;
};

static void
client_limits(void *data)
{
	const struct limit_case *lc = data;
	struct test_client *other = test_client_connect();
	struct test_client *greedy = test_client_connect();
	struct wl_surface *surface =
		wl_compositor_create_surface(other->compositor);
	struct wl_shm_pool *pools[64], *opool;
	struct wl_buffer *obuf;
	int fd;

	check(lc->pools_allowed < 64);
	/* The other client takes its share too, before and after. */
	fd = make_sealed_memfd((uint64_t)lc->pool_size);
	opool = wl_shm_create_pool(other->shm, fd, lc->pool_size);
	close(fd);

	for (int i = 0; i < lc->pools_allowed; i++) {
		fd = make_sealed_memfd((uint64_t)lc->pool_size);
		pools[i] = wl_shm_create_pool(greedy->shm, fd, lc->pool_size);
		close(fd);
	}
	check(test_client_roundtrip_error(greedy, NULL) == 0);

	/* Destroying a pool gives its share back. */
	wl_shm_pool_destroy(pools[0]);
	fd = make_sealed_memfd((uint64_t)lc->pool_size);
	pools[0] = wl_shm_create_pool(greedy->shm, fd, lc->pool_size);
	close(fd);
	check(test_client_roundtrip_error(greedy, NULL) == 0);

	fd = make_sealed_memfd((uint64_t)lc->pool_size);
	pools[lc->pools_allowed] =
		wl_shm_create_pool(greedy->shm, fd, lc->pool_size);
	close(fd);
	client_expect_error(greedy, &wl_shm_interface, WL_SHM_ERROR_INVALID_FD);
	for (int i = 0; i <= lc->pools_allowed; i++)
		wl_proxy_destroy((struct wl_proxy *)pools[i]);

	obuf = wl_shm_pool_create_buffer(opool, 0, 16, 16, 64,
					 WL_SHM_FORMAT_ARGB8888);
	client_commit(other, surface, obuf);
	fd = make_sealed_memfd((uint64_t)lc->pool_size);
	wl_shm_pool_destroy(wl_shm_create_pool(other->shm, fd, lc->pool_size));
	close(fd);
	check(test_client_roundtrip_error(other, NULL) == 0);

	wl_buffer_destroy(obuf);
	wl_shm_pool_destroy(opool);
	wl_surface_destroy(surface);
	test_client_destroy(greedy);
	test_client_destroy(other);
}

static void
count_commit(struct wl_resource *surface, struct wl_resource *resource,
	     void *data)
{
	check(sealshm_buffer_from_resource(resource));
	(*(int *)data)++;
}

static void
run_limit(const struct limit_case *lc)
{
	struct sealshm_stats stats;
	int commits = 0;

	fx = fixture_create(&lc->options, count_commit, &commits);
	test_display_spawn(fx->d, client_limits, (void *)lc);
	fixture_run(fx);
	check(commits == 1);
	sealshm_get_stats(fx->shm, &stats, sizeof(stats));
	check(stats.pools_rejected == 1);
	check(stats.pools_rejected_by_reason[lc->reason] == 1);
	check(stats.pools_accepted == (uint64_t)lc->pools_allowed + 3);
	check(stats.clients_disconnected == 1);
	check_msg(fixture_log_has(fx, SEALSHM_LOG_DEBUG, lc->log_text),
		  "\"%s\" not in the log: %s", lc->log_text, fx->log);
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}

TEST(limit_pools_per_client)
{
	static const struct limit_case lc = {
		{ .max_pools_per_client = 8 },
		4096,
		8,
		SEALSHM_REJECT_CLIENT_POOLS,
		"client holds 8 pools, the limit",
	};
	run_limit(&lc);
}

TEST(limit_bytes_per_client)
{
	static const struct limit_case lc = {
		{ .max_bytes_per_client = 256 * KiB },
		64 * KiB,
		4,
		SEALSHM_REJECT_CLIENT_BYTES,
		"client holds 262144 bytes of pools, 65536 more exceed the "
		"limit 262144",
	};
	run_limit(&lc);
}

/* Options and lifetime without clients. */

TEST(create_rejects_bad_options)
{
	struct wl_display *display = wl_display_create();
	const uint32_t unknown_format = 0x12345678;
	struct sealshm_options bad_policy = {
		.size = sizeof(bad_policy),
		.policy = 3,
	};
	struct sealshm_options too_large = {
		.size = sizeof(too_large),
		.max_pool_size = (uint64_t)INT32_MAX + 1,
	};
	struct sealshm_options bad_format = {
		.size = sizeof(bad_format),
		.extra_formats = &unknown_format,
		.extra_formats_len = 1,
	};

	check(display);
	errno = 0;
	check(!sealshm_create(display, &bad_policy) && errno == EINVAL);
	errno = 0;
	check(!sealshm_create(display, &too_large) && errno == EINVAL);
	errno = 0;
	check(!sealshm_create(display, &bad_format) && errno == EINVAL);
	wl_display_destroy(display);
}

TEST(names_of_policies_and_reasons)
{
	enum sealshm_policy policy;

	check(strcmp(sealshm_policy_name(SEALSHM_POLICY_STRICT), "strict") ==
	      0);
	check(strcmp(sealshm_policy_name(SEALSHM_POLICY_SEAL), "seal") == 0);
	check(strcmp(sealshm_policy_name(SEALSHM_POLICY_COPY), "copy") == 0);
	check(sealshm_policy_from_name("copy", &policy) &&
	      policy == SEALSHM_POLICY_COPY);
	check(sealshm_policy_from_name("strict", &policy) &&
	      policy == SEALSHM_POLICY_STRICT);
	check(!sealshm_policy_from_name("lenient", &policy));
	for (int i = 0; i < SEALSHM_REJECT_REASON_COUNT; i++) {
		const char *name = sealshm_reject_reason_name(i);

		check(name && strcmp(name, "unknown") != 0);
		for (int j = 0; j < i; j++)
			check(strcmp(name, sealshm_reject_reason_name(j)) != 0);
	}
	check(strcmp(sealshm_reject_reason_name(SEALSHM_REJECT_UNSEALED),
		     "unsealed") == 0);
}

TEST(create_raises_the_fd_limit)
{
	struct wl_display *display = wl_display_create();
	struct rlimit lim;
	struct sealshm *shm;

	check(getrlimit(RLIMIT_NOFILE, &lim) == 0);
	if (lim.rlim_max <= 1024)
		test_skip("the hard fd limit is too low to lower the soft one");
	lim.rlim_cur = 1024;
	check(setrlimit(RLIMIT_NOFILE, &lim) == 0);
	shm = sealshm_create(display, NULL);
	check(shm);
	check(getrlimit(RLIMIT_NOFILE, &lim) == 0);
	check(lim.rlim_cur == lim.rlim_max);
	sealshm_destroy(shm);
	wl_display_destroy(display);
}

/* Destroyed with the display, including a client's live pool. */

static void
client_pool_and_wait(void *data)
{
	struct test_client *c = test_client_connect();
	int fd = make_sealed_memfd(64 * KiB);
	struct wl_shm_pool *pool = wl_shm_create_pool(c->shm, fd, 64 * KiB);

	close(fd);
	check(test_client_roundtrip_error(c, NULL) == 0);
	/* Only the proxy: the pool goes with the connection. */
	wl_proxy_destroy((struct wl_proxy *)pool);
	test_client_destroy(c);
}

TEST(destroyed_with_the_display)
{
	struct test_display *d = test_display_create();

	check(sealshm_create(d->display, NULL));
	test_display_spawn(d, client_pool_and_wait, NULL);
	check(test_display_run(d) == 0);
	/* test_display_destroy() destroys the display; ASan and valgrind
	 * report anything sealshm left behind. */
	test_display_destroy(d);
}

/*
 * The default log handler prints errors, and only errors, to stderr: a
 * client bug stays quiet, a failed mmap (address space exhausted with
 * RLIMIT_AS) is printed, and the client gets map-failed.
 */

#define BIG_POOL (256 * MiB)

static void
client_two_pools(void *data)
{
	struct test_client *c = test_client_connect();
	int fd = make_sealed_memfd(BIG_POOL);
	struct wl_shm_pool *pool = wl_shm_create_pool(c->shm, fd, 4096);
	struct wl_shm_pool *big;

	check(test_client_roundtrip_error(c, NULL) == 0);
	big = wl_shm_create_pool(c->shm, fd, BIG_POOL);
	close(fd);
	client_expect_error(c, &wl_shm_interface, WL_SHM_ERROR_INVALID_FD);
	wl_proxy_destroy((struct wl_proxy *)big);
	wl_proxy_destroy((struct wl_proxy *)pool);
	test_client_destroy(c);
}

static uint64_t
address_space_in_use(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	unsigned long long kib = 0;
	char line[256];

	check(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "VmSize: %llu kB", &kib) == 1)
			break;
	}
	fclose(f);
	check(kib > 0);
	return kib * 1024;
}

TEST(default_log_handler_prints_only_errors)
{
	struct test_display *d;
	struct sealshm_stats stats;
	struct sealshm *shm;
	struct rlimit lim;
	char out[4096] = "";
	int err_fd, saved;
	ssize_t n;

	if (test_is_instrumented())
		test_skip("sanitizers and valgrind need the address space");
	err_fd = memfd_create("stderr", MFD_CLOEXEC);
	check(err_fd >= 0);
	saved = dup(STDERR_FILENO);
	check(saved >= 0);

	d = test_display_create();
	shm = sealshm_create(d->display, NULL);
	check(shm);
	check(getrlimit(RLIMIT_AS, &lim) == 0);
	lim.rlim_cur = address_space_in_use() + BIG_POOL / 2;
	check(setrlimit(RLIMIT_AS, &lim) == 0);

	check(dup2(err_fd, STDERR_FILENO) == STDERR_FILENO);
	test_display_spawn(d, client_two_pools, NULL);
	check(test_display_run(d) == 0);
	fflush(stderr);
	check(dup2(saved, STDERR_FILENO) == STDERR_FILENO);
	close(saved);

	sealshm_get_stats(shm, &stats, sizeof(stats));
	check(stats.pools_accepted == 1);
	check(stats.pools_rejected_by_reason[SEALSHM_REJECT_MAP_FAILED] == 1);
	n = pread(err_fd, out, sizeof(out) - 1, 0);
	check(n > 0);
	out[n] = '\0';
	close(err_fd);
	check_msg(strstr(out, "sealshm: mmap of a 268435456-byte client pool "
			      "failed"),
		  "stderr: %s", out);
	/* The client bug itself went to the debug level: not printed. */
	check_msg(!strstr(out, "client bug"), "stderr: %s", out);
	sealshm_destroy(shm);
	test_display_destroy(d);
}
