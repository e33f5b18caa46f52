"""One line per result file: how long the run took, how many rows were
marked, how many verdicts were decided, tied and undecided, and how many
pairs were left out (issue 16's checks of a run).

usage: run_summary.py FILE...
Prints a markdown table (docs/results/verdicts-vm/README.md shows it).
"""

import os
import sys

from concbench.analysis import build_report
from concbench.load import InputError, is_number, load_paths


def duration(result):
    """Seconds from the run's first repetition's start to its last's end."""
    ends = [rep["t_end_s"] for bench in result.benches.values()
            for rep in bench.reps if is_number(rep.get("t_end_s"))]
    return max(ends) if ends else None


def main(argv):
    if not argv:
        print("usage: run_summary.py FILE...", file=sys.stderr)
        return 2
    try:
        results = load_paths(argv)
    except InputError as e:
        print(f"run_summary.py: {e}", file=sys.stderr)
        return 2
    report = build_report(results)
    print("| file | measured for | rounds | rows marked | clearly best "
          "| ties | undecided | pairs left out |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for result, summary in zip(results, report["summaries"]):
        steady = summary["steadiness"]
        v = steady["verdicts"]
        took = duration(result)
        rounds = steady["rounds"] or 0
        extra = steady.get("extra_rounds") or 0
        marked = steady["rows_flagged"]
        rows = steady["rows"]
        total = steady["pairs"] + steady["pairs_left_out"]
        print(f"| {os.path.basename(result.path)} "
              f"| {'-' if took is None else f'{took // 60:.0f}m{took % 60:02.0f}s'} "
              f"| {rounds} + {extra} "
              f"| {marked} of {rows} ({100 * marked / rows:.0f} %) "
              f"| {v['clear']} | {v['tie']} "
              f"| {v['undecided']} of {sum(v.values())} "
              f"| {steady['pairs_left_out']} of {total} |")
    return 0
