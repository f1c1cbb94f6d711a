"""The user's own estimators and tasks (issue 22, item 1): objects, classes and ``module:Class`` in
``ibbench.run`` and ``ibbench run``, ``register_estimator`` / ``register_task``, and cell keys that
follow the class's source.

The scripts run as ``python script.py`` subprocesses without any packaging (the class lives in
``__main__`` and reaches the cell processes by value); CLI tests run ``ibbench`` at ``COLUMNS=80``."""

from __future__ import annotations

import importlib
import json
import linecache
import os
import re
import subprocess
import sys
import textwrap
import threading
import types
import warnings
from pathlib import Path

import numpy as np
import pytest

import ibbench
from ibbench import MIEstimator, Task, registry
from ibbench.estimators.knn import KSG
from ibbench.identity import SourceUnavailableWarning
from ibbench.runner import build_grid, split_specs
from ibbench.specs import parse_item, selection

TASK = ("gaussian-dense", {"dim": 1})

#: an estimator whose estimate is checked independently: ``scale`` times the Gaussian closed form
#: -1/2 log(1 - rho^2) from the sample correlation
ESTIMATOR_SOURCE = """
import numpy as np
from ibbench import MIEstimator, Task


class MyEstimator(MIEstimator):
    version = "1"

    def __init__(self, scale=1.0):
        self.scale = scale

    def _fit(self, X, Y, rng):
        rho = np.corrcoef(X[:, 0], Y[:, 0])[0, 1]
        self.mutual_info_ = -0.5 * self.scale * np.log(1 - rho**2)


class MyTask(Task):
    name = "my-task"
    version = "1"

    def __init__(self, rho=0.6):
        self.rho = rho
        self.dim_x = self.dim_y = 1

    def _true_mi(self):
        return -0.5 * np.log(1 - self.rho**2)

    def _sample(self, n, rng):
        x = rng.standard_normal(n)
        return x, self.rho * x + np.sqrt(1 - self.rho**2) * rng.standard_normal(n)


class Plain:
    pass


def helper():
    return 1
"""


@pytest.fixture(autouse=True)
def clean_registry():
    """Each test starts and ends with no classes registered at run time."""
    saved = dict(registry.USER_ESTIMATORS), dict(registry.USER_TASKS)
    registry.USER_ESTIMATORS.clear()
    registry.USER_TASKS.clear()
    yield
    registry.USER_ESTIMATORS.clear()
    registry.USER_TASKS.clear()
    registry.USER_ESTIMATORS.update(saved[0])
    registry.USER_TASKS.update(saved[1])


