/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 */

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <wayland-server-core.h>

#include "client-util.h"
#include "shm-file.h"
#include "test-runner.h"

/*
 * The logger runs before libwayland dispatches the request, while the fd
 * the server received is open: what is checked here is exactly the file
 * the sealshm server is about to accept, not the client's idea of it.
 */
static void
log_request(void *data, enum wl_protocol_logger_type type,
	    const struct wl_protocol_logger_message *msg)
{
	struct pool_log *log = data;
	enum shm_fs_kind kind;
	int fd, seals;

	if (type != WL_PROTOCOL_LOGGER_REQUEST ||
	    strcmp(wl_resource_get_class(msg->resource), "wl_shm") != 0 ||
	    strcmp(msg->message->name, "create_pool") != 0)
		return;
	fd = msg->arguments[1].h;
	seals = shm_file_get_seals(fd);
	if (log->pools < (int)(sizeof(log->seals) / sizeof(log->seals[0])))
		log->seals[log->pools] = seals;
	log->pools++;
	if (seals >= 0 && (seals & F_SEAL_SHRINK))
		log->sealed_shrink++;
	if (shm_file_get_fs_kind(fd, &kind) == 0 && kind == SHM_FS_SHMEM)
		log->on_shmem++;
	if (log->inspect)
		log->inspect(fd, msg->arguments[2].i, log->inspect_data);
}

struct test_display *
server_start(struct sealshm **shm, struct pool_log *log,
	     void (*commit)(struct wl_resource *surface,
			    struct wl_resource *buffer, void *data),
	     void *commit_data)
{
	struct test_display *d = test_display_create();

	*shm = sealshm_create(d->display, NULL);
	check(*shm);
	if (log) {
		log->logger = wl_display_add_protocol_logger(d->display,
							     log_request, log);
		check(log->logger);
	}
	test_display_add_compositor(d, commit, commit_data);
	return d;
}

void
server_stop(struct test_display *d, struct pool_log *log)
{
	if (log)
		wl_protocol_logger_destroy(log->logger);
	test_display_destroy(d);
}

void *
shared_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	check(p != MAP_FAILED);
	return p;
}

void
shared_free(void *p, size_t size)
{
	check(munmap(p, size) == 0);
}

void
client_commit(struct test_client *c, struct wl_surface *surface,
	      struct wl_buffer *buffer, int32_t width, int32_t height)
{
	wl_surface_attach(surface, buffer, 0, 0);
	wl_surface_damage_buffer(surface, 0, 0, width, height);
	wl_surface_commit(surface);
	check_msg(test_client_roundtrip_error(c, NULL) == 0,
		  "the server refused a buffer of the client helper");
}

void
client_tag_pixels(void *data, int32_t width, int32_t height, int32_t stride,
		  uint32_t tag, bool full)
{
	uint8_t *p = data;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t size = (size_t)stride * (size_t)height;

	if (full) {
		for (int32_t y = 0; y < height; y++) {
			uint32_t *row = (uint32_t *)(p + (size_t)y * stride);

			for (int32_t x = 0; x < width; x++)
				row[x] = tag;
		}
		return;
	}
	for (size_t off = 0; off + 4 <= size; off += page)
		*(uint32_t *)(p + off) = tag;
	for (int32_t x = 0; x < width; x++) {
		((uint32_t *)p)[x] = tag;
		((uint32_t *)(p + (size_t)(height - 1) * stride))[x] = tag;
	}
}
