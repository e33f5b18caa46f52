"""The report of one or more files, as plain JSON-able data: what
``compare --format json`` prints (schema concbench-compare/2,
docs/json.md) and what compare and report show.

Statistics
----------
* centre: the median of the repetitions;
* spread: the interquartile range (IQR = Q3 - Q1, quartiles by linear
  interpolation between order statistics, numpy's default);
* outliers: repetitions outside [Q1 - 1.5 IQR, Q3 + 1.5 IQR] are flagged,
  never dropped;
* difference between two files: two-sided Mann-Whitney U test
  (``scipy.stats.mannwhitneyu``); with fewer than ``MIN_REPETITIONS`` on a side
  the verdict is "too few repetitions to tell" (with 3 + 3 values the smallest
  possible two-sided p-value is 0.1);
* ratio: median(file) / median(first file); geometric mean of the ratios over
  the benchmarks valid in every file;
* per file, the speedups over serial and their marks (speedups.py), the
  verdict per kernel, tasks and workers (verdicts.py), how steady the
  machine was (steadiness.py) and the answer for the machine (answer.py).
"""


from concbench import answer, rules
from concbench.context import allowed_cpus, context_report
from concbench.names import ordered_names_of
from concbench.pairing import machine_of
from concbench.speedups import (dispatch_rows, other_rows, spread_json,
                                speedup_rows, concbench_runs)
from concbench.stats import describe, geomean, median, min_pairs, ratio
from concbench.steadiness import steadiness_json, summary_notes
from concbench.verdicts import MIN_REPETITIONS, best_rows, u_test


SCHEMA = "concbench-compare/2"
DEFAULT_ALPHA = 0.05


def verdict_of(bench_a, bench_b, test, alpha, differs):
    """Name the outcome of comparing two runs with u_test."""
    if bench_a.aggregates_only or bench_b.aggregates_only:
        return "aggregates_only"
    if test is None:
        return "too_few_repetitions"
    if test["p_value"] < alpha:
        return differs
    return "no_difference"


# ------------------------------------------------------------- comparison


def compare(results, alpha):
    """The cross-file part of the report (None for a single file)."""
    if len(results) < 2:
        return None
    names = ordered_names_of(r.benches for r in results)
    common = [n for n in names if all(n in r.benches for r in results)]
    rows = []
    errored = []
    for name in common:
        benches = [r.benches[name] for r in results]
        if all(b.ok for b in benches):
            rows.append(compare_bench(name, benches, alpha))
        else:
            errored.append(errored_json(name, benches))
    shapes = [allowed_cpus(r.context)[0] for r in results]
    same = len(set(shapes)) == 1 and shapes[0] is not None
    geo = ([geomean_json(k, rows) for k in range(1, len(results))] if same
           else [])
    only = [{"name": n,
             "present_in": [i for i, r in enumerate(results)
                            if n in r.benches]}
            for n in names if n not in common]
    return {"baseline": 0, "benchmarks": rows, "geomean": geo,
            "geomean_left_out": None if same else (
                "the files come from machines with different numbers of "
                "CPUs (" + ", ".join("?" if c is None else f"{c:g}"
                                     for c in shapes) + "): a geometric "
                "mean of their times would mix one machine's faster cores "
                "with another's more of them; see Machines side by side"),
            "errored": errored, "only_in_some": only}


def machines_json(results, summaries):
    """Several files side by side, by what differs in kind: each
    machine's CPUs, its single-task speed against the first file's
    (serial's median time per kernel), its fork and thread creation
    costs, and the fastest strategy with its speedup at each kernel and
    worker count."""
    if len(results) < 2:
        return None
    machines = []
    base = {(r["kernel"], r["tasks"]): r["median_s"]
            for r in summaries[0]["rows"] if r["mode"] == "serial"}
    for result, summary in zip(results, summaries):
        serial = {(r["kernel"], r["tasks"]): r["median_s"]
                  for r in summary["rows"] if r["mode"] == "serial"}
        machines.append({
            "file": summary["file"], "cpus": summary["cpus"],
            "cpu_model": result.context.get("cpu_model"),
            "fork_s": summary["answer"]["fork_s"],
            "thread_s": summary["answer"]["thread_s"],
            "single_task": [{"kernel": k, "tasks": t, "serial_s": v,
                             "versus_first": (ratio(v, base[k, t])
                                              if (k, t) in base else None)}
                            for (k, t), v in serial.items()],
            "best": [{"kernel": b["kernel"], "tasks": b["tasks"],
                      "workers": b["workers"], "verdict": b["verdict"],
                      "strategy": b["strategy"], "tie": b["tie"],
                      "speedup": b["speedup"]} for b in summary["best"]]})
    shapes = {(m["cpus"], m["cpu_model"]) for m in machines}
    return {"differ": len(shapes) > 1, "machines": machines}


