/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * The adversarial suite: the real sealshm-compositor under attack by
 * sealshm-fuzz-truncate for a bounded time, while adversarial-canary keeps
 * drawing a known pattern.  A run passes only when
 *   - every attack had the outcome the policy predicts (fuzz-truncate's
 *     own check, exit status 0),
 *   - the compositor is alive afterwards and exits cleanly on SIGTERM,
 *   - its SIGBUS disposition is SIG_DFL (no handler, not ignored),
 *   - its open fds and shared-memory mappings return to their baseline
 *     once the attackers are gone, and its mapping count does not grow,
 *   - the canary's pixels are exact in the final screenshot, and the
 *     canary kept drawing throughout.
 * One test per policy; a policy the server module does not implement yet
 * is skipped with the compositor's reason.
 *
 * Environment: SEALSHM_COMPOSITOR, SEALSHM_FUZZ_TRUNCATE, SEALSHM_CANARY
 * (set by meson), SEALSHM_ADVERSARIAL_SECONDS (attack time, default 12),
 * SEALSHM_ADVERSARIAL_SEED (default: fixed per policy, so runs repeat).
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <png.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "canary-pattern.h"
#include "test-runner.h"

/* Bounds for things that must happen eventually; never a speed check. */
#define READY_TIMEOUT_MS 20000
#define SETTLE_TIMEOUT_MS 20000

struct child {
	pid_t pid;
	int out; /* read end of its stdout, or -1 */
};

struct run {
	const char *policy;
	char dir[64];
	char screenshot[128];
	char stats[128];
	char compositor_log[128];
	struct child compositor;
	struct child canary;
};

static const char *
program(const char *var)
{
	const char *path = getenv(var);

	if (!path || !*path)
		test_skip("run through meson test: the program paths come "
			  "from the environment");
	return path;
}

/*
 * Start @p argv with stdout on a pipe (when @p out_pipe) and stderr to
 * @p log (or inherited); @p env_extra is put into its environment.
 */
static struct child
spawn(char *const argv[], bool out_pipe, const char *log,
      const char *const env_extra[])
{
	struct child c = { -1, -1 };
	int fds[2] = { -1, -1 }, fd, i;

	if (out_pipe)
		check(pipe2(fds, O_CLOEXEC) == 0);
	c.pid = fork();
	check(c.pid >= 0);
	if (c.pid == 0) {
		if (out_pipe)
			dup2(fds[1], STDOUT_FILENO);
		if (log) {
			fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
				  0600);
			if (fd >= 0)
				dup2(fd, STDERR_FILENO);
		}
		for (i = 0; env_extra && env_extra[i]; i += 2)
			setenv(env_extra[i], env_extra[i + 1], 1);
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (out_pipe) {
		close(fds[1]);
		c.out = fds[0];
	}
	return c;
}

/* Read one line from @p fd within @p timeout_ms; false on EOF/timeout. */
static bool
read_line(int fd, char *buf, size_t len, int timeout_ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	size_t n = 0;
	char ch;

	while (n + 1 < len) {
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return false;
		if (read(fd, &ch, 1) != 1)
			return false;
		if (ch == '\n')
			break;
		buf[n++] = ch;
	}
	buf[n] = '\0';
	return true;
}

static int
wait_exit(pid_t pid)
{
	int status;

	check(waitpid(pid, &status, 0) == pid);
	return status;
}

static int
count_dir(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *ent;
	int n = 0;

	check_msg(dir, "opendir %s: %s", path, strerror(errno));
	while ((ent = readdir(dir))) {
		if (ent->d_name[0] != '.')
			n++;
	}
	closedir(dir);
	return n;
}

struct usage {
	int fds;
	int maps;     /* every mapping */
	int shm_maps; /* mappings of memfds, /dev/shm and deleted files */
};

