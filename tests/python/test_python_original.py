"""scripts/python-original: the seed notes' Python experiments, summarised."""
import json
import os

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


# --note 2: the second seed note's map, ThreadPool and Pool (fork).
NOTE2_TASKS = ["io_costly", "cpu_costly"]
NOTE2_METHODS = ["map", "ThreadPool", "Pool:fork"]


def pool_map_chunksize(tasks, workers):
    """CPython's Pool._map_async with chunksize=None, written out again."""
    chunksize, extra = divmod(tasks, workers * 4)
    return chunksize + 1 if extra else chunksize


def note2_json(*args):
    r = run_script("python-original", "--note", "2", "--sleep", "0.01",
                   "--n", "200", "--json", *args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_note2_times_every_task_type_and_method():
    data = note2_json("--tasks", "10", "--repeat", "2")
    assert data["note"] == 2 and data["tasks"] == 10 and data["repeat"] == 2
    assert data["sleep_s"] == 0.01 and data["n"] == 200
    assert data["start_method"] == "fork"
    assert data["pool_size_given"] is None
    assert data["cpu_count"] == os.cpu_count()
    assert data["numpy"]
    rows = data["results"]
    assert [(row["task"], row["method"]) for row in rows] == \
        [(t, m) for t in NOTE2_TASKS for m in NOTE2_METHODS]
    for row in rows:
        assert len(row["times_ms"]) == 2 and len(row["other_cpus"]) == 2
        assert row["min_ms"] == min(row["times_ms"])
        assert row["max_ms"] == max(row["times_ms"])
        assert 0 < row["min_ms"] <= row["median_ms"] <= row["max_ms"]
        assert all(o is None or o >= 0 for o in row["other_cpus"])
        if row["method"] == "map":
            assert row["workers"] is None and row["chunksize"] is None
        else:
            # Pool() and ThreadPool() with no size: os.cpu_count() workers,
            # and Pool.map's own chunk size for that count.
            assert row["workers"] == os.cpu_count()
            assert row["chunksize"] == pool_map_chunksize(10, row["workers"])
    # Ten sleeps of 10 ms one after the other cannot take less than 100 ms.
    assert rows[0]["min_ms"] >= 100


def test_note2_chunk_size_follows_the_pool_size():
    data = note2_json("--tasks", "25", "--repeat", "1", "--workers", "3")
    assert data["pool_size_given"] == 3
    pools = [row for row in data["results"] if row["method"] != "map"]
    assert len(pools) == 4
    for row in pools:
        assert row["workers"] == 3
        assert row["chunksize"] == 3 == pool_map_chunksize(25, 3)


def test_note2_defaults_are_the_notes():
    # --help states them; running them would take a minute.
    r = run_script("python-original", "--help")
    assert r.returncode == 0
    text = " ".join(r.stdout.split())
    assert "8, 10" in text and "0.1, 1" in text and "500000" in text
    assert "os.cpu_count()" in text


def test_note2_table_names_workers_and_chunk():
    r = run_script("python-original", "--note", "2", "--tasks", "2",
                   "--repeat", "1", "--sleep", "0.01", "--n", "10")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("Python 3.") and "note 2: 2 tasks" in lines[0]
    assert "wall time in ms" in lines[0]
    assert lines[1].split()[:4] == ["task", "method", "workers", "chunk"]
    assert len(lines) == 2 + len(NOTE2_TASKS) * len(NOTE2_METHODS)
    assert r.stderr == ""


def test_note2_flags_are_checked():
    for args in (["--note", "3"], ["--n", "100"], ["--workers", "2"],
                 ["--note", "2", "--n", "0"], ["--note", "2", "--workers", "x"]):
        r = run_script("python-original", *args)
        assert r.returncode == 2, args
        assert r.stderr.strip().splitlines()[-1].startswith(
            "python-original: error:")
