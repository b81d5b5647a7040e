#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run compat-compositor's builds on the same clients and attacks.

compare-builds.py SCENARIO --build NAME=PATH... [options]

compat-compositor is one compositor written against libwayland-server's
wl_shm API only, built plain (libwayland-server alone) and shim
(libsealshm-wl-shm linked first).  Scenarios:

  needed         the shim build loads libsealshm-wl-shm.so.0 before
                 libwayland-server.so.0 (readelf -d); the plain one never
  well-behaved   sealshm-demo-client --frames 120 and weston-simple-shm
                 (60 frames) under each build: the same commits, frame
                 callbacks, pixels and formats (ARGB8888, XRGB8888, RGB565)
  fuzz-truncate  sealshm-fuzz-truncate against each build, kind by kind
                 and mixed: the shim build survives every kind with the
                 outcomes fuzz-truncate predicts for --policy copy, no
                 SIGBUS handler and its fds back to the baseline; the plain
                 build either survives or dies of SIGBUS (reported)
  sealed-resize  attack-sealed-resize: the plain build dies of SIGBUS (or,
                 with a fixed libwayland, survives: reported, not failed);
                 the shim build answers invalid_fd and serves a second
                 client

A build named "shim" must pass the protections; one named "plain" is the
reference the shim build must match on well-behaved clients.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

EXPECTED_FORMATS = ["ARGB8888", "XRGB8888", "RGB565"]
LIBRARY = {"plain": "libwayland-server.so.0", "shim": "libsealshm-wl-shm.so.0"}
# A bound on a hang, not a speed requirement.
RUN_TIMEOUT = 300
TABLE = re.compile(r"^fuzz-truncate: (\S+)\s+tried\s+(\d+)\s+as expected\s+"
                   r"(\d+)\s+unexpected (\d+)(?:\s+\(not possible here: "
                   r"(\d+)\))?", re.M)
UNEXPECTED = re.compile(r"UNEXPECTED in (\S+) \([^)]*\): (.*)")


class Failures:
    def __init__(self):
        self.messages = []

    def check(self, cond, message):
        if not cond:
            print(f"FAIL: {message}")
            self.messages.append(message)
        return cond


def describe_status(status):
    if status is None:
        return f"hung (no end within {RUN_TIMEOUT} s)"
    if status < 0:
        name = signal.Signals(-status).name
        return f"killed by signal {-status} ({name})"
    return f"exit status {status}"


def run_compositor(exe, client, extra=(), env_extra=None):
    """Run compositor EXE with CLIENT (a list) in a private runtime
    directory; return (status, output, report or None)."""
    with tempfile.TemporaryDirectory(prefix="sealshm-compat-") as tmp:
        report = os.path.join(tmp, "report.json")
        env = dict(os.environ, XDG_RUNTIME_DIR=tmp, SEALSHM_POLICY="copy")
        for key in ("WAYLAND_DISPLAY", "WAYLAND_SOCKET", "DISPLAY"):
            env.pop(key, None)
        env.update(env_extra or {})
        # A sanitizer build installs its own SIGBUS handler, which would
        # hide both libwayland's and a SIGBUS death: leave the signal be.
        env["ASAN_OPTIONS"] = ":".join(
            o for o in (env.get("ASAN_OPTIONS"), "handle_sigbus=0") if o)
        cmd = [exe, "--socket", "compat", "--report", report, *extra,
               "--", *client]
        try:
            run = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True,
                                 timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode() if isinstance(e.stdout, bytes) else ""
            return None, out + f"\n(no end within {RUN_TIMEOUT} s)", None
        data = None
        if os.path.exists(report):
            with open(report) as f:
                data = json.load(f)
        return run.returncode, run.stdout, data


