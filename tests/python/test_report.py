"""Tests of scripts/report: the page is whole and self-contained, says
what compare says (the verdicts, the flags), has a chart for each of plot's
charts, sorts its tables, and loads in headless Chromium with no console
error; bad input is one line and no page."""

import html.parser
import json
import os
import shutil
import subprocess
import sys

import pytest

from cbscripts import FIXTURES, ROOT, SCRIPTS, run_script

VM = FIXTURES / "vm_rounds.json"            # every run flagged
STEADY = FIXTURES / "steady_rounds.json"    # verdicts, and flagged runs
FILES = [STEADY, VM, FIXTURES / "labelled.json"]


class Page(html.parser.HTMLParser):
    """What the tests look for in a page: its tags, external references,
    figures and the text of the verdict lists."""

    def __init__(self):
        super().__init__()
        self.tags, self.external, self.figures = [], [], []
        self.verdict_text, self._in_verdict = [], 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        for key in ("src", "href"):
            if attrs.get(key) and not attrs[key].startswith("#"):
                self.external.append(attrs[key])
        if tag == "link":
            self.external.append(attrs.get("href"))
        if tag == "figure":
            self.figures.append(attrs.get("data-chart"))
        if tag == "div" and attrs.get("class") == "verdict":
            self._in_verdict += 1
        elif self._in_verdict and tag == "div":
            self._in_verdict += 1

    def handle_endtag(self, tag):
        if tag == "div" and self._in_verdict:
            self._in_verdict -= 1

    def handle_data(self, data):
        if self._in_verdict:
            self.verdict_text.append(data)


def make(tmp_path, *paths):
    out = tmp_path / "report.html"
    proc = run_script("report", "-o", out, *paths)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"{out}\n"
    page = Page()
    page.feed(out.read_text(encoding="utf-8"))
    return out, page


def compare_json(*paths):
    proc = run_script("compare", "--format", "json", *paths)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def plot_charts(tmp_path, path):
    out = tmp_path / f"plot-{path.stem}"
    proc = run_script("plot", "-o", out, path)
    assert proc.returncode == 0, proc.stderr
    return sorted(os.path.basename(p) for p in proc.stdout.split())


def test_the_page_is_self_contained_with_every_chart(tmp_path):
    out, page = make(tmp_path, *FILES)
    assert page.tags[0] == "html" and "script" in page.tags
    assert page.external == []          # no network, no other file
    # One figure for each chart plot draws of each file, in order.
    want = [name for path in FILES for name in plot_charts(tmp_path, path)]
    assert sorted(page.figures) == sorted(want)
    assert out.read_text().count("<svg") == len(want)


def test_the_answer_is_compares(tmp_path):
    _, page = make(tmp_path, STEADY)
    text = "".join(page.verdict_text)
    answer = compare_json(STEADY)["summaries"][0]["answer"]
    assert answer["kernels"]
    for k in answer["kernels"]:
        speed = "n/a" if k["speedup"] is None else f"{k['speedup']:.2f}x"
        assert f"{k['kernel']}" in text
        assert f"{', '.join(k['use'])}{k['workers']}{speed}" in text
    counts = answer["verdicts"]
    assert (f"Verdicts over {counts['total']} kernel and worker counts: "
            f"{counts['clear']} clearly best, {counts['tie']} ties, "
            f"{counts['undecided']} undecided") in text


def test_flags_and_their_reasons_are_shown(tmp_path):
    out, _ = make(tmp_path, STEADY)
    text = out.read_text()
    summary = compare_json(STEADY)["summaries"][0]
    flagged = [r for r in summary["rows"] if r["flags"]]
    assert flagged, "the fixture has flagged runs"
    for r in flagged:
        for reason in r["flag_reasons"]:
            assert html.escape(reason, quote=True) in text


def test_the_steadiness_figures_are_compares(tmp_path):
    rounds = (ROOT / "docs" / "results" / "rounds-auto"
              / "rounds-auto-vm.json")
    out, _ = make(tmp_path, rounds)
    text = out.read_text()
    steady = compare_json(rounds)["summaries"][0]["steadiness"]
    assert steady["pairs_left_out"] > 0 and steady["extra_rounds"] > 0
    total = steady["pairs"] + steady["pairs_left_out"]
    assert (f"<td>pairs left out</td><td>{steady['pairs_left_out']} of "
            f"{total}</td>") in text
    assert (f"{steady['rounds']} rounds + {steady['extra_rounds']} extra "
            "(--rounds=auto)") in text


def test_the_dispatch_cost_is_shown_where_mpi_pool_ran(tmp_path):
    mpi = ROOT / "docs" / "results" / "mpi-pool" / "mpi-pool-vm.json"
    out, _ = make(tmp_path, mpi)
    text = out.read_text()
    rows = compare_json(mpi)["summaries"][0]["dispatch"]
    assert len(rows) == 9 and "<h3>Dispatch cost</h3>" in text
    for r in rows:
        assert f'data-v="{r["extra_per_task_s"]!r}"' in text
    out, _ = make(tmp_path, STEADY)
    assert "Dispatch cost" not in out.read_text()


