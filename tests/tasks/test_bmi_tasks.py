"""bmi benchmark v1 tasks: truths against independent closed forms, sampled distributions, inverses."""

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import gammaln, psi

from ibbench.bmi_tasks import BMI_V1_TASKS, bmi_id_of, bmi_v1_specs
from ibbench.registry import get_task
from ibbench.suites import get_suite
from ibbench.tasks import bmi
from ibbench.tasks.transforms import StudentT

# -- independent truths ------------------------------------------------------------------------


def _equicorrelation_logdet(d, rho):
    # eigenvalues of (1 − ρ) I + ρ 11ᵀ: 1 + (d − 1) ρ once, 1 − ρ (d − 1) times
    return np.log1p((d - 1) * rho) + (d - 1) * np.log1p(-rho)


def _dense_mi(dx, dy, rho):
    return 0.5 * (
        _equicorrelation_logdet(dx, rho) + _equicorrelation_logdet(dy, rho) - _equicorrelation_logdet(dx + dy, rho)
    )


def _bmi_lvm_2pair_covariance(d, lam=2.0, eps=1.0, eta=2.0):
    # bmi's latent model for multinormal-sparse-d-d-2-2.0 (alpha = beta = 0), normalised to correlations
    cov = np.diag(np.full(2 * d, eps**2 + eta**2))
    for i in range(2):
        cov[i, i] = cov[d + i, d + i] = eps**2 + lam**2
        cov[i, d + i] = cov[d + i, i] = lam**2
    sd = np.sqrt(np.diag(cov))
    return cov / np.outer(sd, sd)


def _half_logdet_mi(cov, dx):
    return 0.5 * (np.linalg.slogdet(cov[:dx, :dx])[1] + np.linalg.slogdet(cov[dx:, dx:])[1] - np.linalg.slogdet(cov)[1])


def _t_entropy(d, nu):
    # differential entropy of the standard d-variate t (identity dispersion), in the textbook form
    return (
        gammaln(nu / 2) - gammaln((nu + d) / 2) + 0.5 * d * np.log(nu * np.pi)
        + 0.5 * (nu + d) * (psi((nu + d) / 2) - psi(nu / 2))
    )  # fmt: skip


def _uniform_noise_mi_by_quadrature(eps):
    # I = h(Y) − log 2ε, with the density of Y = X + N obtained as a convolution integral
    def p(y):
        lo, hi = max(0.0, y - eps), min(1.0, y + eps)
        return max(hi - lo, 0.0) / (2 * eps)

    h, _ = integrate.quad(
        lambda y: -p(y) * np.log(p(y)) if p(y) > 0 else 0.0,
        -eps,
        1 + eps,
        limit=200,
        points=[eps, 1 - eps, -eps + 1, 2 * eps],
    )
    return h - np.log(2 * eps)


def _expected_truth(bmi_id):
    if bmi_id.startswith("1v1-additive-"):
        return _uniform_noise_mi_by_quadrature(float(bmi_id.rsplit("-", 1)[1]))
    if "student-identity" in bmi_id:
        dx, dy, df = (int(v) for v in bmi_id.rsplit("student-identity-", 1)[1].split("-"))
        return _t_entropy(dx, df) + _t_entropy(dy, df) - _t_entropy(dx + dy, df)
    if "multinormal-dense" in bmi_id:
        d = int(bmi_id.split("-")[2])
        return _dense_mi(d, d, 0.5)
    if "multinormal-sparse" in bmi_id:
        d = int(bmi_id.split("multinormal-sparse-")[1].split("-")[0])
        return _half_logdet_mi(_bmi_lvm_2pair_covariance(d), d)
    assert "1v1-normal-0.75" in bmi_id or bmi_id == "1v1-bimodal-0.75", bmi_id
    return -0.5 * np.log(1 - 0.75**2)


