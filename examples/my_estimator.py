"""Template for your own ibbench estimator: copy this file, rename the class, replace ``fit``.

Check it with ``ibbench check my_estimator:GaussianCopulaMI`` (run from the folder holding the file);
benchmark it by registering it as a plug-in (see README, "Add your own estimator").

This example is a real estimator: the Gaussian-copula MI lower bound. Each column is replaced by its
normal scores Φ⁻¹(rank / (n + 1)), then the closed-form Gaussian MI of the scores is computed with
ibbench's built-in ``gaussian`` estimator (reuse what exists instead of re-writing it).
"""

import numpy as np
from scipy.special import ndtri
from scipy.stats import rankdata

import ibbench
from ibbench import MIEstimator


class GaussianCopulaMI(MIEstimator):
    """Gaussian-copula mutual information (nats).

    Parameters
    ----------
    ridge : float, default 0.0
        Passed to the inner ``gaussian`` estimator (diagonal loading for singular data).

    Attributes
    ----------
    mutual_info_ : float
        The estimate in nats (every estimator must set this in ``fit``).

    References
    ----------
    R. A. A. Ince et al., "A statistical framework for neuroimaging data analysis based on mutual
    information estimated via a Gaussian copula", Human Brain Mapping 38 (2017), eq. (2)-(3).
    """

    # 1. Identity. `name` is the registry key you choose; bump `version` whenever results change,
    #    because it is part of every benchmark cell's key (old results are then not reused).
    name = "gaussian-copula"
    version = "1"
    # 2. Capability tags: what data it accepts and whether it uses randomness.
    tags = {"accepts_x": "continuous", "accepts_y": "continuous", "stochastic": False}

    # 3. __init__ only stores parameters, under the same names (scikit-learn rule: no logic here).
    def __init__(self, ridge=0.0):
        self.ridge = ridge

    # 4. Small, fast parameters for the conformance suite (defaults are fine here).
    @classmethod
    def get_test_params(cls):
        return {}

    # 5. fit: validate with the shared helper (raises ValueError on NaN/inf, n<2, mismatched rows,
    #    wrong ndim), compute, set `mutual_info_` as a Python float in nats, return self.
    def fit(self, X, Y):
        X, Y = self._validate_pair(X, Y)
        n = len(X)
        # ties (discrete-valued data) get their average rank, so tied values keep equal scores
        scores_x = ndtri(rankdata(X, axis=0) / (n + 1))
        scores_y = ndtri(rankdata(Y, axis=0) / (n + 1))
        inner = ibbench.get_estimator("gaussian", ridge=self.ridge)
        self.mutual_info_ = float(inner.estimate(scores_x, scores_y))
        return self


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    x = rng.standard_normal(2000)
    y = np.exp(0.8 * x + 0.6 * rng.standard_normal(2000))  # monotone transform: copula MI unchanged
    print(GaussianCopulaMI().estimate(x, y), -0.5 * np.log(1 - 0.8**2))
