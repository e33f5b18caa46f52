"""Tests of scripts/compare on hand-made fixtures with known answers.

tests/fixtures/base.json and new.json (times in ms, 5 repetitions unless
said, CPUs allowed "0-1" = 2 while num_cpus is 4):

    benchmark          base                      new
    k/serial W1        100 102 98 101 99         110 112 108 111 109
                       faults_per_task 10        faults_per_task 12
    k/thread W2        50 51 49 52 48            same
    k/thread W4        40 41 39 42 38            same
    k/process W2       80 81 79 82 78            same
    k/process W4       40.5 41.5 39.5 42.5 38.5  same
    few/serial W1      10 10.5 9.5 (3 reps)      12.1 12.0 12.2 (3 reps)
    bad/thread W2      valid                     errored "batch timed out"
    gone/thread W2     present                   -
    fresh/thread W2    -                         present

gbench_a.json / gbench_b.json come from "another" Google Benchmark program:
no concbench names or context keys, units ns/us/ms/s, mostly 1 repetition.

labelled.json is base.json as the C driver writes it since issue 10: every
entry has a label ("kernel=k mode=thread tasks=4 workers=2") and the context
a "modes" list, in which process comes before thread (unlike MODE_ORDER).
"""

import json
import math
import os
import re
import shutil
import subprocess
import sys

import pytest

from cbscripts import (BAD_FIXTURES, FIXTURES, MAX_DEPTH, SCRIPTS, UNUSABLE,
                       base_with, exact_mann_whitney_p, make_unusable,
                       one_line_error, run_script, with_deep_context)
from concbench import formats, load, names

BASE = FIXTURES / "base.json"
NEW = FIXTURES / "new.json"
GB_A = FIXTURES / "gbench_a.json"
GB_B = FIXTURES / "gbench_b.json"
LABELLED = FIXTURES / "labelled.json"
K_SERIAL = "k/serial/tasks:4/workers:1/manual_time"
FEW = "few/serial/tasks:4/workers:1/manual_time"


def run_main(compare, capsys, *args):
    """compare's main in this process: (exit status, stdout)."""
    status = compare.main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert err == ""
    return status, out


def report_of(compare, capsys, *paths):
    status, out = run_main(compare, capsys, "--format", "json", *paths)
    assert status == 0
    return json.loads(out)


def bench(report, name):
    return next(b for b in report["comparison"]["benchmarks"]
                if b["name"] == name)


def row(summary, kernel, mode, workers):
    return next(r for r in summary["rows"] if r["kernel"] == kernel
                and r["mode"] == mode and r["workers"] == workers)


def best(summary, kernel, workers):
    return next(b for b in summary["best"]
                if b["kernel"] == kernel and b["workers"] == workers)


# ------------------------------------------------------- one-file summary

def test_speedup_and_efficiency_use_allowed_cpus(compare, capsys):
    summary = report_of(compare, capsys, BASE)["summaries"][0]
    assert (summary["cpus"], summary["cpus_source"]) == (2, "cpus_allowed")
    # speedup = 100 / median; efficiency = speedup / min(W, 2)
    expected = {("thread", 2): (2.0, 1.0), ("thread", 4): (2.5, 1.25),
                ("process", 2): (1.25, 0.625),
                ("process", 4): (100 / 40.5, 100 / 40.5 / 2)}
    for (mode, workers), (speedup, efficiency) in expected.items():
        r = row(summary, "k", mode, workers)
        assert r["speedup"] == pytest.approx(speedup)
        assert r["efficiency"] == pytest.approx(efficiency)


def test_aggregates_are_not_counted_as_repetitions(compare, capsys):
    summary = report_of(compare, capsys, BASE)["summaries"][0]
    serial = row(summary, "k", "serial", 1)
    assert (serial["n"], serial["median_s"]) == (5, pytest.approx(0.1))
    assert serial["q1_s"] == pytest.approx(0.099)    # 98 99 [100] 101 102
    assert serial["q3_s"] == pytest.approx(0.101)


def test_best_strategy_with_runner_up_and_u_test(compare, capsys):
    # An older file: no rounds, so each comparison is from the two samples.
    summary = report_of(compare, capsys, BASE)["summaries"][0]
    w1, w2, w4 = (best(summary, "k", w) for w in (1, 2, 4))
    assert (w1["strategy"], w1["verdict"]) == ("serial", "only_strategy")
    assert (w2["strategy"], w2["runner_up"]) == ("thread", "process")
    assert w2["margin"] == pytest.approx(1.6)
    assert w2["p_value"] == pytest.approx(2 / 252)   # fully separated 5 + 5
    assert w2["verdict"] == "clear"
    [process] = w2["others"]
    assert (process["pairing"], process["status"]) == ("unpaired", "slower")
    assert (w4["strategy"], w4["runner_up"]) == ("thread", "process")
    assert w4["p_value"] == pytest.approx(exact_mann_whitney_p(
        [40, 41, 39, 42, 38], [40.5, 41.5, 39.5, 42.5, 38.5]))
    # 1 % apart with 5 % of spread: no telling whether more than 2 %.
    assert (w4["verdict"], w4["reason"]) == ("undecided", "straddles")


def test_one_file_text_ends_with_best_strategy_table(compare, capsys):
    status, out = run_main(compare, capsys, BASE)
    assert status == 0
    assert "Comparison with" not in out
    tail = out[out.rindex("Verdict per kernel and workers: base"):]
    assert "Speedup over serial" not in tail
    line = next(ln for ln in tail.splitlines() if ln.split()[:3] == [
        "k", "4", "2"])
    assert line.split()[3:7] == ["clearly", "best", "thread", "2.00x"]
    assert "No serial run, so no speedup, for: bad (4 tasks), gone (4 " \
           "tasks)." in " ".join(out.split())


def test_one_file_lists_its_errored_runs(compare, capsys):
    status, out = run_main(compare, capsys, NEW)
    assert status == 0
    errored = out[out.index("Errored: new"):].splitlines()
    assert errored[2] == "  bad/thread/tasks:4/workers:2: batch timed out"


# ------------------------------------------------------------ comparison

def test_ratio_u_test_and_verdict(compare, capsys):
    report = report_of(compare, capsys, BASE, NEW)
    serial = bench(report, K_SERIAL)
    assert [f["median_s"] for f in serial["files"]] == pytest.approx(
        [0.100, 0.110])
    vs = serial["versus_baseline"][0]
    assert vs["ratio"] == pytest.approx(1.1)
    assert vs["p_value"] == pytest.approx(2 / 252)
    assert vs["verdict"] == "slower"
    same = bench(report, "k/thread/tasks:4/workers:2/manual_time")
    assert same["versus_baseline"][0]["ratio"] == pytest.approx(1.0)
    assert same["versus_baseline"][0]["verdict"] == "no_difference"


