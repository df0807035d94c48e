"""Extraction: features of videos in memory (extract_features) and whole
runs to files (perform_feature_extraction), with progress and cancel."""
import ctypes
import os
from dataclasses import dataclass, field
from typing import (Any, Callable, Dict, Iterable, List, Optional, Sequence,
                    Union)

import numpy as np

from . import _lib
from ._args import StrPath, c_int, of_type, one_or_many
from .config import Config
from .errors import EPARTIAL, OK, check, error, last_error, status_name, _text
from .model import Model


@dataclass
class Progress:
    """What a progress callback receives (see ef_progress_info): video
    video_index of video_count, by its uid (the file name without its
    extension; "<frames>" for extract_frames) and path."""
    video_index: int
    video_count: int
    uid: str
    windows_done: int
    windows_total: int  # -1 while unknown
    finished: bool
    failed: bool
    skipped: bool
    status: int = OK  # once finished: the failure's code (see the header)
    error: str = ""   # once finished: why it failed or was skipped
    path: str = ""    # extract_features: the video's path, as given


class CancelFlag:
    """A flag the library polls between batches; set() stops the run
    (from any thread) with Error EF_ECANCELLED."""

    def __init__(self) -> None:
        self._flag = ctypes.c_int(0)

    def set(self) -> None:
        """Asks the runs polling this flag to stop."""
        self._flag.value = 1

    def clear(self) -> None:
        """Lowers the flag, for the next run."""
        self._flag.value = 0

    def is_set(self) -> bool:
        """Whether set() was called since the last clear()."""
        return bool(self._flag.value)

    def __repr__(self) -> str:
        return f"CancelFlag(set={self.is_set()})"


@dataclass
class VideoFeatures:
    """The features of one video: `features` is float32 [windows, ...]
    (None if the video failed), window times in seconds."""
    path: str
    status: int
    error: str
    features: Optional[np.ndarray]
    window_starts: Optional[np.ndarray]
    window_ends: Optional[np.ndarray]
    outcome: str = "done"  # "done", "skipped" (e.g. no audio) or "failed"

    @property
    def ok(self) -> bool:
        """True when the features were computed."""
        return self.status == OK

    @property
    def status_name(self) -> str:
        """The status constant's name, e.g. "EF_OK", "EF_EDECODE"."""
        return status_name(self.status)

    def __repr__(self) -> str:
        if self.features is None:
            return (f"VideoFeatures(path={self.path!r}, outcome="
                    f"{self.outcome!r}, status={self.status_name}, "
                    f"error={self.error!r})")
        return (f"VideoFeatures(path={self.path!r}, outcome={self.outcome!r},"
                f" features=float32{list(self.features.shape)}, windows "
                f"{self.window_starts[0] if len(self.window_starts) else 0:g}"
                f"-{self.window_ends[-1] if len(self.window_ends) else 0:g} s)")


Result = VideoFeatures  # the name the C API gives it (ef_results)


@dataclass
class VideoOutcome:
    """What became of one video of a run (see Stats.videos)."""
    uid: str
    outcome: str  # "done", "skipped", "failed" or "not_run"
    error: str
    windows: int
    seconds: float  # of video covered


@dataclass
class Stats:
    """A run's timings (seconds by part: model_load, decode, decode_wait,
    transfer, forward, save, overall) and each video's outcome."""
    status: int
    seconds: Dict[str, float]
    videos: List[VideoOutcome]
    counts: Dict[str, int]
    total_windows: int
    total_forward_passes: int

    @property
    def ok(self) -> bool:
        """True when every video was done or skipped."""
        return self.status == OK


ProgressFn = Callable[[Progress], Any]


