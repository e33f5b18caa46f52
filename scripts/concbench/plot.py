"""Draw PNG charts of concbench (Google Benchmark) JSON results.

Usage
-----
    plot [-o OUTDIR] FILE [FILE...]
    plot --newest N DIR [-o OUTDIR]

Writes into OUTDIR (default: the current directory) and prints the path of
every chart written:

``time-<kernel>-tasks<T>.png``
    median batch time of every strategy at each worker count, as grouped
    bars with the interquartile range as whiskers; one panel per file, on a
    shared time axis (logarithmic when the times span more than 30x).
``speedup.png``
    speedup over serial against workers, a line per strategy, with the ideal
    min(workers, CPUs allowed) dashed; one row per kernel and one column per
    file (one file: the kernels side by side, two to a row).
``other.png``
    median time of the benchmarks whose names are not concbench names
    (concbench's ``baseline/...`` runs, another Google Benchmark program's,
    or names with more tasks or workers than concbench can run: see
    ``names.py``), one bar per file; the first MAX_OTHER of them, the
    title says so when there are more.

All inputs are read and checked before anything is drawn; each chart goes
to a temporary file as it is drawn, and they are renamed into place once
all are written (killed by SIGINT, SIGTERM or SIGHUP, plot removes them and
dies of the signal).  Bad input (listed in ``load.py``) gives one
line ``plot: FILE: problem`` on stderr, exit status 2 and no file; so does
a bad option, and so do more than MAX_FILES files side by side, or more
than MAX_RUNS runs or MAX_PANELS panels to draw in all (check_count,
check_size).  ``--newest N DIR``
plots the N newest ``*.json`` in DIR.  Strategies are drawn with their modes
in the order of the files' ``modes`` context (else ``names.MODE_ORDER``),
each mode of MODE_ORDER in its own colour whatever that order.
"""

import math
import os
import re
import sys
from dataclasses import dataclass


import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure
from matplotlib.ticker import (FixedLocator, FuncFormatter,
                               LogLocator, NullLocator)

from concbench.cli import ArgumentParser
from concbench.context import allowed_cpus
from concbench.formats import AXIS, seconds_text, time_unit
from concbench.load import (InputError, Result, load_all, newest_json_files,
                            shown_path)
from concbench.names import (MODE_ORDER, mode_order, ordered_names_of,
                             short_names, strategy_key)
from concbench.pairing import machine_of
from concbench.speedups import concbench_runs, other_rows, speedup_rows


PROG = "plot"
DPI = 100
LOG_SPAN = 30           # log time axis when max / min exceeds this
MARKERS = "osD^vP*Xph"
# What plot draws at most, refusing more with one line (check_count,
# check_size), so that it ends within a minute and a few hundred MB: the
# files side by side in a chart (a panel each, so a chart's width), the
# runs shown in all (bars and points: about 10 ms each on a 2-CPU virtual
# machine), and the panels (a kernel and task count in a file, in its time
# chart and among the speedups: about 0.2 s each). A full suite run has
# about 190 runs in 4 panels. The charts are drawn and written one at a
# time.
MAX_FILES = 16
MAX_RUNS = 2000
MAX_PANELS = 64
# other.png shows the first MAX_OTHER benchmarks that are not concbench
# runs (16 files' bars for 100 names are 37,000 pixels high).
MAX_OTHER = 100
FULL_SUITE = {"runs": 190, "panels": 4}


@dataclass
class Chart:
    """One figure and the file name it is written under."""

    filename: str
    figure: Figure


@dataclass
class Panel:
    """The concbench runs of one kernel and task count in one file."""

    result: Result
    cpus: int           # CPUs allowed, None if unknown
    rows: list          # speedup_rows entries


# ------------------------------------------------------------------ data

def panels_by_kernel(results):
    """{(kernel, tasks): [Panel or None per file]}, kernels in file order."""
    table = {}
    for index, result in enumerate(results):
        cpus, _ = allowed_cpus(result.context)
        machine = machine_of(result, cpus)
        for row in speedup_rows(concbench_runs(result), machine):
            panels = table.setdefault((row["kernel"], row["tasks"]),
                                      [None] * len(results))
            if panels[index] is None:
                panels[index] = Panel(result, cpus, [])
            panels[index].rows.append(row)
    return table


