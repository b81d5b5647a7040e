/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * Counting the server's pool mappings without LD_PRELOAD or ptrace: the
 * executable defines mmap, mmap64 and mremap itself, and a definition in
 * the executable comes first in the dynamic linker's lookup order, so the
 * calls libwayland-server.so and libsealshm-server.so make through their
 * PLT land here (meson.build exports these names from the executable).
 * glibc's own internal calls (malloc, the dynamic loader) do not go through
 * the PLT and are not counted, which is what we want: only shared mappings
 * of a file (MAP_SHARED with an fd), that is, client pools, are counted,
 * and every mremap, which libwayland uses to grow a pool.
 */

/* Meson builds with -D_FILE_OFFSET_BITS=64, which renames mmap to mmap64
 * in the headers; both names need their own definition here. */
#undef _FILE_OFFSET_BITS

#include <stdarg.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

#define INTERPOSE __attribute__((visibility("default")))

static atomic_uint_fast64_t map_calls;

uint64_t
map_count_get(void)
{
	return atomic_load(&map_calls);
}

static void *
do_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if ((flags & MAP_TYPE) == MAP_SHARED && fd >= 0)
		atomic_fetch_add(&map_calls, 1);
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

INTERPOSE void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return do_mmap(addr, len, prot, flags, fd, off);
}

INTERPOSE void *
mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
	return do_mmap(addr, len, prot, flags, fd, off);
}

INTERPOSE void *
mremap(void *old_addr, size_t old_len, size_t new_len, int flags, ...)
{
	void *new_addr = NULL;
	va_list args;

	if (flags & MREMAP_FIXED) {
		va_start(args, flags);
		new_addr = va_arg(args, void *);
		va_end(args);
	}
	atomic_fetch_add(&map_calls, 1);
	return (void *)syscall(SYS_mremap, old_addr, old_len, new_len, flags,
			       new_addr);
}
