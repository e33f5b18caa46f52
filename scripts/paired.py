#!/usr/bin/python3
"""paired.py: runs concbench/paired.py, the program."""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from concbench import cli, paired  # noqa: E402

if __name__ == "__main__":
    cli.run(paired.main)
