"""Reports: the plot kinds curves/convergence/runtime, the self-contained HTML page, and the CLI commands.

The store is made once per module with the inline backend (cells run in this process: fast);
it holds two estimators, two sample sizes, two task families and one deliberately failing
estimator, so every part of the page has something to show. The page is also rendered in a real
headless browser when ``chromium`` is installed (skipped otherwise).
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import ibbench
from ibbench import registry
from ibbench.cli import app
from ibbench.report.convergence import error_decomposition
from ibbench.report.html import failure_counts, write_html
from ibbench.report.leaderboard import build_leaderboard
from ibbench.report.plot_curves import curve_points, runtime_points, series_label
from ibbench.report.plots import list_plot_kinds, make_plot

PNG = b"\x89PNG\r\n\x1a\n"
TASKS = (
    "gaussian-dense:dim=1;mi=0.5,gaussian-dense:dim=1;mi=1.5,gaussian-dense:dim=2;mi=1.0,"
    "categorical:n_symbols=4;flip=0.2"
)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("reports") / "s.sqlite"
    mp = pytest.MonkeyPatch()
    mp.syspath_prepend(str(Path(__file__).resolve().parent))
    mp.setitem(registry.BUILTIN_ESTIMATORS, "test-raise", "_faulty_estimators:Raise")
    try:
        ibbench.run(
            estimators="gaussian,ksg,test-raise",
            tasks=TASKS,
            n=[100, 400],
            seeds=3,
            store=path,
            backend="inline",
            command="ibbench run (test_reports fixture)",
        )
    finally:
        mp.undo()
    return path


@pytest.fixture(scope="module")
def cells(store):
    return ibbench.load_results(store, expand_params=False)


def test_plot_kinds_are_registered():
    assert {"curves", "convergence", "runtime"} <= set(list_plot_kinds())


def test_curve_points_are_the_seed_means_with_cis(cells):
    pts = curve_points(cells)
    ok = cells[(cells["status"] == "ok") & (cells["n"] == 400)]
    assert set(pts["task_family"]) == {"gaussian", "discrete"}
    assert (pts["n"] == 400).all()  # default: the largest n of each family
    for _, p in pts.iterrows():
        g = ok[(ok["estimator_label"] == p["estimator_label"]) & (ok["task_label"] == p["task_label"])]
        assert p["seeds"] == len(g) == 3
        assert p["estimate"] == pytest.approx(g["estimate"].mean(), abs=1e-12)
        assert p["true_mi"] == pytest.approx(g["true_mi"].mean(), abs=1e-12)
        assert p["ci_low"] <= p["estimate"] <= p["ci_high"]
    # one series per task at fixed parameters other than the MI level: dim=1 (two MI levels) and dim=2
    series = set(pts[pts["task_family"] == "gaussian"]["series"])
    assert len(series) == 2 and any("dim=1" in s for s in series) and any("dim=2" in s for s in series)
    assert series_label("gaussian-dense", {"dim": 3, "mi": 2.0}) == "gaussian-dense(dim=3)"
    assert len(curve_points(cells, n=100)) == len(pts)


def test_convergence_and_runtime_points_match_a_direct_computation(cells):
    ok = cells[cells["status"] == "ok"]
    conv = error_decomposition(cells)
    for _, p in conv.iterrows():
        g = ok[
            (ok["task_label"] == p["task_label"])
            & (ok["estimator_label"] == p["estimator_label"])
            & (ok["n"] == p["n"])
        ]
        assert p["rmse"] == pytest.approx(np.sqrt(((g["estimate"] - g["true_mi"]) ** 2).mean()), abs=1e-12)
    rt = runtime_points(cells)
    for _, p in rt.iterrows():
        g = ok[(ok["estimator_label"] == p["estimator_label"]) & (ok["n"] == p["n"])]
        assert p["median"] == pytest.approx(g["seconds"].median(), abs=1e-12)
        assert p["q25"] <= p["median"] <= p["q75"]
    assert "test-raise" not in set(conv["estimator_label"]) | set(rt["estimator_label"])  # only ok cells


def test_runtime_shows_the_cold_cost_by_default_and_the_warm_one_on_request(cells, tmp_path):
    ok = cells[cells["status"] == "ok"].copy()
    # a cached estimator's rows: cold cost ten times the fit; rows of an older store have no cold cost
    ok["cold_seconds"] = ok["seconds"].astype(float) * 10
    ok.loc[ok["estimator_label"] == "gaussian", "cold_seconds"] = None
    cold, warm = runtime_points(ok), runtime_points(ok, cost="warm")
    for (_, c), (_, w) in zip(cold.iterrows(), warm.iterrows()):
        g = ok[(ok["estimator_label"] == c["estimator_label"]) & (ok["n"] == c["n"])]
        assert w["median"] == pytest.approx(g["seconds"].median(), abs=1e-12)
        factor = 1 if c["estimator_label"] == "gaussian" else 10  # falls back to the fit seconds
        assert c["median"] == pytest.approx(factor * g["seconds"].median(), rel=1e-12)
    for cost in ("cold", "warm"):
        _png_ok(make_plot("runtime", store=None, out=tmp_path / cost, cells=ok, cost=cost)[0])
    with pytest.raises(ValueError, match="cost must be one of"):
        make_plot("runtime", store=None, out=tmp_path, cells=ok, cost="hot")


def _png_ok(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG and len(data) > 10_000, path


def test_plot_files(store, tmp_path):
    curves = make_plot("curves", store=str(store), out=tmp_path)
    assert sorted(p.name for p in curves) == ["curves_discrete.png", "curves_gaussian.png"]
    conv = make_plot("convergence", store=str(store), out=tmp_path)
    assert sorted(p.name for p in conv) == ["convergence_discrete.png", "convergence_gaussian.png"]
    (runtime,) = make_plot("runtime", store=str(store), out=tmp_path)
    for path in [*curves, *conv, runtime]:
        _png_ok(path)


def test_single_n_store_convergence_is_a_clear_error_and_runtime_draws_bars(cells, tmp_path):
    one_n = cells[cells["n"] == 100]
    with pytest.raises(ValueError, match="two or more sample sizes"):
        make_plot("convergence", store=None, out=tmp_path, cells=one_n)
    (runtime,) = make_plot("runtime", store=None, out=tmp_path, cells=one_n)
    _png_ok(runtime)


class _Tables(HTMLParser):
    """Collects the body rows (as cell texts) of every table with an id, and every img/link/script src."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.sources: list[str] = []
        self._table = self._row = self._cell = None
        self._in_body = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id"):
            self._table = self.tables.setdefault(attrs["id"], [])
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._table is not None and self._in_body:
            self._row = []
        elif tag == "td" and self._row is not None:
            self._cell = []
        for key in ("src", "href"):
            if tag in ("img", "script", "link", "iframe") and key in attrs:
                self.sources.append(attrs[key])

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_html_page_is_self_contained_and_complete(store, tmp_path):
    extra = tmp_path / "plots"
    extra.mkdir()
    shutil.copy(make_plot("runtime", store=str(store), out=tmp_path / "x")[0], extra / "info-plane_demo.png")
    board = build_leaderboard(store, n_boot=100)
    page = write_html(board, tmp_path / "leaderboard.html", title="test board").read_text()
    parser = _Tables()
    parser.feed(page)

    # self-contained: every image is an embedded PNG, nothing is fetched
    assert parser.sources and all(s.startswith("data:image/png;base64,") for s in parser.sources)
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)
    for src in parser.sources:
        assert base64.b64decode(src.split(",", 1)[1])[:8] == PNG
    names = re.findall(r'<img alt="([^"]+)"', page)
    assert {
        "curves_gaussian.png",
        "curves_discrete.png",
        "convergence_gaussian.png",
        "runtime.png",
        "info-plane_demo.png",
    } <= set(names)

    # rankings: overall and per family, runtime beside accuracy; the failing estimator is not ranked
    overall = parser.tables["overall"]
    assert len(overall) == len(board.overall) == 2
    by_name = {row[1]: row for row in overall}
    assert set(by_name) == {"gaussian", "ksg"}
    assert re.search(r"(µs|ms| s)$", by_name["ksg"][11]) and re.search(r"(µs|ms| s)$", by_name["ksg"][12])
    assert re.search(r"\[[-\d.e]+, [-\d.e]+\]", by_name["ksg"][4])  # the CI sits next to the value
    partial = {row[0]: row for row in parser.tables["overall-partial"]}
    assert partial["test-raise"][1] == "0%" and partial["test-raise"][5] == str(2 * 4)  # 8 configurations failed
    assert (
        any("cd-overall.png" == name for name in re.findall(r'<img alt="([^"]+)"', page))
        or not board.rankings["overall"].test
    )
    assert {"family-gaussian-table", "family-discrete-table", "failures", "runs"} <= set(parser.tables)
    assert len(parser.tables["failures"]) == 24
    assert all("deliberate failure" in row[-1] for row in parser.tables["failures"])
    # run config and versions
    assert "ibbench run (test_reports fixture)" in page and "numpy" in page and "ksg" in page
    counts = failure_counts(board.cells, ["estimator_label"]).set_index("estimator_label")
    assert counts.loc["test-raise", "errors"] == 24 and counts.loc["ksg", "errors"] == 0


