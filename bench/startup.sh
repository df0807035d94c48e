#!/usr/bin/env bash
# What commands that need no model pay for libtorch being linked in: the
# CLI's --help and two model-free commands' --help, against decode_only's
# usage message (the same C core and FFmpeg, no libtorch). Median of 7
# runs each, wall and CPU seconds. Prints figures only.
#   bash bench/startup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CLI=build/examples/ego4dfeat
[ -x "$CLI" ] && [ -x build/bench/decode_only ] || meson compile -C build
median() { # median CMD...: "wall cpu" medians over 7 runs
  /usr/bin/python3 - "$@" <<'PY'
import os, statistics, subprocess, sys, time
walls, cpus = [], []
for _ in range(7):
    r0 = os.times()
    t0 = time.perf_counter()
    subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    walls.append(time.perf_counter() - t0)
    r1 = os.times()
    cpus.append(r1.children_user - r0.children_user +
                r1.children_system - r0.children_system)
print("%.3f s wall, %.3f s CPU" % (statistics.median(walls),
                                   statistics.median(cpus)))
PY
}
echo "== start-up (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
echo "ego4dfeat --help:          $(median $CLI --help)"
echo "ego4dfeat schedule --help: $(median $CLI schedule --help)"
echo "ego4dfeat merge --help:    $(median $CLI merge --help)"
echo "decode_only (no libtorch): $(median build/bench/decode_only)"
echo "libraries the CLI maps: $(ldd $CLI | wc -l), of them libtorch's: $(ldd $CLI | grep -c -E 'libtorch|libc10')"
