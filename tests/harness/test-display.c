/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <wayland-server-core.h>

#include "test-compositor.h"
#include "test-display.h"
#include "test-runner.h"

static int
handle_sigchld(int signo, void *data)
{
	struct test_display *d = data;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		d->clients_running--;
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			continue;
		d->clients_failed++;
		if (WIFEXITED(status))
			fprintf(stderr, "client %d exited with status %d\n",
				(int)pid, WEXITSTATUS(status));
		else if (WIFSIGNALED(status))
			fprintf(stderr, "client %d killed by signal %d\n",
				(int)pid, WTERMSIG(status));
	}
	return 0;
}

struct test_display *
test_display_create(void)
{
	struct test_display *d = calloc(1, sizeof(*d));
	sigset_t mask;

	check(d);
	snprintf(d->runtime_dir, sizeof(d->runtime_dir),
		 "/tmp/sealshm-test-XXXXXX");
	check(mkdtemp(d->runtime_dir));
	check(setenv("XDG_RUNTIME_DIR", d->runtime_dir, 1) == 0);

	d->display = wl_display_create();
	check(d->display);
	d->loop = wl_display_get_event_loop(d->display);
	d->socket = wl_display_add_socket_auto(d->display);
	check(d->socket);
	check(setenv("WAYLAND_DISPLAY", d->socket, 1) == 0);

	/* The event loop's signalfd only sees SIGCHLD when it is blocked. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	check(sigprocmask(SIG_BLOCK, &mask, NULL) == 0);
	d->sigchld = wl_event_loop_add_signal(d->loop, SIGCHLD,
					      handle_sigchld, d);
	check(d->sigchld);
	return d;
}

void
test_display_destroy(struct test_display *d)
{
	char path[128];
	sigset_t mask;

	wl_event_source_remove(d->sigchld);
	wl_display_destroy_clients(d->display);
	test_compositor_destroy(d->compositor);
	wl_display_destroy(d->display);

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_UNBLOCK, &mask, NULL);

	/* The socket and its lock file are gone with the display. */
	snprintf(path, sizeof(path), "%s", d->runtime_dir);
	if (rmdir(path) < 0)
		fprintf(stderr, "rmdir %s: %s\n", path, strerror(errno));
	free(d);
}

pid_t
test_display_spawn(struct test_display *d, void (*client_main)(void *data),
		   void *data)
{
	sigset_t mask;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	check(pid >= 0);
	if (pid == 0) {
		sigemptyset(&mask);
		sigaddset(&mask, SIGCHLD);
		sigprocmask(SIG_UNBLOCK, &mask, NULL);
		client_main(data);
		exit(EXIT_SUCCESS);
	}
	d->clients_running++;
	return pid;
}

int
test_display_run(struct test_display *d)
{
	while (d->clients_running > 0) {
		wl_display_flush_clients(d->display);
		if (wl_event_loop_dispatch(d->loop, -1) < 0 && errno != EINTR)
			check(!"wl_event_loop_dispatch failed");
	}
	wl_display_flush_clients(d->display);
	return d->clients_failed;
}

void
test_display_dispatch(struct test_display *d, int timeout_ms)
{
	wl_display_flush_clients(d->display);
	wl_event_loop_dispatch(d->loop, timeout_ms);
	wl_display_flush_clients(d->display);
}

/* The test_display's compositor keeps its commit callback and counters. */
static void
handle_commit(struct test_commit *commit, void *data)
{
	struct test_display *d = data;

	d->commits++;
	if (d->commit)
		d->commit(commit->surface, commit->buffer, d->commit_data);
	commit->release = !d->hold_buffers;
}

void
test_display_add_compositor(struct test_display *d,
			    void (*commit)(struct wl_resource *surface,
					   struct wl_resource *buffer,
					   void *data),
			    void *data)
{
	d->commit = commit;
	d->commit_data = data;
	d->compositor = test_compositor_create(d->display, handle_commit, d);
	check(d->compositor);
	d->compositor_global = test_compositor_get_global(d->compositor);
}