@pytest.mark.parametrize("bmi_id", list(BMI_V1_TASKS))
def test_true_mi_matches_independent_closed_form(bmi_id):
    name, params = BMI_V1_TASKS[bmi_id]
    task = get_task(name, **params)
    assert task.true_mi == pytest.approx(_expected_truth(bmi_id), rel=1e-9, abs=1e-9)
    assert get_task(name, **params, rescale=True).true_mi == task.true_mi


#: ``task.mutual_information`` of bmi 0.1.3's ``BENCHMARK_TASKS`` (run in a separate venv with
#: benchmark-mi==0.1.3, jax 0.4.30), rounded to 6 decimals; the keys are bmi's ids in bmi's order.
_BMI_0_1_3_TRUTHS = {
    "1v1-normal-0.75": 0.413339,
    "normal_cdf-1v1-normal-0.75": 0.413339,
    "1v1-additive-0.1": 1.709438,
    "1v1-additive-0.75": 0.333333,
    "1v1-bimodal-0.75": 0.413339,
    "wiggly-1v1-normal-0.75": 0.413339,
    "half_cube-1v1-normal-0.75": 0.413339,
    "student-identity-1-1-1": 0.224171,
    "asinh-student-identity-1-1-1": 0.224171,
    "swissroll_x-normal_cdf-1v1-normal-0.75": 0.413339,
    "multinormal-dense-2-2-0.5": 0.293893,
    "multinormal-dense-3-3-0.5": 0.413339,
    "multinormal-dense-5-5-0.5": 0.592812,
    "multinormal-dense-25-25-0.5": 1.292184,
    "multinormal-dense-50-50-0.5": 1.624265,
    **{f"multinormal-sparse-{d}-{d}-2-2.0": 1.021651 for d in (2, 3, 5, 25)},
    "student-identity-2-2-1": 0.431946,
    "student-identity-2-2-2": 0.193147,
    "student-identity-3-3-2": 0.290922,
    "student-identity-3-3-3": 0.178712,
    "student-identity-5-5-2": 0.448151,
    "student-identity-5-5-3": 0.298544,
    **{
        f"{prefix}-multinormal-sparse-{d}-{d}-2-2.0": 1.021651
        for prefix in ("normal_cdf", "half_cube", "spiral", "spiral-normal_cdf")
        for d in (3, 5, 25)
    },
    "asinh-student-identity-2-2-1": 0.431946,
    "asinh-student-identity-3-3-2": 0.290922,
    "asinh-student-identity-5-5-2": 0.448151,
}


def test_ids_and_truths_equal_bmis():
    assert list(BMI_V1_TASKS) == list(_BMI_0_1_3_TRUTHS)
    for bmi_id, (name, params) in BMI_V1_TASKS.items():
        assert get_task(name, **params).true_mi == pytest.approx(_BMI_0_1_3_TRUTHS[bmi_id], abs=1e-6), bmi_id


# values printed in bmi's paper (Czyż et al. 2023, Table/figure captions: rounded to 2 decimals)
@pytest.mark.parametrize(
    ("bmi_id", "paper"),
    [("student-identity-1-1-1", 0.22), ("student-identity-2-2-1", 0.43), ("1v1-additive-0.75", 0.33)],
)
def test_truths_agree_with_rounded_published_values(bmi_id, paper):
    name, params = BMI_V1_TASKS[bmi_id]
    assert round(get_task(name, **params).true_mi, 2) == paper


def test_student_t_truth_by_monte_carlo_with_scipy_density():
    task = bmi.BmiStudentT(dim_x=1, dim_y=1, df=1.0)
    X, Y = task.sample(200_000, random_state=0)
    joint = stats.multivariate_t(loc=np.zeros(2), shape=np.eye(2), df=1.0)
    marg = stats.t(df=1.0)
    pmi = joint.logpdf(np.hstack([X, Y])) - marg.logpdf(X[:, 0]) - marg.logpdf(Y[:, 0])
    assert pmi.mean() == pytest.approx(task.true_mi, abs=0.01)


# -- the 40 tasks and the suite ----------------------------------------------------------------


