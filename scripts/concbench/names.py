"""Benchmark names and labels: what a run is (its Config), and the order
strategies are listed in.

Which runs are concbench runs, and their kernel, mode, tasks, workers,
the sizes of their workload and mode options (a :class:`Config`), comes
from the run's ``label``, written by concbench since issue 10:
space-separated ``key=value`` items, ``kernel=noop mode=thread_pool
tasks=16 workers=2``, then every option of the mode (``chunk=N|auto``,
``transport=pipe|shm``, ``wait=passive|active``, ``switch_us=N`` ...)
and the workload's sizes in bytes when not 0: ``payload=B`` (since issue
12), ``parent_rss=B`` (since issue 21). A baseline's label
(``baseline=fork_exit_waitpid tasks=16``) makes no Config. A run without
a label, or with one that does not parse (older files, other programs),
is told by its name: concbench names look like
``<kernel>/<mode>/tasks:<T>/workers:<W>``, then ``/<option>:<value>``
for each option of the mode that concbench shows in names and that is
not at its default (``/chunk:4``, ``/chunk:auto``, ``/transport:shm``,
``/wait:active``), then ``/payload:<B>`` and ``/parent_rss:<B>`` when
not 0 (``4K``, ``1M``: binary units) and Google Benchmark's own suffixes
(``/manual_time`` ...). Both ways give the same Config for concbench's
runs.

A run's options are those its name shows: a label lists every option of
the mode, at its default too, and one the name does not show (an option at
its default, or one that names leave out, as gil's ``switch_us``) tells no
strategy from another.  So an option that concbench adds to its names
needs no edit here: ``/queue:mpmc`` is a strategy of its own
(``thread_pool queue:mpmc``), sorted after the mode's untuned runs.  Only
the options of KNOWN_OPTIONS are read from a label alone, as their
defaults are known (a chunk of 1 is one task at a time, as no chunk;
transport pipe is the default; so is wait passive), and their values
are checked.

``openmp`` took no option before ``wait`` (issue 21): it ran under
libgomp's own default wait policy, which is what ``wait:active`` now is,
while its default is passive, as the pools'.  So an openmp label without
``wait=`` (a file from before) is read as ``wait:active``: its runs are
``openmp wait:active``, never compared with the new ``openmp`` as one
strategy.  A name alone cannot tell (``noop/openmp/tasks:16/workers:2`` is
both).

The sizes of ``facts.WORKLOAD_SIZES`` (the payload, the parent's size)
are dimensions of the workload, not options: a kernel with a payload, or
run from a parent of 1 GiB, is a workload of its own (``noop payload:1M``,
``noop parent_rss:1G``), whose runs are compared with each other and with
serial on the same sizes, while transport shm is part of the strategy
(``process transport:shm``).  A new such size is one line in ``facts``.  T and N must be 1 to
4096 and W 1 to 256, what concbench can run.  Any other run, one with a
number beyond these too, is not a concbench run: it is still compared, but
takes no part in speedup, efficiency or best-strategy tables (and plot
draws it in ``other.png``).

Modes are listed in the order of the context's ``modes``, also written by
concbench since issue 10: space-separated ``name`` or
``name:property,property...`` items in the suite's order, e.g.
``serial:single_worker thread process thread_pool:pool,chunked ...``;
without it, or when it does not parse, in the order of MODE_ORDER.  Modes
not listed come last, by name.

The grammar of names and labels and the limits are concbench's, read from
``facts`` (the module the build makes the C side's ``cb_facts.h`` from).
"""

import re
from dataclasses import dataclass

from concbench import facts


# The suite's modes in the files that predate the context's "modes" (issue
# 10), which were these, in this order; newer files say their own.
MODE_ORDER = ("serial", "thread", "process", "thread_pool", "process_pool",
              "spawn", "forkserver", "gil", "async", "openmp")


NAME_RE = re.compile("^" + facts.head_regex(facts.NAME_HEAD, text="[^/]+")
                     + "(?P<rest>/.*)?$")
# A "/key:value" part of a name after the workers: a mode's option, a size
# of the workload (WORKLOAD_SIZES), or one of Google Benchmark's own
# (GB_NAME_KEYS), which end the concbench part of a name.
NAME_PART_RE = re.compile(r"(?P<key>[a-z][a-z0-9_]*):(?P<value>[^/:\s]+)")
GB_NAME_KEYS = frozenset({"iterations", "repeats", "threads", "min_time",
                          "min_warmup_time"})
