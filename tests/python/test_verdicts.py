"""The verdict rules (issue 16; scripts/cbrules.py, docs/verdicts.md) on
result files made to order here, so that each answer is known by
construction: a file of R rounds, each benchmark's time per round given,
with the machine's figures beside each repetition (canary, other work,
the CPUs concbench used) set per case.
"""

import json
import random

import pytest

from cbscripts import ROOT

MODES = ("serial:single_worker thread process thread_pool:pool,chunked "
         "process_pool:pool,chunked spawn:fresh_image "
         "forkserver:pool,fresh_image gil async openmp:pool")


def result_file(tmp_path, name, runs, cpus=2, rounds=6, extra=None):
    """A concbench result file. runs: {(kernel, mode, W): times} with
    times in ms, one a round, or a dict of per-round lists: "time", and
    any of "machine_speed", "other_cpus", "own_cpus", "cpu_util" (a
    number for every round, or a list). Defaults: a steady machine
    (canary 1.0, 0.02 CPU of other work), own_cpus min(W, CPUs) and
    cpu_util 1.0 (a kernel that needs a CPU)."""
    entries = []
    t = 0.0
    for k in range(rounds):
        for index, ((kernel, mode, workers), spec) in enumerate(runs.items()):
            if not isinstance(spec, dict):
                spec = {"time": spec}
            given = {"machine_speed": 1.0, "other_cpus": 0.02,
                     "steal_cpus": 0.0, "own_cpus": min(workers, cpus),
                     "cpu_util": 1.0, **spec}
            value = {key: (v[k] if isinstance(v, list) else v)
                     for key, v in given.items()}
            name_ = f"{kernel}/{mode}/tasks:16/workers:{workers}/manual_time"
            entries.append({
                "name": name_, "family_index": index,
                "per_family_instance_index": 0, "run_name": name_,
                "run_type": "iteration", "repetitions": rounds,
                "repetition_index": k, "threads": 1, "iterations": 1,
                "real_time": value.pop("time"), "cpu_time": 0.1,
                "time_unit": "ms", "round": k + 1, "t_start_s": t,
                "t_end_s": t + 0.1,
                "label": f"kernel={kernel} mode={mode} tasks=16 "
                         f"workers={workers}"
                         # openmp's label has carried its wait policy since
                         # issue 21; one without is from before (names.py)
                         + (" wait=passive" if mode == "openmp" else ""),
                **value})
            t += 0.2
    context = {"host_name": name, "num_cpus": cpus,
               "cpus_allowed": str(cpus), "cpus_online": str(cpus),
               "cpu_quota": "none", "cpu_model": f"CPU {cpus}",
               "order": "rounds", "rounds": str(rounds), "modes": MODES,
               "tasks": "16", "build_type": "release",
               "library_build_type": "release", **(extra or {})}
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({"context": context, "benchmarks": entries}))
    return path


def report(compare, capsys, *args):
    status = compare.main(["--format", "json", *map(str, args)])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    return json.loads(out)


def summary(compare, capsys, path, *args):
    return report(compare, capsys, *args, path)["summaries"][0]


def verdict(s, kernel, workers):
    return next(b for b in s["best"]
                if (b["kernel"], b["workers"]) == (kernel, workers))


def jitter(seed, n, spread):
    rng = random.Random(seed)
    return [1 + rng.uniform(-spread, spread) for _ in range(n)]


# ------------------------------------------------------------ the rule

def test_clearly_best(compare, capsys, tmp_path):
    path = result_file(tmp_path, "clear", {
        ("k", "serial", 1): [100, 101, 99, 100, 100, 101],
        ("k", "thread", 2): [50, 50.5, 49.5, 50, 50.2, 50.1],
        ("k", "process", 2): [60, 61, 59, 60, 60.5, 60]})
    v = verdict(summary(compare, capsys, path), "k", 2)
    assert (v["verdict"], v["strategy"], v["slower"]) == (
        "clear", "thread", ["process"])
    assert v["sentence"].startswith("thread 2.00x clearly best: every other "
                                    "strategy at least 20% slower")