@dataclass
class _Call:
    """Python state of one call: the callback object ctypes must keep
    alive while C holds it, and an exception raised inside the callback."""
    progress: Optional[ProgressFn] = None
    cancel: Any = None
    error: Optional[BaseException] = None
    keep: list = field(default_factory=list)
    paths: Optional[List[str]] = None  # by video index, for Progress.path

    def params(self, decode_threads: int, torch_threads: int) -> Any:
        if self.progress is not None and not callable(self.progress):
            raise TypeError("progress must be callable")
        p = _lib.Params()
        check(_lib.lib().ef_params_init(ctypes.byref(p), ctypes.sizeof(p)))
        p.decode_threads = c_int(decode_threads, "decode_threads")
        p.torch_threads = c_int(torch_threads, "torch_threads")
        if isinstance(self.cancel, CancelFlag):
            p.cancel = ctypes.pointer(self.cancel._flag)
            self.keep.append(p.cancel)
        elif self.cancel is not None and not hasattr(self.cancel, "is_set"):
            raise TypeError("cancel must be a CancelFlag or have is_set()")
        if self.progress is not None or (
                self.cancel is not None and
                not isinstance(self.cancel, CancelFlag)):
            cb = _lib.PROGRESS_CB(self._on_progress)
            self.keep.append(cb)
            p.progress = cb
        return p

    def _on_progress(self, info_p, _user_data):
        # Exceptions must not cross into C: keep it, stop the run, re-raise
        # once the library returns.
        try:
            i = info_p.contents
            stop = False
            if self.progress is not None:
                uid = _text(i.uid)
                path = ""  # runs name their videos by uid only
                if self.paths is not None and i.video_index < len(self.paths):
                    # ef_extract_features names a video by its path.
                    path = self.paths[i.video_index]
                    uid = uid_of(path)
                stop = bool(self.progress(Progress(
                    i.video_index, i.video_count, uid,
                    i.windows_done, i.windows_total, bool(i.finished),
                    bool(i.failed), bool(i.skipped), i.status,
                    _text(i.error), path)))
            if self.cancel is not None and self.cancel.is_set():
                stop = True
            return 1 if stop else 0
        except BaseException as e:  # noqa: B902 - re-raised after the call
            self.error = e
            return 1

    def raise_callback_error(self, cause: Optional[BaseException] = None
                             ) -> None:
        if self.error is not None:
            raise self.error from cause


def uid_of(path: str) -> str:
    """A video's uid from its path, as the library makes it: the file name
    without its extension (a leading dot is part of the name)."""
    base = path.rsplit("/", 1)[-1]
    dot = base.rfind(".")
    return base[:dot] if dot > 0 else base


def _paths(videos: List[bytes]) -> Any:
    arr = (ctypes.c_char_p * max(len(videos), 1))()
    for i, v in enumerate(videos):
        arr[i] = v
    return arr


def _copy(ptr: Any, shape: Sequence[int], ctype: Any) -> np.ndarray:
    n = int(np.prod(shape))
    if not ptr or n == 0:
        return np.zeros(shape, dtype=np.dtype(ctype))
    return np.ctypeslib.as_array(ptr, shape=(n,)).reshape(shape).copy()


def _result(lib: Any, res: Any, i: int, path: str) -> VideoFeatures:
    status = lib.ef_results_status(res, i)
    if status != OK:
        return VideoFeatures(path, status, _text(lib.ef_results_error(res, i)),
                             None, None, None,
                             _lib.OUTCOMES[lib.ef_results_outcome(res, i)])
    dims = (ctypes.c_int64 * 8)()
    nd = lib.ef_results_shape(res, i, dims, 8)
    if nd > 8:
        dims = (ctypes.c_int64 * nd)()
        lib.ef_results_shape(res, i, dims, nd)
    shape = tuple(dims[:nd])
    return VideoFeatures(
        path, status, "",
        _copy(lib.ef_results_data(res, i), shape, ctypes.c_float),
        _copy(lib.ef_results_window_starts(res, i), shape[:1],
              ctypes.c_double),
        _copy(lib.ef_results_window_ends(res, i), shape[:1],
              ctypes.c_double))


