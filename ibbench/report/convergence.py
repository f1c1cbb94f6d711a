"""Error decomposition and convergence: bias, seed-to-seed sd and RMSE per estimator, task and n, and the rate.

For one estimator configuration on one task configuration at sample size ``n``, with the ``m`` successful
seeds' errors ``e_s = Î_s − I_s`` (each cell against its own truth):

* ``bias = mean(e_s)``;
* ``sd`` = the sample standard deviation of ``e_s`` (``ddof = 1``; NaN for one seed): the seed-to-seed
  spread of the estimate (for a fixed truth, the sd of ``Î_s``);
* ``rmse = sqrt(mean(e_s²))``, which combines both: ``rmse² = bias² + (m − 1)/m · sd²``.

The *convergence rate* of a pair (estimator, task) is the least-squares slope ``r`` of
``log rmse = a + r · log n`` over its sample sizes, with the ordinary least-squares standard error
``sqrt(σ̂² / Σ (log n_i − mean log n)²)``, ``σ̂² = RSS / (k − 2)`` for ``k`` sizes (Draper & Smith, *Applied
Regression Analysis*, 3rd ed., eq. (1.4.5)). It needs :data:`MIN_SIZES` sizes with a positive RMSE; a
consistent estimator whose error is dominated by its standard deviation converges at ``r ≈ −1/2``, a
plug-in estimator's bias ``O(1/n)`` at ``r ≈ −1`` while it dominates, and an inconsistent one (a bias that
does not vanish) flattens to ``r ≈ 0``. The slope summarises the sizes measured only; it is not an
asymptotic rate.

Tasks whose ``n`` is a fixed population size rather than a chosen sample size (the quantized-network
tasks) are left out, as are failed and skipped cells.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, SupportsInt, cast

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ibbench.report.leaderboard import Leaderboard

#: fewest distinct sample sizes for a fitted rate (and for the report sections)
MIN_SIZES = 3

KEYS = ["estimator_label", "task_label"]
DECOMPOSITION_COLUMNS = [
    "estimator_label",
    "task_label",
    "task_family",
    "n",
    "n_seeds",
    "true_mi",
    "mean_estimate",
    "bias",
    "sd",
    "rmse",
]
FIT_COLUMNS = ["estimator_label", "task_label", "task_family", "rate", "rate_stderr", "n_min", "n_max", "sizes"]

HEADING = "Error decomposition and convergence"
NOTE = (
    "Per estimator, task and sample size n over the successful seeds, with the errors e = Î − I: bias = mean "
    "of e, sd = seed-to-seed standard deviation of e (ddof 1), RMSE = sqrt(mean of e²) (so RMSE² = bias² + "
    "(m − 1)/m · sd² for m seeds). The rate r is the least-squares slope of log RMSE = a + r · log n over the "
    f"sizes measured (at least {MIN_SIZES}), ± its standard error: about −0.5 when the seed-to-seed spread "
    "dominates, −1 while an O(1/n) bias dominates, about 0 when the error does not vanish (an inconsistent "
    "estimator). Tasks with a fixed population (quantized networks) are left out."
)


def error_decomposition(cells: pd.DataFrame) -> pd.DataFrame:
    """Bias, seed-to-seed sd and RMSE per (estimator, task, n) over the ``ok`` cells (see the module docstring).

    Parameters
    ----------
    cells : stored cells (:func:`ibbench.load_results`), with at least ``estimator_label``, ``task_label``,
        ``task``, ``task_family``, ``n``, ``status``, ``estimate`` and ``true_mi``

    Returns
    -------
    DataFrame with :data:`DECOMPOSITION_COLUMNS`, sorted by estimator, task and n (empty when no ``ok``
    cell of a sampled task has an n)
    """
    from ibbench.report.plot_curves import sampled_cells

    missing = {"estimator_label", "task_label", "task", "task_family", "n", "status", "estimate", "true_mi"}
    missing -= set(cells.columns)
    if missing:
        raise ValueError(f"cells lack the column(s) {sorted(missing)} needed for the error decomposition")
    ok = sampled_cells(cells[(cells["status"] == "ok") & cells["n"].notna()])
    error = ok["estimate"].astype(float) - ok["true_mi"].astype(float)
    ok = ok.assign(_error=error, _estimate=ok["estimate"].astype(float), _truth=ok["true_mi"].astype(float))
    rows = []
    for (estimator, task, n), g in ok.groupby([*KEYS, "n"], sort=True):
        e = g["_error"].to_numpy()
        rows.append(
            {
                "estimator_label": estimator,
                "task_label": task,
                "task_family": g["task_family"].iloc[0],
                "n": int(cast(SupportsInt, n)),
                "n_seeds": len(e),
                "true_mi": float(g["_truth"].mean()),
                "mean_estimate": float(g["_estimate"].mean()),
                "bias": float(e.mean()),
                "sd": float(e.std(ddof=1)) if len(e) > 1 else np.nan,
                "rmse": float(np.sqrt(np.mean(e**2))),
            }
        )
    return pd.DataFrame(rows, columns=DECOMPOSITION_COLUMNS)


def fit_rate(n: Any, error: Any) -> tuple[float, float, float]:
    """Least-squares fit of ``log error = a + r · log n``: ``(r, standard error of r, a)``.

    Points with a non-positive or non-finite error are left out (a log cannot take them); with fewer than
    :data:`MIN_SIZES` distinct sizes left the result is NaN. The standard error is the ordinary
    least-squares one (module docstring); it is 0 for points exactly on a line.
    """
    n, error = np.asarray(n, dtype=float), np.asarray(error, dtype=float)
    if n.shape != error.shape:
        raise ValueError(f"n and error differ in shape: {n.shape} vs {error.shape}")
    keep = np.isfinite(error) & (error > 0) & np.isfinite(n) & (n > 0)
    x, y = np.log(n[keep]), np.log(error[keep])
    if len(np.unique(x)) < MIN_SIZES:
        return (np.nan, np.nan, np.nan)
    dx = x - x.mean()
    sxx = float(np.sum(dx**2))
    rate = float(np.sum(dx * (y - y.mean())) / sxx)
    intercept = float(y.mean() - rate * x.mean())
    residual = y - intercept - rate * x
    sigma2 = float(np.sum(residual**2)) / (len(x) - 2)
    return rate, float(np.sqrt(sigma2 / sxx)), intercept


def convergence_fits(decomposition: pd.DataFrame) -> pd.DataFrame:
    """The fitted RMSE rate per (estimator, task) with at least :data:`MIN_SIZES` sizes.

    Returns a DataFrame with :data:`FIT_COLUMNS` (``n_min``/``n_max``/``sizes``: the sizes the fit used),
    sorted by task, then rate; pairs whose fit is undefined (fewer than :data:`MIN_SIZES` sizes with a
    positive RMSE) are left out.
    """
    rows = []
    for (estimator, task), g in decomposition.groupby(KEYS, sort=True):
        used = g[np.isfinite(g["rmse"]) & (g["rmse"] > 0)]
        rate, stderr, _ = fit_rate(used["n"], used["rmse"])
        if np.isnan(rate):
            continue
        rows.append(
            {
                "estimator_label": estimator,
                "task_label": task,
                "task_family": g["task_family"].iloc[0],
                "rate": rate,
                "rate_stderr": stderr,
                "n_min": int(used["n"].min()),
                "n_max": int(used["n"].max()),
                "sizes": int(used["n"].nunique()),
            }
        )
    fits = pd.DataFrame(rows, columns=FIT_COLUMNS)
    return fits.sort_values(["task_label", "rate", "estimator_label"]).reset_index(drop=True)


def has_convergence(decomposition: pd.DataFrame) -> bool:
    """Whether some (estimator, task) was measured at :data:`MIN_SIZES` or more sample sizes."""
    if not len(decomposition):
        return False
    return bool((decomposition.groupby(KEYS)["n"].nunique() >= MIN_SIZES).any())


def rate_text(rate: Any, stderr: Any) -> str:
    """``"-0.49 ± 0.03"`` (``"–"`` when there is no fit)."""
    if rate is None or pd.isna(rate):
        return "–"
    return f"{float(rate):.2f} ± {float(stderr):.2f}"


def convergence_tables(cells: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """``(decomposition, fits)`` of ``cells``, or None when no pair has :data:`MIN_SIZES` sample sizes."""
    decomposition = error_decomposition(cells)
    if not has_convergence(decomposition):
        return None
    return decomposition, convergence_fits(decomposition)


def convergence_csv(board: Leaderboard) -> list[tuple[str, pd.DataFrame]]:
    """``[("convergence.csv", decomposition), ("convergence_rates.csv", fits)]`` of a leaderboard folder
    (none when no pair has :data:`MIN_SIZES` sample sizes)."""
    tables = convergence_tables(board.cells)
    return [] if tables is None else [("convergence.csv", tables[0]), ("convergence_rates.csv", tables[1])]


_FIT_HEADERS = {
    "estimator_label": "estimator",
    "task_label": "task",
    "rate_text": "rate of RMSE ± s.e.",
    "n_min": "n from",
    "n_max": "n to",
    "sizes": "sizes",
}
_DECOMPOSITION_HEADERS = {
    "estimator_label": "estimator",
    "n": "n",
    "n_seeds": "seeds",
    "true_mi": "true MI",
    "bias": "bias",
    "sd": "sd",
    "rmse": "RMSE",
}


def markdown_section(board: Leaderboard) -> list[str]:
    """The markdown lines of the section (none when no pair has :data:`MIN_SIZES` sample sizes)."""
    from ibbench.report.leaderboard import inline_text, markdown_table

    tables = convergence_tables(board.cells)
    if tables is None:
        return []
    decomposition, fits = tables
    fits = fits.assign(rate_text=[rate_text(r, s) for r, s in zip(fits["rate"], fits["rate_stderr"])])
    families = sorted(decomposition["task_family"].dropna().unique())
    plots = ", ".join(f"plots/convergence_{f}.png" for f in families)
    parts = [f"## {HEADING}", "", NOTE, "", f"Plots (RMSE, |bias| and sd against n, log–log): {plots}.", ""]
    if len(fits):
        parts += [markdown_table(fits, _FIT_HEADERS), ""]
    for task, g in decomposition.groupby("task_label", sort=True):
        parts += [f"### {inline_text(task)}: bias, sd and RMSE", "", markdown_table(g, _DECOMPOSITION_HEADERS), ""]
    return parts


def html_section(board: Leaderboard, images: list[tuple[str, bytes]]) -> str:
    """The HTML of the section with the ``convergence_*`` images of ``images`` ("" when there is no section)."""
    import base64

    from ibbench.report.html import html_cell, html_escape, sortable_table

    tables = convergence_tables(board.cells)
    if tables is None:
        return ""
    decomposition, fits = tables
    parts = [f'<h2 id="convergence">{html_escape(HEADING)}</h2>', f'<p class="note">{html_escape(NOTE)}</p>']
    for name, data in images:
        b64 = base64.b64encode(data).decode("ascii")
        parts.append(
            f'<figure><img alt="{html_escape(name)}" src="data:image/png;base64,{b64}">'
            "<figcaption>RMSE (dashed: fitted rate), |bias| (filled: above the truth, open: below) and sd "
            f"against n ({html_escape(name)})</figcaption>"
            "</figure>"
        )
    fit_rows = [
        "<tr>"
        + html_cell(r["estimator_label"], cls="name", sort="text")
        + html_cell(r["task_label"], cls="name", sort="text")
        + html_cell(r["rate"], text=html_escape(rate_text(r["rate"], r["rate_stderr"])))
        + "".join(html_cell(r[c], text=str(int(r[c]))) for c in ("n_min", "n_max", "sizes"))
        + "</tr>"
        for _, r in fits.iterrows()
    ]
    headers = [(h, c in ("estimator_label", "task_label")) for c, h in _FIT_HEADERS.items()]
    parts.append(sortable_table("convergence-rates", headers, fit_rows))
    for i, (task, g) in enumerate(decomposition.groupby("task_label", sort=True)):
        rows = [
            "<tr>"
            + html_cell(r["estimator_label"], cls="name", sort="text")
            + "".join(html_cell(r[c], text=str(int(r[c]))) for c in ("n", "n_seeds"))
            + "".join(html_cell(r[c]) for c in ("true_mi", "bias", "sd", "rmse"))
            + "</tr>"
            for _, r in g.iterrows()
        ]
        table_headers = [(h, c == "estimator_label") for c, h in _DECOMPOSITION_HEADERS.items()]
        parts.append(
            f"<details><summary><b>{html_escape(task)}</b>: bias, sd and RMSE per n</summary>"
            f"{sortable_table(f'convergence-{i}', table_headers, rows)}</details>"
        )
    return "\n".join(parts)
