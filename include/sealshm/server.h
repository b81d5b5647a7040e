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
 * What a client must send (default, strict policy): a memfd created with
 * memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING), sealed with
 * fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) (adding F_SEAL_SEAL is fine,
 * F_SEAL_GROW stops the pool from growing), at least as large as the pool.
 * create_pool checks, in this order: its seals (F_GET_SEALS, which
 * answers for shmem files without asking any filesystem) before anything
 * else; a file that is not shmem only once its filesystem is known not to
 * stall (FUSE, network filesystems, procfs, sysfs are refused, and only
 * the copy policy takes regular files on tmpfs or local disks); a shmem
 * file, never hugetlbfs (it can fault when huge pages run out); the
 * policy's verdict on the seals; the size (> 0, <= the file's size,
 * within the limits and budgets; copy-policy pools skip the file's size,
 * see SEALSHM_POLICY_COPY); then the mapping (see doc/design.md).  Read-only fds and files sealed
 * F_SEAL_WRITE or F_SEAL_FUTURE_WRITE are accepted and mapped privately
 * (MAP_PRIVATE): the compositor's writes, if it makes any, land in
 * copy-on-write pages of its own and never reach the client's file.
 *
 * Buffers: the format must be advertised; width, height > 0; offset >= 0;
 * stride >= width * bytes per pixel and a multiple of the pixel size; for
 * formats pixman reads (all advertised ones except extra_formats) stride
 * must also be a multiple of 4, because pixman reads rows as 32-bit words
 * (this matters for 1-, 2- and 3-byte formats); offset + stride * height
 * <= the pool's size, and for planar YUV formats (NV12, YUV420, ...)
 * offset + every plane's bytes (see sealshm_set_formats()).  All of it
 * computed in 64 bits.
 *
 * Resize: the new size must be >= the current one; the file's size is
 * checked again (fstat on the file's fd, which the module keeps open; not
 * for copy-policy pools), as are the limits.  A mapping reserves room to
 * grow past the file's end, so the pool usually grows in place without a
 * system call; otherwise it grows in place when the address space allows,
 * moves when nothing uses it yet, and else a new mapping serves buffers
 * made from then on while the old one lives as long as its buffers: no
 * buffer's pointer ever moves, and buffers in the grown range can be
 * created right away.
 *
 * Resources: one fd per file per client, held while pools or buffers of
 * that file live (the same file sent as many pools shares it, and a new
 * pool reuses the file's mapping when it covers the pool; the file's
 * largest mapping outlives its last pool and buffer until the event loop
 * is next idle, so a pool per buffer reuses it too, and a pool of a new
 * file sealed F_SEAL_SEAL is mapped over its range), bounded by the
 * per-client and compositor-wide budgets of struct sealshm_options;
 * sealshm_create() raises the RLIMIT_NOFILE soft limit to the hard limit.
 *
 * Threading: every function here must be called from the thread that runs
 * the wl_display's event loop, except the read paths explicitly marked
 * thread-safe (begin/end access and reading through the returned pointer
 * or pixman image, for buffers of mapped pools: sealshm_buffer_is_copied()
 * false).  ref/unref are not thread-safe.  The library starts no threads
 * and installs no signal handlers.  It maps with MAP_FIXED only over a
 * range one of its own mappings holds, and after a failed mmap there
 * unmaps the range only when it provably still holds that mapping
 * (EACCES, or /proc/self/maps): other threads' mappings are never
 * touched.
 *
 * Errors: client mistakes are answered with wl_shm protocol errors whose
 * messages name the cause and the fix: invalid_format (format not
 * advertised), invalid_stride (bad geometry; create_pool size <= 0;
 * resize to a smaller, zero or negative size), invalid_fd (everything
 * about the fd: not a readable regular file, not shmem, unsealed, file
 * smaller than the pool (mapped pools), limits, mmap failure; for
 * copy-policy pools also a file found too short at access, posted on the
 * wl_buffer).  The received fd is
 * closed and no mapping stays behind; the message is also logged at
 * SEALSHM_LOG_DEBUG as "client bug: <message>".  The client is
 * disconnected by libwayland as usual and everything it created is freed,
 * except buffers the compositor still references.  Misuse of this API by the compositor
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
struct wl_listener;
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
	 * As strict, and a memfd made with MFD_ALLOW_SEALING, without
	 * F_SEAL_SEAL and sent writable, is sealed F_SEAL_SHRINK by the
	 * server (never F_SEAL_GROW), then treated as sealed.
	 */
	SEALSHM_POLICY_SEAL = 1,
	/**
	 * As seal, and any other readable regular file is accepted but never
	 * mapped: buffer contents are copied with pread()/pwrite() on access
	 * (sealshm_buffer_begin_access()), into stride * height bytes of
	 * module memory per buffer, allocated when the buffer is created.
	 * Pipes, sockets, devices, directories and hugetlbfs files are
	 * still refused.
	 *
	 * Such a pool may be larger than its file, at create_pool and at
	 * resize: the file is not sealed and can shrink right after any
	 * check, so a size check there would prove nothing (and would refuse
	 * clients that grow the file later).  The check happens at access
	 * instead: a buffer that reaches past the file's end reads as zeros
	 * there and the client gets invalid_fd on its wl_buffer, as
	 * libwayland does (wlcs BadBufferTest relies on it).  Pools this
	 * policy maps (sealed memfds) keep the exact checks.
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

/**
 * Why a wl_shm.create_pool was refused.  Counted in
 * sealshm_stats.pools_rejected_by_reason; resize refusals are counted in
 * resizes_rejected only.
 */
