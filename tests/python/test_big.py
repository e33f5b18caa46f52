"""report and plot on large inputs (made by bigresults.py, never kept):
past plot's limits (plot.MAX_FILES files side by side, plot.MAX_RUNS runs
to draw) plot refuses with one line and report leaves the charts out,
saying so, and keeps its verdicts and tables; a file of 100,000
benchmarks each within the issue's bounds (60 s, 2 GB), and, with
CB_BIG=1, a folder of 10,000 files too (about a minute to make and
report here)."""

import json
import os
import subprocess
import sys

import pytest

import bigresults
from cbscripts import FIXTURES, SCRIPTS, load_script, one_line_error, \
    run_script

BASE = FIXTURES / "base.json"
LIMIT_S = 60            # the bounds, for each program
LIMIT_BYTES = 2 << 30
MEASURE = """\
import resource, subprocess, sys, time
start = time.monotonic()
status = subprocess.run(sys.argv[2:]).returncode
with open(sys.argv[1], "w") as f:
    f.write(f"{status} {time.monotonic() - start} "
            f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}")
sys.exit(status)
"""


@pytest.fixture(scope="module")
def plot():
    return load_script("plot")


def measured(tmp_path, name, *args):
    """Run scripts/<name>: (CompletedProcess, seconds, peak resident
    bytes), measured by a process of its own whose only child it is."""
    stats = tmp_path / f"{name}.stats"
    proc = subprocess.run([sys.executable, "-c", MEASURE, str(stats),
                           sys.executable, str(SCRIPTS / name),
                           *map(str, args)],
                          capture_output=True, text=True, timeout=300)
    status, seconds, kib = stats.read_text().split()
    assert int(status) == proc.returncode
    return proc, float(seconds), int(kib) * 1024


def test_plot_refuses_more_files_side_by_side_before_reading(plot,
                                                             tmp_path):
    """The count is checked first: the second file, missing, is not what
    the line says."""
    paths = [BASE, tmp_path / "missing.json"] + [BASE] * plot.MAX_FILES
    extra = paths[plot.MAX_FILES]
    line = one_line_error(run_script("plot", "-o", tmp_path / "out", *paths),
                          extra)
    assert line == (f"plot: {extra}: more than {plot.MAX_FILES} files side "
                    f"by side ({plot.MAX_FILES + 2} given): plot fewer at "
                    "once")
    assert not (tmp_path / "out").exists()


def test_plot_refuses_more_runs_than_it_draws(plot, tmp_path):
    kernels = plot.MAX_RUNS // 37 + 1
    path = tmp_path / "wide.json"
    bigresults.big_file(path, kernels * 370)
    line = one_line_error(run_script("plot", "-o", tmp_path / "out", path),
                          path)
    assert line == (f"plot: {path}: {kernels * 37} runs to draw, more than "
                    f"{plot.MAX_RUNS} (a full suite run has about 190): "
                    "plot fewer files, or a file of fewer kernels")
    assert not (tmp_path / "out").exists()
    # Over several files, the one that passes the limit, with the total.
    small = tmp_path / "small.json"
    bigresults.big_file(small, (kernels - 2) * 370)
    line = one_line_error(run_script("plot", "-o", tmp_path / "out", small,
                                     small, path), small)
    assert line == (f"plot: {small}: {(kernels - 2) * 37} runs to draw "
                    f"({2 * (kernels - 2) * 37} with the files before it), "
                    f"more than {plot.MAX_RUNS} (a full suite run has about "
                    "190): plot fewer files, or a file of fewer kernels")


def two_run_kernels(path, kernels):
    """A file of kernels with a serial and a thread run each: a panel
    each, few runs."""
    data = {"context": bigresults.context("h", "2026-12-01T00:00:00+00:00",
                                          16, ("serial", "thread")),
            "benchmarks": [e for k in range(kernels) for e in
                           bigresults.entries(k, 16, ("serial", "thread"),
                                              (2,), 3)]}
    path.write_text(json.dumps(data))
    return path


