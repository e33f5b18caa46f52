"""The concbench driver as a user meets it: flags, exit codes, the JSON it
writes (names, counters, context), failures reported per benchmark, and no
file or process left behind.
"""
import json
import os
import resource
import signal
import subprocess
import time

import pytest

KERNELS = ["gmp_pow", "logpow", "io_sleep", "noop"]
MODES = ["serial", "thread", "process", "thread_pool", "process_pool",
         "spawn", "forkserver", "gil", "async"]
OPTIONAL_MODES = ["openmp"]          # where the compiler supports OpenMP
POOLS = {"thread_pool", "process_pool", "forkserver", "openmp"}
CHUNKED = {"thread_pool", "process_pool"}
COUNTERS = {"tasks_per_s", "cpu_util", "task_cpu_s", "task_wall_s",
            "faults_per_task", "vcsw_per_task", "ivcsw_per_task",
            "start_lag_s", "peak_running"}
CONTEXT = {"concbench_version", "cpu_model", "cpus_online", "cpus_allowed",
           "kernel", "compiler", "gmp_version", "governor", "smt",
           "benchmark_version", "build_type", "tasks", "io_ms", "timeout_s",
           "chunk", "switch_us"}


def run(concbench, *args, env=None, timeout=120):
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([concbench, *args], capture_output=True,
                          text=True, timeout=timeout, env=full_env)


@pytest.mark.parametrize("args, flag", [
    (["--kernels=nope"], "--kernels"),
    (["--kernels=noop,noop"], "--kernels"),
    (["--kernels=fault_crash"], "--kernels"),   # test-only without the env
    (["--modes=fibers"], "--modes"),
    (["--modes="], "--modes"),
    (["--workers=0"], "--workers"),
    (["--workers=-1"], "--workers"),
    (["--workers=two"], "--workers"),
    (["--workers=1,,2"], "--workers"),
    (["--workers=100000"], "--workers"),
    (["--workers=99999999999999999999"], "--workers"),
    (["--tasks=0"], "--tasks"),
    (["--tasks=-3"], "--tasks"),
    (["--tasks=1e3"], "--tasks"),
    (["--tasks=5000"], "--tasks"),
    (["--tasks"], "--tasks"),
    (["--io-ms=0"], "--io-ms"),
    (["--io-ms=fast"], "--io-ms"),
    (["--io-ms=100000"], "--io-ms"),
    (["--timeout=0"], "--timeout"),
    (["--chunk=0"], "--chunk"),
    (["--chunk=-2"], "--chunk"),
    (["--chunk=Auto"], "--chunk"),
    (["--chunk=5000"], "--chunk"),
    (["--switch-us=0"], "--switch-us"),
    (["--switch-us=5ms"], "--switch-us"),
    (["--quick=yes"], "--quick"),
    (["--bogus"], "--bogus"),
    (["--benchmark_bogus=1"], "--benchmark_bogus"),
    # Google Benchmark's own flags, checked before anything runs ({tmp} is
    # the test's empty folder).
    (["--benchmark_repetitions=-1"], "--benchmark_repetitions"),
    (["--benchmark_repetitions=0"], "--benchmark_repetitions"),
    (["--benchmark_repetitions=two"], "--benchmark_repetitions"),
    (["--benchmark_repetitions=2.5"], "--benchmark_repetitions"),
    (["--benchmark_repetitions=99999999999"], "--benchmark_repetitions"),
    (["--benchmark_repetitions"], "--benchmark_repetitions"),
    (["--benchmark_min_time=-1"], "--benchmark_min_time"),
    (["--benchmark_min_time=-0.5s"], "--benchmark_min_time"),
    (["--benchmark_min_time=fast"], "--benchmark_min_time"),
    (["--benchmark_min_time=0.5ms"], "--benchmark_min_time"),
    (["--benchmark_min_time=1e999"], "--benchmark_min_time"),
    (["--benchmark_min_time=0x"], "--benchmark_min_time"),
    (["--benchmark_min_time=1.5x"], "--benchmark_min_time"),
    (["--benchmark_min_time="], "--benchmark_min_time"),
    (["--benchmark_min_warmup_time=-1"], "--benchmark_min_warmup_time"),
    (["--benchmark_out_format=xml"], "--benchmark_out_format"),
    (["--benchmark_out_format=csv"], "--benchmark_out_format"),
    (["--benchmark_out_format=console"], "--benchmark_out_format"),
    (["--benchmark_format=xml"], "--benchmark_format"),
    (["--benchmark_out={tmp}"], "--benchmark_out"),          # a directory
    (["--benchmark_out={tmp}/new/"], "--benchmark_out"),
    (["--benchmark_out=/dev/null"], "--benchmark_out"),      # not a file
    (["--benchmark_out=/dev/null/out.json"], "--benchmark_out"),
    (["--benchmark_out="], "--benchmark_out"),
    (["--benchmark_filter=("], "--benchmark_filter"),
    (["--benchmark_filter=-[z-a]"], "--benchmark_filter"),   # negated
    (["--benchmark_counters_tabular=maybe"], "--benchmark_counters_tabular"),
    (["--benchmark_enable_random_interleaving=2"],
     "--benchmark_enable_random_interleaving"),
    (["--benchmark_display_aggregates_only="],
     "--benchmark_display_aggregates_only"),
    (["--benchmark_color=sometimes"], "--benchmark_color"),
    (["--benchmark_time_unit=us"], "--benchmark_time_unit"),
    (["--benchmark_context=tasks=99"], "--benchmark_context"),  # concbench's
    (["--benchmark_context=date=today"], "--benchmark_context"),  # GB's
    (["--benchmark_context=novalue"], "--benchmark_context"),
    (["--benchmark_context=a=1,a=2"], "--benchmark_context"),
    (["--benchmark_list_tests"], "--benchmark_list_tests"),  # no JSON to write
])
def test_bad_flags(concbench, tmp_path, args, flag):
    out = tmp_path / "out.json"
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    r = run(concbench, *args, f"--benchmark_out={out}")
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert flag in lines[0]
    assert r.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output(concbench, tmp_path):
    r = run(concbench, f"--benchmark_out={tmp_path}/no/such/dir/out.json")
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1
    assert "--benchmark_out" in r.stderr


