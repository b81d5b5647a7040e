/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * Re-validating a resize: each pool keeps its file's fd open and fstat()s
 * it at every wl_shm_pool.resize.  With F_SEAL_SHRINK known, st_size >= size
 * proves to the byte that the whole new range is backed, for every later
 * moment.  The fd-free alternative (reading the new range's last byte of
 * our own mapping with process_vm_readv, which fails with EFAULT instead of
 * raising SIGBUS) only proves that the last *page* is backed: the file may
 * end inside it, and then the size the client claims is a lie we cannot
 * see.  The price of the open fd is bounded: one per file per client (the
 * same file sent again shares it), max_pools_per_client, max_fds for the
 * whole compositor, and sealshm_create() raises RLIMIT_NOFILE to its hard
 * limit.  One fstat of a
 * memfd costs about 0.3 us on the development machine (process_vm_readv of
 * one byte about 1 us), paid once per resize.
 */

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <wayland-server-core.h>

#include "buffer.h"
#include "fs.h"
#include "pool.h"
#include "sealshm-shm-server-protocol.h"
#include "shm-file.h"
#include "shm.h"

/*
 * libwayland cuts error messages at 127 bytes: every message below states
 * the cause first and the fix after it, and fits.
 */
#define FIX_SEAL                                                               \
	"use memfd_create(MFD_ALLOW_SEALING) and F_ADD_SEALS "                 \
	"F_SEAL_SHRINK"

static void reject_pool(struct shm_client *owner, struct wl_resource *resource,
			uint32_t code, enum sealshm_reject_reason reason,
			const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void
reject_pool(struct shm_client *owner, struct wl_resource *resource,
	    uint32_t code, enum sealshm_reject_reason reason, const char *fmt,
	    ...)
{
	struct sealshm_stats *stats = &owner->shm->stats;
	va_list args;

	stats->pools_rejected++;
	stats->pools_rejected_by_reason[reason]++;
	va_start(args, fmt);
	shm_client_verror(owner, resource, code, fmt, args);
	va_end(args);
}

static void reject_resize(struct pool *pool, uint32_t code, const char *fmt,
			  ...) __attribute__((format(printf, 3, 4)));

static void
reject_resize(struct pool *pool, uint32_t code, const char *fmt, ...)
{
	va_list args;

	pool->owner->shm->stats.resizes_rejected++;
	va_start(args, fmt);
	shm_client_verror(pool->owner, pool->resource, code, fmt, args);
	va_end(args);
}

static const char *
file_type_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFIFO:
		return "pipe";
	case S_IFSOCK:
		return "socket";
	case S_IFCHR:
		return "character device";
	case S_IFBLK:
		return "block device";
	case S_IFDIR:
		return "directory";
	case S_IFLNK:
		return "symbolic link";
	default:
		return "special file";
	}
}

static void
charge(struct pool *pool, int64_t bytes, bool mapped)
{
	shm_client_charge(pool->owner, bytes);
	if (mapped)
		pool->owner->shm->stats.bytes_mapped += (uint64_t)bytes;
}

/*
 * What every client may hold whatever the compositor-wide budgets say:
 * a few connections of one greedy process can fill max_fds, max_mappings
 * or max_bytes, and a new, modest client must still get its windows'
 * pools.  The floor costs at most this much per connection, and every
 * connection already costs the compositor an fd of its own.
 */
#define FLOOR_FDS 16u
#define FLOOR_MAPPINGS 16u
#define FLOOR_BYTES (UINT64_C(128) << 20)

/* Which byte budget @p extra more bytes would break, if any. */
enum bytes_verdict {
	BYTES_OK,
	BYTES_CLIENT,
	BYTES_COMPOSITOR,
};

static bool reclaim_parked(struct shm_client *owner, bool everyone);

static enum bytes_verdict
bytes_verdict(struct shm_client *owner, uint64_t extra)
{
	if (owner->bytes + extra > owner->shm->max_bytes_per_client)
		return BYTES_CLIENT;
	if (owner->shm->bytes + extra > owner->shm->max_bytes &&
	    owner->bytes + extra > FLOOR_BYTES)
		return BYTES_COMPOSITOR;
	return BYTES_OK;
}

static enum bytes_verdict
check_bytes(struct shm_client *owner, uint64_t extra)
{
	enum bytes_verdict verdict = bytes_verdict(owner, extra);

	if (verdict != BYTES_OK &&
	    reclaim_parked(owner, verdict == BYTES_COMPOSITOR))
		verdict = bytes_verdict(owner, extra);
	return verdict;
}

static void
file_unref(struct shm_file *file)
{
	assert(file->refcount > 0);
	if (--file->refcount > 0)
		return;
	assert(!file->mapping);
	wl_list_remove(&file->link);
	close(file->fd);
	file->owner->fds--;
	file->owner->shm->stats.fds--;
	free(file);
}

/*
 * The client's file of that identity, so that the same file sent again
 * holds one fd and can reuse its mapping.  The new fd's access mode must
 * match; it costs an F_GETFL, but only when the file is already there.
 */
static struct shm_file *
file_find(struct shm_client *owner, int fd, const struct stat *st,
	  bool read_only, bool copy)
{
	bool mode_known = read_only || copy;
	struct shm_file *file;
	int flags;

	wl_list_for_each (file, &owner->files, link) {
		if (file->dev != st->st_dev || file->ino != st->st_ino ||
		    file->copy != copy)
			continue;
		if (!mode_known) {
			flags = fcntl(fd, F_GETFL);
			if (flags < 0)
				return NULL;
			read_only = (flags & O_ACCMODE) != O_RDWR;
			mode_known = true;
		}
		if (file->read_only == read_only)
			return file;
	}
	return NULL;
}

