"""A slow estimator that logs every fit, for tests/test_concurrency.py.

It lives in a plain module (not a test file) so that the runs the tests start in other processes
can import it: the tests put this folder on ``sys.path`` and register ``"_slow_estimators:Slow"``
in ``ibbench.registry.BUILTIN_ESTIMATORS``.
"""

from __future__ import annotations

import os
import time

from ibbench.base import MIEstimator


class Slow(MIEstimator):
    """Sleeps ``seconds``, appends ``"<pid> <n> <first value>"`` to the file ``log``, returns 0.25."""

    name = "test-slow"
    version = "1"

    def __init__(self, seconds=0.3, log=None):
        self.seconds = seconds
        self.log = log

    def fit(self, X, Y):
        X, Y = self._validate_pair(X, Y)
        time.sleep(self.seconds)
        if self.log:
            with open(self.log, "a") as fh:  # one short append per fit: atomic on POSIX
                fh.write(f"{os.getpid()} {len(X)} {float(X[0, 0])!r}\n")
        self.mutual_info_ = 0.25
        return self