def test_forty_distinct_tasks_in_bmi_order():
    assert len(BMI_V1_TASKS) == 40
    specs = bmi_v1_specs()
    keys = {(name, tuple(sorted(params.items()))) for name, params in specs}
    assert len(keys) == 40
    assert list(BMI_V1_TASKS)[:2] == ["1v1-normal-0.75", "normal_cdf-1v1-normal-0.75"]
    assert sum("student-identity" in k and not k.startswith("asinh") for k in BMI_V1_TASKS) == 7
    assert (
        sum(
            k.startswith(("normal_cdf-multi", "half_cube-multi", "spiral-", "asinh-student-identity-"))
            for k in BMI_V1_TASKS
        )
        == 15 + 1
    )


def test_bmi_suite_uses_rescaled_tasks_with_bmi_sizes():
    suite = get_suite("bmi")
    assert len(suite.tasks) == 40 and suite.n == (5000,) and suite.seeds == 10
    assert all(params["rescale"] is True for _, params in suite.tasks)
    assert [bmi_id_of(n, p) for n, p in suite.tasks] == list(BMI_V1_TASKS)


def test_rescale_standardises_each_column_and_keeps_the_draw():
    plain = bmi.BmiGaussian(structure="2pair", dim_x=3, dim_y=3, correlation=0.8, transform="halfcube")
    scaled = bmi.BmiGaussian(structure="2pair", dim_x=3, dim_y=3, correlation=0.8, transform="halfcube", rescale=True)
    (X, Y), (Xs, Ys) = plain.sample(500, 3), scaled.sample(500, 3)
    for A, As in ((X, Xs), (Y, Ys)):
        np.testing.assert_allclose(As.mean(axis=0), 0, atol=1e-12)
        np.testing.assert_allclose(As.std(axis=0), 1, atol=1e-12)
        np.testing.assert_allclose(As, (A - A.mean(0)) / A.std(0), atol=1e-12)


# -- sampled distributions ---------------------------------------------------------------------


@pytest.mark.parametrize("structure, dim, rho", [("dense", 5, 0.5), ("2pair", 5, 0.8), ("dense", 1, 0.75)])
def test_gaussian_sample_covariance(structure, dim, rho):
    task = bmi.BmiGaussian(structure=structure, dim_x=dim, dim_y=dim, correlation=rho)
    X, Y = task.sample(40_000, random_state=0)
    expected = _bmi_lvm_2pair_covariance(dim) if structure == "2pair" else (1 - rho) * np.eye(2 * dim) + rho
    np.testing.assert_allclose(np.cov(np.hstack([X, Y]).T), expected, atol=0.03)


def test_bimodal_marginal_moments_and_cdf():
    X, Y = bmi.BmiGaussian(transform="bimodal").sample(40_000, random_state=1)
    # mixtures 0.3 N(0,1) + 0.7 N(5,1) and 0.5 N(−1,1) + 0.5 N(3,1): means 3.5, 1; variances 1 + Σw(μ−m)²
    assert X.mean() == pytest.approx(3.5, abs=0.05) and X.var() == pytest.approx(1 + 0.21 * 25, abs=0.1)
    assert Y.mean() == pytest.approx(1.0, abs=0.05) and Y.var() == pytest.approx(1 + 0.25 * 16, abs=0.1)
    ks = stats.kstest(X[:, 0], lambda x: 0.3 * stats.norm.cdf(x) + 0.7 * stats.norm.cdf(x - 5))
    assert ks.pvalue > 1e-3


def test_additive_uniform_moments():
    X, Y = bmi.BmiAdditiveUniform(epsilon=0.75).sample(40_000, random_state=2)
    assert X.min() >= 0 and X.max() <= 1
    noise = Y - X
    assert np.abs(noise).max() <= 0.75 and noise.var() == pytest.approx(0.75**2 / 3, rel=0.03)


def test_student_identity_draws_equal_existing_student_t():
    a = bmi.BmiStudentT(dim_x=3, dim_y=3, df=2.0).sample(300, random_state=5)
    b = StudentT(dim=3, df=2.0, scale_mi=0.0, mixing_seed=None).sample(300, random_state=5)
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p, q)
    assert bmi.BmiStudentT(dim_x=3, dim_y=3, df=2.0).true_mi == pytest.approx(
        StudentT(dim=3, df=2.0, scale_mi=0.0).true_mi, rel=1e-12
    )