static struct shm_file *
file_create(struct shm_client *owner, int fd, const struct stat *st,
	    bool read_only, bool copy)
{
	struct shm_file *file = calloc(1, sizeof(*file));

	if (!file)
		return NULL;
	file->refcount = 1;
	file->owner = owner;
	file->dev = st->st_dev;
	file->ino = st->st_ino;
	file->fd = fd;
	file->read_only = read_only;
	file->copy = copy;
	wl_list_insert(&owner->files, &file->link);
	owner->fds++;
	owner->shm->stats.fds++;
	return file;
}

/*
 * How much to map for a pool of @p size bytes: up to four times as much,
 * past the file's end, so that the pool grows in place, without a system
 * call, while the file grows (a pool usually doubles).  Mapping past the
 * end of a file is allowed; only touching those pages would fault, and
 * nothing hands out a pointer beyond the size proven with fstat (buffers
 * are checked against the pool's size).  Address space only: the budgets
 * count the proven size.  64-bit only, where address space is plenty.
 */
static size_t
reservation_for(struct sealshm *shm, size_t size)
{
	const size_t page = 4096;
	size_t cap = (size_t)((shm->max_pool_size + page - 1) & ~(page - 1));
	size_t want = (size + page - 1) & ~(page - 1);

	if (sizeof(void *) < 8)
		return size;
	if (want <= cap / 4)
		want *= 4;
	else
		want = cap > want ? cap : want;
	return want;
}

/*
 * Drop @p mapping from its client and its file once its address range is
 * gone (unmapped, or mapped over by another mapping).
 */
static void
mapping_forget(struct pool_mapping *mapping)
{
	struct shm_file *file = mapping->file;
	struct shm_client *owner = file->owner;

	shm_client_charge(owner, -(int64_t)mapping->size);
	owner->shm->stats.bytes_mapped -= mapping->size;
	owner->mappings--;
	owner->shm->stats.mappings--;
	if (file->mapping == mapping)
		file->mapping = NULL;
	free(mapping);
	file_unref(file);
}

/*
 * Read-only files (a read-only fd, or a write seal) get a private writable
 * mapping: a compositor that writes anyway (a screen copy into a client
 * buffer) touches copy-on-write pages of its own instead of faulting, and
 * the client's file never changes; pages it does not write stay the
 * file's, so reads see the client's updates.  MAP_NORESERVE: no commit
 * charge for pages never written.  Whether a new fd is read-only is
 * learned here rather than with F_GETFL: a shared writable mapping of it
 * fails with EACCES, which the kernel answers before it looks at @p addr.
 */
static void *
map_file(struct pool *pool, void *addr, size_t len)
{
	struct shm_file *file = pool->file;
	int fixed = addr ? MAP_FIXED : 0;
	void *data = MAP_FAILED;

	if (!file->read_only) {
		data = mmap(addr, len, PROT_READ | PROT_WRITE,
			    MAP_SHARED | fixed, file->fd, 0);
		if (data == MAP_FAILED &&
		    (errno == EACCES || (!addr && errno == EPERM)))
			file->read_only = pool->read_only = true;
	}
	if (file->read_only)
		data = mmap(addr, len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_NORESERVE | fixed, file->fd, 0);
	return data;
}

/*
 * The parked mapping whose address range a new mapping of @p file,
 * @p reserved bytes long, may take over: one of another file, at least as
 * long and at most twice (the new mapping gets the whole range, and a
 * private one is commit-charged for it where overcommit is strict).
 * Mapping over it with MAP_FIXED replaces it in the same call, so that a
 * client sending a new file per buffer costs one munmap less per pool, and
 * that call is spent on madvise(MADV_SEQUENTIAL) of the old range, whose
 * unmapping then skips promoting each page the compositor read on the
 * page LRU (pages of a file it is dropping: 11 % of the compositor's time
 * per new 256 KiB file in the bench's profile, see BENCHMARKS.md; every
 * kernel skips it for MADV_SEQUENTIAL, 6.3 and later for MADV_RANDOM too).
 *
 * Only for a file sealed F_SEAL_SEAL: once the kernel has begun to replace
 * the range, such a file can only fail for lack of memory, while a seal
 * added meanwhile (F_SEAL_FUTURE_WRITE, F_SEAL_WRITE) could refuse the
 * mapping after the old one is gone.
 */
static bool
range_fits(const struct pool_mapping *parked, size_t reserved)
{
	return parked->reserved >= reserved && parked->reserved / 2 <= reserved;
}

static struct pool_mapping *
parked_range_for(struct shm_file *file, size_t reserved)
{
	struct pool_mapping *parked = file->owner->parked;

	if (!parked || parked->file == file || !file->seals_frozen ||
	    !range_fits(parked, reserved))
		return NULL;
	return parked;
}

/* Whether a line of /proc/self/maps is exactly @p mapping, of its file. */
static bool
maps_line_is(const char *line, const struct pool_mapping *mapping)
{
	unsigned long start, end, ino;
	unsigned int major_dev, minor_dev;

	return sscanf(line, "%lx-%lx %*s %*x %x:%x %lu", &start, &end,
		      &major_dev, &minor_dev, &ino) == 5 &&
	       start == (uintptr_t)mapping->data &&
	       end == (uintptr_t)mapping->data + mapping->reserved &&
	       ino == mapping->file->ino &&
	       makedev(major_dev, minor_dev) == mapping->file->dev;
}

/*
 * Whether /proc/self/maps shows @p mapping's whole range as one mapping of
 * its file: 1 or 0, -1 when it cannot be read.  Only read after a failed
 * mmap over it (release_failed_range()), where memory may be short: read
 * through a buffer on the stack, without stdio.
 */
