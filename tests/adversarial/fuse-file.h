/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * One regular file on a FUSE mount served by a process of the test (a
 * client of the test display, so that its failure fails the test),
 * straight through /dev/fuse (no libfuse), that can be told to stop
 * answering: the kernel then keeps every request on that file waiting, as
 * it would for a FUSE server that hangs.  Needs root (mount(2)); the mount
 * lives in a mount namespace of its own, so nothing outside the test sees
 * it and it cannot outlive the test's processes.  No thread: a fork while
 * another thread allocates can deadlock the child under ASan.
 *
 *   ff = fuse_file_start(d, size, watchdog_ms);   forks the server
 *   fork the clients that use the file; then fuse_file_parent_done(ff)
 *   a client: fuse_file_child(ff); fd = open(ff->path, O_RDWR);
 *             fuse_file_go_silent(ff);
 *   test_display_run(d);                            the server exits when
 *                                                   the clients are gone
 *   fuse_file_stop(ff);
 *
 * The server fails (aborts, which fails the test) when it had to abort
 * the connection because it was silent for watchdog_ms while somebody
 * still used the file, or when while silent it received a request its
 * sender waits for: whoever sent it would have hung.  fuse-file.c lists
 * the requests it answers.
 */

#ifndef SEALSHM_TESTS_ADVERSARIAL_FUSE_FILE_H
#define SEALSHM_TESTS_ADVERSARIAL_FUSE_FILE_H

#include <stdint.h>
#include <sys/types.h>

struct test_display;

struct fuse_file {
	/* the mount point, and the one file in it */
	char dir[64];
	char path[80];
	uint64_t size;
	/* /dev/fuse, in the server process only */
	int dev;
	/*
	 * Commands to the server ('s': silent; EOF, once every client that
	 * inherited the write end is gone: exit) and its answers.
	 */
	int ctl[2];
	int ack[2];
	/*
	 * Once silent, the server aborts the connection after this long
	 * (closing /dev/fuse fails every waiting request with ENOTCONN): a
	 * process stuck on the file is freed and the test reports the
	 * failure instead of hanging until its timeout.
	 */
	int watchdog_ms;
	pid_t pid;
};

/*
 * Enter a new mount namespace, mount a FUSE filesystem holding one
 * regular file of @p size bytes on a fresh directory, and fork the
 * process that serves it on @p d.  Checks (fails the test) on error.
 * Fork the clients that use the file after this.
 */
struct fuse_file *
fuse_file_start(struct test_display *d, uint64_t size, int watchdog_ms);

/* First thing in a client forked after fuse_file_start(). */
void
fuse_file_child(struct fuse_file *ff);

/* In the test process, once the clients are forked: close its pipes. */
void
fuse_file_parent_done(struct fuse_file *ff);

/*
 * From a client: make the server read requests but never answer them;
 * returns once it does.
 */
void
fuse_file_go_silent(struct fuse_file *ff);

/*
 * In the test process, once the server exited: unmount (detached),
 * remove the directory and free @p ff.
 */
void
fuse_file_stop(struct fuse_file *ff);

#endif /* SEALSHM_TESTS_ADVERSARIAL_FUSE_FILE_H */
