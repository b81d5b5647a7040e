#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Unmodified weston 10 and sway 1.7, with and without sealshm-run.

real-compositors.py --kind weston|sway --mode protected|unprotected
                    --workdir DIR --fuzz PATH --attack PATH [--demo-client
                    PATH --png-diff PATH --sealshm-run PATH]

protected: the compositor runs under sealshm-run (default policy, copy),
and passes when
 - libsealshm-wl-shm is mapped into it and printed its start line;
 - its children (sway's config exec, weston's autolaunch and its shell
   clients) inherit neither the preload nor the raised RLIMIT_NOFILE soft
   limit (this process lowers its own soft limit to 1024 first, so that a
   raise shows);
 - after every sealshm-fuzz-truncate run (--policy copy, fixed seeds) it is
   alive, has no SIGBUS handler and its fd count comes back to the
   baseline; every attack kind was run, and every one had the outcome the
   copy policy predicts;
 - the sealed-resize attack (attack-sealed-resize: a SHRINK-sealed 4 KiB
   memfd, its pool resized to 1 MiB, a buffer there displayed), which
   kills libwayland-server's wl_shm, leaves it alive and without a
   SIGBUS handler;
 - sealshm-demo-client draws 120 frames, each after the frame callback of
   the one before, and grows its pool;
 - gtk3-widget-factory (a memfd without MFD_ALLOW_SEALING) renders: a
   screenshot with its window differs from one without in at least
   MIN_PIXELS pixels (sway: grim, whose shm_open buffer the compositor
   writes into; weston: weston-screenshooter, weston --debug);
 - under --policy strict the same client is refused with the shim's
   protocol error ("lacks F_SEAL_SHRINK") and the compositor lives on;
 - it exits with status 0 on SIGTERM.

