#!/usr/bin/env python3
"""Start-to-exit time of the built-in executor on a trivial task.

Usage: scripts/bench-executor-startup.py [BINARY] [RUNS]
(default .build/release/faultbench-executor, 300 runs). Each run is spawned
with posix_spawn, the task (a two-byte write-file) on standard input, in a
temporary directory on /dev/shm when there is one, and reaped with wait4, so
the figures are wall time and the child's CPU time (user + system).
"""
import os, statistics, sys, tempfile, time

binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/faultbench-executor")
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 300
base = "/dev/shm" if os.path.isdir("/dev/shm") else None
with tempfile.TemporaryDirectory(dir=base) as work:
    task = os.path.join(work, "task.json")
    with open(task, "w") as f:
        f.write('{"kind":"write-file","path":"t.txt","content":{"text":"hi"}}')
    os.chdir(work)  # the child inherits it: the task's path is relative
    for arm in ("off", "on"):
        walls, cpus = [], []
        for _ in range(runs):
            stdin, null = os.open(task, os.O_RDONLY), os.open("/dev/null", os.O_WRONLY)
            start = time.perf_counter()
            pid = os.posix_spawn(binary, [binary, arm], os.environ,
                                 file_actions=[(os.POSIX_SPAWN_DUP2, stdin, 0), (os.POSIX_SPAWN_DUP2, null, 1)])
            _, status, usage = os.wait4(pid, 0)
            walls.append(time.perf_counter() - start)
            cpus.append(usage.ru_utime + usage.ru_stime)
            os.close(stdin); os.close(null)
            if status != 0:
                sys.exit(f"{binary} {arm} exited with status {status}")
        walls.sort()
        print(f"{arm:3s}: wall median {statistics.median(walls)*1e3:5.1f} ms, p10 {walls[runs//10]*1e3:5.1f} ms;"
              f" CPU median {statistics.median(cpus)*1e3:5.1f} ms ({runs} runs)")
