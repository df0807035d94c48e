#!/bin/sh
# Installs the library into a temporary root, then builds and runs a tiny
# program through `pkg-config --cflags --libs ego4dfeat`, as a user would.
set -eu
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
meson install -C "$EF_BUILD_ROOT" --destdir "$dest" --no-rebuild --quiet
pc=$(find "$dest" -name ego4dfeat.pc | head -n 1)
[ -n "$pc" ] || { echo "ego4dfeat.pc was not installed"; exit 1; }
prefix=$(sed -n 's/^prefix=//p' "$pc")
export PKG_CONFIG_PATH="$(dirname "$pc")"
flags=$(pkg-config --define-variable=prefix="$dest$prefix" --cflags --libs ego4dfeat)
cat > "$dest/hello.c" <<'C'
#include <ego4dfeat/ego4dfeat.h>
#include <ego4dfeat/schedule.h>
#include <stdio.h>
#include <string.h>
int main(void) {
  ef_config *cfg = NULL;
  ef_plan_options po;
  if (strcmp(ef_version(), EF_VERSION_STRING) != 0) return 1;
  if (ef_plan_options_init(&po, sizeof po) != EF_OK || EF_SCHEDULE_API_VERSION < 1) return 3;
  if (ef_config_parse("io:\n  batch_size_typo: 1\n", &cfg) == EF_OK) return 2;
  printf("ego4dfeat %s: %s\n", ef_version(), ef_last_error());
  return 0;
}
C
cc -std=c11 -Wall -Werror "$dest/hello.c" -o "$dest/hello" $flags
libdir=$(dirname "$(find "$dest" -name 'libego4dfeat.so.0' | head -n 1)")
LD_LIBRARY_PATH="$libdir" "$dest/hello"
# Only ef_ symbols are exported.
bad=$(nm -D --defined-only "$libdir/libego4dfeat.so.0" | awk '{print $3}' | grep -v '^ef_' || true)
[ -z "$bad" ] || { echo "non-ef_ symbols exported:"; echo "$bad"; exit 1; }
objdump -p "$libdir/libego4dfeat.so.0" | grep -q 'SONAME *libego4dfeat.so.0' || { echo "bad soname"; exit 1; }
# The CLI: installed with a runpath to the installed library, and the
# bundled configs installed where the library looks last.
cli=$(find "$dest" -type f -path '*/bin/ego4dfeat' | head -n 1)
want_libdir=$(sed -n 's/^libdir=//p' "$pc" | sed "s|\${prefix}|$prefix|")
readelf -d "$cli" | grep -q "RUNPATH.*\[$want_libdir\]" ||
  { echo "installed CLI has no runpath to $want_libdir"; readelf -d "$cli" | grep -i path; exit 1; }
[ -f "$dest$prefix/share/ego4dfeat/configs/mvit_k400.yaml" ] ||
  { echo "configs not installed under $prefix/share/ego4dfeat/configs"; exit 1; }
# A config name that is nowhere: the message names the installed folder
# (compiled into the library) and the configs found, here through
# EGO4DFEAT_CONFIG_DIR pointing at the installed copy.
out=$(cd "$dest" && EGO4DFEAT_CONFIG_DIR="$dest$prefix/share/ego4dfeat/configs" \
  LD_LIBRARY_PATH="$libdir" "$cli" extract --config-name mvit_k40 2>&1 || true)
case "$out" in
  *"$prefix/share/ego4dfeat/configs/mvit_k40.yaml"*"configs there: "*"mvit_k400"*) ;;
  *) echo "unexpected message for a missing config: $out"; exit 1 ;;
esac
echo "pkg-config build, symbol, soname, runpath and config checks passed"
