"""Golden outputs: every built-in's output is pinned per ``name@version`` in tests/golden/golden_outputs.json.

Catches an output change without a version bump (benchmark cell keys contain the versions, so such a
change would silently reuse stale stored results). Each estimator is run with ``get_test_params()``
and ``random_state=0`` on a fixed task sample; each task reports ``true_mi`` and statistics of a fixed
sample (``ibbench.golden``). Regenerate the file with ``python scripts/golden_outputs.py --write``
after bumping a version.

Tolerance (``ibbench.golden.TOLERANCES``, ``|now - was| <= atol + rtol * |was|``): numpy/scipy
code rtol=1e-6, atol=1e-9 — bit-reproducible on one machine, and other BLAS/LAPACK builds or SIMD
paths move results by far less than 1e-9 relative, while any algorithmic change moves them by
1e-4 or more; torch code (neural estimators, autoencoder compression, quantized-network tasks)
rtol=1e-4, atol=1e-6 — float32 training over a hundred or more steps drifts by up to ~1e-5 relative
across torch versions and CPUs. Stale entries (classes or versions that no longer exist) fail:
``--write`` rewrites the whole file, so one only remains when a class was removed or renamed
without regenerating.
"""

from pathlib import Path

import pytest

from ibbench import golden
from ibbench.registry import BUILTIN_ESTIMATORS, BUILTIN_TASKS

GOLDEN_PATH = Path(__file__).parent / "golden" / "golden_outputs.json"


@pytest.fixture(scope="module")
def stored():
    return golden.load(GOLDEN_PATH)


def _report(problems):
    return "\n".join(f"[{p.kind}] {p.message}" for p in problems)


@pytest.mark.parametrize("name", sorted(BUILTIN_ESTIMATORS))
def test_estimator_output_is_pinned(name, stored):
    key, entry = golden.estimator_entry(name)
    problems = golden.compare_entry(stored, "estimators", key, entry)
    assert not problems, _report(problems)


@pytest.mark.parametrize("name", sorted(BUILTIN_TASKS))
def test_task_output_is_pinned(name, stored):
    key, entry = golden.task_entry(name)
    problems = golden.compare_entry(stored, "tasks", key, entry)
    assert not problems, _report(problems)


def test_no_stale_entries(stored):
    problems = golden.stale_entries(stored, sorted(BUILTIN_ESTIMATORS), sorted(BUILTIN_TASKS))
    assert not problems, _report(problems)


def test_file_is_written_deterministically(stored):
    assert GOLDEN_PATH.read_text() == golden.dumps(stored), (
        "golden file is not in canonical form: regenerate it with `python scripts/golden_outputs.py --write`"
    )


# -- the check itself ------------------------------------------------------------------------------


def test_an_unversioned_estimator_change_is_reported(stored, monkeypatch):
    from ibbench.estimators.knn import KSG

    original = KSG.fit

    def biased_fit(self, X, Y):
        original(self, X, Y)
        self.mutual_info_ += 0.01
        return self

    monkeypatch.setattr(KSG, "fit", biased_fit)
    key, entry = golden.estimator_entry("ksg")
    problems = golden.compare_entry(stored, "estimators", key, entry)
    assert [p.kind for p in problems] == ["changed"]
    assert "output of ksg changed without a version bump (was " in problems[0].message
    assert "bump KSG.version" in problems[0].message


def test_an_unversioned_task_change_is_reported(stored, monkeypatch):
    from ibbench.tasks.gaussian import DenseGaussian

    monkeypatch.setattr(DenseGaussian, "_true_mi", lambda self: self.mi + 1e-3)
    key, entry = golden.task_entry("gaussian-dense")
    problems = golden.compare_entry(stored, "tasks", key, entry)
    assert [p.kind for p in problems] == ["changed"]
    assert "output of gaussian-dense changed without a version bump (was 0.5, now 0.501)" in problems[0].message


def test_a_sampling_change_is_reported(stored, monkeypatch):
    from ibbench.tasks.gaussian import DenseGaussian

    original = DenseGaussian._sample
    monkeypatch.setattr(DenseGaussian, "_sample", lambda self, n, rng: tuple(a[::-1] for a in original(self, n, rng)))
    key, entry = golden.task_entry("gaussian-dense")
    problems = golden.compare_entry(stored, "tasks", key, entry)
    assert [p.kind for p in problems] == ["changed"]
    assert "weighted_mean" in problems[0].message  # row order: mean, std, min, max are unchanged


def test_a_version_bump_without_regeneration_is_reported(stored, monkeypatch):
    from ibbench.estimators.knn import KSG

    old = KSG.version
    monkeypatch.setattr(KSG, "version", old + "-next")
    key, entry = golden.estimator_entry("ksg")
    problems = golden.compare_entry(stored, "estimators", key, entry)
    assert [p.kind for p in problems] == ["new"]
    assert problems[0].message == (
        f"new version {old}-next of ksg: regenerate the golden file with `python scripts/golden_outputs.py --write`"
    )
    stale = golden.stale_entries(stored, sorted(BUILTIN_ESTIMATORS), sorted(BUILTIN_TASKS))
    assert [(p.kind, p.key) for p in stale] == [("stale", f"ksg@{old}")]


