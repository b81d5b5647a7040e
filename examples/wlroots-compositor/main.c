/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * sealshm-wlroots-compositor: a small wlroots 0.15 compositor whose wl_shm
 * is libsealshm-server instead of libwayland's.  Headless backend, the
 * pixman renderer unless WLR_RENDERER says otherwise, xdg-shell toplevels
 * placed in a cascade, one output; SIGUSR1 writes the next frame as PNG.
 * Everything sealshm-specific is in sealshm-wlr.c.
 */

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <drm_fourcc.h>
#include <png.h>
#include <wayland-server-core.h>
#include <wlr/backend.h>
#include <wlr/backend/headless.h>
#include <wlr/render/allocator.h>
#include <wlr/render/pixman.h>
#include <wlr/render/wlr_renderer.h>
#include <wlr/types/wlr_compositor.h>
#include <wlr/types/wlr_data_device.h>
#include <wlr/types/wlr_matrix.h>
#include <wlr/types/wlr_output.h>
#include <wlr/types/wlr_output_layout.h>
#include <wlr/types/wlr_seat.h>
#include <wlr/types/wlr_xdg_shell.h>
#include <wlr/util/log.h>

#include "sealshm-wlr.h"

#define NAME "sealshm-wlroots-compositor"
#define EXIT_USAGE 2

struct server {
	struct wl_display *display;
	struct wlr_backend *backend;
	struct wlr_renderer *renderer;
	struct wlr_allocator *allocator;
	struct wlr_output_layout *layout;
	struct wlr_xdg_shell *xdg_shell;
	struct sealshm *shm;
	bool verbose;

	struct wl_list outputs; /* struct output.link */
	struct wl_list views;	/* struct view.link, bottom first */
	struct wl_listener new_output;
	struct wl_listener new_xdg_surface;
	unsigned views_made;

	const char *screenshot;
	bool screenshot_pending;
	pid_t program;
};

struct output {
	struct wl_list link;
	struct server *server;
	struct wlr_output *wlr_output;
	struct wl_listener frame;
	struct wl_listener destroy;
};

struct view {
	struct wl_list link;
	struct server *server;
	struct wlr_xdg_surface *xdg_surface;
	unsigned id;
	int x, y;
	bool mapped;
	struct wl_listener map;
	struct wl_listener unmap;
	struct wl_listener destroy;
};

struct render_data {
	struct wlr_output *output;
	struct wlr_renderer *renderer;
	struct view *view;
	const struct timespec *when;
};

static const char usage[] =
	"Usage: " NAME " [OPTION...] [-- PROGRAM [ARG...]]\n"
	"\n"
	"A wlroots 0.15 compositor (headless backend, pixman renderer) whose\n"
	"wl_shm is libsealshm-server: client buffers are sealshm buffers that\n"
	"wlroots renders like its own, and no SIGBUS handler is needed.\n"
	"\n"
	"Options:\n"
	"  --socket NAME        listen on $XDG_RUNTIME_DIR/NAME (default: the\n"
	"                       first free wayland-N); printed on stdout\n"
	"  --policy strict|seal|copy\n"
	"                       which pool fds to accept (default strict)\n"
	"  --size WxH           output size (default 1280x720)\n"
	"  --screenshot FILE    on SIGUSR1, write the next frame to FILE as\n"
	"                       PNG (written whole, then renamed into place)\n"
	"  --verbose            log client bugs and wlroots' debug messages\n"
	"  --help               show this help and exit\n"
	"  -- PROGRAM [ARG...]  run PROGRAM with WAYLAND_DISPLAY set, and exit\n"
	"                       when it exits\n"
	"\n"
	"SIGINT and SIGTERM exit cleanly with status 0, printing sealshm's\n"
	"counters; 1 when the compositor cannot start, 2 for a bad command\n"
	"line.  Use WLR_BACKENDS=headless WLR_RENDERER=pixman or leave them\n"
	"unset: the backend is always headless.\n";

static const float background[4] = { 0.25f, 0.25f, 0.5f, 1.0f };

static void __attribute__((format(printf, 1, 2), noreturn))
die_usage(const char *fmt, ...)
{
	va_list args;

	fprintf(stderr, NAME ": ");
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fprintf(stderr, "\nTry '" NAME " --help'.\n");
	exit(EXIT_USAGE);
}

