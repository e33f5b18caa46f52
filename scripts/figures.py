#!/usr/bin/python3
"""The figures that the prose of README.md and docs/ quotes, each computed
from the kept files its definition names.

A sentence quotes a figure as

    ... took <!-- figures.py mpi-pool-seconds -->174 s<!-- end --> in all ...

and scripts/docs fills the value in from what this program prints; its
--check (the `docs` test) fails when a kept file no longer gives the value
the page shows, so a figure in a sentence is checked like a table. A figure
that is not here or in a generated table has no kept source: rerun it and
keep the file, or leave it out (issue 18).

A figure's files are Google Benchmark JSON read by concbench.load, or, for
the few kept files of other programs (scripts/python-original, scripts/ab,
the paired old/new ratios), plain JSON.

usage: figures.py NAME     print the figure (one line)
       figures.py --all    every figure that reads, NAME<TAB>VALUE a line,
                           each kept file read once (scripts/docs)
       figures.py --list   every figure, its files and what it is
Exit status: 0; 2 for an unknown name or a file that does not read.
"""

import importlib
import itertools
import json
import math
import os
import sys
from collections import namedtuple

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from concbench import analysis, pairing, speedups  # noqa: E402
from concbench import load as results  # noqa: E402
from concbench.stats import geomean, median  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))

Figure = namedtuple("Figure", "name paths what compute")


class Missing(Exception):
    """The kept file lacks what a figure reads."""

FIGURES = {}


def figure(name, paths, what):
    """Registers compute(file, ...) -> text as the figure NAME of paths (a
    path or a tuple of them, given to compute in that order, read by
    load)."""
    paths = (paths,) if isinstance(paths, str) else tuple(paths)

    def register(compute):
        assert name not in FIGURES, name
        FIGURES[name] = Figure(name, paths, what, compute)
        return compute
    return register


# The kept files that are not Google Benchmark output: read as plain JSON.
PLAIN_JSON = set()


def plain(path):
    PLAIN_JSON.add(path)
    return path


def load(path):
    """A kept file: a concbench.load Result, or for a file of PLAIN_JSON what
    it holds."""
    full = os.path.join(ROOT, path)
    if path not in PLAIN_JSON:
        return results.load(full, path)
    try:
        with open(full, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise Missing(f"{path}: {e}")


def script(name):
    """A module of the package (the programs overhead and plot, whose
    entry points are scripts/overhead and scripts/plot; formats)."""
    return importlib.import_module(f"concbench.{name}")


# ------------------------------------------------------------ formatting

def span(values, fmt, unit=""):
    """"lo to hi UNIT" of values as fmt shows them; one value when both
    ends show alike."""
    lo, hi = fmt % min(values), fmt % max(values)
    return (lo if lo == hi else f"{lo} to {hi}") + unit


def both(a, b, fmt, unit=""):
    """"a and b UNIT"."""
    return f"{fmt % a} and {fmt % b}{unit}"


def over(ratio, fmt="%.0f"):
    """A ratio above 1 as the percentage it is over: 1.094 -> "9 %"."""
    return f"{fmt % (100 * (ratio - 1))} %"


def share(ratio, fmt="%.1f"):
    """A ratio as a percentage: 0.085 -> "8.5 %"."""
    return f"{fmt % (100 * ratio)} %"


def ms(seconds, fmt="%.1f"):
    return f"{fmt % (seconds * 1e3)} ms"


def us(seconds, fmt="%.0f"):
    return f"{fmt % (seconds * 1e6)} us"


def count_of(k, n):
    return f"{k} of {n}"


# -------------------------------------------- Google Benchmark files

def bench(result, name):
    """The run called name (Google Benchmark's run_name) in result."""
    try:
        return result.benches[name]
    except KeyError:
        raise Missing(f"{result.path}: no run '{name}'")


def run(result, kernel, mode, **fields):
    """The one valid concbench run of kernel and mode in result whose
    Config has the given fields (workers=2, payload=0, transport="shm")."""
    found = [b for c, b in speedups.concbench_runs(result)
             if (c.kernel, c.mode) == (kernel, mode)
             and all(getattr(c, k) == v for k, v in fields.items())]
    if len(found) != 1:
        raise Missing(f"{result.path}: {len(found)} runs of {kernel} "
                      f"{mode} {fields}, not one")
    return found[0]


def runs(result, **fields):
    """[(Config, Bench)] of result's valid concbench runs with fields."""
    return [(c, b) for c, b in speedups.concbench_runs(result)
            if all(getattr(c, k) == v for k, v in fields.items())]


def batch(result, kernel, mode, **fields):
    """Median batch time, seconds."""
    return median(run(result, kernel, mode, **fields).samples)


def per_task(result, kernel, mode, **fields):
    """Median batch time over the batch's tasks, seconds."""
    b = run(result, kernel, mode, **fields)
    return median(b.samples) / b.config.tasks


def median_counter(result, name, counter):
    """The median over name's repetitions of one of its counters."""
    values = bench(result, name).counters.get(counter)
    if not values:
        raise Missing(f"{result.path}: '{name}' has no counter "
                      f"'{counter}'")
    return median(values)


def run_counter(b, counter):
    """The median of a run's counter over its repetitions."""
    values = b.counters.get(counter)
    if not values:
        raise Missing(f"'{b.name}' has no counter '{counter}'")
    return median(values)


def baseline(result, loop):
    """Median time of a baseline loop, a task (seconds)."""
    name = f"baseline/{loop}/tasks:16/manual_time"
    return median(bench(result, name).samples) / 16


def reps(result):
    """Every repetition's counters in result."""
    return [rep for b in result.benches.values() for rep in b.reps]


def summary(result):
    """What compare computes for result (concbench.analysis.summarize)."""
    return analysis.summarize(0, result, analysis.DEFAULT_ALPHA)


def verdict(result, kernel, workers):
    """The verdict row of kernel at workers (summary's "best")."""
    for row in summary(result)["best"]:
        if (row["kernel"], row["workers"]) == (kernel, workers):
            return row
    raise Missing(f"{result.path}: no verdict for {kernel} at W={workers}")


def seconds_measured(result):
    """(seconds from the first repetition's start to the last's end,
    seconds inside the repetitions, repetitions)."""
    all_reps = [r for r in reps(result) if "t_end_s" in r]
    if not all_reps:
        raise Missing(f"{result.path}: no t_start_s, t_end_s")
    run_s = (max(r["t_end_s"] for r in all_reps)
             - min(r["t_start_s"] for r in all_reps))
    inside = sum(r["t_end_s"] - r["t_start_s"] for r in all_reps)
    return run_s, inside, len(all_reps)


def mode_seconds(result, mode):
    """Seconds the repetitions of mode's runs took, each from its start
    to its end (Google Benchmark's calls of it, set-up included)."""
    return sum(rep["t_end_s"] - rep["t_start_s"]
               for c, b in speedups.concbench_runs(result) if c.mode == mode
               for rep in b.reps)


def rounds_text(result):
    """"6 rounds, no extra round" or "5 rounds, 11 extra"."""
    steady = summary(result)["steadiness"]
    extra = steady["extra_rounds"]
    return (f"{steady['rounds']} rounds, "
            + (f"{extra} extra" if extra else "no extra round"))


# ---------------------------------------------------- scripts/overhead

def overhead(result):
    """{what: (per task, reference, ratio, target)} of scripts/overhead's
    checks of result (those whose runs it has)."""
    return {what: (per, ref, ratio, target) for what, _, per, ref, ratio,
            target in script("overhead").measure(result)
            if ratio is not None}


def overhead_ratio(result, what):
    try:
        return overhead(result)[what][2]
    except KeyError:
        raise Missing(f"{result.path}: no check '{what}'")


def pool_checks(result):
    """[(pool, W, ratio, target)] of the pools' checks."""
    found = []
    for what, (_, _, ratio, target) in overhead(result).items():
        if " noop vs thread noop, W=" in what:
            pool = what.split()[0]
            found.append((pool, int(what.rsplit("=", 1)[1]), ratio, target))
    if not found:
        raise Missing(f"{result.path}: no pool checks")
    return found


def pools_met(result):
    """Where the pools' target is met: "W=1 (thread_pool, process_pool)
    and W=16 (process_pool)", or "none"."""
    met = {}
    for pool, w, ratio, target in pool_checks(result):
        if ratio <= target:
            met.setdefault(w, []).append(pool)
    if not met:
        return "none"
    parts = [f"W={w} ({', '.join(pools)})" for w, pools in sorted(met.items())]
    return " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1
                        else parts)


def serial_within(result):
    """How far serial gmp_pow and logpow are from their bare loops, at
    most."""
    return max(abs(overhead_ratio(result, f"serial {k} vs bare loop") - 1)
               for k in ("gmp_pow", "logpow"))


def io_sleep_check(result):
    for what, (_, _, ratio, _) in overhead(result).items():
        if what.startswith("thread io_sleep W=T"):
            return ratio
    raise Missing(f"{result.path}: no io_sleep check")


# ----------------------------------------------- plain JSON files

def python_result(doc, task, method):
    """A result of scripts/python-original's JSON."""
    for r in doc.get("results", []):
        if (r.get("task"), r.get("method")) == (task, method):
            return r
    raise Missing(f"python-original: no {method!r} for {task!r}")


def py_seconds(doc, task, method):
    """A python-original result's median, seconds."""
    return python_result(doc, task, method)["median_ms"] / 1e3


def pairs_of(doc, name):
    """The ratios new / old of one benchmark (paired old/new JSON)."""
    try:
        return doc[name]
    except KeyError:
        raise Missing(f"no benchmark '{name}'")


def ab_ratios(doc):
    """{name: [B / A of each pair]} of scripts/ab's --out JSON."""
    return {name: [b / a for a, b in zip(t["a"], t["b"])]
            for name, t in doc.get("times_s", {}).items()}


