"""Golden outputs: pinned results of registered estimators and tasks, to catch unversioned changes.

A benchmark cell's key contains the ``version`` of its estimator and of its task, so an output
change without a version bump lets a store reuse stale results silently. This module computes, per
``name@version``,

* for an estimator: its estimate with ``get_test_params()`` (and ``random_state=0``) on a fixed
  sample of a fixed task (:data:`INPUTS`, chosen by the estimator's ``accepts_x`` / ``accepts_y``
  tags);
* for a task built with ``get_test_params()``: ``true_mi`` and statistics of ``sample(n, 0)``
  (:func:`sample_stats`), so that sampling changes are caught as well as changes of the truth;

and compares them with a stored golden document (:func:`compare_entry`, :func:`stale_entries`).
``scripts/golden_outputs.py`` writes and checks the repository's ``tests/golden/golden_outputs.json``;
``tests/test_golden.py`` checks every built-in against it.

Each entry records what it was computed from (``params``; ``input`` or ``n``/``seed``; the nested
``parts`` / ``depends`` of the cell identity). When those differ, the entry is outdated rather than
wrong and the report asks for regeneration; when they agree and the output differs beyond
:data:`TOLERANCES`, the report is an unversioned change.

CPU platforms (see :func:`written_document`). Training a network in float32 is not reproducible
across CPU vendors: oneDNN/MKL pick other kernels on an AMD EPYC than on an Intel Xeon, the
rounding differs in the last bits, and a hundred optimiser steps amplify that to ~1e-3 relative
in an estimate and ~2 % in the true MI of a task that trains a quantized network (measured:
``dv`` 0.47719 vs 0.47753, ``qnn-digits-ty`` 0.4328 vs 0.4423, same library versions). Each
torch-based main entry therefore records the CPU it was computed on (``cpu``, :func:`cpu_label`);
the document keeps, under ``"platforms"``, the outputs of torch-based entries on other CPUs; a
torch-based entry passes when it matches the main entry or the one of any recorded CPU. numpy and
scipy outputs agree across these CPUs to far below their tolerance and have no alternatives.
"""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from ibbench.base import accepts
from ibbench.execution import cpu_model
from ibbench.registry import get_estimator, get_estimator_class, get_task, get_task_class
from ibbench.serial import jsonable

#: Command that regenerates the repository's golden file (quoted in every report).
REGENERATE = "python scripts/golden_outputs.py --write"

#: Comparison tolerances ``|now - was| <= atol + rtol * |was|`` per backend. numpy/scipy code is
#: bit-reproducible on one machine; across BLAS/LAPACK builds and SIMD code paths the summation
#: order changes and results move by ~1e-15 relative per operation, amplified by conditioning
#: (log-determinants, bandwidth searches) to well below 1e-9; rtol 1e-6 leaves that margin while
#: any change of an algorithm (even a 1e-4 nats bias) fails. torch code trains in float32 (eps
#: 1.2e-7) for a hundred or more optimiser steps, and kernels differ between torch versions and
#: CPUs (oneDNN / vectorised reductions), which moves estimates by up to ~1e-5 relative; rtol 1e-4
#: still catches any change of loss, architecture, initialisation or schedule (they move estimates
#: by 1e-2 or more). ``atol`` covers values at or near zero (independence, centred sample means).
TOLERANCES: dict[str, dict[str, float]] = {
    "numpy": {"rtol": 1e-6, "atol": 1e-9},
    "torch": {"rtol": 1e-4, "atol": 1e-6},
}

#: Built-ins whose outputs go through torch (compared with the ``"torch"`` tolerance). Add a new
#: torch-based estimator or task here, or its golden check may fail on another machine.
TORCH_BASED = frozenset(
    {
        "club",
        "dv",
        "flow",
        "infonce",
        "js",
        "mine",
        "nwj",
        "smile",
        "compressed-ae",
        "qnn-digits-ty",
        "qnn-digits-xt",
        "qnn-szt-ty",
        "qnn-szt-xt",
    }
)