@pytest.fixture
def user_module(tmp_path, monkeypatch):
    """A module of the user's own classes, importable as ``usermod_<test>`` from ``tmp_path``."""
    name = f"usermod_{abs(hash(str(tmp_path))) % 10**8}"
    (tmp_path / f"{name}.py").write_text(ESTIMATOR_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name, tmp_path / f"{name}.py"
    sys.modules.pop(name, None)


def _env(pythonpath: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "COLUMNS": "80", "MPLBACKEND": "Agg"}
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(pythonpath), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def ibbench_cli(*args: str, cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("ibbench")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "ibbench.cli"]
    return subprocess.run(
        [*command, *args], cwd=cwd, env=_env(pythonpath), capture_output=True, text=True, timeout=300, check=False
    )


def _rows(store: Path) -> list[dict]:
    df = ibbench.load_results(store)
    return [{**row, "estimator_params": json.loads(row["estimator_params"])} for row in df.to_dict("records")]


def _closed_form(seed: int, n: int, rho: float = 0.6) -> float:
    """The estimate MyEstimator(scale=1) must give on MyTask(rho) for ``seed``: recomputed here."""
    from ibbench.numerics.random import as_generator

    rng = as_generator(seed)
    x = rng.standard_normal(n)
    y = rho * x + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    r = np.corrcoef(x, y)[0, 1]
    return -0.5 * np.log(1 - r**2)


# ---------------------------------------------------------------------------------------------
# a script, no packaging


@pytest.mark.parametrize("how", ["script", "no file"])
def test_a_script_benchmarks_its_own_estimator_and_task_objects(tmp_path, how):
    """``python script.py``; and ``python -c`` (a ``__main__`` without a file, as a notebook's: no cell
    process can import the classes, they travel by value)."""
    source = ESTIMATOR_SOURCE + textwrap.dedent(
        """
        if __name__ == "__main__":
            import ibbench

            summary = ibbench.run(
                estimators=[MyEstimator(), MyEstimator(scale=2.0)],
                tasks=[MyTask(rho=0.6), "gaussian-dense:dim=1"],
                n=200, seeds=1, store="results.db", progress=False,
            )
            print(summary.statuses)
        """
    )
    script = tmp_path / "bench_mine.py"
    script.write_text(source)
    command = [sys.executable, str(script)] if how == "script" else [sys.executable, "-c", source]
    result = subprocess.run(command, cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=300)
    if how == "no file":
        assert "SourceUnavailableWarning" in result.stderr and "bump its `version`" in result.stderr
    assert result.returncode == 0, result.stderr
    rows = _rows(tmp_path / "results.db")
    assert len(rows) == 4 and all(r["status"] == "ok" for r in rows), [(r["status"], r["message"]) for r in rows]
    assert {r["estimator"] for r in rows} == {"__main__:MyEstimator"}
    assert {r["task"] for r in rows} == {"__main__:MyTask", "gaussian-dense"}
    by = {(r["estimator_label"], r["task"]): r for r in rows}
    assert by[("MyEstimator(scale=2.0)", "__main__:MyTask")]["estimator_params"] == {"scale": 2.0}
    one = by[("MyEstimator", "__main__:MyTask")]
    # the cell process ran this very class on this very task: the closed form recomputed here
    assert one["estimate"] == pytest.approx(_closed_form(0, 200), rel=1e-12)
    assert one["true_mi"] == pytest.approx(-0.5 * np.log(1 - 0.36))
    assert by[("MyEstimator(scale=2.0)", "__main__:MyTask")]["estimate"] == pytest.approx(2 * one["estimate"])


# ---------------------------------------------------------------------------------------------
# ibbench run --estimators module:Class:k=v


def test_cli_runs_module_class_with_params(user_module, tmp_path):
    name, path = user_module
    work = tmp_path / "work"
    work.mkdir()
    result = ibbench_cli(
        "run",
        "--estimators",
        f"{name}:MyEstimator:scale=3",
        "--tasks",
        f"{name}:MyTask:rho=0.6",
        "--n",
        "150",
        "--seeds",
        "1",
        "--store",
        "s.db",
        cwd=work,
        pythonpath=path.parent,
    )
    assert result.returncode == 0, result.stderr
    (row,) = _rows(work / "s.db")
    assert row["status"] == "ok", row["message"]
    assert row["estimator"] == f"{name}:MyEstimator" and row["estimator_params"] == {"scale": 3}
    assert row["estimate"] == pytest.approx(3 * _closed_form(0, 150), rel=1e-12)


BAD_SPECS = [
    ("nomodule_xyz:X", "no module named 'nomodule_xyz'"),
    ("{mod}:NotThere", "has no attribute 'NotThere'"),
    ("{mod}:Plain", "is the class Plain, not a subclass of ibbench.MIEstimator"),
    ("{mod}:helper", "is a function, not a subclass of ibbench.MIEstimator"),
    ("{mod}:MyTask", "is the class MyTask, not a subclass of ibbench.MIEstimator"),
]


@pytest.mark.parametrize(("spec", "message"), BAD_SPECS)
def test_bad_class_strings_are_value_errors(user_module, tmp_path, spec, message):
    name, _path = user_module
    with pytest.raises(ValueError, match=re.escape(message)):
        ibbench.run(estimators=spec.format(mod=name), tasks="gaussian-dense", store=tmp_path / "s.db", progress=False)
    assert not (tmp_path / "s.db").exists()


@pytest.mark.parametrize(("spec", "message"), [BAD_SPECS[0], BAD_SPECS[2]])
def test_cli_rejects_bad_class_strings_with_exit_code_2(user_module, tmp_path, spec, message):
    name, path = user_module
    result = ibbench_cli(
        "run",
        "-e",
        spec.format(mod=name),
        "-t",
        "gaussian-dense",
        "--store",
        "s.db",
        cwd=tmp_path,
        pythonpath=path.parent,
    )
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, result.stderr
    assert lines[0].startswith("error: ") and message in " ".join(lines), result.stderr
    assert not (tmp_path / "s.db").exists()


# ---------------------------------------------------------------------------------------------
# selections in the Python API


def test_parse_item_tells_class_paths_from_registry_specs():
    assert parse_item("mymod:MyEst") == ("mymod:MyEst", {})
    assert parse_item("pkg.sub:Outer.Inner:k=3;alpha=0.5") == ("pkg.sub:Outer.Inner", {"k": 3, "alpha": 0.5})
    assert parse_item("ksg:k=3") == ("ksg", {"k": 3})
    assert parse_item("ksg") == ("ksg", {})
    with pytest.raises(ValueError, match="bad parameter 'flip'"):  # a registered name: a malformed spec
        parse_item("categorical:flip")
    assert split_specs("mymod:MyEst:k=3,alpha=2,ksg:k=5,kl") == [
        ("mymod:MyEst", {"k": 3, "alpha": 2}),
        ("ksg", {"k": 5}),
        ("kl", {}),
    ]


def test_instances_classes_strings_and_pairs(user_module):
    name, _path = user_module
    module = importlib.import_module(name)
    specs = selection(
        "estimator",
        [
            module.MyEstimator(scale=2.0),
            module.MyEstimator,
            f"{name}:MyEstimator:scale=4",
            (module.MyEstimator, {"scale": 5.0}),
            ("ksg", {"k": 4}),
            "kl",
        ],
    )
    path = f"{name}:MyEstimator"
    assert specs == [
        (path, {"scale": 2.0}),
        (path, {}),
        (path, {"scale": 4}),
        (path, {"scale": 5.0}),
        ("ksg", {"k": 4}),
        ("kl", {}),
    ]
    assert registry.get_estimator_class(path) is module.MyEstimator
    assert path not in registry.list_estimators()  # resolvable, not listed
    assert selection("task", module.MyTask(rho=0.3)) == [(f"{name}:MyTask", {"rho": 0.3})]


def test_a_registered_class_keeps_its_name_and_key():
    """KSG(k=7), its class path and "ksg:k=7" are one cell (the keys of registered names are pinned)."""
    forms = [[KSG(k=7)], "ibbench.estimators.knn:KSG:k=7", "ksg:k=7"]
    keys = []
    for form in forms:
        specs = selection("estimator", form)
        assert [name for name, _ in specs] == ["ksg"]
        (cell,) = build_grid(specs, [TASK], [100], [0])
        assert "code" not in cell.identity["estimator"] and cell.estimator_label == "ksg(k=7)"
        keys.append(cell.key)
    assert len(set(keys)) == 1
    assert not registry.USER_ESTIMATORS


def test_bad_objects_are_value_errors(user_module, tmp_path):
    name, _path = user_module
    module = importlib.import_module(name)
    with pytest.raises(ValueError, match="cannot use .* as an estimator"):
        selection("estimator", [object()])
    with pytest.raises(ValueError, match="cannot use .* as an estimator"):
        selection("estimator", [module.MyTask()])
    with pytest.raises(ValueError, match="cannot use .* as a task"):
        selection("task", [module.MyEstimator])
    with pytest.raises(ValueError, match="parameters are stored as JSON"):
        selection("estimator", [module.MyEstimator(scale=object())])
    with pytest.raises(ValueError, match="not a subclass of ibbench.Task"):
        ibbench.run(estimators="ksg", tasks=f"{name}:MyEstimator", store=tmp_path / "s.db", progress=False)


class _KwargsEstimator(MIEstimator):
    """Takes its parameters through **kwargs: get_params() cannot see them."""

    def __init__(self, **kw):
        self.scale = kw.get("scale", 1.0)

    def _fit(self, X, Y, rng):
        self.mutual_info_ = self.scale


class _ArgsTask(Task):
    def __init__(self, *args):
        self.rho = args[0] if args else 0.5


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: _KwargsEstimator(scale=2.0), r"_KwargsEstimator: __init__ takes \*\*kw"),
        (lambda: _KwargsEstimator, r"_KwargsEstimator: __init__ takes \*\*kw"),
        (lambda: (_KwargsEstimator, {"scale": 3.0}), r"__init__ takes \*\*kw"),
    ],
)
def test_var_keyword_constructors_are_value_errors(make, message):
    """MyEst(scale=2.0) and MyEst(scale=3.0) used to be one cell, both run as MyEst()."""
    with pytest.raises(ValueError, match=message + ".*store each under its own name"):
        selection("estimator", [make()])


