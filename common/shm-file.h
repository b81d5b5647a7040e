/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * Queries about a shared-memory file descriptor that both the server
 * module and the client helper need.  Private: not installed.
 */

#ifndef SEALSHM_COMMON_SHM_FILE_H
#define SEALSHM_COMMON_SHM_FILE_H

#include <stdbool.h>
#include <stdint.h>
#include <fcntl.h>

/* Debian 12's glibc headers predate some of these. */
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#endif
#ifndef F_SEAL_SEAL
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#endif
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE 0x02
#endif

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif
#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

/** What kind of filesystem a file lives on, as far as sealshm cares. */
enum shm_fs_kind {
	SHM_FS_SHMEM,		/* tmpfs / memfd: shrinks only by truncation */
	SHM_FS_HUGETLB,		/* hugetlbfs: can fault when pages run out */
	SHM_FS_OTHER,		/* disk and everything else */
};

/**
 * The file's seals, or -1 with errno set when F_GET_SEALS fails (EINVAL on
 * files that do not support sealing, such as disk files).
 */
int
shm_file_get_seals(int fd);

/** Classify the filesystem under @p fd; -1 with errno on fstatfs error. */
int
shm_file_get_fs_kind(int fd, enum shm_fs_kind *kind);

/**
 * Whether @p fd was opened for writing (O_RDWR).  -1 with errno on error.
 */
int
shm_file_is_writable(int fd, bool *writable);

/**
 * Create a memfd for buffers: MFD_CLOEXEC | MFD_ALLOW_SEALING, plus
 * MFD_NOEXEC_SEAL where the kernel knows it (retried without on EINVAL).
 * Returns the fd or -1 with errno.
 */
int
shm_file_create_sealable(const char *name);

#endif /* SEALSHM_COMMON_SHM_FILE_H */
