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
 * middle.  Region access and sealshm_buffer_copy_to() get arbitrary damage
 * (empty, negative, huge, outside the buffer) and destination strides,
 * into destinations of exactly the documented size, so ASan sees any
 * write past them; bytes the damage does not cover must keep their
 * canary, and the bytes it covers must be what a full access reads.
 * ASan and UBSan catch memory errors; a SIGBUS kills the run, since
 * nothing handles it; the harness itself aborts on a leaked fd or mapping.
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

#include "format.h"
#include "shm-file.h"

/* Files stay small so that reading every byte of a buffer stays cheap;
 * sizes beyond them still reach the server through the pool sizes. */
#define MAX_FILE_SIZE (1u << 20)
#define HUGE_PAGE_SIZE (2u << 20)
#define POOL_SLOTS 8
#define BUFFER_SLOTS 16
#define REF_SLOTS 8
#define DAMAGE_BOXES 4
/* copy_to destinations above this are not allocated: the too-small-stride
 * case still runs, since it must not write at all. */
#define MAX_DST_SIZE (4u << 20)
/* Pixel-by-pixel checks of a copy only up to this many pixels. */
#define MAX_CHECKED_PIXELS (1u << 16)
/* Copy-tier buffers may be as large as a pool no file backs (up to 2 GiB):
 * above this, reading "every byte" samples one in 4093. */
#define MAX_READ_EVERY_BYTE (4u << 20)

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

static size_t
read_step(size_t size, bool every_byte)
{
	if (size > MAX_READ_EVERY_BYTE)
		return 4093;
	return every_byte ? 1 : 61;
}

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
	for (i = 0; i < size; i += read_step(size, how & 1))
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

/*
 * Damage in buffer coordinates: NULL (the whole buffer), or the union of
 * up to DAMAGE_BOXES boxes, each near the harness's buffers (they are at
 * most 64 pixels in the small dimension mode), covering every int32, or
 * with raw corners.  Inverted and empty boxes are left out: pixman would
 * drop them anyway, and the union of none is the empty region.
 */
static pixman_region32_t *
take_damage(struct input *in, pixman_region32_t *damage)
{
	uint8_t mode = take_u8(in), box_mode;
	pixman_region32_t one;
	pixman_box32_t box;
	int i;

	if (mode & 0x80)
		return NULL;
	pixman_region32_init(damage);
	for (i = 0; i < (int)(mode % (DAMAGE_BOXES + 1)); i++) {
		box_mode = take_u8(in);
		if (box_mode & 0x80) {
			box.x1 = (int32_t)take_u32(in);
			box.y1 = (int32_t)take_u32(in);
			box.x2 = (int32_t)take_u32(in);
			box.y2 = (int32_t)take_u32(in);
		} else if (box_mode & 0x40) {
			box = (pixman_box32_t){ INT32_MIN, INT32_MIN, INT32_MAX,
						INT32_MAX };
		} else {
			box.x1 = (int8_t)take_u8(in);
			box.y1 = (int8_t)take_u8(in);
			box.x2 = box.x1 + take_u8(in) % 160;
			box.y2 = box.y1 + take_u8(in) % 160;
		}
		if (box.x1 >= box.x2 || box.y1 >= box.y2)
			continue;
		pixman_region32_init_with_extents(&one, &box);
		pixman_region32_union(damage, damage, &one);
		pixman_region32_fini(&one);
	}
	return damage;
}

/* The destination stride copy_to gets, relative to the buffer's. */
struct dst_choice {
	uint8_t mode;
	uint32_t arg;
};

static struct dst_choice
take_dst_choice(struct input *in)
{
	struct dst_choice choice = { take_u8(in), 0 };

	if (choice.mode % 5 >= 2)
		choice.arg = take_u32(in);
	return choice;
}

static int32_t
dst_stride_for(struct dst_choice choice, int32_t stride, int64_t row)
{
	int64_t v;

	switch (choice.mode % 5) {
	case 0:
		return stride;
	case 1:
		v = row;
		break;
	case 2:
		v = row + choice.arg % 64;
		break;
	case 3: /* too small, down to zero or below */
		v = row - 1 - choice.arg % 64;
		break;
	default:
		return (int32_t)choice.arg;
	}
	return v > INT32_MAX ? INT32_MAX : (int32_t)v;
}

