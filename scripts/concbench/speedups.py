"""A file's concbench runs with their speedup over serial, paired in
time, the interval of that speedup, and the marks (FLAGS) a row gets; the
dispatch cost of a mode beyond its reference.

* speedup over serial (same kernel and tasks), paired in time: each
  repetition of the run is paired with serial's of the same ``round``
  (concbench's default order, rounds), else, without rounds, with serial's
  whose ``t_start_s`` is nearest; the speedup is the median of the paired
  ratios serial / run.  Files without either counter (older concbench,
  other programs) and aggregates-only runs are *unpaired*: median(serial) /
  median(run), no interval, and the row and the summary's notes say so;
* interval of the speedup: a distribution-free confidence interval for the
  median of the paired ratios from order statistics (the binomial
  interval, no resampling, so the same file always gives the same
  interval): [x_(k), x_(n+1-k)] with the largest k covering at least 95 %;
  with 5 pairs or fewer that is [min, max], whose coverage (93.75 % for 5,
  87.5 % for 4, 75 % for 3, 50 % for 2) is reported with it;
* efficiency: speedup / min(workers, CPUs the run could use), where the CPU
  count is the context's ``cpus_allowed``, else ``num_cpus``, or its
  ``cpu_quota`` (the cgroup's, in CPUs) where that is a number and smaller;
* flags (FLAGS): a row is flagged and listed with its reasons, never
  dropped, when
  ``impossible_speedup``: its kernel needs a CPU (serial's median
  ``cpu_util`` >= CPU_BOUND_UTIL, 0.5: decided from the data, so it works for
  any kernel) and the interval's low end is above IMPOSSIBLE_LOW (1.02)
  times min(W, CPUs), or the median above IMPOSSIBLE_MEDIAN (1.05) times
  that (so also for unpaired files);
  ``gil_speedup``: mode ``gil`` on such a kernel, with the interval's low end
  above GIL_LOW (1.05) or the median above GIL_MEDIAN (1.15): one global lock
  cannot beat serial, a little noise aside;
  ``unsteady_machine``: most of the row's pairs with serial had canaries
  (``machine_speed``) further apart than the run's limit;
  ``busy_machine``: most of them were measured while other work
  (``other_cpus + steal_cpus``) could stretch them by more than
  BUSY_STRETCH.
  The last two need the counters, so older files get only the first two.
"""

import math

from concbench import rules, stats
from concbench.names import WORKLOAD_SIZES, config_key
from concbench.pairing import (corrected, cpu_bound, keep_pairs,
                               pair_reps, pair_state, rep_values, side_of)
from concbench.stats import describe, median, ratio


FLAGS = ("impossible_speedup", "gil_speedup", "unsteady_machine",
         "busy_machine")


def median_interval(values, level=rules.CI_LEVEL):
    """stats.median_interval at rules.CI_LEVEL unless told."""
    return stats.median_interval(values, level)


def spread_json(spread, bench):
    return {"median_s": spread.median, "q1_s": spread.q1, "q3_s": spread.q3,
            "iqr_s": spread.iqr, "n": spread.n, "outliers": spread.outliers,
            "aggregates_only": bench.aggregates_only}


def concbench_runs(result):
    """[(Config, Bench)] for the valid concbench runs, in a stable order."""
    runs = [(bench.config, bench)
            for bench in result.benches.values() if bench.ok]
    runs = [(c, b) for c, b in runs if c is not None]
    kernels = {}
    for config, _ in runs:
        kernels.setdefault(config.workload, len(kernels))
    modes = result.mode_order
    return sorted(runs, key=lambda cb: config_key(kernels, cb[0], modes))


def serial_medians(runs):
    """(workload, tasks) -> median time of the serial run."""
    return {key: describe(bench.samples).median
            for key, bench in serial_runs(runs).items()}


def serial_runs(runs):
    """(workload, tasks) -> the Bench of the serial run."""
    serial = {}
    for config, bench in runs:
        if config.mode == "serial":
            serial.setdefault((config.workload, config.tasks), bench)
    return serial


# ------------------------------------------------------------ speedups


def machine_figures(reps):
    """(machine_speed range [min, max] or None, the most other + steal
    CPUs of a repetition or None) over repetition counter dicts."""
    speeds = [r["machine_speed"] for r in reps
              if r.get("machine_speed", 0) > 0]
    busy = [r.get("other_cpus", 0) + r.get("steal_cpus", 0) for r in reps
            if "other_cpus" in r or "steal_cpus" in r]
    return ([min(speeds), max(speeds)] if speeds else None,
            max(busy) if busy else None)


