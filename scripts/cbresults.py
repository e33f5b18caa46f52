"""Load, check and analyse Google Benchmark JSON written by concbench.

Shared by ``scripts/compare``, ``scripts/plot`` and ``scripts/overhead``.
Runs with Debian's ``/usr/bin/python3``; scipy is imported only when a U
or Wilcoxon test is computed.

Input
-----
Google Benchmark JSON (``{"context": {...}, "benchmarks": [...]}``), from
concbench or any other Google Benchmark program.  Runs are matched by
``run_name`` (falling back to ``name``).  Per-repetition values come from the
``"iteration"`` entries; only when a run has none are its ``median`` (else
``mean``) aggregate used.  ``real_time`` is converted from ``time_unit`` to
seconds.  Keys that are not Google Benchmark's own and hold numbers are
counters.  Unknown keys and unknown ``run_type`` values are ignored.

Which runs are concbench runs, and their kernel, mode, tasks, workers and
chunk (a :class:`Config`), comes from the run's ``label``, written by
concbench since issue 10: space-separated ``key=value`` items, ``kernel=noop
mode=thread_pool tasks=16 workers=2`` and then the mode's options
(``chunk=N|auto``, ``transport=pipe|shm``, ``switch_us=N`` ...) and
``payload=B`` (bytes, since issue 12); of these ``chunk``, ``transport`` and
``payload`` are part of the Config, other and unknown keys are ignored.  A
kernel with a payload is a workload of its own (``noop payload:1M``): its
runs are compared with serial on the same payload, and transport shm is
part of the strategy (``process transport:shm``).  A baseline's label
(``baseline=fork_exit_waitpid tasks=16``) makes no Config.  A run without a
label, or with one that does not parse (older files, other programs), is
told by its name: concbench names look like
``<kernel>/<mode>/tasks:<T>/workers:<W>`` with an optional ``/chunk:<N>``
or ``/chunk:auto``, ``/transport:shm``, ``/payload:<B>`` (``4K``, ``1M``:
binary units) and then Google Benchmark's own suffixes
(``/manual_time`` ...).  Both ways give the same Config for concbench's
runs.  T and N must be 1 to 4096 and W 1 to 256, what concbench can run
(a chunk of 1 is one task at a time, as no chunk).  Any other run, one with
a number beyond these too, is not a concbench run: it is still compared,
but takes no part in speedup, efficiency or best-strategy tables (and plot
draws it in ``other.png``).

Modes are listed in the order of the context's ``modes``, also written by
concbench since issue 10: space-separated ``name`` or
``name:property,property...`` items in the suite's order, e.g.
``serial:single_worker thread process thread_pool:pool,chunked ...``;
without it, or when it does not parse, in the order of MODE_ORDER.  Modes
not listed come last, by name.

A file is refused (:class:`InputError`: one line ``PROG: PATH: problem``,
exit status 2) when it is not a regular file (a directory, FIFO, device or
socket is never opened for reading), bigger than MAX_BYTES (256 MiB), not
UTF-8 JSON, or not Google
Benchmark output; when any number in it is beyond the range of a float
(say 400 digits) or arrays and objects nest more than MAX_DEPTH deep; when
its benchmark list is empty; or when an entry has no name, a repetition
count below 1, or a time that is missing, NaN, infinite or negative, a zero
``real_time`` in a repetition (not in an errored entry nor, say, a stddev),
or an unknown ``time_unit``; and when one measurement is in it twice (the
same name and ``repetition_index``, or aggregate, or an entry without
either that is the same entry again: a file with its benchmark list
appended again, or two runs joined).  Such a file is refused rather than
deduplicated with a warning: which copy is the measurement cannot be told
when the copies differ, a warning among the tables is easily missed, and
counted twice, 3 repetitions would pass for 6 and turn "too few
repetitions to tell" into a verdict.

Statistics
----------
* centre: the median of the repetitions;
* spread: the interquartile range (IQR = Q3 - Q1, quartiles by linear
  interpolation between order statistics, numpy's default);
* outliers: repetitions outside [Q1 - 1.5 IQR, Q3 + 1.5 IQR] are flagged,
  never dropped;
* difference between two files: two-sided Mann-Whitney U test
  (``scipy.stats.mannwhitneyu``); with fewer than ``MIN_REPETITIONS`` on a side
  the verdict is "too few repetitions to tell" (with 3 + 3 values the smallest
  possible two-sided p-value is 0.1);
* ratio: median(file) / median(first file); geometric mean of the ratios over
  the benchmarks valid in every file;
* speedup over serial (same kernel and tasks), paired in time: each
  repetition of the run is paired with serial's of the same ``round``
  (concbench's default order, rounds), else, without rounds, with serial's
  whose ``t_start_s`` is nearest; the speedup is the median of the paired
  ratios serial / run.  Files without either counter (older concbench,
  other programs) and aggregates-only runs are *unpaired*: median(serial) /
  median(run), no interval, and the row and the summary's notes say so;
* interval of the speedup: a distribution-free confidence interval for the
  median of the paired ratios from order statistics (the binomial
  interval, no resampling, so the same file always gives the same
  interval): [x_(k), x_(n+1-k)] with the largest k covering at least 95 %;
  with 5 pairs or fewer that is [min, max], whose coverage (93.75 % for 5,
  87.5 % for 4, 75 % for 3, 50 % for 2) is reported with it;
* efficiency: speedup / min(workers, CPUs the run could use), where the CPU
  count is the context's ``cpus_allowed``, else ``num_cpus``, or its
  ``cpu_quota`` (the cgroup's, in CPUs) where that is a number and smaller;
* flags (FLAGS): a row is flagged, listed with its reasons and left out of
  the best-strategy verdicts, never dropped, when
  ``impossible_speedup``: its kernel needs a CPU (serial's median
  ``cpu_util`` >= CPU_BOUND_UTIL, 0.5: decided from the data, so it works for
  any kernel) and the interval's low end is above IMPOSSIBLE_LOW (1.02)
  times min(W, CPUs), or the median above IMPOSSIBLE_MEDIAN (1.05) times
  that (so also for unpaired files);
  ``gil_speedup``: mode ``gil`` on such a kernel, with the interval's low end
  above GIL_LOW (1.05) or the median above GIL_MEDIAN (1.15): one global lock
  cannot beat serial, a little noise aside;
  ``unsteady_machine``: ``machine_speed`` (the canary) over the row's
  repetitions and the serial ones paired with them (all serial ones when
  unpaired) has max / min above UNSTEADY_RANGE (1.10);
  ``busy_machine``: ``other_cpus + steal_cpus`` of one of those repetitions
  is above BUSY_CPUS (0.3 of a CPU).
  The last two need the counters, so older files get only the first two;
* best strategy per kernel, tasks and workers: among the unflagged rows,
  the highest paired speedup (every candidate paired against the same
  serial run), else the lowest median time; against the runner-up a
  two-sided Wilcoxon signed-rank test (``scipy.stats.wilcoxon``, exact for
  small samples) on the log time ratios of the rounds both ran in, when both
  ran in rounds, which needs ``min_pairs(alpha)`` rounds (6 at 0.05: its
  smallest p is 2 / 2^n), and the Mann-Whitney U test otherwise; a group
  whose every row is flagged gets the verdict "all_flagged" and no best.

The report built by :func:`build_report` is what ``compare --format json``
prints; its structure is documented in ``scripts/compare``.
"""

import argparse
import json
import math
import os
import re
import stat
import sys
from dataclasses import dataclass, field
from urllib.parse import unquote

import cbanswer
import cbrules as rules
from cbstats import (geomean, hl_interval, median, min_pairs,  # noqa: F401
                     order_coverage, quantile, ratio, shift_interval,
                     wilcoxon_test)
import cbstats

SCHEMA = "concbench-compare/2"
MIN_REPETITIONS = 4
DEFAULT_ALPHA = 0.05
# The verdicts' rules, each with its why: cbrules.py, shared with the
# driver's --rounds=auto.
CI_LEVEL = rules.CI_LEVEL
VERDICT_LEVEL = rules.VERDICT_LEVEL
CPU_BOUND_UTIL = rules.CPU_BOUND_UTIL
IMPOSSIBLE_LOW = rules.IMPOSSIBLE_LOW
IMPOSSIBLE_MEDIAN = rules.IMPOSSIBLE_MEDIAN
GIL_LOW = rules.GIL_LOW
GIL_MEDIAN = rules.GIL_MEDIAN
FLAGS = ("impossible_speedup", "gil_speedup", "unsteady_machine",
         "busy_machine")
TIME_UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
# The aggregates whose time stands for a run without repetitions, by
# preference.
SAMPLE_AGGREGATES = ("median", "mean")

# Google Benchmark's own per-run keys: never counters.
GB_RUN_KEYS = frozenset({
    "name", "family_index", "per_family_instance_index", "run_name",
    "run_type", "repetitions", "repetition_index", "threads", "iterations",
    "real_time", "cpu_time", "time_unit", "aggregate_name", "aggregate_unit",
    "error_occurred", "error_message", "skipped", "skip_message", "label",
    "cpu_coefficient", "real_coefficient", "big_o", "rms",
})

MODE_ORDER = ("serial", "thread", "process", "thread_pool", "process_pool",
              "spawn", "forkserver", "gil", "async", "openmp")

NAME_RE = re.compile(
    r"^(?P<kernel>[^/]+)/(?P<mode>[^/]+)"
    r"/tasks:(?P<tasks>[0-9]+)/workers:(?P<workers>[0-9]+)"
    r"(?:/chunk:(?P<chunk>[0-9]+|auto))?"
    r"(?:/transport:(?P<transport>[a-z]+))?"
    r"(?:/payload:(?P<payload>[0-9]+[KMG]?))?(?:/.*)?$")