def shown_name(name):
    """"noop/thread_pool/tasks:16/workers:4..." -> "`thread_pool`, 4
    workers"."""
    parts = name.split("/")
    workers = int(parts[3].split(":")[1])
    return f"`{parts[1]}`, {workers} worker{'s' if workers > 1 else ''}"


# ============================================================ the figures

# ----------------------------------------- docs/results/verdicts-vm/run-1
RUN1 = "docs/results/verdicts-vm/run-1.json"


def io_sleep_pairs(result):
    """thread_pool's time / async's of each round at io_sleep W=16."""
    a = run(result, "io_sleep", "async", workers=16)
    b = run(result, "io_sleep", "thread_pool", workers=16)
    _, pairs = pairing.pair_reps(b, a)
    return [b.samples[i] / a.samples[j] for i, j in pairs]


@figure("run1-io-sleep-tie", RUN1,
        "how many strategies tie at io_sleep W=16")
def _(result):
    return str(len(verdict(result, "io_sleep", 16)["tie"]))


@figure("run1-io-sleep-thread-pool-over-async", RUN1,
        "thread_pool slower than async at io_sleep W=16 (the verdict's "
        "paired ratio)")
def _(result):
    row = verdict(result, "io_sleep", 16)
    if row["strategy"] != "async":
        raise Missing(f"{result.path}: async is not the fastest")
    other = next(o for o in row["others"] if o["strategy"] == "thread_pool")
    return over(other["ratio"], "%.2f")


@figure("run1-io-sleep-thread-pool-slower-rounds", RUN1,
        "rounds in which thread_pool was slower than async, io_sleep W=16")
def _(result):
    ratios = io_sleep_pairs(result)
    return count_of(sum(r > 1 for r in ratios), len(ratios))


@figure("run1-io-sleep-thread-pool-p", RUN1,
        "one-sided signed-rank p of thread_pool slower than async, "
        "io_sleep W=16")
def _(result):
    from scipy.stats import wilcoxon
    logs = [math.log(r) for r in io_sleep_pairs(result)]
    return "%.3f" % wilcoxon(logs, alternative="greater").pvalue


@figure("run1-gmp-pow-process-cost", RUN1,
        "what process costs against gmp_pow's answer, as compare prints it")
def _(result):
    for kernel in summary(result)["answer"]["kernels"]:
        if kernel["kernel"] == "gmp_pow":
            for alt in kernel["alternatives"]:
                if alt["strategy"] == "process":
                    return "process " + script("formats").ratio_text(
                        1 + alt["cost"])
    raise Missing(f"{result.path}: no cost of process for gmp_pow")


@figure("run1-canary-range", RUN1,
        "the canary's lowest and highest rate against its median")
def _(result):
    speed = summary(result)["steadiness"]["machine_speed"]
    return f"{speed['min']:.2f} to {speed['max']:.2f}"


@figure("run1-plot-size", RUN1,
        "the runs and panels plot draws of a full suite run")
def _(result):
    runs_n, panels = script("plot").drawn_size([result])
    return f"{runs_n} runs in {panels} panels"


# ------------------------------------------------ docs/results/mpi-pool/
MPI = "docs/results/mpi-pool/mpi-pool-vm.json"


@figure("mpi-pool-start", MPI,
        "mpi_pool's start, medians of its runs (lowest to highest)")
def _(result):
    starts = [row["pool_start_s"] for row in summary(result)["dispatch"]
              if row["mode"] == "mpi_pool"]
    if not starts:
        raise Missing(f"{result.path}: no mpi_pool start")
    return span(starts, "%.2f", " s")


@figure("mpi-pool-seconds", MPI,
        "seconds mpi_pool's repetitions took, from start to end, in all")
def _(result):
    return "%.0f s" % mode_seconds(result, "mpi_pool")


@figure("mpi-pool-process-pool-seconds", MPI,
        "seconds process_pool's repetitions took, from start to end, in all")
def _(result):
    return "%.0f s" % mode_seconds(result, "process_pool")


@figure("mpi-pool-seconds-ratio", MPI,
        "mpi_pool's repetitions' seconds over process_pool's")
def _(result):
    return "%.1f" % (mode_seconds(result, "mpi_pool")
                     / mode_seconds(result, "process_pool"))


@figure("mpi-pool-extra-w1", MPI,
        "what a task costs mpi_pool beyond process_pool with one worker, "
        "over the kernels")
def _(result):
    return span([row["extra_per_task_s"] * 1e6
                 for row in summary(result)["dispatch"]
                 if row["mode"] == "mpi_pool" and row["workers"] == 1],
                "%.0f", " us")


@figure("mpi-pool-gmp-pow-batch", MPI,
        "process_pool's gmp_pow batch with one worker (median)")
def _(result):
    return ms(batch(result, "gmp_pow", "process_pool", workers=1))


@figure("mpi-pool-gmp-pow-task", MPI,
        "process_pool's gmp_pow batch with one worker over its tasks")
def _(result):
    return ms(per_task(result, "gmp_pow", "process_pool", workers=1), "%.2f")


@figure("mpi-pool-gmp-pow-cost", MPI,
        "mpi_pool's gmp_pow batch over process_pool's, one worker")
def _(result):
    return over(batch(result, "gmp_pow", "mpi_pool", workers=1)
                / batch(result, "gmp_pow", "process_pool", workers=1), "%.1f")


@figure("mpi-pool-gmp-pow-polling", MPI,
        "mpi_pool's gmp_pow batch beyond process_pool's, 2 and 4 workers")
def _(result):
    return span([1e3 * (batch(result, "gmp_pow", "mpi_pool", workers=w)
                        - batch(result, "gmp_pow", "process_pool", workers=w))
                 for w in (2, 4)], "%.1f", " ms")


@figure("mpi-pool-other-cpus", MPI,
        "the most CPU other processes used beside a repetition")
def _(result):
    return "%.2f" % summary(result)["steadiness"]["other_cpus"]["max"]


@figure("mpi-pool-rows-marked", MPI, "rows marked, of all rows")
def _(result):
    steady = summary(result)["steadiness"]
    return count_of(steady["rows_flagged"], steady["rows"])


# ------------------------- docs/results/mpi-pool/lifetime-*: issue 19
LIFE_BEFORE = "docs/results/mpi-pool/lifetime-before.json"
LIFE_AFTER = "docs/results/mpi-pool/lifetime-after.json"
SUITE_RUN = "docs/results/verdicts-vm/run-4.json"
DEFAULT_MPI_BENCHMARKS = 4 * 5   # the default kernels x W = 1, 2, 4, 8, 16
DEFAULT_ROUNDS = 5               # meson's repetitions option


def mode_reps(result, mode, kernel=None, workers=None):
    """Every repetition's seconds, start to end, of mode's runs."""
    return [rep["t_end_s"] - rep["t_start_s"]
            for c, b in speedups.concbench_runs(result)
            if c.mode == mode and kernel in (None, c.kernel)
            and workers in (None, c.workers)
            for rep in b.reps]


for _name, _path, _when in (("before", LIFE_BEFORE, "a pool a call"),
                            ("after", LIFE_AFTER, "a pool a repetition")):
    @figure(f"lifetime-mpi-seconds-{_name}", _path,
            f"seconds mpi_pool's repetitions took in all, {_when}")
    def _(result):
        return "%.0f s" % sum(mode_reps(result, "mpi_pool"))

    @figure(f"lifetime-run-seconds-{_name}", _path,
            f"the whole run's seconds, {_when}")
    def _(result):
        return "%.0f s" % seconds_measured(result)[0]

    @figure(f"lifetime-noop-rep-{_name}", _path,
            f"mpi_pool's noop repetition at W = 1, median, {_when}")
    def _(result):
        return "%.1f s" % median(mode_reps(result, "mpi_pool", "noop", 1))


@figure("lifetime-mpi-share", (LIFE_BEFORE, LIFE_AFTER),
        "mpi_pool's repetitions' seconds, a pool a repetition over a pool "
        "a call")
def _(before, after):
    return share(sum(mode_reps(after, "mpi_pool"))
                 / sum(mode_reps(before, "mpi_pool")), "%.0f")


@figure("lifetime-mpi-rep-mean", LIFE_AFTER,
        "mpi_pool's mean repetition, a pool a repetition (W = 1, 2, 4)")
def _(result):
    reps_s = mode_reps(result, "mpi_pool")
    return "%.1f s" % (sum(reps_s) / len(reps_s))


@figure("lifetime-default-suite-extra", LIFE_AFTER,
        "what mpi_pool would add to the default suite's fixed rounds: its "
        "20 benchmarks x 5 rounds x its mean repetition at W = 1, 2, 4 "
        "(more at 8 and 16: more workers to start)")
def _(result):
    reps_s = mode_reps(result, "mpi_pool")
    return "%.0f s" % (DEFAULT_MPI_BENCHMARKS * DEFAULT_ROUNDS
                       * sum(reps_s) / len(reps_s))


@figure("suite-fixed-rounds-seconds", SUITE_RUN,
        "the default suite's 5 fixed rounds, from the run's start")
def _(result):
    ends = [r["t_end_s"] for r in reps(result)
            if "t_end_s" in r and r.get("round", 0) <= DEFAULT_ROUNDS]
    if not ends:
        raise Missing(f"{result.path}: no rounds")
    return "%.0f s" % max(ends)


# ------------------------------------------------ docs/results/net-echo/
NET = "docs/results/net-echo/net-echo-16-vm.json"


def concurrent_modes(result):
    return [c.mode for c, _ in runs(result, kernel="net_echo")
            if c.workers > 1]


@figure("net-echo-over-io-sleep", NET,
        "net_echo's batch beyond io_sleep's, the concurrent modes (W=16)")
def _(result):
    return span([1e3 * (batch(result, "net_echo", m)
                        - batch(result, "io_sleep", m))
                 for m in concurrent_modes(result)], "%.1f", " ms")


@figure("net-echo-cpu", NET,
        "a net_echo task's CPU time (median), the concurrent modes")
