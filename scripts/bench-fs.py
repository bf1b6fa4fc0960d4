#!/usr/bin/env python3
"""faultbench filesystem benchmark (`make bench-fs`).

A benchmark, not a test: it compares, in one run, three targets that sit
over directories of the same backing filesystem:

  native      the backing directory itself
  faultbench  `faultbench mount SRC MNT` (no rules unless --rules is given)
  bindfs      Debian's C FUSE passthrough, `bindfs -f -o big_writes SRC MNT`
  faultbench-daemon     optional (--with-daemon-row): `faultbench mount
              --no-passthrough`, so every read and write goes through the
              daemon, as on a mount with --control (where passthrough is off
              by default); the FUSE round trip that faultbench itself serves
  faultbench+100rules   optional (--with-rules-row): faultbench with a
              generated plan of 100 armed rules that match nothing; its
              paired ratio to faultbench (per repetition) is the A/B of
              idle rules, so run it with --repeat 9 or more
  targeted-all, targeted-write, targeted-files   optional
              (--with-targeted-rows): `faultbench mount --no-passthrough`
              with one rule on `**` that never fires (`probability: 0`), on
              every operation and on writes only: every file and directory
              is targeted; and idle rules on every operation of the files
              the workloads make (`*.dat`, `small-*/*`) but not of the
              directories above them, as a harness trial's rules name its
              files

The backing filesystem is a private tmpfs (mounted by this script at a temp
dir and unmounted afterwards) and/or a temp dir under /var/tmp (the disk).

Workloads (each repeated --repeat times, 5 by default; the targets are
interleaved round-robin: repetition r runs every target once, in an order
rotated by r):

  seq       write a file of 256 MiB in 1 MiB blocks with os.open/os.write:
            'write' = open + all writes + close, NO fsync (the figure is the
            speed at which a program hands data to the filesystem; on disk it
            is mostly page-cache speed).  Then, untimed: sync(), and drop the
            page cache (echo 3 > /proc/sys/vm/drop_caches).
            'read'  = first read of the file after the drop: cold for every
            target, i.e. every target has to fetch the data from the backing
            store (on tmpfs the backing pages cannot be dropped, so native
            reads memory while the FUSE targets lose their own cache and go
            through their daemon; on disk native reads the device).
            're-read' = a second read right after, with no drop: native reads
            its page cache; a FUSE target reads its kernel cache only if it
            keeps it (keep_cache), else it goes through its daemon again;
            faultbench in passthrough reads the backing file's page cache.
            Reads and writes use one page-aligned 1 MiB buffer, as dd, cat
            and fio do (see aligned_buffer()).
            With --no-drop-caches the first read is done without the drop.
  randread  fio, random 4 KiB reads (psync, buffered) of a
            64 MiB file that was written through the target beforehand
            (untimed); time based, 3 s each, two runs per repetition:
            'randread-4k' warm (the file is read once through the target,
            untimed, then invalidate=0 and a 1 s ramp; steady state: a
            target that caches serves from the kernel page cache) and
            'randread-cold' (invalidate=1, fio's default: the file's cache is
            dropped at each pass over it, so FUSE targets answer through
            their daemon while native-on-disk reads the device and
            native-on-tmpfs is unaffected).  Reported in IOPS.
  small     2,000 files: create + write 4 KiB + close each, stat each,
            unlink each, in a fresh directory; reported in files/s for the
            whole cycle (phase times are kept in the JSON).

Output: a table on stdout (median and min-max per target, and the ratios of
medians faultbench/bindfs and faultbench/native; higher is better
everywhere) and results/fs-bench.json, written atomically.

Every mount the script makes (tmpfs, FUSE) is undone in a finally block, also
on SIGINT/SIGTERM/SIGHUP; FUSE daemons are started with PR_SET_PDEATHSIG so
that they unmount themselves if this script is killed outright.

bindfs: Debian 12 ships bindfs 1.14.7 built on libfuse 2.9, where big_writes
is a real option (without it every write is cut to 4 KiB); it mounts with it
and says nothing.  As root bindfs adds allow_other and default_permissions,
as faultbench does.

The machine's load average and CPU/IO pressure are recorded at the start and
the end, with a warning when other work is running: on a 2-core machine a
concurrent build changes every figure, and FUSE daemons that busy-poll suffer
most.

Only the Python standard library is used; fio and bindfs are external tools.
"""

from __future__ import annotations

import argparse
import ctypes
import datetime as _dt
import hashlib
import json
import mmap
import os
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MiB = 1024 * 1024
MOUNT_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0

# ---------------------------------------------------------------- utilities


class BenchError(Exception):
    """An error with a clear message for the user; exit code 1."""