Videos = Union[StrPath, Iterable[StrPath]]


def extract_features(model: Model, config: Config, videos: Videos,
                     progress: Optional[ProgressFn] = None,
                     cancel: Any = None, decode_threads: int = 0,
                     torch_threads: int = 0) -> List[VideoFeatures]:
    """Features of each video (paths to media files; one str is one path)
    with a loaded Model, in memory: a list of VideoFeatures in the order of
    `videos`. A video that fails does not stop the others; its status and
    error are in its entry. progress(Progress) is called as videos start,
    after each batch and as they end; a true return cancels. cancel: a
    CancelFlag (or any object with is_set(), checked at each progress
    call). Raises Error if nothing could run (a bad config: ConfigError,
    cancelled: CancelledError, ...). model and config stay alive until the
    call returns, whoever closes them meanwhile."""
    of_type(model, Model, "model")
    of_type(config, Config, "config")
    encoded = one_or_many(videos, "videos", path=True)
    names = [os.fsdecode(v) for v in encoded]
    lib = _lib.lib()
    call = _Call(progress, cancel, paths=names)
    params = call.params(decode_threads, torch_threads)
    out = ctypes.c_void_p()
    with model._extraction() as m, config._use() as c:
        rc = lib.ef_extract_features(m, c, _paths(encoded), len(encoded),
                                     ctypes.byref(params), ctypes.byref(out))
    if rc not in (OK, EPARTIAL):
        err = last_error(rc)
        call.raise_callback_error(err)
        raise err
    try:
        call.raise_callback_error()
        return [_result(lib, out, i, v) for i, v in enumerate(names)]
    finally:
        lib.ef_results_free(out)


def extract_frames(model: Model, config: Config, frames: Any,
                   fps: float, progress: Optional[ProgressFn] = None,
                   cancel: Any = None, decode_threads: int = 0,
                   torch_threads: int = 0) -> VideoFeatures:
    """Features of frames an application holds (a camera, a headset): a
    numpy uint8 array [T, H, W, 3] of RGB frames, frame t shown at t / fps
    seconds. They are sampled at the config's rate, windowed and
    transformed as a file of these frames written at this fps would be, so
    the features equal that file's from extract_features. Returns the
    VideoFeatures (path "<frames>"); raises Error if they failed (e.g. a
    model that cannot run: ModelError) or nothing could run (an audio
    config: ConfigError). TypeError for anything but a uint8 array of 4
    dimensions with 3 channels, ValueError for an empty one or a bad fps.
    The array is read in place when its rows are contiguous (else a copy
    is made) and not kept."""
    of_type(model, Model, "model")
    of_type(config, Config, "config")
    if not isinstance(frames, np.ndarray):
        raise TypeError(f"frames must be a numpy array, not "
                        f"{type(frames).__name__}")
    if frames.dtype != np.uint8:
        raise TypeError(f"frames must be uint8, not {frames.dtype}")
    if frames.ndim != 4 or frames.shape[3] != 3:
        raise TypeError(f"frames must be [T, H, W, 3] (RGB), not "
                        f"{list(frames.shape)}")
    if 0 in frames.shape:
        raise ValueError(f"frames is empty: {list(frames.shape)}")
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) and \
            not hasattr(fps, "__float__"):
        raise TypeError(f"fps must be a number, not {type(fps).__name__}")
    rate = float(fps)
    if not rate > 0 or rate == float("inf"):
        raise ValueError(f"fps must be finite and positive, not {fps!r}")
    T, H, W, _ = frames.shape
    c_int(H, "frame height", 1)
    c_int(W, "frame width", 1)
    # The C side takes packed pixels in rows of any stride, frames
    # H rows apart.
    if not (frames.strides[3] == 1 and frames.strides[2] == 3 and
            frames.strides[1] >= 3 * W and
            frames.strides[0] == H * frames.strides[1]):
        frames = np.ascontiguousarray(frames)
    lib = _lib.lib()
    call = _Call(progress, cancel)
    params = call.params(decode_threads, torch_threads)
    out = ctypes.c_void_p()
    data = frames.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8))
    with model._extraction() as m, config._use() as c:
        rc = lib.ef_extract_frames(m, c, data, T, H, W, frames.strides[1],
                                   rate, ctypes.byref(params),
                                   ctypes.byref(out))
    if rc not in (OK, EPARTIAL):
        err = last_error(rc)
        call.raise_callback_error(err)
        raise err
    try:
        call.raise_callback_error()
        r = _result(lib, out, 0, "<frames>")
    finally:
        lib.ef_results_free(out)
    if not r.ok:
        raise error(r.status, r.error)
    return r


