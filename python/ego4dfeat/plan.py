"""Plan: a large run split into bins of videos, each bin one task (a SLURM
array task or a run here) whose estimated time fits
schedule_config.timeout_min; the plan's folder keeps plan.json and one
status file per bin, so a rerun finds what earlier attempts did.

    with ef.Plan.create(cfg) as plan:
        plan.save()
        for b in plan.bins:
            if not b.complete:
                plan.run_bin(b)
        plan.read_status()
"""
import ctypes
import os
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union

from . import _lib
from ._args import StrPath, c_int, cstr, cstr_or_none, index, of_type
from .config import Config
from .errors import check, last_error, _text
from .extract import ProgressFn, Stats, _Call, _run_result
from .handle import Handle


def _code(names: Sequence[str], name: object) -> int:
    """The C enum value of a name in one of _lib's tuples."""
    if not isinstance(name, str):
        raise TypeError(f"expected one of {', '.join(names)}, not "
                        f"{type(name).__name__}")
    try:
        return names.index(name)
    except ValueError:
        raise ValueError(f"{name!r} is not one of {', '.join(names)}") \
            from None


def _index(plan: "Plan", bin: Union["Bin", int]) -> int:
    """A bin index of plan from a Bin of it or an int in range
    (IndexRangeError, an IndexError, outside; TypeError for anything
    else): C would take 2**64 + 1 as 1 and -1 as 2**64 - 1."""
    if isinstance(bin, Bin):
        if bin._plan is not plan:
            raise ValueError(f"bin {bin.index} is of another plan")
        return bin.index
    return index(bin, len(plan), "bin", "the plan")


class PlanConfig(Config):
    """The plan's own config (ef_plan_config), borrowed: read-only, never
    freed by this object, and usable only while its plan is open (it keeps
    the plan alive; after plan.close() it raises ValueError). Clone it for
    a config of your own."""

    def __init__(self, plan: "Plan") -> None:
        super().__init__(plan._call("ef_plan_config"), plan._lib)
        self._plan = plan

    @contextmanager
    def _use(self) -> Iterator[ctypes.c_void_p]:
        # The plan owns the pointer: it stays open while this is in use.
        with self._plan._use(), super()._use() as h:
            yield h

    def _free(self, ptr: int) -> None:
        """Nothing: the plan frees its config."""

    def override(self, override: str) -> "Config":
        """Refused: a plan's config is read-only (TypeError)."""
        raise TypeError("a plan's config is read-only; clone() it first")

    def set(self, path: str, value: str) -> "Config":
        """Refused: a plan's config is read-only (TypeError)."""
        raise TypeError("a plan's config is read-only; clone() it first")


class Video:
    """Video i of a bin: uid, estimated seconds, frames (-1 if unknown),
    and the outcome and error its bin's status file gave at the last
    plan.read_status() ("not_run" and "" before any)."""

    __slots__ = ("_plan", "_bin", "_i")

    def __init__(self, plan: "Plan", bin: int, i: int) -> None:
        # Out of range, the library answers "not_run", "" and -1 as for a
        # real video: refused here instead.
        bin = _index(plan, bin)
        n = plan._call("ef_plan_bin_size", bin)
        i = index(i, n, "video", f"bin {bin}")
        self._plan, self._bin, self._i = plan, bin, i

    def _q(self, name: str) -> Any:
        return self._plan._call(name, self._bin, self._i)

    @property
    def uid(self) -> str:
        """The video's uid."""
        return _text(self._q("ef_plan_video_uid"))

    @property
    def seconds(self) -> float:
        """Its estimated seconds of work."""
        return float(self._q("ef_plan_video_seconds"))

    @property
    def frames(self) -> int:
        """Its sampled frames (-1 if unknown)."""
        return int(self._q("ef_plan_video_frames"))

    @property
    def outcome(self) -> str:
        """"done", "skipped", "failed" or "not_run"."""
        return _lib.OUTCOMES[self._q("ef_plan_video_outcome")]

    @property
    def error(self) -> str:
        """Why it failed or was skipped ("" if not)."""
        return _text(self._q("ef_plan_video_error"))

    def __repr__(self) -> str:
        return (f"Video(uid={self.uid!r}, seconds={self.seconds}, "
                f"frames={self.frames})")


