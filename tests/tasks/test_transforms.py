"""Transform tasks (invertibility ⇒ MI unchanged) and the Student-t closed form."""

import numpy as np
import pytest
from scipy import stats

import ibbench
from ibbench.tasks.transforms import TRANSFORMS, StudentT, student_t_mi


def _wiggly_inverse_by_interpolation(y):
    # Independent inverse: tabulate the forward map on a fine grid and interpolate (it is increasing).
    grid = np.linspace(-12, 12, 2_000_001)
    fwd = TRANSFORMS["wiggly"][0](grid)
    assert np.all(np.diff(fwd) > 0)
    return np.interp(y, fwd, grid)


def _spiral_inverse(y, speed=0.5):
    # Rotation by the angle speed·‖y‖² (the norm is kept) in the (0,1) plane and back.
    out = y.copy()
    ang = -speed * np.sum(y * y, axis=1)
    c, s = np.cos(ang), np.sin(ang)
    out[:, 0] = c * y[:, 0] - s * y[:, 1]
    out[:, 1] = s * y[:, 0] + c * y[:, 1]
    return out


INDEPENDENT_INVERSES = {
    "gaussian-cdf": (stats.norm.ppf, 1e-7),
    "gaussian-halfcube": (lambda y: np.cbrt(y * y) * np.sign(y), 1e-10),
    "gaussian-asinh": (np.sinh, 1e-10),
    "gaussian-wiggly": (_wiggly_inverse_by_interpolation, 1e-6),  # grid step 1.2e-5, curvature bounded
    "gaussian-spiral": (_spiral_inverse, 1e-9),
}


@pytest.mark.parametrize("name", sorted(INDEPENDENT_INVERSES))
def test_transform_is_inverted_exactly_so_mi_is_the_gaussian_mi(name):
    inverse, tol = INDEPENDENT_INVERSES[name]
    task = ibbench.get_task(name, dim=2, mi=1.5)
    X, Y = task.sample(5000, random_state=4)
    X0, Y0 = task.sample_latents(5000, random_state=4)
    # The samples are an invertible function of the Gaussian pair: recovering the pair with an
    # inverse written independently of the task proves I(f(X); f(Y)) = I(X; Y) = mi.
    assert np.max(np.abs(inverse(X) - X0)) < tol
    assert np.max(np.abs(inverse(Y) - Y0)) < tol
    assert task.true_mi == pytest.approx(1.5)
    assert task.family == "transforms"


@pytest.mark.parametrize("key", ["halfcube", "asinh", "wiggly", "cdf"])
def test_elementwise_maps_are_strictly_increasing(key):
    forward, inverse = TRANSFORMS[key]
    grid = np.linspace(-6, 6, 100_001)
    assert np.all(np.diff(forward(grid)) > 0)
    assert np.allclose(inverse(forward(grid)), grid, atol=1e-8)


def test_spiral_keeps_norm_and_inverts_in_higher_dimension():
    forward, inverse = TRANSFORMS["spiral"]
    x = np.random.default_rng(0).standard_normal((1000, 5))
    y = forward(x)
    assert np.allclose(np.linalg.norm(y, axis=1), np.linalg.norm(x, axis=1))
    assert np.allclose(inverse(y), x, atol=1e-10)
    assert not np.allclose(y, x)


def test_cdf_marginals_are_uniform():
    X, Y = ibbench.get_task("gaussian-cdf", dim=3, mi=2.0).sample(20_000, random_state=0)
    for col in np.hstack([X, Y]).T:
        assert stats.kstest(col, "uniform").pvalue > 1e-3


# -- Student-t ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dim,df,scale_mi,dim_y", [(1, 3.0, 0.0, None), (2, 4.0, 1.0, None), (3, 1.5, 2.0, None), (2, 6.0, 0.5, 3)]
)
def test_student_t_closed_form_matches_monte_carlo_of_the_density_ratio(dim, df, scale_mi, dim_y):
    task = StudentT(dim=dim, df=df, scale_mi=scale_mi, dim_y=dim_y)
    S, dx = task.scale_matrix(), task.dim_x
    X, Y = task.sample(100_000, random_state=7)
    # I = E[log p(x,y) − log p(x) − log p(y)] with the densities of scipy.stats.multivariate_t (an
    # independent implementation); the marginals of a multivariate t are t with the same ν.
    log_ratio = (
        stats.multivariate_t(np.zeros(len(S)), S, df=df).logpdf(np.hstack([X, Y]))
        - stats.multivariate_t(np.zeros(dx), S[:dx, :dx], df=df).logpdf(X)
        - stats.multivariate_t(np.zeros(len(S) - dx), S[dx:, dx:], df=df).logpdf(Y)
    )
    se = log_ratio.std() / np.sqrt(len(log_ratio))
    assert abs(log_ratio.mean() - task.true_mi) < 4.5 * se + 1e-4  # 4.5 SE: false alarm rate < 1e-5


def test_student_t_tends_to_gaussian_and_correction_positive():
    S = ibbench.get_task("gaussian-dense", dim=2, mi=1.0).covariance()
    assert student_t_mi(S, 2, 1e7) == pytest.approx(1.0, abs=1e-5)  # correction is O(1/ν²)
    assert StudentT(dim=2, df=3.0, scale_mi=0.0).true_mi > 0.05  # shared scale: dependent, uncorrelated
    assert StudentT(dim=2, df=1.0, scale_mi=1.0).true_mi > StudentT(dim=2, df=10.0, scale_mi=1.0).true_mi


def test_student_t_marginal_is_t_distributed():
    task = StudentT(dim=1, df=3.0, scale_mi=1.0, mixing_seed=None)
    X, _ = task.sample(20_000, random_state=0)
    assert stats.kstest(X[:, 0], stats.t(df=3.0).cdf).pvalue > 1e-3


def test_student_t_rejects_bad_df():
    with pytest.raises(ValueError):
        StudentT(df=0.0)