PAYLOAD_RE = re.compile(r"(?P<n>[0-9]{1,12})(?P<unit>[KMG]?)")
PAYLOAD_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
TRANSPORTS = ("pipe", "shm")  # the first is the default
MAX_PAYLOAD = 256 << 20
LABEL_KEYS = ("kernel", "mode", "tasks", "workers")
MODES_ITEM_RE = re.compile(r"(?P<mode>[^\s:,]+)"
                           r"(?::(?P<props>[^\s:,]+(?:,[^\s:,]+)*))?")
# concbench's limits (csrc/executor.h); a chunk is at most the tasks.
MAX_TASKS = 4096
MAX_WORKERS = 256

# Context keys shown side by side, in this order, and the consequence of a
# difference (None: shown, but a difference is no warning).
CONTEXT_FIELDS = (
    ("host_name", None),
    ("executable", None),
    ("date", None),
    ("cpu_model", "different CPU models"),
    ("num_cpus", "different CPU counts"),
    ("cpus_online", "different numbers of online CPUs"),
    ("cpus_allowed", "different numbers of allowed CPUs"),
    ("cpu_quota", "different cgroup CPU quotas"),
    ("mhz_per_cpu", None),
    ("smt", "SMT (hyper-threading) set differently"),
    ("governor", "different CPU frequency governors"),
    ("cpu_scaling_enabled", "CPU frequency scaling set differently"),
    ("kernel", "different operating system kernels"),
    ("compiler", "different compilers"),
    ("gmp_version", "different GMP versions"),
    ("benchmark_version", "different Google Benchmark versions"),
    ("library_version", "different Google Benchmark versions"),
    ("concbench_version", "different concbench versions"),
    ("library_build_type", "Google Benchmark built differently "
                           "(debug/release)"),
    ("build_type", "concbench built differently (debug/release)"),
    ("io_ms", "different io_ms: io_sleep timings are not comparable"),
    ("timeout_s", None),
    ("order", None),
    ("rounds", None),
    ("load_avg", None),
)
BUSY_LOAD_PER_CPU = 0.5
# Arrays and objects nest 4 deep in Google Benchmark JSON.  Deeper than
# MAX_DEPTH is refused, so that no recursive code (ours, json.dumps) meets
# it; beyond about 1000 the parser's own RecursionError is caught.
MAX_DEPTH = 100
TOO_DEEP = f"nested too deeply (more than {MAX_DEPTH} arrays and objects)"
# A run of the whole suite with repetitions is a few MB; parsing a file of
# gigabytes would only end in a MemoryError.
MAX_BYTES = 256 << 20
TOO_BIG = f"too big (more than {MAX_BYTES >> 20} MiB)"
GB_TIME_SUFFIX = "/manual_time"


class InputError(Exception):
    """A bad input file: reported as ``PROG: PATH: PROBLEM``, exit 2."""

    def __init__(self, path, problem):
        super().__init__(f"{shown_path(path)}: {problem}")
        self.path = path
        self.problem = problem


def shown_path(path):
    """path as it is shown in a one-line message: a control character in a
    file's name (a newline) is shown escaped (\\n), not as itself."""
    return re.sub(r"[\x00-\x1f\x7f\x85\u2028\u2029]",
                  lambda m: m.group().encode("unicode_escape").decode(),
                  str(path))


class ArgumentParser(argparse.ArgumentParser):
    """argparse's parser, but a usage error is one line ``PROG: OPTION:
    problem`` on stderr (no usage text) and exit status 2; ``--help``
    prints the full help as usual."""

    def error(self, message):
        message = re.sub(r"^argument ([^:]+): ", r"\1: ", message)
        self.exit(2, f"{self.prog}: {' '.join(message.split())}\n")


@dataclass
class Bench:
    """One run (all repetitions of one run_name) in one file."""

    name: str
    samples: list = field(default_factory=list)   # seconds, one per rep
    counters: dict = field(default_factory=dict)  # name -> [value per rep]
    # The counters of each repetition, in the order of samples (a counter
    # missing in some repetitions is missing from their dicts only).
    reps: list = field(default_factory=list)
    error: str = None
    aggregates_only: bool = False
    label: str = None   # Google Benchmark's label of the run, if any

    @property
    def config(self):
        """The Config of a concbench run, from its label, else its name;
        None for other runs."""
        return parse_label(self.label) or parse_name(self.name)

    @property
    def ok(self):
        return self.error is None and bool(self.samples)

    @property
    def problem(self):
        """Why the run cannot be used (None if it can)."""
        if self.ok:
            return None
        return self.error or "no time values"


@dataclass
class Result:
    """One input file."""

    path: str
    label: str
    context: dict
    benches: dict   # run_name -> Bench, in order of first appearance
    modes: dict = None  # the context's "modes": name -> (property, ...)

    @property
    def mode_order(self):
        return mode_order([self])


@dataclass(frozen=True)
class Config:
    """The parts of a concbench benchmark name."""

    kernel: str
    mode: str
    tasks: int
    workers: int
    chunk: object = None  # None (one task at a time), an int, or "auto"
    payload: int = 0  # bytes in and out per task (--payload)
    transport: object = None  # None (pipes, the default) or "shm"

    @property
    def strategy(self):
        """The mode and how it was tuned: "process_pool chunk:2
        transport:shm"."""
        parts = [self.mode]
        if self.chunk is not None:
            parts.append(f"chunk:{self.chunk}")
        if self.transport is not None:
            parts.append(f"transport:{self.transport}")
        return " ".join(parts)

    @property
    def workload(self):
        """What was run, the kernel and its payload: "noop" or "noop
        payload:1M".  Runs are compared within one workload."""
        if not self.payload:
            return self.kernel
        return f"{self.kernel} payload:{format_payload(self.payload)}"


@dataclass
class Spread:
    """Median, quartiles and flagged outliers of some repetitions."""

    median: float
    q1: float
    q3: float
    n: int
    outliers: list  # indices into the samples

    @property
    def iqr(self):
        return self.q3 - self.q1


# ---------------------------------------------------------------- loading

def load_all(paths):
    """Load every file (raising InputError on the first bad one)."""
    return [load(p, label) for p, label in zip(paths, unique_labels(paths))]


def load_paths(paths, newest=None):
    """Load files and folders: a folder stands for its *.json files (its
    newest N with newest), which are then grouped by host, each host's
    oldest first (a fleet's collection: one or more files per host)."""
    files, grouped = [], False
    for path in paths:
        if os.path.isdir(path):
            files += newest_json_files(path, newest or 10 ** 9)
            grouped = True
        else:
            files.append(path)
    results = load_all(files)
    if grouped:
        results.sort(key=lambda r: (host_of(r), str(r.context.get("date")),
                                    r.path))
    return results


def host_of(result):
    """The host a result file is from: the context's fleet_host (the name
    in a fleet's inventory, which fleet/concbench.yml adds percent-encoded,
    as concbench's --benchmark_context cannot carry a ',' or '='), else its
    host_name, else the file's label."""
    for key in ("fleet_host", "host_name"):
        value = result.context.get(key)
        if isinstance(value, str) and value:
            return unquote(value) if key == "fleet_host" else value
    return result.label


def unique_labels(paths):
    """Short, distinct names for the files: basename without .json."""
    labels = [os.path.basename(p).removesuffix(".json") or p for p in paths]
    if len(set(labels)) < len(labels):
        labels = list(paths)
    seen = {}
    unique = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        count = seen[label]
        unique.append(label if count == 1 else f"{label} ({count})")
    return unique


def load(path, label):
    """Read one Google Benchmark JSON file into a Result."""
    data = read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"),
                                                    list):
        raise InputError(path, "not Google Benchmark output "
                               "(no \"benchmarks\" list)")
    if not isinstance(data.get("context"), dict):
        raise InputError(path, "not Google Benchmark output "
                               "(no \"context\" object)")
    if not data["benchmarks"]:
        raise InputError(path, "empty benchmark list")
    entries = [check_entry(path, i, e)
               for i, e in enumerate(data["benchmarks"])]
    check_unique(path, entries)
    benches = group_entries(e for e in entries if e is not None)
    if not benches:
        raise InputError(path, "no usable benchmark entries")
    return Result(path, label, data["context"], benches,
                  parse_modes(data["context"].get("modes")))


def read_json(path):
    """The parsed contents of the JSON file path.

    Only a regular file is read: path is stat()ed before it is opened, and
    opened without blocking (checked again once open), so a FIFO without a
    writer, a device or a socket is refused instead of waited on.  So is a
    file of more than MAX_BYTES, before it is read."""
    try:
        check_file(path, os.stat(path))
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with open(fd, "rb") as f:
            check_file(path, os.fstat(f.fileno()))
            raw = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory, not a JSON file") from None
    except OSError as e:
        raise InputError(path, e.strerror or str(e)) from None
    if len(raw) > MAX_BYTES:    # it grew since the fstat
        raise InputError(path, TOO_BIG)
    try:
        # An editor's byte order mark is no reason to refuse a file.
        data = json.loads(raw.decode("utf-8-sig"), parse_int=json_int,
                          parse_float=json_float)
    except UnicodeDecodeError:
        raise InputError(path, "not JSON (not UTF-8 text)") from None
    except OutOfRange as e:
        raise InputError(path, f"number out of range: {e}") from None
    except RecursionError:      # deeper than the parser can go
        raise InputError(path, TOO_DEEP) from None
    except json.JSONDecodeError as e:
        raise InputError(path, json_problem(e)) from None
    if too_deep(data, MAX_DEPTH):
        raise InputError(path, TOO_DEEP)
    return data