def test_output_in_a_folder_that_cannot_be_written(concbench):
    # / is not writable but to root, and root is not refused anything: the
    # driver runs as nobody then.
    path = f"/concbench-test-{os.getpid()}.json"
    as_root = os.geteuid() == 0
    r = subprocess.run([concbench, f"--benchmark_out={path}"],
                       capture_output=True, text=True, timeout=60,
                       user=65534 if as_root else None)
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "--benchmark_out" in r.stderr
    assert not os.path.exists(path)


NOOP = ["--kernels=noop", "--modes=serial", "--tasks=1", "--no-baselines"]


@pytest.mark.parametrize("min_time", ["0.001", "0.001s"])
def test_min_time_in_either_spelling(concbench, min_time):
    # Handed to Google Benchmark in its own form: 1.7.1 takes no unit, and
    # 1.8 on log a warning on every run for a number without one.
    r = run(concbench, *NOOP, f"--benchmark_min_time={min_time}")
    assert r.returncode == 0, r.stderr
    assert "noop/serial/tasks:1/workers:1" in r.stdout
    assert "LOG(" not in r.stderr


def test_min_time_in_iterations(concbench, tmp_path):
    # Nx (a number of iterations) exists from Google Benchmark 1.8 on; the
    # driver refuses it, naming the flag, where the library has no such form.
    out = tmp_path / "iters.json"
    r = run(concbench, *NOOP, "--benchmark_min_time=3x",
            f"--benchmark_out={out}")
    if r.returncode == 2:
        assert r.stderr.count("\n") == 1, r.stderr
        assert "--benchmark_min_time: 3x: iterations need Google Benchmark " \
            "1.8 or later" in r.stderr
        assert list(tmp_path.iterdir()) == []
    else:
        assert r.returncode == 0, r.stderr
        [b] = json.loads(out.read_text())["benchmarks"]
        assert b["iterations"] == 3
        assert "LOG(" not in r.stderr


