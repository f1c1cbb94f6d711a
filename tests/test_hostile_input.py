"""Hostile input (issue 15): declared parameters, run-file schema, rich markup, --timeout, broken
plug-ins and `ibbench check`, markdown escaping, corrupt compression-cache entries."""

from __future__ import annotations

import inspect
import json
import warnings
from importlib.metadata import EntryPoint

import numpy as np
import pytest
from typer.testing import CliRunner

import ibbench
from ibbench import registry
from ibbench.base import MIEstimator
from ibbench.cli import app
from ibbench.estimators.knn import KSG
from ibbench.runfile import load_run_file
from ibbench.runner import build_grid, resolve_estimators, split_specs
from ibbench.store import Store

runner = CliRunner()
TASK = [("gaussian-dense", {"dim": 1, "mi": 0.5})]


def _cells(spec: str, tasks=TASK):
    return build_grid(resolve_estimators(spec), tasks, [100], [0])


@pytest.fixture()
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _clean(result) -> None:
    """No traceback: a normal exit (any code), never an exception such as rich's MarkupError."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


# ---------------------------------------------------------------------------------------------
# 1. declared parameters


@pytest.mark.parametrize(
    "spec",
    [
        "ksg:k=1.9",
        "ksg:k=true",
        "ksg:k=0",
        "ksg:k=1e400",
        "ksg:jitter=nan",
        "ksg:algorithm=3",
        "ksg:standardize=1",
        "binning:n_bins=2.5",
    ],
)
def test_invalid_estimator_parameters_are_rejected_naming_estimator_and_parameter(spec):
    name, params = split_specs(spec)[0]
    (param,) = params
    with pytest.raises(ValueError, match=rf"estimator '{name}': parameter {param} must be"):
        _cells(spec)


def test_fit_validates_the_declared_parameters_too():
    x = np.arange(20.0)
    for bad in (dict(k=1.9), dict(k=True), dict(jitter=float("inf"))):
        with pytest.raises(ValueError, match="estimator 'ksg': parameter"):
            KSG(**bad).fit(x, x)
    assert KSG(k=3.0, random_state=0).estimate(x, x) == KSG(k=3, random_state=0).estimate(x, x)


def test_integral_floats_are_cast_before_keying():
    by_spec = {spec: _cells(spec)[0] for spec in ("ksg", "ksg:k=3", "ksg:k=3.0", "ksg:k=5", "ksg:k=5.0")}
    assert by_spec["ksg:k=3.0"].key == by_spec["ksg:k=3"].key == by_spec["ksg"].key
    assert by_spec["ksg:k=3.0"].estimator_label == "ksg"
    assert by_spec["ksg:k=5.0"].key == by_spec["ksg:k=5"].key
    assert by_spec["ksg:k=5.0"].estimator_label == "ksg(k=5)"
    k = by_spec["ksg:k=5.0"].estimator_params["k"]
    assert k == 5 and type(k) is int
    # a real task parameter: 1 and 1.0 are one task configuration
    one = _cells("ksg", [("gaussian-dense", {"dim": 1, "mi": 1})])[0]
    one_f = _cells("ksg", [("gaussian-dense", {"dim": 1.0, "mi": 1.0})])[0]
    assert one.key == one_f.key and one.task_label == one_f.task_label


@pytest.mark.parametrize(
    "task, params, param",
    [
        ("gaussian-dense", {"mi": float("nan")}, "mi"),
        ("gaussian-dense", {"mi": float("inf")}, "mi"),
        ("gaussian-dense", {"dim": True}, "dim"),
        ("categorical", {"flip": 1.5}, "flip"),
        ("qnn-szt-xt", {"bits": 8.5}, "bits"),
        ("digits-label", {"encoding": "hex"}, "encoding"),
    ],
)
def test_invalid_task_parameters_are_rejected_naming_task_and_parameter(task, params, param):
    with pytest.raises(ValueError, match=rf"task '{task}': parameter {param} must be"):
        _cells("ksg", [(task, params)])
    with pytest.raises(ValueError, match=rf"task '{task}': parameter {param}"):
        ibbench.get_task(task, **params)


def test_run_with_non_finite_parameters_fails_before_any_cell(tmp_path):
    with pytest.raises(ValueError, match="parameter k"):
        ibbench.run(
            estimators="ksg:k=1e400", tasks="categorical", n=100, seeds=1, store=tmp_path / "s.sqlite", backend="inline"
        )
    with pytest.raises(ValueError, match="parameter mi"):
        ibbench.run(
            estimators="ksg",
            tasks=[("gaussian-dense", {"mi": float("nan")})],
            n=100,
            seeds=1,
            store=tmp_path / "s.sqlite",
            backend="inline",
        )


def _builtins():
    for name in registry.BUILTIN_ESTIMATORS:
        yield registry.get_estimator_class(name)
    for name in registry.BUILTIN_TASKS:
        yield registry.get_task_class(name)


@pytest.mark.parametrize("cls", list(_builtins()), ids=lambda c: c.name)
def test_every_builtin_declares_every_parameter_and_accepts_its_defaults(cls):
    names = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    assert set(names) <= set(cls._parameter_constraints), f"{cls.name}: undeclared parameters"
    for params in (
        cls.check_params({}),
        {
            n: p.default
            for n, p in inspect.signature(cls.__init__).parameters.items()
            if n != "self" and p.default is not inspect.Parameter.empty
        },
        cls.get_test_params(),
    ):
        assert cls.check_params(params) == params


class _Undeclared(MIEstimator):
    """A plug-in without ``_parameter_constraints``: its parameters pass unchanged."""

    name = "test-undeclared"
    version = "1"

    def __init__(self, k=3, tag="a"):
        self.k = k
        self.tag = tag

    def fit(self, X, Y):
        self._validate_pair(X, Y)
        self.mutual_info_ = 0.0
        return self


def test_plugins_without_constraints_keep_working(monkeypatch):
    monkeypatch.setitem(registry.BUILTIN_ESTIMATORS, "test-undeclared", f"{__name__}:_Undeclared")
    cell = _cells("test-undeclared:k=1.5")[0]
    assert cell.estimator_label == "test-undeclared(k=1.5)" and cell.estimator_params["k"] == 1.5
    with pytest.raises(ValueError, match="parameter k must be a finite number"):
        _cells("test-undeclared:k=1e400")


# ---------------------------------------------------------------------------------------------
# 2. run files


@pytest.mark.parametrize(
    "text, message",
    [
        ('seeds = "10"', 'seeds must be a positive integer, got "10"'),
        ("seeds = true", "seeds must be a positive integer, got true"),
        ("seeds = 0", "seeds must be a positive integer, got 0"),
        ("seeds = [0, 0]", "seeds must be a positive integer or a non-empty list of distinct integers"),
        ('n = "200"', 'n must be a positive integer or a non-empty list of positive integers, got "200"'),
        ("n = []", "n must be a positive integer"),
        ("n = [100, 2.5]", "n must be a positive integer"),
        ("suite = 3", "suite must be a suite name"),
        ("estimators = 3", "estimators must be a spec string"),
        ("[[estimators]]\nname = 'ksg'\nparams = [1, 2]", "estimators[0] (ksg).params must be a table"),
        ("[[estimators]]\nname = 'ksg'\ngrid = [1]", "estimators[0] (ksg).grid must be a table"),
        ("[[estimators]]\nname = 'ksg'\ngrid = { k = [] }", "estimators[0] (ksg).grid.k must be a non-empty list"),
        ("[[estimators]]\nname = 3", "estimators[0].name must be a name"),
        (
            "[[tasks]]\nname = 'categorical'\nparams = { when = 1979-05-27 }",
            "tasks[0] (categorical).params.when must be a string, number",
        ),
        (
            "[[tasks]]\nname = 'categorical'\nparams = { flip = nan }",
            "tasks[0] (categorical).params.flip must be a finite",
        ),
        ("tasks = ['categorical:flip']", "tasks[0]: bad parameter"),
    ],
)
def test_run_files_are_validated_against_the_schema(tmp_path, text, message):
    path = tmp_path / "run.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=f"^{path}: ") as info:
        load_run_file(path)
    assert message in str(info.value)
    result = runner.invoke(app, ["run", "--config", str(path), "--store", str(tmp_path / "s.sqlite")])
    _clean(result)
    assert result.exit_code == 2 and message in " ".join(result.output.split())


def test_run_file_seed_lists_and_single_n(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('n = 150\nseeds = [3, 5]\ntasks = "categorical"\nestimators = ["exact"]\n')
    assert load_run_file(path) == {
        "suite": None,
        "tasks": [("categorical", {})],
        "n": [150],
        "seeds": [3, 5],
        "estimators": [("exact", {})],
    }
    store = tmp_path / "s.sqlite"
    result = runner.invoke(app, ["run", "--config", str(path), "--store", str(store), "--inline"])
    assert result.exit_code == 0, result.output
    assert sorted(ibbench.load_results(store)["seed"]) == [3, 5]


# ---------------------------------------------------------------------------------------------
# 3. rich markup in user-derived text


class _MarkupRaise(MIEstimator):
    """Raises an exception whose text is rich markup."""

    name = "test-markup"
    version = "1"

    def __init__(self, tag="x"):
        self.tag = tag

    def fit(self, X, Y):
        raise RuntimeError("[/red] closing tag :x: in an error")


def test_markup_in_labels_messages_and_arguments_is_printed_literally(in_tmp, monkeypatch):
    bad = runner.invoke(app, ["run", "-e", "ksg:k=[/red]", "-t", "categorical"])
    _clean(bad)
    assert bad.exit_code == 2 and "[/red]" in bad.output
    listing = runner.invoke(app, ["list", "[/x]"])
    _clean(listing)
    assert listing.exit_code == 2 and "[/x]" in listing.output
    monkeypatch.setitem(registry.BUILTIN_ESTIMATORS, "test-markup", f"{__name__}:_MarkupRaise")
    run = runner.invoke(
        app,
        [
            "run",
            "-e",
            "test-markup:tag=[bold]x[/],exact",
            "-t",
            "categorical",
            "--n",
            "100",
            "--seeds",
            "1",
            "--inline",
        ],
    )
    _clean(run)
    assert "[/red] closing tag :x: in an error" in run.output
    board = runner.invoke(app, ["leaderboard", "--format", "md", "--out", "lb"])
    _clean(board)
    assert board.exit_code == 0, board.output


# ---------------------------------------------------------------------------------------------
# 4. --timeout


@pytest.mark.parametrize("value", ["1e300", "3e6", "nan", "-1"])
def test_timeouts_beyond_the_maximum_are_one_line_errors(in_tmp, value):
    result = runner.invoke(app, ["run", "-e", "exact", "-t", "categorical", "--timeout", value])
    _clean(result)
    assert result.exit_code == 2 and "--timeout must be" in result.output


def test_timeout_inf_means_no_limit(in_tmp):
    result = runner.invoke(
        app, ["run", "-e", "exact", "-t", "categorical", "--n", "100", "--seeds", "1", "--timeout", "inf"]
    )
    _clean(result)
    assert result.exit_code == 0 and "ok: 1" in result.output
    config = json.loads(Store("ibbench-results.sqlite").runs()["config"].iloc[-1])
    assert config["timeout"] is None


# ---------------------------------------------------------------------------------------------
# 5. broken plug-ins and `ibbench check`


@pytest.fixture()
def broken_plugins(tmp_path, monkeypatch):
    (tmp_path / "raising_plugin.py").write_text("raise RuntimeError('plugin import failed')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    eps = {
        "raises-on-import": EntryPoint("raises-on-import", "raising_plugin:Est", "ibbench.estimators"),
        "missing-class": EntryPoint("missing-class", "ibbench.estimators.knn:NoSuchClass", "ibbench.estimators"),
    }
    monkeypatch.setattr(registry, "_plugins", lambda group: eps if group == "ibbench.estimators" else {})
    return eps


def test_broken_plugins_are_left_out_of_all_and_reported(broken_plugins):
    broken: dict[str, str] = {}
    names = registry.available_estimators(broken)
    assert "ksg" in names and not set(broken_plugins) & set(names)
    assert set(broken) == set(broken_plugins)
    assert "plugin import failed" in broken["raises-on-import"] and "NoSuchClass" in broken["missing-class"]
    with pytest.warns(registry.PluginWarning) as record:
        specs = resolve_estimators("all")
    assert all(any(name in str(w.message) for w in record) for name in broken_plugins)
    assert "ksg" in {name for name, _ in specs}
    with pytest.raises(ValueError, match="estimator 'missing-class' .* cannot be loaded"):
        resolve_estimators("missing-class") and _cells("missing-class")


def test_cli_runs_all_without_broken_plugins_and_names_them(in_tmp, broken_plugins):
    result = runner.invoke(app, ["run", "-e", "all", "-t", "categorical", "--n", "100", "--seeds", "1", "--inline"])
    _clean(result)
    assert result.exit_code == 0, result.output
    assert "warning" in result.output and "raises-on-import" in result.output and "missing-class" in result.output
    ok = ibbench.load_results("ibbench-results.sqlite").query("status == 'ok'")
    assert {"binning", "binning-adaptive", "exact"} <= set(ok["estimator"])
    explicit = runner.invoke(app, ["run", "-e", "raises-on-import", "-t", "categorical"])
    _clean(explicit)
    assert explicit.exit_code == 2 and "cannot be loaded" in explicit.output


def test_check_reports_syntax_errors_in_one_line(in_tmp):
    (in_tmp / "syntax_broken.py").write_text("def f(:\n    pass\n")
    result = runner.invoke(app, ["check", "syntax_broken:Est"])
    _clean(result)
    assert result.exit_code == 2 and "SyntaxError" in result.output and "line 1" in result.output


def test_check_stops_a_hanging_estimator_and_fails_it(in_tmp):
    (in_tmp / "hanging_estimator.py").write_text(
        "import time\n"
        "from ibbench import MIEstimator\n"
        "class Hang(MIEstimator):\n"
        "    version = '1'\n"
        "    def fit(self, X, Y):\n"
        "        self._validate_pair(X, Y)\n"
        "        while True:\n"
        "            time.sleep(0.1)\n"
    )
    result = runner.invoke(app, ["check", "hanging_estimator:Hang", "--timeout", "5"])
    _clean(result)
    assert result.exit_code == 1 and "FAIL" in result.output and "did not finish" in result.output


# ---------------------------------------------------------------------------------------------
# 6. markdown leaderboards


def test_markdown_cells_escape_html_code_spans_and_table_syntax():
    from ibbench.report.leaderboard import _cell_text

    text = _cell_text("<script>alert(1)</script> | `code` & x\ny")
    assert not set("<>`\n") & set(text) and "\\|" in text and "&amp; x" in text
    assert text.startswith("&lt;script&gt;")


def test_markdown_headings_and_sentences_escape_user_text(tmp_path, monkeypatch):
    """Task and family names, the output title and the run's command reach headings and prose."""
    from ibbench.report.leaderboard import inline_text

    text = inline_text("x <img src=a onerror=b> [link](http://e) **bold** `c` #1 |t|")
    assert not set("<>`") & set(text)
    for escaped in ("\\[link\\]", "\\*\\*bold\\*\\*", " \\#1", "\\|t\\|"):
        assert escaped in text
    assert inline_text("line\nbreak") == "line break"
    store = tmp_path / "s.sqlite"
    ibbench.run(
        estimators="exact",
        tasks="categorical",
        n=100,
        seeds=1,
        store=store,
        backend="inline",
        command="ibbench run <script>x</script> `rm -rf` [a](b)",
    )
    board_dir = tmp_path / "<b>board</b>"
    from ibbench.report.leaderboard import write_leaderboard

    md = next(p for p in write_leaderboard(store, board_dir, formats=["md"]) if p.suffix == ".md").read_text()
    assert "<script>" not in md and "<b>" not in md and "`rm" not in md and "[a](b)" not in md


