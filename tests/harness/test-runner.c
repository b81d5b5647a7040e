/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 */

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test-runner.h"

extern const struct test __start_sealshm_tests, __stop_sealshm_tests;

static const struct test *current_test;
static bool leak_check = true;

#define EXIT_SKIP 77

void
test_fail(const char *file, int line, const char *expr, const char *msg)
{
	fprintf(stderr, "%s:%d: check failed in %s: %s%s%s\n", file, line,
		current_test ? current_test->name : "?", expr,
		msg ? ": " : "", msg ? msg : "");
	fflush(stderr);
	abort();
}

void
test_skip(const char *why)
{
	fprintf(stderr, "skipped %s: %s\n",
		current_test ? current_test->name : "?", why);
	fflush(stderr);
	_exit(EXIT_SKIP);
}

void
test_disable_leak_check(void)
{
	leak_check = false;
}

int
test_count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *ent;
	int count = 0;

	if (!dir)
		test_fail(__FILE__, __LINE__, "opendir(/proc/self/fd)",
			  strerror(errno));
	while ((ent = readdir(dir))) {
		if (ent->d_name[0] != '.')
			count++;
	}
	closedir(dir);
	/* Do not count the fd of the directory stream itself. */
	return count - 1;
}

int
test_count_shm_mappings(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[4096];
	int count = 0;

	if (!f)
		test_fail(__FILE__, __LINE__, "fopen(/proc/self/maps)",
			  strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "/memfd:") || strstr(line, "/dev/shm/") ||
		    strstr(line, "(deleted)"))
			count++;
	}
	fclose(f);
	return count;
}

bool
test_is_instrumented(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return true;
#else
	const char *preload = getenv("LD_PRELOAD");

	return getenv("SEALSHM_TEST_VALGRIND") != NULL ||
	       (preload && strstr(preload, "vgpreload"));
#endif
}

static int
timeout_seconds(void)
{
	const char *env = getenv("SEALSHM_TEST_TIMEOUT");
	int t = env ? atoi(env) : 0;

	return t > 0 ? t : 60;
}

static void
run_child(const struct test *t)
{
	int fds_before, maps_before, fds_after, maps_after;

	current_test = t;
	alarm(timeout_seconds());

	fds_before = test_count_fds();
	maps_before = test_count_shm_mappings();
	t->run();
	fds_after = test_count_fds();
	maps_after = test_count_shm_mappings();

	if (leak_check && fds_after != fds_before) {
		fprintf(stderr, "%s: fd leak: %d fds open before, %d after\n",
			t->name, fds_before, fds_after);
		_exit(EXIT_FAILURE);
	}
	if (leak_check && maps_after != maps_before) {
		fprintf(stderr, "%s: mapping leak: %d shm mappings before, "
			"%d after\n", t->name, maps_before, maps_after);
		_exit(EXIT_FAILURE);
	}
	/* exit(), not _exit(): sanitizers and valgrind report at exit. */
	exit(EXIT_SUCCESS);
}

/* Returns 0 pass, 1 fail, EXIT_SKIP skip. */
static int
run_test(const struct test *t)
{
	int status;
	pid_t pid;
	bool passed;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0)
		run_child(t);

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			perror("waitpid");
			return 1;
		}
	}

	if (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_SKIP) {
		printf("skip %s\n", t->name);
		return EXIT_SKIP;
	}
	passed = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		fprintf(stderr, "%s: timed out after %d s\n", t->name,
			timeout_seconds());
	else if (WIFSIGNALED(status))
		fprintf(stderr, "%s: killed by signal %d (%s)\n", t->name,
			WTERMSIG(status), strsignal(WTERMSIG(status)));

	if (t->must_fail) {
		printf("%s %s (must fail: %s)\n", passed ? "FAIL" : "ok",
		       t->name, passed ? "it passed" : "it failed");
		return passed ? 1 : 0;
	}
	printf("%s %s\n", passed ? "ok" : "FAIL", t->name);
	return passed ? 0 : 1;
}

int
main(int argc, char *argv[])
{
	const struct test *t;
	int run = 0, failed = 0, skipped = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);

	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		for (t = &__start_sealshm_tests; t < &__stop_sealshm_tests; t++)
			printf("%s\n", t->name);
		return EXIT_SUCCESS;
	}

	for (t = &__start_sealshm_tests; t < &__stop_sealshm_tests; t++) {
		bool selected = argc < 2;
		int r;

		for (int i = 1; i < argc; i++) {
			if (strcmp(argv[i], t->name) == 0)
				selected = true;
		}
		if (!selected)
			continue;

		run++;
		r = run_test(t);
		if (r == EXIT_SKIP)
			skipped++;
		else if (r != 0)
			failed++;
	}

	if (run == 0) {
		fprintf(stderr, "no test matched\n");
		return EXIT_FAILURE;
	}
	printf("%d tests: %d passed, %d failed, %d skipped\n", run,
	       run - failed - skipped, failed, skipped);
	if (failed)
		return EXIT_FAILURE;
	return skipped == run ? EXIT_SKIP : EXIT_SUCCESS;
}
