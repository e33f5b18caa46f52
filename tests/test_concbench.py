"""The concbench driver as a user meets it: flags, exit codes, the JSON it
writes (names, counters, context), failures reported per benchmark, and no
file or process left behind.
"""
import json
import os
import pathlib
import shutil
import tempfile
import resource
import signal
import subprocess
import time

import pytest

SCRIPTS = pathlib.Path(__file__).resolve().parent.parent / "scripts"

# The default run's; net_echo runs only when named (--kernels).
KERNELS = ["gmp_pow", "logpow", "io_sleep", "noop"]
# Every build has these; openmp only where the compiler supports OpenMP.
# Which modes a build has, and their properties, come from --list.
MODES = ["serial", "thread", "process", "thread_pool", "process_pool",
         "spawn", "forkserver", "gil", "async"]
COUNTERS = {"tasks_per_s", "cpu_util", "task_cpu_s", "task_wall_s",
            "faults_per_task", "vcsw_per_task", "ivcsw_per_task",
            "start_lag_s", "peak_running", "batch_min_s", "batch_median_s"}
CONTEXT = {"concbench_version", "cpu_model", "cpus_online", "cpus_allowed",
           "kernel", "compiler", "gmp_version", "governor", "smt",
           "benchmark_version", "build_type", "tasks", "io_ms", "timeout_s",
           "chunk", "switch_us", "shared_kib", "wait"}


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
    (["--workers=2,02"], "--workers"),          # one name twice
    (["--payload=1T"], "--payload"),
    (["--payload=-1"], "--payload"),
    (["--payload=300M"], "--payload"),
    (["--payload=1.5M"], "--payload"),
    (["--payload="], "--payload"),
    (["--payload=1K,1024"], "--payload"),       # one name twice
    (["--parent-rss=17G"], "--parent-rss"),     # beyond MAX_PARENT_RSS
    (["--parent-rss=1T"], "--parent-rss"),
    (["--parent-rss=1.5G"], "--parent-rss"),
    (["--parent-rss=-1"], "--parent-rss"),
    (["--parent-rss=100MB"], "--parent-rss"),
    (["--parent-rss="], "--parent-rss"),
    (["--parent-rss=0,1G,1024M"], "--parent-rss"),  # one name twice
    (["--benchmark_context=parent_rss=1G"], "--benchmark_context"),
    (["--transport=carrier"], "--transport"),
    (["--transport=SHM"], "--transport"),
    (["--wait=spin"], "--wait"),
    (["--wait=passive,passive"], "--wait"),     # one name twice
    (["--wait=passive,"], "--wait"),
    (["--chunk=1,01"], "--chunk"),              # one name twice
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
    (["--benchmark_filter=zzz"], "--benchmark_filter"),
    (["--benchmark_list_tests=maybe"], "--benchmark_list_tests"),
    (["--order=random"], "--order"),
    (["--pool=kept,often"], "--pool"),
    (["--pool=fresh,fresh"], "--pool"),
    (["--chunk=2,auto,2"], "--chunk"),
    (["--chunk=1,"], "--chunk"),
    (["--benchmark_context=pool=x"], "--benchmark_context"),  # a mode's
    (["--order=sequential", "--benchmark_enable_random_interleaving=true"],
     "--order"),
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
    # The table as wide as its rows (a garbage name width once made its
    # separator gigabytes long).
    assert len(r.stdout) < 10000
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


def listed_modes(concbench, what="["):
    """{mode: set of properties} as --list shows them, in its order; with
    what="{", {mode: set of option names} ("switch_us" for --switch-us)."""
    out = run(concbench, "--list").stdout.splitlines()
    start = next(i for i, line in enumerate(out) if line.startswith("modes"))
    modes = {}
    close = {"[": "]", "{": "}"}[what]
    for line in out[start + 1:]:
        if not line.startswith("  "):
            break
        name, _, rest = line.strip().partition(" ")
        if rest.strip().startswith("[") and what == "{":
            rest = rest[rest.index("]") + 1:]
        rest = rest.strip()
        items = (rest[1:rest.index(close)].split(", " if what == "{" else ",")
                 if rest.startswith(what) else [])
        modes[name] = {i.removeprefix("--").replace("-", "_") for i in items}
    return modes


def built_modes(concbench):
    """The modes this build has, from --list."""
    return list(listed_modes(concbench))


# Modes that may be built and still not run on a machine (their start says
# "NAME: not available here: WHY"): io_uring where the kernel, its
# kernel.io_uring_disabled or a seccomp profile (a container's) refuses a
# ring.
MAY_BE_REFUSED = ["io_uring"]
_refused = {}


def refused_modes(concbench):
    """The built modes this machine refuses, each tried once (a noop
    batch)."""
    if concbench not in _refused:
        _refused[concbench] = [
            m for m in MAY_BE_REFUSED if m in built_modes(concbench) and
            f"{m}: not available here: " in run(
                concbench, "--kernels=noop", f"--modes={m}", "--tasks=1",
                "--workers=1", "--benchmark_min_time=0.001").stderr]
    return _refused[concbench]


def runnable_modes(concbench):
    """The modes this build has and this machine runs."""
    return [m for m in built_modes(concbench)
            if m not in refused_modes(concbench)]


def default_modes(concbench):
    """The modes a run without --modes runs: --list's, less those it marks
    "only with --modes"."""
    out = run(concbench, "--list").stdout.splitlines()
    start = next(i for i, line in enumerate(out) if line.startswith("modes"))
    modes = []
    for line in out[start + 1:]:
        if not line.startswith("  "):
            break
        if not line.endswith("; only with --modes"):
            modes.append(line.split()[0])
    return modes


def modes_with(concbench, prop):
    return {m for m, props in listed_modes(concbench).items() if prop in props}


def test_list_and_help(concbench, concbench_test):
    r = run(concbench, "--list")
    assert r.returncode == 0
    for name in KERNELS + MODES + ["fork_exit_waitpid"]:
        assert name in r.stdout
    assert "fault_" not in r.stdout
    assert set(MODES) <= set(built_modes(concbench))
    # Every mode runs by default but mpi_pool and io_uring, which are only
    # for --modes.
    assert set(built_modes(concbench)) - set(default_modes(concbench)) == (
        {"mpi_pool", "io_uring"} & set(built_modes(concbench)))
    assert modes_with(concbench, "chunked") == {"thread_pool", "process_pool"}
    assert modes_with(concbench, "single_worker") == {"serial"}
    # mpi_pool's master and workers are fresh images too, where MPI is.
    fresh = {"spawn", "forkserver"} | (
        {"mpi_pool"} if "mpi_pool" in built_modes(concbench) else set())
    assert modes_with(concbench, "fresh_image") == fresh
    # The test driver has the fault kernels, listed apart.
    t = run(concbench_test, "--list")
    assert "fault_crash" in t.stdout and "not run by default" in t.stdout
    h = run(concbench, "--help")
    assert h.returncode == 0
    for flag in ["--kernels", "--modes", "--workers", "--tasks", "--io-ms",
                 "--timeout", "--quick", "--list", "--baselines", "--chunk",
                 "--switch-us", "--rounds", "--order"]:
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
    assert names == expected_names(KERNELS, default_modes(concbench), 4,
                                   [1, 2, 4])
    baselines = {b["name"] for b in runs if b["name"].startswith("baseline/")}
    assert baselines == {f"baseline/{b}/tasks:4/manual_time" for b in
                         ["fork_exit_waitpid", "pthread_create_join",
                          "gmp_pow_loop", "logpow_loop", "switch_threads",
                          "switch_processes"]}
    # The switch baselines report the time of one switch: the batch's
    # time over its 2 x 500 switches a task.
    for b in runs:
        if "/switch_" in b["name"]:
            assert b["switch_s"] == pytest.approx(
                b["real_time"] / 1e3 / (4 * 1000), rel=1e-6)
    # two repetitions of each, every one kept in the JSON
    assert len(runs) == 2 * (len(names) + len(baselines))


def test_quick_counters(concbench, quick):
    _, data = quick
    pools = modes_with(concbench, "pool")
    chunked = modes_with(concbench, "chunked")
    assert {"thread_pool", "process_pool", "forkserver"} <= pools
    for b in data["benchmarks"]:
        if b["run_type"] != "iteration" or b["name"].startswith("baseline/"):
            continue
        assert not b.get("error_occurred"), b
        kernel, mode, tasks, workers = b["name"].split("/")[:4]
        w = int(workers.split(":")[1])
        want = COUNTERS | ({"pool_start_s"} if mode in pools else set())
        want |= {"chunk"} if mode in chunked else set()
        assert want <= set(b), b["name"]
        if mode not in pools:
            assert "pool_start_s" not in b
        if mode not in chunked:
            assert "chunk" not in b
        assert b["time_unit"] == "ms"
        assert b["real_time"] > 0
        # the fastest batch: no slower than their mean, the time
        assert 0 < b["batch_min_s"] * 1e3 <= b["real_time"] * (1 + 1e-9)
        assert b["batch_min_s"] <= b["batch_median_s"] * (1 + 1e-9)
        assert 1 <= b["peak_running"] <= min(w, 4)
        # tasks per second is the batch's 4 tasks over its manual time
        assert b["tasks_per_s"] == pytest.approx(4 / (b["real_time"] / 1e3),
                                                 rel=1e-6)
        # CPU per wall second is the CPU of a task times the tasks a second
        assert b["cpu_util"] == pytest.approx(
            b["task_cpu_s"] * b["tasks_per_s"], rel=1e-6)
        assert b["start_lag_s"] >= 0
        if kernel in ("io_sleep", "net_echo"):
            assert b["task_wall_s"] >= 0.020
            assert b["task_cpu_s"] < b["task_wall_s"] / 2
        if kernel == "gmp_pow":
            assert b["task_cpu_s"] > 0


def test_quick_context(concbench, quick):
    _, data = quick
    ctx = data["context"]
    assert CONTEXT <= set(ctx)
    assert ctx["tasks"] == "4"
    assert ctx["io_ms"] == "20"
    assert int(ctx["cpus_online"]) >= 1
    # The modes in the suite's order with their properties, as --list has
    # them: "serial:single_worker thread ... thread_pool:pool,chunked ...".
    modes = {}
    for entry in ctx["modes"].split(" "):
        name, _, props = entry.partition(":")
        modes[name] = set(props.split(",")) if props else set()
    assert modes == listed_modes(concbench)
    assert list(modes) == built_modes(concbench)


