"""How noisy a run's repetitions were: per file, the median distance of a
repetition's time from its benchmark's median (|log ratio|), for the
kernels that need a CPU; with --gaps, over the pairs of strategies of one
kernel and worker count measured in the same round, how far a pair's ratio
strayed from that comparison's median, by how far apart in time its two
repetitions started (in fifths of the pairs); with --slow, how the time
of a batch of one worker (W = 1: the same instructions every time) is
spread: most repetitions at its fastest, some far slower, and what the
canary beside those slow ones read.

usage: rep_noise.py [--gaps | --slow] FILE...
Prints markdown tables (docs/results/isolation-vm/README.md shows them).
"""

import math
import os
import sys
from collections import defaultdict

from concbench.load import InputError, is_number, load_paths
from concbench.pairing import pair_reps
from concbench.speedups import concbench_runs
from concbench.stats import median


KERNELS = ("gmp_pow", "logpow")


def runs_of(path):
    result = load_paths([path])[0]
    return [(config, bench) for config, bench in concbench_runs(result)
            if config.workload in KERNELS]


def noise(path):
    devs = []
    for _, bench in runs_of(path):
        m = median(bench.samples)
        devs += [abs(math.log(x / m)) for x in bench.samples if x > 0]
    return median(devs)


def gaps(path):
    groups = defaultdict(list)
    for config, bench in runs_of(path):
        groups[(config.workload, config.workers)].append(bench)
    points = []
    for benches in groups.values():
        for i, a in enumerate(benches):
            for b in benches[i + 1:]:
                kind, pairs = pair_reps(a, b)
                if kind != "round" or len(pairs) < 5:
                    continue
                logs = [math.log(a.samples[p] / b.samples[q])
                        for p, q in pairs]
                centre = median(logs)
                for (p, q), lg in zip(pairs, logs):
                    gap = abs(a.reps[p]["t_start_s"] - b.reps[q]["t_start_s"])
                    points.append((gap, abs(lg - centre)))
    points.sort()
    n = len(points)
    return [(points[k * n // 5][0], points[(k + 1) * n // 5 - 1][0],
             median([d for _, d in points[k * n // 5:(k + 1) * n // 5]]))
            for k in range(5)] if n >= 5 else []


SLOW = 0.10   # a repetition this much above its benchmark's fastest


def slow(path):
    """Over the W = 1 runs of the kernels that need a CPU: the repetitions,
    the slow ones (SLOW above their benchmark's fastest), how much slower
    (median, most), their tasks' CPU time against their benchmark's median
    (median), the canary's largest distance from 1 beside them, and the
    CPU that other work and steal took beside them (median)."""
    total, excursions, cpu, canaries, loads = 0, [], [], [], []
    for config, bench in runs_of(path):
        if config.workers != 1:
            continue
        fastest = min(bench.samples)
        usual = median([r["task_cpu_s"] for r in bench.reps
                        if is_number(r.get("task_cpu_s"))] or [0])
        for time, rep in zip(bench.samples, bench.reps):
            total += 1
            if time <= fastest * (1 + SLOW):
                continue
            excursions.append(time / fastest - 1)
            if usual > 0 and is_number(rep.get("task_cpu_s")):
                cpu.append(rep["task_cpu_s"] / usual - 1)
            speed = rep.get("machine_speed")
            if is_number(speed) and speed > 0:
                canaries.append(abs(speed - 1))
            load = [rep[k] for k in ("other_cpus", "steal_cpus")
                    if is_number(rep.get(k))]
            if load:
                loads.append(sum(max(x, 0) for x in load))
    return (total, excursions, median(cpu) if cpu else None,
            max(canaries) if canaries else None,
            median(loads) if loads else None)


def print_slow(paths):
    print("| file | repetitions (W = 1) | over 10 % above their fastest "
          "| by (median) | by (most) | their tasks' CPU time over the "
          "usual (median) | the canary beside them, farthest from 1 "
          "| other work and steal beside them (median) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for path in paths:
        total, ex, cpu, canary, load = slow(path)
        n = len(ex)
        show = [f"{100 * median(ex):.0f} %" if ex else "-",
                f"{100 * max(ex):.0f} %" if ex else "-",
                "-" if cpu is None else f"{100 * cpu:+.0f} %",
                "-" if canary is None else f"{100 * canary:.0f} %",
                "-" if load is None else f"{load:.2f} CPU"]
        print(f"| {os.path.basename(path)} | {total} | {n} "
              f"({100 * n / max(total, 1):.0f} %) | " + " | ".join(show)
              + " |")


def main(argv):
    with_gaps = "--gaps" in argv
    paths = [a for a in argv if a not in ("--gaps", "--slow")]
    if not paths or ("--gaps" in argv and "--slow" in argv):
        print("usage: rep_noise.py [--gaps | --slow] FILE...",
              file=sys.stderr)
        return 2
    try:
        if "--slow" in argv:
            print_slow(paths)
            return 0
        print("| file | a repetition from its median (gmp_pow, logpow) |")
        print("|---|---:|")
        for path in paths:
            print(f"| {os.path.basename(path)} | {100 * noise(path):.1f} % |")
        if with_gaps:
            for path in paths:
                print(f"\n{os.path.basename(path)}: a pair's ratio from its "
                      "comparison's median, by the time between its two "
                      "repetitions\n")
                print("| repetitions apart | median distance |")
                print("|---|---:|")
                for low, high, d in gaps(path):
                    print(f"| {low:.1f} to {high:.1f} s | {100 * d:.1f} % |")
    except InputError as e:
        print(f"rep_noise.py: {e}", file=sys.stderr)
        return 2
    return 0