def _(result):
    return span([1e6 * run_counter(run(result, "net_echo", m), "task_cpu_s")
                 for m in concurrent_modes(result)], "%.0f", " us")


@figure("net-echo-spawn-start", NET,
        "spawn's io_sleep batch beyond one sleep (--io-ms)")
def _(result):
    io_ms = float(result.context["io_ms"])
    return "%.0f ms" % (batch(result, "io_sleep", "spawn") * 1e3 - io_ms)


# ------------------------------------------------ docs/results/io-uring/
URING = {16: "docs/results/io-uring/io-uring-16-vm.json",
         256: "docs/results/io-uring/io-uring-256-vm.json"}


def register_io_uring(t):
    """The figures of the io_uring run at T = W = t."""
    @figure(f"io-uring-{t}-cpu", URING[t],
            f"a net_echo task's CPU time (median), io_uring's and async's "
            f"(T = W = {t})")
    def _(result):
        return both(*[1e6 * run_counter(run(result, "net_echo", m),
                                        "task_cpu_s")
                      for m in ("io_uring", "async")], "%.0f", " us")

    @figure(f"io-uring-{t}-echo-over-sleep", URING[t],
            f"net_echo's batch beyond io_sleep's, every mode (T = W = {t})")
    def _(result):
        return span([1e3 * (batch(result, "net_echo", c.mode)
                            - batch(result, "io_sleep", c.mode))
                     for c, _ in runs(result, kernel="net_echo")],
                    "%.1f", " ms")

    @figure(f"io-uring-{t}-verdicts", URING[t],
            f"the verdicts of io_sleep and net_echo (T = W = {t})")
    def _(result):
        return both(*[verdict(result, k, t)["verdict"]
                      for k in ("io_sleep", "net_echo")], "%s")

    @figure(f"io-uring-{t}-other-cpus", URING[t],
            f"the CPUs other processes used beside a repetition, median "
            f"(T = W = {t})")
    def _(result):
        return "%.2f" % summary(result)["steadiness"]["other_cpus"]["median"]


for _t in URING:
    register_io_uring(_t)


# -------------------------------------------------- docs/results/payload/
PAYLOAD_SHM = "docs/results/payload/payload-16M-2-shm-vm.json"
PAYLOADS = tuple(f"docs/results/payload/payload-16M-{k}-{t}-vm.json"
                 for k, t in ((1, "pipe"), (2, "shm"), (3, "shm"),
                              (4, "pipe"), (5, "pipe"), (6, "shm")))
M16 = 16 << 20


def payload_task(results, mode, transport=None, payload=M16):
    """The median of a task's share of the batch time over every
    repetition of mode in the files (pooled, as the page's table)."""
    shares = []
    for result in results:
        for c, b in runs(result, kernel="noop", mode=mode, payload=payload,
                         transport=transport):
            shares += [s / c.tasks for s in b.samples]
    if not shares:
        raise Missing(f"payload files: no {mode} {transport} {payload}")
    return median(shares)


@figure("payload-faults-process-shm", PAYLOAD_SHM,
        "page faults a task, process with shm, 16 MiB each way (median)")
def _(result):
    return "%.0f" % median_counter(
        result, "noop/process/tasks:16/workers:1/transport:shm/"
        "payload:16M/manual_time", "faults_per_task")


@figure("payload-faults-process-pool-shm", PAYLOAD_SHM,
        "page faults a task, process_pool with shm, 16 MiB each way "
        "(median)")
def _(result):
    return "%.0f" % median_counter(
        result, "noop/process_pool/tasks:16/workers:1/transport:shm/"
        "payload:16M/manual_time", "faults_per_task")


@figure("payload-threads", PAYLOADS,
        "a task's time with 16 MiB each way, thread and thread_pool")
def _(*results):
    return span([1e3 * payload_task(results, m)
                 for m in ("thread", "thread_pool")], "%.2f", " ms")


@figure("payload-pipe-over-thread", PAYLOADS,
        "a task's time through pipes over thread's, the process modes, "
        "16 MiB")
def _(*results):
    thread = payload_task(results, "thread")
    return span([payload_task(results, m) / thread for m in
                 ("process", "process_pool", "spawn", "forkserver")], "%.0f")


@figure("payload-fresh-shm", PAYLOADS,
        "a task's time with shm, process, spawn and forkserver, 16 MiB")
def _(*results):
    return span([1e3 * payload_task(results, m, "shm")
                 for m in ("process", "spawn", "forkserver")], "%.1f", " ms")


@figure("payload-thread", PAYLOADS, "a task's time, thread, 16 MiB")
def _(*results):
    return ms(payload_task(results, "thread"), "%.2f")


@figure("payload-process-pipe", PAYLOADS,
        "a task's time, process through pipes, 16 MiB")
def _(*results):
    return ms(payload_task(results, "process"), "%.2f")


@figure("payload-process-shm", PAYLOADS,
        "a task's time, process with shm, 16 MiB")
def _(*results):
    return ms(payload_task(results, "process", "shm"), "%.2f")


@figure("payload-process-pool-pipe", PAYLOADS,
        "a task's time, process_pool through pipes, 16 MiB")
def _(*results):
    return ms(payload_task(results, "process_pool"), "%.2f")


@figure("payload-process-pool-shm", PAYLOADS,
        "a task's time, process_pool with shm, 16 MiB")
def _(*results):
    return ms(payload_task(results, "process_pool", "shm"), "%.2f")


# ------------------------------------------ docs/results/c-beside-python/
PY1 = plain("docs/results/c-beside-python/python-original-vm.json")
C1 = "docs/results/c-beside-python/c-beside-python-vm.json"
PY2 = plain("docs/results/c-beside-python/python-original-note2-vm.json")
C2 = "docs/results/c-beside-python/c-beside-python-note2-vm.json"
SLEEP, POW = "I/O-bound (sleep)", "CPU-bound (99999**99999)"


def py_start(doc, method):
    """What a process of method adds to the sleeps' batch over threading,
    a task."""
    return ((py_seconds(doc, SLEEP, method)
             - py_seconds(doc, SLEEP, "threading")) / doc["tasks"])


def c_start(result, mode):
    """What a process of mode adds to io_sleep's batch over thread, a
    task."""
    b = run(result, "io_sleep", mode)
    return ((median(b.samples) - batch(result, "io_sleep", "thread"))
            / b.config.tasks)


@figure("py1-start-fork", PY1,
        "Python: a fork process's start, a task (the sleeps' batch over "
        "threading's)")
def _(doc):
    return ms(py_start(doc, "multiprocessing:fork"), "%.0f")


@figure("py1-start-spawn-forkserver", PY1,
        "Python: a spawn and a forkserver process's start, a task")
def _(doc):
    return span([1e3 * py_start(doc, f"multiprocessing:{m}")
                 for m in ("spawn", "forkserver")], "%.0f", " ms")


@figure("c1-start-process", C1,
        "C: process's start, a task (io_sleep's batch over thread's)")
def _(result):
    return ms(c_start(result, "process"))


@figure("c1-start-spawn", C1, "C: spawn's start, a task")
def _(result):
    return ms(c_start(result, "spawn"))


@figure("py1-pow-threading", PY1, "Python: 99999**99999 with threads")
def _(doc):
    return ms(py_seconds(doc, POW, "threading"), "%.0f")


@figure("py1-pow-direct", PY1, "Python: 99999**99999 run directly")
def _(doc):
    return ms(py_seconds(doc, POW, "direct"), "%.0f")


@figure("py1-pow-fork", PY1, "Python: 99999**99999, a fork process each")
def _(doc):
    return ms(py_seconds(doc, POW, "multiprocessing:fork"), "%.0f")


@figure("py1-pow-task", PY1, "Python: one 99999**99999 task, run directly")
def _(doc):
    return ms(py_seconds(doc, POW, "direct") / doc["tasks"], "%.0f")


@figure("c1-gmp-pow-serial", C1, "C: gmp_pow's batch in serial (median)")
def _(result):
    return ms(batch(result, "gmp_pow", "serial"))


@figure("c1-gmp-pow-gil", C1, "C: gmp_pow's batch in gil (median)")
def _(result):
    return ms(batch(result, "gmp_pow", "gil"))


@figure("c1-gmp-pow-thread", C1, "C: gmp_pow's batch in thread (median)")
def _(result):
    return ms(batch(result, "gmp_pow", "thread"))


@figure("c1-gmp-pow-thread-speedup", C1,
        "C: gmp_pow's serial batch over thread's")
def _(result):
    return "%.1fx" % (batch(result, "gmp_pow", "serial")
                      / batch(result, "gmp_pow", "thread"))


@figure("c1-logpow-serial", C1, "C: logpow's batch in serial (median)")
def _(result):
    return ms(batch(result, "logpow", "serial"))


@figure("c1-logpow-gil", C1, "C: logpow's batch in gil (median)")
def _(result):
    return ms(batch(result, "logpow", "gil"))


@figure("c1-logpow-thread", C1, "C: logpow's batch in thread (median)")
def _(result):
    return ms(batch(result, "logpow", "thread"))


@figure("c1-logpow-thread-speedup", C1,
        "C: logpow's serial batch over thread's")
def _(result):
    return "%.1fx" % (batch(result, "logpow", "serial")
                      / batch(result, "logpow", "thread"))


@figure("c1-gmp-pow-task", C1, "C: one gmp_pow task, serial")
def _(result):
    return ms(per_task(result, "gmp_pow", "serial"))


@figure("c1-logpow-process-saves", C1,
        "C: the time process saves against serial for logpow")
def _(result):
    return share(1 - batch(result, "logpow", "process")
                 / batch(result, "logpow", "serial"), "%.0f")


@figure("py2-pool-shape", PY2,
        "the workers and chunk size Python's Pool recorded")
def _(doc):
    r = python_result(doc, "cpu_costly", "Pool:fork")
    return f"`workers` {r['workers']} and `chunksize` {r['chunksize']}"


