"""Cell identities (key scheme 2): nested versions, defaults, task dependencies, and migration of scheme-1 stores."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import ibbench
from ibbench import registry
from ibbench.base import MIEstimator
from ibbench.estimators.knn import KSG
from ibbench.identity import changed_params, estimator_identity, task_identity
from ibbench.runner import build_grid, resolve_estimators, split_specs
from ibbench.serial import canonical_json
from ibbench.store import Store

TASK = [("gaussian-dense", {"dim": 1, "mi": 0.5})]
QNN = [("qnn-digits-ty", {"activation": "relu", "bits": 4, "layer": 3, "epochs": 3, "n_snapshots": 3})]


def _keys(estimators, tasks=TASK, n=(100,), seeds=(0,)):
    return {c.estimator_label: c.key for c in build_grid(resolve_estimators(estimators), tasks, list(n), list(seeds))}


def test_changing_the_inner_estimators_version_changes_every_wrapper_cell_with_it(monkeypatch):
    specs = ["compressed-pca", "compressed-ae:n_epochs=2", 'compressed-pca:estimator="kl"', "ksg"]
    before = _keys(specs)
    monkeypatch.setattr(KSG, "version", KSG.version + "-changed")
    after = _keys(specs)
    assert after["compressed-pca"] != before["compressed-pca"]  # inner ksg by default
    assert after["compressed-ae(n_epochs=2)"] != before["compressed-ae(n_epochs=2)"]
    assert after["ksg"] != before["ksg"]
    assert after["compressed-pca(estimator=kl)"] == before["compressed-pca(estimator=kl)"]  # inner kl: unchanged


def test_inner_defaults_spelled_out_are_the_same_cell_and_other_inner_params_are_not():
    cells = build_grid(
        resolve_estimators(
            [
                "compressed-pca",
                'compressed-pca:estimator_params={"k": 3}',
                'compressed-pca:estimator_params={"k": 7}',
                'compressed-pca:estimator_params={"k": 7.0}',
            ]
        ),
        TASK,
        [100],
        [0],
    )
    # 7.0 is cast to 7 before keying and labelling: one cell, one label
    assert cells[3].key == cells[2].key and cells[3].estimator_label == cells[2].estimator_label
    keys = {c.estimator_label: c.key for c in cells}
    assert keys["compressed-pca"] != keys["compressed-pca(estimator_params={'k': 7})"]
    ident = estimator_identity("compressed-pca", registry.get_estimator("compressed-pca", estimator_params={"k": 3}))
    assert ident["parts"]["estimator"] == {"name": "ksg", "version": KSG.version, "params": {}}
    assert (
        ident["parts"]["estimator"]
        == estimator_identity("compressed-pca", registry.get_estimator("compressed-pca"))["parts"]["estimator"]
    )


class _Plugin(MIEstimator):
    name = "test-identity"
    version = "3"

    def __init__(self, k=3, random_state=None):
        self.k = k
        self.random_state = random_state

    def fit(self, X, Y):
        X, Y = self._validate_pair(X, Y)
        self.mutual_info_ = 0.0
        return self


class _PluginWithNewParameter(_Plugin):
    """The same estimator after a release that added a parameter whose default keeps the old behaviour."""

    def __init__(self, k=3, new_option="off", random_state=None):
        super().__init__(k, random_state)
        self.new_option = new_option


def test_adding_a_defaulted_parameter_keeps_existing_keys(monkeypatch):
    monkeypatch.setitem(registry.BUILTIN_ESTIMATORS, "test-identity", f"{__name__}:_Plugin")
    monkeypatch.setitem(globals(), "_Plugin", _Plugin)
    before = _keys(["test-identity", "test-identity:k=5"])
    monkeypatch.setitem(registry.BUILTIN_ESTIMATORS, "test-identity", f"{__name__}:_PluginWithNewParameter")
    after = _keys(["test-identity", "test-identity:k=5", "test-identity:new_option=on"])
    assert after["test-identity"] == before["test-identity"]
    assert after["test-identity(k=5)"] == before["test-identity(k=5)"]
    assert after["test-identity(new_option=on)"] not in before.values()


def test_equal_values_in_another_spelling_are_the_same_cell():
    keys = {c.key for c in build_grid(resolve_estimators("ksg:k=3,ksg:k=3.0,ksg"), TASK, [100], [0])}
    assert len(keys) == 1
    assert changed_params({"a": 1.0, "b": True, "c": 1}, {"a": 1, "b": 1, "c": True}) == {"b": True, "c": 1}


def test_task_code_dependencies_are_in_the_key(monkeypatch):
    from ibbench.tasks.qnn import training

    before = _keys("binning", tasks=QNN)
    assert (
        task_identity(ibbench.get_task(*QNN[0][:1], **QNN[0][1]))["depends"]["qnn_training"]
        == training.TRAINING_VERSION
    )
    monkeypatch.setattr(training, "TRAINING_VERSION", training.TRAINING_VERSION + "-changed")
    assert _keys("binning", tasks=QNN) != before


def test_latent_reference_task_depends_on_its_image_task(monkeypatch):
    from ibbench.tasks.images import GaussianBumpImages

    tasks = [("images-bumps-latents", {"mi": 1.0})]
    before = _keys("ksg", tasks=tasks)
    monkeypatch.setattr(GaussianBumpImages, "version", "changed")
    assert _keys("ksg", tasks=tasks) != before


def _scheme1_key(cell) -> str:
    """The key of ibbench's first scheme (full params, top-level versions only)."""
    ident = {
        "estimator": cell.estimator,
        "estimator_params": cell.estimator_params,
        "estimator_version": cell.estimator_version,
        "task": cell.task,
        "task_params": cell.task_params,
        "task_version": cell.task_version,
        "n": cell.n,
        "seed": cell.seed,
    }
    return hashlib.sha256(canonical_json(ident).encode()).hexdigest()


