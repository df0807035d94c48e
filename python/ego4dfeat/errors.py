"""The exceptions the binding raises for a failed library call, and the
check every wrapper runs on a returned status.

Every failure is an ef.Error (code, name, message). Its subclasses say
which status it was and also derive from the builtin exception a Python
user would catch for it:

  EF_EINVAL      InvalidArgumentError  (also ValueError); for an index
                 out of range IndexRangeError (also IndexError)
  EF_ENOMEM      OutOfMemoryError      (also MemoryError)
  EF_EIO         IOFailureError        (also OSError)
  EF_ENOTFOUND   NotFoundError         (also FileNotFoundError)
  EF_EDECODE     DecodeError
  EF_EMODEL      ModelError
  EF_ECONFIG     ConfigError           (also ValueError)
  EF_ECANCELLED  CancelledError
  EF_ENOSTREAM   NoStreamError
"""
import errno
import os
from typing import Any, Dict, Optional, Type

from . import _lib

OK = 0
EINVAL = -1
ENOMEM = -2
EIO = -3
ENOTFOUND = -4
EDECODE = -5
EMODEL = -6
ECONFIG = -7
ECANCELLED = -8
ENOSTREAM = -9
EPARTIAL = -10


def _text(b: Optional[bytes]) -> str:
    """A C string from the library as str (paths keep undecodable bytes)."""
    return os.fsdecode(b) if b is not None else ""


class Error(Exception):
    """A libego4dfeat call failed.

    code: the negative ef_status; name: its constant, e.g. "EF_ECONFIG";
    message: the library's message (ef_last_error()). Raised as the
    subclass of its code (see the module's docstring); Error(code, message)
    itself gives the plain class.
    """

    code: int
    name: str
    message: str
    stats: Any  # runs only: the Stats of a run that stopped, or None

    def __init__(self, code: int, message: str) -> None:
        self.code = code
        self.name = status_name(code)
        self.message = message
        self.stats = None
        super().__init__(f"{self.name}: {message}")

    def __str__(self) -> str:
        return f"{self.name}: {self.message}"


class InvalidArgumentError(Error, ValueError):
    """EF_EINVAL: a bad argument or config value."""


class IndexRangeError(InvalidArgumentError, IndexError):
    """EF_EINVAL for an index out of range (a bin of a plan, a video of a
    bin): also an IndexError. The binding raises it before C could wrap a
    negative or too large index around."""


class OutOfMemoryError(Error, MemoryError):
    """EF_ENOMEM: an allocation failed."""


class IOFailureError(Error, OSError):
    """EF_EIO: a file could not be read or written."""


class NotFoundError(Error, FileNotFoundError):
    """EF_ENOTFOUND: a file, key or video does not exist (errno ENOENT)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(code, message)
        self.errno = errno.ENOENT
        self.strerror = message


class DecodeError(Error):
    """EF_EDECODE: the media could not be demuxed or decoded."""


class ModelError(Error):
    """EF_EMODEL: the model could not be loaded or run."""


class ConfigError(Error, ValueError):
    """EF_ECONFIG: the configuration is invalid."""


class CancelledError(Error):
    """EF_ECANCELLED: the caller's cancel flag or progress callback stopped
    the call."""


class NoStreamError(Error):
    """EF_ENOSTREAM: the file has no stream of the needed kind."""


_CLASSES: Dict[int, Type[Error]] = {
    EINVAL: InvalidArgumentError, ENOMEM: OutOfMemoryError,
    EIO: IOFailureError, ENOTFOUND: NotFoundError, EDECODE: DecodeError,
    EMODEL: ModelError, ECONFIG: ConfigError, ECANCELLED: CancelledError,
    ENOSTREAM: NoStreamError,
}


def error(code: int, message: str) -> Error:
    """The Error of its code's subclass."""
    return _CLASSES.get(code, Error)(code, message)


def status_name(code: int) -> str:
    """The constant's name of a status code, e.g. -7 -> "EF_ECONFIG"."""
    return _text(_lib.lib().ef_status_name(code))


def last_error(code: int) -> Error:
    """An Error for the status just returned on this thread."""
    return error(code, _text(_lib.lib().ef_last_error()))


def check(code: int) -> int:
    """Raises Error unless code is EF_OK; returns code."""
    if code != OK:
        raise last_error(code)
    return code
