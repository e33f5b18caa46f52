"""Compare concbench (Google Benchmark) JSON results across files.

Usage
-----
    compare [--format text|markdown|json] [--alpha A] [--margin M]
            [--details | --answer] FILE|DIR...
    compare [options] --newest N DIR

For one file the answer for its machine comes first (answer.py): per
kernel the strategy, or the strategies tied, to use at the best worker
count, its speedup and verdict, what the others cost at their own best W
and why; ``--answer`` prints only that.  For several files, the machines
side by side come first (CPUs, single-task speed, fork and thread costs,
fastest strategy at each W; no geometric mean of absolute times across
different CPU counts), each file's answer before its own sections.

The context blocks follow: side by side, with warnings where a
comparison crosses a different CPU, CPU count, kernel, compiler, library
version, build type, frequency scaling or io_ms, and where a file was
measured on a debug build or a busy machine.

Two or more FILEs are then compared with the first (the baseline): for each
benchmark present in every file each file's median time, IQR and
repetitions, the ratio to the baseline and a two-sided Mann-Whitney U test
("too few repetitions to tell" below 4 a side); the geometric mean of the
ratios; the change of every counter's median; the benchmarks errored or
present in only some files.

For every file: first how steady the machine was (the canary's range,
steal and other processes' CPU from the repetitions' counters), which
rows that marked and what to do; then the speedup of every strategy over
serial (same kernel and tasks) at each worker count, paired in time (each
repetition with serial's of the same round, else the nearest in time) with
a distribution-free 95 % interval for its median, or unpaired (serial
median / median) for older files, with the parallel efficiency
speedup / min(workers, CPUs the run could use); marked rows carry ``!``
and are listed with their reasons (``speedups.py``).  Last comes the
verdict per kernel and worker count, over every row (a mark may make it
undecided, never crown another): each strategy against the fastest by
the interval of their paired time ratio and the margin (clearly best,
tie, undecided: docs/verdicts.md).  One FILE also lists
the runs whose names are not concbench names (e.g. ``baseline/...``, every
run of another Google Benchmark program, or a name with more tasks or
workers than concbench can run: see ``names.py``); ``--details`` lists
every concbench run with its median, IQR and speedup.

A DIR among the files stands for every ``*.json`` in it, grouped by host
(the context's ``fleet_host``, which ``fleet/concbench.yml`` adds, else its
``host_name``), each host's oldest first: a fleet's collected results.
``--newest N DIR`` takes the N newest ``*.json`` in DIR by modification time,
oldest first (so the older file is the baseline); when DIR holds fewer than
N files it uses those it has and says so.

Input
-----
Google Benchmark JSON, described in ``load.py``: a run's kernel, mode,
tasks, workers, payload, parent size and options (chunk, transport, any its
name shows: ``names.py``) come from its label (``kernel=noop mode=thread
tasks=16 workers=2``, concbench since issue 10), else from its name
(``noop/thread/tasks:16/workers:2/manual_time``); a kernel with a payload,
or run from a parent of some size (``--parent-rss``), is its own workload
(``noop payload:1M``, ``noop parent_rss:1G``), compared with serial on the
same sizes, its strategies only with each other; runs are listed with
their modes in the order of the context's ``modes`` (concbench since issue
10), else of ``names.MODE_ORDER``.  Runs with more tasks or workers
than concbench can run are other runs.

Statistics are described in ``analysis.py``: median, IQR, outliers beyond
1.5 IQR flagged (never dropped), U test only with >= 4 repetitions per side.

Output is an aligned table (colour only when stdout is a terminal and
NO_COLOR is unset), ``--format markdown`` (what comes from the files
escaped: see md_inline) or ``--format json`` (schema
``concbench-compare/2``, docs/json.md).  Bad input
(listed in ``load.py``) gives one line ``compare: FILE: problem`` on
stderr, exit status 2 and no output; so does a bad option (``compare:
--alpha: must be between 0 and 1``).

JSON output (``--format json``, schema "concbench-compare/1")
-------------------------------------------------------------
Times are in seconds; a value that cannot be computed is ``null``.  Files are
referred to by their index in ``files`` (0 is the baseline).  New keys may be
added; existing keys keep their meaning while ``schema`` is unchanged.
Issue 9 added, within concbench-compare/1: ``min_pairs``; a summary's
``steadiness`` and ``notes``; a row's and a best entry's ``flags``,
``speedup_ci``, ``paired`` and the keys after them; the verdicts
``only_unflagged`` and ``all_flagged``.  ``speedup`` is still the speedup
over serial, now the median of ratios paired in time where the file
allows (``speedup_unpaired`` keeps the old figure); a best entry's
``strategy`` is null when every strategy of its group is flagged, and the
best is chosen among unflagged rows only.

    {
      "schema": "concbench-compare/1",
      "alpha": 0.05,                  # significance level of the verdicts
      "min_repetitions": 4,           # per side, for a U test
      "min_pairs": 6,                 # rounds for a Wilcoxon test that
                                      # can reach alpha (2 / 2^n < alpha)
      "notes": [str],                 # e.g. fewer files than --newest asked
      "files": [{"path": str, "label": str, "benchmarks": int,
                 "errored": [{"name": str, "message": str}]}],
      "context": {
        "fields": [{"key": str, "values": [raw value per file],
                    "differs": bool}],
        "warnings": [str]
      },
      "comparison": null | {          # null with a single file
        "baseline": 0,
        "benchmarks": [{              # valid in every file, baseline order
          "name": str,                # the run_name
          "files": [SPREAD],          # one per file
          "versus_baseline": [{       # one per file after the first
            "file": int, "ratio": float,    # median(file) / median(baseline)
            "p_value": float|null, "u_statistic": float|null,
            "verdict": "faster" | "slower" | "no_difference"
                       | "too_few_repetitions" | "aggregates_only"}],
          "counters": [{"name": str,
                        "medians": [float|null per file],
                        "change": [relative change per file after the
                                   first, e.g. 0.05 = +5 %, or null]}]
        }],
        "geomean": [{"file": int, "ratio": float|null, "count": int}],
        "errored": [{"name": str, "errored_in": [int],
                     "messages": [str|null per file]}],
        "only_in_some": [{"name": str, "present_in": [int]}]
      },
      "summaries": [{                 # one per file
        "file": int,
        "cpus": int|float|null,       # CPUs the run could use, for the
                                      # efficiency: cpus_allowed (else
                                      # num_cpus), or the cgroup's
                                      # cpu_quota where smaller (1.5)
        "cpus_source": "cpus_allowed" | "num_cpus" | "cpu_quota" | null,
        "steadiness": {               # how steady the machine was
          "order": "rounds" | "sequential" | null,  # the context's
          "rounds": int|null,
          "extra_rounds": int,        # --rounds=auto's, beyond "rounds"
          "pairing": "round" | "nearest" | "unpaired" | "mixed" | null,
                                      # how the rows' speedups were paired
          "machine_speed": {"min": float, "median": float,
                            "max": float} | null,  # over every repetition
          "steal_cpus": {"median": float, "max": float} | null,
          "other_cpus": {"median": float, "max": float} | null,
          "rows": int, "rows_flagged": int,
          "pairs": int, "pairs_left_out": int,  # over every row
          "flag_counts": {FLAG: int}, # rows carrying each flag (if any)
          "groups_all_flagged": int,  # best entries with "all_flagged"
          "advice": [str]             # sentences: rerun, more rounds, ...
        },
        "notes": [str],               # e.g. that the speedups are unpaired
        "rows": [{"name": str,
                  "kernel": str,      # the workload: the kernel and its
                                      # sizes that are not 0: "noop
                                      # payload:1M", "noop parent_rss:1G"
                  "tasks": int, "mode": str,
                  "workers": int, "chunk": int|"auto"|null,
                  "payload": int,     # bytes in and out per task
                  "parent_rss": int,  # bytes the parent held (0: none)
                  "transport": "shm" | null,  # null: through pipes (the
                                      # default), or a mode without one
                  "strategy": str,    # "process_pool chunk:2 transport:shm"
                  ...SPREAD,
                  "speedup": float|null,  # median of the paired ratios
                                      # serial / run when paired, else
                                      # serial median / median; null
                                      # without a serial run
                  "speedup_unpaired": float|null,  # serial median / median
                  "speedup_ci": [low, high] | null,  # interval for the
                                      # median of the paired ratios
                  "speedup_ci_coverage": float|null,  # its coverage: 0.95
                                      # or more, less with < 6 pairs
                                      # (0.9375 with 5: [min, max])
                  "efficiency": float|null,  # speedup / cpu_limit
                  "efficiency_ci": [low, high] | null,
                  "paired": bool,     # speedup from pairs in time
                  "pairing": "round" | "nearest" | "unpaired",
                  "pairs": int,       # paired ratios (0 unpaired)
                  "pairs_left_out": int,  # disturbed pairs not used (a
                                      # busy machine or an off canary,
                                      # while enough others were left)
                  "cpu_bound": bool|null,  # serial's cpu_util >= 0.5
                  "cpu_limit": number,     # min(workers, cpus)
                  "machine_speed_range": [min, max] | null,  # over the
                                      # row's and its partners' repetitions
                  "busy_cpus_max": float|null,  # most other_cpus +
                                      # steal_cpus of one of them
                  "flags": [FLAG],    # [] when trusted
                  "flag_reasons": [str]}],  # one per flag, with numbers
        "best": [{"kernel": str, "tasks": int, "workers": int,
                  "strategy": str|null,   # null only when all_flagged
                  "name": str|null, "median_s": float|null,
                  "speedup": float|null, "speedup_ci": [low, high] | null,
                  "efficiency": float|null, "paired": bool,
                  "flags": [FLAG],    # [] (the best is unflagged), or with
                                      # all_flagged every flag of the group
                  "runner_up": str|null, "runner_up_median_s": float|null,
                  "margin": float|null,   # runner-up median / best median
                  "margin_paired": float|null,  # median of the per-round
                                      # ratios runner-up / best (wilcoxon)
                  "p_value": float|null,  # test best vs runner-up
                  "test": "wilcoxon" | "mann_whitney" | null,
                  "pairs": int|null,  # rounds the wilcoxon test used
                  "left_out": [{"strategy": str, "name": str,
                                "flags": [FLAG]}],  # flagged, not ranked
                  "verdict": "clear" | "no_difference"
                             | "too_few_repetitions" | "aggregates_only"
                             | "only_strategy" | "only_unflagged"
                             | "all_flagged"}],
        "dispatch": [{"kernel": str, "tasks": int, "workers": int,
                      "mode": "mpi_pool", "reference": "process_pool",
                      "median_s": float, "reference_median_s": float,
                      "extra_per_task_s": float,  # batch time beyond the
                                      # reference's over the tasks: median
                                      # of the paired differences
                      "extra_per_task_ci": [lo, hi]|null,
                      "pairing": "round" | "nearest" | "unpaired",
                      "pairs": int, "pool_start_s": float|null,
                      "flags": [FLAG]}],  # of either row
        "other": [{"name": str, ...SPREAD}]  # valid runs whose names are
                                      # not concbench names
      }]
    }

    FLAG = "impossible_speedup" | "gil_speedup" | "unsteady_machine"
           | "busy_machine"           # thresholds in rules.py

    SPREAD = {"median_s": float, "q1_s": float, "q3_s": float,
              "iqr_s": float, "n": int,
              "outliers": [repetition index],   # beyond 1.5 IQR, kept
              "aggregates_only": bool}          # no per-repetition values
"""