#: Input of the estimators by the data kind both sides accept: ``(task, params)``. Continuous: a
#: 2+2-dimensional Gaussian with 0.5 nats; discrete: a 4-symbol channel (flip 0.3). The task and its
#: version are recorded with each entry, so a task change shows as "input changed", not as an
#: estimator change.
INPUTS: dict[str, tuple[str, dict[str, Any]]] = {
    "continuous": ("gaussian-dense", {"dim": 2, "mi": 0.5}),
    "discrete": ("categorical", {"n_symbols": 4, "flip": 0.3}),
}
#: Sample size and seed of the estimator inputs.
INPUT_N, INPUT_SEED = 400, 0
#: Sample size and seed of the task fingerprints (fixed-population tasks ignore ``n``).
TASK_N, TASK_SEED = 200, 0

#: Significant digits kept in sample statistics (far below any tolerance, stable to read).
STAT_DIGITS = 10

# Parts of an entry that say what it was computed from (a difference means "regenerate").
_SETUP = {"estimators": ("params", "input", "parts"), "tasks": ("params", "n", "seed", "depends")}
_NOT_COMPARED = ("backend", "cpu")
# The main output of an entry (named without its field in reports).
_HEADLINE = {"estimators": "estimate", "tasks": "true_mi"}


@dataclass(frozen=True)
class Problem:
    """One finding of the golden comparison.

    ``kind`` is ``"new"`` (no entry for this ``name@version``), ``"changed"`` (same version,
    different output: the bug this check exists for), ``"outdated"`` (the entry was computed from
    other parameters, input or nested versions: regenerate) or ``"stale"`` (an entry for a class
    or version that no longer exists).
    """

    kind: str
    key: str
    message: str


def backend(name: str) -> str:
    """``"torch"`` for the names in :data:`TORCH_BASED`, else ``"numpy"`` (selects the tolerance)."""
    return "torch" if name in TORCH_BASED else "numpy"


