#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (ASan + UBSan) in
# build-fuzz/ and runs each for a bounded time over its corpus in
# tests/fuzz/corpus/<target>/.
#
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# SECONDS_PER_TARGET defaults to 7 (what scripts/test.sh runs: eight targets,
# under 60 s in all on two cores). New inputs that cover new code go to
# build-fuzz/corpus-new/<target>/ (merge the interesting ones into the
# committed corpus by hand: `fuzz_X -merge=1 tests/fuzz/corpus/X DIR`); a
# crash stops the script with the input saved as build-fuzz/crash-*.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-7}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] ||
  targets=(override yaml manifest ego4d_json takes_json json pt_complete
    npy_complete)

dir=build-fuzz
opts=(-Dfuzz=true -Dtests=false -Dwerror=true -Db_lundef=false
  -Db_sanitize=address,undefined -Dbuildtype=debugoptimized)
if [ -f "$dir/build.ninja" ]; then
  meson setup --reconfigure "$dir" "${opts[@]}" >/dev/null
else
  CC=clang CXX=clang++ meson setup "$dir" "${opts[@]}" >/dev/null
fi
# Only the targets: nothing else in the tree (libtorch's shim) is needed.
meson compile -C "$dir" "${targets[@]/#/fuzz_}" >/dev/null

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for t in "${targets[@]}"; do
  new="$dir/corpus-new/$t"
  mkdir -p "$new"
  echo "== fuzz_$t: ${secs} s"
  # -rss_limit_mb bounds memory per input; -max_len keeps inputs small
  # enough that each run stays fast; -timeout turns a hang into a crash.
  log="$dir/fuzz_$t.log"
  rc=0
  "$dir/tests/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 \
    -rss_limit_mb=1024 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$dir/crash-$t-" \
    "$new" "tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    tail -n 60 "$log"
    echo "fuzz_$t failed (exit $rc); the input is in $dir/crash-$t-*"
    exit 1
  fi
  # One line per target: executions, time, corpus size.
  awk '/^stat::number_of_executed_units/ {e=$2}
       /^stat::average_exec_per_sec/ {r=$2}
       /^stat::new_units_added/ {n=$2}
       END {printf "   %s execs (%s/s), %s new inputs, ", e, r, n}' "$log"
  echo "corpus $(ls "tests/fuzz/corpus/$t" | wc -l) committed + $(ls "$new" | wc -l) new"
done
echo "== fuzzing found nothing"
