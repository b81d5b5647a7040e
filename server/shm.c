/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 */

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <wayland-server-core.h>

#include "export.h"
#include "fs.h"
#include "pool.h"
#include "sealshm-shm-server-protocol.h"
#include "shm.h"

static const char *const reject_reason_names[] = {
	[SEALSHM_REJECT_NOT_REGULAR] = "not-regular",
	[SEALSHM_REJECT_NOT_SHMEM] = "not-shmem",
	[SEALSHM_REJECT_UNSEALED] = "unsealed",
	[SEALSHM_REJECT_BAD_SIZE] = "bad-size",
	[SEALSHM_REJECT_FILE_TOO_SMALL] = "file-too-small",
	[SEALSHM_REJECT_POOL_TOO_LARGE] = "pool-too-large",
	[SEALSHM_REJECT_CLIENT_POOLS] = "client-pools",
	[SEALSHM_REJECT_CLIENT_BYTES] = "client-bytes",
	[SEALSHM_REJECT_MAP_FAILED] = "map-failed",
	[SEALSHM_REJECT_UNSAFE_FS] = "unsafe-fs",
	[SEALSHM_REJECT_CLIENT_MAPPINGS] = "client-mappings",
	[SEALSHM_REJECT_COMPOSITOR_BUDGET] = "compositor-budget",
};

static const char *const policy_names[] = {
	[SEALSHM_POLICY_STRICT] = "strict",
	[SEALSHM_POLICY_SEAL] = "seal",
	[SEALSHM_POLICY_COPY] = "copy",
};

static void __attribute__((format(printf, 2, 0)))
default_log_handler(enum sealshm_log_level level, const char *fmt, va_list args,
		    void *user_data)
{
	if (level != SEALSHM_LOG_ERROR)
		return;
	fputs("sealshm: ", stderr);
	vfprintf(stderr, fmt, args);
	fputc('\n', stderr);
}

static void __attribute__((format(printf, 4, 5)))
log_with(sealshm_log_func_t handler, void *data, enum sealshm_log_level level,
	 const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	handler(level, fmt, args, data);
	va_end(args);
}

static void
shm_vlog(struct sealshm *shm, enum sealshm_log_level level, const char *fmt,
	 va_list args)
{
	/* The compositor's handler and user data may be gone with it. */
	if (shm->destroyed)
		return;
	shm->log_handler(level, fmt, args, shm->log_user_data);
}

void
shm_log(struct sealshm *shm, enum sealshm_log_level level, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	shm_vlog(shm, level, fmt, args);
	va_end(args);
}

void
shm_client_verror(struct shm_client *owner, struct wl_resource *resource,
		  uint32_t code, const char *fmt, va_list args)
{
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, args);
	shm_log(owner->shm, SEALSHM_LOG_DEBUG, "client bug: %s@%" PRIu32 ": %s",
		wl_resource_get_class(resource), wl_resource_get_id(resource),
		msg);
	wl_resource_post_error(resource, code, "%s", msg);
	/* libwayland keeps only the first error of a client. */
	if (!owner->errored) {
		owner->errored = true;
		owner->shm->stats.clients_disconnected++;
	}
}

void
shm_client_error(struct shm_client *owner, struct wl_resource *resource,
		 uint32_t code, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	shm_client_verror(owner, resource, code, fmt, args);
	va_end(args);
}

static void
sealshm_unref(struct sealshm *shm)
{
	assert(shm->refcount > 0);
	if (--shm->refcount > 0)
		return;
	fs_cache_finish(shm);
	free(shm->formats);
	free(shm);
}

void
shm_client_charge(struct shm_client *owner, int64_t bytes)
{
	owner->bytes += (uint64_t)bytes;
	owner->shm->bytes += (uint64_t)bytes;
}

struct shm_client *
shm_client_ref(struct shm_client *owner)
{
	owner->refcount++;
	return owner;
}

void
shm_client_unref(struct shm_client *owner)
{
	assert(owner->refcount > 0);
	if (--owner->refcount > 0)
		return;
	wl_list_remove(&owner->link);
	sealshm_unref(owner->shm);
	free(owner);
}