def test_var_positional_constructors_are_value_errors(user_module):
    with pytest.raises(ValueError, match=r"task _ArgsTask: __init__ takes \*args"):
        selection("task", [_ArgsTask(0.3)])
    with pytest.raises(ValueError, match=r"__init__ takes \*\*kw"):
        ibbench.register_estimator(_KwargsEstimator, name="kw-est")
    name, path = user_module
    path.write_text(ESTIMATOR_SOURCE.replace("def __init__(self, scale=1.0):", "def __init__(self, scale=1.0, *rest):"))
    with pytest.raises(ValueError, match=r"MyEstimator: __init__ takes \*rest"):
        selection("estimator", f"{name}:MyEstimator:scale=2")


class _Doubling(MIEstimator):
    def __init__(self, scale=1.0):
        self.scale = 2 * scale  # get_params() says 2 * scale: rebuilt, it doubles again

    def _fit(self, X, Y, rng):
        self.mutual_info_ = self.scale


class _Renaming(MIEstimator):
    def __init__(self, scale=1.0):
        self.factor = scale  # not stored under its own name

    def _fit(self, X, Y, rng):
        self.mutual_info_ = self.factor


class _Constant(MIEstimator):
    def __init__(self, scale=1.0):
        self.scale = scale
        self.metric = "chebyshev"  # a constant: rebuilt the same

    def _fit(self, X, Y, rng):
        self.mutual_info_ = self.scale


