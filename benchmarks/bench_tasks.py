"""asv benchmarks of task sampling: wall time and peak memory of ``task.sample(n)``.

One representative parametrisation per task family (the sizes the suites use), so a slow-down of a
renderer or sampler shows up in ``asv continuous``. Fixed-population (trained) tasks are not here:
their cost is training, benchmarked with their family. Only relies on ``ibbench.get_task`` so the
module also imports against older commits (a task missing there is skipped via NotImplementedError).
"""

from __future__ import annotations

import ibbench

#: (label, task name, params) of the benchmarked tasks.
TASKS = [
    ("gaussian-dense-d5", "gaussian-dense", {"dim": 5, "mi": 2.0}),
    ("gaussian-dense-d50", "gaussian-dense", {"dim": 50, "mi": 10.0}),
    ("gaussian-wiggly-d2", "gaussian-wiggly", {"dim": 2, "mi": 1.0}),
    ("student-t-d5", "student-t", {"dim": 5, "df": 3.0, "scale_mi": 1.0}),
    ("categorical-random-256", "categorical-random", {"n_x": 256, "n_y": 256, "concentration": 0.1}),
    ("mixed-class-gaussian", "mixed-class-gaussian", {"n_classes": 10, "separation": 1.5}),
    ("images-bumps-16", "images-bumps", {"size": 16, "mi": 2.0}),
    ("images-bumps-32", "images-bumps", {"size": 32, "mi": 2.0}),
    ("images-rectangles-16", "images-rectangles", {"size": 16, "mi": 2.0}),
    ("images-rectangles-32", "images-rectangles", {"size": 32, "mi": 2.0}),
    ("digits-label", "digits-label", {"flip": 0.2}),
]
_BY_LABEL = {label: (name, params) for label, name, params in TASKS}


class TaskSampling:
    """Time and peak memory of drawing ``n`` samples (the task is built and warmed up in setup)."""

    params = ([label for label, _, _ in TASKS], [1000, 5000])
    param_names = ["task", "n"]
    timeout = 120

    def setup(self, label, n):
        name, params = _BY_LABEL[label]
        try:
            self.task = ibbench.get_task(name, **params)
        except ValueError as exc:  # task not registered in this commit
            raise NotImplementedError(str(exc)) from exc
        self.task.sample(10, random_state=0)  # warm caches (tables, datasets)

    def time_sample(self, label, n):
        self.task.sample(n, random_state=1)

    def peakmem_sample(self, label, n):
        self.task.sample(n, random_state=1)


class TaskGroundTruth:
    """Time to build a task and compute its ``true_mi`` (must stay cheap: building is lazy)."""

    params = [label for label, _, _ in TASKS]
    param_names = ["task"]

    def time_true_mi(self, label):
        name, params = _BY_LABEL[label]
        try:
            task = ibbench.get_task(name, **params)
        except ValueError as exc:
            raise NotImplementedError(str(exc)) from exc
        _ = task.true_mi


def _bmi_ids() -> list[str]:
    try:
        from ibbench.bmi_tasks import BMI_V1_TASKS
    except ImportError:  # older commit without the bmi suite
        return []
    return list(BMI_V1_TASKS)


class BmiTaskSampling:
    """Time of drawing 10⁵ samples of each of bmi's 40 v1 tasks, rescaled as the ``bmi`` suite uses them.

    The bmi-suite issue asks for ≤ 1 s per task at n = 10⁵ (``1v1-bimodal-0.75``, which inverts a
    mixture CDF per sample, is the one that needs a numerical solver).
    """

    params = (_bmi_ids(), [100_000])
    param_names = ["bmi_id", "n"]
    timeout = 120

    def setup(self, bmi_id, n):
        from ibbench.bmi_tasks import BMI_V1_TASKS

        name, params = BMI_V1_TASKS[bmi_id]
        self.task = ibbench.get_task(name, **params, rescale=True)

    def time_sample(self, bmi_id, n):
        self.task.sample(n, random_state=1)
