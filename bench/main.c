/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * sealshm-bench: sealshm against libwayland's wl_shm on the same workloads
 * in the same run.  Every trial is a fresh server process and a fresh
 * client process over socketpairs; trials of the two sides alternate so
 * that a noisy machine disturbs both alike, and each number is the median
 * of its trials.
 *
 * "sealshm-bench external" runs one client alone against the compositor of
 * $WAYLAND_DISPLAY and prints its rate as one JSON line; the driver
 * bench/compositors.py runs it against weston and sway with and without
 * sealshm-run.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pixman.h>
#include <wayland-version.h>

#include "bench.h"

#define MAX_TRIALS 32
#define MAX_METRICS 96
#define MAX_GOALS 16
#define MAX_SYSCALL_TABLES 8
#define MAX_SYSCALLS 48
/* A trial that takes longer than this is stuck: its processes die. */
#define TRIAL_TIMEOUT_S 120

struct metric {
	char name[64];
	const char *unit;
	bool higher_better;
	/* false: only in the JSON file */
	bool print;
	const char *label_a, *label_b;
	double a[MAX_TRIALS], b[MAX_TRIALS];
	int na, nb;
};

struct goal {
	char text[96];
	char detail[128];
	bool met;
};

/* Server system calls per cycle, by name, for the JSON: side a, side b. */
struct syscall_table {
	char name[64];
	struct syscall_count a[MAX_SYSCALLS], b[MAX_SYSCALLS];
	/* per cycle, parallel to a[] and b[] */
	double a_per[MAX_SYSCALLS], b_per[MAX_SYSCALLS];
	int na, nb;
};

struct config {
	bool quick;
	/* the CPU every trial's processes run on, -1 for anywhere */
	int cpu;
	int trials;
	double duration;
	int resize_steps;
	int32_t resize_width, resize_height;
	int scale_clients;
	int compose_frames;
	/* cycles of the shorter of the two strace'd churn trials */
	int syscall_cycles;
};

static struct metric metrics[MAX_METRICS];
static int metric_count;
static struct goal goals[MAX_GOALS];
static int goal_count;
static struct syscall_table syscall_tables[MAX_SYSCALL_TABLES];
static int syscall_table_count;
/* The table of the last traced trial (run_trial with strace_path). */
static struct syscall_count traced[MAX_SYSCALLS];
static int traced_count;

static struct metric *
metric_add(const char *unit, bool higher_better, bool print,
	   const char *label_a, const char *label_b, const char *name_fmt, ...)
	__attribute__((format(printf, 6, 7)));

static struct metric *
metric_add(const char *unit, bool higher_better, bool print,
	   const char *label_a, const char *label_b, const char *name_fmt, ...)
{
	struct metric *m;
	va_list ap;

	if (metric_count == MAX_METRICS) {
		fprintf(stderr, "too many metrics\n");
		exit(EXIT_FAILURE);
	}
	m = &metrics[metric_count++];
	va_start(ap, name_fmt);
	vsnprintf(m->name, sizeof(m->name), name_fmt, ap);
	va_end(ap);
	m->unit = unit;
	m->higher_better = higher_better;
	m->print = print;
	m->label_a = label_a;
	m->label_b = label_b;
	return m;
}

static struct metric *
metric_find(const char *name)
{
	int i;

	for (i = 0; i < metric_count; i++)
		if (strcmp(metrics[i].name, name) == 0)
			return &metrics[i];
	return NULL;
}

static void
sample(struct metric *m, bool side_a, double value)
{
	if (side_a && m->na < MAX_TRIALS)
		m->a[m->na++] = value;
	else if (!side_a && m->nb < MAX_TRIALS)
		m->b[m->nb++] = value;
}

static double
metric_median(const struct metric *m, bool side_a)
{
	double v[MAX_TRIALS];
	int n = side_a ? m->na : m->nb;

	memcpy(v, side_a ? m->a : m->b, n * sizeof(*v));
	return median(v, n);
}

/* Above 1 when side a is better. */
static double
metric_ratio(const struct metric *m)
{
	double a = metric_median(m, true), b = metric_median(m, false);

	if (m->higher_better)
		return b > 0 ? a / b : INFINITY;
	return a > 0 ? b / a : (b > 0 ? INFINITY : 1.0);
}

static void
metric_print(const struct metric *m)
{
	printf("%s: %s %.4g %s, %s %.4g %s, ratio %.3g\n", m->name, m->label_a,
	       metric_median(m, true), m->unit, m->label_b,
	       metric_median(m, false), m->unit, metric_ratio(m));
	fflush(stdout);
}

static void
goal_add(bool met, const char *text, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
goal_add(bool met, const char *text, const char *fmt, ...)
{
	struct goal *g;
	va_list args;

	if (goal_count == MAX_GOALS)
		return;
	g = &goals[goal_count++];
	g->met = met;
	snprintf(g->text, sizeof(g->text), "%s", text);
	va_start(args, fmt);
	vsnprintf(g->detail, sizeof(g->detail), fmt, args);
	va_end(args);
}

/* Trials */

static bool
read_all(int fd, void *buf, size_t len)
{
	unsigned char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= n;
	}
	return true;
}

