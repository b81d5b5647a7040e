/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 */

#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>

#include "export.h"
#include "sealshm/client.h"
#include "shm-file.h"

static bool
refuse(const char **reason, const char *why)
{
	if (reason)
		*reason = why;
	return false;
}

/* The same checks in the same order as the server's strict policy, so the
 * answer here is the answer a sealshm compositor would give. */
SEALSHM_EXPORT bool
sealshm_client_check_fd(int fd, uint64_t size, const char **reason)
{
	enum shm_fs_kind kind;
	struct stat st;
	int flags, seals;

	if (fstat(fd, &st) < 0)
		return refuse(reason, "fstat failed: the fd is not open; pass "
				      "the fd of a memfd");
	if (!S_ISREG(st.st_mode))
		return refuse(reason,
			      "not a regular file (pipe, socket, "
			      "device or directory): create the pool fd "
			      "with memfd_create(..., MFD_ALLOW_SEALING)");
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || (flags & O_PATH) || (flags & O_ACCMODE) == O_WRONLY)
		return refuse(reason,
			      "the fd cannot be read (opened O_PATH or "
			      "write-only): send an O_RDWR (or O_RDONLY) fd");
	seals = shm_file_get_seals(fd);
	if (shm_file_get_fs_kind(fd, &kind) < 0)
		return refuse(reason, "fstatfs failed on the fd: create the "
				      "pool fd with memfd_create(..., "
				      "MFD_ALLOW_SEALING)");
	if (kind == SHM_FS_HUGETLB)
		return refuse(reason,
			      "the file is on hugetlbfs, which can "
			      "fault when huge pages run out: create the "
			      "memfd without MFD_HUGETLB");
	if (kind != SHM_FS_SHMEM)
		return refuse(reason,
			      "not a shared-memory file (a disk "
			      "file?): create the pool fd with "
			      "memfd_create(..., MFD_ALLOW_SEALING) and add "
			      "F_SEAL_SHRINK");
	if (seals < 0)
		return refuse(reason,
			      "the file does not support sealing: "
			      "create the pool fd with memfd_create(..., "
			      "MFD_ALLOW_SEALING) and add F_SEAL_SHRINK");
	if (!(seals & F_SEAL_SHRINK) && (seals & F_SEAL_SEAL))
		return refuse(reason,
			      "the file can never be sealed (a /dev/shm "
			      "or shm_open file, or a memfd made without "
			      "MFD_ALLOW_SEALING): create it with "
			      "memfd_create(..., MFD_ALLOW_SEALING) and add "
			      "F_SEAL_SHRINK");
	if (!(seals & F_SEAL_SHRINK))
		return refuse(reason,
			      "the memfd is not sealed F_SEAL_SHRINK, "
			      "so it could shrink under the compositor: call "
			      "fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) before "
			      "sending it");
	if (size == 0 || size > INT32_MAX)
		return refuse(reason,
			      "the pool size must be between 1 and "
			      "INT32_MAX bytes: pass a size in that range");
	/* Only now is the size known not to shrink any more. */
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_size < size)
		return refuse(reason,
			      "the file is smaller than the pool "
			      "size: grow it with posix_fallocate() or "
			      "ftruncate() before create_pool or resize");
	return true;
}
