"""Two builds run alternately, benchmark by benchmark: per benchmark the
median of its pairs' time ratios and the pairs, and the geometric mean of
the medians; what docs/overhead.md shows, from the kept JSON of
docs/results/overhead/ (its .txt files are this output).

A file is either
  - scripts/ab's --out JSON ("times_s": per benchmark the times of A and
    of B): the ratios B / A, printed as ab prints them;
  - an object of benchmark name -> [ratio new / old of each pair], the
    paired old/new comparison before scripts/ab existed
    (overhead-old-new-paired.json), printed as that run printed it.

usage: paired.py FILE.json
Exit status: 0; 2 for a file that does not read or is neither (one line
on stderr).
"""

import json
import math
import sys

from concbench.load import is_number, shown_path
from concbench.stats import geomean, median


PROG = "paired.py"
# The old/new run's printout padded its names to this width.
OLD_NEW_WIDTH = 44


def is_ratio(value):
    return is_number(value) and math.isfinite(value) and value > 0


def ratios_of(doc):
    """({name: [ratio...]}, label, width) of either kind of file."""
    if isinstance(doc, dict) and "times_s" in doc:
        times = doc["times_s"]
        if not isinstance(times, dict) or not times:
            raise ValueError("scripts/ab's \"times_s\" is no object of "
                             "benchmarks")
        found = {}
        for name, t in times.items():
            a, b = (t.get(k) if isinstance(t, dict) else None
                    for k in ("a", "b"))
            if not (isinstance(a, list) and isinstance(b, list) and a
                    and len(a) == len(b)
                    and all(map(is_ratio, a + b))):
                raise ValueError(f"{name}: no pairs of positive times "
                                 "\"a\" and \"b\"")
            found[name] = [tb / ta for ta, tb in zip(a, b)]
        return found, "B/A", max(map(len, found))
    if (isinstance(doc, dict) and doc
            and all(isinstance(r, list) and r and all(map(is_ratio, r))
                    for r in doc.values())):
        return doc, "new/old", max(OLD_NEW_WIDTH, *map(len, doc))
    raise ValueError("neither scripts/ab's --out JSON nor benchmark "
                     "names and their ratios")


def main(argv):
    if len(argv) != 1 or argv[0].startswith("-"):
        print(f"usage: {PROG} FILE.json", file=sys.stderr)
        return 2
    try:
        with open(argv[0], encoding="utf-8") as f:
            found, label, width = ratios_of(json.load(f))
    except OSError as e:
        print(f"{PROG}: {shown_path(argv[0])}: {e.strerror}",
              file=sys.stderr)
        return 2
    except json.JSONDecodeError as e:
        print(f"{PROG}: {shown_path(argv[0])}: not JSON ({e})",
              file=sys.stderr)
        return 2
    except ValueError as e:
        print(f"{PROG}: {shown_path(argv[0])}: "
              f"{' '.join(str(e).split())}", file=sys.stderr)
        return 2
    medians = []
    for name, ratios in found.items():
        medians.append(median(ratios))
        print(f"{name:{width}}  median {label} {medians[-1]:6.3f}  pairs "
              + " ".join(f"{r:.2f}" for r in ratios))
    print(f"geometric mean of the medians: {geomean(medians):.3f}")
    return 0