static void
close_all(int *fds, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static bool
child_ok(pid_t pid, const char *who)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return false;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	if (WIFSIGNALED(status))
		fprintf(stderr, "bench: %s killed by signal %d (%s)\n", who,
			WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		fprintf(stderr, "bench: %s exited with status %d\n", who,
			WEXITSTATUS(status));
	return false;
}

/*
 * The body of a trial's server or client process.  It ends with exit(),
 * not _exit(), so that leak checkers look at the children too (run_trial
 * flushed stdio before the fork: nothing gets written twice), and frees
 * the parent's arrays first for the same reason.
 */
static void __attribute__((noreturn))
run_child(const struct trial *trial, bool is_server, int *own, int *other,
	  int n, int result_pipe[2], int go_fd, void *result)
{
	size_t size = is_server ? sizeof(struct server_result)
				: sizeof(struct client_result);
	int ret = 0, status = EXIT_FAILURE;
	char go;

	alarm(TRIAL_TIMEOUT_S);
	close(result_pipe[0]);
	close_all(other, n);
	free(other);
	/*
	 * Traced: start only once strace is on (or the bench gave up).
	 * strace is our sibling, not our parent: under Yama's ptrace_scope 1
	 * it may attach only if we say so.
	 */
	if (go_fd >= 0) {
		prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
		while (read(go_fd, &go, 1) < 0 && errno == EINTR)
			;
		close(go_fd);
	}
	if (is_server)
		ret = bench_server_run(trial, own, n, result);
	else
		bench_client_run(trial, own, n, result);
	free(own);
	if (ret == 0 && write(result_pipe[1], result, size) == (ssize_t)size)
		status = EXIT_SUCCESS;
	close(result_pipe[1]);
	exit(status);
}

/*
 * Run one trial: a server process and a client process joined by
 * trial->clients socketpairs.  Each writes its result to a pipe.  With
 * trial->strace_path the server waits on a pipe until strace is attached
 * to it, and only then is the client started.
 */
static bool
run_trial(const struct trial *trial, struct client_result *cres,
	  struct server_result *sres)
{
	int n = trial->kind == CLIENT_SCALE ? trial->clients : 1;
	int *server_fds, *client_fds, spipe[2], cpipe[2], pair[2], i;
	int go[2] = { -1, -1 }, tracer_err = -1;
	bool ok = false, sok, cok;
	pid_t server, client, tracer = -1;

	server_fds = calloc(n, sizeof(int));
	client_fds = calloc(n, sizeof(int));
	if (!server_fds || !client_fds)
		goto out;
	for (i = 0; i < n; i++)
		server_fds[i] = client_fds[i] = -1;
	for (i = 0; i < n; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) <
		    0) {
			perror("bench: socketpair");
			goto out_fds;
		}
		server_fds[i] = pair[0];
		client_fds[i] = pair[1];
	}
	if (pipe2(spipe, O_CLOEXEC) < 0)
		goto out_fds;
	if (pipe2(cpipe, O_CLOEXEC) < 0)
		goto out_spipe;
	if (trial->strace_path && pipe2(go, O_CLOEXEC) < 0)
		goto out_cpipe;

	fflush(stdout);
	fflush(stderr);
	server = fork();
	if (server == 0) {
		close(cpipe[0]);
		close(cpipe[1]);
		if (go[1] >= 0)
			close(go[1]);
		run_child(trial, true, server_fds, client_fds, n, spipe, go[0],
			  sres);
	}
	if (server < 0) {
		perror("bench: fork");
		if (go[0] >= 0) {
			close(go[0]);
			close(go[1]);
		}
		goto out_cpipe;
	}
	if (trial->strace_path) {
		close(go[0]);
		tracer = strace_attach(server, trial->strace_path, &tracer_err);
		/* Untraced, the server runs anyway and its result is
		 * thrown away below. */
		if (write(go[1], "g", 1) != 1)
			perror("bench: write");
		close(go[1]);
	}
	client = fork();
	if (client == 0) {
		close(spipe[0]);
		close(spipe[1]);
		if (tracer_err >= 0)
			close(tracer_err);
		run_child(trial, false, client_fds, server_fds, n, cpipe, -1,
			  cres);
	}
	if (client < 0) {
		perror("bench: fork");
		/* the server ends when its clients' sockets close */
		close_all(server_fds, n);
		close_all(client_fds, n);
		close(spipe[1]);
		close(cpipe[1]);
		close(spipe[0]);
		close(cpipe[0]);
		child_ok(server, "server");
		if (tracer > 0)
			strace_finish(tracer, tracer_err, trial->strace_path,
				      traced, MAX_SYSCALLS);
		goto out;
	}
	close_all(server_fds, n);
	close_all(client_fds, n);
	close(spipe[1]);
	close(cpipe[1]);
	cok = read_all(cpipe[0], cres, sizeof(*cres));
	sok = read_all(spipe[0], sres, sizeof(*sres));
	cok = child_ok(client, "client") && cok;
	sok = child_ok(server, "server") && sok;
	ok = cok && sok;
	if (tracer > 0) {
		traced_count =
			strace_finish(tracer, tracer_err, trial->strace_path,
				      traced, MAX_SYSCALLS);
		ok = ok && traced_count > 0;
	} else if (trial->strace_path) {
		ok = false;
	}
	close(spipe[0]);
	close(cpipe[0]);
	goto out;

out_cpipe:
	close(cpipe[0]);
	close(cpipe[1]);
out_spipe:
	close(spipe[0]);
	close(spipe[1]);
out_fds:
	close_all(server_fds, n);
	close_all(client_fds, n);
out:
	free(server_fds);
	free(client_fds);
	return ok;
}

static void
run_or_die(const struct trial *trial, struct client_result *cres,
	   struct server_result *sres, const char *what)
{
	if (run_trial(trial, cres, sres))
		return;
	fprintf(stderr, "bench: trial of %s (%s) failed\n", what,
		trial->backend == BACKEND_SEALSHM ? "sealshm" : "libwayland");
	exit(EXIT_FAILURE);
}

/* The first backend of trial @p t: alternate so order effects cancel. */
static enum backend
backend_of(int t, int k)
{
	return (t + k) % 2 ? BACKEND_LIBWAYLAND : BACKEND_SEALSHM;
}

static double
seconds(uint64_t ns)
{
	return ns / 1e9;
}

/* Workloads */