def test_leaderboard_and_plot_out_that_is_a_file_or_unwritable_is_one_line(in_tmp):
    ibbench.run(
        estimators="exact", tasks="categorical", n=100, seeds=1, store="ibbench-results.sqlite", backend="inline"
    )
    (in_tmp / "taken").write_text("a file the user keeps")
    for command in (["leaderboard", "--out", "taken"], ["plot", "--kind", "curves", "--out", "taken"]):
        result = runner.invoke(app, command)
        _clean(result)
        assert result.exit_code == 2 and "is an existing file" in result.output, result.output
    assert (in_tmp / "taken").read_text() == "a file the user keeps"
    result = runner.invoke(app, ["leaderboard", "--out", "taken/board"])  # a path through a file: OSError
    _clean(result)
    assert result.exit_code == 2 and "error:" in result.output and "taken" in result.output, result.output


@pytest.mark.parametrize("timeout", [float("inf"), None])
def test_api_timeout_inf_or_none_means_no_limit(tmp_path, timeout):
    summary = ibbench.run(
        estimators="exact", tasks="categorical", n=100, seeds=1, store=tmp_path / "s.sqlite", timeout=timeout
    )
    assert summary.statuses == {"ok": 1}
    assert json.loads(Store(tmp_path / "s.sqlite").runs()["config"].iloc[-1])["timeout"] is None


