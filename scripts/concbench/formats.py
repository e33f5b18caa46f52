"""How figures and codes are written for people, once for every program:
times, ratios and numbers, and the words of the verdict codes.

A time is written by seconds_text in the unit that suits it, with the
digits of a style: compare's tables (TABLE: four significant digits,
fixed), the answer's sentences (PROSE: three), report's page (PAGE: three,
trailing zeros dropped) and plot's axes (AXIS: as many as the value has,
"µs", and a value a hair below a unit written in it).  The styles are what
each output has always shown, so that no output changes.
"""

from dataclasses import dataclass

UNITS = (("s", 1.0), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9))


def fixed(significant):
    """Digits of a value 1 to 1000 (or below 1 in ns) as fixed-point with
    about this many significant digits: 12.34 at 4, 12.3 at 3."""
    def digits(v):
        whole = 3 if v >= 100 else 2 if v >= 10 else 1
        return f"{v:.{max(0, significant - whole)}f}"
    return digits


@dataclass(frozen=True)
class TimeStyle:
    digits: object          # the value in its unit -> text
    none: str = "-"         # a time that could not be computed
    micro: str = "us"       # how microseconds are spelt
    slack: float = 0.0      # a time this much below a unit is written in it


TABLE = TimeStyle(fixed(4))
PROSE = TimeStyle(fixed(3))
PAGE = TimeStyle(lambda v: f"{v:.3g}", none="n/a")
AXIS = TimeStyle(lambda v: f"{v:g}", micro="µs", slack=1e-9)


def time_unit(seconds, style=TABLE):
    """(unit, seconds per unit) to show the time seconds (>= 0) in: the
    largest unit of which it is at least one, ns below."""
    for unit, scale in UNITS:
        if seconds >= scale * (1 - style.slack):
            break
    return (style.micro if unit == "us" else unit), scale


def seconds_text(seconds, style=TABLE):
    """A time in seconds as people read it: "12.34 ms" (TABLE), "-1.2 us"
    below zero, style.none for None."""
    if seconds is None:
        return style.none
    if seconds < 0:
        return "-" + seconds_text(-seconds, style)
    unit, scale = time_unit(seconds, style)
    return f"{style.digits(seconds / scale)} {unit}"


def number_text(value, pattern="{:.2f}", none="-"):
    """A number by a format pattern ("{:.2f}x"), none for None."""
    return none if value is None else pattern.format(value)


def ratio_text(r):
    """A time ratio as "+12%", or "9.1x" from twice as slow on."""
    if r is None:
        return "-"
    return (f"{r - 1:+.0%}" if r < 2 else f"{r:.3g}x" if r < 100
            else f"{r:.0f}x")


# The verdict of a kernel and worker count (verdicts.VERDICT_CODES), in
# words.
VERDICT_WORDS = {
    "clear": "clearly best",
    "tie": "tie",
    "undecided": "undecided",
    "only_strategy": "only strategy",
}

# A benchmark of one file against the baseline's (analysis.verdict_of).
COMPARISON_WORDS = {
    "faster": "faster",
    "slower": "slower",
    "no_difference": "no significant difference",
    "too_few_repetitions": "too few repetitions to tell",
    "aggregates_only": "aggregates only: no test",
}


def answer_verdict(kernel, within, marked, most=None):
    """A kernel's answer's verdict in words: "tie: 3 within <within>",
    "undecided: <marked> (rerun)" when its fastest row is marked,
    "undecided against a, b" (the first most, "+N" for the others; ": too
    few rounds" where more would decide), else the verdict's words."""
    if kernel["verdict"] == "tie":
        return f"tie: {len(kernel['use'])} within {within}"
    if kernel["verdict"] != "undecided":
        return VERDICT_WORDS[kernel["verdict"]]
    if kernel["reason"] == "fastest_marked":
        return f"undecided: {marked} (rerun)"
    rest = kernel["undecided"]
    if not rest:
        return "undecided"
    shown = rest if most is None else rest[:most]
    return ("undecided against " + ", ".join(shown)
            + (f" +{len(rest) - len(shown)}" if len(rest) > len(shown)
               else "")
            + (": too few rounds" if kernel["reason"] == "too_few" else ""))


# ------------------------------------------------------------ the answer

def costs_text(kernel, margin):
    """What the other strategies of a kernel's answer cost beside it, each
    at its own best W: "thread +12%, process within 2% at W=4" (the W only
    where it is not the answer's)."""
    def near(a):
        at = "" if a["workers"] == kernel["workers"] else \
            f" at W={a['workers']}"
        return f"within {margin:.0%}{at}"
    return ", ".join(
        f"{a['strategy']} " + (near(a) if a.get("near")
                               else ratio_text(1 + a["cost"]))
        for a in kernel["alternatives"])


def why_text(answer):
    """"Why: thread: a thread per task; ...", what the others' modes are,
    or None when the answer has no other strategy."""
    why = {a["mode"]: a["why"] for k in answer["kernels"]
           for a in k["alternatives"]}
    if not why:
        return None
    return "Why: " + "; ".join(f"{mode}: {w}" for mode, w in why.items()) + "."


def verdict_counts_text(counts):
    """"Verdicts over 12 kernel and worker counts: 4 clearly best, 6 ties,
    2 undecided"."""
    return (f"Verdicts over {counts['total']} kernel and worker counts: "
            f"{counts['clear']} clearly best, {counts['tie']} ties, "
            f"{counts['undecided']} undecided")


def single_task_text(machine, style=TABLE):
    """A machine's time for one task alone, per kernel (serial's time a
    task), with its ratio to the first file's: "noop 1.2 us (0.93x)"."""
    return ", ".join(
        f"{t['kernel']} {seconds_text(t['serial_s'] / t['tasks'], style)}"
        + (f" ({t['versus_first']:.2f}x)" if machine["file"]
           and t["versus_first"] else "")
        for t in machine["single_task"])
