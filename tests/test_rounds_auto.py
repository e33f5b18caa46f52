"""--rounds=auto: after the fixed rounds, extra rounds of the comparisons
still undecided by scripts/compare's verdict (the fastest strategy against
each other one, the Hodges-Lehmann interval of their paired time ratios
against the margin), for the strategies that can still change it, while
the run fits in its time budget. Checked by structure and counts, never by
a timing: which benchmarks an extra round runs, that compare then finds
every comparison decided (or given enough pairs), the budget's stop, the
flag's errors, the progress lines, compare's account of it; and the
driver's interval against its definition and the scripts' own."""
import json
import math
import random
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from scipy.stats import wilcoxon

ROOT = Path(__file__).resolve().parent.parent
sys.dont_write_bytecode = True
sys.path.insert(0, str(ROOT / "scripts"))
from concbench import rules as cbrules  # noqa: E402
from concbench import stats as cbstats  # noqa: E402

MIN_PAIRS = 5       # at 90 %, what a verdict's interval needs
ENOUGH_PAIRS = cbrules.ENOUGH_PAIRS


def run(exe, *args, timeout=300):
    return subprocess.run([exe, *args], capture_output=True, text=True,
                          timeout=timeout)


def interval_of(hl_interval, values):
    out = run(hl_interval, *map(repr, values)).stdout.split()
    return None if out == ["none"] else [float(x) for x in out]