def row_flags(mode, figures, machine):
    """[(code, reason)] for a speedup row's figures (see FLAGS)."""
    found = []
    speedup, ci, limit = (figures["speedup"], figures["speedup_ci"],
                          figures["cpu_limit"])
    low = ci[0] if ci else None
    if figures["cpu_bound"] and speedup is not None:
        if low is not None and low > limit * rules.IMPOSSIBLE_LOW:
            found.append(("impossible_speedup",
                          f"interval low end {low:.2f}x above "
                          f"{rules.IMPOSSIBLE_LOW:g} x min(W, CPUs) = "
                          f"{limit * rules.IMPOSSIBLE_LOW:g} for a kernel "
                          "that needs a CPU"))
        elif speedup > limit * rules.IMPOSSIBLE_MEDIAN:
            found.append(("impossible_speedup",
                          f"median {speedup:.2f}x above "
                          f"{rules.IMPOSSIBLE_MEDIAN:g} x min(W, CPUs) = "
                          f"{limit * rules.IMPOSSIBLE_MEDIAN:g} "
                          "for a kernel that needs a CPU"))
        if mode == "gil":
            if low is not None and low > rules.GIL_LOW:
                found.append(("gil_speedup",
                              f"interval low end {low:.2f}x above "
                              f"{rules.GIL_LOW:g}: one global lock cannot "
                              "speed up a CPU-bound kernel"))
            elif speedup > rules.GIL_MEDIAN:
                found.append(("gil_speedup",
                              f"median {speedup:.2f}x above "
                              f"{rules.GIL_MEDIAN:g}: one global lock cannot "
                              "speed up a "
                              "CPU-bound kernel"))
    kept = figures["disturbed_pairs"]
    if "canary" in figures["disturbed_by"]:
        found.append(("unsteady_machine",
                      f"{kept} of {figures['pairs']} pairs measured while "
                      "the machine's speed moved: canaries up to "
                      f"{-math.expm1(-figures['canary_delta_max']):.0%} "
                      "apart between a repetition and its serial partner "
                      f"(the limit: "
                      f"{-math.expm1(-machine.canary_limit):.0%})"))
    if "busy" in figures["disturbed_by"]:
        found.append(("busy_machine",
                      f"{kept} of {figures['pairs']} pairs measured while "
                      "other work could stretch them by up to "
                      f"{figures['stretch_max'] - 1:.0%} (up to "
                      f"{figures['busy_cpus_max']:.2f} CPU of it beside "
                      f"{figures['demand_cpus']:.2f} asked of "
                      f"{machine.cpus:g} CPUs; the limit: "
                      f"{rules.BUSY_STRETCH:.0%})"))
    return found


def left_out_because(states):
    """Why the pairs left out of a row were: "other work could stretch
    them by up to 50%", "canaries up to 12% apart"; [] for none."""
    why = []
    busy = [st.stretch for st in states if "busy" in st.kinds]
    if busy:
        why.append(f"other work could stretch them by up to "
                   f"{max(busy) - 1:.0%}")
    apart = [abs(st.delta) for st in states if "canary" in st.kinds]
    if apart:
        why.append(f"canaries up to {-math.expm1(-max(apart)):.0%} apart")
    return why