enum sealshm_reject_reason {
	/**
	 * fstat failed, the fd is not a regular file (pipe, socket, device,
	 * directory, eventfd...), or it cannot be read (O_PATH, O_WRONLY)
	 */
	SEALSHM_REJECT_NOT_REGULAR = 0,
	/** not on shmem: hugetlbfs, or (strict/seal) a disk file */
	SEALSHM_REJECT_NOT_SHMEM,
	/** the file lacks F_SEAL_SHRINK and the policy cannot fix that */
	SEALSHM_REJECT_UNSEALED,
	/** size <= 0 */
	SEALSHM_REJECT_BAD_SIZE,
	/**
	 * the file is smaller than the requested pool size (mapped pools
	 * only: see SEALSHM_POLICY_COPY)
	 */
	SEALSHM_REJECT_FILE_TOO_SMALL,
	/** larger than sealshm_options.max_pool_size */
	SEALSHM_REJECT_POOL_TOO_LARGE,
	/** the client would exceed max_pools_per_client */
	SEALSHM_REJECT_CLIENT_POOLS,
	/** the client would exceed max_bytes_per_client */
	SEALSHM_REJECT_CLIENT_BYTES,
	/** mmap, or (seal policy) adding F_SEAL_SHRINK, failed */
	SEALSHM_REJECT_MAP_FAILED,
	/**
	 * the file is on a filesystem whose operations can wait on someone
	 * else (FUSE, network filesystems, procfs, sysfs, anything unknown):
	 * refused before any call that would reach that filesystem
	 */
	SEALSHM_REJECT_UNSAFE_FS,
	/** the client would exceed max_mappings_per_client */
	SEALSHM_REJECT_CLIENT_MAPPINGS,
	/**
	 * a budget of the whole compositor (max_mappings, max_fds,
	 * max_bytes) is used up; logged at SEALSHM_LOG_ERROR
	 */
	SEALSHM_REJECT_COMPOSITOR_BUDGET,
	SEALSHM_REJECT_REASON_COUNT,
};

