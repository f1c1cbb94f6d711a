"""Leaderboard tables from a results store: markdown, CSV and JSON (HTML: ``ibbench.report.html``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ibbench.scoring import rank_estimators, score_groups
from ibbench.store import Store, load_results

FORMATS = ("md", "csv", "json", "html")


@dataclass
class Leaderboard:
    """Everything a report shows: rankings overall and per family, per-task groups, run metadata."""

    overall: pd.DataFrame
    by_family: pd.DataFrame
    groups: pd.DataFrame
    cells: pd.DataFrame
    runs: pd.DataFrame

    @property
    def status_counts(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in self.cells["status"].value_counts().items()}


def build_leaderboard(store: str | Path, n_boot: int = 1000) -> Leaderboard:
    """Score every cell of ``store`` and rank the estimators."""
    cells = load_results(store, expand_params=False)
    if not len(cells):
        raise ValueError(f"the store {store} holds no results yet")
    groups = score_groups(cells, n_boot=n_boot)
    if not len(groups):
        raise ValueError(f"the store {store} holds only skipped cells")
    return Leaderboard(rank_estimators(groups, n_boot=n_boot), rank_estimators(groups, by_family=True, n_boot=n_boot),
                       groups, cells, Store(store).runs())


def _fmt(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "–"
    if isinstance(value, (float, np.floating)):
        return f"{value:.3g}" if abs(value) < 1e-3 or abs(value) >= 1e4 else f"{value:.3f}"
    return str(value)


def markdown_table(df: pd.DataFrame, columns: dict[str, str]) -> str:
    """A GitHub markdown table of ``df`` with ``columns`` = {column: header}."""
    head = "| " + " | ".join(columns.values()) + " |"
    sep = "|" + "|".join("---" for _ in columns) + "|"
    body = ["| " + " | ".join(_fmt(row[c]) for c in columns) + " |" for _, row in df.iterrows()]
    return "\n".join([head, sep, *body])


OVERALL_COLUMNS = {
    "rank": "rank", "estimator_label": "estimator", "tasks": "tasks", "rel_error": "rel. error",
    "rel_ci_low": "CI low", "rel_ci_high": "CI high", "mae": "MAE (nats)", "within_tol": "within tol.",
    "failure_rate": "failures", "median_seconds": "median s/cell",
}
GROUP_COLUMNS = {
    "estimator_label": "estimator", "n": "n", "true_mi": "true MI", "mean_estimate": "mean est.",
    "ci_low": "CI low", "ci_high": "CI high", "bias": "bias", "mae": "MAE", "n_seeds": "seeds",
    "n_failed": "failed", "median_seconds": "median s",
}


def to_markdown(board: Leaderboard, title: str = "ibbench leaderboard") -> str:
    """The whole leaderboard as one markdown document."""
    parts = [f"# {title}", "",
             "Relative error = |Î − I| / max(I, 1 nat), averaged over task configurations (a failed one counts as 1); "
             "CI = 95% bootstrap interval; within tol. = share of cells with |Î − I| ≤ max(0.1 nats, 10% of I); "
             "runtime = median wall-clock seconds of `fit` per cell.", "",
             f"Cells: {', '.join(f'{k} {v}' for k, v in sorted(board.status_counts.items()))}.", "",
             "## Overall", "", markdown_table(board.overall, OVERALL_COLUMNS), ""]
    for family, g in board.by_family.groupby("task_family", sort=True):
        parts += [f"## Family: {family}", "", markdown_table(g, OVERALL_COLUMNS), ""]
    parts += ["## Per task", ""]
    for task_label, g in board.groups.groupby("task_label", sort=True):
        parts += [f"### {task_label}", "", markdown_table(g.sort_values(["n", "mae"]), GROUP_COLUMNS), ""]
    if len(board.runs):
        last = board.runs.iloc[-1]
        parts += ["## Runs", "", f"{len(board.runs)} run(s); last: `{last['command']}` (suite {last['suite']}, "
                  f"started {last['started_at']}); versions: {last['versions']}", ""]
    return "\n".join(parts)


def write_leaderboard(store: str | Path, out: str | Path, formats=("md", "csv"), title: str | None = None,
                      board: Leaderboard | None = None) -> list[Path]:
    """Write the leaderboard of ``store`` into directory ``out`` in ``formats``; returns the files.

    ``board`` is the already scored leaderboard of ``store`` (scored here when None).
    """
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown leaderboard format(s) {sorted(unknown)}; choose from {FORMATS}")
    board = build_leaderboard(store) if board is None else board
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    title = title or f"ibbench leaderboard ({out.name})"
    written = []
    if "md" in formats:
        path = out / "leaderboard.md"
        path.write_text(to_markdown(board, title) + "\n")
        written.append(path)
    if "csv" in formats:
        for name, df in (("leaderboard.csv", board.overall), ("leaderboard_by_family.csv", board.by_family),
                         ("groups.csv", board.groups)):
            df.to_csv(out / name, index=False, float_format="%.6g")
            written.append(out / name)
    if "json" in formats:
        path = out / "leaderboard.json"
        payload = {k: json.loads(getattr(board, k).to_json(orient="records")) for k in ("overall", "by_family", "groups")}
        payload["status_counts"] = board.status_counts
        path.write_text(json.dumps(payload, indent=1))
        written.append(path)
    if "html" in formats:
        from ibbench.report.html import write_html

        written.append(write_html(board, out / "leaderboard.html", title=title))
    return written