static void
handle_client_destroy(struct wl_listener *listener, void *data)
{
	struct shm_client *owner = wl_container_of(listener, owner, destroy);

	wl_list_remove(&owner->destroy.link);
	wl_list_init(&owner->destroy.link);
	owner->gone = true;
	pool_release_parked(owner);
	shm_client_unref(owner);
}

static struct shm_client *
shm_client_get(struct sealshm *shm, struct wl_client *client)
{
	struct wl_listener *listener;
	struct shm_client *owner;

	listener =
		wl_client_get_destroy_listener(client, handle_client_destroy);
	if (listener)
		return wl_container_of(listener, owner, destroy);

	owner = calloc(1, sizeof(*owner));
	if (!owner)
		return NULL;
	owner->refcount = 1;
	owner->shm = shm;
	shm->refcount++;
	wl_list_init(&owner->files);
	owner->destroy.notify = handle_client_destroy;
	wl_client_add_destroy_listener(client, &owner->destroy);
	wl_list_insert(&shm->clients, &owner->link);
	return owner;
}

const struct format_info *
shm_get_format(struct sealshm *shm, uint32_t format)
{
	for (size_t i = 0; i < shm->formats_len; i++) {
		if (shm->formats[i].info.shm_format == format)
			return &shm->formats[i].info;
	}
	return NULL;
}

static void
shm_create_pool(struct wl_client *client, struct wl_resource *resource,
		uint32_t id, int32_t fd, int32_t size)
{
	struct sealshm *shm = wl_resource_get_user_data(resource);
	struct shm_client *owner;

	if (!shm) {
		close(fd);
		pool_create_inert(resource, id);
		return;
	}
	owner = shm_client_get(shm, client);
	if (!owner) {
		close(fd);
		wl_client_post_no_memory(client);
		return;
	}
	pool_create(owner, resource, id, fd, size);
}

static void
shm_release(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct wl_shm_interface wl_shm_impl = {
	.create_pool = shm_create_pool,
	.release = shm_release,
};

static void
shm_resource_destroy(struct wl_resource *resource)
{
	wl_list_remove(wl_resource_get_link(resource));
}

static void
bind_shm(struct wl_client *client, void *data, uint32_t version, uint32_t id)
{
	struct sealshm *shm = data;
	struct wl_resource *resource;

	resource =
		wl_resource_create(client, &wl_shm_interface, (int)version, id);
	if (!resource) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &wl_shm_impl, shm,
				       shm_resource_destroy);
	wl_list_insert(&shm->resources, wl_resource_get_link(resource));

	for (size_t i = 0; i < shm->formats_len; i++)
		wl_shm_send_format(resource, shm->formats[i].info.shm_format);
}

static void
handle_display_destroy(struct wl_listener *listener, void *data)
{
	struct sealshm *shm = wl_container_of(listener, shm, display_destroy);

	sealshm_destroy(shm);
}

static bool
has_code(const uint32_t *codes, size_t len, uint32_t code)
{
	for (size_t i = 0; i < len; i++) {
		if (codes[i] == code)
			return true;
	}
	return false;
}

/*
 * Replace the advertised formats by @p codes (duplicates dropped, order
 * kept); codes the table lacks become opaque formats when @p allow_opaque.
 */
static int
replace_formats(struct sealshm *shm, const uint32_t *codes, size_t len,
		bool allow_opaque)
{
	struct shm_format *formats;
	const struct format_info *known;
	size_t n = 0;

	formats = calloc(len ? len : 1, sizeof(*formats));
	if (!formats)
		return -1;
	for (size_t i = 0; i < len; i++) {
		struct shm_format *f = &formats[n];

		if (has_code(codes, i, codes[i]))
			continue;
		known = format_lookup(codes[i]);
		if (known) {
			f->info = *known;
			snprintf(f->name, sizeof(f->name), "%s", known->name);
		} else if (allow_opaque) {
			f->info = (struct format_info){
				.shm_format = codes[i],
				.bytes_per_pixel = 1,
			};
			snprintf(f->name, sizeof(f->name), "0x%08" PRIx32,
				 codes[i]);
		} else {
			free(formats);
			errno = EINVAL;
			return -1;
		}
		f->info.name = f->name;
		n++;
	}
	free(shm->formats);
	shm->formats = formats;
	shm->formats_len = n;
	return 0;
}

