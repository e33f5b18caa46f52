"""The Python experiments concbench comes from, run on this machine.

--note 1 (the default): the first seed note times 8 tasks run directly,
with one threading.Thread each and with one multiprocessing.Process each,
for an I/O-bound task (time.sleep(0.1)) and a CPU-bound one (99999 **
99999). This is that experiment, unchanged in what it times (start, then
join every worker), plus the spawn and forkserver start methods, repeated
and summarised so that it can sit beside concbench's numbers (docs/c-beside-python.md: "C
beside Python").

--note 2: the second seed note times 10 tasks with the plain map,
multiprocessing.dummy.Pool() (ThreadPool) and multiprocessing.Pool() with
the fork start method, for "io_costly" (time.sleep(1)) and "cpu_costly"
(the sum of [np.log(i + 1) for i in range(n)] + [np.power(i, 1.1) for i in
range(n)], n = 500000). As there, each time runs from before the pool is
made until map returns; pools get no size, so they have os.cpu_count()
workers, and Pool.map picks its chunk size, ceil(tasks / (4 * workers)).
The pool is closed and joined after its time is taken (the note never
closes it). --repeat N runs the note's whole sequence N times, in order.

Usage: python-original [--note 1|2] [--tasks N] [--repeat N] [--sleep S]
                       [--n N] [--workers N] [--json]
Prints one line per (task, method): median, min and max wall time in ms.
"""
import argparse
import datetime
import json
import multiprocessing
import multiprocessing.dummy
import os
import resource
import statistics
import sys
import threading
import time


def io_task(sleep_s):
    time.sleep(sleep_s)


def cpu_task(sleep_s):
    return 99999 ** 99999


TASKS = {"I/O-bound (sleep)": io_task, "CPU-bound (99999**99999)": cpu_task}


