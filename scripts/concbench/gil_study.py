"""Why CPython's threads run CPU-bound tasks slower than one thread, on this
machine, beside concbench's gil mode (issue 21, item 4; docs/gil.md).

usage: gil_study.py run [--rounds R] [--tasks T] [--workers W] [--n N]
                        [--loop N] [--note2-n N] [--shared-kib N,...]
                        [--concbench PATH]
       gil_study.py table STUDY.json
       gil_study.py trace [--task logpow|power|loop] [--iterations N]
                          [--mark M] [--switch-s S]

run: R rounds, each of them all of the following, in the opposite order
every other round, so that what is compared ran side by side:
- Python, in this process: T tasks run by the plain map and by
  multiprocessing.dummy.Pool(W) (ThreadPool, Pool.map's own chunk size),
  for three CPU-bound tasks: "logpow", the second seed note's costly task
  (a list of np.log(i + 1) and np.power(i, 1.1) for i < N, summed), "loop",
  a bytecode loop (s += i * i, i < N), and "bigpow", the first note's
  99999 ** 99999 (one C call, which keeps the GIL throughout); each free to
  run on every CPU and pinned to one (sched_setaffinity); per batch the
  wall time, the process's user and system time, its voluntary and
  involuntary context switches and minor faults (getrusage), the tasks'
  own CPU time (time.thread_time), the other processes' CPU meanwhile.
- Python, the hand-offs seen from inside: the same ThreadPool runs of
  logpow and loop, but each task stores time.perf_counter_ns() every few
  microseconds (a step); a step of one task far longer than its median is
  a time the lock was away. Per hand-off: the time from the last step of
  the task that gave the lock up to the first step of the one that took it,
  less a median step ("gap"), and what the first steps after taking it
  took beyond the median ("after").
- scripts/python-original --note 2, once: the note's own map, ThreadPool
  and Pool over T tasks, pools of W, its task's n from --note2-n.
- concbench: logpow and gmp_pow, serial and gil at each --shared-kib, T
  tasks at W workers, one repetition each, free and pinned to one CPU
  (taskset's way: the driver's affinity, which every child inherits).
It prints one JSON document: the parameters, the machine, and every
batch, each with its round; docs/results/gil/ keeps one, and
scripts/figures.py reads the figures of docs/gil.md from it.

table: the ratios of a kept run, a markdown table (docs/gil.md).

trace: how much of the interpreter's state a hand-off moves between CPUs.
Runs `gil_study.py lines` under valgrind's lackey (its memory trace): two
threads run N iterations each of the task (logpow's list of np.log; power's
of np.power; loop's s += i * i), handing the GIL to each other as CPython
does (the switch interval stretched to S, as valgrind runs the program some
thousand times slower); every M iterations a thread stores to a marker byte
of its own. The trace, cut into turns where the marker changes, gives per
turn the cache lines (64 bytes) of data it touched, wrote, and touched
after the other thread had written them in its turn: the lines that, with
the two threads on two CPUs, come over from the other CPU's cache after
each hand-off. Prints JSON.
"""

import argparse
import bisect
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from concbench.cli import ArgumentParser

SCRIPTS = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
ROOT = os.path.dirname(SCRIPTS)

np = None           # numpy, imported by the tasks that use it

# ------------------------------------------------------------- the tasks

N_LOGPOW = 50000    # set from --n
N_LOOP = 1000000    # set from --loop


def logpow(_):
    """The second seed note's cpu_costly, its n from --n."""
    n = N_LOGPOW
    step1 = [np.log(i + 1) for i in range(n)] + \
        [np.power(i, 1.1) for i in range(n)]
    return sum(step1)


def loop(_):
    s = 0
    for i in range(N_LOOP):
        s += i * i
    return s


def bigpow(_):
    """The first seed note's CPU-bound task."""
    return 99999 ** 99999


TASKS = {"logpow": logpow, "loop": loop, "bigpow": bigpow}


def logpow_steps(every):
    """logpow as a generator that yields every `every` iterations (and
    once more, its sum, at the end)."""
    n = N_LOGPOW
    step1 = []
    left = every
    for fn, arg in ((np.log, 1), (np.power, None)):
        for i in range(n):
            step1.append(fn(i + 1) if arg else fn(i, 1.1))
            left -= 1
            if not left:
                left = every
                yield None
    yield sum(step1)