@figure("c2-io-gil", C2, "C: the ten sleeps in gil (median)")
def _(result):
    return "%.2f s" % batch(result, "io_sleep", "gil")


@figure("c2-logpow-process-pool-share", C2,
        "C: process_pool's logpow batch over serial's")
def _(result):
    return "%.2f" % (batch(result, "logpow", "process_pool")
                     / batch(result, "logpow", "serial"))


@figure("c2-logpow-thread-pool-share", C2,
        "C: thread_pool's logpow batch over serial's")
def _(result):
    return "%.2f" % (batch(result, "logpow", "thread_pool")
                     / batch(result, "logpow", "serial"))


@figure("c2-logpow-gil", C2, "C: logpow's batch in gil (median)")
def _(result):
    return ms(batch(result, "logpow", "gil"))


@figure("c2-logpow-serial", C2, "C: logpow's batch in serial (median)")
def _(result):
    return ms(batch(result, "logpow", "serial"))


@figure("py2-cpu-pool-share", PY2, "Python: Pool's cpu_costly over map's")
def _(doc):
    return "%.2f" % (py_seconds(doc, "cpu_costly", "Pool:fork")
                     / py_seconds(doc, "cpu_costly", "map"))


@figure("py2-cpu-threadpool", PY2, "Python: cpu_costly with ThreadPool")
def _(doc):
    return "%.2f s" % py_seconds(doc, "cpu_costly", "ThreadPool")


@figure("py2-cpu-map", PY2, "Python: cpu_costly with map")
def _(doc):
    return "%.2f s" % py_seconds(doc, "cpu_costly", "map")


@figure("py2-cpu-task", PY2, "Python: one cpu_costly task, with map")
def _(doc):
    return "%.2f s" % (py_seconds(doc, "cpu_costly", "map") / doc["tasks"])


@figure("c2-logpow-task-cpu", C2, "C: a logpow task's CPU time, serial")
def _(result):
    return ms(run_counter(run(result, "logpow", "serial"), "task_cpu_s"))


@figure("py2-over-c2-task", (PY2, C2),
        "one cpu_costly task's time over a logpow task's CPU time")
def _(doc, result):
    return "%.0f" % (py_seconds(doc, "cpu_costly", "map") / doc["tasks"]
                     / run_counter(run(result, "logpow", "serial"),
                                   "task_cpu_s"))


def c2_other_max(result):
    return max(r["other_cpus"] for r in reps(result) if "other_cpus" in r)


def py2_runs(doc):
    """[(result, time s, other_cpus)] of every Python run."""
    return [(r, t / 1e3, o) for r in doc["results"]
            for t, o in zip(r["times_ms"], r["other_cpus"])]


@figure("c2-other-cpus", C2,
        "the most CPU other processes used beside a concbench repetition")
def _(result):
    return "%.2f" % c2_other_max(result)


@figure("py2-busy-range", (PY2, C2),
        "other processes' CPU in the Python runs that had more than "
        "concbench's most")
def _(doc, result):
    limit = c2_other_max(result)
    return span([o for _, _, o in py2_runs(doc) if o > limit], "%.2f")


@figure("py2-busy-runs", (PY2, C2),
        "Python runs with more other processes' CPU than concbench's most")
def _(doc, result):
    limit = c2_other_max(result)
    found = py2_runs(doc)
    return f"{sum(o > limit for _, _, o in found)} of the {len(found)}"


def py2_quiet(doc, result, method):
    limit = c2_other_max(result)
    times = [t for r, t, o in py2_runs(doc)
             if (r["task"], r["method"]) == ("cpu_costly", method)
             and o <= limit]
    if not times:
        raise Missing(f"no quiet {method} run")
    return times


@figure("py2-cpu-map-quiet", (PY2, C2),
        "Python's cpu_costly map runs without more other work than "
        "concbench had")
def _(doc, result):
    return " and ".join("%.2f" % t for t in py2_quiet(doc, result, "map")) \
        + " s"


@figure("py2-cpu-threadpool-quiet", (PY2, C2),
        "Python's cpu_costly ThreadPool runs without more other work than "
        "concbench had")
def _(doc, result):
    return " and ".join("%.2f" % t for t in
                        py2_quiet(doc, result, "ThreadPool")) + " s"


@figure("py2-cpu-pool-quiet", (PY2, C2),
        "Python's cpu_costly Pool runs without more other work than "
        "concbench had")
def _(doc, result):
    return " and ".join("%.2f" % t for t in
                        py2_quiet(doc, result, "Pool:fork")) + " s"


@figure("py2-cpu-pool-quiet-share", (PY2, C2),
        "that Pool run over map's median")
def _(doc, result):
    return "%.2f" % (min(py2_quiet(doc, result, "Pool:fork"))
                     / py_seconds(doc, "cpu_costly", "map"))


@figure("c2-logpow-round2-slow", C2,
        "the canary's rate beside round 2's logpow batches that ran more "
        "than 5 % slow, and how many did")
def _(result):
    speeds = [rep["machine_speed"] for _, b in runs(result, kernel="logpow")
              for rep in b.reps if rep.get("round") == 2]
    slow = [s for s in speeds if s < 0.95]
    if not slow:
        raise Missing(f"{result.path}: no slow logpow batch in round 2")
    return f"{span(slow, '%.2f')} for {len(slow)} of its {len(speeds)}"


# ----------------------------------------------- docs/results/suite-vm/
S1201 = "docs/results/suite-vm/vm-20261201T153047Z.json"
S1201B = "docs/results/suite-vm/vm-20261201T185233Z.json"
S1123 = "docs/results/suite-vm/results-vm-20261123T122252Z.json"
ISSUE12 = "docs/results/overhead/overhead-issue12-vm.json"
WITH_BASELINES = (
    "docs/results/suite-vm/results-vm-20261123T120708Z.json",
    "docs/results/suite-vm/results-vm-20261123T121348Z.json",
    S1123, S1201, S1201B, ISSUE12)


@figure("suite-fork", S1201, "fork+_exit+waitpid, a task (baseline)")
def _(result):
    return us(baseline(result, "fork_exit_waitpid"))


@figure("suite-thread", S1201, "pthread_create+join, a task (baseline)")
def _(result):
    return us(baseline(result, "pthread_create_join"))


@figure("suite-fork-over-thread", S1201,
        "fork+_exit+waitpid over pthread_create+join")
def _(result):
    return "%.0fx" % (baseline(result, "fork_exit_waitpid")
                      / baseline(result, "pthread_create_join"))


def lag(result, mode, counter):
    return run_counter(run(result, "noop", mode, workers=1), counter)


@figure("suite-start-lag-process", S1201,
        "start_lag_s of noop in process, one worker")
def _(result):
    return us(lag(result, "process", "start_lag_s"))


@figure("suite-start-lag-thread", S1201,
        "start_lag_s of noop in thread, one worker")
def _(result):
    return us(lag(result, "thread", "start_lag_s"))


@figure("suite-end-lag-process", S1201,
        "end_lag_s of noop in process, one worker")
def _(result):
    return us(lag(result, "process", "end_lag_s"))


@figure("suite-end-lag-spawn", S1201, "end_lag_s of noop in spawn")
def _(result):
    return us(lag(result, "spawn", "end_lag_s"))


@figure("suite-end-lag-forkserver", S1201, "end_lag_s of noop in forkserver")
def _(result):
    return us(lag(result, "forkserver", "end_lag_s"))


@figure("suite-end-lag-threads", S1201,
        "end_lag_s of noop in thread and gil")
def _(result):
    return span([1e6 * lag(result, m, "end_lag_s")
                 for m in ("thread", "gil")], "%.0f", " us")


def switch(result, which):
    return median_counter(result, f"baseline/switch_{which}/tasks:16/"
                          "manual_time", "switch_s")


@figure("suite-switch-processes", S1201,
        "one switch between two processes (switch_s)")
def _(result):
    return us(switch(result, "processes"), "%.2f")


@figure("suite-switch-threads", S1201,
        "one switch between two threads (switch_s)")
def _(result):
    return us(switch(result, "threads"), "%.2f")


@figure("suite-switch-ratio", S1201,
        "a switch between processes over one between threads")
def _(result):
    return "%.2fx" % (switch(result, "processes") / switch(result, "threads"))


@figure("suite-1201-rounds", S1201, "its rounds, and extra rounds")
def _(result):
    return rounds_text(result)


@figure("suite-1201b-rounds", S1201B, "its rounds, and extra rounds")
def _(result):
    return rounds_text(result)


@figure("suite-1201-noise", (S1201, S1201B),
        "how far a repetition strayed from its median (gmp_pow, logpow; "
        "scripts/rep_noise.py)")
def _(*results):
    from concbench.rep_noise import noise
    return span([100 * noise(r.path) for r in results], "%.1f", " %")


# ------------------------------------------ scripts/overhead of the runs

# scripts/overhead's checks, each the same figure of every run it reads.
OVERHEAD_CHECKS = {
    "process": ("process noop over fork+_exit+waitpid",
                lambda r: over(overhead_ratio(
                    r, "process noop vs fork+_exit+waitpid"))),
    "thread": ("thread noop over pthread_create+join",
               lambda r: over(overhead_ratio(
                   r, "thread noop vs pthread_create+join"))),
    "serial": ("serial gmp_pow and logpow from their bare loops, at most",
               lambda r: share(serial_within(r))),
    "io-sleep": ("thread io_sleep with W = T over the sleep",
                 lambda r: over(io_sleep_check(r), "%.1f")),
}
for _tag, _path, _checks in (
        ("1201", S1201, ("process", "thread", "serial", "io-sleep")),
        ("1123", S1123, ("process", "io-sleep")),
        ("issue12", ISSUE12, ("process", "thread", "serial", "io-sleep"))):
    for _check in _checks:
        _what, _compute = OVERHEAD_CHECKS[_check]
        figure(f"overhead-{_tag}-{_check}", _path, _what)(_compute)


