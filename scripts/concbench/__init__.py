"""concbench's Python side: reading, analysing and showing the results
that the benchmark writes.  Every program is a module here whose
``main(argv)`` its entry point in scripts/ runs (``cli.run``).

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
- ``formats``: how a time, a ratio and a verdict's code read;
- ``document``: the document model compare and report build, shown by
  ``render_text``, ``render_markdown`` and ``render_html``;
- ``cli``: what the programs share on their command line;
- the programs: ``compare``, ``report``, ``plot``, ``overhead``, ``ab``,
  ``docs``, ``python_original``; the studies and the docs' tables:
  ``canary_study``, ``history_check``, ``rep_noise``, ``run_summary``,
  ``mpi_pool_table``, ``net_echo_table``, ``payload_table``,
  ``parent_rss_table``, ``wait_table``,
  ``c_beside_python``, ``paired``, ``concbench_help``.

Nothing is imported here, so that ``rules`` runs with any Python.
"""
