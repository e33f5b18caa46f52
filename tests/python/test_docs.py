"""scripts/docs: every generated block of the README and docs/ is what its
command prints from the kept data now (a table edited by hand, or data
changed without regenerating, fails here), and the machinery itself."""

import subprocess
import sys

from cbscripts import ROOT, SCRIPTS, load_script


def test_every_generated_block_is_up_to_date():
    proc = subprocess.run([sys.executable, str(SCRIPTS / "docs"), "--check"],
                          capture_output=True, text=True, cwd=ROOT,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_block_that_differs_is_found_and_filled(tmp_path):
    docs = load_script("docs")
    page = tmp_path / "page.md"
    page.write_text("intro\n<!-- cbrules.py --markdown -->\n| stale |\n"
                    "<!-- end -->\nafter\n")
    new, changed = docs.regenerate(page)
    assert changed == ["cbrules.py --markdown"]
    table = subprocess.run([sys.executable, str(SCRIPTS / "cbrules.py"),
                            "--markdown"], capture_output=True,
                           text=True).stdout
    assert new == ("intro\n<!-- cbrules.py --markdown -->\n" + table
                   + "<!-- end -->\nafter\n")
    page.write_text(new)
    assert docs.regenerate(page) == (new, [])


def test_only_programs_in_scripts_run(tmp_path):
    docs = load_script("docs")
    page = tmp_path / "page.md"
    for cmd in ("../bin/true", "rm -rf /tmp/x", "nonesuch"):
        page.write_text(f"<!-- {cmd} -->\n<!-- end -->\n")
        try:
            docs.regenerate(page)
        except SystemExit as e:
            assert "is not a program in scripts/" in str(e)
        else:
            raise AssertionError(cmd)


def test_a_code_block_and_an_answer_with_status_1(tmp_path):
    docs = load_script("docs")
    page = tmp_path / "page.md"
    page.write_text("<!-- code cbrules.py --markdown -->\n<!-- end -->\n")
    new, changed = docs.regenerate(page)
    assert new.startswith("<!-- code cbrules.py --markdown -->\n```\n"
                          "$ scripts/cbrules.py --markdown\n| rule |")
    assert new.endswith("```\n<!-- end -->\n")
    # scripts/overhead exits 1 when a target is missed: still an answer.
    kept = "docs/results/suite-vm/vm-20261201T153047Z.json"
    page.write_text(f"<!-- code overhead {kept} -->\n<!-- end -->\n")
    new, _ = docs.regenerate(page)
    assert "MISSED" in new and "process noop vs fork+_exit+waitpid" in new


def test_a_figure_in_a_sentence_is_checked(tmp_path):
    docs = load_script("docs")
    page = tmp_path / "page.md"
    page.write_text("a task took\n<!-- figures.py payload-faults-process-"
                    "pool-shm -->999<!-- end --> faults.\n")
    new, changed = docs.regenerate(page)
    assert changed == ["figures.py payload-faults-process-pool-shm"]
    assert new == ("a task took\n<!-- figures.py payload-faults-process-"
                   "pool-shm -->435<!-- end --> faults.\n")
    page.write_text(new)
    assert docs.regenerate(page) == (new, [])
    # One that ends its line is a figure too, not a block's opening.
    page.write_text("a task took <!-- figures.py payload-faults-process-"
                    "pool-shm -->9<!-- end -->\nfaults.\n")
    new, changed = docs.regenerate(page)
    assert changed == ["figures.py payload-faults-process-pool-shm"]
    assert new == ("a task took <!-- figures.py payload-faults-process-"
                   "pool-shm -->435<!-- end -->\nfaults.\n")
    # A program that prints a table is no figure; nor is an unknown name.
    for cmd, why in (("cbrules.py --markdown", "more than one"),
                     ("figures.py nonesuch", "failed")):
        page.write_text(f"x <!-- {cmd} -->1<!-- end --> y\n")
        try:
            docs.regenerate(page)
        except SystemExit as e:
            assert why in str(e), e
        else:
            raise AssertionError(cmd)
    page.write_text("x <!-- figures.py nonesuch -->1 y\n")
    try:
        docs.regenerate(page)
    except SystemExit as e:
        assert "has no <!-- end -->" in str(e)
    else:
        raise AssertionError("unclosed")


def test_every_figure_reads_its_kept_file():
    """Every figure has a one-line value (figures.py --all, which
    scripts/docs reads, each file once), the same as figures.py NAME
    prints alone."""
    figures = load_script("figures.py")
    assert figures.FIGURES
    proc = subprocess.run([sys.executable, str(SCRIPTS / "figures.py"),
                           "--all"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    values = dict(line.split("\t", 1) for line in proc.stdout.splitlines())
    assert set(figures.FIGURES) - set(values) == set(), "figures that fail"
    for f in figures.FIGURES.values():
        for path in f.paths:
            assert (SCRIPTS.parent / path).is_file(), path
    for name in list(values)[::40]:
        alone = subprocess.run([sys.executable, str(SCRIPTS / "figures.py"),
                                name], capture_output=True, text=True)
        assert alone.stdout == values[name] + "\n"


def test_a_figure_that_does_not_read_says_why(tmp_path, monkeypatch):
    """--all leaves out a figure whose file lacks what it reads, and the
    figure alone says why in one line, exit status 2."""
    figures = load_script("figures.py")
    monkeypatch.setattr(figures, "ROOT", str(tmp_path))
    (tmp_path / "docs/results/mpi-pool").mkdir(parents=True)
    (tmp_path / figures.MPI).write_text("{}")
    assert "mpi-pool-start" not in figures.every_value()
    text, why = figures.value(figures.FIGURES["mpi-pool-start"])
    assert text is None and why.startswith("figures.py: ")
    assert "\n" not in why


def test_every_figure_is_quoted_and_every_quote_is_a_figure():
    figures = load_script("figures.py")
    docs = load_script("docs")
    quoted = set()
    for page in docs.pages():
        for match in docs.INLINE.finditer(page.read_text()):
            words = match["cmd"].split()
            if words[0] == "figures.py":
                quoted.add(words[1])
    assert quoted - set(figures.FIGURES) == set()
    assert set(figures.FIGURES) - quoted == set(), "figures no page quotes"


STUDY_TABLES = {
    "mpi_pool_table.py": [],
    "net_echo_table.py": [],
    "payload_table.py": [],
    "wait_table.py": [],
    "parent_rss_table.py": ["noop", "1"],
    "paired.py": [],
    "c_beside_python.py": ["--note", "1",
                           "docs/results/c-beside-python/"
                           "python-original-vm.json"],
}


def test_the_tables_scripts_refuse_bad_input_in_one_line(tmp_path):
    """A file that is missing, not JSON, or holds none of what the table
    shows: one line on stderr naming the script, exit 2, no table."""
    not_json = tmp_path / "not.json"
    not_json.write_text("[1")
    base = ROOT / "tests" / "fixtures" / "base.json"
    for script, before in STUDY_TABLES.items():
        for path in (tmp_path / "missing.json", not_json, base):
            proc = subprocess.run([sys.executable, str(SCRIPTS / script),
                                   *before, str(path)], cwd=ROOT,
                                  capture_output=True, text=True)
            assert (proc.returncode, proc.stdout) == (2, ""), \
                (script, path, proc.stdout)
            assert proc.stderr.startswith(script + ": "), proc.stderr
            assert proc.stderr.count("\n") == 1, proc.stderr
        proc = subprocess.run([sys.executable, str(SCRIPTS / script)],
                              capture_output=True, text=True)
        assert proc.returncode == 2 and "usage:" in proc.stderr


def test_paired_prints_the_kept_printouts():
    """The .txt beside each paired JSON is what paired.py prints."""
    kept = ROOT / "docs" / "results" / "overhead"
    for name in ("overhead-old-new-paired", "ab-payload0-vm"):
        proc = subprocess.run([sys.executable, str(SCRIPTS / "paired.py"),
                               str(kept / f"{name}.json")],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == (kept / f"{name}.txt").read_text()


def test_a_rule_quoted_in_a_sentence():
    run = [sys.executable, str(SCRIPTS / "cbrules.py")]
    ok = subprocess.run(run + ["--percent", "BUSY_STRETCH"],
                        capture_output=True, text=True)
    assert (ok.returncode, ok.stdout) == (0, "15 %\n")
    ok = subprocess.run(run + ["--value", "CANARY_SIGMAS"],
                        capture_output=True, text=True)
    assert (ok.returncode, ok.stdout) == (0, "4\n")
    for bad in (["--value", "NONESUCH"], ["--value", "CANARY_CORRECT"]):
        r = subprocess.run(run + bad, capture_output=True, text=True)
        assert r.returncode == 1 and r.stdout == "" and \
            r.stderr.startswith("cbrules.py: no rule"), bad
