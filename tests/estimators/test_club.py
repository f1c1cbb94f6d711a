"""CLUB (contrastive log-ratio upper bound): the sample formula against brute force, the value of the
exact conditional against the closed form ``ρ²/(1 − ρ²)``, the trained estimator against
``Σ ρ_i²/(1 − ρ_i²)`` with the ``ρ_i`` taken from the task's covariance matrix (canonical
correlations by numpy), determinism and the tie remedy.

Derivation of the reference: for a standard Gaussian pair ``y = ρx + sqrt(1 − ρ²) ε`` the exact
conditional is ``N(ρx, 1 − ρ²)``; ``E_p[(y − ρx)²] = 1 − ρ²`` and ``E_{p(x)p(y)}[(y − ρx)²] = 1 + ρ²``,
so ``E_p log q − E_{pxpy} log q = ((1 + ρ²) − (1 − ρ²)) / (2(1 − ρ²)) = ρ²/(1 − ρ²)``. Independent
pairs add up; invertible linear maps of each side do not change the value (it equals
``I + E_x KL(p(y) ‖ p(y|x))``).
"""

import math

import numpy as np
import pytest
import torch
from scipy import stats

import ibbench
from ibbench.estimators.club import CLUB, club_value, dequantize_ties

#: reduced settings for the default run
FAST = {"n_steps": 400, "random_state": 0}


def _canonical_correlations(cov: np.ndarray, dx: int) -> np.ndarray:
    """Canonical correlations of a joint covariance: sqrt of the eigenvalues of Σxx⁻¹ Σxy Σyy⁻¹ Σyx."""
    sxx, sxy, syy = cov[:dx, :dx], cov[:dx, dx:], cov[dx:, dx:]
    m = np.linalg.solve(sxx, sxy) @ np.linalg.solve(syy, sxy.T)
    return np.sqrt(np.clip(np.sort(np.linalg.eigvals(m).real)[::-1], 0, 1))


def _club_reference(task) -> float:
    """Σ ρ_i² / (1 − ρ_i²) over the canonical correlations of the task's covariance matrix."""
    rho = _canonical_correlations(task.covariance(), task.dim_x)
    return float(np.sum(rho**2 / (1 - rho**2)))


def test_all_pairs_formula_matches_brute_force():
    rng = np.random.default_rng(0)
    n, d = 60, 3
    mu, log_var, y = rng.normal(size=(n, d)), rng.normal(scale=0.5, size=(n, d)), rng.normal(size=(n, d))
    sd = np.exp(0.5 * log_var)
    # log q(y_j | x_i) for every pair (i, j) with scipy
    pair = stats.norm.logpdf(y[None, :, :], loc=mu[:, None, :], scale=sd[:, None, :]).sum(axis=2)
    positive, negative = np.mean(np.diag(pair)), np.mean(pair)
    value, pos, neg = club_value(*(torch.as_tensor(a) for a in (mu, log_var, y)))
    assert pos == pytest.approx(positive, rel=1e-10)
    assert neg == pytest.approx(negative, rel=1e-10)
    assert value == pytest.approx(positive - negative, rel=1e-10)


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.8, 0.95])
def test_exact_conditional_gives_rho2_over_one_minus_rho2(rho):
    rng = np.random.default_rng(1)
    n = 400_000
    x = rng.standard_normal(n)
    y = rho * x + math.sqrt(1 - rho**2) * rng.standard_normal(n)
    mu = torch.as_tensor(rho * x)[:, None]
    log_var = torch.full_like(mu, math.log(1 - rho**2))
    value, _, _ = club_value(mu, log_var, torch.as_tensor(y)[:, None])
    expected = rho**2 / (1 - rho**2)
    assert value == pytest.approx(expected, rel=0.02, abs=0.005)
    # the bound is loose: at I = 1 nat (rho² = 1 − e⁻²) it is e² − 1 ≈ 6.39
    assert value >= -0.5 * math.log(1 - rho**2) - 0.01