/* Distinct from one byte to the next, so a copy rarely matches it. */
static unsigned char
canary(size_t i)
{
	return (unsigned char)(0xa5 ^ (i * 131) ^ (i >> 8));
}

static void
check_canary(const unsigned char *p, size_t start, size_t end, const char *what)
{
	size_t i;

	for (i = start; i < end; i++) {
		if (p[i] != canary(i)) {
			fprintf(stderr,
				"fuzz-server: copy_to wrote byte %zu of the "
				"destination, %s\n",
				i, what);
			abort();
		}
	}
}

/*
 * sealshm_buffer_copy_to() into a destination of exactly the documented
 * size.  Inside the damage the bytes must be what a full access reads
 * (checked when @p full_check: not inside an access of a copied buffer,
 * whose own copy may be older than the file); outside it the canary must
 * be intact, padding included unless the strides are equal.
 */
static void
copy_buffer(struct sealshm_buffer *buffer, const pixman_region32_t *damage,
	    struct dst_choice choice, bool full_check)
{
	int32_t width = sealshm_buffer_get_width(buffer);
	int32_t height = sealshm_buffer_get_height(buffer);
	int32_t stride = sealshm_buffer_get_stride(buffer);
	const struct format_info *info =
		format_lookup(sealshm_buffer_get_format(buffer));
	unsigned char small[16], *dst, *src, *px;
	size_t bpp, size, i, at;
	int32_t dst_stride, x, y;
	bool inside;
	int64_t row;

	if (!info)
		abort();
	bpp = info->bytes_per_pixel;
	row = (int64_t)width * (int64_t)bpp;
	dst_stride = dst_stride_for(choice, stride, row);
	if (dst_stride < row) {
		for (i = 0; i < sizeof(small); i++)
			small[i] = canary(i);
		errno = 0;
		if (sealshm_buffer_copy_to(buffer, damage, small, dst_stride) !=
			    -1 ||
		    errno != EINVAL) {
			fprintf(stderr,
				"fuzz-server: copy_to with dst_stride %" PRId32
				" < %" PRId64 " did not fail with EINVAL\n",
				dst_stride, row);
			abort();
		}
		check_canary(small, 0, sizeof(small), "with a bad stride");
		return;
	}
	if ((uint64_t)dst_stride * (uint64_t)(height - 1) + (uint64_t)row >
	    MAX_DST_SIZE)
		return;
	size = (size_t)dst_stride * (size_t)(height - 1) + (size_t)row;
	dst = malloc(size);
	if (!dst)
		abort();
	for (i = 0; i < size; i++)
		dst[i] = canary(i);
	if (sealshm_buffer_copy_to(buffer, damage, dst, dst_stride) != 0)
		abort();

	if ((uint64_t)width * (uint64_t)height > MAX_CHECKED_PIXELS ||
	    (uint64_t)stride * (uint64_t)height > MAX_DST_SIZE)
		goto out;
	full_check = full_check || !sealshm_buffer_is_copied(buffer);
	src = sealshm_buffer_begin_access(buffer);
	for (y = 0; y < height; y++) {
		for (x = 0; x < width; x++) {
			at = (size_t)y * (size_t)dst_stride + (size_t)x * bpp;
			px = src + (size_t)y * (size_t)stride + (size_t)x * bpp;
			inside = !damage || pixman_region32_contains_point(
						    damage, x, y, NULL);
			if (!inside)
				check_canary(dst, at, at + bpp,
					     "outside the damage");
			else if (full_check && memcmp(dst + at, px, bpp)) {
				fprintf(stderr,
					"fuzz-server: copy_to pixel %" PRId32
					",%" PRId32 " differs from what "
					"begin_access reads\n",
					x, y);
				abort();
			}
		}
		if (dst_stride != stride && y < height - 1)
			check_canary(dst,
				     (size_t)y * (size_t)dst_stride +
					     (size_t)row,
				     (size_t)(y + 1) * (size_t)dst_stride,
				     "in the padding");
	}
	sealshm_buffer_end_access(buffer, false);
out:
	free(dst);
}

/*
 * Region access: nested plain access inside (the same pointer, reads
 * nothing more), reads of every byte the harness may touch (all of them:
 * the module's copy is always the whole buffer), copy_to from inside the
 * access, and writes written back at the end.
 */
