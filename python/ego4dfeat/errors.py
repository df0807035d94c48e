"""The exception the binding raises for a failed library call, and the
check every wrapper runs on a returned status."""
import os

from . import _lib

OK = 0
EPARTIAL = -10


def _text(b):
    """A C string from the library as str (paths keep undecodable bytes)."""
    return os.fsdecode(b) if b is not None else ""


class Error(Exception):
    """A libego4dfeat call failed.

    code: the negative ef_status; name: its constant, e.g. "EF_ECONFIG";
    message: the library's message (ef_last_error()).
    """

    def __init__(self, code, message):
        self.code = code
        self.name = status_name(code)
        self.message = message
        super().__init__(f"{self.name}: {message}")


def status_name(code):
    return _text(_lib.lib().ef_status_name(code))


def last_error(code):
    """An Error for the status just returned on this thread."""
    return Error(code, _text(_lib.lib().ef_last_error()))


def check(code):
    """Raises Error unless code is EF_OK; returns code."""
    if code != OK:
        raise last_error(code)
    return code