static void
bench_frame_loop(const struct config *cfg)
{
	static const int32_t sizes[][2] = {
		{ 256, 256 },
		{ 1920, 1080 },
		{ 3840, 2160 },
	};
	struct client_result cres;
	struct server_result sres;
	struct metric *fps, *cpu, *access;
	char name[64];
	size_t s;
	int t, k;

	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		fps = metric_add("fps", true, true, "sealshm", "libwayland",
				 "frame-loop-%dx%d", sizes[s][0], sizes[s][1]);
		cpu = metric_add("us/frame", false, true, "sealshm",
				 "libwayland", "%s-server-cpu", fps->name);
		access = metric_add("us/commit", false, false, "sealshm",
				    "libwayland", "%s-server-access",
				    fps->name);
		for (t = 0; t < cfg->trials; t++) {
			for (k = 0; k < 2; k++) {
				struct trial trial = {
					.backend = backend_of(t, k),
					.mode = SERVER_READ,
					.kind = CLIENT_FRAME_LOOP,
					.alloc = ALLOC_SEALED,
					.width = sizes[s][0],
					.height = sizes[s][1],
					.duration = cfg->duration,
				};
				bool a = trial.backend == BACKEND_SEALSHM;

				run_or_die(&trial, &cres, &sres, fps->name);
				sample(fps, a,
				       cres.frames / seconds(cres.elapsed_ns));
				sample(cpu, a, sres.cpu_ns / 1e3);
				sample(access, a, sres.access_ns / 1e3);
			}
		}
		metric_print(fps);
		metric_print(cpu);
	}
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		snprintf(name, sizeof(name), "frame-loop-%dx%d", sizes[s][0],
			 sizes[s][1]);
		fps = metric_find(name);
		goal_add(metric_ratio(fps) >= 1.0, "frame loop ratio >= 1.0",
			 "%s ratio %.3f", name, metric_ratio(fps));
	}
}

/* Calls of @p name in @p counts[0..n), 0 when absent. */
static uint64_t
calls_of(const struct syscall_count *counts, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(counts[i].name, name) == 0)
			return counts[i].calls;
	return 0;
}

/*
 * The server's system calls per cycle of @p base's churn, counted by
 * strace -c: a trial of 2n cycles less one of n, over n, so that the
 * server's start and exit cancel out.  These are counts, not times: one
 * pair of trials per side.  Samples the total into @p m and keeps the
 * calls by name for the JSON.
 */
static void
churn_syscalls(const struct config *cfg, const struct trial *base,
	       struct metric *m)
{
	char path[] = "/tmp/sealshm-bench-strace-XXXXXX";
	struct syscall_count once[MAX_SYSCALLS];
	struct syscall_table *table;
	struct client_result cres;
	struct server_result sres;
	int k, i, n_once, fd, n = cfg->syscall_cycles;

	if (syscall_table_count == MAX_SYSCALL_TABLES) {
		fprintf(stderr, "too many syscall tables\n");
		exit(EXIT_FAILURE);
	}
	table = &syscall_tables[syscall_table_count++];
	snprintf(table->name, sizeof(table->name), "%s", m->name);
	fd = mkstemp(path);
	if (fd < 0) {
		perror("bench: mkstemp");
		exit(EXIT_FAILURE);
	}
	close(fd);
	for (k = 0; k < 2; k++) {
		struct trial trial = *base;
		bool a = k == 0;
		struct syscall_count *rows = a ? table->a : table->b;
		double *per = a ? table->a_per : table->b_per, total = 0;

		trial.backend = a ? BACKEND_SEALSHM : BACKEND_LIBWAYLAND;
		trial.strace_path = path;
		trial.frames = n;
		run_or_die(&trial, &cres, &sres, m->name);
		n_once = traced_count;
		memcpy(once, traced, sizeof(once));
		trial.frames = 2 * n;
		run_or_die(&trial, &cres, &sres, m->name);
		for (i = 0; i < traced_count; i++) {
			rows[i] = traced[i];
			per[i] = ((double)traced[i].calls -
				  (double)calls_of(once, n_once,
						   traced[i].name)) /
				 n;
			total += per[i];
		}
		if (a)
			table->na = traced_count;
		else
			table->nb = traced_count;
		sample(m, a, total);
	}
	unlink(path);
}

/*
 * A new pool and buffer per frame, in three ways: the same memfd sent
 * every time, its buffer destroyed before the next pool; a new memfd per
 * pool; and the same memfd with the previous buffer still alive when the
 * next pool arrives (a compositor that releases at the next commit), in
 * which case sealshm can reuse the file's mapping.
 */
