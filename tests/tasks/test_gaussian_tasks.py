"""Ground truth of the Gaussian tasks, checked by routes independent of the tasks' own formula."""

import numpy as np
import pytest

import ibbench
from ibbench.tasks.gaussian import DenseGaussian, IndependentGaussian, SparseGaussian, sample_latent_pairs


def _canonical_mi(cov: np.ndarray, dx: int) -> float:
    """Gaussian MI from the canonical correlations (SVD of the whitened cross-covariance), a route
    different from the log-determinant formula the tasks use: I = −½ Σ log(1 − ρ_i²)."""

    def inv_sqrt(a):
        w, v = np.linalg.eigh(a)
        return v @ np.diag(w**-0.5) @ v.T

    cxx, cyy, cxy = cov[:dx, :dx], cov[dx:, dx:], cov[:dx, dx:]
    rho = np.linalg.svd(inv_sqrt(cxx) @ cxy @ inv_sqrt(cyy), compute_uv=False)
    return float(-0.5 * np.sum(np.log1p(-(np.minimum(rho, 1 - 1e-16) ** 2))))


@pytest.mark.parametrize(
    "dim,mi,dim_y",
    [(1, 0.1, None), (2, 1.0, None), (5, 3.0, None), (3, 2.0, 7), (20, 10.0, None), (50, 10.0, None), (1, 10.0, None)],
)
def test_dense_true_mi_matches_covariance_closed_form(dim, mi, dim_y):
    task = DenseGaussian(dim=dim, mi=mi, dim_y=dim_y)
    # The mixed covariance's canonical correlations must reproduce mi: float64 round-off in
    # Q Σ Qᵀ perturbs 1 − ρ² = exp(−2 mi / d) ≥ 2e-9 by ~1e-16 relative to 1, i.e. ≤ 1e-7 in MI.
    assert _canonical_mi(task.covariance(), task.dim_x) == pytest.approx(task.true_mi, abs=1e-6)
    assert task.true_mi == pytest.approx(mi, abs=1e-12)


@pytest.mark.parametrize("dim,mi,m", [(3, 0.5, 1), (5, 1.0, 2), (10, 10.0, 5)])
def test_sparse_true_mi_matches_covariance_closed_form(dim, mi, m):
    task = SparseGaussian(dim=dim, mi=mi, n_interacting=m)
    assert _canonical_mi(task.covariance(), dim) == pytest.approx(task.true_mi, abs=1e-6)


@pytest.mark.parametrize(
    "name,params",
    [
        ("gaussian-dense", {"dim": 3, "mi": 1.0}),
        ("gaussian-dense", {"dim": 2, "mi": 2.0, "dim_y": 4}),
        ("gaussian-sparse", {"dim": 4, "mi": 1.5, "n_interacting": 2}),
        ("gaussian-independent", {"dim": 3}),
    ],
)
def test_sample_covariance_matches_and_carries_true_mi(name, params):
    task = ibbench.get_task(name, **params)
    n = 200_000
    X, Y = task.sample(n, random_state=11)
    Z = np.hstack([X, Y])
    # Entries of a sample covariance of unit-variance data have SE ≤ sqrt(2/n) ≈ 0.0032; 0.02 is > 6 SE.
    assert np.abs(np.cov(Z.T) - task.covariance()).max() < 0.02
    # The plug-in Gaussian MI of the samples has SE ≈ sqrt(2 Σρ²/n) < 0.01 and bias ≈ dx·dy/(2n)
    # < 1e-4 here; 0.03 nats is ≥ 3 SE.
    assert _canonical_mi(np.cov(Z.T), X.shape[1]) == pytest.approx(task.true_mi, abs=0.03)


@pytest.mark.parametrize("mi,d", [(10.0, 1), (20.0, 2), (40.0, 4)])
def test_high_mi_latent_pairs_are_sampled_exactly(mi, d):
    # 1 − ρ² = exp(−2 mi/d) is below 1e-8 here (a Cholesky factor would be useless); the residual
    # of the least-squares fit η ≈ b ξ estimates it per pair. With n = 20000 the log residual
    # variance has SE ≈ sqrt(2/n) = 0.01 per pair, so 0.1 nats total is generous yet catches errors.
    rng = np.random.default_rng(3)
    xi, eta = sample_latent_pairs(20_000, d, d, mi, rng)
    total = 0.0
    for i in range(d):
        b = np.dot(xi[:, i], eta[:, i]) / np.dot(xi[:, i], xi[:, i])
        resid = eta[:, i] - b * xi[:, i]
        total += -0.5 * np.log(resid.var() / eta[:, i].var())
    assert total == pytest.approx(mi, abs=0.1)
    assert np.allclose(xi.std(0), 1.0, atol=0.03) and np.allclose(eta.std(0), 1.0, atol=0.03)


def test_existing_names_and_params_still_work():
    t = ibbench.get_task("gaussian-dense", dim=5, mi=1.0)
    assert (t.dim_x, t.dim_y) == (5, 5) and t.params["mixing_seed"] == 0
    t = DenseGaussian(dim=2, mi=1.0, dim_y=3, mixing_seed=None)
    X, Y = t.sample(10, random_state=0)
    assert X.shape == (10, 2) and Y.shape == (10, 3)
    assert IndependentGaussian(dim=4).true_mi == 0.0
    with pytest.raises(ValueError):
        DenseGaussian(dim=2, mi=-1.0)
    with pytest.raises(ValueError):
        SparseGaussian(dim=3, n_interacting=4)


def test_seeds_give_independent_streams():
    task = DenseGaussian(dim=2, mi=1.0)
    a, _ = task.sample(20_000, random_state=0)
    b, _ = task.sample(20_000, random_state=1)
    # correlation of independent streams has SE 1/sqrt(n) ≈ 0.007
    assert abs(np.corrcoef(a[:, 0], b[:, 0])[0, 1]) < 0.04
    assert np.array_equal(task.sample(50, random_state=5)[1], task.sample(50, random_state=5)[1])


@pytest.mark.parametrize("name", ["gaussian-dense", "gaussian-sparse", "gaussian-cdf", "images-bumps"])
def test_integer_and_float_mi_are_the_same_task(name):
    # the CLI parses "mi=4" as an int; the cell key must not depend on that
    assert ibbench.get_task(name, mi=4) == ibbench.get_task(name, mi=4.0)