def geomean_json(k, rows):
    """Geometric mean of file k's ratios over the compared benchmarks."""
    ratios = [row["versus_baseline"][k - 1]["ratio"] for row in rows]
    ratios = [r for r in ratios if r is not None and r > 0]
    return {"file": k, "ratio": geomean(ratios), "count": len(ratios)}


def errored_json(name, benches):
    return {"name": name,
            "errored_in": [i for i, b in enumerate(benches) if not b.ok],
            "messages": [b.problem for b in benches]}


def compare_bench(name, benches, alpha):
    spreads = [describe(b.samples) for b in benches]
    base, base_spread = benches[0], spreads[0]
    versus = []
    for k in range(1, len(benches)):
        r = ratio(spreads[k].median, base_spread.median)
        test = u_test(base.samples, benches[k].samples)
        versus.append({"file": k, "ratio": r,
                       "p_value": test and test["p_value"],
                       "u_statistic": test and test["u_statistic"],
                       "verdict": verdict_of(base, benches[k], test, alpha,
                                             direction(r))})
    return {"name": name,
            "files": [spread_json(s, b) for s, b in zip(spreads, benches)],
            "versus_baseline": versus,
            "counters": counter_changes(benches)}


def direction(r):
    """The verdict for a significant difference with median ratio r."""
    if r is None or r == 1:
        return "no_difference"
    return "slower" if r > 1 else "faster"


def counter_changes(benches):
    names = ordered_names_of(b.counters for b in benches)
    changes = []
    for counter in names:
        medians = [median(b.counters.get(counter, [])) for b in benches]
        base = medians[0]
        change = [None if m is None or base is None
                  or (r := ratio(m, base)) is None else r - 1
                  for m in medians[1:]]
        changes.append({"name": counter, "medians": medians,
                        "change": change})
    return changes


def file_margin(result, margin):
    """The margin to judge a file by: the one asked for, else the one its
    run used (the context's margin, concbench since issue 16), else
    rules.MARGIN."""
    if margin is not None:
        return margin
    try:
        found = float(result.context.get("margin", ""))
    except (TypeError, ValueError):
        found = None
    if found is not None and 0 < found <= rules.MAX_MARGIN:
        return found
    return rules.MARGIN


def summarize(index, result, alpha, margin=None):
    margin = file_margin(result, margin)
    cpus, source = allowed_cpus(result.context)
    machine = machine_of(result, cpus)
    runs = concbench_runs(result)
    speedups = speedup_rows(runs, machine)
    best = best_rows(runs, speedups, alpha, machine, margin)
    steady = steadiness_json(result, speedups, best, alpha, machine)
    summary = {"file": index, "cpus": cpus, "cpus_source": source,
               "margin": margin, "steadiness": steady,
               "notes": summary_notes(steady, speedups),
               "rows": speedups, "best": best,
               "dispatch": dispatch_rows(runs, speedups),
               "other": other_rows(result)}
    summary["answer"] = answer.answer(summary, margin)
    return summary


# ----------------------------------------------------------------- report


def file_json(result):
    return {"path": result.path, "label": result.label,
            "benchmarks": len(result.benches),
            "errored": [{"name": b.name, "message": b.problem}
                        for b in result.benches.values() if not b.ok]}


def build_report(results, alpha=DEFAULT_ALPHA, notes=(), margin=None):
    """Everything compare prints, as plain JSON-able data. margin: None
    for each file's own (file_margin)."""
    summaries = [summarize(i, r, alpha, margin)
                 for i, r in enumerate(results)]
    return {"schema": SCHEMA, "alpha": alpha, "margin": margin,
            "min_repetitions": MIN_REPETITIONS, "min_pairs": min_pairs(alpha),
            "notes": list(notes),
            "files": [file_json(r) for r in results],
            "context": context_report(results),
            "comparison": compare(results, alpha),
            "summaries": summaries,
            "machines": machines_json(results, summaries)}
