"""Tests of compare's pairing in time, speedup intervals, marks and paired
verdicts (issues 9 and 16), on fixtures with known answers; the verdict
rules themselves on fixtures made to order: test_verdicts.py.

tests/fixtures/steady_rounds.json: 6 rounds, 2 CPUs, no quota; times in ms
by round 1..6; machine_speed 1.0, other_cpus 0.05 and steal_cpus 0 unless
said; cpu_util 1.0 unless said (so every kernel needs a CPU but io):

    cpu/serial W1        100 102 98 101 99 100
    cpu/thread W1        101 101 99 100.5 100 99.5   about serial: a tie
    cpu/thread W2        52 51 50 53 50 51
    cpu/thread_pool W2   50.5 50.5 49.5 50.5 49.5 50 faster than thread in
                                                     every round
    cpu/thread W4        40 41 39 40 40 40           2.5x on 2 CPUs
    cpu/thread_pool W4   51 52 50 51 50 51
    cpu/gil W4           80 81 79 80 80 80           1.25x with one lock
    shift/serial W1      150 150 150 100 100 100     machine_speed 0.67 in
                                                     rounds 1-3
    shift/thread W2      75 75 50 50 50 50           machine_speed 0.67 in
                                                     rounds 1-2
    busy/serial W1       100 x 6
    blip/serial W1       100 x 6
    blip/thread W2       50 50 50 70 50 50           round 4: other_cpus
                                                     0.9, steal_cpus 0.1
    busy/thread W2       50 70 70 70 70 50           rounds 2-5: other_cpus
                                                     0.9 (round 4 + 0.1
                                                     steal)
    wobble/serial W1     100 x 6
    wobble/thread W2     50 58 58 58 58 50           rounds 2-5:
                                                     machine_speed 0.85
    wobble/thread_pool W2  52 x 6
    io/serial W1         400 x 6                     cpu_util 0.01
    io/thread W4         100 x 6                     cpu_util 0.04

tests/fixtures/steady_sequential.json: order sequential (no rounds), one
repetition a second from t = 0 in this order:

    cpu/serial W1        100 102 98 101              t = 0 1 2 3
    cpu/thread W2        50 51 49 52                 t = 4 5 6 7
    cpu/thread_pool W2   60 61 59 62                 t = 8 9 10 11

tests/fixtures/vm_rounds.json: three runs of a real 5-round run on a busy
2-CPU VM (other processes used about one CPU throughout).
"""

import json
import math
from collections import defaultdict

import pytest
from scipy.stats import wilcoxon

from cbscripts import FIXTURES, base_with
from concbench import load, pairing, rules, speedups, stats

ROUNDS = FIXTURES / "steady_rounds.json"
SEQUENTIAL = FIXTURES / "steady_sequential.json"
VM = FIXTURES / "vm_rounds.json"
BASE = FIXTURES / "base.json"
GB_A = FIXTURES / "gbench_a.json"

CPU_SERIAL = [100, 102, 98, 101, 99, 100]


def run_main(compare, capsys, *args):
    status = compare.main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    return out


def report_of(compare, capsys, *args):
    return json.loads(run_main(compare, capsys, "--format", "json", *args))


def summary_of(compare, capsys, *args):
    return report_of(compare, capsys, *args)["summaries"][0]


def row(summary, kernel, mode, workers):
    return next(r for r in summary["rows"] if r["kernel"] == kernel
                and r["mode"] == mode and r["workers"] == workers)


def best(summary, kernel, workers):
    return next(b for b in summary["best"]
                if b["kernel"] == kernel and b["workers"] == workers)


