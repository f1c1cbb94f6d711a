"""A leaderboard folder from a results store: markdown, CSV, JSON, HTML (``ibbench.report.html``) and plots.

:func:`write_leaderboard` writes every format of a folder in one go (what ``ibbench leaderboard`` does), so the
files of a folder always come from the same cells; :func:`default_folder` names the folder after the suite.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ibbench.report.convergence import convergence_csv, markdown_section
from ibbench.report.coverage import coverage_csv
from ibbench.report.coverage import markdown_section as coverage_section
from ibbench.report.plot_cd import cd_file_name
from ibbench.scoring import Ranking, drop_superseded, rank_all, score_groups, upper_bound_rows
from ibbench.store import Store, load_results

FORMATS = ("md", "csv", "json", "html")


@dataclass
class Leaderboard:
    """Everything a report shows: the rankings (overall and per family), per-task groups, cells, runs.

    ``rankings`` maps ``"overall"`` and each family name to a :class:`ibbench.scoring.Ranking`.
    """

    rankings: dict[str, Ranking]
    groups: pd.DataFrame
    cells: pd.DataFrame
    runs: pd.DataFrame
    superseded: int = 0  # cells of older versions left out (see ibbench.scoring.drop_superseded)

    @property
    def status_counts(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in self.cells["status"].value_counts().items()}

    @property
    def overall(self) -> pd.DataFrame:
        """The overall ranked table (full-coverage estimators only; empty if nothing is ranked overall)."""
        ranking = self.rankings.get("overall")
        return ranking.table if ranking is not None else pd.DataFrame(columns=list(RANK_COLUMNS))

    @property
    def partial(self) -> pd.DataFrame:
        """Estimators that did not complete every overall configuration, with their coverage."""
        ranking = self.rankings.get("overall")
        return ranking.partial if ranking is not None else pd.DataFrame(columns=list(PARTIAL_COLUMNS))

    @property
    def families(self) -> dict[str, Ranking]:
        return {k: v for k, v in self.rankings.items() if k != "overall"}

    @property
    def by_family(self) -> pd.DataFrame:
        """The family rankings in one table (column ``task_family``)."""
        frames = [r.table.assign(task_family=f) for f, r in self.families.items() if len(r.table)]
        if not frames:
            return pd.DataFrame(columns=["task_family", *RANK_COLUMNS])
        out = pd.concat(frames, ignore_index=True)
        return out[["task_family"] + [c for c in out.columns if c != "task_family"]]

    @property
    def partial_by_family(self) -> pd.DataFrame:
        frames = [r.partial.assign(task_family=f) for f, r in self.families.items() if len(r.partial)]
        if not frames:
            return pd.DataFrame(columns=["task_family", *PARTIAL_COLUMNS])
        out = pd.concat(frames, ignore_index=True)
        return out[["task_family"] + [c for c in out.columns if c != "task_family"]]

    @property
    def upper_bounds(self) -> pd.DataFrame:
        """Upper-bound estimators (tag ``bound="upper"``): reported with their error and how often
        the estimate is at or above the truth, never ranked (:func:`ibbench.scoring.upper_bound_rows`)."""
        return upper_bound_rows(self.groups)

    @property
    def reference(self) -> pd.DataFrame:
        """Groups of reference tasks (oracle inputs): reported, never ranked."""
        return self.groups[self.groups["task_role"] == "none"]

    def significance(self) -> dict:
        """Per scope: the omnibus test, the configurations and the pairwise post-hoc p-values."""
        return {
            scope: {
                "test": r.test,
                "configs": r.configs,
                "pvalues": json.loads(r.pvalues.to_json()) if len(r.pvalues) else {},
            }
            for scope, r in self.rankings.items()
        }


def build_leaderboard(store: str | Path, n_boot: int = 1000) -> Leaderboard:
    """Score every cell of ``store`` and rank the estimators on common ground (:mod:`ibbench.scoring`)."""
    cells = load_results(store, expand_params=False)
    if not len(cells):
        raise ValueError(f"the store {store} holds no results yet")
    cells, superseded = drop_superseded(cells)
    groups = score_groups(cells, n_boot=n_boot)
    if not len(groups):
        raise ValueError(f"the store {store} holds only skipped cells")
    return Leaderboard(rank_all(cells, groups), groups, cells, Store(store).runs(), superseded)


def format_number(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "–"
    if isinstance(value, (float, np.floating)):
        size = abs(float(value))
        return f"{value:.3g}" if size < 1e-3 or size >= 1e4 else f"{value:.3f}"
    return str(value)


#: Characters of a table cell replaced by HTML entities: GitHub markdown renders inline HTML
#: (``<script>``, ``<img onerror=...>``), entities and code spans (backticks), so labels and
#: messages taken from user input must not reach it raw.
_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "`": "&#96;"}


def _cell_text(value: Any) -> str:
    """A table cell: formatted, with characters that would break a markdown table escaped
    (``|`` and newlines) and HTML / code-span characters as entities (``&``, ``<``, ``>``, backtick)."""
    text = "".join(_MD_ENTITIES.get(ch, ch) for ch in format_number(value))
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


#: ASCII punctuation that can start markup inside a heading or a sentence, backslash-escaped there
#: (links and images need ``[``; ``(`` ``.`` ``-`` only act at a line start, which a heading is not)
_MD_PUNCTUATION = set("\\*_[]#|~")


def inline_text(value: Any) -> str:
    """User-derived text in a heading or a sentence (task and family names, output titles, the run's
    command): HTML / code-span characters as entities, markdown punctuation backslash-escaped."""
    text = "".join(_MD_ENTITIES.get(ch, "\\" + ch if ch in _MD_PUNCTUATION else ch) for ch in format_number(value))
    return text.replace("\r", " ").replace("\n", " ")


def markdown_table(df: pd.DataFrame, columns: dict[str, str]) -> str:
    """A GitHub markdown table of ``df`` with ``columns`` = {column: header}."""
    head = "| " + " | ".join(columns.values()) + " |"
    sep = "|" + "|".join("---" for _ in columns) + "|"
    body = ["| " + " | ".join(_cell_text(row[c]) for c in columns) + " |" for _, row in df.iterrows()]
    return "\n".join([head, sep, *body])


RANK_COLUMNS = {
    "rank": "rank",
    "estimator_label": "estimator",
    "mean_rank": "mean rank",
    "configs": "configs",
    "mae": "MAE (nats)",
    "rel_error": "rel. error",
    "within_tol": "within tol.",
    "p_vs_best": "p vs. #1",
    "median_cold_seconds": "s/cell cold",
    "median_seconds": "s/cell warm",
}
#: the overall table's columns (the CLI prints these)
OVERALL_COLUMNS = RANK_COLUMNS
PARTIAL_COLUMNS = {
    "estimator_label": "estimator",
    "coverage": "coverage",
    "complete": "completed",
    "configs": "configs",
    "declined": "declined",
    "failed": "failed",
    "missing": "not run",
    "mae_completed": "MAE on completed",
    "reason": "why not ranked",
}
UPPER_BOUND_COLUMNS = {
    "estimator_label": "estimator",
    "configs": "configs",
    "bias": "mean error Î − I (nats)",
    "mae": "MAE (nats)",
    "at_or_above_truth": "Î ≥ I (share of cells)",
    "median_cold_seconds": "s/cell cold",
    "median_seconds": "s/cell warm",
}
#: heading of the upper-bound section (markdown and HTML)
UPPER_BOUND_HEADING = "Upper bounds (not ranked)"
UPPER_BOUND_NOTE = (
    "Estimators tagged as upper bounds (e.g. CLUB) aim above the mutual information, not at it, so their "
    "accuracy is not ranked against estimators of the MI. Shown per estimator over the benchmark task "
    "configurations it ran: mean error and MAE, and the share of cells where the estimate is at or above the "
    "true MI (1.0 = it behaved as an upper bound everywhere)."
)
GROUP_COLUMNS = {
    "estimator_label": "estimator",
    "n": "n",
    "true_mi_text": "true MI",
    "mean_estimate": "mean est.",
    "ci_low": "CI low",
    "ci_high": "CI high",
    "bias": "bias",
    "mae": "MAE",
    "n_seeds": "seeds",
    "n_failed": "failed",
    "median_cold_seconds": "s cold",
    "median_seconds": "s warm",
}

INTRO = (
    "Every number below comes from the runs recorded in this store (see *Runs*); nothing is copied from a paper. "
    "Estimators are ranked per task configuration (task × n) by their mean absolute error (MAE) over seeds, ties "
    "sharing the average rank; the ranking orders them by mean rank. Only estimators that completed every "
    "configuration of a ranking on the same seeds are ranked together (Friedman test, Nemenyi post-hoc test, "
    "critical-difference diagram: Demšar 2006); the others are listed under *partial coverage* with what they "
    "completed and are never placed above a full-coverage estimator. The overall ranking uses benchmark tasks only: "
    "reference tasks (oracle inputs, e.g. the true latents of an image task) are shown as reference rows, and tasks "
    "whose truth a discretising estimator recovers exactly (the quantized-network tasks) are ranked within their "
    "family only. Upper bounds (estimators tagged `bound=upper`, e.g. CLUB) are not ranked either: they have a "
    "section of their own. MAE and relative error |Î − I| / max(I, 1 nat) are averaged over configurations; "
    "within tol. = "
    "share of cells with |Î − I| ≤ max(0.1 nats, 10% of I), widened by 2 standard errors for tasks whose true MI is "
    "a Monte Carlo average (the Gaussian-mixture tasks: true MI shown as value ± standard error (MC)); "
    "p vs. #1 = post-hoc p-value against the first; "
    "s/cell = median seconds per cell: *cold* includes the recorded cost of cached work the cell reused "
    "(e.g. autoencoder codes), *warm* is the `fit` call alone."
)


def truth_text(r: pd.Series, fmt: Callable[[Any], str]) -> str:
    """A group's true MI: the value, ``value ± stderr (MC)`` for a Monte Carlo truth, and the
    ``(per seed min–max)`` range when it differs between seeds."""
    stderr = r.get("true_mi_stderr", 0.0)
    mc = f" ± {float(stderr):.2g} (MC)" if pd.notna(stderr) and float(stderr) > 0 else ""
    if np.isclose(r["true_mi_min"], r["true_mi_max"], rtol=1e-9, atol=1e-12):
        return fmt(r["true_mi"]) + mc
    return f"{fmt(r['true_mi'])}{mc} (per seed {fmt(r['true_mi_min'])}–{fmt(r['true_mi_max'])})"


def _true_mi_text(groups: pd.DataFrame) -> pd.Series:
    """True MI per group: the value, or ``mean (min–max)`` when it differs between seeds."""

    def text(r: pd.Series) -> str:
        return truth_text(r, format_number)

    return groups.apply(text, axis=1) if len(groups) else pd.Series(dtype=object)


def _partial_table(partial: pd.DataFrame) -> str:
    shown = partial.assign(coverage=[f"{c:.0%}" for c in partial["coverage"]])
    return markdown_table(shown, PARTIAL_COLUMNS)


def _ranking_section(ranking: Ranking, heading: str, cd_dir: Path | None) -> list[str]:
    parts = [heading, "", inline_text(ranking.describe()), ""]
    cd = cd_dir / cd_file_name(ranking.scope) if cd_dir is not None else None
    if cd is not None and cd.exists():
        parts += [f"![critical-difference diagram: {inline_text(ranking.scope)}]({cd.name})", ""]
    if len(ranking.table):
        parts += [markdown_table(ranking.table, RANK_COLUMNS), ""]
    if len(ranking.partial):
        parts += [
            "Partial coverage (not ranked; MAE on completed configurations is not comparable with the ranked MAE):",
            "",
            _partial_table(ranking.partial),
            "",
        ]
    return parts


def _reference_rows(groups: pd.DataFrame) -> str:
    """Reference groups (oracle inputs) per estimator: MAE over their configurations."""
    rows = []
    for label, g in groups.groupby("estimator_label", sort=True):
        rows.append(
            {
                "estimator_label": label,
                "tasks": ", ".join(sorted(g["task"].unique())),
                "configs": len(g),
                "mae": g["mae"].mean(),
                "rel_error": g["rel_error"].mean(),
                "median_cold_seconds": g["median_cold_seconds"].median(),
            }
        )
    df = pd.DataFrame(rows).sort_values("mae")
    return markdown_table(
        df,
        {
            "estimator_label": "estimator",
            "tasks": "reference task",
            "configs": "configs",
            "mae": "MAE (nats)",
            "rel_error": "rel. error",
            "median_cold_seconds": "s/cell cold",
        },
    )


def oracle_of(task: str) -> str | None:
    from ibbench.registry import get_task_class

    try:
        return getattr(get_task_class(task), "reference_for", None)
    except Exception:  # noqa: BLE001 - uninstalled plug-in
        return None


def to_markdown(board: Leaderboard, title: str = "ibbench leaderboard", cd_dir: Path | None = None) -> str:
    """The whole leaderboard as one markdown document (``cd_dir``: where the CD diagrams were written).

    Tables show short estimator labels (:mod:`ibbench.report.labels`), listed with their full parameters
    under *Estimator labels*."""
    from ibbench.report.labels import LEGEND_COLUMNS, LEGEND_NOTE, short_labelled

    board, legend = short_labelled(board)
    parts = [
        f"# {inline_text(title)}",
        "",
        INTRO,
        "",
        f"Cells: {', '.join(f'{k} {v}' for k, v in sorted(board.status_counts.items()))}"
        + (f" ({board.superseded} superseded cells of older versions left out)" if board.superseded else "")
        + ".",
        "",
    ]
    if "overall" in board.rankings:
        parts += _ranking_section(board.rankings["overall"], "## Overall", cd_dir)
    else:
        parts += [
            "## Overall",
            "",
            "No benchmark-role task configurations in this store: nothing is ranked overall.",
            "",
        ]
    reference = board.reference
    for family, ranking in board.families.items():
        parts += _ranking_section(ranking, f"## Family: {inline_text(family)}", cd_dir)
        if any(board.groups.loc[board.groups["task_family"] == family, "task_role"] == "family"):
            parts += [
                "These tasks' truth can be recovered exactly by a discretising estimator (enough bins rebuild "
                "the integer codes of the quantized layer, i.e. recompute the ground truth), so they are "
                "ranked within this family only, never overall.",
                "",
            ]
        ref = reference[reference["task_family"] == family]
        if len(ref):
            oracles = sorted(
                {f"{inline_text(t)} (oracle of {inline_text(oracle_of(t))})" for t in ref["task"].unique()}
            )
            parts += [
                "Reference rows (oracle inputs, not ranked): "
                + ", ".join(oracles)
                + " hand the estimator the true latents instead of the data.",
                "",
                _reference_rows(ref),
                "",
            ]
    upper = board.upper_bounds
    if len(upper):
        shown = upper.assign(at_or_above_truth=[format_number(v) for v in upper["at_or_above_truth"]])
        parts += [f"## {UPPER_BOUND_HEADING}", "", UPPER_BOUND_NOTE, "", markdown_table(shown, UPPER_BOUND_COLUMNS), ""]
    parts += markdown_section(board)  # with three or more sample sizes
    parts += coverage_section(board)  # when cells have intervals
    parts += ["## Per task", ""]
    groups = board.groups.assign(true_mi_text=_true_mi_text(board.groups))
    for task_label, g in groups.groupby("task_label", sort=True):
        role = g["task_role"].iloc[0]
        note = {"none": " (reference: oracle inputs, not ranked)", "family": " (ranked within its family only)"}.get(
            role, ""
        )
        parts += [
            f"### {inline_text(task_label)}{note}",
            "",
            markdown_table(g.sort_values(["n", "mae"]), GROUP_COLUMNS),
            "",
        ]
    parts += ["## Estimator labels", "", LEGEND_NOTE, "", markdown_table(legend, LEGEND_COLUMNS), ""]
    if len(board.runs):
        last = board.runs.iloc[-1]
        parts += [
            "## Runs",
            "",
            f"{len(board.runs)} run(s); last: {inline_text(last['command'])} (suite {inline_text(last['suite'])}, "
            f"started {last['started_at']}); versions: {inline_text(last['versions'])}",
            "",
        ]
    return "\n".join(parts)


def write_cd_diagrams(board: Leaderboard, out: Path) -> list[Path]:
    """One critical-difference diagram per ranking with a significance test, into ``out`` (short labels)."""
    from ibbench.report.labels import short_labelled
    from ibbench.report.plot_cd import draw_cd_diagram

    board = short_labelled(board)[0]
    written = []
    for scope, ranking in board.rankings.items():
        path = draw_cd_diagram(ranking, out / cd_file_name(scope))
        if path is not None:
            written.append(path)
    return written


def default_folder(board: Leaderboard, store: str | Path, root: str | Path = "leaderboards") -> Path:
    """``root/<name>``: the suite every run of the store ran, else the store file's stem.

    A store with runs of several suites (or of ``--tasks`` without a suite) is named after its file, so two
    such stores never write into the same folder.
    """
    suites = {None if pd.isna(s) or not str(s).strip() else str(s) for s in board.runs.get("suite", [])}
    only = next(iter(suites)) if len(suites) == 1 else None
    return Path(root) / (only or Path(store).stem)


def write_leaderboard(
    store: str | Path,
    out: str | Path,
    formats: Collection[str] = FORMATS,
    title: str | None = None,
    board: Leaderboard | None = None,
    plots: bool = True,
) -> list[Path]:
    """Write the leaderboard of ``store`` into directory ``out``; returns the files.

    Parameters
    ----------
    store : the results store
    out : the leaderboard folder (created)
    formats : any of ``md``, ``csv``, ``json``, ``html`` (default: all). With ``md`` or ``html`` the
        critical-difference diagrams are written as ``cd-*.png`` beside the tables.
    title : page and markdown title (default ``ibbench leaderboard (<folder name>)``)
    board : the already scored leaderboard of ``store`` (scored here when None)
    plots : draw the standard plots (:data:`ibbench.report.html.PAGE_PLOTS`: curves, convergence when there are
        several sample sizes, runtime) from the board's cells into ``out/plots/``, replacing earlier files of
        these kinds, before the HTML page embeds every PNG of ``out/plots/``. False draws none (the page then
        embeds only the PNGs already there, e.g. info planes drawn with ``ibbench plot``).
    """
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown leaderboard format(s) {sorted(unknown)}; choose from {FORMATS}")
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"leaderboard output {out} is an existing file; --out takes a directory")
    board = build_leaderboard(store) if board is None else board
    out.mkdir(parents=True, exist_ok=True)
    title = title or f"ibbench leaderboard ({out.name})"
    written = []
    cd_files = []
    if "md" in formats or "html" in formats:
        for old in out.glob("cd-*.png"):  # scopes of an earlier board may not exist any more
            old.unlink()
        cd_files = write_cd_diagrams(board, out)
        written += cd_files
    if "md" in formats:
        path = out / "leaderboard.md"
        path.write_text(to_markdown(board, title, cd_dir=out) + "\n")
        written.append(path)
    if "csv" in formats:
        for name, df in (
            ("leaderboard.csv", board.overall),
            ("leaderboard_partial.csv", board.partial),
            ("leaderboard_by_family.csv", board.by_family),
            ("leaderboard_by_family_partial.csv", board.partial_by_family),
            ("leaderboard_upper_bounds.csv", board.upper_bounds),
            ("groups.csv", board.groups),
            *convergence_csv(board),
            *coverage_csv(board),
        ):
            df.to_csv(out / name, index=False, float_format="%.6g")
            written.append(out / name)
    if "json" in formats:
        from ibbench.report.labels import legend

        path = out / "leaderboard.json"
        payload = {
            k: json.loads(getattr(board, k).to_json(orient="records"))
            for k in ("overall", "partial", "by_family", "partial_by_family", "upper_bounds", "groups")
        }
        payload["significance"] = board.significance()
        payload["labels"] = json.loads(legend(board.cells).to_json(orient="records"))  # short → full labels
        payload["status_counts"] = board.status_counts
        path.write_text(json.dumps(payload, indent=1))
        written.append(path)
    if plots:
        from ibbench.report.html import PAGE_PLOTS
        from ibbench.report.plots import draw_plots

        written += draw_plots(PAGE_PLOTS, cells=board.cells, out=out / "plots")
    if "html" in formats:
        from ibbench.report.html import write_html

        written.append(
            write_html(
                board,
                out / "leaderboard.html",
                title=title,
                plot_dir=out / "plots",
                plots=(),  # the page embeds the files of plots/, drawn just above
                extra_images=[(p.name, p.read_bytes()) for p in cd_files],
            )
        )
    return written