static int
range_is_still_mapped(const struct pool_mapping *mapping)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	char buf[4096], *line, *nl;
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	for (;;) {
		/* A line longer than the buffer is a long path: skip it. */
		if (len == sizeof(buf) - 1)
			len = 0;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		for (line = buf; (nl = strchr(line, '\n')); line = nl + 1) {
			*nl = '\0';
			if (maps_line_is(line, mapping)) {
				close(fd);
				return 1;
			}
		}
		len -= (size_t)(line - buf);
		memmove(buf, line, len);
	}
	close(fd);
	return n < 0 ? -1 : 0;
}

/*
 * A mmap over @p old's range failed, with @p err.  EACCES (the fd's access
 * mode) comes before the kernel touches the range, so it is still
 * @p old's.  After any other failure the range may be @p old's, or a gap
 * (the kernel had begun to replace it), into which another thread of the
 * compositor may have mapped something since: it is unmapped only when it
 * is still exactly @p old's mapping.
 */
static void
release_failed_range(struct sealshm *shm, const struct pool_mapping *old,
		     int err)
{
	int mapped = err == EACCES ? 1 : range_is_still_mapped(old);

	if (mapped > 0)
		munmap(old->data, old->reserved);
	else if (mapped < 0)
		shm_log(shm, SEALSHM_LOG_ERROR,
			"cannot read /proc/self/maps (%s): %zu bytes of a "
			"client's file at %p may stay mapped",
			strerror(errno), old->reserved, old->data);
}

/*
 * Map @p size bytes of the pool's file, with room to grow (see
 * reservation_for()), over the client's parked mapping when
 * parked_range_for() allows.
 *
 * Fails with errno EDQUOT (the client's mapping budget), ENFILE (the
 * compositor's) or mmap's error.
 */
static struct pool_mapping *
mapping_create(struct pool *pool, size_t size)
{
	struct sealshm *shm = pool->owner->shm;
	struct shm_file *file = pool->file;
	struct pool_mapping *mapping, *old;
	void *data;
	size_t reserved;
	int map_errno;

	if (pool->owner->mappings >= shm->max_mappings_per_client &&
	    (!reclaim_parked(pool->owner, false) ||
	     pool->owner->mappings >= shm->max_mappings_per_client)) {
		errno = EDQUOT;
		return NULL;
	}
	if (shm->stats.mappings >= shm->max_mappings &&
	    pool->owner->mappings >= FLOOR_MAPPINGS &&
	    (!reclaim_parked(pool->owner, true) ||
	     shm->stats.mappings >= shm->max_mappings)) {
		shm_log(shm, SEALSHM_LOG_ERROR,
			"%" PRIu64 " client pool mappings, the compositor's "
			"limit (max_mappings): refusing more",
			shm->stats.mappings);
		errno = ENFILE;
		return NULL;
	}
	mapping = calloc(1, sizeof(*mapping));
	if (!mapping)
		return NULL;
	reserved = reservation_for(shm, size);
	old = parked_range_for(file, reserved);
	if (old) {
		pool->owner->parked = NULL;
		reserved = old->reserved;
		/* A hint: failing costs only the LRU work it saves. */
		madvise(old->data, old->reserved, MADV_SEQUENTIAL);
	}
	data = map_file(pool, old ? old->data : NULL, reserved);
	map_errno = errno;
	if (old) {
		if (data == MAP_FAILED)
			release_failed_range(shm, old, map_errno);
		mapping_forget(old);
	}
	if (data == MAP_FAILED) {
		/* Address space or vm.max_map_count: the compositor's
		 * problem as much as the client's. */
		if (map_errno != EACCES)
			shm_log(shm, SEALSHM_LOG_ERROR,
				"mmap of a %zu-byte client pool failed: %s",
				size, strerror(map_errno));
		free(mapping);
		errno = map_errno;
		return NULL;
	}
	shm->stats.map_calls++;
	mapping->refcount = 1;
	mapping->file = file;
	mapping->data = data;
	mapping->size = size;
	mapping->reserved = reserved;
	file->refcount++;
	pool->owner->mappings++;
	shm->stats.mappings++;
	if (!file->mapping || file->mapping->size < size)
		file->mapping = mapping;
	charge(pool, (int64_t)size, true);
	return mapping;
}

/*
 * A mapping that no pool or buffer uses any more is still worth one thing:
 * a client that destroys its pool and sends the same file again, as one
 * that makes a pool per buffer does, would get it back with no mmap and no
 * munmap.  So the file's largest mapping is parked on its client, one per
 * client, instead of unmapped, and released when the event loop is next
 * idle (after the burst of requests it came in), when the client parks
 * another, sends a pool it cannot serve (another file, or larger than it
 * covers), closes its connection, or a budget needs room.  Parked, it is
 * still counted against every budget and mapped exactly as before: valid,
 * since nothing can remove the seal it was made under.
 */
static void
release_idle(void *data)
{
	struct sealshm *shm = data;

	/* libwayland removes an idle source once it ran. */
	shm->release_idle = NULL;
	pool_release_all_parked(shm);
}

static void
mapping_release(struct pool_mapping *mapping)
{
	munmap(mapping->data, mapping->reserved);
	mapping_forget(mapping);
}

static bool
mapping_park(struct pool_mapping *mapping)
{
	struct shm_client *owner = mapping->file->owner;
	struct sealshm *shm = owner->shm;

	/* Only the file's largest mapping is ever reused. */
	if (mapping->file->mapping != mapping || owner->gone || shm->destroyed)
		return false;
	if (!shm->release_idle) {
		shm->release_idle = wl_event_loop_add_idle(
			wl_display_get_event_loop(shm->display), release_idle,
			shm);
		if (!shm->release_idle)
			return false;
	}
	pool_release_parked(owner);
	owner->parked = mapping;
	return true;
}

