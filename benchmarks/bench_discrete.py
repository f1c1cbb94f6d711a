"""asv benchmarks of the discrete estimators and the scikit-learn adapter: time and accuracy per MI point.

``DiscreteEstimators``: ``exact`` (plug-in), ``chao-shen`` and ``nsb`` on ``categorical-random``
with a 64 × 64 table (the quick suite's configuration) at n = 1000 and 10 000; the error tracks the
bias each corrects. ``SklearnAdapter``: ``sklearn-mi`` beside ``ksg`` on a 1+1-dimensional Gaussian.
Only relies on ``ibbench.get_estimator``/``get_task`` so it imports against older commits (an
estimator missing there is skipped via NotImplementedError).
"""

from __future__ import annotations

import ibbench


def _make(name, **params):
    try:
        return ibbench.get_estimator(name, **params)
    except ValueError as exc:  # not registered in this commit
        raise NotImplementedError(str(exc)) from exc


class DiscreteEstimators:
    """One MI point: fit on a fixed sample of the 64 × 64 ``categorical-random`` table."""

    params = (["exact", "chao-shen", "nsb"], [1000, 10_000])
    param_names = ["estimator", "n"]
    timeout = 300
    number = 1
    repeat = 3

    def setup(self, name, n):
        self.task = ibbench.get_task("categorical-random", n_x=64, n_y=64, concentration=0.1)
        self.X, self.Y = self.task.sample(n, random_state=0)
        self.est = _make(name)

    def time_fit(self, name, n):
        self.est.fit(self.X, self.Y)

    def track_error(self, name, n):
        """Estimate − true MI in nats on this sample (the plug-in's bias is positive)."""
        return self.est.fit(self.X, self.Y).mutual_info_ - self.task.true_mi

    track_error.unit = "nats"


class SklearnAdapter:
    """``sklearn-mi`` and ``ksg`` (both KSG algorithm 1, k = 3) on a 1+1-dimensional Gaussian."""

    params = (["sklearn-mi", "ksg"], [1000, 10_000])
    param_names = ["estimator", "n"]
    timeout = 300
    number = 1
    repeat = 3

    def setup(self, name, n):
        self.task = ibbench.get_task("gaussian-dense", dim=1, mi=0.5)
        self.X, self.Y = self.task.sample(n, random_state=0)
        self.est = _make(name, random_state=0)

    def time_fit(self, name, n):
        self.est.fit(self.X, self.Y)

    def track_abs_error(self, name, n):
        """|estimate − true MI| in nats on this sample."""
        return abs(self.est.fit(self.X, self.Y).mutual_info_ - self.task.true_mi)

    track_abs_error.unit = "nats"
