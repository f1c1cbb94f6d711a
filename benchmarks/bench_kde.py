"""asv benchmarks of the KDE estimators at large n (issue 21): binned and truncated kernel sums.

``kde-ml`` on ``gaussian-dense`` at 0.5 nats (1+1 dims) and 1 nat (2+2 dims): n = 30 000 takes the
exact path (``"auto"`` switches only above 30 000), n = 100 000 the fast ones: binned (FFT) sums for
the spaces of at most 2 dimensions, truncated sums (k-d tree leaves, certified bound) for the 4-D
joint of the 2+2 case, with the stationary-point bandwidth search. The 2+2 case at n = 30 000 is
left out (exact sums, ~75 s). Each fit is tens of seconds: one repeat, a long timeout; leave the
class out of quick local runs with ``--bench "^(?!KDELargeN)"``. Commits without ``kernel_sums``
(or, for 2+2 at n = 100 000, without truncated sums: ~10³ s) are skipped (NotImplementedError).
"""

from __future__ import annotations

import ibbench


class KDELargeN:
    """One kde-ml fit of a Gaussian sample of size n, dim + dim dimensions (auto kernel sums)."""

    params = ([30_000, 100_000], [1, 2])
    param_names = ["n", "dim"]
    timeout = 900
    number = 1
    repeat = 1
    warmup_time = 0

    def setup(self, n, dim):
        est = ibbench.get_estimator("kde-ml")
        if "kernel_sums" not in est.get_params():
            raise NotImplementedError("kde-ml has no binned kernel sums in this commit")
        if dim == 2 and (n < 100_000 or "bandwidth_search" not in est.get_params()):
            raise NotImplementedError("2+2 dims: only n = 100 000 with truncated sums (exact sums take minutes)")
        self.est = est
        self.task = ibbench.get_task("gaussian-dense", dim=dim, mi=0.5 * dim)
        self.X, self.Y = self.task.sample(n, random_state=0)

    def time_fit(self, n, dim):
        self.est.fit(self.X, self.Y)

    def track_abs_error(self, n, dim):
        """|estimate − true MI| in nats on this sample."""
        return abs(self.est.fit(self.X, self.Y).mutual_info_ - self.task.true_mi)

    track_abs_error.unit = "nats"