def test_a_significant_fifth_of_a_percent_is_a_tie(compare, capsys,
                                                   tmp_path):
    # async 0.2 % faster than thread_pool in every round: the paired test
    # says p = 2 / 2^6, but 0.2 % is below the margin.
    path = result_file(tmp_path, "tie", {
        ("io", "serial", 1): {"time": 1600, "cpu_util": 0.001},
        ("io", "async", 16): {"time": [100.0, 100.1, 100.0, 100.05, 100.0,
                                       100.1], "cpu_util": 0.001},
        ("io", "thread_pool", 16): {"time": [100.2, 100.3, 100.2, 100.25,
                                             100.2, 100.3],
                                    "cpu_util": 0.001}})
    v = verdict(summary(compare, capsys, path), "io", 16)
    assert v["p_value"] == pytest.approx(2 / 64)
    assert (v["verdict"], v["tie"]) == ("tie", ["async", "thread_pool"])


def test_a_difference_that_may_be_above_or_below_the_margin_is_undecided(
        compare, capsys, tmp_path):
    path = result_file(tmp_path, "undecided", {
        ("k", "serial", 1): 100,
        ("k", "thread", 2): [50, 50, 50, 50, 50, 50],
        ("k", "thread_pool", 2): [50.5, 51.5, 50.2, 51.8, 50.9, 51.2]})
    v = verdict(summary(compare, capsys, path), "k", 2)
    assert (v["verdict"], v["reason"], v["undecided"]) == (
        "undecided", "straddles", ["thread_pool"])
    assert "more rounds (--rounds=auto) can decide" in v["sentence"]


def test_too_few_rounds_decide_nothing(compare, capsys, tmp_path):
    # 4 rounds: no interval reaches 90 %, however far apart.
    path = result_file(tmp_path, "few", {
        ("k", "serial", 1): 100, ("k", "thread", 2): 50,
        ("k", "process", 2): 90}, rounds=4)
    v = verdict(summary(compare, capsys, path), "k", 2)
    assert (v["verdict"], v["reason"]) == ("undecided", "too_few")


def test_a_marked_fastest_row_is_named_never_replaced(compare, capsys,
                                                     tmp_path):
    # thread is fastest, but measured while other work took a CPU in four
    # rounds (stretch (2 + 1) / 2 = 1.5): undecided, and thread_pool,
    # slower in every round, is not crowned for being unmarked.
    busy = [0.02, 1.0, 1.0, 1.0, 1.0, 0.02]
    path = result_file(tmp_path, "marked", {
        ("k", "serial", 1): 100,
        ("k", "thread", 2): {"time": 50, "other_cpus": busy},
        ("k", "thread_pool", 2): 55})
    s = summary(compare, capsys, path)
    v = verdict(s, "k", 2)
    assert (v["strategy"], v["verdict"], v["reason"]) == (
        "thread", "undecided", "fastest_marked")
    assert v["flags"] == ["busy_machine"]
    assert v["sentence"] == ("thread 2.00x fastest, measured while other "
                             "work took CPUs: rerun to confirm")
    [k] = s["answer"]["kernels"]
    assert (k["strategy"], k["verdict"]) == ("thread", "undecided")


def test_a_strategy_slowed_by_other_work_does_not_crown_another(
        compare, capsys, tmp_path):
    # A hog took a CPU during rounds 2-5 while thread_pool ran: it measured
    # 70 ms there against thread's 50. Its row is marked, with the reason,
    # and the verdict is undecided, not "thread clearly best".
    hog = [0.02, 1.0, 1.0, 1.0, 1.0, 0.02]
    path = result_file(tmp_path, "hog", {
        ("k", "serial", 1): 100,
        ("k", "thread", 2): 50,
        ("k", "thread_pool", 2): {"time": [50, 70, 70, 70, 70, 50],
                                  "other_cpus": hog}})
    s = summary(compare, capsys, path)
    pool = next(r for r in s["rows"] if r["mode"] == "thread_pool")
    assert pool["flags"] == ["busy_machine"]
    assert "could stretch them by up to 50%" in pool["flag_reasons"][0]
    v = verdict(s, "k", 2)
    assert (v["strategy"], v["verdict"], v["reason"]) == (
        "thread", "undecided", "disturbed")
    [other] = v["others"]
    assert (other["disturbed_pairs"], other["widened_by"]) == (
        4, pytest.approx(1.5))