def check_common(fail, name, status, output, report, what):
    """What every run that ends normally must show; False when it did
    not end normally (the rest is then meaningless)."""
    if not fail.check(status == 0 and report is not None,
                      f"{name}: {what}: compositor {describe_status(status)}"
                      f"{'' if report else ', no report'}:\n{output}"):
        return False
    fail.check(LIBRARY.get(name, "") in report["wl_shm_library"],
               f"{name}: wl_display_init_shm came from "
               f"{report['wl_shm_library']}, expected {LIBRARY.get(name)}")
    fail.check(report["fds_at_exit"] == report["fds_baseline"],
               f"{name}: {what}: {report['fds_at_exit']} fds at exit, "
               f"{report['fds_baseline']} before any client")
    if name == "shim":
        fail.check(not report["sigbus_handler"],
                   f"shim: {what}: a SIGBUS handler is installed")
    return True


def scenario_needed(builds, args, fail):
    for name, exe in builds.items():
        dyn = subprocess.run(["readelf", "-d", exe], capture_output=True,
                             text=True, check=True).stdout
        needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^]]+)\]", dyn)
        print(f"{name}: NEEDED {' '.join(needed)}")
        has_server = "libwayland-server.so.0" in needed
        fail.check(has_server, f"{name}: libwayland-server.so.0 not NEEDED")
        if name == "shim":
            fail.check("libsealshm-wl-shm.so.0" in needed and has_server and
                       needed.index("libsealshm-wl-shm.so.0") <
                       needed.index("libwayland-server.so.0"),
                       "shim: libsealshm-wl-shm.so.0 must come before "
                       "libwayland-server.so.0, so that its wl_shm "
                       "functions are the ones found")
        else:
            fail.check(not any("sealshm" in n for n in needed),
                       f"{name}: links a sealshm library")


def surfaces_key(report, keys):
    return [{k: s[k] for k in keys} for s in report["surfaces"]]


def scenario_well_behaved(builds, args, fail):
    simple_shm = shutil.which("weston-simple-shm")
    if not fail.check(simple_shm is not None,
                      "weston-simple-shm is not installed (Debian: weston; "
                      "tools/ensure-deps.sh test installs it)"):
        return
    frames = 120
    hashed = 60
    clients = {
        "demo-client": ([args.demo_client, "--frames", str(frames)], []),
        # it runs until stopped: after its first 60 frames
        "weston-simple-shm": ([simple_shm], ["--exit-after-frames",
                                             str(hashed), "--hash-frames",
                                             str(hashed)]),
    }
    results = {}
    for client, (cmd, extra) in clients.items():
        for name, exe in builds.items():
            status, output, report = run_compositor(exe, cmd, extra)
            if not check_common(fail, name, status, output, report, client):
                continue
            results[(client, name)] = report
            s = report["surfaces"]
            print(f"{name}: {client}: {report['buffer_commits']} frames, "
                  f"{report['frame_callbacks']} frame callbacks, formats "
                  f"{' '.join(report['formats'])}, hash "
                  f"{s[0]['hash'] if s else '-'}")
            fail.check(report["formats"] == EXPECTED_FORMATS,
                       f"{name}: {client}: formats {report['formats']}, "
                       f"expected {EXPECTED_FORMATS}")
            fail.check(report["protocol_errors"] == 0,
                       f"{name}: {client}: protocol errors "
                       f"{report['errors']}")
            fail.check(report["reread_mismatches"] == 0,
                       f"{name}: {client}: the saved pointer read other "
                       f"pixels one frame later "
                       f"({report['reread_mismatches']} times)")
            fail.check(len(s) == 1, f"{name}: {client}: {len(s)} surfaces "
                       "showed frames, expected 1")
            if client == "demo-client":
                fail.check(report["buffer_commits"] == frames and
                           report["frame_callbacks"] == frames,
                           f"{name}: {client}: {report['buffer_commits']} "
                           f"frames and {report['frame_callbacks']} "
                           f"callbacks, expected {frames} of each")
            elif s:
                fail.check(s[0]["hashed_frames"] == hashed,
                           f"{name}: {client}: {s[0]['hashed_frames']} "
                           f"frames hashed, expected {hashed}")

    if "plain" not in builds or len(builds) < 2:
        print("one build only: nothing to compare")
        return
    for client in clients:
        if client == "demo-client":
            keys = ["commits", "frames", "hash", "last_checksum", "width",
                    "height"]
            totals = ["commits", "buffer_commits", "frame_callbacks",
                      "releases"]
        else:
            # how many frames come after the 60th varies; those do not
            keys = ["hash", "hashed_frames", "width", "height"]
            totals = []
        ref = results.get((client, "plain"))
        for name in builds:
            got = results.get((client, name))
            if name == "plain" or ref is None or got is None:
                continue
            for key in totals:
                fail.check(got[key] == ref[key],
                           f"{client}: {key} {got[key]} under {name}, "
                           f"{ref[key]} under plain")
            fail.check(surfaces_key(got, keys) == surfaces_key(ref, keys),
                       f"{client}: surfaces differ: {name} "
                       f"{surfaces_key(got, keys)}, plain "
                       f"{surfaces_key(ref, keys)}")
            fail.check(got["formats"] == ref["formats"],
                       f"{client}: formats {got['formats']} under {name}, "
                       f"{ref['formats']} under plain")
        if ref is not None:
            print(f"{client}: the builds agree on "
                  f"{', '.join(totals + keys)} and the formats")


