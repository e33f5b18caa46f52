#!/usr/bin/python3
"""Large inputs for compare, report and plot, made on demand (never kept):
one result file of many benchmarks, or a folder of many result files, as
concbench writes them (labels, rounds, the machine's counters, the four
aggregates of each run).

    tests/python/bigresults.py file OUT.json [--benchmarks 100000]
    tests/python/bigresults.py folder DIR [--files 10000]

The file has as many kernels as it takes to reach --benchmarks entries,
each with 37 runs (serial, and 9 other modes at 1, 2, 4 and 8 workers)
of 6 repetitions and 4 aggregates each: 100,000 entries are 271 kernels
(100,270 entries), so 271 time charts for plot. The folder's files are
small runs (2 kernels, 4 modes, 3 repetitions: 98 entries), from as many
hosts as files, named as fleet/concbench.yml names what it collects.

The numbers are made from the indices only, so the same arguments give
the same files.
"""

import argparse
import json
import os

MODES = ("serial", "thread", "process", "thread_pool", "process_pool",
         "spawn", "forkserver", "gil", "async", "openmp")
WORKERS = (1, 2, 4, 8)
AGGREGATES = ("mean", "median", "stddev", "cv")


def context(host, date, tasks, modes):
    return {"date": date, "host_name": host, "fleet_host": host,
            "executable": "build/bench/concbench", "num_cpus": 8,
            "mhz_per_cpu": 2600, "cpu_scaling_enabled": False,
            "caches": [], "load_avg": [0.1, 0.1, 0.1],
            "library_build_type": "release", "benchmark_version": "1.7.1",
            "build_type": "release", "chunk": "1", "compiler": "gcc 12.2.0",
            "concbench_version": "0.1.0", "cpu_model": "CPU B",
            "cpu_quota": "none", "cpus_allowed": "8", "cpus_online": "8",
            "gmp_version": "6.2.1", "governor": "performance",
            "io_ms": "100", "kernel": "Linux 6.1.0 x86_64",
            "modes": " ".join(modes), "smt": "0", "switch_us": "5000",
            "tasks": str(tasks), "timeout_s": "60", "order": "rounds",
            "order_seed": "1", "rounds": "6"}


def runs(kernel, tasks, modes, workers):
    """(mode, workers, batch time in ms) of one kernel's runs."""
    serial = 10.0 + kernel % 7
    yield "serial", 1, serial
    for m, mode in enumerate(modes[1:]):
        for w in workers:
            yield mode, w, serial / min(w, 8) * (1.05 + 0.01 * m)


def entries(kernel, tasks, modes, workers, reps):
    """The entries of one kernel's runs: reps repetitions, one a round,
    then the aggregates."""
    out = []
    for mode, w, ms in runs(kernel, tasks, modes, workers):
        name = f"k{kernel}/{mode}/tasks:{tasks}/workers:{w}/manual_time"
        base = {"name": name, "run_name": name, "repetitions": reps,
                "threads": 1, "time_unit": "ms",
                "label": f"kernel=k{kernel} mode={mode} tasks={tasks} "
                         f"workers={w}"}
        times = [ms * (1 + 0.004 * ((r * 7 + kernel) % 5))
                 for r in range(reps)]
        for r, t in enumerate(times):
            out.append(dict(base, run_type="iteration", repetition_index=r,
                            iterations=1, real_time=t, cpu_time=0.5 * t,
                            cpu_util=1.0, machine_speed=1.0,
                            other_cpus=0.05, steal_cpus=0.0,
                            round=r + 1, t_start_s=float(r),
                            t_end_s=r + t / 1000))
        mean = sum(times) / reps
        for agg, value in zip(AGGREGATES,
                              (mean, sorted(times)[reps // 2], 0.01, 0.001)):
            name_agg = f"{name}_{agg}"
            out.append(dict(base, name=name_agg, run_type="aggregate",
                            aggregate_name=agg,
                            aggregate_unit="percentage" if agg == "cv"
                            else "time", iterations=reps, real_time=value,
                            cpu_time=0.5 * value))
    return out


def write(path, data):
    with open(path, "w") as f:
        json.dump(data, f)


def big_file(path, benchmarks=100_000):
    """One file of at least benchmarks entries (37 runs a kernel, 10
    entries a run); returns the number of kernels."""
    per_kernel = (1 + (len(MODES) - 1) * len(WORKERS)) * (6 + 4)
    kernels = -(-benchmarks // per_kernel)
    data = {"context": context("big", "2026-12-01T00:00:00+00:00", 16,
                               MODES),
            "benchmarks": [e for k in range(kernels)
                           for e in entries(k, 16, MODES, WORKERS, 6)]}
    write(path, data)
    return kernels


def big_folder(directory, files=10_000):
    """files small result files in directory, one a host."""
    os.makedirs(directory, exist_ok=True)
    modes = MODES[:4]
    for i in range(files):
        host = f"host{i:05d}"
        data = {"context": context(host, f"2026-12-01T{i // 3600 % 24:02d}:"
                                   f"{i // 60 % 60:02d}:{i % 60:02d}+00:00",
                                   4, modes),
                "benchmarks": [e for k in range(2)
                               for e in entries(k, 4, modes, (1, 2), 3)]}
        write(os.path.join(directory,
                           f"{host}-20261201T000000Z.json"), data)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    one = sub.add_parser("file", help="one file of many benchmarks")
    one.add_argument("path")
    one.add_argument("--benchmarks", type=int, default=100_000)
    many = sub.add_parser("folder", help="a folder of many files")
    many.add_argument("path")
    many.add_argument("--files", type=int, default=10_000)
    args = parser.parse_args()
    if args.what == "file":
        big_file(args.path, args.benchmarks)
    else:
        big_folder(args.path, args.files)


if __name__ == "__main__":
    main()