def test_too_few_repetitions(compare, capsys):
    few = bench(report_of(compare, capsys, BASE, NEW), FEW)
    vs = few["versus_baseline"][0]
    assert [f["n"] for f in few["files"]] == [3, 3]
    assert vs["ratio"] == pytest.approx(1.21)
    assert (vs["p_value"], vs["verdict"]) == (None, "too_few_repetitions")
    status, out = run_main(compare, capsys, BASE, NEW)
    line = next(ln for ln in out.splitlines()
                if ln.strip().startswith("few/serial/tasks:4/workers:1 "))
    assert line.endswith("too few repetitions to tell")


def test_geomean_over_common_valid_benchmarks(compare, capsys):
    geo = report_of(compare, capsys, BASE, NEW)["comparison"]["geomean"]
    # six valid in both: ratios 1.1, 1.21 and four times 1.0
    assert geo == [{"file": 1, "ratio": pytest.approx(math.sqrt(1.1)),
                    "count": 6}]


def test_only_in_some_and_errored_are_listed(compare, capsys):
    comp = report_of(compare, capsys, BASE, NEW)["comparison"]
    assert comp["only_in_some"] == [
        {"name": "gone/thread/tasks:4/workers:2/manual_time",
         "present_in": [0]},
        {"name": "fresh/thread/tasks:4/workers:2/manual_time",
         "present_in": [1]}]
    assert comp["errored"] == [
        {"name": "bad/thread/tasks:4/workers:2/manual_time",
         "errored_in": [1], "messages": [None, "batch timed out"]}]
    status, out = run_main(compare, capsys, BASE, NEW)
    listed = out[out.index("Present in only some files"):]
    assert "gone/thread/tasks:4/workers:2   base" in listed
    assert "fresh/thread/tasks:4/workers:2  new" in listed
    assert "bad/thread/tasks:4/workers:2  new: batch timed out" in out


def test_counter_change(compare, capsys):
    report = report_of(compare, capsys, BASE, NEW)
    faults = bench(report, K_SERIAL)["counters"]
    assert faults == [{"name": "faults_per_task",
                       "medians": [pytest.approx(10), pytest.approx(12)],
                       "change": [pytest.approx(0.2)]}]
    status, out = run_main(compare, capsys, BASE, NEW)
    line = next(ln for ln in out.splitlines()
                if ln.split()[:1] == ["k/serial/tasks:4/workers:1"]
                and "%" in ln.split()[-1])
    assert line.split()[-1] == "+20.0%"


def test_context_difference_warns(compare, capsys):
    context = report_of(compare, capsys, BASE, NEW)["context"]
    differing = {f["key"] for f in context["fields"] if f["differs"]}
    assert differing == {"host_name", "cpu_model"}
    assert context["warnings"] == [
        "cpu_model differs (CPU A vs CPU B): different CPU models"]


# ------------------------------------------- other Google Benchmark output

def test_other_gbench_program(compare, capsys):
    report = report_of(compare, capsys, GB_A, GB_B)
    sort = bench(report, "BM_Sort/1024")["versus_baseline"][0]
    # 1002.5 ns against 2.005 us: units differ, ratio exactly 2
    assert sort["ratio"] == pytest.approx(2.0)
    assert sort["p_value"] == pytest.approx(2 / 70)  # separated 4 + 4
    assert sort["verdict"] == "slower"
    hashing = bench(report, "BM_Hash<std::string>")["versus_baseline"][0]
    assert hashing["ratio"] == pytest.approx(0.5)
    assert hashing["verdict"] == "too_few_repetitions"
    slow = bench(report, "BM_Slow")["versus_baseline"][0]   # ms against s
    assert slow["ratio"] == pytest.approx(1.0)
    # 8 CPUs against 16: no geometric mean of absolute times.
    assert report["comparison"]["geomean"] == []
    assert report["comparison"]["geomean_left_out"].startswith(
        "the files come from machines with different numbers of CPUs "
        "(8, 16)")
    assert report["comparison"]["only_in_some"] == [
        {"name": "BM_OnlyHere", "present_in": [0]}]
    assert "num_cpus differs (8 vs 16): different CPU counts" in \
        report["context"]["warnings"]
    assert all(s["rows"] == [] for s in report["summaries"])


def test_other_gbench_program_alone(compare, capsys):
    status, out = run_main(compare, capsys, GB_A)
    assert status == 0
    table = out[out.index("Other benchmarks: gbench_a"):]
    assert [ln.split()[:3] for ln in table.splitlines()[4:6]] == [
        ["BM_Sort/1024", "1.003", "us"], ["BM_Hash<std::string>", "500.0",
                                          "ns"]]
    assert "CPU frequency scaling was enabled" in out


def test_aggregates_only_file(compare, capsys, tmp_path):
    data = json.loads(BASE.read_text())
    data["benchmarks"] = [e for e in data["benchmarks"]
                          if e["run_type"] == "aggregate"]
    path = tmp_path / "aggregates.json"
    path.write_text(json.dumps(data))
    vs = bench(report_of(compare, capsys, BASE, path),
               K_SERIAL)["versus_baseline"][0]
    assert vs["ratio"] == pytest.approx(1.0)
    assert vs["verdict"] == "aggregates_only"


# ----------------------------------------------------------- formats, CLI

def markdown_tables(text):
    """Every markdown table as a list of rows of cell texts."""
    tables, current = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            current.append([c.strip() for c in line.strip("|").split(" | ")])
        elif current:
            tables.append(current)
            current = []
    return tables


def test_markdown_tables_are_well_formed(compare, capsys):
    status, out = run_main(compare, capsys, "--format", "markdown", BASE, NEW)
    assert status == 0 and out.startswith("# concbench comparison")
    tables = markdown_tables(out)
    for table in tables:
        assert all(len(r) == len(table[0]) for r in table), table[0]
        assert set(table[1]) <= {"---", "---:"}
    timing = next(t for t in tables if t[0][0] == "benchmark"
                  and t[0][-1] == "verdict")
    serial = next(r for r in timing if r[0] == "`k/serial/tasks:4/workers:1`")
    assert serial[1] == "100.0 ms" and serial[-3:] == ["1.100", "0.008",
                                                       "slower"]
    best_table = tables[-1]
    assert best_table[0] == ["kernel", "tasks", "workers", "base", "new"]
    assert ["k", "4", "2", "thread (2.00x)", "thread (2.20x)"] in best_table