/* Every pixman-readable format, then the options' extra ones. */
static int
init_formats(struct sealshm *shm, const struct sealshm_options *options)
{
	size_t max = format_table_len + options->extra_formats_len, n = 0;
	uint32_t *codes;
	int ret;

	codes = calloc(max, sizeof(*codes));
	if (!codes)
		return -1;
	for (size_t i = 0; i < format_table_len; i++) {
		if (format_table[i].pixman_format != 0)
			codes[n++] = format_table[i].shm_format;
	}
	for (size_t i = 0; i < options->extra_formats_len; i++)
		codes[n++] = options->extra_formats[i];
	ret = replace_formats(shm, codes, n, false);
	free(codes);
	return ret;
}

/*
 * Every pool keeps its fd open (see pool.c for why), so a compositor
 * serving many clients needs far more than the usual soft limit of 1024.
 */
static void
raise_fd_limit(struct sealshm *shm)
{
	struct rlimit lim;

	if (getrlimit(RLIMIT_NOFILE, &lim) < 0 || lim.rlim_cur == lim.rlim_max)
		return;
	lim.rlim_cur = lim.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &lim) < 0)
		shm_log(shm, SEALSHM_LOG_INFO,
			"could not raise RLIMIT_NOFILE: %s", strerror(errno));
}

/* The first layout with a size field: options a caller must know. */
#define OPTIONS_MIN_SIZE                                                       \
	(offsetof(struct sealshm_options, max_buffer_height) + sizeof(int32_t))

static uint64_t
or_default(uint64_t value, uint64_t fallback)
{
	return value ? value : fallback;
}

static uint32_t
max_map_count(void)
{
	unsigned long value = 65530;
	FILE *f = fopen("/proc/sys/vm/max_map_count", "re");

	if (f) {
		if (fscanf(f, "%lu", &value) != 1)
			value = 65530;
		fclose(f);
	}
	return value > UINT32_MAX ? UINT32_MAX : (uint32_t)value;
}

/*
 * Every memfd made without MFD_HUGETLB lives on the kernel's one internal
 * shmem mount, whose device number never changes while it runs
 * (tests/kernel checks this): a pool fd on that device needs no fstatfs.
 */
static void
learn_memfd_dev(struct sealshm *shm)
{
	struct stat st;
	int fd = memfd_create("sealshm-probe", MFD_CLOEXEC);

	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0) {
		shm->memfd_dev = st.st_dev;
		shm->memfd_dev_known = true;
	}
	close(fd);
}

/* Log which option is wrong, then fail with EINVAL. */
static bool __attribute__((format(printf, 3, 4)))
bad_option(sealshm_log_func_t handler, void *data, const char *fmt, ...)
{
	va_list args;
	char msg[256];

	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);
	log_with(handler, data, SEALSHM_LOG_ERROR, "sealshm_create: %s", msg);
	errno = EINVAL;
	return false;
}

