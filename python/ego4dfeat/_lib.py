"""Finding libego4dfeat and declaring its C functions for ctypes.

The library is looked up, in order, at:
  1. $EF_LIBRARY (a path to the shared library),
  2. the system loader's own search for libego4dfeat.so.0
     (LD_LIBRARY_PATH, the ld.so cache, the default folders),
  3. the libdir pkg-config reports for ego4dfeat (an installed library,
     e.g. under /usr/local where the ld.so cache was not refreshed),
  4. a build tree: $EF_BUILD_ROOT/lib, then build/lib of the source
     checkout this package sits in (only when it sits in one).
The first one that loads is kept for the life of the process.
"""
import ctypes
import os
import subprocess
from typing import Any, Iterator, Optional, Tuple

SONAMES = ("libego4dfeat.so.0", "libego4dfeat.so")

# ---- The C types of the public header --------------------------------------


class ProgressInfo(ctypes.Structure):
    _fields_ = [
        ("video_index", ctypes.c_size_t),
        ("video_count", ctypes.c_size_t),
        ("uid", ctypes.c_char_p),
        ("windows_done", ctypes.c_int64),
        ("windows_total", ctypes.c_int64),
        ("finished", ctypes.c_int),
        ("failed", ctypes.c_int),
        ("skipped", ctypes.c_int),
        ("status", ctypes.c_int),
        ("error", ctypes.c_char_p),
        # video_count entries, or NULL; -1 where unknown.
        ("windows_estimated", ctypes.POINTER(ctypes.c_int64)),
    ]


PROGRESS_CB = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ProgressInfo),
                               ctypes.c_void_p)


class Params(ctypes.Structure):
    # Always filled by ef_params_init(), which sets size.
    _fields_ = [
        ("size", ctypes.c_size_t),
        ("progress", PROGRESS_CB),
        ("progress_user_data", ctypes.c_void_p),
        ("cancel", ctypes.POINTER(ctypes.c_int)),
        ("decode_threads", ctypes.c_int),
        ("torch_threads", ctypes.c_int),
    ]


class PlanOptions(ctypes.Structure):
    """ef_plan_options. Always start from plan_options_init() and set
    fields by name, so a field added to the header needs only this list."""
    _fields_ = [
        ("size", ctypes.c_size_t),
        ("strict", ctypes.c_int),
        ("parallelism", ctypes.c_int),
    ]


# ef_time_kind, in the header's order.
TIME_KINDS = ("model_load", "decode_wait", "transfer", "forward", "save",
              "decode", "overall")
# ef_video_outcome, in the header's order.
OUTCOMES = ("done", "skipped", "failed", "not_run")
# ef_plan_figure, in the header's order (EF_PLAN_ cut, lower case).
PLAN_FIGURES = ("videos", "bins", "bins_lower_bound", "capacity", "total",
                "longest", "parallelism", "makespan", "makespan_lower_bound",
                "n_schedules", "reference_seconds", "oversize",
                "unknown_length", "bins_fewest")
# The figures that are counts (whole numbers): read as int.
PLAN_COUNT_FIGURES = frozenset(("videos", "bins", "bins_lower_bound",
                                "parallelism", "n_schedules", "oversize",
                                "unknown_length", "bins_fewest"))
# ef_bin_state, in the header's order.
BIN_STATES = ("not_started", "running", "finished", "cancelled", "failed")

_c = ctypes
_P = ctypes.c_void_p  # every opaque handle
_S = ctypes.c_char_p
_PP = ctypes.POINTER(ctypes.c_void_p)

