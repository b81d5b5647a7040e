/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * The headless backend: frames are "shown" at once, paced by a 60 Hz
 * timer that only runs while something changes.
 */

#include <stdlib.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <wayland-server-core.h>

#include "internal.h"

#define FRAME_NSEC 16666667LL

struct headless {
	struct comp_backend base;
	int timer_fd;
	struct wl_event_source *timer_source;
	bool armed;
	/* when the last frame was shown, CLOCK_MONOTONIC nanoseconds */
	int64_t last_frame;
};

static int64_t
now_nsec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void
headless_present(struct comp_backend *backend, pixman_region32_t *damage)
{
	struct headless *h = wl_container_of(backend, h, base);

	h->last_frame = now_nsec();
	comp_server_frame_done(backend->server);
}

static void
headless_schedule(struct comp_backend *backend)
{
	struct headless *h = wl_container_of(backend, h, base);
	int64_t next = h->last_frame + FRAME_NSEC;
	struct itimerspec its = { 0 };

	if (h->armed)
		return;
	if (next <= now_nsec())
		next = now_nsec() + 1;
	its.it_value.tv_sec = next / 1000000000LL;
	its.it_value.tv_nsec = next % 1000000000LL;
	if (timerfd_settime(h->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		h->armed = true;
}

static int
handle_timer(int fd, uint32_t mask, void *data)
{
	struct headless *h = data;
	uint64_t expirations;

	if (read(fd, &expirations, sizeof(expirations)) < 0)
		return 0;
	h->armed = false;
	comp_server_repaint(h->base.server);
	return 0;
}

static void
headless_destroy(struct comp_backend *backend)
{
	struct headless *h = wl_container_of(backend, h, base);

	wl_event_source_remove(h->timer_source);
	close(h->timer_fd);
	free(h);
}

static const struct comp_backend_impl headless_impl = {
	.present = headless_present,
	.schedule = headless_schedule,
	.destroy = headless_destroy,
};

struct comp_backend *
comp_backend_headless_create(struct comp_server *server)
{
	struct headless *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->base.impl = &headless_impl;
	h->base.server = server;
	h->timer_fd =
		timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (h->timer_fd < 0)
		goto err;
	h->timer_source = wl_event_loop_add_fd(
		server->loop, h->timer_fd, WL_EVENT_READABLE, handle_timer, h);
	if (!h->timer_source) {
		close(h->timer_fd);
		goto err;
	}
	return &h->base;
err:
	free(h);
	return NULL;
}