import json
import math
import os
import re
import sys
from dataclasses import dataclass

from concbench import rules
from concbench.analysis import DEFAULT_ALPHA, build_report
from concbench.cli import ArgumentParser
from concbench.context import show_value
from concbench.document import (Bullets, Cell, Heading, Text, Title,
                                table)
from concbench.formats import (COMPARISON_WORDS, VERDICT_WORDS, costs_text,
                               number_text, ratio_text, seconds_text,
                               single_task_text, verdict_counts_text,
                               why_text)
from concbench.formats import answer_verdict as verdict_words
from concbench.load import InputError, load_paths, newest_json_files
from concbench.names import ordered_names_of, short_names
from concbench.render_markdown import render_markdown
from concbench.render_text import render_text


PROG = "compare"
MAX_LISTED = 12     # rows named in a line before "and N more"

# The style of a verdict's words (formats.COMPARISON_WORDS, VERDICT_WORDS).
COMPARISON_STYLES = {"faster": "good", "slower": "bad",
                     "too_few_repetitions": "warn", "aggregates_only": "warn"}
VERDICT_STYLES = {"clear": "good", "tie": "good", "undecided": "warn"}

# ------------------------------------------------------------- formatting

def fmt_iqr(spread):
    if not spread["median_s"]:
        return "-"
    return f"{100 * spread['iqr_s'] / spread['median_s']:.1f}%"


