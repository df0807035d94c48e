"""Reliability measured, not assumed: kill -9 at random moments, SIGINT and
SIGTERM, two runs on one io.out_path, and the stale-file rule. Every test
compares the files with one uninterrupted run of the same 20 clips."""
import fcntl
import os
import random
import signal
import subprocess
import sys
import time

import pytest
import torch

from conftest import (CLI, bitwise_args, dead_pid, final_outputs,
                      hidden_leftovers, host_token, make_clips, run_cli)

N = 20
SEED = 20261202
TRIALS = 16


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("clips")
    make_clips(str(d), N)
    return d


@pytest.fixture(scope="module")
def reference(clips, models, tmp_path_factory):
    """An uninterrupted run: {uid.pt: tensor}, and its wall time."""
    out = tmp_path_factory.mktemp("reference")
    t = time.monotonic()
    p = run_cli(*bitwise_args(clips, models, out), check=0)
    wall = time.monotonic() - t
    assert f"{N} done, 0 skipped, 0 failed" in p.stdout
    ref = {n: torch.load(out / n) for n in final_outputs(out)}
    assert len(ref) == N
    return ref, wall


def check_outputs(out, ref):
    """Every file under a final name loads and equals the reference."""
    for name in final_outputs(out):
        got = torch.load(out / name)
        assert torch.equal(got, ref[name]), name


def unchanged(before, out):
    """Names of files of `before` that are gone or were rewritten."""
    now = final_outputs(out)
    return sorted(n for n, v in before.items() if now.get(n) != v)


def test_kill9_at_random_moments(clips, models, reference, tmp_path):
    ref, wall = reference
    rng = random.Random(SEED)
    out = tmp_path / "out"
    args = bitwise_args(clips, models, out)
    figures = {"trials": 0, "survived": 0, "lost": 0, "finished_first": 0,
               "temps_left_by_kills": 0, "claims_left_by_kills": 0}
    for trial in range(TRIALS):
        # Keep work to do: once most videos are complete, remove a seeded
        # random share of them, which the next runs must redo.
        done = sorted(final_outputs(out)) if out.exists() else []
        if len(done) > N // 2:
            for name in rng.sample(done, rng.randint(len(done) // 2,
                                                      len(done))):
                os.unlink(out / name)
        before = final_outputs(out) if out.exists() else {}
        proc = subprocess.Popen([CLI, *args], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.0, wall))
        proc.kill()
        if proc.wait() == 0:
            figures["finished_first"] += 1
        figures["trials"] += 1
        lost = unchanged(before, out)
        figures["lost"] += len(lost)
        check_outputs(out, ref)
        left = hidden_leftovers(out)
        figures["temps_left_by_kills"] += sum(".tmp." in n for n in left)
        figures["claims_left_by_kills"] += sum(
            n.endswith(".claim") for n in left)
        assert not lost, f"trial {trial}: complete files rewritten: {lost}"
        figures["survived"] += 1
    # The rerun: finishes exactly what is missing, rewrites nothing, and
    # leaves no temporary or claim file of the dead runs.
    before = final_outputs(out)
    p = run_cli(*args, check=0)
    assert f"{N - len(before)} done, {len(before)} skipped, 0 failed" \
        in p.stdout, p.stdout
    assert unchanged(before, out) == []
    assert len(final_outputs(out)) == N
    check_outputs(out, ref)
    assert hidden_leftovers(out) == []
    print(f"\nkill -9 trials (seed {SEED}): {figures}", file=sys.stderr)


@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130),
                                      (signal.SIGTERM, 143)])