class Bin:
    """Bin `index` of a plan: its videos (largest estimate first), their
    estimated seconds, and what its status file said at the last
    plan.read_status(). A view: it reads the plan at each access."""

    __slots__ = ("_plan", "index")

    def __init__(self, plan: "Plan", index: int) -> None:
        # Out of range, the library answers "not_started" and 0 videos as
        # for a real bin: refused here instead.
        self.index = _index(plan, index)
        self._plan = plan

    def _q(self, name: str, *args: Any) -> Any:
        return self._plan._call(name, self.index, *args)

    def __len__(self) -> int:
        return int(self._q("ef_plan_bin_size"))

    @property
    def videos(self) -> List[Video]:
        """Its videos, largest estimate first."""
        return [Video(self._plan, self.index, i) for i in range(len(self))]

    @property
    def uids(self) -> List[str]:
        """Its videos' uids."""
        return [v.uid for v in self.videos]

    @property
    def seconds(self) -> float:
        """The estimate: the sum of its videos' seconds."""
        return float(self._q("ef_plan_bin_seconds"))

    @property
    def complete(self) -> bool:
        """True when every video has a complete output file of this
        fingerprint (io.filter_completed's check; it reads the files each
        time)."""
        done = ctypes.c_int(0)
        check(self._q("ef_plan_bin_complete", ctypes.byref(done)))
        return bool(done.value)

    def config(self) -> Config:
        """A new Config that runs this bin alone: the plan's config with
        io.uid_list set to its videos (for perform_feature_extraction)."""
        out = ctypes.c_void_p()
        check(self._q("ef_plan_bin_config", ctypes.byref(out)))
        return Config(out.value, self._plan._lib)

    @property
    def state(self) -> str:
        """"not_started", "running", "finished", "cancelled" or "failed"."""
        return _lib.BIN_STATES[self._q("ef_plan_bin_state")]

    @property
    def runner(self) -> str:
        """Who ran the last attempt, e.g. "slurm 1234_5" ("" if none)."""
        return _text(self._q("ef_plan_bin_runner"))

    @property
    def error(self) -> str:
        """Why the bin failed as a whole ("" if it did not)."""
        return _text(self._q("ef_plan_bin_error"))

    def __repr__(self) -> str:
        return (f"Bin(index={self.index}, videos={len(self)}, "
                f"seconds={self.seconds})")


