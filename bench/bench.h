/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * sealshm-bench: one trial is one server process and one client process
 * (forked from the bench) talking over socketpairs.  The parent describes
 * the trial in a struct trial, the children write a result struct back
 * through a pipe.
 */

#ifndef SEALSHM_BENCH_BENCH_H
#define SEALSHM_BENCH_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <sealshm/server.h>

/* Frames a timed loop runs before it starts counting, so first-touch page
 * faults stay out of the rates. */
#define BENCH_WARMUP_FRAMES 3

enum backend {
	BACKEND_SEALSHM,
	BACKEND_LIBWAYLAND,
};

/* What the server does with each committed buffer. */
enum server_mode {
	/* read every pixel between begin and end access */
	SERVER_READ,
	/* composite into a 1920x1080 output with pixman, and memcpy the
	 * same bytes, timing both */
	SERVER_COMPOSE,
	/* copy the damage into an image of the server's own, as a
	 * compositor that keeps a copy of every surface does: memcpy from
	 * mapped buffers between begin and end access, and
	 * sealshm_buffer_copy_to() for copy-tier buffers */
	SERVER_KEEP,
};

enum client_kind {
	/* two buffers in one pool, each frame paced by wl_surface.frame */
	CLIENT_FRAME_LOOP,
	/* a new pool and buffer for each frame */
	CLIENT_CHURN,
	/* interactive resize through the sizes of trial.steps */
	CLIENT_RESIZE,
	/* trial.clients connections with trial.buffers_per_client buffers */
	CLIENT_SCALE,
	/* a new pool and buffer destroyed at once, never committed, with a
	 * roundtrip every BENCH_CHURN_BATCH pools */
	CLIENT_POOL_CHURN,
};

/* CLIENT_POOL_CHURN: pools per roundtrip; the first batch is warm-up. */
#define BENCH_CHURN_BATCH 64

/* How the client allocates its buffers. */
enum client_alloc {
	/* memfd sealed F_SEAL_SHRINK | F_SEAL_SEAL, made by hand */
	ALLOC_SEALED,
	/* memfd_create(name, 0): can never be sealed (copy tier) */
	ALLOC_UNSEALED,
	/* the client helper's swapchain */
	ALLOC_HELPER,
	/* one memfd grown with ftruncate, a new wl_shm_pool per buffer */
	ALLOC_POOL_PER_BUFFER,
	/* a new sealed memfd and pool for every size, as foot does */
	ALLOC_MEMFD_PER_SIZE,
	/* CLIENT_CHURN: a new sealed memfd for every pool */
	ALLOC_MEMFD_PER_POOL,
};

struct trial {
	enum backend backend;
	enum sealshm_policy policy;
	enum server_mode mode;
	enum client_kind kind;
	enum client_alloc alloc;
	/* buffer size; the largest size for CLIENT_RESIZE */
	int32_t width, height;
	/* CLIENT_FRAME_LOOP: 0 to draw and damage every row, else a band of
	 * this many rows that moves each frame; the server then reads (and
	 * the copy tier copies) only the damaged rows */
	int32_t damage_rows;
	/* CLIENT_RESIZE: number of size steps, smallest size */
	int steps;
	int32_t min_width, min_height;
	/* timed loops run at least this long after warm-up... */
	double duration;
	/* ...unless a fixed number of frames is asked for */
	int frames;
	int clients;
	int buffers_per_client;
	/* on a real compositor (bench_client_run_external): a buffer stays
	 * busy until a later commit replaces it, so a frame waits only for
	 * its frame callback */
	bool external;
	/* CLIENT_CHURN: destroy each buffer only after the next pool was
	 * made, as a client does whose compositor releases a buffer when
	 * the next one is committed: the file is still in use then */
	bool keep_previous;
	/* when set, the server runs under strace -c, which writes its
	 * table to this file (strace.c) */
	const char *strace_path;
};

struct client_result {
	uint64_t frames;
	/* wall and CPU time of the measured part */
	uint64_t elapsed_ns;
	uint64_t cpu_ns;
};

struct server_result {
	uint64_t commits;
	/* mmap/mmap64/mremap calls on shared file mappings, counted by the
	 * interposer in map-count.c */
	uint64_t map_calls_counted;
	/* sealshm only: sealshm_stats.map_calls and the pool tiers */
	uint64_t map_calls_stats;
	uint64_t pools_by_tier[3];
	/* sealshm only: sealshm_stats.mappings_reused */
	uint64_t mappings_reused;
	uint64_t vm_hwm_kib;
	/* median per commit: begin access .. end access (pixels read) */
	double access_ns;
	/* the server's CPU time per commit after the warm-up frames:
	 * everything it did for a frame, not only the access */
	double cpu_ns;
	/* and in total, from the start of its event loop */
	uint64_t cpu_total_ns;
	/* SERVER_COMPOSE: medians over commits */
	double composite_gbps;
	double memcpy_gbps;
	/* taken once trial.clients * buffers_per_client commits arrived,
	 * and at start for the *_base values */
	uint64_t rss_kib, rss_base_kib;
	uint64_t rss_anon_kib, rss_anon_base_kib;
	uint64_t maps, maps_base;
	uint64_t fds, fds_base;
};

/*
 * Run the server of @p trial on the sockets @p fds[0..nfds) (one client
 * each) until every client disconnected; fill @p result.
 * @return 0 or -1 after printing why.
 */
int
bench_server_run(const struct trial *trial, const int *fds, int nfds,
		 struct server_result *result);

/*
 * Run the client of @p trial on the sockets @p fds[0..nfds).  On any
 * failure it prints why and exits the process with a non-zero status.
 */
void
bench_client_run(const struct trial *trial, const int *fds, int nfds,
		 struct client_result *result);

/*
 * Run the client of @p trial (CLIENT_FRAME_LOOP or CLIENT_POOL_CHURN) on
 * the compositor of $WAYLAND_DISPLAY, its surface mapped as an
 * xdg_toplevel first.  On any failure it prints why and exits the process
 * with a non-zero status.
 */
void
bench_client_run_external(const struct trial *trial,
			  struct client_result *result);

/*
 * Time re-validating a resize by fstat() of the pool's fd and by
 * process_vm_readv() of the pool's last byte, @p iterations times each, in
 * this process.  @return 0, or -1 after printing why.
 */
int
bench_revalidate(int iterations, double *fstat_ns, double *readv_ns);
struct syscall_count {
	char name[32];
	uint64_t calls;
};

/*
 * Start strace -c on process @p pid, its table to go to @p path, and wait
 * until it is attached.  @return strace's pid, with its stderr in
 * @p err_fd; or -1 after printing why.
 */
pid_t
strace_attach(pid_t pid, const char *path, int *err_fd);

/*
 * Wait for @p tracer (it ends with the traced process) and read its table
 * into @p counts.  @return the number of rows, or -1 after printing why.
 */
int
strace_finish(pid_t tracer, int err_fd, const char *path,
	      struct syscall_count *counts, int max);

/* Mapping calls seen by the interposer since the process started. */
uint64_t
map_count_get(void);

/* Values from /proc/self/status in KiB ("VmHWM", "RssAnon"...); 0 when
 * missing. */
uint64_t
proc_status_kib(const char *field);

/* Lines of /proc/self/maps. */
uint64_t
proc_count_maps(void);

/* Open fds of the process. */
uint64_t
proc_count_fds(void);

uint64_t
now_ns(void);

/* CPU time of the calling process. */
uint64_t
cpu_ns(void);

/* Median of @p n values (reorders @p v); 0 when n is 0. */
double
median(double *v, int n);

#endif /* SEALSHM_BENCH_BENCH_H */