def fmt_n(spread):
    if spread["aggregates_only"]:
        return "agg"
    outliers = len(spread["outliers"])
    return f"{spread['n']} ({outliers})" if outliers else str(spread["n"])


def fmt_p(p):
    if p is None:
        return "-"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def fmt_change(change):
    return "n/a" if change is None else f"{change:+.1%}"


def verdict_cell(code, words, styles):
    return Cell(words[code], styles.get(code))


# ---------------------------------------------------------------- sections

@dataclass
class View:
    """The report with what every section needs to show it."""

    report: dict
    labels: list        # file labels, baseline first
    names: dict         # run_name -> name as shown
    details: bool       # --details: the per-run table of every file

    def name(self, run_name):
        return Cell(self.names.get(run_name, run_name), code=True)


def report_names(report):
    """Every run_name the report mentions, in order of first mention."""
    found = {}
    comp = report["comparison"] or {}
    for key in ("benchmarks", "errored", "only_in_some"):
        for entry in comp.get(key, ()):
            found.setdefault(entry["name"], None)
    for summary in report["summaries"]:
        for entry in summary["rows"] + summary["other"]:
            found.setdefault(entry["name"], None)
    for f in report["files"]:
        for entry in f["errored"]:
            found.setdefault(entry["name"], None)
    return list(found)


def title_blocks(view):
    files = view.report["files"]
    title = ("concbench results: 1 file" if len(files) == 1
             else f"concbench comparison: {len(files)} files, baseline "
                  f"{view.labels[0]}")
    blocks = [Title(title)]
    if view.report["notes"]:
        blocks.append(Bullets([f"note: {note}" for note
                                        in view.report["notes"]], "warn"))
    rows = [[str(i), Cell(f["label"], code=True), Cell(f["path"], code=True),
             str(f["benchmarks"]), str(len(f["errored"]))]
            for i, f in enumerate(files)]
    blocks.append(table(["#", "file", "path", "benchmarks", "errored"],
                        "lllrr", rows))
    return blocks


def context_blocks(view):
    several = len(view.labels) > 1
    rows = []
    for f in view.report["context"]["fields"]:
        style = "warn" if f["differs"] else None
        rows.append([Cell(f["key"], style)]
                    + [show_value(v) for v in f["values"]]
                    + ([Cell("*" if f["differs"] else "", style)]
                       if several else []))
    headers = ["context"] + view.labels + (["differs"] if several else [])
    blocks = [Heading("Context"),
              table(headers, "l" * len(headers), rows)]
    warnings = view.report["context"]["warnings"]
    if warnings:
        blocks.append(Bullets(["warning: " + w for w in warnings],
                            "warn"))
    return blocks


def comparison_blocks(view):
    comp = view.report["comparison"]
    if comp is None:
        return []
    blocks = [Heading(f"Comparison with {view.labels[0]} "
                      "(median time per iteration)")]
    if comp["benchmarks"]:
        blocks += [time_table(view, comp), Text(time_legend(view)),
                   Text(geomean_text(view, comp))]
        blocks += counter_blocks(view, comp)
    else:
        blocks.append(Text("No benchmark is valid in every file."))
    return blocks + missing_blocks(view, comp)


def time_table(view, comp):
    labels = view.labels
    headers = ["benchmark"]
    for label in labels:
        headers += [f"{label} median", "IQR%", "n"]
    for label in labels[1:]:
        prefix = f"{label} " if len(labels) > 2 else ""
        headers += [f"{prefix}ratio", "p", "verdict"]
    rows = []
    for bench in comp["benchmarks"]:
        row = [view.name(bench["name"])]
        for spread in bench["files"]:
            row += [seconds_text(spread["median_s"]), fmt_iqr(spread),
                    fmt_n(spread)]
        for vs in bench["versus_baseline"]:
            row += [number_text(vs["ratio"], "{:.3f}"), fmt_p(vs["p_value"]),
                    verdict_cell(vs["verdict"], COMPARISON_WORDS,
                                 COMPARISON_STYLES)]
        rows.append(row)
    align = "l" + "rrr" * len(labels) + "rrl" * (len(labels) - 1)
    return table(headers, align, rows)


