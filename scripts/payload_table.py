#!/usr/bin/python3
"""payload_table.py: runs concbench/payload_table.py, the program."""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from concbench import cli, payload_table  # noqa: E402

if __name__ == "__main__":
    cli.run(payload_table.main)
