"""The wait policies side by side (issue 21): the table of
docs/modes-and-kernels.md ("Waiting: passive and active"), from a kept run
of `--wait=passive,active` (docs/results/wait-policy/).

Per pool mode (thread_pool, process_pool, openmp) and worker count: the
median batch time under each policy and their ratio (active over passive:
below 1, spinning saved time), each pool's time over openmp's at the same
W under the same policy, and what the pool used in CPU per wall second of
the batch (``all_cpu_util``, median: every thread and process of the
mode, waiting included) under each. Ratios are of the medians over the
run's repetitions.

usage: wait_table.py FILE.json
Prints a markdown table. Exit status: 0; 2 for a file that does not read
or lacks a run of both policies for a mode at a worker count (one line on
stderr).
"""

from concbench.cli import Missing, one_file_table
from concbench.speedups import concbench_runs
from concbench.stats import median


PROG = "wait_table.py"
POOLS = ("thread_pool", "process_pool", "openmp")
POLICIES = ("passive", "active")


def runs_of(result):
    """{(mode, W): {policy: Bench}} of the pools' untuned runs but wait
    (one task count, no payload, no chunk)."""
    found = {}
    for config, bench in concbench_runs(result):
        others = [k for k, _ in config.options if k != "wait"]
        if config.mode not in POOLS or config.payload or others:
            continue
        policy = config.option("wait") or "passive"
        runs = found.setdefault((config.mode, config.workers), {})
        if policy in runs:
            raise Missing(f"{config.mode} W={config.workers} wait={policy}: "
                          "more than one run")
        runs[policy] = bench
    both = {key: runs for key, runs in found.items() if len(runs) == 2}
    if not both:
        raise Missing("no pool run under both wait policies")
    return both


def util(bench):
    values = bench.counters.get("all_cpu_util")
    if not values:
        raise Missing(f"{bench.name}: no counter 'all_cpu_util'")
    return median(values)


def table(result):
    runs = runs_of(result)
    lines = ["| mode | W | passive | active | active / passive "
             "| / openmp, passive | / openmp, active "
             "| all_cpu_util passive | all_cpu_util active |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for mode in POOLS:
        for workers in sorted(w for m, w in runs if m == mode):
            t = {p: median(runs[mode, workers][p].samples) for p in POLICIES}
            omp = runs.get(("openmp", workers))
            versus = ["-", "-"] if mode == "openmp" or not omp else [
                f"{t[p] / median(omp[p].samples):.2f}" for p in POLICIES]
            lines.append(
                f"| `{mode}` | {workers} | {t['passive'] * 1e6:.1f} us "
                f"| {t['active'] * 1e6:.1f} us "
                f"| {t['active'] / t['passive']:.2f} | {versus[0]} "
                f"| {versus[1]} | "
                + " | ".join(f"{util(runs[mode, workers][p]):.2f}"
                             for p in POLICIES) + " |")
    return lines


def main(argv):
    return one_file_table(PROG, argv, table)