def test_instances_their_class_does_not_rebuild_are_value_errors(user_module):
    name, _path = user_module
    module = importlib.import_module(name)
    with pytest.raises(ValueError, match=r"parameter 'scale' is 4\.0, but _Doubling\(scale=4\.0\) has scale=8\.0"):
        selection("estimator", [_Doubling(scale=2.0)])
    with pytest.raises(ValueError, match="_Renaming: reading its parameters failed.*under its own name"):
        selection("estimator", [_Renaming(scale=2.0)])
    changed = module.MyEstimator(scale=2.0)
    changed.offset = 0.5  # set after construction: a cell would never see it
    with pytest.raises(ValueError, match=r"attribute 'offset' is not a parameter of __init__.*stored as self\.offset"):
        selection("estimator", [changed])
    constant = _Constant(scale=2.0)
    assert selection("estimator", [constant])[0][1] == {"scale": 2.0}
    constant.metric = "euclidean"
    with pytest.raises(ValueError, match="attribute 'metric'"):
        selection("estimator", [constant])
    task = module.MyTask(rho=0.3)
    task.dim_x = 2
    with pytest.raises(ValueError, match="task MyTask: attribute 'dim_x'"):
        selection("task", [task])
    fitted = module.MyEstimator(scale=2.0).fit(np.ones((5, 1)) * np.arange(5)[:, None], np.arange(5.0)[:, None] ** 2)
    assert selection("estimator", [fitted]) == [(f"{name}:MyEstimator", {"scale": 2.0})]  # fitted attributes_ pass


