"""concbench's --help, in a code block, for the README (scripts/docs):
the flags as the program itself prints them, so that they cannot drift.

usage: concbench_help.py   (the program: $CB_CONCBENCH, else
                            build/bench/concbench beside this script's ..)
"""
import os
import subprocess
import sys


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.realpath(__file__))))


def main(argv=None):
    exe = os.environ.get("CB_CONCBENCH") or os.path.join(
        ROOT, "build", "bench", "concbench")
    try:
        proc = subprocess.run([exe, "--help"], capture_output=True,
                              text=True, timeout=60)
    except OSError as e:
        print(f"concbench_help.py: {exe}: {e.strerror} (build it first: "
              "ninja -C build)", file=sys.stderr)
        return 2
    if proc.returncode != 0:
        print(f"concbench_help.py: {exe} --help failed", file=sys.stderr)
        return 2
    print("```")
    print(proc.stdout.rstrip("\n"))
    print("```")
    return 0
