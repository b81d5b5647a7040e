#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Check that a program's --help and its scdoc man page name the same options.

check-help.py (--build-dir DIR --program NAME | --exe PATH) PAGE.scd

Every option --help mentions must be an entry of the man page's OPTIONS
section, and every entry there must appear in --help; an option that takes
an argument in one must take one in the other.  The program is found
in the build's introspection data by target name; when the build has no
such target yet the check is skipped (exit 77).
"""

import argparse
import json
import os
import re
import subprocess
import sys

# -x, --long-name and the bare "--" that ends the options
OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*|--)(?![\w-])")
# A help line that defines an option: "  --name ARG   text" or "  --name  text"
HELP_ENTRY = re.compile(r"^\s+(--?[A-Za-z][\w-]*)(?:[ =](\S+))?(?:\s{2,}|$)")


def find_program(build_dir, name):
    path = os.path.join(build_dir, "meson-info", "intro-targets.json")
    with open(path) as f:
        targets = json.load(f)
    for target in targets:
        if target["type"] == "executable" and target["name"] == name:
            return target["filename"][0]
    return None


def help_options(exe):
    try:
        run = subprocess.run([exe, "--help"], stdin=subprocess.DEVNULL,
                             capture_output=True, text=True, timeout=30,
                             env=dict(os.environ, WAYLAND_DISPLAY="",
                                      WAYLAND_SOCKET=""))
    except subprocess.TimeoutExpired:
        sys.exit(f"{exe} --help did not exit within 30 s")
    if run.returncode != 0:
        sys.exit(f"{exe} --help exited with status {run.returncode}:\n"
                 f"{run.stdout}{run.stderr}")
    text = run.stdout + run.stderr
    takes_arg = {}
    for line in text.splitlines():
        entry = HELP_ENTRY.match(line)
        if entry:
            takes_arg[entry.group(1)] = entry.group(2) is not None
    return set(OPTION.findall(text)), takes_arg, text


def man_options(page):
    """Options named by the entry lines (not the descriptions) of OPTIONS,
    each with whether the entry shows an argument."""
    options = {}
    in_options = False
    with open(page) as f:
        for line in f:
            if line.startswith("#"):
                in_options = line.strip() == "# OPTIONS"
                continue
            if not in_options or not line.startswith("*"):
                continue
            entry = re.sub(r"[*_]", "", line).strip()
            names = OPTION.findall(entry)
            rest = OPTION.sub("", entry).replace(",", "").strip()
            for name in names:
                options[name] = rest != ""
    return options


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir")
    parser.add_argument("--program")
    parser.add_argument("--exe")
    parser.add_argument("page")
    args = parser.parse_args()

    exe = args.exe
    if exe is None:
        exe = find_program(args.build_dir, args.program)
        if exe is None:
            print(f"{args.program} is not part of this build yet: skipped")
            return 77

    man = man_options(args.page)
    if not man:
        sys.exit(f"{args.page}: no options found in its OPTIONS section")
    helped, help_args, text = help_options(exe)
    if not helped:
        sys.exit(f"{exe} --help names no options:\n{text}")

    status = 0
    for opt in sorted(helped - man.keys()):
        print(f"{opt}: in {os.path.basename(exe)} --help, not an entry of "
              f"OPTIONS in {os.path.basename(args.page)}")
        status = 1
    for opt in sorted(man.keys() - helped):
        print(f"{opt}: in OPTIONS of {os.path.basename(args.page)}, not in "
              f"{os.path.basename(exe)} --help")
        status = 1
    for opt in sorted(man.keys() & help_args.keys()):
        if opt != "--" and man[opt] != help_args[opt]:
            print(f"{opt}: takes an argument in "
                  f"{'the man page' if man[opt] else '--help'} only")
            status = 1
    if status == 0:
        print(f"{os.path.basename(exe)}: --help and the man page both name "
              + " ".join(sorted(man)))
    return status


if __name__ == "__main__":
    sys.exit(main())
