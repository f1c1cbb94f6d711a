"""Short, unique labels of estimator configurations for reports, with a legend of their full parameters.

A stored cell keeps its full label (``compressed-ae(estimator=kl, estimator_params={'k': 1}, ...)``, made by
:func:`ibbench.runner.params_label`); it is part of what identifies the cell in a store and never changes.
The short label is presentation only: the estimator's name followed by the parameters that differ from its
defaults (for stored cells: those their full label names, :func:`label_defaults`), with abbreviated names
(``ksg(k=10)``, ``mine(ns=200)``, ``binning(nb=100)``), and a compression wrapper written as
``<compression>→<inner estimator>`` (``pca→wkl``, ``ae(nc=4)→kl(k=1)``). Tables show the short labels and
a legend (:func:`legend`) maps each one back to the estimator and its full parameters.

Abbreviation rules (deterministic):

* a parameter name of several ``_``-separated words becomes their initials (``n_steps`` → ``ns``), a
  one-word name of up to 4 letters stays whole (``k``, ``lr``, ``bins``), a longer one keeps its first 3
  letters (``hidden`` → ``hid``); two names of one label that would abbreviate alike stay whole;
* a ``*_x`` / ``*_y`` pair with equal values is shown once (``n_components_x=2, n_components_y=2`` →
  ``nc=2``), else as ``ncx=2,ncy=4``;
* values are compact: lists joined by ``x`` (``hidden=[32, 32]`` → ``hid=32x32``), floats in ``%g``,
  strings longer than 16 characters cut with ``~`` (the legend has them whole).

Two configurations whose short labels coincide (e.g. values that differ only beyond the cut) get ``#1``,
``#2``, ... in the order of their full labels, so a table's short labels are always unique.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from rich.table import Table

    from ibbench.report.leaderboard import Leaderboard
    from ibbench.scoring import Ranking

#: the arrow between a compression wrapper and the estimator it runs on the latents
ARROW = "→"
#: registry names of compression wrappers start with this; the rest is the wrapper's short name
WRAPPER_PREFIX = "compressed-"
#: the parameters of a wrapper that name its inner estimator (shown after the arrow)
INNER_PARAMS = ("estimator", "estimator_params")
#: longest value shown in a short label; longer values are cut with ``~``
MAX_VALUE_LENGTH = 16
#: the legend's columns
LEGEND_COLUMNS = {"label": "label", "estimator": "estimator", "parameters": "parameters (non-default)"}
#: the sentence above a legend (markdown and HTML)
LEGEND_NOTE = (
    "Tables name each estimator configuration by a short label: the estimator followed by its non-default "
    "parameters, abbreviated (a compression wrapper as compression→inner estimator, e.g. pca→wkl). "
    "Each label's full parameters:"
)


@cache
def _registered_defaults(name: str) -> str | None:
    """The default parameters of registered estimator ``name`` as canonical JSON; None if it cannot be loaded."""
    from ibbench.registry import get_estimator_class
    from ibbench.serial import jsonable

    try:
        cls = get_estimator_class(name)
        return json.dumps(jsonable(cls().get_params(deep=False)), sort_keys=True)
    except Exception:  # noqa: BLE001 - an uninstalled or broken plug-in: its defaults are unknown
        return None


def default_params(name: str) -> dict[str, Any] | None:
    """The default parameters of registered estimator ``name`` (JSON types); None if it cannot be loaded."""
    text = _registered_defaults(name)
    return None if text is None else dict(json.loads(text))


def changed_params(params: Mapping[str, Any], defaults: Mapping[str, Any] | None) -> dict[str, Any]:
    """The parameters whose value differs from the default (all but None values when the defaults are
    unknown)."""
    if defaults is None:
        return {k: v for k, v in params.items() if v is not None}
    missing = object()
    return {k: v for k, v in params.items() if defaults.get(k, missing) != v}


def abbreviate(name: str) -> str:
    """A parameter name abbreviated: initials of its ``_``-separated words, or a short word whole, or the
    first 3 letters of a longer word (``n_steps`` → ``ns``, ``k`` → ``k``, ``hidden`` → ``hid``)."""
    words = [w for w in name.split("_") if w]
    if len(words) > 1:
        return "".join(w[0] for w in words)
    return name if len(name) <= 4 else name[:3]


def short_value(value: Any) -> str:
    """A parameter value in a short label: lists joined by ``x``, floats in ``%g``, long text cut with ``~``."""
    if isinstance(value, (list, tuple)):
        text = "x".join(short_value(v) for v in value)
    elif isinstance(value, dict):
        text = "{" + ",".join(f"{k}={short_value(v)}" for k, v in sorted(value.items())) + "}"
    elif isinstance(value, float):
        text = f"{value:g}"
    else:
        text = str(value)
    return text if len(text) <= MAX_VALUE_LENGTH else text[: MAX_VALUE_LENGTH - 1] + "~"


def _paired(params: Mapping[str, Any]) -> list[tuple[str, str, Any]]:
    """``(name to abbreviate, suffix, value)`` per shown parameter: an equal ``*_x``/``*_y`` pair once."""
    out = []
    for key in sorted(params):
        base, side = (key[:-2], key[-1]) if key[-2:] in ("_x", "_y") else (key, "")
        partner = f"{base}_{'y' if side == 'x' else 'x'}"
        if side and partner in params and params[partner] == params[key]:
            if side == "x":
                out.append((base, "", params[key]))
            continue  # the pair is shown once, as its base name
        out.append((base, side, params[key]))
    return out


def _param_text(params: Mapping[str, Any]) -> str:
    """``(k=10,ns=200)`` of the shown parameters, or "" for none."""
    if not params:
        return ""
    items = _paired(params)
    names = [abbreviate(base) + side for base, side, _ in items]
    clashing = {n for n in names if names.count(n) > 1}
    parts = [
        f"{(base + ('_' + side if side else '')) if short in clashing else short}={short_value(value)}"
        for (base, side, value), short in zip(items, names)
    ]
    return "(" + ",".join(parts) + ")"


def _is_wrapper(name: str, params: Mapping[str, Any]) -> bool:
    return name.startswith(WRAPPER_PREFIX) and isinstance(params.get("estimator"), str)


def label_defaults(params: Mapping[str, Any], full_label: str) -> dict[str, Any]:
    """The parameters of a stored cell that its full label leaves out, i.e. that were at their defaults when
    the cell ran (the label ``name(key=value, ...)`` of :func:`ibbench.runner.params_label` names the others).

    Reading the stored label instead of today's defaults keeps a store's labels independent of the code
    installed now (a plug-in that cannot be loaded, defaults changed since)."""
    named = full_label[full_label.index("(") :] if "(" in full_label else ""
    return {k: v for k, v in params.items() if f"({k}=" not in named and f", {k}=" not in named}


def short_label(name: str, params: Mapping[str, Any], defaults: Mapping[str, Any] | None = None) -> str:
    """The short label of one estimator configuration (not yet made unique within a table).

    Parameters
    ----------
    name : registered estimator name (``ksg``, ``compressed-ae``)
    params : its parameters (all of them, as stored with a cell, or only the non-default ones)
    defaults : its default parameters (:func:`label_defaults` for a stored cell); None looks them up in the
        registry (all parameters but None values are shown when the estimator cannot be loaded). The
        parameters of a wrapper's inner estimator (``estimator_params``) are shown as given.

    Examples
    --------
    >>> short_label("ksg", {"k": 10, "algorithm": 1}, {"k": 3, "algorithm": 1})
    'ksg(k=10)'
    >>> short_label("compressed-pca", {"estimator": "wkl", "estimator_params": None}, {"estimator": "ksg"})
    'pca→wkl'
    """
    defaults = default_params(name) if defaults is None else defaults
    shown = changed_params(params, defaults)
    if not _is_wrapper(name, params):
        return name.removeprefix("__main__:") + _param_text(shown)
    own = {k: v for k, v in shown.items() if k not in INNER_PARAMS}
    inner = str(params["estimator"])
    inner_params = params.get("estimator_params") or {}
    inner_label = short_label(inner, inner_params, {}) if isinstance(inner_params, dict) else inner
    return name[len(WRAPPER_PREFIX) :] + _param_text(own) + ARROW + inner_label


def unique_labels(short: Mapping[str, str]) -> dict[str, str]:
    """``{full label: short label}`` made unique: short labels shared by several full labels get ``#1``,
    ``#2``, ... in the order of the full labels (skipping any label already taken)."""
    out = dict(short)
    taken = set(short.values())
    by_short: dict[str, list[str]] = {}
    for full, label in short.items():
        by_short.setdefault(label, []).append(full)
    for label, fulls in sorted(by_short.items()):
        if len(fulls) < 2:
            continue
        number = 0
        for full in sorted(fulls):
            number += 1
            while f"{label}#{number}" in taken:
                number += 1
            out[full] = f"{label}#{number}"
            taken.add(out[full])
    return out


