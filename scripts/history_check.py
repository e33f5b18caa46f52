#!/usr/bin/python3
"""history_check.py: runs concbench/history_check.py, the program."""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from concbench import cli, history_check  # noqa: E402

if __name__ == "__main__":
    cli.run(history_check.main)
