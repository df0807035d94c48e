"""Shared fixtures of the integration tests: generated videos, generated
TorchScript models, and a helper to run the ego4dfeat CLI."""
import os
import subprocess
import sys

import pytest

SOURCE = os.environ.get("EF_SOURCE_ROOT",
                        os.path.join(os.path.dirname(__file__), "..", ".."))
CLI = os.environ.get("EF_CLI", os.path.join(SOURCE, "build", "examples",
                                            "ego4dfeat"))
sys.path.insert(0, os.path.join(SOURCE, "tests", "reference"))


def ffmpeg(out, *args):
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-v", "error", *args, out],
                   check=True)
    return out


def make_clip(path, rate=30, seconds=2.5, size="320x240", audio=False):
    args = ["-f", "lavfi", "-i",
            f"testsrc2=size={size}:rate={rate}:duration={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    args += ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "12"]
    return ffmpeg(path, *args)


@pytest.fixture(scope="session")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("models")
    subprocess.run(["/usr/bin/python3",
                    os.path.join(SOURCE, "tests", "fixtures", "make_models.py"),
                    str(d), "tiny_video", "tiny_slowfast", "tiny_image", "tiny_image2d",
                    "tiny_tokens", "tuple_output"], check=True,
                   stdout=subprocess.DEVNULL)
    return d


def run_cli(*args, check=None):
    """Runs `ego4dfeat ARGS`; returns the CompletedProcess. check: expected
    exit code (None: any)."""
    p = subprocess.run([CLI, *args], capture_output=True, text=True,
                       timeout=600)
    if check is not None and p.returncode != check:
        raise AssertionError(f"exit {p.returncode}, expected {check}\n"
                             f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


def extract_args(config, video_dir, out_dir, model, *extra):
    return ["extract", "--config-dir", os.path.join(SOURCE, "configs"),
            "--config-name", config, f"io.video_dir_path={video_dir}",
            f"io.out_path={out_dir}", f"model_config.model_path={model}",
            "inference_config.device=cpu", *extra]


def make_clips(folder, n, prefix="c", seconds=1.2):
    """n small 320x240 clips <prefix>00.mp4 ... in folder; their uids."""
    os.makedirs(folder, exist_ok=True)
    uids = [f"{prefix}{i:02d}" for i in range(n)]
    for u in uids:
        make_clip(os.path.join(folder, u + ".mp4"), seconds=seconds)
    return uids


def host_token():
    """This host as the library writes it in temporary file names."""
    import re
    import socket
    return re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname())[:64]


def dead_pid():
    """The pid of a process of this host that has exited."""
    pid = subprocess.Popen(["true"])
    pid.wait()
    try:
        os.kill(pid.pid, 0)
    except ProcessLookupError:
        return pid.pid
    raise AssertionError(f"pid {pid.pid} was reused at once")


def final_outputs(folder):
    """{name: (inode, mtime_ns)} of the feature files under final names."""
    out = {}
    if not os.path.isdir(folder):
        return out
    for name in sorted(os.listdir(folder)):
        if name.endswith(".pt") and not name.startswith("."):
            st = os.stat(os.path.join(folder, name))
            out[name] = (st.st_ino, st.st_mtime_ns)
    return out


def hidden_leftovers(folder):
    """Temporary and claim files (all our working names start with '.')."""
    if not os.path.isdir(folder):
        return []
    return sorted(n for n in os.listdir(folder) if n.startswith("."))


def bitwise_args(video_dir, models, out, *extra):
    """extract args for runs whose files compare with torch.equal: batch
    size 1 and one libtorch thread make each window's features
    bit-identical whatever else the run does; two decode workers keep the
    2-core machine usable."""
    return extract_args("mvit_k400", video_dir, out, models / "tiny_video.pt",
                        "inference_config.batch_size=1",
                        "inference_config.num_workers=2", "--threads", "1",
                        *extra)
