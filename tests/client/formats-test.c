/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * The advertised formats, passed to pools and swapchains: an unadvertised
 * format is refused in the client, with EINVAL and a line naming it,
 * instead of the compositor ending the connection.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "client-util.h"
#include "sealshm/client.h"
#include "test-runner.h"

#define R8 0x20203852u /* 'R', '8', ' ', ' ' */

static const uint32_t advertised[] = {
	WL_SHM_FORMAT_ARGB8888,
	WL_SHM_FORMAT_XRGB8888,
	WL_SHM_FORMAT_RGB565,
};

/* Run @p body in a client of a display advertising only @p advertised. */
static struct sealshm_stats
run_client(void (*body)(void *data))
{
	struct sealshm_stats stats;
	struct sealshm *shm;
	struct test_display *d = server_start(&shm, NULL, NULL, NULL);

	check(sealshm_set_formats(shm, advertised, 3) == 0);
	test_display_spawn(d, body, NULL);
	check(test_display_run(d) == 0);
	sealshm_get_stats(shm, &stats, sizeof(stats));
	server_stop(d, NULL);
	return stats;
}

static char logged[1024];
static int log_lines;

static void
capture(const char *message, void *data)
{
	check(data == logged);
	snprintf(logged, sizeof(logged), "%s", message);
	log_lines++;
}

static void
check_refusal_logged(void)
{
	check_msg(log_lines == 1, "%d lines logged", log_lines);
	check_msg(strstr(logged, "R8 (0x20203852) is not advertised") &&
			  strstr(logged, "ARGB8888, XRGB8888, RGB565"),
		  "logged: %.400s", logged);
	log_lines = 0;
}

static void
refused_client(void *data)
{
	struct test_client *c = test_client_connect();
	struct sealshm_client_pool *pool;
	struct sealshm_client_buffer *buffer;
	struct sealshm_swapchain *sc;
	size_t n = (size_t)c->formats_len;

	check(n == 3);
	sealshm_client_set_log_handler(capture, logged);

	pool = sealshm_client_pool_create(c->shm, 4096);
	check(pool);
	check(sealshm_client_pool_set_formats(pool, c->formats, n) == 0);
	errno = 0;
	check(!sealshm_client_pool_create_buffer(pool, 16, 16, R8));
	check(errno == EINVAL);
	check_refusal_logged();
	buffer = sealshm_client_pool_create_buffer(pool, 16, 16,
						   WL_SHM_FORMAT_RGB565);
	check(buffer);
	sealshm_client_buffer_destroy(buffer);

	sc = sealshm_swapchain_create(c->shm);
	check(sc);
	check(sealshm_swapchain_set_formats(sc, c->formats, n) == 0);
	errno = 0;
	check(!sealshm_swapchain_acquire(sc, 16, 16, R8));
	check(errno == EINVAL);
	check_refusal_logged();
	buffer = sealshm_swapchain_acquire(sc, 16, 16, WL_SHM_FORMAT_XRGB8888);
	check(buffer);
	sealshm_swapchain_cancel(sc, buffer);

	/* Nothing reached the server: the connection is fine. */
	check(test_client_roundtrip_error(c, NULL) == 0);
	sealshm_swapchain_destroy(sc);
	sealshm_client_pool_destroy(pool);
	sealshm_client_set_log_handler(NULL, NULL);
	test_client_destroy(c);
}

TEST(unadvertised_format_is_refused_in_the_client)
{
	struct sealshm_stats stats = run_client(refused_client);

	check(stats.buffers_rejected == 0 && stats.clients_disconnected == 0);
	check(stats.buffers_created == 2);
}

/* The default handler: one line on stderr. */
static void
stderr_client(void *data)
{
	struct test_client *c = test_client_connect();
	struct sealshm_client_pool *pool = sealshm_client_pool_create(c->shm,
								      4096);
	int fd = memfd_create("stderr", MFD_CLOEXEC);
	const char *prefix = "sealshm-client: format R8 (0x20203852) ";
	char line[512] = { 0 };
	int saved = dup(STDERR_FILENO);

	check(pool && fd >= 0 && saved >= 0);
	check(sealshm_client_pool_set_formats(pool, advertised, 3) == 0);
	check(dup2(fd, STDERR_FILENO) == STDERR_FILENO);
	check(!sealshm_client_pool_create_buffer(pool, 16, 16, R8));
	check(dup2(saved, STDERR_FILENO) == STDERR_FILENO);
	check(pread(fd, line, sizeof(line) - 1, 0) > 0);
	check_msg(strncmp(line, prefix, strlen(prefix)) == 0 &&
			  line[strlen(line) - 1] == '\n' &&
			  !strchr(line, '\n')[1],
		  "stderr: %.400s", line);
	close(fd);
	close(saved);
	sealshm_client_pool_destroy(pool);
	test_client_destroy(c);
}

TEST(default_log_handler_writes_one_line_to_stderr)
{
	struct sealshm_stats stats = run_client(stderr_client);

	check(stats.buffers_rejected == 0 && stats.clients_disconnected == 0);
}

/*
 * Without the list (never given, or forgotten with NULL) the format is
 * sent, and the compositor ends the connection: what the list prevents.
 */
static void
unchecked_client(void *data)
{
	struct test_client *c = test_client_connect();
	struct sealshm_client_pool *pool = sealshm_client_pool_create(c->shm,
								      4096);
	const struct wl_interface *iface = NULL;
	struct sealshm_client_buffer *buffer;

	check(pool);
	check(sealshm_client_pool_set_formats(pool, advertised, 3) == 0);
	check(sealshm_client_pool_set_formats(pool, NULL, 0) == 0);
	buffer = sealshm_client_pool_create_buffer(pool, 16, 16, R8);
	check(buffer);
	check(test_client_roundtrip_error(c, &iface) ==
	      WL_SHM_ERROR_INVALID_FORMAT);
	check(iface == &wl_shm_pool_interface);
	sealshm_client_buffer_destroy(buffer);
	sealshm_client_pool_destroy(pool);
	test_client_destroy(c);
}

TEST(forgotten_list_lets_the_compositor_refuse)
{
	struct sealshm_stats stats = run_client(unchecked_client);

	check(stats.buffers_rejected == 1 && stats.clients_disconnected == 1);
}