def speedup_figures(config, bench, serial, machine, kernel_cpu_bound):
    """The speedup of a run over its serial run, paired in time where the
    file allows (without the pairs a disturbance spoilt, while enough are
    left), its interval, and the marks."""
    side = side_of(config, bench, machine, kernel_cpu_bound)
    kind, pairs = pair_reps(bench, serial) if serial else ("unpaired", [])
    serial_side = (side_of(serial.config, serial, machine, kernel_cpu_bound)
                   if serial else None)
    states = [pair_state(bench.reps[i], side, serial.reps[j], serial_side,
                         machine) for i, j in pairs]
    all_states = states
    pairs, states, left_out = keep_pairs(pairs, states)
    gone = [st for st in all_states if st.kinds] if left_out else []
    unpaired = (None if serial is None else
                ratio(describe(serial.samples).median,
                      describe(bench.samples).median))
    ratios = []
    for (i, j), st in zip(pairs, states):
        # serial / run; delta is log(canary of the run / serial's).
        r = ratio(serial.samples[j], bench.samples[i])
        if r is not None:
            ratios.append(corrected(r, st, machine, kernel_cpu_bound, -1))
    paired = bool(ratios)
    speedup = median(ratios) if paired else unpaired
    interval = median_interval(ratios) if paired else None
    ci = None if interval is None else [interval[0], interval[1]]
    limit = min(config.workers, machine.cpus) if machine.cpus \
        else config.workers
    partner = ([serial.reps[j] for _, j in pairs] if pairs
               else serial.reps if serial else [])
    own = [bench.reps[i] for i, _ in pairs] if pairs else bench.reps
    speeds, busy = machine_figures(own + partner)
    disturbed = [st for st in states if st.kinds]
    figures = {
        "speedup": speedup, "speedup_unpaired": unpaired,
        "speedup_ci": ci,
        "speedup_ci_coverage": interval and interval[2],
        "paired": paired, "pairing": kind if paired else "unpaired",
        "pairs": len(ratios), "pairs_left_out": left_out,
        "disturbed_pairs": len(disturbed),
        "disturbed_by": sorted({k for st in disturbed for k in st.kinds}),
        "cpu_bound": kernel_cpu_bound,
        "cpu_limit": limit,
        "demand_cpus": side.demand,
        "efficiency": (speedup / limit
                       if speedup is not None and machine.cpus else None),
        "efficiency_ci": ([c / limit for c in ci] if ci and machine.cpus
                          else None),
        "machine_speed_range": speeds, "busy_cpus_max": busy,
        "canary_delta_max": max((abs(st.delta) for st in states
                                 if st.delta is not None), default=None),
        "stretch_max": max((st.stretch for st in states), default=None),
        "distortion": max((st.factor for st in disturbed), default=1.0),
        "left_out_because": left_out_because(gone)}
    flags = row_flags(config.mode, figures, machine)
    figures["flags"] = [code for code, _ in flags]
    figures["flag_reasons"] = [f"{code}: {why}" for code, why in flags]
    return figures


def speedup_rows(runs, machine):
    """One row per run: its spread, speedup over serial (same kernel and
    tasks), efficiency over min(workers, cpus), and marks."""
    serial = serial_runs(runs)
    rows = []
    for config, bench in runs:
        partner = serial.get((config.workload, config.tasks))
        rows.append({"name": bench.name, "kernel": config.workload,
                     "tasks": config.tasks, "mode": config.mode,
                     "workers": config.workers, "chunk": config.chunk,
                     **{key: config.size(key) for key in WORKLOAD_SIZES},
                     "transport": config.transport,
                     "strategy": config.strategy,
                     **spread_json(describe(bench.samples), bench),
                     **speedup_figures(config, bench, partner, machine,
                                       cpu_bound(partner))})
    return rows


# ------------------------------------------------------ dispatch cost

# (mode, its reference): what a task costs the mode beyond the reference,
# with the same kernel, tasks and workers in the same file.
DISPATCH_PAIRS = (("mpi_pool", "process_pool"),)


def dispatch_rows(runs, speedups):
    """Per kernel, tasks and workers where a file has a mode of
    DISPATCH_PAIRS and its reference (one task at a time, no payload): the
    mode's batch time beyond the reference's, a task (difference over the
    tasks), paired in time like a speedup (median of the pairs'
    differences and its interval), its pool start, and the flags of
    either row."""
    flags = {row["name"]: row["flags"] for row in speedups}
    found = {}
    for config, bench in runs:
        if config.chunk is None and not config.payload:
            key = (config.workload, config.tasks, config.workers)
            found.setdefault(key, {}).setdefault(config.mode, bench)
    rows = []
    for mode, reference in DISPATCH_PAIRS:
        for (kernel, tasks, workers), benches in found.items():
            bench, ref = benches.get(mode), benches.get(reference)
            if bench is None or ref is None:
                continue
            kind, pairs = pair_reps(bench, ref)
            diffs = [(bench.samples[i] - ref.samples[j]) / tasks
                     for i, j in pairs]
            interval = median_interval(diffs) if diffs else None
            starts = rep_values(bench, "pool_start_s")
            rows.append({
                "kernel": kernel, "tasks": tasks, "workers": workers,
                "mode": mode, "reference": reference,
                "median_s": describe(bench.samples).median,
                "reference_median_s": describe(ref.samples).median,
                "extra_per_task_s": (
                    median(diffs) if diffs else
                    (describe(bench.samples).median
                     - describe(ref.samples).median) / tasks),
                "extra_per_task_ci": (None if interval is None
                                      else [interval[0], interval[1]]),
                "pairing": kind if diffs else "unpaired",
                "pairs": len(diffs),
                "pool_start_s": median(starts) if starts else None,
                "flags": sorted(set(flags.get(bench.name, [])
                                    + flags.get(ref.name, [])))})
    return rows


def other_rows(result):
    """Spreads of the valid runs that are not concbench runs."""
    return [{"name": name, **spread_json(describe(bench.samples), bench)}
            for name, bench in result.benches.items()
            if bench.ok and bench.config is None]