HOSTILE_NAME = "k/thr\nead <b>bold</b> `x` *em* [a](http://x) | y"
HOSTILE_ERROR = ("boom\n| a | b |\n|---|---|\n# gotcha <img src=x "
                 "onerror=alert(1)>")


def hostile_files(tmp_path):
    """base.json and new.json with Markdown and HTML in what comes from
    the files: a host name with a pipe and a heading after a newline, a
    benchmark name with a newline, tags, backticks, emphasis and a link,
    an error message with a table and a heading, and a file name (so a
    label) with a backtick, a pipe and a tag."""
    data = json.loads(BASE.read_text())
    data["context"]["host_name"] = "host|x\n# H1 injected"
    data["context"]["cpu_model"] = "<script>alert(1)</script>\r\n> quote"
    for entry in data["benchmarks"]:
        if entry.get("run_name", "").startswith("k/thread/tasks:4/workers:2"):
            for key in ("name", "run_name"):
                entry[key] = entry[key].replace("k/thread", HOSTILE_NAME)
        if entry.get("run_name", "").startswith("few/"):
            entry.update(error_occurred=True, error_message=HOSTILE_ERROR)
    base = tmp_path / "base.json"
    base.write_text(json.dumps(data))
    new = tmp_path / "n`e|w<i>x.json"
    new.write_text(NEW.read_text())
    return base, new


def code_spans_removed(line):
    """line without its code spans (a run of backticks to the next run of
    the same length; one escaped with a backslash opens none)."""
    return re.sub(r"(?<![\\`])(`+)(?!`).*?(?<!`)\1(?!`)", "CODE", line)


def test_markdown_escapes_what_comes_from_the_files(compare, capsys,
                                                    tmp_path):
    """Nothing from the files starts a line, a heading, a row or a cell of
    its own, nor shows as HTML, a code span or emphasis: every line is
    the title, a heading compare writes, a bullet, a paragraph or a row
    with as many cells as its table's header."""
    base, new = hostile_files(tmp_path)
    status, out = run_main(compare, capsys, "--format", "markdown",
                           "--details", base, new)
    assert status == 0
    lines = out.splitlines()
    headings = ("Context", "Comparison with ", "Counters: ", "Errored",
                "Present in only some files", "Steadiness and verdicts: ",
                "Speedup over serial: ", "Verdict per kernel",
                "Every run: ", "Other benchmarks: ", "Dispatch cost: ",
                "Machines side by side", "Answer for ")
    cells = None
    for line in lines:
        if line.startswith("|"):
            n = len(re.split(r"(?<!\\)\|", line)) - 2
            assert n == (cells if cells is not None else n), line
            cells = n
            continue
        cells = None
        if line.startswith("#"):
            assert line.startswith("# concbench comparison") or (
                line.startswith("## ") and line[3:].startswith(headings)), \
                line
        else:
            assert not re.match(r" {0,3}([>+*=]|[0-9]+[.)]|-(?! ))", line), \
                line
    for line in lines:
        text = code_spans_removed(line)
        assert not re.search(r"<[A-Za-z/!?]", text), line
        assert not re.search(r"(?<!\\)`", text), line
        assert not re.search(r"(?<![\\ ])\*|\*(?! )", text.replace(
            "\\*", "")), line
        assert not re.search(r"(?<!\\)\[", text), line
    # Shown as themselves, a line break as its escape.
    assert "| host_name | host\\|x\\n# H1 injected | beta | * |" in lines
    assert ("boom\\n\\| a \\| b \\|\\n\\|---\\|---\\|\\n# gotcha "
            "&lt;img src=x onerror=alert(1)>") in out
    assert "&lt;script>alert(1)&lt;/script>\\r\\n> quote" in out
    assert "``n`e\\|w<i>x`` |" in out          # the label, in code


def test_json_format_is_strict_json(compare, capsys):
    status, out = run_main(compare, capsys, "--format", "json", BASE, NEW)
    report = json.loads(out, parse_constant=pytest.fail)  # no NaN/Infinity
    assert report["schema"] == "concbench-compare/2"
    assert [f["label"] for f in report["files"]] == ["base", "new"]
    assert len(report["summaries"]) == 2


