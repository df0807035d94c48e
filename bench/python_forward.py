#!/usr/bin/python3
"""python_forward.py - the forward passes alone, as a plain Python pipeline
runs them: the TorchScript file loaded with torch.jit.load (not frozen, not
optimised), torch.no_grad(), one [1, 3, T, crop, crop] window at a time, as
many windows as the CLI computed for the same video, and as many threads
as the CLI uses (all cores: Debian's torch picks 1 on the 2-core VM, which
would flatter the CLI). Prints the seconds.

Usage: python_forward.py MODEL WINDOWS T CROP [THREADS [optimised]]
THREADS: 0 keeps torch's own default (a plain Python pipeline's).
optimised: freeze and optimise the module first, as the CLI does by
default (torch.jit.freeze, then torch.jit.optimize_for_inference), to
compare the CLI's forward time with the same module's in Python.
"""
import os
import sys
import time

import torch


def main(argv):
    model, windows, t, crop = argv[1], int(argv[2]), int(argv[3]), int(argv[4])
    threads = int(argv[5]) if len(argv) > 5 else os.cpu_count() or 1
    if threads > 0:
        torch.set_num_threads(threads)
    net = torch.jit.load(model).eval()
    optimised = len(argv) > 6 and argv[6] == "optimised"
    if optimised:
        net = torch.jit.optimize_for_inference(torch.jit.freeze(net))
    torch.manual_seed(0)
    x = torch.randn(1, 3, t, crop, crop)
    with torch.no_grad():
        t0 = time.perf_counter()
        for _ in range(windows):
            net(x)
        dt = time.perf_counter() - t0
    kind = "frozen + optimised" if optimised else "unfrozen"
    print(f"python forward passes alone ({kind}): {windows} windows in "
          f"{dt:.2f} s "
          f"(torch {torch.__version__}, {torch.get_num_threads()} threads)")
    print(f"seconds={dt:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
