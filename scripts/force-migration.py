#!/usr/bin/env python3
# force-migration.py: moves the threads of running test processes between
# CPUs every half millisecond, for a while, so that `ctest` run beside it
# shows which tests depend on a thread staying on one CPU (in cpu mode a
# migration sends the next call to another CPU's cpu slab and sheaves).
#
#   python3 scripts/force-migration.py 400 build &   cd build && ctest -j2
#
# It touches only processes whose executable lies under the build folder
# (or whose environment names libuslab, as LD_PRELOAD runs do), and only
# threads that may run on every CPU: a test that pins a thread keeps it.
# Not part of `make test`: a developer's tool for finding such tests.
import os, random, sys, time

seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 300
build = os.path.realpath(sys.argv[2] if len(sys.argv) > 2 else 'build')
cpus = os.sched_getaffinity(0)
end = time.time() + seconds


def ours(pid):
    try:
        if os.readlink(f'/proc/{pid}/exe').startswith(build + '/'):
            return True
        with open(f'/proc/{pid}/environ', 'rb') as f:
            return b'libuslab' in f.read()
    except OSError:
        return False


while time.time() < end:
    for pid in filter(str.isdigit, os.listdir('/proc')):
        if not ours(pid):
            continue
        try:
            tids = [int(t) for t in os.listdir(f'/proc/{pid}/task')]
        except OSError:
            continue
        for tid in tids:
            try:
                if os.sched_getaffinity(tid) != cpus:
                    continue
                os.sched_setaffinity(tid, {random.choice(sorted(cpus))})
                os.sched_setaffinity(tid, cpus)
            except OSError:
                pass
    time.sleep(0.0005)