def json_problem(error):
    """The one-line problem of a json.JSONDecodeError: an empty file says
    so, and json's messages that end in "at" ("Unterminated string starting
    at", "Invalid control character at") do not say it twice."""
    if not error.doc.strip():
        return "empty file (not JSON)"
    msg = error.msg.removesuffix(" at")
    return f"not JSON ({msg} at line {error.lineno} column {error.colno})"


class OutOfRange(Exception):
    """A JSON number beyond the range of a float, described."""


def json_int(text):
    """An integer of the JSON text, which must also be a float's."""
    digits = len(text.lstrip("-"))
    # Python refuses to convert more than 4300 digits; no float has 310.
    if digits <= 309 and abs(value := int(text)) <= sys.float_info.max:
        return value
    raise OutOfRange(f"a {digits}-digit integer")


def json_float(text):
    """A float of the JSON text, which must not overflow to infinity."""
    value = float(text)
    if math.isinf(value):
        raise OutOfRange(text if len(text) <= 20 else f"{text[:16]}... "
                         f"({len(text)} characters)")
    return value


def too_deep(value, limit):
    """Whether arrays and objects nest more than limit deep in value
    (level by level, without recursion)."""
    level = [value]
    for _ in range(limit + 1):
        level = [c for c in level if isinstance(c, (list, dict))]
        if not level:
            return False
        level = [child for c in level
                 for child in (c.values() if isinstance(c, dict) else c)]
    return True


