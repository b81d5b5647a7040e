/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * Immutable one-shot buffers: the server reports them immutable and shows
 * the caller's pixels, the client keeps no fd or mapping of them, and the
 * very file the server received refuses every way of changing it.
 */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client-util.h"
#include "sealshm/client.h"
#include "test-runner.h"

#define ARGB WL_SHM_FORMAT_ARGB8888
#define W 37
#define H 23

static uint32_t
pattern(int32_t x, int32_t y, uint32_t salt)
{
	return salt ^ ((uint32_t)x << 16) ^ (uint32_t)y;
}

/* What the server found trying to change each received file. */
struct attempts {
	int pools;
	int sealed_all;
	int write_eperm;
	int pwrite_eperm;
	int mmap_eperm;
	int shrink_eperm;
	int grow_eperm;
	int add_seal_eperm;
	int readable;
};

static void
try_to_change(int fd, int32_t size, void *data)
{
	struct attempts *a = data;
	const int all =
		F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;
	uint32_t word = 0xffffffff;
	void *p;

	a->pools++;
	if ((fcntl(fd, F_GET_SEALS) & all) == all)
		a->sealed_all++;
	/* The fd is the client's own O_RDWR open file: only the seals stop
	 * these. */
	if (write(fd, &word, 4) < 0 && errno == EPERM)
		a->write_eperm++;
	if (pwrite(fd, &word, 4, 0) < 0 && errno == EPERM)
		a->pwrite_eperm++;
	p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED && errno == EPERM)
		a->mmap_eperm++;
	else if (p != MAP_FAILED)
		munmap(p, (size_t)size);
	if (ftruncate(fd, 0) < 0 && errno == EPERM)
		a->shrink_eperm++;
	if (ftruncate(fd, (off_t)size * 2) < 0 && errno == EPERM)
		a->grow_eperm++;
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE) < 0 && errno == EPERM)
		a->add_seal_eperm++;
	if (pread(fd, &word, 4, 0) == 4)
		a->readable++;
}

struct seen {
	int commits;
	int immutable;
	int read_only;
	int pixels_ok;
};

static void
handle_commit(struct wl_resource *surface, struct wl_resource *resource,
	      void *data)
{
	struct seen *seen = data;
	struct sealshm_buffer *b;
	const uint8_t *p;
	bool ok = true;
	uint32_t salt;

	if (!resource)
		return;
	b = sealshm_buffer_from_resource(resource);
	check(b);
	seen->commits++;
	/* Commits 1 and 3: from pixels; 2: drawn. */
	salt = seen->commits == 2 ? 0x5a5a0000 : 0xa0000000;
	seen->immutable += sealshm_buffer_is_immutable(b);
	seen->read_only += sealshm_buffer_is_read_only(b);
	check(sealshm_buffer_get_width(b) == W);
	check(sealshm_buffer_get_height(b) == H);
	p = sealshm_buffer_begin_access(b);
	for (int32_t y = 0; y < H; y++) {
		const uint32_t *row =
			(const uint32_t *)(p +
					   (size_t)y *
						   sealshm_buffer_get_stride(
							   b));

		for (int32_t x = 0; x < W; x++)
			ok = ok && row[x] == pattern(x, y, salt);
	}
	sealshm_buffer_end_access(b, false);
	seen->pixels_ok += ok;
}

static void
draw(void *pixels, int32_t width, int32_t height, int32_t stride,
     uint32_t format, void *user_data)
{
	int *calls = user_data;

	(*calls)++;
	check(width == W && height == H && format == ARGB);
	check(stride >= width * 4);
	for (int32_t y = 0; y < height; y++) {
		uint32_t *row =
			(uint32_t *)((uint8_t *)pixels + (size_t)y * stride);

		for (int32_t x = 0; x < width; x++) {
			check(row[x] == 0);
			row[x] = pattern(x, y, 0x5a5a0000);
		}
	}
}