def test_a_folder_stands_for_its_files(tmp_path):
    folder = tmp_path / "fleet"
    folder.mkdir()
    for k, path in enumerate(FILES):
        shutil.copy(path, folder / f"host{k}.json")
    _, page = make(tmp_path, folder)
    want = [name for path in FILES for name in plot_charts(tmp_path, path)]
    assert sorted(page.figures) == sorted(want)


@pytest.mark.parametrize("args, problem", [
    (["{tmp}/missing.json"], "missing.json"),
    (["{tmp}"], "no *.json files"),
    (["-o", "{tmp}/no/such/dir/r.html", str(VM)], "No such file"),
    (["--alpha", "2", str(VM)], "--alpha"),
])
def test_bad_input_is_one_line_and_no_page(tmp_path, args, problem):
    proc = run_script("report", *[a.format(tmp=tmp_path) for a in args])
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and problem in lines[0], proc.stderr
    assert not list(tmp_path.glob("**/*.html"))
    assert not list(tmp_path.glob("**/*.tmp"))


def chromium():
    """A headless Chromium through Selenium, or None where there is none."""
    try:
        from selenium import webdriver
    except ImportError:
        return None
    if not shutil.which("chromedriver"):
        return None
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu",
                "--window-size=1280,1800"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options)


@pytest.fixture
def browser():
    driver = chromium()
    if driver is None:
        if os.environ.get("CB_NEED_BROWSER") or os.environ.get("CI"):
            pytest.fail("no Chromium with chromedriver and selenium: run "
                        "scripts/setup")
        pytest.skip("no Chromium with chromedriver and selenium")
    yield driver
    driver.quit()


def test_the_page_in_chromium(tmp_path, browser):
    from selenium.webdriver.common.by import By
    out, page = make(tmp_path, *FILES)
    browser.get(out.as_uri())
    answers = browser.find_elements(By.CSS_SELECTOR,
                                    "div.verdict tbody tr")
    assert len(answers) >= len(FILES)
    assert all(a.is_displayed() and a.text for a in answers)
    figures = browser.find_elements(By.CSS_SELECTOR, "figure svg")
    assert len(figures) == len(page.figures)
    assert all(f.size["width"] > 200 and f.size["height"] > 100
               for f in figures)
    # Sorting: a click on "median" orders the first runs table by it.
    runs = next(t for t in browser.find_elements(By.CSS_SELECTOR,
                                                 "table.sortable")
                if [th.text for th in t.find_elements(By.TAG_NAME, "th")][
                    :4] == ["kernel", "strategy", "workers", "median"])
    header = runs.find_elements(By.TAG_NAME, "th")[3]
    assert header.text.startswith("median")
    header.click()
    values = [float(td.get_attribute("data-v")) for td in
              runs.find_elements(By.CSS_SELECTOR, "tbody tr td:nth-child(4)")]
    assert values == sorted(values) and len(values) > 1
    errors = [e for e in browser.get_log("browser")
              if e["level"] in ("SEVERE", "ERROR")]
    assert errors == []
    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 0


def test_one_document_three_renderers():
    """compare and report build one document model; each renderer shows
    the same blocks in its format, escaping what comes from the files."""
    from concbench.document import (Bullets, Cell, Group, Heading, Markup,
                                    Text, Title, table)
    from concbench.render_html import render_html
    from concbench.render_markdown import render_markdown
    from concbench.render_text import render_text
    name = "k/<thread>/tasks:4|x"
    blocks = [Title("results"), Heading("a file's runs", 3, "runs"),
              Group([Text(f"from {name}", "note"),
                     Text(Markup("the program's own words"))], sep=""),
              table(["run", "median"], "lr",
                    [[Cell(name, code=True),
                      Cell("1.2 ms", value=0.0012)]]),
              Bullets([Cell("to the runs", link="#runs")])]
    text = render_text(blocks)
    assert text.splitlines()[:2] == ["results", "======="]
    assert "  k/<thread>/tasks:4|x  1.2 ms" in text.splitlines()
    markdown = render_markdown(blocks)
    assert "### a file's runs" in markdown
    assert "| `k/<thread>/tasks:4\\|x` | 1.2 ms |" in markdown
    assert "- [to the runs](#runs)" in markdown
    page = render_html(blocks)
    assert '<h3 id="runs">a file&#x27;s runs</h3>' in page
    assert ('<p class="note">from k/&lt;thread&gt;/tasks:4|x</p>'
            "<p>the program's own words</p>") in page
    assert '<td class="num" data-v="0.0012">1.2 ms</td>' in page
    assert '<li><a href="#runs">to the runs</a></li>' in page
