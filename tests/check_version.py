"""The version is set once, in meson.build's project(); this checks every
other place that spells it against that: the public header's EF_VERSION_*
macros, the Python package's __version__ and python/pyproject.toml.

    python3 tests/check_version.py VERSION SOURCE_ROOT
"""
import re
import sys
from pathlib import Path


def found(path, pattern, text):
    m = re.search(pattern, text, re.M)
    if not m:
        sys.exit(f"{path}: no version found (pattern {pattern!r})")
    return m


def main():
    want, root = sys.argv[1], Path(sys.argv[2])
    major, minor, patch = want.split(".")
    errors = []
    header = root / "include/ego4dfeat/ego4dfeat.h"
    text = header.read_text()
    have = {
        "EF_VERSION_STRING": found(header, r'^#define EF_VERSION_STRING "([^"]*)"', text)[1],
        "EF_VERSION_MAJOR": found(header, r"^#define EF_VERSION_MAJOR (\d+)", text)[1],
        "EF_VERSION_MINOR": found(header, r"^#define EF_VERSION_MINOR (\d+)", text)[1],
        "EF_VERSION_PATCH": found(header, r"^#define EF_VERSION_PATCH (\d+)", text)[1],
    }
    expect = {"EF_VERSION_STRING": want, "EF_VERSION_MAJOR": major,
              "EF_VERSION_MINOR": minor, "EF_VERSION_PATCH": patch}
    for k, v in expect.items():
        if have[k] != v:
            errors.append(f"{header}: {k} is {have[k]}, meson.build says {v}")
    for path, pattern in [
            (root / "python/ego4dfeat/__init__.py", r'^__version__ = "([^"]*)"'),
            (root / "python/pyproject.toml", r'^version = "([^"]*)"')]:
        v = found(path, pattern, path.read_text())[1]
        if v != want:
            errors.append(f"{path}: version {v}, meson.build says {want}")
    for e in errors:
        print(e)
    if errors:
        return 1
    print(f"version {want}: header, Python package and pyproject agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
