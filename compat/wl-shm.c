/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * libsealshm-wl-shm: libwayland-server's wl_shm API (wayland-server-core.h)
 * on top of libsealshm-server's public API.  Loaded before
 * libwayland-server (LD_PRELOAD, or linked first), its definitions take
 * every call a compositor makes, so libwayland's own wl_shm, and with it
 * its SIGBUS handler, never runs.
 *
 * A struct wl_shm_buffer here is a small wrapper around a sealshm_buffer,
 * made on the first wl_shm_buffer_get() and freed with the buffer (a
 * sealshm buffer destroy listener), so every call returns the same
 * pointer, also from the wl_buffer's destroy listeners and after the
 * client is gone.  A struct wl_shm_pool is the same wrapper: a pool
 * reference is a buffer reference, which keeps that buffer's mapping,
 * and so the pixels of every buffer made from it, alive.
 */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <wayland-server-core.h>

#include "sealshm/server.h"

#define EXPORT __attribute__((visibility("default")))
#define SHM_FORMAT_ARGB8888 0u
#define SHM_FORMAT_XRGB8888 1u

struct wl_shm_buffer {
	struct sealshm_buffer *buffer;
	struct wl_listener buffer_destroy;
	/*
	 * Copy policy only (event loop thread, like every copy-tier access):
	 * libwayland's end_access does not say whether the compositor
	 * wrote, so the outermost begin hashes the pixels and the outermost
	 * end compares, writing back only what changed.
	 */
	int copy_accesses;
	uint64_t copy_hash;
};

/* One per display that called wl_display_init_shm or _add_shm_format. */
struct shim_display {
	struct wl_display *display;
	struct wl_listener display_destroy;
	struct sealshm *shm;
	struct wl_array formats; /* uint32_t, ARGB8888 and XRGB8888 first */
};

/* What the environment asks for; read at wl_display_init_shm. */
struct shim_config {
	struct sealshm_options options;
	enum sealshm_log_level log_level;
};

static enum sealshm_log_level log_level = SEALSHM_LOG_INFO;

static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	va_list args;

	fputs("sealshm: ", stderr);
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fputc('\n', stderr);
}

static void __attribute__((format(printf, 2, 0)))
handle_log(enum sealshm_log_level level, const char *fmt, va_list args,
	   void *data)
{
	if (level > log_level)
		return;
	fputs("sealshm: ", stderr);
	vfprintf(stderr, fmt, args);
	fputc('\n', stderr);
}

/* Decimal, with an optional K, M or G (powers of 1024) for byte counts. */
static bool
parse_number(const char *text, bool bytes, uint64_t max, uint64_t *out)
{
	unsigned long long value;
	unsigned shift = 0;
	char *end;

	if (text[0] < '0' || text[0] > '9')
		return false;
	errno = 0;
	value = strtoull(text, &end, 10);
	if (errno != 0)
		return false;
	if (bytes && *end) {
		const char *units = "KMG", *unit = strchr(units, *end);

		if (!unit || !*unit)
			return false;
		shift = 10 * (unsigned)(unit - units + 1);
		end++;
	}
	if (*end || value == 0 || value > (max >> shift))
		return false;
	*out = (uint64_t)value << shift;
	return true;
}

static bool
read_limit(const char *name, bool bytes, uint64_t max, uint64_t *out)
{
	const char *text = getenv(name);

	if (!text || !*text)
		return true;
	if (parse_number(text, bytes, max, out))
		return true;
	say("%s=%s is not valid; use a number from 1 to %" PRIu64 "%s", name,
	    text, max, bytes ? " (K, M or G may follow)" : "");
	return false;
}

