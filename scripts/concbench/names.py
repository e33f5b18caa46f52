"""Benchmark names and labels: what a run is (its Config), and the order
strategies are listed in.

Which runs are concbench runs, and their kernel, mode, tasks, workers,
payload and mode options (a :class:`Config`), comes from the run's
``label``, written by concbench since issue 10: space-separated
``key=value`` items, ``kernel=noop mode=thread_pool tasks=16 workers=2``
and then the mode's options (``chunk=N|auto``, ``transport=pipe|shm``,
``switch_us=N`` ...) and ``payload=B`` (bytes, since issue 12); of these
``chunk``, ``transport`` and ``payload`` are part of the Config, other and
unknown keys are ignored.  A kernel with a payload is a workload of its own
(``noop payload:1M``): its runs are compared with serial on the same
payload, and transport shm is part of the strategy (``process
transport:shm``).  A baseline's label (``baseline=fork_exit_waitpid
tasks=16``) makes no Config.  A run without a label, or with one that does
not parse (older files, other programs), is told by its name: concbench
names look like ``<kernel>/<mode>/tasks:<T>/workers:<W>`` with an optional
``/chunk:<N>`` or ``/chunk:auto``, ``/transport:shm``, ``/payload:<B>``
(``4K``, ``1M``: binary units) and then Google Benchmark's own suffixes
(``/manual_time`` ...).  Both ways give the same Config for concbench's
runs.  T and N must be 1 to 4096 and W 1 to 256, what concbench can run (a
chunk of 1 is one task at a time, as no chunk).  Any other run, one with a
number beyond these too, is not a concbench run: it is still compared, but
takes no part in speedup, efficiency or best-strategy tables (and plot
draws it in ``other.png``).

Modes are listed in the order of the context's ``modes``, also written by
concbench since issue 10: space-separated ``name`` or
``name:property,property...`` items in the suite's order, e.g.
``serial:single_worker thread process thread_pool:pool,chunked ...``;
without it, or when it does not parse, in the order of MODE_ORDER.  Modes
not listed come last, by name.
"""

import re
from dataclasses import dataclass


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


GB_TIME_SUFFIX = "/manual_time"


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


def ordered_names_of(dicts):
    """The keys of all the dicts, each once, in order of first appearance."""
    names = {}
    for d in dicts:
        for key in d:
            names.setdefault(key, None)
    return list(names)


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
