"""Extraction: features of videos in memory (extract_features) and whole
runs to files (perform_feature_extraction), with progress and cancel."""
import ctypes
import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy as np

from . import _lib
from .errors import EPARTIAL, OK, last_error, status_name, _text


@dataclass
class Progress:
    """What a progress callback receives (see ef_progress_info)."""
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


class CancelFlag:
    """A flag the library polls between batches; set() stops the run
    (from any thread) with Error EF_ECANCELLED."""

    def __init__(self):
        self._flag = ctypes.c_int(0)

    def set(self):
        self._flag.value = 1

    def clear(self):
        self._flag.value = 0

    def is_set(self):
        return bool(self._flag.value)


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
    def ok(self):
        return self.status == OK

    @property
    def status_name(self):
        return status_name(self.status)


@dataclass
class VideoOutcome:
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
    def ok(self):
        return self.status == OK


@dataclass
class _Call:
    """Python state of one call: the callback object ctypes must keep
    alive while C holds it, and an exception raised inside the callback."""
    progress: object = None
    cancel: object = None
    error: Optional[BaseException] = None
    keep: list = field(default_factory=list)

    def params(self, decode_threads, torch_threads):
        p = _lib.Params()
        rc = _lib.lib().ef_params_init(ctypes.byref(p), ctypes.sizeof(p))
        if rc != OK:
            raise last_error(rc)
        p.decode_threads = decode_threads
        p.torch_threads = torch_threads
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
                stop = bool(self.progress(Progress(
                    i.video_index, i.video_count, _text(i.uid),
                    i.windows_done, i.windows_total, bool(i.finished),
                    bool(i.failed), bool(i.skipped), i.status,
                    _text(i.error))))
            if self.cancel is not None and self.cancel.is_set():
                stop = True
            return 1 if stop else 0
        except BaseException as e:  # noqa: B902 - re-raised after the call
            self.error = e
            return 1

    def raise_callback_error(self, cause=None):
        if self.error is not None:
            raise self.error from cause


def _paths(videos):
    arr = (ctypes.c_char_p * max(len(videos), 1))()
    for i, v in enumerate(videos):
        arr[i] = os.fsencode(v)
    return arr


def _copy(ptr, shape, ctype):
    n = int(np.prod(shape))
    if not ptr or n == 0:
        return np.zeros(shape, dtype=np.dtype(ctype))
    return np.ctypeslib.as_array(ptr, shape=(n,)).reshape(shape).copy()


def _result(lib, res, i, path):
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


def extract_features(model, config, videos, progress=None, cancel=None,
                     decode_threads=0, torch_threads=0):
    """Features of each video (paths to media files) with a loaded Model,
    in memory: a list of VideoFeatures in the order of `videos`. A video
    that fails does not stop the others; its status and error are in its
    entry. progress(Progress) is called as videos start, after each batch
    and as they end; a true return cancels. cancel: a CancelFlag (or any
    object with is_set(), checked at each progress call). Raises Error if
    nothing could run (a bad config, cancelled, ...)."""
    lib = _lib.lib()
    videos = [os.fspath(v) for v in videos]
    call = _Call(progress, cancel)
    params = call.params(decode_threads, torch_threads)
    out = ctypes.c_void_p()
    rc = lib.ef_extract_features(model._handle(), config._handle(),
                                 _paths(videos), len(videos),
                                 ctypes.byref(params), ctypes.byref(out))
    if rc not in (OK, EPARTIAL):
        err = last_error(rc)
        call.raise_callback_error(err)
        raise err
    try:
        call.raise_callback_error()
        return [_result(lib, out, i, v) for i, v in enumerate(videos)]
    finally:
        lib.ef_results_free(out)


def _stats(lib, st, rc):
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


def perform_feature_extraction(config, videos=None, progress=None,
                               cancel=None, decode_threads=0,
                               torch_threads=0):
    """A whole run to files, as `ego4dfeat extract` does: loads the model
    once, writes <io.out_path>/<uid>.<io.out_format> with <uid>.times.npy
    and the fingerprint <uid>.fp (or one features.h5 for hdf5), and
    config.yaml; outputs of another fingerprint follow io.on_mismatch
    (refuse: Error EF_ECONFIG naming the file, nothing written).
    videos None: discovered from the config (io.uid_list or
    io.video_dir_path). Returns Stats (stats.ok is False when some videos
    failed). Raises Error if the run could not start or was cancelled; the
    error's `stats` attribute then holds the stats when there are some."""
    lib = _lib.lib()
    call = _Call(progress, cancel)
    params = call.params(decode_threads, torch_threads)
    paths = None
    n = 0
    if videos is not None:
        videos = [os.fspath(v) for v in videos]
        paths, n = _paths(videos), len(videos)
    out = ctypes.c_void_p()
    rc = lib.ef_perform_feature_extraction(config._handle(), paths, n,
                                           ctypes.byref(params),
                                           ctypes.byref(out))
    return _run_result(lib, call, rc, out)


def _run_result(lib, call, rc, out):
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
    return stats
