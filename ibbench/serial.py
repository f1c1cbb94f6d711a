"""Canonical JSON for cell keys, params and stored rows."""

from __future__ import annotations

import json
from typing import Any

import numpy as np


def jsonable(value: Any) -> Any:
    """``value`` with numpy scalars/arrays and tuples turned into plain JSON types."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"{value!r} ({type(value).__name__}) is not JSON-serialisable")


def canonical_json(value: Any) -> str:
    """Canonical JSON (sorted keys, no spaces) used for identities and hashing."""
    return json.dumps(jsonable(value), sort_keys=True, separators=(",", ":"), allow_nan=False)
