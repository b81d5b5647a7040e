/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * wl_shm_pool: acceptance of a client's fd, its mappings, resize.
 * Private.
 */

#ifndef SEALSHM_SERVER_POOL_H
#define SEALSHM_SERVER_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <wayland-server-core.h>

struct sealshm;
struct shm_client;

/* Indexes of sealshm_stats.pools_accepted_by_tier. */
enum pool_tier {
	POOL_TIER_SEALED = 0,	     /* the client sealed F_SEAL_SHRINK */
	POOL_TIER_SERVER_SEALED = 1, /* seal policy: we added the seal */
	POOL_TIER_COPY = 2,	     /* copy policy: never mapped */
};

/*
 * A file one client sent, once per (device, inode, access mode, tier):
 * the one fd all its pools share (a client that sends the same memfd as
 * many pools holds one fd), and the largest live mapping, which a new pool
 * of the same file reuses when it covers it.  Referenced by those pools;
 * never shared between clients.
 */
struct shm_file {
	int refcount;
	struct shm_client *owner;
	struct wl_list link; /* shm_client.files */
	dev_t dev;
	ino_t ino;
	int fd;
	bool read_only;
	bool copy;		      /* copy tier: never mapped */
	bool seals_frozen;	      /* seen sealed F_SEAL_SEAL */
	struct pool_mapping *mapping; /* weak: cleared when it goes */
};

/*
 * One mmap of the pool's file.  The pool references its current mapping,
 * each buffer the mapping it was created in, so a buffer's pointer stays
 * valid however the pool grows.  Pools of one file may share a mapping.
 * When the last reference goes, the file's largest mapping is parked on
 * its client (refcount 0, still counted against every budget) until the
 * event loop is next idle, so that a pool made from the same file in the
 * same burst of requests reuses it; see pool_mapping_unref().
 */
struct pool_mapping {
	int refcount;
	struct shm_file *file; /* outlives the mapping */
	void *data;
	/* bytes proven inside the file; only these are ever handed out */
	size_t size;
	/* bytes mapped, past the file's end too: room to grow in place */
	size_t reserved;
};

/*
 * Referenced by its wl_shm_pool resource and by each buffer made from it.
 * Its file (and fd) lives as long as the pool: resize re-checks the file's
 * size with fstat, copy-tier buffers read through it, and copies of mapped
 * buffers read holes with pread instead of faulting (see buffer.c).
 */
struct pool {
	int refcount;
	struct shm_client *owner;
	struct wl_resource *resource; /* NULL once destroyed */
	struct shm_file *file;
	int32_t size;
	enum pool_tier tier;
	bool read_only;
	bool immutable;
	/* NULL in the copy tier and once the resource is gone */
	struct pool_mapping *mapping;
	uint64_t charged; /* copy tier: bytes charged to owner */
};

/*
 * wl_shm.create_pool: takes ownership of @p fd.  On a rejection posts the
 * error on @p shm_resource.
 */
void pool_create(struct shm_client *owner, struct wl_resource *shm_resource,
		 uint32_t id, int fd, int32_t size);

/* A wl_shm_pool that does nothing, for a wl_shm whose module is gone. */
void pool_create_inert(struct wl_resource *shm_resource, uint32_t id);

struct pool *pool_ref(struct pool *pool);

void pool_unref(struct pool *pool);

struct pool_mapping *pool_mapping_ref(struct pool_mapping *mapping);

void pool_mapping_unref(struct pool_mapping *mapping);

/* Unmap the mapping parked on @p owner, if any. */
void pool_release_parked(struct shm_client *owner);

/* Unmap every client's parked mapping and cancel the idle release. */
void pool_release_all_parked(struct sealshm *shm);

#endif /* SEALSHM_SERVER_POOL_H */