def loop_steps(every):
    s = 0
    left = every
    for i in range(N_LOOP):
        s += i * i
        left -= 1
        if not left:
            left = every
            yield None
    yield s


STEPS = {"logpow": logpow_steps, "loop": loop_steps}


def interleaved(task, tasks, every, two):
    """The tasks in this one thread, as generators that yield every
    `every` iterations: one after another (two False), or two at a time
    taking turns at each yield, a new one starting where one ends (two
    True): what ThreadPool(2) does under the GIL, without threads. Both
    run the same code; only the turns differ."""
    make = STEPS[task]
    waiting = list(range(tasks))
    running = []
    while waiting or running:
        while waiting and len(running) < (2 if two else 1):
            waiting.pop()
            running.append(make(every))
        for g in list(running):
            try:
                next(g)
            except StopIteration:
                running.remove(g)


# Iterations between two stamps: a few microseconds each.
STAMP_EVERY = {"logpow": 4, "loop": 64}


def stamped(kind):
    """The task kind, storing perf_counter_ns() every few microseconds into
    a list of its own, which it returns."""
    now = time.perf_counter_ns
    every = STAMP_EVERY[kind]

    def logpow_stamped(_):
        stamps = [now()]
        n = N_LOGPOW
        step1 = []
        for fn, arg in ((np.log, 1), (np.power, None)):
            for base in range(0, n, every):
                for i in range(base, min(base + every, n)):
                    step1.append(fn(i + 1) if arg else fn(i, 1.1))
                stamps.append(now())
        sum(step1)
        return stamps

    def loop_stamped(_):
        stamps = [now()]
        s = 0
        for base in range(0, N_LOOP, every):
            for i in range(base, base + every):
                s += i * i
            stamps.append(now())
        return stamps
    return {"logpow": logpow_stamped, "loop": loop_stamped}[kind]


# ------------------------------------------------------ one Python batch

