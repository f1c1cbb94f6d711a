"""Discrete and mixed tasks: exact MI re-derived by brute force and by a second integration method."""

import math

import numpy as np
import pytest
from scipy import integrate

import ibbench
from ibbench.tasks.discrete import CategoricalTask, MixedClassGaussian, RandomCategoricalTask, class_gaussian_mi


def _brute_force_mi(table) -> float:
    """Σ_xy p(x,y) log p(x,y)/(p(x)p(y)) with plain Python loops (independent of the vectorised code)."""
    rows, cols = len(table), len(table[0])
    px = [sum(table[i][j] for j in range(cols)) for i in range(rows)]
    py = [sum(table[i][j] for i in range(rows)) for j in range(cols)]
    total = 0.0
    for i in range(rows):
        for j in range(cols):
            p = table[i][j]
            if p > 0:
                total += p * math.log(p / (px[i] * py[j]))
    return total


def _check_empirical_frequencies(task, table, n=200_000):
    X, Y = task.sample(n, random_state=2)
    counts = np.zeros_like(table)
    np.add.at(counts, (X[:, 0].astype(int), Y[:, 0].astype(int)), 1)
    se = np.sqrt(table * (1 - table) / n)
    # every cell within 5 binomial SE (+1/n for empty cells): a wrong sampler is off by many SE
    assert np.all(np.abs(counts / n - table) <= 5 * se + 1.0 / n)


@pytest.mark.parametrize("k,flip", [(2, 0.0), (2, 0.1), (4, 0.2), (10, 0.5), (64, 0.3), (256, 0.0), (5, 1.0)])
def test_categorical_closed_form_equals_brute_force_sum(k, flip):
    task = CategoricalTask(n_symbols=k, flip=flip)
    table = task.joint_table()
    assert table.sum() == pytest.approx(1.0)
    assert task.true_mi == pytest.approx(_brute_force_mi(table.tolist()), abs=1e-12)


def test_categorical_sampler_matches_its_table():
    task = CategoricalTask(n_symbols=5, flip=0.3)
    _check_empirical_frequencies(task, task.joint_table())


@pytest.mark.parametrize("k,c", [(5, 0.5), (16, 0.1), (256, 0.1), (300, 0.01)])
def test_random_table_mi_equals_brute_force_sum(k, c):
    task = RandomCategoricalTask(n_x=k, n_y=k + 3, concentration=c, table_seed=1)
    table = task.joint_table()
    assert table.shape == (k, k + 3) and table.sum() == pytest.approx(1.0)
    assert task.true_mi == pytest.approx(_brute_force_mi(table.tolist()), abs=1e-10)


def test_random_table_sampler_and_fixed_table():
    task = RandomCategoricalTask(n_x=6, n_y=4, concentration=0.5)
    _check_empirical_frequencies(task, task.joint_table())
    assert np.array_equal(task.joint_table(), RandomCategoricalTask(n_x=6, n_y=4, concentration=0.5).joint_table())
    assert RandomCategoricalTask(table_seed=1).true_mi != RandomCategoricalTask(table_seed=2).true_mi
    # sparse tables carry more information than flat ones
    assert (
        RandomCategoricalTask(n_x=64, n_y=64, concentration=0.01).true_mi
        > RandomCategoricalTask(n_x=64, n_y=64, concentration=10.0).true_mi
    )


def _mixed_mi_by_quad(k: int, s: float) -> float:
    """I = h(Y) − h(Y|X) with h(Y) = −∫ f log f for the mixture f, by adaptive quadrature."""
    means = s * np.arange(k)

    def f(y):
        return np.mean(np.exp(-0.5 * (y - means) ** 2)) / np.sqrt(2 * np.pi)

    def integrand(y):
        v = f(y)
        return -v * np.log(v) if v > 0 else 0.0

    lo, hi = -12.0, s * (k - 1) + 12.0  # mass outside is < 1e-32
    breaks = list(means) if k <= 50 else None
    h, err = integrate.quad(integrand, lo, hi, points=breaks, limit=500, epsabs=1e-12, epsrel=1e-12)
    return h - 0.5 * np.log(2 * np.pi * np.e)


@pytest.mark.parametrize("k,s", [(2, 0.0), (2, 1.0), (3, 0.3), (4, 1.5), (10, 3.0), (10, 0.5), (8, 6.0), (4, 20.0)])
def test_mixed_integral_matches_adaptive_quadrature(k, s):
    value = class_gaussian_mi(k, s)
    # quad (Gauss–Kronrod, epsabs 1e-12) of the entropy form vs the task's trapezoidal rule on the
    # conditional-KL form: measured agreement is ~1e-13, so 1e-11 leaves room for round-off only.
    assert value == pytest.approx(_mixed_mi_by_quad(k, s), abs=1e-11)
    step = min(0.05, 0.5 / s) if s > 0 else 0.05
    assert value == pytest.approx(class_gaussian_mi(k, s, step=step / 2), abs=1e-12)  # stated precision
    assert 0.0 <= value <= np.log(k) + 1e-12


def test_mixed_limits_and_sampler():
    assert class_gaussian_mi(5, 0.0) == 0.0
    assert class_gaussian_mi(5, 30.0) == pytest.approx(np.log(5), abs=1e-12)
    task = MixedClassGaussian(n_classes=3, separation=2.0, dim_y=2)
    X, Y = task.sample(30_000, random_state=0)
    assert set(np.unique(X[:, 0])) == {0.0, 1.0, 2.0}
    for c in range(3):
        # class-conditional mean/std of the informative coordinate; SE ≈ 0.01
        assert Y[X[:, 0] == c, 0].mean() == pytest.approx(2.0 * c, abs=0.05)
        assert Y[X[:, 0] == c, 0].std() == pytest.approx(1.0, abs=0.05)
    assert abs(np.corrcoef(X[:, 0], Y[:, 1])[0, 1]) < 0.03  # the extra coordinate is noise


def test_mixed_mixing_is_orthogonal():
    plain = MixedClassGaussian(n_classes=4, separation=1.0, dim_y=3)
    mixed = MixedClassGaussian(n_classes=4, separation=1.0, dim_y=3, mixing_seed=5)
    (xa, ya), (xb, yb) = plain.sample(100, random_state=1), mixed.sample(100, random_state=1)
    assert np.array_equal(xa, xb) and np.allclose(np.linalg.norm(ya, axis=1), np.linalg.norm(yb, axis=1))
    assert plain.true_mi == mixed.true_mi


def test_registered_and_validated():
    assert ibbench.get_task("categorical", n_symbols=4, flip=0.2).true_mi > 0  # existing name, same params
    for bad in ({"n_classes": 1}, {"separation": -1.0}, {"dim_y": 0}):
        with pytest.raises(ValueError):
            MixedClassGaussian(**bad)
    with pytest.raises(ValueError):
        RandomCategoricalTask(n_x=1)