FILE_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
              (stat.S_ISCHR, "a character device"),
              (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def check_file(path, st):
    """Raise InputError unless st (of path) is a regular file's of at most
    MAX_BYTES."""
    if not stat.S_ISREG(st.st_mode):
        kind = next((name for test, name in FILE_KINDS if test(st.st_mode)),
                    "a special file")
        raise InputError(path, f"is {kind}, not a JSON file")
    if st.st_size > MAX_BYTES:
        raise InputError(path, TOO_BIG)


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_count(value):
    """Whether value is a whole number of at least 1."""
    return (isinstance(value, int) and not isinstance(value, bool)
            and value >= 1)


def is_errored(entry):
    return entry.get("error_occurred") is True or entry.get("skipped") is True


def uses_time(entry):
    """Whether the entry's real_time is a time (not a cv percentage)."""
    if entry.get("run_type") == "aggregate":
        return (entry.get("aggregate_unit", "time") == "time"
                and "real_time" in entry)
    return True


def check_entry(path, index, entry):
    """Validate one benchmark entry; None if it is to be ignored."""
    if not isinstance(entry, dict):
        raise InputError(path, f"benchmarks[{index}] is not an object")
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise InputError(path, f"benchmarks[{index}] has no name")
    if entry.get("run_type", "iteration") not in ("iteration", "aggregate"):
        return None
    reps = entry.get("repetitions")
    if reps is not None and not is_count(reps):
        raise InputError(path, f"benchmark {name!r}: repetition count "
                               f"{reps!r}")
    if not is_errored(entry) and uses_time(entry):
        check_time(path, name, entry)
    return entry


def check_time(path, name, entry):
    for key in ("real_time", "cpu_time"):
        value = entry.get(key)
        if value is None and key == "cpu_time":
            continue
        if not is_number(value):
            raise InputError(path, f"benchmark {name!r}: {key} is missing "
                                   "or not a number")
        if math.isnan(value) or math.isinf(value):
            raise InputError(path, f"benchmark {name!r}: {key} is {value}")
        if value < 0:
            raise InputError(path, f"benchmark {name!r}: negative {key} "
                                   f"{value}")
    if entry.get("time_unit") not in TIME_UNITS:
        raise InputError(path, f"benchmark {name!r}: unknown time_unit "
                               f"{entry.get('time_unit')!r}")
    if may_be_sample(entry) and seconds(entry) == 0:
        raise InputError(path, f"benchmark {name!r}: " + (
            "zero real_time" if entry["real_time"] == 0 else
            f"real_time {entry['real_time']} {entry['time_unit']} is 0 s"))


def measurement_key(entry):
    """What tells one measurement of a file from another: a repetition by
    its name and repetition_index, an aggregate by its name and
    aggregate_name; an entry without either (Google Benchmark before 1.5)
    by everything it holds."""
    if entry.get("run_type") == "aggregate":
        return ("aggregate", entry["name"], str(entry.get("aggregate_name")))
    index = entry.get("repetition_index")
    if is_number(index):
        return ("repetition", entry["name"], index)
    return ("entry", repr(sorted(entry.items(), key=lambda kv: kv[0])))


def check_unique(path, entries):
    """Refuse a file in which one measurement is twice (a result file with
    its benchmark list appended again, or two runs joined): which copy
    to keep cannot be told, and counting both would make a difference
    look detectable that is not (n = 6 where 3 were measured)."""
    seen = {}
    for index, entry in enumerate(entries):
        if entry is None:
            continue
        key = measurement_key(entry)
        first = seen.setdefault(key, index)
        if first != index:
            what = (f"{key[0]} {key[2]}" if key[0] != "entry"
                    else "the same entry")
            raise InputError(path, f"benchmark {entry['name']!r}: {what} "
                                   f"twice (benchmarks[{first}] and "
                                   f"benchmarks[{index}]): a file with "
                                   "duplicated entries is refused")


def may_be_sample(entry):
    """Whether the entry's real_time may be taken as a repetition's time
    (a time of 0 makes no sense there; a stddev of 0 does)."""
    return (entry.get("run_type") != "aggregate"
            or entry.get("aggregate_name") in SAMPLE_AGGREGATES)


def seconds(entry):
    return entry["real_time"] * TIME_UNITS[entry["time_unit"]]


def entry_counters(entry):
    return {k: v for k, v in entry.items()
            if k not in GB_RUN_KEYS and is_number(v) and math.isfinite(v)}


def group_entries(entries):
    """Group validated entries by run_name into Bench objects."""
    benches = {}
    aggregates = {}
    for entry in entries:
        run = entry.get("run_name") or entry["name"]
        bench = benches.setdefault(run, Bench(run))
        if bench.label is None and isinstance(entry.get("label"), str):
            bench.label = entry["label"]
        if is_errored(entry):
            bench.error = bench.error or str(
                entry.get("error_message") or entry.get("skip_message")
                or "error")
        elif entry.get("run_type") == "aggregate":
            aggregates.setdefault(run, {})[entry.get("aggregate_name")] = entry
        else:
            add_repetition(bench, entry)
    for run, aggs in aggregates.items():
        bench = benches[run]
        chosen = next((aggs[a] for a in SAMPLE_AGGREGATES if a in aggs),
                      None)
        if not bench.samples and chosen is not None and uses_time(chosen):
            bench.aggregates_only = True
            add_repetition(bench, chosen)
    return benches


def add_repetition(bench, entry):
    bench.samples.append(seconds(entry))
    counters = entry_counters(entry)
    bench.reps.append(counters)
    for key, value in counters.items():
        bench.counters.setdefault(key, []).append(value)


# ------------------------------------------------------------- statistics

def describe(samples):
    ordered = sorted(samples)
    q1 = quantile(ordered, 0.25)
    q3 = quantile(ordered, 0.75)
    fence = 1.5 * (q3 - q1)
    outliers = [i for i, x in enumerate(samples)
                if x < q1 - fence or x > q3 + fence]
    return Spread(quantile(ordered, 0.5), q1, q3, len(samples), outliers)


def u_test(a, b):
    """Two-sided Mann-Whitney U test; None with fewer than
    MIN_REPETITIONS a side."""
    return cbstats.u_test(a, b, MIN_REPETITIONS)


def median_interval(values, level=CI_LEVEL):
    """cbstats.median_interval at CI_LEVEL unless told."""
    return cbstats.median_interval(values, level)


def verdict_of(bench_a, bench_b, test, alpha, differs):
    """Name the outcome of comparing two runs with u_test."""
    if bench_a.aggregates_only or bench_b.aggregates_only:
        return "aggregates_only"
    if test is None:
        return "too_few_repetitions"
    if test["p_value"] < alpha:
        return differs
    return "no_difference"


def spread_json(spread, bench):
    return {"median_s": spread.median, "q1_s": spread.q1, "q3_s": spread.q3,
            "iqr_s": spread.iqr, "n": spread.n, "outliers": spread.outliers,
            "aggregates_only": bench.aggregates_only}


# ---------------------------------------------------------------- context

def show_value(value):
    """A context value as display text."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(show_value(v) for v in value)
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def parse_cpu_count(value):
    """A CPU count from "4" (a count) or a CPU list such as "0-3,6"."""
    if is_number(value):
        return int(value) if value > 0 else None
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return int(text) or None
    if not re.fullmatch(r"\d+(-\d+)?(,\d+(-\d+)?)*", text):
        return None
    count = 0
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        count += int(hi or lo) - int(lo) + 1
    return count if count > 0 else None


def parse_cpu_quota(value):
    """The CPUs a context's cpu_quota allows ("1.5" -> 1.5, "2" -> 2);
    None for "none", "unknown" or anything else that is no positive
    number."""
    if is_number(value):
        quota = float(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*[0-9]+(\.[0-9]*)?\s*",
                                                 value):
        quota = float(value)
    else:
        return None
    if not math.isfinite(quota) or quota <= 0:
        return None
    return int(quota) if quota.is_integer() else quota


def allowed_cpus(context):
    """(CPUs the run could use, source key) for efficiency; (None, None)
    if unknown.

    The CPUs allowed (``cpus_allowed``, else ``num_cpus``), or the cgroup's
    CPU quota (``cpu_quota``) where it is a number and smaller: a container
    limited to 1.5 CPUs on a 64-core host is a 1.5-CPU machine."""
    count, source = None, None
    for key in ("cpus_allowed", "num_cpus"):
        count = parse_cpu_count(context.get(key))
        if count:
            source = key
            break
    quota = parse_cpu_quota(context.get("cpu_quota"))
    if quota is not None and (count is None or quota < count):
        return quota, "cpu_quota"
    return (count, source) if count else (None, None)


def context_report(results):
    fields = []
    warnings = []
    for key, consequence in CONTEXT_FIELDS:
        values = [r.context.get(key) for r in results]
        if all(v is None for v in values):
            continue
        differs = len({json.dumps(v, sort_keys=True) for v in values}) > 1
        fields.append({"key": key, "values": values, "differs": differs})
        if differs and consequence:
            shown = " vs ".join(show_value(v) for v in values)
            warnings.append(f"{key} differs ({shown}): {consequence}")
    for result in results:
        warnings.extend(file_warnings(result))
    return {"fields": fields, "warnings": warnings}


def file_warnings(result):
    """Warnings about one file's context, whatever it is compared with."""
    ctx = result.context
    found = []
    if ctx.get("build_type") == "debug":
        found.append(f"{result.label}: concbench is a debug build "
                     "(unoptimised)")
    if ctx.get("cpu_scaling_enabled") is True:
        found.append(f"{result.label}: CPU frequency scaling was enabled; "
                     "times may vary with the clock")
    load = ctx.get("load_avg")
    cpus = parse_cpu_count(ctx.get("num_cpus"))
    if (isinstance(load, list) and load and is_number(load[0]) and cpus
            and load[0] > BUSY_LOAD_PER_CPU * cpus):
        found.append(f"{result.label}: machine was busy at the start "
                     f"(1-minute load {load[0]:g} on {cpus} CPUs)")
    return found


# ------------------------------------------------------------- comparison

def compare(results, alpha):
    """The cross-file part of the report (None for a single file)."""
    if len(results) < 2:
        return None
    names = ordered_names_of(r.benches for r in results)
    common = [n for n in names if all(n in r.benches for r in results)]
    rows = []
    errored = []
    for name in common:
        benches = [r.benches[name] for r in results]
        if all(b.ok for b in benches):
            rows.append(compare_bench(name, benches, alpha))
        else:
            errored.append(errored_json(name, benches))
    shapes = [allowed_cpus(r.context)[0] for r in results]
    same = len(set(shapes)) == 1 and shapes[0] is not None
    geo = ([geomean_json(k, rows) for k in range(1, len(results))] if same
           else [])
    only = [{"name": n,
             "present_in": [i for i, r in enumerate(results)
                            if n in r.benches]}
            for n in names if n not in common]
    return {"baseline": 0, "benchmarks": rows, "geomean": geo,
            "geomean_left_out": None if same else (
                "the files come from machines with different numbers of "
                "CPUs (" + ", ".join("?" if c is None else f"{c:g}"
                                     for c in shapes) + "): a geometric "
                "mean of their times would mix one machine's faster cores "
                "with another's more of them; see Machines side by side"),
            "errored": errored, "only_in_some": only}


def machines_json(results, summaries):
    """Several files side by side, by what differs in kind: each
    machine's CPUs, its single-task speed against the first file's
    (serial's median time per kernel), its fork and thread creation
    costs, and the fastest strategy with its speedup at each kernel and
    worker count."""
    if len(results) < 2:
        return None
    machines = []
    base = {(r["kernel"], r["tasks"]): r["median_s"]
            for r in summaries[0]["rows"] if r["mode"] == "serial"}
    for result, summary in zip(results, summaries):
        serial = {(r["kernel"], r["tasks"]): r["median_s"]
                  for r in summary["rows"] if r["mode"] == "serial"}
        machines.append({
            "file": summary["file"], "cpus": summary["cpus"],
            "cpu_model": result.context.get("cpu_model"),
            "fork_s": summary["answer"]["fork_s"],
            "thread_s": summary["answer"]["thread_s"],
            "single_task": [{"kernel": k, "tasks": t, "serial_s": v,
                             "versus_first": (ratio(v, base[k, t])
                                              if (k, t) in base else None)}
                            for (k, t), v in serial.items()],
            "best": [{"kernel": b["kernel"], "tasks": b["tasks"],
                      "workers": b["workers"], "verdict": b["verdict"],
                      "strategy": b["strategy"], "tie": b["tie"],
                      "speedup": b["speedup"]} for b in summary["best"]]})
    shapes = {(m["cpus"], m["cpu_model"]) for m in machines}
    return {"differ": len(shapes) > 1, "machines": machines}


def geomean_json(k, rows):
    """Geometric mean of file k's ratios over the compared benchmarks."""
    ratios = [row["versus_baseline"][k - 1]["ratio"] for row in rows]
    ratios = [r for r in ratios if r is not None and r > 0]
    return {"file": k, "ratio": geomean(ratios), "count": len(ratios)}


def errored_json(name, benches):
    return {"name": name,
            "errored_in": [i for i, b in enumerate(benches) if not b.ok],
            "messages": [b.problem for b in benches]}


def compare_bench(name, benches, alpha):
    spreads = [describe(b.samples) for b in benches]
    base, base_spread = benches[0], spreads[0]
    versus = []
    for k in range(1, len(benches)):
        r = ratio(spreads[k].median, base_spread.median)
        test = u_test(base.samples, benches[k].samples)
        versus.append({"file": k, "ratio": r,
                       "p_value": test and test["p_value"],
                       "u_statistic": test and test["u_statistic"],
                       "verdict": verdict_of(base, benches[k], test, alpha,
                                             direction(r))})
    return {"name": name,
            "files": [spread_json(s, b) for s, b in zip(spreads, benches)],
            "versus_baseline": versus,
            "counters": counter_changes(benches)}


def direction(r):
    """The verdict for a significant difference with median ratio r."""
    if r is None or r == 1:
        return "no_difference"
    return "slower" if r > 1 else "faster"


def counter_changes(benches):
    names = ordered_names_of(b.counters for b in benches)
    changes = []
    for counter in names:
        medians = [median(b.counters.get(counter, [])) for b in benches]
        base = medians[0]
        change = [None if m is None or base is None
                  or (r := ratio(m, base)) is None else r - 1
                  for m in medians[1:]]
        changes.append({"name": counter, "medians": medians,
                        "change": change})
    return changes


def ordered_names_of(dicts):
    """The keys of all the dicts, each once, in order of first appearance."""
    names = {}
    for d in dicts:
        for key in d:
            names.setdefault(key, None)
    return list(names)


# ---------------------------------------------------- one-file summaries

def parse_name(name):
    """The Config of a concbench benchmark name, or None.

    A name whose tasks, workers or chunk is beyond what concbench can run
    (1 to MAX_TASKS, MAX_WORKERS, MAX_TASKS) is not a concbench name."""
    m = NAME_RE.match(name)
    if not m:
        return None
    return make_config(*m.group("kernel", "mode", "tasks", "workers",
                                "chunk", "transport", "payload"))


def parse_label(label):
    """The Config of a concbench label, or None (no label, a baseline's,
    another program's, or one with a field out of range).

    A label is space-separated key=value items: kernel, mode, tasks and
    workers, then the mode's options, of which chunk (N or auto) and
    transport (pipe or shm) are part of the Config, and payload (bytes);
    other keys (switch_us ...) are ignored."""
    if not isinstance(label, str):
        return None
    fields = {}
    for item in label.split():
        key, _, value = item.partition("=")
        if not key or not value or key in fields:
            return None
        fields[key] = value
    if not all(key in fields for key in LABEL_KEYS):
        return None
    return make_config(*(fields[key] for key in LABEL_KEYS),
                       fields.get("chunk"), fields.get("transport"),
                       fields.get("payload"))


def parse_modes(value):
    """{mode: (property, ...)} in the suite's order, from a context's
    "modes" ("serial:single_worker thread ... thread_pool:pool,chunked");
    None when there is none or it does not parse."""
    if not isinstance(value, str):
        return None
    modes = {}
    for item in value.split():
        m = MODES_ITEM_RE.fullmatch(item)
        if not m or m["mode"] in modes:
            return None
        modes[m["mode"]] = tuple(m["props"].split(",")) if m["props"] else ()
    return modes or None


def mode_order(results):
    """The modes in the suite's order: as the files' "modes" context lists
    them (the first file's first), then MODE_ORDER's others."""
    return tuple(ordered_names_of([*(r.modes or {} for r in results),
                                   MODE_ORDER]))


def make_config(kernel, mode, tasks, workers, chunk=None, transport=None,
                payload=None):
    """The Config of these fields as text, or None if one is out of
    concbench's range.  A chunk of 1 is one task at a time (None), as
    transport pipe is the default (None)."""
    tasks, workers = count_in(tasks, MAX_TASKS), count_in(workers, MAX_WORKERS)
    if chunk not in (None, "auto"):
        chunk = count_in(chunk, MAX_TASKS)
        if chunk is None:
            return None
    if tasks is None or workers is None:
        return None
    if transport is not None and transport not in TRANSPORTS:
        return None
    payload = 0 if payload is None else parse_payload(payload)
    if payload is None:
        return None
    return Config(kernel, mode, tasks, workers, None if chunk == 1 else chunk,
                  payload, None if transport in (None, TRANSPORTS[0])
                  else transport)


def parse_payload(text):
    """Bytes from "1048576" or "1M" (binary units, as concbench names
    them), 0 to MAX_PAYLOAD; else None."""
    m = PAYLOAD_RE.fullmatch(text)
    if not m:
        return None
    value = int(m["n"]) * PAYLOAD_UNITS[m["unit"]]
    return value if value <= MAX_PAYLOAD else None


def format_payload(value):
    """Bytes as concbench names them: the largest unit that is exact."""
    for unit in ("G", "M", "K"):
        size = PAYLOAD_UNITS[unit]
        if value >= size and value % size == 0:
            return f"{value // size}{unit}"
    return str(value)


def count_in(text, top):
    """The whole number 1 to top that text spells in decimal, else None."""
    if not re.fullmatch(r"[0-9]{1,9}", text):
        return None
    value = int(text)
    return value if 1 <= value <= top else None


def mode_rank(mode, modes=MODE_ORDER):
    """Sort key of a mode: its position in modes, unknown ones after."""
    return (modes.index(mode) if mode in modes else len(modes), mode)


def strategy_key(config, modes=MODE_ORDER):
    """Sort key of a run's strategy: its mode, then its chunk (none, sizes
    up, auto)."""
    chunk = config.chunk
    chunk_rank = (0 if chunk is None else
                  float("inf") if chunk == "auto" else chunk)
    return (mode_rank(config.mode, modes), chunk_rank,
            config.transport is not None)


def config_key(kernel_order, config, modes=MODE_ORDER):
    return (kernel_order[config.workload], config.tasks, config.workers,
            *strategy_key(config, modes))


def concbench_runs(result):
    """[(Config, Bench)] for the valid concbench runs, in a stable order."""
    runs = [(bench.config, bench)
            for bench in result.benches.values() if bench.ok]
    runs = [(c, b) for c, b in runs if c is not None]
    kernels = {}
    for config, _ in runs:
        kernels.setdefault(config.workload, len(kernels))
    modes = result.mode_order
    return sorted(runs, key=lambda cb: config_key(kernels, cb[0], modes))


def serial_medians(runs):
    """(workload, tasks) -> median time of the serial run."""
    return {key: describe(bench.samples).median
            for key, bench in serial_runs(runs).items()}


def serial_runs(runs):
    """(workload, tasks) -> the Bench of the serial run."""
    serial = {}
    for config, bench in runs:
        if config.mode == "serial":
            serial.setdefault((config.workload, config.tasks), bench)
    return serial


# ------------------------------------------------- pairing and flags

def rep_values(bench, key):
    """The counter key of every repetition of bench, or None unless every
    repetition has it."""
    values = [rep.get(key) for rep in bench.reps]
    if not values or any(v is None for v in values):
        return None
    return values


def pair_reps(bench, partner):
    """(kind, [(i, j)]): repetitions i of bench paired with repetitions j
    of partner, measured close in time.

    "round": each repetition with the partner's of the same round (both
    ran in rounds, the context's order "rounds"); "nearest": without
    rounds, each with the partner's repetition whose t_start_s is nearest
    (in sequential order mostly the same one); "unpaired" ([]) when the
    repetitions carry neither (older files, other programs) or a side
    holds only aggregates."""
    if bench.aggregates_only or partner.aggregates_only:
        return "unpaired", []
    rounds = rep_values(bench, "round")
    partner_rounds = rep_values(partner, "round")
    if rounds and partner_rounds:
        by_round = {}
        for j, r in enumerate(partner_rounds):
            by_round.setdefault(r, j)
        pairs = [(i, by_round[r]) for i, r in enumerate(rounds)
                 if r in by_round]
        if pairs:
            return "round", pairs
    starts = rep_values(bench, "t_start_s")
    partner_starts = rep_values(partner, "t_start_s")
    if starts and partner_starts:
        return "nearest", [
            (i, min(range(len(partner_starts)),
                    key=lambda j: (abs(partner_starts[j] - start), j)))
            for i, start in enumerate(starts)]
    return "unpaired", []


def cpu_bound(serial):
    """Whether a kernel needs a CPU, from its serial run: median cpu_util
    >= CPU_BOUND_UTIL; None when the run has no cpu_util."""
    util = median(serial.counters.get("cpu_util", [])) if serial else None
    return None if util is None else util >= CPU_BOUND_UTIL


# --------------------------------------------- how disturbed a pair was

@dataclass
class Machine:
    """What one file says of its machine, to judge its repetitions by
    (cbrules.py: BUSY_STRETCH, CANARY_SIGMAS, CANARY_FLOOR)."""

    cpus: float = None          # CPUs the run could use; None: unknown
    canary_noise: float = None  # robust spread of log machine_speed
                                # between neighbouring repetitions
    canary_limit: float = math.log1p(rules.CANARY_FLOOR)  # a pair's
                                # |log canary ratio| beyond this: disturbed
    correct: bool = rules.CANARY_CORRECT    # pairs corrected by canary


def machine_of(result, cpus):
    """The Machine of a file: its CPUs and its canary's repeatability."""
    reps = sorted((rep for bench in result.benches.values()
                   if bench.ok and not bench.aggregates_only
                   for rep in bench.reps
                   if is_number(rep.get("machine_speed"))
                   and rep["machine_speed"] > 0
                   and is_number(rep.get("t_start_s"))),
                  key=lambda rep: rep["t_start_s"])
    steps = [abs(math.log(b["machine_speed"] / a["machine_speed"]))
             for a, b in zip(reps, reps[1:])]
    noise = (rules.MAD_TO_SD * median(steps)
             if len(steps) >= rules.MIN_CANARY_NEIGHBOURS else None)
    floor = math.log1p(rules.CANARY_FLOOR)
    limit = floor if noise is None else max(floor,
                                            rules.CANARY_SIGMAS * noise)
    return Machine(cpus, noise, limit)


@dataclass
class Side:
    """A run as one side of a pair: its repetitions, and the CPUs it asks
    of the machine, which decide whether other work could have slowed
    it."""

    bench: object
    demand: float = None
    cpu_bound: bool = None      # its kernel needs a CPU


def side_of(config, bench, machine, kernel_cpu_bound):
    """The Side of a run. Its demand: the median over its repetitions of
    the CPUs concbench used while it ran (own_cpus, concbench since issue
    16: every process of the repetition, dispatch included); in older
    files, min(W, CPUs) for a kernel that needs a CPU, else its tasks'
    cpu_util; never more than min(W, CPUs)."""
    cap = (min(config.workers, machine.cpus) if machine.cpus
           else config.workers)
    own = median([v for v in (rep.get("own_cpus") for rep in bench.reps)
                  if is_number(v)])
    if own is not None:
        demand = min(own, cap)
    elif kernel_cpu_bound is not False:
        demand = cap
    else:
        demand = min(median(bench.counters.get("cpu_util", [])) or 0.0, cap)
    return Side(bench, demand, kernel_cpu_bound)


def stretch(rep, demand, cpus):
    """How much other work (other processes and steal, in CPUs) could have
    stretched a repetition that asks for demand CPUs of cpus: (demand +
    load) / cpus when above 1, else 1; None without the figures."""
    if "other_cpus" not in rep and "steal_cpus" not in rep:
        return None
    load = max(rep.get("other_cpus", 0), 0) + max(rep.get("steal_cpus", 0),
                                                  0)
    if not cpus or demand is None:
        return 1.0
    return max(1.0, (demand + load) / cpus)


@dataclass
class PairState:
    kinds: frozenset            # "busy", "canary": what disturbed it
    factor: float               # the most that could have moved its ratio
    delta: float = None         # log(canary of a / canary of b)
    stretch: float = 1.0        # the larger side's stretch
    load: float = None          # the load beside it (max of the sides)


def pair_state(rep_a, side_a, rep_b, side_b, machine):
    """Whether a pair of repetitions (a's and b's, measured close in time)
    was disturbed: either side could have been stretched by other work
    beyond 1 + BUSY_STRETCH, or (a kernel that needs a CPU) their canaries
    differ beyond the run's limit. factor: how far that could have moved
    the ratio a / b either way."""
    kinds = set()
    most, load = 1.0, None
    for rep, side in ((rep_a, side_a), (rep_b, side_b)):
        s = stretch(rep, side.demand, machine.cpus)
        if s is None:
            continue
        most = max(most, s)
        here = (max(rep.get("other_cpus", 0), 0)
                + max(rep.get("steal_cpus", 0), 0))
        load = here if load is None else max(load, here)
        if s > 1 + rules.BUSY_STRETCH:
            kinds.add("busy")
    delta = None
    speeds = rep_a.get("machine_speed"), rep_b.get("machine_speed")
    if (side_a.cpu_bound or side_b.cpu_bound) and all(
            is_number(v) and v > 0 for v in speeds):
        delta = math.log(speeds[0] / speeds[1])
        if abs(delta) > machine.canary_limit:
            kinds.add("canary")
    factor = most * (math.exp(abs(delta)) if delta is not None else 1.0)
    return PairState(frozenset(kinds), factor, delta, most, load)


def keep_pairs(pairs, states):
    """(pairs kept, their states, how many left out): without the
    disturbed pairs while at least MIN_CLEAN_PAIRS and half of them are
    left; else all of them."""
    clean = [(p, st) for p, st in zip(pairs, states) if not st.kinds]
    if len(clean) == len(pairs) or (len(clean) >= rules.MIN_CLEAN_PAIRS
                                    and 2 * len(clean) >= len(pairs)):
        return [p for p, _ in clean], [st for _, st in clean], \
            len(pairs) - len(clean)
    return list(pairs), list(states), 0


def corrected(ratio_value, state, machine, cpu_bound, sign=1):
    """A pair's time ratio a / b (sign 1; b / a with sign -1), corrected
    for the machine's speed when the rules say so: a time measured at
    canary c stands for t c."""
    if machine.correct and cpu_bound and state.delta is not None:
        return ratio_value * math.exp(sign * state.delta)
    return ratio_value


# ------------------------------------------------------------ speedups

def machine_figures(reps):
    """(machine_speed range [min, max] or None, the most other + steal
    CPUs of a repetition or None) over repetition counter dicts."""
    speeds = [r["machine_speed"] for r in reps
              if r.get("machine_speed", 0) > 0]
    busy = [r.get("other_cpus", 0) + r.get("steal_cpus", 0) for r in reps
            if "other_cpus" in r or "steal_cpus" in r]
    return ([min(speeds), max(speeds)] if speeds else None,
            max(busy) if busy else None)


def row_flags(mode, figures, machine):
    """[(code, reason)] for a speedup row's figures (see FLAGS)."""
    found = []
    speedup, ci, limit = (figures["speedup"], figures["speedup_ci"],
                          figures["cpu_limit"])
    low = ci[0] if ci else None
    if figures["cpu_bound"] and speedup is not None:
        if low is not None and low > limit * IMPOSSIBLE_LOW:
            found.append(("impossible_speedup",
                          f"interval low end {low:.2f}x above "
                          f"{IMPOSSIBLE_LOW:g} x min(W, CPUs) = "
                          f"{limit * IMPOSSIBLE_LOW:g} for a kernel that "
                          "needs a CPU"))
        elif speedup > limit * IMPOSSIBLE_MEDIAN:
            found.append(("impossible_speedup",
                          f"median {speedup:.2f}x above {IMPOSSIBLE_MEDIAN:g}"
                          f" x min(W, CPUs) = {limit * IMPOSSIBLE_MEDIAN:g} "
                          "for a kernel that needs a CPU"))
        if mode == "gil":
            if low is not None and low > GIL_LOW:
                found.append(("gil_speedup",
                              f"interval low end {low:.2f}x above "
                              f"{GIL_LOW:g}: one global lock cannot speed "
                              "up a CPU-bound kernel"))
            elif speedup > GIL_MEDIAN:
                found.append(("gil_speedup",
                              f"median {speedup:.2f}x above {GIL_MEDIAN:g}:"
                              " one global lock cannot speed up a "
                              "CPU-bound kernel"))
    kept = figures["disturbed_pairs"]
    if "canary" in figures["disturbed_by"]:
        found.append(("unsteady_machine",
                      f"{kept} of {figures['pairs']} pairs measured while "
                      "the machine's speed moved: canaries up to "
                      f"{-math.expm1(-figures['canary_delta_max']):.0%} "
                      "apart between a repetition and its serial partner "
                      f"(the limit: "
                      f"{-math.expm1(-machine.canary_limit):.0%})"))
    if "busy" in figures["disturbed_by"]:
        found.append(("busy_machine",
                      f"{kept} of {figures['pairs']} pairs measured while "
                      "other work could stretch them by up to "
                      f"{figures['stretch_max'] - 1:.0%} (up to "
                      f"{figures['busy_cpus_max']:.2f} CPU of it beside "
                      f"{figures['demand_cpus']:.2f} asked of "
                      f"{machine.cpus:g} CPUs; the limit: "
                      f"{rules.BUSY_STRETCH:.0%})"))
    return found


def left_out_because(states):
    """Why the pairs left out of a row were: "other work could stretch
    them by up to 50%", "canaries up to 12% apart"; [] for none."""
    why = []
    busy = [st.stretch for st in states if "busy" in st.kinds]
    if busy:
        why.append(f"other work could stretch them by up to "
                   f"{max(busy) - 1:.0%}")
    apart = [abs(st.delta) for st in states if "canary" in st.kinds]
    if apart:
        why.append(f"canaries up to {-math.expm1(-max(apart)):.0%} apart")
    return why


def speedup_figures(config, bench, serial, machine, kernel_cpu_bound):
    """The speedup of a run over its serial run, paired in time where the
    file allows (without the pairs a disturbance spoilt, while enough are
    left), its interval, and the marks."""
    side = side_of(config, bench, machine, kernel_cpu_bound)
    kind, pairs = pair_reps(bench, serial) if serial else ("unpaired", [])
    serial_side = (side_of(serial.config, serial, machine, kernel_cpu_bound)
                   if serial else None)
    states = [pair_state(bench.reps[i], side, serial.reps[j], serial_side,
                         machine) for i, j in pairs]
    all_states = states
    pairs, states, left_out = keep_pairs(pairs, states)
    gone = [st for st in all_states if st.kinds] if left_out else []
    unpaired = (None if serial is None else
                ratio(describe(serial.samples).median,
                      describe(bench.samples).median))
    ratios = []
    for (i, j), st in zip(pairs, states):
        # serial / run; delta is log(canary of the run / serial's).
        r = ratio(serial.samples[j], bench.samples[i])
        if r is not None:
            ratios.append(corrected(r, st, machine, kernel_cpu_bound, -1))
    paired = bool(ratios)
    speedup = median(ratios) if paired else unpaired
    interval = median_interval(ratios) if paired else None
    ci = None if interval is None else [interval[0], interval[1]]
    limit = min(config.workers, machine.cpus) if machine.cpus \
        else config.workers
    partner = ([serial.reps[j] for _, j in pairs] if pairs
               else serial.reps if serial else [])
    own = [bench.reps[i] for i, _ in pairs] if pairs else bench.reps
    speeds, busy = machine_figures(own + partner)
    disturbed = [st for st in states if st.kinds]
    figures = {
        "speedup": speedup, "speedup_unpaired": unpaired,
        "speedup_ci": ci,
        "speedup_ci_coverage": interval and interval[2],
        "paired": paired, "pairing": kind if paired else "unpaired",
        "pairs": len(ratios), "pairs_left_out": left_out,
        "disturbed_pairs": len(disturbed),
        "disturbed_by": sorted({k for st in disturbed for k in st.kinds}),
        "cpu_bound": kernel_cpu_bound,
        "cpu_limit": limit,
        "demand_cpus": side.demand,
        "efficiency": (speedup / limit
                       if speedup is not None and machine.cpus else None),
        "efficiency_ci": ([c / limit for c in ci] if ci and machine.cpus
                          else None),
        "machine_speed_range": speeds, "busy_cpus_max": busy,
        "canary_delta_max": max((abs(st.delta) for st in states
                                 if st.delta is not None), default=None),
        "stretch_max": max((st.stretch for st in states), default=None),
        "distortion": max((st.factor for st in disturbed), default=1.0),
        "left_out_because": left_out_because(gone)}
    flags = row_flags(config.mode, figures, machine)
    figures["flags"] = [code for code, _ in flags]
    figures["flag_reasons"] = [f"{code}: {why}" for code, why in flags]
    return figures


def speedup_rows(runs, machine):
    """One row per run: its spread, speedup over serial (same kernel and
    tasks), efficiency over min(workers, cpus), and marks."""
    serial = serial_runs(runs)
    rows = []
    for config, bench in runs:
        partner = serial.get((config.workload, config.tasks))
        rows.append({"name": bench.name, "kernel": config.workload,
                     "tasks": config.tasks, "mode": config.mode,
                     "workers": config.workers, "chunk": config.chunk,
                     "payload": config.payload,
                     "transport": config.transport,
                     "strategy": config.strategy,
                     **spread_json(describe(bench.samples), bench),
                     **speedup_figures(config, bench, partner, machine,
                                       cpu_bound(partner))})
    return rows


# ------------------------------------------------------ dispatch cost

# (mode, its reference): what a task costs the mode beyond the reference,
# with the same kernel, tasks and workers in the same file.
DISPATCH_PAIRS = (("mpi_pool", "process_pool"),)


def dispatch_rows(runs, speedups):
    """Per kernel, tasks and workers where a file has a mode of
    DISPATCH_PAIRS and its reference (one task at a time, no payload): the
    mode's batch time beyond the reference's, a task (difference over the
    tasks), paired in time like a speedup (median of the pairs'
    differences and its interval), its pool start, and the flags of
    either row."""
    flags = {row["name"]: row["flags"] for row in speedups}
    found = {}
    for config, bench in runs:
        if config.chunk is None and not config.payload:
            key = (config.workload, config.tasks, config.workers)
            found.setdefault(key, {}).setdefault(config.mode, bench)
    rows = []
    for mode, reference in DISPATCH_PAIRS:
        for (kernel, tasks, workers), benches in found.items():
            bench, ref = benches.get(mode), benches.get(reference)
            if bench is None or ref is None:
                continue
            kind, pairs = pair_reps(bench, ref)
            diffs = [(bench.samples[i] - ref.samples[j]) / tasks
                     for i, j in pairs]
            interval = median_interval(diffs) if diffs else None
            starts = rep_values(bench, "pool_start_s")
            rows.append({
                "kernel": kernel, "tasks": tasks, "workers": workers,
                "mode": mode, "reference": reference,
                "median_s": describe(bench.samples).median,
                "reference_median_s": describe(ref.samples).median,
                "extra_per_task_s": (
                    median(diffs) if diffs else
                    (describe(bench.samples).median
                     - describe(ref.samples).median) / tasks),
                "extra_per_task_ci": (None if interval is None
                                      else [interval[0], interval[1]]),
                "pairing": kind if diffs else "unpaired",
                "pairs": len(diffs),
                "pool_start_s": median(starts) if starts else None,
                "flags": sorted(set(flags.get(bench.name, [])
                                    + flags.get(ref.name, [])))})
    return rows


# -------------------------------------------------------------- verdicts

# What a strategy is against the fastest of its kernel, tasks and W.
STATUSES = ("tied", "slower", "undecided", "faster")
VERDICT_CODES = ("clear", "tie", "undecided", "only_strategy")


def rank(cands):
    """Every candidate (marked ones too), fastest first: by paired speedup
    when every one has it (the same serial run, pair by pair), else by
    median time."""
    if all(row["paired"] for _, _, row in cands):
        return sorted(cands, key=lambda c: (-c[2]["speedup"],
                                            c[2]["median_s"]))
    return sorted(cands, key=lambda c: c[2]["median_s"])


def comparison(top, other, machine, margin):
    """How much slower other (a Side) is than top (a Side): the centre of
    their paired time ratios other / top with its interval, rounds paired
    as a row's speedup is (disturbed pairs left out while enough are
    left, else kept and the interval widened by the most they could have
    moved it), or unpaired (no rounds) from the two samples; and the
    status that gives at this margin."""
    kind, pairs = pair_reps(other.bench, top.bench)
    cpu_bound = bool(other.cpu_bound or top.cpu_bound)
    widen = 1.0
    left_out = 0
    if kind == "round":
        states = [pair_state(other.bench.reps[i], other,
                             top.bench.reps[j], top, machine)
                  for i, j in pairs]
        pairs, states, left_out = keep_pairs(pairs, states)
        logs = []
        for (i, j), st in zip(pairs, states):
            r = ratio(other.bench.samples[i], top.bench.samples[j])
            if r:
                logs.append(math.log(corrected(r, st, machine, cpu_bound)))
        found = hl_interval(logs, VERDICT_LEVEL)
        widen = max((st.factor for st in states if st.kinds), default=1.0)
        disturbed = sum(bool(st.kinds) for st in states)
        n = len(logs)
    else:
        kind = "unpaired"
        a = [math.log(x) for x in other.bench.samples if x > 0]
        b = [math.log(x) for x in top.bench.samples if x > 0]
        found = shift_interval(a, b, VERDICT_LEVEL)
        disturbed, n = 0, min(len(a), len(b))
    entry = {"pairing": kind, "pairs": n, "pairs_left_out": left_out,
             "disturbed_pairs": disturbed, "widened_by": widen,
             "ratio": None, "ratio_ci": None, "coverage": None,
             "status": "undecided", "why": "too_few"}
    if found is None:
        return entry
    centre, low, high, coverage = found
    low, high = low - math.log(widen), high + math.log(widen)
    entry.update(ratio=math.exp(centre),
                 ratio_ci=[math.exp(low), math.exp(high)],
                 coverage=coverage)
    edge = math.log1p(margin)
    if coverage < VERDICT_LEVEL:
        entry["why"] = "too_few"
    elif low > edge:
        entry.update(status="slower", why=None)
    elif low >= -edge and high <= edge:
        entry.update(status="tied", why=None)
    elif high < -edge:
        entry.update(status="faster", why="order")
    else:
        entry["why"] = "disturbed" if widen > 1 else "straddles"
    return entry


def verdict_groups(runs, rows, machine):
    """[(kernel, tasks, workers), [(config, bench, row)]] in run order."""
    groups = {}
    for (config, bench), row in zip(runs, rows):
        key = (config.workload, config.tasks, config.workers)
        groups.setdefault(key, []).append((config, bench, row))
    return list(groups.items())


def best_rows(runs, speedups, alpha, machine, margin=rules.MARGIN):
    """The verdict per kernel, tasks and workers."""
    kernel_bound = {}
    for row in speedups:
        kernel_bound.setdefault((row["kernel"], row["tasks"]),
                                row["cpu_bound"])
    return [verdict_json(key, cands, alpha, machine, margin,
                         kernel_bound.get(key[:2]))
            for key, cands in verdict_groups(runs, speedups, machine)]


def verdict_json(key, cands, alpha, machine, margin, kernel_cpu_bound):
    """One kernel, tasks and workers: the fastest strategy, how every
    other compares with it, and the verdict that follows (cbrules.py,
    docs/verdicts.md):

    clear: every other strategy is clearly slower (its interval above
    1 + margin); tie: the others are tied (interval inside the margin
    either way) or clearly slower; undecided: some are neither, or the
    fastest row is marked (it is never replaced by the fastest unmarked
    one); only_strategy: nothing to compare."""
    kernel, tasks, workers = key
    ranked = rank(cands)
    top_config, top_bench, top = ranked[0]
    top_side = side_of(top_config, top_bench, machine, kernel_cpu_bound)
    entry = {"kernel": kernel, "tasks": tasks, "workers": workers,
             "margin_rule": margin,
             "strategy": top["strategy"], "name": top["name"],
             "median_s": top["median_s"], "speedup": top["speedup"],
             "speedup_ci": top["speedup_ci"],
             "efficiency": top["efficiency"], "paired": top["paired"],
             "flags": top["flags"], "tie": [top["strategy"]],
             "slower": [], "undecided": [], "others": [],
             "runner_up": None, "runner_up_median_s": None, "margin": None,
             "margin_paired": None, "p_value": None, "test": None,
             "pairs": None, "verdict": "only_strategy", "reason": None}
    for config, bench, row in ranked[1:]:
        side = side_of(config, bench, machine, kernel_cpu_bound)
        found = comparison(top_side, side, machine, margin)
        found.update(strategy=row["strategy"], name=row["name"],
                     median_s=row["median_s"], speedup=row["speedup"],
                     flags=row["flags"])
        entry["others"].append(found)
        status = found["status"]
        if status == "tied":
            entry["tie"].append(row["strategy"])
        elif status == "slower":
            entry["slower"].append(row["strategy"])
        else:
            entry["undecided"].append(row["strategy"])
    if len(ranked) > 1:
        second_bench, second = ranked[1][1], ranked[1][2]
        entry.update(runner_up=second["strategy"],
                     runner_up_median_s=second["median_s"],
                     margin=ratio(second["median_s"], top["median_s"]))
        entry.update(versus(top_bench, second_bench, alpha))
        if top["flags"]:
            entry.update(verdict="undecided", reason="fastest_marked")
        elif entry["undecided"]:
            whys = {o["why"] for o in entry["others"]
                    if o["status"] in ("undecided", "faster")}
            entry.update(verdict="undecided",
                         reason=("too_few" if whys == {"too_few"}
                                 else "disturbed" if "disturbed" in whys
                                 else "order" if "order" in whys
                                 else "straddles"))
        elif len(entry["tie"]) > 1:
            entry["verdict"] = "tie"
        else:
            entry["verdict"] = "clear"
    entry["sentence"] = verdict_sentence(entry, margin)
    return entry


FLAG_WORDS = {
    "impossible_speedup": "faster than the CPUs allow",
    "gil_speedup": "faster than one lock allows",
    "unsteady_machine": "measured while the canary moved",
    "busy_machine": "measured while other work took CPUs",
}


def verdict_sentence(entry, margin):
    """The verdict in a sentence, for people."""
    top = entry["strategy"]
    speed = ("" if entry["speedup"] is None
             else f" {entry['speedup']:.2f}x")
    verdict = entry["verdict"]
    if verdict == "only_strategy":
        return f"{top}{speed}: the only strategy"
    if verdict == "clear":
        least = min((o["ratio_ci"][0] for o in entry["others"]),
                    default=None)
        return (f"{top}{speed} clearly best: every other strategy at least "
                f"{least - 1:.0%} slower" if least else
                f"{top}{speed} clearly best")
    if verdict == "tie":
        return (f"tie within {margin:.0%}: " + ", ".join(entry["tie"])
                + f" ({top}{speed} fastest)")
    if entry["reason"] == "fastest_marked":
        words = " and ".join(FLAG_WORDS.get(f, f) for f in entry["flags"])
        return f"{top}{speed} fastest, {words}: rerun to confirm"
    names = ", ".join([top] + entry["undecided"])
    why = {"too_few": "too few rounds to tell: more rounds (--rounds=auto) "
                      "can decide",
           "disturbed": "measured on a disturbed machine: rerun",
           "order": "the order differs pair by pair: more rounds can "
                    "decide",
           "straddles": f"the difference may be more or less than "
                        f"{margin:.0%}: more rounds (--rounds=auto) can "
                        "decide"}[entry["reason"]]
    return f"undecided between {names}: {why}"


def versus(top, second, alpha):
    """The test of the best run against the runner-up: Wilcoxon
    signed-rank on the per-round log time ratios when both ran in rounds,
    else the Mann-Whitney U test. Shown beside the verdict, which it does
    not decide."""
    kind, pairs = pair_reps(second, top)
    if kind == "round":
        ratios = [second.samples[i] / top.samples[j] for i, j in pairs]
        test = wilcoxon_test([math.log(r) for r in ratios], alpha)
        return {"test": "wilcoxon", "pairs": len(pairs),
                "margin_paired": median(ratios),
                "p_value": test and test["p_value"]}
    test = u_test(top.samples, second.samples)
    return {"test": "mann_whitney", "p_value": test and test["p_value"]}


def other_rows(result):
    """Spreads of the valid runs that are not concbench runs."""
    return [{"name": name, **spread_json(describe(bench.samples), bench)}
            for name, bench in result.benches.items()
            if bench.ok and bench.config is None]


# ---------------------------------------------------------- steadiness

def low_high(values, keys=("median", "max")):
    """{"min"?, "median", "max"} of values, or None for none."""
    if not values:
        return None
    known = {"min": min(values), "median": median(values),
             "max": max(values)}
    return {k: known[k] for k in keys}


def context_count(value):
    """A positive whole number from a context value ("5" or 5), else None."""
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,9}", value.strip()):
        value = int(value)
    return value if is_count(value) else None


