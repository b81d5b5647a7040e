/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <wayland-client.h>

#include "probe.h"
#include "server-test.h"
#include "test-display.h"
#include "test-runner.h"

/* How long the attacker waits for the probe client to report back: only
 * bounds a probe client that is itself stuck, which probe_limit_ms()
 * already catches. */
#define ACK_TIMEOUT_MS 60000

struct probe_conn {
	struct wl_display *display;
	struct wl_registry *registry;
	struct wl_shm *shm;
	struct wl_compositor *compositor;
	struct wl_surface *surface;
	uint32_t probes;
	int64_t worst_us;
};

int
probe_limit_ms(void)
{
	return test_is_instrumented() ? 5000 : 1000;
}

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
handle_done(void *data, struct wl_callback *callback, uint32_t serial)
{
	bool *done = data;

	*done = true;
}

static const struct wl_callback_listener done_listener = {
	.done = handle_done,
};

/*
 * wl_display_roundtrip() with a deadline: poll the socket for at most
 * probe_limit_ms() in all.  Fails the probe client on a timeout or any
 * connection error (a protocol error included: the probe is well-behaved).
 */
static void
roundtrip_within(struct probe_conn *pc, const char *what)
{
	struct pollfd pfd = { wl_display_get_fd(pc->display), POLLIN, 0 };
	struct wl_callback *callback = wl_display_sync(pc->display);
	int64_t start = now_us(), deadline, took;
	bool done = false;
	int r;

	deadline = start + (int64_t)probe_limit_ms() * 1000;
	wl_callback_add_listener(callback, &done_listener, &done);
	while (!done) {
		while (wl_display_prepare_read(pc->display) != 0) {
			check_msg(wl_display_dispatch_pending(pc->display) >= 0,
				  "%s: connection failed: %s", what,
				  strerror(wl_display_get_error(pc->display)));
		}
		if (done) {
			wl_display_cancel_read(pc->display);
			break;
		}
		if (wl_display_flush(pc->display) < 0 && errno != EAGAIN) {
			wl_display_cancel_read(pc->display);
			check_msg(false, "%s: flush failed: %s", what,
				  strerror(errno));
		}
		do {
			int64_t left = (deadline - now_us()) / 1000;

			r = poll(&pfd, 1, left > 0 ? (int)left : 0);
		} while (r < 0 && errno == EINTR);
		if (r <= 0) {
			wl_display_cancel_read(pc->display);
			check_msg(false,
				  "%s: the server did not answer within %d ms "
				  "while the attack held",
				  what, probe_limit_ms());
		}
		check_msg(wl_display_read_events(pc->display) >= 0,
			  "%s: connection failed: %s", what,
			  strerror(wl_display_get_error(pc->display)));
		check_msg(wl_display_dispatch_pending(pc->display) >= 0,
			  "%s: connection failed: %s", what,
			  strerror(wl_display_get_error(pc->display)));
	}
	wl_callback_destroy(callback);
	check_msg(wl_display_get_error(pc->display) == 0,
		  "%s: protocol error %d", what,
		  wl_display_get_error(pc->display));
	took = now_us() - start;
	if (took > pc->worst_us)
		pc->worst_us = took;
}

