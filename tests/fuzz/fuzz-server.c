/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * libFuzzer harness for the server module.  Each input is one session: a
 * wl_display with the sealshm global, one client connected over a
 * socketpair in the same process (libwayland-client on one end,
 * wl_client_create() on the other), and a sequence of operations decoded
 * from the input: create_pool with fds of every kind, create_buffer,
 * resize, destroy, changes to the client's files behind the server's back
 * (truncate, punch, grow, seal), compositor-side access (begin/end access,
 * reading every byte, pixman composition, writes), references that
 * outlive the client, and destruction of the module or the client in the
 * middle.  ASan and UBSan catch memory errors; a SIGBUS kills the run,
 * since nothing handles it; the harness itself aborts on a leaked fd or
 * mapping.
 *
 * Built by build-and-run.sh, not by the main (gcc) build.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <pixman.h>
#include <wayland-client.h>
#include <wayland-server-core.h>

#include <sealshm/server.h>

#include "shm-file.h"

#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE 0x02
#endif

/* Files stay small so that reading every byte of a buffer stays cheap;
 * sizes beyond them still reach the server through the pool sizes. */
#define MAX_FILE_SIZE (1u << 20)
#define HUGE_PAGE_SIZE (2u << 20)
#define POOL_SLOTS 8
#define BUFFER_SLOTS 16
#define REF_SLOTS 8

struct input {
	const uint8_t *data;
	size_t size;
};

struct pool_slot {
	struct wl_shm_pool *proxy;
	/* the client's own fd of the pool's file, for changes behind the
	 * server's back; -1 when the fd kind has no file to change */
	int fd;
};

struct session {
	struct input in;
	/* server side */
	struct wl_display *server;
	struct wl_event_loop *loop;
	struct sealshm *shm;
	struct wl_client *client;
	struct wl_listener client_destroy;
	struct sealshm_buffer *refs[REF_SLOTS];
	pixman_image_t *target;
	/* client side */
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_shm *wl_shm;
	uint32_t shm_version;
	bool module_gone;
	struct pool_slot pools[POOL_SLOTS];
	struct wl_buffer *buffers[BUFFER_SLOTS];
};

static const uint32_t formats[] = {
	WL_SHM_FORMAT_ARGB8888, WL_SHM_FORMAT_XRGB8888,	   WL_SHM_FORMAT_RGB565,
	WL_SHM_FORMAT_ABGR8888, WL_SHM_FORMAT_XBGR8888,	   WL_SHM_FORMAT_RGB888,
	WL_SHM_FORMAT_C8,	WL_SHM_FORMAT_ARGB2101010, WL_SHM_FORMAT_YUYV,
	WL_SHM_FORMAT_NV12,
};

static int fd_baseline = -1;
static int mapping_baseline = -1;

/* ---- input decoding: past the end, everything reads as zero ---- */

static uint8_t
take_u8(struct input *in)
{
	uint8_t v = 0;

	if (in->size) {
		v = *in->data++;
		in->size--;
	}
	return v;
}

static uint32_t
take_u32(struct input *in)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < 4; i++)
		v |= (uint32_t)take_u8(in) << (8 * i);
	return v;
}

/* A size-like int32: usually a small plausible value, sometimes raw. */
static int32_t
take_size(struct input *in)
{
	uint8_t mode = take_u8(in);

	if (mode & 0x80)
		return (int32_t)take_u32(in);
	return (int32_t)(take_u32(in) % (2 * MAX_FILE_SIZE + 1));
}

static int32_t
take_dimension(struct input *in)
{
	uint8_t mode = take_u8(in);

	if (mode & 0x80)
		return (int32_t)take_u32(in);
	return (int32_t)(take_u8(in) % 64) + (mode & 1 ? 0 : 1);
}

/* ---- leak checks across sessions ---- */

static int
lowest_free_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd;
}

static int
count_shm_mappings(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "/memfd:") || strstr(line, "/dev/shm/") ||
		    strstr(line, "(deleted)") || strstr(line, "anon_hugepage"))
			n++;
	}
	fclose(f);
	return n;
}

/* ---- plumbing between the two ends ---- */

static void
handle_shm_format(void *data, struct wl_shm *shm, uint32_t format)
{
}

static const struct wl_shm_listener shm_listener = {
	.format = handle_shm_format,
};

