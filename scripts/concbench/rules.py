"""The rules a verdict is decided by: every threshold, once, with its why.

Read by the Python side (this package: ``speedups``, ``verdicts``, and the
programs ``compare`` and ``report``) and, through a header that the build
generates from this file (``scripts/cbrules.py --header``, a link to it that
bench/meson.build names), by the driver's ``--rounds=auto`` decision, so that
both sides decide alike.  ``cbrules.py --markdown`` prints the table of
docs/verdicts.md, ``--value NAME`` and ``--percent NAME`` one rule's value
for a sentence that quotes it (scripts/docs fills both in, and its check
fails when the page differs).  Change a value here and the build, the
scripts and the pages follow.

Only the standard library: the build runs it with Meson's Python.
"""

import sys
from collections import namedtuple

Rule = namedtuple("Rule", "name value cname why")

RULES = (
    # ------------------------------------------------------- the verdict
    Rule("MARGIN", 0.02, "kMargin",
         "A difference smaller than this is a tie, not a winner: a strategy "
         "is tied with the fastest when the interval of their paired time "
         "ratio lies inside [1 / (1 + M), 1 + M], clearly slower when it "
         "lies above 1 + M. 2 %: below what a person would change their "
         "code for, and about what a steady machine resolves in a dozen "
         "rounds. --margin and compare --margin change it."),
    Rule("MAX_MARGIN", 0.5, "kMaxMargin",
         "The largest margin accepted: at 50 % a strategy 1.5 times as slow "
         "would be tied."),
    Rule("CI_LEVEL", 0.95, "kCiLevel",
         "Confidence level of the speedup intervals (the median of the "
         "paired ratios serial / strategy)."),
    Rule("VERDICT_LEVEL", 0.90, "kVerdictLevel",
         "Confidence level of the interval a verdict reads: each end is a "
         "one-sided test at 5 %, so tied is the two one-sided tests of "
         "equivalence (TOST) and clearly slower a one-sided test against "
         "1 + M. It can be reached with 5 pairs (95 % needs 6)."),
    # --------------------------------------------------- physical bounds
    Rule("CPU_BOUND_UTIL", 0.5, "kCpuBoundUtil",
         "A kernel needs a CPU when its serial run's median cpu_util is at "
         "least this: decided from the data, so for any kernel (io_sleep "
         "and net_echo use almost none, gmp_pow and logpow about 1)."),
    Rule("IMPOSSIBLE_LOW", 1.02, "kImpossibleLow",
         "impossible_speedup: a kernel that needs a CPU sped up beyond "
         "min(W, CPUs): the speedup interval's low end above this times it. "
         "2 % for what is not the machine: a W = 1 pool may run a task a "
         "percent faster than serial's calling thread."),
    Rule("IMPOSSIBLE_MEDIAN", 1.05, "kImpossibleMedian",
         "impossible_speedup without an interval (older files): the median "
         "above this times min(W, CPUs)."),
    Rule("GIL_LOW", 1.05, "kGilLow",
         "gil_speedup: one global lock gives a CPU-bound kernel no "
         "speedup; the interval's low end above this is the machine, not "
         "the mode."),
    Rule("GIL_MEDIAN", 1.15, "kGilMedian",
         "gil_speedup without an interval: the median above this."),
    # ----------------------------------------------- a disturbed machine
    Rule("BUSY_STRETCH", 0.15, "kBusyStretch",
         "Other processes and steal slow a repetition only when it could "
         "be short of CPUs: asking for d CPUs (own_cpus) beside L CPUs of "
         "other work on C CPUs, it gets C d / (d + L) once d + L > C, so "
         "its time stretches by up to (d + L) / C. Disturbed when that is "
         "above 1 + this: on 2 CPUs at W = 2, 0.3 CPU of other work (the "
         "old fixed threshold); on 16 CPUs at W = 16, 2.4 CPUs; half a CPU "
         "never disturbs W = 2 on 16."),
    Rule("CANARY_SIGMAS", 4.0, "kCanarySigmas",
         "The machine's speed matters only for a kernel that needs a CPU: "
         "a pair of repetitions is disturbed when their canaries differ by "
         "more than this many times the canary's own repeatability in the "
         "run (issue 16 found a steady 16-CPU VM's canary jittering by "
         "+-5 %; this 2-CPU VM's moves by about 2 % from one repetition "
         "to the next, docs/results/verdicts-vm/)."),
    Rule("CANARY_FLOOR", 0.05, "kCanaryFloor",
         "... and by more than this (5 %): a slow spell of 20 % is what the "
         "check is for, ordinary jitter is not."),
    Rule("MIN_CANARY_NEIGHBOURS", 8, "kMinCanaryNeighbours",
         "The canary's repeatability is read once a run has this many "
         "neighbouring repetitions (else the floor alone)."),
    Rule("MAD_TO_SD", 1.4826, "kMadToSd",
         "The repeatability: this times the median absolute log ratio of "
         "neighbouring repetitions' canaries (a normal distribution's "
         "standard deviation from its median absolute deviation)."),
    Rule("CANARY_CORRECT", False, None,
         "Whether each pair's ratio is also corrected by its canaries (a "
         "time at canary c stands for t c). Off: on the kept pairs of runs "
         "of one machine it made them agree less (docs/verdicts.md)."),
    Rule("CPU_CORRECT", False, None,
         "Whether each pair's ratio of a kernel that needs a CPU is also "
         "divided by the ratio of its repetitions' task CPU time, each over "
         "its run's median (a slow spell stretches the same instructions). "
         "Off: on this VM's runs of one batch a repetition it narrowed the "
         "intervals five to eight times, but every two consecutive runs "
         "then contradicted each other (docs/verdicts.md): the spells are "
         "not what moves near-equal strategies' ratios from one run to the "
         "next."),
    Rule("MIN_CLEAN_PAIRS", 3, "kMinCleanPairs",
         "A row leaves its disturbed pairs out while at least this many and "
         "half of them are left; else it keeps them all, is marked "
         "(busy_machine, unsteady_machine), and its comparisons are "
         "widened by the most the disturbance could have moved them."),
    # ------------------------------------------------------ extra rounds
    Rule("ENOUGH_PAIRS", 30, "kEnoughPairs",
         "--rounds=auto: a comparison is decided once its verdict is (a "
         "winner or a tie), or once its undecided strategies have had this "
         "many pairs: then undecided is an honest answer, not too few "
         "rounds. 30: with pairs that stray 5 % (this VM on a busy "
         "evening), the 90 % interval of two equal strategies is then "
         "about +-1.6 %, inside the 2 % margin; fewer left such ties "
         "undecided while the budget had time for more."),
    Rule("MAX_ROUNDS", 48, "kMaxRounds",
         "--rounds=auto: at most this many rounds in all, whatever the "
         "budget (disturbed repetitions do not count towards the pairs, so "
         "a machine never steady would go on)."),
)

