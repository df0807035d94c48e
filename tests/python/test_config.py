"""Issue 18's Python points: Config reads as YAML means (quoted scalars stay
strings, a null is None and a key the config has), overrides given as one
str, exceptions that are also the builtins a Python user catches, type
hints, docstrings and py.typed on the public API, reprs that say what a
handle holds, and a README whose library search order is _lib.py's."""
import inspect
import os
import re
import typing

import pytest

from conftest import CONFIGS, SOURCE


# ---- Scalars, nulls and keys -------------------------------------------------


def test_quoted_scalars_stay_strings(ef):
    # In a YAML document.
    with ef.Config.parse('io:\n  uid_list: ["001", "1e5", \'true\', "null", '
                         '"3.0", 001]\n') as cfg:
        assert cfg.get("io.uid_list") == ["001", "1e5", "true", "null",
                                          "3.0", "001"][:5] + [1]
        assert cfg.get("io.uid_list.0") == "001"
    # In overrides.
    with ef.Config.load("mvit_k400", config_dir=CONFIGS, overrides=[
            'io.uid_list=["001","1e5"]', "+a=001", "+b=1e5", '+c="12"',
            "+d=12", "+e=true", "+f=.inf", '+g=["x", 2, 2.5, null, false]',
            "+h=123456789012345678901234567890"]) as cfg:
        assert cfg.get("io.uid_list") == ["001", "1e5"]
        assert cfg.get("a") == 1 and type(cfg.get("a")) is int
        assert cfg.get("b") == 1e5 and type(cfg.get("b")) is float
        assert cfg.get("c") == "12" and cfg.get("d") == 12
        assert cfg.get("e") is True and cfg.get("f") == float("inf")
        assert cfg.get("g") == ["x", 2, 2.5, None, False]
        assert cfg.get("h") == 123456789012345678901234567890
        assert [cfg.type_of(k) for k in "abcdeg"] == [
            "int", "float", "str", "int", "bool", "list"]
        assert cfg.type_of("io") == "map" and cfg.type_of("nope") is None
        # The C accessor itself: a quoted "12" is EF_CONFIG_STRING.
        import ctypes
        lib = cfg._lib
        t = ctypes.c_int()
        with cfg._use() as h:
            for key, want in ((b"c", 4), (b"d", 2), (b"io.uid_list", 5),
                              (b"io", 6), (b"g.3", 0), (b"b", 3),
                              (b"e", 1)):
                assert lib.ef_config_get_type(h, key, ctypes.byref(t)) == 0
                assert t.value == want, key
            assert lib.ef_config_get_type(h, b"z", ctypes.byref(t)) == -4


def test_a_null_is_none_and_every_key_is_in(ef, video_config):
    cfg = video_config
    assert cfg.get("io.uid_list") is None
    assert cfg.get("io.uid_list", "default") is None  # it is set: to null
    assert "io.uid_list" in cfg
    assert "io" in cfg and "model_config.mean.0" in cfg
    assert "io.nope" not in cfg and "model_config.mean.3" not in cfg
    assert 3 not in cfg
    dumped = re.findall(r"^(\w+):", cfg.dump(), re.M)
    assert dumped and all(k in cfg for k in dumped)
    with pytest.raises(KeyError):
        cfg["io.nope"]
    with pytest.raises(ef.ConfigError):
        cfg.get("io")  # a map


# ---- Exceptions ---------------------------------------------------------------


