"""Model: a TorchScript model loaded once (model_config.model_path on
inference_config.device) with its model kind's input packing."""
import ctypes

from . import _lib
from .errors import check, _text
from .handle import Handle


class Model(Handle):
    """Model.load(config); use as a context manager or call close()."""

    _free_name = "ef_model_free"

    @classmethod
    def load(cls, config):
        lib = _lib.lib()
        out = ctypes.c_void_p()
        check(lib.ef_model_load(config._handle(), ctypes.byref(out)))
        return cls(out.value, lib)

    @property
    def kind(self):
        """The model kind's name: "video", "slowfast", "image", ..."""
        return _text(self._lib.ef_model_kind(self._handle()))
