"""test_docs.py - keeps README.md and docs/*.md true to the code.

- The C example (a `c` block with `int main(`) is compiled against the
  library installed into a temporary root, found through pkg-config as a
  user finds it (as test_pkgconfig.sh does), and run; the Python example
  (a `python` block that imports ego4dfeat) is run with the binding from
  python/. Both run in a folder holding what they name: configs/, model.pt
  (a tiny TorchScript video model) and videos/a.mp4, videos/b.mp4.
- Every `ego4dfeat SUBCOMMAND --option` of a shell block (sh, bash,
  console, shell or untagged) or of an inline code span names a
  subcommand that exists, and an option that the subcommand's --help
  lists.
- Every relative link resolves to a file inside the repository, and every
  #anchor to a heading of its page.
- No page cites a file outside the repository.
The checker functions are also run on broken text, so that they are seen
to fail.
"""
import glob
import os
import re
import shutil
import subprocess
import sys

import pytest

SOURCE = os.path.realpath(os.environ.get(
    "EF_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD = os.environ.get("EF_BUILD_ROOT", os.path.join(SOURCE, "build"))
CLI = os.environ.get("EF_CLI", os.path.join(BUILD, "examples", "ego4dfeat"))

SHELL_LANGS = {"", "sh", "bash", "shell", "console"}
# A command line: optional prompt, then ego4dfeat or a path ending in it.
COMMAND = re.compile(r"^(?:\$\s+)?(?:\S*/)?ego4dfeat\s+(\S+)(.*)$")
INLINE_COMMAND = re.compile(r"`((?:\S*/)?ego4dfeat\s+[^`]+)`")
OPTION = re.compile(r"--[a-z][a-z0-9-]*")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*([^\s`]*)")


def doc_pages():
    pages = [os.path.join(SOURCE, "README.md")]
    pages += sorted(glob.glob(os.path.join(SOURCE, "docs", "*.md")))
    return pages


def rel(path):
    return os.path.relpath(path, SOURCE)


# ---- Reading markdown ------------------------------------------------------

def split_markdown(text):
    """(blocks, prose): blocks as (lang, line number, text) of each fenced
    block, dedented by its fence's indent; prose as (line number, line) of
    every line outside them."""
    blocks, prose = [], []
    fence = None
    for no, line in enumerate(text.split("\n"), 1):
        m = FENCE.match(line)
        if fence is None:
            if m:
                fence = (m.group(1), m.group(2), m.group(3), no, [])
            else:
                prose.append((no, line))
        elif m and m.group(2).startswith(fence[1][0]) and \
                len(m.group(2)) >= len(fence[1]) and not m.group(3):
            indent, _, lang, start, lines = fence
            blocks.append((lang, start, "\n".join(
                l[len(indent):] if l.startswith(indent) else l.lstrip()
                for l in lines) + "\n"))
            fence = None
        else:
            fence[4].append(line)
    assert fence is None, f"a fenced block opened at line {fence[3]} is not closed"
    return blocks, prose


def slug(heading):
    """The anchor GitHub gives a heading."""
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(text):
    seen, out = {}, set()
    _, prose = split_markdown(text)
    for _, line in prose:
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        s = slug(m.group(1))
        n = seen.get(s, 0)
        seen[s] = n + 1
        out.add(s if n == 0 else f"{s}-{n}")
    return out


# ---- The checks, as functions of text so they can be tried on bad text ----

def command_lines(text):
    """(line number, subcommand, rest) of each ego4dfeat command in shell
    blocks and inline code spans."""
    blocks, prose = split_markdown(text)
    found = []
    for lang, start, body in blocks:
        if lang not in SHELL_LANGS:
            continue
        joined, first = "", None
        for i, line in enumerate(body.split("\n")):
            if first is None:
                first = start + 1 + i
            if line.rstrip().endswith("\\"):
                joined += line.rstrip()[:-1] + " "
                continue
            joined += line
            m = COMMAND.match(joined.strip())
            if m:
                found.append((first, m.group(1), m.group(2)))
            joined, first = "", None
    for no, line in prose:
        for span in INLINE_COMMAND.findall(line):
            m = COMMAND.match(span.strip())
            if m:
                found.append((no, m.group(1), m.group(2)))
    return found


def options_of(rest):
    """The --options of a command line's arguments, up to a bare `--` or
    a comment."""
    opts = []
    for token in rest.split():
        if token.startswith("#"):
            break
        token = token.strip("[]|,()")
        if token == "--":
            break
        m = OPTION.match(token)
        if m:
            opts.append(m.group(0))
    return opts


def command_problems(name, text, helps):
    """What is wrong with the commands of a page; helps: {subcommand: its
    --help text}."""
    problems = []
    for no, sub, rest in command_lines(text):
        if sub in ("--help", "-h", "--version", "-V"):
            continue
        if sub == "help":  # `ego4dfeat help [COMMAND]`: COMMAND must exist
            words = rest.split()
            topic = words[0] if words else ""
            if topic and topic[0] not in "[<-" and topic not in helps:
                problems.append(f"{name}:{no}: 'ego4dfeat help {topic}': "
                                "no such subcommand")
            continue
        if sub not in helps:
            problems.append(f"{name}:{no}: 'ego4dfeat {sub}': no such subcommand")
            continue
        known = set(OPTION.findall(helps[sub])) | {"--help"}
        for opt in options_of(rest):
            if opt not in known:
                problems.append(f"{name}:{no}: 'ego4dfeat {sub} {opt}': "
                                f"not an option of `ego4dfeat {sub} --help`")
    return problems


def link_problems(page, text, root=SOURCE):
    """Relative links of a page that do not resolve to a file (and
    heading) inside root."""
    problems = []
    _, prose = split_markdown(text)
    here = os.path.dirname(page)
    for no, line in prose:
        for target in LINK.findall(re.sub(r"`[^`]*`", "", line)):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                continue  # https:, mailto:
            path, _, anchor = target.partition("#")
            dest = os.path.realpath(os.path.join(here, path)) if path else page
            where = f"{rel(page)}:{no}: link '{target}'"
            if os.path.commonpath([dest, root]) != root:
                problems.append(f"{where} leaves the repository")
            elif not os.path.exists(dest):
                problems.append(f"{where}: no such file {os.path.relpath(dest, root)}")
            elif anchor:
                if not dest.endswith(".md") or os.path.isdir(dest):
                    problems.append(f"{where}: an anchor into a non-markdown file")
                else:
                    with open(dest, encoding="utf-8") as f:
                        if anchor not in anchors(f.read()):
                            problems.append(f"{where}: no heading #{anchor} there")
    return problems


# Files outside the repository that the project must not cite (written in
# pieces, so that this file does not cite them either).
OUTSIDE = ["REFERENCE" + ".md", "../" + "shared", "/work" + "/"]


def outside_citations(name, text):
    return [f"{name}:{no}: cites '{bad}', which is outside the repository"
            for no, line in enumerate(text.split("\n"), 1)
            for bad in OUTSIDE if bad in line]


# ---- Fixtures --------------------------------------------------------------

def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


@pytest.fixture(scope="module")
def helps():
    top = subprocess.run([CLI, "--help"], capture_output=True, text=True,
                         timeout=60)
    assert top.returncode == 0, top.stderr
    subs = re.findall(r"^  ([a-z][a-z-]*)\s{2,}", top.stdout, re.M)
    assert "extract" in subs and "merge" in subs, top.stdout
    out = {}
    for sub in subs:
        p = subprocess.run([CLI, sub, "--help"], capture_output=True,
                           text=True, timeout=60)
        assert p.returncode == 0, f"{sub} --help: {p.stderr}"
        out[sub] = p.stdout + p.stderr
    return out


@pytest.fixture(scope="module")
def example_dir(tmp_path_factory):
    """A folder with what the examples name: configs/, model.pt, videos/."""
    d = tmp_path_factory.mktemp("example")
    os.symlink(os.path.join(SOURCE, "configs"), d / "configs")
    (d / "videos").mkdir()
    for name, seconds in [("a", 1.2), ("b", 0.5)]:
        subprocess.run(["ffmpeg", "-nostdin", "-y", "-v", "error", "-f",
                        "lavfi", "-i",
                        f"testsrc2=size=160x120:rate=30:duration={seconds}",
                        "-c:v", "libx264", "-pix_fmt", "yuv420p",
                        str(d / "videos" / f"{name}.mp4")], check=True)
    models = tmp_path_factory.mktemp("models")
    subprocess.run([sys.executable,
                    os.path.join(SOURCE, "tests", "fixtures", "make_models.py"),
                    str(models), "tiny_video"], check=True,
                   stdout=subprocess.DEVNULL)
    shutil.copy(models / "tiny_video.pt", d / "model.pt")
    return d


def example_blocks(lang, needle):
    found = []
    for page in doc_pages():
        blocks, _ = split_markdown(read(page))
        found += [(rel(page), start, body) for l, start, body in blocks
                  if l == lang and needle in body]
    return found


# ---- The tests -------------------------------------------------------------

def test_every_command_and_option_exists(helps):
    problems, commands = [], 0
    for page in doc_pages():
        text = read(page)
        commands += len(command_lines(text))
        problems += command_problems(rel(page), text, helps)
    print(f"{commands} ego4dfeat command lines checked against --help")
    assert commands >= 10, "the pages' command lines were not found"
    assert not problems, "\n".join(problems)


def test_every_relative_link_resolves():
    problems, links = [], 0
    for page in doc_pages():
        text = read(page)
        _, prose = split_markdown(text)
        links += sum(len(LINK.findall(l)) for _, l in prose)
        problems += link_problems(page, text)
    print(f"{links} links checked")
    assert links >= 20, "the pages' links were not found"
    assert not problems, "\n".join(problems)


def test_no_page_cites_a_file_outside_the_repository():
    problems = []
    for page in doc_pages():
        problems += outside_citations(rel(page), read(page))
    assert not problems, "\n".join(problems)


def test_no_code_cites_a_file_outside_the_repository():
    problems, files = [], 0
    for top in ["include", "lib", "shim", "examples", "python", "tests",
                "tools", "scripts", "bench"]:
        for dirpath, _, names in os.walk(os.path.join(SOURCE, top)):
            if "corpus" in dirpath.split(os.sep):
                continue  # fuzzer inputs, not code
            for n in names:
                if not n.endswith((".c", ".h", ".cpp", ".py", ".sh",
                                   ".build", ".md", ".txt", ".toml")):
                    continue
                path = os.path.join(dirpath, n)
                files += 1
                with open(path, encoding="utf-8", errors="replace") as f:
                    problems += outside_citations(rel(path), f.read())
    assert files > 100
    assert not problems, "\n".join(problems)


def test_c_example_compiles_and_runs(example_dir, tmp_path):
    blocks = example_blocks("c", "int main(")
    assert blocks, "no complete C example (a c block with int main) found"
    dest = tmp_path / "root"
    subprocess.run(["meson", "install", "-C", BUILD, "--destdir", str(dest),
                    "--no-rebuild", "--quiet"], check=True)
    pc = glob.glob(str(dest / "**" / "ego4dfeat.pc"), recursive=True)
    assert pc, "ego4dfeat.pc was not installed"
    with open(pc[0]) as f:
        prefix = re.search(r"^prefix=(.*)$", f.read(), re.M).group(1)
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.dirname(pc[0]))
    flags = subprocess.run(
        ["pkg-config", f"--define-variable=prefix={dest}{prefix}", "--cflags",
         "--libs", "ego4dfeat"], check=True, capture_output=True, text=True,
        env=env).stdout.split()
    libdir = os.path.dirname(glob.glob(
        str(dest / "**" / "libego4dfeat.so.0"), recursive=True)[0])
    for page, start, body in blocks:
        src = tmp_path / "example.c"
        src.write_text(body)
        exe = tmp_path / "example"
        cc = subprocess.run(["cc", "-std=c11", "-Wall", "-Werror", str(src),
                             "-o", str(exe), *flags],
                            capture_output=True, text=True)
        assert cc.returncode == 0, f"{page}:{start}: {cc.stderr}"
        p = subprocess.run([str(exe)], cwd=example_dir, capture_output=True,
                           text=True, timeout=300,
                           env=dict(os.environ, LD_LIBRARY_PATH=libdir))
        print(f"{page}:{start}:\n{p.stdout}")
        assert p.returncode == 0, f"{page}:{start}: exit {p.returncode}\n{p.stderr}"
        # Both videos' features: a.mp4 is 36 frames (2 windows of 32 every
        # 16), b.mp4 15 frames (one short window).
        assert "videos/a.mp4: 2 dims, 2 windows" in p.stdout, p.stdout
        assert "videos/b.mp4: 2 dims, 1 windows" in p.stdout, p.stdout


def test_python_example_runs(example_dir):
    blocks = example_blocks("python", "import ego4dfeat")
    assert blocks, "no Python example importing ego4dfeat found"
    env = dict(os.environ, PYTHONPATH=os.path.join(SOURCE, "python"))
    lib = glob.glob(os.path.join(BUILD, "lib", "libego4dfeat.so*"))
    if lib:
        env["EF_LIBRARY"] = sorted(lib)[0]
    for page, start, body in blocks:
        out = example_dir / "features"
        shutil.rmtree(out, ignore_errors=True)
        p = subprocess.run([sys.executable, "-c", body], cwd=example_dir,
                           capture_output=True, text=True, timeout=300,
                           env=env)
        print(f"{page}:{start}:\n{p.stdout}")
        assert p.returncode == 0, f"{page}:{start}: {p.stderr}"
        assert "(2, 8)" in p.stdout and "(1, 8)" in p.stdout, p.stdout
        # The whole run wrote both videos' files.
        assert sorted(f for f in os.listdir(out) if f.endswith(".pt")) == \
            ["a.pt", "b.pt"]


# ---- The checkers fail on broken text --------------------------------------

BROKEN = """# Title

## A heading

See [here](#a-heading), [missing](no_such_file.md), [bad anchor](#nope),
[outside](../../../etc/passwd) and [web](https://example.org/x).

```sh
ego4dfeat extract --config-name x --no-such-option io.a=1 -- --not-checked
ego4dfeat frobnicate --x
ego4dfeat help extrct
ego4dfeat help extract
```

Inline: `ego4dfeat merge --out a.h5 --bogus DIR`.
"""


def test_checkers_catch_broken_text(helps, tmp_path):
    page = str(tmp_path / "page.md")
    with open(page, "w") as f:
        f.write(BROKEN)
    links = link_problems(page, BROKEN, root=str(tmp_path))
    assert len(links) == 3, links
    assert any("no_such_file.md" in p for p in links)
    assert any("#nope" in p for p in links)
    assert any("leaves the repository" in p for p in links)
    cmds = command_problems("page.md", BROKEN, helps)
    assert any("--no-such-option" in p for p in cmds), cmds
    assert any("frobnicate" in p for p in cmds), cmds
    assert any("--bogus" in p for p in cmds), cmds
    assert any("help extrct" in p for p in cmds), cmds
    assert not any("--not-checked" in p or "--config-name" in p
                   or "--out'" in p for p in cmds), cmds
    assert len(cmds) == 4, cmds
    assert outside_citations("x.md", "see ../" + "shared/x") != []