static bool
check_options(const struct sealshm_options *o)
{
	sealshm_log_func_t handler =
		o->log_handler ? o->log_handler : default_log_handler;
	void *data = o->log_user_data;

	if ((unsigned)o->policy > SEALSHM_POLICY_COPY)
		return bad_option(handler, data,
				  "options.policy %d is not a policy; use "
				  "SEALSHM_POLICY_STRICT, _SEAL or _COPY",
				  (int)o->policy);
	if (o->max_pool_size > INT32_MAX)
		return bad_option(handler, data,
				  "options.max_pool_size %" PRIu64
				  " > INT32_MAX, the largest wl_shm pool",
				  o->max_pool_size);
	if (o->extra_formats_len && !o->extra_formats)
		return bad_option(handler, data,
				  "options.extra_formats is NULL, "
				  "extra_formats_len %zu",
				  o->extra_formats_len);
	for (size_t i = 0; i < o->extra_formats_len; i++) {
		if (!format_lookup(o->extra_formats[i]))
			return bad_option(
				handler, data,
				"options.extra_formats[%zu] 0x%08" PRIx32
				" is a format sealshm cannot bound; see "
				"sealshm_set_formats() for opaque ones",
				i, o->extra_formats[i]);
	}
	if (o->max_buffer_width < 0 || o->max_buffer_height < 0)
		return bad_option(handler, data,
				  "options.max_buffer_width/height %" PRId32
				  "x%" PRId32 " is negative",
				  o->max_buffer_width, o->max_buffer_height);
	return true;
}

SEALSHM_EXPORT struct sealshm *
sealshm_create(struct wl_display *display,
	       const struct sealshm_options *options)
{
	struct sealshm_options o = { 0 };
	struct rlimit lim;
	struct sealshm *shm;
	int saved_errno;

	assert(display);
	if (options) {
		if (options->size < OPTIONS_MIN_SIZE) {
			bad_option(options->log_handler ? options->log_handler
							: default_log_handler,
				   options->log_user_data,
				   "options.size %zu is too small; set it to "
				   "sizeof(struct sealshm_options)",
				   options->size);
			return NULL;
		}
		memcpy(&o, options,
		       options->size < sizeof(o) ? options->size : sizeof(o));
	}
	if (!check_options(&o))
		return NULL;
	if (wl_display_get_destroy_listener(display, handle_display_destroy)) {
		log_with(o.log_handler ? o.log_handler : default_log_handler,
			 o.log_user_data, SEALSHM_LOG_ERROR,
			 "sealshm_create: this display already has a sealshm "
			 "wl_shm global; create one per display");
		errno = EEXIST;
		return NULL;
	}

	shm = calloc(1, sizeof(*shm));
	if (!shm)
		return NULL;
	shm->refcount = 1;
	shm->display = display;
	wl_list_init(&shm->resources);
	wl_list_init(&shm->clients);
	shm->policy = o.policy;
	shm->max_pool_size =
		or_default(o.max_pool_size, SEALSHM_DEFAULT_MAX_POOL_SIZE);
	shm->max_bytes_per_client = or_default(
		o.max_bytes_per_client, SEALSHM_DEFAULT_MAX_BYTES_PER_CLIENT);
	shm->max_pools_per_client = (uint32_t)or_default(
		o.max_pools_per_client, SEALSHM_DEFAULT_MAX_POOLS_PER_CLIENT);
	shm->max_buffers_per_client =
		(uint32_t)or_default(o.max_buffers_per_client,
				     SEALSHM_DEFAULT_MAX_BUFFERS_PER_CLIENT);
	shm->max_mappings_per_client =
		(uint32_t)or_default(o.max_mappings_per_client,
				     SEALSHM_DEFAULT_MAX_MAPPINGS_PER_CLIENT);
	shm->max_mappings =
		(uint32_t)or_default(o.max_mappings, max_map_count() / 2);
	shm->max_bytes = or_default(o.max_bytes, SEALSHM_DEFAULT_MAX_BYTES);
	shm->max_buffer_width = (int32_t)or_default(
		(uint64_t)o.max_buffer_width, SEALSHM_DEFAULT_MAX_BUFFER_SIDE);
	shm->max_buffer_height = (int32_t)or_default(
		(uint64_t)o.max_buffer_height, SEALSHM_DEFAULT_MAX_BUFFER_SIDE);
	shm->log_handler = o.log_handler ? o.log_handler : default_log_handler;
	shm->log_user_data = o.log_user_data;

	if (init_formats(shm, &o) < 0)
		goto err_free;

	shm->global =
		wl_global_create(display, &wl_shm_interface, 2, shm, bind_shm);
	if (!shm->global)
		goto err_free;

	raise_fd_limit(shm);
	if (o.max_fds)
		shm->max_fds = o.max_fds;
	else if (getrlimit(RLIMIT_NOFILE, &lim) == 0 &&
		 lim.rlim_cur != RLIM_INFINITY)
		shm->max_fds = (uint32_t)(lim.rlim_cur / 2 > UINT32_MAX
						  ? UINT32_MAX
						  : lim.rlim_cur / 2);
	else
		shm->max_fds = 1u << 20;
	learn_memfd_dev(shm);
	shm->display_destroy.notify = handle_display_destroy;
	wl_display_add_destroy_listener(display, &shm->display_destroy);
	return shm;

err_free:
	saved_errno = errno;
	free(shm->formats);
	free(shm);
	errno = saved_errno;
	return NULL;
}