def environment() -> dict[str, str | None]:
    """Versions of Python and of the numerical libraries the outputs depend on (provenance)."""
    out: dict[str, str | None] = {"python": platform.python_version(), "cpu": cpu_label()}
    for package in ("numpy", "scipy", "scikit-learn", "torch"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = None
    return out


def cpu_label() -> str:
    """The CPU model the outputs were computed on (:func:`ibbench.execution.cpu_model`), e.g. ``"AMD EPYC"``."""
    return cpu_model() or "unknown"


def _round(value: float) -> float:
    return float(f"{float(value):.{STAT_DIGITS}g}")


def sample_stats(A: np.ndarray) -> dict[str, Any]:
    """Shape, mean, std, min, max and a position-weighted mean of a 2-D sample (rounded).

    The weighted mean uses weights ``cos(0.7 i + 1.3 j)`` of row ``i`` and column ``j``, so that
    reordering rows or columns changes it although it leaves the other statistics unchanged.
    """
    A = np.asarray(A, dtype=np.float64)
    i, j = np.indices(A.shape)
    weights = np.cos(0.7 * i + 1.3 * j)
    return {
        "shape": list(A.shape),
        "mean": _round(A.mean()),
        "std": _round(A.std()),
        "min": _round(A.min()),
        "max": _round(A.max()),
        "weighted_mean": _round(np.mean(A * weights)),
    }


def estimator_input(name: str) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    """The fixed input of estimator ``name``: its description and the sample ``(X, Y)``."""
    tags = get_estimator_class(name).get_tags()
    kinds = {"continuous" if accepts(tags[side], "continuous") else "discrete" for side in ("accepts_x", "accepts_y")}
    if len(kinds) != 1:
        raise ValueError(
            f"estimator {name!r} accepts X {tags['accepts_x']} and Y {tags['accepts_y']}: "
            f"no golden input for mixed kinds; add one to ibbench.golden.INPUTS"
        )
    task_name, params = INPUTS[kinds.pop()]
    if tags["max_dim"] is not None and 2 * params.get("dim", 1) > tags["max_dim"]:  # e.g. 1-D-only adapters
        params = {**params, "dim": 1}
    task = get_task(task_name, **params)
    X, Y = task.sample(INPUT_N, random_state=INPUT_SEED)
    described = {
        "task": task_name,
        "version": str(task.version),
        "params": jsonable(params),
        "n": INPUT_N,
        "seed": INPUT_SEED,
        "true_mi": task.true_mi,
        "x": sample_stats(X),
        "y": sample_stats(Y),
    }
    return described, X, Y


def estimator_entry(name: str) -> tuple[str, dict[str, Any]]:
    """``(name@version, entry)`` of estimator ``name``: its test params, input and estimate."""
    cls = get_estimator_class(name)
    params = dict(cls.get_test_params())
    if "random_state" in get_estimator(name, **params).get_params():
        params["random_state"] = 0
    described, X, Y = estimator_input(name)
    est = get_estimator(name, **params)
    entry = {
        "backend": backend(name),
        "params": jsonable(params),
        "input": described,
        "estimate": float(est.fit(X, Y).mutual_info_),
    }
    parts = est.identity_parts() if hasattr(est, "identity_parts") else {}
    if parts:
        entry["parts"] = jsonable(parts)
    return f"{name}@{cls.version}", entry


def task_entry(name: str) -> tuple[str, dict[str, Any]]:
    """``(name@version, entry)`` of task ``name``: its test params, ``true_mi`` and sample statistics."""
    cls = get_task_class(name)
    params = dict(cls.get_test_params())
    task = get_task(name, **params)
    n = None if task.fixed_population else TASK_N
    X, Y = task.sample(n, random_state=TASK_SEED)
    entry = {
        "backend": backend(name),
        "params": jsonable(params),
        "n": n,
        "seed": TASK_SEED,
        "true_mi": task.true_mi,
        "x": sample_stats(X),
        "y": sample_stats(Y),
    }
    depends = task.identity_depends() if hasattr(task, "identity_depends") else {}
    if depends:
        entry["depends"] = jsonable(depends)
    return f"{name}@{cls.version}", entry


def golden_outputs(estimators: list[str], tasks: list[str]) -> dict[str, Any]:
    """The golden document of the named estimators and tasks (see :func:`dumps` for the file form)."""
    return {
        "_about": "Pinned outputs of the built-in estimators and tasks, keyed name@version; checked by "
        f"tests/test_golden.py. After bumping a version, regenerate with `{REGENERATE}`.",
        "environment": environment(),
        "tolerances": TOLERANCES,
        "estimators": dict(estimator_entry(name) for name in estimators),
        "tasks": dict(task_entry(name) for name in tasks),
    }


def dumps(document: dict[str, Any]) -> str:
    """Deterministic JSON text: sorted keys, one-space indent, floats at ``repr`` precision, final newline."""
    return json.dumps(document, sort_keys=True, indent=1, allow_nan=False) + "\n"


def load(path: str | Path) -> dict[str, Any]:
    """A golden document read from ``path``."""
    return json.loads(Path(path).read_text())


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def differences(was: Any, now: Any, tolerance: dict[str, float], path: str = "") -> list[str]:
    """``"path: was A, now B"`` for every leaf where ``now`` differs from ``was``.

    Floats are compared with ``|now - was| <= atol + rtol * |was|``; integers, strings, ``None``
    and the structure (keys, lengths) must match exactly.
    """
    label = path or "value"
    if isinstance(was, dict) and isinstance(now, dict):
        out = []
        for key in sorted(set(was) | set(now)):
            sub = f"{path}.{key}" if path else str(key)
            if key not in was or key not in now:
                out.append(f"{sub}: was {was.get(key, '(absent)')!r}, now {now.get(key, '(absent)')!r}")
            else:
                out.extend(differences(was[key], now[key], tolerance, sub))
        return out
    if isinstance(was, list) and isinstance(now, list) and len(was) == len(now):
        return [d for k, (a, b) in enumerate(zip(was, now)) for d in differences(a, b, tolerance, f"{path}[{k}]")]
    if _is_number(was) and _is_number(now) and (isinstance(was, float) or isinstance(now, float)):
        if abs(now - was) <= tolerance["atol"] + tolerance["rtol"] * abs(was):
            return []
        return [f"{label}: was {was!r}, now {now!r}"]
    return [] if was == now else [f"{label}: was {was!r}, now {now!r}"]


def _class_name(section: str, name: str) -> str:
    return (get_estimator_class if section == "estimators" else get_task_class)(name).__name__


def _environment_note(golden: dict[str, Any]) -> str:
    was, now = golden.get("environment") or {}, environment()
    changed = [f"{k} {was.get(k)} -> {now[k]}" for k in sorted(now) if k != "cpu" and was.get(k) != now[k]]
    return f" [the golden file was generated with other library versions: {', '.join(changed)}]" if changed else ""


def compare_entry(golden: dict[str, Any], section: str, key: str, entry: dict[str, Any]) -> list[Problem]:
    """Problems of one current entry (``section`` ``"estimators"`` or ``"tasks"``) against ``golden``.

    Returns ``[]`` when the stored entry of ``key`` agrees within the tolerance of the entry's
    backend; otherwise a single :class:`Problem` of kind ``"new"``, ``"outdated"`` or ``"changed"``.
    """
    name, _, current_version = key.rpartition("@")
    stored = golden.get(section, {}).get(key)
    if stored is None:
        return [
            Problem(
                "new", key, f"new version {current_version} of {name}: regenerate the golden file with `{REGENERATE}`"
            )
        ]
    tolerance = TOLERANCES[entry.get("backend", "numpy")]
    setup = _setup_differences(section, stored, entry, tolerance)
    if setup:
        return [
            Problem(
                "outdated",
                key,
                f"the golden entry of {key} was computed from other inputs "
                f"({'; '.join(setup)}): if only get_test_params(), the input task or a "
                f"nested part's version changed, regenerate with `{REGENERATE}`",
            )
        ]
    now = _outputs(section, entry)
    changed = differences(_outputs(section, stored), now, tolerance)
    if not changed or any(
        not differences(_outputs(section, alternative), now, tolerance)
        for alternative in platform_alternatives(golden, section, key)
    ):
        return []
    headline = _HEADLINE[section] + ": "
    what = changed[0][len(headline) :] if len(changed) == 1 and changed[0].startswith(headline) else "; ".join(changed)
    nested = " (or the version of the nested part it depends on)" if entry.get("parts") or entry.get("depends") else ""
    return [
        Problem(
            "changed",
            key,
            f"output of {name} changed without a version bump ({what}): bump "
            f"{_class_name(section, name)}.version{nested} and regenerate with "
            f"`{REGENERATE}`{_environment_note(golden)}{_platform_note(golden, section, key, entry)}",
        )
    ]


def entry_cpu(golden: dict[str, Any], entry: dict[str, Any]) -> str | None:
    """The CPU a main entry was computed on: its ``cpu`` field, else the document's (older files), else None."""
    return entry.get("cpu") or (golden.get("environment") or {}).get("cpu")


def _setup_differences(section: str, a: dict[str, Any], b: dict[str, Any], tolerance: dict[str, float]) -> list[str]:
    """Differences of the fields saying what two entries were computed from."""
    return [d for field in _SETUP[section] for d in differences(a.get(field), b.get(field), tolerance, field)]


def _same_setup(section: str, a: dict[str, Any], b: dict[str, Any]) -> bool:
    return not _setup_differences(section, a, b, TOLERANCES["numpy"])


def _outputs(section: str, entry: dict[str, Any]) -> dict[str, Any]:
    """The compared part of an entry: without its setup fields, backend and CPU."""
    ignored = set(_SETUP[section]) | set(_NOT_COMPARED)
    return {k: v for k, v in entry.items() if k not in ignored}


def platform_alternatives(golden: dict[str, Any], section: str, key: str) -> list[dict[str, Any]]:
    """Outputs of the torch-based entry ``key`` recorded on other CPUs, computed from the same inputs
    (``params``, input task, nested parts) as its main entry."""
    main = golden.get(section, {}).get(key)
    if main is None or main.get("backend") != "torch":
        return []
    platforms = golden.get("platforms", {})
    return [
        platforms[label][section][key]
        for label in sorted(platforms)
        if key in platforms[label].get(section, {}) and _same_setup(section, platforms[label][section][key], main)
    ]


def platform_recordable(golden: dict[str, Any], section: str, key: str, entry: dict[str, Any]) -> bool:
    """Whether ``--add-platform`` may record ``entry`` as this CPU's output of ``key``: a torch-based
    entry with a main entry from the same inputs computed on another CPU (or an unknown one), and no
    output of ``key`` recorded for this CPU yet (a recorded one that no longer matches is a code
    change, not a CPU difference). On a CPU seen for the first time a code change cannot be told
    from a CPU difference: check the main entries' CPU as well."""
    main = golden.get(section, {}).get(key)
    here = cpu_label()
    recorded = golden.get("platforms", {}).get(here, {}).get(section, {}).get(key)
    return (
        entry.get("backend") == "torch"
        and main is not None
        and entry_cpu(golden, main) != here
        and _same_setup(section, main, entry)
        and (recorded is None or not _same_setup(section, recorded, main))
    )


def _platform_note(golden: dict[str, Any], section: str, key: str, entry: dict[str, Any]) -> str:
    if entry.get("backend") != "torch":
        return ""
    main = golden.get(section, {}).get(key) or {}
    recorded = ", ".join(sorted(golden.get("platforms", {}))) or "none"
    return (
        f" [torch outputs depend on the CPU: the main entry comes from {entry_cpu(golden, main)!r}, this is "
        f"{cpu_label()!r}, other CPUs recorded: {recorded}; if nothing but the CPU differs, record this "
        f"CPU's outputs with `{REGENERATE} --add-platform`]"
    )


def written_document(stored: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """The document ``--write`` writes from the ``stored`` one and this machine's ``current`` outputs.

    Every torch-based main entry records the CPU it was computed on (``cpu``). A torch-based entry
    whose stored main entry comes from the same inputs on another CPU keeps that main entry; this
    CPU's output is recorded under ``"platforms"`` where it differs beyond the tolerance (the caller
    has refused outputs that are not recordable, see :func:`platform_recordable`). Otherwise (new
    key, new inputs, or the main entry's own CPU) the main entry becomes this CPU's output. Other
    CPUs' outputs are carried over while their key exists and their inputs equal the main entry's.
    """
    out = json.loads(json.dumps(current))
    here = cpu_label()
    platforms: dict[str, dict[str, dict[str, Any]]] = {}
    for section in ("estimators", "tasks"):
        for key, entry in current[section].items():
            if entry.get("backend") != "torch":
                continue
            main = stored.get(section, {}).get(key)
            if main is not None and _same_setup(section, main, entry) and entry_cpu(stored, main) != here:
                out[section][key] = {**main, "backend": entry["backend"], "cpu": entry_cpu(stored, main)}
                if compare_entry({section: {key: main}}, section, key, entry):
                    platforms.setdefault(here, {}).setdefault(section, {})[key] = entry
            else:
                out[section][key] = {**entry, "cpu": here}
        for label, sections in stored.get("platforms", {}).items():
            for key, entry in sections.get(section, {}).items():
                main = out[section].get(key)
                if (
                    label != here
                    and main is not None
                    and main.get("backend") == "torch"
                    and label != main.get("cpu")
                    and _same_setup(section, entry, main)
                ):
                    platforms.setdefault(label, {}).setdefault(section, {})[key] = entry
    if platforms:
        out["platforms"] = platforms
    return out


def stale_entries(golden: dict[str, Any], estimators: list[str], tasks: list[str]) -> list[Problem]:
    """Entries of ``golden`` whose class is not among ``estimators``/``tasks`` or whose version is old."""
    problems = []
    for section, names, lookup in (("estimators", estimators, get_estimator_class), ("tasks", tasks, get_task_class)):
        kind = section[:-1]
        for key in sorted(golden.get(section, {})):
            name, _, stored_version = key.rpartition("@")
            if name not in names:
                problems.append(
                    Problem(
                        "stale",
                        key,
                        f"golden entry {key} belongs to no built-in {kind}: regenerate with `{REGENERATE}`",
                    )
                )
            elif stored_version != str(lookup(name).version):
                problems.append(
                    Problem(
                        "stale",
                        key,
                        f"golden entry {key} is for an old version of {name} "
                        f"(now {lookup(name).version}): regenerate with `{REGENERATE}`",
                    )
                )
    return problems


def compare(golden: dict[str, Any], current: dict[str, Any]) -> list[Problem]:
    """All problems of a current document (:func:`golden_outputs`) against ``golden``, stale entries included."""
    problems = [
        p
        for section in ("estimators", "tasks")
        for key, entry in sorted(current[section].items())
        for p in compare_entry(golden, section, key, entry)
    ]
    names = {section: [key.rpartition("@")[0] for key in current[section]] for section in ("estimators", "tasks")}
    return problems + stale_entries(golden, names["estimators"], names["tasks"])