def label_fields(label):
    return dict(item.split("=", 1) for item in label.split(" "))


def test_quick_labels(concbench, quick):
    # Every entry states its kernel, mode, tasks, workers and the mode's
    # options (as --list names them) in its label, matching its name.
    _, data = quick
    options = listed_modes(concbench, "{")
    assert options["thread_pool"] == {"chunk", "wait", "pool"}
    assert options["serial"] == set()
    for b in data["benchmarks"]:
        fields = label_fields(b["label"])
        if b["name"].startswith("baseline/"):
            assert fields == {"baseline": b["name"].split("/")[1],
                              "tasks": "4"}
            continue
        kernel, mode, tasks, workers = b["name"].split("/")[:4]
        assert fields["kernel"] == kernel and fields["mode"] == mode
        assert "tasks:" + fields["tasks"] == tasks
        assert "workers:" + fields["workers"] == workers
        if mode in ("thread_pool", "process_pool"):
            assert fields["chunk"] == "1"
        if mode == "gil":
            assert fields["switch_us"] == "5000"
            assert fields["shared_kib"] == "0"
        if mode in ("process", "spawn"):
            assert fields["transport"] == "pipe"
        if mode in ("thread_pool", "process_pool", "forkserver"):
            assert fields["pool"] == "kept"
        if mode in ("thread_pool", "process_pool", "openmp"):
            assert fields["wait"] == "passive"
        assert set(fields) == {"kernel", "mode", "tasks", "workers"} | \
            options[mode]


def test_quick_console(quick):
    r, _ = quick
    assert "noop/thread_pool/tasks:4/workers:2/manual_time" in r.stdout
    assert "wrote" in r.stderr
    # The driver's own --benchmark_min_time is in the library's form.
    assert "LOG(" not in r.stderr


# The fault kernels are in the test driver only (concbench_test).


def test_failures_are_reported_and_the_suite_goes_on(concbench_test,
                                                     tmp_path):
    out = tmp_path / "faults.json"
    r = run(concbench_test, "--kernels=fault_crash,fault_exit,fault_hang,noop",
            "--modes=process,process_pool", "--workers=2", "--tasks=3",
            "--timeout=1", "--benchmark_min_time=0.001",
            f"--benchmark_out={out}")
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


@pytest.mark.parametrize("mode", ["serial", "thread", "thread_pool", "gil",
                                  "async"])
def test_a_kernel_that_ends_the_process_fails_only_its_benchmark(
        concbench_test, tmp_path, mode):
    # In a mode that runs tasks in concbench's own process, a task that
    # exits (even with status 0) or crashes ends the process that measures
    # its repetition (csrc/isolate.h), not the run: that benchmark's
    # error, the others measured, exit status 1, the JSON written.
    out = tmp_path / "ends.json"
    workers = "1" if mode == "serial" else "2"
    r = run(concbench_test, "--kernels=fault_crash,fault_exit,fault_exit0,noop",
            f"--modes={mode}", f"--workers={workers}", "--tasks=3",
            "--benchmark_repetitions=2", "--benchmark_min_time=0.001",
            f"--benchmark_out={out}")
    assert r.returncode == 1, r.stderr
    runs = [b for b in json.loads(out.read_text())["benchmarks"]
            if b["run_type"] == "iteration"]
    name = f"{{}}/{mode}/tasks:3/workers:{workers}/manual_time"
    by_kernel = {k: [b for b in runs if b["name"] == name.format(k)]
                 for k in ["fault_crash", "fault_exit", "fault_exit0", "noop"]}
    assert all(len(v) == 2 for v in by_kernel.values())
    first = {k: v[0].get("error_message") for k, v in by_kernel.items()}
    assert first["fault_crash"] == ("the process measuring it: it was killed "
                                    "by signal 11 (Segmentation fault)")
    assert first["fault_exit"] == ("the process measuring it: it exited "
                                   "with status 3")
    assert first["fault_exit0"] == ("the process measuring it: it exited "
                                    "with status 0 before it answered")
    assert first["noop"] is None
    for k in ["fault_crash", "fault_exit", "fault_exit0"]:
        assert by_kernel[k][1]["error_message"] == \
            first[k] + " (in an earlier repetition)"
        assert r.stderr.count(name.format(k).removesuffix("/manual_time")
                              + ": the process measuring it") == 1
    assert not any(b.get("error_occurred") for b in by_kernel["noop"])
    assert "3 benchmarks failed" in r.stderr


# ---- io_uring (issue 21): the mode, and a machine that refuses a ring ----


def need_io_uring(concbench):
    if "io_uring" not in built_modes(concbench):
        pytest.skip("built without io_uring (liburing not found: -Dio_uring)")


def test_io_uring_runs_only_when_named(concbench):
    need_io_uring(concbench)
    assert "io_uring" not in default_modes(concbench)


def test_io_uring_gets_every_answer(concbench, tmp_path):
    # 16 waits and 16 requests to the echo server at once on one ring:
    # every answer checked (a wrong one fails the benchmark), all in flight
    # together.
    need_io_uring(concbench)
    if "io_uring" in refused_modes(concbench):
        pytest.skip("this machine refuses an io_uring")
    out = tmp_path / "uring.json"
    r = run(concbench, "--kernels=io_sleep,net_echo", "--modes=io_uring",
            "--tasks=16", "--workers=16", "--io-ms=20",
            "--benchmark_repetitions=2", "--benchmark_min_time=0.001",
            f"--benchmark_out={out}")
    assert r.returncode == 0, r.stderr
    runs = iterations(json.loads(out.read_text()))
    assert len(runs) == 4
    for b in runs:
        assert not b.get("error_occurred"), b["name"]
        assert b["peak_running"] == 16, b["name"]


@pytest.mark.parametrize("refusal, why", [
    ("EPERM", "Operation not permitted"),
    ("ENOSYS", "Function not implemented")])
