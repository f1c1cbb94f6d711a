"""asv benchmarks of the generative estimators (issue 17).

- ``FlowAccuracy``: fit time (target ≤ 15 s) and absolute error (target ≤ 0.1 nats) of ``flow``
  at its defaults, n = 5000, 5+5 dims, on ``gaussian-dense`` at 1 and 4 nats and on the transformed
  Gaussians ``gaussian-cdf``, ``gaussian-halfcube``, ``gaussian-asinh`` (1 nat).
- ``CLUBRelativeError``: fit time and relative error of ``club`` (defaults, n = 5000) against what
  the upper bound equals with the exact conditional, ``Σ ρ_i²/(1 − ρ_i²) = 5 (e^{2I/5} − 1)`` on
  ``gaussian-dense`` 5+5 (target ≤ 0.1).
- ``QuickSettings``: one fit of each at the quick suite's reduced settings, n = 1000 (target ≤ 1 s).

Only ``ibbench.get_estimator``/``get_task`` are used, so the module imports against any commit
(benchmarks of unregistered names are skipped).
"""

from __future__ import annotations

import math

import ibbench


def _require(name: str):
    if name not in ibbench.list_estimators():
        raise NotImplementedError(f"{name} is not registered in this commit")


class FlowAccuracy:
    """``flow`` at its defaults, n = 5000, 5+5 dimensions."""

    params = [["gaussian-dense:1", "gaussian-dense:4", "gaussian-cdf:1", "gaussian-halfcube:1", "gaussian-asinh:1"]]
    param_names = ["task"]
    timeout = 600.0
    rounds = 1
    repeat = (1, 2, 120.0)
    warmup_time = 0.0
    unit = "nats"

    def setup(self, task):
        _require("flow")
        name, mi = task.split(":")
        self.task = ibbench.get_task(name, dim=5, mi=float(mi))
        self.X, self.Y = self.task.sample(5000, random_state=0)

    def time_fit(self, task):
        ibbench.get_estimator("flow", random_state=0).fit(self.X, self.Y)

    def track_abs_error(self, task):
        est = ibbench.get_estimator("flow", random_state=0).fit(self.X, self.Y)
        return abs(est.mutual_info_ - self.task.true_mi)


class CLUBRelativeError:
    """``club`` at its defaults, n = 5000, ``gaussian-dense`` 5+5, against ``5 (e^{2I/5} − 1)``."""

    params = [[0.5, 1.0, 2.0]]
    param_names = ["mi"]
    timeout = 300.0
    rounds = 1
    repeat = (1, 2, 60.0)
    warmup_time = 0.0
    unit = "relative error"

    def setup(self, mi):
        _require("club")
        self.X, self.Y = ibbench.get_task("gaussian-dense", dim=5, mi=mi).sample(5000, random_state=0)
        self.reference = 5 * math.expm1(2 * mi / 5)

    def time_fit(self, mi):
        ibbench.get_estimator("club", random_state=0).fit(self.X, self.Y)

    def track_relative_error(self, mi):
        value = ibbench.get_estimator("club", random_state=0).fit(self.X, self.Y).mutual_info_
        return abs(value / self.reference - 1.0)


class QuickSettings:
    """One fit at the quick suite's reduced settings, n = 1000, ``gaussian-cdf`` 2+2 at 1 nat."""

    params = [["flow", "club"]]
    param_names = ["estimator"]
    timeout = 120.0

    def setup(self, name):
        _require(name)
        from ibbench.suites import get_suite

        self.params_ = dict(get_suite("quick").estimator_overrides.get(name, {}))
        self.X, self.Y = ibbench.get_task("gaussian-cdf", dim=2, mi=1.0).sample(1000, random_state=0)

    def time_fit(self, name):
        ibbench.get_estimator(name, random_state=0, **self.params_).fit(self.X, self.Y)