static void
handle_sealshm_log(enum sealshm_log_level level, const char *fmt, va_list args,
		   void *user_data)
{
	struct server *server = user_data;

	if (level == SEALSHM_LOG_DEBUG && !server->verbose)
		return;
	fputs(NAME ": sealshm: ", stderr);
	vfprintf(stderr, fmt, args);
	fputc('\n', stderr);
}

/* The whole output, read back from the renderer between begin and end. */
static uint32_t *
read_frame(struct server *server, struct wlr_output *output)
{
	uint32_t stride = (uint32_t)output->width * 4;
	uint32_t *pixels = malloc((size_t)stride * (size_t)output->height);

	if (!pixels)
		return NULL;
	if (!wlr_renderer_read_pixels(server->renderer, DRM_FORMAT_ARGB8888,
				      NULL, stride, (uint32_t)output->width,
				      (uint32_t)output->height, 0, 0, 0, 0,
				      pixels)) {
		free(pixels);
		return NULL;
	}
	return pixels;
}

static int
write_png(const char *path, const uint32_t *pixels, int width, int height)
{
	png_image image = {
		.version = PNG_IMAGE_VERSION,
		.width = (png_uint_32)width,
		.height = (png_uint_32)height,
		/* ARGB8888 is B, G, R, A in memory on little-endian. */
		.format = PNG_FORMAT_BGRA,
	};
	size_t len = strlen(path) + 5;
	char *tmp = malloc(len);
	int ret = -1;

	if (!tmp)
		return -1;
	snprintf(tmp, len, "%s.tmp", path);
	if (!png_image_write_to_file(&image, tmp, 0, pixels, width * 4, NULL)) {
		fprintf(stderr, NAME ": cannot write %s: %s\n", tmp,
			image.message);
	} else if (rename(tmp, path) < 0) {
		fprintf(stderr, NAME ": cannot rename %s: %s\n", tmp,
			strerror(errno));
		unlink(tmp);
	} else {
		ret = 0;
	}
	png_image_free(&image);
	free(tmp);
	return ret;
}

static void
render_surface(struct wlr_surface *surface, int sx, int sy, void *data)
{
	struct render_data *rdata = data;
	struct wlr_texture *texture = wlr_surface_get_texture(surface);
	struct wlr_output *output = rdata->output;
	double ox = 0, oy = 0;
	struct wlr_box box;
	float matrix[9];

	if (!texture)
		return;
	wlr_output_layout_output_coords(rdata->view->server->layout, output,
					&ox, &oy);
	box.x = (int)((ox + rdata->view->x + sx) * output->scale);
	box.y = (int)((oy + rdata->view->y + sy) * output->scale);
	box.width = (int)(surface->current.width * output->scale);
	box.height = (int)(surface->current.height * output->scale);
	wlr_matrix_project_box(
		matrix, &box,
		wlr_output_transform_invert(surface->current.transform), 0,
		output->transform_matrix);
	wlr_render_texture_with_matrix(rdata->renderer, texture, matrix, 1);
	wlr_surface_send_frame_done(surface, rdata->when);
}

static void
handle_output_frame(struct wl_listener *listener, void *data)
{
	struct output *output = wl_container_of(listener, output, frame);
	struct server *server = output->server;
	struct wlr_output *wlr_output = output->wlr_output;
	uint32_t *shot = NULL;
	bool want_shot;
	struct timespec now;
	struct view *view;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!wlr_output_attach_render(wlr_output, NULL))
		return;
	wlr_renderer_begin(server->renderer, (uint32_t)wlr_output->width,
			   (uint32_t)wlr_output->height);
	wlr_renderer_clear(server->renderer, background);
	wl_list_for_each (view, &server->views, link) {
		struct render_data rdata = {
			.output = wlr_output,
			.renderer = server->renderer,
			.view = view,
			.when = &now,
		};

		if (!view->mapped)
			continue;
		wlr_xdg_surface_for_each_surface(view->xdg_surface,
						 render_surface, &rdata);
	}
	/* The first output is the one screenshots show. */
	want_shot = server->screenshot_pending &&
		    server->outputs.next == &output->link;
	if (want_shot)
		shot = read_frame(server, wlr_output);
	wlr_renderer_end(server->renderer);
	wlr_output_commit(wlr_output);

	if (!want_shot)
		return;
	server->screenshot_pending = false;
	if (!shot) {
		fprintf(stderr, NAME ": cannot read the frame back\n");
		return;
	}
	if (write_png(server->screenshot, shot, wlr_output->width,
		      wlr_output->height) == 0) {
		printf("screenshot %s\n", server->screenshot);
		fflush(stdout);
	}
	free(shot);
}