globals().update({r.name: r.value for r in RULES})


def header():
    """The C++ header with the values above (bench/verdict_rules.h)."""
    lines = ["// Generated from scripts/cbrules.py by the build: edit that "
             "file, not this.",
             "#ifndef CB_VERDICT_RULES_H", "#define CB_VERDICT_RULES_H", "",
             "namespace cb {", ""]
    for r in RULES:
        if r.cname is None:
            continue
        kind = "unsigned" if isinstance(r.value, int) else "double"
        lines.append(f"constexpr {kind} {r.cname} = {r.value!r};")
    lines += ["", "} // namespace cb", "", "#endif", ""]
    return "\n".join(lines)


def markdown():
    """The rules as the table of docs/verdicts.md."""
    lines = ["| rule | value | why |", "|---|---:|---|"]
    for r in RULES:
        value = ("off" if r.value is False else "on" if r.value is True
                 else f"{r.value:g}")
        lines.append(f"| `{r.name}` | {value} | {r.why} |")
    return "\n".join(lines) + "\n"


def value(name, percent=False):
    """One rule's value as prose quotes it: "15 %" with percent, else
    "4"."""
    rule = next((r for r in RULES if r.name == name), None)
    if rule is None or isinstance(rule.value, bool):
        raise KeyError(name)
    return f"{100 * rule.value:g} %" if percent else f"{rule.value:g}"


if __name__ == "__main__":
    args = sys.argv[1:]
    if args == ["--header"]:
        sys.stdout.write(header())
    elif args == ["--markdown"]:
        sys.stdout.write(markdown())
    elif len(args) == 2 and args[0] in ("--value", "--percent"):
        try:
            print(value(args[1], args[0] == "--percent"))
        except KeyError:
            sys.exit(f"cbrules.py: no rule '{args[1]}' with a number")
    else:
        sys.exit("usage: cbrules.py --header | --markdown | "
                 "--value NAME | --percent NAME")
