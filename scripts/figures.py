#!/usr/bin/python3
"""The figures that the prose of README.md and docs/ quotes, each computed
from the kept file its definition names.

A sentence quotes a figure as

    ... took <!-- figures.py mpi-pool-seconds -->174 s<!-- end --> in all ...

and scripts/docs fills the value in from what this program prints; its
--check (the `docs` test) fails when a kept file no longer gives the value
the page shows, so a figure in a sentence is checked like a table. A figure
that is not here or in a generated table has no kept source: rerun it and
keep the file, or leave it out (issue 18).

usage: figures.py NAME     print the figure (one line)
       figures.py --list   every figure, its file and what it is
Exit status: 0; 2 for an unknown name or a file that does not read.
"""

import os
import statistics
import sys
from collections import namedtuple

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import cbresults as cb  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))

Figure = namedtuple("Figure", "name path what compute")


class Missing(Exception):
    """The kept file lacks what a figure reads."""

FIGURES = {}


def figure(name, path, what):
    """Registers compute(result) -> text as the figure NAME of file path."""
    def register(compute):
        FIGURES[name] = Figure(name, path, what, compute)
        return compute
    return register


def bench(result, name):
    """The run called name (Google Benchmark's run_name) in result."""
    try:
        return result.benches[name]
    except KeyError:
        raise Missing(f"{result.path}: no run '{name}'")


def median_counter(result, name, counter):
    """The median over name's repetitions of one of its counters."""
    values = bench(result, name).counters.get(counter)
    if not values:
        raise Missing(f"{result.path}: '{name}' has no counter "
                      f"'{counter}'")
    return statistics.median(values)


def measured_seconds(result, prefix):
    """Seconds that the repetitions of the runs named prefix... measured:
    each repetition's time per iteration times its iterations, as Google
    Benchmark reports them (the time of the batches, not of the calls
    around them)."""
    total = 0.0
    for b in result.benches.values():
        if b.name.startswith(prefix):
            for seconds, counters in zip(b.samples, b.reps):
                total += seconds * counters.get("iterations", 1)
    return total


# ------------------------------------------------------------ the figures
PAYLOAD_SHM = "docs/results/payload/payload-16M-2-shm-vm.json"


@figure("payload-faults-process-shm", PAYLOAD_SHM,
        "page faults a task, process with shm, 16 MiB each way (median)")
def _(result):
    return "%.0f" % median_counter(
        result, "noop/process/tasks:16/workers:1/transport:shm/"
        "payload:16M/manual_time", "faults_per_task")


@figure("payload-faults-process-pool-shm", PAYLOAD_SHM,
        "page faults a task, process_pool with shm, 16 MiB each way "
        "(median)")
def _(result):
    return "%.0f" % median_counter(
        result, "noop/process_pool/tasks:16/workers:1/transport:shm/"
        "payload:16M/manual_time", "faults_per_task")


def main(argv):
    if argv == ["--list"]:
        for f in FIGURES.values():
            print(f"{f.name}\t{f.path}\t{f.what}")
        return 0
    if len(argv) != 1 or argv[0].startswith("-"):
        print("usage: figures.py NAME | --list", file=sys.stderr)
        return 2
    f = FIGURES.get(argv[0])
    if f is None:
        print(f"figures.py: no figure '{argv[0]}' (figures.py --list)",
              file=sys.stderr)
        return 2
    try:
        print(f.compute(cb.load(os.path.join(ROOT, f.path), f.path)))
    except (cb.InputError, Missing) as e:
        print(f"figures.py: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