def test_student_t_marginal_is_student_t():
    X, _ = bmi.BmiStudentT(dim_x=2, dim_y=2, df=3.0).sample(20_000, random_state=3)
    assert stats.kstest(X[:, 0], stats.t(df=3.0).cdf).pvalue > 1e-3


# -- the maps invert back to the base Gaussian -------------------------------------------------


def _inverse(transform, task, X, Y):
    dx, dy = task.dim_x_base, task.dim_y_base
    if transform == "cdf":
        return stats.norm.ppf(X), stats.norm.ppf(Y)
    if transform == "halfcube":
        return bmi.half_cube_inverse(X), bmi.half_cube_inverse(Y)
    if transform == "wiggly":
        return bmi.wiggly_inverse(X, bmi.WIGGLY_X), bmi.wiggly_inverse(Y, bmi.WIGGLY_Y)
    if transform in ("spiral", "spiral-cdf"):
        X, Y = bmi.spiral_plane_inverse(X, 0, 1, 1 / dx), bmi.spiral_plane_inverse(Y, 1, 2, 1 / dy)
        return _inverse("cdf", task, X, Y) if transform == "spiral-cdf" else (X, Y)
    if transform == "bimodal":
        # bmi's mixture CDFs written out, then Φ⁻¹
        fx = 0.3 * stats.norm.cdf(X) + 0.7 * stats.norm.cdf(X - 5)
        fy = 0.5 * stats.norm.cdf(Y + 1) + 0.5 * stats.norm.cdf(Y - 3)
        return stats.norm.ppf(fx), stats.norm.ppf(fy)
    assert transform == "swissroll"
    return stats.norm.ppf(bmi.swiss_roll_inverse(X)), stats.norm.ppf(Y)


@pytest.mark.parametrize(
    "transform, structure, dim_x, dim_y",
    [
        ("cdf", "2pair", 3, 3),
        ("halfcube", "2pair", 5, 5),
        ("wiggly", "dense", 1, 1),
        ("spiral", "2pair", 3, 3),
        ("spiral", "2pair", 5, 5),
        ("spiral-cdf", "2pair", 3, 3),
        ("bimodal", "dense", 1, 1),
        ("swissroll", "dense", 1, 1),
    ],
)
def test_inverting_the_map_recovers_the_base_sample(transform, structure, dim_x, dim_y):
    task = bmi.BmiGaussian(structure=structure, dim_x=dim_x, dim_y=dim_y, correlation=0.8, transform=transform)
    X, Y = task.sample(2000, random_state=7)
    X0, Y0 = task.sample_base(2000, random_state=7)
    Xi, Yi = _inverse(transform, task, X, Y)
    # Φ⁻¹(Φ(z)) loses digits in the upper tail (Φ(z) near 1); the maps solved numerically are exact to ~1e-12
    np.testing.assert_allclose(Xi, X0, atol=1e-6)
    np.testing.assert_allclose(Yi, Y0, atol=1e-6)


def test_spiral_is_bmi_rotation_by_squared_norm():
    # closed form for one point: x = (1, 0, 0), speed 1/3, angle 1/3 in plane (0, 1)
    out = bmi.spiral_plane(np.array([[1.0, 0.0, 0.0]]), 0, 1, 1 / 3)
    np.testing.assert_allclose(out, [[np.cos(1 / 3), np.sin(1 / 3), 0.0]])
    out = bmi.spiral_plane(np.array([[0.0, 2.0, 0.0]]), 1, 2, 0.25)  # angle 0.25 · 4 = 1
    np.testing.assert_allclose(out, [[0.0, 2 * np.cos(1.0), 2 * np.sin(1.0)]])