def time_legend(view):
    report = view.report
    return ("median of the repetitions; IQR% = (Q3 - Q1) / median; "
            "n = repetitions, (k) = k of them beyond 1.5 IQR of the "
            "quartiles (flagged, kept), agg = only aggregates in the file; "
            f"ratio = median / median in {view.labels[0]}; p = two-sided "
            "Mann-Whitney U test over the repetitions, verdict at "
            f"alpha = {report['alpha']:g}, needs >= "
            f"{report['min_repetitions']} repetitions per side.")


def geomean_text(view, comp):
    if comp.get("geomean_left_out"):
        return ("No geometric mean of the ratios: "
                + comp["geomean_left_out"] + ".")
    parts = [f"{view.labels[g['file']]} / {view.labels[0]} = "
             f"{number_text(g['ratio'], '{:.3f}')} over {g['count']} "
             "benchmarks"
             for g in comp["geomean"]]
    return ("Geometric mean of the ratios (benchmarks valid in every file): "
            + "; ".join(parts) + ".")


def counter_varies(bench, counter):
    """Whether a counter's median is not the same in every file."""
    for entry in bench["counters"]:
        if entry["name"] == counter:
            return len(set(entry["medians"])) > 1
    return False


def counter_blocks(view, comp):
    benches = comp["benchmarks"]
    counters = ordered_names_of({c["name"]: None for c in b["counters"]}
                                   for b in benches)
    varying = [c for c in counters
               if any(counter_varies(b, c) for b in benches)]
    steady = [c for c in counters if c not in varying]
    blocks = []
    if varying:
        blocks += [Heading("Counters: change of the median against "
                           f"{view.labels[0]}"),
                   counter_table(view, benches, varying),
                   Text("n/a: the baseline median is 0; -: counter "
                        "missing in a file.")]
    if steady:
        blocks.append(Text("Counters with the same median in every "
                           "file: " + ", ".join(steady) + "."))
    return blocks


def counter_table(view, benches, counters):
    several = len(view.labels) > 2
    rows = []
    for bench in benches:
        by_name = {c["name"]: c for c in bench["counters"]}
        for k in range(1, len(view.labels)):
            row = [view.name(bench["name"])]
            row += [view.labels[k]] if several else []
            row += [fmt_change(by_name[c]["change"][k - 1])
                    if c in by_name else "-" for c in counters]
            rows.append(row)
    headers = (["benchmark"] + (["file"] if several else [])
               + [stacked(c) for c in counters])
    align = "l" + ("l" if several else "") + "r" * len(counters)
    return table(headers, align, rows)


def stacked(name, width=9):
    """A snake_case name longer than width as two header lines, split after
    the underscore that balances them best, to keep wide tables narrower."""
    cuts = [m.end() for m in re.finditer(r"_+", name) if m.end() < len(name)]
    if len(name) <= width or not cuts:
        return name
    cut = min(cuts, key=lambda c: max(c, len(name) - c))
    return f"{name[:cut]}\n{name[cut:]}"


def missing_blocks(view, comp):
    blocks = []
    if comp["errored"]:
        rows = [[view.name(e["name"]),
                 "; ".join(f"{view.labels[i]}: {e['messages'][i]}"
                           for i in e["errored_in"])]
                for e in comp["errored"]]
        blocks += [Heading("Errored (not compared)"),
                   table(["benchmark", "error"], "ll", rows)]
    if comp["only_in_some"]:
        rows = [[view.name(o["name"]),
                 ", ".join(view.labels[i] for i in o["present_in"])]
                for o in comp["only_in_some"]]
        blocks += [Heading("Present in only some files "
                           "(not compared)"),
                   table(["benchmark", "present in"], "ll", rows)]
    return blocks


def summary_blocks(view, summary):
    label = view.labels[summary["file"]]
    blocks = steadiness_blocks(view, summary, label)
    blocks += speedup_blocks(summary, label)
    blocks += dispatch_blocks(summary, label)
    if summary["rows"] and view.details:
        blocks += [Heading(f"Every run: {label}"),
                   runs_table(summary)]
    if summary["other"] and view.report["comparison"] is None:
        blocks += [Heading(f"Other benchmarks: {label}"),
                   other_table(view, summary)]
    return blocks + errored_blocks(view, summary["file"], label)


def dispatch_blocks(summary, label):
    """What a task costs a mode (mpi_pool) beyond its reference
    (process_pool) in the same run."""
    rows = summary["dispatch"]
    if not rows:
        return []
    cells = [[r["kernel"], str(r["tasks"]), str(r["workers"]),
              seconds_text(r["reference_median_s"]),
              seconds_text(r["median_s"]),
              seconds_text(r["extra_per_task_s"]),
              fmt_interval(r["extra_per_task_ci"], seconds_text),
              seconds_text(r["pool_start_s"]),
              ", ".join(r["flags"]) or "-"] for r in rows]
    modes = sorted({(r["mode"], r["reference"]) for r in rows})
    pairing = sorted({r["pairing"] for r in rows})
    blocks = []
    for mode, reference in modes:
        these = [c for c, r in zip(cells, rows)
                 if (r["mode"], r["reference"]) == (mode, reference)]
        blocks += [Heading(f"Dispatch cost: {mode} against "
                           f"{reference}: {label}"),
                   table(["kernel", "tasks", "workers", reference, mode,
                          "extra, a task", "95% interval", "start",
                          "flags"], "lrrrrrrrl", these)]
    how = {"round": "paired in rounds", "nearest":
           "paired with the reference's repetition nearest in time",
           "unpaired": "unpaired (medians)"}
    blocks.append(Text("The median batch time of each; extra, a "
                        "task: the batch time beyond the reference's over "
                        "the batch's tasks, median of the pairs' "
                        "differences (" + "; ".join(how[p] for p in pairing)
                        + "); start: the pool's start, before the timed "
                        "batches; flags: of either row, as above."))
    return blocks