def test_program_runs_by_its_shebang_without_colour_into_a_pipe():
    proc = subprocess.run([SCRIPTS / "compare", BASE, NEW],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stderr == ""
    assert "\033[" not in proc.stdout
    assert "/manual_time" not in proc.stdout   # shown names are shortened
    assert proc.stdout.rstrip().splitlines()[-1].endswith(
        "(see each file's verdicts).")


# ------------------------------------------------------------- bad input

@pytest.mark.parametrize("path", BAD_FIXTURES, ids=lambda p: p.stem)
def test_bad_input_fails_on_one_line(path):
    problem = {"not_json": "not JSON", "not_gbench": "not Google Benchmark",
               "empty_list": "empty benchmark list", "nan_time": "nan",
               "negative_time": "negative real_time",
               "zero_repetitions": "repetition count 0"}[path.stem]
    assert problem in one_line_error(run_script("compare", path), path)


def test_missing_file_fails(tmp_path):
    missing = tmp_path / "missing.json"
    assert "no such file" in one_line_error(
        run_script("compare", BASE, missing), missing)


def test_one_bad_file_among_good_ones_fails(tmp_path):
    bad = FIXTURES / "bad" / "negative_time.json"
    one_line_error(run_script("compare", BASE, bad, NEW), bad)


@pytest.mark.parametrize("case", UNUSABLE)
def test_unusable_input_fails_on_one_line(tmp_path, case):
    path, problem = make_unusable(tmp_path, case)
    line = one_line_error(run_script("compare", BASE, path), path)
    assert line == f"compare: {path}: {problem}"


def doubled(tmp_path, strip_index=False):
    """base.json with its benchmark list appended again (as two runs
    joined by hand would be), the repetition_index left out with
    strip_index (Google Benchmark before 1.5)."""
    data = json.loads(BASE.read_text())
    if strip_index:
        for entry in data["benchmarks"]:
            entry.pop("repetition_index", None)
    data["benchmarks"] += data["benchmarks"]
    path = tmp_path / "doubled.json"
    path.write_text(json.dumps(data))
    return path, len(data["benchmarks"]) // 2


@pytest.mark.parametrize("script", ["compare", "plot", "report",
                                    "overhead"])
def test_a_file_with_its_entries_twice_is_refused(tmp_path, script):
    """Counted twice, 3 repetitions would be 6: enough for a U test and a
    verdict that 3 cannot give. The file is refused, naming the first
    measurement found twice."""
    path, half = doubled(tmp_path)
    args = ["-o", tmp_path / "out"] if script in ("plot", "report") else []
    line = one_line_error(run_script(script, *args, path), path)
    assert line == (f"{script}: {path}: benchmark {K_SERIAL!r}: repetition "
                    f"0 twice (benchmarks[0] and benchmarks[{half}]): a "
                    "file with duplicated entries is refused")
    assert not (tmp_path / "out").exists()


def test_entries_without_a_repetition_index_twice_are_refused(tmp_path):
    path, half = doubled(tmp_path, strip_index=True)
    line = one_line_error(run_script("compare", path), path)
    assert line.endswith(f": benchmark {K_SERIAL!r}: the same entry twice "
                         f"(benchmarks[0] and benchmarks[{half}]): a file "
                         "with duplicated entries is refused")


def test_equal_repetitions_are_not_duplicates(compare, capsys, tmp_path):
    """Two repetitions with the same time (the index tells them apart),
    and entries without an index that differ, are measurements of their
    own."""
    data = json.loads(BASE.read_text())
    for entry in data["benchmarks"]:
        if entry.get("run_name") == K_SERIAL and "aggregate_name" not in entry:
            entry["real_time"] = 100
    path = tmp_path / "equal.json"
    path.write_text(json.dumps(data))
    assert bench(report_of(compare, capsys, path, NEW), K_SERIAL)[
        "files"][0]["n"] == 5
    path, _ = doubled(tmp_path, strip_index=True)
    data = json.loads(path.read_text())
    data["benchmarks"] = data["benchmarks"][:len(data["benchmarks"]) // 2]
    path.write_text(json.dumps(data))
    assert bench(report_of(compare, capsys, path, NEW), K_SERIAL)[
        "files"][0]["n"] == 5


def test_a_byte_order_mark_is_read_past(compare, capsys, tmp_path):
    """An editor's UTF-8 byte order mark: json's message for it was
    "not JSON (Unexpected UTF-8 BOM (decode using utf-8-sig) at ...)"."""
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.read_bytes())
    assert report_of(compare, capsys, path)["files"][0]["benchmarks"] == 8


def test_a_file_name_with_a_newline_is_one_line(tmp_path):
    """The name is shown escaped: the message stays one line."""
    path = tmp_path / "two\nlines.json"
    path.write_text("{")
    proc = run_script("compare", path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == (f"compare: {tmp_path}/two\\nlines.json: not JSON "
                           "(Expecting property name enclosed in double "
                           "quotes at line 1 column 2)\n")


def test_fifo_swapped_in_after_the_stat_is_refused(tmp_path):
    """The open does not block and the file is checked again once open."""
    fifo = tmp_path / "swapped.json"
    os.mkfifo(fifo)
    code = (f"import os, sys; sys.path.insert(0, {str(SCRIPTS)!r}); "
            "from concbench import load; "
            f"regular = os.stat({str(BASE)!r}); "
            "load.os.stat = lambda path: regular; "
            f"load.read_json({str(fifo)!r})")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 1
    assert proc.stderr.splitlines()[-1] == (
        f"concbench.load.InputError: {fifo}: is a FIFO, not a JSON file")


def test_quotients_beyond_float_range_are_null(compare, capsys, tmp_path):
    data = json.loads(BASE.read_text())
    for entry in data["benchmarks"]:
        if entry["run_name"] == K_SERIAL:
            entry.update(real_time=1e300, time_unit="s")
        elif entry["run_name"] == "k/thread/tasks:4/workers:2/manual_time":
            entry.update(real_time=1e-300, time_unit="ns")
    path = tmp_path / "extreme.json"
    path.write_text(json.dumps(data))
    summary = report_of(compare, capsys, path)["summaries"][0]
    thread = row(summary, "k", "thread", 2)      # 1e300 s / 1e-309 s
    assert (thread["speedup"], thread["efficiency"]) == (None, None)
    assert row(summary, "k", "thread", 4)["speedup"] == pytest.approx(
        1e300 / 0.04)


def test_nesting_up_to_the_limit_is_accepted(compare, capsys, tmp_path):
    path = tmp_path / "deep.json"
    path.write_text(with_deep_context(MAX_DEPTH))
    report = report_of(compare, capsys, path)
    assert report["files"][0]["benchmarks"] == 8


def test_zero_times_where_no_time_is_taken_are_accepted(compare, capsys,
                                                         tmp_path):
    # An errored repetition (new.json's bad/thread holds real_time 0.0) and
    # a stddev of 0 are no times of a repetition.
    stddev = '"aggregate_name": "stddev", "aggregate_unit": "time", ' \
             '"iterations": 5, "real_time": 1.5811388300841898'
    path = tmp_path / "steady.json"
    path.write_text(base_with(stddev, stddev.replace("1.5811388300841898",
                                                     "0")))
    report = report_of(compare, capsys, path, NEW)
    assert report["comparison"]["errored"][0]["messages"] == [
        None, "batch timed out"]


def test_names_that_are_no_valid_text_are_shown_escaped(tmp_path):
    path = tmp_path / "surrogate.json"
    path.write_text(BASE.read_text().replace("gone/", "gone\\ud800/"))
    proc = run_script("compare", path)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert "No serial run, so no speedup, for: bad (4 tasks), gone\\ud800 " \
           "(4 tasks)." in " ".join(proc.stdout.split())


# --------------------------------------------------------------- options

@pytest.mark.parametrize("args, line", [
    (["--alpha", "2", BASE], "--alpha: must be between 0 and 1"),
    (["--alpha", "nan", BASE], "--alpha: must be between 0 and 1"),
    (["--alpha", "x", BASE], "--alpha: invalid float value: 'x'"),
    (["--alpha"], "--alpha: expected one argument"),
    (["--format", "xml", BASE], "--format: invalid choice: 'xml' (choose "
                                "from 'text', 'markdown', 'json')"),
    (["--newest", "0", FIXTURES], "--newest: takes N >= 1 and exactly one "
                                  "DIR"),
    (["--newest", "2", BASE, NEW], "--newest: takes N >= 1 and exactly one "
                                   "DIR"),
    (["--bogus", BASE], "unrecognized arguments: --bogus"),
    ([], "the following arguments are required: FILE|DIR"),
])
def test_option_errors_are_one_line(args, line):
    proc = run_script("compare", *args)
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        2, "", f"compare: {line}\n")


def test_help_is_the_whole_help():
    proc = run_script("compare", "--help")
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.startswith("usage: compare [-h]")
    words = " ".join(proc.stdout.split())
    assert "--alpha ALPHA significance level (default 0.05)" in words
    assert "--details text and markdown: also list every run" in words


# --------------------------------------------------------------- --newest

def results_dir(tmp_path, *names):
    """tmp_path/results holding copies of names, oldest first."""
    directory = tmp_path / "results"
    directory.mkdir()
    for age, name in enumerate(reversed(names)):
        copy = directory / name
        shutil.copy(FIXTURES / name, copy)
        stamp = 1_700_000_000 - 1000 * age
        os.utime(copy, (stamp, stamp))
    return directory


def test_newest_takes_the_newest_oldest_first(compare, capsys, tmp_path):
    directory = results_dir(tmp_path, "gbench_a.json", "base.json",
                            "new.json")
    report = report_of(compare, capsys, "--newest", 2, directory)
    assert [f["label"] for f in report["files"]] == ["base", "new"]
    assert report["notes"] == []


def test_newest_with_one_file_gives_the_summary(compare, capsys, tmp_path):
    directory = results_dir(tmp_path, "base.json")
    status, out = run_main(compare, capsys, "--newest", 2, directory)
    assert status == 0
    assert f"{directory} holds only 1 *.json: showing the one-file " \
           "summary" in " ".join(out.split())
    assert "Verdict per kernel and workers: base" in out


def test_newest_takes_only_regular_files(compare, capsys, tmp_path):
    directory = results_dir(tmp_path, "base.json")
    os.mkfifo(directory / "fifo.json")
    (directory / "dangling.json").symlink_to(tmp_path / "missing.json")
    (directory / "dir.json").mkdir()
    report = report_of(compare, capsys, "--newest", 2, directory)
    assert [f["label"] for f in report["files"]] == ["base"]


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_newest_without_files_fails(tmp_path, make):
    directory = tmp_path / "results"
    if make == "empty":
        directory.mkdir()
    line = one_line_error(run_script("compare", "--newest", 2, directory),
                          directory)
    assert line.endswith("no such directory" if make == "missing"
                         else "no *.json files")


# ------------------------------------------------------ how times read

@pytest.mark.parametrize("seconds, table, prose, page, axis", [
    (1.5, "1.500 s", "1.50 s", "1.5 s", "1.5 s"),
    (0.0123456, "12.35 ms", "12.3 ms", "12.3 ms", "12.3456 ms"),
    (123.4e-6, "123.4 us", "123 us", "123 us", "123.4 µs"),
    (2.5e-5, "25.00 us", "25.0 us", "25 us", "25 µs"),
    (0.5e-9, "0.500 ns", "0.50 ns", "0.5 ns", "0.5 ns"),
    (0.999999999999e-3, "1000.0 us", "1000 us", "1e+03 us", "1 ms"),
    (1500.0, "1500.0 s", "1500 s", "1.5e+03 s", "1500 s"),
    (-2e-3, "-2.000 ms", "-2.00 ms", "-2 ms", "-2 ms"),
    (None, "-", "-", "n/a", "-"),
])
def test_one_time_formatter_in_each_outputs_style(seconds, table, prose,
                                                  page, axis):
    """compare's tables, the answer's sentences, report's page and plot's
    axes write a time through one function, each in the style it has
    always had."""
    assert [formats.seconds_text(seconds, style) for style in (
        formats.TABLE, formats.PROSE, formats.PAGE, formats.AXIS)] == [
        table, prose, page, axis]


# ------------------------------------------------------------- chunk names

@pytest.mark.parametrize("name, chunk, strategy", [
    ("k/thread_pool/tasks:16/workers:2/manual_time", None, "thread_pool"),
    ("k/thread_pool/tasks:16/workers:2/chunk:3/manual_time", 3,
     "thread_pool chunk:3"),
    ("k/process_pool/tasks:16/workers:2/chunk:auto/manual_time", "auto",
     "process_pool chunk:auto"),
])
def test_chunk_is_part_of_the_strategy(compare, name, chunk, strategy):
    config = names.parse_name(name)
    assert config.chunk == chunk
    assert config.strategy == strategy
    # A chunked run sorts after the unchunked one of the same mode.
    plain = names.parse_name(
        "k/thread_pool/tasks:16/workers:2/manual_time")
    order = {"k": 0}
    assert (names.config_key(order, plain) <=
            names.config_key(order, config))


# -------------------------------------- names beyond what concbench runs

def renamed_base(tmp_path, fields):
    """base.json with k/thread/tasks:4/workers:2 renamed to k/thread/FIELDS;
    (path, the new run name)."""
    path = tmp_path / "renamed.json"
    path.write_text(BASE.read_text().replace("k/thread/tasks:4/workers:2/",
                                             f"k/thread/{fields}/"))
    return path, f"k/thread/{fields}/manual_time"


@pytest.mark.parametrize("fields", [
    "tasks:4/workers:99999999999999999999", f"tasks:{'9' * 5000}/workers:2",
    "tasks:4097/workers:2", "tasks:4/workers:257", "tasks:0/workers:2",
    "tasks:4/workers:2/chunk:0", "tasks:4/workers:2/chunk:4097"])
def test_names_beyond_concbench_limits_are_other_benchmarks(
        compare, capsys, tmp_path, fields):
    path, name = renamed_base(tmp_path, fields)
    summary = report_of(compare, capsys, path)["summaries"][0]
    assert name in [o["name"] for o in summary["other"]]
    assert [(r["mode"], r["workers"]) for r in summary["rows"]
            if r["kernel"] == "k"] == [
        ("serial", 1), ("process", 2), ("thread", 4), ("process", 4)]


@pytest.mark.parametrize("name, config", [
    ("k/thread/tasks:4096/workers:256/manual_time",
     ("k", "thread", 4096, 256, None)),
    ("k/thread_pool/tasks:1/workers:1/chunk:4096/manual_time",
     ("k", "thread_pool", 1, 1, 4096)),
    ("k/thread_pool/tasks:8/workers:2/chunk:1", ("k", "thread_pool", 8, 2,
                                                 None)),
])
def test_names_within_concbench_limits(compare, name, config):
    found = names.parse_name(name)
    assert (found.kernel, found.mode, found.tasks, found.workers,
            found.chunk) == config


# ------------------------------------------- labels and the modes context

def k_rows(report, index=0):
    """(mode, workers) of kernel k's rows in a file's summary, in order."""
    return [(r["mode"], r["workers"]) for r in
            report["summaries"][index]["rows"] if r["kernel"] == "k"]


def test_labels_give_the_configs_names_give(compare, capsys):
    benches = load.load(str(LABELLED), "labelled").benches.values()
    assert all(b.label is not None for b in benches)
    assert [names.parse_label(b.label) for b in benches] == [
        names.parse_name(b.name) for b in benches]
    assert None not in [b.config for b in benches]

    def rows(path):
        summary = report_of(compare, capsys, path)["summaries"][0]
        return sorted((r["name"], r["strategy"], r["speedup"])
                      for r in summary["rows"])
    assert rows(LABELLED) == rows(BASE)


@pytest.mark.parametrize("name, label", [
    ("noop/thread_pool/tasks:16/workers:2/manual_time",
     "kernel=noop mode=thread_pool tasks=16 workers=2 chunk=1"),
    ("noop/thread_pool/tasks:16/workers:2/chunk:auto/manual_time",
     "kernel=noop mode=thread_pool tasks=16 workers=2 chunk=auto"),
    ("noop/process_pool/tasks:16/workers:4/chunk:3/manual_time",
     "kernel=noop mode=process_pool tasks=16 workers=4 chunk=3"),
    ("gmp_pow/gil/tasks:16/workers:2/manual_time",
     "kernel=gmp_pow mode=gil tasks=16 workers=2 switch_us=5000"),
    ("noop/process/tasks:16/workers:2/transport:shm/payload:64/manual_time",
     "kernel=noop mode=process tasks=16 workers=2 payload=64 transport=shm"),
    ("noop/process_pool/tasks:16/workers:2/chunk:2/payload:1M/manual_time",
     "kernel=noop mode=process_pool tasks=16 workers=2 chunk=2 "
     "transport=pipe payload=1048576"),
    ("noop/thread/tasks:16/workers:2/payload:4097/manual_time",
     "kernel=noop mode=thread tasks=16 workers=2 payload=4097"),
    ("noop/thread_pool/tasks:16/workers:2/wait:active/manual_time",
     "kernel=noop mode=thread_pool tasks=16 workers=2 chunk=1 wait=active"),
    ("noop/process_pool/tasks:16/workers:2/manual_time",
     "kernel=noop mode=process_pool tasks=16 workers=2 chunk=1 "
     "transport=pipe wait=passive"),
    ("noop/openmp/tasks:16/workers:2/manual_time",
     "kernel=noop mode=openmp tasks=16 workers=2 wait=passive"),
    ("noop/openmp/tasks:16/workers:2/wait:active/manual_time",
     "kernel=noop mode=openmp tasks=16 workers=2 wait=active"),
    ("noop/process/tasks:16/workers:2/parent_rss:1G/manual_time",
     "kernel=noop mode=process tasks=16 workers=2 transport=pipe "
     "parent_rss=1073741824"),
    ("noop/process_pool/tasks:16/workers:2/chunk:2/payload:4K/"
     "parent_rss:100M/manual_time",
     "kernel=noop mode=process_pool tasks=16 workers=2 chunk=2 "
     "transport=pipe payload=4096 parent_rss=104857600"),
])
def test_label_and_name_agree(compare, name, label):
    config = names.parse_label(label)
    assert config is not None
    assert config == names.parse_name(name)


def wait_file(tmp_path, name, runs):
    """A result file of noop runs, 5 rounds: runs is [(name's mode part,
    "mode option=value ...", W, ms)]."""
    entries = []
    for k in range(5):
        for index, (mode, label, workers, ms) in enumerate(runs):
            label = label.split()
            head, _, tail = mode.partition("/")
            run = (f"noop/{head}/tasks:16/workers:{workers}"
                   f"{'/' + tail if tail else ''}/manual_time")
            entries.append({
                "name": run, "run_name": run, "family_index": index,
                "per_family_instance_index": 0, "run_type": "iteration",
                "repetitions": 5, "repetition_index": k, "threads": 1,
                "iterations": 100, "real_time": ms, "cpu_time": 0.01,
                "time_unit": "ms", "cpu_util": 0.1,
                "label": " ".join([f"kernel=noop mode={label[0]} tasks=16 "
                                   f"workers={workers}", *label[1:]])})
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({
        "context": {"num_cpus": 2, "cpus_allowed": "2",
                    "modes": "serial:single_worker thread_pool:pool,chunked "
                             "openmp:pool"},
        "benchmarks": entries}))
    return path


