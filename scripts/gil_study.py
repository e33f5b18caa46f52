#!/usr/bin/python3
"""gil_study.py: runs concbench/gil_study.py, the program."""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from concbench import cli, gil_study  # noqa: E402

if __name__ == "__main__":
    cli.run(gil_study.main)
