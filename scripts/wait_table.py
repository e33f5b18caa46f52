#!/usr/bin/python3
"""wait_table.py: runs concbench/wait_table.py, the program."""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from concbench import cli, wait_table  # noqa: E402

if __name__ == "__main__":
    cli.run(wait_table.main)
