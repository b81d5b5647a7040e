/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * Tests of sealshm-compositor and sealshm-demo-client driven through their
 * command lines, as outside checks drive them: exit codes, the exit
 * screenshot against reference images, the statistics, a real
 * third-party client, and the nested backend inside a headless instance.
 *
 * The programs come from the environment (set by meson): SEALSHM_COMPOSITOR,
 * SEALSHM_DEMO_CLIENT, SEALSHM_REF_CLIENT, SEALSHM_REFERENCE_DIR (the
 * source's tests/reference) and SEALSHM_TEST_OUTPUT_DIR (where a failed
 * comparison leaves the actual image and a diff).  Set
 * SEALSHM_UPDATE_REFERENCES=1 to rewrite the reference images instead of
 * comparing.
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <png.h>

#include "test-runner.h"

#define SCENE_WIDTH 320
#define SCENE_HEIGHT 240

struct image {
	uint32_t width, height;
	uint8_t *rgb;
};

static const char *
env_path(const char *name)
{
	const char *value = getenv(name);

	check_msg(value && *value, "%s is not set: run through meson test",
		  name);
	return value;
}

/* A private XDG_RUNTIME_DIR, so parallel tests never share sockets. */
static void
enter_runtime_dir(char *dir, size_t size)
{
	snprintf(dir, size, "/tmp/sealshm-demo-test-XXXXXX");
	check(mkdtemp(dir));
	check(setenv("XDG_RUNTIME_DIR", dir, 1) == 0);
	check(unsetenv("WAYLAND_DISPLAY") == 0);
}

static void
leave_runtime_dir(const char *dir)
{
	check_msg(rmdir(dir) == 0, "%s not empty or gone: %s", dir,
		  strerror(errno));
}

static void
make_path(char *path, size_t size, const char *dir, const char *name)
{
	snprintf(path, size, "%s/%s", dir, name);
}

/*
 * Start @p argv with stdout on a pipe (returned in @p out when not NULL)
 * and stderr to ours.
 */