def median(values):
    ordered = sorted(values)
    n = len(ordered)
    return (ordered[(n - 1) // 2] + ordered[n // 2]) / 2


def hl90(ratios):
    """The verdicts' interval of six ratios, from its definition: the 3rd
    to the 19th of the 21 Walsh averages of their logs (the exact
    signed-rank test with 6 pairs: P(T <= 2) = 3 / 64 <= 5 % each side)."""
    logs = [math.log(r) for r in ratios]
    assert len(logs) == 6
    walsh = sorted((logs[i] + logs[j]) / 2 for i in range(6)
                   for j in range(i, 6))
    return [math.exp(walsh[2]), math.exp(walsh[18])]


def written(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


# ------------------------------------------------- the interval's method

@pytest.mark.parametrize("n, k, coverage", [
    (2, 1, 0.5), (3, 1, 0.75), (4, 1, 0.875), (5, 1, 0.9375),
    (6, 1, 0.96875), (8, 1, 0.9921875), (9, 2, 0.9609375),
    (10, 2, 0.978515625), (20, 6, 0.9586105346679688)])
def test_median_interval_order_statistics(compare, n, k, coverage):
    values = [float(v) for v in range(n, 0, -1)]     # 1 .. n, unsorted
    low, high, got = speedups.median_interval(values)
    assert (low, high) == (k, n + 1 - k)    # x_(k), x_(n+1-k)
    assert got == pytest.approx(coverage)


def test_coverage_is_the_binomial_one(compare):
    # P(x_(k) <= median <= x_(n+1-k)): of the 2^n ways the values fall
    # below or above the median, those with k to n - k below.
    for n in range(2, 15):
        for k in range(1, (n + 1) // 2 + 1):
            ways = sum(math.comb(n, below) for below in range(k, n - k + 1))
            assert stats.order_coverage(n, k) == pytest.approx(
                ways / 2 ** n)


def test_no_interval_from_one_value(compare):
    assert speedups.median_interval([2.0]) is None
    assert speedups.median_interval([]) is None


@pytest.mark.parametrize("alpha, pairs", [(0.05, 6), (0.1, 5), (0.01, 8),
                                          (0.2, 4)])
def test_min_pairs_is_where_the_exact_test_can_reach_alpha(compare, alpha,
                                                           pairs):
    assert stats.min_pairs(alpha) == pairs
    smallest = [wilcoxon([1.0 + i for i in range(n)]).pvalue
                for n in (pairs - 1, pairs)]
    assert smallest == pytest.approx([2 / 2 ** (pairs - 1), 2 / 2 ** pairs])
    assert smallest[0] >= alpha > smallest[1]


# ---------------------------------------------------------------- pairing

def test_round_pairing_known_answers(compare, capsys):
    summary = summary_of(compare, capsys, ROUNDS)
    thread = row(summary, "cpu", "thread", 2)
    ratios = [s / t for s, t in zip(CPU_SERIAL, [52, 51, 50, 53, 50, 51])]
    assert (thread["paired"], thread["pairing"], thread["pairs"]) == (
        True, "round", 6)
    assert thread["speedup"] == pytest.approx(median(ratios))  # 1.9604
    assert thread["speedup_ci"] == pytest.approx([min(ratios), max(ratios)])
    assert thread["speedup_ci_coverage"] == pytest.approx(1 - 2 / 64)
    assert thread["speedup_unpaired"] == pytest.approx(100 / 51)
    assert thread["cpu_limit"] == 2
    assert thread["efficiency"] == pytest.approx(median(ratios) / 2)
    assert thread["efficiency_ci"] == pytest.approx(
        [min(ratios) / 2, max(ratios) / 2])
    serial = row(summary, "cpu", "serial", 1)
    assert (serial["speedup"], serial["speedup_ci"]) == (1.0, [1.0, 1.0])


def test_pairing_takes_out_a_slow_spell_of_the_reference(compare, capsys,
                                                         tmp_path):
    # shift: serial was slow (canary 0.67) in rounds 1-3, thread in
    # rounds 1-2 only: round 3's pair, canaries 33 % apart, is left out;
    # the other five say 2.00x.
    thread = row(summary_of(compare, capsys, ROUNDS), "shift", "thread", 2)
    assert (thread["pairs"], thread["pairs_left_out"]) == (5, 1)
    assert thread["speedup"] == pytest.approx(2.0)       # 2 2 (3) 2 2 2
    assert thread["speedup_ci"] == pytest.approx([2.0, 2.0])
    assert thread["speedup_unpaired"] == pytest.approx(150 / 62.5)
    assert thread["flags"] == []
    # Without rounds and times the same figures are a ratio of medians:
    # 2.4x on 2 CPUs, impossible.
    data = json.loads(ROUNDS.read_text())
    for entry in data["benchmarks"]:
        del entry["round"], entry["t_start_s"]
    summary = summary_of(compare, capsys,
                         written(tmp_path, "unpaired.json", json.dumps(data)))
    thread = row(summary, "shift", "thread", 2)
    assert (thread["paired"], thread["pairing"]) == (False, "unpaired")
    assert (thread["speedup"], thread["speedup_ci"]) == (
        pytest.approx(2.4), None)
    assert thread["flags"] == ["impossible_speedup"]


def test_nearest_pairing_without_rounds(compare, capsys):
    summary = summary_of(compare, capsys, SEQUENTIAL)
    thread = row(summary, "cpu", "thread", 2)
    # All four start nearest serial's last repetition (t = 3, 101 ms).
    ratios = [101 / t for t in (50, 51, 49, 52)]
    assert (thread["pairing"], thread["pairs"]) == ("nearest", 4)
    assert thread["speedup"] == pytest.approx(median(ratios))
    assert thread["speedup_ci"] == pytest.approx([101 / 52, 101 / 49])
    assert thread["speedup_ci_coverage"] == pytest.approx(0.875)
    assert summary["steadiness"]["pairing"] == "nearest"
    assert any(n.startswith("no rounds: ") for n in summary["notes"])
    assert any(a.startswith("Measured without rounds")
               for a in summary["steadiness"]["advice"])


def test_pair_reps_directly(compare):

    def bench(counters):
        b = load.Bench("x")
        for c in counters:
            b.samples.append(1.0)
            b.reps.append(c)
        return b
    serial = bench([{"round": 1, "t_start_s": 0}, {"round": 2,
                                                  "t_start_s": 10}])
    later = bench([{"round": 2, "t_start_s": 11}, {"round": 3,
                                                  "t_start_s": 21}])
    assert pairing.pair_reps(later, serial) == ("round", [(0, 1)])
    timed = bench([{"t_start_s": 9}, {"t_start_s": 1}, {"t_start_s": 5}])
    assert pairing.pair_reps(timed, serial) == ("nearest", [(0, 1), (1, 0),
                                                       (2, 0)])
    assert pairing.pair_reps(bench([{}, {}]), serial) == ("unpaired", [])
    partly = bench([{"round": 1, "t_start_s": 0}, {"t_start_s": 10}])
    assert pairing.pair_reps(partly, serial)[0] == "nearest"


def test_task_cpu_correction_takes_out_a_spell_only_when_on(compare):
    # a's repetition ran in a slow spell: its tasks' CPU time 20 % above
    # its run's median, and its time with it. rules.CPU_CORRECT (off: it
    # made consecutive runs contradict each other) decides whether the
    # pair's ratio is corrected; a kernel that needs no CPU never is.
    side_a = pairing.Side(None, 1.0, True, 0.010)
    side_b = pairing.Side(None, 1.0, True, 0.010)
    machine = pairing.Machine(cpus=2)
    state = pairing.pair_state({"task_cpu_s": 0.012}, side_a,
                               {"task_cpu_s": 0.010}, side_b, machine)
    assert state.cpu_delta == pytest.approx(math.log(1.2))
    assert machine.cpu_correct is False
    assert pairing.corrected(1.2, state, machine, True) == 1.2
    machine.cpu_correct = True
    assert pairing.corrected(1.2, state, machine, True) == pytest.approx(1)
    assert pairing.corrected(1 / 1.2, state, machine, True,
                             -1) == pytest.approx(1)
    assert pairing.corrected(1.2, state, machine, False) == 1.2
    # Without task_cpu_s on a side (older files), nothing to correct by.
    bare = pairing.pair_state({}, side_a, {"task_cpu_s": 0.01}, side_b,
                              machine)
    assert bare.cpu_delta is None
    assert pairing.corrected(1.2, bare, machine, True) == 1.2


# ------------------------------------------------------------------ marks

@pytest.mark.parametrize("kernel, mode, workers, flags, words", [
    ("cpu", "thread", 4, ["impossible_speedup"], "low end 2.48x"),
    ("cpu", "gil", 4, ["gil_speedup"], "low end 1.24x above 1.05"),
    ("wobble", "thread", 2, ["unsteady_machine"],
     "4 of 6 pairs measured while the machine's speed moved: canaries up "
     "to 15% apart"),
    ("busy", "thread", 2, ["busy_machine"],
     "4 of 6 pairs measured while other work could stretch them by up to "
     "50% (up to 1.00 CPU of it beside 2.00 asked of 2 CPUs; the limit: "
     "15%)"),
    ("cpu", "thread", 2, [], None),
    ("cpu", "thread_pool", 4, [], None),
    ("io", "thread", 4, [], None),      # 4x on 2 CPUs: it needs no CPU
])
def test_each_mark_with_its_reason(compare, capsys, kernel, mode, workers,
                                   flags, words):
    r = row(summary_of(compare, capsys, ROUNDS), kernel, mode, workers)
    assert r["flags"] == flags
    assert len(r["flag_reasons"]) == len(flags)
    if words:
        assert r["flag_reasons"][0].startswith(flags[0] + ": ")
        assert words in r["flag_reasons"][0]


def test_cpu_bound_is_decided_from_serial_cpu_util(compare, capsys):
    summary = summary_of(compare, capsys, ROUNDS)
    assert row(summary, "cpu", "thread", 2)["cpu_bound"] is True
    assert row(summary, "io", "thread", 4)["cpu_bound"] is False
    old = summary_of(compare, capsys, BASE)     # no cpu_util at all
    assert {r["cpu_bound"] for r in old["rows"]} == {None}


def figures(**given):
    base = {"speedup": 1.0, "speedup_ci": None, "cpu_limit": 2,
            "cpu_bound": True, "disturbed_pairs": 0, "disturbed_by": []}
    return {**base, **given}


@pytest.mark.parametrize("mode, given, flagged", [
    ("thread", {"speedup": 2.08, "speedup_ci": [2.03, 2.3]}, False),
    ("thread", {"speedup": 2.08, "speedup_ci": [2.05, 2.3]}, True),
    ("thread", {"speedup": 2.1}, False),
    ("thread", {"speedup": 2.11}, True),      # median, no interval
    ("thread", {"speedup": 2.11, "speedup_ci": [1.9, 2.4]}, True),
    ("thread", {"speedup": 2.11, "cpu_bound": None}, False),
    ("thread", {"speedup": 1.1, "cpu_limit": 1}, True),
    ("gil", {"speedup": 1.1, "speedup_ci": [1.04, 1.2]}, False),
    ("gil", {"speedup": 1.1, "speedup_ci": [1.06, 1.2]}, True),
    ("gil", {"speedup": 1.15}, False),
    ("gil", {"speedup": 1.16}, True),
    ("gil", {"speedup": 1.16, "cpu_bound": False}, False),
])
def test_physical_bounds(compare, mode, given, flagged):
    machine = pairing.Machine(cpus=2)
    assert bool(speedups.row_flags(mode, figures(**given), machine)) \
        == flagged


def side(compare, demand, cpu_bound=True):
    return pairing.Side(None, demand, cpu_bound)


@pytest.mark.parametrize("cpus, demand, load, disturbed", [
    (2, 2.0, 0.30, False),      # stretch 1.15: the limit
    (2, 2.0, 0.31, True),
    (2, 1.0, 1.0, False),       # one CPU each
    (2, 1.0, 1.31, True),
    (16, 2.0, 0.5, False),      # half a CPU beside W = 2 on 16 CPUs
    (16, 16.0, 0.5, False),     # 3 %
    (16, 16.0, 2.4, False),     # 15 %
    (16, 16.0, 2.5, True),
    (2, 0.04, 1.9, False),      # io_sleep asks for almost nothing
])
def test_other_work_disturbs_what_could_be_short_of_cpus(
        compare, cpus, demand, load, disturbed):
    machine = pairing.Machine(cpus=cpus)
    quiet = {"other_cpus": 0.0, "steal_cpus": 0.0}
    busy = {"other_cpus": load - 0.1, "steal_cpus": 0.1}
    state = pairing.pair_state(busy, side(compare, demand), quiet,
                               side(compare, 1.0), machine)
    assert (state.kinds == {"busy"}) == disturbed
    assert state.stretch == pytest.approx(max(1.0, (demand + load) / cpus))


@pytest.mark.parametrize("noise, speeds, cpu_bound, disturbed", [
    (None, (1.0, 0.953), True, False),     # 1 / 0.953: 4.9 %, floor 5 %
    (None, (1.0, 0.95), True, True),
    (0.02, (1.0, 0.93), True, False),      # limit 4 x 2 % = 8 %
    (0.02, (1.0, 0.92), True, True),
    (None, (1.0, 0.5), False, False),      # a kernel that needs no CPU
])
def test_the_canary_matters_against_its_own_repeatability(
        compare, noise, speeds, cpu_bound, disturbed):
    floor = math.log1p(rules.CANARY_FLOOR)
    limit = floor if noise is None else max(floor, 4 * noise)
    machine = pairing.Machine(cpus=2, canary_noise=noise, canary_limit=limit)
    a = {"machine_speed": speeds[0]}
    b = {"machine_speed": speeds[1]}
    state = pairing.pair_state(a, side(compare, 1.0, cpu_bound), b,
                               side(compare, 1.0, cpu_bound), machine)
    assert ("canary" in state.kinds) == disturbed


def test_the_canarys_repeatability_is_read_from_the_run(compare, tmp_path):
    # 20 repetitions whose canaries alternate 1.00, 1.02: neighbours 2 %
    # apart, so the limit is 4 x 1.4826 x 2 % = 11.7 %.
    result = load.Result("x", "x", {}, {})
    bench = load.Bench("k/serial/tasks:1/workers:1")
    for i in range(20):
        bench.samples.append(1.0)
        bench.reps.append({"machine_speed": 1.0 if i % 2 else 1.02,
                           "t_start_s": float(i)})
    result.benches[bench.name] = bench
    machine = pairing.machine_of(result, 2)
    assert machine.canary_noise == pytest.approx(1.4826 * math.log(1.02))
    assert machine.canary_limit == pytest.approx(4 * 1.4826
                                                 * math.log(1.02))


def test_old_file_gets_what_can_be_computed(compare, capsys, tmp_path):
    summary = summary_of(compare, capsys, BASE)
    assert all((r["paired"], r["pairing"], r["speedup_ci"], r["flags"])
               == (False, "unpaired", None, []) for r in summary["rows"])
    assert any(n.startswith("unpaired: ") for n in summary["notes"])
    # With a cpu_util, k needs a CPU: 2.5x and 2.47x at W = 4 on 2 CPUs
    # are impossible, 2.0x at W = 2 is not.
    path = written(tmp_path, "util.json", BASE.read_text().replace(
        '"faults_per_task": 10}', '"faults_per_task": 10, "cpu_util": 1.0}'))
    summary = summary_of(compare, capsys, path)
    assert [(r["mode"], r["workers"]) for r in summary["rows"]
            if r["flags"]] == [("thread", 4), ("process", 4)]
    assert row(summary, "k", "thread", 4)["flags"] == ["impossible_speedup"]
    # The fastest at W = 4 is marked: undecided, never the runner-up.
    w4 = best(summary, "k", 4)
    assert (w4["verdict"], w4["reason"]) == ("undecided", "fastest_marked")
    assert w4["strategy"] == "thread"
    assert best(summary, "k", 2)["strategy"] == "thread"


@pytest.mark.parametrize("quota, cpus, source", [
    ('"1.5"', 1.5, "cpu_quota"), ('"1"', 1, "cpu_quota"),
    ('"4"', 2, "cpus_allowed"), ('"none"', 2, "cpus_allowed"),
    ('"unknown"', 2, "cpus_allowed"), ('"-1"', 2, "cpus_allowed")])
def test_cpu_quota_limits_the_cpus(compare, capsys, tmp_path, quota, cpus,
                                   source):
    path = written(tmp_path, "quota.json", base_with(
        '"cpus_allowed": "0-1",', f'"cpus_allowed": "0-1", "cpu_quota": '
                                  f'{quota},'))
    summary = summary_of(compare, capsys, path)
    assert (summary["cpus"], summary["cpus_source"]) == (cpus, source)
    thread = row(summary, "k", "thread", 2)       # 2.0x
    assert thread["cpu_limit"] == min(2, cpus)
    assert thread["efficiency"] == pytest.approx(2.0 / min(2, cpus))


# --------------------------------------------------------------- verdicts

def test_a_difference_of_one_to_five_percent_is_undecided(compare, capsys):
    # cpu W2: thread took 1 % to 5 % longer than thread_pool in every
    # round: significant (p = 2 / 2^6), but whether it is more than the
    # 2 % margin, six pairs cannot tell.
    w2 = best(summary_of(compare, capsys, ROUNDS), "cpu", 2)
    thread = [52, 51, 50, 53, 50, 51]
    pool = [50.5, 50.5, 49.5, 50.5, 49.5, 50]
    ratios = [t / p for t, p in zip(thread, pool)]
    assert (w2["strategy"], w2["runner_up"]) == ("thread_pool", "thread")
    assert (w2["verdict"], w2["reason"]) == ("undecided", "straddles")
    [other] = w2["others"]
    assert (other["strategy"], other["status"], other["pairs"]) == (
        "thread", "undecided", 6)
    assert other["ratio_ci"] == pytest.approx(hl90(ratios))
    assert (w2["test"], w2["pairs"]) == ("wilcoxon", 6)
    assert w2["p_value"] == pytest.approx(2 / 64)
    assert w2["margin_paired"] == pytest.approx(median(ratios))
    assert w2["margin"] == pytest.approx(51 / 50.25)
    assert (w2["flags"], w2["paired"]) == ([], True)
    assert w2["speedup_ci"] == row(summary_of(compare, capsys, ROUNDS),
                                   "cpu", "thread_pool", 2)["speedup_ci"]
    assert "undecided between thread_pool, thread" in w2["sentence"]


def test_within_the_margin_is_a_tie(compare, capsys):
    w1 = best(summary_of(compare, capsys, ROUNDS), "cpu", 1)
    assert (w1["strategy"], w1["runner_up"]) == ("serial", "thread")
    ratios = [t / s for t, s in zip([101, 101, 99, 100.5, 100, 99.5],
                                    CPU_SERIAL)]
    assert w1["p_value"] == pytest.approx(
        wilcoxon([math.log(r) for r in ratios]).pvalue)
    assert (w1["verdict"], w1["tie"]) == ("tie", ["serial", "thread"])
    [other] = w1["others"]
    assert other["ratio_ci"] == pytest.approx(hl90(ratios))
    assert w1["sentence"].startswith("tie within 2%: serial, thread")


def test_alpha_changes_the_test_shown_not_the_verdict(compare, capsys):
    summary = summary_of(compare, capsys, "--alpha", "0.01", ROUNDS)
    w1 = best(summary, "cpu", 1)
    assert (w1["test"], w1["p_value"], w1["verdict"]) == (
        "wilcoxon", None, "tie")


def test_without_rounds_the_interval_is_from_the_two_samples(compare,
                                                             capsys):
    w2 = best(summary_of(compare, capsys, SEQUENTIAL), "cpu", 2)
    assert (w2["strategy"], w2["runner_up"], w2["test"]) == (
        "thread", "thread_pool", "mann_whitney")
    assert w2["p_value"] == pytest.approx(2 / 70)     # separated, 4 + 4
    [other] = w2["others"]
    # 4 and 4 repetitions: the Moses interval at 90 % is the 2nd to 15th
    # of the 16 ratios (P(U <= 1) = 2 / 70 <= 5 % each side), coverage
    # 1 - 4 / 70.
    ratios = sorted(p / t for p in (60, 61, 59, 62) for t in (50, 51, 49, 52))
    assert other["pairing"] == "unpaired"
    assert other["ratio_ci"] == pytest.approx([ratios[1], ratios[14]])
    assert other["coverage"] == pytest.approx(1 - 4 / 70)
    assert (other["status"], w2["verdict"]) == ("slower", "clear")


def test_a_marked_fastest_row_is_never_replaced(compare, capsys):
    summary = summary_of(compare, capsys, ROUNDS)
    w4 = best(summary, "cpu", 4)   # thread (40 ms, 2.5x) is marked
    assert (w4["strategy"], w4["verdict"], w4["reason"]) == (
        "thread", "undecided", "fastest_marked")
    assert w4["flags"] == ["impossible_speedup"]
    assert w4["sentence"] == ("thread 2.50x fastest, faster than the CPUs "
                              "allow: rerun to confirm")
    # The others are still judged against it, marked ones too.
    assert {o["strategy"]: o["status"] for o in w4["others"]} == {
        "thread_pool": "slower", "gil": "slower"}


def test_a_disturbed_comparison_is_widened_not_decided(compare, capsys):
    # wobble: thread ran at canary 0.85 in rounds 2-5 (58 ms: it would
    # have taken 49 at full speed), thread_pool at 1.0 (52 ms). thread
    # measured slower, but by less than the canary moved: undecided,
    # thread_pool is not crowned for it.
    w2 = best(summary_of(compare, capsys, ROUNDS), "wobble", 2)
    assert (w2["strategy"], w2["verdict"], w2["reason"]) == (
        "thread_pool", "undecided", "disturbed")
    [other] = w2["others"]
    assert (other["disturbed_pairs"], other["pairs"]) == (4, 6)
    # by the canary and by what 0.05 CPU of other work could do beside 2
    # CPUs asked of 2: 2.05 / 2
    assert other["widened_by"] == pytest.approx(1.025 / 0.85)


def test_a_disturbed_pair_is_left_out_while_enough_are_left(compare,
                                                           capsys):
    # blip: round 4 of thread W2 ran beside a busy machine (0.9 + 0.1 CPU):
    # that pair is left out, the other five give 2.00x, nothing marked.
    summary = summary_of(compare, capsys, ROUNDS)
    blip = row(summary, "blip", "thread", 2)
    assert (blip["pairs"], blip["pairs_left_out"]) == (5, 1)
    assert blip["speedup"] == pytest.approx(2.0)
    assert blip["speedup_ci"] == pytest.approx([2.0, 2.0])
    assert blip["flags"] == []
    assert best(summary, "blip", 2)["strategy"] == "thread"
    # busy: four of six pairs disturbed, two left, too few: every pair
    # counts and the row is marked.
    busy = row(summary, "busy", "thread", 2)
    assert (busy["pairs"], busy["pairs_left_out"]) == (6, 0)
    assert busy["flags"] == ["busy_machine"]


def test_keep_pairs_rule(compare):
    ok = pairing.PairState(frozenset(), 1.0)
    bad = pairing.PairState(frozenset({"busy"}), 1.5)
    pairs = [(i, i) for i in range(6)]
    assert pairing.keep_pairs(pairs, [ok] * 6) == (pairs, [ok] * 6, 0)
    assert pairing.keep_pairs(pairs, [bad] + [ok] * 5) == (pairs[1:],
                                                         [ok] * 5, 1)
    assert pairing.keep_pairs(pairs, [bad] * 3 + [ok] * 3)[2] == 3
    states = [bad] * 4 + [ok] * 2
    assert pairing.keep_pairs(pairs, states) == (pairs, states, 0)


# ---------------------------------------------------------- steadiness

def test_steadiness_object(compare, capsys):
    steady = summary_of(compare, capsys, ROUNDS)["steadiness"]
    assert steady["machine_speed"] == pytest.approx(
        {"min": 0.67, "median": 1.0, "max": 1.0})
    assert steady["steal_cpus"] == pytest.approx({"median": 0, "max": 0.1})
    assert steady["other_cpus"] == pytest.approx({"median": 0.05,
                                                  "max": 0.9})
    assert (steady["order"], steady["rounds"], steady["pairing"]) == (
        "rounds", 6, "round")
    assert (steady["rows"], steady["rows_flagged"]) == (18, 4)
    assert steady["flag_counts"] == {
        "impossible_speedup": 1, "gil_speedup": 1, "unsteady_machine": 1,
        "busy_machine": 1}
    assert steady["verdicts"] == {"clear": 0, "tie": 1, "undecided": 3,
                                  "only_strategy": 9}
    advice = " ".join(steady["advice"])
    assert "quieter machine" in advice and "more rounds" in advice


def test_steadiness_of_an_old_file(compare, capsys):
    steady = summary_of(compare, capsys, BASE)["steadiness"]
    assert (steady["machine_speed"], steady["steal_cpus"],
            steady["other_cpus"]) == (None, None, None)
    assert (steady["pairing"], steady["rows_flagged"]) == ("unpaired", 0)
    assert "no per-repetition machine figures" in steady["advice"][0]


def test_quiet_machine_advice(compare, capsys, tmp_path):
    data = json.loads(SEQUENTIAL.read_text())
    data["context"].update(order="rounds", rounds="6")
    for entry in data["benchmarks"]:
        entry["round"] = entry["repetition_index"] + 1
    path = written(tmp_path, "quiet.json", json.dumps(data))
    steady = summary_of(compare, capsys, path)["steadiness"]
    assert steady["advice"] == ["Nothing marked: the machine was steady "
                                "enough for these figures."]


def test_real_run_on_a_busy_vm(compare, capsys):
    summary = summary_of(compare, capsys, VM)
    raw = defaultdict(dict)     # mode -> round -> time, read independently
    for entry in json.loads(VM.read_text())["benchmarks"]:
        mode = entry["label"].split()[1].removeprefix("mode=")
        raw[mode][entry["round"]] = entry["real_time"]
    for mode in ("thread_pool", "gil"):
        r = row(summary, "gmp_pow", mode, 2)
        ratios = [raw["serial"][k] / raw[mode][k] for k in raw[mode]]
        assert r["speedup"] == pytest.approx(median(ratios))
        assert r["speedup_ci"] == pytest.approx([min(ratios), max(ratios)])
        assert r["speedup_ci_coverage"] == pytest.approx(0.9375)
        assert r["flags"] == ["busy_machine"]
    w2 = best(summary, "gmp_pow", 2)
    assert (w2["verdict"], w2["reason"]) == ("undecided", "fastest_marked")
    # 5 rounds are enough for a verdict's 90 % interval.
    assert not any("rounds no" in a for a in summary["steadiness"]["advice"])


# ------------------------------------------------------------- contract

@pytest.mark.parametrize("path", [ROUNDS, SEQUENTIAL, VM, BASE, GB_A],
                         ids=lambda p: p.stem)
def test_json_contract(compare, capsys, path):
    report = report_of(compare, capsys, path)
    assert report["schema"] == "concbench-compare/2"
    assert report["min_pairs"] == 6
    for summary in report["summaries"]:
        assert set(summary["steadiness"]) >= {
            "machine_speed", "steal_cpus", "other_cpus", "rows",
            "rows_flagged", "flag_counts", "advice", "verdicts"}
        assert summary["steadiness"]["advice"]
        assert isinstance(summary["notes"], list)
        for entry in summary["rows"] + summary["best"]:
            assert isinstance(entry["flags"], list)
            assert set(entry["flags"]) <= set(
                ["impossible_speedup", "gil_speedup", "unsteady_machine",
                 "busy_machine"])
            ci = entry["speedup_ci"]
            assert ci is None or (len(ci) == 2 and ci[0] <= ci[1])
            assert isinstance(entry["paired"], bool)
        names = {r["name"]: r for r in summary["rows"]}
        for entry in summary["best"]:
            assert entry["verdict"] in ("clear", "tie", "undecided",
                                        "only_strategy")
            # Every row of the group is in the verdict: the fastest, then
            # each other one with its status.
            group = [r for r in summary["rows"]
                     if (r["kernel"], r["tasks"], r["workers"]) == (
                         entry["kernel"], entry["tasks"], entry["workers"])]
            assert len(entry["others"]) == len(group) - 1
            assert names[entry["name"]]["flags"] == entry["flags"]
            statuses = [o["status"] for o in entry["others"]]
            assert set(statuses) <= {"tied", "slower", "undecided",
                                     "faster"}
            assert entry["tie"][0] == entry["strategy"]
            assert len(entry["tie"]) - 1 + len(entry["slower"]) + len(
                entry["undecided"]) == len(statuses)
        assert set(summary["answer"]) >= {"margin", "cpus", "kernels",
                                          "verdicts"}


# ------------------------------------------------- text and markdown

def section(out, heading):
    """The lines of out from heading to the next heading."""
    lines = out[out.index(heading):].splitlines()
    end = next((i for i in range(2, len(lines)) if i + 1 < len(lines)
                and set(lines[i + 1]) == {"-"} and lines[i + 1][0] == "-"),
               len(lines))
    return lines[:end]


def test_text_summary_begins_with_the_answer(compare, capsys):
    out = run_main(compare, capsys, ROUNDS)
    assert out.index("Answer for steady_rounds (2 CPUs, margin 2%)") < \
        out.index("Context") < out.index("Steadiness and verdicts: "
                                         "steady_rounds") < out.index(
        "Speedup over serial: steady_rounds")
    steady = " ".join(" ".join(section(out, "Steadiness and")).split())
    assert ("machine: canary (machine_speed) 0.67 to 1.00, median 1.00, "
            "0.0% from one repetition to the next; steal median 0.00 CPU, "
            "max 0.10; other processes median 0.05 CPU, max 0.90") in steady
    assert "marked: 4 of 18 rows (impossible_speedup 1, gil_speedup 1, " \
           "unsteady_machine 1, busy_machine 1)" in steady
    assert "verdicts: 13 kernel and worker counts: 1 tie, 3 undecided, " \
           "9 only strategy" in steady
    assert "advice: Other processes or the hypervisor took up to 0.90 CPU" \
        in steady


def test_text_speedup_table_marks_and_lists_marked_rows(compare, capsys):
    lines = section(run_main(compare, capsys, ROUNDS), "Speedup over serial")
    cpu_thread = next(ln for ln in lines if ln.split()[:5] == [
        "cpu", "4", "100.0", "ms", "thread"])
    assert cpu_thread.split()[5:] == ["1.00x", "0.99-1.01", "1.96x",
                                      "1.91-2.00", "2.50x!", "2.48-2.52"]
    text = " ".join(" ".join(lines).split())
    assert "95% interval, distribution-free from order statistics" in text
    assert "! = marked" in text
    marked = lines[lines.index("Marked rows:"):]
    assert any(ln.split() == ["busy", "4", "thread", "2", "1.43x",
                              "busy_machine", "(stretch", "up", "to", "50%)"]
               for ln in marked)
    assert "busy_machine: most of the row's pairs with serial were " \
           "measured while other work could stretch them by more than " \
           "15%" in text


def test_text_verdict_table(compare, capsys):
    lines = section(run_main(compare, capsys, ROUNDS), "Verdict per kernel")
    cpu4 = next(ln for ln in lines if ln.split()[:3] == ["cpu", "4", "4"])
    assert cpu4.split()[3:6] == ["undecided", "thread", "2.50x"]
    assert "fastest marked: impossible_speedup" in cpu4
    cpu1 = next(ln for ln in lines if ln.split()[:3] == ["cpu", "4", "1"])
    assert cpu1.split()[3:7] == ["tie", "serial", "1.00x", "thread"]


def test_old_files_still_compare_unpaired_and_say_so(compare, capsys):
    out = run_main(compare, capsys, BASE)
    text = " ".join(out.split())
    assert "note: unpaired: without rounds" in text
    assert "speedup = serial median / median with n workers (same kernel " \
           "and tasks), unpaired" in text
    assert "2.00x 100%" in out           # speedup and efficiency, as before
    out = run_main(compare, capsys, BASE, ROUNDS)
    assert "Steadiness and verdicts: base" in out
    assert "Steadiness and verdicts: steady_rounds" in out
    lines = section(out, "Verdict per kernel and workers, by file")
    cpu = next(ln for ln in lines if ln.split()[:3] == ["cpu", "4", "4"])
    assert cpu.split()[3:] == ["-", "thread?", "(2.50x)"]


def test_output_widths(compare, capsys):
    out = run_main(compare, capsys, ROUNDS)
    tables = [ln for ln in out.splitlines() if ln.startswith("  ")]
    prose = [ln for ln in out.splitlines() if not ln.startswith("  ")]
    assert max(map(len, prose)) <= 79
    assert max(map(len, tables)) <= 160


def test_markdown_shows_the_same(compare, capsys):
    out = run_main(compare, capsys, "--format", "markdown", ROUNDS)
    rows = [[c.strip() for c in ln.strip("|").split(" | ")]
            for ln in out.splitlines() if ln.startswith("|")]
    assert ["cpu", "4", "100.0 ms", "thread", "1.00x  0.99-1.01",
            "1.96x  1.91-2.00", "2.50x! 2.48-2.52"] in rows
    assert any(r[:4] == ["cpu", "4", "4", "undecided"] for r in rows)
    assert "## Steadiness and verdicts: steady_rounds" in out
    assert "- marked: 4 of 18 rows" in out


# ------------------------------------------- dispatch cost (mpi_pool)

def dispatch_file(tmp_path, pp_ms, mpi_ms, rounds=True, tasks=4):
    """A run of process_pool and mpi_pool at W=2, one repetition a round:
    batch times in ms, mpi_pool's start 0.5 s."""
    context = json.loads(ROUNDS.read_text())["context"]
    entries = []
    for mode, times in (("process_pool", pp_ms), ("mpi_pool", mpi_ms)):
        name = f"k/{mode}/tasks:{tasks}/workers:2/manual_time"
        for i, t in enumerate(times):
            e = {"name": name, "run_name": name, "run_type": "iteration",
                 "repetitions": len(times), "repetition_index": i,
                 "threads": 1, "iterations": 1, "real_time": t,
                 "cpu_time": 0.1, "time_unit": "ms", "machine_speed": 1.0,
                 "other_cpus": 0.05, "steal_cpus": 0.0,
                 "t_start_s": 10.0 * i + (mode == "mpi_pool"),
                 "label": f"kernel=k mode={mode} tasks={tasks} workers=2"}
            if rounds:
                e["round"] = i + 1
            if mode == "mpi_pool":
                e["pool_start_s"] = 0.5
            entries.append(e)
    path = tmp_path / "dispatch.json"
    path.write_text(json.dumps({"context": context, "benchmarks": entries}))
    return path


def test_dispatch_cost_is_the_paired_difference_a_task(compare, capsys,
                                                       tmp_path):
    pp = [20.0, 30.0, 20.0, 20.0, 30.0, 20.0]
    # mpi_pool 0 to 1.2 ms a batch slower in its own round, 0.1 ms a task
    # of 4 in the median round (its median against process_pool's would
    # say 0.2 ms)
    mpi = [p + d for p, d in zip(pp, [0.4, 0.8, 0.4, 0.0, 0.4, 1.2])]
    path = dispatch_file(tmp_path, pp, mpi)
    summary = summary_of(compare, capsys, path)
    [d] = summary["dispatch"]
    diffs = [(m - p) / 4 / 1e3 for m, p in zip(mpi, pp)]
    assert (d["kernel"], d["tasks"], d["workers"], d["mode"],
            d["reference"], d["pairing"], d["pairs"]) == (
        "k", 4, 2, "mpi_pool", "process_pool", "round", 6)
    assert d["extra_per_task_s"] == pytest.approx(median(diffs))
    assert d["extra_per_task_ci"] == pytest.approx(
        [sorted(diffs)[0], sorted(diffs)[-1]])
    assert d["median_s"] == pytest.approx(median(mpi) / 1e3)
    assert d["reference_median_s"] == pytest.approx(median(pp) / 1e3)
    assert d["pool_start_s"] == pytest.approx(0.5)
    text = run_main(compare, capsys, path)
    section = text[text.index("Dispatch cost: mpi_pool against "
                              "process_pool"):]
    line = next(ln for ln in section.splitlines()
                if ln.split()[:3] == ["k", "4", "2"])
    assert line.split()[3:] == ["20.00", "ms", "20.80", "ms", "100.00", "us",
                                "0.000", "ns", "to", "300.0", "us", "500.0",
                                "ms", "-"]
    assert "(paired in rounds)" in " ".join(section.split())


def test_dispatch_cost_without_rounds_pairs_by_time(compare, capsys,
                                                    tmp_path):
    path = dispatch_file(tmp_path, [20.0] * 6, [20.8] * 6, rounds=False)
    [d] = summary_of(compare, capsys, path)["dispatch"]
    assert d["pairing"] == "nearest"
    assert d["extra_per_task_s"] == pytest.approx(0.8 / 4 / 1e3)


def test_no_dispatch_section_without_both_modes(compare, capsys):
    assert summary_of(compare, capsys, ROUNDS)["dispatch"] == []
    assert "Dispatch cost" not in run_main(compare, capsys, ROUNDS)