static void
immutable_client(void *data)
{
	struct test_client *c = test_client_connect();
	struct wl_surface *s1, *s2;
	struct wl_buffer *a, *b;
	/* Rows padded to 50 pixels: the caller's stride is honoured. */
	static uint32_t pixels[H][50];
	int fds, maps, calls = 0;

	for (int32_t y = 0; y < H; y++)
		for (int32_t x = 0; x < 50; x++)
			pixels[y][x] = x < W ? pattern(x, y, 0xa0000000) : 0;
	s1 = wl_compositor_create_surface(c->compositor);
	s2 = wl_compositor_create_surface(c->compositor);
	check(s1 && s2);

	fds = test_count_fds();
	maps = test_count_shm_mappings();
	a = sealshm_immutable_buffer_create(c->shm, W, H, ARGB, pixels,
					    sizeof(pixels[0]));
	check_msg(a, "create: %s", strerror(errno));
	b = sealshm_immutable_buffer_create_drawn(c->shm, W, H, ARGB, draw,
						  &calls);
	check_msg(b, "create_drawn: %s", strerror(errno));
	check(calls == 1);
	/* No mapping is left through which to change them, and once
	 * libwayland has sent its copies of the fds, no fd either. */
	check(test_count_shm_mappings() == maps);
	check(wl_display_flush(c->display) >= 0);
	check(test_count_fds() == fds);

	client_commit(c, s1, a, W, H);
	client_commit(c, s1, b, W, H);
	/* One buffer, shown on two surfaces. */
	client_commit(c, s2, a, W, H);

	errno = 0;
	check(!sealshm_immutable_buffer_create(c->shm, W, H, ARGB, NULL, 0) &&
	      errno == EINVAL);
	check(!sealshm_immutable_buffer_create(c->shm, W, H, ARGB, pixels,
					       W * 4 - 1) &&
	      errno == EINVAL);
	check(!sealshm_immutable_buffer_create(c->shm, 0, H, ARGB, pixels,
					       W * 4) &&
	      errno == EINVAL);
	check(!sealshm_immutable_buffer_create_drawn(c->shm, W, H, ARGB, NULL,
						     NULL) &&
	      errno == EINVAL);
	check(!sealshm_immutable_buffer_create_drawn(c->shm, 65536, 65536, ARGB,
						     draw, &calls) &&
	      errno == EOVERFLOW);
	check(test_count_fds() == fds);

	wl_buffer_destroy(a);
	wl_buffer_destroy(b);
	wl_surface_destroy(s1);
	wl_surface_destroy(s2);
	check(test_client_roundtrip_error(c, NULL) == 0);
	test_client_destroy(c);
}

TEST(immutable_buffers_cannot_change)
{
	struct attempts a = { 0 };
	struct pool_log log = {
		.inspect = try_to_change,
		.inspect_data = &a,
	};
	struct seen seen = { 0 };
	struct sealshm_stats st;
	struct sealshm *shm;
	struct test_display *d = server_start(&shm, &log, handle_commit, &seen);

	test_display_spawn(d, immutable_client, NULL);
	check(test_display_run(d) == 0);
	sealshm_get_stats(shm, &st, sizeof(st));
	check(st.pools_rejected == 0 && st.clients_disconnected == 0);

	check(a.pools == 2);
	check_msg(a.sealed_all == 2, "not sealed SHRINK|GROW|WRITE|SEAL");
	check_msg(a.write_eperm == 2, "write() was not refused with EPERM");
	check_msg(a.pwrite_eperm == 2, "pwrite() was not refused with EPERM");
	check_msg(a.mmap_eperm == 2,
		  "a writable shared mapping was not refused with EPERM");
	check(a.shrink_eperm == 2 && a.grow_eperm == 2);
	check(a.add_seal_eperm == 2);
	check(a.readable == 2);

	check(seen.commits == 3);
	check_msg(seen.immutable == 3, "the server did not report the "
				       "buffers immutable");
	check(seen.read_only == 3);
	check_msg(seen.pixels_ok == 3, "the server saw other pixels");
	server_stop(d, &log);
}