def test_signal_stops_cleanly(clips, models, reference, tmp_path, sig, code):
    ref, _ = reference
    out = tmp_path / "out"
    args = bitwise_args(clips, models, out)
    proc = subprocess.Popen([CLI, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    # Signal once the run is under way (a first video written), so the
    # handler is installed and work remains.
    deadline = time.monotonic() + 120
    while not (out.exists() and final_outputs(out)):
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == code, (stdout, stderr)
    assert "stopped by a signal" in stderr
    assert "not run" in stdout
    check_outputs(out, ref)
    assert hidden_leftovers(out) == []
    done = final_outputs(out)
    assert 0 < len(done) < N, stdout
    p = run_cli(*args, check=0)
    assert f"{N - len(done)} done, {len(done)} skipped, 0 failed" in p.stdout
    assert unchanged(done, out) == []
    check_outputs(out, ref)


def wrote(stdout):
    return {line.split()[1].rsplit("/", 1)[1] for line in stdout.splitlines()
            if line.startswith("wrote ")}


def test_two_runs_share_out_path(clips, models, reference, tmp_path):
    ref, _ = reference
    out = tmp_path / "out"
    args = bitwise_args(clips, models, out)
    procs = [subprocess.Popen([CLI, *args], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    res = [p.communicate(timeout=300) for p in procs]
    for p, (so, se) in zip(procs, res):
        assert p.returncode == 0, (so, se)
    a, b = wrote(res[0][0]), wrote(res[1][0])
    for (so, _), mine in zip(res, (a, b)):
        assert f"{len(mine)} done, {N - len(mine)} skipped, 0 failed" in so
    assert not (a & b), f"computed twice: {sorted(a & b)}"
    assert len(a | b) == N
    # A video skipped as claimed names the other run as its holder.
    for i, (so, _) in enumerate(res):
        other = procs[1 - i].pid
        for line in so.splitlines():
            if "being extracted by another process" in line:
                assert line.endswith(f":{other})"), line
    check_outputs(out, ref)
    assert len(final_outputs(out)) == N
    assert hidden_leftovers(out) == []
    print(f"\ntwo runs: {len(a)} + {len(b)} videos computed", file=sys.stderr)


def test_claim_held_elsewhere_is_respected(clips, models, reference,
                                           tmp_path):
    ref, _ = reference
    out = tmp_path / "out"
    out.mkdir()
    uids = "io.uid_list=[c00,c01,c02]"
    args = bitwise_args(clips, models, out, uids)
    # Another host's run holds c00: an fcntl lock, as the library takes.
    with open(out / ".c00.pt.claim", "w+") as held:
        held.write("node7 4242\n")
        held.flush()
        fcntl.lockf(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        p = run_cli(*args, check=0)
        assert "skipped c00: being extracted by another process " \
               "(node7:4242)" in p.stdout, p.stdout
        assert "2 done, 1 skipped, 0 failed" in p.stdout
        assert not (out / "c00.pt").exists()
        assert (out / ".c00.pt.claim").exists()  # never taken from a holder
    # Released (its holder died): the claim file is a left-over, taken over.
    p = run_cli(*args, check=0)
    assert "1 done, 2 skipped, 0 failed" in p.stdout, p.stdout
    check_outputs(out, ref)
    assert hidden_leftovers(out) == []


def test_stale_file_rule(clips, models, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    sentinel = tmp_path / "sentinel"
    sentinel.mkdir()
    (sentinel / "keep").write_text("sentinel")
    host, dead = host_token(), dead_pid()
    live = subprocess.Popen(["sleep", "60"])
    try:
        hexs = "0123456789abcdef"
        removed = [f".c01.pt.tmp.{host}.{dead}.{hexs}",
                   f".config.yaml.tmp.{host}.{dead}.{hexs}",
                   ".c03.pt.claim"]  # a claim file no one holds
        kept = [f".c01.pt.tmp.{host}.{live.pid}.{hexs}",   # live writer
                f".c01.pt.tmp.node7.{dead}.{hexs}",         # another host
                f".c01.pt.tmp.{dead}.{hexs}",               # older naming
                f"c01.pt.tmp.{host}.{dead}.{hexs}",         # not hidden
                f".c01.pt.tmp.{host}.{dead}.{hexs}x",       # not our shape
                ".notes.tmp"]
        for n in removed + kept:
            (out / n).write_text("x")
        link = f".c02.pt.tmp.{host}.{dead}.fedcba9876543210"
        os.symlink(sentinel / "keep", out / link)
        run_cli(*bitwise_args(clips, models, out, "io.uid_list=[c00]"), check=0)
        left = set(os.listdir(out))
        assert not (set(removed) & left), sorted(left)
        assert set(kept) <= left
        assert os.path.islink(out / link)
        assert (sentinel / "keep").read_text() == "sentinel"
    finally:
        live.kill()
        live.wait()