@figure("overhead-1201-pools", S1201,
        "the pools' noop against thread's, every W")
def _(result):
    return span([100 * r for _, _, r, _ in pool_checks(result)],
                 "%.1f", " %")


@figure("overhead-1201-pools-met", S1201,
        "where the pools' noop is within the target against thread's")
def _(result):
    return pools_met(result)


@figure("overhead-1201-pools-w1", S1201,
        "the pools' noop against thread's with one worker")
def _(result):
    found = {p: r for p, w, r, _ in pool_checks(result) if w == 1}
    return both(100 * found["thread_pool"], 100 * found["process_pool"],
                "%.1f", " %")


@figure("overhead-1201-pool-task", S1201,
        "the pools' noop, a task, every W")
def _(result):
    return span([1e6 * per for what, (per, _, _, _) in
                 overhead(result).items()
                 if " noop vs thread noop, W=" in what], "%.1f", " us")


@figure("overhead-1201-thread-task", S1201, "thread's noop, a task, every W")
def _(result):
    return span([1e6 * per_task(result, "noop", "thread", workers=w)
                 for w in sorted({c.workers for c, _ in
                                  runs(result, kernel="noop",
                                       mode="thread")})], "%.0f", " us")


@figure("overhead-pools-missed", WITH_BASELINES,
        "kept suite runs in which the pools' target is missed at some W")
def _(*results):
    missed = sum(any(r > t for _, _, r, t in pool_checks(res))
                 for res in results)
    return count_of(missed, len(results))


@figure("overhead-1201-samples", S1201,
        "the time between repetitions (canary, samples) of the run's")
def _(result):
    run_s, inside, _ = seconds_measured(result)
    return share((run_s - inside) / run_s, "%.2f")


@figure("overhead-1201-run-seconds", S1201,
        "the run's seconds, first repetition's start to last's end")
def _(result):
    return "%.1f s" % seconds_measured(result)[0]


@figure("overhead-1201-inside-seconds", S1201,
        "seconds inside the repetitions")
def _(result):
    return "%.1f s" % seconds_measured(result)[1]


@figure("overhead-1201-repetitions", S1201, "repetitions in the run")
def _(result):
    return str(seconds_measured(result)[2])


@figure("overhead-issue12-pools", ISSUE12,
        "the pools' noop against thread's, every W")
def _(result):
    return span([100 * r for _, _, r, _ in pool_checks(result)],
                "%.1f", " %")


@figure("overhead-issue12-pools-met", ISSUE12,
        "where the pools' noop is within the target against thread's")
def _(result):
    return pools_met(result)


# ------------------------------- docs/results/overhead/, old/new and ab
OLD_NEW = plain("docs/results/overhead/overhead-old-new-paired.json")
AB = plain("docs/results/overhead/ab-payload0-vm.json")


def farthest(medians):
    """The name whose median is farthest from 1."""
    return max(medians, key=lambda n: abs(math.log(medians[n])))


def old_new_medians(doc):
    return {name: median(ratios) for name, ratios in doc.items()}


@figure("old-new-farthest", OLD_NEW,
        "the median new / old farthest from 1, and its benchmark")
def _(doc):
    medians = old_new_medians(doc)
    name = farthest(medians)
    return f"{medians[name]:.3f} for {shown_name(name)}"


@figure("old-new-farthest-pairs", OLD_NEW,
        "the pairs of that benchmark, lowest to highest")
def _(doc):
    return span(pairs_of(doc, farthest(old_new_medians(doc))), "%.2f")


@figure("old-new-others", OLD_NEW,
        "how far the other medians new / old are from 1, at most")
def _(doc):
    medians = old_new_medians(doc)
    name = farthest(medians)
    return share(max(abs(m - 1) for n, m in medians.items() if n != name))


@figure("old-new-spawn", OLD_NEW,
        "spawn's median new / old, 1 and 4 workers, over 1")
def _(doc):
    return both(*(100 * (median(pairs_of(
        doc, f"noop/spawn/tasks:16/workers:{w}")) - 1) for w in (1, 4)),
        "%.1f", " %")


@figure("old-new-spawn-1-slower", OLD_NEW,
        "spawn's pairs new / old above 1, 1 worker")
def _(doc):
    pairs = pairs_of(doc, "noop/spawn/tasks:16/workers:1")
    return count_of(sum(r > 1 for r in pairs), len(pairs))


@figure("old-new-spawn-4-slower", OLD_NEW,
        "spawn's pairs new / old above 1, 4 workers")
def _(doc):
    pairs = pairs_of(doc, "noop/spawn/tasks:16/workers:4")
    return count_of(sum(r > 1 for r in pairs), len(pairs))


@figure("old-new-spawn-4-least", OLD_NEW,
        "spawn's lowest pair new / old, 4 workers")
def _(doc):
    return "%.2f" % min(pairs_of(doc, "noop/spawn/tasks:16/workers:4"))


@figure("old-new-geomean", OLD_NEW,
        "the geometric mean of the medians new / old")
def _(doc):
    return "%.3f" % geomean(list(old_new_medians(doc).values()))


def ab_medians(doc):
    return {name: median(r) for name, r in ab_ratios(doc).items()}


def ab_extreme(doc, pick):
    """The lowest or highest median B / A (pick: min or max) with its
    benchmark."""
    medians = ab_medians(doc)
    name = pick(medians, key=medians.get)
    return f"{medians[name]:.3f} ({shown_name(name)})"


def ab_extreme_pairs(doc, pick):
    """That benchmark's pairs B / A, lowest to highest."""
    medians = ab_medians(doc)
    return span(ab_ratios(doc)[pick(medians, key=medians.get)], "%.2f")


def ab_others(doc):
    """How far the medians but the lowest and highest are from 1, at
    most."""
    medians = ab_medians(doc)
    ends = {min(medians, key=medians.get), max(medians, key=medians.get)}
    return share(max(abs(m - 1) for n, m in medians.items()
                     if n not in ends))


def above(doc, margin=0.02):
    """The benchmarks whose median B / A is beyond 1 + margin, highest
    first, as '1.067 (`gil`, 4 workers)'."""
    medians = ab_medians(doc)
    names = sorted((n for n in medians if medians[n] > 1 + margin),
                   key=medians.get, reverse=True)
    if not names:
        return "none"
    return ", ".join(f"{medians[n]:.3f} ({shown_name(n)})" for n in names)


# What a page may quote of a scripts/ab file: figure PREFIX-KIND.
AB_KINDS = {
    "lowest": ("the lowest median B / A, and its benchmark",
               lambda doc: ab_extreme(doc, min)),
    "lowest-pairs": ("the lowest's pairs B / A, lowest to highest",
                     lambda doc: ab_extreme_pairs(doc, min)),
    "highest": ("the highest median B / A, and its benchmark",
                lambda doc: ab_extreme(doc, max)),
    "highest-pairs": ("the highest's pairs B / A, lowest to highest",
                      lambda doc: ab_extreme_pairs(doc, max)),
    "others": ("how far the other medians B / A are from 1, at most",
               ab_others),
    "geomean": ("the geometric mean of the medians B / A",
                lambda doc: "%.3f" % geomean(list(ab_medians(doc).values()))),
    "range": ("the medians B / A, lowest to highest",
              lambda doc: span(list(ab_medians(doc).values()), "%.3f")),
    "above": ("the medians B / A above 1.02, highest first", above),
}


def ab_figures(prefix, path, kinds):
    """Registers PREFIX-KIND of the scripts/ab file path for each kind."""
    for kind in kinds:
        what, compute = AB_KINDS[kind]
        figure(f"{prefix}-{kind}", path, what)(compute)


ab_figures("ab-payload0", AB, ("lowest", "lowest-pairs", "highest",
                               "highest-pairs", "others", "geomean"))


# The build before issue 19 (6eb24b9) against the one after it: all of
# noop at W = 1, 2, 4; then more pairs of those above the margin.
AB_SEAMS = plain("docs/results/overhead/ab-seams-vm.json")
AB_SEAMS_W1 = plain("docs/results/overhead/ab-seams-w1-vm.json")
AB_SEAMS_W2 = plain("docs/results/overhead/ab-seams-w2-vm.json")
AB_SEAMS_W4 = plain("docs/results/overhead/ab-seams-w4-vm.json")
# liburing linked as a shared library (B: statically).
AB_URING = plain("docs/results/overhead/ab-uring-static-vm.json")


ab_figures("ab-seams", AB_SEAMS, ("geomean", "above", "range"))
for _prefix, _path in (("ab-seams-w1", AB_SEAMS_W1),
                       ("ab-seams-w2", AB_SEAMS_W2),
                       ("ab-seams-w4", AB_SEAMS_W4), ("ab-uring", AB_URING)):
    ab_figures(_prefix, _path, ("range",))


@figure("ab-uring-spawn-1", AB_URING,
        "spawn at W = 1: median B / A and how many pairs below 1")
def _(doc):
    name = "noop/spawn/tasks:16/workers:1/manual_time"
    r = ab_ratios(doc)[name]
    return (f"{median(r):.3f}, {sum(x < 1 for x in r)} of {len(r)} pairs "
            "below 1")


AB_WAIT = plain("docs/results/wait-policy/ab-passive-vm.json")


ab_figures("ab-wait", AB_WAIT, ("highest", "highest-pairs", "lowest",
                                "geomean"))


# ------------------------------------- docs/results/isolation-vm/, steadiness
GROWTH = "docs/results/isolation-vm/growth-before.json"
STEADINESS = tuple(f"docs/results/steadiness/{n}-vm.json" for n in
                   ("steady-subset-1", "steady-subset-2", "hog-20s",
                    "hog-45s"))


def round_reps(result, rnd):
    found = [rep for rep in reps(result) if rep.get("round") == rnd]
    if not found:
        raise Missing(f"{result.path}: no round {rnd}")
    return found


@figure("growth-rss-round1", GROWTH,
        "the driver's resident size over round 1, lowest to highest")