def strategy_styles(results):
    """strategy -> (colour, marker), in the order strategies are drawn and
    listed (strategy_key, with the modes in mode_order).

    Every known mode has its own, the same in every chart and run; other
    strategies (unknown modes, chunk sizes) share a second palette."""
    known = matplotlib.colormaps["tab10"].colors
    palette = matplotlib.colormaps["Dark2"].colors
    modes = mode_order(results)
    keys = {c.strategy: strategy_key(c, modes) for result in results
            for c, _ in concbench_runs(result)}
    styles = {}
    others = 0
    for strategy in sorted(keys, key=keys.get):
        if strategy in MODE_ORDER:
            i, colours = MODE_ORDER.index(strategy), known
        else:
            i, colours, others = others, palette, others + 1
        styles[strategy] = (colours[i % len(colours)],
                            MARKERS[i % len(MARKERS)])
    return styles


def machine(result):
    """A short description of the machine a file was measured on."""
    cpus, _ = allowed_cpus(result.context)
    name = result.context.get("cpu_model") or result.context.get("host_name")
    parts = [str(name)] if name else []
    if cpus:
        parts.append(f"{cpus} CPUs")
    return ", ".join(parts)


def panel_title(result):
    about = machine(result)
    return f"{result.label} ({about})" if about else result.label


@dataclass
class TimeAxis:
    """How times are drawn along one axis."""

    scale: float        # seconds per axis unit
    log: bool           # logarithmic, ticks labelled with their own units
    label: str
    span: float = 1.0   # largest / smallest median


def time_axis(spreads, what):
    """A TimeAxis for the spreads: logarithmic when they span > LOG_SPAN."""
    medians = [s["median_s"] for s in spreads]
    span = max(medians) / min(medians) if min(medians) > 0 else math.inf
    if LOG_SPAN < span < math.inf:
        return TimeAxis(1.0, True, f"{what}, log scale", span)
    unit, scale = time_unit(max(s["q3_s"] for s in spreads), AXIS)
    return TimeAxis(scale, False, f"{what} ({unit})")


def apply_time_axis(ax, which, axis):
    """Set ax's x or y axis up as the TimeAxis says."""
    getattr(ax, f"set_{which}label")(axis.label)
    if axis.log:
        getattr(ax, f"set_{which}scale")("log")
        ticks = getattr(ax, f"{which}axis")
        if axis.span < 1000:    # few decades: label 1, 2 and 5 of each
            ticks.set_major_locator(LogLocator(subs=(1, 2, 5)))
        ticks.set_major_formatter(FuncFormatter(lambda v, _:
                                                seconds_text(v, AXIS)))


def safe(text):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


# ---------------------------------------------------------------- figures

def new_figure(width, height):
    return Figure(figsize=(width, height), dpi=DPI, layout="constrained")


def add_legend(fig, handles, labels, ncols):
    """A legend for the whole figure, below the panels."""
    rows = math.ceil(len(labels) / ncols)
    height = 0.2 + 0.3 * rows
    fig.get_layout_engine().set(
        rect=(0, height / fig.get_figheight(), 1,
              1 - height / fig.get_figheight()))
    fig.legend(handles, labels, loc="lower center", ncols=ncols,
               frameon=False)


