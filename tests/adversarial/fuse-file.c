/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * A FUSE server of one file, spoken straight over /dev/fuse (the protocol
 * of <linux/fuse.h>; no libfuse).  The kernel sends one request per
 * read(2) of the device, a struct fuse_in_header followed by the
 * opcode's arguments; the server answers with one write(2) of a struct
 * fuse_out_header (the request's unique id, 0 or a negative errno, the
 * total length) followed by the opcode's reply.  The subset spoken here:
 *
 *   INIT         protocol 7.FUSE_KERNEL_MINOR_VERSION of the header, no
 *                optional features, max_write 4096
 *   LOOKUP       "file" in the root (node 2); anything else ENOENT
 *   GETATTR      the root directory (node 1) or the file, never cached
 *                (attr_valid 0: every fstat of the file asks the server,
 *                which is what makes a silent server hang its callers)
 *   OPEN         fh 1, FOPEN_NOFLUSH: close(2) sends no FLUSH, so the
 *                clients' own closes never wait on a silent server
 *   READ         zeros up to the file's size
 *   STATFS       an empty filesystem
 *   FLUSH        ENOSYS (the kernel then never sends it again)
 *   RELEASE      0
 *   FORGET, BATCH_FORGET, INTERRUPT: no reply, as the protocol says
 *   anything else ENOSYS
 *
 * Silent: every request is still read (so the kernel sees a live server)
 * but none is answered; the callers wait until the connection is aborted.
 */

#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "fuse-file.h"
#include "test-display.h"
#include "test-runner.h"

#define ROOT_NODE FUSE_ROOT_ID
#define FILE_NODE 2
#define FILE_NAME "file"
#define MAX_WRITE 4096
/* Room for any request the kernel may send with max_write 4096. */
#define REQUEST_BUFFER (64 * 1024 + 4096)

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *
opcode_name(uint32_t opcode)
{
	static char other[16];

	switch (opcode) {
	case FUSE_LOOKUP:
		return "LOOKUP";
	case FUSE_GETATTR:
		return "GETATTR";
	case FUSE_OPEN:
		return "OPEN";
	case FUSE_READ:
		return "READ";
	case FUSE_STATFS:
		return "STATFS";
	case FUSE_RELEASE:
		return "RELEASE";
	case FUSE_FLUSH:
		return "FLUSH";
	case FUSE_FORGET:
		return "FORGET";
	default:
		snprintf(other, sizeof(other), "opcode %u", opcode);
		return other;
	}
}

static void
reply(struct fuse_file *ff, const struct fuse_in_header *in, int error,
      const void *body, size_t len)
{
	struct fuse_out_header out = {
		.len = (uint32_t)(sizeof(out) + len),
		.error = error,
		.unique = in->unique,
	};
	struct iovec iov[2] = {
		{ &out, sizeof(out) },
		{ (void *)body, len },
	};

	/* ENOENT: the request was interrupted meanwhile; nothing to do. */
	if (writev(ff->dev, iov, len ? 2 : 1) < 0 && errno != ENOENT)
		fprintf(stderr, "fuse-file: reply to opcode %u: %s\n",
			in->opcode, strerror(errno));
}

static void
fill_attr(struct fuse_file *ff, uint64_t node, struct fuse_attr *attr)
{
	memset(attr, 0, sizeof(*attr));
	attr->ino = node;
	attr->blksize = 4096;
	if (node == ROOT_NODE) {
		attr->mode = S_IFDIR | 0755;
		attr->nlink = 2;
	} else {
		attr->mode = S_IFREG | 0600;
		attr->nlink = 1;
		attr->size = ff->size;
		attr->blocks = (ff->size + 511) / 512;
	}
}