static bool
read_config(struct shim_config *config)
{
	static const char *const levels[] = { "error", "info", "debug" };
	const char *policy = getenv("SEALSHM_POLICY");
	const char *level = getenv("SEALSHM_LOG");
	uint64_t pools = 0;
	bool ok = true;

	memset(config, 0, sizeof(*config));
	config->options.size = sizeof(config->options);
	config->options.policy = SEALSHM_POLICY_COPY;
	config->log_level = SEALSHM_LOG_INFO;
	if (policy && *policy &&
	    !sealshm_policy_from_name(policy, &config->options.policy)) {
		say("SEALSHM_POLICY=%s is not valid; use strict, seal or copy",
		    policy);
		ok = false;
	}
	if (level && *level) {
		size_t i = 0;

		while (i < 3 && strcmp(level, levels[i]) != 0)
			i++;
		if (i == 3) {
			say("SEALSHM_LOG=%s is not valid; use error, info or "
			    "debug",
			    level);
			ok = false;
		}
		config->log_level = (enum sealshm_log_level)i;
	}
	ok &= read_limit("SEALSHM_MAX_POOL_SIZE", true, INT32_MAX,
			 &config->options.max_pool_size);
	ok &= read_limit("SEALSHM_MAX_BYTES_PER_CLIENT", true, UINT64_MAX,
			 &config->options.max_bytes_per_client);
	ok &= read_limit("SEALSHM_MAX_POOLS_PER_CLIENT", false, UINT32_MAX,
			 &pools);
	config->options.max_pools_per_client = (uint32_t)pools;
	config->options.log_handler = handle_log;
	return ok;
}

static uint64_t
or_default(uint64_t value, uint64_t fallback)
{
	return value ? value : fallback;
}

/*
 * sealshm_create() raised RLIMIT_NOFILE for the pools' fds; programs the
 * compositor forks (Xwayland, panels, clients) get the limit it had
 * before, as they would without sealshm.  Only our own raise is undone:
 * a compositor that lowers the limit in its children itself (sway) has
 * done so by the time a later fork runs this, and is left alone.
 * posix_spawn() runs no fork handlers, so its children keep the raised
 * limit.
 */
static rlim_t nofile_before = RLIM_INFINITY, nofile_raised = RLIM_INFINITY;

static void
restore_nofile_in_child(void)
{
	struct rlimit lim;

	if (getrlimit(RLIMIT_NOFILE, &lim) < 0 || lim.rlim_cur != nofile_raised)
		return;
	lim.rlim_cur = nofile_before;
	setrlimit(RLIMIT_NOFILE, &lim);
}

static void
remember_nofile(rlim_t before)
{
	static bool registered;
	struct rlimit lim;

	if (before == RLIM_INFINITY || getrlimit(RLIMIT_NOFILE, &lim) < 0 ||
	    lim.rlim_cur == before)
		return;
	nofile_before = before;
	nofile_raised = lim.rlim_cur;
	if (!registered)
		registered = pthread_atfork(NULL, NULL,
					    restore_nofile_in_child) == 0;
}

/*
 * The compositor's children should not load us: drop every
 * libsealshm-wl-shm entry from LD_PRELOAD (separated by ':' or spaces),
 * keeping the others in their order.
 */
static void
drop_preload(void)
{
	const char *preload = getenv("LD_PRELOAD");
	char *copy, *kept, *entry, *save = NULL;
	size_t len = 0;

	if (!preload || !strstr(preload, "libsealshm-wl-shm.so"))
		return;
	copy = strdup(preload);
	kept = calloc(1, strlen(preload) + 1);
	if (!copy || !kept)
		goto out;
	for (entry = strtok_r(copy, ": ", &save); entry;
	     entry = strtok_r(NULL, ": ", &save)) {
		const char *base = strrchr(entry, '/');

		base = base ? base + 1 : entry;
		if (strncmp(base, "libsealshm-wl-shm.so", 20) == 0)
			continue;
		len += (size_t)sprintf(kept + len, "%s%s", len ? ":" : "",
				       entry);
	}
	if (len)
		setenv("LD_PRELOAD", kept, 1);
	else
		unsetenv("LD_PRELOAD");
out:
	free(copy);
	free(kept);
}

static void
handle_display_destroy(struct wl_listener *listener, void *data)
{
	struct shim_display *sd =
		wl_container_of(listener, sd, display_destroy);

	/* sealshm destroys itself with the display. */
	wl_list_remove(&sd->display_destroy.link);
	wl_array_release(&sd->formats);
	free(sd);
}