def figure_legend(fig, axes, ncols):
    """Collect the distinct labelled artists of axes into one legend."""
    found = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            found.setdefault(label, handle)
    if found:
        # As many columns as fit the figure's width with the longest label
        # (about 0.075 in a character, 0.7 in for the patch and the gap):
        # "process_pool chunk:auto transport:shm" needs a row of its own.
        column_in = 0.7 + 0.075 * max(len(label) for label in found)
        fits = max(1, int(fig.get_figwidth() // column_in))
        add_legend(fig, list(found.values()), list(found),
                   min(ncols, fits, len(found)))


def time_chart(kernel, tasks, panels, results, styles):
    """Grouped bars: median time by strategy at each worker count."""
    axis = time_axis([r for p in panels if p is not None for r in p.rows],
                     "median batch time")
    fig = new_figure(max(8.5, 1.25 + 5.25 * len(panels)), 4.75)
    axes = fig.subplots(1, len(panels), sharey=True, squeeze=False)[0]
    for ax, panel, result in zip(axes, panels, results):
        if panel is None:
            empty_panel(ax, "not in this file")
        else:
            draw_bars(ax, panel, styles, axis.scale)
        ax.set_title(panel_title(result), fontsize="medium")
        ax.set_xlabel("workers")
    apply_time_axis(axes[0], "y", axis)
    fig.suptitle(f"{kernel}, {tasks} tasks per batch: median time by "
                 "strategy (lower is better; whiskers: IQR)")
    figure_legend(fig, axes, ncols=5)
    return Chart(f"time-{safe(kernel)}-tasks{tasks}.png", fig)


def draw_bars(ax, panel, styles, scale):
    groups = {}
    for row in panel.rows:
        groups.setdefault(row["workers"], []).append(row)
    workers = sorted(groups)
    width = 0.8 / max(3, max(len(g) for g in groups.values()))
    order = list(styles)
    for x, w in enumerate(workers):
        group = sorted(groups[w], key=lambda r: order.index(r["strategy"]))
        for i, row in enumerate(group):
            offset = (i - (len(group) - 1) / 2) * width
            median = row["median_s"] / scale
            ax.bar(x + offset, median, width * 0.92,
                   color=styles[row["strategy"]][0], label=row["strategy"],
                   yerr=[[median - row["q1_s"] / scale],
                         [row["q3_s"] / scale - median]],
                   error_kw={"elinewidth": 1, "capsize": 2})
    ax.set_xticks(range(len(workers)), [str(w) for w in workers])
    ax.set_xlim(-0.5, len(workers) - 0.5)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)


def has_speedups(panels):
    """Whether any of the panels has a strategy to compare with serial."""
    return any(r["speedup"] is not None and r["mode"] != "serial"
               for p in panels if p is not None for r in p.rows)


def speedup_chart(table, results, styles):
    """Speedup against workers: a panel per kernel and file.

    Kernels without a serial run in any file are left out."""
    keys = [key for key, panels in table.items() if has_speedups(panels)]
    ncols = len(results) if len(results) > 1 else min(2, len(keys))
    cells = [(key, index) for key in keys for index in range(len(results))]
    nrows = math.ceil(len(cells) / ncols)
    fig = new_figure(0.5 + 4.5 * ncols, 0.5 + 3.5 * nrows)
    axes = fig.subplots(nrows, ncols, squeeze=False,
                        sharey="row" if len(results) > 1 else False)
    axes = axes.flatten()
    for ax, (key, index) in zip(axes, cells):
        panel = table[key][index]
        title = f"{key[0]}, {key[1]} tasks"
        if len(results) > 1:
            title += f": {panel_title(results[index])}"
        ax.set_title(title, fontsize="medium")
        if panel is None:
            empty_panel(ax, "not in this file")
        else:
            draw_speedup(ax, panel, styles)
    for ax in axes[:len(cells)]:
        ax.set_ylim(bottom=0)   # once every panel of a row has its lines
    for ax in axes[len(cells):]:
        ax.set_axis_off()
    fig.suptitle("Speedup over serial against workers (higher is better)"
                 + ("" if len(results) > 1
                    else f": {panel_title(results[0])}"))
    figure_legend(fig, axes, ncols=6)
    return Chart("speedup.png", fig)


def draw_speedup(ax, panel, styles):
    lines = {}
    for row in panel.rows:
        if row["mode"] != "serial" and row["speedup"] is not None:
            lines.setdefault(row["strategy"], []).append(row)
    workers = sorted({r["workers"] for r in panel.rows})
    if not lines:
        empty_panel(ax, "no serial run to compare with")
        return
    ax.axhline(1, color="grey", linewidth=0.8, label="serial (1x)")
    if panel.cpus:
        ax.plot(workers, [min(w, panel.cpus) for w in workers], "k--",
                linewidth=1.2, label="ideal: min(workers, CPUs)")
    for strategy in [s for s in styles if s in lines]:
        rows = sorted(lines[strategy], key=lambda r: r["workers"])
        colour, marker = styles[strategy]
        ax.plot([r["workers"] for r in rows], [r["speedup"] for r in rows],
                marker=marker, color=colour, label=strategy)
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_locator(FixedLocator(workers))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticklabels([str(w) for w in workers])
    ax.set_xlabel("workers")
    ax.set_ylabel("speedup (serial time / time)")
    ax.grid(alpha=0.3)


def empty_panel(ax, text):
    ax.text(0.5, 0.5, text, ha="center", va="center",
            transform=ax.transAxes, color="grey")
    ax.tick_params(left=False, labelleft=False, bottom=False,
                   labelbottom=False)


def other_chart(results):
    """Horizontal bars: median time of the non-concbench benchmarks."""
    spreads = [{row["name"]: row for row in other_rows(r)}
               for r in results]
    names = ordered_names_of(spreads)
    if not names:
        return None
    # A bar a name and file: beyond MAX_OTHER names the chart would pass
    # the 2^16 pixels a PNG can have, and tell nothing; compare lists all.
    title = "Other benchmarks: median time (whiskers: IQR)"
    if len(names) > MAX_OTHER:
        title += f"\n(the first {MAX_OTHER} of {len(names)})"
        names = names[:MAX_OTHER]
        spreads = [{n: by[n] for n in names if n in by} for by in spreads]
    shown = short_names(names)
    axis = time_axis([s for by in spreads for s in by.values()],
                     "median time")
    having = [k for k, by in enumerate(spreads) if by]
    height = 0.8 / len(having)
    label_width = max(len(shown[n]) for n in names) * 0.075
    fig = new_figure(4.5 + label_width,
                     1.4 + len(names) * (0.2 + 0.22 * len(having)))
    ax = fig.subplots()
    colours = matplotlib.colormaps["tab10"].colors
    for slot, k in enumerate(having):
        offset = (slot - (len(having) - 1) / 2) * height
        for y, name in enumerate(names):
            if name in spreads[k]:
                draw_hbar(ax, y + offset, spreads[k][name], height,
                          colours[k % len(colours)], axis.scale,
                          results[k].label)
    ax.set_yticks(range(len(names)), [shown[n] for n in names])
    ax.invert_yaxis()
    apply_time_axis(ax, "x", axis)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    ax.set_title(title)
    if len(results) > 1:
        figure_legend(fig, [ax], ncols=4)
    return Chart("other.png", fig)


def draw_hbar(ax, y, spread, height, colour, scale, label):
    median = spread["median_s"] / scale
    ax.barh(y, median, height * 0.92, color=colour, label=label,
            xerr=[[median - spread["q1_s"] / scale],
                  [spread["q3_s"] / scale - median]],
            error_kw={"elinewidth": 1, "capsize": 2})


def build_charts(results):
    """Every chart for the loaded results, in the order they are written."""
    return list(iter_charts(results))


def iter_charts(results):
    """build_charts' charts, each drawn when it is asked for (so that one
    is written and let go before the next is drawn)."""
    styles = strategy_styles(results)
    table = panels_by_kernel(results)
    for (kernel, tasks), panels in table.items():
        yield time_chart(kernel, tasks, panels, results, styles)
    if any(has_speedups(panels) for panels in table.values()):
        yield speedup_chart(table, results, styles)
    other = other_chart(results)
    if other:
        yield other


# ---------------------------------------------------------------- writing

def check_plottable(results):
    """Every file must have at least one valid run to draw."""
    for result in results:
        if not any(b.ok for b in result.benches.values()):
            raise InputError(result.path, "every benchmark errored: "
                                             "nothing to plot")


def drawn_size(results, side_by_side=True):
    """(runs, panels) that the charts of results show: their bars and
    points, and their panels (a kernel and task count in a file, in the
    time charts and again in the speedups), what drawing them costs.
    side_by_side: as plot draws them, the files in one chart (a file
    without a kernel has an empty panel for it); else each file's charts
    alone, as report draws them."""
    runs, workloads, panels = 0, set(), 0
    for result in results:
        configs = [c for c, _ in concbench_runs(result)]
        runs += len(configs) + len(other_rows(result))
        keys = {(c.workload, c.tasks) for c in configs}
        workloads |= keys
        panels += len(keys)
    if side_by_side:
        panels = len(workloads) * len(results)
    return runs, panels


def check_count(paths):
    """Refuse more than MAX_FILES files side by side (before reading
    them)."""
    if len(paths) > MAX_FILES:
        raise InputError(paths[MAX_FILES], f"more than {MAX_FILES} "
                            f"files side by side ({len(paths)} given): "
                            "plot fewer at once")


def check_size(results):
    """Refuse what is too big to draw: more than MAX_RUNS runs or
    MAX_PANELS panels, naming the file that passes the limit."""
    for k, result in enumerate(results):
        runs, panels = drawn_size(results[:k + 1])
        alone = drawn_size([result])
        for total, own, limit, what in ((runs, alone[0], MAX_RUNS, "runs"),
                                        (panels, alone[1], MAX_PANELS,
                                         "panels")):
            if total > limit:
                more = (f" ({total} with the files before it)"
                        if total > own else "")
                raise InputError(
                    result.path, f"{own} {what} to draw{more}, more than "
                    f"{limit} (a full suite run has about {FULL_SUITE[what]}"
                    "): plot fewer files, or a file of fewer kernels")


def write_charts(charts, outdir):
    """Write each chart to a temporary file as it is drawn, then, once all
    are written, rename them into place; a failure or a signal
    (Interrupted) while drawing or writing leaves no chart and no
    temporary file behind.  Returns the paths written."""
    made = not os.path.isdir(outdir)
    os.makedirs(outdir, exist_ok=True)
    done = []
    try:
        for chart in charts:
            final = os.path.join(outdir, chart.filename)
            temp = os.path.join(outdir, f".{chart.filename}.{os.getpid()}"
                                        ".tmp")
            done.append((temp, final))
            with open(temp, "xb") as f:
                chart.figure.savefig(f, format="png")
        for temp, final in done:
            os.replace(temp, final)
    except BaseException:
        for temp, _ in done:
            if os.path.exists(temp):
                os.remove(temp)
        if made and not os.listdir(outdir):     # the folder it made too
            os.rmdir(outdir)
        raise
    return [final for _, final in done]


# --------------------------------------------------------------------- CLI

def parse_args(argv):
    parser = ArgumentParser(
        prog=PROG, description="Draw PNG charts of concbench / Google "
        "Benchmark JSON results.")
    parser.add_argument("paths", nargs="+", metavar="FILE",
                        help="JSON result files (or DIR with --newest)")
    parser.add_argument("-o", "--outdir", default=".",
                        help="directory for the charts (default: .)")
    parser.add_argument("--newest", type=int, metavar="N",
                        help="plot the N newest *.json files of DIR")
    args = parser.parse_args(argv)
    if args.newest is not None and (args.newest < 1 or len(args.paths) != 1):
        parser.error("--newest: takes N >= 1 and exactly one DIR")
    return args


def main(argv):
    args = parse_args(argv)
    try:
        paths = (args.paths if args.newest is None
                 else newest_json_files(args.paths[0], args.newest))
        check_count(paths)
        results = load_all(paths)
        check_plottable(results)
        check_size(results)
    except InputError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    try:
        written = write_charts(iter_charts(results), args.outdir)
    except OSError as e:
        print(f"{PROG}: {shown_path(e.filename or args.outdir)}: "
              f"{e.strerror or e}", file=sys.stderr)
        return 2
    for path in written:
        print(path)
    return 0
