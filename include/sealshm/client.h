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
 * memfd_create(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL) (without
 * MFD_NOEXEC_SEAL on kernels older than 6.3) and sealed
 * F_SEAL_SHRINK | F_SEAL_SEAL before the fd is sent, so every sealshm
 * server (and every other wl_shm server) accepts it.  F_SEAL_GROW is never
 * added: the pool grows.  F_SEAL_SEAL keeps anyone else holding the fd
 * from adding seals (F_SEAL_WRITE would break rendering).
 *
 * A pool grows in place: the file with ftruncate, the protocol object with
 * wl_shm_pool.resize, geometrically (at least doubling, capped at
 * INT32_MAX bytes), so an interactive resize costs a logarithmic number of
 * grows and no new pools.  The pool's address space is reserved up front,
 * so growing never moves the client's mapping: a buffer's data pointer
 * never changes.  Buffers sit in page-aligned slots at stable offsets,
 * placed first fit (lowest offset that fits); free space between buffers
 * is merged by construction.
 *
 * Memory: the pages of a buffer's slot are allocated (posix_fallocate)
 * when the buffer is made, so running out of memory is an error from the
 * create call rather than a fault while drawing; the unused tail of a
 * grown pool stays sparse, and a destroyed buffer's pages are returned to
 * the kernel with fallocate(FALLOC_FL_PUNCH_HOLE): at once for buffers
 * made on a pool, and for a swapchain once the slot has stayed free for
 * SEALSHM_SWAPCHAIN_PUNCH_FRAMES acquisitions (a resizing window reuses
 * it at once, and its pages are not allocated twice).
 *
 * There is no fallback to shm_open or temporary files: a kernel without
 * memfd sealing is an error the caller sees (ENOSYS).
 *
 * Formats: the helper knows each format's pixel size, but not which ones
 * the compositor advertised unless told (sealshm_client_pool_set_formats(),
 * sealshm_swapchain_set_formats()); ARGB8888 and XRGB8888 are advertised
 * by every wl_shm.  Immutable buffers are not checked: use those two, or
 * check the format yourself.
 *
 * Threading: objects are not thread-safe; use them from the thread that
 * dispatches their wl_display's queue (the queue of the wl_shm they were
 * made from).  Errors: functions that can fail return NULL or -1 and set
 * errno; none of them aborts.  Passing NULL where an object is required is
 * a programming error caught by assert().
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
	/** Pools made, in total (a swapchain counts its retired pools). */
	uint64_t pools_created;
	/** wl_shm_pool.resize requests sent. */
	uint64_t pool_grows;
	/** Buffers made, in total. */
	uint64_t buffers_allocated;
	/** Bytes of the live pools' files now, and the most at any time. */
	uint64_t bytes_now;
	uint64_t bytes_peak;
	/** Bytes returned to the kernel with FALLOC_FL_PUNCH_HOLE. */
	uint64_t bytes_punched;
	/** Pools alive now. */
	uint64_t pools_now;
	/**
	 * Bytes of memory the live pools' files hold now (st_blocks): what
	 * the pools cost, as opposed to their size.
	 */
	uint64_t bytes_backed;
};

/**
 * Create a pool of at least @p size bytes (rounded up to whole pages) on
 * @p shm.  The fd is sealed and checked (F_GET_SEALS) before it is sent.
 * @return NULL with errno set (ENOSYS: the kernel has no memfd sealing;
 * EINVAL: size 0 or above INT32_MAX; ENOTRECOVERABLE: the kernel reports
 * other seals than the ones added; ENOMEM; others from memfd_create,
 * ftruncate, mmap).
 */
struct sealshm_client_pool *
sealshm_client_pool_create(struct wl_shm *shm, size_t size);

/**
 * Destroy the pool: the wl_shm_pool, the fd and the mapping.  Its buffers
 * must have been destroyed first (assert).  NULL is a no-op.
 */
void
sealshm_client_pool_destroy(struct sealshm_client_pool *pool);

