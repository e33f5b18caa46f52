"""net_echo's real requests beside io_sleep's sleeps in the same run: the
table of docs/modes-and-kernels.md ("A real request"), from a kept run
(docs/results/net-echo/).

Per mode (in the file's order): the median batch time of io_sleep and of
net_echo, a net_echo task's CPU time (`task_cpu_s`, median of the
repetitions) and how many of its tasks ran at once (`peak_running`,
median).

usage: net_echo_table.py FILE.json
Prints a markdown table. Exit status: 0; 2 for a file that does not read,
holds no net_echo run, or holds a mode's kernel at more than one task or
worker count, or net_echo without io_sleep (one line on stderr).
"""

from concbench.cli import Missing, one_file_table
from concbench.speedups import concbench_runs
from concbench.stats import median


PROG = "net_echo_table.py"


def by_mode(result):
    """{mode: {kernel: Bench}} of the io_sleep and net_echo runs."""
    found = {}
    for config, bench in concbench_runs(result):
        if config.kernel not in ("io_sleep", "net_echo"):
            continue
        kernels = found.setdefault(config.mode, {})
        if config.kernel in kernels:
            raise Missing(f"{config.kernel} {config.mode}: more than one "
                          "run (one task and worker count a mode)")
        kernels[config.kernel] = bench
    return found


def counter(bench, name):
    values = bench.counters.get(name)
    if not values:
        raise Missing(f"{bench.name}: no counter '{name}'")
    return median(values)


def table(result):
    lines = ["| mode | io_sleep | net_echo | net_echo CPU a task "
             "| at once |", "|---|---|---|---|---|"]
    for mode, kernels in by_mode(result).items():
        if "net_echo" not in kernels:
            continue
        if "io_sleep" not in kernels:
            raise Missing(f"net_echo {mode}: no io_sleep run beside it")
        sleep, echo = kernels["io_sleep"], kernels["net_echo"]
        lines.append(f"| `{mode}` | {median(sleep.samples) * 1e3:.1f} ms "
                     f"| {median(echo.samples) * 1e3:.1f} ms "
                     f"| {counter(echo, 'task_cpu_s') * 1e6:.0f} us "
                     f"| {counter(echo, 'peak_running'):.0f} |")
    if len(lines) == 2:
        raise Missing("no net_echo run")
    return lines


def main(argv):
    return one_file_table(PROG, argv, table)
