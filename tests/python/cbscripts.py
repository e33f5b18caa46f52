"""Helpers shared by the tests of scripts/compare and scripts/plot.

Paths are relative to this file, so the tests run from any directory; they
write only into pytest's tmp_path.
"""

import importlib.util
import subprocess
import sys
from importlib.machinery import SourceFileLoader
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
FIXTURES = ROOT / "tests" / "fixtures"
BAD_FIXTURES = sorted((FIXTURES / "bad").glob("*.json"))


def load_script(name):
    """Import scripts/<name> (a file without .py) as a module."""
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