def test_e2i_minus_one_at_one_nat():
    rho2 = 1 - math.exp(-2.0)
    assert rho2 / (1 - rho2) == pytest.approx(math.e**2 - 1)
    assert math.e**2 - 1 == pytest.approx(6.389, abs=1e-3)


def test_reference_from_covariance_matches_the_latent_pair_formula():
    # the dense task mixes d latent pairs of correlation sqrt(1 − e^{−2I/d}) by orthogonal maps
    task = ibbench.get_task("gaussian-dense", dim=5, mi=1.0)
    assert _club_reference(task) == pytest.approx(5 * math.expm1(2 * 1.0 / 5), rel=1e-9)


def test_trained_club_on_a_small_gaussian_pair():
    task = ibbench.get_task("gaussian-dense", dim=2, mi=1.0)
    X, Y = task.sample(2000, random_state=3)
    est = CLUB(**FAST).fit(X, Y)
    reference = _club_reference(task)  # 2 (e − 1) ≈ 3.44
    assert est.mutual_info_ == pytest.approx(reference, rel=0.15)
    assert est.mutual_info_ > task.true_mi  # an upper bound, well above the MI
    assert len(est.history_) == FAST["n_steps"]


def test_independent_pair_gives_about_zero():
    X, Y = ibbench.get_task("gaussian-dense", dim=2, mi=0.0).sample(2000, random_state=4)
    assert abs(CLUB(**FAST).fit(X, Y).mutual_info_) < 0.05


def test_same_seed_same_bits_and_upper_tag():
    X, Y = ibbench.get_task("gaussian-dense", dim=2, mi=0.5).sample(500, random_state=5)
    a = CLUB(n_steps=50, random_state=7).fit(X, Y).mutual_info_
    b = CLUB(n_steps=50, random_state=7).fit(X, Y).mutual_info_
    assert a == b
    assert CLUB.get_tags()["bound"] == "upper"


def test_dequantize_ties_keeps_the_symbols_and_leaves_continuous_columns():
    rng = np.random.default_rng(0)
    A = np.column_stack([rng.integers(0, 3, 500) * 2.0, rng.normal(size=500)])
    out, widths = dequantize_ties(A, np.random.default_rng(1))
    assert widths[0] == 2.0 and widths[1] == 0.0
    np.testing.assert_array_equal(np.floor(out[:, 0] / 2.0) * 2.0, A[:, 0])  # symbols recoverable
    np.testing.assert_array_equal(out[:, 1], A[:, 1])
    assert len(np.unique(out[:, 0])) == 500


def test_discrete_input_gives_a_finite_value():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, (300, 1)).astype(float)
    y = (x + rng.integers(0, 2, (300, 1))) % 3
    assert np.isfinite(CLUB(**CLUB.get_test_params()).fit(x, y).mutual_info_)


@pytest.mark.slow
@pytest.mark.parametrize("mi", [0.0, 0.5, 1.0, 2.0])
def test_trained_club_within_ten_percent_at_full_size(mi):
    task = ibbench.get_task("gaussian-dense", dim=5, mi=mi)
    X, Y = task.sample(5000, random_state=11)
    value = CLUB(random_state=0).fit(X, Y).mutual_info_
    reference = _club_reference(task)
    if mi == 0:
        assert abs(value) < 0.05
    else:
        assert value == pytest.approx(reference, rel=0.10)


def test_device_auto_on_cpu_matches_cpu_and_cuda_without_gpu_is_an_error():
    X, Y = ibbench.get_task("gaussian-dense", dim=2, mi=0.5).sample(300, random_state=6)
    cpu = CLUB(n_steps=20, random_state=1).fit(X, Y)
    auto = CLUB(n_steps=20, random_state=1, device="auto")
    assert cpu.device_ == "cpu" and cpu.identity_parts() == {}
    if not torch.cuda.is_available():
        assert auto.fit(X, Y).mutual_info_ == cpu.mutual_info_ and auto.identity_parts() == {}
        with pytest.raises(ValueError, match="cuda"):
            CLUB(n_steps=5, device="cuda").fit(X, Y)
    with pytest.raises(ValueError, match="device"):
        CLUB(device="tpu").fit(X, Y)
