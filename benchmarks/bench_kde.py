"""asv benchmarks of the KDE estimators at large n (issue 21): the binned (FFT) kernel sums.

``kde-ml`` on ``gaussian-dense`` 1+1 dims at 0.5 nats: n = 30 000 takes the exact path (``"auto"``
bins only above 30 000), n = 100 000 the binned one (every space has at most 2 dimensions). The 2+2
case at n = 100 000 is not here: its 4-dimensional joint stays exact (a grid of spacing h/40 does
not fit in 4-D), ~10³ s. Each fit is tens of seconds: one repeat, a long timeout; leave the class
out of quick local runs with ``--bench "^(?!KDELargeN)"``. Commits without ``kernel_sums`` are
skipped (NotImplementedError).
"""

from __future__ import annotations

import ibbench


class KDELargeN:
    """One kde-ml fit of a 1+1-dimensional Gaussian sample of size n (auto kernel sums)."""

    params = ([30_000, 100_000],)
    param_names = ["n"]
    timeout = 900
    number = 1
    repeat = 1
    warmup_time = 0

    def setup(self, n):
        est = ibbench.get_estimator("kde-ml")
        if "kernel_sums" not in est.get_params():
            raise NotImplementedError("kde-ml has no binned kernel sums in this commit")
        self.est = est
        self.task = ibbench.get_task("gaussian-dense", dim=1, mi=0.5)
        self.X, self.Y = self.task.sample(n, random_state=0)

    def time_fit(self, n):
        self.est.fit(self.X, self.Y)

    def track_abs_error(self, n):
        """|estimate − true MI| in nats on this sample."""
        return abs(self.est.fit(self.X, self.Y).mutual_info_ - self.task.true_mi)

    track_abs_error.unit = "nats"
