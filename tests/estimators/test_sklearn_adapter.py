"""`sklearn-mi`: the same numbers as scikit-learn called directly, and as our `ksg` on 1-D data."""

import numpy as np
import pytest
from sklearn.feature_selection import mutual_info_classif, mutual_info_regression

import ibbench
from ibbench.registry import get_estimator_class


def _seed_passed(random_state):
    """The integer seed the adapter hands to scikit-learn: the first draw of its generator."""
    return int(np.random.default_rng(random_state).integers(0, 2**32, dtype=np.uint64))


def _gaussian(seed, n=500):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    return x, 0.8 * x + 0.6 * rng.standard_normal(n)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_continuous_pair_equals_mutual_info_regression(seed):
    x, y = np.round(_gaussian(seed), 1)  # ties: the seeded noise decides the neighbours
    direct = mutual_info_regression(x[:, None], y, n_neighbors=4, random_state=_seed_passed(seed + 10))[0]
    est = ibbench.get_estimator("sklearn-mi", n_neighbors=4, random_state=seed + 10).fit(x, y)
    assert est.mutual_info_ == direct
    assert est.sklearn_function_ == "mutual_info_regression"


def test_discrete_sides_use_the_matching_sklearn_function():
    # 20 labels of ~10 samples: neighbourhoods span several labels, so treating the labels as
    # continuous (KSG on tie-broken labels) gives another value than Ross's estimator
    rng = np.random.default_rng(5)
    labels = rng.integers(0, 20, 200)
    c = np.round(0.1 * labels + rng.standard_normal(200), 1)  # ties: the seeded noise matters
    s = _seed_passed(7)
    # discrete X, continuous Y: Ross's estimator via mutual_info_regression(discrete_features=True)
    est = ibbench.get_estimator("sklearn-mi", random_state=7).fit(labels, c)
    assert (est.discrete_x_, est.discrete_y_, est.sklearn_function_) == (True, False, "mutual_info_regression")
    assert est.mutual_info_ == mutual_info_regression(labels[:, None], c, discrete_features=True, random_state=s)[0]
    # continuous X, discrete Y: mutual_info_classif
    est = ibbench.get_estimator("sklearn-mi", random_state=7).fit(c, labels)
    assert est.sklearn_function_ == "mutual_info_classif"
    assert est.mutual_info_ == mutual_info_classif(c[:, None], labels, discrete_features=False, random_state=s)[0]
    # both discrete: the plug-in MI, as our `exact`
    other = (labels + rng.integers(0, 2, 200)) % 3
    est = ibbench.get_estimator("sklearn-mi", random_state=7).fit(labels, other)
    assert est.mutual_info_ == pytest.approx(ibbench.get_estimator("exact").estimate(labels, other), abs=1e-12)
    # forced continuous on integer data
    est = ibbench.get_estimator("sklearn-mi", discrete_x=False, discrete_y=False, random_state=7).fit(labels, c)
    assert est.mutual_info_ == mutual_info_regression(labels[:, None].astype(float), c, random_state=s)[0]


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_agrees_with_our_ksg_on_one_dimensional_gaussians(seed):
    # both run KSG algorithm 1 (max-norm, strict counts, k = 3) on standardised data; only the 1e-10
    # tie-breaking noise and summation order differ: measured differences <= 2e-15 nats
    x, y = _gaussian(seed, 2000)
    ours = ibbench.get_estimator("ksg", k=3, random_state=seed).estimate(x, y)
    theirs = ibbench.get_estimator("sklearn-mi", n_neighbors=3, random_state=seed).estimate(x, y)
    assert theirs == pytest.approx(ours, abs=1e-9)
    assert theirs == pytest.approx(-0.5 * np.log(1 - 0.8**2), abs=0.06)  # and near the truth, 0.51 nats


def test_more_than_one_column_is_a_clear_error_and_declared_by_max_dim():
    assert get_estimator_class("sklearn-mi").get_tags()["max_dim"] == 2
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((100, 2)), rng.standard_normal(100)
    with pytest.raises(ValueError, match="X has 2 non-constant columns.*max_dim=2"):
        ibbench.get_estimator("sklearn-mi").fit(X, y)
    with pytest.raises(ValueError, match="Y has 3 non-constant columns"):
        ibbench.get_estimator("sklearn-mi").fit(y, rng.standard_normal((100, 3)))
    # constant columns are dropped first: a constant second column is fine, a constant side gives 0
    assert np.isfinite(ibbench.get_estimator("sklearn-mi").estimate(np.column_stack([y, np.ones(100)]), X[:, 0]))
    assert ibbench.get_estimator("sklearn-mi").estimate(np.full((100, 2), 3.0), y) == 0.0


def test_a_discrete_side_without_repeated_symbols_is_a_clear_error():
    x = np.arange(50)  # integer valued: discrete under "auto", but every symbol occurs once
    y = np.random.default_rng(0).standard_normal(50)
    with pytest.raises(ValueError, match="every symbol of the discrete side X occurs once"):
        ibbench.get_estimator("sklearn-mi").fit(x, y)
    assert np.isfinite(ibbench.get_estimator("sklearn-mi", discrete_x=False).estimate(x, y))


def test_seeds_reproduce_and_differ():
    x, y = _gaussian(0, 300)
    y = np.round(y, 1)  # ties: the noise decides the neighbours
    a = ibbench.get_estimator("sklearn-mi", random_state=1).estimate(x, y)
    assert ibbench.get_estimator("sklearn-mi", random_state=1).estimate(x, y) == a
    assert ibbench.get_estimator("sklearn-mi", random_state=2).estimate(x, y) != a


def test_three_symbol_integer_data_gives_a_finite_float():
    rng = np.random.default_rng(0)
    v = ibbench.get_estimator("sklearn-mi", random_state=0).estimate(rng.integers(0, 3, 40), rng.integers(0, 3, 40))
    assert isinstance(v, float) and np.isfinite(v)


@pytest.mark.parametrize("k", [-60, -20, 30, 400])
def test_power_of_two_scales_leave_the_estimate_unchanged(k):
    # scikit-learn alone takes a feature with standard deviation below 2.2e-15 for constant (no
    # scaling, then its 1e-10 noise swamps it); the adapter's exact power-of-two prescaling avoids that
    x, y = _gaussian(3, 300)
    ref = ibbench.get_estimator("sklearn-mi", random_state=0).estimate(x, y)
    assert ibbench.get_estimator("sklearn-mi", random_state=0).estimate(x * 2.0**k, y) == ref
    assert ibbench.get_estimator("sklearn-mi", random_state=0).estimate(x, y * 2.0**k) == ref