static void
access_region(struct sealshm_buffer *buffer, const pixman_region32_t *damage,
	      uint8_t how, struct dst_choice choice)
{
	size_t size = (size_t)sealshm_buffer_get_stride(buffer) *
		      (size_t)sealshm_buffer_get_height(buffer);
	size_t step = read_step(size, how & 4);
	volatile unsigned char sink = 0;
	unsigned char *p;
	size_t i;
	bool wrote = false;

	p = sealshm_buffer_begin_access_region(buffer, damage);
	if ((how & 1) && sealshm_buffer_begin_access(buffer) != p)
		abort();
	for (i = 0; i < size; i += step)
		sink ^= p[i];
	if (size)
		sink ^= p[size - 1];
	if (how & 8)
		copy_buffer(buffer, damage, choice, false);
	if ((how & 2) && !sealshm_buffer_is_read_only(buffer) && size) {
		memset(p, how, size < 64 ? size : 64);
		p[size - 1] = how;
		wrote = true;
	}
	if (how & 1)
		sealshm_buffer_end_access(buffer, false);
	sealshm_buffer_end_access(buffer, wrote);
	(void)sink;
}

enum walk_kind {
	WALK_ACCESS,
	WALK_REGION,
	WALK_COPY,
	WALK_REF,
};

struct access_walk {
	struct session *session;
	enum walk_kind kind;
	uint8_t how;
	int ref_slot; /* WALK_REF: take a reference to the first buffer */
	const pixman_region32_t *damage;
	struct dst_choice choice;
};

static void
walk_one(struct access_walk *walk, struct sealshm_buffer *buffer)
{
	switch (walk->kind) {
	case WALK_REGION:
		access_region(buffer, walk->damage, walk->how, walk->choice);
		break;
	case WALK_COPY:
		copy_buffer(buffer, walk->damage, walk->choice, true);
		break;
	default:
		access_buffer(walk->session, buffer, walk->how);
		break;
	}
}

static enum wl_iterator_result
access_resource(struct wl_resource *resource, void *data)
{
	struct access_walk *walk = data;
	struct sealshm_buffer *buffer = sealshm_buffer_from_resource(resource);

	if (!buffer)
		return WL_ITERATOR_CONTINUE;
	if (sealshm_buffer_get_resource(buffer) != resource)
		abort();
	if (walk->kind == WALK_REF) {
		walk->session->refs[walk->ref_slot] =
			sealshm_buffer_ref(buffer);
		return WL_ITERATOR_STOP;
	}
	walk_one(walk, buffer);
	return WL_ITERATOR_CONTINUE;
}

/* Every buffer of the client, then every reference held. */
static void
server_walk(struct session *s, struct access_walk *walk)
{
	int i;

	walk->session = s;
	if (s->client)
		wl_client_for_each_resource(s->client, access_resource, walk);
	if (walk->kind == WALK_REF)
		return;
	for (i = 0; i < REF_SLOTS; i++) {
		if (s->refs[i])
			walk_one(walk, s->refs[i]);
	}
}

static void
server_access(struct session *s, uint8_t how)
{
	struct access_walk walk = { .kind = WALK_ACCESS, .how = how };

	server_walk(s, &walk);
}

static void
server_take_ref(struct session *s, int ref_slot)
{
	struct access_walk walk = { .kind = WALK_REF, .ref_slot = ref_slot };

	server_walk(s, &walk);
}

/* Region access or copy_to on every buffer, with damage from the input. */
static void
server_damage_op(struct session *s, enum walk_kind kind)
{
	struct access_walk walk = { .kind = kind };
	pixman_region32_t region;

	walk.how = take_u8(&s->in);
	walk.choice = take_dst_choice(&s->in);
	walk.damage = take_damage(&s->in, &region);
	server_walk(s, &walk);
	if (walk.damage)
		pixman_region32_fini(&region);
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
	struct sealshm_options options = { .size = sizeof(options) };
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
	server_access(s, 0x5a);
	for (i = 0; i < REF_SLOTS; i++)
		sealshm_buffer_unref(s->refs[i]);
	/* With the client and every reference gone, nothing is mapped. */
	if (!s->module_gone) {
		sealshm_get_stats(s->shm, &stats, sizeof(stats));
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

	switch (op % 15) {
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
		server_access(s, take_u8(in));
		break;
	case 8:
		if (!s->refs[slot % REF_SLOTS])
			server_take_ref(s, slot % REF_SLOTS);
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
	case 13:
		server_damage_op(s, WALK_REGION);
		break;
	case 14:
		server_damage_op(s, WALK_COPY);
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
