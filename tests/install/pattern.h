/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * The frames mini-client draws and mini-compositor expects: frame f is
 * pattern_width(f) x pattern_height(f) XRGB8888 pixels of
 * pattern_pixel(f, x, y).  Sizes grow from frame to frame, so the client's
 * pool has to grow while the compositor reads it.
 */

#ifndef SEALSHM_TESTS_INSTALL_PATTERN_H
#define SEALSHM_TESTS_INSTALL_PATTERN_H

#include <stdint.h>

static inline int32_t
pattern_width(int frame)
{
	return 32 + 24 * frame;
}

static inline int32_t
pattern_height(int frame)
{
	return 24 + 16 * frame;
}

/* Only the low 24 bits count: the compositor ignores X of XRGB. */
static inline uint32_t
pattern_pixel(int frame, int32_t x, int32_t y)
{
	uint32_t r = (uint32_t)(x * 5 + frame * 17) & 0xff;
	uint32_t g = (uint32_t)(y * 3 + frame * 29) & 0xff;
	uint32_t b = (uint32_t)(x ^ y ^ frame) & 0xff;

	return 0xff000000u | r << 16 | g << 8 | b;
}

#endif /* SEALSHM_TESTS_INSTALL_PATTERN_H */
