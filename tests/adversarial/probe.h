/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * The second client of the starvation tests: a well-behaved client, forked
 * like the attacker, that proves the server still answers other clients
 * while an attack holds.  The attacker decides when (pipes between the two
 * children): probe_once() runs one probe and waits for it; probe_start()
 * and probe_stop() bracket probes run back to back.
 *
 * One probe: connect (the first time only, so the connection itself is
 * made while the attack holds), a wl_display_roundtrip, then a 64x64
 * ARGB8888 buffer in a fresh SHRINK-sealed memfd pool, attached, damaged,
 * committed and a roundtrip that must end without a protocol error.  Each
 * roundtrip (and the connection's first) must complete within
 * probe_limit_ms(): the client polls its socket with that timeout and
 * fails (its exit status fails the test) when the server did not answer.
 * This is a liveness bound, generous on purpose, not a speed check.
 */

#ifndef SEALSHM_TESTS_ADVERSARIAL_PROBE_H
#define SEALSHM_TESTS_ADVERSARIAL_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct fixture;

#define PROBE_WIDTH 64
#define PROBE_HEIGHT 64

struct probe {
	/* attacker -> probe client: 'p' once, 'P' start, 'S' stop, 'q' */
	int cmd[2];
	/* probe client -> attacker */
	int ack[2];
	/* the probe client, as the server sees it (for commit callbacks) */
	pid_t pid;
};

/* What probe_stop() reports. */
struct probe_result {
	uint32_t probes;
	/* the slowest roundtrip, microseconds */
	uint32_t worst_us;
};

/* 1000 ms; 5000 ms under valgrind or a sanitizer. */
int
probe_limit_ms(void);

/*
 * In the test process: make the pipes and fork the probe client on
 * @p f's display.  Spawn the attacker after this, then call
 * probe_parent_done().
 */
void
probe_spawn(struct probe *p, struct fixture *f);

/* In the test process, once every child is forked: close the pipes. */
void
probe_parent_done(struct probe *p);

/* First thing in the attacker child. */
void
probe_attacker_init(struct probe *p);

/* Attacker: one probe, now; returns when it succeeded (fails if not). */
void
probe_once(struct probe *p);

/* Attacker: probes back to back from now on; returns after the first. */
void
probe_start(struct probe *p);

/* Attacker: stop the probes started by probe_start(). */
struct probe_result
probe_stop(struct probe *p);

/* Attacker: the probe client may exit; closes the attacker's pipe ends. */
void
probe_finish(struct probe *p);

#endif /* SEALSHM_TESTS_ADVERSARIAL_PROBE_H */
