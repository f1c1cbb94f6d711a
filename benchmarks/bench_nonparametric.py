"""asv benchmarks of the nonparametric estimators of issue 18: ``gcmi``, ``ksg-lnc`` and ``mixed-ksg``.

Time, peak memory and accuracy per MI point, each on the task it is meant for, with ``ksg`` (k = 5) as
the baseline: ``gaussian-dense`` 2+2 dims at 1 nat (gcmi, ksg-lnc, mixed-ksg, ksg), ``gaussian-dense``
1+1 at 6 nats (the strongly dependent case LNC corrects) and ``mixed-class-gaussian`` (mixed-ksg).
Budgets (issue 18): gcmi ≤ 0.01 s at n = 5000 (2+2); ksg-lnc ≤ 3× ksg. Only relies on
``ibbench.get_estimator``/``get_task`` so it imports against older commits (an estimator missing
there is skipped via NotImplementedError).
"""

from __future__ import annotations

import ibbench

ESTIMATORS = ["gcmi", "ksg-lnc", "mixed-ksg", "ksg"]
#: (task, params) per case name
CASES = {
    "dense-2+2-mi1": ("gaussian-dense", {"dim": 2, "mi": 1.0}),
    "dense-1+1-mi6": ("gaussian-dense", {"dim": 1, "mi": 6.0}),
    "mixed-class-gaussian": ("mixed-class-gaussian", {}),
}


def _make(name):
    params = {"k": 5, "random_state": 0} if name in ("ksg", "ksg-lnc") else {}
    try:
        return ibbench.get_estimator(name, **params)
    except ValueError as exc:  # not registered in this commit
        raise NotImplementedError(str(exc)) from exc


class NonparametricEstimators:
    """One MI point: fit on a fixed sample of size n of each case."""

    params = (ESTIMATORS, list(CASES), [1000, 5000])
    param_names = ["estimator", "case", "n"]
    timeout = 300
    number = 1
    repeat = 5

    def setup(self, name, case, n):
        task_name, task_params = CASES[case]
        self.task = ibbench.get_task(task_name, **task_params)
        self.X, self.Y = self.task.sample(n, random_state=0)
        self.est = _make(name)
        self.est.fit(self.X[:50], self.Y[:50])  # warm caches (the LNC threshold is computed once per k, dims)

    def time_fit(self, name, case, n):
        self.est.fit(self.X, self.Y)

    def peakmem_fit(self, name, case, n):
        self.est.fit(self.X, self.Y)

    def track_abs_error(self, name, case, n):
        """|estimate − true MI| in nats on this sample."""
        return abs(self.est.fit(self.X, self.Y).mutual_info_ - self.task.true_mi)

    track_abs_error.unit = "nats"
