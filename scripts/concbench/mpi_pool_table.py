"""What a task costs to dispatch in mpi_pool beside process_pool in the
same run: the table of docs/modes-and-kernels.md ("An MPI pool"), from a
kept run (docs/results/mpi-pool/).

Per kernel and worker count: each mode's median batch time, mpi_pool's
time beyond process_pool's over the batch's tasks (median of the paired
differences, with its 95 % interval) and mpi_pool's start; the figures
of `compare`'s "Dispatch cost" (analysis.summarize's "dispatch" rows),
rounded as the page shows them.

usage: mpi_pool_table.py FILE.json
Prints a markdown table. Exit status: 0; 2 for a file that does not read
or holds no mpi_pool run beside a process_pool one (one line on stderr).
"""

import os
import sys

from concbench.analysis import DEFAULT_ALPHA, summarize
from concbench.cli import Missing, print_lines
from concbench.load import load, shown_path


PROG = "mpi_pool_table.py"


def us(seconds):
    return "%.0f us" % (seconds * 1e6)


def table(summary):
    lines = ["| kernel | workers | process_pool, a batch | mpi_pool, a batch "
             "| mpi_pool's extra cost, a task (95 % interval) "
             "| mpi_pool's start |",
             "|---|---|---|---|---|---|"]
    for row in summary["dispatch"]:
        if (row["mode"], row["reference"]) != ("mpi_pool", "process_pool"):
            continue
        extra = us(row["extra_per_task_s"])
        if row["extra_per_task_ci"]:
            lo, hi = row["extra_per_task_ci"]
            extra += f" ({us(lo)} to {us(hi)})"
        start = ("-" if row["pool_start_s"] is None
                 else "%.0f ms" % (row["pool_start_s"] * 1e3))
        lines.append(f"| `{row['kernel']}` | {row['workers']} "
                     f"| {row['reference_median_s'] * 1e3:.3f} ms "
                     f"| {row['median_s'] * 1e3:.3f} ms | {extra} "
                     f"| {start} |")
    return lines if len(lines) > 2 else None


def main(argv):
    if len(argv) != 1 or argv[0].startswith("-"):
        print(f"usage: {PROG} FILE.json", file=sys.stderr)
        return 2
    def lines():
        result = load(argv[0], os.path.basename(argv[0]))
        found = table(summarize(0, result, DEFAULT_ALPHA))
        if found is None:
            raise Missing("no mpi_pool run beside a process_pool one")
        return found
    return print_lines(PROG, lines, shown_path(argv[0]))
