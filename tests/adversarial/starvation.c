/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * Starvation attacks on libsealshm-server (issue 19): one client trying to
 * freeze the compositor or to starve every other client of mappings, fds,
 * memory or the event loop.  Each test runs the server in the test
 * process (tests/server's fixture: a real wl_display, sealshm_create(),
 * the test wl_compositor), the attacker and a well-behaved second client
 * (probe.h) as forked clients over the socket, and checks
 *   - that the second client is answered WHILE the attack holds: its
 *     roundtrips, and a sealed pool + buffer + commit, each complete
 *     within probe_limit_ms() (a liveness bound, not a speed check),
 *   - the protocol error the attacker gets, and what its message says,
 *   - what the attack cost the server (fds, mappings, memory), sampled
 *     in the server at the second client's commits,
 *   - that the server's fds and shm mappings are back to their baseline.
 *
 * The commit callback copies what a 1920x1080 output shows of each
 * committed buffer with sealshm_buffer_copy_to(), as a compositor that
 * keeps its own copy of each surface does.
 *
 * Every wait is bounded: a server that blocks on a FUSE file is freed by
 * the FUSE server's watchdog (fuse-file.h), one blocked on /proc/kmsg by
 * a kernel message this test writes after a while, and the harness
 * timeout ends the rest; the test then fails with the second client's
 * message instead of hanging.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <pixman.h>
#include <wayland-client.h>
#include <wayland-server-core.h>

#include <sealshm/server.h>

#include "fuse-file.h"
#include "probe.h"
#include "server-test.h"
#include "shm-file.h"
#include "test-client.h"
#include "test-display.h"
#include "test-runner.h"

/* What the compositor's output shows of a buffer (its top left). */
#define OUTPUT_WIDTH 1920
#define OUTPUT_HEIGHT 1080

/* The server's documented defaults (include/sealshm/server.h). */
#define MAX_BUFFERS_PER_CLIENT 16384
#define MAX_BUFFER_SIDE "16384"

/* The FUSE server aborts its connection when silent this long. */
#define FUSE_WATCHDOG_MS 10000
#define FUSE_FILE_SIZE 65536

struct map_pattern;

struct kmsg_kicker {
	/* the attacker holds the write end: EOF once it is gone */
	int pipe[2];
};

struct attack {
	struct fixture *f;
	enum sealshm_policy policy;
	struct probe probe;
	struct fuse_file *fuse;
	struct kmsg_kicker kicker;
	/* the mapping flood's pattern */
	const struct map_pattern *map;
	/* where the commit callback copies to */
	void *dst;
	size_t dst_size;
	/* The server, sampled at each commit of the second client. */
	int probe_commits;
	int max_fds;
	int max_shm_maps;
	int max_maps;
};

/* ---- server side ---- */

/* Every mapping of the process (what vm.max_map_count bounds). */
static int
count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	int count = 0, ch;

	check(f);
	while ((ch = getc(f)) != EOF) {
		if (ch == '\n')
			count++;
	}
	fclose(f);
	return count;
}

static long
read_long_file(const char *path)
{
	FILE *f = fopen(path, "re");
	long value = -1;

	check(f);
	check(fscanf(f, "%ld", &value) == 1);
	fclose(f);
	return value;
}

/* A "Vm...:" line of /proc/self/status, in KiB. */
static long
status_kib(const char *key)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long value = -1;

	check(f);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, strlen(key)) == 0)
			value = strtol(line + strlen(key), NULL, 10);
	}
	fclose(f);
	check(value >= 0);
	return value;
}

static void
sample_server(struct attack *a)
{
	int fds = test_count_fds(), shm = test_count_shm_mappings();
	int maps = count_maps();

	a->probe_commits++;
	if (fds > a->max_fds)
		a->max_fds = fds;
	if (shm > a->max_shm_maps)
		a->max_shm_maps = shm;
	if (maps > a->max_maps)
		a->max_maps = maps;
}