def test_an_estimator_object_as_the_inner_estimator_of_a_wrapper(user_module, tmp_path):
    """("compressed-pca", {"estimator": KSG(k=5)}) is the spec with estimator="ksg" and its params, one cell."""
    from ibbench.estimators.compressed import CompressedPCA

    name, _path = user_module
    module = importlib.import_module(name)
    spec = ("compressed-pca", {"estimator": "ksg", "estimator_params": {"k": 5}})
    forms = [
        [("compressed-pca", {"estimator": KSG(k=5)})],
        [CompressedPCA(estimator=KSG(k=5))],
        [(CompressedPCA, {"estimator": KSG(k=5)})],
        'compressed-pca:estimator=ksg;estimator_params={"k": 5}',
    ]
    keys = []
    for form in forms:
        ((spec_name, params),) = specs = selection("estimator", form)
        assert (
            spec_name == "compressed-pca" and {k: params[k] for k in spec[1]} == spec[1]
        )  # an instance: all its params
        (cell,) = build_grid(specs, [TASK], [100], [0])
        keys.append(cell.key)
    assert len(set(keys)) == 1
    own = selection("estimator", [("compressed-pca", {"estimator": module.MyEstimator(scale=2.0)})])
    assert own == [("compressed-pca", {"estimator": f"{name}:MyEstimator", "estimator_params": {"scale": 2.0}})]
    summary = ibbench.run(estimators=own, tasks=[TASK], n=120, seeds=1, store=tmp_path / "s.db", progress=False)
    assert summary.statuses == {"ok": 1}
    (row,) = _rows(tmp_path / "s.db")
    one = ibbench.run(
        estimators=[module.MyEstimator(scale=2.0)],
        tasks=[TASK],
        n=120,
        seeds=1,
        store=tmp_path / "t.db",
        progress=False,
    )
    assert one.statuses == {"ok": 1}
    (direct,) = _rows(tmp_path / "t.db")
    assert row["estimate"] == pytest.approx(direct["estimate"], rel=1e-12)  # PCA of one column keeps it


def test_an_estimator_object_where_json_is_needed_is_a_value_error():
    with pytest.raises(ValueError, match=r"estimator ksg: parameter 'k': parameters are stored as JSON.*k='ksg'"):
        selection("estimator", [("ksg", {"k": KSG()})])
    with pytest.raises(ValueError, match="'estimator' is an estimator object and estimator_params is given too"):
        selection("estimator", [("compressed-pca", {"estimator": KSG(k=5), "estimator_params": {"k": 2}})])


def test_a_class_that_cannot_be_pickled_fails_before_the_run(tmp_path):
    class Locked(MIEstimator):
        lock = threading.Lock()

        def _fit(self, X, Y, rng):
            self.mutual_info_ = 0.0

    with pytest.raises(ValueError, match="cannot be sent to cell processes.*backend='inline'"):
        ibbench.run(estimators=[Locked()], tasks=[TASK], n=50, seeds=1, store=tmp_path / "s.db", progress=False)
    assert not (tmp_path / "s.db").exists()
    summary = ibbench.run(
        estimators=[Locked()], tasks=[TASK], n=50, seeds=1, store=tmp_path / "s.db", backend="inline", progress=False
    )
    assert summary.statuses == {"ok": 1}


# ---------------------------------------------------------------------------------------------
# cell keys of the user's classes


def _key(cls: type, **params) -> str:
    (cell,) = build_grid(selection("estimator", [cls(**params)]), [TASK], [100], [0])
    return cell.key


def test_editing_the_class_changes_its_key(user_module):
    name, path = user_module
    module = importlib.import_module(name)
    original = _key(module.MyEstimator)
    assert _key(module.MyEstimator) == original  # stable
    assert _key(module.MyEstimator, scale=2.0) != original

    path.write_text(ESTIMATOR_SOURCE.replace("-0.5 * self.scale", "-0.5 * self.scale * 1.0"))
    module = importlib.reload(module)
    edited = _key(module.MyEstimator)
    assert edited != original

    path.write_text(ESTIMATOR_SOURCE)  # the same source again: the same key
    module = importlib.reload(module)
    assert _key(module.MyEstimator) == original
    (cell,) = build_grid(selection("estimator", [module.MyEstimator]), [TASK], [100], [0])
    code = cell.identity["estimator"]["code"]
    assert code["class"] == f"{name}:MyEstimator" and len(code["source"]) == 16


NO_FILE_SOURCE = """
from ibbench import MIEstimator

class {name}(MIEstimator):
    def _fit(self, X, Y, rng):
        self.mutual_info_ = {value}
"""