@pytest.mark.parametrize("n", [2, 4, 5, 6, 7, 9, 12, 20])
def test_the_interval_is_the_signed_rank_tests_inverse(hl_interval, n):
    # At the verdicts' level, 90 %, the interval holds exactly the shifts
    # that the exact two-sided Wilcoxon signed-rank test does not reject
    # at 10 % (two one-sided tests at 5 %), where it can reject at all:
    # with 4 pairs or fewer it is [min, max]; the scripts compute the
    # same.
    rng = random.Random(n)
    for shift in (0.0, 0.3, 1.0):
        d = [rng.gauss(shift, 1) for _ in range(n)]
        centre, low, high, coverage = interval_of(hl_interval, d)
        assert [centre, low, high, coverage] == pytest.approx(
            list(cbstats.hl_interval(d, cbrules.VERDICT_LEVEL)), rel=1e-12)
        walsh = sorted((d[i] + d[j]) / 2 for i in range(n)
                       for j in range(i, n))
        assert centre == pytest.approx(walsh[len(walsh) // 2]
                                       if len(walsh) % 2 else
                                       (walsh[len(walsh) // 2 - 1]
                                        + walsh[len(walsh) // 2]) / 2)
        if n <= 4:
            assert (low, high) == (min(d), max(d)) and coverage < 0.90
            continue
        assert coverage >= 0.90
        eps = 1e-9 * (high - low)

        def p(theta):
            return wilcoxon([x - theta for x in d], method="exact").pvalue
        assert p(low + eps) >= 0.10 and p(high - eps) >= 0.10
        assert p(low - eps) < 0.10 and p(high + eps) < 0.10


def test_too_few_values_have_no_interval(hl_interval):
    assert interval_of(hl_interval, []) is None
    assert interval_of(hl_interval, [1.0]) is None


SUBSET = ["--kernels=noop,gmp_pow", "--modes=serial,thread,thread_pool",
          "--workers=1,2", "--tasks=2", "--benchmark_min_time=0.001",
          "--benchmark_repetitions=2"]


def repetitions(path):
    by_name = defaultdict(list)
    for b in json.loads(path.read_text())["benchmarks"]:
        if b["run_type"] == "iteration":
            by_name[b["name"]].append(b)
    return by_name


def comparison(name):
    """kernel/workers:W of a benchmark name."""
    parts = name.split("/")
    return parts[0] + "/" + parts[3]


def test_undecided_comparisons_get_their_rounds(concbench, tmp_path):
    out = tmp_path / "auto.json"
    r = run(concbench, *SUBSET, "--rounds=auto:600", f"--benchmark_out={out}")
    assert r.returncode == 0, r.stderr
    reps = repetitions(out)
    assert len(reps) == 2 * 5          # serial, thread W1 W2, pool W1 W2
    rounds = {name: [int(b["round"]) for b in bs] for name, bs in reps.items()}
    # The fixed two rounds for every one; then extra rounds numbered on.
    for name, rs in rounds.items():
        assert rs[:2] == [1, 2] and rs == sorted(rs), (name, rs)
        assert all(b["repetitions"] == len(rs) for b in reps[name])
    last = max(max(rs) for rs in rounds.values())
    assert last >= MIN_PAIRS            # 2 rounds can decide nothing
    # An extra round runs strategies of undecided comparisons, each with
    # its serial run, and at least two of a comparison (the fastest and
    # one not yet tied nor clearly slower).
    by_comparison = defaultdict(set)
    for name in reps:
        if "/serial/" not in name:
            by_comparison[comparison(name)].add(name)
    for k in range(3, last + 1):
        ran = {n for n, rs in rounds.items() if k in rs}
        assert ran, k
        for names in by_comparison.values():
            assert len(names & ran) != 1 or any(
                "/serial/" in n and n.split("/")[0] == comparison(
                    next(iter(names))).split("/")[0] for n in ran), (k, ran)
        for name in ran - {n for n in ran if "/serial/" in n}:
            assert f"{name.split('/')[0]}/serial/tasks:2/workers:1/" \
                   "manual_time" in ran
    lines = r.stderr.splitlines()
    extra = [ln for ln in lines if ln.startswith("concbench: extra round ")]
    assert len(extra) == last - 2
    assert "undecided comparison" in extra[0] and "elapsed of 10m00s" \
        in extra[0]
    ending = [ln for ln in lines
              if ln.startswith(f"concbench: {last - 2} extra rounds: ")]
    assert len(ending) == 1
    data = json.loads(out.read_text())
    assert data["context"]["rounds"] == "2"
    assert data["context"]["rounds_auto_budget_s"] == "600"
    assert data["context"]["margin"] == "0.02"
    # compare tells the extra rounds, and where the driver found every
    # comparison decided, compare's verdicts agree: none is undecided
    # but with enough pairs.
    c = subprocess.run(["/usr/bin/python3", "scripts/compare",
                        "--format", "json", str(out)],
                       capture_output=True, text=True, cwd=ROOT)
    summary = json.loads(c.stdout)["summaries"][0]
    assert summary["steadiness"]["extra_rounds"] == last - 2
    if "every comparison decided" in ending[0]:
        for b in summary["best"]:
            open_ = [o for o in b["others"]
                     if o["status"] not in ("tied", "slower")]
            assert b["verdict"] in ("clear", "tie") or all(
                o["pairs"] >= ENOUGH_PAIRS for o in open_), b


def test_a_spent_budget_runs_no_extra_round(concbench, tmp_path):
    out = tmp_path / "auto.json"
    r = run(concbench, *SUBSET, "--rounds=auto:0", f"--benchmark_out={out}")
    assert r.returncode == 0, r.stderr
    assert all(len(bs) == 2 for bs in repetitions(out).values())
    assert "concbench: 0 extra rounds: the time budget is spent; " \
           "4 comparisons still undecided" in r.stderr


@pytest.mark.parametrize("args, problem", [
    (["--rounds=sometimes"], "--rounds: 'sometimes' is neither fixed nor "
                             "auto[:SECONDS]"),
    (["--rounds=auto:-1"], "--rounds: '-1' is not a time budget"),
    (["--rounds=auto:5m"], "--rounds: '5m' is not a time budget"),
    (["--rounds=auto", "--order=sequential"], "--rounds=auto needs "
                                              "--order=rounds"),
])
def test_bad_rounds_flags_are_one_line(concbench, args, problem):
    r = run(concbench, "--kernels=noop", "--modes=serial", *args)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and problem in r.stderr, r.stderr
    assert r.stdout == ""
