#!/usr/bin/python3
"""How noisy a run's repetitions were: per file, the median distance of a
repetition's time from its benchmark's median (|log ratio|), for the
kernels that need a CPU; with --gaps, over the pairs of strategies of one
kernel and worker count measured in the same round, how far a pair's ratio
strayed from that comparison's median, by how far apart in time its two
repetitions started (in fifths of the pairs).

usage: rep_noise.py [--gaps] FILE...
Prints markdown tables (docs/results/isolation-vm/README.md shows them).
"""

import math
import os
import sys
from collections import defaultdict

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import cbresults as cb  # noqa: E402
from cbstats import median  # noqa: E402

KERNELS = ("gmp_pow", "logpow")


def runs_of(path):
    result = cb.load_paths([path])[0]
    return [(config, bench) for config, bench in cb.concbench_runs(result)
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
                kind, pairs = cb.pair_reps(a, b)
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


def main(argv):
    with_gaps = "--gaps" in argv
    paths = [a for a in argv if a != "--gaps"]
    if not paths:
        print("usage: rep_noise.py [--gaps] FILE...", file=sys.stderr)
        return 2
    try:
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
    except cb.InputError as e:
        print(f"rep_noise.py: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