static void
bench_churn(const struct config *cfg)
{
	static const struct {
		const char *suffix;
		enum client_alloc alloc;
		bool keep_previous;
	} variants[] = {
		{ "", ALLOC_SEALED, false },
		{ "-memfd-per-pool", ALLOC_MEMFD_PER_POOL, false },
		{ "-keep-previous", ALLOC_SEALED, true },
	};
#define CHURN_VARIANTS (sizeof(variants) / sizeof(variants[0]))
	struct metric *rate[CHURN_VARIANTS], *calls[CHURN_VARIANTS];
	struct metric *cpu, *access, *maps, *reused;
	struct client_result cres;
	struct server_result sres;
	bool syscalls_met = true;
	char detail[128];
	size_t v, used = 0;
	int t, k;

	for (v = 0; v < CHURN_VARIANTS; v++) {
		struct trial base = {
			.mode = SERVER_READ,
			.kind = CLIENT_CHURN,
			.alloc = variants[v].alloc,
			.keep_previous = variants[v].keep_previous,
			.width = 256,
			.height = 256,
			.duration = cfg->duration,
		};

		rate[v] = metric_add("cycles/s", true, true, "sealshm",
				     "libwayland", "pool-churn-256x256%s",
				     variants[v].suffix);
		cpu = metric_add("us/cycle", false, true, "sealshm",
				 "libwayland", "%s-server-cpu", rate[v]->name);
		access = metric_add("us/commit", false, false, "sealshm",
				    "libwayland", "%s-server-access",
				    rate[v]->name);
		maps = metric_add("calls/cycle", false, true, "sealshm",
				  "libwayland", "%s-mmaps", rate[v]->name);
		reused = metric_add("pools/cycle", true, false, "sealshm",
				    "libwayland", "%s-mappings-reused",
				    rate[v]->name);
		calls[v] =
			metric_add("calls/cycle", false, true, "sealshm",
				   "libwayland", "%s-syscalls", rate[v]->name);
		for (t = 0; t < cfg->trials; t++) {
			for (k = 0; k < 2; k++) {
				struct trial trial = base;
				bool a;

				trial.backend = backend_of(t, k);
				a = trial.backend == BACKEND_SEALSHM;
				run_or_die(&trial, &cres, &sres, rate[v]->name);
				sample(rate[v], a,
				       cres.frames / seconds(cres.elapsed_ns));
				sample(cpu, a, sres.cpu_ns / 1e3);
				sample(access, a, sres.access_ns / 1e3);
				/* as in resize: sealshm's own count, the
				 * interposer's for libwayland */
				sample(maps, a,
				       (double)(a ? sres.map_calls_stats
						  : sres.map_calls_counted) /
					       sres.commits);
				sample(reused, a,
				       (double)sres.mappings_reused /
					       sres.commits);
			}
		}
		churn_syscalls(cfg, &base, calls[v]);
		metric_print(rate[v]);
		metric_print(cpu);
		metric_print(maps);
		metric_print(calls[v]);
	}

	goal_add(metric_ratio(rate[0]) >= 1.1,
		 "pool churn ratio >= 1.1, one memfd reused",
		 "ratio %.3f; previous buffer kept: %.3f",
		 metric_ratio(rate[0]), metric_ratio(rate[2]));
	goal_add(metric_ratio(rate[1]) >= 1.0,
		 "pool churn ratio >= 1.0, a new memfd per pool", "ratio %.3f",
		 metric_ratio(rate[1]));
	detail[0] = '\0';
	for (v = 0; v < CHURN_VARIANTS; v++) {
		double a = metric_median(calls[v], true);
		double b = metric_median(calls[v], false);

		syscalls_met = syscalls_met && a <= b;
		used += snprintf(detail + used,
				 used < sizeof(detail) ? sizeof(detail) - used
						       : 0,
				 "%s%.2f vs %.2f", v ? ", " : "", a, b);
	}
	goal_add(syscalls_met,
		 "server syscalls per pool <= libwayland's (3 churns)", "%s",
		 detail);
#undef CHURN_VARIANTS
}

static void
bench_resize(const struct config *cfg)
{
	static const struct {
		enum client_alloc alloc;
		const char *name;
	} variants[] = {
		{ ALLOC_HELPER, "helper" },
		{ ALLOC_POOL_PER_BUFFER, "pool-per-buffer" },
		{ ALLOC_MEMFD_PER_SIZE, "memfd-per-size" },
	};
	struct metric *time, *maps, *counted, *rss, *helper, *ppb;
	struct metric *client_cpu, *server_cpu;
	struct client_result cres;
	struct server_result sres;
	double h, p;
	size_t v;
	int t, k;

	for (v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		const char *n = variants[v].name;

		time = metric_add("s", false, true, "sealshm", "libwayland",
				  "resize-%s-time", n);
		maps = metric_add("calls", false, true, "sealshm", "libwayland",
				  "resize-%s-mmaps", n);
		counted = metric_add("calls", false, false, "sealshm",
				     "libwayland", "resize-%s-mmaps-interposed",
				     n);
		client_cpu = metric_add("s", false, false, "sealshm",
					"libwayland", "resize-%s-client-cpu",
					n);
		server_cpu = metric_add("s", false, false, "sealshm",
					"libwayland", "resize-%s-server-cpu",
					n);
		rss = metric_add("MiB", false, true, "sealshm", "libwayland",
				 "resize-%s-peak-rss", n);
		for (t = 0; t < cfg->trials; t++) {
			for (k = 0; k < 2; k++) {
				struct trial trial = {
					.backend = backend_of(t, k),
					.mode = SERVER_READ,
					.kind = CLIENT_RESIZE,
					.alloc = variants[v].alloc,
					.width = cfg->resize_width,
					.height = cfg->resize_height,
					.min_width = 64,
					.min_height = 64,
					.steps = cfg->resize_steps,
				};
				bool a = trial.backend == BACKEND_SEALSHM;

				run_or_die(&trial, &cres, &sres, time->name);
				sample(time, a, seconds(cres.elapsed_ns));
				/* sealshm counts its own mmap calls; for
				 * libwayland only the interposer can. */
				sample(maps, a,
				       a ? sres.map_calls_stats
					 : sres.map_calls_counted);
				sample(counted, a, sres.map_calls_counted);
				sample(client_cpu, a, seconds(cres.cpu_ns));
				sample(server_cpu, a,
				       seconds(sres.cpu_total_ns));
				sample(rss, a, sres.vm_hwm_kib / 1024.0);
			}
		}
		metric_print(time);
		metric_print(maps);
		metric_print(rss);
	}

	/* Against a pool per buffer on libwayland: sealshm's own server
	 * reuses a parked mapping for those, so they cost it little. */
	helper = metric_find("resize-helper-mmaps");
	ppb = metric_find("resize-pool-per-buffer-mmaps");
	h = metric_median(helper, true);
	p = metric_median(ppb, false);
	goal_add(h * 3 <= p,
		 "resize: helper >= 3x fewer server mmaps than a pool per "
		 "buffer on libwayland",
		 "helper on sealshm %.0f, pool-per-buffer on libwayland %.0f",
		 h, p);
	helper = metric_find("resize-helper-time");
	ppb = metric_find("resize-pool-per-buffer-time");
	h = metric_median(helper, true);
	p = metric_median(ppb, true);
	goal_add(h < p, "resize: helper faster than pool-per-buffer",
		 "sealshm server: helper %.3f s, pool-per-buffer %.3f s", h, p);
	helper = metric_find("resize-helper-mmaps");
	goal_add(metric_ratio(helper) >= 1.0,
		 "resize-helper-mmaps ratio >= 1.0 (no more than libwayland)",
		 "sealshm %.0f, libwayland %.0f server mmap/mremap calls",
		 metric_median(helper, true), metric_median(helper, false));
}