static struct usage
measure(pid_t pid)
{
	struct usage u = { 0, 0, 0 };
	char path[64], line[1024];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	u.fds = count_dir(path);
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	check_msg(f, "fopen %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		u.maps++;
		if (strstr(line, "/memfd:") || strstr(line, "/dev/shm/") ||
		    strstr(line, "(deleted)"))
			u.shm_maps++;
	}
	fclose(f);
	return u;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Wait until the attackers' fds and mappings are gone (or give up). */
static struct usage
settle_to(pid_t pid, const struct usage *baseline)
{
	struct usage u = measure(pid);
	int waited;

	for (waited = 0; waited < SETTLE_TIMEOUT_MS; waited += 100) {
		if (u.fds == baseline->fds &&
		    u.shm_maps == baseline->shm_maps &&
		    (u.maps <= baseline->maps || test_is_instrumented()))
			break;
		sleep_ms(100);
		u = measure(pid);
	}
	return u;
}

/* The compositor's usage once it stopped changing. */
static struct usage
stable_usage(pid_t pid)
{
	struct usage a = measure(pid), b;
	int waited;

	for (waited = 0; waited < SETTLE_TIMEOUT_MS; waited += 100) {
		sleep_ms(100);
		b = measure(pid);
		if (b.fds == a.fds && b.maps == a.maps &&
		    b.shm_maps == a.shm_maps)
			return b;
		a = b;
	}
	return a;
}

/* SigCgt and SigIgn from /proc/PID/status: SIGBUS must be in neither. */
static void
check_sigbus_default(pid_t pid)
{
	uint64_t caught = 0, ignored = 0, bit = UINT64_C(1) << (SIGBUS - 1);
	char path[64], line[256];
	bool seen_cgt = false, seen_ign = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	check_msg(f, "the compositor is gone: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "SigCgt: %" SCNx64, &caught) == 1)
			seen_cgt = true;
		else if (sscanf(line, "SigIgn: %" SCNx64, &ignored) == 1)
			seen_ign = true;
	}
	fclose(f);
	check(seen_cgt && seen_ign);
	check_msg(!(caught & bit),
		  "the compositor has a SIGBUS handler "
		  "(SigCgt %" PRIx64 "); sealshm must never need one",
		  caught);
	check_msg(!(ignored & bit),
		  "the compositor ignores SIGBUS (SigIgn %" PRIx64 ")",
		  ignored);
}

static void
check_alive(struct run *r)
{
	int status;

	check_msg(waitpid(r->compositor.pid, &status, WNOHANG) == 0,
		  "the compositor died: %s %d (log: %s)",
		  WIFSIGNALED(status) ? "signal" : "exit status",
		  WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
		  r->compositor_log);
}

/* Find the canary's rectangle in the screenshot and compare it exactly. */
static void
check_canary_pixels(const char *path)
{
	png_image image;
	uint32_t *pixels, *row;
	int32_t x, y, cx, cy, found_x = -1, found_y = -1, wrong = 0;
	int32_t first_x = -1, first_y = -1;

	memset(&image, 0, sizeof(image));
	image.version = PNG_IMAGE_VERSION;
	check_msg(png_image_begin_read_from_file(&image, path),
		  "reading the screenshot %s: %s", path, image.message);
	/* BGRA in memory is 0xAARRGGBB as a little-endian uint32. */
	image.format = PNG_FORMAT_BGRA;
	pixels = malloc(PNG_IMAGE_SIZE(image));
	check(pixels);
	check(png_image_finish_read(&image, NULL, pixels, 0, NULL));

	for (y = 0; y + CANARY_HEIGHT <= (int32_t)image.height && found_x < 0;
	     y++) {
		for (x = 0; x + CANARY_WIDTH <= (int32_t)image.width; x++) {
			if ((pixels[y * image.width + x] | 0xff000000u) !=
			    canary_pixel(0, 0))
				continue;
			/* The corner alone can repeat; the first corner is
			 * where a damaged canary would be reported. */
			if (first_x < 0) {
				first_x = x;
				first_y = y;
			}
			wrong = 0;
			for (cy = 0; cy < CANARY_HEIGHT && !wrong; cy++) {
				row = pixels + (y + cy) * image.width + x;
				for (cx = 0; cx < CANARY_WIDTH; cx++) {
					if ((row[cx] | 0xff000000u) !=
					    canary_pixel(cx, cy))
						wrong++;
				}
			}
			if (!wrong) {
				found_x = x;
				found_y = y;
				break;
			}
		}
	}
	free(pixels);
	png_image_free(&image);
	check_msg(found_x >= 0,
		  "the canary's %dx%d pattern is not in the screenshot %s "
		  "exactly (first corner match at %d,%d)",
		  CANARY_WIDTH, CANARY_HEIGHT, path, first_x, first_y);
	printf("canary found intact at %d,%d\n", found_x, found_y);
}

static unsigned long
attack_seconds(void)
{
	const char *env = getenv("SEALSHM_ADVERSARIAL_SECONDS");
	unsigned long s = env ? strtoul(env, NULL, 10) : 0;

	return s ? s : 12;
}

/*
 * Start the compositor; false when it refused the policy (it exits before
 * listening), with its message in @p why.
 */
static bool
start_compositor(struct run *r, char *why, size_t why_len)
{
	char socket[64], line[128], exit_after[32];
	const char *asan = getenv("ASAN_OPTIONS");
	char asan_options[512];
	char *argv[] = {
		(char *)program("SEALSHM_COMPOSITOR"),
		"--headless",
		"--socket",
		socket,
		"--policy",
		(char *)r->policy,
		"--screenshot",
		r->screenshot,
		"--stats",
		r->stats,
		/* a safety net: a failed check leaves no compositor behind */
		"--exit-after",
		exit_after,
		NULL,
	};
	/* ASan installs its own SIGBUS handler unless told not to; the
	 * disposition checked here must be the compositor's own. */
	const char *env[] = { "ASAN_OPTIONS", asan_options, NULL };
	FILE *log;
	size_t n;

	snprintf(asan_options, sizeof(asan_options), "%s%shandle_sigbus=0",
		 asan ? asan : "", asan && *asan ? ":" : "");
	snprintf(socket, sizeof(socket), "adversarial-%s", r->policy);
	snprintf(exit_after, sizeof(exit_after), "%lu", attack_seconds() + 120);
	r->compositor = spawn(argv, true, r->compositor_log, env);
	if (read_line(r->compositor.out, line, sizeof(line),
		      READY_TIMEOUT_MS)) {
		check_msg(strcmp(line, socket) == 0,
			  "the compositor printed '%s', not its socket '%s'",
			  line, socket);
		setenv("WAYLAND_DISPLAY", socket, 1);
		return true;
	}
	wait_exit(r->compositor.pid);
	close(r->compositor.out);
	r->compositor.pid = -1;
	why[0] = '\0';
	log = fopen(r->compositor_log, "re");
	if (log) {
		n = fread(why, 1, why_len - 1, log);
		why[n] = '\0';
		fclose(log);
	}
	return false;
}

static void
start_canary(struct run *r)
{
	char *argv[] = { (char *)program("SEALSHM_CANARY"), NULL };
	char line[64];

	r->canary = spawn(argv, true, NULL, NULL);
	check_msg(read_line(r->canary.out, line, sizeof(line),
			    READY_TIMEOUT_MS) &&
			  strcmp(line, "ready") == 0,
		  "the canary did not get its first frame composited");
}

/* Start sealshm-fuzz-truncate, predicting outcomes for @p policy. */
static pid_t
start_attackers(const char *policy, unsigned long default_seed,
		unsigned long seconds)
{
	const char *env_seed = getenv("SEALSHM_ADVERSARIAL_SEED");
	char seed[32], duration[32];
	char *argv[] = {
		(char *)program("SEALSHM_FUZZ_TRUNCATE"),
		"--seed",
		seed,
		"--duration",
		duration,
		"--policy",
		(char *)policy,
		NULL,
	};

	if (env_seed)
		snprintf(seed, sizeof(seed), "%s", env_seed);
	else
		snprintf(seed, sizeof(seed), "%lu", default_seed);
	snprintf(duration, sizeof(duration), "%lu", seconds);
	fflush(stdout);
	return spawn(argv, false, NULL, NULL).pid;
}

static void
run_attackers(struct run *r, unsigned long default_seed)
{
	int status;

	status = wait_exit(
		start_attackers(r->policy, default_seed, attack_seconds()));
	check_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "sealshm-fuzz-truncate failed (%s %d): %s",
		  WIFSIGNALED(status) ? "signal" : "exit status",
		  WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
		  WIFEXITED(status) && WEXITSTATUS(status) == 3
			  ? "the compositor died"
			  : "see its UNEXPECTED lines above");
}

