/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 */

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/vfs.h>

#include "shm-file.h"

int
shm_file_get_seals(int fd)
{
	return fcntl(fd, F_GET_SEALS);
}

int
shm_file_get_fs_kind(int fd, enum shm_fs_kind *kind)
{
	struct statfs sfs;

	if (fstatfs(fd, &sfs) < 0)
		return -1;

	/* f_type's width differs between ABIs; compare as unsigned 32 bits. */
	switch ((uint32_t)sfs.f_type) {
	case (uint32_t)TMPFS_MAGIC:
		*kind = SHM_FS_SHMEM;
		break;
	case (uint32_t)HUGETLBFS_MAGIC:
		*kind = SHM_FS_HUGETLB;
		break;
	default:
		*kind = SHM_FS_OTHER;
		break;
	}
	return 0;
}

int
shm_file_is_writable(int fd, bool *writable)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0)
		return -1;
	*writable = (flags & O_ACCMODE) == O_RDWR;
	return 0;
}

int
shm_file_create_sealable(const char *name)
{
	int fd;

	fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING |
				MFD_NOEXEC_SEAL);
	/* Kernels before 6.3 do not know MFD_NOEXEC_SEAL. */
	if (fd < 0 && errno == EINVAL)
		fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	return fd;
}
