"""One self-contained HTML page of concbench results, for people.

For each result file (a machine's run), under its host name: the answer
(compare's: per kernel the strategy, or the strategies tied, to use at the
best worker count, with what the others cost and why), the steadiness
figures and the marks with their reasons, the charts scripts/plot draws
(as inline SVG), the verdict per kernel and worker count, and the runs as
a table that sorts on a click; with several files, the machines side by
side first; then the context of every file, its differences marked. Everything is read and computed as scripts/compare
does (analysis.py), so the page says what compare says.

The page needs nothing beside itself: inline CSS and SVG, a few lines of
inline JavaScript for sorting (the page reads the same without it), no
network. It is written whole or not at all (to a temporary file, renamed;
removed when report is killed by SIGINT, SIGTERM or SIGHUP). When its
files have more runs than plot draws (plot.MAX_RUNS), the page leaves the
charts out and says so.

usage: report [-o OUT.html] [--newest N] [--alpha A] FILE|DIR ...
  A DIR stands for its *.json files (or, with --newest N, its N newest),
  grouped by host (the context's fleet_host, else host_name).
Exit status: 0; 2 for bad input or an output that cannot be written (one
line ``report: problem`` on stderr, and no page).
"""
import io
import os
import sys

from concbench.analysis import DEFAULT_ALPHA, build_report
from concbench.cli import ArgumentParser
from concbench.document import (Bullets, Cell, Figure, Group, Heading, Markup,
                                Table, Text, Title)
from concbench.formats import (PAGE, VERDICT_WORDS, answer_verdict,
                               costs_text, number_text, ratio_text,
                               seconds_text, single_task_text,
                               verdict_counts_text, why_text)
from concbench.load import InputError, host_of, load_paths, shown_path
from concbench.render_html import esc, render_html


PROG = "report"
CSS = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 72em;
       padding: 1em 2em; color: #222; }
