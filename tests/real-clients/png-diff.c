/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * png-diff A.png B.png: print how many pixels of two same-sized PNGs
 * differ, how many of those are vivid in B (strongly coloured: channels
 * far apart, which no grey or dark window background is), and the
 * bounding box of the difference, as "differing=N vivid=N box=X,Y WxH".
 * The real-client tests compare a screenshot with a client against one of
 * the bare background, so they need not know what the compositor's
 * background looks like.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

static uint32_t *
load(const char *path, png_image *image)
{
	uint32_t *pixels;

	memset(image, 0, sizeof *image);
	image->version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_file(image, path)) {
		fprintf(stderr, "png-diff: %s: %s\n", path, image->message);
		return NULL;
	}
	image->format = PNG_FORMAT_BGRA;
	pixels = malloc(PNG_IMAGE_SIZE(*image));
	if (!pixels) {
		png_image_free(image);
		fprintf(stderr, "png-diff: %s: out of memory\n", path);
		return NULL;
	}
	if (!png_image_finish_read(image, NULL, pixels, 0, NULL)) {
		fprintf(stderr, "png-diff: %s: %s\n", path, image->message);
		free(pixels);
		return NULL;
	}
	return pixels;
}

/* Largest minus smallest of the three colour channels. */
static uint32_t
spread(uint32_t pixel)
{
	uint32_t b = pixel & 0xff, g = (pixel >> 8) & 0xff;
	uint32_t r = (pixel >> 16) & 0xff;
	uint32_t lo = b < g ? b : g, hi = b > g ? b : g;

	lo = r < lo ? r : lo;
	hi = r > hi ? r : hi;
	return hi - lo;
}

int
main(int argc, char *argv[])
{
	png_image a, b;
	uint32_t *pa, *pb;
	uint32_t x, y, x0, y0, x1, y1;
	uint64_t differing = 0, vivid = 0;
	int ret = 2;

	if (argc != 3) {
		fprintf(stderr, "usage: png-diff A.png B.png\n");
		return 2;
	}
	pa = load(argv[1], &a);
	if (!pa)
		return 2;
	pb = load(argv[2], &b);
	if (!pb)
		goto out_a;
	if (a.width != b.width || a.height != b.height) {
		fprintf(stderr, "png-diff: sizes differ: %ux%u and %ux%u\n",
			a.width, a.height, b.width, b.height);
		goto out_b;
	}

	x0 = a.width;
	y0 = a.height;
	x1 = y1 = 0;
	for (y = 0; y < a.height; y++) {
		for (x = 0; x < a.width; x++) {
			size_t i = (size_t)y * a.width + x;

			if (pa[i] == pb[i])
				continue;
			differing++;
			if (spread(pb[i]) >= 96)
				vivid++;
			if (x < x0)
				x0 = x;
			if (y < y0)
				y0 = y;
			if (x + 1 > x1)
				x1 = x + 1;
			if (y + 1 > y1)
				y1 = y + 1;
		}
	}
	if (differing == 0)
		x0 = y0 = 0;
	printf("differing=%llu vivid=%llu box=%u,%u %ux%u\n",
	       (unsigned long long)differing, (unsigned long long)vivid, x0, y0,
	       x1 - x0, y1 - y0);
	ret = 0;

out_b:
	free(pb);
out_a:
	free(pa);
	return ret;
}