class Plan(Handle):
    """Plan.create(config) or Plan.load(folder); use as a context manager
    or call close(). The same videos and config give the same bins and the
    same folder, <log_folder before %j>/plan-<16 hex>."""

    _free_name = "ef_plan_free"

    @classmethod
    def create(cls, config: Config, strict: bool = False,
               parallelism: int = 0) -> "Plan":
        """Discovers the config's videos, estimates each and packs them
        into bins; nothing is written (see save()). strict: a video longer
        than a bin raises Error (EF_EINVAL) instead of getting a bin of its
        own. parallelism: tasks at once (0: schedule_config.
        slurm_array_parallelism); the makespan figures and, with more bins
        than that, the packing depend on it."""
        of_type(config, Config, "config")
        lib = _lib.lib()
        opts = _lib.PlanOptions()
        check(lib.ef_plan_options_init(ctypes.byref(opts),
                                       ctypes.sizeof(opts)))
        opts.strict = 1 if strict else 0
        opts.parallelism = c_int(parallelism, "parallelism")
        out = ctypes.c_void_p()
        with config._use() as c:
            check(lib.ef_plan_create(c, ctypes.byref(opts),
                                     ctypes.byref(out)))
        return cls(out.value, lib)

    @classmethod
    def load(cls, path: StrPath) -> "Plan":
        """Reads a saved plan: path is its folder or its plan.json. Error
        EF_ENOTFOUND if missing, EF_EINVAL if it is not a plan."""
        lib = _lib.lib()
        out = ctypes.c_void_p()
        check(lib.ef_plan_load(cstr(path, "path", path=True),
                               ctypes.byref(out)))
        return cls(out.value, lib)

    def save(self) -> None:
        """Writes <dir>/plan.json atomically, creating the folder; the same
        plan always writes the same bytes."""
        check(self._call("ef_plan_save"))

    @property
    def dir(self) -> str:
        """The plan's folder (absolute)."""
        return _text(self._call("ef_plan_dir"))

    @property
    def config(self) -> PlanConfig:
        """The plan's resolved config (absolute paths), borrowed: see
        PlanConfig."""
        return PlanConfig(self)

    @property
    def figures(self) -> Dict[str, Union[int, float]]:
        """Every ef_plan_figure by name ("videos", "bins", "capacity",
        "total", "makespan", ...; see _lib.PLAN_FIGURES): seconds as
        float, counts as int."""
        with self._use() as h:
            f = {name: self._lib.ef_plan_figure_value(h, i)
                 for i, name in enumerate(_lib.PLAN_FIGURES)}
        return {k: int(v) if k in _lib.PLAN_COUNT_FIGURES else v
                for k, v in f.items()}

    @property
    def bins(self) -> List[Bin]:
        """The bins, as a list of Bin views in plan order."""
        return [Bin(self, b) for b in range(len(self))]

    def read_status(self) -> "Plan":
        """(Re)reads every bin's status file, for Bin.state, .runner,
        .error and Video.outcome, .error. Error EF_EINVAL naming an
        unreadable file. Returns self."""
        check(self._call("ef_plan_read_status"))
        return self

    def run_bin(self, bin: Union[Bin, int], runner: Optional[str] = None,
                progress: Optional[ProgressFn] = None, cancel: Any = None,
                decode_threads: int = 0, torch_threads: int = 0) -> Stats:
        """Runs one bin (a Bin or its index) as a scheduled task does:
        writes its status file, extracts its videos with
        perform_feature_extraction (complete outputs are skipped), records
        each video's outcome as it ends, then the bin's final state.
        runner names the attempt in the status file (None: "local <pid>",
        as `ego4dfeat run-bin` outside SLURM). progress and cancel as for
        perform_feature_extraction. Returns Stats (stats.ok False when
        some videos failed); raises Error when the bin could not start
        or the run stopped (cancelled: CancelledError, with .stats). A bin
        index out of range is IndexRangeError (an Error EF_EINVAL and an
        IndexError), one that is not an int TypeError."""
        b = _index(self, bin)
        if runner is None:
            runner = f"local {os.getpid()}"
        runner_b = cstr(runner, "runner")
        call = _Call(progress, cancel)
        params = call.params(decode_threads, torch_threads)
        out = ctypes.c_void_p()
        rc = self._call("ef_plan_run_bin", b, runner_b, ctypes.byref(params),
                        ctypes.byref(out))
        return _run_result(self._lib, call, rc, out)

    def __len__(self) -> int:
        return int(self._call("ef_plan_bin_count"))

    def __repr__(self) -> str:
        if self.closed:
            return "<ego4dfeat.Plan closed>"
        f = self.figures
        return (f"<ego4dfeat.Plan {self.dir!r} videos={f['videos']} "
                f"bins={f['bins']} makespan={f['makespan']:g}s>")


class ScheduleStatus(Handle):
    """The status file of one bin, written by hand (what run_bin does for
    you): ScheduleStatus.begin(plan, bin, runner) writes it at once (state
    running, every video not run); set() records one video's outcome;
    finish() writes the final state. Use as a context manager or close()."""

    _free_name = "ef_schedule_status_free"

    @classmethod
    def begin(cls, plan: Plan, bin: Union[Bin, int],
              runner: Optional[str] = None) -> "ScheduleStatus":
        """Writes bin's status file (state running, every video not run)
        and returns the handle that updates it."""
        of_type(plan, Plan, "plan")
        b = _index(plan, bin)
        out = ctypes.c_void_p()
        check(plan._call("ef_schedule_status_begin", b,
                         cstr_or_none(runner, "runner"), ctypes.byref(out)))
        status = cls(out.value, plan._lib)
        status._where = (plan.dir, b)
        return status

    _where = None  # (plan folder, bin), for repr

    def set(self, uid: str, outcome: str, error: Optional[str] = None
            ) -> None:
        """outcome: "done", "skipped", "failed" or "not_run". NotFoundError
        for a uid not in the bin."""
        check(self._call("ef_schedule_status_set", cstr(uid, "uid"),
                         _code(_lib.OUTCOMES, outcome),
                         cstr_or_none(error, "error")))

    def finish(self, state: str, error: Optional[str] = None) -> None:
        """state: "finished", "cancelled" or "failed" (error: why)."""
        check(self._call("ef_schedule_status_finish",
                         _code(_lib.BIN_STATES, state),
                         cstr_or_none(error, "error")))

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<ego4dfeat.ScheduleStatus {state} of (dir, bin) {self._where}>"
