"""scripts/python-original: the seed's Python experiment, summarised."""
import json

from cbscripts import run_script

METHODS = ["direct", "threading", "multiprocessing:fork",
           "multiprocessing:spawn", "multiprocessing:forkserver"]


def test_every_task_and_method_is_timed():
    r = run_script("python-original", "--tasks", "2", "--repeat", "2",
                   "--sleep", "0.02", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["tasks"] == 2 and data["repeat"] == 2
    rows = data["results"]
    assert [(row["task"].split()[0], row["method"]) for row in rows] == \
        [(t, m) for t in ["I/O-bound", "CPU-bound"] for m in METHODS]
    for row in rows:
        assert 0 < row["min_ms"] <= row["median_ms"] <= row["max_ms"]
    # Two sleeps of 20 ms one after the other cannot take less than 40 ms.
    direct_io = rows[0]
    assert direct_io["min_ms"] >= 40


def test_table_names_its_units_and_rows():
    r = run_script("python-original", "--tasks", "1", "--repeat", "1",
                   "--sleep", "0.01")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("Python 3.")
    assert "wall time in ms" in lines[0]
    assert len(lines) == 2 + 2 * len(METHODS)
    assert r.stderr == ""          # no progress noise when not a terminal


def test_bad_flags_exit_2():
    for args in (["--tasks", "0"], ["--repeat", "x"], ["--sleep", "-1"]):
        r = run_script("python-original", *args)
        assert r.returncode == 2
        assert r.stderr.strip().splitlines()[-1].startswith(
            "python-original: error:")