def _module_from_source(source: str, filename: str, name: str) -> types.ModuleType:
    """A module without ``__file__`` (as a notebook's ``__main__``), its code compiled from ``filename``."""
    module = types.ModuleType(name)
    sys.modules[name] = module
    exec(compile(source, filename, "exec"), module.__dict__)  # noqa: S102 - the test's own source
    return module


def test_a_notebook_class_is_keyed_by_its_methods_source():
    """In a notebook the class's source cannot be read (``__main__`` has no file) but its methods' can
    (the cells are in ``linecache``): their source keys it."""
    keys = []
    for i, body in enumerate(["0.0", "0.0", "1.0"]):
        filename = f"/tmp/ipykernel_0/cell-{i}.py"  # a file that does not exist: linecache only
        source = NO_FILE_SOURCE.format(name="NbEst", value=body)
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        try:
            module = _module_from_source(source, filename, "nb_module")
            with warnings.catch_warnings():
                warnings.simplefilter("error", SourceUnavailableWarning)
                keys.append(_key(module.NbEst))
        finally:
            linecache.cache.pop(filename, None)
            sys.modules.pop("nb_module", None)
    assert keys[0] == keys[1] != keys[2]


def test_a_class_without_source_warns():
    source = NO_FILE_SOURCE.format(name="NoSrc", value="0.0")
    try:
        module = _module_from_source(source, "<no file>", "nosrc_module")
        with pytest.warns(SourceUnavailableWarning, match="results may be reused across edits"):
            (cell,) = build_grid(selection("estimator", [module.NoSrc]), [TASK], [100], [0])
    finally:
        sys.modules.pop("nosrc_module", None)
    assert cell.identity["estimator"]["code"] == {"class": "nosrc_module:NoSrc"}


# ---------------------------------------------------------------------------------------------
# register_estimator / register_task


def test_register_estimator_and_task(user_module, tmp_path):
    name, _path = user_module
    module = importlib.import_module(name)
    assert ibbench.register_estimator(module.MyEstimator, name="my-est") == "my-est"
    assert ibbench.register_task(module.MyTask) == "my-task"  # its own name attribute
    assert "my-est" in ibbench.list_estimators() and "my-task" in ibbench.list_tasks()
    assert ibbench.register_estimator(module.MyEstimator, name="my-est") == "my-est"  # again: fine
    assert selection("estimator", [module.MyEstimator(scale=2.0)]) == [("my-est", {"scale": 2.0})]
    summary = ibbench.run(
        estimators="my-est:scale=2", tasks="my-task", n=120, seeds=1, store=tmp_path / "s.db", progress=False
    )
    assert summary.statuses == {"ok": 1}
    (row,) = _rows(tmp_path / "s.db")
    assert (row["estimator"], row["task"], row["estimator_label"]) == ("my-est", "my-task", "my-est(scale=2)")
    assert row["estimate"] == pytest.approx(2 * _closed_form(0, 120), rel=1e-12)
    (cell,) = build_grid([("my-est", {})], [("my-task", {})], [100], [0])
    assert "source" in cell.identity["estimator"]["code"] and "source" in cell.identity["task"]["code"]


def test_register_estimator_refuses_taken_and_bad_names(user_module):
    name, _path = user_module
    module = importlib.import_module(name)

    class MyKSG(KSG):  # inherits name = "ksg"
        pass

    with pytest.raises(
        ValueError, match=r"'ksg' is taken by the registered estimator .*KSG; choose another name, e\.g\."
    ):
        ibbench.register_estimator(MyKSG, name="ksg")
    with pytest.raises(ValueError, match="'gaussian-dense' is taken"):
        ibbench.register_task(module.MyTask, name="gaussian-dense")
    assert ibbench.register_estimator(MyKSG) == "MyKSG"  # the inherited name is not its own
    with pytest.raises(ValueError, match="already registered for .*MyKSG; choose another name"):
        ibbench.register_estimator(module.MyEstimator, name="MyKSG")
    for bad in ("my:est", "my est", "", "a,b"):
        with pytest.raises(ValueError, match="without spaces"):
            ibbench.register_estimator(module.MyEstimator, name=bad)
    with pytest.raises(ValueError, match="needs a subclass of ibbench.MIEstimator"):
        ibbench.register_estimator(module.Plain)