h1 { font-size: 1.6em; } h2 { border-top: 2px solid #ccc; padding-top: .6em; }
h3 { font-size: 1.1em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .5em 0 1em; font-size: .92em; }
th, td { padding: .2em .6em; border-bottom: 1px solid #e4e4e4;
         text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums;
         white-space: nowrap; }
th { background: #f3f3f3; white-space: nowrap; }
table.sortable th { cursor: pointer; }
table.sortable th::after { content: " \\2195"; color: #aaa; }
tr.differs td { background: #fff4d6; }
.verdict { background: #eef6ee; border-left: 4px solid #3a8a3a;
           padding: .5em 1em; }
.verdict li { margin: .25em 0; }
.flag { color: #a33; font-weight: 600; }
.advice { background: #fff8e6; border-left: 4px solid #d9a400;
          padding: .4em 1em; }
figure { margin: 1em 0; } figure svg { max-width: 100%; height: auto; }
.note { color: #555; }
"""

# Sorting by a click on a header: numbers as numbers (their data-v), the
# rest as text; a second click reverses.
SCRIPT = """
document.querySelectorAll("table.sortable th").forEach(function (th) {
  th.addEventListener("click", function () {
    var i = th.cellIndex;
    var body = th.closest("table").tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var down = th.dataset.dir !== "down";
    th.dataset.dir = down ? "down" : "up";
    function key(r) {
      var c = r.cells[i];
      var v = c.dataset.v;
      return v !== undefined ? parseFloat(v) : c.textContent;
    }
    rows.sort(function (a, b) {
      var x = key(a), y = key(b);
      var o = typeof x === "number" && typeof y === "number" ? x - y
              : String(x).localeCompare(String(y));
      return down ? o : -o;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
"""


def seconds(value):
    """A time in the unit that suits it, as the page writes it."""
    return seconds_text(value, PAGE)


def num(value, pattern="{:.2f}"):
    return number_text(value, pattern, "n/a")


def cell(text, value=None, style=None):
    """A cell of the page's tables; with value, a number the sort uses."""
    return Cell(str(text), style, value=value)


def svg_of(figure):
    """The figure as inline SVG (without the XML prologue)."""
    buf = io.StringIO()
    figure.savefig(buf, format="svg")
    text = buf.getvalue()
    return text[text.index("<svg"):]


def answer_blocks(summary):
    """The answer for the machine (compare's Answer): per kernel what to
    use, at which W, its speedup and verdict; what the others cost; why;
    how many verdicts were decided."""
    ans = summary["answer"]
    if not ans["kernels"]:
        return Text("No concbench run to answer from.")
    rows = []
    for k in ans["kernels"]:
        verdict = answer_verdict(k, f"{ans['margin']:.0%}",
                                 "the fastest is marked")
        costs = costs_text(k, ans["margin"])
        rows.append([cell(k["kernel"]),
                     cell(seconds(k["task_s"]), k["task_s"] or 0),
                     cell(", ".join(k["use"]), style="head"),
                     cell(k["workers"], k["workers"]),
                     cell(num(k["speedup"], "{:.2f}x"), k["speedup"] or 0),
                     cell(verdict), cell(costs or "-")])
    why = why_text(ans)
    return Group([Table(["kernel", "one task", "use", "W", "speedup",
                         "verdict", "the others, each at its best W"], None,
                        rows, sortable=False)]
                 + ([Text(why)] if why else [])
                 + [Text(f"{verdict_counts_text(ans['verdicts'])} (a "
                         f"difference below {ans['margin']:.0%} is a "
                         "tie).")], sep="", style="verdict")


def verdicts_blocks(summary):
    """compare's verdict per kernel and worker count."""
    rows = []
    for b in summary["best"]:
        slower = [o for o in b["others"] if o["status"] == "slower"]
        nxt = min(slower, key=lambda o: o["ratio"]) if slower else None
        rows.append([
            cell(b["kernel"]), cell(b["workers"], b["workers"]),
            cell(VERDICT_WORDS[b["verdict"]]), cell(b["strategy"]),
            cell(num(b["speedup"], "{:.2f}x"), b["speedup"] or 0),
            cell(", ".join(b["tie"][1:]) or "-"),
            cell(", ".join(b["undecided"]) or "-"),
            cell("-" if nxt is None else
                 f"{nxt['strategy']} {ratio_text(nxt['ratio'])}"),
            cell(b["sentence"])])
    if not rows:
        return Group()
    return Table(["kernel", "W", "verdict", "fastest", "speedup", "tied",
                  "undecided", "next slower", "in words"], None, rows)


def machines_blocks(report):
    """Several machines side by side (compare's Machines side by side)."""
    machines = report.get("machines")
    if not machines:
        return Group()
    labels = [f["label"] for f in report["files"]]
    rows = []
    for m in machines["machines"]:
        single = single_task_text(m, PAGE)
        rows.append([cell(labels[m["file"]]),
                     cell(num(m["cpus"], "{:g}"), m["cpus"] or 0),
                     cell(m["cpu_model"] or "-"), cell(seconds(m["fork_s"])),
                     cell(seconds(m["thread_s"])), cell(single or "-")])
    return Group([
        Heading("Machines side by side", 2, "machines"),
        Table(["file", "CPUs", "CPU", "fork", "thread",
               "one task alone (time against the first)"], None, rows),
        Text(Markup("fork = fork+exit+wait and thread = pthread_create+join, "
                    "a task, from the baselines; one task alone = serial's "
                    "time a task. Each machine's answer is in its "
                    "section."), "note")], sep="")


def steadiness_blocks(steady):
    speed = steady.get("machine_speed")
    rows = [
        ("order", f"{steady['order']}, {steady['rounds']} rounds"
         + (f" + {steady['extra_rounds']} extra (--rounds=auto)"
            if steady.get("extra_rounds") else "")
         if steady.get("rounds") else steady["order"]),
        ("machine speed (canary, min / median / max)",
         "n/a" if not speed else
         f"{speed['min']:.2f} / {speed['median']:.2f} / {speed['max']:.2f}"),
        ("steal, most CPUs", num((steady.get("steal_cpus") or {}).get("max"))),
        ("other processes, most CPUs",
         num((steady.get("other_cpus") or {}).get("max"))),
        ("runs marked", f"{steady['rows_flagged']} of {steady['rows']}"),
        # of every pair, as compare counts them: those kept and those not
        ("pairs left out", f"{steady['pairs_left_out']} of "
         f"{steady['pairs'] + steady['pairs_left_out']}"),
    ]
    for flag, n in sorted(steady.get("flag_counts", {}).items()):
        rows.append((f"marked {flag}", str(n)))
    return Group([Table(["figure", "in this run"], None,
                        [[cell(k), cell(v)] for k, v in rows],
                        sortable=False)]
                 + [Text(advice, "advice")
                    for advice in steady.get("advice", [])], sep="")


def runs_table(summary):
    headers = ["kernel", "strategy", "workers", "median", "IQR %",
               "speedup", "efficiency", "flags"]
    rows = []
    for r in summary["rows"]:
        iqr = (100 * r["iqr_s"] / r["median_s"]
               if r.get("iqr_s") is not None and r["median_s"] else None)
        rows.append([
            cell(r["kernel"]), cell(r["strategy"]),
            cell(r["workers"], r["workers"]),
            cell(seconds(r["median_s"]), r["median_s"]),
            cell(num(iqr, "{:.1f}"), iqr if iqr is not None else -1),
            cell(num(r.get("speedup")), r.get("speedup") or 0),
            cell(num(r.get("efficiency")), r.get("efficiency") or 0),
            cell(" ".join(r["flags"]), style="bad")])
    return Table(headers, None, rows)


def flagged_blocks(summary):
    flagged = [r for r in summary["rows"] if r["flags"]]
    spared = [r for r in summary["rows"]
              if r.get("pairs_left_out") and not r["flags"]]
    out = []
    if not flagged:
        out.append(Text(Markup("No run is marked: every figure is backed by "
                               "the machine's steadiness.")))
    else:
        rows = [[cell(r["kernel"]), cell(r["strategy"]),
                 cell(r["workers"], r["workers"]),
                 cell("; ".join(r.get("flag_reasons") or r["flags"]))]
                for r in flagged]
        out += [Text("Marked runs (they stay in the verdicts; a marked "
                     "fastest run leaves its verdict undecided):"),
                Table(["kernel", "strategy", "workers", "why"], None, rows)]
    if spared:
        rows = [[cell(r["kernel"]), cell(r["strategy"]),
                 cell(r["workers"], r["workers"]),
                 cell(f"{r['pairs_left_out']} of "
                      f"{r['pairs'] + r['pairs_left_out']}",
                      r["pairs_left_out"]),
                 cell(", ".join(r.get("left_out_because") or []))]
                for r in spared]
        out += [Text("Runs that left disturbed pairs out (and kept enough "
                     "others):"),
                Table(["kernel", "strategy", "workers", "pairs left out",
                       "why"], None, rows)]
    return Group(out, sep="")


def dispatch_blocks(summary):
    """mpi_pool's cost a task beyond process_pool's, where the file has
    both (compare's "Dispatch cost")."""
    rows = []
    for r in summary.get("dispatch", []):
        ci = r["extra_per_task_ci"]
        rows.append([
            cell(r["kernel"]), cell(r["mode"]), cell(r["reference"]),
            cell(r["workers"], r["workers"]),
            cell(seconds(r["reference_median_s"]), r["reference_median_s"]),
            cell(seconds(r["median_s"]), r["median_s"]),
            cell(seconds(r["extra_per_task_s"]), r["extra_per_task_s"]),
            cell("-" if not ci else f"{seconds(ci[0])} to {seconds(ci[1])}",
                 ci[0] if ci else 0),
            cell(seconds(r["pool_start_s"]), r["pool_start_s"] or 0),
            cell(" ".join(r["flags"]), style="bad")])
    if not rows:
        return Group()
    return Group([
        Heading("Dispatch cost", 3),
        Text(Markup("What a task costs beyond the reference in the same run: "
                    "the batch time's difference over its tasks, median of "
                    "the pairs (95% interval); the pool's start is before "
                    "the timed batches.")),
        Table(["kernel", "mode", "reference", "workers", "reference batch",
               "batch", "extra a task", "95% interval", "start", "flags"],
              None, rows)], sep="")


def context_table(report):
    fields = report["context"]["fields"]
    rows = [[cell(f["key"])] + [cell(v) for v in f["values"]]
            for f in fields]
    labels = [f["label"] for f in report["files"]]
    return Table(["key"] + labels, None, rows,
                 row_styles=["differs" if f["differs"] else None
                             for f in fields])


def file_section(plot, result, summary, report_file, charts=True):
    """One file's section of the page."""
    label = report_file["label"]
    errored = (f", errored: {len(report_file['errored'])}"
               if report_file["errored"] else "")
    out = [Heading(f"{host_of(result)}: {label}", 2, label),
           Text(f"{report_file['path']}: {report_file['benchmarks']} "
                f"benchmarks, {summary['cpus']} CPUs "
                f"({summary['cpus_source']}){errored}", "note"),
           Heading("Answer", 3), answer_blocks(summary)]
    out += [Text(note, "note") for note in summary.get("notes", [])]
    out += [Heading("Steadiness", 3),
            steadiness_blocks(summary["steadiness"]),
            flagged_blocks(summary), Heading("Charts", 3)]
    out += (chart_blocks(plot, result) if charts
            else [Text(CHARTS_LEFT_OUT, "note")])
    out += [dispatch_blocks(summary),
            Heading("Verdict per kernel and worker count", 3),
            verdicts_blocks(summary), Heading("Runs", 3),
            runs_table(summary)]
    return Group(out)


def chart_blocks(plot, result):
    """plot's charts of one file, each drawn, turned into SVG and let go
    before the next."""
    out = []
    if any(b.ok for b in result.benches.values()):
        for chart in plot.iter_charts([result]):
            out.append(Figure(chart.filename, svg_of(chart.figure)))
    return out or [Text("No valid run to draw.")]


CHARTS_LEFT_OUT = "Charts left out: see the note at the top of the page."


def charts_left_out(plot, runs, panels):
    """The page's note when its files have more to draw than plot draws
    (None when they have not)."""
    if runs <= plot.MAX_RUNS and panels <= plot.MAX_PANELS:
        return None
    return (f"Charts left out: the files on this page have {runs} runs in "
            f"{panels} panels (a kernel and task count in a file), more "
            f"than the {plot.MAX_RUNS} runs or {plot.MAX_PANELS} panels "
            "that one page draws (a full suite run has about 190 runs in 4 "
            "panels).")


INTRO = Markup("""Which strategy finishes a batch of tasks fastest on each machine, and at
which worker count: each file's answer comes first, then how steady its
machine was, its charts and every run. Click a table's header to sort
it.""")
CONTEXT_INTRO = """What each file says of its machine and run; rows that differ between
files are marked."""


def document(results, report, plot, charts=True):
    """The page's body as a document: the title, the files (their hosts
    first), the machines side by side, a section a file, the context."""
    hosts = sorted({host_of(r) for r in results})
    title = f"concbench: {len(results)} result file" \
            f"{'s' if len(results) != 1 else ''} from {', '.join(hosts)}"
    toc = Bullets([Cell(f"{host_of(r)}: {f['label']}", link=f"#{f['label']}")
                   for r, f in zip(results, report["files"])])
    sections = [file_section(plot, r, s, f, charts) for r, s, f in
                zip(results, report["summaries"], report["files"])]
    return title, [
        Title(title), Text(INTRO),
        Group([Text(n, "note") for n in report["notes"]] + [toc], sep=""),
        machines_blocks(report), Group(sections, sep=""),
        Heading("Context", 2, "context"), Text(CONTEXT_INTRO),
        context_table(report)]


def page(results, report):
    from concbench import plot    # matplotlib: only for a page
    # Beyond what plot draws in a minute, the page has the verdicts and
    # tables, and no chart.
    left_out = charts_left_out(plot, *plot.drawn_size(results, False))
    if left_out:
        report["notes"].append(left_out)
    title, blocks = document(results, report, plot, left_out is None)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title><style>{CSS}</style></head>
<body>
{render_html(blocks)}
<script>{SCRIPT}</script>
</body></html>
"""


def parse_args(argv):
    parser = ArgumentParser(
        prog=PROG, description="Write one self-contained HTML page of "
        "concbench results.")
    parser.add_argument("paths", nargs="+", metavar="FILE|DIR")
    parser.add_argument("-o", "--output", default="report.html",
                        help="the page to write (default report.html)")
    parser.add_argument("--newest", type=int, metavar="N",
                        help="of each DIR, only the N newest *.json")
    parser.add_argument("--alpha", type=float, default=DEFAULT_ALPHA,
                        help="significance level (default 0.05)")
    args = parser.parse_args(argv)
    if not 0 < args.alpha < 1:
        parser.error("--alpha: must be between 0 and 1")
    if args.newest is not None and args.newest < 1:
        parser.error("--newest: must be 1 or more")
    return args


def main(argv):
    args = parse_args(argv)
    try:
        results = load_paths(args.paths, args.newest)
    except InputError as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    report = build_report(results, args.alpha)
    text = page(results, report)
    temp = f"{args.output}.{os.getpid()}.tmp"
    try:
        with open(temp, "x", encoding="utf-8", errors="backslashreplace") as f:
            f.write(text)
        os.replace(temp, args.output)
    except BaseException as e:      # a signal too (Interrupted)
        if os.path.exists(temp):
            os.remove(temp)
        if not isinstance(e, OSError):
            raise
        print(f"{PROG}: {shown_path(e.filename or args.output)}: "
              f"{e.strerror or e}", file=sys.stderr)
        return 2
    print(args.output)
    return 0