void
pool_release_parked(struct shm_client *owner)
{
	struct pool_mapping *mapping = owner->parked;

	if (!mapping)
		return;
	owner->parked = NULL;
	mapping_release(mapping);
}

void
pool_release_all_parked(struct sealshm *shm)
{
	struct shm_client *owner;

	wl_list_for_each (owner, &shm->clients, link)
		pool_release_parked(owner);
	if (shm->release_idle) {
		wl_event_source_remove(shm->release_idle);
		shm->release_idle = NULL;
	}
}

/*
 * Before a budget refuses anything, give the parked mappings back: the
 * client's own, or everyone's for a compositor-wide budget.  True when
 * that freed something, so the check is worth repeating.
 */
static bool
reclaim_parked(struct shm_client *owner, bool everyone)
{
	struct sealshm *shm = owner->shm;
	struct shm_client *other;
	bool freed = false;

	if (shm->destroyed)
		return false;
	if (!everyone) {
		freed = owner->parked != NULL;
		pool_release_parked(owner);
		return freed;
	}
	wl_list_for_each (other, &shm->clients, link)
		freed = freed || other->parked;
	pool_release_all_parked(shm);
	return freed;
}

struct pool_mapping *
pool_mapping_ref(struct pool_mapping *mapping)
{
	struct shm_client *owner = mapping->file->owner;

	if (mapping->refcount == 0) {
		assert(owner->parked == mapping);
		owner->parked = NULL;
	}
	mapping->refcount++;
	return mapping;
}

void
pool_mapping_unref(struct pool_mapping *mapping)
{
	assert(mapping->refcount > 0);
	if (--mapping->refcount > 0)
		return;
	if (!mapping_park(mapping))
		mapping_release(mapping);
}

struct pool *
pool_ref(struct pool *pool)
{
	pool->refcount++;
	return pool;
}

void
pool_unref(struct pool *pool)
{
	assert(pool->refcount > 0);
	if (--pool->refcount > 0)
		return;
	if (pool->mapping)
		pool_mapping_unref(pool->mapping);
	charge(pool, -(int64_t)pool->charged, false);
	pool->owner->pools--;
	if (pool->file)
		file_unref(pool->file);
	shm_client_unref(pool->owner);
	free(pool);
}

/* The mapping now serves @p size proven bytes: count them. */
static void
mapping_set_size(struct pool *pool, struct pool_mapping *mapping, size_t size)
{
	if (size > mapping->size) {
		charge(pool, (int64_t)(size - mapping->size), true);
		mapping->size = size;
	}
	if (pool->file->mapping->size < size)
		pool->file->mapping = mapping;
}

/*
 * Grow the mapping without moving any pointer a buffer holds: within its
 * reservation for free; else in place if the address space after it is
 * free; moved if nothing else uses it yet; otherwise a second mapping of
 * the file for buffers made from now on, while the old one lives as long
 * as its users.  Pools of one file that share a mapping see it grow,
 * which only adds pages the file was just proven to have.
 */
static int
grow_mapping(struct pool *pool, size_t size)
{
	struct pool_mapping *mapping = pool->mapping, *fresh;
	struct sealshm *shm = pool->owner->shm;
	size_t reserved;
	void *data;

	if (size <= mapping->reserved) {
		mapping_set_size(pool, mapping, size);
		return 0;
	}
	reserved = reservation_for(shm, size);
	shm->stats.map_calls++;
	data = mremap(mapping->data, mapping->reserved, reserved, 0);
	if (data == MAP_FAILED && mapping->refcount == 1) {
		shm->stats.map_calls++;
		data = mremap(mapping->data, mapping->reserved, reserved,
			      MREMAP_MAYMOVE);
	}
	if (data != MAP_FAILED) {
		mapping->data = data;
		mapping->reserved = reserved;
		mapping_set_size(pool, mapping, size);
		return 0;
	}

	if (check_bytes(pool->owner, size) != BYTES_OK)
		return -ENOSPC;
	fresh = mapping_create(pool, size);
	if (!fresh)
		return -errno;
	pool_mapping_unref(mapping);
	pool->mapping = fresh;
	return 0;
}

static void
pool_create_buffer(struct wl_client *client, struct wl_resource *resource,
		   uint32_t id, int32_t offset, int32_t width, int32_t height,
		   int32_t stride, uint32_t format)
{
	struct pool *pool = wl_resource_get_user_data(resource);

	if (!pool) {
		buffer_create_inert(resource, id);
		return;
	}
	buffer_create(pool, resource, id, offset, width, height, stride,
		      format);
}