OLD_COLUMNS = [
    "key",
    "run_id",
    "estimator",
    "estimator_label",
    "estimator_params",
    "estimator_version",
    "task",
    "task_label",
    "task_family",
    "task_params",
    "task_version",
    "n",
    "seed",
    "true_mi",
    "estimate",
    "seconds",
    "status",
    "message",
]


def test_a_scheme1_store_is_rekeyed_and_its_cells_are_reused(tmp_path):
    specs, tasks = "ksg,ksg:k=3.0,compressed-pca", split_specs("gaussian-dense:dim=1;mi=0.5,categorical:n_symbols=3")
    grid = build_grid(resolve_estimators(specs), tasks, [120], [0, 1])
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as conn:  # a store as the first version wrote it: old columns, scheme-1 keys
        conn.execute(
            f"CREATE TABLE cells ({', '.join(c + (' TEXT PRIMARY KEY' if c == 'key' else '') for c in OLD_COLUMNS)})"
        )
        conn.execute(
            "CREATE TABLE runs (id TEXT PRIMARY KEY, command TEXT, suite TEXT, suite_version TEXT, config TEXT,"
            " versions TEXT, started_at TEXT, finished_at TEXT, n_cells INTEGER, n_run INTEGER)"
        )
        for i, cell in enumerate(grid):
            # ksg and ksg:k=3.0 were distinct scheme-1 cells; the second copy is an older error row
            status = "error" if isinstance(cell.estimator_params.get("k"), float) and i % 2 else "ok"
            conn.execute(
                f"INSERT OR REPLACE INTO cells ({', '.join(OLD_COLUMNS)}) VALUES ({', '.join('?' * len(OLD_COLUMNS))})",
                [
                    _scheme1_key(cell),
                    "old",
                    cell.estimator,
                    cell.estimator_label,
                    json.dumps(cell.estimator_params),
                    cell.estimator_version,
                    cell.task,
                    cell.task_label,
                    cell.task_family,
                    json.dumps(cell.task_params),
                    cell.task_version,
                    cell.n,
                    cell.seed,
                    cell.true_mi,
                    0.5 if status == "ok" else None,
                    0.01,
                    status,
                    None,
                ],
            )
    summary = ibbench.run(estimators=specs, tasks=tasks, n=120, seeds=2, store=path, backend="inline")
    unique = {c.key for c in grid}
    assert summary.n_skipped_existing == len(unique) == 8 and summary.statuses == {}  # nothing recomputed
    stored = Store(path).statuses()
    assert set(stored) == unique and set(stored.values()) == {"ok"}  # the ok copy won over the error copy
    df = ibbench.load_results(path)
    assert df["identity"].notna().all() and set(df["task_role"]) == {"overall"}
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT value FROM meta WHERE name = 'key_scheme'").fetchone() == ("2",)


def test_a_new_store_is_written_under_the_current_scheme(tmp_path):
    ibbench.run(estimators="gaussian", tasks=TASK, n=50, seeds=1, store=tmp_path / "s.sqlite", backend="inline")
    row = ibbench.load_results(tmp_path / "s.sqlite").iloc[0]
    ident = json.loads(row["identity"])
    assert (
        ident["scheme"] == 2
        and ident["estimator"] == {"name": "gaussian", "version": "1", "params": {}}
        or ident["estimator"]["name"] == "gaussian"
    )
    assert hashlib.sha256(canonical_json(ident).encode()).hexdigest() == row["key"]
