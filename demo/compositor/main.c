/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * sealshm-compositor: the command line around the compositor core.
 */

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <wayland-server-core.h>

#include "comp.h"

#define EXIT_USAGE 2

struct run {
	struct comp_server *server;
	pid_t program;
	int program_status;
	/* --type: what to type, and the timer that waits for a focus */
	const char *type;
	struct wl_event_source *type_timer;
	int focus_polls;
};

static const char usage[] =
	"Usage: sealshm-compositor [OPTION...] [-- PROGRAM [ARG...]]\n"
	"\n"
	"A small Wayland compositor whose wl_shm never needs a SIGBUS\n"
	"handler: it accepts only pools it can prove stay backed (see\n"
	"--policy) and composites them with pixman.\n"
	"\n"
	"Options:\n"
	"  --socket NAME          listen on $XDG_RUNTIME_DIR/NAME (default:\n"
	"                         the first free wayland-N); the name is\n"
	"                         printed on stdout either way\n"
	"  --policy strict|seal|copy\n"
	"                         which pool fds to accept (default strict:\n"
	"                         only memfds sealed F_SEAL_SHRINK)\n"
	"  --size WxH             output size (default 1280x720)\n"
	"  --headless             use the headless backend even when\n"
	"                         WAYLAND_DISPLAY is set (default: nested\n"
	"                         in the parent compositor when it is set)\n"
	"  --screenshot FILE      write the last composited frame as PNG at\n"
	"                         exit\n"
	"  --screenshot-dir DIR   write DIR/frame-NNNN.png periodically\n"
	"  --screenshot-interval SECONDS\n"
	"                         period for --screenshot-dir (default 1)\n"
	"  --exit-after SECONDS   exit cleanly after that long\n"
	"  --stats FILE           write counters as JSON at exit\n"
	"  --type TEXT            type TEXT (letters, digits, space, ...)\n"
	"                         once a window has the keyboard focus\n"
	"  --verbose              log every client bug to stderr\n"
	"  --help                 show this help and exit\n"
	"  -- PROGRAM [ARG...]    run PROGRAM with WAYLAND_DISPLAY set, and\n"
	"                         exit when it exits\n"
	"\n"
	"SIGINT and SIGTERM exit cleanly, writing the screenshot and the\n"
	"statistics.  The exit status is 0 on a clean exit, whatever the\n"
	"clients did; 2 for a bad command line; 1 when the compositor\n"
	"cannot start or cannot write its output files.\n";

static void __attribute__((format(printf, 1, 2), noreturn))
die_usage(const char *fmt, ...)
{
	va_list args;

	fprintf(stderr, "sealshm-compositor: ");
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fprintf(stderr, "\nTry 'sealshm-compositor --help'.\n");
	exit(EXIT_USAGE);
}

/*
 * libwayland reports each client it disconnects ("error in client
 * communication"); the attack client makes hundreds of those, so they
 * are shown with --verbose only.
 */
static void __attribute__((format(printf, 1, 0)))
handle_wayland_log(const char *fmt, va_list args)
{
	fputs("sealshm-compositor: libwayland: ", stderr);
	vfprintf(stderr, fmt, args);
}

static void
discard_wayland_log(const char *fmt, va_list args)
{
}

static bool
parse_seconds(const char *arg, double *seconds)
{
	char *end;

	errno = 0;
	*seconds = strtod(arg, &end);
	return errno == 0 && end != arg && *end == '\0' && isfinite(*seconds) &&
	       *seconds > 0 && *seconds <= 1e6;
}

static bool
parse_size(const char *arg, int32_t *width, int32_t *height)
{
	long w, h;
	char *end;

	errno = 0;
	w = strtol(arg, &end, 10);
	if (errno || end == arg || *end != 'x')
		return false;
	arg = end + 1;
	h = strtol(arg, &end, 10);
	if (errno || end == arg || *end != '\0')
		return false;
	/* Larger outputs only cost memory; 8192 keeps a frame under
	 * 256 MiB. */
	if (w < 1 || h < 1 || w > 8192 || h > 8192)
		return false;
	*width = (int32_t)w;
	*height = (int32_t)h;
	return true;
}

static int
handle_terminate_signal(int signo, void *data)
{
	struct run *run = data;

	comp_server_terminate(run->server);
	return 0;
}

static int
handle_sigchld(int signo, void *data)
{
	struct run *run = data;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid != run->program)
			continue;
		run->program = 0;
		run->program_status = status;
		comp_server_terminate(run->server);
	}
	return 0;
}