def test_wait_policies_are_strategies_of_their_own(compare, capsys,
                                                   tmp_path):
    """--wait=passive,active (issue 21): thread_pool wait:active and
    openmp wait:active are strategies beside thread_pool and openmp
    (passive, the default, is not named); an openmp label without wait=,
    written before the option, ran under libgomp's default, which is
    wait active, and is read so: never the same strategy as the new
    openmp."""
    path = wait_file(tmp_path, "both", [
        ("serial", "serial", 1, 0.04),
        ("thread_pool", "thread_pool chunk=1 wait=passive", 2, 0.06),
        ("thread_pool/wait:active", "thread_pool chunk=1 wait=active", 2,
         0.02),
        ("openmp", "openmp wait=passive", 2, 0.04),
        ("openmp/wait:active", "openmp wait=active", 2, 0.015)])
    summary = report_of(compare, capsys, path)["summaries"][0]
    rows = {r["strategy"]: r for r in summary["rows"]}
    assert list(rows) == ["serial", "thread_pool", "thread_pool wait:active",
                          "openmp", "openmp wait:active"]
    assert rows["thread_pool wait:active"]["mode"] == "thread_pool"
    assert best(summary, "noop", 2)["strategy"] == "openmp wait:active"
    status, text = run_main(compare, capsys, path)
    assert status == 0 and "thread_pool wait:active" in text

    old = wait_file(tmp_path, "old", [
        ("serial", "serial", 1, 0.04),
        ("thread_pool", "thread_pool chunk=1", 2, 0.06),
        ("openmp", "openmp", 2, 0.015)])
    summary = report_of(compare, capsys, old)["summaries"][0]
    assert [r["strategy"] for r in summary["rows"]] == [
        "serial", "thread_pool", "openmp wait:active"]
    assert names.parse_label(
        "kernel=noop mode=openmp tasks=16 workers=2").strategy == (
        "openmp wait:active")
    # A name alone cannot tell: it is read as it says.
    assert names.parse_name(
        "noop/openmp/tasks:16/workers:2/manual_time").strategy == "openmp"
