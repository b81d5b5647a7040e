/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server-test.h"
#include "shm-file.h"
#include "test-client.h"
#include "test-runner.h"

static void capture_log(enum sealshm_log_level level, const char *fmt,
			va_list args, void *user_data)
	__attribute__((format(printf, 2, 0)));

static void
capture_log(enum sealshm_log_level level, const char *fmt, va_list args,
	    void *user_data)
{
	struct fixture *f = user_data;
	char line[1024];
	int n;

	n = snprintf(line, sizeof(line), "L%d ", (int)level);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, args);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	line[n] = '\0';
	/* libwayland sends at most 127 bytes of an error message. */
	if (strstr(line, "client bug: ")) {
		const char *msg = strstr(strstr(line, "client bug: "), ": ");

		msg = msg ? strstr(msg + 2, ": ") : NULL;
		check_msg(msg && strlen(msg + 2) <= 128,
			  "error message too long for the wire: %.300s", line);
	}
	f->log = realloc(f->log, f->log_len + (size_t)n + 1);
	check(f->log);
	memcpy(f->log + f->log_len, line, (size_t)n + 1);
	f->log_len += (size_t)n;
}

struct fixture *
fixture_create(const struct sealshm_options *options,
	       void (*commit)(struct wl_resource *surface,
			      struct wl_resource *buffer, void *data),
	       void *data)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct sealshm_options opts = { 0 };

	check(f);
	if (options)
		opts = *options;
	opts.size = sizeof(opts);
	opts.log_handler = capture_log;
	opts.log_user_data = f;

	f->d = test_display_create();
	f->shm = sealshm_create(f->d->display, &opts);
	check(f->shm);
	test_display_add_compositor(f->d, commit, data);
	f->fds_baseline = test_count_fds();
	f->maps_baseline = test_count_shm_mappings();
	return f;
}

void
fixture_destroy(struct fixture *f)
{
	sealshm_destroy(f->shm);
	test_display_destroy(f->d);
	free(f->log);
	free(f);
}

void
fixture_run(struct fixture *f)
{
	struct wl_list *clients;

	check_msg(test_display_run(f->d) == 0, "a client failed; log:\n%s",
		  f->log ? f->log : "");
	/* Clients that exited may not have been reaped by the server yet. */
	clients = wl_display_get_client_list(f->d->display);
	for (int i = 0; i < 1000 && !wl_list_empty(clients); i++)
		test_display_dispatch(f->d, 10);
	check(wl_list_empty(clients));
}

bool
fixture_log_has(struct fixture *f, enum sealshm_log_level level,
		const char *text)
{
	char prefix[8];
	const char *line = f->log;

	snprintf(prefix, sizeof(prefix), "L%d ", (int)level);
	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (strncmp(line, prefix, strlen(prefix)) == 0 &&
		    memmem(line, len, text, strlen(text)))
			return true;
		line = end ? end + 1 : NULL;
	}
	return false;
}

void
fixture_check_baseline(struct fixture *f)
{
	int fds = test_count_fds(), maps = test_count_shm_mappings();

	check_msg(fds == f->fds_baseline, "server holds %d fds, %d before", fds,
		  f->fds_baseline);
	check_msg(maps == f->maps_baseline,
		  "server holds %d shm mappings, "
		  "%d before",
		  maps, f->maps_baseline);
}

void
fixture_check_short_read(struct fixture *f)
{
	struct sealshm_stats stats;

	sealshm_get_stats(f->shm, &stats, sizeof(stats));
	check(stats.copy_short_reads == 1);
	check(stats.clients_disconnected == 1);
	check(fixture_log_has(f, SEALSHM_LOG_DEBUG, "file too short"));
}

void
client_commit(struct test_client *c, struct wl_surface *surface,
	      struct wl_buffer *buffer)
{
	const struct wl_interface *iface = NULL;
	int err;

	wl_surface_attach(surface, buffer, 0, 0);
	wl_surface_damage_buffer(surface, 0, 0, INT32_MAX, INT32_MAX);
	wl_surface_commit(surface);
	err = test_client_roundtrip_error(c, &iface);
	check_msg(err == 0, "protocol error %d on %s", err,
		  iface ? iface->name : "?");
}

