"""`ego4dfeat schedule` against a real SLURM (scripts/slurm-local.sh starts a
one-node cluster; scripts/test.sh does it before the tests) and here with
schedule_config.run_locally: a plan of several bins runs to completion, a
task cancelled with scancel half-way is resumed by a rerun with nothing lost
and nothing done twice, and the local run gives the same features."""
import json
import os
import shutil
import signal
import subprocess
import time

import pytest
import torch

from conftest import CLI, SOURCE, make_clip, run_cli

IN_CI = os.environ.get("CI", "").lower() == "true"
HAVE_SBATCH = shutil.which("sbatch") is not None

needs_slurm = pytest.mark.skipif(
    not HAVE_SBATCH and not IN_CI,
    reason="SLURM is not installed (sbatch not found); scripts/test.sh "
           "installs and starts a one-node cluster")


@pytest.fixture(scope="module")
def cluster():
    """The local cluster must answer: a missing one is a failure (in CI
    above all), not a skip, once SLURM is installed."""
    if not HAVE_SBATCH:
        pytest.fail("sbatch not found although CI=true: install SLURM "
                    "(scripts/install-deps.sh) and start it "
                    "(scripts/slurm-local.sh start)")
    p = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True,
                       text=True, timeout=30)
    states = p.stdout.split()
    if p.returncode != 0 or not any(s in ("idle", "mix", "alloc")
                                    for s in states):
        pytest.fail(f"no SLURM node answers (sinfo: {p.stdout.strip()} "
                    f"{p.stderr.strip()}): run scripts/slurm-local.sh start")


def schedule_args(tmp, videos, out, model, *extra):
    return ["schedule", "--config-dir", os.path.join(SOURCE, "configs"),
            "--config-name", "mvit_k400", f"io.video_dir_path={videos}",
            f"io.out_path={out}", f"model_config.model_path={model}",
            "inference_config.device=cpu",
            f"schedule_config.log_folder={tmp}/logs/%j",
            "schedule_config.timeout_min=1", "schedule_config.overhead=1.0",
            "schedule_config.constraint=null",
            "schedule_config.slurm_partition=debug",
            "schedule_config.gpus_per_node=0",
            "schedule_config.cpus_per_task=1",
            "schedule_config.slurm_array_parallelism=2",
            "force_yes=true", *extra]


def plan_dir(tmp):
    dirs = [d for d in os.listdir(tmp / "logs") if d.startswith("plan-")]
    assert len(dirs) == 1, dirs
    return tmp / "logs" / dirs[0]


def read_status(plan, b):
    with open(plan / "status" / f"bin_{b:05d}.json") as f:
        return json.load(f)


def outcomes(plan, b):
    return {v["uid"]: v["outcome"] for v in read_status(plan, b)["videos"]}


@pytest.fixture(scope="module")
def six_clips(tmp_path_factory):
    """1, 2, 3, 3, 2 and 1 windows: at 12 s a window, 144 s of work in
    bins of 60 s: 3 bins would do, but with 2 tasks at a time 4 bins of
    36 s (72 s) finish before 3 of 48 s (96 s)."""
    d = tmp_path_factory.mktemp("six")
    for i, s in enumerate([1.0, 1.5, 2.0, 2.0, 1.5, 1.0]):
        make_clip(str(d / f"s{i}.mp4"), seconds=s, size="160x120")
    return d


