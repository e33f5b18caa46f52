"""What concbench can run and how it names a run: its limits, its flags'
defaults and the grammar of benchmark names and labels, once, for both
sides.

Read by the Python side (``names`` parses names and labels by the grammar
below and checks them against the limits; ``overhead`` checks a file's
context against them) and, through a header that the build generates from
this file (``scripts/cbfacts.py --header``, a link to it that
csrc/meson.build names: ``cb_facts.h``), by the C and C++ side: the
executor's limits, the driver's flags and ``--help``, the names the suite
writes.  Change a value here and both sides follow; the docs test checks
that ``--help`` says what this file does.

The mode table is not here: the modes are C code (csrc/modes.c, in the
suite's order), every result file records them with their properties in
its context (``modes``), and ``concbench --list`` prints them.  The
verdict's thresholds are in ``rules``.

Only the standard library: the build runs it with Meson's Python.
"""

import re
import sys
from collections import namedtuple

Fact = namedtuple("Fact", "name value cname why")

FACTS = (
    # ---------------------------------------------------------- limits
    Fact("MAX_TASKS", 4096, "CB_MAX_TASKS",
         "Tasks in a batch (--tasks), and a pool's largest chunk: a "
         "batch's results and pipes stay within reason."),
    Fact("MAX_WORKERS", 256, "CB_MAX_WORKERS",
         "Worker counts (--workers): the per-worker arrays of the modes "
         "and the process table of a batch."),
    Fact("MAX_PAYLOAD", 256 << 20, "CB_MAX_PAYLOAD",
         "Bytes in and out per task (--payload): 256 MiB, so that a "
         "batch's inputs and outputs fit in memory."),
    Fact("MAX_PARENT_RSS", 16 << 30, "CB_MAX_PARENT_RSS",
         "Memory the process measuring a repetition holds (--parent-rss): "
         "16 GiB, past the published figures (fork of a 1 GiB parent "
         "already costs tens of ms) and what a laptop has, so that a "
         "slipped unit (16000G) is refused at once rather than tried."),
    Fact("PARENT_RSS_HEADROOM", 512 << 20, "CB_PARENT_RSS_HEADROOM",
         "--parent-rss is refused, before the run and again before a "
         "repetition holds it, unless the machine (MemAvailable), the "
         "cgroup (memory.max) and the process's limits (RLIMIT_AS, "
         "RLIMIT_DATA) leave this much besides: 512 MiB for the workers, "
         "payloads and the rest of the machine, so that the memory is "
         "touched without swapping or the OOM killer."),
    Fact("MAX_IO_MS", 60000, "CB_MAX_IO_MS",
         "io_sleep's task length (--io-ms), in ms: a minute."),
    Fact("MAX_TIMEOUT_S", 3600, "CB_MAX_TIMEOUT_S",
         "--timeout: a batch still running after this many seconds fails."),
    Fact("MAX_BUDGET_S", 86400, "CB_MAX_BUDGET_S",
         "--rounds=auto:S, a day at most."),
    Fact("MAX_BATCHES", 1000, "CB_MAX_BATCHES",
         "--batches: batches in a repetition of a kernel with long tasks."),
    # ------------------------------------------------ the flags' defaults
    Fact("DEFAULT_TASKS", 16, "CB_DEFAULT_TASKS", "--tasks."),
    Fact("DEFAULT_WORKERS", "1,2,4,8,16", "CB_DEFAULT_WORKERS",
         "--workers: from one to oversubscribed on most laptops."),
    Fact("DEFAULT_IO_MS", 100, "CB_DEFAULT_IO_MS", "--io-ms."),
    Fact("DEFAULT_TIMEOUT_S", 60, "CB_DEFAULT_TIMEOUT_S", "--timeout."),
    Fact("DEFAULT_BUDGET_S", 300, "CB_DEFAULT_BUDGET_S",
         "--rounds=auto without S: the suite's 5 minutes."),
    Fact("DEFAULT_MIN_TIME", "0.2", "CB_DEFAULT_MIN_TIME",
         "--benchmark_min_time, seconds of batches a repetition."),
    Fact("DEFAULT_BATCHES", 2, "CB_DEFAULT_BATCHES",
         "--batches: a repetition of a kernel whose tasks need a CPU and "
         "whose serial batch is long runs this many batches, its time the "
         "fastest. Of 1, 2 and 3 on this 2-CPU VM, two consecutive "
         "`ninja bench` runs agreed best with 2 (docs/results/verdicts-vm/"
         "run-9, run-10); with 3 the fixed rounds left time for at most "
         "one extra round."),
    # --------------------------------------------------- names and labels
    Fact("NAME_HEAD", "{kernel}/{mode}/tasks:{tasks}/workers:{workers}",
         "CB_NAME_HEAD",
         "A benchmark's name begins so; C writes it with %s for text and "
         "%u for numbers."),
    Fact("NAME_PART", "/{key}:{value}", "CB_NAME_PART",
         "... then one such part for each option of the mode that names "
         "show and that is not at its default, then each size of the "
         "workload that is not 0, in WORKLOAD_SIZES' order "
         "(/payload:4K/parent_rss:1G)."),
    Fact("LABEL_HEAD", "kernel={kernel} mode={mode} tasks={tasks} "
         "workers={workers}", "CB_LABEL_HEAD",
         "A benchmark's label (the same as fields) begins so ..."),
    Fact("LABEL_PART", " {key}={value}", "CB_LABEL_PART",
         "... then one such item for every option of the mode, at its "
         "default too, and each size of the workload in bytes when not 0 "
         "(payload=4096 parent_rss=1073741824)."),
)