static void
bench_composition(const struct config *cfg)
{
	struct client_result cres;
	struct server_result sres;
	struct metric *m, *sides;
	int t, k;

	m = metric_add("GB/s", true, true, "sealshm", "memcpy",
		       "composition-1920x1080");
	/* The same pixman call on libwayland's mapping, wrapped in a pixman
	 * image per commit as a compositor on libwayland has to. */
	sides = metric_add("GB/s", true, true, "sealshm", "libwayland",
			   "%s-pixman", m->name);
	for (t = 0; t < cfg->trials; t++) {
		for (k = 0; k < 2; k++) {
			struct trial trial = {
				.backend = backend_of(t, k),
				.mode = SERVER_COMPOSE,
				.kind = CLIENT_FRAME_LOOP,
				.alloc = ALLOC_SEALED,
				.width = 1920,
				.height = 1080,
				.frames = cfg->compose_frames,
			};
			bool a = trial.backend == BACKEND_SEALSHM;

			run_or_die(&trial, &cres, &sres, m->name);
			sample(sides, a, sres.composite_gbps);
			if (a) {
				sample(m, true, sres.composite_gbps);
				sample(m, false, sres.memcpy_gbps);
			}
		}
	}
	metric_print(m);
	metric_print(sides);
	goal_add(metric_ratio(m) >= 0.8, "composition >= 80% of memcpy",
		 "%.0f%%", metric_ratio(m) * 100);
}

/*
 * The copy tier against the mapped path at 1920x1080, with every row
 * damaged (the goal's case) and with a band of a tenth of the rows, which
 * the server reads through sealshm_buffer_begin_access_region().  The
 * "keep" variants measure a compositor that keeps its own copy of each
 * surface (as sealshm-compositor does): the mapped path memcpys the damage
 * into it, the copy tier preads straight into it with
 * sealshm_buffer_copy_to().
 */
static void
bench_copy_tier(const struct config *cfg)
{
	static const struct {
		const char *name;
		int32_t damage_rows;
		enum server_mode mode;
	} variants[] = {
		{ "copy-tier-1920x1080", 0, SERVER_READ },
		{ "copy-tier-1920x1080-damage-10pct", 108, SERVER_READ },
		{ "copy-tier-keep-1920x1080", 0, SERVER_KEEP },
		{ "copy-tier-keep-1920x1080-damage-10pct", 108, SERVER_KEEP },
	};
	struct metric *frame, *cpu, *access, *full = NULL, *keep = NULL;
	struct client_result cres;
	struct server_result sres;
	size_t v;
	int t, k;

	for (v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		frame = metric_add("ms/frame", false, true, "sealshm-copy",
				   "sealshm-strict", "%s", variants[v].name);
		cpu = metric_add("ms/frame", false, true, "sealshm-copy",
				 "sealshm-strict", "%s-server-cpu",
				 variants[v].name);
		access = metric_add("ms/commit", false, false, "sealshm-copy",
				    "sealshm-strict", "%s-server-access",
				    variants[v].name);
		if (!full)
			full = frame;
		if (!keep && variants[v].mode == SERVER_KEEP)
			keep = frame;
		for (t = 0; t < cfg->trials; t++) {
			for (k = 0; k < 2; k++) {
				bool copy = (t + k) % 2 == 0;
				struct trial trial = {
					.backend = BACKEND_SEALSHM,
					.policy = copy ? SEALSHM_POLICY_COPY
						       : SEALSHM_POLICY_STRICT,
					.mode = variants[v].mode,
					.kind = CLIENT_FRAME_LOOP,
					.alloc = copy ? ALLOC_UNSEALED
						      : ALLOC_SEALED,
					.width = 1920,
					.height = 1080,
					.damage_rows = variants[v].damage_rows,
					.duration = cfg->duration,
				};

				run_or_die(&trial, &cres, &sres, frame->name);
				/* Make sure the pools took the path we
				 * measure. */
				if (sres.pools_by_tier[copy ? 2 : 0] == 0) {
					fprintf(stderr,
						"bench: the %s trial's pool "
						"was not accepted on the %s "
						"path\n",
						copy ? "copy" : "strict",
						copy ? "copy" : "sealed");
					exit(EXIT_FAILURE);
				}
				sample(frame, copy,
				       seconds(cres.elapsed_ns) * 1e3 /
					       cres.frames);
				sample(cpu, copy, sres.cpu_ns / 1e6);
				sample(access, copy, sres.access_ns / 1e6);
			}
		}
		metric_print(frame);
		metric_print(cpu);
	}
	goal_add(metric_median(full, true) <= 1.5 * metric_median(full, false),
		 "copy tier <= 1.5x mapped per frame", "%.2fx",
		 metric_median(full, true) / metric_median(full, false));
	goal_add(metric_median(keep, true) <= 1.5 * metric_median(keep, false),
		 "copy tier <= 1.5x mapped per frame, compositor keeping a "
		 "copy",
		 "%.2fx",
		 metric_median(keep, true) / metric_median(keep, false));
}

