/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 */

#ifndef SEALSHM_SERVER_H
#define SEALSHM_SERVER_H

/**
 * @file server.h
 * @brief libsealshm-server: a wl_shm implementation that never needs a
 * SIGBUS handler.
 *
 * A compositor calls sealshm_create() instead of wl_display_init_shm() and
 * sealshm_buffer_from_resource() instead of wl_shm_buffer_get().  The
 * module accepts a pool only when it can prove that every byte it maps
 * stays backed by the client's file for the life of the mapping (in the
 * default policy: the file is a shmem file sealed with F_SEAL_SHRINK and at
 * least as large as the pool).  It re-checks the file's size at every
 * wl_shm_pool.resize.  Reads of a buffer's pixels therefore cannot fault,
 * from any thread, and no signal handler is installed or needed.
 *
 * Threading: every function here must be called from the thread that runs
 * the wl_display's event loop, except the read paths explicitly marked
 * thread-safe (begin/end access and reading through the returned pointer
 * or pixman image, for buffers of mapped pools).  The library starts no
 * threads.
 *
 * Errors: client mistakes are answered with wl_shm protocol errors
 * (invalid_fd, invalid_stride, invalid_format) whose messages name the
 * cause and the fix; the client is disconnected by libwayland as usual and
 * everything it created is freed.  Misuse of this API by the compositor
 * (NULL where an object is required, unbalanced access or unref) is caught
 * by assert().  Constructors return NULL and set errno.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

#include <pixman.h>

#ifdef __cplusplus
extern "C" {
#endif

struct wl_display;
struct wl_resource;

/** The sealshm wl_shm global; one per display. */
struct sealshm;

/**
 * A client buffer (wl_buffer) made from a sealshm pool.  Reference
 * counted: the client's wl_buffer holds one reference, the compositor may
 * take more with sealshm_buffer_ref().
 */
struct sealshm_buffer;

/** Which files the server accepts for wl_shm.create_pool. */
enum sealshm_policy {
	/**
	 * Only shmem files already sealed F_SEAL_SHRINK (memfd with
	 * MFD_ALLOW_SEALING, then F_ADD_SEALS).  The default.
	 */
	SEALSHM_POLICY_STRICT = 0,
	/**
	 * As strict, and a sealable memfd without F_SEAL_SEAL is sealed
	 * F_SEAL_SHRINK by the server (never F_SEAL_GROW).
	 */
	SEALSHM_POLICY_SEAL = 1,
	/**
	 * As seal, and any other regular file is accepted but never mapped:
	 * buffer contents are copied with pread()/pwrite() on access.
	 */
	SEALSHM_POLICY_COPY = 2,
};

/** Severity of a log message. */
enum sealshm_log_level {
	SEALSHM_LOG_ERROR = 0,	/**< the compositor should know */
	SEALSHM_LOG_INFO = 1,	/**< notable, not a problem */
	SEALSHM_LOG_DEBUG = 2,	/**< client bugs and details */
};

/**
 * Log handler.  Client mistakes arrive at SEALSHM_LOG_DEBUG prefixed
 * "client bug: ".  Called on the event loop thread only.
 */
typedef void (*sealshm_log_func_t)(enum sealshm_log_level level,
				   const char *fmt, va_list args,
				   void *user_data);

/** Why a wl_shm.create_pool was refused. */
enum sealshm_reject_reason {
	/** fstat failed or the fd is not a regular file (pipe, socket...) */
	SEALSHM_REJECT_NOT_REGULAR = 0,
	/** not on shmem: hugetlbfs, or (strict/seal) a disk file */
	SEALSHM_REJECT_NOT_SHMEM,
	/** the file lacks F_SEAL_SHRINK and the policy cannot fix that */
	SEALSHM_REJECT_UNSEALED,
	/** size <= 0 (wl_shm_pool.resize: smaller than before) */
	SEALSHM_REJECT_BAD_SIZE,
	/** the file is smaller than the requested pool size */
	SEALSHM_REJECT_FILE_TOO_SMALL,
	/** larger than sealshm_options.max_pool_size */
	SEALSHM_REJECT_POOL_TOO_LARGE,
	/** the client would exceed max_pools_per_client */
	SEALSHM_REJECT_CLIENT_POOLS,
	/** the client would exceed max_bytes_per_client */
	SEALSHM_REJECT_CLIENT_BYTES,
	/** mmap (or, under the seal policy, F_ADD_SEALS) failed */
	SEALSHM_REJECT_MAP_FAILED,
	SEALSHM_REJECT_REASON_COUNT,
};

/**
 * Options of sealshm_create().  Zero-initialise, then set what you need:
 * every zero field means "the default".  New fields are only ever added
 * at the end.
 */
struct sealshm_options {
	/** Acceptance policy; default SEALSHM_POLICY_STRICT. */
	enum sealshm_policy policy;
	/**
	 * Formats to advertise in addition to ARGB8888, XRGB8888 and the
	 * other pixman-readable formats, as wl_shm.format codes.  Each must
	 * be one sealshm knows the pixel size of (sealshm_create() fails
	 * with EINVAL otherwise).  Buffers of such formats have no pixman
	 * image.  Copied; the array need not outlive the call.
	 */
	const uint32_t *extra_formats;
	size_t extra_formats_len;
	/** Largest pool in bytes; default and maximum INT32_MAX. */
	uint64_t max_pool_size;
	/** Bytes of pools one client may hold at once; default 4 GiB. */
	uint64_t max_bytes_per_client;
	/** Pools one client may hold at once; default 4096. */
	uint32_t max_pools_per_client;
	/** Log handler; default: errors to stderr, nothing else. */
	sealshm_log_func_t log_handler;
	void *log_user_data;
};

