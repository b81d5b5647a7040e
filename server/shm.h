/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * State shared by the server module's objects: the module itself (struct
 * sealshm), per-client accounting, logging and client errors.  Private.
 */

#ifndef SEALSHM_SERVER_SHM_H
#define SEALSHM_SERVER_SHM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <wayland-server-core.h>

#include "format.h"
#include "sealshm/server.h"

/*
 * Reference counted: the compositor holds one reference until
 * sealshm_destroy(), every shm_client holds one.  Pools and buffers the
 * compositor still uses after sealshm_destroy() therefore keep their
 * accounting valid; once destroyed nothing is logged any more.
 */
struct sealshm {
	int refcount;
	bool destroyed;
	struct wl_display *display;
	struct wl_global *global;
	struct wl_listener display_destroy;
	struct wl_list resources; /* wl_shm resources, by resource link */
	struct wl_list clients;	  /* shm_client.link */
	/* releases the parked mappings (pool.c) once the loop is idle */
	struct wl_event_source *release_idle;

	enum sealshm_policy policy;
	uint64_t max_pool_size;
	uint64_t max_bytes_per_client;
	uint32_t max_pools_per_client;
	uint32_t max_buffers_per_client;
	uint32_t max_mappings_per_client;
	uint32_t max_mappings;
	uint32_t max_fds;
	uint64_t max_bytes;
	int32_t max_buffer_width, max_buffer_height;
	/* the device of memfds (see learn_memfd_dev()) */
	dev_t memfd_dev;
	bool memfd_dev_known;
	/* what all clients hold: bytes as shm_client.bytes counts them */
	uint64_t bytes;
	/* fs.c's cache of mountinfo */
	struct shm_mount *mounts;
	size_t mounts_len, mounts_cap;
	struct shm_format *formats; /* advertised, in order */
	size_t formats_len;
	sealshm_log_func_t log_handler;
	void *log_user_data;

	struct sealshm_stats stats;
};

/* A line of /proc/self/mountinfo, as fs.c needs it. */
struct shm_mount {
	int id;
	char type[32];
};

/*
 * An advertised format: the table's entry, or for a code sealshm does not
 * know an opaque one (one byte per pixel, one plane, no pixman image).
 */
struct shm_format {
	struct format_info info; /* info.name points at name */
	char name[24];
};

/*
 * One per wl_client that made a pool: what it holds, against the limits.
 * Referenced by the client's destroy listener and by each of its pools,
 * so the accounting outlives the connection while the compositor still
 * holds the client's buffers.
 */
struct shm_client {
	int refcount;
	struct sealshm *shm;
	struct wl_listener destroy; /* unlinked once the client is gone */
	struct wl_list link;	    /* sealshm.clients */
	uint32_t pools;
	uint32_t buffers;
	uint32_t mappings;
	uint32_t fds;
	uint64_t bytes;
	/* shm_file.link: the files its pools hold, one fd each */
	struct wl_list files;
	/* a mapping no pool or buffer uses any more, kept until idle */
	struct pool_mapping *parked;
	bool errored;
	bool gone; /* the connection is closed */
};

void shm_log(struct sealshm *shm, enum sealshm_log_level level, const char *fmt,
	     ...) __attribute__((format(printf, 3, 4)));

/*
 * Post a wl_shm error on @p resource, log it as "client bug: ..." and
 * count the client as disconnected (once).
 */
void shm_client_error(struct shm_client *owner, struct wl_resource *resource,
		      uint32_t code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

void shm_client_verror(struct shm_client *owner, struct wl_resource *resource,
		       uint32_t code, const char *fmt, va_list args)
	__attribute__((format(printf, 4, 0)));

/* Add @p bytes (negative: release) to the client's and the total count. */
void shm_client_charge(struct shm_client *owner, int64_t bytes);

struct shm_client *shm_client_ref(struct shm_client *owner);

void shm_client_unref(struct shm_client *owner);

/* The advertised format @p format, or NULL. */
const struct format_info *shm_get_format(struct sealshm *shm, uint32_t format);

#endif /* SEALSHM_SERVER_SHM_H */
