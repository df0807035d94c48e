#!/usr/bin/python3
"""extract_one.py - libego4dfeat from Python: the features of one video.

Usage: extract_one.py CONFIG.yaml VIDEO [override ...]
Prints the feature shape, the first window's times and the first values.
Uses the ego4dfeat package (python/ in the source tree, or installed).
"""
import os
import sys

try:
    import ego4dfeat as ef
except ImportError:  # run from a source checkout
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(
        __file__)), "..", "python"))
    import ego4dfeat as ef


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    config_yaml, video, overrides = argv[1], argv[2], argv[3:]
    try:
        with ef.Config.load(os.path.abspath(config_yaml),
                            overrides=overrides) as cfg, \
                ef.Model.load(cfg) as model:
            kind = model.kind
            (r,) = ef.extract_features(model, cfg, [video])
    except ef.Error as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if not r.ok:
        print(f"{video}: {r.status_name}: {r.error}", file=sys.stderr)
        return 1
    print(f"model kind: {kind}")
    print("shape: " + " ".join(map(str, r.features.shape)))
    print(f"window 0: {r.window_starts[0]:.6f} s to {r.window_ends[0]:.6f} s")
    print("first: " + " ".join(f"{v:.7g}" for v in r.features.reshape(
        len(r.features), -1)[0, :8]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