@pytest.mark.parametrize("flag", [
    "--benchmark_counters_tabular",
    "--benchmark_counters_tabular=false",
    "--benchmark_enable_random_interleaving=YES",
    "--benchmark_color=auto",
    "--benchmark_color=no",
    "--benchmark_filter=",
    "--benchmark_filter=all",
    "--benchmark_filter=-thread",
    "--benchmark_filter=^noop/(serial|thread)/",
    "--benchmark_format=json",
    "--benchmark_out_format=json",
    "--benchmark_time_unit=ms",
    "--benchmark_repetitions=1",
    "--benchmark_min_warmup_time=0",
    "--benchmark_context=machine=test,run=",
])
def test_good_benchmark_flags_run(concbench, tmp_path, flag):
    out = tmp_path / "good.json"
    r = run(concbench, *NOOP, "--benchmark_min_time=0.001", flag,
            f"--benchmark_out={out}")
    assert r.returncode == 0, r.stderr
    data = json.loads(out.read_text())
    assert [b["name"] for b in data["benchmarks"]] == \
        ["noop/serial/tasks:1/workers:1/manual_time"]
    if flag.startswith("--benchmark_context"):
        assert data["context"]["machine"] == "test"
        assert data["context"]["run"] == ""


def test_context_keys_of_the_suite_are_refused(concbench, quick):
    # Every key the JSON's context has (Google Benchmark's and concbench's)
    # is refused for --benchmark_context: it would be dropped or doubled.
    _, data = quick
    for key in data["context"]:
        r = run(concbench, f"--benchmark_context={key}=x")
        assert r.returncode == 2, key
        assert f"'{key}'" in r.stderr


def test_flag_with_separate_value(concbench):
    r = run(concbench, "--tasks", "3", "--kernels", "noop", "--modes",
            "serial", "--benchmark_min_time=0.001")
    assert r.returncode == 0, r.stderr
    assert "noop/serial/tasks:3/workers:1" in r.stdout


def built_modes(concbench):
    """MODES, and the optional ones this build has (from --list)."""
    listed = run(concbench, "--list").stdout.split()
    return MODES + [m for m in OPTIONAL_MODES if m in listed]


def test_list_and_help(concbench):
    r = run(concbench, "--list")
    assert r.returncode == 0
    for name in KERNELS + MODES + ["fork_exit_waitpid"]:
        assert name in r.stdout
    assert "fault_" not in r.stdout
    h = run(concbench, "--help")
    assert h.returncode == 0
    for flag in ["--kernels", "--modes", "--workers", "--tasks", "--io-ms",
                 "--timeout", "--quick", "--list", "--baselines", "--chunk",
                 "--switch-us"]:
        assert flag in h.stdout


@pytest.fixture(scope="module")
def quick(concbench, tmp_path_factory):
    out = tmp_path_factory.mktemp("quick") / "quick.json"
    r = run(concbench, "--quick", "--benchmark_repetitions=2",
            f"--benchmark_out={out}", timeout=300)
    assert r.returncode == 0, r.stderr
    return r, json.loads(out.read_text())


def expected_names(kernels, modes, tasks, workers):
    names = set()
    for k in kernels:
        for m in modes:
            for w in ([1] if m == "serial" else workers):
                names.add(f"{k}/{m}/tasks:{tasks}/workers:{w}/manual_time")
    return names


def test_quick_names(concbench, quick):
    _, data = quick
    runs = [b for b in data["benchmarks"] if b["run_type"] == "iteration"]
    names = {b["run_name"] for b in runs if not b["name"].startswith("baseline/")}
    assert names == expected_names(KERNELS, built_modes(concbench), 4,
                                   [1, 2, 4])
    baselines = {b["name"] for b in runs if b["name"].startswith("baseline/")}
    assert baselines == {f"baseline/{b}/tasks:4/manual_time" for b in
                         ["fork_exit_waitpid", "pthread_create_join",
                          "gmp_pow_loop", "logpow_loop"]}
    # two repetitions of each, every one kept in the JSON
    assert len(runs) == 2 * (len(names) + len(baselines))