static void
handle_output_destroy(struct wl_listener *listener, void *data)
{
	struct output *output = wl_container_of(listener, output, destroy);

	wl_list_remove(&output->frame.link);
	wl_list_remove(&output->destroy.link);
	wl_list_remove(&output->link);
	free(output);
}

static void
handle_new_output(struct wl_listener *listener, void *data)
{
	struct server *server = wl_container_of(listener, server, new_output);
	struct wlr_output *wlr_output = data;
	struct output *output;

	if (!wlr_output_init_render(wlr_output, server->allocator,
				    server->renderer))
		return;
	wlr_output_enable(wlr_output, true);
	if (!wlr_output_commit(wlr_output))
		return;
	output = calloc(1, sizeof(*output));
	if (!output)
		return;
	output->server = server;
	output->wlr_output = wlr_output;
	output->frame.notify = handle_output_frame;
	wl_signal_add(&wlr_output->events.frame, &output->frame);
	output->destroy.notify = handle_output_destroy;
	wl_signal_add(&wlr_output->events.destroy, &output->destroy);
	wl_list_insert(server->outputs.prev, &output->link);
	/* Also creates the wl_output global. */
	wlr_output_layout_add_auto(server->layout, wlr_output);
}

static void
handle_view_map(struct wl_listener *listener, void *data)
{
	struct view *view = wl_container_of(listener, view, map);
	struct wlr_surface *surface = view->xdg_surface->surface;
	const char *app_id = view->xdg_surface->toplevel->app_id;

	view->mapped = true;
	/* On top, and so drawn last. */
	wl_list_remove(&view->link);
	wl_list_insert(view->server->views.prev, &view->link);
	wlr_xdg_toplevel_set_activated(view->xdg_surface, true);
	printf("mapped toplevel %u app_id '%s' at %d,%d size %dx%d\n", view->id,
	       app_id ? app_id : "", view->x, view->y, surface->current.width,
	       surface->current.height);
	fflush(stdout);
}

static void
handle_view_unmap(struct wl_listener *listener, void *data)
{
	struct view *view = wl_container_of(listener, view, unmap);

	view->mapped = false;
}

static void
handle_view_destroy(struct wl_listener *listener, void *data)
{
	struct view *view = wl_container_of(listener, view, destroy);

	wl_list_remove(&view->map.link);
	wl_list_remove(&view->unmap.link);
	wl_list_remove(&view->destroy.link);
	wl_list_remove(&view->link);
	free(view);
}

/* Toplevels only: popups are drawn with their toplevel's surfaces. */
static void
handle_new_xdg_surface(struct wl_listener *listener, void *data)
{
	struct server *server =
		wl_container_of(listener, server, new_xdg_surface);
	struct wlr_xdg_surface *xdg_surface = data;
	struct view *view;

	if (xdg_surface->role != WLR_XDG_SURFACE_ROLE_TOPLEVEL)
		return;
	view = calloc(1, sizeof(*view));
	if (!view) {
		wl_resource_post_no_memory(xdg_surface->resource);
		return;
	}
	view->server = server;
	view->xdg_surface = xdg_surface;
	view->id = server->views_made++;
	/* A cascade that starts again every eight windows. */
	view->x = 40 + 40 * (int)(view->id % 8);
	view->y = 40 + 40 * (int)(view->id % 8);
	view->map.notify = handle_view_map;
	wl_signal_add(&xdg_surface->events.map, &view->map);
	view->unmap.notify = handle_view_unmap;
	wl_signal_add(&xdg_surface->events.unmap, &view->unmap);
	view->destroy.notify = handle_view_destroy;
	wl_signal_add(&xdg_surface->events.destroy, &view->destroy);
	wl_list_insert(server->views.prev, &view->link);
}

static int
handle_terminate(int signo, void *data)
{
	struct server *server = data;

	wl_display_terminate(server->display);
	return 0;
}

static int
handle_screenshot_signal(int signo, void *data)
{
	struct server *server = data;
	struct output *output;

	if (!server->screenshot) {
		fprintf(stderr, NAME ": SIGUSR1 without --screenshot\n");
		return 0;
	}
	server->screenshot_pending = true;
	wl_list_for_each (output, &server->outputs, link)
		wlr_output_schedule_frame(output->wlr_output);
	return 0;
}