/**
 * Make a buffer of @p width x @p height pixels of @p format (a
 * wl_shm.format code whose pixel size sealshm knows; the server must
 * advertise it too, which is checked when the pool was given the
 * advertised list) in the lowest page-aligned free slot that fits,
 * growing the pool (at least doubling it) when none does.  The slot's
 * pages are allocated now.  The stride is width times the pixel size,
 * rounded up to a multiple of 4 bytes that stays a multiple of the pixel
 * size (sealshm_client_buffer_get_stride()).
 *
 * The returned buffer has no wl_buffer listener: the caller may add one
 * to the wl_buffer to track release.
 * @return NULL with errno set (EINVAL: width or height <= 0, unknown
 * format, or one not in the list given to
 * sealshm_client_pool_set_formats(); EOVERFLOW: the buffer or the grown
 * pool would exceed INT32_MAX bytes or the pool's address reservation;
 * ENOMEM or ENOSPC: no memory for the pages).
 */
struct sealshm_client_buffer *
sealshm_client_pool_create_buffer(struct sealshm_client_pool *pool,
				  int32_t width, int32_t height,
				  uint32_t format);

/**
 * Tell the pool which formats the compositor advertised: the
 * wl_shm.format events of its wl_shm, as the application's own wl_shm
 * listener collected them (they arrive in the roundtrip after binding).
 * From then on sealshm_client_pool_create_buffer() refuses any other
 * format before sending anything, with EINVAL and one line through the
 * log handler (see sealshm_client_set_log_handler()) that names the format
 * and the advertised ones, instead of the compositor ending the
 * connection with invalid_format.  Call it again when a late format event
 * arrives.  The list is copied; NULL or @p count 0 forgets it: then any
 * format sealshm knows is sent, as before the first call.
 *
 * Why the application passes them: libwayland-client gives a wl_shm one
 * listener, the application's, and no way for a library holding only the
 * wl_shm to see its events.
 * @return 0, or -1 with errno ENOMEM (the previous list stays).
 */
int
sealshm_client_pool_set_formats(struct sealshm_client_pool *pool,
				const uint32_t *formats, size_t count);

/** The pool's size in bytes now (what the server was told). */
size_t
sealshm_client_pool_get_size(struct sealshm_client_pool *pool);

/** The pool's memfd (owned by the pool: do not close, shrink or seal). */
int
sealshm_client_pool_get_fd(struct sealshm_client_pool *pool);

/** Copy the pool's counters into @p stats. */
void
sealshm_client_pool_get_stats(struct sealshm_client_pool *pool,
			      struct sealshm_client_stats *stats);

/**
 * Destroy the wl_buffer and free its slot; the slot's pages go back to
 * the kernel (punch hole), so the memory reads as zeros afterwards.  Only
 * for buffers made with sealshm_client_pool_create_buffer(), and not
 * while the compositor holds the buffer (it would see zeros).  Buffers of
 * a swapchain belong to the swapchain.  NULL is a no-op.
 */
void
sealshm_client_buffer_destroy(struct sealshm_client_buffer *buffer);

/** The wl_buffer to attach; owned by @p buffer. */
struct wl_buffer *
sealshm_client_buffer_get_wl_buffer(struct sealshm_client_buffer *buffer);

/**
 * Pointer to the first row, writable; stable for the buffer's life, also
 * across grows of its pool.
 */
void *
sealshm_client_buffer_get_data(struct sealshm_client_buffer *buffer);

int32_t
sealshm_client_buffer_get_width(struct sealshm_client_buffer *buffer);

int32_t
sealshm_client_buffer_get_height(struct sealshm_client_buffer *buffer);

/** Bytes between the starts of two rows. */
int32_t
sealshm_client_buffer_get_stride(struct sealshm_client_buffer *buffer);

/** The wl_shm.format code. */
uint32_t
sealshm_client_buffer_get_format(struct sealshm_client_buffer *buffer);