def test_one_disturbed_round_is_left_out(compare, capsys, tmp_path):
    # The same hog for one round only: that pair is left out, the row is
    # not marked, and its speedup is the other rounds'.
    hog = [0.02, 1.0, 0.02, 0.02, 0.02, 0.02]
    path = result_file(tmp_path, "blip", {
        ("k", "serial", 1): 100,
        ("k", "thread_pool", 2): {"time": [50, 70, 50, 50, 50, 50],
                                  "other_cpus": hog}})
    pool = next(r for r in summary(compare, capsys, path)["rows"]
                if r["mode"] == "thread_pool")
    assert (pool["flags"], pool["pairs"], pool["pairs_left_out"]) == (
        [], 5, 1)
    assert pool["speedup"] == pytest.approx(2.0)


# ---------------------------------------------- suspicion that fits

def test_a_16_cpu_machine_with_jitter_and_half_a_cpu_marks_nothing(
        compare, capsys, tmp_path):
    # A steady 16-CPU machine: its canary jitters by +-6 % from one
    # repetition to the next (the times do not follow it), and half a CPU
    # of other work runs throughout. Neither is a mark: the canary is
    # judged against its own repeatability, the load against the CPUs.
    runs = {("cpu", "serial", 1): 100}
    for mode, w, t in (("thread", 2, 50.5), ("thread", 16, 7.9),
                       ("thread_pool", 16, 6.8), ("openmp", 16, 6.7),
                       ("process", 16, 19.6), ("gil", 16, 101)):
        runs[("cpu", mode, w)] = t
    for n, key in enumerate(list(runs)):
        runs[key] = {"time": runs[key], "other_cpus": 0.5,
                     "machine_speed": jitter(n, 6, 0.06)}
    s = summary(compare, capsys, result_file(tmp_path, "sixteen", runs,
                                             cpus=16))
    assert [r["flags"] for r in s["rows"] if r["flags"]] == []
    assert s["steadiness"]["rows_flagged"] == 0
    v16 = verdict(s, "cpu", 16)
    assert (v16["verdict"], v16["tie"]) == ("tie", ["openmp", "thread_pool"])
    assert v16["slower"] == ["thread", "process", "gil"]


def test_an_io_row_beside_a_moving_canary_is_not_marked(compare, capsys,
                                                         tmp_path):
    # io_sleep does not depend on the CPU's speed: a canary at 0.7 in four
    # rounds marks nothing.
    slow = [1.0, 0.7, 0.7, 0.7, 0.7, 1.0]
    path = result_file(tmp_path, "io", {
        ("io", "serial", 1): {"time": 1600, "cpu_util": 0.001,
                              "own_cpus": 0.001},
        ("io", "thread", 16): {"time": 100.3, "cpu_util": 0.001,
                               "own_cpus": 0.01, "machine_speed": slow},
        ("io", "async", 16): {"time": 100.1, "cpu_util": 0.001,
                              "own_cpus": 0.002}})
    s = summary(compare, capsys, path)
    assert [r["flags"] for r in s["rows"]] == [[], [], []]
    assert verdict(s, "io", 16)["verdict"] == "tie"


def test_the_same_canary_marks_a_cpu_row(compare, capsys, tmp_path):
    # (Other kernels' rows beside it, at a steady canary, are what the
    # canary's repeatability is read from: neighbours mostly alike.)
    slow = [1.0, 0.7, 0.7, 0.7, 0.7, 1.0]
    runs = {("k", "serial", 1): 100,
            ("k", "thread", 2): {"time": [50, 71, 71, 71, 71, 50],
                                 "machine_speed": slow}}
    for w in (1, 2, 4, 8, 16):
        runs[("other", "thread", w)] = 10
    path = result_file(tmp_path, "cpu", runs)
    thread = next(r for r in summary(compare, capsys, path)["rows"]
                  if r["mode"] == "thread")
    assert thread["flags"] == ["unsteady_machine"]
    assert "canaries up to 30% apart" in thread["flag_reasons"][0]


