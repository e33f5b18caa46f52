"""Helpers shared by the tests of the scripts (scripts/compare, plot ...).

Paths are relative to this file, so the tests run from any directory; they
write only into pytest's tmp_path.
"""

import importlib.util
import os
import subprocess
import sys
from importlib.machinery import SourceFileLoader
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
# The scripts' package (concbench/), imported without writing its bytecode
# into the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, str(SCRIPTS))
FIXTURES = ROOT / "tests" / "fixtures"
BAD_FIXTURES = sorted((FIXTURES / "bad").glob("*.json"))
BASE_TEXT = (FIXTURES / "base.json").read_text()
FIRST_TIME = '"real_time": 100,'    # k/serial's first repetition
FIRST_NAME = "k/serial/tasks:4/workers:1/manual_time"
MAX_DEPTH = 100     # load.MAX_DEPTH, the documented limit
TOO_DEEP = "nested too deeply (more than 100 arrays and objects)"


def base_with(old, new):
    """The text of base.json with the first old replaced by new."""
    assert old in BASE_TEXT
    return BASE_TEXT.replace(old, new, 1)


def with_deep_context(depth):
    """base.json with a context value nested so that the whole document
    nests depth arrays and objects deep (the root and context are 2)."""
    inner = depth - 2
    return base_with('"context": {', '"context": {"deep": '
                     + "[" * inner + "]" * inner + ", ")


# Unusable inputs made by the tests (big, or not files at all): name ->
# (the file's text, bytes, "fifo" or "sparse"; the problem reported).
UNUSABLE = {
    "int_beyond_float": (base_with(FIRST_TIME, f'"real_time": {"9" * 400},'),
                         "number out of range: a 400-digit integer"),
    "int_beyond_int_limit": (base_with(FIRST_TIME,
                                       f'"real_time": {"1" * 5000},'),
                             "number out of range: a 5000-digit integer"),
    "counter_beyond_float": (base_with('"faults_per_task": 10',
                                       f'"faults_per_task": -{"9" * 400}'),
                             "number out of range: a 400-digit integer"),
    "float_beyond_float": (base_with(FIRST_TIME, '"real_time": 1e400,'),
                           "number out of range: 1e400"),
    "deep_array": ("[" * 100_000, TOO_DEEP),
    "deep_context": (base_with('"context": {', '"context": {"deep": '
                               + '{"a": ' * 5000 + "1" + "}" * 5000 + ", "),
                     TOO_DEEP),
    "just_too_deep": (with_deep_context(MAX_DEPTH + 1), TOO_DEEP),
    "zero_time": (base_with(FIRST_TIME, '"real_time": 0,'),
                  f"benchmark {FIRST_NAME!r}: zero real_time"),
    "zero_seconds": (base_with('"real_time": 100, "cpu_time": 50.0, '
                               '"time_unit": "ms"',
                               '"real_time": 5e-324, "cpu_time": 50.0, '
                               '"time_unit": "ns"'),
                     f"benchmark {FIRST_NAME!r}: real_time 5e-324 ns is 0 s"),
    "not_utf8": (BASE_TEXT.replace("alpha", "\xe9").encode("latin-1"),
                 "not JSON (not UTF-8 text)"),
    # json's own message ends in "at": said once (it said "at at").
    "unterminated_string": ('{"context": {"host_name": "vm',
                            "not JSON (Unterminated string starting at "
                            "line 1 column 27)"),
    "control_character": ('{"context": {"host_name": "v\nm"}}',
                          "not JSON (Invalid control character at line 1 "
                          "column 29)"),
    "empty": ("", "empty file (not JSON)"),
    "fifo": ("fifo", "is a FIFO, not a JSON file"),
    "too_big": ("sparse", "too big (more than 256 MiB)"),
}


def make_unusable(tmp_path, case):
    """(path, problem) of the UNUSABLE case, made in tmp_path."""
    content, problem = UNUSABLE[case]
    path = tmp_path / f"{case}.json"
    if content == "fifo":
        os.mkfifo(path)     # and no writer: reading it would block
    elif content == "sparse":
        with open(path, "wb") as f:     # 256 MiB + 1 of nothing on disk
            f.truncate((256 << 20) + 1)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path, problem


def load_script(name):
    """The module of the program scripts/<name>: the package's module that
    the entry point runs (concbench/compare.py for scripts/compare), else
    the file itself (figures.py)."""
    module = name.removesuffix(".py").replace("-", "_")
    if (SCRIPTS / "concbench" / f"{module}.py").is_file():
        return importlib.import_module(f"concbench.{module}")
    loader = SourceFileLoader(f"cb_script_{name}", str(SCRIPTS / name))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def run_script(name, *args):
    """Run scripts/<name> as a program; a CompletedProcess with text."""
    return subprocess.run([sys.executable, str(SCRIPTS / name),
                           *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def exact_mann_whitney_p(a, b):
    """Exact two-sided Mann-Whitney p-value of tie-free samples, by
    enumerating every way of splitting the pooled values in two groups."""
    pooled = a + b
    mean = len(a) * len(b) / 2

    def u_of(group):
        rest = [y for j, y in enumerate(pooled) if j not in group]
        return sum(pooled[i] > y for i in group for y in rest)

    observed = abs(sum(x > y for x in a for y in b) - mean)
    splits = list(combinations(range(len(pooled)), len(a)))
    extreme = sum(abs(u_of(set(s)) - mean) >= observed for s in splits)
    return extreme / len(splits)


def one_line_error(proc, path):
    """Check the failure shape every bad input must give."""
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert str(path) in lines[0]
    return lines[0]
