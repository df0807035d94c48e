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

from . import _lib
from .config import Config
from .errors import check, _text
from .extract import _Call, _run_result
from .handle import Handle


def _b(s):
    return os.fsencode(s) if s is not None else None


def _code(names, name):
    """The C enum value of a name in one of _lib's tuples."""
    try:
        return names.index(name)
    except ValueError:
        raise ValueError(f"{name!r} is not one of {', '.join(names)}") \
            from None


def _index(bin):
    """A bin index from a Bin or an int."""
    return bin.index if isinstance(bin, Bin) else int(bin)


class PlanConfig(Config):
    """The plan's own config (ef_plan_config), borrowed: read-only, never
    freed by this object, and usable only while its plan is open (it keeps
    the plan alive; after plan.close() it raises ValueError). Clone it for
    a config of your own."""

    def __init__(self, plan):
        super().__init__(plan._lib.ef_plan_config(plan._handle()), plan._lib)
        self._plan = plan

    def _handle(self):
        self._plan._handle()  # ValueError once the plan is closed
        return super()._handle()

    def close(self):
        """Forgets the pointer; the plan frees its config."""
        self._ptr = ctypes.c_void_p()

    def override(self, override):
        raise TypeError("a plan's config is read-only; clone() it first")

    def set(self, path, value):
        raise TypeError("a plan's config is read-only; clone() it first")


class Video:
    """Video i of a bin: uid, estimated seconds, frames (-1 if unknown),
    and the outcome and error its bin's status file gave at the last
    plan.read_status() ("not_run" and "" before any)."""

    __slots__ = ("_plan", "_bin", "_i")

    def __init__(self, plan, bin, i):
        # Out of range, the library answers "not_run", "" and -1 as for a
        # real video: refused here instead.
        n = plan._lib.ef_plan_bin_size(plan._handle(), bin)
        if not 0 <= i < n:
            raise IndexError(f"bin {bin} has no video {i} (it has {n})")
        self._plan, self._bin, self._i = plan, bin, i

    def _q(self, name):
        return getattr(self._plan._lib, name)(self._plan._handle(), self._bin,
                                              self._i)

    @property
    def uid(self):
        return _text(self._q("ef_plan_video_uid"))

    @property
    def seconds(self):
        return self._q("ef_plan_video_seconds")

    @property
    def frames(self):
        return self._q("ef_plan_video_frames")

    @property
    def outcome(self):
        """"done", "skipped", "failed" or "not_run"."""
        return _lib.OUTCOMES[self._q("ef_plan_video_outcome")]

    @property
    def error(self):
        return _text(self._q("ef_plan_video_error"))

    def __repr__(self):
        return (f"Video(uid={self.uid!r}, seconds={self.seconds}, "
                f"frames={self.frames})")


class Bin:
    """Bin `index` of a plan: its videos (largest estimate first), their
    estimated seconds, and what its status file said at the last
    plan.read_status(). A view: it reads the plan at each access."""

    __slots__ = ("_plan", "index")

    def __init__(self, plan, index):
        # Out of range, the library answers "not_started" and 0 videos as
        # for a real bin: refused here instead.
        n = len(plan)
        if not 0 <= index < n:
            raise IndexError(f"the plan has no bin {index} (it has {n})")
        self._plan, self.index = plan, index

    def _q(self, name, *args):
        return getattr(self._plan._lib, name)(self._plan._handle(),
                                              self.index, *args)

    def __len__(self):
        return self._q("ef_plan_bin_size")

    @property
    def videos(self):
        return [Video(self._plan, self.index, i) for i in range(len(self))]

    @property
    def uids(self):
        return [v.uid for v in self.videos]

    @property
    def seconds(self):
        """The estimate: the sum of its videos' seconds."""
        return self._q("ef_plan_bin_seconds")

    @property
    def complete(self):
        """True when every video has a complete output file of this
        fingerprint (io.filter_completed's check; it reads the files each
        time)."""
        done = ctypes.c_int(0)
        check(self._q("ef_plan_bin_complete", ctypes.byref(done)))
        return bool(done.value)

    def config(self):
        """A new Config that runs this bin alone: the plan's config with
        io.uid_list set to its videos (for perform_feature_extraction)."""
        out = ctypes.c_void_p()
        check(self._q("ef_plan_bin_config", ctypes.byref(out)))
        return Config(out.value, self._plan._lib)

    @property
    def state(self):
        """"not_started", "running", "finished", "cancelled" or "failed"."""
        return _lib.BIN_STATES[self._q("ef_plan_bin_state")]

    @property
    def runner(self):
        """Who ran the last attempt, e.g. "slurm 1234_5" ("" if none)."""
        return _text(self._q("ef_plan_bin_runner"))

    @property
    def error(self):
        """Why the bin failed as a whole ("" if it did not)."""
        return _text(self._q("ef_plan_bin_error"))

    def __repr__(self):
        return (f"Bin(index={self.index}, videos={len(self)}, "
                f"seconds={self.seconds})")