def _stats(lib: Any, st: Any, rc: int) -> Stats:
    n = lib.ef_stats_video_count(st)
    videos = [VideoOutcome(_text(lib.ef_stats_video_uid(st, i)),
                           _lib.OUTCOMES[lib.ef_stats_video_outcome(st, i)],
                           _text(lib.ef_stats_video_error(st, i)),
                           lib.ef_stats_video_windows(st, i),
                           lib.ef_stats_video_seconds(st, i))
              for i in range(n)]
    return Stats(
        status=rc,
        seconds={k: lib.ef_stats_seconds(st, i)
                 for i, k in enumerate(_lib.TIME_KINDS)},
        videos=videos,
        counts={k: lib.ef_stats_count(st, i)
                for i, k in enumerate(_lib.OUTCOMES)},
        total_windows=lib.ef_stats_total_windows(st),
        total_forward_passes=lib.ef_stats_total_forward_passes(st))


def perform_feature_extraction(config: Config,
                               videos: Optional[Videos] = None,
                               progress: Optional[ProgressFn] = None,
                               cancel: Any = None, decode_threads: int = 0,
                               torch_threads: int = 0) -> Stats:
    """A whole run to files, as `ego4dfeat extract` does: loads the model
    once, writes <io.out_path>/<uid>.<io.out_format> with <uid>.times.npy
    and the fingerprint <uid>.fp (or one features.h5 for hdf5), and
    config.yaml; outputs of another fingerprint follow io.on_mismatch
    (refuse: ConfigError naming the file, nothing written).
    videos None: discovered from the config (io.uid_list or
    io.video_dir_path); one str is one path. Returns Stats (stats.ok is
    False when some videos failed). Raises Error if the run could not
    start or was cancelled (CancelledError); the error's `stats` attribute
    then holds the stats when there are some."""
    of_type(config, Config, "config")
    lib = _lib.lib()
    call = _Call(progress, cancel)
    params = call.params(decode_threads, torch_threads)
    paths = None
    n = 0
    if videos is not None:
        encoded = one_or_many(videos, "videos", path=True)
        paths, n = _paths(encoded), len(encoded)
    out = ctypes.c_void_p()
    with config._use() as c:
        rc = lib.ef_perform_feature_extraction(c, paths, n,
                                               ctypes.byref(params),
                                               ctypes.byref(out))
    return _run_result(lib, call, rc, out)


def _run_result(lib: Any, call: _Call, rc: int, out: Any) -> Stats:
    """The Stats of a run that returned rc with its ef_stats in out (freed
    here). Raises Error (with .stats) when rc is neither EF_OK nor
    EF_EPARTIAL; an exception raised in the progress callback wins over
    both. Shared by perform_feature_extraction and Plan.run_bin."""
    err = last_error(rc) if rc not in (OK, EPARTIAL) else None
    stats = None
    if out.value:
        try:
            stats = _stats(lib, out, rc)
        finally:
            lib.ef_stats_free(out)
    if err is not None:
        err.stats = stats
        call.raise_callback_error(err)
        raise err
    call.raise_callback_error()
    assert stats is not None  # EF_OK and EF_EPARTIAL come with stats
    return stats
