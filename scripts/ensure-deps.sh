#!/usr/bin/env bash
# Installs what faultbench needs and is missing, through apt-get on Debian.
# Safe to run again: it only installs what is absent.
set -euo pipefail

need=()
have_pkgconfig_fuse3() { pkg-config --exists fuse3 2>/dev/null; }

command -v pkg-config >/dev/null || need+=(pkg-config)
have_pkgconfig_fuse3 || need+=(libfuse3-dev)
command -v fusermount3 >/dev/null || need+=(fuse3)
# Tools the tests drive through the mount, and the benchmark's peers.
command -v git >/dev/null || need+=(git)
command -v sqlite3 >/dev/null || need+=(sqlite3)
command -v tar >/dev/null || need+=(tar)
# /usr/bin/python3 itself: tests run it as uid 65534, who cannot reach a
# python3 installed under root's home (pyenv).
[ -x /usr/bin/python3 ] || need+=(python3)
command -v setpriv >/dev/null || need+=(util-linux)
# Only for `make test`: the HTML report's test renders the page in a real
# headless browser, Debian's Chromium (a browser download, as Playwright's,
# cannot be fetched on every machine; it is large, so only when missing),
# and the workflow check reads YAML with PyYAML.
if [ "${FAULTBENCH_TEST_DEPS:-0}" = 1 ]; then
  command -v chromium >/dev/null || need+=(chromium)
  /usr/bin/python3 -c 'import yaml' 2>/dev/null || need+=(python3-yaml)
fi
if [ "${FAULTBENCH_BENCH_DEPS:-0}" = 1 ]; then
  command -v bindfs >/dev/null || need+=(bindfs)
  command -v fio >/dev/null || need+=(fio)
fi

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "faultbench: missing ${need[*]}; install them with: sudo apt-get install -y ${need[*]}" >&2
    exit 1
  fi
  echo "faultbench: installing ${need[*]} with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! command -v swift >/dev/null; then
  echo "faultbench: no Swift toolchain on PATH; install Swift 6.1 or newer (swift.org) and run again." >&2
  exit 1
fi
