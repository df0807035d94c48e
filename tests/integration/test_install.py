"""`meson install` into a destdir, then each installed piece run from
there: the CLI with the installed configs, the Python package, the export
tool (ego4dfeat-export), the man page ego4dfeat(1) (checked against
`ego4dfeat help COMMAND`, the text it is written from) and the bash
completion (subcommands, options, --config-name values, override keys)."""
import glob
import json
import os
import re
import shutil
import subprocess

import pytest
import torch

from conftest import SOURCE, make_clip

BUILD = os.environ.get("EF_BUILD_ROOT", os.path.join(SOURCE, "build"))
COMMANDS = ["extract", "profile", "schedule", "run-bin", "inference",
            "merge"]


class Installed:
    """Paths of one install: root is the destdir, the rest lie under it."""

    def __init__(self, root):
        opts = {o["name"]: o["value"] for o in json.loads(subprocess.run(
            [shutil.which("meson"), "introspect", BUILD, "--buildoptions"],
            capture_output=True, text=True, check=True).stdout)}
        prefix = root + opts["prefix"]
        self.root = root
        self.prefix = opts["prefix"]
        self.bin = os.path.join(prefix, opts["bindir"])
        self.lib = os.path.join(prefix, opts["libdir"])
        self.configs = os.path.join(prefix, opts["datadir"], "ego4dfeat",
                                    "configs")
        self.man = os.path.join(prefix, opts["mandir"], "man1", "ego4dfeat.1")
        self.completion = os.path.join(prefix, opts["datadir"],
                                       "bash-completion", "completions",
                                       "ego4dfeat")
        packages = glob.glob(os.path.join(prefix, "lib", "python3*",
                                          "*-packages", "ego4dfeat",
                                          "__init__.py"))
        self.python = os.path.dirname(os.path.dirname(packages[0])) \
            if len(packages) == 1 else None
        self.cli = os.path.join(self.bin, "ego4dfeat")
        # Only what was installed: no build tree, no source checkout.
        self.env = {"PATH": self.bin + ":/usr/bin:/bin",
                    "LD_LIBRARY_PATH": self.lib,
                    "HOME": os.environ.get("HOME", "/tmp"),
                    "PYTHONDONTWRITEBYTECODE": "1"}

    def run(self, *args, check=0, cwd=None, env=None):
        p = subprocess.run(list(args), capture_output=True, text=True,
                           env={**self.env, **(env or {})}, cwd=cwd or
                           self.root, timeout=600)
        assert check is None or p.returncode == check, \
            f"{args}: exit {p.returncode}\n{p.stdout}\n{p.stderr}"
        return p


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("destdir"))
    p = subprocess.run([shutil.which("meson"), "install", "-C", BUILD,
                        "--destdir", root, "--no-rebuild", "--quiet"],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    return Installed(root)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    d = tmp_path_factory.mktemp("videos")
    make_clip(str(d / "clip.mp4"), seconds=1.2, size="160x120")
    return d


def test_everything_is_installed(installed):
    for path in [installed.cli, os.path.join(installed.bin,
                                             "ego4dfeat-export"),
                 installed.man, installed.completion,
                 os.path.join(installed.configs, "mvit_k400.yaml")]:
        assert os.path.isfile(path), path
    assert os.access(os.path.join(installed.bin, "ego4dfeat-export"),
                     os.X_OK)
    assert installed.python, "the Python package is not in site-packages"
    assert os.path.isfile(os.path.join(installed.python, "ego4dfeat",
                                       "_lib.py"))
    # Where Debian's python3 searches a folder under the prefix (for
    # /usr/local: lib/python3.11/dist-packages), the package is there, so
    # a plain `import ego4dfeat` finds it once installed.
    searched = subprocess.run(["/usr/bin/python3", "-c",
                               "import sys; print('\\n'.join(sys.path))"],
                              capture_output=True, text=True,
                              check=True).stdout.split()
    under = [p for p in searched
             if p.startswith(installed.prefix.rstrip("/") + "/lib/")]
    if under:
        assert installed.python[len(installed.root):] in under, under


def test_installed_cli_extracts_with_the_installed_configs(installed, clip,
                                                           tmp_path):
    p = installed.run(installed.cli, "--version")
    assert re.fullmatch(r"ego4dfeat \d+\.\d+\.\d+\n", p.stdout)
    models = tmp_path / "m"
    subprocess.run(["/usr/bin/python3", os.path.join(
        SOURCE, "tests", "fixtures", "make_models.py"), str(models),
        "tiny_video"], check=True, stdout=subprocess.DEVNULL)
    out = tmp_path / "o"
    p = installed.run(installed.cli, "extract", "--config-dir",
                      installed.configs, "--config-name", "mvit_k400",
                      f"io.video_dir_path={clip}", f"io.out_path={out}",
                      f"model_config.model_path={models / 'tiny_video.pt'}",
                      "inference_config.device=cpu")
    assert f"wrote {out}/clip.pt (2 windows)" in p.stdout, p.stdout
    assert torch.load(out / "clip.pt").shape == (2, 8)  # tiny_video: 8-d


def test_installed_python_package_loads_the_installed_library(installed):
    code = ("import ego4dfeat as ef, sys\n"
            "print(ef.__file__)\n"
            "print(ef.library_version())\n"
            f"cfg = ef.Config.load('mvit_k400', config_dir={installed.configs!r})\n"
            "print(cfg.get('inference_config.frame_window'))\n")
    p = installed.run("/usr/bin/python3", "-c", code,
                      env={"PYTHONPATH": installed.python})
    file, version, window = p.stdout.split("\n")[:3]
    assert file.startswith(installed.python + "/ego4dfeat/"), file
    cli_version = installed.run(installed.cli, "--version").stdout.split()[1]
    assert version == cli_version and window == "32", p.stdout


def test_installed_export_tool_runs(installed, clip, tmp_path):
    export = os.path.join(installed.bin, "ego4dfeat-export")
    p = installed.run(export, "--list")
    assert "r3d_18" in p.stdout and "slowfast_r101_8x8" in p.stdout
    out = tmp_path / "m"
    installed.run("ego4dfeat-export", "--out", str(out), "r3d_18",
                  "--frame-window", "8", "--side-size", "40",
                  "--crop-size", "32", "--weights", "random")
    feats = tmp_path / "f"
    p = installed.run(installed.cli, "extract", "--config-dir", str(out),
                      "--config-name", "r3d_18", f"io.video_dir_path={clip}",
                      f"io.out_path={feats}", "inference_config.device=cpu")
    assert torch.load(feats / "clip.pt").shape == (5, 512), p.stdout


def _man_sections(text):
    """{title: the no-fill text under it, unescaped} of a man page."""
    sections, title, body, fill = {}, None, [], False
    for line in text.splitlines():
        if line.startswith(".SH "):
            if title:
                sections[title] = "".join(body)
            title, body = line[4:].strip('"'), []
        elif line == ".nf":
            fill = True
        elif line == ".fi":
            fill = False
        elif fill and title:
            line = line.replace("\\-", "-").replace("\\e", "\\")
            body.append((line[2:] if line.startswith("\\&") else line) +
                        "\n")
    if title:
        sections[title] = "".join(body)
    return sections


def test_man_page_has_each_command_as_its_help_says(installed):
    page = open(installed.man).read()
    assert page.startswith(".\\\"") and "\n.TH EGO4DFEAT 1 " in page
    sections = _man_sections(page)
    for name in COMMANDS:
        assert name.upper() in sections, sorted(sections)
        help_text = installed.run(installed.cli, "help", name).stdout
        assert sections[name.upper()] == help_text, name
    if shutil.which("groff"):  # renders without a warning
        p = installed.run("groff", "-man", "-Tutf8", "-ww", "-z",
                          installed.man)
        assert p.stderr == "", p.stderr


def _complete(installed, *words, env=None, cwd=None):
    """What the installed completion offers for the command line `words`
    (the last one being completed)."""
    script = (f"source {installed.completion!r}\n"
              f"COMP_WORDS=({' '.join(repr(w) for w in words)})\n"
              "COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
              "_ego4dfeat 2>/dev/null\n"
              "printf '%s\\n' \"${COMPREPLY[@]}\"\n")
    p = installed.run("bash", "-c", script, env=env, cwd=cwd)
    return [x for x in p.stdout.splitlines() if x]


def test_bash_completion(installed, tmp_path):
    cli = installed.cli
    assert _complete(installed, cli, "ext") == ["extract"]
    assert _complete(installed, cli, "help", "run") == ["run-bin"]
    assert set(_complete(installed, cli, "")) >= set(COMMANDS)
    assert "--quiet" in _complete(installed, cli, "extract", "--q")
    assert "--dry-run" in _complete(installed, cli, "schedule", "--d")
    # Config names: the installed folder is searched last, under the
    # prefix it was configured with (a destdir is not the prefix, so
    # EGO4DFEAT_CONFIG_DIR points there here).
    text = open(installed.completion).read()
    assert f'"{installed.prefix}/share/ego4dfeat/configs"' in text
    env = {"EGO4DFEAT_CONFIG_DIR": installed.configs}
    names = _complete(installed, cli, "extract", "--config-name", "mvit",
                      env=env, cwd=str(tmp_path))
    assert names == ["mvit_imagenet", "mvit_k400"], names
    own = tmp_path / "mine"
    own.mkdir()
    (own / "mvit_custom.yaml").write_text("fps: 30\n")
    names = _complete(installed, cli, "extract", "--config-dir", str(own),
                      "--config-name", "mvit", env=env, cwd=str(tmp_path))
    assert names[0] == "mvit_custom" and "mvit_k400" in names, names
    # Override keys of the config on the line.
    keys = _complete(installed, cli, "extract", "--config-name", "mvit_k400",
                     "io.out", env=env, cwd=str(tmp_path))
    assert sorted(keys) == ["io.out_format=", "io.out_path="], keys
    assert _complete(installed, cli, "extract", "--config-name", "mvit_k400",
                     "+inference_config.batch", env=env,
                     cwd=str(tmp_path)) == ["+inference_config.batch_size="]
    assert _complete(installed, cli, "extract", "--config-name", "mvit_k400",
                     "~model_config.model_p", env=env,
                     cwd=str(tmp_path)) == ["~model_config.model_path"]
