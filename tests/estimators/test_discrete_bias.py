"""`chao-shen` and `nsb` against hand computations, independent implementations and known limits."""

from collections import Counter

import numpy as np
import pytest
from scipy.special import digamma
from scipy.stats import dirichlet_multinomial

import ibbench
from ibbench.numerics.entropy import chao_shen_entropy, counts_entropy
from ibbench.numerics.nsb import nsb_entropy

# ----------------------------------------------------------------------------------------- Chao–Shen


def test_chao_shen_entropy_of_a_hand_computed_example():
    # counts (1, 1, 2): n = 4, two singletons -> coverage C = 1 - 2/4 = 1/2, p_C = (1/8, 1/8, 1/4);
    # inclusion probabilities 1 - (7/8)^4 = 1695/4096 and 1 - (3/4)^4 = 175/256
    expected = 2 * (np.log(8) / 8) / (1695 / 4096) + (np.log(4) / 4) / (175 / 256)
    assert expected == pytest.approx(1.7632, abs=1e-4)  # by hand: 2 * 0.25993 / 0.41382 + 0.34657 / 0.68359
    assert chao_shen_entropy(np.array([1, 1, 2])) == pytest.approx(expected, rel=1e-14)
    # all singletons (1, 1, 1): f1 = n - 1 = 2 -> C = 1/3, p_C = 1/9 each, inclusion 1 - (8/9)^3 = 217/729
    expected = 3 * (np.log(9) / 9) / (217 / 729)
    assert chao_shen_entropy(np.array([1, 1, 1, 0])) == pytest.approx(expected, rel=1e-14)
    # no singletons: coverage 1, inclusion 1 - (1 - p)^n = 1 up to (1/2)^40: the plug-in entropy
    assert chao_shen_entropy(np.array([20, 20])) == pytest.approx(np.log(2), rel=1e-11)
    assert chao_shen_entropy(np.array([5])) == 0.0


def _chao_shen_reference(symbols):
    """Chao–Shen entropy written from the paper with plain Python (Counter, loops, math)."""
    import math

    counts = list(Counter(symbols).values())
    n = len(symbols)
    f1 = sum(1 for c in counts if c == 1)
    if f1 == n:
        f1 = n - 1
    coverage = 1 - f1 / n
    total = 0.0
    for c in counts:
        p = coverage * c / n
        total -= p * math.log(p) / (1 - (1 - p) ** n)
    return total