def test_the_parent_size_is_part_of_the_workload_not_the_strategy(
        compare, capsys, tmp_path):
    """--parent-rss, like --payload, makes a workload of its own ("k
    parent_rss:1G"), with its own serial run and its own verdicts; its
    runs' strategies are the modes' ("process", not "process
    parent_rss:1G"), so that process from a 1 GiB parent is never compared
    with thread or spawn from the suite's own parent."""
    config = names.parse_name("k/process/tasks:4/workers:2/transport:shm/"
                              "payload:4K/parent_rss:1G/manual_time")
    assert (config.payload, config.parent_rss) == (4096, 1 << 30)
    assert config.strategy == "process transport:shm"
    assert config.workload == "k payload:4K parent_rss:1G"
    assert names.parse_name("k/process/tasks:4/workers:2/parent_rss:0/"
                            "manual_time").workload == "k"
    assert names.parse_name("k/process/tasks:4/workers:2/parent_rss:17G/"
                            "manual_time") is None       # beyond the limit
    assert set(names.WORKLOAD_SIZES) == {"payload", "parent_rss"}

    # A copy of k's runs from a 1 GiB parent: serial and thread three times
    # as long, process six times.
    data = json.loads(LABELLED.read_text())
    scale = {"serial": 3, "thread": 3, "process": 6}
    big = []
    for entry in data["benchmarks"]:
        if entry["name"].startswith("k/") and entry["run_type"] == \
                "iteration":
            name = entry["name"].replace("/manual_time",
                                         "/parent_rss:1G/manual_time")
            mode = entry["name"].split("/")[1]
            big.append(dict(entry, name=name, run_name=name,
                            label=entry["label"] + " parent_rss=1073741824",
                            real_time=entry["real_time"] * scale[mode]))
    data["benchmarks"] += big
    path = tmp_path / "parent.json"
    path.write_text(json.dumps(data))
    summary = report_of(compare, capsys, path)["summaries"][0]
    rows = [r for r in summary["rows"] if r["kernel"] == "k parent_rss:1G"]
    assert len(rows) == len(big) // 5
    assert {r["strategy"] for r in rows} == {"serial", "thread", "process"}
    assert {r["parent_rss"] for r in rows} == {1 << 30}
    assert {r["parent_rss"] for r in summary["rows"]
            if r["kernel"] == "k"} == {0}
    # Each size against its own serial run: thread is 2x at both.
    for kernel in ("k", "k parent_rss:1G"):
        assert row(summary, kernel, "serial", 1)["speedup"] == \
            pytest.approx(1.0)
        assert row(summary, kernel, "thread", 2)["speedup"] == \
            pytest.approx(2.0)
    assert row(summary, "k parent_rss:1G", "process", 2)["speedup"] == \
        pytest.approx(300 / 480)
    # A verdict per size and W, each among that size's strategies.
    for kernel in ("k", "k parent_rss:1G"):
        for workers in (2, 4):
            verdict = best(summary, kernel, workers)
            assert {verdict["strategy"], *verdict["tie"], *verdict["slower"],
                    *verdict["undecided"]} == {"thread", "process"}
            [other] = verdict["others"]
            assert other["name"] == (
                f"k/process/tasks:4/workers:{workers}"
                + ("/parent_rss:1G" if "parent" in kernel else "")
                + "/manual_time")
    verdict = best(summary, "k parent_rss:1G", 2)
    assert (verdict["strategy"], verdict["verdict"], verdict["slower"]) == \
        ("thread", "clear", ["process"])


