/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * The pool allocator of libsealshm-client and its fd self-check, against
 * the sealshm server over a real socket.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client-util.h"
#include "sealshm/client.h"
#include "shm-file.h"
#include "test-runner.h"

#define ARGB WL_SHM_FORMAT_ARGB8888

static size_t
page(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* Run @p body in a client of a sealshm display; fail on any error. */
static void
run_client(void (*body)(void *data), void *data, struct pool_log *log)
{
	struct sealshm_stats st;
	struct sealshm *shm;
	struct test_display *d = server_start(&shm, log, NULL, NULL);

	test_display_spawn(d, body, data);
	check(test_display_run(d) == 0);
	sealshm_get_stats(shm, &st, sizeof(st));
	check_msg(st.pools_rejected == 0, "the server refused %llu pools",
		  (unsigned long long)st.pools_rejected);
	check(st.clients_disconnected == 0);
	server_stop(d, log);
}

static void
pool_fd_sealed_client(void *data)
{
	struct test_client *c = test_client_connect();
	struct sealshm_client_pool *pool;
	const char *reason = NULL;
	int fd, seals;

	pool = sealshm_client_pool_create(c->shm, 10000);
	check(pool);
	check(sealshm_client_pool_get_size(pool) == 3 * page());
	fd = sealshm_client_pool_get_fd(pool);
	seals = fcntl(fd, F_GET_SEALS);
	check_msg((seals & ~F_SEAL_EXEC) == (F_SEAL_SHRINK | F_SEAL_SEAL),
		  "seals are %#x", seals);
	check_msg(sealshm_client_check_fd(fd, 3 * page(), &reason),
		  "self-check refused the pool fd: %s", reason);
	/* The seals hold: no shrinking, no new seals from anyone. */
	check(ftruncate(fd, 100) < 0 && errno == EPERM);
	check(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) < 0 && errno == EPERM);
	check(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	check(test_client_roundtrip_error(c, NULL) == 0);
	sealshm_client_pool_destroy(pool);
	test_client_destroy(c);
}

TEST(pool_fd_is_sealed_before_it_is_sent)
{
	struct pool_log log = { 0 };

	run_client(pool_fd_sealed_client, NULL, &log);
	check(log.pools == 1);
	check_msg(log.sealed_shrink == 1 && log.on_shmem == 1,
		  "server saw seals %#x", log.seals[0]);
	check(log.seals[0] & F_SEAL_SEAL);
	check(!(log.seals[0] & (F_SEAL_GROW | F_SEAL_WRITE)));
}

static void
slots_client(void *data)
{
	struct test_client *c = test_client_connect();
	struct sealshm_client_pool *pool;
	struct sealshm_client_buffer *a, *b, *b2, *big, *e;
	size_t pg = page();

	pool = sealshm_client_pool_create(c->shm, 64 * pg);
	check(pool);
	/* 16 x 16 ARGB = 1 KiB: one page each. */
	a = sealshm_client_pool_create_buffer(pool, 16, 16, ARGB);
	b = sealshm_client_pool_create_buffer(pool, 16, 100, ARGB);
	e = sealshm_client_pool_create_buffer(pool, 16, 16, ARGB);
	check(a && b && e);
	check(sealshm_client_buffer_get_offset(a) == 0);
	check(sealshm_client_buffer_get_offset(b) == pg);
	/* b: 6400 bytes, two pages */
	check(sealshm_client_buffer_get_offset(e) == 3 * pg);
	check(sealshm_client_buffer_get_stride(b) == 64);
	check(!sealshm_client_buffer_is_busy(a));

	/* First fit: the lowest gap that is large enough. */
	sealshm_client_buffer_destroy(b);
	b2 = sealshm_client_pool_create_buffer(pool, 16, 16, ARGB);
	check(b2 && sealshm_client_buffer_get_offset(b2) == pg);
	sealshm_client_buffer_destroy(b2);

	/* Freed neighbours merge: a and the old b make three pages. */
	sealshm_client_buffer_destroy(a);
	big = sealshm_client_pool_create_buffer(pool, 1024, 3, ARGB);
	check(big && sealshm_client_buffer_get_offset(big) == 0);
	check(sealshm_client_pool_get_size(pool) == 64 * pg);

	/* Stride: a multiple of 4 and of the pixel size (RGB888: 3). */
	a = sealshm_client_pool_create_buffer(pool, 5, 2, WL_SHM_FORMAT_RGB888);
	check(a && sealshm_client_buffer_get_stride(a) == 24);
	check(sealshm_client_buffer_get_offset(a) % pg == 0);

	for (int i = 0; i < 5; i++) {
		memset(sealshm_client_buffer_get_data(big), 0x5a, 1024 * 4);
		client_tag_pixels(sealshm_client_buffer_get_data(e), 16, 16, 64,
				  7, true);
	}
	check(test_client_roundtrip_error(c, NULL) == 0);
	sealshm_client_buffer_destroy(a);
	sealshm_client_buffer_destroy(big);
	sealshm_client_buffer_destroy(e);
	sealshm_client_buffer_destroy(NULL);
	sealshm_client_pool_destroy(pool);
	sealshm_client_pool_destroy(NULL);
	test_client_destroy(c);
}

TEST(pool_slots_page_aligned_first_fit_merged)
{
	run_client(slots_client, NULL, NULL);
}

static void
grow_client(void *data)
{
	struct test_client *c = test_client_connect();
	struct sealshm_client_pool *pool;
	struct sealshm_client_buffer *first, *bufs[40];
	struct sealshm_client_stats st;
	size_t pg = page(), size, prev;
	uint32_t *p;
	int n = 0;

	pool = sealshm_client_pool_create(c->shm, pg);
	check(pool);
	first = sealshm_client_pool_create_buffer(pool, 32, 32, ARGB);
	check(first);
	p = sealshm_client_buffer_get_data(first);
	client_tag_pixels(p, 32, 32, 128, 0xc0ffee, true);

	/* 40 buffers of 64 KiB from a one-page pool. */
	prev = sealshm_client_pool_get_size(pool);
	for (n = 0; n < 40; n++) {
		bufs[n] =
			sealshm_client_pool_create_buffer(pool, 128, 128, ARGB);
		check(bufs[n]);
		size = sealshm_client_pool_get_size(pool);
		/* Geometric: a grow at least doubles the pool. */
		check(size == prev || size >= 2 * prev);
		prev = size;
		memset(sealshm_client_buffer_get_data(bufs[n]), n,
		       128 * 128 * 4);
	}
	sealshm_client_pool_get_stats(pool, &st);
	/* 41 pages... 40 * 16 + 1 pages needs ceil(log2(641)) = 10 */
	check_msg(st.pool_grows <= 10, "%llu grows",
		  (unsigned long long)st.pool_grows);
	check(st.pool_grows >= 5);
	check(st.buffers_allocated == 41);
	check(st.pools_created == 1);

	/* The pointer taken before every grow still reaches the buffer. */
	check(sealshm_client_buffer_get_data(first) == p);
	for (int i = 0; i < 32 * 32; i++)
		check(p[i] == 0xc0ffee);
	/* And it is the same file the server maps: read it through the fd. */
	{
		uint32_t word = 0;

		check(pread(sealshm_client_pool_get_fd(pool), &word, 4, 0) ==
		      4);
		check(word == 0xc0ffee);
		p[0] = 0xbeef;
		check(pread(sealshm_client_pool_get_fd(pool), &word, 4, 0) ==
		      4);
		check(word == 0xbeef);
	}
	for (int i = 0; i < n; i++) {
		uint8_t *q = sealshm_client_buffer_get_data(bufs[i]);

		check(q[0] == i && q[128 * 128 * 4 - 1] == i);
	}
	check(test_client_roundtrip_error(c, NULL) == 0);
	for (int i = 0; i < n; i++)
		sealshm_client_buffer_destroy(bufs[i]);
	sealshm_client_buffer_destroy(first);
	sealshm_client_pool_destroy(pool);
	test_client_destroy(c);
}

TEST(pool_grows_geometrically_and_pointers_stay_valid)
{
	struct sealshm *shm;
	struct sealshm_stats st;
	struct test_display *d = server_start(&shm, NULL, NULL, NULL);

	test_display_spawn(d, grow_client, NULL);
	check(test_display_run(d) == 0);
	sealshm_get_stats(shm, &st, sizeof(st));
	check(st.pools_rejected == 0 && st.resizes_rejected == 0);
	check(st.resizes_accepted >= 5);
	check(st.buffers_created == 41);
	test_display_destroy(d);
}

static uint64_t
blocks(int fd)
{
	struct stat st;

	check(fstat(fd, &st) == 0);
	return (uint64_t)st.st_blocks * 512;
}

static void
punch_client(void *data)
{
	struct test_client *c = test_client_connect();
	struct sealshm_client_pool *pool;
	struct sealshm_client_buffer *buf;
	struct sealshm_client_stats st;
	const size_t bytes = 1024 * 1024 * 4;
	uint8_t *p;
	int fd;

	pool = sealshm_client_pool_create(c->shm, 16 * bytes);
	check(pool);
	fd = sealshm_client_pool_get_fd(pool);
	/* A fresh pool costs nothing: its pages come with its buffers. */
	check(blocks(fd) == 0);
	buf = sealshm_client_pool_create_buffer(pool, 1024, 1024, ARGB);
	check(buf);
	/* The slot's pages are allocated up front (posix_fallocate). */
	check_msg(blocks(fd) >= bytes, "%llu bytes backed",
		  (unsigned long long)blocks(fd));
	p = sealshm_client_buffer_get_data(buf);
	memset(p, 0xff, bytes);
	check(test_client_roundtrip_error(c, NULL) == 0);
	sealshm_client_buffer_destroy(buf);
	check_msg(blocks(fd) == 0, "%llu bytes still backed",
		  (unsigned long long)blocks(fd));
	sealshm_client_pool_get_stats(pool, &st);
	check(st.bytes_punched == bytes);
	check(st.bytes_backed == 0);
	/* The hole reads back as zeros; nothing faults. */
	check(p[0] == 0 && p[bytes - 1] == 0);
	sealshm_client_pool_destroy(pool);
	test_client_destroy(c);
}

TEST(pool_punches_freed_slots)
{
	run_client(punch_client, NULL, NULL);
}

static void
errors_client(void *data)
{
	struct test_client *c = test_client_connect();
	struct sealshm_client_buffer *buf;
	struct sealshm_client_pool *pool;
	size_t max = (size_t)INT32_MAX & ~(page() - 1);

	errno = 0;
	check(!sealshm_client_pool_create(c->shm, 0) && errno == EINVAL);
	check(!sealshm_client_pool_create(c->shm, (size_t)INT32_MAX + 1) &&
	      errno == EINVAL);
	check(!sealshm_client_pool_create(c->shm, SIZE_MAX) && errno == EINVAL);
	/* The largest pool: INT32_MAX rounded down to whole pages (its file
	 * is sparse, so this costs no memory). */
	pool = sealshm_client_pool_create(c->shm, max);
	check_msg(pool, "a pool of %zu bytes: %s", max, strerror(errno));
	check(sealshm_client_pool_get_size(pool) == max);
	check(test_client_roundtrip_error(c, NULL) == 0);
	sealshm_client_pool_destroy(pool);
	check(!sealshm_client_pool_create(c->shm, max + 1) && errno == EINVAL);

	pool = sealshm_client_pool_create(c->shm, 1);
	check(pool);
	check(!sealshm_client_pool_create_buffer(pool, 0, 10, ARGB) &&
	      errno == EINVAL);
	check(!sealshm_client_pool_create_buffer(pool, 10, -1, ARGB) &&
	      errno == EINVAL);
	check(!sealshm_client_pool_create_buffer(pool, 10, 10, 0xdeadbeef) &&
	      errno == EINVAL);
	/* Row or total beyond INT32_MAX: refused before any arithmetic
	 * could wrap. */
	check(!sealshm_client_pool_create_buffer(pool, INT32_MAX, 1, ARGB) &&
	      errno == EOVERFLOW);
	check(!sealshm_client_pool_create_buffer(pool, 65536, 65536, ARGB) &&
	      errno == EOVERFLOW);
	check(!sealshm_client_pool_create_buffer(pool, 23171, 23171, ARGB) &&
	      errno == EOVERFLOW);
	/* A slot that fits INT32_MAX alone but not behind another buffer:
	 * refused before the file or the mapping grows. */
	buf = sealshm_client_pool_create_buffer(pool, 1, 1, ARGB);
	check(buf);
	check(!sealshm_client_pool_create_buffer(pool, 1, (int32_t)(max / 4),
						 ARGB) &&
	      errno == EOVERFLOW);
	check(sealshm_client_pool_get_size(pool) == page());
	sealshm_client_buffer_destroy(buf);
	check(test_client_roundtrip_error(c, NULL) == 0);
	sealshm_client_pool_destroy(pool);
	test_client_destroy(c);
}

TEST(pool_refuses_bad_sizes_with_errno)
{
	run_client(errors_client, NULL, NULL);
}

/* The self-check, without a display. */

static int
sealable(uint64_t size, int seals)
{
	return test_client_make_memfd(size, seals);
}

static void
check_refused(int fd, uint64_t size, const char *expect)
{
	const char *reason = NULL;

	check(!sealshm_client_check_fd(fd, size, &reason));
	check(reason);
	check_msg(strstr(reason, expect), "reason \"%s\" lacks \"%s\"", reason,
		  expect);
	/* NULL reason is allowed. */
	check(!sealshm_client_check_fd(fd, size, NULL));
}

TEST(check_fd_accepts_sealed_memfds)
{
	const char *reason = NULL;
	int fd = sealable(8192, F_SEAL_SHRINK);

	check_msg(sealshm_client_check_fd(fd, 8192, &reason), "%s", reason);
	check(sealshm_client_check_fd(fd, 1, NULL));
	close(fd);
	fd = sealable(4096, F_SEAL_SHRINK | F_SEAL_SEAL | F_SEAL_WRITE);
	check(sealshm_client_check_fd(fd, 4096, NULL));
	close(fd);
}

TEST(check_fd_refuses_what_strict_refuses)
{
	char path[] = "/tmp/sealshm-check-XXXXXX";
	int pipefd[2], fd;

	/* Unsealed but sealable. */
	fd = sealable(4096, 0);
	check_refused(fd, 4096, "F_ADD_SEALS, F_SEAL_SHRINK");
	close(fd);
	/* Sealed against growth only. */
	fd = sealable(4096, F_SEAL_GROW);
	check_refused(fd, 4096, "F_SEAL_SHRINK");
	close(fd);
	/* Too small, and bad sizes. */
	fd = sealable(4096, F_SEAL_SHRINK);
	check_refused(fd, 4097, "smaller than the pool");
	check_refused(fd, 0, "between 1 and INT32_MAX");
	check_refused(fd, (uint64_t)INT32_MAX + 1, "between 1 and INT32_MAX");
	close(fd);
	/* memfd without MFD_ALLOW_SEALING: sealed F_SEAL_SEAL forever. */
	fd = memfd_create("nosealing", MFD_CLOEXEC);
	check(fd >= 0 && ftruncate(fd, 4096) == 0);
	check_refused(fd, 4096, "can never be sealed");
	close(fd);
	/* shm_open: a file in /dev/shm. */
	fd = shm_open("/sealshm-client-check", O_RDWR | O_CREAT | O_EXCL, 0600);
	check(fd >= 0);
	shm_unlink("/sealshm-client-check");
	check(ftruncate(fd, 4096) == 0);
	check_refused(fd, 4096, "can never be sealed");
	close(fd);
	/* A disk file (/tmp here is not tmpfs; if it is, it is shm). */
	fd = mkstemp(path);
	check(fd >= 0);
	unlink(path);
	check(ftruncate(fd, 4096) == 0);
	{
		enum shm_fs_kind kind;

		check(shm_file_get_fs_kind(fd, &kind) == 0);
		check_refused(fd, 4096,
			      kind == SHM_FS_SHMEM ? "can never be sealed"
						   : "not a shared-memory");
	}
	close(fd);
	/* Not a file at all. */
	check(pipe2(pipefd, O_CLOEXEC) == 0);
	check_refused(pipefd[0], 4096, "not a regular file");
	close(pipefd[0]);
	close(pipefd[1]);
	check_refused(-1, 4096, "not open");
	/* hugetlbfs, where the kernel offers it. */
	fd = memfd_create("huge",
			  MFD_CLOEXEC | MFD_HUGETLB | MFD_ALLOW_SEALING);
	if (fd >= 0) {
		check_refused(fd, 4096, "hugetlbfs");
		close(fd);
	}
}

/* The self-check and the real server agree, fd by fd. */
enum fd_case {
	FD_POOL,
	FD_SEALED,
	FD_WRITE_SEALED,
	FD_READ_ONLY,
	FD_WRITE_ONLY,
	FD_UNSEALED,
	FD_NO_SEALING,
	FD_SHM_OPEN,
	FD_DISK,
	FD_TOO_SMALL,
	FD_PIPE,
	FD_HUGETLB,
	FD_CASES,
};

static const bool fd_case_accepted[FD_CASES] = {
	[FD_POOL] = true,
	[FD_SEALED] = true,
	[FD_WRITE_SEALED] = true,
	[FD_READ_ONLY] = true,
};

static int
reopen(int fd, int flags)
{
	char path[64];
	int fd2;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	fd2 = open(path, flags | O_CLOEXEC);
	check(fd2 >= 0);
	close(fd);
	return fd2;
}

static int
make_case_fd(enum fd_case which, struct test_client *c,
	     struct sealshm_client_pool **pool)
{
	char path[] = "/tmp/sealshm-agree-XXXXXX";
	int fd, pipefd[2];

	switch (which) {
	case FD_POOL:
		*pool = sealshm_client_pool_create(c->shm, 4096);
		check(*pool);
		return dup(sealshm_client_pool_get_fd(*pool));
	case FD_SEALED:
		return sealable(4096, F_SEAL_SHRINK);
	case FD_WRITE_SEALED:
		return sealable(4096, F_SEAL_SHRINK | F_SEAL_WRITE);
	case FD_READ_ONLY:
		return reopen(sealable(4096, F_SEAL_SHRINK), O_RDONLY);
	case FD_WRITE_ONLY:
		return reopen(sealable(4096, F_SEAL_SHRINK), O_WRONLY);
	case FD_UNSEALED:
		return sealable(4096, 0);
	case FD_NO_SEALING:
		fd = memfd_create("nosealing", MFD_CLOEXEC);
		check(fd >= 0 && ftruncate(fd, 4096) == 0);
		return fd;
	case FD_SHM_OPEN:
		fd = shm_open("/sealshm-client-agree", O_RDWR | O_CREAT, 0600);
		check(fd >= 0);
		shm_unlink("/sealshm-client-agree");
		check(ftruncate(fd, 4096) == 0);
		return fd;
	case FD_DISK:
		fd = mkstemp(path);
		check(fd >= 0);
		unlink(path);
		check(ftruncate(fd, 4096) == 0);
		return fd;
	case FD_TOO_SMALL:
		return sealable(4095, F_SEAL_SHRINK);
	case FD_PIPE:
		check(pipe2(pipefd, O_CLOEXEC) == 0);
		close(pipefd[1]);
		return pipefd[0];
	case FD_HUGETLB:
		return memfd_create("huge", MFD_CLOEXEC | MFD_HUGETLB |
					    MFD_ALLOW_SEALING);
	case FD_CASES:
		break;
	}
	return -1;
}

static void
agree_client(void *data)
{
	enum fd_case which = (enum fd_case)(intptr_t)data;
	struct sealshm_client_pool *pool = NULL;
	struct test_client *c = test_client_connect();
	struct wl_shm_pool *wl_pool;
	const char *reason = "";
	bool verdict;
	int fd, err;

	fd = make_case_fd(which, c, &pool);
	if (fd < 0) {
		/* no hugetlbfs here: nothing to compare */
		check(which == FD_HUGETLB);
		test_client_destroy(c);
		return;
	}
	verdict = sealshm_client_check_fd(fd, 4096, &reason);
	check_msg(verdict == fd_case_accepted[which],
		  "case %d: self-check says %d (%s)", which, verdict, reason);
	wl_pool = wl_shm_create_pool(c->shm, fd, 4096);
	close(fd);
	err = test_client_roundtrip_error(c, NULL);
	check_msg((err == 0) == verdict,
		  "case %d: the server %s, the self-check %s (%s)", which,
		  err ? "refused" : "accepted", verdict ? "accepts" : "refuses",
		  reason);
	wl_shm_pool_destroy(wl_pool);
	if (!err)
		check(test_client_roundtrip_error(c, NULL) == 0);
	if (pool)
		sealshm_client_pool_destroy(pool);
	test_client_destroy(c);
}

TEST(check_fd_agrees_with_the_server)
{
	struct sealshm_stats st;
	struct sealshm *shm;
	struct test_display *d = server_start(&shm, NULL, NULL, NULL);
	int refused = 0;

	for (int i = 0; i < FD_CASES; i++) {
		test_display_spawn(d, agree_client, (void *)(intptr_t)i);
		refused += !fd_case_accepted[i];
	}
	check(test_display_run(d) == 0);
	sealshm_get_stats(shm, &st, sizeof(st));
	/* Every refusal came from the server, not from a crash (hugetlbfs
	 * may be missing). */
	check_msg(st.pools_rejected >= (uint64_t)refused - 1,
		  "%llu rejected", (unsigned long long)st.pools_rejected);
	test_display_destroy(d);
}