static int
handle_sigchld(int signo, void *data)
{
	struct server *server = data;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid != server->program)
			continue;
		server->program = 0;
		if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
			fprintf(stderr, NAME ": the program exited with %d\n",
				WEXITSTATUS(status));
		else if (WIFSIGNALED(status))
			fprintf(stderr,
				NAME ": the program was killed by "
				     "signal %d\n",
				WTERMSIG(status));
		wl_display_terminate(server->display);
	}
	return 0;
}

static pid_t
spawn_program(char **argv, const char *socket)
{
	sigset_t none;
	pid_t pid = fork();

	if (pid != 0) {
		if (pid < 0)
			fprintf(stderr, NAME ": fork: %s\n", strerror(errno));
		return pid;
	}
	/* The event loop's signalfds block these; the child gets them. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setenv("WAYLAND_DISPLAY", socket, 1);
	execvp(argv[0], argv);
	fprintf(stderr, NAME ": cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static void
print_stats(struct sealshm *shm)
{
	struct sealshm_stats stats;

	sealshm_get_stats(shm, &stats, sizeof(stats));
	printf("sealshm: pools accepted %llu (sealed %llu, sealed by the "
	       "server %llu, copied %llu) rejected %llu, buffers %llu, "
	       "clients disconnected %llu\n",
	       (unsigned long long)stats.pools_accepted,
	       (unsigned long long)stats.pools_accepted_by_tier[0],
	       (unsigned long long)stats.pools_accepted_by_tier[1],
	       (unsigned long long)stats.pools_accepted_by_tier[2],
	       (unsigned long long)stats.pools_rejected,
	       (unsigned long long)stats.buffers_created,
	       (unsigned long long)stats.clients_disconnected);
	fflush(stdout);
}

static bool
parse_size(const char *arg, int *width, int *height)
{
	char *end;
	long w, h;

	errno = 0;
	w = strtol(arg, &end, 10);
	if (errno || end == arg || *end != 'x')
		return false;
	arg = end + 1;
	h = strtol(arg, &end, 10);
	if (errno || end == arg || *end != '\0')
		return false;
	if (w < 1 || h < 1 || w > 8192 || h > 8192)
		return false;
	*width = (int)w;
	*height = (int)h;
	return true;
}

enum {
	OPT_SOCKET = 256,
	OPT_POLICY,
	OPT_SIZE,
	OPT_SCREENSHOT,
	OPT_VERBOSE,
	OPT_HELP,
};

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "screenshot", required_argument, NULL, OPT_SCREENSHOT },
		{ "verbose", no_argument, NULL, OPT_VERBOSE },
		{ "help", no_argument, NULL, OPT_HELP },
		{ 0 },
	};
	struct server server = { 0 };
	struct sealshm_options options = {
		.size = sizeof(options),
		.policy = SEALSHM_POLICY_STRICT,
		.log_handler = handle_sealshm_log,
		.log_user_data = &server,
	};
	struct wl_event_source *signals[4] = { 0 };
	const char *socket_name = NULL, *socket;
	int width = 1280, height = 720, opt, status = 1;
	struct wl_event_loop *loop;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case OPT_SOCKET:
			if (!optarg[0] || strchr(optarg, '/'))
				die_usage("--socket '%s': give a plain name",
					  optarg);
			socket_name = optarg;
			break;
		case OPT_POLICY:
			if (!sealshm_policy_from_name(optarg, &options.policy))
				die_usage("--policy '%s': give strict, seal "
					  "or copy",
					  optarg);
			break;
		case OPT_SIZE:
			if (!parse_size(optarg, &width, &height))
				die_usage("--size '%s': give WxH, each 1 to "
					  "8192",
					  optarg);
			break;
		case OPT_SCREENSHOT:
			server.screenshot = optarg;
			break;
		case OPT_VERBOSE:
			server.verbose = true;
			break;
		case OPT_HELP:
			fputs(usage, stdout);
			return 0;
		default:
			fprintf(stderr, "Try '" NAME " --help'.\n");
			return EXIT_USAGE;
		}
	}

	wlr_log_init(server.verbose ? WLR_DEBUG : WLR_ERROR, NULL);
	wl_list_init(&server.outputs);
	wl_list_init(&server.views);
	server.display = wl_display_create();
	if (!server.display)
		return 1;
	loop = wl_display_get_event_loop(server.display);
	server.backend = wlr_headless_backend_create(server.display);
	if (!server.backend)
		goto out_display;
	if (getenv("WLR_RENDERER"))
		server.renderer = wlr_renderer_autocreate(server.backend);
	else
		server.renderer = wlr_pixman_renderer_create();
	if (!server.renderer)
		goto out_backend;
#ifndef EXAMPLE_LIBWAYLAND_SHM
	/* Instead of wlr_renderer_init_wl_display(): no libwayland wl_shm. */
	server.shm =
		sealshm_wlr_init(server.display, server.renderer, &options);
	if (!server.shm)
		goto out_renderer;
#else
	/* The control build of the tests: what the example replaces. */
	if (!wlr_renderer_init_wl_display(server.renderer, server.display))
		goto out_renderer;
#endif
	server.allocator =
		wlr_allocator_autocreate(server.backend, server.renderer);
	if (!server.allocator)
		goto out_renderer;

	/* GTK 3 sets up its seat only with a data device manager. */
	if (!wlr_compositor_create(server.display, server.renderer) ||
	    !wlr_data_device_manager_create(server.display) ||
	    !wlr_seat_create(server.display, "seat0"))
		goto out_allocator;
	server.layout = wlr_output_layout_create();
	server.xdg_shell = wlr_xdg_shell_create(server.display);
	if (!server.layout || !server.xdg_shell)
		goto out_allocator;
	server.new_output.notify = handle_new_output;
	wl_signal_add(&server.backend->events.new_output, &server.new_output);
	server.new_xdg_surface.notify = handle_new_xdg_surface;
	wl_signal_add(&server.xdg_shell->events.new_surface,
		      &server.new_xdg_surface);
	if (!wlr_headless_add_output(server.backend, (unsigned)width,
				     (unsigned)height))
		goto out_listeners;

	signals[0] = wl_event_loop_add_signal(loop, SIGTERM, handle_terminate,
					      &server);
	signals[1] = wl_event_loop_add_signal(loop, SIGINT, handle_terminate,
					      &server);
	signals[2] = wl_event_loop_add_signal(
		loop, SIGUSR1, handle_screenshot_signal, &server);
	signals[3] = wl_event_loop_add_signal(loop, SIGCHLD, handle_sigchld,
					      &server);
	if (!signals[0] || !signals[1] || !signals[2] || !signals[3])
		goto out_signals;

	if (socket_name) {
		if (wl_display_add_socket(server.display, socket_name) < 0) {
			fprintf(stderr, NAME ": cannot listen on %s: %s\n",
				socket_name, strerror(errno));
			goto out_signals;
		}
		socket = socket_name;
	} else {
		socket = wl_display_add_socket_auto(server.display);
		if (!socket) {
			fprintf(stderr, NAME ": no free wayland socket\n");
			goto out_signals;
		}
	}
	if (!wlr_backend_start(server.backend)) {
		fprintf(stderr, NAME ": cannot start the backend\n");
		goto out_signals;
	}
	printf("%s\n", socket);
	fflush(stdout);
	if (optind < argc) {
		server.program = spawn_program(argv + optind, socket);
		if (server.program < 0)
			goto out_signals;
	}

	wl_display_run(server.display);
	if (server.shm)
		print_stats(server.shm);
	status = 0;

	if (server.program > 0)
		kill(server.program, SIGTERM);
	wl_display_destroy_clients(server.display);
out_signals:
	for (int i = 0; i < 4; i++)
		if (signals[i])
			wl_event_source_remove(signals[i]);
out_listeners:
	wl_list_remove(&server.new_output.link);
	wl_list_remove(&server.new_xdg_surface.link);
out_allocator:
	/* Outputs go with the backend, views with their clients. */
	wlr_backend_destroy(server.backend);
	server.backend = NULL;
	wlr_allocator_destroy(server.allocator);
	wlr_output_layout_destroy(server.layout);
out_renderer:
	wlr_renderer_destroy(server.renderer);
out_backend:
	if (server.backend)
		wlr_backend_destroy(server.backend);
out_display:
	/* Also destroys sealshm and the globals. */
	wl_display_destroy(server.display);
	return status;
}