def _(result):
    return span([rep["parent_rss_bytes"] / 2**20
                 for rep in round_reps(result, 1)], "%.1f", " MiB")


@figure("growth-mapped-round1", GROWTH,
        "the driver's mapped size at most, over round 1")
def _(result):
    return "%.0f MiB" % (max(rep["parent_mapped_bytes"]
                             for rep in round_reps(result, 1)) / 2**20)


def fork_round(result, rnd):
    """fork+_exit+waitpid a task in round rnd (median)."""
    b = bench(result, "baseline/fork_exit_waitpid/tasks:16/manual_time")
    return median([s / 16 for s, rep in zip(b.samples, b.reps)
                   if rep.get("round") == rnd])


@figure("growth-fork-round1", GROWTH,
        "fork+_exit+waitpid a task in round 1 (median)")
def _(result):
    return us(fork_round(result, 1))


@figure("growth-fork-round2", GROWTH,
        "fork+_exit+waitpid a task in round 2 (median)")
def _(result):
    return us(fork_round(result, 2))


@figure("steadiness-run-seconds", STEADINESS,
        "how long each of the four runs measured, shortest to longest")
def _(*results):
    return span([seconds_measured(r)[0] for r in results], "%.0f", " s")


# ------------------------------------------ verdicts-vm: undecided, history
VDIR = "docs/results/verdicts-vm/"
RUN2, RUN3, RUN4, RUN5, RUN6 = (VDIR + f"run-{k}.json" for k in (2, 3, 4, 5, 6))
ALONE4 = VDIR + "alone-4.json"
FORK = "baseline/fork_exit_waitpid/tasks:16/manual_time"


def rep_noise(result):
    """scripts/rep_noise.py's figure: a repetition's median distance from
    its benchmark's median (gmp_pow, logpow)."""
    from concbench import rep_noise as rn
    return rn.noise(result.path)


def undecided_others(*results):
    """The strategies left undecided against the fastest, over results."""
    return [o for r in results for row in summary(r)["best"]
            for o in row["others"] if o["status"] == "undecided"]


def half_width(o):
    low, high = o["ratio_ci"]
    return (math.log(high) - math.log(low)) / 2


@figure("verdicts-rep-noise-run1-run2", (RUN1, RUN2),
        "a repetition's median distance from its benchmark's median "
        "(gmp_pow, logpow; scripts/rep_noise.py), run-1 and run-2")
def _(a, b):
    return both(100 * rep_noise(a), 100 * rep_noise(b), "%.1f", " %")


def pairs_to_decide(others):
    """Pairs each comparison would need for its interval to clear the
    nearer margin edge at the noise so far (pairs x (half-width /
    distance)^2, the interval narrowing as the square root of the pairs),
    the median over them."""
    edge, need = math.log1p(0.02), []
    for o in others:
        centre = math.log(o["ratio"])
        distance = edge - abs(centre) if abs(centre) < edge \
            else centre - edge
        if distance > 0:
            need.append(o["pairs"] * (half_width(o) / distance) ** 2)
    return "%.0f" % median(need)


# run-3 and run-4 (an evening, other sessions beside them), run-5 and
# run-6 (a quiet morning).
for _pair, _runs in (("", (RUN3, RUN4)), ("-run5-run6", (RUN5, RUN6))):
    @figure(f"verdicts-undecided-pairs{_pair}", _runs,
            "pairs the undecided comparisons of the two runs had")
    def _(a, b):
        return span([o["pairs"] for o in undecided_others(a, b)], "%d")

    @figure(f"verdicts-undecided-half-width{_pair}", _runs,
            "half the width of an undecided comparison's 90 % interval "
            "(log ratio), the median over the two runs'")
    def _(a, b):
        return (f"±{100 * median(map(half_width, undecided_others(a, b))):.1f}"
                " %")

    @figure(f"verdicts-pairs-to-decide{_pair}", _runs,
            "pairs each undecided comparison of the two runs would need "
            "for its interval to clear the nearer margin edge at the noise "
            "so far, the median over them")
    def _(a, b):
        return pairs_to_decide(undecided_others(a, b))


# One batch a repetition (--benchmark_min_time=0.05) against about five
# (0.2 s), gmp_pow and logpow at W = 1, 2, 4, ten rounds each.
BATCHES_005 = plain(VDIR + "batches-0.05s.json")
BATCHES_02 = plain(VDIR + "batches-0.2s.json")


def pair_noise(doc, field, kernels=("gmp_pow", "logpow")):
    """How far a round's ratio of two strategies strays from their usual
    ratio: the median absolute deviation of log(B / A) over the rounds, for
    each two strategies but serial at each kernel (of kernels) and W, the
    median over them; by the runs' time (real_time) or their fastest batch
    (batch_min_s)."""
    runs = {}
    for b in doc["benchmarks"]:
        if b.get("run_type") != "iteration" or b.get("error_occurred"):
            continue
        kernel, mode, _, workers = b["name"].split("/")[:4]
        if mode != "serial" and kernel in kernels:
            runs.setdefault((kernel, workers), {}).setdefault(
                mode, {})[b["round"]] = b[field]
    devs = []
    for modes in runs.values():
        for a, b in itertools.combinations(sorted(modes), 2):
            rounds = sorted(set(modes[a]) & set(modes[b]))
            logs = [math.log(modes[b][r] / modes[a][r]) for r in rounds]
            if len(logs) < 5:
                continue
            centre = median(logs)
            devs.append(median([abs(x - centre) for x in logs]))
    if not devs:
        raise Missing("no two strategies in five rounds")
    return "%.2f %%" % (100 * median(devs))


@figure("batches-noise-005", BATCHES_005,
        "one batch a repetition: a pair's deviation from the usual ratio")
def _(doc):
    return pair_noise(doc, "real_time")


@figure("batches-noise-02", BATCHES_02,
        "about five batches a repetition, their mean: the same")
def _(doc):
    return pair_noise(doc, "real_time")


@figure("batches-noise-02-min", BATCHES_02,
        "about five batches a repetition, the fastest: the same")
def _(doc):
    return pair_noise(doc, "batch_min_s")


BATCHES_02_2 = plain(VDIR + "batches-0.2s-2.json")


for _name, _field, _what in (("mean", "real_time", "their mean"),
                             ("min", "batch_min_s", "the fastest"),
                             ("median", "batch_median_s", "the median")):
    @figure(f"batches-noise-02-2-{_name}", BATCHES_02_2,
            f"the second run at 0.2 s, {_what}: the same")
    def _(doc, field=_field):
        return pair_noise(doc, field)


# The suite with --batches: run-7 and run-8 (3 batches, ninja bench's
# default), run-9 and run-10 (2).
RUN7, RUN8, RUN9, RUN10 = (VDIR + f"run-{k}.json" for k in (7, 8, 9, 10))

for _k, _path in ((7, RUN7), (8, RUN8), (9, RUN9), (10, RUN10)):
    for _name, _field, _what in (("mean", "real_time", "their mean"),
                                 ("min", "batch_min_s", "the fastest")):
        @figure(f"run{_k}-noise-{_name}", plain(_path),
                f"run-{_k}, gmp_pow and logpow, {_what}: a pair's "
                "deviation from the usual ratio")
        def _(doc, field=_field):
            return pair_noise(doc, field)


# run-15 and run-16 contradict each other: one strategy's ratio to the
# fastest and its interval in each.
def versus_fastest(result, kernel, workers, strategy):
    """The strategy against its comparison's fastest: how much slower, the
    90 % interval and the pairs, as the verdict read them."""
    row = next(b for b in summary(result)["best"]
               if b["kernel"] == kernel and b["workers"] == workers)
    o = next(o for o in row["others"] if o["strategy"] == strategy)
    low, high = o["ratio_ci"]
    return (f"{100 * (o['ratio'] - 1):+.1f} %, {100 * (low - 1):+.1f} to "
            f"{100 * (high - 1):+.1f} % in {o['pairs']} pairs")


for _k, _kernel, _w, _strategy in ((15, "gmp_pow", 8, "process_pool"),
                                   (16, "gmp_pow", 8, "process_pool"),
                                   (15, "logpow", 1, "gil"),
                                   (16, "logpow", 1, "gil")):
    _short = _kernel.replace("_pow", "")
    @figure(f"run{_k}-{_short}{_w}-{_strategy.replace('_', '-')}",
            VDIR + f"run-{_k}.json",
            f"run-{_k}: {_strategy} against the fastest at {_kernel} "
            f"W={_w}")
    def _(result, kernel=_kernel, workers=_w, strategy=_strategy):
        return versus_fastest(result, kernel, workers, strategy)


@figure("batches-per-rep-02", BATCHES_02,
        "batches a repetition ran at 0.2 s (median)")
def _(doc):
    return "%.0f" % median([b["iterations"] for b in doc["benchmarks"]
                            if b.get("run_type") == "iteration"])


def fork_rounds(result):
    """fork+exit+wait's median per round, a task (seconds)."""
    b = bench(result, FORK)
    by_round = {}
    for t, rep in zip(b.samples, b.reps):
        by_round.setdefault(int(rep.get("round", 1)), []).append(t / 16)
    return [median(by_round[k]) for k in sorted(by_round)]


@figure("verdicts-fork-rounds-run2", RUN2,
        "fork+exit+wait per task in run-2's rounds, lowest to highest")
def _(result):
    return span([1e6 * t for t in fork_rounds(result)], "%.0f", " us")


@figure("verdicts-fork-rounds-run4", RUN4,
        "fork+exit+wait per task in each of run-4's rounds")
def _(result):
    values = [f"{1e6 * t:.0f}" for t in fork_rounds(result)]
    return ", ".join(values[:-1]) + " and " + values[-1] + " us"


@figure("verdicts-rss-alone-run4", (ALONE4, RUN4),
        "resident size of the process measuring, alone-4 against run-4")
