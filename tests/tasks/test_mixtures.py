"""Gaussian-mixture tasks: the Monte Carlo truth against grid quadrature and closed forms, sampling, scoring."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import ibbench
from ibbench.tasks import mixtures
from ibbench.tasks.gaussian import gaussian_mi
from ibbench.tasks.mixtures import GaussianMixture, MixtureAI, MixtureInliers, MixtureX

#: fewer draws than the default 10^6 keep the default test run fast; stderr still <= 0.01
FAST = 200_000


def grid_mi(task: GaussianMixture, lo: tuple[float, float], hi: tuple[float, float], step: float) -> float:
    """``∫∫ p log p / (p_x p_y)`` of a 1+1 mixture by a Riemann sum on a grid.

    Independent of the code under test: component densities from ``scipy.stats.multivariate_normal``,
    marginals by summing the joint over the grid (not from the marginal components).
    """
    xs = np.arange(lo[0], hi[0], step)
    ys = np.arange(lo[1], hi[1], step)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    pts = np.stack([gx.ravel(), gy.ravel()], axis=1)
    weights = np.full(len(task.means), 1.0 / len(task.means)) if task.weights is None else np.array(task.weights)
    weights = weights / weights.sum()
    p = sum(
        w * stats.multivariate_normal(mean=m, cov=c).pdf(pts) for w, m, c in zip(weights, task.means, task.covariances)
    ).reshape(gx.shape)
    mass = p.sum() * step**2
    assert abs(mass - 1.0) < 1e-6, f"grid misses probability mass: {mass}"
    px = p.sum(axis=1) * step
    py = p.sum(axis=0) * step
    ratio = np.where(p > 0, p / np.outer(px, py), 1.0)
    return float(np.sum(p * np.log(ratio)) * step**2)


@pytest.mark.parametrize(
    ("task", "lo", "hi", "step"),
    [
        (MixtureX(correlation=0.9, mc_samples=FAST), (-7, -7), (7, 7), 0.01),
        (MixtureAI(mc_samples=FAST), (-2.8, -3.0), (2.2, 3.0), 0.004),
        (GaussianMixture(mc_samples=FAST), (-8, -8), (8, 8), 0.02),
    ],
    ids=["x", "ai", "blobs"],
)
def test_monte_carlo_truth_matches_grid_quadrature(task, lo, hi, step):
    reference = grid_mi(task, lo, hi, step)
    assert task.true_mi_stderr <= 0.01
    assert abs(task.true_mi - reference) <= 3 * task.true_mi_stderr, (task.true_mi, reference, task.true_mi_stderr)


def test_one_component_equals_the_gaussian_closed_form():
    cov = np.array([[1.0, 0.3, 0.6], [0.3, 1.0, 0.2], [0.6, 0.2, 1.5]])
    task = GaussianMixture(means=[[0.5, -1.0, 2.0]], covariances=[cov.tolist()], dim_x=2, mc_samples=FAST)
    exact = gaussian_mi(cov, 2)
    assert abs(task.true_mi - exact) <= 3 * task.true_mi_stderr
    # the pointwise MI of a single Gaussian is exact: its mean over any points is the closed form up to MC noise
    z = task.model.sample(1000, np.random.default_rng(1))
    c = z - np.array([0.5, -1.0, 2.0])

    def quad(v: np.ndarray, a: np.ndarray) -> np.ndarray:
        return np.einsum("ni,ij,nj->n", v, np.linalg.inv(a), v)

    pmi = exact - 0.5 * (quad(c, cov) - quad(c[:, :2], cov[:2, :2]) - quad(c[:, 2:], cov[2:, 2:]))
    np.testing.assert_allclose(task.model.pmi(z), pmi, rtol=1e-9, atol=1e-9)


def test_samples_have_the_mixture_moments():
    task = MixtureInliers(dim=2, correlation=0.8, inlier_fraction=0.3, mc_samples=FAST)
    blobs = GaussianMixture(
        means=[[-1.0, 2.0], [1.5, 0.0]],
        covariances=[[[1.0, 0.5], [0.5, 2.0]], [[0.5, -0.2], [-0.2, 0.3]]],
        weights=[0.25, 0.75],
    )
    for t in (task, blobs):
        X, Y = t.sample(200_000, random_state=3)
        assert X.shape == (200_000, t.dim_x) and Y.shape == (200_000, t.dim_y)
        w = np.full(len(t.means), 1 / len(t.means)) if t.weights is None else np.array(t.weights)
        mu, cov = np.array(t.means), np.array(t.covariances)
        mean = w @ mu
        second = np.einsum("k,kij->ij", w, cov + np.einsum("ki,kj->kij", mu, mu))
        Z = np.hstack([X, Y])
        np.testing.assert_allclose(Z.mean(axis=0), mean, atol=0.02)
        np.testing.assert_allclose(np.cov(Z.T), second - np.outer(mean, mean), atol=0.03)
    # the signal component of the inliers task has the declared cross-correlation
    X, Y = task.sample(200_000, random_state=4)
    assert np.corrcoef(X[:, 0], Y[:, 0])[0, 1] == pytest.approx(0.7 * 0.8, abs=0.01)


def test_stderr_is_at_most_001_and_small_mc_samples_are_rejected():
    for name in ("mixture-x", "mixture-ai", "mixture-inliers", "gaussian-mixture"):
        task = ibbench.get_task(name, mc_samples=FAST)
        assert 0 < task.true_mi_stderr <= mixtures.MAX_TRUE_MI_STDERR
    with pytest.raises(ValueError, match="raise mc_samples"):
        _ = MixtureX(mc_samples=100).true_mi


def test_same_seed_same_truth_and_the_cache(monkeypatch):
    monkeypatch.setattr(mixtures, "_TRUTH_CACHE", {})
    first = MixtureX(mc_samples=FAST, mc_seed=5)
    value = first.true_mi
    monkeypatch.setattr(mixtures, "_TRUTH_CACHE", {})
    assert MixtureX(mc_samples=FAST, mc_seed=5).true_mi == value  # recomputed: bit-identical
    other = MixtureX(mc_samples=FAST, mc_seed=6).true_mi
    assert other != value and abs(other - value) < 6 * first.true_mi_stderr
    calls = []
    original = mixtures.GaussianMixtureModel.mc_mutual_information
    monkeypatch.setattr(
        mixtures.GaussianMixtureModel,
        "mc_mutual_information",
        lambda self, m, seed: calls.append(seed) or original(self, m, seed),
    )
    for _ in range(3):
        _ = MixtureX(mc_samples=FAST, mc_seed=5).true_mi  # cached by identity: no new integral
    assert calls == []
    X1, Y1 = first.sample(50, random_state=0)
    X2, Y2 = MixtureX(mc_samples=FAST, mc_seed=5).sample(50, random_state=0)
    assert np.array_equal(X1, X2) and np.array_equal(Y1, Y2)


def test_x_and_ai_presets_are_the_papers_shapes():
    x = MixtureX()
    assert len(x.means) == 2 and x.dim_x == x.dim_y == 1
    assert sorted(c[0][1] for c in x.covariances) == [-0.9, 0.9]
    ai = MixtureAI()
    assert len(ai.means) == 6 and ai.weights is None
    # "I" at x = 1 (three components), "A" left of zero (three components)
    assert sorted(m[0] for m in ai.means) == [-1.2, -0.8, -0.4, 1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    "params",
    [
        {"means": [[0.0, 0.0]], "covariances": [[[1.0, 2.0], [2.0, 1.0]]]},  # not positive definite
        {"means": [[0.0, 0.0]], "covariances": [[[1.0, 0.1], [0.2, 1.0]]]},  # not symmetric
        {"means": [[0.0, 0.0], [1.0, 1.0]], "covariances": [[[1.0, 0.0], [0.0, 1.0]]]},  # count mismatch
        {"means": [[0.0, 0.0]], "covariances": [[[1.0, 0.0], [0.0, 1.0]]], "weights": [0.0]},
        {"means": [[0.0, 0.0]], "covariances": [[[1.0, 0.0], [0.0, 1.0]]], "dim_x": 2},
        {"mc_samples": 1},
    ],
)
def test_bad_parameters_raise_value_error(params):
    with pytest.raises(ValueError):
        ibbench.get_task("gaussian-mixture", **params)


def test_tolerance_widens_by_two_standard_errors():
    from ibbench.scoring import add_cell_metrics, tolerance

    assert tolerance(0.5) == pytest.approx(0.1)
    assert tolerance(0.5, 0.01) == pytest.approx(0.12)
    assert tolerance(3.0, float("nan")) == pytest.approx(0.3)
    cells = pd.DataFrame(
        {
            "estimate": [0.615, 0.615, 0.615, 0.63],
            "true_mi": [0.5, 0.5, 0.5, 0.5],
            "true_mi_stderr": [0.01, 0.0, None, 0.01],
            "status": "ok",
            "seconds": 1.0,
        }
    )
    assert add_cell_metrics(cells)["within_tol"].tolist() == [True, False, False, False]
    legacy = cells.drop(columns="true_mi_stderr")  # stores written before the column: exact truths
    assert add_cell_metrics(legacy)["within_tol"].tolist() == [False, False, False, False]


def test_the_runner_records_the_stderr_and_the_leaderboard_shows_it(tmp_path):
    from ibbench.report.leaderboard import truth_text
    from ibbench.runner import build_grid
    from ibbench.scoring import score_groups
    from ibbench.store import Store, load_results

    cells = build_grid(
        [("gaussian", {})],
        [("mixture-x", {"mc_samples": FAST}), ("gaussian-dense", {"dim": 1, "mi": 0.5})],
        [100],
        [0],
    )
    stderr = {c.task: c.true_mi_stderr for c in cells}
    assert stderr["mixture-x"] == MixtureX(mc_samples=FAST).true_mi_stderr > 0 and stderr["gaussian-dense"] == 0
    from ibbench.execution import execute_cell

    with Store(tmp_path / "s.sqlite") as store:
        for cell in cells:
            store.write_cell({**execute_cell(cell.as_dict()), "run_id": "r"})
    df = load_results(tmp_path / "s.sqlite")
    groups = score_groups(df, n_boot=10).set_index("task")
    assert groups.loc["mixture-x", "true_mi_stderr"] == pytest.approx(stderr["mixture-x"])
    assert "(MC)" in truth_text(groups.loc["mixture-x"], lambda v: f"{v:.3f}")
    assert "(MC)" not in truth_text(groups.loc["gaussian-dense"], lambda v: f"{v:.3f}")
