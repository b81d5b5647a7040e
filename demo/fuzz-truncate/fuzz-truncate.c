/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * sealshm-fuzz-truncate: a seeded attack client.  Each iteration opens a
 * fresh connection, maps an xdg toplevel (so the compositor really reads
 * its pixels), then runs one randomly chosen attack from doc/design.md's
 * failure modes and checks the outcome the compositor's policy predicts:
 * a protocol error with the expected code on the expected interface, an
 * EPERM in this client, or acceptance.  A fresh connection per attack is
 * needed because a protocol error ends the connection.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <wayland-client.h>

#include "demo-client.h"
#include "shm-file.h"

/* Debian 12's glibc headers predate these; shm-file.h has the others. */
#define EXIT_UNEXPECTED 1
#define EXIT_USAGE 2
#define EXIT_COMPOSITOR_DIED 3

/* How long the compositor gets to answer one step.  Generous: it only
 * bounds a hang, it is not a speed requirement. */
#define STEP_TIMEOUT_MS 10000

/* The server's defaults (sealshm_options): a demo compositor must run with
 * them for the flood predictions to hold. */
#define DEFAULT_MAX_POOLS_PER_CLIENT 4096
#define DEFAULT_MAX_BYTES_PER_CLIENT (UINT64_C(4) << 30)
#define DEFAULT_MAX_BUFFERS_PER_CLIENT 16384
#define DEFAULT_MAX_MAPPINGS_PER_CLIENT 8192

#define TOPLEVEL_SIZE 64

enum policy {
	POLICY_STRICT,
	POLICY_SEAL,
	POLICY_COPY,
};

static const char *const policy_names[] = { "strict", "seal", "copy" };

/* A wl_callback waited for: a frame callback or a sync. */
struct pending {
	struct wl_callback *callback;
	bool done;
};

struct conn {
	struct demo_globals g;
	struct demo_toplevel window;
	uint32_t formats[128];
	int formats_len;
	struct pending frame;
	struct pending sync;
	/* every pool and buffer an attack made: destroyed with the
	 * connection, since wl_display_disconnect() frees no proxies */
	struct wl_proxy **proxies;
	size_t proxies_len, proxies_cap;
	/* the buffer that mapped the toplevel, kept for re-commits */
	int base_fd;
	struct wl_shm_pool *base_pool;
	struct wl_buffer *base_buffer;
};

/* What the compositor did. */
enum observed_kind {
	OBSERVED_OK,
	OBSERVED_ERROR, /* a protocol error */
	OBSERVED_LOST,	/* connection closed without a protocol error */
	OBSERVED_TIMEOUT,
};

struct observed {
	enum observed_kind kind;
	uint32_t code;
	char interface[64];
	char message[256];
};

/* wl_shm.error codes, wire-compatible across versions. */
enum shm_error {
	SHM_INVALID_FORMAT = 0,
	SHM_INVALID_STRIDE = 1,
	SHM_INVALID_FD = 2,
};

static const char *const shm_error_names[] = {
	"invalid_format",
	"invalid_stride",
	"invalid_fd",
};

struct attack_stats {
	unsigned tried;
	unsigned expected;
	unsigned unexpected;
	unsigned not_applicable;
};

struct fuzz {
	enum policy policy;
	uint64_t seed;
	uint64_t rng;
	unsigned long iteration;
	const char *attack;
	/* set once an attack saw an unexpected outcome */
	bool failed;
	bool compositor_died;
	int connect_errno;
};

struct attack {
	const char *name;
	/* Returns false when the attack cannot run on this machine (not
	 * counted as tried); records its outcome through expect_*(). */
	bool (*run)(struct fuzz *f, struct conn *c);
};

static volatile sig_atomic_t interrupted;

/* libwayland-client's last log line: for a protocol error, the server's
 * message, which goes into our report instead of onto stderr. */
static char last_wayland_log[256];

static void handle_wayland_log(const char *fmt, va_list args)
	__attribute__((format(printf, 1, 0)));

static void
handle_wayland_log(const char *fmt, va_list args)
{
	size_t len;

	vsnprintf(last_wayland_log, sizeof(last_wayland_log), fmt, args);
	len = strlen(last_wayland_log);
	if (len && last_wayland_log[len - 1] == '\n')
		last_wayland_log[len - 1] = '\0';
}

