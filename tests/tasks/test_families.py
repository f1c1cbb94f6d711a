"""The high-dim and high-mi task families: exact truth (by independent routes), sampling, suites."""

import numpy as np
import pytest

import ibbench
from ibbench.registry import get_task_class
from ibbench.suites import get_suite
from ibbench.tasks.gaussian import gaussian_mi
from ibbench.tasks.gaussian_families import dct_mixing_matrix, dct_mixing_parts


def _regression_mi(X: np.ndarray, Y: np.ndarray) -> float:
    """Gaussian MI from samples: ½ log det Cov(Y) − ½ log det Cov(Y − E[Y|X]) by least squares.

    Residuals are formed directly, so a conditional variance far below float64 resolution of a
    correlation (1 − ρ² ≈ 4e-18 at 20 nats in 1-D) is still measured."""
    X1 = np.hstack([X, np.ones((len(X), 1))])
    beta, *_ = np.linalg.lstsq(X1, Y, rcond=None)
    res = Y - X1 @ beta
    _, ld_y = np.linalg.slogdet(np.atleast_2d(np.cov(Y, rowvar=False)))
    _, ld_r = np.linalg.slogdet(np.atleast_2d(np.cov(res, rowvar=False)))
    return 0.5 * (ld_y - ld_r)


def _dct_ii(d: int) -> np.ndarray:
    """The orthonormal DCT-II matrix from its formula (not scipy)."""
    k, i = np.arange(d)[:, None], np.arange(d)[None, :]
    c = np.sqrt(2.0 / d) * np.cos(np.pi * k * (2 * i + 1) / (2 * d))
    c[0] /= np.sqrt(2.0)
    return c


@pytest.mark.parametrize("dim", [1, 2, 7, 64, 1000])
def test_dct_mixing_is_the_orthogonal_signed_permuted_dct(dim):
    signs, perm = dct_mixing_parts(dim, 3)
    expected = (_dct_ii(dim) * signs)[perm]  # Q = P C S
    q = dct_mixing_matrix(dim, 3)
    np.testing.assert_allclose(q, expected, atol=1e-12)
    np.testing.assert_allclose(q @ q.T, np.eye(dim), atol=1e-12)


@pytest.mark.parametrize("dim", [2, 5, 25, 1000])
@pytest.mark.parametrize("mi", [1.0, 5.0])
def test_highdim_truth_is_the_pair_sum(dim, mi):
    for name in ("gaussian-highdim-dense", "gaussian-highdim-sparse"):
        task = ibbench.get_task(name, dim=dim, mi=mi)
        m = dim if name.endswith("dense") else 2
        rho = np.full(m, np.sqrt(1.0 - np.exp(-2.0 * mi / m)))
        assert task.true_mi == pytest.approx(-0.5 * np.sum(np.log1p(-(rho**2))), rel=1e-12)
        assert task.family == "high-dim" and task.dim_x == task.dim_y == dim


@pytest.mark.parametrize("dim", [2, 25, 250])
def test_highdim_dense_truth_matches_the_logdet_of_its_covariance(dim):
    task = ibbench.get_task("gaussian-highdim-dense", dim=dim, mi=5.0)
    cov = task.covariance()
    rho = np.sqrt(-np.expm1(-10.0 / dim))
    # the cross-covariance is ρ Q_x Q_yᵀ, Q_x built here from the DCT formula
    qx = (_dct_ii(dim) * dct_mixing_parts(dim, 0)[0])[dct_mixing_parts(dim, 0)[1]]
    np.testing.assert_allclose(cov[:dim, :dim], np.eye(dim), atol=1e-12)
    assert np.isclose(np.linalg.norm(cov[:dim, dim:] @ cov[dim:, :dim] / rho**2 - np.eye(dim)), 0, atol=1e-9)
    unmixed = qx.T @ (cov[:dim, dim:] / rho) @ dct_mixing_matrix(dim, 1_000_003)
    np.testing.assert_allclose(unmixed, np.eye(dim), atol=1e-9)
    assert gaussian_mi(cov, dim) == pytest.approx(task.true_mi, abs=1e-9)


@pytest.mark.parametrize("name", ["gaussian-highdim-dense", "gaussian-highdim-sparse"])
def test_highdim_samples_carry_the_truth(name):
    task = ibbench.get_task(name, dim=25, mi=5.0)
    X, Y = task.sample(20_000, random_state=0)
    assert X.shape == Y.shape == (20_000, 25)
    np.testing.assert_allclose(X.std(0), 1, atol=0.03)
    np.testing.assert_allclose(Y.std(0), 1, atol=0.03)
    np.testing.assert_allclose(np.cov(np.hstack([X, Y]), rowvar=False), task.covariance(), atol=0.04)
    assert _regression_mi(X, Y) == pytest.approx(5.0, abs=0.05)


def test_highdim_dense_at_1000_dims_unmixes_into_the_latent_pairs():
    task = ibbench.get_task("gaussian-highdim-dense", dim=1000, mi=5.0)
    X, Y = task.sample(5000, random_state=1)
    sx, px = dct_mixing_parts(1000, 0)
    sy, py = dct_mixing_parts(1000, 1_000_003)
    xi, eta = X @ (_dct_ii(1000) * sx)[px], Y @ (_dct_ii(1000) * sy)[py]  # Qᵀ undoes Q
    r = np.mean(xi * eta, axis=0)  # per-pair correlations (unit variances)
    rho = np.sqrt(-np.expm1(-2 * 5.0 / 1000))
    assert abs(r.mean() - rho) < 4 / np.sqrt(5000 * 1000)
    assert abs(np.mean(xi[:, :-1] * eta[:, 1:])) < 4 / np.sqrt(5000 * 999)  # other pairs independent


@pytest.mark.parametrize("dim", [1, 2])
@pytest.mark.parametrize("mi", [0.5, 10.0, 20.0])
def test_highmi_samples_carry_the_truth(dim, mi):
    task = ibbench.get_task("gaussian-highmi", dim=dim, mi=mi)
    assert task.true_mi == mi and task.family == "high-mi"
    X, Y = task.sample(20_000, random_state=2)
    assert np.isfinite(X).all() and np.isfinite(Y).all()
    np.testing.assert_allclose(Y.std(0), 1, atol=0.03)
    assert _regression_mi(X, Y) == pytest.approx(mi, abs=0.05)
    assert _regression_mi(Y, X) == pytest.approx(mi, abs=0.05)


def test_suites_highdim_and_highmi_contents():
    hd = get_suite("highdim")
    grid = {(t, p["dim"], p["mi"]) for t, p in hd.tasks}
    assert grid == {
        (f"gaussian-highdim-{kind}", d, mi)
        for kind in ("dense", "sparse")
        for d in (2, 5, 10, 25, 50, 100, 250, 500, 1000)
        for mi in (1.0, 5.0)
    }
    assert len(hd.tasks) == 36 and hd.n == (5000,)
    assert {get_task_class(t).family for t, _ in hd.tasks} == {"high-dim"}
    hm = get_suite("highmi")
    mis = sorted({p["mi"] for _, p in hm.tasks})
    assert mis[0] == 0.5 and mis[-1] == 20.0 and {p["dim"] for _, p in hm.tasks} == {1, 2}
    assert {get_task_class(t).family for t, _ in hm.tasks} == {"high-mi"}
    for t, p in hm.tasks:
        assert ibbench.get_task(t, **p).true_mi == p["mi"]
