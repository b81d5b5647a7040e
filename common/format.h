/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * The pixel formats sealshm knows: wl_shm.format code, bytes per pixel, the
 * pixman format that reads it (0 when pixman cannot) and, for planar YUV,
 * the chroma planes that follow the first one.  Private.
 */

#ifndef SEALSHM_COMMON_FORMAT_H
#define SEALSHM_COMMON_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include <pixman.h>

/* wl_shm.format codes: 0 and 1 are special, the rest are DRM fourccs. */
#define SHM_FORMAT_ARGB8888 0u
#define SHM_FORMAT_XRGB8888 1u
#define SHM_FOURCC(a, b, c, d)                                                 \
	((uint32_t)(a) | ((uint32_t)(b) << 8) | ((uint32_t)(c) << 16) |        \
	 ((uint32_t)(d) << 24))

struct format_info {
	uint32_t shm_format;
	/* of the first plane; packed 4:2:2 (YUYV) counts 2 */
	uint32_t bytes_per_pixel;
	/* 0 when pixman cannot read the layout */
	pixman_format_code_t pixman_format;
	const char *name;
	/*
	 * Planar YUV: the chroma planes after the luma plane, laid out as
	 * DRM and every renderer reads them (weston's GL renderer, Mesa):
	 * 1 = one interleaved CbCr plane of stride * 2 / hsub bytes per
	 * row (NV12), 2 = one plane per component of stride / hsub bytes
	 * per row (YUV420); each has height / vsub rows, rounded up.
	 */
	uint8_t chroma_planes;
	uint8_t hsub, vsub;
};

/** All known formats; the pixman-readable ones come first. */
extern const struct format_info format_table[];
extern const size_t format_table_len;

/** The entry for @p shm_format, or NULL when unknown. */
const struct format_info *format_lookup(uint32_t shm_format);

/**
 * Bytes a buffer of @p height rows of @p stride bytes occupies from its
 * offset, every plane included.  64-bit: no int32 inputs can overflow it.
 */
uint64_t format_buffer_size(const struct format_info *info, int64_t stride,
			    int64_t height);

#endif /* SEALSHM_COMMON_FORMAT_H */
