"""Which estimator to use for given data: a reader of the committed recommendation table.

The table (``leaderboards/recommendations.csv`` / ``.json``, shipped with the package as
``ibbench/recommendations.json``) is generated from the committed leaderboards by
``python scripts/recommendations.py``, which also writes the documentation page
``docs/which-estimator.md``. It holds, per regime of data kind × dimension × sample size × MI
range, up to five estimator configurations ranked by their error relative to the best estimator run
on the same samples, each with its median fit time and the leaderboard rows behind it. Every pair of
ranked candidates of a regime was run on at least one shared configuration; the regime's estimators
measured on other work are not ranked (column ``not_compared``, named in ``reason``). Only
regimes with committed results are listed; a query outside all of them is answered from the nearest
listed regime of the same kind (:func:`candidates`), and the answer's ``reason`` says so.

Examples
--------
>>> import ibbench
>>> from ibbench.recommend import recommend
>>> choice = recommend(dim=3, n=1000, time_budget=0.1)
>>> estimator = ibbench.get_estimator(choice.estimator, **choice.params)
"""

from __future__ import annotations

import csv
import json
import math
import numbers
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

KINDS = ("continuous", "discrete", "mixed")
#: the table shipped with the package (same content as ``leaderboards/recommendations.json``)
PACKAGE_TABLE = "recommendations.json"


@dataclass(frozen=True)
class Recommendation:
    """One recommended estimator configuration and why.

    Attributes
    ----------
    estimator : str
        Registry name (``ibbench.get_estimator(estimator, **params)``).
    params : dict
        Parameters that differ from the estimator's defaults.
    spec : str
        The same as a CLI spec (``ibbench run --estimators SPEC``).
    label : str
        Leaderboard label of the configuration.
    rank : int
        Its rank in the regime (1 = best); larger when a time budget excluded better ones.
    median_seconds : float
        Median fit time in the evidence (indicative: shared 2-core machines).
    reason : str
        Error, number of configurations, opponents and time behind the choice.
    evidence : tuple of str
        ``"<file>#L<line>"`` of every leaderboard CSV row used (line 1 is the header).
    regime : str
        The regime whose evidence was used.
    in_regime : bool
        Whether the query falls inside ``regime``; False when no listed regime contains it and the
        nearest one was used.
    """

    estimator: str
    params: dict[str, Any]
    spec: str
    label: str
    rank: int
    median_seconds: float
    reason: str
    evidence: tuple[str, ...]
    regime: str
    in_regime: bool


def _upper(value: Any) -> float:
    """A regime's upper limit: JSON null / CSV ``inf`` or empty = no limit."""
    return math.inf if value is None or value == "" else float(value)


def _row(raw: dict[str, Any]) -> dict[str, Any]:
    params = raw["params"]
    evidence = raw["evidence"]
    return {
        **raw,
        "dim_min": float(raw["dim_min"]),
        "dim_max": _upper(raw["dim_max"]),
        "n_min": float(raw["n_min"]),
        "n_max": _upper(raw["n_max"]),
        "mi_min": float(raw["mi_min"]),
        "mi_max": _upper(raw["mi_max"]),
        "rank": int(raw["rank"]),
        "configs": int(raw["configs"]),
        "wins": int(raw["wins"]),
        "pairwise": int(raw["pairwise"]),
        "not_compared": "" if raw["not_compared"] is None else str(raw["not_compared"]),
        "score": float(raw["score"]),
        "mean_rel_error": float(raw["mean_rel_error"]),
        "median_seconds": float(raw["median_seconds"]),
        "params": json.loads(params) if isinstance(params, str) else dict(params),
        "evidence": tuple(evidence.split("; ") if isinstance(evidence, str) else evidence),
    }


def load_table(path: str | Path | None = None) -> list[dict[str, Any]]:
    """The recommendation table as a list of rows (one per regime × rank).

    Parameters
    ----------
    path : str, Path or None
        A ``.csv`` or ``.json`` file written by ``scripts/recommendations.py``; None = the table
        shipped with the package.

    Raises
    ------
    ValueError
        The file is neither ``.csv`` nor ``.json``, or lacks the table's columns.
    """
    if path is None:
        text = resources.files("ibbench").joinpath(PACKAGE_TABLE).read_text(encoding="utf-8")
        raw_rows = json.loads(text)["recommendations"]
    else:
        path = Path(path)
        if path.suffix == ".json":
            raw_rows = json.loads(path.read_text(encoding="utf-8"))["recommendations"]
        elif path.suffix == ".csv":
            with path.open(newline="", encoding="utf-8") as handle:
                raw_rows = list(csv.DictReader(handle))
        else:
            raise ValueError(f"recommendation table must be a .csv or .json file, got {path}")
    try:
        return [_row(raw) for raw in raw_rows]
    except KeyError as exc:
        raise ValueError(f"not a recommendation table ({path or PACKAGE_TABLE}): no column {exc}") from exc


