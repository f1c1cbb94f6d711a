"""Scoring metrics, bootstrap CIs and rankings against hand-computed values."""

import numpy as np
import pandas as pd
import pytest

from ibbench.scoring import bootstrap_ci, friedman_nemenyi, rank_all, score_groups


def _cells(rows):
    base = {
        "estimator": "e",
        "task": "t",
        "task_family": "f",
        "n": 100,
        "seconds": 1.0,
        "status": "ok",
        "seed": 0,
        "task_role": "overall",
    }
    return pd.DataFrame([{**base, **r} for r in rows])


def _grid(maes: dict[str, list[float]], configs: list[str], seeds=(0, 1), family="f", role="overall"):
    """Cells whose per-configuration MAE is ``maes[estimator][i]`` (every seed has that absolute error)."""
    rows = []
    for label, errors in maes.items():
        for task, err in zip(configs, errors):
            for seed in seeds:
                status = "ok" if err is not None else "error"
                rows.append(
                    {
                        "estimator_label": label,
                        "estimator": label,
                        "task_label": task,
                        "task": task,
                        "task_family": family,
                        "task_role": role,
                        "true_mi": 1.0,
                        "seed": seed,
                        "estimate": 1.0 + err if err is not None else None,
                        "status": status,
                    }
                )
    return _cells(rows)


def _board(cells):
    return rank_all(cells, score_groups(cells, n_boot=10))


def test_group_metrics_by_hand():
    df = _cells(
        [
            {"estimator_label": "a", "task_label": "t1", "true_mi": 2.0, "estimate": 2.5},
            {"estimator_label": "a", "task_label": "t1", "true_mi": 2.0, "estimate": 1.9, "seed": 1},
            {
                "estimator_label": "a",
                "task_label": "t1",
                "true_mi": 2.0,
                "estimate": None,
                "status": "timeout",
                "seed": 2,
            },
            {
                "estimator_label": "a",
                "task_label": "t1",
                "true_mi": 2.0,
                "estimate": None,
                "status": "skipped",
                "seed": 3,
            },
        ]
    )
    g = score_groups(df).iloc[0]
    assert g["mean_estimate"] == pytest.approx(2.2)
    assert g["bias"] == pytest.approx(0.2)
    assert g["mae"] == pytest.approx(0.3)
    assert g["rmse"] == pytest.approx(np.sqrt((0.25 + 0.01) / 2))
    assert g["rel_error"] == pytest.approx(0.15)  # |err| / max(I, 1) with I = 2
    assert g["within_tol"] == pytest.approx(0.5)  # tolerance max(0.1, 0.2) = 0.2: only 1.9 is within
    assert g["failure_rate"] == pytest.approx(1 / 3)  # skipped cells are not attempts
    assert g["n_seeds"] == 2 and g["n_failed"] == 1


def test_per_seed_truth_is_averaged_and_errors_use_each_cells_own_truth():
    # a fixed-population task whose truth differs per seed (qnn): seed 0 has I = 0, seed 1 has I = 1
    df = _cells(
        [
            {"estimator_label": "a", "task_label": "q", "true_mi": 0.0, "estimate": 0.1, "seed": 0},
            {"estimator_label": "a", "task_label": "q", "true_mi": 1.0, "estimate": 0.7, "seed": 1},
        ]
    )
    g = score_groups(df).iloc[0]
    assert g["true_mi"] == pytest.approx(0.5) and (g["true_mi_min"], g["true_mi_max"]) == (0.0, 1.0)
    assert g["bias"] == pytest.approx((0.1 - 0.3) / 2) and g["mae"] == pytest.approx(0.2)


def test_cold_seconds_default_to_warm_seconds_for_rows_without_cache_accounting():
    df = _cells(
        [
            {
                "estimator_label": "a",
                "task_label": "t",
                "true_mi": 1.0,
                "estimate": 1.0,
                "seconds": 0.5,
                "cold_seconds": 3.5,
                "cache_hit": 1,
            },
            {"estimator_label": "b", "task_label": "t", "true_mi": 1.0, "estimate": 1.0, "seconds": 0.25},
        ]
    )
    g = score_groups(df).set_index("estimator_label")
    assert g.loc["a", "median_cold_seconds"] == 3.5 and g.loc["a", "median_seconds"] == 0.5
    assert g.loc["a", "cache_hits"] == 1
    assert g.loc["b", "median_cold_seconds"] == 0.25


def test_bootstrap_ci_covers_the_mean_and_shrinks_with_n():
    rng = np.random.default_rng(0)
    small = bootstrap_ci(rng.normal(1.0, 1.0, 20))
    large = bootstrap_ci(rng.normal(1.0, 1.0, 2000))
    assert small[0] < 1.0 < small[1] and large[0] < 1.0 < large[1]
    assert (large[1] - large[0]) < (small[1] - small[0]) / 5
    assert np.isnan(bootstrap_ci(np.array([1.0]))[0])