def steadiness_json(result, rows, best, alpha, machine):
    """How steady the machine was over one file, what that marked, how
    many verdicts were decided, and what to do about it."""
    reps = [rep for bench in result.benches.values()
            if bench.ok and not bench.aggregates_only for rep in bench.reps]
    speeds = [r["machine_speed"] for r in reps
              if r.get("machine_speed", 0) > 0]
    steal = [r["steal_cpus"] for r in reps if "steal_cpus" in r]
    other = [r["other_cpus"] for r in reps if "other_cpus" in r]
    order = result.context.get("order")
    rounds = context_count(result.context.get("rounds"))
    # --rounds=auto: rounds beyond the context's, of undecided comparisons.
    last_round = max((r["round"] for r in reps
                      if is_number(r.get("round"))), default=0)
    extra = (int(last_round) - rounds
             if rounds and last_round > rounds else 0)
    pairings = {r["pairing"] for r in rows if r["speedup"] is not None}
    counts = {f: sum(f in r["flags"] for r in rows) for f in FLAGS}
    steady = {
        "order": order if isinstance(order, str) else None,
        "rounds": rounds, "extra_rounds": extra,
        "pairing": (None if not pairings else pairings.pop()
                    if len(pairings) == 1 else "mixed"),
        "machine_speed": low_high(speeds, ("min", "median", "max")),
        "steal_cpus": low_high(steal), "other_cpus": low_high(other),
        "rows": len(rows),
        "rows_flagged": sum(bool(r["flags"]) for r in rows),
        "pairs": sum(r.get("pairs") or 0 for r in rows),
        "pairs_left_out": sum(r.get("pairs_left_out") or 0 for r in rows),
        "flag_counts": {f: n for f, n in counts.items() if n},
        "canary_noise": machine.canary_noise,
        "canary_limit": math.expm1(machine.canary_limit),
        "verdicts": {code: sum(b["verdict"] == code for b in best)
                     for code in VERDICT_CODES}}
    steady["advice"] = advice(steady, alpha)
    return steady


