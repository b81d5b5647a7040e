/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * wlcs types keys through WlcsDisplayServer.create_keyboard, added in
 * version 4 of that struct (wlcs 1.6).  Debian 12's wlcs 1.5.0 headers
 * stop at version 3, so without them this header declares the keyboard
 * the way version 4 lays it out: the version 3 struct followed by one
 * more function pointer (every member is a pointer after the leading
 * version, so nothing pads between them).  The module offers it either
 * way; wlcs 1.5.0 does not know it and ignores it, and the module's own
 * tests call it through wlcs_compat_create_keyboard().
 */

#ifndef SEALSHM_TESTS_WLCS_KEYBOARD_H
#define SEALSHM_TESTS_WLCS_KEYBOARD_H

#include <stddef.h>

#include <wlcs/display_server.h>

#if WLCS_DISPLAY_SERVER_VERSION >= 4
#include <wlcs/keyboard.h>
#else
#define WLCS_KEYBOARD_VERSION 1

typedef struct WlcsKeyboard WlcsKeyboard;
struct WlcsKeyboard {
	uint32_t version;
	/* Linux input event codes (KEY_A...) */
	void (*key_down)(WlcsKeyboard *keyboard, int scancode);
	void (*key_up)(WlcsKeyboard *keyboard, int scancode);
	void (*destroy)(WlcsKeyboard *keyboard);
};
#endif

/* WlcsDisplayServer version 4, as laid out whatever the header. */
struct wlcs_compat_server_v4 {
#if WLCS_DISPLAY_SERVER_VERSION >= 4
	WlcsDisplayServer server;
#else
	WlcsDisplayServer server;
	WlcsKeyboard *(*create_keyboard)(WlcsDisplayServer *server);
#endif
};

#if WLCS_DISPLAY_SERVER_VERSION >= 4
#define WLCS_COMPAT_CREATE_KEYBOARD(v4) ((v4)->server.create_keyboard)
#else
#define WLCS_COMPAT_CREATE_KEYBOARD(v4) ((v4)->create_keyboard)
#endif

/* NULL when @p server is older than version 4. */
static inline WlcsKeyboard *
wlcs_compat_create_keyboard(WlcsDisplayServer *server)
{
	struct wlcs_compat_server_v4 *v4 =
		(struct wlcs_compat_server_v4 *)server;

	if (server->version < 4 || !WLCS_COMPAT_CREATE_KEYBOARD(v4))
		return NULL;
	return WLCS_COMPAT_CREATE_KEYBOARD(v4)(server);
}

#endif /* SEALSHM_TESTS_WLCS_KEYBOARD_H */