@pytest.mark.parametrize("timeout", [3e6, 1e300, float("nan"), 0, -1, True, "10"])
def test_api_timeout_out_of_range_is_a_value_error(tmp_path, timeout):
    with pytest.raises(ValueError, match="timeout must be"):
        ibbench.run(
            estimators="exact", tasks="categorical", n=100, seeds=1, store=tmp_path / "s.sqlite", timeout=timeout
        )
    assert not (tmp_path / "s.sqlite").exists() or Store(tmp_path / "s.sqlite").results().empty


@pytest.mark.parametrize(
    "spec, message",
    [
        (("compressed-pca", {"estimator_params": {"k": 1.9}}), "estimator_params: estimator 'ksg': parameter k"),
        (("compressed-pca", {"estimator": "nope"}), "inner estimator: unknown estimator 'nope'"),
        (("compressed-ae", {"estimator_params": {"zz": 1}}), "unknown parameter"),
    ],
)
def test_nested_estimator_params_are_validated_before_any_cell(tmp_path, spec, message):
    with pytest.raises(ValueError, match=message):
        ibbench.run(estimators=[spec], tasks="images-bumps:size=8", n=100, seeds=1, store=tmp_path / "s.sqlite")
    assert not (tmp_path / "s.sqlite").exists() or Store(tmp_path / "s.sqlite").results().empty