static pid_t
spawn_program(char **argv, const char *socket, const sigset_t *blocked)
{
	pid_t pid = fork();

	if (pid < 0) {
		fprintf(stderr, "sealshm-compositor: fork: %s\n",
			strerror(errno));
		return -1;
	}
	if (pid > 0)
		return pid;
	sigprocmask(SIG_UNBLOCK, blocked, NULL);
	setenv("WAYLAND_DISPLAY", socket, 1);
	execvp(argv[0], argv);
	fprintf(stderr, "sealshm-compositor: cannot run %s: %s\n", argv[0],
		strerror(errno));
	_exit(127);
}

static void
report_program(const char *name, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		fprintf(stderr,
			"sealshm-compositor: %s exited with status "
			"%d\n",
			name, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		fprintf(stderr,
			"sealshm-compositor: %s was killed by signal "
			"%d\n",
			name, WTERMSIG(status));
}

/* How long the program may take to exit after SIGTERM. */
#define EXIT_GRACE_MS 3000

#define TYPE_POLL_MS 100
#define TYPE_AFTER_POLLS 5

/*
 * --type: once windows have had the keyboard focus for half a second (so
 * that the client has seen the keymap and the enter, and a nested
 * compositor has started its own client), press and release one key per
 * character.
 */
static int
handle_type_timer(void *data)
{
	struct run *run = data;
	struct timespec now;
	uint32_t time;
	const char *c;

	clock_gettime(CLOCK_MONOTONIC, &now);
	time = (uint32_t)(now.tv_sec * 1000 + now.tv_nsec / 1000000);

	if (!comp_server_keyboard_has_focus(run->server)) {
		run->focus_polls = 0;
	} else if (++run->focus_polls >= TYPE_AFTER_POLLS) {
		for (c = run->type; *c; c++) {
			uint32_t key = comp_server_keyboard_code_for_char(
				run->server, *c);

			comp_server_keyboard_key(run->server, time++, key,
						 true);
			comp_server_keyboard_key(run->server, time++, key,
						 false);
		}
		return 0;
	}
	wl_event_source_timer_update(run->type_timer, TYPE_POLL_MS);
	return 0;
}

static int
handle_exit_timer(void *data)
{
	struct run *run = data;

	comp_server_terminate(run->server);
	return 0;
}

enum {
	OPT_SOCKET = 256,
	OPT_POLICY,
	OPT_SIZE,
	OPT_HEADLESS,
	OPT_SCREENSHOT,
	OPT_SCREENSHOT_DIR,
	OPT_SCREENSHOT_INTERVAL,
	OPT_EXIT_AFTER,
	OPT_STATS,
	OPT_TYPE,
	OPT_VERBOSE,
	OPT_HELP,
};

int
main(int argc, char *argv[])
{
	static const struct option long_options[] = {
		{ "socket", required_argument, NULL, OPT_SOCKET },
		{ "policy", required_argument, NULL, OPT_POLICY },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "headless", no_argument, NULL, OPT_HEADLESS },
		{ "screenshot", required_argument, NULL, OPT_SCREENSHOT },
		{ "screenshot-dir", required_argument, NULL,
		  OPT_SCREENSHOT_DIR },
		{ "screenshot-interval", required_argument, NULL,
		  OPT_SCREENSHOT_INTERVAL },
		{ "exit-after", required_argument, NULL, OPT_EXIT_AFTER },
		{ "stats", required_argument, NULL, OPT_STATS },
		{ "type", required_argument, NULL, OPT_TYPE },
		{ "verbose", no_argument, NULL, OPT_VERBOSE },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct comp_options options = { 0 };
	const char *screenshot = NULL, *stats = NULL;
	struct wl_event_source *sources[4] = { NULL };
	struct wl_event_loop *loop;
	struct run run = { 0 };
	double exit_after = 0;
	char **program = NULL;
	sigset_t blocked;
	int opt, status = EXIT_SUCCESS;
	size_t i;

	while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		switch (opt) {
		case OPT_SOCKET:
			if (!*optarg || strchr(optarg, '/'))
				die_usage("--socket '%s': give a plain name, "
					  "not a path",
					  optarg);
			options.socket = optarg;
			break;
		case OPT_POLICY:
			if (!sealshm_policy_from_name(optarg, &options.policy))
				die_usage("--policy '%s': use strict, seal "
					  "or copy",
					  optarg);
			break;
		case OPT_SIZE:
			if (!parse_size(optarg, &options.width,
					&options.height))
				die_usage("--size '%s': use WIDTHxHEIGHT, "
					  "each 1 to 8192, e.g. 1280x720",
					  optarg);
			break;
		case OPT_HEADLESS:
			options.backend = COMP_BACKEND_HEADLESS;
			break;
		case OPT_SCREENSHOT:
			screenshot = optarg;
			break;
		case OPT_SCREENSHOT_DIR:
			options.screenshot_dir = optarg;
			break;
		case OPT_SCREENSHOT_INTERVAL:
			if (!parse_seconds(optarg,
					   &options.screenshot_interval))
				die_usage("--screenshot-interval '%s': give "
					  "a positive number of seconds",
					  optarg);
			break;
		case OPT_EXIT_AFTER:
			if (!parse_seconds(optarg, &exit_after))
				die_usage("--exit-after '%s': give a positive "
					  "number of seconds",
					  optarg);
			break;
		case OPT_STATS:
			stats = optarg;
			break;
		case OPT_TYPE:
			run.type = optarg;
			break;
		case OPT_VERBOSE:
			options.verbose = true;
			break;
		case OPT_HELP:
			fputs(usage, stdout);
			return EXIT_SUCCESS;
		default:
			fprintf(stderr, "Try 'sealshm-compositor --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--") != 0)
			die_usage("unexpected argument '%s': put the program "
				  "to run after --",
				  argv[optind]);
		program = argv + optind;
	}

	wl_log_set_handler_server(options.verbose ? handle_wayland_log
						  : discard_wayland_log);

	/* The event loop receives these through a signalfd: block them
	 * before any thread or child exists. */
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGINT);
	sigaddset(&blocked, SIGTERM);
	sigaddset(&blocked, SIGCHLD);
	sigprocmask(SIG_BLOCK, &blocked, NULL);

	run.server = comp_server_create(&options);
	if (!run.server)
		return EXIT_FAILURE;
	loop = comp_server_get_event_loop(run.server);
	sources[0] = wl_event_loop_add_signal(loop, SIGINT,
					      handle_terminate_signal, &run);
	sources[1] = wl_event_loop_add_signal(loop, SIGTERM,
					      handle_terminate_signal, &run);
	sources[2] =
		wl_event_loop_add_signal(loop, SIGCHLD, handle_sigchld, &run);
	if (exit_after > 0) {
		sources[3] =
			wl_event_loop_add_timer(loop, handle_exit_timer, &run);
		if (sources[3])
			wl_event_source_timer_update(
				sources[3], (int)ceil(exit_after * 1000));
	}
	for (i = 0; i < 3 || (exit_after > 0 && i < 4); i++) {
		if (!sources[i]) {
			fprintf(stderr,
				"sealshm-compositor: cannot set up "
				"the event loop: %s\n",
				strerror(errno));
			status = EXIT_FAILURE;
			goto out;
		}
	}

	if (run.type) {
		for (i = 0; run.type[i]; i++) {
			if (!comp_server_keyboard_code_for_char(run.server,
								run.type[i])) {
				fprintf(stderr,
					"sealshm-compositor: --type: no key "
					"types '%c' without modifiers\n",
					run.type[i]);
				status = EXIT_USAGE;
				goto out;
			}
		}
		run.type_timer =
			wl_event_loop_add_timer(loop, handle_type_timer, &run);
		if (!run.type_timer) {
			status = EXIT_FAILURE;
			goto out;
		}
		wl_event_source_timer_update(run.type_timer, TYPE_POLL_MS);
	}

	printf("%s\n", comp_server_get_socket(run.server));
	fflush(stdout);

	if (program) {
		run.program = spawn_program(
			program, comp_server_get_socket(run.server), &blocked);
		if (run.program < 0) {
			status = EXIT_FAILURE;
			goto out;
		}
	}

	comp_server_run(run.server);

	/* The frame the run ended on, before the program's exit changes
	 * the scene. */
	if (screenshot &&
	    comp_server_write_screenshot(run.server, screenshot) < 0)
		status = EXIT_FAILURE;
	if (run.program > 0) {
		/* A client may roundtrip on its way out (foot does): keep
		 * serving it for a while, then kill it. */
		kill(run.program, SIGTERM);
		for (i = 0; run.program > 0 && i < EXIT_GRACE_MS / 50; i++) {
			wl_display_flush_clients(
				comp_server_get_display(run.server));
			wl_event_loop_dispatch(loop, 50);
		}
		if (run.program > 0) {
			kill(run.program, SIGKILL);
			waitpid(run.program, &run.program_status, 0);
		}
	}
	if (program)
		report_program(program[0], run.program_status);
	if (stats && comp_server_write_stats(run.server, stats) < 0)
		status = EXIT_FAILURE;
out:
	for (i = 0; i < 4; i++) {
		if (sources[i])
			wl_event_source_remove(sources[i]);
	}
	if (run.type_timer)
		wl_event_source_remove(run.type_timer);
	comp_server_destroy(run.server);
	return status;
}