static void
handle_global(void *data, struct wl_registry *registry, uint32_t name,
	      const char *interface, uint32_t version)
{
	struct probe_conn *pc = data;

	if (strcmp(interface, wl_shm_interface.name) == 0)
		pc->shm =
			wl_registry_bind(registry, name, &wl_shm_interface, 1);
	else if (strcmp(interface, wl_compositor_interface.name) == 0)
		pc->compositor = wl_registry_bind(registry, name,
						  &wl_compositor_interface, 4);
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
probe_connect(struct probe_conn *pc)
{
	pc->display = wl_display_connect(NULL);
	check_msg(pc->display,
		  "probe: cannot connect while the attack "
		  "holds: %s",
		  strerror(errno));
	pc->registry = wl_display_get_registry(pc->display);
	wl_registry_add_listener(pc->registry, &registry_listener, pc);
	roundtrip_within(pc, "probe: first roundtrip of a new connection");
	check(pc->shm && pc->compositor);
	pc->surface = wl_compositor_create_surface(pc->compositor);
}

static void
probe_run(struct probe_conn *pc)
{
	int32_t stride = PROBE_WIDTH * 4, size = stride * PROBE_HEIGHT;
	struct wl_shm_pool *pool;
	struct wl_buffer *buffer;
	int fd;

	if (!pc->display)
		probe_connect(pc);
	roundtrip_within(pc, "probe: wl_display_roundtrip");

	fd = make_sealed_memfd((uint64_t)size);
	fill_pattern(fd, 0, (uint64_t)size, pc->probes);
	pool = wl_shm_create_pool(pc->shm, fd, size);
	close(fd);
	buffer = wl_shm_pool_create_buffer(pool, 0, PROBE_WIDTH, PROBE_HEIGHT,
					   stride, WL_SHM_FORMAT_ARGB8888);
	wl_surface_attach(pc->surface, buffer, 0, 0);
	wl_surface_damage_buffer(pc->surface, 0, 0, PROBE_WIDTH, PROBE_HEIGHT);
	wl_surface_commit(pc->surface);
	roundtrip_within(pc, "probe: sealed pool, buffer and commit");
	wl_buffer_destroy(buffer);
	wl_shm_pool_destroy(pool);
	pc->probes++;
}

static void
send_byte(int fd, char byte)
{
	check(write(fd, &byte, 1) == 1);
}

/* A byte from @p fd; 0 at EOF (the other side is gone). */
static char
receive_byte(int fd, int timeout_ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	char byte;
	int r;

	do {
		r = poll(&pfd, 1, timeout_ms);
	} while (r < 0 && errno == EINTR);
	check_msg(r == 1, "no word from the other client within %d ms",
		  timeout_ms);
	r = (int)read(fd, &byte, 1);
	check(r >= 0);
	return r == 1 ? byte : 0;
}

static void
probe_main(void *data)
{
	struct probe *p = data;
	struct probe_conn pc = { 0 };
	struct probe_result result;
	char cmd;

	close(p->cmd[1]);
	close(p->ack[0]);
	while ((cmd = receive_byte(p->cmd[0], -1)) && cmd != 'q') {
		if (cmd == 'p') {
			probe_run(&pc);
			send_byte(p->ack[1], 'k');
		} else if (cmd == 'P') {
			struct pollfd pfd = { p->cmd[0], POLLIN, 0 };
			uint32_t first = pc.probes;

			pc.worst_us = 0;
			probe_run(&pc);
			send_byte(p->ack[1], 'k');
			/* Until the attacker says stop: a short pause
			 * between probes, not to flood the server. */
			while (poll(&pfd, 1, 5) == 0)
				probe_run(&pc);
			check(receive_byte(p->cmd[0], -1) == 'S');
			result.probes = pc.probes - first;
			result.worst_us = (uint32_t)pc.worst_us;
			check(write(p->ack[1], &result, sizeof(result)) ==
			      (ssize_t)sizeof(result));
		}
	}
	fprintf(stderr, "probe: %u probes, each roundtrip within %d ms\n",
		pc.probes, probe_limit_ms());
	close(p->cmd[0]);
	close(p->ack[1]);
	if (pc.display) {
		wl_surface_destroy(pc.surface);
		wl_compositor_destroy(pc.compositor);
		wl_shm_destroy(pc.shm);
		wl_registry_destroy(pc.registry);
		wl_display_disconnect(pc.display);
	}
}

void
probe_spawn(struct probe *p, struct fixture *f)
{
	check(pipe2(p->cmd, O_CLOEXEC) == 0);
	check(pipe2(p->ack, O_CLOEXEC) == 0);
	p->pid = test_display_spawn(f->d, probe_main, p);
}

void
probe_parent_done(struct probe *p)
{
	close(p->cmd[0]);
	close(p->cmd[1]);
	close(p->ack[0]);
	close(p->ack[1]);
}

void
probe_attacker_init(struct probe *p)
{
	close(p->cmd[0]);
	close(p->ack[1]);
}

static void
wait_ack(struct probe *p)
{
	check_msg(receive_byte(p->ack[0], ACK_TIMEOUT_MS) == 'k',
		  "the probe client failed (see its message above)");
}

void
probe_once(struct probe *p)
{
	send_byte(p->cmd[1], 'p');
	wait_ack(p);
}

void
probe_start(struct probe *p)
{
	send_byte(p->cmd[1], 'P');
	wait_ack(p);
}

struct probe_result
probe_stop(struct probe *p)
{
	struct pollfd pfd = { p->ack[0], POLLIN, 0 };
	struct probe_result result;

	send_byte(p->cmd[1], 'S');
	check(poll(&pfd, 1, ACK_TIMEOUT_MS) == 1);
	check_msg(read(p->ack[0], &result, sizeof(result)) ==
			  (ssize_t)sizeof(result),
		  "the probe client failed (see its message above)");
	return result;
}

void
probe_finish(struct probe *p)
{
	send_byte(p->cmd[1], 'q');
	close(p->cmd[1]);
	close(p->ack[0]);
}