SEALSHM_EXPORT void
sealshm_destroy(struct sealshm *shm)
{
	struct wl_resource *resource, *tmp_resource;
	struct shm_client *owner, *tmp_owner;

	if (!shm)
		return;
	pool_release_all_parked(shm);
	shm->destroyed = true;
	wl_list_remove(&shm->display_destroy.link);
	wl_global_destroy(shm->global);

	/* Bound wl_shm objects stay valid for their clients, but inert. */
	wl_resource_for_each_safe (resource, tmp_resource, &shm->resources) {
		wl_resource_set_user_data(resource, NULL);
		wl_list_remove(wl_resource_get_link(resource));
		wl_list_init(wl_resource_get_link(resource));
	}

	/*
	 * Forget the clients so that a new sealshm on the same display starts
	 * afresh; the accounting lives on with the pools that use it.
	 */
	wl_list_for_each_safe (owner, tmp_owner, &shm->clients, link) {
		wl_list_remove(&owner->link);
		wl_list_init(&owner->link);
		if (!wl_list_empty(&owner->destroy.link)) {
			wl_list_remove(&owner->destroy.link);
			wl_list_init(&owner->destroy.link);
			shm_client_unref(owner);
		}
	}
	sealshm_unref(shm);
}

SEALSHM_EXPORT int
sealshm_set_formats(struct sealshm *shm, const uint32_t *formats, size_t count)
{
	assert(shm);
	if (!formats || !has_code(formats, count, SHM_FORMAT_ARGB8888) ||
	    !has_code(formats, count, SHM_FORMAT_XRGB8888)) {
		shm_log(shm, SEALSHM_LOG_ERROR,
			"sealshm_set_formats: the list must contain ARGB8888 "
			"and XRGB8888, which every wl_shm offers");
		errno = EINVAL;
		return -1;
	}
	return replace_formats(shm, formats, count, true);
}

SEALSHM_EXPORT bool
sealshm_format_is_bounded(uint32_t format)
{
	return format_lookup(format) != NULL;
}

SEALSHM_EXPORT void
sealshm_get_stats(struct sealshm *shm, struct sealshm_stats *stats, size_t size)
{
	assert(shm && stats);
	memcpy(stats, &shm->stats,
	       size < sizeof(shm->stats) ? size : sizeof(shm->stats));
}

SEALSHM_EXPORT const char *
sealshm_reject_reason_name(enum sealshm_reject_reason reason)
{
	if ((unsigned)reason >= SEALSHM_REJECT_REASON_COUNT)
		return "unknown";
	return reject_reason_names[reason];
}

SEALSHM_EXPORT const char *
sealshm_policy_name(enum sealshm_policy policy)
{
	if ((unsigned)policy > SEALSHM_POLICY_COPY)
		return "unknown";
	return policy_names[policy];
}

SEALSHM_EXPORT bool
sealshm_policy_from_name(const char *name, enum sealshm_policy *policy)
{
	assert(name && policy);
	for (size_t i = 0; i < sizeof(policy_names) / sizeof(policy_names[0]);
	     i++) {
		if (strcmp(name, policy_names[i]) == 0) {
			*policy = (enum sealshm_policy)i;
			return true;
		}
	}
	return false;
}
