/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * Which filesystem a client's fd is on, found without calling into that
 * filesystem: the mount id from /proc/self/fdinfo, looked up in
 * /proc/self/mountinfo (cached).  Private.
 */

#ifndef SEALSHM_SERVER_FS_H
#define SEALSHM_SERVER_FS_H

#include <stddef.h>

struct sealshm;

enum fs_class {
	/*
	 * not a mount anyone can see: pipefs, sockfs, anon_inodefs (pipes,
	 * sockets, eventfds) -- kernel objects that fstat answers at once
	 */
	FS_KERNEL,
	/* devtmpfs, devpts: device nodes; fstat answers at once */
	FS_DEVICES,
	/*
	 * tmpfs and local disk filesystems (ext2/3/4, xfs, btrfs): nothing
	 * another process controls answers their calls
	 */
	FS_LOCAL,
	/*
	 * FUSE, network filesystems, procfs, sysfs and anything unknown: a
	 * call may wait on another process or on data that never comes
	 */
	FS_UNSAFE,
};

/* Classify @p fd; @p type gets the filesystem's name ("fuse", "?"). */
enum fs_class fs_classify(struct sealshm *shm, int fd, char *type,
			  size_t type_len);

/* Free the mount cache. */
void fs_cache_finish(struct sealshm *shm);

#endif /* SEALSHM_SERVER_FS_H */
