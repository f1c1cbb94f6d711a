"""The cell keys of a fixed grid are pinned: a refactor must not re-key stored results.

``tests/golden/grid_keys.json`` holds the keys of the grid below, computed at commit 609dd24 (before
the code-health refactor) and unchanged since. A deliberate key change (a version bump, a new
identity part) rewrites the file with ``IBBENCH_REGENERATE_KEYS=1 pytest tests/test_grid_keys.py``
and says why in the commit; an accidental one fails here.
"""

import json
import os
from pathlib import Path

from ibbench.runner import build_grid
from ibbench.suites import get_suite

KEYS_PATH = Path(__file__).parent / "golden" / "grid_keys.json"

ESTIMATORS = [
    ("binning", {}),
    ("binning", {"n_bins": 10}),
    ("binning-adaptive", {}),
    ("exact", {}),
    ("gaussian", {}),
    ("kde-lse", {}),
    ("kde-ml", {}),
    ("ksg", {}),
    ("ksg", {"k": 7}),
    ("kl", {}),
    ("wkl", {}),
    ("infonce", {}),
    ("mine", {}),
    ("mine", {"n_steps": 200}),
    ("nwj", {}),
    ("compressed-ae", {}),
    ("compressed-pca", {"estimator": "ksg", "estimator_params": {"k": 7}}),
    ("compressed-pca", {}),
]


def _grid_keys() -> dict[str, str]:
    # the quick suite's tasks without the trained quantized-network tasks (their truth needs training)
    tasks = [t for t in get_suite("quick").tasks if not t[0].startswith("qnn")]
    cells = build_grid(ESTIMATORS, tasks, [1000, 5000], [0, 1])
    return {f"{c.estimator_label}|{c.task_label}|{c.n}|{c.seed}": c.key for c in cells}


def test_cell_keys_of_a_fixed_grid_are_unchanged():
    keys = _grid_keys()
    if os.environ.get("IBBENCH_REGENERATE_KEYS"):
        KEYS_PATH.write_text(json.dumps(keys, indent=0, sort_keys=True))
    pinned = json.loads(KEYS_PATH.read_text())
    assert len(pinned) == 936
    changed = sorted(label for label in pinned if keys.get(label) != pinned[label])
    assert not changed, f"{len(changed)} cell keys changed, e.g. {changed[:5]}"
    assert set(keys) == set(pinned)
