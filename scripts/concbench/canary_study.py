"""Whether correcting each pair by its canaries, or by its tasks' CPU
time, makes two runs of one machine agree better than leaving it (issue
16; rules.CANARY_CORRECT, rules.CPU_CORRECT).

usage: canary_study.py A.json B.json [C.json D.json ...]

Each two files are runs of the same suite on the same machine. For each
policy (none: disturbed pairs are left out or their comparisons widened,
the pairs kept as measured; correct: every pair's ratio also multiplied by
its canaries' ratio; task CPU: every pair's ratio of a kernel that needs a
CPU divided by the ratio of its two repetitions' task CPU time, each over
its run's median: a slow spell that stretches the same instructions is
taken out), over the rows both files have with a speedup: the
median and the mean of |log(speedup in A / speedup in B)| (how far the
two runs' figures are apart), the width of the speedup intervals (median
of log(high / low)), and the contradictions between the two runs'
verdicts (a strategy one run calls clearly slower that the other crowns).
Prints a markdown table; docs/verdicts.md shows it for the kept runs.
"""

import math
import os
import sys

from concbench.analysis import DEFAULT_ALPHA
from concbench.context import allowed_cpus
from concbench.load import InputError, load_paths
from concbench.pairing import machine_of
from concbench.speedups import concbench_runs, speedup_rows
from concbench.stats import median
from concbench.verdicts import best_rows


# The policies compared: their name, and (canary, task CPU) correction.
POLICIES = (("none", False, False), ("correct", True, False),
            ("task CPU", False, True))


def analyse(path, correct, cpu_correct):
    result = load_paths([path])[0]
    cpus, _ = allowed_cpus(result.context)
    machine = machine_of(result, cpus)
    machine.correct = correct
    machine.cpu_correct = cpu_correct
    runs = concbench_runs(result)
    rows = speedup_rows(runs, machine)
    best = best_rows(runs, rows, DEFAULT_ALPHA, machine)
    return rows, best


def contradictions(best_a, best_b):
    """Strategies one run calls clearly slower that the other crowns."""
    a = {(b["kernel"], b["tasks"], b["workers"]): b for b in best_a}
    found = 0
    for b in best_b:
        other = a.get((b["kernel"], b["tasks"], b["workers"]))
        if other is None:
            continue
        for x, y in ((other, b), (b, other)):
            if y["verdict"] in ("clear", "tie"):
                found += len(set(y["tie"]) & set(x["slower"]))
    return found


def study(path_a, path_b):
    lines = []
    for name, correct, cpu_correct in POLICIES:
        rows_a, best_a = analyse(path_a, correct, cpu_correct)
        rows_b, best_b = analyse(path_b, correct, cpu_correct)
        b_by_name = {r["name"]: r for r in rows_b}
        apart = [abs(math.log(r["speedup"] / b_by_name[r["name"]]["speedup"]))
                 for r in rows_a if r["name"] in b_by_name and r["speedup"]
                 and b_by_name[r["name"]]["speedup"]]
        widths = [math.log(r["speedup_ci"][1] / r["speedup_ci"][0])
                  for r in rows_a + rows_b if r["speedup_ci"]
                  and r["speedup_ci"][0] > 0 and r["cpu_bound"]]
        undecided = [sum(b["verdict"] == "undecided" for b in best)
                     for best in (best_a, best_b)]
        lines.append(
            f"| {os.path.basename(path_a)} / {os.path.basename(path_b)} "
            f"| {name} | {len(apart)} "
            f"| {100 * median(apart):.2f} % "
            f"| {100 * sum(apart) / len(apart):.2f} % "
            f"| {100 * median(widths):.1f} % "
            f"| {undecided[0]} / {undecided[1]} of {len(best_a)} "
            f"| {contradictions(best_a, best_b)} |")
    return lines


def main(argv):
    if len(argv) < 2 or len(argv) % 2:
        print("usage: canary_study.py A.json B.json [C.json D.json ...]",
              file=sys.stderr)
        return 2
    print("| runs | pairs | rows | median apart | mean apart "
          "| interval width (CPU rows) | undecided | contradictions |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    try:
        for a, b in zip(argv[::2], argv[1::2]):
            print("\n".join(study(a, b)))
    except InputError as e:
        print(f"canary_study.py: {e}", file=sys.stderr)
        return 2
    return 0
