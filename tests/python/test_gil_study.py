"""scripts/gil_study.py: the GIL's hand-offs in Python beside the gil mode.
What it counts, on made-up traces and stamps, and a run's shape with tiny
tasks and a stand-in for concbench; no timing is asserted."""
import json
import os
import stat

import pytest

from cbscripts import run_script
from concbench import gil_study


def lackey(*items):
    """A lackey trace: ("I", addr), ("L", addr), ("S", addr) ..."""
    return [("I  " if k == "I" else f" {k} ") + f"{a:08x},8\n"
            for k, a in items]


A, B, END = 0x10000, 0x20000, 0x30000


def test_count_turns_finds_the_lines_the_other_thread_wrote():
    # Before the markers are known nothing counts; a thread's stores to
    # its own marker say it runs (a turn starts at the first of the thread
    # that did not run before); a store to the end's marker ends it all.
    line = 64
    trace = lackey(("S", 0x5000), ("S", A),                # turn 0
                   ("S", 0x1000), ("S", 0x1000 + 8), ("L", 0x2000),
                   ("S", A), ("S", 0x3000), ("I", 0x400000),
                   ("S", B),                               # turn 1
                   ("L", 0x1000), ("M", 0x2000), ("L", 0x4000),
                   ("I", 0x400000), ("I", 0x400000 + line),
                   ("S", A),                               # turn 2
                   ("L", 0x2000), ("L", 0x3000),
                   ("S", END), ("S", 0x1000))
    asked = []

    def read_markers():
        asked.append(1)
        return [A, B, END]
    turns = gil_study.count_turns(iter(trace), read_markers)
    assert asked
    assert [(t["turn"], t["thread"]) for t in turns] == \
        [(0, 0), (1, 1), (2, 0)]
    t0, t1, t2 = turns
    assert t0["marks"] == 2
    assert (t0["touched"], t0["written"], t0["moved"]) == (3, 2, 0)
    assert t0["code_lines"] == 1
    # turn 1: 0x1000 written in turn 0 (moved), 0x2000 only read there
    # (shared_read), 0x4000 new; it writes 0x2000.
    assert (t1["touched"], t1["written"], t1["moved"],
            t1["shared_read"]) == (3, 1, 1, 1)
    assert t1["code_lines"] == 2
    # turn 2: 0x2000 written in turn 1 moves; 0x3000 was written two turns
    # before, by this same thread: not moved.
    assert (t2["touched"], t2["moved"]) == (2, 1)


def test_handoffs_pairs_the_gaps_of_two_tasks():
    # Task 0 steps every 10 ns, then waits while task 1 runs, then goes on.
    a = [0, 10, 20, 30, 1000, 1010, 1020, 1030, 1040, 1050]
    b = [50, 60, 70, 950]
    gaps, afters = gil_study.handoffs([a, b], slow=20)
    # Task 0's long step 30 -> 1000: task 1's first stamp 50 (gap 20 - 10)
    # and its last 950 (gap 50 - 10); task 1's long step 70 -> 950 has no
    # stamp of task 0 inside it.
    assert gaps == [10, 40]
    assert afters == [0]


def test_handoffs_without_other_stamps_is_no_handoff():
    assert gil_study.handoffs([[0, 10, 20, 5000, 5010]]) == ([], [])


@pytest.fixture
def fake_concbench(tmp_path):
    """A stand-in for concbench: writes two benchmarks to --benchmark_out
    and records its CPU affinity and arguments."""
    script = tmp_path / "concbench"
    log = tmp_path / "calls"
    script.write_text(f"""#!/usr/bin/python3
import json, os, sys
args = sys.argv[1:]
out = next(a.split("=", 1)[1] for a in args if a.startswith("--benchmark_out="))
with open({str(log)!r}, "a") as f:
    f.write(json.dumps([sorted(os.sched_getaffinity(0)), args]) + "\\n")
json.dump({{"benchmarks": [
    {{"name": "logpow/serial/tasks:2/workers:1/manual_time",
      "run_type": "iteration", "real_time": 10}},
    {{"name": "logpow/gil/tasks:2/workers:2/manual_time",
      "run_type": "iteration", "real_time": 11, "gil_handoff_s": 1e-5}},
    {{"name": "x", "run_type": "aggregate", "real_time": 1}}]}},
    open(out, "w"))
""")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script, log


def test_a_run_interleaves_every_kind_of_batch(fake_concbench):
    script, log = fake_concbench
    r = run_script("gil_study.py", "run", "--rounds", "2", "--tasks", "2",
                   "--n", "200", "--loop", "20000", "--note2-n", "200",
                   "--shared-kib", "0,4", "--concbench", str(script))
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert (data["rounds"], data["tasks"], data["workers"]) == (2, 2, 2)
    assert data["shared_kib"] == [0, 4]
    assert set(data["turn_iterations"]) == {"logpow", "loop"}
    batches = data["batches"]
    for rnd in (1, 2):
        mine = [b for b in batches if b["round"] == rnd]
        py = {(b["task"], b["method"], b["pinned"]) for b in mine
              if b["side"] == "python"}
        assert py == {(t, m, p) for t in ("logpow", "loop", "bigpow")
                      for m in ("map", "pool") for p in (False, True)} | \
            {(t, m, False) for t in ("logpow", "loop")
             for m in ("steps", "steps2")}
        st = {(b["task"], b["pinned"]) for b in mine if b["side"] == "stamps"}
        assert st == {(t, p) for t in ("logpow", "loop")
                      for p in (False, True)}
        cb = [b for b in mine if b["side"] == "concbench"]
        assert len(cb) == 4        # two iteration entries, free and pinned
        orig = [b for b in mine if b["side"] == "python-original"]
        assert len(orig) == 1
        rows = {(x["task"], x["method"]) for x in orig[0]["results"]}
        assert ("cpu_costly", "map") in rows
        assert ("cpu_costly", "ThreadPool") in rows
    for b in batches:
        if b["side"] == "python":
            assert b["wall_s"] > 0 and b["task_cpu_s"] >= 0
            assert b["vcsw"] >= 0 and b["minflt"] >= 0
    # Every round ran concbench free and pinned to one CPU, with the
    # study's T, W and shared state sizes.
    calls = [json.loads(x) for x in log.read_text().splitlines()]
    assert len(calls) == 4
    allowed = sorted(os.sched_getaffinity(0))
    assert sorted(len(c[0]) for c in calls) == \
        sorted([1, 1, len(allowed), len(allowed)])
    for _, args in calls:
        assert "--tasks=2" in args and "--workers=2" in args
        assert "--shared-kib=0,4" in args


def test_table_reads_a_run(fake_concbench, tmp_path):
    script, _ = fake_concbench
    r = run_script("gil_study.py", "run", "--rounds", "1", "--tasks", "2",
                   "--n", "200", "--loop", "20000", "--note2-n", "200",
                   "--concbench", str(script))
    assert r.returncode == 0, r.stderr
    kept = tmp_path / "study.json"
    kept.write_text(r.stdout)
    t = run_script("gil_study.py", "table", str(kept))
    assert t.returncode == 0, t.stderr
    assert t.stdout.startswith("|")
    assert "logpow" in t.stdout and "gil" in t.stdout


def test_bad_flags_exit_2():
    for args in (["run", "--rounds", "0"], ["run", "--shared-kib", "x"],
                 ["trace", "--task", "nope"], ["nothing"],
                 ["trace", "--iterations", "0"]):
        r = run_script("gil_study.py", *args)
        assert r.returncode == 2, args
