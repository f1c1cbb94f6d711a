"""Scoring of stored cells: per-group metrics with bootstrap CIs, and rankings on common ground.

A *group* is one estimator configuration × one task configuration × one n, aggregated over seeds.
A *configuration* is one task configuration × one n: the unit on which estimators are ranked.

Rankings (:func:`rank_scope`) follow Demšar (2006), "Statistical comparisons of classifiers over
multiple data sets", JMLR 7:1–30: estimators are ranked per configuration by their mean absolute
error over seeds (ties get the average rank), ranks are averaged over configurations, the Friedman
test asks whether the mean ranks differ at all, and the Nemenyi post-hoc test (critical difference
``CD = q_α · sqrt(k(k+1) / (6N))``, Demšar eq. (2)) says which pairs do. Only estimators that
completed *every* configuration of a scope, on the same seeds, are ranked together; the others
appear in a partial-coverage table with their coverage, never above a full-coverage estimator.

Scopes: the overall ranking uses the configurations of benchmark tasks (``task_role`` ``overall``);
each family ranking adds the family's tasks whose truth a discretising estimator recovers exactly
(``family``, the quantized-network tasks). Reference tasks (``none``: oracle inputs such as the true
latents of an image task) are never ranked: they are reported as reference rows.

Upper bounds (estimators tagged ``bound="upper"``, e.g. CLUB) are never ranked either: they do not
aim at the MI, so their accuracy is not comparable; :func:`upper_bound_rows` summarises them (error
and how often the estimate is at or above the truth) for a section of their own.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ibbench.store import FAILED

GROUP = ["estimator_label", "estimator", "task_label", "task", "task_family", "n"]

#: within-tolerance rule: |Î − I| <= max(ABS_TOL nats, REL_TOL · I) + STDERR_WIDENING · true_mi_stderr
#: (the last term only for tasks whose truth is a Monte Carlo average, e.g. the Gaussian mixtures)
ABS_TOL, REL_TOL, STDERR_WIDENING = 0.1, 0.1, 2.0

#: significance level of the Friedman and post-hoc tests and of the critical difference
ALPHA = 0.05


def bootstrap_ci(
    values: np.ndarray,
    stat: Callable[..., Any] = np.mean,
    n_boot: int = 1000,
    level: float = 0.95,
    random_state: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of ``stat`` over ``values`` (NaN for < 2 values)."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(random_state)
    idx = rng.integers(0, len(values), (n_boot, len(values)))
    stats = stat(values[idx], axis=1)
    alpha = (1.0 - level) / 2.0
    return float(np.quantile(stats, alpha)), float(np.quantile(stats, 1.0 - alpha))


def drop_superseded(cells: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """The newest cell of each (estimator label, task label, n, seed), and how many older ones were left out.

    A store keeps the cells of every version it has seen: after a version bump (of the estimator,
    a nested part, or a task) the old cells stay, under the same labels, beside the new ones.
    Scoring both would mix two versions in one group; the newest (by ``finished_at``) is scored.
    """
    if not len(cells):
        return cells, 0
    order = cells.sort_values("finished_at", kind="stable", na_position="first")
    n = order["n"].fillna(-1)
    newest = order.assign(_n=n).drop_duplicates(["estimator_label", "task_label", "_n", "seed"], keep="last")
    newest = newest.drop(columns="_n").sort_index()
    return newest, len(cells) - len(newest)


def resolve_roles(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with a complete ``task_role`` column (rank scope of each cell's task).

    Rows of stores written before roles were recorded take their task class's current role from
    the registry; tasks that cannot be loaded count as benchmark tasks (``"overall"``).
    """
    from ibbench.task import rank_scope

    df = df.copy()
    if "task_role" not in df:
        df["task_role"] = None
    missing = df["task_role"].isna()
    if missing.any():
        from ibbench.registry import get_task_class

        scopes = {}
        for name in df.loc[missing, "task"].unique():
            try:
                cls = get_task_class(name)
                scopes[name] = rank_scope(
                    getattr(cls, "role", "benchmark"), bool(getattr(cls, "recoverable_by_discretisation", False))
                )
            except Exception:  # noqa: BLE001 - an uninstalled plug-in task: treat as benchmark
                scopes[name] = "overall"
        df.loc[missing, "task_role"] = df.loc[missing, "task"].map(scopes)
    return df


