"""asv benchmarks of the k-NN estimators on the cases of the speed issue (KSG against bmi and
scikit-learn, KL on raw pixels): fit time per MI point on fixed samples.

Cases (``scripts/peer_comparison.py`` times the same ones side by side with bmi and scikit-learn):

* ``ksg-5+5``: KSG k = 5, n = 5000, ``gaussian-dense`` 5+5 dims, ``standardize=False, jitter=0``;
* ``ksg-2+2-n20000``: KSG k = 5, n = 20 000, 2+2 dims;
* ``ksg-1d-n1e5``: KSG k = 3 (scikit-learn's default), n = 10⁵, 1+1 dims;
* ``ksg-pixels``: KSG k = 5 on the raw 256 + 256 pixels of 16×16 bump images, unstandardised, n = 5000;
* ``kl-pixels``: KL k = 5 on the same pixels (512 joint dimensions).

Only relies on ``ibbench.get_estimator``/``get_task`` so it imports against older commits. One fit
takes from ~0.1 s to a few seconds on 2 cores (``asv run --quick`` runs each once).
"""

from __future__ import annotations

import ibbench

#: case -> (task, task params, n, estimator, estimator params)
CASES = {
    "ksg-5+5": ("gaussian-dense", {"dim": 5, "mi": 1.0}, 5000, "ksg", {"k": 5, "standardize": False, "jitter": 0.0}),
    "ksg-2+2-n20000": ("gaussian-dense", {"dim": 2, "mi": 1.0}, 20_000, "ksg", {"k": 5}),
    "ksg-1d-n1e5": ("gaussian-dense", {"dim": 1, "mi": 1.0}, 100_000, "ksg", {"k": 3}),
    "ksg-pixels": ("images-bumps", {"size": 16, "mi": 4.0}, 5000, "ksg", {"k": 5, "standardize": False}),
    "kl-pixels": ("images-bumps", {"size": 16, "mi": 4.0}, 5000, "kl", {"k": 5}),
}


class KNNCases:
    """One MI point per case of the k-NN speed issue."""

    params = (list(CASES),)
    param_names = ["case"]
    timeout = 600
    number = 1
    repeat = 3

    def setup(self, case):
        task, task_params, n, name, params = CASES[case]
        try:
            self.est = ibbench.get_estimator(name, random_state=0, **params)
        except ValueError as exc:  # parameter or estimator missing in this commit
            raise NotImplementedError(str(exc)) from exc
        self.X, self.Y = ibbench.get_task(task, **task_params).sample(n, random_state=0)

    def time_fit(self, case):
        self.est.fit(self.X, self.Y)

    def peakmem_fit(self, case):
        self.est.fit(self.X, self.Y)