static void
bench_scale(const struct config *cfg)
{
	struct metric *rss, *anon, *maps, *fds;
	struct client_result cres;
	struct server_result sres;
	int t, k;

	rss = metric_add("MiB", false, true, "sealshm", "libwayland",
			 "scale-%dx3-rss", cfg->scale_clients);
	anon = metric_add("KiB", false, false, "sealshm", "libwayland",
			  "%s-anon-growth", rss->name);
	maps = metric_add("mappings", false, true, "sealshm", "libwayland",
			  "scale-%dx3-mappings", cfg->scale_clients);
	fds = metric_add("fds", false, true, "sealshm", "libwayland",
			 "scale-%dx3-fds", cfg->scale_clients);
	for (t = 0; t < cfg->trials; t++) {
		for (k = 0; k < 2; k++) {
			struct trial trial = {
				.backend = backend_of(t, k),
				.mode = SERVER_READ,
				.kind = CLIENT_SCALE,
				.width = 256,
				.height = 256,
				.clients = cfg->scale_clients,
				.buffers_per_client = 3,
			};
			bool a = trial.backend == BACKEND_SEALSHM;

			run_or_die(&trial, &cres, &sres, rss->name);
			sample(rss, a, sres.rss_kib / 1024.0);
			sample(anon, a,
			       (double)sres.rss_anon_kib -
				       (double)sres.rss_anon_base_kib);
			sample(maps, a,
			       (double)sres.maps - (double)sres.maps_base);
			sample(fds, a,
			       (double)sres.fds - (double)sres.fds_base);
		}
	}
	metric_print(rss);
	metric_print(maps);
	metric_print(fds);
}

/*
 * Not a client/server workload: the cost of the check the server makes at
 * every wl_shm_pool.resize, against the fd-free alternative, so that the
 * choice written down in server/pool.c rests on a number.
 */
static void
bench_revalidate_choice(const struct config *cfg)
{
	int iterations = cfg->quick ? 1000 : 100000;
	double fstat_ns, readv_ns;
	struct metric *m;
	int t;

	m = metric_add("ns", false, true, "fstat", "process_vm_readv",
		       "resize-revalidate");
	for (t = 0; t < cfg->trials; t++) {
		if (bench_revalidate(iterations, &fstat_ns, &readv_ns) < 0)
			exit(EXIT_FAILURE);
		sample(m, true, fstat_ns);
		sample(m, false, readv_ns);
	}
	metric_print(m);
}

static const struct workload {
	const char *name;
	void (*run)(const struct config *cfg);
	/* trials when not --quick; 0 for the default */
	int trials;
} workloads[] = {
	{ "frame-loop", bench_frame_loop, 0 },
	{ "churn", bench_churn, 0 },
	/* these take seconds per trial: three keep the median honest
	 * within the time budget */
	{ "resize", bench_resize, 3 },
	{ "composition", bench_composition, 5 },
	{ "copy-tier", bench_copy_tier, 0 },
	{ "scale", bench_scale, 3 },
	{ "revalidate", bench_revalidate_choice, 0 },
};
#define WORKLOAD_COUNT (sizeof(workloads) / sizeof(workloads[0]))

/* Output */

static void
read_cpu_model(char *buf, size_t len)
{
	char line[256], *colon;
	FILE *f;

	snprintf(buf, len, "unknown");
	f = fopen("/proc/cpuinfo", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "model name", 10) != 0)
			continue;
		colon = strchr(line, ':');
		if (colon) {
			snprintf(buf, len, "%s", colon + 2);
			buf[strcspn(buf, "\n")] = '\0';
		}
		break;
	}
	fclose(f);
}

/* The first three fields of /proc/loadavg: how busy the machine was. */
static void
read_loadavg(char *buf, size_t len)
{
	FILE *f = fopen("/proc/loadavg", "re");
	float l1, l5, l15;

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	if (fscanf(f, "%f %f %f", &l1, &l5, &l15) == 3)
		snprintf(buf, len, "%.2f %.2f %.2f", l1, l5, l15);
	fclose(f);
}

static void
json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void
json_number(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.6g", v);
	else
		fputs("null", f);
}

static void
json_samples(FILE *f, const double *v, int n)
{
	int i;

	fputc('[', f);
	for (i = 0; i < n; i++) {
		if (i)
			fputs(", ", f);
		json_number(f, v[i]);
	}
	fputc(']', f);
}

/* {"name": calls per cycle, ...} of one side, by strace -c */
static void
json_syscall_side(FILE *f, const struct syscall_count *rows, const double *per,
		  int n)
{
	int i;

	fputc('{', f);
	for (i = 0; i < n; i++) {
		if (i)
			fputs(", ", f);
		json_string(f, rows[i].name);
		fputs(": ", f);
		json_number(f, per[i]);
	}
	fputc('}', f);
}

static void
json_syscall_table(FILE *f, const struct syscall_table *t, bool more)
{
	fputs("    {\"name\": ", f);
	json_string(f, t->name);
	fputs(", \"unit\": \"calls/cycle\",\n     \"sealshm\": ", f);
	json_syscall_side(f, t->a, t->a_per, t->na);
	fputs(",\n     \"libwayland\": ", f);
	json_syscall_side(f, t->b, t->b_per, t->nb);
	fprintf(f, "}%s\n", more ? "," : "");
}