def test_cli_leaderboard_all_formats_and_plots(store, tmp_path):
    runner = CliRunner()
    out = tmp_path / "quick"
    result = runner.invoke(
        app, ["leaderboard", "--store", str(store), "--format", "md,csv,html,json", "--out", str(out), "--no-show"]
    )
    assert result.exit_code == 0, result.output
    for name in (
        "leaderboard.md",
        "leaderboard.csv",
        "leaderboard_by_family.csv",
        "groups.csv",
        "leaderboard.json",
        "leaderboard.html",
    ):
        assert (out / name).stat().st_size > 100, name
    assert json.loads((out / "leaderboard.json").read_text())["status_counts"]["error"] == 24
    for kind in ("curves", "convergence", "runtime"):
        result = runner.invoke(app, ["plot", "--kind", kind, "--store", str(store), "--out", str(out / "plots")])
        assert result.exit_code == 0, result.output
    # the five above, and calibration.png drawn by the leaderboard (cells with an analytic stderr_)
    assert len(list((out / "plots").glob("*.png"))) == 6


def test_cli_plot_error_is_one_clear_line(tmp_path):
    result = CliRunner().invoke(
        app, ["plot", "--kind", "curves", "--store", str(tmp_path / "none.sqlite"), "--out", str(tmp_path)]
    )
    assert result.exit_code != 0
    assert "Traceback" not in result.output and "no results store" in result.output


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(CHROMIUM is None, reason="headless chromium not installed (apt-get install chromium)")
def test_page_renders_and_sorts_in_headless_chromium(store, tmp_path):
    page = write_html(build_leaderboard(store, n_boot=100), tmp_path / "leaderboard.html")
    flags = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    # the URL asks the page to sort the overall table by its 12th column (cold time), descending
    url = page.resolve().as_uri() + "#sort=overall:11:desc"
    dom = subprocess.run(flags + ["--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    assert 'data-sorted="11:desc"' in dom, "the page's script did not run"
    parser = _Tables()
    parser.feed(dom)
    times = [row[11] for row in parser.tables["overall"]]

    def seconds(text):
        value, unit = text.split()
        return float(value) * {"µs": 1e-6, "ms": 1e-3, "s": 1.0}[unit]

    known = [seconds(t) for t in times if t != "–"]
    assert known == sorted(known, reverse=True) and "–" not in times[: len(known)]  # missing values sort last
    shot = tmp_path / "shot.png"
    subprocess.run(
        flags + ["--window-size=1280,2000", f"--screenshot={shot}", page.resolve().as_uri()],
        capture_output=True,
        timeout=120,
    )
    from PIL import Image

    pixels = np.asarray(Image.open(shot).convert("L"))
    assert pixels.shape == (2000, 1280) and (pixels < 128).mean() > 0.01  # text and plots were drawn


def test_upper_bound_estimators_get_their_own_unranked_section(tmp_path):
    from ibbench.report.leaderboard import to_markdown

    path = tmp_path / "club.sqlite"
    ibbench.run(
        estimators="gaussian,ksg,club:n_steps=200",
        tasks="gaussian-dense:dim=1;mi=1.0,gaussian-dense:dim=1;mi=1.5",
        n=[300],
        seeds=2,
        store=path,
        backend="inline",
    )
    board = build_leaderboard(path, n_boot=50)
    for ranking in board.rankings.values():
        labels = set(ranking.table["estimator_label"]) | set(ranking.partial["estimator_label"])
        assert labels and not any(label.startswith("club") for label in labels)
    upper = board.upper_bounds
    assert len(upper) == 1 and upper["estimator_label"].iloc[0].startswith("club")
    assert upper["configs"].iloc[0] == 2
    # CLUB of a Gaussian pair is e^{2I} − 1 > I: above the truth in every cell
    assert upper["at_or_above_truth"].iloc[0] == 1.0
    md = to_markdown(board)
    section = md.split("## Upper bounds (not ranked)", 1)[1].split("\n## ", 1)[0]
    assert "club" in section and "| 1.000 |" in section
    assert "club" not in md.split("## Upper bounds (not ranked)", 1)[0].split("## Overall", 1)[1]
    page = write_html(board, tmp_path / "board.html").read_text()
    parser = _Tables()
    parser.feed(page)
    assert "Upper bounds (not ranked)" in page
    assert [row[0] for row in parser.tables["upper-bounds-table"]][0].startswith("club")
    assert not any(row[1].startswith("club") for row in parser.tables["overall"])
