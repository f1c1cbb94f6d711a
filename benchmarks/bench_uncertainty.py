"""asv benchmarks of the resampling intervals (``ibbench.uncertainty.resample_interval``) beside the plain fit.

The default subsampling (half-samples, replicates bounded by 5 plain fits of an ``n log n`` estimator,
docs/uncertainty.md) against one ``fit`` of the same estimator on the same 1+1 Gaussian sample: the ratio
``time_subsampling / time_fit`` is the extra cost of ``ibbench run --uncertainty subsampling`` per cell.
Skipped (NotImplementedError) at commits without ``ibbench.uncertainty``.
"""

from __future__ import annotations

import ibbench


class Subsampling:
    """KSG, KL and the Gaussian estimator: one plain fit and one default subsampling interval."""

    params = (["ksg", "kl", "gaussian"], [1000, 10_000])
    param_names = ["estimator", "n"]
    timeout = 300
    number = 1
    repeat = 5

    def setup(self, name, n):
        try:
            from ibbench.uncertainty import resample_interval
        except ImportError as exc:
            raise NotImplementedError(str(exc)) from exc
        self.resample_interval = resample_interval
        self.X, self.Y = ibbench.get_task("gaussian-dense", dim=1, mi=0.5).sample(n, random_state=0)
        self.est = ibbench.get_estimator(name)

    def time_fit(self, name, n):
        self.est.fit(self.X, self.Y)

    def time_subsampling(self, name, n):
        # the replicates only, as in a benchmark cell (the full-sample estimate is the cell's own fit)
        self.resample_interval(self.est, self.X, self.Y, random_state=0, estimate=0.0)
