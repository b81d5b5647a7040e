/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * Re-validating a resize: each pool keeps its fd open and fstat()s it at
 * every wl_shm_pool.resize.  With F_SEAL_SHRINK known, st_size >= size
 * proves to the byte that the whole new range is backed, for every later
 * moment.  The fd-free alternative (reading the new range's last byte of
 * our own mapping with process_vm_readv, which fails with EFAULT instead of
 * raising SIGBUS) only proves that the last *page* is backed: the file may
 * end inside it, and then the size the client claims is a lie we cannot
 * see.  The price of the open fd is bounded: max_pools_per_client, and
 * sealshm_create() raises RLIMIT_NOFILE to its hard limit.  One fstat of a
 * memfd costs about 0.3 us on the development machine (process_vm_readv of
 * one byte about 1 us), paid once per resize.
 */

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <wayland-server-core.h>

#include "buffer.h"
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
	struct sealshm_stats *stats = &pool->owner->shm->stats;

	pool->owner->bytes += (uint64_t)bytes;
	if (mapped)
		stats->bytes_mapped += (uint64_t)bytes;
}

static bool
within_client_bytes(struct pool *pool, uint64_t extra)
{
	return pool->owner->bytes + extra <=
	       pool->owner->shm->max_bytes_per_client;
}

static struct pool_mapping *
mapping_create(struct pool *pool, size_t size)
{
	struct pool_mapping *mapping = calloc(1, sizeof(*mapping));
	/*
	 * A read-only pool (read-only fd, or write-sealed file) gets a
	 * private writable mapping: a compositor that writes anyway (a
	 * screen copy into a client buffer) touches copy-on-write pages of
	 * its own instead of faulting, and the client's file never changes.
	 * Pages it does not write stay the file's: reads see the client's
	 * updates.  MAP_NORESERVE: no commit charge for pages never written.
	 */
	int flags = pool->read_only ? MAP_PRIVATE | MAP_NORESERVE : MAP_SHARED;

	if (!mapping)
		return NULL;
	pool->owner->shm->stats.map_calls++;
	mapping->data =
		mmap(NULL, size, PROT_READ | PROT_WRITE, flags, pool->fd, 0);
	if (mapping->data == MAP_FAILED) {
		int saved_errno = errno;

		/* Address space or vm.max_map_count: the compositor's
		 * problem as much as the client's. */
		shm_log(pool->owner->shm, SEALSHM_LOG_ERROR,
			"mmap of a %zu-byte client pool failed: %s", size,
			strerror(saved_errno));
		free(mapping);
		errno = saved_errno;
		return NULL;
	}
	mapping->refcount = 1;
	mapping->pool = pool;
	mapping->size = size;
	charge(pool, (int64_t)size, true);
	return mapping;
}

struct pool_mapping *
pool_mapping_ref(struct pool_mapping *mapping)
{
	mapping->refcount++;
	return mapping;
}

void
pool_mapping_unref(struct pool_mapping *mapping)
{
	assert(mapping->refcount > 0);
	if (--mapping->refcount > 0)
		return;
	munmap(mapping->data, mapping->size);
	charge(mapping->pool, -(int64_t)mapping->size, true);
	free(mapping);
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
	if (pool->fd >= 0)
		close(pool->fd);
	shm_client_unref(pool->owner);
	free(pool);
}

/*
 * Grow the mapping without moving any pointer a buffer holds: in place if
 * the address space after it is free; moved if no buffer uses it yet;
 * otherwise a second mapping of the whole file for buffers made from now
 * on, while the old one lives as long as its buffers.
 */