def errored_blocks(view, index, label):
    """The file's errored runs, unless the comparison lists them already."""
    comp = view.report["comparison"]
    listed = {e["name"] for e in comp["errored"]} if comp else set()
    errored = [e for e in view.report["files"][index]["errored"]
               if e["name"] not in listed]
    if not errored:
        return []
    return [Heading(f"Errored: {label}"),
            Bullets([f"{view.names[e['name']]}: {e['message']}"
                              for e in errored], "bad")]


def steadiness_blocks(view, summary, label):
    """How steady the machine was, what that flagged, and the advice."""
    steady = summary["steadiness"]
    if not summary["rows"] and steady["machine_speed"] is None:
        return []
    lines = [f"note: {note}" for note in summary["notes"]]
    lines.append("machine: " + machine_text(steady))
    lines.append("measured: " + order_text(steady))
    if steady.get("pairs_left_out"):
        lines.append(f"left out: {steady['pairs_left_out']} of "
                     f"{steady['pairs'] + steady['pairs_left_out']} pairs, "
                     "measured while other work could stretch a repetition "
                     f"by more than {rules.BUSY_STRETCH:.0%} or (kernels "
                     "that need a CPU) the canaries of the pair differed by "
                     f"more than {steady['canary_limit']:.1%}; the rows "
                     "keep the pairs that were not")
    spared = [r for r in summary["rows"]
              if r.get("pairs_left_out") and not r["flags"]]
    if spared:
        shown = [f"{r['kernel']} {r['strategy']} W={r['workers']}: "
                 f"{r['pairs_left_out']} of "
                 f"{r['pairs'] + r['pairs_left_out']} "
                 f"({', '.join(r['left_out_because'])})"
                 for r in spared[:MAX_LISTED]]
        more = len(spared) - len(shown)
        lines.append("pairs left out of: " + "; ".join(shown)
                     + (f"; and {more} more rows" if more > 0 else ""))
    flagged = steady["rows_flagged"]
    text = f"marked: {flagged} of {steady['rows']} rows"
    if flagged:
        text += " (" + ", ".join(f"{code} {n}" for code, n
                                 in steady["flag_counts"].items()) + ")"
    lines.append(text + ".")
    counts = steady["verdicts"]
    total = sum(counts.values())
    lines.append(f"verdicts: {total} kernel and worker counts: "
                 + ", ".join(f"{counts[code]} {VERDICT_WORDS[code]}"
                             for code in ("clear", "tie", "undecided",
                                          "only_strategy")
                             if counts.get(code)) + ".")
    lines += [f"advice: {a}" for a in steady["advice"]]
    style = "warn" if flagged else None
    return [Heading(f"Steadiness and verdicts: {label}"),
            Bullets(lines, style)]


def machine_text(steady):
    speed = steady["machine_speed"]
    parts = []
    if speed:
        noise = steady.get("canary_noise")
        parts.append(f"canary (machine_speed) {speed['min']:.2f} to "
                     f"{speed['max']:.2f}, median {speed['median']:.2f}"
                     + (f", {noise:.1%} from one repetition to the next"
                        if noise is not None else ""))
    for key, name in (("steal_cpus", "steal"),
                      ("other_cpus", "other processes")):
        if steady[key]:
            parts.append(f"{name} median {steady[key]['median']:.2f} CPU, "
                         f"max {steady[key]['max']:.2f}")
    if not parts:
        return ("no per-repetition figures in this file (an older "
                "concbench or another program)")
    return "; ".join(parts)


def order_text(steady):
    rounds = steady["rounds"]
    pairing = steady["pairing"]
    if pairing == "round":
        extra = steady.get("extra_rounds")
        more = (f" and {extra} extra round{'s' if extra != 1 else ''} of the "
                "undecided comparisons (--rounds=auto)" if extra else "")
        return (f"in {rounds} rounds{more}, " if rounds else "in rounds, ") \
            + "each strategy's repetition paired with serial's of its round"
    if pairing == "nearest":
        return ("in sequential order, each repetition paired with the "
                "serial one nearest in time")
    if pairing == "mixed":
        return "partly in rounds, partly paired by time, partly unpaired"
    return "unpaired (serial median / median, no interval)"


def speedup_blocks(summary, label):
    """Strategies down, worker counts across: speedup and its interval (or
    efficiency, unpaired), flagged cells marked and listed."""
    rows = summary["rows"]
    cpus = (f"{summary['cpus']:g} CPUs ({summary['cpus_source']})"
            if summary["cpus"] else "an unknown number of CPUs")
    serial = {(r["kernel"], r["tasks"]): r["median_s"]
              for r in rows if r["mode"] == "serial"}
    lines = {}
    for r in rows:
        if r["mode"] != "serial" and r["speedup"] is not None:
            key = (r["kernel"], r["tasks"], r["strategy"])
            lines.setdefault(key, {})[r["workers"]] = r
    workers = sorted({w for by in lines.values() for w in by})
    cells = [[kernel, str(tasks), seconds_text(serial[kernel, tasks]),
              strategy] + [speedup_cell(by.get(w)) for w in workers]
             for (kernel, tasks, strategy), by in lines.items()]
    blocks = [] if not cells else [
        table(["kernel", "tasks", "serial", "strategy"]
              + [f"W={w}" for w in workers],
              "lrrl" + "r" * len(workers), cells),
        Text(speedup_legend(summary, cpus))]
    unpaired = list(dict.fromkeys(
        f"{r['kernel']} ({r['tasks']} tasks)" for r in rows
        if (r["kernel"], r["tasks"]) not in serial))
    if unpaired:
        blocks.append(Text("No serial run, so no speedup, for: "
                           + ", ".join(unpaired) + "."))
    blocks += flagged_blocks(rows)
    if not blocks:
        return []
    return [Heading(f"Speedup over serial: {label}")] + blocks