static void
remove_run_dir(struct run *r)
{
	DIR *dir = opendir(r->dir);
	struct dirent *ent;
	char path[PATH_MAX];

	if (!dir)
		return;
	while ((ent = readdir(dir))) {
		if (ent->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", r->dir, ent->d_name);
		unlink(path);
	}
	closedir(dir);
	rmdir(r->dir);
}

/* The canary's frame count, reported after its next composited frame. */
static unsigned long
canary_frames(struct run *r)
{
	unsigned long frames = 0;
	char line[64];

	check(kill(r->canary.pid, SIGUSR1) == 0);
	check_msg(read_line(r->canary.out, line, sizeof(line),
			    READY_TIMEOUT_MS) &&
			  sscanf(line, "frames %lu", &frames) == 1,
		  "the canary stopped drawing");
	return frames;
}

/* Wait until @p n more of the canary's frames were composited. */
static void
wait_for_canary_frames(struct run *r, unsigned long n)
{
	unsigned long start = canary_frames(r);

	while (canary_frames(r) < start + n)
		;
}

/* A number from the compositor's --stats JSON, or -1. */
static long
stats_value(const char *path, const char *key)
{
	char buf[8192], pattern[64], *at;
	FILE *f = fopen(path, "re");
	long value = -1;
	size_t n;

	check_msg(f, "the compositor wrote no stats to %s", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	snprintf(pattern, sizeof(pattern), "\"%s\":", key);
	at = strstr(buf, pattern);
	if (at)
		value = strtol(at + strlen(pattern), NULL, 10);
	return value;
}

static void
make_run_dir(struct run *r)
{
	snprintf(r->dir, sizeof(r->dir), "/tmp/sealshm-adversarial-XXXXXX");
	check(mkdtemp(r->dir));
	check(chmod(r->dir, 0700) == 0);
	snprintf(r->screenshot, sizeof(r->screenshot), "%s/screenshot.png",
		 r->dir);
	snprintf(r->stats, sizeof(r->stats), "%s/stats.json", r->dir);
	snprintf(r->compositor_log, sizeof(r->compositor_log),
		 "%s/compositor.log", r->dir);
	setenv("XDG_RUNTIME_DIR", r->dir, 1);
}

static void
run_policy(const char *policy, unsigned long default_seed)
{
	struct run r = { .policy = policy };
	struct usage baseline, after;
	char why[256], line[64];
	unsigned long frames = 0;
	long errors;
	int status;

	make_run_dir(&r);
	if (!start_compositor(&r, why, sizeof(why))) {
		remove_run_dir(&r);
		check_msg(strcmp(policy, "strict") != 0,
			  "the compositor did not start: %s", why);
		test_skip(why[0] ? why : "the compositor refused the policy");
	}
	start_canary(&r);

	baseline = stable_usage(r.compositor.pid);
	printf("%s: compositor baseline: %d fds, %d mappings (%d shm)\n",
	       policy, baseline.fds, baseline.maps, baseline.shm_maps);
	check_sigbus_default(r.compositor.pid);

	run_attackers(&r, default_seed);
	check_alive(&r);
	check_sigbus_default(r.compositor.pid);

	after = settle_to(r.compositor.pid, &baseline);
	printf("%s: compositor after the attacks: %d fds, %d mappings "
	       "(%d shm)\n",
	       policy, after.fds, after.maps, after.shm_maps);
	check_msg(after.fds == baseline.fds,
		  "the compositor holds %d fds after the attackers left, %d "
		  "before",
		  after.fds, baseline.fds);
	check_msg(after.shm_maps == baseline.shm_maps,
		  "the compositor holds %d shared-memory mappings after the "
		  "attackers left, %d before",
		  after.shm_maps, baseline.shm_maps);
	/* Under ASan the allocator maps its own regions as it goes; there
	 * a leaked pool still shows, as a shared-memory mapping. */
	if (!test_is_instrumented())
		check_msg(after.maps <= baseline.maps,
			  "the compositor has %d mappings after the attackers "
			  "left, %d before",
			  after.maps, baseline.maps);

	/* The screenshot is the last composited frame: wait for frames
	 * composited after the attackers' windows went away. */
	wait_for_canary_frames(&r, 3);

	/* Stop the compositor while the canary is still connected, so the
	 * screenshot's last frame shows it. */
	check(kill(r.compositor.pid, SIGTERM) == 0);
	status = wait_exit(r.compositor.pid);
	check_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "the compositor did not exit cleanly on SIGTERM (status "
		  "%#x, log %s)",
		  status, r.compositor_log);
	kill(r.canary.pid, SIGTERM);
	while (read_line(r.canary.out, line, sizeof(line), READY_TIMEOUT_MS)) {
		if (sscanf(line, "frames %lu", &frames) == 1)
			break;
	}
	wait_exit(r.canary.pid);
	close(r.canary.out);
	close(r.compositor.out);
	printf("%s: the canary drew %lu frames\n", policy, frames);
	/* Under attack for seconds, the canary must have kept going. */
	check_msg(frames > 1, "the canary drew only %lu frames", frames);

	check_canary_pixels(r.screenshot);
	/* The attacks reached the compositor and were refused there. */
	errors = stats_value(r.stats, "protocol_errors");
	printf("%s: the compositor sent %ld protocol errors\n", policy, errors);
	check_msg(errors > 0, "the compositor reports no protocol errors: "
			      "the attacks did not reach it");
	remove_run_dir(&r);
}

TEST(strict_policy_survives_attacks)
{
	run_policy("strict", 1);
}

TEST(seal_policy_survives_attacks)
{
	run_policy("seal", 2);
}

TEST(copy_policy_survives_attacks)
{
	run_policy("copy", 3);
}

/* The checks above can fail: each is shown failing on purpose. */

FAIL_TEST(canary_check_fails_on_one_wrong_pixel)
{
	char tmp[] = "/tmp/sealshm-canary-XXXXXX", path[64];
	uint32_t pixels[CANARY_WIDTH * CANARY_HEIGHT];
	png_image image;
	int32_t x, y;
	int fd = mkstemp(tmp);
	FILE *f;

	/* Unlinked at once: the failing check leaves nothing behind. */
	check(fd >= 0);
	unlink(tmp);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	f = fdopen(fd, "w");
	check(f);
	for (y = 0; y < CANARY_HEIGHT; y++) {
		for (x = 0; x < CANARY_WIDTH; x++)
			pixels[y * CANARY_WIDTH + x] = canary_pixel(x, y);
	}
	pixels[CANARY_WIDTH * CANARY_HEIGHT / 2] ^= 0x000100;
	memset(&image, 0, sizeof(image));
	image.version = PNG_IMAGE_VERSION;
	image.width = CANARY_WIDTH;
	image.height = CANARY_HEIGHT;
	image.format = PNG_FORMAT_BGRA;
	check(png_image_write_to_stdio(&image, f, 0, pixels, 0, NULL));
	fflush(f);
	check_canary_pixels(path);
	fclose(f);
}

static void
handle_nothing(int sig)
{
}

FAIL_TEST(sigbus_check_fails_on_a_handler)
{
	struct sigaction sa = { .sa_handler = handle_nothing };
	int ready[2];
	char byte;
	pid_t pid;

	check(pipe2(ready, O_CLOEXEC) == 0);
	pid = fork();
	check(pid >= 0);
	if (pid == 0) {
		/* Gone with the test, which ends in the failed check. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		sigaction(SIGBUS, &sa, NULL);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	check(read(ready[0], &byte, 1) == 1);
	check_sigbus_default(pid);
	kill(pid, SIGKILL);
	wait_exit(pid);
	close(ready[0]);
}

TEST(fuzz_truncate_reports_a_policy_mismatch)
{
	struct run r = { .policy = "strict" };
	char why[256];
	int status;

	make_run_dir(&r);
	check_msg(start_compositor(&r, why, sizeof(why)),
		  "the compositor did not start: %s", why);
	/* The copy tier's outcomes against a strict compositor: the
	 * unsealable fds it expects accepted are refused. */
	status = wait_exit(start_attackers("copy", 4, 3));
	check_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1,
		  "sealshm-fuzz-truncate --policy copy against a strict "
		  "compositor must exit 1, got status %#x",
		  status);
	check(kill(r.compositor.pid, SIGTERM) == 0);
	wait_exit(r.compositor.pid);
	close(r.compositor.out);
	remove_run_dir(&r);
}

TEST(fuzz_truncate_reports_a_dead_compositor)
{
	struct run r = { .policy = "strict" };
	char why[256];
	pid_t fuzz;
	int status;

	make_run_dir(&r);
	check_msg(start_compositor(&r, why, sizeof(why)),
		  "the compositor did not start: %s", why);
	fuzz = start_attackers("strict", 5, 60);
	sleep_ms(1000);
	check(kill(r.compositor.pid, SIGKILL) == 0);
	wait_exit(r.compositor.pid);
	close(r.compositor.out);
	status = wait_exit(fuzz);
	check_msg(WIFEXITED(status) && WEXITSTATUS(status) == 3,
		  "sealshm-fuzz-truncate must exit 3 when the compositor "
		  "dies, got status %#x",
		  status);
	remove_run_dir(&r);
}
