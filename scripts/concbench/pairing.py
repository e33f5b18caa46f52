"""Repetitions paired in time, and how disturbed a pair was: the
machine's steadiness (its canary and the other work beside it) judged by
the rules (rules.py: BUSY_STRETCH, CANARY_SIGMAS, CANARY_FLOOR ...)."""

import math
from dataclasses import dataclass

from concbench import rules
from concbench.load import is_number
from concbench.stats import median


# ------------------------------------------------- pairing and flags


def rep_values(bench, key):
    """The counter key of every repetition of bench, or None unless every
    repetition has it."""
    values = [rep.get(key) for rep in bench.reps]
    if not values or any(v is None for v in values):
        return None
    return values


def pair_reps(bench, partner):
    """(kind, [(i, j)]): repetitions i of bench paired with repetitions j
    of partner, measured close in time.

    "round": each repetition with the partner's of the same round (both
    ran in rounds, the context's order "rounds"); "nearest": without
    rounds, each with the partner's repetition whose t_start_s is nearest
    (in sequential order mostly the same one); "unpaired" ([]) when the
    repetitions carry neither (older files, other programs) or a side
    holds only aggregates."""
    if bench.aggregates_only or partner.aggregates_only:
        return "unpaired", []
    rounds = rep_values(bench, "round")
    partner_rounds = rep_values(partner, "round")
    if rounds and partner_rounds:
        by_round = {}
        for j, r in enumerate(partner_rounds):
            by_round.setdefault(r, j)
        pairs = [(i, by_round[r]) for i, r in enumerate(rounds)
                 if r in by_round]
        if pairs:
            return "round", pairs
    starts = rep_values(bench, "t_start_s")
    partner_starts = rep_values(partner, "t_start_s")
    if starts and partner_starts:
        return "nearest", [
            (i, min(range(len(partner_starts)),
                    key=lambda j: (abs(partner_starts[j] - start), j)))
            for i, start in enumerate(starts)]
    return "unpaired", []


def cpu_bound(serial):
    """Whether a kernel needs a CPU, from its serial run: median cpu_util
    >= rules.CPU_BOUND_UTIL; None when the run has no cpu_util."""
    util = median(serial.counters.get("cpu_util", [])) if serial else None
    return None if util is None else util >= rules.CPU_BOUND_UTIL


# --------------------------------------------- how disturbed a pair was


@dataclass
class Machine:
    """What one file says of its machine, to judge its repetitions by
    (rules.py: BUSY_STRETCH, CANARY_SIGMAS, CANARY_FLOOR)."""

    cpus: float = None          # CPUs the run could use; None: unknown
    canary_noise: float = None  # robust spread of log machine_speed
                                # between neighbouring repetitions
    canary_limit: float = math.log1p(rules.CANARY_FLOOR)  # a pair's
                                # |log canary ratio| beyond this: disturbed
    correct: bool = rules.CANARY_CORRECT    # pairs corrected by canary
    cpu_correct: bool = rules.CPU_CORRECT   # pairs corrected by task CPU


def machine_of(result, cpus):
    """The Machine of a file: its CPUs and its canary's repeatability."""
    reps = sorted((rep for bench in result.benches.values()
                   if bench.ok and not bench.aggregates_only
                   for rep in bench.reps
                   if is_number(rep.get("machine_speed"))
                   and rep["machine_speed"] > 0
                   and is_number(rep.get("t_start_s"))),
                  key=lambda rep: rep["t_start_s"])
    steps = [abs(math.log(b["machine_speed"] / a["machine_speed"]))
             for a, b in zip(reps, reps[1:])]
    noise = (rules.MAD_TO_SD * median(steps)
             if len(steps) >= rules.MIN_CANARY_NEIGHBOURS else None)
    floor = math.log1p(rules.CANARY_FLOOR)
    limit = floor if noise is None else max(floor,
                                            rules.CANARY_SIGMAS * noise)
    return Machine(cpus, noise, limit)


@dataclass
class Side:
    """A run as one side of a pair: its repetitions, and the CPUs it asks
    of the machine, which decide whether other work could have slowed
    it."""

    bench: object
    demand: float = None
    cpu_bound: bool = None      # its kernel needs a CPU
    usual_cpu: float = None     # its tasks' median CPU time (task_cpu_s)