/* Copy the part of @p b that the output shows, as a compositor would. */
static void
copy_visible(struct attack *a, struct sealshm_buffer *b)
{
	int32_t width = sealshm_buffer_get_width(b);
	int32_t height = sealshm_buffer_get_height(b);
	int32_t stride = sealshm_buffer_get_stride(b);
	/* What copy_to() may touch: the buffer's whole layout (4 bytes per
	 * pixel in every test here). */
	size_t need = (size_t)stride * (size_t)(height - 1) + (size_t)width * 4;
	pixman_region32_t visible;
	void *dst = a->dst;

	pixman_region32_init_rect(
		&visible, 0, 0, width < OUTPUT_WIDTH ? width : OUTPUT_WIDTH,
		height < OUTPUT_HEIGHT ? height : OUTPUT_HEIGHT);
	if (need > a->dst_size) {
		/* Address space only: the damage decides what is written. */
		dst = mmap(NULL, need, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		check(dst != MAP_FAILED);
	}
	check(sealshm_buffer_copy_to(b, &visible, dst, stride) == 0);
	if (dst != a->dst)
		munmap(dst, need);
	pixman_region32_fini(&visible);
}

static void
handle_commit(struct wl_resource *surface, struct wl_resource *resource,
	      void *data)
{
	struct attack *a = data;
	struct sealshm_buffer *b =
		resource ? sealshm_buffer_from_resource(resource) : NULL;
	pid_t pid;

	wl_client_get_credentials(wl_resource_get_client(surface), &pid, NULL,
				  NULL);
	if (pid == a->probe.pid)
		sample_server(a);
	if (b)
		copy_visible(a, b);
}

static struct attack *
attack_create(enum sealshm_policy policy)
{
	struct sealshm_options opts = { .policy = policy };
	struct attack *a = calloc(1, sizeof(*a));

	check(a);
	a->policy = policy;
	a->dst_size = (size_t)OUTPUT_WIDTH * OUTPUT_HEIGHT * 4;
	a->dst = malloc(a->dst_size);
	check(a->dst);
	a->f = fixture_create(&opts, handle_commit, a);
	return a;
}

/*
 * Spawn the helpers the attack needs (@p start_helpers: a FUSE server, a
 * kernel-message writer), the second client and the attacker, close what
 * only the children should hold (@p forked), and run the display until
 * every client is gone.  The helpers come first so that they inherit
 * none of the pipes between the second client and the attacker, whose
 * end must come when those two exit.  No thread runs in the test process
 * while it forks.  @return the number of clients that failed.
 */
static int
attack_run(struct attack *a, void (*attacker)(void *data),
	   void (*start_helpers)(struct attack *a),
	   void (*forked)(struct attack *a))
{
	struct wl_list *clients;
	int failed;

	if (start_helpers)
		start_helpers(a);
	probe_spawn(&a->probe, a->f);
	test_display_spawn(a->f->d, attacker, a);
	probe_parent_done(&a->probe);
	if (forked)
		forked(a);

	failed = test_display_run(a->f->d);
	clients = wl_display_get_client_list(a->f->d->display);
	for (int i = 0; i < 1000 && !wl_list_empty(clients); i++)
		test_display_dispatch(a->f->d, 10);
	check(wl_list_empty(clients));
	return failed;
}

static void
check_clients(struct attack *a, int failed)
{
	check_msg(failed == 0, "%d client(s) failed; server log:\n%.4000s",
		  failed, a->f->log ? a->f->log : "");
}

/* True when a "client bug:" line of the log mentions @p text (any case). */
static bool
client_bug_says(struct attack *a, const char *text)
{
	const char *line = a->f->log;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		char buf[1024];
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (len >= sizeof(buf))
			len = sizeof(buf) - 1;
		memcpy(buf, line, len);
		buf[len] = '\0';
		if (strstr(buf, "client bug: ") && strcasestr(buf, text)) {
			fprintf(stderr, "server: %s\n", buf);
			return true;
		}
		line = end ? end + 1 : NULL;
	}
	return false;
}

static void
check_client_bug_says(struct attack *a, const char *text)
{
	check_msg(client_bug_says(a, text),
		  "no error message mentions \"%s\"; server log:\n%.4000s",
		  text, a->f->log ? a->f->log : "");
}

static void
attack_finish(struct attack *a)
{
	fixture_check_baseline(a->f);
	fixture_destroy(a->f);
	free(a->dst);
	free(a);
}

/* ---- client side ---- */

static void
attacker_init(struct attack *a)
{
	/* A dead probe client must fail a check, not kill us silently. */
	signal(SIGPIPE, SIG_IGN);
	if (a->fuse)
		fuse_file_child(a->fuse);
	probe_attacker_init(&a->probe);
}

/*
 * Flush all, waiting for the socket to drain (libwayland 1.21 gives up
 * on a full socket buffer instead of waiting).  False once the server
 * closed the connection: send nothing more then, or libwayland records
 * the failed send instead of the protocol error still to be read.
 */