# name: (restype, argtypes)
_FUNCTIONS = {
    "ef_version": (_S, []),
    "ef_version_number": (_c.c_int, []),
    "ef_last_error": (_S, []),
    "ef_last_error_code": (_c.c_int, []),
    "ef_status_name": (_S, [_c.c_int]),
    "ef_free": (None, [_P]),
    "ef_config_load": (_c.c_int, [_S, _S, _PP]),
    "ef_config_parse": (_c.c_int, [_S, _PP]),
    "ef_config_override": (_c.c_int, [_P, _S]),
    "ef_config_set": (_c.c_int, [_P, _S, _S]),
    "ef_config_get_string": (_c.c_int, [_P, _S, _c.POINTER(_S)]),
    "ef_config_get_int": (_c.c_int, [_P, _S, _c.POINTER(_c.c_int64)]),
    "ef_config_get_double": (_c.c_int, [_P, _S, _c.POINTER(_c.c_double)]),
    "ef_config_get_bool": (_c.c_int, [_P, _S, _c.POINTER(_c.c_int)]),
    "ef_config_get_list_size": (_c.c_int, [_P, _S, _c.POINTER(_c.c_size_t)]),
    "ef_config_get_list_string": (_c.c_int,
                                  [_P, _S, _c.c_size_t, _c.POINTER(_S)]),
    "ef_config_get_type": (_c.c_int, [_P, _S, _c.POINTER(_c.c_int)]),
    "ef_config_dump": (_c.c_int, [_P, _c.POINTER(_P)]),
    "ef_config_clone": (_c.c_int, [_P, _PP]),
    "ef_config_free": (None, [_P]),
    "ef_model_load": (_c.c_int, [_P, _PP]),
    "ef_model_kind": (_S, [_P]),
    "ef_model_free": (None, [_P]),
    "ef_params_init": (_c.c_int, [_c.POINTER(Params), _c.c_size_t]),
    "ef_extract_features": (_c.c_int, [_P, _P, _c.POINTER(_S), _c.c_size_t,
                                       _c.POINTER(Params), _PP]),
    "ef_extract_frames": (_c.c_int, [_P, _P, _c.POINTER(_c.c_uint8),
                                     _c.c_int64, _c.c_int, _c.c_int,
                                     _c.c_size_t, _c.c_double,
                                     _c.POINTER(Params), _PP]),
    "ef_results_count": (_c.c_size_t, [_P]),
    "ef_results_status": (_c.c_int, [_P, _c.c_size_t]),
    "ef_results_outcome": (_c.c_int, [_P, _c.c_size_t]),
    "ef_results_error": (_S, [_P, _c.c_size_t]),
    "ef_results_shape": (_c.c_int, [_P, _c.c_size_t,
                                    _c.POINTER(_c.c_int64), _c.c_int]),
    "ef_results_data": (_c.POINTER(_c.c_float), [_P, _c.c_size_t]),
    "ef_results_window_starts": (_c.POINTER(_c.c_double),
                                 [_P, _c.c_size_t]),
    "ef_results_window_ends": (_c.POINTER(_c.c_double), [_P, _c.c_size_t]),
    "ef_results_free": (None, [_P]),
    "ef_perform_feature_extraction": (_c.c_int, [_P, _c.POINTER(_S),
                                                 _c.c_size_t,
                                                 _c.POINTER(Params), _PP]),
    "ef_stats_seconds": (_c.c_double, [_P, _c.c_int]),
    "ef_stats_video_count": (_c.c_size_t, [_P]),
    "ef_stats_video_uid": (_S, [_P, _c.c_size_t]),
    "ef_stats_video_outcome": (_c.c_int, [_P, _c.c_size_t]),
    "ef_stats_video_error": (_S, [_P, _c.c_size_t]),
    "ef_stats_video_windows": (_c.c_int64, [_P, _c.c_size_t]),
    "ef_stats_video_seconds": (_c.c_double, [_P, _c.c_size_t]),
    "ef_stats_count": (_c.c_size_t, [_P, _c.c_int]),
    "ef_stats_total_windows": (_c.c_int64, [_P]),
    "ef_stats_total_forward_passes": (_c.c_int64, [_P]),
    "ef_stats_free": (None, [_P]),
    "ef_plan_options_init": (_c.c_int, [_c.POINTER(PlanOptions),
                                        _c.c_size_t]),
    "ef_plan_create": (_c.c_int, [_P, _c.POINTER(PlanOptions), _PP]),
    "ef_plan_save": (_c.c_int, [_P]),
    "ef_plan_load": (_c.c_int, [_S, _PP]),
    "ef_plan_free": (None, [_P]),
    "ef_plan_dir": (_S, [_P]),
    "ef_plan_config": (_P, [_P]),
    "ef_plan_figure_value": (_c.c_double, [_P, _c.c_int]),
    "ef_plan_figure_name": (_S, [_c.c_int]),
    "ef_bin_state_name": (_S, [_c.c_int]),
    "ef_video_outcome_name": (_S, [_c.c_int]),
    "ef_plan_bin_count": (_c.c_size_t, [_P]),
    "ef_plan_bin_size": (_c.c_size_t, [_P, _c.c_size_t]),
    "ef_plan_bin_seconds": (_c.c_double, [_P, _c.c_size_t]),
    "ef_plan_video_uid": (_S, [_P, _c.c_size_t, _c.c_size_t]),
    "ef_plan_video_seconds": (_c.c_double, [_P, _c.c_size_t, _c.c_size_t]),
    "ef_plan_video_frames": (_c.c_int64, [_P, _c.c_size_t, _c.c_size_t]),
    "ef_plan_bin_complete": (_c.c_int, [_P, _c.c_size_t,
                                        _c.POINTER(_c.c_int)]),
    "ef_plan_bin_config": (_c.c_int, [_P, _c.c_size_t, _PP]),
    "ef_schedule_status_begin": (_c.c_int, [_P, _c.c_size_t, _S, _PP]),
    "ef_schedule_status_set": (_c.c_int, [_P, _S, _c.c_int, _S]),
    "ef_schedule_status_finish": (_c.c_int, [_P, _c.c_int, _S]),
    "ef_schedule_status_free": (None, [_P]),
    "ef_plan_run_bin": (_c.c_int, [_P, _c.c_size_t, _S, _c.POINTER(Params),
                                   _PP]),
    "ef_plan_read_status": (_c.c_int, [_P]),
    "ef_plan_bin_state": (_c.c_int, [_P, _c.c_size_t]),
    "ef_plan_bin_runner": (_S, [_P, _c.c_size_t]),
    "ef_plan_bin_error": (_S, [_P, _c.c_size_t]),
    "ef_plan_video_outcome": (_c.c_int, [_P, _c.c_size_t, _c.c_size_t]),
    "ef_plan_video_error": (_S, [_P, _c.c_size_t, _c.c_size_t]),
}

