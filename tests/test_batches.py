"""--batches (bench/batches.h): a kernel whose tasks need a CPU and whose
serial batch is long runs exactly N batches a repetition, for every
strategy of its workload, and its repetition's time is their fastest
(fastest_of = N, batch_min_s); the others run as the minimum time decides.
Checked by counts and fields of the JSON, and by what scripts/compare takes
as a repetition's time."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.dont_write_bytecode = True
sys.path.insert(0, str(ROOT / "scripts"))
from concbench import load as cbload  # noqa: E402

# 4 gmp_pow tasks take some 14 ms one after the other, more than the
# 10 ms minimum time: a repetition of them would be one batch.
ARGS = ["--kernels=gmp_pow,noop,io_sleep", "--modes=serial,thread_pool",
        "--workers=1,2", "--tasks=4", "--io-ms=5", "--no-baselines",
        "--benchmark_min_time=0.01", "--benchmark_repetitions=2"]


def run(exe, *args):
    return subprocess.run([exe, *args], capture_output=True, text=True,
                          timeout=300)


def repetitions(path):
    return [b for b in json.loads(path.read_text())["benchmarks"]
            if b.get("run_type") == "iteration"]


def test_long_cpu_kernels_run_n_batches_judged_by_the_fastest(concbench,
                                                               tmp_path):
    out = tmp_path / "run.json"
    p = run(concbench, *ARGS, "--batches=3", f"--benchmark_out={out}")
    assert p.returncode == 0, p.stderr
    assert ("concbench: gmp_pow: 3 batches a repetition, its time their "
            "fastest (--batches)") in p.stderr.splitlines()
    reps = repetitions(out)
    assert len(reps) == 3 * 3 * 2  # 3 kernels x (serial + 2 W) x 2 rounds
    for b in reps:
        assert "iterations:" not in b["name"]
        if b["name"].startswith("gmp_pow/"):
            # Every strategy of the workload, serial too: the same count.
            assert b["iterations"] == 3 and b["fastest_of"] == 3
            assert b["batch_min_s"] * 1e3 <= b["real_time"] * (1 + 1e-9)
        else:
            # io_sleep asks for no CPU; noop's batches are short.
            assert "fastest_of" not in b
            assert b["iterations"] >= (1 if "io_sleep" in b["name"] else 4)
    # What compare reads: the fastest batch where fastest_of says so, the
    # time per batch elsewhere.
    result = cbload.load(str(out), "run")
    for name, bench in result.benches.items():
        mine = [b for b in reps if b["run_name"] == name]
        want = [b["batch_min_s"] if "fastest_of" in b
                else b["real_time"] * cbload.TIME_UNITS[b["time_unit"]]
                for b in mine]
        assert bench.samples == pytest.approx(want, rel=1e-12)


def test_batches_1_leaves_it_to_the_minimum_time(concbench, tmp_path):
    out = tmp_path / "run.json"
    p = run(concbench, *ARGS, "--batches=1", "--benchmark_repetitions=3",
            f"--benchmark_out={out}")
    assert p.returncode == 0, p.stderr
    assert "--batches" not in p.stderr
    reps = repetitions(out)
    assert not any("fastest_of" in b for b in reps)
    # The minimum time finds the count in the first round; the later
    # rounds keep it, as Google Benchmark does across repetitions.
    counts = {}
    for b in reps:
        assert "iterations:" not in b["name"]
        counts.setdefault(b["run_name"], []).append(b["iterations"])
    assert len(counts) == 9 and all(len(c) == 3 for c in counts.values())
    assert all(len(set(c)) == 1 for c in counts.values()), counts
    assert counts["noop/serial/tasks:4/workers:1/manual_time"][0] > 10


def test_without_a_serial_run_nothing_is_fixed(concbench, tmp_path):
    # The decision is the serial run's: without one, the strategies of a
    # workload could not be given the same count.
    out = tmp_path / "run.json"
    p = run(concbench, *[a for a in ARGS if not a.startswith("--modes")],
            "--modes=thread_pool", f"--benchmark_out={out}")
    assert p.returncode == 0, p.stderr
    assert not any("fastest_of" in b for b in repetitions(out))


@pytest.mark.parametrize("value", ["0", "1001", "x", "-1", ""])
def test_a_bad_count_is_one_line(concbench, value):
    p = run(concbench, f"--batches={value}", "--kernels=noop")
    assert p.returncode == 2
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "--batches" in lines[0], p.stderr
