"""What moving a task's data costs, through pipes and through shared
memory: the table of docs/modes-and-kernels.md ("Moving a task's data"),
from kept runs (docs/results/payload/: the same command six times, the
transport alternating).

The runs of every file are pooled: per mode, the median of a task's share
of the batch time (batch time / tasks) over every repetition of the mode
with no payload (whatever the transport: none moves), with the payload
through pipes, and with it in shared memory (`--transport=shm`; a mode
that has no run with it takes no transport); the bytes copied through
pipes a task (`bytes_in_per_task` + `bytes_out_per_task`, in MiB) and the
time spent moving them (`move_s_per_task`), medians of the repetitions.
The files must hold one payload besides none.

usage: payload_table.py FILE.json|DIR...
  DIR stands for every *.json in it.
Prints a markdown table. Exit status: 0; 2 for a file that does not read,
or files with no payload, or more than one (one line on stderr).
"""

import sys

from concbench.cli import Missing, print_lines
from concbench.load import load_paths, shown_path
from concbench.names import format_size
from concbench.speedups import concbench_runs
from concbench.stats import median


PROG = "payload_table.py"


def pooled(results):
    """{mode: {(payload, transport): [Bench...]}}, modes in the order they
    first come in the files."""
    found = {}
    for result in results:
        for config, bench in concbench_runs(result):
            found.setdefault(config.mode, {}).setdefault(
                (config.payload, config.transport), []).append(bench)
    return found


def task_share(benches):
    """The median of a task's share of the batch time, seconds."""
    return median([s / b.config.tasks for b in benches for s in b.samples])


def counter(benches, name):
    values = [v for b in benches for v in b.counters.get(name, [])]
    if not values:
        raise Missing(f"{benches[0].name}: no counter '{name}'")
    return median(values)


def copied_mib(benches):
    return (counter(benches, "bytes_in_per_task")
            + counter(benches, "bytes_out_per_task")) / 2**20


def table(results):
    runs = pooled(results)
    payloads = {p for kinds in runs.values() for p, _ in kinds} - {0}
    if len(payloads) != 1:
        raise Missing(f"{len(payloads)} payloads besides none, not one")
    size = payloads.pop()
    name = format_size(size)
    lines = [f"| mode | no payload | {name}, pipe | {name}, shm "
             "| MiB copied a task, pipe (shm) | moving a task, pipe |",
             "|---|---|---|---|---|---|"]
    for mode, kinds in runs.items():
        none = [b for (p, _), benches in kinds.items() if p == 0
                for b in benches]
        pipe, shm = kinds.get((size, None)), kinds.get((size, "shm"))
        if not none or not pipe:
            raise Missing(f"{mode}: no run with "
                          + ("no payload" if not none else
                             f"{name} through pipes"))
        moving = counter(pipe, "move_s_per_task")
        cells = [f"`{mode}`", f"{task_share(none) * 1e3:.3f} ms",
                 f"{task_share(pipe) * 1e3:.2f} ms",
                 "(no transport)", f"{copied_mib(pipe):.0f}",
                 f"{moving * 1e3:.2f} ms" if moving else "0"]
        if shm:
            cells[3] = (f"{task_share(shm) * 1e3:.2f} ms "
                        f"({task_share(pipe) / task_share(shm):.1f}x less)")
            cells[4] += f" ({copied_mib(shm):.0f})"
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def main(argv):
    if not argv or any(a.startswith("-") for a in argv):
        print(f"usage: {PROG} FILE.json|DIR...", file=sys.stderr)
        return 2
    return print_lines(PROG, lambda: table(load_paths(argv)),
                       " ".join(map(shown_path, argv)))