def _(alone, suite):
    def rss(result):
        return median([r["parent_rss_bytes"] for r in reps(result)
                       if "parent_rss_bytes" in r]) / 2 ** 20
    return f"{rss(alone):.1f} MiB resident against {rss(suite):.1f}"


# ------------------------------------------------ docs/results/wait-policy/
WAIT = "docs/results/wait-policy/wait-vm.json"
WAIT_BUSY = "docs/results/wait-policy/wait-busy-vm.json"
WAIT_POOLS = ("thread_pool", "process_pool", "openmp")
# Where every waiting thread or process would have had a CPU of its own on
# an idle 2-CPU machine: a pool's W workers and its caller, openmp's W.
WAIT_FITS = (("thread_pool", 1), ("process_pool", 1), ("openmp", 2))
# Where the spin is throttled to 100 checks: more spinners than CPUs.
WAIT_THROTTLED = (("thread_pool", 2), ("process_pool", 2), ("thread_pool", 4),
                  ("process_pool", 4), ("openmp", 4))


def wait_batch(result, mode, workers, wait):
    """Median noop batch of mode at workers under wait (None: passive)."""
    return batch(result, "noop", mode, workers=workers, wait=wait)


def wait_ratio(result, mode, workers):
    """mode's noop batch under active over passive at workers."""
    return (wait_batch(result, mode, workers, "active")
            / wait_batch(result, mode, workers, None))


def wait_utils(result, cases, wait):
    return [run_counter(run(result, "noop", m, workers=w, wait=wait),
                        "all_cpu_util") for m, w in cases]


@figure("wait-other-cpus", WAIT,
        "other work on the machine during the quiet run: most other_cpus")
def _(result):
    return "%.2f" % max(r["other_cpus"] for r in reps(result)
                        if "other_cpus" in r)


for _name, _where, _what in (
        ("fits", WAIT_FITS, "the spinners fit the CPUs"),
        ("throttled", WAIT_THROTTLED, "the spinners outnumber the CPUs")):
    @figure(f"wait-{_name}-ratio", WAIT,
            f"quiet: active over passive where {_what}")
    def _(result, where=_where):
        return span([wait_ratio(result, m, w) for m, w in where], "%.2f")

    @figure(f"wait-{_name}-util", WAIT,
            "quiet: all_cpu_util there, passive and active")
    def _(result, where=_where):
        return " and ".join(span(wait_utils(result, where, w), "%.2f")
                            for w in (None, "active"))


@figure("wait-w1-over-openmp", WAIT,
        "quiet: the pools' active batch at W=1 over openmp's at W=1")
def _(result):
    return both(*(wait_batch(result, m, 1, "active")
                  / wait_batch(result, "openmp", 1, "active")
                  for m in ("thread_pool", "process_pool")), "%.2f")


@figure("wait-busy-other-cpus", WAIT_BUSY,
        "other work on the machine during the run: median other_cpus")
def _(result):
    return "%.1f" % median([r["other_cpus"] for r in reps(result)
                            if "other_cpus" in r])


@figure("wait-busy-fits-ratio", WAIT_BUSY,
        "active over passive where the spinners fit an idle machine's CPUs")
def _(result):
    return span([wait_ratio(result, m, w) for m, w in WAIT_FITS], "%.0f",
                " times")


@figure("wait-busy-fits-active", WAIT_BUSY,
        "the active batch there (median)")
def _(result):
    return span([wait_batch(result, m, w, "active") * 1e3
                 for m, w in WAIT_FITS], "%.1f", " ms")


@figure("wait-busy-throttled-ratio", WAIT_BUSY,
        "active over passive where the spinners outnumber the CPUs")
def _(result):
    return span([wait_ratio(result, m, w) for m, w in WAIT_THROTTLED],
                "%.2f")


@figure("wait-busy-util", WAIT_BUSY,
        "all_cpu_util (median) of every pool run, either policy")
def _(result):
    return span([run_counter(b, "all_cpu_util")
                 for c, b in runs(result, kernel="noop")
                 if c.mode in WAIT_POOLS], "%.2f")


for _name, _path, _what in (
        ("wait", WAIT,
         "quiet: thread_pool's batch over openmp's at W=2, passive, active"),
        ("wait-busy", WAIT_BUSY,
         "thread_pool's noop batch over openmp's at W=2, passive and "
         "active")):
    @figure(f"{_name}-thread-pool-over-openmp-w2", _path, _what)
    def _(result):
        return both(*(wait_batch(result, "thread_pool", 2, w)
                      / wait_batch(result, "openmp", 2, w)
                      for w in (None, "active")), "%.2f")


# ------------------------------------------------ docs/results/parent-rss/
PRSS = "docs/results/parent-rss/parent-rss-vm.json"
SIZES = (0, 100 << 20, 1 << 30)


def by_size(result, kernel, mode, workers, **fields):
    """{parent size: the run} of kernel and mode at workers."""
    return {s: run(result, kernel, mode, workers=workers, parent_rss=s,
                   **fields) for s in SIZES}


def task_ms(b):
    """A task's share of the batch time (median), ms."""
    return 1e3 * median(b.samples) / b.config.tasks


def fork_base(result, size):
    """fork+exit+wait from a parent of size: the baseline run."""
    part = "" if not size else \
        "/parent_rss:" + script("names").format_size(size)
    return bench(result, f"baseline/fork_exit_waitpid/tasks:16{part}"
                         "/manual_time")


def sizes_text(values, fmt):
    """"a, b and c" of values, one per size of SIZES."""
    shown = [fmt % v for v in values]
    return ", ".join(shown[:-1]) + " and " + shown[-1]


@figure("parent-rss-fork", PRSS,
        "fork+exit+wait a task from a parent of 0, 100M and 1G (median)")
def _(result):
    return sizes_text([1e3 * median(fork_base(result, s).samples) / 16
                       for s in SIZES], "%.2g") + " ms"


@figure("parent-rss-fork-ratio", PRSS,
        "fork+exit+wait from a 1G parent against from the suite's own, "
        "the median of the ratios of one round")
def _(result):
    ratio = script("parent_rss_table").paired_ratio
    return "%.0fx" % ratio(fork_base(result, 1 << 30), fork_base(result, 0))


@figure("parent-rss-flat", PRSS,
        "spawn, forkserver (kept and fresh) and process_pool (kept) from a "
        "100M or 1G parent against from the suite's own (ratios of one "
        "round, medians), noop and gmp_pow, W=1 and 2: lowest to highest")
def _(result):
    ratio = script("parent_rss_table").paired_ratio
    values = []
    for kernel in ("noop", "gmp_pow"):
        for w in (1, 2):
            for mode, options in (("spawn", ()), ("forkserver", ()),
                                  ("forkserver", (("pool", "fresh"),)),
                                  ("process_pool", ())):
                runs_ = by_size(result, kernel, mode, w, options=options)
                values += [ratio(runs_[s], runs_[0]) for s in SIZES[1:]]
    return span(values, "%.2f", "x")


@figure("parent-rss-process-noop", PRSS,
        "process noop W=1, from a parent of 100M and 1G against from the "
        "suite's own (ratios of one round, medians)")
def _(result):
    ratio = script("parent_rss_table").paired_ratio
    runs_ = by_size(result, "noop", "process", 1)
    return both(ratio(runs_[SIZES[1]], runs_[0]),
                ratio(runs_[SIZES[2]], runs_[0]), "%.0f", "x")


@figure("parent-rss-gmp-serial", PRSS,
        "serial gmp_pow, a task (median over the three sizes' runs)")
def _(result):
    runs_ = by_size(result, "gmp_pow", "serial", 1)
    return "%.1f ms" % median([t / 16 * 1e3 for b in runs_.values()
                               for t in b.samples])


@figure("parent-rss-gmp-process", PRSS,
        "process gmp_pow W=1, a task, from a parent of 0, 100M and 1G")
def _(result):
    runs_ = by_size(result, "gmp_pow", "process", 1)
    return sizes_text([task_ms(runs_[s]) for s in SIZES], "%.2g") + " ms"


@figure("parent-rss-gmp-process-over-serial", PRSS,
        "process gmp_pow W=1 against serial from the same parent (ratios "
        "of one round, medians), 0, 100M and 1G")
def _(result):
    ratio = script("parent_rss_table").paired_ratio
    process = by_size(result, "gmp_pow", "process", 1)
    serial = by_size(result, "gmp_pow", "serial", 1)
    return sizes_text([ratio(process[s], serial[s]) for s in SIZES],
                      "%.2g") + "x"


def fork_per_mib(result):
    """What a MiB of the parent adds to fork+exit+wait, seconds: from the
    baselines at 0 and 1G (fork's cost is about linear in the pages)."""
    at = [median(fork_base(result, s).samples) / 16 for s in (0, 1 << 30)]
    return (at[1] - at[0]) / 1024


@figure("parent-rss-fork-per-mib", PRSS,
        "what a MiB of the parent adds to fork+exit+wait: (1G's - 0's) / "
        "1024")
def _(result):
    return "%.0f us" % (1e6 * fork_per_mib(result))


@figure("parent-rss-gmp-break-even", PRSS,
        "the parent's size at which fork+exit+wait costs as much as a "
        "gmp_pow task (serial's): (task - fork from 0) / the cost a MiB")
def _(result):
    task = median([t / 16 for s in SIZES for t in
                   run(result, "gmp_pow", "serial", workers=1,
                       parent_rss=s).samples])
    fork0 = median(fork_base(result, 0).samples) / 16
    return "%.0f MiB" % ((task - fork0) / fork_per_mib(result))


@figure("parent-rss-thread-noop", PRSS,
        "thread noop from a 1G parent against from the suite's own "
        "(ratios of one round, medians), W=1 and 2")
def _(result):
    ratio = script("parent_rss_table").paired_ratio
    values = []
    for w in (1, 2):
        runs_ = by_size(result, "noop", "thread", w)
        values.append(ratio(runs_[1 << 30], runs_[0]))
    return both(*values, "%.1f", "x")