def _check_query(dim: Any, n: Any, mi: Any, time_budget: Any, kind: Any) -> None:
    def positive_int(name: str, value: Any, least: int) -> None:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < least:
            raise ValueError(f"{name} must be an integer >= {least}, got {value!r}")

    positive_int("dim", dim, 1)
    positive_int("n", n, 2)
    if mi is not None and (isinstance(mi, bool) or not isinstance(mi, numbers.Real) or not 0 <= float(mi) < math.inf):
        raise ValueError(f"mi must be None (unknown) or a finite MI >= 0 in nats, got {mi!r}")
    if time_budget is not None and (
        isinstance(time_budget, bool) or not isinstance(time_budget, numbers.Real) or not float(time_budget) > 0
    ):
        raise ValueError(f"time_budget must be None or seconds per fit > 0, got {time_budget!r}")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")


def _log_gap(value: float, low: float, high: float) -> float:
    """How far ``value`` lies outside ``[low, high]``, as a log ratio (0 inside)."""
    if value < low:
        return math.log(low / value)
    if value > high:
        return math.log(value / high)
    return 0.0


def _distance(row: dict[str, Any], dim: int, n: int, mi: float | None) -> float:
    """Distance of a query from a regime: log-ratio gaps of dimension (weight 2) and n, plus the MI
    gap in nats (weight 1/2); 0 inside the regime."""
    mi_gap = 0.0 if mi is None else max(row["mi_min"] - mi, mi - row["mi_max"], 0.0)
    if mi is not None and mi == row["mi_max"]:  # MI ranges are half-open: [mi_min, mi_max)
        mi_gap = 1e-9
    return 2 * _log_gap(dim, row["dim_min"], row["dim_max"]) + _log_gap(n, row["n_min"], row["n_max"]) + mi_gap / 2


def candidates(
    dim: int, n: int, mi: float | None = None, kind: str = "continuous", table: str | Path | None = None
) -> list[Recommendation]:
    """Every ranked candidate of the regime of ``(dim, n, mi, kind)``, best first.

    Parameters are those of :func:`recommend` (without ``time_budget``). When no listed regime
    contains the query, the nearest one of the same kind (and MI known / unknown) is used: the
    smallest ``2 · dimension gap + sample-size gap`` (log ratios outside the regime's range) ``+ MI
    gap / 2`` (nats); each candidate's ``reason`` then names it.
    """
    _check_query(dim, n, mi, None, kind)
    rows = [r for r in load_table(table) if r["kind"] == kind and (r["mi_range"] == "any") == (mi is None)]
    if not rows:
        raise ValueError(f"the recommendation table has no regime for kind={kind!r}")
    distances = {r["regime"]: _distance(r, dim, n, mi) for r in rows}
    regime = min(distances, key=lambda name: distances[name])  # ties: the first listed
    inside = distances[regime] == 0.0
    note = "" if inside else f". No committed result matches dim={dim}, n={n}"
    if note and mi is not None:
        note += f", MI={mi:g}"
    if note:
        note += f"; this is the nearest regime with results ({regime})"
    return [
        Recommendation(
            r["estimator"],
            r["params"],
            r["spec"],
            r["label"],
            r["rank"],
            r["median_seconds"],
            r["reason"] + note + ".",
            r["evidence"],
            regime,
            inside,
        )
        for r in sorted((r for r in rows if r["regime"] == regime), key=lambda r: r["rank"])
    ]


def recommend(
    dim: int,
    n: int,
    mi: float | None = None,
    time_budget: float | None = None,
    kind: str = "continuous",
    table: str | Path | None = None,
) -> Recommendation:
    """The estimator the committed leaderboards recommend for data like yours.

    Parameters
    ----------
    dim : int
        Dimension of the larger side (``max(X.shape[1], Y.shape[1])``), >= 1.
    n : int
        Number of samples, >= 2.
    mi : float or None
        Expected MI in nats if you have a rough idea (selects the ``< 2`` or ``>= 2`` nats
        range); None = unknown (evidence of both ranges pooled).
    time_budget : float or None
        Seconds per fit you can afford: the best candidate whose median fit time in the evidence
        is within it. The times were measured at the evidence's sample sizes on a shared 2-core
        machine: treat them as orders of magnitude.
    kind : {"continuous", "discrete", "mixed"}
        Kind of data: both sides continuous, both discrete, or one of each.
    table : str, Path or None
        A recommendation table file (``.csv`` or ``.json``); None = the one shipped with ibbench.

    Returns
    -------
    Recommendation
        With the estimator's registry name and parameters, the reason and the evidence.

    Raises
    ------
    ValueError
        An invalid query (naming the argument), or no candidate within ``time_budget``.
    """
    _check_query(dim, n, mi, time_budget, kind)
    ranked = candidates(dim, n, mi, kind, table)
    if time_budget is None:
        return ranked[0]
    for choice in ranked:
        if choice.median_seconds <= time_budget:
            if choice.rank == 1:
                return choice
            best = ranked[0]
            note = (
                f" Chosen for the time budget of {time_budget:g} s: the first choice, {best.label}, "
                f"takes {best.median_seconds:.3g} s."
            )
            return Recommendation(**{**choice.__dict__, "reason": choice.reason + note})
    fastest = min(ranked, key=lambda c: c.median_seconds)
    raise ValueError(
        f"no recommended estimator fits a time budget of {time_budget:g} s per fit in regime "
        f"{ranked[0].regime!r}; the fastest candidate, {fastest.label}, takes {fastest.median_seconds:.3g} s"
    )
