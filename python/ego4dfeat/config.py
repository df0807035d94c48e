"""Config: a resolved configuration (the reference's Hydra YAML schema),
loaded from configs/NAME.yaml or YAML text, with Hydra-style overrides."""
import ctypes
import os
from typing import Any, Iterable, List, Optional, Union

from . import _lib
from ._args import StrPath, cstr, cstr_or_none, one_or_many
from .errors import (ECONFIG, ENOTFOUND, OK, Error, check, error,
                     last_error, _text)
from .handle import Handle

_MISSING = object()

# ef_config_type, in the header's order.
NULL, BOOL, INT, FLOAT, STRING, LIST, MAP = range(7)

Overrides = Union[str, Iterable[str]]


class Config(Handle):
    """A resolved configuration:
    Config.load("mvit_k400", overrides=["inference_config.device=cpu"]).

    Every key is checked against the schema; a bad key raises ConfigError
    (an ef.Error and a ValueError) with the library's message, naming the
    nearest valid key. Read keys with get() or cfg["a.b"]; `"a.b" in cfg`
    is true for every key the config has, a null one included.
    """

    _free_name = "ef_config_free"

    @classmethod
    def load(cls, name: StrPath, config_dir: Optional[StrPath] = None,
             overrides: Overrides = ()) -> "Config":
        """Loads <config_dir>/<name>.yaml, then applies the overrides in
        order (one str is one override). With config_dir None, a name with
        a folder in it ("configs/mvit_k400.yaml") is that file; a bare name
        is looked up where the library looks ($EGO4DFEAT_CONFIG_DIR, then
        ./configs, then the installed configs). A missing file is
        NotFoundError."""
        name_b = cstr(name, "name", path=True)
        ovr = one_or_many(overrides, "overrides")
        dir_b = cstr_or_none(config_dir, "config_dir", path=True)
        if dir_b is None and os.path.dirname(name_b):
            dir_b, name_b = os.path.split(name_b)
        lib = _lib.lib()
        out = ctypes.c_void_p()
        check(lib.ef_config_load(dir_b, name_b, ctypes.byref(out)))
        return cls._with_overrides(out.value, lib, ovr)

    @classmethod
    def parse(cls, yaml_text: str, overrides: Overrides = ()) -> "Config":
        """A config from YAML text, with the same checks as load()."""
        text = cstr(yaml_text, "yaml_text")
        ovr = one_or_many(overrides, "overrides")
        lib = _lib.lib()
        out = ctypes.c_void_p()
        check(lib.ef_config_parse(text, ctypes.byref(out)))
        return cls._with_overrides(out.value, lib, ovr)

    @classmethod
    def _with_overrides(cls, ptr: Optional[int], lib: Any,
                        overrides: List[bytes]) -> "Config":
        cfg = cls(ptr, lib)
        try:
            for o in overrides:
                cfg._override(o)
        except BaseException:
            cfg.close()
            raise
        return cfg

    def _override(self, override: bytes) -> None:
        check(self._call("ef_config_override", override))

    def override(self, override: str) -> "Config":
        """Applies one override: a.b=v, +a.b=v (add), ++a.b=v, ~a.b. On
        failure the config is unchanged. Returns self."""
        self._override(cstr(override, "override"))
        return self

    def set(self, path: str, value: str) -> "Config":
        """Sets a key from a YAML value text (e.g. "3", "[a,b]", "null").
        Returns self."""
        check(self._call("ef_config_set", cstr(path, "path"),
                         cstr(value, "value")))
        return self

    def clone(self) -> "Config":
        """A deep copy, the caller's own."""
        out = ctypes.c_void_p()
        check(self._call("ef_config_clone", ctypes.byref(out)))
        return Config(out.value, self._lib)

    def dump(self) -> str:
        """The whole resolved config as YAML text."""
        out = ctypes.c_void_p()
        check(self._call("ef_config_dump", ctypes.byref(out)))
        try:
            return _text(ctypes.string_at(out))
        finally:
            self._lib.ef_free(out)

    # ---- typed reads: NotFoundError if absent or null -------------------

    def _read(self, name: str, path: str, ctype: Any) -> Any:
        v = ctype()
        check(self._call(name, cstr(path, "path"), ctypes.byref(v)))
        return v.value

    def get_str(self, path: str) -> str:
        """The scalar at path as its text (a number too)."""
        return _text(self._read("ef_config_get_string", path,
                                ctypes.c_char_p))

    def get_int(self, path: str) -> int:
        """The int at path (ConfigError for another type)."""
        return int(self._read("ef_config_get_int", path, ctypes.c_int64))

    def get_float(self, path: str) -> float:
        """The number at path as a float."""
        return float(self._read("ef_config_get_double", path,
                                ctypes.c_double))

    def get_bool(self, path: str) -> bool:
        """The bool at path."""
        return bool(self._read("ef_config_get_bool", path, ctypes.c_int))

    def get_list(self, path: str) -> List[Any]:
        """The list at path, each item converted as get() converts it."""
        value = self.get(path)
        if not isinstance(value, list):
            raise error(ECONFIG, f"key '{path}' is not a list")
        return value

    def type_of(self, path: str) -> Optional[str]:
        """What path holds: "null", "bool", "int", "float", "str", "list"
        or "map"; None if the config has no such key. A quoted scalar
        ("001") is "str" whatever its text."""
        t = self._type(cstr(path, "path"))
        return None if t is None else (
            "null", "bool", "int", "float", "str", "list", "map")[t]

    def _type(self, key: bytes) -> Optional[int]:
        t = ctypes.c_int()
        rc = self._call("ef_config_get_type", key, ctypes.byref(t))
        if rc == ENOTFOUND:
            return None
        check(rc)
        return t.value

    def _value(self, key: bytes, t: int) -> Any:
        lib = self._lib
        with self._use() as h:
            if t == NULL:
                return None
            if t == BOOL:
                v = ctypes.c_int()
                check(lib.ef_config_get_bool(h, key, ctypes.byref(v)))
                return bool(v.value)
            if t == INT:
                i = ctypes.c_int64()
                rc = lib.ef_config_get_int(h, key, ctypes.byref(i))
                if rc == OK:
                    return i.value
                if rc != ECONFIG:  # ECONFIG: past 64 bits, read its text
                    raise last_error(rc)
            if t == FLOAT:
                d = ctypes.c_double()
                check(lib.ef_config_get_double(h, key, ctypes.byref(d)))
                return d.value
            if t in (INT, STRING):
                s = ctypes.c_char_p()
                check(lib.ef_config_get_string(h, key, ctypes.byref(s)))
                return int(s.value) if t == INT else _text(s.value)
            if t == LIST:
                n = ctypes.c_size_t()
                check(lib.ef_config_get_list_size(h, key, ctypes.byref(n)))
                items = []
                for i in range(n.value):
                    item = key + b".%d" % i
                    it = self._type(item)
                    items.append(None if it is None else self._value(item, it))
                return items
        raise error(ECONFIG, f"key '{_text(key)}' is a map: read its keys "
                    "one by one")

    def get(self, path: str, default: Any = _MISSING) -> Any:
        """The value at a dotted path ("io.uid_list", "model_config.mean.0")
        as a Python value: None for a null, bool, int, float, str, or a
        list of them. A quoted YAML scalar stays a str ("001", "1e5"); a
        plain one is read as YAML 1.2's core schema reads it. An absent
        key returns default, or raises KeyError without one. A map raises
        ConfigError."""
        key = cstr(path, "path")
        t = self._type(key)
        if t is None:
            if default is _MISSING:
                raise KeyError(path)
            return default
        return self._value(key, t)

    def __getitem__(self, path: str) -> Any:
        return self.get(path)

    def __contains__(self, path: object) -> bool:
        if not isinstance(path, str):
            return False
        return self._type(cstr(path, "path")) is not None

    def __repr__(self) -> str:
        if self.closed:
            return f"<ego4dfeat.{type(self).__name__} closed>"
        keys = {}
        for k in ("model_config.kind", "model_config.model_path",
                  "inference_config.device", "io.out_path"):
            try:
                keys[k.split(".")[-1]] = self.get(k, None)
            except Error:
                pass
        inner = " ".join(f"{k}={v!r}" for k, v in keys.items()
                         if v is not None)
        return f"<ego4dfeat.{type(self).__name__} {inner}>"