static struct shim_display *
shim_display_get(struct wl_display *display)
{
	struct wl_listener *listener;
	struct shim_display *sd;
	uint32_t *codes;

	listener = wl_display_get_destroy_listener(display,
						   handle_display_destroy);
	if (listener)
		return wl_container_of(listener, sd, display_destroy);

	sd = calloc(1, sizeof(*sd));
	if (!sd)
		return NULL;
	wl_array_init(&sd->formats);
	codes = wl_array_add(&sd->formats, 2 * sizeof(*codes));
	if (!codes) {
		free(sd);
		return NULL;
	}
	codes[0] = SHM_FORMAT_ARGB8888;
	codes[1] = SHM_FORMAT_XRGB8888;
	sd->display = display;
	sd->display_destroy.notify = handle_display_destroy;
	wl_display_add_destroy_listener(display, &sd->display_destroy);
	return sd;
}

static int
apply_formats(struct shim_display *sd)
{
	if (!sd->shm)
		return 0;
	return sealshm_set_formats(sd->shm, sd->formats.data,
				   sd->formats.size / sizeof(uint32_t));
}

EXPORT int
wl_display_init_shm(struct wl_display *display)
{
	struct shim_config config;
	struct shim_display *sd;
	struct rlimit lim;

	if (!read_config(&config)) {
		say("refusing to start: fix the variable above (see "
		    "sealshm-run(1))");
		return -1;
	}
	log_level = config.log_level;
	sd = shim_display_get(display);
	if (!sd) {
		say("out of memory");
		return -1;
	}
	if (sd->shm)
		return 0;

	if (getrlimit(RLIMIT_NOFILE, &lim) < 0)
		lim.rlim_cur = RLIM_INFINITY;
	sd->shm = sealshm_create(display, &config.options);
	if (!sd->shm) {
		say("sealshm_create failed: %s", strerror(errno));
		return -1;
	}
	if (apply_formats(sd) < 0) {
		say("could not set the formats: %s", strerror(errno));
		sealshm_destroy(sd->shm);
		sd->shm = NULL;
		return -1;
	}
	remember_nofile(lim.rlim_cur);
	drop_preload();

	if (log_level >= SEALSHM_LOG_INFO)
		say("libsealshm-wl-shm %s protecting wl_shm: policy %s, "
		    "pools up to %" PRIu64 " bytes, per client %" PRIu64
		    " bytes and %" PRIu64 " pools; no SIGBUS handler",
		    SEALSHM_VERSION, sealshm_policy_name(config.options.policy),
		    or_default(config.options.max_pool_size,
			       SEALSHM_DEFAULT_MAX_POOL_SIZE),
		    or_default(config.options.max_bytes_per_client,
			       SEALSHM_DEFAULT_MAX_BYTES_PER_CLIENT),
		    or_default(config.options.max_pools_per_client,
			       SEALSHM_DEFAULT_MAX_POOLS_PER_CLIENT));
	return 0;
}

EXPORT uint32_t *
wl_display_add_shm_format(struct wl_display *display, uint32_t format)
{
	struct shim_display *sd = shim_display_get(display);
	uint32_t *code;

	if (!sd)
		return NULL;
	wl_array_for_each (code, &sd->formats) {
		if (*code == format)
			return code;
	}
	code = wl_array_add(&sd->formats, sizeof(*code));
	if (!code)
		return NULL;
	*code = format;
	/* Clients that bind from now on see it, as with libwayland. */
	if (apply_formats(sd) < 0) {
		sd->formats.size -= sizeof(*code);
		return NULL;
	}
	return code;
}

static void
handle_buffer_destroy(struct wl_listener *listener, void *data)
{
	struct wl_shm_buffer *shim =
		wl_container_of(listener, shim, buffer_destroy);

	wl_list_remove(&shim->buffer_destroy.link);
	free(shim);
}

EXPORT struct wl_shm_buffer *
wl_shm_buffer_get(struct wl_resource *resource)
{
	struct sealshm_buffer *buffer = sealshm_buffer_from_resource(resource);
	struct wl_listener *listener;
	struct wl_shm_buffer *shim;

	if (!buffer)
		return NULL;
	listener = sealshm_buffer_get_destroy_listener(buffer,
						       handle_buffer_destroy);
	if (listener)
		return wl_container_of(listener, shim, buffer_destroy);

	shim = calloc(1, sizeof(*shim));
	if (!shim)
		return NULL;
	shim->buffer = buffer;
	shim->buffer_destroy.notify = handle_buffer_destroy;
	sealshm_buffer_add_destroy_listener(buffer, &shim->buffer_destroy);
	return shim;
}