class Interrupted(BaseException):
    """Raised by the signal handler so that every finally block runs."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run(cmd: list[str], check: bool = True, timeout: float | None = 60,
        **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=check, timeout=timeout, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def run_group(cmd: list[str], timeout: float) -> subprocess.CompletedProcess:
    """Run a command in a process group of its own and, if anything goes
    wrong (timeout, Ctrl-C), kill that whole group: fio forks its jobs, and
    an orphaned job would keep a file open under a mount."""
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True,
                         start_new_session=True, preexec_fn=_set_pdeathsig)
    try:
        out, err = p.communicate(timeout=timeout)
    except BaseException:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()
        raise
    return subprocess.CompletedProcess(cmd, p.returncode, out, err)


def cmd_output(cmd: list[str]) -> str | None:
    try:
        p = run(cmd, check=False, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    out = (p.stdout or "") + (p.stderr or "")
    return out.strip() or None


def _unescape_mount_field(s: str) -> str:
    # /proc/self/mounts escapes space, tab, newline and backslash as \ooo.
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\" and i + 4 <= len(s) and s[i + 1:i + 4].isdigit():
            out.append(chr(int(s[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def read_mounts() -> list[tuple[str, str, str]]:
    """(source, mountpoint, fstype) of every mount visible to this process."""
    res = []
    with open("/proc/self/mounts", "r", encoding="utf-8",
              errors="surrogateescape") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3:
                res.append((_unescape_mount_field(parts[0]),
                            _unescape_mount_field(parts[1]), parts[2]))
    return res


def mount_entry(mountpoint: str) -> tuple[str, str, str] | None:
    """The last (topmost) mount at exactly this mountpoint, or None."""
    mp = os.path.realpath(mountpoint)
    found = None
    for ent in read_mounts():
        if ent[1] == mp:
            found = ent
    return found


def mounts_under(root: str) -> list[str]:
    root = os.path.realpath(root)
    return [m for (_, m, _) in read_mounts()
            if m == root or m.startswith(root + "/")]


def fs_type(path: str) -> dict:
    """The backing filesystem type, as `stat -f` and /proc/self/mounts say."""
    info = {"stat_f": cmd_output(["stat", "-f", "-c", "%T", path])}
    best = ""
    rp = os.path.realpath(path)
    for (src, mp, typ) in read_mounts():
        if (rp == mp or rp.startswith(mp.rstrip("/") + "/")) and len(mp) >= len(best):
            best, info["mounts"], info["source"] = mp, typ, src
    info["mountpoint"] = best
    return info


_libc = None


def _set_pdeathsig() -> None:
    """preexec_fn: the child gets SIGTERM if this script dies."""
    global _libc
    try:
        if _libc is None:
            _libc = ctypes.CDLL(None, use_errno=True)
        _libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def pid_alive(proc: subprocess.Popen) -> bool:
    return proc.poll() is None


def fusermount_unmount(mountpoint: str) -> None:
    """Unmount a FUSE mount: fusermount3 -u, then lazily (-z) if busy."""
    if mount_entry(mountpoint) is None:
        return
    for args in (["-u"], ["-u", "-z"]):
        tool = shutil.which("fusermount3") or shutil.which("fusermount")
        if tool:
            p = run([tool, *args, mountpoint], check=False, timeout=30)
            if mount_entry(mountpoint) is None:
                return
            log(f"bench-fs: {' '.join([tool, *args, mountpoint])}: "
                f"{(p.stderr or '').strip()}")
    # Last resort (root): umount -l
    run(["umount", "-l", mountpoint], check=False, timeout=30)
    if mount_entry(mountpoint) is not None:
        log(f"bench-fs: WARNING: could not unmount {mountpoint}")


# ------------------------------------------------------------- cleanups


class Cleanups:
    """A stack of cleanup actions, run in reverse order, each exactly once,
    with SIGINT/SIGTERM/SIGHUP held off while they run."""

    def __init__(self) -> None:
        self._stack: list[tuple[str, object]] = []

    def push(self, desc: str, fn) -> object:
        token = (desc, fn)
        self._stack.append(token)
        return token

    def run_one(self, token) -> None:
        if token in self._stack:
            self._stack.remove(token)
            self._call(token)

    @staticmethod
    def _call(token) -> None:
        desc, fn = token
        old = {s: signal.signal(s, signal.SIG_IGN)
               for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        try:
            fn()
        except BaseException as e:  # keep cleaning up
            log(f"bench-fs: cleanup '{desc}' failed: {e!r}")
        finally:
            for s, h in old.items():
                signal.signal(s, h)

    def run_all(self) -> None:
        while self._stack:
            self._call(self._stack.pop())


CLEANUPS = Cleanups()


def _on_signal(signum, frame):
    raise Interrupted(signum)


# ---------------------------------------------------------------- targets


@dataclass
class Target:
    name: str
    kind: str                 # native | faultbench | bindfs
    root: str                 # where workloads run (dir or mountpoint)
    backing: str = ""         # for FUSE targets: the source directory
    optional: bool = False
    cmd: list[str] = field(default_factory=list)
    proc: subprocess.Popen | None = None
    logfile: str = ""
    mount_type: str = ""
    mounted_line_seen: bool | None = None
    stop_rc: int | None = None
    failed: str | None = None
    notes: list[str] = field(default_factory=list)
    _token: object = None

    # -- lifecycle
    def start(self) -> None:
        if self.kind == "native":
            os.makedirs(self.root, exist_ok=True)
            return
        os.makedirs(self.backing, exist_ok=True)
        os.makedirs(self.root, exist_ok=True)
        if mount_entry(self.root) is not None:
            raise BenchError(f"{self.root} is already a mount point")
        self._token = CLEANUPS.push(f"stop {self.name} at {self.root}", self.stop)
        lf = open(self.logfile, "wb")
        try:
            self.proc = subprocess.Popen(
                self.cmd, stdin=subprocess.DEVNULL, stdout=lf, stderr=lf,
                start_new_session=True, preexec_fn=_set_pdeathsig)
        except OSError as e:
            raise BenchError(f"{self.name}: cannot start {self.cmd[0]}: {e}")
        finally:
            lf.close()
        deadline = time.monotonic() + MOUNT_TIMEOUT
        while True:
            ent = mount_entry(self.root)
            if ent is not None and ent[2].startswith("fuse"):
                self.mount_type = ent[2]
                break
            if self.proc.poll() is not None:
                raise BenchError(
                    f"{self.name}: `{shlex.join(self.cmd)}` exited with status "
                    f"{self.proc.returncode} before {self.root} appeared in "
                    f"/proc/self/mounts; its output:\n{self.output_tail()}")
            if time.monotonic() > deadline:
                raise BenchError(
                    f"{self.name}: {self.root} did not appear in "
                    f"/proc/self/mounts within {MOUNT_TIMEOUT:.0f} s after "
                    f"`{shlex.join(self.cmd)}`; its output so far:\n"
                    f"{self.output_tail()}")
            time.sleep(0.02)
        # The mount is in the table; make sure it answers.
        try:
            os.listdir(self.root)
            os.statvfs(self.root)
        except OSError as e:
            raise BenchError(f"{self.name}: mounted at {self.root} but not "
                             f"usable: {e}; output:\n{self.output_tail()}")
        if self.kind == "faultbench":
            expect = "fuse.faultbench"
            if self.mount_type != expect:
                self.notes.append(f"mount type is {self.mount_type}, "
                                  f"expected {expect}")
            # The contract: "faultbench: mounted BACKING at MOUNTPOINT" on
            # stdout once mounted.  Give it a moment; only a note if absent.
            want = "faultbench: mounted"
            t_end = time.monotonic() + 2.0
            self.mounted_line_seen = False
            while time.monotonic() < t_end:
                if want in self.output_tail(64 * 1024):
                    self.mounted_line_seen = True
                    break
                time.sleep(0.05)
            if not self.mounted_line_seen:
                self.notes.append("no 'faultbench: mounted' line on stdout")
        for n in self.notes:
            log(f"bench-fs: note: {self.name}: {n}")

    def output_tail(self, limit: int = 4000) -> str:
        try:
            with open(self.logfile, "rb") as f:
                data = f.read()
            return data[-limit:].decode("utf-8", "replace").rstrip() or "(none)"
        except OSError:
            return "(none)"

    def stop(self) -> None:
        if self.kind == "native":
            return
        p = self.proc
        signalled = False
        if p is not None and p.poll() is None:
            signalled = True
            if self.kind == "faultbench":
                # Contract: SIGTERM -> unmount and exit 0.
                p.send_signal(signal.SIGTERM)
            else:
                fusermount_unmount(self.root)
            try:
                p.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                log(f"bench-fs: {self.name} (pid {p.pid}) did not exit within "
                    f"{STOP_TIMEOUT:.0f} s; unmounting and killing it")
        fusermount_unmount(self.root)
        if p is not None and p.poll() is None:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        if p is not None:
            self.stop_rc = p.returncode
            if (signalled and self.kind == "faultbench"
                    and p.returncode not in (0, None)):
                self.notes.append(f"exited with status {p.returncode} on SIGTERM "
                                  f"(contract: 0)")
                log(f"bench-fs: note: {self.name}: exited with status "
                    f"{p.returncode} after SIGTERM; output:\n{self.output_tail(1500)}")
        self.proc = None

    def close(self) -> None:
        if self._token is not None:
            CLEANUPS.run_one(self._token)
            self._token = None

    def check_alive(self) -> None:
        if self.kind != "native":
            if self.proc is None or self.proc.poll() is not None:
                raise BenchError(f"{self.name}: daemon exited (status "
                                 f"{self.proc.returncode if self.proc else '?'}); "
                                 f"output:\n{self.output_tail()}")
            if mount_entry(self.root) is None:
                raise BenchError(f"{self.name}: {self.root} is no longer mounted")


# ---------------------------------------------------------------- workloads


def drop_caches() -> bool:
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


def aligned_buffer(content: bytes) -> memoryview:
    """A page-aligned buffer holding `content`, as dd, cat, cp and fio use.

    Python's bytes and bytearray start 16 bytes into a page, and the kernel
    copies into or out of such a buffer about 4x slower on this machine
    (read(2) of a cached 256 MiB tmpfs file into a 1 MiB buffer: 2.3 GB/s
    at a 16-byte offset, 8.6 GB/s page-aligned).  That copy is the same for
    every target, so a misaligned buffer caps all of them near 2.3 GB/s and
    hides the differences the benchmark exists to show."""
    buf = mmap.mmap(-1, len(content))
    buf[:] = content
    return memoryview(buf)


def write_file(path: str, size: int, block) -> float:
    bs = len(block)
    t0 = time.perf_counter()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        left = size
        mv = memoryview(block)
        while left > 0:
            chunk = mv[:min(bs, left)]
            while len(chunk):
                n = os.write(fd, chunk)
                chunk = chunk[n:]
            left -= min(bs, left)
    finally:
        os.close(fd)
    return time.perf_counter() - t0


def read_file(path: str, size: int, bs: int, buf) -> float:
    mv = memoryview(buf)[:bs]
    t0 = time.perf_counter()
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    total = 0
    try:
        while True:
            n = os.readv(fd, [mv])
            if n == 0:
                break
            total += n
    finally:
        os.close(fd)
    dt = time.perf_counter() - t0
    if total != size:
        raise BenchError(f"read {total} bytes of {path}, expected {size}")
    return dt


def wl_seq(t: Target, cfg, rep: int, bufs) -> dict:
    block, rbuf = bufs
    path = os.path.join(t.root, "seq.dat")
    size = cfg.seq_size
    mib = size / MiB
    try:
        w = write_file(path, size, block)
        dropped = drop_caches() if cfg.drop_caches else (os.sync() or False)
        r1 = read_file(path, size, cfg.seq_block, rbuf)
        r2 = read_file(path, size, cfg.seq_block, rbuf)
    finally:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        os.sync()
    return {
        "seq-write": (mib / w, {"seconds": w}),
        "seq-read": (mib / r1, {"seconds": r1, "caches_dropped": dropped}),
        "seq-reread": (mib / r2, {"seconds": r2}),
    }


def prepare_randread(t: Target, cfg, bufs) -> None:
    block, _ = bufs
    write_file(os.path.join(t.root, "rand.dat"), cfg.rand_size, block)


def _fio_randread(t: Target, cfg, path: str, invalidate: int, ramp: int) -> tuple:
    cmd = ["fio", "--name=randread", f"--filename={path}", "--rw=randread",
           "--bs=4k", f"--size={cfg.rand_size // MiB}m",
           f"--runtime={cfg.fio_runtime}", f"--ramp_time={ramp}",
           "--time_based", "--ioengine=psync", "--direct=0",
           f"--invalidate={invalidate}", "--numjobs=1", "--output-format=json"]
    p = run_group(cmd, timeout=cfg.fio_runtime + ramp + 120)
    if p.returncode != 0:
        raise BenchError(f"fio failed on {t.name} (status {p.returncode}): "
                         f"{p.stderr.strip()[-2000:]}\ncommand: {shlex.join(cmd)}")
    out = p.stdout
    try:
        data = json.loads(out[out.index("{"):])
        job = data["jobs"][0]
        if job.get("error"):
            raise BenchError(f"fio job error {job['error']} on {t.name}")
        rd = job["read"]
        clat = rd.get("clat_ns", {})
        pct = clat.get("percentile", {})
        extra = {
            "iops": rd["iops"], "bw_kib_s": rd["bw"], "ios": rd.get("total_ios"),
            "runtime_ms": rd.get("runtime"), "invalidate": invalidate,
            "ramp_s": ramp,
            "clat_mean_us": clat.get("mean", 0) / 1000,
            "clat_p50_us": pct.get("50.000000", 0) / 1000,
            "clat_p99_us": pct.get("99.000000", 0) / 1000,
        }
    except (ValueError, KeyError, IndexError, TypeError) as e:
        raise BenchError(f"cannot parse fio JSON output on {t.name}: {e!r}; "
                         f"stdout starts: {out[:500]!r}")
    return rd["iops"], extra


def wl_randread(t: Target, cfg, rep: int, bufs) -> dict:
    """Two fio runs on the same file.

    warm: invalidate=0 and a ramp, i.e. steady state with whatever the
          target keeps in the kernel page cache (every target caches here).
    cold: invalidate=1 (fio's default): fio drops the file's page cache
          (POSIX_FADV_DONTNEED) each time it starts a pass over the file, so
          a FUSE target answers most reads through its daemon (whose backing
          file stays cached), while native on disk reads the device and
          native on tmpfs is unaffected (tmpfs pages cannot be dropped)."""
    path = os.path.join(t.root, "rand.dat")
    os.sync()
    # Untimed: read the file once through the target, so that the warm run
    # starts warm whatever the previous cold run (or drop) left behind.
    read_file(path, cfg.rand_size, cfg.seq_block, bufs[1])
    warm = _fio_randread(t, cfg, path, 0, cfg.fio_ramp)
    cold = _fio_randread(t, cfg, path, 1, 0)
    return {"randread-4k": warm, "randread-cold": cold}


def wl_small(t: Target, cfg, rep: int, bufs) -> dict:
    n = cfg.small_count
    data = bufs[0][:4096]
    d = os.path.join(t.root, f"small-{rep}")
    os.mkdir(d)
    os.sync()  # untimed: do not charge this run for earlier dirty data
    names = [os.path.join(d, f"f{i:05d}") for i in range(n)]
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    try:
        t0 = time.perf_counter()
        for p in names:
            fd = os.open(p, flags, 0o644)
            try:
                if os.write(fd, data) != len(data):
                    raise BenchError(f"short write on {p}")
            finally:
                os.close(fd)
        t1 = time.perf_counter()
        for p in names:
            if os.stat(p).st_size != len(data):
                raise BenchError(f"{p}: wrong size after write")
        t2 = time.perf_counter()
        for p in names:
            os.unlink(p)
        t3 = time.perf_counter()
    finally:
        shutil.rmtree(d, ignore_errors=True)
    total = t3 - t0
    return {"small-files": (n / total, {
        "seconds": total, "create_write_s": t1 - t0, "stat_s": t2 - t1,
        "unlink_s": t3 - t2})}


WORKLOADS = {
    # name: (function, prepare function or None, metrics with units)
    "seq": (wl_seq, None, [("seq-write", "MiB/s"), ("seq-read", "MiB/s"),
                           ("seq-reread", "MiB/s")]),
    "randread": (wl_randread, prepare_randread, [("randread-4k", "IOPS"),
                                                 ("randread-cold", "IOPS")]),
    "small": (wl_small, None, [("small-files", "files/s")]),
}


# ---------------------------------------------------------------- setup


def make_rules_plan(path: str, n: int = 100) -> None:
    """A plan of n armed rules that match nothing (paths nomatch/N/**), in
    the format of FaultEngine's PlanParser: `seed`, `rules:` items with
    `name`, `fault`, `path`, `ops`, `errno`."""
    ops = ("lookup, getattr, open, create, read, write, flush, release, "
           "unlink, mkdir, readdir")
    lines = ["# generated by scripts/bench-fs.py: armed rules that never match",
             "seed: 1", "rules:"]
    for i in range(n):
        lines += [f"  - name: nomatch-{i}",
                  "    fault: errno",
                  "    errno: EIO",
                  f"    path: \"nomatch/{i}/**\"",
                  f"    ops: [{ops}]"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def make_targeted_plan(path: str, ops: str | None, globs: tuple[str, ...] = ("**",)) -> None:
    """Idle rules that never fire on `globs`: the paths they match are
    targeted (direct I/O where a rule acts on reads or writes, the engine
    asked on every call the rules' operations name), but nothing is
    injected."""
    lines = ["# generated by scripts/bench-fs.py: idle rules on " + ", ".join(globs),
             "seed: 1", "rules:"]
    for i, glob in enumerate(globs):
        lines += [f"  - name: idle{i}", "    fault: errno", "    errno: EIO",
                  f"    path: \"{glob}\"", "    probability: 0"]
        if ops:
            lines.append(f"    ops: [{ops}]")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


# The files each workload makes (seq.dat, rand.dat, small-N/fNNNNN) and no
# directory: a harness trial's rules name its files, not the directories
# above them.
FILE_GLOBS = ("*.dat", "small-*/*")


def build_targets(args, backing_name: str, base: str, mnt_root: str,
                  workdir: str) -> list[Target]:
    targets: list[Target] = []
    want = args.targets
    if "native" in want:
        targets.append(Target("native", "native", os.path.join(base, "native")))

    def fb_cmd(src: str, mp: str, plan: str | None) -> list[str]:
        if args.faultbench_cmd:
            return [a.format(backing=src, mountpoint=mp)
                    for a in shlex.split(args.faultbench_cmd)]
        cmd = [args.binary, "mount"]
        if plan:
            cmd += ["--plan", plan]
        return cmd + shlex.split(args.fb_args or "") + [src, mp]

    if "faultbench" in want:
        src = os.path.join(base, "src-faultbench")
        mp = os.path.join(mnt_root, f"{backing_name}-faultbench")
        targets.append(Target("faultbench", "faultbench", mp, backing=src,
                              cmd=fb_cmd(src, mp, args.rules),
                              logfile=os.path.join(workdir, f"{backing_name}-faultbench.log")))
    if "bindfs" in want:
        src = os.path.join(base, "src-bindfs")
        mp = os.path.join(mnt_root, f"{backing_name}-bindfs")
        targets.append(Target("bindfs", "bindfs", mp, backing=src,
                              cmd=["bindfs", "-f", "-o", "big_writes", src, mp],
                              logfile=os.path.join(workdir, f"{backing_name}-bindfs.log")))
    if args.with_daemon_row:
        src = os.path.join(base, "src-faultbench-daemon")
        mp = os.path.join(mnt_root, f"{backing_name}-faultbench-daemon")
        cmd = fb_cmd(src, mp, args.rules)
        targets.append(Target("faultbench-daemon", "faultbench", mp, backing=src,
                              optional=True, cmd=cmd[:2] + ["--no-passthrough"] + cmd[2:],
                              logfile=os.path.join(workdir, f"{backing_name}-faultbench-daemon.log")))
    if args.with_rules_row:
        plan = os.path.join(workdir, "plan-100-nomatch.yaml")
        if not os.path.exists(plan):
            make_rules_plan(plan)
        src = os.path.join(base, "src-faultbench-rules")
        mp = os.path.join(mnt_root, f"{backing_name}-faultbench-rules")
        targets.append(Target("faultbench+100rules", "faultbench", mp, backing=src,
                              optional=True, cmd=fb_cmd(src, mp, plan),
                              logfile=os.path.join(workdir, f"{backing_name}-faultbench-rules.log")))
    if args.with_targeted_rows:
        for name, ops, globs in (("targeted-all", None, ("**",)), ("targeted-write", "write", ("**",)),
                                 ("targeted-files", None, FILE_GLOBS)):
            plan = os.path.join(workdir, f"plan-{name}.yaml")
            if not os.path.exists(plan):
                make_targeted_plan(plan, ops, globs)
            src = os.path.join(base, f"src-{name}")
            mp = os.path.join(mnt_root, f"{backing_name}-{name}")
            cmd = fb_cmd(src, mp, plan)
            targets.append(Target(name, "faultbench", mp, backing=src, optional=True,
                                  cmd=cmd[:2] + ["--no-passthrough"] + cmd[2:],
                                  logfile=os.path.join(workdir, f"{backing_name}-{name}.log")))
    return targets


def mount_tmpfs(path: str, size_bytes: int) -> object:
    os.makedirs(path, exist_ok=True)
    size_mib = max(64, size_bytes // MiB)
    p = run(["mount", "-t", "tmpfs", "-o", f"size={size_mib}m,mode=0755",
             "faultbench-bench", path], check=False)
    if p.returncode != 0:
        raise BenchError(f"cannot mount a tmpfs at {path}: {p.stderr.strip()} "
                         f"(this needs root)")
    run(["mount", "--make-private", path], check=False)

    def undo():
        p = run(["umount", path], check=False)
        if p.returncode != 0 and mount_entry(path) is not None:
            log(f"bench-fs: umount {path}: {p.stderr.strip()}; lazy unmount")
            run(["umount", "-l", path], check=False)
    return CLEANUPS.push(f"unmount tmpfs {path}", undo)


def run_backing(args, cfg, backing_name: str, run_root: str, bufs,
                results: list, backing_info: dict) -> None:
    base = os.path.join(run_root, backing_name)
    os.makedirs(base, exist_ok=True)
    token = None
    if backing_name == "tmpfs":
        ntargets = (len(args.targets) + int(args.with_rules_row) + int(args.with_daemon_row)
                    + 3 * int(args.with_targeted_rows))
        need = cfg.seq_size + ntargets * cfg.rand_size + ntargets * cfg.small_count * 8192
        token = mount_tmpfs(base, int(need * 1.5) + 128 * MiB)
    try:
        _run_backing(args, cfg, backing_name, run_root, base, bufs, results,
                     backing_info)
    finally:
        if token is not None:
            CLEANUPS.run_one(token)


def _run_backing(args, cfg, backing_name: str, run_root: str, base: str, bufs,
                 results: list, backing_info: dict) -> None:
    mnt_root = os.path.join(run_root, "mnt")
    os.makedirs(mnt_root, exist_ok=True)
    info = fs_type(base)
    backing_info[backing_name] = {"path": base, **info}
    log(f"bench-fs: backing {backing_name}: {base} "
        f"(stat -f: {info.get('stat_f')}, mount type: {info.get('mounts')})")

    targets = build_targets(args, backing_name, base, mnt_root, run_root)
    try:
        for t in targets:
            try:
                t.start()
                log(f"bench-fs:   {t.name}: {t.root}"
                    + (f" ({t.mount_type}, pid {t.proc.pid})" if t.proc else ""))
            except BenchError as e:
                if not t.optional:
                    raise
                t.failed = str(e)
                log(f"bench-fs: optional target {t.name} failed, skipped: {e}")
                t.close()
        live = [t for t in targets if t.failed is None]
        for wname in cfg.workloads:
            fn, prep, metrics = WORKLOADS[wname]
            if prep:
                for t in list(live):
                    try:
                        prep(t, cfg, bufs)
                    except (OSError, BenchError) as e:
                        _target_failed(t, live, f"{wname} preparation: {e}")
            for rep in range(cfg.repeat):
                k = rep % len(live) if live else 0
                order = live[k:] + live[:k]
                for pos, t in enumerate(order):
                    if t not in live:
                        continue
                    t0 = time.monotonic()
                    try:
                        t.check_alive()
                        res = fn(t, cfg, rep, bufs)
                    except (OSError, BenchError) as e:
                        _target_failed(t, live, f"{wname} rep {rep}: {e}")
                        continue
                    for metric, (value, extra) in res.items():
                        results.append({
                            "backing": backing_name, "workload": wname,
                            "metric": metric, "target": t.name, "rep": rep,
                            "position": pos, "value": value, "extra": extra})
                    vals = ", ".join(f"{m} {v:,.1f}" for m, (v, _) in res.items())
                    log(f"bench-fs:   [{backing_name}] {wname} rep {rep + 1}/"
                        f"{cfg.repeat} {t.name:<20} {vals}  "
                        f"({time.monotonic() - t0:.1f} s)")
            if prep:
                for t in live:
                    try:
                        os.unlink(os.path.join(t.root, "rand.dat"))
                    except OSError:
                        pass
    finally:
        for t in reversed(targets):
            t.close()
        for t in targets:
            backing_info[backing_name].setdefault("targets", {})[t.name] = {
                "root": t.root, "command": t.cmd or None,
                "mount_type": t.mount_type or None,
                "mounted_line_seen": t.mounted_line_seen,
                "exit_status_after_stop": t.stop_rc,
                "failed": t.failed, "notes": t.notes,
                "output_tail": t.output_tail(2000) if t.logfile else None}


def _target_failed(t: Target, live: list, why: str) -> None:
    if not t.optional:
        raise BenchError(f"{t.name}: {why}")
    t.failed = why
    log(f"bench-fs: optional target {t.name} failed, dropped: {why}")
    if t in live:
        live.remove(t)
    t.close()


# ---------------------------------------------------------------- report


def load_facts() -> dict:
    """How busy the machine is: other work skews every figure."""
    facts = {}
    try:
        with open("/proc/loadavg") as f:
            facts["loadavg"] = f.read().split()[:3]
    except OSError:
        pass
    for res in ("cpu", "io"):
        try:
            with open(f"/proc/pressure/{res}") as f:
                facts[f"pressure_{res}_some"] = f.readline().strip()
        except OSError:
            pass
    return facts


def warn_if_busy(when: str) -> dict:
    facts = load_facts()
    try:
        load1 = float(facts["loadavg"][0])
    except (KeyError, IndexError, ValueError):
        return facts
    if load1 > 0.5 * (os.cpu_count() or 1):
        log(f"bench-fs: WARNING: load average {load1:.2f} {when} on "
            f"{os.cpu_count()} CPUs: other work is running, the figures will "
            f"be noisy and skewed")
    return facts


def machine_facts(args) -> dict:
    cpu = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = None
    try:
        with open("/proc/meminfo") as f:
            mem = f.readline().split(":", 1)[1].strip()
    except OSError:
        pass
    git = lambda *a: cmd_output(["git", "-C", str(REPO), *a])
    binary = {"path": args.binary, "exists": os.path.exists(args.binary)}
    if binary["exists"]:
        st = os.stat(args.binary)
        binary["mtime"] = _dt.datetime.fromtimestamp(
            st.st_mtime, _dt.timezone.utc).isoformat()
        h = hashlib.sha256()
        with open(args.binary, "rb") as f:
            for chunk in iter(lambda: f.read(MiB), b""):
                h.update(chunk)
        binary["sha256"] = h.hexdigest()
    return {
        "kernel": platform.release(),
        "os": cmd_output(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
        "cpu_model": cpu,
        "nproc": os.cpu_count(),
        "mem_total": mem,
        "python": platform.python_version(),
        "libfuse3": cmd_output(["pkg-config", "--modversion", "fuse3"])
                    or cmd_output(["dpkg-query", "-W", "-f", "${Version}", "libfuse3-3"]),
        "libfuse2_used_by_bindfs": cmd_output(["dpkg-query", "-W", "-f", "${Version}", "libfuse2"]),
        "fusermount3": cmd_output(["fusermount3", "--version"]),
        "bindfs": cmd_output(["bindfs", "--version"]),
        "fio": cmd_output(["fio", "--version"]),
        "faultbench_git_commit": git("rev-parse", "HEAD"),
        # results/ is this script's output: a rerun over an earlier result
        # is still a run of the committed code.
        "faultbench_git_dirty": bool(git("status", "--porcelain", "--untracked-files=no",
                                         "--", ".", ":(exclude)results")),
        "faultbench_binary": binary,
        "faultbench_command": args.faultbench_cmd,
    }


def summarize(results: list, targets_order: list[str]) -> list[dict]:
    groups: dict[tuple, dict[str, list[float]]] = {}
    by_rep: dict[tuple, dict[int, dict[str, float]]] = {}
    for r in results:
        groups.setdefault((r["backing"], r["metric"]), {}).setdefault(
            r["target"], []).append(r["value"])
        by_rep.setdefault((r["backing"], r["metric"]), {}).setdefault(
            r["rep"], {})[r["target"]] = r["value"]
    out = []
    for (backing, metric), per in groups.items():
        row = {"backing": backing, "metric": metric, "targets": {}}
        for tname in targets_order:
            vals = per.get(tname)
            if not vals:
                continue
            row["targets"][tname] = {
                "n": len(vals), "median": statistics.median(vals),
                "min": min(vals), "max": max(vals),
                "mean": statistics.fmean(vals),
                "stdev": statistics.stdev(vals) if len(vals) > 1 else 0.0}
        med = {k: v["median"] for k, v in row["targets"].items()}

        def ratio(a, b):
            return med[a] / med[b] if a in med and b in med and med[b] else None
        row["ratios"] = {
            "faultbench/bindfs": ratio("faultbench", "bindfs"),
            "faultbench/native": ratio("faultbench", "native"),
            "bindfs/native": ratio("bindfs", "native"),
            "faultbench+100rules/faultbench": ratio("faultbench+100rules", "faultbench"),
            "faultbench-daemon/bindfs": ratio("faultbench-daemon", "bindfs"),
            "targeted-all/bindfs": ratio("targeted-all", "bindfs"),
            "targeted-write/bindfs": ratio("targeted-write", "bindfs"),
            "targeted-files/bindfs": ratio("targeted-files", "bindfs"),
        }
        # Paired: the ratio within each repetition, whose targets ran one
        # right after the other. When the backing's speed drifts during the
        # run (on this VM's ext4, file creation swings between 30 µs and
        # 1 ms), a ratio of medians can pair a fast run of one target with
        # a slow run of another; the per-repetition ratios do not.
        row["paired_ratios"] = {}
        for a, b in (("faultbench", "bindfs"), ("faultbench", "native"),
                     ("faultbench-daemon", "bindfs"), ("faultbench+100rules", "faultbench"),
                     ("targeted-all", "bindfs"), ("targeted-write", "bindfs"),
                     ("targeted-files", "bindfs")):
            pairs = [v[a] / v[b] for v in by_rep[(backing, metric)].values()
                     if a in v and b in v and v[b]]
            if pairs:
                row["paired_ratios"][f"{a}/{b}"] = {
                    "median": statistics.median(pairs), "min": min(pairs),
                    "max": max(pairs), "n": len(pairs)}
        out.append(row)
    return out


def fmt_num(v: float) -> str:
    if v >= 100000:
        return f"{v / 1000:,.0f}k"
    if v >= 1000:
        return f"{v:,.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def print_table(summary: list[dict], units: dict, targets_order: list[str],
                backing_info: dict, backings: list[str]) -> None:
    tcols = [t for t in targets_order
             if any(t in row["targets"] for row in summary)]
    rcols = ["faultbench/bindfs", "faultbench/native"]
    if "faultbench+100rules" in tcols:
        rcols.append("faultbench+100rules/faultbench")
    if "faultbench-daemon" in tcols:
        rcols.append("faultbench-daemon/bindfs")
    for t in ("targeted-all", "targeted-write", "targeted-files"):
        if t in tcols:
            rcols.append(f"{t}/bindfs")
    rlabel = {"faultbench/bindfs": "fb/bindfs", "faultbench/native": "fb/native",
              "faultbench+100rules/faultbench": "fb100/fb",
              "faultbench-daemon/bindfs": "daemon/bindfs",
              "targeted-all/bindfs": "tall/bindfs", "targeted-write/bindfs": "twr/bindfs",
              "targeted-files/bindfs": "tfiles/bindfs"}
    w_metric, w_unit, w_t, w_r = 11, 7, 25, 13
    print()
    print("Higher is better. Cells: median (min-max); ratios are of medians.")
    for backing in backings:
        rows = [r for r in summary if r["backing"] == backing]
        if not rows:
            continue
        bi = backing_info.get(backing, {})
        print()
        print(f"backing: {backing}  ({bi.get('path')}; stat -f: {bi.get('stat_f')}; "
              f"mount type: {bi.get('mounts')})")
        head = f"{'workload':<{w_metric}} {'unit':<{w_unit}}" + "".join(
            f" {t:>{w_t}}" for t in tcols) + "".join(
            f" {rlabel[r]:>{w_r}}" for r in rcols)
        print(head)
        print("-" * len(head))
        order = [m for w in WORKLOADS.values() for (m, _) in w[2]]
        rows.sort(key=lambda r: order.index(r["metric"]))
        for r in rows:
            line = f"{r['metric']:<{w_metric}} {units[r['metric']]:<{w_unit}}"
            for t in tcols:
                s = r["targets"].get(t)
                cell = (f"{fmt_num(s['median'])} ({fmt_num(s['min'])}-{fmt_num(s['max'])})"
                        if s else "-")
                line += f" {cell:>{w_t}}"
            for rc in rcols:
                v = r["ratios"].get(rc)
                line += f" {(f'{v:.2f}' if v is not None else '-'):>{w_r}}"
            print(line)
        for key in ("faultbench/bindfs", "faultbench+100rules/faultbench",
                    "targeted-all/bindfs", "targeted-write/bindfs", "targeted-files/bindfs"):
            paired = [(r["metric"], r["paired_ratios"][key]) for r in rows
                      if key in r.get("paired_ratios", {})]
            if paired:
                print(f"paired {key}, median of per-repetition ratios (min-max, n): " + "; ".join(
                    f"{m} {p['median']:.2f} ({p['min']:.2f}-{p['max']:.2f}, {p['n']})"
                    for m, p in paired))
    print()


def write_json_atomic(path: Path, doc: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".fs-bench-", suffix=".json.tmp",
                               dir=str(path.parent))
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(doc, f, indent=2, sort_keys=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        dfd = os.open(str(path.parent), os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


# ---------------------------------------------------------------- main


@dataclass
class Config:
    repeat: int
    seq_size: int
    seq_block: int
    rand_size: int
    fio_runtime: int
    fio_ramp: int
    small_count: int
    drop_caches: bool
    workloads: list[str]


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="bench-fs.py",
        description="Benchmark native vs faultbench vs bindfs (see the module "
                    "docstring for what is measured and how).")
    ap.add_argument("--repeat", type=int, default=None,
                    help="repetitions per workload and target (default 5; 2 with --quick)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: small sizes, short fio runs")
    ap.add_argument("--backing", choices=["tmpfs", "disk", "both"], default="both")
    ap.add_argument("--binary", default=str(REPO / ".build/release/faultbench"),
                    help="faultbench binary (default .build/release/faultbench)")
    ap.add_argument("--only", action="append", choices=list(WORKLOADS),
                    help="run only this workload (repeatable)")
    ap.add_argument("--rules", metavar="PLAN",
                    help="pass --plan PLAN to `faultbench mount`")
    ap.add_argument("--with-rules-row", action="store_true",
                    help="add the optional target faultbench+100rules (a generated "
                         "plan of 100 rules on nomatch/N/**); skipped if it fails")
    ap.add_argument("--with-daemon-row", action="store_true",
                    help="add the optional target faultbench-daemon (`faultbench mount "
                         "--no-passthrough`: every read and write through the daemon)")
    ap.add_argument("--with-targeted-rows", action="store_true",
                    help="add the optional targets targeted-all and targeted-write "
                         "(`--no-passthrough` and one rule on `**` that never fires, on "
                         "every operation or on writes only) and targeted-files (idle rules "
                         "on every operation of the workloads' files, not their directories)")
    ap.add_argument("--fb-args", metavar="ARGS",
                    help="extra arguments for `faultbench mount`, as one shell-quoted "
                         "string, e.g. --fb-args='--spin 0 --threads 1'")
    ap.add_argument("--targets", default="native,faultbench,bindfs",
                    help="comma-separated subset of native,faultbench,bindfs")
    ap.add_argument("--faultbench-cmd", metavar="TEMPLATE",
                    help="development aid: run this command instead of "
                         "`BINARY mount SRC MNT`, with {backing} and {mountpoint} "
                         "substituted, e.g. 'bindfs -f -o big_writes {backing} "
                         "{mountpoint}' as a stand-in")
    ap.add_argument("--no-drop-caches", action="store_true",
                    help="do not drop the page cache before the first read")
    ap.add_argument("--disk-dir", default="/var/tmp",
                    help="parent directory of the disk backing (default /var/tmp)")
    ap.add_argument("--output", default=str(REPO / "results/fs-bench.json"))
    ap.add_argument("--fio-runtime", type=int, default=None,
                    help="seconds of measured time per fio run (default 3; 1 with --quick)")
    args = ap.parse_args(argv)
    args.targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    bad = set(args.targets) - {"native", "faultbench", "bindfs"}
    if bad or not args.targets:
        ap.error(f"--targets: unknown {sorted(bad)}")
    if args.repeat is None:
        args.repeat = 2 if args.quick else 5
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    return args


def preflight(args) -> None:
    problems = []
    if os.geteuid() != 0:
        problems.append("must run as root (tmpfs mount, drop_caches, FUSE allow_other)")
    if not os.path.exists("/dev/fuse"):
        problems.append("/dev/fuse is missing")
    if not shutil.which("fio"):
        problems.append("fio is not installed (apt-get install fio)")
    if "bindfs" in args.targets and not shutil.which("bindfs"):
        problems.append("bindfs is not installed (apt-get install bindfs)")
    if not (shutil.which("fusermount3") or shutil.which("fusermount")):
        problems.append("fusermount3 is not installed (apt-get install fuse3)")
    uses_fb = ("faultbench" in args.targets or args.with_rules_row or args.with_daemon_row
               or args.with_targeted_rows)
    if uses_fb and not args.faultbench_cmd and not os.access(args.binary, os.X_OK):
        problems.append(f"faultbench binary {args.binary} is missing or not "
                        f"executable (build it: swift build -c release)")
    if args.rules and not os.path.isfile(args.rules):
        problems.append(f"--rules: {args.rules}: no such file")
    if problems:
        raise BenchError("cannot run:\n  " + "\n  ".join(problems))


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.rules:
        args.rules = os.path.abspath(args.rules)
    if args.faultbench_cmd is None:
        args.binary = os.path.abspath(args.binary)
    cfg = Config(
        repeat=args.repeat,
        seq_size=(32 if args.quick else 256) * MiB,
        seq_block=MiB,
        rand_size=(16 if args.quick else 64) * MiB,
        fio_runtime=args.fio_runtime or (1 if args.quick else 3),
        fio_ramp=0 if args.quick else 1,
        small_count=300 if args.quick else 2000,
        drop_caches=not args.no_drop_caches,
        workloads=[w for w in WORKLOADS if not args.only or w in args.only],
    )
    backings = ["tmpfs", "disk"] if args.backing == "both" else [args.backing]
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, _on_signal)

    started = _dt.datetime.now(_dt.timezone.utc)
    t_start = time.monotonic()
    # Read before the run: the commit, dirtiness and binary are those the
    # run measured, not whatever the worktree holds once it ends.
    machine = machine_facts(args)
    results: list = []
    backing_info: dict = {}
    run_root = None
    load_start: dict = {}
    try:
        preflight(args)
        load_start = warn_if_busy("at start")
        run_root = tempfile.mkdtemp(prefix="faultbench-bench-", dir=args.disk_dir)
        CLEANUPS.push(f"remove {run_root}", lambda: _remove_run_root(run_root))
        bufs = (aligned_buffer(os.urandom(cfg.seq_block)),
                aligned_buffer(bytes(cfg.seq_block)))
        log(f"bench-fs: workloads {cfg.workloads}, repeat {cfg.repeat}, backings "
            f"{backings}, targets {args.targets}"
            + (" + faultbench-daemon" if args.with_daemon_row else "")
            + (" + faultbench+100rules" if args.with_rules_row else "")
            + (" + targeted-all + targeted-write + targeted-files" if args.with_targeted_rows else ""))
        for b in backings:
            run_backing(args, cfg, b, run_root, bufs, results, backing_info)
    except Interrupted as e:
        CLEANUPS.run_all()
        log(f"bench-fs: interrupted by signal {e.signum}; everything unmounted, "
            f"no results written")
        return 128 + e.signum
    except BenchError as e:
        CLEANUPS.run_all()
        log(f"bench-fs: error: {e}")
        return 1
    finally:
        CLEANUPS.run_all()
        if run_root:
            left = mounts_under(run_root)
            if left:
                log(f"bench-fs: WARNING: still mounted: {left}")

    # Recorded, not judged: the last minute's load average is mostly this
    # benchmark's own work (fio and the FUSE daemons keep both CPUs busy),
    # so it says nothing about other work.
    load_end = load_facts()
    targets_order = ["native", "faultbench", "bindfs", "faultbench-daemon", "faultbench+100rules",
                     "targeted-all", "targeted-write", "targeted-files"]
    units = {m: u for w in WORKLOADS.values() for (m, u) in w[2]}
    summary = summarize(results, targets_order)
    print_table(summary, units, targets_order, backing_info, backings)
    if args.faultbench_cmd:
        print(f"NOTE: the 'faultbench' column is a stand-in: {args.faultbench_cmd}\n")
    doc = {
        "schema": "faultbench.fs-bench/1",
        "started_utc": started.isoformat(),
        "duration_s": round(time.monotonic() - t_start, 1),
        "command": [sys.argv[0], *(sys.argv[1:] if argv is None else argv)],
        "machine": machine,
        "load": {"start": load_start, "end": load_end},
        "config": {
            "repeat": cfg.repeat, "quick": args.quick,
            "workloads": cfg.workloads, "backings": backings,
            "seq_size_mib": cfg.seq_size // MiB, "seq_block_mib": cfg.seq_block // MiB,
            "rand_size_mib": cfg.rand_size // MiB, "fio_runtime_s": cfg.fio_runtime,
            "fio_ramp_s": cfg.fio_ramp, "small_files": cfg.small_count,
            "drop_caches_before_first_read": cfg.drop_caches,
            "rules_plan": args.rules, "with_rules_row": args.with_rules_row,
            "with_daemon_row": args.with_daemon_row,
            "with_targeted_rows": args.with_targeted_rows,
            "bindfs_options": "-f -o big_writes",
            "faultbench_mount_args": args.fb_args,
        },
        "method": {
            "interleaving": "per workload, repetition r runs every target once, "
                            "in the target order rotated by r",
            "seq-write": "os.open + 1 MiB os.write calls + close; no fsync",
            "seq-read": "first read after write; sync + drop_caches before it "
                        "(untimed) unless disabled; os.readv into a reused page-aligned buffer",
            "seq-reread": "second read right after the first, no cache drop",
            "randread-4k": "fio psync randread bs=4k, buffered, invalidate=0, "
                           "time based after a ramp (warm, steady state); file "
                           "written through the target beforehand; IOPS",
            "randread-cold": "same fio run with invalidate=1 (fio's default) "
                             "and no ramp: the file's page cache is dropped at "
                             "every pass, so FUSE targets go through their "
                             "daemon; native on disk reads the device, native "
                             "on tmpfs is unaffected; IOPS",
            "small-files": "create+write 4 KiB+close, stat, unlink for each file; "
                           "files per second over the whole cycle",
            "ratios": "ratio of medians; higher is better for every metric",
            "paired_ratios": "per repetition, the ratio of the two targets' values in that "
                             "repetition (they ran back to back); median, min, max over the "
                             "repetitions",
        },
        "backings": backing_info,
        "units": units,
        "summary": summary,
        "runs": results,
    }
    out = Path(args.output)
    write_json_atomic(out, doc)
    log(f"bench-fs: wrote {out} ({doc['duration_s']} s)")
    return 0


def _remove_run_root(run_root: str) -> None:
    left = mounts_under(run_root)
    if left:
        log(f"bench-fs: not removing {run_root}: still mounted: {left}")
        return
    shutil.rmtree(run_root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