static void
pool_destroy(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static void
reject_grow(struct pool *pool, int32_t size, int err)
{
	struct sealshm *shm = pool->owner->shm;

	switch (err) {
	case ENOSPC:
		reject_resize(pool, WL_SHM_ERROR_INVALID_FD,
			      "resize to %" PRId32 " needs a 2nd mapping, "
			      "over the limit of %" PRIu64 " bytes per "
			      "client; destroy old buffers first",
			      size, shm->max_bytes_per_client);
		break;
	case EDQUOT:
		reject_resize(pool, WL_SHM_ERROR_INVALID_FD,
			      "resize to %" PRId32 " needs a new mapping; the "
			      "client holds %" PRIu32 " mappings, its limit; "
			      "destroy old buffers first",
			      size, pool->owner->mappings);
		break;
	case ENFILE:
		reject_resize(pool, WL_SHM_ERROR_INVALID_FD,
			      "resize to %" PRId32 " needs a new mapping; the "
			      "compositor holds its limit of mappings; try "
			      "later",
			      size);
		break;
	default:
		reject_resize(pool, WL_SHM_ERROR_INVALID_FD,
			      "mmap of %" PRId32 " bytes failed (%s); "
			      "use a smaller pool",
			      size, strerror(err));
	}
}

static void
pool_resize(struct wl_client *client, struct wl_resource *resource,
	    int32_t size)
{
	struct pool *pool = wl_resource_get_user_data(resource);
	enum bytes_verdict verdict;
	struct sealshm *shm;
	struct stat st;
	int ret;

	if (!pool)
		return;
	shm = pool->owner->shm;

	if (size <= 0 || size < pool->size) {
		reject_resize(pool, WL_SHM_ERROR_INVALID_STRIDE,
			      "resize to %" PRId32 " < pool size %" PRId32
			      ": pools only grow; make a new pool to shrink",
			      size, pool->size);
		return;
	}
	/*
	 * An unsealed file may shrink right after any fstat, so in the copy
	 * tier a size check proves nothing; its reads (pread) find a short
	 * file at access time and answer it there.  A mapped pool's file
	 * is shmem: fstat cannot wait on anyone.
	 */
	if (pool->tier != POOL_TIER_COPY) {
		if (fstat(pool->file->fd, &st) < 0) {
			reject_resize(
				pool, WL_SHM_ERROR_INVALID_FD,
				"fstat of the pool's fd failed (%s); make a "
				"new pool",
				strerror(errno));
			return;
		}
		if (st.st_size < size) {
			reject_resize(pool, WL_SHM_ERROR_INVALID_FD,
				      "resize to %" PRId32
				      " > file size %jd; grow "
				      "the file (ftruncate, posix_fallocate) "
				      "before resizing",
				      size, (intmax_t)st.st_size);
			return;
		}
	}
	if ((uint64_t)size > shm->max_pool_size) {
		reject_resize(pool, WL_SHM_ERROR_INVALID_FD,
			      "resize to %" PRId32 " > the limit of %" PRIu64
			      " bytes per pool; use several smaller pools",
			      size, shm->max_pool_size);
		return;
	}
	verdict = check_bytes(pool->owner, (uint64_t)(size - pool->size));
	if (verdict == BYTES_CLIENT) {
		reject_resize(pool, WL_SHM_ERROR_INVALID_FD,
			      "resize to %" PRId32 " would exceed the limit of "
			      "%" PRIu64 " bytes per client; destroy unused "
			      "pools and buffers",
			      size, shm->max_bytes_per_client);
		return;
	} else if (verdict == BYTES_COMPOSITOR) {
		shm_log(shm, SEALSHM_LOG_ERROR,
			"client pools hold %" PRIu64 " bytes, near the "
			"compositor's limit (max_bytes): refusing more",
			shm->bytes);
		reject_resize(pool, WL_SHM_ERROR_INVALID_FD,
			      "resize to %" PRId32 " would exceed the "
			      "compositor's limit of %" PRIu64 " bytes of "
			      "pools; try later",
			      size, shm->max_bytes);
		return;
	}

	if (pool->tier == POOL_TIER_COPY) {
		charge(pool, size - pool->size, false);
		pool->charged += (uint64_t)(size - pool->size);
	} else {
		ret = grow_mapping(pool, (size_t)size);
		if (ret < 0) {
			reject_grow(pool, size, -ret);
			return;
		}
	}
	pool->size = size;
	shm->stats.resizes_accepted++;
}

static const struct wl_shm_pool_interface wl_shm_pool_impl = {
	.create_buffer = pool_create_buffer,
	.destroy = pool_destroy,
	.resize = pool_resize,
};

static void
pool_resource_destroy(struct wl_resource *resource)
{
	struct pool *pool = wl_resource_get_user_data(resource);

	if (!pool)
		return;
	pool->resource = NULL;
	/* No buffer can be made from it any more: buffers keep their own
	 * mappings. */
	if (pool->mapping) {
		pool_mapping_unref(pool->mapping);
		pool->mapping = NULL;
	}
	pool_unref(pool);
}

void
pool_create_inert(struct wl_resource *shm_resource, uint32_t id)
{
	struct wl_client *client = wl_resource_get_client(shm_resource);
	struct wl_resource *resource;

	resource =
		wl_resource_create(client, &wl_shm_pool_interface,
				   wl_resource_get_version(shm_resource), id);
	if (!resource) {
		wl_client_post_no_memory(client);
		return;
	}
	wl_resource_set_implementation(resource, &wl_shm_pool_impl, NULL,
				       pool_resource_destroy);
}

/* What the checks found out about a pool's fd. */
struct fd_facts {
	enum pool_tier tier;
	int seals;
	struct stat st; /* made after the seals were read */
	bool read_only; /* known from the seals; mapping_create learns more */
};

/* Copy tier: the access mode, which pread and pwrite need to know. */
static bool
copy_access_mode(struct shm_client *owner, struct wl_resource *resource, int fd,
		 struct fd_facts *facts)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || (flags & O_ACCMODE) == O_WRONLY) {
		reject_pool(owner, resource, WL_SHM_ERROR_INVALID_FD,
			    SEALSHM_REJECT_NOT_REGULAR,
			    "fd was opened write-only and cannot be read; "
			    "send an O_RDWR (or O_RDONLY) memfd");
		return false;
	}
	facts->read_only =
		(flags & O_ACCMODE) != O_RDWR ||
		(facts->seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE));
	facts->tier = POOL_TIER_COPY;
	return true;
}

/*
 * A file F_GET_SEALS knows nothing of: not shmem.  Nothing may call into
 * its filesystem before we know that filesystem cannot stall us (see
 * fs.c); then fstat tells what it is.  Only the copy policy takes such a
 * file, and only a regular one on a local filesystem.
 */
