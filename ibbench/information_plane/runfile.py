"""``ibbench infoplane FILE.py``: the model and data defined in a Python file.

The file is executed with ``runpy`` (its ``if __name__ == "__main__":`` block does not run) and must
define ``model``, ``X`` and ``Y``; it may define ``layers``, ``train_fn``, ``epochs``,
``checkpoints`` and any other keyword of :func:`ibbench.infoplane` (``quantize``,
``noise``, ...). Options given on the command line override the file's.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path
from typing import Any

#: Names a file must define.
REQUIRED = ("model", "X", "Y")
#: Optional names read from the file (keywords of :func:`ibbench.infoplane`).
OPTIONAL = (
    "layers",
    "train_fn",
    "epochs",
    "n_points",
    "checkpoints",
    "estimator",
    "estimator_params",
    "quantize",
    "noise",
    "repeats",
    "uncertainty",
    "time_budget",
    "random_state",
    "batch_size",
)


def load_definitions(path: str | Path) -> dict[str, Any]:
    """The keyword arguments of :func:`~ibbench.infoplane` defined in the file ``path``.

    Raises
    ------
    ValueError
        The file does not exist, fails to run (the message carries the error), or lacks one of
        ``model``, ``X``, ``Y``.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no such file: {path}")
    sys.path.insert(0, str(path.resolve().parent))  # the file may import its neighbours
    try:
        namespace = runpy.run_path(str(path), run_name="__ibbench_infoplane__")
    except Exception as exc:
        raise ValueError(f"running {path} failed: {type(exc).__name__}: {exc}") from exc
    finally:
        sys.path.remove(str(path.resolve().parent))
    missing = [name for name in REQUIRED if name not in namespace]
    if missing:
        raise ValueError(f"{path} must define {', '.join(REQUIRED)}; missing: {', '.join(missing)}")
    return {name: namespace[name] for name in (*REQUIRED, *OPTIONAL) if name in namespace}


def run_file(path: str | Path, **overrides: Any) -> Any:
    """:func:`~ibbench.infoplane` on the file's definitions, ``overrides`` (not None) taking precedence."""
    from ibbench.information_plane.api import infoplane

    kwargs = load_definitions(path)
    kwargs.update({key: value for key, value in overrides.items() if value is not None})
    return infoplane(**kwargs)