def estimator_bound(name: str, params: dict[str, Any] | None = None) -> str:
    """What the estimator registered as ``name`` and built with ``params`` reports (``"estimate"``,
    ``"lower"`` or ``"upper"`` bound; ``MIEstimator.bound_for``: the ``bound`` tag, or the inner
    estimator's for a wrapper); ``"estimate"`` for names that cannot be loaded (uninstalled
    plug-ins, test doubles)."""
    from ibbench.registry import get_estimator_class

    try:
        cls = get_estimator_class(name)
        if hasattr(cls, "bound_for"):
            return str(cls.bound_for(dict(params or {})))
        return str(cls.get_tags().get("bound", "estimate"))
    except Exception:  # noqa: BLE001 - an uninstalled plug-in estimator: an ordinary estimate
        return "estimate"


def resolve_bounds(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with an ``estimator_bound`` column: each cell's estimator's ``bound`` tag (from the registry)."""
    df = df.copy()
    if "estimator" not in df:
        df["estimator_bound"] = "estimate"
        return df
    params = df["estimator_params"] if "estimator_params" in df else pd.Series("{}", index=df.index)
    pairs = list(zip(df["estimator"], params.fillna("{}").astype(str)))
    bounds = {pair: estimator_bound(pair[0], _json_params(pair[1])) for pair in set(pairs) if isinstance(pair[0], str)}
    df["estimator_bound"] = pd.Series([bounds.get(p, "estimate") for p in pairs], index=df.index)
    return df


def _json_params(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def tolerance(true_mi: Any, true_mi_stderr: Any = 0.0) -> Any:
    """Largest ``|Î − I|`` counted as within tolerance: ``max(ABS_TOL, REL_TOL · I) + 2 · stderr``.

    ``true_mi_stderr`` is the Monte Carlo standard error of a truth that is a sample average (0 or
    NaN for an exact truth); scalars or arrays/Series.
    """
    stderr = np.nan_to_num(np.asarray(true_mi_stderr, dtype=float), nan=0.0)
    widened = np.maximum(ABS_TOL, REL_TOL * np.asarray(true_mi, dtype=float)) + STDERR_WIDENING * stderr
    return float(widened) if np.ndim(widened) == 0 else widened


def add_cell_metrics(df: pd.DataFrame) -> pd.DataFrame:
    """Per-cell columns: ``error`` (Î − I), ``abs_error``, ``rel_error``, ``true_mi_stderr`` (0 for
    an exact truth), ``within_tol`` (:func:`tolerance`), ``failed``, and ``cold`` (seconds including
    the recorded cost of reused cached work; = ``seconds`` for rows without cache accounting)."""
    df = df.copy()
    df["error"] = df["estimate"] - df["true_mi"]
    df["abs_error"] = df["error"].abs()
    df["rel_error"] = df["abs_error"] / np.maximum(df["true_mi"], 1.0)
    stderr = df["true_mi_stderr"] if "true_mi_stderr" in df else pd.Series(0.0, index=df.index)
    df["true_mi_stderr"] = pd.to_numeric(stderr, errors="coerce").fillna(0.0)
    df["within_tol"] = df["abs_error"] <= tolerance(df["true_mi"].to_numpy(float), df["true_mi_stderr"].to_numpy())
    df["failed"] = df["status"].isin(FAILED)
    cold = df["cold_seconds"] if "cold_seconds" in df else pd.Series(np.nan, index=df.index)
    df["cold"] = pd.to_numeric(cold, errors="coerce").fillna(pd.to_numeric(df["seconds"], errors="coerce"))
    return df


def score_groups(df: pd.DataFrame, n_boot: int = 1000) -> pd.DataFrame:
    """Metrics per (estimator, task, n) over seeds.

    Columns: ``true_mi`` (mean over the group's seeds; ``true_mi_min``/``true_mi_max`` differ when
    the truth is per seed, as for the quantized-network tasks), ``true_mi_stderr`` (Monte Carlo
    standard error of a sampled truth, 0 when exact), ``mean_estimate`` with 95% bootstrap
    CI, ``bias``, ``mae`` with CI, ``rmse``, ``rel_error``, ``within_tol`` (rate), ``failure_rate``
    ((error+timeout) / attempted), ``median_seconds`` (warm: ``fit`` only),
    ``median_cold_seconds`` (with the recorded cost of reused cached work), ``cache_hits``,
    ``n_seeds`` (ok cells), ``n_failed``, ``task_role``, ``estimator_bound`` (the estimator's
    ``bound`` tag) and ``at_or_above_truth`` (share of ok cells with ``Î ≥ I``). Errors are per cell against that cell's
    own truth. Skipped cells are left out.
    """
    df = add_cell_metrics(resolve_bounds(resolve_roles(df[df["status"] != "skipped"])))
    df["n"] = df["n"].fillna(-1).astype(int)
    hits = df["cache_hit"] if "cache_hit" in df else pd.Series(np.nan, index=df.index)
    df["cache_hit_num"] = pd.to_numeric(hits, errors="coerce")
    rows = []
    for keys, g in df.groupby(GROUP, sort=True, dropna=False):
        ok = g[g["status"] == "ok"]
        est = ok["estimate"].to_numpy(float)
        abs_err = ok["abs_error"].to_numpy(float)
        lo, hi = bootstrap_ci(est, n_boot=n_boot)
        mlo, mhi = bootstrap_ci(abs_err, n_boot=n_boot)
        truth = g["true_mi"].astype(float)
        rows.append(
            {
                **dict(zip(GROUP, keys)),
                "task_role": g["task_role"].iloc[0],
                "estimator_bound": g["estimator_bound"].iloc[0],
                "true_mi": float(truth.mean()),
                "true_mi_min": float(truth.min()),
                "true_mi_max": float(truth.max()),
                "true_mi_stderr": float(g["true_mi_stderr"].max()),
                "mean_estimate": float(est.mean()) if len(est) else np.nan,
                "ci_low": lo,
                "ci_high": hi,
                "bias": float(ok["error"].mean()) if len(ok) else np.nan,
                "mae": float(abs_err.mean()) if len(ok) else np.nan,
                "mae_ci_low": mlo,
                "mae_ci_high": mhi,
                "rmse": float(np.sqrt(np.mean(ok["error"] ** 2))) if len(ok) else np.nan,
                "rel_error": float(ok["rel_error"].mean()) if len(ok) else np.nan,
                "within_tol": float(ok["within_tol"].mean()) if len(ok) else np.nan,
                "at_or_above_truth": float((ok["error"] >= 0).mean()) if len(ok) else np.nan,
                "failure_rate": float(g["failed"].mean()),
                "median_seconds": float(ok["seconds"].median()) if len(ok) else np.nan,
                "median_cold_seconds": float(ok["cold"].median()) if len(ok) else np.nan,
                "cache_hits": int((ok["cache_hit_num"] == 1).sum()),
                "n_seeds": int(len(ok)),
                "n_failed": int(g["failed"].sum()),
            }
        )
    out = pd.DataFrame(rows)
    if len(out):
        out["n"] = out["n"].replace(-1, pd.NA)
    return out


def config_label(task_label: str, n: Any) -> str:
    """Name of a task configuration: the task label plus its sample size (none for fixed populations)."""
    return task_label if n is None or pd.isna(n) or int(n) < 0 else f"{task_label} @ n={int(n)}"


@dataclass
class Ranking:
    """The ranking of one scope (``"overall"`` or a task family) and its significance tests.

    Attributes
    ----------
    scope : "overall" or the family name
    configs : configurations ranked on (task label @ n)
    table : one row per full-coverage estimator, best first: ``rank``, ``estimator_label``,
        ``mean_rank``, ``configs``, ``mae`` (mean over configurations of the per-configuration MAE),
        ``rel_error``, ``within_tol``, ``median_cold_seconds``, ``median_seconds``, ``p_vs_best``
    partial : estimators that did not complete every configuration: ``estimator_label``,
        ``complete``, ``configs``, ``coverage``, ``declined`` (skipped by its tags), ``failed``
        (some seed failed), ``missing`` (not run, or on fewer seeds), ``mae_completed`` (mean MAE on
        the configurations it completed; not comparable with the ranked table), ``reason``
    test : ``{"name", "statistic", "p_value", "k", "N", "cd"}`` of the omnibus test (Friedman for
        3+ estimators, Wilcoxon signed-rank for 2), or ``{}`` when there is too little to test
    pvalues : pairwise post-hoc p-values (Nemenyi; Wilcoxon for 2 estimators), estimators × estimators
    mae_matrix : configurations × ranked estimators, MAE over seeds
    """

    scope: str
    configs: list[str]
    table: pd.DataFrame
    partial: pd.DataFrame
    test: dict = field(default_factory=dict)
    pvalues: pd.DataFrame = field(default_factory=pd.DataFrame)
    mae_matrix: pd.DataFrame = field(default_factory=pd.DataFrame)

    def describe(self) -> str:
        """One paragraph saying exactly what is ranked on what."""
        k, n_part = len(self.table), len(self.partial)
        what = "all benchmark task configurations" if self.scope == "overall" else f"the family {self.scope!r}"
        text = (
            f"Ranked: {k} estimator configuration(s) that completed every one of the {len(self.configs)} "
            f"configurations of {what} on the same seeds, by mean rank of their per-configuration MAE "
            "(rank 1 = best; ties share the average rank)."
        )
        if self.test:
            t = self.test
            text += (
                f" {t['name']} test over N = {t['N']} configurations and k = {t['k']} estimators: "
                f"statistic {t['statistic']:.3g}, p = {t['p_value']:.3g}."
            )
            if t.get("cd") is not None:
                text += (
                    f" Nemenyi critical difference at α = {ALPHA:g}: {t['cd']:.3g} ranks (mean ranks closer than "
                    "that are not significantly different)."
                )
        else:
            text += " Too few estimators or configurations for a significance test."
        if n_part:
            text += f" {n_part} estimator configuration(s) with partial coverage are listed separately, unranked."
        return text


def _completion(cells: pd.DataFrame, configs: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per (estimator, configuration): status of completion and MAE over seeds.

    A configuration's seed set is the union of the seeds that any estimator ran on it (skipped cells
    excluded). An estimator completed it when it has an ``ok`` cell for every one of those seeds.
    Returns (status table estimators × configs with values complete/declined/failed/missing, MAE table).
    """
    estimators = sorted(cells["estimator_label"].unique())
    status = pd.DataFrame("missing", index=estimators, columns=configs, dtype=object)
    mae = pd.DataFrame(np.nan, index=estimators, columns=configs)
    for config, g in cells.groupby("config", sort=False):
        attempted = g[g["status"] != "skipped"]
        seeds = set(attempted["seed"].tolist())
        for label, ge in g.groupby("estimator_label", sort=False):
            if (ge["status"] == "skipped").all():
                status.loc[label, config] = "declined"
                continue
            ok = ge[ge["status"] == "ok"]
            if set(ok["seed"].tolist()) >= seeds and len(seeds):
                status.loc[label, config] = "complete"
                mae.loc[label, config] = float(ok.drop_duplicates("seed")["abs_error"].mean())
            elif ge["status"].isin(FAILED).any():
                status.loc[label, config] = "failed"
                if len(ok):
                    mae.loc[label, config] = float(ok["abs_error"].mean())
            else:
                status.loc[label, config] = "missing"
                if len(ok):
                    mae.loc[label, config] = float(ok["abs_error"].mean())
    return status, mae


def friedman_nemenyi(mae: pd.DataFrame, alpha: float = ALPHA) -> tuple[dict, pd.DataFrame, pd.Series]:
    """Mean ranks and significance tests of a configurations × estimators MAE matrix (lower = better).

    Returns ``(test, pvalues, mean_ranks)``. With k ≥ 3 estimators and N ≥ 2 configurations: the
    Friedman test (``scipy.stats.friedmanchisquare``, which corrects for ties) and the Nemenyi
    post-hoc test (``scikit_posthocs.posthoc_nemenyi_friedman``) with the critical difference
    ``q_α / sqrt(2) · sqrt(k(k+1) / (6N))`` (Demšar 2006, eq. (2); q from the studentized range
    distribution). With k = 2: the Wilcoxon signed-rank test (Demšar 2006, §3.1.3). Otherwise no test.
    """
    from scipy import stats

    ranks = mae.rank(axis=1, method="average")
    mean_ranks = ranks.mean(axis=0)
    n_configs, k = mae.shape
    labels = list(mae.columns)
    pvalues = pd.DataFrame(np.nan, index=labels, columns=labels)
    test: dict = {}
    if k >= 3 and n_configs >= 2:
        import scikit_posthocs as sp

        if np.allclose(mae.to_numpy(), mae.to_numpy()[:, :1]):  # all equal in every configuration
            stat, p = 0.0, 1.0
            pvalues.loc[:, :] = 1.0
        else:
            stat, p = stats.friedmanchisquare(*[mae[c].to_numpy() for c in labels])
            pvalues = sp.posthoc_nemenyi_friedman(mae.to_numpy())
            pvalues.index = pvalues.columns = labels
        q = stats.studentized_range.ppf(1 - alpha, k, np.inf) / np.sqrt(2)
        test = {
            "name": "Friedman",
            "statistic": float(stat),
            "p_value": float(p),
            "k": k,
            "N": n_configs,
            "cd": float(q * np.sqrt(k * (k + 1) / (6.0 * n_configs))),
            "posthoc": "Nemenyi",
        }
    elif k == 2 and n_configs >= 2:
        a, b = mae[labels[0]].to_numpy(), mae[labels[1]].to_numpy()
        if np.allclose(a, b):
            stat, p = 0.0, 1.0
        else:
            stat, p = stats.wilcoxon(a, b)
        pvalues.loc[labels[0], labels[1]] = pvalues.loc[labels[1], labels[0]] = float(p)
        test = {
            "name": "Wilcoxon signed-rank",
            "statistic": float(stat),
            "p_value": float(p),
            "k": k,
            "N": n_configs,
            "cd": None,
            "posthoc": "Wilcoxon signed-rank",
        }
    for label in labels:
        pvalues.loc[label, label] = 1.0
    return test, pvalues, mean_ranks


def rank_scope(cells: pd.DataFrame, groups: pd.DataFrame, scope: str) -> Ranking:
    """The :class:`Ranking` of ``scope`` (``"overall"`` or a family name) from scored cells.

    ``cells``: every cell of the store (skipped included) with per-cell metrics; ``groups``: the
    output of :func:`score_groups`.
    """
    if scope == "overall":
        cells = cells[cells["task_role"] == "overall"]
    else:
        cells = cells[(cells["task_family"] == scope) & cells["task_role"].isin(["overall", "family"])]
    configs = sorted(cells["config"].unique())
    status, mae = _completion(cells, configs)
    n_cfg = len(configs)
    counts = pd.DataFrame({s: (status == s).sum(axis=1) for s in ("complete", "declined", "failed", "missing")})
    full = [e for e in status.index if n_cfg and counts.loc[e, "complete"] == n_cfg]
    relevant = [e for e in status.index if e not in full and counts.loc[e, "declined"] < n_cfg]

    partial_rows = []
    for e in relevant:
        c = counts.loc[e]
        reasons = []
        if c["declined"]:
            reasons.append(
                f"declines {c['declined']} configuration(s) by its tags"
                + ("; ranked only within the families it accepts" if scope == "overall" else "")
            )
        if c["failed"]:
            reasons.append(f"failed cells in {c['failed']}")
        if c["missing"]:
            reasons.append(f"not run (or on fewer seeds) in {c['missing']}")
        done = mae.loc[e][status.loc[e] == "complete"]
        partial_rows.append(
            {
                "estimator_label": e,
                "complete": int(c["complete"]),
                "configs": n_cfg,
                "coverage": float(c["complete"]) / n_cfg,
                "declined": int(c["declined"]),
                "failed": int(c["failed"]),
                "missing": int(c["missing"]),
                "mae_completed": float(done.mean()) if len(done) else np.nan,
                "reason": "; ".join(reasons),
            }
        )
    partial = pd.DataFrame(
        partial_rows,
        columns=[
            "estimator_label",
            "complete",
            "configs",
            "coverage",
            "declined",
            "failed",
            "missing",
            "mae_completed",
            "reason",
        ],
    )
    if len(partial):
        partial = partial.sort_values(["coverage", "mae_completed"], ascending=[False, True]).reset_index(drop=True)

    matrix = mae.loc[full].T if full else pd.DataFrame(index=configs)
    test, pvalues, mean_ranks = friedman_nemenyi(matrix) if full else ({}, pd.DataFrame(), pd.Series(dtype=float))
    rows = []
    g = groups.assign(config=[config_label(t, n) for t, n in zip(groups["task_label"], groups["n"])])
    g = g[g["config"].isin(configs)]
    for e in full:
        ge = g[g["estimator_label"] == e]
        rows.append(
            {
                "estimator_label": e,
                "mean_rank": float(mean_ranks[e]),
                "configs": n_cfg,
                "mae": float(matrix[e].mean()),
                "rel_error": float(ge["rel_error"].mean()),
                "within_tol": float(ge["within_tol"].mean()),
                "median_cold_seconds": float(ge["median_cold_seconds"].median()),
                "median_seconds": float(ge["median_seconds"].median()),
            }
        )
    table = pd.DataFrame(
        rows,
        columns=[
            "estimator_label",
            "mean_rank",
            "configs",
            "mae",
            "rel_error",
            "within_tol",
            "median_cold_seconds",
            "median_seconds",
        ],
    )
    if len(table):
        table = table.sort_values(["mean_rank", "mae"]).reset_index(drop=True)
        table.insert(0, "rank", table["mean_rank"].rank(method="min").astype(int))
        best = table["estimator_label"].iloc[0]
        table["p_vs_best"] = [
            np.nan if e == best else float(pvalues.loc[best, e]) if len(pvalues) else np.nan
            for e in table["estimator_label"]
        ]
    else:
        table["rank"] = pd.Series(dtype=int)
        table["p_vs_best"] = pd.Series(dtype=float)
    return Ranking(scope, configs, table, partial, test, pvalues, matrix)


def prepare_cells(cells: pd.DataFrame) -> pd.DataFrame:
    """Every cell (skipped included) with its role, per-cell metrics and configuration label."""
    cells = add_cell_metrics(resolve_roles(cells))
    # a skipped cell of a fixed-population task records no n (its task was never sampled): it belongs
    # to the configuration of the population size its task's other cells record
    n = cells["n"].copy()
    sizes = cells[n.notna()].groupby("task_label")["n"].unique()
    for label in cells.loc[n.isna(), "task_label"].unique():
        if label in sizes.index and len(sizes[label]) == 1:
            n[(cells["task_label"] == label) & n.isna()] = sizes[label][0]
    cells["config"] = [config_label(t, v) for t, v in zip(cells["task_label"], n)]
    return cells


def rank_all(cells: pd.DataFrame, groups: pd.DataFrame) -> dict[str, Ranking]:
    """``{"overall": Ranking, <family>: Ranking, ...}`` (families in name order; empty scopes left out).

    Cells of upper-bound estimators (tag ``bound="upper"``) are left out: they are reported by
    :func:`upper_bound_rows`, never ranked.
    """
    cells = resolve_bounds(prepare_cells(cells))
    cells = cells[cells["estimator_bound"] != "upper"]
    out = {}
    if (cells["task_role"] == "overall").any():
        out["overall"] = rank_scope(cells, groups, "overall")
    for family in sorted(cells.loc[cells["task_role"] != "none", "task_family"].dropna().unique()):
        out[family] = rank_scope(cells, groups, family)
    return out


def upper_bound_rows(groups: pd.DataFrame) -> pd.DataFrame:
    """One row per upper-bound estimator configuration (``estimator_bound == "upper"``) over its
    benchmark groups (reference tasks left out): ``configs``, ``bias`` (mean of Î − I),
    ``mae``, ``at_or_above_truth`` (share of ok cells with Î ≥ I, weighted by seeds),
    ``median_seconds``, ``median_cold_seconds``. Sorted by label; empty when there are none."""
    columns = [
        "estimator_label",
        "configs",
        "bias",
        "mae",
        "at_or_above_truth",
        "median_cold_seconds",
        "median_seconds",
    ]
    if "estimator_bound" not in groups:
        return pd.DataFrame(columns=columns)
    upper = groups[(groups["estimator_bound"] == "upper") & (groups["task_role"] != "none")]
    rows = []
    for label, g in upper.groupby("estimator_label", sort=True):
        seeds = g["n_seeds"].to_numpy(float)
        above = g["at_or_above_truth"].to_numpy(float)
        have = seeds > 0
        rows.append(
            {
                "estimator_label": label,
                "configs": len(g),
                "bias": float(g["bias"].mean()),
                "mae": float(g["mae"].mean()),
                "at_or_above_truth": float(np.sum(above[have] * seeds[have]) / seeds[have].sum())
                if have.any()
                else np.nan,
                "median_cold_seconds": float(g["median_cold_seconds"].median()),
                "median_seconds": float(g["median_seconds"].median()),
            }
        )
    return pd.DataFrame(rows, columns=columns)
