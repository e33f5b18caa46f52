"""Loading Google Benchmark JSON written by concbench: files are read,
checked and grouped into runs (:class:`Bench`) of a file (:class:`Result`).

Input
-----
Google Benchmark JSON (``{"context": {...}, "benchmarks": [...]}``), from
concbench or any other Google Benchmark program.  Runs are matched by
``run_name`` (falling back to ``name``).  Per-repetition values come from the
``"iteration"`` entries; only when a run has none are its ``median`` (else
``mean``) aggregate used.  ``real_time`` is converted from ``time_unit`` to
seconds; a repetition with the counter ``fastest_of`` (concbench
``--batches``) takes its fastest batch, ``batch_min_s``, instead.  Keys
that are not Google Benchmark's own and hold numbers are
counters.  Unknown keys and unknown ``run_type`` values are ignored.  What
a run is (its kernel, mode, tasks, workers ...) is told by its label or
name: names.py.

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
"""

import json
import math
import os
import re
import stat
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import unquote

from concbench.names import mode_order, parse_label, parse_modes, parse_name


TIME_UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
# The counter of a repetition that ran a fixed number of batches, its time
# their fastest (batch_min_s).
FASTEST_OF = "fastest_of"
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

# Arrays and objects nest 4 deep in Google Benchmark JSON.  Deeper than
# MAX_DEPTH is refused, so that no recursive code (ours, json.dumps) meets
# it; beyond about 1000 the parser's own RecursionError is caught.
MAX_DEPTH = 100
TOO_DEEP = f"nested too deeply (more than {MAX_DEPTH} arrays and objects)"
# A run of the whole suite with repetitions is a few MB; parsing a file of
# gigabytes would only end in a MemoryError.
MAX_BYTES = 256 << 20
TOO_BIG = f"too big (more than {MAX_BYTES >> 20} MiB)"


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
        return parse_label(self.label, self.name) or parse_name(self.name)

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


@contextmanager
def os_errors(path, missing, wrong_kind, wrong_problem):
    """An OSError of path as an InputError: missing when there is no
    path, wrong_problem for an error of wrong_kind (IsADirectoryError),
    else what the system says."""
    try:
        yield
    except FileNotFoundError:
        raise InputError(path, missing) from None
    except wrong_kind:
        raise InputError(path, wrong_problem) from None
    except OSError as e:
        raise InputError(path, e.strerror or str(e)) from None


def read_json(path):
    """The parsed contents of the JSON file path.

    Only a regular file is read: path is stat()ed before it is opened, and
    opened without blocking (checked again once open), so a FIFO without a
    writer, a device or a socket is refused instead of waited on.  So is a
    file of more than MAX_BYTES, before it is read."""
    with os_errors(path, "no such file", IsADirectoryError,
                   "is a directory, not a JSON file"):
        check_file(path, os.stat(path))
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with open(fd, "rb") as f:
            check_file(path, os.fstat(f.fileno()))
            raw = f.read(MAX_BYTES + 1)
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


def repetition_seconds(entry, counters):
    """A repetition's time: the fastest of its batches where the driver ran
    a fixed number of them (the counter fastest_of, concbench --batches:
    bench/batches.h says why), else real_time, the time per batch."""
    fastest = counters.get("batch_min_s", 0)
    if counters.get(FASTEST_OF) and fastest > 0:
        return fastest
    return seconds(entry)


def add_repetition(bench, entry):
    counters = entry_counters(entry)
    bench.samples.append(repetition_seconds(entry, counters))
    bench.reps.append(counters)
    for key, value in counters.items():
        bench.counters.setdefault(key, []).append(value)


def newest_json_files(directory, count):
    """The count newest *.json files of directory, oldest first."""
    with os_errors(directory, "no such directory", NotADirectoryError,
                   "not a directory"):
        names = os.listdir(directory)
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
