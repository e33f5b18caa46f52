"""How steady the machine was over one file, what that marked, how many
verdicts were decided, and what to do about it."""

import math

from concbench import rules
from concbench.context import context_count
from concbench.load import is_number
from concbench.speedups import FLAGS
from concbench.stats import median, min_pairs
from concbench.verdicts import VERDICT_CODES


# ---------------------------------------------------------- steadiness


def low_high(values, keys=("median", "max")):
    """{"min"?, "median", "max"} of values, or None for none."""
    if not values:
        return None
    known = {"min": min(values), "median": median(values),
             "max": max(values)}
    return {k: known[k] for k in keys}


def steadiness_json(result, rows, best, alpha, machine):
    """How steady the machine was over one file, what that marked, how
    many verdicts were decided, and what to do about it."""
    reps = [rep for bench in result.benches.values()
            if bench.ok and not bench.aggregates_only for rep in bench.reps]
    speeds = [r["machine_speed"] for r in reps
              if r.get("machine_speed", 0) > 0]
    steal = [r["steal_cpus"] for r in reps if "steal_cpus" in r]
    other = [r["other_cpus"] for r in reps if "other_cpus" in r]
    order = result.context.get("order")
    rounds = context_count(result.context.get("rounds"))
    # --rounds=auto: rounds beyond the context's, of undecided comparisons.
    last_round = max((r["round"] for r in reps
                      if is_number(r.get("round"))), default=0)
    extra = (int(last_round) - rounds
             if rounds and last_round > rounds else 0)
    pairings = {r["pairing"] for r in rows if r["speedup"] is not None}
    counts = {f: sum(f in r["flags"] for r in rows) for f in FLAGS}
    steady = {
        "order": order if isinstance(order, str) else None,
        "rounds": rounds, "extra_rounds": extra,
        "pairing": (None if not pairings else pairings.pop()
                    if len(pairings) == 1 else "mixed"),
        "machine_speed": low_high(speeds, ("min", "median", "max")),
        "steal_cpus": low_high(steal), "other_cpus": low_high(other),
        "rows": len(rows),
        "rows_flagged": sum(bool(r["flags"]) for r in rows),
        "pairs": sum(r.get("pairs") or 0 for r in rows),
        "pairs_left_out": sum(r.get("pairs_left_out") or 0 for r in rows),
        "flag_counts": {f: n for f, n in counts.items() if n},
        "canary_noise": machine.canary_noise,
        "canary_limit": math.expm1(machine.canary_limit),
        "verdicts": {code: sum(b["verdict"] == code for b in best)
                     for code in VERDICT_CODES}}
    steady["advice"] = advice(steady, alpha)
    return steady


def advice(steady, alpha):
    """What to do, given a file's steadiness: a list of sentences."""
    said = []
    counts = steady["flag_counts"]
    if steady["rows"] and steady["machine_speed"] is None \
            and steady["other_cpus"] is None:
        said.append("This file has no per-repetition machine figures (an "
                    "older concbench or another program): rerun with this "
                    "concbench for paired speedups, intervals and the "
                    "machine flags.")
    if steady["pairing"] in ("nearest", "mixed"):
        said.append("Measured without rounds: run in rounds (concbench's "
                    "default order) so that every strategy is measured "
                    "beside serial.")
    if "busy_machine" in counts:
        busy = max((steady[k]["max"] for k in ("other_cpus", "steal_cpus")
                    if steady[k]), default=0)
        said.append(f"Other processes or the hypervisor took up to "
                    f"{busy:.2f} CPU while it ran: rerun on a quieter "
                    "machine (stop other work; on a VM, a host with less "
                    "contention).")
    if "unsteady_machine" in counts:
        speed = steady["machine_speed"]
        said.append(f"The machine's speed moved (canary {speed['min']:.2f} "
                    f"to {speed['max']:.2f} of its median) between "
                    "repetitions measured side by side: rerun, with more "
                    "rounds (--rounds=auto, or --benchmark_repetitions=N; "
                    "for ninja bench, meson configure build "
                    "-Drepetitions=N) so that a slow spell sways fewer "
                    "pairs.")
    if "impossible_speedup" in counts or "gil_speedup" in counts:
        said.append("Some speedups are more than the CPUs allow, as when "
                    "the machine's speed changed between serial and the "
                    "strategy: rerun, in more rounds.")
    rounds = steady["rounds"]
    need = min_pairs(1 - rules.VERDICT_LEVEL)
    if steady["pairing"] == "round" and rounds and rounds < need \
            and not steady.get("extra_rounds"):
        said.append(f"With {rounds} round{'s' if rounds != 1 else ''} no "
                    "verdict's interval reaches "
                    f"{rules.VERDICT_LEVEL:.0%} (it needs {need} "
                    f"pairs): --benchmark_repetitions={need} or more, or "
                    "--rounds=auto, can decide the verdicts.")
    if not said:
        said.append("Nothing marked: the machine was steady enough for "
                    "these figures.")
    return said


def summary_notes(steady, rows):
    """Notes on how a file's speedups were computed."""
    notes = []
    if any(r["speedup"] is not None and not r["paired"] for r in rows):
        note = ("unpaired: without rounds or repetition start times "
                "(t_start_s) in this file, a speedup is serial median / "
                "median, with no interval")
        if steady["machine_speed"] is None and steady["other_cpus"] is None:
            note += ("; only impossible_speedup and gil_speedup can be "
                     "checked, on the median")
        notes.append(note)
    if steady["pairing"] in ("nearest", "mixed"):
        notes.append("no rounds: a repetition is paired with the serial "
                     "repetition nearest in start time, in sequential order "
                     "mostly the same one for all")
    return notes
