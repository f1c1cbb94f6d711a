"""Flow MI estimator (Gaussianising normalizing flows with a tridiagonal Gaussian base).

Independent references: scipy's multivariate normal density for the base log-density, the tasks'
closed-form Gaussian MI (``ibbench.tasks.gaussian.gaussian_mi``) for the base MI, the ``gaussian``
estimator for the latent Gaussian MI, eigenvalues of ``Σxx⁻¹ Σxy Σyy⁻¹ Σyx`` for the canonical
correlations, and the tasks' true MI for the trained estimator.
"""

import numpy as np
import pytest
import torch
from scipy import stats

import ibbench
from ibbench.estimators.flow import FlowMI, TridiagonalGaussianFlows, canonical_maps, gaussian_latent_mi
from ibbench.estimators.gaussian import GaussianMI
from ibbench.tasks.gaussian import gaussian_mi


def _base_covariance(rho: np.ndarray, dx: int, dy: int) -> np.ndarray:
    cov = np.eye(dx + dy)
    d = len(rho)
    cov[np.arange(d), dx + np.arange(d)] = rho
    cov[dx + np.arange(d), np.arange(d)] = rho
    return cov


@pytest.mark.parametrize("dx, dy", [(2, 2), (3, 2), (1, 3)])
def test_log_prob_is_base_density_plus_log_det(dx, dy):
    torch.manual_seed(0)
    model = TridiagonalGaussianFlows(dx, dy, transforms=1, hidden=(8,), bins=4).double()
    with torch.no_grad():
        model.theta.copy_(torch.linspace(-1.0, 1.5, model.d, dtype=torch.float64))
    x, y = torch.randn(50, dx, dtype=torch.float64), torch.randn(50, dy, dtype=torch.float64)
    with torch.no_grad():
        xi, eta, ladj = model.latents(x, y)
        got = model.log_prob(x, y).numpy()
    rho = np.tanh(np.linspace(-1.0, 1.5, model.d))
    base = stats.multivariate_normal(np.zeros(dx + dy), _base_covariance(rho, dx, dy))
    expected = base.logpdf(np.column_stack([xi.numpy(), eta.numpy()])) + ladj.numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_base_mutual_info_is_the_gaussian_closed_form():
    model = TridiagonalGaussianFlows(3, 2, transforms=1, hidden=(8,), bins=4)
    theta = np.array([2.5, -0.7])
    with torch.no_grad():
        model.theta.copy_(torch.as_tensor(theta, dtype=model.theta.dtype))
    rho = np.tanh(theta.astype(np.float32).astype(np.float64))
    assert model.base_mutual_info() == pytest.approx(gaussian_mi(_base_covariance(rho, 3, 2), 3), rel=1e-6)


def test_canonical_maps_diagonalise_and_match_eigenvalues():
    task = ibbench.get_task("gaussian-dense", dim=3, dim_y=2, mi=1.5)
    X, Y = task.sample(3000, random_state=0)
    A_x, A_y, s = canonical_maps(X, Y)
    joint = np.cov(np.column_stack([X @ A_x, Y @ A_y]), rowvar=False)
    expected = np.eye(5)
    expected[[0, 1], [3, 4]] = expected[[3, 4], [0, 1]] = s
    np.testing.assert_allclose(joint, expected, atol=1e-8)
    cov = np.cov(np.column_stack([X, Y]), rowvar=False)
    m = np.linalg.solve(cov[:3, :3], cov[:3, 3:]) @ np.linalg.solve(cov[3:, 3:], cov[:3, 3:].T)
    eig = np.sort(np.linalg.eigvals(m).real)[::-1][:2]
    np.testing.assert_allclose(s, np.sqrt(eig), rtol=1e-8)


def test_latent_gaussian_mi_matches_the_gaussian_estimator():
    X, Y = ibbench.get_task("gaussian-dense", dim=3, mi=1.0).sample(1000, random_state=1)
    assert gaussian_latent_mi(X, Y) == pytest.approx(GaussianMI().fit(X, Y).mutual_info_, rel=1e-9)


#: reduced settings for the default run
FAST = {"n_steps": 150, "transforms": 1, "hidden": (32, 32), "random_state": 0}


def test_recovers_mi_through_a_nonlinear_map():
    task = ibbench.get_task("gaussian-cdf", dim=2, mi=1.0)
    X, Y = task.sample(2000, random_state=2)
    est = FlowMI(**FAST).fit(X, Y)
    assert est.mutual_info_ == pytest.approx(task.true_mi, abs=0.15)
    assert len(est.history_) == FAST["n_steps"]


def test_independent_pair_gives_about_zero():
    X, Y = ibbench.get_task("gaussian-asinh", dim=2, mi=0.0).sample(2000, random_state=3)
    assert abs(FlowMI(**FAST).fit(X, Y).mutual_info_) < 0.05


def test_same_seed_same_bits():
    X, Y = ibbench.get_task("gaussian-dense", dim=2, mi=0.5).sample(400, random_state=4)
    params = {"n_steps": 30, "transforms": 1, "hidden": (16,), "random_state": 9}
    a = FlowMI(**params).fit(X, Y).mutual_info_
    state = torch.get_rng_state()
    b = FlowMI(**params).fit(X, Y).mutual_info_
    assert a == b
    # the fit leaves torch's global generator where it was (zuko's init runs in a forked RNG)
    assert torch.equal(state, torch.get_rng_state())


def test_discrete_input_gives_a_finite_value():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, (200, 1)).astype(float)
    y = (x + rng.integers(0, 2, (200, 1))) % 3
    est = FlowMI(**FlowMI.get_test_params()).fit(x, y)
    assert np.isfinite(est.mutual_info_)
    assert est.dequantized_x_[0] == 1.0


SLOW_CASES = [
    ("gaussian-dense", 1.0),
    ("gaussian-dense", 4.0),
    ("gaussian-cdf", 1.0),
    ("gaussian-halfcube", 1.0),
    ("gaussian-asinh", 1.0),
]


@pytest.mark.slow
@pytest.mark.parametrize("task_name, mi", SLOW_CASES)
def test_within_a_tenth_of_a_nat_at_full_size(task_name, mi):
    task = ibbench.get_task(task_name, dim=5, mi=mi)
    X, Y = task.sample(5000, random_state=0)
    assert FlowMI(random_state=0).fit(X, Y).mutual_info_ == pytest.approx(task.true_mi, abs=0.1)


def test_device_auto_on_cpu_matches_cpu_and_cuda_without_gpu_is_an_error():
    X, Y = ibbench.get_task("gaussian-dense", dim=2, mi=0.5).sample(300, random_state=6)
    params = {"n_steps": 10, "transforms": 1, "hidden": (8,), "random_state": 1}
    cpu = FlowMI(**params).fit(X, Y)
    assert cpu.device_ == "cpu" and cpu.identity_parts() == {}
    if not torch.cuda.is_available():
        assert FlowMI(**params, device="auto").fit(X, Y).mutual_info_ == cpu.mutual_info_
        with pytest.raises(ValueError, match="cuda"):
            FlowMI(**params, device="cuda").fit(X, Y)
    with pytest.raises(ValueError, match="device"):
        FlowMI(device="tpu").fit(X, Y)
