/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * The bridge between libsealshm-server and wlroots 0.15: sealshm's wl_shm
 * global with the formats the renderer can take, and sealshm buffers as
 * wlr_buffers, so that wlr_surface, the renderers and everything else in
 * wlroots use them as they would use libwayland's wl_shm buffers.
 */

#ifndef SEALSHM_WLR_H
#define SEALSHM_WLR_H

#include <stdbool.h>

#include <sealshm/server.h>

struct wl_display;
struct wlr_renderer;

/**
 * What wlr_renderer_init_wl_display() does, with sealshm's wl_shm in
 * place of libwayland's: create the wl_shm global with @p options,
 * advertise exactly the shm formats @p renderer can texture from (and
 * sealshm can bound), register sealshm buffers with
 * wlr_buffer_register_resource_interface(), and create the dmabuf
 * globals when the renderer takes dmabufs.
 *
 * @return the sealshm object (destroyed with the display), or NULL after
 * logging why.
 */
struct sealshm *sealshm_wlr_init(struct wl_display *display,
				 struct wlr_renderer *renderer,
				 const struct sealshm_options *options);

#endif /* SEALSHM_WLR_H */
