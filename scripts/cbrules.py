"""The rules a verdict is decided by: every threshold, once, with its why.

Read by the Python side (``cbresults``, ``compare``, ``report``) and, through
a header that the build generates from this file (``python3 cbrules.py
--header``, bench/meson.build), by the driver's ``--rounds=auto``
decision, so that both sides decide alike.  docs/verdicts.md explains them
with examples; change a value here and the build, the scripts and the
docs' generated tables follow.

Only the standard library: the build runs it with Meson's Python.
"""

import sys

# ----------------------------------------------------------- the verdict

# A difference smaller than this is a tie, not a winner: a strategy is
# "tied" with the fastest when the interval of their paired time ratio lies
# inside [1 / (1 + MARGIN), 1 + MARGIN], "clearly slower" when it lies above
# 1 + MARGIN. 2 %: below what a person would change their code for, and
# about what a steady machine can resolve in a dozen rounds.
MARGIN = 0.02
# Largest --margin / compare --margin accepted: a margin of 50 % would call
# a strategy twice as slow "tied".
MAX_MARGIN = 0.5
# Confidence level of the speedup intervals.
CI_LEVEL = 0.95
# Confidence level of the interval a verdict reads (the ratio of a
# strategy's time to the fastest's): 90 %, so that each of its ends is a
# one-sided test at 5 %: "tied" is the two one-sided tests of equivalence
# (TOST: the 90 % interval inside the margin), "clearly slower" a one-sided
# test that the ratio is above 1 + MARGIN. It needs 5 pairs (a 95 %
# interval needs 6), which lets ninja bench spend a sixth less on its fixed
# rounds and the rest on the comparisons still undecided.
VERDICT_LEVEL = 0.90

# ------------------------------------------------------ physical bounds

# A kernel needs a CPU when its serial run's median cpu_util is at least
# this: decided from the data, so it works for any kernel (io_sleep and
# net_echo use almost none, gmp_pow and logpow about 1).
CPU_BOUND_UTIL = 0.5
# impossible_speedup: a kernel that needs a CPU sped up beyond
# min(W, CPUs the run could use): the interval's low end above
# IMPOSSIBLE_LOW times it, or (no interval: older files) the median above
# IMPOSSIBLE_MEDIAN times it. 2 % for what is not the machine: a W = 1
# pool may run a task a percent faster than serial's calling thread.
IMPOSSIBLE_LOW = 1.02
IMPOSSIBLE_MEDIAN = 1.05
# gil_speedup: one global lock gives a CPU-bound kernel no speedup.
GIL_LOW = 1.05
GIL_MEDIAN = 1.15

# ------------------------------------------------- a disturbed machine

# Other processes (and the hypervisor's steal) slow a repetition only when
# it could be short of CPUs: with a demand of d CPUs (its cpu_util, at
# most min(W, CPUs)) and a load of L CPUs of other work on C CPUs, it gets
# C d / (d + L) CPUs once d + L > C, so its time stretches by up to
# (d + L) / C. A repetition is disturbed when that stretch is above
# 1 + BUSY_STRETCH. 15 %: on 2 CPUs, 0.3 CPU of other work at W = 2 (the
# old fixed threshold, which this VM's quiet runs stay under); on 16 CPUs
# it takes 2.4 CPUs at W = 16, and half a CPU never disturbs W = 2.
BUSY_STRETCH = 0.15
# The machine's speed matters only for a kernel that needs a CPU. A pair
# of repetitions (a strategy's and its serial partner's, or two
# strategies' of one round) is disturbed when their canaries differ by
# more than CANARY_SIGMAS times the canary's own repeatability in that
# run (the robust spread of the differences between neighbouring
# repetitions' canaries), and by more than CANARY_FLOOR: a 16-CPU VM's
# steady canary jitters by +-5 %, this 2-CPU VM's by about 1 %, and a
# slow spell of 20 % is what the check is for.
CANARY_SIGMAS = 4.0
CANARY_FLOOR = 0.05
# The canary's repeatability is judged once a run has this many
# neighbouring repetitions (else the floor alone), as MAD_TO_SD times the
# median absolute log ratio of neighbours' canaries (a normal
# distribution's standard deviation from its median absolute deviation).
MIN_CANARY_NEIGHBOURS = 8
MAD_TO_SD = 1.4826
# Whether each pair's time ratio is corrected by its canaries (a time
# measured at canary c stands for t c) before the interval is taken, for a
# kernel that needs a CPU. Chosen by which makes two runs of the same
# machine agree better: docs/verdicts.md shows both on kept runs.
CANARY_CORRECT = False
# A row leaves its disturbed pairs out while at least MIN_CLEAN_PAIRS and
# half of them are left; else it keeps them all, is marked (busy_machine,
# unsteady_machine), and its comparisons are widened by the most the
# disturbance could have moved them.
MIN_CLEAN_PAIRS = 3

# ------------------------------------------------------- extra rounds

# --rounds=auto: a comparison is decided once its verdict is (clearly
# best, or a tie), or once it has had ENOUGH_PAIRS pairs (then
# "undecided" is an honest answer, not "too few rounds").
ENOUGH_PAIRS = 12
# At most this many rounds in all, whatever the budget.
MAX_ROUNDS = 24

# What the header carries, in order: (C++ name, Python name).
HEADER = (
    ("kMargin", "MARGIN"),
    ("kMaxMargin", "MAX_MARGIN"),
    ("kCiLevel", "CI_LEVEL"),
    ("kVerdictLevel", "VERDICT_LEVEL"),
    ("kCpuBoundUtil", "CPU_BOUND_UTIL"),
    ("kImpossibleLow", "IMPOSSIBLE_LOW"),
    ("kBusyStretch", "BUSY_STRETCH"),
    ("kCanarySigmas", "CANARY_SIGMAS"),
    ("kCanaryFloor", "CANARY_FLOOR"),
    ("kMinCleanPairs", "MIN_CLEAN_PAIRS"),
    ("kMinCanaryNeighbours", "MIN_CANARY_NEIGHBOURS"),
    ("kMadToSd", "MAD_TO_SD"),
    ("kEnoughPairs", "ENOUGH_PAIRS"),
    ("kMaxRounds", "MAX_ROUNDS"),
)


def header():
    """The C++ header with the values above (bench/verdict_rules.h)."""
    lines = ["// Generated from scripts/cbrules.py by the build: edit that "
             "file, not this.",
             "#ifndef CB_VERDICT_RULES_H", "#define CB_VERDICT_RULES_H", "",
             "namespace cb {", ""]
    for cname, pyname in HEADER:
        value = globals()[pyname]
        kind = "unsigned" if isinstance(value, int) else "double"
        lines.append(f"constexpr {kind} {cname} = {value!r};")
    lines += ["", "} // namespace cb", "", "#endif", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:] != ["--header"]:
        sys.exit("usage: cbrules.py --header")
    sys.stdout.write(header())
