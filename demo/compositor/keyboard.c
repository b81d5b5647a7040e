/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * The seat's keyboard: one XKB keymap (libxkbcommon, the default rules
 * or the XKB_DEFAULT_* environment) shared with every client as a sealed,
 * read-only memfd, repeat info, and the focus, which follows activation:
 * the activated toplevel has it, or its topmost grabbed popup.  The
 * client that gets it learns the keys held and the modifiers; keys come
 * from the nested backend's parent or from in-process drivers.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <wayland-server-core.h>
#include <wayland-server-protocol.h>
#include <xkbcommon/xkbcommon.h>

#include "internal.h"

/* What foot, GTK and weston default to. */
#define REPEAT_RATE 25
#define REPEAT_DELAY 600

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef F_SEAL_SEAL
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#endif

/* Offsets between evdev codes and XKB keycodes. */
#define EVDEV_OFFSET 8

/*
 * The keymap file follows the client library's rules for immutable
 * buffers: a memfd that can be sealed (and not executed, where the kernel
 * knows MFD_NOEXEC_SEAL), written with pwrite so that no writable
 * mapping exists, sealed against shrinking, growing and writing, and the
 * seals themselves sealed.  Clients get a read-only descriptor, so the
 * text can change for nobody.
 */
static int
create_keymap_fd(const char *text, size_t size)
{
	const int seals =
		F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;
	char path[64];
	size_t done = 0;
	ssize_t n;
	int fd, ro;

	fd = memfd_create("sealshm-keymap",
			  MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);
	if (fd < 0 && errno == EINVAL)
		fd = memfd_create("sealshm-keymap",
				  MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -1;
	while (done < size) {
		n = pwrite(fd, text + done, size - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto err;
		done += (size_t)n;
	}
	if (fcntl(fd, F_ADD_SEALS, seals) < 0 ||
	    (fcntl(fd, F_GET_SEALS) & seals) != seals)
		goto err;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	if (ro < 0)
		goto err;
	close(fd);
	return ro;
err:
	close(fd);
	return -1;
}

static void handle_focus_destroy(struct wl_listener *listener, void *data);

int
comp_keyboard_init(struct comp_server *server)
{
	struct comp_keyboard *kb = &server->seat.keyboard;
	char *text;
	size_t size;

	kb->keymap_fd = -1;
	wl_list_init(&kb->resources);
	kb->focus_destroy.notify = handle_focus_destroy;
	wl_list_init(&kb->focus_destroy.link);
	wl_array_init(&kb->keys);
	kb->context = xkb_context_new(XKB_CONTEXT_NO_FLAGS);
	if (kb->context)
		kb->keymap = xkb_keymap_new_from_names(
			kb->context, NULL, XKB_KEYMAP_COMPILE_NO_FLAGS);
	if (kb->keymap)
		kb->state = xkb_state_new(kb->keymap);
	if (!kb->state) {
		fprintf(stderr, "sealshm-compositor: cannot compile the "
				"default XKB keymap (is xkb-data installed? "
				"check XKB_DEFAULT_LAYOUT)\n");
		return -1;
	}
	text = xkb_keymap_get_as_string(kb->keymap, XKB_KEYMAP_FORMAT_TEXT_V1);
	if (!text)
		return -1;
	/* The size includes the terminating NUL, as clients expect. */
	size = strlen(text) + 1;
	kb->keymap_fd = create_keymap_fd(text, size);
	free(text);
	if (kb->keymap_fd < 0) {
		fprintf(stderr,
			"sealshm-compositor: cannot make the sealed "
			"keymap file: %s\n",
			strerror(errno));
		return -1;
	}
	kb->keymap_size = (uint32_t)size;
	return 0;
}

void
comp_keyboard_fini(struct comp_server *server)
{
	struct comp_keyboard *kb = &server->seat.keyboard;

	if (!kb->resources.next)
		return; /* comp_keyboard_init() never ran */
	wl_list_remove(&kb->focus_destroy.link);
	wl_list_init(&kb->focus_destroy.link);
	kb->focus = NULL;
	if (kb->keymap_fd >= 0)
		close(kb->keymap_fd);
	kb->keymap_fd = -1;
	wl_array_release(&kb->keys);
	wl_array_init(&kb->keys);
	xkb_state_unref(kb->state);
	xkb_keymap_unref(kb->keymap);
	xkb_context_unref(kb->context);
	kb->state = NULL;
	kb->keymap = NULL;
	kb->context = NULL;
}

static bool
is_focus_client(struct comp_keyboard *kb, struct wl_resource *resource)
{
	return kb->focus && wl_resource_get_client(resource) ==
				    wl_resource_get_client(kb->focus->resource);
}

static void
send_modifiers(struct comp_server *server, struct wl_resource *resource,
	       uint32_t serial)
{
	struct comp_keyboard *kb = &server->seat.keyboard;

	wl_keyboard_send_modifiers(resource, serial, kb->mods_depressed,
				   kb->mods_latched, kb->mods_locked,
				   kb->group);
}

static void
send_enter(struct comp_server *server, struct wl_resource *resource,
	   uint32_t serial)
{
	struct comp_keyboard *kb = &server->seat.keyboard;

	wl_keyboard_send_enter(resource, serial, kb->focus->resource,
			       &kb->keys);
	send_modifiers(server, resource, serial);
}

static void
handle_focus_destroy(struct wl_listener *listener, void *data)
{
	struct comp_keyboard *kb = wl_container_of(listener, kb, focus_destroy);
	struct comp_seat *seat = wl_container_of(kb, seat, keyboard);
	struct comp_server *server = wl_container_of(seat, server, seat);

	/* The client destroyed the surface: it needs no leave for it.  The
	 * shell moves the focus on when the window unmaps. */
	wl_list_remove(&kb->focus_destroy.link);
	wl_list_init(&kb->focus_destroy.link);
	kb->focus = NULL;
	comp_data_device_set_focus(server, NULL);
}

static void
set_focus(struct comp_server *server, struct comp_surface *surface)
{
	struct comp_keyboard *kb = &server->seat.keyboard;
	struct wl_resource *resource;
	uint32_t serial;

	if (kb->focus == surface)
		return;
	if (kb->focus) {
		serial = wl_display_next_serial(server->display);
		wl_resource_for_each (resource, &kb->resources) {
			if (is_focus_client(kb, resource))
				wl_keyboard_send_leave(resource, serial,
						       kb->focus->resource);
		}
		wl_list_remove(&kb->focus_destroy.link);
		wl_list_init(&kb->focus_destroy.link);
	}
	kb->focus = surface;
	/* The selection reaches the new client before its enter, so that
	 * a paste on the first key finds it. */
	comp_data_device_set_focus(
		server,
		surface ? wl_resource_get_client(surface->resource) : NULL);
	if (!surface)
		return;
	wl_resource_add_destroy_listener(surface->resource, &kb->focus_destroy);
	serial = wl_display_next_serial(server->display);
	wl_resource_for_each (resource, &kb->resources) {
		if (is_focus_client(kb, resource))
			send_enter(server, resource, serial);
	}
}

void
comp_keyboard_refocus(struct comp_server *server)
{
	set_focus(server, comp_xdg_keyboard_target(server));
}

static void
keyboard_release(struct wl_client *client, struct wl_resource *resource)
{
	wl_resource_destroy(resource);
}

static const struct wl_keyboard_interface keyboard_impl = {
	.release = keyboard_release,
};

static void
unlink_resource(struct wl_resource *resource)
{
	wl_list_remove(wl_resource_get_link(resource));
}

void
comp_keyboard_create(struct wl_client *client, struct wl_resource *seat,
		     uint32_t id)
{
	struct comp_server *server = wl_resource_get_user_data(seat);
	struct comp_keyboard *kb = &server->seat.keyboard;
	struct wl_resource *resource;

	resource = wl_resource_create(client, &wl_keyboard_interface,
				      wl_resource_get_version(seat), id);
	if (!resource) {
		wl_resource_post_no_memory(seat);
		return;
	}
	wl_resource_set_implementation(resource, &keyboard_impl, server,
				       unlink_resource);
	wl_list_insert(&kb->resources, wl_resource_get_link(resource));
	wl_keyboard_send_keymap(resource, WL_KEYBOARD_KEYMAP_FORMAT_XKB_V1,
				kb->keymap_fd, kb->keymap_size);
	if (wl_resource_get_version(resource) >=
	    WL_KEYBOARD_REPEAT_INFO_SINCE_VERSION)
		wl_keyboard_send_repeat_info(resource, REPEAT_RATE,
					     REPEAT_DELAY);
	/* A keyboard made while the client has the focus starts entered,
	 * as pointers do. */
	if (is_focus_client(kb, resource))
		send_enter(server, resource,
			   wl_display_next_serial(server->display));
}

/* Track the held keys; false for a press of a held key or a release
 * of one that is not (a driver's mistake, not worth an event). */
static bool
update_keys(struct comp_keyboard *kb, uint32_t key, bool pressed)
{
	uint32_t *k, *end;

	wl_array_for_each (k, &kb->keys) {
		if (*k != key)
			continue;
		if (pressed)
			return false;
		end = (uint32_t *)((char *)kb->keys.data + kb->keys.size);
		memmove(k, k + 1, (size_t)((char *)end - (char *)(k + 1)));
		kb->keys.size -= sizeof(*k);
		return true;
	}
	if (!pressed)
		return false;
	k = wl_array_add(&kb->keys, sizeof(*k));
	if (!k)
		return false;
	*k = key;
	return true;
}

void
comp_server_keyboard_key(struct comp_server *server, uint32_t time_msec,
			 uint32_t key, bool pressed)
{
	struct comp_keyboard *kb = &server->seat.keyboard;
	uint32_t depressed, latched, locked, group, serial;
	struct wl_resource *resource;
	bool mods_changed;

	if (!update_keys(kb, key, pressed))
		return;
	xkb_state_update_key(kb->state, key + EVDEV_OFFSET,
			     pressed ? XKB_KEY_DOWN : XKB_KEY_UP);
	depressed =
		xkb_state_serialize_mods(kb->state, XKB_STATE_MODS_DEPRESSED);
	latched = xkb_state_serialize_mods(kb->state, XKB_STATE_MODS_LATCHED);
	locked = xkb_state_serialize_mods(kb->state, XKB_STATE_MODS_LOCKED);
	group = xkb_state_serialize_layout(kb->state,
					   XKB_STATE_LAYOUT_EFFECTIVE);
	mods_changed = depressed != kb->mods_depressed ||
		       latched != kb->mods_latched ||
		       locked != kb->mods_locked || group != kb->group;
	kb->mods_depressed = depressed;
	kb->mods_latched = latched;
	kb->mods_locked = locked;
	kb->group = group;
	if (!kb->focus)
		return;
	serial = wl_display_next_serial(server->display);
	wl_resource_for_each (resource, &kb->resources) {
		if (!is_focus_client(kb, resource))
			continue;
		wl_keyboard_send_key(resource, serial, time_msec, key,
				     pressed ? WL_KEYBOARD_KEY_STATE_PRESSED
					     : WL_KEYBOARD_KEY_STATE_RELEASED);
		if (mods_changed)
			send_modifiers(server, resource, serial);
	}
}

uint32_t
comp_server_keyboard_code_for_char(struct comp_server *server, char c)
{
	struct xkb_keymap *keymap = server->seat.keyboard.keymap;
	xkb_keysym_t want = c == '\n' ? XKB_KEY_Return : (xkb_keysym_t)c;
	const xkb_keysym_t *syms;
	xkb_keycode_t code;

	if (c <= 0 || (c < ' ' && c != '\n'))
		return 0;
	for (code = xkb_keymap_min_keycode(keymap);
	     code <= xkb_keymap_max_keycode(keymap); code++) {
		if (code < EVDEV_OFFSET)
			continue;
		if (xkb_keymap_key_get_syms_by_level(keymap, code, 0, 0,
						     &syms) == 1 &&
		    syms[0] == want)
			return code - EVDEV_OFFSET;
	}
	return 0;
}

bool
comp_server_keyboard_has_focus(struct comp_server *server)
{
	return server->seat.keyboard.focus != NULL;
}