def side_of(config, bench, machine, kernel_cpu_bound):
    """The Side of a run. Its demand: the median over its repetitions of
    the CPUs concbench used while it ran (own_cpus, concbench since issue
    16: every process of the repetition, dispatch included); in older
    files, min(W, CPUs) for a kernel that needs a CPU, else its tasks'
    cpu_util; never more than min(W, CPUs)."""
    cap = (min(config.workers, machine.cpus) if machine.cpus
           else config.workers)
    own = median([v for v in (rep.get("own_cpus") for rep in bench.reps)
                  if is_number(v)])
    if own is not None:
        demand = min(own, cap)
    elif kernel_cpu_bound is not False:
        demand = cap
    else:
        demand = min(median(bench.counters.get("cpu_util", [])) or 0.0, cap)
    usual = median([v for v in (rep.get("task_cpu_s") for rep in bench.reps)
                    if is_number(v) and v > 0])
    return Side(bench, demand, kernel_cpu_bound, usual)


def stretch(rep, demand, cpus):
    """How much other work (other processes and steal, in CPUs) could have
    stretched a repetition that asks for demand CPUs of cpus: (demand +
    load) / cpus when above 1, else 1; None without the figures."""
    if "other_cpus" not in rep and "steal_cpus" not in rep:
        return None
    load = max(rep.get("other_cpus", 0), 0) + max(rep.get("steal_cpus", 0),
                                                  0)
    if not cpus or demand is None:
        return 1.0
    return max(1.0, (demand + load) / cpus)


@dataclass
class PairState:
    kinds: frozenset            # "busy", "canary": what disturbed it
    factor: float               # the most that could have moved its ratio
    delta: float = None         # log(canary of a / canary of b)
    stretch: float = 1.0        # the larger side's stretch
    load: float = None          # the load beside it (max of the sides)
    cpu_delta: float = None     # log(a's task CPU over its usual / b's)


def pair_state(rep_a, side_a, rep_b, side_b, machine):
    """Whether a pair of repetitions (a's and b's, measured close in time)
    was disturbed: either side could have been stretched by other work
    beyond 1 + BUSY_STRETCH, or (a kernel that needs a CPU) their canaries
    differ beyond the run's limit. factor: how far that could have moved
    the ratio a / b either way."""
    kinds = set()
    most, load = 1.0, None
    for rep, side in ((rep_a, side_a), (rep_b, side_b)):
        s = stretch(rep, side.demand, machine.cpus)
        if s is None:
            continue
        most = max(most, s)
        here = (max(rep.get("other_cpus", 0), 0)
                + max(rep.get("steal_cpus", 0), 0))
        load = here if load is None else max(load, here)
        if s > 1 + rules.BUSY_STRETCH:
            kinds.add("busy")
    delta = None
    speeds = rep_a.get("machine_speed"), rep_b.get("machine_speed")
    if (side_a.cpu_bound or side_b.cpu_bound) and all(
            is_number(v) and v > 0 for v in speeds):
        delta = math.log(speeds[0] / speeds[1])
        if abs(delta) > machine.canary_limit:
            kinds.add("canary")
    factor = most * (math.exp(abs(delta)) if delta is not None else 1.0)
    cpu_delta = None
    scales = [rep.get("task_cpu_s") / side.usual_cpu
              for rep, side in ((rep_a, side_a), (rep_b, side_b))
              if side.usual_cpu and is_number(rep.get("task_cpu_s"))
              and rep["task_cpu_s"] > 0]
    if len(scales) == 2:
        cpu_delta = math.log(scales[0] / scales[1])
    return PairState(frozenset(kinds), factor, delta, most, load, cpu_delta)


def keep_pairs(pairs, states):
    """(pairs kept, their states, how many left out): without the
    disturbed pairs while at least MIN_CLEAN_PAIRS and half of them are
    left; else all of them."""
    clean = [(p, st) for p, st in zip(pairs, states) if not st.kinds]
    if len(clean) == len(pairs) or (len(clean) >= rules.MIN_CLEAN_PAIRS
                                    and 2 * len(clean) >= len(pairs)):
        return [p for p, _ in clean], [st for _, st in clean], \
            len(pairs) - len(clean)
    return list(pairs), list(states), 0


def corrected(ratio_value, state, machine, cpu_bound, sign=1):
    """A pair's time ratio a / b (sign 1; b / a with sign -1), corrected
    for the machine's speed when the rules say so: a time measured at
    canary c stands for t c (CANARY_CORRECT); a time whose tasks' CPU time
    was s times its run's median stands for t / s (CPU_CORRECT). Both off
    (rules.py says why), and the driver's --rounds=auto follows neither."""
    if machine.correct and cpu_bound and state.delta is not None:
        ratio_value *= math.exp(sign * state.delta)
    if machine.cpu_correct and cpu_bound and state.cpu_delta is not None:
        ratio_value *= math.exp(-sign * state.cpu_delta)
    return ratio_value
