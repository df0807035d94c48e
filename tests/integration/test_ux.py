"""What the user sees: messages, Hydra habits, discovery of what to
extract, progress and debug output (issue 9). Each test runs the CLI on
tiny generated clips; together they take well under a minute."""
import os
import re

import pytest

from conftest import SOURCE, extract_args, make_clip, run_cli

CONFIGS = os.path.join(SOURCE, "configs")


def config_args(config, *extra):
    return ["extract", "--config-dir", CONFIGS, "--config-name", config,
            *extra]


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """one.mp4: 1 s (30 frames < 32: one window); two.mp4: 1.2 s (two)."""
    d = tmp_path_factory.mktemp("clips")
    make_clip(str(d / "one.mp4"), seconds=1.0, size="160x120")
    make_clip(str(d / "two.mp4"), seconds=1.2, size="160x120")
    return d


# ---- Messages --------------------------------------------------------------

def test_cuda_unavailable_suggests_cpu_and_exits_2(tmp_path, clips):
    fake = tmp_path / "model.pt"
    fake.write_bytes(b"")  # the device is checked before the file is read
    p = run_cli(*config_args("mvit_k400", f"io.video_dir_path={clips}",
                             f"io.out_path={tmp_path / 'o'}",
                             f"model_config.model_path={fake}",
                             "inference_config.device=cuda"))
    if "CUDA is not available" not in p.stderr:
        pytest.skip("this machine has CUDA")
    assert p.returncode == 2, p.stderr
    assert "inference_config.device=cpu" in p.stderr, p.stderr


@pytest.mark.parametrize("typo,want", [
    ("io.video_dir", "io.video_dir_path"),
    ("io.out", "io.out_path"),
    ("batch_size", "inference_config.batch_size"),
])
def test_typo_suggests_the_key_meant(typo, want):
    p = run_cli(*config_args("mvit_k400", f"{typo}=1"), check=2)
    assert f"(did you mean '{want}'?)" in p.stderr, p.stderr


def test_multirun_is_rejected_clearly():
    for flag in ["-m", "--multirun"]:
        p = run_cli(*config_args("mvit_k400", flag,
                                 "inference_config.batch_size=1,2"), check=2)
        assert "multirun" in p.stderr and "not supported" in p.stderr, p.stderr


@pytest.mark.parametrize("flags", [["--cfg", "job"], ["--info"],
                                   ["--cfg=job"]])
def test_cfg_job_prints_the_resolved_config(flags):
    p = run_cli(*config_args("mvit_k400", "inference_config.batch_size=7",
                             *flags), check=0)
    assert "batch_size: 7" in p.stdout, p.stdout
    assert "model_config:" in p.stdout
    assert "videos:" not in p.stdout  # nothing ran


def test_hydra_settings_warn_and_are_ignored():
    p = run_cli(*config_args("mvit_k400", "hydra.run.dir=/tmp/x",
                             "hydra/launcher=submitit_slurm", "--cfg", "job"),
                check=0)
    assert "warning: ignoring 'hydra.run.dir=/tmp/x'" in p.stderr, p.stderr
    assert "hydra/launcher" in p.stderr
    assert "hydra" not in p.stdout


def test_model_of_another_kind_names_the_kind(tmp_path, clips, models):
    # A plain video model under the slowfast config gets [slow, fast].
    p = run_cli(*extract_args("slowfast_r101_8x8", clips, tmp_path / "o",
                              models / "tiny_video.pt", "io.uid_list=[one]"))
    assert p.returncode == 1, p.stderr
    line = [x for x in p.stderr.splitlines() if x.startswith("failed one:")]
    assert line, p.stderr
    assert "tiny_video.pt failed on a [[1,3,8,256,256], [1,3,32,256,256]] " \
        "input for kind 'slowfast'" in line[0], line[0]
    assert "check model_config.kind" in line[0]


