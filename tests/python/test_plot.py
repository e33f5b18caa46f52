"""Tests of scripts/plot on the fixtures described in test_compare.py.

The charts are checked twice: as PNG files written by the program
(signature, dimensions, names) and as matplotlib figures returned by
plot.build_charts (panels, bars, lines and their values).
"""

import json
import signal
import struct
import subprocess
import sys
import time

import pytest
from matplotlib.container import BarContainer

import bigresults
from cbscripts import (BAD_FIXTURES, FIXTURES, SCRIPTS, UNUSABLE,
                       make_unusable, one_line_error, run_script)
from concbench import load

BASE = FIXTURES / "base.json"
NEW = FIXTURES / "new.json"
GB_A = FIXTURES / "gbench_a.json"
LABELLED = FIXTURES / "labelled.json"   # process before thread in "modes"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path):
    """(width, height) from a PNG's IHDR chunk, checking the signature."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def charts_of(plot, *paths):
    results = load.load_all([str(p) for p in paths])
    return {c.filename: c.figure for c in plot.build_charts(results)}


def panels(figure):
    """The axes that show something (not switched off)."""
    return [ax for ax in figure.axes if ax.axison]


def test_program_writes_valid_pngs(tmp_path):
    out = tmp_path / "charts"
    proc = run_script("plot", "-o", out, BASE, NEW)
    assert proc.returncode == 0 and proc.stderr == ""
    names = ["time-k-tasks4.png", "time-few-tasks4.png",
             "time-bad-tasks4.png", "time-gone-tasks4.png",
             "time-fresh-tasks4.png", "speedup.png"]
    assert proc.stdout.splitlines() == [str(out / n) for n in names]
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    # 100 dpi: two time panels, 1.25 + 2 x 5.25 by 4.75 in; speedup: one
    # row (only k has a serial run and more) of two panels, 0.5 + 2 x 4.5
    # by 0.5 + 3.5 in
    assert png_size(out / "time-k-tasks4.png") == (1175, 475)
    assert png_size(out / "speedup.png") == (950, 400)


def test_speedup_chart_lines_and_ideal(plot):
    figure = charts_of(plot, BASE, NEW)["speedup.png"]
    axes = panels(figure)
    assert [ax.get_title() for ax in axes] == [
        "k, 4 tasks: base (CPU A, 2 CPUs)", "k, 4 tasks: new (CPU B, 2 CPUs)"]
    lines = {ln.get_label(): ln for ln in axes[0].get_lines()}
    assert set(lines) == {"serial (1x)", "ideal: min(workers, CPUs)",
                          "thread", "process"}
    ideal = lines["ideal: min(workers, CPUs)"]
    assert list(ideal.get_xdata()) == [1, 2, 4]
    assert list(ideal.get_ydata()) == [1, 2, 2]     # 2 CPUs allowed
    assert list(lines["thread"].get_ydata()) == pytest.approx([2.0, 2.5])
    assert list(lines["process"].get_ydata()) == pytest.approx(
        [1.25, 100 / 40.5])
    assert axes[0].get_xlabel() == "workers"
    assert axes[0].get_ylim()[0] == 0
    assert axes[1].get_ylim()[1] >= 110 / 40   # new's best speedup shows
    legend_texts = [t.get_text() for t in figure.legends[0].get_texts()]
    assert "ideal: min(workers, CPUs)" in legend_texts


def bars(ax):
    """(label, rectangle) of every bar drawn on ax, in drawing order."""
    return [(c.get_label(), c.patches[0]) for c in ax.containers
            if isinstance(c, BarContainer)]


def test_time_chart_bars(plot):
    figure = charts_of(plot, BASE)["time-k-tasks4.png"]
    (ax,) = panels(figure)
    assert [(label, bar.get_height()) for label, bar in bars(ax)] == [
        ("serial", 100), ("thread", 50), ("process", 80), ("thread", 40),
        ("process", pytest.approx(40.5))]
    serial, thread2 = bars(ax)[0][1], bars(ax)[1][1]
    assert serial.get_x() + serial.get_width() / 2 == pytest.approx(0)
    assert thread2.get_x() + thread2.get_width() / 2 < 1   # left at W=2
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "4"]
    assert ax.get_ylabel() == "median batch time (ms)"
    assert ax.get_title() == "base (CPU A, 2 CPUs)"
    assert any(t.get_text().startswith("k, 4 tasks per batch")
               for t in figure.texts)       # the suptitle


def test_modes_context_orders_bars_and_lines(plot):
    charts = charts_of(plot, LABELLED, BASE)
    for ax in panels(charts["time-k-tasks4.png"]):      # one order for all
        assert [label for label, _ in bars(ax)] == [
            "serial", "process", "thread", "process", "thread"]
    for ax in panels(charts["speedup.png"]):
        assert [ln.get_label() for ln in ax.get_lines()][2:] == [
            "process", "thread"]
    (ax,) = panels(charts_of(plot, BASE)["time-k-tasks4.png"])
    assert [label for label, _ in bars(ax)] == [
        "serial", "thread", "process", "thread", "process"]


def test_a_mode_keeps_its_colour_whatever_the_order(plot):
    def colours(path):
        (ax,) = panels(charts_of(plot, path)["time-k-tasks4.png"])
        return {label: bar.get_facecolor() for label, bar in bars(ax)}
    assert colours(LABELLED) == colours(BASE)


def test_other_program_gets_a_chart_of_its_benchmarks(plot, tmp_path):
    figure = charts_of(plot, GB_A)["other.png"]
    (ax,) = panels(figure)
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "BM_Sort/1024", "BM_Hash<std::string>", "BM_Slow", "BM_OnlyHere"]
    assert ax.get_xscale() == "log"       # 500 ns to 1.5 s
    widths = [bar.get_width() for _, bar in bars(ax)]
    assert widths == pytest.approx([1002.5e-9, 500e-9, 1.5, 7e-6])
    proc = run_script("plot", "-o", tmp_path, GB_A)
    assert proc.stdout.splitlines() == [str(tmp_path / "other.png")]
    png_size(tmp_path / "other.png")


def test_other_chart_shows_its_first_benchmarks_and_says_so(plot,
                                                             tmp_path):
    """Past plot.MAX_OTHER other benchmarks (2000 made a chart taller
    than a PNG can be, and a traceback) the chart has the first ones and
    its title says how many there are."""
    count = plot.MAX_OTHER + 50
    entries = [{"name": f"BM_x/{i}", "run_type": "iteration",
                "repetitions": 1, "repetition_index": 0, "iterations": 1,
                "real_time": 100 + i, "cpu_time": 100, "time_unit": "ns"}
               for i in range(count)]
    path = tmp_path / "many_others.json"
    path.write_text(json.dumps({"context": {}, "benchmarks": entries}))
    figure = charts_of(plot, path)["other.png"]
    (ax,) = panels(figure)
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        f"BM_x/{i}" for i in range(plot.MAX_OTHER)]
    assert ax.get_title().endswith(
        f"(the first {plot.MAX_OTHER} of {count})")


def test_absurd_worker_count_is_drawn_as_another_benchmark(plot, tmp_path):
    path = tmp_path / "absurd.json"
    path.write_text(BASE.read_text().replace(
        "k/thread/tasks:4/workers:2/",
        "k/thread/tasks:4/workers:99999999999999999999/"))
    out = tmp_path / "charts"
    proc = run_script("plot", "-o", out, path)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert str(out / "other.png") in proc.stdout.splitlines()
    figure = charts_of(plot, path)["other.png"]
    (ax,) = panels(figure)
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "k/thread/tasks:4/workers:99999999999999999999"]
    time = panels(charts_of(plot, path)["time-k-tasks4.png"])[0]
    assert [t.get_text() for t in time.get_xticklabels()] == ["1", "2", "4"]


def test_chunked_strategies_follow_their_mode(plot, tmp_path):
    text = BASE.read_text()
    for old, new in (("k/thread/tasks:4/workers:4/",
                      "k/thread_pool/tasks:4/workers:2/"),
                     ("k/process/tasks:4/workers:2/",
                      "k/thread_pool/tasks:4/workers:2/chunk:auto/"),
                     ("k/process/tasks:4/workers:4/",
                      "k/thread_pool/tasks:4/workers:2/chunk:3/")):
        text = text.replace(old, new)
    path = tmp_path / "chunks.json"
    path.write_text(text)
    charts = charts_of(plot, path)
    (ax,) = panels(charts["time-k-tasks4.png"])
    assert [(label, bar.get_height()) for label, bar in bars(ax)] == [
        ("serial", 100), ("thread", 50), ("thread_pool", 40),
        ("thread_pool chunk:3", pytest.approx(40.5)),
        ("thread_pool chunk:auto", 80)]
    (ax,) = panels(charts["speedup.png"])
    assert [ln.get_label() for ln in ax.get_lines()][2:] == [
        "thread", "thread_pool", "thread_pool chunk:3",
        "thread_pool chunk:auto"]


def test_no_partial_png_when_writing_fails(plot, tmp_path):
    charts = plot.build_charts(load.load_all([str(BASE)]))

    def fail_halfway(f, **kwargs):
        f.write(PNG_SIGNATURE)
        raise OSError(28, "No space left on device")

    charts[2].figure.savefig = fail_halfway
    with pytest.raises(OSError):
        plot.write_charts(charts, str(tmp_path))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_killed_while_writing_leaves_no_file(tmp_path, signame):
    """plot killed once its first temporary file is there (12 kernels: 13
    charts to write) removes what it wrote and dies of the signal, with
    nothing on stderr (no traceback): no chart, no temporary file, not the
    folder it made."""
    path = tmp_path / "twelve.json"
    bigresults.big_file(path, 12 * 370)
    out = tmp_path / "charts" / "new"     # made by plot, and removed
    proc = subprocess.Popen([sys.executable, str(SCRIPTS / "plot"), "-o",
                             str(out), str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 100
        while (not out.is_dir() or not any(out.iterdir())) \
                and proc.poll() is None:
            assert time.monotonic() < deadline, "no temporary file"
            time.sleep(0.005)
        assert proc.poll() is None, "plot ended before it was killed"
        proc.send_signal(getattr(signal, signame))
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -getattr(signal, signame)
    assert (stdout, stderr) == ("", "")
    assert list((tmp_path / "charts").iterdir()) == []


def test_charts_are_drawn_and_written_one_at_a_time(plot, tmp_path):
    """write_charts takes plot's charts as they are drawn: a failure while
    drawing the third, after two were written to temporary files, leaves
    nothing."""
    drawn = plot.iter_charts(load.load_all([str(BASE)]))

    def fail_at_the_third():
        for i, chart in enumerate(drawn):
            if i == 2:
                assert len(list(tmp_path.iterdir())) == 2
                raise MemoryError
            yield chart
    with pytest.raises(MemoryError):
        plot.write_charts(fail_at_the_third(), str(tmp_path))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("path", BAD_FIXTURES, ids=lambda p: p.stem)
def test_bad_input_writes_nothing(plot, capsys, tmp_path, path):
    out = tmp_path / "charts"
    assert plot.main(["-o", str(out), str(BASE), str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith(f"plot: {path}: ")
    assert not out.exists()


def test_missing_file_exits_2_and_writes_nothing(tmp_path):
    missing = tmp_path / "missing.json"
    out = tmp_path / "charts"
    line = one_line_error(run_script("plot", "-o", out, missing), missing)
    assert line.endswith("no such file")
    assert not out.exists()


@pytest.mark.parametrize("case", UNUSABLE)
def test_unusable_input_fails_on_one_line_and_writes_nothing(tmp_path, case):
    path, problem = make_unusable(tmp_path, case)
    out = tmp_path / "charts"
    out.mkdir()
    line = one_line_error(run_script("plot", "-o", out, BASE, path), path)
    assert line == f"plot: {path}: {problem}"
    assert list(out.iterdir()) == []


def test_all_errored_is_nothing_to_plot(plot, capsys, tmp_path):
    data = json.loads(BASE.read_text())
    for entry in data["benchmarks"]:
        entry.update(error_occurred=True, error_message="boom")
    path = tmp_path / "errored.json"
    path.write_text(json.dumps(data))
    assert plot.main(["-o", str(tmp_path / "charts"), str(path)]) == 2
    assert capsys.readouterr().err == \
        f"plot: {path}: every benchmark errored: nothing to plot\n"


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_newest_without_files(plot, capsys, tmp_path, make):
    directory = tmp_path / "results"
    if make == "empty":
        directory.mkdir()
    assert plot.main(["--newest", "1", str(directory),
                      "-o", str(directory / "charts")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"plot: {directory}: ") and err.count("\n") == 1
    assert not (directory / "charts").exists()


@pytest.mark.parametrize("args, line", [
    (["-o"], "-o/--outdir: expected one argument"),
    (["--newest", "x", FIXTURES], "--newest: invalid int value: 'x'"),
    (["--newest", "0", FIXTURES], "--newest: takes N >= 1 and exactly one "
                                  "DIR"),
    (["--bogus", BASE], "unrecognized arguments: --bogus"),
])
def test_option_errors_are_one_line(tmp_path, args, line):
    proc = run_script("plot", "-o", tmp_path, *args)
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        2, "", f"plot: {line}\n")
    assert list(tmp_path.iterdir()) == []


def test_help_is_the_whole_help():
    proc = run_script("plot", "--help")
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.startswith("usage: plot [-h]")
    assert "-o OUTDIR, --outdir OUTDIR directory for the charts (default: " \
           ".)" in " ".join(proc.stdout.split())