def advice(steady, alpha):
    """What to do, given a file's steadiness: a list of sentences."""
    said = []
    counts = steady["flag_counts"]
    if steady["rows"] and steady["machine_speed"] is None \
            and steady["other_cpus"] is None:
        said.append("This file has no per-repetition machine figures (an "
                    "older concbench or another program): rerun with this "
                    "concbench for paired speedups, intervals and the "
                    "machine flags.")
    if steady["pairing"] in ("nearest", "mixed"):
        said.append("Measured without rounds: run in rounds (concbench's "
                    "default order) so that every strategy is measured "
                    "beside serial.")
    if "busy_machine" in counts:
        busy = max((steady[k]["max"] for k in ("other_cpus", "steal_cpus")
                    if steady[k]), default=0)
        said.append(f"Other processes or the hypervisor took up to "
                    f"{busy:.2f} CPU while it ran: rerun on a quieter "
                    "machine (stop other work; on a VM, a host with less "
                    "contention).")
    if "unsteady_machine" in counts:
        speed = steady["machine_speed"]
        said.append(f"The machine's speed moved (canary {speed['min']:.2f} "
                    f"to {speed['max']:.2f} of its median) between "
                    "repetitions measured side by side: rerun, with more "
                    "rounds (--rounds=auto, or --benchmark_repetitions=N; "
                    "for ninja bench, meson configure build "
                    "-Drepetitions=N) so that a slow spell sways fewer "
                    "pairs.")
    if "impossible_speedup" in counts or "gil_speedup" in counts:
        said.append("Some speedups are more than the CPUs allow, as when "
                    "the machine's speed changed between serial and the "
                    "strategy: rerun, in more rounds.")
    rounds = steady["rounds"]
    need = min_pairs(1 - VERDICT_LEVEL)
    if steady["pairing"] == "round" and rounds and rounds < need \
            and not steady.get("extra_rounds"):
        said.append(f"With {rounds} round{'s' if rounds != 1 else ''} no "
                    f"verdict's interval reaches {VERDICT_LEVEL:.0%} (it "
                    f"needs {need} "
                    f"pairs): --benchmark_repetitions={need} or more, or "
                    "--rounds=auto, can decide the verdicts.")
    if not said:
        said.append("Nothing marked: the machine was steady enough for "
                    "these figures.")
    return said