def test_other_inputs_ask_for_regeneration_not_a_bump(stored, monkeypatch):
    from ibbench.estimators.knn import KSG

    monkeypatch.setattr(KSG, "get_test_params", classmethod(lambda cls: {"k": 4, "random_state": 0}))
    key, entry = golden.estimator_entry("ksg")
    problems = golden.compare_entry(stored, "estimators", key, entry)
    assert [p.kind for p in problems] == ["outdated"]
    assert "params.k: was 3, now 4" in problems[0].message


def test_entries_of_removed_classes_are_stale(stored):
    doctored = {**stored, "tasks": {**stored["tasks"], "retired-task@3": {}}}
    problems = golden.stale_entries(doctored, sorted(BUILTIN_ESTIMATORS), sorted(BUILTIN_TASKS))
    assert [(p.kind, p.key) for p in problems] == [("stale", "retired-task@3")]


def test_tolerance_absorbs_rounding_noise_only():
    tol = golden.TOLERANCES["numpy"]
    assert golden.differences(0.5, 0.5 * (1 + 1e-9), tol) == []
    assert golden.differences(0.0, 1e-12, tol) == []
    assert golden.differences(0.5, 0.5001, tol) == ["value: was 0.5, now 0.5001"]
    assert golden.differences({"a": [1, 2]}, {"a": [1, 3]}, tol) == ["a[1]: was 2, now 3"]


def _doc(estimate, backend="torch", key="dv@99", cpu="CPU A", params=None):
    entry = {"backend": backend, "params": params or {}, "input": {}, "estimate": estimate}
    if cpu is not None:
        entry["cpu"] = cpu
    return {"environment": {}, "estimators": {key: entry}, "tasks": {}}


def _out(estimate, **kw):  # a current (not yet written) entry carries no cpu field
    return _doc(estimate, cpu=None, **kw)


def test_other_cpus_outputs_are_accepted_only_where_recorded(monkeypatch):
    stored, here = _doc(1.0), _out(1.01)  # the same code trained on another CPU
    entry = here["estimators"]["dv@99"]
    assert [p.kind for p in golden.compare_entry(stored, "estimators", "dv@99", entry)] == ["changed"]
    monkeypatch.setattr(golden, "cpu_label", lambda: "CPU A")
    assert not golden.platform_recordable(stored, "estimators", "dv@99", entry)  # the main entry's CPU
    monkeypatch.setattr(golden, "cpu_label", lambda: "CPU B")
    assert golden.platform_recordable(stored, "estimators", "dv@99", entry)
    written = golden.written_document(stored, here)
    assert written["estimators"]["dv@99"]["estimate"] == 1.0 and written["estimators"]["dv@99"]["cpu"] == "CPU A"
    assert written["platforms"] == {"CPU B": {"estimators": {"dv@99": entry}}}
    assert golden.compare_entry(written, "estimators", "dv@99", entry) == []
    assert golden.compare_entry(written, "estimators", "dv@99", _out(1.0)["estimators"]["dv@99"]) == []
    # once CPU B is recorded, a different output there is a code change, not a CPU difference
    changed = _out(1.02)["estimators"]["dv@99"]
    assert golden.compare_entry(written, "estimators", "dv@99", changed)
    assert not golden.platform_recordable(written, "estimators", "dv@99", changed)
    # writing again on CPU B or on CPU A keeps both CPUs' outputs
    assert golden.written_document(written, here) == written
    monkeypatch.setattr(golden, "cpu_label", lambda: "CPU A")
    assert golden.written_document(written, _out(1.0))["platforms"] == written["platforms"]
    # a new version written on CPU B is CPU B's main entry; CPU A may then record its own output
    monkeypatch.setattr(golden, "cpu_label", lambda: "CPU B")
    bumped = golden.written_document(written, _out(1.01, key="dv@100"))
    assert bumped["estimators"]["dv@100"]["cpu"] == "CPU B" and "platforms" not in bumped
    monkeypatch.setattr(golden, "cpu_label", lambda: "CPU A")
    assert golden.platform_recordable(bumped, "estimators", "dv@100", _out(1.0, key="dv@100")["estimators"]["dv@100"])
    # an older file without any cpu: its main entries are kept, never overwritten by this CPU's output
    legacy = _doc(1.0, cpu=None)
    kept = golden.written_document(legacy, here)
    assert kept["estimators"]["dv@99"]["estimate"] == 1.0 and kept["platforms"]["CPU A"]["estimators"]["dv@99"] == entry
    # new inputs (params) drop the other CPUs' outputs; numpy-backed outputs get no alternatives
    assert "platforms" not in golden.written_document(written, _out(1.0, params={"k": 2}))
    mixed = {**written, "estimators": {"dv@99": {**written["estimators"]["dv@99"], "backend": "numpy"}}}
    assert golden.platform_alternatives(mixed, "estimators", "dv@99") == []
