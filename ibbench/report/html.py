"""The leaderboard as one self-contained HTML page (``ibbench leaderboard --format html``).

The page needs nothing but itself: styles and a few lines of JavaScript are inline and the PNG
plots are embedded as base64 ``data:`` URLs, so it can be mailed, committed or opened offline.
It shows the overall ranking and one ranking per task family (sortable by clicking a header;
``#sort=<table id>:<column>:<asc|desc>`` in the URL sorts on load) with their critical-difference
diagrams and partial-coverage tables, reference rows of oracle tasks, cold and warm runtime beside
accuracy, bootstrap CIs, failure counts per estimator, the error decomposition and convergence rates
(:mod:`ibbench.report.convergence`, with three or more sample sizes), the coverage and calibration of
the estimators' intervals (:mod:`ibbench.report.coverage`, when cells have intervals), the plots (``curves``,
``convergence``, ``runtime`` drawn from the scored cells, plus any PNG already in ``<out>/plots/``,
e.g. info planes), per-task
tables, the failed cells with their messages, and every run's command, config and versions.
"""

from __future__ import annotations

import base64
import html
import json
import math
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from ibbench.report.leaderboard import Leaderboard

#: plot kinds drawn from the board's cells for the page (names in ibbench.report.plots.PLOT_KINDS)
PAGE_PLOTS = ("curves", "convergence", "runtime", "calibration")

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:1280px;padding:0 20px 40px;
color:#1d2329;line-height:1.4}
h1{margin:18px 0 4px}h2{margin-top:34px;border-bottom:2px solid #e3e7ea;padding-bottom:3px}h3{margin:22px 0 6px}
nav a{margin-right:14px}.meta{color:#56616b;font-size:14px}.note{color:#56616b;font-size:13px;max-width:900px}
table.board{border-collapse:collapse;font-size:13px;margin:6px 0 12px}
table.board th,table.board td{padding:4px 9px;border-bottom:1px solid #e3e7ea;text-align:right;white-space:nowrap}
table.board th{background:#f3f5f7;cursor:pointer;user-select:none;position:sticky;top:0}
table.board th:hover{background:#e6ebef}table.board th.asc::after{content:" \\25B2"}
table.board th.desc::after{content:" \\25BC"}
table.board td.txt,table.board th.txt{text-align:left}table.board tr:hover td{background:#f8fafb}
td.good{background:#e3f4e6}td.fair{background:#fdf6dc}td.poor{background:#fbe4e1}
table.board td.msg{text-align:left;white-space:normal;max-width:640px;font-family:ui-monospace,monospace;font-size:12px}
.scroll{overflow-x:auto;max-width:100%}
table.board td.name{white-space:normal;max-width:300px;overflow-wrap:anywhere;text-align:left}
.ci{color:#6b7680;font-size:11px}.fail{color:#b3261e;font-weight:600}
figure{margin:14px 0 22px}figure img{max-width:100%;border:1px solid #e3e7ea}
figcaption{color:#56616b;font-size:13px}
pre{background:#f6f8fa;padding:10px;overflow-x:auto;font-size:12px}details{margin:6px 0}summary{cursor:pointer}
"""

_JS = """
function sortTable(table, col, dir){
  const body = table.tBodies[0]; const rows = Array.from(body.rows);
  const key = r => { const c = r.cells[col]; const v = c.dataset.v;
    if (v === undefined) return c.textContent.trim().toLowerCase();
    return v === '' ? null : parseFloat(v); };
  rows.sort((a, b) => { const x = key(a), y = key(b);
    if (x === null && y === null) return 0; if (x === null) return 1; if (y === null) return -1;
    const r = (typeof x === 'number' && typeof y === 'number') ? x - y : String(x).localeCompare(String(y));
    return dir === 'desc' ? -r : r; });
  rows.forEach(r => body.appendChild(r));
  Array.from(table.tHead.rows[0].cells).forEach((th, i) => {
    th.classList.remove('asc', 'desc'); if (i === col) th.classList.add(dir); });
  table.dataset.sorted = col + ':' + dir;
}
document.querySelectorAll('table.board').forEach(table => { if (!table.tHead) return;
  Array.from(table.tHead.rows[0].cells).forEach((th, i) => th.addEventListener('click', () => {
    sortTable(table, i, th.classList.contains('asc') ? 'desc' : 'asc'); }));
});
const m = /sort=([\\w-]+):(\\d+)(?::(asc|desc))?/.exec(decodeURIComponent(location.hash));
if (m) { const t = document.getElementById(m[1]); if (t) sortTable(t, parseInt(m[2]), m[3] || 'asc'); }
"""


def html_escape(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _num(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _fmt(value: Any, digits: int = 3) -> str:
    v = _num(value)
    if v is None:
        return "–"
    if v != 0 and (abs(v) < 10**-digits or abs(v) >= 1e4):
        return f"{v:.{digits - 1}e}"
    return f"{v:.{digits}f}"


def html_cell(value: Any, *, text: str | None = None, cls: str = "", sort: Any = "num") -> str:
    """A table cell; numeric cells carry ``data-v`` (empty = missing) for the sorter."""
    classes = f' class="{cls}"' if cls else ""
    if sort == "text":
        return f"<td{classes}>{text if text is not None else html_escape(value)}</td>"
    v = _num(value)
    data = "" if v is None else repr(v)
    return f'<td{classes} data-v="{data}">{text if text is not None else html_escape(_fmt(value))}</td>'


def _with_ci(value: Any, lo: Any, hi: Any) -> str:
    if _num(lo) is None or _num(hi) is None:
        return html_escape(_fmt(value))
    return f'{html_escape(_fmt(value))} <span class="ci">[{html_escape(_fmt(lo))}, {html_escape(_fmt(hi))}]</span>'


def _grade(rel_error: Any) -> str:
    v = _num(rel_error)
    if v is None:
        return ""
    return "good" if v <= 0.1 else "fair" if v <= 0.3 else "poor"


def _seconds(value: Any) -> str:
    v = _num(value)
    if v is None:
        return "–"
    if v < 1e-3:
        return f"{v * 1e6:.0f} µs"
    if v < 1:
        return f"{v * 1e3:.1f} ms"
    return f"{v:.2f} s"


def sortable_table(table_id: str, headers: list[tuple[str, bool]], rows: Iterable[str]) -> str:
    head = "".join(
        f'<th class="txt">{html_escape(h)}</th>' if is_text else f"<th>{html_escape(h)}</th>" for h, is_text in headers
    )
    return (
        f'<div class="scroll"><table class="board" id="{html_escape(table_id)}"><thead><tr>{head}</tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table></div>"
    )


def failure_counts(cells: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Number of error / timeout / skipped cells per ``keys`` (columns ``errors``, ``timeouts``, ``skipped``)."""
    counts = pd.crosstab([cells[k] for k in keys], cells["status"])
    out = pd.DataFrame(index=counts.index)
    for status, column in (("error", "errors"), ("timeout", "timeouts"), ("skipped", "skipped")):
        out[column] = counts[status] if status in counts else 0
    return out.reset_index()


_RANK_HEADERS = [
    ("rank", False),
    ("estimator", True),
    ("mean rank", False),
    ("configs", False),
    ("MAE (nats) [95% CI]", False),
    ("rel. error", False),
    ("within tol.", False),
    ("p vs. #1", False),
    ("errors", False),
    ("timeouts", False),
    ("skipped", False),
    ("time / cell (cold)", False),
    ("time / cell (warm)", False),
]


def _ranking(table_id: str, board: pd.DataFrame, fails: pd.DataFrame, keys: list[str]) -> str:
    merged = board.merge(fails, on=keys, how="left") if len(board) else board
    rows = []
    for _, r in merged.iterrows():
        errors, timeouts, skipped = (int(r.get(c, 0) or 0) for c in ("errors", "timeouts", "skipped"))
        p = _num(r["p_vs_best"])
        rows.append(
            "<tr>"
            + html_cell(r["rank"], text=str(int(r["rank"])))
            + html_cell(r["estimator_label"], cls="name", sort="text")
            + html_cell(r["mean_rank"])
            + html_cell(r["configs"], text=html_escape(int(r["configs"])))
            + html_cell(r["mae"], text=_with_ci(r["mae"], r.get("mae_ci_low"), r.get("mae_ci_high")))
            + html_cell(r["rel_error"], cls=_grade(r["rel_error"]))
            + html_cell(
                r["within_tol"], text=f"{100 * r['within_tol']:.0f}%" if _num(r["within_tol"]) is not None else "–"
            )
            + html_cell(p, text="–" if p is None else html_escape(f"{p:.2g}"))
            + html_cell(errors, text=str(errors), cls="fail" if errors else "")
            + html_cell(timeouts, text=str(timeouts), cls="fail" if timeouts else "")
            + html_cell(skipped, text=str(skipped))
            + html_cell(r["median_cold_seconds"], text=_seconds(r["median_cold_seconds"]))
            + html_cell(r["median_seconds"], text=_seconds(r["median_seconds"]))
            + "</tr>"
        )
    return sortable_table(table_id, _RANK_HEADERS, rows)


_PARTIAL_HEADERS = [
    ("estimator", True),
    ("coverage", False),
    ("completed", False),
    ("configs", False),
    ("declined", False),
    ("failed", False),
    ("not run", False),
    ("MAE on completed", False),
    ("why not ranked", True),
]


def _partial(table_id: str, partial: pd.DataFrame) -> str:
    if not len(partial):
        return ""
    rows = []
    for _, r in partial.iterrows():
        rows.append(
            "<tr>"
            + html_cell(r["estimator_label"], cls="name", sort="text")
            + html_cell(r["coverage"], text=f"{100 * r['coverage']:.0f}%")
            + "".join(
                html_cell(r[c], text=str(int(r[c])), cls="fail" if c == "failed" and r[c] else "")
                for c in ("complete", "configs", "declined", "failed", "missing")
            )
            + html_cell(r["mae_completed"])
            + html_cell(r["reason"], cls="msg", sort="text")
            + "</tr>"
        )
    return (
        '<p class="note">Partial coverage: not ranked (MAE on completed configurations is not comparable with '
        "the ranked MAE).</p>" + sortable_table(table_id, _PARTIAL_HEADERS, rows)
    )


def _reference(table_id: str, groups: pd.DataFrame) -> str:
    if not len(groups):
        return ""
    headers = [
        ("estimator", True),
        ("reference task", True),
        ("configs", False),
        ("MAE (nats)", False),
        ("rel. error", False),
        ("time / cell (cold)", False),
    ]
    rows = []
    for label, g in groups.groupby("estimator_label", sort=True):
        rows.append(
            "<tr>"
            + html_cell(label, cls="name", sort="text")
            + html_cell(", ".join(sorted(g["task"].unique())), cls="txt", sort="text")
            + html_cell(len(g), text=str(len(g)))
            + html_cell(g["mae"].mean())
            + html_cell(g["rel_error"].mean())
            + html_cell(g["median_cold_seconds"].median(), text=_seconds(g["median_cold_seconds"].median()))
            + "</tr>"
        )
    return (
        '<p class="note">Reference rows (oracle inputs such as the true latents of an image task; not ranked).</p>'
        + sortable_table(table_id, headers, rows)
    )


def _upper_bounds(table_id: str, upper: pd.DataFrame) -> str:
    """The upper-bound estimators (:func:`ibbench.scoring.upper_bound_rows`), unranked."""
    headers = [
        ("estimator", True),
        ("configs", False),
        ("mean error Î − I (nats)", False),
        ("MAE (nats)", False),
        ("Î ≥ I (share of cells)", False),
        ("time / cell (cold)", False),
        ("time / cell (warm)", False),
    ]
    rows = [
        "<tr>"
        + html_cell(r["estimator_label"], cls="name", sort="text")
        + html_cell(r["configs"], text=str(r["configs"]))
        + html_cell(r["bias"])
        + html_cell(r["mae"])
        + html_cell(r["at_or_above_truth"])
        + html_cell(r["median_cold_seconds"], text=_seconds(r["median_cold_seconds"]))
        + html_cell(r["median_seconds"], text=_seconds(r["median_seconds"]))
        + "</tr>"
        for _, r in upper.iterrows()
    ]
    return sortable_table(table_id, headers, rows)


def _truth_text(r: pd.Series) -> str:
    from ibbench.report.leaderboard import truth_text

    return truth_text(r, _fmt)


def _group_table(table_id: str, g: pd.DataFrame) -> str:
    headers = [
        ("estimator", True),
        ("n", False),
        ("true MI", False),
        ("mean estimate [95% CI]", False),
        ("bias", False),
        ("MAE [95% CI]", False),
        ("within tol.", False),
        ("seeds ok", False),
        ("failed", False),
        ("time (cold)", False),
        ("time (warm)", False),
    ]
    rows = []
    for _, r in g.sort_values(["n", "mae"], na_position="last").iterrows():
        rel = _num(r["mae"])
        grade = _grade(None if rel is None else rel / max(float(r["true_mi"]), 1.0))
        rows.append(
            "<tr>"
            + html_cell(r["estimator_label"], cls="name", sort="text")
            + html_cell(r["n"], text=html_escape(r["n"]))
            + html_cell(r["true_mi"], text=html_escape(_truth_text(r)))
            + html_cell(r["mean_estimate"], text=_with_ci(r["mean_estimate"], r["ci_low"], r["ci_high"]))
            + html_cell(r["bias"])
            + html_cell(r["mae"], text=_with_ci(r["mae"], r["mae_ci_low"], r["mae_ci_high"]), cls=grade)
            + html_cell(
                r["within_tol"], text=f"{100 * r['within_tol']:.0f}%" if _num(r["within_tol"]) is not None else "–"
            )
            + html_cell(r["n_seeds"], text=str(int(r["n_seeds"])))
            + html_cell(r["n_failed"], text=str(int(r["n_failed"])), cls="fail" if r["n_failed"] else "")
            + html_cell(r["median_cold_seconds"], text=_seconds(r["median_cold_seconds"]))
            + html_cell(r["median_seconds"], text=_seconds(r["median_seconds"]))
            + "</tr>"
        )
    return sortable_table(table_id, headers, rows)


def _failures_table(cells: pd.DataFrame, limit: int = 300) -> str:
    failed = cells[cells["status"].isin(["error", "timeout"])].sort_values(
        ["estimator_label", "task_label", "n", "seed"]
    )
    if not len(failed):
        return "<p>No failed cells.</p>"
    rows = []
    for _, r in failed.head(limit).iterrows():
        first = (r["message"] or "").strip().splitlines()
        rows.append(
            "<tr>"
            + html_cell(r["estimator_label"], cls="name", sort="text")
            + html_cell(r["task_label"], cls="name", sort="text")
            + html_cell(r["n"], text=html_escape(r["n"] if _num(r["n"]) is None else int(r["n"])))
            + html_cell(r["seed"], text=html_escape(r["seed"]))
            + html_cell(r["status"], cls="txt fail", sort="text")
            + html_cell(r["seconds"], text=_seconds(r["seconds"]))
            + html_cell(None, text=html_escape(first[0][:300] if first else ""), cls="msg", sort="text")
            + "</tr>"
        )
    more = f"<p class=note>… and {len(failed) - limit} more (see the store).</p>" if len(failed) > limit else ""
    headers = [
        ("estimator", True),
        ("task", True),
        ("n", False),
        ("seed", False),
        ("status", True),
        ("time", False),
        ("message (first line)", True),
    ]
    return sortable_table("failures", headers, rows) + more


def _pretty_json(text: Any) -> str:
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return ""
    try:
        return json.dumps(json.loads(text), indent=1, sort_keys=True)
    except (TypeError, ValueError):
        return str(text)


def _config_table(text: Any) -> str:
    """A run's config (or versions) JSON as a compact two-column table; specs one per line."""
    try:
        config = json.loads(text)
    except (TypeError, ValueError):
        return f"<pre>{html_escape(text)}</pre>" if text else ""
    if not isinstance(config, dict):
        return f"<pre>{html_escape(_pretty_json(text))}</pre>"
    rows = []
    for key in sorted(config):
        value = config[key]
        if (
            isinstance(value, list)
            and value
            and all(
                isinstance(v, list) and len(v) == 2 and isinstance(v[0], str) and isinstance(v[1], dict) for v in value
            )
        ):
            specs = [
                v[0] + (":" + ";".join(f"{k}={json.dumps(x)}" for k, x in sorted(v[1].items())) if v[1] else "")
                for v in value
            ]
            shown = "<br>".join(html_escape(s) for s in specs)
        elif isinstance(value, str) and "\n" in value:  # e.g. the text of a run file
            shown = f"<pre>{html_escape(value)}</pre>"
        else:
            shown = html_escape(value if isinstance(value, str) else json.dumps(value, separators=(", ", ": ")))
        rows.append(f'<tr><td class="txt"><b>{html_escape(key)}</b></td><td class="msg">{shown}</td></tr>')
    return '<table class="board kv"><tbody>' + "".join(rows) + "</tbody></table>"


def _runs_section(runs: pd.DataFrame) -> str:
    if not len(runs):
        return "<p>No run metadata in the store.</p>"
    headers = [
        ("run", True),
        ("command", True),
        ("suite", True),
        ("suite version", True),
        ("started", True),
        ("finished", True),
        ("grid cells", False),
        ("cells run", False),
    ]
    rows = []
    for _, r in runs.iterrows():
        rows.append(
            "<tr>"
            + "".join(
                html_cell(r[c], cls="txt msg" if c == "command" else "txt", sort="text")
                for c in ("id", "command", "suite", "suite_version", "started_at", "finished_at")
            )
            + html_cell(r["n_cells"], text=html_escape(r["n_cells"]))
            + html_cell(r["n_run"], text=html_escape(r["n_run"]))
            + "</tr>"
        )
    last = runs.iloc[-1]
    parts = [
        sortable_table("runs", headers, rows),
        f"<h3>Last run ({html_escape(last['id'])}): configuration</h3>{_config_table(last['config'])}",
        f"<h3>Last run: versions</h3>{_config_table(last['versions'])}",
    ]
    if len(runs) > 1:
        for _, r in runs.iloc[:-1].iterrows():
            parts.append(
                f"<details><summary>run {html_escape(r['id'])}: configuration and versions</summary>"
                f"{_config_table(r['config'])}{_config_table(r['versions'])}"
                "</details>"
            )
    return "".join(parts)


def _environment(cells: pd.DataFrame) -> str:
    cols = [c for c in ("host", "cpu", "threads", "python", "numpy", "torch", "ibbench") if c in cells]
    if not cols:
        return ""
    env = cells[cols].astype(str).drop_duplicates()
    headers = [(c, True) for c in cols] + [("cells", False)]
    rows = []
    for _, r in env.iterrows():
        count = int((cells[cols].astype(str) == r.values).all(axis=1).sum())
        rows.append(
            "<tr>"
            + "".join(html_cell(r[c], cls="txt", sort="text") for c in cols)
            + html_cell(count, text=str(count))
            + "</tr>"
        )
    return sortable_table("environment", headers, rows)


def page_plots(
    board: Leaderboard, plot_dir: Path | None = None, kinds: Iterable[str] = PAGE_PLOTS
) -> list[tuple[str, bytes]]:
    """``[(file name, PNG bytes)]``: the ``kinds`` drawn from the board's cells, then other PNGs in ``plot_dir``."""
    from ibbench.report.plots import PLOT_KINDS, make_plot

    images: list[tuple[str, bytes]] = []
    with tempfile.TemporaryDirectory(prefix="ibbench-plots-") as tmp:
        for kind in kinds:
            if kind not in PLOT_KINDS:
                continue
            try:
                files = make_plot(kind, store=None, out=Path(tmp), cells=board.cells)
            except ValueError:  # e.g. convergence with a single n: nothing to draw
                continue
            images += [(Path(f).name, Path(f).read_bytes()) for f in files]
    if plot_dir is not None and Path(plot_dir).is_dir():
        seen = {name for name, _ in images}
        images += [(p.name, p.read_bytes()) for p in sorted(Path(plot_dir).glob("*.png")) if p.name not in seen]
    return images


def _caption(name: str) -> str:
    stem = Path(name).stem
    kind, _, rest = stem.partition("_")
    text = {"curves": "Estimate vs true MI", "convergence": "Convergence: error vs n", "runtime": "Runtime"}.get(
        kind, kind.replace("-", " ")
    )
    return f"{text}{' — ' + rest.replace('_', ' ') if rest else ''} ({name})"


def render_html(
    board: Leaderboard, title: str = "ibbench leaderboard", images: list[tuple[str, bytes]] | None = None
) -> str:
    """The page as a string (see the module docstring)."""
    from ibbench.report.convergence import html_section
    from ibbench.report.coverage import html_section as coverage_section
    from ibbench.report.labels import LEGEND_COLUMNS, LEGEND_NOTE, short_labelled
    from ibbench.report.leaderboard import INTRO, UPPER_BOUND_HEADING, UPPER_BOUND_NOTE, oracle_of

    board, legend = short_labelled(board)  # short estimator labels everywhere, their legend below
    cells = board.cells
    counts = board.status_counts
    images = images or []
    fails_overall = failure_counts(cells, ["estimator_label"])
    generated = datetime.now(UTC).isoformat(timespec="seconds")
    nav = [
        '<a href="#overall-section">overall</a>',
        '<a href="#families">families</a>',
        '<a href="#plots">plots</a>',
        '<a href="#tasks">per task</a>',
        '<a href="#labels">labels</a>',
        '<a href="#failures-section">failures</a>',
        '<a href="#runs-section">runs &amp; versions</a>',
    ]
    status_text = ", ".join(f"{html_escape(k)}: {v}" for k, v in sorted(counts.items()))
    cd_images = {name: data for name, data in images if name.startswith("cd-")}
    images = [(name, data) for name, data in images if not name.startswith("cd-")]
    convergence = html_section(board, [(name, data) for name, data in images if name.startswith("convergence_")])
    if convergence:  # the convergence plots sit in their own section, beside the rates
        images = [(name, data) for name, data in images if not name.startswith("convergence_")]
        nav.insert(nav.index('<a href="#plots">plots</a>'), '<a href="#convergence">convergence</a>')
    coverage = coverage_section(board, [(name, data) for name, data in images if name.startswith("calibration")])
    if coverage:  # the calibration plot sits beside the coverage table
        images = [(name, data) for name, data in images if not name.startswith("calibration")]
        nav.insert(nav.index('<a href="#plots">plots</a>'), '<a href="#coverage">coverage</a>')

    def figure(name: str) -> str:
        if name not in cd_images:
            return ""
        b64 = base64.b64encode(cd_images[name]).decode("ascii")
        return (
            f'<figure><img alt="{html_escape(name)}" src="data:image/png;base64,{b64}"><figcaption>Critical-difference '
            f"diagram ({html_escape(name)})</figcaption></figure>"
        )

    def section(scope: str, table_id: str, keys: list[str], fails: pd.DataFrame) -> list[str]:
        from ibbench.report.plot_cd import cd_file_name

        ranking = board.rankings[scope]
        table = ranking.table
        if len(table):
            from ibbench.scoring import bootstrap_ci  # MAE CI: bootstrap over configurations

            lows, highs = [], []
            for label in table["estimator_label"]:
                lo, hi = bootstrap_ci(ranking.mae_matrix[label].to_numpy(float), n_boot=500)
                lows.append(lo)
                highs.append(hi)
            table = table.assign(
                mae_ci_low=lows, mae_ci_high=highs, **({"task_family": scope} if scope != "overall" else {})
            )
        return [
            f'<p class="note">{html_escape(ranking.describe())}</p>',
            figure(cd_file_name(scope)),
            _ranking(table_id, table, fails, keys) if len(table) else "",
            _partial(f"{table_id}-partial", ranking.partial),
        ]

    parts = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html_escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html_escape(title)}</h1>",
        f'<p class="meta">{len(board.overall)} estimator configurations ranked overall · '
        f"{cells['task_label'].nunique()} "
        f"task configurations · {len(cells)} cells ({status_text}) · generated {generated}</p>",
        "<nav>" + "".join(nav) + "</nav>",
        f'<p class="note">{html_escape(INTRO)} Click a column header to sort.</p>',
        '<h2 id="overall-section">Overall ranking</h2>',
    ]
    if "overall" in board.rankings:
        parts += section("overall", "overall", ["estimator_label"], fails_overall)
    else:
        parts.append("<p>No benchmark-role task configurations: nothing is ranked overall.</p>")
    parts.append('<h2 id="families">Rankings per task family</h2>')
    reference = board.reference
    for family in board.families:
        fam_cells = cells[cells["task_family"] == family]
        fails = (
            failure_counts(fam_cells, ["task_family", "estimator_label"])
            if len(fam_cells)
            else pd.DataFrame(columns=["task_family", "estimator_label", "errors", "timeouts", "skipped"])
        )
        parts += [
            f'<h3 id="family-{html_escape(family)}">{html_escape(family)}</h3>',
            *section(family, f"family-{family}-table", ["task_family", "estimator_label"], fails),
        ]
        ref = reference[reference["task_family"] == family]
        if len(ref):
            oracles = ", ".join(sorted(f"{t} (oracle of {oracle_of(t)})" for t in ref["task"].unique()))
            parts += [f'<p class="note">{html_escape(oracles)}</p>', _reference(f"family-{family}-reference", ref)]
    upper = board.upper_bounds
    if len(upper):
        parts += [
            f'<h2 id="upper-bounds">{html_escape(UPPER_BOUND_HEADING)}</h2>',
            f'<p class="note">{html_escape(UPPER_BOUND_NOTE)}</p>',
            _upper_bounds("upper-bounds-table", upper),
        ]
    if convergence:
        parts.append(convergence)
    if coverage:
        parts.append(coverage)
    parts.append('<h2 id="plots">Plots</h2>')
    if not images:
        parts.append("<p>No plots.</p>")
    for name, data in images:
        b64 = base64.b64encode(data).decode("ascii")
        parts.append(
            f'<figure><img alt="{html_escape(name)}" src="data:image/png;base64,{b64}">'
            f"<figcaption>{html_escape(_caption(name))}</figcaption></figure>"
        )
    parts.append('<h2 id="tasks">Per task configuration</h2>')
    for i, (task_label, g) in enumerate(board.groups.groupby("task_label", sort=True)):
        family = g["task_family"].iloc[0]
        role = {"none": " · reference (not ranked)", "family": " · ranked within its family only"}.get(
            g["task_role"].iloc[0], ""
        )
        truth = ", ".join(sorted({_truth_text(r) for _, r in g.iterrows()}))
        parts.append(
            f"<details><summary><b>{html_escape(task_label)}</b> · {html_escape(family)}{html_escape(role)} · true MI "
            f"{html_escape(truth)} nats</summary>{_group_table(f'task-{i}', g)}</details>"
        )
    parts += [
        '<h2 id="labels">Estimator labels</h2>',
        f'<p class="note">{html_escape(LEGEND_NOTE)}</p>',
        sortable_table(
            "labels",
            [(header, True) for header in LEGEND_COLUMNS.values()],
            (
                "<tr>" + "".join(html_cell(r[c], sort="text") for c in LEGEND_COLUMNS) + "</tr>"
                for _, r in legend.iterrows()
            ),
        ),
        '<h2 id="failures-section">Failed cells</h2>',
        _failures_table(cells),
        '<h2 id="runs-section">Runs, configuration and versions</h2>',
        _runs_section(board.runs),
        "<h3>Machines and library versions of the cells</h3>",
        _environment(cells),
        f"<script>{_JS}</script></body></html>",
    ]
    return "\n".join(parts)


def write_html(
    board: Leaderboard,
    path: str | Path,
    title: str | None = None,
    *,
    plot_dir: str | Path | None = None,
    plots: Iterable[str] = PAGE_PLOTS,
    extra_images: list[tuple[str, bytes]] | None = None,
) -> Path:
    """Write the self-contained HTML leaderboard of ``board`` to ``path``.

    Parameters
    ----------
    board : ibbench.report.leaderboard.Leaderboard
    path : output file
    title : page title
    plot_dir : directory whose PNGs are embedded as well (default: ``plots/`` next to ``path``)
    plots : plot kinds drawn from the board's cells and embedded
    extra_images : ``[(file name, PNG bytes)]`` embedded as well; the critical-difference diagrams
        ``cd-*.png`` are placed beside their rankings (None: drawn here)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if extra_images is None:  # draw the critical-difference diagrams here
        from ibbench.report.leaderboard import write_cd_diagrams

        with tempfile.TemporaryDirectory(prefix="ibbench-cd-") as tmp:
            extra_images = [(p.name, p.read_bytes()) for p in write_cd_diagrams(board, Path(tmp))]
    images = list(extra_images) + page_plots(
        board, Path(plot_dir) if plot_dir is not None else path.parent / "plots", plots
    )
    path.write_text(render_html(board, title or "ibbench leaderboard", images), encoding="utf-8")
    return path