/** Counters since sealshm_create().  Filled by sealshm_get_stats(). */
struct sealshm_stats {
	uint64_t pools_accepted;
	/** Pools accepted per policy path: [0] sealed by the client,
	 *  [1] sealed by the server (seal policy), [2] copied (copy policy). */
	uint64_t pools_accepted_by_tier[3];
	uint64_t pools_rejected;
	uint64_t pools_rejected_by_reason[SEALSHM_REJECT_REASON_COUNT];
	uint64_t buffers_created;
	uint64_t buffers_rejected;
	uint64_t resizes_accepted;
	uint64_t resizes_rejected;
	/** Bytes currently mapped for client pools. */
	uint64_t bytes_mapped;
	/** mmap calls made for client pools, in total. */
	uint64_t map_calls;
	/** Clients sent a protocol error by this module. */
	uint64_t clients_disconnected;
};

/**
 * Create the wl_shm global (version 2) on @p display and advertise the
 * formats.  Call at most once per display, instead of
 * wl_display_init_shm().
 *
 * @param options NULL for all defaults; copied.
 * @return the new object, or NULL with errno set (EINVAL for bad options,
 * ENOMEM).  Destroyed by sealshm_destroy() or with the display.
 */
struct sealshm *
sealshm_create(struct wl_display *display,
	       const struct sealshm_options *options);

/**
 * Remove the global and free the module.  Buffers the compositor still
 * holds references to stay valid until they are unreferenced.  NULL is a
 * no-op.
 */
void
sealshm_destroy(struct sealshm *shm);

/** Copy the current counters into @p stats. */
void
sealshm_get_stats(struct sealshm *shm, struct sealshm_stats *stats);

/** A short stable name for @p reason ("unsealed", ...), for logs and JSON. */
const char *
sealshm_reject_reason_name(enum sealshm_reject_reason reason);

/** The policy's name: "strict", "seal" or "copy". */
const char *
sealshm_policy_name(enum sealshm_policy policy);

/**
 * Parse a policy name.  @return true and set @p policy on success.
 */
bool
sealshm_policy_from_name(const char *name, enum sealshm_policy *policy);

/**
 * The buffer behind a wl_buffer resource, or NULL when the resource was
 * not created by this module (for example a dmabuf).  No reference is
 * taken: the result is valid until the resource is destroyed, unless the
 * caller takes one with sealshm_buffer_ref().
 */
struct sealshm_buffer *
sealshm_buffer_from_resource(struct wl_resource *resource);

/**
 * Take a reference.  The buffer's geometry, data pointer and pixman image
 * stay valid and unchanged while any reference is held, also after the
 * client destroyed the wl_buffer, its pool or its connection.
 * @return @p buffer.
 */
struct sealshm_buffer *
sealshm_buffer_ref(struct sealshm_buffer *buffer);

/** Drop a reference taken with sealshm_buffer_ref(). */
void
sealshm_buffer_unref(struct sealshm_buffer *buffer);

/**
 * The wl_buffer resource, or NULL once the client destroyed it.  Use it
 * to send wl_buffer.release.
 */
struct wl_resource *
sealshm_buffer_get_resource(struct sealshm_buffer *buffer);

int32_t
sealshm_buffer_get_width(struct sealshm_buffer *buffer);

int32_t
sealshm_buffer_get_height(struct sealshm_buffer *buffer);

/** Bytes between the starts of two rows. */
int32_t
sealshm_buffer_get_stride(struct sealshm_buffer *buffer);

/** The wl_shm.format code. */
uint32_t
sealshm_buffer_get_format(struct sealshm_buffer *buffer);

/**
 * True when the compositor may not write to the buffer's memory: the
 * client's fd was read-only or its file sealed F_SEAL_WRITE or
 * F_SEAL_FUTURE_WRITE, so the pool is mapped read-only.
 */
bool
sealshm_buffer_is_read_only(struct sealshm_buffer *buffer);

/**
 * True when nobody can ever change the buffer's pixels again: its file is
 * sealed F_SEAL_WRITE.  A compositor may then keep anything it derived
 * from the pixels (a texture upload, a converted pixman image) across
 * commits of the same wl_buffer, send wl_buffer.release right after its
 * first read, and share the result between outputs.
 */
bool
sealshm_buffer_is_immutable(struct sealshm_buffer *buffer);

/**
 * Start reading (or, unless read-only, writing) the pixels and return a
 * pointer to the first row.  The pointer is the same for the buffer's
 * whole life.  For buffers of mapped pools this is cheap and thread-safe
 * and the memory can be read without any signal handler.  For buffers of
 * copy-policy pools it reads the buffer's bytes into memory owned by the
 * module; if the client truncated its file the missing part reads as
 * zeros and the client gets an invalid_fd error.  Pair each call with
 * sealshm_buffer_end_access().
 */
void *
sealshm_buffer_begin_access(struct sealshm_buffer *buffer);

/**
 * End an access started with sealshm_buffer_begin_access().  For
 * copy-policy pools, @p wrote true writes the buffer's bytes back to the
 * client's file.
 */
void
sealshm_buffer_end_access(struct sealshm_buffer *buffer, bool wrote);

/**
 * A pixman image of the buffer's pixels, owned by the buffer: valid while
 * a reference is held, the same image every time.  NULL when pixman cannot
 * read the format.  Read it only between begin and end access.
 */
pixman_image_t *
sealshm_buffer_get_pixman_image(struct sealshm_buffer *buffer);

#ifdef __cplusplus
}
#endif

#endif /* SEALSHM_SERVER_H */
