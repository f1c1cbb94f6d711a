"""asv benchmarks of the neural estimators and the compression wrappers (issue 7 speed targets).

- ``MINEDefault``: one MINE estimate at n = 5000, 2+2 dims, default settings (target ≤ 3 s on
  2 cores) and its absolute error on a 1-nat Gaussian.
- ``NeuralBounds``: fit time and error of each bound at n = 5000 with default settings.
- ``EarlyStoppingDigits``: held-out estimate of each bound on ``digits-label`` (flip 0.2, n = 1000,
  true MI 1.36 nats) with and without early stopping, at the quick suite's 200 steps.
- ``InfoNCESaturation``: ``ceiling − estimate`` on an 8-nat task (should stay small and ≥ 0).
- ``ImageAutoencoder``: training one 16×16 image side (Gaussian bumps) at n = 5000 (target ≤ 15 s)
  and the reconstructed pixel MAE.

Only ``ibbench.get_estimator``/``get_task`` and the estimators' public attributes are used, so the
module imports against any commit that registers these names (others are skipped).
"""

from __future__ import annotations

import ibbench


def _require(name: str):
    if name not in ibbench.list_estimators():
        raise NotImplementedError(f"{name} is not registered in this commit")


def _gaussian(n: int, mi: float):
    return ibbench.get_task("gaussian-dense", dim=2, mi=mi).sample(n, random_state=0)


class MINEDefault:
    """One MINE estimate at the default settings (1000 Adam steps, batch 512, 2×128 critic)."""

    timeout = 300.0
    rounds = 1
    repeat = (1, 3, 60.0)
    warmup_time = 0.0
    unit = "nats"

    def setup(self):
        _require("mine")
        self.X, self.Y = _gaussian(5000, 1.0)

    def time_fit(self):
        ibbench.get_estimator("mine", random_state=0).fit(self.X, self.Y)

    def track_abs_error(self):
        return abs(ibbench.get_estimator("mine", random_state=0).fit(self.X, self.Y).mutual_info_ - 1.0)


class NeuralBounds:
    """Fit time and absolute error of each bound at n = 5000 (defaults), true MI 1 nat."""

    params = [["mine", "infonce", "nwj", "dv", "smile", "js"]]
    param_names = ["estimator"]
    timeout = 300.0
    rounds = 1
    repeat = (1, 3, 60.0)
    warmup_time = 0.0
    unit = "nats"

    def setup(self, name):
        _require(name)
        self.X, self.Y = _gaussian(5000, 1.0)

    def time_fit(self, name):
        ibbench.get_estimator(name, random_state=0).fit(self.X, self.Y)

    def track_abs_error(self, name):
        return abs(ibbench.get_estimator(name, random_state=0).fit(self.X, self.Y).mutual_info_ - 1.0)


class EarlyStoppingDigits:
    """Estimate on ``digits-label`` (64-dim images vs label, flip 0.2, n = 1000): the critic overfits."""

    params = [["mine", "nwj", "infonce", "dv", "smile", "js"], [False, True]]
    param_names = ["estimator", "early_stopping"]
    timeout = 300.0
    unit = "nats"

    def setup(self, name, early_stopping):
        _require(name)
        if "early_stopping" not in ibbench.get_estimator(name).get_params():
            raise NotImplementedError("no early stopping in this commit")
        self.X, self.Y = ibbench.get_task("digits-label", flip=0.2).sample(1000, random_state=0)

    def track_estimate(self, name, early_stopping):
        est = ibbench.get_estimator(name, n_steps=200, early_stopping=early_stopping, random_state=0)
        return est.fit(self.X, self.Y).mutual_info_


class InfoNCESaturation:
    """``log(batch) − estimate`` of InfoNCE on an 8-nat task (MI above the log(512) ceiling)."""

    timeout = 300.0
    unit = "nats"

    def setup(self):
        _require("infonce")
        self.X, self.Y = _gaussian(5000, 8.0)

    def track_gap_to_ceiling(self):
        est = ibbench.get_estimator("infonce", random_state=0).fit(self.X, self.Y)
        return est.ceiling_ - est.mutual_info_


class ImageAutoencoder:
    """Autoencoder compression of one 16×16 Gaussian-bump image side at n = 5000 (defaults)."""

    timeout = 600.0
    rounds = 1
    repeat = (1, 2, 120.0)
    warmup_time = 0.0
    unit = "pixel MAE"

    def setup(self):
        _require("compressed-ae")
        X, _ = ibbench.get_task("images-bumps", size=16, mi=2.0).sample(5000, random_state=0)
        self.X = X
        try:
            from ibbench.estimators.torch_utils import fit_autoencoder
        except ImportError:  # older commits kept it in ibbench.estimators.torch_utils
            from ibbench.estimators.torch_utils import fit_autoencoder  # type: ignore[no-redef]

        self.fit = lambda: fit_autoencoder(
            self.X, 2, (1, 16, 16), hidden=128, n_epochs=60, batch_size=128, lr=1e-3, n_threads=1, seed=0
        )

    def time_train_one_side(self):
        self.fit()

    def track_pixel_mae(self):
        return self.fit()[1]