static void
handle_global(void *data, struct wl_registry *registry, uint32_t name,
	      const char *interface, uint32_t version)
{
	struct session *s = data;

	/* wl_shm_interface is the module's own version 2 definition here
	 * (see build-and-run.sh), so release can be sent. */
	if (strcmp(interface, "wl_shm") == 0 && !s->wl_shm) {
		s->shm_version = version < 2 ? version : 2;
		s->wl_shm = wl_registry_bind(registry, name, &wl_shm_interface,
					     s->shm_version);
		wl_shm_add_listener(s->wl_shm, &shm_listener, s);
	}
}

static void
handle_global_remove(void *data, struct wl_registry *registry, uint32_t name)
{
}

static const struct wl_registry_listener registry_listener = {
	.global = handle_global,
	.global_remove = handle_global_remove,
};

static void
handle_client_destroy(struct wl_listener *listener, void *data)
{
	struct session *s = wl_container_of(listener, s, client_destroy);

	s->client = NULL;
}

static bool
client_alive(struct session *s)
{
	return s->display && wl_display_get_error(s->display) == 0;
}

/* Let both ends process everything the other sent. */
static void
pump(struct session *s)
{
	struct pollfd pfd;
	int i;

	for (i = 0; i < 3; i++) {
		if (client_alive(s))
			wl_display_flush(s->display);
		wl_event_loop_dispatch(s->loop, 0);
		wl_display_flush_clients(s->server);
		if (!s->display)
			continue;
		if (wl_display_prepare_read(s->display) == 0) {
			pfd.fd = wl_display_get_fd(s->display);
			pfd.events = POLLIN;
			if (poll(&pfd, 1, 0) > 0)
				wl_display_read_events(s->display);
			else
				wl_display_cancel_read(s->display);
		}
		wl_display_dispatch_pending(s->display);
	}
}

/* ---- the client's files ---- */

static int
reopen(int fd, int flags)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, flags | O_CLOEXEC);
}

static int
make_memfd(unsigned flags, size_t size)
{
	int fd = memfd_create("fuzz-server", MFD_CLOEXEC | flags);

	if (fd >= 0 && ftruncate(fd, (off_t)size) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * A file descriptor of the kind the input asks for.  @p keep is set to an
 * fd of the same file the client keeps for later changes (or -1).
 * Returns the fd to send, or -1 when this kind cannot be made here.
 */
static int
make_fd(struct input *in, int *keep)
{
	uint8_t kind = take_u8(in), seal_bits = take_u8(in);
	size_t size = take_u32(in) % (MAX_FILE_SIZE + 1);
	char name[64];
	int fd = -1, fds[2], seals = 0;

	*keep = -1;
	switch (kind % 14) {
	case 0: /* sealed memfd, with extra seals by the input */
	case 1: /* sealable, unsealed */
		fd = make_memfd(MFD_ALLOW_SEALING, size);
		if (fd < 0)
			return -1;
		if (kind % 14 == 0) {
			seals = F_SEAL_SHRINK;
			seals |= seal_bits &
				 (F_SEAL_SEAL | F_SEAL_GROW | F_SEAL_WRITE |
				  F_SEAL_FUTURE_WRITE);
			fcntl(fd, F_ADD_SEALS, seals);
		}
		*keep = dup(fd);
		return fd;
	case 2: /* unsealable memfd */
		fd = make_memfd(0, size);
		break;
	case 3: /* /dev/shm file */
		snprintf(name, sizeof(name), "/sealshm-fuzz-%d", (int)getpid());
		fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
			      0600);
		if (fd < 0)
			return -1;
		shm_unlink(name);
		if (ftruncate(fd, (off_t)size) < 0) {
			close(fd);
			return -1;
		}
		break;
	case 4: /* disk file */
		fd = open("/var/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
			if (fd >= 0)
				close(fd);
			return -1;
		}
		break;
	case 5:
		if (pipe2(fds, O_CLOEXEC) < 0)
			return -1;
		close(fds[1]);
		return fds[0];
	case 6:
		return open("/dev/zero", O_RDWR | O_CLOEXEC);
	case 7:	 /* read-only fd of a sealed memfd */
	case 11: /* write-only fd of a sealed memfd */
	case 12: /* O_PATH fd of a sealed memfd */
		fd = make_memfd(MFD_ALLOW_SEALING, size);
		if (fd < 0)
			return -1;
		fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK);
		*keep = fd;
		fd = reopen(fd, kind % 14 == 7	  ? O_RDONLY
				: kind % 14 == 11 ? O_WRONLY
						  : O_PATH);
		if (fd < 0) {
			close(*keep);
			*keep = -1;
		}
		return fd;
	case 8: /* hugetlbfs: needs no huge pages to be created */
		fd = memfd_create("fuzz-huge", MFD_CLOEXEC | MFD_ALLOW_SEALING |
						       MFD_HUGETLB);
		if (fd < 0)
			return -1;
		if (ftruncate(fd, HUGE_PAGE_SIZE) < 0) {
			close(fd);
			return -1;
		}
		fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK);
		return fd;
	case 9:
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
			return -1;
		close(fds[1]);
		return fds[0];
	case 10:
		return eventfd(0, EFD_CLOEXEC);
	default:
		return open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd >= 0)
		*keep = dup(fd);
	return fd;
}

