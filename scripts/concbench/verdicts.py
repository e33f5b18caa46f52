"""The verdict per kernel, tasks and workers: the fastest strategy, how
every other compares with it (paired time ratios against the margin), and
the sentence that says so (rules.py, docs/verdicts.md).

Best strategy per kernel, tasks and workers: the highest paired speedup
(every candidate paired against the same serial run), else the lowest
median time, marked rows included; each other strategy against it by the
interval of their paired time ratio and the margin.  Beside the verdict,
which it does not decide, a two-sided Wilcoxon signed-rank test
(``scipy.stats.wilcoxon``, exact for small samples) of the fastest against
the runner-up on the log time ratios of the rounds both ran in, when both
ran in rounds, which needs ``min_pairs(alpha)`` rounds (6 at 0.05: its
smallest p is 2 / 2^n), and the Mann-Whitney U test otherwise.
"""

import math

from concbench import rules, stats
from concbench.pairing import (corrected, keep_pairs, pair_reps, pair_state,
                               side_of)
from concbench.stats import (hl_interval, median, ratio, shift_interval,
                             wilcoxon_test)


# -------------------------------------------------------------- verdicts

# A two-sided Mann-Whitney U test needs this many repetitions a side (with
# 3 + 3 the smallest possible p-value is 0.1).
MIN_REPETITIONS = 4


def u_test(a, b):
    """Two-sided Mann-Whitney U test; None with fewer than
    MIN_REPETITIONS a side."""
    return stats.u_test(a, b, MIN_REPETITIONS)


# What a strategy is against the fastest of its kernel, tasks and W.
STATUSES = ("tied", "slower", "undecided", "faster")
VERDICT_CODES = ("clear", "tie", "undecided", "only_strategy")


def rank(cands):
    """Every candidate (marked ones too), fastest first: by paired speedup
    when every one has it (the same serial run, pair by pair), else by
    median time."""
    if all(row["paired"] for _, _, row in cands):
        return sorted(cands, key=lambda c: (-c[2]["speedup"],
                                            c[2]["median_s"]))
    return sorted(cands, key=lambda c: c[2]["median_s"])


def comparison(top, other, machine, margin):
    """How much slower other (a Side) is than top (a Side): the centre of
    their paired time ratios other / top with its interval, rounds paired
    as a row's speedup is (disturbed pairs left out while enough are
    left, else kept and the interval widened by the most they could have
    moved it), or unpaired (no rounds) from the two samples; and the
    status that gives at this margin."""
    kind, pairs = pair_reps(other.bench, top.bench)
    cpu_bound = bool(other.cpu_bound or top.cpu_bound)
    widen = 1.0
    left_out = 0
    if kind == "round":
        states = [pair_state(other.bench.reps[i], other,
                             top.bench.reps[j], top, machine)
                  for i, j in pairs]
        pairs, states, left_out = keep_pairs(pairs, states)
        logs = []
        for (i, j), st in zip(pairs, states):
            r = ratio(other.bench.samples[i], top.bench.samples[j])
            if r:
                logs.append(math.log(corrected(r, st, machine, cpu_bound)))
        found = hl_interval(logs, rules.VERDICT_LEVEL)
        widen = max((st.factor for st in states if st.kinds), default=1.0)
        disturbed = sum(bool(st.kinds) for st in states)
        n = len(logs)
    else:
        kind = "unpaired"
        a = [math.log(x) for x in other.bench.samples if x > 0]
        b = [math.log(x) for x in top.bench.samples if x > 0]
        found = shift_interval(a, b, rules.VERDICT_LEVEL)
        disturbed, n = 0, min(len(a), len(b))
    entry = {"pairing": kind, "pairs": n, "pairs_left_out": left_out,
             "disturbed_pairs": disturbed, "widened_by": widen,
             "ratio": None, "ratio_ci": None, "coverage": None,
             "status": "undecided", "why": "too_few"}
    if found is None:
        return entry
    centre, low, high, coverage = found
    low, high = low - math.log(widen), high + math.log(widen)
    entry.update(ratio=math.exp(centre),
                 ratio_ci=[math.exp(low), math.exp(high)],
                 coverage=coverage)
    edge = math.log1p(margin)
    if coverage < rules.VERDICT_LEVEL:
        entry["why"] = "too_few"
    elif low > edge:
        entry.update(status="slower", why=None)
    elif low >= -edge and high <= edge:
        entry.update(status="tied", why=None)
    elif high < -edge:
        entry.update(status="faster", why="order")
    else:
        entry["why"] = "disturbed" if widen > 1 else "straddles"
    return entry


def verdict_groups(runs, rows, machine):
    """[(kernel, tasks, workers), [(config, bench, row)]] in run order."""
    groups = {}
    for (config, bench), row in zip(runs, rows):
        key = (config.workload, config.tasks, config.workers)
        groups.setdefault(key, []).append((config, bench, row))
    return list(groups.items())


def best_rows(runs, speedups, alpha, machine, margin=rules.MARGIN):
    """The verdict per kernel, tasks and workers."""
    kernel_bound = {}
    for row in speedups:
        kernel_bound.setdefault((row["kernel"], row["tasks"]),
                                row["cpu_bound"])
    return [verdict_json(key, cands, alpha, machine, margin,
                         kernel_bound.get(key[:2]))
            for key, cands in verdict_groups(runs, speedups, machine)]