unprotected: the compositor runs without the shim.  It must start, and
libwayland-server's SIGBUS handler must show once a client's pixels were
read (so the protected run's "no SIGBUS handler" check can fail).  Then
the sealed-resize attack hits it and the outcome is printed: killed by
SIGBUS is the expected one on Debian 12, but a compositor that survives
(a future weston or libwayland may fix this) does not fail the test.
"""

import argparse
import glob
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "tools"))
from compositors import (Compositor, CompositorError, SWAY_CONFIG,  # noqa
                         WESTON_CONFIG, read_nofile_limit, settle)

FUZZ_SEEDS = (1, 2, 3)
FUZZ_ITERATIONS = 100
DEMO_FRAMES = 120
# gtk3-widget-factory's window covers most of a 1024x640 or 1280x720
# output; its blue widgets are the strongly coloured part.
MIN_PIXELS = 100000
MIN_VIVID = 1000
CHILD_SOFT_NOFILE = 1024
FUZZ_LINE = re.compile(r"^fuzz-truncate: (\S+)\s+tried\s+(\d+)\s+as expected"
                       r"\s+(\d+)\s+unexpected\s+(\d+)"
                       r"(?:\s+\(not possible here: (\d+)\))?")
PNG_DIFF = re.compile(r"differing=(\d+) vivid=(\d+)")
SHIM_REFUSAL = "lacks F_SEAL_SHRINK"

# The child's report: its environment and limits, from the child itself.
CHILD_REPORT = """\
#!/bin/sh
# SPDX-License-Identifier: MIT
# written by real-compositors.py: what a compositor's child inherits
cat /proc/self/environ >"$HOME/child-environ.tmp"
cat /proc/self/limits >"$HOME/child-limits.tmp"
mv "$HOME/child-environ.tmp" "$HOME/child-environ"
mv "$HOME/child-limits.tmp" "$HOME/child-limits"
"""


class Checks:
    def __init__(self, name):
        self.name = name
        self.failures = []

    def say(self, text):
        print(f"{self.name}: {text}", flush=True)

    def check(self, ok, what):
        self.say(f"{'ok' if ok else 'FAIL'}: {what}")
        if not ok:
            self.failures.append(what)
        return ok


def stable_fds(comp):
    """The fd table once its size stopped changing (the shell clients
    weston starts connect a little after its socket is up)."""
    last = comp.fd_count()
    same = 0
    for _ in range(100):
        time.sleep(0.2)
        now = comp.fd_count()
        same = same + 1 if now == last else 0
        last = now
        if same >= 5:
            break
    return fd_table(comp.pid)


def compositor_sound(c, comp, after):
    """Alive and without a SIGBUS handler."""
    alive = comp.alive()
    c.check(alive, f"{comp.kind} alive after {after}"
            + ("" if alive else f" (exit status {comp.returncode()})"))
    if alive:
        c.check(not comp.sigbus_caught(),
                f"{comp.kind} has no SIGBUS handler after {after}")
    return alive


def fd_table(pid):
    table = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            table[fd] = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            pass
    return table


def fds_back(c, comp, baseline, after):
    count = settle(lambda: comp.fd_count() <= len(baseline), timeout=15)
    now = fd_table(comp.pid)
    c.check(count, f"{comp.kind} fds back to the baseline {len(baseline)} "
            f"after {after} (now {len(now)})")
    if not count:
        for fd, target in sorted(now.items(), key=lambda i: int(i[0])):
            if baseline.get(fd) != target:
                c.say(f"  new fd {fd} -> {target}")


def run_fuzz(c, comp, fuzz, seed, kinds, only=None):
    """One sealshm-fuzz-truncate run (@only: just those attack kinds);
    adds its counts to @kinds: name -> [tried, unexpected, impossible]."""
    argv = [fuzz, "--policy", "copy", "--seed", str(seed), "--iterations",
            str(FUZZ_ITERATIONS if only is None else 2 * len(only))]
    for name in only or []:
        argv += ["--attack", name]
    run = comp.run_client(argv, timeout=100)
    for line in run.stdout.splitlines():
        m = FUZZ_LINE.match(line)
        if m:
            k = kinds.setdefault(m.group(1), [0, 0, 0])
            k[0] += int(m.group(2))
            k[1] += int(m.group(4))
            k[2] += int(m.group(5) or 0)
    total = [line for line in run.stdout.splitlines() if "total tried" in line]
    what = f"fuzz-truncate --seed {seed}" + (
        "" if only is None else " --attack " + " --attack ".join(only))
    c.say(f"{what}: exit status {run.returncode}; "
          + (total[0] if total else "no summary"))
    for line in run.stderr.splitlines():
        if "UNEXPECTED" in line or "died" in line:
            c.say(f"  {line}")
    c.check(not run.timed_out and run.returncode in (0, 1),
            f"{what} ran to its end (status {run.returncode}, 3 would mean "
            f"the compositor died)")
    c.check(run.returncode == 0,
            f"{what}: every attack had the outcome the copy policy predicts")
    return what


def screenshot(comp, path):
    """A PNG of the whole output at @path."""
    if comp.kind == "sway":
        run = comp.run_client(["grim", path], timeout=30)
        if run.returncode != 0:
            raise RuntimeError(f"grim failed ({run.returncode}): "
                               f"{run.stderr.strip()}")
        return
    shots = os.path.join(comp.dir, "screenshooter")
    shutil.rmtree(shots, ignore_errors=True)
    os.makedirs(shots)
    run = comp.run_client(["weston-screenshooter"], timeout=30, cwd=shots)
    found = glob.glob(os.path.join(shots, "*.png"))
    if run.returncode != 0 or len(found) != 1:
        raise RuntimeError(f"weston-screenshooter failed "
                           f"({run.returncode}, {len(found)} files): "
                           f"{run.stderr.strip()}")
    shutil.move(found[0], path)


def png_diff(tool, a, b):
    run = subprocess.run([tool, a, b], capture_output=True, text=True)
    m = PNG_DIFF.search(run.stdout)
    if run.returncode != 0 or not m:
        raise RuntimeError(f"png-diff failed: {run.stdout}{run.stderr}")
    return int(m.group(1)), int(m.group(2)), run.stdout.strip()


def read_child_report(home):
    with open(os.path.join(home, "child-environ"), "rb") as f:
        env = dict(item.decode(errors="replace").partition("=")[::2]
                   for item in f.read().split(b"\0") if item)
    soft = None
    with open(os.path.join(home, "child-limits")) as f:
        for line in f:
            if line.startswith("Max open files"):
                soft = line.split()[3]
    return env, soft


def proc_children(pid):
    """Pids whose parent is @pid."""
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        if int(fields[1]) == pid:
            children.append(int(entry))
    return children


def check_children(c, comp, start_soft):
    ready = settle(lambda: os.path.exists(os.path.join(comp.home,
                                                       "child-limits")),
                   timeout=20)
    if not c.check(ready, f"{comp.kind} ran the child report"):
        return
    env, soft = read_child_report(comp.home)
    preload = env.get("LD_PRELOAD", "")
    own = comp.nofile_limit()
    c.say(f"{comp.kind}'s own RLIMIT_NOFILE {own[0]} (hard {own[1]}); "
          f"its child's soft limit {soft}, LD_PRELOAD={preload!r}")
    c.check("libsealshm-wl-shm" not in preload,
            f"{comp.kind}'s child does not inherit the preload")
    c.check(soft == str(start_soft),
            f"{comp.kind}'s child has the soft fd limit {comp.kind} started "
            f"with ({start_soft})")
    if comp.kind != "weston":
        return
    # weston's own clients: weston-desktop-shell, weston-keyboard.
    for pid in proc_children(comp.pid):
        try:
            with open(f"/proc/{pid}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/{pid}/environ", "rb") as f:
                environ = f.read()
            limit = read_nofile_limit(pid)[0]
        except OSError:
            continue  # gone meanwhile (the report script)
        c.check(b"libsealshm-wl-shm" not in environ
                and limit == start_soft,
                f"weston's child {name} (pid {pid}): no preload, soft fd "
                f"limit {limit}")


def sealed_resize(c, comp, attack):
    run = comp.run_client([attack], timeout=30)
    c.say(f"attack-sealed-resize: exit status {run.returncode}"
          + (" (timed out)" if run.timed_out else ""))
    for line in (run.stdout + run.stderr).strip().splitlines()[-6:]:
        c.say(f"  {line}")
    return run


def lower_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > CHILD_SOFT_NOFILE:
        resource.setrlimit(resource.RLIMIT_NOFILE, (CHILD_SOFT_NOFILE, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def child_config(kind, script):
    if kind == "sway":
        return SWAY_CONFIG + f"exec {script}\n"
    return WESTON_CONFIG + f"[autolaunch]\npath={script}\n"


def gtk_renders(c, comp, args):
    bare = os.path.join(comp.dir, "bare.png")
    shot = os.path.join(comp.dir, "gtk3-widget-factory.png")
    screenshot(comp, bare)
    gtk = comp.spawn_client(["gtk3-widget-factory"])
    best = (0, 0, "")

    def rendered():
        nonlocal best
        if gtk.poll() is not None:
            return True
        screenshot(comp, shot)
        best = png_diff(args.png_diff, bare, shot)
        return best[0] >= MIN_PIXELS and best[1] >= MIN_VIVID

    settle(rendered, timeout=40, interval=0.5)
    running = gtk.poll() is None
    status, output = comp.end_client(gtk)
    c.check(running, "gtk3-widget-factory still running when its window "
            "was seen" + ("" if running else f" (it exited with {status}: "
                          f"{output.strip()[-400:]})"))
    c.say(f"gtk3-widget-factory screenshot against the bare output: "
          f"{best[2]}")
    c.check(best[0] >= MIN_PIXELS and best[1] >= MIN_VIVID,
            f"gtk3-widget-factory rendered under the copy policy: "
            f"{best[0]} pixels ({best[1]} vivid) differ, at least "
            f"{MIN_PIXELS} ({MIN_VIVID}) expected")
    compositor_sound(c, comp, "gtk3-widget-factory")


def gtk_refused_strict(c, args):
    with Compositor(args.kind, args.workdir, sealshm_run=args.sealshm_run,
                    policy="strict", log="debug") as comp:
        c.say(f"{comp.kind} --policy strict started, pid {comp.pid}")
        # GTK routes libwayland-client's log into its own, silent one:
        # the error event as WAYLAND_DEBUG prints it is in its stderr.
        run = comp.run_client(["gtk3-widget-factory"], timeout=60,
                              env={"WAYLAND_DEBUG": "client"})
        refusal = [line for line in run.stderr.splitlines()
                   if ".error(" in line and SHIM_REFUSAL in line]
        c.check(not run.timed_out and run.returncode != 0,
                f"gtk3-widget-factory fails under --policy strict (exit "
                f"status {run.returncode}"
                + (", timed out" if run.timed_out else "") + ")")
        c.check(bool(refusal), f"its stderr has the shim's protocol error "
                f"({refusal[0].strip() if refusal else 'none: '}"
                + ("" if refusal else run.stderr.strip()[-400:]) + ")")
        logged = [line for line in comp.stderr_text().splitlines()
                  if "sealshm: client bug" in line]
        c.check(bool(logged), "the shim logged the refusal: "
                + (logged[0] if logged else "nothing"))
        compositor_sound(c, comp, "refusing gtk3-widget-factory")
        status = comp.stop()
        c.check(status == 0, f"{comp.kind} --policy strict exits with 0 on "
                f"SIGTERM (status {status})")


def protected(c, args):
    start_soft = lower_nofile()
    comp = Compositor(args.kind, args.workdir, sealshm_run=args.sealshm_run,
                      log="debug",
                      extra_args=["--debug"] if args.kind == "weston" else [])
    # Where sway's user can read it.
    script = os.path.join(comp.dir, "child-report.sh")
    with open(script, "w") as f:
        f.write(CHILD_REPORT)
    os.chmod(script, 0o755)
    comp.config = child_config(args.kind, script)
    with comp:
        c.say(f"{comp.kind} under sealshm-run: pid {comp.pid}, socket "
              f"{comp.socket}, started with the soft fd limit {start_soft}")
        line = settle(lambda: [l for l in comp.stderr_text().splitlines()
                               if "protecting wl_shm" in l], timeout=10)
        c.check(bool(line), "the shim printed its start line: "
                + (line[0] if line else "none"))
        check_children(c, comp, start_soft)

        first = comp.run_client(["wayland-info"], timeout=30)
        c.check(first.returncode == 0, f"wayland-info completes (status "
                f"{first.returncode})")
        baseline = stable_fds(comp)
        c.say(f"fd baseline: {len(baseline)}")

        kinds = {}
        runs = [(seed, None) for seed in FUZZ_SEEDS]
        while runs:
            seed, only = runs.pop(0)
            what = run_fuzz(c, comp, args.fuzz, seed, kinds, only)
            if not compositor_sound(c, comp, what):
                c.say(f"compositor log:\n{comp.stderr_text()[-3000:]}")
                return
            fds_back(c, comp, baseline, what)
            if not runs and only is None:
                # The seeded runs missed these: run them by name.
                missed = sorted(name for name, k in kinds.items()
                                if k[0] + k[2] == 0)
                if missed:
                    runs.append((FUZZ_SEEDS[0], missed))
        c.check(len(kinds) > 0, f"fuzz-truncate reported {len(kinds)} "
                f"attack kinds")
        for name, (tried, bad, impossible) in sorted(kinds.items()):
            if impossible and not tried:
                c.say(f"note: {name} is not possible on this machine "
                      f"(tried to run it {impossible} times)")
            c.check(tried + impossible > 0,
                    f"attack {name} run {tried} times ({bad} unexpected)")

        fresh = comp.run_client(["wayland-info"], timeout=30)
        c.check(fresh.returncode == 0, f"a new client (wayland-info) "
                f"completes after the attacks (status {fresh.returncode})")

        run = sealed_resize(c, comp, args.attack)
        c.check(run.returncode == 0, "attack-sealed-resize got invalid_fd "
                "and a second client was served (status 0)")
        if not compositor_sound(c, comp, "the sealed-resize attack"):
            c.say(f"compositor log:\n{comp.stderr_text()[-3000:]}")
            return
        fds_back(c, comp, baseline, "the sealed-resize attack")

        stats_path = os.path.join(comp.dir, "demo-client-stats.json")
        demo = comp.run_client([args.demo_client, "--frames",
                                str(DEMO_FRAMES), "--stats", stats_path],
                               timeout=60)
        stats = {}
        if os.path.exists(stats_path):
            with open(stats_path) as f:
                stats = json.load(f)
        c.say(f"sealshm-demo-client: status {demo.returncode}, stats "
              f"{json.dumps(stats, sort_keys=True)}")
        c.check(demo.returncode == 0, "sealshm-demo-client exits with 0"
                + ("" if demo.returncode == 0 else
                   f": {demo.stderr.strip()[-400:]}"))
        c.check(stats.get("frames") == DEMO_FRAMES,
                f"sealshm-demo-client drew {stats.get('frames')} frames, "
                f"each after the last one's frame callback ({DEMO_FRAMES} "
                f"asked, at least 100 required)")
        c.check(stats.get("pool_grows", 0) > 0,
                "its pool grew in place (wl_shm_pool.resize)")
        compositor_sound(c, comp, "sealshm-demo-client")

        gtk_renders(c, comp, args)
        fds_back(c, comp, baseline, "gtk3-widget-factory and the "
                 "screenshots")
        status = comp.stop()
        c.check(status == 0, f"{comp.kind} exits with 0 on SIGTERM (status "
                f"{status})")
        if status != 0:
            c.say(f"compositor log:\n{comp.stderr_text()[-3000:]}")

    gtk_refused_strict(c, args)


def unprotected(c, args):
    try:
        comp = Compositor(args.kind, args.workdir).start()
    except CompositorError as e:
        c.check(False, f"{args.kind} starts without the shim: {e}")
        return
    with comp:
        c.say(f"{comp.kind} without sealshm: pid {comp.pid}, socket "
              f"{comp.socket}")
        # A shm_open file the client shrinks under the compositor:
        # libwayland-server reads it inside wl_shm_buffer_begin_access(),
        # which installs its SIGBUS handler (pools of SHRINK-sealed
        # memfds never get one), and the handler turns the fault into a
        # protocol error.  Not just any attack: after a client was
        # disconnected for a bad fd (pipe-fd, for one), sway 1.7 answered
        # the sealed-resize attack's frame callback and survived in every
        # run, its buffer apparently never read.
        fuzz = comp.run_client([args.fuzz, "--policy", "copy", "--seed", "1",
                                "--iterations", "2", "--attack",
                                "dev-shm-file"], timeout=100)
        total = [line for line in fuzz.stdout.splitlines()
                 if "total tried" in line]
        c.say(f"fuzz-truncate --attack dev-shm-file (its verdicts assume "
              f"sealshm): status {fuzz.returncode}; "
              + (total[0] if total else "no summary"))
        if not c.check(comp.alive(), f"{comp.kind} alive after the shrunk "
                       f"files"):
            return
        c.check(comp.sigbus_caught(),
                f"{comp.kind} has libwayland-server's SIGBUS handler once "
                f"pixels were read (SigCgt bit 6): the protected run's check "
                f"for it can fail")

        run = sealed_resize(c, comp, args.attack)
        status = comp.wait_for_exit(15)
        if status is None:
            c.say(f"{comp.kind} without sealshm survived the sealed resize "
                  f"(still running): a newer {comp.kind} or libwayland may "
                  f"have fixed it; not a failure")
        elif status == -signal.SIGBUS:
            c.say(f"{comp.kind} without sealshm: killed by SIGBUS (status "
                  f"{128 + signal.SIGBUS}) — this is why the shim exists")
        elif status < 0:
            c.say(f"{comp.kind} without sealshm: killed by signal "
                  f"{-status} ({signal.Signals(-status).name}) after the "
                  f"sealed resize")
        else:
            c.say(f"{comp.kind} without sealshm exited with status {status} "
                  f"after the sealed resize")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", choices=("weston", "sway"), required=True)
    parser.add_argument("--mode", choices=("protected", "unprotected"),
                        required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--fuzz", required=True)
    parser.add_argument("--attack", required=True)
    parser.add_argument("--demo-client", required=True)
    parser.add_argument("--png-diff")
    parser.add_argument("--sealshm-run")
    args = parser.parse_args()
    if args.mode == "protected" and not (args.sealshm_run and args.png_diff):
        parser.error("protected needs --sealshm-run and --png-diff")
    for path in (args.fuzz, args.attack, args.demo_client):
        if not os.access(path, os.X_OK):
            sys.exit(f"{path} is not built")

    args.workdir = os.path.join(args.workdir, f"{args.kind}-{args.mode}")
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    os.chmod(args.workdir, 0o755)

    c = Checks(f"{args.kind}-{args.mode}")
    try:
        if args.mode == "protected":
            protected(c, args)
        else:
            unprotected(c, args)
    except (CompositorError, RuntimeError) as e:
        c.check(False, str(e))
    if c.failures:
        print(f"{c.name}: {len(c.failures)} check(s) failed:")
        for what in c.failures:
            print(f"  {what}")
        return 1
    print(f"{c.name}: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