/* Change a pool's file behind the server's back. */
static void
change_file(struct input *in, int fd)
{
	uint8_t op = take_u8(in);
	off_t a = (off_t)(take_u32(in) % (MAX_FILE_SIZE + 1));
	off_t b = (off_t)(take_u32(in) % (MAX_FILE_SIZE + 1));
	char bytes[64];

	if (fd < 0)
		return;
	switch (op % 5) {
	case 0: /* shrink or grow: refused with EPERM when sealed */
		if (ftruncate(fd, a) < 0)
			break;
		break;
	case 1:
		fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, a,
			  b ? b : 1);
		break;
	case 2:
		posix_fallocate(fd, 0, a ? a : 1);
		break;
	case 3:
		fcntl(fd, F_ADD_SEALS, (int)(b & 0x1f));
		break;
	default:
		memset(bytes, (int)b, sizeof(bytes));
		if (pwrite(fd, bytes, sizeof(bytes), a) < 0)
			break;
		break;
	}
}

/* ---- the compositor's side ---- */

static void
access_buffer(struct session *s, struct sealshm_buffer *buffer, uint8_t how)
{
	size_t size = (size_t)sealshm_buffer_get_stride(buffer) *
		      (size_t)sealshm_buffer_get_height(buffer);
	volatile unsigned char sink = 0;
	pixman_image_t *image;
	unsigned char *p;
	size_t i;
	bool wrote = false;

	if (sealshm_buffer_get_width(buffer) <= 0 ||
	    sealshm_buffer_get_height(buffer) <= 0 ||
	    sealshm_buffer_get_stride(buffer) <
		    sealshm_buffer_get_width(buffer))
		abort();
	(void)sealshm_buffer_get_format(buffer);
	p = sealshm_buffer_begin_access(buffer);
	for (i = 0; i < size; i += (how & 1) ? 1 : 61)
		sink ^= p[i];
	if (size)
		sink ^= p[size - 1];
	image = sealshm_buffer_get_pixman_image(buffer);
	if (image)
		pixman_image_composite32(PIXMAN_OP_OVER, image, NULL, s->target,
					 how >> 4, how & 0xf, 0, 0, 0, 0, 16,
					 16);
	if ((how & 2) && !sealshm_buffer_is_read_only(buffer) && size) {
		memset(p, how, size < 64 ? size : 64);
		p[size - 1] = how;
		wrote = true;
	}
	sealshm_buffer_end_access(buffer, wrote);
	(void)sink;
	/* The getters must agree with what was created. */
	if (sealshm_buffer_is_immutable(buffer) &&
	    !sealshm_buffer_is_read_only(buffer))
		abort();
}

struct access_walk {
	struct session *session;
	uint8_t how;
	int ref_slot; /* >= 0: take a reference to the first buffer */
};

static enum wl_iterator_result
access_resource(struct wl_resource *resource, void *data)
{
	struct access_walk *walk = data;
	struct sealshm_buffer *buffer = sealshm_buffer_from_resource(resource);

	if (!buffer)
		return WL_ITERATOR_CONTINUE;
	if (sealshm_buffer_get_resource(buffer) != resource)
		abort();
	if (walk->ref_slot >= 0) {
		walk->session->refs[walk->ref_slot] =
			sealshm_buffer_ref(buffer);
		return WL_ITERATOR_STOP;
	}
	access_buffer(walk->session, buffer, walk->how);
	return WL_ITERATOR_CONTINUE;
}

