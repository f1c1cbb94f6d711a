"""Misbehaving estimators for tests/test_timeouts.py and tests/test_process_integrity.py.

They live in a plain module (not a test file) so that a cell process can import them by name:
the tests put this folder on ``sys.path`` (cell processes inherit the parent's path) and register
``"_faulty_estimators:Class"`` in ``ibbench.registry.BUILTIN_ESTIMATORS`` (cell processes receive
the parent's registry entries).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from ibbench.base import MIEstimator


class Hang(MIEstimator):
    """Never returns; writes its process id to ``pid_file`` first (to check the kill)."""

    name = "test-hang"
    version = "1"

    def __init__(self, pid_file=None):
        self.pid_file = pid_file

    def fit(self, X, Y):
        self._validate_pair(X, Y)
        if self.pid_file:
            Path(self.pid_file).write_text(str(os.getpid()))
        while True:
            time.sleep(1)


class Raise(MIEstimator):
    """Raises a RuntimeError with a recognisable message."""

    name = "test-raise"
    version = "1"

    def fit(self, X, Y):
        raise RuntimeError("deliberate failure for the test")


class ReturnNaN(MIEstimator):
    """Returns a NaN estimate."""

    name = "test-nan"
    version = "1"

    def fit(self, X, Y):
        self._validate_pair(X, Y)
        self.mutual_info_ = float("nan")
        return self


class Crash(MIEstimator):
    """Kills its own process (as a segfault or an OOM kill would)."""

    name = "test-crash"
    version = "1"

    def fit(self, X, Y):
        os._exit(3)


class Flaky(MIEstimator):
    """Fails until the file ``flag`` exists, then returns 0.5 (to test ``--rerun-failed``)."""

    name = "test-flaky"
    version = "1"

    def __init__(self, flag="missing"):
        self.flag = flag

    def fit(self, X, Y):
        self._validate_pair(X, Y)
        if not Path(self.flag).exists():
            raise RuntimeError(f"flag file {self.flag} not there yet")
        self.mutual_info_ = 0.5
        return self


class Allocate(MIEstimator):
    """Touches ``mb`` MiB of memory, then returns 0 (to test per-cell peak memory)."""

    name = "test-allocate"
    version = "1"

    def __init__(self, mb=0):
        self.mb = mb

    def fit(self, X, Y):
        import numpy as np

        self._validate_pair(X, Y)
        block = np.ones(int(self.mb) * 2**20 // 8)
        self.mutual_info_ = 0.0 if block.sum() >= 0 else 1.0
        return self


class CPUShare(MIEstimator):
    """Returns the CPUs its numeric kernels may use (to test the per-cell CPU share)."""

    name = "test-cpus"
    version = "1"

    def fit(self, X, Y):
        from ibbench.numerics.knn import available_cpus

        self._validate_pair(X, Y)
        self.mutual_info_ = float(available_cpus())
        return self


class Reserve(MIEstimator):
    """Allocates ``gb`` GiB without touching them, then returns 0 (to test the per-cell memory limit safely)."""

    name = "test-reserve"
    version = "1"

    def __init__(self, gb=0.0):
        self.gb = gb

    def fit(self, X, Y):
        import numpy as np

        self._validate_pair(X, Y)
        block = np.empty(int(self.gb * 2**30), dtype=np.uint8)
        self.mutual_info_ = 0.0 if block.size >= 0 else 1.0
        return self


class HoldGIL(MIEstimator):
    """Holds the GIL in C code for hours (a catastrophic regex backtrack); writes its pid to ``pid_file`` first.

    No Python thread of its process runs meanwhile (to test that cell processes die with a killed run).
    """

    name = "test-hold-gil"
    version = "1"

    def __init__(self, pid_file=None):
        self.pid_file = pid_file

    def fit(self, X, Y):
        import re

        self._validate_pair(X, Y)
        if self.pid_file:
            Path(self.pid_file).write_text(str(os.getpid()))
        re.match(r"(a+)+$", "a" * 40 + "b")  # ~2**40 steps in the C regex engine, which never releases the GIL
        self.mutual_info_ = 0.0
        return self


FAULTY = {
    "test-hang": "Hang",
    "test-raise": "Raise",
    "test-nan": "ReturnNaN",
    "test-crash": "Crash",
    "test-flaky": "Flaky",
    "test-allocate": "Allocate",
    "test-cpus": "CPUShare",
    "test-reserve": "Reserve",
    "test-hold-gil": "HoldGIL",
}
