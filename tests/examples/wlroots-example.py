#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""sealshm-wlroots-compositor (examples/wlroots-compositor) with real clients.

wlroots-example.py SCENARIO --compositor PATH --workdir DIR [options]

Every scenario starts the compositor headless with the pixman renderer
(WLR_BACKENDS=headless WLR_RENDERER=pixman) in its own XDG_RUNTIME_DIR
and checks at the end that it is alive, has no SIGBUS handler (SigCgt bit
6 of /proc/PID/status) and exits 0 on SIGTERM with sealshm's counters.

  render       [--policy P] --client CMD...: the bare output is one
               colour (the background); with the client mapped, a
               screenshot differs from it in at least --min-pixels pixels,
               all of them inside the toplevel's rectangle as the
               compositor placed it (with --window-grows, for a window
               that changes size: starting at its corner); with
               --animated, a later screenshot differs from the first
               inside the window (the client drew again after frame
               callbacks).  With --exit-status N the client must exit
               with N; without, it must still run at the end
               (weston-simple-shm aborts when its buffers are not
               released).
  probe        --probe PATH: exactly one wl_shm global, advertising exactly
               the pixman renderer's formats, ARGB8888 and XRGB8888 first;
               a buffer covered by another is released, and so is the last
               one after a NULL attach.
  fuzz         --fuzz PATH --policy P [--attacker PATH] --client CMD...:
               attack-sealed-resize (tests/compat: a sealed 4 KiB memfd's
               pool resized to 1 MiB, a buffer there displayed) must get
               invalid_fd and leave the compositor serving; then
               sealshm-fuzz-truncate --policy P with seeds 1, 2, 3 (then
               once per attack kind the seeds did not reach): each run
               ends with status 0, every attack as the policy predicts;
               after each run the compositor is alive, has no SIGBUS
               handler and its fds are back to the baseline; then the
               client renders as in `render`.
  refuse       --policy P --expect TEXT --second PATH --client CMD...: the
               client is refused (it exits with an error; the compositor,
               run with --verbose, logs a "client bug" line containing
               TEXT), and then PATH renders as in `render`.

--client-env NAME=VALUE (repeatable) sets the client's environment;
--tier sealed|server-sealed|copied: sealshm's counters at exit show pools
accepted in that tier.  Under ASan, the compositor runs with
handle_sigbus=0 and tests/examples/lsan.supp.
Checks poll with generous limits (liveness, not speed).
"""

import argparse
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zlib

LIVENESS = 30  # seconds: a generous limit for things that take a frame
FUZZ_SEEDS = (1, 2, 3)
FUZZ_ITERATIONS = 100
MAPPED = re.compile(r"^mapped toplevel (\d+) app_id '([^']*)' at (-?\d+),"
                    r"(-?\d+) size (\d+)x(\d+)$")
FUZZ_LINE = re.compile(r"^fuzz-truncate: (\S+)\s+tried\s+(\d+)\s+as expected"
                       r"\s+(\d+)\s+unexpected\s+(\d+)")
STATS = re.compile(r"^sealshm: pools accepted (\d+) \(sealed (\d+), sealed "
                   r"by the server (\d+), copied (\d+)\) rejected (\d+), "
                   r"buffers (\d+), clients disconnected (\d+)$")
TIERS = {"sealed": 1, "server-sealed": 2, "copied": 3}
# wlroots 0.15's pixman renderer, as wl_shm codes (ARGB8888 and XRGB8888
# are 0 and 1; the others are DRM fourccs), in the order advertised.


def fourcc(code):
    return int.from_bytes(code.encode(), "little")


PIXMAN_FORMATS = [0, 1] + [fourcc(c) for c in (
    "XB24", "AB24", "RA24", "RX24", "BA24", "BX24", "RG16", "BG16",
    "AR30", "XR30", "AB30", "XB30")]


class Failed(Exception):
    pass


class Checks:
    def __init__(self):
        self.failures = []

    def check(self, ok, what):
        print(f"{'ok' if ok else 'FAIL'}: {what}", flush=True)
        if not ok:
            self.failures.append(what)
        return ok

    def require(self, ok, what):
        if not self.check(ok, what):
            raise Failed(what)


def read_png(path):
    """(width, height, rows of (r, g, b) tuples) of an 8-bit RGB or RGBA
    PNG without interlacing, as libpng writes it."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    pos, idat, width = 8, b"", None
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width = int.from_bytes(body[0:4], "big")
            height = int.from_bytes(body[4:8], "big")
            depth, colour, interlace = body[8], body[9], body[12]
            if depth != 8 or colour not in (2, 6) or interlace:
                raise ValueError(f"{path}: not 8-bit RGB(A)")
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xff
            elif kind == 2:
                line[i] = (line[i] + b) & 0xff
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xff
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 0xff
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(width)])
        prev = line
    return width, height, rows


