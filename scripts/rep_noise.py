#!/usr/bin/python3
"""rep_noise.py: runs concbench/rep_noise.py, the program."""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from concbench import cli, rep_noise  # noqa: E402

if __name__ == "__main__":
    cli.run(rep_noise.main)