static bool
inspect_other(struct shm_client *owner, struct wl_resource *resource, int fd,
	      bool o_path, struct fd_facts *facts)
{
	char type[32];
	enum fs_class cls = fs_classify(owner->shm, fd, type, sizeof(type));

	if (cls == FS_UNSAFE) {
		reject_pool(owner, resource, WL_SHM_ERROR_INVALID_FD,
			    SEALSHM_REJECT_UNSAFE_FS,
			    "fd is on a %s filesystem, whose calls can wait "
			    "on another process; send a memfd",
			    type);
		return false;
	}
	if (fstat(fd, &facts->st) < 0) {
		reject_pool(owner, resource, WL_SHM_ERROR_INVALID_FD,
			    SEALSHM_REJECT_NOT_REGULAR,
			    "fstat of the fd failed (%s); " FIX_SEAL,
			    strerror(errno));
		return false;
	}
	if (!S_ISREG(facts->st.st_mode)) {
		reject_pool(owner, resource, WL_SHM_ERROR_INVALID_FD,
			    SEALSHM_REJECT_NOT_REGULAR,
			    "fd is a %s, not a regular file; " FIX_SEAL,
			    file_type_name(facts->st.st_mode));
		return false;
	}
	if (o_path) {
		reject_pool(owner, resource, WL_SHM_ERROR_INVALID_FD,
			    SEALSHM_REJECT_NOT_REGULAR,
			    "fd was opened O_PATH and cannot be read; send an "
			    "O_RDWR (or O_RDONLY) memfd");
		return false;
	}
	if (cls != FS_LOCAL) {
		reject_pool(owner, resource, WL_SHM_ERROR_INVALID_FD,
			    SEALSHM_REJECT_UNSAFE_FS,
			    "fd is on a %s filesystem, which the compositor "
			    "does not read from; send a memfd",
			    type);
		return false;
	}
	if (owner->shm->policy != SEALSHM_POLICY_COPY) {
		reject_pool(owner, resource, WL_SHM_ERROR_INVALID_FD,
			    SEALSHM_REJECT_NOT_SHMEM,
			    "fd is a disk file, which can shrink and cannot be "
			    "sealed; " FIX_SEAL);
		return false;
	}
	return copy_access_mode(owner, resource, fd, facts);
}

/* Shmem or hugetlbfs: which one, with fstatfs only off the memfd mount. */
static int
shmem_kind(struct sealshm *shm, int fd, const struct stat *st,
	   enum shm_fs_kind *kind)
{
	if (shm->memfd_dev_known && st->st_dev == shm->memfd_dev) {
		*kind = SHM_FS_SHMEM;
		return 0;
	}
	return shm_file_get_fs_kind(fd, kind);
}

/*
 * Steps 1-3 of the acceptance order (doc/design.md): the seals first,
 * with F_GET_SEALS, which answers EINVAL for every file that is not shmem
 * or hugetlbfs without asking its filesystem; then, for those, one fstat
 * (the size it reports is already covered by the seals), the filesystem
 * and the policy's verdict.  Three system calls for a sealed memfd.
 */
static bool
inspect_fd(struct shm_client *owner, struct wl_resource *resource, int fd,
	   struct fd_facts *facts)
{
	enum sealshm_policy policy = owner->shm->policy;
	enum shm_fs_kind kind;

	facts->seals = shm_file_get_seals(fd);
	if (facts->seals < 0) {
		/* EBADF: an O_PATH fd, which fcntl mostly refuses. */
		bool o_path = errno == EBADF;

		facts->seals = 0;
		return inspect_other(owner, resource, fd, o_path, facts);
	}

	if (fstat(fd, &facts->st) < 0) {
		reject_pool(owner, resource, WL_SHM_ERROR_INVALID_FD,
			    SEALSHM_REJECT_NOT_REGULAR,
			    "fstat of the fd failed (%s); " FIX_SEAL,
			    strerror(errno));
		return false;
	}
	if (shmem_kind(owner->shm, fd, &facts->st, &kind) < 0) {
		reject_pool(owner, resource, WL_SHM_ERROR_INVALID_FD,
			    SEALSHM_REJECT_NOT_SHMEM,
			    "fstatfs of the fd failed (%s); " FIX_SEAL,
			    strerror(errno));
		return false;
	}
	if (kind == SHM_FS_HUGETLB) {
		reject_pool(owner, resource, WL_SHM_ERROR_INVALID_FD,
			    SEALSHM_REJECT_NOT_SHMEM,
			    "fd is on hugetlbfs, which faults when huge pages "
			    "run out; create the memfd without MFD_HUGETLB");
		return false;
	}
	facts->read_only =
		(facts->seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) != 0;

	if (kind == SHM_FS_SHMEM && (facts->seals & F_SEAL_SHRINK)) {
		facts->tier = POOL_TIER_SEALED;
		return true;
	}
	/* Never F_SEAL_GROW: the client must still be able to grow.  A
	 * read-only fd cannot be sealed (EPERM). */
	if (policy >= SEALSHM_POLICY_SEAL && kind == SHM_FS_SHMEM &&
	    !(facts->seals & F_SEAL_SEAL)) {
		if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0) {
			facts->seals |= F_SEAL_SHRINK;
			facts->tier = POOL_TIER_SERVER_SEALED;
			return true;
		}
		if (errno != EPERM) {
			reject_pool(owner, resource, WL_SHM_ERROR_INVALID_FD,
				    SEALSHM_REJECT_MAP_FAILED,
				    "the compositor could not seal the memfd "
				    "(%s); add F_SEAL_SHRINK with F_ADD_SEALS",
				    strerror(errno));
			return false;
		}
	}
	if (policy == SEALSHM_POLICY_COPY)
		return copy_access_mode(owner, resource, fd, facts);

	if (kind == SHM_FS_OTHER) {
		reject_pool(owner, resource, WL_SHM_ERROR_INVALID_FD,
			    SEALSHM_REJECT_NOT_SHMEM,
			    "fd is a disk file, which can shrink and cannot be "
			    "sealed; " FIX_SEAL);
	} else if (facts->seals & F_SEAL_SEAL) {
		reject_pool(owner, resource, WL_SHM_ERROR_INVALID_FD,
			    SEALSHM_REJECT_UNSEALED,
			    "file lacks F_SEAL_SHRINK and cannot be sealed "
			    "any more; " FIX_SEAL);
	} else {
		reject_pool(owner, resource, WL_SHM_ERROR_INVALID_FD,
			    SEALSHM_REJECT_UNSEALED,
			    "memfd lacks F_SEAL_SHRINK (seals 0x%x), so it can "
			    "shrink; " FIX_SEAL,
			    (unsigned)facts->seals);
	}
	return false;
}

