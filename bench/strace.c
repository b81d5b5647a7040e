/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * Counting a trial server's system calls: strace -c attached to the server
 * process counts every call it really makes, whichever library makes it
 * and whether or not it goes through the PLT (the mmap interposer of
 * map-count.c sees only those that do).  The server waits for the word
 * that strace is on before it starts (main.c), so nothing is missed or
 * counted by luck.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

/* How long strace may take to attach. */
#define ATTACH_TIMEOUT_MS 10000

pid_t
strace_attach(pid_t pid, const char *path, int *err_fd)
{
	char pid_arg[32], out[512];
	size_t used = 0;
	int pipefd[2], ret;
	struct pollfd pfd;
	ssize_t n;
	pid_t tracer;

	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		perror("bench: pipe2");
		return -1;
	}
	snprintf(pid_arg, sizeof(pid_arg), "%ld", (long)pid);
	tracer = fork();
	if (tracer == 0) {
		dup2(pipefd[1], STDERR_FILENO);
		/* Not -q: "Process N attached" is the word we wait for. */
		execlp("strace", "strace", "-f", "-c", "-o", path, "-p",
		       pid_arg, (char *)NULL);
		fprintf(stderr, "exec strace: %s\n", strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	if (tracer < 0) {
		perror("bench: fork");
		close(pipefd[0]);
		return -1;
	}

	/*
	 * strace prints the line once it has seized the process and
	 * interrupted it; from then on the server runs only under syscall
	 * tracing.
	 */
	pfd.fd = pipefd[0];
	pfd.events = POLLIN;
	out[0] = '\0';
	while (!strstr(out, " attached")) {
		ret = poll(&pfd, 1, ATTACH_TIMEOUT_MS);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0)
			break;
		n = read(pipefd[0], out + used, sizeof(out) - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += n;
		out[used] = '\0';
		if (used == sizeof(out) - 1)
			break;
	}
	if (!strstr(out, " attached")) {
		fprintf(stderr,
			"bench: strace did not attach to the server (%s); "
			"install strace (tools/ensure-deps.sh test) and allow "
			"ptrace\n",
			out[0] ? out : "no output");
		kill(tracer, SIGKILL);
		waitpid(tracer, NULL, 0);
		close(pipefd[0]);
		return -1;
	}
	*err_fd = pipefd[0];
	return tracer;
}

/*
 * One line of the table strace -c writes:
 *   "% time     seconds  usecs/call     calls    errors syscall"
 * then rows such as " 25.00    0.000010          10         1           read"
 * (errors may be empty) between two lines of dashes.
 */
static bool
parse_row(const char *line, struct syscall_count *count)
{
	char tok[6][64];
	int n;

	n = sscanf(line, "%63s %63s %63s %63s %63s %63s", tok[0], tok[1],
		   tok[2], tok[3], tok[4], tok[5]);
	if (n < 5)
		return false;
	count->calls = strtoull(tok[3], NULL, 10);
	snprintf(count->name, sizeof(count->name), "%s", tok[n - 1]);
	return true;
}

int
strace_finish(pid_t tracer, int err_fd, const char *path,
	      struct syscall_count *counts, int max)
{
	char line[256], err[512];
	int status, n = 0, dashes = 0;
	ssize_t len;
	FILE *f;

	while (waitpid(tracer, &status, 0) < 0)
		if (errno != EINTR)
			break;
	len = read(err_fd, err, sizeof(err) - 1);
	err[len > 0 ? len : 0] = '\0';
	close(err_fd);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench: strace failed: %s\n", err);
		return -1;
	}
	f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "------", 6) == 0) {
			dashes++;
			continue;
		}
		if (dashes != 1 || n == max)
			continue;
		if (parse_row(line, &counts[n]))
			n++;
	}
	fclose(f);
	if (dashes < 2 || n == 0) {
		fprintf(stderr, "bench: no syscall table in %s\n", path);
		return -1;
	}
	return n;
}
