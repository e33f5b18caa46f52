"""The seed notes' Python experiments beside concbench's runs of the same
batches: the two tables of docs/c-beside-python.md, from the kept files
of docs/results/c-beside-python/.

--note 1: per strategy, the median batch time in ms of Python's 8 tasks
(scripts/python-original --json: `sleep(0.1)` and `99999**99999`) and of
concbench's (io_sleep, gmp_pow, logpow), side by side.
--note 2: per task and pool, the batch time in s that the second note
printed (its two outputs, quoted: the note is not in this repository and
they are not measured here), Python's median here (scripts/python-original
--note 2 --json) and concbench's (io_sleep for io_costly, logpow for
cpu_costly).

usage: c_beside_python.py --note 1|2 PYTHON.json CONCBENCH.json
Prints a markdown table. Exit status: 0; 2 for a file that does not read
or lacks a result the table shows (one line on stderr).
"""

import json
import os
import sys

from concbench.cli import Missing, print_lines
from concbench.load import InputError, is_number, load, shown_path
from concbench.speedups import concbench_runs
from concbench.stats import median


PROG = "c_beside_python.py"
USAGE = f"usage: {PROG} --note 1|2 PYTHON.json CONCBENCH.json"
SLEEP, POW = "I/O-bound (sleep)", "CPU-bound (99999**99999)"

# The first note: (row, Python's method, C's mode); where Python has no
# method of its own, what its cells say instead.
NOTE1 = (("direct / `serial`", "direct", "serial"),
         ("`threading.Thread` / `thread`", "threading", "thread"),
         ("(the GIL) / `gil`", None, "gil"),
         ("`Process`, fork / `process`", "multiprocessing:fork", "process"),
         ("`Process`, spawn / `spawn`", "multiprocessing:spawn", "spawn"),
         ("`Process`, forkserver / `forkserver`",
          "multiprocessing:forkserver", "forkserver"),
         ("asyncio / `async`", None, "async"))
NO_METHOD = {"gil": "as threading", "async": "not run"}

# The second note: (row, Python's task and method, the note's two printed
# outputs in s as it printed them, C's kernel and mode, a second C mode
# shown in brackets or None).
NOTE2 = (("io: `map` / `serial`", "io_costly", "map", ("10.08", "10.01"),
          "io_sleep", "serial", None),
         ("io: ThreadPool / `thread_pool`", "io_costly", "ThreadPool",
          ("3.08", "2.01"), "io_sleep", "thread_pool", "gil"),
         ("io: Pool / `process_pool`", "io_costly", "Pool:fork",
          ("4.18", "2.03"), "io_sleep", "process_pool", None),
         ("cpu: `map` / `serial`", "cpu_costly", "map", ("39.67", "15.89"),
          "logpow", "serial", None),
         ("cpu: ThreadPool / `gil`", "cpu_costly", "ThreadPool",
          ("43.04", "16.93"), "logpow", "gil", "thread_pool"),
         ("cpu: Pool / `process_pool`", "cpu_costly", "Pool:fork",
          ("25.81", "3.36"), "logpow", "process_pool", None))


def python_ms(doc, task, method):
    """A python-original result's median, ms."""
    for r in doc.get("results", []):
        if (r.get("task"), r.get("method")) == (task, method):
            if not is_number(r.get("median_ms")):
                break
            return r["median_ms"]
    raise Missing(f"no median_ms of {method!r} for {task!r}")


def c_seconds(result, kernel, mode):
    """The median batch time of concbench's one run of kernel in mode."""
    found = [b for c, b in concbench_runs(result)
             if (c.kernel, c.mode) == (kernel, mode)]
    if len(found) != 1:
        raise Missing(f"{len(found)} runs of {kernel} {mode}, not one")
    return median(found[0].samples)


def note1(doc, result):
    lines = ["| strategy (Python / C) | Python, `sleep(0.1)` | C, `io_sleep` "
             "| Python, `99999**99999` | C, `gmp_pow` | C, `logpow` |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for row, method, mode in NOTE1:
        cells = [row]
        for task, kernels in ((SLEEP, ("io_sleep",)),
                              (POW, ("gmp_pow", "logpow"))):
            cells.append(NO_METHOD[mode] if method is None
                         else f"{python_ms(doc, task, method):.1f}")
            cells += [f"{c_seconds(result, k, mode) * 1e3:.1f}"
                      for k in kernels]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def note2(doc, result):
    lines = ["| task: Python / C | note, 1st output | note, 2nd output "
             "| Python here | C here |", "| --- | ---: | ---: | ---: | ---: |"]
    for row, task, method, printed, kernel, mode, also in NOTE2:
        fmt = "%.2f" if kernel == "io_sleep" else "%.4f"
        c = fmt % c_seconds(result, kernel, mode)
        if also:
            c += f" (`{also}` {fmt % c_seconds(result, kernel, also)})"
        lines.append(f"| {row} | {printed[0]} | {printed[1]} "
                     f"| {python_ms(doc, task, method) / 1e3:.2f} | {c} |")
    return lines


def read_python(path):
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        raise InputError(path, getattr(e, "strerror", None) or
                            f"not JSON ({e})") from None
    if not isinstance(doc, dict):
        raise InputError(path, "not scripts/python-original's --json")
    return doc


def main(argv):
    if len(argv) != 4 or argv[0] != "--note" or argv[1] not in ("1", "2"):
        print(USAGE, file=sys.stderr)
        return 2
    py_path, c_path = argv[2], argv[3]

    def lines():
        doc = read_python(py_path)
        result = load(c_path, os.path.basename(c_path))
        return (note1 if argv[1] == "1" else note2)(doc, result)
    return print_lines(PROG, lines, f"{shown_path(py_path)}, "
                                    f"{shown_path(c_path)}")