def fuzz_run(exe, fuzz, kinds, iterations, seed):
    cmd = [fuzz, "--policy", "copy", "--seed", str(seed), "--iterations",
           str(iterations)]
    for kind in kinds:
        cmd += ["--attack", kind]
    status, output, report = run_compositor(exe, cmd)
    table = {m[0]: [int(x or 0) for x in m[1:]]
             for m in TABLE.findall(output)}
    reasons = {}
    for kind, why in UNEXPECTED.findall(output):
        reasons.setdefault(kind, why)
    return status, output, report, table, reasons


def outcome(status, table, kind, reasons):
    if status is None:
        return "HUNG"
    if status == -signal.SIGBUS:
        return "DIED (SIGBUS)"
    if status < 0:
        return f"DIED ({signal.Signals(-status).name})"
    tried, expected, unexpected, impossible = table.get(kind, [0, 0, 0, 0])
    if unexpected:
        return f"mismatch {unexpected}/{tried}"
    if not tried and impossible:
        return "not possible here"
    return f"as expected {expected}/{tried}"


def scenario_fuzz_truncate(builds, args, fail):
    kinds = subprocess.run([args.fuzz_truncate, "--list-attacks"],
                           capture_output=True, text=True,
                           check=True).stdout.split()
    fail.check(len(kinds) > 0, "fuzz-truncate lists no attacks")
    rows = {kind: {} for kind in kinds}
    killed = {name: [] for name in builds}
    for name, exe in builds.items():
        for kind in kinds:
            status, output, report, table, reasons = fuzz_run(
                exe, args.fuzz_truncate, [kind], args.per_kind, args.seed)
            rows[kind][name] = outcome(status, table, kind, reasons)
            if report and report["sigbus_handler"]:
                rows[kind][name] += " [SIGBUS handler]"
            if kind in reasons:
                rows[kind][name] += f": {reasons[kind][:150]}"
            if status == -signal.SIGBUS:
                killed[name].append(kind)
            if name == "shim":
                check_shim_fuzz(fail, kind, status, output, report, table)
            elif status is None or (status < 0 and
                                    status != -signal.SIGBUS):
                fail.check(False, f"{name}: {kind}: compositor "
                           f"{describe_status(status)} (only SIGBUS is "
                           f"libwayland's to die of):\n{output}")

    print(f"\nsealshm-fuzz-truncate --policy copy --seed {args.seed} "
          f"--iterations {args.per_kind}, one run per kind:")
    for kind in kinds:
        print(f"  {kind:28}" + "  ".join(
            f"{name}: {rows[kind].get(name, '-')}" for name in builds))

    if "shim" in builds:
        status, output, report, table, reasons = fuzz_run(
            builds["shim"], args.fuzz_truncate, [], args.iterations,
            args.seed)
        tried = sum(t[0] for t in table.values())
        unexpected = sum(t[2] for t in table.values())
        print(f"\nshim, every kind mixed ({args.iterations} attacks): "
              f"compositor {describe_status(status)}, {tried} tried, "
              f"{unexpected} unexpected")
        check_shim_fuzz(fail, "mixed", status, output, report, table)
        for kind in kinds:
            tried, _, _, impossible = table.get(kind, [0, 0, 0, 0])
            fail.check(tried or impossible,
                       f"shim: mixed run never tried {kind}: raise "
                       "--iterations")

    if "plain" in builds:
        if killed["plain"]:
            print(f"\nThe plain build (libwayland's own wl_shm) died of "
                  f"SIGBUS on: {', '.join(killed['plain'])}.  That is why "
                  "the shim exists.")
        else:
            print("\nThe plain build survived every kind: this libwayland "
                  "may have fixed the sealed-memfd resize (not a failure).")


