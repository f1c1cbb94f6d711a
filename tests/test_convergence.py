"""Error decomposition (bias, seed-to-seed sd, RMSE), the fitted convergence rate, the ``convergence`` plot
kind and the report sections, on result rows whose bias and sd are known by construction."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import ibbench
from ibbench.report.convergence import (
    HEADING,
    convergence_fits,
    error_decomposition,
    fit_rate,
    has_convergence,
)
from ibbench.report.html import render_html
from ibbench.report.leaderboard import build_leaderboard, to_markdown, write_leaderboard
from ibbench.report.plots import make_plot
from ibbench.suites import get_suite

PNG = b"\x89PNG\r\n\x1a\n"
TASK = "gaussian-dense(dim=1, mi=0.5)"


def _rows(estimator: str, n: int, errors, truth: float = 0.5, task: str = "gaussian-dense", **extra) -> list[dict]:
    label = TASK if task == "gaussian-dense" else task
    return [
        {
            "estimator_label": estimator,
            "estimator": estimator,
            "task_label": label,
            "task": task,
            "task_family": "gaussian",
            "n": n,
            "seed": seed,
            "status": "ok",
            "true_mi": truth,
            "estimate": truth + e,
            **extra,
        }
        for seed, e in enumerate(errors)
    ]


def _standard(values) -> np.ndarray:
    """``values`` shifted and scaled to mean 0 and sample standard deviation (ddof 1) exactly 1."""
    z = np.asarray(values, dtype=float)
    return (z - z.mean()) / z.std(ddof=1)


def test_decomposition_recovers_the_bias_and_sd_built_into_the_estimates():
    z = _standard([-1.3, -0.2, 0.4, 0.5, 1.9])  # m = 5 fixed draws
    bias, sd = 0.2, 0.05
    rows = _rows("a", 100, bias + sd * z) + _rows("a", 400, -0.1 + 0.02 * z)
    rows += [{**rows[0], "seed": 9, "status": "error", "estimate": None}]  # failed cells do not count
    rows += [{**rows[0], "seed": 10, "status": "skipped", "estimate": None}]
    rows += _rows("a", 1797, [0.3, 0.4], task="qnn-digits-ty")  # n is a fixed population: left out
    out = error_decomposition(pd.DataFrame(rows)).set_index("n")
    assert list(out.index) == [100, 400]
    m = 5
    for n, b, s in ((100, bias, sd), (400, -0.1, 0.02)):
        r = out.loc[n]
        assert r["n_seeds"] == m
        assert r["bias"] == pytest.approx(b, abs=1e-12)
        assert r["sd"] == pytest.approx(s, abs=1e-12)
        assert r["rmse"] == pytest.approx(math.sqrt(b**2 + (m - 1) / m * s**2), abs=1e-12)
        assert r["mean_estimate"] == pytest.approx(0.5 + b, abs=1e-12)


def test_each_cell_is_scored_against_its_own_truth_and_one_seed_has_no_sd():
    rows = _rows("a", 100, [0.1], truth=1.0) + _rows("a", 100, [0.3], truth=2.0)
    rows[1]["seed"] = 1
    rows += _rows("b", 100, [-0.4])
    out = error_decomposition(pd.DataFrame(rows)).set_index("estimator_label")
    assert out.loc["a", "bias"] == pytest.approx(0.2) and out.loc["a", "sd"] == pytest.approx(math.sqrt(0.02))
    assert out.loc["a", "true_mi"] == pytest.approx(1.5)
    assert np.isnan(out.loc["b", "sd"]) and out.loc["b", "rmse"] == pytest.approx(0.4)


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="true_mi"):
        error_decomposition(pd.DataFrame(_rows("a", 100, [0.1])).drop(columns="true_mi"))


def test_rate_of_an_exact_power_law_and_its_zero_standard_error():
    n = np.array([100, 300, 1000, 3000, 10000])
    rate, stderr, intercept = fit_rate(n, 3.0 * n**-0.5)
    assert rate == pytest.approx(-0.5, abs=1e-12) and stderr == pytest.approx(0.0, abs=1e-12)
    assert intercept == pytest.approx(math.log(3.0), abs=1e-12)


def test_rate_and_standard_error_match_scipy_linregress_on_logs():
    rng = np.random.default_rng(0)
    n = np.array([100, 200, 500, 1000, 5000, 20000])
    error = 2.0 * n**-0.7 * np.exp(rng.normal(0, 0.3, len(n)))
    reference = stats.linregress(np.log(n), np.log(error))
    rate, stderr, intercept = fit_rate(n, error)
    assert rate == pytest.approx(reference.slope, rel=1e-10)
    assert stderr == pytest.approx(reference.stderr, rel=1e-10)
    assert intercept == pytest.approx(reference.intercept, rel=1e-10)


def test_rate_needs_three_sizes_with_a_positive_error():
    assert np.isnan(fit_rate([100, 1000], [0.1, 0.03])[0])
    assert np.isnan(fit_rate([100, 1000, 10000], [0.1, 0.0, 0.01])[0])  # a zero error cannot be logged
    assert np.isnan(fit_rate([100, 100, 1000], [0.1, 0.2, 0.03])[0])  # two distinct sizes
    with pytest.raises(ValueError, match="shape"):
        fit_rate([100, 1000, 10000], [0.1, 0.01])


def _power_law_cells(sizes, rate: float = -0.5) -> pd.DataFrame:
    """Two seeds per n with errors ±c·n^rate: bias 0, RMSE exactly c·n^rate."""
    rows = []
    for n in sizes:
        c = 0.8 * n**rate
        rows += _rows("a", n, [c, -c]) + _rows("b", n, [0.3 + c, 0.3 - c])
    return pd.DataFrame(rows)


def test_fits_recover_the_rate_of_the_rmse():
    cells = _power_law_cells([100, 300, 1000, 3000, 10000])
    decomposition = error_decomposition(cells)
    assert has_convergence(decomposition)
    fits = convergence_fits(decomposition).set_index("estimator_label")
    assert fits.loc["a", "rate"] == pytest.approx(-0.5, abs=1e-12)
    assert fits.loc["a", "rate_stderr"] == pytest.approx(0.0, abs=1e-12)
    assert (fits.loc["a", "n_min"], fits.loc["a", "n_max"], fits.loc["a", "sizes"]) == (100, 10000, 5)
    # a constant bias of 0.3 nats: the RMSE flattens towards 0.3, far slower than n^-1/2
    assert -0.1 < fits.loc["b", "rate"] < 0
    assert not has_convergence(error_decomposition(_power_law_cells([100, 1000])))


def _png_ok(path) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG and len(data) > 10_000, path


def test_plot_draws_one_figure_per_family_or_the_chosen_task(tmp_path):
    cells = _power_law_cells([100, 300, 1000, 3000])
    (path,) = make_plot("convergence", store=None, out=tmp_path / "family", cells=cells)
    assert path.name == "convergence_gaussian.png"
    _png_ok(path)
    (path,) = make_plot("convergence", store=None, out=tmp_path / "task", cells=cells, task="gaussian-dense")
    assert path.name == "convergence_gaussian-dense.png"
    _png_ok(path)
    with pytest.raises(ValueError, match="two or more sample sizes"):
        make_plot("convergence", store=None, out=tmp_path, cells=cells[cells["n"] == 100])


@pytest.fixture(scope="module")
def boards(tmp_path_factory):
    """Leaderboards of a store with three sample sizes and of one with two."""
    out = {}
    for sizes in ([50, 100, 200], [50, 100]):
        store = tmp_path_factory.mktemp("convergence") / f"s{len(sizes)}.sqlite"
        ibbench.run(
            estimators="gaussian,gcmi",
            tasks="gaussian-dense:dim=1;mi=0.5",
            n=sizes,
            seeds=2,
            store=store,
            backend="inline",
            progress=False,
        )
        out[len(sizes)] = store
    return out


def test_report_sections_appear_only_with_three_sample_sizes(boards, tmp_path):
    for sizes, store in boards.items():
        board = build_leaderboard(store, n_boot=10)
        markdown, page = to_markdown(board), render_html(board)
        shown = sizes >= 3
        assert (f"## {HEADING}" in markdown) == shown
        assert ('<h2 id="convergence">' in page) == shown and ('href="#convergence"' in page) == shown
        written = {p.name for p in write_leaderboard(store, tmp_path / str(sizes), formats=("csv",), plots=False)}
        assert ({"convergence.csv", "convergence_rates.csv"} <= written) == shown
    rates = pd.read_csv(tmp_path / "3" / "convergence_rates.csv")
    assert set(rates["estimator_label"]) == {"gaussian", "gcmi"} and (rates["sizes"] == 3).all()


def test_html_section_holds_the_convergence_plot_and_the_plots_section_the_others(boards, tmp_path):
    page = write_leaderboard(boards[3], tmp_path / "board", formats=("html",))[-1].read_text()
    section = page[page.index('<h2 id="convergence">') : page.index('<h2 id="plots">')]
    assert 'alt="convergence_gaussian.png"' in section and 'id="convergence-rates"' in section
    assert page.count('alt="convergence_gaussian.png"') == 1 and 'alt="runtime.png"' not in section


def test_convergence_suite_spans_two_decades_with_known_truths():
    suite = get_suite("convergence")
    assert min(suite.n) <= 100 and max(suite.n) >= 10_000 and len(suite.n) >= 5 and suite.seeds >= 5
    assert {name for name, _ in suite.estimators} >= {"ksg", "kl", "gaussian", "gcmi", "binning", "exact"}
