"""Grid, cell keys, resume and backends (docs/architecture.md, "From a command to cells")."""

import numpy as np
import pytest

import ibbench
from ibbench.runner import build_grid, resolve_estimators, split_specs
from ibbench.store import Store

TASKS = "gaussian-dense:dim=1;mi=0.5,categorical:n_symbols=3"


def test_split_specs_params_and_continuations():
    assert split_specs("ksg:k=3,ksg:k=10,kl") == [("ksg", {"k": 3}), ("ksg", {"k": 10}), ("kl", {})]
    assert split_specs("ksg:k=3,algorithm=2") == [("ksg", {"k": 3, "algorithm": 2})]
    assert split_specs("gaussian-dense:dim=3;mi=1.5") == [("gaussian-dense", {"dim": 3, "mi": 1.5})]


def test_cell_keys_are_stable_and_distinct():
    grid = build_grid(resolve_estimators("ksg,ksg:k=5"), split_specs(TASKS), [100, 200], [0, 1])
    again = build_grid(resolve_estimators("ksg,ksg:k=5"), split_specs(TASKS), [100, 200], [0, 1])
    keys = [c.key for c in grid]
    assert len(grid) == 2 * 2 * 2 * 2 and len(set(keys)) == len(keys)
    assert keys == [c.key for c in again]
    # the key covers the full params: explicit defaults are the same cell
    explicit = build_grid(resolve_estimators("ksg:k=3"), split_specs(TASKS), [100], [0])
    assert explicit[0].key == grid[0].key


def test_discrete_only_estimator_is_skipped_on_continuous_tasks(tmp_path):
    summary = ibbench.run(
        estimators="exact", tasks=TASKS, n=200, seeds=1, store=tmp_path / "s.sqlite", backend="inline"
    )
    assert summary.statuses == {"skipped": 1, "ok": 1}


def test_resume_skips_finished_cells_and_rerun_failed_retries(tmp_path):
    store = tmp_path / "s.sqlite"
    first = ibbench.run(estimators="ksg,gaussian", tasks=TASKS, n=300, seeds=2, store=store, backend="inline")
    assert first.statuses == {"ok": 8}
    df1 = ibbench.load_results(store)
    second = ibbench.run(estimators="ksg,gaussian", tasks=TASKS, n=300, seeds=2, store=store, backend="inline")
    assert second.statuses == {} and second.n_skipped_existing == 8
    df2 = ibbench.load_results(store)
    assert df1.sort_values("key")["finished_at"].tolist() == df2.sort_values("key")["finished_at"].tolist()
    # mark one cell failed: only it is retried, and only with rerun_failed
    with Store(store) as st:
        st.connect().execute("UPDATE cells SET status='error' WHERE key=?", (df1["key"].iloc[0],))
        st.connect().commit()
    assert (
        ibbench.run(estimators="ksg,gaussian", tasks=TASKS, n=300, seeds=2, store=store, backend="inline").statuses
        == {}
    )
    third = ibbench.run(
        estimators="ksg,gaussian", tasks=TASKS, n=300, seeds=2, store=store, backend="inline", rerun_failed=True
    )
    assert third.statuses == {"ok": 1}
    assert len(Store(store).runs()) == 4


def test_seeded_cells_identical_across_local_and_inline_backends(tmp_path):
    kw = dict(estimators="ksg", tasks="gaussian-dense:dim=2;mi=1.0", n=500, seeds=2)
    ibbench.run(**kw, store=tmp_path / "a.sqlite", backend="inline")
    ibbench.run(**kw, store=tmp_path / "b.sqlite", backend="local", jobs=2)
    a = ibbench.load_results(tmp_path / "a.sqlite").sort_values("key")
    b = ibbench.load_results(tmp_path / "b.sqlite").sort_values("key")
    assert a["key"].tolist() == b["key"].tolist()
    np.testing.assert_array_equal(a["estimate"].to_numpy(), b["estimate"].to_numpy())


def test_results_record_params_versions_and_environment(tmp_path):
    store = tmp_path / "s.sqlite"
    ibbench.run(
        estimators="ksg:k=5", tasks="gaussian-dense:dim=1;mi=0.5", n=200, seeds=1, store=store, backend="inline"
    )
    row = ibbench.load_results(store).iloc[0]
    assert row["est.k"] == 5 and row["est.algorithm"] == 1 and row["task.mi"] == 0.5
    assert row["estimator_label"] == "ksg(k=5)" and row["n"] == 200 and row["seed"] == 0
    for column in ("python", "numpy", "ibbench", "host", "cpu", "estimator_version", "task_version"):
        assert row[column], column
    assert row["true_mi"] == pytest.approx(0.5)


def test_unknown_names_fail_clearly(tmp_path):
    with pytest.raises(ValueError, match="unknown estimator 'nope'"):
        ibbench.run(estimators="nope", tasks=TASKS, store=tmp_path / "s.sqlite")
    with pytest.raises(ValueError, match="unknown task"):
        ibbench.run(estimators="ksg", tasks="nope", store=tmp_path / "s.sqlite")
