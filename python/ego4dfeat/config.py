"""Config: a resolved configuration (the reference's Hydra YAML schema),
loaded from configs/NAME.yaml or YAML text, with Hydra-style overrides."""
import ctypes
import os
import re

from . import _lib
from .errors import Error, check, _text
from .handle import Handle

ENOTFOUND = -4
_MISSING = object()


def _b(s):
    return os.fsencode(s) if s is not None else None


class Config(Handle):
    """Config.load("mvit_k400", overrides=["inference_config.device=cpu"]).

    Every key is checked against the schema; a bad key raises Error with
    the library's message (naming the nearest valid key).
    """

    _free_name = "ef_config_free"

    @classmethod
    def load(cls, name, config_dir=None, overrides=()):
        """Loads <config_dir>/<name>.yaml, then applies the overrides in
        order. With config_dir None, a name with a folder in it
        ("configs/mvit_k400.yaml") is that file; a bare name is looked up
        where the library looks ($EGO4DFEAT_CONFIG_DIR, then ./configs)."""
        name = os.fspath(name)
        if config_dir is None and os.path.dirname(name):
            config_dir, name = os.path.split(name)
        lib = _lib.lib()
        out = ctypes.c_void_p()
        check(lib.ef_config_load(_b(config_dir), _b(name), ctypes.byref(out)))
        return cls._with_overrides(out.value, lib, overrides)

    @classmethod
    def parse(cls, yaml_text, overrides=()):
        """A config from YAML text."""
        lib = _lib.lib()
        out = ctypes.c_void_p()
        check(lib.ef_config_parse(yaml_text.encode(), ctypes.byref(out)))
        return cls._with_overrides(out.value, lib, overrides)

    @classmethod
    def _with_overrides(cls, ptr, lib, overrides):
        cfg = cls(ptr, lib)
        try:
            for o in overrides:
                cfg.override(o)
        except BaseException:
            cfg.close()
            raise
        return cfg

    def override(self, override):
        """Applies one override: a.b=v, +a.b=v (add), ++a.b=v, ~a.b."""
        check(self._lib.ef_config_override(self._handle(), _b(override)))
        return self

    def set(self, path, value):
        """Sets a key from a YAML value text (e.g. "3", "[a,b]", "null")."""
        check(self._lib.ef_config_set(self._handle(), _b(path), _b(value)))
        return self

    def clone(self):
        out = ctypes.c_void_p()
        check(self._lib.ef_config_clone(self._handle(), ctypes.byref(out)))
        return Config(out.value, self._lib)

    def dump(self):
        """The whole resolved config as YAML text."""
        out = ctypes.c_void_p()
        check(self._lib.ef_config_dump(self._handle(), ctypes.byref(out)))
        try:
            return ctypes.string_at(out).decode()
        finally:
            self._lib.ef_free(out)

    # ---- typed reads: Error(EF_ENOTFOUND) if absent or null ----------------

    def _read(self, fn, path, ctype):
        v = ctype()
        check(fn(self._handle(), _b(path), ctypes.byref(v)))
        return v.value

    def get_str(self, path):
        return _text(self._read(self._lib.ef_config_get_string, path,
                                ctypes.c_char_p))

    def get_int(self, path):
        return self._read(self._lib.ef_config_get_int, path, ctypes.c_int64)

    def get_float(self, path):
        return self._read(self._lib.ef_config_get_double, path,
                          ctypes.c_double)

    def get_bool(self, path):
        return bool(self._read(self._lib.ef_config_get_bool, path,
                               ctypes.c_int))

    def get_list(self, path):
        """A list of scalars, each converted as get() converts a scalar."""
        h, key = self._handle(), _b(path)
        n = ctypes.c_size_t()
        check(self._lib.ef_config_get_list_size(h, key, ctypes.byref(n)))
        items = []
        for i in range(n.value):
            s = ctypes.c_char_p()
            check(self._lib.ef_config_get_list_string(h, key, i,
                                                       ctypes.byref(s)))
            items.append(_scalar(_text(s.value)))
        return items

    def get(self, path, default=_MISSING):
        """The value at a dotted path as a Python value: a list, int, float,
        bool or str. An absent (or null) key returns default, or raises
        KeyError without one. A map raises Error (EF_ECONFIG)."""
        try:
            return self.get_list(path)
        except Error as e:
            if e.code == ENOTFOUND:
                if default is _MISSING:
                    raise KeyError(path) from None
                return default
        return _scalar(self.get_str(path))

    def __getitem__(self, path):
        return self.get(path)

    def __contains__(self, path):
        return self.get(path, None) is not None


_INT = re.compile(r"[-+]?[0-9]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")


def _scalar(text):
    """YAML 1.2 core-schema reading of a scalar's text (a quoted "3" reads
    as 3 too: the C API gives the text, not the quoting)."""
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    return text
