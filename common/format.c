/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 */

#include "format.h"

/*
 * wl_shm (DRM) formats name components from the most significant bit of a
 * little-endian word; pixman names them the same way for packed formats,
 * so each pair below describes the same memory layout on little-endian
 * machines.
 */
#define PACKED(code, bpp, pixman, name)                                        \
	{                                                                      \
		code, bpp, pixman, name, 0, 0, 0                               \
	}
#define PLANAR(code, name, chroma_planes, hsub, vsub)                          \
	{                                                                      \
		code, 1, 0, name, chroma_planes, hsub, vsub                    \
	}

const struct format_info format_table[] = {
	PACKED(SHM_FORMAT_ARGB8888, 4, PIXMAN_a8r8g8b8, "ARGB8888"),
	PACKED(SHM_FORMAT_XRGB8888, 4, PIXMAN_x8r8g8b8, "XRGB8888"),
	PACKED(SHM_FOURCC('A', 'B', '2', '4'), 4, PIXMAN_a8b8g8r8, "ABGR8888"),
	PACKED(SHM_FOURCC('X', 'B', '2', '4'), 4, PIXMAN_x8b8g8r8, "XBGR8888"),
	PACKED(SHM_FOURCC('R', 'A', '2', '4'), 4, PIXMAN_r8g8b8a8, "RGBA8888"),
	PACKED(SHM_FOURCC('R', 'X', '2', '4'), 4, PIXMAN_r8g8b8x8, "RGBX8888"),
	PACKED(SHM_FOURCC('B', 'A', '2', '4'), 4, PIXMAN_b8g8r8a8, "BGRA8888"),
	PACKED(SHM_FOURCC('B', 'X', '2', '4'), 4, PIXMAN_b8g8r8x8, "BGRX8888"),
	PACKED(SHM_FOURCC('A', 'R', '3', '0'), 4, PIXMAN_a2r10g10b10,
	       "ARGB2101010"),
	PACKED(SHM_FOURCC('X', 'R', '3', '0'), 4, PIXMAN_x2r10g10b10,
	       "XRGB2101010"),
	PACKED(SHM_FOURCC('A', 'B', '3', '0'), 4, PIXMAN_a2b10g10r10,
	       "ABGR2101010"),
	PACKED(SHM_FOURCC('X', 'B', '3', '0'), 4, PIXMAN_x2b10g10r10,
	       "XBGR2101010"),
	PACKED(SHM_FOURCC('R', 'G', '2', '4'), 3, PIXMAN_r8g8b8, "RGB888"),
	PACKED(SHM_FOURCC('B', 'G', '2', '4'), 3, PIXMAN_b8g8r8, "BGR888"),
	PACKED(SHM_FOURCC('R', 'G', '1', '6'), 2, PIXMAN_r5g6b5, "RGB565"),
	PACKED(SHM_FOURCC('B', 'G', '1', '6'), 2, PIXMAN_b5g6r5, "BGR565"),
	PACKED(SHM_FOURCC('A', 'R', '1', '5'), 2, PIXMAN_a1r5g5b5, "ARGB1555"),
	PACKED(SHM_FOURCC('X', 'R', '1', '5'), 2, PIXMAN_x1r5g5b5, "XRGB1555"),
	PACKED(SHM_FOURCC('A', 'B', '1', '5'), 2, PIXMAN_a1b5g5r5, "ABGR1555"),
	PACKED(SHM_FOURCC('X', 'B', '1', '5'), 2, PIXMAN_x1b5g5r5, "XBGR1555"),
	PACKED(SHM_FOURCC('A', 'R', '1', '2'), 2, PIXMAN_a4r4g4b4, "ARGB4444"),
	PACKED(SHM_FOURCC('X', 'R', '1', '2'), 2, PIXMAN_x4r4g4b4, "XRGB4444"),
	PACKED(SHM_FOURCC('A', 'B', '1', '2'), 2, PIXMAN_a4b4g4r4, "ABGR4444"),
	PACKED(SHM_FOURCC('X', 'B', '1', '2'), 2, PIXMAN_x4b4g4r4, "XBGR4444"),
	PACKED(SHM_FOURCC('R', 'G', 'B', '8'), 1, PIXMAN_r3g3b2, "RGB332"),
	PACKED(SHM_FOURCC('B', 'G', 'R', '8'), 1, PIXMAN_b2g3r3, "BGR233"),
	/* Known sizes that pixman cannot read: only as extra formats. */
	PACKED(SHM_FOURCC('R', 'A', '1', '2'), 2, 0, "RGBA4444"),
	PACKED(SHM_FOURCC('A', 'B', '4', 'H'), 8, 0, "ABGR16161616F"),
	PACKED(SHM_FOURCC('R', '8', ' ', ' '), 1, 0, "R8"),
	PACKED(SHM_FOURCC('R', 'X', '1', '2'), 2, 0, "RGBX4444"),
	PACKED(SHM_FOURCC('R', 'A', '1', '5'), 2, 0, "RGBA5551"),
	PACKED(SHM_FOURCC('R', 'X', '1', '5'), 2, 0, "RGBX5551"),
	PACKED(SHM_FOURCC('X', 'B', '4', 'H'), 8, 0, "XBGR16161616F"),
	/* Packed 4:2:2: two pixels in four bytes. */
	PACKED(SHM_FOURCC('Y', 'U', 'Y', 'V'), 2, 0, "YUYV"),
	PACKED(SHM_FOURCC('Y', 'V', 'Y', 'U'), 2, 0, "YVYU"),
	PACKED(SHM_FOURCC('U', 'Y', 'V', 'Y'), 2, 0, "UYVY"),
	PACKED(SHM_FOURCC('V', 'Y', 'U', 'Y'), 2, 0, "VYUY"),
	/* Planar: a luma plane of stride * height bytes, then chroma. */
	PLANAR(SHM_FOURCC('N', 'V', '1', '2'), "NV12", 1, 2, 2),
	PLANAR(SHM_FOURCC('N', 'V', '2', '1'), "NV21", 1, 2, 2),
	PLANAR(SHM_FOURCC('N', 'V', '1', '6'), "NV16", 1, 2, 1),
	PLANAR(SHM_FOURCC('N', 'V', '6', '1'), "NV61", 1, 2, 1),
	PLANAR(SHM_FOURCC('Y', 'U', '1', '2'), "YUV420", 2, 2, 2),
	PLANAR(SHM_FOURCC('Y', 'V', '1', '2'), "YVU420", 2, 2, 2),
	PLANAR(SHM_FOURCC('Y', 'U', '1', '6'), "YUV422", 2, 2, 1),
	PLANAR(SHM_FOURCC('Y', 'V', '1', '6'), "YVU422", 2, 2, 1),
	PLANAR(SHM_FOURCC('Y', 'U', '2', '4'), "YUV444", 2, 1, 1),
	PLANAR(SHM_FOURCC('Y', 'V', '2', '4'), "YVU444", 2, 1, 1),
};

const size_t format_table_len = sizeof(format_table) / sizeof(format_table[0]);

static int64_t
div_round_up(int64_t n, int64_t d)
{
	return (n + d - 1) / d;
}

uint64_t
format_buffer_size(const struct format_info *info, int64_t stride,
		   int64_t height)
{
	int64_t rows, row;

	if (info->chroma_planes == 0)
		return (uint64_t)(stride * height);
	rows = div_round_up(height, info->vsub);
	if (info->chroma_planes == 1)
		row = div_round_up(stride * 2, info->hsub);
	else
		row = div_round_up(stride, info->hsub);
	return (uint64_t)(stride * height + info->chroma_planes * row * rows);
}

const struct format_info *
format_lookup(uint32_t shm_format)
{
	for (size_t i = 0; i < format_table_len; i++) {
		if (format_table[i].shm_format == shm_format)
			return &format_table[i];
	}
	return NULL;
}
