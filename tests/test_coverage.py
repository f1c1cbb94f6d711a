"""Coverage of the estimators' intervals (ibbench.report.coverage) is compared on common cells: the cells where
every estimator has an interval; bound estimators, reference tasks and fixed-population tasks are left out."""

import json
import math
from types import SimpleNamespace

import pandas as pd
import pytest

from ibbench.report.coverage import MIN_COMMON_CELLS, calibration_table, coverage_summary, markdown_section

STDERR = 0.1  # every synthetic interval: estimate ± 1.96 · 0.1
INSIDE = 0.05  # estimate − truth well inside the 95% half-width 0.196
OUTSIDE = 1.0  # far outside it


def _cell(label, task, seed, error, *, status="ok", n=100, estimator=None, **extra_columns):
    """One cell of ``label`` on ``task`` with estimate = truth + ``error`` and stderr_ :data:`STDERR`."""
    return {
        "estimator": estimator or label,
        "estimator_params": "{}",
        "estimator_label": label,
        "task": task,
        "task_label": task,
        "task_role": "overall",
        "n": n,
        "seed": seed,
        "status": status,
        "estimate": 1.0 + error,
        "true_mi": 1.0,
        "true_mi_stderr": 0.0,
        "extra": json.dumps({"stderr_": STDERR}),
        **extra_columns,
    }


def _a_fails_where_b_misses(seeds):
    """A and B cover the truth on ``easy``; on ``hard`` A fails and B's intervals miss."""
    rows = []
    for seed in range(seeds):
        rows += [_cell("A", "easy", seed, INSIDE), _cell("B", "easy", seed, INSIDE)]
        rows += [_cell("A", "hard", seed, math.nan, status="error"), _cell("B", "hard", seed, OUTSIDE)]
    return pd.DataFrame(rows)


def test_coverage_compares_estimators_on_their_common_cells():
    summary = coverage_summary(_a_fails_where_b_misses(seeds=12))
    table = summary.table.set_index("estimator_label")
    assert summary.common_cells == 12 and summary.comparable  # the easy cells, where both have an interval
    for label in ("A", "B"):
        assert table.loc[label, "n_common"] == 12
        assert table.loc[label, "coverage_common"] == pytest.approx(1.0)
        assert table.loc[label, "mean_width_common"] == pytest.approx(2 * 1.959964 * STDERR, rel=1e-5)
    # own cells: A only ever ran the easy task, B also the hard one it misses: not comparable
    assert table.loc["A", "n_intervals"] == 12 and table.loc["A", "coverage_own"] == pytest.approx(1.0)
    assert table.loc["B", "n_intervals"] == 24 and table.loc["B", "coverage_own"] == pytest.approx(0.5)
    curve = calibration_table(_a_fails_where_b_misses(seeds=12))
    assert set(curve["cells"]) == {"common"} and set(curve["n_intervals"]) == {12}
    assert (curve.loc[curve["level"] == 0.95, "coverage"] == 1.0).all()


def test_estimators_without_any_interval_do_not_empty_the_common_cells():
    cells = _a_fails_where_b_misses(seeds=12)
    no_interval = [{**_cell("C", "easy", s, INSIDE), "extra": json.dumps({})} for s in range(12)]
    table = coverage_summary(pd.concat([cells, pd.DataFrame(no_interval)])).table.set_index("estimator_label")
    assert table.loc["A", "n_common"] == 12 and table.loc["C", "n_without"] == 12
    assert math.isnan(table.loc["C", "coverage_common"]) and table.loc["C", "source"] == "n/a"


def test_too_few_common_cells_are_not_scored_and_the_section_says_so():
    seeds = MIN_COMMON_CELLS - 1
    cells = _a_fails_where_b_misses(seeds=seeds)
    summary = coverage_summary(cells)
    assert summary.common_cells == seeds and not summary.comparable
    assert summary.table["coverage_common"].isna().all()
    assert summary.table.set_index("estimator_label").loc["B", "coverage_own"] == pytest.approx(0.5)
    text = "\n".join(markdown_section(SimpleNamespace(cells=cells)))
    assert f"Only {seeds} (task, n, seed) cells" in text and f"fewer than {MIN_COMMON_CELLS}" in text
    assert "not comparable across estimators" in text
    assert set(calibration_table(cells)["cells"]) == {"own"}


def test_bounds_reference_and_fixed_population_cells_are_left_out():
    rows = [_cell("A", "easy", s, INSIDE) for s in range(12)]
    rows += [_cell("CLUB", "easy", s, OUTSIDE, estimator="club") for s in range(12)]  # an upper bound
    rows += [_cell("A", "oracle", s, OUTSIDE, task_role="none") for s in range(12)]  # reference task
    rows += [_cell("A", "qnn-szt-xt", s, OUTSIDE, n=4096) for s in range(3)]  # fixed population (task attribute)
    rows += [_cell("A", "population", s, OUTSIDE, n=math.nan) for s in range(3)]  # fixed population (no n)
    cells = pd.DataFrame(rows)
    summary = coverage_summary(cells)
    assert summary.bounds == ["CLUB"] and list(summary.table["estimator_label"]) == ["A"]
    row = summary.table.iloc[0]
    assert row["n_intervals"] == row["n_common"] == summary.common_cells == 12
    assert row["coverage_common"] == row["coverage_own"] == pytest.approx(1.0)
    assert set(calibration_table(cells)["estimator_label"]) == {"A"}
    text = "\n".join(markdown_section(SimpleNamespace(cells=cells)))
    assert "Bound estimators left out: CLUB." in text and "the 12 (task, n, seed) cells" in text


def test_only_bound_estimators_with_intervals_give_no_section():
    cells = pd.DataFrame([_cell("CLUB", "easy", s, INSIDE, estimator="club") for s in range(12)])
    assert not coverage_summary(cells).has_intervals
    assert markdown_section(SimpleNamespace(cells=cells)) == []


def test_missing_cell_key_is_a_value_error():
    cells = _a_fails_where_b_misses(seeds=2).drop(columns="seed")
    with pytest.raises(ValueError, match="seed"):
        coverage_summary(cells)


def test_an_estimator_run_on_few_cells_is_not_compared_and_does_not_shrink_the_common_cells():
    """A discrete-only estimator on 2 of 24 cells: the common cells stay those of A and B; it shows n/a."""
    cells = _a_fails_where_b_misses(seeds=12)
    few = pd.DataFrame([_cell("D", "easy", seed, INSIDE) for seed in range(2)])
    summary = coverage_summary(pd.concat([cells, few]))
    table = summary.table.set_index("estimator_label")
    assert summary.common_cells == 12 and table.loc["A", "n_common"] == 12
    assert table.loc["D", "n_common"] == 0 and math.isnan(table.loc["D", "coverage_common"])
    assert table.loc["D", "n_intervals"] == 2 and table.loc["D", "coverage_own"] == pytest.approx(1.0)
