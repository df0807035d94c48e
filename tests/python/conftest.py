"""Fixtures of the binding's tests: the package from python/, generated
clips and TorchScript models, and the CLI to compare with."""
import os
import subprocess
import sys

import pytest

SOURCE = os.environ.get("EF_SOURCE_ROOT",
                        os.path.join(os.path.dirname(__file__), "..", ".."))
CLI = os.environ.get("EF_CLI", os.path.join(SOURCE, "build", "examples",
                                            "ego4dfeat"))
CONFIGS = os.path.join(SOURCE, "configs")
sys.path.insert(0, os.path.join(SOURCE, "python"))


def ffmpeg(out, *args):
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-v", "error", *args, out],
                   check=True)
    return out


def make_clip(path, rate=30, seconds=1.5, size="320x240"):
    return ffmpeg(path, "-f", "lavfi", "-i",
                  f"testsrc2=size={size}:rate={rate}:duration={seconds}",
                  "-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "12")


def run_cli(*args, check=0):
    p = subprocess.run([CLI, *args], capture_output=True, text=True,
                       timeout=600)
    if check is not None and p.returncode != check:
        raise AssertionError(f"exit {p.returncode}, expected {check}\n"
                             f"stdout:\n{p.stdout}\nstderr:\n{p.stderr}")
    return p


@pytest.fixture(scope="session")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("models")
    make = os.path.join(SOURCE, "tests", "fixtures", "make_models.py")
    subprocess.run(["/usr/bin/python3", make,
                    str(d), "tiny_video", "tiny_slowfast", "tiny_image",
                    "tiny_tokens", "tuple_output"], check=True,
                   stdout=subprocess.DEVNULL)
    return d


@pytest.fixture(scope="session")
def videos(tmp_path_factory):
    d = tmp_path_factory.mktemp("videos")
    make_clip(str(d / "a.mp4"), seconds=1.5)             # 45 frames
    make_clip(str(d / "b.mp4"), rate=25, seconds=1.2)    # resampled
    make_clip(str(d / "c.mp4"), seconds=0.5, size="180x320")
    return d


@pytest.fixture
def ef():
    import ego4dfeat
    return ego4dfeat


@pytest.fixture
def video_config(ef, models):
    """mvit_k400 with the tiny video model, on the CPU."""
    with ef.Config.load("mvit_k400", config_dir=CONFIGS, overrides=[
            f"model_config.model_path={models / 'tiny_video.pt'}",
            "inference_config.device=cpu"]) as cfg:
        yield cfg