/** Defaults of the limits in struct sealshm_options. */
#define SEALSHM_DEFAULT_MAX_POOL_SIZE UINT64_C(2147483647)
#define SEALSHM_DEFAULT_MAX_BYTES_PER_CLIENT (UINT64_C(4) << 30)
#define SEALSHM_DEFAULT_MAX_POOLS_PER_CLIENT 4096u
#define SEALSHM_DEFAULT_MAX_BUFFERS_PER_CLIENT 16384u
#define SEALSHM_DEFAULT_MAX_MAPPINGS_PER_CLIENT 8192u
#define SEALSHM_DEFAULT_MAX_BYTES (UINT64_C(32) << 30)
#define SEALSHM_DEFAULT_MAX_BUFFER_SIDE 16384

/**
 * Options of sealshm_create().  Zero-initialise, set size, then set what
 * you need: every other zero field means "the default".
 *
 *     struct sealshm_options opts = {
 *             .size = sizeof(opts),
 *             .policy = SEALSHM_POLICY_COPY,
 *     };
 *
 * Later releases only append fields, and read no more than size bytes:
 * a program built against this header keeps working with them.
 */
struct sealshm_options {
	/**
	 * sizeof(struct sealshm_options) as the caller knows it; 0 (a
	 * forgotten size) or one smaller than this release's first layout
	 * is EINVAL.
	 */
	size_t size;
	/** Acceptance policy; default SEALSHM_POLICY_STRICT. */
	enum sealshm_policy policy;
	/**
	 * Formats to advertise in addition to the default set, as
	 * wl_shm.format codes.  The default set is every format pixman
	 * reads, in this order: ARGB8888, XRGB8888, ABGR8888, XBGR8888,
	 * RGBA8888, RGBX8888, BGRA8888, BGRX8888, ARGB2101010, XRGB2101010,
	 * ABGR2101010, XBGR2101010, RGB888, BGR888, RGB565, BGR565,
	 * ARGB1555, XRGB1555, ABGR1555, XBGR1555, ARGB4444, XRGB4444,
	 * ABGR4444, XBGR4444, RGB332, BGR233.  To advertise exactly what
	 * a renderer uploads instead, call sealshm_set_formats() after
	 * sealshm_create().  Each extra format must be one sealshm bounds
	 * (sealshm_format_is_bounded(); sealshm_create() fails with EINVAL
	 * otherwise).  Buffers of formats pixman cannot read have no
	 * pixman image.  Copied; the array need not outlive the call.
	 */
	const uint32_t *extra_formats;
	size_t extra_formats_len;
	/**
	 * Largest pool in bytes; default and maximum INT32_MAX (larger is
	 * EINVAL).
	 */
	uint64_t max_pool_size;
	/**
	 * Bytes one client may hold at once; default 4 GiB.  Counts the size
	 * of every live mapping of the client's pools (a mapping kept alive
	 * by buffers after a resize counts until they are gone), the size
	 * of copy-policy pools and the memory of copy-policy buffers
	 * (stride * height each; over the limit, create_buffer fails with
	 * invalid_stride).
	 */
	uint64_t max_bytes_per_client;
	/**
	 * Pools one client may hold at once; default 4096.  A pool counts
	 * until its wl_shm_pool and all its buffers are gone.  Each holds an
	 * fd and at least one mapping (the process has vm.max_map_count).
	 */
	uint32_t max_pools_per_client;
	/** Log handler; default: errors to stderr, nothing else. */
	sealshm_log_func_t log_handler;
	void *log_user_data;
	/**
	 * Buffers one client may hold at once (live wl_buffers and those
	 * the compositor still references); default 16384.  Over it,
	 * create_buffer fails with invalid_stride.
	 */
	uint32_t max_buffers_per_client;
	/**
	 * Mappings one client's pools may hold at once; default 8192.  A
	 * pool has one mapping, plus one for each time a resize could not
	 * grow it in place while buffers used the old one.
	 */
	uint32_t max_mappings_per_client;
	/*
	 * The three budgets of all clients together below (max_mappings,
	 * max_fds, max_bytes) never refuse a client that holds less than 16
	 * mappings, 16 fds and 128 MiB: a process that fills them through
	 * several connections cannot lock out a new, modest client.
	 */
	/**
	 * Mappings of all clients together; default half of
	 * vm.max_map_count (read at sealshm_create()), so the compositor's
	 * own mappings always fit.
	 */
	uint32_t max_mappings;
	/**
	 * Client fds held open by all pools together; default half of the
	 * RLIMIT_NOFILE soft limit after sealshm_create() raised it, so new
	 * connections and the compositor's own files always fit.  A client
	 * that sends the same file again (same device, inode and access
	 * mode) shares the fd it already holds.
	 */
	uint32_t max_fds;
	/** Bytes of all clients together (as max_bytes_per_client counts
	 *  them); default 32 GiB. */
	uint64_t max_bytes;
	/**
	 * Largest buffer width and height in pixels; default 16384 each,
	 * what a desktop renderer can take.  Over it, create_buffer fails
	 * with invalid_stride.
	 */
	int32_t max_buffer_width;
	int32_t max_buffer_height;
};

