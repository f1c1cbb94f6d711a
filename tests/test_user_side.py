"""The user's side of the command line (issue 22): version and -h, whole task summaries, plot options,
the task gallery, plug-in name collisions, run files against flags, --jobs, ``ibbench check NAME``.

CLI tests run ``ibbench`` as a subprocess at ``COLUMNS=80`` (what a user sees in a terminal)."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ibbench
from ibbench import registry
from ibbench.cli import app, first_sentence

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def ibbench_cli(*args: str, cwd: Path | None = None, pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    """``ibbench ARGS`` in a subprocess with an 80-column terminal; stdout and stderr as text."""
    script = Path(sys.executable).with_name("ibbench")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "ibbench.cli"]
    env = {**os.environ, "COLUMNS": "80", "MPLBACKEND": "Agg"}
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(pythonpath), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return subprocess.run([*command, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)


def one_error_line(result: subprocess.CompletedProcess) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


# ---------------------------------------------------------------------------------------------
# --version, -h


def test_version_and_short_help():
    version = ibbench_cli("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"ibbench {ibbench.__version__}"
    for args in (["-h"], ["run", "-h"], ["study", "-h"]):
        result = ibbench_cli(*args)
        assert result.returncode == 0 and "Usage:" in result.stdout, args
        assert re.search(r"--help\s+-h\s", result.stdout), result.stdout  # rich's help table: long, short


# ---------------------------------------------------------------------------------------------
# ibbench list tasks: whole first sentences


def test_first_sentence_spans_source_lines_and_drops_rest_markup():
    doc = """Only the first ``k`` coordinates (see :func:`~x.spiral`) are
    correlated, e.g. pairwise. The rest are noise.

    Parameters
    """
    assert first_sentence(doc) == "Only the first k coordinates (see x.spiral) are correlated, e.g. pairwise."
    assert first_sentence("No full stop at all") == "No full stop at all"


def test_list_tasks_shows_whole_first_sentences_wrapped():
    result = ibbench_cli("list", "tasks")
    assert result.returncode == 0, result.stderr
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    summaries: dict[str, list[str]] = {}
    name = ""
    for line in result.stdout.splitlines():
        cells = line.split("│")
        if len(cells) != 6:
            continue  # borders and the header
        name = cells[1].strip() or name
        summaries.setdefault(name, []).append(cells[4].strip())
    assert set(summaries) == set(registry.list_tasks())  # whole names: none cut with "…"
    for task, parts in summaries.items():
        expected = first_sentence(registry.get_task_class(task).__doc__ or "")
        assert expected.endswith(".") and len(expected) > 30
        assert "".join("".join(parts).split()) == "".join(expected.split()), task


# ---------------------------------------------------------------------------------------------
# ibbench plot: unknown options, the task gallery, the compression title


@pytest.mark.parametrize("kind", ["compression", "convergence", "curves", "info-plane", "runtime", "tasks"])
def test_every_plot_kind_rejects_an_unknown_option(kind, tmp_path):
    from ibbench.report.plots import list_plot_kinds

    assert kind in list_plot_kinds()
    result = runner.invoke(app, ["plot", "--kind", kind, "--store", str(tmp_path / "s.sqlite"), "--option", "typo=3"])
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert f"unknown --option typo for --kind {kind}; valid: " in message
    assert not (tmp_path / "s.sqlite").exists()


def test_plot_curves_rejects_a_typo_in_one_line(tmp_path):
    line = one_error_line(ibbench_cli("plot", "--kind", "curves", "--option", "typo=3", cwd=tmp_path))
    assert line == "error: unknown --option typo for --kind curves; valid: family, n"


def test_the_task_gallery_gives_every_task_valid_parameters():
    """The default selection of ``plot --kind tasks``: every registered task but the fixed populations
    (whose first sample trains networks), each with parameters it takes (the latent references of the
    image tasks have no image size)."""
    from ibbench.report.plot_tasks import _default_selection

    selection = dict(_default_selection())
    expected = {t for t in registry.list_tasks() if not registry.get_task_class(t).fixed_population}
    assert set(selection) == expected
    assert selection["images-bumps"] == {"size": 16, "mi": 2.0}
    assert selection["images-bumps-latents"] == {"mi": 2.0}
    for name, params in selection.items():
        X, Y = ibbench.get_task(name, **params).sample(20, random_state=0)
        assert len(X) == len(Y) == 20, name


@pytest.mark.slow
def test_plot_tasks_draws_every_task_kind(tmp_path):
    """``ibbench plot --kind tasks`` (cited in the README) end to end, then the qnn tasks when asked for."""
    result = ibbench_cli("plot", "--kind", "tasks", "-o", "gallery", "--option", "n=100", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    pngs = sorted((tmp_path / "gallery").glob("*.png"))
    drawn = {re.sub(r"^tasks-\d{3}-", "", p.stem).split("-size=")[0].split("-mi=")[0] for p in pngs}
    sampled = {t for t in registry.list_tasks() if not registry.get_task_class(t).fixed_population}
    assert drawn == sampled | {"tasks-overview"}
    qnn = "+".join(f"{t}:epochs=3&n_snapshots=2" for t in registry.list_tasks() if t.startswith("qnn-"))
    result = ibbench_cli("plot", "--kind", "tasks", "-o", "qnn", "--option", f"tasks={qnn}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "qnn").glob("*.png"))) == 4 + 1


def test_a_one_panel_compression_figure_shows_its_whole_title():
    from ibbench.report.plot_compression import fitted_suptitle
    from ibbench.report.plot_curves import new_figure

    text = "images-rectangles 32x32: estimate vs true MI (n=10000; mean over seeds, 95% CI; dashed = truth)"
    fig, _ = new_figure(1, panel_size=(3.2, 3.0))
    title = fitted_suptitle(fig, text)
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    fig.draw(renderer)  # constrained layout places the title
    box, width = title.get_window_extent(renderer), fig.get_figwidth() * fig.dpi
    assert 0 <= box.x0 and box.x1 <= width
    assert title.get_text().split() == text.split()  # wrapped, not cut
    wide, _ = new_figure(5, panel_size=(3.2, 3.0), max_cols=5)
    assert "\n" not in fitted_suptitle(wide, text).get_text()  # a wide figure keeps it on one line


# ---------------------------------------------------------------------------------------------
# ibbench check NAME; its advice on bad input


def test_check_takes_a_registered_name(monkeypatch):
    import ibbench.check_process

    seen = []
    monkeypatch.setattr(ibbench.check_process, "run_checks", lambda target, timeout: seen.append(target) or [])
    for name in ("ksg", "gaussian-dense"):
        assert runner.invoke(app, ["check", name]).exit_code == 0
    assert seen == ["ibbench.estimators.knn:KSG", "ibbench.tasks.gaussian:DenseGaussian"]
    assert registry.class_path("ksg") == registry.BUILTIN_ESTIMATORS["ksg"]


def test_check_names_an_unknown_name_in_one_line():
    line = one_error_line(ibbench_cli("check", "nonsense"))
    assert "'nonsense' is no registered estimator or task" in line and "module:Class" in line


@pytest.mark.slow
def test_check_runs_the_suite_of_a_registered_estimator():
    result = ibbench_cli("check", "exact")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "conformance of exact" in result.stdout and "FAIL" not in result.stdout


def test_accepted_bad_input_says_what_to_do():
    from ibbench import MIEstimator
    from ibbench.testing import check_mi_estimator

    class Unvalidated(MIEstimator):
        name = "unvalidated"
        version = "1"

        def fit(self, X, Y):  # overrides the validating template
            self.mutual_info_ = 0.0
            return self

    results = {r.name: r for r in check_mi_estimator(Unvalidated, raise_on_failure=False)}
    bad = next(r for r in results.values() if "accepted bad input" in r.message)
    assert "implement _fit" in bad.message and "validate_pair(X, Y)" in bad.message


# ---------------------------------------------------------------------------------------------
# --jobs 0


def test_jobs_zero_is_rejected(tmp_path):
    line = one_error_line(ibbench_cli("run", "-e", "exact", "-t", "categorical", "--jobs", "0", cwd=tmp_path))
    assert "--jobs must be a positive number" in line and "got 0" in line
    assert not list(tmp_path.iterdir())  # nothing ran, no store
    (tmp_path / "run.toml").write_text('tasks = "categorical"\njobs = 0\n')
    line = one_error_line(ibbench_cli("run", "--config", "run.toml", cwd=tmp_path))
    assert "jobs must be a positive integer, got 0" in line


# ---------------------------------------------------------------------------------------------
# run files: a flag given on the command line overrides the file


def _runs(store: Path) -> list[dict]:
    with sqlite3.connect(store) as conn:
        return [json.loads(c) for (c,) in conn.execute("SELECT config FROM runs ORDER BY rowid")]


def test_flags_override_the_run_file(tmp_path):
    (tmp_path / "run.toml").write_text(
        'n = 150\nseeds = 2\ntasks = "categorical"\nestimators = ["exact"]\n'
        'store = "file.sqlite"\njobs = 2\ntimeout = 60\n'
    )
    from_file = ibbench_cli("run", "--config", "run.toml", cwd=tmp_path)
    assert from_file.returncode == 0, from_file.stderr
    cells = ibbench.load_results(tmp_path / "file.sqlite")
    assert set(cells["n"]) == {150} and set(cells["seed"]) == {0, 1}
    assert {k: _runs(tmp_path / "file.sqlite")[0][k] for k in ("jobs", "timeout")} == {"jobs": 2, "timeout": 60.0}

    flags = ["--n", "120", "--seeds", "1", "--store", "cli.sqlite", "--jobs", "1", "--timeout", "30"]
    given = ibbench_cli("run", "--config", "run.toml", *flags, "-e", "binning", cwd=tmp_path)
    assert given.returncode == 0, given.stderr
    cells = ibbench.load_results(tmp_path / "cli.sqlite")
    assert set(cells["n"]) == {120} and set(cells["seed"]) == {0} and set(cells["estimator"]) == {"binning"}
    assert set(cells["task"]) == {"categorical"}  # not given: still the file's
    assert {k: _runs(tmp_path / "cli.sqlite")[0][k] for k in ("jobs", "timeout")} == {"jobs": 1, "timeout": 30.0}
    assert len(ibbench.load_results(tmp_path / "file.sqlite")) == 2  # the file's store untouched


def test_run_file_store_jobs_and_timeout_are_validated(tmp_path):
    from ibbench.runfile import load_run_file

    path = tmp_path / "run.toml"
    for text, message in (
        ("store = 3", "store must be a path (string), got 3"),
        ("jobs = 1.5", "jobs must be a positive integer, got 1.5"),
        ("timeout = -1", "timeout must be a number of seconds"),
        ("timeout = 2e6", "timeout must be a number of seconds"),
    ):
        path.write_text(text)
        with pytest.raises(ValueError, match=re.escape(message)):
            load_run_file(path)
    path.write_text("timeout = inf\njobs = 3\nstore = 'x.sqlite'")
    expected = {"suite": None, "tasks": None, "n": None, "seeds": None, "timeout": None, "jobs": 3, "store": "x.sqlite"}
    assert load_run_file(path) == expected


def test_the_run_files_doc_states_the_override_rule_and_its_example_is_valid(tmp_path):
    from ibbench.runfile import load_run_file

    doc = (ROOT / "docs" / "run-files.md").read_text()
    assert "given on the command line override" in doc
    blocks = re.findall(r"```toml\n(.*?)```", doc, flags=re.S)
    assert blocks
    for i, block in enumerate(blocks):
        (tmp_path / f"{i}.toml").write_text(block)
        assert load_run_file(tmp_path / f"{i}.toml")["tasks" if "[[tasks]]" in block else "suite"]


# ---------------------------------------------------------------------------------------------
# plug-in name collisions


@pytest.fixture()
def shadowing_plugin(tmp_path, monkeypatch):
    """An installed distribution ``ibbench-fakeplug`` whose entry point registers ``ksg`` (a built-in
    name): a dist-info directory on ``sys.path``, found by ``importlib.metadata`` as a real install."""
    (tmp_path / "fake_ksg_plugin.py").write_text(
        "from ibbench import MIEstimator\n\n\n"
        "class FakeKSG(MIEstimator):\n"
        "    name = 'ksg'\n"
        "    version = '1'\n\n"
        "    def _fit(self, X, Y, rng):\n"
        "        self.mutual_info_ = 42.0\n"
    )
    info = tmp_path / "ibbench_fakeplug-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: ibbench-fakeplug\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[ibbench.estimators]\nksg = fake_ksg_plugin:FakeKSG\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry._plugins.cache_clear()
    yield tmp_path
    monkeypatch.undo()
    registry._plugins.cache_clear()


def test_a_plugin_shadowed_by_a_builtin_warns_and_has_a_qualified_name(shadowing_plugin):
    with pytest.warns(
        registry.PluginWarning, match=r"'ksg' from distribution 'ibbench-fakeplug'.*'ibbench-fakeplug/ksg'"
    ):
        names = registry.list_estimators()
    assert "ksg" in names and "ibbench-fakeplug/ksg" in names
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", registry.PluginWarning)
        assert registry.get_estimator_class("ksg").__module__ == "ibbench.estimators.knn"  # the bare name: built-in
        for qualified in ("ibbench-fakeplug/ksg", "fake_ksg_plugin/ksg"):  # distribution or module
            assert registry.get_estimator(qualified).estimate([[0.0], [1.0], [2.0]], [[1.0], [0.0], [2.0]]) == 42.0
        with pytest.raises(ValueError, match="unknown estimator 'other-dist/ksg'"):
            registry.get_estimator_class("other-dist/ksg")


def test_the_cli_warns_once_and_runs_the_qualified_plugin(shadowing_plugin):
    args = ["run", "-e", "ksg,ibbench-fakeplug/ksg", "-t", "gaussian-dense:dim=1;mi=0.5", "--n", "100"]
    result = ibbench_cli(*args, "--seeds", "1", "--inline", cwd=shadowing_plugin, pythonpath=shadowing_plugin)
    assert result.returncode == 0, result.stderr
    warned = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warned) == 1 and "distribution 'ibbench-fakeplug'" in warned[0], result.stderr
    cells = ibbench.load_results(shadowing_plugin / "ibbench-results.sqlite").set_index("estimator")
    assert cells.loc["ibbench-fakeplug/ksg", "estimate"] == 42.0 and cells.loc["ksg", "estimate"] != 42.0


# ---------------------------------------------------------------------------------------------
# README


def test_the_readme_shows_what_list_estimators_returns():
    line = next(x for x in (ROOT / "README.md").read_text().splitlines() if x.startswith("ibbench.list_estimators()"))
    shown = re.findall(r"'([^']+)'", line.partition("#")[2])
    assert len(shown) >= 2 and ibbench.list_estimators()[: len(shown)] == shown
