/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * The canary's picture: opaque, different in every pixel of its window,
 * so that finding it in a screenshot and comparing it exactly proves that
 * no attacker's pixels leaked into it and nothing of it was lost.
 */

#ifndef SEALSHM_TESTS_ADVERSARIAL_CANARY_PATTERN_H
#define SEALSHM_TESTS_ADVERSARIAL_CANARY_PATTERN_H

#include <stdint.h>

#define CANARY_WIDTH 96
#define CANARY_HEIGHT 64

/* An XRGB8888 / ARGB8888 value with alpha 0xff. */
static inline uint32_t
canary_pixel(int32_t x, int32_t y)
{
	uint32_t r = (uint32_t)(x * 37 + y * 101 + 11) & 0xff;
	uint32_t g = (uint32_t)((x ^ y) * 13 + 7) & 0xff;
	uint32_t b = (uint32_t)(x * y + 3 * x + 5) & 0xff;

	return 0xff000000u | r << 16 | g << 8 | b;
}

#endif /* SEALSHM_TESTS_ADVERSARIAL_CANARY_PATTERN_H */
