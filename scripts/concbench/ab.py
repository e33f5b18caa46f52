"""Two concbench programs side by side: is B slower or faster than A?

Each benchmark that both programs would run with the given concbench flags
runs alone, one repetition at a time, A then B, then B then A, and so on,
--pairs times, the benchmarks in a random order each round; so that a slow
spell of the machine (its speed changes in steps) hits both alike.  The
figure is, per benchmark, the median of its ratios B / A, and over all the
geometric mean of those medians.  Use it to check that a change did not
slow the suite down: A built from the commit before, B from the change.

usage: ab [--pairs=N] [--out=FILE.json] A B [concbench flags...]
  e.g. ab /tmp/old/bench/concbench build/bench/concbench --kernels=noop

Prints one line per benchmark (its median B / A and its pairs) and the
geometric mean; --out keeps every time measured and the commands, as JSON.
Exit status: 0; 2 for a bad option, a program that is missing or fails,
or flags with which the two run no benchmark in common (one line ``ab:
problem`` on stderr).
"""
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile

from concbench.load import InputError, read_json, seconds
from concbench import stats


PROG = "ab"
USAGE = "usage: ab [--pairs=N] [--out=FILE.json] A B [concbench flags...]"
MAX_PAIRS = 1000
TIMEOUT_S = 3600


class Fail(Exception):
    pass


def parse_args(argv):
    pairs, out, rest = 6, None, []
    args = iter(argv)
    for arg in args:
        if arg in ("-h", "--help"):
            print(__doc__.strip())
            sys.exit(0)
        if arg.startswith("--pairs="):
            text = arg.partition("=")[2]
            if not re.fullmatch(r"[0-9]{1,4}", text) or not (
                    1 <= int(text) <= MAX_PAIRS):
                raise Fail(f"--pairs: {text!r} is not a whole number 1 to "
                           f"{MAX_PAIRS}")
            pairs = int(text)
        elif arg.startswith("--out="):
            out = arg.partition("=")[2]
            if not out:
                raise Fail("--out needs a file name")
        else:
            rest = [arg, *args]
    if len(rest) < 2:
        raise Fail(USAGE)
    a, b, flags = rest[0], rest[1], rest[2:]
    for prog in (a, b):
        if not (os.path.isfile(prog) and os.access(prog, os.X_OK)):
            raise Fail(f"{prog}: not an executable file")
    for flag in flags:
        if flag.split("=")[0] in ("--benchmark_filter", "--benchmark_out",
                                  "--benchmark_repetitions",
                                  "--benchmark_format"):
            raise Fail(f"{flag.split('=')[0]}: ab sets it itself")
    return pairs, out, a, b, flags


def run(prog, flags):
    try:
        proc = subprocess.run([prog, *flags], capture_output=True, text=True,
                              timeout=TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise Fail(f"{prog}: {e}") from None
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines() or ["(no message)"]
        raise Fail(f"{prog} exited with status {proc.returncode}: "
                   f"{lines[-1]}")
    return proc.stdout


def names(prog, flags):
    out = run(prog, [*flags, "--benchmark_list_tests=true"])
    return [n for n in out.split() if n]


def one_time(prog, flags, name, out_path):
    """The real time in seconds of one repetition of name alone."""
    run(prog, [*flags, f"--benchmark_filter=^{re.escape(name)}$",
               "--benchmark_repetitions=1", f"--benchmark_out={out_path}",
               "--benchmark_out_format=json"])
    try:
        data = read_json(out_path)
    except InputError as e:
        raise Fail(f"{prog}: {name}: {e.problem}") from None
    runs = [r for r in data["benchmarks"]
            if r.get("run_type") == "iteration" and r.get("name") == name]
    if len(runs) != 1 or runs[0].get("error_occurred"):
        raise Fail(f"{prog}: {name}: "
                   f"{runs[0].get('error_message') if runs else 'no run'}")
    return seconds(runs[0])


def main(argv):
    try:
        pairs, out, a, b, flags = parse_args(argv)
        common = [n for n in names(b, flags) if n in set(names(a, flags))]
        if not common:
            raise Fail("the two programs run no benchmark in common with "
                       "these flags")
        times = {n: {"a": [], "b": []} for n in common}
        rng = random.Random(0)
        with tempfile.TemporaryDirectory(prefix="ab-") as tmp:
            out_path = os.path.join(tmp, "one.json")
            for k in range(pairs):
                order = common[:]
                rng.shuffle(order)
                for name in order:
                    first = ("a", "b") if k % 2 == 0 else ("b", "a")
                    for side in first:
                        prog = a if side == "a" else b
                        times[name][side].append(
                            one_time(prog, flags, name, out_path))
                print(f"{PROG}: pair {k + 1} of {pairs} done", file=sys.stderr,
                      flush=True)
    except Fail as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    width = max(len(n) for n in common)
    medians = []
    for name in common:
        ratios = [tb / ta for ta, tb in zip(times[name]["a"],
                                             times[name]["b"])]
        med = statistics.median(ratios)
        medians.append(med)
        times[name]["median_b_over_a"] = med
        print(f"{name:{width}}  median B/A {med:6.3f}  pairs "
              + " ".join(f"{r:.2f}" for r in ratios))
    geomean = stats.geomean(medians)
    print(f"geometric mean of the medians: {geomean:.3f}")
    if out:
        report = {"a": a, "b": b, "flags": flags, "pairs": pairs,
                  "geomean_b_over_a": geomean, "times_s": times}
        try:
            with open(out + ".tmp", "w", encoding="utf-8") as f:
                json.dump(report, f, indent=1)
            os.replace(out + ".tmp", out)
        except OSError as e:
            print(f"{PROG}: {out}: {e.strerror}", file=sys.stderr)
            return 2
    return 0