static bool
flush_all(struct test_client *c)
{
	struct pollfd pfd = { wl_display_get_fd(c->display), POLLOUT, 0 };

	while (wl_display_flush(c->display) < 0) {
		if (errno != EAGAIN)
			return false;
		check(poll(&pfd, 1, 60000) == 1);
	}
	return true;
}

/* Free the proxies of a connection that died of a protocol error. */
static void
forget_proxies(void **proxies, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (proxies[i])
			wl_proxy_destroy(proxies[i]);
	}
}

/* The error that ended @p c: @p code on one of @p ifaces (NULL-ended). */
static void
expect_error_on(struct test_client *c, int code,
		const struct wl_interface *const *ifaces)
{
	const struct wl_interface *got = NULL;
	int err = test_client_roundtrip_error(c, &got);
	bool on_one = false;

	for (int i = 0; ifaces[i]; i++)
		on_one = on_one || got == ifaces[i];
	check_msg(err == code && on_one,
		  "expected error %d on %s, got %d on %s", code,
		  ifaces[0]->name, err, got ? got->name : "nothing");
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A memfd the policy maps (strict, copy: sealed by us; seal: sealable,
 * sealed by the server), of @p size bytes. */
static int
mapped_memfd(enum sealshm_policy policy, uint64_t size)
{
	return test_client_make_memfd(
		size, policy == SEALSHM_POLICY_SEAL ? 0 : F_SEAL_SHRINK);
}

#define POLICY_TESTS(name, fn)                                                 \
	TEST(name##_strict)                                                    \
	{                                                                      \
		fn(SEALSHM_POLICY_STRICT);                                     \
	}                                                                      \
	TEST(name##_seal)                                                      \
	{                                                                      \
		fn(SEALSHM_POLICY_SEAL);                                       \
	}                                                                      \
	TEST(name##_copy)                                                      \
	{                                                                      \
		fn(SEALSHM_POLICY_COPY);                                       \
	}

/* ---- 1. a file on a FUSE mount whose server stops answering ---- */

static void
fuse_attacker(void *data)
{
	struct attack *a = data;
	struct test_client *c;
	struct wl_shm_pool *pool;
	int fd;

	attacker_init(a);
	c = test_client_connect();
	fd = open(a->fuse->path, O_RDWR | O_CLOEXEC);
	check_msg(fd >= 0, "open %s: %s", a->fuse->path, strerror(errno));
	/* From now on every request on the file waits forever. */
	fuse_file_go_silent(a->fuse);
	pool = wl_shm_create_pool(c->shm, fd, FUSE_FILE_SIZE);
	flush_all(c);
	probe_once(&a->probe);
	client_expect_error(c, &wl_shm_interface, WL_SHM_ERROR_INVALID_FD);
	wl_proxy_destroy((struct wl_proxy *)pool);
	close(fd);
	test_client_destroy(c);
	probe_finish(&a->probe);
}

static void
start_fuse(struct attack *a)
{
	a->fuse = fuse_file_start(a->f->d, FUSE_FILE_SIZE, FUSE_WATCHDOG_MS);
}

static void
fuse_forked(struct attack *a)
{
	fuse_file_parent_done(a->fuse);
}

static void
fuse_file(enum sealshm_policy policy)
{
	struct attack *a = attack_create(policy);
	/* The FUSE server is a client too: it fails when anybody waited. */
	int failed = attack_run(a, fuse_attacker, start_fuse, fuse_forked);

	fuse_file_stop(a->fuse);
	a->fuse = NULL;
	check_clients(a, failed);
	check(a->probe_commits >= 1);
	check_client_bug_says(a, "fuse");
	attack_finish(a);
}

POLICY_TESTS(fuse_file, fuse_file)

/* ---- 2. /proc/kmsg: a procfs "regular" file whose read blocks ---- */

/*
 * A server blocked in a read of /proc/kmsg waits for the next kernel
 * message.  Once the attacker is gone, a helper client of the test
 * connects and syncs; while the server does not answer within a second
 * it writes a kernel message, so that the server wakes and the test fails
 * properly instead of at its timeout.  A process, not a thread: no thread
 * runs in the test process while it forks.
 */
static void
handle_kick_done(void *data, struct wl_callback *callback, uint32_t serial)
{
	bool *done = data;

	*done = true;
}

static const struct wl_callback_listener kick_listener = {
	.done = handle_kick_done,
};

static void
kick_kmsg(void *data)
{
	static const char line[] = "sealshm-test: waking a compositor "
				   "blocked reading /proc/kmsg\n";
	struct kmsg_kicker *k = data;
	struct pollfd pfd = { k->pipe[0], POLLIN, 0 };
	struct wl_display *display;
	struct wl_callback *callback;
	unsigned kicks = 0;
	bool done = false;
	char byte;

	close(k->pipe[1]);
	/* EOF: the attacker (and the second client) are gone. */
	while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
		;
	check(read(k->pipe[0], &byte, 1) == 0);
	close(k->pipe[0]);

	display = wl_display_connect(NULL);
	check(display);
	callback = wl_display_sync(display);
	wl_callback_add_listener(callback, &kick_listener, &done);
	pfd.fd = wl_display_get_fd(display);
	while (!done && kicks < 120) {
		int fd;

		check(wl_display_flush(display) >= 0 || errno == EAGAIN);
		if (poll(&pfd, 1, 1000) == 1) {
			check(wl_display_dispatch(display) >= 0);
			continue;
		}
		fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (write(fd, line, sizeof(line) - 1) < 0)
				fprintf(stderr, "write /dev/kmsg: %s\n",
					strerror(errno));
			close(fd);
		}
		kicks++;
	}
	wl_callback_destroy(callback);
	wl_display_disconnect(display);
	check_msg(kicks == 0,
		  "the server waited in a read of /proc/kmsg (%u kernel "
		  "messages written to wake it)",
		  kicks);
}

static void
start_kicker(struct attack *a)
{
	check(pipe2(a->kicker.pipe, O_CLOEXEC) == 0);
	test_display_spawn(a->f->d, kick_kmsg, &a->kicker);
}

static void
kicker_forked(struct attack *a)
{
	close(a->kicker.pipe[0]);
	close(a->kicker.pipe[1]);
}

static void
procfs_attacker(void *data)
{
	struct attack *a = data;
	static const struct wl_interface *const on_shm[] = { &wl_shm_interface,
							     NULL };
	struct test_client *c;
	struct wl_surface *surface;
	struct wl_shm_pool *pool;
	struct wl_buffer *buffer;
	char buf[8192];
	int fd;

	attacker_init(a);
	c = test_client_connect();
	surface = wl_compositor_create_surface(c->compositor);
	fd = open("/proc/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		/* Read what is queued, so that the next read blocks. */
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		check(fcntl(fd, F_SETFL, 0) == 0);
	} else {
		fprintf(stderr,
			"cannot open /proc/kmsg (%s): attacking with "
			"/proc/self/stat, a procfs file that does not "
			"block\n",
			strerror(errno));
		fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
		check(fd >= 0);
	}
	pool = wl_shm_create_pool(c->shm, fd, 4096);
	buffer = wl_shm_pool_create_buffer(pool, 0, 1, 1, 4,
					   WL_SHM_FORMAT_ARGB8888);
	wl_surface_attach(surface, buffer, 0, 0);
	wl_surface_damage_buffer(surface, 0, 0, 1, 1);
	wl_surface_commit(surface);
	flush_all(c);
	probe_once(&a->probe);
	/* Refused at create_pool: the server never read the file. */
	expect_error_on(c, WL_SHM_ERROR_INVALID_FD, on_shm);
	wl_proxy_destroy((struct wl_proxy *)buffer);
	wl_proxy_destroy((struct wl_proxy *)pool);
	wl_proxy_destroy((struct wl_proxy *)surface);
	close(fd);
	test_client_destroy(c);
	probe_finish(&a->probe);
}

static void
procfs_file(enum sealshm_policy policy)
{
	struct attack *a = attack_create(policy);
	int failed =
		attack_run(a, procfs_attacker, start_kicker, kicker_forked);

	check_clients(a, failed);
	check(a->probe_commits >= 1);
	/* Strict and seal refuse every file that is not shmem, whatever
	 * it is; copy must say why this one cannot be read safely. */
	if (policy == SEALSHM_POLICY_COPY)
		check_client_bug_says(a, "proc");
	attack_finish(a);
}

POLICY_TESTS(procfs_file, procfs_file)

/* ---- 3. mapping flood ---- */

/*
 * Pools of 4 bytes, each in its own sealed memfd (pools of one file share
 * mappings), resized step by step with a 1x1 buffer made after every step
 * pinning the mapping of that moment, so that every resize the server
 * cannot grow in place costs a new mapping.  Two patterns:
 *   - issue 19's: 4,091 pools, each resized by one page 15 times: 16
 *     mappings per pool, vm.max_map_count in all, on a server that maps
 *     exactly the pool;
 *   - resized twice by a factor of 8, past any room the server may map
 *     ahead: 3 mappings per pool whatever it reserves, so the mapping
 *     budget is reached with fewer buffers than the buffer budget.
 * The per-client budgets must stop the attacker far below the kernel's
 * limit.  The second client probes after every 32 pools, so its last
 * probe sees the attacker within 32 pools of where it was stopped.
 */
#define MAP_POOLS 4091
#define MAP_BATCH 32
#define MAP_MAX_STEPS 16

struct map_pattern {
	int steps;
	int32_t sizes[MAP_MAX_STEPS];
	/* the error and message that must stop it */
	int code;
	const char *says;
};

static const struct map_pattern map_by_pages = {
	16,
	{ 4, 4 + 1 * 4096, 4 + 2 * 4096, 4 + 3 * 4096, 4 + 4 * 4096,
	  4 + 5 * 4096, 4 + 6 * 4096, 4 + 7 * 4096, 4 + 8 * 4096, 4 + 9 * 4096,
	  4 + 10 * 4096, 4 + 11 * 4096, 4 + 12 * 4096, 4 + 13 * 4096,
	  4 + 14 * 4096, 4 + 15 * 4096 },
	/* set per server design in mapping_flood_pages() */
	-1,
	NULL,
};

static const struct map_pattern map_by_8 = {
	3,
	{ 4, 4 + 8 * 4096, 4 + 64 * 4096 },
	WL_SHM_ERROR_INVALID_FD,
	"mapping",
};

static void
mapping_attacker(void *data)
{
	struct attack *a = data;
	const struct map_pattern *p = a->map;
	size_t n = 0, cap = (size_t)MAP_POOLS * (size_t)(p->steps + 1);
	void **proxies = calloc(cap, sizeof(*proxies));
	const struct wl_interface *iface = NULL;
	struct test_client *c;
	bool alive = true;
	int i, err;

	check(proxies);
	attacker_init(a);
	c = test_client_connect();
	for (i = 0; i < MAP_POOLS && alive; i++) {
		int fd = mapped_memfd(a->policy,
				      (uint64_t)p->sizes[p->steps - 1]);
		struct wl_shm_pool *pool =
			wl_shm_create_pool(c->shm, fd, p->sizes[0]);

		close(fd);
		proxies[n++] = pool;
		for (int r = 0; r < p->steps; r++) {
			if (r > 0)
				wl_shm_pool_resize(pool, p->sizes[r]);
			proxies[n++] = wl_shm_pool_create_buffer(
				pool, p->sizes[r] - 4, 1, 1, 4,
				WL_SHM_FORMAT_ARGB8888);
		}
		alive = flush_all(c);
		if (alive && i % MAP_BATCH == MAP_BATCH - 1) {
			alive = test_client_roundtrip_error(c, &iface) == 0;
			if (alive)
				probe_once(&a->probe);
		}
	}
	err = test_client_roundtrip_error(c, &iface);
	fprintf(stderr, "mapping flood: error %d on %s after %d pools\n", err,
		iface ? iface->name : "nothing", i);
	/* Both budgets answer on the pool (resize, create_buffer) or on
	 * wl_shm (create_pool). */
	check_msg(err == p->code && (iface == &wl_shm_interface ||
				     iface == &wl_shm_pool_interface),
		  "expected error %d on wl_shm or wl_shm_pool at a budget, "
		  "got %d on %s",
		  p->code, err, iface ? iface->name : "nothing");
	forget_proxies(proxies, n);
	free(proxies);
	test_client_destroy(c);
	probe_finish(&a->probe);
}

static void
mapping_flood_with(enum sealshm_policy policy, const struct map_pattern *p)
{
	struct attack *a = attack_create(policy);
	long max_map_count = read_long_file("/proc/sys/vm/max_map_count");
	int failed;

	a->map = p;
	failed = attack_run(a, mapping_attacker, NULL, NULL);

	fprintf(stderr,
		"mapping flood (%d steps per pool): %d probes; the server "
		"held at most %d mappings (%d of shm) when probed; "
		"vm.max_map_count %ld\n",
		p->steps, a->probe_commits, a->max_maps, a->max_shm_maps,
		max_map_count);
	check_clients(a, failed);
	check_client_bug_says(a, p->says);
	/* The probes ran while the attacker held thousands of mappings... */
	check_msg(a->max_shm_maps >= 1024, "probed at %d shm mappings only",
		  a->max_shm_maps);
	/* ...and the budget kept the process far from the kernel's limit. */
	check_msg(a->max_maps <= max_map_count / 2,
		  "the server reached %d mappings of %ld", a->max_maps,
		  max_map_count);
	attack_finish(a);
}

static void
mapping_flood(enum sealshm_policy policy)
{
	mapping_flood_with(policy, &map_by_8);
}

POLICY_TESTS(mapping_flood, mapping_flood)

/*
 * issue 19's pattern: a server that maps room ahead (sealshm maps up to
 * four times a pool) grows these pools in place, 2 mappings each, and the
 * buffer budget (16 buffers a pool) stops the attacker first.
 */
static void
mapping_flood_pages(enum sealshm_policy policy)
{
	struct map_pattern p = map_by_pages;

	p.code = WL_SHM_ERROR_INVALID_STRIDE;
	p.says = "buffers";
	mapping_flood_with(policy, &p);
}

POLICY_TESTS(mapping_flood_pages, mapping_flood_pages)

/* ---- 4. fd flood ---- */

/* One process, 5 connections, the same memfd sent as 20,000 pools. */
#define FD_CONNECTIONS 5
#define FD_POOLS_PER_CONNECTION 4000
/* What one connection may cost the server in fds: its socket, the file
 * it sent (held once), and a few to spare. */
#define FDS_PER_CONNECTION 8

static void
fd_attacker(void *data)
{
	struct attack *a = data;
	struct test_client *c[FD_CONNECTIONS];
	struct wl_shm_pool **pools[FD_CONNECTIONS];
	int fd, err;

	attacker_init(a);
	fd = mapped_memfd(a->policy, 4096);
	for (int k = 0; k < FD_CONNECTIONS; k++) {
		c[k] = test_client_connect();
		pools[k] = calloc(FD_POOLS_PER_CONNECTION, sizeof(*pools[k]));
		check(pools[k]);
		for (int i = 0; i < FD_POOLS_PER_CONNECTION; i++) {
			pools[k][i] = wl_shm_create_pool(c[k]->shm, fd, 4096);
			if (i % 16 == 15)
				flush_all(c[k]);
			if (i % 256 == 255 ||
			    i == FD_POOLS_PER_CONNECTION - 1) {
				err = test_client_roundtrip_error(c[k], NULL);
				check_msg(err == 0,
					  "connection %d, pool %d: error %d", k,
					  i, err);
			}
		}
	}
	/* Every pool alive: a new client connects and is served. */
	probe_once(&a->probe);
	for (int k = 0; k < FD_CONNECTIONS; k++) {
		for (int i = 0; i < FD_POOLS_PER_CONNECTION; i++)
			wl_shm_pool_destroy(pools[k][i]);
		check(test_client_roundtrip_error(c[k], NULL) == 0);
		free(pools[k]);
		test_client_destroy(c[k]);
	}
	close(fd);
	probe_finish(&a->probe);
}

static void
fd_flood(enum sealshm_policy policy)
{
	struct attack *a = attack_create(policy);
	int failed = attack_run(a, fd_attacker, NULL, NULL);
	int allowed =
		a->f->fds_baseline + FDS_PER_CONNECTION * (FD_CONNECTIONS + 1);

	fprintf(stderr,
		"fd flood: %d pools alive; the server held at most %d fds "
		"when probed (baseline %d, allowed %d)\n",
		FD_CONNECTIONS * FD_POOLS_PER_CONNECTION, a->max_fds,
		a->f->fds_baseline, allowed);
	check_clients(a, failed);
	check(a->probe_commits >= 1);
	check_msg(a->max_fds <= allowed, "%d fds, %d allowed", a->max_fds,
		  allowed);
	attack_finish(a);
}

POLICY_TESTS(fd_flood, fd_flood)

/* ---- 5. buffer flood ---- */

/*
 * 1,000,000 1x1 buffers on one 4-byte pool: a sealed memfd (strict), a
 * sealable one the server seals (seal), one that cannot be sealed and is
 * copied (copy).  The second client probes with the attacker holding half
 * its budget; the attacker must then be stopped at the budget.
 */
#define FLOOD_BUFFERS 1000000
#define FLOOD_CHECK_EVERY 4096
/* The server's peak memory may grow by this much. */
#define FLOOD_MAX_GROWTH_KIB (64 * 1024)

static void
buffer_attacker(void *data)
{
	struct attack *a = data;
	static const struct wl_interface *const on_pool[] = {
		&wl_shm_pool_interface, NULL
	};
	void **proxies = calloc(FLOOD_BUFFERS + 1, sizeof(*proxies));
	const struct wl_interface *iface = NULL;
	struct wl_shm_pool *pool;
	struct test_client *c;
	bool alive = true;
	int fd, i, err;

	check(proxies);
	attacker_init(a);
	c = test_client_connect();
	if (a->policy == SEALSHM_POLICY_COPY) {
		fd = memfd_create("sealshm-test", MFD_CLOEXEC);
		check(fd >= 0 && ftruncate(fd, 4096) == 0);
	} else {
		fd = mapped_memfd(a->policy, 4096);
	}
	pool = wl_shm_create_pool(c->shm, fd, 4);
	close(fd);
	for (i = 0; i < FLOOD_BUFFERS && alive; i++) {
		proxies[i] = wl_shm_pool_create_buffer(pool, 0, 1, 1, 4,
						       WL_SHM_FORMAT_ARGB8888);
		if (i % 64 == 63)
			alive = flush_all(c);
		if (alive && (i % FLOOD_CHECK_EVERY == FLOOD_CHECK_EVERY - 1 ||
			      i == MAX_BUFFERS_PER_CLIENT / 2)) {
			alive = flush_all(c) &&
				test_client_roundtrip_error(c, &iface) == 0;
			/* Half the budget held, and the server knows it. */
			if (alive && i == MAX_BUFFERS_PER_CLIENT / 2)
				probe_once(&a->probe);
		}
	}
	err = test_client_roundtrip_error(c, &iface);
	fprintf(stderr, "buffer flood: error %d on %s after %d buffers\n", err,
		iface ? iface->name : "nothing", i);
	proxies[FLOOD_BUFFERS] = pool;
	check_msg(err == WL_SHM_ERROR_INVALID_STRIDE && iface == on_pool[0],
		  "expected invalid_stride on wl_shm_pool at the buffer "
		  "budget, got %d on %s",
		  err, iface ? iface->name : "nothing");
	forget_proxies(proxies, FLOOD_BUFFERS + 1);
	free(proxies);
	test_client_destroy(c);
	probe_finish(&a->probe);
}

static void
buffer_flood(enum sealshm_policy policy)
{
	struct attack *a = attack_create(policy);
	long rss, peak;
	int failed;
	FILE *f;

	/* Reset the peak (VmHWM) to what the process holds now. */
	f = fopen("/proc/self/clear_refs", "we");
	check(f);
	check(fputs("5", f) >= 0);
	check(fclose(f) == 0);
	rss = status_kib("VmRSS:");
	failed = attack_run(a, buffer_attacker, NULL, NULL);
	peak = status_kib("VmHWM:");
	fprintf(stderr,
		"buffer flood: server resident %ld KiB before, peak %ld KiB "
		"(+%ld KiB)\n",
		rss, peak, peak - rss);
	check_clients(a, failed);
	check(a->probe_commits >= 1);
	check_client_bug_says(a, "buffers");
	check_msg(peak - rss < FLOOD_MAX_GROWTH_KIB,
		  "the server grew by %ld KiB", peak - rss);
	attack_finish(a);
}

POLICY_TESTS(buffer_flood, buffer_flood)

/* ---- 6. holes punched under a displayed buffer ---- */

#define PUNCH_SIDE 1024
#define PUNCH_SIZE (PUNCH_SIDE * PUNCH_SIDE * 4)
#define PUNCH_STEP PUNCH_SIZE
/* How long the attacker commits while punching (not a limit). */
#define PUNCH_RUN_MS 2000

struct puncher {
	pthread_t thread;
	int fd;
	volatile bool stop;
	unsigned long punches;
};

static void *
punch(void *data)
{
	struct puncher *p = data;

	while (!p->stop) {
		for (off_t off = 0; off < PUNCH_SIZE && !p->stop;
		     off += PUNCH_STEP) {
			check(fallocate(p->fd,
					FALLOC_FL_PUNCH_HOLE |
						FALLOC_FL_KEEP_SIZE,
					off, PUNCH_STEP) == 0);
			p->punches++;
		}
	}
	return NULL;
}

static void
punch_attacker(void *data)
{
	struct attack *a = data;
	struct puncher p = { 0 };
	struct probe_result result;
	struct test_client *c;
	struct wl_surface *surface;
	struct wl_shm_pool *pool;
	struct wl_buffer *buffer;
	unsigned commits = 0;
	int64_t end;

	attacker_init(a);
	c = test_client_connect();
	surface = wl_compositor_create_surface(c->compositor);
	p.fd = mapped_memfd(a->policy, PUNCH_SIZE);
	fill_pattern(p.fd, 0, PUNCH_SIZE, 6);
	pool = wl_shm_create_pool(c->shm, p.fd, PUNCH_SIZE);
	buffer = wl_shm_pool_create_buffer(pool, 0, PUNCH_SIDE, PUNCH_SIDE,
					   PUNCH_SIDE * 4,
					   WL_SHM_FORMAT_ARGB8888);
	client_commit(c, surface, buffer);

	check(pthread_create(&p.thread, NULL, punch, &p) == 0);
	probe_start(&a->probe);
	end = now_ms() + PUNCH_RUN_MS;
	while (now_ms() < end) {
		client_commit(c, surface, buffer);
		commits++;
	}
	result = probe_stop(&a->probe);
	p.stop = true;
	check(pthread_join(p.thread, NULL) == 0);

	fprintf(stderr,
		"punch holes: %u commits of %dx%d, %lu holes punched; second "
		"client: %u probes, worst roundtrip %.1f ms (limit %d ms)\n",
		commits, PUNCH_SIDE, PUNCH_SIDE, p.punches, result.probes,
		result.worst_us / 1000.0, probe_limit_ms());
	check(result.probes >= 1);
	check(result.worst_us < (uint32_t)probe_limit_ms() * 1000);

	wl_buffer_destroy(buffer);
	wl_shm_pool_destroy(pool);
	wl_surface_destroy(surface);
	close(p.fd);
	test_client_destroy(c);
	probe_finish(&a->probe);
}

static void
punch_holes(enum sealshm_policy policy)
{
	struct attack *a = attack_create(policy);
	int failed = attack_run(a, punch_attacker, NULL, NULL);

	check_clients(a, failed);
	check(a->probe_commits >= 1);
	attack_finish(a);
}

POLICY_TESTS(punch_holes, punch_holes)

/* ---- 7. one huge buffer ---- */

/* 1 x 536,870,911 ARGB8888 (2 GiB) on a sparse 2 GiB sealed memfd. */
#define HUGE_HEIGHT 536870911

static void
huge_attacker(void *data)
{
	struct attack *a = data;
	static const struct wl_interface *const on_pool[] = {
		&wl_shm_pool_interface, NULL
	};
	int32_t size = HUGE_HEIGHT * 4;
	struct test_client *c;
	struct wl_surface *surface;
	struct wl_shm_pool *pool;
	struct wl_buffer *buffer;
	int fd;

	attacker_init(a);
	c = test_client_connect();
	surface = wl_compositor_create_surface(c->compositor);
	fd = mapped_memfd(a->policy, INT32_MAX);
	pool = wl_shm_create_pool(c->shm, fd, size);
	close(fd);
	buffer = wl_shm_pool_create_buffer(pool, 0, 1, HUGE_HEIGHT, 4,
					   WL_SHM_FORMAT_ARGB8888);
	wl_surface_attach(surface, buffer, 0, 0);
	wl_surface_damage_buffer(surface, 0, 0, INT32_MAX, INT32_MAX);
	wl_surface_commit(surface);
	flush_all(c);
	probe_once(&a->probe);
	expect_error_on(c, WL_SHM_ERROR_INVALID_STRIDE, on_pool);
	wl_proxy_destroy((struct wl_proxy *)buffer);
	wl_proxy_destroy((struct wl_proxy *)pool);
	wl_proxy_destroy((struct wl_proxy *)surface);
	test_client_destroy(c);
	probe_finish(&a->probe);
}

static void
huge_buffer(enum sealshm_policy policy)
{
	struct attack *a = attack_create(policy);
	int failed = attack_run(a, huge_attacker, NULL, NULL);

	check_clients(a, failed);
	check(a->probe_commits >= 1);
	check_client_bug_says(a, MAX_BUFFER_SIDE);
	attack_finish(a);
}

POLICY_TESTS(huge_buffer, huge_buffer)
