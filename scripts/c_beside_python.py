#!/usr/bin/python3
"""c_beside_python.py: runs concbench/c_beside_python.py, the program."""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from concbench import cli, c_beside_python  # noqa: E402

if __name__ == "__main__":
    cli.run(c_beside_python.main)