class Compositor:
    def __init__(self, path, workdir, policy=None, verbose=False):
        self.workdir = workdir
        self.runtime = tempfile.mkdtemp(prefix="sealshm-wlr-", dir="/tmp")
        os.chmod(self.runtime, 0o700)
        self.shot = os.path.join(workdir, "shot.png")
        self.env = dict(os.environ, XDG_RUNTIME_DIR=self.runtime,
                        WLR_BACKENDS="headless", WLR_RENDERER="pixman",
                        WLR_LIBINPUT_NO_DEVICES="1")
        self.env.pop("WAYLAND_DISPLAY", None)
        # ASan builds: no SIGBUS handler of ASan's own (the one checked
        # must be the compositor's), and whole stacks for lsan.supp.
        self.env["ASAN_OPTIONS"] = ":".join(filter(None, [
            os.environ.get("ASAN_OPTIONS"), "handle_sigbus=0",
            "fast_unwind_on_malloc=0"]))
        self.env["LSAN_OPTIONS"] = ":".join(filter(None, [
            os.environ.get("LSAN_OPTIONS"), "suppressions=" + os.path.join(
                os.path.dirname(os.path.abspath(__file__)), "lsan.supp")]))
        self.env.pop("WAYLAND_SOCKET", None)
        argv = [path, "--socket", "wayland-wlr", "--screenshot", self.shot]
        if policy:
            argv += ["--policy", policy]
        if verbose:
            argv.append("--verbose")
        self.log_path = os.path.join(workdir, "compositor.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(argv, env=self.env,
                                     stdout=subprocess.PIPE,
                                     stderr=self.log, text=True)
        self.pid = self.proc.pid
        self.lines = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.socket = self.next_line(lambda line: True)
        self.env["WAYLAND_DISPLAY"] = self.socket
        self.client_env = []

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def next_line(self, match, timeout=LIVENESS, give_up=None):
        """The next stdout line for which @match is true (earlier ones are
        dropped); None when the compositor closed stdout, nothing matched
        in time, or @give_up() became true with no line left."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                line = self.lines.get(timeout=min(left, 0.2))
            except queue.Empty:
                if give_up and give_up():
                    return None
                continue
            if line is None:
                return None
            if match(line):
                print(f"  compositor: {line}", flush=True)
                return line

    def drain(self):
        """Drop the lines printed so far (the windows of earlier
        clients)."""
        while True:
            try:
                if self.lines.get_nowait() is None:
                    self.lines.put(None)
                    return
            except queue.Empty:
                return

    def alive(self):
        return self.proc.poll() is None

    def sigbus_handler(self):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("SigCgt:"):
                    return bool(int(line.split()[1], 16)
                                & (1 << (signal.SIGBUS - 1)))
        raise RuntimeError("no SigCgt line")

    def fds(self):
        table = {}
        for fd in os.listdir(f"/proc/{self.pid}/fd"):
            try:
                table[fd] = os.readlink(f"/proc/{self.pid}/fd/{fd}")
            except OSError:
                pass
        return table

    def screenshot(self, name):
        """A PNG of the output now (SIGUSR1, then the compositor's
        "screenshot" line), kept as @name in the workdir."""
        if os.path.exists(self.shot):
            os.unlink(self.shot)
        self.proc.send_signal(signal.SIGUSR1)
        if not self.next_line(lambda line: line.startswith("screenshot ")):
            raise Failed("no screenshot written")
        path = os.path.join(self.workdir, name)
        shutil.move(self.shot, path)
        return read_png(path)

    def client(self, argv, **kwargs):
        env = dict(self.env)
        env.update(e.split("=", 1) for e in self.client_env)
        return subprocess.Popen(argv, env=env, **kwargs)

    def stop(self):
        """SIGTERM; (exit status, the stats line's numbers or None)."""
        stats = None
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            line = self.next_line(lambda line: STATS.match(line))
            if line:
                stats = [int(n) for n in STATS.match(line).groups()]
        try:
            status = self.proc.wait(timeout=LIVENESS)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            status = self.proc.wait()
        self.log.close()
        shutil.rmtree(self.runtime, ignore_errors=True)
        return status, stats


def settle(predicate, timeout=LIVENESS, interval=0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def stable_fds(comp):
    """The fd table once it stopped changing for a second."""
    last, same = comp.fds(), 0
    for _ in range(10 * LIVENESS):
        time.sleep(0.1)
        now = comp.fds()
        same = same + 1 if now == last else 0
        last = now
        if same >= 10:
            break
    return last


def sound(c, comp, after):
    alive = comp.alive()
    c.require(alive, f"compositor alive after {after}"
              + ("" if alive else f" (status {comp.proc.returncode})"))
    c.require(not comp.sigbus_handler(),
              f"compositor has no SIGBUS handler after {after}")


def end_client(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=LIVENESS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def check_render(c, comp, argv, min_pixels, animated=False,
                 exit_status=None, grows=False):
    """The bare background, then @argv's toplevel on it."""
    width, height, bare = comp.screenshot("bare.png")
    colour = bare[0][0]
    c.require(all(px == colour for row in bare for px in row),
              f"the bare {width}x{height} output is one colour {colour}")
    comp.drain()
    proc = comp.client(argv)
    try:
        line = comp.next_line(lambda line: MAPPED.match(line),
                              give_up=lambda: proc.poll() is not None)
        c.require(line is not None, f"{argv[0]} mapped a toplevel")
        _, _, x, y, w, h = MAPPED.match(line).groups()
        x, y, w, h = int(x), int(y), int(w), int(h)
        _, _, first = comp.screenshot("client.png")
        diff = [(px, py) for py in range(height) for px in range(width)
                if first[py][px] != colour]
        print(f"  {len(diff)} pixels differ from the background; the "
              f"toplevel is at {x},{y} size {w}x{h}", flush=True)
        c.check(len(diff) >= min_pixels,
                f"{argv[0]}: at least {min_pixels} pixels differ from the "
                f"background ({len(diff)})")
        if not grows:
            outside = [p for p in diff
                       if not (x <= p[0] < x + w and y <= p[1] < y + h)]
            c.check(diff and not outside,
                    f"{argv[0]}: every differing pixel is inside the "
                    f"toplevel's {w}x{h} at {x},{y} ({len(outside)} "
                    f"outside)")
        else:
            box = (min(p[0] for p in diff), min(p[1] for p in diff)) \
                if diff else None
            c.check(box == (x, y),
                    f"{argv[0]}: the differing pixels start at the "
                    f"toplevel's corner {x},{y} ({box})")
        if animated:
            def changed():
                _, _, later = comp.screenshot("client-later.png")
                return any(later[py][px] != first[py][px]
                           for py in range(y, min(y + h, height))
                           for px in range(x, min(x + w, width)))
            c.check(settle(changed, interval=0.5),
                    f"{argv[0]} drew again (frame callbacks)")
        if exit_status is None:
            # weston-simple-shm aborts when no buffer came back.
            c.check(proc.poll() is None,
                    f"{argv[0]} still runs ({proc.poll()}): its buffers "
                    f"were released")
        if exit_status is not None:
            try:
                status = proc.wait(timeout=4 * LIVENESS)
            except subprocess.TimeoutExpired:
                status = None
            c.check(status == exit_status,
                    f"{argv[0]} exited with {exit_status} ({status})")
    finally:
        end_client(proc)


def scenario_render(c, comp, args):
    check_render(c, comp, args.client, args.min_pixels, args.animated,
                 args.exit_status, args.window_grows)
    sound(c, comp, " ".join(args.client))


def scenario_probe(c, comp, args):
    proc = comp.client([args.probe], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = proc.communicate(timeout=2 * LIVENESS)
    except subprocess.TimeoutExpired:
        # A buffer that is never released leaves it waiting.
        proc.kill()
        out, _ = proc.communicate()
    print(out, end="", flush=True)
    lines = out.splitlines()
    c.check("wl_shm globals 1" in lines,
            "exactly one wl_shm global (sealshm's, no libwayland one)")
    formats = [int(line.split()[1], 16) for line in lines
               if line.startswith("format ")]
    c.check(formats == PIXMAN_FORMATS,
            "the formats advertised are exactly the pixman renderer's, "
            "ARGB8888 and XRGB8888 first: "
            + " ".join(f"0x{f:08x}" for f in formats))
    c.check("released A" in lines,
            "a buffer covered by the next one is released")
    c.check("released B" in lines,
            "the last buffer is released after a NULL attach")
    c.check(proc.returncode == 0, f"shm-probe exits 0 ({proc.returncode})")
    sound(c, comp, "shm-probe")


def scenario_refuse(c, comp, args):
    proc = comp.client(args.client, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = proc.communicate(timeout=4 * LIVENESS)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    print("".join(f"  client: {line}\n" for line in out.splitlines()[:5]),
          end="", flush=True)
    c.check(proc.returncode not in (0, None, -signal.SIGKILL),
            f"{args.client[0]} was refused: it exits on the error "
            f"({proc.returncode})")
    with open(comp.log_path) as f:
        refusals = [line.strip() for line in f if "client bug" in line
                    and args.expect in line]
    c.check(bool(refusals), f"the compositor logged the refusal naming "
            f"'{args.expect}': {refusals[:1]}")
    sound(c, comp, args.client[0])
    check_render(c, comp, [args.second], args.min_pixels, args.animated)
    sound(c, comp, args.second)


def run_fuzz(c, comp, fuzz, policy, seed, kinds, only=None):
    argv = [fuzz, "--policy", policy, "--seed", str(seed), "--iterations",
            str(FUZZ_ITERATIONS if only is None else 2 * len(only))]
    for name in only or []:
        argv += ["--attack", name]
    what = f"fuzz-truncate --policy {policy} --seed {seed}" + (
        "" if only is None else " --attack " + " --attack ".join(only))
    run = subprocess.run(argv, env=comp.env, capture_output=True, text=True,
                         timeout=10 * LIVENESS)
    for line in run.stdout.splitlines():
        m = FUZZ_LINE.match(line)
        if m:
            k = kinds.setdefault(m.group(1), [0, 0])
            k[0] += int(m.group(2))
            k[1] += int(m.group(4))
        if "total" in line:
            print(f"  {line}", flush=True)
    for line in run.stderr.splitlines():
        if "UNEXPECTED" in line or "died" in line:
            print(f"  {line}", flush=True)
    c.check(run.returncode == 0,
            f"{what}: exit status 0, every attack as the policy predicts "
            f"({run.returncode}; 3 means the compositor died)")
    return what


def scenario_fuzz(c, comp, args):
    sound(c, comp, "start")
    baseline = stable_fds(comp)
    if args.attacker:
        # Its own leaks (it ends on a protocol error) are not under test.
        env = dict(comp.env, ASAN_OPTIONS=comp.env["ASAN_OPTIONS"]
                   + ":detect_leaks=0")
        run = subprocess.run([args.attacker], env=env,
                             capture_output=True, text=True,
                             timeout=2 * LIVENESS)
        print(run.stdout + run.stderr, end="", flush=True)
        c.check(run.returncode == 0,
                f"attack-sealed-resize (which kills libwayland's wl_shm) "
                f"got invalid_fd and a second client was served "
                f"({run.returncode})")
        sound(c, comp, "attack-sealed-resize")
    listed = subprocess.run([args.fuzz, "--list-attacks"],
                            capture_output=True, text=True, check=True)
    names = listed.stdout.split()
    kinds = {}
    runs = [(seed, None) for seed in FUZZ_SEEDS]
    done = 0
    while done < len(runs):
        seed, only = runs[done]
        done += 1
        what = run_fuzz(c, comp, args.fuzz, args.policy, seed, kinds, only)
        sound(c, comp, what)
        back = settle(lambda: len(comp.fds()) <= len(baseline))
        now = comp.fds()
        c.check(back, f"fds back to the baseline {len(baseline)} after "
                f"{what} (now {len(now)})")
        if not back:
            for fd, target in sorted(now.items(), key=lambda i: int(i[0])):
                if baseline.get(fd) != target:
                    print(f"  new fd {fd} -> {target}", flush=True)
        if done == len(FUZZ_SEEDS):
            missing = [n for n in names if kinds.get(n, [0])[0] == 0]
            if missing:
                runs.append((FUZZ_SEEDS[0], missing))
    c.check(all(kinds.get(n, [0])[0] > 0 for n in names),
            f"every one of the {len(names)} attack kinds was tried")
    c.check(not any(k[1] for k in kinds.values()),
            "no attack had an unexpected outcome")
    check_render(c, comp, args.client, args.min_pixels, args.animated)
    sound(c, comp, "the client after the attacks")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario",
                        choices=["render", "probe", "fuzz", "refuse"])
    parser.add_argument("--compositor", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--policy")
    parser.add_argument("--probe")
    parser.add_argument("--fuzz")
    parser.add_argument("--attacker")
    parser.add_argument("--expect")
    parser.add_argument("--second")
    parser.add_argument("--min-pixels", type=int, default=20000)
    parser.add_argument("--animated", action="store_true")
    parser.add_argument("--exit-status", type=int)
    parser.add_argument("--window-grows", action="store_true")
    parser.add_argument("--tier", choices=sorted(TIERS))
    parser.add_argument("--client-env", action="append", default=[],
                        metavar="NAME=VALUE")
    parser.add_argument("--client", nargs=argparse.REMAINDER, default=[])
    args = parser.parse_args()
    if args.scenario != "probe" and not args.client:
        parser.error("--client CMD... is needed")
    if args.scenario == "refuse" and not (args.expect and args.second):
        parser.error("refuse needs --expect TEXT and --second PATH")

    os.makedirs(args.workdir, exist_ok=True)
    c = Checks()
    comp = Compositor(args.compositor, args.workdir, args.policy,
                      verbose=args.scenario == "refuse")
    comp.client_env = args.client_env
    c.check(comp.socket == "wayland-wlr",
            f"the compositor listens on wayland-wlr ({comp.socket})")
    try:
        if comp.socket:
            globals()["scenario_" + args.scenario](c, comp, args)
    except Failed:
        pass
    finally:
        status, stats = comp.stop()
    c.check(status == 0, f"the compositor exits 0 on SIGTERM ({status})")
    c.check(stats is not None and stats[0] > 0,
            f"sealshm accepted the clients' pools (counters {stats})")
    if args.tier:
        c.check(stats is not None and stats[TIERS[args.tier]] > 0,
                f"pools were accepted in the {args.tier} tier")
    print(f"{len(c.failures)} checks failed", flush=True)
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