def test_quick_counters(quick):
    _, data = quick
    for b in data["benchmarks"]:
        if b["run_type"] != "iteration" or b["name"].startswith("baseline/"):
            continue
        assert not b.get("error_occurred"), b
        kernel, mode, tasks, workers = b["name"].split("/")[:4]
        w = int(workers.split(":")[1])
        want = COUNTERS | ({"pool_start_s"} if mode in POOLS else set())
        want |= {"chunk"} if mode in CHUNKED else set()
        assert want <= set(b), b["name"]
        if mode not in POOLS:
            assert "pool_start_s" not in b
        if mode not in CHUNKED:
            assert "chunk" not in b
        assert b["time_unit"] == "ms"
        assert b["real_time"] > 0
        assert 1 <= b["peak_running"] <= min(w, 4)
        # tasks per second is the batch's 4 tasks over its manual time
        assert b["tasks_per_s"] == pytest.approx(4 / (b["real_time"] / 1e3),
                                                 rel=1e-6)
        # CPU per wall second is the CPU of a task times the tasks a second
        assert b["cpu_util"] == pytest.approx(
            b["task_cpu_s"] * b["tasks_per_s"], rel=1e-6)
        assert b["start_lag_s"] >= 0
        if kernel == "io_sleep":
            assert b["task_wall_s"] >= 0.020
            assert b["task_cpu_s"] < b["task_wall_s"] / 2
        if kernel == "gmp_pow":
            assert b["task_cpu_s"] > 0


def test_quick_context(quick):
    _, data = quick
    ctx = data["context"]
    assert CONTEXT <= set(ctx)
    assert ctx["tasks"] == "4"
    assert ctx["io_ms"] == "20"
    assert int(ctx["cpus_online"]) >= 1


def test_quick_console(quick):
    r, _ = quick
    assert "noop/thread_pool/tasks:4/workers:2/manual_time" in r.stdout
    assert "wrote" in r.stderr
    # The driver's own --benchmark_min_time is in the library's form.
    assert "LOG(" not in r.stderr


FAULTS = {"CONCBENCH_FAULT_KERNELS": "1"}


def test_failures_are_reported_and_the_suite_goes_on(concbench, tmp_path):
    out = tmp_path / "faults.json"
    r = run(concbench, "--kernels=fault_crash,fault_exit,fault_hang,noop",
            "--modes=process,process_pool", "--workers=2", "--tasks=3",
            "--timeout=1", "--benchmark_min_time=0.001",
            f"--benchmark_out={out}", env=FAULTS)
    assert r.returncode == 1
    data = json.loads(out.read_text())
    by_name = {b["name"]: b for b in data["benchmarks"]}
    for mode in ["process", "process_pool"]:
        crash = by_name[f"fault_crash/{mode}/tasks:3/workers:2/manual_time"]
        assert crash["error_occurred"]
        assert "task 1" in crash["error_message"]
        assert "signal 11" in crash["error_message"]
        ex = by_name[f"fault_exit/{mode}/tasks:3/workers:2/manual_time"]
        assert "exited with status 3" in ex["error_message"]
        hang = by_name[f"fault_hang/{mode}/tasks:3/workers:2/manual_time"]
        assert "timed out" in hang["error_message"]
        ok = by_name[f"noop/{mode}/tasks:3/workers:2/manual_time"]
        assert not ok.get("error_occurred")
    assert "6 benchmarks failed" in r.stderr
    assert r.stderr.count("task 1") >= 6


@pytest.mark.parametrize("min_time, ok_runs", [
    ("0.2", 0),   # the third batch is in the first repetition
    ("0", 2),     # one batch per repetition: the third repetition fails
])
def test_a_failure_in_one_repetition_fails_them_all(concbench, tmp_path,
                                                     min_time, ok_runs):
    # Google Benchmark 1.7.1 crashed (SIGSEGV, or an abort) aggregating
    # repetitions of which some failed; the suite must end normally.
    out = tmp_path / "once.json"
    r = run(concbench, "--kernels=fault_once", "--modes=serial", "--tasks=3",
            "--benchmark_repetitions=5", f"--benchmark_min_time={min_time}",
            f"--benchmark_out={out}", env=FAULTS)
    assert r.returncode == 1, r.stderr
    runs = [b for b in json.loads(out.read_text())["benchmarks"]
            if b["run_type"] == "iteration"]
    assert len(runs) == 5
    errors = [b.get("error_message") for b in runs if b.get("error_occurred")]
    assert len(errors) == 5 - ok_runs
    assert errors[0] == "task 1: wrong digest: value 42, expected 0"
    assert all(e == errors[0] + " (in an earlier repetition)"
               for e in errors[1:])
    assert "1 benchmark failed:" in r.stderr
    assert r.stderr.count("fault_once/serial") == 1


