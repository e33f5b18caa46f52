#!/usr/bin/python3
"""concbench_help.py: runs concbench/concbench_help.py, the program."""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from concbench import cli, concbench_help  # noqa: E402

if __name__ == "__main__":
    cli.run(concbench_help.main)