def speedup_legend(summary, cpus):
    rows = [r for r in summary["rows"] if r["speedup"] is not None]
    text = "serial = median time of the serial run; W=n: "
    if any(r["speedup_ci"] for r in rows):
        coverage = sorted({(r["pairs"], r["speedup_ci_coverage"])
                           for r in rows if r["speedup_ci"]})
        low = [f"{c:.2%} with {n} pairs" for n, c in coverage
               if c < rules.CI_LEVEL]
        text += ("speedup = median of the paired ratios serial / strategy "
                 "(each repetition with serial's measured beside it), then "
                 f"its {rules.CI_LEVEL:.0%} interval, distribution-free from "
                 "order statistics (binomial)")
        if low:
            text += ("; with few pairs [min, max], which covers only "
                     + ", ".join(low))
        text += ("; efficiency = speedup / min(n, CPUs) on " + cpus
                 + " is in --details.")
    else:
        text += ("speedup = serial median / median with n workers (same "
                 "kernel and tasks), unpaired, then efficiency = speedup / "
                 f"min(n, CPUs) on {cpus}.")
    if any(r["flags"] for r in summary["rows"]):
        text += (" ! = marked (listed below): it stays in the verdicts, but "
                 "a marked fastest row leaves its verdict undecided.")
    return text


def speedup_cell(row):
    if row is None:
        return ""
    mark = "!" if row["flags"] else ""
    if row["speedup_ci"]:
        low, high = row["speedup_ci"]
        return f"{row['speedup']:.2f}x{mark or ' '} {low:.2f}-{high:.2f}"
    efficiency = ("" if row["efficiency"] is None
                  else f" {row['efficiency']:4.0%}")
    return f"{row['speedup']:.2f}x{mark}{efficiency}"


FLAG_SHORT = {
    "impossible_speedup": lambda r: f"above {r['cpu_limit']:g}x",
    "gil_speedup": lambda r: "above 1x",
    "unsteady_machine": lambda r: (
        f"canary moved {math.expm1(r['canary_delta_max']):+.0%}"
        if r.get("canary_delta_max") is not None else "canary moved"),
    "busy_machine": lambda r: (
        f"stretch up to {r['stretch_max'] - 1:.0%}"
        if r.get("stretch_max") is not None else "busy"),
}


def flag_text(row):
    """A row's marks with a few words each: "busy_machine (stretch up to
    40%)"."""
    return ", ".join(f"{code} ({FLAG_SHORT[code](row)})"
                     if code in FLAG_SHORT else code
                     for code in row["flags"])


def flagged_blocks(rows):
    flagged = [r for r in rows if r["flags"]]
    if not flagged:
        return []
    cells = [[r["kernel"], str(r["tasks"]), r["strategy"], str(r["workers"]),
              number_text(r["speedup"], "{:.2f}x"), Cell(flag_text(r), "warn")]
             for r in flagged]
    return [Text("Marked rows:"),
            table(["kernel", "tasks", "strategy", "workers", "speedup",
                   "marks"], "lrlrrl", cells),
            Text(flag_legend(flagged))]


FLAG_MEANINGS = {
    "impossible_speedup": "a kernel that needs a CPU (serial cpu_util >= "
                          f"{rules.CPU_BOUND_UTIL:g}) sped up beyond min(W, "
                          "CPUs): the interval's low end above "
                          f"{rules.IMPOSSIBLE_LOW:g} x it, or the median "
                          "above "
                          f"{rules.IMPOSSIBLE_MEDIAN:g} x it",
    "gil_speedup": "gil on such a kernel faster than serial (interval low "
                   f"end > {rules.GIL_LOW:g}x or median > "
                   f"{rules.GIL_MEDIAN:g}x)",
    "unsteady_machine": "most of the row's pairs with serial (a kernel that "
                        "needs a CPU) had canaries further apart than the "
                        "run's limit (docs/verdicts.md)",
    "busy_machine": "most of the row's pairs with serial were measured "
                    "while other work could stretch them by more than "
                    f"{rules.BUSY_STRETCH:.0%}",
}


def flag_legend(rows):
    """What the marks that rows carry mean."""
    found = {code for r in rows for code in r["flags"]}
    return "; ".join(f"{code}: {meaning}" for code, meaning
                     in FLAG_MEANINGS.items() if code in found) + "."


def runs_table(summary):
    rows = [[r["kernel"], str(r["tasks"]), r["strategy"], str(r["workers"]),
             seconds_text(r["median_s"]), fmt_iqr(r), fmt_n(r),
             number_text(r["speedup"], "{:.2f}x"),
             fmt_interval(r["speedup_ci"]),
             number_text(r["efficiency"], "{:.0%}"),
             str(r["pairs"]) if r["paired"] else "-",
             ", ".join(r["flags"])]
            for r in summary["rows"]]
    return table(["kernel", "tasks", "strategy", "workers", "median", "IQR%",
                  "n", "speedup", "interval", "efficiency", "pairs",
                  "flags"], "lrlrrrrrrrrl", rows)


def fmt_interval(ci, fmt=None):
    if not ci:
        return "-"
    if fmt:
        return f"{fmt(ci[0])} to {fmt(ci[1])}"
    return f"{ci[0]:.2f}-{ci[1]:.2f}"