@figure("parent-rss-pool-start", PRSS,
        "process_pool W=2's start (pool_start_s, median) from a parent of "
        "0 and 1G")
def _(result):
    starts = [run_counter(run(result, "noop", "process_pool", workers=2,
                              parent_rss=s, options=()), "pool_start_s")
              for s in (0, 1 << 30)]
    return both(*(1e3 * v for v in starts), "%.2g", " ms")


@figure("parent-rss-other-cpus", PRSS,
        "other processes' CPU beside the run's repetitions (other_cpus): "
        "the lowest and the median")
def _(result):
    values = [r["other_cpus"] for r in reps(result) if "other_cpus" in r]
    return f"{min(values):.2f} and {median(values):.2f}"


def value(f, read=load):
    """(figure f's value, "") or (None, why it has none)."""
    try:
        return str(f.compute(*(read(p) for p in f.paths))), ""
    except (results.InputError, Missing) as e:
        return None, f"figures.py: {e}"
    except (KeyError, IndexError, TypeError, ValueError,
            ZeroDivisionError) as e:
        return None, (f"figures.py: {f.name}: {' '.join(f.paths)} does not "
                      f"hold what it reads ({type(e).__name__}: {e})")


def every_value():
    """{name: value} of every figure that reads, each file read once (the
    computations only read what load returns)."""
    loaded = {}

    def read(path):
        if path not in loaded:
            loaded[path] = load(path)
        return loaded[path]
    out = {}
    for f in FIGURES.values():
        try:
            text, _ = value(f, read)
        except (results.InputError, Missing):
            text = None
        if text is not None and "\n" not in text and "\t" not in text:
            out[f.name] = text
    return out
# ------------------------------------------------------ docs/results/gil/
GS = plain("docs/results/gil/gil-study-vm.json")
LINES_LOGPOW = plain("docs/results/gil/lines-logpow-vm.json")
LINES_LOOP = plain("docs/results/gil/lines-loop-vm.json")
GIL_KIB = 13        # the model's size in the kept study (--shared-kib)


def gs():
    return script("gil_study")


def inner_turns(doc):
    """The turns the median is of (gil_study.trace): not the first two
    (no turn before; the threads' start) nor the last (their end)."""
    turns = doc["turns"][2:-1]
    if not turns:
        raise Missing("fewer than 4 turns")
    return turns


def moved_lines(doc):
    """The lines one turn moved: the median over inner_turns, and in KiB,
    as "196 lines (12 KiB)"."""
    n = median([t["moved"] for t in inner_turns(doc)])
    return f"{n:.0f} lines ({n * 64 / 1024:.0f} KiB)"


@figure("gil-lines-logpow", LINES_LOGPOW,
        "lines of CPython's state a hand-off moves, the note's task")
def _(doc):
    return moved_lines(doc)


@figure("gil-lines-loop", LINES_LOOP,
        "lines of CPython's state a hand-off moves, a bytecode loop")
def _(doc):
    return moved_lines(doc)


@figure("gil-lines-logpow-code", LINES_LOGPOW,
        "KiB of code and of data a turn of the note's task touched (median)")
def _(doc):
    turns = inner_turns(doc)
    code = median([t["code_lines"] for t in turns]) * 64 / 1024
    data = median([t["touched"] for t in turns]) * 64 / 1024
    return f"{code:.0f} KiB of the interpreter's code and {data:.0f} KiB"


@figure("gil-lines-logpow-written", LINES_LOGPOW,
        "lines a turn of the note's task wrote (median), its new objects "
        "among them")
def _(doc):
    return "%.0f" % median([t["written"] for t in inner_turns(doc)])


@figure("gil-lines-logpow-iterations", LINES_LOGPOW,
        "iterations in a traced turn of the note's task: fewest to most")
def _(doc):
    return span([t["marks"] * doc["mark"] for t in inner_turns(doc)], "%d")


@figure("gil-lines-logpow-moved-range", LINES_LOGPOW,
        "lines a turn of the note's task moved: fewest to most")
def _(doc):
    return span([t["moved"] for t in inner_turns(doc)], "%d")


def gs_ratio(study, values):
    if not values:
        raise Missing("no such batches")
    return "%.2f" % median(values)


@figure("gil-py-original", GS,
        "python-original --note 2: map's time over ThreadPool's (median)")
def _(study):
    return gs_ratio(study, gs().original_ratios(study))


# The ratios the prose quotes (the table, gil_study.py's, has them all).
for _task, _pin in (("logpow", False), ("logpow", True), ("loop", False),
                    ("bigpow", False)):
    def _make(task=_task, pin=_pin):
        @figure(f"gil-py-{task}-{'pinned' if pin else 'free'}", GS,
                f"Python {task}: map's time over ThreadPool's, "
                f"{'pinned' if pin else 'free'}")
        def _(study):
            return gs_ratio(study, gs().python_ratios(study, task, pin))
    _make()
for _kernel, _kib in (("logpow", 0), ("logpow", GIL_KIB), ("gmp_pow", 0)):
    def _make(kernel=_kernel, kib=_kib):
        @figure(f"gil-c-{kernel.replace('_', '-')}-{kib}-free", GS,
                f"C {kernel}: serial's time over gil's, "
                f"--shared-kib={kib}, free")
        def _(study):
            return gs_ratio(study, gs().gil_ratios(study, kernel, kib,
                                                   False))
    _make()


def py_cpu(study, task, pin, one="map", many="pool"):
    g = gs()
    return (g.python_median(study, "python", task, many, pin, "task_cpu_s")
            / g.python_median(study, "python", task, one, pin,
                              "task_cpu_s"))


@figure("gil-py-logpow-cpu", GS,
        "Python, the note's task: ThreadPool's task CPU over map's, "
        "free and pinned")
def _(study):
    return (f"{over(py_cpu(study, 'logpow', False), '%.1f')} and "
            f"{over(py_cpu(study, 'logpow', True), '%.1f')}")


@figure("gil-py-logpow-steps-cpu", GS,
        "Python, the note's task in one thread: two taking turns, CPU over "
        "one at a time's")
def _(study):
    return over(py_cpu(study, "logpow", False, "steps", "steps2"), "%.1f")


@figure("gil-py-gap", GS,
        "Python: a hand-off's gap, median, the note's task, free")
def _(study):
    return us(gs().python_median(study, "stamps", "logpow", None, False,
                                 "gap_ns") / 1e9)


@figure("gil-c-handoff", GS, "C gil logpow: a hand-off's gap, mean, free")
def _(study):
    return us(gs().concbench_median(study, gs().gil_name(study, "logpow", 0),
                                    False, "gil_handoff_s"))


@figure("gil-c-state", GS,
        "C gil logpow --shared-kib: a new holder's writing of the state, "
        "free and pinned")
def _(study):
    g = gs()
    name = g.gil_name(study, "logpow", GIL_KIB)
    return both(*(1e6 * g.concbench_median(study, name, p, "gil_state_s")
                  for p in (False, True)), "%.1f", " us")


@figure("gil-c-state-share", GS,
        "C gil logpow --shared-kib: the state's writing, a share of the "
        "batch's time")
def _(study):
    g = gs()
    name = g.gil_name(study, "logpow", GIL_KIB)
    per_task = (g.concbench_median(study, name, False, "gil_handoffs_per_task")
                * g.concbench_median(study, name, False, "gil_state_s"))
    batch_s = g.concbench_median(study, name, False, "real_time") / 1e3
    return share(per_task * study["tasks"] / batch_s, "%.2f")


@figure("gil-c-gmp-pow-cpu", GS,
        "C gmp_pow: gil's task CPU over serial's, free")
def _(study):
    g = gs()
    return over(g.concbench_median(study, g.gil_name(study, "gmp_pow", 0),
                                   False, "task_cpu_s")
                / g.concbench_median(study, g.serial_name(study, "gmp_pow"),
                                     False, "task_cpu_s"), "%.0f")


@figure("gil-c-cross", GS,
        "C gil logpow --shared-kib: the share of hand-offs to the other CPU")
def _(study):
    g = gs()
    return share(g.concbench_median(study, g.gil_name(study, "logpow",
                                                       GIL_KIB),
                                    False, "gil_cross_cpu"), "%.0f")


@figure("gil-py-after-extra", GS,
        "Python, the note's task: its first steps after a take, free less "
        "pinned")
def _(study):
    g = gs()
    return us((g.python_median(study, "stamps", "logpow", None, False,
                               "after_ns")
               - g.python_median(study, "stamps", "logpow", None, True,
                                 "after_ns")) / 1e9, "%.1f")


@figure("gil-c-state-extra", GS,
        "C gil logpow --shared-kib: the state's writing, free less pinned")
def _(study):
    g = gs()
    name = g.gil_name(study, "logpow", GIL_KIB)
    return us(g.concbench_median(study, name, False, "gil_state_s")
              - g.concbench_median(study, name, True, "gil_state_s"), "%.1f")


@figure("gil-study-other", GS,
        "the most CPU other processes used beside the study's Python "
        "batches")
def _(study):
    return "%.2f" % max(b["other_cpus"] for b in study["batches"]
                        if b["side"] == "python"
                        and b["other_cpus"] is not None)


def main(argv):
    if argv == ["--list"]:
        for f in FIGURES.values():
            print(f"{f.name}\t{' '.join(f.paths)}\t{f.what}")
        return 0
    if argv == ["--all"]:
        for name, text in every_value().items():
            print(f"{name}\t{text}")
        return 0
    if len(argv) != 1 or argv[0].startswith("-"):
        print("usage: figures.py NAME | --all | --list", file=sys.stderr)
        return 2
    f = FIGURES.get(argv[0])
    if f is None:
        print(f"figures.py: no figure '{argv[0]}' (figures.py --list)",
              file=sys.stderr)
        return 2
    text, why = value(f)
    if text is None:
        print(why, file=sys.stderr)
        return 2
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
