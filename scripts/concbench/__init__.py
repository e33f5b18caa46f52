"""concbench's Python side: reading, analysing and showing the results
that the benchmark writes.

The modules, from the data up:

- ``rules``: every threshold of a verdict, once, with its why (the build
  makes bench/verdict_rules.h from it: standard library only);
- ``stats``: plain statistics on lists of numbers;
- ``names``: what a run is, from its label or name (``Config``), and the
  order strategies are listed in;
- ``load``: reading and checking Google Benchmark JSON into runs;
- ``context``: what a file says of its machine, and where files differ;
- ``pairing``: repetitions paired in time, and how disturbed a pair was;
- ``speedups``, ``verdicts``, ``steadiness``, ``answer``: one file's
  speedups and marks, the verdict per kernel and worker count, how steady
  the machine was, and the answer for the machine;
- ``analysis``: all of it for one or more files, as the JSON compare prints;
- ``cli``: what the programs share on their command line.

Nothing is imported here, so that ``rules`` runs with any Python.
"""