globals().update({f.name: f.value for f in FACTS})

# The name parts that are a dimension of the workload, not an option of
# the mode: sizes in bytes (binary units in names, 4K; bytes in labels),
# each with its largest value, in the order names show them.  A run is
# compared only with runs of the same sizes (the workload "noop
# payload:1M parent_rss:1G" has its own serial run), where an option
# would make a strategy of its own ("process transport:shm").  The Python
# side only (names); the C side writes them in bench/suite.c.
WORKLOAD_SIZES = {"payload": MAX_PAYLOAD, "parent_rss": MAX_PARENT_RSS}

# The fields a head holds, and those that are numbers (%u in C).
NUMBER_FIELDS = ("tasks", "workers")
FIELD_RE = re.compile(r"\{(?P<field>[a-z]+)\}")


def printf_format(template):
    """A template as C's printf spells it: {tasks} as %u, {mode} as %s."""
    if "%" in template:
        raise ValueError(f"a template with %: {template!r}")
    return FIELD_RE.sub(lambda m: "%u" if m["field"] in NUMBER_FIELDS
                        else "%s", template)


def head_regex(template, text=r"[^/\s]+"):
    """A regular expression matching a head: one named group per field,
    digits for a number, text for the others."""
    out, at = "", 0
    for m in FIELD_RE.finditer(template):
        out += re.escape(template[at:m.start()])
        body = "[0-9]+" if m["field"] in NUMBER_FIELDS else text
        out += f"(?P<{m['field']}>{body})"
        at = m.end()
    return out + re.escape(template[at:])


def header():
    """The C header with the facts above (csrc/cb_facts.h)."""
    lines = ["/* Generated from scripts/cbfacts.py by the build: edit that "
             "file, not this. */",
             "#ifndef CB_FACTS_H", "#define CB_FACTS_H", ""]
    for f in FACTS:
        if isinstance(f.value, int):
            suffix = "ull" if f.value > 0xffffffff or f.name in \
                ("MAX_PAYLOAD", "PARENT_RSS_HEADROOM") else "u"
            value = f"{f.value}{suffix}"
        elif "{" in f.value:
            value = '"' + printf_format(f.value) + '"'
        else:
            value = '"' + f.value + '"'
        lines.append(f"#define {f.cname} {value}")
    lines += ["", "#endif", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    args = sys.argv[1:]
    if args == ["--header"]:
        sys.stdout.write(header())
    else:
        sys.exit("usage: cbfacts.py --header")
