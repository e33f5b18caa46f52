"""What the parent's size costs each strategy: the tables of
docs/modes-and-kernels.md ("The parent's size: --parent-rss"), from a kept
run with several parent sizes (docs/results/parent-rss/).

For one kernel and worker count, a row per strategy (a mode and the
options its name shows, as compare names it): a task's share of the batch
time (batch time / tasks, the median over the repetitions) from a parent
of each size in the file, then each size against the smallest (0: the
suite's own parent) as the median of the ratios of the two runs measured
in the same round, so that the machine's drift between rounds cancels
out.  ``baselines`` instead of a kernel: the bare loops
(``baseline/<loop>/tasks:T[/parent_rss:S]``), a row per loop, each
operation's time.

usage: parent_rss_table.py KERNEL W FILE.json
       parent_rss_table.py baselines FILE.json
Prints a markdown table. Exit status: 0; 2 for a file that does not read,
or one with fewer than two parent sizes for that kernel and W (one line on
stderr).
"""

import re
import sys

from concbench.cli import Missing, print_lines
from concbench.load import load_paths, shown_path
from concbench.names import format_size, strategy_key
from concbench.pairing import pair_reps
from concbench.speedups import concbench_runs
from concbench.stats import median

PROG = "parent_rss_table.py"
BASELINE_RE = re.compile(r"baseline/(?P<loop>[^/]+)/tasks:(?P<tasks>[0-9]+)"
                         r"(?:/parent_rss:(?P<size>[0-9]+[KMG]?))?"
                         r"/manual_time")
UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def size_bytes(text):
    if not text:
        return 0
    unit = text[-1] if text[-1] in "KMG" else ""
    return int(text[:len(text) - len(unit)]) * UNITS[unit]


def strategy_runs(result, kernel, workers):
    """{row name: {parent size: (Bench, tasks)}}, rows in the suite's
    order."""
    found = {}
    configs = {}
    for config, bench in concbench_runs(result):
        if config.kernel != kernel or config.workers != workers or \
                config.payload:
            continue
        found.setdefault(config.strategy, {})[config.parent_rss] = \
            (bench, config.tasks)
        configs.setdefault(config.strategy, config)
    order = sorted(found, key=lambda s: strategy_key(
        configs[s], result.mode_order))
    return {f"`{s}`": found[s] for s in order}


def baseline_runs(result):
    """{row name: {parent size: (Bench, tasks)}} of the bare loops."""
    found = {}
    for name, bench in result.benches.items():
        m = BASELINE_RE.fullmatch(name)
        if m and bench.ok:
            found.setdefault(f"`{m['loop']}`", {})[size_bytes(m["size"])] = \
                (bench, int(m["tasks"]))
    return found


def per_task(bench, tasks):
    return median(bench.samples) / tasks


def paired_ratio(bench, base):
    """The median of bench / base over the repetitions of one round."""
    _, pairs = pair_reps(bench, base)
    if not pairs:
        raise Missing(f"{bench.name}: no repetition paired with "
                      f"{base.name}'s")
    return median([bench.samples[i] / base.samples[j] for i, j in pairs])


def time_text(seconds):
    ms = seconds * 1e3
    return f"{ms:.1f} ms" if ms >= 10 else f"{ms:.3f} ms" if ms < 1 \
        else f"{ms:.2f} ms"


def table(result, rows):
    sizes = sorted({s for by_size in rows.values() for s in by_size})
    if len(sizes) < 2:
        raise Missing(f"{len(sizes)} parent sizes, not two or more")
    names = [format_size(s) for s in sizes]
    lines = ["| strategy | " + " | ".join(f"parent {n}" for n in names)
             + " | " + " | ".join(f"{n} / {names[0]}" for n in names[1:])
             + " |",
             "|---|" + "---:|" * (2 * len(sizes) - 1)]
    for row, by_size in rows.items():
        if any(s not in by_size for s in sizes):
            continue   # a strategy not run at every size (serial at W > 1)
        cells = [time_text(per_task(*by_size[s])) for s in sizes]
        base = by_size[sizes[0]][0]
        cells += [f"{paired_ratio(by_size[s][0], base):.2f}x"
                  for s in sizes[1:]]
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    if len(lines) == 2:
        raise Missing("no strategy ran at every parent size")
    return lines


def main(argv):
    if len(argv) == 2 and argv[0] == "baselines":
        path, pick = argv[1], baseline_runs
    elif len(argv) == 3 and argv[1].isdigit() and not argv[0].startswith("-"):
        kernel, workers, path = argv[0], int(argv[1]), argv[2]
        def pick(result):
            return strategy_runs(result, kernel, workers)
    else:
        print(f"usage: {PROG} KERNEL W FILE.json\n"
              f"       {PROG} baselines FILE.json", file=sys.stderr)
        return 2

    def lines():
        [result] = load_paths([path])
        return table(result, pick(result))
    return print_lines(PROG, lines, shown_path(path))
