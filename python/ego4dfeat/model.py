"""Model: a TorchScript model loaded once (model_config.model_path on
inference_config.device) with its model kind's input packing."""
import ctypes
import threading
from contextlib import contextmanager
from typing import Any, Iterator, Optional

from . import _lib
from ._args import of_type
from .config import Config
from .errors import check, _text
from .handle import Handle


class Model(Handle):
    """A loaded model: Model.load(config); use it as a context manager or
    call close(). One extraction at a time per model (the binding makes a
    close() during one wait until it returns)."""

    _free_name = "ef_model_free"

    def __init__(self, ptr: Optional[int], lib: Any) -> None:
        super().__init__(ptr, lib)
        # The library runs one extraction at a time per model: a second
        # thread waits for the first; the same thread (a progress callback
        # extracting again) is refused instead of deadlocking.
        self._extracting = threading.Lock()
        self._extracting_thread: Optional[int] = None

    @contextmanager
    def _extraction(self) -> Iterator[ctypes.c_void_p]:
        """The pointer for one extraction, alone on this model."""
        if self._extracting_thread == threading.get_ident():
            raise RuntimeError("this Model is already extracting on this "
                               "thread (a progress callback cannot start "
                               "another extraction with it)")
        with self._extracting:
            self._extracting_thread = threading.get_ident()
            try:
                with self._use() as h:
                    yield h
            finally:
                self._extracting_thread = None

    @classmethod
    def load(cls, config: Config) -> "Model":
        """Loads config's model_config.model_path on
        inference_config.device, with the input packing of its kind
        (model_config.kind, else from model_module_str). A missing file is
        NotFoundError; a CUDA device without CUDA, ConfigError."""
        of_type(config, Config, "config")
        lib = _lib.lib()
        out = ctypes.c_void_p()
        with config._use() as c:
            check(lib.ef_model_load(c, ctypes.byref(out)))
        model = cls(out.value, lib)
        model._path = config.get("model_config.model_path", None)
        return model

    _path = None  # the model file it was loaded from, for repr

    @property
    def kind(self) -> str:
        """The model kind's name: "video", "slowfast", "image", ..."""
        return _text(self._call("ef_model_kind"))

    def __repr__(self) -> str:
        if self.closed:
            return "<ego4dfeat.Model closed>"
        return f"<ego4dfeat.Model kind={self.kind!r} path={self._path!r}>"