/** Byte offset of the buffer in its pool (page-aligned). */
size_t
sealshm_client_buffer_get_offset(struct sealshm_client_buffer *buffer);

/**
 * True while the compositor holds a swapchain buffer: from the moment the
 * swapchain handed it out until wl_buffer.release (or
 * sealshm_swapchain_cancel()).  Always false for buffers made directly on
 * a pool.
 */
bool
sealshm_client_buffer_is_busy(struct sealshm_client_buffer *buffer);

/**
 * Buffer age in the EGL_EXT_buffer_age sense, for a buffer just returned
 * by sealshm_swapchain_acquire(): 0 when its contents are undefined (a new
 * buffer, a cancelled one, or the first of a new size), otherwise n when
 * it holds the frame acquired n acquisitions ago (1: the previous frame),
 * so only what changed in the last n frames needs repainting.  Assumes
 * the caller repaints every buffer it acquires and commits.
 */
int
sealshm_client_buffer_get_age(struct sealshm_client_buffer *buffer);

/**
 * Create a swapchain on @p shm.  Pools are made on demand.
 * @return NULL with errno set (ENOMEM).
 */
struct sealshm_swapchain *
sealshm_swapchain_create(struct wl_shm *shm);

/**
 * Destroy the swapchain with its buffers and pools.  Buffers the
 * compositor still holds have their wl_buffer destroyed right away, which
 * wl_surface.attach allows as long as the storage is not changed: their
 * pages are neither reused nor punched, and the compositor keeps showing
 * them.  NULL is a no-op.
 */
void
sealshm_swapchain_destroy(struct sealshm_swapchain *swapchain);

/**
 * A buffer of the given size and format that the compositor does not
 * hold, marked busy until the compositor releases it: attach and commit
 * it, or give it back with sealshm_swapchain_cancel().  Of the free
 * buffers of that size the one with the newest contents (smallest age) is
 * chosen; a new one is made when none is free.
 *
 * Housekeeping happens here too: buffers of another size or format are
 * dropped (busy ones when the compositor releases them) and the pages of
 * their slots kept for new buffers, which reuse them without allocating
 * them again; pages that SEALSHM_SWAPCHAIN_PUNCH_FRAMES acquisitions left
 * unused are punched.  Free buffers not used for
 * SEALSHM_SWAPCHAIN_TRIM_FRAMES acquisitions are destroyed and their
 * pages punched.  When the buffers last became smaller (the window
 * shrank) and the current pool, larger than 1 MiB, has stayed less than
 * a quarter used for SEALSHM_SWAPCHAIN_SHRINK_FRAMES acquisitions, it is
 * retired: new buffers go to a new pool sized for two buffers of the
 * present size, and the old one is destroyed once the compositor released
 * all its buffers.
 * A pool that cannot grow any further (INT32_MAX) is retired the same way.
 * Buffers the compositor holds are never handed out, written, reused or
 * punched before their wl_buffer.release.
 * @return NULL with errno set (as sealshm_client_pool_create_buffer()).
 */
struct sealshm_client_buffer *
sealshm_swapchain_acquire(struct sealshm_swapchain *swapchain,
			  int32_t width, int32_t height, uint32_t format);

/** Acquisitions a free surplus buffer survives unused. */
#define SEALSHM_SWAPCHAIN_TRIM_FRAMES 30
/** Acquisitions a mostly empty pool survives before it is replaced. */
#define SEALSHM_SWAPCHAIN_SHRINK_FRAMES 8
/**
 * Acquisitions the pages of a dropped buffer's slot stay allocated,
 * waiting for a new buffer to reuse them, before they are punched.
 */
#define SEALSHM_SWAPCHAIN_PUNCH_FRAMES 4

/**
 * Give back a buffer acquired but never committed.  Its contents count as
 * undefined afterwards (age 0).
 */
void
sealshm_swapchain_cancel(struct sealshm_swapchain *swapchain,
			 struct sealshm_client_buffer *buffer);