/**
 * Counters since sealshm_create(), and what is held now.  Filled by
 * sealshm_get_stats(); later releases only append fields.
 */
struct sealshm_stats {
	uint64_t pools_accepted;
	/** Pools accepted per policy path: [0] sealed by the client,
	 *  [1] sealed by the server (seal policy), [2] copied (copy policy). */
	uint64_t pools_accepted_by_tier[3];
	/** create_pool requests refused, in total and by reason. */
	uint64_t pools_rejected;
	uint64_t pools_rejected_by_reason[SEALSHM_REJECT_REASON_COUNT];
	uint64_t buffers_created;
	uint64_t buffers_rejected;
	uint64_t resizes_accepted;
	uint64_t resizes_rejected;
	/** Bytes currently mapped for client pools. */
	uint64_t bytes_mapped;
	/** mmap and mremap calls made for client pools, in total. */
	uint64_t map_calls;
	/** Clients sent a protocol error by this module (once each). */
	uint64_t clients_disconnected;
	/** Copy policy: accesses that found the client's file truncated. */
	uint64_t copy_short_reads;
	/**
	 * Held now, by all clients: buffers, mappings, pool fds.  A
	 * mapping parked after its last pool or buffer (and its file's fd)
	 * is counted until the event loop is next idle.
	 */
	uint64_t buffers;
	uint64_t mappings;
	uint64_t fds;
	/** Pools that reused a mapping of the same file (no mmap). */
	uint64_t mappings_reused;
	/**
	 * sealshm_buffer_copy_to() calls on mapped pools that read the
	 * client's file with pread because the range they copy had holes
	 * (punched or never written), instead of faulting pages in.
	 */
	uint64_t copy_to_preads;
};

/**
 * Create the wl_shm global (version 2) on @p display and advertise the
 * formats.  Call at most once per display, instead of
 * wl_display_init_shm(): a second call fails with EEXIST and a log line.
 *
 * A wl_shm global that libwayland made (wl_display_init_shm(), which
 * wlroots' wlr_renderer_init_wl_shm() and wlr_renderer_init_wl_display()
 * call) cannot be detected: libwayland-server 1.21 offers no way to list
 * a display's globals.  Remove that call; with both globals clients may
 * bind either, and buffers of libwayland's come back NULL from
 * sealshm_buffer_from_resource().
 *
 * @param options NULL for all defaults; copied.
 * @return the new object, or NULL with errno set (EINVAL for bad options,
 * logged with the option and its value; EEXIST; ENOMEM).  Destroyed by
 * sealshm_destroy() or with the display.
 */
struct sealshm *
sealshm_create(struct wl_display *display,
	       const struct sealshm_options *options);

/**
 * Remove the global and free the module.  Buffers the compositor still
 * holds references to stay valid until they are unreferenced.  wl_shm
 * objects clients already bound become inert (their new pools and buffers
 * are not sealshm buffers, and the fds are closed right away); pools they
 * made before keep working.  Nothing is logged afterwards.  Called
 * automatically when the display is destroyed; do not call it after that.
 * NULL is a no-op.
 */