def test_a_refused_ring_fails_only_the_io_uring_benchmarks(
        concbench, no_io_uring, tmp_path, refusal, why):
    # io_uring_setup refused by a seccomp filter, as a container's profile
    # or kernel.io_uring_disabled (EPERM) or a kernel without io_uring
    # (ENOSYS) would: each io_uring benchmark's error says so in one line,
    # in every repetition; async and thread beside it are measured, their
    # answers checked; exit status 1, the JSON written.
    need_io_uring(concbench)
    out = tmp_path / "refused.json"
    r = subprocess.run(
        [no_io_uring, refusal, concbench, "--kernels=io_sleep,net_echo,noop",
         "--modes=io_uring,async,thread", "--tasks=4", "--workers=4",
         "--io-ms=5", "--benchmark_repetitions=2",
         "--benchmark_min_time=0.001", f"--benchmark_out={out}"],
        capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr
    runs = iterations(json.loads(out.read_text()))
    want = f"io_uring: not available here: io_uring_setup: {why}"
    for kernel in ["io_sleep", "net_echo", "noop"]:
        for mode in ["io_uring", "async", "thread"]:
            name = f"{kernel}/{mode}/tasks:4/workers:4/manual_time"
            reps = [b for b in runs if b["name"] == name]
            assert len(reps) == 2, name
            if mode != "io_uring":
                assert not any(b.get("error_occurred") for b in reps), name
                continue
            for b in reps:
                assert b["error_occurred"], name
                assert b["error_message"].startswith(want), b
                assert "\n" not in b["error_message"]
    assert "3 benchmarks failed" in r.stderr
    assert len(lines_with(want, r.stderr)) == 3, r.stderr


def test_the_parent_does_not_grow_from_one_repetition_to_the_next(
        concbench, tmp_path):
    # Threads that ran gmp_pow left an allocator arena each (64 MB mapped)
    # in the process, and every fork-based mode measured later forked from
    # that bigger process. Each repetition now starts from the driver as
    # it was: the size recorded with every repetition stays put.
    out = tmp_path / "size.json"
    r = run(concbench, "--kernels=gmp_pow,noop", "--modes=thread,process",
            "--workers=8", "--tasks=8", "--order=sequential",
            "--benchmark_repetitions=2", "--benchmark_min_time=0.001",
            f"--benchmark_out={out}")
    assert r.returncode == 0, r.stderr
    runs = [b for b in json.loads(out.read_text())["benchmarks"]
            if b["run_type"] == "iteration"]
    assert [b["name"].split("/")[0] for b in runs] == \
        ["gmp_pow"] * 4 + ["noop"] * 4
    mapped = [b["parent_mapped_bytes"] for b in runs]
    rss = [b["parent_rss_bytes"] for b in runs]
    assert all(m > 0 for m in mapped) and all(r > 0 for r in rss)
    assert max(mapped) - min(mapped) < 16 << 20, mapped
    assert max(rss) - min(rss) < 4 << 20, rss


def processes_with_env(text):
    """Pids of the processes whose environment holds text."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if text.encode() in f.read():
                    found.append(pid)
        except OSError:
            pass
    return found


def test_mpi_pool_failures_leave_nothing(concbench_test, tmp_path):
    if "mpi_pool" not in built_modes(concbench_test):
        pytest.skip("built without MPI (-Dmpi)")
    out = tmp_path / "mpi.json"
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    r = run(concbench_test, "--kernels=fault_crash,fault_hang,noop",
            "--modes=mpi_pool", "--workers=2", "--tasks=3", "--timeout=1",
            "--benchmark_min_time=0.001", f"--benchmark_out={out}",
            env={"TMPDIR": str(tmp)})
    assert r.returncode == 1, r.stderr
    by_name = {b["name"]: b for b in json.loads(out.read_text())["benchmarks"]}
    name = "{}/mpi_pool/tasks:3/workers:2/manual_time"
    # Named by the task the dead worker held, seen before the timeout.
    crash = by_name[name.format("fault_crash")]["error_message"]
    assert crash.startswith("task 1: an MPI worker died")
    assert "timed out" in by_name[name.format("fault_hang")]["error_message"]
    assert not by_name[name.format("noop")].get("error_occurred")
    assert "2 benchmarks failed" in r.stderr
    # Nothing of the pools is left: no process of this run (concbench's
    # own, Open MPI's daemon, the workers: all have this TMPDIR) and no
    # file in the TMPDIR (Open MPI's session directories).
    assert processes_with_env(f"TMPDIR={tmp}") == []
    assert list(tmp.iterdir()) == []


@pytest.mark.parametrize("min_time, ok_runs", [
    ("0.2", 0),   # the third batch is in the first repetition
    ("0", 2),     # one batch per repetition: the third repetition fails
])
def test_a_failure_in_one_repetition_fails_them_all(concbench_test, tmp_path,
                                                     min_time, ok_runs):
    # Google Benchmark 1.7.1 crashed (SIGSEGV, or an abort) aggregating
    # repetitions of which some failed; the suite must end normally.
    out = tmp_path / "once.json"
    r = run(concbench_test, "--kernels=fault_once", "--modes=serial", "--tasks=3",
            "--benchmark_repetitions=5", f"--benchmark_min_time={min_time}",
            f"--benchmark_out={out}")
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
    # In sequential order: the noop repetitions first, then io_sleep's.
    r = run(concbench, "--kernels=noop,io_sleep", "--io-ms=1",
            "--order=sequential",
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


def test_wait_policies_in_one_run(concbench, tmp_path):
    """--wait=passive,active (issue 21) makes a benchmark of each policy
    for the modes that take it, in one run: /wait:active in the name when
    active, wait= in every label of theirs, the list in the context; the
    modes without it run once; all_cpu_util beside cpu_util, and compare
    keeps thread_pool wait:active a strategy of its own."""
    out = tmp_path / "wait.json"
    pools = [m for m in ("thread_pool", "process_pool", "openmp")
             if m in built_modes(concbench)]
    r = run(concbench, "--kernels=noop", "--modes=" + ",".join(pools) +
            ",thread", "--workers=1,3", "--wait=passive,active",
            "--benchmark_min_time=0.001", "--benchmark_repetitions=2",
            f"--benchmark_out={out}")
    assert r.returncode == 0, r.stderr
    data = json.loads(out.read_text())
    assert data["context"]["wait"] == "passive,active"
    runs = [b for b in data["benchmarks"] if b["run_type"] == "iteration"]
    names = {b["name"] for b in runs}
    want = {f"noop/thread/tasks:16/workers:{w}/manual_time" for w in (1, 3)}
    for mode in pools:
        for w in (1, 3):
            want |= {f"noop/{mode}/tasks:16/workers:{w}{part}/manual_time"
                     for part in ("", "/wait:active")}
    assert names == want
    for b in runs:
        assert not b.get("error_occurred"), b
        fields = label_fields(b["label"])
        mode = fields["mode"]
        if mode == "thread":
            assert "wait" not in fields
        else:
            assert fields["wait"] == ("active" if "/wait:active" in b["name"]
                                      else "passive")
        # every thread and process of these modes is seen: their whole CPU
        assert b["all_cpu_util"] >= 0
    proc = subprocess.run([str(SCRIPTS / "compare"),
                           "--format", "json", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    strategies = {row["strategy"] for row in
                  json.loads(proc.stdout)["summaries"][0]["rows"]}
    assert {"thread_pool", "thread_pool wait:active"} <= strategies
    if "openmp" in pools:
        assert {"openmp", "openmp wait:active"} <= strategies
@pytest.mark.parametrize("mode", ["process_pool", "thread_pool"])
@pytest.mark.parametrize("pool", ["kept", "fresh"])
def test_a_pools_workers_live_as_long_as_its_option_says(concbench, tmp_path,
                                                         mode, pool):
    """Google Benchmark calls a benchmark several times a repetition as it
    grows the iterations. Kept workers start once a repetition and serve
    every batch of every call; fresh ones are started by every batch."""
    probe, out = tmp_path / "where", tmp_path / "pool.json"
    r = run(concbench, f"--kernel-lib={kernel_lib('probe_kernels')}",
            "--kernels=probe_pid", f"--modes={mode}", "--workers=2",
            "--tasks=4", f"--pool={pool}", "--benchmark_repetitions=2",
            "--benchmark_min_time=0.02", f"--benchmark_out={out}",
            env={"CB_PROBE_FILE": str(probe)})
    assert r.returncode == 0, r.stderr
    data = json.loads(out.read_text())
    assert data["context"]["pool"] == pool
    runs = [b for b in data["benchmarks"] if b["run_type"] == "iteration"]
    suffix = "" if pool == "kept" else "/pool:fresh"
    assert [b["name"] for b in runs] == \
        [f"probe_pid/{mode}/tasks:4/workers:2{suffix}/manual_time"] * 2
    assert all(f" pool={pool}" in b["label"] for b in runs)
    assert all(b["pool_start_s"] > 0 for b in runs)
    lines = probe.read_text().split()
    where = set(zip(lines[0::2], lines[1::2]))     # (pid, thread id)
    workers = {pid for pid, _ in where} if mode == "process_pool" else where
    batches = len(lines) // 2 // 4
    # More batches ran than the reported calls hold: the earlier calls'.
    assert batches > sum(b["iterations"] for b in runs)
    if pool == "kept":
        assert len(workers) <= 2 * 2               # W a repetition
    else:
        assert len(workers) >= batches             # new ones every batch


def test_a_mode_option_with_several_values_makes_a_benchmark_each(
        concbench, tmp_path):
    """Each combination of the values given, for the modes that take the
    options, in one run; the context records the values as given."""
    out = tmp_path / "both.json"
    r = run(concbench, "--kernels=noop", "--modes=thread_pool,thread",
            "--workers=2", "--tasks=4", "--pool=kept,fresh", "--chunk=1,auto",
            "--benchmark_min_time=0", f"--benchmark_out={out}")
    assert r.returncode == 0, r.stderr
    data = json.loads(out.read_text())
    assert (data["context"]["pool"], data["context"]["chunk"]) == \
        ("kept,fresh", "1,auto")
    head = "noop/thread_pool/tasks:4/workers:2"
    assert sorted(b["name"].removesuffix("/manual_time")
                  for b in data["benchmarks"]) == sorted([
        head, head + "/pool:fresh", head + "/chunk:auto",
        head + "/chunk:auto/pool:fresh", "noop/thread/tasks:4/workers:2"])


def test_gil_shared_state_names_counters_and_context(concbench, tmp_path):
    """--shared-kib makes a gil benchmark each, named when not 0; gil's
    counters of its hand-offs are in each, the shared state's time only
    where there is one."""
    out = tmp_path / "gil.json"
    r = run(concbench, "--kernels=logpow", "--modes=gil", "--workers=2",
            "--tasks=4", "--switch-us=200", "--shared-kib=0,4",
            "--benchmark_min_time=0.2", f"--benchmark_out={out}")
    assert r.returncode == 0, r.stderr
    data = json.loads(out.read_text())
    assert data["context"]["shared_kib"] == "0,4"
    head = "logpow/gil/tasks:4/workers:2"
    by = {b["name"].removesuffix("/manual_time"): b
          for b in data["benchmarks"]}
    assert set(by) == {head, head + "/shared_kib:4"}
    for name, b in by.items():
        kib = "0" if name == head else "4"
        assert label_fields(b["label"])["shared_kib"] == kib
        # Tasks of logpow (some 20 ms each), two at a time, each yielding
        # every 200 us to the other: several batches, so that one whose
        # second thread a loaded machine started late cannot make it 0.
        assert b["gil_handoffs_per_task"] > 0
        assert b["gil_handoff_s"] >= 0
        assert 0 <= b["gil_cross_cpu"] <= 1
        assert ("gil_state_s" in b) == (kib != "0")
    assert by[head + "/shared_kib:4"]["gil_state_s"] >= 0


def test_names_and_limits_are_the_ones_the_scripts_read(concbench, tmp_path):
    """The driver and the scripts share the grammar of names and labels and
    the limits (scripts/concbench/facts.py, the C side's cb_facts.h): every
    name and label of a run with options and payloads is read back as the
    same run, and --help and the flags hold the limits the scripts check."""
    import sys
    sys.path.insert(0, str(SCRIPTS))
    from concbench import facts, names
    out = tmp_path / "names.json"
    r = run(concbench, "--kernels=noop", "--modes=serial,process_pool,gil",
            "--workers=2", "--tasks=2", "--pool=kept,fresh", "--chunk=1,auto",
            "--transport=pipe,shm", "--payload=0,4K", "--parent-rss=0,4M",
            "--benchmark_min_time=0", f"--benchmark_out={out}")
    assert r.returncode == 0, r.stderr
    runs = json.loads(out.read_text())["benchmarks"]
    assert len(runs) == 2 * (2 + 16 + 2)
    assert any(b["name"].endswith("/payload:4K/parent_rss:4M/manual_time")
               for b in runs)
    for b in runs:
        by_name = names.parse_name(b["name"].removesuffix("/manual_time"))
        assert by_name is not None, b["name"]
        assert names.parse_label(b["label"], b["name"]) == by_name
        assert (by_name.kernel, by_name.tasks) == ("noop", 2)
        assert by_name.parent_rss == (4 << 20 if "parent_rss" in b["name"]
                                      else 0)
        assert by_name.workers == (1 if by_name.mode == "serial" else 2)
    assert len({names.parse_name(b["name"]) for b in runs}) == len(runs)
    help_text = run(concbench, "--help").stdout
    for flag, top in [("--tasks", facts.MAX_TASKS),
                      ("--workers", facts.MAX_WORKERS),
                      ("--io-ms", facts.MAX_IO_MS),
                      ("--timeout", facts.MAX_TIMEOUT_S)]:
        assert f"1 to {top}" in help_text
        assert run(concbench, f"{flag}={top + 1}").returncode == 2
        assert run(concbench, f"{flag}={top}", "--kernels=noop",
                   "--benchmark_list_tests").returncode == 0


def no_core_file():
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


@pytest.mark.parametrize("sig", [signal.SIGSEGV, signal.SIGABRT])
def test_a_crash_of_the_driver_leaves_no_file(concbench_test, tmp_path, sig):
    # As if the driver crashed mid-run: it dies of the signal, and no
    # half-written JSON (nor its temporary) stays behind.
    out = tmp_path / "crash.json"
    p = subprocess.Popen([concbench_test, "--kernels=fault_hang",
                          "--modes=thread",
                          "--workers=2", "--tasks=3",
                          f"--benchmark_out={out}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
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


def test_killed_run_leaves_nothing_behind(concbench_test, tmp_path):
    out = tmp_path / "killed.json"
    p = subprocess.Popen([concbench_test, "--kernels=fault_hang",
                          "--modes=process,process_pool", "--workers=4",
                          "--tasks=4", f"--benchmark_out={out}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1.0)   # the hanging children exist by now
    p.send_signal(signal.SIGINT)
    p.wait(timeout=30)
    assert p.returncode == -signal.SIGINT
    assert list(tmp_path.iterdir()) == []      # no JSON, no temporary
    deadline = time.monotonic() + 10
    while leftover_processes(concbench_test) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert leftover_processes(concbench_test) == []


# ---- Rounds, order and the machine's steadiness (issue 9) ----

def iterations(data):
    return [b for b in data["benchmarks"] if b["run_type"] == "iteration"]


@pytest.fixture(scope="module")
def rounds_run(concbench, tmp_path_factory):
    out = tmp_path_factory.mktemp("rounds") / "rounds.json"
    r = run(concbench, "--kernels=noop,io_sleep", "--io-ms=1",
            "--modes=serial,thread,process", "--workers=1,2", "--tasks=3",
            "--benchmark_repetitions=3", "--benchmark_min_time=0.001",
            f"--benchmark_out={out}")
    assert r.returncode == 0, r.stderr
    return r, json.loads(out.read_text())


def test_rounds_run_every_benchmark_once_a_round(rounds_run):
    _, data = rounds_run
    runs = iterations(data)
    names = {b["run_name"] for b in runs}
    assert len(names) == 2 * 5     # two kernels, serial + 2 x 2 workers
    for name in names:
        mine = [b for b in runs if b["run_name"] == name]
        assert sorted(b["round"] for b in mine) == [1, 2, 3]
        assert sorted(b["repetition_index"] for b in mine) == [0, 1, 2]
        assert all(b["repetitions"] == 3 for b in mine)
    # A round ends before the next begins: every benchmark of round k is
    # done before any of round k + 1 starts.
    for k in (1, 2):
        end_k = max(b["t_end_s"] for b in runs if b["round"] == k)
        start_next = min(b["t_start_s"] for b in runs if b["round"] == k + 1)
        assert end_k <= start_next
    # Google Benchmark's four aggregates of each, over the three rounds.
    aggs = [b for b in data["benchmarks"] if b["run_type"] == "aggregate"]
    for name in names:
        assert sorted(b["aggregate_name"] for b in aggs
                      if b["run_name"] == name) == ["cv", "mean", "median",
                                                    "stddev"]
    ctx = data["context"]
    assert ctx["order"] == "rounds" and ctx["rounds"] == "3"
    assert ctx["order_seed"].isdigit()


def test_every_repetition_has_the_machines_figures(rounds_run):
    _, data = rounds_run
    for b in iterations(data):
        assert b["machine_speed"] > 0
        assert 0 <= b["t_start_s"] <= b["t_end_s"]
        assert b["steal_cpus"] >= 0 and b["other_cpus"] >= 0
    quota = data["context"]["cpu_quota"]
    assert quota in ("none", "unknown") or float(quota) > 0
    # The median repetition ran at the typical speed, by definition, give
    # or take the canaries that bracket it.
    speeds = sorted(b["machine_speed"] for b in iterations(data))
    assert 0.5 < speeds[len(speeds) // 2] < 2


def test_own_cpus_counts_the_measuring_processes(concbench, tmp_path):
    # The CPU concbench uses while a repetition runs is counted as its own
    # (own_cpus), also though the processes that measure are the forker's
    # children (csrc/isolate.h), not the driver's: else a CPU-bound serial
    # batch read as no CPU of concbench's and a CPU of other work.
    out = tmp_path / "own.json"
    r = run(concbench, "--kernels=gmp_pow", "--modes=serial,thread",
            "--workers=2", "--tasks=8", "--benchmark_repetitions=3",
            "--benchmark_min_time=0.05", f"--benchmark_out={out}")
    assert r.returncode == 0, r.stderr
    runs = iterations(json.loads(out.read_text()))
    serial = [b["own_cpus"] for b in runs if "/serial/" in b["name"]]
    thread = [b["own_cpus"] for b in runs if "/thread/" in b["name"]]
    assert len(serial) == len(thread) == 3
    # Medians: one CPU kept busy, two; uncounted, own_cpus was about 0.
    # With room for a machine busy with other work: on 2 CPUs at a load
    # of 5 the serial batch got 0.5 of a CPU and the threads 0.4.
    assert sorted(serial)[1] > 0.15 and sorted(thread)[1] > 0.15


def test_rounds_show_progress_and_the_table_in_order(rounds_run):
    r, _ = rounds_run
    progress = [line for line in r.stderr.splitlines() if " round " in line]
    assert [line.split(" round ")[1].split(" done")[0]
            for line in progress] == ["1 of 3", "2 of 3", "3 of 3"]
    assert all("elapsed" in line and "left" in line for line in progress)
    # The table comes at the end, in registration order.
    rows = [line.split()[0] for line in r.stdout.splitlines()
            if line.startswith(("noop/", "io_sleep/"))]
    first = list(dict.fromkeys(n.removesuffix("_mean").removesuffix(
        "_median").removesuffix("_stddev").removesuffix("_cv")
        for n in rows))
    assert first == [f"{k}/{m}/tasks:3/workers:{w}/manual_time"
                     for k in ("noop", "io_sleep")
                     for m, ws in (("serial", [1]), ("thread", [1, 2]),
                                   ("process", [1, 2]))
                     for w in ws]


def test_sequential_order_runs_each_benchmark_back_to_back(concbench,
                                                          tmp_path):
    out = tmp_path / "seq.json"
    r = run(concbench, "--kernels=noop", "--modes=serial,thread",
            "--workers=1,2", "--tasks=3", "--order=sequential",
            "--benchmark_repetitions=2", "--benchmark_min_time=0.001",
            f"--benchmark_out={out}")
    assert r.returncode == 0, r.stderr
    data = json.loads(out.read_text())
    runs = sorted(iterations(data), key=lambda b: b["t_start_s"])
    assert [b["run_name"] for b in runs] == [
        f"noop/{m}/tasks:3/workers:{w}/manual_time"
        for m, w in (("serial", 1), ("thread", 1), ("thread", 2))
        for _ in range(2)]
    assert all("round" not in b for b in runs)
    assert data["context"]["order"] == "sequential"
    assert " round " not in r.stderr


# ---- The result file: whole or untouched (issue 11) ----

EARLIER = '{"an earlier result": true}\n'


def small_run(concbench, out, *extra):
    return run(concbench, "--kernels=noop", "--modes=serial,thread",
               "--workers=1,2", "--tasks=2", "--benchmark_min_time=0.001",
               f"--benchmark_out={out}", *extra)


@pytest.mark.parametrize("args, code", [
    (["--benchmark_filter=zzz"], 2),      # matches nothing
    (["--benchmark_filter=("], 2),        # not a regular expression
    (["--benchmark_list_tests=true"], 0),
])
def test_a_run_that_measures_nothing_leaves_the_file(concbench, tmp_path,
                                                     args, code):
    out = tmp_path / "out.json"
    out.write_text(EARLIER)
    r = small_run(concbench, out, *args)
    assert r.returncode == code, r.stderr
    assert out.read_text() == EARLIER
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]
    if code == 2:
        assert len(r.stderr.strip().splitlines()) == 1
        assert "--benchmark_filter" in r.stderr
    else:
        assert "noop/thread/tasks:2/workers:2/manual_time" in r.stdout


def test_an_earlier_file_is_replaced_whole(concbench, tmp_path):
    out = tmp_path / "out.json"
    out.write_text(EARLIER)
    r = small_run(concbench, out)
    assert r.returncode == 0, r.stderr
    assert len(iterations(json.loads(out.read_text()))) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_a_path_as_long_as_the_system_allows(concbench, tmp_path):
    # 4095 characters: no temporary name beside it may be longer.
    fd = os.open(tmp_path, os.O_RDONLY)
    path = str(tmp_path)
    try:
        # Folders of up to 250 characters, then a name of 100 to 250.
        while 4095 - len(path) - 1 > 250:
            part = "d" * min(250, 4095 - len(path) - 1 - 100 - 1)
            os.mkdir(part, dir_fd=fd)
            new = os.open(part, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd, path = new, f"{path}/{part}"
        name = "f" * (4095 - len(path) - 1)
        with open(os.open(name, os.O_WRONLY | os.O_CREAT, dir_fd=fd),
                  "w") as f:
            f.write(EARLIER)
        out = f"{path}/{name}"
        assert len(out) == 4095
        r = small_run(concbench, out)
        assert r.returncode == 0, r.stderr
        with open(os.open(name, os.O_RDONLY, dir_fd=fd)) as f:
            assert len(iterations(json.load(f))) == 3
        assert os.listdir(fd) == [name]
    finally:
        os.close(fd)


def test_sigkill_mid_run_leaves_nothing(concbench_test, tmp_path):
    out = tmp_path / "killed.json"
    out.write_text(EARLIER)
    p = subprocess.Popen([concbench_test, "--kernels=noop,fault_hang",
                          "--modes=process,thread_pool", "--workers=2",
                          "--tasks=3", f"--benchmark_out={out}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    p.kill()
    assert p.wait(timeout=30) == -signal.SIGKILL
    assert out.read_text() == EARLIER
    assert sorted(x.name for x in tmp_path.iterdir()) == ["killed.json"]


def can_mount_tmpfs():
    return os.geteuid() == 0 and os.path.exists("/bin/mount")


@pytest.mark.skipif(not can_mount_tmpfs(), reason="needs root to mount")
def test_a_full_disk_is_an_error_and_the_earlier_file_stays(concbench,
                                                             tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs",
                        str(mnt)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        out = mnt / "out.json"
        out.write_text(EARLIER)
        r = run(concbench, "--kernels=noop,io_sleep", "--io-ms=1",
                "--modes=serial,thread,process,thread_pool", "--workers=1,2",
                "--tasks=2", "--benchmark_repetitions=2",
                "--benchmark_min_time=0.001", f"--benchmark_out={out}")
        assert r.returncode == 1
        errors = [line for line in r.stderr.splitlines()
                  if str(out) in line and "No space left" in line]
        assert len(errors) == 1, r.stderr
        assert "wrote" not in r.stderr
        assert out.read_text() == EARLIER
        assert sorted(p.name for p in mnt.iterdir()) == ["out.json"]
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def as_user_with_nproc(limit):
    """preexec_fn: this child may have at most limit processes and threads
    (as nobody, when run as root: root ignores RLIMIT_NPROC)."""
    def limit_it():
        if os.geteuid() == 0:
            os.setgid(65534)
            os.setuid(65534)
        resource.setrlimit(resource.RLIMIT_NPROC, (limit, limit))
    return limit_it


def test_openmp_out_of_threads_is_that_benchmarks_error(concbench):
    if "openmp" not in built_modes(concbench):
        pytest.skip("built without OpenMP")
    # A folder the user nobody can write (pytest's tmp_path is root's).
    work = pathlib.Path(tempfile.mkdtemp(prefix="cb-nproc-"))
    work.chmod(0o777)
    out = work / "out.json"
    p = subprocess.run([concbench, "--kernels=noop",
                        "--modes=openmp,serial", "--workers=64",
                        "--tasks=300", "--benchmark_min_time=0.001",
                        f"--benchmark_out={out}"],
                       capture_output=True, text=True, timeout=120,
                       preexec_fn=as_user_with_nproc(40))
    assert p.returncode == 1, p.stderr
    assert "libgomp" not in p.stderr
    runs = {b["name"]: b for b in iterations(json.loads(out.read_text()))}
    omp = runs["noop/openmp/tasks:300/workers:64/manual_time"]
    assert omp["error_occurred"]
    assert "pthread_create: Resource temporarily unavailable" in \
        omp["error_message"]
    assert not runs["noop/serial/tasks:300/workers:1/manual_time"].get(
        "error_occurred")
    assert sorted(x.name for x in work.iterdir()) == ["out.json"]
    shutil.rmtree(work)


# ---- A user's own kernels: --kernel-lib (issue 12) ----

def kernel_lib(name):
    return os.path.join(os.environ["CB_KERNEL_LIBS"], f"lib{name}.so")


@pytest.mark.parametrize("lib, problem", [
    ("bad_no_table", "no concbench_kernel_table in it"),
    ("bad_abi", "built for kernel ABI 99, this concbench has 1"),
    ("bad_duplicate", "kernel noop: there is a kernel of that name already"),
    ("bad_name", "name 'Bad-Name' is not"),
    ("bad_no_check", "kernel no_check: no check function"),
    ("bad_init", "init failed: no license for this machine"),
    ("no_such_library", "cannot load it"),
])
def test_a_bad_kernel_library_is_refused(concbench, tmp_path, lib, problem):
    path = kernel_lib(lib)
    r = run(concbench, f"--kernel-lib={path}", "--kernels=noop",
            f"--benchmark_out={tmp_path}/out.json")
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert path in lines[0] and problem in lines[0]
    assert r.stdout == ""
    assert list(tmp_path.iterdir()) == []


def zlib_kernel():
    path = kernel_lib("zlib_kernel")
    if not os.path.exists(path):
        pytest.skip("built without zlib")
    return path


def test_the_example_kernel_runs_under_every_mode(concbench, tmp_path):
    lib = zlib_kernel()
    listed = run(concbench, f"--kernel-lib={lib}", "--list").stdout
    assert f"kernels from {lib}:" in listed and "zlib_deflate" in listed
    out = tmp_path / "zlib.json"
    # Every mode this build has, mpi_pool's workers too where built.
    modes = runnable_modes(concbench)
    r = run(concbench, f"--kernel-lib={lib}", "--kernels=zlib_deflate",
            "--modes=" + ",".join(modes), "--workers=2", "--tasks=3",
            "--benchmark_min_time=0.001", f"--benchmark_out={out}")
    assert r.returncode == 0, r.stderr
    runs = {b["name"]: b for b in iterations(json.loads(out.read_text()))}
    assert set(runs) == {
        f"zlib_deflate/{m}/tasks:3/workers:{1 if m == 'serial' else 2}"
        "/manual_time" for m in modes}
    assert not any(b.get("error_occurred") for b in runs.values())
    assert all(b["task_cpu_s"] > 0 for b in runs.values())


def test_the_examples_own_build(tmp_path):
    if not shutil.which("make") or not shutil.which("cc"):
        pytest.skip("no make or cc")
    src = pathlib.Path(os.environ["CB_EXAMPLES"]) / "zlib_kernel"
    work = tmp_path / "zlib_kernel"
    shutil.copytree(src, work)
    csrc = src.parent.parent / "csrc"
    r = subprocess.run(["make", "-C", str(work), f"CONCBENCH_CFLAGS=-I{csrc}"],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0 and "zlib.h" in r.stderr:
        pytest.skip("no zlib headers")
    assert r.returncode == 0, r.stderr
    assert (work / "libzlib_kernel.so").exists()


@pytest.mark.parametrize("transport", ["pipe", "shm"])
def test_payload_names_counters_and_compare(concbench, tmp_path, transport):
    """--payload: one benchmark per size, named /payload:B (and
    /transport:shm), with the bytes each task moved; compare takes each
    size as its own workload, with its own serial run."""
    out = tmp_path / "payload.json"
    modes = ["serial", "thread", "process", "process_pool", "spawn",
             "forkserver"]
    r = run(concbench, "--kernels=noop", f"--modes={','.join(modes)}",
            "--workers=2", "--tasks=4", "--payload=0,64K",
            f"--transport={transport}", "--benchmark_repetitions=2",
            "--benchmark_min_time=0.001", f"--benchmark_out={out}")
    assert r.returncode == 0, r.stderr
    data = json.loads(out.read_text())
    assert data["context"]["payload"] == "0,64K"
    assert data["context"]["transport"] == transport
    runs = [b for b in data["benchmarks"] if b["run_type"] == "iteration"]
    assert len(runs) == 2 * 2 * len(modes)
    moved = {"pipe": {"process": (0, 65536), "process_pool": (65536, 65536),
                      "spawn": (65536, 65536),
                      "forkserver": (65536, 65536)},
             "shm": {}}[transport]
    for b in runs:
        assert not b.get("error_occurred"), b
        kernel, mode, tasks, workers, *rest = b["run_name"].split("/")
        part = f"/transport:{transport}" if (
            transport == "shm" and mode not in ("serial", "thread")) else ""
        size = 65536 if "payload:64K" in rest else 0
        if size:
            assert b["run_name"].endswith(f"{part}/payload:64K/manual_time")
            assert f"payload={size}" in b["label"].split()
            want_in, want_out = moved.get(mode, (0, 0))
            assert (b["bytes_in_per_task"], b["bytes_out_per_task"]) == (
                want_in, want_out), b["run_name"]
            assert (b["move_s_per_task"] > 0) == (want_in + want_out > 0)
        else:
            # Without a payload, names and counters are as before.
            assert b["run_name"] == (f"noop/{mode}/tasks:4/workers:"
                                     f"{1 if mode == 'serial' else 2}"
                                     f"{part}/manual_time")
            assert "bytes_in_per_task" not in b
    c = subprocess.run([str(SCRIPTS / "compare"), "--format", "json",
                        str(out)], capture_output=True, text=True,
                       timeout=120)
    assert c.returncode == 0, c.stderr
    rows = json.loads(c.stdout)["summaries"][0]["rows"]
    assert {r["kernel"] for r in rows} == {"noop", "noop payload:64K"}
    for row in rows:
        assert row["payload"] == (65536 if "payload" in row["kernel"] else 0)
        assert row["transport"] == ("shm" if transport == "shm" and
                                    row["mode"] not in ("serial", "thread")
                                    else None)
        if row["mode"] == "serial":
            assert row["speedup"] == pytest.approx(1.0)
        if transport == "shm" and row["mode"] == "process":
            assert row["strategy"] == "process transport:shm"
    # Each size's speedups are over its own serial run: each has one.
    assert sum(r["mode"] == "serial" for r in rows) == 2


PARENT = 128 << 20   # the tests' --parent-rss: 128M


def test_parent_rss_names_counters_and_compare(concbench, tmp_path):
    """--parent-rss: a benchmark per size, named /parent_rss:128M and
    labelled parent_rss=<bytes> when not 0 (names and labels at 0 as
    before), the measuring process's size as it held the memory a counter,
    the sizes as given in the context; compare takes each size as its own
    workload, the strategies its modes."""
    out = tmp_path / "parent.json"
    modes = ["serial", "thread", "process", "spawn"]
    r = run(concbench, "--kernels=noop", f"--modes={','.join(modes)}",
            "--workers=2", "--tasks=4", "--parent-rss=0,128M",
            "--benchmark_repetitions=2", "--benchmark_min_time=0.001",
            f"--benchmark_out={out}")
    assert r.returncode == 0, r.stderr
    data = json.loads(out.read_text())
    assert data["context"]["parent_rss"] == "0,128M"
    runs = [b for b in data["benchmarks"] if b["run_type"] == "iteration"]
    assert len(runs) == 2 * 2 * len(modes)
    for b in runs:
        assert not b.get("error_occurred"), b
        head = "noop/{}/tasks:4/workers:{}".format(
            b["run_name"].split("/")[1],
            1 if "/serial/" in b["run_name"] else 2)
        if "parent_rss" in b["run_name"]:
            assert b["run_name"] == head + "/parent_rss:128M/manual_time"
            assert b["label"].split()[-1] == f"parent_rss={PARENT}"
            # Resident as it held it: its own start size and the 128M.
            assert b["parent_rss_held_bytes"] >= \
                b["parent_rss_bytes"] + PARENT
        else:
            assert b["run_name"] == head + "/manual_time"
            assert "parent_rss" not in b["label"]
            assert "parent_rss_held_bytes" not in b
        # The size the measuring process started from is the forker's.
        assert b["parent_rss_bytes"] < PARENT
    c = subprocess.run([str(SCRIPTS / "compare"), "--format", "json",
                        str(out)], capture_output=True, text=True,
                       timeout=120)
    assert c.returncode == 0, c.stderr
    summary = json.loads(c.stdout)["summaries"][0]
    assert {r["kernel"] for r in summary["rows"]} == \
        {"noop", "noop parent_rss:128M"}
    assert {r["strategy"] for r in summary["rows"]} == set(modes)
    assert {(r["kernel"], r["parent_rss"]) for r in summary["rows"]} == \
        {("noop", 0), ("noop parent_rss:128M", PARENT)}
    assert sum(r["mode"] == "serial" for r in summary["rows"]) == 2
    for verdict in summary["best"]:
        if verdict["workers"] == 2:
            others = {o["name"] for o in verdict["others"]}
            assert all(("parent_rss" in n) == ("parent_rss" in
                                               verdict["kernel"])
                       for n in others), verdict


def test_parent_rss_is_held_by_the_parent_that_forks(concbench, tmp_path):
    """The memory is held by the process that measures, before its workers
    start: a task forked from it (process, process_pool, kept or fresh)
    starts with all of it; one in a thread runs in it; one in a fresh image
    (spawn) has none although its parent holds it; forkserver's are forks
    of a small server. Sizes from /proc (probe_rss), not times."""
    probe, out = tmp_path / "rss", tmp_path / "rss.json"
    modes = ["thread", "process", "process_pool", "spawn", "forkserver"]
    r = run(concbench, f"--kernel-lib={kernel_lib('probe_kernels')}",
            "--kernels=probe_rss", f"--modes={','.join(modes)}",
            "--workers=2", "--tasks=4", "--pool=kept,fresh",
            "--parent-rss=0,128M", "--order=sequential",
            "--benchmark_min_time=0", f"--benchmark_out={out}",
            env={"CB_PROBE_FILE": str(probe)})
    assert r.returncode == 0, r.stderr
    runs = json.loads(out.read_text())["benchmarks"]
    assert len(runs) == 2 * (len(modes) + 2)    # two pools' fresh runs
    assert not any(b.get("error_occurred") for b in runs)
    # In sequential order, each benchmark's tasks wrote their lines in turn,
    # one batch of 4 each (a minimum time of 0).
    lines = [[int(x) for x in line.split()]
             for line in probe.read_text().splitlines()]
    assert len(lines) == 4 * len(runs)
    big = PARENT // 1024                         # kB, as /proc says
    for i, b in enumerate(runs):
        name = b["run_name"]
        mode = name.split("/")[1]
        held = "parent_rss" in name
        for pid, rss, ppid, parent_rss in lines[4 * i:4 * i + 4]:
            where = f"{name}: pid {pid} {rss} kB, parent {ppid} " \
                    f"{parent_rss} kB"
            if not held:
                assert rss < big // 2, where
                continue
            if mode in ("thread", "process", "process_pool"):
                # The measuring process itself, or a fork of it.
                assert rss >= big, where
            else:
                assert rss < big // 2, where
            if mode in ("process", "process_pool", "spawn"):
                assert parent_rss >= big, where  # the measuring process
            if mode == "forkserver":
                assert parent_rss < big // 2, where  # the small server


def test_parent_rss_for_the_baselines(concbench, tmp_path):
    """The baselines run under each size too: fork+_exit+waitpid from a
    parent of 16M is a benchmark of its own, named like the modes'."""
    out = tmp_path / "base.json"
    r = run(concbench, "--kernels=noop", "--modes=serial", "--baselines",
            "--tasks=4", "--parent-rss=0,16M",
            "--benchmark_filter=baseline/fork_exit",
            "--benchmark_min_time=0.001", f"--benchmark_out={out}")
    assert r.returncode == 0, r.stderr
    runs = {b["name"]: b for b in json.loads(out.read_text())["benchmarks"]}
    head = "baseline/fork_exit_waitpid/tasks:4"
    assert set(runs) == {head + "/manual_time",
                         head + "/parent_rss:16M/manual_time"}
    big = runs[head + "/parent_rss:16M/manual_time"]
    assert big["label"] == \
        f"baseline=fork_exit_waitpid tasks=4 parent_rss={16 << 20}"
    assert big["parent_rss_held_bytes"] >= big["parent_rss_bytes"] + \
        (16 << 20)
    assert "parent_rss_held_bytes" not in runs[head + "/manual_time"]


def test_parent_rss_more_than_the_run_can_hold(concbench, tmp_path):
    """More than the machine, the cgroup or the process's limits leave is
    refused when the run starts, in one line that names the limit, before
    anything is measured."""
    if os.environ.get("CB_SLOW_EXEC"):
        pytest.skip("a sanitizer's runtime maps terabytes: no RLIMIT_DATA")
    out = tmp_path / "big.json"

    def limit_data():
        resource.setrlimit(resource.RLIMIT_DATA, (1 << 30, 1 << 30))
    r = subprocess.run([concbench, "--kernels=noop", "--modes=process",
                        "--parent-rss=0,2G", f"--benchmark_out={out}"],
                       capture_output=True, text=True, timeout=60,
                       preexec_fn=limit_data)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("concbench: --parent-rss: 2G is more than")
    assert "RLIMIT_DATA" in lines[0]
    assert r.stdout == ""
    assert list(tmp_path.iterdir()) == []

    # Only the benchmarks --benchmark_filter keeps are held to it: without
    # the 2G ones the run goes on.
    r = subprocess.run([concbench, "--kernels=noop", "--modes=process",
                        "--workers=1", "--parent-rss=0,2G",
                        "--benchmark_filter=-parent_rss",
                        "--benchmark_min_time=0", f"--benchmark_out={out}"],
                       capture_output=True, text=True, timeout=60,
                       preexec_fn=limit_data)
    assert r.returncode == 0, r.stderr
    names = [b["name"] for b in json.loads(out.read_text())["benchmarks"]]
    assert names == ["noop/process/tasks:16/workers:1/manual_time"]


def children_of(pid):
    """The pids of pid's children, from /proc."""
    kids = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/children") as f:
            kids += f.read().split()
    return kids


def wait_for_no_leftovers(exe):
    deadline = time.monotonic() + 10
    while leftover_processes(exe) and time.monotonic() < deadline:
        time.sleep(0.1)
    return leftover_processes(exe)


def test_net_echo_requests_overlap(concbench, tmp_path):
    """T = W = 16 requests of 100 ms to the echo server overlap: each batch
    ends well before the 1.6 s they take one after another, with all 16 at
    once, every answer checked."""
    out = tmp_path / "echo.json"
    r = run(concbench, "--kernels=net_echo",
            "--modes=thread,thread_pool,async,process_pool", "--workers=16",
            "--tasks=16", "--benchmark_repetitions=2",
            "--benchmark_min_time=0.001", f"--benchmark_out={out}")
    assert r.returncode == 0, r.stderr
    runs = [b for b in json.loads(out.read_text())["benchmarks"]
            if b["run_type"] == "iteration"]
    assert len(runs) == 8
    for b in runs:
        assert not b.get("error_occurred"), b
        assert b["peak_running"] == 16, b["name"]
        assert b["real_time"] < 800, b["name"]       # ms
        assert b["task_wall_s"] >= 0.100
    assert wait_for_no_leftovers(concbench) == []


def test_killing_the_echo_server_gives_errors_not_a_hang(concbench,
                                                          tmp_path):
    out = tmp_path / "echo.json"
    p = subprocess.Popen([concbench, "--kernels=net_echo",
                          "--modes=thread,async,process_pool,spawn",
                          "--workers=2", "--tasks=8", "--io-ms=50",
                          "--benchmark_repetitions=10",
                          "--benchmark_min_time=0.001",
                          f"--benchmark_out={out}"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    time.sleep(1.5)
    server = [k for k in children_of(p.pid)
              if os.path.realpath(f"/proc/{k}/exe")
              == os.path.realpath(concbench)]
    assert server, "no echo server running"
    os.kill(int(server[0]), signal.SIGKILL)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 1
    assert "failed:" in err and "echo server" in err
    data = json.loads(out.read_text())
    errors = [b for b in data["benchmarks"] if b.get("error_occurred")]
    assert errors and all("echo server" in b["error_message"] for b in errors)
    assert wait_for_no_leftovers(concbench) == []


def test_the_echo_server_dies_with_concbench(concbench, tmp_path):
    p = subprocess.Popen([concbench, "--kernels=net_echo", "--modes=thread",
                          "--workers=4", "--benchmark_repetitions=100"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    assert children_of(p.pid)        # its server
    p.kill()
    p.wait(timeout=30)
    assert wait_for_no_leftovers(concbench) == []


# ---- A kernel's fixture (issue 19): tests/fixture_kernels.c ----

def fixture_lib(name="fixture_kernels"):
    return kernel_lib(name)


def helper_gone(pid, seconds=10):
    """Whether process pid has ended (a zombie counts), waiting up to
    seconds for it to."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with open(f"/proc/{pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


@pytest.mark.parametrize("leave", [False, True])
def test_a_fixtures_parameter_reaches_every_mode(concbench, tmp_path, leave):
    """A library kernel's fixture is set up once, its parameter reaches
    every task in every mode (fresh images included: a task that got
    another or none fails its check), and it is torn down at the end;
    what its setup started is gone, also when its teardown left it."""
    out = tmp_path / "fixture.json"
    modes = runnable_modes(concbench)
    env = {"CB_FIXTURE_DIR": str(tmp_path)}
    if leave:
        env["CB_FIXTURE_LEAVE"] = "1"
    r = run(concbench, f"--kernel-lib={fixture_lib()}",
            "--kernels=fixture_param", "--modes=" + ",".join(modes),
            "--workers=2", "--tasks=3", "--benchmark_repetitions=2",
            "--benchmark_min_time=0.001", f"--benchmark_out={out}", env=env)
    assert r.returncode == 0, r.stderr
    runs = iterations(json.loads(out.read_text()))
    assert {b["name"] for b in runs} == {
        f"fixture_param/{m}/tasks:3/workers:{1 if m == 'serial' else 2}"
        "/manual_time" for m in modes}
    assert not any(b.get("error_occurred") for b in runs), r.stderr
    pid = int((tmp_path / "helper.pid").read_text())
    assert not (tmp_path / "set_up").exists()      # its teardown ran
    assert helper_gone(pid)


def test_a_fixture_that_fails_stops_the_run(concbench, tmp_path):
    out = tmp_path / "out.json"
    r = run(concbench, f"--kernel-lib={fixture_lib()}",
            "--kernels=noop,fixture_fails", "--modes=thread",
            f"--benchmark_out={out}")
    assert r.returncode == 1
    assert "kernel fixture_fails: its fixture: no server for this test" \
        in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_fixture_that_exits_is_named(concbench, tmp_path):
    out = tmp_path / "out.json"
    r = run(concbench, f"--kernel-lib={fixture_lib()}",
            "--kernels=fixture_param", "--modes=thread",
            f"--benchmark_out={out}", env={"CB_FIXTURE_EXIT": "1",
                                            "CB_FIXTURE_DIR": str(tmp_path)})
    assert r.returncode == 1
    assert "kernel fixture_param's fixture called exit(3), which ends " \
        "concbench" in r.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_ends_what_a_fixture_started(concbench, tmp_path, sig):
    """No teardown follows a signal: the processes the setup started are
    killed instead (this helper does not die with its parent by itself)."""
    p = subprocess.Popen([concbench, f"--kernel-lib={fixture_lib()}",
                          "--kernels=fixture_param", "--modes=thread",
                          "--workers=2", "--benchmark_repetitions=1000"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         env=dict(os.environ, CB_FIXTURE_DIR=str(tmp_path)))
    pid_file = tmp_path / "helper.pid"
    deadline = time.monotonic() + 30
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    pid = int(pid_file.read_text())
    assert not helper_gone(pid, 0)
    p.send_signal(sig)
    assert p.wait(timeout=30) == -sig
    assert helper_gone(pid)


def test_a_version_1_library_still_loads(concbench, tmp_path):
    """Version 1 of the interface had no fixture: whatever is in its
    reserved space is not one."""
    out = tmp_path / "old.json"
    r = run(concbench, f"--kernel-lib={fixture_lib('fixture_kernels_abi1')}",
            "--kernels=old_abi", "--modes=thread,spawn", "--workers=2",
            "--tasks=3", "--benchmark_min_time=0.001",
            f"--benchmark_out={out}")
    assert r.returncode == 0, r.stderr
    runs = iterations(json.loads(out.read_text()))
    assert len(runs) == 2
    assert not any(b.get("error_occurred") for b in runs)


# ---- Hostile kernel libraries (issue 17): tests/hostile_kernels.c ----

IN_PROCESS = ["serial", "thread", "thread_pool", "gil", "async", "openmp"]


def hostile():
    return kernel_lib("hostile")


def in_process_mode(concbench, mode):
    if mode not in built_modes(concbench):
        pytest.skip(f"built without {mode}")


def lines_with(text, stderr):
    return [line for line in stderr.splitlines() if text in line]


def test_a_kernel_that_changes_directory_moves_nothing(concbench, tmp_path):
    # The library and the result file given relative to the directory
    # concbench starts in; its init and its tasks change to another.
    work, other = tmp_path / "work", tmp_path / "other"
    (work / "lib").mkdir(parents=True)
    other.mkdir()
    shutil.copy(hostile(), work / "lib" / "libhostile.so")
    r = subprocess.run(
        [concbench, "--kernel-lib=lib/libhostile.so",
         "--kernels=hostile_chdir",
         "--modes=serial,thread,process,spawn,forkserver", "--workers=2",
         "--tasks=3", "--benchmark_min_time=0.001",
         "--benchmark_out=rel.json"],
        cwd=work, capture_output=True, text=True, timeout=120,
        env=dict(os.environ, CB_HOSTILE_INIT="chdir",
                 CB_HOSTILE_DIR=str(other)))
    assert r.returncode == 0, r.stderr
    runs = iterations(json.loads((work / "rel.json").read_text()))
    assert len(runs) == 5
    assert not any(b.get("error_occurred") for b in runs), runs
    assert f"concbench: wrote {work}/rel.json" in r.stderr
    assert list(other.iterdir()) == []
    assert sorted(p.name for p in work.iterdir()) == ["lib", "rel.json"]


@pytest.mark.parametrize("mode", IN_PROCESS)
@pytest.mark.parametrize("kernel, env, how", [
    ("hostile_exit", {"CB_HOSTILE_STATUS": "0"},
     "it exited with status 0 before it answered"),
    ("hostile_exit", {"CB_HOSTILE_STATUS": "3"}, "it exited with status 3"),
    ("hostile_crash", {}, "it was killed by signal 11 (Segmentation fault)"),
    ("hostile_abort", {}, "it was killed by signal 6 (Aborted)"),
])
def test_a_kernel_that_ends_its_process_fails_its_benchmark_only(
        concbench, tmp_path, mode, kernel, env, how):
    # A kernel that calls exit(), even exit(0), or crashes in a mode that
    # runs it in concbench's own process ends the process measuring that
    # repetition (csrc/isolate.h): one line names the benchmark (kernel
    # and mode) and how it ended, the others are measured, the result file
    # is written whole (the earlier one replaced), and the run ends with
    # status 1: a benchmark failed.
    in_process_mode(concbench, mode)
    out = tmp_path / "out.json"
    out.write_text(EARLIER)
    r = subprocess.run([concbench, f"--kernel-lib={hostile()}",
                        f"--kernels={kernel},noop", f"--modes={mode}",
                        "--workers=2", "--tasks=3",
                        "--benchmark_min_time=0.001",
                        f"--benchmark_out={out}"],
                       capture_output=True, text=True, timeout=120,
                       preexec_fn=no_core_file, env=dict(os.environ, **env))
    assert r.returncode == 1, r.stderr
    workers = 1 if mode == "serial" else 2
    name = f"{kernel}/{mode}/tasks:3/workers:{workers}"
    [line] = lines_with(kernel, r.stderr)
    assert line == f"  {name}: the process measuring it: {how}"
    assert "1 benchmark failed:" in r.stderr
    by_name = {b["name"]: b for b in json.loads(out.read_text())["benchmarks"]}
    assert by_name[name + "/manual_time"]["error_message"] == \
        f"the process measuring it: {how}"
    noop = f"noop/{mode}/tasks:3/workers:{workers}/manual_time"
    assert not by_name[noop].get("error_occurred")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


@pytest.mark.parametrize("init, what", [
    ("crash", "its init was killed by signal 11 (Segmentation fault)"),
    ("exit", "its init called exit(0)"),
])
def test_a_library_whose_init_crashes_or_exits_is_refused(concbench,
                                                          tmp_path, init,
                                                          what):
    r = subprocess.run([concbench, f"--kernel-lib={hostile()}",
                        "--kernels=noop", f"--benchmark_out={tmp_path}/o.json"],
                       capture_output=True, text=True, timeout=60,
                       preexec_fn=no_core_file,
                       env=dict(os.environ, CB_HOSTILE_INIT=init))
    assert r.returncode == 2, r.stderr
    assert r.stderr.splitlines() == [
        f"concbench: --kernel-lib: {hostile()}: {what}"]
    assert r.stdout == ""
    assert list(tmp_path.iterdir()) == []


def test_an_init_that_ignores_sigchld_hides_no_crash(concbench, tmp_path):
    # With SIGCHLD ignored, children reap themselves: a crash was "exited
    # with status 0" or "exited without sending a result". The dispositions
    # the suite relies on are put back after the library is loaded. (An
    # abort: AddressSanitizer's SIGSEGV handler would make a segfault in a
    # fresh image an exit with status 1.)
    out = tmp_path / "out.json"
    modes = ["process", "process_pool", "spawn", "forkserver"]
    r = subprocess.run([concbench, f"--kernel-lib={hostile()}",
                        "--kernels=hostile_abort", f"--modes={','.join(modes)}",
                        "--workers=2", "--tasks=3", "--timeout=20",
                        "--benchmark_min_time=0.001",
                        f"--benchmark_out={out}"],
                       capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, CB_HOSTILE_INIT="sigchld"))
    assert r.returncode == 1, r.stderr
    runs = {b["run_name"].split("/")[1]: b
            for b in iterations(json.loads(out.read_text()))}
    assert sorted(runs) == sorted(modes)
    for mode, b in runs.items():
        assert b["error_occurred"], mode
        assert b["error_message"].startswith("task 1: worker"), b
        assert "killed by signal 6 (Aborted)" in b["error_message"], b


def processes_named(mark):
    """Pids of the processes whose argv[0] is mark."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if f.read().split(b"\0")[0] == mark.encode():
                    found.append(pid)
        except OSError:
            pass
    return found


def test_what_a_task_leaves_running_ends_with_its_batch(concbench,
                                                         tmp_path):
    # Every task starts a `sleep 47` and leaves it: concbench, their
    # subreaper, kills and reaps them after each batch, in every mode,
    # and spawn's worker is done when it exits, though the sleep holds
    # its result pipe.
    mark = f"cb-left-{os.getpid()}-{time.monotonic_ns()}"
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    out = tmp_path / "out.json"
    modes = runnable_modes(concbench)  # mpi_pool too, where built
    r = subprocess.run([concbench, f"--kernel-lib={hostile()}",
                        "--kernels=hostile_fork", f"--modes={','.join(modes)}",
                        "--workers=2", "--tasks=3", "--timeout=20",
                        "--benchmark_min_time=0.001",
                        f"--benchmark_out={out}"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True, timeout=120,
                       env=dict(os.environ, CB_HOSTILE_MARK=mark,
                                TMPDIR=str(tmp)))
    left = processes_named(mark)
    for pid in left:
        os.kill(int(pid), signal.SIGKILL)
    assert left == [], r.stderr
    assert r.returncode == 0, r.stderr
    runs = iterations(json.loads(out.read_text()))
    assert len(runs) == len(modes)
    assert not any(b.get("error_occurred") for b in runs), runs
    assert list(tmp.iterdir()) == []


def wait_until(condition, limit_s=30):
    """Poll condition until it holds or limit_s pass; its last value."""
    deadline = time.monotonic() + limit_s
    while not (held := condition()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return held


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM,
                                 signal.SIGHUP])
@pytest.mark.parametrize("to", ["concbench", "its process group"])
@pytest.mark.parametrize("when", ["folder made", "Open MPI in it"])
def test_a_signal_during_mpi_pool_leaves_nothing(concbench, tmp_path, sig,
                                                  to, when):
    # Its session folder ($TMPDIR/concbench-mpi-*) and Open MPI's processes
    # (orted, the workers) go before concbench has died of the signal,
    # sent to it alone or, as a terminal's Ctrl-C is, to its whole group.
    if "mpi_pool" not in built_modes(concbench):
        pytest.skip("built without MPI (-Dmpi)")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    p = subprocess.Popen([concbench, "--kernels=noop,io_sleep",
                          "--modes=mpi_pool,process_pool", "--workers=2",
                          "--tasks=3", "--io-ms=20",
                          "--benchmark_repetitions=100",
                          "--benchmark_min_time=0.001"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         env=dict(os.environ, TMPDIR=str(tmp)),
                         start_new_session=True)
    try:
        pattern = "concbench-mpi-*" + ("/*" if when == "Open MPI in it"
                                       else "")
        assert wait_until(lambda: any(tmp.glob(pattern)), 60), \
            "mpi_pool did not start"
        if to == "concbench":
            p.send_signal(sig)
        else:
            os.killpg(p.pid, sig)
        assert p.wait(timeout=60) == -sig
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    assert list(tmp.iterdir()) == []
    assert processes_with_env(f"TMPDIR={tmp}") == []


def test_mpi_pool_cleans_up_after_a_sigkilled_concbench(concbench,
                                                        tmp_path):
    # Nothing can run in concbench then: its keeper, told by its parent's
    # death (SIGTERM), still ends the pool and removes the folder.
    if "mpi_pool" not in built_modes(concbench):
        pytest.skip("built without MPI (-Dmpi)")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    p = subprocess.Popen([concbench, "--kernels=noop", "--modes=mpi_pool",
                          "--workers=2", "--tasks=3",
                          "--benchmark_repetitions=100",
                          "--benchmark_min_time=0.001"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         env=dict(os.environ, TMPDIR=str(tmp)))
    try:
        assert wait_until(lambda: any(tmp.glob("concbench-mpi-*/*")), 60)
    finally:
        p.kill()
        p.wait()

    def left():
        return list(tmp.iterdir()), processes_with_env(f"TMPDIR={tmp}")
    assert wait_until(lambda: left() == ([], [])), left()


def test_out_of_files_names_the_call_that_failed(concbench, tmp_path):
    # 24 open files for 64 workers: forkserver polled one entry a slot,
    # unused ones too, and poll refuses more than the limit ('poll:
    # Invalid argument'); process said 'fork' where pidfd_open had failed
    # after it.
    out = tmp_path / "out.json"

    def few_files():
        resource.setrlimit(resource.RLIMIT_NOFILE, (24, 24))
    r = subprocess.run([concbench, "--kernels=noop",
                        "--modes=process,forkserver", "--workers=64",
                        "--tasks=64", "--payload=0,1K",
                        "--benchmark_min_time=0.001",
                        f"--benchmark_out={out}"],
                       capture_output=True, text=True, timeout=120,
                       preexec_fn=few_files)
    assert r.returncode == 1, r.stderr
    errors = {b["run_name"].split("/", 1)[1].removesuffix("/manual_time"):
              b.get("error_message", "")
              for b in iterations(json.loads(out.read_text()))}
    assert errors["forkserver/tasks:64/workers:64"] == ""
    assert errors["forkserver/tasks:64/workers:64/payload:1K"] == \
        "forkserver: pipe: Too many open files"
    no_payload = errors["process/tasks:64/workers:64"]
    assert no_payload.startswith("task ")
    # pidfd_open where the system has pidfds, else the exit pipe.
    assert no_payload.endswith((": pidfd_open: Too many open files",
                                ": pipe: Too many open files"))
    assert errors["process/tasks:64/workers:64/payload:1K"].endswith(
        ": pipe: Too many open files")


@pytest.mark.parametrize("mode", [0o444, 0o400, 0o000])
def test_a_read_only_result_file_is_not_replaced(concbench, tmp_path, mode):
    out = tmp_path / "out.json"
    out.write_text(EARLIER)
    out.chmod(mode)
    r = small_run(concbench, out)
    assert r.returncode == 2, r.stderr
    assert r.stderr.splitlines() == [
        f"concbench: --benchmark_out: {out}: is read-only (mode "
        f"{mode:04o}): concbench does not replace it (see --help)"]
    assert out.stat().st_mode & 0o7777 == mode
    out.chmod(0o644)
    assert out.read_text() == EARLIER
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_a_replaced_result_file_keeps_its_mode_and_owner(concbench,
                                                        tmp_path):
    out = tmp_path / "out.json"
    out.write_text(EARLIER)
    out.chmod(0o640)
    owner = (65534, 65534) if os.geteuid() == 0 else (os.geteuid(),
                                                      os.getegid())
    os.chown(out, *owner)
    r = small_run(concbench, out)
    assert r.returncode == 0, r.stderr
    st = out.stat()
    assert (st.st_mode & 0o7777, st.st_uid, st.st_gid) == (0o640, *owner)
    assert len(iterations(json.loads(out.read_text()))) == 3


@pytest.mark.parametrize("earlier", [True, False])
def test_two_runs_writing_one_file_lose_neither(concbench, tmp_path,
                                                earlier):
    # A runs until B has written the file: A's result goes beside it,
    # and A says so and fails; B's stays. Neither is lost, and only B
    # says "wrote".
    res, ctl = tmp_path / "res", tmp_path / "ctl"
    res.mkdir()
    ctl.mkdir()
    out = res / "out.json"
    if earlier:
        out.write_text(EARLIER)
    a = subprocess.Popen([concbench, f"--kernel-lib={hostile()}",
                          "--kernels=hostile_wait", "--modes=serial",
                          "--tasks=1", "--benchmark_min_time=0.001",
                          f"--benchmark_out={out}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True,
                         env=dict(os.environ,
                                  CB_HOSTILE_READY=str(ctl / "ready"),
                                  CB_HOSTILE_GO=str(ctl / "go")))
    try:
        assert wait_until(lambda: (ctl / "ready").exists(), 60)
        b = small_run(concbench, out)
        assert b.returncode == 0, b.stderr
        assert f"concbench: wrote {out}" in b.stderr
    finally:
        (ctl / "go").touch()
        _, a_err = a.communicate(timeout=120)
    assert a.returncode == 1, a_err
    alt = res / f"out.{a.pid}.json"
    assert lines_with("written by another program", a_err) == [
        f"concbench: {out}: written by another program while this run "
        f"ran: this run's result is in {alt}"]
    assert "wrote" not in a_err
    assert sorted(p.name for p in res.iterdir()) == sorted(
        ["out.json", alt.name])
    assert {b["run_name"].split("/")[0]
            for b in iterations(json.loads(out.read_text()))} == {"noop"}
    assert {b["run_name"].split("/")[0]
            for b in iterations(json.loads(alt.read_text()))} == \
        {"hostile_wait"}


def test_a_helper_of_a_librarys_init_is_left_running(concbench, tmp_path):
    # The sweep ends what tasks leave, not what a library's init starts
    # for its kernels (in concbench, in a forkserver's server, in each
    # spawn worker): every task finds its helper running, in every mode,
    # benchmark after benchmark.
    mark = f"cb-helper-{os.getpid()}-{time.monotonic_ns()}"
    out, err = tmp_path / "out.json", tmp_path / "err"
    modes = [m for m in runnable_modes(concbench) if m != "mpi_pool"]
    try:
        # Not a pipe: the helper holds concbench's stderr open.
        with open(err, "w") as f:
            r = subprocess.run([concbench, f"--kernel-lib={hostile()}",
                                "--kernels=hostile_helper,hostile_fork",
                                f"--modes={','.join(modes)}", "--workers=2",
                                "--tasks=3", "--benchmark_repetitions=2",
                                "--benchmark_min_time=0.001",
                                f"--benchmark_out={out}"],
                               stdout=subprocess.DEVNULL, stderr=f,
                               timeout=120,
                               env=dict(os.environ, CB_HOSTILE_INIT="helper",
                                        CB_HOSTILE_MARK=mark))
        assert r.returncode == 0, err.read_text()
        runs = iterations(json.loads(out.read_text()))
        assert len(runs) == 2 * 2 * len(modes)
        assert not any(b.get("error_occurred") for b in runs), runs
        # concbench's own helper outlives it, as the library made it.
        assert len(processes_named(mark)) == 1
    finally:
        for pid in processes_named(mark):
            os.kill(int(pid), signal.SIGKILL)


def test_a_child_concbench_inherits_is_left_running(concbench, tmp_path):
    # `sleep 47 & exec concbench ...`: the sleep is concbench's child from
    # its start, not a task's leftover; the sweep leaves it alone.
    mark = f"cb-before-{os.getpid()}-{time.monotonic_ns()}"

    def start_sleep_then_exec():
        if os.fork() == 0:
            os.execvp("sleep", [mark, "47"])
    out, err = tmp_path / "out.json", tmp_path / "err"
    try:
        with open(err, "w") as f:
            r = subprocess.run([concbench, "--kernels=noop",
                                "--modes=serial,process_pool", "--workers=2",
                                "--tasks=3", "--benchmark_min_time=0.001",
                                f"--benchmark_out={out}"],
                               stdout=subprocess.DEVNULL, stderr=f,
                               timeout=120, preexec_fn=start_sleep_then_exec)
        assert r.returncode == 0, err.read_text()
        assert len(processes_named(mark)) == 1
    finally:
        for pid in processes_named(mark):
            os.kill(int(pid), signal.SIGKILL)


def processes_with_comm(comm):
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() == comm:
                    found.append(pid)
        except OSError:
            pass
    return found


def test_a_fork_a_task_leaves_holding_every_fd_ends_with_its_batch(
        concbench, tmp_path):
    # Forked without exec, it holds every fd its task's process had: in
    # process mode with a payload the parent read the output pipe to its
    # end of file, which never came (a hang); now it reads what the worker
    # wrote, and the sweep ends the fork.
    mark = f"cbs{os.getpid() % 10**8}-{time.monotonic_ns() % 1000}"
    out, err = tmp_path / "out.json", tmp_path / "err"
    modes = [m for m in runnable_modes(concbench) if m != "mpi_pool"]
    try:
        with open(err, "w") as f:
            r = subprocess.run([concbench, f"--kernel-lib={hostile()}",
                                "--kernels=hostile_stay",
                                f"--modes={','.join(modes)}", "--workers=2",
                                "--tasks=3", "--payload=0,1K", "--timeout=20",
                                "--benchmark_min_time=0.001",
                                f"--benchmark_out={out}"],
                               stdout=subprocess.DEVNULL, stderr=f,
                               timeout=120,
                               env=dict(os.environ, CB_HOSTILE_MARK=mark))
        assert r.returncode == 0, err.read_text()
        runs = iterations(json.loads(out.read_text()))
        assert len(runs) == 2 * len(modes)
        assert not any(b.get("error_occurred") for b in runs), runs
        assert processes_with_comm(mark) == []
    finally:
        for pid in processes_with_comm(mark):
            os.kill(int(pid), signal.SIGKILL)
