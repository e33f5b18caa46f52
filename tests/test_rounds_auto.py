"""--rounds=auto: after the fixed rounds, extra rounds of the comparisons
still undecided (best against runner-up, the paired Wilcoxon test
scripts/compare makes), while the run fits in its time budget. Checked by
structure and counts, never by a timing: which benchmarks an extra round
runs, that every comparison gets the pairs the test needs, the budget's
stop, the flag's errors, the progress lines, compare's account of it; and
the test's p against scipy's."""
import json
import random
import subprocess
from collections import defaultdict

import pytest
from scipy.stats import wilcoxon

MIN_PAIRS = 6       # at alpha 0.05 (scripts/compare's min_pairs)
ENOUGH_PAIRS = 12   # bench/auto_rounds.h: kEnoughPairs


def run(exe, *args, timeout=300):
    return subprocess.run([exe, *args], capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.parametrize("n", [1, 2, 5, 6, 7, 12, 20, 50, 51, 80])
def test_p_is_scipys(wilcoxon_p, n):
    rng = random.Random(n)
    for shift in (0.0, 0.3, 1.0):
        d = [rng.gauss(shift, 1) for _ in range(n)]
        got = float(run(wilcoxon_p, *map(repr, d)).stdout)
        # scipy: exact up to 50 values without ties, else the normal
        # approximation (without continuity correction)
        want = wilcoxon(d, method="exact" if n <= 50 else "approx").pvalue
        assert got == pytest.approx(want, rel=1e-9, abs=1e-12), d


def test_p_with_ties_and_zeros_is_scipys_approximation(wilcoxon_p):
    d = [0.0, 1.0, -1.0, 2.0, 2.0, 3.0, 3.0, 3.0, -0.5, 4.0, 0.0, 5.0, -2.5]
    got = float(run(wilcoxon_p, *map(repr, d)).stdout)
    want = wilcoxon(d, method="approx").pvalue      # zeros dropped
    assert got == pytest.approx(want, rel=1e-9)
    assert float(run(wilcoxon_p).stdout) == 1.0


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
    # An extra round runs whole comparisons with their serial run.
    by_comparison = defaultdict(set)
    for name in reps:
        if "/serial/" not in name:
            by_comparison[comparison(name)].add(name)
    for k in range(3, last + 1):
        ran = {n for n, rs in rounds.items() if k in rs}
        assert ran, k
        for names in by_comparison.values():
            assert not (names & ran) or names <= ran, (k, names & ran)
        for name in ran - {n for n in ran if "/serial/" in n}:
            assert f"{name.split('/')[0]}/serial/tasks:2/workers:1/" \
                   "manual_time" in ran
    # Every comparison had the pairs the test needs, and no more rounds
    # than enough pairs (the machine was steady) or the limit.
    for names in by_comparison.values():
        counts = {len(rounds[n]) for n in names}
        assert len(counts) == 1
        assert MIN_PAIRS <= counts.pop() <= 2 * ENOUGH_PAIRS
    lines = r.stderr.splitlines()
    extra = [ln for ln in lines if ln.startswith("concbench: extra round ")]
    assert len(extra) == last - 2
    assert "undecided comparison" in extra[0] and "elapsed of 10m00s" \
        in extra[0]
    assert any(ln.startswith(f"concbench: {last - 2} extra rounds: ")
               for ln in lines)
    data = json.loads(out.read_text())
    assert data["context"]["rounds"] == "2"
    assert data["context"]["rounds_auto_budget_s"] == "600"
    # compare tells the extra rounds and gives verdicts, not "too few".
    c = subprocess.run(["/usr/bin/python3", "scripts/compare",
                        "--format", "json", str(out)],
                       capture_output=True, text=True,
                       cwd=__file__.rsplit("/tests/", 1)[0])
    summary = json.loads(c.stdout)["summaries"][0]
    assert summary["steadiness"]["extra_rounds"] == last - 2
    assert not any(b["verdict"] == "too_few_repetitions"
                   for b in summary["best"])


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
