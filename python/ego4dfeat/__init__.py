"""ego4dfeat: Python binding of libego4dfeat (ctypes over the C API; no
compiled extension).

    import ego4dfeat as ef
    with ef.Config.load("mvit_k400", config_dir="configs",
                        overrides=["model_config.model_path=m.pt",
                                   "inference_config.device=cpu"]) as cfg, \\
         ef.Model.load(cfg) as model:
        for r in ef.extract_features(model, cfg, ["a.mp4"]):
            print(r.path, r.features.shape, r.window_starts[:3])

Large runs are planned into bins (one task each) with ef.Plan; see
plan.py.

The library is found through $EF_LIBRARY, pkg-config or the build tree
(see _lib.py). Failures raise ef.Error (code, name, message).
"""
from . import _lib
from .config import Config
from .errors import Error, status_name
from .extract import (CancelFlag, Progress, Stats, VideoFeatures,
                      VideoOutcome, extract_features,
                      perform_feature_extraction)
from .model import Model
from .plan import Bin, Plan, PlanConfig, ScheduleStatus, Video

__all__ = ["Config", "Model", "Error", "CancelFlag", "Progress", "Stats",
           "VideoFeatures", "VideoOutcome", "extract_features",
           "perform_feature_extraction", "Plan", "PlanConfig", "Bin",
           "Video", "ScheduleStatus", "status_name", "library_version",
           "library_path"]

__version__ = "0.1.0"


def library_version():
    """The version string of the loaded library, e.g. "0.1.0"."""
    return _lib.lib().ef_version().decode()


def library_path():
    """The path of the loaded library."""
    _lib.lib()
    return _lib.path