@needs_slurm
def test_plan_of_several_bins_runs_on_slurm_like_locally(tmp_path, models,
                                                         six_clips, cluster):
    model = models / "tiny_video.pt"
    out = tmp_path / "out"
    args = schedule_args(tmp_path, six_clips, out, model,
                         "schedule_config.time_per_forward_pass=12")
    t0 = time.time()
    p = run_cli(*args, check=0)
    slurm_s = time.time() - t0
    assert "6 videos in 4 bins" in p.stdout, p.stdout
    assert "lower bound 3 bins" in p.stdout and "makespan 72.0 s" in p.stdout
    assert "--array=0-3%2" in p.stdout
    assert "summary: 6 done, 0 skipped, 0 failed, 0 not run" in p.stdout
    plan = plan_dir(tmp_path)
    with open(plan / "plan.json") as f:
        doc = json.load(f)
    assert [len(b["videos"]) for b in doc["bins"]] == [1, 1, 2, 2]
    assert [b["seconds"] for b in doc["bins"]] == [36, 36, 36, 36]
    uids = sorted(v["uid"] for b in doc["bins"] for v in b["videos"])
    assert uids == [f"s{i}" for i in range(6)]
    job = (plan / "slurm_job").read_text().strip()
    for b in range(4):
        st = read_status(plan, b)
        assert st["state"] == "finished" and st["runner"] == f"slurm {job}_{b}"
        assert set(outcomes(plan, b).values()) == {"done"}
        # SLURM's own logs, in log_folder with %j = the job id.
        assert (tmp_path / "logs" / job / f"{job}_{b}.out").exists()
    # Run again: every bin is complete, nothing is submitted.
    p = run_cli(*args, check=0)
    assert "nothing to run" in p.stdout and "submitted" not in p.stdout

    # The same plan here (no SLURM involved), 2 bins at a time as child
    # processes, into another folder: the same features.
    local = tmp_path / "l"
    local_out = local / "out"
    local_args = schedule_args(local, six_clips, local_out, model,
                               "schedule_config.time_per_forward_pass=12",
                               "schedule_config.run_locally=1")
    t0 = time.time()
    p = run_cli(*local_args, "--parallel", "2", check=0)
    local_s = time.time() - t0
    assert "bins to run: 4, 2 at a time" in p.stdout, p.stdout
    assert "summary: 6 done, 0 skipped, 0 failed, 0 not run" in p.stdout
    for i in range(6):
        a = torch.load(out / f"s{i}.pt")
        b = torch.load(local_out / f"s{i}.pt")
        assert a.shape[1] == 8 and torch.equal(a, b), f"s{i}"
    local_plan = plan_dir(local)
    for b in range(4):
        assert read_status(local_plan, b)["state"] == "finished"
        # Logs in log_folder with %j = local.
        assert (local / "logs" / "local" / f"bin_{b}.log").exists()
    # A deleted output makes its bin, and only it, run again (the same
    # --parallel: the split depends on how many bins run at a time).
    victim = next(iter(outcomes(local_plan, 2)))
    os.remove(local_out / f"{victim}.pt")
    p = run_cli(*local_args, "--parallel", "2", check=0)
    assert "to run: 1 of 4 bins (2 videos)" in p.stdout, p.stdout
    assert "summary: 1 done, 1 skipped, 0 failed, 0 not run" in p.stdout
    assert torch.equal(torch.load(local_out / f"{victim}.pt"),
                       torch.load(out / f"{victim}.pt"))
    print(f"4 bins: SLURM {slurm_s:.1f} s, local {local_s:.1f} s")


@pytest.fixture(scope="module")
def ten_clips(tmp_path_factory):
    """10 clips of 3 s (5 windows): at 2.3 s a window, 5 per 60 s bin, so
    that the task cancelled after its first video still has four to go."""
    d = tmp_path_factory.mktemp("ten")
    for i in range(10):
        make_clip(str(d / f"k{i}.mp4"), seconds=3.0, size="160x120")
    return d


