"""An owned pointer to a library handle, freed exactly once: by close(),
by leaving a `with` block, or by the garbage collector; and never while a
call is using it.

Every call into C that takes the handle runs inside `with h._use() as p:`,
which counts the call. close() from any thread, also from a progress
callback of a call using the handle, marks the handle closed at once (new
calls raise ValueError) and frees it when the last running call returns,
so C never sees a freed pointer.
"""
import ctypes
import threading
from contextlib import contextmanager
from typing import Any, Iterator, Optional, TypeVar

H = TypeVar("H", bound="Handle")


class Handle:
    """Base of Config, Model, Plan and ScheduleStatus (not made directly)."""

    _free_name: str = ""  # the ef_*_free function of the handle type

    def __init__(self, ptr: Optional[int], lib: Any) -> None:
        self._lock = threading.Lock()
        self._uses = 0         # calls running with the pointer
        self._closing = False  # close() was called
        self._ptr: Optional[int] = ptr or None
        self._lib = lib  # keeps the library loaded until the free

    @property
    def closed(self) -> bool:
        """True once close() was called (the free may wait for running
        calls)."""
        return self._ptr is None or self._closing

    @contextmanager
    def _use(self) -> Iterator[ctypes.c_void_p]:
        """The raw pointer, kept alive until the block ends; ValueError
        once closed."""
        with self._lock:
            if self._ptr is None or self._closing:
                raise ValueError(f"{type(self).__name__} is closed")
            self._uses += 1
            ptr = self._ptr
        try:
            yield ctypes.c_void_p(ptr)
        finally:
            self._release()

    def _release(self) -> None:
        ptr = None
        with self._lock:
            self._uses -= 1
            if self._uses == 0 and self._closing and self._ptr is not None:
                ptr, self._ptr = self._ptr, None
        if ptr is not None:
            self._free(ptr)

    def _call(self, name: str, *args: Any) -> Any:
        """ef_<name>(handle, *args) while the handle is in use."""
        with self._use() as h:
            return getattr(self._lib, name)(h, *args)

    def _free(self, ptr: int) -> None:
        getattr(self._lib, self._free_name)(ctypes.c_void_p(ptr))

    def close(self) -> None:
        """Frees the handle (once the calls using it have returned); later
        calls do nothing."""
        lock = getattr(self, "_lock", None)
        if lock is None:  # __init__ did not get that far
            return
        with lock:
            if self._ptr is None or self._closing:
                return
            self._closing = True
            if self._uses:
                return  # the last call to return frees it
            ptr, self._ptr = self._ptr, None
        self._free(ptr)

    def __enter__(self: H) -> H:
        with self._use():
            pass
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()
