/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * A small fork-per-test runner.  Each TEST() runs in its own child process
 * with a timeout (SEALSHM_TEST_TIMEOUT seconds, default 60), and fails when
 * it returns with more open fds or more shared-memory mappings than it
 * started with.  Link a test program with the harness library and write
 * TEST()s; the harness provides main().
 *
 *   prog            run every test
 *   prog NAME...    run the named tests
 *   prog --list     print the names
 *
 * Exit status: 0 when every run test passed, 1 when one failed, 77 when
 * every run test skipped.
 */

#ifndef SEALSHM_TESTS_TEST_RUNNER_H
#define SEALSHM_TESTS_TEST_RUNNER_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

struct test {
	const char *name;
	void (*run)(void);
	/* the test passes only when its body fails */
	bool must_fail;
} __attribute__((aligned(16)));

#define TEST_DEFINE(tname, fail)					\
	static void tname(void);					\
	const struct test test_##tname					\
		__attribute__((used, section("sealshm_tests"))) = {	\
		#tname, tname, fail					\
	};								\
	static void tname(void)

/** A test; fails on a failed check, a crash, a timeout or a leak. */
#define TEST(name) TEST_DEFINE(name, false)
/** A test that must fail: used to prove that the harness catches things. */
#define FAIL_TEST(name) TEST_DEFINE(name, true)

/**
 * Check @p cond; on failure print the location and the expression (and an
 * optional printf-style explanation) and fail the test.  Always evaluated,
 * also with NDEBUG.
 */
#define check(cond)							\
	do {								\
		if (!(cond))						\
			test_fail(__FILE__, __LINE__, #cond, NULL);	\
	} while (0)

#define check_msg(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			char test_msg_[512];				\
			snprintf(test_msg_, sizeof(test_msg_), __VA_ARGS__); \
			test_fail(__FILE__, __LINE__, #cond, test_msg_); \
		}							\
	} while (0)

void
test_fail(const char *file, int line, const char *expr, const char *msg)
	__attribute__((noreturn));

/** End the current test as skipped (exit 77), printing @p why. */
void
test_skip(const char *why) __attribute__((noreturn));

/** The current test keeps fds or mappings on purpose: skip the leak check. */
void
test_disable_leak_check(void);

/** Number of open fds of this process. */
int
test_count_fds(void);

/**
 * Number of mappings of shared-memory files in this process (memfds,
 * /dev/shm, deleted files): what a leaked pool would leave behind.
 */
int
test_count_shm_mappings(void);

/** True when running under valgrind or a sanitizer (slower; adapt sizes). */
bool
test_is_instrumented(void);

#endif /* SEALSHM_TESTS_TEST_RUNNER_H */