def other_table(view, summary):
    rows = [[view.name(o["name"]), seconds_text(o["median_s"]), fmt_iqr(o),
             fmt_n(o)] for o in summary["other"]]
    return table(["benchmark", "median", "IQR%", "n"], "lrrr", rows)


def best_blocks(view, summary):
    if not summary["best"]:
        return []
    rows = [best_row(b) for b in summary["best"]]
    return [Heading("Verdict per kernel and workers: "
                    f"{view.labels[summary['file']]}"),
            table(["kernel", "tasks", "workers", "verdict", "fastest",
                   "speedup", "tied", "undecided", "next slower"],
                  "lrrllrlll", rows),
            Text(best_legend(summary))]


def best_legend(summary):
    """What the verdict table's columns mean."""
    margin = summary["margin"]
    return (f"fastest = the highest paired speedup over serial (unpaired: "
            f"the lowest median time), marked rows included; each other "
            f"strategy against it: the ratio of their times, round by "
            f"round, and its {rules.VERDICT_LEVEL:.0%} interval "
            "(Hodges-Lehmann,"
            " each end a one-sided test at 5 %; "
            "unpaired: from the two samples), widened where the machine "
            f"was disturbed; tied = interval within {margin:.0%} either way; "
            f"clearly slower = interval above +{margin:.0%} (next slower: "
            "the least of them, median and interval); undecided = neither. "
            "clearly best: every other clearly slower; tie: the others "
            "tied or clearly slower; undecided: any undecided, or the "
            "fastest row marked (docs/verdicts.md).")


def next_slower(b):
    slower = [o for o in b["others"] if o["status"] == "slower"]
    if not slower:
        return "-"
    o = min(slower, key=lambda o: o["ratio"])
    low, high = o["ratio_ci"]
    return (f"{o['strategy']} {ratio_text(o['ratio'])} "
            f"({ratio_text(low)} to {ratio_text(high)})")


def best_row(b):
    undecided = ", ".join(b["undecided"])
    if b["reason"] == "fastest_marked":
        undecided = (undecided + "; " if undecided else "") + \
            "fastest marked: " + ", ".join(b["flags"])
    return [b["kernel"], str(b["tasks"]), str(b["workers"]),
            verdict_cell(b["verdict"], VERDICT_WORDS, VERDICT_STYLES),
            Cell(b["strategy"] or "-", "head"),
            number_text(b["speedup"], "{:.2f}x"),
            ", ".join(b["tie"][1:]) or "-", undecided or "-",
            next_slower(b)]


def best_by_file_blocks(view):
    summaries = view.report["summaries"]
    keys = ordered_names_of(
        {(b["kernel"], b["tasks"], b["workers"]): None for b in s["best"]}
        for s in summaries)
    if not keys:
        return []
    lookup = [{(b["kernel"], b["tasks"], b["workers"]): b for b in s["best"]}
              for s in summaries]
    rows = [[k, str(t), str(w)] + [best_text(by.get((k, t, w)))
                                   for by in lookup]
            for k, t, w in keys]
    return [Heading("Verdict per kernel and workers, by file"),
            table(["kernel", "tasks", "workers"] + view.labels,
                  "lrr" + "l" * len(view.labels), rows),
            Text("the fastest strategy and its speedup over "
                 "serial; tie: the strategies tied with it; ? = "
                 "undecided (see each file's verdicts).")]


def best_text(best):
    if best is None:
        return "-"
    speed = number_text(best["speedup"], "{:.2f}x")
    if best["verdict"] == "tie":
        return f"tie: {', '.join(best['tie'])} ({speed})"
    mark = "?" if best["verdict"] == "undecided" else ""
    return f"{best['strategy']}{mark} ({speed})"


# ---------------------------------------------------------------- answer

def answer_blocks(view, summary):
    """The answer for the machine, in a screen: per kernel what to use, at
    which W, its speedup and verdict; what the other strategies cost at
    their own best W; why, from this machine's figures; how many verdicts
    were decided."""
    ans = summary["answer"]
    if not ans["kernels"]:
        return []
    label = view.labels[summary["file"]]
    cpus = (f"{ans['cpus']:g} CPUs" if ans["cpus"] else "unknown CPUs")
    rows = [[k["kernel"], seconds_text(k["task_s"]), answer_use(k),
             str(k["workers"]), number_text(k["speedup"], "{:.2f}x"),
             answer_verdict(k)] for k in ans["kernels"]]
    blocks = [Heading(f"Answer for {label} ({cpus}, margin "
                      f"{ans['margin']:.0%})"),
              table(["kernel", "one task", "use", "W", "speedup", "verdict"],
                    "lrlrrl", rows)]
    costs = [f"{k['kernel']}: " + costs_text(k, ans["margin"])
             for k in ans["kernels"] if k["alternatives"]]
    if costs:
        blocks += [Text("What the others cost, each at its own "
                        "best W, in time against the answer (by "
                        "their speedups over serial):"),
                   Bullets(costs)]
    why = why_text(ans)
    if why:
        blocks.append(Text(why))
    counts = ans["verdicts"]
    blocks.append(Text(
        verdict_counts_text(counts)
        + (f", {counts['only_strategy']} with one strategy"
           if counts["only_strategy"] else "")
        + (" (more rounds decide more: --rounds=auto)"
           if counts["undecided"] else "") + "."))
    return blocks


def answer_use(k, most=3):
    use = k["use"]
    shown = ", ".join(use[:most])
    if len(use) > most:
        shown += f" +{len(use) - most}"
    return Cell(shown, "head")


def answer_verdict(k):
    return Cell(verdict_words(k, "the margin", "fastest marked", 3),
                VERDICT_STYLES.get(k["verdict"]))


