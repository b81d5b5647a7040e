/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * Tests of the harness itself: the runner must catch leaks, crashes and
 * timeouts, and the display helper must run real clients.  The *_raw tests
 * misbehave on purpose; they only do so with SEALSHM_SELF_TEST_RAW set, from
 * the should_fail tests in meson.build.
 */

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "test-client.h"
#include "test-display.h"
#include "test-runner.h"

static bool
raw_requested(void)
{
	return getenv("SEALSHM_SELF_TEST_RAW") != NULL;
}

static void
leak_an_fd(void)
{
	check(open("/dev/null", O_RDONLY | O_CLOEXEC) >= 0);
}

static void
leak_a_mapping(void)
{
	int fd = memfd_create("leak", MFD_CLOEXEC);

	check(fd >= 0);
	check(ftruncate(fd, 4096) == 0);
	check(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) != MAP_FAILED);
	close(fd);
}

TEST(leaks_fd_raw)
{
	if (!raw_requested())
		test_skip("misbehaves on purpose; set SEALSHM_SELF_TEST_RAW");
	leak_an_fd();
}

TEST(leaks_mapping_raw)
{
	if (!raw_requested())
		test_skip("misbehaves on purpose; set SEALSHM_SELF_TEST_RAW");
	leak_a_mapping();
}

TEST(times_out_raw)
{
	if (!raw_requested())
		test_skip("misbehaves on purpose; set SEALSHM_SELF_TEST_RAW");
	pause();
}

FAIL_TEST(fd_leak_is_reported)
{
	leak_an_fd();
}

FAIL_TEST(mapping_leak_is_reported)
{
	leak_a_mapping();
}

FAIL_TEST(failed_check_is_reported)
{
	check(1 + 1 == 3);
}

FAIL_TEST(crash_is_reported)
{
	raise(SIGSEGV);
}

TEST(counters_see_fds_and_mappings)
{
	int fds = test_count_fds(), maps = test_count_shm_mappings();
	int fd = memfd_create("count", MFD_CLOEXEC);
	void *p;

	check(fd >= 0);
	check(test_count_fds() == fds + 1);
	check(ftruncate(fd, 4096) == 0);
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	check(p != MAP_FAILED);
	check(test_count_shm_mappings() == maps + 1);
	munmap(p, 4096);
	close(fd);
	check(test_count_fds() == fds);
	check(test_count_shm_mappings() == maps);
}

static void
exit_with_3(void *data)
{
	exit(3);
}

static void
connect_and_leave(void *data)
{
	struct wl_display *display = wl_display_connect(NULL);

	check(display);
	check(wl_display_roundtrip(display) >= 0);
	wl_display_disconnect(display);
}

TEST(display_reports_client_results)
{
	struct test_display *d = test_display_create();

	test_display_spawn(d, connect_and_leave, NULL);
	test_display_spawn(d, connect_and_leave, NULL);
	test_display_spawn(d, exit_with_3, NULL);
	check(test_display_run(d) == 1);
	test_display_destroy(d);
}
