#!/usr/bin/env bash
# Fails loudly unless a FUSE filesystem can really be mounted here, so the
# tests that mount never pass by skipping. Mounts a throwaway directory with
# the freshly built binary, writes through it, and unmounts it.
set -euo pipefail
bin=${1:-.build/debug/faultbench}
if [ ! -e /dev/fuse ]; then
  echo "faultbench: /dev/fuse does not exist; the mount tests cannot run (modprobe fuse, or give the container /dev/fuse)." >&2
  exit 1
fi
work=$(mktemp -d)
pid=
cleanup() {
  if grep -q " $work/mnt " /proc/mounts 2>/dev/null; then
    fusermount3 -u "$work/mnt" 2>/dev/null || fusermount3 -u -z "$work/mnt" 2>/dev/null || true
  fi
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir "$work/backing" "$work/mnt"
"$bin" mount "$work/backing" "$work/mnt" >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  grep -q " $work/mnt fuse.faultbench " /proc/mounts && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.05
done
if ! grep -q " $work/mnt fuse.faultbench " /proc/mounts; then
  echo "faultbench: FUSE cannot be mounted on this machine, so the mount tests cannot run:" >&2
  cat "$work/log" >&2
  exit 1
fi
echo ok > "$work/mnt/probe"
if [ "$(cat "$work/backing/probe")" != ok ]; then
  echo "faultbench: a write through the probe mount did not reach the backing directory." >&2
  exit 1
fi
kill -TERM "$pid"
wait "$pid"
pid=
echo "FUSE works: mounted, wrote through, unmounted."
