/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * The formats the compositor advertised, as the application passed them,
 * and the library's messages.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client-private.h"
#include "export.h"
#include "format.h"

static sealshm_client_log_func_t log_handler;
static void *log_user_data;

SEALSHM_EXPORT void
sealshm_client_set_log_handler(sealshm_client_log_func_t handler,
			       void *user_data)
{
	log_handler = handler;
	log_user_data = handler ? user_data : NULL;
}

void
client_log(const char *fmt, ...)
{
	char message[1024];
	va_list args;

	va_start(args, fmt);
	vsnprintf(message, sizeof(message), fmt, args);
	va_end(args);
	if (log_handler)
		log_handler(message, log_user_data);
	else
		fprintf(stderr, "sealshm-client: %s\n", message);
}

int
client_formats_set(struct client_formats *formats, const uint32_t *codes,
		   size_t count)
{
	uint32_t *copy = NULL;

	if (codes && count > 0) {
		copy = calloc(count, sizeof(*copy));
		if (!copy)
			return -1;
		memcpy(copy, codes, count * sizeof(*copy));
	}
	free(formats->codes);
	formats->codes = copy;
	formats->len = copy ? count : 0;
	return 0;
}

void
client_formats_finish(struct client_formats *formats)
{
	free(formats->codes);
	formats->codes = NULL;
	formats->len = 0;
}

/* "ARGB8888", or the code in hex for a format sealshm does not know. */
static const char *
format_name(uint32_t code, char *buf, size_t len)
{
	const struct format_info *info = format_lookup(code);

	if (info)
		return info->name;
	snprintf(buf, len, "0x%08x", code);
	return buf;
}

int
client_formats_check(const struct client_formats *formats, uint32_t format)
{
	char offered[512] = "", name[16];
	size_t used = 0;

	if (!formats->codes)
		return 0;
	for (size_t i = 0; i < formats->len; i++) {
		if (formats->codes[i] == format)
			return 0;
	}
	for (size_t i = 0; i < formats->len && used < sizeof(offered); i++) {
		int n = snprintf(offered + used, sizeof(offered) - used, "%s%s",
				 i ? ", " : "",
				 format_name(formats->codes[i], name,
					     sizeof(name)));

		if (n < 0)
			break;
		used += (size_t)n;
	}
	client_log("format %s (0x%08x) is not advertised by the compositor, "
		   "which offers %s; refused before sending, pick one of those",
		   format_name(format, name, sizeof(name)), format,
		   formats->len ? offered : "none");
	errno = EINVAL;
	return -1;
}
