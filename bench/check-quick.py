#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# Runs sealshm-bench --quick and checks what it reports, never how fast:
# every workload printed in the documented format, the JSON complete with
# positive finite medians, the mmap counting shown to work (libwayland
# maps once per pool, so pool-per-buffer resizing must count at least one
# mapping per step), and the syscall counting too (strace -c on the churn
# servers: each side's table must hold the calls every pool needs).

import json
import math
import os
import re
import subprocess
import sys
import tempfile

LINE = re.compile(r'^(?P<name>[a-z0-9x-]+): (?P<a>[a-z_-]+) (?P<av>\S+) '
                  r'(?P<unit>\S+), (?P<b>[a-z_-]+) (?P<bv>\S+) (?P=unit), '
                  r'ratio (?P<r>\S+)$')
EXPECTED = [
    'frame-loop-256x256', 'frame-loop-1920x1080', 'frame-loop-3840x2160',
    'frame-loop-256x256-server-cpu', 'frame-loop-1920x1080-server-cpu',
    'frame-loop-3840x2160-server-cpu',
    'pool-churn-256x256', 'pool-churn-256x256-server-cpu',
    'pool-churn-256x256-mmaps', 'pool-churn-256x256-syscalls',
    'pool-churn-256x256-memfd-per-pool',
    'pool-churn-256x256-memfd-per-pool-server-cpu',
    'pool-churn-256x256-memfd-per-pool-mmaps',
    'pool-churn-256x256-memfd-per-pool-syscalls',
    'pool-churn-256x256-keep-previous',
    'pool-churn-256x256-keep-previous-server-cpu',
    'pool-churn-256x256-keep-previous-mmaps',
    'pool-churn-256x256-keep-previous-syscalls',
    'resize-helper-time', 'resize-helper-mmaps', 'resize-helper-peak-rss',
    'resize-pool-per-buffer-time', 'resize-pool-per-buffer-mmaps',
    'resize-pool-per-buffer-peak-rss',
    'resize-memfd-per-size-time', 'resize-memfd-per-size-mmaps',
    'resize-memfd-per-size-peak-rss',
    'composition-1920x1080', 'composition-1920x1080-pixman',
    'copy-tier-1920x1080', 'copy-tier-1920x1080-server-cpu',
    'copy-tier-1920x1080-damage-10pct',
    'copy-tier-1920x1080-damage-10pct-server-cpu',
    'copy-tier-keep-1920x1080', 'copy-tier-keep-1920x1080-server-cpu',
    'copy-tier-keep-1920x1080-damage-10pct',
    'copy-tier-keep-1920x1080-damage-10pct-server-cpu',
    'scale-10x3-rss', 'scale-10x3-mappings', 'scale-10x3-fds',
    'resize-revalidate',
]
QUICK_RESIZE_STEPS = 20
# A pool costs every server at least these, once per churn cycle: the fd
# arrives with recvmsg and is closed (or kept, then closed at the end).
POOL_SYSCALLS = ('recvmsg', 'close')


def fail(msg):
    print('FAIL: ' + msg)
    sys.exit(1)


def main():
    bench = [sys.argv[1]]
    # meson test --setup=valgrind wraps this script, not the bench: run
    # the bench (and so every forked server and client) under memcheck.
    if os.environ.get('SEALSHM_TEST_VALGRIND'):
        bench = ['valgrind', '--quiet', '--error-exitcode=3',
                 '--leak-check=full', '--errors-for-leak-kinds=definite',
                 '--track-fds=no'] + bench
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'bench.json')
        proc = subprocess.run(bench + ['--quick', '--json', path],
                              stdout=subprocess.PIPE, text=True)
        sys.stdout.write(proc.stdout)
        if proc.returncode != 0:
            fail('sealshm-bench exited with %d' % proc.returncode)
        with open(path) as f:
            data = json.load(f)

    printed = {}
    for line in proc.stdout.splitlines():
        if line.startswith('goal '):
            continue
        m = LINE.match(line)
        if not m:
            fail('line not in the documented format: %r' % line)
        printed[m.group('name')] = m
    for name in EXPECTED:
        if name not in printed:
            fail('workload %s not printed' % name)
    if printed['composition-1920x1080'].group('b') != 'memcpy':
        fail('composition must compare against memcpy')

    workloads = {w['name']: w for w in data['workloads']}
    for name in EXPECTED:
        w = workloads.get(name)
        if w is None:
            fail('workload %s missing from the JSON' % name)
        if not w['a_samples'] or not w['b_samples']:
            fail('%s has no samples' % name)
        for side in ('a_median', 'b_median'):
            v = w[side]
            if v is None or not math.isfinite(v) or v < 0:
                fail('%s %s is %r' % (name, side, v))
        if w['better'] not in ('higher', 'lower'):
            fail('%s: bad "better" %r' % (name, w['better']))
    for name in EXPECTED:
        if name.endswith('-mmaps') or name.startswith('scale-'):
            continue
        if name.endswith('-syscalls'):
            continue
        w = workloads[name]
        if w['a_median'] <= 0 or w['b_median'] <= 0:
            fail('%s: a measured rate or time is zero' % name)

    counted = workloads['resize-pool-per-buffer-mmaps-interposed']
    if counted['b_median'] < QUICK_RESIZE_STEPS:
        fail('the mmap interposer saw %r mappings of libwayland for %d '
             'pools' % (counted['b_median'], QUICK_RESIZE_STEPS))
    # sealshm counts its own mmap calls; the interposer must agree with it
    # to the call, or its libwayland numbers mean nothing.
    for variant in ('helper', 'pool-per-buffer', 'memfd-per-size'):
        own = workloads['resize-%s-mmaps' % variant]['a_samples']
        seen = workloads['resize-%s-mmaps-interposed' % variant]['a_samples']
        if own != seen:
            fail('resize-%s: sealshm counted %r map calls, the interposer '
                 '%r' % (variant, own, seen))
    # A pool per buffer reuses parked mappings on sealshm, but the first
    # pool of each trial is always mapped: a zero means nothing counted.
    ppb = workloads['resize-pool-per-buffer-mmaps']
    if min(ppb['a_samples']) < 1:
        fail('sealshm reported %r map calls for %d pools'
             % (ppb['a_samples'], QUICK_RESIZE_STEPS))

    # strace counted both servers: every churn's table is there, with the
    # calls a pool cannot do without, and its total is the printed line.
    tables = {t['name']: t for t in data.get('syscalls', [])}
    for name in EXPECTED:
        if not name.endswith('-syscalls'):
            continue
        t = tables.get(name)
        if t is None:
            fail('no syscall table for %s in the JSON' % name)
        for side, key in (('sealshm', 'a_median'), ('libwayland', 'b_median')):
            calls = t[side]
            for call in POOL_SYSCALLS:
                if not calls.get(call, 0) >= 1:
                    fail('%s: strace saw %r %s calls per cycle on %s'
                         % (name, calls.get(call), call, side))
            if abs(sum(calls.values()) - workloads[name][key]) > 1e-6:
                fail('%s: the %s table sums to %r, the line says %r'
                     % (name, side, sum(calls.values()),
                        workloads[name][key]))

    for g in data['goals']:
        if not isinstance(g['met'], bool) or not g['detail']:
            fail('malformed goal %r' % g)
    for key in ('nproc', 'cpu', 'kernel', 'libwayland', 'pixman'):
        if key not in data['machine']:
            fail('machine.%s missing' % key)
    print('bench output complete: %d workloads' % len(workloads))


main()
