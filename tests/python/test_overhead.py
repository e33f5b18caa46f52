"""Tests of scripts/overhead on tests/fixtures/overhead.json (T = 4,
io_ms = 20, times in ms, medians per task in brackets):

    noop/process W1        4.3 4.2 4.1 (1.05)   baseline fork_exit_waitpid 4
    noop/thread W1         1.3 1.2 1.4 (0.325)  baseline pthread_create_join 1
    noop/thread W2         1.0 1.1 0.9 (0.25)
    noop/thread_pool W1/W2 0.1 (0.025) / 0.15 0.16 0.14 (0.0375)
    noop/process_pool W2   0.05 (0.0125)        (no W1)
    gmp_pow/serial W1      10 10.2 9.8 (2.5)    baseline gmp_pow_loop 10
    io_sleep/thread W4     20.1 20.2 20 (20.1 a batch; no logpow run)
"""

import json

import pytest

from cbscripts import (BAD_FIXTURES, FIXTURES, UNUSABLE, make_unusable,
                       one_line_error, run_script)

OVERHEAD = FIXTURES / "overhead.json"
EXPECTED = """\
check                                          per task  reference   ratio  target
process noop vs fork+_exit+waitpid             1050.0us   1000.0us   1.050  <= 1.10 ok
thread noop vs pthread_create+join              325.0us    250.0us   1.300  <= 1.25 MISSED
thread_pool noop vs thread noop, W=1             25.0us    325.0us   0.077  <= 0.10 ok
process_pool noop vs thread noop, W=1                   (not in this file)
thread_pool noop vs thread noop, W=2             37.5us    250.0us   0.150  <= 0.10 MISSED
process_pool noop vs thread noop, W=2            12.5us    250.0us   0.050  <= 0.10 ok
serial gmp_pow vs bare loop                    2500.0us   2500.0us   1.000  <= 1.05 ok
serial logpow vs bare loop                              (not in this file)
thread io_sleep W=T vs 20 ms                  20100.0us  20000.0us   1.005  <= 1.01 ok
"""


def test_checks_and_a_missed_target():
    proc = run_script("overhead", OVERHEAD)
    assert (proc.returncode, proc.stderr) == (1, "")
    assert proc.stdout == EXPECTED


def test_labels_give_the_same_checks(tmp_path):
    """With the labels concbench writes since issue 10 (the baselines'
    too), the runs are found as by their names."""
    data = json.loads(OVERHEAD.read_text())
    for entry in data["benchmarks"]:
        parts = entry["run_name"].split("/")
        fields = dict(p.split(":") for p in parts[2:-1])
        entry["label"] = (f"baseline={parts[1]} tasks={fields['tasks']}"
                          if parts[0] == "baseline" else
                          f"kernel={parts[0]} mode={parts[1]} "
                          f"tasks={fields['tasks']} "
                          f"workers={fields['workers']} chunk=1")
    path = tmp_path / "labelled.json"
    path.write_text(json.dumps(data))
    proc = run_script("overhead", path)
    assert (proc.returncode, proc.stdout) == (1, EXPECTED)


def test_all_targets_met_is_status_0(tmp_path):
    data = json.loads(OVERHEAD.read_text())
    data["benchmarks"] = [
        e for e in data["benchmarks"] if not e["run_name"].startswith(
            ("noop/thread/tasks:4/workers:1/", "noop/thread_pool/tasks:4/"
                                               "workers:2/"))]
    path = tmp_path / "met.json"
    path.write_text(json.dumps(data))
    proc = run_script("overhead", path)
    assert (proc.returncode, proc.stderr) == (0, "")
    lines = proc.stdout.splitlines()
    assert "MISSED" not in proc.stdout and len(lines) == 8
    assert lines[2].startswith("thread noop vs pthread_create+join ")
    assert lines[2].endswith(" (not in this file)")


def test_errored_runs_are_left_out(tmp_path):
    data = json.loads(OVERHEAD.read_text())
    for entry in data["benchmarks"]:
        if entry["run_name"].startswith("noop/process/"):
            entry.update(error_occurred=True, error_message="task 0: fork")
    path = tmp_path / "errored.json"
    path.write_text(json.dumps(data))
    proc = run_script("overhead", path)
    assert (proc.returncode, proc.stderr) == (1, "")
    assert proc.stdout.splitlines()[1] == (
        "process noop vs fork+_exit+waitpid                      (not in "
        "this file)")


@pytest.mark.parametrize("case", UNUSABLE)
def test_unusable_input_fails_on_one_line(tmp_path, case):
    path, problem = make_unusable(tmp_path, case)
    line = one_line_error(run_script("overhead", path), path)
    assert line == f"overhead: {path}: {problem}"


@pytest.mark.parametrize("path", BAD_FIXTURES, ids=lambda p: p.stem)
def test_bad_fixtures_fail_on_one_line(path):
    line = one_line_error(run_script("overhead", path), path)
    assert line.startswith(f"overhead: {path}: ")


@pytest.mark.parametrize("key, value", [
    ("tasks", None), ("tasks", "0"), ("tasks", "99999"), ("io_ms", "x")])
def test_context_without_tasks_or_io_ms_fails(tmp_path, key, value):
    data = json.loads(OVERHEAD.read_text())
    if value is None:
        del data["context"][key]
    else:
        data["context"][key] = value
    path = tmp_path / "context.json"
    path.write_text(json.dumps(data))
    line = one_line_error(run_script("overhead", path), path)
    assert line == (f"overhead: {path}: not a concbench result (no valid "
                    f"{key!r} in its context)")


@pytest.mark.parametrize("args, line", [
    ([], "the following arguments are required: RESULTS.json"),
    ([OVERHEAD, OVERHEAD], f"unrecognized arguments: {OVERHEAD}"),
    (["--bogus", OVERHEAD], "unrecognized arguments: --bogus"),
])
def test_option_errors_are_one_line(args, line):
    proc = run_script("overhead", *args)
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        2, "", f"overhead: {line}\n")


def test_help():
    proc = run_script("overhead", "--help")
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.startswith("usage: overhead [-h] RESULTS.json")