def test_the_answer_takes_fork_cost_from_the_suites_own_parent(compare):
    """The answer's fork+exit+wait is the baseline run from the suite's own
    parent, not the one from a bigger parent (--parent-rss)."""
    from concbench import answer
    other = [{"name": "baseline/fork_exit_waitpid/tasks:16/manual_time",
              "median_s": 16 * 200e-6},
             {"name": "baseline/fork_exit_waitpid/tasks:16/parent_rss:1G/"
                      "manual_time", "median_s": 16 * 30e-3}]
    for order in (other, other[::-1]):
        assert answer.baseline_costs({"other": order}) == \
            {"fork": pytest.approx(200e-6)}


def test_baseline_label_is_no_config(compare):
    assert names.parse_label("baseline=fork_exit_waitpid tasks=16") is None
    bench = load.Bench("baseline/fork_exit_waitpid/tasks:16/manual_time",
                       label="baseline=fork_exit_waitpid tasks=16")
    assert bench.config is None


def test_the_label_is_what_counts(compare, capsys, tmp_path):
    """A run named like no concbench run is one by its label."""
    text = LABELLED.read_text().replace(
        "k/thread/tasks:4/workers:2/manual_time", "custom_run").replace(
        "kernel=k mode=thread tasks=4 workers=2",
        "kernel=k mode=thread_pool tasks=4 workers=2 chunk=auto")
    path = tmp_path / "custom.json"
    path.write_text(text)
    summary = report_of(compare, capsys, path)["summaries"][0]
    custom = next(r for r in summary["rows"] if r["name"] == "custom_run")
    assert (custom["strategy"], custom["workers"]) == (
        "thread_pool chunk:auto", 2)
    assert custom["speedup"] == pytest.approx(2.0)
    assert summary["other"] == []