static void
handle_request(struct fuse_file *ff, const struct fuse_in_header *in,
	       const void *arg)
{
	switch (in->opcode) {
	case FUSE_INIT: {
		const struct fuse_init_in *init = arg;
		struct fuse_init_out out = {
			.major = FUSE_KERNEL_VERSION,
			.minor = FUSE_KERNEL_MINOR_VERSION,
			.max_readahead = init->max_readahead,
			.max_write = MAX_WRITE,
			.max_background = 1,
			.congestion_threshold = 1,
			.time_gran = 1,
		};

		reply(ff, in, 0, &out, sizeof(out));
		break;
	}
	case FUSE_LOOKUP: {
		struct fuse_entry_out out = { 0 };

		if (in->nodeid != ROOT_NODE || strcmp(arg, FILE_NAME) != 0) {
			reply(ff, in, -ENOENT, NULL, 0);
			break;
		}
		out.nodeid = FILE_NODE;
		out.generation = 1;
		fill_attr(ff, FILE_NODE, &out.attr);
		reply(ff, in, 0, &out, sizeof(out));
		break;
	}
	case FUSE_GETATTR: {
		struct fuse_attr_out out = { 0 };

		fill_attr(ff, in->nodeid, &out.attr);
		reply(ff, in, 0, &out, sizeof(out));
		break;
	}
	case FUSE_OPEN: {
		struct fuse_open_out out = { .fh = 1,
					     .open_flags = FOPEN_NOFLUSH };

		reply(ff, in, 0, &out, sizeof(out));
		break;
	}
	case FUSE_READ: {
		const struct fuse_read_in *read_in = arg;
		static char zeros[MAX_WRITE * 16];
		uint64_t len = read_in->size;

		if (read_in->offset >= ff->size)
			len = 0;
		else if (len > ff->size - read_in->offset)
			len = ff->size - read_in->offset;
		if (len > sizeof(zeros))
			len = sizeof(zeros);
		reply(ff, in, 0, zeros, (size_t)len);
		break;
	}
	case FUSE_STATFS: {
		struct fuse_statfs_out out = { 0 };

		out.st.bsize = 4096;
		out.st.frsize = 4096;
		out.st.namelen = 255;
		reply(ff, in, 0, &out, sizeof(out));
		break;
	}
	case FUSE_RELEASE:
		reply(ff, in, 0, NULL, 0);
		break;
	case FUSE_FORGET:
	case FUSE_BATCH_FORGET:
	case FUSE_INTERRUPT:
		break;
	default:
		reply(ff, in, -ENOSYS, NULL, 0);
		break;
	}
}

/* What the server saw, reported when it exits. */
struct server_state {
	char *buf;
	bool silent;
	int64_t silent_since;
	bool watchdog_fired;
	unsigned requests;
	/* read while silent, never answered */
	unsigned unanswered;
	/* of those, requests whose sender waits (not RELEASE, FORGET...) */
	unsigned waited;
	uint32_t unanswered_opcodes[8];
};

static void
close_dev(struct fuse_file *ff)
{
	if (ff->dev >= 0)
		close(ff->dev);
	ff->dev = -1;
}

static void
read_request(struct fuse_file *ff, struct server_state *st)
{
	ssize_t len = read(ff->dev, st->buf, REQUEST_BUFFER);
	const struct fuse_in_header *in = (void *)st->buf;

	if (len < 0 && (errno == EINTR || errno == EAGAIN || errno == ENOENT))
		return;
	if (len < 0) {
		/* ENODEV: unmounted or aborted. */
		close_dev(ff);
		return;
	}
	check((size_t)len >= sizeof(*in));
	st->requests++;
	if (!st->silent) {
		handle_request(ff, in, st->buf + sizeof(*in));
		return;
	}
	if (in->opcode != FUSE_RELEASE && in->opcode != FUSE_FORGET &&
	    in->opcode != FUSE_BATCH_FORGET && in->opcode != FUSE_INTERRUPT)
		st->waited++;
	if (st->unanswered < 8)
		st->unanswered_opcodes[st->unanswered] = in->opcode;
	st->unanswered++;
}