@pytest.mark.parametrize("seed, n, kx, ky", [(0, 30, 5, 4), (1, 200, 20, 7), (2, 1000, 50, 50), (3, 12, 40, 40)])
def test_chao_shen_mi_matches_an_independent_implementation(seed, n, kx, ky):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, kx, n)
    y = np.where(rng.random(n) < 0.5, x % ky, rng.integers(0, ky, n))
    X = np.column_stack([x // 3, x % 3])  # rows as symbols: two columns per symbol of X
    est = ibbench.get_estimator("chao-shen").fit(X, y)
    hx = _chao_shen_reference([tuple(r) for r in X])
    hy = _chao_shen_reference(list(y))
    hxy = _chao_shen_reference([(a, b, c) for (a, b), c in zip(X, y)])
    assert est.entropy_x_ == pytest.approx(hx, rel=1e-12)
    assert est.entropy_y_ == pytest.approx(hy, rel=1e-12)
    assert est.entropy_xy_ == pytest.approx(hxy, rel=1e-12)
    assert est.mutual_info_ == pytest.approx(hx + hy - hxy, abs=1e-12)


# ---------------------------------------------------------------------------------------------- NSB


def _beta_of_xi(xi, k):
    """β with ``ψ(kβ + 1) − ψ(β + 1) = ξ`` (the prior expected entropy is increasing in β)."""
    from scipy.optimize import brentq

    return brentq(lambda b: digamma(k * b + 1) - digamma(b + 1) - xi, 1e-12, 1e12, xtol=1e-300, rtol=1e-15)


def _nsb_monte_carlo(counts, k, draws, seed):
    """NSB posterior mean by sampling, independent of the closed forms used by the code: ξ uniform on
    (0, log K) (the NSB prior), β(ξ) by inverting a fine table of ξ(β), p ~ Dirichlet(n + β) (the
    posterior at β, via normalised gamma draws), each draw weighted by the evidence P(n | β) from
    scipy's Dirichlet-multinomial (self-normalised importance sampling); returns the weighted mean
    of H(p) and its standard error."""
    rng = np.random.default_rng(seed)
    n = np.zeros(k)
    n[: len(counts)] = counts
    table_beta = np.logspace(-12, 12, 200_001)
    table_xi = digamma(k * table_beta + 1) - digamma(table_beta + 1)  # increasing in β
    betas = np.exp(np.interp(rng.uniform(0, np.log(k), draws), table_xi, np.log(table_beta)))
    log_ev = dirichlet_multinomial.logpmf(n, np.full((draws, k), 1.0) * betas[:, None], int(n.sum()))
    w = np.exp(log_ev - log_ev.max())
    w /= w.sum()
    g = rng.standard_gamma(n[None, :] + betas[:, None])
    p = g / g.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -np.sum(np.where(p > 0, p * np.log(p), 0.0), axis=1)
    mean = float(np.sum(w * h))
    se = float(np.sqrt(np.sum(w**2 * (h - mean) ** 2)))
    return mean, se


@pytest.mark.parametrize("counts, k", [([3, 2, 1], 3), ([3, 2, 1], 8), ([4, 1], 2), ([1, 1, 1, 1], 6)])
def test_nsb_matches_monte_carlo_over_the_prior_and_dirichlet_draws(counts, k):
    mean, se = _nsb_monte_carlo(counts, k, draws=200_000, seed=1)
    assert se < 0.004
    assert nsb_entropy(np.array(counts), k) == pytest.approx(mean, abs=4 * se + 1e-3)


def _nsb_xi_grid(counts, k, points=3000):
    """NSB posterior mean by the midpoint rule on a uniform grid of ξ (the prior is flat in ξ): the
    weight of each point is the Dirichlet-multinomial evidence at β(ξ); ⟨H⟩_β from the Wolpert–Wolf
    closed form, written out over all K bins (empty ones included)."""
    n = np.zeros(k)
    n[: len(counts)] = counts
    total = n.sum()
    xis = (np.arange(points) + 0.5) / points * np.log(k)
    betas = np.array([_beta_of_xi(x, k) for x in xis])
    log_ev = np.array([dirichlet_multinomial.logpmf(n, np.full(k, b), int(total)) for b in betas])
    w = np.exp(log_ev - log_ev.max())
    a = n[None, :] + betas[:, None]
    mean_h = digamma(total + k * betas + 1) - np.sum(a * digamma(a + 1), axis=1) / (total + k * betas)
    return float(np.sum(w * mean_h) / np.sum(w))


@pytest.mark.parametrize("counts, k", [([3, 2, 1], 3), ([3, 2, 1], 10), ([5, 1], 6), ([20, 1, 1, 1], 30), ([2, 2], 2)])
def test_nsb_matches_a_grid_over_the_expected_entropy(counts, k):
    # the midpoint rule in ξ converges as 1/points^2: 3000 points resolve these posteriors to ~1e-7
    assert nsb_entropy(np.array(counts), k) == pytest.approx(_nsb_xi_grid(counts, k), abs=2e-6)


def test_nsb_tends_to_the_plug_in_when_samples_far_outnumber_symbols():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(6))
    for n, tol in ((10_000, 2e-3), (1_000_000, 2e-5)):
        counts = rng.multinomial(n, p)
        # the Bayesian correction is O(K / N)
        assert nsb_entropy(counts, 6) == pytest.approx(counts_entropy(counts), abs=tol)


def test_nsb_with_huge_counts_stays_at_the_plug_in():
    # ~1e12 samples: log ρ carries rounding noise beyond the quadrature's tolerance (the trapezoidal
    # fallback runs); the answer must still be the plug-in value to O(K / N)
    for counts in ([10**12, 10**12], [10**10, 10**10, 3 * 10**10]):
        counts = np.array(counts)
        assert nsb_entropy(counts, len(counts)) == pytest.approx(counts_entropy(counts), abs=1e-9)


def test_nsb_limits_and_validation():
    assert nsb_entropy(np.array([7])) == 0.0  # one symbol: no uncertainty
    # one sample among K = 2 symbols: the evidence is 1/2 for every β, so the posterior mean is the
    # prior mean of ξ, uniform on (0, log 2)
    assert nsb_entropy(np.array([1]), 2) == pytest.approx(np.log(2) / 2, abs=1e-10)
    with pytest.raises(ValueError, match="smaller than the 3 distinct"):
        nsb_entropy(np.array([1, 2, 3]), 2)
    with pytest.raises(ValueError, match="at least one sample"):
        nsb_entropy(np.array([0, 0]))


def test_nsb_mi_alphabet_sizes():
    rng = np.random.default_rng(4)
    x = rng.integers(0, 4, 300)
    y = (x + rng.integers(0, 2, 300)) % 5
    est = ibbench.get_estimator("nsb").fit(x, y)
    assert est.alphabet_sizes_ == (4, 5, 20)  # observed per side, joint = product
    assert est.entropy_xy_ == pytest.approx(nsb_entropy(np.bincount(x * 5 + y), 20), rel=1e-12)
    assert est.mutual_info_ == pytest.approx(est.entropy_x_ + est.entropy_y_ - est.entropy_xy_)
    given = ibbench.get_estimator("nsb", alphabet_size=[6, 5]).fit(x, y)
    assert given.alphabet_sizes_ == (6, 5, 30)
    assert given.entropy_x_ == pytest.approx(nsb_entropy(np.bincount(x), 6), rel=1e-12)
    assert ibbench.get_estimator("nsb", alphabet_size=8).fit(x, y).alphabet_sizes_ == (8, 8, 64)
    with pytest.raises(ValueError, match="Y shows 5 distinct symbols, more than its K = 4"):
        ibbench.get_estimator("nsb", alphabet_size=4).fit(x, y)
    with pytest.raises(ValueError, match="alphabet_size"):
        ibbench.get_estimator("nsb", alphabet_size="all").fit(x, y)
    # a constant side: H(X) = 0 and H(X, Y) = H(Y) with the same counts and K: exactly 0
    assert ibbench.get_estimator("nsb").estimate(np.zeros(50), y[:50]) == 0.0
    assert ibbench.get_estimator("chao-shen").estimate(x[:50], np.full(50, 3.0)) == 0.0


# ------------------------------------------------------------------------------ bias on the task


def _mean_errors(names, n, seeds, **task_params):
    task = ibbench.get_task("categorical-random", **task_params)
    out = {}
    for label, name, params in names:
        errors = [
            ibbench.get_estimator(name, **params).estimate(*task.sample(n, random_state=s)) - task.true_mi
            for s in range(seeds)
        ]
        out[label] = float(np.mean(errors))
    return out


ESTIMATORS = [("plug-in", "exact", {}), ("chao-shen", "chao-shen", {}), ("nsb", "nsb", {})]


def test_bias_reduction_on_categorical_random():
    # 64 x 64 table (4096 cells, concentration 0.1) at n = 1000: the plug-in is biased up by ~0.5 nats
    err = _mean_errors(ESTIMATORS, 1000, 5, n_x=64, n_y=64, concentration=0.1)
    assert err["plug-in"] > 0.3
    assert abs(err["chao-shen"]) < 0.5 * err["plug-in"]
    assert abs(err["nsb"]) < 0.25 * err["plug-in"]


def test_bias_reduction_on_categorical_random_other_sizes():
    # the other columns of leaderboards/discrete-bias/table.md: 16 x 16 at n = 100, 64 x 64 at n = 10000
    for n, k in ((100, 16), (10_000, 64)):
        err = _mean_errors(ESTIMATORS, n, 5, n_x=k, n_y=k, concentration=0.1)
        assert abs(err["chao-shen"]) < 0.5 * err["plug-in"]
        assert abs(err["nsb"]) < 0.5 * err["plug-in"]


def test_three_symbol_integer_data_gives_finite_floats():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, 40)
    y = rng.integers(0, 3, 40)
    for name in ("chao-shen", "nsb"):
        v = ibbench.get_estimator(name).estimate(x, y)
        assert isinstance(v, float) and np.isfinite(v)