def test_nested_integral_floats_are_cast_to_one_cell():
    from ibbench.estimators.compressed import CompressedPCA
    from ibbench.identity import estimator_identity

    as_float = CompressedPCA.check_params({"estimator_params": {"k": 3.0}})
    assert as_float == {"estimator_params": {"k": 3}} and type(as_float["estimator_params"]["k"]) is int
    assert estimator_identity("compressed-pca", CompressedPCA(**as_float)) == estimator_identity(
        "compressed-pca", CompressedPCA(estimator_params={"k": 3})
    )


# ---------------------------------------------------------------------------------------------
# 7. corrupt compression-cache entries


def test_corrupt_compression_cache_entries_are_deleted_and_recomputed(tmp_path, monkeypatch):
    from ibbench.estimators.compressed import CompressedPCA

    monkeypatch.setenv("IBBENCH_CACHE", str(tmp_path))
    X, Y = ibbench.get_task("images-bumps", size=8, mi=1.0).sample(200, random_state=0)
    params = dict(estimator="kl", n_components_x=2, n_components_y=2, random_state=0)
    cold = CompressedPCA(**params).fit(X, Y)
    entries = sorted((tmp_path / "compression").glob("*.npz"))
    assert len(entries) == 2
    entries[0].write_bytes(b"not a zip file")  # truncated / corrupt
    np.savez(
        entries[1], codes=np.zeros((3, 3)), error=np.float64(0), history=np.zeros(0), seconds=np.float64(1)
    )  # readable, but codes of the wrong shape
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = CompressedPCA(**params).fit(X, Y)
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert all(any(path.name in m for m in messages) for path in entries), messages
    assert again.cache_hit_ is False and again.mutual_info_ == cold.mutual_info_
    warm = CompressedPCA(**params).fit(X, Y)  # rewritten: a hit again
    assert warm.cache_hit_ is True and warm.mutual_info_ == cold.mutual_info_


def test_the_documented_example_run_file_is_valid():
    from pathlib import Path

    options = load_run_file(Path(__file__).resolve().parents[1] / "examples" / "run.toml")
    assert len(options["tasks"]) == 5 and len(options["estimators"]) == 3
    assert options["n"] == [1000, 5000] and options["seeds"] == 3
    assert len(build_grid(options["estimators"], options["tasks"], options["n"], list(range(3)))) == 90