def test_an_option_never_seen_keeps_its_runs_apart(compare, capsys,
                                                   tmp_path):
    """A mode option that the Python side has never heard of (queue) is
    part of a run's Config when its name shows it (concbench names an
    option when it is not at its default): the runs tuned with it are a
    strategy of their own, not merged with the untuned ones; at its
    default (queue=spsc, not in the name) it tells nothing apart."""
    name = "k/thread/tasks:4/workers:2/queue:mpmc/manual_time"
    label = "kernel=k mode=thread tasks=4 workers=2 queue=mpmc"
    config = load.Bench(name, label=label).config
    assert config.option("queue") == "mpmc"
    assert config.strategy == "thread queue:mpmc"
    assert config == names.parse_name(name)    # the name alone says so too
    plain = load.Bench("k/thread/tasks:4/workers:2/manual_time",
                       label="kernel=k mode=thread tasks=4 workers=2 "
                             "queue=spsc").config
    assert plain.strategy == "thread" and plain.option("queue") is None
    assert plain != config
    order = {"k": 0}
    assert names.config_key(order, plain) < names.config_key(order, config)

    data = json.loads(LABELLED.read_text())
    tuned = []
    for entry in data["benchmarks"]:
        if entry.get("label") == "kernel=k mode=thread tasks=4 workers=2":
            entry["label"] += " queue=spsc"
            if entry["run_type"] == "iteration":
                tuned.append(dict(entry, name=name, run_name=name,
                                  label=label,
                                  real_time=entry["real_time"] / 2))
    assert len(tuned) == 5
    data["benchmarks"] += tuned
    path = tmp_path / "queue.json"
    path.write_text(json.dumps(data))
    summary = report_of(compare, capsys, path)["summaries"][0]
    rows = {r["strategy"]: r for r in summary["rows"]
            if r["kernel"] == "k" and r["workers"] == 2}
    assert set(rows) == {"process", "thread", "thread queue:mpmc"}
    assert rows["thread"]["speedup"] == pytest.approx(2.0)
    assert rows["thread queue:mpmc"]["speedup"] == pytest.approx(4.0)
    assert rows["thread queue:mpmc"]["chunk"] is None
    verdict = best(summary, "k", 2)
    assert verdict["strategy"] == "thread queue:mpmc"
    assert "thread" in verdict["slower"] + verdict["undecided"]


@pytest.mark.parametrize("label", [
    "a label from C", "kernel=k mode=thread tasks=4",
    "kernel=k mode=thread tasks=4 workers=999",
    "kernel=k mode=thread tasks=4 workers=2 chunk=0",
    "kernel=k kernel=j mode=thread tasks=4 workers=2",
    "kernel=k mode=thread tasks=4 workers=2 stray",
    "kernel=k mode=thread tasks=4 workers=2 payload=1T",
    "kernel=k mode=thread tasks=4 workers=2 payload=512M",
    "kernel=k mode=thread tasks=4 workers=2 transport=pigeon",
    "kernel=k mode=thread_pool tasks=4 workers=2 wait=spin", "kernel=k mode= "
    "tasks=4 workers=2", ""])
def test_a_label_that_does_not_parse_falls_back_to_the_name(
        compare, capsys, tmp_path, label):
    text = LABELLED.read_text().replace(
        "kernel=k mode=thread tasks=4 workers=2", label)
    path = tmp_path / "odd_label.json"
    path.write_text(text.replace("k/thread/tasks:4/workers:2/",
                                 "k/thread/tasks:4/workers:3/"))
    summary = report_of(compare, capsys, path)["summaries"][0]
    thread = row(summary, "k", "thread", 3)
    assert thread["speedup"] == pytest.approx(2.0)


def test_the_context_gives_the_mode_order(compare, capsys):
    assert k_rows(report_of(compare, capsys, LABELLED)) == [
        ("serial", 1), ("process", 2), ("thread", 2), ("process", 4),
        ("thread", 4)]
    status, out = run_main(compare, capsys, LABELLED)
    table = out[out.index("Speedup over serial: labelled"):].splitlines()
    assert [ln.split()[4] for ln in table[4:6]] == ["process", "thread"]


def test_without_modes_context_mode_order_is_mode_order(compare, capsys):
    assert k_rows(report_of(compare, capsys, BASE)) == [
        ("serial", 1), ("thread", 2), ("process", 2), ("thread", 4),
        ("process", 4)]
    both = report_of(compare, capsys, BASE, LABELLED)     # each its own
    assert k_rows(both, 0) == k_rows(report_of(compare, capsys, BASE))
    assert k_rows(both, 1) == k_rows(report_of(compare, capsys, LABELLED))


def test_modes_context_with_its_properties(compare):
    result = load.load(str(LABELLED), "labelled")
    assert list(result.modes) == [
        "serial", "process", "thread", "thread_pool", "process_pool",
        "spawn", "forkserver", "gil", "async", "openmp"]
    assert result.modes["serial"] == ("single_worker",)
    assert result.modes["forkserver"] == ("pool", "fresh_image")
    assert result.modes["gil"] == ()


@pytest.mark.parametrize("modes", [
    "5", '"thread serial:"', '"thread serial::x"', '"thread thread serial"',
    '"thread serial:a,,b"', '""'])
def test_a_modes_context_that_does_not_parse_is_ignored(
        compare, capsys, tmp_path, modes):
    path = tmp_path / "odd_modes.json"
    path.write_text(LABELLED.read_text().replace(
        '"modes": "serial:single_worker process thread thread_pool:pool,'
        'chunked process_pool:pool,chunked spawn:fresh_image forkserver:pool,'
        'fresh_image gil async openmp:pool"', f'"modes": {modes}'))
    assert load.load(str(path), "odd").modes is None
    assert k_rows(report_of(compare, capsys, path)) == k_rows(
        report_of(compare, capsys, BASE))


def test_a_folder_is_its_files_grouped_by_host(compare, capsys, tmp_path):
    """A DIR stands for its *.json files, grouped by host (fleet_host,
    else host_name), each host's oldest first."""
    folder = tmp_path / "fleet"
    folder.mkdir()
    base = json.loads(BASE.read_text())
    for name, host, date in [("a", "zeta", "2026-01-02"),
                             ("b", "alpha", "2026-01-03"),
                             ("c", "zeta", "2026-01-01")]:
        data = json.loads(json.dumps(base))
        data["context"]["fleet_host"] = host
        data["context"]["date"] = date
        (folder / f"{name}.json").write_text(json.dumps(data))
    report = report_of(compare, capsys, folder)
    assert [f["label"] for f in report["files"]] == ["b", "c", "a"]


def test_the_package_imports_without_a_cycle():
    """The scripts' package, from the data up: no module imports one that
    imports it back (rules, stats, names first; the programs last)."""
    import ast
    package = SCRIPTS / "concbench"
    graph = {}
    for path in package.glob("*.py"):
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module \
                    and node.module.split(".")[0] == "concbench":
                deps |= ({a.name for a in node.names}
                         if node.module == "concbench"
                         else {node.module.split(".")[1]})
        graph[path.stem] = deps

    def reaches(start, goal, seen):
        return any(d == goal or (d not in seen and reaches(d, goal,
                                                           seen | {d}))
                   for d in graph.get(start, ()))
    assert [m for m in graph if reaches(m, m, {m})] == []
    assert graph["rules"] == graph["stats"] == graph["facts"] == set()
    assert graph["names"] == {"facts"}
