"""Tests of scripts/ab with two stand-in programs that answer like
concbench (--benchmark_list_tests, one filtered repetition into
--benchmark_out) with times they are given, and log every call: the
ratios, the alternation A B / B A, the kept JSON and the one-line errors.
"""

import json
import os
import stat

import pytest

from cbscripts import run_script

FAKE = """#!/usr/bin/python3
import json, re, sys
SECONDS = {seconds!r}
NAMES = {names!r}
args = sys.argv[1:]
if "--fail" in args:
    sys.stderr.write("fake: --fail: refused\\n")
    sys.exit(2)
if "--benchmark_list_tests=true" in args:
    print("\\n".join(NAMES))
    sys.exit(0)
flt = next(a for a in args if a.startswith("--benchmark_filter="))
out = next(a for a in args if a.startswith("--benchmark_out="))
name = next(n for n in NAMES if re.fullmatch(flt.split("=", 1)[1].strip("^$"), n))
with open({log!r}, "a") as f:
    f.write({tag!r} + " " + name + "\\n")
with open(out.split("=", 1)[1], "w") as f:
    json.dump({{"benchmarks": [{{"name": name, "run_type": "iteration",
        "real_time": SECONDS[name] * 1e3, "time_unit": "ms"}}]}}, f)
"""


def fake(tmp_path, tag, seconds, names=None):
    path = tmp_path / tag
    path.write_text(FAKE.format(seconds=seconds, names=names or list(seconds),
                                log=str(tmp_path / "log"), tag=tag))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_ratios_alternation_and_kept_json(tmp_path):
    a = fake(tmp_path, "A", {"x/thread": 0.010, "x/process": 0.020})
    b = fake(tmp_path, "B", {"x/thread": 0.020, "x/process": 0.020,
                             "x/spawn": 0.5})   # only B has spawn
    out = tmp_path / "ab.json"
    proc = run_script("ab", "--pairs=4", f"--out={out}", a, b, "--flag=1")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:4] == ["x/thread", "median", "B/A", "2.000"]
    assert lines[1].split()[:4] == ["x/process", "median", "B/A", "1.000"]
    assert lines[-1] == "geometric mean of the medians: 1.414"
    assert len(lines) == 3     # spawn, in B only, is not compared
    calls = (tmp_path / "log").read_text().split("\n")[:-1]
    assert len(calls) == 4 * 2 * 2
    # Each benchmark's pairs alternate who goes first: A B, B A, A B, B A.
    for name in ["x/thread", "x/process"]:
        tags = [c.split()[0] for c in calls if c.endswith(" " + name)]
        assert tags == ["A", "B", "B", "A", "A", "B", "B", "A"]
    report = json.loads(out.read_text())
    assert report["pairs"] == 4 and report["flags"] == ["--flag=1"]
    assert report["times_s"]["x/thread"]["a"] == [0.01] * 4
    assert report["geomean_b_over_a"] == pytest.approx(2 ** 0.5)


@pytest.mark.parametrize("args, problem", [
    (["--pairs=0"], "--pairs: '0' is not a whole number 1 to 1000"),
    (["--pairs=many"], "--pairs: 'many' is not a whole number 1 to 1000"),
    (["{a}"], "usage: ab"),
    (["{a}", "{tmp}/missing"], "missing: not an executable file"),
    (["{a}", "{b}", "--benchmark_filter=x"],
     "--benchmark_filter: ab sets it itself"),
    (["{a}", "{b}", "--fail"], "exited with status 2: fake: --fail: refused"),
    (["{a}", "{other}"], "the two programs run no benchmark in common"),
])
def test_bad_input_is_one_line(tmp_path, args, problem):
    paths = {"a": fake(tmp_path, "A", {"x/thread": 0.01}),
             "b": fake(tmp_path, "B", {"x/thread": 0.01}),
             "other": fake(tmp_path, "O", {"y/thread": 0.01}),
             "tmp": tmp_path}
    proc = run_script("ab", *[a.format(**paths) for a in args])
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("ab: ") and problem in lines[0]
