/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * A FUSE server (or an NFS server, or a procfs file with nothing to read)
 * can make any call that reaches its filesystem wait forever: fstat,
 * fstatfs, pread.  So before the first such call on a file that is not
 * shmem, the server finds out where it lives from two procfs files that
 * never ask the file's filesystem: fdinfo's mnt_id and mountinfo.
 */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "shm.h"

/* Filesystems whose operations nobody else can stall. */
static const char *const local_types[] = {
	"tmpfs", "ext2", "ext3", "ext4", "xfs", "btrfs",
};

static int
read_mnt_id(int fd)
{
	char path[64], line[128];
	int id = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "mnt_id: %d", &id) == 1)
			break;
	}
	fclose(f);
	return id;
}

/* (Re)read mountinfo: "ID PARENT MAJ:MIN ROOT POINT OPTS... - TYPE ...". */
static void
load_mounts(struct sealshm *shm)
{
	char line[4096];
	FILE *f = fopen("/proc/self/mountinfo", "re");

	shm->mounts_len = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - ");
		struct shm_mount *m;
		int id;

		if (!sep || sscanf(line, "%d", &id) != 1)
			continue;
		if (shm->mounts_len == shm->mounts_cap) {
			size_t cap = shm->mounts_cap ? 2 * shm->mounts_cap : 64;
			struct shm_mount *grown =
				realloc(shm->mounts, cap * sizeof(*grown));

			if (!grown)
				break;
			shm->mounts = grown;
			shm->mounts_cap = cap;
		}
		m = &shm->mounts[shm->mounts_len++];
		m->id = id;
		if (sscanf(sep + 3, "%31s", m->type) != 1)
			snprintf(m->type, sizeof(m->type), "?");
	}
	fclose(f);
}

static const struct shm_mount *
find_mount(struct sealshm *shm, int id)
{
	for (size_t i = 0; i < shm->mounts_len; i++) {
		if (shm->mounts[i].id == id)
			return &shm->mounts[i];
	}
	return NULL;
}

enum fs_class
fs_classify(struct sealshm *shm, int fd, char *type, size_t type_len)
{
	const struct shm_mount *m;
	int id = read_mnt_id(fd);

	snprintf(type, type_len, "?");
	if (id < 0)
		return FS_UNSAFE;
	m = find_mount(shm, id);
	if (!m) {
		/* Mounted since we last looked, or internal to the kernel. */
		load_mounts(shm);
		m = find_mount(shm, id);
	}
	if (!m) {
		snprintf(type, type_len, "kernel-internal");
		return FS_KERNEL;
	}
	snprintf(type, type_len, "%s", m->type);
	if (strcmp(m->type, "devtmpfs") == 0 || strcmp(m->type, "devpts") == 0)
		return FS_DEVICES;
	for (size_t i = 0; i < sizeof(local_types) / sizeof(local_types[0]);
	     i++) {
		if (strcmp(m->type, local_types[i]) == 0)
			return FS_LOCAL;
	}
	return FS_UNSAFE;
}

void
fs_cache_finish(struct sealshm *shm)
{
	free(shm->mounts);
	shm->mounts = NULL;
	shm->mounts_len = shm->mounts_cap = 0;
}