/**
 * As sealshm_client_pool_set_formats(), for sealshm_swapchain_acquire():
 * an unadvertised format is refused with EINVAL and a log line before the
 * swapchain drops or makes any buffer.
 * @return 0, or -1 with errno ENOMEM (the previous list stays).
 */
int
sealshm_swapchain_set_formats(struct sealshm_swapchain *swapchain,
			      const uint32_t *formats, size_t count);

/**
 * Receives each message of the library: one line per mistake it refused
 * locally, without a trailing newline (today only an unadvertised format;
 * errors the caller can handle are reported through errno alone).
 */
typedef void (*sealshm_client_log_func_t)(const char *message,
					  void *user_data);

/**
 * Send the library's messages to @p handler; NULL restores the default,
 * which writes "sealshm-client: MESSAGE" and a newline to stderr.
 * Process-wide: set it before other threads use the library.
 */
void
sealshm_client_set_log_handler(sealshm_client_log_func_t handler,
			       void *user_data);

/**
 * Counters summed over the swapchain's pools, including retired ones;
 * bytes_now, pools_now and bytes_backed cover the live pools only.
 */
void
sealshm_swapchain_get_stats(struct sealshm_swapchain *swapchain,
			    struct sealshm_client_stats *stats);

/**
 * Would a sealshm server in its strict policy accept @p fd as a pool of
 * @p size bytes?  Checks, in the server's order: a readable regular file
 * (not O_PATH or write-only), on shmem
 * (tmpfs or memfd, not hugetlbfs), sealed F_SEAL_SHRINK, 0 < size <=
 * INT32_MAX, at least @p size bytes long.  Usable by tests and by
 * applications in debug builds; it changes nothing about the fd.
 * @param reason when not NULL and the answer is no, set to a static
 * English sentence naming the problem and the fix.
 * @return true when the fd would be accepted.
 */
bool
sealshm_client_check_fd(int fd, uint64_t size, const char **reason);

/**
 * Fills an immutable buffer's pixels once: @p pixels points to @p height
 * rows of @p stride bytes, zeroed.  The memory is unmapped when it
 * returns; do not keep the pointer.
 */
typedef void (*sealshm_draw_func_t)(void *pixels, int32_t width,
				    int32_t height, int32_t stride,
				    uint32_t format, void *user_data);

/**
 * A wl_buffer whose pixels nobody can ever change, for cursors, icons,
 * backgrounds and other content that never changes: a memfd is filled
 * with @p height rows of @p pixels (@p pixels_stride bytes apart, at least
 * a row of @p format), every writable mapping is gone, and the file is
 * sealed F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL before
 * it is sent.  The wl_shm_pool is destroyed and the fd closed right away
 * (the wl_buffer keeps the server's pool alive), so the library keeps no
 * fd, mapping or memory for it.  A sealshm server reports the buffer
 * immutable, maps it read-only and may cache what it derives from it.
 *
 * The caller owns the result: wl_buffer_destroy() it.  It may be attached
 * any number of times and to several surfaces at once.
 * @return NULL with errno set (EINVAL: bad geometry, format or stride;
 * EOVERFLOW; ENOSYS: no memfd sealing; ENOTRECOVERABLE: the kernel
 * reports other seals than the ones added; ENOMEM or ENOSPC).
 */
struct wl_buffer *
sealshm_immutable_buffer_create(struct wl_shm *shm, int32_t width,
				int32_t height, uint32_t format,
				const void *pixels, int32_t pixels_stride);

/**
 * As sealshm_immutable_buffer_create(), with the pixels drawn by
 * @p draw(@p user_data) directly into the buffer's memory (zeroed
 * first), which is unmapped and sealed when it returns.
 */
struct wl_buffer *
sealshm_immutable_buffer_create_drawn(struct wl_shm *shm, int32_t width,
				      int32_t height, uint32_t format,
				      sealshm_draw_func_t draw,
				      void *user_data);

#ifdef __cplusplus
}
#endif

#endif /* SEALSHM_CLIENT_H */