static uint64_t
next_random(struct fuzz *f)
{
	/* splitmix64: tiny, seedable, good enough to pick attacks. */
	uint64_t z = (f->rng += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static int64_t
random_range(struct fuzz *f, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(next_random(f) % (uint64_t)(hi - lo + 1));
}

static void unexpected(struct fuzz *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
unexpected(struct fuzz *f, const char *fmt, ...)
{
	va_list args;

	f->failed = true;
	fprintf(stderr,
		"fuzz-truncate: UNEXPECTED in %s (iteration %lu, "
		"seed %" PRIu64 ", policy %s): ",
		f->attack, f->iteration, f->seed, policy_names[f->policy]);
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fputc('\n', stderr);
}

static void
describe(const struct observed *o, char *buf, size_t len)
{
	switch (o->kind) {
	case OBSERVED_OK:
		snprintf(buf, len, "acceptance (no error)");
		break;
	case OBSERVED_ERROR:
		snprintf(buf, len, "error %s (%u) on %s: \"%s\"",
			 o->code < 3 ? shm_error_names[o->code] : "?", o->code,
			 o->interface, o->message);
		break;
	case OBSERVED_LOST:
		snprintf(buf, len,
			 "connection lost without a protocol error: "
			 "%s",
			 o->message);
		break;
	case OBSERVED_TIMEOUT:
		snprintf(buf, len, "no answer within %d ms", STEP_TIMEOUT_MS);
		break;
	}
}

/* ---- memory files ---- */

static int
sealed_memfd(size_t size, int seals)
{
	int fd = memfd_create("fuzz-truncate", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size) < 0 ||
	    (seals && fcntl(fd, F_ADD_SEALS, seals) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Fill [offset, offset + size) of @p fd with a pixel value.  An fd that
 * cannot be mapped writable stays as it is: only outcomes are checked, the
 * colours just make attacks visible in screenshots. */
static void
fill(int fd, size_t offset, size_t size, uint32_t pixel)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t start = offset & ~(page - 1), len = size + (offset - start);
	uint32_t *p;
	unsigned char *map;
	size_t i;

	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   (off_t)start);
	if (map == MAP_FAILED)
		return;
	p = (uint32_t *)(map + (offset - start));
	for (i = 0; i < size / 4; i++)
		p[i] = pixel;
	munmap(map, len);
}

/* ---- connection ---- */

static void
handle_shm_format(void *data, struct wl_shm *shm, uint32_t format)
{
	struct conn *c = data;

	if (c->formats_len < (int)(sizeof(c->formats) / sizeof(c->formats[0])))
		c->formats[c->formats_len++] = format;
}

static const struct wl_shm_listener shm_listener = {
	.format = handle_shm_format,
};

static void
handle_pending_done(void *data, struct wl_callback *callback, uint32_t time)
{
	struct pending *p = data;

	p->done = true;
	p->callback = NULL;
	wl_callback_destroy(callback);
}

static const struct wl_callback_listener pending_listener = {
	.done = handle_pending_done,
};

/* Stop waiting for what @p p waited for. */
static void
pending_drop(struct pending *p)
{
	if (p->callback)
		wl_callback_destroy(p->callback);
	p->callback = NULL;
}

/* Wait for @p callback through @p p, after pending_drop(). */
static void
pending_add(struct pending *p, struct wl_callback *callback)
{
	p->callback = callback;
	p->done = false;
	wl_callback_add_listener(callback, &pending_listener, p);
}

static void
fill_observed_from_display(struct conn *c, struct observed *o)
{
	const struct wl_interface *interface = NULL;
	int err = wl_display_get_error(c->g.display);

	if (err == EPROTO) {
		o->kind = OBSERVED_ERROR;
		o->code = wl_display_get_protocol_error(c->g.display,
							&interface, NULL);
		snprintf(o->interface, sizeof(o->interface), "%s",
			 interface ? interface->name : "?");
		snprintf(o->message, sizeof(o->message), "%s",
			 last_wayland_log);
	} else {
		o->kind = OBSERVED_LOST;
		snprintf(o->message, sizeof(o->message), "%s",
			 strerror(err ? err : EPIPE));
	}
}

/*
 * Flush everything queued, waiting for the socket to drain: floods queue
 * more than the socket buffer holds, and libwayland 1.21 gives up on a
 * full buffer instead of waiting.  False when the connection broke.
 */
static bool
flush_all(struct conn *c)
{
	struct pollfd pfd = { wl_display_get_fd(c->g.display), POLLOUT, 0 };

	for (;;) {
		if (wl_display_flush(c->g.display) >= 0)
			return true;
		if (errno != EAGAIN)
			return false;
		if (poll(&pfd, 1, STEP_TIMEOUT_MS) <= 0)
			return false;
	}
}

static int
remaining_ms(const struct timespec *deadline)
{
	struct timespec now;
	int64_t ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000 +
	     (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : (int)ms;
}

/*
 * Dispatch until *@p flag is set, the connection fails or the step times
 * out; fills @p o.  A protocol error the server posted before the flag
 * became true is reported even when the flag is set.
 */
static void
dispatch_until(struct conn *c, bool *flag, struct observed *o)
{
	struct pollfd pfd = { wl_display_get_fd(c->g.display), POLLIN, 0 };
	struct timespec deadline;
	int r;

	memset(o, 0, sizeof(*o));
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += STEP_TIMEOUT_MS / 1000;

	while (!*flag) {
		if (wl_display_dispatch_pending(c->g.display) < 0)
			goto broken;
		if (*flag)
			break;
		while (wl_display_prepare_read(c->g.display) != 0) {
			if (wl_display_dispatch_pending(c->g.display) < 0)
				goto broken;
		}
		/* A failed flush (EPIPE) still lets us read the error the
		 * server sent before closing. */
		flush_all(c);
		r = poll(&pfd, 1, remaining_ms(&deadline));
		if (r <= 0) {
			wl_display_cancel_read(c->g.display);
			if (r < 0 && errno == EINTR && !interrupted)
				continue;
			o->kind = OBSERVED_TIMEOUT;
			return;
		}
		if (wl_display_read_events(c->g.display) < 0)
			goto broken;
	}
	if (wl_display_get_error(c->g.display))
		goto broken;
	o->kind = OBSERVED_OK;
	return;

broken:
	fill_observed_from_display(c, o);
}

/* A roundtrip with a timeout. */
static void
roundtrip(struct conn *c, struct observed *o)
{
	pending_drop(&c->sync);
	pending_add(&c->sync, wl_display_sync(c->g.display));
	dispatch_until(c, &c->sync.done, o);
}

/* Remember @p proxy for conn_close(); NULL when out of memory (the
 * caller's request is then still sent, the proxy leaks). */
static void *
track(struct conn *c, void *proxy)
{
	struct wl_proxy **grown;
	size_t cap;

	if (c->proxies_len == c->proxies_cap) {
		cap = c->proxies_cap ? 2 * c->proxies_cap : 64;
		grown = realloc(c->proxies, cap * sizeof(*grown));
		if (!grown)
			return proxy;
		c->proxies = grown;
		c->proxies_cap = cap;
	}
	c->proxies[c->proxies_len++] = proxy;
	return proxy;
}

/* Destroy a tracked proxy now (sending its destructor request). */
static void
destroy_tracked(struct conn *c, void *proxy, void (*destroy)(void *))
{
	size_t i;

	for (i = 0; i < c->proxies_len; i++) {
		if (c->proxies[i] == proxy)
			c->proxies[i] = NULL;
	}
	destroy(proxy);
}

static void
destroy_pool(void *pool)
{
	wl_shm_pool_destroy(pool);
}

static void
destroy_buffer(void *buffer)
{
	wl_buffer_destroy(buffer);
}

static struct wl_shm_pool *
create_pool(struct conn *c, int fd, int32_t size)
{
	return track(c, wl_shm_create_pool(c->g.shm, fd, size));
}

static struct wl_buffer *
create_buffer(struct conn *c, struct wl_shm_pool *pool, int32_t offset,
	      int32_t width, int32_t height, int32_t stride, uint32_t format)
{
	return track(c, wl_shm_pool_create_buffer(pool, offset, width, height,
						  stride, format));
}

/* Attach @p buffer, damage it, ask for a frame callback; not committed. */
static void
attach_with_frame(struct conn *c, struct wl_buffer *buffer, int32_t width,
		  int32_t height)
{
	wl_surface_attach(c->window.surface, buffer, 0, 0);
	wl_surface_damage(c->window.surface, 0, 0, width, height);
	pending_drop(&c->frame);
	pending_add(&c->frame, wl_surface_frame(c->window.surface));
}

/* Attach @p buffer (NULL: the base buffer) to the toplevel, commit, and
 * wait until the compositor composited a frame with it. */
static void
commit_and_wait(struct conn *c, struct wl_buffer *buffer, int32_t width,
		int32_t height, struct observed *o)
{
	attach_with_frame(c, buffer ? buffer : c->base_buffer, width, height);
	wl_surface_commit(c->window.surface);
	dispatch_until(c, &c->frame.done, o);
	if (o->kind == OBSERVED_OK)
		roundtrip(c, o);
}

static void
conn_close(struct conn *c)
{
	size_t i;

	/* Buffers first: pools must outlive nothing, but the order keeps
	 * the requests the way a careful client sends them. */
	for (i = c->proxies_len; i-- > 0;) {
		if (c->proxies[i])
			wl_proxy_destroy(c->proxies[i]);
	}
	free(c->proxies);
	pending_drop(&c->frame);
	pending_drop(&c->sync);
	if (c->base_buffer)
		wl_buffer_destroy(c->base_buffer);
	if (c->base_pool)
		wl_shm_pool_destroy(c->base_pool);
	if (c->base_fd >= 0)
		close(c->base_fd);
	demo_toplevel_finish(&c->window);
	demo_globals_finish(&c->g);
	memset(c, 0, sizeof(*c));
	c->base_fd = -1;
}

/*
 * Connect, bind, map a toplevel with a valid sealed buffer and wait for its
 * first frame.  Returns 0, or -1 when the compositor is gone (socket
 * refused), or -2 when it misbehaved (reported as unexpected).
 */
static int
conn_open(struct fuzz *f, struct conn *c)
{
	size_t size = TOPLEVEL_SIZE * TOPLEVEL_SIZE * 4;
	struct observed o;
	char what[512];

	memset(c, 0, sizeof(*c));
	c->base_fd = -1;
	/* wl_shm version 1, all an attacker needs. */
	if (demo_globals_start(&c->g, 4) < 0)
		return -1;
	roundtrip(c, &o);
	if (o.kind == OBSERVED_OK && c->g.shm) {
		/* The format events answer the bind, after this roundtrip. */
		wl_shm_add_listener(c->g.shm, &shm_listener, c);
		roundtrip(c, &o);
	}
	if (o.kind != OBSERVED_OK) {
		describe(&o, what, sizeof(what));
		unexpected(f, "binding the globals: %s", what);
		return -2;
	}
	if (!c->g.compositor || !c->g.shm || !c->g.wm_base) {
		unexpected(f, "the compositor lacks wl_compositor, wl_shm or "
			      "xdg_wm_base");
		return -2;
	}

	demo_toplevel_init(&c->window, &c->g, "sealshm-fuzz-truncate", NULL,
			   NULL, NULL);
	wl_surface_commit(c->window.surface);
	dispatch_until(c, &c->window.configured, &o);
	if (o.kind != OBSERVED_OK) {
		describe(&o, what, sizeof(what));
		unexpected(f, "mapping the toplevel: %s", what);
		return -2;
	}

	c->base_fd = sealed_memfd(size, F_SEAL_SHRINK | F_SEAL_SEAL);
	if (c->base_fd < 0) {
		fprintf(stderr, "fuzz-truncate: memfd: %s\n", strerror(errno));
		return -2;
	}
	fill(c->base_fd, 0, size, 0xff000000 | (uint32_t)next_random(f));
	c->base_pool = wl_shm_create_pool(c->g.shm, c->base_fd, (int32_t)size);
	c->base_buffer = wl_shm_pool_create_buffer(
		c->base_pool, 0, TOPLEVEL_SIZE, TOPLEVEL_SIZE,
		TOPLEVEL_SIZE * 4, WL_SHM_FORMAT_XRGB8888);
	commit_and_wait(c, NULL, TOPLEVEL_SIZE, TOPLEVEL_SIZE, &o);
	if (o.kind != OBSERVED_OK) {
		describe(&o, what, sizeof(what));
		unexpected(f, "a valid sealed buffer was not displayed: %s",
			   what);
		return -2;
	}
	return 0;
}

static bool
has_format(struct conn *c, uint32_t format)
{
	int i;

	for (i = 0; i < c->formats_len; i++) {
		if (c->formats[i] == format)
			return true;
	}
	return false;
}

/* ---- outcome checks ---- */

/*
 * The connection must have ended with @p code on @p interface (NULL: any
 * interface, for errors a copy-tier server raises on access).
 */
static void
expect_error_observed(struct fuzz *f, const struct observed *o,
		      enum shm_error code, const char *interface)
{
	char what[512];

	if (o->kind == OBSERVED_ERROR && o->code == (uint32_t)code &&
	    (!interface || strcmp(o->interface, interface) == 0))
		return;
	describe(o, what, sizeof(what));
	unexpected(f, "expected error %s on %s, got %s", shm_error_names[code],
		   interface ? interface : "any interface", what);
}

/* Send nothing more; the requests so far must end in this error. */
static void
expect_error(struct fuzz *f, struct conn *c, enum shm_error code,
	     const char *interface)
{
	struct observed o;

	roundtrip(c, &o);
	expect_error_observed(f, &o, code, interface);
}

static void
expect_ok_observed(struct fuzz *f, const struct observed *o, const char *step)
{
	char what[512];

	if (o->kind == OBSERVED_OK)
		return;
	describe(o, what, sizeof(what));
	unexpected(f, "%s: expected acceptance, got %s", step, what);
}

/* @p buffer must be accepted and displayed (NULL: just a roundtrip). */
static void
expect_ok(struct fuzz *f, struct conn *c, struct wl_buffer *buffer,
	  int32_t width, int32_t height, const char *step)
{
	struct observed o;

	if (buffer)
		commit_and_wait(c, buffer, width, height, &o);
	else
		roundtrip(c, &o);
	expect_ok_observed(f, &o, step);
}

/* A local syscall result that must be EPERM. */
static void
expect_eperm(struct fuzz *f, int result, int err, const char *what)
{
	if (result < 0 && err == EPERM)
		return;
	unexpected(f, "%s: expected EPERM in the client, got %s", what,
		   result < 0 ? strerror(err) : "success");
}

/* ---- attacks ---- */

struct pool_buffer {
	struct wl_shm_pool *pool;
	struct wl_buffer *buffer;
	int32_t width, height;
};

/* A pool over all of @p fd and one XRGB8888 buffer filling it. */
static void
make_buffer(struct fuzz *f, struct conn *c, int fd, int32_t width,
	    int32_t height, struct pool_buffer *pb)
{
	pb->width = width;
	pb->height = height;
	pb->pool = create_pool(c, fd, width * height * 4);
	pb->buffer = create_buffer(c, pb->pool, 0, width, height, width * 4,
				   WL_SHM_FORMAT_XRGB8888);
}

static void
random_geometry(struct fuzz *f, int32_t *width, int32_t *height)
{
	*width = (int32_t)random_range(f, 1, 256);
	*height = (int32_t)random_range(f, 1, 256);
}

/*
 * A file that can be shrunk (the policy accepts it in the copy tier only,
 * or seals it in the seal tier): accepted or refused by policy; where
 * accepted, the client then tries to shrink it under the compositor.
 */
static void
attack_shrinkable(struct fuzz *f, struct conn *c, int fd, bool sealable)
{
	struct pool_buffer pb;
	struct observed o;
	int32_t w, h;
	bool accepted;
	int r;

	random_geometry(f, &w, &h);
	if (ftruncate(fd, (off_t)w * h * 4) < 0) {
		unexpected(f, "ftruncate of the attack file: %s",
			   strerror(errno));
		return;
	}
	fill(fd, 0, (size_t)w * h * 4, 0xff00ff00);
	accepted = f->policy == POLICY_COPY ||
		   (f->policy == POLICY_SEAL && sealable);
	make_buffer(f, c, fd, w, h, &pb);
	if (!accepted) {
		expect_error(f, c, SHM_INVALID_FD, "wl_shm");
		return;
	}
	expect_ok(f, c, pb.buffer, w, h, "first commit");
	if (f->failed)
		return;

	r = ftruncate(fd, (off_t)random_range(f, 0, (int64_t)w * h * 4 - 1));
	if (sealable) {
		/* The seal tier sealed it for us: shrinking must fail. */
		expect_eperm(f, r, errno, "ftruncate of a server-sealed memfd");
		expect_ok(f, c, pb.buffer, w, h, "commit after refused shrink");
		return;
	}
	if (r < 0) {
		unexpected(f, "ftruncate of an unsealable file: %s",
			   strerror(errno));
		return;
	}
	/* Copy tier: the server reads with pread, sees the short file and
	 * posts invalid_fd instead of faulting. */
	commit_and_wait(c, pb.buffer, w, h, &o);
	expect_error_observed(f, &o, SHM_INVALID_FD, NULL);
}

static bool
attack_unsealed_memfd(struct fuzz *f, struct conn *c)
{
	int fd = sealed_memfd(0, 0);

	attack_shrinkable(f, c, fd, true);
	close(fd);
	return true;
}

static bool
attack_unsealable_memfd(struct fuzz *f, struct conn *c)
{
	int fd = memfd_create("fuzz-unsealable", MFD_CLOEXEC);

	attack_shrinkable(f, c, fd, false);
	close(fd);
	return true;
}

static bool
attack_dev_shm_file(struct fuzz *f, struct conn *c)
{
	char name[64];
	int fd;

	snprintf(name, sizeof(name), "/sealshm-fuzz-%d-%lu", (int)getpid(),
		 f->iteration);
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return false;
	shm_unlink(name);
	attack_shrinkable(f, c, fd, false);
	close(fd);
	return true;
}

static bool
attack_disk_file(struct fuzz *f, struct conn *c)
{
	char path[] = "/var/tmp/sealshm-fuzz-XXXXXX";
	int fd = mkostemp(path, O_CLOEXEC);

	if (fd < 0)
		return false;
	unlink(path);
	attack_shrinkable(f, c, fd, false);
	close(fd);
	return true;
}

static bool
attack_hugetlb_memfd(struct fuzz *f, struct conn *c)
{
	size_t size = 2 << 20;
	int fd = memfd_create("fuzz-huge",
			      MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB);

	if (fd < 0)
		return false;
	if (ftruncate(fd, (off_t)size) < 0) {
		close(fd);
		return false;
	}
	/* Sealed like a good client: the filesystem alone must decide. */
	fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK);
	create_pool(c, fd, (int32_t)size);
	close(fd);
	expect_error(f, c, SHM_INVALID_FD, "wl_shm");
	return true;
}

/*
 * A procfs "regular" file whose read waits for data that may never come
 * (/proc/kmsg blocks until the next kernel message; /proc/self/stat when
 * /proc/kmsg cannot be opened, which needs CAP_SYSLOG): refused by every
 * policy, also copy, which must never read a file on a filesystem that
 * can stall.  A buffer is committed so that a copy-tier server that
 * accepted the pool would read it, and hang.
 */
static bool
attack_procfs_file(struct fuzz *f, struct conn *c)
{
	struct wl_shm_pool *pool;
	struct wl_buffer *buffer;
	int fd = open("/proc/kmsg", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	pool = create_pool(c, fd, 4096);
	close(fd);
	buffer = create_buffer(c, pool, 0, 1, 1, 4, WL_SHM_FORMAT_XRGB8888);
	wl_surface_attach(c->window.surface, buffer, 0, 0);
	wl_surface_damage(c->window.surface, 0, 0, 1, 1);
	wl_surface_commit(c->window.surface);
	expect_error(f, c, SHM_INVALID_FD, "wl_shm");
	return true;
}

/* Not a regular file: refused by every policy. */
static void
attack_special_fd(struct fuzz *f, struct conn *c, int fd)
{
	create_pool(c, fd, (int32_t)random_range(f, 1, 1 << 20));
	close(fd);
	expect_error(f, c, SHM_INVALID_FD, "wl_shm");
}

static bool
attack_pipe_fd(struct fuzz *f, struct conn *c)
{
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) < 0)
		return false;
	close(fds[1]);
	attack_special_fd(f, c, fds[0]);
	return true;
}

static bool
attack_socket_fd(struct fuzz *f, struct conn *c)
{
	int fds[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
		return false;
	close(fds[1]);
	attack_special_fd(f, c, fds[0]);
	return true;
}

static bool
attack_dev_zero_fd(struct fuzz *f, struct conn *c)
{
	int fd = open("/dev/zero", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return false;
	attack_special_fd(f, c, fd);
	return true;
}

static bool
attack_directory_fd(struct fuzz *f, struct conn *c)
{
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return false;
	attack_special_fd(f, c, fd);
	return true;
}

static bool
attack_eventfd_fd(struct fuzz *f, struct conn *c)
{
	int fd = eventfd(0, EFD_CLOEXEC);

	if (fd < 0)
		return false;
	attack_special_fd(f, c, fd);
	return true;
}

/* A sealed memfd reopened with @p flags (write-only, O_PATH): an fd the
 * server cannot read from is refused by every policy. */
static bool
attack_unreadable_fd(struct fuzz *f, struct conn *c, int flags)
{
	char path[64];
	int fd, bad;

	fd = sealed_memfd(4096, F_SEAL_SHRINK);
	if (fd < 0)
		return false;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	bad = open(path, flags | O_CLOEXEC);
	close(fd);
	if (bad < 0)
		return false;
	attack_special_fd(f, c, bad);
	return true;
}

static bool
attack_write_only_fd(struct fuzz *f, struct conn *c)
{
	return attack_unreadable_fd(f, c, O_WRONLY);
}

static bool
attack_o_path_fd(struct fuzz *f, struct conn *c)
{
	return attack_unreadable_fd(f, c, O_PATH);
}

/* A sealed memfd opened read-only: accepted, mapped read-only. */
static bool
attack_read_only_fd(struct fuzz *f, struct conn *c)
{
	struct pool_buffer pb;
	char path[64];
	int32_t w, h;
	int fd, ro;

	random_geometry(f, &w, &h);
	fd = sealed_memfd((size_t)w * h * 4, F_SEAL_SHRINK);
	if (fd < 0)
		return false;
	fill(fd, 0, (size_t)w * h * 4, 0xff0000ff);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	close(fd);
	if (ro < 0)
		return false;
	make_buffer(f, c, ro, w, h, &pb);
	close(ro);
	expect_ok(f, c, pb.buffer, w, h, "buffer of a read-only fd");
	return true;
}

/* Sealed against every change: accepted, and immutable. */
static bool
attack_write_sealed(struct fuzz *f, struct conn *c)
{
	struct pool_buffer pb;
	unsigned char byte = 0;
	int32_t w, h;
	void *p;
	int fd, r;

	random_geometry(f, &w, &h);
	fd = sealed_memfd((size_t)w * h * 4, 0);
	if (fd < 0)
		return false;
	fill(fd, 0, (size_t)w * h * 4, 0xffff0000);
	if (fcntl(fd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) <
	    0) {
		unexpected(f, "sealing F_SEAL_WRITE: %s", strerror(errno));
		close(fd);
		return true;
	}
	make_buffer(f, c, fd, w, h, &pb);
	expect_ok(f, c, pb.buffer, w, h, "buffer of a write-sealed memfd");
	/* Nobody, not even the owner, can change it now. */
	r = (int)pwrite(fd, &byte, 1, 0);
	expect_eperm(f, r, errno, "pwrite to a write-sealed memfd");
	p = mmap(NULL, (size_t)w * h * 4, PROT_READ | PROT_WRITE, MAP_SHARED,
		 fd, 0);
	r = p == MAP_FAILED ? -1 : 0;
	expect_eperm(f, r, errno, "writable mmap of a write-sealed memfd");
	if (p != MAP_FAILED)
		munmap(p, (size_t)w * h * 4);
	close(fd);
	return true;
}

/*
 * A copy-tier pool (an unsealable file: the copy policy never maps it) may
 * be larger than its file: the server accepts it at create and resize,
 * because the file could shrink after any check anyway, and checks at
 * access instead.  A buffer inside the file is displayed; one that
 * reaches past its end reads zeros there and costs invalid_fd on the
 * wl_buffer.  Offsets land near the file's end to hit both.
 */
static void
expect_copied_pool_beyond_file(struct fuzz *f, struct conn *c,
			       struct wl_shm_pool *pool, int64_t file,
			       int32_t size)
{
	int32_t w = (int32_t)random_range(f, 1, 64);
	int32_t h = (int32_t)random_range(f, 1, 64), offset;
	int64_t bytes = (int64_t)w * h * 4;
	int64_t span = size < 2 * file ? size : 2 * file;
	struct wl_buffer *buffer;
	struct observed o;

	offset = (int32_t)(random_range(f, 0, span - bytes) & ~INT64_C(3));
	buffer = create_buffer(c, pool, offset, w, h, w * 4,
			       WL_SHM_FORMAT_XRGB8888);
	if (offset + bytes <= file) {
		expect_ok(f, c, buffer, w, h, "copied buffer inside the file");
		return;
	}
	commit_and_wait(c, buffer, w, h, &o);
	expect_error_observed(f, &o, SHM_INVALID_FD, "wl_buffer");
}

/* A file that cannot be sealed, @p size bytes; -1 on failure. */
static int
unsealable_memfd(int64_t size)
{
	int fd = memfd_create("fuzz-unsealable", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)size) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool
attack_pool_beyond_file_at_create(struct fuzz *f, struct conn *c)
{
	bool copied = next_random(f) & 1;
	int64_t file = random_range(f, copied ? 16 << 10 : 1, 1 << 20);
	int32_t size = (int32_t)random_range(f, file + 1, INT32_MAX);
	int fd = copied ? unsealable_memfd(file)
			: sealed_memfd((size_t)file, F_SEAL_SHRINK);
	struct wl_shm_pool *pool;

	if (fd < 0)
		return false;
	pool = create_pool(c, fd, size);
	close(fd);
	/* Without the copy policy an unsealable file is refused anyway. */
	if (copied && f->policy == POLICY_COPY)
		expect_copied_pool_beyond_file(f, c, pool, file, size);
	else
		expect_error(f, c, SHM_INVALID_FD, "wl_shm");
	return true;
}

/* The attack that kills compositors trusting a check made at create. */
static bool
attack_pool_beyond_file_at_resize(struct fuzz *f, struct conn *c)
{
	int32_t w = 64, h, size;
	struct wl_shm_pool *pool;
	struct wl_buffer *buffer;
	int fd;

	if (next_random(f) & 1) {
		fd = unsealable_memfd(16 << 10);
		if (fd < 0)
			return false;
		pool = create_pool(c, fd, 16 << 10);
		close(fd);
		size = (int32_t)random_range(f, (16 << 10) + 1, 64 << 20);
		wl_shm_pool_resize(pool, size);
		if (f->policy == POLICY_COPY)
			expect_copied_pool_beyond_file(f, c, pool, 16 << 10,
						       size);
		else
			expect_error(f, c, SHM_INVALID_FD, "wl_shm");
		return true;
	}

	fd = sealed_memfd(4096, F_SEAL_SHRINK | F_SEAL_SEAL);
	if (fd < 0)
		return false;
	pool = create_pool(c, fd, 4096);
	close(fd);
	size = (int32_t)random_range(f, 4097, 64 << 20);
	wl_shm_pool_resize(pool, size);
	/* A buffer at the end of the claimed range: reading it would fault
	 * on a server that believed the resize. */
	h = size / (w * 4);
	if (h > 1) {
		buffer = create_buffer(c, pool, 0, w, h, w * 4,
				       WL_SHM_FORMAT_XRGB8888);
		wl_surface_attach(c->window.surface, buffer, 0, 0);
		wl_surface_damage(c->window.surface, 0, 0, w, h);
		wl_surface_commit(c->window.surface);
	}
	expect_error(f, c, SHM_INVALID_FD, "wl_shm_pool");
	return true;
}

/* Positive control: a resize into a grown file is fine, and a buffer in
 * the new range can be used right away. */
static bool
attack_resize_after_growth(struct fuzz *f, struct conn *c)
{
	struct wl_shm_pool *pool;
	struct wl_buffer *buffer;
	int32_t w, h, size;
	int fd;

	random_geometry(f, &w, &h);
	size = w * h * 4;
	fd = sealed_memfd(4096, F_SEAL_SHRINK | F_SEAL_SEAL);
	if (fd < 0)
		return false;
	pool = create_pool(c, fd, 4096);
	if (posix_fallocate(fd, 0, 4096 + (off_t)size) != 0) {
		unexpected(f, "growing a SHRINK-sealed memfd failed");
		close(fd);
		return true;
	}
	fill(fd, 4096, (size_t)size, 0xff808080);
	close(fd);
	wl_shm_pool_resize(pool, 4096 + size);
	buffer = create_buffer(c, pool, 4096, w, h, w * 4,
			       WL_SHM_FORMAT_XRGB8888);
	expect_ok(f, c, buffer, w, h, "buffer in the grown range");
	return true;
}

static void
resize_to(struct fuzz *f, struct conn *c, int32_t size)
{
	int32_t initial = 8192;
	struct wl_shm_pool *pool;
	int fd = sealed_memfd((size_t)initial, F_SEAL_SHRINK);

	if (fd < 0) {
		unexpected(f, "memfd: %s", strerror(errno));
		return;
	}
	pool = create_pool(c, fd, initial);
	close(fd);
	wl_shm_pool_resize(pool, size);
	/* Like libwayland: a size that is not a valid new size is a
	 * "bad size" (invalid_stride), unlike a size beyond the file. */
	expect_error(f, c, SHM_INVALID_STRIDE, "wl_shm_pool");
}

static bool
attack_resize_to_zero(struct fuzz *f, struct conn *c)
{
	resize_to(f, c, 0);
	return true;
}

static bool
attack_resize_negative(struct fuzz *f, struct conn *c)
{
	resize_to(f, c, (int32_t)random_range(f, INT32_MIN, -1));
	return true;
}

static bool
attack_resize_smaller(struct fuzz *f, struct conn *c)
{
	resize_to(f, c, (int32_t)random_range(f, 1, 8191));
	return true;
}

static bool
attack_create_pool_bad_size(struct fuzz *f, struct conn *c)
{
	int fd = sealed_memfd(4096, F_SEAL_SHRINK);

	if (fd < 0)
		return false;
	create_pool(c, fd,
		    next_random(f) & 1
			    ? 0
			    : (int32_t)random_range(f, INT32_MIN, -1));
	close(fd);
	expect_error(f, c, SHM_INVALID_STRIDE, "wl_shm");
	return true;
}

/* The client's own attempts to shrink a sealed, displayed buffer. */
static bool
attack_ftruncate_sealed(struct fuzz *f, struct conn *c)
{
	struct pool_buffer pb;
	int32_t w, h;
	off_t size;
	int fd, r;

	random_geometry(f, &w, &h);
	size = (off_t)w * h * 4;
	fd = sealed_memfd((size_t)size, F_SEAL_SHRINK);
	if (fd < 0)
		return false;
	fill(fd, 0, (size_t)size, 0xffffff00);
	make_buffer(f, c, fd, w, h, &pb);
	expect_ok(f, c, pb.buffer, w, h, "sealed buffer");
	r = ftruncate(fd, 0);
	expect_eperm(f, r, errno, "ftruncate(0) of a SHRINK-sealed memfd");
	r = ftruncate(fd, (off_t)random_range(f, 0, size - 1));
	expect_eperm(f, r, errno, "ftruncate smaller of a SHRINK-sealed memfd");
	expect_ok(f, c, pb.buffer, w, h, "commit after the refused shrinks");
	close(fd);
	return true;
}

/* Holes punched in a displayed buffer read as zeros, no fault. */
static bool
attack_punch_hole(struct fuzz *f, struct conn *c)
{
	struct pool_buffer pb;
	int32_t w, h;
	off_t size, start;
	int fd, i;

	random_geometry(f, &w, &h);
	size = (off_t)w * h * 4;
	fd = sealed_memfd((size_t)size, F_SEAL_SHRINK | F_SEAL_SEAL);
	if (fd < 0)
		return false;
	fill(fd, 0, (size_t)size, 0xff00ffff);
	make_buffer(f, c, fd, w, h, &pb);
	expect_ok(f, c, pb.buffer, w, h, "buffer before the holes");
	for (i = 0; i < 4 && !f->failed; i++) {
		start = (off_t)random_range(f, 0, size - 1);
		if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      start,
			      (off_t)random_range(f, 1, size - start)) < 0) {
			unexpected(f, "punching a hole: %s", strerror(errno));
			break;
		}
		expect_ok(f, c, pb.buffer, w, h, "buffer with holes");
	}
	close(fd);
	return true;
}

static bool
attack_bad_geometry(struct fuzz *f, struct conn *c)
{
	int32_t pool_size = 1 << 20, offset = 0, w = 64, h = 64, stride = 256;
	struct wl_shm_pool *pool;
	struct wl_buffer *buffer;
	int fd;

	fd = sealed_memfd((size_t)pool_size, F_SEAL_SHRINK);
	if (fd < 0)
		return false;
	pool = create_pool(c, fd, pool_size);
	close(fd);
	switch (random_range(f, 0, 8)) {
	case 0:
		w = (int32_t)random_range(f, INT32_MIN, 0);
		break;
	case 1:
		h = (int32_t)random_range(f, INT32_MIN, 0);
		break;
	case 2: /* stride smaller than a row */
		stride = (int32_t)random_range(f, INT32_MIN, w * 4 - 1);
		break;
	case 3: /* stride not a multiple of the pixel size */
		stride = w * 4 + (int32_t)random_range(f, 1, 3);
		break;
	case 4:
		offset = (int32_t)random_range(f, INT32_MIN, -1);
		break;
	case 5: /* just past the end */
		offset = pool_size - stride * h +
			 (int32_t)random_range(f, 4, 4096);
		break;
	case 6: /* stride * height overflows 32 bits */
		stride = INT32_MAX & ~3;
		h = (int32_t)random_range(f, 2, INT32_MAX);
		break;
	case 7: /* width * 4 overflows 32 bits */
		w = (int32_t)random_range(f, INT32_MAX / 4 + 1, INT32_MAX);
		stride = INT32_MAX & ~3;
		h = 1;
		break;
	default: /* offset + size overflows 32 bits */
		offset = INT32_MAX - 1024;
		break;
	}
	buffer = create_buffer(c, pool, offset, w, h, stride,
			       WL_SHM_FORMAT_XRGB8888);
	wl_surface_attach(c->window.surface, buffer, 0, 0);
	wl_surface_commit(c->window.surface);
	expect_error(f, c, SHM_INVALID_STRIDE, "wl_shm_pool");
	return true;
}

static bool
attack_bad_format(struct fuzz *f, struct conn *c)
{
	struct wl_shm_pool *pool;
	uint32_t format;
	int fd;

	do {
		format = (uint32_t)next_random(f);
	} while (has_format(c, format));
	fd = sealed_memfd(1 << 16, F_SEAL_SHRINK);
	if (fd < 0)
		return false;
	pool = create_pool(c, fd, 1 << 16);
	close(fd);
	create_buffer(c, pool, 0, 16, 16, 64, format);
	expect_error(f, c, SHM_INVALID_FORMAT, "wl_shm_pool");
	return true;
}

/* Buffers and pools destroyed while a frame using them is in flight. */
static bool
attack_destroy_mid_frame(struct fuzz *f, struct conn *c)
{
	struct pool_buffer pb;
	struct observed o;
	int32_t w, h;
	int fd;

	random_geometry(f, &w, &h);
	fd = sealed_memfd((size_t)w * h * 4, F_SEAL_SHRINK);
	if (fd < 0)
		return false;
	fill(fd, 0, (size_t)w * h * 4, 0xff404040);
	make_buffer(f, c, fd, w, h, &pb);
	close(fd);
	if (next_random(f) & 1)
		destroy_tracked(c, pb.pool, destroy_pool);
	attach_with_frame(c, pb.buffer, w, h);
	wl_surface_commit(c->window.surface);
	/* Gone before the compositor could composite. */
	destroy_tracked(c, pb.buffer, destroy_buffer);
	if (next_random(f) & 1)
		wl_surface_commit(c->window.surface);
	dispatch_until(c, &c->frame.done, &o);
	expect_ok_observed(f, &o, "frame after destroying its buffer");
	if (!f->failed)
		expect_ok(f, c, NULL, TOPLEVEL_SIZE, TOPLEVEL_SIZE,
			  "base buffer after the destroyed one");
	return true;
}

/* Hang up with a frame in flight, without any goodbye.  The next
 * connection (of this attack, and of the next iteration) proves the
 * compositor survived. */
static bool
attack_disconnect_mid_frame(struct fuzz *f, struct conn *c)
{
	struct pool_buffer pb;
	struct conn fresh;
	struct observed o;
	int32_t w, h;
	int fd;

	random_geometry(f, &w, &h);
	fd = sealed_memfd((size_t)w * h * 4, F_SEAL_SHRINK);
	if (fd < 0)
		return false;
	make_buffer(f, c, fd, w, h, &pb);
	close(fd);
	wl_surface_attach(c->window.surface, pb.buffer, 0, 0);
	wl_surface_damage(c->window.surface, 0, 0, w, h);
	wl_surface_commit(c->window.surface);
	if (next_random(f) & 1)
		create_pool(c, c->base_fd, 4096);
	flush_all(c);
	/* Close the socket under libwayland: the abrupt way. */
	shutdown(wl_display_get_fd(c->g.display), SHUT_RDWR);

	if (conn_open(f, &fresh) == -1) {
		f->compositor_died = true;
		unexpected(f, "cannot connect after an abrupt disconnect");
		return true;
	}
	if (!f->failed) {
		roundtrip(&fresh, &o);
		expect_ok_observed(f, &o, "new connection after a hang-up");
	}
	conn_close(&fresh);
	return true;
}

/* Many pools from one client: below the per-client limit they are all
 * accepted; above it, the pool past the limit is refused. */
static bool
attack_pool_flood(struct fuzz *f, struct conn *c)
{
	bool over = random_range(f, 0, 3) == 0;
	int n = over ? DEFAULT_MAX_POOLS_PER_CLIENT +
				(int)random_range(f, 1, 64)
		     : (int)random_range(f, 16, 1024);
	int fd = sealed_memfd(4096, F_SEAL_SHRINK | F_SEAL_SEAL), i;

	if (fd < 0)
		return false;
	for (i = 0; i < n; i++) {
		create_pool(c, fd, 4096);
		if (i % 16 == 15 && !flush_all(c))
			break;
	}
	close(fd);
	if (over)
		expect_error(f, c, SHM_INVALID_FD, "wl_shm");
	else
		expect_ok(f, c, NULL, 0, 0, "a flood of pools under the limit");
	return true;
}

/*
 * Many 1x1 buffers on one 4-byte pool: below the per-client buffer limit
 * (which the toplevel's own buffer counts against) they are all accepted;
 * past it, create_buffer is refused with invalid_stride.
 */
static bool
attack_buffer_flood(struct fuzz *f, struct conn *c)
{
	bool over = random_range(f, 0, 3) == 0;
	int n = over ? DEFAULT_MAX_BUFFERS_PER_CLIENT +
				(int)random_range(f, 1, 64)
		     : (int)random_range(f, 16, 4096);
	int fd = sealed_memfd(4096, F_SEAL_SHRINK | F_SEAL_SEAL), i;
	struct wl_shm_pool *pool;

	if (fd < 0)
		return false;
	pool = create_pool(c, fd, 4);
	close(fd);
	for (i = 0; i < n; i++) {
		create_buffer(c, pool, 0, 1, 1, 4, WL_SHM_FORMAT_XRGB8888);
		if (i % 64 == 63 && !flush_all(c))
			break;
	}
	if (over)
		expect_error(f, c, SHM_INVALID_STRIDE, "wl_shm_pool");
	else
		expect_ok(f, c, NULL, 0, 0,
			  "a flood of buffers under the limit");
	return true;
}

/*
 * Mappings pinned by buffers: pools of 4 bytes, each its own sealed memfd
 * (pools of one file may share a mapping), each resized twice by a factor
 * of 8 (past any room a server maps ahead) with a 1x1 buffer after every
 * step holding the mapping of that moment, so every resize needs a new
 * mapping: 3 per pool.  Below the per-client mapping limit all are
 * accepted; a flood runs into it (or, on a server with a lower fd budget,
 * into that: invalid_fd either way).
 */
static bool
attack_mapping_flood(struct fuzz *f, struct conn *c)
{
	static const int32_t sizes[] = { 4, 4 + 8 * 4096, 4 + 64 * 4096 };
	bool over = random_range(f, 0, 3) == 0;
	int n = over ? DEFAULT_MAX_POOLS_PER_CLIENT
		     : (int)random_range(f, 16, 512);
	struct observed o;
	int i, r;

	for (i = 0; i < n; i++) {
		int fd = sealed_memfd((size_t)sizes[2], F_SEAL_SHRINK);
		struct wl_shm_pool *pool;

		if (fd < 0) {
			unexpected(f, "memfd: %s", strerror(errno));
			return true;
		}
		pool = create_pool(c, fd, sizes[0]);
		close(fd);
		for (r = 0; r < 3; r++) {
			if (r > 0)
				wl_shm_pool_resize(pool, sizes[r]);
			create_buffer(c, pool, sizes[r] - 4, 1, 1, 4,
				      WL_SHM_FORMAT_XRGB8888);
		}
		if (!flush_all(c))
			break;
		/* Stop at the refusal instead of sending thousands more. */
		if (over && i % 256 == 255) {
			roundtrip(c, &o);
			if (o.kind != OBSERVED_OK)
				break;
		}
	}
	if (over)
		expect_error(f, c, SHM_INVALID_FD, NULL);
	else
		expect_ok(f, c, NULL, 0, 0, "pinned mappings under the limit");
	return true;
}

/* Large sparse pools: address space and the per-client byte limit. */
static bool
attack_bytes_flood(struct fuzz *f, struct conn *c)
{
	size_t size = (size_t)256 << 20;
	bool over = next_random(f) & 1;
	int n = over ? (int)(DEFAULT_MAX_BYTES_PER_CLIENT / size) +
				(int)random_range(f, 1, 4)
		     : (int)random_range(f, 1, 8);
	int fd, i;

	/* One file each: pools of one file share its mapping, and cost
	 * its bytes once. */
	for (i = 0; i < n; i++) {
		fd = sealed_memfd(size, F_SEAL_SHRINK | F_SEAL_SEAL);
		if (fd < 0)
			return false;
		create_pool(c, fd, (int32_t)size);
		close(fd);
	}
	if (over)
		expect_error(f, c, SHM_INVALID_FD, "wl_shm");
	else
		expect_ok(f, c, NULL, 0, 0, "large pools under the limit");
	return true;
}

static const struct attack attacks[] = {
	{ "unsealed-memfd", attack_unsealed_memfd },
	{ "unsealable-memfd", attack_unsealable_memfd },
	{ "dev-shm-file", attack_dev_shm_file },
	{ "disk-file", attack_disk_file },
	{ "hugetlb-memfd", attack_hugetlb_memfd },
	{ "pipe-fd", attack_pipe_fd },
	{ "socket-fd", attack_socket_fd },
	{ "dev-zero-fd", attack_dev_zero_fd },
	{ "directory-fd", attack_directory_fd },
	{ "eventfd-fd", attack_eventfd_fd },
	{ "procfs-file", attack_procfs_file },
	{ "write-only-fd", attack_write_only_fd },
	{ "o-path-fd", attack_o_path_fd },
	{ "read-only-fd", attack_read_only_fd },
	{ "write-sealed-memfd", attack_write_sealed },
	{ "pool-beyond-file-at-create", attack_pool_beyond_file_at_create },
	{ "pool-beyond-file-at-resize", attack_pool_beyond_file_at_resize },
	{ "resize-after-growth", attack_resize_after_growth },
	{ "resize-to-zero", attack_resize_to_zero },
	{ "resize-negative", attack_resize_negative },
	{ "resize-smaller", attack_resize_smaller },
	{ "create-pool-bad-size", attack_create_pool_bad_size },
	{ "ftruncate-sealed", attack_ftruncate_sealed },
	{ "punch-hole-displayed", attack_punch_hole },
	{ "bad-geometry", attack_bad_geometry },
	{ "bad-format", attack_bad_format },
	{ "destroy-mid-frame", attack_destroy_mid_frame },
	{ "disconnect-mid-frame", attack_disconnect_mid_frame },
	{ "pool-flood", attack_pool_flood },
	{ "bytes-flood", attack_bytes_flood },
	{ "buffer-flood", attack_buffer_flood },
	{ "mapping-flood", attack_mapping_flood },
};

#define ATTACK_COUNT (sizeof(attacks) / sizeof(attacks[0]))

/* ---- main ---- */

static void
usage(FILE *out)
{
	fprintf(out,
		"Usage: sealshm-fuzz-truncate [OPTION]...\n"
		"Attack the Wayland compositor at $WAYLAND_DISPLAY with seeded "
		"random wl_shm\nmisbehaviour (every failure mode of "
		"doc/design.md), each on a mapped xdg\ntoplevel; check every "
		"outcome against the compositor's policy.\n\n"
		"  --seed N           random seed (default: from the clock; "
		"printed)\n"
		"  --iterations N     number of attacks (default 200, or "
		"unlimited with\n"
		"                     --duration)\n"
		"  --duration SECS    stop after this many seconds\n"
		"  --policy P         strict, seal or copy: MUST match the "
		"compositor's\n"
		"                     sealshm policy, it decides which outcome "
		"is expected\n"
		"                     (default strict).  The flood attacks "
		"also assume the\n"
		"                     server's default per-client limits.\n"
		"  --attack NAME      run only this kind of attack; repeat "
		"for several\n"
		"                     (default: every kind)\n"
		"  --list-attacks     print the kinds of attack and exit\n"
		"  --help             this text\n\n"
		"Prints one line per attack kind: tried, as expected, "
		"unexpected.\n"
		"Exit status: 0 all as expected, 1 an unexpected outcome, "
		"2 bad usage,\n3 the compositor died or refused connections.\n");
}

static bool
parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

static void
handle_signal(int sig)
{
	interrupted = 1;
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "iterations", required_argument, NULL, 'i' },
		{ "duration", required_argument, NULL, 'd' },
		{ "policy", required_argument, NULL, 'p' },
		{ "attack", required_argument, NULL, 'a' },
		{ "list-attacks", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct attack_stats stats[ATTACK_COUNT] = { 0 };
	/* the kinds to choose from: every one unless --attack names some */
	size_t selected[ATTACK_COUNT], selected_len = 0;
	bool chosen[ATTACK_COUNT] = { false };
	struct fuzz f = { .policy = POLICY_STRICT };
	uint64_t iterations = 0, duration = 0, total = 0, bad = 0;
	bool have_seed = false, have_iterations = false;
	struct sigaction sa = { .sa_handler = handle_signal };
	double start;
	struct conn c;
	size_t k;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (!parse_u64(optarg, &f.seed))
				goto bad_number;
			have_seed = true;
			break;
		case 'i':
			if (!parse_u64(optarg, &iterations) || !iterations)
				goto bad_number;
			have_iterations = true;
			break;
		case 'd':
			if (!parse_u64(optarg, &duration) || !duration)
				goto bad_number;
			break;
		case 'p':
			for (k = 0; k < 3; k++) {
				if (strcmp(optarg, policy_names[k]) == 0)
					break;
			}
			if (k == 3) {
				fprintf(stderr,
					"sealshm-fuzz-truncate: unknown "
					"policy '%s': use strict, seal or copy "
					"(the compositor's)\n",
					optarg);
				return EXIT_USAGE;
			}
			f.policy = (enum policy)k;
			break;
		case 'a':
			for (k = 0; k < ATTACK_COUNT; k++) {
				if (strcmp(optarg, attacks[k].name) == 0)
					break;
			}
			if (k == ATTACK_COUNT) {
				fprintf(stderr,
					"sealshm-fuzz-truncate: unknown "
					"attack '%s'; --list-attacks "
					"prints them\n",
					optarg);
				return EXIT_USAGE;
			}
			if (!chosen[k])
				selected[selected_len++] = k;
			chosen[k] = true;
			break;
		case 'l':
			for (k = 0; k < ATTACK_COUNT; k++)
				printf("%s\n", attacks[k].name);
			return EXIT_SUCCESS;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			fprintf(stderr,
				"Try 'sealshm-fuzz-truncate --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr,
			"sealshm-fuzz-truncate: unexpected argument "
			"'%s'; try --help\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	if (!selected_len) {
		for (k = 0; k < ATTACK_COUNT; k++)
			selected[selected_len++] = k;
	}
	if (!have_iterations)
		iterations = duration ? UINT64_MAX : 200;
	if (!have_seed)
		f.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	f.rng = f.seed;

	wl_log_set_handler_client(handle_wayland_log);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A dying compositor must show as a failed write, not kill us. */
	signal(SIGPIPE, SIG_IGN);

	printf("fuzz-truncate: seed %" PRIu64 ", policy %s\n", f.seed,
	       policy_names[f.policy]);
	fflush(stdout);

	start = now_seconds();
	for (f.iteration = 0; f.iteration < iterations && !interrupted;
	     f.iteration++) {
		if (duration && now_seconds() - start >= (double)duration)
			break;
		k = selected[next_random(&f) % selected_len];
		f.attack = attacks[k].name;
		f.failed = false;
		r = conn_open(&f, &c);
		if (r == -1) {
			f.connect_errno = errno;
			f.compositor_died = true;
			break;
		}
		if (r == 0) {
			if (!attacks[k].run(&f, &c)) {
				stats[k].not_applicable++;
				conn_close(&c);
				continue;
			}
		}
		conn_close(&c);
		stats[k].tried++;
		if (f.failed)
			stats[k].unexpected++;
		else
			stats[k].expected++;
		if (f.compositor_died)
			break;
	}

	for (k = 0; k < ATTACK_COUNT; k++) {
		if (selected_len < ATTACK_COUNT && !chosen[k])
			continue;
		printf("fuzz-truncate: %-28s tried %5u  as expected %5u  "
		       "unexpected %u",
		       attacks[k].name, stats[k].tried, stats[k].expected,
		       stats[k].unexpected);
		if (stats[k].not_applicable)
			printf("  (not possible here: %u)",
			       stats[k].not_applicable);
		putchar('\n');
		total += stats[k].tried;
		bad += stats[k].unexpected;
	}
	printf("fuzz-truncate: total tried %" PRIu64 ", as expected %" PRIu64
	       ", unexpected %" PRIu64 "\n",
	       total, total - bad, bad);
	if (f.compositor_died && total == 0 && f.iteration == 0) {
		fprintf(stderr,
			"fuzz-truncate: cannot connect to the compositor at "
			"WAYLAND_DISPLAY=%s: %s\n",
			getenv("WAYLAND_DISPLAY") ? getenv("WAYLAND_DISPLAY")
						  : "(unset)",
			strerror(f.connect_errno));
		return EXIT_COMPOSITOR_DIED;
	}
	if (f.compositor_died) {
		fprintf(stderr,
			"fuzz-truncate: the compositor died or refused "
			"connections (iteration %lu, seed %" PRIu64 ")\n",
			f.iteration, f.seed);
		return EXIT_COMPOSITOR_DIED;
	}
	return bad ? EXIT_UNEXPECTED : EXIT_SUCCESS;

bad_number:
	fprintf(stderr,
		"sealshm-fuzz-truncate: --%s needs a number (iterations "
		"and duration above zero), not '%s'\n",
		options[opt == 's'   ? 0
			: opt == 'i' ? 1
				     : 2]
			.name,
		optarg);
	return EXIT_USAGE;
}
