"""Checks of the arguments the binding hands to C: a wrong type is a
TypeError and a wrong value a ValueError or IndexError here, before ctypes
could truncate an integer, cut a string at a NUL or pass one handle for
another."""
import operator
import os
from typing import Iterable, List, Optional, Union

StrPath = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]

SIZE_MAX = 2 ** 64 - 1
INT_MIN, INT_MAX = -2 ** 31, 2 ** 31 - 1


def cstr(value: object, what: str, path: bool = False) -> bytes:
    """value as the bytes of a C string. str and bytes are taken (and, with
    path, os.PathLike); anything else is a TypeError, and a NUL inside it,
    which C would read as the end, a ValueError naming what."""
    if isinstance(value, str):
        b = os.fsencode(value)
    elif isinstance(value, bytes):
        b = value
    elif path and isinstance(value, os.PathLike):
        b = os.fsencode(value)
    else:
        kinds = "a str, bytes or os.PathLike" if path else "a str"
        raise TypeError(f"{what} must be {kinds}, not "
                        f"{type(value).__name__}")
    if b"\0" in b:
        raise ValueError(f"{what} contains a NUL character: {value!r}")
    return b


def cstr_or_none(value: object, what: str, path: bool = False
                 ) -> Optional[bytes]:
    return None if value is None else cstr(value, what, path)


def one_or_many(value: object, what: str, path: bool = False) -> List[bytes]:
    """A list of C strings from one string (or path), which is one item,
    not its characters, or from an iterable of them."""
    if isinstance(value, (str, bytes, os.PathLike)):
        items: Iterable[object] = [value]
    else:
        try:
            items = list(value)  # type: ignore[call-overload]
        except TypeError:
            raise TypeError(f"{what} must be a str or a list of them, not "
                            f"{type(value).__name__}") from None
    return [cstr(v, f"{what}[{i}]", path) for i, v in enumerate(items)]


def index(value: object, count: int, what: str, owner: str) -> int:
    """An index 0 <= value < count: TypeError for what is not an integer
    (a bool or float included), IndexRangeError (an ef.Error EF_EINVAL and
    an IndexError) outside the range, "<owner> has no <what> <i> (it has
    <count>)": a negative index is refused, not counted from the end."""
    if isinstance(value, bool):
        raise TypeError(f"{what} must be an int, not bool")
    try:
        i = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{what} must be an int, not "
                        f"{type(value).__name__}") from None
    if not 0 <= i < count:
        from .errors import EINVAL, IndexRangeError
        raise IndexRangeError(EINVAL, f"{owner} has no {what} {i} (it has "
                              f"{count})")
    return i


def c_int(value: object, what: str, lo: int = 0, hi: int = INT_MAX) -> int:
    """An int for a C int field, within [lo, hi] (ValueError outside)."""
    if isinstance(value, bool):
        raise TypeError(f"{what} must be an int, not bool")
    try:
        i = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{what} must be an int, not "
                        f"{type(value).__name__}") from None
    if not lo <= i <= hi:
        raise ValueError(f"{what} must be between {lo} and {hi}, not {i}")
    return i


def of_type(value: object, cls: type, what: str) -> None:
    """TypeError unless value is a cls (a Model where a Config goes would
    hand C the wrong object)."""
    if not isinstance(value, cls):
        raise TypeError(f"{what} must be an ego4dfeat.{cls.__name__}, not "
                        f"{type(value).__name__}")
