"""An owned pointer to a library handle, freed exactly once: by close(),
by leaving a `with` block, or by the garbage collector."""
import ctypes


class Handle:
    _free_name = None  # the ef_*_free function of the handle type

    def __init__(self, ptr, lib):
        self._ptr = ctypes.c_void_p(ptr)
        self._lib = lib  # keeps the library loaded until the free

    @property
    def closed(self):
        return not self._ptr.value

    def _handle(self):
        """The raw pointer; ValueError once closed."""
        if not self._ptr.value:
            raise ValueError(f"{type(self).__name__} is closed")
        return self._ptr

    def close(self):
        """Frees the handle now; later calls do nothing."""
        if getattr(self, "_ptr", None) is not None and self._ptr.value:
            ptr, self._ptr = self._ptr, ctypes.c_void_p()
            getattr(self._lib, self._free_name)(ptr)

    def __enter__(self):
        self._handle()
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()