static int
grow_mapping(struct pool *pool, size_t size)
{
	struct pool_mapping *mapping = pool->mapping, *fresh;
	struct sealshm_stats *stats = &pool->owner->shm->stats;
	size_t old_size = mapping->size;
	void *data;

	stats->map_calls++;
	data = mremap(mapping->data, old_size, size, 0);
	if (data == MAP_FAILED && mapping->refcount == 1) {
		stats->map_calls++;
		data = mremap(mapping->data, old_size, size, MREMAP_MAYMOVE);
	}
	if (data != MAP_FAILED) {
		mapping->data = data;
		mapping->size = size;
		charge(pool, (int64_t)(size - old_size), true);
		return 0;
	}

	if (!within_client_bytes(pool, size))
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
pool_resize(struct wl_client *client, struct wl_resource *resource,
	    int32_t size)
{
	struct pool *pool = wl_resource_get_user_data(resource);
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
	 * file at access time and answer it there.
	 */
	if (pool->tier != POOL_TIER_COPY) {
		if (fstat(pool->fd, &st) < 0) {
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
	if (!within_client_bytes(pool, (uint64_t)(size - pool->size))) {
		reject_resize(pool, WL_SHM_ERROR_INVALID_FD,
			      "resize to %" PRId32 " would exceed the limit of "
			      "%" PRIu64 " bytes per client; destroy unused "
			      "pools and buffers",
			      size, shm->max_bytes_per_client);
		return;
	}

	if (pool->tier == POOL_TIER_COPY) {
		charge(pool, size - pool->size, false);
		pool->charged += (uint64_t)(size - pool->size);
	} else {
		ret = grow_mapping(pool, (size_t)size);
		if (ret == -ENOSPC) {
			reject_resize(pool, WL_SHM_ERROR_INVALID_FD,
				      "resize to %" PRId32
				      " needs a 2nd mapping, "
				      "over the limit of %" PRIu64 " bytes per "
				      "client; destroy old buffers first",
				      size, shm->max_bytes_per_client);
			return;
		} else if (ret < 0) {
			reject_resize(pool, WL_SHM_ERROR_INVALID_FD,
				      "mmap of %" PRId32 " bytes failed (%s); "
				      "use a smaller pool",
				      size, strerror(-ret));
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
	/*
	 * No buffer can be made from it any more: buffers keep their own
	 * mappings, and only copy-tier buffers still read through the fd.
	 */
	if (pool->mapping) {
		pool_mapping_unref(pool->mapping);
		pool->mapping = NULL;
		close(pool->fd);
		pool->fd = -1;
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
	bool writable;
	bool sealable;
	int seals;
};

/*
 * Steps 1-3 of the acceptance order (doc/design.md): the kind of file, its
 * seals, its filesystem, and what the policy makes of them.  On rejection
 * posts the error and returns false.
 */
static bool
inspect_fd(struct shm_client *owner, struct wl_resource *resource, int fd,
	   struct fd_facts *facts)
{
	enum sealshm_policy policy = owner->shm->policy;
	enum shm_fs_kind kind;
	struct stat st;
	int flags;

	if (fstat(fd, &st) < 0) {
		reject_pool(owner, resource, WL_SHM_ERROR_INVALID_FD,
			    SEALSHM_REJECT_NOT_REGULAR,
			    "fstat of the fd failed (%s); " FIX_SEAL,
			    strerror(errno));
		return false;
	}
	if (!S_ISREG(st.st_mode)) {
		reject_pool(owner, resource, WL_SHM_ERROR_INVALID_FD,
			    SEALSHM_REJECT_NOT_REGULAR,
			    "fd is a %s, not a regular file; " FIX_SEAL,
			    file_type_name(st.st_mode));
		return false;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || (flags & O_PATH) || (flags & O_ACCMODE) == O_WRONLY) {
		reject_pool(owner, resource, WL_SHM_ERROR_INVALID_FD,
			    SEALSHM_REJECT_NOT_REGULAR,
			    "fd was opened %s and cannot be read; send an "
			    "O_RDWR (or O_RDONLY) memfd",
			    (flags >= 0 && (flags & O_PATH)) ? "O_PATH"
							     : "write-only");
		return false;
	}
	facts->writable = (flags & O_ACCMODE) == O_RDWR;

	/*
	 * Seals before anything about the size: once F_SEAL_SHRINK is seen,
	 * a size read afterwards can only be an underestimate.
	 */
	facts->seals = shm_file_get_seals(fd);
	/* EINVAL: a file that cannot carry seals at all (disk files). */
	facts->sealable = facts->seals >= 0;
	if (!facts->sealable)
		facts->seals = 0;

	if (shm_file_get_fs_kind(fd, &kind) < 0) {
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

	if (kind == SHM_FS_SHMEM && (facts->seals & F_SEAL_SHRINK)) {
		facts->tier = POOL_TIER_SEALED;
		return true;
	}
	if (policy >= SEALSHM_POLICY_SEAL && kind == SHM_FS_SHMEM &&
	    facts->sealable && !(facts->seals & F_SEAL_SEAL) &&
	    facts->writable) {
		/* Never F_SEAL_GROW: the client must still be able to grow. */
		if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) < 0) {
			reject_pool(owner, resource, WL_SHM_ERROR_INVALID_FD,
				    SEALSHM_REJECT_MAP_FAILED,
				    "the compositor could not seal the memfd "
				    "(%s); add F_SEAL_SHRINK with F_ADD_SEALS",
				    strerror(errno));
			return false;
		}
		facts->seals |= F_SEAL_SHRINK;
		facts->tier = POOL_TIER_SERVER_SEALED;
		return true;
	}
	if (policy == SEALSHM_POLICY_COPY) {
		facts->tier = POOL_TIER_COPY;
		return true;
	}

	if (kind == SHM_FS_OTHER) {
		reject_pool(owner, resource, WL_SHM_ERROR_INVALID_FD,
			    SEALSHM_REJECT_NOT_SHMEM,
			    "fd is a disk file, which can shrink and cannot be "
			    "sealed; " FIX_SEAL);
	} else if (!facts->sealable || (facts->seals & F_SEAL_SEAL)) {
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

/*
 * Steps 4 and on: the size, now that the seals are known, and the limits.
 *
 * Unlike step 4 in doc/design.md, a copy-tier file is not compared with the
 * pool's size: it is never mapped and can shrink at any moment, so a check
 * here would only refuse honest clients whose file grows later (wlcs's
 * BadBufferTest truncates before the server reads create_pool and expects
 * the error at access, on the wl_buffer, like libwayland).  Every access
 * preads, and a short read yields zeros and invalid_fd on the wl_buffer.
 */
static bool
check_size(struct shm_client *owner, struct wl_resource *resource, int fd,
	   enum pool_tier tier, int32_t size)
{
	struct sealshm *shm = owner->shm;
	struct stat st;

	if (size <= 0) {
		reject_pool(owner, resource, WL_SHM_ERROR_INVALID_STRIDE,
			    SEALSHM_REJECT_BAD_SIZE,
			    "pool size %" PRId32 " is not positive; pass the "
			    "pool's size in bytes",
			    size);
		return false;
	}
	if (tier != POOL_TIER_COPY) {
		if (fstat(fd, &st) < 0) {
			reject_pool(owner, resource, WL_SHM_ERROR_INVALID_FD,
				    SEALSHM_REJECT_NOT_REGULAR,
				    "fstat of the fd failed (%s); " FIX_SEAL,
				    strerror(errno));
			return false;
		}
		if (st.st_size < size) {
			reject_pool(owner, resource, WL_SHM_ERROR_INVALID_FD,
				    SEALSHM_REJECT_FILE_TOO_SMALL,
				    "pool size %" PRId32 " > file size %jd; "
				    "grow the file (ftruncate, "
				    "posix_fallocate) first",
				    size, (intmax_t)st.st_size);
			return false;
		}
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
	if (owner->bytes + (uint64_t)size > shm->max_bytes_per_client) {
		reject_pool(owner, resource, WL_SHM_ERROR_INVALID_FD,
			    SEALSHM_REJECT_CLIENT_BYTES,
			    "client holds %" PRIu64 " bytes of pools, %" PRId32
			    " more exceed the limit %" PRIu64 "; destroy "
			    "unused pools",
			    owner->bytes, size, shm->max_bytes_per_client);
		return false;
	}
	return true;
}

void
pool_create(struct shm_client *owner, struct wl_resource *shm_resource,
	    uint32_t id, int fd, int32_t size)
{
	struct wl_client *client = wl_resource_get_client(shm_resource);
	struct sealshm *shm = owner->shm;
	struct fd_facts facts = { 0 };
	struct pool *pool;

	if (!inspect_fd(owner, shm_resource, fd, &facts) ||
	    !check_size(owner, shm_resource, fd, facts.tier, size))
		goto err_close;

	pool = calloc(1, sizeof(*pool));
	if (!pool) {
		wl_client_post_no_memory(client);
		goto err_close;
	}
	pool->refcount = 1;
	pool->owner = shm_client_ref(owner);
	owner->pools++;
	pool->fd = fd;
	pool->size = size;
	pool->tier = facts.tier;
	pool->read_only = !facts.writable ||
			  (facts.seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE));
	pool->immutable =
		facts.tier != POOL_TIER_COPY && (facts.seals & F_SEAL_WRITE);

	if (pool->tier == POOL_TIER_COPY) {
		pool->charged = (uint64_t)size;
		charge(pool, size, false);
	} else {
		pool->mapping = mapping_create(pool, (size_t)size);
		if (!pool->mapping) {
			reject_pool(owner, shm_resource,
				    WL_SHM_ERROR_INVALID_FD,
				    SEALSHM_REJECT_MAP_FAILED,
				    "mmap of %" PRId32 " bytes failed (%s); "
				    "use a smaller pool",
				    size, strerror(errno));
			goto err_pool;
		}
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
	/* pool_unref() closes the fd. */
	pool_unref(pool);
	return;
err_close:
	close(fd);
}
