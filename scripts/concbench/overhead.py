"""How much the suite itself costs, read from one concbench result file.

Prints, per check, the two medians compared (per task) and their ratio
against the targets of docs/overhead.md: process noop against a bare fork + _exit +
waitpid loop, thread noop against a bare pthread_create + join loop, the pool
modes' noop against thread's, serial gmp_pow and logpow against a bare loop
of the kernel, and thread io_sleep with W = T against the sleep time.

The file is read and checked by ``load.py``, as compare and plot read
it: concbench runs are found by their label or name, the baselines
(``baseline/<loop>/tasks:<T>``) by name; errored runs are left out.

usage: overhead RESULTS.json     (a run with the baselines, e.g. `ninja bench`)
Exit status: 0, 1 if a target is missed, 2 for bad input (one line
``overhead: FILE: problem`` on stderr) or a bad option.
"""
import sys

from concbench import facts
from concbench.cli import ArgumentParser
from concbench.load import InputError, load
from concbench.names import Config, GB_TIME_SUFFIX, MAX_TASKS, count_in
from concbench.stats import median


PROG = "overhead"
MAX_IO_MS = facts.MAX_IO_MS


def medians(result):
    """Median real time in seconds of every usable run: a concbench run's
    by its Config, another's (a baseline's) by its name without
    /manual_time."""
    return {bench.config or bench.name.removesuffix(GB_TIME_SUFFIX):
            median(bench.samples)
            for bench in result.benches.values() if bench.ok}


def context_count(result, key, top):
    """The context's key as a whole number 1 to top (InputError if not)."""
    value = count_in(str(result.context.get(key)), top)
    if value is None:
        raise InputError(result.path, "not a concbench result (no valid "
                                         f"{key!r} in its context)")
    return value


def checks(tasks, workers, io_ms):
    """(what, measured, reference, target ratio) per check."""
    def noop(mode, w):
        return Config("noop", mode, tasks, w)
    base = f"baseline/{{}}/tasks:{tasks}"
    yield ("process noop vs fork+_exit+waitpid", noop("process", 1),
           base.format("fork_exit_waitpid"), 1.10)
    yield ("thread noop vs pthread_create+join", noop("thread", 1),
           base.format("pthread_create_join"), 1.25)
    for w in workers:
        for pool in ("thread_pool", "process_pool"):
            yield (f"{pool} noop vs thread noop, W={w}", noop(pool, w),
                   noop("thread", w), 0.10)
    for k in ("gmp_pow", "logpow"):
        yield (f"serial {k} vs bare loop", Config(k, "serial", tasks, 1),
               base.format(f"{k}_loop"), 1.05)
    yield (f"thread io_sleep W=T vs {io_ms} ms",
           Config("io_sleep", "thread", tasks, tasks), None, 1.01)


def measure(result):
    """(what, name, per task, reference, ratio, target) per check of
    result, in the order printed; per task and the rest None for a check
    whose runs are not in the file (seconds; InputError for a file without
    the context's tasks and io_ms)."""
    tasks = context_count(result, "tasks", MAX_TASKS)
    io_ms = context_count(result, "io_ms", MAX_IO_MS)
    med = medians(result)
    workers = sorted({c.workers for c in med if isinstance(c, Config)
                      and (c.workload, c.mode) == ("noop", "thread")})
    for what, name, ref, target in checks(tasks, workers, io_ms):
        if name not in med or (ref and ref not in med):
            yield what, name, None, None, None, target
            continue
        per_task = med[name] / tasks
        if ref is None:  # W = T: the batch should take one sleep
            per_task, reference = med[name], io_ms / 1e3
        else:
            reference = med[ref] / tasks
        yield what, name, per_task, reference, per_task / reference, target


def main(argv):
    parser = ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    parser.add_argument("path", metavar="RESULTS.json",
                        help="a concbench result with the baselines")
    args = parser.parse_args(argv)
    try:
        result = load(args.path, args.path)
        rows = list(measure(result))
    except InputError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    missed = 0
    print(f"{'check':44} {'per task':>10} {'reference':>10} {'ratio':>7}  target")
    for what, _, per_task, reference, ratio, target in rows:
        if ratio is None:
            print(f"{what:44} {'(not in this file)':>29}")
            continue
        ok = ratio <= target
        missed += not ok
        print(f"{what:44} {per_task * 1e6:8.1f}us {reference * 1e6:8.1f}us "
              f"{ratio:7.3f}  <= {target:.2f} {'ok' if ok else 'MISSED'}")
    return 1 if missed else 0
