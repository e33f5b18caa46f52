"""Whether a measurement depends on what ran before it in the same run
(issue 16 item 7): for the named benchmarks, the per-task median time of
each round of a suite run, of rounds 4 and on against round 1, and against
a run of them alone; and the driver's size (parent_rss_bytes,
parent_mapped_bytes) over the suite run's repetitions.

usage: history_check.py [--from N] SUITE.json ALONE.json NAME...
  --from N  the later rounds are N and on (default 4)
  NAME: a benchmark name without /manual_time, e.g.
  noop/process/tasks:16/workers:1 baseline/fork_exit_waitpid/tasks:16
Prints a markdown table; docs/results/verdicts-vm/README.md shows it.
"""

import sys
from collections import defaultdict

from concbench.load import InputError, load_paths
from concbench.stats import median


def per_task(path, names):
    """{name: {round: [seconds a task]}}, and every repetition's sizes."""
    result = load_paths([path])[0]
    found = defaultdict(lambda: defaultdict(list))
    sizes = []
    for bench in result.benches.values():
        tasks = bench.config.tasks if bench.config else None
        short = bench.name.removesuffix("/manual_time")
        for s, rep in zip(bench.samples, bench.reps):
            if "parent_rss_bytes" in rep:
                sizes.append((rep["parent_rss_bytes"],
                              rep["parent_mapped_bytes"]))
            if short in names:
                t = tasks or int(short.split("tasks:")[1].split("/")[0])
                found[short][int(rep.get("round", 1))].append(s / t)
    return found, sizes


def main(argv):
    start = 4
    if argv[:1] == ["--from"] and len(argv) > 1 and argv[1].isdigit():
        start, argv = int(argv[1]), argv[2:]
    if len(argv) < 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    suite, alone, names = argv[0], argv[1], argv[2:]
    try:
        ran, sizes = per_task(suite, names)
        solo, _ = per_task(alone, names)
    except InputError as e:
        print(f"history_check.py: {e}", file=sys.stderr)
        return 2
    print(f"| benchmark | round 1 | rounds {start} and on | alone | "
          f"{start}+ / round 1 | {start}+ / alone |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in names:
        rounds = ran.get(name, {})
        first = median(rounds.get(1, []))
        later = median([v for r, vs in rounds.items() if r >= start
                        for v in vs])
        by_itself = median([v for vs in solo.get(name, {}).values()
                            for v in vs])
        if None in (first, later, by_itself):
            print(f"| {name} | missing | | | | |")
            continue
        print(f"| {name} | {first * 1e6:.0f} us | {later * 1e6:.0f} us "
              f"| {by_itself * 1e6:.0f} us | {later / first:.2f} "
              f"| {later / by_itself:.2f} |")
    rounds_seen = sorted({r for name in names for r in ran.get(name, {})})
    if rounds_seen:
        print("\nEach round's median (us a task):\n")
        print("| benchmark | " + " | ".join(f"{r}" for r in rounds_seen)
              + " |")
        print("|---|" + "---:|" * len(rounds_seen))
        for name in names:
            rounds = ran.get(name, {})
            cells = [f"{median(rounds[r]) * 1e6:.0f}" if r in rounds else ""
                     for r in rounds_seen]
            print(f"| {name} | " + " | ".join(cells) + " |")
    if sizes:
        rss = [r for r, _ in sizes]
        mapped = [m for _, m in sizes]
        print(f"\nThe driver over the suite run's {len(sizes)} repetitions: "
              f"resident {min(rss) / 2**20:.1f} to {max(rss) / 2**20:.1f} "
              f"MiB, mapped {min(mapped) / 2**20:.0f} to "
              f"{max(mapped) / 2**20:.0f} MiB.")
    return 0