static int
write_json(const char *path, const struct config *cfg, int argc, char **argv,
	   const char *load_start)
{
	struct utsname uts;
	char cpu[128], load_end[64];
	FILE *f;
	int i;

	f = fopen(path, "we");
	if (!f) {
		fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	uname(&uts);
	read_cpu_model(cpu, sizeof(cpu));
	read_loadavg(load_end, sizeof(load_end));
	fputs("{\n  \"machine\": {\"nproc\": ", f);
	fprintf(f, "%ld, \"cpu\": ", sysconf(_SC_NPROCESSORS_ONLN));
	json_string(f, cpu);
	fputs(", \"kernel\": ", f);
	json_string(f, uts.release);
	fputs(", \"libwayland\": ", f);
	json_string(f, WAYLAND_VERSION);
	fputs(", \"pixman\": ", f);
	json_string(f, pixman_version_string());
	fputs(", \"loadavg_start\": ", f);
	json_string(f, load_start);
	fputs(", \"loadavg_end\": ", f);
	json_string(f, load_end);
	fputs("},\n  \"command\": ", f);
	{
		char cmd[512] = "";
		size_t used = 0;

		for (i = 0; i < argc && used < sizeof(cmd); i++)
			used += snprintf(cmd + used, sizeof(cmd) - used, "%s%s",
					 i ? " " : "", argv[i]);
		json_string(f, cmd);
	}
	fprintf(f, ",\n  \"quick\": %s,\n  \"cpu\": %d,\n",
		cfg->quick ? "true" : "false", cfg->cpu);
	fputs("  \"workloads\": [\n", f);
	for (i = 0; i < metric_count; i++) {
		const struct metric *m = &metrics[i];

		fputs("    {\"name\": ", f);
		json_string(f, m->name);
		fputs(", \"unit\": ", f);
		json_string(f, m->unit);
		fprintf(f, ", \"better\": \"%s\", \"printed\": %s,\n",
			m->higher_better ? "higher" : "lower",
			m->print ? "true" : "false");
		fputs("     \"a\": ", f);
		json_string(f, m->label_a);
		fputs(", \"a_median\": ", f);
		json_number(f, metric_median(m, true));
		fputs(", \"a_samples\": ", f);
		json_samples(f, m->a, m->na);
		fputs(",\n     \"b\": ", f);
		json_string(f, m->label_b);
		fputs(", \"b_median\": ", f);
		json_number(f, metric_median(m, false));
		fputs(", \"b_samples\": ", f);
		json_samples(f, m->b, m->nb);
		fputs(",\n     \"ratio\": ", f);
		json_number(f, metric_ratio(m));
		fprintf(f, "}%s\n", i + 1 < metric_count ? "," : "");
	}
	fputs("  ],\n  \"syscalls\": [\n", f);
	for (i = 0; i < syscall_table_count; i++)
		json_syscall_table(f, &syscall_tables[i],
				   i + 1 < syscall_table_count);
	fputs("  ],\n  \"goals\": [\n", f);
	for (i = 0; i < goal_count; i++) {
		fputs("    {\"goal\": ", f);
		json_string(f, goals[i].text);
		fprintf(f, ", \"met\": %s, \"detail\": ",
			goals[i].met ? "true" : "false");
		json_string(f, goals[i].detail);
		fprintf(f, "}%s\n", i + 1 < goal_count ? "," : "");
	}
	fputs("  ]\n}\n", f);
	if (fclose(f) != 0) {
		fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: sealshm-bench [--quick] [--trials N] [--json FILE]\n"
		"                     [--cpu N] [--workload NAME[,NAME...]]...\n"
		"       sealshm-bench external --workload frame|churn "
		"[--seconds S]\n"
		"Compares libsealshm-server with libwayland's wl_shm.\n"
		"  --quick      a few seconds in total: proves the bench works,\n"
		"               the numbers mean little\n"
		"  --trials N   trials per side (default 11; resize and scale 3,\n"
		"               composition 5)\n"
		"  --json FILE  also write every sample to FILE\n"
		"  --cpu N      run server and client on CPU N (default: the\n"
		"               last one allowed); -1 lets the scheduler\n"
		"               place them\n"
		"  --workload   run only these (default all):");
	for (i = 0; i < WORKLOAD_COUNT; i++)
		fprintf(f, " %s", workloads[i].name);
	fputc('\n', f);
	fprintf(f,
		"external: one client on the compositor of $WAYLAND_DISPLAY,\n"
		"its surface an xdg_toplevel; prints one JSON line.\n"
		"  frame        two 1920x1080 buffers in one sealed memfd pool,\n"
		"               each frame paced by wl_surface.frame: frames/s\n"
		"  churn        a 256x256 pool and buffer created and destroyed,\n"
		"               a roundtrip every %d: pools/s\n"
		"  --seconds S  measure for S seconds after warm-up (default "
		"3)\n",
		BENCH_CHURN_BATCH);
}

/* sealshm-bench external: @p argv[0] is "external". */
static int
external_main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "workload", required_argument, NULL, 'w' },
		{ "seconds", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct trial trial = { .alloc = ALLOC_SEALED, .external = true };
	const char *workload = NULL, *unit, *display;
	struct client_result res;
	double duration = 3.0;
	char *end;
	int opt;

	while ((opt = getopt_long(argc, argv, "w:s:h", options, NULL)) != -1) {
		switch (opt) {
		case 'w':
			workload = optarg;
			break;
		case 's':
			duration = strtod(optarg, &end);
			if (*end || !(duration > 0 && duration <= 3600)) {
				fprintf(stderr, "bench: --seconds takes a "
						"number above 0, at most "
						"3600\n");
				return EXIT_FAILURE;
			}
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return EXIT_FAILURE;
		}
	}
	if (optind < argc || !workload) {
		usage(stderr);
		return EXIT_FAILURE;
	}
	if (strcmp(workload, "frame") == 0) {
		trial.kind = CLIENT_FRAME_LOOP;
		trial.width = 1920;
		trial.height = 1080;
		unit = "frames/s";
	} else if (strcmp(workload, "churn") == 0) {
		trial.kind = CLIENT_POOL_CHURN;
		trial.width = 256;
		trial.height = 256;
		unit = "pools/s";
	} else {
		fprintf(stderr, "bench: unknown external workload '%s'\n",
			workload);
		return EXIT_FAILURE;
	}
	trial.duration = duration;
	display = getenv("WAYLAND_DISPLAY");

	bench_client_run_external(&trial, &res);

	fputs("{\"workload\": ", stdout);
	json_string(stdout, workload);
	fputs(", \"display\": ", stdout);
	json_string(stdout, display ? display : "");
	fprintf(stdout, ", \"width\": %d, \"height\": %d, \"count\": %llu",
		trial.width, trial.height, (unsigned long long)res.frames);
	fputs(", \"seconds\": ", stdout);
	json_number(stdout, seconds(res.elapsed_ns));
	fputs(", \"rate\": ", stdout);
	json_number(stdout, res.frames / seconds(res.elapsed_ns));
	fputs(", \"unit\": ", stdout);
	json_string(stdout, unit);
	fputs(", \"client_cpu_s\": ", stdout);
	json_number(stdout, seconds(res.cpu_ns));
	fputs("}\n", stdout);
	return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* The last CPU this process may run on (containers may allow only some). */
static int
default_cpu(void)
{
	cpu_set_t allowed;
	int cpu;

	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0)
		return -1;
	for (cpu = CPU_SETSIZE - 1; cpu >= 0; cpu--)
		if (CPU_ISSET(cpu, &allowed))
			return cpu;
	return -1;
}

