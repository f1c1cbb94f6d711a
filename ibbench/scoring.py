"""Scoring of stored cells: per-group metrics with bootstrap CIs, and leaderboard rankings (DESIGN.md §4).

A *group* is one estimator configuration × one task configuration × one n, aggregated over seeds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ibbench.store import FAILED

GROUP = ["estimator_label", "estimator", "task_label", "task", "task_family", "n"]

#: within-tolerance rule: |Î − I| <= max(ABS_TOL nats, REL_TOL · I)
ABS_TOL, REL_TOL = 0.1, 0.1


def bootstrap_ci(values: np.ndarray, stat=np.mean, n_boot: int = 1000, level: float = 0.95,
                 random_state: int = 0) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of ``stat`` over ``values`` (NaN for < 2 values)."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(random_state)
    idx = rng.integers(0, len(values), (n_boot, len(values)))
    stats = stat(values[idx], axis=1)
    alpha = (1.0 - level) / 2.0
    return float(np.quantile(stats, alpha)), float(np.quantile(stats, 1.0 - alpha))


def add_cell_metrics(df: pd.DataFrame) -> pd.DataFrame:
    """Per-cell error columns: ``error`` (Î − I), ``abs_error``, ``rel_error``, ``within_tol``, ``failed``."""
    df = df.copy()
    df["error"] = df["estimate"] - df["true_mi"]
    df["abs_error"] = df["error"].abs()
    df["rel_error"] = df["abs_error"] / np.maximum(df["true_mi"], 1.0)
    df["within_tol"] = df["abs_error"] <= np.maximum(ABS_TOL, REL_TOL * df["true_mi"])
    df["failed"] = df["status"].isin(FAILED)
    return df


def score_groups(df: pd.DataFrame, n_boot: int = 1000) -> pd.DataFrame:
    """Metrics per (estimator, task, n) over seeds.

    Columns: ``true_mi``, ``mean_estimate`` with 95% bootstrap CI, ``bias``, ``mae`` with CI,
    ``rmse``, ``rel_error``, ``within_tol`` (rate), ``failure_rate`` ((error+timeout) / attempted),
    ``median_seconds``, ``n_seeds`` (ok cells) and ``n_failed``. Skipped cells are left out.
    """
    df = add_cell_metrics(df[df["status"] != "skipped"])
    df["n"] = df["n"].fillna(-1).astype(int)
    rows = []
    for keys, g in df.groupby(GROUP, sort=True, dropna=False):
        ok = g[g["status"] == "ok"]
        est = ok["estimate"].to_numpy(float)
        abs_err = ok["abs_error"].to_numpy(float)
        lo, hi = bootstrap_ci(est, n_boot=n_boot)
        mlo, mhi = bootstrap_ci(abs_err, n_boot=n_boot)
        rows.append({
            **dict(zip(GROUP, keys)),
            "true_mi": float(g["true_mi"].iloc[0]),
            "mean_estimate": float(est.mean()) if len(est) else np.nan,
            "ci_low": lo, "ci_high": hi,
            "bias": float(ok["error"].mean()) if len(ok) else np.nan,
            "mae": float(abs_err.mean()) if len(ok) else np.nan,
            "mae_ci_low": mlo, "mae_ci_high": mhi,
            "rmse": float(np.sqrt(np.mean(ok["error"] ** 2))) if len(ok) else np.nan,
            "rel_error": float(ok["rel_error"].mean()) if len(ok) else np.nan,
            "within_tol": float(ok["within_tol"].mean()) if len(ok) else np.nan,
            "failure_rate": float(g["failed"].mean()),
            "median_seconds": float(ok["seconds"].median()) if len(ok) else np.nan,
            "n_seeds": int(len(ok)),
            "n_failed": int(g["failed"].sum()),
        })
    out = pd.DataFrame(rows)
    if len(out):
        out["n"] = out["n"].replace(-1, pd.NA)
    return out


def rank_estimators(groups: pd.DataFrame, by_family: bool = False, n_boot: int = 1000) -> pd.DataFrame:
    """Leaderboard over groups: one row per estimator (per family if ``by_family``), best first.

    Ranked by mean relative error over the groups it completed (ties: within-tolerance rate), with a
    bootstrap CI over groups; a failed group counts as relative error 1 so failing is never better
    than a bad estimate. Runtime (median seconds per cell) always sits beside accuracy.
    """
    keys = ["task_family", "estimator_label"] if by_family else ["estimator_label"]
    rows = []
    for k, g in groups.groupby(keys, sort=True):
        k = k if isinstance(k, tuple) else (k,)
        rel = g["rel_error"].fillna(1.0).to_numpy(float)
        lo, hi = bootstrap_ci(rel, n_boot=n_boot)
        rows.append({
            **dict(zip(keys, k)),
            "tasks": int(len(g)),
            "rel_error": float(rel.mean()),
            "rel_ci_low": lo, "rel_ci_high": hi,
            "mae": float(g["mae"].mean()),
            "within_tol": float(g["within_tol"].mean()),
            "failure_rate": float((g["n_failed"].sum()) / max(1, (g["n_seeds"] + g["n_failed"]).sum())),
            "median_seconds": float(g["median_seconds"].median()),
        })
    board = pd.DataFrame(rows)
    if not len(board):
        return board
    sort = (["task_family"] if by_family else []) + ["rel_error", "within_tol"]
    board = board.sort_values(sort, ascending=[True] * (len(sort) - 1) + [False]).reset_index(drop=True)
    board.insert(len(keys) - 1 if by_family else 0, "rank",
                 board.groupby(keys[:-1]).cumcount() + 1 if by_family else np.arange(1, len(board) + 1))
    return board