def summary_notes(steady, rows):
    """Notes on how a file's speedups were computed."""
    notes = []
    if any(r["speedup"] is not None and not r["paired"] for r in rows):
        note = ("unpaired: without rounds or repetition start times "
                "(t_start_s) in this file, a speedup is serial median / "
                "median, with no interval")
        if steady["machine_speed"] is None and steady["other_cpus"] is None:
            note += ("; only impossible_speedup and gil_speedup can be "
                     "checked, on the median")
        notes.append(note)
    if steady["pairing"] in ("nearest", "mixed"):
        notes.append("no rounds: a repetition is paired with the serial "
                     "repetition nearest in start time, in sequential order "
                     "mostly the same one for all")
    return notes


def file_margin(result, margin):
    """The margin to judge a file by: the one asked for, else the one its
    run used (the context's margin, concbench since issue 16), else
    cbrules.MARGIN."""
    if margin is not None:
        return margin
    try:
        found = float(result.context.get("margin", ""))
    except (TypeError, ValueError):
        found = None
    if found is not None and 0 < found <= rules.MAX_MARGIN:
        return found
    return rules.MARGIN


def summarize(index, result, alpha, margin=None):
    margin = file_margin(result, margin)
    cpus, source = allowed_cpus(result.context)
    machine = machine_of(result, cpus)
    runs = concbench_runs(result)
    speedups = speedup_rows(runs, machine)
    best = best_rows(runs, speedups, alpha, machine, margin)
    steady = steadiness_json(result, speedups, best, alpha, machine)
    summary = {"file": index, "cpus": cpus, "cpus_source": source,
               "margin": margin, "steadiness": steady,
               "notes": summary_notes(steady, speedups),
               "rows": speedups, "best": best,
               "dispatch": dispatch_rows(runs, speedups),
               "other": other_rows(result)}
    summary["answer"] = cbanswer.answer(summary, margin)
    return summary


