#!/usr/bin/python3
"""canary_study.py: runs concbench/canary_study.py, the program."""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from concbench import cli, canary_study  # noqa: E402

if __name__ == "__main__":
    cli.run(canary_study.main)
