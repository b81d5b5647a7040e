/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 */

#ifndef SEALSHM_CLIENT_H
#define SEALSHM_CLIENT_H

/**
 * @file client.h
 * @brief libsealshm-client: render buffers from sealed memfds.
 *
 * Buffers come from one memfd per pool, created with
 * memfd_create(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL) and
 * sealed F_SEAL_SHRINK | F_SEAL_SEAL before the fd is sent, so every
 * sealshm server (and every other wl_shm server) accepts it.  A pool grows
 * in place (the file with posix_fallocate, the protocol object with
 * wl_shm_pool.resize) geometrically, so an interactive resize costs a
 * logarithmic number of grows and no new pools.  Buffers sit at stable,
 * page-aligned offsets; a buffer's data pointer never changes.
 *
 * There is no fallback to shm_open or temporary files: a kernel without
 * memfd sealing is an error the caller sees.
 *
 * Threading: objects are not thread-safe; use them from the thread that
 * dispatches their wl_display's queue.  Errors: functions that can fail
 * return NULL or -1 and set errno; none of them aborts.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct wl_shm;
struct wl_buffer;

/** A wl_shm_pool over one sealed memfd, growing in place. */
struct sealshm_client_pool;

/** A wl_buffer at a fixed offset of a pool. */
struct sealshm_client_buffer;

/** The buffers of one surface, reused as the compositor releases them. */
struct sealshm_swapchain;

/** Counters of a pool or of a swapchain (summed over its pools). */
struct sealshm_client_stats {
	uint64_t pools_created;
	uint64_t pool_grows;
	uint64_t buffers_allocated;
	/** Bytes of pool files now, and the most at any time. */
	uint64_t bytes_now;
	uint64_t bytes_peak;
	/** Bytes returned to the kernel with FALLOC_FL_PUNCH_HOLE. */
	uint64_t bytes_punched;
};

/**
 * Create a pool of at least @p size bytes (rounded up to whole pages) on
 * @p shm.  @return NULL with errno set (ENOSYS: no memfd sealing; EINVAL:
 * size 0 or above INT32_MAX; others from memfd_create, fallocate, mmap).
 */
struct sealshm_client_pool *
sealshm_client_pool_create(struct wl_shm *shm, size_t size);

/**
 * Destroy the pool.  Its buffers must have been destroyed first (assert).
 * NULL is a no-op.
 */
void
sealshm_client_pool_destroy(struct sealshm_client_pool *pool);

/**
 * Make a buffer of @p width x @p height pixels of @p format (a
 * wl_shm.format code whose pixel size sealshm knows) with the smallest
 * page-aligned free slot that fits (first fit), growing the pool when no
 * slot fits.  The stride is width times the pixel size.
 * @return NULL with errno set (EINVAL: bad geometry or unknown format;
 * EOVERFLOW: too large for a pool; ENOMEM).
 */
struct sealshm_client_buffer *
sealshm_client_pool_create_buffer(struct sealshm_client_pool *pool,
				  int32_t width, int32_t height,
				  uint32_t format);

/** The pool's size in bytes now. */
size_t
sealshm_client_pool_get_size(struct sealshm_client_pool *pool);

/** The pool's memfd (owned by the pool: do not close). */
int
sealshm_client_pool_get_fd(struct sealshm_client_pool *pool);

void
sealshm_client_pool_get_stats(struct sealshm_client_pool *pool,
			      struct sealshm_client_stats *stats);

/**
 * Destroy the wl_buffer and free its slot; the slot's pages go back to the
 * kernel (punch hole).  Do not call while the compositor holds the buffer
 * (use a swapchain for that).  NULL is a no-op.
 */
void
sealshm_client_buffer_destroy(struct sealshm_client_buffer *buffer);

struct wl_buffer *
sealshm_client_buffer_get_wl_buffer(struct sealshm_client_buffer *buffer);

/** Pointer to the first row; stable for the buffer's life. */
void *
sealshm_client_buffer_get_data(struct sealshm_client_buffer *buffer);

int32_t
sealshm_client_buffer_get_width(struct sealshm_client_buffer *buffer);

int32_t
sealshm_client_buffer_get_height(struct sealshm_client_buffer *buffer);

int32_t
sealshm_client_buffer_get_stride(struct sealshm_client_buffer *buffer);

uint32_t
sealshm_client_buffer_get_format(struct sealshm_client_buffer *buffer);

/** Byte offset of the buffer in its pool (page-aligned). */
size_t
sealshm_client_buffer_get_offset(struct sealshm_client_buffer *buffer);

/**
 * True while the compositor holds the buffer: from the moment a swapchain
 * handed it out until wl_buffer.release.
 */
bool
sealshm_client_buffer_is_busy(struct sealshm_client_buffer *buffer);

/**
 * Buffer age in the EGL_EXT_buffer_age sense, for a buffer just returned
 * by sealshm_swapchain_acquire(): 0 when its contents are undefined (new
 * buffer), otherwise n when it holds the frame acquired n acquisitions
 * ago (1: the previous frame), so only what changed since then needs
 * repainting.
 */
int
sealshm_client_buffer_get_age(struct sealshm_client_buffer *buffer);

/**
 * Create a swapchain on @p shm.  Pools are made on demand.
 * @return NULL with errno set.
 */
struct sealshm_swapchain *
sealshm_swapchain_create(struct wl_shm *shm);

/**
 * Destroy the swapchain.  Buffers the compositor still holds are destroyed
 * when released (the swapchain's bookkeeping stays alive until then
 * internally) or when the connection ends.  NULL is a no-op.
 */
void
sealshm_swapchain_destroy(struct sealshm_swapchain *swapchain);

/**
 * A buffer of the given size and format that the compositor does not
 * hold, marked busy until the compositor releases it: attach and commit
 * it (or give it back with sealshm_swapchain_cancel()).  Buffers of
 * another size are dropped (busy ones when released); surplus buffers
 * are trimmed after some frames unused; a pool that stays mostly empty
 * after the window shrank is replaced by a smaller one once its buffers
 * are released.
 * @return NULL with errno set.
 */
struct sealshm_client_buffer *
sealshm_swapchain_acquire(struct sealshm_swapchain *swapchain,
			  int32_t width, int32_t height, uint32_t format);

/** Give back a buffer acquired but never committed. */
void
sealshm_swapchain_cancel(struct sealshm_swapchain *swapchain,
			 struct sealshm_client_buffer *buffer);

void
sealshm_swapchain_get_stats(struct sealshm_swapchain *swapchain,
			    struct sealshm_client_stats *stats);

/**
 * Would a sealshm server in its strict policy accept @p fd as a pool of
 * @p size bytes?  Checks a regular shmem (not hugetlbfs) file, sealed
 * F_SEAL_SHRINK, at least @p size bytes long.
 * @param reason when not NULL and the answer is no, set to a static
 * English sentence naming the problem and the fix.
 * @return true when the fd would be accepted.
 */
bool
sealshm_client_check_fd(int fd, uint64_t size, const char **reason);

#ifdef __cplusplus
}
#endif

#endif /* SEALSHM_CLIENT_H */