static bool
check_pool_bytes(struct shm_client *owner, struct wl_resource *resource,
		 int32_t size)
{
	struct sealshm *shm = owner->shm;
	enum bytes_verdict verdict = check_bytes(owner, (uint64_t)size);

	if (verdict == BYTES_CLIENT) {
		reject_pool(owner, resource, WL_SHM_ERROR_INVALID_FD,
			    SEALSHM_REJECT_CLIENT_BYTES,
			    "client holds %" PRIu64 " bytes of pools, %" PRId32
			    " more exceed the limit %" PRIu64 "; destroy "
			    "unused pools",
			    owner->bytes, size, shm->max_bytes_per_client);
		return false;
	} else if (verdict == BYTES_COMPOSITOR) {
		shm_log(shm, SEALSHM_LOG_ERROR,
			"client pools hold %" PRIu64 " bytes, near the "
			"compositor's limit (max_bytes): refusing more",
			shm->bytes);
		reject_pool(owner, resource, WL_SHM_ERROR_INVALID_FD,
			    SEALSHM_REJECT_COMPOSITOR_BUDGET,
			    "the compositor holds its limit of %" PRIu64
			    " bytes of pools; try later",
			    shm->max_bytes);
		return false;
	}
	return true;
}

/*
 * Steps 4 and on: the size, now that the seals are known, and the limits.
 *
 * Unlike step 4 of the acceptance order, a copy-tier file is not compared
 * with the pool's size: it is never mapped and can shrink at any moment,
 * so a check here would only refuse honest clients whose file grows later
 * (wlcs's BadBufferTest truncates before the server reads create_pool and
 * expects the error at access, on the wl_buffer, like libwayland).  Every
 * access preads, and a short read yields zeros and invalid_fd on the
 * wl_buffer.
 */
static bool
check_size(struct shm_client *owner, struct wl_resource *resource,
	   const struct fd_facts *facts, int32_t size)
{
	struct sealshm *shm = owner->shm;

	if (size <= 0) {
		reject_pool(owner, resource, WL_SHM_ERROR_INVALID_STRIDE,
			    SEALSHM_REJECT_BAD_SIZE,
			    "pool size %" PRId32 " is not positive; pass the "
			    "pool's size in bytes",
			    size);
		return false;
	}
	if (facts->tier != POOL_TIER_COPY && facts->st.st_size < size) {
		reject_pool(owner, resource, WL_SHM_ERROR_INVALID_FD,
			    SEALSHM_REJECT_FILE_TOO_SMALL,
			    "pool size %" PRId32 " > file size %jd; "
			    "grow the file (ftruncate, "
			    "posix_fallocate) first",
			    size, (intmax_t)facts->st.st_size);
		return false;
	}
	if ((uint64_t)size > shm->max_pool_size) {
		reject_pool(owner, resource, WL_SHM_ERROR_INVALID_FD,
			    SEALSHM_REJECT_POOL_TOO_LARGE,
			    "pool size %" PRId32 " > the limit of %" PRIu64
			    " bytes per pool; use several smaller pools",
			    size, shm->max_pool_size);
		return false;
	}
	if (owner->pools >= shm->max_pools_per_client) {
		reject_pool(owner, resource, WL_SHM_ERROR_INVALID_FD,
			    SEALSHM_REJECT_CLIENT_POOLS,
			    "client holds %" PRIu32 " pools, the limit; "
			    "destroy unused pools and their buffers, share "
			    "pools",
			    owner->pools);
		return false;
	}
	/* A mapped pool may reuse a mapping: map_pool() counts it then. */
	if (facts->tier == POOL_TIER_COPY)
		return check_pool_bytes(owner, resource, size);
	return true;
}

/*
 * The client's file for this fd: the one it already sent (this fd is then
 * closed; a mapped pool's access mode must match, which costs an F_GETFL
 * only here), or a new one holding the fd.  NULL: refused (fd closed).
 */
static struct shm_file *
pool_file(struct shm_client *owner, struct wl_resource *resource, int fd,
	  struct fd_facts *facts)
{
	struct sealshm *shm = owner->shm;
	bool copy = facts->tier == POOL_TIER_COPY;
	struct shm_file *file;

	file = file_find(owner, fd, &facts->st, facts->read_only, copy);
	if (file) {
		close(fd);
		file->refcount++;
		/* Seals are only ever added. */
		file->seals_frozen |= (facts->seals & F_SEAL_SEAL) != 0;
		return file;
	}
	if (shm->stats.fds >= shm->max_fds && owner->fds >= FLOOR_FDS &&
	    (!reclaim_parked(owner, true) || shm->stats.fds >= shm->max_fds)) {
		shm_log(shm, SEALSHM_LOG_ERROR,
			"%" PRIu64 " client pool fds open, the compositor's "
			"limit (max_fds): refusing more",
			shm->stats.fds);
		reject_pool(owner, resource, WL_SHM_ERROR_INVALID_FD,
			    SEALSHM_REJECT_COMPOSITOR_BUDGET,
			    "the compositor holds its limit of %" PRIu32
			    " client fds; reuse pools, try later",
			    shm->max_fds);
		close(fd);
		return NULL;
	}
	file = file_create(owner, fd, &facts->st, facts->read_only, copy);
	if (!file) {
		wl_resource_post_no_memory(resource);
		close(fd);
		return NULL;
	}
	file->seals_frozen = (facts->seals & F_SEAL_SEAL) != 0;
	return file;
}