static bool
select_workloads(const char *arg, bool *selected)
{
	char *copy = strdup(arg), *save = NULL, *name;
	bool ok = copy != NULL;
	size_t i;

	for (name = copy ? strtok_r(copy, ",", &save) : NULL; name;
	     name = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < WORKLOAD_COUNT; i++)
			if (strcmp(name, workloads[i].name) == 0)
				break;
		if (i == WORKLOAD_COUNT) {
			fprintf(stderr, "bench: unknown workload '%s'\n", name);
			ok = false;
			break;
		}
		selected[i] = true;
	}
	free(copy);
	return ok;
}

int
main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "trials", required_argument, NULL, 't' },
		{ "json", required_argument, NULL, 'j' },
		{ "workload", required_argument, NULL, 'w' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool selected[WORKLOAD_COUNT] = { false }, any = false;
	const char *json = NULL;
	struct config cfg = { .cpu = default_cpu() }, run_cfg;
	char load_start[64];
	cpu_set_t cpus;
	int opt, trials = 0, i;
	char *end;

	if (argc > 1 && strcmp(argv[1], "external") == 0)
		return external_main(argc - 1, argv + 1);

	while ((opt = getopt_long(argc, argv, "qt:j:w:c:h", options, NULL)) !=
	       -1) {
		switch (opt) {
		case 'q':
			cfg.quick = true;
			break;
		case 't':
			trials = (int)strtol(optarg, &end, 10);
			if (*end || trials < 1 || trials > MAX_TRIALS) {
				fprintf(stderr,
					"bench: --trials takes 1 to %d\n",
					MAX_TRIALS);
				return EXIT_FAILURE;
			}
			break;
		case 'j':
			json = optarg;
			break;
		case 'w':
			if (!select_workloads(optarg, selected))
				return EXIT_FAILURE;
			any = true;
			break;
		case 'c':
			cfg.cpu = (int)strtol(optarg, &end, 10);
			if (*end || cfg.cpu < -1 || cfg.cpu >= CPU_SETSIZE) {
				fprintf(stderr, "bench: bad --cpu '%s'\n",
					optarg);
				return EXIT_FAILURE;
			}
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return EXIT_FAILURE;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return EXIT_FAILURE;
	}

	read_loadavg(load_start, sizeof(load_start));

	/* A dead child must not kill the bench on its next write. */
	signal(SIGPIPE, SIG_IGN);

	/*
	 * Server and client take turns (every frame waits for the frame
	 * callback), so on one CPU a trial measures the CPU time a frame
	 * costs both sides.  Left to the scheduler, the same trial swings by
	 * a factor of four with where the two land and how long cross-CPU
	 * wake-ups take, which drowns the difference between the servers.
	 * The children inherit the affinity.
	 */
	if (cfg.cpu >= 0) {
		CPU_ZERO(&cpus);
		CPU_SET(cfg.cpu, &cpus);
		if (sched_setaffinity(0, sizeof(cpus), &cpus) < 0) {
			fprintf(stderr, "bench: cannot run on CPU %d: %s\n",
				cfg.cpu, strerror(errno));
			return EXIT_FAILURE;
		}
	}

	if (cfg.quick) {
		cfg.trials = 1;
		cfg.duration = 0.05;
		cfg.resize_steps = 20;
		cfg.resize_width = 1280;
		cfg.resize_height = 720;
		cfg.scale_clients = 10;
		cfg.compose_frames = 5;
		cfg.syscall_cycles = 20;
	} else {
		/* Many short trials interleave the two sides finely, so a
		 * burst of load elsewhere hits both alike. */
		cfg.trials = 11;
		cfg.duration = 0.15;
		cfg.resize_steps = 500;
		cfg.resize_width = 3840;
		cfg.resize_height = 2160;
		cfg.scale_clients = 100;
		cfg.compose_frames = 30;
		cfg.syscall_cycles = 500;
	}
	for (i = 0; i < (int)WORKLOAD_COUNT; i++) {
		if (any && !selected[i])
			continue;
		run_cfg = cfg;
		if (!cfg.quick && workloads[i].trials)
			run_cfg.trials = workloads[i].trials;
		if (trials)
			run_cfg.trials = trials;
		workloads[i].run(&run_cfg);
	}

	for (i = 0; i < goal_count; i++) {
		printf("goal %s: %s (%s)\n", goals[i].text,
		       goals[i].met ? "met" : "MISSED", goals[i].detail);
	}
	if (json && write_json(json, &cfg, argc, argv, load_start) < 0)
		return EXIT_FAILURE;
	return EXIT_SUCCESS;
}