void
sealshm_destroy(struct sealshm *shm);

/**
 * Copy the current counters into @p stats, at most @p size bytes (pass
 * sizeof(*stats)); fields the library does not know stay untouched.
 */
void
sealshm_get_stats(struct sealshm *shm, struct sealshm_stats *stats,
		  size_t size);

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
 * Replace the formats advertised to clients that bind wl_shm from now on
 * (clients bound before keep the formats they were sent, and every
 * create_buffer is checked against the current list), as wl_shm.format
 * codes in the order to advertise them; duplicates are dropped.  The list
 * must contain ARGB8888 and XRGB8888, which every wl_shm offers.
 *
 * Codes sealshm knows keep their checks (bytes per pixel; pixman formats
 * get a pixman image; planar YUV formats are sized for every plane the
 * way renderers read them: NV12/NV21 and NV16/NV61 one interleaved chroma
 * plane of stride bytes per row, YUV420/YVU420, YUV422/YVU422 and
 * YUV444/YVU444 two planes of stride / hsub bytes per row, each with
 * height / vsub rows rounded up; YUYV, YVYU, UYVY and VYUY are packed, 2
 * bytes per pixel).  A code sealshm does not know is accepted as an opaque
 * format with libwayland's checks: stride >= width, offset + stride *
 * height within the pool, no pixman image.  sealshm cannot know what a
 * renderer reads for such a format, so pass only codes whose buffers a
 * renderer reads within stride * height bytes.
 *
 * @return 0, or -1 with errno EINVAL (NULL list, ARGB8888 or XRGB8888
 * missing; logged at SEALSHM_LOG_ERROR) or ENOMEM; on failure the
 * advertised formats are unchanged.
 */
int
sealshm_set_formats(struct sealshm *shm, const uint32_t *formats,
		    size_t count);

/**
 * Whether sealshm knows the layout of @p format (a wl_shm.format code)
 * and so bounds everything a renderer reads of its buffers: its bytes per
 * pixel and, for planar YUV, every plane.  A compositor that passes its
 * renderer's list to sealshm_set_formats() should pass only such codes;
 * others get only libwayland's check.
 */
bool
sealshm_format_is_bounded(uint32_t format);

/**
 * The buffer behind a wl_buffer resource, or NULL when the resource is
 * NULL or was not created by this module (for example a dmabuf).  No
 * reference is taken: the result is valid until the resource is
 * destroyed, unless the caller takes one with sealshm_buffer_ref().  It
 * still works in the resource's destroy listeners.
 */
struct sealshm_buffer *
sealshm_buffer_from_resource(struct wl_resource *resource);

/**
 * Take a reference (event loop thread only).  The buffer's geometry, data pointer and pixman image
 * stay valid and unchanged while any reference is held, also after the
 * client destroyed the wl_buffer, its pool or its connection.
 * @return @p buffer.
 */
struct sealshm_buffer *
sealshm_buffer_ref(struct sealshm_buffer *buffer);

/**
 * Drop a reference taken with sealshm_buffer_ref() (event loop thread
 * only).  The last reference frees the buffer, and with it the pool's
 * mapping and fd when no other buffer uses them.  NULL is a no-op.
 */
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
 * True when the compositor's writes cannot reach the client: its fd was
 * read-only or its file sealed F_SEAL_WRITE or F_SEAL_FUTURE_WRITE, so
 * the pool is mapped privately (writing into it does not fault, but only
 * the compositor sees what it wrote).  Pass wrote = false to
 * sealshm_buffer_end_access() for such buffers.
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
 * True when the buffer's pool is served by the copy policy: its pixels
 * live in memory of the module, filled by sealshm_buffer_begin_access().
 */
bool
sealshm_buffer_is_copied(struct sealshm_buffer *buffer);

