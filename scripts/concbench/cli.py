"""What every program shares on its command line: argparse's parser with
one-line usage errors, and signals that end a program after its clean-up."""

import argparse
import os
import re
import sys


class ArgumentParser(argparse.ArgumentParser):
    """argparse's parser, but a usage error is one line ``PROG: OPTION:
    problem`` on stderr (no usage text) and exit status 2; ``--help``
    prints the full help as usual."""

    def error(self, message):
        message = re.sub(r"^argument ([^:]+): ", r"\1: ", message)
        self.exit(2, f"{self.prog}: {' '.join(message.split())}\n")


# ---------------------------------------------------------------- signals


SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")


class Interrupted(BaseException):
    """SIGINT, SIGTERM or SIGHUP arrived (see raise_on_signals): raised
    where the program was, so that its clean-up (a temporary file's
    removal) runs as on any error."""

    def __init__(self, signum):
        super().__init__(f"signal {signum}")
        self.signum = signum


def raise_on_signals():
    """From now on, SIGINT, SIGTERM and SIGHUP raise Interrupted (those
    the program was started with ignored stay ignored, as nohup meant);
    the first one ignores the others, so the clean-up it starts is not
    cut short by a second."""
    import signal

    def interrupted(signum, frame):
        for name in SIGNALS:
            signal.signal(getattr(signal, name), signal.SIG_IGN)
        raise Interrupted(signum)
    for name in SIGNALS:
        signum = getattr(signal, name)
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, interrupted)


def die_of(interrupted):
    """End the program as the signal of an Interrupted would have, once
    the clean-up is done: its status is the signal's, as a shell expects
    of a program it interrupted."""
    import signal
    try:
        sys.stdout.flush()
    except OSError:
        pass
    signal.signal(interrupted.signum, signal.SIG_DFL)
    os.kill(os.getpid(), interrupted.signum)
    os._exit(128 + interrupted.signum)     # not reached


def run(main, escape=False, signals=False):
    """Run a program's main(argv) as the program: its return value is the
    exit status.  escape: benchmark names (a "\\ud800" in the JSON) and
    paths that are no valid text are printed escaped rather than ending in
    a UnicodeEncodeError.  signals: killed by SIGINT, SIGTERM or SIGHUP,
    the program removes what it was writing (temporary files) and then
    dies of the signal."""
    if escape:
        sys.stdout.reconfigure(errors="backslashreplace")
    if signals:
        raise_on_signals()
    try:
        sys.exit(main(sys.argv[1:]))
    except Interrupted as e:
        die_of(e)


class Missing(Exception):
    """A file that reads but lacks what a table needs."""


def print_lines(prog, compute, about):
    """What a table program prints: the lines compute() returns, exit
    status 0; or one line on stderr and status 2, ``PROG: PATH: problem``
    for a file that does not read (load.InputError) and ``PROG: ABOUT:
    why`` for one that lacks what the table needs (Missing)."""
    from concbench.load import InputError
    try:
        lines = compute()
    except InputError as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return 2
    except Missing as e:
        print(f"{prog}: {about}: {e}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0


def one_file_table(prog, argv, table):
    """main() of a table program that reads one result file: usage, then
    print_lines of table(the loaded result)."""
    import os
    from concbench.load import load, shown_path
    if len(argv) != 1 or argv[0].startswith("-"):
        print(f"usage: {prog} FILE.json", file=sys.stderr)
        return 2
    return print_lines(prog, lambda: table(
        load(argv[0], os.path.basename(argv[0]))), shown_path(argv[0]))
