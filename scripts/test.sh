#!/usr/bin/env bash
# The whole test suite from a fresh Debian 12 machine: installs what is
# missing, builds with warnings as errors, runs every test (unit, libtorch,
# integration), then rebuilds the C core's unit tests under AddressSanitizer
# and UndefinedBehaviorSanitizer and runs them again, and fuzzes the
# parsers for a short bounded time (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

echo "== format check"
git ls-files -- '*.c' '*.h' '*.cpp' | xargs clang-format --dry-run --Werror

setup() { # setup DIR [meson options...]
  local dir=$1
  shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@" >/dev/null
  fi
}

echo "== build (-Werror)"
setup build -Dwerror=true -Dtests=true # a demo's build/ has them off
meson compile -C build

echo "== SLURM (a one-node cluster for the scheduling tests)"
# Stopped on exit only if this script started it.
sudo_=""
[ "$(id -u)" -ne 0 ] && sudo_=sudo
if ! bash scripts/slurm-local.sh status >/dev/null 2>&1; then
  trap '$sudo_ bash scripts/slurm-local.sh stop' EXIT
fi
$sudo_ bash scripts/slurm-local.sh start

echo "== tests"
meson test -C build --print-errorlogs --num-processes 2

echo "== unit tests under ASan + UBSan"
setup build-asan -Dwerror=true -Db_sanitize=address,undefined \
  -Db_lundef=false -Dbuildtype=debug
meson compile -C build-asan
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  meson test -C build-asan --suite unit --print-errorlogs --num-processes 2 --no-rebuild

echo "== fuzzing (libFuzzer with ASan + UBSan, 7 s per target)"
# Replays the committed corpus (tests/fuzz/corpus, regressions included),
# then mutates for a bounded time; any crash, leak or UB fails the run.
bash scripts/fuzz.sh 7
echo "== all tests passed"
