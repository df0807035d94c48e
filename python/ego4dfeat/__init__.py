"""ego4dfeat: Python binding of libego4dfeat (ctypes over the C API; no
compiled extension).

    import ego4dfeat as ef
    with ef.Config.load("mvit_k400", config_dir="configs",
                        overrides=["model_config.model_path=m.pt",
                                   "inference_config.device=cpu"]) as cfg, \\
         ef.Model.load(cfg) as model:
        for r in ef.extract_features(model, cfg, ["a.mp4"]):
            print(r.path, r.features.shape, r.window_starts[:3])
        # frames already in memory: a uint8 [T, H, W, 3] array
        r = ef.extract_frames(model, cfg, frames, fps=30)

Large runs are planned into bins (one task each) with ef.Plan; see
plan.py.

The library is found through $EF_LIBRARY, the system loader, pkg-config
or the build tree (see _lib.py). Failures raise ef.Error (code, name,
message), as the subclass of its code (ef.NotFoundError is also a
FileNotFoundError, ef.ConfigError a ValueError, ...; see errors.py).
Handles (Config, Model, Plan, ScheduleStatus) may be closed from any
thread: a call using one keeps it alive until it returns.
"""
from . import _lib
from .config import Config
from .errors import (CancelledError, ConfigError, DecodeError, Error,
                     IndexRangeError, InvalidArgumentError, IOFailureError,
                     ModelError,
                     NoStreamError, NotFoundError, OutOfMemoryError,
                     status_name)
from .extract import (CancelFlag, Progress, Result, Stats, VideoFeatures,
                      VideoOutcome, extract_features, extract_frames,
                      perform_feature_extraction)
from .model import Model
from .plan import Bin, Plan, PlanConfig, ScheduleStatus, Video

__all__ = ["Config", "Model", "Error", "InvalidArgumentError",
           "IndexRangeError",
           "OutOfMemoryError", "IOFailureError", "NotFoundError",
           "DecodeError", "ModelError", "ConfigError", "CancelledError",
           "NoStreamError", "CancelFlag", "Progress", "Result", "Stats",
           "VideoFeatures", "VideoOutcome", "extract_features",
           "extract_frames", "perform_feature_extraction", "Plan",
           "PlanConfig", "Bin", "Video", "ScheduleStatus", "status_name",
           "library_version", "library_path"]

__version__ = "0.1.0"


def library_version() -> str:
    """The version string of the loaded library, e.g. "0.1.0"."""
    return str(_lib.lib().ef_version().decode())


def library_path() -> str:
    """The path of the loaded library."""
    _lib.lib()
    return str(_lib.path)