/**
 * Start reading (or, unless read-only, writing) the pixels and return a
 * pointer to the first row.  The pointer is the same for the buffer's
 * whole life.  For buffers of mapped pools this is cheap and thread-safe
 * and the memory can be read without any signal handler.  For buffers of
 * copy-policy pools (event loop thread only) the outermost begin reads the
 * buffer's bytes (only the buffer's, not the pool's) with pread into memory
 * owned by the module, allocated once per buffer; if the client's file
 * ends before the buffer does (truncated, or never as large as the pool)
 * the missing part reads as zeros, the client gets an invalid_fd error on
 * the wl_buffer and nothing faults.  Pair each call with
 * sealshm_buffer_end_access(); accesses may nest.
 */
void *
sealshm_buffer_begin_access(struct sealshm_buffer *buffer);

/**
 * Like sealshm_buffer_begin_access(), for a compositor that will touch
 * only the pixels in @p damage (buffer coordinates, for example the
 * surface's buffer damage since it last read this buffer; NULL: the whole
 * buffer, exactly sealshm_buffer_begin_access()).  The region is only read
 * during the call.
 *
 * Buffers of mapped pools: identical to sealshm_buffer_begin_access() (the
 * same pointer, thread-safe; every pixel is current, the region is
 * ignored).
 *
 * Buffers of copy-policy pools (event loop thread only): the outermost
 * begin reads only the rows the region touches, whole rows (x is only
 * used to drop boxes entirely left or right of the buffer), with one pread
 * per run of adjacent rows; parts of the region outside the buffer are
 * ignored, and an empty region reads nothing.  Pixels in the other rows
 * keep what earlier accesses copied (zeros before the first one), so read
 * only inside @p damage, or inside what earlier accesses refreshed and
 * the client has not changed since.  A file that ends before rows being
 * read gives zeros there and invalid_fd on the wl_buffer, as with
 * sealshm_buffer_begin_access(); rows not read are not checked.  If the
 * access writes, the outermost end writes back only the rows this begin
 * read.  Nested begins read nothing: the outermost begin's region decides.
 *
 * Cost: a whole 1920x1080 ARGB8888 buffer is one pread of about 8 MB;
 * damage touching n rows reads n * stride bytes.
 */
void *
sealshm_buffer_begin_access_region(struct sealshm_buffer *buffer,
				   const pixman_region32_t *damage);

/**
 * Copy the pixels in @p damage into @p dst, memory of the compositor laid
 * out as a width x height image of the buffer's format with @p dst_stride
 * bytes per row (dst points at its first row, for example the data of a
 * pixman image of the buffer's size and format).  The bytes are copied as
 * they are: no format conversion, no alpha handling.  This is how a
 * compositor that keeps its own copy of each surface (a shadow image, a
 * texture-upload staging buffer) gets the pixels with a single copy on
 * every tier: a copy-policy buffer is read with pread straight into
 * @p dst instead of into the module's memory and then again by the
 * compositor.
 *
 * What is copied: exactly the pixels of @p damage (buffer coordinates)
 * clipped to the buffer, as pixman_image_composite32(PIXMAN_OP_SRC)
 * clipped to the region would; NULL copies the whole buffer, an empty
 * region nothing.  The region is only read during the call.  Pixels of
 * @p dst outside the region are left alone, with one exception: where
 * the region covers whole rows and @p dst_stride equals the buffer's
 * stride, each run of such rows is copied in one piece, so the padding
 * bytes between those rows (past width * bytes per pixel) are written
 * too.  @p dst must hold dst_stride * (height - 1) + width * bytes per
 * pixel bytes.
 *
 * Buffers of mapped pools: memcpy from the mapping, 128 KiB at a time,
 * each piece checked with mincore first; from the first piece with pages
 * missing from the file (holes, punched or never written) on, the rest is
 * read with pread, which faults nothing in and does not wait on a punch.
 * A punch that starts right after a check can still make the reads of
 * that piece wait (at most 32 pages).  Thread-safe, like reads between
 * begin and end access.
 *
 * Buffers of copy-policy pools (event loop thread only, as
 * sealshm_buffer_begin_access()): pread from the client's file into
 * @p dst, one call per run of whole rows when @p dst_stride equals the
 * buffer's stride, otherwise one per row of each damage rectangle.  It
 * reads the file as it is now; the module's own copy (what
 * sealshm_buffer_begin_access() returns) is neither used nor changed, so
 * writes made in an access that is still open are not seen.  A file that
 * ends before the bytes being copied gives zeros there and the client
 * gets an invalid_fd error on the wl_buffer, as with
 * sealshm_buffer_begin_access(); @p dst is still fully written and the
 * call returns 0.  Bytes the damage does not touch are not checked.
 *
 * No sealshm_buffer_begin_access() is needed around the call (it may be
 * made inside one).
 *
 * Cost: damage covering n whole rows of a copy-policy buffer is one pread
 * of about n * stride bytes; a 1920x1080 ARGB8888 buffer with full damage
 * costs one copy of about 8 MB, the same as copying it from a mapping.
 * A rectangle narrower than the buffer costs one pread per row.
 *
 * @return 0, or -1 with errno EINVAL when @p dst_stride is smaller than
 * width * bytes per pixel, or the format is planar (NV12, YUV420, ...;
 * use sealshm_buffer_begin_access()).  A NULL @p buffer or @p dst is a bug (assert).
 */