SIZE_RE = re.compile(r"(?P<n>[0-9]{1,12})(?P<unit>[KMG]?)")
SIZE_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
TRANSPORTS = ("pipe", "shm")  # the first is the default
# The sizes that make a workload, {key: largest}, in the order names show
# them.
WORKLOAD_SIZES = facts.WORKLOAD_SIZES
LABEL_KEYS = tuple(facts.FIELD_RE.findall(facts.LABEL_HEAD))
WAITS = ("passive", "active")  # the first is the default
MODES_ITEM_RE = re.compile(r"(?P<mode>[^\s:,]+)"
                           r"(?::(?P<props>[^\s:,]+(?:,[^\s:,]+)*))?")
# concbench's limits; a chunk is at most the tasks.
MAX_TASKS = facts.MAX_TASKS
MAX_WORKERS = facts.MAX_WORKERS


GB_TIME_SUFFIX = "/manual_time"


@dataclass(frozen=True)
class Option:
    """What the Python side knows of a mode option: its default and which
    values concbench takes (value: the text as a name spells it, or None
    when concbench takes no such value)."""

    default: str
    value: object


def chunk_value(text):
    """A chunk as names spell it: 1 to MAX_TASKS, or auto."""
    if text == "auto":
        return text
    count = count_in(text, MAX_TASKS)
    return None if count is None else str(count)


# The options a label alone tells (a chunk of 1 and transport pipe are
# the defaults, which names do not show), in the order a strategy names
# them; every other option is known by the names that show it.
KNOWN_OPTIONS = {
    "chunk": Option("1", chunk_value),
    "transport": Option(TRANSPORTS[0],
                        lambda text: text if text in TRANSPORTS else None),
    "wait": Option(WAITS[0], lambda text: text if text in WAITS else None),
}
# What a mode that took no wait option before issue 21 ran under: openmp,
# libgomp's default, which wait active is (csrc/spin.h).
WAIT_BEFORE = {"openmp": "active"}


@dataclass(frozen=True)
class Config:
    """What a concbench run is: its kernel, mode, tasks, workers, the sizes
    of its workload that are not 0, ((key, bytes), ...) in WORKLOAD_SIZES'
    order, and the options it was tuned with, ((name, value as names spell
    it), ...): those of KNOWN_OPTIONS first, in its order, then the others
    in the order the name shows them."""

    kernel: str
    mode: str
    tasks: int
    workers: int
    sizes: tuple = ()
    options: tuple = ()

    def size(self, key):
        """A size of the workload in bytes (0: none)."""
        return dict(self.sizes).get(key, 0)

    @property
    def payload(self):
        """Bytes in and out per task (--payload), 0 for none."""
        return self.size("payload")

    @property
    def parent_rss(self):
        """Bytes the parent held (--parent-rss), 0 for none."""
        return self.size("parent_rss")

    def option(self, name):
        """The value of an option (text), None at its default."""
        return dict(self.options).get(name)

    @property
    def chunk(self):
        """None (one task at a time), an int, or "auto"."""
        chunk = self.option("chunk")
        return int(chunk) if chunk and chunk.isdigit() else chunk

    @property
    def transport(self):
        """None (pipes, the default) or "shm"."""
        return self.option("transport")

    @property
    def wait(self):
        """None (passive, the default) or "active"."""
        return self.option("wait")

    @property
    def strategy(self):
        """The mode and how it was tuned: "process_pool chunk:2
        transport:shm"."""
        return " ".join([self.mode] + [f"{k}:{v}" for k, v in self.options])

    @property
    def workload(self):
        """What was run, the kernel and the sizes that are not 0: "noop",
        "noop payload:1M", "noop parent_rss:1G".  Runs are compared within
        one workload."""
        return " ".join([self.kernel] + [f"{k}:{format_size(v)}"
                                         for k, v in self.sizes])


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
    (1 to MAX_TASKS, MAX_WORKERS, MAX_TASKS), or with an option twice, is
    not a concbench name."""
    m = NAME_RE.match(name)
    if not m:
        return None
    fields = name_fields(m["rest"])
    if fields is None:
        return None
    sizes = {k: fields.pop(k) for k in WORKLOAD_SIZES if k in fields}
    return make_config(*m.group("kernel", "mode", "tasks", "workers"),
                       sizes, fields)


def name_fields(rest):
    """{key: value} of the "/key:value" parts that follow the workers in a
    name (its options and sizes), up to the first that is not one;
    None when a key is there twice."""
    fields = {}
    for part in (rest or "").split("/")[1:]:
        m = NAME_PART_RE.fullmatch(part)
        if not m or m["key"] in GB_NAME_KEYS:
            break
        if m["key"] in fields:
            return None
        fields[m["key"]] = m["value"]
    return fields


def parse_label(label, name=None):
    """The Config of a concbench label, or None (no label, a baseline's,
    another program's, or one with a field out of range).

    A label is space-separated key=value items: kernel, mode, tasks and
    workers, then the mode's options and the workload's sizes (bytes).  Of
    the options,
    those of KNOWN_OPTIONS are part of the Config when not at their
    default, and any other when the run's name shows it (switch_us, which
    names leave out, is not)."""
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
    shown = name_shows(name)
    options = {key: value for key, value in fields.items()
               if key not in (*LABEL_KEYS, *WORKLOAD_SIZES)
               and (key in KNOWN_OPTIONS or key in shown)}
    if "wait" not in fields and fields["mode"] in WAIT_BEFORE:
        options["wait"] = WAIT_BEFORE[fields["mode"]]
    return make_config(*(fields[key] for key in LABEL_KEYS),
                       {k: fields[k] for k in WORKLOAD_SIZES if k in fields},
                       options)


def name_shows(name):
    """The option keys that a run's name shows (none without a name, or
    for a name that is not concbench's)."""
    m = NAME_RE.match(name) if isinstance(name, str) else None
    fields = name_fields(m["rest"]) if m else None
    return set(fields or ()) - set(WORKLOAD_SIZES)


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


