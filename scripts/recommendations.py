"""Which estimator to use, by regime, from the committed leaderboards.

Reads the committed result tables under ``leaderboards/`` (never a store, never a new run), turns
every estimator × task configuration in them into one *evidence* row (kind of data, dimension, n,
true MI, error, time, and the file and row it comes from), and picks, for every regime of kind ×
dimension × sample size × MI range, the estimators with the smallest error relative to the best
estimator compared on the same samples. Writes:

* ``leaderboards/recommendations.csv`` and ``leaderboards/recommendations.json``: the table (one row
  per regime and candidate rank), read by :func:`ibbench.recommend.recommend`;
* ``ibbench/recommendations.json``: the same JSON, shipped with the package (package data);
* ``docs/which-estimator.md``: the "which estimator should I use?" page.

Usage (from the repository root, in the project's environment)::

    python scripts/recommendations.py          # write the four files
    python scripts/recommendations.py --check  # exit 1 if a committed file differs from a fresh build

Scoring (per regime): each configuration (one task configuration at one n in one source file, every
estimator on the same samples) has a best relative error ``min_e r(e)``, with ``r = min(|Î − I| /
max(I, 1 nat), 1)`` (mean absolute error over seeds where the source has it, else the absolute mean
error) and failed cells counted as ``r = 1``. An estimator's *regret* in a configuration is ``r(e) −
min r``; its score is its mean regret over the configurations it was run on, shrunk towards the
regime's mean regret by ``PRIOR_CONFIGS`` pseudo-configurations so that one lucky configuration does
not outrank many good ones.

Comparison group (never rank things measured on different work): two estimator configurations are
*compared* when they were run on at least one shared configuration. Taking the estimator
configurations of the regime in order of most configurations (then score), each joins the group if
it shares a configuration with every member already in it, so every pair of ranked candidates shares
evidence. Members are ranked by pairwise comparisons restricted to the configurations each pair
shares (Copeland: pairs with the smaller mean relative error on their shared configurations minus
pairs with the larger), then by score, then by median fit time. The regime's other estimator
configurations are listed as not compared with the ranked ones (``not_compared``).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from ibbench.registry import get_estimator_class, get_task, parse_value
from ibbench.runner import params_label
from ibbench.serial import jsonable

ROOT = Path(__file__).resolve().parents[1]
CSV_OUT = "leaderboards/recommendations.csv"
JSON_OUT = "leaderboards/recommendations.json"
PACKAGE_JSON_OUT = "ibbench/recommendations.json"
PAGE_OUT = "docs/which-estimator.md"

KINDS = ("continuous", "discrete", "mixed")
#: (label, lowest, highest) per axis; dimension = the larger of the two sides' dimensions
DIM_BINS = (("1", 1, 1), ("2–5", 2, 5), ("6–50", 6, 50), ("> 50", 51, math.inf))
N_BINS = (("< 500", 2, 499), ("500–2,999", 500, 2999), ("≥ 3,000", 3000, math.inf))
#: MI in nats; "any" pools both ranges (the answer when the MI is not known in advance)
MI_BINS = (("< 2 nats", 0.0, 2.0), ("≥ 2 nats", 2.0, math.inf), ("any", 0.0, math.inf))
#: pseudo-configurations at the regime's mean regret added to every candidate's mean (shrinkage)
PRIOR_CONFIGS = 2
#: candidates kept per regime
TOP = 5
#: estimators never recommended: peer adapters (registered only with a peer environment) are
#: evidence for the others but not candidates; upper bounds (club) do not aim at the MI
NOT_CANDIDATES = re.compile(r"^(bmi-|latentmi-)")

COLUMNS = [
    "regime",
    "kind",
    "dim_min",
    "dim_max",
    "n_min",
    "n_max",
    "mi_range",
    "mi_min",
    "mi_max",
    "rank",
    "estimator",
    "params",
    "spec",
    "label",
    "score",
    "configs",
    "wins",
    "mean_rel_error",
    "median_seconds",
    "compared_with",
    "pairwise",
    "not_compared",
    "reason",
    "evidence",
]


# -- labels ------------------------------------------------------------------------------------
def _split_top_level(text: str) -> list[str]:
    """``"a=1, b=[1, 2]"`` → ``["a=1", "b=[1, 2]"]`` (commas inside brackets kept)."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += char in "[{("
        depth -= char in "]})"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def _params(items: list[str]) -> dict[str, Any]:
    params = {}
    for item in items:
        key, eq, value = item.partition("=")
        if not eq:
            raise ValueError(f"cannot read parameter {item!r}: expected key=value")
        params[key.strip()] = parse_value(value)
    return params


def parse_label(label: str) -> tuple[str, dict[str, Any]]:
    """A leaderboard label ``name(k=v, ...)`` (as ``ibbench.runner.params_label`` writes it) → ``(name, params)``."""
    match = re.fullmatch(r"([^()\s]+)(?:\((.*)\))?", label.strip())
    if match is None:
        raise ValueError(f"cannot read the label {label!r}")
    return match.group(1), _params(_split_top_level(match.group(2) or ""))


def parse_table_task(text: str) -> tuple[str, dict[str, Any]]:
    """A task as the study tables write it, ``"gaussian-dense dim=1, mi=4.0"`` → ``(name, params)``."""
    name, _, rest = text.strip().partition(" ")
    return name, _params(_split_top_level(rest))


@dataclass(frozen=True)
class TaskInfo:
    kind: str
    dim: int
    dims: str


def task_info(name: str, params: dict[str, Any]) -> TaskInfo:
    """Kind of data and dimensions of a registered task (built only, never sampled)."""
    return _task_info(name, json.dumps(params, sort_keys=True))


@cache
def _task_info(name: str, params_json: str) -> TaskInfo:
    params = json.loads(params_json)
    task = get_task(name, **{k: v for k, v in params.items() if v is not None})
    kinds = {task.x_kind, task.y_kind}
    kind = kinds.pop() if len(kinds) == 1 else "mixed"
    return TaskInfo(kind, max(task.dim_x, task.dim_y), f"{task.dim_x}+{task.dim_y}")


@cache
def _defaults(name: str) -> dict[str, Any]:
    return jsonable(get_estimator_class(name)().get_params(deep=False))


def estimator_key(name: str, params: dict[str, Any]) -> tuple[str, dict[str, Any], str, str]:
    """``(name, non-default params, CLI spec, label)`` of an estimator configuration."""
    defaults = _defaults(name)
    changed = {k: v for k, v in jsonable(params).items() if defaults.get(k, object()) != v}
    spec = name + (":" + ";".join(f"{k}={json.dumps(v)}" for k, v in sorted(changed.items())) if changed else "")
    return name, changed, spec, params_label(name, changed, {})


# -- evidence ------------------------------------------------------------------------------------
def _row(
    source: str,
    lines: list[int],
    page: str,
    row: str,
    config: str,
    estimator: tuple[str, dict[str, Any]],
    task: tuple[str, dict[str, Any]],
    n: int,
    true_mi: float,
    error: float,
    error_measure: str,
    failure_rate: float,
    seconds: float,
) -> dict[str, Any]:
    name, params, spec, label = estimator_key(*estimator)
    info = task_info(*task)
    # an estimate off by more than max(I, 1 nat) counts as a failed cell, so that one wild estimate
    # (a KDE at hundreds of nats) does not swamp a regime's average
    rel = min(error / max(true_mi, 1.0), 1.0) if not math.isnan(error) else 1.0
    return {
        "source": source,
        "pointer": f"{source}#" + ",".join(f"L{line}" for line in lines),
        "page": page,
        "row": row,
        "config": config,
        "estimator": name,
        "params": json.dumps(params, sort_keys=True),
        "spec": spec,
        "label": label,
        "task": task[0],
        "kind": info.kind,
        "dim": info.dim,
        "dims": info.dims,
        "n": int(n),
        "true_mi": float(true_mi),
        "error": float(error),
        "error_measure": error_measure,
        "failure_rate": float(failure_rate),
        "rel_error": (1.0 - failure_rate) * rel + failure_rate * 1.0,
        "seconds": float(seconds),
    }


def _read(source: str) -> list[tuple[int, dict[str, str]]]:
    """``(line number, row)`` of every data row of a committed CSV (line 1 is the header)."""
    with (ROOT / source).open(newline="", encoding="utf-8") as handle:
        return list(enumerate(csv.DictReader(handle), start=2))


def _groups(folder: str) -> list[dict[str, Any]]:
    """Rows of a leaderboard folder's ``groups.csv``: ranked (``overall``) tasks, estimates only."""
    source = f"leaderboards/{folder}/groups.csv"
    rows = []
    for line, g in _read(source):
        if g["task_role"] != "overall" or g["estimator_bound"] != "estimate" or NOT_CANDIDATES.match(g["estimator"]):
            continue
        failure, n = float(g["failure_rate"]), int(float(g["n"]))
        rows.append(
            _row(
                source,
                [line],
                f"leaderboards/{folder}/leaderboard.md",
                f"{g['estimator_label']} | {g['task_label']} | n={n}",
                f"{source} | {g['task_label']} | n={n}",
                parse_label(g["estimator_label"]),
                parse_label(g["task_label"]),
                n,
                float(g["true_mi"]),
                float(g["mae"]) if failure < 1 else math.nan,
                "mae",
                failure,
                float(g["median_cold_seconds"]) if failure < 1 else math.nan,
            )
        )
    return rows


#: estimator labels of the study tables → (registry name, params), as their scripts define them
NONPARAMETRIC: dict[str, tuple[str, dict[str, Any]]] = {
    "ksg (k=5)": ("ksg", {"k": 5}),
    "ksg-lnc (k=5)": ("ksg-lnc", {"k": 5}),
    "gcmi": ("gcmi", {}),
    "mixed-ksg (paper)": ("mixed-ksg", {"variant": "paper"}),
    "mixed-ksg (reference)": ("mixed-ksg", {"variant": "reference"}),
}
DISCRETE_BIAS: dict[str, tuple[str, dict[str, Any]]] = {
    "plug-in (exact)": ("exact", {}),
    "Miller–Madow (exact, miller_madow)": ("exact", {"miller_madow": True}),
    "Chao–Shen (chao-shen)": ("chao-shen", {}),
    "NSB (nsb)": ("nsb", {}),
}


def _mapped(table: dict[str, tuple[str, dict[str, Any]]], label: str, source: str) -> tuple[str, dict[str, Any]]:
    if label not in table:
        raise ValueError(f"{source}: unknown estimator label {label!r}; add it to scripts/recommendations.py")
    return table[label]


def _nonparametric() -> list[dict[str, Any]]:
    source = "leaderboards/nonparametric/table.csv"
    rows = []
    for line, r in _read(source):
        rows.append(
            _row(
                source,
                [line],
                "leaderboards/nonparametric/table.md",
                f"{r['section']} | {r['task']} | {r['estimator']}",
                f"{source} | {r['task']}",
                _mapped(NONPARAMETRIC, r["estimator"], source),
                parse_table_task(r["task"]),
                int(r["n"]),
                float(r["true_mi"]),
                abs(float(r["mean_error"])),
                "|mean error|",
                0.0,
                float(r["median_time_s"]),
            )
        )
    return rows


def _neural_bounds() -> list[dict[str, Any]]:
    """``gaussian-dense`` 2+2, n = 5000, estimators at their defaults (see the table's page)."""
    source = "leaderboards/neural-bounds/table.csv"
    rows = []
    for line, r in _read(source):
        true_mi = float(r["true_mi"])
        estimates = [float(v) for v in r["estimates"].split()]
        rows.append(
            _row(
                source,
                [line],
                "leaderboards/neural-bounds/table.md",
                f"{r['estimator']} | true MI {true_mi:g}",
                f"{source} | mi={true_mi:g}",
                (r["estimator"], {}),
                ("gaussian-dense", {"dim": 2, "mi": true_mi}),
                5000,
                true_mi,
                sum(abs(v - true_mi) for v in estimates) / len(estimates),
                "mae",
                0.0,
                float(r["seconds"]),
            )
        )
    return rows


def _discrete_bias() -> list[dict[str, Any]]:
    source = "leaderboards/discrete-bias/table.csv"
    rows = []
    for line, r in _read(source):
        n_x, n_y, n = int(r["n_x"]), int(r["n_y"]), int(r["n"])
        task = {"n_x": n_x, "n_y": n_y, "concentration": float(r["concentration"]), "table_seed": 0}
        rows.append(
            _row(
                source,
                [line],
                "leaderboards/discrete-bias/table.md",
                f"{n_x}×{n_y} | n={n} | {r['estimator']}",
                f"{source} | {n_x}×{n_y} | n={n}",
                _mapped(DISCRETE_BIAS, r["estimator"], source),
                ("categorical-random", task),
                n,
                float(r["true_mi"]),
                float(r["mean_abs_error"]),
                "mae",
                0.0,
                float(r["mean_fit_seconds"]),
            )
        )
    return rows


def _generative() -> list[dict[str, Any]]:
    """flow and ksg (defaults) on 5+5-dimensional tasks, one row per seed; CLUB (an upper bound,
    whose rows aim at their own target) is left out."""
    source = "leaderboards/generative/table.csv"
    seeds: dict[tuple[str, str, float, int], list[tuple[int, dict[str, str]]]] = {}
    for line, r in _read(source):
        if float(r["target"]) == float(r["true_mi"]):
            seeds.setdefault((r["estimator"], r["task"], float(r["mi"]), int(r["n"])), []).append((line, r))
    rows = []
    for (estimator, task, mi, n), group in sorted(seeds.items()):
        rows.append(
            _row(
                source,
                [line for line, _ in group],
                "leaderboards/generative/table.md",
                f"{estimator} | {task} mi={mi:g}",
                f"{source} | {task} mi={mi:g}",
                (estimator, {}),
                (task, {"dim": 5, "mi": mi}),
                n,
                float(group[0][1]["true_mi"]),
                sum(abs(float(r["error"])) for _, r in group) / len(group),
                "mae",
                0.0,
                _median(sorted(float(r["wall_s"]) for _, r in group)),
            )
        )
    return rows


#: the evidence readers, in the order their rows are listed
SOURCES: tuple[Callable[[], list[dict[str, Any]]], ...] = (
    lambda: _groups("quick"),
    lambda: _groups("bmi"),
    _nonparametric,
    _neural_bounds,
    _discrete_bias,
    _generative,
)
#: leaderboard folders of suites read when committed (``groups.csv``): the convergence suite
#: (fast estimators at n = 100 … 30,000) is the evidence below n = 1,000
OPTIONAL_GROUPS = ("convergence",)


Evidence = list[dict[str, Any]]


def load_evidence() -> Evidence:
    """Every estimator × configuration of the committed tables as one row (see :func:`_row`)."""
    optional = [folder for folder in OPTIONAL_GROUPS if (ROOT / "leaderboards" / folder / "groups.csv").is_file()]
    return [row for read in SOURCES for row in read()] + [row for folder in optional for row in _groups(folder)]


# -- recommendations -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Regime:
    kind: str
    dim: tuple[str, float, float]
    n: tuple[str, float, float]
    mi: tuple[str, float, float]

    @property
    def name(self) -> str:
        return f"{self.kind} | dim {self.dim[0]} | n {self.n[0]} | MI {self.mi[0]}"

    def select(self, evidence: Evidence) -> Evidence:
        return [
            e
            for e in evidence
            if e["kind"] == self.kind
            and self.dim[1] <= e["dim"] <= self.dim[2]
            and self.n[1] <= e["n"] <= self.n[2]
            and self.mi[1] <= e["true_mi"] < self.mi[2]
        ]


def regimes() -> list[Regime]:
    return [Regime(k, d, n, m) for k in KINDS for d in DIM_BINS for n in N_BINS for m in MI_BINS]


def candidates(records: Evidence) -> list[dict[str, Any]]:
    """Ranked candidates of one regime's evidence (its comparison group, :func:`rank_compared`), best
    first, with score, wins, pairwise score, the regime's estimators not compared, and the evidence rows."""
    best: dict[str, float] = {}
    for r in records:
        best[r["config"]] = min(best.get(r["config"], math.inf), r["rel_error"])
    by_spec: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        by_spec.setdefault(r["spec"], []).append({**r, "regret": r["rel_error"] - best[r["config"]]})
    prior = sum(r["rel_error"] - best[r["config"]] for r in records) / len(records)
    labels_in: dict[str, set[str]] = {}
    for r in records:
        labels_in.setdefault(r["config"], set()).add(r["label"])
    out = []
    for spec, g in sorted(by_spec.items()):
        label = g[0]["label"]
        others = sorted(set().union(*(labels_in[r["config"]] for r in g)) - {label})
        seconds = sorted(r["seconds"] for r in g if not math.isnan(r["seconds"]))
        out.append(
            {
                "estimator": g[0]["estimator"],
                "params": g[0]["params"],
                "spec": spec,
                "label": label,
                "score": (sum(r["regret"] for r in g) + PRIOR_CONFIGS * prior) / (len(g) + PRIOR_CONFIGS),
                "configs": len(g),
                "wins": sum(r["regret"] <= 1e-12 for r in g),
                "mean_rel_error": sum(r["rel_error"] for r in g) / len(g),
                "median_seconds": _median(seconds),
                "compared_with": ", ".join(others),
                "n_compared": len(others),
                "evidence": "; ".join(r["pointer"] for r in g),
            }
        )
    return rank_compared(sorted(out, key=lambda c: (c["score"], c["median_seconds"], c["spec"])), records)


def rank_compared(scored: list[dict[str, Any]], records: Evidence) -> list[dict[str, Any]]:
    """The comparison group of a regime, ranked by pairwise comparisons on shared configurations.

    ``scored`` are the regime's candidates (:func:`candidates`); the group is built greedily from
    the candidates with the most configurations, each joining when it shares a configuration with
    every member (see the module docstring). Every returned candidate gets ``pairwise`` (Copeland
    score within the group) and ``not_compared`` (labels of the regime's candidates outside it).
    """
    errors: dict[str, dict[str, float]] = {}
    for r in records:
        errors.setdefault(r["spec"], {})[r["config"]] = r["rel_error"]
    group: list[dict[str, Any]] = []
    for c in sorted(scored, key=lambda c: (-c["configs"], c["score"], c["median_seconds"], c["spec"])):
        if all(errors[c["spec"]].keys() & errors[m["spec"]].keys() for m in group):
            group.append(c)
    members = {c["spec"] for c in group}
    not_compared = ", ".join(c["label"] for c in scored if c["spec"] not in members)

    def mean_on(spec: str, shared: set[str]) -> float:
        return sum(errors[spec][config] for config in shared) / len(shared)

    for c in group:
        copeland = 0
        for other in group:
            shared = errors[c["spec"]].keys() & errors[other["spec"]].keys()
            if other is not c:
                mine, theirs = mean_on(c["spec"], shared), mean_on(other["spec"], shared)
                copeland += (mine < theirs) - (mine > theirs)
        c.update(pairwise=copeland, not_compared=not_compared)
    return sorted(group, key=lambda c: (-c["pairwise"], c["score"], c["median_seconds"], c["spec"]))


def _median(values: list[float]) -> float:
    if not values:
        return math.nan
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def _reason(c: dict[str, Any]) -> str:
    against = (
        f"with {c['n_compared']} other estimator configuration(s) on the same samples"
        if c["n_compared"]
        else "with no other estimator on the same samples"
    )
    left_out = (
        "; not compared with the ranked ones (no configuration shared with every one of them), so not ranked: "
        + c["not_compared"]
        if c["not_compared"]
        else ""
    )
    return (
        f"{c['label']}: mean relative error {c['mean_rel_error']:.3f} over {c['configs']} configuration(s), "
        f"the best in {c['wins']}, compared {against}; pairwise score {c['pairwise']:+d} against the other "
        f"ranked candidates on shared configurations; median fit {c['median_seconds']:.3g} s{left_out}"
    )


def _sig(value: float) -> float:
    """4 significant digits: the table stays the same across platforms' last-bit differences."""
    return float(f"{value:.4g}")


def recommendation_table(evidence: Evidence) -> pd.DataFrame:
    """One row per regime with evidence × candidate rank (top :data:`TOP`)."""
    rows = []
    for regime in regimes():
        selected = regime.select(evidence)
        if not selected:
            continue
        for rank, c in enumerate(candidates(selected)[:TOP], start=1):
            rows.append(
                {
                    "regime": regime.name,
                    "kind": regime.kind,
                    "dim_min": regime.dim[1],
                    "dim_max": regime.dim[2],
                    "n_min": regime.n[1],
                    "n_max": regime.n[2],
                    "mi_range": regime.mi[0],
                    "mi_min": regime.mi[1],
                    "mi_max": regime.mi[2],
                    "rank": rank,
                    **{
                        k: c[k]
                        for k in (
                            "estimator",
                            "params",
                            "spec",
                            "label",
                            "configs",
                            "wins",
                            "compared_with",
                            "pairwise",
                            "not_compared",
                        )
                    },
                    "score": _sig(c["score"]),
                    "mean_rel_error": _sig(c["mean_rel_error"]),
                    "median_seconds": _sig(c["median_seconds"]),
                    "reason": _reason(c),
                    "evidence": c["evidence"],
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)


# -- outputs -------------------------------------------------------------------------------------
def table_json(table: pd.DataFrame) -> str:
    records = []
    for row in table.to_dict("records"):
        row = {k: (None if isinstance(v, float) and math.isinf(v) else v) for k, v in row.items()}
        row["params"] = json.loads(row["params"])
        row["evidence"] = row["evidence"].split("; ")
        records.append(row)
    meta = {
        "generated_by": "python scripts/recommendations.py",
        "regimes": "dim = the larger side's dimension, n = sample size, MI in nats; a null maximum = no limit",
        "score": "mean excess relative error over the best estimator on the same samples, shrunk; lower is better",
        "evidence": "<file>#L<line>: lines of the committed leaderboard CSVs (line 1 = the header)",
    }
    return json.dumps({"meta": meta, "recommendations": records}, indent=1, ensure_ascii=False) + "\n"


def _link(path: str, text: str | None = None) -> str:
    """A link from ``docs/`` to a repository file (the docs site serves ``leaderboards/`` too)."""
    return f"[{text or f'`{path}`'}](../{path})"


INTRO = """\
# Which estimator should I use?

Generated by `python scripts/recommendations.py` from the committed leaderboards; do not edit by hand.
The same table, machine-readable: {csv} and {json}; from Python, {api}:

```python
import ibbench
from ibbench.recommend import recommend

choice = recommend(dim=3, n=1000, mi=None, time_budget=1.0, kind="continuous")
print(choice.spec, choice.reason, choice.evidence[:3])
estimator = ibbench.get_estimator(choice.estimator, **choice.params)
```

**How to read it.** *dim* is the larger of the two sides' dimensions, *n* the sample size, MI in
nats; *kind* is `continuous` (both sides), `discrete` (both) or `mixed` (one of each). Every estimator
configuration is compared with the best estimator run on the same samples (same task configuration
and n in the same file): relative error `min(|Î − I| / max(I, 1 nat), 1)`, a failed cell counting
as 1. *Score* is the mean excess of its relative error over the best one's (0 = best everywhere),
shrunk towards the regime's average by {prior} pseudo-configurations so that thin evidence ranks lower;
*best in* counts the configurations where it had the smallest error. Only estimators measured on
the same work are ranked together: every pair of ranked candidates in a regime was run on at least
one shared configuration (the group is formed from the estimators with the most configurations
first), and they are ranked by *pairwise*, the number of other ranked candidates each has a smaller
mean relative error than on the configurations the two share minus the number with a larger one,
then by score. The regime's other estimators are listed under the table as *not compared with the
ranked ones*. Times are median fit seconds on the shared 2-core machines that produced the tables:
orders of magnitude only.

**What the evidence cannot tell.** It covers what the committed tables ran: mostly Gaussians and
their invertible transforms, a few discrete, mixed and image tasks, at the sample sizes each table
used (every regime below names its sources). An estimator that was not run in a regime cannot be recommended there,
and one compared only with a few others on easy tasks can outrank one that faced harder tasks: read
the *compared with* column, and the rows behind each first choice. A query outside every listed
regime gets the nearest listed regime's answer (dimension weighs most), and its `reason` says so.
Your data are not these tasks: check a recommendation on a task with known MI close to yours
(`ibbench run --estimators SPEC --tasks ...`).
"""


def page_markdown(table: pd.DataFrame, evidence: Evidence) -> str:
    lines = [
        INTRO.format(
            csv=_link(CSV_OUT),
            json=_link(JSON_OUT),
            api="[`ibbench.recommend.recommend`](api.md#ibbench.recommend.recommend)",
            prior=PRIOR_CONFIGS,
        ),
        "## At a glance",
        "",
        "The first choice of each regime with the MI unknown (`mi=None`), and the fastest of its top five.",
        "",
        "| kind | dim | n | first choice | score | configurations | fastest of the top 5 | s/fit |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for regime, g in table[table["mi_range"] == "any"].groupby("regime", sort=False):
        first, fastest = g.iloc[0], g.sort_values(["median_seconds", "rank"], kind="stable").iloc[0]
        kind, dim, n, _ = (part.split(" ", 1)[-1] for part in str(regime).split(" | "))
        anchor = _anchor(str(regime))
        lines.append(
            f"| {kind} | {dim} | {n} | [`{first['label']}`](#{anchor}) | {first['score']:.3f} | "
            f"{first['configs']} | `{fastest['label']}` | {fastest['median_seconds']:.3g} |"
        )
    lines += ["", "## By regime", ""]
    by_name = {r.name: r for r in regimes()}
    for regime, g in table.groupby("regime", sort=False):
        this = by_name[str(regime)]
        rows = this.select(evidence)
        pooled = Regime(this.kind, this.dim, this.n, MI_BINS[-1])
        if this != pooled and rows == pooled.select(evidence):
            continue  # the same evidence as "MI any": listed there
        same = [
            m[0]
            for m in MI_BINS[:-1]
            if this == pooled and rows == Regime(this.kind, this.dim, this.n, m).select(evidence)
        ]
        lines += [
            f"### {regime}",
            "",
            f"{len({r['config'] for r in rows})} configuration(s) from "
            + ", ".join(_link(p) for p in sorted({r["page"] for r in rows}))
            + "."
            + (f" All of them have MI {same[0]}, so that range's answer is the same." if same else ""),
            "",
            "| rank | estimator | pairwise | score | best in | mean rel. error | s/fit | compared with |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for c in g.itertuples(index=False):
            others = len(_split_top_level(str(c.compared_with)))
            lines.append(
                f"| {c.rank} | `{c.label}` | {c.pairwise:+d} | {c.score:.3f} | {c.wins} of {c.configs} | "
                f"{c.mean_rel_error:.3f} | {c.median_seconds:.3g} | {others} other(s) |"
            )
        first = g.iloc[0]
        outside = _split_top_level(str(first["not_compared"]))
        if outside:
            lines += [
                "",
                "Not compared with the ranked ones (no configuration shared with every ranked candidate): "
                + ", ".join(f"`{label}`" for label in outside)
                + ".",
            ]
        best = [r for r in rows if r["spec"] == first["spec"]]
        lines += ["", f"Rows behind `{first['label']}` (error in nats, fit seconds):", ""]
        for r in best:
            lines.append(
                f"* [{r['pointer'].partition('#')[2]}](../{r['pointer']}) of "
                f"{_link(r['page'], r['page'].split('/')[1])}: `{r['row']}`: {r['error_measure']} {r['error']:.3g} "
                f"(true MI {r['true_mi']:.3g}, {r['dims']} dims, n = {r['n']}), {r['seconds']:.3g} s"
            )
        lines.append("")
    return "\n".join(lines)


def _anchor(heading: str) -> str:
    """The id mkdocs (python-markdown's toc) gives a heading: lower case, word characters and hyphens."""
    slug = re.sub(r"[^\w\s-]", "", heading.lower()).strip()
    return re.sub(r"[-\s]+", "-", slug)


def outputs() -> dict[str, str]:
    """``{repository path: content}`` of every file this script writes."""
    evidence = load_evidence()
    table = recommendation_table(evidence)
    as_json = table_json(table)
    return {
        CSV_OUT: table.to_csv(index=False, lineterminator="\n"),
        JSON_OUT: as_json,
        PACKAGE_JSON_OUT: as_json,
        PAGE_OUT: page_markdown(table, evidence),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed files, write nothing")
    args = parser.parse_args(argv)
    stale = []
    for path, content in outputs().items():
        target = ROOT / path
        if args.check:
            if not target.exists() or target.read_text(encoding="utf-8") != content:
                stale.append(path)
        else:
            target.write_text(content, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print("out of date (run python scripts/recommendations.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