EXPORT void *
wl_shm_buffer_get_data(struct wl_shm_buffer *shim)
{
	return sealshm_buffer_get_data(shim->buffer);
}

EXPORT int32_t
wl_shm_buffer_get_stride(struct wl_shm_buffer *shim)
{
	return sealshm_buffer_get_stride(shim->buffer);
}

EXPORT uint32_t
wl_shm_buffer_get_format(struct wl_shm_buffer *shim)
{
	return sealshm_buffer_get_format(shim->buffer);
}

EXPORT int32_t
wl_shm_buffer_get_width(struct wl_shm_buffer *shim)
{
	return sealshm_buffer_get_width(shim->buffer);
}

EXPORT int32_t
wl_shm_buffer_get_height(struct wl_shm_buffer *shim)
{
	return sealshm_buffer_get_height(shim->buffer);
}

/*
 * FNV-style over 64-bit words with four independent lanes, so it runs at
 * memory speed rather than at the multiplier's latency.  Not for
 * security: it only tells whether the compositor changed the pixels.
 */
static uint64_t
hash_pixels(const void *data, size_t len)
{
	const uint64_t prime = UINT64_C(0x100000001b3);
	uint64_t lane[4] = { 1, 2, 3, 4 }, word;
	const unsigned char *p = data;
	size_t i = 0;

	for (; i + 32 <= len; i += 32) {
		for (int k = 0; k < 4; k++) {
			memcpy(&word, p + i + 8 * k, sizeof(word));
			lane[k] = (lane[k] ^ word) * prime;
		}
	}
	for (; i < len; i++)
		lane[0] = (lane[0] ^ p[i]) * prime;
	return lane[0] ^ (lane[1] << 1) ^ (lane[2] << 2) ^ (lane[3] << 3);
}

static size_t
pixel_bytes(struct wl_shm_buffer *shim)
{
	return (size_t)sealshm_buffer_get_stride(shim->buffer) *
	       (size_t)sealshm_buffer_get_height(shim->buffer);
}

EXPORT void
wl_shm_buffer_begin_access(struct wl_shm_buffer *shim)
{
	void *data = sealshm_buffer_begin_access(shim->buffer);

	if (sealshm_buffer_is_copied(shim->buffer) &&
	    shim->copy_accesses++ == 0)
		shim->copy_hash = hash_pixels(data, pixel_bytes(shim));
}

EXPORT void
wl_shm_buffer_end_access(struct wl_shm_buffer *shim)
{
	struct sealshm_buffer *buffer = shim->buffer;
	bool wrote = false;

	if (sealshm_buffer_is_copied(buffer) && --shim->copy_accesses == 0 &&
	    !sealshm_buffer_is_read_only(buffer))
		wrote = hash_pixels(sealshm_buffer_get_data(buffer),
				    pixel_bytes(shim)) != shim->copy_hash;
	sealshm_buffer_end_access(buffer, wrote);
}

EXPORT struct wl_shm_pool *
wl_shm_buffer_ref_pool(struct wl_shm_buffer *shim)
{
	sealshm_buffer_ref(shim->buffer);
	return (struct wl_shm_pool *)shim;
}

EXPORT void
wl_shm_pool_unref(struct wl_shm_pool *pool)
{
	/* May free the wrapper, through handle_buffer_destroy. */
	sealshm_buffer_unref(((struct wl_shm_buffer *)pool)->buffer);
}

/* Added in libwayland 1.24; its older headers lack the prototypes. */
struct wl_shm_buffer *wl_shm_buffer_ref(struct wl_shm_buffer *shim);
void wl_shm_buffer_unref(struct wl_shm_buffer *shim);

EXPORT struct wl_shm_buffer *
wl_shm_buffer_ref(struct wl_shm_buffer *shim)
{
	sealshm_buffer_ref(shim->buffer);
	return shim;
}

EXPORT void
wl_shm_buffer_unref(struct wl_shm_buffer *shim)
{
	if (shim)
		sealshm_buffer_unref(shim->buffer);
}

/* Deprecated in libwayland, which returns NULL since 1.2x; so do we. */
EXPORT struct wl_shm_buffer *
wl_shm_buffer_create(struct wl_client *client, uint32_t id, int32_t width,
		     int32_t height, int32_t stride, uint32_t format)
{
	return NULL;
}
