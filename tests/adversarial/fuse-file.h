/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * One regular file on a FUSE mount served by a thread of the test process,
 * straight through /dev/fuse (no libfuse), that can be told to stop
 * answering: the kernel then keeps every request on that file waiting, as
 * it would for a FUSE server that hangs.  Needs root (mount(2)); the mount
 * lives in a mount namespace of its own, so nothing outside the test sees
 * it and it cannot outlive the test's processes.
 *
 *   ff = fuse_file_start(size, watchdog_ms);   in the test process
 *   spawn clients; each calls fuse_file_child(ff) first
 *   a client: fd = open(ff->path, O_RDWR); fuse_file_go_silent(ff);
 *   fuse_file_stop(ff);                         in the test process
 *
 * fuse-file.c lists the requests it answers.
 */

#ifndef SEALSHM_TESTS_ADVERSARIAL_FUSE_FILE_H
#define SEALSHM_TESTS_ADVERSARIAL_FUSE_FILE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct fuse_file {
	/* the mount point, and the one file in it */
	char dir[64];
	char path[80];
	uint64_t size;
	/* /dev/fuse, owned by the server thread; -1 once closed */
	int dev;
	/* commands to the thread ('s' silent, 'q' quit) and its answers */
	int ctl[2];
	int ack[2];
	pthread_t thread;
	/*
	 * Once silent, the thread aborts the connection after this long
	 * (closing /dev/fuse, which fails every waiting request with
	 * ENOTCONN) unless fuse_file_stop() came first: a process stuck on
	 * the file is freed and the test reports the failure instead of
	 * hanging until its timeout.
	 */
	int watchdog_ms;
	/* Written by the thread; printed by fuse_file_stop(). */
	unsigned requests;   /* every request read */
	unsigned unanswered; /* read while silent, never answered */
	bool watchdog_fired;
};

/*
 * Enter a new mount namespace, mount a FUSE filesystem holding one
 * regular file of @p size bytes on a fresh directory and start the thread
 * that serves it.  Checks (fails the test) on error.
 */
struct fuse_file *fuse_file_start(uint64_t size, int watchdog_ms);

/*
 * In a process forked after fuse_file_start(): close the inherited
 * /dev/fuse fd (else closing it in the test would not abort the
 * connection) and the ends of the pipes the child does not use.
 */
void fuse_file_child(struct fuse_file *ff);

/*
 * From any process: make the server read requests but never answer
 * them; returns once it does.
 */
void fuse_file_go_silent(struct fuse_file *ff);

/*
 * Unmount (detached), abort the connection, join the thread, remove the
 * directory, print the counters and free @p ff.
 * @return true when the watchdog had to abort the connection.
 */
bool fuse_file_stop(struct fuse_file *ff);

#endif /* SEALSHM_TESTS_ADVERSARIAL_FUSE_FILE_H */