def busy_seconds():
    """The machine's busy CPU time (/proc/stat: all but idle and iowait),
    as concbench's steady.c and python-original count it; None without."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return (v[0] + v[1] + v[2] + v[5] + v[6]) / os.sysconf("SC_CLK_TCK")


def usage():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return (r.ru_utime, r.ru_stime, r.ru_nvcsw, r.ru_nivcsw, r.ru_minflt)


def pinned_cpu():
    """The CPU that pinned runs use: the first this process may use."""
    return min(os.sched_getaffinity(0))


def run_tasks(fn, method, tasks, workers):
    """The batch's results: by map, or by a ThreadPool of workers threads
    with Pool.map's own chunk size, made and joined inside the batch as
    the seed note does."""
    from multiprocessing.dummy import Pool as ThreadPool
    if method == "map":
        return list(map(fn, range(tasks)))
    pool = ThreadPool(workers)
    try:
        return pool.map(fn, range(tasks))
    finally:
        pool.close()
        pool.join()


# Iterations a task runs in one switch interval, measured (study()).
TURN = {}


def python_batch(task, method, tasks, workers, pin):
    """One timed batch of TASKS[task] and what it cost. method: map,
    pool (ThreadPool(workers)), or, in this one thread, steps (the task as
    a generator, one after another) and steps2 (two taking turns every
    switch interval's worth of iterations)."""
    fn = TASKS[task]
    cpu_times = []

    def timed(x):
        c = time.thread_time()
        fn(x)
        cpu_times.append(time.thread_time() - c)
    allowed = os.sched_getaffinity(0)
    if pin:
        os.sched_setaffinity(0, {pinned_cpu()})
    try:
        b0, u0, t0 = busy_seconds(), usage(), time.perf_counter()
        c0 = time.thread_time()
        if method in ("steps", "steps2"):
            interleaved(task, tasks, TURN[task], method == "steps2")
            cpu_times.append(time.thread_time() - c0)
        else:
            run_tasks(timed, method, tasks, workers)
        t1, u1, b1 = time.perf_counter(), usage(), busy_seconds()
    finally:
        os.sched_setaffinity(0, allowed)
    d = [b - a for a, b in zip(u0, u1)]
    wall = t1 - t0
    other = None
    if b0 is not None and b1 is not None:
        other = max(0.0, (b1 - b0) - d[0] - d[1]) / wall
    return {"side": "python", "task": task, "method": method,
            "pinned": pin, "wall_s": wall, "user_s": d[0], "sys_s": d[1],
            "vcsw": d[2], "ivcsw": d[3], "minflt": d[4],
            "task_cpu_s": sum(cpu_times), "other_cpus": other}


def handoffs(stamps_of_tasks, slow=20):
    """The hand-offs in one batch's stamps (a list per task): a step of a
    task longer than slow times its median step is a time it did not hold
    the lock. For each, with the stamps of every other task in between:
    gap, from the last stamp before to the first stamp of another task
    after, and back, each less one median step; and after, the first 4
    steps of the task once it has the lock back, less 4 median steps.
    Returns (gaps, afters), in ns."""
    every = sorted((t, k) for k, st in enumerate(stamps_of_tasks)
                   for t in st)
    times = [t for t, _ in every]
    gaps, afters = [], []
    for st in stamps_of_tasks:
        steps = [b - a for a, b in zip(st, st[1:])]
        if not steps:
            continue
        m = statistics.median(steps)
        for i, step in enumerate(steps):
            if step <= slow * m:
                continue
            a, b = st[i], st[i + 1]
            lo = bisect.bisect_right(times, a)
            hi = bisect.bisect_left(times, b)
            if lo >= hi:
                continue       # nobody ran meanwhile (not a hand-off)
            gaps.append(times[lo] - a - m)
            gaps.append(b - times[hi - 1] - m)
            after = steps[i + 1:i + 5]
            if len(after) == 4:
                afters.append(sum(after) - 4 * m)
    return gaps, afters


def stamped_batch(task, tasks, workers, pin):
    """One ThreadPool batch of the stamped task: its hand-offs."""
    allowed = os.sched_getaffinity(0)
    if pin:
        os.sched_setaffinity(0, {pinned_cpu()})
    try:
        t0 = time.perf_counter()
        stamps = run_tasks(stamped(task), "pool", tasks, workers)
        wall = time.perf_counter() - t0
    finally:
        os.sched_setaffinity(0, allowed)
    gaps, afters = handoffs(stamps)
    steps = [b - a for st in stamps for a, b in zip(st, st[1:])]
    return {"side": "stamps", "task": task, "pinned": pin, "wall_s": wall,
            "step_ns": statistics.median(steps), "handoffs": len(gaps) // 2,
            "gap_ns": statistics.median(gaps) if gaps else None,
            "gap_mean_ns": statistics.mean(gaps) if gaps else None,
            "after_ns": statistics.median(afters) if afters else None,
            "after_mean_ns": statistics.mean(afters) if afters else None}


# ----------------------------------------------------------- concbench

def concbench_batch(concbench, tasks, workers, shared_kib, pin):
    """One concbench run: logpow and gmp_pow, serial and gil, one
    repetition each; its benchmarks' iteration entries."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.json")
        cmd = [concbench, "--kernels=logpow,gmp_pow", "--modes=serial,gil",
               f"--tasks={tasks}", f"--workers={workers}",
               f"--shared-kib={','.join(map(str, shared_kib))}",
               "--no-baselines", "--benchmark_repetitions=1",
               f"--benchmark_out={out}"]
        cpu = pinned_cpu()
        r = subprocess.run(
            cmd, capture_output=True, text=True,
            preexec_fn=(lambda: os.sched_setaffinity(0, {cpu})) if pin
            else None)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()}")
        with open(out) as f:
            data = json.load(f)
    return [{"side": "concbench", "pinned": pin, **b}
            for b in data["benchmarks"] if b.get("run_type") == "iteration"]


def python_original(tasks, workers, n):
    """scripts/python-original --note 2 once: the note's map, ThreadPool
    and Pool over T tasks, its pools of W, its own costly task of n."""
    cmd = [sys.executable, os.path.join(SCRIPTS, "python-original"),
           "--note", "2", f"--tasks={tasks}", f"--workers={workers}",
           f"--n={n}", "--sleep=0.01", "--repeat=1", "--json"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()}")
    return {"side": "python-original", "pinned": False,
            **json.loads(r.stdout)}


# ----------------------------------------------------------------- run

def study(args):
    global np, N_LOGPOW, N_LOOP
    import numpy
    np = numpy
    N_LOGPOW, N_LOOP = args.n, args.loop
    for name, task in TASKS.items():     # imports, caches: once
        t0 = time.perf_counter()
        task(0)
        if name in STEPS:
            iterations = 2 * N_LOGPOW if name == "logpow" else N_LOOP
            TURN[name] = max(1, round(iterations * sys.getswitchinterval()
                                      / (time.perf_counter() - t0)))
    items = []
    for pin in (False, True):
        for task in TASKS:
            for method in ("map", "pool"):
                items.append(("python", task, method, pin))
        if not pin:
            for task in STEPS:
                for method in ("steps", "steps2"):
                    items.append(("python", task, method, pin))
        for task in STAMP_EVERY:
            items.append(("stamps", task, None, pin))
        items.append(("concbench", None, None, pin))
    items.append(("python-original", None, None, False))
    batches = []
    for r in range(args.rounds):
        for side, task, method, pin in (items if r % 2 == 0
                                        else items[::-1]):
            if side == "python":
                got = [python_batch(task, method, args.tasks, args.workers,
                                    pin)]
            elif side == "stamps":
                got = [stamped_batch(task, args.tasks, args.workers, pin)]
            elif side == "python-original":
                got = [python_original(args.tasks, args.workers,
                                       args.note2_n)]
            else:
                got = concbench_batch(args.concbench, args.tasks,
                                      args.workers, args.shared_kib, pin)
            for b in got:
                b["round"] = r + 1
            batches += got
            if sys.stderr.isatty():
                print(f"\rround {r + 1}/{args.rounds} {side} {task or ''} "
                      f"{method or ''} {'pinned' if pin else ''}\033[K",
                      end="", file=sys.stderr, flush=True)
    if sys.stderr.isatty():
        print("\r\033[K", end="", file=sys.stderr)
    return {"python": sys.version.split()[0], "numpy": np.__version__,
            "cpus": sorted(os.sched_getaffinity(0)),
            "pinned_cpu": pinned_cpu(), "load_before": os.getloadavg(),
            "rounds": args.rounds, "tasks": args.tasks,
            "workers": args.workers, "n": args.n, "loop": args.loop,
            "note2_n": args.note2_n,
            "shared_kib": args.shared_kib,
            "switch_interval_s": sys.getswitchinterval(),
            "turn_iterations": TURN,
            "batches": batches}


# --------------------------------------------------------------- lines

def trace_workload(args):
    """Two threads run the task under the GIL's own hand-offs, for
    valgrind's lackey (see trace). Every --mark iterations a thread stores
    a byte to a marker of its own (an mmap each), so that the trace shows
    which thread runs; the switch interval is --switch-s, stretched
    because valgrind runs the program far slower."""
    import ctypes
    import mmap
    kind, n, every = args.task, args.iterations, args.mark
    global np
    if kind != "loop":
        import numpy
        np = numpy
    marks = [mmap.mmap(-1, 4096) for _ in range(3)]
    addresses = [ctypes.addressof((ctypes.c_char * 4096).from_buffer(m))
                 for m in marks]
    with open(args.marker_file, "w") as f:
        f.write(" ".join(f"{a:x}" for a in addresses) + "\n")
    sys.setswitchinterval(args.switch_s)
    both = threading.Barrier(2)

    def work(me):
        mark = marks[me]
        lst, s = [], 0
        both.wait()
        for base in range(0, n, every):
            mark[0] = 1
            if kind == "logpow":
                for i in range(base, base + every):
                    lst.append(np.log(i + 1))
            elif kind == "power":
                for i in range(base, base + every):
                    lst.append(np.power(i, 1.1))
            else:
                for i in range(base, base + every):
                    s += i * i
    threads = [threading.Thread(target=work, args=(me,)) for me in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    marks[2][0] = 1                # the end
    return 0


def count_turns(trace, read_markers):
    """Per turn of a lackey trace (lines "I  addr,size", " L addr,size",
    " S ...", " M ..."): the data cache lines (64 bytes) it touched, those
    it wrote, those it touched that the turn before (the other thread) had
    written ("moved": with the threads on two CPUs, each must come from the
    other CPU's cache), those it touched that the turn before had only
    read, and its code lines. read_markers() gives the three marker
    addresses (thread 0's, thread 1's, the end), or None while the traced
    program has not written them yet. A turn starts at the first store to
    the marker of the thread that did not run the turn before; a store to
    the end's marker ends the last."""
    markers = None
    turn, who = -1, None
    last_write, last_touch, code_seen = {}, {}, {}
    turns = []
    cur = None
    for n, line in enumerate(trace):
        if markers is None:
            if n % 100000 == 0:
                markers = read_markers()
            continue
        kind = line[:2]
        if kind == "I ":
            if cur is not None:
                a = int(line[3:].split(",")[0], 16) >> 6
                if code_seen.get(a) != turn:
                    code_seen[a] = turn
                    cur["code_lines"] += 1
            continue
        if kind not in (" L", " S", " M"):
            continue
        addr = int(line[3:].split(",")[0], 16)
        store = kind != " L"
        if store and addr in markers:
            m = markers.index(addr)
            if m == 2:
                break
            if m != who:
                if cur is not None:
                    turns.append(cur)
                turn, who = turn + 1, m
                cur = {"turn": turn, "thread": m, "marks": 0, "touched": 0,
                       "written": 0, "moved": 0, "shared_read": 0,
                       "code_lines": 0}
            cur["marks"] += 1
            continue
        if cur is None:
            continue
        a = addr >> 6
        if last_touch.get(a) != turn:
            cur["touched"] += 1
            if last_write.get(a) == turn - 1:
                cur["moved"] += 1
            elif last_touch.get(a) == turn - 1:
                cur["shared_read"] += 1
            last_touch[a] = turn
        if store and last_write.get(a) != turn:
            last_write[a] = turn
            cur["written"] += 1
    if cur is not None:
        turns.append(cur)
    return turns


def trace(args):
    """Runs the workload under valgrind's lackey and counts its turns."""
    with tempfile.TemporaryDirectory() as tmp:
        marker_file = os.path.join(tmp, "markers")

        def read_markers():
            try:
                with open(marker_file) as f:
                    got = [int(x, 16) for x in f.read().split()]
            except (OSError, ValueError):
                return None
            return got if len(got) == 3 else None
        r, w = os.pipe()
        cmd = ["valgrind", "--tool=lackey", "--trace-mem=yes",
               f"--log-fd={w}", sys.executable,
               os.path.join(SCRIPTS, "gil_study.py"), "lines",
               f"--task={args.task}", f"--iterations={args.iterations}",
               f"--mark={args.mark}", f"--switch-s={args.switch_s}",
               f"--marker-file={marker_file}"]
        # Its stderr to a file: a pipe read only at the end could fill
        # and stop it, while this reads its trace.
        with open(os.path.join(tmp, "stderr"), "w+") as err:
            proc = subprocess.Popen(cmd, pass_fds=(w,),
                                    stdout=subprocess.DEVNULL, stderr=err)
            os.close(w)
            with os.fdopen(r, errors="replace") as lines:
                turns = count_turns(lines, read_markers)
                for _ in lines:                  # the rest, unread
                    pass
            if proc.wait() != 0:
                err.seek(0)
                raise RuntimeError(f"valgrind: {err.read().strip()[-500:]}")
    # The first turn has no turn before it and the second follows the
    # threads' start; the last may be cut short and ends them.
    inner = turns[2:-1]
    return {"task": args.task, "iterations": args.iterations,
            "mark": args.mark, "switch_s": args.switch_s,
            "python": sys.version.split()[0], "turns": turns,
            "median_moved": statistics.median(t["moved"] for t in inner)
            if inner else None,
            "median_marks": statistics.median(t["marks"] for t in inner)
            if inner else None}


# --------------------------------------------------------------- table

def load_study(path):
    with open(path) as f:
        return json.load(f)


def per_round(batches, key, value):
    """{key(b): {round: value(b)}} of the batches key gives one for."""
    out = {}
    for b in batches:
        k = key(b)
        if k is not None:
            out.setdefault(k, {})[b["round"]] = value(b)
    return out


def python_walls(study):
    return per_round(study["batches"],
                     lambda b: (b["task"], b["method"], b["pinned"])
                     if b["side"] == "python" else None,
                     lambda b: b["wall_s"])


def concbench_name(b):
    """A concbench entry's name without Google Benchmark's suffix."""
    return b["name"].removesuffix("/manual_time")


def concbench_entries(study):
    return per_round(study["batches"],
                     lambda b: (concbench_name(b), b["pinned"])
                     if b["side"] == "concbench" else None,
                     lambda b: b)


def ratios(num, den):
    """num / den round by round, for the rounds both have."""
    return [num[r] / den[r] for r in sorted(num) if r in den and den[r]]


def python_ratios(study, task, pinned, one="map", many="pool"):
    """map's time over ThreadPool's (one's over many's), round by round:
    the threads' speed beside one thread's (below 1: slower)."""
    w = python_walls(study)
    return ratios(w.get((task, one, pinned), {}),
                  w.get((task, many, pinned), {}))


def original_ratios(study):
    """python-original's cpu_costly: map's time over ThreadPool's."""
    got = []
    for b in study["batches"]:
        if b["side"] != "python-original":
            continue
        t = {r["method"]: r["median_ms"] for r in b["results"]
             if r["task"] == "cpu_costly"}
        got.append(t["map"] / t["ThreadPool"])
    return got


def gil_name(study, kernel, kib):
    base = f"{kernel}/gil/tasks:{study['tasks']}/workers:{study['workers']}"
    return base + (f"/shared_kib:{kib}" if kib else "")


def serial_name(study, kernel):
    return f"{kernel}/serial/tasks:{study['tasks']}/workers:1"


def gil_ratios(study, kernel, kib, pinned):
    """serial's time over gil's, round by round."""
    e = concbench_entries(study)
    t = {k: {r: b["real_time"] for r, b in v.items()} for k, v in e.items()}
    return ratios(t.get((serial_name(study, kernel), pinned), {}),
                  t.get((gil_name(study, kernel, kib), pinned), {}))


def cell(values, fmt="%.2f"):
    """The median and, in brackets, the range: "0.95 (0.91-0.99)"."""
    if not values:
        return "-"
    lo, hi = min(values), max(values)
    return f"{fmt % statistics.median(values)} ({fmt % lo}-{fmt % hi})"


def table(study):
    """A markdown table: each task's threads (ThreadPool(W), gil at W)
    beside one thread (map, serial), free and pinned to one CPU."""
    t, w = study["tasks"], study["workers"]
    lines = [f"| task ({t} tasks, W = {w}) | free | pinned to one CPU |",
             "| --- | ---: | ---: |"]
    orig = original_ratios(study)
    if orig:
        lines.append(f"| Python, `python-original --note 2` (n = "
                     f"{study['note2_n']}), ThreadPool / map "
                     f"| {cell(orig)} | not run |")
    names = {"logpow": f"the note's task, n = {study['n']}",
             "loop": f"a bytecode loop of {study['loop']}",
             "bigpow": "`99999**99999`"}
    for task, what in names.items():
        lines.append(f"| Python, {what}, ThreadPool / map "
                     f"| {cell(python_ratios(study, task, False))} "
                     f"| {cell(python_ratios(study, task, True))} |")
        steps = python_ratios(study, task, False, "steps", "steps2")
        if steps:
            lines.append(f"| Python, {what}, two at a time in one thread "
                         f"/ one at a time | {cell(steps)} | not run |")
    for kernel in ("logpow", "gmp_pow"):
        for kib in study["shared_kib"]:
            shown = f"`gil` --shared-kib={kib}" if kib else "`gil`"
            lines.append(f"| C, `{kernel}`, {shown} / `serial` "
                         f"| {cell(gil_ratios(study, kernel, kib, False))} "
                         f"| {cell(gil_ratios(study, kernel, kib, True))} |")
    return lines


def median_of(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def python_median(study, side, task, method, pinned, key):
    """The median over the rounds of a Python batch's key."""
    return median_of(b[key] for b in study["batches"]
                     if b["side"] == side and b["task"] == task
                     and b.get("method") == method and b["pinned"] == pinned)


def concbench_median(study, name, pinned, key):
    return median_of(b.get(key) for b in study["batches"]
                     if b["side"] == "concbench" and b["pinned"] == pinned
                     and concbench_name(b) == name)


def both_pins(fmt, get):
    """"free / pinned" of get(pinned), "-" where there is none."""
    cells = [get(p) for p in (False, True)]
    return " / ".join("-" if c is None else fmt % c for c in cells)


def python_counters(study, task):
    """The Python side's counters of task: (hand-offs a second, gap in
    us, after in us, task CPU over map's), each get(pinned)."""
    def stamps(key):
        return lambda p: python_median(study, "stamps", task, None, p, key)

    def per_s(p):
        n, wall = stamps("handoffs")(p), stamps("wall_s")(p)
        return n / wall if n is not None and wall else None

    def us(key):
        return lambda p: (None if stamps(key)(p) is None
                          else stamps(key)(p) / 1e3)

    def cpu(p):
        pool = python_median(study, "python", task, "pool", p, "task_cpu_s")
        one = python_median(study, "python", task, "map", p, "task_cpu_s")
        return pool / one if pool and one else None
    return per_s, us("gap_ns"), None, us("after_ns"), cpu


def gil_counters(study, kernel, kib):
    name = gil_name(study, kernel, kib)

    def get(key, scale=1.0):
        def f(p):
            v = concbench_median(study, name, p, key)
            return None if v is None else v * scale
        return f

    def per_s(p):
        n = concbench_median(study, name, p, "gil_handoffs_per_task")
        t = concbench_median(study, name, p, "real_time")
        return n * study["tasks"] / (t / 1e3) if n is not None and t else None

    def cpu(p):
        g = concbench_median(study, name, p, "task_cpu_s")
        one = concbench_median(study, serial_name(study, kernel), p,
                               "task_cpu_s")
        return g / one if g and one else None
    return (per_s, get("gil_handoff_s", 1e6), get("gil_cross_cpu"),
            get("gil_state_s", 1e6) if kib else (lambda p: None), cpu)


def counters_table(study):
    """The hand-offs' counters, free / pinned to one CPU, Python's beside
    gil's."""
    cols = [("Python, the note's task", python_counters(study, "logpow")),
            ("Python, a bytecode loop", python_counters(study, "loop"))]
    for kib in study["shared_kib"]:
        shown = f"`gil` --shared-kib={kib}" if kib else "`gil`"
        cols.append((f"C, `logpow`, {shown}",
                     gil_counters(study, "logpow", kib)))
    rows = [("hand-offs a second", "%.0f"),
            ("from the drop to the take, us (Python: median; C: mean)",
             "%.1f"),
            ("share of hand-offs to the other CPU", "%.2f"),
            ("after the take: Python, its first 4 steps beyond the median; "
             "C, writing the shared state; us", "%.1f"),
            ("a task's CPU time over one thread's (map, serial)", "%.3f")]
    lines = ["| free / pinned to one CPU | "
             + " | ".join(c[0] for c in cols) + " |",
             "| --- |" + " ---: |" * len(cols)]
    for i, (what, fmt) in enumerate(rows):
        cells = [both_pins(fmt, c[1][i]) if c[1][i] else "not seen"
                 for c in cols]
        lines.append(f"| {what} | " + " | ".join(cells) + " |")
    return lines


# ---------------------------------------------------------------- main

def kib_list(text):
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not N,N,...")
    if any(v < 0 for v in values):
        raise argparse.ArgumentTypeError(f"'{text}': negative")
    return values


def positive(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number")
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not positive")
    return value


def main(argv):
    p = ArgumentParser(prog="gil_study.py",
                       description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="what", required=True)
    r = sub.add_parser("run", help="Python and gil, interleaved")
    r.add_argument("--rounds", type=positive, default=5)
    r.add_argument("--tasks", type=positive, default=8)
    r.add_argument("--workers", type=positive, default=2)
    r.add_argument("--n", type=positive, default=50000,
                   help="logpow's n (the note's is 500000)")
    r.add_argument("--loop", type=positive, default=1000000,
                   help="the bytecode loop's length")
    r.add_argument("--note2-n", type=positive, default=500000,
                   help="python-original's n (the note's: 500000)")
    r.add_argument("--shared-kib", type=kib_list, default=[0],
                   help="gil's --shared-kib values (default 0)")
    r.add_argument("--concbench",
                   default=os.path.join(ROOT, "build", "bench", "concbench"))
    t = sub.add_parser("table", help="a kept run's ratios, in markdown")
    t.add_argument("--counters", action="store_true",
                   help="the hand-offs' counters instead")
    t.add_argument("study")
    for name in ("lines", "trace"):
        s = sub.add_parser(name, help="cache lines moved per hand-off")
        s.add_argument("--task", choices=["logpow", "power", "loop"],
                       default="logpow")
        s.add_argument("--iterations", type=positive, default=40000,
                       help="iterations of each thread (default 40000)")
        s.add_argument("--mark", type=positive, default=16,
                       help="iterations between two marks (default 16)")
        s.add_argument("--switch-s", type=float, default=2.0,
                       help="the switch interval under valgrind, in s "
                       "(default 2)")
        if name == "lines":
            s.add_argument("--marker-file", required=True)
    args = p.parse_args(argv)
    if args.what == "lines":
        return trace_workload(args)
    if args.what == "table":
        kept = load_study(args.study)
        print("\n".join(counters_table(kept) if args.counters
                        else table(kept)))
        return 0
    out = study(args) if args.what == "run" else trace(args)
    json.dump(out, sys.stdout, indent=1)
    print()
    return 0