def test_friedman_and_nemenyi_against_a_hand_computed_example():
    # Demšar (2006) §3.2.2. Ranks per configuration: c1 (1,2,3), c2 (1,3,2), c3 (2,1,3), c4 (1,2,3)
    mae = pd.DataFrame({"A": [0.1, 0.1, 0.2, 0.1], "B": [0.2, 0.3, 0.1, 0.2], "C": [0.3, 0.2, 0.3, 0.3]})
    test, pvalues, mean_ranks = friedman_nemenyi(mae)
    assert mean_ranks.tolist() == pytest.approx([1.25, 2.0, 2.75])
    # chi2_F = 12N / (k(k+1)) * (sum R_j^2 - k(k+1)^2 / 4) = 4 * (13.125 - 12) = 4.5; chi2 with 2 df: p = e^{-2.25}
    assert test["name"] == "Friedman" and test["statistic"] == pytest.approx(4.5)
    assert test["p_value"] == pytest.approx(np.exp(-2.25))
    # CD = q_0.05 sqrt(k(k+1)/(6N)) with q_0.05(k=3) = 2.343 (Demšar Table 5a)
    assert test["cd"] == pytest.approx(2.343 * np.sqrt(12 / 24), abs=1e-3)
    # Nemenyi: z = (2.75 - 1.25) / sqrt(k(k+1)/(6N)) = 2.1213; p = P(range of 3 iid N(0,1) > z sqrt 2 = 3.0),
    # estimated here by Monte Carlo independently of scipy and scikit-posthocs (≈ 0.0855)
    z = np.random.default_rng(0).standard_normal((400_000, 3))
    p_range = float(((z.max(axis=1) - z.min(axis=1)) > 3.0).mean())
    assert pvalues.loc["A", "C"] == pytest.approx(p_range, abs=3e-3)
    assert pvalues.loc["A", "C"] < pvalues.loc["A", "B"] and pvalues.loc["A", "A"] == 1.0


def test_ties_share_the_average_rank():
    mae = pd.DataFrame({"A": [0.1, 0.2], "B": [0.1, 0.3], "C": [0.5, 0.3]})
    _, _, mean_ranks = friedman_nemenyi(mae)
    assert mean_ranks.tolist() == pytest.approx([(1.5 + 1) / 2, (1.5 + 2.5) / 2, (3 + 2.5) / 2])


def test_an_estimator_covering_one_of_three_tasks_is_not_ranked_above_full_coverage():
    # "narrow" is perfect on the one task it ran; the others ran all three
    cells = _grid({"good": [0.05, 0.05, 0.05], "fair": [0.2, 0.3, 0.1], "poor": [0.9, 0.8, 0.7]}, ["t1", "t2", "t3"])
    cells = pd.concat([cells, _grid({"narrow": [0.0]}, ["t1"])], ignore_index=True)
    overall = _board(cells)["overall"]
    assert overall.table["estimator_label"].tolist() == ["good", "fair", "poor"]
    assert overall.table["rank"].tolist() == [1, 2, 3]
    partial = overall.partial.set_index("estimator_label")
    assert partial.loc["narrow", "coverage"] == pytest.approx(1 / 3)
    assert partial.loc["narrow", "complete"] == 1 and partial.loc["narrow", "missing"] == 2
    assert "narrow" not in overall.table["estimator_label"].tolist()
    assert overall.test["name"] == "Friedman" and overall.test["k"] == 3 and overall.test["N"] == 3
    assert "completed every one of the 3 configurations" in overall.describe()


def test_failed_cells_and_declined_tasks_move_an_estimator_to_partial_coverage():
    cells = _grid({"a": [0.1, 0.2], "b": [0.3, 0.1], "flaky": [0.0, None]}, ["t1", "t2"])
    declined = _grid({"picky": [0.0, 0.0]}, ["t1", "t2"])
    declined.loc[declined["task_label"] == "t2", ["status", "estimate"]] = ["skipped", None]
    board = _board(pd.concat([cells, declined], ignore_index=True))["overall"]
    assert board.table["estimator_label"].tolist() in (["a", "b"], ["b", "a"])
    assert board.test["name"] == "Wilcoxon signed-rank"
    partial = board.partial.set_index("estimator_label")
    assert partial.loc["flaky", "failed"] == 1 and "failed cells" in partial.loc["flaky", "reason"]
    assert partial.loc["picky", "declined"] == 1
    assert "ranked only within the families it accepts" in partial.loc["picky", "reason"]