# -------------------------------------------------------- the answer

def test_the_answer_picks_the_smallest_w_as_good_as_the_best(
        compare, capsys, tmp_path):
    path = result_file(tmp_path, "answer", {
        ("k", "serial", 1): 100, ("k", "thread", 2): 50.5,
        ("k", "thread_pool", 2): 50.0, ("k", "thread", 4): 50.4,
        ("k", "thread_pool", 4): 50.2, ("k", "process", 4): 90.0})
    s = summary(compare, capsys, path)
    [k] = s["answer"]["kernels"]
    assert (k["workers"], k["use"], k["verdict"]) == (
        2, ["thread_pool", "thread"], "tie")
    assert k["more_workers_no_better"]
    costs = {a["strategy"]: a for a in k["alternatives"]}
    assert set(costs) == {"process", "serial"}
    assert costs["process"]["workers"] == 4
    assert costs["process"]["cost"] == pytest.approx(90 / 50 - 1)
    assert costs["process"]["why"] == "a process per task"
    assert s["answer"]["verdicts"] == {"clear": 0, "tie": 2, "undecided": 0,
                                       "only_strategy": 1, "total": 3}


def test_an_alternative_within_the_margin_at_more_workers_is_near(
        compare, capsys, tmp_path):
    # W = 2's fastest is within 2 % of W = 4's, so the answer is W = 2;
    # openmp's best (W = 4) is then 1 % faster than the answer: "within
    # 2 % at W=4", not a cost of -1 %.
    path = result_file(tmp_path, "near", {
        ("k", "serial", 1): 100, ("k", "thread_pool", 2): 50.5,
        ("k", "openmp", 2): 60.0, ("k", "thread_pool", 4): 60.0,
        ("k", "openmp", 4): 50.0, ("k", "process", 4): 90.0})
    s = summary(compare, capsys, path)
    [k] = s["answer"]["kernels"]
    assert (k["workers"], k["use"]) == (2, ["thread_pool"])
    costs = {a["strategy"]: a for a in k["alternatives"]}
    assert costs["openmp"]["workers"] == 4
    assert costs["openmp"]["cost"] == pytest.approx(50 / 50.5 - 1)
    assert costs["openmp"]["near"] and not costs["process"]["near"]
    assert compare.main([str(path)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "k: openmp within 2% at W=4, process +78%" in out


def test_the_answer_says_when_more_rounds_would_decide(compare, capsys,
                                                       tmp_path):
    # Three rounds: a strategy twice as slow is still undecided (a verdict
    # needs 5 pairs), and the answer says why; an alternative within the
    # margin at the answer's own W is named without its W.
    path = result_file(tmp_path, "few", {
        ("k", "serial", 1): 100, ("k", "thread", 2): 50,
        ("k", "process", 2): 100}, rounds=3)
    assert compare.main([str(path), "--answer"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "undecided against process: too few rounds" in out
    # thread tied with thread_pool at W = 2, openmp undecided: the answer
    # is thread_pool alone, and thread "within 2%" (its W is the answer's).
    path = result_file(tmp_path, "same-w", {
        ("k", "serial", 1): 100, ("k", "thread_pool", 2): 50.0,
        ("k", "thread", 2): 50.2,
        ("k", "openmp", 2): [49.0, 53.0, 50.0, 52.5, 49.5, 52.0]})
    capsys.readouterr()
    assert compare.main([str(path), "--answer"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "undecided against openmp" in out, out
    assert "k: thread within 2%," in out or out.endswith(
        "k: thread within 2%"), out


def test_the_answer_comes_first(compare, capsys, tmp_path):
    path = result_file(tmp_path, "first", {
        ("k", "serial", 1): 100, ("k", "thread", 2): 50,
        ("k", "process", 2): 80})
    assert compare.main([str(path)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    start = lines.index("Answer for first (2 CPUs, margin 2%)")
    assert start < 8
    row = next(ln for ln in lines[start:] if ln.split()[:1] == ["k"])
    assert row.split()[3:] == ["thread", "2", "2.00x", "clearly", "best"]
    assert "  k: process +60%, serial 2x" in out
    assert "Why: process: a process per task; serial: one task at a time." \
        in " ".join(out.split())


def test_margin_from_the_run_and_from_the_flag(compare, capsys, tmp_path):
    runs = {("k", "serial", 1): 100, ("k", "thread", 2): 50,
            ("k", "thread_pool", 2): 52}
    path = result_file(tmp_path, "margin", runs, extra={"margin": "0.05"})
    s = summary(compare, capsys, path)
    assert (s["margin"], verdict(s, "k", 2)["verdict"]) == (0.05, "tie")
    s = summary(compare, capsys, path, "--margin", "2%")
    assert (s["margin"], verdict(s, "k", 2)["verdict"]) == (0.02, "clear")


@pytest.mark.parametrize("bad", ["0", "-1%", "60%", "x", "0.6"])
def test_a_bad_margin_is_one_line(compare, capsys, tmp_path, bad):
    path = result_file(tmp_path, "m", {("k", "serial", 1): 100})
    with pytest.raises(SystemExit) as e:
        compare.main(["--margin", bad, str(path)])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--margin" in err


# ------------------------------------------------ machines side by side

def test_machines_of_different_shapes_side_by_side(compare, capsys,
                                                   tmp_path):
    small = result_file(tmp_path, "two", {
        ("k", "serial", 1): 100, ("k", "thread", 16): 51,
        ("k", "process", 16): 60}, cpus=2)
    big = result_file(tmp_path, "sixteen", {
        ("k", "serial", 1): 235, ("k", "thread", 16): 18.5,
        ("k", "process", 16): 46}, cpus=16)
    r = report(compare, capsys, small, big)
    assert r["comparison"]["geomean"] == []
    assert "different numbers of CPUs (2, 16)" in \
        r["comparison"]["geomean_left_out"]
    machines = r["machines"]
    assert machines["differ"]
    two, sixteen = machines["machines"]
    assert (two["cpus"], sixteen["cpus"]) == (2, 16)
    [single] = sixteen["single_task"]
    assert single["versus_first"] == pytest.approx(2.35)
    assert [(b["workers"], b["strategy"], round(b["speedup"], 1))
            for b in sixteen["best"]] == [(1, "serial", 1.0),
                                          (16, "thread", 12.7)]
    assert compare.main([str(small), str(big)]) == 0
    out = capsys.readouterr().out
    assert out.index("Machines side by side") < out.index("Context")
    assert "Geometric mean" not in out
    assert "No geometric mean of the ratios: the files come from machines " \
           "with different numbers of CPUs (2, 16)" in " ".join(out.split())


# ------------------------------------------------ files kept in docs/

KEPT = sorted((ROOT / "docs").rglob("*.json"))


@pytest.mark.parametrize("path", KEPT, ids=lambda p: p.name)
def test_every_kept_file_gets_verdicts_none_by_elimination(compare, capsys,
                                                           path):
    data = json.loads(path.read_text())
    if "benchmarks" not in data:
        pytest.skip("not a result file")
    for s in report(compare, capsys, path)["summaries"]:
        for v in s["best"]:
            assert v["verdict"] in ("clear", "tie", "undecided",
                                    "only_strategy")
            group = [r for r in s["rows"]
                     if (r["kernel"], r["tasks"], r["workers"]) == (
                         v["kernel"], v["tasks"], v["workers"])]
            fastest = min(r["median_s"] for r in group)
            if v["verdict"] in ("clear", "tie"):
                crowned = [r for r in group if r["strategy"] in v["tie"]]
                # None is more than the margin slower than another row.
                assert all(r["median_s"] <= fastest * (1 + s["margin"])
                           for r in crowned), (path.name, v)