class Plan(Handle):
    """Plan.create(config) or Plan.load(folder); use as a context manager
    or call close(). The same videos and config give the same bins and the
    same folder, <log_folder before %j>/plan-<16 hex>."""

    _free_name = "ef_plan_free"

    @classmethod
    def create(cls, config, strict=False, parallelism=0):
        """Discovers the config's videos, estimates each and packs them
        into bins; nothing is written (see save()). strict: a video longer
        than a bin raises Error (EF_EINVAL) instead of getting a bin of its
        own. parallelism: tasks at once (0: schedule_config.
        slurm_array_parallelism); the makespan figures and, with more bins
        than that, the packing depend on it."""
        lib = _lib.lib()
        opts = _lib.PlanOptions()
        check(lib.ef_plan_options_init(ctypes.byref(opts),
                                       ctypes.sizeof(opts)))
        opts.strict = 1 if strict else 0
        opts.parallelism = parallelism
        out = ctypes.c_void_p()
        check(lib.ef_plan_create(config._handle(), ctypes.byref(opts),
                                 ctypes.byref(out)))
        return cls(out.value, lib)

    @classmethod
    def load(cls, path):
        """Reads a saved plan: path is its folder or its plan.json. Error
        EF_ENOTFOUND if missing, EF_EINVAL if it is not a plan."""
        lib = _lib.lib()
        out = ctypes.c_void_p()
        check(lib.ef_plan_load(_b(os.fspath(path)), ctypes.byref(out)))
        return cls(out.value, lib)

    def save(self):
        """Writes <dir>/plan.json atomically, creating the folder; the same
        plan always writes the same bytes."""
        check(self._lib.ef_plan_save(self._handle()))

    @property
    def dir(self):
        """The plan's folder (absolute)."""
        return _text(self._lib.ef_plan_dir(self._handle()))

    @property
    def config(self):
        """The plan's resolved config (absolute paths), borrowed: see
        PlanConfig."""
        return PlanConfig(self)

    @property
    def figures(self):
        """Every ef_plan_figure by name ("videos", "bins", "capacity",
        "total", "makespan", ...; see _lib.PLAN_FIGURES): seconds as
        float, counts as int."""
        h = self._handle()
        f = {name: self._lib.ef_plan_figure_value(h, i)
             for i, name in enumerate(_lib.PLAN_FIGURES)}
        return {k: int(v) if k in _lib.PLAN_COUNT_FIGURES else v
                for k, v in f.items()}

    @property
    def bins(self):
        """The bins, as a list of Bin views in plan order."""
        return [Bin(self, b)
                for b in range(self._lib.ef_plan_bin_count(self._handle()))]

    def read_status(self):
        """(Re)reads every bin's status file, for Bin.state, .runner,
        .error and Video.outcome, .error. Error EF_EINVAL naming an
        unreadable file. Returns self."""
        check(self._lib.ef_plan_read_status(self._handle()))
        return self

    def run_bin(self, bin, runner=None, progress=None, cancel=None,
                decode_threads=0, torch_threads=0):
        """Runs one bin (a Bin or its index) as a scheduled task does:
        writes its status file, extracts its videos with
        perform_feature_extraction (complete outputs are skipped), records
        each video's outcome as it ends, then the bin's final state.
        runner names the attempt in the status file (None: "local <pid>",
        as `ego4dfeat run-bin` outside SLURM). progress and cancel as for
        perform_feature_extraction. Returns Stats (stats.ok False when
        some videos failed); raises Error when the bin could not start
        (no such bin: EF_EINVAL, stats None) or the run stopped
        (cancelled: EF_ECANCELLED, with .stats)."""
        if runner is None:
            runner = f"local {os.getpid()}"
        call = _Call(progress, cancel)
        params = call.params(decode_threads, torch_threads)
        out = ctypes.c_void_p()
        rc = self._lib.ef_plan_run_bin(self._handle(), _index(bin),
                                       _b(runner), ctypes.byref(params),
                                       ctypes.byref(out))
        return _run_result(self._lib, call, rc, out)

    def __len__(self):
        return self._lib.ef_plan_bin_count(self._handle())


class ScheduleStatus(Handle):
    """The status file of one bin, written by hand (what run_bin does for
    you): ScheduleStatus.begin(plan, bin, runner) writes it at once (state
    running, every video not run); set() records one video's outcome;
    finish() writes the final state. Use as a context manager or close()."""

    _free_name = "ef_schedule_status_free"

    @classmethod
    def begin(cls, plan, bin, runner=None):
        out = ctypes.c_void_p()
        check(plan._lib.ef_schedule_status_begin(
            plan._handle(), _index(bin), _b(runner), ctypes.byref(out)))
        return cls(out.value, plan._lib)

    def set(self, uid, outcome, error=None):
        """outcome: "done", "skipped", "failed" or "not_run". Error
        EF_ENOTFOUND for a uid not in the bin."""
        check(self._lib.ef_schedule_status_set(
            self._handle(), _b(uid), _code(_lib.OUTCOMES, outcome),
            _b(error)))

    def finish(self, state, error=None):
        """state: "finished", "cancelled" or "failed" (error: why)."""
        check(self._lib.ef_schedule_status_finish(
            self._handle(), _code(_lib.BIN_STATES, state), _b(error)))
