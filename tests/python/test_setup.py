"""scripts/setup installs what the command needs: the suite's packages for
scripts/bench and the fleet, the test tools only for scripts/test; it says
so before it installs anything, and bad options are one line."""

import subprocess

from cbscripts import SCRIPTS

TEST_ONLY = {"chromium", "chromium-driver", "python3-selenium",
             "ansible-core", "slurmctld", "slurmd", "slurm-client",
             "libopenmpi-dev", "openmpi-bin", "libcmocka-dev",
             "python3-pytest", "openssh-server"}


def setup(*args):
    return subprocess.run([str(SCRIPTS / "setup"), *args],
                          capture_output=True, text=True, timeout=60)


def test_the_suite_needs_no_test_tool():
    r = setup("--dry-run")
    assert r.returncode == 0 and r.stderr == ""
    bench = set(r.stdout.split())
    assert {"gcc", "meson", "libgmp-dev", "libbenchmark-dev",
            "python3-scipy", "python3-matplotlib"} <= bench
    assert not bench & TEST_ONLY
    assert not bench & {"munge"}
    assert setup("--for", "bench", "--dry-run").stdout.split() == \
        r.stdout.split()


def test_the_tests_need_the_suite_and_their_tools():
    r = setup("--for=test", "--dry-run")
    assert r.returncode == 0
    test = set(r.stdout.split())
    assert TEST_ONLY <= test
    assert set(setup("--dry-run").stdout.split()) <= test


def test_bad_options_are_one_line():
    for args in (["--for", "laptop"], ["--bogus"], ["--for"]):
        r = setup(*args, "--dry-run")
        assert r.returncode == 2, args
        assert r.stderr.count("\n") == 1 and r.stdout == "", args


def test_the_scripts_ask_for_what_they_need():
    assert '"$root/scripts/setup" --for test' in \
        (SCRIPTS / "test").read_text()
    bench = (SCRIPTS / "bench").read_text()
    assert '"$root/scripts/setup"\n' in bench and "--for test" not in bench