def test_no_raw_ffmpeg_lines_on_stderr(tmp_path, clips, models):
    d = tmp_path / "v"
    d.mkdir()
    (d / "junk.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"x" * 4000)
    good = (clips / "two.mp4").read_bytes()
    (d / "cut.mp4").write_bytes(good[: len(good) // 2])
    p = run_cli(*extract_args("mvit_k400", d, tmp_path / "o",
                              models / "tiny_video.pt"))
    assert p.returncode == 1
    assert "failed junk:" in p.stderr and "failed cut:" in p.stderr, p.stderr
    # FFmpeg's own lines look like "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55...] ..."
    raw = [x for x in p.stderr.splitlines()
           if re.search(r"\[[^\]]* @ 0x[0-9a-f]+\]", x)]
    assert not raw, p.stderr


def test_counts_are_pluralised(tmp_path, clips, models):
    p = run_cli(*extract_args("mvit_k400", clips, tmp_path / "o",
                              models / "tiny_video.pt", "io.uid_list=[one]"),
                check=0)
    assert "one.pt (1 window)" in p.stdout, p.stdout
    assert "1 video: 1 done, 0 skipped" in p.stdout, p.stdout
    assert "; 1 window;" in p.stdout
    p = run_cli(*extract_args("mvit_k400", clips, tmp_path / "o2",
                              models / "tiny_video.pt", "io.uid_list=[one,two]"),
                check=0)
    assert "two.pt (2 windows)" in p.stdout, p.stdout
    assert "2 videos: 2 done" in p.stdout and "; 3 windows;" in p.stdout



def test_schedule_plan_is_pluralised(tmp_path, clips, models):
    p = run_cli("schedule", *config_args(
        "mvit_k400", f"io.video_dir_path={clips}", "io.uid_list=[one]",
        f"io.out_path={tmp_path / 'o'}",
        f"model_config.model_path={models / 'tiny_video.pt'}",
        "inference_config.device=cpu",
        f"schedule_config.log_folder={tmp_path / 'log'}/%j",
        "--dry-run")[1:], check=0)
    assert "plan: 1 video in 1 bin of at most" in p.stdout, p.stdout
    assert "(lower bound 1 bin)" in p.stdout
    assert "1 task at a time" in p.stdout
    assert "to run: 1 of 1 bin (1 video)" in p.stdout


# ---- Discovery -------------------------------------------------------------

def test_only_media_files_are_videos(tmp_path, clips, models):
    d = tmp_path / "v"
    d.mkdir()
    (d / "one.mp4").write_bytes((clips / "one.mp4").read_bytes())
    (d / "notes.txt").write_text("shot on a Tuesday\n")
    (d / "README").write_text("x\n")
    p = run_cli(*extract_args("mvit_k400", d, tmp_path / "o",
                              models / "tiny_video.pt", "--quiet"), check=0)
    assert "1 video: 1 done, 0 skipped, 0 failed" in p.stdout, p.stdout
    assert "notes" not in p.stdout + p.stderr


def test_folder_without_videos_is_an_error(tmp_path, models):
    d = tmp_path / "v"
    d.mkdir()
    p = run_cli(*extract_args("mvit_k400", d, tmp_path / "o",
                              models / "tiny_video.pt"))
    assert p.returncode == 1, p.stderr
    assert f"{d}: no media files to extract (the folder is empty" in p.stderr
    (d / "notes.txt").write_text("x\n")
    p = run_cli(*extract_args("mvit_k400", d, tmp_path / "o",
                              models / "tiny_video.pt"))
    assert p.returncode == 1, p.stderr
    assert "1 other file ignored, e.g. 'notes.txt'" in p.stderr, p.stderr


def test_uid_list_takes_file_names_and_absolute_paths(tmp_path, clips,
                                                      models):
    d = tmp_path / "v"
    d.mkdir()
    (d / "one.mp4").write_bytes((clips / "one.mp4").read_bytes())
    far = tmp_path / "far" / "two.mkv"
    far.parent.mkdir()
    far.write_bytes((clips / "two.mp4").read_bytes())
    out = tmp_path / "o"
    p = run_cli(*extract_args("mvit_k400", d, out, models / "tiny_video.pt",
                              f"io.uid_list=[one.mp4,{far}]"), check=0)
    assert f"wrote {out}/one.pt (1 window)" in p.stdout, p.stdout
    assert f"wrote {out}/two.pt (2 windows)" in p.stdout, p.stdout
    assert sorted(os.listdir(out)) == [
        "config.yaml", "one.fp", "one.pt", "one.times.npy", "two.fp",
        "two.pt", "two.times.npy"]
    assert sorted(os.listdir(far.parent)) == ["two.mkv"]  # nothing written


def test_two_inputs_with_one_uid_are_an_error(tmp_path, clips, models):
    p = run_cli(*extract_args("mvit_k400", clips, tmp_path / "o",
                              models / "tiny_video.pt",
                              f"io.uid_list=[one.mp4,{clips / 'one.mp4'}]"))
    assert p.returncode == 2, p.stderr
    assert f"'one.mp4' and '{clips / 'one.mp4'}' both give uid 'one'" \
        in p.stderr, p.stderr


def test_video_paths_after_double_dash(tmp_path, clips, models):
    other = tmp_path / "b" / "three.mkv"
    other.parent.mkdir()
    other.write_bytes((clips / "two.mp4").read_bytes())
    out = tmp_path / "o"
    base = extract_args("mvit_k400", tmp_path / "nowhere", out,
                        models / "tiny_video.pt")
    p = run_cli(*base, "--", str(clips / "one.mp4"), str(other), check=0)
    assert f"wrote {out}/one.pt (1 window)" in p.stdout, p.stdout
    assert f"wrote {out}/three.pt (2 windows)" in p.stdout
    p = run_cli(*base, "--", str(clips / "two.mp4"), str(other.parent /
                                                         "two.mkv"))
    assert p.returncode == 2
    assert "both give uid 'two'" in p.stderr, p.stderr
    p = run_cli(*base, "io.uid_list=[one]", "--", str(clips / "one.mp4"))
    assert p.returncode == 2 and "give them one way" in p.stderr, p.stderr


# ---- Debug mode ------------------------------------------------------------

def test_debug_mode_says_where_the_pngs_went(tmp_path, clips, models):
    import av
    import numpy as np
    out, dbg = tmp_path / "o", tmp_path / "dbg"
    p = run_cli(*extract_args("slowfast_r101_8x8", clips, out,
                              models / "tiny_slowfast.pt", "io.uid_list=[two]",
                              "io.debug_mode=1", f"io.debug_path={dbg}"),
                check=0)
    assert f"wrote 2 PNGs to {dbg}/two/" in p.stdout, p.stdout
    # The progress line counts the windows the summary counts (PNGs, not
    # forward passes: none runs in debug mode).
    assert "[1/1] two done (2 windows); 100.0% of windows" in p.stderr, \
        p.stderr
    assert "1 video: 1 done, 0 skipped, 0 failed, 0 not run; 2 windows;" \
        in p.stdout
    assert ".pt" not in p.stdout  # no feature file is written, none claimed
    assert not (out / "two.pt").exists()
    # 36 frames, W 32, S 16: windows [0, 32) and [4, 36).
    names = sorted(os.listdir(dbg / "two"))
    assert names == ["w000000_t0000.00-0001.07.png",
                     "w000001_t0000.13-0001.20.png"], names
    with av.open(str(dbg / "two" / names[1])) as c:
        img = next(c.decode(video=0)).to_ndarray(format="rgb24")
    # Both pathways: the slow one's 8 frames (2 rows of 6), a 10-pixel
    # gap, then the fast one's 32 (6 rows); each cell a 14-pixel label band
    # above its 256x256 tile, 2-pixel gaps.
    cell, gap = 14 + 256, 2
    slow_h = 2 * cell + gap
    assert img.shape == (slow_h + 10 + 6 * cell + 5 * gap,
                         6 * 256 + 5 * gap, 3), img.shape

    def cell_at(top, j):
        y, x = top + (j // 6) * (cell + gap), (j % 6) * (256 + gap)
        return img[y:y + 14, x:x + 256], img[y + 14:y + cell, x:x + 256]

    # torch.linspace(0, 31, 8) truncated: the slow pathway's frames.
    for j, t in enumerate([0, 4, 8, 13, 17, 22, 26, 31]):
        band_s, tile_s = cell_at(0, j)
        band_f, tile_f = cell_at(slow_h + 10, t)
        assert np.array_equal(tile_s, tile_f), (j, t)
        assert np.array_equal(band_s, band_f), (j, t)
    # Every band holds a label (white digits on grey), and frames 4 and 5
    # of the video (tiles 0 and 1) are labelled differently.
    bands = [cell_at(slow_h + 10, t)[0] for t in range(32)]
    for b in bands:
        assert set(np.unique(b)) == {64, 255}
    assert not np.array_equal(bands[0], bands[1])


# ---- The command line: help, version, typos, --quiet ------------------------

def test_unknown_command_suggests_the_one_meant():
    for typo, want in [("extrct", "extract"), ("mrege", "merge"),
                       ("sched", "schedule"), ("run_bin", "run-bin")]:
        p = run_cli(typo, check=2)
        assert f"unknown command '{typo}' (did you mean '{want}'?)" \
            in p.stderr, p.stderr
    p = run_cli("frobnicate", check=2)
    assert "unknown command 'frobnicate'" in p.stderr
    assert "did you mean" not in p.stderr
    p = run_cli("help", "extrct", check=2)
    assert "(did you mean 'extract'?)" in p.stderr


def test_help_command_and_version():
    listing = run_cli("help", check=0).stdout
    assert listing == run_cli("--help", check=0).stdout
    for name in ["extract", "profile", "schedule", "run-bin", "inference",
                 "merge"]:
        assert f"\n  {name} " in listing, listing
        own = run_cli(name, "--help", check=0).stdout
        assert own.startswith(f"usage: ego4dfeat {name} "), own
        assert run_cli("help", name, check=0).stdout == own
    p = run_cli("--version", check=0)
    assert re.fullmatch(r"ego4dfeat \d+\.\d+\.\d+\n", p.stdout), p.stdout


def test_quiet_prints_errors_and_the_summary_only(tmp_path, clips, models):
    d = tmp_path / "v"
    d.mkdir()
    (d / "one.mp4").write_bytes((clips / "one.mp4").read_bytes())
    (d / "junk.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"x" * 4000)
    p = run_cli(*extract_args("mvit_k400", d, tmp_path / "o",
                              models / "tiny_video.pt", "--quiet"))
    assert p.returncode == 1, p.stderr
    assert "wrote" not in p.stdout, p.stdout
    lines = p.stdout.splitlines()
    assert lines[0].startswith("2 videos: 1 done, 0 skipped, 1 failed"), \
        p.stdout
    assert lines[1].startswith("time: ") and len(lines) == 2, p.stdout
    # The failure, once, and no progress lines.
    assert [x for x in p.stderr.splitlines() if "junk" in x] == [
        x for x in p.stderr.splitlines() if x.startswith("failed junk:")], \
        p.stderr
    assert "done (" not in p.stderr and "[1/2]" not in p.stderr, p.stderr
    # A rerun skips the done video: still nothing but the summary.
    p = run_cli(*extract_args("mvit_k400", d, tmp_path / "o",
                              models / "tiny_video.pt", "--quiet",
                              "io.uid_list=[one]"), check=0)
    assert p.stdout.startswith("1 video: 0 done, 1 skipped"), p.stdout
    assert len(p.stdout.splitlines()) == 2 and p.stderr == "", p.stderr


# ---- Progress ----------------------------------------------------------------

@pytest.fixture(scope="module")
def three_clips(tmp_path_factory, clips):
    """one (1 window), two (2) and three.mp4 (4 s, 120 frames: 7 windows
    of 32 every 16), for a run whose videos differ in length."""
    d = tmp_path_factory.mktemp("three")
    for name in ["one", "two"]:
        (d / f"{name}.mp4").write_bytes((clips / f"{name}.mp4").read_bytes())
    make_clip(str(d / "three.mp4"), seconds=4.0, size="160x120")
    return d


def test_progress_knows_the_total_before_the_first_video(tmp_path,
                                                          three_clips, models):
    """The log line of the first video to finish already divides by the
    run's 10 windows (a probe of each file before the run, as the scheduler
    estimates them), whichever order: one at a time, 'one' (1 window) first,
    is 10 %, not 1 / (1 + 2 * 1) = 33 %; and the share never falls."""
    for extra in [[], ["--", str(three_clips / "three.mp4"),
                       str(three_clips / "one.mp4"),
                       str(three_clips / "two.mp4")]]:
        args = extract_args("mvit_k400", three_clips, tmp_path / "o",
                            models / "tiny_video.pt",
                            "inference_config.num_workers=1",
                            "io.filter_completed=false", *extra)
        p = run_cli(*args, check=0)
        got = re.findall(r"^\[(\d)/3\] (\w+) done \((\d) windows?\); "
                         r"([\d.]+)% of windows", p.stderr, re.M)
        assert len(got) == 3, p.stderr
        done, shares = 0, []
        for _, uid, windows, share in got:
            done += int(windows)
            assert float(share) == pytest.approx(100.0 * done / 10, abs=0.05), \
                p.stderr
            shares.append(float(share))
        assert shares == sorted(shares) and shares[-1] == 100.0


def _run_on_a_terminal(args, columns=110):
    """Runs the CLI with stderr on a pseudo-terminal `columns` wide; its
    stderr as the terminal got it."""
    import fcntl
    import pty
    import select
    import struct
    import subprocess
    import termios
    from conftest import CLI
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns,
                                                       0, 0))
    proc = subprocess.Popen([CLI, *args], stdout=subprocess.DEVNULL,
                            stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            proc.kill()
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal (EIO)
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=60)
    os.close(master)
    return proc.returncode, out.decode()


def test_progress_line_never_goes_back_and_keeps_its_bar(tmp_path,
                                                          three_clips, models):
    rc, text = _run_on_a_terminal(extract_args(
        "mvit_k400", three_clips, tmp_path / "o", models / "tiny_video.pt",
        "inference_config.num_workers=1", "inference_config.batch_size=1"))
    assert rc == 0, text
    draws = [d for d in text.replace("\r\n", "\n").split("\r\x1b[K") if d]
    draws = [d.split("\n")[0] for d in draws if d.startswith("[")]
    assert len(draws) >= 4, text
    shares, bars, totals, tails = [], set(), set(), set()
    for d in draws:
        m = re.match(r"\[([ \d]+)/3\] (\|[#-]+\|) +([\d.]+)% (\d+)/(\d+) "
                     r"windows", d)
        assert m, d
        bars.add(len(m.group(2)))
        shares.append(float(m.group(3)))
        totals.add(int(m.group(5)))
        uid = re.search(r" (one|two|three) \d+/\d+$", d)
        if uid:
            tails.add(uid.start())
        assert len(d) <= 109, d
    assert shares == sorted(shares), shares
    assert len(bars) == 1, draws     # the bar's width never changes
    assert totals == {10}, draws      # known from the first draw
    assert len(tails) <= 1, draws     # the tail never shifts
    assert shares[-1] == 100.0


# ---- Debug mode, schedule, fps -------------------------------------------------

def test_schedule_status_of_a_local_plan_says_here(tmp_path, clips, models):
    base = config_args(
        "mvit_k400", f"io.video_dir_path={clips}", "io.uid_list=[one]",
        f"io.out_path={tmp_path / 'o'}",
        f"model_config.model_path={models / 'tiny_video.pt'}",
        "inference_config.device=cpu",
        f"schedule_config.log_folder={tmp_path / 'log'}/%j")[1:]
    p = run_cli("schedule", *base, "--status", check=1)  # nothing ran yet
    to_run = [x for x in p.stdout.splitlines() if x.startswith("to run:")]
    assert to_run == ["to run: 1 of 1 bin (1 video)"], p.stdout
    run_cli("schedule", *base, "schedule_config.run_locally=1",
            "force_yes=true", check=0)
    p = run_cli("schedule", *base, "--status", check=0)
    to_run = [x for x in p.stdout.splitlines() if x.startswith("to run:")]
    assert to_run == ["to run: 0 of 1 bin (0 videos), here"], p.stdout
    assert "SLURM" not in p.stdout


def test_top_level_fps_that_differs_is_not_silent(tmp_path, clips, models):
    """The reference samples at inference_config.fps; an override of the
    top-level fps does not change the rate, and says so."""
    p = run_cli(*extract_args("mvit_k400", clips, tmp_path / "o",
                              models / "tiny_video.pt", "io.uid_list=[two]",
                              "fps=25"), check=0)
    assert "warning: fps=25 is not inference_config.fps=30" in p.stderr, \
        p.stderr
    assert "set inference_config.fps=25" in p.stderr
    assert "two.pt (2 windows)" in p.stdout  # sampled at 30: 36 frames
    p = run_cli(*extract_args("mvit_k400", clips, tmp_path / "o2",
                              models / "tiny_video.pt", "io.uid_list=[two]",
                              "fps=25", "inference_config.fps=25"), check=0)
    assert "warning" not in p.stderr, p.stderr
    assert "two.pt (1 window)" in p.stdout  # 30 frames at 25 fps
