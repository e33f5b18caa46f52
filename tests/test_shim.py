"""The gbench C shim: a C program registers benchmarks through csrc/gbench.h
and the JSON Google Benchmark writes has exactly what it asked for.

usage: test_shim.py SHIM_BENCH (run by meson test through pytest)
"""
import json
import math
import subprocess

import pytest


@pytest.fixture(scope="module")
def report(shim_bench, tmp_path_factory):
    out = tmp_path_factory.mktemp("shim") / "shim.json"
    run = subprocess.run([shim_bench, f"--benchmark_out={out}"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "ran 3" in run.stdout
    data = json.loads(out.read_text())
    return {b["name"]: b for b in data["benchmarks"]}, data["context"]


def test_manual_time_and_fixed_iterations(report):
    benches, _ = report
    b = benches["shim/manual/iterations:10/manual_time"]
    assert b["iterations"] == 10
    assert b["time_unit"] == "ms"
    assert b["real_time"] == pytest.approx(2.0, rel=1e-9)


def test_counter_flags(report):
    benches, _ = report
    b = benches["shim/manual/iterations:10/manual_time"]
    total_s = 10 * 0.002  # rates divide by the manual time of the run
    assert b["plain"] == 5
    assert b["rate"] == pytest.approx(5 / total_s)
    assert b["per_iteration"] == pytest.approx(50 / 10)
    assert b["invariant"] == pytest.approx(3 * 10)
    assert b["inverse_rate"] == pytest.approx(total_s / 4)
    assert b["replaced"] == 2


def test_label(report):
    benches, _ = report
    assert benches["shim/manual/iterations:10/manual_time"]["label"] == \
        "a label from C"


def test_skip_with_error(report):
    benches, _ = report
    b = benches["shim/error"]
    assert b["error_occurred"] is True
    assert b["error_message"] == "it broke on purpose"


def test_state_loop_and_iterations(report):
    benches, _ = report
    b = benches["shim/count/iterations:7"]
    assert b["time_unit"] == "us"
    assert b["loop_ran"] == 7
    assert b["iterations_seen"] == 7
    assert not math.isnan(b["real_time"])


def test_context(report):
    _, context = report
    assert context["shim_key"] == "shim value"


def test_unrecognized_flag_is_refused(shim_bench):
    run = subprocess.run([shim_bench, "--no_such_flag"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "--no_such_flag" in run.stderr