int
sealshm_buffer_copy_to(struct sealshm_buffer *buffer,
		       const pixman_region32_t *damage, void *dst,
		       int32_t dst_stride);

/**
 * The pointer sealshm_buffer_begin_access() returns, without starting an
 * access: the same for the buffer's whole life.  For buffers of mapped
 * pools the memory is the client's pixels and may be read (and, unless
 * read-only, written) at any time, from any thread, without a fault.  For
 * buffers of copy-policy pools it is the module's copy, which only the
 * outermost begin access refreshes (zeros before the first one); read it
 * on the event loop thread.  For planar formats it points at the luma
 * plane, and the chroma planes follow at the offsets described at
 * sealshm_set_formats().
 */
void *
sealshm_buffer_get_data(struct sealshm_buffer *buffer);

/**
 * Call @p listener->notify(listener, buffer) right before the buffer is
 * freed (its last reference dropped), while its data and getters are
 * still valid.  For state a compositor keeps per buffer (a texture, a
 * wrapper object); find it again with sealshm_buffer_get_destroy_listener().
 * Remove the listener (wl_list_remove(&listener->link)) if it is freed
 * earlier.  Event loop thread only.
 */
void
sealshm_buffer_add_destroy_listener(struct sealshm_buffer *buffer,
				    struct wl_listener *listener);

/**
 * The listener added with sealshm_buffer_add_destroy_listener() whose
 * notify function is @p notify, or NULL.
 */
struct wl_listener *
sealshm_buffer_get_destroy_listener(struct sealshm_buffer *buffer,
				    void (*notify)(struct wl_listener *listener,
						   void *data));

/**
 * End an access started with sealshm_buffer_begin_access() or
 * sealshm_buffer_begin_access_region().  @p wrote must be false for
 * read-only buffers (assert).  For copy-policy pools, if any nested access
 * wrote, the outermost end writes the rows the outermost begin read back
 * to the client's file with pwrite (never past the file's end as that
 * begin found it).
 */
void
sealshm_buffer_end_access(struct sealshm_buffer *buffer, bool wrote);

/**
 * A pixman image of the buffer's pixels, owned by the buffer: valid while
 * a reference is held, the same image every time.  NULL when pixman cannot
 * read the format (extra_formats).  Read it only between begin and end
 * access; never composite into it when the buffer is read-only.
 */
pixman_image_t *
sealshm_buffer_get_pixman_image(struct sealshm_buffer *buffer);

#ifdef __cplusplus
}
#endif

#endif /* SEALSHM_SERVER_H */