# ---- Finding the library ----------------------------------------------------


def _source_root() -> str:
    # python/ego4dfeat/_lib.py -> the repository root
    return os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))


def _pkg_config_libdir() -> Optional[str]:
    try:
        p = subprocess.run(["pkg-config", "--variable=libdir", "ego4dfeat"],
                           capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    d = p.stdout.strip()
    return d if p.returncode == 0 and d else None


def _in_checkout() -> bool:
    # A pip-installed copy sits in site-packages: no build tree beside it.
    return os.path.isfile(os.path.join(_source_root(), "meson.build"))


def candidates() -> Iterator[Tuple[str, str]]:
    """The paths to try, in order, as (origin, path); pkg-config is only
    asked once the earlier ones have failed. A bare soname is for the
    system loader to find."""
    env = os.environ.get("EF_LIBRARY")
    if env:
        yield "$EF_LIBRARY", env
    yield "system loader (LD_LIBRARY_PATH, ld.so cache)", SONAMES[0]
    libdir = _pkg_config_libdir()
    if libdir:
        for n in SONAMES:
            yield "pkg-config", os.path.join(libdir, n)
    build = os.environ.get("EF_BUILD_ROOT")
    if build:
        for n in SONAMES:
            yield "$EF_BUILD_ROOT", os.path.join(build, "lib", n)
    if _in_checkout():
        for n in SONAMES:
            yield "build tree", os.path.join(_source_root(), "build", "lib",
                                             n)


def _loaded_path(soname: str) -> str:
    """Where the system loader found soname: its line in /proc/self/maps
    (the soname itself where that cannot be read)."""
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                fields = line.split()
                if len(fields) >= 6 and os.path.basename(
                        fields[-1]).startswith(soname):
                    return fields[-1]
    except OSError:
        pass
    return soname


def _declare(lib: Any) -> Any:
    for name, (restype, argtypes) in _FUNCTIONS.items():
        f = getattr(lib, name)
        f.restype = restype
        f.argtypes = argtypes
    return lib


_lib: Any = None
path: Optional[str] = None


def lib() -> Any:
    """The loaded library (loaded on first use)."""
    global _lib, path
    if _lib is not None:
        return _lib
    tried = []
    for origin, p in candidates():
        if os.sep in p and not os.path.exists(p):
            tried.append(f"{origin}: {p} (absent)")
            continue
        try:
            _lib = _declare(ctypes.CDLL(p))
            path = p if os.sep in p else _loaded_path(p)
            return _lib
        except (OSError, AttributeError) as e:
            why = "not found" if os.sep not in p else str(e)
            tried.append(f"{origin}: {p} ({why})")
    raise OSError("libego4dfeat not found; set EF_LIBRARY to its path, "
                  "add its folder to LD_LIBRARY_PATH, install it (meson "
                  "install; then ldconfig, or PKG_CONFIG_PATH for its "
                  ".pc file), or build it in build/. Tried:\n  "
                  + "\n  ".join(tried))