def timed(task, method, n, sleep_s):
    """The seed's time_task: start every worker, then join them all."""
    start = time.perf_counter()
    if method == "direct":
        for _ in range(n):
            task(sleep_s)
    elif method == "threading":
        workers = [threading.Thread(target=task, args=(sleep_s,))
                   for _ in range(n)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    else:
        ctx = multiprocessing.get_context(method.split(":")[1])
        workers = [ctx.Process(target=task, args=(sleep_s,))
                   for _ in range(n)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        bad = [w.exitcode for w in workers if w.exitcode != 0]
        if bad:
            raise RuntimeError(f"{method}: a worker exited with {bad[0]}")
    return (time.perf_counter() - start) * 1000


# The second seed note. Its task reads these instead of its constants 1 and
# 500000 (set before any pool is made, so forked workers see them too).
NOTE2_SLEEP_S = 1.0
NOTE2_N = 500000
np = None           # numpy, imported only for --note 2


def costly_task(inputs):
    """The note's costly_task, as written but for the two constants."""
    task_num, task_type = inputs
    # task_mode can be 'io_costly', 'cpu_costly'
    ppid = os.getppid()
    pid = os.getpid()
    start_time = datetime.datetime.now().strftime('%S.%f')
    if task_type == 'io_costly':
        time.sleep(NOTE2_SLEEP_S)
        task_res = 0
    else:
        n = NOTE2_N
        step1 = [np.log(i + 1) for i in range(n)] + \
            [np.power(i, 1.1) for i in range(n)]
        task_res = sum(step1)
    end_time = datetime.datetime.now().strftime('%S.%f')
    return task_res


NOTE2_TASKS = ["io_costly", "cpu_costly"]
NOTE2_METHODS = ["map", "ThreadPool", "Pool:fork"]


def pool_map_chunksize(tasks, workers):
    """The chunk size Pool.map picks when given none (CPython's
    Pool._map_async): ceil(tasks / (4 * workers)), 0 for no tasks."""
    if tasks == 0:
        return 0
    chunksize, extra = divmod(tasks, workers * 4)
    return chunksize + 1 if extra else chunksize


def cpu_seconds():
    """CPU time of this process and its reaped children, in s."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def busy_seconds():
    """The machine's busy CPU time (/proc/stat, as concbench's steady.c:
    all but idle and iowait), in s; None where there is no /proc/stat."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    if len(v) < 7:
        return None
    return (v[0] + v[1] + v[2] + v[5] + v[6]) / os.sysconf("SC_CLK_TCK")


def note2_batch(task_type, method, tasks, workers):
    """One of the note's timings: (ms, pool workers, chunk size, other
    processes' CPU meanwhile as a fraction of one CPU, or None)."""
    busy0, own0, wall0 = busy_seconds(), cpu_seconds(), time.perf_counter()
    inputs = [[i, task_type] for i in range(tasks)]
    pool = None
    start = time.perf_counter()
    if method == "map":
        results = list(map(costly_task, inputs))
    else:
        if method == "ThreadPool":
            pool = multiprocessing.dummy.Pool(workers)
        else:
            pool = multiprocessing.get_context("fork").Pool(workers)
        results = pool.map(costly_task, inputs)
    ms = (time.perf_counter() - start) * 1000
    size = chunk = None
    if pool is not None:
        size = len(pool._pool)      # what Pool.map divides by
        chunk = pool_map_chunksize(tasks, size)
        pool.close()
        pool.join()                 # the workers are reaped: their CPU is own
    if len(results) != tasks:
        raise RuntimeError(f"{method}: {len(results)} results, not {tasks}")
    busy1, own1, wall1 = busy_seconds(), cpu_seconds(), time.perf_counter()
    other = None
    if busy0 is not None and busy1 is not None and wall1 > wall0:
        other = max(0.0, (busy1 - busy0) - (own1 - own0)) / (wall1 - wall0)
    return ms, size, chunk, other


def note2(args):
    """The second note's experiment, --repeat times; (rows, header)."""
    global np, NOTE2_SLEEP_S, NOTE2_N
    import numpy
    np = numpy
    NOTE2_SLEEP_S, NOTE2_N = args.sleep, args.n
    runs = {(t, m): [] for t in NOTE2_TASKS for m in NOTE2_METHODS}
    for i in range(args.repeat):
        for task_type in NOTE2_TASKS:
            for method in NOTE2_METHODS:
                runs[task_type, method].append(
                    note2_batch(task_type, method, args.tasks, args.workers))
                if sys.stderr.isatty():
                    print(f"\rrun {i + 1}/{args.repeat} {task_type} {method}"
                          "\033[K", end="", file=sys.stderr, flush=True)
    rows = []
    for (task_type, method), batches in runs.items():
        times = [b[0] for b in batches]
        sizes = {b[1] for b in batches}
        chunks = {b[2] for b in batches}
        if len(sizes) != 1 or len(chunks) != 1:
            raise RuntimeError(f"{method}: the pool size changed")
        rows.append({"task": task_type, "method": method,
                     "workers": sizes.pop(), "chunksize": chunks.pop(),
                     "median_ms": statistics.median(times),
                     "min_ms": min(times), "max_ms": max(times),
                     "times_ms": times,
                     "other_cpus": [b[3] for b in batches]})
    header = {"note": 2, "tasks": args.tasks, "repeat": args.repeat,
              "sleep_s": args.sleep, "n": args.n, "start_method": "fork",
              "pool_size_given": args.workers, "cpu_count": os.cpu_count(),
              "numpy": np.__version__}
    return rows, header


METHODS = ["direct", "threading", "multiprocessing:fork",
           "multiprocessing:spawn", "multiprocessing:forkserver"]


def positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a number")
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text} is not positive")
        return value
    return parse


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--note", type=int, choices=[1, 2], default=1,
                   help="which seed note's experiment (default 1)")
    p.add_argument("--tasks", type=positive(int),
                   help="tasks per batch (default as in the note: 8, 10)")
    p.add_argument("--repeat", type=positive(int), default=5,
                   help="batches per (task, method) (default 5)")
    p.add_argument("--sleep", type=positive(float),
                   help="the I/O task's sleep in s (default as in the "
                   "note: 0.1, 1)")
    p.add_argument("--n", type=positive(int),
                   help="note 2: the CPU task's loop size (default 500000)")
    p.add_argument("--workers", type=positive(int),
                   help="note 2: the pools' size (default none given, as "
                   "in the note: os.cpu_count())")
    p.add_argument("--json", action="store_true",
                   help="print JSON instead of a table")
    args = p.parse_args(argv)
    if args.note == 1:
        for flag in ("n", "workers"):
            if getattr(args, flag) is not None:
                p.error(f"--{flag} is for --note 2")
    defaults = {1: (8, 0.1, None), 2: (10, 1.0, 500000)}[args.note]
    for flag, value in zip(("tasks", "sleep", "n"), defaults):
        if getattr(args, flag) is None:
            setattr(args, flag, value)
    if args.note == 2:
        return main_note2(args)

    rows = []
    for label, task in TASKS.items():
        for method in METHODS:
            times = []
            for i in range(args.repeat):
                times.append(timed(task, method, args.tasks, args.sleep))
                if sys.stderr.isatty():
                    print(f"\r{label} {method} {i + 1}/{args.repeat}",
                          end="", file=sys.stderr, flush=True)
            rows.append({"task": label, "method": method,
                         "median_ms": statistics.median(times),
                         "min_ms": min(times), "max_ms": max(times)})
    if sys.stderr.isatty():
        print("\r\033[K", end="", file=sys.stderr)

    if args.json:
        json.dump({"python": sys.version.split()[0], "tasks": args.tasks,
                   "repeat": args.repeat, "sleep_s": args.sleep,
                   "results": rows}, sys.stdout, indent=1)
        print()
        return 0
    print(f"Python {sys.version.split()[0]}, {args.tasks} tasks, "
          f"{args.repeat} batches each, wall time in ms")
    print(f"{'task':26} {'method':28} {'median':>9} {'min':>9} {'max':>9}")
    for r in rows:
        print(f"{r['task']:26} {r['method']:28} {r['median_ms']:9.1f} "
              f"{r['min_ms']:9.1f} {r['max_ms']:9.1f}")
    return 0


def main_note2(args):
    rows, header = note2(args)
    if sys.stderr.isatty():
        print("\r\033[K", end="", file=sys.stderr)
    if args.json:
        json.dump({"python": sys.version.split()[0], **header,
                   "results": rows}, sys.stdout, indent=1)
        print()
        return 0
    print(f"Python {sys.version.split()[0]}, note 2: {args.tasks} tasks, "
          f"{args.repeat} runs, sleep {args.sleep:g} s, n = {args.n}, "
          f"wall time in ms")
    print(f"{'task':11} {'method':10} {'workers':>7} {'chunk':>5} "
          f"{'median':>9} {'min':>9} {'max':>9}")
    for r in rows:
        workers = "-" if r["workers"] is None else r["workers"]
        chunk = "-" if r["chunksize"] is None else r["chunksize"]
        print(f"{r['task']:11} {r['method']:10} {workers:>7} {chunk:>5} "
              f"{r['median_ms']:9.1f} {r['min_ms']:9.1f} {r['max_ms']:9.1f}")
    return 0