def wait_for(cond, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@needs_slurm
def test_cancelled_task_is_resumed_without_loss_or_repeat(tmp_path, models,
                                                          ten_clips,
                                                          cluster):
    out = tmp_path / "out"
    args = schedule_args(tmp_path, ten_clips, out,
                         models / "tiny_video.pt",
                         "schedule_config.time_per_forward_pass=2.3")
    t0 = time.time()
    proc = subprocess.Popen([CLI, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        # As soon as bin 0 has finished one video, cancel its task.
        def one_done():
            try:
                plan = plan_dir(tmp_path)
                done = [u for u, o in outcomes(plan, 0).items()
                        if o == "done"]
                return (plan, done) if done else None
            except (FileNotFoundError, AssertionError, ValueError):
                return None
        plan, _ = wait_for(one_done, 120, "bin 0's first video")
        job = (plan / "slurm_job").read_text().strip()
        subprocess.run(["scancel", f"{job}_0"], check=True)
        stdout, stderr = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
    first_s = time.time() - t0
    assert proc.returncode == 1, stdout + stderr
    assert "bin 0" in stdout and "cancelled" in stdout, stdout
    st0 = read_status(plan, 0)
    assert st0["state"] == "cancelled", st0
    done_first = {u for u, o in outcomes(plan, 0).items() if o == "done"}
    not_run = {u for u, o in outcomes(plan, 0).items() if o == "not_run"}
    assert done_first and not_run, outcomes(plan, 0)
    assert set(outcomes(plan, 1).values()) == {"done"}
    # Everything reported done has its complete file; the rest has none.
    files = {f[:-3] for f in os.listdir(out) if f.endswith(".pt")}
    assert done_first <= files and not (not_run & files)
    mtimes = {f: os.stat(out / f).st_mtime_ns for f in os.listdir(out)
              if f.endswith(".pt")}
    bin1 = read_status(plan, 1)
    # --status tells the same from the status files, and runs nothing.
    p = run_cli(*args, "--status", check=1)
    assert f"bin 0 (slurm {job}_0): {len(done_first)} done" in p.stdout
    assert "cancelled" in p.stdout and "submitted" not in p.stdout

    # The rerun submits bin 0 only; its finished videos are skipped.
    t0 = time.time()
    p = run_cli(*args, check=0)
    rerun_s = time.time() - t0
    assert "to run: 1 of 2 bins (5 videos)" in p.stdout, p.stdout
    assert "--array=0%1" in p.stdout
    assert (f"summary: {len(not_run)} done, {5 - len(not_run)} skipped, "
            "0 failed, 0 not run") in p.stdout, p.stdout
    job2 = (plan / "slurm_job").read_text().strip()
    assert job2 != job
    again = outcomes(plan, 0)
    assert {u for u, o in again.items() if o == "skipped"} == done_first
    assert {u for u, o in again.items() if o == "done"} == not_run
    assert read_status(plan, 1) == bin1  # bin 1 was not run again
    # Nothing lost, nothing done twice: 10 outputs, the old ones untouched.
    assert sorted(f for f in os.listdir(out) if f.endswith(".pt")) == \
        sorted(f"k{i}.pt" for i in range(10))
    for f, t in mtimes.items():
        assert os.stat(out / f).st_mtime_ns == t, f
    for i in range(10):
        assert torch.load(out / f"k{i}.pt").shape == (5, 8)
    print(f"cancelled run {first_s:.1f} s, resume {rerun_s:.1f} s")


def test_confirmation(tmp_path, models, six_clips):
    """Without force_yes it asks; "n" or no answer starts nothing."""
    out = tmp_path / "out"
    args = [a for a in schedule_args(tmp_path, six_clips, out,
                                     models / "tiny_video.pt",
                                     "schedule_config.run_locally=1",
                                     "schedule_config.time_per_forward_pass=12")
            if a != "force_yes=true"]
    p = subprocess.run([CLI, *args], input="n\n", capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0 and "Continue? [y/N]" in p.stdout, p.stdout
    assert "not started" in p.stdout and not out.exists()
    p = subprocess.run([CLI, *args], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 1 and "no answer" in p.stderr, p.stderr
    assert not out.exists() and not (tmp_path / "logs").exists()


def test_oversize_video_warns_or_fails_in_strict_mode(tmp_path, models,
                                                      six_clips):
    args = schedule_args(tmp_path, six_clips, tmp_path / "out",
                         models / "tiny_video.pt",
                         "schedule_config.time_per_forward_pass=25",
                         "--dry-run")
    p = run_cli(*args, check=0)
    # 3 windows * 25 s = 75 s > 60 s: two videos get bins of their own.
    assert p.stderr.count("more than a bin's 60 s") == 2, p.stderr
    assert "6 videos in 6 bins" in p.stdout, p.stdout
    p = run_cli(*args, "--strict", check=2)
    assert "timeout_min to at least 2" in p.stderr, p.stderr


def test_file_names_that_are_not_utf8_run_like_others(tmp_path, models):
    """A Latin-1 file name and one holding U+0085 (a line break to YAML)
    go through plan.json, the status file and the bin's config (JSON and
    YAML, which only carry UTF-8): every video is done under its own name,
    and a rerun finds them all complete."""
    videos = tmp_path / "videos"
    videos.mkdir()
    make_clip(str(videos / "plain.mp4"), seconds=0.6)
    names = [b"caf\xe9.mp4", "x\u0085y.mp4".encode()]
    for n in names:
        shutil.copy(videos / "plain.mp4", os.path.join(bytes(videos), n))
    out = tmp_path / "out"
    args = schedule_args(tmp_path, videos, out, models / "tiny_video.pt",
                         "schedule_config.run_locally=1")
    p = run_cli(*args, check=0)
    assert "summary: 3 done, 0 skipped, 0 failed" in p.stdout, p.stdout
    for n in [b"plain.mp4", *names]:
        stem = os.path.splitext(n)[0]
        assert os.path.exists(os.path.join(bytes(out), stem + b".pt")), n
        with open(os.path.join(bytes(out), stem + b".pt"), "rb") as f:
            assert torch.load(f).shape[0] == 1
    p = run_cli(*args, check=0)
    assert "nothing to run: every bin's outputs are complete" in p.stdout, \
        p.stdout


def test_a_second_runner_of_a_running_bin_is_refused(tmp_path, models,
                                                     six_clips):
    """Two processes on one bin (a rerun beside orphaned tasks after kill
    -9 of the scheduler) used to both run it and overwrite each other's
    status records. The first holds status/bin_N.lock; the second is
    refused, naming it, and writes nothing; the bin's log is appended to,
    one header line per attempt."""
    out = tmp_path / "out"
    args = schedule_args(tmp_path, six_clips, out, models / "tiny_video.pt",
                         "schedule_config.time_per_forward_pass=12",
                         "schedule_config.run_locally=1")
    p = run_cli(*args, "--parallel", "2", check=0)
    plan = plan_dir(tmp_path)
    victim = next(iter(outcomes(plan, 1)))
    os.remove(out / f"{victim}.pt")
    first = subprocess.Popen([CLI, "run-bin", "--plan", str(plan), "--bin",
                              "1", "--runner", "first"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    try:
        wait_for(lambda: read_status(plan, 1)["pid"] == first.pid and
                 read_status(plan, 1)["state"] == "running", 120,
                 "the first runner's status")
        # Stopped where it holds the bin: the second runs while it waits.
        first.send_signal(signal.SIGSTOP)
        second = run_cli("run-bin", "--plan", str(plan), "--bin", "1",
                         "--runner", "second")
        assert second.returncode == 1, second.stdout + second.stderr
        assert (f"bin 1 is being run by pid {first.pid} on host"
                in second.stderr), second.stderr
        st = read_status(plan, 1)
        assert st["pid"] == first.pid and st["runner"] == "first", st
        first.send_signal(signal.SIGCONT)
        first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.send_signal(signal.SIGCONT)
            first.kill()
    assert first.returncode == 0
    st = read_status(plan, 1)
    assert st["pid"] == first.pid and st["state"] == "finished", st
    assert outcomes(plan, 1)[victim] == "done"
    # A rerun of the scheduler appends to the bin's log.
    os.remove(out / f"{victim}.pt")
    run_cli(*args, "--parallel", "2", check=0)
    log = (tmp_path / "logs" / "local" / "bin_1.log").read_text()
    assert log.count("--- bin 1: run-bin started by scheduler pid") == 2, log


@pytest.mark.parametrize("levels", [100, 30000])
def test_an_override_too_deep_to_read_back_is_refused(tmp_path, models,
                                                      six_clips, levels):
    """+k.k...(100 levels)=1 used to make a plan whose bins all failed on
    'nesting deeper than 64 levels'; 30,000 levels made a 900 MB
    config.yaml. Refused now, before anything is written."""
    key = ".".join(["k"] * levels)
    p = run_cli(*schedule_args(tmp_path, six_clips, tmp_path / "out",
                               models / "tiny_video.pt",
                               "schedule_config.run_locally=1",
                               "schedule_config.time_per_forward_pass=12",
                               f"+{key}=1"))
    assert p.returncode == 2, p.stdout + p.stderr
    assert f"the key has {levels} levels, more than the 32" in p.stderr
    assert not (tmp_path / "logs").exists()
    assert not (tmp_path / "out").exists()


def test_the_deepest_override_allowed_makes_a_plan_that_runs(tmp_path, models,
                                                             six_clips):
    key = ".".join(["k"] * 32)
    value = "[" * 16 + "1" + "]" * 16
    p = run_cli(*schedule_args(tmp_path, six_clips, tmp_path / "out",
                               models / "tiny_video.pt",
                               "schedule_config.run_locally=1",
                               "schedule_config.time_per_forward_pass=12",
                               f"+{key}={value}"), check=0)
    assert "summary: 6 done, 0 skipped, 0 failed, 0 not run" in p.stdout


@pytest.fixture(scope="module")
def two_long_clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("long")
    for i in range(2):
        make_clip(str(d / f"l{i}.mp4"), seconds=60, size="160x120")
    return d


def test_bins_stop_when_the_local_scheduler_is_killed(tmp_path, models,
                                                      two_long_clips):
    """kill -9 of `schedule --parallel 2` used to leave its run-bin
    children running to the end beside any rerun. They now get SIGHUP
    when it dies and stop between batches, recorded as cancelled."""
    args = schedule_args(tmp_path, two_long_clips, tmp_path / "out",
                         models / "tiny_video.pt",
                         "schedule_config.run_locally=1",
                         "schedule_config.time_per_forward_pass=1")
    proc = subprocess.Popen([CLI, *args, "--parallel", "2"],
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        def any_running():
            try:
                plan = plan_dir(tmp_path)
                sts = [read_status(plan, b) for b in range(2)
                       if (plan / "status" / f"bin_{b:05d}.json").exists()]
            except (FileNotFoundError, AssertionError, ValueError):
                return None
            return plan if any(s["state"] == "running" for s in sts) \
                else None
        plan = wait_for(any_running, 120, "a bin running")
        proc.kill()
        proc.wait(timeout=30)

        def all_ended():
            sts = [read_status(plan, b)["state"] for b in range(2)
                   if (plan / "status" / f"bin_{b:05d}.json").exists()]
            return sts if "running" not in sts else None
        states = wait_for(all_ended, 120, "both bins to end")
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "cancelled" in states, states


@pytest.mark.parametrize("value", ["", "2x", "-1", "abc",
                                   "99999999999999999999"])
def test_run_bin_refuses_a_bad_bin_number(tmp_path, models, six_clips,
                                          value):
    """--bin '' used to run bin 0, and 2^64+ bin 2^63-1: a bad number is
    a usage error naming it, and nothing runs."""
    run_cli(*schedule_args(tmp_path, six_clips, tmp_path / "out",
                           models / "tiny_video.pt",
                           "schedule_config.run_locally=1",
                           "schedule_config.time_per_forward_pass=12"),
            check=0)
    plan = plan_dir(tmp_path)
    before = read_status(plan, 0)
    p = run_cli("run-bin", "--plan", str(plan), "--bin", value)
    assert p.returncode == 2, p.stdout + p.stderr
    assert f"bad bin '{value}'" in p.stderr, p.stderr
    assert read_status(plan, 0) == before
