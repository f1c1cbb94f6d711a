"""`exact` (plug-in) and `gaussian` (CCA) estimators against independent references."""

import numpy as np
import pytest
from scipy.stats import entropy as scipy_entropy

import ibbench


def _contingency_mi(x, y):
    """MI from a contingency table with scipy's entropy (independent of ibbench's row codes)."""
    xs, xi = np.unique(x, return_inverse=True)
    ys, yi = np.unique(y, return_inverse=True)
    table = np.zeros((len(xs), len(ys)))
    np.add.at(table, (xi, yi), 1)
    p = table / table.sum()
    return scipy_entropy(p.sum(1)) + scipy_entropy(p.sum(0)) - scipy_entropy(p.ravel())


def test_exact_matches_contingency_table():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 7, 3000)
    y = (x + rng.integers(0, 3, 3000)) % 7
    assert ibbench.get_estimator("exact").estimate(x, y) == pytest.approx(_contingency_mi(x, y), abs=1e-12)


def test_exact_rows_are_symbols_and_relabelling_invariant():
    rng = np.random.default_rng(1)
    X = rng.integers(0, 2, (2000, 3))
    y = X[:, 0] ^ X[:, 1]
    code = X[:, 0] * 4 + X[:, 1] * 2 + X[:, 2]
    est = ibbench.get_estimator("exact")
    a = est.estimate(X, y)
    assert a == pytest.approx(_contingency_mi(code, y), abs=1e-12)
    perm = rng.permutation(8)  # relabel the symbols of X
    assert est.estimate(perm[code], 5 - 3 * y) == pytest.approx(a, abs=1e-12)


def test_exact_on_the_categorical_task_converges_and_miller_madow_reduces_bias():
    task = ibbench.get_task("categorical", n_symbols=8, flip=0.3)
    X, Y = task.sample(500, random_state=3)
    plain = np.mean([ibbench.get_estimator("exact").estimate(*task.sample(500, random_state=s)) for s in range(20)])
    mm = np.mean(
        [
            ibbench.get_estimator("exact", miller_madow=True).estimate(*task.sample(500, random_state=s))
            for s in range(20)
        ]
    )
    # plug-in bias ≈ (K-1)^2 / (2n) = 49/1000 nats upward; Miller–Madow removes most of it
    assert plain - task.true_mi > 0.02
    assert abs(mm - task.true_mi) < abs(plain - task.true_mi)
    X, Y = task.sample(200_000, random_state=0)
    assert ibbench.get_estimator("exact").estimate(X, Y) == pytest.approx(task.true_mi, abs=5e-3)


def test_gaussian_estimator_matches_closed_form_on_large_samples():
    task = ibbench.get_task("gaussian-dense", dim=4, mi=1.5, dim_y=3)
    X, Y = task.sample(200_000, random_state=0)
    # sampling error of the log-det estimate is O(d / sqrt(n)) ~ 0.01 nats here
    assert ibbench.get_estimator("gaussian").estimate(X, Y) == pytest.approx(task.true_mi, abs=0.02)


def test_gaussian_estimator_canonical_correlations_vs_cov_formula():
    rng = np.random.default_rng(2)
    Z = rng.standard_normal((5000, 5)) @ rng.standard_normal((5, 5))
    X, Y = Z[:, :2], Z[:, 2:]
    C = np.cov(Z, rowvar=False)
    formula = 0.5 * (np.linalg.slogdet(C[:2, :2])[1] + np.linalg.slogdet(C[2:, 2:])[1] - np.linalg.slogdet(C)[1])
    assert ibbench.get_estimator("gaussian").estimate(X, Y) == pytest.approx(formula, abs=1e-9)


def test_gaussian_singular_policy():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((500, 2))
    X = np.column_stack([x, x[:, 0] + x[:, 1]])  # rank 2 of 3
    Y = rng.standard_normal((500, 1))
    with pytest.raises(ValueError, match="singular"):
        ibbench.get_estimator("gaussian").fit(X, Y)
    assert np.isfinite(ibbench.get_estimator("gaussian", ridge=1e-3).estimate(X, Y))
    # a constant column is dropped, MI unchanged
    Xc = np.column_stack([x, np.ones(500)])
    assert ibbench.get_estimator("gaussian").estimate(Xc, Y) == pytest.approx(
        ibbench.get_estimator("gaussian").estimate(x, Y), abs=1e-12
    )
