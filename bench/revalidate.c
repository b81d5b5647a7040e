/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * The two ways doc/design.md describes to re-validate a wl_shm_pool.resize of a
 * sealed pool, timed against each other in one process: fstat() of the
 * pool's fd (the server keeps the fd open for it), or reading the new
 * range's last byte of the server's own mapping with process_vm_readv(),
 * which fails with EFAULT instead of raising SIGBUS (no fd needed).
 */

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bench.h"
#include "shm-file.h"

#define POOL_SIZE (1u << 20)

int
bench_revalidate(int iterations, double *fstat_ns, double *readv_ns)
{
	struct iovec local, remote;
	pid_t self = getpid();
	unsigned char byte;
	uint64_t t0;
	struct stat st;
	void *data;
	int fd, i;

	fd = shm_file_create_sealable("sealshm-bench-revalidate");
	if (fd < 0 || ftruncate(fd, POOL_SIZE) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL) < 0) {
		perror("bench: revalidate: memfd");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	data = mmap(NULL, POOL_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (data == MAP_FAILED) {
		perror("bench: revalidate: mmap");
		close(fd);
		return -1;
	}
	/* The page is backed, as it would be for a buffer in use. */
	memset(&byte, 0, sizeof(byte));
	local.iov_base = &byte;
	local.iov_len = 1;
	remote.iov_base = (unsigned char *)data + POOL_SIZE - 1;
	remote.iov_len = 1;

	t0 = now_ns();
	for (i = 0; i < iterations; i++)
		if (fstat(fd, &st) < 0 || st.st_size < POOL_SIZE)
			goto err;
	*fstat_ns = (double)(now_ns() - t0) / iterations;

	t0 = now_ns();
	for (i = 0; i < iterations; i++)
		if (process_vm_readv(self, &local, 1, &remote, 1, 0) != 1)
			goto err;
	*readv_ns = (double)(now_ns() - t0) / iterations;

	munmap(data, POOL_SIZE);
	close(fd);
	return 0;

err:
	perror("bench: revalidate");
	munmap(data, POOL_SIZE);
	close(fd);
	return -1;
}