static pid_t
spawn(char *const argv[], int *out)
{
	int fds[2];
	pid_t pid;

	check(pipe2(fds, O_CLOEXEC) == 0);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	check(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		execv(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	if (out)
		*out = fds[0];
	else
		close(fds[0]);
	return pid;
}

static int
wait_status(pid_t pid)
{
	int status;

	check(waitpid(pid, &status, 0) == pid);
	check_msg(WIFEXITED(status), "pid %d died of signal %d", (int)pid,
		  WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return WEXITSTATUS(status);
}

/* Run to the end; its stdout goes to @p out, or nowhere when NULL. */
static int
run(char *const argv[], char *out, size_t size)
{
	char discard[256];
	size_t len = 0;
	ssize_t n;
	int fd;
	pid_t pid = spawn(argv, &fd);

	/* Drain the pipe to the end, or the program dies of SIGPIPE. */
	for (;;) {
		if (out && len + 1 < size)
			n = read(fd, out + len, size - 1 - len);
		else
			n = read(fd, discard, sizeof(discard));
		if (n <= 0)
			break;
		if (out && len + 1 < size)
			len += (size_t)n;
	}
	if (out)
		out[len] = '\0';
	close(fd);
	return wait_status(pid);
}

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text;
	long size;

	check_msg(f, "cannot open %s: %s", path, strerror(errno));
	check(fseek(f, 0, SEEK_END) == 0);
	size = ftell(f);
	check(size >= 0);
	rewind(f);
	text = calloc(1, (size_t)size + 1);
	check(text);
	check(fread(text, 1, (size_t)size, f) == (size_t)size);
	fclose(f);
	return text;
}

/* A top-level unsigned member of the flat JSON the compositor writes. */
static uint64_t
json_u64(const char *json, const char *key)
{
	char needle[128];
	const char *at;

	snprintf(needle, sizeof(needle), "\"%s\": ", key);
	at = strstr(json, needle);
	check_msg(at, "no \"%s\" in the statistics:\n%s", key, json);
	return strtoull(at + strlen(needle), NULL, 10);
}

static void
read_png(const char *path, struct image *image)
{
	png_image png = { .version = PNG_IMAGE_VERSION };

	check_msg(png_image_begin_read_from_file(&png, path),
		  "cannot read %s: %s", path, png.message);
	png.format = PNG_FORMAT_RGB;
	image->width = png.width;
	image->height = png.height;
	image->rgb = malloc(PNG_IMAGE_SIZE(png));
	check(image->rgb);
	check_msg(png_image_finish_read(&png, NULL, image->rgb, 0, NULL),
		  "cannot decode %s: %s", path, png.message);
}

static void
write_png(const char *path, const struct image *image)
{
	png_image png = {
		.version = PNG_IMAGE_VERSION,
		.width = image->width,
		.height = image->height,
		.format = PNG_FORMAT_RGB,
	};

	check_msg(png_image_write_to_file(&png, path, 0, image->rgb, 0, NULL),
		  "cannot write %s: %s", path, png.message);
}

/* The @p width x @p height part of @p src at (@p x, @p y). */
static void
crop(const struct image *src, uint32_t x, uint32_t y, uint32_t width,
     uint32_t height, struct image *dst)
{
	uint32_t row;

	check(x + width <= src->width && y + height <= src->height);
	dst->width = width;
	dst->height = height;
	dst->rgb = malloc((size_t)width * height * 3);
	check(dst->rgb);
	for (row = 0; row < height; row++)
		memcpy(dst->rgb + (size_t)row * width * 3,
		       src->rgb + ((size_t)(y + row) * src->width + x) * 3,
		       (size_t)width * 3);
}

/*
 * Exact comparison with tests/reference/@p name (rewritten instead when
 * @p may_update and SEALSHM_UPDATE_REFERENCES=1).  On a mismatch the
 * actual image and a diff (differing pixels red, the rest dimmed) are
 * written to SEALSHM_TEST_OUTPUT_DIR as actual-@p output_name and
 * diff-@p output_name, and the test fails.
 */
static void
compare_reference(const struct image *actual, const char *name,
		  const char *output_name, bool may_update)
{
	const char *update = getenv("SEALSHM_UPDATE_REFERENCES");
	const char *outdir = env_path("SEALSHM_TEST_OUTPUT_DIR");
	char path[4096], out[4096];
	struct image ref, diff;
	size_t i, differ = 0, n;

	make_path(path, sizeof(path), env_path("SEALSHM_REFERENCE_DIR"), name);
	if (may_update && update && strcmp(update, "1") == 0) {
		write_png(path, actual);
		fprintf(stderr, "wrote reference %s\n", path);
		return;
	}
	read_png(path, &ref);
	check_msg(ref.width == actual->width && ref.height == actual->height,
		  "%s is %ux%u, the output %ux%u", name, ref.width, ref.height,
		  actual->width, actual->height);
	n = (size_t)ref.width * ref.height;
	diff = *actual;
	diff.rgb = malloc(n * 3);
	check(diff.rgb);
	for (i = 0; i < n; i++) {
		const uint8_t *a = actual->rgb + i * 3, *r = ref.rgb + i * 3;
		uint8_t *d = diff.rgb + i * 3;

		if (memcmp(a, r, 3) != 0) {
			differ++;
			d[0] = 0xff;
			d[1] = d[2] = 0;
		} else {
			d[0] = a[0] / 4;
			d[1] = a[1] / 4;
			d[2] = a[2] / 4;
		}
	}
	if (differ) {
		snprintf(out, sizeof(out), "%s/actual-%s", outdir, output_name);
		write_png(out, actual);
		fprintf(stderr, "actual image: %s\n", out);
		snprintf(out, sizeof(out), "%s/diff-%s", outdir, output_name);
		write_png(out, &diff);
		fprintf(stderr,
			"diff image: %s\n"
			"SEALSHM_UPDATE_REFERENCES=1 rewrites %s when the "
			"change is intended\n",
			out, path);
	}
	check_msg(differ == 0, "%zu pixels differ from the reference %s",
		  differ, name);
	free(diff.rgb);
	free(ref.rgb);
}

/* Compositor arguments: the fixed ones, then -- and the program. */
#define MAX_ARGS 32

struct cmd {
	char *argv[MAX_ARGS];
	int argc;
	char buf[MAX_ARGS][256];
};

static void
cmd_add(struct cmd *cmd, const char *arg)
{
	check(cmd->argc + 1 < MAX_ARGS);
	snprintf(cmd->buf[cmd->argc], sizeof(cmd->buf[0]), "%s", arg);
	cmd->argv[cmd->argc] = cmd->buf[cmd->argc];
	cmd->argc++;
	cmd->argv[cmd->argc] = NULL;
}

/*
 * The compositor, headless, exiting when @p client (the ref-client
 * arguments) signals it: the child process knows its own pid before it
 * executes the compositor.
 */
static int
run_with_ref_client(const char *size, const char *screenshot, const char *stats,
		    const char *const *client)
{
	struct cmd cmd = { 0 };
	char pid[32];
	pid_t child;
	int i;

	fflush(stdout);
	fflush(stderr);
	child = fork();
	check(child >= 0);
	if (child == 0) {
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		cmd_add(&cmd, env_path("SEALSHM_COMPOSITOR"));
		cmd_add(&cmd, "--headless");
		cmd_add(&cmd, "--size");
		cmd_add(&cmd, size);
		if (screenshot) {
			cmd_add(&cmd, "--screenshot");
			cmd_add(&cmd, screenshot);
		}
		if (stats) {
			cmd_add(&cmd, "--stats");
			cmd_add(&cmd, stats);
		}
		cmd_add(&cmd, "--");
		for (i = 0; client[i]; i++) {
			if (strcmp(client[i], "@PID@") == 0)
				cmd_add(&cmd, pid);
			else
				cmd_add(&cmd, client[i]);
		}
		execv(cmd.argv[0], cmd.argv);
		_exit(127);
	}
	return wait_status(child);
}

TEST(compositor_help_names_every_option)
{
	char *argv[] = { (char *)env_path("SEALSHM_COMPOSITOR"), "--help",
			 NULL };
	static const char *const options[] = {
		"--socket",   "--policy",     "--size",
		"--headless", "--screenshot", "--exit-after",
		"--stats",    "--type",	      "-- PROGRAM",
	};
	char out[8192];
	size_t i;

	check(run(argv, out, sizeof(out)) == 0);
	check(strncmp(out, "Usage: sealshm-compositor", 25) == 0);
	for (i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		check_msg(strstr(out, options[i]), "--help lacks %s",
			  options[i]);
}

TEST(compositor_bad_arguments_exit_2)
{
	static const char *const cases[][3] = {
		{ "--size", "0x0", NULL },
		{ "--size", "640", NULL },
		{ "--size", "9000x10", NULL },
		{ "--policy", "lax", NULL },
		{ "--exit-after", "-1", NULL },
		{ "--exit-after", "soon", NULL },
		{ "--socket", "a/b", NULL },
		/* the keymap types no 'A' without Shift */
		{ "--type", "A", NULL },
		{ "--bogus", NULL, NULL },
		{ "stray", NULL, NULL },
		{ "--size", NULL, NULL },
	};
	char dir[64];
	size_t i;

	enter_runtime_dir(dir, sizeof(dir));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[] = { (char *)env_path("SEALSHM_COMPOSITOR"),
				 (char *)cases[i][0], (char *)cases[i][1],
				 NULL };
		char out[256];

		check_msg(run(argv, out, sizeof(out)) == 2,
			  "%s %s did not exit with 2", cases[i][0],
			  cases[i][1] ? cases[i][1] : "");
		check_msg(out[0] == '\0', "%s printed on stdout: %s",
			  cases[i][0], out);
	}
	leave_runtime_dir(dir);
}

TEST(demo_client_help_and_bad_arguments)
{
	const char *client = env_path("SEALSHM_DEMO_CLIENT");
	char *help[] = { (char *)client, "--help", NULL };
	static const char *const bad[][3] = {
		{ "--frames", "0", NULL },  { "--frames", "many", NULL },
		{ "--frames", "-3", NULL }, { "--bogus", NULL, NULL },
		{ "stray", NULL, NULL },
	};
	char out[4096];
	size_t i;

	check(run(help, out, sizeof(out)) == 0);
	check(strstr(out, "--frames") && strstr(out, "--stats"));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { (char *)client, (char *)bad[i][0],
				 (char *)bad[i][1], NULL };

		check_msg(run(argv, NULL, 0) == 2, "%s %s did not exit 2",
			  bad[i][0], bad[i][1] ? bad[i][1] : "");
	}
}

TEST(socket_name_printed_and_sigterm_writes_outputs)
{
	char dir[64], shot[128], stats[128], socket[128], line[64] = "";
	char *argv[] = { (char *)env_path("SEALSHM_COMPOSITOR"),
			 "--headless",
			 "--socket",
			 "demo-test",
			 "--screenshot",
			 shot,
			 "--stats",
			 stats,
			 NULL };
	struct image image;
	struct stat st;
	size_t len = 0;
	char *json;
	pid_t pid;
	int fd;

	enter_runtime_dir(dir, sizeof(dir));
	make_path(shot, sizeof(shot), dir, "shot.png");
	make_path(stats, sizeof(stats), dir, "stats.json");
	make_path(socket, sizeof(socket), dir, "demo-test");
	pid = spawn(argv, &fd);
	/* The line comes once the socket listens. */
	while (len + 1 < sizeof(line) && read(fd, line + len, 1) == 1 &&
	       line[len] != '\n')
		len++;
	line[len] = '\0';
	close(fd);
	check_msg(strcmp(line, "demo-test") == 0, "printed '%s'", line);
	check(stat(socket, &st) == 0 && S_ISSOCK(st.st_mode));
	check(kill(pid, SIGTERM) == 0);
	check(wait_status(pid) == 0);

	read_png(shot, &image);
	check(image.width == 1280 && image.height == 720);
	json = read_file(stats);
	check(json_u64(json, "clients") == 0);
	check(json_u64(json, "commits") == 0);
	check(strstr(json, "\"pools_rejected\": {"));
	free(json);
	free(image.rgb);
	check(unlink(shot) == 0 && unlink(stats) == 0);
	check_msg(stat(socket, &st) < 0, "the socket was left behind");
	leave_runtime_dir(dir);
}

TEST(exit_after_and_program_exit_are_clean)
{
	const char *comp = env_path("SEALSHM_COMPOSITOR");
	char *after[] = { (char *)comp, "--headless", "--exit-after", "0.2",
			  NULL };
	char *program[] = { (char *)comp, "--headless", "--", "/bin/true",
			    NULL };
	char *failing[] = { (char *)comp, "--headless", "--", "/bin/false",
			    NULL };
	char dir[64];

	enter_runtime_dir(dir, sizeof(dir));
	check(run(after, NULL, 0) == 0);
	check(run(program, NULL, 0) == 0);
	/* The program's failure is reported, not the compositor's. */
	check(run(failing, NULL, 0) == 0);
	leave_runtime_dir(dir);
}

TEST(scene_matches_reference)
{
	static const char *const client[] = {
		"", "--signal-pid", "@PID@", "scene", NULL,
	};
	const char *argv[5];
	char dir[64], shot[128];
	struct image image;

	memcpy(argv, client, sizeof(argv));
	argv[0] = env_path("SEALSHM_REF_CLIENT");
	enter_runtime_dir(dir, sizeof(dir));
	make_path(shot, sizeof(shot), dir, "scene.png");
	check(run_with_ref_client("320x240", shot, NULL, argv) == 0);
	read_png(shot, &image);
	compare_reference(&image, "scene.png", "scene.png", true);
	free(image.rgb);
	check(unlink(shot) == 0);
	leave_runtime_dir(dir);
}

/* The compositor's statistics after ref-client @p scene @p count. */
static char *
ref_client_stats(const char *scene, const char *count)
{
	const char *argv[] = {
		env_path("SEALSHM_REF_CLIENT"),
		"--signal-pid",
		"@PID@",
		scene,
		count,
		NULL,
	};
	char dir[64], stats[128];
	char *json;

	enter_runtime_dir(dir, sizeof(dir));
	make_path(stats, sizeof(stats), dir, "stats.json");
	check(run_with_ref_client("320x240", NULL, stats, argv) == 0);
	json = read_file(stats);
	check(unlink(stats) == 0);
	leave_runtime_dir(dir);
	return json;
}

TEST(damage_recomposites_only_damaged_pixels)
{
	char *json = ref_client_stats("damage", "20");

	/* The first frame shows the 160x120 window; each later commit
	 * damaged one 10x10 square and waited for its frame. */
	check(json_u64(json, "frames") == 21);
	check(json_u64(json, "damage_pixels") == 160 * 120 + 20 * 100);
	check(json_u64(json, "pixels_copied") == 160 * 120 + 20 * 100);
	check(json_u64(json, "commits") >= 21);
	check(json_u64(json, "protocol_errors") == 0);
	free(json);
}

TEST(immutable_buffer_is_converted_once)
{
	char *json = ref_client_stats("immutable", "5");

	/* One buffer on two surfaces, attached seven times in all: one
	 * conversion, six reuses, no copies beyond the conversion. */
	check(json_u64(json, "immutable_conversions") == 1);
	check(json_u64(json, "immutable_cache_hits") == 6);
	check(json_u64(json, "pixels_copied") == 96 * 64);
	free(json);
}

TEST(demo_client_grows_its_pool_and_badge_is_cached)
{
	char dir[64], stats[128], client_stats[128];
	char *argv[] = { (char *)env_path("SEALSHM_COMPOSITOR"),
			 "--headless",
			 "--stats",
			 stats,
			 "--",
			 (char *)env_path("SEALSHM_DEMO_CLIENT"),
			 "--frames",
			 "120",
			 "--stats",
			 client_stats,
			 NULL };
	char *json;

	enter_runtime_dir(dir, sizeof(dir));
	make_path(stats, sizeof(stats), dir, "stats.json");
	make_path(client_stats, sizeof(client_stats), dir, "client.json");
	check(run(argv, NULL, 0) == 0);

	/* 120 frames walk the size schedule up to 680x510 and back: the
	 * pool grows in place instead of being replaced every resize. */
	json = read_file(client_stats);
	check_msg(json_u64(json, "frames") == 120, "%s", json);
	check_msg(json_u64(json, "pool_grows") >= 1, "%s", json);
	check_msg(json_u64(json, "pools_created") <= 4, "%s", json);
	check_msg(json_u64(json, "buffers_allocated") >= 2, "%s", json);
	check_msg(json_u64(json, "bytes_peak") >= 680 * 510 * 4, "%s", json);
	free(json);

	/* The badge is one immutable buffer, re-attached at every resize:
	 * converted once, reused after. */
	json = read_file(stats);
	check_msg(json_u64(json, "immutable_conversions") == 1, "%s", json);
	check_msg(json_u64(json, "immutable_cache_hits") >= 10, "%s", json);
	check_msg(json_u64(json, "frames") >= 120, "%s", json);
	check(json_u64(json, "protocol_errors") == 0);
	free(json);
	check(unlink(stats) == 0 && unlink(client_stats) == 0);
	leave_runtime_dir(dir);
}

TEST(every_policy_starts_and_is_reported)
{
	static const char *const policies[] = { "strict", "seal", "copy" };
	char dir[64], stats[128], expect[64];
	size_t i;
	char *json;

	enter_runtime_dir(dir, sizeof(dir));
	make_path(stats, sizeof(stats), dir, "stats.json");
	for (i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
		char *argv[] = { (char *)env_path("SEALSHM_COMPOSITOR"),
				 "--headless",
				 "--policy",
				 (char *)policies[i],
				 "--exit-after",
				 "0.1",
				 "--stats",
				 stats,
				 NULL };

		check(run(argv, NULL, 0) == 0);
		json = read_file(stats);
		snprintf(expect, sizeof(expect), "\"policy\": \"%s\"",
			 policies[i]);
		check_msg(strstr(json, expect), "%s", json);
		free(json);
	}
	check(unlink(stats) == 0);
	leave_runtime_dir(dir);
}

TEST(popup_placed_by_its_positioner)
{
	const char *argv[] = { env_path("SEALSHM_REF_CLIENT"), "--signal-pid",
			       "@PID@", "popup", NULL };
	char dir[64], shot[128];
	struct image image;
	uint32_t x, y;

	enter_runtime_dir(dir, sizeof(dir));
	make_path(shot, sizeof(shot), dir, "popup.png");
	check(run_with_ref_client("320x240", shot, NULL, argv) == 0);
	read_png(shot, &image);
	/* The window's origin is the first cascade position (40, 40); the
	 * popup box (122, 103, 40, 30) is relative to it and sticks out of
	 * the 160x120 window on the right. */
	for (y = 0; y < image.height; y++) {
		for (x = 0; x < image.width; x++) {
			const uint8_t *p =
				image.rgb + ((size_t)y * image.width + x) * 3;
			bool inside =
				x >= 162 && x < 202 && y >= 143 && y < 173;
			bool pink =
				p[0] == 0xd0 && p[1] == 0x40 && p[2] == 0x80;

			check_msg(inside == pink,
				  "pixel (%u, %u) is %02x%02x%02x", x, y, p[0],
				  p[1], p[2]);
		}
	}
	free(image.rgb);
	check(unlink(shot) == 0);
	leave_runtime_dir(dir);
}

/* Where the pixels of one colour are in an image: their bounding box
 * (x, y inclusive; x2, y2 exclusive) and how many there are. */
struct colour_area {
	uint32_t x, y, x2, y2;
	uint64_t count;
};

static void
find_colour(const struct image *image, uint32_t rgb, struct colour_area *area)
{
	uint32_t x, y;

	*area = (struct colour_area){ UINT32_MAX, UINT32_MAX, 0, 0, 0 };
	for (y = 0; y < image->height; y++) {
		for (x = 0; x < image->width; x++) {
			const uint8_t *p =
				image->rgb + ((size_t)y * image->width + x) * 3;

			if (p[0] != (uint8_t)(rgb >> 16) ||
			    p[1] != (uint8_t)(rgb >> 8) || p[2] != (uint8_t)rgb)
				continue;
			area->count++;
			area->x = x < area->x ? x : area->x;
			area->y = y < area->y ? y : area->y;
			area->x2 = x + 1 > area->x2 ? x + 1 : area->x2;
			area->y2 = y + 1 > area->y2 ? y + 1 : area->y2;
		}
	}
	check_msg(area->count > 0, "no pixel of colour %06x", rgb);
}

static bool
box_is(const struct colour_area *area, uint32_t width, uint32_t height)
{
	return area->x2 - area->x == width && area->y2 - area->y == height;
}

/* The pixels two boxes share. */
static uint64_t
overlap(const struct colour_area *a, const struct colour_area *b)
{
	uint32_t x = a->x > b->x ? a->x : b->x;
	uint32_t y = a->y > b->y ? a->y : b->y;
	uint32_t x2 = a->x2 < b->x2 ? a->x2 : b->x2;
	uint32_t y2 = a->y2 < b->y2 ? a->y2 : b->y2;

	return x < x2 && y < y2 ? (uint64_t)(x2 - x) * (y2 - y) : 0;
}

/*
 * ref-client place: A (200x150) maps first, B (160x120) next; A shrinks to
 * 100x80 before C (240x180) maps, then grows to 300x200.  New windows go
 * where they overlap no other, clear even of the size A had before it
 * shrank; A never moves while it resizes, so at the end it reaches under
 * parts of B and C, which are stacked above it.
 */
TEST(toplevels_placed_apart_and_resizing_keeps_origin)
{
	const char *argv[] = { env_path("SEALSHM_REF_CLIENT"), "--signal-pid",
			       "@PID@", "place", NULL };
	const struct colour_area a_mapped = { 40, 40, 240, 190, 0 };
	struct colour_area a, b, c;
	char dir[64], shot[128];
	struct image image;

	enter_runtime_dir(dir, sizeof(dir));
	make_path(shot, sizeof(shot), dir, "place.png");
	check(run_with_ref_client("640x480", shot, NULL, argv) == 0);
	read_png(shot, &image);
	find_colour(&image, 0xe04040, &a);
	find_colour(&image, 0x40e040, &b);
	find_colour(&image, 0x4040e0, &c);

	/* Nothing covers B or C: each is whole and on the output. */
	check_msg(box_is(&b, 160, 120) && b.count == 160 * 120,
		  "B at (%u, %u)-(%u, %u), %" PRIu64 " pixels", b.x, b.y, b.x2,
		  b.y2, b.count);
	check_msg(box_is(&c, 240, 180) && c.count == 240 * 180,
		  "C at (%u, %u)-(%u, %u), %" PRIu64 " pixels", c.x, c.y, c.x2,
		  c.y2, c.count);
	/* A is where the first window always went, the cascade's first
	 * position (so the reference images hold), and stayed there
	 * through shrinking and growing. */
	check_msg(a.x == 40 && a.y == 40 && box_is(&a, 300, 200),
		  "A at (%u, %u)-(%u, %u) instead of (40, 40)-(340, 240)", a.x,
		  a.y, a.x2, a.y2);
	check_msg(a.count == 300 * 200 - overlap(&a, &b) - overlap(&a, &c),
		  "A shows %" PRIu64 " pixels", a.count);
	/* No two windows were placed over each other, nor over the size
	 * A had reached when it shrank. */
	check(overlap(&b, &c) == 0);
	check_msg(overlap(&b, &a_mapped) == 0 && overlap(&c, &a_mapped) == 0,
		  "B at (%u, %u), C at (%u, %u) overlap A's 200x150", b.x, b.y,
		  c.x, c.y);
	/* The free space is searched row by row: B fits beside A. */
	check_msg(b.y == a.y && b.x >= a_mapped.x2, "B at (%u, %u)", b.x, b.y);
	free(image.rgb);
	check(unlink(shot) == 0);
	leave_runtime_dir(dir);
}

/*
 * ref-client unmaximize: A, once maximized, commits an output-sized buffer
 * once more after it was unmaximized but before it acked that configure;
 * its own size (160x120) is what it keeps clear, so B goes beside it.
 */
TEST(unmaximized_window_claims_its_own_size)
{
	const char *argv[] = { env_path("SEALSHM_REF_CLIENT"), "--signal-pid",
			       "@PID@", "unmaximize", NULL };
	struct colour_area a, b;
	char dir[64], shot[128];
	struct image image;

	enter_runtime_dir(dir, sizeof(dir));
	make_path(shot, sizeof(shot), dir, "unmaximize.png");
	check(run_with_ref_client("640x480", shot, NULL, argv) == 0);
	read_png(shot, &image);
	find_colour(&image, 0xe04040, &a);
	find_colour(&image, 0x40e040, &b);
	check_msg(a.x == 40 && a.y == 40 && box_is(&a, 160, 120) &&
			  a.count == 160 * 120,
		  "A at (%u, %u)-(%u, %u), %" PRIu64 " pixels", a.x, a.y, a.x2,
		  a.y2, a.count);
	check_msg(box_is(&b, 160, 120) && b.count == 160 * 120 &&
			  overlap(&a, &b) == 0 && b.y == a.y,
		  "B at (%u, %u)-(%u, %u), %" PRIu64 " pixels", b.x, b.y, b.x2,
		  b.y2, b.count);
	free(image.rgb);
	check(unlink(shot) == 0);
	leave_runtime_dir(dir);
}

static bool
find_in_path(const char *name, char *path, size_t size)
{
	const char *dirs = getenv("PATH");
	const char *end;

	while (dirs && *dirs) {
		end = strchrnul(dirs, ':');
		snprintf(path, size, "%.*s/%s", (int)(end - dirs), dirs, name);
		if (access(path, X_OK) == 0)
			return true;
		dirs = *end ? end + 1 : end;
	}
	return false;
}

TEST(weston_simple_shm_commits_frames)
{
	char dir[64], stats[128], program[4096];
	char *argv[] = { (char *)env_path("SEALSHM_COMPOSITOR"),
			 "--headless",
			 "--exit-after",
			 test_is_instrumented() ? "8" : "2",
			 "--stats",
			 stats,
			 "--",
			 program,
			 NULL };
	char *json;

	if (!find_in_path("weston-simple-shm", program, sizeof(program)))
		test_skip("weston-simple-shm is not installed (Debian "
			  "package weston)");
	enter_runtime_dir(dir, sizeof(dir));
	make_path(stats, sizeof(stats), dir, "stats.json");
	check(run(argv, NULL, 0) == 0);
	json = read_file(stats);
	check_msg(json_u64(json, "pools_accepted") >= 1, "%s", json);
	check_msg(json_u64(json, "commits") >= 10, "%s", json);
	check_msg(json_u64(json, "frames") >= 10, "%s", json);
	check(json_u64(json, "clients") == 1);
	check(json_u64(json, "protocol_errors") == 0);
	free(json);
	check(unlink(stats) == 0);
	leave_runtime_dir(dir);
}

TEST(nested_output_visible_in_parent)
{
	const char *argv[] = { env_path("SEALSHM_COMPOSITOR"),
			       "--size",
			       "320x240",
			       "--",
			       env_path("SEALSHM_REF_CLIENT"),
			       "--signal-pid",
			       "@PID@",
			       "scene",
			       NULL };
	char dir[64], shot[128];
	struct image parent, window;
	uint32_t x, y;

	enter_runtime_dir(dir, sizeof(dir));
	make_path(shot, sizeof(shot), dir, "parent.png");
	/* Parent headless, child nested in it (WAYLAND_DISPLAY is set for
	 * the child), the ref-client in the child; the ref-client ends the
	 * parent once its frame went through both. */
	check(run_with_ref_client("480x360", shot, NULL, argv) == 0);
	read_png(shot, &parent);
	/* The child's window is the parent's first toplevel, at the first
	 * cascade position (40, 40): exactly the headless scene. */
	crop(&parent, 40, 40, SCENE_WIDTH, SCENE_HEIGHT, &window);
	compare_reference(&window, "scene.png", "nested-scene.png", false);
	/* And outside it, only the parent's background (bluish gray). */
	for (y = 0; y < 40; y++) {
		for (x = 0; x < parent.width; x++) {
			const uint8_t *p =
				parent.rgb + ((size_t)y * parent.width + x) * 3;

			check(p[2] >= p[0] && p[2] < 0x40);
		}
	}
	free(window.rgb);
	free(parent.rgb);
	check(unlink(shot) == 0);
	leave_runtime_dir(dir);
}