# ---------------------------------------------------------------- display

def short_names(names):
    """name -> the name without Google Benchmark's "/manual_time" suffix.

    Names that would then clash with another name keep the suffix."""
    names = list(names)
    taken = set(names)
    short = {}
    for name in names:
        cut = name.removesuffix(GB_TIME_SUFFIX)
        short[name] = cut if cut and cut not in taken else name
    return short


# ----------------------------------------------------------------- report

def file_json(result):
    return {"path": result.path, "label": result.label,
            "benchmarks": len(result.benches),
            "errored": [{"name": b.name, "message": b.problem}
                        for b in result.benches.values() if not b.ok]}


def build_report(results, alpha=DEFAULT_ALPHA, notes=(), margin=None):
    """Everything compare prints, as plain JSON-able data. margin: None
    for each file's own (file_margin)."""
    summaries = [summarize(i, r, alpha, margin)
                 for i, r in enumerate(results)]
    return {"schema": SCHEMA, "alpha": alpha, "margin": margin,
            "min_repetitions": MIN_REPETITIONS, "min_pairs": min_pairs(alpha),
            "notes": list(notes),
            "files": [file_json(r) for r in results],
            "context": context_report(results),
            "comparison": compare(results, alpha),
            "summaries": summaries,
            "machines": machines_json(results, summaries)}


def newest_json_files(directory, count):
    """The count newest *.json files of directory, oldest first."""
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        raise InputError(directory, "no such directory") from None
    except NotADirectoryError:
        raise InputError(directory, "not a directory") from None
    except OSError as e:
        raise InputError(directory, e.strerror or str(e)) from None
    stamps = {}     # path -> modification time, of the regular files
    for path in (os.path.join(directory, n) for n in names
                 if n.endswith(".json")):
        try:
            st = os.stat(path)
        except OSError:     # gone since the listdir, or a dangling link
            continue
        if stat.S_ISREG(st.st_mode):
            stamps[path] = st.st_mtime_ns
    if not stamps:
        raise InputError(directory, "no *.json files")
    return sorted(stamps, key=lambda p: (stamps[p], p))[-count:]


# ---------------------------------------------------------------- signals

SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")


class Interrupted(BaseException):
    """SIGINT, SIGTERM or SIGHUP arrived (see raise_on_signals): raised
    where the program was, so that its clean-up (a temporary file's
    removal) runs as on any error."""

    def __init__(self, signum):
        super().__init__(f"signal {signum}")
        self.signum = signum


def raise_on_signals():
    """From now on, SIGINT, SIGTERM and SIGHUP raise Interrupted (those
    the program was started with ignored stay ignored, as nohup meant);
    the first one ignores the others, so the clean-up it starts is not
    cut short by a second."""
    import signal

    def interrupted(signum, frame):
        for name in SIGNALS:
            signal.signal(getattr(signal, name), signal.SIG_IGN)
        raise Interrupted(signum)
    for name in SIGNALS:
        signum = getattr(signal, name)
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, interrupted)


def die_of(interrupted):
    """End the program as the signal of an Interrupted would have, once
    the clean-up is done: its status is the signal's, as a shell expects
    of a program it interrupted."""
    import signal
    try:
        sys.stdout.flush()
    except OSError:
        pass
    signal.signal(interrupted.signum, signal.SIG_DFL)
    os.kill(os.getpid(), interrupted.signum)
    os._exit(128 + interrupted.signum)     # not reached