def test_maps_are_bmis_formulas():
    x = np.linspace(-4, 4, 101)
    wx = x + 0.4 * np.sin(x) + 0.2 * np.sin(1.7 * x + 1) + 0.03 * np.sin(3.3 * x - 2.5)
    wy = x - 0.4 * np.sin(0.4 * x) + 0.17 * np.sin(1.3 * x + 3.5) + 0.02 * np.sin(4.3 * x - 2.5)
    np.testing.assert_allclose(bmi.wiggly(x, bmi.WIGGLY_X), wx, atol=1e-14)
    np.testing.assert_allclose(bmi.wiggly(x, bmi.WIGGLY_Y), wy, atol=1e-14)
    np.testing.assert_allclose(bmi.half_cube(x), np.sign(x) * np.abs(x) ** 1.5, atol=1e-12)
    u = np.linspace(0.01, 0.99, 7)[:, None]
    t = 1.5 * np.pi * (1 + 2 * u[:, 0])
    np.testing.assert_allclose(bmi.swiss_roll(u), np.c_[t * np.cos(t), t * np.sin(t)] / 21, atol=1e-14)


def test_wiggly_maps_are_increasing():
    x = np.linspace(-20, 20, 200_001)
    assert (np.diff(bmi.wiggly(x, bmi.WIGGLY_X)) > 0).all() and (np.diff(bmi.wiggly(x, bmi.WIGGLY_Y)) > 0).all()


def test_bimodal_map_is_exact_in_the_far_tails():
    z = np.array([-30.0, -8.0, 0.0, 8.0, 30.0])
    x = bmi.normal_to_mixture(z, bmi.BIMODAL_X)
    assert np.isfinite(x).all() and (np.diff(x) > 0).all()
    # far tails: one component dominates, so x ≈ z + its mean
    # (log Φ has slope ≈ |z| = 30 there): x ≈ −30 − log(0.3)/30 and 35 + log(0.7)/30
    assert x[0] == pytest.approx(-30 - np.log(0.3) / 30, abs=0.003)
    assert x[-1] == pytest.approx(35 + np.log(0.7) / 30, abs=0.003)


def _log_mixture_tail(x, weights, means, upper):
    # log F(x), or log S(x) = log(1 − F(x)) when upper, of Σ w N(μ, 1), written out with scipy.stats
    tail = stats.norm.logsf if upper else stats.norm.logcdf
    return np.logaddexp.reduce([np.log(w) + tail(x - m) for w, m in zip(weights, means)], axis=0)


@pytest.mark.parametrize("mixture", [bmi.BIMODAL_X, bmi.BIMODAL_Y, ((0.2, 0.5, 0.3), (-6.0, 0.5, 9.0))])
def test_bimodal_map_inverts_the_mixture_cdf_to_1e_10(mixture):
    # F(x) = Φ(z), checked as a relative error of the nearer tail so that the tails count too
    rng = np.random.default_rng(3)
    z = np.concatenate([rng.standard_normal(20_000), np.linspace(-37, 37, 2_001)])
    x = bmi.normal_to_mixture(z, mixture)
    upper = z > 0
    log_mixture = np.where(
        upper, _log_mixture_tail(x, *mixture, upper=True), _log_mixture_tail(x, *mixture, upper=False)
    )
    log_normal = np.where(upper, stats.norm.logsf(z), stats.norm.logcdf(z))
    np.testing.assert_array_less(np.abs(np.expm1(log_mixture - log_normal)), 1e-10)
    np.testing.assert_allclose(bmi.mixture_cdf(x, mixture), stats.norm.cdf(z), rtol=0, atol=1e-10)


@pytest.mark.parametrize(
    "params",
    [
        {"structure": "2pair", "dim_x": 1, "dim_y": 3},
        {"transform": "bimodal", "dim_x": 2, "dim_y": 2},
        {"structure": "2pair", "dim_x": 3, "dim_y": 2, "transform": "spiral"},
        {"correlation": 1.0},
    ],
)
def test_invalid_combinations_raise(params):
    with pytest.raises(ValueError):
        get_task("bmi-gaussian", **params)