static void
server_access(struct session *s, uint8_t how, int ref_slot)
{
	struct access_walk walk = { s, how, ref_slot };
	int i;

	if (s->client)
		wl_client_for_each_resource(s->client, access_resource, &walk);
	if (ref_slot >= 0)
		return;
	for (i = 0; i < REF_SLOTS; i++) {
		if (s->refs[i])
			access_buffer(s, s->refs[i], how);
	}
}

/* ---- one session ---- */

static void
noop_log(enum sealshm_log_level level, const char *fmt, va_list args,
	 void *user_data)
{
}

static bool
session_init(struct session *s, const uint8_t *data, size_t size)
{
	struct sealshm_options options = { 0 };
	uint32_t extra_formats[2];
	uint8_t limits;
	int sv[2], i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < POOL_SLOTS; i++)
		s->pools[i].fd = -1;
	s->in.data = data;
	s->in.size = size;

	options.policy = (enum sealshm_policy)(take_u8(&s->in) % 3);
	limits = take_u8(&s->in);
	if (limits & 1) {
		/* Small limits, so that inputs reach them. */
		options.max_pools_per_client = 1 + ((limits >> 1) & 7);
		options.max_bytes_per_client =
			(uint64_t)(take_u8(&s->in) % 16 + 1) << 15;
		options.max_pool_size = (uint64_t)(take_u8(&s->in) % 16 + 1)
					<< 15;
	}
	if (limits & 0x10) {
		options.extra_formats_len = take_u8(&s->in) % 3;
		for (i = 0; i < (int)options.extra_formats_len; i++)
			extra_formats[i] =
				formats[take_u8(&s->in) %
					(sizeof(formats) / sizeof(formats[0]))];
		options.extra_formats = extra_formats;
	}
	options.log_handler = noop_log;

	s->server = wl_display_create();
	if (!s->server)
		abort();
	s->loop = wl_display_get_event_loop(s->server);
	s->shm = sealshm_create(s->server, &options);
	if (!s->shm && errno == EINVAL && options.extra_formats_len) {
		/* A format the module cannot size: its documented EINVAL. */
		options.extra_formats_len = 0;
		s->shm = sealshm_create(s->server, &options);
	}
	if (!s->shm)
		abort();
	s->target = pixman_image_create_bits(PIXMAN_a8r8g8b8, 16, 16, NULL, 0);

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	s->client = wl_client_create(s->server, sv[0]);
	if (!s->client)
		abort();
	s->client_destroy.notify = handle_client_destroy;
	wl_client_add_destroy_listener(s->client, &s->client_destroy);
	s->display = wl_display_connect_to_fd(sv[1]);
	if (!s->display)
		abort();
	s->registry = wl_display_get_registry(s->display);
	wl_registry_add_listener(s->registry, &registry_listener, s);
	pump(s);
	return s->wl_shm != NULL;
}

static void
session_finish(struct session *s)
{
	struct sealshm_stats stats;
	int i;

	/* Client side first: every proxy, then the connection. */
	for (i = 0; i < BUFFER_SLOTS; i++) {
		if (s->buffers[i])
			wl_buffer_destroy(s->buffers[i]);
	}
	for (i = 0; i < POOL_SLOTS; i++) {
		if (s->pools[i].proxy)
			wl_shm_pool_destroy(s->pools[i].proxy);
		if (s->pools[i].fd >= 0)
			close(s->pools[i].fd);
	}
	if (s->wl_shm)
		wl_shm_destroy(s->wl_shm);
	if (s->registry)
		wl_registry_destroy(s->registry);
	pump(s);
	if (s->display)
		wl_display_disconnect(s->display);
	s->display = NULL;
	pump(s);
	if (s->client)
		wl_client_destroy(s->client);

	/* References outlive the client: still readable, then dropped. */
	server_access(s, 0x5a, -1);
	for (i = 0; i < REF_SLOTS; i++)
		sealshm_buffer_unref(s->refs[i]);
	/* With the client and every reference gone, nothing is mapped. */
	if (!s->module_gone) {
		sealshm_get_stats(s->shm, &stats);
		if (stats.bytes_mapped != 0) {
			fprintf(stderr,
				"fuzz-server: %" PRIu64 " bytes still "
				"mapped after the client left\n",
				stats.bytes_mapped);
			abort();
		}
	}
	pixman_image_unref(s->target);
	wl_display_destroy(s->server);
}