def _params_of(value: Any) -> dict[str, Any]:
    """A cell's ``estimator_params`` (a JSON string in the store, or a dict)."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip():
        parsed = json.loads(value)
        return parsed if isinstance(parsed, dict) else {}
    return {}


def _configurations(cells: pd.DataFrame) -> dict[str, tuple[str, dict[str, Any]]]:
    """``{full label: (estimator name, params)}`` of the estimator configurations of ``cells``."""
    if not len(cells):
        return {}
    columns = [c for c in ("estimator_label", "estimator", "estimator_params") if c in cells.columns]
    rows = cells[columns].drop_duplicates("estimator_label").sort_values("estimator_label")
    out = {}
    for row in rows.to_dict("records"):
        label = str(row["estimator_label"])
        if "estimator" in row and "estimator_params" in row:
            out[label] = (str(row["estimator"]), _params_of(row["estimator_params"]))
        else:  # cells without params: the stored label is all there is
            out[label] = (label, {})
    return out


def estimator_labels(cells: pd.DataFrame) -> dict[str, str]:
    """``{full label: short label}`` of every estimator configuration of ``cells`` (columns
    ``estimator_label``, ``estimator``, ``estimator_params``), unique among them."""
    configs = _configurations(cells)
    return unique_labels(
        {full: short_label(name, params, label_defaults(params, full)) for full, (name, params) in configs.items()}
    )


def param_value_text(value: Any) -> str:
    """A parameter value in the legend: text as is, lists and dicts as JSON (the CLI's syntax for them)."""
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def legend(cells: pd.DataFrame, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The legend of the short labels: columns ``label``, ``estimator``, ``parameters`` (the non-default
    parameters spelled out, ``defaults`` when there are none) and ``estimator_label`` (the stored full
    label), sorted by label.

    Parameters
    ----------
    cells : cells with ``estimator_label``, ``estimator``, ``estimator_params``
    labels : ``{full label: short label}`` (default :func:`estimator_labels` of ``cells``); only these
        configurations are listed
    """
    labels = estimator_labels(cells) if labels is None else labels
    rows = []
    for full, (name, params) in _configurations(cells).items():
        if full not in labels:
            continue
        shown = changed_params(params, label_defaults(params, full))
        text = ", ".join(f"{k}={param_value_text(v)}" for k, v in sorted(shown.items())) or "defaults"
        rows.append(
            {
                "label": labels[full],
                "estimator": name.removeprefix("__main__:"),
                "parameters": text,
                "estimator_label": full,
            }
        )
    return pd.DataFrame(rows, columns=[*LEGEND_COLUMNS, "estimator_label"]).sort_values("label", ignore_index=True)


def relabel(df: pd.DataFrame, labels: Mapping[str, str], column: str = "estimator_label") -> pd.DataFrame:
    """``df`` with ``column`` mapped through ``labels`` (values not in it kept)."""
    if column not in df.columns or not len(df):
        return df
    return df.assign(**{column: [labels.get(v, v) for v in df[column]]})


def relabel_ranking(ranking: Ranking, labels: Mapping[str, str]) -> Ranking:
    """A copy of ``ranking`` whose tables, p-values and MAE matrix use ``labels``."""

    def axis(index: pd.Index) -> list[Any]:
        return [labels.get(v, v) for v in index]

    pvalues = ranking.pvalues.copy()
    if len(pvalues):
        pvalues.index, pvalues.columns = axis(pvalues.index), axis(pvalues.columns)
    matrix = ranking.mae_matrix.copy()
    matrix.columns = axis(matrix.columns)
    return dataclasses.replace(
        ranking,
        table=relabel(ranking.table, labels),
        partial=relabel(ranking.partial, labels),
        pvalues=pvalues,
        mae_matrix=matrix,
    )


def short_labelled(board: Leaderboard) -> tuple[Leaderboard, pd.DataFrame]:
    """``board`` with the short labels in every table (for display: markdown, HTML, diagrams), and the
    legend of its configurations. The CSV and JSON files keep the full labels."""
    labels = estimator_labels(board.cells)
    shown = dataclasses.replace(
        board,
        rankings={scope: relabel_ranking(r, labels) for scope, r in board.rankings.items()},
        groups=relabel(board.groups, labels),
        cells=relabel(board.cells, labels),
    )
    return shown, legend(board.cells, labels)


def console_table(
    rows: pd.DataFrame,
    columns: Mapping[str, str],
    *,
    width: int,
    flexible: str,
    title: str | None = None,
    right: Iterable[str] = (),
) -> Table:
    """A rich table of ``rows`` (``columns`` = {column: header}, cells already text) that never cuts a cell.

    Every column but ``flexible`` is as wide as its longest cell (headers wrap at spaces), so numbers and
    short labels stay whole; ``flexible`` gets the rest of ``width`` and wraps (long words fold). On a
    terminal too narrow even for that, every column wraps and folds. Nothing is ever cut with an ellipsis.

    Parameters
    ----------
    rows : one row per table row; the values of ``columns`` are shown as text (escaped for rich markup)
    columns : {column of ``rows``: header}
    width : the console's width
    flexible : the column that takes the remaining width (a label column: whole when it fits)
    title : the table's title
    right : columns aligned right (numbers)
    """
    from rich import box
    from rich.cells import cell_len
    from rich.markup import escape
    from rich.table import Table

    texts = {c: [str(v) for v in rows[c]] for c in columns}
    need = {
        c: max([cell_len(t) for t in texts[c]] + [cell_len(w) for w in header.split()] + [1])
        for c, header in columns.items()
    }
    gaps = 2 * (len(columns) - 1)  # two spaces between columns (padding collapsed, no edges)
    room = width - gaps - sum(n for c, n in need.items() if c != flexible)
    fits = room >= min(need[flexible], 8)
    table = Table(
        title=escape(title) if title else None,
        header_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    aligned = set(right)
    for c, header in columns.items():
        fixed = min(need[c], room) if c == flexible else need[c]
        table.add_column(
            escape(header),
            overflow="fold",
            justify="right" if c in aligned else "left",
            width=fixed if fits else None,
        )
    for i in range(len(rows)):
        table.add_row(
            *[
                escape(_broken(texts[c][i], min(need[c], room)) if c == flexible and fits else texts[c][i])
                for c in columns
            ]
        )
    return table


def _broken(text: str, width: int) -> str:
    """``text`` over several lines of at most ``width`` cells, broken after a comma, space or arrow where it
    is too long (a piece longer than ``width`` is left to the table to fold)."""
    from rich.cells import cell_len

    if cell_len(text) <= width:
        return text
    pieces = re.findall(rf"[^,{ARROW} ]*(?:[,{ARROW} ]|$)", text)
    lines = [""]
    for piece in filter(None, pieces):
        if lines[-1] and cell_len(lines[-1] + piece) > width:
            lines.append("")
        lines[-1] += piece
    return "\n".join(line.rstrip() for line in lines)


def legend_table(legend: pd.DataFrame, *, width: int, title: str = "estimator labels") -> Table:
    """The legend (:func:`legend`) as a console table: labels and names whole, parameters wrapped."""
    return console_table(legend, LEGEND_COLUMNS, width=width, flexible="parameters", title=title)
