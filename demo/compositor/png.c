/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "internal.h"

/*
 * The output is x8r8g8b8, so the PNG is 8-bit RGB without alpha and
 * without a time chunk: the same frame always gives the same file.
 */
int
comp_png_write(pixman_image_t *image, const char *path)
{
	int32_t width = pixman_image_get_width(image);
	int32_t height = pixman_image_get_height(image);
	int32_t stride = pixman_image_get_stride(image) / 4;
	const uint32_t *pixels = pixman_image_get_data(image);
	png_structp png = NULL;
	png_infop info = NULL;
	uint8_t *row = NULL;
	int32_t x, y;
	FILE *f;

	f = fopen(path, "wb");
	if (!f) {
		fprintf(stderr, "sealshm-compositor: cannot write %s: %s\n",
			path, strerror(errno));
		return -1;
	}
	row = malloc((size_t)width * 3);
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	if (png)
		info = png_create_info_struct(png);
	if (!row || !info)
		goto err;
	if (setjmp(png_jmpbuf(png)))
		goto err;
	png_init_io(png, f);
	png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8,
		     PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (y = 0; y < height; y++) {
		const uint32_t *src = pixels + (size_t)y * stride;

		for (x = 0; x < width; x++) {
			row[x * 3 + 0] = (uint8_t)(src[x] >> 16);
			row[x * 3 + 1] = (uint8_t)(src[x] >> 8);
			row[x * 3 + 2] = (uint8_t)src[x];
		}
		png_write_row(png, row);
	}
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	free(row);
	if (fclose(f) != 0) {
		fprintf(stderr, "sealshm-compositor: cannot write %s: %s\n",
			path, strerror(errno));
		return -1;
	}
	return 0;
err:
	fprintf(stderr, "sealshm-compositor: cannot encode %s\n", path);
	png_destroy_write_struct(&png, &info);
	free(row);
	fclose(f);
	return -1;
}