def make_config(kernel, mode, tasks, workers, sizes=None, options=None):
    """The Config of these fields as text, or None if one is out of
    concbench's range.  sizes: {key of WORKLOAD_SIZES: size as text ("1M"
    or "1048576")}, left out at 0.  options: {name: value} as text; those
    of KNOWN_OPTIONS must hold a value concbench takes, and are left out at
    their default."""
    tasks, workers = count_in(tasks, MAX_TASKS), count_in(workers, MAX_WORKERS)
    if tasks is None or workers is None:
        return None
    sizes = sizes or {}
    bytes_of = {k: parse_size(sizes[k], top)
                for k, top in WORKLOAD_SIZES.items() if k in sizes}
    if None in bytes_of.values():
        return None
    options = dict(options or {})
    known = []
    for key, option in KNOWN_OPTIONS.items():
        if key not in options:
            continue
        value = option.value(options.pop(key))
        if value is None:
            return None
        if value != option.default:
            known.append((key, value))
    return Config(kernel, mode, tasks, workers,
                  tuple((k, v) for k, v in bytes_of.items() if v),
                  tuple(known) + tuple(options.items()))


def parse_size(text, top):
    """Bytes from "1048576" or "1M" (binary units, as concbench names
    them), 0 to top; else None."""
    m = SIZE_RE.fullmatch(text)
    if not m:
        return None
    value = int(m["n"]) * SIZE_UNITS[m["unit"]]
    return value if value <= top else None


def format_size(value):
    """Bytes as concbench names them: the largest unit that is exact."""
    for unit in ("G", "M", "K"):
        size = SIZE_UNITS[unit]
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


def value_rank(value):
    """Sort key of an option's value: the default (None) first, then
    numbers up, then words ("auto" after the chunk sizes)."""
    if value is None:
        return (0, 0, "")
    if value.isdigit():
        return (1, int(value), "")
    return (2, 0, value)


def strategy_key(config, modes=MODE_ORDER):
    """Sort key of a run's strategy: its mode, then its options, those of
    KNOWN_OPTIONS first (chunk: none, sizes up, auto; transport: pipe,
    shm), then the others by name."""
    others = sorted((k, value_rank(v)) for k, v in config.options
                    if k not in KNOWN_OPTIONS)
    return (mode_rank(config.mode, modes),
            *(value_rank(config.option(k)) for k in KNOWN_OPTIONS),
            tuple(others))


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