static void
serve(void *data)
{
	struct fuse_file *ff = data;
	struct server_state st = { 0 };

	/* Gone with the test process: the connection aborts with us. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	close(ff->ctl[1]);
	close(ff->ack[0]);
	st.buf = malloc(REQUEST_BUFFER);
	check(st.buf);
	for (;;) {
		struct pollfd pfd[2] = {
			{ ff->ctl[0], POLLIN, 0 },
			{ ff->dev, POLLIN, 0 },
		};
		int timeout = -1, n;
		char cmd;

		if (st.silent && ff->dev >= 0) {
			timeout = (int)(st.silent_since + ff->watchdog_ms -
					now_ms());
			if (timeout < 0)
				timeout = 0;
		}
		n = poll(pfd, ff->dev >= 0 ? 2 : 1, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		check(n >= 0);
		if (n == 0) {
			fprintf(stderr,
				"fuse-file: silent for %d ms and still in "
				"use: aborting the connection, so that "
				"whoever waits on the file is released\n",
				ff->watchdog_ms);
			st.watchdog_fired = true;
			close_dev(ff);
			continue;
		}
		if (pfd[0].revents) {
			/* EOF: every client that could command us is gone. */
			if (read(ff->ctl[0], &cmd, 1) != 1)
				break;
			if (cmd == 's' && !st.silent) {
				st.silent = true;
				st.silent_since = now_ms();
			}
			check(write(ff->ack[1], "k", 1) == 1);
		}
		if (ff->dev >= 0 && pfd[1].revents)
			read_request(ff, &st);
	}
	/* Closing the last /dev/fuse fd aborts the connection. */
	close_dev(ff);
	close(ff->ctl[0]);
	close(ff->ack[1]);
	free(st.buf);

	fprintf(stderr, "fuse-file: %u requests read, %u left unanswered",
		st.requests, st.unanswered);
	for (unsigned i = 0; i < st.unanswered && i < 8; i++)
		fprintf(stderr, "%s%s", i ? ", " : " (",
			opcode_name(st.unanswered_opcodes[i]));
	fprintf(stderr, "%s\n", st.unanswered ? ")" : "");
	check_msg(!st.watchdog_fired,
		  "a process waited on the silent FUSE server until the "
		  "watchdog aborted the connection");
	check_msg(st.waited == 0,
		  "%u requests to the silent FUSE server were waited for",
		  st.waited);
}

struct fuse_file *
fuse_file_start(struct test_display *d, uint64_t size, int watchdog_ms)
{
	struct fuse_file *ff = calloc(1, sizeof(*ff));
	char opts[128];

	check(ff);
	ff->size = size;
	ff->watchdog_ms = watchdog_ms;

	/*
	 * A mount namespace of our own: the mount is invisible outside,
	 * and the kernel drops it with the namespace when the test's
	 * processes are gone, however the test ends.
	 */
	check_msg(unshare(CLONE_NEWNS) == 0,
		  "unshare(CLONE_NEWNS): %s (the FUSE tests need root)",
		  strerror(errno));
	check(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);

	snprintf(ff->dir, sizeof(ff->dir), "/tmp/sealshm-fuse-XXXXXX");
	check(mkdtemp(ff->dir));
	snprintf(ff->path, sizeof(ff->path), "%s/" FILE_NAME, ff->dir);
	ff->dev = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	check_msg(ff->dev >= 0, "open /dev/fuse: %s", strerror(errno));
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40000,user_id=0,group_id=0", ff->dev);
	check_msg(mount("sealshm-test", ff->dir, "fuse", MS_NOSUID | MS_NODEV,
			opts) == 0,
		  "mount fuse: %s", strerror(errno));

	check(pipe2(ff->ctl, O_CLOEXEC) == 0);
	check(pipe2(ff->ack, O_CLOEXEC) == 0);
	ff->pid = test_display_spawn(d, serve, ff);
	/* Only the server holds /dev/fuse: its exit aborts the connection. */
	close_dev(ff);
	return ff;
}

void
fuse_file_parent_done(struct fuse_file *ff)
{
	close(ff->ctl[0]);
	close(ff->ctl[1]);
	close(ff->ack[0]);
	close(ff->ack[1]);
}

void
fuse_file_child(struct fuse_file *ff)
{
	close(ff->ctl[0]);
	close(ff->ack[1]);
}

void
fuse_file_go_silent(struct fuse_file *ff)
{
	struct pollfd pfd = { ff->ack[0], POLLIN, 0 };
	char ack;

	check(write(ff->ctl[1], "s", 1) == 1);
	check_msg(poll(&pfd, 1, 10000) == 1, "the FUSE server did not answer");
	check(read(ff->ack[0], &ack, 1) == 1 && ack == 'k');
}

void
fuse_file_stop(struct fuse_file *ff)
{
	/* Detached: nothing here waits on the server. */
	if (umount2(ff->dir, MNT_DETACH) < 0)
		fprintf(stderr, "fuse-file: umount %s: %s\n", ff->dir,
			strerror(errno));
	if (rmdir(ff->dir) < 0)
		fprintf(stderr, "fuse-file: rmdir %s: %s\n", ff->dir,
			strerror(errno));
	free(ff);
}
