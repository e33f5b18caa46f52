"""Regenerate every generated block of the README and docs/ from kept data.

A generated block is written as

    <!-- SCRIPT ARG... -->
    ...what `scripts/SCRIPT ARG...` prints, run from the repository root...
    <!-- end -->

in README.md or any docs/**/*.md. SCRIPT must be a program in scripts/;
its output replaces what is between the two comments. Written on one
line, `<!-- SCRIPT ARG... -->VALUE<!-- end -->` is a figure in a
sentence: the program prints one line (scripts/figures.py NAME: a figure
quoted in prose, computed from the kept file its definition names). `<!-- code SCRIPT
ARG... -->` puts the output in a code block, after a line `$ scripts/SCRIPT
ARG...` (for a program's text output, a table of fixed-width columns). A
program that exits 1 with output and nothing on stderr has answered
(scripts/overhead when a target is missed).

usage: scripts/docs [--check]
  --check  change nothing; list the blocks that differ from what their
           command prints now and exit 1 if any does (the test suite runs
           this, so a committed table that drifts from its data fails).
Exit status: 0; 1 with --check when a block differs; 2 when a command
fails or a block is not closed (one line saying which).
"""

import os
import re
import subprocess
import sys
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
# A command is a comment's text up to its first " -->" (so that a line
# that ends with a figure in a sentence is not taken for a block).
CMD = r"(?P<cmd>(?!end -->)(?:(?! -->)[^\n])*?)"
BLOCK = re.compile(r"(<!-- " + CMD + r" -->\n)"
                   r"(?P<body>.*?)(<!-- end -->)", re.S)
INLINE = re.compile(r"(<!-- " + CMD + r" -->)"
                    r"(?P<body>[^\n]*?)(<!-- end -->)")


def pages():
    yield ROOT / "README.md"
    yield from sorted((ROOT / "docs").rglob("*.md"))


def shown(page):
    """page as a user would name it: relative to the repository."""
    try:
        return page.relative_to(ROOT)
    except ValueError:
        return page


_figures = None


def figure(name):
    """The figure name as `figures.py NAME` prints it, from one run of
    `figures.py --all` (each kept file read once, not once a figure);
    None for one that does not read, which then runs alone and says
    why."""
    global _figures
    if _figures is None:
        proc = subprocess.run([sys.executable, str(SCRIPTS / "figures.py"),
                               "--all"], cwd=ROOT, capture_output=True,
                              text=True)
        _figures = dict(line.split("\t", 1)
                        for line in proc.stdout.splitlines() if "\t" in line)
    text = _figures.get(name)
    return None if text is None else text + "\n"


def output_of(page, command):
    words = command.split()
    if len(words) == 2 and words[0] == "figures.py":
        text = figure(words[1])
        if text is not None:
            return text
    if words and words[0] == "code":
        inner = " ".join(words[1:])
        return (f"```\n$ scripts/{inner}\n" + output_of(page, inner)
                + "```\n")
    script = SCRIPTS / words[0]
    if "/" in words[0] or not script.is_file():
        raise SystemExit(f"docs: {shown(page)}: '{words[0]}' is "
                         "not a program in scripts/")
    run = [sys.executable, str(script)] if script.suffix == ".py" or \
        open(script, "rb").read(2) != b"#!" else [str(script)]
    proc = subprocess.run(run + words[1:], cwd=ROOT, capture_output=True,
                          text=True, env=dict(os.environ, NO_COLOR="1"))
    # Exit status 1 with output and nothing on stderr is an answer too
    # (scripts/overhead: a target missed).
    answered = proc.returncode == 1 and proc.stdout and not proc.stderr
    if proc.returncode != 0 and not answered:
        raise SystemExit(f"docs: {shown(page)}: '{command}' "
                         f"failed: {proc.stderr.strip().splitlines()[-1:]}")
    return proc.stdout


def regenerate(page):
    """(new text, [commands whose block changed])."""
    text = page.read_text()
    changed = []

    def fill(match):
        body = output_of(page, match["cmd"])
        if body and not body.endswith("\n"):
            body += "\n"
        if body != match["body"]:
            changed.append(match["cmd"])
        return match.group(1) + body + match.group(4)

    def fill_inline(match):
        body = output_of(page, match["cmd"])
        if body.count("\n") > 1 or not body.strip():
            raise SystemExit(f"docs: {shown(page)}: '{match['cmd']}' "
                             "printed no line or more than one for a "
                             "figure in a sentence")
        body = body.strip()
        if body != match["body"]:
            changed.append(match["cmd"])
        return match.group(1) + body + match.group(4)

    new = BLOCK.sub(fill, text)
    new = INLINE.sub(fill_inline, new)
    opened = len(re.findall(r"<!-- (?!end -->)[^\n]*? -->", text))
    closed = len(BLOCK.findall(text)) + len(INLINE.findall(BLOCK.sub("", text)))
    if opened != closed:
        raise SystemExit(f"docs: {shown(page)}: a generated "
                         "block has no <!-- end -->")
    return new, changed


def main(argv):
    check = argv == ["--check"]
    if argv and not check:
        print("usage: scripts/docs [--check]", file=sys.stderr)
        return 2
    differ = []
    for page in pages():
        if not page.exists():
            continue
        new, changed = regenerate(page)
        for cmd in changed:
            differ.append(f"{shown(page)}: {cmd}")
        if changed and not check:
            page.write_text(new)
    for line in differ:
        print(("differs: " if check else "regenerated: ") + line)
    return 1 if check and differ else 0