def machines_blocks(view):
    """Several machines side by side, by what differs in kind."""
    machines = view.report.get("machines")
    if not machines:
        return []
    rows = []
    for m in machines["machines"]:
        single = single_task_text(m)
        rows.append([Cell(view.labels[m["file"]], code=True),
                     number_text(m["cpus"], "{:g}"),
                     show_value(m["cpu_model"]),
                     seconds_text(m["fork_s"]), seconds_text(m["thread_s"]),
                     single or "-"])
    blocks = [Heading("Machines side by side"),
              table(["file", "CPUs", "CPU", "fork", "thread",
                     "one task alone (time against the first)"],
                    "lrllll", rows)]
    keys = ordered_names_of(
        {(b["kernel"], b["tasks"], b["workers"]): None for b in m["best"]}
        for m in machines["machines"])
    lookup = [{(b["kernel"], b["tasks"], b["workers"]): b for b in m["best"]}
              for m in machines["machines"]]
    best = [[k, str(w)] + [best_text(by.get((k, t, w))) for by in lookup]
            for k, t, w in keys]
    blocks += [table(["kernel", "workers"] + view.labels,
                     "lr" + "l" * len(view.labels), best),
               Text("fork = fork+exit+wait, thread = "
                    "pthread_create+join, each a task, from the "
                    "baselines; one task alone = serial's time a "
                    "task; below, each machine's fastest strategy "
                    "and speedup over its own serial at each "
                    "worker count (tie: those tied with it; ? = "
                    "undecided).")]
    return blocks


def document(report, details=False):
    """The report as a list of blocks: the answer first (one file), or the
    machines side by side (several), then the rest."""
    view = View(report, [f["label"] for f in report["files"]],
                short_names(report_names(report)), details)
    blocks = title_blocks(view)
    if len(report["summaries"]) == 1:
        blocks += answer_blocks(view, report["summaries"][0])
    else:
        blocks += machines_blocks(view)
    blocks += context_blocks(view)
    blocks += comparison_blocks(view)
    for summary in report["summaries"]:
        if len(report["summaries"]) > 1:
            blocks += answer_blocks(view, summary)
        blocks += summary_blocks(view, summary)
    if len(report["summaries"]) == 1:
        return blocks + best_blocks(view, report["summaries"][0])
    return blocks + best_by_file_blocks(view)


def answer_document(report):
    """Only the answer for each file."""
    view = View(report, [f["label"] for f in report["files"]],
                short_names(report_names(report)), False)
    return [block for summary in report["summaries"]
            for block in answer_blocks(view, summary)]


def render(report, fmt, colour, details=False, answer=False):
    if fmt == "json":
        return json.dumps(report, indent=2, allow_nan=False) + "\n"
    blocks = answer_document(report) if answer else document(report, details)
    if fmt == "markdown":
        return render_markdown(blocks)
    return render_text(blocks, colour)


# --------------------------------------------------------------------- CLI

def parse_margin(text):
    """--margin: a fraction (0.02) or a percentage (2%)."""
    value = text[:-1] if text.endswith("%") else text
    try:
        m = float(value) / (100 if text.endswith("%") else 1)
    except ValueError:
        m = None
    if m is None or not 0 < m <= rules.MAX_MARGIN:
        raise ValueError(text)
    return m


parse_margin.__name__ = "margin above 0 and at most 50% (0.02 or 2%)"


def parse_args(argv):
    parser = ArgumentParser(
        prog=PROG, description="Compare concbench / Google Benchmark JSON "
        "results: one file gives the speedup summary, several files are "
        "compared with the first.")
    parser.add_argument("paths", nargs="+", metavar="FILE|DIR",
                        help="JSON result files; a DIR stands for its "
                        "*.json files, grouped by host")
    parser.add_argument("--newest", type=int, metavar="N",
                        help="compare the N newest *.json files of DIR")
    parser.add_argument("--format", choices=("text", "markdown", "json"),
                        default="text", help="output format (default text)")
    parser.add_argument("--alpha", type=float, default=DEFAULT_ALPHA,
                        help="significance level (default 0.05)")
    parser.add_argument("--margin", type=parse_margin, default=None,
                        help="a difference smaller than this is a tie "
                        "(0.02 or 2%%; default: the margin the file was "
                        "run with, else 2%%)")
    parser.add_argument("--answer", action="store_true",
                        help="text and markdown: only the answer for each "
                        "file (what to use, at which W, what the others "
                        "cost)")
    parser.add_argument("--details", action="store_true",
                        help="text and markdown: also list every run of "
                        "every file with its median, IQR and speedup")
    args = parser.parse_args(argv)
    if not 0 < args.alpha < 1:
        parser.error("--alpha: must be between 0 and 1")
    if args.newest is not None and (args.newest < 1 or len(args.paths) != 1):
        parser.error("--newest: takes N >= 1 and exactly one DIR")
    return args


def select_files(args):
    """(paths, notes) to compare."""
    if args.newest is None:
        return args.paths, []       # a DIR is its files (load_paths)
    directory = args.paths[0]
    paths = newest_json_files(directory, args.newest)
    notes = []
    if len(paths) < args.newest:
        kind = ("showing the one-file summary" if len(paths) == 1
                else f"comparing {len(paths)}")
        notes.append(f"asked for the {args.newest} newest files but "
                     f"{directory} holds only {len(paths)} *.json: {kind}")
    return paths, notes


def main(argv):
    args = parse_args(argv)
    try:
        paths, notes = select_files(args)
        results = load_paths(paths)
    except InputError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    report = build_report(results, args.alpha, notes, args.margin)
    colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    try:
        sys.stdout.write(render(report, args.format, colour, args.details,
                                args.answer))
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