/* A mapping for the new pool: the file's, when it covers the pool. */
static bool
map_pool(struct pool *pool, struct wl_resource *shm_resource)
{
	struct shm_file *file = pool->file;
	struct shm_client *owner = pool->owner;

	/* check_size() proved the file holds pool->size bytes. */
	if (file->mapping && file->mapping->reserved >= (size_t)pool->size) {
		pool->mapping = pool_mapping_ref(file->mapping);
		mapping_set_size(pool, pool->mapping, (size_t)pool->size);
		owner->shm->stats.mappings_reused++;
		/* Another file's parked mapping is not taken over now. */
		pool_release_parked(owner);
		return true;
	}
	if (!check_pool_bytes(owner, shm_resource, pool->size))
		return false;
	pool->mapping = mapping_create(pool, (size_t)pool->size);
	if (pool->mapping)
		return true;
	switch (errno) {
	case EACCES:
		reject_pool(owner, shm_resource, WL_SHM_ERROR_INVALID_FD,
			    SEALSHM_REJECT_NOT_REGULAR,
			    "fd was opened write-only and cannot be read; "
			    "send an O_RDWR (or O_RDONLY) memfd");
		break;
	case EDQUOT:
		reject_pool(owner, shm_resource, WL_SHM_ERROR_INVALID_FD,
			    SEALSHM_REJECT_CLIENT_MAPPINGS,
			    "client holds %" PRIu32 " mappings, the limit; "
			    "destroy unused pools and buffers",
			    owner->mappings);
		break;
	case ENFILE:
		reject_pool(owner, shm_resource, WL_SHM_ERROR_INVALID_FD,
			    SEALSHM_REJECT_COMPOSITOR_BUDGET,
			    "the compositor holds its limit of %" PRIu32
			    " mappings; try later",
			    owner->shm->max_mappings);
		break;
	default:
		reject_pool(owner, shm_resource, WL_SHM_ERROR_INVALID_FD,
			    SEALSHM_REJECT_MAP_FAILED,
			    "mmap of %" PRId32 " bytes failed (%s); "
			    "use a smaller pool",
			    pool->size, strerror(errno));
	}
	return false;
}

/* Whether the parked mapping may serve a pool of @p size bytes of this fd. */
static bool
parked_waits_for(const struct pool_mapping *parked,
		 const struct fd_facts *facts, int32_t size)
{
	struct sealshm *shm = parked->file->owner->shm;

	if (parked->file->dev == facts->st.st_dev &&
	    parked->file->ino == facts->st.st_ino)
		return parked->reserved >= (size_t)size;
	return facts->tier != POOL_TIER_COPY && (facts->seals & F_SEAL_SEAL) &&
	       range_fits(parked, reservation_for(shm, (size_t)size));
}

void
pool_create(struct shm_client *owner, struct wl_resource *shm_resource,
	    uint32_t id, int fd, int32_t size)
{
	struct wl_client *client = wl_resource_get_client(shm_resource);
	struct sealshm *shm = owner->shm;
	struct fd_facts facts = { 0 };
	struct shm_file *file;
	struct pool *pool;

	if (!inspect_fd(owner, shm_resource, fd, &facts) ||
	    !check_size(owner, shm_resource, &facts, size)) {
		close(fd);
		return;
	}
	/*
	 * A parked mapping only waits for a pool of its own file that it
	 * covers, or for a mapped pool of another file that may take over its
	 * address range (parked_range_for()); any other pool releases it
	 * first, so that a client making a new file per size never holds the
	 * old one's pages meanwhile (and map_pool() releases it when the pool
	 * reuses a mapping after all).
	 */
	if (owner->parked && !parked_waits_for(owner->parked, &facts, size))
		pool_release_parked(owner);
	/* From here on the file owns the fd. */
	file = pool_file(owner, shm_resource, fd, &facts);
	if (!file)
		return;

	pool = calloc(1, sizeof(*pool));
	if (!pool) {
		wl_client_post_no_memory(client);
		file_unref(file);
		return;
	}
	pool->refcount = 1;
	pool->owner = shm_client_ref(owner);
	owner->pools++;
	pool->file = file;
	pool->size = size;
	pool->tier = facts.tier;
	pool->read_only = file->read_only;
	pool->immutable =
		facts.tier != POOL_TIER_COPY && (facts.seals & F_SEAL_WRITE);

	if (pool->tier == POOL_TIER_COPY) {
		pool->charged = (uint64_t)size;
		charge(pool, size, false);
	} else if (!map_pool(pool, shm_resource)) {
		goto err_pool;
	}

	pool->resource =
		wl_resource_create(client, &wl_shm_pool_interface,
				   wl_resource_get_version(shm_resource), id);
	if (!pool->resource) {
		wl_client_post_no_memory(client);
		goto err_pool;
	}
	wl_resource_set_implementation(pool->resource, &wl_shm_pool_impl, pool,
				       pool_resource_destroy);

	shm->stats.pools_accepted++;
	shm->stats.pools_accepted_by_tier[pool->tier]++;
	return;

err_pool:
	/* pool_unref() drops the file, and with it the fd. */
	pool_unref(pool);
}