def test_fewer_seeds_than_the_others_is_not_full_coverage():
    cells = pd.concat(
        [_grid({"a": [0.1], "b": [0.2]}, ["t1"], seeds=(0, 1, 2)), _grid({"short": [0.0]}, ["t1"], seeds=(0,))],
        ignore_index=True,
    )
    board = _board(cells)["overall"]
    assert "short" in board.partial["estimator_label"].tolist()


def test_reference_tasks_are_never_ranked_and_recoverable_tasks_only_within_their_family():
    bench = _grid({"a": [0.1, 0.2], "b": [0.3, 0.1]}, ["t1", "t2"], family="images")
    oracle = _grid({"a": [0.5], "b": [0.0], "c": [0.0]}, ["latents"], family="images", role="none")
    qnn = _grid({"a": [0.4, 0.4], "b": [0.0, 0.0]}, ["q1", "q2"], family="qnn", role="family")
    board = _board(pd.concat([bench, oracle, qnn], ignore_index=True))
    assert board["overall"].configs == ["t1 @ n=100", "t2 @ n=100"]  # neither the oracle nor the qnn configurations
    assert "c" not in set(board["overall"].table["estimator_label"]) | set(board["overall"].partial["estimator_label"])
    assert board["images"].configs == ["t1 @ n=100", "t2 @ n=100"]
    assert board["qnn"].configs == ["q1 @ n=100", "q2 @ n=100"]
    assert board["qnn"].table["estimator_label"].tolist() == ["b", "a"]


def test_superseded_cells_of_an_older_version_are_not_scored():
    from ibbench.scoring import drop_superseded

    old = _grid({"a": [0.5]}, ["t1"]).assign(finished_at="2026-01-01T00:00:00", estimator_version="2")
    new = _grid({"a": [0.1]}, ["t1"]).assign(finished_at="2026-02-01T00:00:00", estimator_version="3")
    cells, dropped = drop_superseded(pd.concat([new, old], ignore_index=True))
    assert dropped == 2 and set(cells["estimator_version"]) == {"3"}
    assert score_groups(cells)["mae"].tolist() == pytest.approx([0.1])


def _with_club():
    """Three ordinary estimators and the registered upper bound ``club`` (tag bound="upper") on two tasks."""
    cells = _grid({"a": [0.1, 0.2], "b": [0.3, 0.1], "c": [0.5, 0.4]}, ["t1", "t2"])
    club = _grid({"club": [5.0, -0.5]}, ["t1", "t2"])  # above the truth on t1, below it on t2
    return pd.concat([cells, club], ignore_index=True)


def test_upper_bounds_are_never_ranked_but_summarised():
    from ibbench.scoring import upper_bound_rows

    cells = _with_club()
    groups = score_groups(cells, n_boot=10)
    assert set(groups.loc[groups["estimator"] == "club", "estimator_bound"]) == {"upper"}
    assert set(groups.loc[groups["estimator"] != "club", "estimator_bound"]) == {"estimate"}
    board = rank_all(cells, groups)
    for ranking in board.values():
        assert "club" not in set(ranking.table["estimator_label"]) | set(ranking.partial["estimator_label"])
    assert board["overall"].table["estimator_label"].tolist() == ["a", "b", "c"]
    upper = upper_bound_rows(groups).set_index("estimator_label")
    assert upper.index.tolist() == ["club"]
    assert upper.loc["club", "configs"] == 2
    assert upper.loc["club", "bias"] == pytest.approx((5.0 - 0.5) / 2)
    assert upper.loc["club", "mae"] == pytest.approx((5.0 + 0.5) / 2)
    assert upper.loc["club", "at_or_above_truth"] == pytest.approx(0.5)  # 2 of its 4 cells


def test_without_upper_bounds_there_is_no_upper_bound_row():
    from ibbench.scoring import upper_bound_rows

    cells = _grid({"a": [0.1, 0.2], "b": [0.3, 0.1]}, ["t1", "t2"])
    assert len(upper_bound_rows(score_groups(cells, n_boot=10))) == 0


def test_a_wrapper_around_an_upper_bound_is_an_upper_bound():
    """compressed-* with inner club reports club's kind of value: not ranked either."""
    import json

    from ibbench.scoring import resolve_bounds

    df = pd.DataFrame(
        {
            "estimator": ["compressed-pca", "compressed-pca", "compressed-ae", "club", "ksg"],
            "estimator_params": [
                json.dumps({"estimator": "club"}),
                json.dumps({"estimator": "ksg", "estimator_params": {"k": 3}}),
                json.dumps({}),  # default inner estimator: ksg
                json.dumps({}),
                None,
            ],
        }
    )
    assert resolve_bounds(df)["estimator_bound"].tolist() == ["upper", "estimate", "estimate", "upper", "estimate"]
