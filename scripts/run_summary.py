#!/usr/bin/python3
"""run_summary.py: runs concbench/run_summary.py, the program."""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from concbench import cli, run_summary  # noqa: E402

if __name__ == "__main__":
    cli.run(run_summary.main)