def check_shim_fuzz(fail, kind, status, output, report, table):
    if not check_common(fail, "shim", status, output, report,
                        f"fuzz-truncate {kind}"):
        return
    bad = {k: t for k, t in table.items() if t[2]}
    fail.check(not bad, f"shim: {kind}: fuzz-truncate saw outcomes it did "
               f"not predict for --policy copy: {sorted(bad)}")
    fail.check(table, f"shim: {kind}: no fuzz-truncate summary:\n{output}")


def scenario_sealed_resize(builds, args, fail):
    for name, exe in builds.items():
        status, output, report = run_compositor(exe, [args.attacker])
        print(f"{name}: compositor {describe_status(status)}")
        print("  " + "\n  ".join(output.strip().splitlines()))
        if name == "shim":
            if not check_common(fail, name, status, output, report,
                                "attack-sealed-resize"):
                continue
            codes = [e["code"] for e in report["errors"]]
            fail.check(codes == [2], f"shim: protocol errors "
                       f"{report['errors']}, expected one invalid_fd (2)")
            fail.check(report["clients"] == 2 and
                       report["buffer_commits"] == 2,
                       f"shim: {report['clients']} clients and "
                       f"{report['buffer_commits']} frames, expected the "
                       "attacker's first frame and the second client's")
        elif status == -signal.SIGBUS:
            print(f"{name}: died of SIGBUS reading a buffer past the end "
                  "of a pool resized beyond its F_SEAL_SHRINK-sealed "
                  "memfd: libwayland decided at create_pool that SIGBUS "
                  "was impossible and never checked again.  That is why "
                  "the shim exists.")
        elif fail.check(status == 0, f"{name}: neither SIGBUS nor a clean "
                        "end: the attacker saw something unexpected"):
            print(f"{name}: survived (exit 0, invalid_fd and a second "
                  "client served): this libwayland fixed the hole; not a "
                  "failure")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=["needed", "well-behaved",
                                             "fuzz-truncate",
                                             "sealed-resize"])
    parser.add_argument("--build", action="append", required=True,
                        metavar="NAME=PATH")
    parser.add_argument("--demo-client")
    parser.add_argument("--fuzz-truncate")
    parser.add_argument("--attacker")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--per-kind", type=int, default=8)
    args = parser.parse_args()

    builds = dict(b.split("=", 1) for b in args.build)
    if "shim" not in builds:
        print("no shim build (libsealshm-wl-shm is not part of this "
              "build): the plain build alone")
    fail = Failures()
    {
        "needed": scenario_needed,
        "well-behaved": scenario_well_behaved,
        "fuzz-truncate": scenario_fuzz_truncate,
        "sealed-resize": scenario_sealed_resize,
    }[args.scenario](builds, args, fail)
    if fail.messages:
        print(f"\n{len(fail.messages)} check(s) failed")
        return 1
    print("\nall checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