def test_a_pool_that_cannot_start_in_a_later_repetition(concbench, failfork,
                                                        tmp_path):
    # The pool's worker is the only fork, and with a minimum time of 0 each
    # repetition is one call with one batch: the first two repetitions
    # start their pool, the third cannot. Google Benchmark 1.7.1 aborted on such a run (one
    # repetition with no iterations among ones with some).
    out = tmp_path / "failfork.json"
    r = run(concbench, "--kernels=noop,io_sleep", "--io-ms=1",
            "--modes=process_pool", "--workers=1", "--tasks=4",
            "--benchmark_repetitions=3", "--benchmark_min_time=0",
            f"--benchmark_out={out}",
            env={"LD_PRELOAD": failfork, "CB_FAIL_FORK_FROM": "3"})
    assert r.returncode == 1, r.stderr
    runs = [b for b in json.loads(out.read_text())["benchmarks"]
            if b["run_type"] == "iteration"]
    noop = [b for b in runs if b["name"].startswith("noop/")]
    io = [b for b in runs if b["name"].startswith("io_sleep/")]
    assert [bool(b.get("error_occurred")) for b in noop] == [False, False,
                                                              True]
    assert noop[2]["error_message"] == \
        "worker 0: fork: Resource temporarily unavailable"
    assert all(b.get("error_occurred") for b in io) and len(io) == 3
    assert "2 benchmarks failed:" in r.stderr
    assert list(tmp_path.iterdir()) == [out]     # no temporary left


@pytest.mark.parametrize("chunk, part, size", [
    ("1", "", 1),                 # the default: not in the name
    ("3", "/chunk:3", 3),
    ("auto", "/chunk:auto", 2),   # ceil(16 / (4 * 2))
])
def test_chunk_names_counter_and_context(concbench, tmp_path, chunk, part,
                                         size):
    out = tmp_path / "chunk.json"
    r = run(concbench, "--kernels=noop", "--modes=thread_pool,process_pool,thread",
            "--workers=2", f"--chunk={chunk}", "--benchmark_min_time=0.001",
            f"--benchmark_out={out}")
    assert r.returncode == 0, r.stderr
    data = json.loads(out.read_text())
    assert data["context"]["chunk"] == chunk
    by_name = {b["name"]: b for b in data["benchmarks"]}
    for pool in ["thread_pool", "process_pool"]:
        b = by_name[f"noop/{pool}/tasks:16/workers:2{part}/manual_time"]
        assert b["chunk"] == size
    # Modes without chunks keep their names and have no chunk counter.
    t = by_name["noop/thread/tasks:16/workers:2/manual_time"]
    assert "chunk" not in t


def no_core_file():
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


@pytest.mark.parametrize("sig", [signal.SIGSEGV, signal.SIGABRT])
def test_a_crash_of_the_driver_leaves_no_file(concbench, tmp_path, sig):
    # As if the driver crashed mid-run: it dies of the signal, and no
    # half-written JSON (nor its temporary) stays behind.
    out = tmp_path / "crash.json"
    p = subprocess.Popen([concbench, "--kernels=fault_hang", "--modes=thread",
                          "--workers=2", "--tasks=3",
                          f"--benchmark_out={out}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         env=dict(os.environ, **FAULTS),
                         preexec_fn=no_core_file)
    time.sleep(0.5)
    p.send_signal(sig)
    assert p.wait(timeout=30) == -sig
    assert list(tmp_path.iterdir()) == []


def leftover_processes(exe):
    """Processes still running the binary at exe (zombies included)."""
    found = []
    real = os.path.realpath(exe)
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.path.realpath(f"/proc/{pid}/exe") == real:
                found.append(pid)
        except OSError:
            pass
    return found


def test_killed_run_leaves_nothing_behind(concbench, tmp_path):
    out = tmp_path / "killed.json"
    p = subprocess.Popen([concbench, "--kernels=fault_hang",
                          "--modes=process,process_pool", "--workers=4",
                          "--tasks=4", f"--benchmark_out={out}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         env=dict(os.environ, **FAULTS))
    time.sleep(1.0)   # the hanging children exist by now
    p.send_signal(signal.SIGINT)
    p.wait(timeout=30)
    assert p.returncode == -signal.SIGINT
    assert list(tmp_path.iterdir()) == []      # no JSON, no temporary
    deadline = time.monotonic() + 10
    while leftover_processes(concbench) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert leftover_processes(concbench) == []
