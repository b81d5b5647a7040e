/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 */

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compositor-process.h"
#include "test-runner.h"

void
compositor_process_start(struct compositor_process *c, const char *socket,
			 const char *const *extra)
{
	const char *path = getenv("SEALSHM_COMPOSITOR");
	const char *argv[16];
	char line[64] = "";
	size_t len = 0, argc = 0;
	int fds[2];

	check_msg(path, "SEALSHM_COMPOSITOR is not set: run through meson");
	argv[argc++] = path;
	argv[argc++] = "--headless";
	argv[argc++] = "--socket";
	argv[argc++] = socket;
	argv[argc++] = "--stats";
	argv[argc++] = c->stats;
	for (; extra && *extra; extra++) {
		check(argc + 2 < sizeof(argv) / sizeof(argv[0]));
		argv[argc++] = *extra;
	}
	argv[argc] = NULL;

	snprintf(c->dir, sizeof(c->dir), "/tmp/sealshm-%s-XXXXXX", socket);
	check(mkdtemp(c->dir));
	check(setenv("XDG_RUNTIME_DIR", c->dir, 1) == 0);
	snprintf(c->stats, sizeof(c->stats), "%s/stats.json", c->dir);
	check(pipe2(fds, O_CLOEXEC) == 0);
	fflush(stdout);
	fflush(stderr);
	c->pid = fork();
	check(c->pid >= 0);
	if (c->pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	while (len + 1 < sizeof(line) && read(fds[0], line + len, 1) == 1 &&
	       line[len] != '\n')
		len++;
	line[len] = '\0';
	close(fds[0]);
	check_msg(strcmp(line, socket) == 0, "compositor printed '%s'", line);
	check(setenv("WAYLAND_DISPLAY", socket, 1) == 0);
}

void
compositor_process_stop(struct compositor_process *c, char *text, size_t size)
{
	size_t n;
	int status;
	FILE *f;

	check(kill(c->pid, SIGTERM) == 0);
	check(waitpid(c->pid, &status, 0) == c->pid);
	check_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "compositor status %d", status);
	f = fopen(c->stats, "r");
	check(f);
	n = fread(text, 1, size - 1, f);
	text[n] = '\0';
	fclose(f);
	check(unlink(c->stats) == 0);
	check(rmdir(c->dir) == 0);
}

unsigned long long
compositor_stat(const char *text, const char *key)
{
	char pattern[64];
	const char *at;

	snprintf(pattern, sizeof(pattern), "\"%s\": ", key);
	at = strstr(text, pattern);
	check_msg(at, "no %s in the stats", key);
	return strtoull(at + strlen(pattern), NULL, 10);
}
