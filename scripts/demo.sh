#!/usr/bin/env bash
# The main job until the harness lands: serve a demo directory through
# faultbench, show that programs work through it, and unmount.
set -euo pipefail
bin=${FAULTBENCH_BIN:-.build/release/faultbench}
work=$(mktemp -d)
pid=
cleanup() {
  if grep -q " $work/mnt " /proc/mounts 2>/dev/null; then "$bin" unmount "$work/mnt" 2>/dev/null || true; fi
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/backing/docs" "$work/mnt"
printf 'hello from the backing directory\n' > "$work/backing/docs/readme.txt"

echo "\$ faultbench mount backing mnt &"
"$bin" mount "$work/backing" "$work/mnt" &
pid=$!
for _ in $(seq 100); do grep -q " $work/mnt fuse.faultbench " /proc/mounts && break; sleep 0.05; done
grep -q " $work/mnt fuse.faultbench " /proc/mounts || { echo "faultbench: the demo mount did not appear." >&2; exit 1; }

cd "$work"
run() { echo "\$ $*"; "$@"; }
run grep " $work/mnt " /proc/mounts
run cat mnt/docs/readme.txt
run sh -c 'echo "written through the mount" > mnt/docs/new.txt'
run cat backing/docs/new.txt
run git -C mnt init -q repo
run git -C mnt/repo -c user.name=demo -c user.email=demo@example.com commit -q --allow-empty -m "a commit on FUSE"
run git -C mnt/repo log --oneline
run sqlite3 mnt/demo.db "create table t(x); insert into t values (1),(2),(3); select count(*) from t; pragma integrity_check;"
echo "\$ kill -TERM \$faultbench"
kill -TERM "$pid"
wait "$pid"
pid=
run sh -c "grep -c ' $work/mnt ' /proc/mounts || true"
echo "Unmounted; the files stay in the backing directory:"
run ls backing backing/docs
