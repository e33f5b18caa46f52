"""Where the programs under test are: meson test passes their paths in the
environment (see tests/meson.build)."""
import os

import pytest


def _program(var):
    path = os.environ.get(var)
    if not path:
        pytest.fail(f"{var} is not set: run the tests with `meson test`")
    return path


@pytest.fixture(scope="session")
def shim_bench():
    return _program("CB_SHIM_BENCH")


@pytest.fixture(scope="session")
def concbench():
    return _program("CB_CONCBENCH")


@pytest.fixture(scope="session")
def concbench_test():
    """The driver with the tests' fault kernels (the product has none)."""
    return _program("CB_CONCBENCH_TEST")


@pytest.fixture(scope="session")
def failfork():
    """A preload library: fork fails from its CB_FAIL_FORK_FROM-th call."""
    return _program("CB_FAILFORK")


@pytest.fixture(scope="session")
def no_io_uring():
    """A program that runs its arguments where io_uring_setup fails with
    the errno named first (a seccomp filter)."""
    return _program("CB_NO_IO_URING")


@pytest.fixture(scope="session")
def hl_interval():
    """--rounds=auto's interval of its arguments (tests/hl_interval.cc)."""
    return _program("CB_HL_INTERVAL")