void
client_commit_fd(struct test_client *c, struct wl_surface *surface, int fd,
		 int32_t size, int32_t offset, int32_t width, int32_t height,
		 int32_t stride, uint32_t format)
{
	struct wl_shm_pool *pool = wl_shm_create_pool(c->shm, fd, size);
	struct wl_buffer *buffer;

	close(fd);
	buffer = wl_shm_pool_create_buffer(pool, offset, width, height, stride,
					   format);
	client_commit(c, surface, buffer);
	wl_buffer_destroy(buffer);
	wl_shm_pool_destroy(pool);
}

void
client_pool_init(struct client_pool *cp, int fd, int32_t size)
{
	cp->c = test_client_connect();
	cp->surface = wl_compositor_create_surface(cp->c->compositor);
	cp->fd = fd;
	cp->pool = wl_shm_create_pool(cp->c->shm, fd, size);
}

struct wl_buffer *
client_pool_init_buffer(struct client_pool *cp, int fd, int32_t size,
			int32_t offset, int32_t width, int32_t height,
			int32_t stride)
{
	client_pool_init(cp, fd, size);
	return wl_shm_pool_create_buffer(cp->pool, offset, width, height,
					 stride, WL_SHM_FORMAT_ARGB8888);
}

void
client_pool_finish(struct client_pool *cp, struct wl_buffer *buffer)
{
	close(cp->fd);
	if (buffer)
		wl_buffer_destroy(buffer);
	if (cp->pool)
		wl_shm_pool_destroy(cp->pool);
	wl_surface_destroy(cp->surface);
	test_client_destroy(cp->c);
}

void
client_pool_fail_invalid_fd(struct client_pool *cp, struct wl_buffer *buffer)
{
	wl_surface_attach(cp->surface, buffer, 0, 0);
	wl_surface_commit(cp->surface);
	client_expect_error(cp->c, &wl_buffer_interface,
			    WL_SHM_ERROR_INVALID_FD);
	close(cp->fd);
	/* The connection is dead: free the proxies without requests. */
	wl_proxy_destroy((struct wl_proxy *)buffer);
	if (cp->pool)
		wl_proxy_destroy((struct wl_proxy *)cp->pool);
	wl_proxy_destroy((struct wl_proxy *)cp->surface);
	test_client_destroy(cp->c);
}

void
client_expect_error(struct test_client *c, const void *iface, int code)
{
	const struct wl_interface *got = NULL;
	int err = test_client_roundtrip_error(c, &got);

	check_msg(err == code, "expected error %d, got %d on %s", code, err,
		  got ? got->name : "nothing");
	check_msg(got == iface, "error on %s, expected %s",
		  got ? got->name : "nothing",
		  ((const struct wl_interface *)iface)->name);
}

int
make_sealed_memfd(uint64_t size)
{
	return test_client_make_memfd(size, F_SEAL_SHRINK);
}

struct mapping_extent
mapping_of(const void *addr)
{
	FILE *maps = fopen("/proc/self/maps", "re");
	struct mapping_extent m = { 0 };
	unsigned long start, end;
	char line[512], perms[5];
	bool found = false;

	check(maps);
	while (!found && fgets(line, sizeof(line), maps)) {
		if (sscanf(line, "%lx-%lx %4s", &start, &end, perms) == 3 &&
		    (uintptr_t)addr >= start && (uintptr_t)addr < end) {
			m.start = start;
			m.end = end;
			memcpy(m.perms, perms, sizeof(m.perms));
			found = true;
		}
	}
	fclose(maps);
	check_msg(found, "nothing mapped at %p", addr);
	return m;
}

void
fill_pattern(int fd, uint64_t offset, uint64_t len, uint32_t seed)
{
	uint8_t buf[4096];
	uint64_t done = 0;

	while (done < len) {
		size_t n = len - done < sizeof(buf) ? (size_t)(len - done)
						    : sizeof(buf);

		for (size_t i = 0; i < n; i++)
			buf[i] = pattern_byte(seed, offset + done + i);
		check(pwrite(fd, buf, n, (off_t)(offset + done)) == (ssize_t)n);
		done += n;
	}
}

void
check_pattern(const void *data, uint64_t pos, uint64_t len, uint32_t seed)
{
	const uint8_t *p = data;

	for (uint64_t i = 0; i < len; i++)
		check_msg(p[i] == pattern_byte(seed, pos + i),
			  "byte %ju: 0x%02x, expected 0x%02x (seed %u)",
			  (uintmax_t)(pos + i), p[i],
			  pattern_byte(seed, pos + i), seed);
}