def test_plot_refuses_more_panels_than_it_draws(plot, tmp_path):
    """Each kernel and task count is a time chart and a speedup panel:
    a file of many kernels with few runs is refused too, and so are files
    whose panels side by side are too many together."""
    kernels = plot.MAX_PANELS + 1
    path = two_run_kernels(tmp_path / "many.json", kernels)
    line = one_line_error(run_script("plot", "-o", tmp_path / "out", path),
                          path)
    assert line == (f"plot: {path}: {kernels} panels to draw, more than "
                    f"{plot.MAX_PANELS} (a full suite run has about 4): "
                    "plot fewer files, or a file of fewer kernels")
    half = two_run_kernels(tmp_path / "half.json", kernels // 2 + 1)
    line = one_line_error(run_script("plot", "-o", tmp_path / "out", half,
                                     half), half)
    assert f"{kernels // 2 + 1} panels to draw ({2 * (kernels // 2 + 1)} " \
           "with the files before it)" in line
    assert not (tmp_path / "out").exists()
    # report draws each file alone: the same file twice is twice the
    # panels on its page.
    page = tmp_path / "page.html"
    proc = run_script("report", "-o", page, half, path)
    assert proc.returncode == 0, proc.stderr
    assert f"{kernels // 2 + 1 + kernels} panels" in page.read_text()
    assert figures(page.read_text()) == 0


def figures(page):
    return page.count("<figure")


def sections(page):
    """The page's file sections (each under its host's heading)."""
    return (page.count('<h2 id="') - page.count('<h2 id="context">')
            - page.count('<h2 id="machines">'))


def test_report_leaves_the_charts_out_past_plots_limit(plot, tmp_path):
    """A folder whose files have more runs than plot draws: the page has
    every file's verdict and runs, no chart, and says why at the top and
    in each file's charts section; a folder of two of them has their
    charts."""
    folder = tmp_path / "fleet"
    files = plot.MAX_RUNS // 14 + 1         # 14 runs a file
    bigresults.big_folder(folder, files)
    out = tmp_path / "fleet.html"
    proc = run_script("report", "-o", out, folder)
    assert proc.returncode == 0, proc.stderr
    page = out.read_text()
    note = (f"Charts left out: the files on this page have {files * 14} "
            f"runs in {files * 2} panels (a kernel and task count in a "
            f"file), more than the {plot.MAX_RUNS} runs or "
            f"{plot.MAX_PANELS} panels that one page draws (a full suite "
            "run has about 190 runs in 4 panels).")
    assert note in page and figures(page) == 0
    assert page.count("Charts left out: see the note at the top of the "
                      "page.") == files
    assert sections(page) == files
    two = tmp_path / "two"
    bigresults.big_folder(two, 2)
    proc = run_script("report", "-o", out, two)
    assert proc.returncode == 0, proc.stderr
    page = out.read_text()
    assert "Charts left out" not in page
    assert figures(page) == 2 * 3   # 2 kernels and the speedups, a file


def test_a_file_of_100000_benchmarks(plot, tmp_path):
    """The issue's file: report writes its page (verdicts and tables, no
    charts) and plot refuses with one line, each within 60 s and 2 GB
    (report took more than 240 s and 3.9 GB, plot 150 s and 4.4 GB)."""
    path = tmp_path / "big.json"
    kernels = bigresults.big_file(path, 100_000)
    out = tmp_path / "big.html"
    proc, seconds, peak = measured(tmp_path, "report", "-o", out, path)
    assert proc.returncode == 0, proc.stderr
    assert seconds < LIMIT_S and peak < LIMIT_BYTES, (seconds, peak)
    page = out.read_text()
    assert figures(page) == 0 and "Charts left out" in page
    assert sections(page) == 1
    for k in range(kernels):                        # every kernel is there
        assert f">k{k}<" in page
    proc, seconds, peak = measured(tmp_path, "plot", "-o", tmp_path / "c",
                                   path)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert f"{kernels * 37} runs to draw" in proc.stderr
    assert seconds < LIMIT_S and peak < LIMIT_BYTES, (seconds, peak)
    assert not (tmp_path / "c").exists()


@pytest.mark.skipif(not os.environ.get("CB_BIG"),
                    reason="a minute or more: set CB_BIG=1")
def test_a_folder_of_10000_files(plot, tmp_path):
    """The issue's folder: report writes its page, within 60 s and 2 GB
    (it had not finished after 200 s); plot refuses as many files side by
    side before reading them."""
    folder = tmp_path / "fleet"
    bigresults.big_folder(folder, 10_000)
    out = tmp_path / "fleet.html"
    proc, seconds, peak = measured(tmp_path, "report", "-o", out, folder)
    assert proc.returncode == 0, proc.stderr
    assert seconds < LIMIT_S and peak < LIMIT_BYTES, (seconds, peak)
    page = out.read_text()
    assert figures(page) == 0 and sections(page) == 10_000
    proc, seconds, peak = measured(tmp_path, "plot", "-o", tmp_path / "c",
                                   "--newest", "10000", folder)
    assert proc.returncode == 2 and "more than 16 files side by side" in \
        proc.stderr
    assert seconds < LIMIT_S and peak < LIMIT_BYTES, (seconds, peak)
