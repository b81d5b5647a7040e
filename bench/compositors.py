#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Frame throughput and pool churn through real compositors, with and
without sealshm-run, in one run.

    bench/compositors.py [--build DIR] [--runs N] [--seconds S]
                         [--setups NAME,...] [--json FILE] [--smoke]

For every setup (weston 10 headless, sway 1.7 headless at 60 Hz and at
1000 Hz, all with the pixman renderer and a 1920x1080 output), each run
starts the compositor twice, once plainly and once through sealshm-run,
the two in alternating order, and runs "sealshm-bench external" against
each: the 1080p frame loop (frames/s), then the 256x256 pool churn
(pools/s).  The same compositor binary, the same client binary and the
same workload on both sides; only the preload differs.  Each number is
the median of the runs; the ratio is with / without.  The compositor's own
CPU time during each client run (all its threads, from
/proc/PID/task/*/schedstat) is reported per frame or pool beside it.

--smoke: one short run of every setup.  It checks that the driver works
(both sides start, the shim is mapped on one side only, every workload
reports a positive count) and asserts nothing about speed.  Under
SEALSHM_TEST_VALGRIND the client runs under memcheck.

Python 3 standard library only.  Compositors are started by
tools/compositors.py.
"""

import argparse
import datetime
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tools"))

from compositors import SWAY_CONFIG, Compositor  # noqa: E402

OUTPUT_WIDTH, OUTPUT_HEIGHT = 1920, 1080

# name, compositor kind, Compositor() arguments, output refresh asked for
# (mHz, None: the compositor's own), what the setup is
SETUPS = [
    ("weston", "weston",
     dict(width=OUTPUT_WIDTH, height=OUTPUT_HEIGHT), None,
     "weston 10, headless backend, pixman; its output repaints on a "
     "fixed 16 ms timer"),
    ("sway", "sway",
     dict(config=SWAY_CONFIG
          + f"output * mode {OUTPUT_WIDTH}x{OUTPUT_HEIGHT}\n"), 60000,
     "sway 1.7, wlroots headless backend, pixman, 60 Hz output"),
    ("sway-1000hz", "sway",
     dict(config=SWAY_CONFIG + f"output * mode --custom "
          f"{OUTPUT_WIDTH}x{OUTPUT_HEIGHT}@1000Hz\n"), 1000000,
     "sway 1.7 as above with a 1000 Hz output: frames are bound by CPU, "
     "not by the refresh"),
]

# workload, unit, unit of the compositor's CPU, goal (ratio with / without)
WORKLOADS = [
    ("frame", "frames/s", "us/frame", 0.95),
    ("churn", "pools/s", "us/pool", 0.9),
]


def fail(msg):
    print("compositors.py: " + msg, file=sys.stderr)
    sys.exit(1)


def compositor_cpu_ns(pid):
    """CPU time of every thread of @pid so far, in ns."""
    total = 0
    for path in glob.glob(f"/proc/{pid}/task/*/schedstat"):
        try:
            with open(path) as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass  # a thread that just ended
    return total


def sway_refresh(comp):
    """The refresh (mHz) of sway's first output, from its IPC socket."""
    socks = glob.glob(os.path.join(comp.runtime_dir, "sway-ipc.*.sock"))
    if not socks:
        raise RuntimeError("sway's IPC socket not found in "
                           + comp.runtime_dir)
    out = subprocess.run(["swaymsg", "-s", socks[0], "-r", "-t",
                          "get_outputs"], capture_output=True, text=True,
                         timeout=10, check=True).stdout
    outputs = json.loads(out)
    mode = outputs[0]["current_mode"]
    return mode["width"], mode["height"], mode["refresh"]


def run_side(setup, shim, args, workdir):
    """Start the setup's compositor (through sealshm-run when @shim), run
    every workload against it; return {workload: sample}."""
    name, kind, kwargs, refresh, _ = setup
    comp = Compositor(kind, workdir,
                      sealshm_run=args.sealshm_run if shim else None,
                      **kwargs)
    samples = {}
    try:
        comp.start()
        # start() checked this already; a bench must not trust it blindly
        if comp.shim_mapped() != shim:
            raise RuntimeError(f"{name}: libsealshm-wl-shm mapped is "
                               f"{comp.shim_mapped()}, expected {shim}")
        if kind == "sway":
            mode = sway_refresh(comp)
            if mode != (OUTPUT_WIDTH, OUTPUT_HEIGHT, refresh):
                raise RuntimeError(f"{name}: sway's output is "
                                   f"{mode[0]}x{mode[1]} at {mode[2]} mHz, "
                                   f"not {OUTPUT_WIDTH}x{OUTPUT_HEIGHT} at "
                                   f"{refresh} mHz")
        for workload, _, _, _ in WORKLOADS:
            argv = args.client_wrapper + [
                args.bench, "external", "--workload", workload,
                "--seconds", str(args.seconds)]
            cpu_start = compositor_cpu_ns(comp.pid)
            res = comp.run_client(argv, timeout=args.seconds + 60)
            cpu = compositor_cpu_ns(comp.pid) - cpu_start
            if res.returncode != 0 or res.timed_out:
                raise RuntimeError(
                    f"{name} {'with' if shim else 'without'} sealshm: "
                    f"{' '.join(argv)} exited with {res.returncode}"
                    f"{' (timed out)' if res.timed_out else ''}:\n"
                    f"{res.stderr}\ncompositor log:\n{comp.stderr_text()}")
            lines = res.stdout.strip().splitlines()
            sample = json.loads(lines[-1]) if lines else {}
            if not sample.get("count", 0) > 0 or not sample["rate"] > 0:
                raise RuntimeError(f"{name}: {workload} counted nothing: "
                                   f"{res.stdout!r}")
            sample["compositor_cpu_s"] = cpu / 1e9
            sample["compositor_cpu_us_per"] = cpu / 1e3 / sample["count"]
            samples[workload] = sample
        if not comp.alive():
            raise RuntimeError(f"{name} died:\n{comp.stderr_text()}")
        if shim:
            info = [line for line in comp.stderr_text().splitlines()
                    if "sealshm: libsealshm-wl-shm" in line]
            samples["shim_info"] = info[0] if info else None
    finally:
        comp.stop()
    return samples


def spread(values):
    return {"median": statistics.median(values), "min": min(values),
            "max": max(values), "samples": values}


def summarize(setup, runs):
    """Medians, ranges and ratios of one setup's runs."""
    name, kind, _, _, what = setup
    result = {"setup": name, "compositor": kind, "description": what,
              "workloads": []}
    for workload, unit, cpu_unit, goal in WORKLOADS:
        side = {}
        for shim in (False, True):
            key = "with" if shim else "without"
            rates = [r[key][workload]["rate"] for r in runs]
            cpus = [r[key][workload]["compositor_cpu_us_per"] for r in runs]
            side[key] = {"rate": spread(rates), "compositor_cpu": spread(cpus)}
        ratio = side["with"]["rate"]["median"] / side["without"]["rate"][
            "median"]
        cpu_ratio = (side["with"]["compositor_cpu"]["median"]
                     / side["without"]["compositor_cpu"]["median"])
        result["workloads"].append({
            "workload": workload, "unit": unit, "cpu_unit": cpu_unit,
            "without": side["without"], "with": side["with"],
            "ratio": ratio, "compositor_cpu_ratio": cpu_ratio,
            "goal": goal, "met": ratio >= goal})
    return result


def fmt(v):
    if v >= 1000:
        return f"{v:,.0f}".replace(",", " ")
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def print_table(results, smoke):
    print()
    if smoke:
        print("(smoke run: the numbers mean nothing)")
    print("| setup | workload | without sealshm | with sealshm | ratio "
          "| goal | result | compositor CPU without / with |")
    print("|---|---|---|---|---|---|---|---|")
    for res in results:
        for w in res["workloads"]:
            cells = []
            for key in ("without", "with"):
                r = w[key]["rate"]
                cells.append(f"{fmt(r['median'])} {w['unit']} "
                             f"({fmt(r['min'])}–{fmt(r['max'])})")
            c0 = w["without"]["compositor_cpu"]["median"]
            c1 = w["with"]["compositor_cpu"]["median"]
            print(f"| {res['setup']} | {w['workload']} | {cells[0]} | "
                  f"{cells[1]} | {w['ratio']:.3f} | ≥ {w['goal']} | "
                  f"{'met' if w['met'] else 'NOT MET'} | "
                  f"{fmt(c0)} / {fmt(c1)} {w['cpu_unit']} "
                  f"({w['compositor_cpu_ratio']:.3f}) |")
    sys.stdout.flush()


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def tree():
    try:
        head = subprocess.run(["git", "-C", REPO, "rev-parse", "--short",
                               "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", REPO, "status", "--porcelain",
                                "--untracked-files=no"],
                               capture_output=True, text=True).stdout
        return head + ("+dirty" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def tool_version(argv):
    try:
        run = subprocess.run(argv, capture_output=True, text=True,
                             timeout=10)
        return (run.stdout + run.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "unknown"


def main():
    parser = argparse.ArgumentParser(
        description="Frame throughput and pool churn through weston and "
                    "sway, with and without sealshm-run.")
    parser.add_argument("--build", default=os.path.join(REPO, "build"),
                        help="build directory (default: the repo's build)")
    parser.add_argument("--bench", help="sealshm-bench (default: "
                        "BUILD/bench/sealshm-bench)")
    parser.add_argument("--sealshm-run", help="sealshm-run (default: "
                        "BUILD/compat/sealshm-run)")
    parser.add_argument("--runs", type=int, default=5,
                        help="runs per side and setup (default 5)")
    parser.add_argument("--seconds", type=float, default=3.0,
                        help="measured seconds per workload (default 3)")
    parser.add_argument("--setups", default=",".join(s[0] for s in SETUPS),
                        help="comma-separated setups (default all: "
                        + ", ".join(s[0] for s in SETUPS) + ")")
    parser.add_argument("--json", help="also write every sample to FILE")
    parser.add_argument("--smoke", action="store_true",
                        help="one short run: check that it works")
    args = parser.parse_args()

    args.bench = os.path.abspath(
        args.bench or os.path.join(args.build, "bench", "sealshm-bench"))
    args.sealshm_run = os.path.abspath(
        args.sealshm_run or os.path.join(args.build, "compat",
                                         "sealshm-run"))
    if args.smoke:
        args.runs, args.seconds = 1, 0.3
    # meson test --setup=valgrind wraps this script, not the client: run
    # the client under memcheck (the compositors are not ours to check)
    args.client_wrapper = []
    if os.environ.get("SEALSHM_TEST_VALGRIND"):
        args.client_wrapper = ["valgrind", "--quiet", "--error-exitcode=3",
                               "--leak-check=full",
                               "--errors-for-leak-kinds=definite"]
    if args.runs < 1 or not args.seconds > 0:
        fail("--runs must be at least 1 and --seconds above 0")
    setups = []
    for name in args.setups.split(","):
        match = [s for s in SETUPS if s[0] == name]
        if not match:
            fail(f"unknown setup {name!r}")
        setups.append(match[0])
    for path in (args.bench, args.sealshm_run):
        if not os.access(path, os.X_OK):
            fail(f"{path} is not an executable: build it first")
    # a stub launcher would measure nothing: the real one prints usage
    helptext = subprocess.run([args.sealshm_run, "--help"],
                              capture_output=True, text=True)
    if helptext.returncode != 0 or "sealshm-run" not in helptext.stdout:
        fail(f"{args.sealshm_run} --help prints no usage: not the real "
             f"sealshm-run")

    info = {
        "date": datetime.datetime.now(datetime.timezone.utc)
        .strftime("%Y-%m-%d %H:%M UTC"),
        "tree": tree(), "command": " ".join(sys.argv),
        "nproc": os.cpu_count(), "loadavg_start": loadavg(),
        "weston": tool_version(["weston", "--version"]),
        "sway": tool_version(["sway", "--version"]),
        "runs": args.runs, "seconds": args.seconds, "smoke": args.smoke,
    }
    print(f"{info['date']}, tree {info['tree']}, {info['nproc']} CPUs, "
          f"load {info['loadavg_start']}; {info['weston']}, {info['sway']}; "
          f"{args.runs} runs per side of {args.seconds} s per workload")
    sys.stdout.flush()

    workdir = tempfile.mkdtemp(prefix="sealshm-compositors-")
    os.chmod(workdir, 0o755)
    results, raw = [], {}
    try:
        for setup in setups:
            runs = []
            for r in range(args.runs):
                # alternate which side goes first, so that order effects
                # (a warmer page cache, a burst of load) hit both alike
                order = (False, True) if r % 2 == 0 else (True, False)
                run = {}
                for shim in order:
                    run["with" if shim else "without"] = run_side(
                        setup, shim, args, workdir)
                runs.append(run)
                print(f"{setup[0]} run {r + 1}: " + ", ".join(
                    f"{w} {fmt(run['without'][w]['rate'])} / "
                    f"{fmt(run['with'][w]['rate'])}"
                    for w, _, _, _ in WORKLOADS), file=sys.stderr)
            raw[setup[0]] = runs
            results.append(summarize(setup, runs))
    except RuntimeError as e:
        fail(str(e))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    info["loadavg_end"] = loadavg()

    print_table(results, args.smoke)
    print(f"load {info['loadavg_start']} at the start, "
          f"{info['loadavg_end']} at the end")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"info": info, "results": results, "runs": raw}, f,
                      indent=1)
            f.write("\n")
    if args.smoke:
        print("compositors.py smoke run complete: "
              f"{len(results)} setups, {len(WORKLOADS)} workloads each")


main()