def verdict_json(key, cands, alpha, machine, margin, kernel_cpu_bound):
    """One kernel, tasks and workers: the fastest strategy, how every
    other compares with it, and the verdict that follows (rules.py,
    docs/verdicts.md):

    clear: every other strategy is clearly slower (its interval above
    1 + margin); tie: the others are tied (interval inside the margin
    either way) or clearly slower; undecided: some are neither, or the
    fastest row is marked (it is never replaced by the fastest unmarked
    one); only_strategy: nothing to compare."""
    kernel, tasks, workers = key
    ranked = rank(cands)
    top_config, top_bench, top = ranked[0]
    top_side = side_of(top_config, top_bench, machine, kernel_cpu_bound)
    entry = {"kernel": kernel, "tasks": tasks, "workers": workers,
             "margin_rule": margin,
             "strategy": top["strategy"], "name": top["name"],
             "median_s": top["median_s"], "speedup": top["speedup"],
             "speedup_ci": top["speedup_ci"],
             "efficiency": top["efficiency"], "paired": top["paired"],
             "flags": top["flags"], "tie": [top["strategy"]],
             "slower": [], "undecided": [], "others": [],
             "runner_up": None, "runner_up_median_s": None, "margin": None,
             "margin_paired": None, "p_value": None, "test": None,
             "pairs": None, "verdict": "only_strategy", "reason": None}
    for config, bench, row in ranked[1:]:
        side = side_of(config, bench, machine, kernel_cpu_bound)
        found = comparison(top_side, side, machine, margin)
        found.update(strategy=row["strategy"], name=row["name"],
                     median_s=row["median_s"], speedup=row["speedup"],
                     flags=row["flags"])
        entry["others"].append(found)
        status = found["status"]
        if status == "tied":
            entry["tie"].append(row["strategy"])
        elif status == "slower":
            entry["slower"].append(row["strategy"])
        else:
            entry["undecided"].append(row["strategy"])
    if len(ranked) > 1:
        second_bench, second = ranked[1][1], ranked[1][2]
        entry.update(runner_up=second["strategy"],
                     runner_up_median_s=second["median_s"],
                     margin=ratio(second["median_s"], top["median_s"]))
        entry.update(versus(top_bench, second_bench, alpha))
        if top["flags"]:
            entry.update(verdict="undecided", reason="fastest_marked")
        elif entry["undecided"]:
            whys = {o["why"] for o in entry["others"]
                    if o["status"] in ("undecided", "faster")}
            entry.update(verdict="undecided",
                         reason=("too_few" if whys == {"too_few"}
                                 else "disturbed" if "disturbed" in whys
                                 else "order" if "order" in whys
                                 else "straddles"))
        elif len(entry["tie"]) > 1:
            entry["verdict"] = "tie"
        else:
            entry["verdict"] = "clear"
    entry["sentence"] = verdict_sentence(entry, margin)
    return entry


FLAG_WORDS = {
    "impossible_speedup": "faster than the CPUs allow",
    "gil_speedup": "faster than one lock allows",
    "unsteady_machine": "measured while the canary moved",
    "busy_machine": "measured while other work took CPUs",
}


def verdict_sentence(entry, margin):
    """The verdict in a sentence, for people."""
    top = entry["strategy"]
    speed = ("" if entry["speedup"] is None
             else f" {entry['speedup']:.2f}x")
    verdict = entry["verdict"]
    if verdict == "only_strategy":
        return f"{top}{speed}: the only strategy"
    if verdict == "clear":
        least = min((o["ratio_ci"][0] for o in entry["others"]),
                    default=None)
        return (f"{top}{speed} clearly best: every other strategy at least "
                f"{least - 1:.0%} slower" if least else
                f"{top}{speed} clearly best")
    if verdict == "tie":
        return (f"tie within {margin:.0%}: " + ", ".join(entry["tie"])
                + f" ({top}{speed} fastest)")
    if entry["reason"] == "fastest_marked":
        words = " and ".join(FLAG_WORDS.get(f, f) for f in entry["flags"])
        return f"{top}{speed} fastest, {words}: rerun to confirm"
    names = ", ".join([top] + entry["undecided"])
    why = {"too_few": "too few rounds to tell: more rounds (--rounds=auto) "
                      "can decide",
           "disturbed": "measured on a disturbed machine: rerun",
           "order": "the order differs pair by pair: more rounds can "
                    "decide",
           "straddles": f"the difference may be more or less than "
                        f"{margin:.0%}: more rounds (--rounds=auto) can "
                        "decide"}[entry["reason"]]
    return f"undecided between {names}: {why}"


def versus(top, second, alpha):
    """The test of the best run against the runner-up: Wilcoxon
    signed-rank on the per-round log time ratios when both ran in rounds,
    else the Mann-Whitney U test. Shown beside the verdict, which it does
    not decide."""
    kind, pairs = pair_reps(second, top)
    if kind == "round":
        ratios = [second.samples[i] / top.samples[j] for i, j in pairs]
        test = wilcoxon_test([math.log(r) for r in ratios], alpha)
        return {"test": "wilcoxon", "pairs": len(pairs),
                "margin_paired": median(ratios),
                "p_value": test and test["p_value"]}
    test = u_test(top.samples, second.samples)
    return {"test": "mann_whitney", "p_value": test and test["p_value"]}
