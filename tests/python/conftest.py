"""Fixtures of the tests of scripts/compare and scripts/plot: the scripts
imported as modules (see cbscripts.py for the other helpers)."""

import pytest

from cbscripts import load_script


@pytest.fixture(scope="session")
def compare():
    return load_script("compare")


@pytest.fixture(scope="session")
def plot():
    return load_script("plot")