def test_exceptions_are_also_builtins(ef, video_config, videos):
    with pytest.raises(FileNotFoundError) as e:
        ef.Config.load("no_such_config", config_dir=CONFIGS)
    assert isinstance(e.value, ef.Error) and isinstance(e.value,
                                                        ef.NotFoundError)
    assert e.value.name == "EF_ENOTFOUND" and e.value.code == -4
    assert e.value.errno == 2 and "no_such_config" in str(e.value)
    with pytest.raises(ValueError) as e:
        video_config.override("io.uid_lst=[a]")
    assert isinstance(e.value, ef.ConfigError)
    assert e.value.name == "EF_ECONFIG"
    assert str(e.value).startswith("EF_ECONFIG: unknown key 'io.uid_lst'")
    with ef.Model.load(video_config) as m:
        with pytest.raises(ef.CancelledError) as e:
            ef.extract_features(m, video_config, [videos / "a.mp4"],
                                progress=lambda p: True)
    assert isinstance(e.value, ef.Error)
    assert not isinstance(e.value, (ValueError, OSError))
    assert e.value.name == "EF_ECANCELLED"
    # Plain ef.Error still catches them all.
    for cls in (ef.NotFoundError, ef.ConfigError, ef.CancelledError,
                ef.InvalidArgumentError, ef.DecodeError, ef.ModelError,
                ef.IOFailureError, ef.OutOfMemoryError, ef.NoStreamError,
                ef.IndexRangeError):
        assert issubclass(cls, ef.Error)


# ---- Type hints, docstrings, py.typed, repr ------------------------------------


def _public(ef):
    for name in ef.__all__:
        obj = getattr(ef, name)
        yield name, obj
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if attr.startswith("_") and attr not in ("__init__",):
                    continue
                yield f"{name}.{attr}", member


def test_every_public_name_has_a_docstring_and_type_hints(ef):
    missing_doc, missing_hints = [], []
    for name, obj in _public(ef):
        fn = obj
        if isinstance(obj, (classmethod, staticmethod)):
            fn = obj.__func__
        elif isinstance(obj, property):
            fn = obj.fget
        if not (inspect.isfunction(fn) or inspect.isclass(fn)):
            continue  # constants and dataclass fields
        if name.endswith("__init__"):
            doc_ok = True
        else:
            doc_ok = bool(inspect.getdoc(fn))
        if not doc_ok:
            missing_doc.append(name)
        if inspect.isfunction(fn):
            hints = typing.get_type_hints(fn)
            params = [p for p in inspect.signature(fn).parameters
                      if p not in ("self", "cls")]
            if "return" not in hints or any(p not in hints for p in params):
                missing_hints.append(name)
    assert missing_doc == [] and missing_hints == []
    assert os.path.isfile(os.path.join(os.path.dirname(ef.__file__),
                                       "py.typed"))


def test_reprs_say_what_a_handle_holds(ef, video_config, models, videos):
    r = repr(video_config)
    assert "Config" in r and "tiny_video.pt" in r and "device='cpu'" in r
    with ef.Model.load(video_config) as m:
        assert re.fullmatch(r"<ego4dfeat\.Model kind='video' "
                            r"path='.*tiny_video\.pt'>", repr(m))
        (res,) = ef.extract_features(m, video_config, [videos / "a.mp4"])
    assert repr(res) == (f"VideoFeatures(path='{videos / 'a.mp4'}', "
                         "outcome='done', features=float32[2, 8], windows "
                         "0-1.5 s)")
    assert repr(m) == "<ego4dfeat.Model closed>"
    c = video_config.clone()
    c.close()
    assert repr(c) == "<ego4dfeat.Config closed>"


# ---- The README's search order -------------------------------------------------


def test_readme_gives_the_search_order_of_lib_py(ef, monkeypatch):
    from ego4dfeat import _lib
    monkeypatch.setenv("EF_LIBRARY", "/x/libego4dfeat.so.0")
    monkeypatch.setenv("EF_BUILD_ROOT", "/b")
    monkeypatch.setattr(_lib, "_pkg_config_libdir", lambda: "/p")
    order = []
    for origin, _ in _lib.candidates():
        kind = origin.split()[0].strip("$")
        if kind not in order:
            order.append(kind)
    assert order == ["EF_LIBRARY", "system", "pkg-config", "EF_BUILD_ROOT",
                     "build"]
    with open(os.path.join(SOURCE, "python", "README.md")) as f:
        text = f.read()
    para = text[text.index("The shared library is found"):]
    para = para[:para.index("\n\n")]
    marks = [para.index(m) for m in ("$EF_LIBRARY", "system loader",
                                     "pkg-config", "$EF_BUILD_ROOT/lib",
                                     "build/lib")]
    assert marks == sorted(marks), para
