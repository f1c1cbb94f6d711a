"""The 40 tasks of bmi's benchmark v1 as ibbench task specs, keyed by their bmi ids.

bmi (Czyż et al., "Beyond Normal", NeurIPS 2023; package ``benchmark-mi``) lists them in
``bmi.benchmark.task_list.BENCHMARK_TASKS_LIST``; its v1 workflow (``workflows/benchmark/v1``)
draws 5000 samples with seeds 0–9 and standardises every column of each sample
(``transform_rescale``) before estimation. :func:`bmi_v1_specs` gives the specs with or without
that rescaling; the ``bmi`` suite uses ``rescale=True`` (what bmi's published results used).
Pure data: importing this module loads no task code. Table with true MI values: docs/bmi.md.
"""

from __future__ import annotations

from typing import Any

Spec = tuple[str, dict[str, Any]]

_BINORMAL: dict[str, Any] = {"structure": "dense", "dim_x": 1, "dim_y": 1, "correlation": 0.75}


def _gauss(transform: str = "none", **base: Any) -> Spec:
    return ("bmi-gaussian", {**base, "transform": transform})


def _two_pair(dim: int, transform: str = "none") -> Spec:
    return _gauss(transform, structure="2pair", dim_x=dim, dim_y=dim, correlation=0.8)


def _student(dim: int, df: int, transform: str = "none") -> Spec:
    return ("bmi-student-t", {"dim_x": dim, "dim_y": dim, "df": float(df), "transform": transform})


def _sparse_id(dim: int) -> str:
    return f"multinormal-sparse-{dim}-{dim}-2-2.0"


def _build() -> dict[str, Spec]:
    tasks: dict[str, Spec] = {
        # one-dimensional
        "1v1-normal-0.75": _gauss(**_BINORMAL),
        "normal_cdf-1v1-normal-0.75": _gauss("cdf", **_BINORMAL),
        "1v1-additive-0.1": ("bmi-additive-uniform", {"epsilon": 0.1}),
        "1v1-additive-0.75": ("bmi-additive-uniform", {"epsilon": 0.75}),
        "1v1-bimodal-0.75": _gauss("bimodal", **_BINORMAL),
        "wiggly-1v1-normal-0.75": _gauss("wiggly", **_BINORMAL),
        "half_cube-1v1-normal-0.75": _gauss("halfcube", **_BINORMAL),
        "student-identity-1-1-1": _student(1, 1),
        "asinh-student-identity-1-1-1": _student(1, 1, "asinh"),
        # embedding
        "swissroll_x-normal_cdf-1v1-normal-0.75": _gauss("swissroll", **_BINORMAL),
    }
    for dim in (2, 3, 5, 25, 50):
        tasks[f"multinormal-dense-{dim}-{dim}-0.5"] = _gauss(structure="dense", dim_x=dim, dim_y=dim, correlation=0.5)
    for dim in (2, 3, 5, 25):
        tasks[_sparse_id(dim)] = _two_pair(dim)
    for dim, df in ((2, 1), (2, 2), (3, 2), (3, 3), (5, 2), (5, 3)):
        tasks[f"student-identity-{dim}-{dim}-{df}"] = _student(dim, df)
    for prefix, transform in (("normal_cdf", "cdf"), ("half_cube", "halfcube"), ("spiral", "spiral")):
        for dim in (3, 5, 25):
            tasks[f"{prefix}-{_sparse_id(dim)}"] = _two_pair(dim, transform)
    for dim in (3, 5, 25):
        tasks[f"spiral-normal_cdf-{_sparse_id(dim)}"] = _two_pair(dim, "spiral-cdf")
    for dim, df in ((2, 1), (3, 2), (5, 2)):
        tasks[f"asinh-student-identity-{dim}-{dim}-{df}"] = _student(dim, df, "asinh")
    return tasks


#: bmi id → ``(ibbench task name, params)`` without rescaling, in bmi's order.
BMI_V1_TASKS: dict[str, Spec] = _build()

#: bmi's v1 workflow: sample size and seeds.
BMI_V1_N = 5000
BMI_V1_SEEDS = 10


def bmi_v1_specs(rescale: bool = True) -> tuple[Spec, ...]:
    """The 40 specs in bmi's order; ``rescale=True`` standardises each sample's columns as bmi's workflow."""
    return tuple((name, {**params, "rescale": rescale}) for name, params in BMI_V1_TASKS.values())


def bmi_id_of(name: str, params: dict[str, Any]) -> str | None:
    """The bmi id of an ibbench spec (``rescale`` ignored), or None if it is none of the 40."""
    bare = {k: v for k, v in params.items() if k != "rescale"}
    for bmi_id, (task_name, task_params) in BMI_V1_TASKS.items():
        if task_name == name and task_params == bare:
            return bmi_id
    return None