static void
run_op(struct session *s)
{
	struct input *in = &s->in;
	uint8_t op = take_u8(in), slot = take_u8(in);
	struct pool_slot *pool = &s->pools[slot % POOL_SLOTS];
	struct wl_buffer **buffer = &s->buffers[slot % BUFFER_SLOTS];
	int32_t offset, width, height, stride;
	uint32_t format;
	int fd, keep;

	switch (op % 13) {
	case 0:
		if (pool->proxy || !s->wl_shm || !client_alive(s))
			break;
		fd = make_fd(in, &keep);
		if (fd < 0)
			break;
		pool->proxy = wl_shm_create_pool(s->wl_shm, fd, take_size(in));
		close(fd);
		if (pool->fd >= 0)
			close(pool->fd);
		pool->fd = keep;
		break;
	case 1:
		if (*buffer || !pool->proxy || !client_alive(s))
			break;
		offset = take_size(in);
		width = take_dimension(in);
		height = take_dimension(in);
		/* Unsigned: the product wraps like a careless client's. */
		stride = take_u8(in) & 0x80
				 ? (int32_t)take_u32(in)
				 : (int32_t)((uint32_t)width *
					     (uint32_t)(take_u8(in) % 5));
		format = take_u8(in);
		format = format & 0x80 ? take_u32(in)
				       : formats[format % (sizeof(formats) /
							   sizeof(formats[0]))];
		*buffer = wl_shm_pool_create_buffer(pool->proxy, offset, width,
						    height, stride, format);
		break;
	case 2:
		if (pool->proxy && client_alive(s))
			wl_shm_pool_resize(pool->proxy, take_size(in));
		break;
	case 3:
		if (pool->proxy) {
			wl_shm_pool_destroy(pool->proxy);
			pool->proxy = NULL;
		}
		break;
	case 4:
		if (*buffer) {
			wl_buffer_destroy(*buffer);
			*buffer = NULL;
		}
		break;
	case 5:
		change_file(in, pool->fd);
		break;
	case 6:
	case 7:
		server_access(s, take_u8(in), -1);
		break;
	case 8:
		if (!s->refs[slot % REF_SLOTS])
			server_access(s, 0, slot % REF_SLOTS);
		break;
	case 9:
		sealshm_buffer_unref(s->refs[slot % REF_SLOTS]);
		s->refs[slot % REF_SLOTS] = NULL;
		break;
	case 10:
		/* The module goes away while the client still uses it. */
		if (!s->module_gone) {
			sealshm_destroy(s->shm);
			s->module_gone = true;
		}
		break;
	case 12:
		/* wl_shm.release: pools and buffers made through it live on. */
		if (s->wl_shm && s->shm_version >= 2) {
			wl_proxy_marshal_flags((struct wl_proxy *)s->wl_shm, 1,
					       NULL, 2,
					       WL_MARSHAL_FLAG_DESTROY);
			s->wl_shm = NULL;
		}
		break;
	default:
		/* The client vanishes mid-session, from the server's side. */
		if (s->client)
			wl_client_destroy(s->client);
		break;
	}
	pump(s);
}

static void
drop_wayland_log(const char *fmt, va_list args)
{
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* Every input provokes protocol errors; libwayland logs each. */
	wl_log_set_handler_server(drop_wayland_log);
	wl_log_set_handler_client(drop_wayland_log);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct session s;
	char path[64], target[256];
	int mappings, leaked;
	ssize_t n;

	if (fd_baseline < 0) {
		fd_baseline = lowest_free_fd();
		mapping_baseline = count_shm_mappings();
	}

	if (session_init(&s, data, size)) {
		while (s.in.size)
			run_op(&s);
	}
	session_finish(&s);

	leaked = lowest_free_fd();
	if (leaked != fd_baseline) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd_baseline);
		n = readlink(path, target, sizeof(target) - 1);
		target[n > 0 ? n : 0] = '\0';
		fprintf(stderr,
			"fuzz-server: fd leak: fd %d (%s) is open, the "
			"lowest free fd before was %d\n",
			fd_baseline, target, fd_baseline);
		abort();
	}
	mappings = count_shm_mappings();
	if (mappings != mapping_baseline) {
		fprintf(stderr,
			"fuzz-server: mapping leak: %d shm mappings, "
			"was %d\n",
			mappings, mapping_baseline);
		abort();
	}
	return 0;
}
